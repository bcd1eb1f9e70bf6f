"""What an encoder computes from a waveform's partitions, once for the encoders (NumPy in, eager
ops) and their in-graph layer: the magnitude, the complex STFT, a mel spectrogram (power, or its
decibels) and MFCCs.

``partition_features(signals, window_size, offset, window, **kind)`` where ``kind`` is what
:func:`feature_settings` returns: a JSON-ready dict that the layer keeps in its config.
"""

import functools

import numpy as np

from .. import filters, functional
from .._checks import check_choice, check_int, check_number

#: The kinds of features, by the name of the encoder's output.
FEATURE_KINDS = ("magnitude", "stft", "mel", "mfcc")


def feature_settings(kind, sample_rate, window_size, n_mels=None, f_min=0.0, f_max=None, htk=False, norm="slaney",
                     power=2.0, log=True, amin=1e-10, n_mfcc=None, owner="encoder"):
    """The checked settings of one kind of features (JSON values: the layer's config keeps them).

    ``magnitude`` and ``stft`` take none; ``mel`` takes the filterbank (``n_mels``, ``f_min``,
    ``f_max`` in Hz, ``htk``, ``norm``), the ``power`` of the magnitude it weighs (2: power, 1:
    magnitude) and ``log`` (decibels ``10 * log10(max(mel, amin))``, as ``librosa.power_to_db``
    with ``ref=1``, ``top_db=None``); ``mfcc`` takes those (``log`` is then always True) and
    ``n_mfcc`` (the orthonormal DCT-II, librosa's).
    """
    check_choice(kind, "kind", FEATURE_KINDS, owner)
    if kind in ("magnitude", "stft"):
        return {"kind": kind}
    check_int(n_mels, "n_mels", owner)
    check_number(f_min, "f_min", owner, positive=False)
    check_number(f_max, "f_max", owner, allow_none=True)
    check_number(power, "power", owner)
    check_number(amin, "amin", owner)
    nyquist = sample_rate / 2.0
    if f_max is not None and f_max > nyquist:
        raise ValueError(f"{owner}: `f_max` = {f_max:g} Hz is above the Nyquist frequency sample_rate / 2 = "
                         f"{nyquist:g} Hz; give f_max <= {nyquist:g} or None.")
    if not f_min < (nyquist if f_max is None else f_max):
        raise ValueError(f"{owner}: `f_min` = {f_min:g} Hz must lie below `f_max` "
                         f"({nyquist if f_max is None else f_max:g} Hz).")
    settings = {"kind": kind, "mel": {"sample_rate": int(sample_rate), "n_fft": int(window_size), "n_mels": int(n_mels),
                                      "f_min": float(f_min), "f_max": None if f_max is None else float(f_max),
                                      "htk": bool(htk), "norm": norm},
                "power": float(power), "log": bool(log) or kind == "mfcc", "amin": float(amin)}
    mel_matrix(**settings["mel"])  # the filterbank's own checks (range, Nyquist), at construction
    if kind == "mfcc":
        check_int(n_mfcc, "n_mfcc", owner)
        if n_mfcc > n_mels:
            raise ValueError(f"{owner}: `n_mfcc` must be at most `n_mels` ({n_mels}); got {n_mfcc}.")
        settings["n_mfcc"] = int(n_mfcc)
    return settings


@functools.lru_cache(maxsize=16)
def mel_matrix(sample_rate, n_fft, n_mels, f_min, f_max, htk, norm):
    """``(n_fft // 2 + 1, n_mels)`` mel filterbank (librosa's), computed once per setting."""
    matrix = filters.mel_filterbank(sample_rate, n_fft // 2 + 1, n_mels, f_min, f_max, htk=htk, norm=norm,
                                    n_fft=n_fft)
    matrix.flags.writeable = False
    return matrix


def partition_features(signals, window_size, offset, window, kind="magnitude", mel=None, power=2.0, log=True,
                       amin=1e-10, n_mfcc=None):
    """The features of ``signals`` (``(time,)`` or ``(batch, time)``) over the encoders' partitions
    (:func:`kapre_like.functional.partition_stft`): ``(..., partitions, bins)``, complex for ``stft``."""
    spectra = functional.partition_stft(signals, window_size, offset, window)
    if kind == "stft":
        return spectra
    if kind == "magnitude":
        return functional.magnitude(spectra)
    energies = functional.apply_filterbank(functional.powered_magnitude(spectra, power), mel_matrix(**mel))
    if not log:
        return energies
    log_mel = functional.to_decibel(energies, ref_value=1.0, amin=amin, dynamic_range=None, multiplier=10.0)
    return log_mel if kind == "mel" else functional.mfcc(log_mel, n_mfcc, norm="ortho")


def feature_bins(settings, window_size):
    """Values per partition: frequency bins, mels or coefficients."""
    kind = settings["kind"]
    if kind in ("magnitude", "stft"):
        return window_size // 2 + 1
    return settings["n_mfcc"] if kind == "mfcc" else settings["mel"]["n_mels"]
