"""kapre_like: Keras 3 audio layers, a drop-in for Kapre 0.4.1.

Replace ``kapre`` by ``kapre_like`` in your imports; names, arguments, defaults,
shapes and dtypes are Kapre's. The DSP lives in :mod:`kapre_like.functional`.
"""

from . import (
    augmentation,
    backend,
    composed,
    constant_q,
    encoder,
    filters,
    functional,
    normalization,
    reconstruction,
    resampling,
    signal,
    spectrogram,
    streaming,
    time_frequency,
    time_frequency_tflite,
)
from ._version import KAPRE_API_VERSION, __version__
from .composed import (
    get_frequency_aware_conv2d,
    get_log_frequency_spectrogram_layer,
    get_melspectrogram_layer,
    get_mel_to_audio,
    get_mfcc_layer,
    get_perfectly_reconstructing_stft_istft,
    get_stft_mag_phase,
    get_stft_magnitude_layer,
)
from .augmentation import ChannelSwap, SpecAugment
from .encoder import AudioSpectrogram, AudioSpectrogramEncoder
from .reconstruction import GriffinLim, InverseMelScale
from .spectrogram import MelSpectrogram, STFTSpectrogram
from .normalization import PCEN
from .resampling import Resample
from .constant_q import CQT, VQT
from .onnx_export import export_onnx
from .exporting import export
from .signal import Energy, Frame, LogmelToMFCC, MuLawDecoding, MuLawEncoding
from .time_frequency import (
    STFT,
    ApplyFilterbank,
    ConcatenateFrequencyMap,
    Delta,
    InverseSTFT,
    Magnitude,
    MagnitudeToDecibel,
    Phase,
)
from .time_frequency_tflite import InverseSTFTTflite, MagnitudeTflite, PhaseTflite, STFTTflite

VERSION = __version__

#: Names loaded on first use: kapre_like.beam (corpus encoding; it imports apache_beam only when a
#: pipeline runs) is not imported by ``import kapre_like``.
_LAZY = {"beam": None, "read_shards": "read_shards", "encode_corpus": "encode_corpus"}


def __getattr__(name):
    if name in _LAZY:
        import importlib

        module = importlib.import_module(".beam", __name__)
        return module if _LAZY[name] is None else getattr(module, _LAZY[name])
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")

__all__ = [
    "__version__",
    "VERSION",
    "KAPRE_API_VERSION",
    "backend",
    "composed",
    "filters",
    "functional",
    "signal",
    "augmentation",
    "time_frequency",
    "time_frequency_tflite",
    "Frame",
    "Energy",
    "MuLawEncoding",
    "MuLawDecoding",
    "LogmelToMFCC",
    "PCEN",
    "Resample",
    "CQT",
    "export_onnx",
    "export",
    "VQT",
    "STFT",
    "InverseSTFT",
    "Magnitude",
    "Phase",
    "MagnitudeToDecibel",
    "ApplyFilterbank",
    "Delta",
    "ConcatenateFrequencyMap",
    "STFTTflite",
    "InverseSTFTTflite",
    "MagnitudeTflite",
    "PhaseTflite",
    "SpecAugment",
    "ChannelSwap",
    "STFTSpectrogram",
    "MelSpectrogram",
    "AudioSpectrogramEncoder",
    "AudioSpectrogram",
    "encoder",
    "spectrogram",
    "get_stft_magnitude_layer",
    "get_melspectrogram_layer",
    "get_log_frequency_spectrogram_layer",
    "get_perfectly_reconstructing_stft_istft",
    "get_stft_mag_phase",
    "get_frequency_aware_conv2d",
    "get_mfcc_layer",
    "get_mel_to_audio",
    "reconstruction",
    "normalization",
    "resampling",
    "constant_q",
    "streaming",
    "GriffinLim",
    "InverseMelScale",
    "read_shards",
    "encode_corpus",
]
