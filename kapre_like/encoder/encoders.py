"""The encoders: an audio file or waveform in, float32 features out, with the same reading,
resampling, target duration, normalization and augmentation for every kind of feature.

:class:`AudioEncoder` holds what every encoder shares (items to waveforms, the augmentation's
draws, lists with progress, ``tf.data`` pipelines, Beam); a subclass gives the transform
(:meth:`AudioEncoder.transform`), the shape of one item and the in-graph layer.
"""

import inspect
import numbers
import os
import warnings

import keras
import numpy as np
import tensorflow as tf

from .. import audio_io, functional
from . import augmenting, datasets
from .features import feature_bins, feature_settings, partition_features
from .layer import AudioSpectrogram
from .settings import (check_on_error, check_sample_rate, checked_normalization, checked_target_length,
                       item_and_rate, seconds_or_samples, window_values)

PROGRESS_MIN_ITEMS = 8  # lists longer than this show a progress bar by default


class AudioEncoder:
    """What every encoder shares: items (paths, waveforms) to mono waveforms at ``sample_rate``,
    cut or padded to a target duration, normalized and augmented; lists, ``tf.data`` and Beam.

    A subclass sets ``self.window_size``/``self.offset`` as it needs and defines
    :meth:`transform` (TensorFlow ops from a waveform and the augmentation's draws to the
    features), :attr:`item_shape` and :meth:`layer`.
    """

    def __init__(self, sample_rate=16000, normalization=None, target_length=None, augmentation=None, seed=None, *,
                 start=None, duration=None):
        self.sample_rate = check_sample_rate(sample_rate)
        self.start, self.duration = audio_io.checked_part(start, duration, offset_name="start")
        self.normalization = checked_normalization(normalization)
        self.target_length = checked_target_length(target_length)
        self.augmentation = augmenting.checked_augmentation(augmentation or {}, self.sample_rate)
        self.rng = np.random.default_rng(seed)

    # ------------------------------------------------------------------ subclasses define

    def transform(self, signal, draws):
        """Normalize, augment and transform a 1-D waveform tensor: TensorFlow ops, eager or in a graph."""
        raise NotImplementedError

    @property
    def item_shape(self):
        """The static shape of one item's features (None where it depends on the item's length)."""
        raise NotImplementedError

    # ------------------------------------------------------------------ the pipeline

    def waveform(self, item, sample_rate=None):
        """The mono waveform at the encoder's rate, cut or padded to a target duration (no augmentation)."""
        if isinstance(item, (str, os.PathLike)):
            mono, rate = audio_io.load_audio(item, channel="mix", offset=self.start, duration=self.duration)
        else:
            if sample_rate is None:
                raise ValueError("a waveform needs its `sample_rate` (Hz); pass encoder(waveform, sample_rate=...).")
            if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Real) \
                    or not sample_rate > 0:
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
        mono = audio_io.resample(mono, rate, self.sample_rate)
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
        return augmenting.draw(self.augmentation, self.rng, length, self.sample_rate)

    def augment(self, signal):
        """Apply the configured augmentation to a waveform (NumPy in, NumPy out), drawing parameters."""
        return np.asarray(augmenting.apply(self.augmentation, tf.constant(signal), self.draw(len(signal))))

    def normalized_and_augmented(self, signal, draws):
        """The first steps of :meth:`transform`: the normalization, then the drawn augmentation."""
        x = functional.normalize_waveform(signal[tf.newaxis], *(self.normalization or (None,)))[0]
        return augmenting.apply(self.augmentation, x, draws)

    def encoded_waveform(self, signal):
        """The features of a waveform at the encoder's rate, normalized and augmented (NumPy: float32,
        complex64 for complex features)."""
        audio_io.check_finite(signal)
        signal = np.asarray(signal, np.float32)
        return np.asarray(self.transform(tf.constant(signal), self.draw(len(signal))))

    def encode(self, item, sample_rate=None):
        """One item (path or waveform) -> its features."""
        return self.encoded_waveform(self.waveform(item, sample_rate))

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
        check_on_error(on_error)
        if not isinstance(items, list):
            data, rate = item_and_rate(items, sample_rate)
            return self.encode(data, rate)
        show = len(items) > PROGRESS_MIN_ITEMS if progress is None else progress
        bar = keras.utils.Progbar(len(items), unit_name="item") if show else None
        results, kept, skipped = [], [], []
        for index, item in enumerate(items):
            data, rate = item_and_rate(item, sample_rate)
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
        return datasets.dataset(self, paths, labels, batch_size, shuffle, num_parallel_calls, on_error)

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
        return datasets.dataset_fn(self, paths, labels, global_batch_size,
                                   owner=f"{type(self).__name__}.dataset_fn", **dataset_arguments)


class AudioSpectrogramEncoder(AudioEncoder):
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
        start (float or None, keyword only): seconds skipped at the start of each file (librosa's
            ``offset``: here ``offset`` is the partition step). Defaults to None (the start).
        duration (float or None, keyword only): seconds read from each file. Defaults to None (to
            the end). Waveforms given as arrays are used whole.

    Raises:
        ValueError: a non-positive rate or size, an unknown normalization, target length or
            augmentation key, a window of the wrong length.

    Example:
        >>> encoder = AudioSpectrogramEncoder()
        >>> encoder(np.zeros(16000, np.float32), sample_rate=16000).shape
        (121, 201)
    """


    def __init__(self, sample_rate=16000, window_size=0.025, offset=None, window="hann", normalization=None,
                 target_length=None, augmentation=None, seed=None, *, start=None, duration=None):
        super().__init__(sample_rate, normalization, target_length, augmentation, seed, start=start, duration=duration)
        self.window_size = seconds_or_samples(window_size, self.sample_rate, "window_size")
        self.offset = (max(1, int(round(self.window_size / 3))) if offset is None
                       else seconds_or_samples(offset, self.sample_rate, "offset"))
        self.window = window_values(window, self.window_size)
        self.features = feature_settings("magnitude", self.sample_rate, self.window_size)

    @classmethod
    def from_preset(cls, preset, **arguments):
        """The encoder with a named preset's settings (:data:`kapre_like.presets.PRESETS`: ``'speech'``,
        ``'music'``, ...): its sample rate, window (``win_length`` samples, the FFT's size here) and step, and for
        the mel and MFCC encoders its mel bands, range, scale, power and decibels; the ``arguments`` given win.

        Partitions are not centred (the encoders' framing): the frames are the preset's factory's with
        ``center=False``. At another ``sample_rate`` the window and step keep the preset's durations (25 ms and
        10 ms for ``'speech'``), and a mel range reaching past the new Nyquist frequency ends there.

        Example:
            >>> AudioMelSpectrogramEncoder.from_preset("speech")(np.zeros(16000, np.float32), sample_rate=16000).shape
            (100, 80)
        """
        from ..presets import get_preset

        preset = get_preset(preset)
        chosen = preset.encoder_arguments()
        rate = arguments.get("sample_rate", preset.sample_rate)
        if rate != preset.sample_rate:  # the preset's durations, in seconds, at the rate asked for
            chosen["window_size"] = preset.win_length / preset.sample_rate
            chosen["offset"] = preset.hop_length / preset.sample_rate
            if chosen["f_max"] is not None and chosen["f_max"] >= rate / 2:
                chosen["f_max"] = None
        accepted = inspect.signature(cls.__init__).parameters
        return cls(**{**{name: value for name, value in chosen.items() if name in accepted}, **arguments})

    @property
    def n_bins(self):
        """Values per partition: ``floor(window_size / 2) + 1`` frequency bins (mels or coefficients in
        the mel and MFCC encoders)."""
        return feature_bins(self.features, self.window_size)

    @property
    def item_shape(self):
        return [None, self.n_bins]

    def transform(self, signal, draws):
        """Normalize, augment, partition and cut to the target partitions: TensorFlow ops, eager or in a graph."""
        spectra = partition_features(self.normalized_and_augmented(signal, draws), self.window_size, self.offset,
                                     self.window, **self.features)
        if isinstance(self.target_length, numbers.Integral):
            n = int(self.target_length)
            spectra = spectra[:n]
            spectra = tf.pad(spectra, [[0, n - tf.shape(spectra)[0]], [0, 0]])
        return spectra

    def spectrogram(self, signal):
        """The normalized, augmented, partitioned features of a waveform at the encoder's rate (NumPy)."""
        return self.encoded_waveform(signal)

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
        return AudioSpectrogram(window_size=self.window_size, offset=self.offset, window=self.window.tolist(),
                                normalization=list(self.normalization) if self.normalization else None,
                                augmentation=augmenting.graph_ranges(self.augmentation), sample_rate=self.sample_rate,
                                seed=seed, input_sample_rate=input_sample_rate, features=self.features)


_PARTITIONS = """
    Partition ``t`` covers samples ``[t * offset, t * offset + window_size)`` of the (resampled)
    signal; the end is zero-padded so that ``n = ceil(length / offset)`` partitions are all
    complete. Reading, normalization, augmentation, target length, :meth:`dataset`,
    :meth:`layer` and Beam are :class:`AudioSpectrogramEncoder`'s; its arguments are taken here
    too (``sample_rate``, ``window_size``, ``offset``, ``window``, ``normalization``,
    ``target_length``, ``augmentation``, ``seed``).
"""


class AudioSTFTEncoder(AudioSpectrogramEncoder):
    __doc__ = """Audio file or waveform -> complex64 spectra ``(n, floor(window_size / 2) + 1)``.
""" + _PARTITIONS + """
    Each partition is windowed and transformed with a real FFT of ``window_size`` points: the
    result equals ``librosa.stft(y, n_fft=window_size, hop_length=offset, window=window,
    center=False)`` of the end-padded signal, transposed.

    Example:
        >>> AudioSTFTEncoder()(np.zeros(16000, np.float32), sample_rate=16000).dtype
        dtype('complex64')
    """

    def __init__(self, sample_rate=16000, window_size=0.025, offset=None, window="hann", normalization=None,
                 target_length=None, augmentation=None, seed=None, *, start=None, duration=None):
        super().__init__(sample_rate, window_size, offset, window, normalization, target_length, augmentation, seed,
                         start=start, duration=duration)
        self.features = feature_settings("stft", self.sample_rate, self.window_size)


class AudioMelSpectrogramEncoder(AudioSpectrogramEncoder):
    __doc__ = """Audio file or waveform -> float32 mel spectrogram ``(n, n_mels)``, in decibels by default.
""" + _PARTITIONS + """
    The power spectrum of each partition (``|X| ** power``) is weighed by librosa's mel
    filterbank for ``n_fft = window_size``; with ``log`` (the default) the result is
    ``10 * log10(max(mel, amin))``: ``librosa.power_to_db(librosa.feature.melspectrogram(...),
    ref=1.0, amin=amin, top_db=None)``.

    Args:
        n_mels (int): mel bands. Defaults to 64.
        f_min (float): lowest frequency, Hz. Defaults to 0.
        f_max (float or None): highest frequency, Hz. Defaults to None (``sample_rate / 2``).
        htk (bool): HTK's mel scale instead of Slaney's. Defaults to False.
        norm (None or 'slaney'): the filters' normalization. Defaults to 'slaney'.
        power (float): exponent of the magnitude (2: power, 1: magnitude). Defaults to 2.
        log (bool): decibels (True, the default) or the linear mel energies.
        amin (float): floor of the energies before the log. Defaults to 1e-10.

    Example:
        >>> AudioMelSpectrogramEncoder()(np.zeros(16000, np.float32), sample_rate=16000).shape
        (121, 64)
    """

    def __init__(self, sample_rate=16000, window_size=0.025, offset=None, window="hann", n_mels=64, f_min=0.0,
                 f_max=None, htk=False, norm="slaney", power=2.0, log=True, amin=1e-10, normalization=None,
                 target_length=None, augmentation=None, seed=None, *, start=None, duration=None):
        super().__init__(sample_rate, window_size, offset, window, normalization, target_length, augmentation, seed,
                         start=start, duration=duration)
        self.features = feature_settings("mel", self.sample_rate, self.window_size, n_mels, f_min, f_max, htk, norm,
                                         power, log, amin, owner=type(self).__name__)


class AudioMFCCEncoder(AudioSpectrogramEncoder):
    __doc__ = """Audio file or waveform -> float32 MFCCs ``(n, n_mfcc)``.
""" + _PARTITIONS + """
    The first ``n_mfcc`` coefficients of the orthonormal DCT-II of the log-mel spectrogram of
    :class:`AudioMelSpectrogramEncoder` (decibels): ``librosa.feature.mfcc(S=log_mel, n_mfcc=n_mfcc)``.

    Args:
        n_mfcc (int): coefficients, at most ``n_mels``. Defaults to 20 (librosa's).
        n_mels, f_min, f_max, htk, norm, power, amin: the mel spectrogram's, as
            :class:`AudioMelSpectrogramEncoder`'s (``n_mels`` defaults to 64).

    Example:
        >>> AudioMFCCEncoder()(np.zeros(16000, np.float32), sample_rate=16000).shape
        (121, 20)
    """

    def __init__(self, sample_rate=16000, window_size=0.025, offset=None, window="hann", n_mfcc=20, n_mels=64,
                 f_min=0.0, f_max=None, htk=False, norm="slaney", power=2.0, amin=1e-10, normalization=None,
                 target_length=None, augmentation=None, seed=None, *, start=None, duration=None):
        super().__init__(sample_rate, window_size, offset, window, normalization, target_length, augmentation, seed,
                         start=start, duration=duration)
        self.features = feature_settings("mfcc", self.sample_rate, self.window_size, n_mels, f_min, f_max, htk, norm,
                                         power, True, amin, n_mfcc, owner=type(self).__name__)
