"""The encoder's arguments, checked: sizes in seconds or samples, the window, the normalization,
the target length, and the arguments of a call over a list (``on_error``, labels, items)."""

import numbers
import os

import numpy as np

from .. import functional


def seconds_or_samples(value, sample_rate, name):
    """An int is samples; a float is seconds (rounded to samples at ``sample_rate``, at least one)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not value > 0:
        raise ValueError(f"`{name}` must be a positive number of samples (int) or seconds (float); got {value!r}.")
    return int(value) if isinstance(value, numbers.Integral) else max(1, int(round(value * sample_rate)))


def window_values(window, window_size):
    """The ``window_size`` values of ``window``: None (ones), a scipy name (periodic), a function of the
    length or an explicit array; ValueError when it gives another number of values."""
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


def checked_normalization(normalization):
    """None, or ``(kind, value)`` with kind ``'max'`` or ``'rms'``; ``'max'`` alone is ``('max', 1.0)``."""
    if normalization is None:
        return None
    if normalization == "max":
        return ("max", 1.0)
    if (isinstance(normalization, (tuple, list)) and len(normalization) == 2 and normalization[0] in ("max", "rms")
            and isinstance(normalization[1], numbers.Real) and normalization[1] > 0):
        return (normalization[0], float(normalization[1]))
    raise ValueError(f"`normalization` must be None, 'max', ('max', value) or ('rms', value) with value > 0; "
                     f"got {normalization!r}.")


def checked_target_length(target_length):
    """None (everything), seconds (a float) or partitions (an int)."""
    if target_length in (None, "all"):
        return None
    if isinstance(target_length, bool) or not isinstance(target_length, numbers.Real) or target_length <= 0:
        raise ValueError(f"`target_length` must be None/'all', seconds (float) or partitions (int) > 0; "
                         f"got {target_length!r}.")
    return target_length


def check_sample_rate(sample_rate):
    if isinstance(sample_rate, bool) or not isinstance(sample_rate, numbers.Integral) or sample_rate <= 0:
        raise ValueError(f"`sample_rate` must be a positive integer (Hz); got {sample_rate!r}.")
    return int(sample_rate)


def check_on_error(on_error):
    if on_error not in ("raise", "skip"):
        raise ValueError(f"`on_error` must be 'raise' or 'skip'; got {on_error!r}.")


def checked_labels(labels, paths):
    """``labels`` as an array of one label per path (None stays None); ValueError otherwise."""
    if labels is None:
        return None
    labels = np.asarray(labels)
    if len(labels) != len(paths):
        raise ValueError(f"`labels` must give one label per path: {len(paths)} paths, {len(labels)} labels.")
    return labels


def item_and_rate(item, sample_rate):
    """``(data, rate)`` of one item: a ``(waveform, rate)`` pair carries its own rate."""
    if (isinstance(item, tuple) and len(item) == 2 and isinstance(item[1], numbers.Real)
            and not isinstance(item[1], bool) and not isinstance(item[0], (str, os.PathLike))):
        return item
    return item, sample_rate
