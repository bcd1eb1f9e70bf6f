"""Resampling inside a model: :class:`Resample` (polyphase, ``scipy.signal.resample_poly``'s filter).

Kapre has no such layer; the DSP is :func:`kapre_like.functional.resample`.
"""

import numbers

from keras import InputSpec

from . import functional
from ._base import AudioLayer, register
from ._layout import DataFormat
from .functional.resampling import DEFAULT_WINDOW, lowpass_filter, polyphase_kernel, reduced_factors

__all__ = ["Resample", "MAX_KERNEL_SIZE"]

#: The largest polyphase kernel (taps per block x phases) a :class:`Resample` builds: 64 MiB of float32.
MAX_KERNEL_SIZE = 1 << 24


def check_rate(value, arg_name, owner):
    """A sample rate as an int: a positive whole number of Hz (``44100`` or ``44100.0``)."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{owner}: `{arg_name}` must be a whole number of Hz; got {value!r} of type "
                        f"{type(value).__name__}.")
    if not value > 0 or int(value) != value:
        raise ValueError(f"{owner}: `{arg_name}` must be a positive whole number of Hz (polyphase resampling "
                         f"works between integer rates); got {value!r}.")
    return int(value)


@register
class Resample(AudioLayer):
    """Resample waveforms from ``orig_sr`` to ``target_sr`` inside the model (polyphase FIR).

    Equal to ``scipy.signal.resample_poly(x, up, down)`` along time, with ``up / down`` the
    ratio ``target_sr / orig_sr`` reduced, and the same Kaiser-windowed low-pass filter
    (``20 * max(up, down) + 1`` taps; to ~1e-6 in float32): output sample ``m`` sits at input time
    ``m * orig_sr / target_sr`` and there are ``ceil(time * target_sr / orig_sr)`` of them. The
    resampler is one strided convolution, so it is differentiable, runs on any batch and length,
    and converts to TFLite with built-in ops. soxr (the encoder's resampler, ``'HQ'``) uses a
    steeper filter; the two agree within about -60 dB of a speech-like signal's level away from
    the band edge (``benchmarks/run.py resample``).

    Args:
        orig_sr (int): sample rate of the input, in Hz (a whole number).
        target_sr (int): sample rate of the output, in Hz (a whole number).
        window (str or tuple): window of the low-pass filter, as ``scipy.signal.get_window``
            takes it. Defaults to ``('kaiser', 5.0)``, scipy's.
        data_format (str): ``'channels_last'`` for ``(batch, time, ch)``, ``'channels_first'``
            for ``(batch, ch, time)``, or ``'default'``.
        **kwargs: Keras layer arguments.

    Raises:
        TypeError, ValueError: a rate that is not a positive whole number of Hz, a window scipy
            does not know, or a ratio whose reduced factors need a kernel above
            :data:`MAX_KERNEL_SIZE` entries (e.g. 44100 -> 44099 Hz).

    Example:
        >>> import numpy as np
        >>> layer = Resample(44100, 16000, data_format='channels_last')
        >>> layer(np.zeros((2, 44100, 1), np.float32)).shape
        TensorShape([2, 16000, 1])
    """

    def __init__(self, orig_sr, target_sr, window=DEFAULT_WINDOW, data_format="default", **kwargs):
        super().__init__(**kwargs)
        owner = type(self).__name__
        self.orig_sr = check_rate(orig_sr, "orig_sr", owner)
        self.target_sr = check_rate(target_sr, "target_sr", owner)
        self.window = tuple(window) if isinstance(window, (list, tuple)) else window
        self.up, self.down = reduced_factors(self.target_sr, self.orig_sr)
        size = (20 * max(self.up, self.down) // self.up + self.down + 2) * self.up
        if size > MAX_KERNEL_SIZE:
            raise ValueError(
                f"{owner}: {self.orig_sr} -> {self.target_sr} Hz reduces to up={self.up}, down={self.down}, which "
                f"needs a polyphase kernel of about {size:.2g} entries (more than {MAX_KERNEL_SIZE}); choose rates "
                f"with a larger common divisor (e.g. resample to a nearby rate first)."
            )
        same_rate = self.up == self.down  # (then no filter runs, but the window is checked all the same)
        try:
            taps = lowpass_filter(1, 2, self.window) if same_rate else lowpass_filter(self.up, self.down, self.window)
        except (ValueError, TypeError) as error:
            raise ValueError(f"{owner}: `window` {window!r} is not a window scipy.signal.get_window knows: "
                             f"{error}") from error
        self.kernel = None if same_rate else polyphase_kernel(taps, self.up, self.down)
        self.layout = DataFormat(data_format, "data_format", owner)
        self.data_format = self.layout.name
        self.input_spec = InputSpec(ndim=3)

    def call(self, inputs):
        waveforms = functional.check_finite(
            self.layout.to_channels_first(self._float_input(inputs, "a real floating-point waveform")),
            self.finite_message)
        resampled = functional.resample(waveforms, self.up, self.down, self.kernel)
        return self.cast_output(self.layout.from_channels_first(resampled))

    def compute_output_shape(self, input_shape):
        batch, channels, time = self.layout.split_shape(input_shape)
        time = None if time is None else functional.resampled_length(time, self.up, self.down)
        return self.layout.join_shape(batch, channels, time)

    def get_config(self):
        config = super().get_config()
        config.update({"orig_sr": self.orig_sr, "target_sr": self.target_sr,
                       "window": list(self.window) if isinstance(self.window, tuple) else self.window,
                       "data_format": self.layout.original})
        return config

