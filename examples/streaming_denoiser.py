"""A denoiser trained on whole clips, run hop by hop in the TensorFlow Lite interpreter.

The model is STFT -> magnitude -> a per-frame mask (one Dense layer over the 257 bins of each
frame) -> masked spectrum -> inverse STFT, built from the TFLite layers (complex numbers as
(real, imaginary) pairs) so that it converts with TFLite **built-in ops only**. It is trained for
a few seconds to remove white noise from tones. :func:`kapre_like.streaming.to_streaming` turns it
into a step that takes one hop (8 ms at 16 kHz) and the state (the unfinished frame's samples, the
overlap-add tail) and returns that hop's denoised samples and the next state. The step is
converted to TFLite and run hop by hop; its output equals the offline model's on the whole clip.

Run: python examples/streaming_denoiser.py
"""

import os
import time
import warnings

import keras
import numpy as np
import tensorflow as tf

import kapre_like
from kapre_like.exporting import tflite_interpreter
from kapre_like.streaming import initial_states, stream_properties, to_streaming

FAST = os.environ.get("KAPRE_LIKE_EXAMPLES_FAST") == "1"
SAMPLE_RATE, N_FFT, HOP = 16000, 512, 128
FORMATS = dict(input_data_format="channels_first", output_data_format="channels_first")


@keras.saving.register_keras_serializable(package="examples")
class ApplyMask(keras.layers.Layer):
    """``[pairs (b, ch, time, freq, 2), mask (b, ch, time, freq)] -> pairs * mask``: frame by frame."""

    def call(self, inputs):
        pairs, mask = inputs
        return pairs * tf.expand_dims(mask, -1)  # (a new-axis slice of rank 5 is not a TFLite built-in)

    def compute_output_shape(self, input_shapes):
        return input_shapes[0]


def denoiser():
    waveform = keras.Input((1, None))  # (batch, channels, time)
    pairs = kapre_like.STFTTflite(n_fft=N_FFT, hop_length=HOP, pad_begin=True, pad_end=True, **FORMATS)(waveform)
    magnitude = kapre_like.MagnitudeTflite()(pairs)  # (batch, 1, frames, 257)
    features = keras.layers.Activation(lambda m: tf.math.log(m + 1e-3))(magnitude)
    mask = keras.layers.Dense(N_FFT // 2 + 1, activation="sigmoid")(features)
    clean = kapre_like.InverseSTFTTflite(n_fft=N_FFT, hop_length=HOP, **FORMATS)(ApplyMask()([pairs, mask]))
    return keras.Model(waveform, clean, name="denoiser")


def tones(rng, n, seconds):
    t = np.arange(int(seconds * SAMPLE_RATE)) / SAMPLE_RATE
    clips = []
    for _ in range(n):
        f = rng.uniform(200, 3000, size=3)
        clips.append(sum(0.3 * np.sin(2 * np.pi * fi * t + rng.uniform(0, 6.3)) for fi in f))
    clean = np.stack(clips)[:, None, :].astype("float32")
    return clean, (clean + 0.3 * rng.standard_normal(clean.shape)).astype("float32")


def snr(reference, estimate):
    return 10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2))


def main():
    rng = np.random.default_rng(0)
    model = denoiser()
    trim = N_FFT - HOP  # the pair's output is the input delayed by win_length - hop_length samples
    clean, noisy = tones(rng, 64 if FAST else 256, 1.0)
    target = np.pad(clean, ((0, 0), (0, 0), (trim, 0)))
    target = np.pad(target, ((0, 0), (0, 0), (0, model.compute_output_shape((None, 1, clean.shape[-1]))[-1]
                                                  - target.shape[-1])))
    model.compile(keras.optimizers.Adam(3e-3), "mse")
    model.fit(noisy, target, batch_size=16, epochs=3 if FAST else 15, verbose=0)

    test_clean, test_noisy = tones(np.random.default_rng(1), 1, 2.0)
    offline = model.predict(test_noisy, verbose=0)
    length = test_clean.shape[-1]
    print(f"offline: SNR {snr(test_clean, test_noisy):.1f} dB noisy -> "
          f"{snr(test_clean, offline[..., trim:trim + length]):.1f} dB denoised")

    step = to_streaming(model, chunk_hops=1, frame_wise=(ApplyMask,))
    sizes = stream_properties(step)
    print(f"step: {HOP} samples ({1000 * HOP / SAMPLE_RATE:.0f} ms) per call, state "
          f"{sizes['state_length']} + {sizes['tail_length']} samples, {sizes['warmup_frames']} warm-up frames")

    converter = tf.lite.TFLiteConverter.from_keras_model(step)
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]  # no Select TF ops
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        tflite_bytes = converter.convert()
    interpreter = tflite_interpreter(tflite_bytes)  # LiteRT's interpreter (TensorFlow's where LiteRT is missing)
    run_step = interpreter.get_signature_runner()  # inputs by name: chunk, stft_state, overlap_add_state
    output_names = sorted(run_step.get_output_details())  # output_0 (samples), output_1, output_2 (states)
    stft_state, overlap_add_state = initial_states(step, batch_size=1)

    pieces, start = [], time.perf_counter()
    for begin in range(0, length - length % HOP, HOP):
        results = run_step(chunk=test_noisy[..., begin:begin + HOP], stft_state=stft_state,
                           overlap_add_state=overlap_add_state)
        samples, stft_state, overlap_add_state = (results[name] for name in output_names)
        pieces.append(samples)
    seconds = time.perf_counter() - start
    streamed = np.concatenate(pieces, axis=-1)
    error = np.max(np.abs(streamed - offline[..., :streamed.shape[-1]]))
    print(f"TFLite, hop by hop: {len(pieces)} steps, {1e3 * seconds / len(pieces):.3f} ms per {HOP}-sample step "
          f"(real-time factor {seconds / (streamed.shape[-1] / SAMPLE_RATE):.4f}); largest difference from the "
          f"offline model {error:.2e}")
    assert error < 1e-4, error


if __name__ == "__main__":
    main()
