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

The package: :mod:`.settings` (the arguments checked), :mod:`.augmenting` (configuration, draws,
application), :mod:`.datasets` (``tf.data``), :mod:`.layer` (the in-graph layer) and
:mod:`.encoders` (the encoder classes). Files are read by :mod:`kapre_like.audio_io`.
"""

from ..audio_io import AudioReadError, decode_audio, load_audio
from .augmenting import AUGMENTATIONS
from .encoders import (AudioEncoder, AudioMelSpectrogramEncoder, AudioMFCCEncoder, AudioSpectrogramEncoder,
                       AudioSTFTEncoder)
from .layer import AudioSpectrogram

__all__ = ["AudioEncoder", "AudioSpectrogramEncoder", "AudioMelSpectrogramEncoder", "AudioMFCCEncoder", "AudioSTFTEncoder",
           "AudioSpectrogram", "AudioReadError", "load_audio"]
