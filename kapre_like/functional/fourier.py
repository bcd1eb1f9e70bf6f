"""The short-time Fourier transform and its overlap-add inverse."""

import numpy as np

import tensorflow as tf

from . import neutral
from .routes import on_tensorflow

from .dft import inverse_dft_matrix, stft_pairs
from .filterbank import apply_filterbank
from .finite import and_unframed_finite, asserted, checked_against, overflow_message
from .framing import center_pad, chunk_pieces, frame, frame_count, overlap_add, time_last_padded
from .routes import note_switch, plan, real_arithmetic_only
from .tensors import pad_time
from .windows import centered_window, inverse_stft_window, window_values


def stft(signals, n_fft, win_length, hop_length, window=None, pad_end=False, pad_begin=0, channels_last=False,
         finite_message=None, strategy="auto", center=False, pad_mode="constant"):
    """Complex short-time Fourier transform of real signals (``tf.signal.stft`` semantics).

    Frames of ``win_length`` samples start every ``hop_length`` samples, are multiplied
    by the window, zero-padded at the end to ``n_fft`` and transformed with a real FFT.
    No centring: frame ``t`` covers samples ``[t * hop, t * hop + win_length)``; this is
    ``librosa.stft(center=False)`` when ``win_length == n_fft``. Plain TensorFlow ops
    (:func:`~kapre_like.functional.frame`, ``tf.signal.rfft``): nothing is compiled, in a graph
    or eagerly.

    Args:
        signals (float Tensor): ``(..., time)``.
        n_fft (int): FFT size; the output has ``n_fft // 2 + 1`` frequency bins.
        win_length (int): frame (window) length in samples, ``<= n_fft``.
        hop_length (int): samples between frame starts.
        window: the analysis window, ``win_length`` values (or a ``tf.signal`` window function
            or name, see :func:`~kapre_like.functional.window_values`). Defaults to None, the
            periodic Hann window.
        pad_end (bool): zero-pad the end so that every sample is in a frame.
        pad_begin (int): zeros to prepend, in samples. Defaults to 0.
        channels_last (bool): ``signals`` is ``(batch, time, channels)``. Defaults to False.
        finite_message (str or None): when given, the result raises
            ``tf.errors.InvalidArgumentError`` with this message if ``signals`` holds NaN or Inf
            (with a known length and ``hop_length <= win_length``: if a frame's DC bin, which
            NaN or Inf in any of its samples makes NaN or Inf, or a sample no frame reads is not
            finite; so an overflowing DC bin is an error too). Defaults to None.
        strategy (str or Strategy): the route (see :mod:`kapre_like.functional.routes`):
            ``'auto'`` (default: ``'plain'``), ``'plain'``, ``'chunked'`` (the same numbers from
            chunks of frames) or ``'conv'`` (the DFT as a convolution, as the TFLite layers run it).
        center (bool): centre frame ``t`` on sample ``t * hop_length``: pad ``n_fft // 2`` samples at
            both ends (:func:`~kapre_like.functional.center_pad`) and centre the window in frames of
            ``n_fft`` samples, as ``librosa.stft(center=True)`` and ``torch.stft(center=True)``;
            ``1 + time // hop_length`` frames for an even ``n_fft``. Not with ``pad_begin`` or ``pad_end``.
            Defaults to False.
        pad_mode (str): with ``center``, ``'constant'`` (zeros, the default) or ``'reflect'``.

    Returns:
        complex Tensor: ``(..., frames, n_fft // 2 + 1)``, ``(batch, channels, frames,
        n_fft // 2 + 1)`` for ``channels_last`` input; complex64 for float32 input, complex128
        for float64.

    Example:
        >>> x = tf.random.normal((2, 16000))
        >>> stft(x, n_fft=512, win_length=512, hop_length=128).shape
        TensorShape([2, 122, 257])
    """
    if not on_tensorflow():
        return neutral.stft(signals, n_fft, win_length, hop_length, window, pad_end, pad_begin, channels_last, finite_message,
                            strategy, center, pad_mode)
    signals = tf.convert_to_tensor(signals)
    signals, win_length, window = centered_framing(signals, n_fft, win_length, window, center, pad_mode,
                                                   pad_begin, pad_end, channels_last, hop_length)
    time = signals.shape[1 if channels_last else -1]
    n_frames = None if time is None else frame_count(time + pad_begin, win_length, hop_length, pad_end)
    route = plan(None, n_frames, n_fft, signals.dtype.size, strategy, complex_output=True)
    check_dc = finite_message is not None and time is not None and hop_length <= win_length
    input_message = None if check_dc else finite_message
    if route.route == "chunked":
        pieces = chunk_pieces(signals, n_frames, route.frames_per_chunk, win_length, hop_length, pad_begin,
                              channels_last)
        stfts = tf.concat([windowed_rfft(piece, n_fft, win_length, hop_length, window) for piece in pieces], -2)
        stfts = checked_against(stfts[..., :n_frames, :], signals, input_message)
    else:
        waveforms, pad_end = time_last_padded(signals, pad_begin, win_length, hop_length, pad_end, channels_last,
                                              input_message)
        if route.route == "conv":
            pairs = stft_pairs(waveforms, n_fft, win_length, hop_length, window, pad_end)
            stfts = tf.complex(pairs[..., 0], pairs[..., 1])
        else:
            stfts = windowed_rfft(waveforms, n_fft, win_length, hop_length, window, pad_end)
    if not check_dc:
        return stfts
    # NaN or Inf in a framed sample makes its frame's DC bin (the windowed sum) NaN or Inf: that column and
    # the samples no frame reads are checked, not the whole input once more
    finite = tf.reduce_all(tf.math.is_finite(tf.math.real(stfts[..., 0])))
    finite = and_unframed_finite(finite, signals, n_frames, win_length, hop_length, pad_begin, channels_last)
    return asserted(stfts, finite, overflow_message(finite_message))


def centered_framing(signals, n_fft, win_length, window, center, pad_mode="constant", pad_begin=0, pad_end=False,
                     channels_last=False, hop_length=None):
    """What the transforms frame: ``(signals, frame_length, window)``. Without ``center``, the signals,
    ``win_length`` and the window as an array (see :func:`~kapre_like.functional.window_values`);
    with it, the signals padded by ``n_fft // 2`` at both ends with ``pad_mode`` (the end only as far
    as frames ``hop_length`` apart read, when given), ``n_fft`` and the window centred in ``n_fft``
    values, as librosa and torch frame.

    Raises:
        ValueError: ``center`` with ``pad_begin`` or ``pad_end``, an unknown ``pad_mode``, or a signal
            too short to reflect.
    """
    window = window_values(window, win_length)
    if not center:
        return signals, win_length, window
    if pad_begin or pad_end:
        raise ValueError(f"center=True pads n_fft // 2 = {n_fft // 2} samples at both ends itself; pad_begin and "
                         f"pad_end must be off (got pad_begin={pad_begin}, pad_end={pad_end}).")
    return center_pad(signals, n_fft, pad_mode, channels_last, hop_length), n_fft, centered_window(window, n_fft)


def windowed_rfft(waveforms, n_fft, win_length, hop_length, window, pad_end=False):
    """``rfft(frame(waveforms) * window, n_fft)``: the spectra of ``waveforms`` ``(..., time)`` (time-last,
    padded but for ``pad_end``), ``(..., frames, n_fft // 2 + 1)``; ``window`` an array of ``win_length``
    values."""
    frames = frame(waveforms, win_length, hop_length, pad_end=pad_end) * tf.constant(window, waveforms.dtype)
    if 0 in frames.shape and None not in frames.shape:
        # an empty batch: tf.signal.rfft skips padding empty frames to n_fft, and its kernel then fails
        complex_dtype = tf.complex128 if waveforms.dtype == tf.float64 else tf.complex64
        return tf.zeros(frames.shape[:-1] + [n_fft // 2 + 1], complex_dtype)
    return tf.signal.rfft(frames, fft_length=[n_fft])


def inverse_stft(stfts, n_fft, win_length, hop_length, window=None, center=False, length=None, window_sum=None):
    """Real signals from their STFT by windowed overlap-add (``tf.signal.inverse_stft`` semantics, or
    ``librosa.istft``'s with ``center``).

    Plain TensorFlow ops (``tf.signal.irfft``, :func:`~kapre_like.functional.overlap_add`):
    nothing is compiled.

    Args:
        stfts (complex Tensor): ``(..., frames, n_fft // 2 + 1)``.
        n_fft (int): FFT size used in the forward transform.
        win_length (int): frame length used in the forward transform.
        hop_length (int): hop used in the forward transform.
        window: the *forward* analysis window, as :func:`stft` takes it. Defaults to None, the
            periodic Hann window.
        center (bool): invert :func:`stft` with ``center=True`` as ``librosa.istft(center=True)``:
            frames of ``n_fft`` samples with the window centred, divided by the overlap-added squared
            window of these frames (so the first and last samples, which fewer frames cover, come
            back too), and the ``n_fft // 2`` padded samples removed at both ends:
            ``(frames - 1) * hop_length`` samples. Defaults to False: the least-squares synthesis
            window of Griffin and Lim (:func:`~kapre_like.functional.inverse_stft_window`), as Kapre
            and ``tf.signal``, ``(frames - 1) * hop_length + win_length`` samples.
        length (int or None): return exactly this many samples (cut, or zero-padded at the end).
        window_sum (bool or None): divide by the overlap-added squared window of the actual frames
            (``librosa.istft``'s normalisation), also without ``center``: the first and last
            samples then come back too, as an iterative method (Griffin-Lim) needs. None (the
            default) means ``center``; with ``center`` it must not be False.

    Returns:
        float Tensor: ``(..., samples)``.

    Example:
        >>> x = tf.random.normal((1, 4096))
        >>> y = inverse_stft(stft(x, 512, 512, 128), 512, 512, 128)
        >>> bool(tf.reduce_max(tf.abs(x[:, 512:-512] - y[:, 512:-512])) < 1e-5)
        True
        >>> z = inverse_stft(stft(x, 512, 512, 128, center=True), 512, 512, 128, center=True, length=4096)
        >>> bool(tf.reduce_max(tf.abs(x - z)) < 1e-5)
        True
    """
    if not on_tensorflow():
        return neutral.inverse_stft(stfts, n_fft, win_length, hop_length, window, center, length, window_sum)
    if real_arithmetic_only():  # the inverse DFT as a product with the (real, imaginary) parts
        note_switch("inverse STFT: irfft -> inverse DFT matrix")
        return _synthesized(_inverse_dft(tf.math.real(stfts), tf.math.imag(stfts), n_fft), n_fft, win_length,
                            hop_length, window, center, length, window_sum)
    return _synthesized(tf.signal.irfft(stfts, fft_length=[n_fft]), n_fft, win_length, hop_length, window, center,
                        length, window_sum)


def inverse_stft_of_pairs(pairs, n_fft, win_length, hop_length, window=None, center=False, length=None,
                          window_sum=None):
    """:func:`inverse_stft` of complex numbers held as a trailing (real, imaginary) axis,
    ``(..., frames, n_fft // 2 + 1, 2)``: the inverse real DFT as one matrix product
    (:func:`~kapre_like.functional.inverse_dft_matrix`), so TFLite built-in ops and ONNX run it.
    Arguments and result as :func:`inverse_stft`.

    Example:
        >>> x = tf.random.normal((1, 4096))
        >>> s = stft(x, 512, 512, 128)
        >>> y = inverse_stft_of_pairs(tf.stack([tf.math.real(s), tf.math.imag(s)], -1), 512, 512, 128)
        >>> bool(tf.reduce_max(tf.abs(x[:, 512:-512] - y[:, 512:-512])) < 1e-5)
        True
    """
    return _synthesized(_inverse_dft(pairs[..., 0], pairs[..., 1], n_fft), n_fft, win_length, hop_length, window,
                        center, length, window_sum)


def _inverse_dft(real, imag, n_fft):
    """``irfft(real + i imag, n_fft)`` of ``(..., n_fft // 2 + 1)`` parts as products with the inverse DFT
    matrix's (real, imaginary) rows. Built-in TFLite and ONNX ops.

    Each product is a 2-D matmul after a reshape (:func:`apply_filterbank`), never a batch matmul that
    broadcasts the matrix: TensorFlow's oneDNN ``BatchMatMulV2`` with a broadcast operand corrupts the heap
    and crashes the process on some x86 CPUs for a batch of 3 or more (seen with TensorFlow 2.21 on AMD
    EPYC: ``tf.matmul(tf.zeros((3, 1, 10, 7)), tf.zeros((7, 5)))``; tests/test_contract.py guards it)."""
    matrix = inverse_dft_matrix(n_fft)
    return apply_filterbank(real, matrix[0::2]) + apply_filterbank(imag, matrix[1::2])


def _synthesized(frames, n_fft, win_length, hop_length, window, center, length, window_sum):
    """Signals from inverse-transformed ``frames`` ``(..., frames, n_fft)``, as :func:`inverse_stft` says."""
    window_sum = center if window_sum is None else window_sum
    if center and not window_sum:
        raise ValueError("inverse_stft: center=True divides by the window sum; window_sum must not be False.")
    dtype = frames.dtype
    if not window_sum:
        waveforms = overlap_add(frames[..., :win_length] * inverse_stft_window(win_length, hop_length, window, dtype),
                                hop_length)
        return waveforms if length is None else _fixed_length(waveforms, length)
    return overlap_add_normalized(frames, n_fft, win_length, hop_length, window, center, length)


def overlap_add_normalized(frames, n_fft, win_length, hop_length, window=None, center=False, length=None,
                           min_coverage=0.0):
    """Signals from inverse-transformed frames ``(..., frames, n_fft)``: windowed, overlap-added and
    divided by the overlap-added squared window of the actual frames (``librosa.istft``'s least-squares
    normalisation); with ``center`` the window is centred in ``n_fft`` and the ``n_fft // 2`` padded
    samples are removed at both ends, without it frames hold ``win_length`` samples (``tf.signal``'s
    framing). Built-in TFLite ops only. Arguments as :func:`inverse_stft`, and ``min_coverage``: the
    divisor is at least this fraction of its peak (0, the default, is librosa's: samples that windows
    barely cover are divided by almost 0, which magnifies an inconsistent spectrogram's errors there)."""
    if not on_tensorflow():
        return neutral.overlap_add_normalized(frames, n_fft, win_length, hop_length, window, center, length,
                                              min_coverage)
    dtype = frames.dtype
    if center:
        analysis, frame_length = centered_window(window_values(window, win_length), n_fft), n_fft
    else:  # frames of win_length samples, zero-padded at the end to n_fft (tf.signal's framing)
        analysis, frame_length, frames = window_values(window, win_length), win_length, frames[..., :win_length]
    waveforms = overlap_add(frames * tf.constant(analysis, dtype), hop_length)
    # the squared window overlap-added over as many frames: what each sample was weighted by
    n_frames = tf.shape(frames)[-2]
    weights = overlap_add(tf.broadcast_to(tf.constant(analysis**2, dtype), tf.stack([n_frames, frame_length])),
                          hop_length)
    if min_coverage:
        weights = tf.maximum(weights, min_coverage * tf.reduce_max(weights))
    weighted = weights > np.finfo(dtype.as_numpy_dtype).tiny  # librosa's threshold
    waveforms = tf.where(weighted, waveforms / tf.where(weighted, weights, tf.ones_like(weights)), waveforms)
    if not center:
        return waveforms if length is None else _fixed_length(waveforms, length)
    half = n_fft // 2
    if length is not None:
        return _fixed_length(waveforms[..., half:], length)
    return waveforms[..., half:tf.shape(waveforms)[-1] - half]


def _fixed_length(waveforms, length):
    """``waveforms`` cut or zero-padded at the end to ``length`` samples (a known length stays known)."""
    waveforms = waveforms[..., :length]
    shortfall = length - (waveforms.shape[-1] if waveforms.shape[-1] is not None else tf.shape(waveforms)[-1])
    return pad_time(waveforms, end=shortfall if not isinstance(shortfall, int) else max(shortfall, 0))
