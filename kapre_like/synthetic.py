"""Test and demo signals that need no audio file: speech-like audio and noise.

``speech_like`` is a source-filter model of speech: a glottal pulse train with a
gliding pitch, shaped by three formant resonators that move from syllable to
syllable, alternating with short noisy fricatives and pauses. Its spectrogram has
what real speech has (harmonics, formants, onsets, silence), so it exercises every
part of a time-frequency front end.
"""

import numpy as np


def _formant(signal, centre_hz, bandwidth_hz, sample_rate):
    """Two-pole resonator (one formant) with unit gain at DC."""
    from scipy.signal import lfilter  # scipy comes with librosa

    radius = np.exp(-np.pi * bandwidth_hz / sample_rate)
    theta = 2.0 * np.pi * centre_hz / sample_rate
    a = [1.0, -2.0 * radius * np.cos(theta), radius * radius]
    return lfilter([sum(a)], a, signal)


def _glottal_tilt(pulses):
    """One-pole low-pass: the roll-off of a glottal source above its fundamental."""
    from scipy.signal import lfilter

    return lfilter([0.1], [1.0, -0.9], pulses)


_VOWEL_FORMANTS = (  # (F1, F2, F3) in Hz of a few vowels
    (730, 1090, 2440),
    (270, 2290, 3010),
    (530, 1840, 2480),
    (300, 870, 2240),
    (660, 1720, 2410),
)


def speech_like(duration=1.0, sample_rate=16000, seed=0):
    """A speech-like test signal: voiced syllables, fricatives and pauses.

    Args:
        duration (float): length in seconds. Defaults to 1.0.
        sample_rate (int): samples per second. Defaults to 16000.
        seed (int): random seed; the same seed gives the same signal. Defaults to 0.

    Returns:
        np.ndarray: float32 array of ``round(duration * sample_rate)`` samples, peak 0.9.

    Example:
        >>> x = speech_like(0.5, 16000)
        >>> x.shape, x.dtype
        ((8000,), dtype('float32'))
    """
    rng = np.random.default_rng(seed)
    n = int(round(duration * sample_rate))
    out = np.zeros(n)
    position = int(0.02 * sample_rate)
    syllable = 0
    while position < n:
        kind = syllable % 4
        length = int(rng.uniform(0.12, 0.25) * sample_rate)
        end = min(n, position + length)
        seg_len = end - position
        if seg_len <= 0:
            break
        t = np.arange(seg_len) / sample_rate
        if kind == 3:  # fricative: high-passed noise
            segment = rng.standard_normal(seg_len) * 0.08
            segment = _formant(segment, 4500.0, 2000.0, sample_rate) - 0.5 * segment
        else:  # voiced: gliding pitch pulse train through three formants
            f0 = rng.uniform(100, 220) * (1.0 + 0.15 * np.sin(2 * np.pi * rng.uniform(1, 4) * t))
            cycle = np.cumsum(f0 / sample_rate)
            pulses = np.diff(np.floor(cycle), prepend=0.0)
            source = _glottal_tilt(pulses) + 0.005 * rng.standard_normal(seg_len)
            formants = _VOWEL_FORMANTS[rng.integers(len(_VOWEL_FORMANTS))]
            segment = sum(
                _formant(source, f, 60.0 + 0.05 * f, sample_rate) * (0.6**k)
                for k, f in enumerate(formants)
            )
        envelope = np.sin(np.pi * np.arange(seg_len) / seg_len) ** 0.5
        out[position:end] += segment * envelope
        position = end + int(rng.uniform(0.02, 0.12) * sample_rate)  # pause
        syllable += 1
    peak = np.max(np.abs(out))
    return (0.9 * out / peak if peak > 0 else out).astype(np.float32)


def white_noise(duration=1.0, sample_rate=16000, seed=0, amplitude=0.3):
    """Gaussian white noise with standard deviation ``amplitude``, as float32."""
    rng = np.random.default_rng(seed)
    return (amplitude * rng.standard_normal(int(round(duration * sample_rate)))).astype(np.float32)


#: Frequencies (Hz) of the steady tones in :func:`demo_signal`.
DEMO_TONES_HZ = (440.0, 2500.0)


def demo_signal(duration=3.0, sample_rate=16000, seed=0):
    """The command-line tool's built-in signal: a rising chirp, two steady tones, a speech burst.

    An exponential chirp from 100 Hz to 0.4 x ``sample_rate`` over the whole duration (a
    rising line in a spectrogram), tones at :data:`DEMO_TONES_HZ` (flat lines), and
    :func:`speech_like` audio in the middle third (harmonics and formants).

    Args:
        duration (float): seconds, > 0. Defaults to 3.
        sample_rate (int): samples per second. Defaults to 16000.
        seed (int): seed of the speech burst. Defaults to 0.

    Returns:
        np.ndarray: float32, ``round(duration * sample_rate)`` samples, peak 0.9.

    Example:
        >>> demo_signal(1.0, 8000).shape
        (8000,)
    """
    n = int(round(duration * sample_rate))
    t = np.arange(n) / sample_rate
    f_start, f_end = 100.0, 0.4 * sample_rate
    rate = np.log(f_end / f_start) / duration
    chirp = np.sin(2 * np.pi * f_start * (np.exp(rate * t) - 1.0) / rate)
    tones = sum(np.sin(2 * np.pi * f * t) for f in DEMO_TONES_HZ) / len(DEMO_TONES_HZ)
    burst = np.zeros(n)
    start, stop = n // 3, 2 * n // 3
    if stop > start:
        burst[start:stop] = speech_like((stop - start) / sample_rate, sample_rate, seed)[: stop - start]
    mix = 0.3 * chirp + 0.3 * tones + 0.6 * burst
    return (0.9 * mix / np.max(np.abs(mix))).astype(np.float32)
