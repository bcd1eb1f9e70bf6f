"""Drop-in compatibility with Kapre 0.4.1: same names, signatures, defaults and numbers.

These tests need Kapre itself (``pip install --no-deps kapre==0.4.1``) and skip without it.
"""

import inspect

import keras
import numpy as np
import pytest

import kapre_like

kapre = pytest.importorskip("kapre")

TIME_FREQUENCY = ["STFT", "InverseSTFT", "Magnitude", "Phase", "MagnitudeToDecibel", "ApplyFilterbank", "Delta",
                  "ConcatenateFrequencyMap"]
BACKEND = ["get_window_fn", "validate_data_format_str", "magnitude_to_decibel", "filterbank_mel", "filterbank_log",
           "mu_law_encoding", "mu_law_decoding", "_get_floatx"]
LAYERS = {
    "time_frequency": TIME_FREQUENCY,
    "signal": ["Frame", "Energy", "MuLawEncoding", "MuLawDecoding", "LogmelToMFCC"],
    "augmentation": ["SpecAugment", "ChannelSwap"],
    "time_frequency_tflite": ["STFTTflite", "MagnitudeTflite", "PhaseTflite"],
}
# Parameters kapre_like adds after Kapre's (with defaults that keep Kapre's behaviour).
ADDED = {"MagnitudeToDecibel": {"stype"}, "validate_data_format_str": {"arg_name"}, "SpecAugment": {"seed"},
         "ChannelSwap": {"seed"},
         # centred frames, power and librosa's MFCC (issue 18)
         "STFT": {"center", "pad_mode"}, "STFTTflite": {"center", "pad_mode"}, "InverseSTFT": {"center", "length"},
         "Magnitude": {"power"}, "MagnitudeTflite": {"power"}, "LogmelToMFCC": {"norm"},
         "get_stft_magnitude_layer": {"center", "pad_mode"}, "get_stft_mag_phase": {"center", "pad_mode"},
         "get_melspectrogram_layer": {"center", "pad_mode", "power", "preset"},  # presets: issue 36
         "get_log_frequency_spectrogram_layer": {"center", "pad_mode", "power"}}


def _without_added(parameters, name):
    """``parameters`` without the ones kapre_like adds to ``name``, which must all come after Kapre's."""
    added = ADDED.get(name, set())
    names = list(parameters)
    assert all(name_ in added for name_ in names[len(names) - len(added):]), f"{name}: additions not last"
    return {key: value for key, value in parameters.items() if key not in added}


def _parameters(obj):
    if inspect.isclass(obj) and obj.__init__ is keras.layers.Layer.__init__:
        return {}  # no arguments of its own
    target = obj.__init__ if inspect.isclass(obj) else obj
    return {
        name: p.default
        for name, p in inspect.signature(target).parameters.items()
        if name not in ("self", "kwargs", "args")
    }


@pytest.mark.parametrize("module, name", [(module, name) for module, names in LAYERS.items() for name in names])
def test_layer_signatures(module, name):
    ours, theirs = getattr(kapre_like, module), getattr(kapre, module)
    assert getattr(ours, name) is getattr(kapre_like, name)  # also at the top level, as in Kapre
    ours, theirs = _without_added(_parameters(getattr(ours, name)), name), _parameters(getattr(theirs, name))
    assert ours == theirs
    assert list(ours) == list(theirs)  # same order, so positional calls carry over


def test_module_contents():
    for module, names in LAYERS.items():
        assert sorted(getattr(kapre_like, module).__all__) == sorted(getattr(kapre, module).__all__) == sorted(names)


@pytest.mark.parametrize("name", BACKEND)
def test_backend_signatures(name):
    ours, theirs = _parameters(getattr(kapre_like.backend, name)), _parameters(getattr(kapre.backend, name))
    for parameter in ADDED.get(name, ()):
        ours.pop(parameter)
    assert ours == theirs


COMPOSED = ["get_stft_magnitude_layer", "get_melspectrogram_layer", "get_log_frequency_spectrogram_layer",
            "get_stft_mag_phase", "get_frequency_aware_conv2d"]


@pytest.mark.parametrize("name", COMPOSED)
def test_composed_signatures(name):
    ours = _without_added(_parameters(getattr(kapre_like.composed, name)), name)
    assert ours == _parameters(getattr(kapre.composed, name))
    assert list(ours) == list(_parameters(getattr(kapre.composed, name)))
    assert getattr(kapre_like, name) is getattr(kapre_like.composed, name)


def test_backend_constants():
    for name in ("_CH_FIRST_STR", "_CH_LAST_STR", "_CH_DEFAULT_STR"):
        assert getattr(kapre_like.backend, name) == getattr(kapre.backend, name)


def _model(lib, data_format):
    return keras.Sequential(
        [
            keras.Input((4000, 1) if data_format == "channels_last" else (1, 4000)),
            lib.STFT(n_fft=512, hop_length=160, input_data_format=data_format, output_data_format=data_format),
            lib.Magnitude(),
            lib.ApplyFilterbank("mel", {"sample_rate": 16000, "n_freq": 257, "n_mels": 64}, data_format=data_format),
            lib.MagnitudeToDecibel(),
            lib.Delta(data_format=data_format),
            lib.ConcatenateFrequencyMap(data_format=data_format),
        ]
    )


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_same_model_same_numbers(waveforms, data_format):
    # mono: Kapre's Delta fails on more than one channel (ours does not, see test_spectral_layers)
    x = waveforms[:3, :1, :4000]
    if data_format == "channels_last":
        x = np.swapaxes(x, 1, 2)
    ours, theirs = _model(kapre_like, data_format), _model(kapre, data_format)
    assert ours.output_shape == theirs.output_shape
    np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), atol=2e-3)


def test_phase_and_decibel_layers_match_kapre(waveforms):
    x = np.swapaxes(waveforms[:2, :2], 1, 2)
    stft = kapre_like.STFT(n_fft=256, input_data_format="channels_last", output_data_format="channels_last")(x)
    np.testing.assert_allclose(np.asarray(kapre_like.Phase()(stft)), np.asarray(kapre.Phase()(stft)), atol=1e-6)
    mag = kapre_like.Magnitude()(stft)
    for kwargs in ({}, {"ref_value": 3.0, "amin": 1e-3, "dynamic_range": 50.0}):
        np.testing.assert_allclose(
            np.asarray(kapre_like.MagnitudeToDecibel(**kwargs)(mag)), np.asarray(kapre.MagnitudeToDecibel(**kwargs)(mag)),
            atol=1e-4,
        )


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_signal_layers_match_kapre(waveforms, data_format):
    x = waveforms[:3, :2, :6000]
    if data_format == "channels_last":
        x = np.swapaxes(x, 1, 2)
    for name, kwargs in (("Frame", dict(frame_length=512, hop_length=200, pad_end=True, pad_value=0.25)),
                         ("Energy", dict(sample_rate=16000, frame_length=400, hop_length=160))):
        ours = getattr(kapre_like, name)(data_format=data_format, **kwargs)
        theirs = getattr(kapre.signal, name)(data_format=data_format, **kwargs)
        np.testing.assert_allclose(np.asarray(ours(x)), np.asarray(theirs(x)), rtol=1e-5, atol=1e-6)
    unit = np.clip(x * 3, -1, 1)
    codes = np.asarray(kapre_like.MuLawEncoding(256)(unit))
    assert np.mean(codes != np.asarray(kapre.signal.MuLawEncoding(256)(unit))) < 1e-3
    np.testing.assert_allclose(np.asarray(kapre_like.MuLawDecoding(256)(codes)),
                               np.asarray(kapre.signal.MuLawDecoding(256)(codes)), atol=1e-6)
    log_mel = np.random.default_rng(0).standard_normal((2, 30, 64, 1) if data_format == "channels_last"
                                                       else (2, 1, 30, 64)).astype(np.float32)
    np.testing.assert_allclose(np.asarray(kapre_like.LogmelToMFCC(20, data_format=data_format)(log_mel)),
                               np.asarray(kapre.signal.LogmelToMFCC(20, data_format=data_format)(log_mel)), atol=1e-5)


@pytest.mark.parametrize("data_format", ["channels_first", "channels_last"])
def test_tflite_layers_match_kapre(waveforms, data_format):
    # Kapre's STFTTflite runs with batch 1 only; pad_begin differs by design (see STFT)
    x = waveforms[:1, :2, :6000]
    if data_format == "channels_last":
        x = np.swapaxes(x, 1, 2)
    kwargs = dict(n_fft=512, win_length=400, hop_length=160, pad_end=True, input_data_format=data_format,
                  output_data_format=data_format)
    ours, theirs = kapre_like.STFTTflite(**kwargs)(x), kapre.time_frequency_tflite.STFTTflite(**kwargs)(x)
    assert ours.shape == theirs.shape
    np.testing.assert_allclose(np.asarray(ours), np.asarray(theirs), atol=1e-3)
    np.testing.assert_allclose(np.asarray(kapre_like.MagnitudeTflite()(theirs)),
                               np.asarray(kapre.time_frequency_tflite.MagnitudeTflite()(theirs)), atol=1e-5)


def test_augmentation_layers_are_identity_at_inference_like_kapre():
    x = np.random.default_rng(0).standard_normal((2, 50, 40, 1)).astype(np.float32)
    for lib in (kapre_like, kapre.augmentation):
        np.testing.assert_array_equal(np.asarray(lib.SpecAugment(5, 5, data_format="channels_last")(x)), x)
        np.testing.assert_array_equal(np.asarray(lib.ChannelSwap(data_format="channels_last")(x)), x)
