"""What a stream carries between chunks: the unfinished frame's samples and the overlap-add tail.

A stream feeds a transform ``chunk_hops * hop_length`` samples at a time. Before the STFT, the
samples of the frames not yet complete are kept (:func:`stream_state_length` of them) and put in
front of the next chunk (:func:`buffered`): the STFT of ``state + chunk`` without padding then
gives exactly ``chunk_hops`` frames, the frames the offline STFT gives for those samples. After
the inverse STFT, the last ``win_length - hop_length`` samples of the overlap-add are still
missing the next frames' contributions: they are kept and added to the next step's output
(:func:`overlap_add_step`).
"""

import tensorflow as tf

from . import neutral
from .routes import on_tensorflow
from .tensors import time_slice


def stream_state_length(frame_length, hop_length, pad_begin=0):
    """Samples a streaming STFT keeps between chunks, so that each chunk of ``k * hop_length``
    samples completes exactly ``k`` frames on the offline frame grid.

    Frame ``t`` of an offline STFT that prepends ``pad_begin`` zeros starts at sample
    ``t * hop_length - pad_begin``. The kept samples ``S`` lie in ``[frame_length - hop_length,
    frame_length)`` (so that ``S + k * hop_length`` samples hold ``k`` frames) and ``S = pad_begin``
    modulo ``hop_length`` (so that the frames fall on that grid). A stream that starts from ``S``
    zeros gives ``(S - pad_begin) / hop_length`` frames before the offline frame 0
    (:func:`stream_warmup_frames`).

    Args:
        frame_length (int): samples per frame (``win_length``).
        hop_length (int): samples between frame starts.
        pad_begin (int): zeros the offline STFT prepends (``win_length - hop_length`` for Kapre's
            ``pad_begin=True``). Defaults to 0.

    Returns:
        int: ``S``; ``frame_length - hop_length`` when ``hop_length`` divides ``frame_length`` or
        with ``pad_begin = frame_length - hop_length``, else ``hop_length * (ceil(frame_length /
        hop_length) - 1)`` for ``pad_begin=0``.

    Example:
        >>> stream_state_length(400, 160), stream_state_length(400, 160, pad_begin=240)
        (320, 240)
    """
    low = max(frame_length - hop_length, 0)
    return low + (pad_begin - low) % hop_length


def stream_warmup_frames(frame_length, hop_length, pad_begin=0):
    """Frames a stream that starts from zeros gives before the offline STFT's frame 0 (see
    :func:`stream_state_length`): ``ceil(frame_length / hop_length) - 1`` without ``pad_begin``, 0 with
    Kapre's ``pad_begin=True``. Frame ``j`` of the stream is offline frame ``j - warmup``.

    Example:
        >>> stream_warmup_frames(512, 128), stream_warmup_frames(512, 128, pad_begin=384)
        (3, 0)
    """
    return (stream_state_length(frame_length, hop_length, pad_begin) - pad_begin) // hop_length


def buffered(state, chunk, time_axis=-1):
    """``(buffer, next_state)``: ``state`` and ``chunk`` joined along ``time_axis``, and the last
    ``state.shape[time_axis]`` samples of that buffer, the state of the next step.

    Args:
        state (Tensor): the samples kept from the previous steps (zeros at the start), ``S`` along
            ``time_axis``.
        chunk (Tensor): the new samples, the same shape but along ``time_axis``.
        time_axis (int): the time axis. Defaults to -1.

    Example:
        >>> buffer, state = buffered(tf.constant([[1., 2.]]), tf.constant([[3., 4., 5.]]))
        >>> buffer.numpy().tolist(), state.numpy().tolist()
        ([[1.0, 2.0, 3.0, 4.0, 5.0]], [[4.0, 5.0]])
    """
    if not on_tensorflow():
        return neutral.buffered(state, chunk, time_axis)
    buffer = tf.concat([state, chunk], axis=time_axis)
    kept = state.shape[time_axis]
    if kept is None:
        kept = tf.shape(state)[time_axis]
    elif kept == 0:
        return buffer, state
    # a negative start slices from the end with no shape arithmetic in the graph
    return buffer, time_slice(buffer, time_axis, -kept if isinstance(kept, int) else tf.shape(buffer)[time_axis] - kept,
                               None)


def overlap_add_step(synthesized, tail, time_axis=-1):
    """``(samples, next_tail)`` of a streaming overlap-add: ``tail`` (the previous steps'
    unfinished samples) added to the start of ``synthesized`` (this step's frames overlap-added,
    ``k * hop_length + T`` samples for a tail of ``T``); the first ``k * hop_length`` samples are
    final, the last ``T`` the next tail.

    Example:
        >>> samples, tail = overlap_add_step(tf.constant([[1., 1., 1., 1.]]), tf.constant([[2., 3.]]))
        >>> samples.numpy().tolist(), tail.numpy().tolist()
        ([[3.0, 4.0]], [[1.0, 1.0]])
    """
    if not on_tensorflow():
        return neutral.overlap_add_step(synthesized, tail, time_axis)
    kept = tail.shape[time_axis]
    if kept is None:
        kept = tf.shape(tail)[time_axis]
    rank = synthesized.shape.rank
    axis = time_axis % rank
    length = synthesized.shape[axis]
    if length is None or not isinstance(kept, int):
        length = tf.shape(synthesized)[axis]
    padding = [[0, 0]] * rank
    padding[axis] = [0, length - kept]
    total = synthesized + tf.pad(tail, padding)
    return time_slice(total, axis, 0, length - kept), time_slice(total, axis, length - kept, None)
