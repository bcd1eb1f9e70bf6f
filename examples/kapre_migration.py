"""Kapre code moved to kapre_like by changing one import.

This is Kapre 0.4.1's README model: a mel-spectrogram front end built from the
time-frequency layers, followed by a small CNN classifier. Only the import differs.

Run: python examples/kapre_migration.py
"""

import keras
import numpy as np

# Before: from kapre import STFT, Magnitude, MagnitudeToDecibel, ApplyFilterbank
from kapre_like import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel
from kapre_like.synthetic import speech_like, white_noise

SAMPLE_RATE = 16000
input_shape = (SAMPLE_RATE, 1)  # 1 s of mono audio, channels_last

model = keras.Sequential(
    [
        keras.Input(input_shape),
        STFT(n_fft=512, hop_length=160, input_data_format="channels_last", output_data_format="channels_last"),
        Magnitude(),
        ApplyFilterbank(
            type="mel",
            filterbank_kwargs={"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_mels": 64, "f_min": 20.0, "f_max": 8000.0},
            data_format="channels_last",
        ),
        MagnitudeToDecibel(),
        keras.layers.Conv2D(16, (3, 3), activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2, activation="softmax"),
    ]
)
model.summary()

# Two classes: speech-like vs white noise; the front end is part of the model.
x = np.stack([speech_like(1.0, SAMPLE_RATE, seed=s) for s in range(8)] + [white_noise(1.0, SAMPLE_RATE, seed=s) for s in range(8)])
y = np.array([0] * 8 + [1] * 8)
model.compile(optimizer="adam", loss="sparse_categorical_crossentropy", metrics=["accuracy"])
history = model.fit(x[..., None], y, epochs=3, batch_size=4, verbose=0)
print("loss per epoch:", [round(v, 3) for v in history.history["loss"]])
print("output shape of the front end:", model.layers[3].output.shape)
