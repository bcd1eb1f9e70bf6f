"""Filterbank matrices, built in NumPy once, at layer construction.

The mel filterbank is librosa's (``librosa.filters.mel``), called as Kapre calls it, so that
the numbers are librosa's to the last bit. The log-frequency filterbank is the log-normal
constant-Q approximation of librosa 0.4's ``logfrequency`` that Kapre keeps (librosa dropped it),
computed with librosa's bin frequencies and normalisation as Kapre does. The chroma filterbank is
librosa's (``librosa.filters.chroma``); the gammatone filterbank samples the magnitude responses of
scipy's IIR gammatone filters (``scipy.signal.gammatone``), centred evenly on the ERB-rate scale, at
the STFT's bin frequencies. librosa and scipy are imported on first use, so ``import kapre_like``
does not import them.

All functions return matrices shaped ``(n_freq, n_filters)``, ready to multiply a
spectrogram whose last axis is frequency.
"""

import inspect
from dataclasses import dataclass
from typing import Callable

import numpy as np

from ._checks import FilterbankRangeError, check_bool, check_choice, check_int, check_number

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
    n_fft = _checked_grid(sample_rate, n_freq, n_fft, "mel_filterbank")
    check_int(n_mels, "n_mels", "mel_filterbank")
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


def _checked_grid(sample_rate, n_freq, n_fft, owner):
    """The STFT grid a filterbank is sampled on, checked: ``sample_rate`` and ``n_freq`` integers, and
    ``n_fft`` (None: ``(n_freq - 1) * 2``) giving ``n_freq`` bins; returns ``n_fft``."""
    check_int(sample_rate, "sample_rate", owner)
    check_int(n_freq, "n_freq", owner, minimum=2)
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
    n_fft = _checked_grid(sample_rate, n_freq, n_fft, "log_filterbank")
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


def _check_norm(norm, owner, named=()):
    """Raise unless ``norm`` is None, one of the strings ``named``, or a number > 0 (``np.inf`` allowed)."""
    if norm is None or (isinstance(norm, str) and norm in named):
        return
    if isinstance(norm, (int, float, np.integer, np.floating)) and not isinstance(norm, bool) and norm > 0:
        return
    allowed = "None, " + "".join(f"{name!r}, " for name in named) + "or a number > 0 (p of a p-norm, np.inf for the maximum)"
    raise ValueError(f"{owner}: `norm` must be {allowed}; got {norm!r}.")


def chroma_filterbank(sample_rate, n_freq, n_chroma=12, tuning=0.0, ctroct=5.0, octwidth=2, norm=2, base_c=True,
                      n_fft=None):
    """Chroma filterbank: ``librosa.filters.chroma(...).T``, computed by librosa in float64.

    Each STFT bin is mapped to the ``n_chroma`` pitch classes by Gaussian bumps in log-frequency
    (Ellis's chroma), optionally weighted by a Gaussian over octaves centred on ``ctroct``.
    Applied to a power spectrogram, it gives ``librosa.feature.chroma_stft(S=power, norm=None,
    tuning=tuning)``: librosa's default ``tuning=None`` estimates the tuning from the signal (a
    different filterbank per signal, a few percent off on speech); for its numbers, pass
    ``tuning=librosa.estimate_tuning(S=power, sr=sample_rate, bins_per_octave=n_chroma)`` here.

    Args:
        sample_rate (int): sample rate of the audio, in Hz.
        n_freq (int): number of STFT frequency bins (``n_fft // 2 + 1``).
        n_chroma (int): number of chroma bins (pitch classes per octave). Defaults to 12.
        tuning (float): deviation from A440 tuning, in fractions of a chroma bin, in
            ``[-0.5, 0.5)``. Defaults to 0.
        ctroct (float): centre of the octave weighting, in octaves above C0 (~16.35 Hz), i.e.
            ``log2(f / 16.35)``. Defaults to 5.0 (C5, ~523 Hz).
        octwidth (float or None): standard deviation of the Gaussian octave weighting, in
            octaves; None weights all octaves equally. Defaults to 2.
        norm (None or number): each column of ``librosa.filters.chroma`` (each STFT bin's
            weights across the pitch classes) is scaled to unit ``norm``-norm (``np.inf`` for
            the maximum); None leaves it. Defaults to 2.
        base_c (bool): True puts C at index 0 (A is index 9 with 12 bins); False puts A there.
            Defaults to True.
        n_fft (int or None): the FFT size, for an odd one; None means ``(n_freq - 1) * 2``.

    Returns:
        np.ndarray: float64 matrix of shape ``(n_freq, n_chroma)``.

    Raises:
        TypeError: a non-integer ``sample_rate``, ``n_freq``, ``n_chroma`` or ``n_fft``, a
            non-number ``tuning``, ``ctroct`` or ``octwidth``, or a non-bool ``base_c``.
        ValueError: ``n_chroma`` < 1, ``octwidth`` <= 0, or an unknown ``norm``.

    Example:
        >>> fb = chroma_filterbank(sample_rate=22050, n_freq=1025)
        >>> fb.shape, fb.dtype
        ((1025, 12), dtype('float64'))
        >>> import librosa
        >>> bool(np.array_equal(fb, librosa.filters.chroma(sr=22050, n_fft=2048, dtype=np.float64).T))
        True
    """
    owner = "chroma_filterbank"
    n_fft = _checked_grid(sample_rate, n_freq, n_fft, owner)
    check_int(n_chroma, "n_chroma", owner)
    check_number(tuning, "tuning", owner, positive=False)
    check_number(ctroct, "ctroct", owner, positive=False)
    check_number(octwidth, "octwidth", owner, allow_none=True)
    _check_norm(norm, owner)
    check_bool(base_c, "base_c", owner)
    import librosa

    return librosa.filters.chroma(sr=sample_rate, n_fft=n_fft, n_chroma=n_chroma, tuning=tuning, ctroct=ctroct,
                                  octwidth=octwidth, norm=norm, base_c=bool(base_c), dtype=np.float64).T


def hz_to_erb_rate(hz):
    """ERB-rate (ERB number, in Cams) of a frequency: ``21.4 * log10(1 + 0.00437 * hz)``.

    Glasberg & Moore (1990), "Derivation of auditory filter shapes from notched-noise data",
    Hearing Research 47, eq. 4.

    Args:
        hz (float or np.ndarray): frequency, in Hz.

    Returns:
        float or np.ndarray: the ERB-rate, in Cams.

    Example:
        >>> round(float(hz_to_erb_rate(1000.0)), 2)
        15.62
    """
    return 21.4 * np.log10(1.0 + 0.00437 * np.asarray(hz, dtype=np.float64))


def erb_rate_to_hz(erb_rate):
    """Inverse of :func:`hz_to_erb_rate`: ``(10 ** (erb_rate / 21.4) - 1) / 0.00437`` Hz.

    Example:
        >>> round(float(erb_rate_to_hz(hz_to_erb_rate(440.0))), 6)
        440.0
    """
    return (10.0 ** (np.asarray(erb_rate, dtype=np.float64) / 21.4) - 1.0) / 0.00437


def _erb_hz(hz):
    """Equivalent rectangular bandwidth at ``hz``, in Hz (Glasberg & Moore 1990, eq. 3)."""
    return 24.7 * (0.00437 * hz + 1.0)


def _gammatone_iir_response(centre, sample_rate, freqs):
    """``|H(f)|`` of ``scipy.signal.gammatone(centre, 'iir', fs=sample_rate)`` at ``freqs`` (Hz), in factored form.

    scipy's design is ``b(z) / a(z)`` with ``a(z) = ((1 - p z^-1)(1 - conj(p) z^-1)) ** 4``,
    ``p = r e^{j w_c}``, and ``b(z) = b[0] / 2 * ((1 - p z^-1) ** 4 + (1 - conj(p) z^-1) ** 4)``.
    ``scipy.signal.freqz(b, a)`` evaluates the expanded polynomials, whose values near ``w_c`` are
    far below their coefficients' rounding when ``centre`` is small against ``sample_rate``
    (``a(e^{j w_c})`` is ~1e-17 for 50 Hz at 44.1 kHz): it is up to 9 % off at 50 Hz and 16 kHz,
    and 100 % off (or infinite) below ~200 Hz at 44.1 kHz. The factors are exact to rounding; scipy's
    coefficients are checked to be these polynomials, and give ``b[0]`` (scipy's unit gain at
    ``centre``) and ``r = a[8] ** (1 / 8)``.
    """
    import scipy.signal

    b, a = scipy.signal.gammatone(centre, "iir", fs=sample_rate)
    b, a = np.asarray(b, dtype=np.float64), np.asarray(a, dtype=np.float64)
    radius = a[8] ** 0.125
    w_c = 2.0 * np.pi * centre / sample_rate
    k = np.arange(5)
    section = np.array([1.0, -2.0 * radius * np.cos(w_c), radius ** 2])
    expected_a = np.polynomial.polynomial.polypow(section, 4)
    binomial = np.array([1.0, 4.0, 6.0, 4.0, 1.0])
    expected_b = b[0] * binomial * (-radius) ** k * np.cos(k * w_c)
    if not (np.allclose(a, expected_a, rtol=0, atol=1e-9 * np.abs(a).max())
            and np.allclose(b, expected_b, rtol=0, atol=1e-9 * np.abs(b).max())):
        raise RuntimeError(f"gammatone_filterbank: scipy.signal.gammatone's IIR design (scipy {scipy.__version__}) "
                           f"is not the 4th-order pole-pair design this function evaluates; please report it.")
    w = 2.0 * np.pi * np.asarray(freqs, dtype=np.float64) / sample_rate
    near = 1.0 - radius * np.exp(1j * (w_c - w))  # (1 - p z^-1) at z = e^{jw}
    far = 1.0 - radius * np.exp(-1j * (w_c + w))  # (1 - conj(p) z^-1)
    return np.abs(b[0]) * np.abs(near ** 4 + far ** 4) / (2.0 * np.abs(near) ** 4 * np.abs(far) ** 4)


def _gammatone_centres(sample_rate, n_filters, f_min, f_max, owner):
    """The centres (Hz) of :func:`gammatone_filterbank`'s filters, its frequency arguments checked."""
    nyquist = sample_rate / 2.0
    if f_max is None:
        f_max = (nyquist - 24.7) / (1.0 + 24.7 * 0.00437)  # f_max + ERB(f_max) = nyquist
    check_number(f_min, "f_min", owner)
    check_number(f_max, "f_max", owner)
    for name, value in (("f_min", f_min), ("f_max", f_max)):
        if not np.isfinite(value):
            raise ValueError(f"{owner}: `{name}` must be a finite frequency in Hz; got {value!r}.")
        if value >= nyquist:
            raise FilterbankRangeError(
                f"{owner}: `{name}` = {value} Hz is at or above the Nyquist frequency sample_rate / 2 = "
                f"{nyquist:g} Hz (sample_rate={sample_rate}); every filter's centre must lie below it. "
                f"Lower {name} or use audio at a higher sample rate."
            )
    if not f_min < f_max:
        raise ValueError(f"{owner}: need 0 < `f_min` < `f_max`; got f_min={f_min}, f_max={f_max}.")

    return erb_rate_to_hz(np.linspace(hz_to_erb_rate(f_min), hz_to_erb_rate(f_max), n_filters))


def gammatone_filterbank(sample_rate, n_freq, n_filters=64, f_min=50.0, f_max=None, order=4, norm="peak",
                         n_fft=None):
    """Gammatone filterbank: scipy's 4th-order IIR gammatone filters, centres evenly spaced in ERB-rate.

    Filter ``i`` is centred at ``fc[i] = erb_rate_to_hz(linspace(hz_to_erb_rate(f_min),
    hz_to_erb_rate(f_max), n_filters)[i])`` (Glasberg & Moore 1990: ERB-rate(f) =
    ``21.4 log10(1 + 0.00437 f)``); its weights are the magnitude response
    ``|H(f)|`` of ``scipy.signal.gammatone(fc[i], 'iir', fs=sample_rate)`` (Slaney's 4th-order
    design, bandwidth 1.019 ERB, unit gain at ``fc[i]``) at the STFT bin frequencies
    ``k * sample_rate / n_fft``, before ``norm``. The response is evaluated from the filter's
    pole pair, not with ``scipy.signal.freqz(b, a)``: the expanded polynomials lose all precision
    for low ``fc`` at high sample rates (at ``fc`` = 50 Hz freqz reads 1.047 at 16 kHz and 0.0009
    at 44.1 kHz, for a true 1); where freqz is accurate (``fc`` above ``sample_rate / 16``) the
    two agree to 1e-8.
    Multiply a magnitude spectrogram for a gammatone (ERB) spectrogram.

    Args:
        sample_rate (int): sample rate of the audio, in Hz.
        n_freq (int): number of STFT frequency bins (``n_fft // 2 + 1``).
        n_filters (int): number of filters. Defaults to 64.
        f_min (float): centre of the lowest filter, in Hz, > 0. Defaults to 50.
        f_max (float or None): centre of the highest filter, in Hz, below ``sample_rate / 2``.
            None (the default) places it one ERB below Nyquist,
            ``f_max = (sample_rate / 2 - 24.7) / 1.107939`` (the solution of
            ``f + ERB(f) = sample_rate / 2`` with ERB(f) = ``24.7 (0.00437 f + 1)`` Hz;
            7198.3 Hz at 16 kHz, 19880 Hz at 44.1 kHz, about 0.9 of Nyquist). Closer to Nyquist,
            scipy's digital design bends: its peak moves below ``fc`` and rises above 1
            (half an ERB below Nyquist, the peak is 1.7 % below ``fc`` and 1.066 high); one
            ERB below, the peak is within 0.2 % of ``fc`` and 1.0005 high.
        order (int): the filter order; only 4, scipy's IIR design (``scipy.signal.gammatone``'s
            'fir' design of other orders is a truncated impulse response whose response
            depends on its length, so it is not offered). Defaults to 4.
        norm (None, 'peak' or number): 'peak' scales each filter to a maximum of 1 over the STFT
            bins; None leaves scipy's response, 1 at ``fc`` (below 1 at the bins where ``fc``
            falls between them; up to 1.0005 near the default ``f_max``); a number p scales each filter to unit p-norm over the bins (1 for unit area;
            ``np.inf`` is 'peak'). Defaults to 'peak'.
        n_fft (int or None): the FFT size, for an odd one; None means ``(n_freq - 1) * 2``.

    Returns:
        np.ndarray: float64 matrix of shape ``(n_freq, n_filters)``.

    Raises:
        TypeError: a non-integer ``sample_rate``, ``n_freq``, ``n_filters``, ``order`` or
            ``n_fft``, or a non-number ``f_min`` or ``f_max``.
        ValueError: ``n_filters`` < 1, ``f_min`` <= 0, ``f_min`` >= ``f_max``, ``order`` other
            than 4, or an unknown ``norm``.
        FilterbankRangeError: (a ``RuntimeError`` and ``ValueError``) ``f_min`` or ``f_max`` at or
            above the Nyquist frequency ``sample_rate / 2``.

    Example:
        >>> fb = gammatone_filterbank(sample_rate=16000, n_freq=257, n_filters=32)
        >>> fb.shape, float(fb.max())
        ((257, 32), 1.0)
        >>> bool(np.all(np.diff(fb.argmax(axis=0)) >= 0))
        True
    """
    owner = "gammatone_filterbank"
    n_fft = _checked_grid(sample_rate, n_freq, n_fft, owner)
    check_int(n_filters, "n_filters", owner)
    check_int(order, "order", owner, minimum=None)
    if order != 4:
        raise ValueError(f"{owner}: `order` must be 4 (scipy.signal.gammatone's IIR design); got {order!r}.")
    _check_norm(norm, owner, named=("peak",))
    centres = _gammatone_centres(sample_rate, n_filters, f_min, f_max, owner)
    bin_freqs = np.arange(n_freq, dtype=np.float64) * (sample_rate / n_fft)
    weights = np.empty((n_freq, n_filters))
    for i, centre in enumerate(centres):
        weights[:, i] = _gammatone_iir_response(float(centre), sample_rate, bin_freqs)
    if norm == "peak":
        norm = np.inf
    if norm is not None:
        if np.isinf(norm):
            scale = weights.max(axis=0)
        else:
            scale = np.sum(weights ** norm, axis=0) ** (1.0 / norm)
        weights = weights / scale
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


# ----------------------------------------------------------------------------- the table of filterbanks


def _mel_frequencies(sample_rate, n_fft, n_mels, f_min, f_max, htk, **_):
    """The peaks of the mel triangles: librosa's ``n_mels + 2`` mel-spaced edges less the two outer ones."""
    import librosa

    return librosa.mel_frequencies(n_mels + 2, fmin=f_min, fmax=sample_rate / 2.0 if f_max is None else f_max,
                                   htk=htk)[1:-1]


def _log_frequencies(sample_rate, n_fft, n_bins, bins_per_octave, f_min, **_):
    """The log-normal windows' centres, ``f_min * 2 ** (i / bins_per_octave)``."""
    return (C1_HZ if f_min is None else f_min) * 2.0 ** (np.arange(n_bins) / bins_per_octave)


def _chroma_frequencies(sample_rate, n_fft, n_chroma, tuning, ctroct, base_c, **_):
    """The pitch classes in the octave of the octave weighting's centre: from C of octave ``floor(ctroct)``
    (C5, 523 Hz, by default) or, without ``base_c``, from the A above it, ``tuning`` bins sharp."""
    lowest = C0_HZ * 2.0 ** (np.floor(ctroct) + (0.0 if base_c else 9.0 / 12.0))
    return lowest * 2.0 ** ((np.arange(n_chroma) + tuning) / n_chroma)


def _gammatone_frequencies(sample_rate, n_fft, n_filters, f_min, f_max, **_):
    """The filters' centres, evenly spaced in ERB-rate."""
    return _gammatone_centres(sample_rate, n_filters, f_min, f_max, "gammatone_filterbank")


@dataclass(frozen=True)
class Filterbank:
    """One entry of :data:`FILTERBANKS`: how a filterbank is built and where its output bins lie.

    Attributes:
        builder (callable): ``builder(sample_rate, n_freq, **kwargs)`` -> float64 matrix ``(n_freq, bins)``;
            its keyword arguments are what :class:`~kapre_like.time_frequency.ApplyFilterbank` takes in
            ``filterbank_kwargs``.
        frequencies (callable): ``frequencies(sample_rate, n_fft, **kwargs)`` -> the centre frequency of
            each output bin, in Hz, increasing, given every keyword argument of ``builder`` (its
            defaults filled in by :func:`bin_frequencies`).
        count_argument (str): the keyword argument of ``builder`` that is the number of output bins.
        description (str): one line for listings (the CLI's help, the docs).
    """

    builder: Callable
    frequencies: Callable
    count_argument: str
    description: str

    @property
    def defaults(self):
        """The builder's keyword arguments and their defaults, ``{'n_mels': 128, 'f_min': 0.0, ...}``."""
        return {name: parameter.default for name, parameter in inspect.signature(self.builder).parameters.items()
                if parameter.default is not inspect.Parameter.empty}

    @property
    def default_count(self):
        """The number of output bins when ``count_argument`` is not given."""
        return self.defaults[self.count_argument]


#: Lowest C of the scientific pitch notation, C0, in Hz (A4 = 440 Hz; ``librosa.note_to_hz('C0')``).
C0_HZ = 440.0 * 2.0 ** (-57 / 12)

#: Every filterbank :class:`~kapre_like.time_frequency.ApplyFilterbank` (and the factories and the command
#: line through it) knows, by its ``type`` name. Adding a filterbank is one entry here and its case in
#: ``tests/test_filterbanks.py::test_every_filterbank_of_the_table``.
FILTERBANKS = {
    "mel": Filterbank(mel_filterbank, _mel_frequencies, "n_mels",
                      "triangular mel bands (librosa's, Slaney or HTK scale)"),
    "log": Filterbank(log_filterbank, _log_frequencies, "n_bins",
                      "Kapre's log-normal constant-Q approximation, bins_per_octave bins an octave"),
    "chroma": Filterbank(chroma_filterbank, _chroma_frequencies, "n_chroma",
                         "pitch classes (librosa's chroma)"),
    "gammatone": Filterbank(gammatone_filterbank, _gammatone_frequencies, "n_filters",
                            "scipy's IIR gammatone filters on the ERB-rate scale"),
}


def filterbank_entry(type, owner="filters"):
    """The :data:`FILTERBANKS` entry named ``type``; ``ValueError`` listing the table's names otherwise."""
    check_choice(type, "type", tuple(FILTERBANKS), owner)
    return FILTERBANKS[type]


def bin_frequencies(type, sample_rate, n_fft, **filterbank_kwargs):
    """Centre frequency (Hz) of each output bin of the filterbank ``type``, as it would be built for an STFT
    of ``n_fft`` points at ``sample_rate``.

    Args:
        type (str): a name of :data:`FILTERBANKS`: ``'mel'`` (the triangles' peaks), ``'log'`` (the
            windows' centres), ``'chroma'`` (the pitch classes in the octave that starts at C of octave
            ``floor(ctroct)``, C5 by default, or at the A above it without ``base_c``) or ``'gammatone'``
            (the filters' centres).
        sample_rate (int): sample rate of the audio, in Hz.
        n_fft (int): the STFT's FFT size.
        **filterbank_kwargs: the filterbank's keyword arguments, as
            :class:`~kapre_like.time_frequency.ApplyFilterbank` takes them (``n_freq`` and ``n_fft``, if
            there, must agree with ``n_fft``); the builder's defaults fill in the rest.

    Returns:
        np.ndarray: float64, one frequency per output bin, increasing.

    Raises:
        ValueError: an unknown ``type`` (the message lists the table's names).
        TypeError: a keyword argument the filterbank does not take.

    Example:
        >>> bin_frequencies('log', 22050, 2048, n_bins=3)
        array([32.70319566, 34.64782887, 36.70809599])
    """
    entry = filterbank_entry(type, "bin_frequencies")
    arguments = entry.defaults
    unknown = sorted(set(filterbank_kwargs) - set(arguments) - {"n_freq"})
    if unknown:
        raise TypeError(f"bin_frequencies: the {type!r} filterbank takes no argument {', '.join(unknown)}; it takes "
                        f"{', '.join(sorted(arguments))}.")
    arguments.update(filterbank_kwargs)
    _checked_grid(sample_rate, arguments.pop("n_freq", n_fft // 2 + 1), n_fft, "bin_frequencies")
    given_n_fft = arguments.pop("n_fft", None)
    if given_n_fft is not None and given_n_fft != n_fft:
        raise ValueError(f"bin_frequencies: `n_fft`={n_fft} and filterbank_kwargs['n_fft']={given_n_fft} differ.")
    return np.asarray(entry.frequencies(sample_rate, n_fft, **arguments), dtype=np.float64)

