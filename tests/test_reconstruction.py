"""Griffin-Lim and the inverse mel scale (issue 19) against librosa and a NumPy reference of the iteration."""

import os
import sysconfig
import warnings

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl
from kapre_like import functional
from kapre_like.functional.reconstruction import MIN_COVERAGE
from kapre_like.synthetic import demo_signal, speech_like

from conftest import assert_says

CL = dict(input_data_format="channels_last", output_data_format="channels_last")
PLUCK = os.path.join(sysconfig.get_paths()["stdlib"], "test", "audiodata", "pluck-pcm32.wav")


def numpy_istft(spectrogram, n_fft, hop, center):
    """librosa.istft, or without centring the documented GriffinLim synthesis: the overlap-added squared
    window divides, but by at least MIN_COVERAGE (1/10) of its peak."""
    if center:
        return librosa.istft(spectrogram, hop_length=hop, n_fft=n_fft, center=True)
    window = np.hanning(n_fft + 1)[:-1]
    frames = np.fft.irfft(spectrogram.T, n_fft) * window
    length = (len(frames) - 1) * hop + n_fft
    signal, weights = np.zeros(length), np.zeros(length)
    for index, frame in enumerate(frames):
        signal[index * hop:index * hop + n_fft] += frame
        weights[index * hop:index * hop + n_fft] += window**2
    return signal / np.maximum(weights, MIN_COVERAGE * weights.max())


def numpy_griffin_lim(magnitudes, angles, n_iter, n_fft, hop, momentum, center):
    """librosa.griffinlim's loop written out (librosa's stft): the rebuilt STFT after each step and the result."""
    previous, history = None, []
    for _ in range(n_iter):
        inverse = numpy_istft(magnitudes * angles, n_fft, hop, center)
        rebuilt = librosa.stft(inverse, n_fft=n_fft, hop_length=hop, center=center, pad_mode="constant")
        angles = rebuilt if previous is None else rebuilt - (momentum / (1 + momentum)) * previous
        angles = angles / (np.abs(angles) + np.finfo(np.float64).tiny)
        previous = rebuilt
        history.append(rebuilt)
    return history, numpy_istft(magnitudes * angles, n_fft, hop, center)


@pytest.fixture(scope="module")
def speech():
    return speech_like(1.0, 16000, seed=3).astype(np.float64)


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("momentum", [0.0, 0.99])
def test_each_iteration_equals_the_numpy_reference(speech, center, momentum):
    n_fft, hop = 512, 128
    magnitudes = np.abs(librosa.stft(speech, n_fft=n_fft, hop_length=hop, center=center))
    angles = np.exp(2j * np.pi * np.random.default_rng(0).random(magnitudes.shape))  # the same initial phases
    expected, _ = numpy_griffin_lim(magnitudes, angles, 5, n_fft, hop, momentum, center)
    target = tf.constant(magnitudes.T.astype(np.complex128))
    current, previous = tf.constant(angles.T), None
    for step in range(5):
        current, previous = functional.griffin_lim_step(target, current, previous, n_fft, n_fft, hop,
                                                        momentum=momentum, center=center)
        scale = np.abs(expected[step]).max()
        np.testing.assert_allclose(previous.numpy().T / scale, expected[step] / scale, atol=1e-4,
                                   err_msg=f"iteration {step + 1}")


@pytest.mark.parametrize("strategy", ["plain", "conv"])
@pytest.mark.parametrize("center", [True, False])
def test_layer_equals_librosa_griffinlim_from_zero_phase(speech, center, strategy):
    n_fft, hop = 512, 128
    magnitudes = np.abs(librosa.stft(speech, n_fft=n_fft, hop_length=hop, center=center)).astype(np.float32)
    if center:  # librosa's own function
        expected = librosa.griffinlim(magnitudes.astype(np.float64), n_iter=8, hop_length=hop, n_fft=n_fft,
                                      center=True, init=None, momentum=0.99)
    else:  # librosa's loop with the bounded synthesis
        _, expected = numpy_griffin_lim(magnitudes.astype(np.float64), np.ones(magnitudes.shape), 8, n_fft, hop,
                                        0.99, center)
    layer = kl.GriffinLim(n_fft=n_fft, hop_length=hop, n_iter=8, init="zeros", center=center, strategy=strategy, **CL)
    got = layer(magnitudes.T[np.newaxis, :, :, np.newaxis]).numpy()[0, :, 0]
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4 * np.abs(expected).max())


def _convergence_curve(signal, n_iter, momentum, n_fft=512, hop=128):
    magnitudes = np.abs(librosa.stft(signal.astype(np.float64), n_fft=n_fft, hop_length=hop, center=True)).T
    target = tf.constant(magnitudes.astype(np.complex128))
    angles = functional.random_phases(target.shape, tf.complex128, seed=1)
    curve, previous = [], None
    for _ in range(n_iter):
        angles, previous = functional.griffin_lim_step(target, angles, previous, n_fft, n_fft, hop, momentum=momentum,
                                                       center=True)
        curve.append(float(functional.spectral_convergence(magnitudes, tf.abs(previous))))
    return np.array(curve)


@pytest.mark.parametrize("source", ["built-in signal", "pluck recording"])
def test_spectral_convergence_decreases(source):
    if source == "pluck recording":
        soundfile = pytest.importorskip("soundfile")
        if not os.path.exists(PLUCK):
            pytest.skip("CPython's test audio (a recorded pluck) is not installed")
        signal = soundfile.read(PLUCK)[0].mean(axis=1)
    else:
        signal = demo_signal(1.0, 16000)
    plain = _convergence_curve(signal, 24, momentum=0.0)
    assert np.all(np.diff(plain) <= 1e-9), plain  # Griffin and Lim: never increases
    fast = _convergence_curve(signal, 24, momentum=0.99)
    assert fast[-1] < plain[-1] < plain[0]  # the fast iteration gets further in as many steps
    assert np.all(np.diff(fast[::4]) < 0), fast  # and keeps going down (it may wobble within a few steps)


@pytest.fixture(scope="module")
def magnitude_batch(speech):
    x = np.stack([speech, speech[::-1] * 0.5]).astype(np.float32)[..., np.newaxis]
    stft = kl.STFT(n_fft=512, hop_length=128, **CL)
    return kl.Magnitude()(stft(x)).numpy()


def test_unknown_batch_and_time_save_load_export_and_tflite(magnitude_batch, tmp_path):
    layer = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=4, init="zeros", **CL)
    model = keras.Sequential([keras.Input((None, 257, 1)), layer])
    expected = model.predict(magnitude_batch, verbose=0)
    assert expected.shape == (2, (magnitude_batch.shape[1] - 1) * 128 + 512, 1)
    graph = tf.function(model, input_signature=[tf.TensorSpec((None, None, 257, 1))])
    np.testing.assert_allclose(graph(magnitude_batch[:1, :20]).numpy(),
                               model(magnitude_batch[:1, :20]).numpy(), atol=1e-5)
    model.save(tmp_path / "gl.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "gl.keras").predict(magnitude_batch, verbose=0),
                               expected, atol=1e-6)
    model.export(tmp_path / "saved", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "saved")).serve(tf.constant(magnitude_batch))
    np.testing.assert_allclose(served.numpy(), expected, atol=1e-5)
    fixed = keras.Sequential([keras.Input(magnitude_batch.shape[1:]),
                              kl.GriffinLim(n_fft=512, hop_length=128, n_iter=4, init="zeros", strategy="conv", **CL)])
    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=converter.convert())
    for batch in (1, 2):  # any batch
        interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], [batch, *magnitude_batch.shape[1:]])
        interpreter.allocate_tensors()
        interpreter.set_tensor(interpreter.get_input_details()[0]["index"], magnitude_batch[:batch])
        interpreter.invoke()
        got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
        np.testing.assert_allclose(got, expected[:batch], atol=1e-4 * np.abs(expected).max())


def test_random_start_converts_to_tflite_and_repeats_with_a_seed(magnitude_batch):
    model = keras.Sequential([keras.Input(magnitude_batch.shape[1:]),
                              kl.GriffinLim(n_fft=512, hop_length=128, n_iter=2, seed=5, strategy="conv", **CL)])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    assert len(converter.convert()) > 0  # RANDOM_UNIFORM is a built-in op
    a = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=2, seed=5, **CL)(magnitude_batch).numpy()
    b = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=2, init="zeros", **CL)(magnitude_batch).numpy()
    assert np.all(np.isfinite(a)) and not np.allclose(a, b)


def test_power_spectrogram_and_channels_first(magnitude_batch):
    reference = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=3, init="zeros", **CL)(magnitude_batch).numpy()
    powered = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=3, init="zeros", power=2.0, **CL)(magnitude_batch**2)
    np.testing.assert_allclose(powered.numpy(), reference, atol=1e-4 * np.abs(reference).max())
    first = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=3, init="zeros", input_data_format="channels_first",
                          output_data_format="channels_first")(np.moveaxis(magnitude_batch, -1, 1))
    np.testing.assert_allclose(np.moveaxis(first.numpy(), 1, -1), reference, atol=1e-6)


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(n_iter=0), ValueError, ["`n_iter`", "0"]),
    (dict(momentum=-0.1), ValueError, ["`momentum`", ">= 0", "-0.1"]),
    (dict(init="noise"), ValueError, ["`init`", "'noise'", "random"]),
    (dict(power=0), ValueError, ["`power`"]),
    (dict(pad_mode="edge"), ValueError, ["`pad_mode`", "'edge'"]),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        kl.GriffinLim(n_fft=512, **kwargs)
    assert_says(info, *words)


def test_momentum_above_one_warns():
    with pytest.warns(UserWarning, match="momentum=1.5 >= 1"):
        kl.GriffinLim(n_fft=512, momentum=1.5)


def test_bad_inputs(magnitude_batch):
    layer = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=1, **CL)
    with pytest.raises(TypeError) as info:
        layer(tf.complex(magnitude_batch, magnitude_batch))
    assert_says(info, "GriffinLim takes magnitudes", "complex64", "Magnitude()(stft)")
    for bad, got in [(-1.0, "(got negative values)"), (np.nan, "(got NaN)"), (np.inf, "(got Inf)")]:
        magnitudes = magnitude_batch.copy()
        magnitudes[1, 3, 7, 0] = bad
        with pytest.raises(tf.errors.InvalidArgumentError) as info:
            layer(magnitudes)
        assert_says(info, "GriffinLim: the magnitudes must be >= 0 and finite", got)
    with pytest.raises(ValueError) as info:
        kl.GriffinLim(n_fft=1024, hop_length=128, **CL)(magnitude_batch)
    assert_says(info, "513")  # the bins it expects for n_fft 1024; the input has 257


def test_inverse_mel_scale_against_librosa(speech):
    n_fft, hop = 512, 128
    magnitudes = np.abs(librosa.stft(speech, n_fft=n_fft, hop_length=hop, center=False))
    basis = librosa.filters.mel(sr=16000, n_fft=n_fft, n_mels=40)
    mel = basis @ magnitudes  # (40, frames)
    reference = librosa.feature.inverse.mel_to_stft(mel, sr=16000, n_fft=n_fft, power=1.0)
    layer = kl.InverseMelScale(sample_rate=16000, n_fft=n_fft, n_mels=40, data_format="channels_last")
    ours = layer(mel.T[np.newaxis, :, :, np.newaxis].astype(np.float32)).numpy()[0, :, :, 0].T
    assert ours.min() >= 0
    residual = np.linalg.norm(basis @ ours - mel)
    assert residual <= np.linalg.norm(basis @ reference - mel)  # the least-squares objective: at least as low
    # under-determined (257 unknowns per 40 values): same objective, different solutions; close to librosa's
    assert np.linalg.norm(ours - reference) / np.linalg.norm(reference) < 0.15
    decibels = 10 * np.log10(np.maximum(mel, 1e-10))
    from_db = kl.InverseMelScale(sample_rate=16000, n_fft=n_fft, n_mels=40, decibel=True,
                                 data_format="channels_last")(decibels.T[np.newaxis, :, :, np.newaxis])
    np.testing.assert_allclose(from_db.numpy()[0, :, :, 0].T, ours, atol=1e-3 * ours.max())


def test_mel_to_audio_sounds_like_the_mel(speech, tmp_path):
    n_fft, hop = 512, 128
    x = speech.astype(np.float32)[np.newaxis, :, np.newaxis]
    mel = kl.composed.get_melspectrogram_layer(n_fft=n_fft, hop_length=hop, sample_rate=16000, n_mels=64,
                                               return_decibel=True, **CL)(x).numpy()
    model = kl.composed.get_mel_to_audio(input_shape=mel.shape[1:], n_fft=n_fft, hop_length=hop, sample_rate=16000,
                                         n_mels=64, decibel=True, n_iter=32, seed=0, **CL)
    audio = model(mel).numpy()
    assert audio.shape == (1, (mel.shape[1] - 1) * hop + n_fft, 1)
    again = kl.composed.get_melspectrogram_layer(n_fft=n_fft, hop_length=hop, sample_rate=16000, n_mels=64,
                                                 return_decibel=True, **CL)(audio).numpy()
    loud = mel > mel.max() - 40  # where the speech is
    assert np.median(np.abs(again - mel)[loud]) < 3.0  # dB
    model.save(tmp_path / "m.keras")
    assert keras.models.load_model(tmp_path / "m.keras").output_shape == model.output_shape


def test_mel_to_audio_converts_to_tflite_with_builtin_ops(speech):
    n_fft, hop = 512, 128
    x = speech[:8000].astype(np.float32)[np.newaxis, :, np.newaxis]
    mel = kl.composed.get_melspectrogram_layer(n_fft=n_fft, hop_length=hop, sample_rate=16000, n_mels=40,
                                               return_decibel=True, center=True, **CL)(x).numpy()
    model = kl.composed.get_mel_to_audio(input_shape=mel.shape[1:], n_fft=n_fft, hop_length=hop, sample_rate=16000,
                                         n_mels=40, decibel=True, center=True, n_iter=3, init="zeros", nnls_iter=20,
                                         strategy="conv", **CL)
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=converter.convert())
    runner = interpreter.get_signature_runner()
    (name,) = runner.get_input_details()
    (got,) = runner(**{name: mel}).values()
    expected = model(mel).numpy()
    # InverseMelScale alone is exact in TFLite (6e-7) and GriffinLim on STFT magnitudes within 1e-4; chained, the
    # near-zero magnitudes the inverse mel gives make the phase updates sensitive to rounding: 1.8e-3 measured
    np.testing.assert_allclose(got, expected, atol=5e-3 * np.abs(expected).max())
