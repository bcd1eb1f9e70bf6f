"""Centred frames (librosa's and torch's ``center=True``), the power spectrogram and librosa's MFCC."""

import warnings

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings, strategies as st

import kapre_like as kl
from kapre_like.synthetic import speech_like

from conftest import SAMPLE_RATE, assert_says, from_layout, to_layout
from test_tflite import convert_builtins_only, make_interpreter, op_names, run_tflite

FORMATS = ["channels_first", "channels_last"]


def _librosa_stft(signal, n_fft, win_length, hop_length, pad_mode):
    window = tf.signal.hann_window(win_length, dtype=tf.float64).numpy()  # librosa's 'hann' but for odd lengths
    spectra = librosa.stft(signal, n_fft=n_fft, hop_length=hop_length, win_length=win_length, center=True,
                           pad_mode=pad_mode, window=window)
    return np.swapaxes(spectra, -1, -2)  # (..., frames, freq)


@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
@pytest.mark.parametrize("n_fft, win_length, hop_length", [(512, 512, 128), (512, 400, 160), (1024, 600, 256),
                                                           (511, 511, 100)])
@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("n_ch", [1, 3])
def test_centred_stft_matches_librosa(waveforms, pad_mode, n_fft, win_length, hop_length, data_format, n_ch):
    signal = waveforms[:2, :n_ch]  # (batch, ch, time)
    layer = kl.STFT(n_fft=n_fft, win_length=win_length, hop_length=hop_length, center=True, pad_mode=pad_mode,
                    input_data_format=data_format, output_data_format=data_format)
    expected = _librosa_stft(signal, n_fft, win_length, hop_length, pad_mode)
    for run in (layer, tf.function(layer)):
        got = from_layout(np.asarray(run(to_layout(signal, data_format))), data_format)
        # 1 + time // hop frames for an even n_fft; an odd one pads n_fft // 2 at each end all the same
        n_frames = 1 + (signal.shape[-1] + 2 * (n_fft // 2) - n_fft) // hop_length
        assert got.shape == expected.shape == (2, n_ch, n_frames, n_fft // 2 + 1)
        assert got.dtype == np.complex64
        # within 1e-5 of the largest bin (float32 FFTs of unit-scale audio)
        np.testing.assert_allclose(got, expected, rtol=0, atol=1e-5 * np.abs(expected).max())
    assert layer.compute_output_shape(to_layout(signal, data_format).shape) == to_layout(expected, data_format).shape


@pytest.mark.parametrize("strategy", ["plain", "chunked", kl.functional.Strategy("chunked", 3), "conv"])
def test_centred_frames_on_every_route(waveforms, strategy):
    signal = waveforms[:2, :2, :4000].astype(np.float64)
    mel = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=512, n_mels=40)
    expected = librosa.feature.melspectrogram(y=signal, sr=SAMPLE_RATE, n_fft=512, win_length=400, hop_length=160,
                                              n_mels=40, center=True, pad_mode="reflect", power=2.0)
    got = kl.functional.filtered_spectrogram(tf.constant(signal), 512, 400, 160, filterbank=mel.T, power=2.0,
                                             center=True, pad_mode="reflect", strategy=strategy)
    np.testing.assert_allclose(np.swapaxes(np.asarray(got), -1, -2), expected, rtol=1e-7,
                               atol=1e-9 * expected.max())
    stfts = kl.functional.stft(tf.constant(signal), 512, 400, 160, center=True, pad_mode="reflect", strategy=strategy)
    np.testing.assert_allclose(np.asarray(stfts), _librosa_stft(signal, 512, 400, 160, "reflect"), atol=1e-9)


@pytest.mark.parametrize("length", [None, 4000, 3990, 4100])
@pytest.mark.parametrize("n_fft, win_length, hop_length", [(512, 512, 128), (512, 400, 100), (1024, 1024, 512)])
def test_centred_inverse_matches_librosa_istft(waveforms, length, n_fft, win_length, hop_length):
    signal = waveforms[:2, :2, :4000]
    spectra = _librosa_stft(signal, n_fft, win_length, hop_length, "constant").astype(np.complex64)
    layer = kl.InverseSTFT(n_fft=n_fft, win_length=win_length, hop_length=hop_length, center=True, length=length,
                           input_data_format="channels_first", output_data_format="channels_first")
    expected = librosa.istft(np.swapaxes(spectra, -1, -2), n_fft=n_fft, hop_length=hop_length, win_length=win_length,
                             center=True, length=length)
    for run in (layer, tf.function(layer)):
        got = np.asarray(run(spectra))
        assert got.shape == expected.shape == layer.compute_output_shape(spectra.shape)
        np.testing.assert_allclose(got, expected, atol=2e-6)
    if length == 4000:
        np.testing.assert_allclose(np.asarray(layer(spectra)), signal, atol=2e-6)  # the signal, every sample


@pytest.mark.parametrize("time", [(2000, 2000), (2001, 1920), (None, 1920)], ids=["known", "not whole hops", "unknown"])
@pytest.mark.parametrize("data_format", FORMATS)
def test_centred_pair_gives_the_signal_back(waveforms, time, data_format):
    declared, returned = time  # length in the model's input shape, samples given back for 2001 (or 2000) samples
    n_samples = 2001 if declared in (2001, None) else 2000
    signal = waveforms[:2, :2, :n_samples]
    shape = (2, declared) if data_format == "channels_first" else (declared, 2)
    stft, istft = kl.get_perfectly_reconstructing_stft_istft(
        stft_input_shape=shape, n_fft=512, hop_length=128, center=True, waveform_data_format=data_format,
        stft_data_format=data_format)
    model = keras.Sequential([stft, istft])
    got = from_layout(np.asarray(model(to_layout(signal, data_format))), data_format)
    assert got.shape[-1] == (returned if declared is None else declared)
    np.testing.assert_allclose(got, signal[..., :got.shape[-1]], atol=2e-6)


@pytest.mark.parametrize("power", [1.0, 2.0])
@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_centred_mel_and_log_factories(waveforms, power, pad_mode):
    signal = waveforms[:2, :2]
    mel = kl.get_melspectrogram_layer(n_fft=512, hop_length=128, sample_rate=SAMPLE_RATE, n_mels=64, center=True,
                                      pad_mode=pad_mode, power=power, input_data_format="channels_first",
                                      output_data_format="channels_first")
    expected = librosa.feature.melspectrogram(y=signal, sr=SAMPLE_RATE, n_fft=512, hop_length=128, n_mels=64,
                                              center=True, pad_mode=pad_mode, power=power)
    got = np.swapaxes(np.asarray(mel(signal)), -1, -2)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-5 * expected.max())
    log = kl.get_log_frequency_spectrogram_layer(n_fft=512, hop_length=128, sample_rate=SAMPLE_RATE, center=True,
                                                 pad_mode=pad_mode, power=power, log_n_bins=48,
                                                 input_data_format="channels_first",
                                                 output_data_format="channels_first")
    magnitudes = np.abs(_librosa_stft(signal, 512, 512, 128, pad_mode)) ** power
    expected_log = magnitudes @ kl.backend.filterbank_log(SAMPLE_RATE, 257, 48, 12, None, 0.125).numpy()
    np.testing.assert_allclose(np.asarray(log(signal)), expected_log, rtol=1e-4, atol=1e-5 * expected_log.max())


def test_centred_magnitude_and_mag_phase_factories(waveforms):
    signal = waveforms[:1, :2]
    expected = _librosa_stft(signal, 512, 512, 128, "reflect")
    mag = kl.get_stft_magnitude_layer(n_fft=512, hop_length=128, center=True, pad_mode="reflect",
                                      input_data_format="channels_first", output_data_format="channels_first")
    np.testing.assert_allclose(np.asarray(mag(signal)), np.abs(expected), atol=1e-5 * np.abs(expected).max())
    mag_phase = kl.get_stft_mag_phase(input_shape=(2, signal.shape[-1]), n_fft=512, hop_length=128, center=True,
                                      input_data_format="channels_first", output_data_format="channels_first")
    assert mag_phase.output_shape == (None, 4, 1 + signal.shape[-1] // 128, 257)


def _mfcc_reference(x, **kwargs):
    return np.stack([librosa.feature.mfcc(y=row, **kwargs).T for row in x])  # one item at a time (librosa's floor)


@pytest.mark.parametrize("kwargs", [
    dict(),
    dict(n_mfcc=13, n_fft=1024, hop_length=256, n_mels=64, pad_mode="reflect"),
    dict(n_mfcc=40, n_fft=512, hop_length=160, n_mels=40, center=False),
    dict(n_mfcc=13, n_fft=511, hop_length=128, n_mels=40),  # odd n_fft: bins sample_rate / 511 apart
])
def test_mfcc_layer_matches_librosa(kwargs):
    rate = 22050
    x = np.stack([speech_like(1.5, rate, seed=seed) for seed in (4, 5)]).astype(np.float32)
    x[1] *= 0.01  # a quiet item: far below 0 dB
    layer = kl.get_mfcc_layer(input_shape=(x.shape[1], 1), sample_rate=rate, input_data_format="channels_last",
                              output_data_format="channels_last", **kwargs)
    reference_kwargs = dict(kwargs)
    if kwargs.get("n_fft", 2048) % 2:  # TensorFlow's (and Kapre's) Hann window, symmetric at odd lengths
        reference_kwargs["window"] = tf.signal.hann_window(kwargs["n_fft"], dtype=tf.float64).numpy()
    expected = _mfcc_reference(x, sr=rate, **reference_kwargs)
    for run in (layer, tf.function(layer)):
        got = np.asarray(run(x[..., None]))[..., 0]
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=1e-3)


def test_ortho_mfcc_layer_matches_librosa_on_a_log_mel():
    log_mel = librosa.power_to_db(np.random.default_rng(7).uniform(1e-6, 1.0, size=(2, 40, 64)))  # (b, time, mel)
    got = np.asarray(kl.LogmelToMFCC(13, data_format="channels_last", norm="ortho")(log_mel[..., None].astype(
        np.float32)))[..., 0]
    expected = np.swapaxes(librosa.feature.mfcc(S=np.swapaxes(log_mel, -1, -2), n_mfcc=13, norm="ortho"), -1, -2)
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_power_of_the_magnitude_layers():
    z = np.array([[3 + 4j, 0j]], np.complex64)
    np.testing.assert_allclose(np.asarray(kl.Magnitude(power=2.0)(z)), [[25.0, 0.0]])
    np.testing.assert_allclose(np.asarray(kl.Magnitude(power=0.5)(z)), [[5.0**0.5, 0.0]], rtol=1e-6)
    pairs = np.array([[3.0, 4.0], [0.0, 0.0]], np.float32)
    np.testing.assert_allclose(np.asarray(kl.MagnitudeTflite(power=2.0)(pairs)), [25.0, 0.0])


def test_centred_models_save_load_and_export(tmp_path, waveforms):
    x = to_layout(waveforms[:2, :1, :4000], "channels_last")
    mfcc = kl.get_mfcc_layer(input_shape=(4000, 1), n_mfcc=13, n_fft=512, hop_length=128, n_mels=40,
                             sample_rate=SAMPLE_RATE, input_data_format="channels_last",
                             output_data_format="channels_last")
    stft, istft = kl.get_perfectly_reconstructing_stft_istft(stft_input_shape=(4000, 1), n_fft=512, center=True,
                                                             pad_mode="reflect", waveform_data_format="channels_last",
                                                             stft_data_format="channels_last")
    for model in (mfcc, keras.Sequential([stft, istft])):
        expected = np.asarray(model(x))
        model.save(tmp_path / "model.keras")
        loaded = keras.models.load_model(tmp_path / "model.keras")
        np.testing.assert_allclose(np.asarray(loaded(x)), expected, atol=1e-5)
        model.export(tmp_path / "saved", verbose=False)
        restored = tf.saved_model.load(str(tmp_path / "saved"))
        np.testing.assert_allclose(np.asarray(restored.serve(x)), expected, atol=1e-5)
    assert loaded.layers[0].center and loaded.layers[1].length == 4000


@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_centred_front_ends_convert_to_tflite_with_builtins(waveforms, pad_mode):
    x = to_layout(waveforms[:2, :2, :4000], "channels_last")
    mel = kl.get_melspectrogram_layer(input_shape=(4000, 2), n_fft=512, hop_length=128, sample_rate=SAMPLE_RATE,
                                      n_mels=40, return_decibel=True, center=True, pad_mode=pad_mode, power=2.0,
                                      input_data_format="channels_last", output_data_format="channels_last")
    interpreter = make_interpreter(convert_builtins_only(mel))
    assert not [name for name in op_names(interpreter) if "FLEX" in name or "CUSTOM" in name]
    (got,) = run_tflite(interpreter, x)
    np.testing.assert_allclose(got, np.asarray(mel(x)), atol=1e-3)
    waveform = keras.Input((None, 2))
    stft = kl.STFTTflite(n_fft=512, hop_length=128, center=True, pad_mode=pad_mode, input_data_format="channels_last",
                         output_data_format="channels_last")
    model = keras.Model(waveform, kl.MagnitudeTflite()(stft(waveform)))
    (got,) = run_tflite(make_interpreter(convert_builtins_only(model)), x)
    expected = np.abs(np.moveaxis(_librosa_stft(np.moveaxis(x, -1, 1), 512, 512, 128, pad_mode), 1, -1))
    np.testing.assert_allclose(got, expected, atol=1e-3)


@settings(max_examples=40, deadline=None)
@given(time=st.integers(1, 3000), hop=st.integers(1, 700), n_fft=st.sampled_from([64, 256, 512, 1024]))
def test_centred_frame_count_is_one_plus_length_over_hop(time, hop, n_fft):
    layer = kl.STFT(n_fft=n_fft, hop_length=hop, center=True, input_data_format="channels_first",
                    output_data_format="channels_first")
    got = layer(np.zeros((1, 1, time), np.float32))
    assert got.shape[2] == 1 + time // hop
    assert tuple(got.shape) == layer.compute_output_shape((1, 1, time))


@settings(max_examples=20, deadline=None)
@given(time=st.integers(1, 3000), hop=st.integers(1, 700), n_fft=st.sampled_from([63, 255, 511]))
def test_centred_frame_count_of_an_odd_n_fft_is_librosas(time, hop, n_fft):
    layer = kl.STFT(n_fft=n_fft, hop_length=hop, center=True, input_data_format="channels_first",
                    output_data_format="channels_first")
    got = layer(np.zeros((1, 1, time), np.float32))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # librosa's note that n_fft exceeds a short signal
        expected = librosa.stft(np.zeros(time), n_fft=n_fft, hop_length=hop, center=True).shape[-1]
    assert got.shape[2] == expected
    assert tuple(got.shape) == layer.compute_output_shape((1, 1, time))


@pytest.mark.parametrize("kwargs, error, words", [
    (dict(center=True, pad_mode="wrap"), ValueError, ["`pad_mode`", "'wrap'", "'constant'", "'reflect'"]),
    (dict(center=True, pad_begin=True), ValueError, ["center=True", "`pad_begin`", "pad_begin=True"]),
    (dict(center=True, pad_end=True), ValueError, ["center=True", "`pad_end`", "pad_end=True"]),
])
def test_bad_centring_arguments(kwargs, error, words):
    with pytest.raises(error) as info:
        kl.STFT(n_fft=512, **kwargs)
    assert_says(info, "STFT", *words)


def test_centre_must_be_a_bool():
    for layer in (kl.STFT, kl.InverseSTFT):
        with pytest.raises(TypeError) as info:
            layer(n_fft=512, center="no")
        assert_says(info, layer.__name__, "`center`", "True or False", "'no'")
    with pytest.raises(ValueError) as info:
        kl.Magnitude(power=float("inf"))
    assert_says(info, "Magnitude", "`power`", "finite", "inf")


def test_inverse_says_which_number_of_bins_it_expects():
    layer = kl.InverseSTFT(n_fft=512, input_data_format="channels_last", output_data_format="channels_last")
    with pytest.raises(ValueError) as info:
        layer(tf.ones((1, 5, 129, 1), tf.complex64))  # the STFT of n_fft 256
    assert_says(info, "257", "(1, 5, 129, 1)")


@pytest.mark.parametrize("length", [0, -5])
def test_inverse_length_must_be_positive(length):
    with pytest.raises(ValueError) as info:
        kl.InverseSTFT(n_fft=512, center=True, length=length)
    assert_says(info, "InverseSTFT", "`length`", ">= 1", repr(length))


def test_reflecting_a_too_short_signal_is_an_error():
    layer = kl.STFT(n_fft=512, center=True, pad_mode="reflect", input_data_format="channels_last",
                    output_data_format="channels_last")
    with pytest.raises(ValueError) as info:
        layer(np.zeros((1, 256, 1), np.float32))
    assert_says(info, "STFT", "256 samples", "n_fft // 2 = 256", "pad_mode='constant'")
    constant = kl.STFT(n_fft=512, center=True, input_data_format="channels_last", output_data_format="channels_last")
    assert constant(np.zeros((1, 256, 1), np.float32)).shape == (1, 3, 257, 1)  # zeros pad any length
    unknown = tf.function(layer, input_signature=[tf.TensorSpec((1, None, 1))])
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        unknown(tf.zeros((1, 200, 1)))
    assert_says(info, "n_fft // 2 = 256")


@pytest.mark.parametrize("pad_mode", ["constant", "reflect"])
def test_centred_models_compile_with_xla(waveforms, pad_mode):
    x = tf.constant(to_layout(waveforms[:2, :2, :4000], "channels_last"))
    mfcc = kl.get_mfcc_layer(n_mfcc=13, n_fft=512, hop_length=128, n_mels=40, sample_rate=SAMPLE_RATE,
                             pad_mode=pad_mode, input_data_format="channels_last", output_data_format="channels_last")
    stft, istft = kl.get_perfectly_reconstructing_stft_istft(stft_input_shape=(4000, 2), n_fft=512, center=True,
                                                             pad_mode=pad_mode, waveform_data_format="channels_last",
                                                             stft_data_format="channels_last")
    for model in (mfcc, keras.Sequential([stft, istft])):
        expected = np.asarray(tf.function(model)(x))
        got = np.asarray(tf.function(model, jit_compile=True)(x))
        np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-4 * max(np.abs(expected).max(), 1.0))
