"""Kapre-compatible backend: the helper functions of ``kapre.backend`` 0.4.1.

Same names, arguments, defaults and return types as Kapre, so that code calling
``kapre.backend`` runs unchanged. The work is done by :mod:`kapre_like.functional`
and :mod:`kapre_like.filters`.

Attributes:
    _CH_FIRST_STR (str): ``'channels_first'``.
    _CH_LAST_STR (str): ``'channels_last'``.
    _CH_DEFAULT_STR (str): ``'default'``: follow ``keras.config.image_data_format()``.
"""

import keras
import tensorflow as tf

from . import filters, functional
from ._checks import CHANNELS_FIRST as _CH_FIRST_STR
from ._checks import CHANNELS_LAST as _CH_LAST_STR
from ._checks import DEFAULT as _CH_DEFAULT_STR
from ._checks import check_data_format, check_number

__all__ = [
    "_CH_FIRST_STR",
    "_CH_LAST_STR",
    "_CH_DEFAULT_STR",
    "get_window_fn",
    "validate_data_format_str",
    "magnitude_to_decibel",
    "filterbank_mel",
    "filterbank_log",
    "mu_law_encoding",
    "mu_law_decoding",
    "_get_floatx",
]


def _get_floatx():
    """Keras's default float type, e.g. ``'float32'``."""
    return keras.config.floatx()


def get_window_fn(window_name=None):
    """Return the ``tf.signal`` window function called ``window_name``.

    Args:
        window_name (str or None): one of ``'hann_window'``, ``'hamming_window'``,
            ``'kaiser_window'``, ``'kaiser_bessel_derived_window'``, ``'vorbis_window'``.
            None means ``'hann_window'``.

    Returns:
        callable: ``fn(window_length, dtype=tf.float32)`` returning a 1-D window tensor.

    Raises:
        NotImplementedError: for any other name (the error is also a ``ValueError``).

    Example:
        >>> get_window_fn('hamming_window')(4).shape
        TensorShape([4])
    """
    return functional.window_function(window_name)


def validate_data_format_str(data_format, arg_name="data_format"):
    """Check that ``data_format`` is ``'default'``, ``'channels_first'`` or ``'channels_last'``.

    Args:
        data_format (str): the value to check.
        arg_name (str): the argument's name, for the error message. Defaults to
            ``'data_format'``.

    Raises:
        TypeError: ``data_format`` is not a string.
        ValueError: ``data_format`` is a string but not one of the three allowed.

    Example:
        >>> validate_data_format_str('channels_last')
    """
    check_data_format(data_format, arg_name)


def magnitude_to_decibel(x, ref_value=1.0, amin=1e-5, dynamic_range=80.0):
    """Convert to decibels: ``10 * log10(max(x, amin) / max(ref_value, amin))``, floor-clipped.

    Kapre's function, which equals ``librosa.power_to_db(x, ref=ref_value, amin=amin,
    top_db=dynamic_range)`` per batch item: the floor ``max - dynamic_range`` is taken over
    all axes but the first when ``x`` has more than one axis (a batch), over all of ``x``
    otherwise. Note that it uses ``10 * log10`` whatever ``x`` holds; for magnitudes (not
    powers) see :class:`kapre_like.time_frequency.MagnitudeToDecibel`'s ``stype``.

    Args:
        x (float Tensor): float16, float32 or float64; float16 is computed in float32.
        ref_value (float): the input value that becomes 0 dB. Must be > 0. Defaults to 1.0.
        amin (float): noise floor of the input; smaller values are raised to it. Must be
            > 0. Defaults to 1e-5.
        dynamic_range (float): dB kept below each item's maximum. Must be > 0. Defaults to 80.

    Returns:
        Tensor: decibels, same shape and dtype as ``x``.

    Raises:
        ValueError: a parameter is not positive.

    Example:
        >>> magnitude_to_decibel(tf.constant([[1.0, 1e-3]])).numpy()
        array([[  0., -30.]], dtype=float32)
    """
    for name, value in (("ref_value", ref_value), ("amin", amin), ("dynamic_range", dynamic_range)):
        check_number(value, name, "magnitude_to_decibel")
    return functional.to_decibel(tf.convert_to_tensor(x), ref_value, amin, dynamic_range, multiplier=10.0)


def filterbank_mel(sample_rate, n_freq, n_mels=128, f_min=0.0, f_max=None, htk=False, norm="slaney"):
    """Mel filterbank ``(n_freq, n_mels)`` as a tensor of Keras's float type.

    ``librosa.filters.mel(sr=sample_rate, n_fft=(n_freq - 1) * 2, ...).T`` computed by librosa in
    Keras's float type, exactly what Kapre returns.

    Args:
        sample_rate (int): sample rate of the input audio, in Hz.
        n_freq (int): number of frequency bins in the input STFT magnitude.
        n_mels (int): number of mel bands. Defaults to 128.
        f_min (float): lowest frequency of the filterbank, in Hz. Defaults to 0.
        f_max (float or None): highest frequency, in Hz. Defaults to ``sample_rate / 2``.
        htk (bool): use the HTK mel formula. Defaults to False (Slaney).
        norm (None, 'slaney' or number): triangle normalisation. Defaults to 'slaney'.

    Example:
        >>> filterbank_mel(sample_rate=22050, n_freq=1025).shape
        TensorShape([1025, 128])
    """
    matrix = filters.mel_filterbank(sample_rate, n_freq, n_mels, f_min, f_max, htk, norm, dtype=_get_floatx())
    return tf.constant(matrix)


def filterbank_log(sample_rate, n_freq, n_bins=84, bins_per_octave=12, f_min=None, spread=0.125):
    """Log-frequency (constant-Q approximation) filterbank ``(n_freq, n_bins)`` as a tensor.

    See :func:`kapre_like.filters.log_filterbank` for the arguments.

    Raises:
        RuntimeError: (also a ``ValueError``) when the top bin is above the Nyquist limit.

    Example:
        >>> filterbank_log(sample_rate=22050, n_freq=1025).shape
        TensorShape([1025, 84])
    """
    matrix = filters.log_filterbank(sample_rate, n_freq, n_bins, bins_per_octave, f_min, spread)
    return tf.constant(matrix, dtype=_get_floatx())


def mu_law_encoding(signal, quantization_channels):
    """Mu-law compress ``signal`` (in [-1, 1]) to int32 codes in ``[0, quantization_channels - 1]``.

    Example:
        >>> mu_law_encoding(tf.constant([-1.0, 0.0, 1.0]), 256).numpy()
        array([  0, 128, 255], dtype=int32)
    """
    return functional.mu_law_encode(tf.convert_to_tensor(signal), quantization_channels)


def mu_law_decoding(signal_mu, quantization_channels):
    """Expand mu-law codes in ``[0, quantization_channels - 1]`` back to floats in [-1, 1].

    The output has Keras's float type.

    Example:
        >>> mu_law_decoding(tf.constant([0, 255]), 256).numpy()
        array([-1.,  1.], dtype=float32)
    """
    return functional.mu_law_decode(signal_mu, quantization_channels, dtype=_get_floatx())
