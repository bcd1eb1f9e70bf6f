"""Shape and dtype helpers shared by the DSP modules."""

import tensorflow as tf


def shape_of(tensor, axes=None):
    """``tensor``'s shape (or of ``axes``) as a list: static sizes as ints, unknown ones as
    scalar tensors, so that a reshape to it keeps every size that is known when traced."""
    dynamic = tf.shape(tensor)
    axes = range(tensor.shape.rank) if axes is None else axes
    return [tensor.shape[i] if tensor.shape[i] is not None else dynamic[i] for i in axes]


def transpose(x, perm):
    """``tf.transpose(x, perm)``, as a free reshape when only axes of size 1 change places.

    A mono waveform or spectrogram moved between channels-first and channels-last keeps its
    memory order; ``tf.transpose`` would still copy it (56 MB for a 16-clip STFT).
    """
    from .routes import on_tensorflow

    if not on_tensorflow():
        from .neutral import transpose as move

        return move(x, perm)
    kept = [axis for axis in perm if x.shape[axis] != 1]
    if kept == sorted(kept):
        return tf.reshape(x, shape_of(x, perm))
    return tf.transpose(x, perm)


def float_dtype_of(dtype):
    """The float precision the DSP runs in for ``dtype``: float64 for float64 and complex128,
    float32 for everything else."""
    return tf.float64 if dtype in (tf.float64, tf.complex128) else tf.float32


def pad_time(signals, begin=0, end=0):
    """Zero-pad the last (time) axis of ``signals`` by ``begin`` and ``end`` samples (ints or
    scalar tensors)."""
    if isinstance(begin, int) and isinstance(end, int) and begin == 0 and end == 0:
        return signals
    from .routes import on_tensorflow

    if not on_tensorflow():
        from .neutral import _pad_last

        return _pad_last(signals, begin, end)
    rank = signals.shape.rank
    return tf.pad(signals, [[0, 0]] * (rank - 1) + [[begin, end]])


def time_slice(tensor, axis, start, stop):
    """``tensor[..., start:stop, ...]`` along ``axis`` of a tensor or NumPy array (Python slicing, so TFLite
    sees a strided slice)."""
    rank = len(tensor.shape)
    axis = axis % rank
    index = [slice(None)] * rank
    index[axis] = slice(start, stop)
    return tensor[tuple(index)]
