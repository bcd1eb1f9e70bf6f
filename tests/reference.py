"""Independent NumPy references that the tests compare kapre_like with: explicit frames, windows
and ``np.fft``, written from the documented definitions (no kapre_like code)."""

import numpy as np


def numpy_frames(signals, frame_length, hop_length, pad_begin=0, pad_end=False):
    """Frames ``(..., frames, frame_length)`` of ``signals`` ``(..., time)`` after ``pad_begin`` zeros:
    ``1 + (time - frame_length) // hop_length`` of them (at least 0), or ``ceil(time / hop_length)``
    with ``pad_end`` (zeros after the end)."""
    signals = np.asarray(signals)
    lead = [(0, 0)] * (signals.ndim - 1)
    padded = np.pad(signals, lead + [(pad_begin, 0)])
    length = padded.shape[-1]
    n_frames = -(-length // hop_length) if pad_end else max(0, 1 + (length - frame_length) // hop_length)
    padded = np.pad(padded, lead + [(0, max(0, (n_frames - 1) * hop_length + frame_length - length))])
    frames = np.zeros(signals.shape[:-1] + (n_frames, frame_length), signals.dtype)
    for t in range(n_frames):
        frames[..., t, :] = padded[..., t * hop_length:t * hop_length + frame_length]
    return frames


def periodic_hann(length):
    """The periodic (DFT-even) Hann window, ``tf.signal.hann_window``'s default."""
    return np.hanning(length + 1)[:-1]


def numpy_stft(signals, n_fft, win_length, hop_length, window=None, pad_begin=0, pad_end=False):
    """Complex STFT ``(..., frames, n_fft // 2 + 1)``: frames of ``win_length`` samples times ``window``
    (default periodic Hann), zero-padded at the end to ``n_fft``, ``np.fft.rfft``; no centring."""
    window = periodic_hann(win_length) if window is None else np.asarray(window)
    frames = numpy_frames(np.asarray(signals, np.float64), win_length, hop_length, pad_begin, pad_end)
    return np.fft.rfft(frames * window, n=n_fft, axis=-1)


def numpy_filtered_spectrogram(signals, n_fft, win_length, hop_length, window=None, pad_begin=0, pad_end=False,
                               filterbank=None, power=1.0):
    """``|numpy_stft(...)| ** power`` times ``filterbank`` ``(n_fft // 2 + 1, n_filters)`` (if any)."""
    spectra = np.abs(numpy_stft(signals, n_fft, win_length, hop_length, window, pad_begin, pad_end)) ** power
    return spectra if filterbank is None else spectra @ filterbank
