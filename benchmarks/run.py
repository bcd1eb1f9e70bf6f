"""Side-by-side speed of kapre_like and its peers, in one process, interleaved after a warm-up.

Workloads (design §5):

- ``logmel``: log-mel spectrogram of 16 mono clips of 10 s at 22 050 Hz, n_fft 2048, hop 512,
  128 mels, decibels, float32: kapre_like's ``get_melspectrogram_layer(return_decibel=True)`` and
  ``MelSpectrogram``, the factory with centred frames (``center=True, pad_mode='reflect'``, librosa's
  framing), Kapre 0.4.1's factory, ``keras.layers.MelSpectrogram``, a hand-written
  ``tf.signal`` pipeline, and librosa.
- ``roundtrip``: STFT -> inverse STFT of the same clips (n_fft 2048, hop 512) with the perfectly
  reconstructing pair, kapre_like's and Kapre's.
- ``train``: one training step (forward + backward + SGD update) of a small CNN on a mel front end,
  batch 16 of the same clips.
- ``stftspec``: ``STFTSpectrogram`` (mode 'log', frame 512, step 256) vs ``keras.layers.STFTSpectrogram``.
- ``griffinlim``: 16 Griffin-Lim iterations (momentum 0.99, zero initial phase, centred frames, n_fft 2048,
  hop 512) on the STFT magnitudes of 2 of the clips: kapre_like's ``GriffinLim`` vs ``librosa.griffinlim``
  and ``torchaudio.transforms.GriffinLim`` (its row only when torch and torchaudio are installed);
  ratios are against librosa.
- ``cqt``: constant-Q transform (84 bins from C1, 12 per octave, hop 512) of the 16 clips: kapre_like's
  ``CQT`` vs ``librosa.cqt`` (the same numbers, see tests/test_constant_q.py) and nnAudio's ``CQT2010v2``
  (its row only when nnAudio and torch are installed); ratios are against librosa.
- ``onnx``: the speech front end of ``benchmarks/cold.py`` (16 kHz, n_fft 512, hop 160, 64 mels, decibels)
  on the 16 clips (10 s each, resampled to 16 kHz): kapre_like's ``get_melspectrogram_layer`` in
  TensorFlow and the same model exported with ``export_onnx`` in onnxruntime (where the STFT is a
  convolution with the DFT matrix: ``O(n_fft)`` times the FFT's arithmetic per frame); ratios
  against TensorFlow.
- ``streaming``: one core, one stream: the latency of one step and the real-time factor (step time over
  the audio it consumes) of the mel front end (16 kHz, n_fft 512, hop 160, 64 mels, dB) and of the
  perfectly reconstructing STFT -> ISTFT pair (n_fft 512, hop 128), for the step of ``to_streaming``
  (a ``tf.function`` and, for TFLite-layer models, the TFLite interpreter) and for ``Stream`` (eager
  Python loop), beside the offline model called each hop on a sliding window (the fewest samples that
  give the new hop's output, and one second of context); ratios are window time over step time.
- ``resample``: the 16 clips from 22 050 Hz to 16 000 Hz: kapre_like's ``Resample`` vs ``soxr.resample``
  ('HQ', librosa's and the encoder's resampler) and ``scipy.signal.resample_poly`` (the same filter as
  ``Resample``); ratios are against soxr.

Every TensorFlow candidate runs as a ``tf.function`` on the same input tensor; one round runs each
candidate, in a shuffled order after a 50 ms pause, as a burst of back-to-back calls. The table reports
the median over rounds of the steady per-call time (the burst's later calls, as in a training or
inference loop) and of the cold first call (worker threads asleep). Peak memory is
measured separately, one fresh subprocess per candidate: the largest growth of allocated
(anonymous) resident memory, sampled every millisecond, during the first call ("MiB 1st": it
includes tracing and compiling); the file-backed pages that first call brought in ("+code":
mostly XLA's compiler code, the first time the process compiles anything; shared, read-only and
reclaimable, so reported apart); and the peak bytes in use in TensorFlow's CPU allocator during a
later call ("MiB call": the working memory of a call in a training or inference loop; TensorFlow
keeps freed memory for reuse, so the resident set cannot show it).

Run ``python benchmarks/run.py`` (all workloads) or ``python benchmarks/run.py logmel --rounds 30``.
Kapre rows need ``pip install --no-deps kapre==0.4.1``; they are skipped without it.
"""

import argparse
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
# TensorFlow keeps allocator statistics for the CPU only with its BFC allocator, which it picks by
# itself on some CPUs (oneDNN builds on Intel) and not on others (AMD): ask for it, so that the
# memory columns are measured the same way everywhere
os.environ.setdefault("TF_CPU_ALLOCATOR_USE_BFC", "true")

import numpy as np  # noqa: E402

SAMPLE_RATE = 22050
N_CLIPS = 16
CLIP_SECONDS = 10.0
N_FFT = 2048
HOP = 512
N_MELS = 128


def clips():
    """(16, 220500) float32: tones, chirps and noise, deterministic."""
    rng = np.random.default_rng(0)
    t = np.arange(int(SAMPLE_RATE * CLIP_SECONDS)) / SAMPLE_RATE
    rows = []
    for i in range(N_CLIPS):
        f0 = 110.0 * (1 + i % 5)
        chirp = np.sin(2 * np.pi * (f0 * t + 200.0 * t**2))
        rows.append(0.3 * np.sin(2 * np.pi * 3 * f0 * t) + 0.3 * chirp + 0.05 * rng.standard_normal(t.size))
    return np.asarray(rows, dtype=np.float32)


def _kapre():
    try:
        import kapre
    except ImportError:
        return None
    return kapre


# ----------------------------------------------------------------------------- candidates
# Each builder returns (function taking the prepared input, input array).


def _mel_factory(lib, **centring):
    import tensorflow as tf

    layer = lib.composed.get_melspectrogram_layer(
        input_shape=(int(SAMPLE_RATE * CLIP_SECONDS), 1), n_fft=N_FFT, hop_length=HOP, sample_rate=SAMPLE_RATE,
        n_mels=N_MELS, return_decibel=True, input_data_format="channels_last", output_data_format="channels_last",
        **centring)
    return tf.function(lambda x: layer(x, training=False)), clips()[..., np.newaxis]


def _keras_mel_layer(cls):
    import tensorflow as tf

    layer = cls(fft_length=N_FFT, sequence_stride=HOP, sampling_rate=SAMPLE_RATE, num_mel_bins=N_MELS)
    return tf.function(lambda x: layer(x)), clips()


def _tf_signal_mel():
    import tensorflow as tf

    matrix = tf.signal.linear_to_mel_weight_matrix(N_MELS, N_FFT // 2 + 1, SAMPLE_RATE, 0.0, SAMPLE_RATE / 2)

    @tf.function
    def run(x):
        magnitude = tf.abs(tf.signal.stft(x, N_FFT, HOP, fft_length=N_FFT))
        mel = tf.tensordot(magnitude, matrix, 1)
        db = 10.0 * tf.math.log(tf.maximum(mel, 1e-5)) / tf.math.log(10.0)
        return tf.maximum(db, tf.reduce_max(db, axis=[1, 2], keepdims=True) - 80.0)

    return run, clips()


def _librosa_mel():
    import librosa

    def run(x):
        mel = librosa.feature.melspectrogram(y=x, sr=SAMPLE_RATE, n_fft=N_FFT, hop_length=HOP, n_mels=N_MELS,
                                             center=False, power=1.0)
        return librosa.power_to_db(mel, top_db=80.0)

    return run, clips()


def _pair(lib):
    import tensorflow as tf

    if lib.__name__ == "kapre":
        stft, istft = lib.composed.get_perfectly_reconstructing_stft_istft(N_FFT, HOP, "channels_last", "channels_last")
    else:
        stft, istft = lib.composed.get_perfectly_reconstructing_stft_istft(
            stft_input_shape=(int(SAMPLE_RATE * CLIP_SECONDS), 1), n_fft=N_FFT, hop_length=HOP,
            forward_window_name="hann_window", waveform_data_format="channels_last", stft_data_format="channels_last")
    return tf.function(lambda x: istft(stft(x))), clips()[..., np.newaxis]


def _train_step(lib):
    import keras
    import tensorflow as tf

    keras.utils.set_random_seed(0)
    front = lib.composed.get_melspectrogram_layer(
        input_shape=(int(SAMPLE_RATE * CLIP_SECONDS), 1), n_fft=N_FFT, hop_length=HOP, sample_rate=SAMPLE_RATE,
        n_mels=N_MELS, return_decibel=True, input_data_format="channels_last", output_data_format="channels_last")
    model = keras.Sequential([
        keras.Input((int(SAMPLE_RATE * CLIP_SECONDS), 1)), front,
        keras.layers.Conv2D(8, 3, strides=2, activation="relu"), keras.layers.MaxPooling2D(4),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.GlobalAveragePooling2D(), keras.layers.Dense(10),
    ])
    optimizer = keras.optimizers.SGD(1e-3)
    loss_fn = keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    labels = tf.constant(np.arange(N_CLIPS) % 10)

    @tf.function
    def step(x):
        with tf.GradientTape() as tape:
            loss = loss_fn(labels, model(x, training=True))
        gradients = tape.gradient(loss, model.trainable_variables)
        optimizer.apply_gradients(zip(gradients, model.trainable_variables))
        return loss

    return step, clips()[..., np.newaxis]


def _stft_spectrogram(cls):
    import tensorflow as tf

    layer = cls(mode="log", frame_length=512, frame_step=256, data_format="channels_last")
    return tf.function(lambda x: layer(x)), clips()[..., np.newaxis]


GRIFFIN_LIM_CLIPS = 2
GRIFFIN_LIM_ITERATIONS = 16


def _magnitudes():
    """(2, frames, 1025) float32 STFT magnitudes (centred frames) of the first clips."""
    import librosa

    return np.abs(librosa.stft(clips()[:GRIFFIN_LIM_CLIPS], n_fft=N_FFT, hop_length=HOP)).transpose(0, 2, 1)


def _griffin_lim(kapre_like):
    import tensorflow as tf

    layer = kapre_like.GriffinLim(n_fft=N_FFT, hop_length=HOP, n_iter=GRIFFIN_LIM_ITERATIONS, init="zeros",
                                  center=True, input_data_format="channels_last", output_data_format="channels_last")
    return tf.function(lambda x: layer(x)), _magnitudes()[..., np.newaxis]


def _librosa_griffin_lim():
    import librosa

    def run(magnitudes):
        return librosa.griffinlim(magnitudes, n_iter=GRIFFIN_LIM_ITERATIONS, hop_length=HOP, n_fft=N_FFT, init=None,
                                  momentum=0.99)

    return run, _magnitudes().transpose(0, 2, 1).copy()


def _torchaudio_griffin_lim():
    try:
        import torch
        import torchaudio
    except ImportError:
        return None
    transform = torchaudio.transforms.GriffinLim(n_fft=N_FFT, hop_length=HOP, n_iter=GRIFFIN_LIM_ITERATIONS,
                                                 momentum=0.99, rand_init=False, power=1.0)

    def run(magnitudes):
        with torch.no_grad():
            return transform(torch.from_numpy(magnitudes))

    return run, _magnitudes().transpose(0, 2, 1).copy()


CQT_BINS = 84


def _cqt(kapre_like):
    import tensorflow as tf

    layer = kapre_like.CQT(sample_rate=SAMPLE_RATE, hop_length=HOP, n_bins=CQT_BINS, input_data_format="channels_last",
                           output_data_format="channels_last")
    return tf.function(lambda x: layer(x)), clips()[..., np.newaxis]


def _librosa_cqt():
    import librosa

    return (lambda y: np.abs(librosa.cqt(y, sr=SAMPLE_RATE, hop_length=HOP, n_bins=CQT_BINS))), clips()


def _nnaudio_cqt():
    try:
        import torch
        from nnAudio.features import CQT2010v2
    except ImportError:
        return None
    transform = CQT2010v2(sr=SAMPLE_RATE, hop_length=HOP, n_bins=CQT_BINS, verbose=False)

    def run(y):
        with torch.no_grad():
            return transform(torch.from_numpy(y))

    return run, clips()


RESAMPLED_RATE = 16000


def _resample(kapre_like):
    import tensorflow as tf

    layer = kapre_like.Resample(SAMPLE_RATE, RESAMPLED_RATE, data_format="channels_last")
    return tf.function(lambda x: layer(x)), clips()[..., np.newaxis]


def _soxr_resample():
    import soxr

    return (lambda y: soxr.resample(y.T, SAMPLE_RATE, RESAMPLED_RATE, "HQ")), clips()


def _scipy_resample():
    from math import gcd

    from scipy.signal import resample_poly

    divisor = gcd(SAMPLE_RATE, RESAMPLED_RATE)
    return (lambda y: resample_poly(y, RESAMPLED_RATE // divisor, SAMPLE_RATE // divisor, axis=-1)), clips()


ONNX_RATE, ONNX_N_FFT, ONNX_HOP, ONNX_MELS = 16000, 512, 160, 64


def _speech_clips():
    import soxr

    return np.ascontiguousarray(soxr.resample(clips().T, SAMPLE_RATE, ONNX_RATE).T)[..., np.newaxis]


def _speech_front_end(kapre_like):
    return kapre_like.composed.get_melspectrogram_layer(
        input_shape=(None, 1), n_fft=ONNX_N_FFT, hop_length=ONNX_HOP, sample_rate=ONNX_RATE, n_mels=ONNX_MELS,
        return_decibel=True, input_data_format="channels_last", output_data_format="channels_last")


def _tensorflow_front_end(kapre_like):
    import tensorflow as tf

    model = _speech_front_end(kapre_like)
    return tf.function(lambda x: model(x)), _speech_clips()


def _onnx_front_end(kapre_like):
    import tempfile
    import warnings

    import onnxruntime

    path = os.path.join(tempfile.mkdtemp(), "front_end.onnx")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        kapre_like.export_onnx(_speech_front_end(kapre_like), path)
    session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    return (lambda x: session.run(None, {name: x})[0]), _speech_clips()


STREAM_STEPS = 100  # hops per timed run


def _streaming_models(kapre_like, tflite=False):
    """``{name: (model, hop)}``: the speech front end (decibels against a fixed reference) and the pair."""
    import keras

    stft_class = kapre_like.STFTTflite if tflite else kapre_like.STFT
    magnitude_class = kapre_like.MagnitudeTflite if tflite else kapre_like.Magnitude
    istft_class = kapre_like.InverseSTFTTflite if tflite else kapre_like.InverseSTFT
    formats = dict(input_data_format="channels_last", output_data_format="channels_last")
    front_end = keras.Sequential([
        keras.Input((None, 1)), stft_class(n_fft=ONNX_N_FFT, hop_length=ONNX_HOP, **formats), magnitude_class(),
        kapre_like.ApplyFilterbank("mel", {"sample_rate": ONNX_RATE, "n_freq": ONNX_N_FFT // 2 + 1,
                                           "n_mels": ONNX_MELS}, data_format="channels_last"),
        kapre_like.MagnitudeToDecibel(dynamic_range=None)], name="mel_front_end")
    pair = keras.Sequential([
        keras.Input((None, 1)), stft_class(n_fft=512, hop_length=128, pad_begin=True, pad_end=True, **formats),
        istft_class(n_fft=512, hop_length=128, **formats)], name="stft_istft_pair")
    return {"mel front end": (front_end, ONNX_HOP), "STFT -> ISTFT pair": (pair, 128)}


def _tflite_step(step):
    import warnings

    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(step)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        interpreter = tf.lite.Interpreter(model_content=converter.convert())
    runner = interpreter.get_signature_runner()
    outputs = sorted(runner.get_output_details())  # output_0 (the chunk's output), then the next states

    def run(chunk, states):
        feed = dict(zip(("stft_state", "overlap_add_state"), states))  # initial_states' order
        result = runner(chunk=chunk, **feed)
        values = [result[name] for name in outputs]
        return values[0], values[1:]

    return run


def streaming_report(rounds):
    """Per-hop latency of streamed and sliding-window computation, one core (see the module docstring)."""
    import tensorflow as tf

    import kapre_like
    from kapre_like.streaming import Stream, initial_states, to_streaming

    signal = _speech_clips()[:1]  # (1, 160000, 1)
    print(f"\nstreaming: one stream, one core, {STREAM_STEPS} hops per run, median of {rounds} runs")
    header = f"{'model':20s} {'candidate':38s} {'ms/hop':>8s} {'RT factor':>10s} {'window/step':>12s}"
    print(header)
    print("-" * len(header))
    for (label, (model, hop)), (_, (tflite_model, _)) in zip(_streaming_models(kapre_like).items(),
                                                              _streaming_models(kapre_like, tflite=True).items()):
        step = to_streaming(model, chunk_hops=1)
        traced = tf.function(step)
        tflite_run = _tflite_step(to_streaming(tflite_model, chunk_hops=1))
        stream = Stream(model)
        states0 = initial_states(step, 1)
        chunks = [signal[:, i * hop:(i + 1) * hop] for i in range(STREAM_STEPS)]
        inverse = "pair" in label
        shortest = 2 * 512 - hop if inverse else ONNX_N_FFT  # samples whose offline output holds the new hop
        windows = {}
        for length in (shortest, ONNX_RATE):
            window_model = tf.function(model)
            x = np.ascontiguousarray(signal[:, :length])
            window_model(tf.constant(x))
            windows[length] = (window_model, x)

        def run_step():
            states = [tf.constant(s) for s in states0]
            for chunk in chunks:
                output, *states = traced([tf.constant(chunk), *states])
            return output

        def run_tflite():
            states = list(states0)
            for chunk in chunks:
                output, states = tflite_run(chunk, states)
            return output

        def run_stream():
            stream.reset_state()
            for chunk in chunks:
                output = stream(chunk)
            return output

        def sliding(length):
            window_model, x = windows[length]

            def run():
                for _ in chunks:  # the same window each hop (the cost, not the values, is measured), made a
                    output = window_model(tf.constant(x))  # tensor each time as the step's chunks are
                return output
            return run

        runs = {"step (tf.function)": run_step, "step (TFLite, built-in ops)": run_tflite,
                "Stream (eager Python loop)": run_stream,
                f"offline on a {shortest}-sample window": sliding(shortest),
                "offline on a 1 s window": sliding(ONNX_RATE)}
        for run in runs.values():
            run()
        times = {name: [] for name in runs}
        for _ in range(rounds):
            for name, run in runs.items():
                start = time.perf_counter()
                run()
                times[name].append((time.perf_counter() - start) / STREAM_STEPS)
        per_hop = {name: statistics.median(values) for name, values in times.items()}
        step_time = per_hop["step (tf.function)"]
        for name, seconds in per_hop.items():
            window = "" if not name.startswith("offline") else f"{seconds / step_time:11.2f}x"
            print(f"{label:20s} {name:38s} {1e3 * seconds:8.3f} {seconds / (hop / ONNX_RATE):10.4f} {window:>12s}")


def candidates(workload):
    """{name: zero-argument builder} for ``workload``; Kapre rows only when Kapre is installed."""
    import keras

    import kapre_like

    kapre = _kapre()
    table = {
        "logmel": {
            "kapre_like get_melspectrogram_layer": lambda: _mel_factory(kapre_like),
            "kapre_like ... center=True, reflect": lambda: _mel_factory(kapre_like, center=True, pad_mode="reflect"),
            "kapre_like MelSpectrogram": lambda: _keras_mel_layer(kapre_like.MelSpectrogram),
            "kapre 0.4.1 get_melspectrogram_layer": kapre and (lambda: _mel_factory(kapre)),
            "keras.layers.MelSpectrogram": lambda: _keras_mel_layer(keras.layers.MelSpectrogram),
            "tf.signal by hand": _tf_signal_mel,
            "librosa": _librosa_mel,
        },
        "roundtrip": {
            "kapre_like STFT/ISTFT pair": lambda: _pair(kapre_like),
            "kapre 0.4.1 STFT/ISTFT pair": kapre and (lambda: _pair(kapre)),
        },
        "train": {
            "kapre_like mel front end": lambda: _train_step(kapre_like),
            "kapre 0.4.1 mel front end": kapre and (lambda: _train_step(kapre)),
        },
        "stftspec": {
            "kapre_like STFTSpectrogram": lambda: _stft_spectrogram(kapre_like.STFTSpectrogram),
            "keras.layers.STFTSpectrogram": lambda: _stft_spectrogram(keras.layers.STFTSpectrogram),
        },
        "griffinlim": {
            "kapre_like GriffinLim": lambda: _griffin_lim(kapre_like),
            "librosa.griffinlim": _librosa_griffin_lim,
            "torchaudio GriffinLim": _torchaudio_griffin_lim() and _torchaudio_griffin_lim,
        },
        "cqt": {
            "kapre_like CQT": lambda: _cqt(kapre_like),
            "librosa.cqt": _librosa_cqt,
            "nnAudio CQT2010v2": _nnaudio_cqt() and _nnaudio_cqt,
        },
        "onnx": {
            "kapre_like front end, TensorFlow": lambda: _tensorflow_front_end(kapre_like),
            "same model in onnxruntime": importlib.util.find_spec("onnxruntime") and (
                lambda: _onnx_front_end(kapre_like)),
        },
        "resample": {
            "kapre_like Resample": lambda: _resample(kapre_like),
            "soxr.resample HQ": _soxr_resample,
            "scipy resample_poly": _scipy_resample,
        },
    }[workload]
    return {name: builder for name, builder in table.items() if builder}


# ----------------------------------------------------------------------------- measuring


def _is_tensorflow(run):
    """Whether a candidate is a TensorFlow function (else plain Python over NumPy)."""
    return run.__class__.__module__.startswith("tensorflow")


def _prepare(run, array):
    if _is_tensorflow(run):
        import tensorflow as tf

        return tf.constant(array)
    return array


def time_workload(workload, rounds, warmup, burst=3):
    """Median seconds per call of every candidate: ``(steady, cold)`` dicts.

    Each round runs every candidate (shuffled order) as a burst of ``burst`` back-to-back calls
    after a 50 ms pause: ``cold`` is the burst's first call (worker threads asleep, as for a
    single call after idling), ``steady`` the median of the rest (as in a training or inference
    loop, where batches follow each other).
    """
    built = {}
    for name, builder in candidates(workload).items():
        run, array = builder()
        built[name] = (run, _prepare(run, array))
    for _ in range(warmup):
        for run, x in built.values():
            run(x)
    steady = {name: [] for name in built}
    cold = {name: [] for name in built}
    rng = random.Random(0)
    for _ in range(rounds):
        order = list(built)
        rng.shuffle(order)
        for name in order:
            run, x = built[name]
            time.sleep(0.05)  # let the previous candidate's worker threads (BLAS, TF pools) go idle
            calls = []
            for _ in range(burst):
                start = time.perf_counter()
                run(x)
                calls.append(time.perf_counter() - start)
            cold[name].append(calls[0])
            steady[name].append(statistics.median(calls[1:]) if burst > 1 else calls[0])
    return ({name: statistics.median(values) for name, values in steady.items()},
            {name: statistics.median(values) for name, values in cold.items()})


def _resident_mib():
    """``(anonymous, file_backed)`` resident memory in MiB: allocated memory, and pages of mapped
    files (shared libraries' code and data)."""
    with open("/proc/self/statm") as statm:
        fields = statm.read().split()
    page_mib = os.sysconf("SC_PAGE_SIZE") / 2**20
    resident, shared = int(fields[1]) * page_mib, int(fields[2]) * page_mib
    return resident - shared, shared


def measure_peak(run, x, calls=1):
    """Largest growth (MiB) of allocated resident memory over ``calls`` calls, sampled every
    millisecond, and the growth of file-backed resident memory (code pages touched)."""
    import threading

    baseline, files_before = _resident_mib()
    peak = [baseline]
    done = threading.Event()

    def sample():
        while not done.is_set():
            peak[0] = max(peak[0], _resident_mib()[0])
            time.sleep(0.001)

    sampler = threading.Thread(target=sample)
    sampler.start()
    for _ in range(calls):
        run(x)
    done.set()
    sampler.join()
    return peak[0] - baseline, _resident_mib()[1] - files_before


def first_and_steady_peaks(run, x):
    """``(first, code, steady)`` in MiB: the growth of allocated resident memory during the first
    call, the file-backed pages that call brought in (mostly the code of TensorFlow's XLA compiler,
    the first time a process compiles anything: shared and read-only, so not counted as memory the
    call needs), and the growth of the peak bytes in use in TensorFlow's CPU allocator during a
    later call (its working memory, without tracing and compiling; None for a candidate that is
    not TensorFlow). TensorFlow keeps freed memory for reuse, so the resident set cannot show a
    later call's needs."""
    first, code = measure_peak(run, x)
    if not _is_tensorflow(run):
        return first, code, None
    import tensorflow as tf

    run(x)
    tf.config.experimental.reset_memory_stats("CPU:0")
    held = tf.config.experimental.get_memory_info("CPU:0")["current"]  # the input, constants
    run(x)
    return first, code, (tf.config.experimental.get_memory_info("CPU:0")["peak"] - held) / 2**20


def peak_memory_mib(workload, name):
    """``(first, code, steady)`` memory growth of one candidate, in a fresh interpreter.

    The first call's growth includes tracing (and any compilation); the steady call's is its working
    memory (:func:`first_and_steady_peaks`).
    """
    code = (
        "import json, sys; sys.path.insert(0, {here!r}); import run as bench; "
        "fn, array = bench.candidates({workload!r})[{name!r}](); x = bench._prepare(fn, array); "
        "print(json.dumps(bench.first_and_steady_peaks(fn, x)))"
    ).format(here=os.path.dirname(os.path.abspath(__file__)), workload=workload, name=name)
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    if result.returncode != 0:
        raise RuntimeError(f"memory run of {name!r} failed:\n{result.stderr[-2000:]}")
    return json.loads(result.stdout.strip().splitlines()[-1])


#: The rows each workload's ratio columns compare with (name prefixes), and their headings.
REFERENCES = {"griffinlim": (("librosa", "vs librosa"), ("torchaudio", "vs torch")),
              "cqt": (("librosa", "vs librosa"), ("nnAudio", "vs nnAudio")),
              "resample": (("soxr", "vs soxr"), ("scipy", "vs scipy")),
              "onnx": (("kapre_like front end, TensorFlow", "vs TF"), ("same model", "vs ORT"))}


def report(workload, medians, cold, memory):
    audio_seconds = (GRIFFIN_LIM_CLIPS if workload == "griffinlim" else N_CLIPS) * CLIP_SECONDS
    (first, first_heading), (second, second_heading) = REFERENCES.get(
        workload, (("kapre 0.4.1", "vs Kapre"), ("keras.layers", "vs Keras")))

    def ratios(times, prefix):
        reference = next((times[n] for n in times if n.startswith(prefix)), None)
        return {n: (f"{reference / t:7.2f}x" if reference else "     n/a") for n, t in times.items()}

    vs_kapre, vs_keras = ratios(medians, first), ratios(medians, second)
    cold_vs_kapre = ratios(cold, first)
    what = f", {GRIFFIN_LIM_ITERATIONS} iterations" if workload == "griffinlim" else ""
    print(f"\n{workload}: {int(audio_seconds / CLIP_SECONDS)} clips x {CLIP_SECONDS:g} s at {SAMPLE_RATE} Hz{what}")
    header = (f"{'candidate':38s} {'steady ms':>9s} {'audio s/s':>9s} {first_heading:>8s} {second_heading:>8s} "
              f"{'cold ms':>8s} {first_heading:>8s} {'MiB 1st':>8s} {'+code':>6s} {'MiB call':>8s}")
    print(header)
    print("-" * len(header))
    for name, seconds in sorted(medians.items(), key=lambda item: item[1]):
        first, code, steady = memory.get(name, (None, None, None))
        mem = " ".join("n/a".rjust(width) if value is None else f"{value:{width}.0f}"
                       for value, width in ((first, 8), (code, 6), (steady, 8)))
        print(f"{name:38s} {seconds * 1e3:9.1f} {audio_seconds / seconds:9.0f} {vs_kapre[name]} {vs_keras[name]} "
              f"{cold[name] * 1e3:8.1f} {cold_vs_kapre[name]} {mem}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("workloads", nargs="*", default=["logmel", "roundtrip", "train", "stftspec"])
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds per candidate (default 20)")
    parser.add_argument("--warmup", type=int, default=3, help="untimed rounds first (default 3)")
    parser.add_argument("--burst", type=int, default=3, help="back-to-back calls per candidate and round (default 3)")
    parser.add_argument("--no-memory", action="store_true", help="skip the per-candidate memory subprocesses")
    args = parser.parse_args(argv)
    if "streaming" in args.workloads:
        args.workloads.remove("streaming")
        if args.workloads:  # measured on one core: in its own process, whose TensorFlow runtime starts so
            subprocess.run([sys.executable, os.path.abspath(__file__), "streaming", "--rounds", str(args.rounds)],
                           check=True)
        else:
            import tensorflow as tf

            tf.config.threading.set_intra_op_parallelism_threads(1)
            tf.config.threading.set_inter_op_parallelism_threads(1)
            print(f"TensorFlow {tf.__version__}, one core (intra- and inter-op threads 1)")
            streaming_report(args.rounds)
            return
    import tensorflow as tf

    print(f"TensorFlow {tf.__version__}, {os.cpu_count()} CPUs, "
          f"ratios are the peer's median time over the candidate's (higher is faster)")
    for workload in args.workloads:
        medians, cold = time_workload(workload, args.rounds, args.warmup, args.burst)
        memory = {} if args.no_memory else {name: peak_memory_mib(workload, name) for name in medians}
        report(workload, medians, cold, memory)


if __name__ == "__main__":
    main()
