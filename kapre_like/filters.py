"""Filterbank matrices, built in NumPy once, at layer construction.

The mel filterbank is librosa's (``librosa.filters.mel``), called as Kapre calls it, so that
the numbers are librosa's to the last bit. The log-frequency filterbank is the log-normal
constant-Q approximation of librosa 0.4's ``logfrequency`` that Kapre keeps (librosa dropped it),
computed with librosa's bin frequencies and normalisation as Kapre does. librosa is imported on
first use, so ``import kapre_like`` does not import it.

All functions return matrices shaped ``(n_freq, n_filters)``, ready to multiply a
spectrogram whose last axis is frequency.
"""

import numpy as np

from ._checks import FilterbankRangeError, check_int, check_number

#: Lowest frequency of Kapre's log-frequency filterbank by default: C1, in Hz.
C1_HZ = 32.70319566


def mel_filterbank(sample_rate, n_freq, n_mels=128, f_min=0.0, f_max=None, htk=False, norm="slaney",
                   dtype=np.float64, n_fft=None):
    """Triangular mel filterbank: ``librosa.filters.mel(...).T``, computed by librosa.

    Args:
        sample_rate (int): sample rate of the audio, in Hz.
        n_freq (int): number of STFT frequency bins (``n_fft // 2 + 1``); bins are spaced
            evenly from 0 Hz to ``sample_rate / 2`` (librosa's ``n_fft = (n_freq - 1) * 2``).
        n_mels (int): number of mel bands. Defaults to 128.
        f_min (float): lowest band edge, in Hz. Defaults to 0.
        f_max (float or None): highest band edge, in Hz. Defaults to ``sample_rate / 2``.
        htk (bool): HTK mel scale instead of Slaney's. Defaults to False.
        norm (None, 'slaney' or number): 'slaney' divides each triangle by its width in Hz
            (constant energy per band); a number p scales each filter to unit p-norm
            (``np.inf`` for max); None leaves the peaks at 1. Defaults to 'slaney'.
        dtype (NumPy float type): the precision librosa computes and returns. Defaults to
            float64; Kapre's ``filterbank_mel`` uses float32, which librosa rounds differently
            from a float64 matrix cast to float32 (by one unit in the last place, in a few entries).
        n_fft (int or None): the FFT size, for an odd one (``n_freq`` bins are then spaced
            ``sample_rate / n_fft`` apart, as librosa's); None means ``(n_freq - 1) * 2``.

    Returns:
        np.ndarray: matrix of shape ``(n_freq, n_mels)``. librosa warns (``UserWarning``)
        when some bands are empty, i.e. too many mels for ``n_freq``.

    Example:
        >>> fb = mel_filterbank(sample_rate=22050, n_freq=1025, n_mels=128)
        >>> fb.shape
        (1025, 128)
    """
    check_int(sample_rate, "sample_rate", "mel_filterbank")
    check_int(n_freq, "n_freq", "mel_filterbank", minimum=2)
    check_int(n_mels, "n_mels", "mel_filterbank")
    n_fft = _checked_n_fft(n_fft, n_freq, "mel_filterbank")
    if f_max is None:
        f_max = sample_rate / 2.0
    check_number(f_min, "f_min", "mel_filterbank", positive=False)
    check_number(f_max, "f_max", "mel_filterbank")
    if not np.isfinite(f_max):
        raise ValueError(f"mel_filterbank: `f_max` must be a finite frequency in Hz; got {f_max!r}.")
    if not 0 <= f_min < f_max:
        raise ValueError(f"mel_filterbank: need 0 <= `f_min` < `f_max`; got f_min={f_min}, f_max={f_max}.")
    if not (norm is None or norm == "slaney" or (isinstance(norm, (int, float)) and not isinstance(norm, bool)
                                                 and norm > 0)):
        raise ValueError(f"mel_filterbank: `norm` must be None, 'slaney' or a number > 0 (p of a p-norm, np.inf for "
                         f"the maximum); got {norm!r}.")
    import librosa

    return librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels, fmin=f_min, fmax=f_max, htk=htk,
                               norm=norm, dtype=dtype).T


def _checked_n_fft(n_fft, n_freq, owner):
    """``n_fft`` (None: ``(n_freq - 1) * 2``), checked to give ``n_freq`` bins."""
    if n_fft is None:
        return (n_freq - 1) * 2
    check_int(n_fft, "n_fft", owner, minimum=2)
    if n_fft // 2 + 1 != n_freq:
        raise ValueError(f"{owner}: `n_fft` must give `n_freq` = n_fft // 2 + 1 bins; got n_fft={n_fft}, "
                         f"n_freq={n_freq}.")
    return n_fft


def log_filterbank(sample_rate, n_freq, n_bins=84, bins_per_octave=12, f_min=None, spread=0.125, n_fft=None):
    """Log-normal approximation of a constant-Q filterbank for a fixed-size STFT (Kapre's).

    Filter ``i`` is a log-normal window centred at ``f_min * 2 ** (i / bins_per_octave)``,
    each normalised to unit L1 norm; the DC bin is never used.

    Args:
        sample_rate (int): sample rate of the audio, in Hz.
        n_freq (int): number of STFT frequency bins (``n_fft // 2 + 1``).
        n_fft (int or None): the FFT size, for an odd one; None means ``(n_freq - 1) * 2``.
        n_bins (int): number of log-frequency bins. Defaults to 84 (7 octaves).
        bins_per_octave (int): bins per octave. Defaults to 12 (semitones).
        f_min (float or None): centre of the lowest bin, in Hz. Defaults to C1 (32.70 Hz).
        spread (float): width of each filter as a fraction of a bin. Defaults to 0.125.

    Returns:
        np.ndarray: float64 matrix of shape ``(n_freq, n_bins)``.

    Warns:
        UserWarning: when some bins get no weight (filters narrower than the STFT's bin
            spacing, at low frequencies with a small ``n_fft``): they would be silent.

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
    n_fft = _checked_n_fft(n_fft, n_freq, "log_filterbank")
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

    import librosa

    # Kapre's (librosa 0.4's) arithmetic, vectorised: the same operations on the same values
    sigma = float(spread) / bins_per_octave
    log_freqs = np.log2(librosa.fft_frequencies(sr=sample_rate, n_fft=n_fft)[1:])
    centres = f_min * 2.0 ** (np.arange(n_bins, dtype=np.float64)[:, None] / bins_per_octave)
    basis = np.zeros((n_bins, n_freq))
    basis[:, 1:] = np.exp(-0.5 * ((log_freqs[None, :] - np.log2(centres)) / sigma) ** 2 - np.log2(sigma)
                          - log_freqs[None, :])
    weights = librosa.util.normalize(basis, norm=1, axis=1).T
    # a filter narrower than the FFT's bin spacing can miss every bin (its weights underflow and are not
    # normalised): that bin of the spectrogram is silent, a black stripe
    empty = np.flatnonzero(weights.sum(axis=0) < 0.5)
    if empty.size:
        import warnings

        shown = ", ".join(f"{i} ({centres[i, 0]:.1f} Hz)" for i in empty[:8]) + (", ..." if empty.size > 8 else "")
        warnings.warn(f"log_filterbank: {empty.size} of {n_bins} bins have no weight and will be silent: {shown}; "
                      f"their filters fall between the STFT's bins, {sample_rate / n_fft:.1f} Hz apart. Use a larger "
                      f"n_fft, a higher f_min or fewer bins_per_octave.", UserWarning, stacklevel=2)
    return weights


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
