"""Shared fixtures: test signals and a guard for Keras's global data format; Hypothesis profiles."""

import os

import keras
import numpy as np
import pytest
from hypothesis import settings

# The suite runs the same Hypothesis examples every time, so that it passes or fails on any day and any
# machine alike. To search new examples, run it with HYPOTHESIS_PROFILE=explore (and keep any failure it
# finds as an @example).
settings.register_profile("repeatable", derandomize=True)
settings.register_profile("explore", derandomize=False)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "repeatable"))

from kapre_like.synthetic import speech_like, white_noise

SAMPLE_RATE = 16000
N_SAMPLES = 8000  # 0.5 s at 16 kHz


@pytest.fixture(scope="session")
def waveforms():
    """(10, 6, N_SAMPLES) float32: even channels speech-like, odd channels white noise."""
    rows = []
    for item in range(10):
        channels = []
        for channel in range(6):
            seed = 100 * item + channel
            if channel % 2 == 0:
                channels.append(speech_like(N_SAMPLES / SAMPLE_RATE, SAMPLE_RATE, seed=seed))
            else:
                channels.append(white_noise(N_SAMPLES / SAMPLE_RATE, SAMPLE_RATE, seed=seed))
        rows.append(channels)
    return np.asarray(rows, dtype=np.float32)


@pytest.fixture
def image_data_format():
    """Restore ``keras.config.image_data_format()`` after a test that changes it."""
    original = keras.config.image_data_format()
    yield
    keras.config.set_image_data_format(original)


def to_layout(channels_first_array, data_format):
    """(batch, ch, time[, freq]) -> the layout of ``data_format`` (already resolved)."""
    if data_format == "channels_first":
        return channels_first_array
    rank = channels_first_array.ndim
    return np.moveaxis(channels_first_array, 1, rank - 1)


def from_layout(array, data_format):
    """Inverse of :func:`to_layout`."""
    if data_format == "channels_first":
        return array
    return np.moveaxis(array, array.ndim - 1, 1)


def assert_says(error_info, *parts):
    """Assert that the raised error's message contains every one of ``parts``."""
    message = str(error_info.value)
    missing = [part for part in parts if part not in message]
    assert not missing, f"message {message!r} lacks {missing}"


def resolved_format(data_format):
    """``data_format`` with 'default' read from Keras's current setting, as a layer built now reads it."""
    return keras.config.image_data_format() if data_format == "default" else data_format
