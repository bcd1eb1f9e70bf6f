"""The layers' common ground: their base class, dtype policy, registration and shared checks.

:class:`AudioLayer` is the base of every kapre_like layer (precision kept, half precisions computed in
float32, the streaming capability :attr:`AudioLayer.frame_wise`); :class:`FramedTransform` what the
framed transforms (:class:`~kapre_like.time_frequency.STFT`, :class:`~kapre_like.time_frequency.InverseSTFT`,
:class:`~kapre_like.reconstruction.GriffinLim`) share; :data:`register` the decorator that makes a layer
loadable from ``.keras`` files. The layer modules import these public names from here.
"""

import functools
import inspect

import keras
import numpy as np
import tensorflow as tf

from . import functional
from ._checks import (
    check_bool,
    check_choice,
    check_float_input,
    check_hop_within_window,
    resolve_stft_lengths,
    warn_hop_beyond_window,
)
from ._layout import DataFormat, LayoutChecked

__all__ = ["register", "require_tensorflow_backend", "TFLITE_ONLY", "AudioLayer", "FramedTransform", "HALF_FLOATS", "REAL_OF_COMPLEX", "FINITE_MESSAGE",
           "complex_of", "real_of", "dsp_dtype", "complex_layout", "check_centering"]

_register_with_keras = keras.saving.register_keras_serializable(package="kapre_like")


def register(cls=None, *, tensorflow_only=None):
    """The decorator of every kapre_like layer: registered for ``.keras`` files as ``"kapre_like>ClassName"``
    (a registered name must never change, or saved models stop loading).

    ``@register(tensorflow_only="why")`` marks a layer that is built on Keras's TensorFlow backend only
    (:func:`require_tensorflow_backend`, with that reason): a JAX or PyTorch user hears so when building or
    loading it, instead of meeting a tracer error inside ``fit``. Every other layer runs on every backend.
    """
    if cls is None:
        return lambda klass: register(klass, tensorflow_only=tensorflow_only)
    if tensorflow_only is not None:
        make = cls.__new__  # (not __init__: a wrapper there would move the warnings' stacklevel off the caller's line)

        def __new__(klass, *args, **kwargs):
            require_tensorflow_backend(klass.__name__, tensorflow_only)
            return make(klass, *args, **kwargs)

        # the class's arguments as its __init__ declares them, for help() and IDEs (inspect reads __new__ first)
        __new__.__signature__ = inspect.signature(cls.__init__)
        cls.__new__ = staticmethod(__new__)
        cls.tensorflow_only = tensorflow_only
    return _register_with_keras(cls)


#: Why a layer runs on TensorFlow only, by kind (the ``tensorflow_only`` reasons of :func:`register`).
TFLITE_ONLY = "it exists to be converted to TFLite, which only TensorFlow models are"


def require_tensorflow_backend(owner, reason="it computes with TensorFlow ops"):
    """RuntimeError, naming Keras's backend and ``reason``, unless the backend is TensorFlow."""
    backend = keras.backend.backend()
    if backend != "tensorflow":
        raise RuntimeError(
            f"{owner} runs on Keras's TensorFlow backend only: {reason}. This process's Keras backend is "
            f"{backend!r} (KERAS_BACKEND); set KERAS_BACKEND=tensorflow before Keras is imported to use it.")


REAL_OF_COMPLEX = {"complex64": "float32", "complex128": "float64"}


def complex_of(dtype):
    return "complex128" if keras.backend.standardize_dtype(dtype) == "float64" else "complex64"


def real_of(dtype):
    dtype = keras.backend.standardize_dtype(dtype)
    return REAL_OF_COMPLEX.get(dtype, dtype)


HALF_FLOATS = ("float16", "bfloat16")


class AudioLayer(LayoutChecked, keras.layers.Layer):
    """Base of kapre_like's layers: inputs keep their precision (no autocasting).

    float64 input is computed in float64 (complex128 spectra); float16 and bfloat16 input,
    and every layer under a ``mixed_float16``/``mixed_bfloat16`` policy, are computed in
    float32 and real outputs are returned in the policy's compute dtype (:meth:`cast_output`),
    except linear-scale spectra (:attr:`keeps_float32`), which stay float32.
    """

    #: True where the output is a linear-scale spectrum (magnitude, power, filterbank energies):
    #: its range (below 1e-8 to above 1e7 for a power spectrum) and the gradient of the decibel
    #: step after it (proportional to 1 / x) do not fit float16, so under a half-precision policy
    #: it stays float32, as complex spectra do; decibels and later features take the compute dtype.
    keeps_float32 = False

    #: True where each output frame depends only on the same input frame (or the layer is the identity at
    #: inference), so that :func:`kapre_like.streaming.to_streaming` can run it chunk by chunk. A layer whose
    #: answer depends on its arguments makes it a property; :attr:`not_frame_wise_reason` then says why not.
    frame_wise = False

    #: Why this layer does not stream, in the words of :func:`kapre_like.streaming.to_streaming`'s error
    #: (after the layer's class and name), or None for the general message.
    not_frame_wise_reason = None

    def __init__(self, **kwargs):
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)

    def _float_input(self, inputs, what="a real floating-point tensor"):
        """Check that ``inputs`` is real floating point; return it in its DSP precision."""
        dtype = check_float_input(inputs, type(self).__name__, what)
        return keras.ops.cast(inputs, "float32") if dtype in HALF_FLOATS else inputs

    def compute_output_spec(self, inputs):
        check_float_input(inputs, type(self).__name__)
        return keras.KerasTensor(self.compute_output_shape(inputs.shape),
                                 dtype=self._output_dtype(dsp_dtype(inputs.dtype)))

    def _complex_input(self, inputs):
        dtype = keras.backend.standardize_dtype(inputs.dtype)
        if dtype not in REAL_OF_COMPLEX:
            raise TypeError(
                f"{type(self).__name__} expects a complex tensor (complex64 or complex128), such as the output of "
                f"STFT; got {dtype} input of shape {tuple(inputs.shape)}."
            )
        return inputs

    def cast_output(self, outputs):
        """Real ``outputs`` in the compute dtype of a half-precision policy, else as computed (what
        every layer returns; a chain computed as one, such as the composed front ends, ends with it)."""
        if (self.compute_dtype in HALF_FLOATS and not self.keeps_float32
                and not keras.backend.standardize_dtype(outputs.dtype).startswith("complex")):
            return keras.ops.cast(outputs, self.compute_dtype)
        return outputs

    @property
    def finite_message(self):
        """The message of the error a NaN or Inf in the input waveform raises."""
        return FINITE_MESSAGE.format(owner=type(self).__name__)

    def _output_dtype(self, real_dtype):
        return self.compute_dtype if self.compute_dtype in HALF_FLOATS and not self.keeps_float32 else real_dtype


def dsp_dtype(dtype):
    """float64 stays float64; everything else is computed in float32."""
    return "float64" if keras.backend.standardize_dtype(dtype) == "float64" else "float32"


#: What a layer raises for a NaN or Inf in its input waveform.
FINITE_MESSAGE = "{owner}: the input waveform contains NaN or Inf"


def complex_layout(stfts, move):
    """``move`` (a transpose between data formats) applied to complex ``stfts``; within
    :func:`~kapre_like.functional.real_arithmetic`, to their real and imaginary parts, so that a
    complex tensor is only built and read, never transposed (what an export to pairs maps)."""
    if not functional.real_arithmetic_only() or not functional.on_tensorflow():
        return move(stfts)
    return tf.complex(move(tf.math.real(stfts)), move(tf.math.imag(stfts)))


def check_centering(owner, center, pad_mode, pad_begin=False, pad_end=False):
    """``(center, pad_mode)`` checked: a bool, one of the pad modes, and not with Kapre's paddings."""
    check_choice(pad_mode, "pad_mode", functional.PAD_MODES, owner)
    center = check_bool(center, "center", owner)
    if center and (pad_begin or pad_end):
        raise ValueError(f"{owner}: center=True pads n_fft // 2 samples at both ends itself; `pad_begin` and "
                         f"`pad_end` must be False with it (got pad_begin={pad_begin}, pad_end={pad_end}).")
    return center, pad_mode


class FramedTransform:
    """What :class:`STFT` and :class:`InverseSTFT` share: their checked sizes, window and data formats,
    and Kapre's ``input_data_format``/``output_data_format`` attributes read from the
    :class:`~kapre_like._layout.DataFormat` helpers ``input_format`` and ``output_format``."""

    def _configure(self, n_fft, win_length, hop_length, window_name, input_data_format, output_data_format,
                   synthesis=False):
        owner = type(self).__name__
        self.input_format = DataFormat(input_data_format, "input_data_format", owner)
        self.output_format = DataFormat(output_data_format, "output_data_format", owner)
        self.n_fft = n_fft
        self.win_length, self.hop_length = resolve_stft_lengths(n_fft, win_length, hop_length, owner)
        # gaps between frames: a synthesis cannot fill them (refused), an analysis merely skips them (warned)
        if synthesis:
            check_hop_within_window(self.hop_length, self.win_length, owner)
        else:
            warn_hop_beyond_window(self.hop_length, self.win_length, owner, stacklevel=4)
        self.window_fn = functional.window_function(window_name)
        # resolved once: the DSP takes arrays (a writable copy: torch.compile cannot wrap a read-only array)
        self.window = np.array(functional.window_values(self.window_fn, self.win_length))

    def synthesized_shape(self, input_shape):
        """The waveforms' shape synthesised from spectrograms of ``input_shape``: ``length`` samples, or
        ``(frames - 1) * hop_length`` (+ ``win_length`` without ``center``)."""
        batch, channels, frames, _ = self.input_format.split_shape(input_shape)
        if self.length is not None:
            time = self.length
        elif frames is None:
            time = None
        else:
            time = max(0, (frames - 1) * self.hop_length + (0 if self.center else self.win_length))
        return self.output_format.join_shape(batch, channels, time)

    def _transform_config(self):
        """The ``get_config`` entries that both transforms have."""
        return {"n_fft": self.n_fft, "win_length": self.win_length, "hop_length": self.hop_length,
                "input_data_format": self.input_format.original, "output_data_format": self.output_format.original,
                "center": self.center}

    @property
    def input_data_format(self):
        """``'channels_first'`` or ``'channels_last'`` (``'default'`` resolved), as Kapre's attribute."""
        return self.input_format.name

    @property
    def output_data_format(self):
        """``'channels_first'`` or ``'channels_last'`` (``'default'`` resolved), as Kapre's attribute."""
        return self.output_format.name
