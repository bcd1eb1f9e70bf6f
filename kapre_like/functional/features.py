"""Features computed from spectrograms and frames: deltas, frame energy, DCT and MFCC, random
masks and permutations for augmentation, the frequency map, mu-law companding."""

import functools

import keras
import numpy as np
import tensorflow as tf

from . import neutral
from .routes import on_tensorflow

from .filterbank import apply_filterbank


def delta(x, win_length=5, mode="symmetric", axis=1):
    """Local slope along ``axis`` by linear regression over ``win_length`` points.

    ``d[t] = sum_{n=1}^{N} n * (x[t + n] - x[t - n]) / (2 * sum_{n=1}^{N} n**2)`` with
    ``N = (win_length - 1) // 2``, after padding ``N`` values at both ends with ``mode``
    ('symmetric', 'reflect' or 'constant', as in ``tf.pad``). This is the formula of
    ``librosa.feature.delta`` (order 1).
    """
    if not on_tensorflow():
        return neutral.delta(x, win_length, mode, axis)
    half = (win_length - 1) // 2
    rank = x.shape.rank
    axis = axis % rank
    paddings = [[0, 0]] * rank
    paddings[axis] = [half, half]
    padded = tf.pad(x, paddings, mode=mode.upper())

    def shifted(offset):
        # Python slicing with static bounds keeps every static size (a tf.slice with a size tensor
        # would not, and layers after an unknown-length Delta, a Conv2D, would then not export)
        index = [slice(None)] * rank
        index[axis] = slice(half + offset, (offset - half) or None)
        return padded[tuple(index)]

    numerator = tf.add_n([n * (shifted(n) - shifted(-n)) for n in range(1, half + 1)])
    return numerator / (2.0 * sum(n * n for n in range(1, half + 1)))


def frame_energy(signals, frame_length, hop_length, sample_rate, ref_duration, pad_end=False, pad_value=0, axis=-1):
    """Energy of each frame, per ``ref_duration`` seconds (Kapre's ``Energy``).

    ``sum(frame**2) * ref_duration / (frame_length / sample_rate)``: the mean square of the
    frame times the number of samples in ``ref_duration``. Frames are taken along ``axis``
    as ``tf.signal.frame`` takes them; the frame axis replaces ``axis``.

    Example:
        >>> x = tf.ones((1, 4410))
        >>> frame_energy(x, 2205, 1102, sample_rate=22050, ref_duration=0.1).numpy()
        array([[2205., 2205., 2205.]], dtype=float32)
    """
    if not on_tensorflow():
        return neutral.frame_energy(signals, frame_length, hop_length, sample_rate, ref_duration, pad_end, pad_value, axis)
    frames = tf.signal.frame(signals, frame_length, hop_length, pad_end=pad_end, pad_value=pad_value, axis=axis)
    sample_axis = (axis % signals.shape.rank) + 1
    scale = ref_duration * sample_rate / frame_length
    return tf.reduce_sum(tf.square(frames), axis=sample_axis) * tf.constant(scale, dtype=frames.dtype)


@functools.lru_cache(maxsize=64)
def dct_matrix(n_inputs, n_outputs, dtype=np.float64, norm=None):
    """``(n_inputs, n_outputs)`` DCT-II matrix, scaled as TensorFlow (``norm=None``) or orthonormal.

    ``matrix[n, k] = sqrt(2 / N) * cos(pi * k * (2n + 1) / (2N))`` with ``N = n_inputs``: with
    ``norm=None``, the scaling of ``tf.signal.mfccs_from_log_mel_spectrograms``, HTK and Kapre,
    the orthonormal DCT-II except that coefficient 0 is ``sqrt(2)`` times larger; with
    ``norm='ortho'``, the orthonormal DCT-II of ``scipy.fft.dct(norm='ortho')`` and
    ``librosa.feature.mfcc``. Computed once per size and kept, read-only (:func:`mfcc` asks for it
    on every eager call).
    """
    n = np.arange(n_inputs)[:, None]
    k = np.arange(n_outputs)[None, :]
    matrix = np.sqrt(2.0 / n_inputs) * np.cos(np.pi * k * (2 * n + 1) / (2 * n_inputs))
    if norm == "ortho":
        matrix[:, 0] /= np.sqrt(2.0)
    matrix = matrix.astype(dtype)
    matrix.flags.writeable = False
    return matrix


def mfcc(log_mel, n_mfccs, axis=-1, norm=None):
    """The first ``n_mfccs`` DCT-II coefficients (:func:`dct_matrix`, scaled by ``norm``) of ``log_mel``
    along ``axis``.

    The mean over ``axis`` is taken out before the product and put back into coefficient 0
    (where alone it belongs: every other row of the DCT sums to zero). A log-mel spectrogram sits
    far from zero (-100 to -500 dB for quiet audio), and a float32 product summing values of that
    size loses their small differences, which are what the higher coefficients measure: with 128
    mels at -500 dB, centring cuts the error of coefficients 1+ from ~3e-3 to ~1e-5, and that of
    coefficient 0 to about one float32 spacing (the float32 rounding of the mean and of the sum).

    Args:
        log_mel (Tensor): float log-mel spectrogram (any rank).
        n_mfccs (int): coefficients to keep, at most ``log_mel.shape[axis]``.
        axis (int): the mel axis; the coefficients take its place.
        norm (None or 'ortho'): the DCT's scaling, TensorFlow's and Kapre's (None, the default) or
            orthonormal (``'ortho'``, librosa's).

    Example:
        >>> x = tf.fill((1, 40), -500.0)
        >>> y = mfcc(x, 3)
        >>> round(float(y[0, 0] / np.sqrt(80.0)), 3), float(y[0, 1]), float(y[0, 2])
        (-500.0, 0.0, 0.0)
    """
    rank = len(log_mel.shape)  # (keras.ops: every backend)
    axis = axis % rank
    n_mels = int(log_mel.shape[axis])
    mean = keras.ops.mean(log_mel, axis=axis, keepdims=True)
    coefficients = apply_filterbank(log_mel - mean, dct_matrix(n_mels, n_mfccs, norm=norm), axis=axis)
    # the constant `mean` through row 0, sqrt(2 / N) (sqrt(1 / N) orthonormal), summed over N bins: sqrt(2 N) * mean
    # (sqrt(N) * mean), in coefficient 0 only
    first = np.zeros([n_mfccs] + [1] * (rank - 1 - axis))
    first[0] = np.sqrt((1.0 if norm == "ortho" else 2.0) * n_mels)
    return coefficients + mean * keras.ops.convert_to_tensor(first.astype(keras.backend.standardize_dtype(log_mel.dtype)))


def random_band_mask(batch_size, length, n_masks, max_width, seed=None):
    """Boolean ``(batch_size, length)``: ``n_masks`` random bands per row (SpecAugment).

    Each band has a width drawn uniformly from ``0 .. min(max_width, length)`` and a start
    drawn uniformly from the positions where it fits, independently per row and band, as
    in Park et al. (2019). Bands may overlap.

    Args:
        batch_size, length (int or scalar int Tensor): rows and positions per row.
        n_masks (int): bands per row.
        max_width (int): largest band width.
        seed (int, keras.random.SeedGenerator or None): randomness, as in ``keras.random``.
    """
    if not on_tensorflow():
        return neutral.random_band_mask(batch_size, length, n_masks, max_width, seed)
    shape = tf.stack([batch_size, n_masks])
    widths = tf.minimum(keras.random.randint(shape, 0, max_width + 1, seed=seed), length)
    fraction = keras.random.uniform(shape, seed=seed)
    starts = tf.cast(tf.floor(fraction * tf.cast(length - widths + 1, fraction.dtype)), tf.int32)
    positions = tf.range(length)[tf.newaxis, tf.newaxis, :]
    inside = (positions >= starts[..., tf.newaxis]) & (positions < (starts + widths)[..., tf.newaxis])
    return tf.reduce_any(inside, axis=1)


def random_permutations(batch_size, n, seed=None):
    """``(batch_size, n)`` int32: an independent uniformly random permutation of ``range(n)`` per row."""
    if not on_tensorflow():
        return neutral.random_permutations(batch_size, n, seed)
    return tf.argsort(keras.random.uniform(tf.stack([batch_size, n]), seed=seed), axis=-1)


def frequency_map(n_freq, dtype=tf.float32):
    """``n_freq`` values rising linearly from 0 to 1: the normalised frequency of each bin."""
    if not on_tensorflow():
        return neutral.frequency_map(n_freq, dtype)
    return tf.cast(tf.linspace(0.0, 1.0, n_freq), dtype)


def mu_law_encode(signal, quantization_channels):
    """Mu-law compand ``signal`` in [-1, 1] and quantize to integers in [0, channels - 1] (int32).

    Values outside [-1, 1] are clipped to it first (a code outside the range would not decode).
    """
    if not on_tensorflow():
        return neutral.mu_law_encode(signal, quantization_channels)
    mu = quantization_channels - 1.0
    signal = tf.clip_by_value(signal, -1.0, 1.0)
    companded = tf.sign(signal) * tf.math.log1p(mu * tf.abs(signal)) / np.log1p(mu)
    return tf.cast((companded + 1.0) / 2.0 * mu + 0.5, tf.int32)


def mu_law_decode(signal_mu, quantization_channels, dtype=tf.float32):
    """Invert :func:`mu_law_encode`: integers in [0, channels - 1] to floats in [-1, 1]."""
    if not on_tensorflow():
        return neutral.mu_law_decode(signal_mu, quantization_channels, dtype)
    mu = quantization_channels - 1.0
    companded = tf.cast(signal_mu, dtype) / mu * 2.0 - 1.0
    return tf.sign(companded) * (tf.exp(tf.abs(companded) * np.log1p(mu)) - 1.0) / mu
