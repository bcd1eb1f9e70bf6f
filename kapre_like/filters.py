"""Filterbank matrices, built in NumPy (float64) once, at layer construction.

These follow ``librosa.filters.mel`` (Slaney and HTK mel scales, Slaney or p-norm
normalisation) and the log-normal constant-Q approximation of librosa 0.4's
``logfrequency`` that Kapre uses. They are written here rather than wrapped so that
importing kapre_like does not import librosa; the tests check them against librosa.

All functions return matrices shaped ``(n_freq, n_filters)``, ready to multiply a
spectrogram whose last axis is frequency.
"""

import warnings

import numpy as np

from ._checks import FilterbankRangeError, check_int, check_number

_SLANEY_F_SP = 200.0 / 3  # Hz per mel below the break frequency
_SLANEY_MIN_LOG_HZ = 1000.0  # break frequency between the linear and log parts
_SLANEY_MIN_LOG_MEL = _SLANEY_MIN_LOG_HZ / _SLANEY_F_SP
_SLANEY_LOGSTEP = np.log(6.4) / 27.0

#: Lowest frequency of Kapre's log-frequency filterbank by default: C1, in Hz.
C1_HZ = 32.70319566


def hz_to_mel(frequencies, htk=False):
    """Convert Hz to mels (Slaney's auditory toolbox scale, or HTK's with ``htk=True``).

    Args:
        frequencies (float or np.ndarray): frequencies in Hz.
        htk (bool): use ``2595 * log10(1 + f / 700)``. Defaults to False (Slaney).

    Returns:
        np.ndarray: the same frequencies in mels.

    Example:
        >>> round(float(hz_to_mel(1000.0)), 9)
        15.0
    """
    f = np.asarray(frequencies, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + f / 700.0)
    linear = f / _SLANEY_F_SP
    log_part = _SLANEY_MIN_LOG_MEL + np.log(np.maximum(f, _SLANEY_MIN_LOG_HZ) / _SLANEY_MIN_LOG_HZ) / _SLANEY_LOGSTEP
    return np.where(f >= _SLANEY_MIN_LOG_HZ, log_part, linear)


def mel_to_hz(mels, htk=False):
    """Convert mels to Hz; the inverse of :func:`hz_to_mel`.

    Example:
        >>> round(float(mel_to_hz(15.0)), 9)
        1000.0
    """
    m = np.asarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (m / 2595.0) - 1.0)
    linear = _SLANEY_F_SP * m
    log_part = _SLANEY_MIN_LOG_HZ * np.exp(_SLANEY_LOGSTEP * (np.maximum(m, _SLANEY_MIN_LOG_MEL) - _SLANEY_MIN_LOG_MEL))
    return np.where(m >= _SLANEY_MIN_LOG_MEL, log_part, linear)


def _normalize_rows(weights, norm):
    """Scale each row to unit p-norm (``np.inf`` for max-abs); all-zero rows stay zero."""
    if norm == np.inf:
        lengths = np.max(np.abs(weights), axis=1, keepdims=True)
    elif norm == -np.inf:
        lengths = np.min(np.abs(weights), axis=1, keepdims=True)
    else:
        lengths = np.sum(np.abs(weights) ** norm, axis=1, keepdims=True) ** (1.0 / norm)
    lengths[lengths < np.finfo(weights.dtype).tiny] = 1.0
    return weights / lengths


def mel_filterbank(sample_rate, n_freq, n_mels=128, f_min=0.0, f_max=None, htk=False, norm="slaney"):
    """Triangular mel filterbank, equal to ``librosa.filters.mel(...).T``.

    Args:
        sample_rate (int): sample rate of the audio, in Hz.
        n_freq (int): number of STFT frequency bins (``n_fft // 2 + 1``); bins are spaced
            evenly from 0 Hz to ``sample_rate / 2``.
        n_mels (int): number of mel bands. Defaults to 128.
        f_min (float): lowest band edge, in Hz. Defaults to 0.
        f_max (float or None): highest band edge, in Hz. Defaults to ``sample_rate / 2``.
        htk (bool): HTK mel scale instead of Slaney's. Defaults to False.
        norm (None, 'slaney' or number): 'slaney' divides each triangle by its width in Hz
            (constant energy per band); a number p scales each filter to unit p-norm
            (``np.inf`` for max); None leaves the peaks at 1. Defaults to 'slaney'.

    Returns:
        np.ndarray: float64 matrix of shape ``(n_freq, n_mels)``.

    Example:
        >>> fb = mel_filterbank(sample_rate=22050, n_freq=1025, n_mels=128)
        >>> fb.shape
        (1025, 128)
    """
    check_int(sample_rate, "sample_rate", "mel_filterbank")
    check_int(n_freq, "n_freq", "mel_filterbank", minimum=2)
    check_int(n_mels, "n_mels", "mel_filterbank")
    if f_max is None:
        f_max = sample_rate / 2.0
    check_number(f_min, "f_min", "mel_filterbank", positive=False)
    check_number(f_max, "f_max", "mel_filterbank")
    if not 0 <= f_min < f_max:
        raise ValueError(f"mel_filterbank: need 0 <= `f_min` < `f_max`; got f_min={f_min}, f_max={f_max}.")
    if not (norm is None or norm == "slaney" or (isinstance(norm, (int, float)) and not isinstance(norm, bool))):
        raise ValueError(f"mel_filterbank: `norm` must be None, 'slaney' or a number (p of a p-norm); got {norm!r}.")

    fft_freqs = np.linspace(0.0, sample_rate / 2.0, n_freq)
    band_edges = mel_to_hz(np.linspace(hz_to_mel(f_min, htk), hz_to_mel(f_max, htk), n_mels + 2), htk)
    widths = np.diff(band_edges)
    ramps = band_edges[:, None] - fft_freqs[None, :]
    rising = -ramps[:-2] / widths[:-1, None]
    falling = ramps[2:] / widths[1:, None]
    weights = np.maximum(0.0, np.minimum(rising, falling))

    if norm == "slaney":
        weights *= (2.0 / (band_edges[2:] - band_edges[:-2]))[:, None]
    elif norm is not None:
        weights = _normalize_rows(weights, norm)

    # Same condition as librosa: a band whose first edge has no bin after it is empty.
    if not np.all((band_edges[:-2] == 0) | (weights.max(axis=1) > 0)):
        warnings.warn(
            f"mel_filterbank: some of the {n_mels} mel bands are empty (all zeros) with "
            f"n_freq={n_freq} at sample_rate={sample_rate}; use fewer mels or a larger n_fft.",
            UserWarning,
            stacklevel=2,
        )
    return weights.T


def log_filterbank(sample_rate, n_freq, n_bins=84, bins_per_octave=12, f_min=None, spread=0.125):
    """Log-normal approximation of a constant-Q filterbank for a fixed-size STFT (Kapre's).

    Filter ``i`` is a log-normal window centred at ``f_min * 2 ** (i / bins_per_octave)``,
    each normalised to unit L1 norm; the DC bin is never used.

    Args:
        sample_rate (int): sample rate of the audio, in Hz.
        n_freq (int): number of STFT frequency bins (``n_fft // 2 + 1``).
        n_bins (int): number of log-frequency bins. Defaults to 84 (7 octaves).
        bins_per_octave (int): bins per octave. Defaults to 12 (semitones).
        f_min (float or None): centre of the lowest bin, in Hz. Defaults to C1 (32.70 Hz).
        spread (float): width of each filter as a fraction of a bin. Defaults to 0.125.

    Returns:
        np.ndarray: float64 matrix of shape ``(n_freq, n_bins)``.

    Raises:
        FilterbankRangeError: (a ``RuntimeError`` and ``ValueError``) when the top bin's
            upper edge ``f_min * 2 ** (n_bins / bins_per_octave)`` is above
            ``sample_rate // 2``.

    Example:
        >>> log_filterbank(sample_rate=22050, n_freq=1025).shape
        (1025, 84)
    """
    check_int(sample_rate, "sample_rate", "log_filterbank")
    check_int(n_freq, "n_freq", "log_filterbank", minimum=2)
    check_int(n_bins, "n_bins", "log_filterbank")
    check_int(bins_per_octave, "bins_per_octave", "log_filterbank")
    check_number(spread, "spread", "log_filterbank")
    if f_min is None:
        f_min = C1_HZ
    check_number(f_min, "f_min", "log_filterbank")

    f_max = f_min * 2.0 ** (n_bins / bins_per_octave)
    nyquist = sample_rate // 2
    if f_max > nyquist:
        raise FilterbankRangeError(
            f"log_filterbank: the top bin would reach f_max = f_min * 2 ** (n_bins / bins_per_octave) "
            f"= {f_max:.1f} Hz, above the Nyquist limit sample_rate // 2 = {nyquist} Hz "
            f"(f_min={f_min}, n_bins={n_bins}, bins_per_octave={bins_per_octave}). "
            f"Reduce n_bins or f_min, increase bins_per_octave, or use audio at a higher sample rate."
        )

    sigma = float(spread) / bins_per_octave
    log_freqs = np.log2(np.linspace(0.0, sample_rate / 2.0, n_freq)[1:])
    centres = np.log2(f_min) + np.arange(n_bins)[:, None] / bins_per_octave
    basis = np.zeros((n_bins, n_freq))
    basis[:, 1:] = np.exp(-0.5 * ((log_freqs[None, :] - centres) / sigma) ** 2 - np.log2(sigma) - log_freqs[None, :])
    return _normalize_rows(basis, 1).T


def mel_weight_matrix(num_mel_bins, n_freq, sample_rate, lower_edge_hertz, upper_edge_hertz):
    """Mel matrix of ``tf.signal.linear_to_mel_weight_matrix`` and ``keras.layers.MelSpectrogram``.

    HTK mel scale, ``mel(f) = 1127 ln(1 + f / 700)``; ``num_mel_bins`` triangles of peak 1,
    linear in mel, with edges equally spaced in mel from ``lower_edge_hertz`` to
    ``upper_edge_hertz``; the DC bin gets no weight. (librosa's ``htk=True`` triangles are
    linear in Hz instead, and normalised.)

    Args:
        num_mel_bins (int): number of mel bands.
        n_freq (int): spectrogram bins, ``fft_length // 2 + 1``, spanning 0 ... ``sample_rate / 2``.
        sample_rate (number): Hz.
        lower_edge_hertz, upper_edge_hertz (number): lower edge of the first band and upper
            edge of the last, in Hz.

    Returns:
        float64 array ``(n_freq, num_mel_bins)``.

    Example:
        >>> mel_weight_matrix(4, 9, 8000, 125.0, 3800.0).shape
        (9, 4)
    """
    def to_mel(hz):
        return 1127.0 * np.log1p(np.asarray(hz, dtype=np.float64) / 700.0)

    bins_mel = to_mel(np.linspace(0.0, sample_rate / 2.0, n_freq)[1:])[:, None]
    edges = np.linspace(to_mel(lower_edge_hertz), to_mel(upper_edge_hertz), num_mel_bins + 2)
    lower, center, upper = edges[:-2], edges[1:-1], edges[2:]
    rising = (bins_mel - lower) / (center - lower)
    falling = (upper - bins_mel) / (upper - center)
    weights = np.maximum(0.0, np.minimum(rising, falling))
    return np.concatenate([np.zeros((1, num_mel_bins)), weights], axis=0)
