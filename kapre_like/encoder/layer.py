"""The encoder's in-graph part as a Keras layer: :class:`AudioSpectrogram` (build it with
``AudioSpectrogramEncoder.layer()``)."""

import json

import keras
import tensorflow as tf

from .. import functional
from .features import feature_bins, partition_features
from ..resampling import Resample, check_rate
from .._base import AudioLayer, register


@register(tensorflow_only="it is the encoders' in-graph half, and their tf.data pipeline is TensorFlow's")
class AudioSpectrogram(AudioLayer):
    """Normalize, augment (in training) and partition-transform ``(batch, samples)`` waveforms.

    The in-graph part of the encoders (:class:`AudioSpectrogramEncoder` and its family); build
    it with ``encoder.layer()``. Output ``(batch, ceil(samples / offset), bins)``: the
    magnitude's ``window_size // 2 + 1`` bins by default, complex for ``features={'kind': 'stft'}``,
    mels or coefficients for ``'mel'`` and ``'mfcc'``.

    Args:
        window_size (int), offset (int): in samples.
        window (list of float): ``window_size`` values.
        normalization (list or None): ``['max', v]``, ``['rms', v]`` or None.
        augmentation (dict): ``volume``/``time_shift`` (seconds)/``noise`` (RMS) as
            ``(low, high)`` ranges, ``convolution`` as ``(mix, response list)``.
        sample_rate (int): Hz, to turn time shifts into samples.
        seed (int or None): seed of the random draws.
        input_sample_rate (int or None): the rate of the input waveforms in Hz, when not
            ``sample_rate``: they are resampled to ``sample_rate`` first (polyphase, as
            :class:`~kapre_like.Resample`).
        features (dict or None): what to compute from the partitions, as the encoder's
            ``feature_settings`` gives it. Defaults to None (the magnitude).

    Example:
        >>> import numpy as np
        >>> from kapre_like.encoder import AudioSpectrogramEncoder
        >>> layer = AudioSpectrogramEncoder().layer()
        >>> layer(np.zeros((2, 16000), np.float32)).shape
        TensorShape([2, 121, 201])
    """

    def __init__(self, window_size, offset, window, normalization=None, augmentation=None, sample_rate=16000,
                 seed=None, input_sample_rate=None, features=None, **kwargs):
        super().__init__(**kwargs)
        self.input_sample_rate = None if input_sample_rate is None else \
            check_rate(input_sample_rate, "input_sample_rate", "AudioSpectrogram")
        # (up, down, kernel) of the polyphase resampler, checked by Resample; not a sublayer: nothing to build
        resampler = None if input_sample_rate in (None, sample_rate) else Resample(self.input_sample_rate,
                                                                                     int(sample_rate))
        self.resampling = None if resampler is None else (resampler.up, resampler.down, resampler.kernel)
        self.window_size = int(window_size)
        self.offset = int(offset)
        self.window = list(window)
        self.normalization = None if normalization is None else list(normalization)
        self.augmentation = {key: list(value) if isinstance(value, tuple) else value
                             for key, value in (augmentation or {}).items()}
        self.sample_rate = int(sample_rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.features = json.loads(json.dumps(features or {"kind": "magnitude"}))
        self.input_spec = keras.InputSpec(ndim=2)

    def _uniform(self, batch, bounds):
        low, high = bounds
        return keras.random.uniform((batch, 1), low, high, seed=self.seed_generator) if high > low else \
            tf.fill([batch, 1], float(low))

    def call(self, inputs, training=None):
        x = functional.check_finite(self._float_input(inputs, "a real floating-point waveform batch"),
                                    self.finite_message)
        if self.resampling is not None:
            x = functional.resample(x, *self.resampling)
        if self.normalization:
            x = functional.normalize_waveform(x, *self.normalization)
        if training and self.augmentation:
            batch = tf.shape(x)[0]
            if "convolution" in self.augmentation:
                mix, response = self.augmentation["convolution"]
                x = functional.convolve(x, response, mix)
            if "time_shift" in self.augmentation:
                shifts = tf.cast(tf.round(self._uniform(batch, self.augmentation["time_shift"]) * self.sample_rate),
                                 tf.int32)
                x = tf.map_fn(lambda pair: functional.time_shift(pair[0], pair[1][0]), (x, shifts),
                              fn_output_signature=x.dtype)
            if "volume" in self.augmentation:
                x = x * tf.cast(self._uniform(batch, self.augmentation["volume"]), x.dtype)
            if "noise" in self.augmentation:
                amplitude = tf.cast(self._uniform(batch, self.augmentation["noise"]), x.dtype)
                x = x + amplitude * keras.random.normal(tf.shape(x), dtype=x.dtype, seed=self.seed_generator)
        return self.cast_output(partition_features(x, self.window_size, self.offset, self.window, **self.features))

    def compute_output_shape(self, input_shape):
        samples = input_shape[1]
        if samples is not None and self.resampling is not None:
            samples = functional.resampled_length(samples, *self.resampling[:2])
        partitions = None if samples is None else -(-samples // self.offset)
        return (input_shape[0], partitions, feature_bins(self.features, self.window_size))

    def compute_output_spec(self, inputs):
        spec = super().compute_output_spec(inputs)
        if self.features["kind"] != "stft":
            return spec
        return keras.KerasTensor(spec.shape, dtype="complex128" if spec.dtype == "float64" else "complex64")

    def get_config(self):
        config = super().get_config()
        # plain Python copies: Keras wraps list and dict attributes in trackers that do not deep-copy
        config.update(json.loads(json.dumps({
            "window_size": self.window_size, "offset": self.offset, "window": list(self.window),
            "normalization": None if self.normalization is None else list(self.normalization),
            "augmentation": {key: list(value) if isinstance(value, (list, tuple)) else value
                             for key, value in dict(self.augmentation).items()},
            "sample_rate": self.sample_rate, "seed": self.seed, "input_sample_rate": self.input_sample_rate,
            "features": dict(self.features),
        }, default=list)))
        return config
