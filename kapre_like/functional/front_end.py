"""Waveforms to a (filtered, decibel) spectrogram in one computation: what the magnitude, mel and
log-frequency front ends and ``MelSpectrogram`` run, on the route :func:`~kapre_like.functional.plan` chooses."""

import numpy as np
import tensorflow as tf

from . import neutral

from .decibels import decibel_below_peak, decibel_settings, loudest, to_decibel
from .dft import stft_pairs
from .filterbank import filterbank_constant
from .finite import all_finite, and_unframed_finite, asserted, checked_against, overflow_message
from .framing import chunk_pieces, frame_count, time_last_padded
from .routes import on_tensorflow, plan
from .spectral import powered_magnitude, powered_magnitude_of_pairs
from .fourier import centered_framing, windowed_rfft
from .tensors import float_dtype_of, shape_of


def filtered_spectrogram(signals, n_fft, win_length, hop_length, window=None, pad_end=False, filterbank=None,
                         pad_begin=0, channels_last=False, finite_message=None, decibel=None, power=1.0,
                         strategy="auto", center=False, pad_mode="constant"):
    """``|stft(signals)| ** power @ filterbank`` (or without the filterbank), optionally in decibels.

    Equal to ``apply_filterbank(powered_magnitude(stft(...), power), filterbank)`` (then
    ``to_decibel``), with plain TensorFlow ops: nothing is compiled for a shape, so that the first
    call of a graph costs its trace only, about what Kapre's does, and every signal length is as
    fast as the next. The route comes from :func:`~kapre_like.functional.plan`: a spectrogram larger
    than ``WHOLE_SPECTROGRAM_BYTES`` (minutes of audio) is computed in chunks of frames, each read
    from the signal as it is laid out, with its own zeros around it, and in decibels chunk by chunk
    when eager: neither the frames, nor the complex spectrogram, nor a padded or transposed copy of
    the whole signal is then held in memory.

    Args:
        signals (float Tensor): ``(..., time)``, or ``(batch, time, channels)`` with
            ``channels_last``.
        n_fft, win_length, hop_length, window, pad_end: as in :func:`~kapre_like.functional.stft`.
        filterbank (array, constant or tensor, or None): ``(n_fft // 2 + 1, n_filters)``;
            None for the unfiltered spectrogram.
        pad_begin (int): zeros to prepend, in samples. Defaults to 0.
        channels_last (bool): ``signals`` is ``(batch, time, channels)``. Defaults to False.
        finite_message (str or None): when given, the result raises
            ``tf.errors.InvalidArgumentError`` with this message if ``signals`` holds NaN or Inf
            or, with a filterbank, if the filtered spectra overflow. With a filterbank, a known
            length and ``hop_length <= win_length``, the filtered output is checked (NaN or Inf
            in a framed sample makes all of its frame's outputs NaN or Inf; the root keeps them)
            and the samples no frame reads, instead of reading the whole input once more;
            otherwise the input is checked beside the computation (see
            :func:`~kapre_like.functional.check_finite`). Defaults to None.
        decibel (dict or None): keyword arguments of :func:`~kapre_like.functional.to_decibel`;
            when given, the result is in decibels (per batch item floor). Defaults to None.
        power (float): exponent of the magnitude: 1 magnitude (default), 2 power (no root taken).
        strategy (str or Strategy): ``'auto'`` (default), ``'plain'``, ``'chunked'`` or ``'conv'``;
            see :mod:`kapre_like.functional.routes`.
        center, pad_mode: centred frames, as in :func:`~kapre_like.functional.stft`.

    Returns:
        float Tensor: ``(..., frames, n_filters)`` (or ``n_fft // 2 + 1``); for
        ``channels_last`` input, ``(batch, channels, frames, n_filters)``.

    Example:
        >>> x = tf.random.normal((2, 16000))
        >>> mel = tf.signal.linear_to_mel_weight_matrix(40, 257, 16000, 0.0, 8000.0)
        >>> filtered_spectrogram(x, 512, 512, 160, filterbank=mel, power=2.0).shape
        TensorShape([2, 97, 40])
    """
    if not on_tensorflow():
        return neutral.filtered_spectrogram(signals, n_fft, win_length, hop_length, window, pad_end, filterbank,
                                            pad_begin, channels_last, finite_message, decibel, power, strategy,
                                            center, pad_mode)
    signals = tf.convert_to_tensor(signals)
    signals, win_length, window = centered_framing(signals, n_fft, win_length, window, center, pad_mode,
                                                   pad_begin, pad_end, channels_last, hop_length)
    time = signals.shape[1 if channels_last else -1]
    dtype = float_dtype_of(signals.dtype)
    weights = None if filterbank is None else filterbank_constant(filterbank, dtype)
    n_outputs = n_fft // 2 + 1 if weights is None else weights.shape[1]
    outer = shape_of(signals, (0, 2) if channels_last else range(signals.shape.rank - 1))
    n_rows = int(np.prod(outer)) if all(isinstance(dim, int) for dim in outer) else None
    n_frames = None if time is None else frame_count(time + pad_begin, win_length, hop_length, pad_end)
    route = plan(n_rows, n_frames, n_fft, signals.dtype.size, strategy)

    def filtered(waveforms, pad_end=False):  # (..., samples) -> (rows, frames, outputs)
        rows = tf.reshape(waveforms, [-1, shape_of(waveforms, [-1])[0]])
        if route.route == "conv":
            pairs = stft_pairs(rows, n_fft, win_length, hop_length, window, pad_end)
            spectra = powered_magnitude_of_pairs(pairs, power)
        else:
            spectra = powered_magnitude(windowed_rfft(rows, n_fft, win_length, hop_length, window, pad_end), power)
        if weights is None:
            return spectra
        n_rows_, n_frames_ = shape_of(spectra, (0, 1))
        return tf.reshape(tf.matmul(tf.reshape(spectra, [-1, n_fft // 2 + 1]), weights),
                          [n_rows_, n_frames_, n_outputs])

    if route.frames_per_chunk is None:  # the DFT by convolution, or a length known at run time only (or no frame)
        waveforms, pad_end = time_last_padded(signals, pad_begin, win_length, hop_length, pad_end, channels_last,
                                              finite_message)
        result = filtered(waveforms, pad_end)
    else:
        size = route.frames_per_chunk
        n_chunks = -(-n_frames // size)
        eager = tf.executing_eagerly()
        # every chunk has `size` frames (the last one's extra frames, of zeros, dropped): in a graph they
        # share one traced function, so that tracing costs one chunk's ops, not every chunk's
        chunk_filtered = filtered if eager or n_chunks == 1 else tf.function(filtered, autograph=False)
        pieces = [chunk_filtered(piece) for piece in
                  chunk_pieces(signals, n_frames, size, win_length, hop_length, pad_begin, channels_last)]
        if n_chunks * size > n_frames:
            pieces[-1] = pieces[-1][:, :n_frames - (n_chunks - 1) * size]
        finite = None
        if finite_message is not None and weights is not None and hop_length <= win_length:
            # NaN or Inf in a framed sample makes every bin of its frame's FFT, and so every filter's output,
            # NaN or Inf: the (small) filtered output is checked instead of the whole input, and only the
            # samples no frame reads are checked in the input
            finite = and_unframed_finite(all_finite(pieces), signals, n_frames, win_length, hop_length, pad_begin,
                                         channels_last)
        if eager and decibel is not None and n_chunks > 1 and outer:  # (eager shapes are all known)
            # each chunk in decibels, below the loudest value of its batch item: no output-sized
            # temporaries of the conversion beside the joined output, which eager ops would hold at once
            peak = _rows_peak(pieces, outer, decibel)
            settings = decibel_settings(decibel)
            settings.pop("batch_axis")  # taken into the peak
            pieces = [decibel_below_peak(piece, peak, **settings) for piece in pieces]
            decibel = None
        result = pieces[0] if n_chunks == 1 else tf.concat(pieces, axis=1)
        if finite is not None:
            result = asserted(result, finite, overflow_message(finite_message))
        else:
            result = checked_against(result, signals, finite_message)
    result = tf.reshape(result, outer + [shape_of(result, [1])[0], n_outputs])
    return result if decibel is None else to_decibel(result, **decibel)


def _rows_peak(pieces, outer, decibel):
    """The loudest value for each row (waveform) of the chunks ``pieces`` ``(rows, frames, filters)``
    of signals whose leading axes are ``outer`` (all known): the loudest of its batch item,
    as :func:`to_decibel` takes it, or of everything without ``batch_axis``; ``(rows, 1, 1)``."""
    settings = decibel_settings(decibel)
    if settings["dynamic_range"] is None:
        return None
    extreme = loudest(settings["multiplier"])
    per_row = extreme(tf.stack([extreme(piece, axis=[1, 2]) for piece in pieces]), axis=0)
    if settings["batch_axis"]:
        by_item = tf.reshape(per_row, [-1, int(np.prod(outer[1:]))])
        peak = tf.broadcast_to(extreme(by_item, axis=1, keepdims=True), tf.shape(by_item))
    else:
        peak = tf.fill(tf.shape(per_row), extreme(per_row))
    return tf.reshape(peak, [-1, 1, 1])
