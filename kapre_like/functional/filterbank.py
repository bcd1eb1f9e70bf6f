"""Filterbanks (mel, log-frequency, DCT) applied along one axis as one dense product."""

import tensorflow as tf

from . import neutral
from .routes import on_tensorflow

from .tensors import shape_of, transpose


def filterbank_constant(filterbank, dtype):
    """``filterbank`` (array, constant or tensor) as a tensor of ``dtype``: a constant when its
    values are known, so that a graph need not cast it on every call."""
    values = tf.get_static_value(filterbank)  # None for a variable or a symbolic tensor
    return tf.cast(filterbank, dtype) if values is None else tf.constant(values, dtype=dtype)


def apply_filterbank(x, filterbank, axis=-1):
    """Contract axis ``axis`` of ``x`` (frequency) with ``filterbank`` ``(n_freq, n_filters)``.

    The filter axis takes the place of the frequency axis. ``filterbank`` is an array, a
    constant or a tensor, cast to ``x``'s dtype. One dense product: on CPU (oneDNN) it is
    as fast as products over the non-zero band of a mel matrix only, and simpler.

    Example:
        >>> apply_filterbank(tf.ones((2, 3, 4)), tf.ones((4, 5)), axis=-1).shape
        TensorShape([2, 3, 5])
    """
    if not on_tensorflow():
        return neutral.apply_filterbank(x, filterbank, axis)
    weights = filterbank_constant(filterbank, x.dtype)
    rank = x.shape.rank
    axis = axis % rank
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    moved = x if axis == rank - 1 else transpose(x, perm)
    flat = tf.reshape(moved, [-1, shape_of(moved, [rank - 1])[0]])
    result = tf.reshape(tf.matmul(flat, weights), shape_of(moved, range(rank - 1)) + [weights.shape[1]])
    return result if axis == rank - 1 else transpose(result, perm)
