"""Reading audio files: decode, pick a channel, cut a part, resample, check the samples.

The one copy of file reading that the encoder, the command line and Beam use. It imports
neither TensorFlow nor Keras (soundfile and soxr are imported when a file is read), so the
command line's front door can check a file before TensorFlow loads.

Example:
    >>> import numpy as np, soundfile, tempfile, os
    >>> path = os.path.join(tempfile.mkdtemp(), "tone.wav")
    >>> soundfile.write(path, np.zeros((8000, 2), np.float32), 16000)
    >>> samples, rate = load_audio(path, sample_rate=8000, channel="mix", offset=0.1, duration=0.25)
    >>> samples.shape, rate
    ((2000,), 8000)
"""

import numbers
import os
import re
import warnings

import numpy as np

__all__ = ["AudioReadError", "Signal", "check_audio_file", "check_finite", "checked_part", "decode_audio",
           "load_audio", "part_frames", "resample", "select_channel"]

#: Files longer than this many frames (3.2 min at 44.1 kHz) are read a block at a time by :meth:`Signal.of_file`.
LONG_FILE_SAMPLES = 2**23
#: Frames per block when a long file is read in blocks.
BLOCK_SAMPLES = 2**19


class AudioReadError(ValueError):
    """An audio file that exists but cannot be decoded (not audio, truncated, unknown format)."""


def _check_path(path):
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder, not an audio file (pass the files in it, e.g. with glob)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"audio file not found: {path!r}")
    return path


def _is_empty(source):
    """Whether ``source`` (a path or a seekable binary file object) holds no bytes; False when unknown."""
    try:
        if hasattr(source, "seek"):
            source.seek(0, os.SEEK_END)
            return source.tell() == 0
        return os.path.getsize(source) == 0
    except (OSError, TypeError, ValueError):
        return False


def _decoder_error(source, name, error):
    # libsndfile calls a 0-byte file "Format not recognised": say what it is
    reason = "the file is empty (0 bytes)" if _is_empty(source) else " ".join(str(error).split())
    return AudioReadError(f"cannot read audio file {name!r}: {reason}")


def checked_part(offset=None, duration=None, offset_name="offset"):
    """``(offset, duration)`` of a part of a file, in seconds, checked: a finite offset >= 0 and a finite
    duration > 0, each None for "from the start" / "to the end"; ValueError naming the argument otherwise
    (the offset as ``offset_name``: a caller whose ``offset`` means something else calls it ``start``)."""
    return _part(offset, offset_name, True), _part(duration, "duration", False)


def part_frames(offset, duration, sample_rate, total, name):
    """``(first frame, frames)`` of the part ``offset``/``duration`` (seconds, :func:`checked_part`'s) of audio of
    ``total`` frames at ``sample_rate`` (each rounded to the nearest frame; at least one frame for a duration);
    ValueError naming ``name`` when the offset's frame is at or past the end."""
    start = 0 if offset is None else int(round(offset * sample_rate))
    if start and start >= total:
        raise ValueError(f"offset {offset:g} s is beyond the end of audio file {name!r} ({total / sample_rate:g} s "
                         f"long)")
    return start, total - start if duration is None else min(total - start, max(1, int(round(duration * sample_rate))))


def _part(value, name, allow_zero):
    """``value`` (seconds) checked: a finite number >= 0 (offset) or > 0 (duration); None stays None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value) \
            or value < 0 or (value == 0 and not allow_zero):
        bound = ">= 0" if allow_zero else "> 0"
        raise ValueError(f"`{name}` must be a finite number of seconds {bound} or None; got {value!r}.")
    return float(value)


def check_audio_file(path):
    """Check that ``path`` is an audio file with samples, reading only its header.

    Returns:
        soundfile's ``info`` of the file (``frames``, ``samplerate``, ``channels``, ``duration``).

    Raises:
        FileNotFoundError: ``path`` does not exist; IsADirectoryError: it is a folder;
        AudioReadError: it cannot be decoded; ValueError: it holds no samples. Each message names the file.
    """
    import soundfile

    path = _check_path(path)
    try:
        info = soundfile.info(path)
    except Exception as error:  # soundfile raises RuntimeError, LibsndfileError, ...: all mean "cannot decode"
        raise _decoder_error(path, path, error) from None
    if info.frames == 0:
        raise ValueError(f"audio file {path!r} has no samples")
    return info


def decode_audio(source, name, offset=None, duration=None):
    """``(samples, sample_rate)`` decoded from ``source``: float32 ``(frames, channels)``.

    Args:
        source: a local path or a binary file object (e.g. the bytes of a remote file).
        name (str): names the file in messages.
        offset (float or None): seconds to skip from the start. Defaults to None (the start).
        duration (float or None): seconds to read from ``offset``. Defaults to None (to the end).

    Raises:
        AudioReadError: the data cannot be decoded (the message names ``name`` and gives the
            decoder's reason). ValueError: ``offset`` lies beyond the end of the file.

    A file whose header declares more audio than it holds (cut off while copying) is read as far
    as it goes, with a warning saying so.
    """
    import soundfile

    offset, duration = checked_part(offset, duration)
    try:
        handle = soundfile.SoundFile(source)
    except Exception as error:  # soundfile raises RuntimeError, LibsndfileError, ...: all mean "cannot decode"
        raise _decoder_error(source, name, error) from None
    with handle:
        sample_rate, log, total = handle.samplerate, handle.extra_info, handle.frames
        start, frames = part_frames(offset, duration, sample_rate, total, name)
        try:
            handle.seek(start)
            # to the end: -1, all that a file cut off after its header was written still holds
            samples = handle.read(-1 if duration is None else frames, dtype="float32", always_2d=True)
        except Exception as error:
            raise _decoder_error(source, name, error) from None
    # libsndfile reads what a cut-off file holds and notes the shortfall in its log ("data : 32000 (should be 15978)")
    shortfall = re.search(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", log, re.MULTILINE)
    if shortfall and int(shortfall.group(2)) < int(shortfall.group(1)):
        warnings.warn(f"audio file {name!r} looks truncated: its header declares {shortfall.group(1)} bytes of audio, "
                      f"the file holds {shortfall.group(2)}; read the {len(samples)} frames there are.", stacklevel=3)
    return samples, int(sample_rate)


def select_channel(samples, channel, name):
    """One channel of ``(frames, channels)`` samples: ``'mix'`` is their mean, an int that channel,
    None all of them (unchanged); ValueError naming the file ``name`` and its channel count otherwise."""
    if channel is None:
        return samples
    if channel == "mix":
        return samples.mean(axis=1)
    if isinstance(channel, numbers.Integral) and not isinstance(channel, bool) and 0 <= channel < samples.shape[1]:
        return samples[:, channel]
    raise ValueError(f"channel {channel!r}: {os.path.basename(name)} has {samples.shape[1]} channel(s), numbered "
                     f"from 0; give one of them, 'mix' or None")


def resample(samples, rate, target_rate):
    """``samples`` (time on axis 0) from ``rate`` to ``target_rate`` Hz with soxr's high-quality
    filter, as float32; unchanged (as float32) when the rates are equal."""
    samples = np.asarray(samples, np.float32)
    if target_rate is None or rate == target_rate:
        return samples
    import soxr

    return np.asarray(soxr.resample(samples, rate, target_rate, quality="HQ"), np.float32)


def load_audio(path, sample_rate=None, channel=None, offset=None, duration=None, name=None):
    """``(samples, sample_rate)`` of an audio file (WAV, FLAC, OGG; MP3 where libsndfile reads it).

    Args:
        path (str, PathLike or binary file object): the file, or its bytes (e.g. ``io.BytesIO`` of a
            remote file; then ``name`` names it in messages).
        sample_rate (int or None): resample to this rate in Hz (soxr, high quality). Defaults to
            None (the file's rate).
        channel (None, 'mix' or int): None (default) keeps every channel: ``(frames, channels)``;
            ``'mix'`` their mean and an int that channel (from 0): ``(frames,)``.
        offset (float or None): seconds to skip from the start. Defaults to None.
        duration (float or None): seconds to read. Defaults to None (to the end).
        name (str or None): how messages name a file object. Defaults to None (``path`` itself).

    Returns:
        ``(samples, rate)``: float32 samples and their rate in Hz.

    Raises:
        FileNotFoundError: ``path`` does not exist (the message names it).
        IsADirectoryError: ``path`` is a folder.
        AudioReadError: the file cannot be decoded (a ``ValueError``; the message names the
            file and gives the decoder's reason).
        ValueError: the file (or the part asked for) holds no samples, ``channel`` is not one
            of the file's, ``offset`` lies beyond its end.
    """
    if not hasattr(path, "read"):
        path = name = _check_path(path)
    samples, rate = decode_audio(path, name, offset, duration)
    if samples.shape[0] == 0:
        raise ValueError(f"audio file {name!r} has no samples")
    samples = select_channel(samples, channel, name)
    if sample_rate is not None and sample_rate != rate:
        samples, rate = resample(samples, rate, sample_rate), int(sample_rate)
    return samples, rate


def check_finite(signal, name=None):
    """ValueError when ``signal`` holds NaN or Inf, counting them (and naming ``name`` when given)."""
    bad = np.size(signal) - np.count_nonzero(np.isfinite(signal))
    if bad:
        where = f"{name!r}: " if name else ""
        raise ValueError(f"{where}the waveform contains NaN or Inf ({bad} of {np.size(signal)} samples)")


class Signal:
    """A mono signal read a block at a time: ``len()`` samples at ``rate`` Hz; :meth:`chunks` yields
    them in order. From an array (:meth:`of_array`) or a file (:meth:`of_file`), which is read whole
    when it is short and in blocks of :data:`BLOCK_SAMPLES` frames when it is long, so that minutes
    of audio never sit in memory at once."""

    def __init__(self, length, rate, title, chunks):
        self.length, self.rate, self.title, self._chunks = length, rate, title, chunks

    def __len__(self):
        return self.length

    def chunks(self):
        """An iterator over float32 1-D blocks of the signal, in order."""
        return self._chunks()

    @classmethod
    def of_array(cls, samples, rate, title):
        samples = np.asarray(samples, np.float32)
        return cls(len(samples), rate, title, lambda: iter((samples,)))

    @classmethod
    def of_file(cls, path, channel="mix", sample_rate=None, offset=None, duration=None):
        """The file's ``channel`` (an int, or ``'mix'``: the mean), resampled when ``sample_rate`` differs
        (soxr's stream: the same filter as :func:`load_audio`'s, in pieces); with ``offset``/``duration``
        (seconds), only that part (as :func:`load_audio` reads it). Errors as :func:`load_audio`'s."""
        import soundfile

        offset, duration = checked_part(offset, duration)
        info = check_audio_file(path)
        start, frames = part_frames(offset, duration, info.samplerate, info.frames, os.path.basename(path))
        if frames <= LONG_FILE_SAMPLES:
            samples, rate = load_audio(path, sample_rate, channel, offset, duration)
            return cls.of_array(samples, rate, os.path.basename(path))
        select_channel(np.zeros((0, info.channels), np.float32), channel, path)  # the channel's check, early
        rate = sample_rate or info.samplerate
        # soxr's length, rounded half up (Python's round() takes .5 to even: one sample short, half the time)
        length = frames if rate == info.samplerate else (2 * frames * rate + info.samplerate) // (2 * info.samplerate)

        def chunks():
            resampler = None
            if rate != info.samplerate:
                import soxr

                resampler = soxr.ResampleStream(info.samplerate, rate, 1, dtype="float32", quality="HQ")
            left = frames
            with soundfile.SoundFile(path) as handle:
                handle.seek(start)
                while True:
                    block = handle.read(min(BLOCK_SAMPLES, left), dtype="float32", always_2d=True)
                    left -= len(block)
                    last = left <= 0 or len(block) < BLOCK_SAMPLES
                    mono = select_channel(block, channel, path)
                    if resampler is not None:
                        mono = resampler.resample_chunk(np.ascontiguousarray(mono, np.float32), last=last)
                    yield np.ascontiguousarray(mono, np.float32)
                    if last:
                        return

        return cls(length, rate, os.path.basename(path), chunks)
