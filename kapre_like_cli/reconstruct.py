"""``kapre-like reconstruct``: audio rebuilt from the mel spectrogram (or the STFT magnitude) of a file or the
built-in signal by Griffin-Lim, written to a file, with the spectral convergence of its magnitudes."""

import os

from .common import (DEFAULT_OUT, CommandError, add_common_options, check_hop, check_inputs, check_length,
                     library_errors, positive_int, signal_of, writable_folder)

NAME = "reconstruct"
#: Audio formats ``reconstruct`` writes (soundfile's, by extension).
AUDIO_FORMATS = ("wav", "flac", "ogg")


def add_parser(commands):
    parser = commands.add_parser(NAME, help="audio back from its mel (or magnitude) spectrogram",
                                 description="Take the mel spectrogram (or the STFT magnitude) of a file or the "
                                             "built-in signal, rebuild audio from it with the inverse mel scale "
                                             "and Griffin-Lim, write it, and report the spectral convergence and "
                                             "SNR of its magnitudes.")
    add_common_options(parser)
    parser.add_argument("--from", dest="source", choices=["mel", "stft"], default="mel",
                        help="mel (default: mel spectrogram, magnitudes) or stft (the STFT magnitude)")
    parser.add_argument("--bins", type=positive_int, default=None, help="mel bands (default 128)")
    parser.add_argument("--n-iter", type=positive_int, default=32, help="Griffin-Lim iterations (default 32)")
    parser.add_argument("--out", help=f"audio path, .wav, .flac or .ogg (default: {DEFAULT_OUT}/reconstructed.wav)")
    return parser


def check(args):
    check_inputs(args)
    args.out = args.out or os.path.join(DEFAULT_OUT, "reconstructed.wav")
    extension = os.path.splitext(args.out)[1].lower().lstrip(".")
    if extension not in AUDIO_FORMATS:
        raise CommandError(f"cannot write audio as {'.' + extension if extension else 'a file without extension'} "
                           f"({args.out!r}); give --out a {', '.join('.' + f for f in AUDIO_FORMATS)} path")
    writable_folder(os.path.dirname(os.path.abspath(args.out)))
    return args


def run(args):
    import numpy as np
    import soundfile

    from kapre_like._files import replaced_on_success
    from kapre_like.blockwise import DEFAULT_BINS, reconstruct, reconstruct_blocks

    check_hop(args.n_fft, args.hop)
    n_bins = args.bins or DEFAULT_BINS["mel"]
    audio_format = os.path.splitext(args.out)[1].lstrip(".").upper()
    if args.center:  # centred frames: the whole signal at once
        samples, sample_rate, title = signal_of(args)
        check_length(samples, sample_rate, args.n_fft, args.center, title)
        with library_errors():
            audio, convergence, snr = reconstruct(samples, sample_rate, args.source, args.n_fft, args.hop, n_bins,
                                                  args.n_iter, args.center)
        with replaced_on_success(args.out) as temporary:
            soundfile.write(temporary, audio, sample_rate, format=audio_format)
        silent = not np.any(samples)
    else:
        signal = signal_of(args, whole=False)
        sample_rate, title = signal.rate, signal.title
        check_length(signal, sample_rate, args.n_fft, False, title)
        with replaced_on_success(args.out) as temporary:
            with soundfile.SoundFile(temporary, "w", sample_rate, 1, format=audio_format) as handle:
                with library_errors():
                    convergence, silent = reconstruct_blocks(signal, args.source, args.n_fft, args.hop, n_bins,
                                                             args.n_iter, write=handle.write, progress=True)
        snr = float("inf") if convergence == 0 else -20 * np.log10(convergence)
    what = f"{n_bins}-band mel spectrogram" if args.source == "mel" else "STFT magnitude"
    if silent:
        quality = ("the input is silent and so is the audio rebuilt: silence reconstructs exactly" if convergence == 0
                   else "the input is silent but the audio rebuilt is not")
    else:
        quality = f"spectral convergence {convergence:.3f}, magnitude SNR {snr:.1f} dB"
    print(f"{title}: audio from its {what} (n_fft {args.n_fft}, hop {args.hop}, {args.n_iter} Griffin-Lim "
          f"iterations): {quality} -> {args.out}")
    return 0 if convergence != float("inf") else 1
