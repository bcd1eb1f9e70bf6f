"""U-Net source separation between a perfectly reconstructing STFT/ISTFT pair.

waveform -> STFT -> (real, imaginary) channels -> small U-Net -> complex STFT -> ISTFT -> waveform

The model learns to pull a tone out of noise on synthetic mixtures, end to end on the
waveform, so the deployed model takes and returns raw audio. It is then exported as a
SavedModel and reloaded. Runs on a CPU in well under two minutes
(set KAPRE_LIKE_EXAMPLES_FAST=1 for a quicker smoke run).

Run: python examples/unet_source_separation.py
"""

import os
import tempfile

import keras
import numpy as np
import tensorflow as tf

from kapre_like import get_perfectly_reconstructing_stft_istft

FAST = os.environ.get("KAPRE_LIKE_EXAMPLES_FAST") == "1"
SAMPLE_RATE = 16000
N_SAMPLES = 16000  # 1 s; with pad_begin/pad_end this gives exactly 128 STFT frames
N_FFT, HOP = 512, 128


@keras.saving.register_keras_serializable(package="unet_example")
class ComplexToChannels(keras.layers.Layer):
    """(b, t, f, 1) complex -> (b, t, f, 2) float: real and imaginary parts as channels."""

    def call(self, inputs):
        return tf.concat([tf.math.real(inputs), tf.math.imag(inputs)], axis=-1)

    def compute_output_shape(self, input_shape):
        return input_shape[:-1] + (2 * input_shape[-1],)


@keras.saving.register_keras_serializable(package="unet_example")
class ChannelsToComplex(keras.layers.Layer):
    """(b, t, f, 2) float -> (b, t, f, 1) complex."""

    def call(self, inputs):
        return tf.complex(inputs[..., :1], inputs[..., 1:])

    def compute_output_spec(self, inputs):
        return keras.KerasTensor(inputs.shape[:-1] + (1,), dtype="complex64")


def unet(x):
    """A two-level U-Net on (time, 256 freq, 2) that predicts a soft time-frequency mask."""
    c1 = keras.layers.Conv2D(16, 3, padding="same", activation="relu")(x)
    c2 = keras.layers.Conv2D(32, 3, strides=2, padding="same", activation="relu")(c1)
    c3 = keras.layers.Conv2D(64, 3, strides=2, padding="same", activation="relu")(c2)
    u2 = keras.layers.Conv2DTranspose(32, 3, strides=2, padding="same", activation="relu")(c3)
    u2 = keras.layers.Concatenate()([u2, c2])
    u1 = keras.layers.Conv2DTranspose(16, 3, strides=2, padding="same", activation="relu")(u2)
    u1 = keras.layers.Concatenate()([u1, c1])
    return keras.layers.Conv2D(1, 1, padding="same", activation="sigmoid")(u1)


def build_model():
    stft, istft = get_perfectly_reconstructing_stft_istft(
        n_fft=N_FFT, hop_length=HOP, waveform_data_format="channels_last", stft_data_format="channels_last"
    )
    waveform = keras.Input((N_SAMPLES, 1))
    spectrum = stft(waveform)  # (b, 128, 257, 1) complex
    channels = ComplexToChannels()(spectrum)  # (b, 128, 257, 2)
    body = keras.layers.Cropping2D(((0, 0), (0, 1)))(channels)  # drop the Nyquist bin: 256 bins
    mask = keras.layers.ZeroPadding2D(((0, 0), (0, 1)))(unet(body))  # (b, 128, 257, 1) in [0, 1]
    masked = keras.layers.Multiply()([channels, keras.layers.Concatenate()([mask, mask])])
    separated = ChannelsToComplex()(masked)
    output = istft(separated)  # (b, 16768, 1)
    trim = N_FFT - HOP  # win_length - hop_length
    output = keras.layers.Cropping1D((trim, output.shape[1] - trim - N_SAMPLES))(output)
    return keras.Model(waveform, output, name="unet_separator")


def mixtures(n, seed):
    """Tones (target) plus white noise (the rest), 1 s each."""
    rng = np.random.default_rng(seed)
    t = np.arange(N_SAMPLES) / SAMPLE_RATE
    freqs = rng.uniform(200, 2000, (n, 1))
    tones = rng.uniform(0.3, 0.7, (n, 1)) * np.sin(2 * np.pi * freqs * t + rng.uniform(0, 2 * np.pi, (n, 1)))
    noise = rng.uniform(0.1, 0.3, (n, 1)) * rng.standard_normal((n, N_SAMPLES))
    return (tones + noise)[..., None].astype(np.float32), tones[..., None].astype(np.float32)


def snr_db(reference, estimate):
    return float(10 * np.log10(np.sum(reference**2) / np.sum((reference - estimate) ** 2)))


def main():
    keras.utils.set_random_seed(0)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(3e-3), loss="mse")
    mix, clean = mixtures(16 if FAST else 64, seed=0)
    test_mix, test_clean = mixtures(8, seed=1)

    history = model.fit(mix, clean, batch_size=8, epochs=2 if FAST else 10, verbose=0)
    losses = history.history["loss"]
    print("training loss per epoch:", " ".join(f"{loss:.4f}" for loss in losses))
    if not losses[-1] < losses[0]:
        raise SystemExit("the loss did not fall")

    estimate = model.predict(test_mix, verbose=0)
    print(f"held-out SNR: mixture {snr_db(test_clean, test_mix):.1f} dB -> separated {snr_db(test_clean, estimate):.1f} dB")

    with tempfile.TemporaryDirectory() as folder:
        export_dir = os.path.join(folder, "unet_saved_model")
        model.export(export_dir, verbose=False)
        reloaded = tf.saved_model.load(export_dir)
        served = reloaded.serve(tf.constant(test_mix)).numpy()
        difference = float(np.max(np.abs(served - estimate)))
        print(f"exported SavedModel reloaded: max difference {difference:.2e}")
        if difference > 1e-4:
            raise SystemExit("the exported model disagrees with the trained one")


if __name__ == "__main__":
    main()
