"""Every layer and factory compiles whole with XLA (``jit_compile=True``) and gives the numbers of its
plain call, within float32 tolerance."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from test_composed import FACTORIES
from test_serialization import CASES


def _assert_same_numbers(actual, expected):
    actual, expected = np.asarray(actual), np.asarray(expected)
    assert actual.shape == expected.shape and actual.dtype == expected.dtype
    if np.issubdtype(expected.dtype, np.integer):
        np.testing.assert_array_equal(actual, expected)
    else:
        np.testing.assert_allclose(actual, expected, rtol=1e-4, atol=1e-4 * max(np.abs(expected).max(), 1.0))


@pytest.mark.parametrize("case", sorted(CASES))
def test_every_layer_compiles_with_xla(case):
    make_layer, make_input, dtype = CASES[case]
    x = tf.constant(make_input())
    layer = make_layer()
    expected = tf.function(layer)(x)
    _assert_same_numbers(tf.function(layer, jit_compile=True)(x), expected)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_every_factory_compiles_with_xla(waveforms, name):
    model = FACTORIES[name]()
    x = tf.constant(np.swapaxes(waveforms[:3, :2, :4000], 1, 2))
    _assert_same_numbers(tf.function(model, jit_compile=True)(x), tf.function(model)(x))


def test_model_compiled_with_jit_compile_predicts_and_trains(waveforms):
    front = FACTORIES["melspectrogram"]()
    model = keras.Sequential([keras.Input((4000, 2)), front, keras.layers.Flatten(), keras.layers.Dense(2)])
    x = np.swapaxes(waveforms[:4, :2, :4000], 1, 2)
    expected = model.predict(x, verbose=0)
    model.compile(optimizer="sgd", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                  jit_compile=True)
    _assert_same_numbers(model.predict(x, verbose=0), expected)
    history = model.fit(x, np.array([0, 1, 0, 1]), epochs=1, verbose=0)
    assert np.isfinite(history.history["loss"][0])


@pytest.mark.parametrize("name", ["melspectrogram", "stft_magnitude"])
def test_bad_input_under_xla_comes_out_as_nan_not_numbers(waveforms, name):
    # XLA drops TensorFlow's run-time assertions (docs/export.rst): NaN in the input cannot raise there,
    # but it must not vanish either (no silent zeros or finite numbers where a frame read it)
    model = FACTORIES[name]()
    x = np.swapaxes(waveforms[:1, :2, :4000], 1, 2).copy()
    x[0, 1000, 0] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="NaN or Inf"):
        np.asarray(tf.function(model)(tf.constant(x)))
    result = np.asarray(tf.function(model, jit_compile=True)(tf.constant(x)))
    assert np.isnan(result).any()


@pytest.mark.parametrize("strategy", ["plain", "conv"])
def test_griffin_lim_and_inverse_mel_loops_compile_with_xla(strategy):
    # their iterations are tf.while_loops (one step in the graph, whatever n_iter): XLA compiles the loop
    import kapre_like as kl

    layout = dict(input_data_format="channels_last", output_data_format="channels_last")
    magnitudes = tf.constant(np.abs(np.random.default_rng(0).standard_normal((2, 20, 257, 1))).astype(np.float32))
    layer = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=5, init="zeros", strategy=strategy, **layout)
    _assert_same_numbers(tf.function(layer, jit_compile=True)(magnitudes), tf.function(layer)(magnitudes))
    mel = tf.constant(np.abs(np.random.default_rng(1).standard_normal((2, 20, 40, 1))).astype(np.float32))
    inverse = kl.InverseMelScale(sample_rate=16000, n_fft=512, n_mels=40, n_iter=10, data_format="channels_last")
    _assert_same_numbers(tf.function(inverse, jit_compile=True)(mel), tf.function(inverse)(mel))
