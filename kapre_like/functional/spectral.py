"""From complex spectra to real ones: magnitude (raised to a power) and phase, for complex tensors
and for the (real, imaginary) pairs of the TFLite route."""

import numpy as np
import tensorflow as tf
from keras import ops

from . import neutral
from .routes import on_tensorflow, real_arithmetic_only


def magnitude(stfts):
    """Absolute value of a complex tensor, as a real tensor of the matching precision (``tf.abs``;
    its gradient at 0 is 0; within :func:`~kapre_like.functional.routes.real_arithmetic`, the
    root of the squared real and imaginary parts)."""
    if not on_tensorflow():
        return neutral.magnitude(stfts)
    if real_arithmetic_only():
        return powered_magnitude(stfts, 1)
    return tf.abs(stfts)


def powered_magnitude(stfts, power=2.0):
    """``|stfts| ** power`` as a real tensor (1: magnitude, 2: power), gradient 0 (not NaN) at 0.

    From the real and imaginary parts: the power is ``real**2 + imag**2`` (which overflows where
    ``|z| ** 2`` does), the magnitude its square root, half as many passes over memory as
    ``tf.abs`` of a complex tensor (a careful ``hypot``) -- 6 of the 48 ms of the reference
    log-mel front end. The magnitude thus overflows from ``|z|`` about ``1.8e19`` in float32 (not
    ``3.4e38``), which the front ends report as an error. Other powers go through
    :func:`powered_magnitude_from_power`.

    Example:
        >>> powered_magnitude(tf.constant([3 + 4j], tf.complex64), power=1).numpy()
        array([5.], dtype=float32)
    """
    if not on_tensorflow():
        return neutral.powered_magnitude(stfts, power)
    real, imag = tf.math.real(stfts), tf.math.imag(stfts)
    if power == 1:
        return _hypot(real, imag)
    power_spectrum = tf.square(real) + tf.square(imag)
    return powered_magnitude_from_power(power_spectrum, float(power))


@tf.custom_gradient
def _hypot(real, imag):
    """``sqrt(real**2 + imag**2)``, whose gradient is 0 (not NaN) where both parts are 0."""
    magnitudes = tf.sqrt(tf.square(real) + tf.square(imag))

    def gradient(upstream):
        scale = tf.math.divide_no_nan(upstream, magnitudes)
        return scale * real, scale * imag

    return magnitudes, gradient


def powered_magnitude_from_power(power_spectrum, power):
    """``|z| ** power`` from the power spectrum ``|z| ** 2``: ``power_spectrum ** (power / 2)``,
    gradient 0 at 0.

    At ``power_spectrum = 0`` the derivative of a root is infinite; a silent bin then gets
    gradient 0 instead of NaN (the root is taken of 1 there and the result replaced by 0). NaN
    and Inf pass through, so that bad values stay visible downstream. ``power`` is a Python
    number; 1 is a square root, 2 returns ``power_spectrum`` itself.
    """
    if power == 2:
        return power_spectrum
    half = float(power) / 2.0
    silent = tf.equal(power_spectrum, 0)
    safe = tf.where(silent, tf.ones_like(power_spectrum), power_spectrum)
    return tf.where(silent, tf.zeros_like(power_spectrum), tf.sqrt(safe) if half == 0.5 else tf.pow(safe, half))


def one_sided_weights(n_fft):
    """Per-bin factor that folds the negative frequencies of a real signal's spectrum onto the
    positive ones: 1 for DC (and Nyquist when ``n_fft`` is even), 2 elsewhere (``n_fft // 2 + 1`` values)."""
    weights = np.full(n_fft // 2 + 1, 2.0)
    weights[0] = 1.0
    if n_fft % 2 == 0:
        weights[-1] = 1.0
    return weights


def atan2(y, x):
    """``tf.math.atan2(y, x)`` whose gradient is 0, not NaN, where ``x = y = 0``.

    The angle is undefined there, so no direction of change is preferred; everywhere else
    the gradient is the usual ``(x, -y) / (x**2 + y**2)``. The forward op is TensorFlow's
    ATAN2 (a TFLite built-in). A zero ``y`` counts as +0: a purely real negative bin has the
    angle +pi whatever the sign of its zero (an FFT may give -0, a matrix product +0; ONNX's
    conversion of ATAN2 gives +pi for both), so TensorFlow, TFLite and ONNX agree.
    """
    if not on_tensorflow():
        return neutral.atan2(y, x)
    return _atan2(y, x)


@tf.custom_gradient
def _atan2(y, x):
    """TensorFlow's :func:`atan2` and its gradient."""
    angle = tf.math.atan2(tf.where(tf.equal(y, 0), tf.zeros_like(y), y), x)

    def gradient(upstream):
        radius_sq = tf.square(x) + tf.square(y)
        safe = tf.where(radius_sq > 0, radius_sq, tf.ones_like(radius_sq))
        scale = tf.where(radius_sq > 0, upstream / safe, tf.zeros_like(upstream))
        return scale * x, -scale * y

    return angle, gradient


#: More continued-fraction terms than this change no float64 digit of :func:`approx_atan2`.
ATAN_TERMS_LIMIT = 20


def approx_atan2(y, x, n_terms=ATAN_TERMS_LIMIT):
    """``atan2(y, x)`` in radians from elementary arithmetic (no ATAN op), for TFLite.

    The ratio ``min(|x|, |y|) / max(|x|, |y|)`` lies in [0, 1], where the continued fraction
    of arctan (Kapre's ``approx_atan_accuracy`` iterations) converges fast: 4 terms are
    within 2e-4 rad, 8 within 2e-7, 12 within float32 rounding. The octant is then restored
    from the signs and the ordering of ``|x|`` and ``|y|``. Terms beyond
    :data:`ATAN_TERMS_LIMIT` add nothing and are not computed. ``atan2(0, 0)`` is 0.

    Args:
        y, x (float Tensor): imaginary and real parts, same shape and dtype.
        n_terms (int): continued-fraction terms, >= 1.

    Example:
        >>> float(approx_atan2(tf.constant(-1.0), tf.constant(-1.0)))  # -3 pi / 4
        -2.356194...
    """
    n_terms = min(int(n_terms), ATAN_TERMS_LIMIT)  # (keras.ops: every backend)
    abs_x, abs_y = ops.abs(x), ops.abs(y)
    larger = ops.maximum(abs_x, abs_y)
    ratio = ops.minimum(abs_x, abs_y) / ops.where(larger > 0, larger, ops.ones_like(larger))
    ratio_sq = ratio * ratio
    denominator = ops.full_like(ratio, 2 * n_terms + 1)
    for k in range(n_terms, 0, -1):
        denominator = (2 * k - 1) + (k * k) * ratio_sq / denominator
    angle = ratio / denominator
    angle = ops.where(abs_y > abs_x, np.pi / 2 - angle, angle)
    angle = ops.where(x < 0, np.pi - angle, angle)
    return ops.where(y < 0, -angle, angle)


def _angle(imag, real, approx_atan_terms):
    return approx_atan2(imag, real, approx_atan_terms) if approx_atan_terms else atan2(imag, real)


def phase(stfts, approx_atan_terms=None):
    """Angle of a complex tensor in radians, in ``[-pi, pi]`` (``+pi`` for a negative real number,
    whatever the sign of its zero imaginary part).

    With ``approx_atan_terms`` (an int), :func:`approx_atan2` with that many terms instead
    of the exact angle: the numbers :func:`phase_of_pairs` gives inside a TFLite model.
    """
    if not on_tensorflow():
        return neutral.phase(stfts, approx_atan_terms)
    return _angle(tf.math.imag(stfts), tf.math.real(stfts), approx_atan_terms)


def magnitude_of_pairs(pairs):
    """:func:`magnitude` of complex numbers stored as a trailing (real, imaginary) axis; gradient 0
    (not NaN) at 0, as :func:`magnitude`'s.

    Example:
        >>> magnitude_of_pairs(tf.constant([[3.0, 4.0]])).numpy()
        array([5.], dtype=float32)
    """
    return _hypot(pairs[..., 0], pairs[..., 1])


def powered_magnitude_of_pairs(pairs, power=2.0):
    """:func:`powered_magnitude` of complex numbers stored as a trailing (real, imaginary) axis:
    ``(real**2 + imag**2) ** (power / 2)``, gradient 0 at 0 (built-in TFLite ops only)."""
    if not on_tensorflow():
        return neutral.powered_magnitude_from_power(pairs[..., 0] ** 2 + pairs[..., 1] ** 2, power)
    return powered_magnitude_from_power(tf.reduce_sum(tf.square(pairs), axis=-1), power)


def phase_of_pairs(pairs, approx_atan_terms=None):
    """:func:`phase` of complex numbers stored as a trailing (real, imaginary) axis.

    The exact angle is :func:`atan2`, TFLite's built-in ATAN2 op.
    """
    return _angle(pairs[..., 1], pairs[..., 0], approx_atan_terms)
