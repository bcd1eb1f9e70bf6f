"""Analysis windows: one vocabulary at the core (arrays), resolved from names once by the layers.

The DSP functions take a window as a float array of ``win_length`` values (:func:`window_values`
also turns the ``tf.signal`` window functions and their Kapre names into one, once per length).
Kapre's layers name ``tf.signal`` windows (:data:`WINDOW_NAMES`, :func:`window_function`); the
Keras-style layers name scipy windows (:func:`window_array`).
"""

import functools

import numpy as np
import tensorflow as tf

_WINDOWS = {
    "hann_window": tf.signal.hann_window,
    "hamming_window": tf.signal.hamming_window,
    "kaiser_window": tf.signal.kaiser_window,
    "kaiser_bessel_derived_window": tf.signal.kaiser_bessel_derived_window,
    "vorbis_window": tf.signal.vorbis_window,
}

#: Window names accepted wherever Kapre takes a ``window_name``.
WINDOW_NAMES = tuple(_WINDOWS)


def window_function(window_name=None):
    """The ``tf.signal`` window function called ``window_name`` (None means 'hann_window').

    Raises:
        UnknownWindowError: (a ``NotImplementedError`` and ``ValueError``) for any other name.
    """
    from .._checks import UnknownWindowError

    if window_name is None:
        return tf.signal.hann_window
    if not isinstance(window_name, str) or window_name not in _WINDOWS:
        raise UnknownWindowError(
            f"`window_name` must be None or one of {list(WINDOW_NAMES)}; got {window_name!r}."
        )
    return _WINDOWS[window_name]


def window_values(window, length):
    """A window as a read-only float64 NumPy array of ``length`` values.

    Args:
        window: an array of ``length`` values (returned as float64), a ``tf.signal`` window
            function ``f(length, dtype=...)`` or one of :data:`WINDOW_NAMES` (evaluated once per
            length and kept), or None for the periodic Hann window (``tf.signal.hann_window``).
        length (int): window length in samples.

    Raises:
        ValueError: an array of another shape; UnknownWindowError: an unknown name.

    Example:
        >>> window_values(None, 4)
        array([0. , 0.5, 1. , 0.5])
    """
    if window is None or isinstance(window, str):
        window = window_function(window)
    if callable(window):
        return _function_values(window, length)
    values = np.array(window, dtype=np.float64)
    if values.shape != (length,):
        raise ValueError(f"`window` must be 1-D with {length} values (the frame length); got shape {values.shape}.")
    values.flags.writeable = False
    return values


@functools.lru_cache(maxsize=64)
def _function_values(window_fn, length):
    # computed eagerly even inside a traced function, and once per (function, length)
    with tf.init_scope():
        values = np.asarray(window_fn(length, dtype=tf.float64))
    values.flags.writeable = False
    return values


def centered_window(window, n_fft):
    """``window`` (an array) zero-padded on both sides to ``n_fft`` values, centred as
    ``librosa.util.pad_center`` centres it (the extra zero, if any, on the right).

    Example:
        >>> centered_window(np.ones(2), 5)
        array([0., 1., 1., 0., 0.])
    """
    left = (n_fft - len(window)) // 2
    return np.pad(np.asarray(window, np.float64), (left, n_fft - len(window) - left))


def window_array(window, length, periodic=False):
    """A window by its scipy name (or an array, or None) as a float64 NumPy array of ``length`` values.

    Args:
        window (str, array-like or None): a window name that ``scipy.signal.get_window``
            knows (``'hann'``, ``'hamming'``, ``'blackman'``, ...), an explicit array of
            ``length`` values, or None for no window (all ones).
        length (int): window length in samples.
        periodic (bool): for a name, the periodic (DFT-even) variant instead of the
            symmetric one. Defaults to False.

    Raises:
        ValueError: an unknown name or an array of another length or rank.

    Example:
        >>> window_array("hann", 4, periodic=True)
        array([0. , 0.5, 1. , 0.5])
    """
    if window is None:
        return np.ones(length)
    if isinstance(window, str):
        import scipy.signal  # scipy comes with librosa; imported only when a name is given

        try:
            return np.asarray(scipy.signal.get_window(window, length, fftbins=periodic), dtype=np.float64)
        except ValueError as error:
            raise ValueError(
                f"`window` {window!r} is not a window scipy.signal.get_window knows ({error}); use e.g. "
                f"'hann' or 'hamming', an array of length {length}, or None."
            ) from None
    return np.array(window_values(window, length))


def overlapped_window_power(win_length, hop_length, window=None):
    """Sum of the squared window and its copies shifted by multiples of ``hop_length``.

    Returned over one frame (``win_length`` values, float64). Overlap-add inversion divides
    by it, so it must have no zeros for the STFT to be invertible. ``window`` as
    :func:`window_values` takes it.
    """
    values = window_values(window, win_length)
    n_overlaps = -(-win_length // hop_length)
    squared = np.zeros(n_overlaps * hop_length)
    squared[:win_length] = values**2
    return np.tile(squared.reshape(n_overlaps, hop_length).sum(axis=0), n_overlaps)[:win_length]


def inverse_stft_window(win_length, hop_length, window=None, dtype=tf.float32):
    """Synthesis window that makes :func:`~kapre_like.functional.inverse_stft` invert
    :func:`~kapre_like.functional.stft`.

    The analysis window divided by the sum of its squared copies shifted by multiples of
    ``hop_length`` (the least-squares synthesis window of Griffin and Lim). Same values
    as ``tf.signal.inverse_stft_window_fn``, including 0 where no frame weighs a sample
    (e.g. a Hann window with ``hop_length == win_length``): such samples come back as 0, not NaN.
    """
    return tf.constant(synthesis_window_values(win_length, hop_length, window), dtype=dtype)


def synthesis_window_values(win_length, hop_length, window=None):
    """:func:`inverse_stft_window`'s values as a float64 NumPy array (what every backend's inverse STFT multiplies
    its frames by)."""
    values = window_values(window, win_length)
    power = overlapped_window_power(win_length, hop_length, values)
    return np.divide(values, power, out=np.zeros_like(values), where=power != 0)
