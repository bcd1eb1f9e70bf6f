"""``kapre-like encode``: a corpus of audio files encoded into spectrogram TFRecord shards by an Apache Beam
pipeline (:func:`kapre_like.beam.encode_corpus`)."""

import argparse
import glob
import os
import sys

from .common import (BUILTIN_RATE, PROG, CommandError, int_at_least, light_library_module, native_output_silenced,
                     positive_float, positive_int, require, writable_folder)

NAME = "encode"
#: Warnings ``encode`` prints (the spec lists them all).
MAX_WARNINGS_SHOWN = 10


def add_parser(commands):
    parser = commands.add_parser(
        NAME, help="encode a corpus of audio files into spectrogram TFRecord shards (Apache Beam)",
        description="Encode audio files with AudioSpectrogramEncoder in an Apache Beam pipeline and write the "
                    "spectrograms as sharded TFRecord files, with spec.json (features, encoder settings, counts) and "
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
    parser.add_argument("--sample-rate", type=positive_int, default=BUILTIN_RATE,
                        help="the encoder's rate in Hz; files are resampled to it (default: 16000)")
    parser.add_argument("--window", type=positive_float, default=25.0, help="window length in ms (default: 25)")
    parser.add_argument("--offset", type=positive_float, default=None,
                        help="step between windows in ms (default: a third of the window)")
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
    """The files ``encode`` would read (a folder, a glob or a list), checked here so that a typo is answered at once."""
    files = light_library_module("_files")
    if len(specs) == 1 and "://" not in specs[0] and os.path.isdir(specs[0]):
        folder = specs[0]
        if files.is_audio_name(folder) and not folder.endswith(("/", os.sep)):  # dir.wav: a typo for a file, most likely
            raise CommandError(f"{folder!r} is a folder, not an audio file; to encode the audio files in it, give "
                               f"{folder + os.sep!r} (with the slash)")
        if not files.audio_files_in(folder):
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


def check(args):
    require(["apache_beam"], "encode needs Apache Beam: pip install \"kapre_like[beam]\" (from a clone: pip install "
                             "-e \".[beam]\")")
    args.files = _audio_files(args.files)
    if "://" not in args.out:
        writable_folder(args.out)
    if args.offset is not None and args.offset > args.window:
        raise CommandError(f"--offset {args.offset:g} ms is longer than --window {args.window:g} ms: samples "
                           f"between windows would be skipped; give --offset {args.window:g} or less")
    return args


def run(args):
    from kapre_like.beam import CorpusEncodingError, NothingEncodedError, encode_corpus
    from kapre_like.encoder import AudioSpectrogramEncoder

    try:
        encoder = AudioSpectrogramEncoder(sample_rate=args.sample_rate, window_size=args.window / 1000,
                                          offset=None if args.offset is None else args.offset / 1000,
                                          target_length=args.target_length)
    except ValueError as error:
        raise CommandError(str(error)) from None

    # Beam's and its worker processes' own log lines stay off the terminal unless --verbose; the tool's
    # progress lines go to a copy of the terminal's descriptor taken before it is silenced
    try:
        terminal = os.fdopen(os.dup(sys.stdout.fileno()), "w") if sys.stdout.fileno() == 1 else None
    except (AttributeError, OSError, ValueError):  # a captured stdout (pytest, a notebook) has no descriptor 1
        terminal = None
    stream = terminal or sys.stdout

    def say(line):
        stream.write(line + "\n")
        stream.flush()

    try:
        with native_output_silenced(not args.verbose):
            summary = encode_corpus(args.files, args.out, encoder, workers=args.workers, pipeline_args=args.beam_args,
                                    num_shards=args.shards, verbose=args.verbose, progress=say)
    except NothingEncodedError as error:  # the job ran and failed: status 1, as a failed check
        print(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    except (ImportError, ValueError, OSError, CorpusEncodingError) as error:
        raise CommandError(" ".join(str(error).split())) from None
    finally:
        if terminal is not None:
            terminal.close()
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
