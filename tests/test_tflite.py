"""The TFLite layers convert with built-in ops only and give the ordinary layers' numbers in the interpreter."""

import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl

from conftest import to_layout

FORMATS = ["channels_last", "channels_first"]


def convert_builtins_only(model):
    """TFLite flatbuffer of ``model`` made with TFLite built-in ops only (no Select TF ops)."""
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    return converter.convert()


def make_interpreter(flatbuffer):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf.lite.Interpreter's own deprecation notice
        return tf.lite.Interpreter(model_content=flatbuffer)


def run_tflite(interpreter, x):
    """Outputs of the interpreter's serving signature for input ``x`` (any shape), in model order."""
    runner = interpreter.get_signature_runner()
    (input_name,) = runner.get_input_details()
    outputs = runner(**{input_name: x})
    return [outputs[name] for name in sorted(outputs, key=lambda n: int(n.rsplit("_", 1)[-1]))]


def op_names(interpreter):
    return {op["op_name"] for op in interpreter._get_ops_details()}


def _tflite_front_end(stft_kwargs, input_format, output_format):
    """Model: waveform (any batch, channels and length) -> STFT pairs, magnitude, approximate phase."""
    waveform = keras.Input((None, None))
    stft = kl.STFTTflite(input_data_format=input_format, output_data_format=output_format, **stft_kwargs)(waveform)
    return keras.Model(waveform, [stft, kl.MagnitudeTflite()(stft), kl.PhaseTflite(approx_atan_accuracy=12)(stft)])


GRID = [
    dict(n_fft=1000, win_length=win, hop_length=hop, pad_end=pad_end)
    for win in (1000, 512)
    for hop in (None, 256)
    for pad_end in (False, True)
]


@pytest.mark.parametrize("output_format", FORMATS)
@pytest.mark.parametrize("input_format", FORMATS)
@pytest.mark.parametrize("stft_kwargs", GRID, ids=lambda kw: "win{win_length}-hop{hop_length}-pad{pad_end}".format(**kw))
def test_interpreter_matches_ordinary_layers(waveforms, stft_kwargs, input_format, output_format):
    interpreter = make_interpreter(convert_builtins_only(_tflite_front_end(stft_kwargs, input_format, output_format)))
    assert not {name for name in op_names(interpreter) if name.startswith("Flex") or name == "CUSTOM"}
    stft = kl.STFT(input_data_format=input_format, output_data_format=output_format, **stft_kwargs)
    for batch, channels in ((1, 1), (2, 2)):
        x = to_layout(waveforms[:batch, :channels, :6000], input_format)
        expected = np.asarray(stft(x))
        pairs, magnitude, phase = run_tflite(interpreter, x)
        assert pairs.shape == expected.shape + (2,)
        np.testing.assert_allclose(pairs[..., 0] + 1j * pairs[..., 1], expected, atol=1e-3, rtol=0)
        np.testing.assert_allclose(magnitude, np.asarray(kl.Magnitude()(expected)), atol=1e-4, rtol=0)
        phase_error = np.abs(np.angle(np.exp(1j * (phase - np.asarray(kl.Phase(approx_atan_accuracy=12)(expected))))))
        assert np.mean(phase_error > 1e-2) < 0.01


def test_exact_phase_uses_builtin_atan2(waveforms):
    waveform = keras.Input((None, 1))
    stft = kl.STFTTflite(n_fft=512, input_data_format="channels_last", output_data_format="channels_last")(waveform)
    interpreter = make_interpreter(convert_builtins_only(keras.Model(waveform, kl.PhaseTflite()(stft))))
    assert "ATAN2" in op_names(interpreter)
    x = np.swapaxes(waveforms[:3, :1], 1, 2)
    expected = np.angle(np.asarray(kl.STFT(n_fft=512, input_data_format="channels_last",
                                           output_data_format="channels_last")(x)))
    (phase,) = run_tflite(interpreter, x)
    assert np.mean(np.abs(np.angle(np.exp(1j * (phase - expected)))) > 1e-2) < 0.01


def test_trained_weights_move_to_the_tflite_model(waveforms):
    """Train with STFT/Magnitude, copy the weights into a model built from the TFLite layers, convert."""

    def classifier(stft_layer, magnitude_layer):
        waveform = keras.Input((4000, 1))
        x = magnitude_layer(stft_layer(waveform))
        x = keras.layers.GlobalAveragePooling2D()(keras.layers.Reshape((-1, 129, 1))(x))
        return keras.Model(waveform, keras.layers.Dense(3)(x))

    stft_args = dict(n_fft=256, hop_length=128, input_data_format="channels_last", output_data_format="channels_last")
    trained = classifier(kl.STFT(**stft_args), kl.Magnitude())
    trained.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    x = np.swapaxes(waveforms[:6, :1, :4000], 1, 2)
    trained.fit(x, np.arange(6) % 3, epochs=2, verbose=0)

    deployed = classifier(kl.STFTTflite(**stft_args), kl.MagnitudeTflite())
    deployed.set_weights(trained.get_weights())
    interpreter = make_interpreter(convert_builtins_only(deployed))
    (logits,) = run_tflite(interpreter, x)
    np.testing.assert_allclose(logits, np.asarray(trained(x)), atol=1e-4)


def test_approximate_phase_is_close_to_the_exact_angle():
    rng = np.random.default_rng(0)
    z = (rng.standard_normal(20000) * 10.0 ** rng.uniform(-3, 3, 20000) + 1j * rng.standard_normal(20000)).astype(
        np.complex64)
    z[:4] = [0, 1j, -1, -1j]
    for terms, tolerance in ((4, 2e-4), (8, 5e-7), (12, 5e-7), (29000, 5e-7)):
        approx = np.asarray(kl.Phase(approx_atan_accuracy=terms)(z))
        np.testing.assert_allclose(approx, np.angle(z), atol=tolerance, rtol=0)
        pairs = np.stack([z.real, z.imag], axis=-1)
        np.testing.assert_array_equal(np.asarray(kl.PhaseTflite(approx_atan_accuracy=terms)(pairs)), approx)


# The ordinary layers and front ends convert too (frames gathered, RFFT2D, COMPLEX_ABS, FULLY_CONNECTED...),
# as Keras's own preprocessing layers do: a fixed input shape, built-in ops only. (The inverse STFT does
# not: TFLite has no built-in inverse real FFT.)
CONVERTED = {
    "MelSpectrogram": (lambda: kl.MelSpectrogram(fft_length=512, sequence_stride=160, num_mel_bins=40),
                       lambda: keras.layers.MelSpectrogram(fft_length=512, sequence_stride=160, num_mel_bins=40),
                       (8000,)),
    "STFTSpectrogram": (lambda: kl.STFTSpectrogram(mode="log", frame_length=400, frame_step=160, fft_length=512),
                        lambda: keras.layers.STFTSpectrogram(mode="log", frame_length=400, frame_step=160,
                                                             fft_length=512),
                        (8000, 1)),
    "mel factory": (lambda: kl.composed.get_melspectrogram_layer(
                        n_fft=512, hop_length=160, n_mels=40, return_decibel=True, input_data_format="channels_last",
                        output_data_format="channels_last"),
                    None, (8000, 1)),
    "STFT magnitude factory": (lambda: kl.composed.get_stft_magnitude_layer(
                                   n_fft=512, hop_length=128, input_data_format="channels_last",
                                   output_data_format="channels_last"),
                               None, (8000, 1)),
    "log-frequency factory": (lambda: kl.composed.get_log_frequency_spectrogram_layer(
                                  n_fft=512, hop_length=128, sample_rate=16000, log_n_bins=48, return_decibel=True,
                                  input_data_format="channels_last", output_data_format="channels_last"),
                              None, (8000, 1)),
    "STFT, Magnitude, MagnitudeToDecibel": (lambda: keras.Sequential([
                                                kl.STFT(n_fft=512, hop_length=128, input_data_format="channels_last",
                                                        output_data_format="channels_last"),
                                                kl.Magnitude(), kl.MagnitudeToDecibel()]),
                                            None, (8000, 1)),
    "mel factory, LogmelToMFCC, Delta": (lambda: keras.Sequential([
                                             kl.composed.get_melspectrogram_layer(
                                                 n_fft=512, hop_length=128, n_mels=40, return_decibel=True,
                                                 input_data_format="channels_last",
                                                 output_data_format="channels_last"),
                                             kl.LogmelToMFCC(n_mfccs=13), kl.Delta()]),
                                         None, (8000, 1)),
}


@pytest.mark.parametrize("name", list(CONVERTED))
def test_layers_and_front_ends_convert_with_builtin_ops(waveforms, name):
    ours, theirs, shape = CONVERTED[name]
    inputs = keras.Input(shape, batch_size=2)
    model = keras.Model(inputs, ours()(inputs))
    x = waveforms[:2, 0].reshape((2,) + shape).astype(np.float32)
    interpreter = make_interpreter(convert_builtins_only(model))
    assert not {op for op in op_names(interpreter) if op.startswith("Flex") or op == "CUSTOM"}
    (got,) = run_tflite(interpreter, x)
    expected = np.asarray(model(x))
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=1e-3 * np.abs(expected).max())
    if theirs is not None:  # and Keras's layer gives the same numbers (the log of the faintest bins to 0.5%)
        np.testing.assert_allclose(got, np.asarray(theirs()(x)), rtol=1e-3, atol=5e-3 * np.abs(expected).max())
