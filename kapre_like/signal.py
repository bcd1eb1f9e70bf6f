"""Layers on waveforms: framing, frame energy, mu-law companding, and MFCCs from log-mel.

Kapre 0.4.1's ``kapre.signal`` with the same names, arguments and defaults. Waveform
batches are ``(batch, time, channels)`` ('channels_last') or ``(batch, channels, time)``
('channels_first'); ``'default'`` follows ``keras.config.image_data_format()``.
"""

import keras
import tensorflow as tf
from keras import InputSpec

from . import functional
from ._base import AudioLayer, register
from ._checks import check_choice, check_int, check_number
from ._layout import DataFormat

__all__ = ["Frame", "Energy", "MuLawEncoding", "MuLawDecoding", "LogmelToMFCC"]


def _check_pad_value(value, owner):
    check_number(value, "pad_value", owner, positive=False)


class _Framing(AudioLayer):
    """Shared configuration of :class:`Frame` and :class:`Energy`."""

    def __init__(self, frame_length, hop_length, pad_end, pad_value, data_format, **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        check_int(frame_length, "frame_length", owner)
        check_int(hop_length, "hop_length", owner)
        _check_pad_value(pad_value, owner)
        self.layout = DataFormat(data_format, "data_format", owner)
        self.frame_length = frame_length
        self.hop_length = hop_length
        self.pad_end = bool(pad_end)
        self.pad_value = pad_value
        self.data_format = self.layout.name
        self.time_axis = self.layout.time_axis
        self.input_spec = InputSpec(ndim=3)

    def _output_shape(self, input_shape, *per_frame):
        """``(batch, channels, frames, *per_frame)`` of ``input_shape``, in the layer's data format."""
        batch, channels, time = self.layout.split_shape(input_shape)
        frames = functional.frame_count(time, self.frame_length, self.hop_length, self.pad_end)
        return self.layout.join_shape(batch, channels, frames, *per_frame)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "frame_length": self.frame_length,
                "hop_length": self.hop_length,
                "pad_end": self.pad_end,
                "pad_value": self.pad_value,
                "data_format": self.layout.original,
            }
        )
        return config


@register
class Frame(_Framing):
    """Cut a batch of waveforms into overlapping frames (``tf.signal.frame`` along time).

    Frame ``t`` holds samples ``[t * hop_length, t * hop_length + frame_length)``, as
    ``librosa.util.frame`` (with the frame axis before the sample axis).

    Args:
        frame_length (int): samples per frame, >= 1.
        hop_length (int): samples between frame starts, >= 1 (may exceed ``frame_length``,
            which skips samples; Kapre forbade it).
        pad_end (bool): pad the end with ``pad_value`` so that every sample is in a frame;
            then there are ``ceil(time / hop_length)`` frames, else
            ``1 + (time - frame_length) // hop_length``. Defaults to False.
        pad_value (int or float): value of the end padding. Defaults to 0.
        data_format (str): 'channels_last', 'channels_first' or 'default'.
        **kwargs: Keras layer arguments.

    Input: ``(batch, time, ch)`` or ``(batch, ch, time)``.
    Output: ``(batch, frames, frame_length, ch)`` or ``(batch, ch, frames, frame_length)``.

    Raises:
        TypeError, ValueError: a length is not a positive integer, ``pad_value`` is not a
            number, or ``data_format`` is unknown.

    Example:
        >>> Frame(frame_length=1024, hop_length=512, data_format='channels_last')(tf.zeros((1, 2048, 1))).shape
        TensorShape([1, 3, 1024, 1])
    """

    def __init__(self, frame_length, hop_length, pad_end=False, pad_value=0, data_format="default", **kwargs):
        super().__init__(frame_length, hop_length, pad_end, pad_value, data_format, **kwargs)

    def call(self, inputs):
        signals = inputs
        if not functional.on_tensorflow():
            return functional.neutral.frame_along(signals, self.frame_length, self.hop_length, self.time_axis,
                                                  self.pad_end, self.pad_value)
        if self.pad_end:
            # the end padding spelled out: tf2onnx converts tf.signal.frame's own pad_end one frame short
            time = signals.shape[self.time_axis]
            paddings = [[0, 0]] * 3
            paddings[self.time_axis] = [0, functional.end_padding(
                time if time is not None else tf.shape(signals)[self.time_axis], self.frame_length, self.hop_length)]
            signals = tf.pad(signals, paddings, constant_values=tf.cast(self.pad_value, signals.dtype))
        return tf.signal.frame(signals, self.frame_length, self.hop_length, axis=self.time_axis)

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape, self.frame_length)

    def compute_output_spec(self, inputs):  # frames of any dtype, integer codes included
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=inputs.dtype)


@register
class Energy(_Framing):
    """Energy of each frame of a batch of waveforms, normalised to ``ref_duration`` seconds.

    ``sum(frame**2) * ref_duration / (frame_length / sample_rate)``, i.e. the mean square
    of the frame times the number of samples in ``ref_duration`` (Kapre's scaling).

    Args:
        sample_rate (number): samples per second, > 0. Defaults to 22050.
        ref_duration (float): seconds the energy is expressed per, > 0. Defaults to 0.1.
        frame_length (int): samples per frame. Defaults to 2205 (0.1 s at 22050 Hz).
        hop_length (int): samples between frames. Defaults to 1102.
        pad_end (bool), pad_value (number), data_format (str): as in :class:`Frame`.
        **kwargs: Keras layer arguments.

    Input: ``(batch, time, ch)`` or ``(batch, ch, time)``.
    Output: ``(batch, frames, ch)`` or ``(batch, ch, frames)``.

    Raises:
        TypeError, ValueError: a size or rate is not a positive number, or ``data_format``
            is unknown.

    Example:
        >>> Energy(data_format='channels_last')(tf.ones((1, 4410, 1))).numpy()[0, :, 0]
        array([2205., 2205., 2205.], dtype=float32)
    """

    def __init__(
        self,
        sample_rate=22050,
        ref_duration=0.1,
        frame_length=2205,
        hop_length=1102,
        pad_end=False,
        pad_value=0,
        data_format="default",
        **kwargs,
    ):
        super().__init__(frame_length, hop_length, pad_end, pad_value, data_format, **kwargs)
        check_number(sample_rate, "sample_rate", "Energy")
        check_number(ref_duration, "ref_duration", "Energy")
        self.sample_rate = sample_rate
        self.ref_duration = ref_duration

    def call(self, inputs):
        return self.cast_output(functional.frame_energy(
            self._float_input(inputs),
            self.frame_length,
            self.hop_length,
            self.sample_rate,
            self.ref_duration,
            pad_end=self.pad_end,
            pad_value=self.pad_value,
            axis=self.time_axis,
        ))

    def compute_output_shape(self, input_shape):
        return self._output_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"sample_rate": self.sample_rate, "ref_duration": self.ref_duration})
        return config


class _MuLaw(keras.layers.Layer):
    """Shared configuration of the mu-law layers."""

    def __init__(self, quantization_channels, **kwargs):
        kwargs.setdefault("autocast", False)  # float64 stays float64; float32 is not squashed to float16 by a mixed policy
        super().__init__(**kwargs)
        owner = type(self).__name__
        check_int(quantization_channels, "quantization_channels", owner, minimum=2)
        if quantization_channels > 65536:
            raise ValueError(
                f"{owner}: `quantization_channels` must be <= 65536 (16-bit codes); got {quantization_channels}."
            )
        self.quantization_channels = quantization_channels

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"quantization_channels": self.quantization_channels})
        return config


@register
class MuLawEncoding(_MuLaw):
    """Mu-law compress a signal in [-1, 1] to integer codes in ``[0, quantization_channels - 1]``.

    ``c = sign(x) * log1p(mu * |x|) / log1p(mu)`` with ``mu = quantization_channels - 1``
    (``librosa.mu_compress(x, mu, quantize=False)``), then ``floor((c + 1) / 2 * mu + 0.5)``
    as int32, Kapre's and torchaudio's quantisation (WaveNet uses 256 channels). Input outside
    [-1, 1] is clipped to it (librosa raises; Kapre returned codes outside the range).

    Args:
        quantization_channels (int): number of codes, 2 ... 65536.
        **kwargs: Keras layer arguments.

    Input: float tensor of any shape. Output: int32 tensor of the same shape.

    Example:
        >>> MuLawEncoding(256)(tf.constant([-1.0, 0.0, 0.5, 1.0])).numpy()
        array([  0, 128, 239, 255], dtype=int32)
    """

    def call(self, inputs):
        if keras.backend.standardize_dtype(inputs.dtype) in ("float16", "bfloat16"):  # float16 rounds codes near
            inputs = keras.ops.cast(inputs, "float32")  # their boundaries
        return functional.mu_law_encode(inputs, self.quantization_channels)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype="int32")


@register
class MuLawDecoding(_MuLaw):
    """Expand mu-law codes in ``[0, quantization_channels - 1]`` back to floats in [-1, 1].

    Inverts :class:`MuLawEncoding` up to its quantisation: the code ``q`` becomes
    ``c = 2 q / mu - 1`` and then ``librosa.mu_expand(c, mu, quantize=False)``.

    Args:
        quantization_channels (int): number of codes, 2 ... 65536.
        **kwargs: Keras layer arguments (``dtype`` sets the output float type).

    Input: integer (or float) tensor of any shape. Output: float tensor of the same shape.

    Example:
        >>> MuLawDecoding(256)(tf.constant([0, 255])).numpy()
        array([-1.,  1.], dtype=float32)
    """

    def call(self, inputs):
        return functional.mu_law_decode(inputs, self.quantization_channels, dtype=self.compute_dtype)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape, dtype=self.compute_dtype)


@register
class LogmelToMFCC(AudioLayer):
    """MFCCs from a batch of log-mel spectrograms: a DCT-II over the mel axis, first ``n_mfccs`` kept.

    Equal to ``tf.signal.mfccs_from_log_mel_spectrograms(...)[..., :n_mfccs]`` (Kapre's
    layer) and to ``librosa.feature.mfcc(S=log_mel, n_mfcc=n_mfccs, norm='ortho')`` except
    coefficient 0, which is ``sqrt(2)`` times librosa's (the HTK scaling TensorFlow uses);
    with ``norm='ortho'``, equal to librosa's in every coefficient.
    Only the ``n_mfccs`` needed rows of the DCT are computed, as one matrix product, with the
    mean of each frame taken out first and put back into coefficient 0
    (:func:`kapre_like.functional.mfcc`), so that quiet audio (log-mels far below 0 dB) keeps
    its float32 precision.

    Args:
        n_mfccs (int): coefficients kept, 1 ... number of mel bins. Defaults to 20.
        data_format (str): 'channels_last' for ``(batch, time, mel, ch)``,
            'channels_first' for ``(batch, ch, time, mel)``, or 'default'.
        norm (None or str): the DCT's scaling: None (TensorFlow's and Kapre's, the default) or
            ``'ortho'`` (orthonormal, librosa's and scipy's).
        **kwargs: Keras layer arguments.

    Output: ``(batch, time, n_mfccs, ch)`` or ``(batch, ch, time, n_mfccs)``.

    Raises:
        TypeError, ValueError: ``n_mfccs`` is not a positive integer or ``data_format`` is
            unknown; at build, ``n_mfccs`` exceeds the number of mel bins.

    Example:
        >>> LogmelToMFCC(n_mfccs=13, data_format='channels_last')(tf.zeros((2, 40, 128, 1))).shape
        TensorShape([2, 40, 13, 1])
    """

    frame_wise = True  # a DCT of each frame's bands

    def __init__(self, n_mfccs=20, data_format="default", norm=None, **kwargs):
        super().__init__(**kwargs)
        check_int(n_mfccs, "n_mfccs", "LogmelToMFCC")
        self.layout = DataFormat(data_format, "data_format", "LogmelToMFCC")
        if norm is not None:
            check_choice(norm, "norm", ("ortho",), "LogmelToMFCC (or None)")
        self.norm = norm
        self.n_mfccs = n_mfccs
        self.data_format = self.layout.name
        self.mel_axis = self.layout.freq_axis
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        n_mels = input_shape[self.mel_axis]
        if n_mels is None:
            raise ValueError(f"LogmelToMFCC: the mel axis (axis {self.mel_axis}) must have a known size; got shape "
                             f"{tuple(input_shape)}.")
        if self.n_mfccs > n_mels:
            raise ValueError(
                f"LogmelToMFCC: `n_mfccs` must be <= the number of mel bins ({n_mels}, axis {self.mel_axis} of input "
                f"shape {tuple(input_shape)}); got n_mfccs={self.n_mfccs}."
            )
        self.input_spec = InputSpec(ndim=4, axes={self.mel_axis: n_mels})

    def call(self, inputs):
        return self.cast_output(functional.mfcc(self._float_input(inputs), self.n_mfccs, axis=self.mel_axis,
                                                norm=self.norm))

    def compute_output_shape(self, input_shape):
        batch, channels, time, _ = self.layout.split_shape(input_shape)
        return self.layout.join_shape(batch, channels, time, self.n_mfccs)

    def get_config(self):
        config = super().get_config()
        config.update({"n_mfccs": self.n_mfccs, "data_format": self.layout.original, "norm": self.norm})
        return config

