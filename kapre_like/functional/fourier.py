"""The short-time Fourier transform and its overlap-add inverse."""

import tensorflow as tf

from .dft import stft_pairs
from .finite import and_unframed_finite, asserted, checked_against, overflow_message
from .framing import chunk_pieces, frame, frame_count, overlap_add, time_last_padded
from .routes import plan
from .tensors import float_dtype_of
from .windows import inverse_stft_window, window_values


def stft(signals, n_fft, win_length, hop_length, window=None, pad_end=False, pad_begin=0, channels_last=False,
         finite_message=None, strategy="auto"):
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
    n_frames = None if time is None else frame_count(time + pad_begin, win_length, hop_length, pad_end)
    route = plan(None, n_frames, n_fft, signals.dtype.size, strategy, complex_output=True)
    window = window_values(window, win_length)
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


def windowed_rfft(waveforms, n_fft, win_length, hop_length, window, pad_end=False):
    """``rfft(frame(waveforms) * window, n_fft)``: the spectra of ``waveforms`` ``(..., time)`` (time-last,
    padded but for ``pad_end``), ``(..., frames, n_fft // 2 + 1)``; ``window`` an array of ``win_length``
    values."""
    frames = frame(waveforms, win_length, hop_length, pad_end=pad_end) * tf.constant(window, waveforms.dtype)
    return tf.signal.rfft(frames, fft_length=[n_fft])


def inverse_stft(stfts, n_fft, win_length, hop_length, window=None):
    """Real signals from their STFT by windowed overlap-add (``tf.signal.inverse_stft`` semantics).

    Plain TensorFlow ops (``tf.signal.irfft``, :func:`~kapre_like.functional.overlap_add`):
    nothing is compiled.

    Args:
        stfts (complex Tensor): ``(..., frames, n_fft // 2 + 1)``.
        n_fft (int): FFT size used in the forward transform.
        win_length (int): frame length used in the forward transform.
        hop_length (int): hop used in the forward transform.
        window: the *forward* analysis window, as :func:`stft` takes it. Defaults to None, the
            periodic Hann window.

    Returns:
        float Tensor: ``(..., (frames - 1) * hop_length + win_length)``.

    Example:
        >>> x = tf.random.normal((1, 4096))
        >>> y = inverse_stft(stft(x, 512, 512, 128), 512, 512, 128)
        >>> bool(tf.reduce_max(tf.abs(x[:, 512:-512] - y[:, 512:-512])) < 1e-5)
        True
    """
    synthesis = inverse_stft_window(win_length, hop_length, window, float_dtype_of(stfts.dtype))
    frames = tf.signal.irfft(stfts, fft_length=[n_fft])
    return overlap_add(frames[..., :win_length] * synthesis, hop_length)
