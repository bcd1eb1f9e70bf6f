"""Command-line tool: spectrogram pictures, the STFT round trip, and front-end export.

``kapre-like`` (or ``python -m kapre_like_cli``, or ``python -m kapre_like``) with no arguments runs the
first three on a built-in signal (a rising chirp, two steady tones and a speech-like burst) and writes into
``kapre_like_out/``. Subcommands do one job each, on the built-in signal or an audio file
(WAV, FLAC, OGG; MP3 where libsndfile reads it)::

    kapre-like spectrogram [FILE] [--kind mel|stft|log|cqt|chroma|mfcc|pcen] [--preset NAME] [--out PICTURE.png]
                           [--save ARRAY.npy] [--offset S] [--duration S]
    kapre-like roundtrip   [FILE] [--n-fft N] [--hop H]
    kapre-like reconstruct [FILE] [--from mel|stft] [--n-iter N] [--out AUDIO.wav]  # Griffin-Lim
    kapre-like export      [--frontend mel|stft|log] [--format ...] [--out DIR] [--check FILE]  # .keras, SavedModel, TFLite, ONNX
    kapre-like encode      'data/**/*.flac' --out SHARDS/ [--workers N] [-- BEAM OPTIONS]  # a corpus to TFRecord shards

Every subcommand has ``--help``. Errors (a missing or unreadable file, a bad parameter, an
output path that cannot be written) print one line saying what to do and exit with status 2.

This package is the tool's front door and imports nothing heavy: help, argument errors and
missing files are answered before TensorFlow is imported (which takes seconds). Each subcommand is one
module (its arguments, its checks, its job, which imports the library when it runs); :mod:`.common` holds
what they share. The tool owns its process: unless ``TF_CPP_MIN_LOG_LEVEL`` is set
(or ``--verbose`` is given) TensorFlow's native log is kept off the terminal, and warnings
print as one line each. ``import kapre_like`` changes none of this.
"""

import argparse
import os
import sys
import warnings

from . import demo, encode, export, reconstruct, roundtrip, spectrogram
from .common import (PROG, SUBCOMMAND_DEFAULTS, CommandError, add_common_options, forget_light_library,
                     native_output_silenced, one_line_warning, resolve_defaults)

__all__ = ["main", "CommandError", "PROG", "COMMANDS"]

#: The subcommands, each a module with NAME, add_parser(commands), check(args) and run(args).
COMMANDS = {command.NAME: command for command in (spectrogram, roundtrip, reconstruct, export, encode)}


def _parser():
    parser = argparse.ArgumentParser(prog=PROG, description=__doc__.split("\n\n")[0],
                                     epilog="With no subcommand: all three jobs on the built-in signal.")
    add_common_options(parser, audio=False, top=True)
    commands = parser.add_subparsers(dest="command", metavar="{" + ",".join(COMMANDS) + "}")
    for command in COMMANDS.values():
        command.add_parser(commands)
    return parser


def parsed(argv):
    """``(the subcommand's module, its arguments)`` of the command line ``argv``; argparse exits on bad arguments."""
    argv, beam_args = encode.split_beam_options(list(argv))
    args = _parser().parse_args(argv)
    if args.command == encode.NAME:
        args.beam_args = beam_args
    for name, value in SUBCOMMAND_DEFAULTS.items():
        if not hasattr(args, name):
            setattr(args, name, value)
    return COMMANDS.get(args.command, demo), resolve_defaults(args)


def checked_command(argv):
    """:func:`parsed`, then the subcommand's checks (those that need no TensorFlow); CommandError when one fails."""
    command, args = parsed(argv)
    return command, command.check(args)


def start_tensorflow(verbose=False):
    """Import the library whole (and with it TensorFlow), its start-up log silenced unless asked for: every layer
    registered with Keras before a job runs, also where the package was imported light (``python -m kapre_like``)."""
    if not verbose and "tensorflow" not in sys.modules:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")  # C++ log after start-up: errors that matter only
    quiet = not verbose and os.environ.get("TF_CPP_MIN_LOG_LEVEL") == "3"
    with native_output_silenced(quiet):  # the lines before absl's log starts ignore the level
        from kapre_like._public import import_all  # the package whole, unless this process imported it light

        import_all()  # then every name now


def main(argv=None):
    """Run the tool; returns the exit status (0 ok, 1 a check failed, 2 a usage error)."""
    started = False
    try:
        command, args = parsed(sys.argv[1:] if argv is None else argv)
        with warnings.catch_warnings():
            warnings.showwarning = one_line_warning
            try:
                command.check(args)
                start_tensorflow(args.verbose)
                started = True
                return command.run(args)
            except CommandError as error:
                print(f"{PROG}: error: {error}", file=sys.stderr)
                return 2
    finally:
        forget_light_library(completed=started)
