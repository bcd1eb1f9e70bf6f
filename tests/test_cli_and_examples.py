"""The command-line tool and the examples run as a new user runs them."""

import os
import subprocess
import sys

import numpy as np
import pytest

from kapre_like import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def _run(capsys, *argv):
    status = cli.main(list(argv))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_default_job_on_builtin_signal(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    status, out, err = _run(capsys, "--duration", "1.5")
    assert status == 0, err
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
    spectrogram = cli.draw_spectrogram(samples, 16000, "stft", 1024, 256, None, "demo", str(tmp_path / "s.png"))
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


@pytest.mark.parametrize("command", [[], ["spectrogram"], ["roundtrip"], ["export"]])
def test_help_on_every_subcommand(command, capsys):
    with pytest.raises(SystemExit) as info:
        cli.main(command + ["--help"])
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
        cli.main(argv)
    assert info.value.code == 2
    err = capsys.readouterr().err
    assert all(word in err for word in words), err


def test_parameters_the_layers_refuse(capsys):
    status, _, err = _run(capsys, "roundtrip", "--n-fft", "256", "--hop", "512")
    assert status == 2 and err.count("\n") == 1 and "hop_length" in err


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
