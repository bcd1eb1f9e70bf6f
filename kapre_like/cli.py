"""Command-line tool: spectrogram pictures, the STFT round trip, and front-end export.

``kapre-like`` (or ``python -m kapre_like``) with no arguments runs all three on a built-in
signal (a rising chirp, two steady tones and a speech-like burst) and writes into
``kapre_like_out/``. Subcommands do one job each, on the built-in signal or an audio file
(WAV, FLAC, OGG; MP3 where libsndfile reads it)::

    kapre-like spectrogram [FILE] [--kind mel|stft|log] [--out PICTURE.png]
    kapre-like roundtrip   [FILE] [--n-fft N] [--hop H]
    kapre-like export      [--frontend mel|stft|log] [--out DIR]   # .keras, SavedModel, TFLite

Every subcommand has ``--help``. Errors (a missing or unreadable file, a bad parameter, an
output path that cannot be written) print one line saying what to do and exit with status 2.
"""

import argparse
import os
import sys

import numpy as np

PROG = "kapre-like"
DEFAULT_OUT = "kapre_like_out"
BUILTIN_RATE = 16000


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


# ----------------------------------------------------------------------------- inputs


def _positive_int(text):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be a positive integer, got {value}")
    return value


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"must be a positive number, got {text}")
    return value


def load_audio(path):
    """Mono float32 samples and sample rate of ``path``; CommandError naming the file otherwise."""
    from .encoder import AudioReadError
    from .encoder import load_audio as read

    try:
        samples, sample_rate = read(path)
    except FileNotFoundError:
        raise CommandError(f"no such audio file: {path!r}; give an existing WAV/FLAC/OGG file or none for the "
                           f"built-in signal") from None
    except AudioReadError as error:
        raise CommandError(f"{error}; is it a WAV, FLAC or OGG file?") from None
    if samples.shape[0] == 0:
        raise CommandError(f"audio file {path!r} has no samples")
    return samples.mean(axis=1), sample_rate


def _signal(args):
    """(samples, sample_rate, title) of the file in ``args.audio`` or the built-in signal."""
    if getattr(args, "audio", None):
        samples, sample_rate = load_audio(args.audio)
        return samples, sample_rate, os.path.basename(args.audio)
    from .synthetic import demo_signal

    return demo_signal(args.duration, BUILTIN_RATE), BUILTIN_RATE, "built-in signal (chirp, tones, speech)"


def _writable_file(path):
    folder = os.path.dirname(os.path.abspath(path))
    try:
        os.makedirs(folder, exist_ok=True)
        with open(path, "ab"):
            pass
    except OSError as error:
        raise CommandError(f"cannot write {path!r} ({error.strerror}); choose another --out") from None


def _writable_folder(path):
    try:
        os.makedirs(path, exist_ok=True)
        probe = os.path.join(path, ".kapre_like_write_test")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise CommandError(f"cannot write into folder {path!r} ({error.strerror}); choose another --out") from None


# ----------------------------------------------------------------------------- front ends


def build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, tflite=False, center=False):
    """A log-spectrogram front end, ``(batch, n_samples, 1)`` -> ``(batch, frames, bins, 1)`` in dB.

    ``kind``: 'mel', 'stft' (magnitude) or 'log' (log-frequency). With ``tflite`` the STFT and
    magnitude are the TFLite layers (same numbers, TFLite built-in ops only); with ``center``,
    frames centred on ``t * hop_length`` (librosa's default).
    """
    import keras

    from .time_frequency import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel
    from .time_frequency_tflite import MagnitudeTflite, STFTTflite

    layout = dict(input_data_format="channels_last", output_data_format="channels_last")
    stft_class, magnitude_class = (STFTTflite, MagnitudeTflite) if tflite else (STFT, Magnitude)
    layers = [keras.Input((n_samples, 1)), stft_class(n_fft=n_fft, hop_length=hop_length, center=center, **layout),
              magnitude_class()]
    n_freq = n_fft // 2 + 1
    if kind == "mel":
        layers.append(ApplyFilterbank("mel", {"sample_rate": sample_rate, "n_freq": n_freq, "n_mels": n_bins},
                                      data_format="channels_last"))
    elif kind == "log":
        layers.append(ApplyFilterbank("log", {"sample_rate": sample_rate, "n_freq": n_freq, "n_bins": n_bins},
                                      data_format="channels_last"))
    layers.append(MagnitudeToDecibel(stype="magnitude", dynamic_range=80.0))
    return keras.Sequential(layers, name=f"{kind}_frontend")


def _bin_frequencies(kind, sample_rate, n_fft, n_bins):
    """Centre frequency (Hz) of every output bin of a front end."""
    from . import filters

    if kind == "stft":
        return np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    if kind == "mel":
        import librosa

        return librosa.mel_frequencies(n_bins + 2, fmin=0.0, fmax=sample_rate / 2)[1:-1]
    return filters.C1_HZ * 2.0 ** (np.arange(n_bins) / 12.0)


# ----------------------------------------------------------------------------- jobs


def draw_spectrogram(samples, sample_rate, kind, n_fft, hop_length, n_bins, title, path, center=False):
    """Compute the ``kind`` log-spectrogram with kapre_like and save a labelled PNG. Returns it."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    try:
        frontend = build_frontend(kind, len(samples), sample_rate, n_fft, hop_length, n_bins, center=center)
    except ValueError as error:
        raise CommandError(str(error).splitlines()[0]) from None
    spectrogram = np.asarray(frontend(samples[None, :, None]))[0, :, :, 0]
    frequencies = _bin_frequencies(kind, sample_rate, n_fft, spectrogram.shape[1])
    # a frame's time is its centre: t * hop_length when centred, half a frame later otherwise
    seconds = (np.arange(spectrogram.shape[0]) * hop_length + (0 if center else n_fft / 2)) / sample_rate

    figure, axis = plt.subplots(figsize=(10, 4.5))
    image = axis.pcolormesh(seconds, np.arange(len(frequencies)), spectrogram.T, cmap="magma", shading="nearest")
    ticks = np.linspace(0, len(frequencies) - 1, 8).round().astype(int)
    axis.set_yticks(ticks)
    axis.set_yticklabels([f"{frequencies[t]:.0f}" for t in ticks])
    scale = {"mel": "mel scale", "stft": "linear scale", "log": "log scale"}[kind]
    axis.set_ylabel(f"frequency (Hz, {scale})")
    axis.set_xlabel("time (s)")
    axis.set_title(f"{ {'mel': 'log-mel', 'stft': 'STFT magnitude', 'log': 'log-frequency'}[kind]} spectrogram: {title}")
    figure.colorbar(image, ax=axis, label="dB")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return spectrogram


def round_trip(samples, n_fft, hop_length, center=False):
    """(max abs error, SNR in dB) of samples -> STFT -> inverse STFT with the perfect pair (centred
    frames with ``center``: the pair then gives the samples back with no trimming)."""
    from .composed import get_perfectly_reconstructing_stft_istft

    try:
        stft, istft = get_perfectly_reconstructing_stft_istft(
            stft_input_shape=(len(samples), 1), n_fft=n_fft, hop_length=hop_length, center=center,
            waveform_data_format="channels_last", stft_data_format="channels_last")
    except ValueError as error:
        raise CommandError(str(error).splitlines()[0]) from None
    y = np.asarray(istft(stft(samples[None, :, None])))[0, :, 0]
    trim = 0 if center else n_fft - hop_length
    error = y[trim:trim + len(samples)].astype(np.float64) - samples
    snr = 10 * np.log10(np.sum(samples.astype(np.float64) ** 2) / max(np.sum(error**2), 1e-300))
    return float(np.max(np.abs(error))), float(snr)


def export_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, folder, check_signal, center=False):
    """Write the front end as .keras, SavedModel and TFLite into ``folder``; check each reloads.

    Returns ``{format: (path, max abs difference from the Keras model on check_signal)}``.
    """
    import keras
    import tensorflow as tf

    model = build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, center=center)
    x = check_signal[None, :, None].astype(np.float32)
    expected = np.asarray(model(x))
    results = {}

    keras_path = os.path.join(folder, f"{kind}_frontend.keras")
    model.save(keras_path)
    results["keras"] = (keras_path, float(np.max(np.abs(np.asarray(keras.models.load_model(keras_path)(x)) - expected))))

    saved_path = os.path.join(folder, f"{kind}_frontend_savedmodel")
    model.export(saved_path, verbose=False)
    served = tf.saved_model.load(saved_path).serve(tf.constant(x))
    results["savedmodel"] = (saved_path, float(np.max(np.abs(np.asarray(served) - expected))))

    tflite_model = build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, tflite=True, center=center)
    converter = tf.lite.TFLiteConverter.from_keras_model(tflite_model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    tflite_path = os.path.join(folder, f"{kind}_frontend.tflite")
    with open(tflite_path, "wb") as handle:
        handle.write(converter.convert())
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
        interpreter = tf.lite.Interpreter(model_path=tflite_path)
    runner = interpreter.get_signature_runner()
    (input_name,) = runner.get_input_details()
    (output,) = runner(**{input_name: x}).values()
    results["tflite"] = (tflite_path, float(np.max(np.abs(output - expected))))
    return results


# ----------------------------------------------------------------------------- commands


def _cmd_spectrogram(args):
    samples, sample_rate, title = _signal(args)
    path = args.out or os.path.join(DEFAULT_OUT, f"{args.kind}_spectrogram.png")
    _writable_file(path)
    print(f"input: {title}, {len(samples)} samples at {sample_rate} Hz ({len(samples) / sample_rate:.2f} s)")
    spectrogram = draw_spectrogram(samples, sample_rate, args.kind, args.n_fft, args.hop, args.bins, title, path,
                                   center=args.center)
    print(f"{args.kind} spectrogram: {spectrogram.shape[0]} frames x {spectrogram.shape[1]} bins, "
          f"{spectrogram.min():.1f} to {spectrogram.max():.1f} dB -> {path}")
    return 0


def _cmd_roundtrip(args):
    samples, sample_rate, title = _signal(args)
    max_error, snr = round_trip(samples, args.n_fft, args.hop, center=args.center)
    ok = snr > 100.0
    frames = ", centred frames" if args.center else ""
    print(f"STFT -> inverse STFT of {title} (n_fft {args.n_fft}, hop {args.hop}{frames}): max abs error "
          f"{max_error:.2e}, "
          f"SNR {snr:.1f} dB [{'ok' if ok else 'FAILED: SNR below 100 dB'}]")
    return 0 if ok else 1


def _cmd_export(args):
    folder = args.out or os.path.join(DEFAULT_OUT, "export")
    _writable_folder(folder)
    from .synthetic import demo_signal

    n_samples = int(round(args.seconds * args.sample_rate))
    check = demo_signal(args.seconds, args.sample_rate)[:n_samples]
    try:
        results = export_frontend(args.frontend, n_samples, args.sample_rate, args.n_fft, args.hop, args.bins, folder,
                                  check, center=args.center)
    except ValueError as error:
        raise CommandError(str(error).splitlines()[0]) from None
    print(f"{args.frontend} front end: ({n_samples} samples at {args.sample_rate} Hz, 1 channel) -> dB spectrogram")
    worst = 0.0
    for fmt, (path, difference) in results.items():
        print(f"  {fmt:10s} {path}  (reloaded; max difference from the Keras model {difference:.1e} dB)")
        worst = max(worst, difference)
    return 0 if worst < 1e-2 else 1


def _cmd_demo(args):
    os.makedirs(DEFAULT_OUT, exist_ok=True)
    for kind in ("mel", "stft", "log"):
        _cmd_spectrogram(argparse.Namespace(**{**vars(args), "kind": kind, "out": None, "bins": None
                                               if kind == "stft" else (128 if kind == "mel" else 84)}))
    status = _cmd_roundtrip(args)
    return max(status, _cmd_export(argparse.Namespace(**{**vars(args), "frontend": "mel", "out": None, "bins": 128,
                                                          "seconds": 1.0, "sample_rate": BUILTIN_RATE})))


def _parser():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                     epilog="With no subcommand: all three jobs on the built-in signal.")

    def common(sub, audio=True, duration=True, top=False):
        # a subcommand's options default to "not given", so that one given before the subcommand
        # (kapre-like --n-fft 2048 spectrogram ...) is kept, not overwritten by the subcommand's default
        default = (lambda value: value) if top else (lambda value: argparse.SUPPRESS)
        if audio:
            sub.add_argument("audio", nargs="?", help="audio file (WAV, FLAC, OGG); default: the built-in signal")
        if duration:
            sub.add_argument("--duration", type=_positive_float, default=default(3.0),
                             help="length of the built-in signal in seconds (default: 3.0)")
        sub.add_argument("--n-fft", type=_positive_int, default=default(1024), help="FFT size in samples (default: 1024)")
        sub.add_argument("--hop", type=_positive_int, default=default(256), help="hop in samples (default: 256)")
        sub.add_argument("--center", action="store_true", default=default(False),
                         help="frames centred on t * hop (n_fft // 2 zeros padded at both ends), as librosa and torch")

    common(parser, audio=False, top=True)
    commands = parser.add_subparsers(dest="command", metavar="{spectrogram,roundtrip,export}")

    spectrogram = commands.add_parser("spectrogram", help="draw a spectrogram to a PNG",
                                      description="Draw the log-mel, STFT or log-frequency spectrogram (dB) of a file "
                                                  "or the built-in signal to a PNG with time and frequency axes.")
    common(spectrogram)
    spectrogram.add_argument("--kind", choices=["mel", "stft", "log"], default="mel",
                             help="mel (default), stft (linear frequency) or log (log-frequency)")
    spectrogram.add_argument("--bins", type=_positive_int, default=None,
                             help="mel bands (default 128) or log-frequency bins (default 84)")
    spectrogram.add_argument("--out", help=f"PNG path (default: {DEFAULT_OUT}/<kind>_spectrogram.png)")
    spectrogram.set_defaults(run=_cmd_spectrogram)

    roundtrip = commands.add_parser("roundtrip", help="check STFT -> inverse STFT reconstruction",
                                    description="Run the perfectly reconstructing STFT/inverse-STFT pair and print "
                                                "the reconstruction error and SNR (exit status 1 below 100 dB).")
    common(roundtrip)
    roundtrip.set_defaults(run=_cmd_roundtrip)

    export = commands.add_parser("export", help="export a front end to .keras, SavedModel and TFLite",
                                 description="Build a dB spectrogram front end for fixed-length mono input and write "
                                             "it as .keras, SavedModel and TFLite (built-in ops only), each reloaded "
                                             "and checked against the Keras model.")
    common(export, audio=False, duration=False)
    export.add_argument("--frontend", choices=["mel", "stft", "log"], default="mel", help="default: mel")
    export.add_argument("--bins", type=_positive_int, default=128, help="mel or log-frequency bins (default: 128)")
    export.add_argument("--seconds", type=_positive_float, default=1.0, help="input length in s (default: 1)")
    export.add_argument("--sample-rate", type=_positive_int, default=BUILTIN_RATE, help="Hz (default: 16000)")
    export.add_argument("--out", help=f"output folder (default: {DEFAULT_OUT}/export)")
    export.set_defaults(run=_cmd_export)
    return parser


def main(argv=None):
    """Run the tool; returns the exit status (0 ok, 1 a check failed, 2 a usage error)."""
    args = _parser().parse_args(argv)
    if getattr(args, "bins", 0) is None:
        args.bins = 84 if args.kind == "log" else 128
    try:
        return args.run(args) if args.command else _cmd_demo(args)
    except CommandError as error:
        print(f"{PROG}: error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
