"""Numerical safety: finite gradients, every precision, clear errors for bad data, long inputs."""

import os
import subprocess
import sys

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl

from conftest import assert_says

CL = dict(input_data_format="channels_last", output_data_format="channels_last")
N = 4096


def _signals():
    t = np.arange(N) / 16000
    impulse = np.zeros(N)
    impulse[1000] = 1.0
    return {
        "zeros": np.zeros(N),
        "impulse": impulse,
        "clipped square": np.clip(3 * np.sign(np.sin(2 * np.pi * 440 * t)), -1, 1),
        "noise": np.random.default_rng(0).standard_normal(N),
    }


SIGNALS = _signals()


def _front_ends():
    """name -> (builder, input rank): models whose gradients must stay finite."""
    fronts = {
        "Magnitude": (lambda: keras.Sequential([kl.STFT(n_fft=512, **CL), kl.Magnitude()]), 3),
        "Phase": (lambda: keras.Sequential([kl.STFT(n_fft=512, **CL), kl.Phase()]), 3),
        "Phase approx": (lambda: keras.Sequential([kl.STFT(n_fft=512, **CL), kl.Phase(approx_atan_accuracy=12)]), 3),
        "MagnitudeToDecibel": (lambda: keras.Sequential([kl.STFT(n_fft=512, **CL), kl.Magnitude(),
                                                         kl.MagnitudeToDecibel()]), 3),
        "mel factory dB": (lambda: kl.composed.get_melspectrogram_layer(n_fft=512, return_decibel=True, **CL), 3),
        "log-frequency factory dB": (lambda: kl.composed.get_log_frequency_spectrogram_layer(
            n_fft=512, return_decibel=True, log_n_bins=48, **CL), 3),
        "stft_mag_phase": (lambda: kl.composed.get_stft_mag_phase((N, 1), n_fft=512, return_decibel=True, **CL), 3),
        "MelSpectrogram power": (lambda: kl.MelSpectrogram(fft_length=512, sequence_stride=128), 2),
        "MelSpectrogram magnitude": (lambda: kl.MelSpectrogram(fft_length=512, sequence_stride=128, mag_exp=1.0), 2),
    }
    for mode in kl.spectrogram.STFT_MODES:
        fronts[f"STFTSpectrogram {mode}"] = (
            lambda mode=mode: kl.STFTSpectrogram(mode=mode, data_format="channels_last", trainable=True), 3)
    return fronts


FRONT_ENDS = _front_ends()


@pytest.mark.parametrize("signal", sorted(SIGNALS))
@pytest.mark.parametrize("front", sorted(FRONT_ENDS))
def test_finite_values_and_gradients(front, signal):
    make, rank = FRONT_ENDS[front]
    model = make()
    x = tf.constant(SIGNALS[signal][None] if rank == 2 else SIGNALS[signal][None, :, None], tf.float32)
    with tf.GradientTape() as tape:
        tape.watch(x)
        y = model(x)
        loss = tf.reduce_sum(y * tf.random.stateless_normal(tf.shape(y), seed=(1, 2)))
    weights = model.trainable_weights
    gradients = tape.gradient(loss, [x] + weights)
    assert np.all(np.isfinite(np.asarray(y)))
    assert all(g is not None and np.all(np.isfinite(np.asarray(g))) for g in gradients)
    if front.startswith("STFTSpectrogram"):
        assert len(weights) >= 1  # the kernels' gradients were checked too


FUSED_FRONT_ENDS = ["mel factory dB", "log-frequency factory dB", "MelSpectrogram power", "MelSpectrogram magnitude"]


@pytest.mark.parametrize("signal", sorted(SIGNALS))
@pytest.mark.parametrize("front", FUSED_FRONT_ENDS)
def test_finite_values_and_gradients_in_a_graph(front, signal):
    # traced into a graph these run chunk by chunk through XLA kernels with their own safe roots
    make, rank = FRONT_ENDS[front]
    model = make()
    x = tf.constant(SIGNALS[signal][None] if rank == 2 else SIGNALS[signal][None, :, None], tf.float32)

    @tf.function
    def values_and_gradient(x):
        with tf.GradientTape() as tape:
            tape.watch(x)
            y = model(x)
            loss = tf.reduce_sum(y * tf.random.stateless_normal(tf.shape(y), seed=(1, 2)))
        return y, tape.gradient(loss, x)

    y, gradient = values_and_gradient(x)
    assert np.all(np.isfinite(np.asarray(y))) and np.all(np.isfinite(np.asarray(gradient)))


@pytest.mark.parametrize("dtype, complex_dtype", [("float16", "complex64"), ("float32", "complex64"),
                                                  ("float64", "complex128")])
def test_stft_precisions(waveforms, dtype, complex_dtype):
    x = np.swapaxes(waveforms[:2, :1], 1, 2).astype(dtype)
    stft = kl.STFT(n_fft=512, **CL)(x)
    assert stft.dtype == complex_dtype
    reference = librosa.stft(x[..., 0].astype(np.float64), n_fft=512, hop_length=128, center=False)
    tolerance = {"float16": 5e-2, "float32": 1e-3, "float64": 1e-9}[dtype]
    np.testing.assert_allclose(np.asarray(stft)[..., 0], np.swapaxes(reference, 1, 2), atol=tolerance)
    magnitude = kl.Magnitude()(stft)
    assert magnitude.dtype == ("float64" if dtype == "float64" else "float32")
    mel = kl.composed.get_melspectrogram_layer(n_fft=512, return_decibel=True, **CL)(x)
    assert mel.dtype == ("float64" if dtype == "float64" else "float32")
    assert np.all(np.isfinite(np.asarray(mel)))
    assert kl.InverseSTFT(n_fft=512, **CL)(stft).dtype == ("float64" if dtype == "float64" else "float32")


@pytest.fixture
def mixed_float16():
    keras.mixed_precision.set_global_policy("mixed_float16")
    yield
    keras.mixed_precision.set_global_policy("float32")


def test_mixed_float16_layers_compute_in_float32(mixed_float16, waveforms):
    x = np.swapaxes(waveforms[:2, :2], 1, 2)  # float32 waveforms, as a mixed model receives them
    chain = [kl.STFT(n_fft=512, **CL), kl.Magnitude(),
             kl.ApplyFilterbank("mel", {"sample_rate": 16000, "n_freq": 257, "n_mels": 64}, data_format="channels_last"),
             kl.MagnitudeToDecibel(), kl.Delta(data_format="channels_last")]
    y = tf.constant(x)
    for layer in chain:
        y = layer(y)
        # complex and linear-scale spectra stay in float32's range; decibels and later features take float16
        expected = tf.complex64 if isinstance(layer, kl.STFT) else tf.float32 if layer.keeps_float32 else tf.float16
        assert y.dtype == expected, layer.name
        assert np.all(np.isfinite(np.asarray(y)))
    # the same chain in float32, for the numbers
    with keras.dtype_policies.DTypePolicyScope("float32") if hasattr(keras.dtype_policies, "DTypePolicyScope") \
            else _float32_policy():
        reference = tf.constant(x)
        for layer in [kl.STFT(n_fft=512, **CL), kl.Magnitude(),
                      kl.ApplyFilterbank("mel", {"sample_rate": 16000, "n_freq": 257, "n_mels": 64},
                                         data_format="channels_last"),
                      kl.MagnitudeToDecibel(), kl.Delta(data_format="channels_last")]:
            reference = layer(reference)
    np.testing.assert_allclose(np.asarray(y, np.float32), np.asarray(reference), atol=0.05)
    linear = kl.composed.get_melspectrogram_layer(n_fft=512, return_decibel=False, **CL)(x)
    assert linear.dtype == tf.float32  # a front end without decibels ends with a linear spectrum
    for layer, data in [(kl.composed.get_melspectrogram_layer(n_fft=512, return_decibel=True, **CL), x),
                        (kl.STFTSpectrogram(mode="log", data_format="channels_last"), x),
                        (kl.MelSpectrogram(fft_length=512, sequence_stride=128), x[..., 0]),
                        (kl.Energy(16000, frame_length=400, hop_length=160, data_format="channels_last"), x)]:
        out = layer(data)
        assert out.dtype == tf.float16, layer.name
        assert np.all(np.isfinite(np.asarray(out))), layer.name


class _float32_policy:
    def __enter__(self):
        keras.mixed_precision.set_global_policy("float32")

    def __exit__(self, *exc):
        keras.mixed_precision.set_global_policy("mixed_float16")


def test_mixed_float16_model_trains(mixed_float16, waveforms):
    x = np.swapaxes(waveforms[:8, :1, :4000], 1, 2)
    model = keras.Sequential([
        keras.Input((4000, 1)),
        kl.composed.get_melspectrogram_layer(n_fft=512, hop_length=256, n_mels=32, return_decibel=True, **CL),
        keras.layers.Conv2D(4, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2, dtype="float32"),
    ])
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    history = model.fit(x, np.arange(8) % 2, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


# ----------------------------------------------------------------------------- bad data


def test_wrong_rank_names_layer_and_ranks():
    with pytest.raises(ValueError) as info:
        kl.STFT(n_fft=512, **CL)(np.zeros((2, 4000), np.float32))
    assert_says(info, "STFT expects input of shape (batch, time, channels)", "got shape (2, 4000)",
                "add a channel axis, x[:, :, None]")


def test_channels_on_the_time_axis():
    with pytest.raises(ValueError) as info:
        kl.STFT(n_fft=512, **CL)(np.zeros((2, 1, 4000), np.float32))  # channels_first data, channels_last layer
    assert_says(info, "STFT", "1 samples along its time axis", "(2, 1, 4000)", "win_length=512",
                "channels may be on the time axis")
    with pytest.raises(ValueError) as info:
        kl.composed.get_melspectrogram_layer(input_shape=(1, 4000), n_fft=512, **CL)
    assert_says(info, "STFT", "1 samples", "pad_end=True")


@pytest.mark.parametrize("layer", [lambda: kl.STFT(n_fft=256, **CL), lambda: kl.STFTSpectrogram(
    data_format="channels_last"), lambda: kl.Energy(data_format="channels_last", frame_length=256, hop_length=128)])
@pytest.mark.parametrize("dtype", ["int16", "int32", "bool"])
def test_integer_waveforms_are_type_errors(layer, dtype):
    with pytest.raises(TypeError) as info:
        layer()(np.zeros((2, 1024, 1), dtype))
    assert_says(info, dtype, "float32")


def test_string_input_is_a_type_error():
    with pytest.raises(TypeError) as info:
        kl.STFT(n_fft=256, **CL)(tf.constant([[["a"]] * 1024]))
    assert_says(info, "STFT", "string", "float32")


def test_complex_waveform_is_a_type_error():
    with pytest.raises(TypeError) as info:
        kl.STFT(n_fft=256, **CL)(np.zeros((2, 1024, 1), np.complex64))
    assert_says(info, "STFT", "complex64", "real floating-point waveform")


@pytest.mark.parametrize("layer", [kl.Magnitude, kl.Phase, lambda: kl.InverseSTFT(n_fft=256, **CL)])
def test_real_input_where_complex_is_expected(layer):
    with pytest.raises(TypeError) as info:
        layer()(np.zeros((2, 10, 129, 1), np.float32))
    assert_says(info, "expects a complex tensor", "float32", "(2, 10, 129, 1)", "STFT")
    with pytest.raises(TypeError):
        layer()(keras.Input((10, 129, 1)))


@pytest.mark.parametrize("layer, expect", [
    (lambda: kl.STFT(n_fft=512, **CL), ["STFT", "300 samples", "win_length=512"]),
    (lambda: kl.STFTSpectrogram(frame_length=512, data_format="channels_last"),
     ["STFTSpectrogram", "300 samples", "frame_length = 512"]),
])
def test_signal_shorter_than_a_frame(layer, expect):
    with pytest.raises(ValueError) as info:
        layer()(np.zeros((1, 300, 1), np.float32))
    assert_says(info, *expect)


def test_mel_spectrogram_signal_too_short_for_reflection():
    with pytest.raises(ValueError) as info:
        kl.MelSpectrogram(fft_length=2048)(np.zeros((1, 500), np.float32))
    assert_says(info, "MelSpectrogram", "500 samples", "fft_length // 2 + 1 = 1025")


def test_short_signal_with_pad_end_is_one_correct_frame():
    x = np.random.default_rng(0).standard_normal(300).astype(np.float32)
    stft = np.asarray(kl.STFT(n_fft=512, pad_end=True, **CL)(x[None, :, None]))[0, :, :, 0]
    expected = librosa.stft(np.pad(x, (0, 2 * 128 + 512 - 300)), n_fft=512, hop_length=128, center=False)
    assert stft.shape == (3, 257)  # ceil(300 / 128) frames, zero-padded at the end
    np.testing.assert_allclose(stft, expected[:, :3].T, atol=1e-4)


def test_short_signal_of_unknown_length_fails_when_run():
    model = keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=512, **CL)])
    serve = tf.function(model, input_signature=[tf.TensorSpec((None, None, 1), tf.float32)])
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        serve(np.zeros((1, 300, 1), np.float32))
    assert_says(info, "STFT", "shorter than one frame", "pad_end=True")


@pytest.mark.parametrize("bad", [np.nan, np.inf])
@pytest.mark.parametrize("layer", [
    lambda: kl.STFT(n_fft=256, **CL),
    lambda: kl.composed.get_melspectrogram_layer(n_fft=256, n_mels=32, **CL),
    lambda: kl.STFTSpectrogram(data_format="channels_last"),
])
def test_nan_or_inf_input_is_an_error(layer, bad):
    x = np.zeros((1, 1024, 1), np.float32)
    x[0, 100, 0] = bad
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        layer()(x)
    assert_says(info, "the input waveform contains NaN or Inf")


def test_nan_in_mel_spectrogram_input_is_an_error():
    x = np.zeros((1, 4096), np.float32)
    x[0, 7] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        kl.MelSpectrogram(fft_length=512)(x)
    assert_says(info, "MelSpectrogram", "NaN or Inf")


# 155 frames of 256 in 5 chunks; the last frame ends at 19968, so 32 samples are read by no frame
@pytest.mark.parametrize("position", [0, 4100, 8190, 19990, 19999])
@pytest.mark.parametrize("graph", [False, True])
def test_nan_anywhere_in_the_front_end_input_is_an_error(position, graph):
    # the fused log-mel checks the whole input (unframed tail included) beside the chunks, gating the output
    front = kl.composed.get_melspectrogram_layer(input_shape=(20000, 1), n_fft=256, hop_length=128, n_mels=32,
                                                 return_decibel=True, **CL)
    x = np.zeros((2, 20000, 1), np.float32)
    x[1, position, 0] = np.nan
    run = tf.function(front) if graph else front
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        np.asarray(run(x))
    assert_says(info, "STFT", "the input waveform contains NaN or Inf")
    assert np.isfinite(np.asarray(run(np.ones_like(x)))).all()


@pytest.mark.parametrize("front_end", [
    lambda: kl.composed.get_melspectrogram_layer(input_shape=(20000, 1), n_fft=256, hop_length=128, n_mels=32,
                                                 return_decibel=True, **CL),
    lambda: kl.composed.get_melspectrogram_layer(input_shape=(20000, 1), n_fft=256, hop_length=128, n_mels=32,
                                                 return_decibel=False, **CL),
    lambda: kl.composed.get_log_frequency_spectrogram_layer(input_shape=(20000, 1), n_fft=256, hop_length=128,
                                                            sample_rate=16000, return_decibel=True, **CL),
    lambda: keras.Sequential([keras.layers.Reshape((20000,)),
                              kl.MelSpectrogram(fft_length=256, sequence_stride=128, num_mel_bins=32)]),
])
def test_nan_or_inf_anywhere_is_an_error_where_the_filtered_output_is_checked(front_end):
    # traced into a graph, the filterbank front ends check their small filtered output (every bin of a frame
    # holding NaN or Inf is NaN or Inf, the root keeps them) and the samples no frame reads, not the whole input
    run = tf.function(front_end())
    clean = np.random.default_rng(7).uniform(-1, 1, (2, 20000, 1)).astype(np.float32)
    assert np.isfinite(np.asarray(run(clean))).all()
    # first sample, a chunk boundary, the last framed sample (frames end at 19968 or 20000), the unframed tail
    for position in [0, 4100, 19967, 19990, 19999]:
        for bad in [np.nan, np.inf, -np.inf]:
            x = clean.copy()
            x[1, position, 0] = bad
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                np.asarray(run(x))
            assert_says(info, "NaN or Inf")


@pytest.mark.parametrize("pad_begin, pad_end", [(False, False), (True, True)])
@pytest.mark.parametrize("input_format", ["channels_first", "channels_last"])
def test_nan_or_inf_anywhere_is_an_error_for_the_stft_layer_in_a_graph(pad_begin, pad_end, input_format):
    # traced with a known length, the STFT checks its frames' DC bins (the windowed sums, NaN or Inf when a
    # sample of the frame is) and the samples no frame reads (from 19968 on without end padding)
    layer = kl.STFT(n_fft=256, hop_length=128, pad_begin=pad_begin, pad_end=pad_end, input_data_format=input_format,
                    output_data_format="channels_last")
    run = tf.function(layer)

    def as_input(x):  # x: (batch, time, channels)
        return np.swapaxes(x, 1, 2) if input_format == "channels_first" else x

    clean = np.random.default_rng(8).uniform(-1, 1, (2, 20000, 2)).astype(np.float32)
    assert np.isfinite(np.asarray(run(as_input(clean)))).all()
    for position in [0, 127, 128, 10000, 19967, 19990, 19999]:
        for bad in [np.nan, np.inf, -np.inf]:
            x = clean.copy()
            x[1, position, 1] = bad
            with pytest.raises(tf.errors.InvalidArgumentError) as info:
                np.asarray(run(as_input(x)))
            assert_says(info, "STFT", "the input waveform contains NaN or Inf")


@pytest.mark.parametrize("graph", [False, True])
def test_a_mel_spectrogram_that_overflows_is_an_error(graph):
    # finite input so large that the spectra overflow float32 (a DC bin of 128 * 1e37): an error, not Inf decibels
    front = kl.composed.get_melspectrogram_layer(input_shape=(20000, 1), n_fft=256, hop_length=128, n_mels=32,
                                                 return_decibel=True, **CL)
    run = tf.function(front) if graph else front
    x = np.full((1, 20000, 1), 1e37, np.float32)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        np.asarray(run(x))
    assert_says(info, "NaN or Inf", "so large that its spectrogram overflows")


def test_nan_between_frames_is_an_error_in_a_graph():
    # hop longer than the window: samples between frames are read by no frame, so the whole input is checked
    front = kl.composed.get_melspectrogram_layer(input_shape=(20000, 1), n_fft=256, win_length=128, hop_length=200,
                                                 n_mels=32, return_decibel=True, **CL)
    x = np.zeros((1, 20000, 1), np.float32)
    x[0, 150, 0] = np.nan  # between frame 0 (0-127) and frame 1 (200-327)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        np.asarray(tf.function(front)(x))
    assert_says(info, "the input waveform contains NaN or Inf")


# ----------------------------------------------------------------------------- long inputs

LONG_INPUT_SCRIPT = r"""
import json
import tensorflow as tf
# one op at a time, two threads inside an op: the order in which tensors live and die, and so the
# allocator's peak, does not depend on how busy the machine is
tf.config.threading.set_inter_op_parallelism_threads(1)
tf.config.threading.set_intra_op_parallelism_threads(2)
import kapre_like as kl

def peak_mib(run, x):
    # growth of the peak bytes in use in TensorFlow's CPU allocator during one call: the tensors our code
    # allocates (not tracing or XLA compilation, not what other processes do with the machine)
    tf.config.experimental.reset_memory_stats("CPU:0")
    held = tf.config.experimental.get_memory_info("CPU:0")["current"]  # the input, the filterbank
    y = run(x)
    return (tf.config.experimental.get_memory_info("CPU:0")["peak"] - held) / 2**20, y

seconds, rate = 600, 44100
x = tf.random.stateless_normal((1, seconds * rate, 2), seed=(0, 1), stddev=0.1)  # no NumPy temporaries
melgram = kl.composed.get_melspectrogram_layer(input_shape=x.shape[1:], n_fft=2048, hop_length=512, sample_rate=rate,
                                               return_decibel=True, input_data_format="channels_last",
                                               output_data_format="channels_last")
eager, y = peak_mib(melgram, x)
graph_call = tf.function(melgram)
graph, y_graph = peak_mib(graph_call, x)  # first call: traces, compiles, runs
print(json.dumps({"eager_peak_mib": eager, "graph_peak_mib": graph, "output_mib": y.numpy().nbytes / 2**20,
                  "shape": list(y.shape), "finite": bool(tf.reduce_all(tf.math.is_finite(y))),
                  "graph_equal": float(tf.reduce_max(tf.abs(y - y_graph)))}))
"""


@pytest.mark.slow
def test_ten_minutes_of_stereo_through_the_mel_factory():
    result = subprocess.run([sys.executable, "-c", LONG_INPUT_SCRIPT], capture_output=True, text=True, timeout=600,
                            # the BFC allocator keeps the statistics read here on every CPU (TensorFlow picks
                            # it by itself on some, e.g. with oneDNN on Intel, and not on others, e.g. AMD)
                            env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "TF_CPU_ALLOCATOR_USE_BFC": "true"})
    assert result.returncode == 0, result.stderr[-3000:]
    import json

    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["finite"]
    n_frames = 1 + (600 * 44100 - 2048) // 512
    assert report["shape"] == [1, n_frames, 128, 2]
    assert report["graph_equal"] < 1e-3, report
    # The whole complex spectrogram (frames x 1025 bins x 2 channels, complex64) would be 807 MiB; the output is
    # 50 MiB. Bound: a few output-sized tensors (the filtered magnitudes, their decibels, the output layout) and
    # pieces of the spectrogram adding up to an eighth of it, i.e. the spectrogram is never held whole.
    spectrogram_mib = n_frames * 1025 * 2 * 8 / 2**20
    bound = 3 * report["output_mib"] + spectrogram_mib / 8
    assert report["eager_peak_mib"] < bound and report["graph_peak_mib"] < bound, (report, bound)
