"""Speech-like audio back from its log-mel spectrogram: inverse mel scale + Griffin-Lim, in a model.

The log-mel spectrogram of 2 s of speech-like audio goes through ``get_mel_to_audio`` (a Keras
model: InverseMelScale, then GriffinLim) and comes out as a waveform, written to
``speech_from_mel.wav``. The script prints the spectral convergence of the result's STFT
magnitudes (0: identical) next to librosa's ``mel_to_audio`` on the same mel spectrogram, and
converts a Griffin-Lim model to TFLite with built-in ops only (``strategy='conv'``), checked
against Keras.

Run: python examples/speech_from_mel.py
"""

import os
import warnings

import keras
import librosa
import numpy as np
import soundfile
import tensorflow as tf

import kapre_like
from kapre_like.exporting import tflite_interpreter
from kapre_like.functional import spectral_convergence
from kapre_like.synthetic import speech_like

FAST = os.environ.get("KAPRE_LIKE_EXAMPLES_FAST") == "1"  # the test suite's quick run
RATE, N_FFT, HOP, N_MELS, N_ITER = 16000, 512, 128, 80, 8 if FAST else 64
LAYOUT = dict(input_data_format="channels_last", output_data_format="channels_last")

speech = speech_like(2.0, RATE, seed=4).astype(np.float32)
log_mel = kapre_like.composed.get_melspectrogram_layer(n_fft=N_FFT, hop_length=HOP, sample_rate=RATE, n_mels=N_MELS,
                                                       center=True, return_decibel=True, **LAYOUT)
mel_db = log_mel(speech[np.newaxis, :, np.newaxis])

to_audio = kapre_like.composed.get_mel_to_audio(input_shape=mel_db.shape[1:], n_fft=N_FFT, hop_length=HOP,
                                                sample_rate=RATE, n_mels=N_MELS, decibel=True, center=True,
                                                n_iter=N_ITER, seed=0, length=len(speech), **LAYOUT)
audio = np.asarray(to_audio(mel_db))[0, :, 0]
soundfile.write("speech_from_mel.wav", audio, RATE)


def convergence(signal):
    target = np.abs(librosa.stft(speech, n_fft=N_FFT, hop_length=HOP))
    return float(spectral_convergence(target, np.abs(librosa.stft(signal, n_fft=N_FFT, hop_length=HOP))))


mel = 10 ** (np.asarray(mel_db)[0, :, :, 0].T / 10)  # Kapre's decibels are 10 log10 of the mel magnitudes
reference = librosa.feature.inverse.mel_to_audio(mel, sr=RATE, n_fft=N_FFT, hop_length=HOP, power=1.0,
                                                 n_iter=N_ITER, length=len(speech))
print(f"{N_ITER} iterations: spectral convergence kapre_like {convergence(audio):.3f}, "
      f"librosa.feature.inverse.mel_to_audio {convergence(reference):.3f} -> speech_from_mel.wav")

# the same Griffin-Lim, with TFLite built-in ops only
magnitudes = np.abs(librosa.stft(speech, n_fft=N_FFT, hop_length=HOP)).T[np.newaxis, :, :, np.newaxis]
griffin_lim = keras.Sequential([keras.Input(magnitudes.shape[1:]),
                                kapre_like.GriffinLim(n_fft=N_FFT, hop_length=HOP, n_iter=4, init="zeros",
                                                      center=True, strategy="conv", **LAYOUT)])
converter = tf.lite.TFLiteConverter.from_keras_model(griffin_lim)
converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # the converter's notes
    interpreter = tflite_interpreter(converter.convert())  # LiteRT's (TensorFlow's where LiteRT is missing)
runner = interpreter.get_signature_runner()
(name,) = runner.get_input_details()
(tflite_audio,) = runner(**{name: magnitudes.astype(np.float32)}).values()
keras_audio = np.asarray(griffin_lim(magnitudes))
print(f"TFLite Griffin-Lim (built-in ops): max difference from Keras {np.abs(tflite_audio - keras_audio).max():.1e}")
