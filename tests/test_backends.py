"""Every portable layer and factory on Keras's JAX and PyTorch backends, against TensorFlow's numbers.

The cases are tests/contract.py's (so a new layer cannot skip them); each is built, run eagerly and
compiled (``jax.jit``), trained under ``model.fit`` and round-tripped through ``.keras`` on this process's
backend, and its numbers must equal those of TensorFlow's route within 1e-5 of their peak. TensorFlow's
numbers and ``.keras`` files come from a process of its own (tests/backend_reference.py), which also loads
the files saved here: a model saved on either backend loads and computes the same on the other.

On TensorFlow these tests skip (the rest of the suite is TensorFlow's); the README's test command runs this
file again with ``KERAS_BACKEND=jax`` and ``KERAS_BACKEND=torch``.
"""

import json
import os
import subprocess
import sys

import keras
import numpy as np
import pytest

import kapre_like as kl
from kapre_like._base import TFLITE_ONLY

import backend_reference as reference
import contract

BACKEND = keras.backend.backend()
pytestmark = pytest.mark.skipif(BACKEND == "tensorflow", reason="run with KERAS_BACKEND=jax or torch (README)")

TOLERANCE = 1e-5  # of the peak, float32
#: The iterative reconstructions (Griffin-Lim after a least-squares fit: the cases whose contract tolerance is
#: 1e-3) amplify the last-bit differences of the backends' FFTs; measured 4e-5 to 6e-5 on get_mel_to_audio.
ITERATIVE_TOLERANCE = 1e-4
HERE = os.path.dirname(__file__)


def _run_reference(mode, directory):
    environment = dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2")
    done = subprocess.run([sys.executable, os.path.join(HERE, "backend_reference.py"), mode, str(directory)],
                          env=environment, capture_output=True, text=True, timeout=900)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout


@pytest.fixture(scope="module")
def tensorflow_reference(tmp_path_factory):
    """The directory of TensorFlow's outputs and ``.keras`` files, and the outputs."""
    directory = tmp_path_factory.mktemp("tensorflow")
    _run_reference("write", directory)
    return directory, dict(np.load(directory / "outputs.npz"))


PORTABLE = reference.portable_cases() if BACKEND != "tensorflow" else []


def test_every_case_but_the_tensorflow_only_ones_runs_here(tensorflow_reference):
    """The portable cases here are those TensorFlow's process wrote: a layer that failed to build here is
    listed, not skipped."""
    assert sorted(PORTABLE) == sorted(tensorflow_reference[1])


def _model(name):
    keras.utils.set_random_seed(0)
    return contract.model_of(contract.CASES[name])


def _tolerance(name):
    return ITERATIVE_TOLERANCE if contract.CASES[name].tolerance >= 1e-3 else TOLERANCE


def _close(got, expected, what, tolerance=TOLERANCE):
    error = reference.relative_error(got, expected)
    assert error <= tolerance, f"{what}: {error:.2e} of the peak from TensorFlow's numbers"


def _compiled(model):
    if BACKEND == "jax":
        import jax

        # stateless, as Keras's own jit path calls a model: the variables are arguments, not constants
        def run(trainable, non_trainable, x):
            outputs, _ = model.stateless_call(trainable, non_trainable, x, training=False)
            return outputs

        jitted = jax.jit(run)
        return lambda x: jitted([v.value for v in model.trainable_variables],
                                [v.value for v in model.non_trainable_variables], x)
    return lambda x: model(x, training=False)  # torch: eager (its compiled route: test_torch_compile)


@pytest.mark.parametrize("name", PORTABLE)
def test_numbers_equal_tensorflows_eager_and_compiled(name, tensorflow_reference):
    case = contract.CASES[name]
    model = _model(name)
    # the weights TensorFlow's model had (a seeded initializer draws other numbers on each backend)
    model.set_weights(keras.models.load_model(tensorflow_reference[0] / f"{name}.keras").get_weights())
    x = case.make_input(reference.BATCH)
    expected = tensorflow_reference[1][name]
    eager = keras.ops.convert_to_numpy(model(x, training=False))
    _close(eager, expected, "eager", _tolerance(name))
    if np.iscomplexobj(expected):
        assert str(eager.dtype) == "complex64"
    _close(keras.ops.convert_to_numpy(_compiled(model)(x)), expected, "compiled", _tolerance(name))
    _close(model.predict(x, verbose=0), expected, "predict", _tolerance(name))


@pytest.mark.parametrize("name", PORTABLE)
def test_trains_under_fit(name):
    """A Dense head after the layer learns under ``model.fit``: finite loss, weights moved."""
    case = contract.CASES[name]
    x = case.make_input(reference.BATCH)
    keras.utils.set_random_seed(0)
    front = case.build()
    outputs = front(x, training=False)
    if not str(keras.backend.standardize_dtype(outputs.dtype)).startswith(("float", "complex")):
        pytest.skip("integer codes: nothing to train on")
    layers = [keras.Input(x.shape[1:], dtype=str(x.dtype)), front]
    layers += [kl.Magnitude()] if str(keras.backend.standardize_dtype(outputs.dtype)).startswith("complex") else []
    model = keras.Sequential(layers + [keras.layers.Dense(1)])
    target = np.zeros(keras.ops.convert_to_numpy(model(x)).shape, "float32")
    model.compile(optimizer=keras.optimizers.Adam(1e-2), loss="mse")
    before = keras.ops.convert_to_numpy(model.layers[-1].kernel).copy()
    history = model.fit(x, target, epochs=2, batch_size=reference.BATCH, verbose=0)
    assert np.all(np.isfinite(history.history["loss"]))
    assert np.abs(keras.ops.convert_to_numpy(model.layers[-1].kernel) - before).max() > 1e-3


def test_keras_files_cross_backends(tensorflow_reference, tmp_path):
    """TensorFlow's ``.keras`` files load here and give its numbers; those saved here load on TensorFlow
    and give this backend's."""
    directory, expected = tensorflow_reference
    ours = {}
    for name in PORTABLE:
        case = contract.CASES[name]
        loaded = keras.models.load_model(directory / f"{name}.keras")
        _close(keras.ops.convert_to_numpy(loaded(case.make_input(reference.BATCH), training=False)), expected[name],
               f"{name} loaded from TensorFlow's file", _tolerance(name))
        model = _model(name)
        ours[name] = contract.as_array(keras.ops.convert_to_numpy(model(case.make_input(reference.BATCH),
                                                                       training=False)))
        model.save(tmp_path / f"{name}.keras")
        reloaded = keras.models.load_model(tmp_path / f"{name}.keras")
        _close(keras.ops.convert_to_numpy(reloaded(case.make_input(reference.BATCH), training=False)), ours[name],
               f"{name} reloaded here")
    np.savez(tmp_path / "outputs.npz", **ours)
    errors = json.loads(_run_reference("check", tmp_path).strip().splitlines()[-1])
    assert sorted(errors) == sorted(PORTABLE)
    bad = {name: error for name, error in errors.items() if not error <= _tolerance(name)}
    assert not bad, f"saved on {BACKEND}, loaded on TensorFlow: {bad}"


TENSORFLOW_ONLY = {
    "STFTTflite": (lambda: kl.STFTTflite(n_fft=256), TFLITE_ONLY),
    "PhaseTflite": (lambda: kl.PhaseTflite(), TFLITE_ONLY),
    "AudioSpectrogram": (lambda: kl.AudioSTFTEncoder(window_size=256, offset=64).layer(), "tf.data"),
}


@pytest.mark.parametrize("name", sorted(TENSORFLOW_ONLY))
def test_tensorflow_only_layers_say_so(name):
    build, reason = TENSORFLOW_ONLY[name]
    with pytest.raises(RuntimeError, match="TensorFlow backend only") as raised:
        build()
    message = str(raised.value)
    assert repr(BACKEND) in message and reason in message and "KERAS_BACKEND=tensorflow" in message


@pytest.mark.parametrize("kind", ["mel", "pair"])
def test_streaming_steps_and_streams(kind):
    """``to_streaming`` (which checks its step against the offline model) and ``Stream`` over chunks of uneven
    lengths give the offline model's frames, and the step round-trips through ``.keras``."""
    from kapre_like import streaming

    if kind == "mel":
        model = kl.get_melspectrogram_layer(input_shape=(None, 1), n_fft=512, hop_length=128, sample_rate=16000,
                                            n_mels=40, return_decibel=True, db_dynamic_range=None,
                                            input_data_format="channels_last", output_data_format="channels_last")
    else:
        _, model = kl.get_perfectly_reconstructing_stft_istft(stft_input_shape=(None, 1), n_fft=512, hop_length=128,
                                                              waveform_data_format="channels_last",
                                                              stft_data_format="channels_last")
        model = keras.Sequential([keras.Input((None, 1)), _, model])
    step = streaming.to_streaming(model)
    signal = contract.mono(1, 16 * 128)[..., None]
    stream = streaming.Stream(model)
    pieces = [stream(signal[:, a:b]) for a, b in ((0, 100), (100, 700), (700, 2048))] + [stream.flush()]
    streamed = np.concatenate([keras.ops.convert_to_numpy(p) for p in pieces], axis=1)
    offline = keras.ops.convert_to_numpy(model(signal))
    warmup = stream.warmup_frames * (128 if kind == "pair" else 1)
    start = 512 - 128 if kind == "pair" else 0  # the offline inverse's unreconstructed start
    n = min(offline.shape[1], streamed.shape[1] - warmup) - start - (512 if kind == "pair" else 0)
    np.testing.assert_allclose(streamed[:, warmup + start:warmup + start + n], offline[:, start:start + n],
                               atol=1e-4 * max(1.0, np.abs(offline).max()))
    assert streaming.stream_properties(step)["hop_length"] == 128


def _front_end():
    return kl.get_melspectrogram_layer(input_shape=(4096, 1), n_fft=256, hop_length=64, sample_rate=16000, n_mels=40,
                                       return_decibel=True, input_data_format="channels_last",
                                       output_data_format="channels_last")


def test_bad_data_is_named_on_this_backend():
    """NaN in an eager call, integer audio and a missing axis get the errors TensorFlow's layers give."""
    waveform = contract.mono(2)[..., None]
    bad = waveform.copy()
    bad[1, 100, 0] = np.nan
    with pytest.raises(ValueError, match="NaN or Inf"):
        _front_end()(bad)
    with pytest.raises(ValueError, match="NaN or Inf"):
        kl.STFT(n_fft=256, input_data_format="channels_last")(bad)
    with pytest.raises(TypeError, match="int16"):
        kl.STFT(n_fft=256, input_data_format="channels_last")((waveform * 32767).astype("int16"))
    with pytest.raises(ValueError, match=r"\(batch, time, channels\)"):
        kl.STFT(n_fft=256, input_data_format="channels_last")(waveform[..., 0])


def test_gradients_are_finite_at_silence():
    """The front end's gradient with respect to silent audio is finite (the magnitude's root at 0)."""
    model = _front_end()
    silence = np.zeros((2, 4096, 1), "float32")
    if BACKEND == "jax":
        import jax

        gradient = np.asarray(jax.grad(lambda x: model(x).sum())(silence))
    else:
        import torch

        x = torch.zeros(silence.shape, requires_grad=True)
        model(x).sum().backward()
        gradient = x.grad.numpy()
    assert np.all(np.isfinite(gradient))


def test_onnx_export_runs_through_tensorflow(tmp_path):
    """``export_onnx`` and ``export(formats=('keras', 'onnx'))`` work from this backend (the export runs in a
    TensorFlow process); onnxruntime gives the model's numbers."""
    import onnxruntime

    model = _front_end()
    x = contract.mono(3)[..., None]
    with pytest.warns(UserWarning, match="real arithmetic"):
        path = kl.export_onnx(model, tmp_path / "front_end.onnx")
    session = onnxruntime.InferenceSession(str(path))
    got = session.run(None, {session.get_inputs()[0].name: x})[0]
    _close(got, keras.ops.convert_to_numpy(model(x)), "onnxruntime", 1e-4)
    with pytest.warns(UserWarning, match="real arithmetic"):
        results = kl.export(model, tmp_path / "both", formats=("keras", "onnx"), check=x)
    assert results["keras"].max_difference == 0 and results["onnx"].max_difference < 1e-3


def test_onnx_export_errors_come_back_by_type(tmp_path):
    model = keras.Sequential([keras.Input((8, 129, 1), dtype="complex64"),
                              kl.InverseSTFT(n_fft=256, hop_length=64, **contract.IO_CL)])
    with pytest.raises(ValueError, match="complex64 input"):
        kl.export_onnx(model, tmp_path / "inverse.onnx")


@pytest.mark.parametrize("formats", [("tflite",), ("keras", "savedmodel")])
def test_tensorflow_formats_say_so(tmp_path, formats):
    with pytest.raises(RuntimeError, match=f"TensorFlow format.*{BACKEND!r}.*KERAS_BACKEND=tensorflow"):
        kl.export(_front_end(), tmp_path, formats=formats)
    assert not any(tmp_path.iterdir())  # checked before anything is written


@pytest.mark.slow
@pytest.mark.skipif(BACKEND != "torch", reason="PyTorch's compiled route (JAX's: every test's jax.jit)")
def test_torch_compile():
    """Keras's ``jit_compile=True`` (``torch.compile``, 25-30 s to compile here) gives the eager numbers."""
    model = _front_end()
    x = contract.mono(3)[..., None]
    eager = keras.ops.convert_to_numpy(model(x))
    model.compile(jit_compile=True)
    _close(model.predict(x, verbose=0), eager, "torch.compile")
