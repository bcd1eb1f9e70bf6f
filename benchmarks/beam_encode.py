"""Files per second of ``kapre_like.beam.encode_corpus`` with 1 and 2 local workers (Beam's DirectRunner).

Writes ``--files`` speech-like clips (``--seconds`` long, at 22 050 Hz, so that each is resampled
to the encoder's 16 kHz as a real corpus usually is) into a temporary folder, then encodes them
with the default ``AudioSpectrogramEncoder`` into fresh output folders, timing each whole run as a
user sees it (worker start-up, TensorFlow's import in each worker process, writing the shards):

- 1 worker, ``in_memory``: the pipeline runs in this process (what ``workers=1`` does);
- N workers, ``multi_processing``: N worker processes (what ``workers=N`` does), from 1 up.

Prints files/s per row and its ratio to the 1-worker-process row and to the in_memory row. Run from the repository root::

    python benchmarks/beam_encode.py                       # 200 files of 3 s, 1 and 2 workers
    python benchmarks/beam_encode.py --files 500 --workers 1 2 4 --rounds 3
"""

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--files", type=int, default=200, help="clips to encode (default 200)")
    parser.add_argument("--seconds", type=float, default=3.0, help="clip length in s (default 3)")
    parser.add_argument("--workers", type=int, nargs="+", default=[1, 2], help="worker processes (default: 1 2)")
    parser.add_argument("--rounds", type=int, default=1, help="runs per row; the median is shown (default 1)")
    args = parser.parse_args()

    import soundfile

    import tensorflow as tf
    from kapre_like.beam import encode_corpus
    from kapre_like.synthetic import speech_like

    folder = tempfile.mkdtemp(prefix="beam_encode_")
    try:
        rate = 22050
        for i in range(args.files):
            soundfile.write(os.path.join(folder, f"clip{i:05d}.wav"), speech_like(args.seconds, rate, seed=i), rate)
        rows = [("1 worker, in_memory (this process)", 1, ["--direct_running_mode=in_memory"])]
        rows += [(f"{n} worker process{'es' if n > 1 else ''}, multi_processing", n,
                  ["--direct_running_mode=multi_processing"]) for n in args.workers]
        print(f"{args.files} WAV files of {args.seconds:g} s at {rate} Hz -> AudioSpectrogramEncoder() (16 kHz, 201 "
              f"bins); {os.cpu_count()} CPU cores; TensorFlow {tf.__version__}")
        results = []
        for label, workers, extra in rows:
            times = []
            for round_ in range(args.rounds):
                out = os.path.join(folder, f"out_{workers}_{round_}_{len(times)}_{extra[0][-9:]}")
                started = time.perf_counter()
                summary = encode_corpus(os.path.join(folder, "*.wav"), out, workers=workers, pipeline_args=extra)
                times.append(time.perf_counter() - started)
                assert summary.records == args.files, summary
                shutil.rmtree(out)
            results.append((label, statistics.median(times)))
            print(f"  {label}: {results[-1][1]:.1f} s", file=sys.stderr, flush=True)
        # the ratios: each row's files/s over the one-worker-process row's (same mode), and over in_memory's
        process = dict(results).get("1 worker process, multi_processing", results[0][1])
        print(f"{'runner':40s} {'seconds':>8s} {'files/s':>8s} {'vs 1 process':>13s} {'vs in_memory':>13s}")
        for label, seconds in results:
            print(f"{label:40s} {seconds:8.1f} {args.files / seconds:8.1f} {process / seconds:12.2f}x "
                  f"{results[0][1] / seconds:12.2f}x")
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
