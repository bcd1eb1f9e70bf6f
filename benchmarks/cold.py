"""Cold speed: the first call of a front end in a fresh process, beside the second call, across sizes.

A user who calls ``predict`` once, or runs a loop over files of different lengths, pays the first
call: tracing, and whatever a library compiles (kapre_like compiled XLA kernels before issue 25). This script measures it as such
a user meets it, one fresh Python process per cell (TensorFlow imported, the layer built, then
timed), for kapre_like and the peers a user would pick instead, and prints the ratios to Kapre and
to Keras.

Configuration (issue 25): mel front end at 16 kHz, n_fft 512, hop 160, 64 mels, decibels.

- ``first``: the first call on a clip (eager ``layer(x)``, ``model.predict(x)`` or a
  ``tf.function``), including everything it traces and compiles.
- ``second``: the same call again (steady state, one call).
- ``new len``: in the same process, a call on a clip 1 s longer (a loop over files of different
  lengths; eager and tf.function only, the ``predict`` model has a fixed input length).

Run ``python benchmarks/cold.py`` for the whole matrix (lengths 1 s, 10 s, 60 s, 10 min; batch 1
and 16; three call modes; about 20 minutes on 2 cores), or narrow it:
``python benchmarks/cold.py --lengths 1 10 --batches 1 --modes predict``. Kapre rows need
``pip install --no-deps kapre==0.4.1``.
"""

import argparse
import importlib.util
import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SAMPLE_RATE = 16000
N_FFT, HOP, N_MELS = 512, 160, 64
CANDIDATES = ("kapre_like", "kapre", "keras")
MODES = ("eager", "predict", "function")

# One cell, run in a fresh interpreter: build, then time the first and second calls, then a new length.
CELL = r"""
import json, sys, time
import numpy as np
import tensorflow as tf
import keras

candidate, mode, seconds, batch = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4])
SR, N_FFT, HOP, N_MELS = {sr}, {n_fft}, {hop}, {n_mels}
length = int(seconds * SR)

def clip(n):
    rng = np.random.default_rng(0)
    return (0.1 * rng.standard_normal((batch, n))).astype(np.float32)

def build(n):
    if candidate == "keras":  # (batch, time) in, (batch, mels, frames) out; centred frames
        layer = keras.layers.MelSpectrogram(fft_length=N_FFT, sequence_stride=HOP, sampling_rate=SR,
                                            num_mel_bins=N_MELS)
        shape = (n,)
    else:
        lib = __import__(candidate)
        layer = lib.composed.get_melspectrogram_layer(
            input_shape=(n, 1), n_fft=N_FFT, hop_length=HOP, sample_rate=SR, n_mels=N_MELS, return_decibel=True,
            input_data_format="channels_last", output_data_format="channels_last")
        shape = (n, 1)
    return layer, shape

layer, shape = build(length)
x = clip(length).reshape((batch,) + shape)
if mode == "predict":
    model = keras.Sequential([keras.Input(shape), layer])
    run = lambda v: model.predict(v, verbose=0, batch_size=batch)
elif mode == "function":
    function = tf.function(lambda v: layer(v))
    run = lambda v: function(tf.constant(v)).numpy()
else:
    run = lambda v: np.asarray(layer(v))
times = {{}}
start = time.perf_counter(); run(x); times["first"] = time.perf_counter() - start
start = time.perf_counter(); run(x); times["second"] = time.perf_counter() - start
if mode != "predict":
    longer = int((seconds + 1) * SR)
    y = clip(longer).reshape((batch, longer) + shape[1:])
    if candidate != "keras":  # a factory built for one length takes only that one: build it for any length
        layer, _ = build(None)
        function = tf.function(lambda v: layer(v))
        run(x)  # its first call, not counted: the new length is what is measured
    start = time.perf_counter(); run(y); times["new len"] = time.perf_counter() - start
print(json.dumps(times))
""".format(sr=SAMPLE_RATE, n_fft=N_FFT, hop=HOP, n_mels=N_MELS)


def run_cell(candidate, mode, seconds, batch):
    """Times of one cell, from a fresh interpreter; None when the candidate is not installed."""
    if candidate == "kapre" and importlib.util.find_spec("kapre") is None:
        return None
    result = subprocess.run([sys.executable, "-c", CELL, candidate, mode, str(seconds), str(batch)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        return {"error": result.stderr.strip().splitlines()[-1][:120]}
    return json.loads(result.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lengths", type=float, nargs="+", default=[1, 10, 60, 600], help="clip lengths (s)")
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16])
    parser.add_argument("--modes", nargs="+", choices=MODES, default=list(MODES))
    parser.add_argument("--json", help="also write the raw times here")
    args = parser.parse_args(argv)

    rows = []
    print(f"mel front end, {SAMPLE_RATE} Hz, n_fft {N_FFT}, hop {HOP}, {N_MELS} mels, dB; seconds per call; "
          "ratio = peer / kapre_like (above 1: kapre_like faster)")
    header = (f"{'mode':8} {'clip':>6} {'batch':>5} | {'what':8} | " + " ".join(f"{c:>10}" for c in CANDIDATES)
              + " | vs kapre  vs keras")
    print(header)
    print("-" * len(header))
    for mode in args.modes:
        for seconds in args.lengths:
            for batch in args.batches:
                cell = {candidate: run_cell(candidate, mode, seconds, batch) for candidate in CANDIDATES}
                rows.append({"mode": mode, "seconds": seconds, "batch": batch, "times": cell})
                for what in ("first", "second", "new len"):
                    values = {c: (t or {}).get(what) for c, t in cell.items()}
                    if values["kapre_like"] is None and not any(values.values()):
                        continue
                    ours = values["kapre_like"]

                    def show(value):
                        return f"{value:10.3f}" if isinstance(value, float) else f"{'-':>10}"

                    def ratio(peer):
                        return f"{peer / ours:8.2f}x" if ours and peer else f"{'-':>9}"

                    print(f"{mode:8} {seconds:5g}s {batch:5d} | {what:8} | "
                          + " ".join(show(values[c]) for c in CANDIDATES)
                          + f" | {ratio(values['kapre'])} {ratio(values['keras'])}", flush=True)
                for candidate, times in cell.items():
                    if times and "error" in times:
                        print(f"    {candidate} failed: {times['error']}", flush=True)
    if args.json:
        with open(args.json, "w") as file:
            json.dump(rows, file, indent=1)


if __name__ == "__main__":
    main()
