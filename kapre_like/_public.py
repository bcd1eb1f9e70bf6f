"""The package's public names in one table, and how ``import kapre_like`` loads them.

``kapre_like/__init__.py`` reads :data:`PUBLIC` for its ``__all__``, its eager imports (every layer is
registered with Keras on ``import kapre_like``, so that ``keras.models.load_model`` finds them) and its
module ``__getattr__`` (PEP 562) for the names loaded on first use.
"""

import importlib
import os
import sys

PACKAGE = "kapre_like"

#: Every public name after the version names, in ``__all__``'s order, and the submodule it comes from (a
#: submodule's own name maps to itself).
PUBLIC = {
    "backend": "backend",
    "composed": "composed",
    "filters": "filters",
    "functional": "functional",
    "signal": "signal",
    "augmentation": "augmentation",
    "time_frequency": "time_frequency",
    "time_frequency_tflite": "time_frequency_tflite",
    "Frame": "signal",
    "Energy": "signal",
    "MuLawEncoding": "signal",
    "MuLawDecoding": "signal",
    "LogmelToMFCC": "signal",
    "PCEN": "normalization",
    "Resample": "resampling",
    "CQT": "constant_q",
    "export_onnx": "onnx_export",
    "export": "exporting",
    "VQT": "constant_q",
    "STFT": "time_frequency",
    "InverseSTFT": "time_frequency",
    "Magnitude": "time_frequency",
    "Phase": "time_frequency",
    "MagnitudeToDecibel": "time_frequency",
    "ApplyFilterbank": "time_frequency",
    "Delta": "time_frequency",
    "ConcatenateFrequencyMap": "time_frequency",
    "STFTTflite": "time_frequency_tflite",
    "InverseSTFTTflite": "time_frequency_tflite",
    "MagnitudeTflite": "time_frequency_tflite",
    "PhaseTflite": "time_frequency_tflite",
    "SpecAugment": "augmentation",
    "ChannelSwap": "augmentation",
    "STFTSpectrogram": "spectrogram",
    "MelSpectrogram": "spectrogram",
    "AudioSpectrogramEncoder": "encoder",
    "AudioSpectrogram": "encoder",
    "AudioSTFTEncoder": "encoder",
    "AudioMelSpectrogramEncoder": "encoder",
    "AudioMFCCEncoder": "encoder",
    "encoder": "encoder",
    "spectrogram": "spectrogram",
    "get_stft_magnitude_layer": "composed",
    "get_melspectrogram_layer": "composed",
    "get_log_frequency_spectrogram_layer": "composed",
    "get_perfectly_reconstructing_stft_istft": "composed",
    "get_stft_mag_phase": "composed",
    "get_frequency_aware_conv2d": "composed",
    "get_mfcc_layer": "composed",
    "get_mel_to_audio": "composed",
    "reconstruction": "reconstruction",
    "normalization": "normalization",
    "resampling": "resampling",
    "constant_q": "constant_q",
    "streaming": "streaming",
    "GriffinLim": "reconstruction",
    "InverseMelScale": "reconstruction",
    "audio_io": "audio_io",
    "presets": "presets",
    "display": "display",
    "exporting": "exporting",
    "read_shards": "beam",
    "encode_corpus": "beam",
}

#: Submodules loaded on first use even by a whole ``import kapre_like``: kapre_like.beam (corpus encoding; it
#: imports apache_beam only when a pipeline runs). ``kapre_like.beam`` itself is an attribute too.
ON_FIRST_USE = ("beam",)

#: Set to "1" by the command-line front door (:mod:`kapre_like_cli`) around its first import of the package,
#: which removes it: see :func:`light_import_requested`.
LIGHT_IMPORT_VARIABLE = "KAPRE_LIKE_LIGHT_IMPORT"


def attribute(name):
    """The public attribute ``name`` of kapre_like, its submodule imported now; AttributeError for other names."""
    module_name = PUBLIC.get(name, name if name in ON_FIRST_USE else None)
    if module_name is None:
        raise AttributeError(f"module {PACKAGE!r} has no attribute {name!r}")
    module = importlib.import_module(f"{PACKAGE}.{module_name}")
    return module if module_name == name else getattr(module, name)


def import_all():
    """Import every public name (but :data:`ON_FIRST_USE`'s) into the package, registering every layer with
    Keras: what ``import kapre_like`` does, and what the command-line tool calls before a job runs when the
    package was imported light (a no-op when it was imported whole)."""
    package = sys.modules[PACKAGE]
    eager = {name: module for name, module in PUBLIC.items() if module not in ON_FIRST_USE}
    for module in sorted(set(eager.values())):
        importlib.import_module(f"{PACKAGE}.{module}")
    for name in eager:
        setattr(package, name, attribute(name))


def light_import_requested():
    """Whether this process is the command-line tool reading its arguments, whose ``--help`` and argument errors
    must answer before TensorFlow is imported (seconds). Two explicit signs, neither of which a user's program
    gives by accident:

    * ``python -m kapre_like``: Python sets ``sys.argv[0]`` to ``'-m'`` while it imports the package it is
      about to run, and ``sys.orig_argv`` names this package after ``-m`` (Python 3.10+; before, the import is
      whole: a slower ``--help``, nothing else);
    * the front door ``kapre_like_cli`` sets :data:`LIGHT_IMPORT_VARIABLE` around its first import of the
      package; it is read once and removed here, so that no child process inherits it.
    """
    requested_by_front_door = os.environ.pop(LIGHT_IMPORT_VARIABLE, None) == "1"
    command = list(getattr(sys, "orig_argv", ()))
    run_as_module = sys.argv[:1] == ["-m"] and any(
        (argument == "-m" and command[index + 1:index + 2] == [PACKAGE]) or argument == "-m" + PACKAGE
        for index, argument in enumerate(command))
    return requested_by_front_door or run_as_module
