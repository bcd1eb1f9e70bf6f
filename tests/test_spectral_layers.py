"""MagnitudeToDecibel, ApplyFilterbank, Delta and ConcatenateFrequencyMap against references."""

import librosa
import numpy as np
import pytest

from kapre_like import ApplyFilterbank, ConcatenateFrequencyMap, Delta, MagnitudeToDecibel

from conftest import SAMPLE_RATE, from_layout, to_layout


@pytest.fixture(scope="module")
def magnitudes(waveforms):
    """(batch=3, ch=2, time, freq) STFT magnitudes from librosa, float32."""
    spectra = librosa.stft(waveforms[:3, :2], n_fft=512, hop_length=128, center=False)
    return np.swapaxes(np.abs(spectra), -1, -2).astype(np.float32)


@pytest.mark.parametrize("stype, librosa_fn", [("power", librosa.power_to_db), ("magnitude", librosa.amplitude_to_db)])
@pytest.mark.parametrize("amin, dynamic_range", [(1e-5, 80.0), (1e-3, 120.0)])
def test_magnitude_to_decibel_layer(magnitudes, stype, librosa_fn, amin, dynamic_range):
    got = np.asarray(MagnitudeToDecibel(amin=amin, dynamic_range=dynamic_range, stype=stype)(magnitudes))
    for item in range(len(magnitudes)):
        expected = librosa_fn(magnitudes[item].astype(np.float64), ref=1.0, amin=amin, top_db=dynamic_range)
        np.testing.assert_allclose(got[item], expected, rtol=3e-3, atol=1e-4)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize(
    "fb_type, fb_kwargs",
    [
        ("mel", {"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_mels": 40}),
        ("mel", {"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_mels": 64, "f_min": 50.0, "f_max": 7000.0, "htk": True, "norm": None}),
        ("log", {"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_bins": 60, "f_min": 60.0}),
    ],
)
def test_apply_filterbank(magnitudes, data_format, fb_type, fb_kwargs):
    layer = ApplyFilterbank(fb_type, fb_kwargs, data_format=data_format)
    got = from_layout(np.asarray(layer(to_layout(magnitudes, data_format))), data_format)
    if fb_type == "mel":
        basis = librosa.filters.mel(
            sr=fb_kwargs["sample_rate"], n_fft=512, n_mels=fb_kwargs["n_mels"], fmin=fb_kwargs.get("f_min", 0.0),
            fmax=fb_kwargs.get("f_max"), htk=fb_kwargs.get("htk", False), norm=fb_kwargs.get("norm", "slaney"),
        )
        expected = magnitudes @ basis.T
    else:  # Kapre's log filterbank is the reference (its shape is checked in test_backend)
        kapre = pytest.importorskip("kapre")
        expected = magnitudes @ np.asarray(kapre.backend.filterbank_log(**fb_kwargs))
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5)


def _regression_delta(x, win_length, pad_mode, axis):
    """The delta formula, on NumPy padding (independent of TensorFlow)."""
    half = (win_length - 1) // 2
    pad = [(0, 0)] * x.ndim
    pad[axis] = (half, half)
    padded = np.pad(x, pad, mode=pad_mode)
    length = x.shape[axis]
    out = np.zeros_like(x, dtype=np.float64)
    for n in range(1, half + 1):
        ahead = np.take(padded, np.arange(half + n, half + n + length), axis=axis)
        behind = np.take(padded, np.arange(half - n, half - n + length), axis=axis)
        out += n * (ahead - behind)
    return out / (2 * sum(n * n for n in range(1, half + 1)))


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("win_length", [3, 5, 9])
@pytest.mark.parametrize("mode, librosa_mode", [("reflect", "mirror"), ("constant", "constant"), ("SYMMETRIC", None)])
def test_delta(magnitudes, data_format, win_length, mode, librosa_mode):
    log_spec = np.log1p(magnitudes)  # (b, ch, t, f)
    got = from_layout(np.asarray(Delta(win_length, mode, data_format)(to_layout(log_spec, data_format))), data_format)
    if librosa_mode is not None:
        expected = librosa.feature.delta(log_spec, width=win_length, axis=2, mode=librosa_mode)
    else:  # librosa has no edge-repeating mode; compare with the formula on np.pad(mode='symmetric')
        expected = _regression_delta(log_spec, win_length, "symmetric", axis=2)
    np.testing.assert_allclose(got, expected, atol=1e-5)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_concatenate_frequency_map(data_format):
    x = np.random.default_rng(0).standard_normal((2, 3, 7, 5)).astype(np.float32)  # (b, ch, t, f)
    got = from_layout(np.asarray(ConcatenateFrequencyMap(data_format)(to_layout(x, data_format))), data_format)
    assert got.shape == (2, 4, 7, 5)
    np.testing.assert_array_equal(got[:, :3], x)  # input channels untouched, map appended last
    np.testing.assert_allclose(got[:, 3], np.broadcast_to(np.linspace(0.0, 1.0, 5), (2, 7, 5)), atol=1e-7)
