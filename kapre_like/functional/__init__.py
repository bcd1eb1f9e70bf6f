"""Plain TensorFlow functions for the DSP that every kapre_like layer is built on (on Keras's JAX and PyTorch
backends each hands over to its ``keras.ops`` twin in :mod:`kapre_like.functional.neutral`).

The layers in :mod:`kapre_like.time_frequency` and friends hold configuration and call these
functions; the encoder and the tests call them too, so there is one implementation of each
operation. By concern:

===============================  ==================================================================
``functional.tensors``           shapes, free transposes, DSP precision, time padding
``functional.windows``           analysis windows as arrays; synthesis window of the inverse
``functional.framing``           frame counts, padding, framing, chunk pieces, overlap-add
``functional.finite``            NaN/Inf checks that gate a result
``functional.routes``            the route planner (:func:`plan`, :class:`Strategy`, :func:`on_tensorflow`)
``functional.neutral``           the same DSP in ``keras.ops`` for Keras's JAX, PyTorch, NumPy backends
``functional.fourier``           :func:`stft`, :func:`inverse_stft`
``functional.dft``               the DFT as a strided convolution (TFLite route)
``functional.spectral``          magnitude (to a power), phase, atan2
``functional.decibels``          :func:`to_decibel`
``functional.filterbank``        :func:`apply_filterbank`
``functional.front_end``         :func:`filtered_spectrogram`: waveform to (mel) dB in one computation
``functional.features``          deltas, energy, DCT/MFCC, masks, mu-law
``functional.waveform``          waveform conditioning and the encoder's partitions
``functional.reconstruction``    Griffin-Lim phase reconstruction, spectral convergence, NNLS
``functional.pcen``              per-channel energy normalisation and its IIR smoother
``functional.resampling``        polyphase resampling (``scipy.signal.resample_poly`` as a convolution)
``functional.constant_q``        CQT/VQT plans (librosa's filters, in NumPy) and transforms
``functional.streaming``         what a stream keeps between chunks: frame samples, overlap-add tail
===============================  ==================================================================

Conventions: waveforms are ``(..., time)`` and spectrograms ``(..., frames, freq)`` (the
``tf.signal`` layout); the layers transpose to and from their data formats. Lengths are in
samples; windows are arrays of ``win_length`` values (:func:`window_values`). Routes, and when
each runs: ``docs/architecture.rst``.
"""

from . import neutral
from .decibels import to_decibel
from .dft import dft_kernel, framed_dot, inverse_dft_matrix, stft_pairs
from .features import (
    dct_matrix,
    delta,
    frame_energy,
    frequency_map,
    mfcc,
    mu_law_decode,
    mu_law_encode,
    random_band_mask,
    random_permutations,
)
from .filterbank import apply_filterbank, filterbank_constant
from .finite import check_finite
from .fourier import centered_framing, inverse_stft, inverse_stft_of_pairs, stft
from .framing import PAD_MODES, center_pad, end_padding, frame, frame_count, overlap_add, pad_for_frames
from .front_end import filtered_spectrogram
from .routes import (ASSUMED_ROWS, on_tensorflow, CHUNK_SAMPLES, WHOLE_SPECTROGRAM_BYTES, Strategy, chunk_count, plan,
                     real_arithmetic, real_arithmetic_only)
from .spectral import (
    ATAN_TERMS_LIMIT,
    approx_atan2,
    atan2,
    magnitude,
    magnitude_of_pairs,
    one_sided_weights,
    phase,
    phase_of_pairs,
    powered_magnitude,
    powered_magnitude_from_power,
    powered_magnitude_of_pairs,
)
from .tensors import pad_time, transpose
from .waveform import convolve, normalize_waveform, partition_spectrogram, partition_stft, time_shift
from .pcen import pcen, pcen_smoothing_coefficient, smooth
from .resampling import lowpass_filter, polyphase_kernel, resample, resampled_length, soxr_filter
from .constant_q import ConstantQPlan, constant_q_frames, constant_q_pairs, constant_q_plan
from .streaming import buffered, overlap_add_step, stream_state_length, stream_warmup_frames
from .reconstruction import (
    GRIFFIN_LIM_STRATEGIES,
    griffin_lim,
    griffin_lim_step,
    nonnegative_least_squares,
    random_phases,
    spectral_convergence,
)
from .windows import (
    WINDOW_NAMES,
    centered_window,
    inverse_stft_window,
    overlapped_window_power,
    window_array,
    window_function,
    window_values,
)

# Earlier names, kept so that code written against them runs; the names above say what they return.
stft_real = stft_pairs
magnitude_real = magnitude_of_pairs
phase_real = phase_of_pairs


def spectral_power(stfts, exponent=2.0):
    """Earlier name of :func:`powered_magnitude`: ``|stfts| ** exponent``."""
    return powered_magnitude(stfts, exponent)


def power_to_magnitude_power(power, exponent):
    """Earlier name of :func:`powered_magnitude_from_power`: ``power ** (exponent / 2)``."""
    return powered_magnitude_from_power(power, exponent)


def filtered_magnitude(signals, n_fft, win_length, hop_length, window_fn=None, pad_end=False, filterbank=None,
                       pad_begin=0, channels_last=False, finite_message=None, decibel=None, exponent=1.0):
    """Earlier name of :func:`filtered_spectrogram` (``exponent`` is its ``power``)."""
    return filtered_spectrogram(signals, n_fft, win_length, hop_length, window_fn, pad_end, filterbank, pad_begin,
                                channels_last, finite_message, decibel, power=exponent)


__all__ = [
    # windows and frames
    "WINDOW_NAMES", "window_function", "window_values", "window_array", "inverse_stft_window",
    "overlapped_window_power", "centered_window", "frame_count", "pad_time", "pad_for_frames", "end_padding", "center_pad",
    "PAD_MODES", "frame", "overlap_add", "transpose",
    # routes
    "plan", "on_tensorflow", "Strategy", "chunk_count", "WHOLE_SPECTROGRAM_BYTES", "CHUNK_SAMPLES", "ASSUMED_ROWS", "real_arithmetic",
    "real_arithmetic_only",
    # transforms
    "stft", "inverse_stft", "inverse_stft_of_pairs", "centered_framing", "stft_pairs", "dft_kernel", "inverse_dft_matrix", "framed_dot",
    "filtered_spectrogram",
    # spectra
    "magnitude", "powered_magnitude", "powered_magnitude_from_power", "phase", "atan2", "approx_atan2",
    "ATAN_TERMS_LIMIT", "magnitude_of_pairs", "powered_magnitude_of_pairs", "phase_of_pairs", "one_sided_weights",
    "to_decibel", "filterbank_constant", "apply_filterbank",
    # features and waveforms
    "delta", "frame_energy", "dct_matrix", "mfcc", "random_band_mask", "random_permutations", "frequency_map",
    "mu_law_encode", "mu_law_decode", "check_finite", "normalize_waveform", "time_shift", "convolve",
    "partition_spectrogram",
    "partition_stft",
    # normalisation
    "pcen", "pcen_smoothing_coefficient", "smooth",
    # resampling
    "resample", "resampled_length", "lowpass_filter", "polyphase_kernel", "soxr_filter",
    # constant-Q
    "ConstantQPlan", "constant_q_plan", "constant_q_pairs", "constant_q_frames",
    # streaming
    "stream_state_length", "stream_warmup_frames", "buffered", "overlap_add_step",
    # phase reconstruction
    "griffin_lim", "griffin_lim_step", "GRIFFIN_LIM_STRATEGIES", "random_phases", "spectral_convergence", "nonnegative_least_squares",
    # earlier names
    "stft_real", "magnitude_real", "phase_real", "spectral_power", "power_to_magnitude_power",
    "filtered_magnitude",
]
