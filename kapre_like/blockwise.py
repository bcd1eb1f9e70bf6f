"""Whole recordings of any length, a block at a time: spectrograms and their pictures, the STFT round trip, and
audio rebuilt from a spectrogram by Griffin-Lim.

NumPy in, NumPy out: a :class:`kapre_like.audio_io.Signal` (an array, or a file read a block at a time) goes in; the block-wise
functions give the whole signal's numbers in memory that does not grow with its length. The command-line
tool (:mod:`kapre_like_cli`) calls these functions; errors are ``ValueError`` in the functions' own terms.
"""

import dataclasses
import os
import sys
import warnings

import numpy as np

from ._files import replaced_on_success
from .audio_io import Signal

__all__ = ["KINDS", "Kind", "Spectrogram", "build_frontend", "bin_frequencies", "frontend_bins", "log_bins_fitting",
           "default_log_fmin", "filterbank_arguments", "frame_blocks", "centred_blocks", "spectrogram_blocks", "compute_spectrogram",
           "draw_spectrogram", "RoundTrip", "round_trip", "snr_db", "reconstruct", "griffin_lim_context", "phase_rows", "reconstruct_blocks"]

#: Semitones of the log-frequency front end.
BINS_PER_OCTAVE = 12
#: Samples of audio one block of work holds (11.9 s at 44.1 kHz): long signals are computed a block at a time, in
#: memory that does not grow with their length (TensorFlow's own 0.6-0.8 GB plus about 0.1 GB).
BLOCK_SAMPLES = 2**19
#: Most time columns a picture gets (it is 1000 pixels wide): longer spectrograms show each column's loudest frame.
MAX_COLUMNS = 2000


# ----------------------------------------------------------------------------- blocks


def frame_blocks(signal, n_fft, hop_length, frames, context=0, center=False):
    """``(its first frame, the first frame it owns, samples)`` pieces of ``signal`` (a :class:`Signal`) for work
    in blocks: piece ``k`` owns frames ``k * frames`` to ``(k + 1) * frames`` and holds ``context`` more on
    each side (clipped to the signal's), frame ``t`` being samples ``t * hop_length`` to
    ``t * hop_length + n_fft`` (after ``n_fft // 2`` zeros at each end with ``center``): the frames of a block
    are the whole signal's, and a computation that reaches ``context`` frames gives the whole signal's numbers."""
    pad = np.zeros(n_fft // 2 if center else 0, np.float32)
    total = _frame_count(len(signal), n_fft, hop_length, center)
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


def _frame_count(length, n_fft, hop_length, center):
    from .functional import frame_count

    return frame_count(length, n_fft, hop_length, center=center)


def _progress(total, unit, enabled):
    """A keras.utils.Progbar of ``total`` blocks on a terminal for work of more than one block, else None."""
    if not enabled or total <= 1 or not sys.stdout.isatty():
        return None
    import keras

    return keras.utils.Progbar(total, unit_name=unit)


# ----------------------------------------------------------------------------- kinds


@dataclasses.dataclass(frozen=True)
class Kind:
    """One kind of picture the block-wise functions compute (an entry of :data:`KINDS`).

    Attributes:
        title (str): what the picture shows, for its title.
        y_axis (str): the frequency axis, a :data:`kapre_like.display.FREQUENCY_AXES` kind.
        default_bins (int or None): bins when none are asked for (None: the STFT's ``n_fft // 2 + 1``).
        decibels (bool): values in dB, floored :data:`DYNAMIC_RANGE_DB` below the whole signal's peak.
        reduce (str): how a picture column sums up the frames it stands for (``'max'``: the loudest; ``'mean'``).
        bin_label (str): what a bin is, for the command line's summary.
    """

    title: str
    y_axis: str
    default_bins: object
    decibels: bool = True
    reduce: str = "max"
    bin_label: str = "bins"


#: The kinds, by name: each is computed by :func:`spectrogram_blocks` and drawn by :func:`draw_spectrogram`.
KINDS = {
    "mel": Kind("log-mel spectrogram", "mel", 128),
    "stft": Kind("STFT magnitude spectrogram", "linear", None),
    "log": Kind("log-frequency spectrogram", "cqt_note", 84),
    "cqt": Kind("constant-Q transform", "cqt_note", 84),
    "chroma": Kind("chromagram", "chroma", 12, decibels=False, bin_label="pitch classes"),
    "mfcc": Kind("MFCC", "mfcc", 20, decibels=False, reduce="mean", bin_label="coefficients"),
    "pcen": Kind("PCEN of the mel spectrogram", "mel", 128, decibels=False),
}
#: Default bins of each kind (None: the STFT's).
DEFAULT_BINS = {name: kind.default_bins for name, kind in KINDS.items()}
#: dB kept below the loudest value of a picture in decibels (``MagnitudeToDecibel(dynamic_range=80)``, librosa's
#: ``top_db``).
DYNAMIC_RANGE_DB = 80.0
#: librosa's scaling of the mel magnitudes before PCEN (``librosa.pcen``'s documented use: audio as 32-bit integers).
PCEN_INPUT_SCALE = 2.0**31
#: Kinds whose bins are semitones from ``f_min`` (their count checked against Nyquist by :func:`frontend_bins`).
SEMITONE_KINDS = ("log", "cqt")
#: Kinds computed from a mel filterbank (``f_min``/``f_max``, ``htk`` and ``mel_norm`` apply).
MEL_KINDS = ("mel", "mfcc", "pcen")


def check_kind(kind):
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}; allowed: {', '.join(map(repr, KINDS))}")
    return KINDS[kind]


# ----------------------------------------------------------------------------- front ends


def log_bins_fitting(sample_rate, f_min=None, f_max=None):
    """``(lowest bin's centre, top, bins)``: the semitone bins from ``f_min`` (default C1, 32.7 Hz) that stay
    below ``top``, the lower of ``f_max`` and half the sample rate (all in Hz)."""
    from .filters import C1_HZ

    lowest = f_min or C1_HZ
    top = min(f_max or sample_rate // 2, sample_rate // 2)
    return lowest, top, int(np.floor(BINS_PER_OCTAVE * np.log2(top / lowest) + 1e-9)) if top > lowest else 0


def frontend_bins(kind, sample_rate, n_bins=None, f_min=None, f_max=None):
    """The bins a ``kind`` gets: ``n_bins``, or its :data:`KINDS` default (84 log-frequency or constant-Q bins:
    fewer when the top ones would pass ``f_max`` or half the sample rate; a CQT's top wavelet reaches about 4%
    above its centre, so one bin less); ValueError when the semitone bins asked for do not fit
    (:func:`log_bins_fitting`)."""
    entry = check_kind(kind)
    if kind not in SEMITONE_KINDS:
        return n_bins or entry.default_bins
    lowest, top, fitting = log_bins_fitting(sample_rate, f_min, f_max)
    if kind == "cqt":
        fitting -= 1
    if fitting < 1:
        what = "log-frequency" if kind == "log" else "constant-Q"
        raise ValueError(f"no {what} bin fits between f_min={lowest:.1f} Hz and {top:g} Hz; lower f_min")
    if n_bins is None:
        return min(entry.default_bins, fitting)
    if n_bins > fitting:
        raise ValueError(f"n_bins={n_bins} semitones from {lowest:.1f} Hz reach "
                         f"{lowest * 2.0 ** (n_bins / BINS_PER_OCTAVE):.0f} Hz, above {top:g} Hz; give n_bins={fitting} "
                         f"or fewer, or a lower f_min")
    return n_bins


def default_log_fmin(sample_rate, n_fft, n_bins=None, f_max=None):
    """The lowest bin's centre the log-frequency front end gets when ``--fmin`` is not given: C1
    (32.7 Hz), or the lowest C above it from which every bin gets weight from the FFT's bins
    (at 44.1 kHz and n_fft 1024 those are 43 Hz apart and the semitones below 40 Hz fall between
    them: silent bins, black stripes in the picture)."""
    from .filters import C1_HZ, log_filterbank

    for octave in range(8):
        lowest, _, fitting = log_bins_fitting(sample_rate, C1_HZ * 2.0**octave, f_max)
        count = n_bins or min(DEFAULT_BINS["log"], fitting)
        if count < 1 or count > fitting:
            break
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # its warning about the silent bins: the reason to try the next C
            weights = log_filterbank(sample_rate, n_fft // 2 + 1, count, BINS_PER_OCTAVE, lowest, n_fft=n_fft)
        if np.all(weights.sum(axis=0) >= 0.5):  # log_filterbank's own test of an empty bin
            return lowest
    return C1_HZ  # none fits better: log_filterbank warns about the silent bins


def filterbank_arguments(kind, sample_rate, n_fft, n_bins, f_min=None, f_max=None, htk=False, mel_norm="slaney"):
    """``(filterbank name, its keyword arguments)`` of ``kind``'s :data:`kapre_like.filters.FILTERBANKS` entry
    (``(None, None)`` for the STFT and the CQT, which have none); ``n_bins`` are the filterbank's bins (for
    ``'mfcc'``, the mel bands its coefficients come from)."""
    if kind in MEL_KINDS:
        return "mel", {"n_mels": n_bins, "f_min": f_min or 0.0, "f_max": f_max, "htk": htk, "norm": mel_norm}
    if kind == "log":
        return "log", {"n_bins": n_bins, "f_min": f_min, "bins_per_octave": BINS_PER_OCTAVE}
    if kind == "chroma":
        return "chroma", {"n_chroma": n_bins}
    return None, None


def build_frontend(kind, n_samples, sample_rate, n_fft, hop_length, n_bins, tflite=False, center=False, f_min=None,
                   f_max=None, dynamic_range=DYNAMIC_RANGE_DB, *, win_length=None, pad_mode="constant", htk=False,
                   mel_norm="slaney", power=1.0, decibels=True):
    """A spectrogram front end, ``(batch, n_samples, 1)`` -> ``(batch, frames, bins, 1)``, in dB by default.

    ``kind``: 'mel', 'stft' (magnitude), 'log' (log-frequency) or 'chroma' (the filterbank of
    :data:`kapre_like.filters.FILTERBANKS` of that name on the STFT's magnitudes raised to ``power``). With
    ``tflite`` the STFT and magnitude are the TFLite layers (same numbers, TFLite built-in ops only); with
    ``center``, frames centred on ``t * hop_length`` (librosa's default) padded by ``pad_mode``.
    ``f_min``/``f_max`` (Hz): the mel filterbank's edges; ``f_min``: the centre of the lowest
    log-frequency bin. ``htk``/``mel_norm``: the mel scale and normalisation. ``dynamic_range``: dB kept
    below the loudest (None: no floor); ``decibels=False``: the filterbank's output itself.
    """
    import keras

    from .time_frequency import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel
    from .time_frequency_tflite import MagnitudeTflite, STFTTflite

    layout = dict(input_data_format="channels_last", output_data_format="channels_last")
    stft_class, magnitude_class = (STFTTflite, MagnitudeTflite) if tflite else (STFT, Magnitude)
    layers = [keras.Input((n_samples, 1)),
              stft_class(n_fft=n_fft, win_length=win_length, hop_length=hop_length, center=center, pad_mode=pad_mode,
                         **layout),
              magnitude_class(power=power)]
    name, arguments = filterbank_arguments(kind, sample_rate, n_fft, n_bins, f_min, f_max, htk, mel_norm)
    if name is not None:
        layers.append(ApplyFilterbank(name, {"sample_rate": sample_rate, "n_freq": n_fft // 2 + 1, "n_fft": n_fft,
                                             **arguments}, data_format="channels_last"))
    if decibels:  # 20 log10 of magnitudes, 10 log10 of powers: the same dB, floored at -100 dB
        stype, amin = ("magnitude", 1e-5) if power == 1.0 else ("power", 1e-10)
        layers.append(MagnitudeToDecibel(stype=stype, amin=amin, dynamic_range=dynamic_range))
    return keras.Sequential(layers, name=f"{kind}_frontend")


def bin_frequencies(kind, sample_rate, n_fft, n_bins, f_min=None, f_max=None, htk=False):
    """Centre frequency (Hz) of every output bin of ``kind`` (for ``'mfcc'``: the coefficients' numbers), from
    :func:`kapre_like.filters.bin_frequencies` where a filterbank makes the bins."""
    from . import filters

    check_kind(kind)
    if kind == "stft":
        return np.arange(n_fft // 2 + 1) * sample_rate / n_fft
    if kind == "mfcc":
        return np.arange(n_bins, dtype=np.float64)
    if kind == "cqt":
        return (f_min or filters.C1_HZ) * 2.0 ** (np.arange(n_bins) / BINS_PER_OCTAVE)
    name, arguments = filterbank_arguments(kind, sample_rate, n_fft, n_bins, f_min, f_max, htk)
    arguments.pop("norm", None)
    return filters.bin_frequencies(name, sample_rate, n_fft, **arguments)


# ----------------------------------------------------------------------------- pictures


def centred_blocks(signal, hop_length, frames, context, shortest=0):
    """``(first frame, frames owned, samples, index of the first owned frame in them)`` pieces of ``signal`` (a
    :class:`Signal`) for transforms whose frame ``t`` is centred on sample ``t * hop_length`` (``1 + length //
    hop_length`` frames): piece ``k`` owns frames ``k * frames`` to ``(k + 1) * frames`` and holds ``context *
    hop_length`` samples more on each side, clipped to the signal. A centred transform of a piece (padding its
    ends itself, with zeros or a reflection) gives the whole signal's numbers in the frames it owns as long as
    their windows reach no further than the context; at the signal's own ends, its padding is the whole one's.
    No piece is shorter than ``shortest`` samples unless the signal is: a short last piece takes more of the
    samples before it, whole hops of them (a reflection pads at most ``length - 1`` samples)."""
    margin, step = context * hop_length, frames * hop_length
    extra = -(-shortest // hop_length) * hop_length  # samples kept before a piece's context, for a short last one
    buffer, start, first = np.zeros(0, np.float32), 0, 0  # buffer holds the samples from ``start`` on
    total = 1 + len(signal) // hop_length

    def ready(final):
        nonlocal buffer, start, first, total
        if final:  # a resampled stream may end a sample short of its rounded length
            total = 1 + (start + len(buffer)) // hop_length
        while first < total:
            lo, hi = max(0, first * hop_length - margin), first * hop_length + step + margin
            if start + len(buffer) < hi and not final:
                return
            end = min(hi, start + len(buffer))
            while end - lo < shortest and lo - hop_length >= max(0, start):  # hop-aligned: frames stay in place
                lo -= hop_length
            yield first, min(frames, total - first), buffer[lo - start:hi - start], (first * hop_length - lo) // hop_length
            first += frames
            keep = max(0, first * hop_length - margin - extra)
            buffer, start = buffer[keep - start:], keep

    for chunk in signal.chunks():
        buffer = np.concatenate([buffer, chunk])
        yield from ready(False)
    yield from ready(True)


def _front_end_blocks(signal, kind, n_fft, hop_length, n_bins, center, block_frames, options, **front_end):
    """Blocks of ``block_frames`` frames of a :func:`build_frontend` front end on ``signal``, one model per piece
    length (every full block, then the last): uncentred frames from :func:`frame_blocks`, centred ones from
    :func:`centred_blocks` (the front end centring each piece itself, so that ``pad_mode`` is honoured)."""
    models = {}

    def model(length):
        if length not in models:
            models[length] = build_frontend(kind, length, signal.rate, n_fft, hop_length, n_bins, center=center,
                                            **options, **front_end)
        return models[length]

    if not center:
        for _, _, piece in frame_blocks(signal, n_fft, hop_length, block_frames):
            yield np.asarray(model(len(piece))(piece[None, :, None]))[0, :, :, 0]
        return
    # (a reflection pads n_fft // 2 samples at each end of a piece: it needs one more than that)
    for _, owned, piece, offset in centred_blocks(signal, hop_length, block_frames, -(-(n_fft // 2) // hop_length),
                                                  shortest=n_fft // 2 + 1):
        yield np.asarray(model(len(piece))(piece[None, :, None]))[0, offset:offset + owned, :, 0]


def _cqt_blocks(signal, hop_length, n_bins, f_min, block_frames):
    """The constant-Q magnitude (dB, no floor) of ``signal``, a block of frames at a time (:func:`centred_blocks`)
    with the longest wavelet's length of context on each side (twice its reach from its centre), so that its frames are the whole signal's (to
    about 1e-5 of the peak: the halving resampler starts a little differently at the pieces' edges, far from the
    frames they own)."""
    import librosa

    from .constant_q import CQT
    from .filters import C1_HZ
    from .functional.constant_q import relative_bandwidth
    from .time_frequency import MagnitudeToDecibel

    f_min = f_min or C1_HZ
    lengths, _ = librosa.filters.wavelet_lengths(freqs=np.array([f_min]), sr=signal.rate, window="hann",
                                                 filter_scale=1.0, gamma=0.0,
                                                 alpha=np.array([relative_bandwidth(BINS_PER_OCTAVE)]))
    layer = CQT(sample_rate=signal.rate, hop_length=hop_length, f_min=f_min, n_bins=n_bins,
                input_data_format="channels_last", output_data_format="channels_last")
    decibels = MagnitudeToDecibel(stype="magnitude", dynamic_range=None)
    for _, owned, piece, offset in centred_blocks(signal, hop_length, block_frames,
                                                  int(np.ceil(lengths[0] / hop_length))):
        yield np.asarray(decibels(layer(piece[None, :, None])))[0, offset:offset + owned, :, 0]


def _mfcc_blocks(mel_blocks, n_bins):
    """MFCCs of log-mel blocks (power, dB, no floor): the 80 dB floor below the whole signal's peak first (librosa's
    ``power_to_db(top_db=80)``), so the log-mel is kept until the last block (frames x mels float32: 0.5 kB a frame
    for 128 mels), then the orthonormal DCT-II (:class:`~kapre_like.signal.LogmelToMFCC`)."""
    from .signal import LogmelToMFCC

    kept = list(mel_blocks)
    peak = max(float(block.max()) for block in kept)
    to_mfcc = LogmelToMFCC(n_mfccs=n_bins, data_format="channels_last", norm="ortho")
    for block in kept:
        floored = np.maximum(block, np.float32(peak - DYNAMIC_RANGE_DB))
        yield np.asarray(to_mfcc(floored[None, :, :, None]))[0, :, :, 0]


def _pcen_blocks(energy_blocks, sample_rate, hop_length):
    """PCEN (librosa's defaults) of mel-magnitude blocks scaled by :data:`PCEN_INPUT_SCALE`, the smoother's last
    frame carried from block to block: the whole signal's numbers."""
    import tensorflow as tf

    from . import functional

    coefficient = functional.pcen_smoothing_coefficient(sample_rate, hop_length, 0.4)
    state = 1.0  # librosa's initial state
    for block in energy_blocks:
        energies = tf.constant(block * np.float32(PCEN_INPUT_SCALE))
        smoothed = functional.smooth(energies, coefficient, initial=state)
        yield functional.pcen(energies, coefficient, smoothed=smoothed).numpy()
        state = smoothed[-1:]


def _chroma_blocks(power_blocks):
    """Each frame's chroma divided by its largest pitch class (``librosa.feature.chroma_stft``'s ``norm=inf``;
    a frame with nothing above float32's ``tiny`` is left as it is, as librosa leaves it)."""
    for block in power_blocks:
        peaks = block.max(axis=1, keepdims=True)
        yield np.where(peaks > np.finfo(np.float32).tiny, block / np.where(peaks > 0, peaks, 1), block)


def spectrogram_blocks(signal, kind, n_fft, hop_length, n_bins, center=False, f_min=None, f_max=None,
                       block_frames=None, *, win_length=None, pad_mode="constant", htk=False, mel_norm="slaney",
                       power=1.0, mel_bands=None):
    """The ``kind`` (a :data:`KINDS` name) of ``signal`` (a :class:`Signal`), in consecutive blocks of ``block_frames``
    frames (default: :data:`BLOCK_SAMPLES` worth): the whole signal's numbers, a block at a time, in dB without a
    floor for the kinds in decibels. ``power`` (1 or 2) is the magnitude's exponent before a mel or log filterbank
    (chroma and MFCC use the power, as librosa's; PCEN the magnitude); ``f_min``: for a CQT, its lowest bin's
    centre (default C1); ``mel_bands``: the mel bands MFCCs come from (default ``DEFAULT_BINS['mel']``, 128)."""
    check_kind(kind)
    block_frames = block_frames or max(1, BLOCK_SAMPLES // hop_length)
    if kind == "cqt":
        yield from _cqt_blocks(signal, hop_length, n_bins, f_min, block_frames)
        return
    options = dict(win_length=win_length, pad_mode=pad_mode, htk=htk, mel_norm=mel_norm, f_min=f_min, f_max=f_max)

    def blocks(front_kind, bins=n_bins, **front_end):
        return _front_end_blocks(signal, front_kind, n_fft, hop_length, bins, center, block_frames, options,
                                 **front_end)

    if kind in ("mel", "stft", "log"):
        yield from blocks(kind, power=power, dynamic_range=None)
    elif kind == "chroma":
        yield from _chroma_blocks(blocks("chroma", power=2.0, decibels=False))
    elif kind == "mfcc":
        yield from _mfcc_blocks(blocks("mel", mel_bands or DEFAULT_BINS["mel"], power=2.0, dynamic_range=None),
                                n_bins)
    else:  # pcen
        yield from _pcen_blocks(blocks("mel", power=1.0, decibels=False), signal.rate, hop_length)


def _columns(block, group, reduce="max"):
    """Each ``group`` consecutive frames of ``block`` as one (a picture's time columns): their loudest, or mean."""
    combine = np.max if reduce == "max" else np.mean
    whole = len(block) // group * group
    parts = [combine(block[:whole].reshape(-1, group, block.shape[1]), axis=1)] if whole else []
    if whole < len(block):
        parts.append(combine(block[whole:], axis=0, keepdims=True))
    return np.concatenate(parts)


@dataclasses.dataclass
class Spectrogram:
    """What :func:`compute_spectrogram` computed.

    Attributes:
        columns (np.ndarray): ``(columns, bins)`` float32: the spectrogram itself when it has at most
            :data:`MAX_COLUMNS` frames, else each group of frames as one column (its loudest frame; the mean for MFCC).
        seconds (np.ndarray): each column's time (the centre of its frames), in s.
        frequencies (np.ndarray): each bin's centre in Hz (for MFCC: the coefficients' numbers).
        shape (tuple): ``(frames, bins)`` of the whole spectrogram.
        levels (tuple): ``(lowest, highest)`` value.
    """

    columns: np.ndarray
    seconds: np.ndarray
    frequencies: np.ndarray
    shape: tuple
    levels: tuple


def compute_spectrogram(signal, kind, n_fft, hop_length, n_bins, center=False, f_min=None, f_max=None, save=None,
                        progress=False, **options):
    """The ``kind`` spectrogram of ``signal`` (a :class:`Signal` or an array with ``signal.rate``), computed a
    block at a time (memory bounded whatever its length; MFCC keeps the log-mel, a 20th of the audio's size at
    hop 512 and 128 mels), a kind in decibels floored :data:`DYNAMIC_RANGE_DB` below the whole spectrogram's peak,
    as one pass over the whole signal gives it.

    Returns a :class:`Spectrogram`. With ``save``, the whole spectrogram (frames x bins, float32) is written
    there as a ``.npy`` file, a block at a time. For ``stft``: the rows between ``f_min`` and ``f_max``.
    ``options``: the keyword-only ones of :func:`spectrogram_blocks`.
    """
    entry = check_kind(kind)
    rate = signal.rate
    total = (_frame_count(len(signal), 2, hop_length, True) if kind == "cqt"  # centred, 1 + length // hop
             else _frame_count(len(signal), n_fft, hop_length, center))
    group = -(-total // MAX_COLUMNS)
    block_frames = max(group, BLOCK_SAMPLES // hop_length // group * group)  # whole groups in a block
    frequencies = bin_frequencies(kind, rate, n_fft, n_bins, f_min, f_max, options.get("htk", False))
    shown = slice(None)
    if kind == "stft":
        rows = np.flatnonzero((frequencies >= (f_min or 0.0)) & (frequencies <= (f_max or rate / 2)))
        if not rows.size:
            raise ValueError(f"no STFT bin lies between f_min={f_min or 0:g} Hz and f_max={f_max:g} Hz (the bins are "
                             f"{rate / n_fft:.1f} Hz apart); widen the range or give a larger n_fft")
        shown, frequencies = slice(rows[0], rows[-1] + 1), frequencies[rows[0]:rows[-1] + 1]
    columns, peak, lowest, done = [], -np.inf, np.inf, 0
    bar = _progress(-(-total // block_frames), "block", progress)
    saved = open(save, "w+b") if save else None
    try:
        def header(frames):  # the .npy header of ``frames`` frames, at the file's start
            saved.seek(0)
            np.lib.format.write_array_header_1_0(saved, {"descr": "<f4", "fortran_order": False,
                                                         "shape": (frames, len(frequencies))})
            return saved.tell()

        if saved is not None:
            data_start = header(total)
        for block in spectrogram_blocks(signal, kind, n_fft, hop_length, n_bins, center, f_min, f_max, block_frames,
                                        **options):
            block = np.asarray(block, np.float32)[:, shown]
            peak, lowest, done = max(peak, float(block.max())), min(lowest, float(block.min())), done + len(block)
            columns.append(_columns(block, group, entry.reduce))
            if saved is not None:
                saved.write(block.astype("<f4").tobytes())
            if bar is not None:
                bar.add(1)
        floor = peak - DYNAMIC_RANGE_DB if entry.decibels else -np.inf
        if saved is not None and done != total:  # a stream that ended early or late: the header says what is there
            if header(done) != data_start:
                raise RuntimeError(f"the .npy header for {done} frames does not fit the one written for {total}")
        if saved is not None and entry.decibels:  # the floor, in place, a block at a time
            saved.seek(data_start)
            step = block_frames * len(frequencies)
            while chunk := saved.read(4 * step):
                values = np.maximum(np.frombuffer(chunk, "<f4"), np.float32(floor))
                saved.seek(-len(chunk), os.SEEK_CUR)
                saved.write(values.tobytes())
    finally:
        if saved is not None:
            saved.close()
    columns = np.concatenate(columns)
    if entry.decibels:
        columns = np.maximum(columns, np.float32(floor))
    # a column's time: the centre of its frames (a frame's centre: t * hop when centred, half a frame later if not)
    centred = center or kind == "cqt"
    seconds = ((np.arange(len(columns)) * group + (min(group, done) - 1) / 2) * hop_length
               + (0 if centred else n_fft / 2)) / rate
    return Spectrogram(columns, seconds, frequencies, (done, len(frequencies)), (max(lowest, floor), peak))


def draw_spectrogram(samples, sample_rate, kind, n_fft, hop_length, n_bins, title, path, center=False, f_min=None,
                     f_max=None, save=None, progress=False, **options):
    """Compute the ``kind`` spectrogram (a :data:`KINDS` name) with kapre_like and save a labelled picture drawn by
    :func:`kapre_like.display.specshow` (no pyplot, no backend chosen). ``samples``: an array or a :class:`Signal`
    (a long file, read a block at a time). ``options``: the keyword-only ones of :func:`spectrogram_blocks`.
    Returns the :class:`Spectrogram`; with ``save``, the spectrogram is also written there (``.npy``)."""
    from matplotlib.figure import Figure

    from . import display

    entry = check_kind(kind)
    signal = samples if isinstance(samples, Signal) else Signal.of_array(samples, sample_rate, title)
    n_bins = frontend_bins(kind, signal.rate, n_bins, f_min, f_max)
    result = compute_spectrogram(signal, kind, n_fft, hop_length, n_bins, center, f_min, f_max, save, progress,
                                 **options)
    figure = Figure(figsize=(10, 4.5), layout="constrained")
    axes = figure.subplots()
    scale = {"vmin": 0.0, "vmax": 1.0} if kind == "chroma" else {}
    mesh = display.specshow(result.columns, sample_rate=signal.rate, hop_length=hop_length, n_fft=n_fft,
                            x_axis="time", y_axis=entry.y_axis, x_coords=result.seconds,
                            y_coords=result.frequencies if kind != "chroma" else None,
                            fmin=f_min if kind in SEMITONE_KINDS + MEL_KINDS else None,
                            fmax=f_max if kind in MEL_KINDS else None, htk=options.get("htk", False),
                            bins_per_octave=BINS_PER_OCTAVE, ax=axes, **scale)
    axes.set_title(f"{entry.title}: {title}")
    display.colorbar(mesh, ax=axes, format="%+2.0f dB" if entry.decibels else None,
                     label="dB" if entry.decibels else None)
    with replaced_on_success(path) as temporary:
        figure.savefig(temporary, dpi=100, format=os.path.splitext(path)[1].lstrip(".").lower() or "png")
    return result


# ----------------------------------------------------------------------------- the STFT round trip and Griffin-Lim


@dataclasses.dataclass
class RoundTrip:
    """What :func:`round_trip` measured.

    Attributes:
        max_error (float): the largest absolute difference between a sample and its reconstruction.
        snr_db (float): ``10 log10`` of the signal's energy over the error's (see :func:`snr_db`).
        silent (bool): whether the signal is all zeros (then only ``max_error == 0`` means anything).
    """

    max_error: float
    snr_db: float
    silent: bool


def round_trip(samples, n_fft, hop_length, center=False, progress=False):
    """Samples -> STFT -> inverse STFT with the perfect pair (centred frames with ``center``: the pair then gives
    the samples back with no trimming), a block of :data:`BLOCK_SAMPLES` at a time: the pair reconstructs any
    piece of a signal whole (its STFT pads each piece's ends), so the blocks need no context and memory does not
    grow with the length. ``samples``: an array or a :class:`Signal`; ``progress``: a bar of blocks on a terminal.

    Returns a :class:`RoundTrip`.
    """
    from .composed import get_perfectly_reconstructing_stft_istft

    signal = samples if isinstance(samples, Signal) else Signal.of_array(samples, 1, "samples")
    pairs, worst, signal_energy, error_energy = {}, 0.0, 0.0, 0.0
    trim = 0 if center else n_fft - hop_length

    def pair(length):
        if length not in pairs:
            stft, istft = get_perfectly_reconstructing_stft_istft(
                stft_input_shape=(length, 1), n_fft=n_fft, hop_length=hop_length, center=center,
                waveform_data_format="channels_last", stft_data_format="channels_last")
            pairs[length] = lambda block: istft(stft(block))
        return pairs[length]

    blocks = max(0, len(signal) - n_fft) // BLOCK_SAMPLES + 1  # as _blocks_of cuts them
    bar = _progress(blocks, "block", progress)
    for block in _blocks_of(signal, BLOCK_SAMPLES, smallest=n_fft):
        rebuilt = np.asarray(pair(len(block))(block[None, :, None]))[0, trim:trim + len(block), 0]
        error = rebuilt.astype(np.float64) - block
        worst = max(worst, float(np.max(np.abs(error))))
        signal_energy += float(np.sum(np.square(block, dtype=np.float64)))
        error_energy += float(np.sum(np.square(error)))
        if bar is not None:
            bar.add(1)
    return RoundTrip(worst, _snr_of_energies(signal_energy, error_energy), signal_energy == 0)


def _blocks_of(signal, size, smallest):
    """Consecutive pieces of ``signal`` of ``size`` samples, the last one the rest (up to ``size + smallest``
    samples: no piece is shorter than ``smallest`` unless the whole signal is)."""
    buffer = np.zeros(0, np.float32)
    for chunk in signal.chunks():
        buffer = np.concatenate([buffer, chunk])
        while len(buffer) >= size + smallest:
            yield buffer[:size]
            buffer = buffer[size:]
    if len(buffer):
        yield buffer


def snr_db(signal, error):
    """``10 log10(sum(signal^2) / sum(error^2))``: inf for an exact result (silence too), -inf when a
    silent signal comes back not silent; computed without dividing by zero."""
    return _snr_of_energies(float(np.sum(np.square(signal, dtype=np.float64))),
                            float(np.sum(np.square(error, dtype=np.float64))))


def _snr_of_energies(signal_energy, error_energy):
    if error_energy == 0:
        return float("inf")
    if signal_energy == 0:
        return float("-inf")
    return float(10 * np.log10(signal_energy / error_energy))


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
    total = _frame_count(len(signal), n_fft, hop_length, False)
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
