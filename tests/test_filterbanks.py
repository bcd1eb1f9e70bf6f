"""Chroma and gammatone (ERB) filterbanks against librosa and scipy, computed here independently."""

import keras
import librosa
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

import kapre_like as kl
from kapre_like import filters
from kapre_like._checks import FilterbankRangeError
from kapre_like.synthetic import speech_like

from conftest import SAMPLE_RATE, assert_says, from_layout, to_layout


@pytest.fixture(scope="module")
def magnitudes(waveforms):
    """(batch=3, ch=2, time, freq) STFT magnitudes from librosa, float32, n_fft=512."""
    spectra = librosa.stft(waveforms[:3, :2], n_fft=512, hop_length=128, center=False)
    return np.swapaxes(np.abs(spectra), -1, -2).astype(np.float32)


# ---------------------------------------------------------------- chroma


@pytest.mark.parametrize(
    "sr, n_fft, kwargs",
    [
        (22050, 2048, {}),
        (16000, 512, {"n_chroma": 24, "tuning": 0.25, "base_c": False}),
        (44100, 4096, {"n_chroma": 36, "tuning": -0.4, "ctroct": 4.0, "octwidth": None, "norm": None}),
        (8000, 255, {"n_chroma": 12, "octwidth": 1.5, "norm": np.inf}),  # odd n_fft
    ],
)
def test_chroma_matrix_is_librosas(sr, n_fft, kwargs):
    got = filters.chroma_filterbank(sr, n_fft // 2 + 1, n_fft=n_fft, **kwargs)
    expected = librosa.filters.chroma(sr=sr, n_fft=n_fft, dtype=np.float64, **kwargs).T
    assert got.dtype == np.float64 and got.shape == expected.shape
    np.testing.assert_array_equal(got, expected)


def test_chroma_layer_equals_librosa_chroma_stft():
    """STFT -> Magnitude(power=2) -> ApplyFilterbank('chroma') in float64 is librosa's chroma_stft(norm=None)."""
    y = speech_like(0.5, SAMPLE_RATE, seed=7).astype(np.float64)
    model = keras.Sequential([
        keras.Input((len(y), 1), dtype="float64"),
        kl.STFT(n_fft=512, hop_length=128, input_data_format="channels_last", output_data_format="channels_last"),
        kl.Magnitude(power=2.0),
        kl.ApplyFilterbank("chroma", {"sample_rate": SAMPLE_RATE, "n_freq": 257}, data_format="channels_last"),
    ])
    got = np.asarray(model(y[None, :, None]))[0, :, :, 0]  # (time, chroma)
    expected = librosa.feature.chroma_stft(y=y, sr=SAMPLE_RATE, n_fft=512, hop_length=128, center=False, norm=None,
                                           tuning=0.0).T
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, rtol=1e-5)

    # and a NumPy power spectrogram straight into the layer, float32
    power = np.abs(librosa.stft(y, n_fft=512, hop_length=128, center=False)) ** 2  # (freq, time)
    layer = kl.ApplyFilterbank("chroma", {"sample_rate": SAMPLE_RATE, "n_freq": 257}, data_format="channels_first")
    got = np.asarray(layer(power.T[None, None].astype(np.float32)))[0, 0]
    expected = librosa.feature.chroma_stft(S=power, sr=SAMPLE_RATE, norm=None, tuning=0).T
    np.testing.assert_allclose(got, expected, rtol=1e-5)


def test_chroma_equals_chroma_stft_at_the_tuning_librosa_is_given_or_estimates():
    """The documented condition: librosa.feature.chroma_stft estimates the tuning unless given one, so the
    layer (tuning=0 by default) equals it with tuning=0.0, and equals its default once given librosa's estimate."""
    y = speech_like(0.5, SAMPLE_RATE, seed=7).astype(np.float64)
    power = np.abs(librosa.stft(y, n_fft=512, hop_length=128, center=False)) ** 2  # (freq, time)

    def chroma(**kwargs):
        layer = kl.ApplyFilterbank("chroma", {"sample_rate": SAMPLE_RATE, "n_freq": 257, **kwargs},
                                   data_format="channels_first")
        return np.asarray(layer(power.T[None, None]))[0, 0].T  # (chroma, time), float64

    estimated = librosa.feature.chroma_stft(S=power, sr=SAMPLE_RATE, norm=None)  # librosa's default: estimated
    tuning = librosa.estimate_tuning(S=power, sr=SAMPLE_RATE, bins_per_octave=12)
    assert tuning != 0.0
    np.testing.assert_allclose(chroma(tuning=tuning), estimated, rtol=1e-5)  # librosa: a float32 filterbank
    np.testing.assert_allclose(chroma(), librosa.feature.chroma_stft(S=power, sr=SAMPLE_RATE, norm=None, tuning=0.0),
                               rtol=1e-5)
    assert np.abs(chroma() - estimated).max() > 1e-3 * estimated.max()  # without the condition they differ


@pytest.mark.parametrize("base_c, a_index", [(True, 9), (False, 0)])
def test_chroma_of_a440_peaks_at_a(base_c, a_index):
    sr, n_fft = 16000, 2048
    t = np.arange(sr) / sr
    power = np.abs(librosa.stft(np.sin(2 * np.pi * 440.0 * t), n_fft=n_fft, hop_length=512, center=False)) ** 2
    layer = kl.ApplyFilterbank("chroma", {"sample_rate": sr, "n_freq": n_fft // 2 + 1, "base_c": base_c},
                               data_format="channels_last")
    chroma = np.asarray(layer(power.T[None, :, :, None].astype(np.float32)))[0, :, :, 0]
    assert np.all(chroma.argmax(axis=1) == a_index)


# ---------------------------------------------------------------- gammatone


def _erb_centres(f_min, f_max, n):
    """Glasberg & Moore (1990): ERB-rate = 21.4 log10(1 + 0.00437 f), centres evenly spaced on it."""
    rate = np.linspace(21.4 * np.log10(1 + 0.00437 * f_min), 21.4 * np.log10(1 + 0.00437 * f_max), n)
    return (10 ** (rate / 21.4) - 1) / 0.00437


def _scipy_gammatone(sr, n_fft, centres, norm):
    """|H| of scipy's IIR gammatone at the bins, by scipy.signal.freqz on its numerator and on its pole section.

    scipy's ``a`` is a pole-pair section to the 4th power (checked here); freqz on the expanded ``a`` loses all
    precision at low fc / sr (see test_freqz_on_the_expanded_design_fails_at_low_centres), freqz on the section
    does not.
    """
    bin_freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
    columns = []
    for fc in centres:
        b, a = scipy.signal.gammatone(fc, "iir", fs=sr)
        section = np.array([1.0, a[1] / 4, a[8] ** 0.25])
        np.testing.assert_allclose(np.polynomial.polynomial.polypow(section, 4), a, rtol=0, atol=1e-12 * abs(a).max())
        response = (np.abs(scipy.signal.freqz(b, [1.0], worN=bin_freqs, fs=sr)[1])
                    * np.abs(scipy.signal.freqz([1.0], section, worN=bin_freqs, fs=sr)[1]) ** 4)
        if norm == "peak":
            response = response / response.max()
        elif norm is not None:
            response = response / np.linalg.norm(response, ord=norm)
        columns.append(response)
    return np.stack(columns, axis=1)


def _default_f_max(sr):
    """The top centre one ERB (24.7 (0.00437 f + 1) Hz) below Nyquist."""
    f_max = (sr / 2 - 24.7) / (1 + 24.7 * 0.00437)
    assert np.isclose(f_max + 24.7 * (0.00437 * f_max + 1), sr / 2)
    return f_max


@pytest.mark.parametrize(
    "sr, n_fft, kwargs",
    [
        (16000, 512, {}),
        (16000, 1024, {"n_filters": 40, "f_min": 100.0, "f_max": 6000.0, "norm": None}),
        (22050, 2048, {"n_filters": 128, "f_min": 30.0, "norm": 1}),
        (44100, 4096, {"n_filters": 64, "f_min": 20.0, "norm": None}),
        (8000, 255, {"n_filters": 1, "f_min": 1000.0, "f_max": 3000.0, "norm": 2}),  # odd n_fft; one filter at f_min
    ],
)
def test_gammatone_matrix_is_scipys_response_at_erb_centres(sr, n_fft, kwargs):
    got = filters.gammatone_filterbank(sr, n_fft // 2 + 1, n_fft=n_fft, **kwargs)
    f_max = kwargs.get("f_max") or _default_f_max(sr)
    centres = _erb_centres(kwargs.get("f_min", 50.0), f_max, kwargs.get("n_filters", 64))
    expected = _scipy_gammatone(sr, n_fft, centres, kwargs.get("norm", "peak"))
    assert got.dtype == np.float64 and got.shape == expected.shape
    # freqz on scipy's numerator cancels: to ~1e-6 for fc < 0.01 sr (20 Hz at 44.1 kHz), ~1e-10 above (x 10 margin)
    for column, reference, fc in zip(got.T, expected.T, centres):
        np.testing.assert_allclose(column, reference, rtol=1e-9 if fc >= 0.01 * sr else 2e-6, atol=1e-15)


def test_gammatone_equals_freqz_on_the_expanded_design_where_that_is_accurate():
    """abs(freqz(*gammatone(fc, 'iir'))) on the expanded design, for centres >= sr / 16 where it is accurate."""
    for sr, n_fft in [(16000, 512), (44100, 2048)]:
        got = filters.gammatone_filterbank(sr, n_fft // 2 + 1, n_filters=16, f_min=sr / 16, norm=None)
        bin_freqs = np.arange(n_fft // 2 + 1) * sr / n_fft
        for column, fc in zip(got.T, _erb_centres(sr / 16, _default_f_max(sr), 16)):
            b, a = scipy.signal.gammatone(fc, "iir", fs=sr)
            np.testing.assert_allclose(column, np.abs(scipy.signal.freqz(b, a, worN=bin_freqs, fs=sr)[1]), rtol=1e-8)


def test_freqz_on_the_expanded_design_fails_at_low_centres():
    """Why the filterbank evaluates the pole pair: freqz on scipy's expanded (b, a) is far off at 50 Hz."""
    for sr, n_fft in [(16000, 1280), (44100, 3528)]:  # bin 4 is 50 Hz
        b, a = scipy.signal.gammatone(50.0, "iir", fs=sr)
        with np.errstate(divide="ignore", invalid="ignore"):
            at_fc = np.abs(scipy.signal.freqz(b, a, worN=[50.0], fs=sr)[1][0])
        ours = filters.gammatone_filterbank(sr, n_fft // 2 + 1, n_filters=1, f_min=50.0, f_max=1000.0, norm=None)[4, 0]
        assert not abs(at_fc - 1.0) < 0.01 and abs(ours - 1.0) < 1e-9


@pytest.mark.parametrize("sr, fc", [(16000, 50.0), (44100, 50.0), (44100, 100.0), (48000, 20.0), (8000, 1000.0)])
def test_gammatone_unit_gain_at_a_centre_on_a_bin(sr, fc):
    """scipy normalises its IIR gammatone to gain 1 at fc analytically: a bin at fc reads 1 (freqz on b, a does
    not: 1.047 at 50 Hz / 16 kHz, 0.0009 at 50 Hz / 44.1 kHz)."""
    n_fft = int(round(sr / fc)) * 4  # bin 4 is fc
    got = filters.gammatone_filterbank(sr, n_fft // 2 + 1, n_filters=1, f_min=fc, f_max=sr / 4, norm=None)
    assert abs(got[4, 0] - 1.0) < 1e-9 and got.max() <= 1.0 + 1e-9
    assert np.all(np.isfinite(got)) and got.argmax() == 4


def test_gammatone_peaks_at_the_bin_nearest_the_centre():
    sr, n_fft = 16000, 1024
    spacing = sr / n_fft
    got = filters.gammatone_filterbank(sr, n_fft // 2 + 1, n_filters=64, f_min=50.0, norm=None)
    centres = _erb_centres(50.0, _default_f_max(sr), 64)
    assert np.all(np.diff(centres) > 0)
    peaks = got.argmax(axis=0)
    assert np.all(np.diff(peaks) >= 0)
    low = centres < 0.8 * sr / 2  # near Nyquist the digital design's peak slides below fc, by < 0.2 %
    np.testing.assert_array_equal(peaks[low], np.round(centres[low] / spacing).astype(int))
    assert np.all(np.abs(peaks * spacing - centres) <= spacing / 2 + 0.002 * centres)
    # norm=None keeps scipy's unit gain at fc: the peaks over the bins are at most 1.0005
    assert np.all(got.max(axis=0) <= 1.0006) and np.all(got.max(axis=0) > 0.9)
    peak = filters.gammatone_filterbank(sr, n_fft // 2 + 1, n_filters=64, f_min=50.0)
    np.testing.assert_allclose(peak.max(axis=0), 1.0, rtol=0, atol=1e-15)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_gammatone_layer_both_data_formats(magnitudes, data_format):
    kwargs = {"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_filters": 48, "f_min": 80.0}
    layer = kl.ApplyFilterbank("gammatone", kwargs, data_format=data_format)
    got = from_layout(np.asarray(layer(to_layout(magnitudes, data_format))), data_format)
    centres = _erb_centres(80.0, _default_f_max(SAMPLE_RATE), 48)
    expected = magnitudes.astype(np.float64) @ _scipy_gammatone(SAMPLE_RATE, 512, centres, "peak")
    assert got.shape == expected.shape == (3, 2, magnitudes.shape[2], 48)
    np.testing.assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


# ---------------------------------------------------------------- export


@pytest.mark.parametrize("fb_type, kwargs", [
    ("chroma", {"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_chroma": 24, "base_c": False}),
    ("gammatone", {"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_filters": 32, "norm": None}),
])
def test_saved_model_export(tmp_path, magnitudes, fb_type, kwargs):
    x = to_layout(magnitudes, "channels_last")
    model = keras.Sequential([keras.Input(x.shape[1:]), kl.ApplyFilterbank(fb_type, kwargs,
                                                                          data_format="channels_last")])
    expected = np.asarray(model(x))
    model.export(tmp_path / "saved", verbose=False)
    restored = tf.saved_model.load(str(tmp_path / "saved"))
    np.testing.assert_array_equal(np.asarray(restored.serve(x)), expected)


# ---------------------------------------------------------------- bad arguments

SR = {"sample_rate": 16000, "n_freq": 257}


@pytest.mark.parametrize("kwargs, error, parts", [
    ({"f_min": 4000.0, "f_max": 3000.0}, ValueError, ["gammatone_filterbank", "`f_min` < `f_max`", "f_min=4000.0",
                                                       "f_max=3000.0"]),
    ({"f_min": 3000.0, "f_max": 3000.0}, ValueError, ["`f_min` < `f_max`", "f_min=3000.0", "f_max=3000.0"]),
    ({"f_min": 0.0}, ValueError, ["`f_min`", "> 0", "got 0.0"]),
    ({"f_min": -20.0}, ValueError, ["`f_min`", "> 0", "got -20.0"]),
    ({"f_max": 8000.0}, FilterbankRangeError, ["`f_max` = 8000.0 Hz", "Nyquist", "8000 Hz", "sample_rate=16000"]),
    ({"f_max": 9000.0}, FilterbankRangeError, ["`f_max` = 9000.0 Hz", "Nyquist", "8000 Hz"]),
    ({"f_min": 8500.0}, FilterbankRangeError, ["`f_min` = 8500.0 Hz", "Nyquist", "8000 Hz"]),
    ({"f_max": float("inf")}, ValueError, ["`f_max`", "finite", "inf"]),
    ({"n_filters": 0}, ValueError, ["`n_filters`", ">= 1", "got 0"]),
    ({"n_filters": 4.0}, TypeError, ["`n_filters`", "integer", "float"]),
    ({"sample_rate": 16000.0}, TypeError, ["`sample_rate`", "integer", "16000.0", "float"]),
    ({"norm": "slaney"}, ValueError, ["`norm`", "'slaney'", "None", "'peak'", "number > 0"]),
    ({"norm": 0}, ValueError, ["`norm`", "got 0"]),
    ({"order": 2}, ValueError, ["`order`", "must be 4", "got 2"]),
    ({"f_min": "50"}, TypeError, ["`f_min`", "number", "'50'", "str"]),
])
def test_gammatone_bad_arguments(kwargs, error, parts):
    for build in (lambda: filters.gammatone_filterbank(**{**SR, **kwargs}),
                  lambda: kl.ApplyFilterbank("gammatone", {**SR, **kwargs})):
        with pytest.raises(error) as info:
            build()
        assert_says(info, *parts)


@pytest.mark.parametrize("kwargs, error, parts", [
    ({"n_chroma": 0}, ValueError, ["chroma_filterbank", "`n_chroma`", ">= 1", "got 0"]),
    ({"sample_rate": 22050.5}, TypeError, ["`sample_rate`", "integer", "22050.5"]),
    ({"norm": "peak"}, ValueError, ["`norm`", "'peak'", "None", "number > 0"]),
    ({"norm": -1}, ValueError, ["`norm`", "got -1"]),
    ({"octwidth": 0}, ValueError, ["`octwidth`", "> 0", "got 0"]),
    ({"tuning": None}, TypeError, ["`tuning`", "number", "None"]),
    ({"base_c": "yes"}, TypeError, ["`base_c`", "True or False", "'yes'"]),
    ({"n_fft": 600}, ValueError, ["`n_fft`", "n_fft=600", "n_freq=257"]),
])
def test_chroma_bad_arguments(kwargs, error, parts):
    for build in (lambda: filters.chroma_filterbank(**{**SR, **kwargs}),
                  lambda: kl.ApplyFilterbank("chroma", {**SR, **kwargs})):
        with pytest.raises(error) as info:
            build()
        assert_says(info, *parts)


def test_unknown_type_lists_every_filterbank():
    with pytest.raises(ValueError) as info:
        kl.ApplyFilterbank("erb", SR)
    assert_says(info, "ApplyFilterbank", "`type`", "'erb'", "'mel'", "'log'", "'chroma'", "'gammatone'")
    with pytest.raises(TypeError) as info:
        kl.ApplyFilterbank("gammatone", {**SR, "n_mels": 40})
    assert_says(info, "filterbank_kwargs", "'gammatone'", "n_mels")


# ---------------------------------------------------------------- the table of filterbanks

#: For each entry of filters.FILTERBANKS: keyword arguments to build it with, and librosa's centre frequencies
#: of its bins for those arguments (None where librosa has none).
TABLE_CASES = {
    "mel": ({"n_mels": 40, "f_min": 50.0, "f_max": 7000.0, "htk": True},
            lambda: librosa.mel_frequencies(42, fmin=50.0, fmax=7000.0, htk=True)[1:-1]),
    "log": ({"n_bins": 60, "f_min": 55.0, "bins_per_octave": 12},
            lambda: librosa.cqt_frequencies(60, fmin=55.0, bins_per_octave=12)),
    "chroma": ({"n_chroma": 12},
               lambda: librosa.midi_to_hz(np.arange(72, 84))),  # C5 ... B5, the octave of ctroct=5
    "gammatone": ({"n_filters": 32, "f_min": 100.0}, None),
}


def test_every_entry_of_the_table_has_a_case():
    assert set(TABLE_CASES) == set(filters.FILTERBANKS)


@pytest.mark.parametrize("name", sorted(filters.FILTERBANKS))
def test_every_filterbank_of_the_table(name):
    """Each entry builds through ApplyFilterbank, has its default bin count, and its bin frequencies rise and
    are librosa's; the filter whose response peaks highest lies at the bin frequency (mel, log, gammatone)."""
    entry = filters.FILTERBANKS[name]
    kwargs, librosa_frequencies = TABLE_CASES[name]
    sample_rate, n_fft = 16000, 1024
    layer = kl.ApplyFilterbank(name, {"sample_rate": sample_rate, "n_freq": n_fft // 2 + 1, **kwargs},
                               data_format="channels_last")
    count = kwargs[entry.count_argument]
    assert tuple(layer.filterbank.shape) == (n_fft // 2 + 1, count)
    default = entry.builder(sample_rate, n_fft // 2 + 1)
    assert default.shape[1] == entry.default_count

    hz = filters.bin_frequencies(name, sample_rate, n_fft, **kwargs)
    assert hz.shape == (count,) and np.all(np.diff(hz) > 0) and 0 < hz[0] and hz[-1] < sample_rate / 2
    if librosa_frequencies is not None:
        np.testing.assert_allclose(hz, librosa_frequencies(), rtol=1e-9)
    if name != "chroma":  # a chroma bin gathers every octave of its pitch class
        peaks = np.argmax(np.asarray(layer.filterbank), axis=0) * sample_rate / n_fft
        np.testing.assert_allclose(peaks, hz, atol=sample_rate / n_fft)


def test_gammatone_bin_frequencies_are_its_filters_centres():
    hz = filters.bin_frequencies("gammatone", 16000, 512, n_filters=8)
    expected = filters.erb_rate_to_hz(np.linspace(filters.hz_to_erb_rate(50.0),
                                                  filters.hz_to_erb_rate((8000 - 24.7) / (1 + 24.7 * 0.00437)), 8))
    np.testing.assert_allclose(hz, expected, rtol=1e-12)


def test_bin_frequencies_refuses_an_unknown_type_or_argument():
    with pytest.raises(ValueError) as info:
        filters.bin_frequencies("bark", 16000, 512)
    assert_says(info, "bin_frequencies", "`type`", "'bark'", "'mel'", "'log'", "'chroma'", "'gammatone'")
    with pytest.raises(TypeError) as info:
        filters.bin_frequencies("mel", 16000, 512, n_bins=3)
    assert_says(info, "'mel'", "n_bins", "n_mels")
    with pytest.raises(ValueError) as info:
        kl.ApplyFilterbank("bark", {"sample_rate": 16000, "n_freq": 257})
    assert_says(info, "ApplyFilterbank", "`type`", "'bark'", "'gammatone'")
