"""The STFT as one strided convolution with a windowed DFT kernel: the route for TensorFlow Lite
(built-in ops only, no complex dtype) and the trainable kernels of ``STFTSpectrogram``."""

import numpy as np
import tensorflow as tf

from . import neutral
from .routes import on_tensorflow

from .framing import end_padding, pad_for_frames
from .tensors import pad_time, shape_of
from .windows import window_values


def dft_kernel(n_fft, window):
    """Windowed real-DFT basis as a ``(len(window), n_fft // 2 + 1, 2)`` float64 array.

    ``kernel[n, k] = window[n] * (cos(2 pi k n / n_fft), -sin(2 pi k n / n_fft))``: the
    real and imaginary parts of bin ``k`` of ``rfft(window * frame, n_fft)`` are a frame's
    dot products with ``kernel[:, k, 0]`` and ``kernel[:, k, 1]``. A frame shorter than
    ``n_fft`` is zero-padded at the end, so only its ``len(window)`` samples need a row.
    """
    window = np.asarray(window, dtype=np.float64)
    # exact integer phase (k * n mod n_fft) keeps the angles small, so cos/sin stay exact for long FFTs
    phase = np.outer(np.arange(len(window)), np.arange(n_fft // 2 + 1)) % n_fft
    angles = 2.0 * np.pi * phase / n_fft
    cosine, sine = np.cos(angles), np.sin(angles)
    # quarter turns exactly (sin(pi) is 1.2e-16 in floating point): a purely real bin (DC, Nyquist of a
    # real frame) then gets an imaginary part of exactly 0, as from an FFT, and the angle pi, not -pi
    quarter = (4 * phase) % n_fft == 0
    turns = (4 * phase // n_fft) % 4
    cosine = np.where(quarter, np.array([1.0, 0.0, -1.0, 0.0])[turns], cosine)
    sine = np.where(quarter, np.array([0.0, 1.0, 0.0, -1.0])[turns], sine)
    return np.stack([cosine, 0.0 - sine], axis=-1) * window[:, None, None]  # 0.0 - 0.0 is +0, not -0


def framed_dot(signals, kernel, hop_length, padding="VALID"):
    """Dot product of every frame of ``signals`` with every column of ``kernel``: a strided 1-D conv.

    Frames of ``kernel.shape[0]`` samples every ``hop_length`` samples, never materialised.

    Args:
        signals (float Tensor): ``(..., time)``; the leading axes may be unknown.
        kernel (float Tensor or array): ``(frame_length, outputs)``.
        hop_length (int): samples between frame starts.
        padding (str): 'VALID' (frames inside the signal) or 'SAME' (``ceil(time / hop)``
            frames, zero padding split as ``tf.nn.conv1d`` splits it, the extra sample at the end).

    Returns:
        float Tensor: ``(..., frames, outputs)``.
    """
    if not on_tensorflow():
        return neutral.framed_dot(signals, kernel, hop_length, padding)
    kernel = tf.convert_to_tensor(kernel, dtype=signals.dtype)
    rank = signals.shape.rank
    flat = tf.reshape(signals, [-1] + shape_of(signals, [rank - 1]))
    # the unit channel axis is added last so that it stays static: TFLite's CONV_2D needs it known
    products = tf.nn.conv1d(tf.expand_dims(flat, -1), kernel[:, tf.newaxis, :], stride=hop_length, padding=padding)
    # the shape as a list of the sizes known when traced (shape_of), not a tensor of tf.shape's: TFLite's
    # converter infers no size from the latter, and a Conv2D after the STFT then fails to convert
    return tf.reshape(products, shape_of(signals, range(rank - 1)) + shape_of(products, [1, 2]))


def stft_pairs(signals, n_fft, win_length, hop_length, window=None, pad_end=False):
    """:func:`~kapre_like.functional.stft` as (real, imaginary) pairs on a trailing axis of size 2,
    no complex dtype.

    The frames and the DFT are one strided 1-D convolution with :func:`dft_kernel` (see
    :func:`framed_dot`), so the graph uses only ops that TensorFlow Lite has built in
    (CONV_2D, PAD, RESHAPE, ...), for any batch size and signal length. The DFT costs
    ``O(win_length * n_fft)`` per frame instead of the FFT's ``O(n_fft log n_fft)``; use
    :func:`~kapre_like.functional.stft` where TFLite is not the target.

    Args:
        signals (float Tensor): ``(..., time)``; the leading axes may be unknown.
        n_fft, win_length, hop_length, window, pad_end: as in :func:`~kapre_like.functional.stft`.

    Returns:
        float Tensor: ``(..., frames, n_fft // 2 + 1, 2)`` holding (real, imaginary).

    Example:
        >>> from kapre_like.functional import stft
        >>> x = tf.random.normal((2, 4000))
        >>> z = stft_pairs(x, n_fft=512, win_length=400, hop_length=160)
        >>> z.shape
        TensorShape([2, 23, 257, 2])
        >>> reference = stft(x, n_fft=512, win_length=400, hop_length=160)
        >>> bool(tf.reduce_max(tf.abs(tf.complex(z[..., 0], z[..., 1]) - reference)) < 1e-3)
        True
    """
    n_freq = n_fft // 2 + 1
    kernel = dft_kernel(n_fft, window_values(window, win_length)).reshape(win_length, 2 * n_freq)
    signals, pad_end = pad_for_frames(signals, 0, win_length, hop_length, pad_end)
    if pad_end:  # a length known at run time only: the same end padding, computed then
        signals = pad_time(signals, end=end_padding(tf.shape(signals)[-1], win_length, hop_length))
    pairs = framed_dot(signals, kernel, hop_length)
    return tf.reshape(pairs, shape_of(pairs, range(pairs.shape.rank - 1)) + [n_freq, 2])  # sizes TFLite can see


def inverse_dft_matrix(n_fft, dtype=np.float64):
    """``(2 * (n_fft // 2 + 1), n_fft)`` matrix taking interleaved (real, imaginary) bins to
    ``irfft(., n_fft)``: row ``2k`` is ``w_k cos(2 pi k n / n_fft) / n_fft``, row ``2k + 1`` is
    ``-w_k sin(2 pi k n / n_fft) / n_fft``, ``w_k = 1`` for DC and Nyquist, 2 otherwise."""
    bins = np.arange(n_fft // 2 + 1)
    angles = 2.0 * np.pi * (np.outer(bins, np.arange(n_fft)) % n_fft) / n_fft
    weights = np.where((bins == 0) | (2 * bins == n_fft), 1.0, 2.0)[:, None] / n_fft
    return np.stack([weights * np.cos(angles), -weights * np.sin(angles)], axis=1).reshape(-1, n_fft).astype(dtype)
