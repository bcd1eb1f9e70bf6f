"""The command-line tool's jobs: spectrogram pictures, the STFT round trip, front-end export.

The tool's front door (arguments, help, checks that need no TensorFlow) is the top-level
module :mod:`kapre_like_cli`, so that ``kapre-like --help`` answers before TensorFlow is
imported; :func:`main` here is the same function. The functions below are plain library
functions (NumPy in, NumPy out) that the tool calls once its arguments are checked.
"""

import argparse
import contextlib
import os
import sys
import warnings

import numpy as np

from kapre_like_cli import (BUILTIN_RATE, DEFAULT_BINS, DEFAULT_OUT, PROG, CommandError, main,
                            native_output_silenced, replaced_on_success)

__all__ = ["main", "run", "load_audio", "build_frontend", "bin_frequencies", "frontend_bins", "draw_spectrogram",
           "round_trip", "reconstruct", "export_frontend", "CommandError"]

#: Semitones of the log-frequency front end.
BINS_PER_OCTAVE = 12
#: Warnings ``encode`` prints (the spec lists them all).
MAX_WARNINGS_SHOWN = 10
#: Samples of audio one block of work holds (11.9 s at 44.1 kHz): long files are read and computed a block at a
#: time, in memory that does not grow with their length (TensorFlow's own 0.6-0.8 GB plus about 0.1 GB).
BLOCK_SAMPLES = 2**19
#: Files longer than this (3.2 min at 44.1 kHz) are read a block at a time; shorter ones whole, by :func:`load_audio`.
LONG_FILE_SAMPLES = 2**23
#: Most time columns a picture gets (it is 1000 pixels wide): longer spectrograms show each column's loudest frame.
MAX_COLUMNS = 2000


# ----------------------------------------------------------------------------- inputs


def load_audio(path, channel="mix", sample_rate=None):
    """Float32 samples of one channel (or their mean, ``'mix'``) of ``path`` and their rate,
    resampled to ``sample_rate`` (soxr, high quality) when given; CommandError naming the file otherwise."""
    from .encoder import AudioReadError
    from .encoder import load_audio as read

    try:
        samples, rate = read(path)
    except (FileNotFoundError, IsADirectoryError) as error:
        raise CommandError(f"{error}; give an existing WAV/FLAC/OGG file or none for the built-in signal") from None
    except AudioReadError as error:
        raise CommandError(f"{error}; is it a WAV, FLAC or OGG file?") from None
    if samples.shape[0] == 0:
        raise CommandError(f"audio file {path!r} has no samples")
    if channel == "mix":
        mono = samples.mean(axis=1)
    elif channel < samples.shape[1]:
        mono = samples[:, channel]
    else:
        raise CommandError(f"--channel {channel}: {os.path.basename(path)} has {samples.shape[1]} channel(s), "
                           f"numbered from 0; give one of them or 'mix'")
    if sample_rate and sample_rate != rate:
        import soxr

        mono, rate = soxr.resample(mono, rate, sample_rate, quality="HQ").astype(np.float32), sample_rate
    return mono.astype(np.float32), rate


def _signal(args):
    """(samples, sample_rate, title) of the file in ``args.audio`` or the built-in signal."""
    if getattr(args, "audio", None):
        samples, sample_rate = load_audio(args.audio, args.channel, args.sr)
        return samples, sample_rate, os.path.basename(args.audio)
    from .synthetic import demo_signal

    rate = getattr(args, "sr", None) or BUILTIN_RATE
    return demo_signal(args.duration, rate), rate, "built-in signal (chirp, tones, speech)"


class Signal:
    """A mono signal that is read a block at a time: ``len()`` samples at ``rate`` Hz; :meth:`chunks` yields
    them in order. From an array (:meth:`of_array`) or a file too long to hold at once (:meth:`of_file`)."""

    def __init__(self, length, rate, title, chunks):
        self.length, self.rate, self.title, self._chunks = length, rate, title, chunks

    def __len__(self):
        return self.length

    def chunks(self):
        return self._chunks()

    @classmethod
    def of_array(cls, samples, rate, title):
        samples = np.asarray(samples, np.float32)
        return cls(len(samples), rate, title, lambda: iter((samples,)))

    @classmethod
    def of_file(cls, path, channel="mix", sample_rate=None):
        """The file's channel (or mix), resampled when ``sample_rate`` differs (soxr's stream: the same
        filter as :func:`load_audio`'s, in pieces); a file of at most :data:`LONG_FILE_SAMPLES` frames is
        read whole by :func:`load_audio` (its checks and warnings)."""
        import soundfile

        info = soundfile.info(path)
        if info.frames <= LONG_FILE_SAMPLES:
            samples, rate = load_audio(path, channel, sample_rate)
            return cls.of_array(samples, rate, os.path.basename(path))
        if channel != "mix" and channel >= info.channels:
            raise CommandError(f"--channel {channel}: {os.path.basename(path)} has {info.channels} channel(s), "
                               f"numbered from 0; give one of them or 'mix'")
        rate = sample_rate or info.samplerate
        length = info.frames if rate == info.samplerate else int(round(info.frames * rate / info.samplerate))

        def chunks():
            resampler = None
            if rate != info.samplerate:
                import soxr

                resampler = soxr.ResampleStream(info.samplerate, rate, 1, dtype="float32", quality="HQ")
            with soundfile.SoundFile(path) as handle:
                while True:
                    block = handle.read(BLOCK_SAMPLES, dtype="float32", always_2d=True)
                    last = len(block) < BLOCK_SAMPLES
                    mono = block.mean(axis=1) if channel == "mix" else block[:, channel]
                    if resampler is not None:
                        mono = resampler.resample_chunk(np.ascontiguousarray(mono, np.float32), last=last)
                    yield np.ascontiguousarray(mono, np.float32)
                    if last:
                        return

        return cls(length, rate, os.path.basename(path), chunks)


def _long_signal(args):
    """:class:`Signal` of the file in ``args.audio`` (read in blocks when long) or the built-in signal."""
    if getattr(args, "audio", None):
        return Signal.of_file(args.audio, args.channel, args.sr)
    return Signal.of_array(*_signal(args))


def frame_blocks(signal, n_fft, hop_length, frames, context=0, center=False):
    """``(its first frame, the first frame it owns, samples)`` pieces of ``signal`` (a :class:`Signal`) for work
    in blocks: piece ``k`` owns frames ``k * frames`` to ``(k + 1) * frames`` and holds ``context`` more on
    each side (clipped to the signal's), frame ``t`` being samples ``t * hop_length`` to
    ``t * hop_length + n_fft`` (after ``n_fft // 2`` zeros at each end with ``center``): the frames of a block
    are the whole signal's, and a computation that reaches ``context`` frames gives the whole signal's numbers."""
    pad = np.zeros(n_fft // 2 if center else 0, np.float32)
    total = functional_frame_count(len(signal), n_fft, hop_length, center)
    buffer, start = pad, 0  # buffer holds the samples from frame ``start`` on
    first = 0

    def ready(final):
        nonlocal buffer, start, first, total
        if final:  # a resampled stream may end a sample short of its rounded length
            total = min(total, start + max(0, 1 + (len(buffer) - n_fft) // hop_length))
        while first < total:
            lo, hi = max(0, first - context), min(total, first + frames + context)
            end = (hi - start - 1) * hop_length + n_fft  # samples the piece needs, from the buffer's start
            if len(buffer) < end and not final:
                return
            begin = (lo - start) * hop_length
            yield lo, first, buffer[begin:end]
            first += frames
            keep = max(0, first - context)  # frames the next piece needs from here on
            buffer, start = buffer[(keep - start) * hop_length:], keep

    for chunk in signal.chunks():
        buffer = np.concatenate([buffer, chunk])
        yield from ready(False)
    buffer = np.concatenate([buffer, pad])
    yield from ready(True)


def functional_frame_count(length, n_fft, hop_length, center):
    from .functional import frame_count

    return frame_count(length, n_fft, hop_length, center=center)


def _progress(total, unit, enabled):
    """A keras.utils.Progbar of ``total`` blocks on a terminal for work of more than one block, else None."""
    if not enabled or total <= 1 or not sys.stdout.isatty():
        return None
    import keras

    return keras.utils.Progbar(total, unit_name=unit)


def check_length(samples, sample_rate, n_fft, center, title):
    """A CommandError in the tool's terms for audio shorter than one frame."""
    if not center and len(samples) < n_fft:
        raise CommandError(f"{title} lasts {len(samples) / sample_rate:.3f} s ({len(samples)} samples at "
                           f"{sample_rate} Hz), shorter than one --n-fft frame of {n_fft} samples "
                           f"({1000 * n_fft / sample_rate:.0f} ms); give a longer file, a smaller --n-fft or --center")


def check_hop(n_fft, hop_length):
    if hop_length > n_fft:
        raise CommandError(f"--hop {hop_length} is longer than --n-fft {n_fft}: samples between frames would be "
                           f"skipped; give --hop {n_fft} or less")


# ----------------------------------------------------------------------------- front ends


def frontend_bins(kind, sample_rate, n_bins=None, f_min=None, f_max=None):
    """The bins a front end gets: ``n_bins``, or the default (128 mel bands; 84 log-frequency bins,
    fewer when the top ones would pass ``f_max`` or half the sample rate); CommandError in the tool's
    terms when the log-frequency bins asked for do not fit."""
    if kind == "stft":
        return None
    if kind == "mel":
        return n_bins or DEFAULT_BINS["mel"]
    from .filters import C1_HZ

    lowest = f_min or C1_HZ
    top = min(f_max or sample_rate // 2, sample_rate // 2)
    fitting = int(np.floor(BINS_PER_OCTAVE * np.log2(top / lowest) + 1e-9)) if top > lowest else 0
    if fitting < 1:
        raise CommandError(f"no log-frequency bin fits between --fmin {lowest:.1f} Hz and {top:g} Hz; lower --fmin")
    if n_bins is None:
        return min(DEFAULT_BINS["log"], fitting)
    if n_bins > fitting:
        reach = lowest * 2.0 ** (n_bins / BINS_PER_OCTAVE)
        limit = "--fmax" if f_max and f_max < sample_rate // 2 else f"half the sample rate ({sample_rate // 2} Hz)"
        raise CommandError(f"--bins {n_bins} semitones from {lowest:.1f} Hz reach {reach:.0f} Hz, above {limit}; "
                           f"give --bins {fitting} or fewer, a lower --fmin or a higher --sr")
    return n_bins


def default_log_fmin(sample_rate, n_fft, n_bins=None, f_max=None):
    """The lowest bin's centre the log-frequency front end gets when ``--fmin`` is not given: C1
    (32.7 Hz), or the lowest C above it from which every bin gets weight from the FFT's bins
    (at 44.1 kHz and n_fft 1024 those are 43 Hz apart and the semitones below 40 Hz fall between
    them: silent bins, black stripes in the picture)."""
    from .filters import C1_HZ, log_filterbank

    top = min(f_max or sample_rate // 2, sample_rate // 2)
    for octave in range(8):
        lowest = C1_HZ * 2.0**octave
        fitting = int(np.floor(BINS_PER_OCTAVE * np.log2(top / lowest) + 1e-9)) if top > lowest else 0
        count = n_bins or min(DEFAULT_BINS["log"], fitting)
        if count < 1 or count > fitting:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its warning about the silent bins: the reason to try the next C
            weights = log_filterbank(sample_rate, n_fft // 2 + 1, count, BINS_PER_OCTAVE, lowest, n_fft=n_fft)
        if np.all(weights.sum(axis=0) >= 0.5):  # log_filterbank's own test of an empty bin
            return lowest
    return C1_HZ  # none fits better: log_filterbank warns about the silent bins


def build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, tflite=False, center=False, f_min=None,
                   f_max=None, dynamic_range=80.0):
    """A log-spectrogram front end, ``(batch, n_samples, 1)`` -> ``(batch, frames, bins, 1)`` in dB.

    ``kind``: 'mel', 'stft' (magnitude) or 'log' (log-frequency). With ``tflite`` the STFT and
    magnitude are the TFLite layers (same numbers, TFLite built-in ops only); with ``center``,
    frames centred on ``t * hop_length`` (librosa's default). ``f_min``/``f_max`` (Hz): the mel
    filterbank's edges; ``f_min``: the centre of the lowest log-frequency bin. ``dynamic_range``: dB kept
    below the loudest (None: no floor).
    """
    import keras

    from .time_frequency import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel
    from .time_frequency_tflite import MagnitudeTflite, STFTTflite

    layout = dict(input_data_format="channels_last", output_data_format="channels_last")
    stft_class, magnitude_class = (STFTTflite, MagnitudeTflite) if tflite else (STFT, Magnitude)
    layers = [keras.Input((n_samples, 1)), stft_class(n_fft=n_fft, hop_length=hop_length, center=center, **layout),
              magnitude_class()]
    n_freq = n_fft // 2 + 1
    if kind == "mel":
        layers.append(ApplyFilterbank("mel", {"sample_rate": sample_rate, "n_freq": n_freq, "n_mels": n_bins,
                                              "n_fft": n_fft, "f_min": f_min or 0.0, "f_max": f_max},
                                      data_format="channels_last"))
    elif kind == "log":
        layers.append(ApplyFilterbank("log", {"sample_rate": sample_rate, "n_freq": n_freq, "n_bins": n_bins,
                                              "n_fft": n_fft, "f_min": f_min, "bins_per_octave": BINS_PER_OCTAVE},
                                      data_format="channels_last"))
    layers.append(MagnitudeToDecibel(stype="magnitude", dynamic_range=dynamic_range))
    return keras.Sequential(layers, name=f"{kind}_frontend")


def bin_frequencies(kind, sample_rate, n_fft, n_bins, f_min=None, f_max=None):
    """Centre frequency (Hz) of every output bin of a front end."""
    if kind == "stft":
        return np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    if kind == "mel":
        import librosa

        return librosa.mel_frequencies(n_bins + 2, fmin=f_min or 0.0, fmax=f_max or sample_rate / 2)[1:-1]
    from .filters import C1_HZ

    return (f_min or C1_HZ) * 2.0 ** (np.arange(n_bins) / BINS_PER_OCTAVE)


# ----------------------------------------------------------------------------- pictures


_ROUND_HZ = (0, 100, 200, 500, 1000, 2000, 3000, 5000, 8000, 10000, 16000, 20000,
             30000, 40000)


def _round_frequency_ticks(frequencies, count=8):
    """(positions on the bin axis, labels) at round frequencies within the bins' range, at least
    1/count of the axis apart."""
    positions, labels = [], []
    for hz in _ROUND_HZ:
        if frequencies[0] <= hz <= frequencies[-1]:
            position = float(np.interp(hz, frequencies, np.arange(len(frequencies))))
            if not positions or position - positions[-1] >= len(frequencies) / count:
                positions.append(position)
                labels.append(f"{hz:g}")
    return positions, labels


def _note_ticks(frequencies):
    """(positions, labels) of every C (C1, C2, ...) within the log-frequency bins' range."""
    positions, labels = [], []
    for octave in range(-1, 11):
        hz = 440.0 * 2.0 ** ((12 * (octave + 1) - 69) / 12)  # C of that octave (MIDI note 12 * (octave + 1))
        if frequencies[0] * 0.999 <= hz <= frequencies[-1] * 1.001:
            positions.append(BINS_PER_OCTAVE * np.log2(hz / frequencies[0]))
            labels.append(f"C{octave}")
    return positions, labels


def spectrogram_blocks(signal, kind, n_fft, hop_length, n_bins, center=False, f_min=None, f_max=None,
                       block_frames=None):
    """The ``kind`` spectrogram of ``signal`` (a :class:`Signal`) in dB without a floor, in consecutive blocks of
    ``block_frames`` frames (default: :data:`BLOCK_SAMPLES` worth): the whole signal's numbers, a block at a time."""
    block_frames = block_frames or max(1, BLOCK_SAMPLES // hop_length)
    models = {}  # one per piece length: every full block, then the last
    for _, _, piece in frame_blocks(signal, n_fft, hop_length, block_frames, center=center):
        if len(piece) not in models:
            try:
                models[len(piece)] = build_frontend(kind, len(piece), signal.rate, n_fft, hop_length, n_bins,
                                                    f_min=f_min, f_max=f_max, dynamic_range=None)
            except ValueError as error:
                raise CommandError(str(error).splitlines()[0]) from None
        yield np.asarray(models[len(piece)](piece[None, :, None]))[0, :, :, 0]


def _columns(block, group):
    """The loudest frame of each ``group`` consecutive frames of ``block`` (a picture's time columns)."""
    whole = len(block) // group * group
    parts = [block[:whole].reshape(-1, group, block.shape[1]).max(axis=1)] if whole else []
    if whole < len(block):
        parts.append(block[whole:].max(axis=0, keepdims=True))
    return np.concatenate(parts)


def compute_spectrogram(signal, kind, n_fft, hop_length, n_bins, center=False, f_min=None, f_max=None, save=None,
                        progress=False):
    """The ``kind`` log-spectrogram of ``signal`` (a :class:`Signal` or an array with ``signal.rate``), computed a
    block at a time (memory bounded whatever its length), ``MagnitudeToDecibel``'s 80 dB floor applied against
    the whole spectrogram's peak, as one pass over the whole signal gives it.

    Returns ``(columns, frame times in s, bin frequencies, (frames, bins), (lowest, highest dB))``: ``columns``
    the spectrogram itself when it has at most :data:`MAX_COLUMNS` frames, else the loudest frame of each group of
    frames (for the picture). With ``save``, the whole spectrogram (frames x bins, dB, float32) is written there
    as a ``.npy`` file, a block at a time. For ``stft``: the rows between ``f_min`` and ``f_max``.
    """
    rate = signal.rate
    total = functional_frame_count(len(signal), n_fft, hop_length, center)
    group = -(-total // MAX_COLUMNS)
    block_frames = max(group, BLOCK_SAMPLES // hop_length // group * group)  # whole groups in a block
    frequencies = bin_frequencies(kind, rate, n_fft, n_bins if kind != "stft" else None, f_min, f_max)
    shown = slice(None)
    if kind == "stft":
        rows = np.flatnonzero((frequencies >= (f_min or 0.0)) & (frequencies <= (f_max or rate / 2)))
        if not rows.size:
            raise CommandError(f"no STFT bin lies between --fmin {f_min or 0:g} Hz and --fmax {f_max:g} Hz (the bins are "
                               f"{rate / n_fft:.1f} Hz apart); widen the range or give a larger --n-fft")
        shown, frequencies = slice(rows[0], rows[-1] + 1), frequencies[rows[0]:rows[-1] + 1]
    columns, peak, lowest, done = [], -np.inf, np.inf, 0
    bar = _progress(-(-total // block_frames), "block", progress)
    saved = open(save, "w+b") if save else None
    try:
        if saved is not None:
            np.lib.format.write_array_header_1_0(saved, {"descr": "<f4", "fortran_order": False,
                                                         "shape": (total, len(frequencies))})
            data_start = saved.tell()
        for block in spectrogram_blocks(signal, kind, n_fft, hop_length, n_bins, center, f_min, f_max, block_frames):
            block = block[:, shown]
            peak, lowest, done = max(peak, float(block.max())), min(lowest, float(block.min())), done + len(block)
            columns.append(_columns(block, group))
            if saved is not None:
                saved.write(block.astype("<f4").tobytes())
            if bar is not None:
                bar.add(1)
        floor = peak - 80.0  # MagnitudeToDecibel(dynamic_range=80): below the whole spectrogram's peak
        if saved is not None:  # the floor, in place, a block at a time
            saved.seek(data_start)
            step = block_frames * len(frequencies)
            while chunk := saved.read(4 * step):
                values = np.maximum(np.frombuffer(chunk, "<f4"), np.float32(floor))
                saved.seek(-len(chunk), os.SEEK_CUR)
                saved.write(values.tobytes())
    finally:
        if saved is not None:
            saved.close()
    columns = np.maximum(np.concatenate(columns), np.float32(floor))
    # a column's time: the centre of its frames (a frame's centre: t * hop when centred, half a frame later if not)
    seconds = ((np.arange(len(columns)) * group + (min(group, done) - 1) / 2) * hop_length
               + (0 if center else n_fft / 2)) / rate
    return columns, seconds, frequencies, (done, len(frequencies)), (max(lowest, floor), peak)


def draw_spectrogram(samples, sample_rate, kind, n_fft, hop_length, n_bins, title, path, center=False, f_min=None,
                     f_max=None, save=None, progress=False):
    """Compute the ``kind`` log-spectrogram with kapre_like and save a labelled picture. ``samples``: an array
    or a :class:`Signal` (a long file, read a block at a time). Returns the picture's columns (frames x bins,
    dB: the spectrogram itself unless it has more than :data:`MAX_COLUMNS` frames; for ``stft``, the rows
    between ``f_min`` and ``f_max``); with ``save``, the spectrogram is also written there (``.npy``)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    signal = samples if isinstance(samples, Signal) else Signal.of_array(samples, sample_rate, title)
    check_length(signal, signal.rate, n_fft, center, title)
    n_bins = frontend_bins(kind, signal.rate, n_bins, f_min, f_max)
    spectrogram, seconds, frequencies, shape, levels = compute_spectrogram(
        signal, kind, n_fft, hop_length, n_bins, center, f_min, f_max, save, progress)

    figure, axis = plt.subplots(figsize=(10, 4.5))
    if kind == "stft":  # a linear axis in Hz: matplotlib picks round ticks
        image = axis.pcolormesh(seconds, frequencies, spectrogram.T, cmap="magma", shading="nearest")
        axis.set_ylabel("frequency (Hz)")
    else:
        image = axis.pcolormesh(seconds, np.arange(len(frequencies)), spectrogram.T, cmap="magma", shading="nearest")
        positions, labels = (_round_frequency_ticks(frequencies) if kind == "mel" else _note_ticks(frequencies))
        axis.set_yticks(positions)
        axis.set_yticklabels(labels)
        axis.set_ylabel("frequency (Hz, mel scale)" if kind == "mel" else "pitch (note, log scale; A4 = 440 Hz)")
    axis.set_xlabel("time (s)")
    axis.set_title(f"{ {'mel': 'log-mel', 'stft': 'STFT magnitude', 'log': 'log-frequency'}[kind]} spectrogram: {title}")
    figure.colorbar(image, ax=axis, label="dB")
    figure.tight_layout()
    with replaced_on_success(path) as temporary:
        figure.savefig(temporary, dpi=100, format=os.path.splitext(path)[1].lstrip(".").lower() or "png")
    plt.close(figure)
    draw_spectrogram.shape, draw_spectrogram.levels = shape, levels  # for the command's summary line
    return spectrogram


def round_trip(samples, n_fft, hop_length, center=False):
    """(max abs error, SNR in dB) of samples -> STFT -> inverse STFT with the perfect pair (centred
    frames with ``center``: the pair then gives the samples back with no trimming)."""
    from .composed import get_perfectly_reconstructing_stft_istft

    check_hop(n_fft, hop_length)
    try:
        stft, istft = get_perfectly_reconstructing_stft_istft(
            stft_input_shape=(len(samples), 1), n_fft=n_fft, hop_length=hop_length, center=center,
            waveform_data_format="channels_last", stft_data_format="channels_last")
    except ValueError as error:
        raise CommandError(str(error).splitlines()[0]) from None
    y = np.asarray(istft(stft(samples[None, :, None])))[0, :, 0]
    trim = 0 if center else n_fft - hop_length
    error = y[trim:trim + len(samples)].astype(np.float64) - samples
    return float(np.max(np.abs(error))), snr_db(samples, error)


def snr_db(signal, error):
    """``10 log10(sum(signal^2) / sum(error^2))``: inf for an exact result (silence too), -inf when a
    silent signal comes back not silent; computed without dividing by zero."""
    signal_energy, error_energy = np.sum(np.square(signal, dtype=np.float64)), np.sum(np.square(error, dtype=np.float64))
    if error_energy == 0:
        return float("inf")
    if signal_energy == 0:
        return float("-inf")
    return float(10 * np.log10(signal_energy / error_energy))


def export_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, folder, check_signal, center=False,
                    f_min=None, f_max=None, formats=("keras", "savedmodel", "tflite")):
    """Write the front end in each of ``formats`` (``keras``, ``savedmodel``, ``tflite``, ``onnx``)
    into ``folder``; check each reloads.

    Returns ``{format: (path, max abs difference from the Keras model on check_signal)}``.
    """
    import warnings

    import keras
    import tensorflow as tf

    built = dict(center=center, f_min=f_min, f_max=f_max)
    model = build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, **built)
    x = check_signal[None, :, None].astype(np.float32)
    expected = np.asarray(model(x))

    def difference(output):
        return float(np.max(np.abs(np.asarray(output) - expected)))

    results = {}
    for fmt in formats:
        if fmt == "keras":
            path = os.path.join(folder, f"{kind}_frontend.keras")
            model.save(path)
            results[fmt] = (path, difference(keras.models.load_model(path)(x)))
        elif fmt == "savedmodel":
            path = os.path.join(folder, f"{kind}_frontend_savedmodel")
            model.export(path, verbose=False)
            results[fmt] = (path, difference(tf.saved_model.load(path).serve(tf.constant(x))))
        elif fmt == "tflite":
            tflite_model = build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, tflite=True,
                                          **built)
            converter = tf.lite.TFLiteConverter.from_keras_model(tflite_model)
            converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS]
            path = os.path.join(folder, f"{kind}_frontend.tflite")
            with replaced_on_success(path) as temporary:
                with open(temporary, "wb") as handle:
                    handle.write(converter.convert())
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # tf.lite.Interpreter's deprecation notice
                interpreter = tf.lite.Interpreter(model_path=path)
            runner = interpreter.get_signature_runner()
            (input_name,) = runner.get_input_details()
            (output,) = runner(**{input_name: x}).values()
            results[fmt] = (path, difference(output))
        elif fmt == "onnx":
            import onnxruntime

            from .onnx_export import export_onnx

            path = os.path.join(folder, f"{kind}_frontend.onnx")
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # the note on the STFT's route: the check below shows the numbers
                export_onnx(model, path)
            session = onnxruntime.InferenceSession(path, providers=["CPUExecutionProvider"])
            (output,) = session.run(None, {session.get_inputs()[0].name: x})
            results[fmt] = (path, difference(output))
    return results


# ----------------------------------------------------------------------------- commands


def _frequency_range(args, sample_rate):
    f_min, f_max = getattr(args, "fmin", None), getattr(args, "fmax", None)
    if f_max is not None and f_max > sample_rate / 2:
        raise CommandError(f"--fmax {f_max:g} Hz is above half the sample rate ({sample_rate / 2:g} Hz); give a lower "
                           f"--fmax or a higher --sr")
    if f_min is not None and f_min >= sample_rate / 2:
        raise CommandError(f"--fmin {f_min:g} Hz is not below half the sample rate ({sample_rate / 2:g} Hz)")
    return f_min, f_max


def _cmd_spectrogram(args):
    signal = _long_signal(args)
    sample_rate, title = signal.rate, signal.title
    f_min, f_max = _frequency_range(args, sample_rate)
    if args.kind == "log" and f_min is None:
        f_min = default_log_fmin(sample_rate, args.n_fft, args.bins, f_max)
    print(f"input: {title}, {len(signal)} samples at {sample_rate} Hz ({len(signal) / sample_rate:.2f} s)")
    save = getattr(args, "save", None)
    with contextlib.ExitStack() as stack:
        saving = stack.enter_context(replaced_on_success(save)) if save else None
        draw_spectrogram(signal, sample_rate, args.kind, args.n_fft, args.hop, args.bins, title, args.out,
                         center=args.center, f_min=f_min, f_max=f_max, save=saving, progress=True)
    (frames, bins), (lowest, highest) = draw_spectrogram.shape, draw_spectrogram.levels
    print(f"{args.kind} spectrogram: {frames} frames x {bins} bins, {lowest:.1f} to {highest:.1f} dB -> {args.out}")
    if save:
        print(f"array ({frames} frames x {bins} bins, dB, float32) -> {save}")
    return 0


def _cmd_roundtrip(args):
    samples, sample_rate, title = _signal(args)
    check_length(samples, sample_rate, args.n_fft, args.center, title)
    max_error, snr = round_trip(samples, args.n_fft, args.hop, center=args.center)
    ok = snr > 100.0
    frames = ", centred frames" if args.center else ""
    if not np.any(samples):  # an SNR of silence means nothing: what counts is that zeros come back as zeros
        quality = ("silence reconstructs exactly" if max_error == 0 else "silence does not come back silent")
    else:
        quality = "SNR inf dB (exact)" if snr == float("inf") else f"SNR {snr:.1f} dB"
    print(f"STFT -> inverse STFT of {title} (n_fft {args.n_fft}, hop {args.hop}{frames}): max abs error "
          f"{max_error:.2e}, {quality} [{'ok' if ok else 'FAILED: SNR below 100 dB'}]")
    return 0 if ok else 1


def reconstruct(samples, sample_rate, source, n_fft, hop_length, n_bins, n_iter, center=False, seed=0):
    """Audio rebuilt from the ``source`` ('mel' or 'stft') magnitude spectrogram of ``samples`` with
    :func:`~kapre_like.composed.get_mel_to_audio` / :class:`~kapre_like.reconstruction.GriffinLim`.

    Returns ``(audio, spectral convergence, SNR in dB)``: the convergence
    ``||S - S'|| / ||S||`` of the STFT magnitudes ``S`` of ``samples`` and ``S'`` of the audio, and
    ``-20 log10`` of it.
    """
    from .composed import get_mel_to_audio, get_stft_magnitude_layer
    from .functional import spectral_convergence
    from .reconstruction import GriffinLim
    from .time_frequency import ApplyFilterbank

    layout = dict(input_data_format="channels_last", output_data_format="channels_last")
    frames = dict(n_fft=n_fft, hop_length=hop_length, center=center)
    analysis = get_stft_magnitude_layer(**frames, **layout)
    magnitudes = analysis(samples[None, :, None].astype(np.float32))
    if source == "mel":  # the mel front end's last step, on the magnitudes already computed
        mel = ApplyFilterbank("mel", {"sample_rate": sample_rate, "n_freq": n_fft // 2 + 1, "n_mels": n_bins,
                                      "n_fft": n_fft}, data_format="channels_last")(magnitudes)
        model = get_mel_to_audio(**frames, sample_rate=sample_rate, n_mels=n_bins, n_iter=n_iter, seed=seed,
                                 length=len(samples), **layout)
        audio = model(mel)
    else:
        audio = GriffinLim(**frames, n_iter=n_iter, seed=seed, length=len(samples), **layout)(magnitudes)
    rebuilt = analysis(audio)
    audio = np.asarray(audio)[0, :, 0]
    if not np.any(magnitudes):  # silence: no convergence ratio (0 / 0); exact when the audio is silent too
        convergence = 0.0 if not np.any(audio) else float("inf")
    else:
        convergence = float(spectral_convergence(magnitudes[0, ..., 0], rebuilt[0, ..., 0]))
    snr = float("inf") if convergence == 0 else -20 * np.log10(convergence)
    return audio, convergence, snr


def griffin_lim_context(n_fft, hop_length, n_iter):
    """Frames on each side of a block that Griffin-Lim needs for the block's numbers to be the whole signal's: frames
    ``ceil(n_fft / hop) - 1`` apart overlap, so each iteration (synthesis, then analysis) carries a block edge's
    error that many frames further in; the last synthesis and the check's analysis reach as far again."""
    return (n_iter + 2) * (-(-n_fft // hop_length) - 1)


def phase_rows(seed, n_freq):
    """``rows(lo, hi)``: the initial unit phases of frames ``lo`` to ``hi`` (increasing calls), row ``t`` being row
    ``t`` of ``exp(2j pi U)``, ``U = numpy.random.default_rng(seed).random((frames, n_freq))``: the same phases
    whether the frames come whole or in overlapping blocks (NumPy draws the rows in order)."""
    rng, kept, start = np.random.default_rng(seed), np.zeros((0, n_freq)), 0

    def rows(lo, hi):
        nonlocal kept, start
        if hi > start + len(kept):
            kept = np.concatenate([kept, rng.random((hi - start - len(kept), n_freq))])
        kept, start = kept[lo - start:], lo
        return np.exp(2j * np.pi * kept[:hi - lo]).astype(np.complex64)

    return rows


def reconstruct_blocks(signal, source, n_fft, hop_length, n_bins, n_iter, seed=0, block_frames=None, write=None,
                       progress=False):
    """Audio rebuilt from the ``source`` ('mel' or 'stft') magnitudes of ``signal`` (a :class:`Signal`, uncentred
    frames) by Griffin-Lim (fast, momentum 0.99) from :func:`phase_rows` phases, a block of ``block_frames`` frames
    at a time with :func:`griffin_lim_context` frames of context: the whole signal's numbers in memory that does
    not grow with its length. ``write(samples)`` takes the audio in order.

    Returns ``(spectral convergence, silent)``: ``||S - S'|| / ||S||`` of the STFT magnitudes of ``signal``
    and of the audio (0 for a silent signal rebuilt silent), and whether ``signal`` is silent.
    """
    import tensorflow as tf

    from . import functional
    from .reconstruction import InverseMelScale
    from .time_frequency import ApplyFilterbank

    context = griffin_lim_context(n_fft, hop_length, n_iter)
    # half a spectrogram block: Griffin-Lim holds a dozen copies of it (memory), its context adds 1/5 (32 iterations)
    block_frames = block_frames or max(4 * context, BLOCK_SAMPLES // hop_length // 2)
    n_freq = n_fft // 2 + 1
    if source == "mel":
        to_mel = ApplyFilterbank("mel", {"sample_rate": signal.rate, "n_freq": n_freq, "n_mels": n_bins,
                                         "n_fft": n_fft}, data_format="channels_last")
        from_mel = InverseMelScale(signal.rate, n_fft, n_bins, data_format="channels_last")
    total = functional_frame_count(len(signal), n_fft, hop_length, False)
    phases, written, error, energy = phase_rows(seed, n_freq), 0, 0.0, 0.0
    bar = _progress(-(-total // block_frames), "block", progress)

    def magnitudes_of(samples):
        return tf.abs(functional.stft(tf.constant(samples[None]), n_fft, n_fft, hop_length))[0]

    # traced once for every block (the last, shorter one reuses it): run eagerly, the iteration loop would
    # dispatch its ops one by one in Python
    griffin_lim = tf.function(lambda given, angles: functional.griffin_lim(given, n_fft, n_fft, hop_length,
                                                                           n_iter=n_iter, angles=angles),
                              input_signature=[tf.TensorSpec((1, None, n_freq), tf.float32),
                                               tf.TensorSpec((1, None, n_freq), tf.complex64)])

    for lo, first, piece in frame_blocks(signal, n_fft, hop_length, block_frames, context):
        target = magnitudes_of(piece)
        hi = lo + int(target.shape[0])
        given = target
        if source == "mel":  # what the mel spectrogram keeps of the magnitudes, as mel_to_audio starts from
            given = from_mel(to_mel(target[None, :, :, None]))[0, :, :, 0]
        audio = griffin_lim(given[None], phases(lo, hi)[None])[0].numpy()
        # the frames and samples this block owns (the last block: to the signal's end)
        own_end = min(first + block_frames, total)
        offset = (first - lo) * hop_length
        stop = len(signal) - lo * hop_length if own_end == total else (own_end - lo) * hop_length
        out = np.pad(audio, (0, max(0, stop - len(audio))))[offset:stop]
        if write is not None:
            write(out)
        written += len(out)
        rebuilt = magnitudes_of(audio)[first - lo:own_end - lo]  # its right context holds these frames' ends
        owned = target[first - lo:own_end - lo]
        error += float(tf.reduce_sum(tf.square(tf.cast(owned, tf.float64) - tf.cast(rebuilt, tf.float64))))
        energy += float(tf.reduce_sum(tf.square(tf.cast(owned, tf.float64))))
        if bar is not None:
            bar.add(1)
    if written < len(signal) and write is not None:  # samples after the last whole frame: no frame covers them
        write(np.zeros(len(signal) - written, np.float32))
    if energy == 0:  # silence: no convergence ratio (0 / 0); exact when the audio is silent too
        return (0.0 if error == 0 else float("inf")), True
    return float(np.sqrt(error / energy)), False


def _cmd_reconstruct(args):
    import soundfile

    check_hop(args.n_fft, args.hop)
    n_bins = args.bins or DEFAULT_BINS["mel"]
    if args.center:  # centred frames: the whole signal at once
        samples, sample_rate, title = _signal(args)
        check_length(samples, sample_rate, args.n_fft, args.center, title)
        try:
            audio, convergence, snr = reconstruct(samples, sample_rate, args.source, args.n_fft, args.hop, n_bins,
                                                  args.n_iter, args.center)
        except ValueError as error:
            raise CommandError(str(error).splitlines()[0]) from None
        with replaced_on_success(args.out) as temporary:
            soundfile.write(temporary, audio, sample_rate, format=os.path.splitext(args.out)[1].lstrip(".").upper())
        silent = not np.any(samples)
    else:
        signal = _long_signal(args)
        sample_rate, title = signal.rate, signal.title
        check_length(signal, sample_rate, args.n_fft, False, title)
        with replaced_on_success(args.out) as temporary:
            with soundfile.SoundFile(temporary, "w", sample_rate, 1,
                                     format=os.path.splitext(args.out)[1].lstrip(".").upper()) as handle:
                try:
                    convergence, silent = reconstruct_blocks(signal, args.source, args.n_fft, args.hop, n_bins,
                                                             args.n_iter, write=handle.write, progress=True)
                except ValueError as error:
                    raise CommandError(str(error).splitlines()[0]) from None
        snr = float("inf") if convergence == 0 else -20 * np.log10(convergence)
    what = f"{n_bins}-band mel spectrogram" if args.source == "mel" else "STFT magnitude"
    if silent:
        quality = ("the input is silent and so is the audio rebuilt: silence reconstructs exactly" if convergence == 0
                   else "the input is silent but the audio rebuilt is not")
    else:
        quality = f"spectral convergence {convergence:.3f}, magnitude SNR {snr:.1f} dB"
    print(f"{title}: audio from its {what} (n_fft {args.n_fft}, hop {args.hop}, {args.n_iter} Griffin-Lim "
          f"iterations): {quality} -> {args.out}")
    return 0 if convergence != float("inf") else 1


def _cmd_export(args):
    n_samples = int(round(args.seconds * args.sample_rate))
    if getattr(args, "check", None):
        samples, _ = load_audio(args.check, "mix", args.sample_rate)
        check = np.pad(samples[:n_samples], (0, max(0, n_samples - len(samples))))
        checked_on = f"the first {args.seconds:g} s of {os.path.basename(args.check)}" + (
            f" (it has {len(samples)} samples at {args.sample_rate} Hz: zero-padded)" if len(samples) < n_samples else "")
    else:
        from .synthetic import demo_signal

        check, checked_on = demo_signal(args.seconds, args.sample_rate)[:n_samples], "the built-in signal"
    if not args.center and n_samples < args.n_fft:
        raise CommandError(f"--seconds {args.seconds:g} at {args.sample_rate} Hz gives {n_samples} samples, fewer "
                           f"than one --n-fft frame of {args.n_fft}; give more --seconds or a smaller --n-fft")
    f_min, f_max = _frequency_range(args, args.sample_rate)
    if args.frontend == "log" and f_min is None:
        f_min = default_log_fmin(args.sample_rate, args.n_fft, args.bins, f_max)
    n_bins = frontend_bins(args.frontend, args.sample_rate, args.bins, f_min, f_max)
    try:
        with native_output_silenced(not args.verbose):  # the TFLite converter's and interpreter's notes
            results = export_frontend(args.frontend, n_samples, args.sample_rate, args.n_fft, args.hop, n_bins,
                                      args.out, check, center=args.center, f_min=f_min, f_max=f_max,
                                      formats=getattr(args, "formats", ("keras", "savedmodel", "tflite")))
    except ValueError as error:
        raise CommandError(str(error).splitlines()[0]) from None
    bins = f", {n_bins} bins" if n_bins else ""
    print(f"{args.frontend} front end{bins}: ({n_samples} samples at {args.sample_rate} Hz, 1 channel) -> dB "
          f"spectrogram; checked on {checked_on}")
    worst = 0.0
    for fmt, (path, difference) in results.items():
        print(f"  {fmt:10s} {path}  (reloaded; max difference from the Keras model {difference:.1e} dB)")
        worst = max(worst, difference)
    return 0 if worst < 1e-2 else 1


def _cmd_encode(args):
    from .beam import CorpusEncodingError, NothingEncodedError, encode_corpus
    from .encoder import AudioSpectrogramEncoder

    try:
        encoder = AudioSpectrogramEncoder(sample_rate=args.sample_rate, window_size=args.window / 1000,
                                          offset=None if args.offset is None else args.offset / 1000,
                                          target_length=args.target_length)
    except ValueError as error:
        raise CommandError(str(error)) from None

    # Beam's and its worker processes' own log lines stay off the terminal unless --verbose; the tool's
    # progress lines go to a copy of the terminal's descriptor taken before it is silenced
    try:
        terminal = os.fdopen(os.dup(sys.stdout.fileno()), "w") if sys.stdout.fileno() == 1 else None
    except (AttributeError, OSError, ValueError):  # a captured stdout (pytest, a notebook) has no descriptor 1
        terminal = None
    stream = terminal or sys.stdout

    def say(line):
        stream.write(line + "\n")
        stream.flush()

    try:
        with native_output_silenced(not args.verbose):
            summary = encode_corpus(args.files, args.out, encoder, workers=args.workers, pipeline_args=args.beam_args,
                                    num_shards=args.shards, verbose=args.verbose, progress=say)
    except NothingEncodedError as error:  # the job ran and failed: status 1, as a failed check
        print(f"{PROG}: error: {' '.join(str(error).split())}", file=sys.stderr)
        return 1
    except (ImportError, ValueError, OSError, CorpusEncodingError) as error:
        raise CommandError(" ".join(str(error).split())) from None
    finally:
        if terminal is not None:
            terminal.close()
    for warned in summary.warnings[:MAX_WARNINGS_SHOWN]:
        print(f"{PROG}: warning: {warned['warning']}", file=sys.stderr)
    if len(summary.warnings) > MAX_WARNINGS_SHOWN:
        print(f"{PROG}: warning: {len(summary.warnings) - MAX_WARNINGS_SHOWN} more files were encoded with warnings: "
              f"listed in {summary.spec}", file=sys.stderr)
    if summary.dead_letters:
        print(f"{summary.dead_letters} file(s) could not be read: listed in "
              f"{os.path.join(summary.out, 'dead_letters.jsonl')}")
    print(f"spec: {summary.spec}; read them with kapre_like.read_shards({summary.out!r})")
    return 0


def _cmd_demo(args):
    given = {**vars(args), "audio": None, "channel": "mix", "sr": None, "fmin": None, "fmax": None, "save": None}
    for kind in ("mel", "stft", "log"):
        _cmd_spectrogram(argparse.Namespace(**{**given, "kind": kind, "bins": None,
                                               "out": os.path.join(DEFAULT_OUT, f"{kind}_spectrogram.png")}))
    status = _cmd_roundtrip(argparse.Namespace(**given))
    export = {**given, "frontend": "mel", "out": os.path.join(DEFAULT_OUT, "export"), "bins": None, "seconds": 1.0,
              "sample_rate": BUILTIN_RATE, "check": None}
    os.makedirs(export["out"], exist_ok=True)
    return max(status, _cmd_export(argparse.Namespace(**export)))


_JOBS = {"spectrogram": _cmd_spectrogram, "roundtrip": _cmd_roundtrip, "reconstruct": _cmd_reconstruct,
         "export": _cmd_export, "encode": _cmd_encode, "demo": _cmd_demo}


def run(args):
    """Run the job of checked arguments (:func:`kapre_like_cli.main` parses and checks them)."""
    return _JOBS[args.job](args)
