"""Phase reconstruction: (fast) Griffin-Lim from magnitudes, and magnitudes from a mel spectrogram.

The iteration is ``librosa.griffinlim``'s (and ``torchaudio``'s): synthesise with the current
phases, analyse again, push the phases past the new estimate by ``momentum / (1 + momentum)``
of the previous one (fast Griffin-Lim, Perraudin et al. 2013; ``momentum=0`` is the original
algorithm), normalise to unit modulus. Plain TensorFlow ops, the iterations one ``tf.while_loop``
(a While in the graph, an ONNX Loop, a TFLite WHILE): it exports and converts to TFLite with
built-in ops, in a time that does not grow with the number of iterations.
"""

import numpy as np
import tensorflow as tf

from . import neutral
from .routes import on_tensorflow

from .dft import dft_kernel, framed_dot, inverse_dft_matrix
from .fourier import centered_framing, overlap_add_normalized, stft
from .tensors import float_dtype_of, shape_of
from .windows import centered_window, window_values

#: Each synthesis divides by at least this fraction of the overlap-added squared window's peak: samples
#: the windows barely cover (the first and last of uncentred frames) are magnified at most 10 times, not
#: up to 10^9 as by ``librosa.istft(center=False)``; inside a signal of centred frames the divisor never
#: comes near it, so there the numbers are librosa's.
MIN_COVERAGE = 0.1

#: How the iteration transforms: ``'plain'`` (FFTs on complex tensors, fastest in TensorFlow) or
#: ``'conv'`` ((real, imaginary) pairs, the DFT and its inverse as matrix products: TFLite built-ins).
GRIFFIN_LIM_STRATEGIES = ("plain", "conv")


def _complex_dtype(dtype):
    return tf.complex128 if dtype == tf.float64 else tf.complex64


def _synthesis(spectra, n_fft, win_length, hop_length, window, center, length=None):
    frames = tf.signal.irfft(spectra, fft_length=[n_fft])
    return overlap_add_normalized(frames, n_fft, win_length, hop_length, window, center, length, MIN_COVERAGE)


def griffin_lim_step(magnitudes, angles, previous, n_fft, win_length, hop_length, window=None, momentum=0.99,
                     center=False, pad_mode="constant"):
    """One Griffin-Lim iteration: ``(angles, rebuilt)``, the new unit phases and the STFT they came from.

    Args:
        magnitudes (complex Tensor): the target magnitudes as complex numbers, ``(..., frames, bins)``.
        angles (complex Tensor): the current unit phases, same shape.
        previous (complex Tensor or None): the previous iteration's ``rebuilt`` (None at the first).
        n_fft, win_length, hop_length, window, center, pad_mode: the STFT's, as :func:`stft` takes them.
        momentum (float): the fast Griffin-Lim step, >= 0. Defaults to 0.99.

    Returns:
        (complex Tensor, complex Tensor): the phases for the next iteration and ``stft(istft(...))``.
    """
    signals = _synthesis(magnitudes * angles, n_fft, win_length, hop_length, window, center)
    rebuilt = stft(signals, n_fft, win_length, hop_length, window, center=center, pad_mode=pad_mode)
    angles = rebuilt if previous is None or momentum == 0 else rebuilt - (momentum / (1 + momentum)) * previous
    modulus = tf.abs(angles) + np.finfo(float_dtype_of(angles.dtype).as_numpy_dtype).tiny
    return angles / tf.cast(modulus, angles.dtype), rebuilt


def _pairs_synthesis(magnitudes, angles, inverse, n_fft, win_length, hop_length, window, center, length=None):
    """:func:`_synthesis` of ``magnitudes`` with (real, imaginary) unit ``angles``: the inverse DFT as a
    product with ``inverse`` (:func:`inverse_dft_matrix`), real ops only."""
    spectra = magnitudes[..., tf.newaxis] * angles
    flat = tf.reshape(spectra, shape_of(spectra, range(spectra.shape.rank - 2)) + [2 * (n_fft // 2 + 1)])
    return overlap_add_normalized(tf.tensordot(flat, inverse, 1), n_fft, win_length, hop_length, window, center,
                                  length, MIN_COVERAGE)


def _analysis_kernel(n_fft, win_length, window, center, dtype):
    """:func:`~kapre_like.functional.stft_pairs`'s windowed DFT kernel ``(frame_length, 2 * bins)`` for the
    frames :func:`centered_framing` gives, as one constant: made once, outside the loop, so the loop's body
    (an ONNX Loop's subgraph, copied by every tf2onnx optimizer pass) does not hold a copy of it."""
    window = window_values(window, win_length)
    frame_window = centered_window(window, n_fft) if center else window
    return tf.constant(dft_kernel(n_fft, frame_window).reshape(len(frame_window), -1), dtype)


def _pairs_step(magnitudes, angles, previous, n_fft, win_length, hop_length, window, momentum, center, pad_mode,
                inverse, kernel):
    """:func:`griffin_lim_step` on (real, imaginary) pairs ``(..., frames, bins, 2)``, real ops only; ``kernel``
    is :func:`_analysis_kernel`'s (the analysis is ``stft_pairs``'s: frames and DFT as one strided convolution)."""
    signals = _pairs_synthesis(magnitudes, angles, inverse, n_fft, win_length, hop_length, window, center)
    signals, _, _ = centered_framing(signals, n_fft, win_length, window, center, pad_mode, hop_length=hop_length)
    products = framed_dot(signals, kernel, hop_length)
    rebuilt = tf.reshape(products, shape_of(products, range(products.shape.rank - 1)) + [n_fft // 2 + 1, 2])
    angles = rebuilt if previous is None or momentum == 0 else rebuilt - (momentum / (1 + momentum)) * previous
    modulus = tf.sqrt(tf.reduce_sum(tf.square(angles), axis=-1, keepdims=True))
    return angles / (modulus + np.finfo(angles.dtype.as_numpy_dtype).tiny), rebuilt


def griffin_lim(magnitudes, n_fft, win_length, hop_length, window=None, n_iter=32, momentum=0.99, angles=None,
                center=False, pad_mode="constant", length=None, strategy="plain"):
    """Waveforms whose STFT magnitudes approach ``magnitudes`` (``librosa.griffinlim``'s iteration).

    Args:
        magnitudes (float Tensor): ``(..., frames, n_fft // 2 + 1)``, non-negative.
        n_fft (int): FFT size of the STFT the magnitudes are (or should be) of.
        win_length (int): its frame length, ``<= n_fft``.
        hop_length (int): its hop.
        window: its analysis window, as :func:`stft` takes it. Defaults to None, the periodic Hann.
        n_iter (int): iterations, >= 1. Defaults to 32.
        momentum (float): fast Griffin-Lim's momentum, >= 0 (0: the original algorithm). Defaults to 0.99.
        angles (Tensor or None): the initial unit phases: complex, the shape of ``magnitudes``
            (``'plain'``), or (real, imaginary) pairs on a trailing axis of 2 (``'conv'``); None (the
            default) starts from zero phase.
        center (bool): frames centred on ``t * hop_length`` (:func:`stft`'s ``center``). Defaults to False.
        pad_mode (str): with ``center``, ``'constant'`` (librosa's default) or ``'reflect'`` (torch's).
        length (int or None): the number of samples to return. Defaults to the STFT's natural length:
            ``(frames - 1) * hop_length`` with ``center``, ``+ win_length`` without.
        strategy (str): ``'plain'`` (the default: FFTs on complex tensors) or ``'conv'`` (real
            (real, imaginary) pairs, the DFT and its inverse as matrix products: TFLite built-in
            ops only, ``O(n_fft)`` times more arithmetic per frame). The same numbers.

    Returns:
        float Tensor: ``(..., samples)``.

    Example:
        >>> x = tf.sin(tf.range(4096, dtype=tf.float32) * 0.05)[tf.newaxis]
        >>> target = tf.abs(stft(x, 512, 512, 128, center=True))
        >>> y = griffin_lim(target, 512, 512, 128, n_iter=16, center=True, length=4096)
        >>> y.shape, float(spectral_convergence(target, tf.abs(stft(y, 512, 512, 128, center=True)))[0]) < 0.06
        (TensorShape([1, 4096]), True)
    """
    if not on_tensorflow():
        return neutral.griffin_lim(magnitudes, n_fft, win_length, hop_length, window, n_iter, momentum, angles, center,
                                   pad_mode, length, strategy)
    if strategy not in GRIFFIN_LIM_STRATEGIES:
        raise ValueError(f"griffin_lim: `strategy` must be one of {list(GRIFFIN_LIM_STRATEGIES)}; got {strategy!r}.")
    magnitudes = tf.convert_to_tensor(magnitudes)
    if strategy == "conv":
        inverse = tf.constant(inverse_dft_matrix(n_fft), magnitudes.dtype)
        kernel = _analysis_kernel(n_fft, win_length, window, center, magnitudes.dtype)
        if angles is None:
            angles = tf.stack([tf.ones_like(magnitudes), tf.zeros_like(magnitudes)], axis=-1)

        def step(current, previous):
            return _pairs_step(magnitudes, current, previous, n_fft, win_length, hop_length, window, momentum,
                               center, pad_mode, inverse, kernel)

        angles = _iterated(step, angles, n_iter)
        return _pairs_synthesis(magnitudes, angles, inverse, n_fft, win_length, hop_length, window, center, length)
    target = tf.cast(magnitudes, _complex_dtype(magnitudes.dtype))
    angles = tf.ones_like(target) if angles is None else tf.cast(angles, target.dtype)

    def step(current, previous):
        return griffin_lim_step(target, current, previous, n_fft, win_length, hop_length, window, momentum, center,
                                pad_mode)

    angles = _iterated(step, angles, n_iter)
    return _synthesis(target * angles, n_fft, win_length, hop_length, window, center, length)


def _iterated(step, angles, n_iter):
    """The phases after ``n_iter`` calls of ``step(angles, previous) -> (angles, rebuilt)``, as one
    ``tf.while_loop``: the graph (and an ONNX Loop, a TFLite WHILE, an XLA while) holds the step once,
    so tracing and export take the same time for any ``n_iter`` (unrolled, 32 steps took 84 s to
    export to ONNX). ``previous`` starts at zeros: ``rebuilt - c * 0`` is ``rebuilt`` exactly, the
    first step's plain Griffin-Lim update."""
    angles = tf.convert_to_tensor(angles)

    def body(i, current, previous):
        current_next, rebuilt = step(current, previous)
        # the rebuilt STFT's static shape may be less known than the input's (frames from a signal length)
        current_next.set_shape(current.shape)
        rebuilt.set_shape(current.shape)
        return i + 1, current_next, rebuilt

    _, angles, _ = tf.while_loop(lambda i, *_: i < n_iter, body, (tf.constant(0), angles, tf.zeros_like(angles)))
    return angles


def random_phases(shape, dtype=tf.complex64, seed=None, pairs=False):
    """Unit complex numbers with phases uniform in ``[0, 2 pi)`` (``tf.random.uniform``: TFLite's
    RANDOM_UNIFORM, a built-in op; a ``seed`` repeats the sequence of draws in a new process). With
    ``pairs``, float (cos, sin) pairs on a trailing axis of size 2 (``dtype`` then a float dtype)."""
    if not on_tensorflow():
        return neutral.random_phases(shape, dtype, seed, pairs)
    real_dtype = tf.float64 if dtype in (tf.complex128, tf.float64) else tf.float32
    phase = tf.random.uniform(shape, 0.0, 2 * np.pi, dtype=real_dtype, seed=seed)
    if pairs:
        return tf.stack([tf.cos(phase), tf.sin(phase)], axis=-1)
    return tf.complex(tf.cos(phase), tf.sin(phase))


def spectral_convergence(target, estimate):
    """``||target - estimate||_F / ||target||_F`` over the last two axes (0: equal magnitudes).

    Example:
        >>> float(spectral_convergence(tf.ones((3, 4)), tf.zeros((3, 4))))
        1.0
    """
    target, estimate = tf.convert_to_tensor(target), tf.convert_to_tensor(estimate)
    difference = tf.norm(target - tf.cast(estimate, target.dtype), axis=[-2, -1])
    return difference / tf.maximum(tf.norm(target, axis=[-2, -1]), np.finfo(target.dtype.as_numpy_dtype).tiny)


def nonnegative_least_squares(basis, targets, n_iter=100):
    """``x >= 0`` minimising ``||x @ basis - targets||`` over the last axis (projected gradient).

    Starts from the clipped pseudo-inverse solution (as ``librosa.util.nnls``) and takes
    ``n_iter`` projected gradient steps of ``1 / L`` (``L``: the largest eigenvalue of
    ``basis @ basis.T``), which cannot increase the residual; ``librosa.util.nnls`` runs L-BFGS-B
    to convergence from the same start instead (the problem is under-determined: solutions with
    equal residuals may differ).

    Args:
        basis (array): ``(n_unknowns, n_targets)`` float64 NumPy array (e.g. a filterbank
            ``(n_freq, n_mels)``); its pseudo-inverse and step are computed once, in NumPy.
        targets (float Tensor): ``(..., n_targets)``.
        n_iter (int): gradient steps, >= 0. Defaults to 100.

    Returns:
        float Tensor: ``(..., n_unknowns)``, non-negative.
    """
    if not on_tensorflow():
        return neutral.nonnegative_least_squares(basis, targets, n_iter)
    targets = tf.convert_to_tensor(targets)
    basis = np.asarray(basis, np.float64)
    dtype = targets.dtype
    step = 1.0 / np.linalg.eigvalsh(basis.T @ basis).max()  # the largest eigenvalues of B B^T and B^T B agree
    forward, backward = tf.constant(basis, dtype), tf.constant(basis.T * step, dtype)
    solution = tf.nn.relu(tf.tensordot(targets, tf.constant(np.linalg.pinv(basis), dtype), 1))

    def body(i, current):  # two thin products a step (not the n_unknowns^2 Gram matrix)
        residual = tf.tensordot(current, forward, 1) - targets
        updated = tf.nn.relu(current - tf.tensordot(residual, backward, 1))
        updated.set_shape(current.shape)
        return i + 1, updated

    # a loop in the graph, not unrolled: export and tracing time do not grow with n_iter
    _, solution = tf.while_loop(lambda i, _: i < n_iter, body, (tf.constant(0), solution))
    return solution
