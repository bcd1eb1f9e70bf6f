"""Constant-Q and variable-Q transforms: ``librosa.cqt`` / ``librosa.vqt``'s algorithm in the graph.

librosa computes a CQT one octave at a time, from the top: the octave's wavelets (one per bin,
``Q`` periods of a Hann-windowed complex exponential) are multiplied with a centred STFT whose
window is all ones, then the signal is low-passed and halved (when the hop is even) for the
octave below, whose wavelets are then as short in samples as the top octave's. Its per-octave
product ``fft_basis @ stft`` is, for each frame, one dot product of the frame with a complex
kernel, ``kernel[n] = sum_f fft_basis[f] * exp(-2i pi f n / n_fft)``: so each octave here is one
strided convolution with those kernels (real and imaginary parts as channels), computed once in
NumPy from librosa's own wavelets and sparsified basis, and the halving is
:func:`~kapre_like.functional.resample` with the filter of librosa's resampler (``res_type``):
soxr's, read off soxr itself (:func:`~kapre_like.functional.resampling.soxr_filter`), or
``scipy.signal.resample_poly``'s. Built-in TFLite ops only; any batch and length.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

from .dft import framed_dot
from .framing import center_pad
from .tensors import pad_time
from .resampling import SOXR_QUALITIES, lowpass_filter, polyphase_kernel, resample, soxr_filter

#: librosa's ``res_type`` values a plan can reproduce: its default, soxr's, and scipy's polyphase filter.
RESAMPLERS = tuple(SOXR_QUALITIES) + ("polyphase",)


@dataclasses.dataclass(frozen=True)
class ConstantQPlan:
    """What a CQT/VQT computes, decided in NumPy once (see :func:`constant_q_plan`).

    Attributes:
        frequencies (np.ndarray): centre of each bin, in Hz, ascending.
        lengths (np.ndarray): each wavelet's length in samples at the (early-downsampled) rate.
        early_factor (int): the power of two the signal is downsampled by before the top octave.
        hops (tuple of int): the hop of each octave, from the top octave down.
        kernels (tuple of np.ndarray): each octave's float64 ``(n_fft, 2 * bins)`` kernel (real
            parts, then imaginary parts), from the top octave down; every scale factor of
            librosa's (downsampling, ``scale``) is folded in.
        downsample_after (tuple of bool): whether the signal is halved after each octave.
        early_kernel, halving_kernel (tuple or None): :func:`polyphase_kernel` pairs of the
            early downsampling and of each halving (None where none happens).
        pad_mode (str): ``'constant'`` or ``'reflect'``, librosa's centring.
        early_rounds_length (bool): the early downsampling keeps ``round(time / factor)`` samples
            and zeros the rest up to ``ceil(time / factor)`` (soxr's length, padded by librosa).
    """

    frequencies: np.ndarray
    lengths: np.ndarray
    early_factor: int
    hops: tuple
    kernels: tuple
    downsample_after: tuple
    early_kernel: tuple = None
    halving_kernel: tuple = None
    pad_mode: str = "constant"
    early_rounds_length: bool = False

    @property
    def n_bins(self):
        return len(self.frequencies)


def relative_bandwidth(bins_per_octave):
    """``alpha``, the bandwidth of an equal-tempered bin relative to its centre frequency (librosa's)."""
    ratio = 2.0 ** (2.0 / bins_per_octave)
    return (ratio - 1.0) / (ratio + 1.0)


def _two_factors(n):
    count = 0
    while n > 0 and n % 2 == 0:
        n //= 2
        count += 1
    return count


def _nyquist_remedies(frequencies, f_min, nyquist, cutoff, n_bins, cutoff_of):
    """What would keep the top wavelet below Nyquist, with the numbers that fit: fewer bins (only where
    one or more bins fit: with n_bins=1 it is no advice), a lower f_min, a higher sample rate.
    ``cutoff_of(freqs)`` is the highest frequency the wavelets of ``freqs`` reach (librosa's: linear
    in the frequency, ``a * f + b``; ``b`` from VQT's ``gamma``)."""
    fitting = sum(1 for k in range(1, n_bins) if cutoff_of(frequencies[:k]) <= nyquist)
    remedies = [f"at most n_bins={fitting} (got {n_bins})"] if fitting else []
    top = frequencies[-1]
    slope = 2.0 * (cutoff - cutoff_of(frequencies[-1:] / 2.0)) / top
    highest_top = (nyquist - (cutoff - slope * top)) / slope  # the top bin's frequency whose wavelet ends at Nyquist
    if highest_top > 0:
        # the f_min that puts the top bin there, rounded down so that it fits
        remedies.append(f"f_min <= {np.floor(f_min * highest_top / top * 100) / 100:g} Hz (got {f_min:g} Hz)")
    remedies.append(f"audio at a sample rate of at least {int(np.ceil(2 * cutoff))} Hz (got {2 * nyquist:g})")
    return "use " + ", or ".join(remedies)


def constant_q_plan(sample_rate, hop_length=512, f_min=32.70319566, n_bins=84, bins_per_octave=12, tuning=0.0,
                    filter_scale=1.0, norm=1, sparsity=0.01, window="hann", scale=True, pad_mode="constant",
                    gamma=0.0, res_type="soxr_hq"):
    """Plan a CQT (``gamma=0``) or VQT exactly as ``librosa.vqt`` computes it.

    Arguments are ``librosa.vqt``'s (``f_min`` is its ``fmin``; ``gamma=None`` its ERB-based
    default); the wavelets come from ``librosa.filters.wavelet`` and the basis is sparsified by
    ``librosa.util.sparsify_rows`` as in librosa. The arguments are assumed checked (the layers
    check them); a top bin whose wavelet reaches past Nyquist raises ``ValueError``. ``res_type``
    is one of :data:`RESAMPLERS`: with ``'soxr_hq'`` (librosa's default) the result equals
    ``librosa.cqt``'s to ~1e-6 of its peak (the first outputs of soxr's decimation by 4 or more
    start a little differently; no difference above 1e-6 of the peak was seen); with
    ``'polyphase'`` it equals ``librosa.cqt(..., res_type='polyphase')`` throughout.

    Returns:
        ConstantQPlan

    Example:
        >>> plan = constant_q_plan(22050, hop_length=512, n_bins=84)
        >>> plan.early_factor, plan.hops, [k.shape for k in plan.kernels][:2]
        (1, (512, 256, 128, 64, 32, 16, 8), [(256, 24), (256, 24)])
    """
    import librosa

    given_f_min = f_min
    f_min = f_min * 2.0 ** (tuning / bins_per_octave)
    frequencies = librosa.cqt_frequencies(n_bins, fmin=f_min, bins_per_octave=bins_per_octave)
    n_octaves = -(-n_bins // bins_per_octave)
    n_filters = min(bins_per_octave, n_bins)
    alpha = np.full(n_bins, relative_bandwidth(bins_per_octave))
    wavelet_args = dict(window=window, filter_scale=filter_scale, gamma=gamma, alpha=alpha)
    _, cutoff = librosa.filters.wavelet_lengths(freqs=frequencies, sr=sample_rate, **wavelet_args)
    nyquist = sample_rate / 2.0
    if cutoff > nyquist:
        remedies = _nyquist_remedies(frequencies, given_f_min, nyquist, cutoff, n_bins,
                                     lambda freqs: librosa.filters.wavelet_lengths(
                                         freqs=freqs, sr=sample_rate, **{**wavelet_args,
                                                                         "alpha": alpha[:len(freqs)]})[1])
        raise ValueError(
            f"the top bin ({frequencies[-1]:.1f} Hz, bin {n_bins - 1}) has a wavelet reaching {cutoff:.1f} Hz, above "
            f"the Nyquist frequency sample_rate / 2 = {nyquist:g} Hz; {remedies}."
        )

    # librosa's early downsampling: as far as the top octave's band and the hop's factors of two allow
    early_count = min(max(0, int(np.ceil(np.log2(nyquist / cutoff)) - 1) - 1),
                      max(0, _two_factors(hop_length) - n_octaves + 1))
    early_factor = 2 ** early_count
    rate, hop = sample_rate / early_factor, hop_length // early_factor
    lengths, _ = librosa.filters.wavelet_lengths(freqs=frequencies, sr=rate, **wavelet_args)
    # the gain librosa gives the early-downsampled signal (resample(scale=True), and again without `scale`)
    signal_gain = np.sqrt(early_factor) * (1.0 if scale else np.sqrt(early_factor))

    hops, kernels, downsample_after = [], [], []
    octave_rate = rate
    for octave in range(n_octaves):
        top = n_bins - n_filters * octave
        bins = slice(max(top - n_filters, 0), top)
        basis, octave_lengths = librosa.filters.wavelet(freqs=frequencies[bins], sr=octave_rate, norm=norm,
                                                        pad_fft=True, window=window, filter_scale=filter_scale,
                                                        gamma=gamma, alpha=alpha[bins])
        n_fft = basis.shape[1]
        spectrum = np.fft.fft(basis * (octave_lengths[:, None] / n_fft), n=n_fft, axis=1)[:, :n_fft // 2 + 1]
        spectrum = librosa.util.sparsify_rows(spectrum, quantile=sparsity, dtype=np.complex128)
        spectrum = spectrum.toarray() if hasattr(spectrum, "toarray") else np.asarray(spectrum)
        # the octave's product with the all-ones-window STFT, as one complex kernel per bin
        kernel = np.fft.fft(spectrum, n=n_fft, axis=1).T
        # librosa rescales each octave's basis by sqrt(rate / octave_rate) and each halving of the signal by sqrt(2)
        gain = signal_gain * (rate / octave_rate)
        if scale:
            gain = gain / np.sqrt(lengths[bins])
        kernel = kernel * gain
        kernels.append(np.concatenate([kernel.real, kernel.imag], axis=1))
        hops.append(hop)
        halve = hop % 2 == 0
        downsample_after.append(halve)
        if halve:
            hop //= 2
            octave_rate /= 2.0
    def decimator(factor):
        taps = lowpass_filter(1, factor) if res_type == "polyphase" else soxr_filter(factor, res_type)
        return polyphase_kernel(taps, 1, factor)

    return ConstantQPlan(frequencies, lengths, early_factor, tuple(hops), tuple(kernels), tuple(downsample_after),
                         decimator(early_factor) if early_factor > 1 else None,
                         decimator(2) if any(downsample_after) else None, pad_mode,
                         early_rounds_length=res_type != "polyphase")


def _early_downsampled(signals, plan):
    factor = plan.early_factor
    y = resample(signals, 1, factor, plan.early_kernel)
    if not plan.early_rounds_length:
        return y
    # soxr returns round(time / factor) samples (halves up), librosa pads them with zeros to ceil(time / factor)
    length = signals.shape[-1]
    if length is not None:
        kept, full = (2 * length + factor) // (2 * factor), -(-length // factor)
        return y if kept == full else pad_time(y[..., :kept], end=full - kept)
    kept = (2 * tf.shape(signals)[-1] + factor) // (2 * factor)
    return y * tf.cast(tf.range(tf.shape(y)[-1]) < kept, y.dtype)


def constant_q_frames(length, plan):
    """The number of frames :func:`constant_q_pairs` returns for ``length`` samples (an int)."""
    length = -(-length // plan.early_factor)
    frames = []
    for hop, halve in zip(plan.hops, plan.downsample_after):
        frames.append(1 + length // hop)
        if halve:
            length = -(-length // 2)
    return min(frames)


def constant_q_pairs(signals, plan, kernels=None):
    """The CQT/VQT of ``signals`` as (real, imaginary) pairs, from a :func:`constant_q_plan`.

    Args:
        signals (float Tensor): ``(..., time)``; the leading axes and time may be unknown.
        plan (ConstantQPlan): what to compute.
        kernels (list of Tensor or None): the octaves' kernels to use instead of ``plan.kernels``
            (trainable ones), same shapes.

    Returns:
        float Tensor: ``(..., frames, n_bins, 2)``, bins ascending; ``frames`` is
        ``1 + time // hop_length`` (fewer when a halved signal has fewer frames, as in librosa).

    Example:
        >>> import librosa
        >>> x = np.random.default_rng(0).standard_normal(22050).astype(np.float32)
        >>> plan = constant_q_plan(22050, hop_length=512, n_bins=60, f_min=65.4)
        >>> pairs = constant_q_pairs(tf.constant(x), plan)
        >>> pairs.shape
        TensorShape([44, 60, 2])
        >>> reference = np.abs(librosa.cqt(x, sr=22050, hop_length=512, n_bins=60, fmin=65.4)).T
        >>> got = np.hypot(pairs[..., 0], pairs[..., 1])
        >>> bool(np.abs(got - reference).max() < 1e-5 * reference.max())
        True
    """
    kernels = plan.kernels if kernels is None else kernels
    y = signals
    if plan.early_factor > 1:
        y = _early_downsampled(y, plan)
    responses = []
    for kernel, hop, halve in zip(kernels, plan.hops, plan.downsample_after):
        n_fft = int(kernel.shape[0])
        padded = center_pad(y, n_fft, plan.pad_mode)
        responses.append(framed_dot(padded, keras.ops.cast(kernel, y.dtype), hop))  # (..., frames, 2 * bins)
        if halve:
            y = resample(y, 1, 2, plan.halving_kernel)
    counts = [response.shape[-2] for response in responses]
    # a Python int where every count is known, so that the output keeps a static length (TFLite sees it)
    frames = min(counts) if None not in counts else tf.reduce_min([tf.shape(r)[-2] for r in responses])
    pairs = []
    for response in reversed(responses):  # from the lowest octave up
        bins = int(response.shape[-1]) // 2
        response = response[..., :frames, :]
        pairs.append(keras.ops.stack([response[..., :bins], response[..., bins:]], axis=-1))
    return keras.ops.concatenate(pairs, axis=-2)
