"""kapre_like.backend against librosa, SciPy and (where installed) Kapre."""

import subprocess
import sys
import warnings

import librosa
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

from kapre_like import backend

from conftest import assert_says


def test_constants():
    assert backend._CH_FIRST_STR == "channels_first"
    assert backend._CH_LAST_STR == "channels_last"
    assert backend._CH_DEFAULT_STR == "default"
    assert backend._get_floatx() == "float32"


@pytest.mark.parametrize(
    "name, reference",
    [
        (None, lambda n: scipy.signal.get_window("hann", n, fftbins=True)),
        ("hann_window", lambda n: scipy.signal.get_window("hann", n, fftbins=True)),
        ("hamming_window", lambda n: scipy.signal.get_window("hamming", n, fftbins=True)),
        ("kaiser_window", lambda n: np.kaiser(n, 12.0)),
        ("kaiser_bessel_derived_window", lambda n: scipy.signal.windows.kaiser_bessel_derived(n, 12.0)),
        ("vorbis_window", lambda n: np.sin(np.pi / 2 * np.sin(np.pi * (np.arange(n) + 0.5) / n) ** 2)),
    ],
)
@pytest.mark.parametrize("length", [64, 512])
def test_get_window_fn_matches_scipy(name, reference, length):
    window = backend.get_window_fn(name)(length)
    np.testing.assert_allclose(np.asarray(window), reference(length), atol=1e-5)


@pytest.mark.parametrize("bad", ["hanning", "hann", "blackman_window", ""])
def test_get_window_fn_unknown_name(bad):
    with pytest.raises(NotImplementedError) as info:
        backend.get_window_fn(bad)
    message = str(info.value)
    assert "window_name" in message and repr(bad) in message and "hamming_window" in message
    assert isinstance(info.value, ValueError)  # catchable either way


def test_validate_data_format_str():
    for ok in ("default", "channels_first", "channels_last"):
        backend.validate_data_format_str(ok)
    with pytest.raises(ValueError) as info:
        backend.validate_data_format_str("channels_middle")
    assert_says(info, "data_format", "'channels_middle'", "channels_first", "channels_last", "default")
    with pytest.raises(TypeError) as info:
        backend.validate_data_format_str(None)
    assert_says(info, "data_format", "must be a string", "None")


def _kapre_filterbank_mel(sample_rate, n_freq, **kwargs):
    """What Kapre 0.4.1's ``backend.filterbank_mel`` returns: librosa's float32 matrix, transposed."""
    kwargs = {{"f_min": "fmin", "f_max": "fmax"}.get(name, name): value for name, value in kwargs.items()}
    return librosa.filters.mel(sr=sample_rate, n_fft=(n_freq - 1) * 2, **kwargs).astype(np.float32).T


@pytest.mark.parametrize("norm", [None, "slaney"])
@pytest.mark.parametrize("htk", [False, True])
@pytest.mark.parametrize("f_max_ratio", [0.5, 1.0])
@pytest.mark.parametrize("f_min", [0.0, 200.0])
@pytest.mark.parametrize("n_mels", [32, 128])
@pytest.mark.parametrize("n_freq", [257, 1025])
@pytest.mark.parametrize("sample_rate", [22050, 44100])
def test_filterbank_mel_is_kapres_to_the_bit(sample_rate, n_freq, n_mels, f_min, f_max_ratio, htk, norm):
    kwargs = dict(n_mels=n_mels, f_min=f_min, f_max=f_max_ratio * sample_rate / 2, htk=htk, norm=norm)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # librosa's empty-band warning (257 bins, 128 mels)
        fb = backend.filterbank_mel(sample_rate, n_freq, **kwargs)
        expected = _kapre_filterbank_mel(sample_rate, n_freq, **kwargs)
    assert fb.shape == (n_freq, n_mels) and fb.dtype == tf.float32
    np.testing.assert_allclose(np.asarray(fb), expected, rtol=1e-7, atol=0)
    assert np.array_equal(np.asarray(fb), expected)


@pytest.mark.parametrize("norm", [1, 2, np.inf])
@pytest.mark.parametrize("sample_rate, n_freq", [(8000, 257), (16000, 513)])
def test_filterbank_mel_p_norms_are_librosas(sample_rate, n_freq, norm):
    fb = backend.filterbank_mel(sample_rate, n_freq, n_mels=40, norm=norm)
    np.testing.assert_array_equal(np.asarray(fb), _kapre_filterbank_mel(sample_rate, n_freq, n_mels=40, norm=norm))


def test_filterbank_mel_equals_kapres_own():
    kapre = pytest.importorskip("kapre")
    for kwargs in ({}, {"n_mels": 40, "f_min": 300.0, "f_max": 3400.0, "htk": True, "norm": None}):
        np.testing.assert_array_equal(np.asarray(backend.filterbank_mel(16000, 513, **kwargs)),
                                      np.asarray(kapre.backend.filterbank_mel(16000, 513, **kwargs)))


def test_filterbank_mel_warns_on_empty_bands_like_librosa():
    with pytest.warns(UserWarning, match="empty"):
        backend.filterbank_mel(16000, 33, n_mels=128)


@pytest.mark.parametrize("kwargs", [{}, {"n_bins": 60, "bins_per_octave": 12, "f_min": 55.0}, {"n_bins": 48, "bins_per_octave": 24, "spread": 0.25}])
def test_filterbank_log_shape_normalisation_and_peaks(kwargs):
    sample_rate, n_freq = 22050, 2049
    fb = np.asarray(backend.filterbank_log(sample_rate, n_freq, **kwargs))
    n_bins = kwargs.get("n_bins", 84)
    assert fb.shape == (n_freq, n_bins)
    np.testing.assert_allclose(fb.sum(axis=0), 1.0, rtol=1e-5)  # unit L1 norm per filter
    assert np.all(fb[0] == 0)  # the DC bin is never used
    # each filter peaks at the STFT bin nearest to its centre frequency (on a log scale)
    f_min = kwargs.get("f_min", 32.70319566)
    centres = f_min * 2.0 ** (np.arange(n_bins) / kwargs.get("bins_per_octave", 12))
    freqs = librosa.fft_frequencies(sr=sample_rate, n_fft=(n_freq - 1) * 2)
    nearest = np.array([1 + np.argmin(np.abs(np.log2(freqs[1:]) - np.log2(c))) for c in centres])
    assert np.all(np.abs(fb.argmax(axis=0) - nearest) <= 1)


def test_filterbank_log_matches_kapre():
    kapre = pytest.importorskip("kapre")
    for kwargs in ({}, {"n_bins": 60, "f_min": 55.0}, {"n_bins": 48, "bins_per_octave": 24, "spread": 0.25}):
        np.testing.assert_allclose(
            np.asarray(backend.filterbank_log(22050, 1025, **kwargs)),
            np.asarray(kapre.backend.filterbank_log(22050, 1025, **kwargs)),
            rtol=1e-7,
            atol=0,
        )


def test_filterbank_log_above_nyquist_says_which_limit():
    # 96 bins from C1 at 12 per octave reach 32.7 * 2**8 = 8372 Hz > 16000 // 2
    with pytest.raises(RuntimeError, match=r"8372\.\d Hz.*Nyquist.*8000") as info:
        backend.filterbank_log(16000, 513, n_bins=96)
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize("dtype, rtol", [(np.float16, 2e-3), (np.float32, 1e-5), (np.float64, 1e-10)])
@pytest.mark.parametrize("amin, dynamic_range, ref_value", [(1e-5, 80.0, 1.0), (1e-3, 120.0, 1.0), (1e-10, 60.0, 3.0)])
def test_magnitude_to_decibel_matches_librosa(waveforms, dtype, rtol, amin, dynamic_range, ref_value):
    spectra = np.abs(librosa.stft(waveforms[:3, 0], n_fft=256, hop_length=64, center=False)).astype(dtype)
    spectra[0, :, :5] = 0.0  # silence, clipped to amin then to the floor
    got = backend.magnitude_to_decibel(tf.constant(spectra), ref_value=ref_value, amin=amin, dynamic_range=dynamic_range)
    assert got.dtype == tf.as_dtype(dtype)
    for item in range(len(spectra)):  # the floor is per batch item
        expected = librosa.power_to_db(spectra[item].astype(np.float64), ref=ref_value, amin=amin, top_db=dynamic_range)
        np.testing.assert_allclose(np.asarray(got[item], np.float64), expected, rtol=rtol, atol=rtol * 10)


def test_magnitude_to_decibel_rejects_non_positive_parameters():
    for name in ("ref_value", "amin", "dynamic_range"):
        with pytest.raises(ValueError, match=rf"`{name}` must be > 0; got -1"):
            backend.magnitude_to_decibel(tf.ones((1, 2)), **{name: -1})


@pytest.mark.parametrize("channels", [256, 16])
def test_mu_law_matches_librosa(channels):
    x = np.linspace(-1.0, 1.0, 2001).astype(np.float32)
    mu = channels - 1
    encoded = np.asarray(backend.mu_law_encoding(tf.constant(x), channels))
    assert encoded.dtype == np.int32 and encoded.min() == 0 and encoded.max() == mu
    companded = librosa.mu_compress(x, mu=mu, quantize=False)
    expected_codes = np.floor((companded + 1.0) / 2.0 * mu + 0.5)
    # codes agree except where float32 rounding sits exactly on a code boundary
    assert np.mean(encoded == expected_codes) > 0.995 and np.max(np.abs(encoded - expected_codes)) <= 1

    decoded = np.asarray(backend.mu_law_decoding(tf.constant(encoded), channels))
    expected = librosa.mu_expand(encoded / mu * 2.0 - 1.0, mu=mu, quantize=False)
    np.testing.assert_allclose(decoded, expected, atol=1e-6)
    # the round trip is within one quantisation step of the mu-law curve
    step = np.abs(np.gradient(librosa.mu_expand(np.linspace(-1, 1, channels), mu=mu, quantize=False)))
    assert np.all(np.abs(decoded - x) <= step.max())


def test_import_is_quiet_and_does_not_import_librosa():
    code = (
        "import sys, warnings\n"
        "with warnings.catch_warnings(record=True) as caught:\n"
        "    warnings.simplefilter('always')\n"
        "    import kapre_like\n"
        "ours = [w for w in caught if 'kapre_like' in str(w.filename)]\n"
        "assert not ours, [str(w.message) for w in ours]\n"
        "assert 'librosa' not in sys.modules, 'librosa imported'\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout == ""
