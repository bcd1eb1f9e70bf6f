"""Frames: how many, the padding they need, cutting them out (and the pieces of a long signal
that chunks of frames read), and adding them back together (overlap-add)."""

import math

import numpy as np
import tensorflow as tf

from .finite import check_finite
from .tensors import pad_time, shape_of, transpose


def frame_count(n_samples, frame_length, hop_length, pad_end=False, center=False):
    """Number of frames :func:`frame` makes from ``n_samples`` samples (None if unknown).

    ``ceil(n_samples / hop_length)`` with ``pad_end``, else
    ``max(0, 1 + (n_samples - frame_length) // hop_length)``, counting the ``frame_length // 2``
    samples :func:`center_pad` adds at each end with ``center`` (``1 + n_samples // hop_length``
    for an even frame length, as librosa and torch).
    """
    if n_samples is None:
        return None
    if center:
        n_samples += 2 * (frame_length // 2)
    if pad_end:
        return -(-n_samples // hop_length)
    return max(0, 1 + (n_samples - frame_length) // hop_length)


#: How :func:`center_pad` fills the ``n_fft // 2`` samples it adds at each end.
PAD_MODES = ("constant", "reflect")


def center_pad(signals, n_fft, pad_mode="constant", channels_last=False, hop_length=None):
    """``signals`` with ``n_fft // 2`` samples added at both ends of the time axis: zeros
    (``'constant'``) or the signal reflected about its first and last samples (``'reflect'``), as
    ``librosa.stft(center=True)`` and ``torch.stft(center=True)`` pad. Frame ``t`` of the padded
    signal is then centred on sample ``t * hop_length``.

    With ``hop_length`` and a length known when traced, the end gets only the samples that the last
    frame of ``n_fft`` reads: the same frames, from a signal exactly as long as they cover, which
    framing then reads without another copy.

    Raises:
        ValueError: ``pad_mode`` is unknown, or ``'reflect'`` on a signal of ``n_fft // 2`` samples or
            fewer (a reflection needs more samples than it adds); for a length known only at run time,
            ``tf.errors.InvalidArgumentError`` then.

    Example:
        >>> center_pad(tf.constant([1.0, 2.0, 3.0, 4.0]), 4, 'reflect').numpy()
        array([3., 2., 1., 2., 3., 4., 3., 2.], dtype=float32)
    """
    if pad_mode not in PAD_MODES:
        raise ValueError(f"`pad_mode` must be one of {list(PAD_MODES)}; got {pad_mode!r}.")
    from .routes import on_tensorflow

    if not on_tensorflow():
        from .neutral import center_pad as padded

        return padded(signals, n_fft, pad_mode, channels_last, hop_length)
    half = n_fft // 2
    rank = signals.shape.rank
    time_axis = 1 if channels_last else rank - 1
    if pad_mode == "reflect":
        time = signals.shape[time_axis]
        requirement = f"reflect padding (center=True) needs a signal longer than n_fft // 2 = {half} samples"
        if time is not None and time <= half:
            raise ValueError(f"{requirement}; got {time} samples. Pass a longer signal or pad_mode='constant'.")
        if time is None:
            check = tf.debugging.assert_greater(tf.shape(signals)[time_axis], half, message=requirement)
            with tf.control_dependencies([check]):
                signals = tf.identity(signals)
    time = signals.shape[time_axis]
    end = half
    if hop_length is not None and time is not None:
        covered = (frame_count(time, n_fft, hop_length, center=True) - 1) * hop_length + n_fft
        end = min(half, max(0, covered - time - half))
    if pad_mode == "constant":
        paddings = [[0, 0]] * rank
        paddings[time_axis] = [half, end]
        return tf.pad(signals, paddings)
    # the reflections as reversed slices beside the signal: one copy, twice as fast as MirrorPad
    parts = [tf.reverse(_along(signals, time_axis, 1, half + 1), [time_axis]), signals]
    if end:
        parts.append(tf.reverse(_along(signals, time_axis, -end - 1, -1), [time_axis]))
    return tf.concat(parts, axis=time_axis)


def _along(x, axis, start, stop):
    """``x[..., start:stop, ...]`` on ``axis``."""
    index = [slice(None)] * x.shape.rank
    index[axis] = slice(start, stop)
    return x[tuple(index)]


def end_padding(length, frame_length, hop_length):
    """The samples ``tf.signal.frame(pad_end=True)`` adds after ``length`` samples, so that its last
    frame (the ``ceil(length / hop_length)``-th) is whole: an int for an int ``length``, a scalar
    tensor for a length known at run time only.

    Example:
        >>> end_padding(4096, 256, 100)
        160
    """
    frames = (length + hop_length - 1) // hop_length
    missing = (frames - 1) * hop_length + frame_length - length
    return max(missing, 0) if isinstance(length, int) else tf.maximum(missing, 0)


def pad_for_frames(signals, begin, frame_length, hop_length, pad_end):
    """Zero-pad ``begin`` samples at the start and, with ``pad_end``, the end padding that
    ``tf.signal.frame(pad_end=True)`` would add, in one copy when the length is known.

    Returns ``(signals, pad_end)``: the padded signals and whether framing must still pad the
    end (only when the length is unknown until run time).
    """
    time = signals.shape[-1]
    if not pad_end or time is None:
        return pad_time(signals, begin=begin), pad_end
    return pad_time(signals, begin=begin, end=end_padding(time + begin, frame_length, hop_length)), False


def time_last_padded(signals, pad_begin, frame_length, hop_length, pad_end, channels_last, finite_message=None):
    """``signals`` time-last (``(batch, time, ch)`` moved to ``(batch, ch, time)`` when
    ``channels_last``) and padded for framing, checked for NaN/Inf when ``finite_message`` is
    given: ``(waveforms, pad_end)`` as :func:`pad_for_frames` returns them."""
    if finite_message is not None:
        signals = check_finite(signals, finite_message)
    waveforms = transpose(signals, (0, 2, 1)) if channels_last else signals
    return pad_for_frames(waveforms, pad_begin, frame_length, hop_length, pad_end)


def chunk_pieces(signals, n_frames, frames_per_chunk, frame_length, hop_length, pad_begin=0, channels_last=False):
    """The samples that each chunk of ``frames_per_chunk`` frames reads, time-last.

    Frames are those of ``signals`` after ``pad_begin`` zeros at the start (and zeros at the end
    where the last chunk reaches past the signal): every piece holds exactly
    ``(frames_per_chunk - 1) * hop_length + frame_length`` samples, read from the signal as it is
    laid out (``(batch, time, ch)`` when ``channels_last``) with its own zeros put around it, so
    that no padded or transposed copy of the whole signal is made. The last piece may hold frames
    beyond the ``n_frames`` wanted: drop them from its result. The time length must be known.

    Yields:
        Tensors ``(..., samples)``, ``ceil(n_frames / frames_per_chunk)`` of them, one at a time (eagerly,
        a piece is freed once its chunk is computed).
    """
    time = signals.shape[1 if channels_last else -1]
    for first in range(0, n_frames, frames_per_chunk):
        begin = first * hop_length - pad_begin
        end = begin + (frames_per_chunk - 1) * hop_length + frame_length
        inside = slice(max(begin, 0), min(end, time))
        piece = transpose(signals[:, inside], (0, 2, 1)) if channels_last else signals[..., inside]
        yield pad_time(piece, max(0, -begin), max(0, end - time))


def in_xla_context():
    """Whether the graph being traced is compiled whole with XLA (``tf.function(jit_compile=True)``,
    ``model.compile(jit_compile=True)``). TensorFlow asks the same (private) question before it
    compiles a function; if it cannot be asked, the answer is no (the plain route, which compiles too)."""
    if tf.executing_eagerly():
        return False
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - moved in a future TensorFlow
        return False
    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def frame(signals, frame_length, hop_length, pad_end=False):
    """Frames of ``signals`` ``(..., time)``: ``tf.signal.frame(signals, frame_length, hop_length, pad_end)``.

    When the length is known and no end padding is asked for, the signal is cut into blocks of
    ``gcd(frame_length, hop_length)`` samples and every frame gathered as a run of whole blocks:
    the same single copy ``tf.signal.frame`` makes, with a few ops instead of its dozens, so that
    the graph traces faster. Inside a graph compiled with XLA (``jit_compile=True``), where XLA's
    gather is slower than its lowering of ``tf.signal.frame`` (33 against 41 ms for the reference
    front end), ``tf.signal.frame`` itself.

    Returns:
        Tensor: ``(..., frames, frame_length)``, the dtype of ``signals``.

    Example:
        >>> frame(tf.range(6.0), 4, 2).numpy()
        array([[0., 1., 2., 3.],
               [2., 3., 4., 5.]], dtype=float32)
    """
    time = signals.shape[-1]
    if time is None or pad_end or in_xla_context():
        return tf.signal.frame(signals, frame_length, hop_length, pad_end=pad_end)
    n_frames = frame_count(time, frame_length, hop_length)
    block = math.gcd(frame_length, hop_length)
    per_frame, per_hop = frame_length // block, hop_length // block
    n_blocks = (n_frames - 1) * per_hop + per_frame if n_frames else 0
    outer = shape_of(signals, range(signals.shape.rank - 1))
    blocks = tf.reshape(signals[..., :n_blocks * block], outer + [n_blocks, block])
    selector = np.arange(n_frames, dtype=np.int32)[:, None] * per_hop + np.arange(per_frame, dtype=np.int32)
    return tf.reshape(tf.gather(blocks, selector, axis=-2), outer + [n_frames, frame_length])


def overlap_add(frames, hop_length):
    """``tf.signal.overlap_and_add(frames, hop_length)``: frames ``(..., frames, length)`` summed
    ``hop_length`` samples apart into ``(..., (frames - 1) * hop_length + length)``.

    When the hop divides the frame length, a frame is ``n`` blocks of one hop and output block
    ``j`` is the sum of block ``b`` of frame ``j - b``: ``n`` shifted copies added one after the
    other, faster on CPU than ``tf.signal.overlap_and_add``'s pad, reshape, transpose and sum, with
    the same working memory.

    Example:
        >>> overlap_add(tf.ones((3, 4)), 2).numpy()
        array([1., 1., 2., 2., 2., 2., 1., 1.], dtype=float32)
    """
    length = frames.shape[-1]
    if length is None or length % hop_length or frames.shape.rank < 2:
        return tf.signal.overlap_and_add(frames, hop_length)
    n_blocks = length // hop_length
    rank = frames.shape.rank
    outer = shape_of(frames, range(rank - 1))
    blocks = tf.reshape(frames, outer + [n_blocks, hop_length])
    no_padding = [[0, 0]] * (rank - 2)
    total = None
    for b in range(n_blocks):
        # one shifted copy at a time, each made once the previous one is added: a graph would
        # otherwise make all of them first, each the size of the output
        with tf.control_dependencies([] if total is None or tf.executing_eagerly() else [total]):
            shifted = tf.pad(blocks[..., b, :], no_padding + [[b, n_blocks - 1 - b], [0, 0]])
        total = shifted if total is None else total + shifted
    # the length spelled out, not -1: TFLite's converter then keeps it static
    return tf.reshape(total, outer[:-1] + [(outer[-1] + n_blocks - 1) * hop_length])
