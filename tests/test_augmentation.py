"""SpecAugment and ChannelSwap: what they change in training, that they change nothing at inference."""

import keras
import numpy as np
import pytest

import kapre_like as kl

from conftest import assert_says, from_layout, to_layout

FORMATS = ["channels_last", "channels_first"]


def _runs(row):
    """(start, width) of each run of True in a 1-D boolean array."""
    edges = np.diff(np.concatenate([[0], row.astype(int), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1)
    return list(zip(starts, ends - starts))


def _spectrogram(batch=64, time=120, freq=80, channels=2, seed=0):
    """(batch, ch, time, freq) strictly positive, so that masked (zero) bins are recognisable."""
    return np.random.default_rng(seed).uniform(1.0, 2.0, (batch, channels, time, freq)).astype(np.float32)


@pytest.mark.parametrize("data_format", FORMATS)
def test_spec_augment_is_identity_at_inference(data_format):
    x = to_layout(_spectrogram(batch=4), data_format)
    layer = kl.SpecAugment(freq_mask_param=10, time_mask_param=20, n_freq_masks=3, n_time_masks=3,
                           data_format=data_format)
    for training in (None, False):
        np.testing.assert_array_equal(np.asarray(layer(x, training=training)), x)
    model = keras.Sequential([keras.Input(x.shape[1:]), layer])
    np.testing.assert_array_equal(model.predict(x, verbose=0), x)


@pytest.mark.parametrize("data_format", FORMATS)
def test_one_mask_per_axis_is_one_band_of_allowed_width_across_all_channels(data_format):
    x = _spectrogram(batch=400)
    layer = kl.SpecAugment(freq_mask_param=7, time_mask_param=11, data_format=data_format, seed=1)
    out = from_layout(np.asarray(layer(to_layout(x, data_format), training=True)), data_format)
    masked = out == 0.0
    assert np.all(out[~masked] == x[~masked])
    assert np.all(masked == masked[:, :1])  # every channel of an example has the same mask
    masked = masked[:, 0]  # (batch, time, freq)
    time_rows = masked.all(axis=2)  # frames masked across every frequency
    freq_rows = masked.all(axis=1)
    # everything masked is a masked frame or a masked bin
    np.testing.assert_array_equal(masked, time_rows[:, :, None] | freq_rows[:, None, :])
    for rows, limit, length in ((time_rows, 11, 120), (freq_rows, 7, 80)):
        widths = []
        for row in rows:
            runs = _runs(row)
            assert len(runs) <= 1
            widths.append(runs[0][1] if runs else 0)
        # widths are drawn from 0 ... limit inclusive; each value turns up in 400 draws
        assert set(widths) == set(range(limit + 1))


def test_several_masks_and_mask_value():
    x = _spectrogram(batch=1000, time=400, freq=300, channels=1)
    layer = kl.SpecAugment(freq_mask_param=5, time_mask_param=8, n_freq_masks=3, n_time_masks=2, mask_value=-7.0,
                           data_format="channels_first", seed=2)
    masked = np.asarray(layer(x, training=True))[:, 0] == -7.0
    time_rows, freq_rows = masked.all(axis=2), masked.all(axis=1)
    assert np.all([len(_runs(row)) <= 2 and row.sum() <= 2 * 8 for row in time_rows])
    assert np.all([len(_runs(row)) <= 3 and row.sum() <= 3 * 5 for row in freq_rows])
    # widths are uniform on 0 ... 5 (mean 2.5) and overlaps on 300 bins are rare: ~3 * 2.5 bins masked per row
    assert 7.1 < freq_rows.sum(axis=1).mean() < 7.9
    assert 0.5 < np.mean([len(_runs(row)) == 3 for row in freq_rows]) < 0.65  # (5/6)**3 = 0.58: all three non-empty


def test_spec_augment_is_reproducible_under_a_seed():
    x = _spectrogram(batch=8)

    def draws(seed):
        layer = kl.SpecAugment(10, 10, n_freq_masks=2, n_time_masks=2, data_format="channels_first", seed=seed)
        return [np.asarray(layer(x, training=True)) for _ in range(2)]

    first, second = draws(5), draws(5)
    np.testing.assert_array_equal(first[0], second[0])
    np.testing.assert_array_equal(first[1], second[1])
    assert not np.array_equal(first[0], first[1])  # the next call draws new masks
    assert not np.array_equal(first[0], draws(6)[0])


def test_spec_augment_trains_inside_fit():
    x = _spectrogram(batch=8, channels=1)
    model = keras.Sequential([keras.Input(x.shape[1:]),
                              kl.SpecAugment(10, 10, data_format="channels_first", seed=0),
                              keras.layers.Flatten(), keras.layers.Dense(1)])
    model.compile(optimizer="sgd", loss="mse")
    history = model.fit(x, np.zeros(8), epochs=2, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("shape", [(6, 3000), (6, 40, 30)], ids=["waveform", "spectrogram"])
def test_channel_swap_permutes_only_channels(data_format, shape):
    n_channels = shape[0]
    x = np.random.default_rng(0).standard_normal((50,) + shape).astype(np.float32)  # (batch, ch, ...)
    layer = kl.ChannelSwap(data_format=data_format, seed=3)
    np.testing.assert_array_equal(np.asarray(layer(to_layout(x, data_format))), to_layout(x, data_format))
    out = from_layout(np.asarray(layer(to_layout(x, data_format), training=True)), data_format)
    orders = []
    for example_in, example_out in zip(x, out):
        # each output channel is one input channel, unchanged, and each input channel is used once
        order = [int(np.flatnonzero([np.array_equal(o, i) for i in example_in])[0]) for o in example_out]
        assert sorted(order) == list(range(n_channels))
        orders.append(tuple(order))
    assert len(set(orders)) > 10  # examples draw their own permutations


def test_channel_swap_mono_and_seed():
    x = np.random.default_rng(1).standard_normal((4, 100, 1)).astype(np.float32)
    np.testing.assert_array_equal(np.asarray(kl.ChannelSwap(data_format="channels_last")(x, training=True)), x)
    stereo = np.random.default_rng(1).standard_normal((16, 100, 2)).astype(np.float32)
    a = kl.ChannelSwap(data_format="channels_last", seed=9)(stereo, training=True)
    b = kl.ChannelSwap(data_format="channels_last", seed=9)(stereo, training=True)
    np.testing.assert_array_equal(np.asarray(a), np.asarray(b))


@pytest.mark.parametrize("layer, shape, expected", [
    (lambda: kl.SpecAugment(5, 5, data_format="channels_last"), (100, 40),
     "SpecAugment expects input of shape (batch, time, freq, channels) with data_format='channels_last'; "
     "got shape (None, 100, 40): for (batch, time, freq) add a channel axis, x[:, :, :, None]"),
    (lambda: kl.SpecAugment(5, 5, data_format="channels_last"), (10, 100, 40, 1, 1),
     "got shape (None, 10, 100, 40, 1, 1), which has 6 axes, not 4"),
    (lambda: kl.ChannelSwap(data_format="channels_last"), (100,), "min_ndim=3"),
    (lambda: kl.ChannelSwap(data_format="channels_last"), (10, 100, 40, 1), "max_ndim=4"),
])
def test_wrong_rank_is_an_error_naming_the_expected_rank(layer, shape, expected):
    with pytest.raises(ValueError) as info:
        layer()(keras.Input(shape))
    assert_says(info, expected)


@pytest.mark.parametrize("data_format, shape, arg, size", [
    ("channels_last", (30, 8, 1), "freq_mask_param", "8"),
    ("channels_last", (6, 80, 1), "time_mask_param", "6"),
    ("channels_first", (1, 30, 8), "freq_mask_param", "8"),
    ("channels_first", (1, 6, 80), "time_mask_param", "6"),
])
def test_mask_param_larger_than_the_axis(data_format, shape, arg, size):
    with pytest.raises(ValueError) as info:
        kl.SpecAugment(freq_mask_param=10, time_mask_param=10, data_format=data_format)(keras.Input(shape))
    assert_says(info, f"`{arg}`", "(10)", f"({size},")
