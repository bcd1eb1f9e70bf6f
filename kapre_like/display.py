"""Pictures of spectrograms: :func:`specshow` and :func:`colorbar`, modelled on ``librosa.display``.

:func:`specshow` draws a 2-D array (a spectrogram, mel spectrogram, CQT, chroma or MFCC) onto a
Matplotlib ``Axes`` and returns the ``QuadMesh``; its axes are in seconds and in Hz, mel-spaced Hz,
note names or pitch classes, with the bin coordinates, scales, tick positions and tick labels that
``librosa.display.specshow`` gives the same data. kapre_like's layers output ``(batch, time,
frequency, channels)``: select one picture (``x[0, :, :, 0]``), whose time is on axis 0; an array in
librosa's ``(frequency, time)`` layout takes ``time_axis=1``.

Matplotlib is imported when a function is called, not with this module, and its backend is never
changed: the picture goes to the ``Axes`` given (or pyplot's current one), and saving it is the
caller's choice (``figure.savefig``).
"""

import warnings

import numpy as np

__all__ = ["specshow", "colorbar", "frequency_ticks", "note_ticks", "note_name", "TIME_AXES", "FREQUENCY_AXES"]

#: The ``x_axis`` kinds of :func:`specshow` (the time axis), with the axis label each draws.
TIME_AXES = {"time": "Time", "s": "Time (seconds)", "ms": "Time (milliseconds)", "frames": "Frames", None: ""}

#: The ``y_axis`` kinds of :func:`specshow` (the frequency axis), with the axis label each draws.
FREQUENCY_AXES = {"linear": "Hz", "hz": "Hz", "log": "Hz", "mel": "Hz", "cqt_hz": "Hz", "cqt_note": "Note",
                  "chroma": "Pitch class", "mfcc": "MFCC", "frames": "Frames", None: ""}

_C1_HZ = 440.0 * 2.0 ** ((24 - 69) / 12)  # MIDI note 24, the lowest bin of a default CQT (librosa's fmin)
_PITCH_CLASSES = ("C", "C\u266f", "D", "D\u266f", "E", "F", "F\u266f", "G", "G\u266f", "A", "A\u266f", "B")
_C_MAJOR_DEGREES = (0, 2, 4, 5, 7, 9, 11)  # the pitch classes a chroma axis labels (librosa's key C:maj)
_TIME_LOCATOR_STEPS = [1, 1.5, 5, 6, 10]  # round seconds, quarter minutes and minutes (librosa's)
_ROUND_HZ = (0, 100, 200, 500, 1000, 2000, 3000, 5000, 8000, 10000, 16000, 20000, 30000, 40000)


def _matplotlib():
    """The ``matplotlib`` package, or an ImportError that says how to install it."""
    try:
        import matplotlib
        import matplotlib.ticker  # noqa: F401 (the locators and formatters the axes get)
    except ImportError:
        raise ImportError("kapre_like.display draws with matplotlib, which is not installed: "
                          "pip install matplotlib") from None
    return matplotlib


# ----------------------------------------------------------------------------- bin coordinates


def _hz_to_mel(hz, htk):
    hz = np.asarray(hz, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + hz / 700.0)
    # Slaney's scale: linear (3 mels per 200 Hz) up to 1 kHz, logarithmic (27 steps per factor 6.4) above
    linear = hz / (200.0 / 3)
    return np.where(hz >= 1000.0, 15.0 + np.log(np.maximum(hz, 1000.0) / 1000.0) / (np.log(6.4) / 27.0), linear)


def _mel_to_hz(mel, htk):
    mel = np.asarray(mel, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (mel / 2595.0) - 1.0)
    return np.where(mel >= 15.0, 1000.0 * np.exp((np.log(6.4) / 27.0) * (mel - 15.0)), mel * (200.0 / 3))


def _frequency_coordinates(kind, n_bins, sample_rate, n_fft, fmin, fmax, bins_per_octave, htk):
    """The coordinate of each of ``n_bins`` rows on a ``kind`` axis (librosa's choice of coordinates)."""
    if kind in ("linear", "hz", "log"):
        n_fft = 2 * (n_bins - 1) if n_fft is None else n_fft
        if n_fft // 2 + 1 != n_bins:
            raise ValueError(f"specshow: y_axis={kind!r} needs n_fft // 2 + 1 frequency bins, but data has {n_bins} "
                             f"and n_fft={n_fft} gives {n_fft // 2 + 1}; pass the n_fft the spectrogram was computed "
                             f"with (None means 2 * (bins - 1))")
        return np.arange(n_bins) * (sample_rate / n_fft)
    if kind == "mel":
        fmin = 0.0 if fmin is None else fmin
        fmax = sample_rate / 2.0 if fmax is None else fmax
        # librosa.display spaces the n bins evenly in mel from fmin to fmax, both included
        return _mel_to_hz(np.linspace(_hz_to_mel(fmin, htk), _hz_to_mel(fmax, htk), n_bins), htk)
    if kind in ("cqt_hz", "cqt_note"):
        frequencies = (_C1_HZ if fmin is None else fmin) * 2.0 ** (np.arange(n_bins) / bins_per_octave)
        if frequencies[-1] > sample_rate / 2.0:
            warnings.warn(f"specshow: the top bin of the {kind!r} axis ({frequencies[-1]:.1f} Hz) is above the "
                          f"Nyquist frequency ({sample_rate / 2.0:g} Hz); are sample_rate, fmin and "
                          f"bins_per_octave those of the transform?", stacklevel=3)
        return frequencies
    if kind == "chroma":
        return np.arange(n_bins) * (12.0 / bins_per_octave)  # in semitones above C: the locator ticks 0, 2, 4, ...
    return np.arange(n_bins, dtype=np.float64)  # 'mfcc', 'frames', None


def _time_coordinates(kind, n_frames, sample_rate, hop_length):
    """The coordinate of each frame: frame t at ``t * hop_length / sample_rate`` seconds (librosa's)."""
    if kind in ("time", "s", "ms"):
        return np.arange(n_frames) * (hop_length / sample_rate)
    return np.arange(n_frames, dtype=np.float64)


def _checked_coordinates(coordinates, count, name, what):
    coordinates = np.asarray(coordinates, dtype=np.float64)
    if coordinates.ndim != 1 or len(coordinates) not in (count, count + 1):
        raise ValueError(f"specshow: {name} must be a 1-D array of {count} {what} centres or {count + 1} edges; "
                         f"got shape {coordinates.shape}")
    return coordinates


# ----------------------------------------------------------------------------- tick labels


def _time_label(seconds, unit, span):
    """A time tick's label (librosa's TimeFormatter): ``unit`` 's' or 'ms', else chosen by the axis' ``span``
    in seconds: H:MM:SS above an hour, M:SS above a minute, seconds to two digits from 1 s, else to 1 ms."""
    if unit == "ms":
        return f"{seconds * 1000:.3g}"
    if unit == "s":
        return f"{seconds:.3g}"
    if span > 3600:
        return f"{int(seconds / 3600.0):d}:{int(np.mod(seconds / 60.0, 60)):02d}:{int(np.mod(seconds, 60)):02d}"
    if span > 60:
        return f"{int(seconds / 60.0):d}:{int(np.mod(seconds, 60)):02d}"
    return f"{seconds:.2g}" if span >= 1 else f"{seconds:.3f}"


def note_name(frequency, octave=True, cents=False):
    """The name of the equal-tempered note nearest to ``frequency`` (A4 = 440 Hz), spelled with sharps.

    Args:
        frequency (float): a frequency in Hz, > 0.
        octave (bool): append the octave number (``'C4'``, scientific pitch notation). Defaults to True.
        cents (bool): append the deviation from that note in cents (``'A4+20'``); needs ``octave``.
            Defaults to False.

    Returns:
        str: e.g. ``note_name(261.63) == 'C4'``, ``note_name(466.16) == 'A♯4'`` (Unicode sharp),
        as ``librosa.hz_to_note``.
    """
    if not frequency > 0:
        raise ValueError(f"note_name: frequency must be > 0 Hz; got {frequency!r}")
    if cents and not octave:
        raise ValueError("note_name: cents=True needs octave=True (a deviation from a note in one octave)")
    midi = 12.0 * np.log2(frequency / 440.0) + 69.0
    number = int(np.round(midi))
    name = _PITCH_CLASSES[number % 12]
    if octave:
        name += f"{int(number / 12) - 1:d}"
    if cents:
        name += f"{int(100 * np.around(midi - number, 2)):+d}"
    return name


def _note_label(frequency, low, high, major):
    """A note tick's label: minor ticks only on an axis under two octaves, cents under one octave."""
    if frequency <= 0 or (not major and high > 4 * max(1.0, low)):
        return ""
    return note_name(frequency, cents=high <= 2 * max(1.0, low))


def _hz_label(frequency, low, high, major):
    if frequency <= 0 or (not major and high > 4 * max(1.0, low)):
        return ""
    return f"{frequency:g}"


def frequency_ticks(frequencies, count=8):
    """Tick positions on a bin-index axis, at round frequencies, for bins that are not evenly spaced in Hz.

    For a picture whose rows are drawn one per bin (the row index on the axis), this places ticks at
    round frequencies (100, 200, 500 Hz, 1, 2, 3, 5, 8 kHz, ...) inside the bins' range, interpolated
    between the bins' centres, keeping those at least ``1 / count`` of the axis apart.

    Args:
        frequencies (array): the centre frequency of each bin, in Hz, increasing.
        count (int): at most about this many ticks. Defaults to 8.

    Returns:
        tuple: ``(positions, labels)``, for ``axis.set_yticks(positions, labels)``.
    """
    frequencies = np.asarray(frequencies, dtype=np.float64)
    positions, labels = [], []
    for hz in _ROUND_HZ:
        if frequencies[0] <= hz <= frequencies[-1]:
            position = float(np.interp(hz, frequencies, np.arange(len(frequencies))))
            if not positions or position - positions[-1] >= len(frequencies) / count:
                positions.append(position)
                labels.append(f"{hz:g}")
    return positions, labels


def note_ticks(frequencies, bins_per_octave=12):
    """Tick positions on a bin-index axis of log-spaced bins, at every C (C1, C2, ...) within their range.

    Args:
        frequencies (array): the centre frequency of each bin, in Hz, ``frequencies[0] * 2 **
            (k / bins_per_octave)`` for bin k (a CQT's or a log-frequency filterbank's).
        bins_per_octave (int): bins per octave of those bins. Defaults to 12.

    Returns:
        tuple: ``(positions, labels)``, for ``axis.set_yticks(positions, labels)``.
    """
    frequencies = np.asarray(frequencies, dtype=np.float64)
    positions, labels = [], []
    for octave in range(-1, 11):
        hz = _C1_HZ * 2.0 ** (octave - 1)  # the C of that octave
        if frequencies[0] * 0.999 <= hz <= frequencies[-1] * 1.001:  # a bin centred on C, give or take rounding
            positions.append(bins_per_octave * np.log2(hz / frequencies[0]))
            labels.append(f"C{octave}")
    return positions, labels


# ----------------------------------------------------------------------------- drawing


def _default_colormap(data):
    """librosa's choice: grey for booleans, a diverging map for data on both sides of 0 (2nd to 98th percentile),
    else magma."""
    if data.dtype == bool:
        return "gray_r"
    finite = data[np.isfinite(data)]
    if not finite.size:
        return "magma"
    low, high = np.percentile(finite, [2, 98])
    return "magma" if low >= 0 or high <= 0 else "coolwarm"


def _check_positive(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) or not value > 0:
        raise ValueError(f"specshow: {name} must be a number > 0; got {value!r}")


def _check_arguments(x_axis, y_axis, sample_rate, hop_length, n_fft, fmin, fmax, bins_per_octave, time_axis):
    if x_axis not in TIME_AXES:
        raise ValueError(f"specshow: unknown x_axis {x_axis!r}; allowed: {', '.join(map(repr, TIME_AXES))}")
    if y_axis not in FREQUENCY_AXES:
        raise ValueError(f"specshow: unknown y_axis {y_axis!r}; allowed: {', '.join(map(repr, FREQUENCY_AXES))}")
    _check_positive(sample_rate, "sample_rate")
    _check_positive(hop_length, "hop_length")
    if n_fft is not None:
        _check_positive(n_fft, "n_fft")
    if isinstance(bins_per_octave, bool) or not isinstance(bins_per_octave, (int, np.integer)) or bins_per_octave < 1:
        raise ValueError(f"specshow: bins_per_octave must be an integer >= 1; got {bins_per_octave!r}")
    if time_axis not in (0, 1) or isinstance(time_axis, bool):
        raise ValueError(f"specshow: time_axis must be 0 (data is (time, frequency), kapre_like's layout) or 1 "
                         f"((frequency, time), librosa's); got {time_axis!r}")
    if fmin is not None and (not fmin >= 0 or (y_axis in ("cqt_hz", "cqt_note") and not fmin > 0)):
        raise ValueError(f"specshow: fmin must be {'> 0' if y_axis in ('cqt_hz', 'cqt_note') else '>= 0'} Hz "
                         f"for y_axis={y_axis!r}; got {fmin!r}")
    if y_axis == "mel":
        low, high = 0.0 if fmin is None else fmin, sample_rate / 2.0 if fmax is None else fmax
        if not high > low:
            raise ValueError(f"specshow: fmax ({high:g} Hz) must be above fmin ({low:g} Hz)")


def _as_picture(data, time_axis):
    """``data`` as a NumPy (frequency, time) array, or a ValueError that says how to select one picture."""
    data = np.asarray(data)
    if data.ndim != 2:
        if data.ndim == 4:
            how = ("select one example and channel, e.g. x[0, :, :, 0] for kapre_like's "
                   "(batch, time, frequency, channels)")
        elif data.ndim == 3:
            how = "select one example or channel, e.g. x[0] or x[:, :, 0]"
        else:
            how = "pass a (time, frequency) array"
        raise ValueError(f"specshow: data must be 2-D (time, frequency); got shape {data.shape}: {how}")
    if 0 in data.shape:
        raise ValueError(f"specshow: data has no values to draw (shape {data.shape})")
    if np.iscomplexobj(data):
        warnings.warn("specshow: data is complex; drawing its magnitude", stacklevel=3)
        data = np.abs(data)
    elif not (np.issubdtype(data.dtype, np.number) or data.dtype == bool):
        raise ValueError(f"specshow: data must be numbers; got dtype {data.dtype}")
    return data.T if time_axis == 0 else data


def _scale_axis(axes, which, kind):
    """Set the axis' scale: librosa's approximations of the mel and log-frequency scales by symlog/log, base 2."""
    set_scale = axes.set_xscale if which == "x" else axes.set_yscale
    if kind == "mel":
        set_scale("symlog", linthresh=1000.0, base=2)  # linear below 1 kHz, logarithmic above: the mel scale's shape
    elif kind == "log":
        set_scale("symlog", linthresh=440.0 * 2.0 ** ((36 - 69) / 12), base=2, linscale=0.5)  # linear below C2
    elif kind in ("cqt_hz", "cqt_note"):
        set_scale("log", base=2)


def _decorate_axis(axis, kind, label):
    """Locators, formatters and label of one axis (as librosa.display gives each kind)."""
    from matplotlib import ticker

    axis.set_label_text(label)
    if kind in ("time", "s", "ms"):
        unit = None if kind == "time" else kind
        axis.set_major_formatter(ticker.FuncFormatter(
            lambda x, pos: _time_label(x, unit, np.ptp(axis.get_view_interval()))))
        axis.set_major_locator(ticker.MaxNLocator(prune=None, steps=_TIME_LOCATOR_STEPS))
    elif kind in ("linear", "hz"):
        axis.set_major_formatter(ticker.ScalarFormatter())
    elif kind in ("mel", "log"):
        axis.set_major_formatter(ticker.ScalarFormatter())
        axis.set_major_locator(ticker.SymmetricalLogLocator(axis.get_transform()))
    elif kind in ("cqt_hz", "cqt_note"):
        c_offset = 2.0 ** (np.log2(_C1_HZ) - np.floor(np.log2(_C1_HZ)))  # where the Cs fall between powers of 2
        semitones = c_offset * 2.0 ** (np.arange(1, 12) / 12.0)
        label_of = _hz_label if kind == "cqt_hz" else _note_label
        # ticks on Hz axes at powers of 2 Hz (librosa's), on note axes at every C
        axis.set_major_locator(ticker.LogLocator(base=2.0, subs=(1.0,) if kind == "cqt_hz" else (c_offset,)))
        axis.set_minor_locator(ticker.LogLocator(base=2.0, subs=semitones))
        for major, set_formatter in ((True, axis.set_major_formatter), (False, axis.set_minor_formatter)):
            set_formatter(ticker.FuncFormatter(
                lambda x, pos, major=major: label_of(x, *sorted(axis.get_view_interval()), major)))
    elif kind == "mfcc":
        axis.set_major_locator(ticker.MaxNLocator(integer=True))  # coefficient numbers, never 2.5
    elif kind == "chroma":
        axis.set_major_locator(ticker.FixedLocator(np.add.outer(12 * np.arange(10), _C_MAJOR_DEGREES).ravel()))
        axis.set_major_formatter(ticker.FuncFormatter(lambda x, pos: _PITCH_CLASSES[int(x) % 12]))
    elif kind is None:
        axis.set_ticks([])


def specshow(data, *, sample_rate=22050, hop_length=512, n_fft=None, x_axis="time", y_axis="linear", fmin=None,
             fmax=None, bins_per_octave=12, htk=False, x_coords=None, y_coords=None, ax=None, time_axis=0,
             **pcolormesh_kwargs):
    """Draw a spectrogram-like array onto a Matplotlib ``Axes``, with its time and frequency axes.

    The array's frames become columns at ``t * hop_length / sample_rate`` seconds and its bins rows at
    their frequencies, with the scale, ticks and labels ``librosa.display.specshow`` gives the same
    data and arguments. The axis kinds:

    ==============  ============================================================================
    ``x_axis``
    ``'time'``      seconds (``M:SS`` beyond a minute, ``H:MM:SS`` beyond an hour)
    ``'s'``         seconds; ``'ms'``: milliseconds
    ``'frames'``    frame index
    ``None``        no ticks
    ``y_axis``
    ``'linear'``    STFT bins, linear in Hz (``'hz'`` too); ``n_fft`` defaults to ``2 * (bins - 1)``
    ``'log'``       STFT bins on a log-frequency axis (linear below C2)
    ``'mel'``       mel bins (:func:`~kapre_like.composed.get_melspectrogram_layer`), from ``fmin``
                    to ``fmax``, Hz on a mel-like axis
    ``'cqt_hz'``    log-spaced bins from ``fmin`` (default C1), ``bins_per_octave`` per octave
                    (a CQT/VQT or a log-frequency filterbank), in Hz
    ``'cqt_note'``  the same bins labelled with note names (C1, C2, ...)
    ``'chroma'``    pitch classes C, D, E, ... (``bins_per_octave`` bins per octave)
    ``'mfcc'``      coefficient number; ``'frames'``: bin index
    ``None``        no ticks
    ==============  ============================================================================

    Args:
        data (array): 2-D: ``(time, frequency)`` (``time_axis=0``, one picture of a kapre_like layer's
            output: ``x[0, :, :, 0]``) or ``(frequency, time)`` (``time_axis=1``, librosa's layout).
            A NumPy array or a tensor; complex values are drawn as their magnitude (with a warning).
        sample_rate (float): sample rate of the audio, in Hz. Defaults to 22050.
        hop_length (int): samples between frames. Defaults to 512.
        n_fft (int or None): FFT size, for ``'linear'``/``'hz'``/``'log'``. Defaults to None
            (``2 * (bins - 1)``; give it for an odd FFT size).
        x_axis (str or None): the time axis' kind (table above). Defaults to ``'time'``.
        y_axis (str or None): the frequency axis' kind (table above). Defaults to ``'linear'``.
        fmin (float or None): for ``'mel'``, the filterbank's lowest frequency in Hz (default 0); for
            ``'cqt_hz'``/``'cqt_note'``, the lowest bin's centre (default C1, 32.70 Hz). Defaults to None.
        fmax (float or None): for ``'mel'``, the filterbank's highest frequency in Hz. Defaults to None
            (``sample_rate / 2``).
        bins_per_octave (int): for ``'cqt_hz'``, ``'cqt_note'`` and ``'chroma'``. Defaults to 12.
        htk (bool): for ``'mel'``, the HTK mel formula instead of Slaney's (the layers' ``mel_htk``).
            Defaults to False.
        x_coords (array or None): the frames' times (or edges: one more), in the x axis' unit, instead of
            ``t * hop_length / sample_rate``, e.g. frame centres of uncentred frames. Defaults to None.
        y_coords (array or None): the bins' frequencies in Hz (or edges: one more) instead of the
            ``y_axis`` kind's; the kind still chooses scale, ticks and label. Defaults to None.
        ax (matplotlib.axes.Axes or None): where to draw. Defaults to None (pyplot's current Axes, whose
            current image then becomes this one, as ``plt.imshow`` does).
        time_axis (int): the axis of ``data`` that is time: 0 or 1. Defaults to 0.
        **pcolormesh_kwargs: passed to ``Axes.pcolormesh`` (``cmap``, ``vmin``, ``vmax``, ...). Defaults
            as librosa's: ``cmap`` magma (coolwarm for data on both sides of 0, gray_r for booleans),
            ``shading='auto'``, ``rasterized=True``, ``edgecolors='None'``.

    Returns:
        matplotlib.collections.QuadMesh: the drawn mesh, e.g. for :func:`colorbar`.

    Raises:
        ValueError: ``data`` is not 2-D (the message says the shape and how to select one picture),
            an axis kind is unknown (the message lists the allowed ones), ``sample_rate``,
            ``hop_length`` or ``n_fft`` is not > 0, or the coordinates do not fit ``data``.
        ImportError: matplotlib is not installed.
    """
    _matplotlib()
    _check_arguments(x_axis, y_axis, sample_rate, hop_length, n_fft, fmin, fmax, bins_per_octave, time_axis)
    picture = _as_picture(data, time_axis)
    n_bins, n_frames = picture.shape
    if x_coords is None:
        x_coords = _time_coordinates(x_axis, n_frames, sample_rate, hop_length)
    else:
        x_coords = _checked_coordinates(x_coords, n_frames, "x_coords", "frame")
    if y_coords is None:
        y_coords = _frequency_coordinates(y_axis, n_bins, sample_rate, n_fft, fmin, fmax, bins_per_octave, htk)
    else:
        y_coords = _checked_coordinates(y_coords, n_bins, "y_coords", "bin")
    if ax is None:
        import matplotlib.pyplot as plt  # only to find the current Axes; no backend is chosen here

        axes = plt.gca()
    else:
        from matplotlib.axes import Axes

        if not isinstance(ax, Axes):
            raise ValueError(f"specshow: ax must be a matplotlib.axes.Axes; got {type(ax).__name__}")
        axes = ax
    pcolormesh_kwargs.setdefault("cmap", _default_colormap(picture))
    pcolormesh_kwargs.setdefault("rasterized", True)
    pcolormesh_kwargs.setdefault("edgecolors", "None")
    pcolormesh_kwargs.setdefault("shading", "auto")
    mesh = axes.pcolormesh(x_coords, y_coords, picture, **pcolormesh_kwargs)
    if ax is None:
        plt.sci(mesh)
    _scale_axis(axes, "x", x_axis)
    _scale_axis(axes, "y", y_axis)
    _decorate_axis(axes.xaxis, x_axis, TIME_AXES[x_axis])
    _decorate_axis(axes.yaxis, y_axis, FREQUENCY_AXES[y_axis])
    return mesh


def colorbar(mappable, ax=None, format="%+2.0f dB", label=None):
    """A colour bar for a picture, by default labelled in decibels (``+0 dB``, ``-20 dB``, ...).

    Args:
        mappable (matplotlib.cm.ScalarMappable): what to show the colours of, e.g. the mesh
            :func:`specshow` returns.
        ax (matplotlib.axes.Axes or None): the Axes the bar takes its room from. Defaults to None
            (the mappable's own Axes).
        format (str, matplotlib.ticker.Formatter or None): tick label format, ``%`` style. Defaults to
            ``'%+2.0f dB'``, for spectrograms in decibels; None gives plain numbers.
        label (str or None): the bar's label. Defaults to None (none).

    Returns:
        matplotlib.colorbar.Colorbar: the colour bar.
    """
    _matplotlib()
    from matplotlib.cm import ScalarMappable
    from matplotlib.ticker import Formatter

    if not isinstance(mappable, ScalarMappable):
        raise ValueError(f"colorbar: mappable must be a matplotlib ScalarMappable (what specshow returns); "
                         f"got {type(mappable).__name__}")
    if not (format is None or isinstance(format, (str, Formatter))):
        raise ValueError(f"colorbar: format must be a %-format string, a matplotlib Formatter or None; got {format!r}")
    axes = ax if ax is not None else getattr(mappable, "axes", None)
    if axes is None:
        raise ValueError("colorbar: the mappable is on no Axes; pass ax= the Axes to take room from")
    bar = axes.figure.colorbar(mappable, ax=axes, format=format)
    if label is not None:
        bar.set_label(label)
    return bar
