"""``kapre-like export``: a dB spectrogram front end for fixed-length mono input written as .keras, SavedModel,
TFLite (and ONNX), each reloaded and checked against the Keras model."""

import os

from .common import (BUILTIN_RATE, CommandError, DEFAULT_OUT, add_common_options, add_frequency_options,
                     add_preset_option, analysis_options, check_audio_file, check_frequency_order, check_preset_window,
                     frequency_range, frontend_bins, library_errors, light_library_module, log_fmin,
                     native_output_silenced, positive_float, positive_int, progress_bar, require, terminal,
                     writable_folder)

NAME = "export"
#: What ``export`` writes unless ``--format`` says (the others need optional packages).
DEFAULT_FORMATS = ("keras", "savedmodel", "tflite")
#: The largest difference (dB) from the Keras model an exported model may show (exit status 1 from it on).
TOLERANCE_DB = 1e-2


def export_formats():
    """The export formats, by name: the library's registry (:data:`kapre_like.exporting.FORMATS`, no TensorFlow)."""
    return light_library_module("exporting").FORMATS


class _RegisteredFormats:
    """``--format``'s choices: the registry's names, read when argparse asks (a ``--format`` value, the help), so
    that the tool's other answers do not wait for the library's import of NumPy."""

    def __contains__(self, name):
        return name in export_formats()

    def __iter__(self):
        return iter(export_formats())


def add_parser(commands):
    parser = commands.add_parser(NAME, help="export a front end to .keras, SavedModel, TFLite (and ONNX)",
                                 description="Build a dB spectrogram front end for fixed-length mono input and write "
                                             "it as .keras, SavedModel and TFLite (built-in ops only), or the "
                                             "--format(s) given (onnx: run in onnxruntime; needs pip install "
                                             "\"kapre_like[onnx]\"), each reloaded and checked against the Keras "
                                             "model (on the built-in signal, or on the start of --check FILE).")
    add_common_options(parser, audio=False, duration=False)
    parser.add_argument("--frontend", choices=["mel", "stft", "log"], default="mel", help="default: mel")
    parser.add_argument("--bins", type=positive_int, default=None,
                        help="mel bands (default 128) or log-frequency bins (default 84, fewer when they would pass "
                             "half the sample rate)")
    add_frequency_options(parser)
    add_preset_option(parser)
    parser.add_argument("--seconds", type=positive_float, default=1.0, help="input length in s (default: 1)")
    parser.add_argument("--sample-rate", type=positive_int, default=None,
                        help=f"Hz (default: {BUILTIN_RATE}, or the --preset's)")
    parser.add_argument("--check", metavar="FILE",
                        help="audio file to compare the exported models on (its first --seconds, mixed to mono, "
                             "resampled to --sample-rate)")
    parser.add_argument("--format", nargs="+", choices=_RegisteredFormats(), default=list(DEFAULT_FORMATS),
                        dest="formats", metavar="FORMAT",
                        help=f"one or more of %(choices)s (default: {' '.join(DEFAULT_FORMATS)})")
    parser.add_argument("--out", help=f"output folder (default: {DEFAULT_OUT}/export)")
    return parser


def check(args):
    args.sample_rate = args.sample_rate or BUILTIN_RATE  # (a --preset has set its own)
    check_preset_window(args)
    if args.check:
        check_audio_file(args.check)
    check_frequency_order(args)
    args.out = args.out or os.path.join(DEFAULT_OUT, "export")
    writable_folder(args.out)
    args.formats = list(dict.fromkeys(args.formats))  # in the order given, once each
    for name in args.formats:
        entry = export_formats()[name]
        require(entry.packages, f"--format {name} needs {{missing}}: pip install \"kapre_like[{entry.extra}]\" (from a "
                                f"clone: pip install -e \".[{entry.extra}]\")")
    return args


def _check_signal(args, n_samples):
    """(the samples the exported models are compared on, what they are)."""
    import numpy as np

    if args.check:
        from kapre_like.audio_io import load_audio

        with library_errors():
            samples, _ = load_audio(args.check, args.sample_rate, "mix")
        checked_on = f"the first {args.seconds:g} s of {os.path.basename(args.check)}" + (
            f" (it has {len(samples)} samples at {args.sample_rate} Hz: zero-padded)" if len(samples) < n_samples else "")
        return np.pad(samples[:n_samples], (0, max(0, n_samples - len(samples)))), checked_on
    from kapre_like.synthetic import demo_signal

    return demo_signal(args.seconds, args.sample_rate)[:n_samples], "the built-in signal"


def run(args):
    n_samples = int(round(args.seconds * args.sample_rate))
    check_samples, checked_on = _check_signal(args, n_samples)
    if not args.center and n_samples < args.n_fft:
        raise CommandError(f"--seconds {args.seconds:g} at {args.sample_rate} Hz gives {n_samples} samples, fewer "
                           f"than one --n-fft frame of {args.n_fft}; give more --seconds or a smaller --n-fft")
    f_min, f_max = frequency_range(args, args.sample_rate)
    f_min = log_fmin(args.frontend, args.sample_rate, args.n_fft, args.bins, f_min, f_max)
    n_bins = frontend_bins(args.frontend, args.sample_rate, args.bins, f_min, f_max)
    with library_errors():
        results = _export_frontend(args, n_samples, n_bins, f_min, f_max, check_samples)
    bins = f", {n_bins} bins" if n_bins else ""
    print(f"{args.frontend} front end{bins}: ({n_samples} samples at {args.sample_rate} Hz, 1 channel) -> dB "
          f"spectrogram; checked on {checked_on}")
    worst = 0.0
    for fmt, (path, difference) in results.items():  # ExportResult: (path, max_difference)
        print(f"  {fmt:10s} {path}  (reloaded; max difference from the Keras model {difference:.1e} dB)")
        worst = max(worst, difference)
    return 0 if worst < TOLERANCE_DB else 1



def _export_frontend(args, n_samples, n_bins, f_min, f_max, check_samples):
    """The front end of ``args`` written in each ``--format`` by :func:`kapre_like.export`, each reloaded and run on
    ``check_samples``; its TFLite file converted from the twin built of the ``*Tflite`` layers."""
    import warnings

    import numpy as np

    from kapre_like import export
    from kapre_like.blockwise import build_frontend

    def frontend(tflite=False):
        return build_frontend(args.frontend, n_samples, args.sample_rate, args.n_fft, args.hop, n_bins, tflite=tflite,
                              center=args.center, f_min=f_min, f_max=f_max, **analysis_options(args))

    model, check = frontend(), check_samples[None, :, None].astype(np.float32)
    twin = {"tflite_model": frontend(tflite=True)} if "tflite" in args.formats else {}
    results = {}
    with terminal() as stream:
        bar = progress_bar(stream, "format") if len(args.formats) > 1 else None
        with native_output_silenced(not args.verbose), warnings.catch_warnings():  # the TFLite converter's notes
            if "onnx" in args.formats:
                warnings.simplefilter("ignore")  # the ONNX exporter's note on the STFT's route: the check shows it
            for done, name in enumerate(args.formats):  # one at a time, for the bar
                if bar is not None:
                    bar(done, len(args.formats))
                results.update(export(model, args.out, formats=[name], check=check,
                                      **(twin if name == "tflite" else {})))
            if bar is not None:
                bar(len(args.formats), len(args.formats))
    return results
