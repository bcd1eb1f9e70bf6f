"""Constant-Q and variable-Q transforms of waveforms: :class:`CQT` and :class:`VQT` (``librosa.cqt``/``vqt``).

Kapre has no such layers; the DSP is :mod:`kapre_like.functional.constant_q`.
"""

import keras
import tensorflow as tf
from keras import InputSpec

from . import functional
from ._base import AudioLayer, complex_of, register
from ._checks import check_bool, check_choice, check_float_input, check_int, check_number
from ._layout import DataFormat
from .functional.finite import checked_against
from .functional.constant_q import RESAMPLERS, constant_q_frames, constant_q_pairs, constant_q_plan

__all__ = ["CQT", "VQT"]

@register
class VQT(AudioLayer):
    """Variable-Q transform of waveforms, equal to ``librosa.vqt`` (its magnitude by default).

    Bin ``k`` is centred at ``f_min * 2 ** (k / bins_per_octave)`` and analysed by a Hann-windowed
    complex exponential ``Q * sample_rate / (f_k + gamma / alpha)`` samples long (``alpha`` the
    bins' relative bandwidth): ``gamma=0`` is the constant-Q transform (:class:`CQT`), ``gamma``
    above 0 widens the low bins' bandwidth by ``gamma`` Hz, shortening their wavelets; ``None``
    is librosa's default, the ERB of each bin (Glasberg & Moore). librosa's algorithm is followed
    step by step (octave by octave from the top, the signal halved between octaves with the same
    resampler, the same sparsified filters, the same scaling), so the numbers are librosa's: to
    about 1e-6 of the peak with the default ``res_type='soxr_hq'``. The filters are computed once
    in NumPy at construction; each octave is one strided convolution (built-in TFLite ops).

    Frame ``t`` is centred on sample ``t * hop_length``; there are ``1 + time // hop_length`` of
    them. The lowest octaves run on the halved signals only while the hop stays even: a hop
    divisible by ``2 ** (octaves - 1)`` (512 for 7 octaves and more) is fastest.

    Args:
        sample_rate (int): Hz. Defaults to 22050.
        hop_length (int): samples between frames. Defaults to 512.
        f_min (float): centre of the lowest bin, in Hz, below ``sample_rate / 2``. Defaults to C1
            (32.70 Hz).
        n_bins (int): number of bins. Defaults to 84 (7 octaves of semitones).
        bins_per_octave (int): Defaults to 12.
        gamma (float or None): bandwidth offset in Hz, >= 0; None for the ERB. Defaults to None.
        tuning (float): offset of ``f_min`` in fractions of a bin. Defaults to 0.
        filter_scale (float): > 0; below 1 shortens the wavelets. Defaults to 1.
        norm (float or None): norm each wavelet is normalised to (``librosa.util.normalize``).
            Defaults to 1.
        sparsity (float): fraction of each filter's energy librosa drops, in [0, 1). Defaults to 0.01.
        window (str or tuple): window of the wavelets (``librosa.filters.get_window``). Defaults
            to ``'hann'``.
        scale (bool): divide each bin by the square root of its wavelet's length (librosa's
            ``scale``). Defaults to True.
        pad_mode (str): ``'constant'`` (zeros) or ``'reflect'``, the centring. Defaults to
            ``'constant'``, librosa's.
        res_type (str): the resampler whose filter halves the signal: ``'soxr_hq'`` (librosa's
            default), ``'soxr_vhq'`` or ``'polyphase'`` (scipy's). Defaults to ``'soxr_hq'``.
        return_complex (bool): return the complex values (complex64, as :class:`STFT`) instead of
            their magnitudes. Defaults to False.
        trainable (bool): make the filters (each octave's kernel) trainable weights, starting at
            librosa's, as nnAudio's ``trainable=True``. Defaults to False.
        input_data_format (str): ``'channels_last'`` for ``(batch, time, ch)``,
            ``'channels_first'`` for ``(batch, ch, time)``, or ``'default'``.
        output_data_format (str): ``'channels_last'`` for ``(batch, frames, n_bins, ch)``,
            ``'channels_first'`` for ``(batch, ch, frames, n_bins)``, or ``'default'``.
        **kwargs: Keras layer arguments.

    Raises:
        TypeError, ValueError: a bad argument, ``f_min`` at or above ``sample_rate / 2``, or too
            many bins for the rate (the message names the top bin and Nyquist).

    Example:
        >>> import numpy as np
        >>> layer = VQT(sample_rate=16000, hop_length=256, f_min=55.0, n_bins=72,
        ...             input_data_format='channels_last', output_data_format='channels_last')
        >>> layer(np.zeros((2, 16000, 1), np.float32)).shape
        TensorShape([2, 63, 72, 1])
    """

    keeps_float32 = True

    def __init__(self, sample_rate=22050, hop_length=512, f_min=32.70319566, n_bins=84, bins_per_octave=12,
                 gamma=None, tuning=0.0, filter_scale=1.0, norm=1, sparsity=0.01, window="hann", scale=True,
                 pad_mode="constant", res_type="soxr_hq", return_complex=False, trainable=False,
                 input_data_format="default", output_data_format="default", **kwargs):
        super().__init__(trainable=trainable, **kwargs)
        owner = type(self).__name__
        check_int(sample_rate, "sample_rate", owner)
        check_int(hop_length, "hop_length", owner)
        check_int(n_bins, "n_bins", owner)
        check_int(bins_per_octave, "bins_per_octave", owner)
        check_number(f_min, "f_min", owner)
        if f_min >= sample_rate / 2:
            raise ValueError(f"{owner}: `f_min` must be below the Nyquist frequency sample_rate / 2 = "
                             f"{sample_rate / 2:g} Hz; got f_min={f_min} Hz.")
        check_number(gamma, "gamma", owner, positive=False, allow_none=True)
        if gamma is not None and gamma < 0:
            raise ValueError(f"{owner}: `gamma` must be >= 0 Hz (0 is the constant-Q transform) or None; got {gamma}.")
        check_number(tuning, "tuning", owner, positive=False)
        check_number(filter_scale, "filter_scale", owner)
        check_number(norm, "norm", owner, positive=False, allow_none=True)
        check_number(sparsity, "sparsity", owner, positive=False)
        if not 0 <= sparsity < 1:
            raise ValueError(f"{owner}: `sparsity` must be in [0, 1) (the fraction of each filter's energy dropped); "
                             f"got {sparsity}.")
        check_bool(scale, "scale", owner)
        check_choice(pad_mode, "pad_mode", functional.PAD_MODES, owner)
        check_choice(res_type, "res_type", RESAMPLERS, owner)
        check_bool(return_complex, "return_complex", owner)
        if isinstance(window, list):
            window = tuple(window)
        self.input_format = DataFormat(input_data_format, "input_data_format", owner)
        self.output_format = DataFormat(output_data_format, "output_data_format", owner)
        try:
            self.plan = constant_q_plan(sample_rate, hop_length, f_min, n_bins, bins_per_octave, tuning, filter_scale,
                                        norm, sparsity, window, scale, pad_mode, gamma, res_type)
        except ValueError as error:
            raise ValueError(f"{owner}: {error}") from error
        except Exception as error:  # librosa's ParameterError for a window or norm it does not know
            raise ValueError(f"{owner}: librosa cannot build the filters with window={window!r}, norm={norm!r}: "
                             f"{error}") from error
        self.sample_rate, self.hop_length, self.f_min, self.n_bins = sample_rate, hop_length, f_min, n_bins
        self.bins_per_octave, self.gamma, self.tuning, self.filter_scale = bins_per_octave, gamma, tuning, filter_scale
        self.norm, self.sparsity, self.window, self.scale = norm, sparsity, window, bool(scale)
        self.pad_mode, self.res_type, self.return_complex = pad_mode, res_type, bool(return_complex)
        self.kernels = None
        self.input_spec = InputSpec(ndim=3)

    @property
    def frequencies(self):
        """Centre frequency of each bin, in Hz (NumPy array, ascending)."""
        return self.plan.frequencies

    def build(self, input_shape):
        if self.trainable:
            self.kernels = [self.add_weight(name=f"octave_{i}_kernel", shape=kernel.shape,
                                            initializer=keras.initializers.Constant(kernel), autocast=False)
                            for i, kernel in enumerate(self.plan.kernels)]

    def call(self, inputs):
        waveforms = self.input_format.to_channels_first(self._float_input(inputs, "a real floating-point waveform"))
        pairs = constant_q_pairs(waveforms, self.plan, self.kernels)  # (batch, ch, frames, bins, 2)
        pairs = checked_against(pairs, waveforms, self.finite_message)
        if self.return_complex:
            out = (tf.complex(pairs[..., 0], pairs[..., 1]) if functional.on_tensorflow()
                   else keras.ops.view_as_complex(pairs))
        else:
            out = functional.powered_magnitude_of_pairs(pairs, 1.0)  # (its gradient is 0, not NaN, at 0)
        return self.cast_output(self.output_format.from_channels_first(out))

    def compute_output_shape(self, input_shape):
        batch, channels, time = self.input_format.split_shape(input_shape)
        frames = None if time is None else constant_q_frames(time, self.plan)
        return self.output_format.join_shape(batch, channels, frames, self.n_bins)

    def compute_output_spec(self, inputs):
        if self.return_complex:
            check_float_input(inputs, type(self).__name__, "a real floating-point waveform")
            return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=complex_of(inputs.dtype))
        return super().compute_output_spec(inputs)

    def get_config(self):
        config = super().get_config()
        config.update({"sample_rate": self.sample_rate, "hop_length": self.hop_length, "f_min": self.f_min,
                       "n_bins": self.n_bins, "bins_per_octave": self.bins_per_octave, "gamma": self.gamma,
                       "tuning": self.tuning, "filter_scale": self.filter_scale, "norm": self.norm,
                       "sparsity": self.sparsity,
                       "window": list(self.window) if isinstance(self.window, tuple) else self.window,
                       "scale": self.scale, "pad_mode": self.pad_mode, "res_type": self.res_type,
                       "return_complex": self.return_complex, "input_data_format": self.input_format.original,
                       "output_data_format": self.output_format.original})
        return config


@register
class CQT(VQT):
    """Constant-Q transform of waveforms, equal to ``librosa.cqt``: :class:`VQT` with ``gamma=0``.

    Takes :class:`VQT`'s arguments except ``gamma``.

    Example:
        >>> import numpy as np
        >>> layer = CQT(sample_rate=22050, hop_length=512, n_bins=84,
        ...             input_data_format='channels_last', output_data_format='channels_last')
        >>> layer(np.zeros((1, 22050, 1), np.float32)).shape
        TensorShape([1, 44, 84, 1])
    """

    def __init__(self, sample_rate=22050, hop_length=512, f_min=32.70319566, n_bins=84, bins_per_octave=12,
                 tuning=0.0, filter_scale=1.0, norm=1, sparsity=0.01, window="hann", scale=True, pad_mode="constant",
                 res_type="soxr_hq", return_complex=False, trainable=False, input_data_format="default",
                 output_data_format="default", **kwargs):
        kwargs.pop("gamma", None)  # (get_config writes VQT's gamma=0)
        super().__init__(sample_rate, hop_length, f_min, n_bins, bins_per_octave, 0.0, tuning, filter_scale, norm,
                         sparsity, window, scale, pad_mode, res_type, return_complex, trainable, input_data_format,
                         output_data_format, **kwargs)

    def get_config(self):
        config = super().get_config()
        del config["gamma"]
        return config

