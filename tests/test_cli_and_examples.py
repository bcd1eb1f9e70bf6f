"""The command-line tool and the examples run as a new user runs them."""

import os
import subprocess
import sys

import numpy as np
import pytest

import kapre_like_cli
from kapre_like import audio_io, blockwise, display

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(capsys, *argv):
    status = kapre_like_cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_default_job_on_builtin_signal(tmp_path, capsys, monkeypatch):
    """``kapre-like`` with no argument, the README's main command."""
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys)
    assert (status, err) == (0, ""), err
    assert "48000 samples at 16000 Hz (3.00 s)" in out  # the built-in signal's default length
    for kind in ("mel", "stft", "log"):
        assert (tmp_path / "kapre_like_out" / f"{kind}_spectrogram.png").stat().st_size > 10_000
    assert "[ok]" in out
    snr = float(out.split("SNR ")[1].split(" dB")[0])
    assert snr > 100.0
    for name in ("mel_frontend.keras", "mel_frontend_savedmodel", "mel_frontend.tflite"):
        assert (tmp_path / "kapre_like_out" / "export" / name).exists()
        assert name in out


def test_spectrogram_shows_the_chirp_rising_and_the_tones_flat(tmp_path):
    from kapre_like.synthetic import DEMO_TONES_HZ, demo_signal

    samples = demo_signal(3.0, 16000)
    spectrogram = blockwise.draw_spectrogram(samples, 16000, "stft", 1024, 256, None, "demo",
                                             str(tmp_path / "s.png")).columns
    hz_per_bin = 16000 / 1024
    # the tones: flat lines, their bins loud and above their neighbours in (nearly) every frame
    for tone in DEMO_TONES_HZ:
        centre = int(round(tone / hz_per_bin))
        line = spectrogram[:, centre]
        assert np.mean(line > spectrogram.max() - 30) > 0.95
        assert np.mean(line > np.maximum(spectrogram[:, centre - 6], spectrogram[:, centre + 6]) + 10) > 0.9
    # the chirp: in the first third (no speech) the loudest bin other than the tones rises steadily
    quiet = spectrogram.copy()
    for tone in DEMO_TONES_HZ:
        centre = int(round(tone / hz_per_bin))
        quiet[:, centre - 3:centre + 4] = quiet.min()
    peaks = quiet[: spectrogram.shape[0] // 3].argmax(axis=1)
    assert np.all(np.diff(peaks[5:]) >= 0) and peaks[-1] > peaks[5] + 5


def test_subcommands_on_a_file(tmp_path, capsys):
    soundfile = pytest.importorskip("soundfile")
    stereo = np.random.default_rng(0).uniform(-0.5, 0.5, (22050, 2)).astype(np.float32)
    path = tmp_path / "noise.flac"
    soundfile.write(path, stereo, 22050)
    status, out, err = _run(capsys, "spectrogram", str(path), "--kind", "log", "--out", str(tmp_path / "a.png"))
    assert status == 0, err
    assert "22050 samples at 22050 Hz" in out and (tmp_path / "a.png").exists()
    status, out, _ = _run(capsys, "roundtrip", str(path), "--n-fft", "512", "--hop", "128")
    assert status == 0 and "[ok]" in out


def test_options_before_the_subcommand_are_kept(capsys):
    status, out, err = _run(capsys, "--n-fft", "512", "--hop", "128", "--center", "--duration", "1", "roundtrip")
    assert status == 0 and "(n_fft 512, hop 128, centred frames)" in out, err
    status, out, err = _run(capsys, "--n-fft", "512", "roundtrip", "--n-fft", "256", "--hop", "64", "--duration", "1")
    assert status == 0 and "(n_fft 256, hop 64)" in out, err  # after the subcommand wins


def test_centred_frames_from_the_command_line(tmp_path, capsys):
    status, out, err = _run(capsys, "roundtrip", "--center", "--duration", "1")
    assert status == 0 and "centred frames" in out and "[ok]" in out, err
    status, out, err = _run(capsys, "spectrogram", "--center", "--duration", "1", "--out", str(tmp_path / "c.png"))
    assert status == 0, err
    assert f"{1 + 16000 // 256} frames" in out  # 1 + len // hop: frames centred on t * hop
    status, out, err = _run(capsys, "export", "--center", "--seconds", "0.5", "--out", str(tmp_path / "export"))
    assert status == 0 and "tflite" in out, err


def test_export_subcommand(tmp_path, capsys):
    status, out, err = _run(capsys, "export", "--frontend", "stft", "--seconds", "0.5", "--out", str(tmp_path))
    assert status == 0, err
    assert (tmp_path / "stft_frontend.tflite").exists() and "tflite" in out


def test_export_to_onnx_and_one_format_only(tmp_path, capsys):
    pytest.importorskip("onnxruntime")
    status, out, err = _run(capsys, "export", "--format", "onnx", "--seconds", "0.5", "--out", str(tmp_path))
    assert status == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["mel_frontend.onnx"]
    (line,) = [line for line in out.splitlines() if line.strip().startswith("onnx")]
    assert float(line.rsplit(" ", 2)[-2]) < 5e-3  # dB from the Keras model
    assert err == ""


def test_onnx_without_the_extra_is_refused_in_the_tools_terms(tmp_path, capsys, monkeypatch):
    import importlib.util

    real_find_spec = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "tf2onnx" else
                        real_find_spec(name, *a))
    status, out, err = _run(capsys, "export", "--format", "onnx", "--out", str(tmp_path))
    assert status == 2 and out == "" and err.count("\n") == 1
    assert "--format onnx needs tf2onnx" in err and "kapre_like[onnx]" in err


@pytest.mark.parametrize("command", [[]] + [[name] for name in kapre_like_cli.COMMANDS])
def test_help_on_every_subcommand(command, capsys):
    with pytest.raises(SystemExit) as info:
        kapre_like_cli.main(command + ["--help"])
    assert info.value.code == 0
    assert "usage: kapre-like" in capsys.readouterr().out


def test_missing_file(tmp_path, capsys):
    status, _, err = _run(capsys, "spectrogram", str(tmp_path / "nothing.wav"))
    assert status == 2
    assert err.count("\n") == 1 and "no such audio file" in err and "nothing.wav" in err


def test_unreadable_file(tmp_path, capsys):
    path = tmp_path / "not_audio.wav"
    path.write_text("hello")
    status, _, err = _run(capsys, "roundtrip", str(path))
    assert status == 2
    assert err.count("\n") == 1 and "cannot read audio file" in err and "not_audio.wav" in err


def test_truncated_file(tmp_path, capsys):
    soundfile = pytest.importorskip("soundfile")
    path = tmp_path / "cut.wav"
    soundfile.write(path, np.zeros(16000, np.float32), 16000, subtype="PCM_16")
    path.write_bytes(path.read_bytes()[:30])  # the header alone, cut short
    status, _, err = _run(capsys, "spectrogram", str(path))
    assert status == 2 and "cut.wav" in err and err.count("\n") == 1


@pytest.mark.parametrize("argv, words", [
    (["spectrogram", "--n-fft", "0"], ["--n-fft", "positive integer", "0"]),
    (["roundtrip", "--hop", "abc"], ["--hop", "positive integer", "'abc'"]),
    (["spectrogram", "--kind", "bark"], ["--kind", "invalid choice", "'bark'"]),
    (["--duration", "-1"], ["--duration", "positive number"]),
])
def test_bad_parameters(argv, words, capsys):
    with pytest.raises(SystemExit) as info:
        kapre_like_cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert all(word in err for word in words), err


def test_parameters_the_layers_refuse(capsys):
    status, _, err = _run(capsys, "roundtrip", "--n-fft", "256", "--hop", "512")
    assert status == 2 and err.count("\n") == 1, err
    assert "--hop 512 is longer than --n-fft 256" in err and "--hop 256 or less" in err
    status, _, err = _run(capsys, "roundtrip", "--n-fft", "512", "--hop", "509", "--duration", "1")
    assert status == 2 and err.count("\n") == 1 and "hop_length" in err, err  # the pair's own check


def test_more_mfccs_than_mel_bands_are_refused_before_tensorflow(tmp_path):
    result = subprocess.run([sys.executable, "-c", "import sys, kapre_like_cli; status = kapre_like_cli.main("
                             "sys.argv[1:]); print(status, 'tensorflow' in sys.modules)", "spectrogram", "--kind",
                             "mfcc", "--bins", "200", "--out", str(tmp_path / "p.png")],
                            capture_output=True, text=True, timeout=120)
    assert result.stdout.split() == ["2", "False"], result.stderr
    assert result.stderr.strip() == ("kapre-like: error: --bins 200 MFCCs cannot come from 128 mel bands; give --bins "
                                     "128 or fewer")


def test_unwritable_output(tmp_path, capsys):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    status, _, err = _run(capsys, "spectrogram", "--out", str(blocker / "picture.png"))
    assert status == 2 and "cannot write" in err and "choose another --out" in err
    status, _, err = _run(capsys, "export", "--out", str(blocker / "folder"))
    assert status == 2 and "cannot write into folder" in err


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(f for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".py")))
def test_example_runs(script, tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", script)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "KAPRE_LIKE_EXAMPLES_FAST": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]


# ----------------------------------------------------------------------------- issue 17: a tool that starts at once


def _tool(*argv, timeout=300):
    """Run the installed tool in its own process as a user does; returns (status, stdout, stderr, seconds)."""
    import shutil
    import time

    script = shutil.which("kapre-like", path=os.path.dirname(sys.executable))
    command = [script] if script else [sys.executable, "-c", "import sys, kapre_like_cli; "
                                       "sys.exit(kapre_like_cli.main())"]
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    start = time.perf_counter()
    done = subprocess.run(command + list(argv), capture_output=True, text=True, timeout=timeout, env=env)
    return done.returncode, done.stdout, done.stderr, time.perf_counter() - start


def _front_door(probe, argv, cwd):
    """Run the Python ``probe`` (which calls kapre_like_cli.main on sys.argv[1:]) with ``argv`` in its own process."""
    return subprocess.run([sys.executable, "-c", probe] + argv, capture_output=True, text=True, timeout=120, cwd=cwd)


@pytest.mark.parametrize("argv", [["--help"], ["spectrogram", "--help"], ["export", "--help"],
                                  ["spectrogram", "--n-fft", "0"], ["spectrogram", "no_such_file.wav"]])
def test_help_and_argument_errors_answer_without_tensorflow(argv, tmp_path):
    probe = ("import sys, kapre_like_cli\n"
             "try:\n    status = kapre_like_cli.main(sys.argv[1:])\nexcept SystemExit as stop:\n    status = stop.code\n"
             "print('tensorflow imported:', 'tensorflow' in sys.modules, file=sys.stderr)\n")
    done = _front_door(probe, argv, tmp_path)
    assert "tensorflow imported: False" in done.stderr, done.stderr
    status, out, err, seconds = _tool(*argv)
    assert status == (0 if "--help" in argv else 2), err
    # TensorFlow's import alone takes 2-18 s on these machines; the tool's answer takes about 0.1 s
    assert seconds < 5, f"{argv} took {seconds:.1f} s"


def test_a_missing_file_is_one_line_and_status_2(tmp_path):
    status, out, err, _ = _tool("spectrogram", str(tmp_path / "nothing.wav"))
    assert status == 2 and out == ""
    assert err.count("\n") == 1 and err.startswith("kapre-like: error: no such audio file") and "nothing.wav" in err


def test_the_output_is_the_tools_own(tmp_path):
    """A job that imports TensorFlow and converts to TFLite prints only the tool's lines: no start-up log, no
    Keras export notes; an error after TensorFlow started is still one line."""
    status, out, err, _ = _tool("export", "--seconds", "0.25", "--n-fft", "512", "--hop", "128",
                                "--out", str(tmp_path / "export"))
    assert status == 0, err
    assert err == "", err
    assert out.splitlines()[0].startswith("mel front end, 128 bins") and len(out.splitlines()) == 4, out
    import soundfile

    soundfile.write(tmp_path / "short.wav", np.zeros(300, np.float32), 16000)
    status, out, err, _ = _tool("spectrogram", str(tmp_path / "short.wav"), "--out", str(tmp_path / "short.png"))
    assert status == 2 and err.count("\n") == 1, err
    for words in ("short.wav lasts 0.019 s (300 samples at 16000 Hz)", "--n-fft frame of 1024 samples (64 ms)"):
        assert words in err, err
    assert sorted(os.listdir(tmp_path)) == ["export", "short.wav"]  # no empty or partial picture left behind


def test_a_failed_picture_leaves_no_file(tmp_path, capsys, monkeypatch):
    import matplotlib.figure

    def broken(self, *args, **kwargs):
        with open(args[0], "wb") as handle:
            handle.write(b"half a pic")
        raise OSError("disk full")

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", broken)
    with pytest.raises(OSError, match="disk full"):
        _run(capsys, "spectrogram", "--duration", "0.5", "--out", str(tmp_path / "p.png"))
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("out, written", [("picture", "picture.png"), ("folder/", "folder/mel_spectrogram.png"),
                                          ("v.svg", "v.svg")])
def test_out_paths_say_where_the_picture_is(tmp_path, capsys, out, written):
    status, stdout, err = _run(capsys, "spectrogram", "--duration", "0.5", "--out", f"{tmp_path}{os.sep}{out}")
    assert status == 0, err
    assert (tmp_path / written).stat().st_size > 1000
    assert stdout.strip().endswith(f"-> {tmp_path / written}")
    status, _, err = _run(capsys, "spectrogram", "--out", str(tmp_path / "p.bmp"))
    assert status == 2 and "cannot write a picture as .bmp" in err and ".png" in err


@pytest.mark.parametrize("frontend, bins", [("mel", "128"), ("stft", "513"), ("log", "84")])
def test_export_defaults_work_for_every_front_end(tmp_path, capsys, frontend, bins):
    status, out, err = _run(capsys, "export", "--frontend", frontend, "--seconds", "0.25", "--out", str(tmp_path))
    assert status == 0, err
    assert (tmp_path / f"{frontend}_frontend.tflite").exists()
    assert frontend != "stft" or "bins" not in out.splitlines()[0]
    assert frontend == "stft" or f"{bins} bins" in out.splitlines()[0]


def test_log_bins_that_do_not_fit_are_refused_in_the_tools_terms(tmp_path, capsys):
    status, _, err = _run(capsys, "export", "--frontend", "log", "--bins", "128")
    assert status == 2 and err.count("\n") == 1
    for words in ("--bins 128", "reach 53159 Hz", "half the sample rate (8000 Hz)", "--bins 95 or fewer"):
        assert words in err, err
    # at 8 kHz the default shrinks to the semitones below 4 kHz instead of failing
    status, out, err = _run(capsys, "spectrogram", "--kind", "log", "--sr", "8000", "--duration", "0.5", "--out",
                            str(tmp_path / "log8k.png"))
    assert status == 0 and "x 83 bins" in out, err


@pytest.fixture(scope="module")
def two_tones(tmp_path_factory):
    """A stereo file: 440 Hz on channel 0, 1000 Hz on channel 1, 2 s at 44.1 kHz."""
    import soundfile

    t = np.arange(2 * 44100) / 44100
    path = tmp_path_factory.mktemp("cli") / "two_tones.wav"
    soundfile.write(path, (0.5 * np.stack([np.sin(2 * np.pi * 440 * t), np.sin(2 * np.pi * 1000 * t)], 1))
                    .astype(np.float32), 44100, subtype="FLOAT")
    return str(path)


def test_channel_fmin_fmax_and_save_against_librosa(two_tones, tmp_path, capsys):
    import librosa
    import soundfile

    status, out, err = _run(capsys, "spectrogram", two_tones, "--channel", "1", "--fmin", "300", "--fmax", "4000",
                            "--bins", "40", "--n-fft", "2048", "--hop", "512", "--out", str(tmp_path / "m.png"),
                            "--save", str(tmp_path / "m"))
    assert status == 0, err
    saved = np.load(tmp_path / "m.npy")
    assert f"-> {tmp_path / 'm.npy'}" in out and saved.dtype == np.float32
    channel = soundfile.read(two_tones, dtype="float32")[0][:, 1]
    magnitude = np.abs(librosa.stft(channel, n_fft=2048, hop_length=512, center=False))
    mel = librosa.feature.melspectrogram(S=magnitude, sr=44100, n_mels=40, fmin=300, fmax=4000, power=1.0)
    expected = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=80.0).T
    np.testing.assert_allclose(saved, expected, atol=2e-3)
    peak = librosa.mel_frequencies(42, fmin=300, fmax=4000)[1:-1][saved.mean(axis=0).argmax()]
    assert abs(peak - 1000) < 60  # channel 1's tone


def test_resampling_first(two_tones, tmp_path, capsys):
    status, out, err = _run(capsys, "spectrogram", two_tones, "--sr", "16000", "--kind", "stft", "--fmax", "2000",
                            "--out", str(tmp_path / "s.png"), "--save", str(tmp_path / "s.npy"))
    assert status == 0, err
    assert "32000 samples at 16000 Hz" in out
    saved = np.load(tmp_path / "s.npy")
    assert saved.shape == (1 + (32000 - 1024) // 256, 1 + 2000 * 1024 // 16000)  # rows up to 2 kHz
    peaks = saved.mean(axis=0).argsort()[-2:] * 16000 / 1024
    assert sorted(np.round(peaks, -1)) == [440.0, 1000.0]  # the mix holds both tones, in their bins


def test_channel_out_of_range(two_tones, capsys):
    status, _, err = _run(capsys, "spectrogram", two_tones, "--channel", "2")
    assert status == 2 and "--channel 2" in err and "has 2 channel(s)" in err


def test_export_checks_on_a_given_file(two_tones, tmp_path, capsys):
    status, out, err = _run(capsys, "export", "--check", two_tones, "--seconds", "0.5", "--out", str(tmp_path))
    assert status == 0, err
    assert "checked on the first 0.5 s of two_tones.wav" in out
    status, _, err = _run(capsys, "export", "--check", str(tmp_path / "gone.wav"))
    assert status == 2 and "no such audio file" in err


def test_frequency_ticks_are_round_numbers_and_notes():
    import librosa

    positions, labels = display.frequency_ticks(librosa.mel_frequencies(130, fmin=0, fmax=8000)[1:-1])
    assert labels == ["100", "500", "1000", "2000", "3000", "5000"]  # round, at least 1/8 of the axis apart
    assert np.all(np.diff(positions) > 0)
    positions, labels = display.note_ticks(blockwise.bin_frequencies("log", 16000, 1024, 84))
    assert labels == ["C1", "C2", "C3", "C4", "C5", "C6", "C7"]
    np.testing.assert_allclose(positions, [0, 12, 24, 36, 48, 60, 72], atol=1e-6)  # C1 is the lowest bin


def test_front_door_checks_frequencies_before_tensorflow(capsys):
    status, _, err = _run(capsys, "spectrogram", "--fmin", "5000", "--fmax", "100")
    assert status == 2 and "--fmin 5000 Hz must be below --fmax 100 Hz" in err
    with pytest.raises(SystemExit):
        kapre_like_cli.main(["spectrogram", "--fmin", "-3"])
    assert "--fmin" in capsys.readouterr().err


# ----------------------------------------------------------------------------- issue 19: reconstruct


@pytest.mark.parametrize("source, worst", [("stft", 0.2), ("mel", 0.45)])
def test_reconstruct_writes_audio_and_reports_convergence(tmp_path, capsys, source, worst):
    import soundfile

    out = tmp_path / f"{source}.flac"
    status, stdout, err = _run(capsys, "reconstruct", "--duration", "1", "--from", source, "--n-iter", "16",
                               "--out", str(out))
    assert status == 0, err
    audio, rate = soundfile.read(out)
    assert rate == 16000 and audio.shape == (16000,)
    convergence = float(stdout.split("spectral convergence ")[1].split(",")[0])
    snr = float(stdout.split("magnitude SNR ")[1].split(" dB")[0])
    assert 0 < convergence < worst and abs(snr + 20 * np.log10(convergence)) < 0.2
    # the number is the written audio's: recompute it from the file with librosa
    import librosa
    from kapre_like.synthetic import demo_signal

    target = np.abs(librosa.stft(demo_signal(1.0, 16000), n_fft=1024, hop_length=256, center=False))
    rebuilt = np.abs(librosa.stft(audio.astype(np.float32), n_fft=1024, hop_length=256, center=False))
    assert abs(np.linalg.norm(target - rebuilt) / np.linalg.norm(target) - convergence) < 2e-3


def test_reconstruct_refuses_an_audio_format_it_cannot_write(capsys):
    status, _, err = _run(capsys, "reconstruct", "--out", "x.mp3")
    assert status == 2 and "cannot write audio as .mp3" in err and ".wav" in err


# ----------------------------------------------------------------------------- issue 34


@pytest.fixture
def silent_file(tmp_path):
    import soundfile

    path = tmp_path / "silent.wav"
    soundfile.write(path, np.zeros(16000, np.float32), 16000)
    return str(path)


def test_roundtrip_of_silence_says_it_is_exact_and_passes(silent_file, capsys):
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")  # NumPy's divide-by-zero warning included
        status, out, err = _run(capsys, "roundtrip", silent_file)
    assert (status, err) == (0, ""), err
    assert out.strip() == ("STFT -> inverse STFT of silent.wav (n_fft 1024, hop 256): max abs error 0.00e+00, "
                           "silence reconstructs exactly [ok]")


@pytest.mark.parametrize("source", ["stft", "mel"])
def test_reconstruct_of_silence_says_it_is_exact(silent_file, tmp_path, capsys, source):
    import warnings

    import soundfile

    out_path = tmp_path / "rebuilt.wav"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        status, out, err = _run(capsys, "reconstruct", silent_file, "--from", source, "--n-iter", "4", "--out",
                                str(out_path))
    assert (status, err) == (0, ""), err
    assert "the input is silent and so is the audio rebuilt: silence reconstructs exactly" in out
    assert " dB" not in out and "inf" not in out
    audio, rate = soundfile.read(out_path)
    assert rate == 16000 and audio.shape == (16000,) and not np.any(audio)


@pytest.mark.parametrize("argv", [["spectrogram"], []])
def test_without_matplotlib_the_tool_names_the_install_before_tensorflow(argv, tmp_path):
    probe = ("import sys\nsys.modules['matplotlib'] = None  # as if not installed\nimport kapre_like_cli\n"
             "status = kapre_like_cli.main(sys.argv[1:])\n"
             "print(status, 'tensorflow' in sys.modules)\n")
    done = _front_door(probe, argv, tmp_path)
    assert done.stdout == "2 False\n", done.stderr
    assert done.stderr == ('kapre-like: error: drawing spectrograms needs matplotlib: pip install "kapre_like[cli]" '
                           '(from a clone: pip install -e ".[cli]")\n')
    assert os.listdir(tmp_path) == []


@pytest.mark.parametrize("rate", [8000, 16000, 22050, 44100, 48000, 96000])
def test_log_spectrogram_defaults_leave_no_bin_empty_at_common_rates(rate, tmp_path, capsys):
    import soundfile

    path = tmp_path / f"noise{rate}.wav"
    soundfile.write(path, np.random.default_rng(rate).uniform(-0.5, 0.5, rate // 2).astype(np.float32), rate,
                    subtype="FLOAT")
    status, out, err = _run(capsys, "spectrogram", str(path), "--kind", "log", "--out", str(tmp_path / "log.png"),
                            "--save", str(tmp_path / "log.npy"))
    assert (status, err) == (0, ""), err  # no "bins have no weight" warning
    saved = np.load(tmp_path / "log.npy")
    assert f"x {83 if rate == 8000 else 84} bins" in out and saved.shape[1] == (83 if rate == 8000 else 84)
    # white noise has energy in every band: a bin with no weight sits at the -80 dB floor in every frame
    floor = saved.max() - 80.0
    assert np.all(saved.mean(axis=0) > floor + 20), np.flatnonzero(saved.mean(axis=0) <= floor + 20)
    # its bins are semitones from a C (C1 = 32.70 Hz) up: check with librosa's note names
    import librosa

    lowest = blockwise.default_log_fmin(rate, 1024)
    assert librosa.hz_to_note(lowest).startswith("C") and lowest == pytest.approx(
        librosa.note_to_hz("C1") * 2 ** round(np.log2(lowest / librosa.note_to_hz("C1"))))


def test_a_long_file_is_read_and_computed_in_blocks_with_the_whole_files_numbers(tmp_path, capsys, monkeypatch):
    """Blocks of 4096 samples (15 frames) and a file read 4096 samples at a time: the saved spectrogram is
    librosa's of the whole file; the picture shows the loudest frame of each group of frames."""
    import librosa
    import soundfile

    from kapre_like.synthetic import demo_signal

    samples = demo_signal(3.0, 16000)
    path = tmp_path / "long.wav"
    soundfile.write(path, samples, 16000, subtype="FLOAT")
    monkeypatch.setattr(blockwise, "BLOCK_SAMPLES", 4096)
    monkeypatch.setattr(audio_io, "BLOCK_SAMPLES", 4096)
    monkeypatch.setattr(audio_io, "LONG_FILE_SAMPLES", 10000)  # "long": read a block at a time
    monkeypatch.setattr(blockwise, "MAX_COLUMNS", 40)
    lengths, build = [], blockwise.build_frontend
    monkeypatch.setattr(blockwise, "build_frontend",
                        lambda kind, n, *a, **k: lengths.append(n) or build(kind, n, *a, **k))
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)  # the progress bar shows on a terminal
    status, out, err = _run(capsys, "spectrogram", str(path), "--out", str(tmp_path / "p.png"), "--save",
                            str(tmp_path / "s.npy"))
    assert (status, err) == (0, ""), err
    # keras.utils.Progbar: 184 frames in blocks of 15 (4096 // 256 = 16 frames, in whole groups of 5 for the picture)
    assert "13/13" in out and "block" in out
    # the block size bounds the work: 15 frames (14 hops and a frame) at most a call; one model per length
    assert lengths == [14 * 256 + 1024, (184 - 12 * 15 - 1) * 256 + 1024]
    saved = np.load(tmp_path / "s.npy")
    magnitude = np.abs(librosa.stft(samples, n_fft=1024, hop_length=256, center=False))
    mel = librosa.feature.melspectrogram(S=magnitude, sr=16000, n_mels=128, power=1.0)
    expected = librosa.amplitude_to_db(mel, ref=1.0, amin=1e-5, top_db=80.0).T
    assert saved.shape == expected.shape == (184, 128)
    np.testing.assert_allclose(saved, expected, atol=2e-3)
    assert f"184 frames x 128 bins, {expected.min():.1f} to {expected.max():.1f} dB" in out
    columns = blockwise.draw_spectrogram(audio_io.Signal.of_array(samples, 16000, "x"), 16000, "mel", 1024, 256,
                                         None, "x", str(tmp_path / "q.png")).columns
    groups = np.concatenate([expected, np.full((200 - 184, 128), -np.inf)]).reshape(40, 5, 128).max(axis=1)[:37]
    np.testing.assert_allclose(columns, groups, atol=2e-3)


@pytest.mark.parametrize("source", ["stft", "mel"])
def test_griffin_lim_in_blocks_gives_the_whole_files_audio(source):
    """Blocks of 24 frames with their context: the audio of one Griffin-Lim run over the whole signal from the
    same initial phases (NumPy's rows, in order), which librosa's magnitudes start."""
    import librosa

    from kapre_like import functional
    from kapre_like.reconstruction import InverseMelScale
    from kapre_like.synthetic import demo_signal

    samples, n_iter = demo_signal(1.0, 16000), 4
    context = blockwise.griffin_lim_context(1024, 256, n_iter)
    assert context == (n_iter + 2) * 3  # frames up to 3 hops apart overlap
    written = []
    convergence, silent = blockwise.reconstruct_blocks(audio_io.Signal.of_array(samples, 16000, "x"), source, 1024,
                                                       256, 64, n_iter, block_frames=24, write=written.append)
    audio = np.concatenate(written)
    assert not silent and len(written) == 3 and audio.shape == samples.shape  # 59 frames: 3 blocks
    magnitudes = np.abs(librosa.stft(samples, n_fft=1024, hop_length=256, center=False)).T.astype(np.float32)
    if source == "mel":
        mel = librosa.feature.melspectrogram(S=magnitudes.T, sr=16000, n_fft=1024, n_mels=64, power=1.0).T
        magnitudes = np.asarray(InverseMelScale(16000, 1024, 64, data_format="channels_last")(
            mel[None, :, :, None].astype(np.float32)))[0, :, :, 0]
    angles = np.exp(2j * np.pi * np.random.default_rng(0).random(magnitudes.shape)).astype(np.complex64)
    whole = functional.griffin_lim(magnitudes[None], 1024, 1024, 256, n_iter=n_iter, angles=angles[None],
                                   length=len(samples))[0].numpy()
    np.testing.assert_allclose(audio, whole, atol=2e-5 * np.abs(whole).max())
    rebuilt = np.abs(librosa.stft(whole, n_fft=1024, hop_length=256, center=False))
    target = np.abs(librosa.stft(samples, n_fft=1024, hop_length=256, center=False))
    assert convergence == pytest.approx(np.linalg.norm(target - rebuilt) / np.linalg.norm(target), rel=1e-3)


# ----------------------------------------------------------------------------- issue 35: the front door package


def _tensorflow_imported(importtime_log):
    """Whether ``python -X importtime``'s log (stderr) shows tensorflow or keras imported."""
    names = [line.rsplit("|", 1)[-1].strip() for line in importtime_log.splitlines() if line.startswith("import time:")]
    return any(name.split(".")[0] in ("tensorflow", "keras") for name in names)


@pytest.mark.parametrize("argv, status, words", [
    (["--help"], 0, "usage: kapre-like"),
    (["export", "--help"], 0, "--format FORMAT"),
    (["spectrogram", "--n-fft", "0"], 2, "--n-fft: must be a positive integer, got 0"),
    (["spectrogram", "no_such_file.wav"], 2, "kapre-like: error: no such audio file: 'no_such_file.wav'"),
])
def test_python_m_kapre_like_answers_without_tensorflow(argv, status, words, tmp_path):
    done = subprocess.run([sys.executable, "-X", "importtime", "-m", "kapre_like", *argv], capture_output=True,
                          text=True, timeout=120, cwd=tmp_path)
    assert done.returncode == status, done.stderr[-2000:]
    assert words in done.stdout + done.stderr
    assert not _tensorflow_imported(done.stderr)
    assert os.listdir(tmp_path) == []


USER_PACKAGE = """
import sys, keras, numpy as np, kapre_like  # imported while Python locates this package for -m, as the tool's is
eager = [name for name in kapre_like.__all__ if name not in ("read_shards", "encode_corpus")]
print("eager:", all(name in vars(kapre_like) for name in eager), "beam:", "kapre_like.beam" in sys.modules)
print("registered:", keras.saving.get_registered_object("kapre_like>STFT") is kapre_like.STFT)
"""

USER_MAIN = """
import sys, keras, numpy as np
model = keras.models.load_model(sys.argv[1])  # kapre_like's layers found by their registered names
x = np.load(sys.argv[2])
print("difference:", float(np.max(np.abs(np.asarray(model(x)) - np.load(sys.argv[3])))))
"""


def test_a_users_process_imports_and_registers_every_layer_eagerly(tmp_path):
    """A user's package that imports kapre_like, run with ``python -m`` (sys.argv[0] is '-m' while it is imported,
    as in the tool's own process), gets the whole package: every layer registered, a .keras file loads."""
    import kapre_like

    model = kapre_like.composed.get_melspectrogram_layer(input_shape=(4096, 1), n_fft=512, hop_length=128,
                                                         n_mels=32, return_decibel=True,
                                                         input_data_format="channels_last",
                                                         output_data_format="channels_last")
    x = np.random.default_rng(0).uniform(-1, 1, (2, 4096, 1)).astype(np.float32)
    model.save(tmp_path / "mel.keras")
    np.save(tmp_path / "x.npy", x)
    np.save(tmp_path / "y.npy", np.asarray(model(x)))
    (tmp_path / "user_job").mkdir()
    (tmp_path / "user_job" / "__init__.py").write_text(USER_PACKAGE)
    (tmp_path / "user_job" / "__main__.py").write_text(USER_MAIN)
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join([str(tmp_path), ROOT, os.environ.get("PYTHONPATH", "")])}
    done = subprocess.run([sys.executable, "-m", "user_job", "mel.keras", "x.npy", "y.npy"], capture_output=True,
                          text=True, timeout=300, cwd=tmp_path, env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    lines = done.stdout.splitlines()
    assert lines[:2] == ["eager: True beam: False", "registered: True"], done.stdout
    assert float(lines[2].split()[-1]) < 1e-5


def test_the_light_import_loads_each_name_on_first_use(tmp_path):
    """The front door's flag gives a light import (no TensorFlow) whose names load on first use (PEP 562); it is
    removed as it is read, so that no child process inherits it."""
    code = ("import os, sys, kapre_like\n"
            "print('tensorflow' in sys.modules, 'KAPRE_LIKE_LIGHT_IMPORT' in os.environ)\n"
            "print(kapre_like.STFT.__name__, kapre_like.get_mfcc_layer.__name__, 'tensorflow' in sys.modules)\n")
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "KAPRE_LIKE_LIGHT_IMPORT": "1"}
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env=env)
    assert done.stdout.splitlines() == ["False False", "STFT get_mfcc_layer True"], done.stderr[-3000:]


def test_the_tool_called_from_python_leaves_the_next_import_whole(tmp_path):
    """kapre_like_cli.main imports the package light to check a folder; when no job ran, the process's next
    ``import kapre_like`` is whole again (every layer registered)."""
    (tmp_path / "a_file").write_text("")
    code = ("import sys, kapre_like_cli\n"
            f"status = kapre_like_cli.main(['export', '--out', {str(tmp_path / 'a_file' / 'x')!r}])\n"
            "print(status, 'tensorflow' in sys.modules, 'kapre_like' in sys.modules)\n"
            "import keras, kapre_like\n"
            "print(keras.saving.get_registered_object('kapre_like>MelSpectrogram') is kapre_like.MelSpectrogram)\n")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300, cwd=tmp_path,
                          env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"})
    assert done.stdout.splitlines() == ["2 False False", "True"], done.stderr[-3000:]
    assert "cannot write into folder" in done.stderr


@pytest.mark.slow
def test_python_m_kapre_like_runs_a_job_that_reloads_a_keras_file(tmp_path):
    env = {key: value for key, value in os.environ.items() if key != "TF_CPP_MIN_LOG_LEVEL"}
    done = subprocess.run([sys.executable, "-m", "kapre_like", "export", "--format", "keras", "--seconds", "0.25",
                           "--n-fft", "512", "--hop", "128", "--out", "ex"], capture_output=True, text=True,
                          timeout=300, cwd=tmp_path, env=env)
    assert (done.returncode, done.stderr) == (0, ""), done.stderr[-3000:]
    assert "keras      ex/mel_frontend.keras  (reloaded; max difference from the Keras model 0.0e+00 dB)" in done.stdout


@pytest.mark.parametrize("duration", [None, 1.5])
def test_the_demo_runs_each_subcommand_as_its_own_command_line(tmp_path, capsys, monkeypatch, duration):
    """The top-level options reach every step; each step's arguments are those its own command line gives; without
    --duration, the built-in signal's default length."""
    monkeypatch.chdir(tmp_path)
    ran = []
    for name in ("spectrogram", "roundtrip", "export"):
        monkeypatch.setattr(kapre_like_cli.COMMANDS[name], "run", lambda args, name=name: ran.append((name, args)) or 0)
    given = [] if duration is None else ["--duration", str(duration)]
    status = kapre_like_cli.main(["--n-fft", "512", "--hop", "128", "--center"] + given)
    assert status == 0, capsys.readouterr().err
    assert [name for name, _ in ran] == ["spectrogram"] * 3 + ["roundtrip", "export"]
    for _, args in ran:
        assert (args.n_fft, args.hop, args.center, args.verbose) == (512, 128, True, False)
    pictures = [(args.kind, args.out, args.duration, args.audio, args.channel, args.fmin, args.save)
                for name, args in ran[:3]]
    assert pictures == [(kind, os.path.join("kapre_like_out", f"{kind}_spectrogram.png"), duration, None, "mix", None,
                         None) for kind in ("mel", "stft", "log")]
    assert (ran[3][1].duration, ran[3][1].audio) == (duration, None)
    export = ran[4][1]
    assert (export.out, export.formats, export.frontend, export.seconds, export.sample_rate, export.check) == (
        os.path.join("kapre_like_out", "export"), ["keras", "savedmodel", "tflite"], "mel", 1.0, 16000, None)
    assert sorted(os.listdir(tmp_path / "kapre_like_out")) == ["export"]


def test_block_wise_functions_refuse_bins_in_their_own_terms():
    import librosa

    lowest, top, fitting = blockwise.log_bins_fitting(16000)
    assert (lowest, top) == (pytest.approx(librosa.note_to_hz("C1")), 8000)
    assert fitting == int(np.floor(12 * np.log2(8000 / librosa.note_to_hz("C1"))))  # 95 semitones below 8 kHz
    with pytest.raises(ValueError, match=r"n_bins=128 semitones from 32\.7 Hz reach 53159 Hz, above 8000 Hz; give "
                                         r"n_bins=95 or fewer"):
        blockwise.frontend_bins("log", 16000, 128)
    with pytest.raises(ValueError, match="no log-frequency bin fits between f_min=8000.0 Hz and 8000 Hz"):
        blockwise.frontend_bins("log", 16000, f_min=8000.0)
    assert blockwise.frontend_bins("log", 8000) == 83 and blockwise.frontend_bins("mel", 8000) == 128


# ----------------------------------------------------------------------------- the kinds beyond the filterbanks


@pytest.fixture(scope="module")
def gliding_tone():
    """3.3 s at 16 kHz: a faded-in gliding tone, with loud noise in its second half over a quiet noise floor (40 dB
    below the tone: no mel band is silent, where PCEN's first frames would hang on float32 round-off, see
    test_pcen_in_blocks_carries_the_smoother_and_equals_librosa)."""
    rate, rng = 16000, np.random.default_rng(0)
    t = np.arange(int(rate * 3.3)) / rate
    samples = 0.5 * np.sin(2 * np.pi * 440 * t * (1 + 0.3 * t)) + 0.1 * rng.standard_normal(len(t)) * (t > 1.5)
    samples[:3000] *= np.linspace(0, 1, 3000)
    samples += 0.01 * rng.standard_normal(len(t))
    return samples.astype(np.float32), rate


def _kind_blocks(samples, rate, kind, center, block_frames, **options):
    signal = audio_io.Signal.of_array(samples, rate, "x")
    n_bins = blockwise.frontend_bins(kind, rate)
    return np.concatenate(list(blockwise.spectrogram_blocks(signal, kind, 1024, 256, n_bins, center,
                                                            block_frames=block_frames, **options)))


@pytest.mark.parametrize("center", [True, False])
@pytest.mark.parametrize("kind", ["mfcc", "chroma"])
def test_mfcc_and_chroma_in_blocks_equal_librosa(gliding_tone, kind, center):
    """Blocks of 16 frames, and the whole signal as one block: librosa's numbers (its defaults; chroma without
    tuning estimation)."""
    import librosa

    samples, rate = gliding_tone
    frames = dict(y=samples, sr=rate, n_fft=1024, hop_length=256, center=center)
    expected = (librosa.feature.mfcc(**frames, n_mfcc=20) if kind == "mfcc"
                else librosa.feature.chroma_stft(**frames, tuning=0.0)).T
    for block_frames in (16, None):
        ours = _kind_blocks(samples, rate, kind, center, block_frames)
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours, expected, atol=1e-5 * np.abs(expected).max())


def test_cqt_in_blocks_equals_librosa(gliding_tone):
    """Pieces with a wavelet's length of context: librosa.cqt in dB (80 dB floor) to within 1e-3 of the peak (its
    halving resampler starts a little differently at a piece's edges, far from the frames the piece owns)."""
    import librosa

    samples, rate = gliding_tone
    n_bins = blockwise.frontend_bins("cqt", rate)
    assert n_bins == 84  # C1 to B7 (3.95 kHz)
    expected = librosa.amplitude_to_db(np.abs(librosa.cqt(samples, sr=rate, hop_length=256, n_bins=n_bins)),
                                       top_db=80.0).T
    for block_frames in (16, None):
        ours = _kind_blocks(samples, rate, "cqt", True, block_frames)
        ours = np.maximum(ours, ours.max() - 80.0)
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours, expected, atol=1e-3 * np.abs(expected).max())


@pytest.mark.parametrize("center", [True, False])
def test_pcen_in_blocks_carries_the_smoother_and_equals_librosa(gliding_tone, center):
    """librosa.pcen of librosa's mel magnitudes (x 2**31, as librosa documents), the smoother carried from block to
    block. (Where a mel band is silent, 1e-8 of the peak, PCEN's first frames are ill-conditioned: the smoother
    starts from 1, far above the band, and two float32 estimates of the magnitudes, librosa's included, differ
    there by 0.2 of PCEN's peak; the fixture's noise floor keeps every band above that.)"""
    import librosa

    samples, rate = gliding_tone
    magnitudes = librosa.feature.melspectrogram(y=samples, sr=rate, n_fft=1024, hop_length=256, center=center,
                                                power=1.0)
    expected = librosa.pcen(magnitudes * 2.0**31, sr=rate, hop_length=256).T
    for block_frames in (16, None):
        ours = _kind_blocks(samples, rate, "pcen", center, block_frames)
        assert ours.shape == expected.shape
        np.testing.assert_allclose(ours, expected, atol=1e-5 * expected.max())


def test_the_tools_kinds_are_the_librarys():
    from kapre_like_cli import spectrogram

    assert list(spectrogram.KINDS) == list(blockwise.KINDS)


@pytest.mark.parametrize("kind, axis_label", [("mfcc", "MFCC"), ("chroma", "Pitch class"), ("cqt", "Note"),
                                              ("pcen", "Hz")])
def test_each_new_kind_from_the_command_line(gliding_tone, kind, axis_label, tmp_path, capsys, monkeypatch):
    """--kind draws the picture with the kind's axis and --save writes the numbers of librosa's feature."""
    import librosa
    import matplotlib.figure
    soundfile = pytest.importorskip("soundfile")

    samples, rate = gliding_tone
    path = tmp_path / "tone.wav"
    soundfile.write(path, samples, rate, subtype="FLOAT")
    labels = []
    original = matplotlib.figure.Figure.savefig
    monkeypatch.setattr(matplotlib.figure.Figure, "savefig",
                        lambda self, *a, **k: labels.append(self.axes[0].get_ylabel()) or original(self, *a, **k))
    status, out, err = _run(capsys, "spectrogram", str(path), "--kind", kind, "--center", "--n-fft", "1024",
                            "--hop", "256", "--out", str(tmp_path / "p.png"), "--save", str(tmp_path / "s.npy"))
    assert (status, err) == (0, ""), err
    assert labels == [axis_label] and (tmp_path / "p.png").stat().st_size > 10_000
    saved = np.load(tmp_path / "s.npy")
    frames = dict(y=samples, sr=rate, n_fft=1024, hop_length=256)
    if kind == "mfcc":
        expected = librosa.feature.mfcc(**frames, n_mfcc=20).T
    elif kind == "chroma":
        expected = librosa.feature.chroma_stft(**frames, tuning=0.0).T
    elif kind == "cqt":
        expected = librosa.amplitude_to_db(np.abs(librosa.cqt(samples, sr=rate, hop_length=256, n_bins=84)),
                                           top_db=80.0).T
    else:
        expected = librosa.pcen(librosa.feature.melspectrogram(**frames, power=1.0) * 2.0**31, sr=rate,
                                hop_length=256).T
    assert saved.shape == expected.shape
    np.testing.assert_allclose(saved, expected, atol=1e-3 * np.abs(expected).max())
    assert f"{blockwise.KINDS[kind].title}: {len(saved)} frames" in out


def test_export_with_a_preset_is_the_presets_mel_spectrogram(tmp_path, capsys):
    """--preset speech: the exported front end is librosa's log-mel with the preset's settings (16 kHz, a 512-point
    FFT of 400-sample windows every 160, centred, 80 mels from 20 Hz to 7.6 kHz, power in dB, 80 dB range)."""
    import keras
    import librosa

    from kapre_like.synthetic import demo_signal

    status, out, err = _run(capsys, "export", "--preset", "speech", "--format", "keras", "--out", str(tmp_path))
    assert (status, err) == (0, ""), err
    assert "mel front end, 80 bins: (16000 samples at 16000 Hz" in out
    model = keras.models.load_model(tmp_path / "mel_frontend.keras")
    samples = demo_signal(1.0, 16000)
    ours = np.asarray(model(samples[None, :, None]))[0, :, :, 0]
    mel = librosa.feature.melspectrogram(y=samples, sr=16000, n_fft=512, win_length=400, hop_length=160, n_mels=80,
                                         fmin=20.0, fmax=7600.0, center=True, pad_mode="constant")
    expected = librosa.power_to_db(mel, ref=1.0, amin=1e-10, top_db=80.0).T
    assert ours.shape == expected.shape == (101, 80)
    np.testing.assert_allclose(ours, expected, atol=1e-3 * np.abs(expected).max())


def test_the_front_door_names_the_light_import_as_the_package_reads_it():
    """kapre_like_cli cannot import kapre_like to read the variable's name (the import is what it asks to be light):
    the two spellings are kept the same here."""
    from kapre_like import _public
    from kapre_like_cli import common

    assert common.LIGHT_IMPORT_VARIABLE == _public.LIGHT_IMPORT_VARIABLE


def test_the_round_trip_of_a_long_file_goes_a_block_at_a_time(tmp_path, capsys, monkeypatch):
    """Blocks of 4096 samples (the last one the rest): each comes back through the pair whole, the SNR is the
    pair's (float32) and a bar counts the blocks on a terminal."""
    soundfile = pytest.importorskip("soundfile")
    samples = np.random.default_rng(3).uniform(-0.5, 0.5, 4 * 4096 + 3000).astype(np.float32)
    soundfile.write(tmp_path / "long.wav", samples, 16000, subtype="FLOAT")
    monkeypatch.setattr(blockwise, "BLOCK_SAMPLES", 4096)
    monkeypatch.setattr(audio_io, "LONG_FILE_SAMPLES", 10000)  # "long": read a block at a time
    monkeypatch.setattr(sys.stdout, "isatty", lambda: True, raising=False)
    lengths = []
    original = blockwise._blocks_of
    monkeypatch.setattr(blockwise, "_blocks_of",
                        lambda *a, **k: (lengths.append(len(b)) or b for b in original(*a, **k)))
    for center in ("--no-center", "--center"):
        status, out, err = _run(capsys, "roundtrip", str(tmp_path / "long.wav"), center)
        assert (status, err) == (0, ""), err
        assert "5/5" in out and "[ok]" in out
        assert float(out.split("SNR ")[1].split(" dB")[0]) > 120.0
        assert float(out.split("max abs error ")[1].split(",")[0]) < 1e-6
    assert lengths == [4096, 4096, 4096, 4096, 3000] * 2


def test_mfccs_with_a_preset_come_from_its_mel_bands(gliding_tone, tmp_path, capsys):
    """--kind mfcc --preset speech: librosa.feature.mfcc with the preset's analysis (a 512-point FFT of 400-sample
    windows every 160 samples, centred, 80 mels from 20 Hz to 7.6 kHz)."""
    import librosa
    soundfile = pytest.importorskip("soundfile")

    samples, rate = gliding_tone
    soundfile.write(tmp_path / "tone.wav", samples, rate, subtype="FLOAT")
    status, out, err = _run(capsys, "spectrogram", str(tmp_path / "tone.wav"), "--kind", "mfcc", "--preset", "speech",
                            "--out", str(tmp_path / "p.png"), "--save", str(tmp_path / "s.npy"))
    assert (status, err) == (0, ""), err
    expected = librosa.feature.mfcc(y=samples, sr=rate, n_mfcc=20, n_fft=512, win_length=400, hop_length=160,
                                    n_mels=80, fmin=20.0, fmax=7600.0).T
    saved = np.load(tmp_path / "s.npy")
    assert saved.shape == expected.shape
    np.testing.assert_allclose(saved, expected, atol=1e-4 * np.abs(expected).max())


@pytest.mark.parametrize("length", [16384, 16000])
def test_centred_reflected_blocks_whatever_the_last_one_owns(length):
    """A last block owning a single frame (16384 = 16 blocks of 4 hops): its piece takes more samples before it, so
    that the reflection padding has enough; the numbers are librosa's (reflect padding, as the torchaudio and
    keras presets frame)."""
    import librosa

    samples = (0.1 * np.random.default_rng(1).standard_normal(length)).astype(np.float32)
    ours = np.concatenate(list(blockwise.spectrogram_blocks(audio_io.Signal.of_array(samples, 16000, "x"), "mel",
                                                            1024, 256, 128, True, block_frames=16, pad_mode="reflect",
                                                            power=2.0)))
    expected = librosa.feature.melspectrogram(y=samples, sr=16000, n_fft=1024, hop_length=256, pad_mode="reflect").T
    assert ours.shape == expected.shape
    np.testing.assert_allclose(10.0 ** (ours / 10.0), expected, atol=1e-5 * expected.max())


def test_a_file_too_short_for_the_presets_reflection_is_refused_in_the_tools_terms(tmp_path, capsys):
    soundfile = pytest.importorskip("soundfile")
    soundfile.write(tmp_path / "short.wav", np.full(100, 0.1, np.float32), 16000)
    status, _, err = _run(capsys, "spectrogram", str(tmp_path / "short.wav"), "--preset", "torchaudio", "--out",
                          str(tmp_path / "p.png"))
    assert status == 2 and err.count("\n") == 1, err
    assert "short.wav has 100 samples" in err and "reflection of 200 samples" in err and "--no-center" in err


@pytest.mark.parametrize("argv, expected", [
    (["--kind", "log"], (None, None)),      # the preset's mel range stays with the mel kinds
    (["--kind", "cqt"], (None, None)),
    (["--kind", "mfcc"], (20.0, 7600.0)),
    (["--sr", "8000"], (20.0, None)),       # 7.6 kHz is past 8 kHz's Nyquist: the range ends there
])
def test_a_presets_mel_range_reaches_only_the_mel_kinds_and_their_nyquist(argv, expected):
    _, args = kapre_like_cli.parsed(["spectrogram", "--preset", "speech"] + argv)
    assert (args.fmin, args.fmax) == expected


def test_an_n_fft_shorter_than_the_presets_window_is_refused_in_the_tools_terms(capsys):
    for command in ("spectrogram", "export"):
        status, _, err = _run(capsys, command, "--preset", "speech", "--n-fft", "256")
        assert status == 2 and err.strip() == ("kapre-like: error: --n-fft 256 is shorter than the --preset's window "
                                               "of 400 samples; give --n-fft 400 or more"), err


def test_an_offset_that_rounds_to_the_last_sample_is_beyond_the_end(tmp_path, capsys):
    """2.99999 s into a 3 s file is sample 48000 of 48000, where reading starts: refused as beyond the end (it passed
    this check and then failed in the reader's terms)."""
    soundfile = pytest.importorskip("soundfile")
    soundfile.write(tmp_path / "three.wav", np.full(48000, 0.1, np.float32), 16000)
    status, _, err = _run(capsys, "spectrogram", str(tmp_path / "three.wav"), "--offset", "2.99999", "--out",
                          str(tmp_path / "p.png"))
    assert status == 2 and err.strip() == ("kapre-like: error: --offset 2.99999 s is beyond the end of three.wav (3 s "
                                           "long); give a smaller --offset"), err
