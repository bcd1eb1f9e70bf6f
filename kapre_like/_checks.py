"""Argument checks shared by the layers.

Every check raises at construction time with a message that names the owner
(layer or function), the argument, the value it got and what is allowed.
"""

import numbers

import numpy as np

CHANNELS_FIRST = "channels_first"
CHANNELS_LAST = "channels_last"
DEFAULT = "default"
DATA_FORMATS = (CHANNELS_FIRST, CHANNELS_LAST, DEFAULT)


class UnknownWindowError(NotImplementedError, ValueError):
    """An unknown window name.

    Kapre raises ``NotImplementedError`` here; it is also a ``ValueError`` so that
    code written for either convention catches it.
    """


class FilterbankRangeError(RuntimeError, ValueError):
    """A filterbank reaching above the Nyquist frequency.

    Kapre raises ``RuntimeError`` here; it is also a ``ValueError`` so that code
    written for either convention catches it.
    """


class NotInvertibleError(RuntimeError, ValueError):
    """STFT settings whose overlap-add inverse would divide by zero.

    A ``RuntimeError`` as in Kapre, and a ``ValueError`` since it is a bad argument.
    """


def owner_prefix(owner):
    """``'owner: '``, the start of a message about ``owner``'s argument (empty without an owner)."""
    return f"{owner}: " if owner else ""


def check_data_format(value, arg_name="data_format", owner=None):
    """Raise unless ``value`` is 'channels_first', 'channels_last' or 'default'.

    Raises:
        TypeError: ``value`` is not a string.
        ValueError: ``value`` is a string but not one of the three allowed.
    """
    if not isinstance(value, str):
        raise TypeError(
            f"{owner_prefix(owner)}`{arg_name}` must be a string, one of {list(DATA_FORMATS)}; "
            f"got {value!r} of type {type(value).__name__}."
        )
    if value not in DATA_FORMATS:
        raise ValueError(
            f"{owner_prefix(owner)}`{arg_name}` must be one of {list(DATA_FORMATS)}; got {value!r}."
        )


def check_data_formats(owner, **formats):
    """:func:`check_data_format` for each ``arg_name=value`` pair."""
    for arg_name, value in formats.items():
        check_data_format(value, arg_name, owner)


def _check_type(value, kind, noun, arg_name, owner, allow_none):
    """Raise ``TypeError`` unless ``value`` is a ``kind`` (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, kind):
        allowed = noun + (" or None" if allow_none else "")
        raise TypeError(f"{owner_prefix(owner)}`{arg_name}` must be {allowed}; "
                        f"got {value!r} of type {type(value).__name__}.")


def check_bool(value, arg_name, owner):
    """``value`` as a bool, raising ``TypeError`` for anything but True, False (or a NumPy bool)."""
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{owner}: `{arg_name}` must be True or False; got {value!r} of type {type(value).__name__}.")
    return bool(value)


def check_int(value, arg_name, owner=None, minimum=1, allow_none=False):
    """Raise unless ``value`` is an integer (not a bool) >= ``minimum`` (or None if allowed).

    ``minimum=None`` checks the type only (for callers with their own range message).
    """
    if value is None and allow_none:
        return
    _check_type(value, numbers.Integral, "an integer", arg_name, owner, allow_none)
    if minimum is not None and value < minimum:
        raise ValueError(
            f"{owner_prefix(owner)}`{arg_name}` must be an integer >= {minimum}; got {value!r}."
        )


def check_number(value, arg_name, owner=None, positive=True, allow_none=False):
    """Raise unless ``value`` is a real number (> 0 when ``positive``), or None if allowed."""
    if value is None and allow_none:
        return
    _check_type(value, numbers.Real, "a number", arg_name, owner, allow_none)
    if positive and not value > 0:
        raise ValueError(f"{owner_prefix(owner)}`{arg_name}` must be > 0; got {value!r}.")


def check_choice(value, arg_name, choices, owner=None, case_sensitive=True):
    """Raise unless ``value`` is one of ``choices`` (strings)."""
    candidate = value if case_sensitive or not isinstance(value, str) else value.lower()
    if not isinstance(value, str) or candidate not in choices:
        raise ValueError(
            f"{owner_prefix(owner)}`{arg_name}` must be one of {list(choices)}"
            f"{'' if case_sensitive else ' (case-insensitive)'}; got {value!r}."
        )


def resolve_stft_lengths(n_fft, win_length, hop_length, owner):
    """Validate STFT sizes and fill in Kapre's defaults; return ``(win_length, hop_length)``.

    ``win_length`` defaults to ``n_fft`` and ``hop_length`` to ``win_length // 4``.
    """
    check_int(n_fft, "n_fft", owner)
    win_length = n_fft if win_length is None else win_length
    check_int(win_length, "win_length", owner)
    hop_length = max(win_length // 4, 1) if hop_length is None else hop_length
    check_int(hop_length, "hop_length", owner)
    if win_length > n_fft:
        raise ValueError(
            f"{owner}: `win_length` must be <= `n_fft` (a frame is zero-padded up to n_fft "
            f"before the FFT, never cut); got win_length={win_length}, n_fft={n_fft}."
        )
    return win_length, hop_length


def check_hop_within_window(hop_length, win_length, owner):
    """Raise ``ValueError`` when ``hop_length > win_length`` for a transform that rebuilds a signal: the
    samples between frames are in no frame, so they cannot come back (they would be zeros)."""
    if hop_length > win_length:
        raise ValueError(
            f"{owner}: `hop_length` must be <= the window length `win_length` to rebuild a signal: frames "
            f"{hop_length} samples apart with a {win_length}-sample window leave {hop_length - win_length} samples "
            f"of every hop in no frame, which would come back as zeros; got hop_length={hop_length}, "
            f"win_length={win_length} (win_length defaults to n_fft)."
        )


def warn_hop_beyond_window(hop_length, win_length, owner, stacklevel=3):
    """Warn (``UserWarning``) when ``hop_length > win_length``: an analysis that skips samples is
    allowed but rarely meant."""
    if hop_length > win_length:
        import warnings

        warnings.warn(
            f"{owner}: hop_length={hop_length} > win_length={win_length}: the frames leave gaps of "
            f"{hop_length - win_length} samples that no frame reads (use hop_length <= win_length to analyse "
            f"every sample).", UserWarning, stacklevel=stacklevel)


def resolve_data_format(value):
    """Map 'default' to ``keras.config.image_data_format()``; return others unchanged."""
    if value == DEFAULT:
        import keras

        return keras.config.image_data_format()
    return value


#: The real floating-point dtypes a layer computes with (half precisions in float32).
REAL_FLOATS = ("float16", "bfloat16", "float32", "float64")


def check_float_input(inputs, owner, what="a real floating-point tensor", allowed=REAL_FLOATS):
    """Raise ``TypeError`` unless ``inputs`` has a real floating-point dtype in ``allowed``; return
    the dtype's name. The message says what came (dtype, shape) and how to mend it."""
    import keras

    dtype = keras.backend.standardize_dtype(inputs.dtype)
    if dtype not in allowed:
        hint = (" (apply Magnitude or Phase first)" if dtype.startswith("complex")
                else " (convert integer PCM to float, e.g. x / 32768)")
        raise TypeError(
            f"{owner} expects {what} ({', '.join(allowed[:-1])} or {allowed[-1]}); got {dtype} input of shape "
            f"{tuple(inputs.shape)}{hint}."
        )
    return dtype


def check_signal_length(time, min_length, owner, where, requirement, remedy="Pass a longer signal"):
    """Raise ``ValueError`` for a known time length ``time`` below ``min_length`` samples.

    ``where`` locates the time axis in the input (e.g. ``"input shape (2, 1, 4000)"``),
    ``requirement`` says what needs ``min_length`` samples (e.g. ``"one frame (win_length=512)"``).
    """
    if time is None or time >= min_length:
        return
    raise ValueError(
        f"{owner}: the input has {time} samples along its time axis ({where}), fewer than {requirement}. "
        f"{remedy}, or check the data format: the channels may be on the time axis."
    )
