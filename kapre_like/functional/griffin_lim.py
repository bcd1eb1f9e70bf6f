"""Phase reconstruction: (fast) Griffin-Lim from magnitudes, and magnitudes from a mel spectrogram.

The iteration is ``librosa.griffinlim``'s (and ``torchaudio``'s): synthesise with the current
phases, analyse again, push the phases past the new estimate by ``momentum / (1 + momentum)``
of the previous one (fast Griffin-Lim, Perraudin et al. 2013; ``momentum=0`` is the original
algorithm), normalise to unit modulus. Plain TensorFlow ops: the loop is unrolled in a graph,
so it exports and converts to TFLite with built-in ops.
"""

import numpy as np
import tensorflow as tf

from .fourier import inverse_stft, stft
from .tensors import float_dtype_of


def _complex_dtype(dtype):
    return tf.complex128 if dtype == tf.float64 else tf.complex64


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
    signals = inverse_stft(magnitudes * angles, n_fft, win_length, hop_length, window, center=center,
                           window_sum=True)
    rebuilt = stft(signals, n_fft, win_length, hop_length, window, center=center, pad_mode=pad_mode)
    angles = rebuilt if previous is None or momentum == 0 else rebuilt - (momentum / (1 + momentum)) * previous
    modulus = tf.abs(angles) + np.finfo(float_dtype_of(angles.dtype).as_numpy_dtype).tiny
    return angles / tf.cast(modulus, angles.dtype), rebuilt


def griffin_lim(magnitudes, n_fft, win_length, hop_length, window=None, n_iter=32, momentum=0.99, angles=None,
                center=False, pad_mode="constant", length=None):
    """Waveforms whose STFT magnitudes approach ``magnitudes`` (``librosa.griffinlim``'s iteration).

    Args:
        magnitudes (float Tensor): ``(..., frames, n_fft // 2 + 1)``, non-negative.
        n_fft (int): FFT size of the STFT the magnitudes are (or should be) of.
        win_length (int): its frame length, ``<= n_fft``.
        hop_length (int): its hop.
        window: its analysis window, as :func:`stft` takes it. Defaults to None, the periodic Hann.
        n_iter (int): iterations, >= 1. Defaults to 32.
        momentum (float): fast Griffin-Lim's momentum, >= 0 (0: the original algorithm). Defaults to 0.99.
        angles (complex Tensor or None): the initial unit phases, the shape of ``magnitudes``; None
            (the default) starts from zero phase.
        center (bool): frames centred on ``t * hop_length`` (:func:`stft`'s ``center``). Defaults to False.
        pad_mode (str): with ``center``, ``'constant'`` (librosa's default) or ``'reflect'`` (torch's).
        length (int or None): the number of samples to return. Defaults to the STFT's natural length:
            ``(frames - 1) * hop_length`` with ``center``, ``+ win_length`` without.

    Returns:
        float Tensor: ``(..., samples)``.

    Example:
        >>> x = tf.sin(tf.range(4096, dtype=tf.float32) * 0.05)[tf.newaxis]
        >>> target = tf.abs(stft(x, 512, 512, 128, center=True))
        >>> y = griffin_lim(target, 512, 512, 128, n_iter=16, center=True, length=4096)
        >>> y.shape, float(spectral_convergence(target, tf.abs(stft(y, 512, 512, 128, center=True)))[0]) < 0.06
        (TensorShape([1, 4096]), True)
    """
    magnitudes = tf.convert_to_tensor(magnitudes)
    complex_dtype = _complex_dtype(magnitudes.dtype)
    target = tf.cast(magnitudes, complex_dtype)
    angles = tf.ones_like(target) if angles is None else tf.cast(angles, complex_dtype)
    previous = None
    for _ in range(n_iter):
        angles, previous = griffin_lim_step(target, angles, previous, n_fft, win_length, hop_length, window,
                                            momentum, center, pad_mode)
    return inverse_stft(target * angles, n_fft, win_length, hop_length, window, center=center, length=length,
                        window_sum=True)


def random_phases(shape, dtype=tf.complex64, seed=None):
    """Unit complex numbers with phases uniform in ``[0, 2 pi)`` (``tf.random.uniform``: TFLite's
    RANDOM_UNIFORM, a built-in op; a ``seed`` repeats the sequence of draws in a new process)."""
    real_dtype = tf.float64 if dtype == tf.complex128 else tf.float32
    phase = tf.random.uniform(shape, 0.0, 2 * np.pi, dtype=real_dtype, seed=seed)
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
    targets = tf.convert_to_tensor(targets)
    basis = np.asarray(basis, np.float64)
    dtype = targets.dtype
    step = 1.0 / np.linalg.eigvalsh(basis.T @ basis).max()  # the largest eigenvalues of B B^T and B^T B agree
    forward, backward = tf.constant(basis, dtype), tf.constant(basis.T * step, dtype)
    solution = tf.nn.relu(tf.tensordot(targets, tf.constant(np.linalg.pinv(basis), dtype), 1))
    for _ in range(n_iter):  # two thin products a step (not the n_unknowns^2 Gram matrix)
        residual = tf.tensordot(solution, forward, 1) - targets
        solution = tf.nn.relu(solution - tf.tensordot(residual, backward, 1))
    return solution
