"""``kapre-like encode``: a corpus of audio files encoded into spectrogram TFRecord shards by an Apache Beam
pipeline (:func:`kapre_like.beam.encode_corpus`)."""

import argparse
import os
import sys

from .common import (BUILTIN_RATE, PROG, CommandError, LazyChoices, int_at_least, light_library_module,
                     native_output_silenced, non_negative_float, positive_float, positive_int, progress_bar, require,
                     terminal, writable_folder)

NAME = "encode"
#: Warnings ``encode`` prints (the spec lists them all).
MAX_WARNINGS_SHOWN = 10
#: ``--features``: the encoder of each (:mod:`kapre_like.encoder`) and what it gives.
FEATURES = {"magnitude": ("AudioSpectrogramEncoder", "STFT magnitudes (default)"),
            "mel": ("AudioMelSpectrogramEncoder", "mel spectrogram in dB"),
            "mfcc": ("AudioMFCCEncoder", "MFCCs of the dB mel spectrogram"),
            "stft": ("AudioSTFTEncoder", "complex spectra, stored as (real, imaginary) pairs")}
#: The encoders' defaults where neither the command line nor ``--preset`` says.
ENCODER_DEFAULTS = {"sample_rate": BUILTIN_RATE, "window": 25.0}


def add_parser(commands):
    parser = commands.add_parser(
        NAME, help="encode a corpus of audio files into spectrogram TFRecord shards (Apache Beam)",
        description="Encode audio files with AudioSpectrogramEncoder (or the --features encoder) in an Apache Beam "
                    "pipeline and write the spectrograms as sharded TFRecord files, with spec.json (features, "
                    "encoder settings, counts) and "
                    "dead_letters.jsonl (files that could not be read) next to them; read them back with "
                    "kapre_like.read_shards(OUT). Runs on this machine's cores by default (Beam's DirectRunner); "
                    "Beam options after -- choose another runner. Needs pip install \"kapre_like[beam]\".",
        epilog="Examples: kapre-like encode 'data/**/*.flac' --out shards/ --workers 4; on Flink: kapre-like encode "
               "'/shared/data/**/*.wav' --out /shared/shards -- --runner=FlinkRunner --flink_master=localhost:8081 "
               "--environment_type=LOOPBACK")
    parser.add_argument("files", nargs="+", metavar="FILES",
                        help="a folder (its audio files at any depth), a glob in quotes ('data/**/*.flac'; ** for any "
                             "depth) or audio files (WAV, FLAC, OGG)")
    parser.add_argument("--out", required=True, help="output folder for the shards (created if needed)")
    parser.add_argument("--workers", type=positive_int, default=None,
                        help=f"local worker processes (default: one per CPU core, {os.cpu_count() or 1} here)")
    parser.add_argument("--shards", type=lambda text: int_at_least(text, 0, "an integer >= 0"), default=0,
                        help="TFRecord files to write (default 0: the runner decides)")
    parser.add_argument("--features", choices=list(FEATURES), default="magnitude",
                        help="; ".join(f"{name}: {what}" for name, (_, what) in FEATURES.items()))
    # (its own dest: the spectrogram subcommands' --preset sets frames, which the encoders' partitions are not)
    parser.add_argument("--preset", choices=LazyChoices("presets", "PRESETS"), default=None, dest="encoder_preset",
                        help="a named analysis (kapre_like.presets: %(choices)s): its sample rate, window and step, "
                             "and for mel and mfcc its mel bands, range and scale (partitions not centred); the "
                             "options given win")
    parser.add_argument("--sample-rate", type=positive_int, default=None,
                        help="the encoder's rate in Hz; files are resampled to it (default: 16000, or the --preset's)")
    parser.add_argument("--window", type=positive_float, default=None,
                        help="window length in ms (default: 25, or the --preset's)")
    parser.add_argument("--offset", type=positive_float, default=None,
                        help="step between windows in ms (default: a third of the window, or the --preset's hop)")
    parser.add_argument("--bins", type=positive_int, default=None,
                        help="mel bands of mel and mfcc (default: 64, or the --preset's)")
    parser.add_argument("--n-mfcc", type=positive_int, default=None, help="MFCCs per frame (mfcc; default: 20)")
    parser.add_argument("--start", type=non_negative_float, default=None, metavar="SECONDS",
                        help="skip this many seconds at the start of every file (default: 0)")
    parser.add_argument("--duration", type=positive_float, default=None, metavar="SECONDS",
                        help="read this many seconds of every file from --start (default: to its end)")
    parser.add_argument("--target-length", type=positive_float, default=None,
                        help="pad or cut every file to this many seconds (default: each file's own length)")
    parser.add_argument("-v", "--verbose", action="store_true", default=argparse.SUPPRESS,
                        help="show Beam's and TensorFlow's own log (hidden by default)")
    parser.set_defaults(beam_args=[])
    return parser


def split_beam_options(argv):
    """``(the tool's arguments, Beam's)``: encode's Beam options follow ``--`` and are passed as they are."""
    if NAME in argv and "--" in argv[argv.index(NAME):]:
        split = argv.index("--", argv.index(NAME))
        return argv[:split], argv[split + 1:]
    return argv, []


def _audio_files(specs):
    """The files ``encode`` would read (a folder, a glob or a list), checked here with
    :func:`kapre_like.beam.expand_files` (no Beam, no TensorFlow for local paths) so that a typo is answered at once."""
    files = light_library_module("_files")
    if len(specs) == 1 and "://" not in specs[0] and os.path.isdir(specs[0]):
        folder = specs[0]
        if files.is_audio_name(folder) and not folder.endswith(("/", os.sep)):  # dir.wav: a typo for a file, most likely
            raise CommandError(f"{folder!r} is a folder, not an audio file; to encode the audio files in it, give "
                               f"{folder + os.sep!r} (with the slash)")
    folders = [path for path in specs if "://" not in path and os.path.isdir(path)] if len(specs) > 1 else []
    if folders:  # (the library reads a folder in a list as a dead letter; on a command line it is a slip)
        raise CommandError(f"{folders[0]!r} is a folder, not an audio file; give the folder alone or a glob such as "
                           f"'{os.path.join(folders[0], '**', '*.wav')}'")
    given = specs[0] if len(specs) == 1 else list(specs)
    if not any("://" in spec for spec in specs):  # URLs: matched by Beam's file systems when the job runs
        try:
            light_library_module("beam").expand_files(given)
        except (OSError, ValueError) as error:
            raise CommandError(str(error).rstrip(".")) from None
    return given


def check(args):
    require(["apache_beam"], "encode needs Apache Beam: pip install \"kapre_like[beam]\" (from a clone: pip install "
                             "-e \".[beam]\")")
    args.files = _audio_files(args.files)
    if "://" not in args.out:
        writable_folder(args.out)
    if args.n_mfcc is not None and args.features != "mfcc":
        raise CommandError(f"--n-mfcc is for --features mfcc, not {args.features}")
    if args.bins is not None and args.features not in ("mel", "mfcc"):
        raise CommandError(f"--bins (mel bands) is for --features mel or mfcc, not {args.features}")
    preset = light_library_module("presets").get_preset(args.encoder_preset) if args.encoder_preset else None
    window = args.window if args.window is not None else (
        1000 * preset.win_length / preset.sample_rate if preset else ENCODER_DEFAULTS["window"])
    if args.features == "mfcc":
        n_mfcc, mel_bands = args.n_mfcc or 20, args.bins or (preset.n_mels if preset else 64)  # the encoders' defaults
        if n_mfcc > mel_bands:
            raise CommandError(f"--n-mfcc {n_mfcc} MFCCs cannot come from {mel_bands} mel bands; give --n-mfcc "
                               f"{mel_bands} or fewer, or more --bins")
    if args.offset is not None and args.offset > window:
        raise CommandError(f"--offset {args.offset:g} ms is longer than --window {window:g} ms: samples "
                           f"between windows would be skipped; give --offset {window:g} or less")
    return args


def encoder_of(args):
    """The encoder ``args`` ask for: ``--features``' class, from ``--preset`` when given, the options given winning."""
    from kapre_like import encoder as encoders

    given = {"sample_rate": args.sample_rate, "start": args.start, "duration": args.duration,
             "target_length": args.target_length,
             "window_size": None if args.window is None else args.window / 1000,
             "offset": None if args.offset is None else args.offset / 1000,
             "n_mels": args.bins, "n_mfcc": args.n_mfcc}
    given = {name: value for name, value in given.items() if value is not None}
    encoder_class = getattr(encoders, FEATURES[args.features][0])
    if args.encoder_preset:
        return encoder_class.from_preset(args.encoder_preset, **given)
    defaults = {"sample_rate": ENCODER_DEFAULTS["sample_rate"], "window_size": ENCODER_DEFAULTS["window"] / 1000}
    return encoder_class(**{**defaults, **given})


def run(args):
    from kapre_like.beam import CorpusEncodingError, NothingEncodedError, encode_corpus

    try:
        encoder = encoder_of(args)
    except ValueError as error:
        raise CommandError(str(error)) from None

    # Beam's and its worker processes' own log lines stay off the terminal unless --verbose; the tool's
    # lines and its bar of files go to the terminal itself
    with terminal() as stream:
        def say(line):
            stream.write(line + "\n")
            stream.flush()

        try:
            with native_output_silenced(not args.verbose):
                summary = encode_corpus(args.files, args.out, encoder, workers=args.workers,
                                        pipeline_args=args.beam_args, num_shards=args.shards, verbose=args.verbose,
                                        progress=say, files_done=progress_bar(stream, "file"))
        except NothingEncodedError as error:  # the job ran and failed: status 1, as a failed check
            print(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
            return 1
        except (ImportError, ValueError, OSError, CorpusEncodingError) as error:
            raise CommandError(" ".join(str(error).split())) from None
    for warned in summary.warnings[:MAX_WARNINGS_SHOWN]:
        print(f"{PROG}: warning: {warned['warning']}", file=sys.stderr)
    if len(summary.warnings) > MAX_WARNINGS_SHOWN:
        print(f"{PROG}: warning: {len(summary.warnings) - MAX_WARNINGS_SHOWN} more files were encoded with warnings: "
              f"listed in {summary.spec}", file=sys.stderr)
    if summary.dead_letters:
        print(f"{summary.dead_letters} file(s) could not be read: listed in "
              f"{os.path.join(summary.out, 'dead_letters.jsonl')}")
    print(f"spec: {summary.spec}; read them with kapre_like.read_shards({summary.out!r})")
    return 0
