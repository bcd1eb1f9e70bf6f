"""Named spectrogram configurations: what a speech or music model usually takes, and the settings that
reproduce librosa's, torchaudio's and Keras's default mel spectrogram.

A preset is a set of STFT, mel and decibel settings. The mel factories take one by name
(``get_melspectrogram_layer(preset='librosa')``; arguments you pass yourself win), the mel and
MFCC encoders by :meth:`Preset.encoder_arguments`, the command line by ``--preset``.

=============  =======  =====  ======  ====  ====  ===========  ====================================
preset         rate Hz  n_fft  window  hop   mels  Hz           output
=============  =======  =====  ======  ====  ====  ===========  ====================================
``speech``     16000    400    400     160   80    20 - 7600    dB, 80 dB range (25 ms / 10 ms)
``music``      22050    2048   2048    512   128   0 - 11025    dB, 80 dB range
``librosa``    22050    2048   2048    512   128   0 - 11025    power: ``librosa.feature.melspectrogram``
``torchaudio`` 16000    400    400     200   128   0 - 8000     power, HTK mel, no filter norm:
                                                                ``torchaudio.transforms.MelSpectrogram``
``keras``      16000    2048   2048    512   128   20 - 8000    dB, 80 dB range: the settings of
                                                                ``keras.layers.MelSpectrogram``
=============  =======  =====  ======  ====  ====  ===========  ====================================

Every preset centres its frames (``center=True``: frame ``t`` is centred on sample ``t * hop``, as
librosa, torchaudio and Keras do); ``torchaudio`` and ``keras`` pad by reflection, the others with
zeros. Keras's layer weighs with its own mel matrix (``tf.signal``'s, in the mel domain) and clips
its 80 dB range over the whole batch rather than per example: the ``keras`` preset gives its
settings with librosa's HTK filters, within 0.05 dB of Keras's layer on one example (0.04 dB
measured on the built-in demo signal); :class:`kapre_like.MelSpectrogram` is Keras's layer itself.

Example:
    >>> PRESETS["speech"].hop_length, PRESETS["speech"].n_mels
    (160, 80)
    >>> sorted(PRESETS["librosa"].factory_arguments())[:3]
    ['center', 'db_amin', 'db_dynamic_range']
"""

import dataclasses
import functools
import inspect


@dataclasses.dataclass(frozen=True)
class Preset:
    """One named configuration; lengths in samples, frequencies in Hz."""

    name: str
    description: str
    sample_rate: int
    n_fft: int
    win_length: int
    hop_length: int
    n_mels: int
    f_min: float = 0.0
    f_max: float = None
    htk: bool = False
    mel_norm: str = "slaney"
    center: bool = True
    pad_mode: str = "constant"
    power: float = 2.0
    decibels: bool = True
    db_amin: float = 1e-10
    db_dynamic_range: float = 80.0

    def factory_arguments(self):
        """The arguments of :func:`kapre_like.composed.get_melspectrogram_layer` that this preset sets."""
        return {"n_fft": self.n_fft, "win_length": self.win_length, "hop_length": self.hop_length,
                "sample_rate": self.sample_rate, "n_mels": self.n_mels, "mel_f_min": self.f_min,
                "mel_f_max": self.f_max, "mel_htk": self.htk, "mel_norm": self.mel_norm, "center": self.center,
                "pad_mode": self.pad_mode, "power": self.power, "return_decibel": self.decibels,
                "db_amin": self.db_amin, "db_dynamic_range": self.db_dynamic_range}

    def encoder_arguments(self, mfcc=False):
        """The arguments of :class:`kapre_like.encoder.AudioMelSpectrogramEncoder` (with ``mfcc``: of
        :class:`~kapre_like.encoder.AudioMFCCEncoder`, whose log-mel is always in dB) that this preset
        sets; the encoders' partitions are not centred and their FFT is ``win_length`` points."""
        arguments = {"sample_rate": self.sample_rate, "window_size": self.win_length, "offset": self.hop_length,
                     "n_mels": self.n_mels, "f_min": self.f_min, "f_max": self.f_max, "htk": self.htk,
                     "norm": self.mel_norm, "power": self.power, "amin": self.db_amin}
        return arguments if mfcc else {**arguments, "log": self.decibels}


PRESETS = {preset.name: preset for preset in (
    Preset("speech", "speech: 16 kHz, 25 ms windows every 10 ms, 80 mels from 20 Hz to 7.6 kHz, dB", 16000, 400, 400,
           160, 80, f_min=20.0, f_max=7600.0),
    Preset("music", "music: 22.05 kHz, 2048-point frames every 512 samples, 128 mels, dB", 22050, 2048, 2048, 512,
           128),
    Preset("librosa", "librosa.feature.melspectrogram's defaults: power, Slaney mel", 22050, 2048, 2048, 512, 128,
           decibels=False),
    Preset("torchaudio", "torchaudio.transforms.MelSpectrogram's defaults: power, HTK mel without filter norm", 16000,
           400, 400, 200, 128, htk=True, mel_norm=None, pad_mode="reflect", decibels=False),
    Preset("keras", "keras.layers.MelSpectrogram's settings: 20 Hz up, dB with an 80 dB range", 16000, 2048, 2048,
           512, 128, f_min=20.0, htk=True, mel_norm=None, pad_mode="reflect"),
)}


def get_preset(name):
    """The :class:`Preset` called ``name``; ValueError listing the presets otherwise."""
    if isinstance(name, Preset):
        return name
    if name not in PRESETS:
        raise ValueError(f"`preset` must be one of {sorted(PRESETS)}; got {name!r}.")
    return PRESETS[name]


def accepts_preset(factory):
    """Give ``factory`` a last, keyword-only ``preset`` argument: the preset's settings replace the
    factory's defaults, and the arguments the caller passes win over both."""
    signature = inspect.signature(factory)

    @functools.wraps(factory)
    def with_preset(*args, preset=None, **kwargs):
        if preset is None:
            return factory(*args, **kwargs)
        chosen = {name: value for name, value in get_preset(preset).factory_arguments().items()
                  if name in signature.parameters}
        return factory(**{**chosen, **signature.bind_partial(*args, **kwargs).arguments})

    with_preset.__signature__ = signature.replace(parameters=[
        *signature.parameters.values(), inspect.Parameter("preset", inspect.Parameter.KEYWORD_ONLY, default=None)])
    return with_preset
