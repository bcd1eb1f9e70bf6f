"""The route planner and every route of the spectrogram functions, each forced and compared with
NumPy on the same inputs; the data-format helper the layers share."""

import librosa
import numpy as np
import pytest
import tensorflow as tf

from kapre_like import functional
from kapre_like._layout import DataFormat
from kapre_like.functional import Strategy, plan

from conftest import assert_says
from reference import numpy_filtered_spectrogram, numpy_stft

ROUTES = {
    "auto": "auto",
    "plain": "plain",
    "chunked": "chunked",  # chunk size from the planner: one chunk for these short signals
    "chunks of 2": Strategy("chunked", frames_per_chunk=2),
    "chunks of 5": Strategy("chunked", frames_per_chunk=5),
    "conv": "conv",
}


def test_plan_chooses_and_says_why():
    whole = plan(16, 431, 2048)  # the reference workload: 16 x 10 s at 22 050 Hz
    assert (whole.route, whole.frames_per_chunk) == ("plain", 431)
    assert "54 MiB <= 256 MiB" in whole.reason
    long = plan(16, 26000, 2048)  # 16 x 10 min
    assert long.route == "chunked" and 1 < long.frames_per_chunk < 26000
    assert "> 256 MiB" in long.reason and f"{long.frames_per_chunk} frames" in long.reason
    unknown = plan(None, None, 512)
    assert (unknown.route, unknown.frames_per_chunk) == ("plain", None) and "unknown" in unknown.reason
    assert plan(16, 26000, 2048, complex_output=True).route == "plain"  # the STFT's output is whole anyway
    assert plan(1, 100, 512, strategy="conv") == Strategy("conv")
    assert plan(1, 100, 512, strategy=Strategy("chunked", 7)).frames_per_chunk == 7
    assert plan(1, 5, 512, strategy=Strategy("chunked", 7)).frames_per_chunk == 5  # no more than the frames


@pytest.mark.parametrize("strategy, words", [
    ("fast", ["`strategy`", "'fast'", "'chunked'"]),
    (Strategy, ["`strategy`"]),
])
def test_plan_rejects_unknown_strategies(strategy, words):
    with pytest.raises(ValueError) as info:
        plan(1, 10, 512, strategy=strategy)
    assert_says(info, *words)


def test_chunks_need_a_known_length():
    with pytest.raises(ValueError) as info:
        plan(1, None, 512, strategy="chunked")
    assert_says(info, "'chunked'", "time length known", "unknown length")
    with pytest.raises(ValueError) as info:
        tf.function(lambda x: functional.stft(x, 512, 512, 128, strategy="chunked"),
                    input_signature=[tf.TensorSpec([1, None])])(tf.zeros((1, 2000)))
    assert_says(info, "'chunked'")


@pytest.mark.parametrize("kwargs, words", [
    (dict(route="xla"), ["`route`", "'xla'", "'plain'"]),
    (dict(route="chunked", frames_per_chunk=0), ["`frames_per_chunk`", "0", ">= 1"]),
    (dict(route="chunked", frames_per_chunk=2.5), ["`frames_per_chunk`", "2.5"]),
])
def test_strategy_rejects_bad_fields(kwargs, words):
    with pytest.raises(ValueError) as info:
        Strategy(**kwargs)
    assert_says(info, *words)


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("n_fft, win_length, hop_length, pad_begin, pad_end", [
    (512, 512, 128, 0, False),
    (512, 400, 160, 0, True),
    (511, 511, 128, 383, True),
])
@pytest.mark.parametrize("channels_last", [False, True])
def test_every_stft_route_matches_numpy(waveforms, route, n_fft, win_length, hop_length, pad_begin, pad_end,
                                        channels_last):
    signals = waveforms[:2, :2, :3000]  # (batch, ch, time)
    window = tf.signal.hann_window(win_length, dtype=tf.float64).numpy()  # periodic, but symmetric for odd lengths
    expected = numpy_stft(signals, n_fft, win_length, hop_length, window, pad_begin, pad_end)
    inputs = np.swapaxes(signals, 1, 2) if channels_last else signals

    def transform(x):
        return functional.stft(x, n_fft, win_length, hop_length, pad_end=pad_end, pad_begin=pad_begin,
                               channels_last=channels_last, strategy=ROUTES[route], finite_message="bad input")

    for run in (transform, tf.function(transform)):
        got = np.asarray(run(tf.constant(inputs)))
        assert got.shape == expected.shape and got.dtype == np.complex64
        np.testing.assert_allclose(got, expected, atol=2e-3)
    bad = inputs.copy()
    bad[1, 1, 1] = np.inf
    with pytest.raises(tf.errors.InvalidArgumentError, match="bad input"):
        transform(tf.constant(bad))


@pytest.mark.parametrize("route", list(ROUTES))
@pytest.mark.parametrize("power", [1.0, 2.0])
def test_every_front_end_route_matches_numpy(waveforms, route, power):
    signals = waveforms[:3, :2, :4000].astype(np.float64)
    mel = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40).T
    expected = numpy_filtered_spectrogram(signals, 512, 400, 160, pad_end=True, filterbank=mel, power=power)
    decibel = dict(ref_value=1.0, amin=1e-10, dynamic_range=80.0, multiplier=10.0)
    expected_db = librosa.power_to_db(expected, ref=1.0, amin=1e-10, top_db=None)
    floor = expected_db.max(axis=(1, 2, 3), keepdims=True) - 80.0  # per batch item
    expected_db = np.maximum(expected_db, floor)

    def front_end(x, decibel=None):
        return functional.filtered_spectrogram(x, 512, 400, 160, pad_end=True, filterbank=mel, power=power,
                                               decibel=decibel, strategy=ROUTES[route], finite_message="bad input")

    for run in (front_end, tf.function(front_end)):
        got = np.asarray(run(tf.constant(signals, tf.float32)))
        assert got.shape == expected.shape
        np.testing.assert_allclose(got, expected, atol=2e-4 * np.abs(expected).max())
        got_db = np.asarray(run(tf.constant(signals), decibel))
        np.testing.assert_allclose(got_db, expected_db, atol=1e-6 if route != "conv" else 1e-4)


def test_stft_routes_agree_with_each_other(waveforms):
    # the same numbers from every route, on one input (float64: differences are the routes', not rounding's)
    x = tf.constant(waveforms[:2, :3, :5000].astype(np.float64))
    results = [np.asarray(functional.stft(x, 1024, 1024, 256, pad_begin=768, strategy=ROUTES[route]))
               for route in ROUTES]
    for result in results[1:]:
        np.testing.assert_allclose(result, results[0], atol=1e-9)


def test_arrays_numpy_integers_and_signals_without_a_frame(waveforms):
    x = waveforms[:2, 0, :3000]  # a NumPy array, not a tensor
    np.testing.assert_allclose(np.asarray(functional.stft(x, 512, 512, 128)), numpy_stft(x, 512, 512, 128), atol=2e-3)
    assert Strategy("chunked", np.int64(2)).frames_per_chunk == 2
    short = tf.zeros((1, 5))
    for strategy in ("plain", "conv"):  # no frame: an empty result on every route that can give one
        assert functional.stft(short, 16, 16, 4, strategy=strategy).shape == (1, 0, 9)
    assert plan(1, 0, 16, strategy="conv").route == "plain"


def test_earlier_names_give_the_same_numbers(waveforms):
    x = tf.constant(waveforms[:2, 0, :4000])
    stfts = functional.stft(x, 512, 512, 128)
    np.testing.assert_array_equal(functional.spectral_power(stfts, 2.0), functional.powered_magnitude(stfts, 2.0))
    np.testing.assert_array_equal(functional.filtered_magnitude(x, 512, 512, 128, exponent=2.0),
                                  functional.filtered_spectrogram(x, 512, 512, 128, power=2.0))
    pairs = functional.stft_real(x, 512, 512, 128)
    np.testing.assert_array_equal(pairs, functional.stft_pairs(x, 512, 512, 128))
    np.testing.assert_array_equal(functional.magnitude_real(pairs), functional.magnitude_of_pairs(pairs))
    np.testing.assert_array_equal(functional.phase_real(pairs), functional.phase_of_pairs(pairs))


@pytest.mark.parametrize("window", [None, "hann_window", "hamming_window", np.hamming(400)])
def test_windows_come_as_arrays(window):
    values = functional.window_values(window, 400)
    assert values.shape == (400,) and values.dtype == np.float64 and not values.flags.writeable
    named = {None: "hann_window", "hann_window": "hann_window", "hamming_window": "hamming_window"}
    if isinstance(window, str) or window is None:
        expected = functional.window_function(named[window])(400, dtype=tf.float64).numpy()
    else:
        expected = window
    np.testing.assert_array_equal(values, expected)
    with pytest.raises(ValueError) as info:
        functional.window_values(np.ones(10), 400)
    assert_says(info, "`window`", "400 values", "(10,)")


@pytest.mark.parametrize("name, time_axis, freq_axis, channel_axes", [
    ("channels_first", 2, 3, (1, 1)),
    ("channels_last", 1, 2, (2, 3)),
])
def test_data_format_helper(name, time_axis, freq_axis, channel_axes):
    layout = DataFormat(name)
    assert (layout.name, layout.original, layout.channels_last) == (name, name, name == "channels_last")
    assert (layout.time_axis, layout.freq_axis) == (time_axis, freq_axis)
    assert (layout.channel_axis(3), layout.channel_axis(4)) == channel_axes
    for channels_first_shape in [(2, 3, 100), (2, 3, 100, 129)]:
        x = tf.reshape(tf.range(np.prod(channels_first_shape), dtype=tf.float32), channels_first_shape)
        moved = layout.from_channels_first(x)
        expected = np.moveaxis(x.numpy(), 1, -1) if layout.channels_last else x.numpy()
        np.testing.assert_array_equal(moved, expected)
        np.testing.assert_array_equal(layout.to_channels_first(moved), x)
        assert layout.split_shape(moved.shape) == channels_first_shape
        assert layout.join_shape(*channels_first_shape) == tuple(moved.shape)


def test_data_format_helper_resolves_default_and_rejects_bad_values(image_data_format):
    import keras

    keras.config.set_image_data_format("channels_first")
    assert DataFormat("default").name == "channels_first" and DataFormat("default").original == "default"
    assert DataFormat(None, allow_none=True).name == "channels_first"
    with pytest.raises(TypeError) as info:
        DataFormat(3, "input_data_format", "STFT")
    assert_says(info, "STFT", "`input_data_format`", "must be a string", "3")
    with pytest.raises(ValueError) as info:
        DataFormat("channels_middle", "data_format", "Delta")
    assert_says(info, "Delta", "`data_format`", "'channels_middle'")
    with pytest.raises(ValueError) as info:
        DataFormat("default", "data_format", "STFTSpectrogram", allowed=("channels_last", "channels_first"))
    assert_says(info, "STFTSpectrogram", "`data_format`", "'default'", "'channels_last'")
