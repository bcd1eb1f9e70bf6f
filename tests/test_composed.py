"""Composed sub-models (seed 003) against librosa, NumPy and Keras's own save/export."""

import warnings

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

import kapre_like
from kapre_like.composed import (
    get_frequency_aware_conv2d,
    get_log_frequency_spectrogram_layer,
    get_melspectrogram_layer,
    get_perfectly_reconstructing_stft_istft,
    get_stft_mag_phase,
    get_stft_magnitude_layer,
)

from conftest import SAMPLE_RATE, assert_says, from_layout, resolved_format, to_layout

FORMATS = ["channels_first", "channels_last", "default"]


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("input_format", FORMATS)
@pytest.mark.parametrize("hop_length", [None, 256])
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_melspectrogram_matches_librosa(waveforms, input_format, output_format, hop_length, graph):
    signal = waveforms[:2, :2]  # (batch, 2 channels, time)
    layer = get_melspectrogram_layer(
        n_fft=512, hop_length=hop_length, sample_rate=SAMPLE_RATE, n_mels=64,
        input_data_format=input_format, output_data_format=output_format,
    )
    run = tf.function(layer) if graph else layer  # traced and eager alike
    got = from_layout(np.asarray(run(to_layout(signal, resolved_format(input_format)))), resolved_format(output_format))
    expected = librosa.feature.melspectrogram(
        y=signal, sr=SAMPLE_RATE, n_fft=512, hop_length=hop_length, power=1.0, center=False, n_mels=64
    )  # (b, ch, mels, t)
    expected = np.swapaxes(expected, -1, -2)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-4, rtol=1e-5)


@pytest.mark.parametrize("db_amin", [1e-5, 1e-3])
@pytest.mark.parametrize("db_dynamic_range", [80.0, 120.0])
@pytest.mark.parametrize("graph", [False, True], ids=["eager", "graph"])
def test_melspectrogram_decibel_matches_librosa(waveforms, db_amin, db_dynamic_range, graph):
    signal = waveforms[:3, :1]
    layer = get_melspectrogram_layer(
        n_fft=512, sample_rate=SAMPLE_RATE, return_decibel=True, db_amin=db_amin,
        db_dynamic_range=db_dynamic_range, input_data_format="channels_first", output_data_format="channels_first",
    )
    got = np.asarray((tf.function(layer) if graph else layer)(signal))[:, 0]  # (b, t, mels)
    mel = librosa.feature.melspectrogram(y=signal[:, 0], sr=SAMPLE_RATE, n_fft=512, hop_length=128, power=1.0,
                                         center=False)
    for item in range(len(signal)):  # Kapre: power_to_db of the magnitude mel, floor per item
        expected = librosa.power_to_db(mel[item], ref=1.0, amin=db_amin, top_db=db_dynamic_range).T
        np.testing.assert_allclose(got[item], expected, rtol=3e-3, atol=1e-4)


@pytest.mark.parametrize("return_decibel", [False, True])
@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("input_format", FORMATS)
def test_log_frequency_builds_and_runs(waveforms, input_format, output_format, return_decibel):
    signal = waveforms[:2, :2]
    layer = get_log_frequency_spectrogram_layer(
        n_fft=1024, hop_length=256, sample_rate=SAMPLE_RATE, log_n_bins=72, return_decibel=return_decibel,
        input_data_format=input_format, output_data_format=output_format,
    )
    got = from_layout(np.asarray(layer(to_layout(signal, resolved_format(input_format)))), resolved_format(output_format))
    magnitudes = np.abs(librosa.stft(signal, n_fft=1024, hop_length=256, center=False))  # (b, ch, f, t)
    kapre = pytest.importorskip("kapre") if return_decibel is False else None
    assert got.shape == (2, 2, magnitudes.shape[-1], 72)
    assert np.all(np.isfinite(got))
    if kapre is not None:  # Kapre's filterbank as the reference for the numbers
        basis = np.asarray(kapre.backend.filterbank_log(SAMPLE_RATE, 513, n_bins=72))
        np.testing.assert_allclose(got, np.swapaxes(magnitudes, -1, -2) @ basis, rtol=1e-4, atol=1e-5)


def test_log_frequency_too_many_bins_names_the_limit():
    # 96 semitones above C1 reach 8372 Hz, above 16000 // 2
    with pytest.raises(RuntimeError) as info:
        get_log_frequency_spectrogram_layer(sample_rate=16000, log_n_bins=96)
    assert_says(info, "8372.0 Hz", "Nyquist", "sample_rate // 2 = 8000 Hz", "n_bins=96")
    assert isinstance(info.value, ValueError)


def test_log_frequency_bins_that_miss_every_stft_bin_are_named():
    """At 44.1 kHz with n_fft 1024 (43 Hz apart) the lowest semitone filters fall between the STFT's bins."""
    from kapre_like import filters

    with pytest.warns(UserWarning) as record:
        basis = filters.log_filterbank(44100, 513)
    empty = np.flatnonzero(basis.sum(axis=0) < 0.5)
    assert list(empty) == [0, 10, 11, 12]  # the silent rows the warning is about, read from the matrix
    message = str(record[0].message)
    for part in ("4 of 84 bins have no weight", "10 (58.3 Hz)", "11 (61.7 Hz)", "43.1 Hz apart",
                 "larger n_fft"):
        assert part in message, message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        filters.log_filterbank(16000, 513)  # 15.6 Hz apart: every bin gets weight


@pytest.mark.parametrize("return_decibel", [False, True])
@pytest.mark.parametrize("output_format", ["channels_first", "channels_last"])
def test_stft_mag_phase(waveforms, output_format, return_decibel):
    signal = np.swapaxes(waveforms[:2, :3, :2048], 1, 2)  # (b, 2048, 3), channels_last
    model = get_stft_mag_phase(
        input_shape=(2048, 3), n_fft=512, return_decibel=return_decibel,
        input_data_format="channels_last", output_data_format=output_format,
    )
    got = from_layout(np.asarray(model(signal)), output_format)  # (b, 6, t, f)
    assert got.shape[1] == 6  # 3 magnitude channels then 3 phase channels
    spectra = np.swapaxes(librosa.stft(waveforms[:2, :3, :2048], n_fft=512, center=False), -1, -2)
    magnitude, phasor = librosa.magphase(spectra)
    if return_decibel:
        for item in range(2):
            np.testing.assert_allclose(got[item, :3], librosa.power_to_db(magnitude[item], amin=1e-5, top_db=80.0),
                                       rtol=3e-3, atol=1e-3)
    else:
        np.testing.assert_allclose(got[:, :3], magnitude, atol=2e-4)
    # phase as cos and sin, where the magnitude makes it meaningful
    meaningful = magnitude > 1e-3
    np.testing.assert_allclose(np.cos(got[:, 3:])[meaningful], np.real(phasor)[meaningful], atol=1e-3)
    np.testing.assert_allclose(np.sin(got[:, 3:])[meaningful], np.imag(phasor)[meaningful], atol=1e-3)


def test_stft_mag_phase_seed_example_layout():
    model = get_stft_mag_phase(input_shape=(2048, 3), return_decibel=True, n_fft=1024,
                               input_data_format="channels_last", output_data_format="channels_last")
    assert isinstance(model, keras.Model) and model.output_shape == (None, 5, 513, 6)


@pytest.mark.parametrize("stft_format", FORMATS)
@pytest.mark.parametrize("waveform_format", FORMATS)
@pytest.mark.parametrize("hop_divisor", [2, 4, 8])
def test_perfect_reconstruction(waveforms, image_data_format, waveform_format, stft_format, hop_divisor):
    n_fft = 1024
    hop_length = n_fft // hop_divisor
    signal = waveforms[:2, :2]  # (b, ch, time)
    length = signal.shape[-1]
    wave_layout = resolved_format(waveform_format)
    stft, istft = get_perfectly_reconstructing_stft_istft(
        stft_input_shape=to_layout(signal, wave_layout).shape[1:], n_fft=n_fft, hop_length=hop_length,
        waveform_data_format=waveform_format, stft_data_format=stft_format,
    )
    model = keras.Sequential([stft, istft])
    reconstructed = from_layout(np.asarray(model(to_layout(signal, wave_layout))), wave_layout)
    trim = n_fft - hop_length  # win_length - hop_length, win_length = n_fft
    np.testing.assert_allclose(reconstructed[..., trim : trim + length], signal, atol=1e-5)

    # ISTFT -> STFT gives back a librosa STFT once the frames touching the padding are trimmed
    spectra = np.swapaxes(librosa.stft(signal, n_fft=n_fft, hop_length=hop_length, center=False), -1, -2)
    spec_layout = resolved_format(stft_format)
    again = from_layout(np.asarray(stft(istft(to_layout(spectra.astype(np.complex64), spec_layout)))), spec_layout)
    edge = hop_divisor - 1  # frames that overlap the first/last win_length - hop_length samples
    expected = spectra[:, :, edge : spectra.shape[2] - edge]
    got = again[:, :, 2 * edge : 2 * edge + expected.shape[2]]
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_perfect_reconstruction_with_shorter_window(waveforms):
    signal = np.swapaxes(waveforms[:1, :1], 1, 2)  # channels_last
    stft, istft = get_perfectly_reconstructing_stft_istft(
        n_fft=1024, win_length=600, hop_length=150, waveform_data_format="channels_last",
        stft_data_format="channels_last",
    )
    reconstructed = np.asarray(istft(stft(signal)))
    trim = 600 - 150
    np.testing.assert_allclose(reconstructed[:, trim : trim + signal.shape[1]], signal, atol=1e-5)


def test_perfect_reconstruction_refuses_non_invertible_hop():
    with pytest.raises(RuntimeError) as info:
        get_perfectly_reconstructing_stft_istft(n_fft=512, hop_length=512)
    assert_says(info, "hop_length=512", "win_length=512", "cannot be inverted", "win_length // 2")
    assert isinstance(info.value, ValueError)


def test_frequency_aware_conv2d():
    model = get_frequency_aware_conv2d("channels_last", "fa", 8, (3, 3), padding="same")
    assert isinstance(model, keras.Sequential)
    assert [type(layer) for layer in model.layers] == [kapre_like.ConcatenateFrequencyMap, keras.layers.Conv2D]
    x = np.random.default_rng(0).standard_normal((2, 10, 32, 1)).astype(np.float32)
    y = np.asarray(model(x))
    assert y.shape == (2, 10, 32, 8)
    # the convolution sees the frequency map: the same as Conv2D on the concatenated input
    conv = model.layers[1]
    freq_map = np.broadcast_to(np.linspace(0, 1, 32)[None, None, :, None], (2, 10, 32, 1))
    expected = np.asarray(conv(np.concatenate([x, freq_map.astype(np.float32)], axis=-1)))
    np.testing.assert_allclose(y, expected, atol=1e-6)
    with pytest.raises(ValueError) as info:
        get_frequency_aware_conv2d("channels_last", "fa", 8, (3, 3), groups=2)
    assert_says(info, "`groups`", "got 2")


def test_factories_as_first_block_and_inside_functional_models(waveforms):
    x = np.swapaxes(waveforms[:2, :1, :4000], 1, 2)
    kwargs = dict(n_fft=512, sample_rate=SAMPLE_RATE, n_mels=40, return_decibel=True,
                  input_data_format="channels_last", output_data_format="channels_last")
    # with input_shape, as the first block of a Sequential (Kapre's README usage)
    model = keras.Sequential()
    model.add(get_melspectrogram_layer(input_shape=(4000, 1), **kwargs))
    model.add(keras.layers.Conv2D(4, 3))
    assert model.output_shape == (None, 26, 38, 4)
    # without input_shape, after a keras.Input, and inside a functional model
    inputs = keras.Input((None, 1))
    features = get_melspectrogram_layer(**kwargs)(inputs)
    functional = keras.Model(inputs, keras.layers.GlobalAveragePooling2D()(features))
    assert functional(x).shape == (2, 1)
    # the pair as first layers of a Sequential via stft_input_shape
    stft, istft = get_perfectly_reconstructing_stft_istft(stft_input_shape=(4000, 1), n_fft=512,
                                                          waveform_data_format="channels_last",
                                                          stft_data_format="channels_last")
    padded = 4000 + 512 - 128  # pad_begin
    frames = -(-padded // 128)  # pad_end
    assert keras.Sequential([stft, istft]).output_shape == (None, (frames - 1) * 128 + 512, 1)


FACTORIES = {
    "stft_magnitude": lambda: get_stft_magnitude_layer(input_shape=(4000, 2), n_fft=512, return_decibel=True,
                                                       input_data_format="channels_last", output_data_format="channels_last"),
    "melspectrogram": lambda: get_melspectrogram_layer(input_shape=(4000, 2), n_fft=512, sample_rate=SAMPLE_RATE,
                                                       return_decibel=True, input_data_format="channels_last",
                                                       output_data_format="channels_first"),
    "log_frequency": lambda: get_log_frequency_spectrogram_layer(input_shape=(4000, 2), n_fft=1024, sample_rate=SAMPLE_RATE,
                                                                 log_n_bins=60, input_data_format="channels_last",
                                                                 output_data_format="channels_last"),
    "mag_phase": lambda: get_stft_mag_phase(input_shape=(4000, 2), n_fft=512, input_data_format="channels_last",
                                            output_data_format="channels_last"),
    "stft_istft_pair": lambda: keras.Sequential(list(get_perfectly_reconstructing_stft_istft(
        stft_input_shape=(4000, 2), n_fft=512, hop_length=128, waveform_data_format="channels_last",
        stft_data_format="channels_last"))),
    "frequency_aware_conv2d": lambda: keras.Sequential(
        [keras.Input((4000, 2)), get_stft_magnitude_layer(n_fft=512, input_data_format="channels_last",
                                                          output_data_format="channels_last"),
         get_frequency_aware_conv2d("channels_last", "fa", 4, (3, 3))]),
}


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_save_load_and_export(tmp_path, waveforms, name):
    model = FACTORIES[name]()
    x = np.swapaxes(waveforms[:3, :2, :4000], 1, 2)
    expected = np.asarray(model(x))
    traced = model.predict(x, verbose=0)
    # an eager call and a graph may round differently in float32 (op scheduling, oneDNN)
    np.testing.assert_allclose(traced, expected, rtol=1e-4, atol=1e-4 * np.abs(expected).max())

    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    np.testing.assert_array_equal(np.asarray(loaded(x)), expected)

    export_dir = str(tmp_path / "saved_model")
    model.export(export_dir, verbose=False)
    reloaded = tf.saved_model.load(export_dir)
    np.testing.assert_allclose(np.asarray(reloaded.serve(tf.constant(x))), traced, atol=1e-5)
    tfsm = keras.layers.TFSMLayer(export_dir, call_endpoint="serve")
    np.testing.assert_allclose(np.asarray(tfsm(x)), traced, atol=1e-5)


def test_pair_signature_is_seed_003s():
    """Seed 003 (Kapre's composed reference) gives this signature (Kapre 0.4.1's wheel differs), in this
    order, so that positional calls work; the centred frames of issue 18 come after it."""
    import inspect

    parameters = inspect.signature(get_perfectly_reconstructing_stft_istft).parameters
    defaults = [(name, p.default) for name, p in parameters.items()]
    assert defaults[:10] == [
        ("stft_input_shape", None), ("istft_input_shape", None), ("n_fft", 2048), ("win_length", None),
        ("hop_length", None), ("forward_window_name", None), ("waveform_data_format", "default"),
        ("stft_data_format", "default"), ("stft_name", "stft"), ("istft_name", "istft"),
    ]
    assert defaults[10:] == [("center", False), ("pad_mode", "constant")]


def test_the_fused_chain_is_its_own_module_and_fuses_subclasses_that_allow_it(monkeypatch):
    """SpectrogramSequential (kapre_like.sequential, the same class from composed) computes a chain of STFT and
    Magnitude subclasses as one filtered_spectrogram unless a subclass sets fuses = False (the Tflite layers),
    and the numbers are those of the layers run one by one."""
    from kapre_like import functional, sequential

    assert kapre_like.composed.SpectrogramSequential is sequential.SpectrogramSequential
    assert kapre_like.composed.AudioSequential is sequential.AudioSequential
    fused_calls = []
    filtered_spectrogram = functional.filtered_spectrogram

    def counted(*args, **kwargs):
        fused_calls.append(1)
        return filtered_spectrogram(*args, **kwargs)

    monkeypatch.setattr(functional, "filtered_spectrogram", counted)

    class HammingSTFT(kapre_like.STFT):
        """A subclass that keeps STFT's call."""

    formats = dict(input_data_format="channels_last", output_data_format="channels_last")
    x = np.random.default_rng(1).uniform(-1, 1, (2, 2048, 1)).astype("float32")
    stft = HammingSTFT(n_fft=512, hop_length=128, window_name="hamming_window", **formats)
    chain = sequential.SpectrogramSequential([keras.Input((2048, 1)), stft, kapre_like.Magnitude()])
    got = np.asarray(chain(x))
    assert len(fused_calls) == 1
    np.testing.assert_allclose(got, np.asarray(kapre_like.Magnitude()(stft(x))), rtol=1e-5, atol=1e-6)

    tflite = sequential.SpectrogramSequential([keras.Input((2048, 1)), kapre_like.STFTTflite(n_fft=512, **formats),
                                               kapre_like.MagnitudeTflite()])
    tflite(x)
    assert len(fused_calls) == 1  # the TFLite route runs layer by layer
