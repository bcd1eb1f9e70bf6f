"""What the subcommands share: the tool's constants and one-line error, argument types and options, the checks
before TensorFlow (input files, output folders, optional packages), the process's output, and the jobs'
steps that speak the tool's language (the signal of the arguments, frame and frequency checks)."""

import argparse
import contextlib
import importlib
import importlib.util
import os
import sys

PROG = "kapre-like"
DEFAULT_OUT = "kapre_like_out"
BUILTIN_RATE = 16000
#: Defaults of the options only subcommands have (see :func:`add_common_options`).
SUBCOMMAND_DEFAULTS = {"channel": "mix", "sr": None, "offset": None, "preset": None}
#: The frames' defaults where neither the command line nor a ``--preset`` sets them.
FRAME_DEFAULTS = {"n_fft": 1024, "hop": 256, "center": False}
#: The analysis settings only a ``--preset`` sets (no option of their own), and their values without one.
PRESET_ONLY_DEFAULTS = {"win_length": None, "pad_mode": "constant", "htk": False, "mel_norm": "slaney", "power": 1.0}
#: Length of the built-in signal in seconds when ``--duration`` does not say.
BUILTIN_SECONDS = 3.0
#: The environment variable that asks ``import kapre_like`` for its light import (names loaded on first use, no
#: TensorFlow); the package reads and removes it (kapre_like/_public.py, LIGHT_IMPORT_VARIABLE: the same name).
LIGHT_IMPORT_VARIABLE = "KAPRE_LIKE_LIGHT_IMPORT"


class CommandError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


# ----------------------------------------------------------------------------- argument types


def int_at_least(text, minimum, allowed):
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
    if value < minimum:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {value}")
    return value


def positive_int(text):
    return int_at_least(text, 1, "a positive integer")


def _float_at_least(text, lowest, allowed):
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text!r}") from None
    if not (lowest(value) and value < float("inf")):
        raise argparse.ArgumentTypeError(f"must be {allowed}, got {text}")
    return value


def non_negative_float(text):
    return _float_at_least(text, lambda value: value >= 0, "a finite number >= 0")


def positive_float(text):
    return _float_at_least(text, lambda value: value > 0, "a positive number")


def channel(text):
    return text if text == "mix" else int_at_least(text, 0, "'mix' or a channel number (0, 1, ...)")


# ----------------------------------------------------------------------------- options


def add_common_options(sub, audio=True, duration=True, top=False):
    """The options of the top-level parser (``top``) and of the subcommands that take them: an audio file and
    its ``--channel``/``--sr``/``--offset`` (``audio``), ``--duration`` (the built-in signal's length, or how much
    of the file), the frames, ``--verbose``. The frames default to None here; :func:`resolve_defaults` fills them
    in from ``--preset`` or :data:`FRAME_DEFAULTS`."""
    # a subcommand's options default to "not given", so that one given before the subcommand
    # (kapre-like --n-fft 2048 spectrogram ...) is kept, not overwritten by the subcommand's default;
    # main() fills in the defaults of those still missing
    def default(value):
        return value if top else argparse.SUPPRESS
    if audio:
        sub.add_argument("audio", nargs="?", help="audio file (WAV, FLAC, OGG); default: the built-in signal")
        sub.add_argument("--channel", type=channel, default=argparse.SUPPRESS,
                         help="channel of a multichannel file: 0, 1, ... or 'mix' (their mean; the default)")
        sub.add_argument("--sr", type=positive_int, default=argparse.SUPPRESS,
                         help="resample the file to this rate in Hz first (soxr); default: the file's rate (the "
                              "--preset's, if given)")
        sub.add_argument("--offset", type=non_negative_float, default=argparse.SUPPRESS, metavar="SECONDS",
                         help="start reading FILE this many seconds in (default: 0)")
    if duration:
        sub.add_argument("--duration", type=positive_float, default=default(None), metavar="SECONDS",
                         help=f"seconds of FILE to read from --offset (default: to its end), or the length of the "
                              f"built-in signal (default: {BUILTIN_SECONDS:g})")
    sub.add_argument("--n-fft", type=positive_int, default=default(None),
                     help=f"FFT size in samples (default: {FRAME_DEFAULTS['n_fft']}, or the --preset's)")
    sub.add_argument("--hop", type=positive_int, default=default(None),
                     help=f"hop in samples (default: {FRAME_DEFAULTS['hop']}, or the --preset's)")
    sub.add_argument("--center", action=argparse.BooleanOptionalAction, default=default(None),
                     help="frames centred on t * hop (n_fft // 2 samples padded at both ends), as librosa and torch "
                          "(default: not centred, or as the --preset says)")
    sub.add_argument("-v", "--verbose", action="store_true", default=default(False),
                     help="show TensorFlow's own log (hidden by default)")


class LazyChoices:
    """An option's choices read from the library when argparse asks (a value given, the help), so that the
    tool's other answers do not wait for the library's import of NumPy: ``LazyChoices("presets", "PRESETS")``."""

    def __init__(self, module, table):
        self.module, self.table = module, table

    def __contains__(self, name):
        return name in self._names()

    def __iter__(self):
        return iter(self._names())

    def _names(self):
        return getattr(light_library_module(self.module), self.table)


def add_preset_option(sub):
    sub.add_argument("--preset", choices=LazyChoices("presets", "PRESETS"), default=argparse.SUPPRESS,
                     help="a named analysis (kapre_like.presets: %(choices)s): its sample rate, frames, window, mel "
                          "bands and range, mel scale and power; the options given win")


def resolve_defaults(args):
    """Fill in what the command line left unsaid (None): first from ``--preset`` (its rate as ``--sr`` or
    ``--sample-rate``, its frames, its mel bands as ``--bins`` for the mel kinds, its range, and the settings only a
    preset sets: :data:`PRESET_ONLY_DEFAULTS`), then from :data:`FRAME_DEFAULTS`."""
    for name, value in PRESET_ONLY_DEFAULTS.items():
        setattr(args, name, value)
    args.mel_bands = None  # the mel bands MFCCs come from: the --preset's, else the library's default
    if getattr(args, "preset", None):
        preset = light_library_module("presets").get_preset(args.preset)
        rate_option = "sample_rate" if hasattr(args, "sample_rate") else "sr"
        rate = getattr(args, rate_option, None) or preset.sample_rate
        kind = getattr(args, "kind", getattr(args, "frontend", getattr(args, "source", "mel")))
        given = {"n_fft": preset.n_fft, "hop": preset.hop_length, "center": preset.center, rate_option: rate}
        if kind in light_library_module("blockwise").MEL_KINDS:  # the mel range: the other kinds keep their own
            given["fmin"] = preset.f_min or None
            given["fmax"] = preset.f_max if preset.f_max is not None and preset.f_max < rate / 2 else None
            if kind != "mfcc":  # (an MFCC's bins are its coefficients)
                given["bins"] = preset.n_mels
        for name, value in given.items():
            if getattr(args, name, None) is None:
                setattr(args, name, value)
        args.win_length, args.pad_mode, args.power = preset.win_length, preset.pad_mode, preset.power
        args.htk, args.mel_norm, args.mel_bands = preset.htk, preset.mel_norm, preset.n_mels
    for name, value in FRAME_DEFAULTS.items():
        if getattr(args, name, None) is None:
            setattr(args, name, value)
    return args


def check_preset_window(args):
    """CommandError when ``--n-fft`` is shorter than the ``--preset``'s window (which has no option of its own)."""
    if args.win_length is not None and args.n_fft < args.win_length:
        raise CommandError(f"--n-fft {args.n_fft} is shorter than the --preset's window of {args.win_length} samples; "
                           f"give --n-fft {args.win_length} or more")


def analysis_options(args):
    """The keyword-only analysis settings of :func:`kapre_like.blockwise.spectrogram_blocks` that ``args`` holds."""
    return {name: getattr(args, name) for name in PRESET_ONLY_DEFAULTS}


def add_frequency_options(sub):
    sub.add_argument("--fmin", type=non_negative_float, default=None,
                     help="lowest frequency in Hz (mel: lower edge, default 0; log: lowest bin's centre, "
                          "default C1 = 32.7 Hz, or the lowest C from which no bin falls between the FFT's; stft: "
                          "lowest row shown)")
    sub.add_argument("--fmax", type=positive_float, default=None,
                     help="highest frequency in Hz (default: half the sample rate; log: bins stop below it)")


# ----------------------------------------------------------------------------- checks before TensorFlow


#: Whether :func:`light_library_module` made this process's import of the package, still light (no job ran).
_light_import = {"made": False}


def light_library_module(name):
    """``kapre_like.<name>``, a module that imports no TensorFlow, imported without the package's eager imports
    when this is the process's first import of the package (the job runner completes it before a job)."""
    if "kapre_like" not in sys.modules:
        os.environ[LIGHT_IMPORT_VARIABLE] = "1"
        _light_import["made"] = True
    try:
        return importlib.import_module(f"kapre_like.{name}")
    finally:
        os.environ.pop(LIGHT_IMPORT_VARIABLE, None)  # read and removed by the package's import; here if not


def forget_light_library(completed):
    """After the tool answered in a process that goes on (``kapre_like_cli.main`` called from Python): unless a job
    ``completed`` the package's import, forget the light import :func:`light_library_module` made, so that the
    process's next ``import kapre_like`` is whole (every layer registered with Keras)."""
    if _light_import["made"] and not completed:
        for module in [name for name in sys.modules if name == "kapre_like" or name.startswith("kapre_like.")]:
            del sys.modules[module]
    _light_import["made"] = False


def check_audio_file(path, channel_number="mix"):
    """One-line CommandError for a file that is missing, a folder, not audio (:func:`kapre_like.audio_io.
    check_audio_file` reads the header), without samples or without the channel ``channel_number`` asks for."""
    audio_io = light_library_module("audio_io")
    try:
        info = audio_io.check_audio_file(path)
    except IsADirectoryError:
        raise CommandError(f"{path!r} is a folder, not an audio file; give one WAV/FLAC/OGG file") from None
    except FileNotFoundError:
        raise CommandError(f"no such audio file: {path!r}; give an existing WAV/FLAC/OGG file or none for the "
                           f"built-in signal") from None
    except audio_io.AudioReadError as error:
        raise CommandError(f"{error}; is it a WAV, FLAC or OGG file?") from None
    except ValueError as error:  # no samples
        raise CommandError(str(error)) from None
    if channel_number != "mix" and channel_number >= info.channels:
        raise CommandError(f"--channel {channel_number}: {os.path.basename(path)} has {info.channels} channel(s), "
                           f"numbered from 0; give one of them or 'mix'")


def check_frequency_order(args):
    fmin, fmax = getattr(args, "fmin", None), getattr(args, "fmax", None)
    if fmin is not None and fmax is not None and fmin >= fmax:
        raise CommandError(f"--fmin {fmin:g} Hz must be below --fmax {fmax:g} Hz")


def check_inputs(args):
    """The audio file (``FILE``), the part of it asked for and the frequency range of ``args``, where it has them."""
    if getattr(args, "audio", None):
        check_audio_file(args.audio, args.channel)
        if args.offset is not None:
            audio_io = light_library_module("audio_io")
            info = audio_io.check_audio_file(args.audio)
            try:  # the frame reading starts at, as the reader rounds it
                audio_io.part_frames(args.offset, None, info.samplerate, info.frames, args.audio)
            except ValueError:
                raise CommandError(f"--offset {args.offset:g} s is beyond the end of {os.path.basename(args.audio)} "
                                   f"({info.duration:g} s long); give a smaller --offset") from None
    elif getattr(args, "offset", None) is not None:
        raise CommandError("--offset reads part of an audio FILE; the built-in signal has no parts (its length is "
                           "--duration): give a FILE or drop --offset")
    check_frequency_order(args)


def writable_folder(folder, option="--out"):
    """Create ``folder`` if needed and check that a file can be written in it."""
    files = light_library_module("_files")
    try:
        files.check_writable_folder(folder)
    except OSError as error:
        # the failure's own reason (its message is the library's, in the library's terms)
        reason = getattr(error.__context__, "strerror", None) or error
        raise CommandError(f"cannot write into folder {folder!r} ({reason}); choose another {option}") from None


def require(modules, message):
    """CommandError ``message`` (naming the install) when one of ``modules`` is missing: found now, not after
    TensorFlow's seconds of start-up. ``message`` may use ``{missing}``."""
    missing = [name for name in modules if importlib.util.find_spec(name) is None]
    if missing:
        raise CommandError(message.format(missing=", ".join(missing)))


def require_matplotlib():
    require(["matplotlib"], "drawing spectrograms needs matplotlib: pip install \"kapre_like[cli]\" (from a clone: "
                            "pip install -e \".[cli]\")")


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


@contextlib.contextmanager
def terminal():
    """A stream onto the tool's output that :func:`native_output_silenced` leaves alone (a copy of descriptor 1,
    taken now), for the lines and bars a job shows while it runs silenced; ``sys.stdout`` itself where it has no
    descriptor 1 (pytest's capture, a notebook)."""
    try:
        copy = os.fdopen(os.dup(sys.stdout.fileno()), "w") if sys.stdout.fileno() == 1 else None
    except (AttributeError, OSError, ValueError):
        copy = None
    try:
        yield copy or sys.stdout
    finally:
        if copy is not None:
            copy.close()


def progress_bar(stream, unit):
    """``update(done, total)``, drawing a ``keras.utils.Progbar`` of ``unit``s onto ``stream`` when it is a
    terminal (it is made on the first call, when the total is known); None when ``stream`` is not a terminal."""
    if not (hasattr(stream, "isatty") and stream.isatty()):
        return None
    import keras

    bar = None

    def update(done, total):
        nonlocal bar
        with contextlib.redirect_stdout(stream):  # the Progbar writes to sys.stdout, which may be silenced
            if bar is None:
                bar = keras.utils.Progbar(total, unit_name=unit)
            bar.update(done)

    return update


def one_line_warning(message, category, filename, lineno, file=None, line=None):
    text = " ".join(str(message).split())
    print(f"{PROG}: warning: {text}", file=file or sys.stderr)


# ----------------------------------------------------------------------------- the jobs' steps (after TensorFlow)


@contextlib.contextmanager
def library_errors():
    """A ValueError of the library (a parameter it refuses) as a one-line CommandError: its first line."""
    try:
        yield
    except ValueError as error:
        raise CommandError(str(error).splitlines()[0]) from None


def signal_of(args, whole=True):
    """The signal of ``args``: the file in ``args.audio`` (its ``--channel``, resampled to ``--sr``) or the
    built-in signal (``--duration``). ``whole``: ``(samples, sample_rate, title)``; else a
    :class:`kapre_like.audio_io.Signal`, a long file read a block at a time."""
    from kapre_like.audio_io import Signal, load_audio

    if getattr(args, "audio", None):
        with library_errors():  # the front door checked the file; this is a file changed since
            if whole:
                samples, rate = load_audio(args.audio, args.sr, args.channel, args.offset, args.duration)
                return samples, rate, _part_title(args)
            signal = Signal.of_file(args.audio, args.channel, args.sr, args.offset, args.duration)
            signal.title = _part_title(args)
            return signal
    from kapre_like.synthetic import demo_signal

    rate = getattr(args, "sr", None) or BUILTIN_RATE
    signal = demo_signal(args.duration or BUILTIN_SECONDS, rate), rate, "built-in signal (chirp, tones, speech)"
    return signal if whole else Signal.of_array(*signal)


def _part_title(args):
    """The file's name, and the part read when ``--offset``/``--duration`` ask for one (``song.wav from 30 s``)."""
    title = os.path.basename(args.audio)
    if args.offset:
        title += f" from {args.offset:g} s"
    if args.duration:
        title += f" ({args.duration:g} s)"
    return title


def check_length(samples, sample_rate, n_fft, center, title):
    """A CommandError in the tool's terms for audio shorter than one frame."""
    if not center and len(samples) < n_fft:
        raise CommandError(f"{title} lasts {len(samples) / sample_rate:.3f} s ({len(samples)} samples at "
                           f"{sample_rate} Hz), shorter than one --n-fft frame of {n_fft} samples "
                           f"({1000 * n_fft / sample_rate:.0f} ms); give a longer file, a smaller --n-fft or --center")


def check_hop(n_fft, hop_length):
    if hop_length > n_fft:
        raise CommandError(f"--hop {hop_length} is longer than --n-fft {n_fft}: samples between frames would be "
                           f"skipped; give --hop {n_fft} or less")


def frequency_range(args, sample_rate):
    """``(--fmin, --fmax)`` of ``args``, checked against half the sample rate."""
    f_min, f_max = getattr(args, "fmin", None), getattr(args, "fmax", None)
    if f_max is not None and f_max > sample_rate / 2:
        raise CommandError(f"--fmax {f_max:g} Hz is above half the sample rate ({sample_rate / 2:g} Hz); give a lower "
                           f"--fmax or a higher --sr")
    if f_min is not None and f_min >= sample_rate / 2:
        raise CommandError(f"--fmin {f_min:g} Hz is not below half the sample rate ({sample_rate / 2:g} Hz)")
    return f_min, f_max


def frontend_bins(kind, sample_rate, n_bins=None, f_min=None, f_max=None):
    """:func:`kapre_like.blockwise.frontend_bins`, semitone bins that do not fit refused in the tool's terms."""
    from kapre_like import blockwise

    if kind in blockwise.SEMITONE_KINDS:
        lowest, top, fitting = blockwise.log_bins_fitting(sample_rate, f_min, f_max)
        fitting -= kind == "cqt"  # (a CQT's top wavelet reaches above its centre: one bin less, as blockwise says)
        if fitting < 1:
            what = "log-frequency" if kind == "log" else "constant-Q"
            raise CommandError(f"no {what} bin fits between --fmin {lowest:.1f} Hz and {top:g} Hz; lower --fmin")
        if n_bins is not None and n_bins > fitting:
            reach = lowest * 2.0 ** (n_bins / blockwise.BINS_PER_OCTAVE)
            limit = "--fmax" if f_max and f_max < sample_rate // 2 else f"half the sample rate ({sample_rate // 2} Hz)"
            raise CommandError(f"--bins {n_bins} semitones from {lowest:.1f} Hz reach {reach:.0f} Hz, above {limit}; "
                               f"give --bins {fitting} or fewer, a lower --fmin or a higher --sr")
    return blockwise.frontend_bins(kind, sample_rate, n_bins, f_min, f_max)


def log_fmin(kind, sample_rate, n_fft, n_bins, f_min, f_max):
    """``--fmin``, or for the log-frequency front end without one, the lowest C whose bins all get weight."""
    if kind != "log" or f_min is not None:
        return f_min
    from kapre_like.blockwise import default_log_fmin

    return default_log_fmin(sample_rate, n_fft, n_bins, f_max)
