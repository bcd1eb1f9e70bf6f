"""Audio files and waveforms to spectrograms: the ``AudioSpectrogram`` encoder (seed 004).

:class:`AudioSpectrogramEncoder` turns an audio file (WAV, FLAC, OGG; MP3 where libsndfile
reads it), a waveform with its sample rate, or a list of these into float32 magnitude
spectrograms ``(n, floor(window_size / 2) + 1)`` with ``n = ceil(length / offset)``, after
mixing to mono, resampling (soxr, high quality), normalization, optional augmentation and a
target length. :meth:`AudioSpectrogramEncoder.dataset` feeds ``tf.data``;
:meth:`AudioSpectrogramEncoder.layer` puts the in-graph part (normalize, augment,
spectrogram) at a Keras model's input.

Order of operations: read -> mono -> resample -> target duration (pad/trim) -> normalize ->
augment (convolution, time shift, volume, noise) -> spectrogram -> target partitions (pad/trim).
"""

import atexit
import json
import numbers
import os
import re
import threading
import time
import warnings

import keras
import numpy as np
import tensorflow as tf

from . import functional
from ._checks import check_int
from .resampling import Resample, check_rate
from .time_frequency import AudioLayer, _register

__all__ = ["AudioSpectrogramEncoder", "AudioSpectrogram", "AudioReadError", "load_audio"]

AUGMENTATIONS = ("noise", "time_shift", "volume", "convolution")
_PROGRESS_MIN_ITEMS = 8  # lists longer than this show a progress bar by default


class AudioReadError(ValueError):
    """An audio file that exists but cannot be decoded (not audio, truncated, unknown format)."""


def load_audio(path):
    """``(samples, sample_rate)`` of an audio file: float32 ``(frames, channels)``.

    Raises:
        FileNotFoundError: ``path`` does not exist (the message names it).
        IsADirectoryError: ``path`` is a folder.
        AudioReadError: the file cannot be decoded (a ``ValueError``; the message names the
            file and gives the decoder's reason).
    """
    path = os.fspath(path)
    if os.path.isdir(path):
        raise IsADirectoryError(f"{path!r} is a folder, not an audio file (pass the files in it, e.g. with glob)")
    if not os.path.isfile(path):
        raise FileNotFoundError(f"audio file not found: {path!r}")
    return decode_audio(path, path)


def decode_audio(source, name):
    """``(samples, sample_rate)`` decoded from ``source`` (a local path or a binary file object, e.g. the
    bytes of a remote file), as :func:`load_audio`; ``name`` names it in messages.

    Raises:
        AudioReadError: the data cannot be decoded (the message names ``name`` and gives the decoder's reason).
    """
    import soundfile

    try:
        with soundfile.SoundFile(source) as handle:
            samples = handle.read(dtype="float32", always_2d=True)
            sample_rate, log = handle.samplerate, handle.extra_info
    except Exception as error:  # soundfile raises RuntimeError, LibsndfileError, ...: all mean "cannot decode"
        # libsndfile calls a 0-byte file "Format not recognised": say what it is
        reason = "the file is empty (0 bytes)" if _is_empty(source) else " ".join(str(error).split())
        raise AudioReadError(f"cannot read audio file {name!r}: {reason}") from None
    # libsndfile reads what a cut-off file holds and notes the shortfall in its log ("data : 32000 (should be 15978)")
    shortfall = re.search(r"^data\s*:\s*(\d+)\s*\(should be (\d+)\)", log, re.MULTILINE)
    if shortfall and int(shortfall.group(2)) < int(shortfall.group(1)):
        warnings.warn(f"audio file {name!r} looks truncated: its header declares {shortfall.group(1)} bytes of audio, "
                      f"the file holds {shortfall.group(2)}; read the {len(samples)} frames there are.", stacklevel=3)
    return samples, int(sample_rate)


def _is_empty(source):
    """Whether ``source`` (a path or a seekable binary file object) holds no bytes; False when unknown."""
    try:
        if hasattr(source, "seek"):
            source.seek(0, os.SEEK_END)
            return source.tell() == 0
        return os.path.getsize(source) == 0
    except (OSError, TypeError, ValueError):
        return False


def mono_of_file(samples, sample_rate, name):
    """``(mono, sample_rate)`` of a decoded file's ``(frames, channels)`` samples (the channels' mean);
    ValueError naming the file ``name`` when it holds no samples."""
    if samples.shape[0] == 0:
        raise ValueError(f"audio file {name!r} has no samples.")
    return samples.mean(axis=1), sample_rate


def _seconds_or_samples(value, sample_rate, name):
    """An int is samples; a float is seconds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"`{name}` must be a positive number of samples (int) or seconds (float); got {value!r}.")
    return int(value) if isinstance(value, numbers.Integral) else max(1, int(round(value * sample_rate)))


def _window_values(window, window_size):
    if window is None:
        return np.ones(window_size)
    if callable(window):
        values = np.asarray(window(window_size), dtype=np.float64)
    elif isinstance(window, str):
        values = functional.window_array(window, window_size, periodic=True)
    else:
        values = np.asarray(window, dtype=np.float64)
    if values.shape != (window_size,):
        raise ValueError(f"`window` must give {window_size} values (the window size); got shape {values.shape}.")
    return values


def _check_finite(signal):
    bad = np.size(signal) - np.count_nonzero(np.isfinite(signal))
    if bad:
        raise ValueError(f"the waveform contains NaN or Inf ({bad} of {np.size(signal)} samples)")


def _check_on_error(on_error):
    if on_error not in ("raise", "skip"):
        raise ValueError(f"`on_error` must be 'raise' or 'skip'; got {on_error!r}.")


def _checked_labels(labels, paths):
    """``labels`` as an array of one label per path (None stays None); ValueError otherwise."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if len(labels) != len(paths):
        raise ValueError(f"`labels` must give one label per path: {len(paths)} paths, {len(labels)} labels.")
    return labels


def _item_and_rate(item, sample_rate):
    """``(data, rate)`` of one item: a ``(waveform, rate)`` pair carries its own rate."""
    if (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], numbers.Real)
            and not isinstance(item[1], bool) and not isinstance(item[0], (str, os.PathLike))):
        return item
    return item, sample_rate


class _PythonCallGuard:
    """Keeps ``tf.data``'s worker threads out of Python once the interpreter starts to exit.

    A dataset iterator still alive at exit (an uncaught error keeps its frames in
    ``sys.last_traceback``; a global iterator) is destroyed after Python has stopped running
    other threads. A map call in flight at that moment never returns, and the iterator's
    destructor waits for it forever (or the process aborts). So at exit, while Python still
    runs every thread, new calls are refused and those in flight are waited for (at most
    ``limit`` seconds). Registered with ``atexit`` the first time a dataset calls Python.
    """

    def __init__(self, quiet=0.2, limit=5.0):
        self.quiet, self.limit = quiet, limit
        self.lock = threading.Lock()
        self.active, self.last_start, self.closing, self.registered = 0, 0.0, False, False

    def __enter__(self):
        with self.lock:
            if self.closing:
                raise RuntimeError("the interpreter is exiting")
            if not self.registered:
                atexit.register(self.drain)
                self.registered = True
            self.active += 1
            self.last_start = time.monotonic()

    def __exit__(self, *exc):
        with self.lock:
            self.active -= 1

    def drain(self):
        with self.lock:
            self.closing = True
        deadline = time.monotonic() + self.limit
        while time.monotonic() < deadline:  # until nothing runs and the pipeline has stopped asking
            with self.lock:
                if self.active == 0 and time.monotonic() - self.last_start > self.quiet:
                    return
            time.sleep(0.01)


_python_calls = _PythonCallGuard()


class _Parameter:
    """A number that is fixed, drawn uniformly from ``(low, high)``, or drawn from a distribution."""

    def __init__(self, value, name):
        self.name = name
        if isinstance(value, (tuple, list)) and len(value) == 2 and all(isinstance(v, numbers.Real) for v in value):
            low, high = float(value[0]), float(value[1])
            if not (np.isfinite(low) and np.isfinite(high)):
                raise ValueError(f"augmentation `{name}`: range bounds must be finite numbers; got {value!r}.")
            if high < low:
                raise ValueError(f"augmentation `{name}`: range must be (low, high) with low <= high; got {value!r}.")
            self.kind, self.value = "uniform", (low, high)
        elif isinstance(value, numbers.Real) and not isinstance(value, bool):
            if not np.isfinite(value):
                raise ValueError(f"augmentation `{name}` must be a finite number; got {value!r}.")
            self.kind, self.value = "fixed", float(value)
        elif hasattr(value, "rvs") or callable(value):
            self.kind, self.value = "distribution", value
        else:
            raise ValueError(f"augmentation `{name}` must be a number, a (low, high) pair or a distribution "
                             f"(an object with .rvs, e.g. scipy.stats.norm(0, 1), or a function of a NumPy "
                             f"Generator); got {value!r}.")

    def draw(self, rng):
        if self.kind == "fixed":
            return self.value
        if self.kind == "uniform":
            return float(rng.uniform(*self.value))
        if hasattr(self.value, "rvs"):
            return float(self.value.rvs(random_state=rng))
        return float(self.value(rng))


class AudioSpectrogramEncoder:
    """Audio file or waveform -> float32 magnitude spectrogram ``(n, floor(window_size / 2) + 1)``.

    Partition ``t`` covers samples ``[t * offset, t * offset + window_size)`` of the
    (resampled) signal; the end is zero-padded so that ``n = ceil(length / offset)``
    partitions are all complete. Each is windowed and transformed with a real FFT of
    ``window_size`` points; the magnitude is returned.

    Args:
        sample_rate (int): target rate in Hz; other rates are resampled with soxr (HQ).
            Defaults to 16000.
        window_size (int or float): partition length in samples (int) or seconds (float).
            Defaults to 0.025 s (400 samples at 16 kHz).
        offset (int, float or None): partition step in samples (int) or seconds (float).
            Defaults to ``round(window_size / 3)`` samples (133 at 16 kHz: 8.33 ms).
        window (str, callable, array or None): ``'hann'`` (default, periodic) or another
            ``scipy.signal.get_window`` name, a function of the length, an explicit array, or
            None (no window).
        normalization (None, str or tuple): None (default); ``'max'``: peak to 1;
            ``('max', v)``: peak to ``v``; ``('rms', v)``: RMS to ``v``.
        target_length (None, float or int): None/``'all'``: everything; a float: that many
            seconds (pad with zeros or trim the waveform); an int ``n``: the first ``n``
            partitions (padding with zero partitions).
        augmentation (dict or None): off unless given. Keys: ``'noise'`` (an amplitude: white
            Gaussian noise of that RMS; a file/array: that noise recording, looped or cut to
            length; ``(amplitude, recording)``: the recording scaled to that RMS);
            ``'time_shift'`` (seconds, positive delays; or ``('scaled', s)``: ``s`` times the
            duration); ``'volume'`` (a factor); ``'convolution'`` (an impulse response file or
            array, or ``(mix, response)`` for a wet/dry mix). Every number may be fixed, a
            ``(low, high)`` pair drawn uniformly per call, or a distribution (``.rvs`` or a
            function of a NumPy Generator).
        seed (int or None): seed of all random draws; the same seed repeats them.

    Raises:
        ValueError: a non-positive rate or size, an unknown normalization, target length or
            augmentation key, a window of the wrong length.

    Example:
        >>> encoder = AudioSpectrogramEncoder()
        >>> encoder(np.zeros(16000, np.float32), sample_rate=16000).shape
        (121, 201)
    """

    def __init__(self, sample_rate=16000, window_size=0.025, offset=None, window="hann", normalization=None,
                 target_length=None, augmentation=None, seed=None):
        if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Integral) or sample_rate <= 0:
            raise ValueError(f"`sample_rate` must be a positive integer (Hz); got {sample_rate!r}.")
        self.sample_rate = int(sample_rate)
        self.window_size = _seconds_or_samples(window_size, self.sample_rate, "window_size")
        self.offset = (max(1, int(round(self.window_size / 3))) if offset is None
                       else _seconds_or_samples(offset, self.sample_rate, "offset"))
        self.window = _window_values(window, self.window_size)
        self.normalization = self._check_normalization(normalization)
        if target_length in (None, "all"):
            self.target_length = None
        elif isinstance(target_length, bool) or not isinstance(target_length, numbers.Real) or target_length <= 0:
            raise ValueError(f"`target_length` must be None/'all', seconds (float) or partitions (int) > 0; "
                             f"got {target_length!r}.")
        else:
            self.target_length = target_length
        self.augmentation = self._check_augmentation(augmentation or {})
        self.rng = np.random.default_rng(seed)

    # ------------------------------------------------------------------ configuration checks

    @staticmethod
    def _check_normalization(normalization):
        if normalization is None:
            return None
        if normalization == "max":
            return ("max", 1.0)
        if (isinstance(normalization, (tuple, list)) and len(normalization) == 2 and normalization[0] in ("max", "rms")
                and isinstance(normalization[1], numbers.Real) and normalization[1] > 0):
            return (normalization[0], float(normalization[1]))
        raise ValueError(f"`normalization` must be None, 'max', ('max', value) or ('rms', value) with value > 0; "
                         f"got {normalization!r}.")

    def _check_augmentation(self, augmentation):
        if not isinstance(augmentation, dict):
            raise ValueError(f"`augmentation` must be a dict with keys from {list(AUGMENTATIONS)}; got {augmentation!r}.")
        unknown = sorted(set(augmentation) - set(AUGMENTATIONS))
        if unknown:
            raise ValueError(f"unknown augmentation key(s) {unknown}; allowed: {list(AUGMENTATIONS)}.")
        checked = {}
        if "volume" in augmentation:
            checked["volume"] = _Parameter(augmentation["volume"], "volume")
        if "time_shift" in augmentation:
            shift = augmentation["time_shift"]
            scaled = isinstance(shift, tuple) and len(shift) == 2 and shift[0] == "scaled"
            checked["time_shift"] = (scaled, _Parameter(shift[1] if scaled else shift, "time_shift"))
        if "noise" in augmentation:
            noise = augmentation["noise"]
            if isinstance(noise, tuple) and len(noise) == 2 and not all(isinstance(v, numbers.Real) for v in noise):
                checked["noise"] = (_Parameter(noise[0], "noise"), self._side_signal(noise[1], "noise"))
            elif isinstance(noise, (str, os.PathLike, np.ndarray)):
                checked["noise"] = (None, self._side_signal(noise, "noise"))
            else:
                checked["noise"] = (_Parameter(noise, "noise"), None)
        if "convolution" in augmentation:
            convolution = augmentation["convolution"]
            if isinstance(convolution, tuple) and len(convolution) == 2:
                checked["convolution"] = (_Parameter(convolution[0], "convolution mix"),
                                          self._side_signal(convolution[1], "convolution"))
            else:
                checked["convolution"] = (_Parameter(1.0, "convolution mix"), self._side_signal(convolution, "convolution"))
        return checked

    def _side_signal(self, source, name):
        """A noise recording or impulse response: a path (resampled to the encoder's rate) or an array."""
        if isinstance(source, (str, os.PathLike)):
            samples, rate = load_audio(source)
            return self._resample(samples.mean(axis=1), rate)
        values = np.asarray(source, dtype=np.float32)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(f"augmentation `{name}`: an array must be 1-D and non-empty (at the encoder's sample "
                             f"rate); got shape {values.shape}.")
        return values

    # ------------------------------------------------------------------ the pipeline

    def _resample(self, samples, rate):
        if rate == self.sample_rate:
            return samples.astype(np.float32)
        import soxr

        return soxr.resample(samples, rate, self.sample_rate, quality="HQ").astype(np.float32)

    def waveform(self, item, sample_rate=None):
        """The mono waveform at the encoder's rate, cut or padded to a target duration (no augmentation)."""
        if isinstance(item, (str, os.PathLike)):
            mono, rate = mono_of_file(*load_audio(item), os.fspath(item))
        else:
            if sample_rate is None:
                raise ValueError("a waveform needs its `sample_rate` (Hz); pass encoder(waveform, sample_rate=...).")
            if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real) or sample_rate <= 0:
                raise ValueError(f"`sample_rate` must be a positive number of Hz; got {sample_rate!r}.")
            samples = np.asarray(item)
            if samples.dtype.kind not in "fiu":
                raise ValueError(f"a waveform must be a real numeric array; got dtype {samples.dtype}.")
            if samples.ndim == 2:  # (frames, channels) as soundfile returns, or (channels, frames) if fewer rows
                samples = samples.mean(axis=1 if samples.shape[0] >= samples.shape[1] else 0)
            if samples.ndim != 1:
                raise ValueError(f"a waveform must be 1-D (mono) or 2-D (with channels); got shape {samples.shape}.")
            if samples.size == 0:
                raise ValueError("the waveform is empty (0 samples).")
            mono, rate = samples.astype(np.float32), int(round(sample_rate))
        mono = self._resample(mono, rate)
        if isinstance(self.target_length, float):
            wanted = int(round(self.target_length * self.sample_rate))
            mono = np.pad(mono[:wanted], (0, max(0, wanted - len(mono))))
        return mono

    def draw(self, length):
        """The random parameters of one item's augmentation, drawn with NumPy in a fixed order.

        Returns a dict with the configured keys: ``'convolution'`` (the wet/dry mix),
        ``'time_shift'`` (samples), ``'volume'`` (a factor), ``'noise'`` (``length`` float32
        samples to add). Drawing is separate from applying them so that a ``tf.data``
        pipeline draws in Python and computes in its graph.
        """
        rng, draws = self.rng, {}
        if "convolution" in self.augmentation:
            draws["convolution"] = np.float32(self.augmentation["convolution"][0].draw(rng))
        if "time_shift" in self.augmentation:
            scaled, shift = self.augmentation["time_shift"]
            seconds = shift.draw(rng) * (length / self.sample_rate if scaled else 1.0)
            draws["time_shift"] = np.int32(round(seconds * self.sample_rate))
        if "volume" in self.augmentation:
            draws["volume"] = np.float32(self.augmentation["volume"].draw(rng))
        if "noise" in self.augmentation:
            amplitude, recording = self.augmentation["noise"]
            if recording is None:
                noise = rng.standard_normal(length) * amplitude.draw(rng)
            else:
                noise = np.resize(recording, length).astype(np.float64)
                if amplitude is not None:
                    rms = np.sqrt(np.mean(noise**2))
                    noise = noise * (amplitude.draw(rng) / rms if rms > 0 else 0.0)
            draws["noise"] = noise.astype(np.float32)
        return draws

    def _augmented(self, signal, draws):
        """``signal`` (a 1-D tensor, eager or in a graph) with the drawn augmentation applied."""
        if "convolution" in draws:
            signal = functional.convolve(signal, self.augmentation["convolution"][1], draws["convolution"])
        if "time_shift" in draws:
            signal = functional.time_shift(signal, draws["time_shift"])
        if "volume" in draws:
            signal = signal * tf.cast(draws["volume"], signal.dtype)
        if "noise" in draws:
            signal = signal + tf.cast(draws["noise"], signal.dtype)
        return signal

    def augment(self, signal):
        """Apply the configured augmentation to a waveform (NumPy in, NumPy out), drawing parameters."""
        return np.asarray(self._augmented(tf.constant(signal), self.draw(len(signal))))

    def _encoded(self, signal, draws):
        """Normalize, augment, partition and cut to the target partitions: TensorFlow ops, eager or in a graph."""
        x = functional.normalize_waveform(signal[tf.newaxis], *(self.normalization or (None,)))[0]
        spectra = functional.partition_spectrogram(self._augmented(x, draws), self.window_size, self.offset,
                                                   self.window)
        if isinstance(self.target_length, numbers.Integral):
            n = int(self.target_length)
            spectra = spectra[:n]
            spectra = tf.pad(spectra, [[0, n - tf.shape(spectra)[0]], [0, 0]])
        return spectra

    def spectrogram(self, signal):
        """Normalized, augmented, partitioned magnitude spectrogram of a waveform at the encoder's rate."""
        _check_finite(signal)
        signal = np.asarray(signal, np.float32)
        return np.asarray(self._encoded(tf.constant(signal), self.draw(len(signal))), dtype=np.float32)

    def encode(self, item, sample_rate=None):
        """One item (path or waveform) -> ``(n, window_size // 2 + 1)`` float32."""
        return self.spectrogram(self.waveform(item, sample_rate))

    def __call__(self, items, sample_rate=None, on_error="raise", progress=None, return_kept=False):
        """Encode one item, or a list (returns a list).

        Args:
            items: a path, a waveform (with ``sample_rate``), a ``(waveform, rate)`` pair, or a
                list of these. A list of waveforms shares one ``sample_rate``; pairs carry their own.
            sample_rate (number or None): rate of waveform items, in Hz.
            on_error (str): for a list, ``'raise'`` (default) stops at the first bad item with
                an error naming its index; ``'skip'`` leaves bad items out with a warning naming
                each (the result is then shorter than ``items``: see ``return_kept``).
            progress (bool or None): a progress bar (``keras.utils.Progbar``, on stdout); None
                shows it for lists of more than 8 items.
            return_kept (bool): for a list, also return the indices of the items encoded, to
                line results up with paths and labels after skipping:
                ``spectra, kept = encoder(paths, on_error='skip', return_kept=True)``, then
                ``[labels[i] for i in kept]``. Defaults to False.

        Example:
            >>> encoder = AudioSpectrogramEncoder()
            >>> items = [np.zeros(800, np.float32), np.zeros(0, np.float32), (np.ones(3200, np.float32), 32000)]
            >>> spectra, kept = encoder(items, sample_rate=16000, on_error="skip", return_kept=True)
            >>> kept, [s.shape for s in spectra]
            ([0, 2], [(7, 201), (13, 201)])
        """
        _check_on_error(on_error)
        if not isinstance(items, list):
            data, rate = _item_and_rate(items, sample_rate)
            return self.encode(data, rate)
        show = len(items) > _PROGRESS_MIN_ITEMS if progress is None else progress
        bar = keras.utils.Progbar(len(items), unit_name="item") if show else None
        results, kept, skipped = [], [], []
        for index, item in enumerate(items):
            data, rate = _item_and_rate(item, sample_rate)
            try:
                results.append(self.encode(data, rate))
                kept.append(index)
            except (ValueError, OSError) as error:
                label = repr(os.fspath(data)) if isinstance(data, (str, os.PathLike)) else "waveform"
                if on_error == "raise":
                    raise type(error)(f"item {index} ({label}): {error}") from None
                skipped.append(f"item {index} ({label}): {error}")
            if bar is not None:
                bar.update(index + 1)
        if skipped:
            warnings.warn(f"skipped {len(skipped)} of {len(items)} items: " + "; ".join(skipped), stacklevel=2)
        return (results, kept) if return_kept else results

    # ------------------------------------------------------------------ integration

    @property
    def n_bins(self):
        """Bins per partition: ``floor(window_size / 2) + 1``."""
        return self.window_size // 2 + 1

    def dataset(self, paths, labels=None, batch_size=32, shuffle=False, num_parallel_calls=tf.data.AUTOTUNE,
                on_error="raise"):
        """A ``tf.data.Dataset`` of spectrogram batches (and labels) from a list of files.

        Files are decoded and resampled in parallel in Python (soundfile, soxr: NumPy only,
        no TensorFlow op runs inside Python); normalization, augmentation and the spectrogram
        are TensorFlow ops of the pipeline's graph. Batches are padded with zero partitions to
        the longest item (set ``target_length`` for equal lengths) and prefetched. Items:
        ``(batch, n, n_bins)`` float32; with labels, ``(spectrograms, labels)``.

        Args:
            paths (list of str or PathLike): audio files.
            labels (array-like or None): one label per path, kept with its file (also when
                shuffled or when files are skipped).
            batch_size (int): items per batch. Defaults to 32.
            shuffle (bool): shuffle the files (with their labels) once, seeded by the
                encoder's ``seed``. Defaults to False.
            num_parallel_calls (int): files decoded at once. Defaults to ``tf.data.AUTOTUNE``.
            on_error (str): ``'raise'`` (default): a file that cannot be read, or holds NaN or
                Inf, stops the pipeline with an error naming it; ``'skip'``: it is left out with
                a warning naming it (its label too).

        With augmentation, parallel items draw from the encoder's generator in the order the
        map runs them; pass ``num_parallel_calls=1`` to repeat a seeded run exactly.
        """
        _check_on_error(on_error)
        paths = [os.fspath(p) for p in paths]
        items = tf.data.Dataset.from_tensor_slices(paths)
        labels = _checked_labels(labels, paths)
        if labels is not None:
            items = tf.data.Dataset.zip((items, tf.data.Dataset.from_tensor_slices(labels)))
        if shuffle:
            items = items.shuffle(len(paths), seed=int(self.rng.integers(2**31)))
        keys = [key for key in AUGMENTATIONS if key in self.augmentation]
        dtypes = {"convolution": tf.float32, "time_shift": tf.int32, "volume": tf.float32, "noise": tf.float32}

        def read(path):  # NumPy only: runs in tf.data's threads
            path = path.decode()
            with _python_calls:
                try:
                    signal = self.waveform(path)
                    _check_finite(signal)
                except (ValueError, OSError) as error:
                    message = str(error) if repr(path) in str(error) else f"{path!r}: {error}"
                    if on_error == "raise":
                        raise type(error)(message) from None
                    warnings.warn(f"skipped {message}", stacklevel=2)
                    return (False, np.zeros(0, np.float32), *(np.zeros((), dtypes[k].as_numpy_dtype) for k in keys))
                draws = self.draw(len(signal))
                return (True, signal, *(draws[key] for key in keys))

        def decode(path, *label):
            ok, signal, *draws = tf.numpy_function(read, [path], [tf.bool, tf.float32] + [dtypes[k] for k in keys],
                                                   stateful=True)
            for tensor, shape in zip([ok, signal, *draws], [[], [None]] + [[None] if k == "noise" else [] for k in keys]):
                tensor.set_shape(shape)
            return (ok, signal, tuple(draws), *label)

        def encode(ok, signal, draws, *label):
            spectra = self._encoded(signal, dict(zip(keys, draws)))
            spectra.set_shape([None, self.n_bins])
            return (spectra, *label) if label else spectra

        data = items.map(decode, num_parallel_calls=num_parallel_calls)
        if on_error == "skip":
            data = data.filter(lambda ok, *rest: ok)
        data = data.map(encode, num_parallel_calls=num_parallel_calls)
        return data.padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)

    def dataset_fn(self, paths, labels=None, global_batch_size=32, **dataset_arguments):
        """A function for ``strategy.distribute_datasets_from_function``: each input pipeline (one per
        worker under ``MultiWorkerMirroredStrategy``) reads only its share of the files.

        Pipeline ``i`` of ``n`` takes files ``i, i + n, i + 2n, ...`` (with their labels) and batches
        them by the per-replica batch size, so no file is decoded twice and each global batch of
        ``global_batch_size`` items holds every pipeline's share (tf.data's automatic sharding
        cannot split a list of paths by file: it would decode every file on every worker).

        Args:
            paths (list of str or PathLike): audio files.
            labels (array-like or None): one label per path.
            global_batch_size (int): items per step over all replicas. Defaults to 32.
            **dataset_arguments: the other arguments of :meth:`dataset` (``shuffle``,
                ``num_parallel_calls``, ``on_error``).

        Returns:
            callable: ``tf.distribute.InputContext -> tf.data.Dataset``.

        Example:
            >>> encoder = AudioSpectrogramEncoder()
            >>> make = encoder.dataset_fn(['a.wav', 'b.wav', 'c.wav'], global_batch_size=4)
            >>> context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=1,
            ...                                      num_replicas_in_sync=2)
            >>> make(context).element_spec.shape  # pipeline 1 reads 'b.wav' only, 2 items per batch
            TensorShape([None, None, 201])
        """
        check_int(global_batch_size, "global_batch_size", "AudioSpectrogramEncoder.dataset_fn", minimum=1)
        paths = [os.fspath(p) for p in paths]
        labels = _checked_labels(labels, paths)

        def make(context):
            index, count = context.input_pipeline_id, context.num_input_pipelines
            return self.dataset(paths[index::count], None if labels is None else labels[index::count],
                                batch_size=context.get_per_replica_batch_size(global_batch_size), **dataset_arguments)

        return make

    def layer(self, seed=None, input_sample_rate=None):
        """The in-graph part as a Keras layer (:class:`AudioSpectrogram`) for a model's input.

        It takes ``(batch, samples)`` waveforms at the encoder's sample rate, or at
        ``input_sample_rate`` (Hz, a whole number) when given: then it first resamples them to the
        encoder's rate in the graph (:class:`~kapre_like.Resample`'s polyphase filter, so the
        numbers differ slightly from the encoder's soxr resampling near the band edge). Then it
        applies the normalization, the augmentation (in training only; white noise, volume and
        time shift with fixed values or ``(low, high)`` ranges; convolution with a fixed array) and
        the spectrogram. Reading files and distribution objects stay outside the graph.
        """
        augmentation = {}
        for key, value in self.augmentation.items():
            if key == "volume":
                augmentation["volume"] = _graph_range(value)
            elif key == "time_shift":
                scaled, parameter = value
                if scaled:
                    raise ValueError("layer(): a scaled time shift depends on each item's duration; give seconds.")
                augmentation["time_shift"] = _graph_range(parameter)
            elif key == "noise":
                amplitude, recording = value
                if recording is not None:
                    raise ValueError("layer(): noise recordings are not supported in the graph; give an amplitude.")
                augmentation["noise"] = _graph_range(amplitude)
            elif key == "convolution":
                mix, response = value
                augmentation["convolution"] = (_graph_range(mix)[0], response.tolist())
        return AudioSpectrogram(window_size=self.window_size, offset=self.offset, window=self.window.tolist(),
                                normalization=list(self.normalization) if self.normalization else None,
                                augmentation=augmentation, sample_rate=self.sample_rate, seed=seed,
                                input_sample_rate=input_sample_rate)


def _graph_range(parameter):
    if parameter.kind == "fixed":
        return (parameter.value, parameter.value)
    if parameter.kind == "uniform":
        return parameter.value
    raise ValueError(f"layer(): augmentation `{parameter.name}` uses a distribution object, which cannot run in "
                     f"the graph; give a number or a (low, high) range.")


@_register
class AudioSpectrogram(AudioLayer):
    """Normalize, augment (in training) and partition-transform ``(batch, samples)`` waveforms.

    The in-graph part of :class:`AudioSpectrogramEncoder`; build it with
    ``encoder.layer()``. Output ``(batch, ceil(samples / offset), window_size // 2 + 1)``.

    Args:
        window_size (int), offset (int): in samples.
        window (list of float): ``window_size`` values.
        normalization (list or None): ``['max', v]``, ``['rms', v]`` or None.
        augmentation (dict): ``volume``/``time_shift`` (seconds)/``noise`` (RMS) as
            ``(low, high)`` ranges, ``convolution`` as ``(mix, response list)``.
        sample_rate (int): Hz, to turn time shifts into samples.
        seed (int or None): seed of the random draws.
        input_sample_rate (int or None): the rate of the input waveforms in Hz, when not
            ``sample_rate``: they are resampled to ``sample_rate`` first (polyphase, as
            :class:`~kapre_like.Resample`).

    Example:
        >>> layer = AudioSpectrogramEncoder().layer()
        >>> layer(np.zeros((2, 16000), np.float32)).shape
        TensorShape([2, 121, 201])
    """

    def __init__(self, window_size, offset, window, normalization=None, augmentation=None, sample_rate=16000,
                 seed=None, input_sample_rate=None, **kwargs):
        super().__init__(**kwargs)
        self.input_sample_rate = None if input_sample_rate is None else \
            check_rate(input_sample_rate, "input_sample_rate", "AudioSpectrogram")
        # (up, down, kernel) of the polyphase resampler, checked by Resample; not a sublayer: nothing to build
        resampler = None if input_sample_rate in (None, sample_rate) else Resample(self.input_sample_rate,
                                                                                     int(sample_rate))
        self.resampling = None if resampler is None else (resampler.up, resampler.down, resampler.kernel)
        self.window_size = int(window_size)
        self.offset = int(offset)
        self.window = list(window)
        self.normalization = None if normalization is None else list(normalization)
        self.augmentation = {key: list(value) if isinstance(value, tuple) else value
                             for key, value in (augmentation or {}).items()}
        self.sample_rate = int(sample_rate)
        self.seed = seed
        self.seed_generator = keras.random.SeedGenerator(seed)
        self.input_spec = keras.InputSpec(ndim=2)

    def _uniform(self, batch, bounds):
        low, high = bounds
        return keras.random.uniform((batch, 1), low, high, seed=self.seed_generator) if high > low else \
            tf.fill([batch, 1], float(low))

    def call(self, inputs, training=None):
        x = functional.check_finite(self._float_input(inputs, "a real floating-point waveform batch"),
                                    self.finite_message)
        if self.resampling is not None:
            x = functional.resample(x, *self.resampling)
        if self.normalization:
            x = functional.normalize_waveform(x, *self.normalization)
        if training and self.augmentation:
            batch = tf.shape(x)[0]
            if "convolution" in self.augmentation:
                mix, response = self.augmentation["convolution"]
                x = functional.convolve(x, response, mix)
            if "time_shift" in self.augmentation:
                shifts = tf.cast(tf.round(self._uniform(batch, self.augmentation["time_shift"]) * self.sample_rate),
                                 tf.int32)
                x = tf.map_fn(lambda pair: functional.time_shift(pair[0], pair[1][0]), (x, shifts),
                              fn_output_signature=x.dtype)
            if "volume" in self.augmentation:
                x = x * tf.cast(self._uniform(batch, self.augmentation["volume"]), x.dtype)
            if "noise" in self.augmentation:
                amplitude = tf.cast(self._uniform(batch, self.augmentation["noise"]), x.dtype)
                x = x + amplitude * keras.random.normal(tf.shape(x), dtype=x.dtype, seed=self.seed_generator)
        return self.cast_output(functional.partition_spectrogram(x, self.window_size, self.offset, self.window))

    def compute_output_shape(self, input_shape):
        samples = input_shape[1]
        if samples is not None and self.resampling is not None:
            samples = functional.resampled_length(samples, *self.resampling[:2])
        partitions = None if samples is None else -(-samples // self.offset)
        return (input_shape[0], partitions, self.window_size // 2 + 1)

    def get_config(self):
        config = super().get_config()
        # plain Python copies: Keras wraps list and dict attributes in trackers that do not deep-copy
        config.update(json.loads(json.dumps({
            "window_size": self.window_size, "offset": self.offset, "window": list(self.window),
            "normalization": None if self.normalization is None else list(self.normalization),
            "augmentation": {key: list(value) if isinstance(value, (list, tuple)) else value
                             for key, value in dict(self.augmentation).items()},
            "sample_rate": self.sample_rate, "seed": self.seed, "input_sample_rate": self.input_sample_rate,
        }, default=list)))
        return config
