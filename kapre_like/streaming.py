"""Streaming: run an STFT front end, or an STFT -> mask -> inverse STFT model, chunk by chunk.

A stream sees a few milliseconds of audio at a time and gives the numbers the offline model gives
on the whole signal. :func:`to_streaming` turns an offline model (a composed factory's output, or
a model that starts with one) into a *step*: a ``keras.Model`` that takes a chunk of
``chunk_hops * hop_length`` samples and the state of the previous step, and returns this chunk's
output and the next state::

    frontend = kapre_like.composed.get_melspectrogram_layer(
        input_shape=(None, 1), n_fft=512, hop_length=160, sample_rate=16000, n_mels=64,
        return_decibel=True, db_dynamic_range=None,
        input_data_format='channels_last', output_data_format='channels_last')
    step = to_streaming(frontend, chunk_hops=1)          # one 10 ms hop per call
    states = initial_states(step, batch_size=1)
    for chunk in chunks:                                  # (1, 160, 1) each
        frames, *states = step([chunk, *states])          # (1, 1, 64, 1)

The state is explicit, so the step saves (``.keras``), exports (``step.export()``, SavedModel)
and converts to TFLite with built-in ops when the model is made of the TFLite layers
(:class:`~kapre_like.time_frequency_tflite.STFTTflite`,
:class:`~kapre_like.time_frequency_tflite.InverseSTFTTflite`). For Python loops over chunks of any
length, :class:`Stream` keeps the state (and the samples short of a whole hop) itself.

What the state is: before the STFT, the samples of the frames not yet complete
(:func:`~kapre_like.functional.stream_state_length`: ``win_length - hop_length`` when the hop
divides the window); after an inverse STFT, the ``win_length - hop_length`` samples of the
overlap-add that later frames still add to.

Equality with the offline model: the stream starts from silence, so it gives
``warmup_frames`` frames before the offline model's first frame
(:func:`~kapre_like.functional.stream_warmup_frames`: ``ceil(win_length / hop_length) - 1``, i.e.
``win_length - hop_length`` samples of latency when the hop divides the window; none for an STFT
with Kapre's ``pad_begin=True``, such as the pair of
:func:`~kapre_like.composed.get_perfectly_reconstructing_stft_istft`). After them, frame ``j`` of
the stream is the offline model's frame ``j - warmup_frames``, and waveform sample ``n`` is the
offline sample ``n - warmup_frames * hop_length``. What streams: :class:`STFT` (centred only with
``pad_mode='constant'``, ``win_length == n_fft`` and a hop of at most ``n_fft // 2``),
then any layers that work frame by frame, which say so with their ``frame_wise`` attribute
(:class:`Magnitude`, :class:`Phase`, :class:`ApplyFilterbank`, :class:`MagnitudeToDecibel` with
``dynamic_range=None``, :class:`LogmelToMFCC`, your own layer with ``frame_wise = True``; and Keras's
``Dense``, activations, element-wise merges, ...: :func:`is_frame_wise`), optionally ending
with an :class:`InverseSTFT` (not centred, no ``length``). :func:`to_streaming` names any other
layer, and runs the step beside the offline model on a test signal before returning it.

The sizes: :func:`stream_properties` (``hop_length``, ``state_length``, ``warmup_frames``,
``tail_length``).
"""


import keras
import numpy as np
import tensorflow as tf

from . import functional
from .functional.streaming import time_slice
from ._base import register
from ._checks import check_int
from ._layout import expected_axes
from .time_frequency import STFT, InverseSTFT

__all__ = ["to_streaming", "initial_states", "stream_properties", "Stream", "StreamStep", "StreamBuffer", "OverlapAddStream",
           "StreamingError", "is_frame_wise"]

#: Keras's own layers that compute each frame from that frame alone (or are the identity at inference). They
#: cannot declare it; kapre_like's layers, and yours, declare it with a ``frame_wise`` attribute (see
#: :func:`is_frame_wise`).
KERAS_FRAME_WISE_LAYERS = (
    keras.layers.InputLayer, keras.layers.Dense, keras.layers.Activation, keras.layers.ReLU, keras.layers.LeakyReLU,
    keras.layers.ELU, keras.layers.Dropout, keras.layers.GaussianNoise, keras.layers.GaussianDropout,
    keras.layers.Rescaling, keras.layers.BatchNormalization, keras.layers.Multiply, keras.layers.Add,
    keras.layers.Subtract, keras.layers.Maximum, keras.layers.Minimum, keras.layers.Average,
)


class StreamingError(ValueError):
    """A model that :func:`to_streaming` cannot stream; the message names the layer and why."""


class _CarriedState(keras.layers.Layer):
    """Base of the layers that carry ``length`` samples from one step to the next along ``time_axis``: the
    checks of their arguments and of the state a step is given."""

    #: what the state is called in messages
    state_name = "the state"

    def __init__(self, length, time_axis, length_name, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        owner = type(self).__name__
        check_int(length, length_name, owner, minimum=0)
        if time_axis not in (1, 2):
            raise ValueError(f"{owner}: `time_axis` must be 1 or 2; got {time_axis!r}.")
        self.carried_length, self.time_axis = length, time_axis

    def _check_state(self, state_shape, like_shape):
        """Raise unless ``state_shape`` is ``like_shape`` with ``carried_length`` samples on the time axis."""
        expected = list(like_shape)
        expected[self.time_axis] = self.carried_length
        if len(state_shape) != len(expected) or not all(
                a is None or b is None or a == b for a, b in zip(state_shape, expected)):
            raise ValueError(
                f"{type(self).__name__}: {self.state_name} has shape {tuple(state_shape)}; expected {tuple(expected)} "
                f"({self.carried_length} samples on axis {self.time_axis}). Pass the state the previous step "
                f"returned, or kapre_like.streaming.initial_states(step, batch_size) to start."
            )


@register
class StreamBuffer(_CarriedState):
    """``[state, chunk] -> [buffer, next_state]``: the chunk appended to the kept samples, and the last
    ``state_length`` samples of the result (:func:`kapre_like.functional.buffered`).

    Args:
        state_length (int): samples kept between chunks.
        time_axis (int): the time axis of a ``(batch, time, ch)`` (1) or ``(batch, ch, time)`` (2) batch.
        hop_length (int or None): the STFT's hop, recorded for :func:`stream_properties`.
        warmup_frames (int): frames the stream gives before the offline model's first, recorded.
        **kwargs: Keras layer arguments.

    Raises:
        ValueError: at call, a state whose time length is not ``state_length`` or whose other axes
            differ from the chunk's.
    """

    def __init__(self, state_length, time_axis=1, hop_length=None, warmup_frames=0, **kwargs):
        super().__init__(state_length, time_axis, "state_length", **kwargs)
        check_int(hop_length, "hop_length", "StreamBuffer", minimum=1, allow_none=True)
        check_int(warmup_frames, "warmup_frames", "StreamBuffer", minimum=0)
        self.state_length, self.hop_length, self.warmup_frames = state_length, hop_length, warmup_frames

    def call(self, inputs):
        state, chunk = inputs
        self._check_state(state.shape, chunk.shape)
        if state.shape[self.time_axis] is None:
            tf.debugging.assert_equal(tf.shape(state)[self.time_axis], self.state_length,
                                      message=f"StreamBuffer: the state must hold {self.state_length} samples")
        return list(functional.buffered(keras.ops.cast(state, chunk.dtype), chunk, self.time_axis))

    def compute_output_spec(self, inputs):
        state, chunk = inputs
        self._check_state(state.shape, chunk.shape)
        shape = list(chunk.shape)
        shape[self.time_axis] = None if shape[self.time_axis] is None else shape[self.time_axis] + self.state_length
        return [keras.KerasTensor(tuple(shape), dtype=chunk.dtype), keras.KerasTensor(state.shape, dtype=chunk.dtype)]

    def get_config(self):
        config = super().get_config()
        config.update({"state_length": self.state_length, "time_axis": self.time_axis, "hop_length": self.hop_length,
                       "warmup_frames": self.warmup_frames})
        return config


@register
class OverlapAddStream(_CarriedState):
    """``[synthesized, tail] -> [samples, next_tail]``: a streaming overlap-add
    (:func:`kapre_like.functional.overlap_add_step`). ``synthesized`` is an inverse STFT of this
    step's frames; ``tail`` the samples earlier frames left unfinished.

    Args:
        tail_length (int): the samples carried, ``win_length - hop_length``.
        time_axis (int): 1 for ``(batch, time, ch)``, 2 for ``(batch, ch, time)``.
        **kwargs: Keras layer arguments.

    Raises:
        ValueError: at call, a tail whose shape is not ``tail_length`` samples of the waveform's channels.
    """

    state_name = "the overlap-add state"

    def __init__(self, tail_length, time_axis=1, **kwargs):
        super().__init__(tail_length, time_axis, "tail_length", **kwargs)
        self.tail_length = tail_length

    def call(self, inputs):
        synthesized, tail = inputs
        self._check_state(tail.shape, synthesized.shape)
        return list(functional.overlap_add_step(synthesized, keras.ops.cast(tail, synthesized.dtype), self.time_axis))

    def compute_output_spec(self, inputs):
        synthesized, tail = inputs
        self._check_state(tail.shape, synthesized.shape)
        shape = list(synthesized.shape)
        if shape[self.time_axis] is not None:
            shape[self.time_axis] -= self.tail_length
        return [keras.KerasTensor(tuple(shape), dtype=synthesized.dtype),
                keras.KerasTensor(tail.shape, dtype=synthesized.dtype)]

    def get_config(self):
        config = super().get_config()
        config.update({"tail_length": self.tail_length, "time_axis": self.time_axis})
        return config


class _Plan:
    """What :func:`to_streaming` found in a model: its STFT and inverse STFT, and the stream's sizes."""

    def __init__(self, model, frame_wise):
        self.frame_wise = tuple(frame_wise)
        layers = list(_flattened(model))
        stfts = [layer for layer in layers if isinstance(layer, STFT)]
        if len(stfts) != 1:
            raise StreamingError(f"to_streaming: the model {model.name!r} must hold exactly one STFT layer (its first "
                                 f"transform); it holds {len(stfts)}.")
        self.stft = stft = stfts[0]
        if stft.center:  # frames of n_fft samples, the first centred on sample 0: n_fft // 2 zeros before it
            if stft.pad_mode != "constant" or stft.win_length != stft.n_fft:
                raise StreamingError(
                    f"to_streaming: STFT layer {stft.name!r} has center=True with pad_mode={stft.pad_mode!r} and "
                    f"win_length={stft.win_length} (n_fft={stft.n_fft}); a stream centres frames with "
                    f"pad_mode='constant' (zeros before the signal; 'reflect' mirrors samples not yet received) "
                    f"and win_length == n_fft.")
            if stft.hop_length > stft.n_fft // 2:
                raise StreamingError(
                    f"to_streaming: STFT layer {stft.name!r} has center=True and hop_length={stft.hop_length} > "
                    f"n_fft // 2 = {stft.n_fft // 2}; a centred stream needs hops of at most half a frame.")
        if stft.hop_length > stft.win_length:
            raise StreamingError(f"to_streaming: STFT layer {stft.name!r} has hop_length={stft.hop_length} > "
                                 f"win_length={stft.win_length}; a stream needs frames that overlap or touch.")
        inverses = [layer for layer in layers if isinstance(layer, InverseSTFT)]
        if len(inverses) > 1:
            raise StreamingError(f"to_streaming: the model {model.name!r} holds {len(inverses)} InverseSTFT layers; "
                                 f"a stream ends with at most one.")
        self.inverse = inverses[0] if inverses else None
        if self.inverse is not None:
            inverse = self.inverse
            if inverse.center or inverse.length is not None:
                raise StreamingError(
                    f"to_streaming: InverseSTFT layer {inverse.name!r} has center={inverse.center}, "
                    f"length={inverse.length}; a stream overlap-adds frames as they come (center=False, length=None).")
            if (inverse.hop_length, inverse.win_length) != (stft.hop_length, stft.win_length):
                raise StreamingError(
                    f"to_streaming: InverseSTFT layer {inverse.name!r} has hop_length={inverse.hop_length}, "
                    f"win_length={inverse.win_length}, but the STFT {stft.name!r} has {stft.hop_length}, "
                    f"{stft.win_length}; a stream needs the same frames in and out.")
        for layer in layers:
            self._check_frame_wise(layer)
        self.hop_length = stft.hop_length
        # the offline frames: frame_length samples after pad_begin zeros (centred: n_fft, n_fft // 2)
        self.frame_length = stft.n_fft if stft.center else stft.win_length
        self.pad_begin = stft.n_fft // 2 if stft.center else stft.pad_begin_length
        self.state_length = functional.stream_state_length(self.frame_length, stft.hop_length, self.pad_begin)
        self.warmup_frames = functional.stream_warmup_frames(self.frame_length, stft.hop_length, self.pad_begin)
        self.tail_length = 0 if self.inverse is None else stft.win_length - stft.hop_length
        # frame-wise layers keep the layout: frames on the STFT's time axis, samples on the inverse's
        self.output_time_axis = (stft.output_format if self.inverse is None else self.inverse.output_format).time_axis

    def _check_frame_wise(self, layer):
        if isinstance(layer, (STFT, InverseSTFT, keras.Model)) or is_frame_wise(layer, self.frame_wise):
            return
        if isinstance(layer, keras.layers.Concatenate) and layer.axis % 4 != self.stft.output_format.time_axis:
            return  # joins the channels or bins of each frame
        reason = getattr(layer, "not_frame_wise_reason", None)
        if reason is not None:
            raise StreamingError(f"to_streaming: {type(layer).__name__} layer {layer.name!r} {reason}")
        raise StreamingError(
            f"to_streaming: layer {layer.name!r} ({type(layer).__name__}) is not known to work frame by frame, so "
            f"its streamed output could differ from the offline one (Delta, PCEN, convolutions and recurrences over "
            f"time read other frames). If each of its output frames depends only on the same input frame, pass "
            f"frame_wise=({type(layer).__name__},).")


def is_frame_wise(layer, declared=()):
    """Whether ``layer`` computes each output frame from the same input frame alone, so that a stream can run it.

    The layer says so itself with a ``frame_wise`` attribute (True, False, or a property of its arguments,
    as :class:`~kapre_like.time_frequency.MagnitudeToDecibel`'s); Keras's own layers are looked up in
    :data:`KERAS_FRAME_WISE_LAYERS`; ``declared`` (the classes passed to :func:`to_streaming` as
    ``frame_wise``) adds classes, except a layer that gives a ``not_frame_wise_reason``.

    Args:
        layer (keras.layers.Layer): the layer.
        declared (tuple of classes): classes the caller declares frame-wise. Defaults to none.

    Returns:
        bool
    """
    if getattr(layer, "frame_wise", False):
        return True
    if isinstance(layer, tuple(declared)):
        return getattr(layer, "not_frame_wise_reason", None) is None
    return isinstance(layer, KERAS_FRAME_WISE_LAYERS)


def _flattened(model):
    """Every layer of ``model``, nested models' layers included (the nested models too)."""
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _flattened(layer)


def _holds(model, layer):
    return any(inner is layer for inner in _flattened(model))


def _unpadded_stft(stft):
    """A copy of ``stft`` without ``pad_begin``/``pad_end``/``center``: the stream's state holds the zeros they
    add before the signal (a centred STFT with ``win_length == n_fft`` frames as an uncentred one)."""
    config = dict(stft.get_config(), pad_begin=False, pad_end=False, center=False, name=stft.name + "_streamed")
    return type(stft).from_config(config)


def _streamed_model(model, plan, input_batch_shape, dtype):
    """``model`` with its STFT unpadded (every other layer shared, weights included), taking
    waveforms of ``input_batch_shape`` (unknown time) and ``dtype``."""

    def clone(layer):
        if layer is plan.stft:
            return _unpadded_stft(layer)
        if isinstance(layer, keras.Model) and _holds(layer, plan.stft):
            return _streamed_model(layer, plan, input_batch_shape, dtype)
        return layer

    if isinstance(model, keras.Sequential):
        # with its Input: a Sequential built on its first call would cast float64 waveforms to float32
        return type(model)([keras.Input(batch_shape=input_batch_shape, dtype=dtype)]
                           + [clone(layer) for layer in model.layers], name=model.name + "_streamed")
    if len(model.inputs) != 1:
        raise StreamingError(f"to_streaming: the model {model.name!r} has {len(model.inputs)} inputs; a stream "
                             f"feeds one waveform input.")
    return keras.models.clone_model(model, input_tensors=keras.Input(batch_shape=input_batch_shape, dtype=dtype),
                                    clone_function=clone)


def _input_batch_shape(model, plan):
    """The model's waveform batch shape and the STFT's time axis; the channels must be known."""
    shape = tuple(model.inputs[0].shape) if getattr(model, "inputs", None) else None
    if shape is None or len(shape) != 3:
        raise StreamingError(f"to_streaming: the model {model.name!r} needs a known input of rank 3 (batch, time, "
                             f"channels) or (batch, channels, time); build it with input_shape or keras.Input "
                             f"(got {shape}).")
    time_axis = plan.stft.input_format.time_axis
    channels = shape[3 - time_axis]
    if channels is None:
        raise StreamingError(f"to_streaming: the model {model.name!r} has input shape {shape} with an unknown "
                             f"number of channels; the state needs it.")
    shape = list(shape)
    shape[time_axis] = None
    return tuple(shape), time_axis


def to_streaming(model, chunk_hops=1, chunk_length=None, frame_wise=(), verify=True):
    """The streaming step of an offline STFT model: ``step([chunk, *states]) -> [output, *next_states]``.

    Args:
        model (keras.Model): a built model that starts with an :class:`STFT` (centred only with zero padding) and is
            frame-wise after it, optionally ending with an :class:`InverseSTFT` (see the module
            documentation): e.g. :func:`~kapre_like.composed.get_melspectrogram_layer`'s output (with
            ``db_dynamic_range=None`` for decibels), an MFCC front end, or an STFT -> mask ->
            inverse STFT denoiser.
        chunk_hops (int or None): hops per chunk; the step's chunk has ``chunk_hops * hop_length``
            samples (what an exported step takes). None: any whole number of hops (unknown time).
            Defaults to 1.
        chunk_length (int or None): the chunk in samples instead, a multiple of ``hop_length``.
        frame_wise (tuple of classes): your own layer classes whose output frames each depend on
            the same input frame only (e.g. a mask applied to the spectrogram), for classes that do not
            say so themselves with a ``frame_wise = True`` attribute (:func:`is_frame_wise`); others raise.
        verify (bool): run the step beside ``model`` on a test signal (four chunks or more) and raise
            if they differ by more than float32 rounding. Defaults to True.

    Returns:
        keras.Model: inputs ``[chunk, stft_state]`` (and ``overlap_add_state`` with an inverse STFT),
        outputs ``[output, next_stft_state(, next_overlap_add_state)]``, all in the model's data
        formats; the output holds ``chunk_hops`` frames (or ``chunk_hops * hop_length`` samples).
        Start with :func:`initial_states`; :func:`stream_properties` gives the sizes.

    Raises:
        StreamingError (a ValueError): a layer the stream cannot run (named, with why), several
            STFTs, a centred STFT that reflects or has ``win_length < n_fft``, a centred inverse, a decibel
            layer with a dynamic range, unknown channels.
        ValueError: ``chunk_length`` is not a multiple of the hop, or ``chunk_hops`` < 1; with
            ``verify``, a step that does not reproduce ``model``.

    Example:
        >>> from kapre_like.composed import get_stft_magnitude_layer
        >>> frontend = get_stft_magnitude_layer(input_shape=(None, 1), n_fft=512,
        ...     hop_length=128, input_data_format='channels_last', output_data_format='channels_last')
        >>> step = to_streaming(frontend, chunk_hops=2)
        >>> [tuple(x.shape) for x in step.inputs]
        [(None, 256, 1), (None, 384, 1)]
        >>> frames, state = step([np.zeros((1, 256, 1), 'float32'), *initial_states(step, 1)])
        >>> tuple(frames.shape)
        (1, 2, 257, 1)
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"to_streaming: `model` must be a keras.Model (e.g. a composed factory's output); got "
                        f"{type(model).__name__}.")
    plan = _Plan(model, frame_wise)
    hop = plan.hop_length
    if chunk_length is not None:
        check_int(chunk_length, "chunk_length", "to_streaming", minimum=1)
        if chunk_length % hop:
            raise ValueError(
                f"to_streaming: `chunk_length`={chunk_length} is not a multiple of the hop_length={hop}; a step "
                f"completes whole hops (use {max(1, chunk_length // hop) * hop} or "
                f"{(chunk_length // hop + 1) * hop}, or a Stream, which buffers chunks of any length).")
        chunk_hops = chunk_length // hop
    elif chunk_hops is not None:
        check_int(chunk_hops, "chunk_hops", "to_streaming", minimum=1)
    step = _step_model(model, plan, chunk_hops)
    if verify:
        _verify(model, step, plan)
    return step


def _step_model(model, plan, chunk_hops):
    """The step of ``model`` as ``plan`` found it, for chunks of ``chunk_hops`` hops (None: any number)."""
    hop = plan.hop_length
    input_shape, time_axis = _input_batch_shape(model, plan)
    dtype = model.inputs[0].dtype
    streamed = _streamed_model(model, plan, input_shape, dtype)

    def with_time(shape, time):
        shape = list(shape[1:])
        shape[time_axis - 1] = time
        return tuple(shape)

    chunk = keras.Input(shape=with_time(input_shape, None if chunk_hops is None else chunk_hops * hop),
                        dtype=dtype, name="chunk")
    stft_state = keras.Input(shape=with_time(input_shape, plan.state_length), dtype=dtype, name="stft_state")
    buffer, next_state = StreamBuffer(plan.state_length, time_axis, hop, plan.warmup_frames,
                                          name="stream_buffer")([stft_state, chunk])
    output = streamed(buffer)
    inputs, outputs = [chunk, stft_state], [output, next_state]
    if plan.inverse is not None:
        wave_axis = plan.inverse.output_format.time_axis
        tail_shape = list(output.shape[1:])
        tail_shape[wave_axis - 1] = plan.tail_length
        tail = keras.Input(shape=tuple(tail_shape), dtype=output.dtype, name="overlap_add_state")
        samples, next_tail = OverlapAddStream(plan.tail_length, wave_axis, name="overlap_add")([output, tail])
        inputs, outputs = inputs + [tail], [samples, next_state, next_tail]
    return StreamStep(inputs, outputs, name=model.name + "_step")


@register
class StreamStep(keras.Model):
    """The step :func:`to_streaming` returns: a functional ``keras.Model`` ``[chunk, *states] ->
    [output, *next_states]`` whose call takes NumPy arrays, tensors or a mix of both, as the loop
    ``frames, *states = step([chunk, *states])`` passes them (a plain ``keras.Model`` refuses a list
    that mixes them). Each input is checked: floating point (cast to the model's dtype), its shape
    the input's, and one batch size for all."""

    def __call__(self, inputs, *args, **kwargs):
        if isinstance(inputs, (list, tuple)) and _eager() and not any(
                isinstance(x, keras.KerasTensor) for x in inputs):  # (a traced call passes tensors already)
            inputs = _checked_step_inputs(self, inputs)
        return super().__call__(inputs, *args, **kwargs)


def _eager():
    """Whether calls run eagerly now: TensorFlow outside a graph; on Keras's other backends a step or stream is
    called from Python (``jax.jit`` traces call the model, not these)."""
    return tf.executing_eagerly() if functional.on_tensorflow() else True


def _audio_dtype(value, owner, what):
    """``value``'s dtype name (a tensor's or an array's), which must be floating point: ``TypeError`` naming
    ``what`` (``owner``'s input) otherwise."""
    dtype = getattr(value, "dtype", None)
    dtype = keras.backend.standardize_dtype(np.asarray(value).dtype if dtype is None else dtype)
    if not dtype.startswith(("float", "bfloat")):
        raise TypeError(f"{owner}: {what} must be floating-point audio; got {dtype} (16-bit PCM: divide by "
                        f"32768).")
    return dtype


def _checked_step_inputs(step, values):
    """``values`` for ``step``'s inputs as tensors of their dtype; a wrong count, dtype, shape or batch size
    raises an error naming the input, what it expected and what it got."""
    names = [x.name for x in step.inputs]
    if len(values) != len(names):
        raise ValueError(f"{step.name}: expects {len(names)} inputs {names}; got {len(values)}.")
    tensors = []
    for name, spec, value in zip(names, step.inputs, values):
        _audio_dtype(value, step.name, f"`{name}`")
        shape = tuple(value.shape)
        expected = tuple(spec.shape)
        if len(shape) != len(expected) or any(e is not None and e != g for e, g in zip(expected[1:], shape[1:])):
            wanted = ", ".join(["batch"] + ["any" if size is None else str(size) for size in expected[1:]])
            raise ValueError(f"{step.name}: `{name}` must have shape ({wanted}); got {shape}"
                             f"{_layout_hint(expected, shape)}.")
        tensors.append(keras.ops.cast(keras.ops.convert_to_tensor(value), spec.dtype))
    batches = {name: int(t.shape[0]) for name, t in zip(names, tensors)}
    if len(set(batches.values())) > 1:
        raise ValueError(f"{step.name}: the inputs have different batch sizes {batches}; take the states of "
                         f"initial_states(step, batch_size) with the chunk's batch size.")
    return tensors


def _layout_hint(expected, shape):
    """Why a chunk of ``shape`` may not fit ``expected`` (both with the batch axis first): its axes swapped."""
    if len(shape) == len(expected) == 3 and expected[1] in (None, shape[2]) and expected[2] == shape[1]:
        return " (time and channels swapped? the model takes its input_data_format)"
    return ""


def stream_properties(step):
    """The sizes of a step from :func:`to_streaming`, read from its layers (so also for a step loaded
    from ``.keras``): ``dict(hop_length, state_length, warmup_frames, tail_length)``.

    Example:
        >>> from kapre_like.composed import get_stft_magnitude_layer
        >>> frontend = get_stft_magnitude_layer(input_shape=(None, 1), n_fft=512,
        ...     hop_length=128, input_data_format='channels_last', output_data_format='channels_last')
        >>> stream_properties(to_streaming(frontend))
        {'hop_length': 128, 'state_length': 384, 'warmup_frames': 3, 'tail_length': 0}
    """
    buffer = next(layer for layer in step.layers if isinstance(layer, StreamBuffer))
    tails = [layer.tail_length for layer in step.layers if isinstance(layer, OverlapAddStream)]
    return {"hop_length": buffer.hop_length, "state_length": buffer.state_length,
            "warmup_frames": buffer.warmup_frames, "tail_length": tails[0] if tails else 0}


def initial_states(step, batch_size=1):
    """Zeros for each state input of ``step`` (silence before the stream), as NumPy arrays.

    Example:
        >>> from kapre_like.composed import get_stft_magnitude_layer
        >>> frontend = get_stft_magnitude_layer(input_shape=(None, 2), n_fft=400,
        ...     hop_length=160, input_data_format='channels_last', output_data_format='channels_last')
        >>> [s.shape for s in initial_states(to_streaming(frontend), batch_size=3)]
        [(3, 320, 2)]
    """
    check_int(batch_size, "batch_size", "initial_states", minimum=1)
    return [np.zeros((batch_size,) + tuple(x.shape[1:]), dtype=keras.backend.standardize_dtype(x.dtype))
            for x in step.inputs[1:]]


def _compiled_step(step):
    """``step`` as a function of ``(chunk, *states)`` compiled once for any chunk length and batch size where the
    backend can (``tf.function``; eagerly, each call would dispatch the ops one by one: about 20x slower for one
    hop of a mel front end), ``jax.jit`` per chunk shape on JAX, eager on PyTorch."""
    backend = keras.backend.backend()
    if backend == "tensorflow":
        specs = [tf.TensorSpec((None,) + tuple(x.shape[1:]), x.dtype) for x in step.inputs]
        return tf.function(lambda chunk, *states: step([chunk, *states]), input_signature=specs)
    if backend == "jax":
        import jax

        jitted = jax.jit(lambda variables, chunk, *states: step.stateless_call(
            variables[0], variables[1], [chunk, *states], training=False)[0])
        return lambda chunk, *states: jitted(([v.value for v in step.trainable_variables],
                                              [v.value for v in step.non_trainable_variables]), chunk, *states)
    return lambda chunk, *states: step([chunk, *states], training=False)


@register
class Stream(keras.layers.Layer):
    """A stateful stream for Python loops: ``stream(chunk)`` for chunks of any length, ``flush()`` at the end.

    Wraps the step of :func:`to_streaming` (chunks of whole hops): samples short of a whole hop wait
    for the next chunk, and the state lives in the layer between calls. Concatenated along time,
    the outputs of every call and of :meth:`flush` are the offline model's output on all the
    samples given, preceded by :attr:`warmup_frames` frames (or ``warmup_frames * hop_length``
    samples) of the stream's start from silence; for an inverse STFT model the first
    ``win_length - hop_length`` samples of that output differ too (the offline inverse does not
    reconstruct them either). Run it eagerly (a Python loop); for a graph or an export use the
    step itself.

    Args:
        model (keras.Model): as :func:`to_streaming` takes it.
        frame_wise (tuple of classes): as :func:`to_streaming`.
        **kwargs: Keras layer arguments.

    Example:
        >>> from kapre_like.composed import get_stft_magnitude_layer
        >>> frontend = get_stft_magnitude_layer(input_shape=(None, 1), n_fft=512,
        ...     hop_length=128, input_data_format='channels_last', output_data_format='channels_last')
        >>> stream = Stream(frontend)
        >>> [stream(np.zeros((1, n, 1), 'float32')).shape[1] for n in (100, 100, 300)]
        [0, 1, 2]
        >>> stream.reset_state()
    """

    def __init__(self, model, frame_wise=(), **kwargs):
        kwargs.setdefault("autocast", False)  # chunks are cast to the model's input dtype, not the policy's
        super().__init__(**kwargs)
        if isinstance(model, dict):  # from get_config
            model = keras.saving.deserialize_keras_object(model)
        self.model = model
        self.frame_wise = tuple(frame_wise)
        plan = self._plan = _Plan(model, self.frame_wise)
        self.step = _step_model(model, plan, chunk_hops=None)
        self.hop_length, self.warmup_frames = plan.hop_length, plan.warmup_frames
        self._time_axis = plan.stft.input_format.time_axis
        # one trace for every chunk length and batch size: eagerly, each call would dispatch the ops one by one
        # (about 20x slower for one hop of a mel front end)
        self._run_step = _compiled_step(self.step)
        self.reset_state()

    def reset_state(self):
        """Forget the stream: the next call starts from silence."""
        self._states = None
        self._pending = None
        self._samples = 0
        self._frames = 0

    def call(self, chunk):
        """This chunk's output: the frames (or samples) its whole hops complete, with any samples kept from
        earlier calls; 0 frames when it completes none. ``chunk`` is ``(batch, time, ch)`` or ``(batch, ch,
        time)`` as the model takes it, of any length."""
        if not _eager():
            raise RuntimeError("Stream runs eagerly, in a Python loop; in a graph or an export use the step of "
                               "kapre_like.streaming.to_streaming(model).")
        chunk = self._checked_chunk(chunk)
        if self._states is None:
            self._states = [keras.ops.convert_to_tensor(s) for s in initial_states(self.step, int(chunk.shape[0]))]
            self._pending = time_slice(chunk, self._time_axis, 0, 0)
        self._samples += int(chunk.shape[self._time_axis])
        return self._advance(keras.ops.concatenate([self._pending, chunk], self._time_axis))

    def _checked_chunk(self, chunk):
        """``chunk`` as a tensor of the model's input dtype, after checking its rank, dtype and channels, and
        that its batch size and dtype are those of the stream's first chunk."""
        dtype = _audio_dtype(chunk, "Stream", "chunks")
        expected = tuple(self.step.inputs[0].shape)
        shape = tuple(chunk.shape)
        input_format = self._plan.stft.input_format
        channel_axis = input_format.channel_axis(3)
        layout = expected_axes(3, input_format)
        if len(shape) != 3 or shape[channel_axis] != expected[channel_axis]:
            raise ValueError(
                f"Stream: a chunk is a rank 3 batch ({', '.join(layout)}) with {expected[channel_axis]} channel(s), "
                f"as the model "
                f"takes it (input_data_format={input_format.name!r}); got shape {shape}"
                f"{_layout_hint(expected, shape) if len(shape) == 3 else ''}.")
        if self._states is None:
            self._first_chunk = (shape[0], dtype)
        else:
            batch, first_dtype = self._first_chunk
            if shape[0] != batch:
                raise ValueError(f"Stream: the batch size changed mid-stream, from {batch} to {shape[0]}; call "
                                 f"reset_state() (or flush()) before a stream of another batch size.")
            if dtype != first_dtype:
                raise TypeError(f"Stream: the dtype changed mid-stream, from {first_dtype} to {dtype}; "
                                f"give every chunk of a stream the same dtype.")
        return keras.ops.cast(keras.ops.convert_to_tensor(chunk), self.step.inputs[0].dtype)

    def _advance(self, pending):
        """Run the step on the whole hops of ``pending``; keep the rest."""
        whole = pending.shape[self._time_axis] // self.hop_length * self.hop_length
        self._pending = time_slice(pending, self._time_axis, whole, None)
        if whole == 0:
            return self._empty(int(pending.shape[0]))
        output, *self._states = self._run_step(time_slice(pending, self._time_axis, 0, whole), *self._states)
        self._frames += whole // self.hop_length
        return output

    def flush(self):
        """The outputs still owed at the end of the signal: the offline model's last frames (those its
        STFT's ``pad_end`` zero-pads, or that end within the samples short of a hop), and after an
        inverse STFT the overlap-add tail. The stream is reset afterwards.

        Returns:
            Tensor: the remaining output (possibly with 0 frames or samples).
        """
        if self._states is None:
            raise RuntimeError("Stream.flush: nothing was streamed since the last reset.")
        owed = self._plan.stft.frame_count(self._samples) + self.warmup_frames - self._frames
        pending = self._pending
        batch = int(pending.shape[0])
        outputs = []
        if owed > 0:
            zeros = owed * self.hop_length - pending.shape[self._time_axis]
            shape = list(pending.shape)
            shape[self._time_axis] = zeros
            outputs.append(self._advance(keras.ops.concatenate([pending, keras.ops.zeros(shape, pending.dtype)],
                                                               self._time_axis)))
        else:
            outputs.append(self._empty(batch))
        if self._plan.inverse is not None:
            outputs.append(self._states[-1])
        axis = self._plan.output_time_axis
        self.reset_state()
        return keras.ops.concatenate(outputs, axis) if len(outputs) > 1 else outputs[0]

    def _empty(self, batch):
        spec = self.step.outputs[0]
        shape = [batch] + [0 if d is None else d for d in spec.shape[1:]]
        return keras.ops.zeros(shape, spec.dtype)

    def compute_output_spec(self, chunk):
        """The step's output spec (time unknown)."""
        return self.step.outputs[0]

    def get_config(self):
        """The layer's configuration: the model serialised, the registered names of ``frame_wise``."""
        config = super().get_config()
        config.update({"model": keras.saving.serialize_keras_object(self.model),
                       "frame_wise": [keras.saving.get_registered_name(cls) for cls in self.frame_wise]})
        return config

    @classmethod
    def from_config(cls, config):
        """A ``Stream`` from :meth:`get_config`'s dictionary (the model deserialised, ``frame_wise`` classes
        looked up among Keras's registered objects)."""
        config = dict(config)
        config["frame_wise"] = tuple(keras.saving.get_registered_object(name) for name in config.get("frame_wise", ()))
        return cls(**config)


def _verify(model, step, plan):
    """Raise if ``step`` run over a test signal differs from ``model`` on it. Always runs: the stream gets
    a signal long enough for its warm-up and several chunks, whatever the chunk, and is compared with the
    offline model on the signal's first ``time`` samples (the model's fixed input length, if it has one)
    over the frames that read no end padding."""
    time_axis = plan.stft.input_format.time_axis
    shape = list(model.inputs[0].shape)
    hop = plan.hop_length
    chunk = (step.inputs[0].shape[time_axis] or hop)
    time = shape[time_axis] or max(4 * chunk, plan.stft.win_length + 4 * hop)
    # the offline frames that read no padding after the signal (pad_end's, or a centred STFT's)
    complete = max((time + plan.pad_begin - plan.frame_length) // hop + 1, 0)
    streamed_length = -(-(time + (plan.warmup_frames + 2) * hop + chunk) // chunk) * chunk
    shape[0] = 1
    shape[time_axis] = streamed_length
    rng = np.random.default_rng(0)
    dtype = keras.backend.standardize_dtype(model.inputs[0].dtype)
    signal = rng.standard_normal(shape).astype(dtype)
    offline = keras.ops.convert_to_numpy(model(time_slice(signal, time_axis, 0, time), training=False))
    states = [keras.ops.convert_to_tensor(state) for state in initial_states(step, 1)]
    pieces = []
    for begin in range(0, streamed_length, chunk):
        piece = keras.ops.convert_to_tensor(time_slice(signal, time_axis, begin, begin + chunk))
        output, *states = step([piece, *states], training=False)
        pieces.append(keras.ops.convert_to_numpy(output))
    out_axis = plan.output_time_axis
    streamed = np.concatenate(pieces, axis=out_axis)
    skip = plan.warmup_frames * (hop if plan.inverse else 1)
    start = (plan.stft.win_length - hop) if plan.inverse is not None else 0  # the offline inverse's unreconstructed start
    streamed = np.take(streamed, range(skip + start, streamed.shape[out_axis]), axis=out_axis)
    usable = complete * hop if plan.inverse is not None else complete  # samples no incomplete frame reaches
    n = min(streamed.shape[out_axis], offline.shape[out_axis], usable) - start
    if n <= 0:
        raise ValueError(f"to_streaming: the model {model.name!r} gives no output that reads no end padding for "
                         f"{time} samples, so the step cannot be verified; give it a longer input.")
    offline = np.take(offline, range(start, start + n), axis=out_axis)
    streamed = np.take(streamed, range(n), axis=out_axis)
    scale = max(1.0, float(np.max(np.abs(offline))))
    error = float(np.max(np.abs(streamed - offline)))
    if not error <= 1e-4 * scale:
        raise ValueError(
            f"to_streaming: the step's output differs from the model {model.name!r} on a test signal by {error:.3g} "
            f"(largest offline value {scale:.3g}): a layer after the STFT reads other frames than its own. Declare "
            f"only frame-wise layers in `frame_wise`.")
