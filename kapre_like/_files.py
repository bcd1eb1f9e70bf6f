"""Files written whole, writable folders and audio files found by name: the one copy the library, Beam and the
command line share.

This module imports no TensorFlow (the command line's front door imports it to answer ``--help`` quickly);
:func:`is_audio_name` imports soundfile only when called.
"""

import contextlib
import os
import re

__all__ = ["replaced_on_success", "folder_replaced_on_success", "write_atomically", "partial_target", "check_writable_folder", "is_audio_name",
           "audio_files_in", "AUDIO_ALIASES"]

#: Extensions of audio files besides libsndfile's format names (``soundfile.available_formats()``).
AUDIO_ALIASES = ("AIF", "OGA", "OPUS")

# ``.{stem}.{pid}.{token}.partial{extension}``: hidden, the writer's pid (so that a later run can tell a dead
# writer's leftover from a live one's), a random token (two threads of one process never share a name) and the
# target's extension last (writers such as matplotlib and soundfile pick the format from it)
_PARTIAL_NAME = re.compile(r"^\.(?P<stem>.+)\.(?P<pid>\d+)\.[0-9a-f]{8}\.partial(?P<extension>\.[^.]*)?$")


def _umask():
    """The process's umask, read without changing it where Linux shows it (``/proc/self/status``)."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("Umask:"):
                    return int(line.split()[1], 8)
    except (OSError, ValueError, IndexError):
        pass
    mask = os.umask(0o022)  # elsewhere: read by setting it, and set it back at once
    os.umask(mask)
    return mask


def _partial_name(target):
    folder, name = os.path.split(target)
    stem, extension = os.path.splitext(name)
    return os.path.join(folder, f".{stem}.{os.getpid()}.{os.urandom(4).hex()}.partial{extension}")


def partial_target(name):
    """What a temporary file of :func:`replaced_on_success` would have become, and who writes it.

    Parameters
    ----------
    name : str
        A file name (no folder).

    Returns
    -------
    tuple of (str, int) or None
        The target's file name and the writing process's id; None when ``name`` is not such a temporary file.
    """
    found = _PARTIAL_NAME.match(name)
    if found is None:
        return None
    return found.group("stem") + (found.group("extension") or ""), int(found.group("pid"))


@contextlib.contextmanager
def replaced_on_success(path):
    """Yield a temporary name beside ``path``'s file; on success it replaces ``path``, on failure it is removed.

    Readers never see half a file, and a failed write leaves no empty or partial file behind. The result is
    what ``open(path, 'wb')`` would leave: a symbolic link keeps pointing at its target, which gets the data
    (the temporary file lies beside the target); a new file gets mode ``0o666`` less the umask and an existing
    one keeps its mode.

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.

    Yields
    ------
    str
        The temporary name (hidden, ending with ``path``'s extension) for the caller to write.
    """
    target = os.path.realpath(os.fspath(path))
    try:
        mode = os.stat(target).st_mode & 0o7777
    except FileNotFoundError:
        mode = 0o666 & ~_umask()
    temporary = _partial_name(target)
    try:
        yield temporary
        os.chmod(temporary, mode)
        os.replace(temporary, target)
    finally:
        if os.path.lexists(temporary):
            os.remove(temporary)


@contextlib.contextmanager
def folder_replaced_on_success(path):
    """Yield a temporary folder name beside ``path``; on success the folder written there takes ``path``'s place,
    on failure it is removed and ``path`` is left as it was.

    What was at ``path`` before is renamed aside, the new folder renamed into place, then the old one removed:
    a reader finds the old folder or the new one whole, never a half-written one (between the two renames,
    ``path`` is briefly absent; a failed second rename puts the old folder back).

    Parameters
    ----------
    path : str or os.PathLike
        The folder to write; its parent folder must exist.

    Yields
    ------
    str
        The temporary name (hidden, beside ``path``) for the caller to create and fill.
    """
    target = os.path.realpath(os.fspath(path))
    temporary = _partial_name(target)
    try:
        yield temporary
        aside = None
        if os.path.lexists(target):
            aside = _partial_name(target)
            os.rename(target, aside)
        try:
            os.rename(temporary, target)
        except BaseException:
            if aside is not None:
                os.rename(aside, target)
            raise
        if aside is not None:
            _remove(aside)
    finally:
        if os.path.lexists(temporary):
            _remove(temporary)


def _remove(path):
    """Remove a folder with what it holds, or a file or link."""
    import shutil

    shutil.rmtree(path) if os.path.isdir(path) and not os.path.islink(path) else os.remove(path)


def write_atomically(path, data):
    """Write ``data`` to ``path`` whole or not at all (:func:`replaced_on_success`).

    Parameters
    ----------
    path : str or os.PathLike
        The file to write; its folder must exist.
    data : bytes or str
        The content; a str is written as UTF-8.

    Returns
    -------
    str
        ``path``.
    """
    if not isinstance(data, (bytes, bytearray, memoryview, str)):
        raise TypeError(f"write_atomically writes bytes or str; got {type(data).__name__}.")
    with replaced_on_success(path) as temporary:
        if isinstance(data, str):
            with open(temporary, "w", encoding="utf-8") as handle:
                handle.write(data)
        else:
            with open(temporary, "wb") as handle:
                handle.write(data)
    return os.fspath(path)


def check_writable_folder(folder, what="files"):
    """Create ``folder`` if needed and check that a file can be written in it (a probe file, removed at once).

    Parameters
    ----------
    folder : str or os.PathLike
        The folder; ``''`` is the working folder.
    what : str
        What will be written there, for the message (default ``'files'``).

    Returns
    -------
    str
        ``folder`` as a str.

    Raises
    ------
    OSError
        The same subtype as the failure (NotADirectoryError, PermissionError, FileExistsError, ...), its message
        naming the folder and the reason.
    """
    folder = os.fspath(folder)
    try:
        os.makedirs(folder or ".", exist_ok=True)
        probe = os.path.join(folder or ".", f".kapre_like_write_test_{os.getpid()}")
        with open(probe, "w"):
            pass
        os.remove(probe)
    except OSError as error:
        raise type(error)(f"cannot write {what} into {folder!r}: {error.strerror or error}; choose another output "
                          f"folder.") from None
    return folder


def is_audio_name(path):
    """Whether ``path`` ends like an audio file libsndfile reads (.wav, .flac, .ogg, .mp3, .aiff, ...).

    Parameters
    ----------
    path : str
        A file name or path; only its extension is read.

    Returns
    -------
    bool
    """
    import soundfile

    extension = os.path.splitext(path.rstrip("/" + os.sep))[1].lstrip(".").upper()
    # RAW is a format libsndfile reads only when told the rate and encoding: not a file to pick up
    return extension in AUDIO_ALIASES or (extension != "RAW" and extension in soundfile.available_formats())


def audio_files_in(folder):
    """The audio files (by extension, :func:`is_audio_name`) in ``folder`` at any depth.

    Hidden files and folders (``.name``, such as macOS's ``._clip.wav``) are left out.

    Parameters
    ----------
    folder : str
        The folder to walk.

    Returns
    -------
    list of str
        The paths (``folder`` joined with the names), sorted.
    """
    found = []
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        found += [os.path.join(root, name) for name in names if not name.startswith(".") and is_audio_name(name)]
    return sorted(found)
