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
        rank = len(x.shape)
        return transpose(x, (0, rank - 1) + tuple(range(1, rank - 1))) if self.channels_last else x

    def from_channels_first(self, x):
        """``x`` ``(batch, ch, ...)`` moved to this layout."""
        rank = len(x.shape)
        return transpose(x, (0,) + tuple(range(2, rank)) + (1,)) if self.channels_last else x

    def split_shape(self, shape):
        """A batch shape in this layout as ``(batch, channels, *rest)`` (channels-first order)."""
        shape = tuple(shape)
        return (shape[0], shape[-1]) + shape[1:-1] if self.channels_last else shape

    def join_shape(self, batch, channels, *rest):
        """The batch shape in this layout of ``batch``, ``channels`` and the other axes ``rest``."""
        return (batch,) + tuple(rest) + (channels,) if self.channels_last else (batch, channels) + tuple(rest)


#: Axis names of the inputs kapre_like's layers take, channels-first, by rank (batch axis included).
_AXES_CHANNELS_FIRST = {
    2: ("batch", "time"),
    3: ("batch", "channels", "time"),
    4: ("batch", "channels", "time", "freq"),
    5: ("batch", "channels", "time", "freq", "real/imag"),
}


def expected_axes(rank, layout=None):
    """The axis names of a rank-``rank`` input in ``layout`` (a :class:`DataFormat`; None: one layout only)."""
    axes = _AXES_CHANNELS_FIRST[rank]
    if layout is None or not layout.channels_last or rank < 3:
        return axes
    moved = axes[:1] + axes[2:] + axes[1:2]
    return moved if rank < 5 else moved[:-2] + ("channels", "real/imag")


def layout_mismatch_message(owner, shape, rank, layout=None, arg_name="data_format"):
    """What a layer expecting rank-``rank`` input says of an input of ``shape``: the layout it expects
    (with its ``arg_name`` setting), what it got, and the indexing that adds the missing axes.

    Example:
        >>> print(layout_mismatch_message('STFT', (16000,), 3, DataFormat('channels_last'), 'input_data_format'))
        STFT expects input of shape (batch, time, channels) with input_data_format='channels_last'; got shape (16000,): for (time) add a batch and a channel axis, x[None, :, None].
    """
    axes = expected_axes(rank, layout)
    got = len(shape)
    setting = "" if layout is None else f" with {arg_name}={layout.name!r}"
    head = f"{owner} expects input of shape ({', '.join(axes)}){setting}; got shape {tuple(shape)}"
    # librosa's habit is a (time,) or (batch, time) array: a missing axis is the channels, then the batch;
    # one axis short may also be soundfile's (time, channels) without a batch: both are offered
    candidates = [axis for axis in ("channels", "batch") if axis in axes]
    if got >= rank or got < 1 or rank - got > len(candidates):
        return f"{head}, which has {got} axes, not {rank}."
    options = [candidates[:rank - got]]
    if rank - got == 1 and len(candidates) == 2:
        options.append(["batch"])
    hints = []
    for missing in options:
        present = [axis for axis in axes if axis not in missing]
        index = ", ".join("None" if axis in missing else ":" for axis in axes)
        what = "a batch and a channel axis" if len(missing) == 2 else f"a {missing[0].rstrip('s')} axis"
        hints.append(f"for ({', '.join(present)}) add {what}, x[{index}]")
    return f"{head}: {'; '.join(hints)}."


class LayoutChecked:
    """Mixin of a Keras layer whose ``input_spec`` fixes its rank: an input of another rank gets
    :func:`layout_mismatch_message` (the layout expected, what to add) instead of Keras's message,
    which names only the ranks. The layout is read from the layer's ``input_format`` (set by
    ``input_data_format``) or ``layout`` (set by ``data_format``), where it has one."""

    #: Where a layer keeps the :class:`DataFormat` of its input, and the argument that sets it.
    _layout_attributes = (("input_format", "input_data_format"), ("layout", "data_format"))

    def check_layout(self, inputs):
        """Raise ``ValueError`` saying which layout this layer expects when ``inputs`` has another
        number of axes than its ``input_spec`` allows."""
        rank = getattr(self.input_spec, "ndim", None)
        shape = tuple(inputs.shape)
        if rank is None or len(shape) == rank:
            return
        layout, arg_name = next(((getattr(self, name), arg) for name, arg in self._layout_attributes
                                 if isinstance(getattr(self, name, None), DataFormat)), (None, None))
        raise ValueError(layout_mismatch_message(type(self).__name__, shape, rank, layout, arg_name))

    def _assert_input_compatibility(self, arg_0):  # Keras's hook, run before build and call
        self.check_layout(arg_0)
        super()._assert_input_compatibility(arg_0)


__all__ = ["DataFormat", "CHANNELS_FIRST", "CHANNELS_LAST", "LayoutChecked", "expected_axes", "layout_mismatch_message"]
