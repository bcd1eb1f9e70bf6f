"""Signal layers against librosa: framing, frame energy, mu-law, MFCC from log-mel."""

import librosa
import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl

from conftest import from_layout, to_layout

FORMATS = ["channels_last", "channels_first"]


def librosa_frames(x, frame_length, hop_length, pad_end=False, pad_value=0.0):
    """(batch, ch, time) -> (batch, ch, frames, frame_length) with librosa.util.frame."""
    if pad_end:
        n_frames = -(-x.shape[-1] // hop_length)
        padding = max(0, (n_frames - 1) * hop_length + frame_length - x.shape[-1])
        x = np.pad(x, [(0, 0), (0, 0), (0, padding)], constant_values=pad_value)
    frames = librosa.util.frame(x, frame_length=frame_length, hop_length=hop_length, axis=-1)
    return np.swapaxes(frames, -1, -2)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("frame_length, hop_length", [(1024, 512), (400, 160), (300, 300), (256, 400)])
@pytest.mark.parametrize("pad_end, pad_value", [(False, 0), (True, 0), (True, -0.5)])
def test_frame_equals_librosa(waveforms, data_format, frame_length, hop_length, pad_end, pad_value):
    x = waveforms[:3, :2, :5000]
    layer = kl.Frame(frame_length, hop_length, pad_end=pad_end, pad_value=pad_value, data_format=data_format)
    out = np.asarray(layer(to_layout(x, data_format)))
    expected = librosa_frames(x, frame_length, hop_length, pad_end, pad_value)
    if data_format == "channels_last":  # (batch, frames, frame_length, ch)
        expected = np.moveaxis(expected, 1, -1)
    assert layer.compute_output_shape(to_layout(x, data_format).shape) == out.shape
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("pad_end", [False, True])
@pytest.mark.parametrize("sample_rate, ref_duration, frame_length, hop_length",
                         [(22050, 0.1, 2205, 1102), (16000, 0.025, 400, 160), (16000, 1.0, 512, 512)])
def test_energy_is_mean_square_scaled_to_reference_duration(waveforms, data_format, pad_end, sample_rate,
                                                            ref_duration, frame_length, hop_length):
    x = waveforms[:2, :3]
    layer = kl.Energy(sample_rate, ref_duration, frame_length, hop_length, pad_end=pad_end, data_format=data_format)
    out = from_layout(np.asarray(layer(to_layout(x, data_format))), data_format)  # (batch, ch, frames)
    # librosa's RMS over uncentred frames (padded as the layer pads), squared: mean square per frame
    padded = x
    if pad_end:
        n_frames = -(-x.shape[-1] // hop_length)
        padded = np.pad(x, [(0, 0), (0, 0), (0, max(0, (n_frames - 1) * hop_length + frame_length - x.shape[-1]))])
    rms = librosa.feature.rms(y=padded, frame_length=frame_length, hop_length=hop_length, center=False)[..., 0, :]
    expected = rms.astype(np.float64) ** 2 * ref_duration * sample_rate
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-4, atol=1e-6)


@pytest.mark.parametrize("channels", [2, 16, 256, 65536])
def test_mu_law_matches_librosa_and_round_trips(channels):
    x = np.concatenate([np.linspace(-1, 1, 2001), np.random.default_rng(0).uniform(-1, 1, 5000)]).astype(np.float32)
    mu = channels - 1
    codes = np.asarray(kl.MuLawEncoding(channels)(x))
    assert codes.dtype == np.int32 and codes.min() >= 0 and codes.max() <= mu
    companded = librosa.mu_compress(x.astype(np.float64), mu=mu, quantize=False)
    expected_codes = np.floor((companded + 1) / 2 * mu + 0.5)
    # values within float32 rounding of a code boundary may fall either way (0.2% of them at 16 bits)
    assert np.mean(codes != expected_codes) < 5e-3 and np.max(np.abs(codes - expected_codes)) <= 1
    decoded = np.asarray(kl.MuLawDecoding(channels)(codes))
    np.testing.assert_allclose(decoded, librosa.mu_expand(2.0 * codes / mu - 1.0, mu=mu, quantize=False), atol=1e-5)
    # each input lies in the interval its code stands for: half a code step either side, companded
    def expand(q):
        return librosa.mu_expand(np.clip(2.0 * q / mu - 1.0, -1, 1), mu=mu, quantize=False)

    assert np.all((expand(codes - 0.5 - 1e-2) <= x) & (x <= expand(codes + 0.5 + 1e-2)))
    assert np.array_equal(np.asarray(kl.MuLawEncoding(channels)(decoded)), codes)


def _librosa_mfcc(log_mel, n_mfccs):
    """librosa's MFCCs of ``(..., mel, time)`` in float64, laid out ``(..., time, coefficient)``, with
    coefficient 0 as TensorFlow (HTK) and Kapre scale it: sqrt(2) times librosa's orthonormal one."""
    expected = np.swapaxes(librosa.feature.mfcc(S=log_mel.astype(np.float64), n_mfcc=n_mfccs, norm="ortho"), -1, -2)
    expected[..., 0] *= np.sqrt(2.0)
    return expected


# float32 output against a float64 reference: 1e-4, plus two float32 spacings of the value itself. At
# -500 dB coefficient 0 is about -4500, where float32 numbers lie 4.9e-4 apart: no float32 result (librosa's
# own float32 one is 5.9e-4 off) can be within 1e-4 of the exact value there.
MFCC_TOLERANCE = dict(atol=1e-4, rtol=2.0**-22)


@pytest.mark.parametrize("data_format", FORMATS)
@pytest.mark.parametrize("n_mfccs", [1, 20, 40])
def test_logmel_to_mfcc_matches_librosa(waveforms, data_format, n_mfccs):
    mel = librosa.feature.melspectrogram(y=waveforms[:2, :2], sr=16000, n_fft=512, hop_length=160, n_mels=40)
    log_mel = librosa.power_to_db(mel).astype(np.float32)  # (batch, ch, mel, time)
    spectrogram = np.swapaxes(log_mel, -1, -2)  # (batch, ch, time, mel)
    out = from_layout(np.asarray(kl.LogmelToMFCC(n_mfccs, data_format=data_format)(to_layout(spectrogram, data_format))),
                      data_format)
    expected = _librosa_mfcc(log_mel, n_mfccs)
    assert out.shape == expected.shape
    np.testing.assert_allclose(out, expected, **MFCC_TOLERANCE)
    tf_mfcc = tf.signal.mfccs_from_log_mel_spectrograms(spectrogram)[..., :n_mfccs]
    np.testing.assert_allclose(out, tf_mfcc, atol=2e-3, rtol=1e-5)


@pytest.mark.parametrize("n_mels", [40, 128])
@pytest.mark.parametrize("n_mfccs", [1, 20, 40])
def test_logmel_to_mfcc_of_quiet_audio_matches_librosa(n_mels, n_mfccs):
    # log-mels around -500 dB (power_to_db of near-silence without top_db): large values whose small
    # differences the higher coefficients measure
    log_mel = (-500.0 + 10.0 * np.random.default_rng(n_mels).standard_normal((3, 1, n_mels, 60))).astype(np.float32)
    out = np.asarray(kl.LogmelToMFCC(n_mfccs, data_format="channels_first")(np.swapaxes(log_mel, -1, -2)))
    np.testing.assert_allclose(out, _librosa_mfcc(log_mel, n_mfccs), **MFCC_TOLERANCE)
