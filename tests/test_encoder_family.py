"""The encoder family (STFT, mel spectrogram, MFCC) against librosa, against their own in-graph layer,
through tf.data and through Beam's shards; their bad arguments."""

import os

import numpy as np
import pytest

librosa = pytest.importorskip("librosa")
soundfile = pytest.importorskip("soundfile")

from kapre_like.encoder import (AudioMelSpectrogramEncoder, AudioMFCCEncoder,  # noqa: E402
                                AudioSpectrogramEncoder, AudioSTFTEncoder)
from kapre_like.synthetic import demo_signal  # noqa: E402

RATE = 22050

CASES = {
    "stft": (AudioSTFTEncoder, {}),
    "mel": (AudioMelSpectrogramEncoder, {}),
    "mel-linear-htk": (AudioMelSpectrogramEncoder, dict(n_mels=40, f_min=60.0, f_max=8000.0, htk=True, power=1.0,
                                                         log=False)),
    "mfcc": (AudioMFCCEncoder, {}),
    "mfcc-13": (AudioMFCCEncoder, dict(n_mfcc=13, n_mels=40, window_size=1024, offset=256)),
}


def librosa_features(encoder, kwargs, signal):
    """The reference: librosa on the signal padded at the end as the encoders' partitions are."""
    n = -(-len(signal) // encoder.offset)
    padded = np.pad(signal, (0, max(0, (n - 1) * encoder.offset + encoder.window_size - len(signal))))
    spectra = librosa.stft(padded, n_fft=encoder.window_size, hop_length=encoder.offset, window="hann", center=False)
    if isinstance(encoder, AudioSTFTEncoder):
        return spectra.T
    mel = librosa.feature.melspectrogram(S=np.abs(spectra) ** kwargs.get("power", 2.0), sr=RATE,
                                         n_fft=encoder.window_size, n_mels=kwargs.get("n_mels", 64),
                                         fmin=kwargs.get("f_min", 0.0), fmax=kwargs.get("f_max"),
                                         htk=kwargs.get("htk", False))
    if kwargs.get("log", True):
        mel = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=None)
    if isinstance(encoder, AudioMFCCEncoder):
        return librosa.feature.mfcc(S=mel, n_mfcc=kwargs.get("n_mfcc", 20)).T
    return mel.T


#: A real recording: a plucked string, stereo at 11 025 Hz (tests/data/README.md says where it comes from).
PLUCK = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data", "pluck.wav")


@pytest.fixture(scope="module")
def recording(tmp_path_factory):
    """A 2.5 s stereo file at 44.1 kHz (speech-like, chirp and tones): the encoders mix and resample it."""
    path = tmp_path_factory.mktemp("family") / "take.flac"
    mono = demo_signal(2.5, 44100)
    soundfile.write(path, np.stack([mono, 0.5 * mono[::-1]], axis=1), 44100)
    return str(path)


@pytest.fixture(params=["generated", "recorded"])
def any_recording(request, recording):
    """The generated file, or a recorded plucked string (stereo at 11 025 Hz: mixed and upsampled)."""
    return recording if request.param == "generated" else PLUCK


@pytest.mark.parametrize("case", list(CASES))
def test_each_encoder_equals_librosa_and_its_layer(case, any_recording):
    recording = any_recording
    cls, kwargs = CASES[case]
    encoder = cls(sample_rate=RATE, **kwargs)
    waveform = encoder.waveform(recording)
    expected = librosa_features(encoder, kwargs, waveform)
    got = encoder(recording)
    peak = np.abs(expected).max()
    assert got.shape == expected.shape == (-(-len(waveform) // encoder.offset), encoder.n_bins)
    assert got.dtype == (np.complex64 if cls is AudioSTFTEncoder else np.float32)
    in_graph = np.asarray(encoder.layer()(waveform[None]))[0]
    if cls is AudioMelSpectrogramEncoder and kwargs.get("log", True):
        # decibels of bands 60-100 dB below the loudest carry the two FFTs' float32 rounding (1e-7 of the peak's
        # magnitude) magnified by the log: compare the energies the decibels stand for, within 1e-5 of the peak's
        expected, got, in_graph = (10.0 ** (x / 10.0) for x in (expected, got, in_graph))
        peak = expected.max()
    tolerance = 1e-5 * peak
    if cls is AudioMFCCEncoder:  # the DCT sums those quiet bands' decibels into every coefficient
        tolerance = 5e-5 * peak
    np.testing.assert_allclose(got, expected, atol=tolerance)
    np.testing.assert_allclose(in_graph, expected, atol=tolerance)


@pytest.mark.parametrize("case", ["stft", "mfcc"])
def test_the_layers_round_trip_through_keras_files(case, tmp_path):
    import keras

    cls, kwargs = CASES[case]
    encoder = cls(sample_rate=16000, **kwargs)
    model = keras.Sequential([keras.Input((16000,)), encoder.layer()])
    model.save(tmp_path / "m.keras")
    waveform = demo_signal(1.0, 16000)[None]
    np.testing.assert_array_equal(keras.models.load_model(tmp_path / "m.keras")(waveform), model(waveform))


def test_the_dataset_gives_the_encoders_features(recording):
    encoder = AudioMFCCEncoder(sample_rate=16000, target_length=50)
    (batch,) = list(encoder.dataset([recording], batch_size=1))
    np.testing.assert_allclose(batch[0], encoder(recording), atol=1e-4)
    assert batch.shape == (1, 50, 20)


def test_shards_hold_complex_spectra_as_pairs_and_mfccs_as_they_are(recording, tmp_path):
    pytest.importorskip("apache_beam")
    from kapre_like.beam import encode_corpus, read_shards

    for encoder, name in ((AudioSTFTEncoder(), "stft"), (AudioMFCCEncoder(n_mfcc=13), "mfcc")):
        encode_corpus([recording], str(tmp_path / name), encoder=encoder, workers=1)
        (item,) = list(read_shards(str(tmp_path / name)))
        stored = item["spectrogram"].numpy()
        expected = encoder(recording)
        if name == "stft":
            stored = stored[..., 0] + 1j * stored[..., 1]
        np.testing.assert_allclose(stored, expected, atol=1e-5 * np.abs(expected).max())


def test_the_magnitude_encoder_is_the_stft_encoders_magnitude():
    signal = demo_signal(1.0, 16000)
    np.testing.assert_allclose(AudioSpectrogramEncoder()(signal, sample_rate=16000),
                               np.abs(AudioSTFTEncoder()(signal, sample_rate=16000)), atol=1e-5)


@pytest.mark.parametrize("cls, kwargs, error, words", [
    (AudioMFCCEncoder, dict(n_mfcc=80, n_mels=64), ValueError, ["`n_mfcc`", "at most `n_mels` (64)", "80"]),
    (AudioMFCCEncoder, dict(n_mfcc=0), ValueError, ["n_mfcc", "0"]),
    (AudioMelSpectrogramEncoder, dict(n_mels=2.5), (TypeError, ValueError), ["n_mels", "2.5"]),
    (AudioMelSpectrogramEncoder, dict(f_max=9000.0), ValueError, ["9000", "Nyquist"]),
    (AudioMelSpectrogramEncoder, dict(power=-1.0), ValueError, ["power", "-1.0"]),
    (AudioMelSpectrogramEncoder, dict(f_min=4000.0, f_max=3000.0), ValueError, ["`f_min` = 4000 Hz", "3000"]),
])
def test_bad_arguments_name_what_was_wrong(cls, kwargs, error, words):
    with pytest.raises(error) as info:
        cls(sample_rate=16000, **kwargs)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_a_part_of_each_file(recording):
    """start/duration read the part librosa.load(offset=, duration=) reads, then resample it."""
    encoder = AudioMelSpectrogramEncoder(sample_rate=RATE, start=0.5, duration=1.25)
    part = librosa.load(recording, sr=44100, mono=True, offset=0.5, duration=1.25)[0]
    np.testing.assert_allclose(encoder.waveform(recording), librosa.resample(part, orig_sr=44100, target_sr=RATE,
                                                                             res_type="soxr_hq"), atol=1e-4)
    with pytest.raises(ValueError, match=r"`start` must be a finite number of seconds >= 0 or None; got -1"):
        AudioMFCCEncoder(start=-1)
    with pytest.raises(ValueError, match=r"`duration` must be a finite number of seconds > 0 or None; got 0"):
        AudioSTFTEncoder(duration=0)
