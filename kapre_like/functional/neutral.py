"""The DSP on Keras's JAX, PyTorch and NumPy backends: ``keras.ops``, and the backend's own FFT.

Each public function here has the name, arguments and result of its TensorFlow counterpart in
:mod:`kapre_like.functional`, which hands over to it when Keras's backend is not TensorFlow
(:func:`~kapre_like.functional.routes.on_tensorflow`). Why two routes, not one: TensorFlow's carries
what exists on TensorFlow only -- the (real, imaginary) arithmetic that TFLite and ONNX export trace
(:func:`~kapre_like.functional.real_arithmetic`), the chunked plans that bound a long signal's memory
in a graph with an unknown length, run-time ``tf.debugging`` checks and custom gradients -- and keeps
every TensorFlow number as Kapre's suite pins it. Here every length is known when traced (JAX and
PyTorch trace concrete shapes), so one plain route serves, compiled whole by ``jax.jit``.

Complex spectra are the backend's complex64 (complex128) tensors: ``keras.ops.rfft`` returns
(real, imaginary) pairs, so the FFTs come from the backend's own ``fft`` module (:func:`fft_module`);
everything else is ``keras.ops``. Frames are cut by the backend's cheapest means (:func:`frame`).
"""

import keras
import numpy as np
from keras import ops

from .framing import end_padding, frame_count
from .tensors import time_slice
from .windows import centered_window, synthesis_window_values, window_values

__all__ = ["fft_module", "check_finite", "transpose", "center_pad", "frame", "stft", "overlap_add", "inverse_stft",
           "overlap_add_normalized", "powered_magnitude_from_power", "powered_magnitude", "magnitude", "atan2",
           "phase", "to_decibel", "apply_filterbank", "delta", "frame_energy", "frequency_map",
           "append_frequency_map", "mu_law_encode", "mu_law_decode", "filtered_spectrogram", "random_band_mask",
           "random_permutations", "frame_along", "framed_dot", "checked_nonnegative", "smooth", "pcen", "resample",
           "random_phases", "griffin_lim", "nonnegative_least_squares", "buffered", "overlap_add_step"]


def fft_module():
    """The backend's ``fft`` module (``jax.numpy.fft``, ``torch.fft``, ``numpy.fft``): its ``rfft(x, n)``
    and ``irfft(z, n)`` take and give the backend's complex tensors, which ``keras.ops.rfft`` does not."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax.numpy

        return jax.numpy.fft
    if backend == "torch":
        import torch

        return torch.fft
    return np.fft


def _dtype(x):
    return keras.backend.standardize_dtype(x.dtype)


def _real_dtype(x):
    return {"complex64": "float32", "complex128": "float64"}.get(_dtype(x), _dtype(x))


def _constant(values, like):
    """NumPy ``values`` as a tensor in the (real) precision of ``like``."""
    return ops.convert_to_tensor(np.asarray(values, dtype=_real_dtype(like)))


#: Backend tensors of read-only NumPy constants (a layer's filterbank), made once: ``(id, dtype, backend) ->
#: (array, tensor)``; the array is kept, so its ``id`` is not reused while the entry lives.
_CONSTANTS = {}


def _read_only_constant(values, dtype):
    """``values`` as a backend tensor of ``dtype``; made once for a read-only array, which cannot change (a
    mel matrix's conversion took half of a 1 s clip's call on PyTorch)."""
    if values.flags.writeable:
        return ops.convert_to_tensor(values.astype(dtype))
    key = (id(values), dtype, keras.backend.backend())
    if key not in _CONSTANTS:
        if len(_CONSTANTS) >= 64:
            _CONSTANTS.pop(next(iter(_CONSTANTS)))
        _CONSTANTS[key] = (values, ops.convert_to_tensor(values.astype(dtype)))
    return _CONSTANTS[key][1]


def _concrete(x):
    """Whether ``x`` holds values now (eager), not a tracer of ``jax.jit`` or ``torch.compile``."""
    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        return not isinstance(x, jax.core.Tracer)
    if backend == "torch":
        import torch

        return not torch.compiler.is_compiling()
    return True


def check_finite(x, message):
    """``x``, or ``ValueError(message)`` when it holds NaN or Inf and its values are known now (eagerly);
    a traced call (``jax.jit``) cannot raise on values and passes them through."""
    if message is not None and _concrete(x) and not bool(ops.all(ops.isfinite(x))):
        raise ValueError(message)
    return x


def transpose(x, perm):
    """``keras.ops.transpose``, as a free reshape when only axes of size 1 change places."""
    kept = [axis for axis in perm if x.shape[axis] != 1]
    if kept == sorted(kept):
        return ops.reshape(x, [x.shape[axis] for axis in perm])
    return ops.transpose(x, perm)


def _time_last(signals, channels_last):
    return transpose(signals, (0, 2, 1)) if channels_last else signals


def _pad_last(x, begin, end, mode="constant"):
    if not begin and not end:
        return x
    return ops.pad(x, [(0, 0)] * (len(x.shape) - 1) + [(begin, end)], mode=mode)


def center_pad(signals, n_fft, pad_mode="constant", channels_last=False, hop_length=None):
    """``n_fft // 2`` samples padded at both ends of the time axis, zeros or reflected."""
    half = n_fft // 2
    signals = _time_last(signals, channels_last)
    if pad_mode == "reflect":
        time = signals.shape[-1]
        if time is not None and time <= half:
            raise ValueError(f"center_pad: pad_mode='reflect' needs more than n_fft // 2 = {half} samples; got "
                             f"{time}.")
        # mirrored slices, not ops.pad(mode='reflect'), which PyTorch takes only for inputs of rank 2 and 3
        first = ops.flip(signals[..., 1:half + 1], axis=-1)
        last = ops.flip(signals[..., -half - 1:-1], axis=-1)
        padded = ops.concatenate([first, signals, last], axis=-1)
    else:
        padded = _pad_last(signals, half, half)
    return transpose(padded, (0, 2, 1)) if channels_last else padded


def frame(signals, frame_length, hop_length, pad_end=False):
    """Frames ``(..., frames, frame_length)`` of ``signals`` ``(..., time)``, as ``tf.signal.frame``.

    PyTorch's ``unfold`` is a view (no copy); elsewhere one gather, which XLA makes the single copy
    that the FFT reads (a concatenation of shifted blocks measured no faster on JAX). Its indices are computed
    in the traced program, not held in it: a constant of ``frames x frame_length`` indices (42 MB for a minute
    of 16 clips at hop 128) made ``jax.jit`` compile 2-4 times longer than Keras's.
    """
    time = signals.shape[-1]
    if pad_end:
        signals = _pad_last(signals, 0, end_padding(time, frame_length, hop_length))
        time = signals.shape[-1]
    n_frames = frame_count(time, frame_length, hop_length)
    if keras.backend.backend() == "torch":
        return signals.unfold(-1, frame_length, hop_length)[..., :n_frames, :]
    starts = ops.arange(n_frames, dtype="int32")[:, None] * hop_length
    return ops.take(signals, starts + ops.arange(frame_length, dtype="int32")[None, :], axis=-1)


def _checked_through_frames(result, frames_axis, signals, frame_length, hop_length, message):
    """Raise ``ValueError(message)`` (when values are known now) if ``signals`` ``(..., time)`` hold NaN or Inf,
    read from ``result``, which a NaN or Inf in any framed sample makes NaN or Inf in its frame (the STFT's DC
    bin, a filtered spectrogram), and from the samples no frame reads: the input itself is not read again."""
    if message is None or not _concrete(result):
        return
    covered = (result.shape[frames_axis] - 1) * hop_length + frame_length
    unframed = signals if hop_length > frame_length else signals[..., max(covered, 0):]
    if not bool(ops.all(ops.isfinite(result))) or not bool(ops.all(ops.isfinite(unframed))):
        raise ValueError(message)


def _spectra(signals, n_fft, win_length, hop_length, window, pad_end, pad_begin, channels_last, center, pad_mode):
    """``(stfts, signals as framed, frame length)``: the complex STFT and what the checks read."""
    signals = _time_last(ops.convert_to_tensor(signals), channels_last)
    window = window_values(window, win_length)
    if center:
        signals, win_length, window = center_pad(signals, n_fft, pad_mode), n_fft, centered_window(window, n_fft)
    signals = _pad_last(signals, pad_begin, 0)
    frames = frame(signals, win_length, hop_length, pad_end) * _constant(window, signals)
    return fft_module().rfft(frames, n_fft), signals, win_length


def stft(signals, n_fft, win_length, hop_length, window=None, pad_end=False, pad_begin=0, channels_last=False,
         finite_message=None, strategy="auto", center=False, pad_mode="constant"):
    """:func:`kapre_like.functional.stft` on any Keras backend (``strategy`` is TensorFlow's and ignored):
    complex ``(..., frames, n_fft // 2 + 1)``, ``(batch, channels, frames, bins)`` for ``channels_last``.
    ``finite_message``: an eager call raises ``ValueError`` with it for NaN or Inf in ``signals``."""
    stfts, framed, frame_length = _spectra(signals, n_fft, win_length, hop_length, window, pad_end, pad_begin,
                                           channels_last, center, pad_mode)
    _checked_through_frames(ops.real(stfts[..., 0]), -1, framed, frame_length, hop_length, finite_message)
    return stfts


def overlap_add(frames, hop_length):
    """``tf.signal.overlap_and_add``: frames ``(..., frames, length)`` summed ``hop_length`` apart,
    ``(..., (frames - 1) * hop_length + length)`` samples: each frame cut in blocks of ``hop_length``,
    the blocks at one offset into their frames shifted there and added."""
    n_frames, length = frames.shape[-2], frames.shape[-1]
    n_blocks = -(-length // hop_length)
    frames = _pad_last(frames, 0, n_blocks * hop_length - length)
    outer = list(frames.shape[:-2])
    blocks = ops.reshape(frames, outer + [n_frames, n_blocks, hop_length])
    no_padding = [(0, 0)] * len(outer)
    total = None
    for b in range(n_blocks):
        shifted = ops.pad(blocks[..., b, :], no_padding + [(b, n_blocks - 1 - b), (0, 0)])
        total = shifted if total is None else total + shifted
    signal = ops.reshape(total, outer + [(n_frames + n_blocks - 1) * hop_length])
    return signal[..., :(n_frames - 1) * hop_length + length]


def _fixed_length(waveforms, length):
    waveforms = waveforms[..., :length]
    return _pad_last(waveforms, 0, max(0, length - waveforms.shape[-1]))


def inverse_stft(stfts, n_fft, win_length, hop_length, window=None, center=False, length=None, window_sum=None):
    """:func:`kapre_like.functional.inverse_stft` on any Keras backend: real ``(..., samples)``."""
    frames = fft_module().irfft(stfts, n_fft)
    window_sum = center if window_sum is None else window_sum
    if center and not window_sum:
        raise ValueError("inverse_stft: center=True divides by the window sum; window_sum must not be False.")
    if not window_sum:
        synthesis = synthesis_window_values(win_length, hop_length, window)
        waveforms = overlap_add(frames[..., :win_length] * _constant(synthesis, frames), hop_length)
        return waveforms if length is None else _fixed_length(waveforms, length)
    return overlap_add_normalized(frames, n_fft, win_length, hop_length, window, center, length)


def overlap_add_normalized(frames, n_fft, win_length, hop_length, window=None, center=False, length=None,
                           min_coverage=0.0):
    """:func:`kapre_like.functional.fourier.overlap_add_normalized` on any Keras backend: the divisor (the
    squared window overlap-added over the frames) is known when traced, so it is computed in NumPy."""
    values = window_values(window, win_length)
    if center:
        analysis, frame_length = centered_window(values, n_fft), n_fft
    else:
        analysis, frame_length, frames = values, win_length, frames[..., :win_length]
    waveforms = overlap_add(frames * _constant(analysis, frames), hop_length)
    weights = np.zeros((frames.shape[-2] - 1) * hop_length + frame_length)
    for start in range(0, len(weights) - frame_length + 1, hop_length):
        weights[start:start + frame_length] += analysis**2
    if min_coverage:
        weights = np.maximum(weights, min_coverage * weights.max())
    weighted = weights > np.finfo(_real_dtype(frames)).tiny  # librosa's threshold
    waveforms = waveforms * _constant(np.where(weighted, 1.0 / np.where(weighted, weights, 1.0), 1.0), frames)
    if not center:
        return waveforms if length is None else _fixed_length(waveforms, length)
    half = n_fft // 2
    if length is not None:
        return _fixed_length(waveforms[..., half:], length)
    return waveforms[..., half:waveforms.shape[-1] - half]


def powered_magnitude_from_power(power_spectrum, power):
    """``power_spectrum ** (power / 2)``, 0 with gradient 0 (not NaN) where it is 0.

    The magnitude (``power=1``) is ``sqrt(p + tiny) - sqrt(tiny)``: 0 at 0 with a finite gradient there, within
    1e-19 of ``sqrt(p)`` elsewhere, in three element-wise passes where PyTorch's eager ops make six of the
    guarded root (measured on 16 x 10 s, n_fft 2048: 11 ms against 52); other powers take the guarded root."""
    if power == 2:
        return power_spectrum
    half = float(power) / 2.0
    if half == 0.5:
        tiny = float(np.finfo(_dtype(power_spectrum)).tiny)
        return ops.sqrt(power_spectrum + tiny) - float(np.sqrt(tiny))
    silent = ops.equal(power_spectrum, 0)
    safe = ops.where(silent, ops.ones_like(power_spectrum), power_spectrum)
    return ops.where(silent, ops.zeros_like(power_spectrum), ops.power(safe, half))


def powered_magnitude(stfts, power=2.0):
    """``|stfts| ** power`` of a complex tensor from its real and imaginary parts; gradient 0 at 0."""
    real, imag = ops.real(stfts), ops.imag(stfts)
    return powered_magnitude_from_power(real * real + imag * imag, power)


def magnitude(stfts):
    """``|stfts|``, gradient 0 at 0."""
    return powered_magnitude(stfts, 1)


def atan2(y, x):
    """``atan2(y, x)`` with ``y = -0`` read as ``+0`` and gradient 0 (not NaN) at the origin."""
    y = ops.where(ops.equal(y, 0), ops.zeros_like(y), y)
    origin = ops.logical_and(ops.equal(x, 0), ops.equal(y, 0))
    angle = ops.arctan2(ops.where(origin, ops.zeros_like(y), y), ops.where(origin, ops.ones_like(x), x))
    return ops.where(origin, ops.zeros_like(angle), angle)


def phase(stfts, approx_atan_terms=None):
    """Angle of a complex tensor in ``[-pi, pi]``; with ``approx_atan_terms``, :func:`approx_atan2`."""
    from .spectral import approx_atan2  # (in keras.ops: TensorFlow's and every backend's)

    imag, real = ops.imag(stfts), ops.real(stfts)
    return approx_atan2(imag, real, approx_atan_terms) if approx_atan_terms else atan2(imag, real)


def to_decibel(x, ref_value=1.0, amin=1e-5, dynamic_range=80.0, multiplier=10.0, batch_axis=True):
    """:func:`kapre_like.functional.to_decibel` on any Keras backend."""
    input_dtype = _dtype(x)
    if input_dtype in ("float16", "bfloat16"):
        x = ops.cast(x, "float32")
    log_ref = float(multiplier * np.log10(max(ref_value, amin)))
    scale = multiplier / np.log(10.0)

    def decibel(values):
        return ops.log(ops.maximum(values, amin)) * scale - log_ref

    db = decibel(x)
    if dynamic_range is not None:
        rank = len(x.shape)
        axes = tuple(range(1, rank)) if (batch_axis and rank > 1) else None
        loudest = ops.max if multiplier > 0 else ops.min
        db = ops.maximum(db, decibel(loudest(x, axis=axes, keepdims=True)) - dynamic_range)
    return ops.cast(db, input_dtype)


def apply_filterbank(x, filterbank, axis=-1):
    """Axis ``axis`` of ``x`` contracted with ``filterbank`` ``(n_freq, n_filters)``, in ``x``'s precision: one
    dense product (on JAX as fast as products over a mel matrix's bands only, measured; 3 ms of 76 slower on
    PyTorch, for 16 clips of 10 s, 128 mels)."""
    rank = len(x.shape)
    axis = axis % rank
    moved = x if axis == rank - 1 else ops.moveaxis(x, axis, -1)
    if isinstance(filterbank, np.ndarray):  # (NumPy's float64 in the input's precision: JAX has no float64 by default)
        weights = _read_only_constant(filterbank, _dtype(x))
    else:
        weights = ops.cast(filterbank, _dtype(x))
    result = ops.matmul(moved, weights)
    return result if axis == rank - 1 else ops.moveaxis(result, -1, axis)


def delta(x, win_length=5, mode="symmetric", axis=1):
    """:func:`kapre_like.functional.delta` on any Keras backend."""
    half = (win_length - 1) // 2
    rank = len(x.shape)
    axis = axis % rank

    mode = mode.lower()
    if mode == "constant":
        pad = [(0, 0)] * rank
        pad[axis] = (half, half)
        padded = ops.pad(x, pad)
    else:  # mirrored slices: PyTorch's pad has no 'symmetric' mode
        skip = 1 if mode == "reflect" else 0
        first = ops.flip(time_slice(x, axis, skip, half + skip), axis=axis)
        last = ops.flip(time_slice(x, axis, -half - skip, (-skip) or None), axis=axis)
        padded = ops.concatenate([first, x, last], axis=axis)

    def shifted(offset):
        index = [slice(None)] * rank
        index[axis] = slice(half + offset, (offset - half) or None)
        return padded[tuple(index)]

    numerator = sum(n * (shifted(n) - shifted(-n)) for n in range(1, half + 1))
    return numerator / (2.0 * sum(n * n for n in range(1, half + 1)))


def frame_energy(signals, frame_length, hop_length, sample_rate, ref_duration, pad_end=False, pad_value=0, axis=-1):
    """:func:`kapre_like.functional.frame_energy` on any Keras backend."""
    rank = len(signals.shape)
    axis = axis % rank
    moved = ops.moveaxis(signals, axis, -1)
    if pad_end and pad_value:
        padding = end_padding(moved.shape[-1], frame_length, hop_length)
        moved = ops.pad(moved, [(0, 0)] * (rank - 1) + [(0, padding)], constant_values=pad_value)
        pad_end = False
    energies = ops.sum(ops.square(frame(moved, frame_length, hop_length, pad_end)), axis=-1)
    return ops.moveaxis(energies, -1, axis) * (ref_duration * sample_rate / frame_length)


def frequency_map(n_freq, dtype="float32"):
    """``n_freq`` values rising linearly from 0 to 1."""
    return ops.convert_to_tensor(np.linspace(0.0, 1.0, n_freq).astype(keras.backend.standardize_dtype(dtype)))


def append_frequency_map(inputs, freq_axis, channel_axis):
    """``inputs`` with one more channel (last on ``channel_axis``) holding :func:`frequency_map`."""
    rank = len(inputs.shape)
    along_freq = [1] * rank
    along_freq[freq_axis] = inputs.shape[freq_axis]
    one_channel = list(ops.shape(inputs))
    one_channel[channel_axis] = 1
    freq_map = ops.reshape(frequency_map(inputs.shape[freq_axis], _dtype(inputs)), along_freq)
    return ops.concatenate([inputs, ops.broadcast_to(freq_map, one_channel)], axis=channel_axis)


def mu_law_encode(signal, quantization_channels):
    """:func:`kapre_like.functional.mu_law_encode` on any Keras backend (int32 codes)."""
    mu = quantization_channels - 1.0
    signal = ops.clip(signal, -1.0, 1.0)
    companded = ops.sign(signal) * ops.log1p(mu * ops.abs(signal)) / np.log1p(mu)
    return ops.cast((companded + 1.0) / 2.0 * mu + 0.5, "int32")


def mu_law_decode(signal_mu, quantization_channels, dtype="float32"):
    """:func:`kapre_like.functional.mu_law_decode` on any Keras backend."""
    mu = quantization_channels - 1.0
    companded = ops.cast(signal_mu, keras.backend.standardize_dtype(dtype)) / mu * 2.0 - 1.0
    return ops.sign(companded) * (ops.exp(ops.abs(companded) * np.log1p(mu)) - 1.0) / mu


def filtered_spectrogram(signals, n_fft, win_length, hop_length, window=None, pad_end=False, filterbank=None,
                         pad_begin=0, channels_last=False, finite_message=None, decibel=None, power=1.0,
                         strategy="auto", center=False, pad_mode="constant"):
    """:func:`kapre_like.functional.filtered_spectrogram` on any Keras backend: ``|stft| ** power``, the
    filterbank's product and decibels, which ``jax.jit`` compiles into one computation. ``finite_message``: an
    eager call raises ``ValueError`` with it for NaN or Inf in ``signals`` or filtered spectra that overflow."""
    stfts, framed, frame_length = _spectra(signals, n_fft, win_length, hop_length, window, pad_end, pad_begin,
                                           channels_last, center, pad_mode)
    spectra = powered_magnitude(stfts, power)
    if filterbank is not None:
        spectra = apply_filterbank(spectra, filterbank)
    _checked_through_frames(spectra, -2, framed, frame_length, hop_length, finite_message)
    return spectra if decibel is None else to_decibel(spectra, **decibel)


def random_band_mask(batch_size, length, n_masks, max_width, seed=None):
    """:func:`kapre_like.functional.random_band_mask` on any Keras backend: boolean ``(batch_size, length)``."""
    shape = (batch_size, n_masks)
    widths = ops.minimum(keras.random.randint(shape, 0, max_width + 1, seed=seed), length)
    fraction = keras.random.uniform(shape, seed=seed)
    starts = ops.cast(ops.floor(fraction * ops.cast(length - widths + 1, fraction.dtype)), "int32")
    positions = ops.arange(length, dtype="int32")[None, None, :]
    inside = ops.logical_and(positions >= starts[..., None], positions < (starts + widths)[..., None])
    return ops.any(inside, axis=1)


def random_permutations(batch_size, n, seed=None):
    """``(batch_size, n)`` int32: an independent uniformly random permutation of ``range(n)`` per row."""
    return ops.cast(ops.argsort(keras.random.uniform((batch_size, n), seed=seed), axis=-1), "int32")


def frame_along(signals, frame_length, hop_length, axis, pad_end=False, pad_value=0):
    """``tf.signal.frame(signals, frame_length, hop_length, pad_end, pad_value, axis)``: the axis ``axis``
    replaced by ``(frames, frame_length)``."""
    rank = len(signals.shape)
    axis = axis % rank
    moved = ops.moveaxis(signals, axis, -1)
    if pad_end:
        padding = end_padding(moved.shape[-1], frame_length, hop_length)
        moved = ops.pad(moved, [(0, 0)] * (rank - 1) + [(0, padding)], constant_values=pad_value)
    frames = frame(moved, frame_length, hop_length)
    return ops.moveaxis(ops.moveaxis(frames, -1, axis), -1, axis)


def framed_dot(signals, kernel, hop_length, padding="VALID"):
    """:func:`kapre_like.functional.framed_dot` on any Keras backend: a strided 1-D ``keras.ops.conv``."""
    kernel = ops.cast(ops.convert_to_tensor(kernel), _dtype(signals))
    outer = list(signals.shape[:-1])
    flat = ops.reshape(signals, [-1, signals.shape[-1], 1])
    products = ops.conv(flat, kernel[:, None, :], strides=hop_length, padding=padding.lower())
    return ops.reshape(products, outer + list(products.shape[1:]))


def checked_nonnegative(values, message):
    """``values``, or ``ValueError(message + " (got NaN|Inf|negative values)")`` when eager values hold one."""
    if _concrete(values):
        for found, what in ((ops.isnan, "NaN"), (ops.isinf, "Inf"), (lambda v: v < 0, "negative values")):
            if bool(ops.any(found(values))):
                raise ValueError(f"{message} (got {what})")
    return values


def _as(value, dtype):
    return ops.cast(value, dtype) if not isinstance(value, (int, float)) else ops.convert_to_tensor(
        np.asarray(value, dtype=dtype))


def smooth(energies, coefficient, initial=1.0):
    """:func:`kapre_like.functional.smooth` on any Keras backend: the IIR smoother along axis -2 as a prefix
    scan with doubling steps (``ceil(log2(frames))`` passes, unrolled: the length is known)."""
    energies = ops.convert_to_tensor(energies)
    dtype = _dtype(energies)
    coefficient = _as(coefficient, dtype)
    log_decay = ops.log(ops.maximum(1.0 - coefficient, float(np.finfo(dtype).tiny)))
    rank = len(energies.shape)
    n_frames = energies.shape[-2]
    no_padding = [(0, 0)] * (rank - 2)
    summed, step = energies, 1
    while step < n_frames:
        earlier = ops.pad(summed[..., :n_frames - step, :], no_padding + [(step, 0), (0, 0)])
        summed = summed + ops.exp(step * log_decay) * earlier
        step *= 2
    positions = _constant(np.arange(1, n_frames + 1)[:, None], energies)
    return coefficient * summed + ops.exp(positions * log_decay) * _as(initial, dtype)


def pcen(energies, coefficient, gain=0.98, bias=2.0, power=0.5, eps=1e-6, smoothed=None):
    """:func:`kapre_like.functional.pcen` on any Keras backend (librosa's log-space formula)."""
    energies = ops.convert_to_tensor(energies)
    dtype = _dtype(energies)
    gain, bias, power = (_as(value, dtype) for value in (gain, bias, power))
    smoothed = smooth(energies, coefficient) if smoothed is None else ops.cast(smoothed, dtype)
    normaliser = ops.exp(-gain * (float(np.log(eps)) + ops.log1p(smoothed / eps)))
    return bias**power * ops.expm1(power * ops.log1p(energies * normaliser / bias))


def resample(signals, up, down, kernel=None):
    """:func:`kapre_like.functional.resample` on any Keras backend: the polyphase filter as one strided
    convolution (:func:`framed_dot`), its blocks interleaved."""
    from .resampling import lowpass_filter, polyphase_kernel, reduced_factors

    up, down = reduced_factors(up, down)
    if up == down == 1:
        return signals
    matrix, left = polyphase_kernel(lowpass_filter(up, down), up, down) if kernel is None else kernel
    taps_per_block, outputs_per_block = matrix.shape
    stride = down * outputs_per_block // up
    length = signals.shape[-1]
    out_length = (length * up + down - 1) // down
    blocks = (out_length + outputs_per_block - 1) // outputs_per_block
    right = max((blocks - 1) * stride + taps_per_block - (length + left), 0)
    outputs = framed_dot(_pad_last(signals, left, right), _constant(matrix, signals), stride)
    interleaved = ops.reshape(outputs, list(outputs.shape[:-2]) + [outputs.shape[-2] * outputs_per_block])
    return interleaved[..., :out_length]


def _complex(real, imag):
    return ops.view_as_complex(ops.stack([real, imag], axis=-1))


def random_phases(shape, dtype="complex64", seed=None, pairs=False):
    """Unit complex numbers with phases uniform in ``[0, 2 pi)`` (``keras.random.uniform``); with ``pairs``,
    (cos, sin) pairs on a trailing axis of 2."""
    real_dtype = "float64" if keras.backend.standardize_dtype(dtype) in ("complex128", "float64") else "float32"
    phase = keras.random.uniform(tuple(shape), 0.0, 2 * np.pi, dtype=real_dtype, seed=seed)
    if pairs:
        return ops.stack([ops.cos(phase), ops.sin(phase)], axis=-1)
    return _complex(ops.cos(phase), ops.sin(phase))


def griffin_lim(magnitudes, n_fft, win_length, hop_length, window=None, n_iter=32, momentum=0.99, angles=None,
                center=False, pad_mode="constant", length=None, strategy="plain"):
    """:func:`kapre_like.functional.griffin_lim` on any Keras backend: the iterations one ``keras.ops.fori_loop``
    (a ``lax.fori_loop`` on JAX). ``strategy`` is TensorFlow's choice of exported ops; here the FFTs always
    serve ('conv' pairs as ``angles`` are read as complex numbers), the same numbers."""
    from .reconstruction import GRIFFIN_LIM_STRATEGIES, MIN_COVERAGE

    if strategy not in GRIFFIN_LIM_STRATEGIES:
        raise ValueError(f"griffin_lim: `strategy` must be one of {list(GRIFFIN_LIM_STRATEGIES)}; got {strategy!r}.")
    magnitudes = ops.convert_to_tensor(magnitudes)
    target = _complex(magnitudes, ops.zeros_like(magnitudes))
    if angles is None:
        angles = _complex(ops.ones_like(magnitudes), ops.zeros_like(magnitudes))
    elif not _dtype(angles).startswith("complex"):
        angles = ops.view_as_complex(angles)
    tiny = float(np.finfo(_dtype(magnitudes)).tiny)
    fft = fft_module()

    def synthesis(spectra, length=None):
        return overlap_add_normalized(fft.irfft(spectra, n_fft), n_fft, win_length, hop_length, window, center,
                                      length, MIN_COVERAGE)

    def step(_, state):
        current, previous = state
        rebuilt = stft(synthesis(target * current), n_fft, win_length, hop_length, window, center=center,
                       pad_mode=pad_mode)
        pushed = rebuilt if momentum == 0 else rebuilt - (momentum / (1 + momentum)) * previous
        modulus = ops.abs(pushed) + tiny
        return pushed / _complex(modulus, ops.zeros_like(modulus)), rebuilt

    angles, _ = ops.fori_loop(0, n_iter, step, (angles, ops.zeros_like(angles)))
    return synthesis(target * angles, length)


def nonnegative_least_squares(basis, targets, n_iter=100):
    """:func:`kapre_like.functional.nonnegative_least_squares` on any Keras backend."""
    targets = ops.convert_to_tensor(targets)
    basis = np.asarray(basis, np.float64)
    step = 1.0 / np.linalg.eigvalsh(basis.T @ basis).max()
    forward, backward = _constant(basis, targets), _constant(basis.T * step, targets)
    solution = ops.relu(ops.matmul(targets, _constant(np.linalg.pinv(basis), targets)))

    def body(_, current):
        return ops.relu(current - ops.matmul(ops.matmul(current, forward) - targets, backward))

    return ops.fori_loop(0, n_iter, body, solution)


def buffered(state, chunk, time_axis=-1):
    """:func:`kapre_like.functional.buffered` on any Keras backend: ``(state + chunk, its last samples)``."""
    buffer = ops.concatenate([state, chunk], axis=time_axis)
    kept = state.shape[time_axis]
    return buffer, (state if kept == 0 else time_slice(buffer, time_axis, -kept, None))


def overlap_add_step(synthesized, tail, time_axis=-1):
    """:func:`kapre_like.functional.overlap_add_step` on any Keras backend: ``(samples, next_tail)``."""
    rank = len(synthesized.shape)
    axis = time_axis % rank
    kept, length = tail.shape[axis], synthesized.shape[axis]
    padding = [(0, 0)] * rank
    padding[axis] = (0, length - kept)
    total = synthesized + ops.pad(tail, padding)
    return time_slice(total, axis, 0, length - kept), time_slice(total, axis, length - kept, None)
