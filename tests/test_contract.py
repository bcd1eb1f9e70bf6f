"""One contract, every public layer and factory (tests/contract.py lists them), on the paths users walk.

In the spirit of Keras's ``run_layer_test``: NumPy and tensor inputs at batch 1, 3 and 7; float64 and
``mixed_float16``; a time length unknown when traced, with every size that is known kept static;
``.keras`` and SavedModel round trips; ``jit_compile=True``; TFLite built-ins where the docs claim
them; finite gradients at silence; a wrong-rank input answered with the layout expected; and no
op shape known to crash TensorFlow's CPU kernels. Numbers are compared with the same layer's float32
eager call (the references for the numbers themselves are in the per-layer tests).
"""

import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl
from contract import CASES, NOT_LAYERS, TIME, as_array, broadcast_batch_matmuls, case_names_of, model_of, traced

NAMES = sorted(CASES)
FLOAT_NAMES = [name for name in NAMES if CASES[name].float_input]


def _peak(array):
    return max(float(np.max(np.abs(array))), 1e-12)


def assert_close(got, expected, case, scale=1.0, what=""):
    """``got`` within the case's tolerance (times ``scale``) of ``expected``: absolute 0.02 dB (times
    ``scale``) for decibels, else relative to ``expected``'s peak."""
    got, expected = np.asarray(got), np.asarray(expected)
    assert got.shape == expected.shape, f"{what}: shape {got.shape} != {expected.shape}"
    error = float(np.max(np.abs(got.astype(expected.dtype) - expected))) if got.size else 0.0
    bound = 0.02 * scale if case.decibels else case.tolerance * scale * _peak(expected)
    assert error <= bound, f"{what}: off by {error:.3g} (bound {bound:.3g})"


def outputs_of(layer, x):
    return as_array(layer(x, training=False))


def test_every_public_layer_and_factory_has_a_case():
    missing = []
    for name in kl.__all__:
        if name in NOT_LAYERS:
            continue
        value = getattr(kl, name)
        is_layer = isinstance(value, type) and issubclass(value, keras.layers.Layer)
        if (is_layer or name.startswith("get_")) and not case_names_of(name):
            missing.append(name)
    assert not missing, f"public layers/factories without a contract case in tests/contract.py: {missing}"


@pytest.mark.parametrize("name", NAMES)
def test_numpy_and_tensor_inputs_at_batch_1_3_and_7(name):
    """Every batch size gives each example's own result; NumPy and tensors give the same; the output
    shape is compute_output_shape's."""
    case = CASES[name]
    layer = case.build()
    x7 = case.make_input(7)
    singles = [outputs_of(layer, x7[i:i + 1]) for i in range(7)]
    for batch in (1, 3, 7):
        x = x7[:batch]
        from_numpy = outputs_of(layer, x)
        from_tensor = outputs_of(layer, tf.constant(x))
        declared = layer.compute_output_shape(x.shape)
        for got, same, shape in zip(*(o if isinstance(o, tuple) else (o,) for o in (from_numpy, from_tensor,
                                                                                    _shapes(declared)))):
            assert got.shape == tuple(shape), f"batch {batch}: shape {got.shape}, compute_output_shape {shape}"
            np.testing.assert_array_equal(got, same)
            if got.dtype.kind in "fc":
                assert np.isfinite(got).all(), f"batch {batch}: non-finite output"
        for i in range(batch):
            for got, single in zip(*(o if isinstance(o, tuple) else (o,) for o in (from_numpy, singles[i]))):
                assert_close(got[i:i + 1], single, case, what=f"batch {batch}, example {i} against batch 1")


def _shapes(declared):
    """compute_output_shape's answer as a tuple of shapes (one per output)."""
    if isinstance(declared, (list, tuple)) and declared and isinstance(declared[0], (list, tuple)):
        return tuple(tuple(s) for s in declared)
    return (tuple(declared),)


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_float64_input_is_computed_in_float64(name):
    case = CASES[name]
    layer = case.build()
    expected = outputs_of(layer, case.make_input(3))
    got = outputs_of(case.build(), case.make_input(3, dtype="float64"))
    for g, e in zip(*(o if isinstance(o, tuple) else (o,) for o in (got, expected))):
        if e.dtype.kind in "fc":
            expected_dtypes = (np.float32,) if case.keras_dtype else (np.float64, np.complex128)
            assert g.dtype in expected_dtypes, f"float64 input gave {g.dtype}"
            assert np.isfinite(g).all()
        assert_close(g, e, case, scale=10, what="float64 against float32")


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_mixed_float16_policy(name):
    """Built under mixed_float16 (the DSP runs in float32), fed float32 audio as users do: finite, and
    the float32 numbers within float16 precision."""
    case = CASES[name]
    expected = outputs_of(case.build(), case.make_input(3))
    previous = keras.config.dtype_policy()
    keras.config.set_dtype_policy("mixed_float16")
    try:
        layer = case.build()
        got = outputs_of(layer, case.make_input(3))
        model_got = as_array(model_of(case, layer=layer)(case.make_input(3), training=False))
    finally:
        keras.config.set_dtype_policy(previous)
    for g, m, e in zip(*(o if isinstance(o, tuple) else (o,) for o in (got, model_got, expected))):
        if e.dtype.kind in "fc":
            assert np.isfinite(g).all() and np.isfinite(m).all(), "non-finite output under mixed_float16"
            assert g.dtype != np.float64
        np.testing.assert_array_equal(m, g)
        assert_close(g.astype(e.dtype), e, case, scale=30 if not case.decibels else 5,
                     what="mixed_float16 against float32")


@pytest.mark.parametrize("name", NAMES)
def test_unknown_length_keeps_known_sizes_and_no_broadcast_batch_matmul(name):
    """Traced with the time length (and batch) unknown: every other size stays static and equals
    compute_output_shape; the values equal the eager ones at two lengths; and no BatchMatMul
    broadcasts an operand (TensorFlow's oneDNN kernel crashes on it at batch >= 3 on some CPUs)."""
    case = CASES[name]
    model = model_of(case)
    function = traced(model, case)
    layer = model.layers[-1]
    declared = _shapes(layer.compute_output_shape((None,) + tuple(model.inputs[0].shape[1:])))
    outputs = function.structured_outputs
    outputs = tuple(outputs) if isinstance(outputs, (list, tuple)) else (outputs,)
    for output, shape in zip(outputs, declared):
        assert tuple(output.shape) == tuple(shape), f"traced shape {output.shape}, compute_output_shape {shape}"
    assert not broadcast_batch_matmuls(function.graph)
    assert not broadcast_batch_matmuls(traced(model, case, batch=3).graph)
    with kl.functional.real_arithmetic():  # the route of ONNX exports (DFTs as matrix products)
        assert not broadcast_batch_matmuls(traced(model, case, batch=3).graph)
    for length in (TIME, TIME + 1000):
        x = case.make_input(3, length)
        got = as_array(function(tf.constant(x)))
        assert_close(got if not isinstance(got, tuple) else got[0], _first(outputs_of(model, x)), case,
                     what=f"traced against eager at length {length}")


def _first(outputs):
    return outputs[0] if isinstance(outputs, tuple) else outputs


@pytest.mark.parametrize("name", NAMES)
def test_keras_file_round_trip(name, tmp_path):
    case = CASES[name]
    model = model_of(case)
    x = case.make_input(3)
    expected = as_array(model(x, training=False))
    model.save(tmp_path / "model.keras")
    loaded = keras.models.load_model(tmp_path / "model.keras")
    got = as_array(loaded(x, training=False))
    for g, e in zip(*(o if isinstance(o, tuple) else (o,) for o in (got, expected))):
        np.testing.assert_array_equal(g, e)


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_saved_model_export_and_jit_compile(name, tmp_path):
    """model.export() reloaded with tf.saved_model.load serves the same numbers; so does the model
    under jit_compile=True (XLA)."""
    case = CASES[name]
    model = model_of(case)
    x = case.make_input(3)
    expected = _first(as_array(model(x, training=False)))
    model.export(str(tmp_path / "saved"), verbose=False)
    loaded = tf.saved_model.load(str(tmp_path / "saved"))  # held: its variables live as long as it does
    served = _first(as_array(loaded.serve(tf.constant(x))))
    assert_close(served, expected, case, what="SavedModel against Keras")
    compiled = tf.function(lambda v: model(v, training=False), jit_compile=True)
    assert_close(_first(as_array(compiled(tf.constant(x)))), expected, case, scale=10, what="XLA against eager")


@pytest.mark.parametrize("name", FLOAT_NAMES)
def test_finite_gradients_at_silence(name):
    case = CASES[name]
    model = model_of(case)
    silence = tf.zeros_like(tf.constant(case.make_input(3)))
    with tf.GradientTape() as tape:
        tape.watch(silence)
        outputs = model(silence, training=False)
        outputs = outputs if isinstance(outputs, (list, tuple)) else [outputs]
        loss = tf.add_n([tf.reduce_sum(tf.math.real(tf.cast(o, tf.complex64 if o.dtype.is_complex else tf.float32)))
                         for o in outputs])
    gradients = tape.gradient(loss, [silence] + model.trainable_weights)
    for gradient in gradients:
        if gradient is not None:
            values = np.asarray(tf.math.real(gradient) if gradient.dtype.is_complex else gradient)
            assert np.isfinite(values).all(), "non-finite gradient at silence"


@pytest.mark.parametrize("name", [name for name in NAMES if CASES[name].rank_hint])
def test_a_wrong_rank_names_the_layout_expected(name):
    """A (time,) waveform or a spectrogram without its channel axis: the message says what the
    layer expects and which axes to add."""
    case = CASES[name]
    x = case.make_input(1)
    for wrong in ((x[0, ..., 0], x[..., 0]) if x.ndim > 2 else (x[0],)):
        with pytest.raises(ValueError) as info:
            case.build()(wrong)
        message = str(info.value)
        assert "expects input of shape (batch" in message and str(tuple(wrong.shape)) in message, message
        assert "add a" in message, message


@pytest.mark.slow
@pytest.mark.parametrize("name", [name for name in NAMES if CASES[name].tflite])
def test_tflite_builtin_ops_at_batch_3(name):
    """Converted with built-in ops only (a fixed signal length, any batch), the converted model keeps
    every size but the batch static (a layer after it, a Conv2D, needs them), and the interpreter at
    batch 3 gives Keras's numbers."""
    case = CASES[name]
    x = case.make_input(3)
    model = keras.Sequential([keras.Input(x.shape[1:], dtype=str(x.dtype)), case.build()])
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    interpreter = tf.lite.Interpreter(model_content=converter.convert())
    expected = np.asarray(model(x, training=False))
    declared = [-1 if size is None else size for size in model.compute_output_shape((None,) + x.shape[1:])]
    if expected.dtype.kind == "c":
        declared.append(2)
    assert list(interpreter.get_output_details()[0]["shape_signature"]) == declared
    interpreter.resize_tensor_input(interpreter.get_input_details()[0]["index"], x.shape)
    interpreter.allocate_tensors()
    interpreter.set_tensor(interpreter.get_input_details()[0]["index"], x)
    interpreter.invoke()
    got = interpreter.get_tensor(interpreter.get_output_details()[0]["index"])
    if expected.dtype.kind == "c":
        expected = np.stack([expected.real, expected.imag], -1)
    assert_close(got, expected, case, scale=10, what="TFLite against Keras")


@pytest.mark.slow
@pytest.mark.parametrize("name", NAMES)
def test_onnx_in_onnxruntime_at_batch_3(name, tmp_path):
    """docs/export.rst: every layer and factory converts to ONNX. A model that takes complex spectra cannot
    (ONNX has no complex tensors to feed) and is refused with what to do instead."""
    pytest.importorskip("tf2onnx")
    import warnings

    import onnxruntime

    case = CASES[name]
    model = model_of(case)
    x = case.make_input(3)
    if x.dtype.kind == "c":
        with pytest.raises(kl.onnx_export.OnnxExportError) as info:
            kl.export_onnx(model, str(tmp_path / "model.onnx"))
        assert "takes a complex64 input" in str(info.value) and "InverseSTFTTflite" in str(info.value)
        return
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the note on which transforms switched route
        path = kl.export_onnx(model, str(tmp_path / "model.onnx"))
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    (got,) = session.run(None, {session.get_inputs()[0].name: x})[:1]
    expected = _first(as_array(model(x, training=False)))
    if expected.dtype.kind == "c":
        expected = np.stack([expected.real, expected.imag], -1)
    assert_close(got, expected, case, scale=10, what="onnxruntime against Keras")


# The crash that reached users: TensorFlow's oneDNN batch matmul with a broadcast operand, at batch >= 3.
# Every inverse DFT of ours ran into it (InverseSTFT under real_arithmetic, InverseSTFTTflite, GriffinLim's
# conv strategy, the ONNX route). One subprocess, oneDNN forced on, so that a crash fails this test only.
CRASH_SCRIPT = textwrap.dedent("""
    import numpy as np, tensorflow as tf, kapre_like as kl
    from kapre_like import functional
    for batch in (3, 4, 7):
        x = np.random.default_rng(batch).standard_normal((batch, 4096, 1)).astype("float32")
        stft = kl.STFTTflite(n_fft=512, hop_length=128, input_data_format="channels_last",
                             output_data_format="channels_last")
        istft = kl.InverseSTFTTflite(n_fft=512, hop_length=128, input_data_format="channels_last",
                                     output_data_format="channels_last")
        y = istft(stft(x))
        with functional.real_arithmetic():
            spectra = kl.STFT(n_fft=512, hop_length=128, input_data_format="channels_last",
                              output_data_format="channels_last")(x)
            z = kl.InverseSTFT(n_fft=512, hop_length=128, input_data_format="channels_last",
                               output_data_format="channels_last")(spectra)
        g = kl.GriffinLim(n_fft=512, hop_length=128, n_iter=2, strategy="conv", input_data_format="channels_last",
                          output_data_format="channels_last")(tf.abs(spectra))
        assert np.abs(np.asarray(y)[:, 512:-512] - x[:, 512:-512]).max() < 1e-4
        assert np.abs(np.asarray(z)[:, 512:-512] - x[:, 512:-512]).max() < 1e-4
        assert np.isfinite(np.asarray(g)).all()
    print("survived")
""")


def test_inverse_dft_at_batch_3_4_7_with_onednn_does_not_crash():
    env = {**os.environ, "TF_ENABLE_ONEDNN_OPTS": "1", "TF_CPP_MIN_LOG_LEVEL": "2"}
    result = subprocess.run([sys.executable, "-c", CRASH_SCRIPT], capture_output=True, text=True, timeout=600,
                            env=env)
    assert result.returncode == 0 and "survived" in result.stdout, (result.returncode, result.stderr[-2000:])
