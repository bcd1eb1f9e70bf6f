"""Presets: 'librosa' and 'torchaudio' give their library's default mel spectrogram (librosa itself;
torchaudio's from its documented definition, written out in NumPy below), 'keras' Keras's settings;
every preset builds a factory, an encoder and reaches the command line; a wrong name is refused."""

import numpy as np
import pytest

librosa = pytest.importorskip("librosa")

from kapre_like import presets  # noqa: E402
from kapre_like.composed import get_melspectrogram_layer, get_mfcc_layer  # noqa: E402
from kapre_like.synthetic import demo_signal  # noqa: E402


def ours(preset, signal, **overrides):
    layer = get_melspectrogram_layer(input_shape=(len(signal), 1), preset=preset, **overrides)
    return np.asarray(layer(signal[None, :, None]))[0, :, :, 0].T  # (mels, frames) as librosa and torchaudio


def torchaudio_melspectrogram(signal, sample_rate=16000, n_fft=400, hop_length=200, n_mels=128):
    """torchaudio.transforms.MelSpectrogram() as its documentation defines it: Spectrogram (periodic Hann of
    n_fft, centred frames, reflection padding, power 2) then MelScale (melscale_fbanks: HTK mel, no norm)."""
    window = 0.5 - 0.5 * np.cos(2 * np.pi * np.arange(n_fft) / n_fft)
    padded = np.pad(signal.astype(np.float64), n_fft // 2, mode="reflect")
    count = 1 + (len(padded) - n_fft) // hop_length
    frames = np.stack([padded[t * hop_length:t * hop_length + n_fft] for t in range(count)], axis=1)
    power = np.abs(np.fft.rfft(frames * window[:, None], axis=0)) ** 2
    all_freqs = np.linspace(0, sample_rate // 2, n_fft // 2 + 1)
    mel = lambda hz: 2595.0 * np.log10(1.0 + hz / 700.0)  # noqa: E731
    f_pts = 700.0 * (10 ** (np.linspace(mel(0.0), mel(sample_rate / 2), n_mels + 2) / 2595.0) - 1.0)
    f_diff = f_pts[1:] - f_pts[:-1]
    slopes = f_pts[None, :] - all_freqs[:, None]
    fbanks = np.maximum(0.0, np.minimum(-slopes[:, :-2] / f_diff[:-1], slopes[:, 2:] / f_diff[1:]))
    return fbanks.T @ power


def test_the_librosa_preset_is_librosas_default_melspectrogram():
    signal = demo_signal(2.0, 22050)
    expected = librosa.feature.melspectrogram(y=signal, sr=22050)
    got = ours("librosa", signal)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5 * expected.max())


def test_the_torchaudio_preset_is_torchaudios_default_melspectrogram():
    signal = demo_signal(2.0, 16000)
    expected = torchaudio_melspectrogram(signal)
    got = ours("torchaudio", signal)
    assert got.shape == expected.shape
    np.testing.assert_allclose(got, expected, atol=1e-5 * expected.max())


def test_the_keras_preset_has_keras_settings():
    import keras

    signal = demo_signal(2.0, 16000)
    expected = np.asarray(keras.layers.MelSpectrogram()(signal[None]))[0]  # (mels, frames), dB
    got = ours("keras", signal)
    assert got.shape == expected.shape
    assert np.abs(got - expected).max() < 0.05  # dB, over Keras's whole 80 dB range (its own mel matrix)


def test_arguments_passed_win_over_the_preset():
    layer = get_melspectrogram_layer(input_shape=(16000, 1), preset="speech", n_mels=40, hop_length=320)
    assert layer(np.zeros((1, 16000, 1), np.float32)).shape == (1, 51, 40, 1)


def test_the_speech_preset_in_the_mfcc_factory_and_the_encoders():
    from kapre_like.encoder import AudioMelSpectrogramEncoder, AudioMFCCEncoder

    signal = demo_signal(1.0, 16000)
    assert get_mfcc_layer(input_shape=(16000, 1), preset="speech")(signal[None, :, None]).shape == (1, 101, 20, 1)
    speech = presets.get_preset("speech")
    assert AudioMelSpectrogramEncoder(**speech.encoder_arguments())(signal, sample_rate=16000).shape == (100, 80)
    assert AudioMFCCEncoder(n_mfcc=13, **speech.encoder_arguments(mfcc=True))(signal, 16000).shape == (100, 13)


@pytest.mark.parametrize("encoder_name", ["AudioMelSpectrogramEncoder", "AudioMFCCEncoder"])
def test_encoders_from_a_preset_equal_librosa_on_the_presets_frames(encoder_name):
    """from_preset('speech'): librosa's log-mel (or MFCCs of it) with the preset's rate, 400-sample windows every
    160 samples (not centred: the encoders' partitions), 80 mels from 20 Hz to 7.6 kHz; an argument given wins."""
    import librosa

    from kapre_like import encoder as encoders

    signal = demo_signal(1.0, 16000)
    encoder = getattr(encoders, encoder_name).from_preset("speech", n_mels=40)
    ours = encoder(signal, sample_rate=16000)
    mel = librosa.feature.melspectrogram(y=signal, sr=16000, n_fft=400, hop_length=160, center=False, n_mels=40,
                                         fmin=20.0, fmax=7600.0)
    expected = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    if encoder_name == "AudioMFCCEncoder":
        expected = librosa.feature.mfcc(S=expected, n_mfcc=20)
    expected = expected.T
    assert ours.shape == (100, expected.shape[1])  # ceil(16000 / 160) partitions, the last ones padded
    ours = ours[:len(expected)]
    if encoder_name == "AudioMFCCEncoder":  # the DCT sums the quiet bands' float32 rounding, magnified by the log
        np.testing.assert_allclose(ours, expected, atol=1e-4 * np.abs(expected).max())
    else:  # the energies the decibels stand for (quiet bands' dB carry the FFTs' rounding, see test_encoder_family)
        ours, expected = 10.0 ** (ours / 10.0), 10.0 ** (expected / 10.0)
        np.testing.assert_allclose(ours, expected, atol=1e-5 * expected.max())


def test_from_preset_at_another_rate_keeps_the_presets_durations():
    """speech at 8 kHz: 25 ms windows every 10 ms (200 and 80 samples), the mel range ending at the new Nyquist."""
    from kapre_like.encoder import AudioMelSpectrogramEncoder, AudioSpectrogramEncoder

    mel = AudioMelSpectrogramEncoder.from_preset("speech", sample_rate=8000)
    assert (mel.window_size, mel.offset, mel.features["mel"]["f_max"], mel.features["mel"]["f_min"]) == (
        200, 80, None, 20.0)
    plain = AudioSpectrogramEncoder.from_preset("speech", sample_rate=8000)
    assert (plain.window_size, plain.offset) == (200, 80)


def test_from_preset_refuses_an_unknown_preset():
    from kapre_like.encoder import AudioSpectrogramEncoder

    with pytest.raises(ValueError) as info:
        AudioSpectrogramEncoder.from_preset("speach")
    assert "'speach'" in str(info.value) and "'speech'" in str(info.value)


def test_an_unknown_preset_lists_the_presets():
    with pytest.raises(ValueError) as info:
        get_melspectrogram_layer(preset="speach")
    assert "'speach'" in str(info.value) and "'speech'" in str(info.value) and "'torchaudio'" in str(info.value)
