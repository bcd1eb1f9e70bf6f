"""Per-channel energy normalisation (PCEN, Wang et al. 2017), ``librosa.pcen``'s formula."""

import numpy as np
import tensorflow as tf

from . import neutral
from .routes import on_tensorflow


def _as(value, dtype):
    """``value`` in ``dtype``; a Python number converted directly (not through float32)."""
    return tf.cast(value, dtype) if tf.is_tensor(value) else tf.constant(value, dtype)


def pcen_smoothing_coefficient(sample_rate, hop_length, time_constant):
    """``b`` of the first-order IIR smoother ``M[t] = (1 - b) M[t - 1] + b E[t]`` for a time constant in
    seconds: ``librosa.pcen``'s choice, the root of ``b**2 + (1 - b) / T - 2 = 0`` with ``T`` the
    time constant in frames.

    Example:
        >>> round(pcen_smoothing_coefficient(22050, 512, 0.4), 6)
        0.056389
    """
    frames = time_constant * sample_rate / float(hop_length)
    return float((np.sqrt(1 + 4 * frames**2) - 1) / (2 * frames**2))


def smooth(energies, coefficient, initial=1.0):
    """``M[t] = (1 - b) M[t - 1] + b E[t]`` along axis -2 (frames) of ``energies`` ``(..., frames, freq)``,
    with ``M[-1] = initial`` (librosa's default: the unit-step steady state, ``scipy.signal.lfilter_zi``).
    ``coefficient`` ``b`` broadcasts over the frequency axis.

    The recurrence is solved as a prefix scan with doubling steps (``y[t] += a**s y[t - s]`` for
    ``s = 1, 2, 4, ...``, ``a = 1 - b``): ``ceil(log2(frames))`` vectorised passes instead of a loop
    over frames, and no tensor lists, so a fixed length converts to TFLite with built-in ops (an
    unknown length runs a ``while`` loop over the passes).

    Example:
        >>> smooth(tf.constant([[2.0], [2.0], [0.0]]), 0.5).numpy()[:, 0]
        array([1.5  , 1.75 , 0.875], dtype=float32)
    """
    if not on_tensorflow():
        return neutral.smooth(energies, coefficient, initial)
    energies = tf.convert_to_tensor(energies)
    dtype = energies.dtype
    coefficient = _as(coefficient, dtype)
    log_decay = tf.math.log(tf.maximum(1.0 - coefficient, tf.cast(np.finfo(dtype.as_numpy_dtype).tiny, dtype)))
    rank = energies.shape.rank
    frames = energies.shape[-2]
    n_frames = tf.shape(energies)[-2]
    no_padding = [[0, 0]] * (rank - 2)

    def doubled(step, summed):
        shift = tf.minimum(step, n_frames)
        earlier = tf.pad(summed[..., :n_frames - shift, :], no_padding + [[shift, 0], [0, 0]])
        return step * 2, summed + tf.exp(tf.cast(step, dtype) * log_decay) * earlier

    step, summed = tf.constant(1), energies
    if frames is not None:  # a known length: the passes unrolled
        for _ in range(int(np.ceil(np.log2(max(frames, 1))))):
            step, summed = doubled(step, summed)
    else:
        step, summed = tf.while_loop(lambda step, _: step < n_frames, doubled, (step, summed))
    positions = tf.cast(tf.range(1, n_frames + 1), dtype)[:, tf.newaxis]  # t + 1
    return coefficient * summed + tf.exp(positions * log_decay) * _as(initial, dtype)


def pcen(energies, coefficient, gain=0.98, bias=2.0, power=0.5, eps=1e-6, smoothed=None):
    """``(E * (eps + M) ** -gain + bias) ** power - bias ** power`` with ``M`` the smoothed energies
    (:func:`smooth`), computed as ``librosa.pcen`` does (in log space, ``expm1``/``log1p``).

    Args:
        energies (float Tensor): ``(..., frames, freq)``, non-negative (a magnitude or mel spectrogram).
        coefficient: the smoother's ``b`` in (0, 1] (:func:`pcen_smoothing_coefficient`), a number or
            one per frequency channel. So are ``gain``, ``bias`` (> 0), ``power`` (> 0).
        eps (float): floor of the smoothed energy. Defaults to 1e-6.
        smoothed (float Tensor or None): ``M`` itself, when the caller has it: a signal computed in blocks
            smooths each block from the last smoothed frame of the one before (:func:`smooth`'s ``initial``) and
            keeps that frame for the next. Defaults to None: ``smooth(energies, coefficient)`` (from librosa's
            initial state, 1).

    Returns:
        float Tensor: the shape of ``energies``.
    """
    if not on_tensorflow():
        return neutral.pcen(energies, coefficient, gain, bias, power, eps, smoothed)
    energies = tf.convert_to_tensor(energies)
    dtype = energies.dtype
    gain, bias, power = (_as(value, dtype) for value in (gain, bias, power))
    smoothed = smooth(energies, coefficient) if smoothed is None else tf.cast(smoothed, dtype)
    normaliser = tf.exp(-gain * (tf.math.log(_as(eps, dtype)) + tf.math.log1p(smoothed / eps)))
    return bias**power * tf.math.expm1(power * tf.math.log1p(energies * normaliser / bias))
