"""kapre_like.audio_io: the one file reader of the encoder, the command line and Beam, against
soundfile and librosa.load (the references), and its errors."""

import io
import subprocess
import sys

import numpy as np
import pytest

soundfile = pytest.importorskip("soundfile")
librosa = pytest.importorskip("librosa")

from kapre_like import audio_io  # noqa: E402


@pytest.fixture(scope="module")
def stereo(tmp_path_factory):
    path = tmp_path_factory.mktemp("audio") / "stereo.wav"
    rng = np.random.default_rng(0)
    soundfile.write(path, rng.uniform(-0.5, 0.5, (22050, 2)).astype(np.float32), 22050, subtype="FLOAT")
    return str(path)


@pytest.mark.parametrize("offset, duration", [(None, None), (0.25, None), (0.1, 0.5), (0.0, 0.01), (0.9, 5.0)])
def test_parts_of_a_file_equal_librosa_load(stereo, offset, duration):
    expected, rate = librosa.load(stereo, sr=None, mono=False, offset=offset or 0.0, duration=duration)
    samples, got_rate = audio_io.load_audio(stereo, offset=offset, duration=duration)
    assert got_rate == rate == 22050
    np.testing.assert_array_equal(samples, expected.T)
    mixed, _ = audio_io.load_audio(stereo, channel="mix", offset=offset, duration=duration)
    np.testing.assert_allclose(mixed, expected.mean(axis=0), atol=1e-7)
    right, _ = audio_io.load_audio(stereo, channel=1, offset=offset, duration=duration)
    np.testing.assert_array_equal(right, expected[1])


def test_resampling_equals_soxr_and_librosa(stereo):
    samples, rate = audio_io.load_audio(stereo, sample_rate=16000, channel="mix")
    expected = librosa.load(stereo, sr=16000, mono=True, res_type="soxr_hq")[0]
    assert rate == 16000 and samples.dtype == np.float32
    np.testing.assert_allclose(samples, expected, atol=1e-5)


def test_bytes_of_a_file_read_as_the_file(stereo):
    with open(stereo, "rb") as handle:
        data = io.BytesIO(handle.read())
    samples, _ = audio_io.load_audio(data, channel=0, name="gs://bucket/stereo.wav")
    np.testing.assert_array_equal(samples, soundfile.read(stereo, dtype="float32")[0][:, 0])


def test_a_long_file_in_blocks_equals_the_whole(tmp_path, monkeypatch):
    path = str(tmp_path / "long.wav")
    soundfile.write(path, np.random.default_rng(1).uniform(-0.5, 0.5, (5000, 2)).astype(np.float32), 8000,
                    subtype="FLOAT")
    monkeypatch.setattr(audio_io, "LONG_FILE_SAMPLES", 1000)
    monkeypatch.setattr(audio_io, "BLOCK_SAMPLES", 512)
    signal = audio_io.Signal.of_file(path, channel="mix")
    assert len(signal) == 5000 and signal.rate == 8000
    np.testing.assert_allclose(np.concatenate(list(signal.chunks())), soundfile.read(path)[0].mean(axis=1), atol=1e-7)
    resampled = audio_io.Signal.of_file(path, channel=1, sample_rate=16000)
    whole = np.concatenate(list(resampled.chunks()))
    assert abs(len(whole) - len(resampled)) <= 1
    expected = librosa.resample(soundfile.read(path)[0][:, 1], orig_sr=8000, target_sr=16000, res_type="soxr_hq")
    np.testing.assert_allclose(whole[:len(expected)], expected[:len(whole)], atol=1e-4)


@pytest.mark.parametrize("frames, rate, target", [(1001, 16000, 8000), (177281, 44100, 22050), (1003, 48000, 16000)])
def test_a_resampled_streams_length_is_the_one_it_delivers(tmp_path, monkeypatch, frames, rate, target):
    """The length a resampled file is announced with is the number of samples its stream gives, and soxr's whole
    resampling's (both round half up: 1001 samples at 16 kHz are 501 at 8 kHz, not Python's round() to even, 500)."""
    import soxr

    path = str(tmp_path / "odd.wav")
    samples = np.random.default_rng(2).uniform(-0.5, 0.5, frames).astype(np.float32)
    soundfile.write(path, samples, rate, subtype="FLOAT")
    monkeypatch.setattr(audio_io, "LONG_FILE_SAMPLES", 100)  # read as a stream
    monkeypatch.setattr(audio_io, "BLOCK_SAMPLES", 4096)
    signal = audio_io.Signal.of_file(path, sample_rate=target)
    delivered = sum(len(chunk) for chunk in signal.chunks())
    assert len(signal) == delivered == len(soxr.resample(samples, rate, target, quality="HQ"))


def test_reading_imports_no_tensorflow():
    code = ("import sys, kapre_like.audio_io as a; print('tensorflow' in sys.modules)")
    # the package's __init__ imports TensorFlow in a user's process; the module itself needs none of it
    done = subprocess.run([sys.executable, "-c", "import ast, sys; tree = ast.parse(open(sys.argv[1]).read()); "
                           "print(sorted({n.names[0].name.split('.')[0] for n in ast.walk(tree) "
                           "if isinstance(n, ast.Import)} | {n.module.split('.')[0] for n in ast.walk(tree) "
                           "if isinstance(n, ast.ImportFrom) and n.module}))", audio_io.__file__],
                          capture_output=True, text=True, check=True)
    assert "tensorflow" not in done.stdout and "keras" not in done.stdout, done.stdout
    del code


@pytest.mark.parametrize("kwargs, error, words", [
    ({"offset": -1.0}, ValueError, ["`offset`", ">= 0", "-1.0"]),
    ({"offset": float("nan")}, ValueError, ["`offset`", "nan"]),
    ({"duration": 0}, ValueError, ["`duration`", "> 0"]),
    ({"offset": 2.0}, ValueError, ["offset 2 s is beyond the end", "stereo.wav", "1 s long"]),
    ({"channel": 2}, ValueError, ["channel 2", "2 channel(s)", "'mix'"]),
    ({"channel": "left"}, ValueError, ["channel 'left'"]),
])
def test_bad_arguments_say_what_was_wrong(stereo, kwargs, error, words):
    with pytest.raises(error) as info:
        audio_io.load_audio(stereo, **kwargs)
    for word in words:
        assert word in str(info.value), str(info.value)


def test_bad_files_say_what_was_wrong(tmp_path):
    with pytest.raises(FileNotFoundError, match="audio file not found: .*nothing.wav"):
        audio_io.load_audio(tmp_path / "nothing.wav")
    with pytest.raises(IsADirectoryError, match="is a folder, not an audio file"):
        audio_io.check_audio_file(tmp_path)
    (tmp_path / "empty.wav").write_bytes(b"")
    with pytest.raises(audio_io.AudioReadError, match="empty.wav.*the file is empty"):
        audio_io.load_audio(tmp_path / "empty.wav")
    (tmp_path / "text.wav").write_text("not audio")
    with pytest.raises(audio_io.AudioReadError, match="cannot read audio file .*text.wav"):
        audio_io.check_audio_file(tmp_path / "text.wav")
    soundfile.write(tmp_path / "none.wav", np.zeros((0, 1), np.float32), 8000)
    with pytest.raises(ValueError, match="none.wav.* has no samples"):
        audio_io.load_audio(tmp_path / "none.wav")
    with pytest.raises(ValueError, match="none.wav.* has no samples"):
        audio_io.check_audio_file(tmp_path / "none.wav")


def test_non_finite_samples_are_counted():
    with pytest.raises(ValueError, match=r"'x.wav': the waveform contains NaN or Inf \(2 of 4 samples\)"):
        audio_io.check_finite(np.array([0.0, np.nan, np.inf, 1.0]), "x.wav")
    audio_io.check_finite(np.zeros(3))
