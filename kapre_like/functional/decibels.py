"""Decibels, with a floor ``dynamic_range`` below the loudest value of each batch item."""

import inspect

import numpy as np
import tensorflow as tf

from . import neutral
from .routes import on_tensorflow


def _log10(x):
    return tf.math.log(x) * tf.constant(1.0 / np.log(10.0), dtype=x.dtype)


def to_decibel(x, ref_value=1.0, amin=1e-5, dynamic_range=80.0, multiplier=10.0, batch_axis=True):
    """Decibels: ``multiplier * log10(max(x, amin) / max(ref_value, amin))``, floor-clipped.

    With ``multiplier=10`` this is ``librosa.power_to_db(x, ref=ref_value, amin=amin,
    top_db=dynamic_range)``; with ``multiplier=20`` it is ``librosa.amplitude_to_db``.
    The floor is ``max - dynamic_range`` where the maximum is taken per batch item (over
    every axis but the first) when ``batch_axis`` and ``x`` has more than one axis.
    float16 and bfloat16 inputs are computed in float32 and cast back.

    Args:
        x (float Tensor): non-negative values (power or magnitude).
        ref_value (float): the input value that maps to 0 dB. Defaults to 1.0.
        amin (float): smallest input value considered; smaller values are raised to it.
        dynamic_range (float or None): range below the maximum that is kept, in dB;
            None keeps everything. Defaults to 80.
        multiplier (float): 10 for power, 20 for magnitude. Defaults to 10.
        batch_axis (bool): treat the first axis as the batch. Defaults to True.

    Example:
        >>> round(float(to_decibel(tf.constant([100.0]), batch_axis=False)[0]), 4)
        20.0
    """
    if not on_tensorflow():
        return neutral.to_decibel(x, ref_value, amin, dynamic_range, multiplier, batch_axis)
    rank = x.shape.rank
    axes = list(range(1, rank)) if (batch_axis and rank is not None and rank > 1) else None
    peak = None if dynamic_range is None else loudest(multiplier)(x, axes, keepdims=True)
    return decibel_below_peak(x, peak, ref_value, amin, dynamic_range, multiplier)


def decibel_settings(arguments):
    """:func:`to_decibel`'s keyword ``arguments`` with its defaults filled in."""
    defaults = {name: parameter.default for name, parameter in inspect.signature(to_decibel).parameters.items()
                if parameter.default is not parameter.empty}
    return {**defaults, **arguments}


def loudest(multiplier):
    """The reduction that finds the value of the loudest decibel: the largest value on a rising
    scale (``multiplier > 0``), the smallest on a falling one."""
    return tf.reduce_max if multiplier > 0 else tf.reduce_min


def decibel_below_peak(x, peak, ref_value, amin, dynamic_range, multiplier):
    """:func:`to_decibel` of ``x`` whose floor is ``dynamic_range`` below the decibels of ``peak``
    (the loudest input value, broadcastable to ``x``; unused when ``dynamic_range`` is None)."""
    input_dtype = x.dtype
    if input_dtype in (tf.float16, tf.bfloat16):
        x = tf.cast(x, tf.float32)
        peak = None if peak is None else tf.cast(peak, tf.float32)
    dtype = x.dtype
    log_ref = float(multiplier * np.log10(max(ref_value, amin)))

    def decibel(values):
        return multiplier * _log10(tf.maximum(values, tf.constant(amin, dtype=dtype))) - tf.constant(log_ref, dtype)

    db = decibel(x)
    if dynamic_range is not None:
        db = tf.maximum(db, decibel(peak) - tf.constant(dynamic_range, dtype=dtype))
    return tf.cast(db, input_dtype)
