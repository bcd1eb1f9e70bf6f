"""Command-line tool: spectrogram pictures, the STFT round trip, and front-end export.

``kapre-like`` (or ``python -m kapre_like_cli``; ``python -m kapre_like`` works too but imports the
library, and TensorFlow, before reading its arguments) with no arguments runs the first three on a built-in
signal (a rising chirp, two steady tones and a speech-like burst) and writes into
``kapre_like_out/``. Subcommands do one job each, on the built-in signal or an audio file
(WAV, FLAC, OGG; MP3 where libsndfile reads it)::

    kapre-like spectrogram [FILE] [--kind mel|stft|log] [--out PICTURE.png] [--save ARRAY.npy]
    kapre-like roundtrip   [FILE] [--n-fft N] [--hop H]
    kapre-like reconstruct [FILE] [--from mel|stft] [--n-iter N] [--out AUDIO.wav]  # Griffin-Lim
    kapre-like export      [--frontend mel|stft|log] [--format ...] [--out DIR] [--check FILE]  # .keras, SavedModel, TFLite, ONNX
    kapre-like encode      'data/**/*.flac' --out SHARDS/ [--workers N] [-- BEAM OPTIONS]  # a corpus to TFRecord shards

Every subcommand has ``--help``. Errors (a missing or unreadable file, a bad parameter, an
output path that cannot be written) print one line saying what to do and exit with status 2.

This module is the tool's front door and imports nothing heavy: help, argument errors and
missing files are answered before TensorFlow is imported (which takes seconds). The jobs live
in :mod:`kapre_like.cli`. The tool owns its process: unless ``TF_CPP_MIN_LOG_LEVEL`` is set
(or ``--verbose`` is given) TensorFlow's native log is kept off the terminal, and warnings
print as one line each. ``import kapre_like`` changes none of this.
"""

import argparse
import contextlib
import os
import sys
import warnings

PROG = "kapre-like"
DEFAULT_OUT = "kapre_like_out"
BUILTIN_RATE = 16000
#: What ``export`` writes: .keras, a SavedModel folder, .tflite, .onnx.
EXPORT_FORMATS = ("keras", "savedmodel", "tflite", "onnx")

#: Picture formats the tool writes (matplotlib's, by extension).
PICTURE_FORMATS = ("png", "pdf", "svg", "jpg", "jpeg")
#: Defaults of the options only subcommands have (see ``_parser``).
SUBCOMMAND_DEFAULTS = {"channel": "mix", "sr": None}
#: Audio formats ``reconstruct`` writes (soundfile's, by extension).
AUDIO_FORMATS = ("wav", "flac", "ogg")
#: Default bins of each front end (the log-frequency one: semitones from C1, at most 7 octaves).
DEFAULT_BINS = {"mel": 128, "log": 84, "stft": None}


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


# ----------------------------------------------------------------------------- argument types


def _int_at_least(text, minimum, allowed):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
    return value


def _positive_int(text):
    return _int_at_least(text, 1, "a positive integer")


def _float_at_least(text, lowest, allowed):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
    if not (lowest(value) and value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
    return value


def _non_negative_float(text):
    return _float_at_least(text, lambda value: value >= 0, "a finite number >= 0")


def _positive_float(text):
    return _float_at_least(text, lambda value: value > 0, "a positive number")


def _channel(text):
    return text if text == "mix" else _int_at_least(text, 0, "'mix' or a channel number (0, 1, ...)")


# ----------------------------------------------------------------------------- checks before TensorFlow


def check_audio_file(path):
    """One-line CommandError for a file that is missing, a folder, or not audio (soundfile reads the header)."""
    if os.path.isdir(path):
        raise CommandError(f"{path!r} is a folder, not an audio file; give one WAV/FLAC/OGG file")
    if not os.path.isfile(path):
        raise CommandError(f"no such audio file: {path!r}; give an existing WAV/FLAC/OGG file or none for the "
                           f"built-in signal")
    import soundfile

    try:
        info = soundfile.info(path)
    except Exception as error:  # soundfile raises RuntimeError, LibsndfileError, ...: all mean "cannot decode"
        raise CommandError(f"cannot read audio file {path!r}: {' '.join(str(error).split())}; is it a WAV, FLAC or "
                           f"OGG file?") from None
    if info.frames == 0:
        raise CommandError(f"audio file {path!r} has no samples")


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


def writable_folder(folder, option="--out"):
    """Create ``folder`` if needed and check that a file can be written in it."""
    try:
        os.makedirs(folder or ".", exist_ok=True)
        probe = os.path.join(folder or ".", f".kapre_like_write_test_{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise CommandError(f"cannot write into folder {folder!r} ({error.strerror}); choose another {option}") from None


@contextlib.contextmanager
def replaced_on_success(path):
    """Yield a temporary name next to ``path``; on success it becomes ``path``, on failure it is removed
    (a failed run leaves no empty or partial file behind)."""
    folder, name = os.path.split(path)
    stem, extension = os.path.splitext(name)
    temporary = os.path.join(folder, f".{stem}.{os.getpid()}.partial{extension}")
    try:
        yield temporary
        os.replace(temporary, path)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)


# ----------------------------------------------------------------------------- the process's output


@contextlib.contextmanager
def native_output_silenced(enabled=True):
    """Send what native code (TensorFlow's C++ log, TFLite's, Keras's export notes) writes to the
    process's stdout and stderr to /dev/null while the block runs. Python exceptions pass through."""
    if not enabled:
        yield
        return
    sys.stdout.flush()
    sys.stderr.flush()
    saved = [os.dup(1), os.dup(2)]
    with open(os.devnull, "w") as null:
        os.dup2(null.fileno(), 1)
        os.dup2(null.fileno(), 2)
    try:
        with contextlib.redirect_stdout(open(os.devnull, "w")) as python_out:
            try:
                yield
            finally:
                python_out.close()
    finally:
        sys.stdout.flush()
        os.dup2(saved[0], 1)
        os.dup2(saved[1], 2)
        for descriptor in saved:
            os.close(descriptor)


def _one_line_warning(message, category, filename, lineno, file=None, line=None):
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=file or sys.stderr)


def start_tensorflow(verbose=False):
    """Import the jobs (and with them TensorFlow), its start-up log silenced unless asked for."""
    if not verbose and "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ log after start-up: errors that matter only
    quiet = not verbose and os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "3"
    with native_output_silenced(quiet):  # the lines before absl's log starts ignore the level
        from kapre_like import cli
    return cli


# ----------------------------------------------------------------------------- arguments


def _parser():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                     epilog="With no subcommand: all three jobs on the built-in signal.")

    def common(sub, audio=True, duration=True, top=False):
        # a subcommand's options default to "not given", so that one given before the subcommand
        # (kapre-like --n-fft 2048 spectrogram ...) is kept, not overwritten by the subcommand's default;
        # main() fills in the defaults of those still missing
        def default(value):
            return value if top else argparse.SUPPRESS
        if audio:
            sub.add_argument("audio", nargs="?", help="audio file (WAV, FLAC, OGG); default: the built-in signal")
            sub.add_argument("--channel", type=_channel, default=argparse.SUPPRESS,
                             help="channel of a multichannel file: 0, 1, ... or 'mix' (their mean; the default)")
            sub.add_argument("--sr", type=_positive_int, default=argparse.SUPPRESS,
                             help="resample the file to this rate in Hz first (soxr); default: the file's rate")
        if duration:
            sub.add_argument("--duration", type=_positive_float, default=default(3.0),
                             help="length of the built-in signal in seconds (default: 3.0)")
        sub.add_argument("--n-fft", type=_positive_int, default=default(1024), help="FFT size in samples (default: 1024)")
        sub.add_argument("--hop", type=_positive_int, default=default(256), help="hop in samples (default: 256)")
        sub.add_argument("--center", action="store_true", default=default(False),
                         help="frames centred on t * hop (n_fft // 2 zeros padded at both ends), as librosa and torch")
        sub.add_argument("-v", "--verbose", action="store_true", default=default(False),
                         help="show TensorFlow's own log (hidden by default)")

    def frequencies(sub):
        sub.add_argument("--fmin", type=_non_negative_float, default=None,
                         help="lowest frequency in Hz (mel: lower edge, default 0; log: lowest bin's centre, "
                              "default C1 = 32.7 Hz, or the lowest C from which no bin falls between the FFT's; stft: "
                              "lowest row shown)")
        sub.add_argument("--fmax", type=_positive_float, default=None,
                         help="highest frequency in Hz (default: half the sample rate; log: bins stop below it)")

    common(parser, audio=False, top=True)
    commands = parser.add_subparsers(dest="command", metavar="{spectrogram,roundtrip,reconstruct,export,encode}")

    spectrogram = commands.add_parser("spectrogram", help="draw a spectrogram to a PNG",
                                      description="Draw the log-mel, STFT or log-frequency spectrogram (dB) of a file "
                                                  "or the built-in signal to a picture with time and frequency axes.")
    common(spectrogram)
    spectrogram.add_argument("--kind", choices=["mel", "stft", "log"], default="mel",
                             help="mel (default), stft (linear frequency) or log (log-frequency)")
    spectrogram.add_argument("--bins", type=_positive_int, default=None,
                             help="mel bands (default 128) or log-frequency bins (default 84, fewer when the top "
                                  "ones would pass --fmax or half the sample rate)")
    frequencies(spectrogram)
    spectrogram.add_argument("--out", help=f"picture path, .png (added when missing), .pdf, .svg or .jpg; a folder "
                                           f"gets <kind>_spectrogram.png (default: {DEFAULT_OUT}/<kind>_spectrogram.png)")
    spectrogram.add_argument("--save", metavar="ARRAY.npy",
                             help="also save the spectrogram (frames x bins, dB, float32) with numpy.save")
    spectrogram.set_defaults(job="spectrogram")

    roundtrip = commands.add_parser("roundtrip", help="check STFT -> inverse STFT reconstruction",
                                    description="Run the perfectly reconstructing STFT/inverse-STFT pair and print "
                                                "the reconstruction error and SNR (exit status 1 below 100 dB).")
    common(roundtrip)
    roundtrip.set_defaults(job="roundtrip")

    reconstruct = commands.add_parser("reconstruct", help="audio back from its mel (or magnitude) spectrogram",
                                      description="Take the mel spectrogram (or the STFT magnitude) of a file or the "
                                                  "built-in signal, rebuild audio from it with the inverse mel scale "
                                                  "and Griffin-Lim, write it, and report the spectral convergence and "
                                                  "SNR of its magnitudes.")
    common(reconstruct)
    reconstruct.add_argument("--from", dest="source", choices=["mel", "stft"], default="mel",
                             help="mel (default: mel spectrogram, magnitudes) or stft (the STFT magnitude)")
    reconstruct.add_argument("--bins", type=_positive_int, default=None, help="mel bands (default 128)")
    reconstruct.add_argument("--n-iter", type=_positive_int, default=32, help="Griffin-Lim iterations (default 32)")
    reconstruct.add_argument("--out", help=f"audio path, .wav, .flac or .ogg (default: {DEFAULT_OUT}/reconstructed.wav)")
    reconstruct.set_defaults(job="reconstruct")

    export = commands.add_parser("export", help="export a front end to .keras, SavedModel, TFLite (and ONNX)",
                                 description="Build a dB spectrogram front end for fixed-length mono input and write "
                                             "it as .keras, SavedModel and TFLite (built-in ops only), or the "
                                             "--format(s) given (onnx: run in onnxruntime; needs pip install "
                                             "\"kapre_like[onnx]\"), each reloaded and checked against the Keras "
                                             "model (on the built-in signal, or on the start of --check FILE).")
    common(export, audio=False, duration=False)
    export.add_argument("--frontend", choices=["mel", "stft", "log"], default="mel", help="default: mel")
    export.add_argument("--bins", type=_positive_int, default=None,
                        help="mel bands (default 128) or log-frequency bins (default 84, fewer when they would pass "
                             "half the sample rate)")
    frequencies(export)
    export.add_argument("--seconds", type=_positive_float, default=1.0, help="input length in s (default: 1)")
    export.add_argument("--sample-rate", type=_positive_int, default=BUILTIN_RATE, help="Hz (default: 16000)")
    export.add_argument("--check", metavar="FILE",
                        help="audio file to compare the exported models on (its first --seconds, mixed to mono, "
                             "resampled to --sample-rate)")
    export.add_argument("--format", nargs="+", choices=EXPORT_FORMATS, default=list(EXPORT_FORMATS[:3]),
                        dest="formats", metavar="FORMAT",
                        help=f"one or more of {', '.join(EXPORT_FORMATS)} (default: keras savedmodel tflite)")
    export.add_argument("--out", help=f"output folder (default: {DEFAULT_OUT}/export)")
    export.set_defaults(job="export")

    encode = commands.add_parser(
        "encode", help="encode a corpus of audio files into spectrogram TFRecord shards (Apache Beam)",
        description="Encode audio files with AudioSpectrogramEncoder in an Apache Beam pipeline and write the "
                    "spectrograms as sharded TFRecord files, with spec.json (features, encoder settings, counts) and "
                    "dead_letters.jsonl (files that could not be read) next to them; read them back with "
                    "kapre_like.read_shards(OUT). Runs on this machine's cores by default (Beam's DirectRunner); "
                    "Beam options after -- choose another runner. Needs pip install \"kapre_like[beam]\".",
        epilog="Examples: kapre-like encode 'data/**/*.flac' --out shards/ --workers 4; on Flink: kapre-like encode "
               "'/shared/data/**/*.wav' --out /shared/shards -- --runner=FlinkRunner --flink_master=localhost:8081 "
               "--environment_type=LOOPBACK")
    encode.add_argument("files", nargs="+", metavar="FILES",
                        help="a folder (its audio files at any depth), a glob in quotes ('data/**/*.flac'; ** for any "
                             "depth) or audio files (WAV, FLAC, OGG)")
    encode.add_argument("--out", required=True, help="output folder for the shards (created if needed)")
    encode.add_argument("--workers", type=_positive_int, default=None,
                        help=f"local worker processes (default: one per CPU core, {os.cpu_count() or 1} here)")
    encode.add_argument("--shards", type=lambda text: _int_at_least(text, 0, "an integer >= 0"), default=0,
                        help="TFRecord files to write (default 0: the runner decides)")
    encode.add_argument("--sample-rate", type=_positive_int, default=BUILTIN_RATE,
                        help="the encoder's rate in Hz; files are resampled to it (default: 16000)")
    encode.add_argument("--window", type=_positive_float, default=25.0, help="window length in ms (default: 25)")
    encode.add_argument("--offset", type=_positive_float, default=None,
                        help="step between windows in ms (default: a third of the window)")
    encode.add_argument("--target-length", type=_positive_float, default=None,
                        help="pad or cut every file to this many seconds (default: each file's own length)")
    encode.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show Beam's and TensorFlow's own log (hidden by default)")
    encode.set_defaults(job="encode", beam_args=[])
    return parser


#: Extensions of audio files besides libsndfile's format names (``soundfile.available_formats()``).
AUDIO_ALIASES = ("AIF", "OGA", "OPUS")


def is_audio_name(path):
    """Whether ``path`` ends like an audio file libsndfile reads (.wav, .flac, .ogg, .mp3, .aiff, ...)."""
    import soundfile

    extension = os.path.splitext(path.rstrip("/" + os.sep))[1].lstrip(".").upper()
    # RAW is a format libsndfile reads only when told the rate and encoding: not a file to pick up
    return extension in AUDIO_ALIASES or (extension != "RAW" and extension in soundfile.available_formats())


def audio_files_in(folder):
    """The audio files (by extension, :func:`is_audio_name`) in ``folder`` at any depth, sorted; hidden ones
    (``.name``, such as macOS's ``._clip.wav``) left out."""
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [os.path.join(root, name) for name in names if not name.startswith(".") and is_audio_name(name)]
    return sorted(found)


def _audio_files(specs):
    """The files ``encode`` would read (a folder, a glob or a list), checked here so that a typo is answered at once."""
    import glob

    if len(specs) == 1 and "://" not in specs[0] and os.path.isdir(specs[0]):
        folder = specs[0]
        if is_audio_name(folder) and not folder.endswith(("/", os.sep)):  # dir.wav: a typo for a file, most likely
            raise CommandError(f"{folder!r} is a folder, not an audio file; to encode the audio files in it, give "
                               f"{folder + os.sep!r} (with the slash)")
        if not audio_files_in(folder):
            raise CommandError(f"no audio files in folder {folder!r} (.wav, .flac, .ogg, .mp3, .aiff, ... at any "
                               f"depth); give a folder or a glob in quotes such as 'data/**/*.flac'")
        return folder
    if len(specs) == 1 and "://" not in specs[0]:
        matched = glob.glob(os.path.expanduser(specs[0]), recursive=True)
        if not any(os.path.isfile(path) for path in matched):
            folders = (f" (only the folder {matched[0]!r}" + (f" and {len(matched) - 1} more)" if matched[1:] else ")")
                       if matched else "")
            raise CommandError(f"no audio files match {specs[0]!r}{folders}; give a glob in quotes such as "
                               f"'data/**/*.flac' (** for any depth), a folder or files")
        return specs[0]
    for path in specs:
        if "://" not in path and os.path.isdir(path):
            raise CommandError(f"{path!r} is a folder, not an audio file; give the folder alone or a glob such as "
                               f"'{os.path.join(path, '**', '*.wav')}'")
        if "://" not in path and not os.path.isfile(path):
            raise CommandError(f"no such audio file: {path!r}")
    return list(specs)


def _checked(args):
    """Checks that need no TensorFlow: input files, output paths, frequency ranges."""
    for option, path in (("FILE", getattr(args, "audio", None)), ("--check", getattr(args, "check", None))):
        if path:
            check_audio_file(path)
    fmin, fmax = getattr(args, "fmin", None), getattr(args, "fmax", None)
    if fmin is not None and fmax is not None and fmin >= fmax:
        raise CommandError(f"--fmin {fmin:g} Hz must be below --fmax {fmax:g} Hz")
    if args.job in ("spectrogram", "demo"):
        import importlib.util

        if importlib.util.find_spec("matplotlib") is None:  # found now, not after TensorFlow's seconds of start-up
            raise CommandError("drawing spectrograms needs matplotlib: pip install \"kapre_like[cli]\" (from a clone: "
                               "pip install -e \".[cli]\")")
    if args.job == "spectrogram":
        args.out = picture_path(args.out, args.kind)
        writable_folder(os.path.dirname(os.path.abspath(args.out)))
        if args.save:
            if not args.save.endswith(".npy"):
                args.save += ".npy"  # what numpy.save writes
            writable_folder(os.path.dirname(os.path.abspath(args.save)), "--save")
    elif args.job == "reconstruct":
        args.out = args.out or os.path.join(DEFAULT_OUT, "reconstructed.wav")
        extension = os.path.splitext(args.out)[1].lower().lstrip(".")
        if extension not in AUDIO_FORMATS:
            raise CommandError(f"cannot write audio as {'.' + extension if extension else 'a file without extension'} "
                               f"({args.out!r}); give --out a {', '.join('.' + f for f in AUDIO_FORMATS)} path")
        writable_folder(os.path.dirname(os.path.abspath(args.out)))
    elif args.job == "export":
        args.out = args.out or os.path.join(DEFAULT_OUT, "export")
        writable_folder(args.out)
        args.formats = list(dict.fromkeys(args.formats))  # in the order given, once each
        if "onnx" in args.formats:
            import importlib.util

            missing = [name for name in ("tf2onnx", "onnx", "onnxruntime") if importlib.util.find_spec(name) is None]
            if missing:
                raise CommandError(f"--format onnx needs {', '.join(missing)}: pip install \"kapre_like[onnx]\" "
                                   f"(from a clone: pip install -e \".[onnx]\")")
    elif args.job == "encode":
        import importlib.util

        if importlib.util.find_spec("apache_beam") is None:
            raise CommandError("encode needs Apache Beam: pip install \"kapre_like[beam]\" (from a clone: pip install "
                               "-e \".[beam]\")")
        args.files = _audio_files(args.files)
        if "://" not in args.out:
            writable_folder(args.out)
        if args.offset is not None and args.offset > args.window:
            raise CommandError(f"--offset {args.offset:g} ms is longer than --window {args.window:g} ms: samples "
                               f"between windows would be skipped; give --offset {args.window:g} or less")
    elif args.job == "demo":
        writable_folder(DEFAULT_OUT)
    return args


def main(argv=None):
    """Run the tool; returns the exit status (0 ok, 1 a check failed, 2 a usage error)."""
    argv = list(sys.argv[1:] if argv is None else argv)
    beam_args = []
    if "encode" in argv and "--" in argv[argv.index("encode"):]:  # encode's Beam options follow --, passed as they are
        split = argv.index("--", argv.index("encode"))
        argv, beam_args = argv[:split], argv[split + 1:]
    args = _parser().parse_args(argv)
    if getattr(args, "job", None) == "encode":
        args.beam_args = beam_args
    for name, value in SUBCOMMAND_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    if args.command is None:
        args.job = "demo"
    with warnings.catch_warnings():
        warnings.showwarning = _one_line_warning
        try:
            _checked(args)
            jobs = start_tensorflow(args.verbose)
            return jobs.run(args)
        except CommandError as error:
            print(f"{PROG}: error: {error}", file=sys.stderr)
            return 2


if __name__ == "__main__":
    sys.exit(main())
