"""``kapre-like spectrogram``: the log-mel, STFT, log-frequency or constant-Q spectrogram, the chromagram, MFCCs or
PCEN of a file (or the built-in signal) drawn to a picture, and optionally saved as a ``.npy`` array."""

import contextlib
import os

from .common import (CommandError, DEFAULT_OUT, add_common_options, add_frequency_options, add_preset_option,
                     analysis_options, check_inputs, check_length, check_preset_window, frequency_range, frontend_bins,
                     library_errors, light_library_module, log_fmin, positive_int, require_matplotlib, signal_of,
                     writable_folder)

NAME = "spectrogram"
#: Picture formats the tool writes (matplotlib's, by extension).
PICTURE_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")
#: The kinds, as :data:`kapre_like.blockwise.KINDS` names them (here so that ``--help`` needs no NumPy; a test
#: keeps the two the same), with what each shows.
KINDS = {"mel": "log-mel spectrogram (default)", "stft": "STFT magnitude, linear frequency",
         "log": "log-frequency (Kapre's filterbank, semitones)", "cqt": "constant-Q transform (librosa.cqt)",
         "chroma": "chromagram (librosa.feature.chroma_stft, tuning 0)", "mfcc": "MFCCs (librosa.feature.mfcc)",
         "pcen": "PCEN of the mel spectrogram (librosa.pcen)"}


def add_parser(commands):
    parser = commands.add_parser(NAME, help="draw a spectrogram to a PNG",
                                 description="Draw a spectrogram (--kind) of a file or the built-in signal to a "
                                             "picture with time and frequency axes (Hz on a mel scale, notes, pitch "
                                             "classes or coefficients, as the kind asks).")
    add_common_options(parser)
    parser.add_argument("--kind", choices=list(KINDS), default="mel",
                        help="; ".join(f"{name}: {what}" for name, what in KINDS.items()))
    parser.add_argument("--bins", type=positive_int, default=None,
                        help="mel bands (mel, pcen; default 128), log-frequency or constant-Q bins (default 84, fewer "
                             "when the top ones would pass --fmax or half the sample rate), pitch classes (chroma; "
                             "12) or coefficients (mfcc; 20)")
    add_frequency_options(parser)
    add_preset_option(parser)
    parser.add_argument("--out", help=f"picture path, .png (added when missing), .pdf, .svg or .jpg; a folder "
                                      f"gets <kind>_spectrogram.png (default: {DEFAULT_OUT}/<kind>_spectrogram.png)")
    parser.add_argument("--save", metavar="ARRAY.npy",
                        help="also save the spectrogram (frames x bins, float32; in dB for mel, stft, log and cqt) "
                             "with numpy.save")
    return parser


def picture_path(out, kind):
    """The picture's path: ``--out`` with ``.png`` added when it has no extension; inside it when a folder."""
    if not out:
        return os.path.join(DEFAULT_OUT, f"{kind}_spectrogram.png")
    if out.endswith(os.sep) or os.path.isdir(out):
        return os.path.join(out, f"{kind}_spectrogram.png")
    extension = os.path.splitext(out)[1].lower().lstrip(".")
    if not extension:
        return out + ".png"
    if extension not in PICTURE_FORMATS:
        raise CommandError(f"cannot write a picture as .{extension} ({out!r}); give --out a "
                           f"{', '.join('.' + f for f in PICTURE_FORMATS)} path")
    return out


def check(args):
    check_inputs(args)
    check_preset_window(args)
    if args.kind == "mfcc" and args.bins is not None:
        # the log-mel the MFCCs are taken from: the --preset's bands, else the library's default
        mel_bands = args.mel_bands or light_library_module("blockwise").DEFAULT_BINS["mel"]
        if args.bins > mel_bands:
            raise CommandError(f"--bins {args.bins} MFCCs cannot come from {mel_bands} mel bands; give --bins "
                               f"{mel_bands} or fewer")
    require_matplotlib()
    args.out = picture_path(args.out, args.kind)
    writable_folder(os.path.dirname(os.path.abspath(args.out)))
    if args.save:
        if not args.save.endswith(".npy"):
            args.save += ".npy"  # what numpy.save writes
        writable_folder(os.path.dirname(os.path.abspath(args.save)), "--save")
    return args


def check_stft_rows(sample_rate, n_fft, f_min, f_max):
    """CommandError when no STFT bin lies between ``--fmin`` and ``--fmax``."""
    import numpy as np

    from kapre_like.blockwise import bin_frequencies

    frequencies = bin_frequencies("stft", sample_rate, n_fft, None)
    if not np.any((frequencies >= (f_min or 0.0)) & (frequencies <= (f_max or sample_rate / 2))):
        raise CommandError(f"no STFT bin lies between --fmin {f_min or 0:g} Hz and --fmax {f_max:g} Hz (the bins are "
                           f"{sample_rate / n_fft:.1f} Hz apart); widen the range or give a larger --n-fft")


def run(args):
    from kapre_like._files import replaced_on_success
    from kapre_like.blockwise import KINDS as kinds, draw_spectrogram

    signal = signal_of(args, whole=False)
    sample_rate, title = signal.rate, signal.title
    f_min, f_max = frequency_range(args, sample_rate)
    f_min = log_fmin(args.kind, sample_rate, args.n_fft, args.bins, f_min, f_max)
    print(f"input: {title}, {len(signal)} samples at {sample_rate} Hz ({len(signal) / sample_rate:.2f} s)")
    check_length(signal, sample_rate, args.n_fft, args.center or args.kind == "cqt", title)
    if args.center and args.pad_mode == "reflect" and args.kind != "cqt" and len(signal) <= args.n_fft // 2:
        raise CommandError(f"{title} has {len(signal)} samples; the --preset's centred frames pad each end by a "
                           f"reflection of {args.n_fft // 2} samples, which needs more than that; give a longer file "
                           f"or --no-center")
    n_bins = frontend_bins(args.kind, sample_rate, args.bins, f_min, f_max)
    if args.kind == "stft":
        check_stft_rows(sample_rate, args.n_fft, f_min, f_max)
    save = args.save
    with contextlib.ExitStack() as stack:
        saving = stack.enter_context(replaced_on_success(save)) if save else None
        with library_errors():
            result = draw_spectrogram(signal, sample_rate, args.kind, args.n_fft, args.hop, n_bins, title, args.out,
                                      center=args.center, f_min=f_min, f_max=f_max, save=saving, progress=True,
                                      mel_bands=args.mel_bands, **analysis_options(args))
    (frames, bins), (lowest, highest) = result.shape, result.levels
    entry = kinds[args.kind]
    unit = " dB" if entry.decibels else ""
    shape = f"{frames} frames x {bins} {entry.bin_label}"
    print(f"{entry.title}: {shape}, {lowest:.1f} to {highest:.1f}{unit} -> {args.out}")
    if save:
        print(f"array ({shape}, {'dB, ' if unit else ''}float32) -> {save}")
    return 0
