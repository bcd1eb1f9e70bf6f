"""Audio from magnitudes: Griffin-Lim phase reconstruction and the inverse mel scale, as layers.

:class:`GriffinLim` takes a magnitude spectrogram in :class:`~kapre_like.time_frequency.STFT`'s
layout (Kapre's conventions: no centring unless asked, ``hop_length = win_length // 4``) and
returns waveforms in :class:`~kapre_like.time_frequency.InverseSTFT`'s; :class:`InverseMelScale`
turns a mel spectrogram back into linear magnitudes by non-negative least squares, as
``librosa.feature.inverse.mel_to_stft``; :func:`kapre_like.composed.get_mel_to_audio` chains
them. The iterations are plain TensorFlow ops in one ``tf.while_loop`` (not unrolled: tracing and
ONNX export take the same time for any ``n_iter``): the layers save, export as SavedModels and ONNX,
and convert to TFLite with built-in ops only (any batch).
"""

import warnings

import keras
import numpy as np
import tensorflow as tf
from keras import InputSpec

from . import filters, functional
from ._base import AudioLayer, FramedTransform, check_centering, complex_of, register
from ._checks import check_bool, check_choice, check_int, check_number
from ._layout import DataFormat
from .functional.finite import checked_nonnegative
from .functional.routes import note_switch

__all__ = ["GriffinLim", "InverseMelScale"]

#: The initial phases :class:`GriffinLim` starts from.
INITS = ("random", "zeros")


def _checked_iterations(n_iter, owner, minimum=1):
    check_int(n_iter, "n_iter", owner, minimum=minimum)
    return n_iter


@register
class GriffinLim(FramedTransform, AudioLayer):
    """Waveforms from magnitude spectrograms by (fast) Griffin-Lim, ``librosa.griffinlim``'s iteration.

    Each iteration synthesises with the current phases, takes the STFT again, moves the phases
    past it by ``momentum / (1 + momentum)`` of the previous estimate (fast Griffin-Lim of
    Perraudin, Balazs and Sondergaard, 2013; ``momentum=0``: the original Griffin and Lim, whose
    spectral convergence never increases) and normalises them. Arguments as
    ``torchaudio.transforms.GriffinLim`` plus the STFT's.

    Args:
        n_fft (int): FFT size of the STFT the magnitudes are of. Defaults to 2048.
        win_length (int or None): its frame length. Defaults to ``n_fft``.
        hop_length (int or None): its hop. Defaults to ``win_length // 4``.
        window_name (str or None): its window (see :class:`~kapre_like.time_frequency.STFT`).
            Defaults to the periodic Hann window.
        n_iter (int): iterations, >= 1. Defaults to 32.
        momentum (float): fast Griffin-Lim's momentum, >= 0; 0.99 (the default) converges
            fastest in practice; values >= 1 warn (they may not converge), as torchaudio.
        init (str): initial phases: ``'random'`` (uniform, the default) or ``'zeros'``.
        seed (int or None): seed of the random initial phases (``tf.random.uniform``); the
            sequence of draws repeats in a new process. Defaults to None.
        length (int or None): samples to return. Defaults to the STFT's natural length,
            ``(frames - 1) * hop_length`` with ``center`` and ``+ win_length`` without.
        power (float): the input is ``magnitude ** power`` (2 for a power spectrogram). Defaults
            to 1.
        center (bool): the STFT centred its frames (``STFT(center=True)``, librosa's and torch's
            default). Defaults to False, as :class:`~kapre_like.time_frequency.STFT`.
        pad_mode (str): with ``center``, what the STFT padded with: ``'constant'`` (the default,
            librosa's) or ``'reflect'`` (torch's).
        input_data_format (str): ``'channels_last'`` for ``(batch, time, freq, channels)``,
            ``'channels_first'`` for ``(batch, channels, time, freq)``, or ``'default'``.
        output_data_format (str): ``'channels_last'`` for ``(batch, time, channels)``,
            ``'channels_first'`` for ``(batch, channels, time)``, or ``'default'``.
        strategy (str): ``'plain'`` (the default: FFTs on complex tensors) or ``'conv'``: (real,
            imaginary) pairs with the DFT and its inverse as matrix products, the same numbers with
            TFLite built-in ops only (give it to the model you convert; slower in TensorFlow).
        **kwargs: Keras layer arguments.

    Uncentred frames (``center=False``) cover their first and last samples with little window
    weight; each synthesis divides by at least 1/10 of the peak window sum
    (:data:`kapre_like.MIN_COVERAGE`) so that those samples stay bounded.
    With ``center=True`` the numbers are ``librosa.griffinlim``'s. Through ONNX (``init='zeros'``) the
    output drifts from Keras's as iterations amplify float32 rounding: within 3e-3 of the peak at 32
    iterations (``docs/export.rst``); the iterations are one loop, so the export time does not grow with
    ``n_iter``.

    Input: real, non-negative, ``n_fft // 2 + 1`` frequency bins (a complex input is a
    ``TypeError``: give its :class:`~kapre_like.time_frequency.Magnitude`; negative, NaN or Inf
    values raise ``tf.errors.InvalidArgumentError`` naming which, when computed, outside TFLite and ONNX).

    Output: float32 (float64 for float64 input) waveforms.

    Example:
        >>> from kapre_like import STFT, Magnitude
        >>> stft = STFT(n_fft=512, hop_length=128, input_data_format='channels_last',
        ...             output_data_format='channels_last')
        >>> x = tf.sin(tf.range(8192, dtype=tf.float32) * 0.1)[tf.newaxis, :, tf.newaxis]
        >>> y = GriffinLim(n_fft=512, hop_length=128, n_iter=8, seed=0, input_data_format='channels_last',
        ...                output_data_format='channels_last')(Magnitude()(stft(x)))
        >>> y.shape
        TensorShape([1, 8192, 1])
    """

    def __init__(self, n_fft=2048, win_length=None, hop_length=None, window_name=None, n_iter=32, momentum=0.99,
                 init="random", seed=None, length=None, power=1.0, center=False, pad_mode="constant",
                 input_data_format="default", output_data_format="default", strategy="plain", **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        check_choice(strategy, "strategy", functional.GRIFFIN_LIM_STRATEGIES, owner)
        self.strategy = strategy
        self._configure(n_fft, win_length, hop_length, window_name, input_data_format, output_data_format,
                        synthesis=True)
        self.window_name = window_name
        self.n_iter = _checked_iterations(n_iter, owner)
        check_number(momentum, "momentum", owner, positive=False)
        if not momentum >= 0 or not np.isfinite(momentum):
            raise ValueError(f"{owner}: `momentum` must be a finite number >= 0 (0.99 is fast Griffin-Lim, 0 the "
                             f"original); got {momentum!r}.")
        if momentum >= 1:
            warnings.warn(f"{owner}: momentum={momentum} >= 1 can keep the iteration from converging; "
                          f"0.99 is the usual choice.", UserWarning, stacklevel=2)
        self.momentum = float(momentum)
        check_choice(init, "init", INITS, owner)
        self.init = init
        check_int(seed, "seed", owner, minimum=0, allow_none=True)
        self.seed = seed
        check_int(length, "length", owner, minimum=1, allow_none=True)
        self.length = length
        check_number(power, "power", owner)
        if not np.isfinite(power):
            raise ValueError(f"{owner}: `power` must be a finite number > 0; got {power!r}.")
        self.power = float(power)
        self.center, self.pad_mode = check_centering(owner, center, pad_mode)
        self.input_spec = InputSpec(ndim=4, axes={self.input_format.freq_axis: self.n_fft // 2 + 1})

    def call(self, inputs):
        if keras.backend.standardize_dtype(inputs.dtype).startswith("complex"):
            raise TypeError(f"{type(self).__name__} takes magnitudes, a real tensor; got "
                            f"{keras.backend.standardize_dtype(inputs.dtype)} "
                            f"input of shape {tuple(inputs.shape)}. Give Magnitude()(stft) instead of the STFT.")
        magnitudes = self.input_format.to_channels_first(self._float_input(inputs))
        magnitudes = checked_nonnegative(magnitudes, f"{type(self).__name__}: the magnitudes must be >= 0 and finite")
        if self.power != 1:
            magnitudes = magnitudes ** (1.0 / self.power)
        # an export without complex numbers (functional.real_arithmetic) takes the pairs route
        strategy = "conv" if functional.real_arithmetic_only() else self.strategy
        if strategy != self.strategy:
            note_switch(f"{type(self).__name__}: strategy {self.strategy!r} -> 'conv'")
        angles = None
        if self.init == "random":
            complex_dtype = complex_of(magnitudes.dtype)
            shape = tf.shape(magnitudes) if functional.on_tensorflow() else magnitudes.shape
            angles = functional.random_phases(shape, complex_dtype, self.seed, pairs=strategy == "conv")
        waveforms = functional.griffin_lim(magnitudes, self.n_fft, self.win_length, self.hop_length, self.window,
                                           self.n_iter, self.momentum, angles, self.center, self.pad_mode,
                                           self.length, strategy)
        return self.cast_output(self.output_format.from_channels_first(waveforms))

    def compute_output_shape(self, input_shape):
        return self.synthesized_shape(input_shape)

    def get_config(self):
        config = super().get_config()
        config.update(self._transform_config())
        config.update({"window_name": self.window_name, "n_iter": self.n_iter, "momentum": self.momentum,
                       "init": self.init, "seed": self.seed, "length": self.length, "power": self.power,
                       "pad_mode": self.pad_mode, "strategy": self.strategy})
        return config


@register
class InverseMelScale(AudioLayer):
    """Linear magnitudes from a mel spectrogram (or log-mel in dB) by non-negative least squares.

    The inverse of :func:`kapre_like.composed.get_melspectrogram_layer`'s filterbank step, as
    ``librosa.feature.inverse.mel_to_stft``: the non-negative ``S`` minimising
    ``||S @ mel_basis - M||`` per frame (from the clipped pseudo-inverse, ``n_iter`` projected
    gradient steps; see :func:`kapre_like.functional.nonnegative_least_squares`), then
    ``S ** (1 / power)``. With ``decibel=True`` the input is first taken out of decibels
    (``10 ** (dB / 10)`` for Kapre's power-style dB, ``/ 20`` with ``stype='magnitude'``; the
    reference the dB were taken against is lost, so the result is relative to it).

    Args:
        sample_rate (int): Hz. Defaults to 22050.
        n_fft (int): FFT size of the linear spectrogram to return. Defaults to 2048.
        n_mels (int): mel bands of the input. Defaults to 128.
        mel_f_min (float): lowest edge, Hz. Defaults to 0.
        mel_f_max (float or None): highest edge, Hz. Defaults to ``sample_rate / 2``.
        mel_htk (bool): HTK mel scale. Defaults to False.
        mel_norm (str or None): filter normalisation, as the forward filterbank. Defaults to
            ``'slaney'``.
        power (float): the mel spectrogram is of ``magnitude ** power``; the output is the
            magnitude. Defaults to 1 (Kapre's mel front end).
        decibel (bool): the input is in decibels (``MagnitudeToDecibel``'s output). Defaults to False.
        stype (str): with ``decibel``, ``'power'`` (Kapre's default, ``10 log10``) or ``'magnitude'``.
        n_iter (int): projected gradient steps, >= 0. Defaults to 100.
        data_format (str): ``'channels_last'`` ``(batch, time, freq, ch)``, ``'channels_first'`` or
            ``'default'``.
        **kwargs: Keras layer arguments.

    Example:
        >>> inverse = InverseMelScale(sample_rate=16000, n_fft=512, n_mels=40, data_format='channels_last')
        >>> inverse(tf.ones((1, 10, 40, 1))).shape
        TensorShape([1, 10, 257, 1])
    """

    keeps_float32 = True

    def __init__(self, sample_rate=22050, n_fft=2048, n_mels=128, mel_f_min=0.0, mel_f_max=None, mel_htk=False,
                 mel_norm="slaney", power=1.0, decibel=False, stype="power", n_iter=100, data_format="default",
                 **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.layout = DataFormat(data_format, "data_format", owner)
        check_int(n_fft, "n_fft", owner, minimum=2)
        self.basis = filters.mel_filterbank(sample_rate, n_fft // 2 + 1, n_mels, mel_f_min, mel_f_max, mel_htk,
                                            mel_norm, n_fft=n_fft)  # checks the mel arguments
        self.sample_rate, self.n_fft, self.n_mels = sample_rate, n_fft, n_mels
        self.mel_f_min, self.mel_f_max, self.mel_htk, self.mel_norm = mel_f_min, mel_f_max, mel_htk, mel_norm
        check_number(power, "power", owner)
        self.power = float(power)
        self.decibel = check_bool(decibel, "decibel", owner)
        check_choice(stype, "stype", ("power", "magnitude"), owner)
        self.stype = stype
        self.n_iter = _checked_iterations(n_iter, owner, minimum=0)
        self.data_format = self.layout.name
        self.input_spec = InputSpec(ndim=4, axes={self.layout.freq_axis: n_mels})

    def call(self, inputs):
        mel = self.layout.to_channels_first(self._float_input(inputs))
        if self.decibel:
            mel = keras.ops.power(keras.ops.cast(10.0, mel.dtype), mel / (10.0 if self.stype == "power" else 20.0))
        linear = functional.nonnegative_least_squares(self.basis, mel, self.n_iter)
        if self.power != 1:
            linear = linear ** (1.0 / self.power)
        return self.cast_output(self.layout.from_channels_first(linear))

    def compute_output_shape(self, input_shape):
        batch, channels, frames, _ = self.layout.split_shape(input_shape)
        return self.layout.join_shape(batch, channels, frames, self.n_fft // 2 + 1)

    def get_config(self):
        config = super().get_config()
        config.update({"sample_rate": self.sample_rate, "n_fft": self.n_fft, "n_mels": self.n_mels,
                       "mel_f_min": self.mel_f_min, "mel_f_max": self.mel_f_max, "mel_htk": self.mel_htk,
                       "mel_norm": self.mel_norm, "power": self.power, "decibel": self.decibel, "stype": self.stype,
                       "n_iter": self.n_iter, "data_format": self.layout.original})
        return config
