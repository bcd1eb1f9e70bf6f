"""The documentation builds with Sphinx without a single warning; the README's examples run as written."""

import os
import subprocess
import sys

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


@pytest.mark.slow
def test_docs_build_without_warnings(tmp_path):
    pytest.importorskip("sphinx")
    result = subprocess.run(
        [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-b", "html", "-q", os.path.join(ROOT, "docs"),
         str(tmp_path / "html")],
        capture_output=True, text=True, timeout=600, env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"},
    )
    warnings = [line for line in result.stderr.splitlines() if "WARNING" in line or "ERROR" in line]
    assert result.returncode == 0 and not [w for w in warnings if "absl" not in w], result.stderr[-3000:]
    assert (tmp_path / "html" / "index.html").exists()
    for page in ("quickstart", "migration", "composed", "export", "streaming", "distributed", "training", "architecture",
                 "api", "benchmarks"):
        assert (tmp_path / "html" / f"{page}.html").exists(), page


def test_readme_encoder_block_runs_as_written(tmp_path, monkeypatch):
    """The README's encoder example, run as a user pastes it, prints what the README says it prints."""
    import contextlib
    import io
    import re
    import warnings

    readme = open(os.path.join(ROOT, "README.md")).read()
    section = readme[readme.index("## Audio files to spectrograms"):]
    code = re.search(r"```python\n(.*?)```", section, re.DOTALL).group(1)
    expected = [line[2:] for line in code.splitlines() if line.startswith("# ")][-1]
    monkeypatch.chdir(tmp_path)
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed), warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        exec(compile(code, "README.md", "exec"), {})
    assert printed.getvalue().strip().splitlines()[-1] == expected
    assert any("missing.wav" in str(w.message) for w in caught)
