"""The composed factories' models: :class:`AudioSequential` (a ``Sequential`` that keeps its input's
precision) and :class:`SpectrogramSequential` (the fused chain, STFT to decibels run as one computation).

Which layers the chain fuses: instances of :class:`~kapre_like.time_frequency.STFT`,
:class:`~kapre_like.time_frequency.Magnitude`, :class:`~kapre_like.time_frequency.ApplyFilterbank` and
:class:`~kapre_like.time_frequency.MagnitudeToDecibel`, their subclasses included, whose class attribute
``fuses`` is True: the chain computes them from their public attributes instead of calling them. A
subclass that changes what ``call`` computes sets ``fuses = False`` (the ``*Tflite`` layers do: their
route is TFLite's), and the chain then calls it as a ``Sequential`` would.
"""

import keras

from . import functional
from ._base import register
from .time_frequency import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel

__all__ = ["AudioSequential", "SpectrogramSequential"]


def _fuses(layer, kind):
    """True when ``layer`` is a ``kind`` (or a subclass's instance) that lets the chain compute it."""
    return isinstance(layer, kind) and layer.fuses


@register
class AudioSequential(keras.Sequential):
    """``keras.Sequential`` that does not cast its input: float64 waveforms stay float64, as for the
    layers themselves (a plain ``Sequential`` casts them to the dtype of the ``InputLayer`` it
    builds, float32). What the factories return."""

    def __init__(self, layers=None, trainable=True, name=None):
        super().__init__(layers=layers, trainable=trainable, name=name)
        self.autocast = False

    def call(self, inputs, training=None, mask=None):
        # the layers one after the other (Sequential's own fallback), not its functional graph,
        # whose InputLayer would cast the input
        outputs = inputs
        for layer in self.layers:
            outputs = layer(outputs, training=training)
        return outputs


@register
class SpectrogramSequential(AudioSequential):
    """``keras.Sequential`` of STFT, Magnitude[, ApplyFilterbank][, MagnitudeToDecibel], run as one computation.

    What the magnitude factories return. Its layers are the ordinary ones (inspect, reuse or
    save them as usual), but when the model starts with that chain it computes the chain with
    :func:`kapre_like.functional.filtered_spectrogram`, built from the layers' public contract:
    :meth:`STFT.checked_waveforms` and :attr:`STFT.spectrogram_arguments`, ``Magnitude.power``,
    :attr:`ApplyFilterbank.filterbank`, :attr:`MagnitudeToDecibel.decibel_arguments` and the last
    chain layer's :meth:`~kapre_like.time_frequency.AudioLayer.cast_output`. Its plain route
    computes what the layers' own ``call`` do (the magnitude as the root of the power, one matrix
    product, decibels), faster than Kapre's chain and compiling nothing (a first ``predict`` costs
    about what Kapre's does, whatever the signal length); for minutes of audio it runs in chunks
    of frames, so that the complex spectrogram is never held whole. The numbers are those of the
    layers run one after the other (within float32 rounding). Layers after the chain
    (``LogmelToMFCC`` in :func:`get_mfcc_layer`, or any added with ``add``) run after it one by
    one; a model that no longer starts with the chain runs as a plain ``Sequential``. Subclasses of
    the chain's layers fuse when their ``fuses`` attribute is True (see :mod:`kapre_like.sequential`).
    """

    def _filtered_chain(self):
        """``(stft, magnitude, filterbank, decibel, rest)`` when the model starts with STFT, Magnitude
        (then ApplyFilterbank in the STFT's output format, then MagnitudeToDecibel, if present);
        ``rest`` are the layers after them. None for any other model."""
        layers = list(self.layers)
        if len(layers) < 2 or not _fuses(layers[0], STFT) or not _fuses(layers[1], Magnitude):
            return None
        stft, magnitude, rest = layers[0], layers[1], layers[2:]
        filterbank = None
        if rest and _fuses(rest[0], ApplyFilterbank) and rest[0].data_format == stft.output_data_format:
            filterbank = rest.pop(0)
        decibel = rest.pop(0) if rest and _fuses(rest[0], MagnitudeToDecibel) else None
        return stft, magnitude, filterbank, decibel, rest

    def call(self, inputs, training=None, mask=None):
        chain = self._filtered_chain()
        if chain is None:
            return super().call(inputs, training=training, mask=mask)
        stft, magnitude, filterbank, decibel, rest = chain
        stft.check_layout(inputs)
        spectra = functional.filtered_spectrogram(
            stft.checked_waveforms(inputs), **stft.spectrogram_arguments, power=magnitude.power,
            filterbank=None if filterbank is None else filterbank.filterbank,
            decibel=None if decibel is None else decibel.decibel_arguments,
        )
        last = decibel or filterbank or magnitude
        outputs = last.cast_output(stft.output_format.from_channels_first(spectra))
        for layer in rest:  # e.g. LogmelToMFCC, or layers added after the front end
            outputs = layer(outputs, training=training)
        return outputs
