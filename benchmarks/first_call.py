"""First call in a fresh process beside the steady state, for the CQT and resampling layers and their peers.

A user who transforms one file pays everything the first call does: importing, building the
filters, tracing. Each cell here is a fresh Python process that imports the library, builds the
transform, calls it on a clip (``first``, everything included), calls it again (``second``) and
on a clip 1 s longer (``new len``: a loop over files of different lengths); ``import`` is the
part of ``first`` spent importing the library (TensorFlow for kapre_like, which a model's user
has paid already). kapre_like runs eagerly (``layer(x)``, as a user calling it on one file
would) and in a model with an unknown time axis (``predict``: ``model.predict(x)``, traced by
Keras on the first call).

Workloads: ``cqt`` (84 bins from C1, hop 512, 22 050 Hz; kapre_like ``CQT`` vs ``librosa.cqt``) and
``resample`` (22 050 -> 16 000 Hz; kapre_like ``Resample`` vs ``soxr.resample`` 'HQ'). Run
``python benchmarks/first_call.py`` (lengths 1, 10 and 60 s, batch 1; a few minutes on 2 cores) or
``python benchmarks/first_call.py cqt --lengths 1 10``.
"""

import argparse
import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

SAMPLE_RATE = 22050

CELL = r"""
import json, sys, time
start = time.perf_counter()
import numpy as np
workload, candidate, seconds = sys.argv[1], sys.argv[2], float(sys.argv[3])
rng = np.random.default_rng(0)
def clip(s):
    return rng.standard_normal(int(s * 22050)).astype(np.float32) * 0.1
x, longer = clip(seconds), clip(seconds + 1)
if candidate.startswith("kapre_like"):
    import kapre_like
    import tensorflow as tf
    imported = time.perf_counter() - start
    if workload == "cqt":
        layer = kapre_like.CQT(sample_rate=22050, hop_length=512, n_bins=84, input_data_format="channels_last",
                               output_data_format="channels_last")
    else:
        layer = kapre_like.Resample(22050, 16000, data_format="channels_last")
    if candidate.endswith("predict"):
        import keras
        model = keras.Sequential([keras.Input((None, 1)), layer])
        run = lambda y: model.predict(y[None, :, None], verbose=0)
    else:
        run = lambda y: layer(y[None, :, None]).numpy()
elif workload == "cqt":
    import librosa
    imported = time.perf_counter() - start
    run = lambda y: np.abs(librosa.cqt(y, sr=22050, hop_length=512, n_bins=84))
else:
    import soxr
    imported = time.perf_counter() - start
    run = lambda y: soxr.resample(y, 22050, 16000, "HQ")
run(x)
first = time.perf_counter() - start
t = time.perf_counter(); run(x); second = time.perf_counter() - t
t = time.perf_counter(); run(longer); new_length = time.perf_counter() - t
print(json.dumps([first, second, new_length, imported]))
"""

CANDIDATES = {"cqt": ("kapre_like", "kapre_like predict", "librosa"),
              "resample": ("kapre_like", "kapre_like predict", "soxr")}


def run_cell(workload, candidate, seconds):
    out = subprocess.run([sys.executable, "-c", CELL, workload, candidate, str(seconds)], capture_output=True,
                         text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", default=["cqt", "resample"])
    parser.add_argument("--lengths", nargs="+", type=float, default=[1, 10, 60], help="clip lengths in seconds")
    args = parser.parse_args(argv)
    for workload in args.workloads:
        peer = CANDIDATES[workload][-1]
        print(f"\n{workload}: batch 1 at {SAMPLE_RATE} Hz; ratios are {peer}'s time over kapre_like's "
              f"(higher is faster)")
        header = f"{'length':>7s} {'candidate':19s} {'import s':>8s} {'first s':>8s} {'second ms':>9s} " \
                 f"{'new len ms':>10s} {'first':>6s} {'second':>6s} {'new len':>7s}"
        print(header)
        print("-" * len(header))
        for seconds in args.lengths:
            times = {candidate: run_cell(workload, candidate, seconds) for candidate in CANDIDATES[workload]}
            reference = times[peer][:3]
            for candidate, (first, second, new_length, imported) in times.items():
                ratios = " ".join(f"{r / t:{w}.2f}x" for r, t, w in zip(reference, (first, second, new_length),
                                                                          (5, 5, 6)))
                print(f"{seconds:6g}s {candidate:19s} {imported:8.2f} {first:8.2f} {second * 1e3:9.1f} "
                      f"{new_length * 1e3:10.1f} "
                      f"{ratios}")


if __name__ == "__main__":
    main()
