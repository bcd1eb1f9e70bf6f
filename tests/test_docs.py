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
    for page in ("quickstart", "tutorial", "migration", "composed", "export", "streaming", "backends", "distributed",
                 "training",
                 "display", "architecture",
                 "api", "benchmarks"):
        assert (tmp_path / "html" / f"{page}.html").exists(), page


def test_readme_encoder_block_warns_about_the_missing_file(tmp_path, monkeypatch):
    """The README's encoder example (run with every other block below) also warns about the file it skips."""
    import warnings

    (block,) = [b for b in doc_blocks() if b.path == "README.md" and "missing.wav" in b.code]
    monkeypatch.chdir(tmp_path)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        run_group([block])
    assert any("missing.wav" in str(w.message) for w in caught)


# Every Python block of README.md and docs/*.rst runs as written. A block that goes on from the one before
# it on its page starts with CONTINUES (it runs in that block's namespace); one that cannot run here (a
# cluster, your own files) starts with NOT_RUN and the reason. "# prints: <line>" comments give, in order,
# every line the block (with those it continues) prints.
CONTINUES = "# continues the example above"
NOT_RUN = "# not run:"
PRINTS = "# prints: "


class Block:
    def __init__(self, path, line, code):
        self.path, self.line, self.code = path, line, code

    @property
    def first_line(self):
        return self.code.lstrip().splitlines()[0] if self.code.strip() else ""

    def __repr__(self):
        return f"{self.path}:{self.line}"


def _rst_blocks(path, text):
    """``(kind, line, code)`` of each ``.. code-block::`` and ``::`` literal block of an rst page."""
    import re

    lines = text.splitlines()
    found, i = [], 0
    while i < len(lines):
        line = lines[i]
        directive = re.match(r"\s*\.\. code-block:: *(\w+)", line)
        if directive or (line.rstrip().endswith("::") and not line.lstrip().startswith("..")):
            indent = len(line) - len(line.lstrip())
            j, body = i + 1, []
            while j < len(lines) and (not lines[j].strip() or len(lines[j]) - len(lines[j].lstrip()) > indent):
                body.append(lines[j])
                j += 1
            while body and body[0].strip().startswith(":"):  # directive options
                body.pop(0)
            text_lines = [b for b in body if b.strip()]
            margin = min((len(b) - len(b.lstrip()) for b in text_lines), default=0)
            code = "\n".join(b[margin:] for b in body).strip("\n")
            found.append((directive.group(1) if directive else "literal", i + 1, code))
            i = j
        else:
            i += 1
    return found


def doc_blocks():
    """The Python blocks of README.md and docs/*.rst, in page order."""
    import glob
    import re

    blocks = []
    readme = open(os.path.join(ROOT, "README.md")).read()
    for match in re.finditer(r"```python\n(.*?)```", readme, re.DOTALL):
        blocks.append(Block("README.md", readme[:match.start()].count("\n") + 1, match.group(1)))
    for page in sorted(glob.glob(os.path.join(ROOT, "docs", "*.rst"))):
        for kind, line, code in _rst_blocks(page, open(page).read()):
            if kind == "python":
                blocks.append(Block(os.path.relpath(page, ROOT), line, code))
    return blocks


def block_groups():
    """Runnable blocks grouped: a block that CONTINUES joins the group of the block before it."""
    groups = []
    for block in doc_blocks():
        if block.first_line.startswith(NOT_RUN):
            continue
        if block.first_line.startswith(CONTINUES):
            assert groups and groups[-1][-1].path == block.path, f"{block} continues no runnable block"
            groups[-1].append(block)
        else:
            groups.append([block])
    return groups


def run_group(group):
    """Run ``group``'s blocks in one namespace; return what they printed, as lines."""
    import contextlib
    import io

    printed = io.StringIO()
    namespace = {"__name__": "__docs__"}
    with contextlib.redirect_stdout(printed):
        for block in group:
            exec(compile(block.code, f"{block.path}:{block.line}", "exec"), namespace)
    return printed.getvalue().splitlines()


@pytest.mark.parametrize("group", block_groups(), ids=lambda group: repr(group[0]))
def test_docs_code_runs_as_written(group, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    keras_format = __import__("keras").config.image_data_format()
    try:
        printed = run_group(group)
    finally:
        __import__("keras").config.set_image_data_format(keras_format)
    expected = [line.strip()[len(PRINTS):] for block in group for line in block.code.splitlines()
                if line.strip().startswith(PRINTS)]
    if expected:
        assert printed == expected


def test_blocks_that_do_not_run_say_why_and_python_is_marked_as_python():
    import ast
    import glob

    for block in doc_blocks():
        if block.first_line.startswith(NOT_RUN):
            assert len(block.first_line) > len(NOT_RUN) + 10, f"{block}: say why it does not run"
    for page in glob.glob(os.path.join(ROOT, "docs", "*.rst")):
        for kind, line, code in _rst_blocks(page, open(page).read()):
            if kind == "literal":
                try:
                    ast.parse(code)
                except SyntaxError:
                    continue
                raise AssertionError(f"{page}:{line}: Python in a '::' block; mark it '.. code-block:: python' "
                                     f"(it then runs in the suite) or give it another language")
