"""Plain TensorFlow functions for the DSP that every kapre_like layer is built on.

The layers in :mod:`kapre_like.time_frequency` and friends hold configuration and
call these functions; the encoder and the tests call them too, so there is one
implementation of each operation.

Conventions: waveforms are ``(..., time)`` and spectrograms ``(..., frames, freq)``
(the ``tf.signal`` layout); the layers transpose to and from their data formats.
Lengths are in samples.
"""

import functools
import inspect
import math

import keras
import numpy as np
import tensorflow as tf

def _shape_of(tensor, axes=None):
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
    kept = [axis for axis in perm if x.shape[axis] != 1]
    if kept == sorted(kept):
        return tf.reshape(x, [x.shape[axis] if x.shape[axis] is not None else tf.shape(x)[axis] for axis in perm])
    return tf.transpose(x, perm)


def _real_dtype_of(dtype):
    """float64 for float64/complex128, float32 for everything else (the DSP precisions)."""
    return tf.float64 if dtype in (tf.float64, tf.complex128) else tf.float32


_WINDOWS = {
    "hann_window": tf.signal.hann_window,
    "hamming_window": tf.signal.hamming_window,
    "kaiser_window": tf.signal.kaiser_window,
    "kaiser_bessel_derived_window": tf.signal.kaiser_bessel_derived_window,
    "vorbis_window": tf.signal.vorbis_window,
}

#: Window names accepted wherever Kapre takes a ``window_name``.
WINDOW_NAMES = tuple(_WINDOWS)


def window_function(window_name=None):
    """The ``tf.signal`` window function called ``window_name`` (None means 'hann_window').

    Raises:
        UnknownWindowError: (a ``NotImplementedError`` and ``ValueError``) for any other name.
    """
    from ._checks import UnknownWindowError

    if window_name is None:
        return tf.signal.hann_window
    if not isinstance(window_name, str) or window_name not in _WINDOWS:
        raise UnknownWindowError(
            f"`window_name` must be None or one of {list(WINDOW_NAMES)}; got {window_name!r}."
        )
    return _WINDOWS[window_name]


def frame_count(n_samples, frame_length, hop_length, pad_end=False):
    """Number of frames :func:`stft` makes from ``n_samples`` samples (None if unknown).

    ``ceil(n_samples / hop_length)`` with ``pad_end``, else
    ``max(0, 1 + (n_samples - frame_length) // hop_length)``.
    """
    if n_samples is None:
        return None
    if pad_end:
        return -(-n_samples // hop_length)
    return max(0, 1 + (n_samples - frame_length) // hop_length)


def pad_time(signals, begin=0, end=0):
    """Zero-pad the last (time) axis of ``signals`` by ``begin`` and ``end`` samples."""
    if begin == 0 and end == 0:
        return signals
    rank = signals.shape.rank
    return tf.pad(signals, [[0, 0]] * (rank - 1) + [[begin, end]])


def pad_for_frames(signals, begin, frame_length, hop_length, pad_end):
    """Zero-pad ``begin`` samples at the start and, with ``pad_end``, the end padding that
    ``tf.signal.frame(pad_end=True)`` would add, in one copy when the length is known.

    Returns ``(signals, pad_end)``: the padded signals and whether framing must still pad the
    end (only when the length is unknown until run time).
    """
    time = signals.shape[-1]
    if not pad_end or time is None:
        return pad_time(signals, begin=begin), pad_end
    length = time + begin
    frames = frame_count(length, frame_length, hop_length, pad_end=True)
    return pad_time(signals, begin=begin, end=max(0, (frames - 1) * hop_length + frame_length - length)), False


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
    """
    time = signals.shape[-1]
    if time is None or pad_end or _in_xla_context():
        return tf.signal.frame(signals, frame_length, hop_length, pad_end=pad_end)
    n_frames = frame_count(time, frame_length, hop_length)
    block = math.gcd(frame_length, hop_length)
    per_frame, per_hop = frame_length // block, hop_length // block
    n_blocks = (n_frames - 1) * per_hop + per_frame if n_frames else 0
    outer = _shape_of(signals, range(signals.shape.rank - 1))
    blocks = tf.reshape(signals[..., :n_blocks * block], outer + [n_blocks, block])
    selector = np.arange(n_frames, dtype=np.int32)[:, None] * per_hop + np.arange(per_frame, dtype=np.int32)
    return tf.reshape(tf.gather(blocks, selector, axis=-2), outer + [n_frames, frame_length])


def _in_xla_context():
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


def stft(signals, n_fft, win_length, hop_length, window_fn=tf.signal.hann_window, pad_end=False, pad_begin=0,
         channels_last=False, finite_message=None):
    """Complex short-time Fourier transform of real signals (``tf.signal.stft`` semantics).

    Frames of ``win_length`` samples start every ``hop_length`` samples, are multiplied
    by the window, zero-padded at the end to ``n_fft`` and transformed with a real FFT.
    No centring: frame ``t`` covers samples ``[t * hop, t * hop + win_length)``; this is
    ``librosa.stft(center=False)`` when ``win_length == n_fft``. Plain TensorFlow ops
    (:func:`frame`, ``tf.signal.rfft``): nothing is compiled, in a graph or eagerly.

    Args:
        signals (float Tensor): ``(..., time)``.
        n_fft (int): FFT size; the output has ``n_fft // 2 + 1`` frequency bins.
        win_length (int): frame (window) length in samples, ``<= n_fft``.
        hop_length (int): samples between frame starts.
        window_fn (callable): ``window_fn(length, dtype=...)`` returning the window.
            Defaults to ``tf.signal.hann_window`` (periodic).
        pad_end (bool): zero-pad the end so that every sample is in a frame.
        pad_begin (int): zeros to prepend, in samples. Defaults to 0.
        channels_last (bool): ``signals`` is ``(batch, time, channels)``. Defaults to False.
        finite_message (str or None): when given, the result raises
            ``tf.errors.InvalidArgumentError`` with this message if ``signals`` holds NaN or Inf
            (with a known length and ``hop_length <= win_length``: if a frame's DC bin, which
            NaN or Inf in any of its samples makes NaN or Inf, or a sample no frame reads is not
            finite; so an overflowing DC bin is an error too). Defaults to None.

    Returns:
        complex Tensor: ``(..., frames, n_fft // 2 + 1)``, ``(batch, channels, frames,
        n_fft // 2 + 1)`` for ``channels_last`` input; complex64 for float32 input, complex128
        for float64.

    Example:
        >>> x = tf.random.normal((2, 16000))
        >>> stft(x, n_fft=512, win_length=512, hop_length=128).shape
        TensorShape([2, 122, 257])
    """
    time = signals.shape[1 if channels_last else -1]
    check_dc = finite_message is not None and time is not None and hop_length <= win_length
    waveforms, pad_end = _time_last_padded(signals, pad_begin, win_length, hop_length, pad_end, channels_last,
                                           None if check_dc else finite_message)
    stfts = _windowed_rfft(waveforms, n_fft, win_length, hop_length, window_fn(win_length, dtype=signals.dtype),
                           pad_end)
    if not check_dc:
        return stfts
    # NaN or Inf in a framed sample makes its frame's DC bin (the windowed sum) NaN or Inf: that column and
    # the samples no frame reads are checked, not the whole input once more
    finite = tf.reduce_all(tf.math.is_finite(tf.math.real(stfts[..., 0])))
    n_frames = stfts.shape[-2]
    finite = _and_unframed_finite(finite, signals, n_frames, win_length, hop_length, pad_begin, channels_last)
    return _asserted(stfts, finite, _overflow_message(finite_message))


def _windowed_rfft(waveforms, n_fft, win_length, hop_length, window, pad_end=False):
    """``rfft(frame(waveforms) * window, n_fft)``: the spectra of ``waveforms`` ``(..., time)`` (time-last,
    padded but for ``pad_end``), ``(..., frames, n_fft // 2 + 1)``."""
    frames = frame(waveforms, win_length, hop_length, pad_end=pad_end) * window
    return tf.signal.rfft(frames, fft_length=[n_fft])


def _and_unframed_finite(finite, signals, n_frames, win_length, hop_length, pad_begin, channels_last):
    """``finite`` and whether the samples of ``signals`` that none of the ``n_frames`` frames reads (the
    end of a signal that was not padded to whole frames) are finite."""
    time = signals.shape[1 if channels_last else -1]
    covered = (n_frames - 1) * hop_length + win_length - pad_begin  # samples [0, covered) are framed
    if covered >= time:
        return finite
    tail = signals[:, covered:] if channels_last else signals[..., covered:]
    return tf.logical_and(finite, tf.reduce_all(tf.math.is_finite(tail)))


def _time_last_padded(signals, pad_begin, frame_length, hop_length, pad_end, channels_last, finite_message):
    """``signals`` of a length unknown until run time, checked, time-last and padded for framing:
    ``(waveforms, pad_end)`` as :func:`pad_for_frames` returns them."""
    if finite_message is not None:
        signals = check_finite(signals, finite_message)
    waveforms = transpose(signals, (0, 2, 1)) if channels_last else signals
    return pad_for_frames(waveforms, pad_begin, frame_length, hop_length, pad_end)


def window_array(window, length, periodic=False):
    """A window as a float64 NumPy array of ``length`` values.

    Args:
        window (str, array-like or None): a window name that ``scipy.signal.get_window``
            knows (``'hann'``, ``'hamming'``, ``'blackman'``, ...), an explicit array of
            ``length`` values, or None for no window (all ones).
        length (int): window length in samples.
        periodic (bool): for a name, the periodic (DFT-even) variant instead of the
            symmetric one. Defaults to False.

    Raises:
        ValueError: an unknown name or an array of another length or rank.

    Example:
        >>> window_array("hann", 4, periodic=True)
        array([0. , 0.5, 1. , 0.5])
    """
    if window is None:
        return np.ones(length)
    if isinstance(window, str):
        import scipy.signal  # scipy comes with librosa; imported only when a name is given

        try:
            return np.asarray(scipy.signal.get_window(window, length, fftbins=periodic), dtype=np.float64)
        except ValueError as error:
            raise ValueError(
                f"`window` {window!r} is not a window scipy.signal.get_window knows ({error}); use e.g. "
                f"'hann' or 'hamming', an array of length {length}, or None."
            ) from None
    values = np.asarray(window, dtype=np.float64)
    if values.shape != (length,):
        raise ValueError(f"`window` must be 1-D with {length} values (the frame length); got shape {values.shape}.")
    return values


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
    return np.stack([np.cos(angles), -np.sin(angles)], axis=-1) * window[:, None, None]


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
    kernel = tf.convert_to_tensor(kernel, dtype=signals.dtype)
    outer_shape = tf.shape(signals)[:-1]
    time = signals.shape[-1]
    flat = tf.reshape(signals, [-1, time if time is not None else tf.shape(signals)[-1]])
    # the unit channel axis is added last so that it stays static: TFLite's CONV_2D needs it known
    products = tf.nn.conv1d(tf.expand_dims(flat, -1), kernel[:, tf.newaxis, :], stride=hop_length, padding=padding)
    return tf.reshape(products, tf.concat([outer_shape, tf.shape(products)[1:]], axis=0))


def stft_real(signals, n_fft, win_length, hop_length, window_fn=tf.signal.hann_window, pad_end=False):
    """:func:`stft` with real and imaginary parts on a trailing axis of size 2, no complex dtype.

    The frames and the DFT are one strided 1-D convolution with :func:`dft_kernel` (see
    :func:`framed_dot`), so the graph uses only ops that TensorFlow Lite has built in
    (CONV_2D, PAD, RESHAPE, ...), for any batch size and signal length. The DFT costs
    ``O(win_length * n_fft)`` per frame instead of the FFT's ``O(n_fft log n_fft)``; use
    :func:`stft` where TFLite is not the target.

    Args:
        signals (float Tensor): ``(..., time)``; the leading axes may be unknown.
        n_fft, win_length, hop_length, window_fn, pad_end: as in :func:`stft`.

    Returns:
        float Tensor: ``(..., frames, n_fft // 2 + 1, 2)`` holding (real, imaginary).

    Example:
        >>> x = tf.random.normal((2, 4000))
        >>> z = stft_real(x, n_fft=512, win_length=400, hop_length=160)
        >>> z.shape
        TensorShape([2, 23, 257, 2])
        >>> reference = stft(x, n_fft=512, win_length=400, hop_length=160)
        >>> bool(tf.reduce_max(tf.abs(tf.complex(z[..., 0], z[..., 1]) - reference)) < 1e-3)
        True
    """
    n_freq = n_fft // 2 + 1
    kernel = dft_kernel(n_fft, _window_values(window_fn, win_length)).reshape(win_length, 2 * n_freq)
    if pad_end:
        time = signals.shape[-1]
        length = tf.shape(signals)[-1] if time is None else time
        frames = (length + hop_length - 1) // hop_length
        padding = tf.maximum((frames - 1) * hop_length + win_length - length, 0)
        rank = signals.shape.rank
        signals = tf.pad(signals, [[0, 0]] * (rank - 1) + [[0, padding]])
    pairs = framed_dot(signals, kernel, hop_length)
    return tf.reshape(pairs, tf.concat([tf.shape(pairs)[:-1], [n_freq, 2]], axis=0))


#: More continued-fraction terms than this change no float64 digit of :func:`approx_atan2`.
ATAN_TERMS_LIMIT = 20


def approx_atan2(y, x, n_terms=ATAN_TERMS_LIMIT):
    """``atan2(y, x)`` in radians from elementary arithmetic (no ATAN op), for TFLite.

    The ratio ``min(|x|, |y|) / max(|x|, |y|)`` lies in [0, 1], where the continued fraction
    of arctan (Kapre's ``approx_atan_accuracy`` iterations) converges fast: 4 terms are
    within 2e-4 rad, 8 within 2e-7, 12 within float32 rounding. The octant is then restored
    from the signs and the ordering of ``|x|`` and ``|y|``. Terms beyond
    :data:`ATAN_TERMS_LIMIT` add nothing and are not computed. ``atan2(0, 0)`` is 0.

    Args:
        y, x (float Tensor): imaginary and real parts, same shape and dtype.
        n_terms (int): continued-fraction terms, >= 1.

    Example:
        >>> float(approx_atan2(tf.constant(-1.0), tf.constant(-1.0)))  # -3 pi / 4
        -2.356194...
    """
    n_terms = min(int(n_terms), ATAN_TERMS_LIMIT)
    abs_x, abs_y = tf.abs(x), tf.abs(y)
    larger = tf.maximum(abs_x, abs_y)
    smaller = tf.minimum(abs_x, abs_y)
    ratio = smaller / tf.where(larger > 0, larger, tf.ones_like(larger))
    ratio_sq = ratio * ratio
    denominator = tf.fill(tf.shape(ratio), tf.constant(2 * n_terms + 1, dtype=ratio.dtype))
    for k in range(n_terms, 0, -1):
        denominator = (2 * k - 1) + (k * k) * ratio_sq / denominator
    angle = ratio / denominator
    angle = tf.where(abs_y > abs_x, np.pi / 2 - angle, angle)
    angle = tf.where(x < 0, np.pi - angle, angle)
    return tf.where(y < 0, -angle, angle)


@functools.lru_cache(maxsize=64)
def _window_values(window_fn, length):
    """The window as a read-only float64 NumPy array, computed eagerly even inside a traced
    function, and once per (window, length): inverse_stft asks for it on every call."""
    with tf.init_scope():
        values = np.asarray(window_fn(length, dtype=tf.float64))
    values.flags.writeable = False
    return values


def inverse_stft_window(win_length, hop_length, window_fn=tf.signal.hann_window, dtype=tf.float32):
    """Synthesis window that makes :func:`inverse_stft` invert :func:`stft`.

    The analysis window divided by the sum of its squared copies shifted by multiples of
    ``hop_length`` (the least-squares synthesis window of Griffin and Lim). Same values
    as ``tf.signal.inverse_stft_window_fn``, including 0 where no frame weighs a sample
    (e.g. a Hann window with ``hop_length == win_length``): such samples come back as 0, not NaN.
    """
    window = _window_values(window_fn, win_length)
    power = overlapped_window_power(win_length, hop_length, window_fn)
    synthesis = np.divide(window, power, out=np.zeros_like(window), where=power != 0)
    return tf.constant(synthesis, dtype=dtype)


def overlapped_window_power(win_length, hop_length, window_fn=tf.signal.hann_window):
    """Sum of the squared window and its copies shifted by multiples of ``hop_length``.

    Returned over one frame (``win_length`` values, float64). Overlap-add inversion divides
    by it, so it must have no zeros for the STFT to be invertible.
    """
    window = _window_values(window_fn, win_length)
    n_overlaps = -(-win_length // hop_length)
    squared = np.zeros(n_overlaps * hop_length)
    squared[:win_length] = window**2
    return np.tile(squared.reshape(n_overlaps, hop_length).sum(axis=0), n_overlaps)[:win_length]


def inverse_stft(stfts, n_fft, win_length, hop_length, window_fn=tf.signal.hann_window):
    """Real signals from their STFT by windowed overlap-add (``tf.signal.inverse_stft`` semantics).

    Plain TensorFlow ops (``tf.signal.irfft``, :func:`overlap_add`): nothing is compiled.

    Args:
        stfts (complex Tensor): ``(..., frames, n_fft // 2 + 1)``.
        n_fft (int): FFT size used in the forward transform.
        win_length (int): frame length used in the forward transform.
        hop_length (int): hop used in the forward transform.
        window_fn (callable): the *forward* analysis window function. Defaults to
            ``tf.signal.hann_window``.

    Returns:
        float Tensor: ``(..., (frames - 1) * hop_length + win_length)``.

    Example:
        >>> x = tf.random.normal((1, 4096))
        >>> y = inverse_stft(stft(x, 512, 512, 128), 512, 512, 128)
        >>> bool(tf.reduce_max(tf.abs(x[:, 512:-512] - y[:, 512:-512])) < 1e-5)
        True
    """
    window = inverse_stft_window(win_length, hop_length, window_fn, _real_dtype_of(stfts.dtype))
    frames = tf.signal.irfft(stfts, fft_length=[n_fft])
    return overlap_add(frames[..., :win_length] * window, hop_length)


def overlap_add(frames, hop_length):
    """``tf.signal.overlap_and_add(frames, hop_length)``: frames ``(..., frames, length)`` summed
    ``hop_length`` samples apart into ``(..., (frames - 1) * hop_length + length)``.

    When the hop divides the frame length, a frame is ``n`` blocks of one hop and output block
    ``j`` is the sum of block ``b`` of frame ``j - b``: ``n`` shifted copies added one after the
    other, faster on CPU than ``tf.signal.overlap_and_add``'s pad, reshape, transpose and sum, with
    the same working memory.
    """
    length = frames.shape[-1]
    if length is None or length % hop_length or frames.shape.rank < 2:
        return tf.signal.overlap_and_add(frames, hop_length)
    n_blocks = length // hop_length
    rank = frames.shape.rank
    outer = _shape_of(frames, range(rank - 1))
    blocks = tf.reshape(frames, outer + [n_blocks, hop_length])
    no_padding = [[0, 0]] * (rank - 2)
    total = None
    for b in range(n_blocks):
        # one shifted copy at a time, each made once the previous one is added: a graph would
        # otherwise make all of them first, each the size of the output
        with tf.control_dependencies([] if total is None or tf.executing_eagerly() else [total]):
            shifted = tf.pad(blocks[..., b, :], no_padding + [[b, n_blocks - 1 - b], [0, 0]])
        total = shifted if total is None else total + shifted
    return tf.reshape(total, outer[:-1] + [-1])


def spectral_power(stfts, exponent=2.0):
    """``|stfts| ** exponent`` as a real tensor, gradient 0 (not NaN) at 0.

    One pass of ``tf.abs`` (whose gradient TensorFlow already takes as 0 at 0) and, for the
    power, its square; other exponents go through :func:`power_to_magnitude_power`.
    """
    magnitudes = tf.abs(stfts)
    if exponent == 1:
        return magnitudes
    if exponent == 2:
        return tf.square(magnitudes)
    return power_to_magnitude_power(tf.square(magnitudes), float(exponent))


def one_sided_weights(n_fft):
    """Per-bin factor that folds the negative frequencies of a real signal's spectrum onto the
    positive ones: 1 for DC (and Nyquist when ``n_fft`` is even), 2 elsewhere (``n_fft // 2 + 1`` values)."""
    weights = np.full(n_fft // 2 + 1, 2.0)
    weights[0] = 1.0
    if n_fft % 2 == 0:
        weights[-1] = 1.0
    return weights


def magnitude(stfts):
    """Absolute value of a complex tensor, as a real tensor of the matching precision (``tf.abs``)."""
    return tf.abs(stfts)


@tf.custom_gradient
def atan2(y, x):
    """``tf.math.atan2(y, x)`` whose gradient is 0, not NaN, where ``x = y = 0``.

    The angle is undefined there, so no direction of change is preferred; everywhere else
    the gradient is the usual ``(x, -y) / (x**2 + y**2)``. The forward op is TensorFlow's
    ATAN2 (a TFLite built-in).
    """
    angle = tf.math.atan2(y, x)

    def gradient(upstream):
        radius_sq = tf.square(x) + tf.square(y)
        safe = tf.where(radius_sq > 0, radius_sq, tf.ones_like(radius_sq))
        scale = tf.where(radius_sq > 0, upstream / safe, tf.zeros_like(upstream))
        return scale * x, -scale * y

    return angle, gradient


def power_to_magnitude_power(power, exponent):
    """``power ** (exponent / 2)`` (i.e. ``|z| ** exponent`` from ``|z| ** 2``), gradient 0 at 0.

    At ``power = 0`` the derivative of a root is infinite; a silent bin then gets gradient 0
    instead of NaN (the root is taken of 1 there and the result replaced by 0). NaN and Inf
    pass through, so that bad values stay visible downstream. ``exponent`` is a Python
    number; 1 is a square root, 2 returns ``power`` itself.
    """
    if exponent == 2:
        return power
    half = float(exponent) / 2.0
    silent = tf.equal(power, 0)
    safe = tf.where(silent, tf.ones_like(power), power)
    return tf.where(silent, tf.zeros_like(power), tf.sqrt(safe) if half == 0.5 else tf.pow(safe, half))


def phase(stfts, approx_atan_terms=None):
    """Angle of a complex tensor in radians, in ``[-pi, pi]``.

    With ``approx_atan_terms`` (an int), :func:`approx_atan2` with that many terms instead
    of the exact angle: the numbers :func:`phase_real` gives inside a TFLite model.
    """
    if approx_atan_terms:
        return approx_atan2(tf.math.imag(stfts), tf.math.real(stfts), approx_atan_terms)
    return atan2(tf.math.imag(stfts), tf.math.real(stfts))


def magnitude_real(pairs):
    """:func:`magnitude` of complex numbers stored as a trailing (real, imaginary) axis."""
    return tf.sqrt(tf.reduce_sum(tf.square(pairs), axis=-1))


def phase_real(pairs, approx_atan_terms=None):
    """:func:`phase` of complex numbers stored as a trailing (real, imaginary) axis.

    The exact angle is :func:`atan2`, TFLite's built-in ATAN2 op.
    """
    real, imag = pairs[..., 0], pairs[..., 1]
    if approx_atan_terms:
        return approx_atan2(imag, real, approx_atan_terms)
    return atan2(imag, real)


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
    rank = x.shape.rank
    axes = list(range(1, rank)) if (batch_axis and rank is not None and rank > 1) else None
    peak = None if dynamic_range is None else _loudest(multiplier)(x, axes, keepdims=True)
    return _decibel(x, peak, ref_value, amin, dynamic_range, multiplier)


def _loudest(multiplier):
    """The reduction that finds the value of the loudest decibel: the largest value on a rising
    scale (``multiplier > 0``), the smallest on a falling one."""
    return tf.reduce_max if multiplier > 0 else tf.reduce_min


def _decibel(x, peak, ref_value, amin, dynamic_range, multiplier):
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
    """
    weights = filterbank_constant(filterbank, x.dtype)
    rank = x.shape.rank
    axis = axis % rank
    perm = list(range(rank))
    perm[axis], perm[-1] = perm[-1], perm[axis]
    moved = x if axis == rank - 1 else transpose(x, perm)
    flat = tf.reshape(moved, [-1, _shape_of(moved, [rank - 1])[0]])
    result = tf.reshape(tf.matmul(flat, weights), _shape_of(moved, range(rank - 1)) + [weights.shape[1]])
    return result if axis == rank - 1 else transpose(result, perm)


#: Largest complex spectrogram (bytes) that :func:`filtered_magnitude` computes in one piece: the ops
#: Kapre and Keras run, as fast, with as small a graph to trace. Longer signals (minutes of audio)
#: are cut into chunks, so that the memory a call needs stays bounded.
WHOLE_SPECTROGRAM_BYTES = 256 * 2**20

#: Samples (rows x frames x ``n_fft``) that :func:`filtered_magnitude` transforms at most per chunk
#: (32 MiB of float32 frames: fewer, larger chunks are faster eagerly, and a graph's peak stays
#: within a fraction of the spectrogram).
CHUNK_SAMPLES = 2**23

#: Batch size assumed when a graph is traced with an unknown batch size.
ASSUMED_ROWS = 16


def chunk_count(n_rows, n_frames, n_fft, sample_bytes=4):
    """How many chunks of frames :func:`filtered_magnitude` computes ``n_frames`` frames of
    ``n_rows`` waveforms of ``sample_bytes`` per sample in (``n_rows`` None: unknown until run time)."""
    samples = (ASSUMED_ROWS if n_rows is None else n_rows) * n_frames * n_fft
    if samples * sample_bytes <= WHOLE_SPECTROGRAM_BYTES:  # about the complex spectrogram's size
        return 1
    return max(1, min(n_frames, -(-samples // CHUNK_SAMPLES)))


def filtered_magnitude(signals, n_fft, win_length, hop_length, window_fn=tf.signal.hann_window, pad_end=False,
                       filterbank=None, pad_begin=0, channels_last=False, finite_message=None, decibel=None,
                       exponent=1.0):
    """``|stft(signals)| ** exponent @ filterbank`` (or without the filterbank), in chunks of frames.

    Equal to ``apply_filterbank(spectral_power(stft(...), exponent), filterbank)``, with plain
    TensorFlow ops: nothing is compiled for a shape, so that the first call of a graph costs its
    trace only, about what Kapre's does, and every signal length is as fast as the next. A
    spectrogram larger than ``WHOLE_SPECTROGRAM_BYTES`` (minutes of audio) is computed in chunks
    of frames (see :func:`chunk_count`), each read from the signal as it is laid out, with its
    own zeros around it, and in decibels chunk by chunk when eager: neither the frames, nor the
    complex spectrogram, nor a padded or transposed copy of the whole signal is then held in
    memory.

    Args:
        signals (float Tensor): ``(..., time)``, or ``(batch, time, channels)`` with
            ``channels_last``.
        n_fft, win_length, hop_length, window_fn, pad_end: as in :func:`stft`.
        filterbank (array, constant or tensor, or None): ``(n_fft // 2 + 1, n_filters)``;
            None for the magnitude.
        pad_begin (int): zeros to prepend, in samples. Defaults to 0.
        channels_last (bool): ``signals`` is ``(batch, time, channels)``. Defaults to False.
        finite_message (str or None): when given, the result raises
            ``tf.errors.InvalidArgumentError`` with this message if ``signals`` holds NaN or Inf
            or, with a filterbank, if the filtered spectra overflow. With a filterbank, a known
            length and ``hop_length <= win_length``, the filtered output is checked (NaN or Inf
            in a framed sample makes all of its frame's outputs NaN or Inf; the root keeps them)
            and the samples no frame reads, instead of reading the whole input once more;
            otherwise the input is checked beside the computation (see :func:`check_finite`).
            Defaults to None.
        decibel (dict or None): keyword arguments of :func:`to_decibel`; when given, the
            result is in decibels (per batch item floor). Defaults to None.
        exponent (float): power of the magnitude: 1 magnitude (default), 2 power (no root taken).

    Returns:
        float Tensor: ``(..., frames, n_filters)`` (or ``n_fft // 2 + 1``); for
        ``channels_last`` input, ``(batch, channels, frames, n_filters)``.

    Example:
        >>> x = tf.random.normal((2, 16000))
        >>> mel = tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 0.0, 8000.0)
        >>> filtered_magnitude(x, 512, 512, 160, filterbank=mel, exponent=2.0).shape
        TensorShape([2, 97, 40])
    """
    time_axis = 1 if channels_last else signals.shape.rank - 1
    time = signals.shape[time_axis]
    dtype = _real_dtype_of(signals.dtype)
    weights = None if filterbank is None else filterbank_constant(filterbank, dtype)
    n_outputs = n_fft // 2 + 1 if weights is None else weights.shape[1]
    window = window_fn(win_length, dtype=signals.dtype)
    outer = _shape_of(signals, (0, 2) if channels_last else range(signals.shape.rank - 1))

    def magnitudes(waveforms, pad_end=False):  # (..., samples) -> (rows, frames, outputs)
        rows = tf.reshape(waveforms, [-1, _shape_of(waveforms, [-1])[0]])
        spectra = spectral_power(_windowed_rfft(rows, n_fft, win_length, hop_length, window, pad_end), exponent)
        if weights is None:
            return spectra
        n_rows, n_frames = _shape_of(spectra, (0, 1))
        return tf.reshape(tf.matmul(tf.reshape(spectra, [-1, n_fft // 2 + 1]), weights),
                          [n_rows, n_frames, n_outputs])

    n_frames = None if time is None else frame_count(time + pad_begin, win_length, hop_length, pad_end)
    if not n_frames:  # a length known at run time only (or no frame): one piece of plain ops
        waveforms, pad_end = _time_last_padded(signals, pad_begin, win_length, hop_length, pad_end, channels_last,
                                               finite_message)
        result = magnitudes(waveforms, pad_end)
    else:
        n_rows = int(np.prod(outer)) if all(isinstance(dim, int) for dim in outer) else None
        eager = tf.executing_eagerly()
        size = -(-n_frames // chunk_count(n_rows, n_frames, n_fft, signals.dtype.size))
        n_chunks = -(-n_frames // size)
        # every chunk has `size` frames (the last one's extra frames, of zeros, dropped): in a graph they
        # share one traced function, so that tracing costs one chunk's ops, not every chunk's
        chunk_magnitudes = magnitudes if eager or n_chunks == 1 else tf.function(magnitudes, autograph=False)
        pieces = []
        for first in range(0, n_frames, size):
            # the chunk's samples of the zero-padded signal, read from the signal with its zeros put in here
            begin = first * hop_length - pad_begin
            end = begin + (size - 1) * hop_length + win_length
            piece = signals[:, max(begin, 0):min(end, time)] if channels_last else \
                signals[..., max(begin, 0):min(end, time)]
            if channels_last:
                piece = transpose(piece, (0, 2, 1))
            pieces.append(chunk_magnitudes(pad_time(piece, max(0, -begin), max(0, end - time))))
        if n_chunks * size > n_frames:
            pieces[-1] = pieces[-1][:, :n_frames - (n_chunks - 1) * size]
        finite = None
        if finite_message is not None and weights is not None and hop_length <= win_length:
            # NaN or Inf in a framed sample makes every bin of its frame's FFT, and so every filter's output,
            # NaN or Inf: the (small) filtered output is checked instead of the whole input, and only the
            # samples no frame reads are checked in the input
            finite = tf.reduce_all([tf.reduce_all(tf.math.is_finite(piece)) for piece in pieces])
            finite = _and_unframed_finite(finite, signals, n_frames, win_length, hop_length, pad_begin, channels_last)
        if eager and decibel is not None and n_chunks > 1 and outer:  # (eager shapes are all known)
            # each chunk in decibels, below the loudest value of its batch item: no output-sized
            # temporaries of the conversion beside the joined output, which eager ops would hold at once
            peak = _rows_peak(pieces, outer, decibel)
            settings = _decibel_settings(decibel)
            settings.pop("batch_axis")  # taken into the peak
            pieces = [_decibel(piece, peak, **settings) for piece in pieces]
            decibel = None
        result = pieces[0] if n_chunks == 1 else tf.concat(pieces, axis=1)
        if finite is not None:
            result = _asserted(result, finite, _overflow_message(finite_message))
        elif finite_message is not None:
            result = _checked_against(result, signals, finite_message)
    result = tf.reshape(result, outer + [_shape_of(result, [1])[0], n_outputs])
    return result if decibel is None else to_decibel(result, **decibel)


def _decibel_settings(decibel):
    """:func:`to_decibel`'s keyword arguments ``decibel`` with its defaults filled in."""
    defaults = {name: parameter.default for name, parameter in inspect.signature(to_decibel).parameters.items()
                if parameter.default is not parameter.empty}
    return {**defaults, **decibel}


def _rows_peak(pieces, outer, decibel):
    """The loudest value for each row (waveform) of the chunks ``pieces`` ``(rows, frames, filters)``
    of signals whose leading axes are ``outer`` (all known): the loudest of its batch item,
    as :func:`to_decibel` takes it, or of everything without ``batch_axis``; ``(rows, 1, 1)``."""
    settings = _decibel_settings(decibel)
    if settings["dynamic_range"] is None:
        return None
    extreme = _loudest(settings["multiplier"])
    per_row = extreme(tf.stack([extreme(piece, axis=[1, 2]) for piece in pieces]), axis=0)
    if settings["batch_axis"]:
        by_item = tf.reshape(per_row, [-1, int(np.prod(outer[1:]))])
        peak = tf.broadcast_to(extreme(by_item, axis=1, keepdims=True), tf.shape(by_item))
    else:
        peak = tf.fill(tf.shape(per_row), extreme(per_row))
    return tf.reshape(peak, [-1, 1, 1])


def _overflow_message(finite_message):
    """The message for non-finite filtered spectra: bad input, or input so large that they overflow."""
    return f"{finite_message} (or values so large that its spectrogram overflows)"


def delta(x, win_length=5, mode="symmetric", axis=1):
    """Local slope along ``axis`` by linear regression over ``win_length`` points.

    ``d[t] = sum_{n=1}^{N} n * (x[t + n] - x[t - n]) / (2 * sum_{n=1}^{N} n**2)`` with
    ``N = (win_length - 1) // 2``, after padding ``N`` values at both ends with ``mode``
    ('symmetric', 'reflect' or 'constant', as in ``tf.pad``). This is the formula of
    ``librosa.feature.delta`` (order 1).
    """
    half = (win_length - 1) // 2
    rank = x.shape.rank
    axis = axis % rank
    paddings = [[0, 0]] * rank
    paddings[axis] = [half, half]
    padded = tf.pad(x, paddings, mode=mode.upper())
    length = tf.shape(x)[axis]

    def shifted(offset):
        begin = [0] * rank
        begin[axis] = half + offset
        size = [-1] * rank
        size[axis] = length
        return tf.slice(padded, begin, size)

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
    frames = tf.signal.frame(signals, frame_length, hop_length, pad_end=pad_end, pad_value=pad_value, axis=axis)
    sample_axis = (axis % signals.shape.rank) + 1
    scale = ref_duration * sample_rate / frame_length
    return tf.reduce_sum(tf.square(frames), axis=sample_axis) * tf.constant(scale, dtype=frames.dtype)


@functools.lru_cache(maxsize=64)
def dct_matrix(n_inputs, n_outputs, dtype=np.float64):
    """``(n_inputs, n_outputs)`` DCT-II matrix as ``tf.signal.mfccs_from_log_mel_spectrograms`` scales it.

    ``matrix[n, k] = sqrt(2 / N) * cos(pi * k * (2n + 1) / (2N))`` with ``N = n_inputs``:
    the orthonormal DCT-II (``scipy.fft.dct(norm='ortho')``) except that coefficient 0 is
    ``sqrt(2)`` times larger, as in HTK, TensorFlow and Kapre. Computed once per size and kept,
    read-only (:func:`mfcc` asks for it on every eager call).
    """
    n = np.arange(n_inputs)[:, None]
    k = np.arange(n_outputs)[None, :]
    matrix = (np.sqrt(2.0 / n_inputs) * np.cos(np.pi * k * (2 * n + 1) / (2 * n_inputs))).astype(dtype)
    matrix.flags.writeable = False
    return matrix


def mfcc(log_mel, n_mfccs, axis=-1):
    """The first ``n_mfccs`` DCT-II coefficients (:func:`dct_matrix`) of ``log_mel`` along ``axis``.

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

    Example:
        >>> x = tf.fill((1, 40), -500.0)
        >>> y = mfcc(x, 3)
        >>> round(float(y[0, 0] / np.sqrt(80.0)), 3), float(y[0, 1]), float(y[0, 2])
        (-500.0, 0.0, 0.0)
    """
    rank = log_mel.shape.rank
    axis = axis % rank
    n_mels = int(log_mel.shape[axis])
    mean = tf.reduce_mean(log_mel, axis=axis, keepdims=True)
    coefficients = apply_filterbank(log_mel - mean, dct_matrix(n_mels, n_mfccs), axis=axis)
    # the constant `mean` through row 0, sqrt(2 / N), summed over N bins: sqrt(2 N) * mean, in coefficient 0 only
    first = np.zeros([n_mfccs] + [1] * (rank - 1 - axis))
    first[0] = np.sqrt(2.0 * n_mels)
    return coefficients + mean * tf.constant(first, dtype=log_mel.dtype)


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
    shape = tf.stack([batch_size, n_masks])
    widths = tf.minimum(keras.random.randint(shape, 0, max_width + 1, seed=seed), length)
    fraction = keras.random.uniform(shape, seed=seed)
    starts = tf.cast(tf.floor(fraction * tf.cast(length - widths + 1, fraction.dtype)), tf.int32)
    positions = tf.range(length)[tf.newaxis, tf.newaxis, :]
    inside = (positions >= starts[..., tf.newaxis]) & (positions < (starts + widths)[..., tf.newaxis])
    return tf.reduce_any(inside, axis=1)


def random_permutations(batch_size, n, seed=None):
    """``(batch_size, n)`` int32: an independent uniformly random permutation of ``range(n)`` per row."""
    return tf.argsort(keras.random.uniform(tf.stack([batch_size, n]), seed=seed), axis=-1)


def frequency_map(n_freq, dtype=tf.float32):
    """``n_freq`` values rising linearly from 0 to 1: the normalised frequency of each bin."""
    return tf.cast(tf.linspace(0.0, 1.0, n_freq), dtype)


def mu_law_encode(signal, quantization_channels):
    """Mu-law compand ``signal`` in [-1, 1] and quantize to integers in [0, channels - 1] (int32)."""
    mu = quantization_channels - 1.0
    companded = tf.sign(signal) * tf.math.log1p(mu * tf.abs(signal)) / np.log1p(mu)
    return tf.cast((companded + 1.0) / 2.0 * mu + 0.5, tf.int32)


def mu_law_decode(signal_mu, quantization_channels, dtype=tf.float32):
    """Invert :func:`mu_law_encode`: integers in [0, channels - 1] to floats in [-1, 1]."""
    mu = quantization_channels - 1.0
    companded = tf.cast(signal_mu, dtype) / mu * 2.0 - 1.0
    return tf.sign(companded) * (tf.exp(tf.abs(companded) * np.log1p(mu)) - 1.0) / mu


# ----------------------------------------------------------------------------- waveform conditioning
# Used by kapre_like.encoder (NumPy items, eager) and its Keras layer (in a graph) alike.


def check_finite(values, message):
    """``values`` unchanged, after checking that none is NaN or Inf.

    The check raises ``tf.errors.InvalidArgumentError`` with ``message`` when the returned
    tensor is computed (at once when eager); use the returned tensor, not the input. It is a
    vectorised ``is_finite`` reduction, about 5x cheaper than TensorFlow's CheckNumerics.
    """
    return _checked_against(values, values, message)


def _checked_against(result, signals, message):
    """``result``, returned only once ``signals`` are found finite (else raising with ``message``;
    no check when ``message`` is None). The check reads ``signals`` beside the computation of
    ``result``: it gates the output, not the input, so nothing waits for it."""
    if message is None:
        return result
    return _asserted(result, tf.reduce_all(tf.math.is_finite(signals)), message)


def _asserted(result, condition, message):
    """``result``, returned only once the boolean ``condition`` is found true (else raising
    ``tf.errors.InvalidArgumentError`` with ``message``)."""
    assertion = tf.debugging.Assert(condition, [message])
    with tf.control_dependencies([assertion]):
        return tf.identity(result)


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
    wet = tf.reshape(wet[..., 0], shape)
    return tf.cast(mix, signals.dtype) * wet + tf.cast(1.0 - mix, signals.dtype) * signals


def partition_spectrogram(signals, window_size, offset, window):
    """Magnitude spectrogram of ``ceil(length / offset)`` partitions (the encoder's).

    Partition ``t`` holds samples ``[t * offset, t * offset + window_size)``; the end is
    zero-padded so that the last one is complete. Each partition is multiplied by
    ``window`` (an array of ``window_size`` values) and transformed with a real FFT of
    ``window_size`` points: ``floor(window_size / 2) + 1`` bins.

    Example:
        >>> partition_spectrogram(tf.zeros(1000), 400, 133, np.hanning(400)).shape
        TensorShape([8, 201])
    """
    length = tf.shape(signals)[-1]
    n_partitions = (length + offset - 1) // offset
    padding = tf.maximum((n_partitions - 1) * offset + window_size - length, 0)
    rank = signals.shape.rank
    padded = tf.pad(signals, [[0, 0]] * (rank - 1) + [[0, padding]])
    window_values = tf.constant(np.asarray(window, dtype=np.float64), dtype=signals.dtype)
    frames = tf.signal.frame(padded, window_size, offset) * window_values
    return magnitude(tf.signal.rfft(frames, fft_length=[window_size]))
