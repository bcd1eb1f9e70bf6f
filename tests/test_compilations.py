"""How many XLA compilations a new signal length costs: a constant for the first ones, none after.

Counted from TensorFlow's own log of its XLA compilations, in a fresh interpreter (the compilation
cache is per process). Nothing here is timed.
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
lengths = [1 * rate, 3 * rate, 7 * rate, 9 * rate]  # 4 and 10 chunks of 32 frames (calls), 22 and 28 (a loop)
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
    # the graphs do compile kernels: none seen means the log line was not recognised, not that none ran
    assert sum(counts.values()) > 0, "no XLA compilation found in TensorFlow's log: has its wording changed?"
    return counts


@pytest.mark.parametrize("kind", ["mel", "pair"])
def test_eager_calls_compile_nothing(compilations, kind):
    assert all(count == 0 for phase, count in compilations.items() if phase.startswith(f"{kind} eager")), compilations


def test_mel_front_end_compiles_its_chunk_kernels_once_for_every_length(compilations):
    graph = [count for phase, count in compilations.items() if phase.startswith("mel graph")]
    # the frames kernel and the magnitudes kernel, for batch 2: once for the chunks called one by one,
    # once for the chunks of a loop (a loop body is a graph of its own), and never again
    assert graph[0] <= 2 and graph[1] == 0 and graph[2] <= 2 and graph[3] == 0, compilations


def test_reconstruction_pair_compiles_a_constant_number_of_kernels_per_length(compilations):
    # the STFT and inverse STFT kernels run over the whole signal: compiled per length (framing, packing,
    # overlap-add), a constant number, not one per chunk
    graph = [count for phase, count in compilations.items() if phase.startswith("pair graph")]
    assert max(graph) <= 4, compilations
