"""``kapre-like export``: a dB spectrogram front end for fixed-length mono input written as .keras, SavedModel,
TFLite (and ONNX), each reloaded and checked against the Keras model."""

import os

from .common import (BUILTIN_RATE, DEFAULT_OUT, CommandError, add_common_options, add_frequency_options,
                     check_audio_file, check_frequency_order, frequency_range, frontend_bins, library_errors, log_fmin,
                     native_output_silenced, positive_float, positive_int, require, writable_folder)

NAME = "export"
#: What ``export`` writes: .keras, a SavedModel folder, .tflite, .onnx.
EXPORT_FORMATS = ("keras", "savedmodel", "tflite", "onnx")
DEFAULT_FORMATS = EXPORT_FORMATS[:3]
#: The largest difference (dB) from the Keras model an exported model may show (exit status 1 from it on).
TOLERANCE_DB = 1e-2


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
    parser.add_argument("--seconds", type=positive_float, default=1.0, help="input length in s (default: 1)")
    parser.add_argument("--sample-rate", type=positive_int, default=BUILTIN_RATE, help="Hz (default: 16000)")
    parser.add_argument("--check", metavar="FILE",
                        help="audio file to compare the exported models on (its first --seconds, mixed to mono, "
                             "resampled to --sample-rate)")
    parser.add_argument("--format", nargs="+", choices=EXPORT_FORMATS, default=list(DEFAULT_FORMATS),
                        dest="formats", metavar="FORMAT",
                        help=f"one or more of {', '.join(EXPORT_FORMATS)} (default: keras savedmodel tflite)")
    parser.add_argument("--out", help=f"output folder (default: {DEFAULT_OUT}/export)")
    return parser


def check(args):
    if args.check:
        check_audio_file(args.check)
    check_frequency_order(args)
    args.out = args.out or os.path.join(DEFAULT_OUT, "export")
    writable_folder(args.out)
    args.formats = list(dict.fromkeys(args.formats))  # in the order given, once each
    if "onnx" in args.formats:
        require(["tf2onnx", "onnx", "onnxruntime"], "--format onnx needs {missing}: pip install \"kapre_like[onnx]\" "
                                                    "(from a clone: pip install -e \".[onnx]\")")
    return args


def _check_signal(args, n_samples):
    """(the samples the exported models are compared on, what they are)."""
    import numpy as np

    if args.check:
        from kapre_like.blockwise import load_audio

        with library_errors():
            samples, _ = load_audio(args.check, "mix", args.sample_rate)
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
        with native_output_silenced(not args.verbose):  # the TFLite converter's and interpreter's notes
            results = _export_frontend(args.frontend, n_samples, args.sample_rate, args.n_fft, args.hop, n_bins,
                                       args.out, check_samples, center=args.center, f_min=f_min, f_max=f_max,
                                       formats=args.formats)
    bins = f", {n_bins} bins" if n_bins else ""
    print(f"{args.frontend} front end{bins}: ({n_samples} samples at {args.sample_rate} Hz, 1 channel) -> dB "
          f"spectrogram; checked on {checked_on}")
    worst = 0.0
    for fmt, (path, difference) in results.items():
        print(f"  {fmt:10s} {path}  (reloaded; max difference from the Keras model {difference:.1e} dB)")
        worst = max(worst, difference)
    return 0 if worst < TOLERANCE_DB else 1


def _export_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, folder, check_signal, center=False,
                    f_min=None, f_max=None, formats=("keras", "savedmodel", "tflite")):
    """Write the front end in each of ``formats`` (``keras``, ``savedmodel``, ``tflite``, ``onnx``)
    into ``folder``; check each reloads.

    Returns ``{format: (path, max abs difference from the Keras model on check_signal)}``.
    """
    import warnings

    import keras
    import numpy as np
    import tensorflow as tf

    from kapre_like._files import replaced_on_success
    from kapre_like.blockwise import build_frontend

    built = dict(center=center, f_min=f_min, f_max=f_max)
    model = build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, **built)
    x = check_signal[None, :, None].astype(np.float32)
    expected = np.asarray(model(x))

    def difference(output):
        return float(np.max(np.abs(np.asarray(output) - expected)))

    results = {}
    for fmt in formats:
        if fmt == "keras":
            path = os.path.join(folder, f"{kind}_frontend.keras")
            model.save(path)
            results[fmt] = (path, difference(keras.models.load_model(path)(x)))
        elif fmt == "savedmodel":
            path = os.path.join(folder, f"{kind}_frontend_savedmodel")
            model.export(path, verbose=False)
            results[fmt] = (path, difference(tf.saved_model.load(path).serve(tf.constant(x))))
        elif fmt == "tflite":
            tflite_model = build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, tflite=True,
                                          **built)
            converter = tf.lite.TFLiteConverter.from_keras_model(tflite_model)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            path = os.path.join(folder, f"{kind}_frontend.tflite")
            with replaced_on_success(path) as temporary:
                with open(temporary, "wb") as handle:
                    handle.write(converter.convert())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
                interpreter = tf.lite.Interpreter(model_path=path)
            runner = interpreter.get_signature_runner()
            (input_name,) = runner.get_input_details()
            (output,) = runner(**{input_name: x}).values()
            results[fmt] = (path, difference(output))
        elif fmt == "onnx":
            import onnxruntime

            from kapre_like.onnx_export import export_onnx

            path = os.path.join(folder, f"{kind}_frontend.onnx")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the note on the STFT's route: the check below shows the numbers
                export_onnx(model, path)
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            (output,) = session.run(None, {session.get_inputs()[0].name: x})
            results[fmt] = (path, difference(output))
    return results

