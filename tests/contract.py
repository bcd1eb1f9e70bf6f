"""The contract every public layer and factory keeps, as data for tests/test_contract.py.

``CASES`` maps a name to a :class:`Case`: how to build the layer (or factory sub-model) and what
it takes. ``test_every_public_layer_and_factory_has_a_case`` fails when a public name has none, so
a new layer cannot skip the harness. Inputs are channels-last with time on axis 1; each input kind
is a NumPy array of the requested batch, length and dtype, seeded.
"""

import dataclasses

import keras
import numpy as np
import tensorflow as tf

import kapre_like as kl

RATE = 16000
TIME = 4096  # samples of a waveform; frames of a spectrogram are TIME // 64
CL = dict(data_format="channels_last")
IO_CL = dict(input_data_format="channels_last", output_data_format="channels_last")


def _rng(batch, length):
    return np.random.default_rng(1000 * batch + length)


def waveform(batch, length=TIME, dtype="float32", channels=2):
    """(batch, time, channels) audio in [-1, 1]."""
    return np.tanh(_rng(batch, length).standard_normal((batch, length, channels))).astype(dtype)


def mono(batch, length=TIME, dtype="float32"):
    """(batch, time) audio."""
    return waveform(batch, length, dtype, channels=1)[..., 0]


def spectrum(bins):
    """A maker of (batch, frames, bins, 2) non-negative spectra (frames = length // 64)."""
    def make(batch, length=TIME, dtype="float32"):
        return np.abs(_rng(batch, length).standard_normal((batch, length // 64, bins, 2))).astype(dtype)
    make.bins = bins
    return make


def complex_spectrum(batch, length=TIME, dtype="float32"):
    """(batch, frames, 129, 2) complex spectra (n_fft 256)."""
    rng = _rng(batch, length)
    shape = (batch, length // 64, 129, 2)
    values = rng.standard_normal(shape) + 1j * rng.standard_normal(shape)
    return values.astype("complex128" if dtype == "float64" else "complex64")


def pairs(batch, length=TIME, dtype="float32"):
    """(batch, frames, 129, 2, 2) (real, imaginary) pairs (n_fft 256)."""
    values = complex_spectrum(batch, length, dtype)
    return np.stack([values.real, values.imag], -1).astype(dtype)


def codes(batch, length=TIME, dtype="float32"):
    """(batch, time, 2) int32 mu-law codes of 64 channels (``dtype`` does not apply)."""
    return _rng(batch, length).integers(0, 64, (batch, length, 2)).astype("int32")


@dataclasses.dataclass
class Case:
    """A layer or factory under the contract.

    Attributes:
        build: makes a fresh layer or model.
        make_input: ``(batch, length, dtype) -> np.ndarray``; the time axis is 1.
        float_input: whether the input is floating point (else dtypes and gradients do not apply).
        random: whether the output in training is random (compared at inference only).
        rank_hint: whether a wrong-rank input must be answered with the layout (the layer fixes its rank).
        tolerance: of float64 and jit results against float32 eager ones, relative to the peak.
        decibels: whether the output is in decibels (compared absolutely: 0.02 dB).
        tflite: the docs claim TFLite built-in ops for it (at a fixed shape).
        keras_dtype: float64 input gives float32, as Keras's own layer (or a model whose ``keras.Input`` is
            float32) does: the Keras-style layers and models ending in Keras's layers; the rest keep float64.
    """

    build: callable
    make_input: callable
    float_input: bool = True
    random: bool = False
    rank_hint: bool = True
    tolerance: float = 1e-4
    decibels: bool = False
    tflite: bool = False
    keras_dtype: bool = False


def _sequential(*layers):
    return lambda: keras.Sequential([layer() for layer in layers])


CASES = {
    # waveforms -> spectra
    "STFT": Case(lambda: kl.STFT(n_fft=256, hop_length=64, **IO_CL), waveform),
    "STFT-centred-reflect": Case(lambda: kl.STFT(n_fft=256, hop_length=64, center=True, pad_mode="reflect", **IO_CL),
                                 waveform),
    "STFTTflite": Case(lambda: kl.STFTTflite(n_fft=256, hop_length=64, pad_end=True, **IO_CL), waveform, tflite=True),
    "STFTSpectrogram": Case(lambda: kl.STFTSpectrogram(mode="log", frame_length=256, frame_step=64, **CL), waveform,
                            tflite=True, keras_dtype=True),
    "MelSpectrogram": Case(lambda: kl.MelSpectrogram(fft_length=256, sequence_stride=64, num_mel_bins=32), mono,
                           rank_hint=False, decibels=True, tflite=True, keras_dtype=True),
    "AudioSpectrogram": Case(lambda: kl.AudioSpectrogramEncoder(normalization=("rms", 0.1),
                                                                augmentation={"volume": (0.5, 2.0)}).layer(seed=1),
                             mono, random=True),
    "AudioSpectrogram-mfcc": Case(lambda: kl.AudioMFCCEncoder(n_mfcc=13, n_mels=40).layer(), mono),
    "AudioSpectrogram-stft": Case(lambda: kl.AudioSTFTEncoder(window_size=256, offset=64).layer(), mono),
    "CQT": Case(lambda: kl.CQT(sample_rate=RATE, hop_length=256, n_bins=36, f_min=200.0, **IO_CL), waveform,
                tflite=True),
    "CQT-trainable": Case(lambda: kl.CQT(sample_rate=RATE, hop_length=256, n_bins=36, f_min=200.0, trainable=True,
                                         **IO_CL), waveform),
    "VQT": Case(lambda: kl.VQT(sample_rate=RATE, hop_length=256, n_bins=36, f_min=200.0, gamma=10.0, **IO_CL),
                waveform),
    "Resample": Case(lambda: kl.Resample(RATE, 22050, **CL), waveform, tflite=True),
    "Frame": Case(lambda: kl.Frame(256, 100, pad_end=True, **CL), waveform),
    "Energy": Case(lambda: kl.Energy(RATE, 0.1, 256, 128, **CL), waveform),
    "ChannelSwap": Case(lambda: kl.ChannelSwap(seed=1, **CL), waveform, random=True, rank_hint=False),
    "MuLawEncoding": Case(lambda: kl.MuLawEncoding(64), waveform, rank_hint=False),
    "MuLawDecoding": Case(lambda: kl.MuLawDecoding(64), codes, float_input=False, rank_hint=False),
    # complex spectra and (real, imaginary) pairs
    "InverseSTFT": Case(lambda: kl.InverseSTFT(n_fft=256, hop_length=64, **IO_CL), complex_spectrum),
    "InverseSTFTTflite": Case(lambda: kl.InverseSTFTTflite(n_fft=256, hop_length=64, **IO_CL), pairs, tflite=True),
    "Magnitude": Case(kl.Magnitude, complex_spectrum, rank_hint=False),
    "Phase": Case(kl.Phase, complex_spectrum, rank_hint=False),
    "Phase-approx": Case(lambda: kl.Phase(approx_atan_accuracy=12), complex_spectrum, rank_hint=False),
    "MagnitudeTflite": Case(kl.MagnitudeTflite, pairs, rank_hint=False),
    "PhaseTflite": Case(lambda: kl.PhaseTflite(approx_atan_accuracy=12), pairs, rank_hint=False),
    # real spectra
    "MagnitudeToDecibel": Case(lambda: kl.MagnitudeToDecibel(stype="magnitude"), spectrum(129), rank_hint=False,
                               decibels=True),
    "ApplyFilterbank-mel": Case(lambda: kl.ApplyFilterbank("mel", {"sample_rate": RATE, "n_freq": 129, "n_mels": 40},
                                                           **CL), spectrum(129)),
    "ApplyFilterbank-log": Case(lambda: kl.ApplyFilterbank("log", {"sample_rate": RATE, "n_freq": 129, "n_bins": 24,
                                                                   "f_min": 250.0}, **CL), spectrum(129)),
    "ApplyFilterbank-chroma": Case(lambda: kl.ApplyFilterbank("chroma", {"sample_rate": RATE, "n_freq": 129}, **CL),
                                   spectrum(129)),
    "ApplyFilterbank-gammatone": Case(lambda: kl.ApplyFilterbank("gammatone", {"sample_rate": RATE, "n_freq": 129,
                                                                               "n_filters": 32, "f_min": 80.0}, **CL),
                                      spectrum(129)),
    "Delta": Case(lambda: kl.Delta(win_length=5, **CL), spectrum(40)),
    "ConcatenateFrequencyMap": Case(lambda: kl.ConcatenateFrequencyMap(**CL), spectrum(40)),
    "LogmelToMFCC": Case(lambda: kl.LogmelToMFCC(13, **CL), spectrum(40)),
    "SpecAugment": Case(lambda: kl.SpecAugment(8, 8, seed=2, **CL), spectrum(40), random=True),
    "PCEN": Case(lambda: kl.PCEN(sample_rate=RATE, hop_length=64, **CL), spectrum(40)),
    "PCEN-trainable": Case(lambda: kl.PCEN(sample_rate=RATE, hop_length=64, trainable=True, **CL), spectrum(40)),
    "GriffinLim": Case(lambda: kl.GriffinLim(n_fft=256, hop_length=64, n_iter=4, init="zeros", **IO_CL),
                       spectrum(129), tolerance=1e-3),
    "GriffinLim-conv": Case(lambda: kl.GriffinLim(n_fft=256, hop_length=64, n_iter=4, init="zeros", strategy="conv",
                                                  **IO_CL), spectrum(129), tolerance=1e-3, tflite=True),
    "InverseMelScale": Case(lambda: kl.InverseMelScale(sample_rate=RATE, n_fft=256, n_mels=40, n_iter=20, **CL),
                            spectrum(40), tolerance=1e-3),
    # factories
    "get_stft_magnitude_layer": Case(lambda: kl.get_stft_magnitude_layer(n_fft=256, hop_length=64, return_decibel=True,
                                                                         **IO_CL), waveform, decibels=True,
                                     tflite=True),
    "get_melspectrogram_layer": Case(lambda: kl.get_melspectrogram_layer(n_fft=256, hop_length=64, sample_rate=RATE,
                                                                         n_mels=40, return_decibel=True, **IO_CL),
                                     waveform, decibels=True, tflite=True),
    "get_melspectrogram_layer-input_shape": Case(lambda: kl.get_melspectrogram_layer(
        input_shape=(None, 2), n_fft=256, hop_length=64, sample_rate=RATE, n_mels=40, return_decibel=True,
        **IO_CL), waveform, decibels=True),
    "get_log_frequency_spectrogram_layer": Case(lambda: kl.get_log_frequency_spectrogram_layer(
        n_fft=512, hop_length=128, sample_rate=RATE, log_n_bins=48, **IO_CL), waveform, tflite=True),
    "get_mfcc_layer": Case(lambda: kl.get_mfcc_layer(n_mfcc=13, n_fft=256, hop_length=64, sample_rate=RATE, n_mels=40,
                                                     **IO_CL), waveform),
    "get_perfectly_reconstructing_stft_istft-stft": Case(lambda: kl.get_perfectly_reconstructing_stft_istft(
        n_fft=256, hop_length=64, waveform_data_format="channels_last", stft_data_format="channels_last")[0],
        waveform),
    "get_perfectly_reconstructing_stft_istft-istft": Case(lambda: kl.get_perfectly_reconstructing_stft_istft(
        n_fft=256, hop_length=64, waveform_data_format="channels_last", stft_data_format="channels_last")[1],
        complex_spectrum),
    "get_stft_mag_phase": Case(lambda: kl.get_stft_mag_phase(input_shape=(None, 2), n_fft=256, hop_length=64,
                                                             **IO_CL), waveform, keras_dtype=True,
                               rank_hint=False),  # a functional model: Keras's message names the shape it expects
    "get_frequency_aware_conv2d": Case(lambda: kl.get_frequency_aware_conv2d(
        "channels_last", "frequency_aware", 4, 3, padding="same",
        kernel_initializer=keras.initializers.GlorotUniform(seed=0)), spectrum(40), rank_hint=False,
        keras_dtype=True),
    "get_mel_to_audio": Case(lambda: kl.get_mel_to_audio(n_fft=256, hop_length=64, sample_rate=RATE, n_mels=40,
                                                         nnls_iter=10, n_iter=4, init="zeros", **IO_CL),
                             spectrum(40), tolerance=1e-3),
}

#: Public names that are not layers or factories of their own (helpers, modules, the encoder object,
#: whose layer is the AudioSpectrogram case).
NOT_LAYERS = {"AudioSpectrogramEncoder", "AudioSTFTEncoder", "AudioMelSpectrogramEncoder", "AudioMFCCEncoder",
              "export_onnx", "export", "read_shards", "encode_corpus"}


def case_names_of(public_name):
    """The case names that cover ``public_name``."""
    return [name for name in CASES if name == public_name or name.startswith(public_name + "-")]


def input_shape_of(case):
    """The per-example input shape with the time axis unknown."""
    example = case.make_input(1, TIME)
    return (None,) + example.shape[2:]


def input_dtype_of(case, dtype="float32"):
    return str(case.make_input(1, TIME, dtype).dtype)


def model_of(case, dtype="float32", layer=None):
    """``case``'s layer or factory (or ``layer``) after a ``keras.Input`` whose time length is unknown."""
    layer = case.build() if layer is None else layer
    return keras.Sequential([keras.Input(input_shape_of(case), dtype=input_dtype_of(case, dtype)), layer])


def as_array(outputs):
    """A layer's output as NumPy, complex kept; a list or tuple of outputs as a tuple."""
    if isinstance(outputs, (list, tuple)):
        return tuple(as_array(o) for o in outputs)
    return np.asarray(outputs)


def broadcast_batch_matmuls(graph, seen=None):
    """The ``BatchMatMul*`` ops of ``graph`` and the functions it calls (loop bodies, branches) whose
    operands broadcast (other ranks or batch sizes): TensorFlow's oneDNN kernel for them corrupts the
    heap on some x86 CPUs (see kapre_like/functional/fourier.py). ``[(op name, shapes), ...]``."""
    seen = set() if seen is None else seen
    found = []
    for op in graph.get_operations():
        if op.type.startswith("BatchMatMul"):
            a, b = (tensor.shape for tensor in op.inputs[:2])
            if a.rank is None or b.rank is None or a.rank != b.rank or any(
                    x is None or y is None or x != y for x, y in zip(a[:-2], b[:-2])):
                found.append((op.name, (a, b)))
        for value in op.node_def.attr.values():
            names = [value.func.name] if value.HasField("func") else [f.name for f in value.list.func]
            for name in names:
                if name and name not in seen:
                    seen.add(name)
                    function = graph._get_function(name)
                    if function is not None:
                        found += broadcast_batch_matmuls(function.graph, seen)
    return found


def traced(model, case, batch=None):
    """``model`` as a concrete ``tf.function`` of an input with the time length (and ``batch``) unknown."""
    spec = tf.TensorSpec((batch,) + input_shape_of(case), input_dtype_of(case))
    return tf.function(lambda x: model(x, training=False)).get_concrete_function(spec)
