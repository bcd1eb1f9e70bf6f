"""``kapre-like`` with no subcommand: the spectrogram (mel, STFT, log-frequency), round-trip and export jobs on the
built-in signal, each run as its own subcommand's command line, written into ``kapre_like_out/``."""

import os

from .common import DEFAULT_OUT, require_matplotlib, writable_folder

NAME = "demo"


def command_lines(args):
    """The subcommands' command lines the demo runs, with the top-level options given (``--duration``, the
    frames, ``--center``, ``--verbose``)."""
    frames = ["--n-fft", str(args.n_fft), "--hop", str(args.hop)] + ["--center"] * args.center + ["-v"] * args.verbose
    duration = [] if args.duration is None else ["--duration", repr(args.duration)]  # (None: the signal's default)
    pictures = [["spectrogram", "--kind", kind, "--out", os.path.join(DEFAULT_OUT, f"{kind}_spectrogram.png")]
                + duration + frames for kind in ("mel", "stft", "log")]
    return pictures + [["roundtrip"] + duration + frames,
                       ["export", "--out", os.path.join(DEFAULT_OUT, "export")] + frames]


def check(args):
    """Parse and check every subcommand's command line now, before TensorFlow starts."""
    from . import checked_command  # the front door's parser, imported when the demo runs

    require_matplotlib()
    writable_folder(DEFAULT_OUT)
    args.steps = [checked_command(argv) for argv in command_lines(args)]
    return args


def run(args):
    """Every step's job; the exit status is the worst of theirs."""
    return max(command.run(step) for command, step in args.steps)
