"""Resample (issue 24) against scipy.signal.resample_poly and soxr."""

import keras
import numpy as np
import pytest
import scipy.signal
import soxr
import tensorflow as tf

import kapre_like as kl
from kapre_like.synthetic import speech_like

from conftest import assert_says
from test_tflite import convert_builtins_only, make_interpreter, op_names, run_tflite

RATES = [(44100, 16000), (16000, 44100), (48000, 16000), (22050, 16000), (16000, 8000), (8000, 22050)]


def stereo(seconds, rate, seed=0):
    """(2, time, 2) float64 speech-like waveforms."""
    return np.stack([np.stack([speech_like(seconds, rate, seed=seed + 2 * i + c) for c in range(2)], axis=-1)
                     for i in range(2)]).astype(np.float64)


def reference(x, orig_sr, target_sr, **kwargs):
    divisor = np.gcd(orig_sr, target_sr)
    return scipy.signal.resample_poly(x, target_sr // divisor, orig_sr // divisor, axis=1, **kwargs)


@pytest.mark.parametrize("orig_sr, target_sr", RATES)
def test_equals_scipy_resample_poly(orig_sr, target_sr):
    x = stereo(0.5, orig_sr)
    expected = reference(x, orig_sr, target_sr)
    layer = kl.Resample(orig_sr, target_sr, data_format="channels_last")
    np.testing.assert_allclose(layer(tf.constant(x)).numpy(), expected, atol=1e-12)  # float64 in, float64 out
    got = layer(x.astype(np.float32)).numpy()
    assert got.dtype == np.float32 and got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("window", [("kaiser", 8.0), "hamming"])
def test_other_windows_and_channels_first(window):
    x = stereo(0.3, 22050)
    expected = reference(x, 22050, 16000, window=window)
    layer = kl.Resample(22050, 16000, window=window, data_format="channels_first")
    got = layer(tf.constant(np.transpose(x, (0, 2, 1)))).numpy()
    np.testing.assert_allclose(np.transpose(got, (0, 2, 1)), expected, atol=1e-12)


@pytest.mark.parametrize("length", [1, 2, 3, 440, 441, 442])
def test_short_and_odd_lengths(length):
    x = np.random.default_rng(length).standard_normal((1, length, 1))
    expected = reference(x, 44100, 16000)
    layer = kl.Resample(44100, 16000, data_format="channels_last")
    assert layer.compute_output_shape((None, length, 1)) == (None, expected.shape[1], 1)
    np.testing.assert_allclose(layer(tf.constant(x)).numpy(), expected, atol=1e-12)


def test_same_rate_is_the_identity():
    x = stereo(0.1, 16000).astype(np.float32)
    np.testing.assert_array_equal(kl.Resample(16000, 16000, data_format="channels_last")(x).numpy(), x)


def band_limited(x, rate, f_max):
    spectrum = np.fft.rfft(x)
    spectrum[np.fft.rfftfreq(len(x), 1 / rate) > f_max] = 0
    return np.fft.irfft(spectrum, len(x))


@pytest.mark.parametrize("orig_sr, target_sr", RATES[:4])
def test_within_the_stated_tolerance_of_soxr(orig_sr, target_sr):
    """Below 80 % of the lower Nyquist frequency the two resamplers agree within 2e-3 of the peak (~60 dB);
    above it their filters' transition bands differ."""
    x = speech_like(2.0, orig_sr, seed=4)
    ours = kl.Resample(orig_sr, target_sr, data_format="channels_last")(x[None, :, None]).numpy()[0, :, 0]
    theirs = soxr.resample(x, orig_sr, target_sr, "HQ")
    assert len(ours) == len(theirs)
    f_max = 0.8 * min(orig_sr, target_sr) / 2
    inner = slice(400, len(ours) - 400)  # soxr's start and end differ from zero padding
    ours, theirs = band_limited(ours, target_sr, f_max)[inner], band_limited(theirs, target_sr, f_max)[inner]
    assert np.abs(ours - theirs).max() < 2e-3 * np.abs(theirs).max()
    assert 10 * np.log10(np.sum(theirs ** 2) / np.sum((ours - theirs) ** 2)) > 55


def test_gradient_is_the_transpose_of_scipy_resampler():
    """The layer is linear: the gradient of <w, R x> is R^T w, with R read off scipy column by column."""
    n, orig_sr, target_sr = 60, 3, 2
    matrix = reference(np.eye(n)[None], orig_sr, target_sr)[0]  # (out, n): column j is R e_j
    weights = np.random.default_rng(1).standard_normal(matrix.shape[0])
    x = tf.Variable(np.random.default_rng(2).standard_normal((1, n, 1)))  # float64
    with tf.GradientTape() as tape:
        y = kl.Resample(orig_sr, target_sr, data_format="channels_last")(x)
        loss = tf.reduce_sum(y[0, :, 0] * weights)
    np.testing.assert_allclose(tape.gradient(loss, x).numpy()[0, :, 0], matrix.T @ weights, atol=1e-12)


def test_unknown_batch_and_time_save_load_savedmodel_tflite(tmp_path):
    model = keras.Sequential([keras.Input((None, 1)), kl.Resample(44100, 16000, data_format="channels_last")])
    x = stereo(0.25, 44100)[:, :, :1].astype(np.float32)
    expected = reference(x.astype(np.float64), 44100, 16000)
    np.testing.assert_allclose(model(x).numpy(), expected, atol=1e-5)
    model.save(tmp_path / "resample.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "resample.keras")(x).numpy(), model(x).numpy())
    model.export(tmp_path / "saved", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "saved")).serve(tf.constant(x[:, :5000])).numpy()
    np.testing.assert_allclose(served, reference(x[:, :5000].astype(np.float64), 44100, 16000), atol=1e-5)
    fixed = keras.Sequential([keras.Input((x.shape[1], 1)), kl.Resample(44100, 16000, data_format="channels_last")])
    interpreter = make_interpreter(convert_builtins_only(fixed))
    assert not {op for op in op_names(interpreter) if op.startswith("Flex") or op == "CUSTOM"}
    (got,) = run_tflite(interpreter, x[:1])
    np.testing.assert_allclose(got, expected[:1], atol=1e-5)


def test_encoder_layer_takes_audio_at_a_declared_rate():
    encoder = kl.AudioSpectrogramEncoder(sample_rate=16000)
    x = speech_like(1.0, 44100, seed=5).astype(np.float32)[None]
    direct = encoder.layer()(reference(x[..., None].astype(np.float64), 44100, 16000)[..., 0].astype(np.float32))
    resampling = encoder.layer(input_sample_rate=44100)
    np.testing.assert_allclose(resampling(x).numpy(), direct.numpy(), atol=1e-4 * np.abs(direct.numpy()).max())
    model = keras.Sequential([keras.Input((None,)), resampling])
    assert model(x).shape == direct.shape


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(orig_sr=22050.5, target_sr=16000), ValueError, ["`orig_sr`", "22050.5", "whole number"]),
    (dict(orig_sr=44100, target_sr="16k"), TypeError, ["`target_sr`", "'16k'"]),
    (dict(orig_sr=0, target_sr=16000), ValueError, ["`orig_sr`", "positive"]),
    (dict(orig_sr=44100, target_sr=-8000), ValueError, ["`target_sr`", "-8000"]),
    (dict(orig_sr=44100, target_sr=44099), ValueError, ["44100 -> 44099", "up=44099", "down=44100"]),
    (dict(orig_sr=44100, target_sr=16000, window="no-such-window"), ValueError, ["`window`", "no-such-window"]),
    (dict(orig_sr=44100, target_sr=16000, data_format="NHWC"), ValueError, ["data_format"]),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        kl.Resample(**kwargs)
    assert_says(info, *words)


def test_whole_float_rates_are_accepted():
    assert kl.Resample(44100.0, 16000.0).get_config()["orig_sr"] == 44100


def test_bad_data():
    layer = kl.Resample(44100, 16000, data_format="channels_last")
    with pytest.raises(TypeError) as info:
        layer(np.zeros((1, 441, 1), np.int16))
    assert_says(info, "Resample", "int16", "float")
    with pytest.raises(ValueError) as info:
        layer(np.zeros((441, 1), np.float32))  # soundfile's (time, channels), no batch axis
    assert_says(info, "Resample expects input of shape (batch, time, channels)", "got shape (441, 1)",
                "for (time, channels) add a batch axis, x[None, :, :]")
    x = np.zeros((1, 441, 1), np.float32)
    x[0, 10, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        layer(x)
    assert_says(info, "Resample", "NaN or Inf")
