"""Waveform conditioning: level normalisation, time shifts, convolution with an impulse response,
and the encoder's partition spectrogram. Used by :mod:`kapre_like.encoder` (NumPy items, eager)
and its Keras layer (in a graph) alike."""

import numpy as np
import tensorflow as tf

from .spectral import magnitude
from .fourier import stft
from .tensors import pad_time


def normalize_waveform(signals, mode=None, value=1.0):
    """Scale each signal (last axis) so that its peak (``mode='max'``) or RMS (``'rms'``) is ``value``.

    ``mode=None`` returns the input. Silent signals are returned unchanged (no division by 0).

    Example:
        >>> normalize_waveform(tf.constant([[0.1, -0.5]]), "max").numpy()
        array([[ 0.2, -1. ]], dtype=float32)
    """
    if mode is None:
        return signals
    if mode == "max":
        level = tf.reduce_max(tf.abs(signals), axis=-1, keepdims=True)
    elif mode == "rms":
        level = tf.sqrt(tf.reduce_mean(tf.square(signals), axis=-1, keepdims=True))
    else:
        raise ValueError(f"normalization mode must be None, 'max' or 'rms'; got {mode!r}.")
    scale = tf.where(level > 0, tf.cast(value, signals.dtype) / tf.where(level > 0, level, 1), tf.ones_like(level))
    return signals * scale


def time_shift(signals, shift):
    """Delay (``shift > 0``) or advance (``< 0``) signals by ``shift`` samples, zero-filling; length kept.

    Example:
        >>> time_shift(tf.constant([1.0, 2.0, 3.0, 4.0]), 1).numpy()
        array([0., 1., 2., 3.], dtype=float32)
    """
    length = tf.shape(signals)[-1]
    shift = tf.clip_by_value(tf.cast(shift, tf.int32), -length, length)
    positions = tf.range(length)
    kept = (positions >= shift) & (positions < length + shift)  # positions that receive a sample
    return tf.where(kept, tf.roll(signals, shift, axis=-1), tf.zeros_like(signals))


def convolve(signals, impulse_response, mix=1.0):
    """``mix * (signals * impulse_response) + (1 - mix) * signals``, the convolution cut to the input length.

    A unit impulse gives the input back. ``impulse_response`` is 1-D.

    Example:
        >>> convolve(tf.constant([1.0, 2.0, 3.0]), tf.constant([0.0, 1.0])).numpy()
        array([0., 1., 2.], dtype=float32)
    """
    response = tf.cast(tf.reverse(tf.convert_to_tensor(impulse_response), [0]), signals.dtype)
    taps = tf.shape(response)[0]
    shape = tf.shape(signals)
    flat = tf.reshape(signals, [-1, shape[-1]])
    padded = tf.pad(flat, [[0, 0], [taps - 1, 0]])  # causal: output[n] = sum_k h[k] x[n - k]
    wet = tf.nn.conv1d(padded[..., tf.newaxis], response[:, tf.newaxis, tf.newaxis], stride=1, padding="VALID")
    wet = tf.ensure_shape(tf.reshape(wet[..., 0], shape), signals.shape)  # keeps the static shape (and rank)
    return tf.cast(mix, signals.dtype) * wet + tf.cast(1.0 - mix, signals.dtype) * signals


def partition_stft(signals, window_size, offset, window):
    """Complex spectra of ``ceil(length / offset)`` partitions (the encoders').

    Partition ``t`` holds samples ``[t * offset, t * offset + window_size)``; the end is
    zero-padded so that the last one is complete. Each partition is multiplied by
    ``window`` (an array of ``window_size`` values) and transformed with a real FFT of
    ``window_size`` points: ``floor(window_size / 2) + 1`` bins. That is ``librosa.stft`` with
    ``center=False`` of the end-padded signal.

    Example:
        >>> partition_stft(tf.zeros(1000), 400, 133, np.hanning(400)).shape
        TensorShape([8, 201])
    """
    length = tf.shape(signals)[-1]
    n_partitions = (length + offset - 1) // offset
    padded = pad_time(signals, end=tf.maximum((n_partitions - 1) * offset + window_size - length, 0))
    # stft, not windowed_rfft: its route planner takes the real-arithmetic route where the graph needs one (ONNX)
    return stft(padded, window_size, window_size, offset, np.asarray(window, np.float64))


def partition_spectrogram(signals, window_size, offset, window):
    """Magnitude spectrogram of ``ceil(length / offset)`` partitions (the encoder's): the magnitude
    of :func:`partition_stft`.

    Example:
        >>> partition_spectrogram(tf.zeros(1000), 400, 133, np.hanning(400)).shape
        TensorShape([8, 201])
    """
    return magnitude(partition_stft(signals, window_size, offset, window))
