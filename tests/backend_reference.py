"""The other half of tests/test_backends.py, run in a process of its own with a given Keras backend
(the backend is fixed when Keras is imported): ``write DIR`` builds every portable case of
tests/contract.py, runs it on its seeded batch of 3 and saves the outputs (``DIR/outputs.npz``) and the
model (``DIR/<case>.keras``); ``check DIR`` loads the ``.keras`` files another backend saved there and
prints, as JSON, each case's largest difference from that backend's outputs, relative to their peak.

Usage: KERAS_BACKEND=tensorflow python tests/backend_reference.py write|check DIR
"""

import json
import os
import sys

import keras
import numpy as np

sys.path.insert(0, os.path.dirname(__file__))

import contract  # noqa: E402

BATCH = 3


def portable_cases():
    """The names of the cases whose layers run on every Keras backend (not marked TensorFlow-only)."""
    names = []
    for name, case in contract.CASES.items():
        try:
            with keras.device("cpu"):
                layer = case.build()
        except RuntimeError:  # a TensorFlow-only layer off TensorFlow
            continue
        layers = layer.layers if isinstance(layer, keras.Model) else [layer]
        if not any(getattr(type(item), "tensorflow_only", None) for item in layers):
            names.append(name)
    return names


def outputs_of(model, case):
    return contract.as_array(keras.ops.convert_to_numpy(model(case.make_input(BATCH), training=False)))


def relative_error(got, expected):
    got, expected = np.asarray(got), np.asarray(expected)
    if got.shape != expected.shape:
        return float("inf")
    peak = float(np.max(np.abs(expected))) or 1.0
    return float(np.max(np.abs(got.astype(expected.dtype) - expected))) / peak


def write(directory):
    results = {}
    for name in portable_cases():
        case = contract.CASES[name]
        keras.utils.set_random_seed(0)
        model = contract.model_of(case)
        results[name] = outputs_of(model, case)
        model.save(os.path.join(directory, f"{name}.keras"))
    np.savez(os.path.join(directory, "outputs.npz"), **results)


def check(directory):
    expected = np.load(os.path.join(directory, "outputs.npz"))
    errors = {}
    for name in expected.files:
        case = contract.CASES[name]
        model = keras.models.load_model(os.path.join(directory, f"{name}.keras"))
        errors[name] = relative_error(outputs_of(model, case), expected[name])
    print(json.dumps(errors))


if __name__ == "__main__":
    {"write": write, "check": check}[sys.argv[1]](sys.argv[2])
