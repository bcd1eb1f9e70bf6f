"""PCEN (issue 24, first part) against librosa.pcen."""

import warnings

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl
from kapre_like.synthetic import speech_like

from conftest import assert_says


@pytest.fixture(scope="module")
def mel():
    """(n_mels, frames) float32 mel magnitudes of speech-like audio, scaled as librosa's PCEN example does."""
    audio = speech_like(3.0, 22050, seed=2)
    return (librosa.feature.melspectrogram(y=audio, sr=22050, power=1, n_mels=64) * 2**31).astype(np.float32)


@pytest.mark.parametrize("params", [dict(), dict(gain=0.8, bias=10.0, power=0.25, time_constant=0.06),
                                    dict(gain=0.5, bias=1.0, power=1.0, time_constant=1.0, eps=1e-3)])
@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_equals_librosa_pcen(mel, params, data_format):
    expected = librosa.pcen(mel, sr=22050, hop_length=512, **params)
    batch = mel.T[np.newaxis, :, :, np.newaxis] if data_format == "channels_last" else mel.T[np.newaxis, np.newaxis]
    got = kl.PCEN(sample_rate=22050, hop_length=512, data_format=data_format, **params)(batch).numpy()
    got = got[0, :, :, 0].T if data_format == "channels_last" else got[0, 0].T
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


def test_trainable_starts_as_the_fixed_layer_and_learns(mel, tmp_path):
    x = mel.T[np.newaxis, :200, :, np.newaxis]
    fixed = kl.PCEN(data_format="channels_last")(x).numpy()
    layer = kl.PCEN(trainable=True, data_format="channels_last")
    model = keras.Sequential([keras.Input((None, 64, 1)), layer])
    assert len(layer.trainable_weights) == 4 and all(w.shape == (64,) for w in layer.trainable_weights)
    np.testing.assert_allclose(model(x).numpy(), fixed, rtol=1e-5, atol=1e-6)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x) ** 2)
    gradients = tape.gradient(loss, layer.trainable_weights)
    assert all(g is not None and np.all(np.isfinite(g.numpy())) and np.any(g.numpy() != 0) for g in gradients)
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss="mse")
    history = model.fit(x, np.zeros_like(fixed), epochs=5, verbose=0).history["loss"]
    assert history[-1] < history[0]
    model.save(tmp_path / "pcen.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "pcen.keras")(x).numpy(), model(x).numpy(),
                               rtol=1e-6)


def test_unknown_time_savedmodel_and_tflite(mel, tmp_path):
    x = mel.T[np.newaxis, :120, :, np.newaxis]
    model = keras.Sequential([keras.Input((None, 64, 1)), kl.PCEN(data_format="channels_last")])
    expected = model(x).numpy()
    model.export(tmp_path / "saved", verbose=False)
    np.testing.assert_allclose(tf.saved_model.load(str(tmp_path / "saved")).serve(tf.constant(x)).numpy(), expected,
                               rtol=1e-5)  # the exported graph rounds its log/exp a little differently: 4e-6
    fixed = keras.Sequential([keras.Input(x.shape[1:]), kl.PCEN(data_format="channels_last")])
    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=converter.convert())  # the smoother's scan is a WHILE
    runner = interpreter.get_signature_runner()
    (name,) = runner.get_input_details()
    (got,) = runner(**{name: x}).values()
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * np.abs(expected).max())


@pytest.mark.parametrize("kwargs, words", [
    (dict(gain=-0.5), ["`gain`", "-0.5"]),
    (dict(bias=0), ["`bias`"]),
    (dict(power=-1), ["`power`"]),
    (dict(time_constant=0), ["`time_constant`"]),
    (dict(eps=-1e-6), ["`eps`"]),
])
def test_negative_parameters_are_refused(kwargs, words):
    with pytest.raises(ValueError) as info:
        kl.PCEN(**kwargs)
    assert_says(info, *words)


@pytest.mark.parametrize("coefficient", [0.003, 0.056, 0.9])
def test_smoother_equals_scipy_lfilter_known_and_unknown_lengths(coefficient):
    from scipy.signal import lfilter

    energies = np.random.default_rng(0).gamma(0.5, 10.0, (2, 5000, 3))
    expected = lfilter([coefficient], [1, coefficient - 1], energies, axis=1, zi=np.full((1, 1, 1), 1 - coefficient))[0]
    known = kl.functional.smooth(tf.constant(energies), coefficient).numpy()
    unknown = tf.function(lambda e: kl.functional.smooth(e, coefficient),
                          input_signature=[tf.TensorSpec((None, None, 3), tf.float64)])(energies).numpy()
    np.testing.assert_allclose(known, expected, rtol=1e-9)
    np.testing.assert_allclose(unknown, expected, rtol=1e-9)


@pytest.mark.parametrize("bad, got", [(-1.0, "(got negative values)"), (np.nan, "(got NaN)"), (np.inf, "(got Inf)")])
def test_negative_nan_or_inf_input_is_named(mel, bad, got):
    # librosa.pcen returns NaN for a negative energy; the layer says which bad value it got instead
    energies = mel.T[np.newaxis, :, :, np.newaxis].copy()
    energies[0, 5, 3, 0] = bad
    layer = kl.PCEN(sample_rate=22050, hop_length=512, data_format="channels_last")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        layer(energies)
    assert_says(info, "PCEN: the input energies must be >= 0 and finite", got)
    graph = tf.function(layer, input_signature=[tf.TensorSpec((None, None, 64, 1))])
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        graph(energies)
    assert_says(info, got)
