"""The documentation builds with Sphinx without a single warning."""

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
    for page in ("quickstart", "migration", "composed", "export", "architecture", "api", "benchmarks"):
        assert (tmp_path / "html" / f"{page}.html").exists(), page
