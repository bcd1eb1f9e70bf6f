"""kapre_like: Keras 3 audio layers, a drop-in for Kapre 0.4.1.

Replace ``kapre`` by ``kapre_like`` in your imports; names, arguments, defaults,
shapes and dtypes are Kapre's. The DSP lives in :mod:`kapre_like.functional`.
"""

from . import backend, filters, functional
from ._version import KAPRE_API_VERSION, __version__
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

VERSION = __version__

__all__ = [
    "__version__",
    "VERSION",
    "KAPRE_API_VERSION",
    "backend",
    "filters",
    "functional",
    "STFT",
    "InverseSTFT",
    "Magnitude",
    "Phase",
    "MagnitudeToDecibel",
    "ApplyFilterbank",
    "Delta",
    "ConcatenateFrequencyMap",
]
