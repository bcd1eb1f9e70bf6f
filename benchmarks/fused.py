"""Does a fused, compiled block pay for itself on this CPU? The measurements behind issue 38's answer.

Two questions, each answered side by side in one process, interleaved after a warm-up (medians over rounds):

- ``tf``: the reference log-mel (16 clips of 10 s at 22 050 Hz, n_fft 2048, hop 512, 128 mels, dB) as Kapre
  0.4.1 computes it, as kapre_like's factory does, and as candidate engines would: the plain ops in one
  ``tf.function``; the same with the mel product over each mel group's non-zero band only; the whole
  computation compiled by XLA (``jit_compile=True``); a fixed-shape XLA block kernel (``F`` frames of every
  row) called in a loop over blocks, for several ``F``; and the plain ops in blocks without XLA. Also where the
  time goes (framing, FFT, power, mel product, each alone) and what the block kernel's compile costs.
- ``onnx``: the power spectrum of 16 000 frames of 512 samples (the speech front end's STFT, 16 clips x 10 s at
  16 kHz, hop 160) in onnxruntime, as the exported model computes it (the DFT as one matrix product) and as
  the alternatives would: ONNX's ``DFT`` op (opset 17), ONNX's ``STFT`` op (framing included), and the DFT
  as two smaller products (Cooley-Tukey in two stages, ``N1 x N2 = 512``), beside TensorFlow's ``rfft``.

Ratios are the reference's median time over the candidate's (higher is faster): against Kapre for ``tf``,
against TensorFlow's ``rfft`` for ``onnx``. Run from the repository root::

    python benchmarks/fused.py            # both
    python benchmarks/fused.py onnx --rounds 20
"""

import argparse
import os
import sys
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from run import HOP, N_FFT, N_MELS, SAMPLE_RATE, clips  # noqa: E402  (the reference workload's settings)


def _timed(candidates, rounds, warmup=2):
    """{name: median seconds} of each ``candidates[name]()`` over ``rounds`` interleaved rounds."""
    for _ in range(warmup):
        for run in candidates.values():
            run()
    times = {name: [] for name in candidates}
    for _ in range(rounds):
        for name, run in candidates.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: float(np.median(values)) for name, values in times.items()}


def _print(title, medians, reference, notes=None):
    print(f"\n{title}")
    print(f"{'candidate':50s} {'ms':>8s} {'vs ' + reference:>12s}")
    for name, seconds in medians.items():
        note = f"  {notes[name]}" if notes and name in notes else ""
        print(f"{name:50s} {1e3 * seconds:8.1f} {medians[reference] / seconds:11.2f}x{note}")


# ----------------------------------------------------------------------------- TensorFlow: blocks and XLA


def tf_candidates():
    import librosa
    import tensorflow as tf

    import kapre_like

    x = tf.constant(clips())
    n_samples = x.shape[1]
    n_frames = 1 + (n_samples - N_FFT) // HOP
    window = tf.constant(np.hanning(N_FFT + 1)[:-1].astype(np.float32))
    weights = librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS).T.astype(np.float32)
    mel = tf.constant(weights)
    bands = []  # each group of 16 mels with the rows (FFT bins) where any of them is non-zero
    for first in range(0, N_MELS, 16):
        rows = np.flatnonzero(weights[:, first:first + 16].any(axis=1))
        bands.append((int(rows[0]), int(rows[-1]) + 1, tf.constant(weights[rows[0]:rows[-1] + 1, first:first + 16])))

    def power(samples):
        spectra = tf.signal.rfft(tf.signal.frame(samples, N_FFT, HOP) * window)
        return tf.square(tf.math.real(spectra)) + tf.square(tf.math.imag(spectra))

    def banded(spectra):
        return tf.concat([tf.matmul(spectra[..., lo:hi], band) for lo, hi, band in bands], axis=-1)

    def decibels(energies):
        db = 10.0 * tf.math.log(tf.maximum(energies, 1e-10)) / np.log(10.0)
        return tf.maximum(db, tf.reduce_max(db, axis=[1, 2], keepdims=True) - 80.0)

    def in_blocks(frames_per_block, kernel):
        n_blocks = -(-n_frames // frames_per_block)
        span = (frames_per_block - 1) * HOP + N_FFT
        padded_length = (n_blocks - 1) * frames_per_block * HOP + span

        def run(samples):
            samples = tf.pad(samples, [[0, 0], [0, max(0, padded_length - n_samples)]])
            step = frames_per_block * HOP
            pieces = [kernel(samples[:, b * step:b * step + span]) for b in range(n_blocks)]
            return decibels(tf.concat(pieces, axis=1)[:, :n_frames])

        return run

    # the first engine's formulation (removed in ef2ca55, 1.5-1.7x Kapre then): frames as stacked views of hop-sized
    # blocks, each times its part of the window, packed as complex (even, odd) samples for a half-length complex
    # FFT, untangled into the power spectrum in one pass
    per_frame = N_FFT // HOP
    window_blocks = tf.reshape(window, [per_frame, HOP])
    half = N_FFT // 2
    turn = np.arange(1, half)
    cos, sin = (tf.constant(values.astype(np.float32)) for values in (np.cos(np.pi * turn / half),
                                                                       -np.sin(np.pi * turn / half)))

    def packed_frames(piece, frames_per_block):
        blocks = tf.reshape(piece, [-1, frames_per_block + per_frame - 1, HOP])
        parts = [blocks[:, i:i + frames_per_block, :] * window_blocks[i] for i in range(per_frame)]
        frames = tf.reshape(tf.stack(parts, axis=-2), [-1, N_FFT])
        return tf.complex(frames[:, 0::2], frames[:, 1::2])

    def untangled_power(packed):
        real, imag = tf.math.real(packed), tf.math.imag(packed)
        fore_re, fore_im = real[..., 1:], imag[..., 1:]
        back_re, back_im = tf.reverse(fore_re, [-1]), -tf.reverse(fore_im, [-1])
        diff_re, diff_im = fore_re - back_re, fore_im - back_im
        turned_re, turned_im = cos * diff_re - sin * diff_im, cos * diff_im + sin * diff_re
        bin_re, bin_im = fore_re + back_re + turned_im, fore_im + back_im - turned_re
        middle = 0.25 * (tf.square(bin_re) + tf.square(bin_im))
        return tf.concat([tf.square(real[..., :1] + imag[..., :1]), middle, tf.square(real[..., :1] - imag[..., :1])],
                         axis=-1)

    def first_engine_kernel(frames_per_block):
        def kernel(piece):
            spectra = untangled_power(tf.signal.fft(packed_frames(piece, frames_per_block)))
            return tf.reshape(tf.matmul(spectra, mel), [-1, frames_per_block, N_MELS])

        return tf.function(kernel, jit_compile=True, autograph=False)

    layout = dict(input_data_format="channels_last", output_data_format="channels_last")
    ours = kapre_like.composed.get_melspectrogram_layer(input_shape=(n_samples, 1), n_fft=N_FFT, hop_length=HOP,
                                                        sample_rate=SAMPLE_RATE, n_mels=N_MELS, return_decibel=True,
                                                        **layout)
    functions = {"kapre_like get_melspectrogram_layer": tf.function(lambda s: ours(s[..., None]))}
    try:
        import kapre

        theirs = kapre.composed.get_melspectrogram_layer(input_shape=(n_samples, 1), n_fft=N_FFT, hop_length=HOP,
                                                         sample_rate=SAMPLE_RATE, n_mels=N_MELS, return_decibel=True,
                                                         **layout)
        functions = {"Kapre 0.4.1": tf.function(lambda s: theirs(s[..., None])), **functions}
    except ImportError:
        print("Kapre 0.4.1 is not installed (pip install --no-deps kapre==0.4.1): ratios against kapre_like")
    functions["plain ops"] = tf.function(lambda s: decibels(tf.matmul(power(s), mel)))
    functions["plain ops, mel product over its bands"] = tf.function(lambda s: decibels(banded(power(s))))
    functions["XLA, the whole computation"] = tf.function(lambda s: decibels(tf.matmul(power(s), mel)),
                                                          jit_compile=True)
    compile_seconds = {}
    for frames_per_block in (32, 128, 512):
        kernel = tf.function(lambda piece: tf.matmul(power(piece), mel), jit_compile=True, autograph=False)
        name = f"XLA block kernel, {frames_per_block} frames x 16 rows"
        functions[name] = tf.function(in_blocks(frames_per_block, kernel))
    for frames_per_block in (16, 64):
        functions[f"first engine's XLA kernel, {frames_per_block} frames x 16 rows"] = tf.function(
            in_blocks(frames_per_block, first_engine_kernel(frames_per_block)))
    for frames_per_block in (128, 512):
        functions[f"plain ops in blocks of {frames_per_block} frames"] = tf.function(
            in_blocks(frames_per_block, lambda piece: banded(power(piece))))
    notes = {}
    for name, function in functions.items():  # the first call: trace, and compile where XLA is used
        start = time.perf_counter()
        function(x).numpy()
        compile_seconds[name] = time.perf_counter() - start
        notes[name] = f"first call {compile_seconds[name]:.2f} s"
    return {name: (lambda f=function: f(x).numpy()) for name, function in functions.items()}, notes


def tf_steps():
    """Each step of the reference log-mel alone (its output brought back to NumPy), to see where the time goes."""
    import librosa
    import tensorflow as tf

    x = tf.constant(clips())
    window = tf.constant(np.hanning(N_FFT + 1)[:-1].astype(np.float32))
    mel = tf.constant(librosa.filters.mel(sr=SAMPLE_RATE, n_fft=N_FFT, n_mels=N_MELS).T.astype(np.float32))
    frames = tf.signal.frame(x, N_FFT, HOP) * window
    spectra = tf.signal.rfft(frames)
    energies = tf.square(tf.math.real(spectra)) + tf.square(tf.math.imag(spectra))
    steps = {"framing and window": (lambda s: tf.signal.frame(s, N_FFT, HOP) * window, x),
             "rfft": (tf.signal.rfft, frames),
             "power (re^2 + im^2)": (lambda z: tf.square(tf.math.real(z)) + tf.square(tf.math.imag(z)), spectra),
             "mel product (dense)": (lambda p: tf.matmul(p, mel), energies)}
    compiled = {name: (tf.function(step), value) for name, (step, value) in steps.items()}
    return {name: (lambda f=f, v=v: f(v).numpy()) for name, (f, v) in compiled.items()}


# ----------------------------------------------------------------------------- onnxruntime: the DFT's shapes


ONNX_N_FFT, ONNX_FRAMES = 512, 16000


def _session(nodes, initializers, inputs):
    import onnxruntime
    from onnx import TensorProto, helper, numpy_helper

    graph = helper.make_graph(
        nodes, "dft", [helper.make_tensor_value_info(name, TensorProto.FLOAT, list(shape)) for name, shape in inputs],
        [helper.make_tensor_value_info("power", TensorProto.FLOAT, None)],
        initializer=[numpy_helper.from_array(np.asarray(value), name) for name, value in initializers.items()])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)])
    return onnxruntime.InferenceSession(model.SerializeToString(), providers=["CPUExecutionProvider"])


def _node(op, inputs, outputs, **attributes):
    from onnx import helper

    return helper.make_node(op, inputs, outputs, **attributes)


def _power_of_pairs(pairs, shape, axis, output="power"):
    """Nodes summing the squares of (real, imaginary) held on ``axis`` of ``pairs`` reshaped to ``shape``, and
    their constants."""
    return [_node("Mul", [pairs, pairs], ["squares"]), _node("Reshape", ["squares", "pair_shape"], ["paired"]),
            _node("ReduceSum", ["paired", "pair_axis"], [output], keepdims=0)], {
                "pair_shape": np.array(shape, np.int64), "pair_axis": np.array([axis], np.int64)}


def onnx_direct(n, frames):
    """The exported model's way: one product with the ``(n, 2 (n/2 + 1))`` DFT matrix."""
    bins = np.arange(n // 2 + 1)
    angles = 2 * np.pi * np.outer(np.arange(n), bins) / n
    nodes, constants = _power_of_pairs("pairs", [frames, 2, n // 2 + 1], 1)
    constants["dft"] = np.concatenate([np.cos(angles), -np.sin(angles)], axis=1).astype(np.float32)
    return _session([_node("MatMul", ["x", "dft"], ["pairs"])] + nodes, constants, [("x", (frames, n))])


def onnx_two_stage(n, frames, n1):
    """The DFT as two smaller products (Cooley-Tukey): ``n1``-point DFTs with the twiddles folded in, then
    ``n2 = n / n1``-point ones, only the outputs up to Nyquist kept; bin ``k1 + n1 k2`` from sample
    ``n2 i1 + i2``."""
    n2 = n // n1
    k1 = np.arange(n1)
    first = (np.exp(-2j * np.pi * np.outer(np.arange(n1), k1) / n1)[None]
             * np.exp(-2j * np.pi * np.arange(n2)[:, None, None] * k1[None, None, :] / n))  # (i2, i1, k1)
    kept = n2 // 2 + 1
    second = np.exp(-2j * np.pi * np.outer(np.arange(n2), np.arange(kept)) / n2)  # (i2, k2)
    power_nodes, constants = _power_of_pairs("pairs", [frames, n1, 2, kept], 2, output="by_k1")
    constants.update({
        "first": np.concatenate([first.real, first.imag], axis=2).astype(np.float32),
        "second": np.block([[second.real, second.imag], [-second.imag, second.real]]).astype(np.float32),
        "grid": np.array([frames, n1, n2], np.int64), "staged": np.array([n2, frames, 2, n1], np.int64),
        "mixed": np.array([frames, n1, 2 * n2], np.int64), "flat": np.array([frames, kept * n1], np.int64),
        "start": np.array([0], np.int64), "end": np.array([n // 2 + 1], np.int64), "axis": np.array([1], np.int64)})
    nodes = [_node("Reshape", ["x", "grid"], ["grid_x"]),                     # (frames, i1, i2)
             _node("Transpose", ["grid_x"], ["columns"], perm=[2, 0, 1]),    # (i2, frames, i1)
             _node("MatMul", ["columns", "first"], ["half"]),                # (i2, frames, [re | im] k1)
             _node("Reshape", ["half", "staged"], ["parts"]),
             _node("Transpose", ["parts"], ["rows"], perm=[1, 3, 2, 0]),     # (frames, k1, re/im, i2)
             _node("Reshape", ["rows", "mixed"], ["rows2"]),
             _node("MatMul", ["rows2", "second"], ["pairs"])]                # (frames, k1, [re | im] k2)
    nodes += power_nodes + [_node("Transpose", ["by_k1"], ["by_k"], perm=[0, 2, 1]),  # bin k1 + n1 k2 in order
                            _node("Reshape", ["by_k", "flat"], ["all"]),
                            _node("Slice", ["all", "start", "end", "axis"], ["power"])]
    return _session(nodes, constants, [("x", (frames, n))])


def onnx_dft_op(n, frames):
    nodes, constants = _power_of_pairs("pairs", [frames, n // 2 + 1, 2], 2)
    constants["column"] = np.array([frames, n, 1], np.int64)
    return _session([_node("Reshape", ["x", "column"], ["signal"]),
                     _node("DFT", ["signal", ""], ["pairs"], onesided=1, axis=1)] + nodes, constants,
                    [("x", (frames, n))])


def onnx_stft_op(n, hop, rows, length):
    frames = 1 + (length - n) // hop
    nodes, constants = _power_of_pairs("pairs", [rows, frames, n // 2 + 1, 2], 3)
    constants.update({"step": np.array(hop, np.int64), "length": np.array(n, np.int64),
                      "window": np.hanning(n + 1)[:-1].astype(np.float32)})
    return _session([_node("STFT", ["x", "step", "window", "length"], ["pairs"], onesided=1)] + nodes, constants,
                    [("x", (rows, length, 1))])


def onnx_candidates():
    import tensorflow as tf

    rng = np.random.default_rng(0)
    frames = rng.standard_normal((ONNX_FRAMES, ONNX_N_FFT)).astype(np.float32)
    signals = rng.standard_normal((16, (ONNX_FRAMES // 16 - 1) * 160 + ONNX_N_FFT, 1)).astype(np.float32)
    reference = np.abs(np.fft.rfft(frames)) ** 2
    rfft = tf.function(lambda f: tf.square(tf.abs(tf.signal.rfft(f))))
    frames_tensor = tf.constant(frames)
    sessions = {"ONNX: one product with the DFT matrix (as exported)": onnx_direct(ONNX_N_FFT, ONNX_FRAMES),
                "ONNX: two products, 16 x 32": onnx_two_stage(ONNX_N_FFT, ONNX_FRAMES, 16),
                "ONNX: two products, 32 x 16": onnx_two_stage(ONNX_N_FFT, ONNX_FRAMES, 32),
                "ONNX: DFT op (opset 17)": onnx_dft_op(ONNX_N_FFT, ONNX_FRAMES)}
    notes = {}
    for name, session in sessions.items():
        error = np.abs(session.run(None, {"x": frames})[0] - reference).max() / reference.max()
        notes[name] = f"error {error:.0e} of the peak"
    stft = onnx_stft_op(ONNX_N_FFT, 160, 16, signals.shape[1])
    candidates = {"TensorFlow rfft": lambda: rfft(frames_tensor).numpy()}
    candidates.update({name: (lambda s=s: s.run(None, {"x": frames})) for name, s in sessions.items()})
    candidates["ONNX: STFT op (framing included)"] = lambda: stft.run(None, {"x": signals})
    return candidates, notes


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("parts", nargs="*", default=["tf", "onnx"], help="tf, onnx or both (default)")
    parser.add_argument("--rounds", type=int, default=11, help="timed rounds (default 11)")
    args = parser.parse_args()
    if set(args.parts) - {"tf", "onnx"}:
        parser.error(f"parts are tf and onnx; got {' '.join(args.parts)}")
    if "tf" in args.parts:
        candidates, notes = tf_candidates()
        medians = _timed(candidates, args.rounds)
        _print("tf: the reference log-mel (16 x 10 s at 22050 Hz, n_fft 2048, hop 512, 128 mels, dB)", medians,
               next(iter(medians)), notes)
        steps = _timed(tf_steps(), args.rounds)
        _print("tf: each step alone (its output brought back to NumPy)", steps, "rfft")
    if "onnx" in args.parts:
        candidates, notes = onnx_candidates()
        medians = _timed(candidates, args.rounds)
        _print(f"onnx: the power spectrum of {ONNX_FRAMES} frames of {ONNX_N_FFT}", medians, "TensorFlow rfft", notes)


if __name__ == "__main__":
    main()
