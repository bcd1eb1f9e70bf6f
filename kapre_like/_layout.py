"""Data formats: the one helper every layer uses to read its ``*data_format`` argument.

Kapre's layouts put the channels first (after the batch) or last, with time right after the
batch or the channels: waveforms ``(batch, ch, time)`` / ``(batch, time, ch)``, spectrograms
``(batch, ch, time, freq)`` / ``(batch, time, freq, ch)``. So, for either rank, time is axis 2
channels-first and axis 1 channels-last, and moving the channel axis is all a layer does to
reach the channels-first layout the DSP runs in.
"""

from ._checks import CHANNELS_FIRST, CHANNELS_LAST, DATA_FORMATS, check_data_format, resolve_data_format
from .functional.tensors import transpose


class DataFormat:
    """A ``data_format`` argument, checked at construction and resolved once.

    Args:
        value (str): ``'channels_first'``, ``'channels_last'`` or ``'default'`` (Keras's
            ``image_data_format()`` now), or None where ``allow_none`` (also the default).
        arg_name (str): the argument's name, for error messages.
        owner (str): the layer's name, for error messages.
        allowed (tuple): the accepted strings. Defaults to all three.
        allow_none (bool): None means ``'default'`` (the Keras-style layers). Defaults to False.

    Attributes:
        original: the value as given, for ``get_config``.
        name (str): ``'channels_first'`` or ``'channels_last'``.
        channels_last (bool): whether the channels are the last axis.

    Raises:
        TypeError, ValueError: as :func:`kapre_like._checks.check_data_format`, or a value
            outside ``allowed``.

    Example:
        >>> layout = DataFormat('channels_last', owner='STFT')
        >>> layout.split_shape((None, 16000, 2)), layout.time_axis, layout.channel_axis(4)
        ((None, 2, 16000), 1, 3)
    """

    def __init__(self, value, arg_name="data_format", owner=None, allowed=DATA_FORMATS, allow_none=False):
        if not (value is None and allow_none):
            check_data_format(value, arg_name, owner)
            if value not in allowed:
                prefix = f"{owner}: " if owner else ""
                raise ValueError(f"{prefix}`{arg_name}` must be one of {list(allowed)}"
                                 f"{' or None' if allow_none else ''}; got {value!r}.")
        self.original = value
        self.name = resolve_data_format("default" if value is None else value)
        self.channels_last = self.name == CHANNELS_LAST

    def __repr__(self):
        return f"DataFormat({self.name!r})"

    @property
    def time_axis(self):
        """The time (frames) axis of a waveform or spectrogram batch."""
        return 1 if self.channels_last else 2

    def channel_axis(self, rank):
        """The channel axis of a batch of ``rank`` axes."""
        return rank - 1 if self.channels_last else 1

    @property
    def freq_axis(self):
        """The frequency axis of a spectrogram batch."""
        return 2 if self.channels_last else 3

    def to_channels_first(self, x):
        """``x`` in this layout moved to channels-first: ``(batch, ch, ...)``."""
        rank = x.shape.rank
        return transpose(x, (0, rank - 1) + tuple(range(1, rank - 1))) if self.channels_last else x

    def from_channels_first(self, x):
        """``x`` ``(batch, ch, ...)`` moved to this layout."""
        rank = x.shape.rank
        return transpose(x, (0,) + tuple(range(2, rank)) + (1,)) if self.channels_last else x

    def split_shape(self, shape):
        """A batch shape in this layout as ``(batch, channels, *rest)`` (channels-first order)."""
        shape = tuple(shape)
        return (shape[0], shape[-1]) + shape[1:-1] if self.channels_last else shape

    def join_shape(self, batch, channels, *rest):
        """The batch shape in this layout of ``batch``, ``channels`` and the other axes ``rest``."""
        return (batch,) + tuple(rest) + (channels,) if self.channels_last else (batch, channels) + tuple(rest)


__all__ = ["DataFormat", "CHANNELS_FIRST", "CHANNELS_LAST"]
