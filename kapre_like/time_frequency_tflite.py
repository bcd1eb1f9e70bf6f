"""TFLite-ready versions of :class:`STFT`, :class:`InverseSTFT`, :class:`Magnitude` and :class:`Phase`.

TensorFlow Lite has no complex dtype and no built-in FFT, so these layers hold complex
numbers as a trailing axis of size 2 (real, imaginary) and compute the STFT as one strided
convolution with a windowed DFT kernel (:func:`kapre_like.functional.stft_pairs`). A model
made of them converts with ``tf.lite.TFLiteConverter`` using **built-in ops only** (no
Select TF ops, no Flex delegate) and runs in ``tf.lite.Interpreter`` for **any batch size**
and, when the input's time axis is ``None``, any signal length (resize the interpreter's
input). Kapre's versions are fixed to batch 1 and need Select TF ops.

None of these layers has weights, so a model trained with :class:`STFT`,
:class:`Magnitude` and :class:`Phase` moves over with ``tflite_model.set_weights(
trained_model.get_weights())`` after swapping these layers in.

Output layouts of :class:`STFTTflite`: ``(batch, time, freq, channels, 2)`` for
``'channels_last'`` and ``(batch, channels, time, freq, 2)`` for ``'channels_first'``; what
:class:`InverseSTFTTflite` takes.

Example:
    >>> model = keras.Sequential([keras.Input((4000, 1)),
    ...                           STFTTflite(n_fft=512, hop_length=256, output_data_format='channels_last'),
    ...                           MagnitudeTflite()])
    >>> converter = tf.lite.TFLiteConverter.from_keras_model(model)  # doctest: +SKIP
    >>> converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # doctest: +SKIP
    >>> tflite_bytes = converter.convert()  # doctest: +SKIP
    >>> model.output_shape
    (None, 14, 257, 1)
"""

import keras
import tensorflow as tf
from keras import InputSpec

from . import functional
from ._base import TFLITE_ONLY, register
from ._checks import check_float_input
from .time_frequency import STFT, InverseSTFT, Magnitude, Phase

# Kapre's names exactly (tests/test_kapre_compat.py); InverseSTFTTflite, which Kapre lacks, is exported at
# the top level of kapre_like
__all__ = ["STFTTflite", "MagnitudeTflite", "PhaseTflite"]

_PAIR_AXIS_SPEC = InputSpec(min_ndim=1, axes={-1: 2})


@register(tensorflow_only=TFLITE_ONLY)
class STFTTflite(STFT):
    """:class:`STFT` with a real output whose last axis of size 2 holds (real, imaginary).

    Same arguments, defaults, frames and values as :class:`STFT` (within float32 rounding of
    a direct DFT: about 1e-4 for unit-scale input and ``n_fft`` 1000); built from TFLite
    built-in ops only. See the module documentation for the layouts.

    Example:
        >>> layer = STFTTflite(n_fft=1024, hop_length=512, input_data_format='channels_last',
        ...                    output_data_format='channels_last')
        >>> layer(tf.zeros((2, 2048, 1))).shape
        TensorShape([2, 3, 513, 1, 2])
    """

    fuses = False  # its call is the TFLite route, which the fused chain does not compute

    def call(self, inputs):
        check_float_input(inputs, type(self).__name__, "a real floating-point waveform")
        # NaN or Inf raise when TensorFlow runs the layer; a TFLite conversion drops the check (no built-in op)
        inputs = functional.check_finite(inputs, self.finite_message)
        waveforms = functional.pad_time(self.input_format.to_channels_first(inputs), begin=self.pad_begin_length)
        waveforms, frame_length, window = functional.centered_framing(
            waveforms, self.n_fft, self.win_length, self.window, self.center, self.pad_mode, hop_length=self.hop_length)
        stfts = functional.stft_pairs(
            waveforms, self.n_fft, frame_length, self.hop_length, window, self.pad_end
        )  # (batch, ch, time, freq, 2)
        if self.output_format.channels_last:
            stfts = tf.transpose(stfts, (0, 2, 3, 1, 4))
        return stfts

    def compute_output_shape(self, input_shape):
        return tuple(super().compute_output_shape(input_shape)) + (2,)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)


@register(tensorflow_only=TFLITE_ONLY)
class InverseSTFTTflite(InverseSTFT):
    """:class:`InverseSTFT` of complex numbers held as a trailing (real, imaginary) axis.

    Same arguments, defaults and values as :class:`InverseSTFT` (within float32 rounding); the
    inverse real DFT is one matrix product (:func:`kapre_like.functional.inverse_stft_of_pairs`),
    so a model made of :class:`STFTTflite`, a mask on the pairs and this layer converts to TFLite
    with built-in ops only. Input: what :class:`STFTTflite` gives, ``(batch, time, freq, channels,
    2)`` or ``(batch, channels, time, freq, 2)`` as ``input_data_format`` says.

    Example:
        >>> stft = STFTTflite(n_fft=512, hop_length=128, input_data_format='channels_last',
        ...                   output_data_format='channels_last')
        >>> istft = InverseSTFTTflite(n_fft=512, hop_length=128, input_data_format='channels_last',
        ...                           output_data_format='channels_last')
        >>> istft(stft(tf.zeros((1, 2048, 1)))).shape
        TensorShape([1, 2048, 1])
    """

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.input_spec = InputSpec(ndim=5, axes={self.input_format.freq_axis: self.n_fft // 2 + 1, -1: 2})

    def call(self, inputs):
        check_float_input(inputs, type(self).__name__, "(real, imaginary) pairs of floats on a last axis of size 2")
        pairs = inputs if not self.input_format.channels_last else tf.transpose(inputs, (0, 3, 1, 2, 4))
        waveforms = functional.inverse_stft_of_pairs(pairs, self.n_fft, self.win_length, self.hop_length, self.window,
                                                     center=self.center, length=self.length)
        return self.cast_output(self.output_format.from_channels_first(waveforms))

    def compute_output_shape(self, input_shape):
        return self.synthesized_shape(tuple(input_shape)[:-1])

    def compute_output_spec(self, inputs):
        check_float_input(inputs, type(self).__name__, "(real, imaginary) pairs of floats on a last axis of size 2")
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self._output_dtype(inputs.dtype))


@register(tensorflow_only=TFLITE_ONLY)
class MagnitudeTflite(Magnitude):
    """:class:`Magnitude` of complex numbers held as a trailing (real, imaginary) axis.

    Input ``(..., 2)``, output ``(...)``: ``sqrt(real**2 + imag**2)``, to the ``power`` of :class:`Magnitude`.

    Example:
        >>> MagnitudeTflite()(tf.constant([[3.0, 4.0]])).numpy()
        array([5.], dtype=float32)
    """

    fuses = False  # its call is the TFLite route, which the fused chain does not compute

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.input_spec = _PAIR_AXIS_SPEC

    def call(self, inputs):
        check_float_input(inputs, type(self).__name__, "(real, imaginary) pairs of floats on a last axis of size 2")
        if self.power == 1:
            return functional.magnitude_of_pairs(inputs)
        return functional.powered_magnitude_of_pairs(inputs, self.power)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)


@register(tensorflow_only=TFLITE_ONLY)
class PhaseTflite(Phase):
    """:class:`Phase` of complex numbers held as a trailing (real, imaginary) axis.

    Input ``(..., 2)``, output ``(...)`` in radians. With ``approx_atan_accuracy=None``
    the angle is ``atan2``, which TFLite has built in; with an int it is the continued-
    fraction approximation of :class:`Phase` with the same argument (same numbers).

    Args:
        approx_atan_accuracy (int or None): as in :class:`Phase`.

    Example:
        >>> PhaseTflite(approx_atan_accuracy=12)(tf.constant([[-1.0, -1.0]])).numpy()
        array([-2.3561945], dtype=float32)
    """

    def __init__(self, approx_atan_accuracy=None, **kwargs):
        super().__init__(approx_atan_accuracy=approx_atan_accuracy, **kwargs)
        self.input_spec = _PAIR_AXIS_SPEC

    def call(self, inputs):
        check_float_input(inputs, type(self).__name__, "(real, imaginary) pairs of floats on a last axis of size 2")
        return functional.phase_of_pairs(inputs, self.approx_atan_accuracy)

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1])

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)
