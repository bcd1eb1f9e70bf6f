"""Polyphase resampling by a rational factor ``up / down``: ``scipy.signal.resample_poly`` in the graph.

Upsampling by ``up`` (zeros between samples), a linear-phase low-pass FIR filter and keeping every
``down``-th sample is, for the ``up`` outputs that follow each other in one period, one dot product
each with ``down`` new input samples: the whole resampler is a 1-D convolution with stride ``down``
and ``up`` output channels (one sub-filter, a *phase*, per channel), whose outputs interleave. Only
built-in TFLite ops (CONV_2D, PAD, RESHAPE), differentiable, any batch and length.
"""

import functools
import math

import numpy as np
import tensorflow as tf

from . import neutral
from .routes import on_tensorflow

from .dft import framed_dot
from .tensors import pad_time

#: scipy.signal.resample_poly's default window for its low-pass filter.
DEFAULT_WINDOW = ("kaiser", 5.0)


def reduced_factors(up, down):
    """``(up, down)`` divided by their greatest common divisor."""
    divisor = math.gcd(up, down)
    return up // divisor, down // divisor


def lowpass_filter(up, down, window=DEFAULT_WINDOW):
    """The anti-aliasing filter of ``scipy.signal.resample_poly(x, up, down, window=window)``.

    A windowed-sinc low-pass with cutoff ``1 / max(up, down)`` of the Nyquist frequency and
    ``20 * max(up, down) + 1`` taps, designed by ``scipy.signal.firwin`` and multiplied by ``up``
    (the gain that zero-stuffing takes away). ``up`` and ``down`` are reduced first.

    Returns:
        np.ndarray: float64 taps, odd length, centred.

    Example:
        >>> lowpass_filter(1, 2).shape
        (41,)
    """
    from scipy.signal import firwin

    up, down = reduced_factors(up, down)
    half_length = 10 * max(up, down)
    return firwin(2 * half_length + 1, 1.0 / max(up, down), window=window) * up


#: soxr's quality names that :func:`soxr_filter` reads a filter from (their 2:1 and 4:1 filters are linear-phase).
SOXR_QUALITIES = {"soxr_hq": "HQ", "soxr_vhq": "VHQ"}


@functools.lru_cache(maxsize=None)
def soxr_filter(down, quality="soxr_hq"):
    """The low-pass filter with which ``soxr.resample(x, down, 1, quality)`` decimates by ``down``.

    soxr (librosa's default resampler) is linear and shift-invariant away from a signal's start,
    so its filter is read off its responses to one impulse per input phase, taken far from the
    ends, and cut where the taps fall below 1e-7 of the largest (soxr's own rounding). Decimating with these taps
    (:func:`polyphase_kernel` with ``up=1``) equals soxr's output to ~1e-6, except for the first
    outputs of a 4:1 or higher ratio, where soxr starts differently (up to ~70 of them).

    Args:
        down (int): the decimation factor, >= 2.
        quality (str): ``'soxr_hq'`` or ``'soxr_vhq'`` (librosa's ``res_type`` names).

    Returns:
        np.ndarray: float64 taps, odd length, centred.

    Example:
        >>> taps = soxr_filter(2)
        >>> len(taps) % 2, round(float(taps.sum()), 6)
        (1, 1.0)
    """
    import soxr

    length = 1 << 15
    centre = length // 2
    responses = {}
    for phase in range(down):
        impulse = np.zeros(length)
        impulse[centre + phase] = 1.0
        out = soxr.resample(impulse, down, 1, SOXR_QUALITIES[quality])
        for m, value in enumerate(out):
            responses[m * down - centre - phase] = value
    offsets = np.array(sorted(responses))
    taps = np.array([responses[k] for k in offsets])
    significant = np.abs(offsets[np.abs(taps) > 1e-7 * np.abs(taps).max()])
    half_length = int(significant.max())
    return np.array([responses.get(k, 0.0) for k in range(-half_length, half_length + 1)])


#: Outputs per block of the polyphase convolution at least: 32 output channels make it a matrix product
#: (a 2:1 decimation of 16 x 10 s runs 6x faster than with one output per block).
MIN_OUTPUTS_PER_BLOCK = 32


def polyphase_kernel(taps, up, down, block=None):
    """The convolution kernel of the polyphase resampler and the zeros it needs before the signal.

    Output ``m = q * up + r`` is ``sum_j x[q * down + j] * taps[r * down + h - j * up]``, ``h`` the
    filter's centre (so that output ``m`` sits at input time ``m * down / up``, as in
    ``resample_poly``): with ``left`` zeros before the signal, block ``q`` reads the
    ``kernel.shape[0]`` samples from ``q * down`` and phase ``r`` is column ``r``.

    With ``block`` > 1 a block holds ``block`` periods (``block * up`` outputs from ``block * down``
    new samples): a few more multiplications per output, but a convolution with more output
    channels, which CPUs compute as a matrix product, several times faster when ``up`` is 1.

    Args:
        taps (np.ndarray): the filter, odd length (see :func:`lowpass_filter`).
        up, down (int): the reduced factors.
        block (int or None): periods per block; None for enough to give
            :data:`MIN_OUTPUTS_PER_BLOCK` outputs.

    Returns:
        tuple: ``(kernel, left)``, a float64 ``(taps_per_block, block * up)`` array and an int.
    """
    taps = np.asarray(taps, dtype=np.float64)
    block = -(-MIN_OUTPUTS_PER_BLOCK // up) if block is None else block
    half_length = (len(taps) - 1) // 2
    left = half_length // up  # the most samples before q * down that phase 0 reads
    phases = block * up
    last = ((phases - 1) * down + half_length) // up  # the last sample after the block's start that the last phase reads
    kernel = np.zeros((left + last + 1, phases))
    for phase in range(phases):
        offsets = np.arange(-left, last + 1)
        index = phase * down + half_length - offsets * up
        inside = (index >= 0) & (index < len(taps))
        kernel[inside.nonzero()[0], phase] = taps[index[inside]]
    return kernel, left


def resampled_length(length, up, down):
    """``ceil(length * up / down)``, the number of samples :func:`resample` returns (as scipy)."""
    return -(-length * up // down)


def resample(signals, up, down, kernel=None):
    """Resample ``signals`` by ``up / down`` along the last axis, as ``scipy.signal.resample_poly``.

    Args:
        signals (float Tensor): ``(..., time)``; the leading axes and time may be unknown.
        up, down (int): the factors, >= 1 (reduced by their gcd here).
        kernel (tuple or None): ``polyphase_kernel(taps, up, down, block)`` for the reduced
            factors, or None for :func:`lowpass_filter`'s (computed here in NumPy, once per trace).

    Returns:
        float Tensor: ``(..., ceil(time * up / down))`` in ``signals``' dtype; zeros are assumed
        beyond both ends (scipy's ``padtype='constant'``).

    Example:
        >>> import scipy.signal
        >>> x = np.random.default_rng(0).standard_normal(4410)
        >>> y = resample(tf.constant(x), 160, 441)
        >>> y.shape
        TensorShape([1600])
        >>> bool(np.allclose(y.numpy(), scipy.signal.resample_poly(x, 160, 441), atol=1e-12))
        True
    """
    if not on_tensorflow():
        return neutral.resample(signals, up, down, kernel)
    up, down = reduced_factors(up, down)
    if up == down == 1:
        return tf.identity(signals)
    matrix, left = polyphase_kernel(lowpass_filter(up, down), up, down) if kernel is None else kernel
    taps_per_block, outputs_per_block = matrix.shape
    stride = down * outputs_per_block // up  # the input samples a block advances by
    length = signals.shape[-1]
    dynamic_length = tf.shape(signals)[-1] if length is None else length
    out_length = (dynamic_length * up + down - 1) // down
    blocks = (out_length + outputs_per_block - 1) // outputs_per_block
    # zeros after the end so that the last block has all its samples (never a negative pad)
    right = (blocks - 1) * stride + taps_per_block - (dynamic_length + left)
    right = max(right, 0) if length is not None else tf.maximum(right, 0)
    padded = pad_time(signals, begin=left, end=right)
    outputs = framed_dot(padded, tf.constant(matrix, dtype=signals.dtype), stride)  # (..., blocks', outputs_per_block)
    # static sizes where known, so that the result keeps its static shape (TFLite has no EnsureShape)
    leading = [size if size is not None else tf.shape(outputs)[axis] for axis, size in enumerate(outputs.shape[:-2])]
    n_blocks = outputs.shape[-2] if outputs.shape[-2] is not None else tf.shape(outputs)[-2]
    interleaved = tf.reshape(outputs, leading + [n_blocks * outputs_per_block])  # not -1: TFLite keeps it static
    return interleaved[..., :out_length]
