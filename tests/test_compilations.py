"""How many XLA compilations a new signal length costs: none, eagerly or in a graph.

The front ends and the reconstruction pair run as plain TensorFlow ops, so that a first call costs
its trace only; an XLA compilation (a few hundred ms on CPU, per shape) happens only where the user
asks for one (``jit_compile=True``). Counted from TensorFlow's own log of its XLA compilations, in a
fresh interpreter (the compilation cache is per process), with a compiled function as the control
that the log is read right. Nothing here is timed.
"""

import os
import re
import subprocess
import sys

import pytest

SCRIPT = r"""
import sys
import numpy as np
import tensorflow as tf
import keras
import kapre_like as kl

def phase(name):
    sys.stderr.write(f"PHASE {name}\n")
    sys.stderr.flush()

rate = 16000
lengths = [1 * rate, 3 * rate, 7 * rate, 9 * rate]
rng = np.random.default_rng(0)
for kind in ("mel", "pair"):
    for length in lengths:
        x = (0.1 * rng.standard_normal((2, length, 1))).astype(np.float32)
        if kind == "mel":
            model = kl.composed.get_melspectrogram_layer(
                input_shape=(length, 1), n_fft=512, hop_length=160, sample_rate=rate, n_mels=64, return_decibel=True,
                input_data_format="channels_last", output_data_format="channels_last")
        else:
            model = keras.Sequential(list(kl.composed.get_perfectly_reconstructing_stft_istft(
                stft_input_shape=(length, 1), n_fft=512, hop_length=128, waveform_data_format="channels_last",
                stft_data_format="channels_last")))
        phase(f"{kind} eager {length}")
        model(x)
        phase(f"{kind} graph {length}")
        model.predict(x, verbose=0)
        tf.function(model)(tf.constant(x))
phase("control")  # must be seen compiling
tf.function(lambda v: tf.sin(v) * 2.0, jit_compile=True)(tf.ones(3))
phase("end")
"""


@pytest.fixture(scope="module")
def compilations():
    """{phase name: XLA compilations logged during it}."""
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "0", "TF_CPP_VMODULE": "device_compiler=1"}
    result = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=600, env=env)
    assert result.returncode == 0, result.stderr[-3000:]
    counts, current = {}, None
    for line in result.stderr.splitlines():
        if line.startswith("PHASE "):
            current = line[len("PHASE "):]
            counts[current] = 0
        elif re.search(r"Compilation of XLA executable", line) and current is not None:
            counts[current] += 1
    assert "end" in counts, result.stderr[-3000:]
    # the control compiles: none seen means the log line was not recognised, not that none ran
    assert counts["control"] >= 1, "no XLA compilation found in TensorFlow's log: has its wording changed?"
    return counts


@pytest.mark.parametrize("kind", ["mel", "pair"])
@pytest.mark.parametrize("route", ["eager", "graph"])
def test_no_call_compiles_anything(compilations, kind, route):
    # four lengths, each in a new model: Keras predict and a tf.function of the model trace plain ops
    assert all(count == 0 for phase, count in compilations.items() if phase.startswith(f"{kind} {route}")), \
        compilations
