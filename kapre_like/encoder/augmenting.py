"""The encoder's augmentation: its configuration checked, its random parameters drawn with NumPy,
and their application as TensorFlow ops (eager or in a ``tf.data`` graph).

Drawing is apart from applying so that a ``tf.data`` pipeline draws in Python (the encoder's
seeded generator) and computes in its graph; :func:`graph_ranges` gives the in-graph layer the
same configuration as ranges it draws from itself.
"""

import numbers
import os

import numpy as np
import tensorflow as tf

from .. import audio_io, functional

#: The augmentation keys, in the order they are drawn and applied.
AUGMENTATIONS = ("noise", "time_shift", "volume", "convolution")
#: The dtype of each key's draw, as tf.data carries it.
DRAW_DTYPES = {"convolution": tf.float32, "time_shift": tf.int32, "volume": tf.float32, "noise": tf.float32}


class Parameter:
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

    def graph_range(self):
        """``(low, high)`` for the in-graph layer, which draws uniformly itself."""
        if self.kind == "fixed":
            return (self.value, self.value)
        if self.kind == "uniform":
            return self.value
        raise ValueError(f"layer(): augmentation `{self.name}` uses a distribution object, which cannot run in "
                         f"the graph; give a number or a (low, high) range.")


def side_signal(source, name, sample_rate):
    """A noise recording or impulse response: a path (mixed to mono, resampled to ``sample_rate``) or a
    1-D array at that rate."""
    if isinstance(source, (str, os.PathLike)):
        return audio_io.load_audio(source, sample_rate, channel="mix")[0]
    values = np.asarray(source, dtype=np.float32)
    if values.ndim != 1 or values.size == 0:
        raise ValueError(f"augmentation `{name}`: an array must be 1-D and non-empty (at the encoder's sample "
                         f"rate); got shape {values.shape}.")
    return values


def checked_augmentation(augmentation, sample_rate):
    """The ``augmentation`` dict checked: ``{key: Parameter or (Parameter, recording) ...}`` (see the encoder)."""
    if not isinstance(augmentation, dict):
        raise ValueError(f"`augmentation` must be a dict with keys from {list(AUGMENTATIONS)}; got {augmentation!r}.")
    unknown = sorted(set(augmentation) - set(AUGMENTATIONS))
    if unknown:
        raise ValueError(f"unknown augmentation key(s) {unknown}; allowed: {list(AUGMENTATIONS)}.")
    checked = {}
    if "volume" in augmentation:
        checked["volume"] = Parameter(augmentation["volume"], "volume")
    if "time_shift" in augmentation:
        shift = augmentation["time_shift"]
        scaled = isinstance(shift, tuple) and len(shift) == 2 and shift[0] == "scaled"
        checked["time_shift"] = (scaled, Parameter(shift[1] if scaled else shift, "time_shift"))
    if "noise" in augmentation:
        noise = augmentation["noise"]
        if isinstance(noise, tuple) and len(noise) == 2 and not all(isinstance(v, numbers.Real) for v in noise):
            checked["noise"] = (Parameter(noise[0], "noise"), side_signal(noise[1], "noise", sample_rate))
        elif isinstance(noise, (str, os.PathLike, np.ndarray)):
            checked["noise"] = (None, side_signal(noise, "noise", sample_rate))
        else:
            checked["noise"] = (Parameter(noise, "noise"), None)
    if "convolution" in augmentation:
        convolution = augmentation["convolution"]
        if isinstance(convolution, tuple) and len(convolution) == 2:
            checked["convolution"] = (Parameter(convolution[0], "convolution mix"),
                                      side_signal(convolution[1], "convolution", sample_rate))
        else:
            checked["convolution"] = (Parameter(1.0, "convolution mix"),
                                      side_signal(convolution, "convolution", sample_rate))
    return checked


def draw(augmentation, rng, length, sample_rate):
    """The random parameters of one item's augmentation, drawn with ``rng`` in a fixed order.

    Returns a dict with the configured keys: ``'convolution'`` (the wet/dry mix), ``'time_shift'``
    (samples), ``'volume'`` (a factor), ``'noise'`` (``length`` float32 samples to add).
    """
    draws = {}
    if "convolution" in augmentation:
        draws["convolution"] = np.float32(augmentation["convolution"][0].draw(rng))
    if "time_shift" in augmentation:
        scaled, shift = augmentation["time_shift"]
        seconds = shift.draw(rng) * (length / sample_rate if scaled else 1.0)
        draws["time_shift"] = np.int32(round(seconds * sample_rate))
    if "volume" in augmentation:
        draws["volume"] = np.float32(augmentation["volume"].draw(rng))
    if "noise" in augmentation:
        amplitude, recording = augmentation["noise"]
        if recording is None:
            noise = rng.standard_normal(length) * amplitude.draw(rng)
        else:
            noise = np.resize(recording, length).astype(np.float64)
            if amplitude is not None:
                rms = np.sqrt(np.mean(noise**2))
                noise = noise * (amplitude.draw(rng) / rms if rms > 0 else 0.0)
        draws["noise"] = noise.astype(np.float32)
    return draws


def apply(augmentation, signal, draws):
    """``signal`` (a 1-D tensor, eager or in a graph) with the drawn augmentation applied."""
    if "convolution" in draws:
        signal = functional.convolve(signal, augmentation["convolution"][1], draws["convolution"])
    if "time_shift" in draws:
        signal = functional.time_shift(signal, draws["time_shift"])
    if "volume" in draws:
        signal = signal * tf.cast(draws["volume"], signal.dtype)
    if "noise" in draws:
        signal = signal + tf.cast(draws["noise"], signal.dtype)
    return signal


def graph_ranges(augmentation):
    """The configuration the in-graph layer takes: ``(low, high)`` ranges, and the convolution's
    ``(mix, response list)``; ValueError for what cannot run in a graph (a distribution, a noise
    recording, a time shift scaled by each item's duration)."""
    ranges = {}
    for key, value in augmentation.items():
        if key == "volume":
            ranges["volume"] = value.graph_range()
        elif key == "time_shift":
            scaled, parameter = value
            if scaled:
                raise ValueError("layer(): a scaled time shift depends on each item's duration; give seconds.")
            ranges["time_shift"] = parameter.graph_range()
        elif key == "noise":
            amplitude, recording = value
            if recording is not None:
                raise ValueError("layer(): noise recordings are not supported in the graph; give an amplitude.")
            ranges["noise"] = amplitude.graph_range()
        elif key == "convolution":
            mix, response = value
            ranges["convolution"] = (mix.graph_range()[0], response.tolist())
    return ranges
