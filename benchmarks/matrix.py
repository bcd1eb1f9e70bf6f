"""Warm speed and working memory across configurations, beside Kapre and Keras: mel front end or round trip.

The reference workload (``run.py``) is one cell; a user meets many. For every combination of
n_fft (256 to 4096, hop n_fft / 4, and 512 with a hop of 160 that does not divide it), mono or
stereo, batch 1, 16 or 32 and float32 or float64, this script builds kapre_like's
``get_melspectrogram_layer`` (decibels), Kapre 0.4.1's and, for mono float32, the equivalent
``keras.layers.MelSpectrogram``, each as a ``tf.function`` over 10 s clips at 22 050 Hz, and
reports, in one process, interleaved after a warm-up:

- the median steady time per call and its ratio to Kapre's and Keras's (above 1: kapre_like
  faster);
- the working memory of a call: the growth of the peak bytes in use in TensorFlow's CPU
  allocator during a later call, as in ``run.py`` ("MiB call").

With ``--workload pair`` the candidates are the perfectly reconstructing STFT -> inverse STFT pairs
(kapre_like's and Kapre's) instead.

A peer that cannot run a cell (Keras's layer has no channel axis; Kapre's layers follow Keras's
float32 policy) shows ``n/a``. Run ``python benchmarks/matrix.py`` (about 5 minutes on 2 cores) or
narrow it: ``python benchmarks/matrix.py --n-ffts 512 2048 --batches 16 --dtypes float32``.
"""

import argparse
import os
import random
import statistics
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow keeps allocator statistics for the CPU only with its BFC allocator, which it picks by
# itself on some CPUs (oneDNN builds on Intel) and not on others (AMD): ask for it, so that the
# memory columns are measured the same way everywhere
os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")

SAMPLE_RATE = 22050
SECONDS = 10.0


def _n_mels(n_fft):
    return min(128, n_fft // 4)  # no empty mel filters for small FFTs


def build(candidate, n_fft, hop, channels, batch, dtype, workload="mel"):
    """``(function, input)`` for one candidate and cell, or None when the candidate cannot run it."""
    import numpy as np
    import tensorflow as tf

    if candidate == "keras" and (channels != 1 or dtype != "float32" or workload != "mel"):
        return None
    if candidate == "kapre" and dtype != "float32":
        return None
    length = int(SAMPLE_RATE * SECONDS)
    rng = np.random.default_rng(0)
    waveforms = (0.1 * rng.standard_normal((batch, length, channels))).astype(dtype)
    if candidate == "keras":
        import keras

        layer = keras.layers.MelSpectrogram(fft_length=n_fft, sequence_stride=hop, sampling_rate=SAMPLE_RATE,
                                            num_mel_bins=_n_mels(n_fft))
        return tf.function(lambda x: layer(x)), tf.constant(waveforms[..., 0])
    if candidate == "kapre":
        try:
            import kapre as lib
        except ImportError:
            return None
    else:
        import kapre_like as lib
    if workload == "pair":
        if candidate == "kapre":
            stft, istft = lib.composed.get_perfectly_reconstructing_stft_istft(n_fft, hop, "channels_last",
                                                                               "channels_last")
        else:
            stft, istft = lib.composed.get_perfectly_reconstructing_stft_istft(
                stft_input_shape=(length, channels), n_fft=n_fft, hop_length=hop,
                waveform_data_format="channels_last", stft_data_format="channels_last")
        return tf.function(lambda x: istft(stft(x))), tf.constant(waveforms)
    layer = lib.composed.get_melspectrogram_layer(
        input_shape=(length, channels), n_fft=n_fft, hop_length=hop, sample_rate=SAMPLE_RATE,
        n_mels=_n_mels(n_fft), return_decibel=True, input_data_format="channels_last",
        output_data_format="channels_last")
    return tf.function(lambda x: layer(x)), tf.constant(waveforms)


def working_memory_mib(function, x):
    """Growth of the CPU allocator's peak bytes in use during one call (the call's working memory)."""
    import tensorflow as tf

    function(x)
    tf.config.experimental.reset_memory_stats("CPU:0")
    held = tf.config.experimental.get_memory_info("CPU:0")["current"]
    function(x)
    return (tf.config.experimental.get_memory_info("CPU:0")["peak"] - held) / 2**20


def measure_cell(cell, rounds, workload="mel"):
    """``{candidate: (steady seconds, MiB per call)}`` for one cell, the candidates interleaved."""
    built = {}
    for candidate in ("kapre_like", "kapre", "keras"):
        made = build(candidate, *cell, workload=workload)
        if made is not None:
            function, x = made
            function(x)  # trace
            built[candidate] = (function, x)
    memory = {name: working_memory_mib(function, x) for name, (function, x) in built.items()}
    times = {name: [] for name in built}
    order = list(built)
    for _ in range(rounds):
        random.shuffle(order)
        for name in order:
            function, x = built[name]
            time.sleep(0.02)
            function(x)  # wake the worker threads
            start = time.perf_counter()
            function(x)
            times[name].append(time.perf_counter() - start)
    return {name: (statistics.median(times[name]), memory[name]) for name in built}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-ffts", type=int, nargs="+", default=[256, 512, 1024, 2048, 4096])
    parser.add_argument("--batches", type=int, nargs="+", default=[1, 16, 32])
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--dtypes", nargs="+", default=["float32", "float64"])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--workload", choices=["mel", "pair"], default="mel")
    args = parser.parse_args(argv)
    random.seed(0)

    import tensorflow as tf

    hops = [(n_fft, n_fft // 4) for n_fft in args.n_ffts]
    if 512 in args.n_ffts:
        hops.append((512, 160))  # a hop that does not divide the FFT size
    what = "mel front end, decibels" if args.workload == "mel" else "STFT -> inverse STFT pair"
    print(f"{what}, 10 s clips at {SAMPLE_RATE} Hz; TensorFlow {tf.__version__}, "
          f"{os.cpu_count()} CPUs; ratios: peer's time / kapre_like's (above 1: kapre_like faster)")
    header = (f"{'n_fft':>5} {'hop':>4} {'ch':>2} {'batch':>5} {'dtype':>7} | {'ours ms':>8} {'kapre':>8} "
              f"{'keras':>8} | {'vs kapre':>8} {'vs keras':>8} | {'MiB ours':>8} {'kapre':>6} {'keras':>6}")
    print(header)
    print("-" * len(header))

    def show(value, fmt, suffix=""):
        return ("n/a" if value is None else format(value, fmt) + suffix).rjust(len(format(0.0, fmt) + suffix))

    for n_fft, hop in hops:
        for channels in args.channels:
            for batch in args.batches:
                for dtype in args.dtypes:
                    result = measure_cell((n_fft, hop, channels, batch, dtype), args.rounds, args.workload)
                    ours = result["kapre_like"]
                    peers = {name: result.get(name) for name in ("kapre", "keras")}
                    ms = {name: None if value is None else 1e3 * value[0] for name, value in peers.items()}
                    ratio = {name: None if value is None else value[0] / ours[0] for name, value in peers.items()}
                    mib = {name: None if value is None else value[1] for name, value in peers.items()}
                    print(f"{n_fft:>5} {hop:>4} {channels:>2} {batch:>5} {dtype:>7} | {1e3 * ours[0]:8.2f} "
                          f"{show(ms['kapre'], '8.2f')} {show(ms['keras'], '8.2f')} | "
                          f"{show(ratio['kapre'], '7.2f', 'x')} {show(ratio['keras'], '7.2f', 'x')} | "
                          f"{ours[1]:8.1f} {show(mib['kapre'], '6.1f')} {show(mib['keras'], '6.1f')}", flush=True)


if __name__ == "__main__":
    main()
