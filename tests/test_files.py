"""kapre_like._files: files written whole (nothing left on failure, links followed, modes as open() gives),
the writable-folder check and its message, audio files found by name; and the module imports no TensorFlow."""

import os
import subprocess
import sys

import pytest

from conftest import assert_says
from kapre_like._files import (audio_files_in, check_writable_folder, folder_replaced_on_success, is_audio_name,
                               partial_target, replaced_on_success, write_atomically)


def test_bytes_and_text_are_written_whole(tmp_path):
    path = tmp_path / "data.bin"
    assert write_atomically(path, b"\x00\xffabc") == os.fspath(path)
    assert path.read_bytes() == b"\x00\xffabc"
    write_atomically(path, "é text")  # replaces the file
    assert path.read_bytes() == "é text".encode("utf-8")
    assert os.listdir(tmp_path) == ["data.bin"]


def test_anything_but_bytes_or_text_is_a_type_error(tmp_path):
    with pytest.raises(TypeError) as info:
        write_atomically(tmp_path / "x", 3)
    assert_says(info, "bytes or str", "int")
    assert os.listdir(tmp_path) == []


def test_a_failure_leaves_nothing_and_keeps_the_old_file(tmp_path):
    with pytest.raises(RuntimeError, match="broke"):
        with replaced_on_success(tmp_path / "new.png") as temporary:
            with open(temporary, "wb") as handle:
                handle.write(b"half")
            raise RuntimeError("broke")
    assert os.listdir(tmp_path) == []
    old = tmp_path / "old.txt"
    old.write_text("before")
    with pytest.raises(KeyboardInterrupt):
        with replaced_on_success(old) as temporary:
            with open(temporary, "w") as handle:
                handle.write("after")
            raise KeyboardInterrupt
    assert old.read_text() == "before" and os.listdir(tmp_path) == ["old.txt"]


def test_the_temporary_name_is_hidden_beside_the_file_and_keeps_its_extension(tmp_path):
    with replaced_on_success(tmp_path / "picture.png") as temporary:
        folder, name = os.path.split(temporary)
        assert folder == str(tmp_path) and name.startswith(".") and name.endswith(".png")
        assert partial_target(name) == ("picture.png", os.getpid())
        with open(temporary, "wb") as handle:
            handle.write(b"png")
    assert (tmp_path / "picture.png").read_bytes() == b"png"


@pytest.mark.parametrize("name", ["spec.json", ".files-run.txt", "no_extension", "two.dots.tar"])
def test_partial_target_reads_back_every_temporary_name(tmp_path, name):
    with replaced_on_success(tmp_path / name) as temporary:
        assert partial_target(os.path.basename(temporary)) == (name, os.getpid())
        open(temporary, "w").close()


@pytest.mark.parametrize("name", ["spec.json", ".hidden", "spec.json.123.partial", ".x.12.nothex12.partial.json"])
def test_partial_target_is_none_for_other_names(name):
    assert partial_target(name) is None


def test_a_symbolic_link_keeps_pointing_at_its_target_which_gets_the_data(tmp_path):
    (tmp_path / "real").mkdir()
    target = tmp_path / "real" / "model.onnx"
    target.write_bytes(b"old")
    link = tmp_path / "link.onnx"
    link.symlink_to(target)
    write_atomically(link, b"new")
    assert link.is_symlink() and os.readlink(link) == str(target)
    assert target.read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == ["link.onnx", "real"] and os.listdir(tmp_path / "real") == ["model.onnx"]


@pytest.mark.parametrize("umask", [0o022, 0o077, 0o002])
def test_a_new_file_gets_the_mode_open_gives(umask, tmp_path):
    previous = os.umask(umask)
    try:
        write_atomically(tmp_path / "new", b"x")
        (tmp_path / "reference").write_bytes(b"")  # a file made the ordinary way, under the same umask
    finally:
        os.umask(previous)
    assert oct(os.stat(tmp_path / "new").st_mode & 0o777) == oct(0o666 & ~umask)
    assert oct(os.stat(tmp_path / "reference").st_mode & 0o777) == oct(0o666 & ~umask)


def test_an_existing_file_keeps_its_mode(tmp_path):
    path = tmp_path / "script.sh"
    path.write_text("old")
    os.chmod(path, 0o750)
    write_atomically(path, "new")
    assert oct(os.stat(path).st_mode & 0o7777) == oct(0o750) and path.read_text() == "new"


def test_a_writable_folder_is_created(tmp_path):
    folder = tmp_path / "a" / "b"
    assert check_writable_folder(folder) == str(folder)
    assert folder.is_dir() and os.listdir(folder) == []  # the probe is gone


def test_a_folder_under_a_file_names_the_folder_and_the_reason(tmp_path):
    (tmp_path / "file.txt").write_text("a regular file")
    folder = str(tmp_path / "file.txt" / "out")
    with pytest.raises(NotADirectoryError) as info:
        check_writable_folder(folder, "shards")
    assert_says(info, "cannot write shards into", repr(folder), "Not a directory", "choose another output folder")


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0, reason="root writes into read-only folders")
def test_a_read_only_folder_is_a_permission_error(tmp_path):
    folder = tmp_path / "locked"
    folder.mkdir()
    os.chmod(folder, 0o500)
    try:
        with pytest.raises(PermissionError) as info:
            check_writable_folder(folder)
    finally:
        os.chmod(folder, 0o700)
    assert_says(info, "cannot write files into", repr(str(folder)), "Permission denied")


def test_audio_names_and_the_audio_files_of_a_folder(tmp_path):
    assert is_audio_name("a.WAV") and is_audio_name("b.flac") and is_audio_name("c.opus") and is_audio_name("d.aif")
    assert not is_audio_name("e.raw") and not is_audio_name("f.txt") and not is_audio_name("wav")
    for name in ["x.wav", "sub/y.flac", "sub/notes.txt", ".hidden/z.wav", "sub/._x.wav", "clip.raw"]:
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_bytes(b"")
    assert audio_files_in(str(tmp_path)) == [str(tmp_path / "sub" / "y.flac"), str(tmp_path / "x.wav")]


def test_the_module_imports_no_tensorflow():
    # the command line's front door imports it to answer --help at once; loaded by path, as the package's
    # __init__ imports TensorFlow
    import kapre_like._files as files

    code = ("import importlib.util, sys\n"
            f"spec = importlib.util.spec_from_file_location('files', {files.__file__!r})\n"
            "spec.loader.exec_module(importlib.util.module_from_spec(spec))\n"
            "heavy = sorted(m for m in ('tensorflow', 'keras', 'numpy', 'soundfile') if m in sys.modules)\n"
            "print(heavy)")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_a_folder_is_replaced_whole_or_left_as_it_was(tmp_path):
    target = tmp_path / "model_savedmodel"
    with folder_replaced_on_success(target) as temporary:
        os.makedirs(os.path.join(temporary, "variables"))
        with open(os.path.join(temporary, "saved_model.pb"), "w") as handle:
            handle.write("first")
    assert (target / "saved_model.pb").read_text() == "first" and (target / "variables").is_dir()
    with pytest.raises(RuntimeError):  # a failed second write: the first folder stays, nothing is left beside it
        with folder_replaced_on_success(target) as temporary:
            os.makedirs(temporary)
            with open(os.path.join(temporary, "saved_model.pb"), "w") as handle:
                handle.write("half")
            raise RuntimeError("the writer failed")
    assert (target / "saved_model.pb").read_text() == "first"
    with folder_replaced_on_success(target) as temporary:  # a good one replaces it whole
        os.makedirs(temporary)
        with open(os.path.join(temporary, "saved_model.pb"), "w") as handle:
            handle.write("second")
    assert sorted(os.listdir(target)) == ["saved_model.pb"] and (target / "saved_model.pb").read_text() == "second"
    assert sorted(os.listdir(tmp_path)) == ["model_savedmodel"]
