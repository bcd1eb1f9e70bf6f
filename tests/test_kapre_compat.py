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
# Parameters kapre_like adds after Kapre's (with defaults that keep Kapre's behaviour).
ADDED = {"MagnitudeToDecibel": {"stype"}, "validate_data_format_str": {"arg_name"}}
# Kapre 0.4.1 features that arrive with a later kapre_like module (issue 4: TFLite-ready phase).
NOT_YET = {"Phase": {"approx_atan_accuracy"}}


def _parameters(obj):
    if inspect.isclass(obj) and obj.__init__ is keras.layers.Layer.__init__:
        return {}  # no arguments of its own
    target = obj.__init__ if inspect.isclass(obj) else obj
    return {
        name: p.default
        for name, p in inspect.signature(target).parameters.items()
        if name not in ("self", "kwargs", "args")
    }


@pytest.mark.parametrize("name", TIME_FREQUENCY)
def test_time_frequency_signatures(name):
    ours, theirs = _parameters(getattr(kapre_like, name)), _parameters(getattr(kapre.time_frequency, name))
    for parameter in ADDED.get(name, ()):
        ours.pop(parameter)
    for parameter in NOT_YET.get(name, ()):
        theirs.pop(parameter)
    assert ours == theirs
    assert list(ours) == list(theirs)  # same order, so positional calls carry over


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
    assert _parameters(getattr(kapre_like.composed, name)) == _parameters(getattr(kapre.composed, name))
    assert list(_parameters(getattr(kapre_like, name))) == list(_parameters(getattr(kapre.composed, name)))


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
