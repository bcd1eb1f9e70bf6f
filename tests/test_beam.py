"""Corpus encoding with Apache Beam (issue 22): shards read back equal the in-process encoder's output
for every file; unreadable files are dead letters; a re-run replaces the previous shards; a worker's
failure names its file; bad input is answered with errors that name it."""

import contextlib
import json
import os
import subprocess
import sys

import numpy as np
import pytest

pytest.importorskip("apache_beam")  # the dev extra installs it; without it, nothing to test here
soundfile = pytest.importorskip("soundfile")

import kapre_like
import kapre_like_cli
from kapre_like import AudioSpectrogramEncoder
from kapre_like.beam import (DEAD_LETTERS_NAME, SPEC_NAME, CorpusEncodingError, encode_corpus, pipeline_options,
                             read_shards)
from kapre_like.synthetic import speech_like, white_noise

from conftest import assert_says


def write_clips(folder, count, stem="clip", first_seed=0):
    """``count`` short files of different lengths, rates, formats and channel counts; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(count):
        seed = first_seed + i
        rate = (22050, 16000, 44100)[i % 3]  # the encoder (16 kHz) resamples two of three
        seconds = 0.15 + 0.04 * i
        signal = speech_like(seconds, rate, seed=seed) if i % 2 == 0 else white_noise(seconds, rate, seed=seed)
        if i % 4 == 3:  # stereo: the encoder mixes it to mono
            signal = np.stack([signal, 0.5 * signal[::-1]], axis=1)
        path = folder / f"{stem}{seed:02d}.{'flac' if i % 3 == 1 else 'wav'}"
        soundfile.write(str(path), signal, rate)
        paths.append(str(path))
    return paths


def read_back(source):
    """{path: spectrogram} of every record (the reader's order is not the files' order)."""
    items = {}
    for item in read_shards(str(source)):
        path = item["path"].numpy().decode()
        assert path not in items, f"{path} written twice"
        items[path] = item["spectrogram"].numpy()
    return items


def assert_equal_to_encoder(items, paths, encoder):
    assert sorted(items) == sorted(paths)
    for path in paths:
        expected = encoder.encode(path)
        assert items[path].dtype == np.float32 and items[path].shape == expected.shape, path
        np.testing.assert_array_equal(items[path], expected, err_msg=path)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    """Ten good files and a corrupt one in a folder, encoded once with the default encoder on one worker."""
    folder = tmp_path_factory.mktemp("corpus")
    paths = write_clips(folder / "audio" / "nested", 10)
    corrupt = folder / "audio" / "corrupt.wav"
    corrupt.write_bytes(b"RIFF\x00\x00\x00\x00WAVEfmt this is not audio")
    summary = encode_corpus(str(folder / "audio" / "**" / "*.*"), str(folder / "shards"), workers=1)
    return folder, paths, str(corrupt), summary


def test_shards_read_back_equal_the_encoder_for_every_file(corpus):
    folder, paths, corrupt, summary = corpus
    assert (summary.files, summary.records, summary.dead_letters) == (11, 10, 1)
    assert_equal_to_encoder(read_back(folder / "shards"), paths, AudioSpectrogramEncoder())
    # the spec next to the shards says what they hold
    spec = json.loads((folder / "shards" / SPEC_NAME).read_text())
    assert spec["records"] == 10 and spec["dead_letters"] == 1 and spec["files"] == 11
    assert spec["features"]["spectrogram"]["shape"] == [None, 201]
    assert spec["encoder"]["sample_rate"] == 16000 and spec["encoder"]["window_size"] == 400
    assert spec["encoder"]["offset"] == 133 and len(spec["encoder"]["window"]) == 400
    assert sorted(os.listdir(folder / "shards")) == sorted(spec["shards"] + [SPEC_NAME, DEAD_LETTERS_NAME])


def test_read_shards_takes_the_spec_or_a_glob_of_shards_too(corpus):
    folder, paths, _, _ = corpus
    expected = read_back(folder / "shards")
    for source in (folder / "shards" / SPEC_NAME, folder / "shards" / "spectrograms-*.tfrecord"):
        items = read_back(source)
        assert sorted(items) == sorted(expected)
        assert all(np.array_equal(items[p], expected[p]) for p in paths)
    element = read_shards(str(folder / "shards")).element_spec
    assert element["spectrogram"].shape.as_list() == [None, 201] and element["spectrogram"].dtype.name == "float32"
    assert element["path"].dtype.name == "string"


def test_reading_shards_needs_no_apache_beam(corpus, monkeypatch):
    folder, paths, _, _ = corpus
    for name in [m for m in sys.modules if m == "apache_beam" or m.startswith("apache_beam.")]:
        monkeypatch.delitem(sys.modules, name)
    monkeypatch.setitem(sys.modules, "apache_beam", None)  # as if not installed
    assert sorted(read_back(folder / "shards")) == sorted(paths)


def test_an_unreadable_file_is_a_dead_letter_and_the_job_goes_on(corpus):
    folder, _, corrupt, _ = corpus
    lines = (folder / "shards" / DEAD_LETTERS_NAME).read_text().splitlines()
    assert len(lines) == 1
    letter = json.loads(lines[0])
    assert letter["path"] == corrupt
    assert letter["error"].startswith("AudioReadError: cannot read audio file") and corrupt in letter["error"]


def test_empty_files_folders_and_nan_are_dead_letters_too(tmp_path):
    good = write_clips(tmp_path / "audio", 2)
    empty = str(tmp_path / "audio" / "empty.wav")
    soundfile.write(empty, np.zeros(0, np.float32), 16000)
    nan = str(tmp_path / "audio" / "nan.wav")
    soundfile.write(nan, np.full(800, np.nan, np.float32), 16000, subtype="FLOAT")
    summary = encode_corpus(good + [empty, nan, str(tmp_path / "audio")], str(tmp_path / "shards"), workers=1)
    assert (summary.records, summary.dead_letters) == (2, 3)
    letters = {json.loads(line)["path"]: json.loads(line)["error"]
               for line in (tmp_path / "shards" / DEAD_LETTERS_NAME).read_text().splitlines()}
    assert "has no samples" in letters[empty]
    assert "NaN or Inf" in letters[nan]
    assert letters[str(tmp_path / "audio")].startswith("IsADirectoryError")
    assert_equal_to_encoder(read_back(tmp_path / "shards"), good, AudioSpectrogramEncoder())


def test_encoder_settings_and_a_target_length_travel_with_the_shards(tmp_path):
    paths = write_clips(tmp_path / "audio", 3)
    encoder = AudioSpectrogramEncoder(sample_rate=8000, window_size=256, offset=128, normalization=("rms", 0.1),
                                      target_length=0.3)
    summary = encode_corpus(paths, str(tmp_path / "shards"), encoder=encoder, workers=1, num_shards=2)
    assert len(summary.shards) == 2
    assert_equal_to_encoder(read_back(tmp_path / "shards"), paths, encoder)
    # every spectrogram has ceil(2400 / 128) = 19 frames: the reader knows it from the spec
    assert read_shards(str(tmp_path / "shards")).element_spec["spectrogram"].shape.as_list() == [19, 129]
    spec = json.loads((tmp_path / "shards" / SPEC_NAME).read_text())
    assert spec["encoder"]["normalization"] == ["rms", 0.1] and spec["encoder"]["target_length"] == 0.3


def test_a_rerun_replaces_the_previous_shards(tmp_path):
    first = write_clips(tmp_path / "first", 4, stem="first")
    second = write_clips(tmp_path / "second", 3, stem="second", first_seed=20)
    out = str(tmp_path / "shards")
    old = encode_corpus(first, out, workers=1, num_shards=2)
    new = encode_corpus(str(tmp_path / "second" / "*"), out, workers=1, num_shards=3)
    assert set(old.shards).isdisjoint(new.shards)
    assert_equal_to_encoder(read_back(out), second, AudioSpectrogramEncoder())
    assert sorted(os.listdir(out)) == sorted(new.shards + [SPEC_NAME, DEAD_LETTERS_NAME])  # the old ones are gone


class FailingEncoder(AudioSpectrogramEncoder):
    """Fails (not a reading error: a fault of the encoder) on waveforms of one length."""

    def __init__(self, failing_length, **kwargs):
        super().__init__(**kwargs)
        self.failing_length = failing_length

    def spectrogram(self, signal):
        if len(signal) == self.failing_length:
            raise ArithmeticError("the encoder broke on this one")
        return super().spectrogram(signal)


def test_a_worker_failure_names_the_file_and_keeps_the_previous_shards(tmp_path):
    paths = write_clips(tmp_path / "audio", 4)
    out = str(tmp_path / "shards")
    encode_corpus(paths[:2], out, workers=1)
    before = sorted(os.listdir(out))
    encoder = FailingEncoder(len(AudioSpectrogramEncoder().waveform(paths[2])))
    with pytest.raises(CorpusEncodingError) as info:
        encode_corpus(paths, out, encoder=encoder, workers=1)
    assert_says(info, repr(paths[2]), "ArithmeticError", "the encoder broke on this one")
    assert sorted(os.listdir(out)) == before  # nothing of the failed run is left; the previous shards are read
    assert sorted(read_back(out)) == sorted(paths[:2])


@pytest.mark.slow
def test_two_worker_processes_write_the_same_spectrograms(tmp_path):
    paths = write_clips(tmp_path / "audio", 10)
    corrupt = tmp_path / "audio" / "corrupt.ogg"
    corrupt.write_bytes(b"OggS garbage")
    summary = encode_corpus(str(tmp_path / "audio" / "*"), str(tmp_path / "shards"), workers=2, num_shards=2)
    assert "2 worker processes" in summary.runner and (summary.records, summary.dead_letters) == (10, 1)
    assert_equal_to_encoder(read_back(tmp_path / "shards"), paths, AudioSpectrogramEncoder())


# ----------------------------------------------------------------------------- bad input


def test_an_empty_glob_names_the_pattern(tmp_path):
    pattern = str(tmp_path / "nothing" / "**" / "*.flac")
    with pytest.raises(FileNotFoundError) as info:
        encode_corpus(pattern, str(tmp_path / "shards"), workers=1)
    assert_says(info, "no audio files match", repr(pattern))
    with pytest.raises(FileNotFoundError) as info:
        encode_corpus([str(tmp_path / "missing.wav")], str(tmp_path / "shards"), workers=1)
    assert_says(info, "audio file not found", repr(str(tmp_path / "missing.wav")))


def test_an_unwritable_output_names_it(tmp_path):
    paths = write_clips(tmp_path / "audio", 1)
    (tmp_path / "file.txt").write_text("a regular file")
    out = str(tmp_path / "file.txt" / "shards")
    with pytest.raises(OSError) as info:
        encode_corpus(paths, out, workers=1)
    assert_says(info, "cannot write shards into", repr(out))


def test_missing_beam_names_the_extra(monkeypatch, tmp_path):
    paths = write_clips(tmp_path / "audio", 1)
    monkeypatch.setitem(sys.modules, "apache_beam", None)  # as if not installed
    with pytest.raises(ImportError) as info:
        encode_corpus(paths, str(tmp_path / "shards"))
    assert_says(info, "apache_beam", 'pip install "kapre_like[beam]"')


def test_a_runner_that_does_not_exist_is_named(tmp_path):
    with pytest.raises(ValueError) as info:
        pipeline_options(1, ["--runner=NoSuchRunner"])
    assert_says(info, "--runner=NoSuchRunner", "not available")


@pytest.mark.parametrize("kwargs, parts", [
    ({"workers": 0}, ["`workers`", "positive integer", "0"]),
    ({"workers": 1.5}, ["`workers`", "1.5"]),
    ({"pipeline_args": "--runner=DirectRunner"}, ["`pipeline_args`", "list of strings"]),
    ({"num_shards": -1}, ["`num_shards`", ">= 0", "-1"]),
    ({"encoder": "mel"}, ["`encoder`", "AudioSpectrogramEncoder", "str"]),
])
def test_bad_arguments_are_named(tmp_path, kwargs, parts):
    paths = write_clips(tmp_path / "audio", 1)
    with pytest.raises(ValueError) as info:
        encode_corpus(paths, str(tmp_path / "shards"), **{"workers": 1, **kwargs})
    assert_says(info, *parts)


def test_read_shards_of_a_folder_without_spec_or_shards(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        read_shards(str(tmp_path))
    assert_says(info, SPEC_NAME, repr(str(tmp_path)))
    pattern = str(tmp_path / "*.tfrecord")
    with pytest.raises(FileNotFoundError) as info:
        read_shards(pattern)
    assert_says(info, "no shard files match", repr(pattern))
    (tmp_path / SPEC_NAME).write_text('{"format": "something else"}')
    with pytest.raises(ValueError) as info:
        read_shards(str(tmp_path))
    assert_says(info, "not a kapre_like shard spec", "'format'")


def test_import_kapre_like_does_not_import_apache_beam():
    code = ("import sys, kapre_like; reader = kapre_like.read_shards; "
            "print(['apache_beam' in sys.modules, 'kapre_like.beam' in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert out.stdout.strip().splitlines()[-1] == "[False, True]"
    assert kapre_like.read_shards is read_shards and kapre_like.encode_corpus is encode_corpus


# ----------------------------------------------------------------------------- the command-line tool


def test_cli_encode_prints_progress_and_writes_what_the_encoder_gives(tmp_path, capsys):
    paths = write_clips(tmp_path / "audio", 4)
    (tmp_path / "audio" / "broken.wav").write_bytes(b"broken")
    out = str(tmp_path / "shards")
    status = kapre_like_cli.main(["encode", str(tmp_path / "audio" / "*"), "--out", out, "--workers", "1", "--sample-rate",
                       "8000", "--window", "32", "--offset", "16"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    lines = captured.out.splitlines()
    assert lines[0].startswith("encoding 5 files into") and "DirectRunner, 1 worker process" in lines[0]
    assert "4 files encoded, 1 dead letters, 1 shards written in" in lines[1] and "files/s" in lines[1]
    assert DEAD_LETTERS_NAME in lines[2] and SPEC_NAME in lines[3]
    assert_equal_to_encoder(read_back(out), paths, AudioSpectrogramEncoder(sample_rate=8000, window_size=256,
                                                                           offset=128))


def test_files_done_counts_every_file_the_local_workers_finish(tmp_path):
    """files_done(done, total): from 0 (or the unreadable names) up to the total, never down, read files and dead
    letters alike; the workers' tally file is gone afterwards."""
    write_clips(tmp_path / "audio", 5)
    (tmp_path / "audio" / "broken.wav").write_bytes(b"broken")
    calls = []
    summary = encode_corpus(str(tmp_path / "audio"), str(tmp_path / "shards"), workers=2,
                            files_done=lambda done, total: calls.append((done, total)))
    assert summary.records == 5 and summary.dead_letters == 1
    assert calls[0] == (0, 6) and calls[-1] == (6, 6)
    assert all(total == 6 for _, total in calls) and [done for done, _ in calls] == sorted({d for d, _ in calls})
    assert not [name for name in os.listdir(tmp_path / "shards") if name.startswith(".done")]


def test_cli_encode_draws_a_bar_of_files_on_a_terminal(tmp_path, capsys, monkeypatch):
    write_clips(tmp_path / "audio", 3)
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    status = kapre_like_cli.main(["encode", str(tmp_path / "audio"), "--out", str(tmp_path / "shards"), "--workers",
                                  "1"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert "3/3" in captured.out and "file" in captured.out


@pytest.mark.parametrize("features", ["mel", "mfcc", "stft"])
def test_cli_encode_features_preset_and_part_of_each_file(tmp_path, capsys, features):
    """--features, --preset, --start and --duration: the records are what the same encoder gives (built by
    from_preset with start and duration; it is checked against librosa in test_presets and test_encoder_family)."""
    from kapre_like import encoder as encoders

    paths = write_clips(tmp_path / "audio", 2)
    argv = ["encode", *paths, "--out", str(tmp_path / "shards"), "--workers", "1", "--features", features,
            "--preset", "speech", "--start", "0.05", "--duration", "0.1"]
    arguments = dict(start=0.05, duration=0.1)
    if features == "mfcc":
        argv += ["--n-mfcc", "13", "--bins", "40"]
        arguments.update(n_mfcc=13, n_mels=40)
    status = kapre_like_cli.main(argv)
    captured = capsys.readouterr()
    assert status == 0, captured.err
    name = {"mel": "AudioMelSpectrogramEncoder", "mfcc": "AudioMFCCEncoder", "stft": "AudioSTFTEncoder"}[features]
    encoder = getattr(encoders, name).from_preset("speech", **arguments)
    items = read_back(tmp_path / "shards")
    for path in paths:
        expected = encoder.encode(path)
        if features == "stft":
            expected = np.stack([expected.real, expected.imag], axis=-1)
        assert items[path].shape == expected.shape == ((10,) + expected.shape[1:])  # 0.1 s at 16 kHz, hop 160
        np.testing.assert_array_equal(items[path], expected)
    spec = json.loads((tmp_path / "shards" / SPEC_NAME).read_text())
    assert spec["encoder"]["class"] == name and (spec["encoder"]["start"], spec["encoder"]["duration"]) == (0.05, 0.1)


@pytest.mark.parametrize("argv, words", [
    (["--features", "mel", "--n-mfcc", "13"], ["--n-mfcc is for --features mfcc, not mel"]),
    (["--bins", "40"], ["--bins (mel bands) is for --features mel or mfcc, not magnitude"]),
    (["--features", "mfcc", "--n-mfcc", "80", "--bins", "40"], ["--n-mfcc 80", "from 40 mel bands"]),
    (["--start", "-1"], ["--start", "-1"]),
    (["--preset", "speach"], ["--preset", "'speach'", "speech"]),
    (["--features", "mfcc", "--n-mfcc", "100"], ["--n-mfcc 100 MFCCs cannot come from 64 mel bands"]),
    (["--features", "mfcc", "--preset", "speech", "--n-mfcc", "90"], ["--n-mfcc 90", "from 80 mel bands"]),
    (["--features", "mel", "--preset", "speech", "--offset", "30"], ["--offset 30 ms is longer than --window 25 ms"]),
])
def test_cli_encode_refuses_options_that_do_not_fit(tmp_path, capsys, argv, words):
    paths = write_clips(tmp_path / "audio", 1)
    with pytest.raises(SystemExit) if argv[0] in ("--start", "--preset") else contextlib.nullcontext():
        status = kapre_like_cli.main(["encode", *paths, "--out", str(tmp_path / "shards"), *argv])
        assert status == 2
    line = capsys.readouterr().err.strip().splitlines()[-1]  # argparse's usage lines come first
    assert line.startswith("kapre-like") and "error: " in line and all(word in line for word in words), line


def test_cli_encode_passes_beam_options_after_the_double_dash(tmp_path, capsys):
    paths = write_clips(tmp_path / "audio", 1)
    status = kapre_like_cli.main(["encode", *paths, "--out", str(tmp_path / "shards"), "--", "--runner=NoSuchRunner"])
    captured = capsys.readouterr()
    assert status == 2
    assert captured.err.startswith("kapre-like: error: --runner=NoSuchRunner is not available")
    assert len(captured.err.strip().splitlines()) == 1


FRONT_DOOR = r"""
import sys, kapre_like_cli
status = kapre_like_cli.main(sys.argv[1:])
print(status, 'tensorflow' in sys.modules)
"""


@pytest.mark.parametrize("case", ["empty glob", "unwritable", "missing file", "folder named like a file",
                                  "folder without audio", "glob of folders", "folder among files"])
def test_cli_encode_answers_bad_input_without_tensorflow(tmp_path, case):
    write_clips(tmp_path / "audio", 1)
    write_clips(tmp_path / "dir.wav", 1)  # a folder, named like a file
    (tmp_path / "notes").mkdir()
    (tmp_path / "notes" / "readme.txt").write_text("no audio here")
    (tmp_path / "file.txt").write_text("a regular file")
    argv, parts = {
        "empty glob": (["encode", str(tmp_path / "none" / "**" / "*.flac"), "--out", str(tmp_path / "o")],
                       ["no audio files match", repr(str(tmp_path / "none" / "**" / "*.flac"))]),
        "unwritable": (["encode", str(tmp_path / "audio" / "*"), "--out", str(tmp_path / "file.txt" / "o")],
                       ["cannot write into folder", repr(str(tmp_path / "file.txt" / "o")), "--out"]),
        "missing file": (["encode", str(tmp_path / "a.wav"), str(tmp_path / "b.wav"), "--out", str(tmp_path / "o")],
                         ["audio file not found", repr(str(tmp_path / "a.wav"))]),
        "folder named like a file": (["encode", str(tmp_path / "dir.wav"), "--out", str(tmp_path / "o")],
                                     [f"{str(tmp_path / 'dir.wav')!r} is a folder, not an audio file; to encode the "
                                      f"audio files in it, give {str(tmp_path / 'dir.wav') + os.sep!r} (with the "
                                      f"slash)"]),
        "folder without audio": (["encode", str(tmp_path / "notes"), "--out", str(tmp_path / "o")],
                                 [f"no audio files in folder {str(tmp_path / 'notes')!r} (.wav, .flac"]),
        "glob of folders": (["encode", str(tmp_path / "*.wav"), "--out", str(tmp_path / "o")],
                            [f"no audio files match {str(tmp_path / '*.wav')!r} (only the folder "
                             f"{str(tmp_path / 'dir.wav')!r})"]),
        "folder among files": (["encode", str(tmp_path / "audio"), str(tmp_path / "file.txt"), "--out",
                                str(tmp_path / "o")],
                               [f"{str(tmp_path / 'audio')!r} is a folder, not an audio file; give the folder alone"]),
    }[case]
    result = subprocess.run([sys.executable, "-c", FRONT_DOOR, *argv], capture_output=True, text=True)
    assert result.stdout.split() == ["2", "False"], result.stderr
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("kapre-like: error: ")
    missing = [part for part in parts if part not in line]
    assert not missing, f"{line!r} lacks {missing}"


def test_cli_encode_without_beam_names_the_extra(tmp_path, capsys, monkeypatch):
    paths = write_clips(tmp_path / "audio", 1)
    monkeypatch.setitem(sys.modules, "apache_beam", None)  # as if not installed
    status = kapre_like_cli.main(["encode", *paths, "--out", str(tmp_path / "shards")])
    assert status == 2
    assert 'pip install "kapre_like[beam]"' in capsys.readouterr().err


# ----------------------------------------------------------------------------- issue 34


STALE_PID = 2**22 + 1  # above Linux's largest pid_max: no process has it


def test_a_file_name_that_is_not_utf8_is_a_dead_letter_and_nothing_partial_stays(tmp_path):
    good = write_clips(tmp_path / "audio", 2)
    bad = os.path.join(os.fsencode(str(tmp_path / "audio")), b"bad\xffname.wav")
    with open(bad, "wb") as handle, open(good[0], "rb") as source:
        handle.write(source.read())
    out = tmp_path / "shards"
    out.mkdir()
    stale = [f".files-20240101T000000-abcdef.txt.{STALE_PID}.partial", f"{SPEC_NAME}.{STALE_PID}.partial"]
    for name in stale:  # what runs killed half-way through left behind
        (out / name).write_text("half")
    summary = encode_corpus(str(tmp_path / "audio" / "*"), str(out), workers=1)
    assert (summary.files, summary.records, summary.dead_letters) == (3, 2, 1)
    (letter,) = [json.loads(line) for line in (out / DEAD_LETTERS_NAME).read_text().splitlines()]
    assert letter == {"path": str(tmp_path / "audio") + "/bad\\xffname.wav",
                      "error": "UnicodeError: the file name is not valid UTF-8; rename the file (e.g. with convmv) to "
                               "encode it"}
    assert_equal_to_encoder(read_back(out), good, AudioSpectrogramEncoder())
    assert sorted(os.listdir(out)) == sorted(summary.shards + [SPEC_NAME, DEAD_LETTERS_NAME])  # no .partial


def write_truncated_wav(path, seconds=1.0, rate=16000):
    """A 16-bit WAV cut to about half its data; returns (declared, held) data bytes as Python's wave module and
    the file's size say."""
    import wave

    soundfile.write(str(path), speech_like(seconds, rate, seed=3), rate, subtype="PCM_16")
    with wave.open(str(path)) as reader:
        declared = reader.getnframes() * reader.getsampwidth() * reader.getnchannels()
        header = path.stat().st_size - declared
    path.write_bytes(path.read_bytes()[:header + declared // 2 + 1])
    return declared, path.stat().st_size - header


def test_a_truncated_wav_is_encoded_and_its_warning_reaches_the_spec_and_the_tool(tmp_path, capsys):
    good = write_clips(tmp_path / "audio", 2)
    cut = tmp_path / "audio" / "cut.wav"
    declared, held = write_truncated_wav(cut)
    out = str(tmp_path / "shards")
    status = kapre_like_cli.main(["encode", str(tmp_path / "audio" / "*"), "--out", out, "--workers", "1"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    expected = {"path": str(cut), "warning": f"audio file {str(cut)!r} looks truncated: its header declares "
                                             f"{declared} bytes of audio, the file holds {held}; read the {held // 2} "
                                             f"frames there are."}
    spec = json.loads((tmp_path / "shards" / SPEC_NAME).read_text())
    assert spec["warnings"] == [expected] and spec["records"] == 3 and spec["dead_letters"] == 0
    assert captured.err == f"kapre-like: warning: {expected['warning']}\n"
    assert "3 files encoded, 1 with warnings, 0 dead letters" in captured.out
    with pytest.warns(UserWarning, match="looks truncated"):  # the in-process encoder warns too
        assert_equal_to_encoder(read_back(out), good + [str(cut)], AudioSpectrogramEncoder())


def test_when_every_file_is_dead_the_job_fails_and_keeps_the_previous_shards(tmp_path, capsys):
    good = write_clips(tmp_path / "good", 2)
    out = str(tmp_path / "shards")
    encode_corpus(good, out, workers=1)
    before = sorted(os.listdir(out))
    for name in ("a.wav", "b.wav"):
        (tmp_path / "bad" / name).parent.mkdir(exist_ok=True)
        (tmp_path / "bad" / name).write_bytes(b"RIFF not audio at all")
    with pytest.raises(CorpusEncodingError) as info:
        encode_corpus(str(tmp_path / "bad" / "*.wav"), out, workers=1)
    first = str(tmp_path / "bad" / "a.wav")
    assert_says(info, f"no file was encoded: all 2 files could not be read (the first, {first!r}: AudioReadError: "
                      f"cannot read audio file {first!r}", f"the previous shards in {out!r} are kept")
    assert type(info.value).__name__ == "NothingEncodedError" and len(info.value.dead_letters) == 2
    assert sorted(os.listdir(out)) == before and sorted(read_back(out)) == sorted(good)
    status = kapre_like_cli.main(["encode", str(tmp_path / "bad" / "*.wav"), "--out", out, "--workers", "1"])
    err = capsys.readouterr().err
    assert status == 1
    assert err.startswith("kapre-like: error: no file was encoded: all 2 files could not be read") and \
        err.count("\n") == 1, err


def test_cli_encode_of_a_folder_encodes_the_audio_files_in_it(tmp_path, capsys):
    paths = write_clips(tmp_path / "audio" / "nested", 3) + write_clips(tmp_path / "audio", 1, stem="top")
    (tmp_path / "audio" / "notes.txt").write_text("not audio: left out")
    (tmp_path / "audio" / "._top00.wav").write_bytes(b"macOS metadata: left out")
    out = str(tmp_path / "shards")
    status = kapre_like_cli.main(["encode", str(tmp_path / "audio") + os.sep, "--out", out, "--workers", "1"])
    captured = capsys.readouterr()
    assert status == 0, captured.err
    assert captured.out.startswith("encoding 4 files into")
    assert_equal_to_encoder(read_back(out), paths, AudioSpectrogramEncoder())


def test_read_shards_of_a_glob_that_matches_the_spec_and_dead_letters_reads_the_shards(corpus, tmp_path):
    folder, paths, _, _ = corpus
    assert sorted(os.listdir(folder / "shards")) != sorted(json.loads((folder / "shards" / SPEC_NAME).read_text())
                                                           ["shards"])  # the glob below matches more than shards
    assert sorted(read_back(folder / "shards" / "*")) == sorted(paths)
    import shutil

    copy = tmp_path / "copy"
    shutil.copytree(folder / "shards", copy)
    (copy / "notes.txt").write_text("not a shard")
    with pytest.raises(ValueError) as info:
        read_shards(str(copy / "*"))
    assert_says(info, f"{str(copy / 'notes.txt')!r} matches {str(copy / '*')!r} but is not a shard its {SPEC_NAME} "
                      f"lists")
