"""Corpus encoding with Apache Beam: audio files -> spectrogram TFRecord shards, and reading them back.

:func:`encode_corpus` runs an Apache Beam pipeline that reads audio files, encodes each with an
:class:`~kapre_like.AudioSpectrogramEncoder` and writes ``tf.train.Example`` records into sharded
TFRecord files, with a JSON spec next to them (the features, the encoder's settings, the number of
records) and a dead-letter file listing the files that could not be read. :func:`read_shards`
turns the shards back into a ``tf.data.Dataset``; it needs TensorFlow only.

Why Beam: it is the engine TFX, TensorFlow Transform and Dataflow use for this kind of job, and the
same pipeline runs on one machine (the DirectRunner with worker processes, the default) or on a
cluster (Flink, Spark, Dataflow) given the standard Beam pipeline options: no scheduler of our own.

``pip install "kapre_like[beam]"`` (from a clone: ``pip install -e ".[beam]"``) installs Apache
Beam. ``import kapre_like`` does not import this module, and this module imports ``apache_beam``
only when :func:`encode_corpus` runs.

Output folder after a run::

    spectrograms-<run>-00000-of-00002.tfrecord   # the records (the run's id keeps runs apart)
    spectrograms-<run>-00001-of-00002.tfrecord
    spec.json                                    # features, encoder settings, counts, shard names, warnings
    dead_letters.jsonl                           # one {"path": ..., "error": ...} per unreadable file

A new run over the same folder writes its shards under a new run id, then replaces ``spec.json``
(the reader follows it) and deletes the shards the previous spec listed: old and new shards never
mix, and a failed run leaves the previous shard set in place.
"""

import contextlib
import glob
import io
import json
import math
import os
import re
import threading
import time
import uuid

__all__ = ["encode_corpus", "read_shards", "EncodeSummary", "CorpusEncodingError", "NothingEncodedError", "SPEC_NAME",
           "DEAD_LETTERS_NAME"]

#: The spec's file name, next to the shards.
SPEC_NAME = "spec.json"
#: The dead-letter file's name: JSON lines ``{"path": ..., "error": ...}``.
DEAD_LETTERS_NAME = "dead_letters.jsonl"
#: Shard file names start with this, then the run's id.
SHARD_STEM = "spectrograms"
FORMAT = "kapre_like.spectrogram_shards"
FORMAT_VERSION = 1

_NAMESPACE = "kapre_like"
_DEAD = "dead_letters"
_WARNED = "warnings"
# written into a worker's exception and found again in the runner's error text, whatever the runner wraps it in
_FAILED = "kapre_like could not encode "
_FAILED_PATTERN = re.compile(re.escape(_FAILED) + r"(.+?): (\w+(?:\.\w+)*: [^\n]*)")


class CorpusEncodingError(RuntimeError):
    """A worker failed on a file for a reason other than reading it (the message names the file)."""


class NothingEncodedError(CorpusEncodingError):
    """Every file was a dead letter: no shard was written (the previous shards are kept). ``dead_letters``: the
    dead letters (JSON lines) of the run."""

    def __init__(self, message, dead_letters=()):
        super().__init__(message)
        self.dead_letters = list(dead_letters)


class EncodeSummary(dict):
    """What :func:`encode_corpus` did: a dict with attribute access.

    Keys: ``files`` (matched), ``records`` (written), ``dead_letters`` (files not readable),
    ``shards`` (file names), ``seconds`` (wall time), ``out`` (the folder), ``spec`` (the spec's
    path), ``runner`` (its name and workers), ``warnings`` (``{"path", "warning"}`` of files encoded
    with a warning, such as a truncated one; also in the spec).
    """

    __getattr__ = dict.__getitem__

    def __str__(self):
        rate = self["files"] / self["seconds"] if self["seconds"] > 0 else float("inf")
        warned = f", {len(self['warnings'])} with warnings" if self.get("warnings") else ""
        return (f"{self['records']} files encoded{warned}, {self['dead_letters']} dead letters, {len(self['shards'])} "
                f"shards written in {self['seconds']:.1f} s ({rate:.1f} files/s) -> {self['out']}")


def _import_beam():
    try:
        import apache_beam
    except ImportError as error:
        raise ImportError(f"encode_corpus needs Apache Beam ({error.name or 'apache_beam'} is missing); install it with "
                          f"`pip install \"kapre_like[beam]\"` (from a clone: pip install -e \".[beam]\").") from error
    return apache_beam


def _is_local(path):
    return "://" not in path


# ----------------------------------------------------------------------------- inputs and output checks


def expand_files(files):
    """The audio files of ``files``: a local folder (its audio files at any depth, by extension), a glob
    pattern (``**`` for any depth) or a list of paths.

    Local paths come back absolute (the workers and the records use them), sorted, each once;
    URLs (``gs://...``) are matched with Beam's file systems.

    Raises:
        FileNotFoundError: the pattern matches no file, or a listed file does not exist (the
            message names the pattern or the file).
        ValueError: ``files`` is neither a string nor a list of strings.
    """
    if isinstance(files, (str, os.PathLike)):
        pattern = os.fspath(files)
        if _is_local(pattern) and os.path.isdir(os.path.expanduser(pattern)):
            from ._files import audio_files_in

            found = audio_files_in(os.path.expanduser(pattern))
            if not found:
                raise FileNotFoundError(f"no audio files in folder {pattern!r} (.wav, .flac, .ogg, .mp3, .aiff, ... at "
                                        f"any depth); give a folder, a glob such as 'data/**/*.flac' or a list of files.")
            return sorted({os.path.abspath(p) for p in found})
        if _is_local(pattern):
            found = [path for path in glob.glob(os.path.expanduser(pattern), recursive=True) if os.path.isfile(path)]
        else:
            from apache_beam.io.filesystems import FileSystems

            found = [meta.path for result in FileSystems.match([pattern]) for meta in result.metadata_list]
        if not found:
            matched = glob.glob(os.path.expanduser(pattern), recursive=True) if _is_local(pattern) else []
            folders = (f" (only the folder {matched[0]!r}" + (f" and {len(matched) - 1} more)" if matched[1:] else ")")
                       if matched else "")
            raise FileNotFoundError(f"no audio files match {pattern!r}{folders}; give a glob in quotes such as "
                                    f"'data/**/*.flac' (** for any depth), a folder or a list of files.")
        paths = found
    elif isinstance(files, (list, tuple)) and all(isinstance(p, (str, os.PathLike)) for p in files):
        paths = [os.fspath(p) for p in files]
        if not paths:
            raise FileNotFoundError("no audio files given: the list is empty.")
        missing = [p for p in paths if _is_local(p) and not os.path.exists(p)]
        if missing:  # a typo in a list is an error of the call, not a dead letter
            raise FileNotFoundError(f"audio file not found: {missing[0]!r}"
                                    + (f" (and {len(missing) - 1} more)" if len(missing) > 1 else "") + ".")
    else:
        raise ValueError(f"`files` must be a glob pattern (str) or a list of paths; got {type(files).__name__}.")
    if any("\n" in p for p in paths):  # the pipeline reads the file list back line by line
        raise ValueError(f"a file name contains a line break: {next(p for p in paths if chr(10) in p)!r}.")
    return sorted({os.path.abspath(p) if _is_local(p) else p for p in paths})


def check_output_folder(out):
    """Create the local folder ``out`` if needed and check that files can be written in it.

    Raises:
        OSError (NotADirectoryError, PermissionError, ...): the folder cannot be created or
            written; the message names it.
    """
    out = os.fspath(out)
    if not _is_local(out):
        return out  # a bucket: its runner checks it when it writes
    from ._files import check_writable_folder

    return check_writable_folder(out, "shards")


# ----------------------------------------------------------------------------- the workers' steps


def _waveform(encoder, path):
    """The file's mono waveform at the encoder's rate: the encoder reads local files itself (the same
    code as ``encoder.encode(path)``); URLs are read with Beam's file systems and decoded with soundfile."""
    if _is_local(path):
        return encoder.waveform(path)
    from apache_beam.io.filesystems import FileSystems

    from .audio_io import load_audio

    with FileSystems.open(path) as handle:
        data = handle.read()
    return encoder.waveform(*load_audio(io.BytesIO(data), channel="mix", offset=encoder.start,
                                        duration=encoder.duration, name=path))


def _tick(tally):
    """One more file done: a byte appended to the local ``tally`` file (None: not counted). Appends from the worker
    processes do not interleave (O_APPEND), so the file's size is the count."""
    if tally is None:
        return
    handle = os.open(tally, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        os.write(handle, b".")
    finally:
        os.close(handle)


class _FilesDone:
    """While in use, calls ``report(done, total)`` from a thread each time the local workers' ``tally`` grows (every
    0.2 s at most), and once on leaving with the final count; ``already`` files count as done from the start."""

    def __init__(self, report, tally, total, already=0, interval=0.2):
        self.report, self.tally, self.total, self.already, self.interval = report, tally, total, already, interval
        self.stopped, self.thread, self.shown = threading.Event(), None, -1

    def _done(self):
        try:
            return self.already + os.path.getsize(self.tally)
        except OSError:  # no file done yet
            return self.already

    def _show(self):
        done = min(self._done(), self.total)
        if done != self.shown:
            self.shown = done
            self.report(done, self.total)

    def _poll(self):
        while not self.stopped.wait(self.interval):
            self._show()

    def __enter__(self):
        self._show()
        self.thread = threading.Thread(target=self._poll, name="kapre_like files done", daemon=True)
        self.thread.start()
        return self

    def __exit__(self, kind, error, traceback):
        self.stopped.set()
        self.thread.join()
        if kind is None:
            self._show()
        if os.path.exists(self.tally):
            os.remove(self.tally)


def decode_file(path, encoder, tally=None):
    """Beam step: ``path`` -> ``(path, waveform)``, or a dead letter (JSON) when the file cannot be read.

    Reading errors (missing, a folder, not audio, empty, NaN or Inf samples: ``OSError`` and
    ``ValueError``) are dead letters; the job goes on with the other files. Warnings while reading
    (a truncated file) go to the warnings output (JSON ``{"path", "warning"}``) and the file is encoded.
    """
    from apache_beam import pvalue
    from apache_beam.metrics import Metrics

    import warnings

    from .audio_io import check_finite

    try:
        with warnings.catch_warnings(record=True) as caught:  # e.g. "looks truncated": the job's output says it
            warnings.simplefilter("always")
            signal = _waveform(encoder, path)
        check_finite(signal)
    except (OSError, ValueError) as error:
        Metrics.counter(_NAMESPACE, "dead_letters").inc()
        _tick(tally)
        yield pvalue.TaggedOutput(_DEAD, json.dumps({"path": path, "error": f"{type(error).__name__}: {error}"}))
        return
    for warning in caught:
        yield pvalue.TaggedOutput(_WARNED, json.dumps({"path": path, "warning": " ".join(str(warning.message).split())}))
    yield path, signal


def encode_waveform(element, encoder, tally=None):
    """Beam step: ``(path, waveform)`` -> a serialized ``tf.train.Example``.

    Any error here is a fault of the encoder (or the machine), not of the file's format: it stops
    the job, with a :class:`CorpusEncodingError` naming the file.
    """
    from apache_beam.metrics import Metrics

    path, signal = element
    try:
        spectrogram = encoder.spectrogram(signal)
    except Exception as error:
        raise CorpusEncodingError(f"{_FAILED}{path!r}: {type(error).__name__}: {error}") from error
    Metrics.counter(_NAMESPACE, "files_encoded").inc()
    _tick(tally)
    return serialize_example(path, spectrogram, encoder.sample_rate)


def serialize_example(path, spectrogram, sample_rate):
    """One record: ``path`` (bytes), ``spectrogram`` (float list, row-major), ``shape`` (int64 x 2),
    ``sample_rate`` (int64, Hz)."""
    import numpy as np
    import tensorflow as tf

    spectrogram = np.asarray(spectrogram)
    if np.iscomplexobj(spectrogram):  # complex spectra (AudioSTFTEncoder): real and imaginary parts on a last axis
        spectrogram = np.stack([spectrogram.real, spectrogram.imag], axis=-1)
    spectrogram = spectrogram.astype(np.float32)
    feature = {
        "path": tf.train.Feature(bytes_list=tf.train.BytesList(value=[path.encode("utf-8")])),
        "spectrogram": tf.train.Feature(float_list=tf.train.FloatList(value=spectrogram.ravel())),
        "shape": tf.train.Feature(int64_list=tf.train.Int64List(value=list(spectrogram.shape))),
        "sample_rate": tf.train.Feature(int64_list=tf.train.Int64List(value=[int(sample_rate)])),
    }
    return tf.train.Example(features=tf.train.Features(feature=feature)).SerializeToString()


# ----------------------------------------------------------------------------- the spec


def _frames(encoder):
    """Frames per spectrogram when every one has the same number (a target length), else None."""
    import numbers

    target = encoder.target_length
    if isinstance(target, numbers.Integral):
        return int(target)
    if isinstance(target, float):
        return math.ceil(int(round(target * encoder.sample_rate)) / encoder.offset)
    return None


def encoder_settings(encoder):
    """The encoder's settings as JSON values (enough to build the same encoder again, augmentation aside)."""
    return {
        "class": type(encoder).__name__,
        "sample_rate": encoder.sample_rate,
        "window_size": encoder.window_size,
        "offset": encoder.offset,
        "n_bins": encoder.n_bins,
        "normalization": None if encoder.normalization is None else list(encoder.normalization),
        "target_length": encoder.target_length,
        "augmentation": {key: repr(value) for key, value in encoder.augmentation.items()} or None,
        "window": [float(v) for v in encoder.window],
        "features": encoder.features,
        "start": encoder.start,
        "duration": encoder.duration,
    }


def feature_spec(encoder):
    """The ``features`` section of the spec: how each feature of a record is stored and read."""
    kind = encoder.features["kind"]
    shape, axes = [_frames(encoder), encoder.n_bins], "frames, bins"
    if kind == "stft":
        shape, axes = shape + [2], "frames, bins, (real, imaginary)"
    what = {"magnitude": "magnitude spectrogram", "stft": "complex spectra as (real, imaginary) pairs",
            "mel": "mel spectrogram" + (" in dB" if encoder.features.get("log") else ""), "mfcc": "MFCCs"}[kind]
    return {
        "path": {"kind": "bytes", "shape": [], "dtype": "string",
                 "description": "the audio file (an absolute path, or a URL), UTF-8"},
        "spectrogram": {"kind": "float", "shape": shape, "dtype": "float32", "shape_feature": "shape",
                        "description": f"{what}, {axes}, row-major (shape: the 'shape' feature)"},
        "shape": {"kind": "int64", "shape": [len(shape)], "dtype": "int64",
                  "description": f"{axes} of the spectrogram"},
        "sample_rate": {"kind": "int64", "shape": [], "dtype": "int64", "description": "the encoder's rate, Hz"},
    }


def _write_text(path, text):
    """Write a file whole: a local one under a temporary name, then renamed (readers never see half of it)."""
    if _is_local(path):
        from ._files import write_atomically

        write_atomically(path, text)
    else:
        from apache_beam.io.filesystems import FileSystems

        with FileSystems.create(path) as handle:
            handle.write(text.encode("utf-8"))


_OWN_FILES = re.compile(r"^(\.files-.+\.txt|" + re.escape(SPEC_NAME) + "|" + re.escape(DEAD_LETTERS_NAME) + ")$")
# the name runs before _files' temporary names gave their half-written files: ``spec.json.<pid>.partial``
_OLD_PARTIAL = re.compile(r"^(?P<target>.+)\.(?P<pid>\d+)\.partial$")


def _remove_stale_partials(out):
    """Delete the half-written files (:func:`_write_text`'s) that runs killed in ``out`` left behind: those of
    processes no longer alive (a run going on beside this one keeps its own)."""
    if not _is_local(out):
        return
    from ._files import partial_target

    for name in os.listdir(out):
        old = _OLD_PARTIAL.match(name)
        target, pid = (old.group("target"), int(old.group("pid"))) if old else partial_target(name) or (None, None)
        if target is not None and _OWN_FILES.match(target) and not _alive(pid):
            os.remove(os.path.join(out, name))


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # PermissionError: another user's process
        return True
    return True


def _unnamed_letter(path):
    """A dead letter for a file whose name is not UTF-8 (the shards store names as UTF-8, and Beam's file list is
    UTF-8 text): its name with the bad bytes escaped (``bad\\xffname.wav``)."""
    escaped = os.fsencode(path).decode("utf-8", "backslashreplace")
    return json.dumps({"path": escaped, "error": "UnicodeError: the file name is not valid UTF-8; rename the file "
                                                 "(e.g. with convmv) to encode it"})


def _utf8(path):
    try:
        path.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _read_spec(path):
    """The spec at ``path`` (TensorFlow's file systems: local or a bucket), or None if there is none."""
    import tensorflow as tf

    if not tf.io.gfile.exists(path):
        return None
    with tf.io.gfile.GFile(path) as handle:
        try:
            spec = json.load(handle)
        except json.JSONDecodeError as error:
            raise ValueError(f"{path!r} is not a kapre_like shard spec (not JSON: {error}).") from None
    if not isinstance(spec, dict) or spec.get("format") != FORMAT:
        raise ValueError(f"{path!r} is not a kapre_like shard spec (its 'format' is not {FORMAT!r}).")
    return spec


# ----------------------------------------------------------------------------- the pipeline


def _checked_args(pipeline_args):
    args = [] if pipeline_args is None else pipeline_args
    if isinstance(args, str) or not isinstance(args, (list, tuple)) or not all(isinstance(a, str) for a in args):
        raise ValueError(f"`pipeline_args` must be a list of strings such as ['--runner=FlinkRunner', ...]; got "
                         f"{pipeline_args!r}.")
    return list(args)


def pipeline_options(workers=None, pipeline_args=None):
    """Beam ``PipelineOptions`` from standard Beam arguments, with the local default filled in.

    Without ``--runner`` (or with ``--runner=DirectRunner``) the job runs on this machine on
    ``workers`` processes: ``--direct_num_workers=workers`` and
    ``--direct_running_mode=multi_processing`` (``in_memory``, this process, for one worker),
    unless the arguments set these themselves. Every other runner takes its own arguments,
    e.g. ``['--runner=FlinkRunner', '--flink_master=host:8081', '--environment_type=LOOPBACK']``.

    Args:
        workers (int or None): local worker processes; None: one per CPU core.
        pipeline_args (list of str or None): Beam pipeline arguments, passed through.

    Returns:
        ``(options, description)``: the options and a short text naming the runner.

    Raises:
        ValueError: ``workers`` is not a positive integer; ``pipeline_args`` is not a list of
            strings; an unknown ``--runner`` (the message names it).
    """
    _import_beam()
    from apache_beam.options.pipeline_options import DirectOptions, PipelineOptions, StandardOptions

    if workers is None:
        workers = os.cpu_count() or 1
    if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
        raise ValueError(f"`workers` must be a positive integer (local worker processes); got {workers!r}.")
    args = _checked_args(pipeline_args)
    runner = PipelineOptions(args).view_as(StandardOptions).runner
    if runner in (None, "DirectRunner", "direct"):
        given = " ".join(args)
        if "--runner" not in given:
            args.append("--runner=DirectRunner")  # not Prism: it downloads a binary on first use
        if "--direct_num_workers" not in given:
            args.append(f"--direct_num_workers={workers}")
        if "--direct_running_mode" not in given:
            args.append(f"--direct_running_mode={'multi_processing' if workers > 1 else 'in_memory'}")
        options = PipelineOptions(args)
        direct = options.view_as(DirectOptions)
        description = (f"DirectRunner, {direct.direct_num_workers} worker process"
                       f"{'es' if direct.direct_num_workers > 1 else ''} ({direct.direct_running_mode})")
        return options, description
    from apache_beam.runners import create_runner

    try:
        create_runner(runner)
    except (ValueError, ImportError) as error:
        raise type(error)(f"--runner={runner} is not available here: {' '.join(str(error).split())[:300]}") from None
    return PipelineOptions(args), runner


def _remove(paths):
    from apache_beam.io.filesystems import FileSystems

    existing = [p for p in paths if FileSystems.exists(p)]
    if existing:
        FileSystems.delete(existing)


def _remove_run(out, run):
    """Delete everything a failed run wrote into ``out``: shards, dead letters, the file list, Beam's temporary folders."""
    if _is_local(out):
        import shutil

        for name in os.listdir(out):
            if run in name:  # also the hidden file list and dead letters, which a glob's * skips
                path = os.path.join(out, name)
                shutil.rmtree(path) if os.path.isdir(path) else os.remove(path)
        return
    from apache_beam.io.filesystems import FileSystems

    _remove([m.path for r in FileSystems.match([FileSystems.join(out, f"*{run}*"),
                                               FileSystems.join(out, f"beam-temp-*{run}*/*")]) for m in r.metadata_list])


def _worker_error(error):
    """The runner's error as a CorpusEncodingError naming the file when a worker's step raised one."""
    found = _FAILED_PATTERN.search(str(error))
    if not found:
        return None
    return CorpusEncodingError(f"encoding failed on {found.group(1)}: {found.group(2).strip()}")


def encode_corpus(files, out, encoder=None, workers=None, pipeline_args=None, num_shards=0, verbose=False,
                  progress=None, files_done=None):
    """Encode audio files into spectrogram TFRecord shards with an Apache Beam pipeline.

    Steps (Beam transforms): the file list (written to the output folder, read back by the
    runner, spread over the workers) -> decode (mono, the encoder's rate; unreadable files go to
    the dead letters) -> ``encoder.spectrogram`` -> ``tf.train.Example`` -> ``WriteToTFRecord``.
    Each spectrogram equals ``encoder.encode(path)``. Then the spec (:data:`SPEC_NAME`) and the
    dead letters (:data:`DEAD_LETTERS_NAME`) are written next to the shards, and the shards of
    the previous run in ``out`` are deleted (see the module's notes).

    Args:
        files (str or list): a folder (its audio files at any depth), a glob pattern
            (``'data/**/*.flac'``; ``**`` for any depth) or a list of audio files (WAV, FLAC, OGG;
            MP3 where libsndfile reads it). A file whose name is not UTF-8 is a dead letter (its
            name escaped: ``bad\\xffname.wav``); a file read with a warning (a truncated one) is
            encoded and listed under ``warnings`` in the spec and the summary.
        out (str): the output folder (created if needed; a ``gs://`` folder for Dataflow).
        encoder (AudioSpectrogramEncoder or None): the encoder; None: ``AudioSpectrogramEncoder()``
            (16 kHz, 25 ms Hann windows, 8.33 ms offset: 201 bins). It is pickled to the workers.
        workers (int or None): worker processes of the local DirectRunner; None (default): one
            per CPU core. Ignored by other runners.
        pipeline_args (list of str or None): standard Beam pipeline arguments, passed through,
            e.g. ``['--runner=FlinkRunner', '--flink_master=localhost:8081',
            '--environment_type=LOOPBACK']`` (see the docs' "Distributed encoding" page).
        num_shards (int): TFRecord files to write; 0 (default): the runner decides.
        verbose (bool): show Beam's log, its workers' too (errors only otherwise). Defaults to False.
        progress (callable or None): called with a line of text when the job starts (files
            matched, runner) and when it has run; None (default): silent.
        files_done (callable or None): ``files_done(done, total)``, called from a thread of this
            process as the files are encoded or found unreadable (every 0.2 s at most, and once at
            the end), e.g. to update a ``keras.utils.Progbar``. Local runs only (the DirectRunner
            and a local ``out``: the workers count in a file there); other runners do not call it.

    Returns:
        EncodeSummary: files, records, dead_letters, shards, seconds, out, spec, runner.

    Raises:
        ImportError: Apache Beam is not installed (names ``pip install "kapre_like[beam]"``).
        FileNotFoundError: the pattern matches no file (names it).
        OSError: ``out`` cannot be written (names it).
        CorpusEncodingError: a worker's step failed on a file other than by reading it (names
            the file and the error); the previous shards in ``out`` are kept.
        NothingEncodedError: (a ``CorpusEncodingError``) every file was a dead letter; the
            message names the first and its error; the previous shards in ``out`` are kept.
        ValueError: bad ``workers``, ``pipeline_args``, ``num_shards`` or ``encoder``.

    Example:
        >>> import tempfile, soundfile
        >>> from kapre_like.synthetic import speech_like
        >>> folder = tempfile.mkdtemp()
        >>> for i in range(3):
        ...     soundfile.write(f"{folder}/clip{i}.wav", speech_like(0.5, 16000, seed=i), 16000)
        >>> summary = encode_corpus(f"{folder}/*.wav", f"{folder}/shards", workers=1)
        >>> summary.records, summary.dead_letters
        (3, 0)
        >>> [tuple(item["spectrogram"].shape) for item in read_shards(f"{folder}/shards")]
        [(61, 201), (61, 201), (61, 201)]
    """
    beam = _import_beam()
    import logging

    from .encoder import AudioSpectrogramEncoder

    encoder = AudioSpectrogramEncoder() if encoder is None else encoder
    if not isinstance(encoder, AudioSpectrogramEncoder):
        raise ValueError(f"`encoder` must be an AudioSpectrogramEncoder (or None for the default one); got "
                         f"{type(encoder).__name__}.")
    if isinstance(num_shards, bool) or not isinstance(num_shards, int) or num_shards < 0:
        raise ValueError(f"`num_shards` must be an integer >= 0 (0: the runner decides); got {num_shards!r}.")
    paths = expand_files(files)
    out = check_output_folder(out)
    pipeline_args = _checked_args(pipeline_args)
    if not verbose and not any(a.startswith("--default_sdk_harness_log_level") for a in pipeline_args):
        pipeline_args.append("--default_sdk_harness_log_level=ERROR")  # the worker processes' log
    options, runner = pipeline_options(workers, pipeline_args)
    from apache_beam.io.filesystems import FileSystems

    _remove_stale_partials(out)
    # a name that is not UTF-8 cannot go into the file list or a record: a dead letter now, the job goes on
    unnamed = [_unnamed_letter(path) for path in paths if not _utf8(path)]
    named = [path for path in paths if _utf8(path)]
    run = time.strftime("%Y%m%dT%H%M%S") + "-" + uuid.uuid4().hex[:6]
    prefix = FileSystems.join(out, f"{SHARD_STEM}-{run}")
    dead_prefix = FileSystems.join(out, f".dead_letters-{run}")
    warned_prefix = FileSystems.join(out, f".warnings-{run}")
    file_list = FileSystems.join(out, f".files-{run}.txt")
    counted = files_done is not None and runner.startswith("DirectRunner") and _is_local(out)
    tally = os.path.join(out, f".done-{run}") if counted else None

    if progress:
        progress(f"encoding {len(paths)} files into {out} on {runner}")
    started = time.monotonic()
    beam_logger = logging.getLogger("apache_beam")
    saved_level = beam_logger.level
    if not verbose:
        beam_logger.setLevel(logging.ERROR)
    watch = _FilesDone(files_done, tally, len(paths), len(unnamed)) if counted else contextlib.nullcontext()
    try:
        with watch:
            _encode_files(beam, options, named, file_list, encoder, tally, prefix, num_shards, dead_prefix,
                          warned_prefix)
    except Exception as error:
        _remove_run(out, run)
        worker_error = _worker_error(error)
        if worker_error is not None:
            raise worker_error from error
        raise
    finally:
        beam_logger.setLevel(saved_level)

    shards = sorted(m.path for r in FileSystems.match([prefix + "-*.tfrecord"]) for m in r.metadata_list)
    letters, dead_parts = _read_lines(dead_prefix)
    letters = sorted(unnamed + letters)
    warned, warned_parts = _read_lines(warned_prefix)
    if len(letters) == len(paths):  # an empty shard set is no result: fail, and keep the previous shards
        _remove_run(out, run)
        first = json.loads(letters[0])
        raise NothingEncodedError(
            f"no file was encoded: all {len(paths)} files could not be read (the first, {first['path']!r}: "
            f"{first['error']}); the previous shards in {out!r} are kept", letters)
    _write_text(FileSystems.join(out, DEAD_LETTERS_NAME), "".join(line + "\n" for line in letters))
    _remove(dead_parts + warned_parts + [file_list])
    warned = [json.loads(line) for line in sorted(warned)]

    seconds = time.monotonic() - started
    spec_path = FileSystems.join(out, SPEC_NAME)
    previous = _read_spec(spec_path)
    names = [os.path.basename(path) if _is_local(path) else path.rsplit("/", 1)[-1] for path in shards]
    spec = {
        "format": FORMAT, "format_version": FORMAT_VERSION,
        "created": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), "run": run,
        "kapre_like_version": _version(), "apache_beam_version": beam.__version__, "runner": runner,
        "source": files if isinstance(files, str) else f"a list of {len(paths)} files",
        "files": len(paths), "records": len(paths) - len(letters), "dead_letters": len(letters),
        "dead_letters_file": DEAD_LETTERS_NAME, "warnings": warned, "shards": names, "seconds": round(seconds, 3),
        "features": feature_spec(encoder), "encoder": encoder_settings(encoder),
    }
    _write_text(spec_path, json.dumps(spec, indent=1) + "\n")
    if previous:  # the new spec is in place: the previous run's shards are no longer read
        _remove([FileSystems.join(out, name) for name in previous.get("shards", []) if name not in names])
    summary = EncodeSummary(files=len(paths), records=spec["records"], dead_letters=len(letters), shards=names,
                            seconds=seconds, out=out, spec=spec_path, runner=runner, warnings=warned)
    if progress:
        progress(str(summary))
    return summary


def _encode_files(beam, options, named, file_list, encoder, tally, prefix, num_shards, dead_prefix, warned_prefix):
    """Run the pipeline of :func:`encode_corpus` over the files ``named`` (none: nothing to run)."""
    if not named:
        return
    _write_text(file_list, "".join(path + "\n" for path in named))
    pipeline = beam.Pipeline(options=options)
    decoded = (pipeline
               | "ReadFileList" >> beam.io.ReadFromText(file_list)
               | "SpreadOverWorkers" >> beam.Reshuffle()
               | "Decode" >> beam.FlatMap(decode_file, encoder, tally).with_outputs(_DEAD, _WARNED, main="audio"))
    _ = (decoded.audio
         | "Encode" >> beam.Map(encode_waveform, encoder, tally)
         | "WriteShards" >> beam.io.WriteToTFRecord(prefix, file_name_suffix=".tfrecord", num_shards=num_shards))
    _ = decoded[_DEAD] | "WriteDeadLetters" >> beam.io.WriteToText(dead_prefix, file_name_suffix=".jsonl")
    _ = decoded[_WARNED] | "WriteWarnings" >> beam.io.WriteToText(warned_prefix, file_name_suffix=".jsonl")
    pipeline.run().wait_until_finish()


def _read_lines(prefix):
    """(the non-empty lines, the files) of the text files a step wrote under ``prefix``."""
    from apache_beam.io.filesystems import FileSystems

    parts = sorted(m.path for r in FileSystems.match([prefix + "*"]) for m in r.metadata_list)
    lines = []
    for part in parts:
        with FileSystems.open(part) as handle:
            lines += [line for line in handle.read().decode("utf-8").splitlines() if line.strip()]
    return lines, parts


def _version():
    from ._version import __version__

    return __version__


# ----------------------------------------------------------------------------- reading


def _spec_and_files(source):
    """(spec, shard paths) of a folder, a spec file, or a glob of shard files."""
    import tensorflow as tf

    source = os.fspath(source)
    if tf.io.gfile.isdir(source):
        spec_path = os.path.join(source, SPEC_NAME) if _is_local(source) else source.rstrip("/") + "/" + SPEC_NAME
        spec = _read_spec(spec_path)
        if spec is None:
            raise FileNotFoundError(f"no {SPEC_NAME} in {source!r}: is it a folder written by encode_corpus / "
                                    f"kapre-like encode?")
        return spec, [os.path.join(source, name) if _is_local(source) else source.rstrip("/") + "/" + name
                      for name in spec["shards"]]
    if source.endswith(".json"):
        spec = _read_spec(source)
        if spec is None:
            raise FileNotFoundError(f"shard spec not found: {source!r}")
        return spec, [os.path.join(os.path.dirname(source), name) for name in spec["shards"]]
    # the spec and the dead letters sit next to the shards: a glob such as out/* matches them too
    files = sorted(path for path in tf.io.gfile.glob(source) if os.path.basename(path) not in (SPEC_NAME,
                                                                                                DEAD_LETTERS_NAME))
    if not files:
        raise FileNotFoundError(f"no shard files match {source!r}; give the output folder of encode_corpus, its "
                                f"{SPEC_NAME}, or a glob of its .tfrecord files.")
    folder = os.path.dirname(files[0])
    spec = _read_spec(os.path.join(folder, SPEC_NAME))
    if spec is None:
        raise FileNotFoundError(f"no {SPEC_NAME} next to the shards in {folder!r}: it says how to read them.")
    # anything else the spec does not list would fail later, mid-iteration, with TensorFlow's DataLossError
    stray = [path for path in files if os.path.dirname(path) == folder and os.path.basename(path) not in spec["shards"]]
    if stray:
        raise ValueError(f"{stray[0]!r} matches {source!r} but is not a shard its {SPEC_NAME} lists"
                         + (f" (nor are {len(stray) - 1} more)" if len(stray) > 1 else "")
                         + "; give the output folder, its spec.json or a glob of the shards it lists.")
    return spec, files


def read_shards(source):
    """Spectrogram shards written by :func:`encode_corpus` as a ``tf.data.Dataset`` (TensorFlow only).

    Records are parsed as the spec next to the shards describes them. Each item is a dict:
    ``path`` (tf.string scalar: the audio file), ``spectrogram`` (float32 ``(frames, bins)``) and
    ``sample_rate`` (int64 scalar, Hz). Shards are read in the order the spec lists them;
    records of a shard in the order written (not the order of the input files).

    Args:
        source (str): the output folder (reads the shards its ``spec.json`` lists: those of the
            last complete run), a ``spec.json``, or a glob of shard files (their folder's spec
            says how to read them). Local or on a file system TensorFlow reads (``gs://``).

    Returns:
        tf.data.Dataset: one dict per record; batch it with ``padded_batch`` (lengths differ
        unless the encoder had a target length).

    Raises:
        FileNotFoundError: no spec, or no shard files (the message names where it looked).
        ValueError: a spec that is not a kapre_like shard spec; a glob that matches a file its
            spec does not list as a shard (``spec.json`` and ``dead_letters.jsonl`` are left out).

    Example:
        >>> import tempfile, soundfile
        >>> from kapre_like.synthetic import white_noise
        >>> folder = tempfile.mkdtemp()
        >>> soundfile.write(f"{folder}/noise.wav", white_noise(1.0, 16000), 16000)
        >>> _ = encode_corpus([f"{folder}/noise.wav"], f"{folder}/shards", workers=1)
        >>> item = next(iter(read_shards(f"{folder}/shards")))
        >>> item["path"].numpy().decode() == f"{folder}/noise.wav", item["spectrogram"].shape
        (True, TensorShape([121, 201]))
    """
    import tensorflow as tf

    spec, files = _spec_and_files(source)
    features = spec["features"]
    dtypes = {"bytes": tf.string, "float": tf.float32, "int64": tf.int64}
    parsing, reshaped = {}, {}
    for name, feature in features.items():
        shape, dtype = feature["shape"], dtypes[feature["kind"]]
        if None in shape:  # a variable number of frames: a flat list, reshaped by its shape feature
            parsing[name] = tf.io.VarLenFeature(dtype)
            reshaped[name] = (feature["shape_feature"], shape)
        elif feature.get("shape_feature"):
            parsing[name] = tf.io.FixedLenFeature([math.prod(shape)], dtype)
            reshaped[name] = (None, shape)
        else:
            parsing[name] = tf.io.FixedLenFeature(shape, dtype)
    shape_features = {by for by, _ in reshaped.values() if by}

    def parse(record):
        parsed = tf.io.parse_single_example(record, parsing)
        item = {}
        for name, value in parsed.items():
            if name in shape_features:
                continue
            if name in reshaped:
                shape_feature, static = reshaped[name]
                if shape_feature:
                    value = tf.reshape(tf.sparse.to_dense(value), tf.cast(parsed[shape_feature], tf.int32))
                    value.set_shape(static)
                else:
                    value = tf.reshape(value, static)
            item[name] = value
        return item

    return tf.data.TFRecordDataset(files).map(parse, num_parallel_calls=tf.data.AUTOTUNE)
