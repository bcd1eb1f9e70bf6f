"""Time-frequency layers with Kapre 0.4.1's names, arguments, defaults and outputs.

Waveform batches are ``(batch, time, channels)`` ('channels_last') or
``(batch, channels, time)`` ('channels_first'); spectrogram batches are
``(batch, time, freq, channels)`` or ``(batch, channels, time, freq)``. Every
``*data_format`` argument also takes ``'default'``, which follows
``keras.config.image_data_format()`` at construction time.

The layers only hold configuration; the DSP is in :mod:`kapre_like.functional`.
"""

import keras
import numpy as np
import tensorflow as tf
from keras import InputSpec

from . import filters, functional
from ._base import AudioLayer, FramedTransform, check_centering, complex_layout, complex_of, real_of, register
from ._checks import (
    check_bool,
    check_choice,
    check_float_input,
    check_int,
    check_number,
    check_signal_length,
)
from ._layout import DataFormat

__all__ = [
    "STFT",
    "InverseSTFT",
    "Magnitude",
    "Phase",
    "MagnitudeToDecibel",
    "ApplyFilterbank",
    "Delta",
    "ConcatenateFrequencyMap",
]


@register
class STFT(FramedTransform, AudioLayer):
    """Short-time Fourier transform of a batch of waveforms; complex output.

    Frames of ``win_length`` samples, every ``hop_length`` samples, windowed, zero-padded
    to ``n_fft`` and FFT'd, as ``tf.signal.stft`` does; no centring, so with
    ``win_length == n_fft`` the result equals ``librosa.stft(center=False)``.

    Args:
        n_fft (int): FFT size; the output has ``n_fft // 2 + 1`` frequency bins.
            Defaults to 2048.
        win_length (int or None): frame length in samples, ``<= n_fft``. Defaults to ``n_fft``.
        hop_length (int or None): samples between frames. Defaults to ``win_length // 4``.
        window_name (str or None): analysis window, one of ``'hann_window'`` (the
            default, periodic), ``'hamming_window'``, ``'kaiser_window'``,
            ``'kaiser_bessel_derived_window'``, ``'vorbis_window'``. These are
            ``tf.signal``'s windows, as Kapre's: at an odd length its "periodic" Hann and Hamming
            windows are the symmetric ones (``scipy.signal.get_window(..., fftbins=False)``).
        pad_begin (bool): prepend ``win_length - hop_length`` zeros so that the first
            samples are covered by as many frames as the rest, as Kapre documents. (Kapre's
            code prepends ``n_fft - hop_length``; the two agree for the default
            ``win_length``.) Defaults to False.
        pad_end (bool): zero-pad the end so that every sample lies in a frame; then there
            are ``ceil(time / hop_length)`` frames. Defaults to False.
        input_data_format (str): ``'channels_last'`` for ``(batch, time, channels)``,
            ``'channels_first'`` for ``(batch, channels, time)``, or ``'default'``.
        output_data_format (str): ``'channels_last'`` for ``(batch, time, freq, channels)``,
            ``'channels_first'`` for ``(batch, channels, time, freq)``, or ``'default'``.
        center (bool): centre frame ``t`` on sample ``t * hop_length``, as ``librosa.stft`` and
            ``torch.stft`` do by default: ``n_fft // 2`` samples are padded at both ends and the
            window is centred in frames of ``n_fft`` samples. Not with ``pad_begin``/``pad_end``.
            Defaults to False (Kapre's frames).
        pad_mode (str): what ``center`` pads with: ``'constant'`` (zeros, the default) or
            ``'reflect'`` (the signal mirrored about its ends, librosa's choice before 0.10;
            needs more than ``n_fft // 2`` samples).
        **kwargs: Keras layer arguments (``name``, ``dtype``, ...).

    Input: float tensor, 3-D, as ``input_data_format`` says.

    Output: complex64 (complex128 for a float64 layer) tensor with
    ``1 + (time - win_length) // hop_length`` frames (``ceil(time / hop_length)`` with
    ``pad_end``; ``time`` includes the ``pad_begin`` zeros; ``1 + time // hop_length`` with
    ``center`` and an even ``n_fft``, as librosa and torch).

    Precision: float32 input gives complex64, float64 input complex128 (inputs are not
    autocast); float16/bfloat16 input is computed in float32.

    Raises:
        TypeError: a length is not an integer, or a data format is not a string; at call, an
            input that is not real floating point (integer, string or complex).
        ValueError: a length is < 1, ``win_length > n_fft``, a data format or ``pad_mode`` is
            unknown, or ``center`` with ``pad_begin``/``pad_end``; when built or called, an input
            of the wrong rank, or with fewer samples along the time axis than one frame (unless
            ``pad_end`` or ``center``, which give zero-padded frames; ``center`` with ``'reflect'``
            needs more than ``n_fft // 2``) -- the usual sign of channels on the wrong axis for
            ``input_data_format``.
        NotImplementedError: an unknown ``window_name`` (also a ``ValueError``).
        tf.errors.InvalidArgumentError: at run time, NaN or Inf in the input, or (for a
            time length unknown until run time) a signal shorter than one frame.

    Example:
        >>> model = keras.Sequential([keras.Input((2048, 1)),
        ...                           STFT(n_fft=1024, hop_length=512, input_data_format='channels_last',
        ...                                output_data_format='channels_last')])
        >>> model.output_shape
        (None, 3, 513, 1)
    """

    #: The fused chain (:class:`~kapre_like.sequential.SpectrogramSequential`) computes this layer from its
    #: public attributes; a subclass whose ``call`` computes something else sets it False.
    fuses = True

    def __init__(
        self,
        n_fft=2048,
        win_length=None,
        hop_length=None,
        window_name=None,
        pad_begin=False,
        pad_end=False,
        input_data_format="default",
        output_data_format="default",
        center=False,
        pad_mode="constant",
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._configure(n_fft, win_length, hop_length, window_name, input_data_format, output_data_format)
        self.window_name = window_name
        self.pad_begin = bool(pad_begin)
        self.pad_end = bool(pad_end)
        self.center, self.pad_mode = check_centering(type(self).__name__, center, pad_mode, self.pad_begin,
                                                      self.pad_end)
        self.input_spec = InputSpec(ndim=3)

    @property
    def pad_begin_length(self):
        """Zeros prepended to the waveform, in samples (``win_length - hop_length`` with ``pad_begin``)."""
        return self.win_length - self.hop_length if self.pad_begin else 0

    @property
    def spectrogram_arguments(self):
        """The keyword arguments that :func:`kapre_like.functional.stft` and
        :func:`kapre_like.functional.filtered_spectrogram` take from this layer (all but the signals)."""
        return dict(n_fft=self.n_fft, win_length=self.win_length, hop_length=self.hop_length, window=self.window,
                    pad_end=self.pad_end, pad_begin=self.pad_begin_length, center=self.center, pad_mode=self.pad_mode,
                    channels_last=self.input_format.channels_last, finite_message=self.finite_message)

    def build(self, input_shape):
        self._check_length(self.input_format.split_shape(input_shape)[2], input_shape)

    def _check_length(self, time, shape):
        where = (f"axis {self.input_format.time_axis} of shape {tuple(shape)} for input_data_format="
                 f"{self.input_data_format!r}")
        if self.center:
            if self.pad_mode == "reflect":
                half = self.n_fft // 2
                check_signal_length(time, half + 1, type(self).__name__, where,
                                    f"n_fft // 2 + 1 = {half + 1} (reflect padding needs more samples than the "
                                    f"n_fft // 2 = {half} it adds)", "Pass a longer signal or use pad_mode='constant'")
            return
        if self.pad_end:
            return
        check_signal_length(
            time, self.win_length - self.pad_begin_length, type(self).__name__, where,
            f"one frame (win_length={self.win_length})",
            "Pass a longer signal, use pad_end=True to get a zero-padded frame",
        )

    def checked_waveforms(self, inputs):
        """``inputs`` checked (dtype, length), in DSP precision, layout unchanged: what :meth:`call` transforms.

        The values are checked for NaN/Inf by the DSP functions with :attr:`finite_message`.
        """
        waveforms = self._float_input(inputs, "a real floating-point waveform")
        time_axis = self.input_format.time_axis
        if waveforms.shape[time_axis] is None:
            if not (self.pad_end or self.center):  # (center_pad checks a reflection at run time)
                tf.debugging.assert_greater_equal(
                    tf.shape(waveforms)[time_axis] + self.pad_begin_length, self.win_length,
                    message=f"{type(self).__name__}: the input is shorter than one frame (win_length="
                            f"{self.win_length} samples); pass a longer signal or use pad_end=True",
                )
        else:
            self._check_length(waveforms.shape[time_axis], inputs.shape)
        return waveforms

    def call(self, inputs):
        stfts = functional.stft(self.checked_waveforms(inputs), **self.spectrogram_arguments)
        return complex_layout(stfts, self.output_format.from_channels_first)

    def frame_count(self, time):
        """Frames this layer makes of ``time`` samples (None if unknown), its paddings included."""
        if time is None:
            return None
        if self.center:
            return functional.frame_count(time, self.n_fft, self.hop_length, center=True)
        return functional.frame_count(time + self.pad_begin_length, self.win_length, self.hop_length, self.pad_end)

    def compute_output_shape(self, input_shape):
        batch, channels, time = self.input_format.split_shape(input_shape)
        return self.output_format.join_shape(batch, channels, self.frame_count(time), self.n_fft // 2 + 1)

    def compute_output_spec(self, inputs):
        check_float_input(inputs, type(self).__name__, "a real floating-point waveform")
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=complex_of(inputs.dtype))

    def get_config(self):
        config = super().get_config()
        config.update(self._transform_config())
        config.update({"window_name": self.window_name, "pad_begin": self.pad_begin, "pad_end": self.pad_end,
                       "pad_mode": self.pad_mode})
        return config


@register
class InverseSTFT(FramedTransform, AudioLayer):
    """Inverse STFT of a batch of complex spectrograms, by windowed overlap-add.

    Inverts :class:`STFT` with the same ``n_fft``, ``win_length``, ``hop_length`` and
    window wherever a sample is covered by ``ceil(win_length / hop_length)`` frames; the
    first and last ``win_length - hop_length`` samples are not (see
    :func:`kapre_like.composed.get_perfectly_reconstructing_stft_istft` for a pair that
    pads them).

    Args:
        n_fft (int): FFT size of the forward STFT. Defaults to 2048.
        win_length (int or None): frame length of the forward STFT. Defaults to ``n_fft``.
        hop_length (int or None): hop of the forward STFT. Defaults to ``win_length // 4``.
        forward_window_name (str or None): the window the forward STFT used (see
            :class:`STFT`). Defaults to ``'hann_window'``.
        input_data_format (str): ``'channels_last'`` for ``(batch, time, freq, channels)``,
            ``'channels_first'`` for ``(batch, channels, time, freq)``, or ``'default'``.
        output_data_format (str): ``'channels_last'`` for ``(batch, time, channels)``,
            ``'channels_first'`` for ``(batch, channels, time)``, or ``'default'``.
        center (bool): invert an :class:`STFT` with ``center=True``, as ``librosa.istft(center=True)``:
            every sample is divided by the squared windows of the frames that cover it (the first
            and last too) and the ``n_fft // 2`` padded samples are removed at both ends. Defaults
            to False (Kapre's inverse).
        length (int or None): return exactly this many samples (cut, or zero-padded at the end),
            e.g. the length of the signal the STFT was taken of. Defaults to None.
        **kwargs: Keras layer arguments.

    Input: complex tensor with ``n_fft // 2 + 1`` frequency bins.

    Output: float32 (float64 for complex128 input) waveforms of ``length`` samples, or
    ``(frames - 1) * hop_length + win_length`` (``(frames - 1) * hop_length`` with ``center``).

    Raises:
        TypeError, ValueError, NotImplementedError: as :class:`STFT`.

    Example:
        >>> model = keras.Sequential([keras.Input((3, 513, 1), dtype='complex64'),
        ...                           InverseSTFT(n_fft=1024, hop_length=512,
        ...                                       input_data_format='channels_last',
        ...                                       output_data_format='channels_last')])
        >>> model.output_shape
        (None, 2048, 1)
    """

    def __init__(
        self,
        n_fft=2048,
        win_length=None,
        hop_length=None,
        forward_window_name=None,
        input_data_format="default",
        output_data_format="default",
        center=False,
        length=None,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self._configure(n_fft, win_length, hop_length, forward_window_name, input_data_format, output_data_format,
                        synthesis=True)
        self.forward_window_name = forward_window_name
        self.center = check_bool(center, "center", "InverseSTFT")
        check_int(length, "length", "InverseSTFT", minimum=1, allow_none=True)
        self.length = length
        # the frequency axis must hold the bins of n_fft: Keras's error then names the size it expected
        self.input_spec = InputSpec(ndim=4, axes={self.input_format.freq_axis: self.n_fft // 2 + 1})

    def call(self, inputs):
        stfts = complex_layout(self._complex_input(inputs), self.input_format.to_channels_first)
        waveforms = functional.inverse_stft(stfts, self.n_fft, self.win_length, self.hop_length, self.window,
                                            center=self.center, length=self.length)
        return self.cast_output(self.output_format.from_channels_first(waveforms))

    def compute_output_shape(self, input_shape):
        return self.synthesized_shape(input_shape)

    def compute_output_spec(self, inputs):
        self._complex_input(inputs)
        return keras.KerasTensor(self.compute_output_shape(inputs.shape), dtype=self._output_dtype(real_of(inputs.dtype)))

    def get_config(self):
        config = super().get_config()
        config.update(self._transform_config())
        config.update({"forward_window_name": self.forward_window_name, "length": self.length})
        return config


class _ComplexToReal(AudioLayer):
    """Base of element-wise layers from complex to real values; shape unchanged."""

    def compute_output_shape(self, input_shape):
        return input_shape

    def compute_output_spec(self, inputs):
        self._complex_input(inputs)
        return keras.KerasTensor(inputs.shape, dtype=self._output_dtype(real_of(inputs.dtype)))


@register
class Magnitude(_ComplexToReal):
    """Magnitude ``|z|`` of a complex input (e.g. an :class:`STFT`), as a float tensor, or ``|z| ** power``.

    float32 for complex64 input, float64 for complex128; float32 under a ``mixed_float16`` policy
    too (:attr:`~AudioLayer.keeps_float32`: magnitudes below 6e-8 are 0 in float16, powers above
    65504 infinite, and the decibel step's gradient overflows for magnitudes below about 1e-4).
    The gradient at ``z = 0`` is 0, not NaN. A real input raises ``TypeError`` (Kapre returned
    its absolute value; here it is taken as a missing :class:`STFT`).

    Args:
        power (float): exponent of the magnitude, > 0: 1 (Kapre's magnitude, the default) or 2
            (the power spectrogram of librosa and torchaudio).
        **kwargs: Keras layer arguments.

    Example:
        >>> Magnitude()(tf.constant([3 + 4j], dtype=tf.complex64)).numpy()
        array([5.], dtype=float32)
        >>> Magnitude(power=2.0)(tf.constant([3 + 4j], dtype=tf.complex64)).numpy()
        array([25.], dtype=float32)
    """

    #: The fused chain (:class:`~kapre_like.sequential.SpectrogramSequential`) computes this layer from its
    #: public attributes; a subclass whose ``call`` computes something else sets it False.
    fuses = True
    frame_wise = True
    keeps_float32 = True

    def __init__(self, power=1.0, **kwargs):
        super().__init__(**kwargs)
        check_number(power, "power", type(self).__name__)
        if not np.isfinite(power):
            raise ValueError(f"{type(self).__name__}: `power` must be a finite number > 0; got {power!r}.")
        self.power = power

    def call(self, inputs):
        stfts = self._complex_input(inputs)
        if self.power == 1:
            return self.cast_output(functional.magnitude(stfts))  # tf.abs: overflows last
        return self.cast_output(functional.powered_magnitude(stfts, self.power))

    def get_config(self):
        config = super().get_config()
        config.update({"power": self.power})
        return config


@register
class Phase(_ComplexToReal):
    """Phase (angle) of a complex input in radians, in ``[-pi, pi]``, as a float tensor.

    The angle of 0 is 0 and its gradient there is 0 (not NaN). A real input raises
    ``TypeError``.

    Args:
        approx_atan_accuracy (int or None): None (or 0) for the exact angle
            (``tf.math.angle``). An int ``n`` uses ``n`` terms of the continued fraction of
            arctan instead, the arithmetic that :class:`~kapre_like.time_frequency_tflite.PhaseTflite`
            runs in TFLite, so that training data and the deployed model agree. Unlike
            Kapre's, the approximation is reduced to ``[0, 1]`` before the fraction, so it is
            accurate everywhere: 4 terms are within 2e-4 rad, 12 within float32 rounding;
            terms beyond 20 are not computed (Kapre suggested thousands).
        **kwargs: Keras layer arguments.

    Raises:
        TypeError: ``approx_atan_accuracy`` is neither None nor an int.
        ValueError: ``approx_atan_accuracy`` is negative.

    Example:
        >>> Phase()(tf.constant([1j], dtype=tf.complex64)).numpy()
        array([1.5707964], dtype=float32)
        >>> Phase(approx_atan_accuracy=12)(tf.constant([-1 - 1j], dtype=tf.complex64)).numpy()
        array([-2.3561945], dtype=float32)
    """

    frame_wise = True

    def __init__(self, approx_atan_accuracy=None, **kwargs):
        super().__init__(**kwargs)
        check_int(approx_atan_accuracy, "approx_atan_accuracy", type(self).__name__, minimum=0, allow_none=True)
        self.approx_atan_accuracy = approx_atan_accuracy

    def call(self, inputs):
        return self.cast_output(functional.phase(self._complex_input(inputs), self.approx_atan_accuracy))

    def get_config(self):
        config = super().get_config()
        config.update({"approx_atan_accuracy": self.approx_atan_accuracy})
        return config


_DECIBEL_MULTIPLIERS = {"power": 10.0, "magnitude": 20.0}


@register
class MagnitudeToDecibel(AudioLayer):
    """Decibel scaling: ``10 * log10(max(x, amin) / max(ref_value, amin))``, floor-clipped.

    By default this is Kapre's layer, which applies ``10 * log10`` whatever the input holds:
    equal to ``librosa.power_to_db(x, ref=ref_value, amin=amin, top_db=dynamic_range)`` per
    batch item. Fed with magnitudes (as Kapre's composed layers do) it therefore gives half
    the usual dB values (Kapre issues #121, #143). Pass ``stype='magnitude'`` for true
    decibels of magnitudes, ``20 * log10(...)``, equal to ``librosa.amplitude_to_db``.

    Args:
        ref_value (float): the input value that becomes 0 dB. Must be > 0. Defaults to 1.0.
        amin (float): noise floor of the input; smaller values are raised to it. Must be
            > 0. Defaults to 1e-5.
        dynamic_range (float or None): dB kept below each batch item's maximum; lower values are
            raised to ``max - dynamic_range``. Must be > 0. None keeps every value (down to
            ``amin``): decibels against the fixed ``ref_value`` only, what a stream
            (:mod:`kapre_like.streaming`) can compute. Defaults to 80.
        stype (str): ``'power'`` (Kapre's default, ``10 * log10``) or ``'magnitude'``
            (``20 * log10``).
        **kwargs: Keras layer arguments.

    Raises:
        TypeError: a parameter is not a number.
        ValueError: a parameter is not positive, or ``stype`` is unknown.

    Example:
        >>> MagnitudeToDecibel()(tf.constant([[100.0, 1.0]])).numpy()
        array([[20.,  0.]], dtype=float32)
    """

    #: The fused chain (:class:`~kapre_like.sequential.SpectrogramSequential`) computes this layer from its
    #: public attributes; a subclass whose ``call`` computes something else sets it False.
    fuses = True

    def __init__(self, ref_value=1.0, amin=1e-5, dynamic_range=80.0, stype="power", **kwargs):
        super().__init__(**kwargs)
        for name, value in (("ref_value", ref_value), ("amin", amin), ("dynamic_range", dynamic_range)):
            check_number(value, name, "MagnitudeToDecibel", allow_none=name == "dynamic_range")
        check_choice(stype, "stype", tuple(_DECIBEL_MULTIPLIERS), "MagnitudeToDecibel")
        self.ref_value = ref_value
        self.amin = amin
        self.dynamic_range = dynamic_range
        self.stype = stype

    def call(self, inputs):
        return self.cast_output(functional.to_decibel(self._float_input(inputs), **self.decibel_arguments))

    @property
    def decibel_arguments(self):
        """Keyword arguments of :func:`kapre_like.functional.to_decibel` for this layer."""
        return dict(ref_value=self.ref_value, amin=self.amin, dynamic_range=self.dynamic_range,
                    multiplier=_DECIBEL_MULTIPLIERS[self.stype])

    @property
    def frame_wise(self):
        """True without ``dynamic_range``: the floor below each item's maximum needs the whole spectrogram."""
        return self.dynamic_range is None

    @property
    def not_frame_wise_reason(self):
        """Why a stream refuses this layer (:func:`kapre_like.streaming.to_streaming`'s message)."""
        return (f"has dynamic_range={self.dynamic_range}, a floor below each clip's loudest value, which a stream "
                f"never sees whole; build it with dynamic_range=None (db_dynamic_range=None in the composed "
                f"factories) for decibels against the fixed ref_value.")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "ref_value": self.ref_value,
                "amin": self.amin,
                "dynamic_range": self.dynamic_range,
                "stype": self.stype,
            }
        )
        return config


@register
class ApplyFilterbank(AudioLayer):
    """Multiply the frequency axis of a spectrogram batch by a mel, log-frequency, chroma or gammatone filterbank.

    Args:
        type (str): a name of :data:`kapre_like.filters.FILTERBANKS`: ``'mel'`` (keyword arguments of :func:`kapre_like.backend.filterbank_mel`:
            ``sample_rate``, ``n_freq``, ``n_mels``, ``f_min``, ``f_max``, ``htk``, ``norm``),
            ``'log'`` (of :func:`kapre_like.backend.filterbank_log`: ``sample_rate``,
            ``n_freq``, ``n_bins``, ``bins_per_octave``, ``f_min``, ``spread``), ``'chroma'``
            (of :func:`kapre_like.filters.chroma_filterbank`: ``sample_rate``, ``n_freq``,
            ``n_chroma``, ``tuning``, ``ctroct``, ``octwidth``, ``norm``, ``base_c``, ``n_fft``;
            on a power spectrogram it gives ``librosa.feature.chroma_stft(..., norm=None, tuning=0.0)``
            with the default ``tuning=0``; librosa estimates the tuning unless given one) or
            ``'gammatone'`` (of :func:`kapre_like.filters.gammatone_filterbank`: ``sample_rate``,
            ``n_freq``, ``n_filters``, ``f_min``, ``f_max``, ``order``, ``norm``, ``n_fft``).
            The last two are kapre_like's; Kapre 0.4.1 has only 'mel' and 'log'.
        filterbank_kwargs (dict): those keyword arguments.
        data_format (str): ``'channels_last'`` for ``(batch, time, freq, channels)``,
            ``'channels_first'`` for ``(batch, channels, time, freq)``, or ``'default'``.
        **kwargs: Keras layer arguments.

    Output: the same layout with ``n_freq`` replaced by the number of filters; float32 under a
    ``mixed_float16`` policy, as :class:`Magnitude` (filterbank energies have the range of the
    spectrum).

    Raises:
        ValueError: unknown ``type``, bad filterbank arguments, or a bad data format.
        TypeError: ``filterbank_kwargs`` is not a dict or has unknown keys.

    Example:
        >>> fb = ApplyFilterbank('mel', {'sample_rate': 22050, 'n_freq': 513, 'n_mels': 64},
        ...                      data_format='channels_last')
        >>> fb(tf.ones((1, 3, 513, 1))).shape
        TensorShape([1, 3, 64, 1])
        >>> chroma = ApplyFilterbank('chroma', {'sample_rate': 16000, 'n_freq': 257}, data_format='channels_first')
        >>> chroma(tf.ones((1, 2, 5, 257))).shape
        TensorShape([1, 2, 5, 12])
        >>> erb = ApplyFilterbank('gammatone', {'sample_rate': 16000, 'n_freq': 257, 'n_filters': 40},
        ...                       data_format='channels_last')
        >>> erb(tf.ones((1, 5, 257, 1))).shape
        TensorShape([1, 5, 40, 1])
    """

    #: The fused chain (:class:`~kapre_like.sequential.SpectrogramSequential`) computes this layer from its
    #: public attributes; a subclass whose ``call`` computes something else sets it False.
    fuses = True
    frame_wise = True
    keeps_float32 = True

    def __init__(self, type, filterbank_kwargs, data_format="default", **kwargs):
        super().__init__(**kwargs)
        self.layout = DataFormat(data_format, "data_format", "ApplyFilterbank")
        entry = filters.filterbank_entry(type, "ApplyFilterbank")
        if not isinstance(filterbank_kwargs, dict):
            raise TypeError(
                "ApplyFilterbank: `filterbank_kwargs` must be a dict of keyword arguments for the "
                f"{type!r} filterbank; got {filterbank_kwargs!r}."
            )
        try:
            matrix = entry.builder(**filterbank_kwargs)
        except TypeError as error:
            raise TypeError(f"ApplyFilterbank: bad `filterbank_kwargs` for type={type!r}: {error}") from error

        self.type = type
        self.filterbank_kwargs = dict(filterbank_kwargs)
        # float64 weights; functional.apply_filterbank casts them to the input's precision
        if functional.on_tensorflow():
            self.filterbank = tf.constant(matrix, dtype="float64")
        else:  # read-only: the engine converts it to a backend tensor once (functional.neutral)
            self.filterbank = np.array(matrix, dtype="float64")
            self.filterbank.flags.writeable = False
        self.data_format = self.layout.name
        self.freq_axis = self.layout.freq_axis
        self.input_spec = InputSpec(ndim=4, axes={self.freq_axis: int(matrix.shape[0])})

    def call(self, inputs):
        return self.cast_output(functional.apply_filterbank(self._float_input(inputs), self.filterbank, axis=self.freq_axis))

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        output_shape[self.freq_axis] = int(self.filterbank.shape[1])
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "type": self.type,
                "filterbank_kwargs": self.filterbank_kwargs,
                "data_format": self.layout.original,
            }
        )
        return config


_DELTA_PAD_MODES = ("symmetric", "reflect", "constant")


@register
class Delta(AudioLayer):
    """Delta (local time derivative) of a spectrogram batch, by linear regression.

    ``d[t] = sum_{n=1}^{N} n * (x[t + n] - x[t - n]) / (2 * sum_{n=1}^{N} n**2)``,
    ``N = (win_length - 1) // 2``, the formula of ``librosa.feature.delta`` and
    ``torchaudio.functional.compute_deltas``; the time axis is first padded by ``N`` on
    each side with ``mode``.

    Args:
        win_length (int): odd number of frames in the regression, >= 3. Defaults to 5.
        mode (str): padding, ``'symmetric'`` (edge repeated, the default), ``'reflect'``
            (edge not repeated) or ``'constant'`` (zeros); case-insensitive.
        data_format (str): ``'channels_last'`` for ``(batch, time, freq, channels)``,
            ``'channels_first'`` for ``(batch, channels, time, freq)``, or ``'default'``.
        **kwargs: Keras layer arguments.

    Raises:
        ValueError: ``win_length`` even or < 3, unknown ``mode``, or a bad data format.

    Example:
        >>> ramp = tf.reshape(tf.range(6, dtype=tf.float32), (1, 6, 1, 1))
        >>> Delta(win_length=3, data_format='channels_last')(ramp)[0, 2:4, 0, 0].numpy()
        array([1., 1.], dtype=float32)
    """

    def __init__(self, win_length=5, mode="symmetric", data_format="default", **kwargs):
        super().__init__(**kwargs)
        self.layout = DataFormat(data_format, "data_format", "Delta")
        check_int(win_length, "win_length", "Delta", minimum=3)
        if win_length % 2 != 1:
            raise ValueError(f"Delta: `win_length` must be an odd integer >= 3; got {win_length}.")
        check_choice(mode, "mode", _DELTA_PAD_MODES, "Delta", case_sensitive=False)
        self.win_length = win_length
        self.mode = mode
        self.n = (win_length - 1) // 2
        self.data_format = self.layout.name
        self.input_spec = InputSpec(ndim=4)

    @property
    def _min_frames(self):
        """Frames the padding needs: ``N`` to mirror with 'symmetric' (and zeros), ``N + 1`` with 'reflect'."""
        return self.n + (1 if self.mode.lower() == "reflect" else 0)

    def build(self, input_shape):
        frames = input_shape[self.layout.time_axis]
        if frames is not None and self.mode.lower() != "constant" and frames < self._min_frames:
            raise ValueError(
                f"Delta: win_length={self.win_length} with mode={self.mode!r} needs at least {self._min_frames} "
                f"frames along the time axis (axis {self.layout.time_axis} of input shape {tuple(input_shape)}); got "
                f"{frames}. Use a shorter win_length or mode='constant'."
            )

    def call(self, inputs):
        x = self._float_input(inputs)
        time_axis = self.layout.time_axis
        if x.shape[time_axis] is None and self.mode.lower() != "constant":
            check = tf.debugging.assert_greater_equal(
                tf.shape(x)[time_axis], self._min_frames,
                message=f"Delta: win_length={self.win_length} with mode={self.mode!r} needs at least "
                        f"{self._min_frames} frames along the time axis")
            with tf.control_dependencies([check]):  # before the padding that would fail first
                x = tf.identity(x)
        return self.cast_output(functional.delta(x, self.win_length, self.mode, axis=time_axis))

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"win_length": self.win_length, "mode": self.mode, "data_format": self.layout.original})
        return config


@register
class ConcatenateFrequencyMap(AudioLayer):
    """Append a channel holding each bin's normalised frequency, rising from 0 to 1.

    A positional encoding along frequency; followed by a ``Conv2D`` it makes the
    frequency-aware convolution of Koutini et al. (DCASE 2019), see
    :func:`kapre_like.composed.get_frequency_aware_conv2d`.

    Args:
        data_format (str): ``'channels_last'`` for ``(batch, time, freq, channels)``,
            ``'channels_first'`` for ``(batch, channels, time, freq)``, or ``'default'``.
        **kwargs: Keras layer arguments.

    Output: the input with one more channel, last on the channel axis.

    Example:
        >>> ConcatenateFrequencyMap(data_format='channels_last')(tf.zeros((1, 2, 3, 1)))[0, 0, :, 1].numpy()
        array([0. , 0.5, 1. ], dtype=float32)
    """

    frame_wise = True

    def __init__(self, data_format="default", **kwargs):
        super().__init__(**kwargs)
        self.layout = DataFormat(data_format, "data_format", "ConcatenateFrequencyMap")
        self.data_format = self.layout.name
        self.input_spec = InputSpec(ndim=4)

    def call(self, inputs):
        freq_axis, channel_axis = self.layout.freq_axis, self.layout.channel_axis(4)
        if not functional.on_tensorflow():
            return functional.neutral.append_frequency_map(inputs, freq_axis, channel_axis)
        shape = tf.shape(inputs)
        n_freq = inputs.shape[freq_axis] or shape[freq_axis]
        along_freq = [1, 1, 1, 1]
        along_freq[freq_axis] = -1
        freq_map = tf.reshape(functional.frequency_map(n_freq, inputs.dtype), along_freq)
        one_channel = tf.concat([shape[:channel_axis], [1], shape[channel_axis + 1:]], axis=0)
        return tf.concat([inputs, tf.broadcast_to(freq_map, one_channel)], axis=channel_axis)

    def compute_output_shape(self, input_shape):
        output_shape = list(input_shape)
        channel_axis = self.layout.channel_axis(4)
        if output_shape[channel_axis] is not None:
            output_shape[channel_axis] += 1
        return tuple(output_shape)

    def get_config(self):
        config = super().get_config()
        config.update({"data_format": self.layout.original})
        return config
