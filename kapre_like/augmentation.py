"""Augmentation layers: SpecAugment masks and random channel swaps.

Kapre 0.4.1's ``kapre.augmentation`` with the same names, arguments and defaults. Both
layers act only when called with ``training=True`` (as ``model.fit`` does) and pass their
input through unchanged otherwise. Both take an optional ``seed``: two layers built with
the same seed draw the same augmentations, call after call.
"""

import keras
import tensorflow as tf
from keras import InputSpec

from . import functional
from ._base import register
from ._checks import check_int, check_number, owner_prefix
from ._layout import DataFormat, LayoutChecked

__all__ = ["SpecAugment", "ChannelSwap"]


class MaskParamError(RuntimeError, ValueError):
    """A SpecAugment mask parameter of 0: Kapre raises ``RuntimeError``; it is also a ``ValueError``."""


@register
class SpecAugment(LayoutChecked, keras.layers.Layer):
    """SpecAugment (Park et al., 2019): random frequency and time bands set to ``mask_value``.

    In training, each example gets ``n_freq_masks`` frequency bands and ``n_time_masks``
    time bands. A band's width is drawn uniformly from ``0 ... freq_mask_param`` (or
    ``time_mask_param``) and its start uniformly from where it fits, independently per
    example; bands may overlap. All channels of an example share its masks (Kapre accepted
    one channel only). At inference the input is returned unchanged.

    Args:
        freq_mask_param (int): largest frequency-band width F, in bins, >= 1.
        time_mask_param (int): largest time-band width T, in frames, >= 1.
        n_freq_masks (int): frequency bands per example, >= 0. Defaults to 1.
        n_time_masks (int): time bands per example, >= 0. Defaults to 1.
        mask_value (float): value written into the bands. Defaults to 0.
        data_format (str): 'channels_last' for ``(batch, time, freq, ch)``,
            'channels_first' for ``(batch, ch, time, freq)``, or 'default'.
        seed (int or None): seed of the layer's random draws. Defaults to None.
        **kwargs: Keras layer arguments.

    Raises:
        MaskParamError: (``RuntimeError`` and ``ValueError``) a mask parameter is 0.
        TypeError, ValueError: other non-integer or negative sizes, a bad ``data_format``;
            when the layer is built on a shape with a known time or frequency size smaller
            than its mask parameter. With an unknown (None) time size, bands are
            limited to the actual length.

    Input and output: a 4-D spectrogram batch, same shape and dtype.

    Example:
        >>> layer = SpecAugment(freq_mask_param=5, time_mask_param=10, data_format='channels_last', seed=0)
        >>> x = tf.ones((2, 100, 64, 1))
        >>> bool(tf.reduce_all(layer(x) == x))  # inference: unchanged
        True
        >>> float(tf.reduce_min(layer(x, training=True)))  # training: some bins masked to 0
        0.0
    """

    frame_wise = True  # the identity at inference, where a stream runs

    def __init__(
        self,
        freq_mask_param,
        time_mask_param,
        n_freq_masks=1,
        n_time_masks=1,
        mask_value=0.0,
        data_format="default",
        seed=None,
        **kwargs,
    ):
        kwargs.setdefault("autocast", False)  # float64 stays float64; float32 is not squashed to float16 by a mixed policy
        super().__init__(**kwargs)
        for name, value in (("freq_mask_param", freq_mask_param), ("time_mask_param", time_mask_param)):
            if isinstance(value, int) and not isinstance(value, bool) and value == 0:
                raise MaskParamError(
                    f"SpecAugment: `{name}` must be >= 1 (both freq_mask_param and time_mask_param are needed; "
                    f"use n_freq_masks=0 or n_time_masks=0 to switch an axis off); got 0."
                )
            check_int(value, name, "SpecAugment")
        check_int(n_freq_masks, "n_freq_masks", "SpecAugment", minimum=0)
        check_int(n_time_masks, "n_time_masks", "SpecAugment", minimum=0)
        check_number(mask_value, "mask_value", "SpecAugment", positive=False)
        self.layout = DataFormat(data_format, "data_format", "SpecAugment")
        check_int(seed, "seed", "SpecAugment", minimum=0, allow_none=True)
        self.freq_mask_param = freq_mask_param
        self.time_mask_param = time_mask_param
        self.n_freq_masks = n_freq_masks
        self.n_time_masks = n_time_masks
        self.mask_value = mask_value
        self.data_format = self.layout.name
        self.time_axis, self.freq_axis = self.layout.time_axis, self.layout.freq_axis
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.input_spec = InputSpec(ndim=4)

    def build(self, input_shape):
        for axis, name, param in (
            (self.time_axis, "time_mask_param", self.time_mask_param),
            (self.freq_axis, "freq_mask_param", self.freq_mask_param),
        ):
            size = input_shape[axis]
            if size is not None and size < param:
                kind = "time" if axis == self.time_axis else "frequency"
                raise ValueError(
                    f"SpecAugment: `{name}` ({param}) must be <= the {kind} axis size ({size}, axis {axis} of input "
                    f"shape {tuple(input_shape)} in {self.data_format})."
                )

    def _mask_axis(self, x, axis, n_masks, max_width):
        if n_masks == 0:
            return x
        shape = tf.shape(x) if functional.on_tensorflow() else x.shape
        mask = functional.random_band_mask(shape[0], shape[axis], n_masks, max_width, seed=self.seed_generator)
        broadcast = [-1, 1, 1, 1]
        broadcast[axis] = shape[axis]
        mask = keras.ops.reshape(mask, broadcast)
        return keras.ops.where(mask, keras.ops.cast(self.mask_value, x.dtype), x)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        x = self._mask_axis(inputs, self.time_axis, self.n_time_masks, self.time_mask_param)
        return self._mask_axis(x, self.freq_axis, self.n_freq_masks, self.freq_mask_param)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "freq_mask_param": self.freq_mask_param,
                "time_mask_param": self.time_mask_param,
                "n_freq_masks": self.n_freq_masks,
                "n_time_masks": self.n_time_masks,
                "mask_value": self.mask_value,
                "data_format": self.layout.original,
                "seed": self.seed,
            }
        )
        return config


@register
class ChannelSwap(LayoutChecked, keras.layers.Layer):
    """Randomly permute the channels of each example in training; identity at inference.

    Works on waveform batches (3-D: ``(batch, time, ch)`` / ``(batch, ch, time)``) and
    spectrogram batches (4-D: ``(batch, time, freq, ch)`` / ``(batch, ch, time, freq)``).
    Each example draws its own permutation (Kapre drew one per traced graph).

    Args:
        data_format (str): 'channels_last', 'channels_first' or 'default'.
        seed (int or None): seed of the layer's random draws. Defaults to None.
        **kwargs: Keras layer arguments.

    Raises:
        TypeError, ValueError: a bad ``data_format`` or ``seed``; an input that is not 3-D
            or 4-D (when the layer is built).

    Example:
        >>> x = tf.reshape(tf.range(8.0), (1, 2, 4))  # (batch, time, ch)
        >>> y = ChannelSwap(data_format='channels_last', seed=3)(x, training=True)
        >>> sorted(y.numpy()[0, 0].tolist())
        [0.0, 1.0, 2.0, 3.0]
    """

    frame_wise = True  # the identity at inference, where a stream runs

    def __init__(self, data_format="default", seed=None, **kwargs):
        kwargs.setdefault("autocast", False)  # float64 stays float64; float32 is not squashed to float16 by a mixed policy
        super().__init__(**kwargs)
        self.layout = DataFormat(data_format, "data_format", "ChannelSwap")
        check_int(seed, "seed", "ChannelSwap", minimum=0, allow_none=True)
        self.data_format = self.layout.name
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.input_spec = InputSpec(min_ndim=3, max_ndim=4)

    def call(self, inputs, training=None):
        if not training:
            return inputs
        axis = self.layout.channel_axis(len(inputs.shape))
        n_channels = inputs.shape[axis]
        if n_channels == 1:
            return inputs
        if n_channels is None:
            raise ValueError(f"{owner_prefix('ChannelSwap')}the channel axis (axis {axis}) must have a known size; got "
                             f"shape {tuple(inputs.shape)}.")
        if not functional.on_tensorflow():  # a permutation per batch item, broadcast along the other axes
            order = functional.random_permutations(inputs.shape[0], n_channels, seed=self.seed_generator)
            index = [1] * len(inputs.shape)
            index[0], index[axis] = inputs.shape[0], n_channels
            order = keras.ops.broadcast_to(keras.ops.reshape(order, index), inputs.shape)
            return keras.ops.take_along_axis(inputs, order, axis=axis)
        order = functional.random_permutations(tf.shape(inputs)[0], n_channels, seed=self.seed_generator)
        return tf.gather(inputs, order, axis=axis, batch_dims=1)

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.layout.original, "seed": self.seed})
        return config
