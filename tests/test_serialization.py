"""Every layer survives .keras and .h5 save/load inside a Sequential with identical outputs."""

import keras
import numpy as np
import pytest

import kapre_like as kl

CL = dict(data_format="channels_last")
SPEC_SHAPE = (6, 129, 2)  # (time, freq, ch), channels_last


def _waveform():
    return np.random.default_rng(1).standard_normal((2, 1024, 2)).astype(np.float32)


def _complex_spec():
    rng = np.random.default_rng(2)
    return (rng.standard_normal((2,) + SPEC_SHAPE) + 1j * rng.standard_normal((2,) + SPEC_SHAPE)).astype(np.complex64)


def _spec():
    return np.abs(np.random.default_rng(3).standard_normal((2,) + SPEC_SHAPE)).astype(np.float32)


def _unit_waveform():
    return np.tanh(_waveform())


def _codes():
    return np.random.default_rng(4).integers(0, 64, (2, 1024, 2)).astype(np.int32)


def _pairs():
    return np.random.default_rng(5).standard_normal((2,) + SPEC_SHAPE + (2,)).astype(np.float32)


CASES = {
    "STFT": (lambda: kl.STFT(n_fft=256, hop_length=100, window_name="hamming_window", pad_begin=True, pad_end=True,
                            input_data_format="channels_last", output_data_format="channels_first"), _waveform, "float32"),
    "InverseSTFT": (lambda: kl.InverseSTFT(n_fft=256, hop_length=64, input_data_format="channels_last",
                                           output_data_format="channels_last"), _complex_spec, "complex64"),
    "Magnitude": (kl.Magnitude, _complex_spec, "complex64"),
    "Phase": (kl.Phase, _complex_spec, "complex64"),
    "MagnitudeToDecibel": (lambda: kl.MagnitudeToDecibel(ref_value=2.0, amin=1e-4, dynamic_range=60.0, stype="magnitude"),
                           _spec, "float32"),
    "ApplyFilterbank-mel": (lambda: kl.ApplyFilterbank("mel", {"sample_rate": 16000, "n_freq": 129, "n_mels": 20}, **CL),
                            _spec, "float32"),
    "ApplyFilterbank-log": (lambda: kl.ApplyFilterbank("log", {"sample_rate": 16000, "n_freq": 129, "n_bins": 48,
                                                                "f_min": 60.0}, **CL), _spec, "float32"),
    "ApplyFilterbank-chroma": (lambda: kl.ApplyFilterbank("chroma", {"sample_rate": 16000, "n_freq": 129, "n_chroma": 24,
                                                                      "tuning": 0.1, "base_c": False}, **CL),
                               _spec, "float32"),
    "ApplyFilterbank-gammatone": (lambda: kl.ApplyFilterbank("gammatone", {"sample_rate": 16000, "n_freq": 129,
                                                                            "n_filters": 32, "f_min": 80.0,
                                                                            "norm": None}, **CL), _spec, "float32"),
    "Delta": (lambda: kl.Delta(win_length=7, mode="reflect", **CL), _spec, "float32"),
    "ConcatenateFrequencyMap": (lambda: kl.ConcatenateFrequencyMap(**CL), _spec, "float32"),
    "Phase-approx": (lambda: kl.Phase(approx_atan_accuracy=8), _complex_spec, "complex64"),
    "Frame": (lambda: kl.Frame(256, 100, pad_end=True, pad_value=0.5, **CL), _waveform, "float32"),
    "Energy": (lambda: kl.Energy(16000, 0.5, 256, 128, pad_end=True, **CL), _waveform, "float32"),
    "MuLawEncoding": (lambda: kl.MuLawEncoding(64), _unit_waveform, "float32"),
    "MuLawDecoding": (lambda: kl.MuLawDecoding(64), _codes, "int32"),
    "LogmelToMFCC": (lambda: kl.LogmelToMFCC(13, **CL), _spec, "float32"),
    "SpecAugment": (lambda: kl.SpecAugment(20, 3, n_freq_masks=2, n_time_masks=0, mask_value=-1.0, seed=4, **CL),
                    _spec, "float32"),
    "ChannelSwap": (lambda: kl.ChannelSwap(seed=1, **CL), _waveform, "float32"),
    "STFTTflite": (lambda: kl.STFTTflite(n_fft=256, hop_length=100, pad_end=True, input_data_format="channels_last",
                                         output_data_format="channels_first"), _waveform, "float32"),
    "MagnitudeTflite": (kl.MagnitudeTflite, _pairs, "float32"),
    "STFTSpectrogram": (lambda: kl.STFTSpectrogram(mode="log", frame_length=200, frame_step=64, fft_length=256,
                                                   window="hamming", padding="same", **CL), _waveform, "float32"),
    "MelSpectrogram": (lambda: kl.MelSpectrogram(fft_length=256, sequence_stride=64, num_mel_bins=32),
                       lambda: _waveform()[..., 0], "float32"),
    "AudioSpectrogram": (lambda: kl.AudioSpectrogramEncoder(normalization=("rms", 0.1),
                                                           augmentation={"volume": (0.5, 2.0)}).layer(seed=1),
                         lambda: _waveform()[..., 0], "float32"),
    "PhaseTflite": (lambda: kl.PhaseTflite(approx_atan_accuracy=6), _pairs, "float32"),
}


@pytest.mark.parametrize("extension", [".keras", ".h5"])
@pytest.mark.parametrize("case", sorted(CASES))
def test_roundtrip(tmp_path, case, extension):
    make_layer, make_input, dtype = CASES[case]
    x = make_input()
    model = keras.Sequential([keras.Input(x.shape[1:], dtype=dtype), make_layer()])
    expected = np.asarray(model(x))
    path = str(tmp_path / f"model{extension}")
    model.save(path)
    loaded = keras.models.load_model(path)
    assert type(loaded.layers[-1]) is type(model.layers[-1])
    assert loaded.layers[-1].get_config() == model.layers[-1].get_config()
    np.testing.assert_array_equal(np.asarray(loaded(x)), expected)


def test_default_data_format_is_saved_as_default(tmp_path, image_data_format):
    layer = kl.STFT(n_fft=256)
    assert layer.get_config()["input_data_format"] == "default"
    assert kl.STFT.from_config(layer.get_config()).get_config() == layer.get_config()
