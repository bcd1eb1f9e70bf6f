"""Export a model in several formats at once, each reloaded and checked: :func:`export` and its registry.

Each format is one :class:`Format` entry in :data:`FORMATS` (its file name, writer, loader and the optional
packages it needs); :func:`register_format` adds one. :func:`export` checks everything it can before it writes
anything (the formats, their packages, the options, the check inputs, the folder), writes each format (a file
whole or not at all), reloads it (``keras.models.load_model``, ``tf.saved_model.load``, the TFLite interpreter,
an onnxruntime session) and, given inputs to check with, compares each reloaded model's output with the Keras
model's own.

ONNX is written by :func:`kapre_like.onnx_export.export_onnx` (``pip install "kapre_like[onnx]"``).
"""

import contextlib
import dataclasses
import importlib
import io
import os
import re
import warnings
from typing import Callable, NamedTuple, Optional, Tuple

import numpy as np

from ._files import check_writable_folder, folder_replaced_on_success, replaced_on_success

__all__ = ["export", "Format", "FORMATS", "register_format", "ExportResult", "ExportError", "ExportCheckError",
           "tflite_interpreter"]

#: The ``*Tflite`` layers a model's TFLite twin is built from (no complex numbers, built-in ops only).
TFLITE_LAYERS = ("STFTTflite", "MagnitudeTflite", "PhaseTflite", "InverseSTFTTflite")


class ExportError(ValueError):
    """A model that could not be written in a format (the message names the format and why)."""


class ExportCheckError(ExportError):
    """A reloaded model whose output differs from the Keras model's by more than the tolerance.

    ``results`` holds every format's :class:`ExportResult` (all were written and checked).
    """

    def __init__(self, message, results):
        super().__init__(message)
        self.results = results


class ExportResult(NamedTuple):
    """What :func:`export` wrote for one format: ``path``, and ``max_difference``, the largest absolute
    difference between the reloaded model's output and the Keras model's on the check inputs (None
    without them). A tuple, so ``path, difference = result`` works."""

    path: str
    max_difference: Optional[float]


@dataclasses.dataclass(frozen=True)
class Format:
    """One export format.

    Parameters
    ----------
    name : str
        The format's name in ``export(formats=...)``.
    suffix : str
        Added to the model's name for the file or folder written (``'.keras'``, ``'_savedmodel'``).
    write : callable
        ``write(model, path, **options)``: writes ``model`` to ``path``. For a file format ``path`` is a
        temporary name ending like the file (:func:`export` renames it once it is whole).
    load : callable
        ``load(path, model)``: the written model reloaded, as a function from a list of input arrays to a
        list of output arrays.
    is_folder : bool
        Whether the format is a folder rather than one file (each written whole, see :func:`export`). Default False.
    packages : tuple of str
        Import names of the optional packages the format needs, checked before anything is written.
    extra : str or None
        The pip extra that installs ``packages`` (``pip install "kapre_like[<extra>]"``).
    options : tuple of str
        The keyword options of :func:`export` that ``write`` takes.
    """

    name: str
    suffix: str
    write: Callable
    load: Callable
    is_folder: bool = False
    packages: Tuple[str, ...] = ()
    extra: Optional[str] = None
    options: Tuple[str, ...] = ()


#: The registered formats, by name, in the order :func:`export` writes them by default.
FORMATS = {}


def register_format(format_, replace=False):
    """Add ``format_`` (a :class:`Format`) to :data:`FORMATS`.

    Parameters
    ----------
    format_ : Format
        The entry.
    replace : bool
        Whether an entry of the same name may be replaced. Default False.

    Returns
    -------
    Format
        ``format_``.

    Raises
    ------
    TypeError
        ``format_`` is not a :class:`Format`.
    ValueError
        A format of that name is registered and ``replace`` is False.
    """
    if not isinstance(format_, Format):
        raise TypeError(f"register_format takes a kapre_like.exporting.Format; got {type(format_).__name__}.")
    if format_.name in FORMATS and not replace:
        raise ValueError(f"an export format named {format_.name!r} is registered already; pass replace=True to "
                         f"replace it.")
    FORMATS[format_.name] = format_
    return format_


# ----------------------------------------------------------------------------- running a reloaded model


def _as_arrays(outputs):
    """A model's output(s) as a list of NumPy arrays (a dict in key order, a list or tuple in its order)."""
    if isinstance(outputs, dict):
        outputs = [outputs[key] for key in sorted(outputs, key=_natural_key)]
    elif not isinstance(outputs, (list, tuple)):
        outputs = [outputs]
    import keras

    return [keras.ops.convert_to_numpy(output) if not isinstance(output, np.ndarray) else output
            for output in outputs]


def _natural_key(name):
    """``output_10`` after ``output_9``: the numbers in a name compared as numbers."""
    return [int(part) if part.isdigit() else part for part in re.split(r"(\d+)", str(name))]


def _model_input(model, inputs):
    return inputs[0] if len(inputs) == 1 else list(inputs)


def tflite_interpreter(model):
    """A TFLite interpreter of ``model``: LiteRT's (``ai_edge_litert``) where it is
    installed, else ``tf.lite.Interpreter`` (deprecated in TensorFlow 2.21 in favour of LiteRT; its
    notice silenced).

    Parameters
    ----------
    model : str, os.PathLike or bytes
        A ``.tflite`` file, or the converted model itself (``TFLiteConverter.convert()``'s bytes).

    Returns
    -------
    Interpreter
        ``get_signature_runner()`` runs it on any batch size the model takes (allocating its tensors);
        ``allocate_tensors()`` first for ``invoke``.
    """
    source = {"model_content": bytes(model)} if isinstance(model, (bytes, bytearray)) else {
        "model_path": os.fspath(model)}
    try:
        from ai_edge_litert.interpreter import Interpreter
    except ImportError:
        import tensorflow as tf

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
            interpreter = tf.lite.Interpreter(**source)
    else:
        interpreter = Interpreter(**source)
    return interpreter


# ----------------------------------------------------------------------------- the four formats


def _write_keras(model, path):
    model.save(path)


def _load_keras(path, model):
    import keras

    reloaded = keras.models.load_model(path)
    return lambda inputs: _as_arrays(reloaded(_model_input(reloaded, inputs), training=False))


def _write_savedmodel(model, path):
    model.export(path, verbose=False)


def _load_savedmodel(path, model):
    import tensorflow as tf

    reloaded = tf.saved_model.load(path)
    return lambda inputs: _as_arrays(reloaded.serve(*[tf.constant(x) for x in inputs]))


def _unsupported_tflite_ops(error):
    """The TensorFlow ops a failed built-ins-only conversion names (``['IRFFT']``)."""
    named = [str(getattr(getattr(entry, "operator", None), "name", "")) for entry in getattr(error, "errors", ())]
    named += re.findall(r"'(tf\.\w+)' op is neither a custom op nor a flex op", str(error))
    return sorted({name.removeprefix("tf.") for name in named if name})


def _write_tflite(model, path, tflite_model=None):
    """Convert ``tflite_model`` (a twin of ``model`` built from the *Tflite layers) or else ``model`` with TFLite
    built-in ops only."""
    import tensorflow as tf

    try:
        # from_keras_model saves the model through Keras's export, which prints its endpoints
        with contextlib.redirect_stdout(io.StringIO()):
            converter = tf.lite.TFLiteConverter.from_keras_model(model if tflite_model is None else tflite_model)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # runs on any TFLite runtime
            flatbuffer = converter.convert()
    except Exception as error:  # the converter raises its own ConverterError, or anything the trace raises
        ops = _unsupported_tflite_ops(error)
        if not ops:
            raise
        raise ExportError(f"export format 'tflite': the model uses TensorFlow ops that are not TFLite built-ins "
                          f"({', '.join(ops)}); build its TFLite twin from the *Tflite layers "
                          f"({', '.join(TFLITE_LAYERS)}: the same numbers with built-in ops only), copy the weights "
                          f"with set_weights and pass it as export(..., tflite_model=twin).") from None
    with open(path, "wb") as handle:
        handle.write(flatbuffer)


def _load_tflite(path, model):
    runner = tflite_interpreter(path).get_signature_runner()
    details = runner.get_input_details()
    names = [spec.name for spec in model.inputs]
    # Keras names the signature's inputs after its Input layers; by order otherwise
    order = names if set(names) == set(details) else sorted(details, key=lambda name: details[name]["index"])
    return lambda inputs: _as_arrays(runner(**dict(zip(order, inputs))))


def _write_onnx(model, path, opset=17):
    from .onnx_export import export_onnx

    export_onnx(model, path, opset=opset)


def _load_onnx(path, model):
    import onnxruntime

    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    names = [entry.name for entry in session.get_inputs()]
    return lambda inputs: _as_arrays(session.run(None, dict(zip(names, inputs))))


register_format(Format("keras", ".keras", _write_keras, _load_keras))
register_format(Format("savedmodel", "_savedmodel", _write_savedmodel, _load_savedmodel, is_folder=True))
register_format(Format("tflite", ".tflite", _write_tflite, _load_tflite, options=("tflite_model",)))
register_format(Format("onnx", ".onnx", _write_onnx, _load_onnx, packages=("tf2onnx", "onnx", "onnxruntime"),
                       extra="onnx", options=("opset",)))


# ----------------------------------------------------------------------------- checks made before writing


def _checked_formats(formats):
    formats = (formats,) if isinstance(formats, str) else tuple(formats)
    unknown = [name for name in formats if name not in FORMATS]
    if unknown or not formats:
        shown = repr(unknown[0]) if unknown else "none"
        raise ValueError(f"export: unknown format {shown}; `formats` takes one or more of "
                         f"{', '.join(map(repr, FORMATS))}.")
    return tuple(dict.fromkeys(formats))  # each once, in the order given


#: The formats only a TensorFlow model is written in (the others, ``.keras`` and ONNX, from every backend).
TENSORFLOW_FORMATS = ("savedmodel", "tflite")


def _check_backend(formats):
    import keras

    backend = keras.backend.backend()
    tensorflow_only = [name for name in formats if name in TENSORFLOW_FORMATS]
    if backend != "tensorflow" and tensorflow_only:
        raise RuntimeError(
            f"export: {' and '.join(map(repr, tensorflow_only))} "
            f"{'is a TensorFlow format' if len(tensorflow_only) == 1 else 'are TensorFlow formats'}, written from Keras's "
            f"TensorFlow backend only; this process's backend is {backend!r} (KERAS_BACKEND). Write the model with "
            f"formats=('keras', 'onnx') here, or load its .keras file in a process with KERAS_BACKEND=tensorflow "
            f"and export from there (the numbers are the same).")


def _check_packages(formats):
    for name in formats:
        entry = FORMATS[name]
        for package in entry.packages:
            try:
                importlib.import_module(package)
            except ImportError as error:
                missing = error.name or package  # tf2onnx fails on a missing onnx: name onnx
                install = f'pip install "kapre_like[{entry.extra}]"' if entry.extra else f"pip install {missing}"
                raise ImportError(f"export format {name!r} needs the package {missing!r}, which is not installed; "
                                  f"install it with `{install}`.", name=missing) from None


def _checked_options(formats, options):
    known = {option: name for name, entry in FORMATS.items() for option in entry.options}
    unknown = [option for option in options if option not in known]
    if unknown:
        taken = ", ".join(f"{option!r} ({name})" for option, name in known.items()) or "none"
        raise TypeError(f"export got an unexpected option {unknown[0]!r}; the formats' options are {taken}.")
    return {name: {option: value for option, value in options.items() if option in FORMATS[name].options}
            for name in formats}


def _checked_inputs(model, check):
    """``check`` as a list of arrays, one per model input, in the input's dtype; its rank and fixed sizes
    checked against the model's inputs."""
    specs = list(getattr(model, "inputs", None) or [])
    if not specs:
        raise ValueError("export: the model has no known inputs; build it with keras.Input (or call it once) "
                         "before exporting.")
    given = list(check) if isinstance(check, (list, tuple)) else [check]
    if len(given) != len(specs):
        raise ValueError(f"export: `check` must hold one array per model input ({len(specs)}); got {len(given)}.")
    arrays = []
    for spec, value in zip(specs, given):
        array = np.asarray(value)
        dtype = np.dtype(getattr(spec.dtype, "name", spec.dtype))
        if array.dtype.kind != dtype.kind:  # a float64 array for a float32 model is cast; an int one is an error
            allowed = "float" if dtype.kind == "f" else dtype.name
            raise TypeError(f"export: `check` for input {spec.name!r} must be a {allowed} array (the model takes "
                            f"{dtype.name}); got {array.dtype.name}.")
        shape = tuple(spec.shape)
        if array.ndim != len(shape) or any(size is not None and size != got for size, got in zip(shape, array.shape)):
            raise ValueError(f"export: `check` for input {spec.name!r} must have the shape {shape} (None: any size), "
                             f"a batch first; got {array.shape}.")
        arrays.append(array.astype(dtype, copy=False))
    return arrays


def _difference(got, expected):
    """The largest absolute difference of every output; a complex output compared with (real, imaginary) pairs on a
    trailing axis (ONNX's)."""
    if len(got) != len(expected):
        raise ExportError(f"the reloaded model gives {len(got)} outputs, the Keras model {len(expected)}.")
    largest = 0.0
    for output, reference in zip(got, expected):
        if np.iscomplexobj(reference) and not np.iscomplexobj(output) and output.shape[-1:] == (2,):
            output = output[..., 0] + 1j * output[..., 1]
        if output.shape != reference.shape:
            raise ExportError(f"the reloaded model's output has the shape {output.shape}, the Keras model's "
                              f"{reference.shape}.")
        if output.size:
            largest = max(largest, float(np.max(np.abs(output.astype(reference.dtype) - reference))))
    return largest


# ----------------------------------------------------------------------------- the one entry point


def export(model, path, formats=("keras", "savedmodel", "tflite", "onnx"), check=None, *, name=None, tolerance=None,
           **options):
    """Write ``model`` in each of ``formats`` into the folder ``path``, reload each and, given ``check``, compare
    each reloaded model's output with the Keras model's.

    Everything that can be checked is checked before anything is written: the formats, the optional packages
    they need, the options, ``check`` against the model's inputs and the folder. Each file is written whole or
    not at all (a new file gets mode ``0o666`` less the umask, an existing one keeps its mode), and so is the
    SavedModel folder (written beside, then renamed into place).

    Parameters
    ----------
    model : keras.Model
        A built model (its inputs known: ``keras.Input``, or called once).
    path : str or os.PathLike
        The folder to write into; created if needed.
    formats : str or sequence of str
        Names from :data:`FORMATS`: ``'keras'`` (``<name>.keras``), ``'savedmodel'`` (the folder
        ``<name>_savedmodel``, a ``serve`` signature), ``'tflite'`` (``<name>.tflite``, TFLite built-in ops
        only) and ``'onnx'`` (``<name>.onnx``, :func:`kapre_like.onnx_export.export_onnx`). Default all four.
    check : array-like, tf.Tensor or list of them, optional
        Inputs (a batch first; one per model input) to run the Keras model and every reloaded one on.
        Default None: each format is reloaded but not run.
    name : str, optional
        The files' name. Default ``model.name``.
    tolerance : float, optional
        The largest absolute difference from the Keras model's output allowed; a larger one raises
        :class:`ExportCheckError` after every format is written. Needs ``check``. Default None (no limit).
    **options
        Per format: ``tflite_model`` (tflite; a twin of ``model`` built from the ``*Tflite`` layers, converted
        instead of ``model``, its output compared with ``model``'s) and ``opset`` (onnx; 13 to 18, default 17).

    Returns
    -------
    dict
        ``{format: ExportResult(path, max_difference)}`` in the order written; ``max_difference`` is the
        largest absolute difference from the Keras model's output (None without ``check``).

    Raises
    ------
    ValueError
        An unknown format, a bad ``name`` or ``tolerance``, or ``check`` of the wrong rank or size.
    TypeError
        ``check`` of the wrong dtype, or an unknown option.
    ImportError
        A package a format needs is missing (the message names it and the pip extra).
    OSError
        ``path`` cannot be a folder or cannot be written (its message names it).
    ExportError
        A format could not be written (e.g. a TensorFlow op TFLite has no built-in for: the message names it
        and the ``*Tflite`` layers); :class:`ExportCheckError` when a difference exceeds ``tolerance``.

    Examples
    --------
    >>> import numpy as np, kapre_like
    >>> model = kapre_like.composed.get_melspectrogram_layer(input_shape=(16000, 1), n_fft=512, hop_length=256,
    ...     sample_rate=16000, n_mels=40, return_decibel=True, input_data_format='channels_last',
    ...     output_data_format='channels_last')
    >>> x = np.random.default_rng(0).standard_normal((2, 16000, 1)).astype('float32')
    >>> results = kapre_like.export(model, 'exported', formats=('keras', 'tflite'), check=x)  # doctest: +SKIP
    >>> results['tflite'].max_difference < 1e-3  # doctest: +SKIP
    True
    """
    formats = _checked_formats(formats)
    _check_backend(formats)
    _check_packages(formats)
    per_format = _checked_options(formats, options)
    name = model.name if name is None else name
    if not isinstance(name, str) or not name or os.sep in name or (os.altsep and os.altsep in name):
        raise ValueError(f"export: `name` must be a file name without a folder; got {name!r}.")
    if tolerance is not None:
        if isinstance(tolerance, bool) or not isinstance(tolerance, (int, float)) or not tolerance >= 0:
            raise ValueError(f"export: `tolerance` must be a number >= 0; got {tolerance!r}.")
        if check is None:
            raise ValueError("export: `tolerance` needs `check`, the inputs to compare the outputs on.")
    inputs = None if check is None else _checked_inputs(model, check)
    expected = None if inputs is None else _as_arrays(model(_model_input(model, inputs), training=False))
    folder = os.fspath(path)
    if os.path.exists(folder) and not os.path.isdir(folder):
        raise FileExistsError(f"export: {folder!r} is a file; `path` is the folder to write the formats into.")
    check_writable_folder(folder, "the exported models")

    results = {}
    for format_name in formats:
        entry = FORMATS[format_name]
        target = os.path.join(folder, name + entry.suffix)
        written_whole = folder_replaced_on_success if entry.is_folder else replaced_on_success
        with written_whole(target) as temporary:
            entry.write(model, temporary, **per_format[format_name])
        run = entry.load(target, model)
        outputs = _run_reloaded(format_name, target, run, inputs if inputs is not None else _zeros_like_inputs(model))
        difference = None if inputs is None else _checked_difference(format_name, outputs, expected)
        results[format_name] = ExportResult(target, difference)
    too_far = {fmt: result for fmt, result in results.items()
               if tolerance is not None and result.max_difference > tolerance}
    if too_far:
        listed = ", ".join(f"{fmt} {result.max_difference:.3g}" for fmt, result in too_far.items())
        raise ExportCheckError(f"export: the reloaded model differs from the Keras model by more than the tolerance "
                               f"{tolerance:g} (largest absolute difference: {listed}).", results)
    return results


def _zeros_like_inputs(model):
    """One example of zeros per model input, when every size but the batch is known (else None: not run)."""
    shapes = [tuple(spec.shape)[1:] for spec in model.inputs]
    if any(size is None for shape in shapes for size in shape):
        return None
    return [np.zeros((1,) + shape, np.dtype(getattr(spec.dtype, "name", spec.dtype)))
            for shape, spec in zip(shapes, model.inputs)]


#: What a runtime's failure means, by a phrase of its message: TFLite's RFFT2D kernel takes powers of two only.
_RUNTIME_HINTS = {"IsPowerOfTwo": "TFLite's FFT (RFFT2D) takes power-of-two lengths only: give the STFT an n_fft that "
                                  "is a power of two (win_length may stay shorter, e.g. n_fft=512 with win_length=400), "
                                  "or export a twin built from the *Tflite layers (tflite_model=)"}


def _run_reloaded(format_name, target, run, inputs):
    """``run(inputs)`` (None: nothing to run), an ExportError naming the format and the file when the reloaded
    model cannot run: a file that its runtime loads but fails to execute is not a deployable export."""
    if inputs is None:
        return None
    try:
        return run(inputs)
    except Exception as error:  # each runtime raises its own types (RuntimeError, onnxruntime's Fail, ...)
        reason = " ".join(str(error).split())
        hints = [hint for phrase, hint in _RUNTIME_HINTS.items() if phrase in reason]
        raise ExportError(f"export format {format_name!r}: {target} was written but its runtime cannot run it: "
                          f"{reason[:300]}" + (f"; {hints[0]}." if hints else ".")) from None


def _checked_difference(format_name, got, expected):
    try:
        return _difference(got, expected)
    except ExportError as error:
        raise ExportError(f"export format {format_name!r}: {error}") from None
