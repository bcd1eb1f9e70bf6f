"""A small audio classifier with a mel-spectrogram front end, trained on generated audio.

Three classes of 1 s clips at 16 kHz, each mixed with background noise at a random level:
steady tones (a random pitch with harmonics), rising or falling chirps, and bursts of
band-limited noise. The model takes raw waveforms: kapre_like's log-mel front end, then a
small CNN. After 8 epochs on 600 clips it reaches about 98% accuracy on 300 held-out clips
(2-core CPU, about 15 s).

Run: python examples/audio_classifier.py
"""

import os

import keras
import numpy as np

import kapre_like

FAST = os.environ.get("KAPRE_LIKE_EXAMPLES_FAST") == "1"  # the test suite's quick run
SAMPLE_RATE = 16000
CLASSES = ["tone", "chirp", "noise burst"]


def clip(kind, rng):
    """One second of the class ``kind`` in background noise, float32."""
    t = np.arange(SAMPLE_RATE) / SAMPLE_RATE
    if kind == 0:  # steady tone with a few harmonics
        f0 = rng.uniform(150, 2000)
        sound = sum(np.sin(2 * np.pi * k * f0 * t + rng.uniform(0, 6.3)) / k for k in range(1, 4) if k * f0 < 7500)
    elif kind == 1:  # exponential chirp, up or down
        f_start, f_end = rng.uniform(150, 6000, 2)
        rate = np.log(f_end / f_start)
        sound = np.sin(2 * np.pi * f_start * (np.exp(rate * t) - 1) / rate)
    else:  # noise burst in a random band
        spectrum = np.fft.rfft(rng.standard_normal(SAMPLE_RATE))
        low = rng.uniform(100, 5000)
        freqs = np.fft.rfftfreq(SAMPLE_RATE, 1 / SAMPLE_RATE)
        spectrum[(freqs < low) | (freqs > low * rng.uniform(1.5, 3))] = 0
        sound = np.fft.irfft(spectrum, SAMPLE_RATE)
    envelope = np.clip(np.minimum(t - rng.uniform(0, 0.3), rng.uniform(0.7, 1.0) - t) * 20, 0, 1)
    sound = sound * envelope / (np.max(np.abs(sound)) + 1e-9)
    background = rng.standard_normal(SAMPLE_RATE) * 10 ** rng.uniform(-2.5, -1.2)
    return (0.5 * sound + background).astype(np.float32)


def dataset(n, seed):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(CLASSES), n)
    return np.stack([clip(k, rng) for k in labels])[..., np.newaxis], labels


def build_model():
    front_end = kapre_like.composed.get_melspectrogram_layer(
        input_shape=(SAMPLE_RATE, 1), n_fft=512, hop_length=256, sample_rate=SAMPLE_RATE, n_mels=64,
        return_decibel=True, input_data_format="channels_last", output_data_format="channels_last")
    return keras.Sequential([
        keras.Input((SAMPLE_RATE, 1)),
        front_end,                                            # (batch, 61, 64, 1) log-mel
        keras.layers.BatchNormalization(),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.GlobalMaxPooling2D(),
        keras.layers.Dense(len(CLASSES)),
    ])


def main():
    keras.utils.set_random_seed(0)
    n_train, n_test, epochs = (60, 30, 1) if FAST else (600, 300, 8)
    x_train, y_train = dataset(n_train, seed=1)
    x_test, y_test = dataset(n_test, seed=2)
    model = build_model()
    model.compile(optimizer=keras.optimizers.Adam(2e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    model.fit(x_train, y_train, batch_size=32, epochs=epochs, verbose=0 if FAST else 2)
    loss, accuracy = model.evaluate(x_test, y_test, verbose=0)
    print(f"held-out accuracy on {n_test} clips ({', '.join(CLASSES)}): {accuracy:.1%} (chance: 33%)")
    path = "audio_classifier.keras"
    model.save(path)
    reloaded = keras.models.load_model(path)
    same = np.allclose(reloaded.predict(x_test[:4], verbose=0), model.predict(x_test[:4], verbose=0), atol=1e-5)
    print(f"saved to {path}; the reloaded model takes raw audio and agrees: {same}")
    if not FAST and accuracy < 0.9:
        raise SystemExit(f"accuracy {accuracy:.1%} is below the 90% this example promises")


if __name__ == "__main__":
    main()
