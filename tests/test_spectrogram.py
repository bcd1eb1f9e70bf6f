"""STFTSpectrogram and MelSpectrogram against scipy.signal.spectrogram and the Keras 3 layers."""

import keras
import numpy as np
import pytest
import scipy.signal
import tensorflow as tf

import kapre_like as kl

from conftest import assert_says

EPS = keras.config.epsilon()
BACKEND = keras.backend.backend()
#: The tests that trace with TensorFlow itself (tf.function, tf.data, tf.GradientTape); README's test command also
#: runs this file with KERAS_BACKEND=jax and torch, where they skip.
tensorflow_only = pytest.mark.skipif(BACKEND != "tensorflow", reason="traces with TensorFlow itself")


def as_numpy(outputs):
    return keras.ops.convert_to_numpy(outputs)


@pytest.fixture(scope="module")
def speech(waveforms):
    """(2, 8000) speech-like and noise, float32."""
    return waveforms[:2, :2].reshape(4, -1)[::2][:2]


def scipy_reference(x, mode, frame_length, frame_step, fft_length, periodic, scaling, window="hann"):
    """What STFTSpectrogram computes, from scipy.signal.spectrogram: (batch, frames, freq)."""
    win = scipy.signal.get_window(window, frame_length, fftbins=periodic)
    scipy_scaling = "spectrum" if scaling is None else scaling
    common = dict(fs=1.0, window=win, nperseg=frame_length, noverlap=frame_length - frame_step, nfft=fft_length,
                  detrend=False, return_onesided=True, scaling=scipy_scaling, axis=-1)
    undo = np.sum(win) if scaling is None else 1.0  # scipy always scales; None means the raw DFT
    if mode == "psd":
        _, _, out = scipy.signal.spectrogram(x.astype(np.float64), mode="psd", **common)
        out = out * undo**2
    else:
        _, _, z = scipy.signal.spectrogram(x.astype(np.float64), mode="complex", **common)
        z = z * undo
        magnitude = np.sqrt(np.maximum(np.abs(z) ** 2, EPS))
        out = {"real": z.real, "imag": z.imag, "angle": np.angle(z), "magnitude": magnitude,
               "log": np.log(np.maximum(magnitude, EPS)),
               "stft": np.concatenate([z.real, z.imag], axis=-2)}[mode]
    return np.swapaxes(out, -1, -2)


def _ours(x, **kwargs):
    layer = kl.STFTSpectrogram(data_format="channels_last", **kwargs)
    return as_numpy(layer(x[..., np.newaxis]))


def _assert_close(actual, expected, mode):
    if mode == "angle":  # compare on the circle; ill-defined where the magnitude is ~0
        difference = np.abs(np.angle(np.exp(1j * (actual - expected))))
        assert np.mean(difference > 1e-3) < 1e-3
    else:
        if mode == "log":  # float32 rounding of the quietest bins is large in log terms: compare magnitudes
            actual, expected = np.exp(actual), np.exp(expected)
        scale = np.max(np.abs(expected))
        np.testing.assert_allclose(actual, expected, atol=2e-5 * scale + 1e-6, rtol=0)


SIZES = [(256, 128, 512), (400, 160, 400), (300, 100, 301), (512, 512, None), (255, 64, None)]


@pytest.mark.parametrize("mode", kl.spectrogram.STFT_MODES)
@pytest.mark.parametrize("frame_length, frame_step, fft_length", SIZES)
def test_every_mode_matches_scipy(speech, mode, frame_length, frame_step, fft_length):
    kwargs = dict(mode=mode, frame_length=frame_length, frame_step=frame_step, fft_length=fft_length)
    expected = scipy_reference(speech, mode, frame_length, frame_step, fft_length or 2 ** int(np.ceil(np.log2(frame_length))),
                               periodic=False, scaling="density")
    actual = _ours(speech, **kwargs)
    assert actual.shape == expected.shape
    _assert_close(actual, expected, mode)


@pytest.mark.parametrize("mode", ["psd", "magnitude", "stft"])
@pytest.mark.parametrize("scaling", ["density", "spectrum", None])
@pytest.mark.parametrize("periodic", [False, True])
@pytest.mark.parametrize("window", ["hann", "hamming"])
def test_scaling_periodic_and_window_match_scipy(speech, mode, scaling, periodic, window):
    kwargs = dict(mode=mode, frame_length=400, frame_step=160, fft_length=512, scaling=scaling, periodic=periodic,
                  window=window)
    _assert_close(_ours(speech, **kwargs), scipy_reference(speech, mode, 400, 160, 512, periodic, scaling, window), mode)


def test_array_and_no_window(speech):
    window = np.kaiser(300, 8.0)
    _, _, expected = scipy.signal.spectrogram(speech, window=window, nperseg=300, noverlap=200, nfft=512,
                                              detrend=False, mode="magnitude")
    actual = _ours(speech, mode="magnitude", frame_length=300, frame_step=100, fft_length=512, window=window)
    _assert_close(actual, np.swapaxes(np.sqrt(np.maximum(expected**2, EPS)), -1, -2), "magnitude")
    _, _, expected = scipy.signal.spectrogram(speech, window="boxcar", nperseg=256, noverlap=128, nfft=256,
                                              detrend=False, mode="psd", scaling="spectrum")
    _assert_close(_ours(speech, mode="psd", window=None, scaling="spectrum"), np.swapaxes(expected, -1, -2), "psd")


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
@pytest.mark.parametrize("expand_dims", [False, True])
@pytest.mark.parametrize("padding", ["valid", "same"])
@pytest.mark.parametrize("mode", ["log", "stft", "psd"])
def test_layouts_and_padding_match_keras(waveforms, data_format, expand_dims, padding, mode):
    x = waveforms[:2, :3, :6001]  # (batch, channels, time)
    x_ours = x if data_format == "channels_first" else np.swapaxes(x, 1, 2)
    kwargs = dict(mode=mode, frame_length=300, frame_step=128, fft_length=512, window="hamming", padding=padding,
                  expand_dims=expand_dims)
    ours = kl.STFTSpectrogram(data_format=data_format, **kwargs)
    actual = as_numpy(ours(x_ours))
    # The reference runs channels_last only: Keras's channels_first layer is an NCHW Conv2D, which TensorFlow
    # does not implement on the CPU. Its channels_first output is its channels_last one with the axes moved
    # (the output shapes Keras documents), so that is what ours is compared with.
    expected = as_numpy(keras.layers.STFTSpectrogram(data_format="channels_last", **kwargs)(np.swapaxes(x, 1, 2)))
    if data_format == "channels_first":
        # (b, time, freq, ch) -> (b, ch, time, freq); (b, time, ch * freq) -> (b, ch * freq, time)
        expected = np.transpose(expected, (0, 3, 1, 2) if expand_dims else (0, 2, 1))
    assert actual.shape == expected.shape == ours.compute_output_shape(x_ours.shape)
    _assert_close(actual, expected, mode)


def test_weights_are_interchangeable_with_keras(waveforms):
    x = np.swapaxes(waveforms[:2, :1], 1, 2)
    kwargs = dict(mode="magnitude", frame_length=256, frame_step=64, data_format="channels_last")
    keras_layer = keras.layers.STFTSpectrogram(**kwargs)
    keras_layer.build(x.shape)
    rng = np.random.default_rng(0)
    keras_layer.set_weights([w + rng.normal(0, 0.01, w.shape).astype(w.dtype) for w in keras_layer.get_weights()])
    ours = kl.STFTSpectrogram(**kwargs)
    ours.build(x.shape)
    assert [w.path.split("/")[-1] for w in ours.weights] == [w.path.split("/")[-1] for w in keras_layer.weights]
    ours.set_weights(keras_layer.get_weights())
    np.testing.assert_allclose(as_numpy(ours(x)), as_numpy(keras_layer(x)), rtol=1e-4, atol=1e-5)


def test_seed_examples_give_their_shapes():
    x = lambda channels: keras.random.uniform(shape=(3, 160000, channels))  # noqa: E731
    layer = kl.STFTSpectrogram(mode="log", frame_length=256, frame_step=128, fft_length=512, window="hann",
                               padding="valid", trainable=False, data_format="channels_last")
    assert tuple(layer(x(1)).shape) == (3, 1249, 257)
    layer = kl.STFTSpectrogram(mode="log", frame_length=256, frame_step=128, fft_length=512, window="hamming",
                               padding="same", trainable=True, data_format="channels_last")
    assert tuple(layer(x(2)).shape) == (3, 1250, 514)
    layer = kl.STFTSpectrogram(mode="log", frame_length=256, frame_step=128, fft_length=512, padding="same",
                               expand_dims=True, data_format="channels_last")
    assert tuple(layer(x(3)).shape) == (3, 1250, 257, 3)


@pytest.mark.parametrize("data_format", ["channels_last", "channels_first"])
def test_seven_channels_are_seven_independent_runs(waveforms, data_format):
    x = np.concatenate([waveforms[:2], waveforms[:2, :1]], axis=1)  # (2, 7, time)
    layout = (lambda a: a) if data_format == "channels_first" else (lambda a: np.swapaxes(a, 1, 2))
    kwargs = dict(mode="log", frame_length=256, frame_step=100, data_format=data_format)
    singles = [as_numpy(kl.STFTSpectrogram(**kwargs)(layout(x[:, c:c + 1]))) for c in range(7)]
    stacked_axis = 1 if data_format == "channels_first" else 2
    np.testing.assert_allclose(as_numpy(kl.STFTSpectrogram(**kwargs)(layout(x))),
                               np.concatenate(singles, axis=stacked_axis), atol=1e-5)
    expanded = as_numpy(kl.STFTSpectrogram(expand_dims=True, **kwargs)(layout(x)))
    channel_axis = 1 if data_format == "channels_first" else 3
    singles = [as_numpy(kl.STFTSpectrogram(expand_dims=True, **kwargs)(layout(x[:, c:c + 1]))) for c in range(7)]
    np.testing.assert_allclose(expanded, np.concatenate(singles, axis=channel_axis), atol=1e-5)


def test_dynamic_time_length(waveforms):
    model = keras.Sequential([keras.Input((None, 1)),
                              kl.STFTSpectrogram(mode="magnitude", frame_length=256, data_format="channels_last")])
    assert model.output_shape == (None, None, 129)
    for length in (1000, 4321):
        x = np.swapaxes(waveforms[:2, :1, :length], 1, 2)
        assert model.predict(x, verbose=0).shape == (2, 1 + (length - 256) // 128, 129)


@pytest.mark.parametrize("kwargs, arg", [
    (dict(mode="power"), "mode"),
    (dict(scaling="psd"), "scaling"),
    (dict(padding="causal"), "padding"),
    (dict(data_format="channels_middle"), "data_format"),
    (dict(window="no-such-window"), "window"),
    (dict(window=np.ones(100)), "window"),
])
def test_stft_spectrogram_bad_arguments(kwargs, arg):
    with pytest.raises(ValueError) as info:
        kl.STFTSpectrogram(**kwargs)
    assert_says(info, f"`{arg}`")


@pytest.mark.parametrize("kwargs, words", [
    (dict(frame_length=256, frame_step=300), ["`frame_step`", "frame_step=300", "frame_length=256"]),
    (dict(frame_length=256, frame_step=0), ["`frame_step`", "frame_step=0"]),
    (dict(frame_length=256, fft_length=128), ["`fft_length`", "not less than `frame_length`", "fft_length=128"]),
    (dict(frame_length=0), ["`frame_length`", ">= 1"]),
])
def test_stft_spectrogram_bad_sizes(kwargs, words):
    with pytest.raises(ValueError) as info:
        kl.STFTSpectrogram(**kwargs)
    assert_says(info, *words)


@pytest.mark.parametrize("layer", [lambda: kl.STFTSpectrogram(data_format="channels_last"), kl.MelSpectrogram])
@pytest.mark.parametrize("dtype", ["int16", "int32"])
def test_non_float_input_is_a_type_error(layer, dtype):
    shape = (2, 4000, 1) if isinstance(layer(), kl.STFTSpectrogram) else (2, 4000)
    with pytest.raises(TypeError) as info:
        layer()(np.zeros(shape, dtype))
    assert_says(info, "float16", "float32", "float64", dtype)
    with pytest.raises(TypeError):
        layer()(keras.Input(shape[1:], dtype=dtype))


# ---------------------------------------------------------------- MelSpectrogram

MEL_CASES = [
    dict(),
    dict(fft_length=1024, sequence_stride=256, sequence_length=800, num_mel_bins=64, sampling_rate=16000),
    dict(fft_length=512, sequence_stride=160, window="hamming", num_mel_bins=40, min_freq=0.0, max_freq=4000.0),
    dict(fft_length=512, sequence_stride=128, window=None, power_to_db=False, mag_exp=1.0),
    dict(fft_length=400, sequence_stride=100, top_db=40.0, ref_power=3.0, min_power=1e-6, num_mel_bins=32),
    dict(fft_length=511, sequence_stride=128, mag_exp=1.5, num_mel_bins=32),  # odd FFT, a fractional exponent
    dict(fft_length=512, sequence_stride=128, mag_exp=0.5, power_to_db=False, min_freq=0.0),  # a root of DC too
]


@pytest.mark.parametrize("kwargs", MEL_CASES)
@pytest.mark.parametrize("shape", [(3, 8000), (8000,), (2, 7999)], ids=["batched", "unbatched", "odd"])
def test_mel_spectrogram_matches_keras(waveforms, kwargs, shape):
    if BACKEND != "tensorflow" and kwargs.get("fft_length", 2048) % 2:
        pytest.skip("Keras's own MelSpectrogram gives other numbers on JAX and PyTorch than on TensorFlow for an odd "
                    "fft_length (0.06 dB to 1 dB, measured with Keras 3.15); ours gives TensorFlow's on every backend "
                    "(tests/test_backends.py)")
    x = waveforms[:int(np.prod(shape[:-1])), 0, :shape[-1]].reshape(shape)
    ours, theirs = kl.MelSpectrogram(**kwargs), keras.layers.MelSpectrogram(**kwargs)
    actual, expected = as_numpy(ours(x)), as_numpy(theirs(x))
    assert actual.shape == expected.shape == ours.compute_output_shape(x.shape)
    if kwargs.get("power_to_db", True):
        np.testing.assert_allclose(actual, expected, atol=2e-3)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * np.max(expected))


@pytest.mark.parametrize("kwargs", MEL_CASES)
@tensorflow_only
def test_mel_spectrogram_in_a_graph_matches_keras(waveforms, kwargs):
    # traced into a graph, the frames, power, mel and decibels run chunk by chunk (XLA)
    x = waveforms[:3, 0, :8000]
    actual = np.asarray(tf.function(kl.MelSpectrogram(**kwargs))(x))
    expected = as_numpy(keras.layers.MelSpectrogram(**kwargs)(x))
    if kwargs.get("power_to_db", True):
        np.testing.assert_allclose(actual, expected, atol=2e-3)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-5 * np.max(expected))


def test_mel_spectrogram_of_silence_matches_keras():
    x = np.zeros((2, 4000), np.float32)
    actual = as_numpy(kl.MelSpectrogram()(x))
    np.testing.assert_allclose(actual, as_numpy(keras.layers.MelSpectrogram()(x)), atol=1e-4)
    np.testing.assert_allclose(actual, -100.0, atol=1e-4)  # 10 log10(min_power), finite


def test_mel_matrix_is_htk_with_unit_peaks():
    matrix = kl.filters.mel_weight_matrix(40, 1025, 22050, 20.0, 11025.0)
    np.testing.assert_allclose(matrix, tf.signal.linear_to_mel_weight_matrix(40, 1025, 22050, 20.0, 11025.0,
                                                                             dtype=tf.float64), atol=1e-12)
    # band k peaks where the HTK mel of the bin frequency is the k-th of 42 equally spaced mels
    htk_mel = 2595.0 * np.log10(1.0 + np.linspace(0, 11025.0, 1025) / 700.0)
    centres = np.linspace(2595.0 * np.log10(1 + 20.0 / 700), 2595.0 * np.log10(1 + 11025.0 / 700), 42)[1:-1]
    peaks = np.argmax(matrix, axis=0)
    nearest = np.abs(htk_mel[:, None] - centres[None, :]).argmin(axis=0)
    assert np.all(np.abs(peaks - nearest) <= 1)
    assert np.all(matrix[0] == 0) and np.all(matrix.max(axis=0) <= 1.0) and np.all(matrix.max(axis=0) > 0.5)


@pytest.mark.parametrize("symbolic", [False, True])
def test_mel_fft_shorter_than_sequence(symbolic):
    with pytest.raises(ValueError) as info:
        layer = kl.MelSpectrogram(fft_length=512, sequence_length=1024)
        layer(keras.Input((4000,)) if symbolic else np.zeros((1, 4000), np.float32))
    assert_says(info, "`fft_length`", "`sequence_length`", "1024", "512")


@pytest.mark.parametrize("kwargs, words", [
    (dict(window="blackman"), ["`window`", "'hann'", "'hamming'"]),
    (dict(min_freq=9000.0, max_freq=8000.0), ["`min_freq`", "`max_freq`", "9000.0"]),
    (dict(num_mel_bins=0), ["`num_mel_bins`", ">= 1"]),
    (dict(sampling_rate=0), ["`sampling_rate`", "> 0"]),
    (dict(sequence_stride=-1), ["`sequence_stride`", ">= 1"]),
])
def test_mel_spectrogram_bad_arguments(kwargs, words):
    with pytest.raises(ValueError) as info:
        kl.MelSpectrogram(**kwargs)
    assert_says(info, *words)


# ---------------------------------------------------------------- both layers in models and pipelines

def _layers():
    return {
        "stft": (lambda: kl.STFTSpectrogram(mode="log", frame_length=256, fft_length=300, window="hamming",
                                            padding="same", data_format="channels_last"), (4000, 1)),
        "mel": (lambda: kl.MelSpectrogram(fft_length=512, sequence_stride=128, num_mel_bins=40), (4000,)),
    }


@pytest.mark.parametrize("name", ["stft", "mel"])
def test_keras_round_trip_and_config(tmp_path, waveforms, name):
    make, shape = _layers()[name]
    x = waveforms[:2, 0, :4000].reshape((2,) + shape)
    model = keras.Sequential([keras.Input(shape), make()])
    path = str(tmp_path / "model.keras")
    model.save(path)
    loaded = keras.models.load_model(path)
    np.testing.assert_array_equal(as_numpy(loaded(x)), as_numpy(model(x)))
    layer = model.layers[-1]
    assert type(layer).from_config(layer.get_config()).get_config() == layer.get_config()


def test_array_window_survives_the_round_trip(tmp_path, waveforms):
    x = np.swapaxes(waveforms[:2, :1, :4000], 1, 2)
    model = keras.Sequential([keras.Input((4000, 1)), kl.STFTSpectrogram(window=np.kaiser(256, 5.0),
                                                                         data_format="channels_last")])
    model.save(tmp_path / "model.keras")
    np.testing.assert_array_equal(as_numpy(keras.models.load_model(tmp_path / "model.keras")(x)),
                                  as_numpy(model(x)))


@tensorflow_only
@pytest.mark.parametrize("name", ["stft", "mel"])
def test_inside_tf_data(waveforms, name):
    make, shape = _layers()[name]
    layer = make()
    x = waveforms[:4, 0, :4000].reshape((4,) + shape)
    # per batch of 2: MelSpectrogram's decibel floor, like Keras's, follows the whole batch's maximum
    expected = np.concatenate([as_numpy(layer(x[:2])), as_numpy(layer(x[2:]))])
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(2).map(layer)
    # tf.data traces the layer: a graph may take another float32 route than the eager call
    np.testing.assert_allclose(np.concatenate([np.asarray(b) for b in dataset]), expected,
                               rtol=1e-4, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("trainable", [True, False])
def test_first_layer_of_a_model_that_trains(waveforms, trainable):
    x = np.swapaxes(waveforms[:8, :1, :4000], 1, 2)
    y = np.arange(8) % 2
    front = kl.STFTSpectrogram(mode="log", frame_length=256, data_format="channels_last", trainable=trainable)
    model = keras.Sequential([keras.Input((4000, 1)), front, keras.layers.GlobalAveragePooling1D(),
                              keras.layers.Dense(2)])
    model.compile(optimizer=keras.optimizers.Adam(1e-2),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    before = [keras.ops.convert_to_numpy(w) for w in front.weights]
    assert len(front.trainable_weights) == (2 if trainable else 0)
    if BACKEND == "tensorflow":  # (fit below trains on every backend)
        with tf.GradientTape() as tape:
            loss = model.compute_loss(x=x, y=y, y_pred=model(x, training=True))
        gradients = tape.gradient(loss, front.trainable_weights)
        assert all(g is not None and np.all(np.isfinite(g)) and np.any(g != 0) for g in gradients)
    history = model.fit(x, y, epochs=3, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    changed = [not np.array_equal(b, keras.ops.convert_to_numpy(w)) for b, w in zip(before, front.weights)]
    assert all(changed) if trainable else not any(changed)
