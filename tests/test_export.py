"""kapre_like.export (issue 35): every format reloaded and checked against the Keras model's own output (each
artefact also run here by its own runtime, independently of export's loaders); a TFLite twin from the *Tflite
layers; every bad call answered before anything is written, with the right type and a message naming it; a
format registered from outside written and checked like the built-in ones."""

import json
import os
import sys
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl
from kapre_like import exporting
from kapre_like.exporting import ExportCheckError, ExportError, ExportResult, Format, register_format
from kapre_like.synthetic import speech_like

from conftest import assert_says

CL = dict(input_data_format="channels_last", output_data_format="channels_last")
RATE = 16000
N_SAMPLES = 4000


def waveforms(batch=3, seed=0):
    """(batch, N_SAMPLES, 1) float32 speech-like audio."""
    return np.stack([speech_like(N_SAMPLES / RATE, RATE, seed=seed + i) for i in range(batch)])[..., None].astype(
        np.float32)


def mel_front_end():
    return kl.composed.get_melspectrogram_layer(input_shape=(N_SAMPLES, 1), n_fft=512, hop_length=160,
                                                sample_rate=RATE, n_mels=40, return_decibel=True, **CL)


def round_trip(tflite=False):
    """STFT -> InverseSTFT, or its twin from the *Tflite layers (TFLite has no built-in inverse FFT)."""
    stft, inverse = (kl.STFTTflite, kl.InverseSTFTTflite) if tflite else (kl.STFT, kl.InverseSTFT)
    return keras.Sequential([keras.Input((N_SAMPLES, 1)), stft(n_fft=256, hop_length=64, **CL),
                             inverse(n_fft=256, hop_length=64, **CL)], name="round_trip")


def run_keras(path, x):
    return np.asarray(keras.models.load_model(path)(x))


def run_savedmodel(path, x):
    return np.asarray(tf.saved_model.load(path).serve(tf.constant(x)))


def run_tflite(path, x):
    interpreter = pytest.importorskip("ai_edge_litert.interpreter")  # LiteRT, the runtime TFLite files ship to
    runner = interpreter.Interpreter(model_path=path).get_signature_runner()
    return next(iter(runner(**{next(iter(runner.get_input_details())): x}).values()))


def run_onnx(path, x):
    onnxruntime = pytest.importorskip("onnxruntime")
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (output,) = session.run(None, {session.get_inputs()[0].name: x})
    return output


#: Each registered format's own runtime, independent of the library's loaders (test_every_format_has_a_runner).
RUNNERS = {"keras": run_keras, "savedmodel": run_savedmodel, "tflite": run_tflite, "onnx": run_onnx}
#: Formats whose writing takes several seconds on 2 cores: their cases beyond the first are marked slow.
SLOW_FORMATS = ("savedmodel", "onnx")
FORMATS = [pytest.param(name, marks=[pytest.mark.slow] if name in SLOW_FORMATS else []) for name in exporting.FORMATS]


def test_every_format_has_a_runner():
    """A format added to the registry is tested here with its runtime: add its runner to RUNNERS."""
    assert sorted(RUNNERS) == sorted(exporting.FORMATS)


def assert_checked(result, fmt, model, x, tolerance):
    """export's difference is the one this test measures with the format's own runtime, and within ``tolerance``."""
    expected = np.asarray(model(x))
    measured = float(np.max(np.abs(RUNNERS[fmt](result.path, x) - expected)))
    assert result.max_difference == pytest.approx(measured, abs=1e-6)
    assert result.max_difference <= tolerance, (fmt, result.max_difference)


@pytest.mark.parametrize("fmt", FORMATS)
def test_each_format_of_a_mel_front_end_matches_keras(fmt, tmp_path):
    if fmt == "onnx":
        pytest.importorskip("tf2onnx")
    model, x = mel_front_end(), waveforms()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # export_onnx's note on the STFT's route: the check shows the numbers
        results = kl.export(model, tmp_path / "out", formats=(fmt,), check=x, tolerance=1e-3)
    suffix = {"keras": ".keras", "savedmodel": "_savedmodel", "tflite": ".tflite", "onnx": ".onnx"}[fmt]
    assert list(results) == [fmt] and results[fmt].path == str(tmp_path / "out" / f"melspectrogram{suffix}")
    assert os.listdir(tmp_path / "out") == [f"melspectrogram{suffix}"]  # no temporary file left
    assert_checked(results[fmt], fmt, model, x, 1e-3)


@pytest.mark.parametrize("fmt", FORMATS)
def test_a_model_with_its_tflite_twin_matches_keras_in_each_format(fmt, tmp_path):
    if fmt == "onnx":
        pytest.importorskip("tf2onnx")
    model, twin, x = round_trip(), round_trip(tflite=True), waveforms()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        results = kl.export(model, tmp_path, formats=[fmt], check=x, name="pair", tflite_model=twin)
    assert results[fmt].path == str(tmp_path / ("pair" + {"keras": ".keras", "savedmodel": "_savedmodel",
                                                          "tflite": ".tflite", "onnx": ".onnx"}[fmt]))
    assert_checked(results[fmt], fmt, model, x, 1e-4 * np.abs(x).max())


def test_an_op_tflite_has_no_builtin_for_names_it_and_the_tflite_layers(tmp_path):
    with pytest.raises(ExportError) as info:
        kl.export(round_trip(), tmp_path, formats="tflite")
    assert_says(info, "'tflite'", "IRFFT", "not TFLite built-ins", "STFTTflite", "InverseSTFTTflite", "tflite_model=")
    assert os.listdir(tmp_path) == []  # nothing half-written


def test_without_check_every_format_is_reloaded_and_no_difference_given(tmp_path):
    results = kl.export(mel_front_end(), tmp_path, formats=("tflite", "keras"))
    assert list(results) == ["tflite", "keras"]
    assert all(isinstance(r, ExportResult) and r.max_difference is None for r in results.values())
    path, difference = results["keras"]  # a tuple
    assert path.endswith("melspectrogram.keras") and difference is None


def test_a_file_replaced_keeps_its_mode(tmp_path):
    model = mel_front_end()
    path = tmp_path / "melspectrogram.tflite"
    path.write_bytes(b"old")
    os.chmod(path, 0o640)
    kl.export(model, tmp_path, formats="tflite")
    assert oct(os.stat(path).st_mode & 0o777) == oct(0o640) and path.read_bytes()[4:8] == b"TFL3"


# ----------------------------------------------------------------------------- bad calls: nothing written


def test_an_unknown_format_names_it_and_the_allowed_ones(tmp_path):
    with pytest.raises(ValueError) as info:
        kl.export(mel_front_end(), tmp_path / "out", formats=("keras", "wav"))
    assert_says(info, "unknown format 'wav'", "'keras'", "'savedmodel'", "'tflite'", "'onnx'")
    assert not (tmp_path / "out").exists()
    with pytest.raises(ValueError) as info:
        kl.export(mel_front_end(), tmp_path / "out", formats=())
    assert_says(info, "unknown format none", "'keras'")


@pytest.mark.parametrize("package", ["tf2onnx", "onnx", "onnxruntime"])
def test_a_missing_package_names_it_and_the_extra_before_writing(package, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, package, None)  # import raises ImportError
    with pytest.raises(ImportError) as info:
        kl.export(mel_front_end(), tmp_path / "out", formats=("keras", "onnx"))
    assert_says(info, "'onnx'", repr(package), 'pip install "kapre_like[onnx]"')
    assert info.value.name == package
    assert not (tmp_path / "out").exists()  # not even the keras file


def test_check_of_the_wrong_rank_size_count_or_dtype_says_what_was_wrong(tmp_path):
    model, x = mel_front_end(), waveforms(2)
    with pytest.raises(ValueError) as info:
        kl.export(model, tmp_path / "out", formats="keras", check=x[..., 0])
    assert_says(info, "`check`", "(None, 4000, 1)", "(2, 4000)")
    with pytest.raises(ValueError) as info:
        kl.export(model, tmp_path / "out", formats="keras", check=x[:, :3000])
    assert_says(info, "(None, 4000, 1)", "(2, 3000, 1)")
    with pytest.raises(ValueError) as info:
        kl.export(model, tmp_path / "out", formats="keras", check=[x, x])
    assert_says(info, "one array per model input (1)", "got 2")
    with pytest.raises(TypeError) as info:
        kl.export(model, tmp_path / "out", formats="keras", check=(x * 100).astype(np.int16))
    assert_says(info, "`check`", "float array", "float32", "int16")
    assert not (tmp_path / "out").exists()


def test_a_float64_or_tensor_check_is_taken(tmp_path):
    model, x = mel_front_end(), waveforms(2)
    for check in (x.astype(np.float64), tf.constant(x)):
        (result,) = kl.export(model, tmp_path, formats="keras", check=check).values()
        assert result.max_difference == 0.0


def test_a_path_that_is_a_file_is_refused(tmp_path):
    (tmp_path / "model").write_text("a file")
    with pytest.raises(FileExistsError) as info:
        kl.export(mel_front_end(), tmp_path / "model", formats="keras")
    assert_says(info, repr(str(tmp_path / "model")), "is a file", "folder")
    assert (tmp_path / "model").read_text() == "a file"


def test_bad_options_name_and_tolerance_are_refused(tmp_path):
    model = mel_front_end()
    with pytest.raises(TypeError) as info:
        kl.export(model, tmp_path / "out", formats="keras", opsett=17)
    assert_says(info, "'opsett'", "'opset' (onnx)", "'tflite_model' (tflite)")
    with pytest.raises(ValueError) as info:
        kl.export(model, tmp_path / "out", formats="keras", tolerance=1e-3)
    assert_says(info, "`tolerance` needs `check`")
    with pytest.raises(ValueError) as info:
        kl.export(model, tmp_path / "out", formats="keras", check=waveforms(1), tolerance=-1)
    assert_says(info, "`tolerance`", ">= 0", "-1")
    with pytest.raises(ValueError) as info:
        kl.export(model, tmp_path / "out", formats="keras", name="a/b")
    assert_says(info, "`name`", "'a/b'")
    assert not (tmp_path / "out").exists()


# ----------------------------------------------------------------------------- the registry


def write_json_weights(model, path, offset=0.0):
    """A toy format: the model's config and weights in one JSON file (``offset`` spoils the weights' reload)."""
    with open(path, "w") as handle:
        json.dump({"config": model.to_json(), "weights": [w.tolist() for w in model.get_weights()],
                   "offset": offset}, handle)


def load_json_weights(path, model):
    with open(path) as handle:
        saved = json.load(handle)
    reloaded = keras.models.model_from_json(saved["config"])
    reloaded.set_weights([np.asarray(w, np.float32) for w in saved["weights"]])
    return lambda inputs: [np.asarray(reloaded(inputs[0])) + saved["offset"]]


@pytest.fixture
def registry(monkeypatch):
    """The registry as it is, restored after the test."""
    monkeypatch.setattr(exporting, "FORMATS", dict(exporting.FORMATS))
    return exporting.FORMATS


def classifier():
    return keras.Sequential([mel_front_end(), keras.layers.Flatten(), keras.layers.Dense(3)], name="classifier")


def test_a_registered_format_is_written_and_checked(registry, tmp_path):
    register_format(Format("json", ".weights.json", write_json_weights, load_json_weights, options=("offset",)))
    assert list(registry)[-1] == "json"
    model, x = classifier(), waveforms(2)
    results = kl.export(model, tmp_path, formats=("json", "keras"), check=x)
    assert results["json"].path == str(tmp_path / "classifier.weights.json")
    assert results["json"].max_difference <= 1e-5 and results["keras"].max_difference == 0.0
    with pytest.raises(ExportCheckError) as info:
        kl.export(model, tmp_path, formats=("json", "keras"), check=x, tolerance=0.1, offset=0.25)
    assert_says(info, "tolerance 0.1", "json 0.25")
    assert "keras" not in str(info.value)
    assert set(info.value.results) == {"json", "keras"} and isinstance(info.value, ValueError)


def test_register_format_refuses_a_name_taken_and_anything_but_a_format(registry):
    with pytest.raises(ValueError) as info:
        register_format(Format("keras", ".k", write_json_weights, load_json_weights))
    assert_says(info, "'keras'", "registered already", "replace=True")
    replaced = register_format(Format("keras", ".k", write_json_weights, load_json_weights), replace=True)
    assert registry["keras"] is replaced
    with pytest.raises(TypeError) as info:
        register_format({"name": "x"})
    assert_says(info, "Format", "dict")


def test_tflite_interpreter_reads_a_file_or_the_bytes(tmp_path):
    (result,) = kl.export(mel_front_end(), tmp_path, formats="tflite").values()
    x = waveforms(2)
    expected = np.asarray(mel_front_end()(x))
    with open(result.path, "rb") as handle:
        content = handle.read()
    for source in (result.path, content):
        runner = exporting.tflite_interpreter(source).get_signature_runner()
        (name,) = runner.get_input_details()
        (output,) = runner(**{name: x}).values()
        assert np.max(np.abs(output - expected)) <= 1e-3


def test_a_tflite_file_its_runtime_cannot_run_is_an_error_that_says_why(tmp_path):
    """TFLite's RFFT2D prepares only power-of-two lengths: the converter accepts a 400-point FFT, the runtime
    does not; export runs every reloaded format (on zeros without `check`) and names the fix."""
    import kapre_like
    from kapre_like.composed import get_melspectrogram_layer

    model = get_melspectrogram_layer(input_shape=(4000, 1), preset="torchaudio")
    with pytest.raises(kapre_like.exporting.ExportError) as info:
        kapre_like.export(model, tmp_path, formats=("tflite",))
    message = str(info.value)
    assert "'tflite'" in message and "power-of-two" in message and "n_fft=512" in message, message
    results = kapre_like.export(get_melspectrogram_layer(input_shape=(4000, 1), preset="torchaudio", n_fft=512),
                                tmp_path, formats=("tflite",))
    assert results["tflite"].max_difference is None
