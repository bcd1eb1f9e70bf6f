"""Ready-made sub-models chained from the time-frequency layers (Kapre's ``kapre.composed``).

Each factory returns a ``keras.Sequential`` (or a functional ``keras.Model``, or a pair of
layers) that can be the first block of your model. Unlike Kapre's, these sub-models save
and load with ``.keras`` and export with ``model.export()`` to a SavedModel::

    melgram = get_melspectrogram_layer(input_shape=(44100, 1), return_decibel=True,
                                       input_data_format='channels_last',
                                       output_data_format='channels_last')
    model = keras.Sequential([melgram, keras.layers.Conv2D(16, 3), ...])
    model.save('model.keras')                 # keras.models.load_model('model.keras')
    model.export('saved_model')               # tf.saved_model.load / keras.layers.TFSMLayer

Importing :mod:`kapre_like` registers every layer, so loading needs no ``custom_objects``.
"""

import warnings
from dataclasses import dataclass, fields

import keras

from ._checks import (
    NotInvertibleError,
    check_data_format,
    check_data_formats,
    check_hop_within_window,
    check_int,
    resolve_stft_lengths,
)
from . import functional
from .presets import accepts_preset
from .sequential import AudioSequential, SpectrogramSequential
from .signal import LogmelToMFCC
from .time_frequency import (
    STFT,
    ApplyFilterbank,
    ConcatenateFrequencyMap,
    InverseSTFT,
    Magnitude,
    MagnitudeToDecibel,
    Phase,
)

__all__ = [
    "get_stft_magnitude_layer",
    "get_melspectrogram_layer",
    "get_log_frequency_spectrogram_layer",
    "get_perfectly_reconstructing_stft_istft",
    "get_stft_mag_phase",
    "get_frequency_aware_conv2d",
    "get_mfcc_layer",
    "get_mel_to_audio",
]


@dataclass(frozen=True)
class FrontEndSpec:
    """The STFT and decibel arguments that the factories share, by Kapre's names and with Kapre's defaults.

    A factory makes one from its own arguments (:meth:`of`), then asks it for the layers (:meth:`stft`,
    :meth:`decibel_layers`) or the whole front end (:meth:`front_end`); the arguments are documented in
    :func:`get_stft_magnitude_layer`, ``owner`` is the factory's name for messages.
    """

    owner: str = "composed"
    n_fft: int = 2048
    win_length: int = None
    hop_length: int = None
    window_name: str = None
    pad_begin: bool = False
    pad_end: bool = False
    input_data_format: str = "default"
    output_data_format: str = "default"
    center: bool = False
    pad_mode: str = "constant"
    return_decibel: bool = False
    db_amin: float = 1e-5
    db_ref_value: float = 1.0
    db_dynamic_range: float = 80.0

    @classmethod
    def of(cls, owner, arguments, **overrides):
        """The spec of a factory's ``arguments`` (a dict by name, its ``locals()``; names that are not
        fields are ignored) and ``overrides``, with the data formats checked in ``owner``'s name."""
        names = {field.name for field in fields(cls)} - {"owner"}
        chosen = {name: value for name, value in {**arguments, **overrides}.items() if name in names}
        spec = cls(owner=owner, **chosen)
        check_data_formats(owner, input_data_format=spec.input_data_format,
                           output_data_format=spec.output_data_format)
        return spec

    def stft(self):
        """The analysis :class:`~kapre_like.time_frequency.STFT`."""
        return STFT(n_fft=self.n_fft, win_length=self.win_length, hop_length=self.hop_length,
                    window_name=self.window_name, pad_begin=self.pad_begin, pad_end=self.pad_end,
                    input_data_format=self.input_data_format, output_data_format=self.output_data_format,
                    center=self.center, pad_mode=self.pad_mode)

    def decibel_layers(self):
        """``[MagnitudeToDecibel]`` with ``return_decibel``, else ``[]``."""
        if not self.return_decibel:
            return []
        return [MagnitudeToDecibel(ref_value=self.db_ref_value, amin=self.db_amin,
                                   dynamic_range=self.db_dynamic_range)]

    def front_end(self, input_shape, name, *, power=1.0, filterbank_type=None, sample_rate=None,
                  filterbank_kwargs=None, tail=()):
        """``SpectrogramSequential`` of ``[Input?,] STFT, Magnitude(power)[, ApplyFilterbank(filterbank_type)]
        [, MagnitudeToDecibel]``, then the layers ``tail``; the filterbank gets this STFT's bins."""
        if filterbank_type is not None:
            check_int(self.n_fft, "n_fft", self.owner)  # before n_fft // 2 below
        layers = [self.stft(), Magnitude(power=power)]
        if filterbank_type is not None:
            layers.append(ApplyFilterbank(
                type=filterbank_type,
                # an odd n_fft's bins are sample_rate / n_fft apart, which n_freq alone does not say
                filterbank_kwargs={"sample_rate": sample_rate, "n_freq": self.n_fft // 2 + 1, **filterbank_kwargs,
                                   **({"n_fft": self.n_fft} if self.n_fft % 2 else {})},
                data_format=self.output_data_format,
            ))
        layers += self.decibel_layers() + list(tail)
        head = [] if input_shape is None else [keras.Input(shape=tuple(input_shape))]
        return SpectrogramSequential(head + layers, name=name)


def get_stft_magnitude_layer(
    input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    pad_begin=False,
    pad_end=False,
    return_decibel=False,
    db_amin=1e-5,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    input_data_format="default",
    output_data_format="default",
    name="stft_magnitude",
    center=False,
    pad_mode="constant",
):
    """STFT magnitude (optionally in decibels): ``Sequential`` of STFT, Magnitude[, MagnitudeToDecibel].

    Args:
        input_shape (tuple or None): shape of one waveform, e.g. ``(44100, 1)``; needed only
            when this is the first layer of a ``Sequential`` that has no ``keras.Input``.
        n_fft (int): FFT size. Defaults to 2048.
        win_length (int or None): window length in samples. Defaults to ``n_fft``.
        hop_length (int or None): hop in samples. Defaults to ``win_length // 4``.
        window_name (str or None): window (see :class:`~kapre_like.time_frequency.STFT`).
            Defaults to ``'hann_window'``.
        pad_begin (bool): prepend ``win_length - hop_length`` zeros. Defaults to False.
        pad_end (bool): zero-pad the end so that every sample is in a frame. Defaults to False.
        return_decibel (bool): apply :class:`~kapre_like.time_frequency.MagnitudeToDecibel`
            (Kapre's ``10 * log10`` of the magnitude). Defaults to False.
        db_amin (float): noise floor of the decibel scaling. Defaults to 1e-5.
        db_ref_value (float): value that becomes 0 dB. Defaults to 1.0.
        db_dynamic_range (float or None): dB kept below each item's maximum; None keeps every
            value (what :func:`kapre_like.streaming.to_streaming` needs). Defaults to 80.
        input_data_format (str): ``'channels_last'`` (``(batch, time, ch)``),
            ``'channels_first'`` (``(batch, ch, time)``) or ``'default'``.
        output_data_format (str): ``'channels_last'`` (``(batch, time, freq, ch)``),
            ``'channels_first'`` (``(batch, ch, time, freq)``) or ``'default'``.
        name (str): name of the returned model. Defaults to ``'stft_magnitude'``.
        center (bool): centre frame ``t`` on sample ``t * hop_length`` (``n_fft // 2`` samples padded
            at both ends), as librosa and torch do by default; see
            :class:`~kapre_like.time_frequency.STFT`. Defaults to False (Kapre's frames).
        pad_mode (str): ``'constant'`` (zeros, the default) or ``'reflect'``, what ``center`` pads with.

    Returns:
        keras.Sequential: float output with ``n_fft // 2 + 1`` frequency bins.

    Example:
        >>> stft_mag = get_stft_magnitude_layer(input_shape=(2048, 1), n_fft=1024, return_decibel=True,
        ...     input_data_format='channels_last', output_data_format='channels_first')
        >>> stft_mag.output_shape
        (None, 1, 5, 513)
    """
    return FrontEndSpec.of("get_stft_magnitude_layer", locals()).front_end(input_shape, name)


@accepts_preset
def get_melspectrogram_layer(
    input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    pad_begin=False,
    pad_end=False,
    sample_rate=22050,
    n_mels=128,
    mel_f_min=0.0,
    mel_f_max=None,
    mel_htk=False,
    mel_norm="slaney",
    return_decibel=False,
    db_amin=1e-5,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    input_data_format="default",
    output_data_format="default",
    name="melspectrogram",
    center=False,
    pad_mode="constant",
    power=1.0,
):
    """Mel spectrogram: ``Sequential`` of STFT, Magnitude, ApplyFilterbank('mel')[, MagnitudeToDecibel].

    The mel filterbank is applied to magnitudes (``librosa.feature.melspectrogram(power=1.0)``), or to
    the power with ``power=2.0``; ``center=True`` frames as librosa does by default.

    Args:
        input_shape, n_fft, win_length, hop_length, window_name, pad_begin, pad_end:
            as in :func:`get_stft_magnitude_layer`.
        sample_rate (int): sample rate of the input audio, in Hz. Defaults to 22050.
        n_mels (int): number of mel bands. Defaults to 128.
        mel_f_min (float): lowest frequency of the filterbank, in Hz. Defaults to 0.
        mel_f_max (float or None): highest frequency, in Hz. Defaults to ``sample_rate / 2``.
        mel_htk (bool): use the HTK mel formula. Defaults to False (Slaney).
        mel_norm (None, 'slaney' or number): triangle normalisation. Defaults to 'slaney'.
        return_decibel, db_amin, db_ref_value, db_dynamic_range: as in
            :func:`get_stft_magnitude_layer`.
        input_data_format, output_data_format: as in :func:`get_stft_magnitude_layer`.
        name (str): name of the returned model. Defaults to ``'melspectrogram'``.
        center, pad_mode: as in :func:`get_stft_magnitude_layer` (Kapre's frames by default).
        power (float): exponent of the magnitude before the filterbank: 1.0 (Kapre's magnitude, the
            default) or 2.0 (the power spectrogram of librosa and torchaudio).
        preset (str or None, keyword only): a named configuration of :mod:`kapre_like.presets`
            (``'speech'``, ``'music'``, ``'librosa'``, ``'torchaudio'``, ``'keras'``) whose settings replace
            the defaults above; the arguments you pass win over it. Defaults to None.

    Returns:
        keras.Sequential: output ``(batch, time, n_mels, ch)`` or ``(batch, ch, time, n_mels)``.

    Example:
        >>> melgram = get_melspectrogram_layer(input_shape=(2, 2048), n_fft=1024, return_decibel=True,
        ...     n_mels=96, input_data_format='channels_first', output_data_format='channels_last')
        >>> melgram.output_shape
        (None, 5, 96, 2)
    """
    mel_kwargs = {"n_mels": n_mels, "f_min": mel_f_min, "f_max": mel_f_max, "htk": mel_htk, "norm": mel_norm}
    return FrontEndSpec.of("get_melspectrogram_layer", locals()).front_end(
        input_shape, name, power=power, filterbank_type="mel", sample_rate=sample_rate, filterbank_kwargs=mel_kwargs)


def get_log_frequency_spectrogram_layer(
    input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    pad_begin=False,
    pad_end=False,
    sample_rate=22050,
    log_n_bins=84,
    log_f_min=None,
    log_bins_per_octave=12,
    log_spread=0.125,
    return_decibel=False,
    db_amin=1e-5,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    input_data_format="default",
    output_data_format="default",
    name="log_frequency_spectrogram",
    center=False,
    pad_mode="constant",
    power=1.0,
):
    """Log-frequency spectrogram: STFT, Magnitude, ApplyFilterbank('log')[, MagnitudeToDecibel].

    Args:
        input_shape, n_fft, win_length, hop_length, window_name, pad_begin, pad_end:
            as in :func:`get_stft_magnitude_layer`.
        sample_rate (int): sample rate of the input audio, in Hz. Defaults to 22050.
        log_n_bins (int): number of log-frequency bins. Defaults to 84 (7 octaves).
        log_f_min (float or None): centre of the lowest bin, in Hz. Defaults to C1 (32.70 Hz).
        log_bins_per_octave (int): bins per octave. Defaults to 12.
        log_spread (float): filter width as a fraction of a bin. Defaults to 0.125.
        return_decibel, db_amin, db_ref_value, db_dynamic_range: as in
            :func:`get_stft_magnitude_layer`.
        input_data_format, output_data_format: as in :func:`get_stft_magnitude_layer`.
        name (str): name of the returned model. Defaults to ``'log_frequency_spectrogram'``.
        center, pad_mode: as in :func:`get_stft_magnitude_layer` (Kapre's frames by default).
        power (float): as in :func:`get_melspectrogram_layer`. Defaults to 1.0.

    Returns:
        keras.Sequential: output ``(batch, time, log_n_bins, ch)`` or ``(batch, ch, time, log_n_bins)``.

    Raises:
        RuntimeError: (also a ``ValueError``) when the top bin,
            ``log_f_min * 2 ** (log_n_bins / log_bins_per_octave)``, is above ``sample_rate // 2``.

    Example:
        >>> loggram = get_log_frequency_spectrogram_layer(input_shape=(2048, 2), n_fft=1024,
        ...     return_decibel=True, input_data_format='channels_last', output_data_format='channels_last')
        >>> loggram.output_shape
        (None, 5, 84, 2)
    """
    log_kwargs = {"n_bins": log_n_bins, "bins_per_octave": log_bins_per_octave, "f_min": log_f_min,
                  "spread": log_spread}
    return FrontEndSpec.of("get_log_frequency_spectrogram_layer", locals()).front_end(
        input_shape, name, power=power, filterbank_type="log", sample_rate=sample_rate, filterbank_kwargs=log_kwargs)


@accepts_preset
def get_mfcc_layer(
    input_shape=None,
    n_mfcc=20,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    sample_rate=22050,
    n_mels=128,
    mel_f_min=0.0,
    mel_f_max=None,
    mel_htk=False,
    mel_norm="slaney",
    center=True,
    pad_mode="constant",
    db_amin=1e-10,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    dct_norm="ortho",
    input_data_format="default",
    output_data_format="default",
    name="mfcc",
):
    """MFCCs as ``librosa.feature.mfcc`` computes them, inside a model.

    A :class:`SpectrogramSequential` of STFT (centred frames), Magnitude (``power=2``: the power
    spectrogram), ApplyFilterbank('mel'), MagnitudeToDecibel (``10 * log10``, ``amin=1e-10``, 80 dB
    below each item's loudest value: ``librosa.power_to_db``) and LogmelToMFCC (orthonormal DCT-II):
    the front end runs as one computation, then the DCT. With the defaults, equal to
    ``librosa.feature.mfcc(y=x, sr=sample_rate, n_mfcc=n_mfcc, n_fft=n_fft, hop_length=hop_length)``
    for each waveform (librosa takes the 80 dB floor below the loudest value of everything it is
    given at once, so compare one waveform, or one batch item, at a time). For an odd ``n_fft`` the
    window differs: TensorFlow's (and Kapre's) Hann window is symmetric at odd lengths, librosa's
    periodic.

    Args:
        input_shape (tuple or None): shape of one waveform, as in :func:`get_stft_magnitude_layer`.
        n_mfcc (int): coefficients kept, 1 ... ``n_mels``. Defaults to 20.
        n_fft, win_length, hop_length, window_name: as in :func:`get_stft_magnitude_layer`
            (``n_fft`` 2048, ``hop_length`` ``win_length // 4``: librosa's defaults).
        sample_rate, n_mels, mel_f_min, mel_f_max, mel_htk, mel_norm: as in
            :func:`get_melspectrogram_layer` (librosa's defaults).
        center (bool): centred frames. Defaults to True (librosa's default).
        pad_mode (str): ``'constant'`` (librosa's default since 0.10) or ``'reflect'``.
        db_amin, db_ref_value, db_dynamic_range: of the decibels (``librosa.power_to_db``'s ``amin``,
            ``ref`` and ``top_db``). Default to 1e-10, 1.0 and 80.
        dct_norm (str or None): ``'ortho'`` (librosa's, the default) or None (TensorFlow's and Kapre's
            scaling, coefficient 0 ``sqrt(2)`` times larger).
        input_data_format, output_data_format: as in :func:`get_stft_magnitude_layer`.
        name (str): name of the returned model. Defaults to ``'mfcc'``.
        preset (str or None, keyword only): a named configuration of :mod:`kapre_like.presets`; its STFT and
            mel settings replace the defaults, the arguments you pass win. Defaults to None.

    Returns:
        keras.Sequential: output ``(batch, time, n_mfcc, ch)`` or ``(batch, ch, time, n_mfcc)``.

    Raises:
        ValueError: ``n_mfcc`` is not an integer between 1 and ``n_mels``; the errors of the layers.

    Example:
        >>> mfcc = get_mfcc_layer(input_shape=(22050, 1), n_mfcc=13, input_data_format='channels_last',
        ...     output_data_format='channels_last')
        >>> mfcc.output_shape
        (None, 44, 13, 1)
    """
    owner = "get_mfcc_layer"
    check_int(n_mfcc, "n_mfcc", owner)
    check_int(n_mels, "n_mels", owner)
    if n_mfcc > n_mels:
        raise ValueError(f"{owner}: `n_mfcc` must be <= `n_mels` ({n_mels}); got n_mfcc={n_mfcc}.")
    mel_kwargs = {"n_mels": n_mels, "f_min": mel_f_min, "f_max": mel_f_max, "htk": mel_htk, "norm": mel_norm}
    dct = LogmelToMFCC(n_mfccs=n_mfcc, data_format=output_data_format, norm=dct_norm)
    # librosa's MFCCs: decibels of the power spectrogram
    return FrontEndSpec.of(owner, locals(), return_decibel=True).front_end(
        input_shape, name, power=2.0, filterbank_type="mel", sample_rate=sample_rate, filterbank_kwargs=mel_kwargs,
        tail=[dct])


#: Smallest overlap-added squared window, relative to its maximum, that the reconstruction pair accepts:
#: the inverse divides by it, and below a thousandth float32 round-off grows past 1e-5 (Hann, win 512:
#: hop 450 gives 2.6e-3 and errors of 5e-6; hop 480 gives 1.8e-4 and 1.6e-5; hop 509, 2.4e-8 and 1.3e-3).
MIN_COVERAGE = 1e-3


def _layer_with_input_shape(layer_class, input_shape, **kwargs):
    """Kapre's way to make a bare layer the first of a Sequential: its ``input_shape`` kwarg."""
    if input_shape is None:
        return layer_class(**kwargs)
    with warnings.catch_warnings():  # Keras 3 prefers keras.Input, but a pair of layers has no model
        warnings.filterwarnings("ignore", message="Do not pass an `input_shape`", category=UserWarning)
        return layer_class(input_shape=tuple(input_shape), **kwargs)


def get_perfectly_reconstructing_stft_istft(
    stft_input_shape=None,
    istft_input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    forward_window_name=None,
    waveform_data_format="default",
    stft_data_format="default",
    stft_name="stft",
    istft_name="istft",
    center=False,
    pad_mode="constant",
):
    """An STFT layer and an InverseSTFT layer that invert each other exactly.

    The STFT pads ``win_length - hop_length`` zeros at the start and pads the end, so every
    input sample is covered by the same number of frames. For ``x -> STFT -> InverseSTFT -> y``,
    ``y`` is longer than ``x``; ``y[trim : trim + len(x)]`` with ``trim = win_length - hop_length``
    (along the time axis) equals ``x`` to float32 precision.

    With ``center=True`` the pair frames and inverts as ``librosa.stft``/``librosa.istft`` with
    ``center=True``, and ``y`` *is* ``x``: exactly ``len(x)`` samples when ``stft_input_shape`` gives
    the time length (the inverse is built with that ``length``), else ``hop_length * (len(x) //
    hop_length)`` samples (``len(x)`` rounded down to whole hops), in both cases equal to ``x`` to
    float32 precision with no trimming. (With a declared length the inverse returns that many samples
    whatever it is given: build the pair with ``stft_input_shape=None`` for inputs of several lengths.)

    Args:
        stft_input_shape (tuple or None): shape of one waveform; set it when the STFT layer is
            the first layer of a ``Sequential``.
        istft_input_shape (tuple or None): shape of one STFT; set it when the inverse STFT layer
            is the first layer of a ``Sequential``.
        n_fft (int): FFT size. Defaults to 2048.
        win_length (int or None): window length in samples. Defaults to ``n_fft``.
        hop_length (int or None): hop in samples. Defaults to ``win_length // 4``.
        forward_window_name (str or None): analysis window. Defaults to ``'hann_window'``.
        waveform_data_format (str): ``'channels_last'`` (``(batch, time, ch)``),
            ``'channels_first'`` (``(batch, ch, time)``) or ``'default'``.
        stft_data_format (str): ``'channels_last'`` (``(batch, time, freq, ch)``),
            ``'channels_first'`` (``(batch, ch, time, freq)``) or ``'default'``.
        stft_name (str): name of the STFT layer. Defaults to ``'stft'``.
        istft_name (str): name of the inverse STFT layer. Defaults to ``'istft'``.
        center, pad_mode: as in :func:`get_stft_magnitude_layer` (Kapre's frames by default).

    Returns:
        tuple: ``(STFT, InverseSTFT)`` layers.

    Raises:
        RuntimeError: (also a ``ValueError``) when the window and hop leave samples that no
            frame weights (e.g. a Hann window with ``hop_length == win_length``), so no
            overlap-add inverse exists.

    Example:
        >>> stft, istft = get_perfectly_reconstructing_stft_istft(stft_input_shape=(2048, 2), n_fft=512,
        ...     waveform_data_format='channels_last', stft_data_format='channels_last')
        >>> model = keras.Sequential([stft, istft])   # put a U-Net between them
        >>> model.output_shape
        (None, 2816, 2)
        >>> stft, istft = get_perfectly_reconstructing_stft_istft(stft_input_shape=(2000, 2), n_fft=512, center=True,
        ...     waveform_data_format='channels_last', stft_data_format='channels_last')
        >>> keras.Sequential([stft, istft]).output_shape
        (None, 2000, 2)
    """
    owner = "get_perfectly_reconstructing_stft_istft"
    check_data_formats(owner, waveform_data_format=waveform_data_format, stft_data_format=stft_data_format)
    win_length, hop_length = resolve_stft_lengths(n_fft, win_length, hop_length, owner)
    check_hop_within_window(hop_length, win_length, owner)  # gaps: a rectangular window's coverage misses them
    coverage = functional.overlapped_window_power(win_length, hop_length, forward_window_name)
    if coverage.min() < MIN_COVERAGE * coverage.max():
        raise NotInvertibleError(
            f"{owner}: with `forward_window_name`={forward_window_name!r}, win_length={win_length} and "
            f"hop_length={hop_length}, the overlap-added squared window falls to {coverage.min() / coverage.max():.1e} "
            f"of its maximum (below {MIN_COVERAGE:g}), so the STFT cannot be inverted to float32 precision (the "
            f"inverse divides by it); use a hop_length of at most win_length // 2 (got {hop_length})."
        )

    stft = _layer_with_input_shape(
        STFT,
        stft_input_shape,
        n_fft=n_fft,
        win_length=win_length,
        hop_length=hop_length,
        window_name=forward_window_name,
        pad_begin=not center,
        pad_end=not center,
        input_data_format=waveform_data_format,
        output_data_format=stft_data_format,
        center=center,
        pad_mode=pad_mode,
        name=stft_name,
    )
    time = None
    if center and stft_input_shape is not None:
        time = stft.input_format.split_shape((None,) + tuple(stft_input_shape))[2]
    istft = _layer_with_input_shape(
        InverseSTFT,
        istft_input_shape,
        n_fft=n_fft,
        win_length=win_length,
        hop_length=hop_length,
        forward_window_name=forward_window_name,
        input_data_format=stft_data_format,
        output_data_format=waveform_data_format,
        center=center,
        length=time,
        name=istft_name,
    )
    return stft, istft


def get_stft_mag_phase(
    input_shape,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    pad_begin=False,
    pad_end=False,
    return_decibel=False,
    db_amin=1e-5,
    db_ref_value=1.0,
    db_dynamic_range=80.0,
    input_data_format="default",
    output_data_format="default",
    name="stft_mag_phase",
    center=False,
    pad_mode="constant",
):
    """Magnitude and phase of the STFT stacked on the channel axis: a functional ``keras.Model``.

    For ``ch`` input channels the output has ``2 * ch`` channels: the ``ch`` magnitudes
    (in decibels with ``return_decibel``) then the ``ch`` phases (radians).

    Args:
        input_shape (tuple): shape of one waveform, e.g. ``(44100, 2)`` (required: the model is
            functional).
        n_fft (int), win_length, hop_length, window_name, pad_begin, pad_end: as in
            :func:`get_stft_magnitude_layer`.
        return_decibel, db_amin, db_ref_value, db_dynamic_range: as in
            :func:`get_stft_magnitude_layer`.
        input_data_format, output_data_format: as in :func:`get_stft_magnitude_layer`.
        name (str): name of the returned model. Defaults to ``'stft_mag_phase'``.
        center, pad_mode: as in :func:`get_stft_magnitude_layer` (Kapre's frames by default).

    Returns:
        keras.Model: float output ``(batch, time, freq, 2 * ch)`` or ``(batch, 2 * ch, time, freq)``.

    Example:
        >>> mag_phase = get_stft_mag_phase(input_shape=(2048, 3), return_decibel=True, n_fft=1024,
        ...     input_data_format='channels_last', output_data_format='channels_last')
        >>> mag_phase.output_shape
        (None, 5, 513, 6)
    """
    spec = FrontEndSpec.of("get_stft_mag_phase", locals())
    if input_shape is None:
        raise ValueError("get_stft_mag_phase: `input_shape` is required (the model is functional); got None.")
    stft = spec.stft()
    waveforms = keras.Input(shape=tuple(input_shape))
    stfts = stft(waveforms)
    magnitudes = Magnitude()(stfts)
    for layer in spec.decibel_layers():
        magnitudes = layer(magnitudes)
    phases = Phase()(stfts)
    outputs = keras.layers.Concatenate(axis=stft.output_format.channel_axis(4))([magnitudes, phases])
    return keras.Model(inputs=waveforms, outputs=outputs, name=name)


def get_frequency_aware_conv2d(data_format="default", freq_aware_name="frequency_aware_conv2d", *args, **kwargs):
    """Frequency-aware 2-D convolution: ``Sequential`` of ConcatenateFrequencyMap and Conv2D.

    The convolution sees each bin's normalised frequency as an extra input channel
    (Koutini, Eghbal-zadeh and Widmer, DCASE 2019).

    Args:
        data_format (str): ``'channels_last'``, ``'channels_first'`` or ``'default'``, for
            both layers.
        freq_aware_name (str): name of the returned model. Defaults to
            ``'frequency_aware_conv2d'``.
        *args: positional arguments of ``keras.layers.Conv2D`` (``filters``, ``kernel_size``, ...).
        **kwargs: keyword arguments of ``keras.layers.Conv2D``.

    Returns:
        keras.Sequential: the two layers.

    Raises:
        ValueError: ``groups > 1`` (only the last group would see the frequency map).

    Example:
        >>> conv = get_frequency_aware_conv2d('channels_last', 'fa_conv', 8, (3, 3), padding='same')
        >>> tuple(conv(keras.ops.zeros((1, 10, 64, 1))).shape)
        (1, 10, 64, 8)
    """
    check_data_format(data_format, "data_format", "get_frequency_aware_conv2d")
    groups = kwargs.get("groups", args[7] if len(args) > 7 else 1)
    if groups is not None and groups > 1:
        raise ValueError(
            f"get_frequency_aware_conv2d: `groups` must be 1 (got {groups}): with grouped convolution only "
            "the last group would see the frequency map."
        )
    if data_format != "default":
        kwargs["data_format"] = data_format
    return keras.Sequential(
        [ConcatenateFrequencyMap(data_format=data_format), keras.layers.Conv2D(*args, **kwargs)],
        name=freq_aware_name,
    )


def get_mel_to_audio(
    input_shape=None,
    n_fft=2048,
    win_length=None,
    hop_length=None,
    window_name=None,
    sample_rate=22050,
    n_mels=128,
    mel_f_min=0.0,
    mel_f_max=None,
    mel_htk=False,
    mel_norm="slaney",
    power=1.0,
    decibel=False,
    stype="power",
    nnls_iter=100,
    n_iter=32,
    momentum=0.99,
    init="random",
    seed=None,
    length=None,
    center=False,
    pad_mode="constant",
    input_data_format="default",
    output_data_format="default",
    name="mel_to_audio",
    strategy="plain",
):
    """Audio from a mel spectrogram: ``Sequential`` of :class:`~kapre_like.reconstruction.InverseMelScale`
    and :class:`~kapre_like.reconstruction.GriffinLim`, ``librosa.feature.inverse.mel_to_audio``'s steps.

    Give it the arguments the mel spectrogram was made with (those of
    :func:`get_melspectrogram_layer`; ``decibel=True`` when it ended in decibels).

    Args:
        input_shape (tuple or None): ``(frames, n_mels, channels)`` or ``(channels, frames, n_mels)``
            without the batch; None to build on first call.
        n_fft, win_length, hop_length, window_name, center, pad_mode: the mel spectrogram's STFT.
        sample_rate, n_mels, mel_f_min, mel_f_max, mel_htk, mel_norm, power: its filterbank.
        decibel (bool), stype (str): the input is in decibels (``'power'``: Kapre's ``10 log10``).
        nnls_iter (int): :class:`~kapre_like.reconstruction.InverseMelScale`'s ``n_iter``. Defaults to 100.
        n_iter, momentum, init, seed, length: :class:`~kapre_like.reconstruction.GriffinLim`'s.
        input_data_format (str): layout of the mel spectrogram.
        output_data_format (str): layout of the waveforms.
        name (str): the model's name.
        strategy (str): :class:`~kapre_like.reconstruction.GriffinLim`'s (``'conv'`` for TFLite).

    Returns:
        keras.Sequential: ``(batch, frames, n_mels, ch)`` -> ``(batch, time, ch)`` (channels last).

    Raises:
        ValueError: ``hop_length > win_length`` (samples between frames cannot be rebuilt), or a bad
            argument of either layer.

    Example:
        >>> model = get_mel_to_audio(input_shape=(30, 40, 1), n_fft=512, hop_length=128, sample_rate=16000,
        ...                          n_mels=40, n_iter=4, input_data_format='channels_last',
        ...                          output_data_format='channels_last')
        >>> model.output_shape
        (None, 4224, 1)
    """
    from .reconstruction import GriffinLim, InverseMelScale

    owner = "get_mel_to_audio"
    resolved_win, resolved_hop = resolve_stft_lengths(n_fft, win_length, hop_length, owner)
    check_hop_within_window(resolved_hop, resolved_win, owner)
    layers = [] if input_shape is None else [keras.Input(input_shape)]
    layers.append(InverseMelScale(sample_rate=sample_rate, n_fft=n_fft, n_mels=n_mels, mel_f_min=mel_f_min,
                                  mel_f_max=mel_f_max, mel_htk=mel_htk, mel_norm=mel_norm, power=power,
                                  decibel=decibel, stype=stype, n_iter=nnls_iter, data_format=input_data_format))
    layers.append(GriffinLim(n_fft=n_fft, win_length=win_length, hop_length=hop_length, window_name=window_name,
                             n_iter=n_iter, momentum=momentum, init=init, seed=seed, length=length, center=center,
                             pad_mode=pad_mode, input_data_format=input_data_format,
                             output_data_format=output_data_format, strategy=strategy))
    return AudioSequential(layers, name=name)
