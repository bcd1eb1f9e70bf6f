"""The reference log-mel on each Keras backend: kapre_like against Keras's ``MelSpectrogram`` on the same
backend (and torchaudio on PyTorch, when installed), side by side in one process per backend.

The reference log-mel is run.py's: mono clips at 22 050 Hz, hop ``n_fft // 4``, 128 mels, decibels, float32;
kapre_like's ``get_melspectrogram_layer(return_decibel=True)`` and Keras's ``MelSpectrogram`` (centred,
reflected frames; its own defaults otherwise). Compiled where the backend compiles: ``jax.jit`` of the
model's stateless call on JAX, ``tf.function`` on TensorFlow; PyTorch runs eagerly under ``torch.no_grad``
(as torchaudio is used). The matrix: n_fft 512/2048/4096 x batch 1/16 x 1/10/60 s (``--quick``: n_fft 2048,
batch 16, 10 s, the issue's cell). Each cell reports the first call (compile included, a fresh model) and
the median of ``--rounds`` warm calls, interleaved, as ratios: peer time / kapre_like time (above 1 means
kapre_like is faster).

Run ``python benchmarks/backends.py`` (every backend, one subprocess each) or
``KERAS_BACKEND=jax python benchmarks/backends.py --here``.
"""

import argparse
import os
import random
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

SAMPLE_RATE = 22050
N_MELS = 128
BACKENDS = ("tensorflow", "jax", "torch")


def clips(batch, seconds):
    rng = np.random.default_rng(0)
    t = np.arange(int(SAMPLE_RATE * seconds)) / SAMPLE_RATE
    rows = [0.3 * np.sin(2 * np.pi * 110.0 * (1 + i % 5) * t) + 0.05 * rng.standard_normal(t.size)
            for i in range(batch)]
    return np.asarray(rows, dtype=np.float32)


def _compiled(model):
    """``model`` as the backend's compiled inference function of one NumPy array."""
    import keras

    backend = keras.backend.backend()
    if backend == "jax":
        import jax

        jitted = jax.jit(lambda trainable, fixed, x: model.stateless_call(trainable, fixed, x, training=False)[0])
        state = ([v.value for v in model.trainable_variables], [v.value for v in model.non_trainable_variables])
        return lambda x: jitted(*state, x).block_until_ready()
    if backend == "tensorflow":
        import tensorflow as tf

        function = tf.function(lambda x: model(x, training=False))
        return lambda x: function(x).numpy()
    import torch

    def run(x):
        with torch.no_grad():
            return model(x, training=False)
    return run


def candidates(n_fft, seconds):
    """``{name: builder}``; a builder returns the function of the prepared input and that input."""
    import keras

    import kapre_like

    hop = n_fft // 4
    backend = keras.backend.backend()

    def ours(batch):
        model = kapre_like.get_melspectrogram_layer(
            input_shape=(int(SAMPLE_RATE * seconds), 1), n_fft=n_fft, hop_length=hop, sample_rate=SAMPLE_RATE,
            n_mels=N_MELS, return_decibel=True, input_data_format="channels_last", output_data_format="channels_last")
        return _compiled(model), keras.ops.convert_to_tensor(clips(batch, seconds)[..., None])

    def keras_mel(batch):
        layer = keras.layers.MelSpectrogram(fft_length=n_fft, sequence_stride=hop, sampling_rate=SAMPLE_RATE,
                                            num_mel_bins=N_MELS)
        model = keras.Sequential([keras.Input((int(SAMPLE_RATE * seconds),)), layer])
        return _compiled(model), keras.ops.convert_to_tensor(clips(batch, seconds))

    found = {"kapre_like": ours, "keras": keras_mel}
    if backend == "torch":
        try:
            import torch
            import torchaudio
        except ImportError:
            return found

        def torchaudio_mel(batch):
            mel = torchaudio.transforms.MelSpectrogram(SAMPLE_RATE, n_fft=n_fft, hop_length=hop, n_mels=N_MELS)
            to_db = torchaudio.transforms.AmplitudeToDB(top_db=80.0)

            def run(x):
                with torch.no_grad():
                    return to_db(mel(x))
            return run, torch.from_numpy(clips(batch, seconds))
        found["torchaudio"] = torchaudio_mel
    return found


def _warm_up_backend():
    """One small compiled call, so that no candidate's first call pays for starting the backend's compiler."""
    import keras

    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(2)])
    _compiled(model)(np.zeros((1, 8), "float32"))


def cell(n_fft, batch, seconds, rounds):
    """``{name: (first call s, warm median s)}`` of one cell; the first calls in a shuffled order."""
    builders = candidates(n_fft, seconds)
    first, functions = {}, {}
    order = list(builders.items())
    random.shuffle(order)
    for name, build in order:
        run, x = build(batch)
        start = time.perf_counter()
        run(x)
        first[name] = time.perf_counter() - start
        functions[name] = (run, x)
    warm = {name: [] for name in functions}
    for _ in range(rounds):
        random.shuffle(order)
        for name, _ in order:
            run, x = functions[name]
            start = time.perf_counter()
            run(x)
            warm[name].append(time.perf_counter() - start)
    return {name: (first[name], statistics.median(warm[name])) for name in builders}


def report(quick, rounds):
    import keras

    if keras.backend.backend() == "torch":
        import torch

        torch.set_num_threads(os.cpu_count() or 1)
    _warm_up_backend()
    matrix = [(2048, 16, 10.0)] if quick else [(n, b, s) for n in (512, 2048, 4096) for b in (1, 16)
                                                 for s in (1.0, 10.0, 60.0)]
    print(f"## backend: {keras.backend.backend()}  (ratio = peer time / kapre_like time; > 1: kapre_like faster)")
    print("| n_fft | batch | seconds | peer | warm ratio | first-call ratio | kapre_like warm ms | first s |")
    print("|---|---|---|---|---|---|---|---|")
    for n_fft, batch, seconds in matrix:
        times = cell(n_fft, batch, seconds, rounds)
        ours_first, ours_warm = times.pop("kapre_like")
        for peer, (first, warm) in times.items():
            print(f"| {n_fft} | {batch} | {seconds:g} | {peer} | {warm / ours_warm:.2f} | {first / ours_first:.2f} | "
                  f"{1000 * ours_warm:.1f} | {ours_first:.2f} |", flush=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--here", action="store_true", help="this process's backend only (KERAS_BACKEND)")
    parser.add_argument("--quick", action="store_true", help="the issue's cell only: n_fft 2048, 16 x 10 s")
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--backends", nargs="+", default=list(BACKENDS), choices=BACKENDS)
    args = parser.parse_args()
    if args.here:
        report(args.quick, args.rounds)
        return
    for backend in args.backends:
        command = [sys.executable, __file__, "--here", "--rounds", str(args.rounds)] + (["--quick"] if args.quick else [])
        subprocess.run(command, env=dict(os.environ, KERAS_BACKEND=backend), check=True)


if __name__ == "__main__":
    main()
