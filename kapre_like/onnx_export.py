"""Export to ONNX: :func:`export_onnx` (tf2onnx under the hood).

Why tf2onnx: it is the converter of TensorFlow graphs that ONNX maintains, and the one Keras 3
itself calls for ``model.export(format='onnx')`` on the TensorFlow backend; nothing else converts
a TensorFlow graph. Its limits, which this module works around: it converts no complex arithmetic
(TensorFlow's RFFT only when a ``ComplexAbs`` reads it, no inverse FFT), and it writes a model that
fails only when onnxruntime loads it when an op did not convert. So the model is traced within
:func:`kapre_like.functional.real_arithmetic` (every STFT a strided convolution, magnitudes,
phases and inverse STFTs from real and imaginary parts, the numbers unchanged), the complex tensors
that still pass between layers are converted as (real, imaginary) pairs on a leading axis, and the
result is checked with ``onnx.checker`` and onnxruntime before it is written.

``pip install -e ".[onnx]"`` installs tf2onnx, onnx and onnxruntime; ``import kapre_like`` does not
import them.

On Keras's JAX and PyTorch backends the same export runs in a TensorFlow process
(:func:`_through_tensorflow`): the model goes there as a ``.keras`` file, which every backend reads with the
same numbers, and comes back as the ``.onnx`` file. (Keras's own ``export(format='onnx')`` needs jax2onnx on
JAX, and PyTorch's exporter has no ONNX form of its FFT.)
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import tempfile
import warnings

import numpy as np

from ._files import check_writable_folder, write_atomically

__all__ = ["export_onnx", "OPSETS"]

#: ONNX opsets the export supports: 13 (Unsqueeze with axes as an input) to 18 (tf2onnx 1.17's newest).
OPSETS = range(13, 19)

class OnnxExportError(RuntimeError, ValueError):
    """A model (or one of its layers) that does not convert to ONNX; the message names the layer."""


def _import_converters():
    try:
        import onnx
        import onnxruntime
        import tf2onnx
    except ImportError as error:
        raise ImportError(f"export_onnx needs tf2onnx, onnx and onnxruntime ({error.name} is missing); install them "
                          f"with `pip install \"kapre_like[onnx]\"` (from a clone: pip install -e \".[onnx]\").") from error
    return tf2onnx, onnx, onnxruntime


def _axis_zero(ctx, name):
    return ctx.make_const(name, np.array([0], np.int64)).output[0]


def _complex_to_pairs(ctx, node, name, args):
    """TensorFlow's ``Complex(real, imag)`` as ONNX ``Concat(Unsqueeze(real, 0), Unsqueeze(imag, 0))``."""
    from tf2onnx import utils

    real, imag = node.input
    parts = [ctx.make_node("Unsqueeze", [part, _axis_zero(ctx, utils.make_name(f"{name}_axis"))]).output[0]
             for part in (real, imag)]
    shape = node.output_shapes[0]
    dtype = ctx.get_dtype(real)
    ctx.remove_node(node.name)
    ctx.make_node("Concat", parts, attr={"axis": 0}, name=node.name, outputs=node.output,
                  shapes=[None if shape is None else [2] + list(shape)], dtypes=[dtype])


def _part_of_pairs(index):
    def handler(ctx, node, name, args):
        """TensorFlow's ``Real``/``Imag`` of a complex tensor held as pairs: ``Gather(pairs, index, axis=0)``."""
        from tf2onnx import utils

        (pairs,) = node.input
        position = ctx.make_const(utils.make_name(f"{name}_part"), np.array(index, np.int64)).output[0]
        shapes, dtypes = node.output_shapes, node.output_dtypes
        ctx.remove_node(node.name)
        ctx.make_node("Gather", [pairs, position], attr={"axis": 0}, name=node.name, outputs=node.output,
                      shapes=shapes, dtypes=dtypes)

    return handler


def _constant_like(ctx, x, value, name):
    from onnx import helper
    from tf2onnx import utils

    dtype = helper.tensor_dtype_to_np_dtype(ctx.get_dtype(x))
    return ctx.make_const(utils.make_name(name), np.array(value, dtype)).output[0]


def _log1p(ctx, node, name, args):
    """``log1p(x)`` as ``log(u) * x / (u - 1)``, ``u = 1 + x`` (``x`` where ``u == 1``): as exact as
    TensorFlow's for small ``x`` (Goldberg's formula), with ops ONNX has (tf2onnx maps no Log1p)."""
    (x,) = node.input
    one, zero = _constant_like(ctx, x, 1.0, f"{name}_one"), _constant_like(ctx, x, 0.0, f"{name}_zero")
    u = ctx.make_node("Add", [x, one]).output[0]
    rounded = ctx.make_node("Sub", [u, one]).output[0]
    general = ctx.make_node("Mul", [ctx.make_node("Log", [u]).output[0],
                                    ctx.make_node("Div", [x, rounded]).output[0]]).output[0]
    tiny = ctx.make_node("Equal", [rounded, zero]).output[0]
    shapes, dtypes = node.output_shapes, node.output_dtypes
    ctx.remove_node(node.name)
    ctx.make_node("Where", [tiny, x, general], name=node.name, outputs=node.output, shapes=shapes, dtypes=dtypes)


def _expm1(ctx, node, name, args):
    """``expm1(x)`` as ``(u - 1) * x / log(u)``, ``u = exp(x)`` (``x`` where ``u == 1``, ``u - 1``
    where ``u`` is 0 or infinite): Kahan's formula, with ops ONNX has (tf2onnx maps no Expm1)."""
    (x,) = node.input
    one = _constant_like(ctx, x, 1.0, f"{name}_one")
    zero = _constant_like(ctx, x, 0.0, f"{name}_zero")
    u = ctx.make_node("Exp", [x]).output[0]
    rounded = ctx.make_node("Sub", [u, one]).output[0]
    general = ctx.make_node("Mul", [rounded, ctx.make_node("Div", [x, ctx.make_node("Log", [u]).output[0]]).output[0]])
    edge = ctx.make_node("Or", [ctx.make_node("Equal", [u, zero]).output[0],
                                ctx.make_node("IsInf", [u]).output[0]]).output[0]
    outer = ctx.make_node("Where", [edge, rounded, general.output[0]]).output[0]
    tiny = ctx.make_node("Equal", [rounded, zero]).output[0]
    shapes, dtypes = node.output_shapes, node.output_dtypes
    ctx.remove_node(node.name)
    ctx.make_node("Where", [tiny, x, outer], name=node.name, outputs=node.output, shapes=shapes, dtypes=dtypes)


_HANDLERS = {"Complex": (_complex_to_pairs, []), "Real": (_part_of_pairs(0), []), "Imag": (_part_of_pairs(1), []),
             "Log1p": (_log1p, []), "Expm1": (_expm1, [])}


@contextlib.contextmanager
def _without_reshape_merging(tf2onnx):
    """tf2onnx 1.17's reshape optimizer merges a reshape of a reshape into one whose copied
    dimensions (``0``) refer to the wrong input (onnxruntime then fails: "requested shape
    {1,1,514,257,2}" for a {1,61,514} input); the conversion runs without it, every other
    optimizer kept, and the list is restored afterwards."""
    import importlib

    # the submodule is imported explicitly: `import tf2onnx` loads it only once a conversion has run, and
    # without this the first export in a process kept the faulty merging
    optimizers = getattr(importlib.import_module(tf2onnx.__name__ + ".optimizer"), "_optimizers", None)
    if not isinstance(optimizers, dict) or "reshape_optimizer" not in optimizers:
        yield
        return
    saved = list(optimizers.items())
    del optimizers["reshape_optimizer"]
    try:
        yield
    finally:
        optimizers.clear()
        optimizers.update(saved)


def _signature(model):
    """``tf.TensorSpec`` of each model input with its batch (and any other unknown axis) left unknown."""
    import tensorflow as tf

    specs = []
    for i, tensor in enumerate(model.inputs):
        shape = (None,) + tuple(tensor.shape[1:])
        specs.append(tf.TensorSpec(shape, tensor.dtype, name=f"input_{i}" if len(model.inputs) > 1 else "input"))
    return specs


def _as_real(outputs):
    """Model outputs with complex ones as (real, imaginary) pairs on a trailing axis (ONNX has no complex here)."""
    import tensorflow as tf

    flat = tf.nest.flatten(outputs)
    return [tf.stack([tf.math.real(t), tf.math.imag(t)], axis=-1) if t.dtype.is_complex else t for t in flat]


def _layer_of(node_name, model):
    """The model layer whose name scope ``node_name`` (a TensorFlow op name carried into ONNX) is in."""
    names = {layer.name for layer in model.layers}
    for part in re.split(r"[/:]", node_name or ""):
        candidate = re.sub(r"_\d+$", "", part)
        if part in names:
            return part
        if candidate in names:
            return candidate
    return None


def _checked_path(path):
    path = os.fspath(path)
    if not path.endswith(".onnx"):
        raise ValueError(f"export_onnx: `path` must end with '.onnx'; got {path!r}.")
    folder = os.path.dirname(os.path.realpath(path))  # a symbolic link is written through: its target's folder
    if not os.path.isdir(folder):
        raise ValueError(f"export_onnx: cannot write {path!r}: the folder {folder!r} does not exist.")
    check_writable_folder(folder, "the ONNX model")  # a probe file: os.access misjudges root and read-only mounts
    if os.path.isdir(path):
        raise ValueError(f"export_onnx: cannot write {path!r}: it is a folder.")
    return path


def export_onnx(model, path, opset=17):
    """Write ``model`` to ``path`` as an ONNX model that onnxruntime runs with any batch size (and
    any signal length where the model takes one).

    The model is traced with real arithmetic only (:func:`kapre_like.functional.real_arithmetic`):
    STFTs become strided convolutions with the windowed DFT kernel and inverse STFTs products with
    the inverse DFT, whose numbers equal TensorFlow's FFTs within float32 rounding (one warning
    says which transforms switched). Complex model outputs (an ``STFT`` at the end) come out as float tensors with a
    trailing axis of 2 (real, imaginary), as the ``*Tflite`` layers give them. NaN/Inf checks
    do not carry over (ONNX has no assertion). The file is written only once onnxruntime has
    loaded the converted model and checked it.

    Args:
        model (keras.Model): a built model (e.g. a composed factory's output, or a model that
            starts with one); its input shapes give the ONNX inputs, the batch axis left free.
        path (str or os.PathLike): the ``.onnx`` file to write (its folder must exist).
        opset (int): ONNX opset, 13 to 18. Defaults to 17.

    Returns:
        str: ``path``.

    Raises:
        ImportError: tf2onnx, onnx or onnxruntime missing (the message names the extra to install).
        ValueError, PermissionError: a bad opset, or a path that cannot be written.
        OnnxExportError: a layer that does not convert (named, with the op and the reason), or a
            float64 model (onnxruntime has no float64 convolution: export it built in float32).

    The file follows the umask (a new file ``0o666`` less it; an existing one keeps its mode) and a
    symbolic link at ``path`` is written through to its target, as ``open(path, 'wb')`` would.

    Example:
        >>> import os, tempfile, numpy as np, onnxruntime
        >>> import kapre_like
        >>> model = kapre_like.composed.get_melspectrogram_layer(input_shape=(None, 1), n_fft=512,
        ...     hop_length=256, sample_rate=16000, n_mels=40, return_decibel=True,
        ...     input_data_format='channels_last', output_data_format='channels_last')
        >>> path = export_onnx(model, os.path.join(tempfile.mkdtemp(), 'mel.onnx'))  # doctest: +SKIP
        >>> session = onnxruntime.InferenceSession(path)  # doctest: +SKIP
        >>> x = np.random.default_rng(0).standard_normal((3, 16000, 1)).astype(np.float32)
        >>> session.run(None, {'input': x})[0].shape  # doctest: +SKIP
        (3, 61, 40, 1)
    """
    if isinstance(opset, bool) or not isinstance(opset, int) or opset not in OPSETS:
        raise ValueError(f"export_onnx: `opset` must be an integer from {OPSETS.start} to {OPSETS.stop - 1}; "
                         f"got {opset!r}.")
    path = _checked_path(path)
    if not getattr(model, "inputs", None):
        raise ValueError("export_onnx: the model has no known inputs; build it with keras.Input (or call it once) "
                         "before exporting.")
    tf2onnx, onnx, onnxruntime = _import_converters()
    import keras

    if keras.backend.backend() != "tensorflow":
        return _through_tensorflow(model, path, opset)
    import tensorflow as tf

    from .functional.routes import real_arithmetic

    specs = _signature(model)
    complex_inputs = [spec for spec in specs if spec.dtype.is_complex]
    if complex_inputs:
        raise OnnxExportError(
            f"export_onnx: the model takes a {complex_inputs[0].dtype.name} input; ONNX has no complex tensors to "
            f"feed. Export the model from the waveform (its STFT inside), or take (real, imaginary) pairs with "
            f"InverseSTFTTflite, MagnitudeTflite or PhaseTflite.")

    def serve(*inputs):
        return _as_real(model(inputs[0] if len(inputs) == 1 else list(inputs), training=False))

    with real_arithmetic() as switched, _without_reshape_merging(tf2onnx), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # tf2onnx's own deprecation notices
        function = tf.function(serve, input_signature=specs, autograph=False)
        try:
            proto, _ = tf2onnx.convert.from_function(function, input_signature=specs, opset=opset,
                                                     custom_op_handlers=_HANDLERS)
        except Exception as error:  # tf2onnx raises bare exceptions on an op it cannot map
            node = getattr(error, "node", None) or str(error)
            raise OnnxExportError(_failure_message(model, str(node), error)) from error
    try:
        onnx.checker.check_model(proto)
        onnxruntime.InferenceSession(proto.SerializeToString(), providers=["CPUExecutionProvider"])
    except Exception as error:
        message = _float64_message(model, str(error)) or _failure_message(model, str(error), error)
        raise OnnxExportError(message) from error
    if switched:
        kinds = sorted({entry.split(":")[0] for entry in switched})
        warnings.warn(f"export_onnx: {len(switched)} transform(s) ({', '.join(kinds)}) run with real arithmetic in the "
                      f"ONNX model (DFTs as matrix products; tf2onnx converts no complex FFT); the numbers equal "
                      f"TensorFlow's within float32 rounding.", UserWarning, stacklevel=2)
    write_atomically(path, proto.SerializeToString())
    return path


#: The exceptions a TensorFlow process's export re-raises here by name; any other is a RuntimeError.
_ERRORS = {error.__name__: error for error in (ValueError, TypeError, ImportError, PermissionError, OSError)}


def _through_tensorflow(model, path, opset):
    """:func:`export_onnx` of a model built on Keras's JAX or PyTorch backend, in a TensorFlow process: the
    model saved as ``.keras`` (read there with the same weights and numbers), exported, and its warnings and
    errors passed back as they were raised."""
    with tempfile.TemporaryDirectory() as folder:
        saved = os.path.join(folder, "model.keras")
        model.save(saved)
        done = subprocess.run([sys.executable, "-m", __name__, saved, path, str(opset)], capture_output=True, text=True,
                              env=dict(os.environ, KERAS_BACKEND="tensorflow", TF_CPP_MIN_LOG_LEVEL="2"))
    report = next((json.loads(line) for line in reversed(done.stdout.splitlines()) if line.startswith("{")), None)
    if report is None:
        raise RuntimeError(f"export_onnx: the TensorFlow process that exports models of the {model.name!r} kind "
                           f"failed: {done.stderr.strip()[-2000:]}")
    for message in report["warnings"]:
        warnings.warn(message, UserWarning, stacklevel=3)
    if report["error"] is not None:
        kind, message = report["error"]
        raise (OnnxExportError if kind == "OnnxExportError" else _ERRORS.get(kind, RuntimeError))(message)
    return path


def _main(saved, path, opset):
    """The TensorFlow process of :func:`_through_tensorflow`: prints ``{"warnings": [...], "error": null or
    [type, message]}`` as its last line."""
    import keras

    import kapre_like  # noqa: F401  (registers the layers)

    error = None
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            export_onnx(keras.models.load_model(saved), path, int(opset))
        except Exception as raised:  # passed back to the caller's process, which raises it
            error = [type(raised).__name__, str(raised)]
    print(json.dumps({"warnings": [str(w.message) for w in caught if issubclass(w.category, UserWarning)
                                   and "export_onnx" in str(w.message)], "error": error}))


def _computes_in_float64(model):
    """Whether the model takes float64 input or has a layer computing in float64."""
    dtypes = [str(getattr(tensor, "dtype", "")) for tensor in model.inputs]
    dtypes += [str(getattr(layer, "compute_dtype", "")) for layer in getattr(model, "layers", [])]
    return any("float64" in dtype for dtype in dtypes)


def _float64_message(model, text):
    """For a float64 model that onnxruntime cannot load for want of a float64 kernel ("NOT_IMPLEMENTED ...
    Conv(11)": its CPU provider has float32 convolutions only), a message that says so and what to do;
    None for any other failure (the TFLite advice of :func:`_failure_message` does not help there)."""
    if "NOT_IMPLEMENTED" not in text or not _computes_in_float64(model):
        return None
    found = re.search(r"implementation for (\w+)\(\d+\) node with name '([^']*)'", text)
    op = found.group(1) if found else "op"
    layer = _layer_of(found.group(2), model) if found else None
    where = f" (layer {layer!r})" if layer else ""
    return (f"export_onnx: the model computes in float64, and onnxruntime has no float64 {op}{where}: its CPU "
            f"kernels for it take float32 only. Build the model to export in float32 (keras.Input(..., "
            f"dtype='float32') and the layers' default dtype) and feed it float32 audio; the ONNX model then equals "
            f"the float32 Keras model within float32 rounding.")


def _failure_message(model, text, error):
    nodes = re.findall(r"[\w./-]+/[\w./-]+", text)
    layer = next((found for found in (_layer_of(node, model) for node in nodes) if found), None)
    ops = sorted(set(re.findall(r"No Op registered for (\w+)|Unsupported ops: Counter\(\{'(\w+)'", text)))
    op_names = sorted({name for pair in ops for name in pair if name})
    where = f"layer {layer!r}" if layer else "a layer of the model"
    what = f" (op {', '.join(op_names)})" if op_names else ""
    first_line = text.strip().splitlines()[0] if text.strip() else type(error).__name__
    return (f"export_onnx: {where} does not convert to ONNX{what}: {first_line[:500]}. Use the layer's TFLite variant "
            f"or leave it out of the exported model.")


if __name__ == "__main__":
    _main(*sys.argv[1:4])
