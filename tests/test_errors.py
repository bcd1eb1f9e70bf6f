"""Bad constructor arguments raise at construction with a message naming argument, value and what is allowed."""

import numpy as np
import pytest

import kapre_like as kl

from conftest import assert_says

DATA_FORMAT_LAYERS = [
    (kl.STFT, "input_data_format"),
    (kl.STFT, "output_data_format"),
    (kl.InverseSTFT, "input_data_format"),
    (kl.InverseSTFT, "output_data_format"),
    (kl.Delta, "data_format"),
    (kl.ConcatenateFrequencyMap, "data_format"),
    (lambda **kw: kl.ApplyFilterbank("mel", {"sample_rate": 16000, "n_freq": 257}, **kw), "data_format"),
    (kl.STFTTflite, "input_data_format"),
    (kl.STFTTflite, "output_data_format"),
    (lambda **kw: kl.Frame(256, 128, **kw), "data_format"),
    (kl.Energy, "data_format"),
    (kl.LogmelToMFCC, "data_format"),
    (lambda **kw: kl.SpecAugment(5, 5, **kw), "data_format"),
    (kl.ChannelSwap, "data_format"),
]


@pytest.mark.parametrize("make, arg", DATA_FORMAT_LAYERS)
def test_wrong_data_format_string(make, arg):
    with pytest.raises(ValueError) as info:
        make(**{arg: "channels_middle"})
    assert_says(info, f"`{arg}`", "'channels_middle'", "'channels_first'", "'channels_last'", "'default'")


@pytest.mark.parametrize("make, arg", DATA_FORMAT_LAYERS)
def test_non_string_data_format(make, arg):
    with pytest.raises(TypeError) as info:
        make(**{arg: 1})
    assert_says(info, f"`{arg}`", "must be a string", "got 1", "int")


@pytest.mark.parametrize("layer, arg", [(kl.STFT, "window_name"), (kl.InverseSTFT, "forward_window_name")])
def test_unknown_window_name(layer, arg):
    with pytest.raises(NotImplementedError) as info:
        layer(**{arg: "blackman_window"})
    assert_says(info, "window_name", "'blackman_window'", "'hann_window'", "'hamming_window'")


@pytest.mark.parametrize("layer", [kl.STFT, kl.InverseSTFT])
def test_win_length_longer_than_n_fft(layer):
    with pytest.raises(ValueError) as info:
        layer(n_fft=512, win_length=1024)
    assert_says(info, layer.__name__, "`win_length`", "<= `n_fft`", "win_length=1024", "n_fft=512")


@pytest.mark.parametrize("layer", [kl.STFT, kl.InverseSTFT])
@pytest.mark.parametrize("hop", [0, -128])
def test_non_positive_hop(layer, hop):
    with pytest.raises(ValueError) as info:
        layer(n_fft=512, hop_length=hop)
    assert_says(info, "`hop_length`", ">= 1", f"got {hop}")


@pytest.mark.parametrize("layer", [kl.STFT, kl.InverseSTFT])
@pytest.mark.parametrize("arg, value", [("n_fft", 512.0), ("hop_length", "128"), ("win_length", True)])
def test_non_integer_lengths(layer, arg, value):
    with pytest.raises(TypeError) as info:
        layer(**{arg: value})
    assert_says(info, f"`{arg}`", "integer", repr(value))


@pytest.mark.parametrize("win_length", [4, 6])
def test_delta_even_win_length(win_length):
    with pytest.raises(ValueError) as info:
        kl.Delta(win_length=win_length)
    assert_says(info, "Delta", "`win_length`", "odd", f"got {win_length}")


@pytest.mark.parametrize("win_length", [1, 2, -3])
def test_delta_too_small_win_length(win_length):
    with pytest.raises(ValueError) as info:
        kl.Delta(win_length=win_length)
    assert_says(info, "Delta", "`win_length`", ">= 3", f"got {win_length}")


@pytest.mark.parametrize("mode", ["wrap", "edge", ""])
def test_delta_unsupported_pad_mode(mode):
    with pytest.raises(ValueError) as info:
        kl.Delta(mode=mode)
    assert_says(info, "Delta", "`mode`", repr(mode), "'symmetric'", "'reflect'", "'constant'")


def test_apply_filterbank_unknown_type_and_kwargs():
    with pytest.raises(ValueError) as info:
        kl.ApplyFilterbank("bark", {"sample_rate": 16000, "n_freq": 257})
    assert_says(info, "`type`", "'bark'", "'mel'", "'log'")
    with pytest.raises(TypeError) as info:
        kl.ApplyFilterbank("mel", {"sample_rate": 16000, "n_freq": 257, "n_bins": 3})
    assert_says(info, "filterbank_kwargs", "n_bins")


@pytest.mark.parametrize("arg", ["ref_value", "amin", "dynamic_range"])
def test_magnitude_to_decibel_non_positive(arg):
    with pytest.raises(ValueError) as info:
        kl.MagnitudeToDecibel(**{arg: 0.0})
    assert_says(info, f"`{arg}`", "> 0", "got 0.0")


def test_magnitude_to_decibel_unknown_stype():
    with pytest.raises(ValueError) as info:
        kl.MagnitudeToDecibel(stype="amplitude")
    assert_says(info, "`stype`", "'amplitude'", "'power'", "'magnitude'")


def test_wrong_input_rank_is_reported_with_the_layout_expected():
    """librosa's (batch, time) habit: the message names the layout and the indexing that fixes it."""
    with pytest.raises(ValueError) as info:
        kl.STFT(n_fft=256, input_data_format="channels_last")(np.zeros((2, 1024), np.float32))
    assert_says(info, "STFT expects input of shape (batch, time, channels)", "input_data_format='channels_last'",
                "got shape (2, 1024)", "add a channel axis, x[:, :, None]")
    with pytest.raises(ValueError) as info:
        kl.composed.get_melspectrogram_layer(input_shape=(16000, 1))(np.zeros(16000, np.float32))
    assert_says(info, "(batch, time, channels)", "got shape (16000,)", "x[None, :, None]")
    with pytest.raises(ValueError) as info:
        kl.STFT(n_fft=256, input_data_format="channels_first")(np.zeros(1024, np.float32))
    assert_says(info, "(batch, channels, time)", "input_data_format='channels_first'", "x[None, None, :]")
    assert kl.MelSpectrogram(fft_length=256)(np.zeros(1024, np.float32)).shape[0] == 128  # accepted as librosa


NON_POSITIVE_SIZES = [
    (lambda v: kl.Frame(frame_length=v, hop_length=128), "Frame", "frame_length", ">= 1"),
    (lambda v: kl.Frame(frame_length=256, hop_length=v), "Frame", "hop_length", ">= 1"),
    (lambda v: kl.Energy(frame_length=v), "Energy", "frame_length", ">= 1"),
    (lambda v: kl.Energy(hop_length=v), "Energy", "hop_length", ">= 1"),
    (lambda v: kl.Energy(sample_rate=v), "Energy", "sample_rate", "> 0"),
    (lambda v: kl.Energy(ref_duration=v), "Energy", "ref_duration", "> 0"),
    (lambda v: kl.LogmelToMFCC(n_mfccs=v), "LogmelToMFCC", "n_mfccs", ">= 1"),
    (lambda v: kl.MuLawEncoding(quantization_channels=v + 1), "MuLawEncoding", "quantization_channels", ">= 2"),
    (lambda v: kl.MuLawDecoding(quantization_channels=v + 1), "MuLawDecoding", "quantization_channels", ">= 2"),
    (lambda v: kl.SpecAugment(5, 5, n_freq_masks=v - 1), "SpecAugment", "n_freq_masks", ">= 0"),
    (lambda v: kl.SpecAugment(5, 5, n_time_masks=v - 1), "SpecAugment", "n_time_masks", ">= 0"),
    (lambda v: kl.SpecAugment(freq_mask_param=v - 1, time_mask_param=5), "SpecAugment", "freq_mask_param", ">= 1"),
    (lambda v: kl.Phase(approx_atan_accuracy=v - 1), "Phase", "approx_atan_accuracy", ">= 0"),
    (lambda v: kl.PhaseTflite(approx_atan_accuracy=v - 1), "PhaseTflite", "approx_atan_accuracy", ">= 0"),
]


@pytest.mark.parametrize("make, owner, arg, allowed", NON_POSITIVE_SIZES, ids=lambda p: p if isinstance(p, str) else "")
def test_non_positive_sizes_of_signal_augmentation_and_tflite_layers(make, owner, arg, allowed):
    with pytest.raises(ValueError) as info:
        make(0 if allowed != "> 0" else -1)
    assert_says(info, owner, f"`{arg}`", allowed)


@pytest.mark.parametrize("make, arg", [
    (lambda: kl.Frame(256.0, 128), "frame_length"),
    (lambda: kl.Energy(sample_rate="22050"), "sample_rate"),
    (lambda: kl.Frame(256, 128, pad_value="zero"), "pad_value"),
    (lambda: kl.SpecAugment(5.5, 5), "freq_mask_param"),
    (lambda: kl.SpecAugment(5, 5, seed=1.5), "seed"),
    (lambda: kl.ChannelSwap(seed="x"), "seed"),
    (lambda: kl.Phase(approx_atan_accuracy=1e4), "approx_atan_accuracy"),
])
def test_non_numeric_arguments(make, arg):
    with pytest.raises(TypeError) as info:
        make()
    assert_says(info, f"`{arg}`")


def test_mu_law_channel_limit():
    with pytest.raises(ValueError) as info:
        kl.MuLawEncoding(70000)
    assert_says(info, "`quantization_channels`", "<= 65536", "70000")


@pytest.mark.parametrize("arg", ["freq_mask_param", "time_mask_param"])
def test_spec_augment_zero_mask_param_is_kapres_runtime_error(arg):
    kwargs = {"freq_mask_param": 5, "time_mask_param": 5, arg: 0}
    for error in (RuntimeError, ValueError):
        with pytest.raises(error) as info:
            kl.SpecAugment(**kwargs)
        assert_says(info, f"`{arg}`", ">= 1", "got 0")


def test_more_mfccs_than_mel_bins():
    import keras

    with pytest.raises(ValueError) as info:
        kl.LogmelToMFCC(n_mfccs=40, data_format="channels_last")(keras.Input((100, 32, 1)))
    assert_says(info, "`n_mfccs`", "<= the number of mel bins (32", "n_mfccs=40")


def test_tflite_layers_need_a_pair_axis():
    with pytest.raises(ValueError) as info:
        kl.MagnitudeTflite()(np.zeros((2, 10, 129, 1), np.float32))
    assert_says(info, "magnitude_tflite", "axis -1", "value 2", "(2, 10, 129, 1)")


@pytest.mark.parametrize("make, owner", [
    (lambda **kw: kl.InverseSTFT(**kw), "InverseSTFT"),
    (lambda **kw: kl.InverseSTFTTflite(**kw), "InverseSTFTTflite"),
    (lambda **kw: kl.GriffinLim(**kw), "GriffinLim"),
    (lambda **kw: kl.composed.get_perfectly_reconstructing_stft_istft(**kw), "get_perfectly_reconstructing_stft_istft"),
    (lambda **kw: kl.composed.get_mel_to_audio(sample_rate=16000, **kw), "get_mel_to_audio"),
])
@pytest.mark.parametrize("kwargs, win", [(dict(n_fft=1024, hop_length=2048), 1024),
                                         (dict(n_fft=1024, win_length=512, hop_length=600), 512)])
def test_a_synthesis_refuses_a_hop_longer_than_the_window(make, owner, kwargs, win):
    # GriffinLim(n_fft=1024, hop_length=2048) returned 49 % zeros: the samples between frames are in no frame
    with pytest.raises(ValueError) as info:
        make(**kwargs)
    hop = kwargs["hop_length"]
    assert_says(info, owner, "`hop_length` must be <= the window length `win_length`", f"hop_length={hop}",
                f"win_length={win}", f"leave {hop - win} samples")


def test_a_synthesis_takes_a_hop_equal_to_the_window():
    kl.InverseSTFT(n_fft=512, hop_length=512, forward_window_name="hamming_window")
    kl.GriffinLim(n_fft=512, hop_length=512)


def test_an_stft_with_a_hop_longer_than_the_window_warns_of_gaps():
    with pytest.warns(UserWarning) as record:
        layer = kl.STFT(n_fft=1024, win_length=512, hop_length=2048)
    assert len(record) == 1
    message = str(record[0].message)
    for part in ("STFT", "hop_length=2048 > win_length=512", "the frames leave gaps of 1536 samples"):
        assert part in message, message
    assert record[0].filename == __file__  # points at the caller's line
    assert layer.hop_length == 2048  # still allowed
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        kl.STFT(n_fft=1024, hop_length=1024)  # frames that touch: nothing said


@pytest.mark.parametrize("backend", ["jax", "torch"])
def test_a_tensorflow_only_layer_on_another_keras_backend_says_so_at_construction(backend, monkeypatch):
    """The layers that stay on TensorFlow say so, and why, when built on JAX or PyTorch (not a tracer error in
    fit); the portable layers build. (Keras's backend is patched here; tests/test_backends.py runs the real
    backends, with KERAS_BACKEND set as the README says.)"""
    import keras

    import kapre_like
    from kapre_like._base import TFLITE_ONLY

    monkeypatch.setattr(keras.backend, "backend", lambda: backend)
    for build, owner, reason in ((lambda: kapre_like.STFTTflite(n_fft=512), "STFTTflite", TFLITE_ONLY),
                                 (lambda: kapre_like.AudioSTFTEncoder(window_size=256).layer(), "AudioSpectrogram",
                                  "tf.data")):
        with pytest.raises(RuntimeError) as info:
            build()
        message = str(info.value)
        assert message.startswith(f"{owner} runs on Keras's TensorFlow backend only: ") and reason in message
        assert repr(backend) in message and "KERAS_BACKEND=tensorflow" in message
    assert kapre_like.STFT(n_fft=512).n_fft == 512


def test_the_backend_check_keeps_the_layers_signatures():
    """help() and IDEs still show each layer's arguments (the check wraps __new__, which inspect reads first)."""
    import inspect

    assert list(inspect.signature(kl.STFTTflite).parameters)[:3] == ["n_fft", "win_length", "hop_length"]
    assert "gain" in inspect.signature(kl.PCEN).parameters
