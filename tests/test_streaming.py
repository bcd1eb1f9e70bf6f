"""Streaming (issue 20): the step of to_streaming and the Stream layer give the offline model's numbers
for any chunking; the step saves, exports and converts to TFLite; what cannot stream is named."""

import warnings

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf
from hypothesis import given, settings
from hypothesis import strategies as st

import kapre_like as kl
from kapre_like import functional
from kapre_like.streaming import (OverlapAddStream, Stream, StreamBuffer, StreamingError, initial_states, is_frame_wise,
                                  stream_properties, to_streaming)
from kapre_like.synthetic import speech_like

from conftest import assert_says

CL = dict(input_data_format="channels_last", output_data_format="channels_last")
CF = dict(input_data_format="channels_first", output_data_format="channels_first")
SR = 16000


def speech(seconds, channels=1, layout="channels_last", seed=0):
    """A speech-like batch of one, ``(1, time, ch)`` or ``(1, ch, time)``, float32."""
    x = np.stack([speech_like(seconds, SR, seed=seed + c) for c in range(channels)]).astype(np.float32)
    return x[None].transpose(0, 2, 1) if layout == "channels_last" else x[None]


def run_step(step, signal, chunk, time_axis):
    """The step over ``signal`` in chunks of ``chunk`` samples (the rest dropped), outputs joined on axis
    ``out_axis`` (found as the axis that grows)."""
    states = [tf.convert_to_tensor(s) for s in initial_states(step, signal.shape[0])]
    pieces = []
    for start in range(0, signal.shape[time_axis] - chunk + 1, chunk):
        index = [slice(None)] * 3
        index[time_axis] = slice(start, start + chunk)
        output, *states = step([tf.convert_to_tensor(signal[tuple(index)]), *states])
        pieces.append(np.asarray(output))
    return pieces


def run_stream(stream, signal, splits, time_axis):
    """``stream`` over ``signal`` cut at ``splits``, then flushed; outputs as a list."""
    bounds = [0] + sorted(splits) + [signal.shape[time_axis]]
    pieces = []
    for start, stop in zip(bounds[:-1], bounds[1:]):
        index = [slice(None)] * 3
        index[time_axis] = slice(start, stop)
        pieces.append(np.asarray(stream(signal[tuple(index)])))
    pieces.append(np.asarray(stream.flush()))
    return pieces


def drop(array, count, axis):
    return np.take(array, range(count, array.shape[axis]), axis=axis)


# ----------------------------------------------------------------------------- state sizes


@pytest.mark.parametrize("win, hop, pad_begin", [(512, 128, 0), (512, 128, 384), (400, 160, 0), (400, 160, 240),
                                                 (256, 256, 0), (300, 7, 0), (300, 7, 293)])
def test_state_length_completes_whole_frames_on_the_offline_grid(win, hop, pad_begin):
    # brute force over the frame grid: S + k * hop samples hold exactly k frames, and the stream's frame j,
    # which starts S samples before the chunk's first sample, starts where offline frame j - warmup does
    state = functional.stream_state_length(win, hop, pad_begin)
    warmup = functional.stream_warmup_frames(win, hop, pad_begin)
    for k in (1, 2, 5):
        assert 1 + (state + k * hop - win) // hop == k
    # stream frame j starts at j * hop - state; offline frame t at t * hop - pad_begin
    assert (warmup * hop - state) == -pad_begin
    assert win - hop <= state < win or (hop >= win and state == 0)


def test_buffered_and_overlap_add_step_carry_exactly_what_is_owed():
    x = np.arange(20, dtype=np.float32)[None]
    state = tf.zeros((1, 3))
    buffers = []
    for start in range(0, 20, 4):
        buffer, state = functional.buffered(state, tf.constant(x[:, start:start + 4]))
        buffers.append(buffer.numpy())
    np.testing.assert_array_equal(buffers[-1], x[:, 13:20])  # the last 3 kept samples, then the chunk
    # overlap-add of frames of 6 samples, hop 2, streamed one frame at a time == tf.signal.overlap_and_add
    frames = np.random.default_rng(0).standard_normal((1, 7, 6)).astype(np.float32)
    tail = tf.zeros((1, 4))
    out = []
    for t in range(7):
        samples, tail = functional.overlap_add_step(tf.constant(frames[:, t]), tail)
        out.append(samples.numpy())
    streamed = np.concatenate(out + [tail.numpy()], -1)
    np.testing.assert_allclose(streamed, tf.signal.overlap_and_add(frames, 2).numpy(), atol=1e-6)


# ----------------------------------------------------------------------------- front ends equal offline


def mel_front_end(layout=CL, **kwargs):
    args = dict(input_shape=(None, 1) if layout is CL else (1, None), n_fft=400, hop_length=160, sample_rate=SR,
                n_mels=40, return_decibel=True, db_dynamic_range=None)
    args.update(kwargs)
    return kl.composed.get_melspectrogram_layer(**args, **layout)


@pytest.fixture(scope="module")
def mel16k():
    return mel_front_end()


@pytest.mark.parametrize("chunk_hops", [1, 3])
def test_mel_step_equals_offline_and_librosa_after_warmup(mel16k, chunk_hops):
    x = speech(1.0)
    step = to_streaming(mel16k, chunk_hops=chunk_hops)
    sizes = stream_properties(step)
    assert sizes == {"hop_length": 160, "state_length": 320, "warmup_frames": 2, "tail_length": 0}
    streamed = np.concatenate(run_step(step, x, 160 * chunk_hops, 1), axis=1)
    offline = mel16k(x).numpy()
    streamed = drop(streamed, 2, 1)
    n = streamed.shape[1]
    assert n >= offline.shape[1] - chunk_hops
    np.testing.assert_allclose(streamed, offline[:, :n], atol=1e-5 * max(1, np.abs(offline).max()))
    # the independent reference: librosa's mel (Kapre's magnitude mel, 10 log10)
    mel = librosa.feature.melspectrogram(y=x[0, :, 0], sr=SR, n_fft=400, hop_length=160, center=False, power=1.0,
                                         n_mels=40, htk=False, norm="slaney")
    reference = librosa.power_to_db(mel, ref=1.0, amin=1e-5, top_db=None).T
    np.testing.assert_allclose(streamed[0, :, :, 0], reference[:n], atol=2e-3)


@pytest.mark.parametrize("factory, layout, channels", [
    ("stft_magnitude", CF, 2), ("log_frequency", CL, 1), ("mfcc", CL, 1), ("mag_phase", CF, 1)])
def test_front_ends_stream_in_uneven_chunks(factory, layout, channels):
    shape = (None, channels) if layout is CL else (channels, None)
    common = dict(input_shape=shape, n_fft=512, hop_length=128, **layout)
    if factory == "stft_magnitude":
        model = kl.composed.get_stft_magnitude_layer(**common, return_decibel=True, db_dynamic_range=None)
    elif factory == "log_frequency":
        model = kl.composed.get_log_frequency_spectrogram_layer(**common, sample_rate=SR, log_n_bins=48,
                                                             log_f_min=200.0)
    elif factory == "mfcc":
        model = kl.composed.get_mfcc_layer(**common, sample_rate=SR, n_mels=40, n_mfcc=13, center=False,
                                           db_dynamic_range=None)
    else:
        model = kl.composed.get_stft_mag_phase(**common)
    layout_name = "channels_last" if layout is CL else "channels_first"
    time_axis = 1 if layout is CL else 2
    x = speech(0.7, channels, layout_name, seed=3)
    stream = Stream(model)
    assert stream.warmup_frames == 3
    rng = np.random.default_rng(7)
    splits = sorted(set(int(s) for s in rng.integers(1, x.shape[time_axis], 12)))
    streamed = drop(np.concatenate(run_stream(stream, x, splits, time_axis), axis=time_axis), 3, time_axis)
    offline = model(x).numpy()
    assert streamed.shape == offline.shape
    np.testing.assert_allclose(streamed, offline, atol=1e-5 * max(1, np.abs(offline).max()))


@settings(max_examples=12, deadline=None)
@given(n_fft=st.sampled_from([64, 100, 256]), hop_fraction=st.sampled_from([2, 3, 4, 8]),
       window=st.sampled_from(["hann_window", "hamming_window", "vorbis_window"]),
       pad_begin=st.booleans(), pad_end=st.booleans(), seed=st.integers(0, 2**16),
       chunk_hops=st.integers(1, 4))
def test_stft_streams_for_any_sizes_window_and_chunking(n_fft, hop_fraction, window, pad_begin, pad_end, seed,
                                                         chunk_hops):
    hop = max(1, n_fft // hop_fraction)
    model = kl.composed.get_stft_magnitude_layer(input_shape=(None, 1), n_fft=n_fft, hop_length=hop,
                                                 window_name=window, pad_begin=pad_begin, pad_end=pad_end, **CL)
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((1, int(rng.integers(n_fft, 6 * n_fft)), 1)).astype(np.float32)
    offline = model(x).numpy()
    warmup = functional.stream_warmup_frames(n_fft, hop, n_fft - hop if pad_begin else 0)
    # the Python path: uneven chunks, flushed
    splits = sorted(set(int(s) for s in rng.integers(1, x.shape[1], 5)))
    streamed = drop(np.concatenate(run_stream(Stream(model), x, splits, 1), axis=1), warmup, 1)
    assert streamed.shape == offline.shape
    np.testing.assert_allclose(streamed, offline, atol=1e-5 * max(1, np.abs(offline).max()))
    # the step: chunks of chunk_hops hops (the frames after the last whole chunk are not computed)
    step = to_streaming(model, chunk_hops=chunk_hops, verify=False)
    stepped = drop(np.concatenate(run_step(step, x, chunk_hops * hop, 1) or [offline[:, :0]], axis=1), warmup, 1)
    n = min(stepped.shape[1], offline.shape[1])
    np.testing.assert_allclose(stepped[:, :n], offline[:, :n], atol=1e-5 * max(1, np.abs(offline).max()))


@pytest.mark.parametrize("n_fft, hop", [(512, 128), (400, 160), (2048, 512)])
def test_centred_front_ends_stream_like_librosa(n_fft, hop):
    # center=True (librosa's and torch's framing) with zeros before the signal: the stream's frame j is the
    # offline frame j - warmup; the flush gives the frames the offline end padding makes
    model = kl.composed.get_mfcc_layer(input_shape=(None, 1), n_fft=n_fft, hop_length=hop, sample_rate=SR, n_mels=40,
                                       n_mfcc=13, db_dynamic_range=None, pad_mode="constant", **CL)
    assert model.layers[0].center
    x = speech(0.6, seed=n_fft)
    stream = Stream(model)
    warmup = stream.warmup_frames
    assert warmup == functional.stream_warmup_frames(n_fft, hop, n_fft // 2)
    splits = sorted(set(int(v) for v in np.random.default_rng(hop).integers(1, x.shape[1], 7)))
    streamed = drop(np.concatenate(run_stream(stream, x, splits, 1), axis=1), warmup, 1)
    offline = model(x).numpy()
    assert streamed.shape == offline.shape
    np.testing.assert_allclose(streamed, offline, atol=1e-5 * max(1, np.abs(offline).max()))
    mel = librosa.feature.melspectrogram(y=x[0, :, 0], sr=SR, n_fft=n_fft, hop_length=hop, center=True,
                                         pad_mode="constant", power=2.0, n_mels=40)
    reference = librosa.feature.mfcc(S=librosa.power_to_db(mel, amin=1e-10, top_db=None), n_mfcc=13).T
    np.testing.assert_allclose(streamed[0, :, :, 0], reference, atol=2e-3 * np.abs(reference).max())


# ----------------------------------------------------------------------------- inverse STFT


@pytest.mark.parametrize("n_fft, hop, layout", [(512, 128, CL), (256, 64, CF), (400, 100, CL), (300, 150, CF)])
def test_perfectly_reconstructing_pair_streams_to_the_input(n_fft, hop, layout):
    layout_name = "channels_last" if layout is CL else "channels_first"
    shape = (None, 2) if layout is CL else (2, None)
    stft, istft = kl.composed.get_perfectly_reconstructing_stft_istft(
        stft_input_shape=shape, n_fft=n_fft, hop_length=hop, waveform_data_format=layout_name,
        stft_data_format=layout_name)
    pair = keras.Sequential([keras.Input(shape), stft, istft])
    x = speech(0.5, 2, layout_name, seed=11)
    time_axis = 1 if layout is CL else 2
    stream = Stream(pair)
    assert stream.warmup_frames == 0
    rng = np.random.default_rng(n_fft)
    splits = sorted(set(int(s) for s in rng.integers(1, x.shape[time_axis], 9)))
    streamed = np.concatenate(run_stream(stream, x, splits, time_axis), axis=time_axis)
    offline = pair(x).numpy()
    assert streamed.shape == offline.shape
    np.testing.assert_allclose(streamed, offline, atol=1e-5)
    trim, length = n_fft - hop, x.shape[time_axis]
    np.testing.assert_allclose(np.take(streamed, range(trim, trim + length), axis=time_axis), x, atol=1e-5)


@keras.saving.register_keras_serializable(package="tests")
class MaskSpectrum(keras.layers.Layer):
    """complex spectrum times a real mask of the same shape (frame by frame)."""

    def call(self, inputs):
        spectrum, mask = inputs
        return spectrum * tf.cast(mask, spectrum.dtype)

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs[0].shape, dtype=inputs[0].dtype)


def masked_denoiser(n_fft=256, hop=64, pad_begin=True):
    waveform = keras.Input((None, 1))
    spectrum = kl.STFT(n_fft=n_fft, hop_length=hop, pad_begin=pad_begin, pad_end=True, **CL)(waveform)
    magnitude = kl.Magnitude()(spectrum)
    mask = keras.layers.Dense(1, activation="sigmoid", kernel_initializer="ones", bias_initializer="zeros")(magnitude)
    output = kl.InverseSTFT(n_fft=n_fft, hop_length=hop, **CL)(MaskSpectrum()([spectrum, mask]))
    return keras.Model(waveform, output)


@pytest.mark.parametrize("pad_begin", [True, False])
def test_mask_model_streams_equal_to_offline_after_the_latency(pad_begin):
    model = masked_denoiser(pad_begin=pad_begin)
    with pytest.raises(StreamingError) as info:
        to_streaming(model)
    assert_says(info, "MaskSpectrum", "frame_wise=(MaskSpectrum,)")
    step = to_streaming(model, chunk_hops=2, frame_wise=(MaskSpectrum,))
    x = speech(0.4, seed=5)
    offline = model(x).numpy()
    warmup = stream_properties(step)["warmup_frames"]
    assert warmup == (0 if pad_begin else 3)
    streamed = np.concatenate(run_step(step, x, 128, 1), axis=1)
    start = 0 if pad_begin else 256 - 64  # without pad_begin the offline inverse does not rebuild its first samples
    streamed = streamed[:, warmup * 64 + start:]
    n = streamed.shape[1]
    np.testing.assert_allclose(streamed, offline[:, start:start + n], atol=1e-5)


# ----------------------------------------------------------------------------- saving, export, TFLite


def test_step_saves_loads_and_exports(mel16k, tmp_path):
    step = to_streaming(mel16k, chunk_hops=2)
    x = speech(0.3)
    expected = run_step(step, x, 320, 1)
    path = str(tmp_path / "step.keras")
    step.save(path)
    loaded = keras.models.load_model(path)
    assert stream_properties(loaded) == stream_properties(step)
    for a, b in zip(run_step(loaded, x, 320, 1), expected):
        np.testing.assert_allclose(a, b, atol=1e-5)
    step.export(str(tmp_path / "saved"), verbose=False)
    serving = tf.saved_model.load(str(tmp_path / "saved")).serve
    states = initial_states(step, 1)
    output, state = serving([tf.constant(x[:, :320]), tf.constant(states[0])])
    np.testing.assert_allclose(output.numpy(), expected[0], atol=1e-5)


def tflite_runner(step):
    converter = tf.lite.TFLiteConverter.from_keras_model(step)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=converter.convert())
    return interpreter.get_signature_runner()


def test_tflite_front_end_step_runs_hop_by_hop_with_builtin_ops():
    model = keras.Sequential([
        keras.Input((None, 1)),
        kl.STFTTflite(n_fft=400, hop_length=160, **CL), kl.MagnitudeTflite(),
        kl.ApplyFilterbank("mel", {"sample_rate": SR, "n_freq": 201, "n_mels": 40}, data_format="channels_last"),
        kl.MagnitudeToDecibel(dynamic_range=None),
    ])
    step = to_streaming(model, chunk_hops=1)
    runner = tflite_runner(step)
    names = sorted(runner.get_output_details())
    x = np.concatenate([speech(0.5, seed=2), speech(0.5, seed=4)])  # a batch of two
    (state,) = initial_states(step, 2)
    frames = []
    for start in range(0, x.shape[1] - 159, 160):
        result = runner(chunk=x[:, start:start + 160], stft_state=state)
        output, state = (result[name] for name in names)
        frames.append(output)
    streamed = drop(np.concatenate(frames, 1), 2, 1)
    offline = model(x).numpy()
    np.testing.assert_allclose(streamed, offline[:, :streamed.shape[1]], atol=1e-3)  # dB; float32 direct DFT


# ----------------------------------------------------------------------------- bad input


def test_chunk_length_not_a_multiple_of_the_hop_is_refused_at_conversion(mel16k):
    with pytest.raises(ValueError) as info:
        to_streaming(mel16k, chunk_length=250)
    assert_says(info, "chunk_length`=250", "hop_length=160", "use 160 or 320", "Stream")
    assert stream_properties(to_streaming(mel16k, chunk_length=480))["hop_length"] == 160
    with pytest.raises(ValueError) as info:
        to_streaming(mel16k, chunk_hops=0)
    assert_says(info, "chunk_hops")


def test_state_of_the_wrong_shape_is_an_error_that_says_what_was_expected(mel16k):
    step = to_streaming(mel16k, chunk_hops=1)
    with pytest.raises(ValueError) as info:
        step([np.zeros((1, 160, 1), np.float32), np.zeros((1, 300, 1), np.float32)])
    assert_says(info, "`stft_state` must have shape (batch, 320, 1); got (1, 300, 1)")  # the step checks its inputs
    with pytest.raises(ValueError) as info:  # and the layer, called on its own
        StreamBuffer(320, time_axis=1)([tf.zeros((1, 300, 1)), tf.zeros((1, 160, 1))])
    assert_says(info, "state has shape (1, 300, 1)", "expected (1, 320, 1)", "initial_states")
    with pytest.raises(ValueError) as info:
        OverlapAddStream(192, time_axis=2)([tf.zeros((1, 2, 320)), tf.zeros((1, 1, 192))])
    assert_says(info, "overlap-add state has shape (1, 1, 192)", "expected (1, 2, 192)")
    stream = Stream(mel16k)
    with pytest.raises(ValueError) as info:
        stream(np.zeros((160, 1), np.float32))
    assert_says(info, "rank 3", "(160, 1)")


@pytest.mark.parametrize("make, names", [
    (lambda: keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=256, hop_length=64, **CL), kl.Magnitude(),
                               kl.Delta(data_format="channels_last")]), ["delta", "Delta", "frame_wise"]),
    (lambda: mel_front_end(db_dynamic_range=80.0), ["MagnitudeToDecibel", "dynamic_range=80", "db_dynamic_range=None"]),
    (lambda: kl.composed.get_stft_magnitude_layer(input_shape=(None, 1), n_fft=256, center=True, pad_mode="reflect",
                                                  **CL), ["center=True", "pad_mode='reflect'", "stft"]),
    (lambda: kl.composed.get_stft_magnitude_layer(input_shape=(None, 1), n_fft=256, hop_length=192, center=True,
                                                  **CL), ["hop_length=192 > n_fft // 2 = 128"]),
    (lambda: keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=256, hop_length=64, center=True, **CL),
                               kl.InverseSTFT(n_fft=256, hop_length=64, center=True, **CL)]),
     ["InverseSTFT", "center=True"]),
    (lambda: keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=256, hop_length=64, **CL), kl.Magnitude(),
                               keras.layers.Conv2D(2, 3, padding="same")]), ["conv2d", "Conv2D"]),
    (lambda: keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=256, hop_length=64, **CL),
                               kl.InverseSTFT(n_fft=256, hop_length=32, **CL)]), ["hop_length=32", "same frames"]),
])
def test_a_model_that_cannot_stream_is_refused_naming_the_layer(make, names):
    model = make()
    with pytest.raises(StreamingError) as info:
        to_streaming(model)
    assert_says(info, *names)


def test_a_layer_wrongly_declared_frame_wise_is_caught_by_the_verification():
    model = keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=256, hop_length=64, **CL), kl.Magnitude(),
                              keras.layers.Conv2D(1, (3, 1), padding="same", kernel_initializer="ones")])
    with pytest.raises(ValueError) as info:
        to_streaming(model, frame_wise=(keras.layers.Conv2D,))
    assert_says(info, "differs from the model", "reads other frames")


def test_not_a_model_and_unknown_channels_are_refused():
    with pytest.raises(TypeError) as info:
        to_streaming(kl.STFT())
    assert_says(info, "keras.Model", "STFT")
    model = kl.composed.get_stft_magnitude_layer(input_shape=(None, None), n_fft=256, **CL)
    with pytest.raises(StreamingError) as info:
        to_streaming(model)
    assert_says(info, "unknown number of channels")


def test_stream_round_trips_through_its_config_and_resets(mel16k):
    stream = Stream(mel16k)
    x = speech(0.2)
    first = np.asarray(stream(x))
    stream.reset_state()
    np.testing.assert_array_equal(np.asarray(stream(x)), first)
    clone = Stream.from_config(stream.get_config())
    np.testing.assert_allclose(np.asarray(clone(x)), first, atol=1e-6)
    with pytest.raises(RuntimeError) as info:
        Stream(mel16k).flush()
    assert_says(info, "nothing was streamed")


def test_inverse_stft_tflite_equals_inverse_stft():
    x = speech(0.3, 2, "channels_first", seed=9)
    forward = kl.STFT(n_fft=256, hop_length=64, pad_begin=True, pad_end=True, **CF)
    pairs_forward = kl.STFTTflite(n_fft=256, hop_length=64, pad_begin=True, pad_end=True, **CF)
    reference = kl.InverseSTFT(n_fft=256, hop_length=64, **CF)(forward(x)).numpy()
    pairs = kl.InverseSTFTTflite(n_fft=256, hop_length=64, **CF)(pairs_forward(x)).numpy()
    np.testing.assert_allclose(pairs, reference, atol=1e-5)
    np.testing.assert_allclose(pairs[..., 192:192 + x.shape[-1]], x, atol=1e-5)


def test_the_documented_loop_takes_numpy_and_tensor_chunks(mel16k):
    """frames, *states = step([chunk, *states]) with the states it gave back: NumPy chunks, tensor chunks, and
    float64 NumPy chunks (librosa's dtype) all give the offline frames after the warm-up."""
    x = speech(0.5)  # (1, time, 1) float32
    offline = np.asarray(mel16k(x))
    step = to_streaming(mel16k, chunk_hops=1)
    for convert in (lambda c: c, tf.constant, lambda c: c.astype(np.float64)):
        states = initial_states(step, batch_size=1)
        frames = []
        for start in range(0, x.shape[1] - 159, 160):
            output, *states = step([convert(x[:, start:start + 160]), *states])
            frames.append(np.asarray(output))
        streamed = np.concatenate(frames, axis=1)[:, 2:2 + offline.shape[1]]
        np.testing.assert_allclose(streamed, offline, atol=1e-4 * np.abs(offline).max())


def test_the_step_names_a_wrong_input():
    step = to_streaming(mel_front_end(), chunk_hops=1)
    state = initial_states(step, 1)[0]
    with pytest.raises(TypeError) as info:
        step([np.zeros((1, 160, 1), np.int16), state])
    assert_says(info, "`chunk` must be floating-point audio; got int16")
    with pytest.raises(ValueError) as info:
        step([np.zeros((2, 160, 1), np.float32), state])
    assert_says(info, "different batch sizes", "'chunk': 2", "'stft_state': 1", "initial_states(step, batch_size)")
    with pytest.raises(ValueError) as info:
        step([np.zeros((1, 1, 160), np.float32), state])
    assert_says(info, "`chunk` must have shape (batch, 160, 1); got (1, 1, 160)", "time and channels swapped")


@pytest.mark.parametrize("policy, dtype", [("float32", "float64"), ("mixed_float16", "float32")])
def test_stream_in_float64_and_under_mixed_float16(policy, dtype):
    x = speech(0.5).astype(dtype)
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy(policy)
    try:
        model = keras.Sequential([keras.Input((None, 1), dtype=dtype), mel_front_end()])
        offline = np.asarray(model(x), np.float64)
        stream = Stream(model)
        pieces = [stream(piece) for piece in np.array_split(x, 7, axis=1)] + [stream.flush()]
    finally:
        keras.config.set_dtype_policy(previous)
    assert pieces[0].dtype == model(x).dtype  # float64 stays float64; float16 features under mixed_float16
    streamed = np.concatenate([np.asarray(p, np.float64) for p in pieces], axis=1)[:, 2:2 + offline.shape[1]]
    tolerance = 1e-9 if dtype == "float64" else 0.13  # dB: one float16 step at 64-128 dB
    np.testing.assert_allclose(streamed, offline, atol=tolerance * (1 if policy == "mixed_float16" else
                                                                     np.abs(offline).max()))


@pytest.mark.parametrize("chunk, error, words", [
    (np.zeros((1, 160, 2), np.float32), ValueError, ["with 1 channel(s)", "got shape (1, 160, 2)"]),
    (np.zeros((1, 160, 1), np.int16), TypeError, ["floating-point audio; got int16", "32768"]),
    (np.zeros((1, 1, 160), np.float32), ValueError, ["input_data_format='channels_last'", "got shape (1, 1, 160)",
                                                     "time and channels swapped"]),
])
def test_stream_names_a_bad_chunk(mel16k, chunk, error, words):
    with pytest.raises(error) as info:
        Stream(mel16k)(chunk)
    assert_says(info, *words)


def test_stream_names_what_changed_mid_stream(mel16k):
    stream = Stream(mel16k)
    stream(np.zeros((1, 160, 1), np.float32))
    with pytest.raises(ValueError) as info:
        stream(np.zeros((2, 160, 1), np.float32))
    assert_says(info, "batch size changed mid-stream, from 1 to 2", "reset_state()")
    with pytest.raises(TypeError) as info:
        stream(np.zeros((1, 160, 1), np.float64))
    assert_says(info, "dtype changed mid-stream, from float32 to float64")
    stream.reset_state()
    assert stream(np.zeros((2, 160, 1), np.float64)).shape[0] == 2  # a new stream may differ


class _RollTime(keras.layers.Layer):
    """Declared frame-wise below, but it mixes frames: what verify must catch."""

    def call(self, x):
        return tf.roll(x, 1, axis=1)


@pytest.mark.parametrize("chunk_hops", [1, 64])
def test_verify_runs_whatever_the_chunk_also_for_a_fixed_input_length(chunk_hops):
    """A chunk longer than the model's fixed input (64 hops of 64 > 4000 samples) still gets a test signal long
    enough: the layer that mixes frames is caught, the honest model passes."""
    def model(*tail):
        return keras.Sequential([keras.Input((4000, 1)), kl.composed.get_stft_magnitude_layer(
            n_fft=256, hop_length=64, **CL), *tail])

    with pytest.raises(ValueError) as info:
        to_streaming(model(_RollTime()), chunk_hops=chunk_hops, frame_wise=(_RollTime,))
    assert_says(info, "differs from the model", "reads other frames than its own")
    step = to_streaming(model(), chunk_hops=chunk_hops)
    assert step.inputs[0].shape[1] == 64 * chunk_hops


class _SquareBins(keras.layers.Layer):
    """Each frame's bins squared: frame by frame, and says so."""

    frame_wise = True

    def call(self, inputs):
        return tf.square(inputs)


class _SquareBinsUndeclared(_SquareBins):
    frame_wise = False


def test_a_layer_that_declares_itself_frame_wise_streams_without_being_listed():
    model = keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=256, hop_length=64, **CL), kl.Magnitude(),
                              _SquareBins()])
    step = to_streaming(model, chunk_hops=2)  # verify=True: the step reproduces the model
    x = speech(0.25)
    warmup = stream_properties(step)["warmup_frames"]
    streamed = np.concatenate(run_step(step, x, 128, 1), axis=1)[:, warmup:]
    offline = model(x).numpy()
    n = min(streamed.shape[1], offline.shape[1])
    np.testing.assert_allclose(streamed[:, :n], offline[:, :n], rtol=1e-5, atol=1e-6)

    undeclared = keras.Sequential([keras.Input((None, 1)), kl.STFT(n_fft=256, hop_length=64, **CL), kl.Magnitude(),
                                   _SquareBinsUndeclared(name="squares")])
    with pytest.raises(StreamingError) as info:
        to_streaming(undeclared)
    assert_says(info, "to_streaming: layer 'squares' (_SquareBinsUndeclared) is not known to work frame by frame",
                "frame_wise=(_SquareBinsUndeclared,)")


def test_the_layers_declare_their_streaming_capability():
    assert is_frame_wise(kl.Magnitude()) and is_frame_wise(kl.ApplyFilterbank("mel", {"sample_rate": 16000,
                                                                                      "n_freq": 257}))
    assert is_frame_wise(kl.MagnitudeToDecibel(dynamic_range=None))
    decibel = kl.MagnitudeToDecibel(dynamic_range=80.0)
    assert not is_frame_wise(decibel) and not is_frame_wise(decibel, declared=(kl.MagnitudeToDecibel,))
    assert not is_frame_wise(kl.Delta()) and is_frame_wise(kl.Delta(), declared=(kl.Delta,))
    assert is_frame_wise(keras.layers.Dense(3)) and not is_frame_wise(keras.layers.Conv2D(1, 3))
