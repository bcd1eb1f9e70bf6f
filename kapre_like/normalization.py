"""Normalisation of spectrograms: per-channel energy normalisation (:class:`PCEN`).

Kapre has no such layer; it is here, not in :mod:`kapre_like.signal`, so that Kapre's modules keep
exactly Kapre's names. The DSP is :func:`kapre_like.functional.pcen`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import InputSpec

from . import functional
from ._base import AudioLayer, register
from ._checks import check_int, check_number
from ._layout import DataFormat
from .functional.finite import checked_nonnegative

__all__ = ["PCEN"]


@register
class PCEN(AudioLayer):
    """Per-channel energy normalisation of a magnitude or mel spectrogram (``librosa.pcen``).

    ``PCEN(E) = (E / (eps + M) ** gain + bias) ** power - bias ** power``, with ``M`` the energies
    smoothed along time by ``M[t] = (1 - b) M[t - 1] + b E[t]`` (``M[-1] = 1``, librosa's default
    state). ``b`` comes from ``time_constant`` (seconds), ``sample_rate`` and ``hop_length`` as
    librosa computes it. With ``trainable=True`` the four parameters become per-channel weights
    (one per frequency bin), learnt through their logarithms so that they stay positive (LEAF,
    Zeghidour et al. 2021), starting at the given values.

    Streaming: the only state is the last smoothed frame ``M[t]`` per channel (and batch item).

    Args:
        sample_rate (int): Hz. Defaults to 22050.
        hop_length (int): samples between frames. Defaults to 512.
        gain (float): ``alpha``, > 0 (usually below 1). Defaults to 0.98.
        bias (float): ``delta``, > 0. Defaults to 2.
        power (float): ``r``, > 0. Defaults to 0.5.
        time_constant (float): the smoother's time constant in seconds, > 0. Defaults to 0.4.
        eps (float): floor of the smoothed energy, > 0. Defaults to 1e-6.
        trainable (bool): learn per-channel ``gain``, ``bias``, ``power`` and ``b``. Defaults to False.
        data_format (str): ``'channels_last'`` for ``(batch, time, freq, ch)``, ``'channels_first'``
            for ``(batch, ch, time, freq)``, or ``'default'``.
        **kwargs: Keras layer arguments.

    Input: non-negative energies (linear scale, not decibels); negative, NaN or Inf values raise
    ``tf.errors.InvalidArgumentError`` naming which, when computed (outside TFLite and ONNX, which
    drop assertions). Output: the same shape.

    Example:
        >>> PCEN(sample_rate=16000, hop_length=160, data_format='channels_last')(tf.ones((1, 50, 40, 1))).shape
        TensorShape([1, 50, 40, 1])
    """

    def __init__(self, sample_rate=22050, hop_length=512, gain=0.98, bias=2.0, power=0.5, time_constant=0.4,
                 eps=1e-6, trainable=False, data_format="default", **kwargs):
        super().__init__(trainable=trainable, **kwargs)
        owner = type(self).__name__
        check_int(sample_rate, "sample_rate", owner)
        check_int(hop_length, "hop_length", owner)
        for name, value in (("gain", gain), ("bias", bias), ("power", power), ("time_constant", time_constant),
                            ("eps", eps)):
            check_number(value, name, owner)
        self.sample_rate, self.hop_length = sample_rate, hop_length
        self.gain, self.bias, self.power, self.time_constant, self.eps = gain, bias, power, time_constant, eps
        self.coefficient = functional.pcen_smoothing_coefficient(sample_rate, hop_length, time_constant)
        self.layout = DataFormat(data_format, "data_format", owner)
        self.data_format = self.layout.name
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        if not self.trainable:
            return
        channels = input_shape[self.layout.freq_axis]
        if channels is None:
            raise ValueError(f"PCEN(trainable=True): the frequency axis (axis {self.layout.freq_axis}) must have a "
                             f"known size; got shape {tuple(input_shape)}.")

        def log_weight(name, value):
            return self.add_weight(name=f"log_{name}", shape=(channels,),
                                   initializer=keras.initializers.Constant(float(np.log(value))), autocast=False)

        self.log_gain, self.log_bias = log_weight("gain", self.gain), log_weight("bias", self.bias)
        self.log_power, self.log_coefficient = log_weight("power", self.power), log_weight("b", self.coefficient)

    def call(self, inputs):
        energies = self.layout.to_channels_first(self._float_input(inputs))  # (batch, ch, time, freq)
        # PCEN's logarithms turn a negative energy into NaN: say so instead of returning it
        energies = checked_nonnegative(energies, "PCEN: the input energies must be >= 0 and finite (a magnitude, "
                                                 "power or mel spectrogram on a linear scale, not decibels)")
        if self.trainable:
            parameters = [keras.ops.exp(keras.ops.cast(weight, energies.dtype)) for weight in
                          (self.log_coefficient, self.log_gain, self.log_bias, self.log_power)]
            parameters[0] = keras.ops.minimum(parameters[0], 1.0)  # b in (0, 1]: the smoother stays stable
        else:
            parameters = [self.coefficient, self.gain, self.bias, self.power]
        coefficient, gain, bias, power = parameters
        out = functional.pcen(energies, coefficient, gain, bias, power, self.eps)
        return self.cast_output(self.layout.from_channels_first(out))

    def compute_output_shape(self, input_shape):
        return tuple(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"sample_rate": self.sample_rate, "hop_length": self.hop_length, "gain": self.gain,
                       "bias": self.bias, "power": self.power, "time_constant": self.time_constant, "eps": self.eps,
                       "data_format": self.layout.original})
        return config
