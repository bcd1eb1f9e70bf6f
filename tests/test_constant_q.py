"""CQT and VQT (issue 24) against librosa.cqt and librosa.vqt."""

import os
import sysconfig

import keras
import librosa
import numpy as np
import pytest
import soundfile
import tensorflow as tf

import kapre_like as kl
from kapre_like.synthetic import speech_like

from conftest import assert_says
from test_tflite import convert_builtins_only, make_interpreter, op_names, run_tflite

# librosa's own note on its lowest octaves of short inputs (the reference side)
pytestmark = pytest.mark.filterwarnings("ignore:n_fft=.* is too large for input signal:UserWarning")

#: A real recording that every CPython has (a plucked string, 11025 Hz, stereo, 0.3 s).
PLUCK = os.path.join(sysconfig.get_paths()["stdlib"], "test", "audiodata", "pluck-pcm32.wav")


@pytest.fixture(scope="module")
def speech():
    return speech_like(2.0, 22050, seed=1).astype(np.float32)


def cqt_of(layer, audio):
    """The layer's output for mono ``audio`` as librosa lays it out: (n_bins, frames)."""
    return layer(audio[None, :, None])[0, :, :, 0].numpy().T


def assert_close_to_peak(got, expected, tolerance):
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() <= tolerance * np.abs(expected).max()


# bins per octave 12/24/36, several f_min, hops that halve down to the lowest octave and one that does not
SETTINGS = [
    dict(bins_per_octave=12, n_bins=84, f_min=32.70319566, hop_length=512),
    dict(bins_per_octave=24, n_bins=120, f_min=55.0, hop_length=256),
    dict(bins_per_octave=36, n_bins=216, f_min=32.7, hop_length=512),
    dict(bins_per_octave=12, n_bins=48, f_min=100.0, hop_length=64),
    dict(bins_per_octave=12, n_bins=50, f_min=60.0, hop_length=100),
]


@pytest.mark.parametrize("settings", SETTINGS, ids=lambda s: f"bpo{s['bins_per_octave']}-hop{s['hop_length']}")
def test_cqt_equals_librosa_cqt(speech, settings):
    expected = np.abs(librosa.cqt(speech, sr=22050, hop_length=settings["hop_length"], fmin=settings["f_min"],
                                  n_bins=settings["n_bins"], bins_per_octave=settings["bins_per_octave"]))
    layer = kl.CQT(sample_rate=22050, input_data_format="channels_last", output_data_format="channels_last",
                   **settings)
    assert_close_to_peak(cqt_of(layer, speech), expected, 1e-5)
    np.testing.assert_allclose(layer.frequencies, librosa.cqt_frequencies(
        settings["n_bins"], fmin=settings["f_min"], bins_per_octave=settings["bins_per_octave"]))


def test_polyphase_resampler_equals_librosa_polyphase(speech):
    expected = np.abs(librosa.cqt(speech, sr=22050, hop_length=256, n_bins=72, fmin=55.0, res_type="polyphase"))
    layer = kl.CQT(sample_rate=22050, hop_length=256, n_bins=72, f_min=55.0, res_type="polyphase",
                   input_data_format="channels_last", output_data_format="channels_last")
    assert_close_to_peak(cqt_of(layer, speech), expected, 1e-5)


@pytest.mark.parametrize("gamma", [None, 5.0, 20.0])
def test_vqt_equals_librosa_vqt(speech, gamma):
    expected = np.abs(librosa.vqt(speech, sr=22050, hop_length=512, n_bins=96, bins_per_octave=24, fmin=40.0,
                                  gamma=gamma))
    layer = kl.VQT(sample_rate=22050, hop_length=512, n_bins=96, bins_per_octave=24, f_min=40.0, gamma=gamma,
                   input_data_format="channels_last", output_data_format="channels_last")
    assert_close_to_peak(cqt_of(layer, speech), expected, 1e-5)


def test_complex_output_and_the_recording_both_layouts():
    audio, rate = soundfile.read(PLUCK, dtype="float32")
    audio = audio.T  # (channels, time)
    expected = librosa.cqt(audio, sr=rate, hop_length=128, fmin=65.4, n_bins=60, bins_per_octave=12)
    kwargs = dict(sample_rate=rate, hop_length=128, f_min=65.4, n_bins=60, return_complex=True)
    last = kl.CQT(input_data_format="channels_last", output_data_format="channels_last", **kwargs)(audio.T[None])
    first = kl.CQT(input_data_format="channels_first", output_data_format="channels_first", **kwargs)(audio[None])
    assert last.dtype == tf.complex64
    got_last = np.transpose(last.numpy()[0], (2, 1, 0))  # (ch, bins, frames)
    got_first = np.transpose(first.numpy()[0], (0, 2, 1))
    for got in (got_last, got_first):
        assert got.shape == expected.shape
        assert np.abs(got - expected).max() <= 1e-5 * np.abs(expected).max()  # phase included
    # the harmonics of the pluck (~262 Hz) are where the energy is
    loudest = np.argmax(np.abs(expected[0]).mean(axis=-1))
    assert abs(kl.CQT(**kwargs).frequencies[loudest] / 262 - round(kl.CQT(**kwargs).frequencies[loudest] / 262)) < 0.06


@pytest.mark.parametrize("length", [1, 1000, 22049, 22050, 22051])
def test_output_shape_matches_for_any_length(length):
    layer = kl.CQT(sample_rate=22050, hop_length=384, n_bins=60, f_min=50.0, input_data_format="channels_last",
                   output_data_format="channels_last")
    audio = np.random.default_rng(length).standard_normal(length).astype(np.float32)
    got = layer(audio[None, :, None])
    assert tuple(got.shape) == layer.compute_output_shape((1, length, 1))
    if length >= 1000:  # librosa refuses inputs shorter than its early downsampling needs
        expected = np.abs(librosa.cqt(audio, sr=22050, hop_length=384, n_bins=60, fmin=50.0))
        assert_close_to_peak(got.numpy()[0, :, :, 0].T, expected, 1e-5)


@pytest.fixture(scope="module")
def small_model():
    layer = kl.CQT(sample_rate=16000, hop_length=256, n_bins=60, f_min=50.0, input_data_format="channels_last",
                   output_data_format="channels_last")
    return keras.Sequential([keras.Input((None, 1)), layer])


def test_unknown_batch_and_time_keras_savedmodel(small_model, tmp_path):
    x = np.stack([speech_like(1.0, 16000, seed=s) for s in (3, 4)])[..., None].astype(np.float32)
    expected = np.stack([np.abs(librosa.cqt(x[i, :, 0], sr=16000, hop_length=256, n_bins=60, fmin=50.0)).T
                         for i in range(2)])[..., None]
    got = small_model(x).numpy()
    assert_close_to_peak(got, expected, 1e-5)
    small_model.save(tmp_path / "cqt.keras")
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "cqt.keras")(x).numpy(), got)
    small_model.export(tmp_path / "saved", verbose=False)
    served = tf.saved_model.load(str(tmp_path / "saved")).serve(tf.constant(x[:, :8000])).numpy()
    assert_close_to_peak(served, small_model(x[:, :8000]).numpy(), 1e-5)


def test_tflite_builtins_only():
    x = speech_like(1.0, 16000, seed=5).astype(np.float32)[None, :, None]
    model = keras.Sequential([keras.Input(x.shape[1:]), kl.CQT(sample_rate=16000, hop_length=256, n_bins=60, f_min=50.0,
                                                                input_data_format="channels_last",
                                                                output_data_format="channels_last")])
    interpreter = make_interpreter(convert_builtins_only(model))
    assert not {op for op in op_names(interpreter) if op.startswith("Flex") or op == "CUSTOM"}
    (got,) = run_tflite(interpreter, x)
    assert_close_to_peak(got, model(x).numpy(), 1e-5)


def test_trainable_kernels_start_at_librosa_learn_and_save(tmp_path, speech):
    x = speech[None, :11025, None]
    layer = kl.CQT(sample_rate=22050, hop_length=512, n_bins=48, f_min=65.4, trainable=True,
                   input_data_format="channels_last", output_data_format="channels_last")
    model = keras.Sequential([keras.Input((None, 1)), layer])
    assert len(layer.trainable_weights) == 4  # one kernel per octave
    expected = np.abs(librosa.cqt(x[0, :, 0], sr=22050, hop_length=512, n_bins=48, fmin=65.4)).T
    assert_close_to_peak(model(x).numpy()[0, :, :, 0], expected, 1e-5)
    with tf.GradientTape() as tape:
        loss = tf.reduce_mean(model(x) ** 2)
    gradients = tape.gradient(loss, layer.trainable_weights)
    assert all(np.all(np.isfinite(g.numpy())) and np.any(g.numpy() != 0) for g in gradients)
    model.compile(optimizer=keras.optimizers.Adam(1e-3), loss="mse")
    target = np.zeros_like(model(x).numpy())
    history = model.fit(x, target, epochs=3, verbose=0).history["loss"]
    assert history[-1] < history[0]
    model.save(tmp_path / "trained.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "trained.keras")(x).numpy(), model(x).numpy(),
                               rtol=1e-6)


def test_config_round_trip_keeps_cqt_and_vqt():
    for layer in (kl.CQT(n_bins=24, f_min=100.0, window=("kaiser", 4.0)), kl.VQT(n_bins=24, f_min=100.0, gamma=3.0)):
        clone = type(layer).from_config(layer.get_config())
        assert clone.get_config() == layer.get_config()
        for a, b in zip(clone.plan.kernels, layer.plan.kernels):
            np.testing.assert_array_equal(a, b)
    assert "gamma" not in kl.CQT().get_config()


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(sample_rate=16000, f_min=8000.0), ValueError, ["`f_min`", "8000", "Nyquist", "8000 Hz"]),
    (dict(sample_rate=16000, f_min=9000.0), ValueError, ["`f_min`", "9000"]),
    (dict(sample_rate=16000, f_min=32.7, n_bins=96), ValueError, ["top bin", "7901", "bin 95", "Nyquist", "8000 Hz"]),
    (dict(sample_rate=22050.5), TypeError, ["`sample_rate`", "22050.5"]),
    (dict(f_min=-30.0), ValueError, ["`f_min`", "-30.0"]),
    (dict(n_bins=0), ValueError, ["`n_bins`", "0"]),
    (dict(bins_per_octave=12.5), TypeError, ["`bins_per_octave`"]),
    (dict(hop_length=0), ValueError, ["`hop_length`"]),
    (dict(filter_scale=0), ValueError, ["`filter_scale`"]),
    (dict(sparsity=1.0), ValueError, ["`sparsity`", "[0, 1)"]),
    (dict(res_type="kaiser_best"), ValueError, ["`res_type`", "kaiser_best", "soxr_hq", "polyphase"]),
    (dict(pad_mode="edge"), ValueError, ["`pad_mode`", "edge"]),
    (dict(return_complex="yes"), TypeError, ["`return_complex`"]),
    (dict(window="no-such-window"), ValueError, ["window", "no-such-window"]),
    (dict(input_data_format="NTC"), ValueError, ["input_data_format"]),
])
def test_bad_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        kl.CQT(**kwargs)
    assert_says(info, *words)


def test_bad_vqt_gamma():
    with pytest.raises(ValueError) as info:
        kl.VQT(gamma=-1.0)
    assert_says(info, "`gamma`", "-1.0", ">= 0")


def test_bad_data(small_model):
    with pytest.raises(TypeError) as info:
        small_model.layers[0](np.zeros((1, 4000, 1), np.int16))
    assert_says(info, "CQT", "int16", "float")
    x = np.zeros((1, 4000, 1), np.float32)
    x[0, 100, 0] = np.inf
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        small_model(x)
    assert_says(info, "CQT", "NaN or Inf")


@pytest.mark.parametrize("make, kwargs", [
    (kl.CQT, dict(sample_rate=16000, f_min=7800.0, n_bins=1)),
    (kl.CQT, dict(sample_rate=16000, f_min=7800.0, n_bins=1, tuning=0.4)),
    (kl.VQT, dict(sample_rate=16000, f_min=7000.0, n_bins=1, gamma=2000.0)),
    (kl.CQT, dict(sample_rate=16000, f_min=7000.0, n_bins=3)),
])
def test_a_top_bin_past_nyquist_gets_advice_that_fits(make, kwargs):
    # with n_bins=1 the message used to say "use fewer bins (n_bins=1)"; each remedy it names now works
    import re

    with pytest.raises(ValueError) as info:
        make(**kwargs)
    message = str(info.value)
    assert_says(info, "Nyquist", f"(got {kwargs['f_min']:g} Hz)", "(got 16000)")
    f_min = float(re.search(r"f_min <= ([\d.]+) Hz", message).group(1))
    rate = int(re.search(r"a sample rate of at least (\d+) Hz", message).group(1))
    bins = re.search(r"at most n_bins=(\d+)", message)
    assert (bins is None) == (kwargs["n_bins"] == 1)  # no "fewer bins" advice for a single bin
    # librosa's own cutoff of the suggested settings, and the layer, agree that they fit
    bins_per_octave, tuning = kwargs.get("bins_per_octave", 12), kwargs.get("tuning", 0.0)
    ratio = 2.0 ** (2.0 / bins_per_octave)
    gamma = kwargs.get("gamma", 0.0)
    frequencies = librosa.cqt_frequencies(kwargs["n_bins"], fmin=f_min * 2.0 ** (tuning / bins_per_octave),
                                          bins_per_octave=bins_per_octave)
    _, cutoff = librosa.filters.wavelet_lengths(freqs=frequencies, sr=16000, gamma=gamma,
                                                alpha=np.full(len(frequencies), (ratio - 1) / (ratio + 1)))
    assert cutoff <= 8000
    make(**{**kwargs, "f_min": f_min})
    make(**{**kwargs, "sample_rate": rate})
    with pytest.raises(ValueError):
        make(**{**kwargs, "sample_rate": rate - 2})  # the advice is the least rate that fits, not any
    if bins:
        make(**{**kwargs, "n_bins": int(bins.group(1))})
