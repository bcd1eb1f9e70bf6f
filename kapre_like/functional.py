"""Plain TensorFlow functions for the DSP that every kapre_like layer is built on.

The layers in :mod:`kapre_like.time_frequency` and friends hold configuration and
call these functions; the encoder and the tests call them too, so there is one
implementation of each operation.

Conventions: waveforms are ``(..., time)`` and spectrograms ``(..., frames, freq)``
(the ``tf.signal`` layout); the layers transpose to and from their data formats.
Lengths are in samples.
"""

import functools
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


def _fused(function):
    """Compile ``function`` with XLA when it is traced into a graph, its element-wise steps fused into one pass.

    Calls while a graph is traced (Keras ``fit``/``predict``, ``tf.function``, export) get a trace
    for their exact static shapes, compiled once with the graph (the TFLite converter needs the
    shapes). Eager calls run the same steps as plain TensorFlow ops: XLA compiles for every new
    shape, which a loop over clips of different lengths would pay on every clip. ``__wrapped__``
    is the plain function.
    """
    # no AutoGraph: the kernels have no tensor-dependent Python control flow, and converting them costs
    # more than compiling them
    graph = tf.function(function, jit_compile=True, autograph=False)

    @functools.wraps(function)
    def call(*args, **kwargs):
        return function(*args, **kwargs) if tf.executing_eagerly() else graph(*args, **kwargs)

    return call


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


def stft(signals, n_fft, win_length, hop_length, window_fn=tf.signal.hann_window, pad_end=False, pad_begin=0,
         channels_last=False, finite_message=None):
    """Complex short-time Fourier transform of real signals (``tf.signal.stft`` semantics).

    Frames of ``win_length`` samples start every ``hop_length`` samples, are multiplied
    by the window, zero-padded at the end to ``n_fft`` and transformed with a real FFT.
    No centring: frame ``t`` covers samples ``[t * hop, t * hop + win_length)``; this is
    ``librosa.stft(center=False)`` when ``win_length == n_fft``.

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
            (traced into a graph with a known length and ``hop_length <= win_length``: if a
            frame's DC bin, which NaN or Inf in any of its samples makes NaN or Inf, or a sample
            no frame reads is not finite; so an overflowing DC bin is an error too). Defaults
            to None.

    Returns:
        complex Tensor: ``(..., frames, n_fft // 2 + 1)``, ``(batch, channels, frames,
        n_fft // 2 + 1)`` for ``channels_last`` input; complex64 for float32 input, complex128
        for float64.

    Example:
        >>> x = tf.random.normal((2, 16000))
        >>> stft(x, n_fft=512, win_length=512, hop_length=128).shape
        TensorShape([2, 122, 257])
    """
    time_axis = 1 if channels_last else signals.shape.rank - 1
    time = signals.shape[time_axis]
    # eager calls would compile the XLA pass below for every new length: not worth it for one call
    if time is None or tf.executing_eagerly():
        waveforms, pad_end = _time_last_padded(signals, pad_begin, win_length, hop_length, pad_end, channels_last,
                                               finite_message)
        frames = tf.signal.frame(waveforms, win_length, hop_length, pad_end=pad_end)
        frames = frames * window_fn(win_length, dtype=signals.dtype)
        return tf.signal.rfft(frames, fft_length=[n_fft])
    # traced into a graph with a known length: padding, framing and window in one XLA pass,
    # compiled once for the graph
    n_frames = frame_count(time + pad_begin, win_length, hop_length, pad_end)
    end = max(time, (n_frames - 1) * hop_length + win_length - pad_begin)
    frames = _chunk_frames(signals, tf.constant(0), time, pad_begin, end - time, channels_last, win_length,
                           hop_length, window_fn(win_length, dtype=signals.dtype), n_fft)
    outer = _shape_of(signals, (0, 2) if channels_last else range(signals.shape.rank - 1))
    spectra = tf.signal.rfft(frames)
    stfts = tf.reshape(spectra, outer + [n_frames, n_fft // 2 + 1])
    if finite_message is None or hop_length > win_length:  # hop > window: samples between frames are unread
        return _checked_against(stfts, signals, finite_message)
    # NaN or Inf in a framed sample makes its frame's DC bin (the windowed sum) NaN or Inf: that column and
    # the samples no frame reads are checked, not the whole input once more
    finite = tf.reduce_all(tf.math.is_finite(tf.math.real(spectra[:, 0])))
    finite = _and_unframed_finite(finite, signals, n_frames, win_length, hop_length, pad_begin, channels_last)
    return _asserted(stfts, finite, _overflow_message(finite_message))


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
    real_dtype = _real_dtype_of(stfts.dtype)
    window = inverse_stft_window(win_length, hop_length, window_fn, real_dtype)
    rank = stfts.shape.rank
    outer = _shape_of(stfts, range(rank - 2))
    # one rank for the compiled kernels, whatever the batch axes
    stfts = tf.reshape(stfts, [-1] + _shape_of(stfts, (rank - 2, rank - 1)))
    # frames of zeros at both ends, added while the spectrum is packed for the inverse FFT, let the
    # overlap-add read whole frames only (see _windowed_overlap_add)
    margin = win_length // hop_length - 1 if win_length % hop_length == 0 and n_fft % 2 == 0 else 0
    # even n_fft: the half-length inverse FFT's complex output goes to the overlap-add kernel as it is
    # (interleaved there, in the same pass)
    if n_fft % 2:
        frames = tf.signal.irfft(stfts, fft_length=[n_fft])
    else:
        frames = _half_length_ifft(stfts, n_fft, margin)
        if not _in_xla_context():  # a bitcast, free, is faster than interleaving inside the kernel
            frames = _bitcast_interleave(frames)
    signals = _windowed_overlap_add(frames, window, win_length, hop_length, margin)
    return tf.reshape(signals, outer + _shape_of(signals, [1]))


@_fused
def _windowed_overlap_add(frames, window, win_length, hop_length, margin=0):
    """Overlap-add of ``frames[..., :win_length] * window``, frames ``hop_length`` apart; one XLA pass.

    ``frames`` is ``(rows, frames, n_fft)`` with ``margin`` frames of zeros at each end, which
    are not part of the signal; or, complex, ``(rows, frames, n_fft / 2)`` as
    :func:`_half_length_ifft` returns it, each value two consecutive samples. When the hop
    divides the window, a frame is ``n`` blocks of one hop and output block ``j`` is the sum of
    block ``b`` of frame ``j - b``: ``n`` shifted views added in one streaming pass, faster than
    TensorFlow's reshape-pad-transpose-sum overlap-add.
    With ``n - 1`` frames of zeros at each end the views are plain slices; without them XLA pads
    each view, which checks bounds for every sample (about twice as slow).
    """
    if frames.dtype.is_complex:
        frames = _interleave(frames)
    windowed = frames[..., :win_length] * window
    if win_length % hop_length:  # inverse_stft adds a margin only when the hop divides the window
        return tf.signal.overlap_and_add(windowed, hop_length)
    n_blocks = win_length // hop_length
    if margin < n_blocks - 1:
        windowed = tf.pad(windowed, [[0, 0], [n_blocks - 1 - margin] * 2, [0, 0]])
    n_rows, n_padded = _shape_of(windowed, (0, 1))  # n_blocks - 1 frames of zeros at each end
    blocks = tf.reshape(windowed, [n_rows, n_padded, n_blocks, hop_length])
    total = None
    for b in range(n_blocks):  # block b of every frame, shifted b blocks later
        shifted = blocks[:, n_blocks - 1 - b : n_padded - b, b, :]
        total = shifted if total is None else total + shifted
    return tf.reshape(total, [n_rows, -1])


@_fused
def _pack_half_spectrum(stfts, half_twiddle, half, margin):
    """``(X[k] + conj(X[N/2 - k])) / 2 + half_twiddle[k] * (X[k] - conj(X[N/2 - k]))`` for ``k < N/2``
    (see :func:`irfft`), with ``margin`` frames of zeros at both ends; in real arithmetic (XLA
    multiplies complex numbers in full, even by ``1j`` or ``0.5``). The imaginary parts of DC and
    Nyquist are ignored, as every inverse real FFT does (a spectrum a model estimated may have them)."""
    real, imag = tf.math.real(stfts), tf.math.imag(stfts)
    imag = imag * np.concatenate([[0.0], np.ones(half - 1), [0.0]]).astype(imag.dtype.as_numpy_dtype)
    low_re, low_im = real[..., :half], imag[..., :half]
    mirrored_re, mirrored_im = tf.reverse(real[..., 1:half + 1], [-1]), -tf.reverse(imag[..., 1:half + 1], [-1])
    diff_re, diff_im = low_re - mirrored_re, low_im - mirrored_im
    twiddle_re, twiddle_im = tf.math.real(half_twiddle), tf.math.imag(half_twiddle)
    packed = tf.complex(0.5 * (low_re + mirrored_re) + diff_re * twiddle_re - diff_im * twiddle_im,
                        0.5 * (low_im + mirrored_im) + diff_re * twiddle_im + diff_im * twiddle_re)
    return tf.pad(packed, [[0, 0], [margin, margin], [0, 0]]) if margin else packed


def irfft(stfts, n_fft, margin=0):
    """``tf.signal.irfft(stfts, [n_fft])`` of ``stfts`` ``(rows, frames, bins)``; for even ``n_fft``
    by one complex FFT of half the size (:func:`_half_length_ifft`), with ``margin`` frames of
    zeros added at both ends. TensorFlow's own IRFFT kernel is about 1.3x slower on CPU.
    """
    if n_fft % 2:
        if margin:
            raise ValueError(f"`margin` must be 0 for an odd `n_fft`; got {margin} with n_fft={n_fft}.")
        return tf.signal.irfft(stfts, fft_length=[n_fft])
    frames = _half_length_ifft(stfts, n_fft, margin)
    return _interleave(frames) if _in_xla_context() else _bitcast_interleave(frames)


def _half_length_ifft(stfts, n_fft, margin=0):
    """The inverse real FFT of ``stfts`` ``(rows, frames, n_fft // 2 + 1)``, even ``n_fft``, as ``n_fft / 2``
    complex values per frame: the even output samples are the real parts, the odd ones the imaginary
    parts (:func:`_interleave` lays them out), with ``margin`` frames of zeros at both ends.

    They are the inverse FFT of ``(X[k] + conj(X[N/2 - k]) + i e^{2 pi i k / N} (X[k] - conj(X[N/2 - k]))) / 2``.
    """
    half = n_fft // 2
    half_twiddle = 0.5j * np.exp(2j * np.pi * np.arange(half) / n_fft)
    return tf.signal.ifft(_pack_half_spectrum(stfts, tf.constant(half_twiddle, dtype=stfts.dtype), half, margin))


def _in_xla_context():
    """Whether the graph being traced is compiled whole with XLA (``tf.function(jit_compile=True)``,
    ``model.compile(jit_compile=True)``), where a complex bitcast does not compile. TensorFlow asks the
    same (private) question before it compiles a function; if it cannot be asked, the answer is yes."""
    if tf.executing_eagerly():
        return False
    try:
        from tensorflow.python.ops import control_flow_util
    except ImportError:  # pragma: no cover - moved in a future TensorFlow: take the route that compiles
        return True
    return control_flow_util.GraphOrParentsInXlaContext(tf.compat.v1.get_default_graph())


def _bitcast_to_real(values):
    """(..., n) complex -> (..., 2n) real ``re0, im0, re1, im1, ...``: the same memory, no copy."""
    interleaved = tf.reshape(tf.bitcast(values, _real_dtype_of(values.dtype)),
                             tf.concat([tf.shape(values)[:-1], [-1]], axis=0))
    if values.shape.rank is not None:
        last = values.shape[-1]
        interleaved.set_shape(values.shape[:-1].concatenate([None if last is None else 2 * last]))
    return interleaved


def _bitcast_to_complex(values):
    """(..., 2n) real -> (..., n) complex ``values[2k] + i values[2k + 1]``: the same memory, no copy."""
    complex_dtype = tf.complex128 if values.dtype == tf.float64 else tf.complex64
    pairs = tf.reshape(values, tf.concat([tf.shape(values)[:-1], [-1, 2]], axis=0))
    if values.shape.rank is not None:
        last = values.shape[-1]
        pairs.set_shape(values.shape[:-1].concatenate([None if last is None else last // 2, 2]))
    return tf.bitcast(pairs, complex_dtype)


# TensorFlow has no gradient for Bitcast; each reinterpretation's gradient is the other one
# (for a real loss, TensorFlow's gradient of a complex tensor is d/dre + i d/dim).
@tf.custom_gradient
def _bitcast_interleave(values):
    """:func:`_bitcast_to_real`, differentiable."""
    return _bitcast_to_real(values), _bitcast_to_complex


@tf.custom_gradient
def _pairs_as_complex(values):
    """:func:`_bitcast_to_complex`, differentiable."""
    return _bitcast_to_complex(values), _bitcast_to_real


def _interleave(values):
    """(..., n) complex -> (..., 2n) real ``re0, im0, re1, im1, ...``, as plain ops that XLA compiles
    (XLA has no complex bitcast; inside a fused kernel such as :func:`_windowed_overlap_add` it costs
    nothing). Elsewhere :func:`_bitcast_interleave` does it without a copy."""
    pairs = tf.stack([tf.math.real(values), tf.math.imag(values)], axis=-1)
    last = values.shape[-1]
    return tf.reshape(pairs, tf.concat([tf.shape(values)[:-1], [-1]], axis=0)) if last is None else \
        tf.reshape(pairs, _shape_of(values, range(values.shape.rank - 1)) + [2 * last])


def spectral_power_plain(stfts, exponent=2.0):
    """:func:`spectral_power` with plain TensorFlow ops: nothing compiled for its shape."""
    return spectral_power.__wrapped__(stfts, exponent)


@_fused
def spectral_power(stfts, exponent=2.0):
    """``|stfts| ** exponent`` as a real tensor, in one fused (XLA) pass; for the usual
    exponent 2, ``re**2 + im**2`` without the square root."""
    real, imag = tf.math.real(stfts), tf.math.imag(stfts)
    power = tf.square(real) + tf.square(imag)
    if exponent == 2:
        return power
    return power_to_magnitude_power(power, exponent)


def one_sided_weights(n_fft):
    """Per-bin factor that folds the negative frequencies of a real signal's spectrum onto the
    positive ones: 1 for DC (and Nyquist when ``n_fft`` is even), 2 elsewhere (``n_fft // 2 + 1`` values)."""
    weights = np.full(n_fft // 2 + 1, 2.0)
    weights[0] = 1.0
    if n_fft % 2 == 0:
        weights[-1] = 1.0
    return weights


@_fused
def _complex_abs(stfts):
    # XLA fuses real, imag, square, add and sqrt into one pass: ~5x faster on CPU than
    # TensorFlow's own complex Abs kernel, which calls hypot per element.
    return tf.abs(stfts)


def magnitude(stfts):
    """Absolute value of a complex tensor, as a real tensor of the matching precision.

    Complex input is computed by an XLA-compiled function (one fused pass); real input
    with ``tf.abs``.
    """
    if stfts.dtype.is_complex:
        return _complex_abs(stfts)
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


def to_decibel(x, ref_value=1.0, amin=1e-5, dynamic_range=80.0, multiplier=10.0, batch_axis=True, join_axis=-2):
    """Decibels: ``multiplier * log10(max(x, amin) / max(ref_value, amin))``, floor-clipped.

    With ``multiplier=10`` this is ``librosa.power_to_db(x, ref=ref_value, amin=amin,
    top_db=dynamic_range)``; with ``multiplier=20`` it is ``librosa.amplitude_to_db``.
    The floor is ``max - dynamic_range`` where the maximum is taken per batch item (over
    every axis but the first) when ``batch_axis`` and ``x`` has more than one axis.
    float16 and bfloat16 inputs are computed in float32 and cast back.

    Args:
        x (float Tensor, or a list of them): non-negative values (power or magnitude); a
            list is first concatenated along ``join_axis``, in the same pass; an item of the
            list may itself be a list of tensors, concatenated along the last axis first.
        ref_value (float): the input value that maps to 0 dB. Defaults to 1.0.
        amin (float): smallest input value considered; smaller values are raised to it.
        dynamic_range (float or None): range below the maximum that is kept, in dB;
            None keeps everything. Defaults to 80.
        multiplier (float): 10 for power, 20 for magnitude. Defaults to 10.
        batch_axis (bool): treat the first axis as the batch. Defaults to True.
        join_axis (int): the axis along which a list ``x`` is joined. Defaults to -2 (frames).

    Example:
        >>> round(float(to_decibel(tf.constant([100.0]), batch_axis=False)[0]), 4)
        20.0
    """
    return _to_decibel(x, ref_value, amin, dynamic_range, multiplier, batch_axis, join_axis)


def to_decibel_plain(x, ref_value=1.0, amin=1e-5, dynamic_range=80.0, multiplier=10.0, batch_axis=True):
    """:func:`to_decibel` of one tensor with plain TensorFlow ops: nothing compiled for its shape."""
    return _to_decibel(x, ref_value, amin, dynamic_range, multiplier, batch_axis, fused=False)


def _to_decibel(x, ref_value=1.0, amin=1e-5, dynamic_range=80.0, multiplier=10.0, batch_axis=True, join_axis=-2,
                fused=True):
    """:func:`to_decibel`, as one compiled XLA kernel or (``fused=False``) as plain ops."""
    pieces = list(x) if isinstance(x, (list, tuple)) else [x]
    pieces = [list(p) if isinstance(p, (list, tuple)) else [p] for p in pieces]
    input_dtype = pieces[0][0].dtype
    if input_dtype in (tf.float16, tf.bfloat16):
        pieces = [[tf.cast(band, tf.float32) for band in piece] for piece in pieces]
    rank = pieces[0][0].shape.rank
    axes = tuple(range(1, rank)) if (batch_axis and rank is not None and rank > 1) else None
    log_ref = float(multiplier * np.log10(max(ref_value, amin)))
    db = (_decibel if fused else _decibel.__wrapped__)(pieces, join_axis, float(amin), log_ref, float(multiplier),
                                                       dynamic_range, axes)
    return tf.cast(db, input_dtype)


@_fused
def _decibel(pieces, join_axis, amin, log_ref, multiplier, dynamic_range, axes):
    # one fused XLA pass for the join, the log, the offset and the floor
    rows = [piece[0] if len(piece) == 1 else tf.concat(piece, axis=-1) for piece in pieces]
    x = rows[0] if len(rows) == 1 else tf.concat(rows, axis=join_axis)
    dtype = x.dtype

    def decibel(values):
        return multiplier * _log10(tf.maximum(values, tf.constant(amin, dtype=dtype))) - tf.constant(log_ref, dtype)

    db = decibel(x)
    if dynamic_range is not None:
        axis = None if axes is None else list(axes)
        # a rising scale's loudest decibel is the largest value's: one pass of logs, not two
        peak = decibel(tf.reduce_max(x, axis, keepdims=True)) if multiplier > 0 else tf.reduce_max(db, axis, True)
        db = tf.maximum(db, peak - tf.constant(dynamic_range, dtype=dtype))
    return db


def filterbank_constant(filterbank, dtype):
    """``filterbank`` (array, constant or tensor) as a tensor of ``dtype``: a constant when its
    values are known, so that a graph need not cast it on every call."""
    values = tf.get_static_value(filterbank)  # None for a variable or a symbolic tensor
    return tf.cast(filterbank, dtype) if values is None else tf.constant(values, dtype=dtype)


def filterbank_blocks(filterbank, dtype, n_groups=8):
    """A filterbank ``(n_freq, n_filters)`` as the bins it weighs and blocks of its non-zero band.

    Mel and log-frequency filters weigh neither DC nor Nyquist (nor bins outside
    ``[f_min, f_max]``), and each group of neighbouring filters only a short run of bins:
    a spectrum computed over ``bins`` only, multiplied block by block
    (:func:`band_products`), gives the same sums for a fraction of the multiplications.
    A filterbank whose values are not known when traced (a trainable one) is one dense block.

    Returns:
        ``((start, stop), blocks)``: ``blocks`` is a list of ``(row_start, row_stop, weights)``,
        rows counted from ``start``, ``weights`` a constant of ``dtype`` for those rows and a
        run of neighbouring filters, in filter order.
    """
    values = tf.get_static_value(filterbank)  # None for a variable or a symbolic tensor
    if values is None:
        return (0, filterbank.shape[0]), [(0, filterbank.shape[0], filterbank_constant(filterbank, dtype))]
    nonzero = values != 0
    start, stop = _nonzero_span(nonzero)
    blocks = []
    for columns in np.array_split(np.arange(values.shape[1]), min(n_groups, values.shape[1])):
        first, last = _nonzero_span(nonzero[start:stop, columns])
        weights = values[start + first : start + last, columns[0] : columns[-1] + 1]
        blocks.append((first, last, tf.constant(weights, dtype=dtype)))
    return (start, stop), blocks


def _nonzero_span(nonzero):
    """``(first, last + 1)`` of the rows of a boolean matrix holding a True, ``(0, 1)`` if none."""
    rows = np.flatnonzero(nonzero.any(axis=1))
    return (int(rows[0]), int(rows[-1]) + 1) if rows.size else (0, 1)


def band_products(spectra, blocks):
    """``spectra @ filterbank`` for 2-D ``spectra`` over a filterbank's bins, given its
    :func:`filterbank_blocks`: one product per block, to be concatenated along the last axis
    (by the caller, in the pass that joins the chunks)."""
    return [tf.matmul(spectra[:, first:last], weights) for first, last, weights in blocks]


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


#: Most pieces :func:`filtered_magnitude` cuts a signal into (longer signals get longer chunks).
MAX_CHUNKS = 64

#: Signals of up to this many chunks have them as separate calls in the graph; longer ones as a loop.
UNROLLED_CHUNKS = 16

#: Largest complex spectrogram (bytes) that an eager :func:`filtered_magnitude` computes in one
#: piece; above it, chunks bound the memory and the work outweighs compiling their kernels.
EAGER_WHOLE_BYTES = 64 * 2**20


def _spectrogram_bytes(signals, time, n_frames, n_freq):
    """Size of the complex spectrogram of ``signals`` (every size known), ``time`` samples each, in bytes."""
    return signals.shape.num_elements() // max(time, 1) * n_frames * n_freq * 2 * signals.dtype.size


#: Frames are cut as ``frame_length / gcd(frame_length, hop_length)`` shifted block views when
#: that is at most this many; otherwise with ``tf.signal.frame`` (a gather).
MAX_FRAME_BLOCKS = 16


def windowed_frames(pieces, frame_length, hop_length, window, fft_length=None, pad_begin=0, pad_end=0):
    """Windowed frames of ``pieces`` ``(..., time)`` with ``pad_begin`` and ``pad_end`` zeros around
    them, each frame zero-padded at the end to ``fft_length``.

    The frames start every ``hop_length`` samples and there are ``1 + (pad_begin + time + pad_end -
    frame_length) // hop_length`` of them. When hop and frame length share a large divisor
    (2048/512, 400/160) every frame is a few whole blocks of the signal, so frames are made by
    stacking shifted block views, each times its part of the window, which XLA turns into one
    streaming copy; the zeros around the signal are put in per view, so that the padded signal
    is never written (XLA would write it as a separate pass, since every sample is read by
    several frames). Otherwise ``tf.signal.frame`` gathers the frames of the padded signal.

    Returns:
        Tensor: ``(..., frames, fft_length or frame_length)``, the dtype of ``pieces``.
    """
    block = math.gcd(frame_length, hop_length)
    per_frame, per_hop = frame_length // block, hop_length // block
    time = pieces.shape[-1]
    n_frames = 1 + (pad_begin + time + pad_end - frame_length) // hop_length
    if per_frame > MAX_FRAME_BLOCKS or pad_begin % block:
        frames = tf.signal.frame(pad_time(pieces, pad_begin, pad_end), frame_length, hop_length) * window
    else:
        outer = _shape_of(pieces, range(pieces.shape.rank - 1))
        parts = _frame_parts(pieces, outer, n_frames, per_frame, per_hop, block, pad_begin // block)
        window_blocks = tf.reshape(window, [per_frame, block])
        parts = [part * window_blocks[i] for i, part in enumerate(parts)]
        frames = tf.reshape(tf.stack(parts, axis=-2), outer + [n_frames, frame_length])
    if fft_length is not None and fft_length > frame_length:
        frames = pad_time(frames, end=fft_length - frame_length)
    return frames


def _frame_parts(pieces, outer, n_frames, per_frame, per_hop, block, zero_blocks):
    """Block ``i`` of every frame, for ``i < per_frame``: ``(..., n_frames, block)`` each.

    The padded signal is ``zero_blocks`` blocks of zeros, the signal's blocks (the last one
    zero-filled when partial) and zeros; frame ``t`` covers its blocks ``t * per_hop`` to ``t *
    per_hop + per_frame - 1``. Block ``i`` of every frame is the concatenation of: zeros for the
    frames that read it before the signal, one strided view of the whole signal blocks, the
    partial block for the frame that reads it, and zeros for the frames past the signal.
    """
    time = pieces.shape[-1]
    n_whole = time // block
    whole = tf.reshape(pieces[..., :n_whole * block], outer + [n_whole, block])
    tail = None
    if time > n_whole * block:
        tail = tf.expand_dims(pad_time(pieces[..., n_whole * block:], end=(n_whole + 1) * block - time), -2)

    def zeros(count):
        return tf.zeros(outer + [count, block], dtype=pieces.dtype)

    parts = []
    for i in range(per_frame):
        # frame t reads signal block t * per_hop + i - zero_blocks
        first = min(n_frames, max(0, -(-(zero_blocks - i) // per_hop)))  # first frame on a signal block
        stop = min(n_frames, max(first, -(-(n_whole + zero_blocks - i) // per_hop)))  # past the whole ones
        segments = [zeros(first)] if first else []
        if stop > first:
            start = first * per_hop + i - zero_blocks
            segments.append(whole[..., start : start + (stop - first - 1) * per_hop + 1 : per_hop, :])
        if tail is not None and stop < n_frames and stop * per_hop + i - zero_blocks == n_whole:
            segments.append(tail)
            stop += 1
        if stop < n_frames:
            segments.append(zeros(n_frames - stop))
        parts.append(segments[0] if len(segments) == 1 else tf.concat(segments, axis=-2))
    return parts


def _chunk_frames(signals, begin, length, pad_begin, pad_end, channels_last, frame_length, hop_length, window,
                  fft_length, pairs=False):
    """:func:`windowed_frames` of samples ``[begin, begin + length)`` of ``signals``, read in place
    (``begin`` is a tensor, so chunks of one length share one compiled kernel), with ``pad_begin``
    and ``pad_end`` zeros around them; ``(batch, time, channels)`` when ``channels_last``.

    Returns the frames as ``(rows * frames, fft_length)``, rows being every waveform of
    ``signals`` in order; with ``pairs`` (even ``fft_length``), as ``(rows * frames, fft_length / 2)``
    complex values ``frame[0::2] + 1j * frame[1::2]``, ready for a half-length complex FFT
    (:func:`_packed_magnitudes`), written in the same pass.
    """
    if not channels_last:  # one rank for the compiled kernel, whatever the batch axes
        signals = tf.reshape(signals, [-1, signals.shape[-1]])
    return _frames_kernel(signals, begin, length, pad_begin, pad_end, channels_last, frame_length, hop_length,
                          window, fft_length, pairs)


@_fused
def _frames_kernel(signals, begin, length, pad_begin, pad_end, channels_last, frame_length, hop_length, window,
                   fft_length, pairs):
    # signals: (rows, time), or (batch, time, channels) when channels_last
    time_axis = 1
    starts = [0] * signals.shape.rank
    sizes = [-1] * signals.shape.rank
    starts[time_axis], sizes[time_axis] = begin, length
    piece = tf.slice(signals, tf.stack([tf.cast(start, tf.int32) for start in starts]), sizes)
    if channels_last:
        piece = transpose(piece, (0, 2, 1))
    # one row per waveform: XLA vectorises a 2-D copy well, a size-1 channel axis not
    piece = tf.reshape(piece, [-1, length])
    frames = windowed_frames(piece, frame_length, hop_length, window, fft_length, pad_begin, pad_end)
    frames = tf.reshape(frames, [-1, frames.shape[-1]])
    return tf.complex(frames[:, 0::2], frames[:, 1::2]) if pairs else frames


@_fused
def _packed_magnitudes(packed, n_fft, bins, exponent=1.0):
    """``|rfft(frames)|[..., start:stop] ** exponent`` for ``(start, stop) = bins``, from ``packed =
    fft(frames[..., 0::2] + 1j * frames[..., 1::2])`` (the frames as :func:`_chunk_frames` gives them
    with ``pairs=True``) and ``n_fft`` the (even) length of ``frames``. A real FFT of length ``n``
    costs about as much as a complex FFT of ``n / 2`` plus this cheap untangling pass.

    With ``Z = packed`` and ``M`` its length, bin ``k`` of the real FFT of length ``2M`` is
    ``(Z[k] + conj(Z[M - k])) / 2 - 1j * exp(-1j * pi * k / M) * (Z[k] - conj(Z[M - k])) / 2``
    (indices mod ``M``): the even and the odd samples' spectra, recombined. Computed in real
    arithmetic, one fused pass, for the requested bins only.
    """
    start, stop = bins
    real, imag = tf.math.real(packed), tf.math.imag(packed)
    half = n_fft // 2
    k = np.arange(1, half)
    cos = tf.constant(np.cos(np.pi * k / half), dtype=real.dtype)
    sin = tf.constant(-np.sin(np.pi * k / half), dtype=real.dtype)
    # bins 1 .. M-1; DC and Nyquist are real: Z[0].re +- Z[0].im
    fore_re, fore_im = real[..., 1:], imag[..., 1:]
    back_re, back_im = tf.reverse(fore_re, [-1]), -tf.reverse(fore_im, [-1])
    sum_re, sum_im = fore_re + back_re, fore_im + back_im
    diff_re, diff_im = fore_re - back_re, fore_im - back_im
    turned_re, turned_im = cos * diff_re - sin * diff_im, cos * diff_im + sin * diff_re
    bin_re, bin_im = sum_re + turned_im, sum_im - turned_re
    middle = power_to_magnitude_power(0.25 * (tf.square(bin_re) + tf.square(bin_im)), exponent)
    # a slice of the middle alone stays contiguous and vectorised; edges are concatenated
    parts = [power_to_magnitude_power(tf.square(real[..., :1] + imag[..., :1]), exponent)] if start == 0 else []
    parts.append(middle[..., max(start, 1) - 1 : min(stop, half) - 1])
    if stop == half + 1:
        parts.append(power_to_magnitude_power(tf.square(real[..., :1] - imag[..., :1]), exponent))
    return parts[0] if len(parts) == 1 else tf.concat(parts, axis=-1)


def filtered_magnitude(signals, n_fft, win_length, hop_length, window_fn=tf.signal.hann_window, pad_end=False,
                       filterbank=None, chunk_frames=32, pad_begin=0, channels_last=False, finite_message=None,
                       decibel=None, exponent=1.0):
    """``|stft(signals)| ** exponent @ filterbank`` (or without the filterbank), in chunks of frames.

    Equal to ``apply_filterbank(spectral_power(stft(...), exponent), filterbank)``, but when the signal
    length is known the frames are processed ``chunk_frames`` at a time, so that neither
    the frames nor the complex spectrogram of the whole signal is ever held in memory:
    every intermediate stays small enough to be reused from the allocator's cache instead
    of being mapped fresh (and page-faulted) on every call. Each chunk's frames are read
    from the signal in place (:func:`windowed_frames`); an even ``n_fft`` is transformed as
    a complex FFT of half the length whose untangling is fused with the magnitude, for the
    bins the filterbank weighs only (:func:`filterbank_blocks`).

    Args:
        signals (float Tensor): ``(..., time)``, or ``(batch, time, channels)`` with
            ``channels_last``.
        n_fft, win_length, hop_length, window_fn, pad_end: as in :func:`stft`.
        filterbank (array, constant or tensor, or None): ``(n_fft // 2 + 1, n_filters)``;
            None for the magnitude.
        chunk_frames (int): frames per chunk, for signals of up to ``MAX_CHUNKS`` chunks; longer
            signals get chunks of ``chunk_frames`` times a power of two, so that there are at most
            ``MAX_CHUNKS``. Defaults to 32. Every chunk of a signal has the same size, its zeros
            put in per chunk, so that the compiled chunk kernels serve every signal length; up to
            ``UNROLLED_CHUNKS`` chunks are separate calls in the graph, more a ``tf.map_fn`` loop,
            so that the graph does not grow with long signals. A signal
            whose length is unknown when traced is processed in one piece with plain TensorFlow
            ops, and so is an eager call whose spectrogram is at most ``EAGER_WHOLE_BYTES``.
        pad_begin (int): zeros to prepend, in samples. Defaults to 0.
        channels_last (bool): ``signals`` is ``(batch, time, channels)``. Defaults to False.
        finite_message (str or None): when given, the result raises
            ``tf.errors.InvalidArgumentError`` with this message if ``signals`` holds NaN or Inf
            or, with a filterbank, if the filtered spectra overflow. With a filterbank and
            ``hop_length <= win_length``, the chunked path checks the filtered output (NaN or
            Inf in a framed sample makes all of its frame's outputs NaN or Inf; the root keeps
            them) and the samples no frame reads, instead of reading the whole input once more;
            otherwise the input is checked beside the computation (see :func:`check_finite`).
            Defaults to None.
        decibel (dict or None): keyword arguments of :func:`to_decibel`; when given, the
            result is in decibels (per batch item floor), converted as the chunks are joined.
            Defaults to None.
        exponent (float): power of the magnitude: 1 magnitude (default), 2 power (no root taken).

    Returns:
        float Tensor: ``(..., frames, n_filters)`` (or ``n_fft // 2 + 1``); for
        ``channels_last`` input, ``(batch, channels, frames, n_filters)``.
    """
    time_axis = 1 if channels_last else signals.shape.rank - 1
    time = signals.shape[time_axis]
    n_freq = n_fft // 2 + 1
    n_frames = None if time is None else frame_count(time + pad_begin, win_length, hop_length, pad_end)
    # one piece with plain ops: see chunk_frames above
    if time is None or (tf.executing_eagerly()
                        and _spectrogram_bytes(signals, time, n_frames, n_freq) <= EAGER_WHOLE_BYTES):
        waveforms, pad_end = _time_last_padded(signals, pad_begin, win_length, hop_length, pad_end, channels_last,
                                               finite_message)
        # plain ops: in a graph whose length is unknown, a compiled kernel would compile per length at run time
        spectra = spectral_power_plain(stft(waveforms, n_fft, win_length, hop_length, window_fn, pad_end), exponent)
        if filterbank is not None:
            spectra = apply_filterbank(spectra, filterbank)
            if finite_message is not None:  # as the chunked path below: an overflowing spectrogram is an error
                spectra = check_finite(spectra, _overflow_message(finite_message))
        return spectra if decibel is None else to_decibel_plain(spectra, **decibel)

    def chunked(values):
        return _chunked_filtered_magnitude(values, n_fft, win_length, hop_length, window_fn, filterbank, chunk_frames,
                                           pad_begin, channels_last, finite_message, decibel, exponent, n_frames)

    if tf.executing_eagerly():
        # as a graph, which frees every intermediate as soon as it is used (eager ops would keep the chunks'
        # outputs, their layout and the decibels' steps alive together); traced once per signal shape and
        # settings (kept for the next calls), while its chunk kernels, of one shape for every length, are
        # compiled once
        key = (tuple(signals.shape), signals.dtype, n_fft, win_length, hop_length, window_fn, id(filterbank),
               chunk_frames, pad_begin, channels_last, finite_message, tuple(sorted((decibel or {}).items())),
               float(exponent))
        graph = _EAGER_CHUNKED_GRAPHS.pop(key, None)
        if graph is None:
            graph = (tf.function(chunked, autograph=False), filterbank)  # the filterbank kept: its id is in the key
        _EAGER_CHUNKED_GRAPHS[key] = graph  # most recently used last
        while len(_EAGER_CHUNKED_GRAPHS) > 8:
            _EAGER_CHUNKED_GRAPHS.pop(next(iter(_EAGER_CHUNKED_GRAPHS)))
        return graph[0](signals)
    return chunked(signals)


#: The traced graphs of long eager :func:`filtered_magnitude` calls, for the latest signal shapes and settings.
_EAGER_CHUNKED_GRAPHS = {}


def _chunked_filtered_magnitude(signals, n_fft, win_length, hop_length, window_fn, filterbank, chunk_frames, pad_begin,
                                channels_last, finite_message, decibel, exponent, n_frames):
    """:func:`filtered_magnitude` of a signal of known length, chunk by chunk."""
    time = signals.shape[1 if channels_last else signals.shape.rank - 1]
    n_freq = n_fft // 2 + 1
    dtype = _real_dtype_of(signals.dtype)
    # the bins and the weight constants once, for every chunk
    bins, blocks = ((0, n_freq), None) if filterbank is None else filterbank_blocks(filterbank, dtype)
    n_filters = bins[1] - bins[0] if blocks is None else sum(int(weights.shape[1]) for _, _, weights in blocks)
    window = window_fn(win_length, dtype=signals.dtype)
    outer = _shape_of(signals, (0, 2) if channels_last else range(signals.shape.rank - 1))
    # Every chunk has the same size: `chunk` frames, read from `span` samples of the signal with the
    # zeros around it (before it, and after its last frame) put in per chunk. One compiled kernel serves
    # every chunk of every signal length with this many rows; chunk sizes grow by powers of two for long
    # signals, so that there are at most MAX_CHUNKS chunks and a handful of sizes in all.
    chunk = chunk_frames
    while -(-n_frames // chunk) > MAX_CHUNKS:
        chunk *= 2
    n_chunks = -(-n_frames // chunk)
    span, step = (chunk - 1) * hop_length + win_length, chunk * hop_length
    source = signals if channels_last else tf.reshape(signals, [-1, time])
    in_xla = _in_xla_context()

    def chunk_magnitudes(start):  # `start`: the chunk's first sample in the zero-padded signal
        first = start - pad_begin  # in the signal (negative in the zeros before it)
        low, high = tf.clip_by_value(first, 0, time), tf.clip_by_value(first + span, 0, time)
        before = low - first
        edges = [[0, 0], [before, span - before - (high - low)]] + ([[0, 0]] if channels_last else [])
        piece = tf.slice(source, tf.stack([0, low] + ([0] if channels_last else [])),
                         tf.stack([-1, high - low] + ([-1] if channels_last else [])))
        piece = tf.reshape(tf.pad(piece, edges), [-1, span] + (_shape_of(source, [2]) if channels_last else []))
        # even n_fft: frames as complex pairs for a half-length FFT; a bitcast of the real frames (free) is
        # faster than the kernel writing pairs, but does not compile in a graph compiled whole with XLA
        frames = _chunk_frames(piece, 0, span, 0, 0, channels_last, win_length, hop_length, window, n_fft,
                               pairs=n_fft % 2 == 0 and in_xla)
        if n_fft % 2 == 0 and not in_xla:
            frames = _pairs_as_complex(frames)
        if n_fft % 2:
            spectra = spectral_power_plain(tf.signal.rfft(frames), exponent)[:, bins[0]:bins[1]]
        else:
            spectra = _packed_magnitudes(tf.signal.fft(frames), n_fft, bins, float(exponent))
        bands = [spectra] if blocks is None else band_products(spectra, blocks)
        joined = bands[0] if len(bands) == 1 else tf.concat(bands, axis=-1)
        return tf.reshape(joined, [-1, chunk, n_filters])  # (rows, chunk, filters)

    if n_chunks <= UNROLLED_CHUNKS:  # a few calls in the graph: backpropagation through a loop is slower
        pieces = [chunk_magnitudes(tf.constant(index * step)) for index in range(n_chunks)]
        result = pieces[0] if n_chunks == 1 else tf.concat(pieces, axis=1)
    else:  # a loop, so that the graph does not grow with the signal
        # (not converted by AutoGraph: plain TensorFlow ops, and converting them is most of the trace time)
        per_chunk = tf.map_fn(tf.autograph.experimental.do_not_convert(chunk_magnitudes), tf.range(n_chunks) * step,
                              fn_output_signature=tf.TensorSpec([None, chunk, n_filters], dtype))
        result = tf.reshape(tf.transpose(per_chunk, (1, 0, 2, 3)), [-1, n_chunks * chunk, n_filters])
    if n_chunks * chunk > n_frames:
        result = result[:, :n_frames]
    result = tf.reshape(result, outer + [n_frames, n_filters])
    # NaN or Inf in a framed sample makes every bin of its frame's FFT, and so every filter's output,
    # NaN or Inf: the (small) filtered output is checked instead of the whole input, and only the
    # samples no frame reads are checked in the input
    check_output = finite_message is not None and blocks is not None and hop_length <= win_length
    if check_output:
        finite = tf.reduce_all(tf.math.is_finite(result))
    if decibel is not None:  # plain ops: a compiled kernel over the whole output would compile per length
        result = to_decibel_plain(result, **decibel)
    if not check_output:
        return _checked_against(result, signals, finite_message)
    finite = _and_unframed_finite(finite, signals, n_frames, win_length, hop_length, pad_begin, channels_last)
    return _asserted(result, finite, _overflow_message(finite_message))


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
