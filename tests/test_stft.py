"""STFT, InverseSTFT, Magnitude and Phase against librosa, NumPy and Kapre."""

import keras
import librosa
import numpy as np
import pytest
import tensorflow as tf

import kapre_like
from kapre_like import STFT, InverseSTFT, Magnitude, Phase

from conftest import from_layout, resolved_format, to_layout
from reference import numpy_filtered_spectrogram, numpy_frames, numpy_stft, periodic_hann

LIBROSA_WINDOW = {None: "hann", "hann_window": "hann", "hamming_window": "hamming"}


@pytest.mark.parametrize("window_name", [None, "hann_window", "hamming_window"])
@pytest.mark.parametrize("batch", [1, 10])
@pytest.mark.parametrize("data_format", ["channels_first", "channels_last", "default"])
@pytest.mark.parametrize("n_ch", [1, 2, 6])
@pytest.mark.parametrize("hop_length", [None, 256])
@pytest.mark.parametrize("n_fft", [512, 1000])
def test_stft_matches_librosa(waveforms, image_data_format, n_fft, hop_length, n_ch, data_format, batch, window_name):
    if data_format == "default":
        keras.config.set_image_data_format("channels_first")  # 'default' tested with another than Keras's own
    resolved = resolved_format(data_format)
    signal = waveforms[:batch, :n_ch]  # (batch, ch, time)
    layer = STFT(
        n_fft=n_fft,
        hop_length=hop_length,
        window_name=window_name,
        input_data_format=data_format,
        output_data_format=data_format,
    )
    stfts = from_layout(np.asarray(layer(to_layout(signal, resolved))), resolved)  # (b, ch, t, f)
    assert stfts.dtype == np.complex64

    expected = librosa.stft(
        signal,
        n_fft=n_fft,
        hop_length=hop_length,
        win_length=n_fft,
        window=LIBROSA_WINDOW[window_name],
        center=False,
    )  # (b, ch, f, t)
    expected = np.swapaxes(expected, -1, -2)
    assert stfts.shape == expected.shape
    np.testing.assert_allclose(stfts, expected, rtol=0, atol=1e-3)
    np.testing.assert_allclose(np.abs(stfts), np.abs(expected), rtol=0, atol=2e-4)


@pytest.mark.parametrize("input_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("output_format", ["channels_first", "channels_last"])
def test_stft_mixed_data_formats_and_default(waveforms, image_data_format, input_format, output_format):
    signal = waveforms[:2, :3]
    expected = np.swapaxes(librosa.stft(signal, n_fft=512, hop_length=128, center=False), -1, -2)
    layer = STFT(n_fft=512, input_data_format=input_format, output_data_format=output_format)
    got = from_layout(np.asarray(layer(to_layout(signal, input_format))), output_format)
    np.testing.assert_allclose(got, expected, atol=1e-3)

    # 'default' follows the Keras setting at construction time, whatever it is
    keras.config.set_image_data_format(output_format)
    layer = STFT(n_fft=512)
    assert layer.output_data_format == output_format
    got = from_layout(np.asarray(layer(to_layout(signal, output_format))), output_format)
    np.testing.assert_allclose(got, expected, atol=1e-3)


def test_stft_output_shape_and_frame_count(waveforms):
    x = to_layout(waveforms[:2, :1, :2048], "channels_last")
    # Kapre's docstring example: 2048 samples, n_fft 1024, hop 512 -> 3 frames of 513 bins
    layer = STFT(n_fft=1024, hop_length=512, input_data_format="channels_last", output_data_format="channels_last")
    assert layer(x).shape == (2, 3, 513, 1)
    model = keras.Sequential([keras.Input((2048, 1)), layer])
    assert model.output_shape == (None, 3, 513, 1)
    # pad_end: ceil(2048 / 512) = 4 frames; pad_begin adds n_fft - hop = 512 samples -> 4 frames
    for kwargs, frames in (({"pad_end": True}, 4), ({"pad_begin": True}, 4), ({"pad_begin": True, "pad_end": True}, 5)):
        layer = STFT(n_fft=1024, hop_length=512, input_data_format="channels_last", output_data_format="channels_last", **kwargs)
        assert layer(x).shape == (2, frames, 513, 1)
        assert layer.compute_output_shape((2, 2048, 1)) == (2, frames, 513, 1)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"n_fft": 1000, "win_length": 512, "hop_length": 200},
        {"n_fft": 512, "pad_begin": True},
        {"n_fft": 512, "hop_length": 100, "pad_end": True},
        {"n_fft": 256, "window_name": "vorbis_window", "pad_begin": True, "pad_end": True},
        {"n_fft": 256, "window_name": "kaiser_window"},
        {"n_fft": 256, "window_name": "kaiser_bessel_derived_window"},
    ],
)
def test_stft_matches_kapre(waveforms, kwargs):
    kapre = pytest.importorskip("kapre")
    x = to_layout(waveforms[:2, :2], "channels_last")
    common = dict(input_data_format="channels_last", output_data_format="channels_first")
    ours = np.asarray(STFT(**kwargs, **common)(x))
    theirs = np.asarray(kapre.STFT(**kwargs, **common)(x))
    assert ours.shape == theirs.shape and ours.dtype == theirs.dtype
    np.testing.assert_allclose(ours, theirs, atol=1e-4)


def test_stft_win_length_shorter_than_n_fft_is_zero_padded_frame(waveforms):
    """Independent of Kapre: frame of win_length samples, windowed, zero-padded to n_fft."""
    signal = waveforms[0, 0]
    n_fft, win, hop = 1000, 512, 200
    got = np.asarray(STFT(n_fft=n_fft, win_length=win, hop_length=hop, input_data_format="channels_first",
                          output_data_format="channels_first")(signal[None, None]))[0, 0]
    expected = numpy_stft(signal, n_fft, win, hop)
    np.testing.assert_allclose(got, expected, atol=1e-3)


@pytest.mark.parametrize("hop_length", [128, 256])
def test_inverse_stft_matches_librosa_istft_in_the_interior(waveforms, hop_length):
    n_fft = 512
    signal = waveforms[:2, :2]
    spectra = librosa.stft(signal, n_fft=n_fft, hop_length=hop_length, center=False)  # (b, ch, f, t)
    stft_input = np.swapaxes(spectra, -1, -2).astype(np.complex64)  # (b, ch, t, f)
    layer = InverseSTFT(n_fft=n_fft, hop_length=hop_length, input_data_format="channels_first",
                        output_data_format="channels_last")
    got = np.moveaxis(np.asarray(layer(stft_input)), -1, 1)  # (b, ch, time)
    expected = librosa.istft(spectra, n_fft=n_fft, hop_length=hop_length, center=False)
    n_out = min(got.shape[-1], expected.shape[-1])
    # Every sample from n_fft on is covered by all n_fft / hop frames in both implementations.
    interior = slice(n_fft, n_out - n_fft)
    np.testing.assert_allclose(got[..., interior], expected[..., interior], atol=1e-5)
    np.testing.assert_allclose(got[..., interior], signal[..., interior], atol=1e-5)
    assert got.shape[-1] == (stft_input.shape[2] - 1) * hop_length + n_fft


@pytest.mark.parametrize(
    "n_fft, win_length, hop_length",
    [
        (512, 512, 128),  # 4 blocks per frame: zero frames added while packing, slices in the overlap-add
        (1024, 512, 128),  # frames longer than the window
        (512, 384, 128),  # 3 blocks per frame
        (512, 512, 512),  # no overlap
        (512, 400, 160),  # the hop does not divide the window: TensorFlow's overlap-add
        (511, 511, 128),  # odd n_fft: TensorFlow's inverse real FFT, zero frames padded in the overlap-add
    ],
)
@pytest.mark.parametrize("n_frames", [1, 2, 3, 37])
def test_inverse_stft_equals_tf_signal_everywhere(n_fft, win_length, hop_length, n_frames):
    # every output sample, edges included (fewer frames than blocks per frame too), against tf.signal
    rng = np.random.default_rng(5)
    shape = (2, 3, n_frames, n_fft // 2 + 1)
    stfts = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex128)
    window_fn = tf.signal.inverse_stft_window_fn(hop_length)
    expected = tf.signal.inverse_stft(tf.constant(stfts), win_length, hop_length, n_fft, window_fn=window_fn).numpy()

    def inverse(x):
        return kapre_like.functional.inverse_stft(x, n_fft, win_length, hop_length)

    for run in (inverse, tf.function(inverse)):
        got64 = np.asarray(run(tf.constant(stfts)))
        assert got64.shape == expected.shape == (2, 3, (n_frames - 1) * hop_length + win_length)
        np.testing.assert_allclose(got64, expected, rtol=1e-10, atol=1e-10 * np.abs(expected).max())
        got32 = np.asarray(run(tf.constant(stfts.astype(np.complex64))))
        np.testing.assert_allclose(got32, expected, atol=2e-6 * np.abs(expected).max())


@pytest.mark.parametrize("hop_length", [128, 512])
def test_inverse_stft_layer_of_an_estimated_spectrum_matches_kapre(hop_length):
    # a spectrum a model estimated: imaginary DC and Nyquist parts (ignored by every inverse real FFT);
    # hop == window leaves the frames' first samples unweighted: 0 there, as Kapre and tf.signal, not NaN
    kapre = pytest.importorskip("kapre")
    rng = np.random.default_rng(6)
    shape = (2, 9, 257, 2)
    stfts = (rng.standard_normal(shape) + 1j * rng.standard_normal(shape)).astype(np.complex64)
    kwargs = dict(n_fft=512, hop_length=hop_length, input_data_format="channels_last",
                  output_data_format="channels_last")
    ours = np.asarray(InverseSTFT(**kwargs)(stfts))
    theirs = np.asarray(kapre.InverseSTFT(**kwargs)(stfts))
    assert np.isfinite(ours).all()
    # near the frame edges, hop == window divides by window values down to 4e-5: float32 relative error
    np.testing.assert_allclose(ours, theirs, rtol=1e-3, atol=1e-5 * np.abs(theirs).max())


def test_inverse_stft_matches_kapre(waveforms):
    kapre = pytest.importorskip("kapre")
    spectra = np.swapaxes(librosa.stft(waveforms[:2, :2], n_fft=512, hop_length=128, center=False), -1, -2)
    stft_input = np.moveaxis(spectra, 1, -1).astype(np.complex64)  # channels_last
    kwargs = dict(n_fft=512, hop_length=128, input_data_format="channels_last", output_data_format="channels_last")
    np.testing.assert_allclose(
        np.asarray(InverseSTFT(**kwargs)(stft_input)), np.asarray(kapre.InverseSTFT(**kwargs)(stft_input)), atol=1e-5
    )


def _complex_samples(waveforms):
    spectra = librosa.stft(waveforms[:2, :2], n_fft=256, hop_length=64, center=False)
    spectra[..., 0, 0] = 0.0  # an exact zero
    spectra[..., 1, 0] = -1.0  # on the negative real axis: angle pi
    return spectra.astype(np.complex64)


def test_magnitude_matches_numpy(waveforms):
    spectra = _complex_samples(waveforms)
    got = np.asarray(Magnitude()(spectra))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.abs(spectra), rtol=1e-6, atol=1e-6)


def test_phase_matches_numpy_angle(waveforms):
    spectra = _complex_samples(waveforms)
    got = np.asarray(Phase()(spectra))
    assert got.dtype == np.float32
    np.testing.assert_allclose(got, np.angle(spectra), atol=1e-6)


def test_complex128_gives_float64(waveforms):
    spectra = _complex_samples(waveforms).astype(np.complex128)
    assert np.asarray(Magnitude()(spectra)).dtype == np.float64
    assert np.asarray(Phase()(spectra)).dtype == np.float64


def test_layers_chain_in_sequential_with_symbolic_shapes():
    model = keras.Sequential(
        [
            keras.Input((None, 2)),
            STFT(n_fft=256, input_data_format="channels_last", output_data_format="channels_last"),
            Magnitude(),
        ]
    )
    assert model.output_shape == (None, None, 129, 2)
    assert model(np.zeros((1, 1024, 2), np.float32)).shape == (1, 13, 129, 2)


def test_top_level_reexports():
    for name in kapre_like.time_frequency.__all__:
        assert getattr(kapre_like, name) is getattr(kapre_like.time_frequency, name)


#: Routes of the spectrogram functions, as the tests force them: all frames at once, chunks of
#: 3 frames (first and last chunks padded), one frame per chunk.
STRATEGIES = {
    "one": "plain",
    "chunks of 3": kapre_like.functional.Strategy("chunked", frames_per_chunk=3),
    "per frame": kapre_like.functional.Strategy("chunked", frames_per_chunk=1),
}


@pytest.mark.parametrize(
    "n_fft, win_length, hop_length, pad_begin, pad_end, chunks",
    [
        (512, 512, 128, 0, False, "chunks of 3"),  # whole blocks gathered
        (512, 400, 160, 0, True, "chunks of 3"),  # win < n_fft, 5 blocks of 80 per frame, padded end
        (1024, 1024, 256, 768, True, "chunks of 3"),  # Kapre's pad_begin, first and last chunks padded
        (511, 511, 128, 0, False, "one"),  # odd n_fft, the whole signal at once
        (512, 509, 101, 0, False, "chunks of 3"),  # hop and frame share no block but the sample
        (1024, 1024, 256, 768, True, "per frame"),  # 23 chunks of one frame, zeros at both ends
        (511, 400, 160, 0, True, "per frame"),  # 32 chunks, odd n_fft, padded end
    ],
)
@pytest.mark.parametrize("channels_last", [False, True])
@pytest.mark.parametrize("weights", [None, "mel", "mel 1-5 kHz", "dense"])
def test_filtered_magnitude_matches_numpy(waveforms, n_fft, win_length, hop_length, pad_begin, pad_end,
                                          chunks, channels_last, weights):
    signals = waveforms[:3, :2, :5000].astype(np.float64)  # (batch, ch, time)
    window = tf.signal.hann_window(win_length, dtype=tf.float64).numpy()  # periodic, but symmetric for odd lengths
    # mel weighs neither DC nor Nyquist, 1-5 kHz only the bins between; dense weighs every bin
    filterbank = {
        None: None,
        "mel": librosa.filters.mel(sr=16000, n_fft=n_fft, n_mels=40).T,
        "mel 1-5 kHz": librosa.filters.mel(sr=16000, n_fft=n_fft, n_mels=20, fmin=1000, fmax=5000).T,
        "dense": np.random.default_rng(1).uniform(size=(n_fft // 2 + 1, 7)),
    }[weights]
    expected = numpy_filtered_spectrogram(signals, n_fft, win_length, hop_length, window, pad_begin, pad_end,
                                          filterbank)
    inputs = np.transpose(signals, (0, 2, 1)) if channels_last else signals

    def filtered(x):
        return kapre_like.functional.filtered_spectrogram(
            x, n_fft, win_length, hop_length, pad_end=pad_end, filterbank=filterbank, pad_begin=pad_begin,
            channels_last=channels_last, strategy=STRATEGIES[chunks],
        )

    for run in (tf.function(filtered), filtered):
        result = run(tf.constant(inputs, tf.float32))
        assert result.shape == expected.shape
        np.testing.assert_allclose(np.asarray(result), expected, atol=2e-4 * np.abs(expected).max())
    result64 = tf.function(filtered)(tf.constant(inputs, tf.float64))
    assert result64.dtype == tf.float64
    np.testing.assert_allclose(np.asarray(result64), expected, rtol=1e-9, atol=1e-9 * np.abs(expected).max())


@pytest.mark.parametrize(
    "time, frame_length, hop_length, pad_end",
    [
        (5000, 512, 128, False),  # whole blocks of 128
        (5000, 400, 160, False),  # 5 blocks of 80 per frame, 2 per hop
        (5000, 509, 101, False),  # no common block but the sample
        (5000, 512, 128, True),  # end padding: tf.signal.frame
        (300, 512, 128, False),  # shorter than a frame: no frame
        (512, 512, 512, False),  # one frame, hop = frame
        (2000, 256, 300, False),  # hop longer than the frame: samples skipped
    ],
)
def test_frame_matches_numpy(time, frame_length, hop_length, pad_end):
    signals = np.random.default_rng(3).standard_normal((2, 3, time)).astype(np.float32)
    expected = numpy_frames(signals, frame_length, hop_length, pad_end=pad_end)

    def frames(x):
        return kapre_like.functional.frame(x, frame_length, hop_length, pad_end=pad_end)

    for run in (frames, tf.function(frames), tf.function(frames, jit_compile=True)):
        np.testing.assert_array_equal(np.asarray(run(tf.constant(signals))), expected)


def test_eager_calls_of_several_ranks_and_lengths(waveforms):
    # eager calls share one shape-generic compiled kernel per function; ranks and lengths may vary
    functional = kapre_like.functional
    for shape in [(1, 4096), (2, 2, 5000), (4000,), (3, 1, 6000), (1, 4096)]:
        signals = waveforms.reshape(-1)[: int(np.prod(shape))].reshape(shape).astype(np.float32)
        for win_length, hop_length in [(512, 128), (400, 160)]:
            spectra = functional.stft(tf.constant(signals), 512, win_length, hop_length)
            expected = tf.signal.stft(signals, win_length, hop_length, fft_length=512)  # periodic Hann, end-padded
            np.testing.assert_allclose(np.asarray(spectra), np.asarray(expected), atol=2e-3)
            restored = np.asarray(functional.inverse_stft(spectra, 512, win_length, hop_length))
            inner = slice(win_length, restored.shape[-1] - win_length)
            np.testing.assert_allclose(restored[..., inner], signals[..., inner], atol=1e-5)


@pytest.mark.parametrize("chunks", ["one", "chunks of 3"])
def test_gradients_match_tf_signal(waveforms, chunks):
    # the chunked front end (chunks read from the signal, joined) and the inverse STFT (block-wise
    # overlap-add) must have the gradients of the plain tf.signal computation
    signals = tf.constant(waveforms[:2, 0, :6000].astype(np.float64))
    filterbank = librosa.filters.mel(sr=16000, n_fft=512, n_mels=40).T.astype(np.float64)

    @tf.function
    def fused(x):
        return kapre_like.functional.filtered_spectrogram(x, 512, 512, 128, filterbank=filterbank,
                                                          strategy=STRATEGIES[chunks])

    def reference(x):
        return tf.tensordot(tf.abs(tf.signal.stft(x, 512, 128)), filterbank, 1)

    def inverse(x):
        return kapre_like.functional.inverse_stft(tf.signal.stft(x, 512, 128), 512, 512, 128)

    def inverse_reference(x):
        stfts = tf.signal.stft(x, 512, 128)
        return tf.signal.inverse_stft(stfts, 512, 128, window_fn=tf.signal.inverse_stft_window_fn(128))

    rng = np.random.default_rng(2)
    for ours, theirs in [(fused, reference), (inverse, inverse_reference)]:
        weights = rng.uniform(size=theirs(signals).shape)  # a loss that weighs every output differently
        grads = []
        for function in (ours, theirs):
            with tf.GradientTape() as tape:
                tape.watch(signals)
                loss = tf.reduce_sum(function(signals) * weights)
            grads.append(np.asarray(tape.gradient(loss, signals)))
        np.testing.assert_allclose(grads[0], grads[1], rtol=1e-7, atol=1e-9 * np.abs(grads[1]).max())


@pytest.mark.parametrize("input_format", ["channels_first", "channels_last"])
@pytest.mark.parametrize("win_length, pad_begin, pad_end", [(512, False, False), (400, True, True), (512, True, False)])
def test_stft_in_a_graph_equals_librosa(waveforms, input_format, win_length, pad_begin, pad_end):
    # traced into a graph, a known length is framed by one XLA pass (eager calls take tf.signal.frame)
    signal = waveforms[:3, :2, :4000]  # (b, ch, time)
    layer = STFT(n_fft=512, win_length=win_length, hop_length=128, pad_begin=pad_begin, pad_end=pad_end,
                 input_data_format=input_format, output_data_format="channels_first")
    stfts = np.asarray(tf.function(layer)(to_layout(signal, input_format)))
    expected = numpy_stft(signal, 512, win_length, 128, periodic_hann(win_length),
                          pad_begin=win_length - 128 if pad_begin else 0, pad_end=pad_end)
    assert stfts.shape == expected.shape
    np.testing.assert_allclose(stfts, expected, atol=1e-3)
    bad = to_layout(signal, input_format).copy()
    bad[1, 1, 1] = np.nan
    with pytest.raises(tf.errors.InvalidArgumentError, match="STFT: the input waveform contains NaN or Inf"):
        tf.function(layer)(bad)
