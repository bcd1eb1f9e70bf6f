"""The Keras 3 audio layers ``STFTSpectrogram`` and ``MelSpectrogram``, on kapre_like's DSP.

Same signatures, defaults, shapes, errors and numbers as ``keras.layers.STFTSpectrogram``
and ``keras.layers.MelSpectrogram``, so code written for those runs with the class
imported from ``kapre_like`` instead. The computation is :mod:`kapre_like.functional`'s.
"""

import keras
from keras import ops
import numpy as np
import tensorflow as tf
from keras import InputSpec

from . import filters, functional
from ._base import FINITE_MESSAGE, register
from ._checks import (
    CHANNELS_FIRST,
    CHANNELS_LAST,
    check_choice,
    check_float_input,
    check_int,
    check_number,
    check_signal_length,
)
from ._layout import DataFormat, LayoutChecked

__all__ = ["STFTSpectrogram", "MelSpectrogram"]

STFT_MODES = ("log", "magnitude", "psd", "real", "imag", "angle", "stft")
_FLOAT_DTYPES = ("float16", "float32", "float64")


def _window_config(window):
    """A JSON-friendly window for get_config: names and None as they are, arrays as lists."""
    return window if window is None or isinstance(window, str) else np.asarray(window).tolist()


def _check_float_input(inputs, owner):
    check_float_input(inputs, owner, "a floating-point waveform", allowed=_FLOAT_DTYPES)


def _check_signal(signals, min_length, owner, shape, requirement):
    """Raise for a known time length below ``min_length``; return ``signals`` checked for NaN/Inf.

    ``signals`` is time-last. The returned tensor must be used: its check raises
    ``InvalidArgumentError`` naming ``owner`` when the values are computed.
    """
    check_signal_length(signals.shape[-1], min_length, owner, f"input shape {tuple(shape)}",
                        f"{requirement} = {min_length}")
    return functional.check_finite(signals, FINITE_MESSAGE.format(owner=owner))


def _next_power_of_two(n):
    return 1 << (int(n) - 1).bit_length()


@register
class STFTSpectrogram(LayoutChecked, keras.layers.Layer):
    """Spectrogram of multichannel waveforms by a strided convolution with (trainable) DFT kernels.

    ``keras.layers.STFTSpectrogram`` with its signature and semantics: frames of
    ``frame_length`` samples every ``frame_step`` samples, each multiplied by ``window``
    and correlated with cosines and sines of ``fft_length // 2 + 1`` frequencies. The
    kernels ``real_kernel`` and ``imag_kernel`` (``(frame_length, 1, fft_length // 2 + 1)``,
    the same names and shapes as Keras's, so ``set_weights`` works across the two) start as
    the windowed DFT divided by the ``scaling`` factor and are trained with the model unless
    ``trainable=False``. Every channel is transformed independently with the same kernels.

    Args:
        mode (str): output type. ``'log'`` (default): ``log(max(magnitude, eps))``;
            ``'magnitude'``: ``sqrt(max(real**2 + imag**2, eps))`` with
            ``eps = keras.config.epsilon()``; ``'psd'``: one-sided power spectral density
            (power with the bins other than DC and Nyquist doubled, as
            ``scipy.signal.spectrogram``); ``'real'``, ``'imag'``: the parts;
            ``'angle'``: ``atan2(imag, real)`` in radians; ``'stft'``: real and imaginary
            parts concatenated along frequency (``2 * (fft_length // 2 + 1)`` values).
        frame_length (int): window length in samples. Defaults to 256.
        frame_step (int or None): hop in samples, 1 ... ``frame_length``. Defaults to
            ``frame_length // 2``.
        fft_length (int or None): DFT size, >= ``frame_length``; any size is exact (no
            power of two needed). Defaults to the smallest power of two >= ``frame_length``.
        window (str, array or None): a name ``scipy.signal.get_window`` knows (``'hann'``
            (default), ``'hamming'``, ...), an array of ``frame_length`` values, or None.
        periodic (bool): periodic instead of symmetric named window. Defaults to False.
        scaling (str or None): ``'density'`` divides the kernels by ``sqrt(sum(window**2))``,
            ``'spectrum'`` by ``sum(window)``, None by nothing. Defaults to ``'density'``.
        padding (str): ``'valid'``: ``1 + (time - frame_length) // frame_step`` frames;
            ``'same'``: ``ceil(time / frame_step)`` frames, zero-padded as a ``'same'``
            convolution pads. Defaults to ``'valid'``.
        expand_dims (bool): keep channels on their own axis (4-D output) instead of
            stacking them with frequency. Defaults to False.
        data_format (str or None): ``'channels_last'`` (input ``(batch, time, channels)``)
            or ``'channels_first'`` (``(batch, channels, time)``). Defaults to
            ``keras.config.image_data_format()``.
        **kwargs: Keras layer arguments, e.g. ``trainable`` and ``dtype``.

    Output shapes (``freq = fft_length // 2 + 1``, doubled for ``'stft'``):
    ``channels_last``: ``(batch, frames, channels * freq)``, with ``expand_dims``
    ``(batch, frames, freq, channels)``; ``channels_first``: ``(batch, channels * freq,
    frames)``, with ``expand_dims`` ``(batch, channels, frames, freq)``.

    Differences from Keras: a non-power-of-two ``fft_length`` gives the exact DFT without a
    warning (Keras's kernels assume an even length, so odd lengths are off there, and its
    ``'psd'`` does not double the last bin of an odd length, unlike scipy).

    Raises:
        ValueError: an unknown ``mode``, ``scaling``, ``padding``, ``data_format`` or window
            name; ``frame_step`` outside 1 ... ``frame_length``; ``fft_length < frame_length``;
            a window array of the wrong length.
        TypeError: a non-integer size; at call, an input that is not float16/32/64.

    Example:
        >>> layer = STFTSpectrogram(mode='log', frame_length=256, frame_step=128, fft_length=512,
        ...                         trainable=False, data_format='channels_last')
        >>> layer(keras.random.uniform(shape=(3, 16000, 1))).shape
        TensorShape([3, 124, 257])
    """

    def __init__(
        self,
        mode="log",
        frame_length=256,
        frame_step=None,
        fft_length=None,
        window="hann",
        periodic=False,
        scaling="density",
        padding="valid",
        expand_dims=False,
        data_format=None,
        **kwargs,
    ):
        owner = "STFTSpectrogram"
        check_choice(mode, "mode", STFT_MODES, owner)
        check_int(frame_length, "frame_length", owner)
        check_int(frame_step, "frame_step", owner, allow_none=True, minimum=None)
        if frame_step is not None and not 1 <= frame_step <= frame_length:
            raise ValueError(
                f"{owner}: `frame_step` should be a positive integer not greater than `frame_length`. "
                f"Received frame_step={frame_step}, frame_length={frame_length}"
            )
        check_int(fft_length, "fft_length", owner, allow_none=True, minimum=None)
        if fft_length is not None and fft_length < frame_length:
            raise ValueError(
                f"{owner}: `fft_length` should be not less than `frame_length`. "
                f"Received fft_length={fft_length}, frame_length={frame_length}"
            )
        if scaling is not None:
            check_choice(scaling, "scaling", ("density", "spectrum"), owner + " (or None)")
        check_choice(padding, "padding", ("valid", "same"), owner)
        layout = DataFormat(data_format, "data_format", owner, allowed=(CHANNELS_LAST, CHANNELS_FIRST), allow_none=True)
        self._window_values = functional.window_array(window, frame_length, periodic)
        # cast in call instead (to the compute dtype, as Keras's layer does, but float32 under a mixed policy):
        # Keras's autocast would squash float32 audio to float16 before the DSP
        kwargs.setdefault("autocast", False)
        super().__init__(**kwargs)
        self.mode = mode
        self.frame_length = frame_length
        self.frame_step = frame_step
        self._frame_step = frame_step or frame_length // 2
        self.fft_length = fft_length
        self._fft_length = fft_length or _next_power_of_two(frame_length)
        self.window = window
        self.periodic = bool(periodic)
        self.scaling = scaling
        self.padding = padding
        self.expand_dims = bool(expand_dims)
        self.layout = layout
        self.data_format = layout.name
        self.input_spec = InputSpec(ndim=3)

    def _initial_kernel(self, part):
        window = self._window_values
        scale = {"density": np.sqrt(np.sum(window**2)), "spectrum": np.sum(np.abs(window)), None: 1.0}[self.scaling]
        kernel = functional.dft_kernel(self._fft_length, window)[..., part] / scale
        return kernel[:, np.newaxis, :]

    def build(self, input_shape):
        def initializer(part):
            return lambda shape, dtype=None: keras.ops.cast(self._initial_kernel(part), dtype)

        shape = (self.frame_length, 1, self._fft_length // 2 + 1)
        # autocast=False: the kernels are read in float32 under a mixed policy too (the DSP runs in float32)
        if self.mode != "imag":
            self.real_kernel = self.add_weight(name="real_kernel", shape=shape, initializer=initializer(0),
                                               autocast=False)
        if self.mode != "real":
            self.imag_kernel = self.add_weight(name="imag_kernel", shape=shape, initializer=initializer(1),
                                               autocast=False)

    def _kernels(self):
        if self.mode == "real":
            return [self.real_kernel]
        if self.mode == "imag":
            return [self.imag_kernel]
        return [self.real_kernel, self.imag_kernel]

    def call(self, inputs):
        _check_float_input(inputs, "STFTSpectrogram")
        min_length = self.frame_length if self.padding == "valid" else 1
        waveforms = _check_signal(self.layout.to_channels_first(inputs), min_length, "STFTSpectrogram", inputs.shape,
                                  "frame_length")
        # the DSP runs in float32 under a mixed policy, in float64 for a float64 layer
        waveforms = ops.cast(waveforms, self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32")
        kernels = [ops.cast(kernel[:, 0, :], waveforms.dtype) for kernel in self._kernels()]
        n_freq = self._fft_length // 2 + 1
        # one convolution for both parts: (batch, channels, frames, n_parts * freq)
        products = functional.framed_dot(waveforms, ops.concatenate(kernels, axis=1), self._frame_step,
                                         self.padding.upper())
        if self.mode in ("real", "imag", "stft"):
            spectra = products
        else:
            real, imag = products[..., :n_freq], products[..., n_freq:]
            if self.mode == "angle":
                spectra = functional.atan2(imag, real)
            else:
                power = ops.square(real) + ops.square(imag)
                if self.mode == "psd":
                    spectra = power * ops.cast(functional.one_sided_weights(self._fft_length), power.dtype)
                else:
                    epsilon = keras.config.epsilon()
                    spectra = ops.sqrt(ops.maximum(power, epsilon))
                    if self.mode == "log":
                        spectra = ops.log(ops.maximum(spectra, epsilon))
        return ops.cast(self._arrange(spectra), self.compute_dtype)

    def _arrange(self, spectra):
        """(batch, channels, frames, freq) -> the output layout of data_format and expand_dims."""
        if self.expand_dims:
            return self.layout.from_channels_first(spectra)
        shape = ops.shape(spectra)  # (sizes unknown when traced as scalar tensors)
        frames, freq = shape[2], spectra.shape[3]
        channels = spectra.shape[1] if spectra.shape[1] is not None else shape[1]
        if self.layout.channels_last:
            stacked = functional.transpose(spectra, (0, 2, 1, 3))
            return ops.reshape(stacked, [-1, frames, channels * freq])
        stacked = functional.transpose(spectra, (0, 1, 3, 2))
        return ops.reshape(stacked, [-1, channels * freq, frames])

    def compute_output_shape(self, input_shape):
        batch, channels, time = self.layout.split_shape(input_shape)
        freq = (self._fft_length // 2 + 1) * (2 if self.mode == "stft" else 1)
        if time is None:
            frames = None
        elif self.padding == "same":
            frames = -(-time // self._frame_step)
        else:
            frames = functional.frame_count(time, self.frame_length, self._frame_step)
        if self.expand_dims:
            return self.layout.join_shape(batch, channels, frames, freq)
        stacked = None if channels is None else channels * freq
        return (batch, frames, stacked) if self.layout.channels_last else (batch, stacked, frames)

    def compute_output_spec(self, inputs):
        _check_float_input(inputs, "STFTSpectrogram")
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "mode": self.mode,
                "frame_length": self.frame_length,
                "frame_step": self.frame_step,
                "fft_length": self.fft_length,
                "window": _window_config(self.window),
                "periodic": self.periodic,
                "scaling": self.scaling,
                "padding": self.padding,
                "data_format": self.data_format,
                "expand_dims": self.expand_dims,
            }
        )
        return config


@register
class MelSpectrogram(keras.layers.Layer):
    """Mel spectrogram of 1-D or batched 2-D waveforms, in decibels by default.

    ``keras.layers.MelSpectrogram`` with its signature, defaults, shapes and numbers:
    centred frames (the signal is reflect-padded by ``fft_length // 2`` at both ends), a
    window of ``sequence_length`` centred in each ``fft_length`` frame, the magnitude raised
    to ``mag_exp``, an HTK mel matrix with triangles of peak 1
    (:func:`kapre_like.filters.mel_weight_matrix`), then optionally
    ``10 * log10(max(S, min_power) / max(|ref_power|, min_power))`` floored at
    ``max - top_db``. As in Keras, that maximum is taken over the **whole** input tensor
    (every item of a batch), so one loud item raises the floor of the others.

    Args:
        fft_length (int): FFT size. Defaults to 2048.
        sequence_stride (int): samples between frames. Defaults to 512.
        sequence_length (int or None): window length, <= ``fft_length``. Defaults to ``fft_length``.
        window (str, array or None): ``'hann'`` (default) or ``'hamming'`` (periodic, but
            symmetric for an odd ``sequence_length``, as ``tf.signal`` and Keras make them), an
            array of ``sequence_length`` values, or None for no window.
        sampling_rate (number): Hz. Defaults to 16000.
        num_mel_bins (int): mel bands. Defaults to 128.
        min_freq (float): lower edge of the first band, Hz. Defaults to 20.
        max_freq (float or None): upper edge of the last band, Hz. Defaults to
            ``int(sampling_rate / 2)``.
        power_to_db (bool): convert to decibels. Defaults to True.
        top_db (float or None): dynamic range kept, dB (None keeps all). Defaults to 80.
        mag_exp (float): exponent of the magnitude: 1 magnitude, 2 power. Defaults to 2.
        min_power (float): floor of the power and of ``ref_power``. Defaults to 1e-10.
        ref_power (float): power that becomes 0 dB. Defaults to 1.
        **kwargs: Keras layer arguments.

    Input: ``(samples,)`` or ``(batch, samples)``, float; longer than ``fft_length // 2``
    samples (reflection padding needs that many). Output: ``(num_mel_bins, frames)`` or
    ``(batch, num_mel_bins, frames)`` with ``frames = 1 + (samples + 2 * (fft_length // 2)
    - fft_length) // sequence_stride`` (``1 + samples // sequence_stride`` for an even
    ``fft_length``). Keras's ``compute_output_shape`` says ``(samples + sequence_stride + 1)
    // sequence_stride``, which is one frame too many when ``samples + 1`` is a multiple of
    the stride; here the declared shape is the computed one.

    Raises:
        ValueError: ``fft_length < sequence_length``, ``min_freq >= max_freq``, a window
            name other than 'hann'/'hamming' or an array of the wrong length, non-positive sizes.
        TypeError: a non-integer size.

    Example:
        >>> layer = MelSpectrogram(num_mel_bins=64, sampling_rate=8000, sequence_stride=256, fft_length=2048)
        >>> layer(keras.random.uniform(shape=(16000,))).shape
        TensorShape([64, 63])
        >>> MelSpectrogram(num_mel_bins=80, sampling_rate=8000, sequence_stride=128,
        ...                fft_length=2048)(keras.random.uniform(shape=(2, 16000))).shape
        TensorShape([2, 80, 126])
    """

    def __init__(
        self,
        fft_length=2048,
        sequence_stride=512,
        sequence_length=None,
        window="hann",
        sampling_rate=16000,
        num_mel_bins=128,
        min_freq=20.0,
        max_freq=None,
        power_to_db=True,
        top_db=80.0,
        mag_exp=2.0,
        min_power=1e-10,
        ref_power=1.0,
        **kwargs,
    ):
        owner = "MelSpectrogram"
        check_int(fft_length, "fft_length", owner)
        check_int(sequence_stride, "sequence_stride", owner)
        check_int(sequence_length, "sequence_length", owner, allow_none=True)
        sequence_length = sequence_length or fft_length
        if fft_length < sequence_length:
            raise ValueError(
                f"{owner}: `fft_length` must be greater than or equal to `sequence_length`. "
                f"Received: `sequence_length`={sequence_length}, `fft_length`={fft_length}."
            )
        if isinstance(window, str):
            check_choice(window, "window", ("hann", "hamming"), owner + " (or an array, or None)")
        # Keras takes tf.signal's periodic windows, which are symmetric for odd lengths
        self._window_values = functional.window_array(window, sequence_length, periodic=sequence_length % 2 == 0)
        check_number(sampling_rate, "sampling_rate", owner)
        check_int(num_mel_bins, "num_mel_bins", owner)
        check_number(min_freq, "min_freq", owner, positive=False)
        max_freq = max_freq or int(sampling_rate / 2)
        check_number(max_freq, "max_freq", owner)
        if not 0 <= min_freq < max_freq:
            raise ValueError(
                f"{owner}: need 0 <= `min_freq` < `max_freq`; got min_freq={min_freq}, max_freq={max_freq}."
            )
        check_number(top_db, "top_db", owner, allow_none=True)
        check_number(mag_exp, "mag_exp", owner)
        check_number(min_power, "min_power", owner)
        check_number(ref_power, "ref_power", owner, positive=False)
        kwargs.setdefault("autocast", False)  # call casts: float32 audio stays float32 under a mixed policy
        super().__init__(**kwargs)
        self.fft_length = fft_length
        self.sequence_stride = sequence_stride
        self.sequence_length = sequence_length
        self.window = window
        self.sampling_rate = sampling_rate
        self.num_mel_bins = num_mel_bins
        self.min_freq = min_freq
        self.max_freq = max_freq
        self.power_to_db = bool(power_to_db)
        self.top_db = top_db
        self.mag_exp = mag_exp
        self.min_power = min_power
        self.ref_power = ref_power
        self.input_spec = InputSpec(min_ndim=1, max_ndim=2)
        left = (fft_length - sequence_length) // 2
        self._frame_window = np.pad(self._window_values, (left, fft_length - sequence_length - left))
        self._mel_matrix = filters.mel_weight_matrix(num_mel_bins, fft_length // 2 + 1, sampling_rate, min_freq,
                                                     max_freq)
        self._mel_matrix.flags.writeable = False  # a constant: made a backend tensor once (functional.neutral)

    def call(self, inputs):
        _check_float_input(inputs, "MelSpectrogram")
        dtype = self.compute_dtype if self.compute_dtype in ("float32", "float64") else "float32"
        signals = ops.cast(inputs, dtype)
        half = self.fft_length // 2
        # reflection padding needs more samples than it pads
        check_signal_length(signals.shape[-1], half + 1, "MelSpectrogram", f"input shape {tuple(inputs.shape)}",
                            f"fft_length // 2 + 1 = {half + 1}")
        signals = functional.center_pad(signals, self.fft_length, "reflect")
        decibel = None
        if self.power_to_db:
            decibel = dict(ref_value=abs(self.ref_power), amin=self.min_power, dynamic_range=self.top_db,
                           batch_axis=False)
        # frames, power, mel and decibels as one computation (see kapre_like.functional.filtered_spectrogram)
        mel = functional.filtered_spectrogram(
            signals, self.fft_length, self.fft_length, self.sequence_stride, self._frame_window,
            filterbank=self._mel_matrix, power=self.mag_exp, decibel=decibel,
            finite_message=FINITE_MESSAGE.format(owner="MelSpectrogram"),
        )
        return ops.cast(ops.swapaxes(mel, -1, -2), self.compute_dtype)

    def compute_output_shape(self, input_shape):
        samples = input_shape[-1]
        frames = None
        if samples is not None:
            frames = functional.frame_count(samples + 2 * (self.fft_length // 2), self.fft_length,
                                            self.sequence_stride)
        return tuple(input_shape[:-1]) + (self.num_mel_bins, frames)

    def compute_output_spec(self, inputs):
        _check_float_input(inputs, "MelSpectrogram")
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self.compute_dtype)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "fft_length": self.fft_length,
                "sequence_stride": self.sequence_stride,
                "sequence_length": self.sequence_length,
                "window": _window_config(self.window),
                "sampling_rate": self.sampling_rate,
                "num_mel_bins": self.num_mel_bins,
                "min_freq": self.min_freq,
                "max_freq": self.max_freq,
                "power_to_db": self.power_to_db,
                "top_db": self.top_db,
                "mag_exp": self.mag_exp,
                "min_power": self.min_power,
                "ref_power": self.ref_power,
            }
        )
        return config
