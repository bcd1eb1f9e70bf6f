"""The command-line tool and the examples run as a new user runs them."""

import os
import subprocess
import sys

import numpy as np
import pytest

from kapre_like import cli

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def test_cli_on_builtin_signal(tmp_path, capsys):
    assert cli.main(["--out", str(tmp_path), "--duration", "1.0"]) == 0
    printed = capsys.readouterr().out
    assert "built-in speech-like signal" in printed and "[ok]" in printed and "identical output: True" in printed
    assert (tmp_path / "spectrogram.png").stat().st_size > 10_000
    assert (tmp_path / "frontend.keras").exists()


def test_cli_on_a_file(tmp_path, capsys):
    soundfile = pytest.importorskip("soundfile")
    stereo = np.random.default_rng(0).uniform(-0.5, 0.5, (22050, 2)).astype(np.float32)
    path = tmp_path / "noise.flac"
    soundfile.write(path, stereo, 22050)
    assert cli.main([str(path), "--out", str(tmp_path / "out")]) == 0
    assert "22050 samples at 22050 Hz" in capsys.readouterr().out


def test_cli_unreadable_file_names_it(tmp_path):
    path = tmp_path / "not_audio.wav"
    path.write_text("hello")
    with pytest.raises(SystemExit) as info:
        cli.main([str(path), "--out", str(tmp_path)])
    assert "cannot read audio file" in str(info.value) and "not_audio.wav" in str(info.value)


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(f for f in os.listdir(os.path.join(ROOT, "examples")) if f.endswith(".py")))
def test_example_runs(script, tmp_path):
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "examples", script)],
        cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "KAPRE_LIKE_EXAMPLES_FAST": "1"},
    )
    assert result.returncode == 0, result.stderr[-3000:]
