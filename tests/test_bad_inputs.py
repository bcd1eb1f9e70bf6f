"""Bad inputs from the hostile review (issue 26) that now get a clear error or the right numbers."""

import warnings

import numpy as np
import pytest
import tensorflow as tf

import kapre_like as kl

from conftest import assert_says


@pytest.mark.parametrize("kwargs, words", [
    (dict(mel_f_max=float("inf")), ["`f_max`", "finite", "inf"]),
    (dict(mel_norm=0), ["`norm`", "> 0", "got 0"]),
])
def test_mel_filterbank_arguments_checked_at_construction(kwargs, words):
    with pytest.raises(ValueError) as info:
        kl.get_melspectrogram_layer(n_fft=512, sample_rate=16000, n_mels=40, **kwargs)
    assert_says(info, *words)


def test_mu_law_codes_stay_in_range():
    codes = np.asarray(kl.MuLawEncoding(256)(tf.constant([-2.0, -1.0, 0.0, 1.0, 1.5])))
    np.testing.assert_array_equal(codes, [0, 0, 128, 255, 255])  # clipped to [-1, 1] first


@pytest.mark.parametrize("mode, needed", [("symmetric", 4), ("reflect", 5)])
def test_delta_window_longer_than_the_frames(mode, needed):
    layer = kl.Delta(win_length=9, mode=mode, data_format="channels_last")
    with pytest.raises(ValueError) as info:
        layer(tf.zeros((1, needed - 1, 10, 1)))
    assert_says(info, "Delta", "win_length=9", f"at least {needed} frames", f"got {needed - 1}")
    assert kl.Delta(win_length=9, mode=mode, data_format="channels_last")(tf.zeros((1, needed, 10, 1))).shape == \
        (1, needed, 10, 1)
    assert kl.Delta(win_length=9, mode="constant", data_format="channels_last")(tf.zeros((1, 2, 10, 1))).shape == \
        (1, 2, 10, 1)
    unknown = tf.function(kl.Delta(win_length=9, mode=mode, data_format="channels_last"),
                          input_signature=[tf.TensorSpec((1, None, 10, 1))])
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        unknown(tf.zeros((1, needed - 1, 10, 1)))
    assert_says(info, f"at least {needed} frames")


def test_empty_batch_with_a_window_shorter_than_n_fft():
    layer = kl.STFT(n_fft=512, win_length=400, hop_length=100, input_data_format="channels_last",
                    output_data_format="channels_last")
    assert layer(np.zeros((0, 4000, 1), np.float32)).shape == (0, 37, 257, 1)
    assert layer(np.zeros((0, 4000, 1), np.float64)).dtype == tf.complex128


@pytest.mark.parametrize("hop, invertible", [(256, True), (450, True), (480, False), (509, False)])
def test_reconstruction_pair_accepts_only_hops_it_inverts_to_float32_precision(waveforms, hop, invertible):
    kwargs = dict(n_fft=512, hop_length=hop, waveform_data_format="channels_last", stft_data_format="channels_last")
    if not invertible:
        with pytest.raises(ValueError) as info:
            kl.get_perfectly_reconstructing_stft_istft(**kwargs)
        assert_says(info, f"hop_length={hop}", "cannot be inverted", "below 0.001")
        return
    stft, istft = kl.get_perfectly_reconstructing_stft_istft(**kwargs)
    x = np.moveaxis(waveforms[:2, :1], 1, 2)
    y = np.asarray(istft(stft(x)))
    trim = 512 - hop
    np.testing.assert_allclose(y[:, trim:trim + x.shape[1]], x, atol=1e-5)


@pytest.mark.parametrize("layer, x, words", [
    (lambda: kl.STFTTflite(n_fft=256, input_data_format="channels_last", output_data_format="channels_last"),
     np.zeros((1, 1000, 1), np.int16), ["STFTTflite", "int16", "float32"]),
    (kl.MagnitudeTflite, np.zeros((1, 5, 2), np.complex64), ["MagnitudeTflite", "complex64", "pairs"]),
    (kl.PhaseTflite, np.zeros((1, 5, 2), np.int32), ["PhaseTflite", "int32", "pairs"]),
])
def test_tflite_layers_check_their_dtypes(layer, x, words):
    with pytest.raises(TypeError) as info:
        layer()(x)
    assert_says(info, *words)


def test_inverse_stft_of_another_layout_says_what_it_expected():
    stfts = tf.ones((1, 2, 5, 257), tf.complex64)  # channels_first, given to a channels_last inverse
    layer = kl.InverseSTFT(n_fft=512, input_data_format="channels_last", output_data_format="channels_last")
    with pytest.raises(ValueError) as info:
        layer(stfts)
    assert_says(info, "257", "(1, 2, 5, 257)")


@pytest.mark.parametrize("length, periodic", [(512, True), (400, True), (511, False), (5, False)])
def test_stft_window_is_periodic_at_even_lengths_and_symmetric_at_odd_ones(length, periodic):
    import scipy.signal

    layer = kl.STFT(n_fft=length)
    np.testing.assert_allclose(layer.window, scipy.signal.get_window("hann", length, fftbins=periodic), atol=1e-12)


def test_nan_into_the_tflite_stft_and_the_encoder_is_an_error():
    from kapre_like import AudioSpectrogram, AudioSpectrogramEncoder

    x = np.zeros((1, 4000, 1), np.float32)
    x[0, 100, 0] = np.nan
    stft = kl.STFTTflite(n_fft=256, input_data_format="channels_last", output_data_format="channels_last")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        stft(x)
    assert_says(info, "STFTTflite", "NaN or Inf")
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        layer = AudioSpectrogramEncoder(sample_rate=16000).layer()
        assert isinstance(layer, AudioSpectrogram)
        layer(x[..., 0])
    assert_says(info, "AudioSpectrogram", "NaN or Inf")
    encoder = AudioSpectrogramEncoder(sample_rate=16000)
    with pytest.raises(ValueError) as info:
        encoder([np.zeros(4000, np.float32), x[0, :, 0]], sample_rate=16000)
    assert_says(info, "item 1", "NaN or Inf", "1 of 4000")


@pytest.mark.parametrize("augmentation, words", [
    ({"volume": float("inf")}, ["`volume`", "finite", "inf"]),
    ({"time_shift": float("nan")}, ["`time_shift`", "finite", "nan"]),
    ({"volume": (0.5, float("inf"))}, ["`volume`", "finite", "inf"]),
])
def test_encoder_augmentation_values_must_be_finite(augmentation, words):
    from kapre_like import AudioSpectrogramEncoder

    with pytest.raises(ValueError) as info:
        AudioSpectrogramEncoder(sample_rate=16000, augmentation=augmentation)
    assert_says(info, *words)


def test_encoder_on_a_folder_and_on_one_sample(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    from kapre_like import AudioSpectrogramEncoder

    encoder = AudioSpectrogramEncoder(sample_rate=16000)
    with pytest.raises(IsADirectoryError) as info:
        encoder(str(tmp_path))
    assert_says(info, repr(str(tmp_path)), "is a folder, not an audio file")
    soundfile.write(tmp_path / "one.wav", np.array([0.5], np.float32), 16000)
    assert encoder(str(tmp_path / "one.wav")).shape == (1, 201)  # n = ceil(1 / offset) partitions


def test_a_truncated_wav_is_read_with_a_warning(tmp_path):
    soundfile = pytest.importorskip("soundfile")
    from kapre_like.encoder import load_audio

    full = tmp_path / "full.wav"
    soundfile.write(full, np.random.default_rng(0).uniform(-0.5, 0.5, 16000).astype(np.float32), 16000,
                    subtype="PCM_16")
    cut = tmp_path / "cut.wav"
    cut.write_bytes(full.read_bytes()[:16022])  # the header and about half of the samples
    with pytest.warns(UserWarning) as record:
        samples, _ = load_audio(cut)
    message = str(record[0].message)
    for part in (repr(str(cut)), "truncated", "32000 bytes", f"{len(samples)} frames"):
        assert part in message, message
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert load_audio(full)[0].shape == (16000, 1)


_DATASET_ERROR_SCRIPT = """
import sys
import keras, numpy as np, soundfile
from kapre_like import AudioSpectrogramEncoder

folder = sys.argv[1]
paths = []
for index in range(24):  # resampled files keep several decodes in flight when the error arrives
    paths.append(f"{folder}/{index}.wav")
    soundfile.write(paths[-1], np.random.default_rng(index).uniform(-0.5, 0.5, 44100 * 3).astype("float32"), 44100)
with open(f"{folder}/bad.wav", "wb") as handle:
    handle.write(b"not audio" * 10)
paths.insert(3, f"{folder}/bad.wav")
dataset = AudioSpectrogramEncoder(target_length=3.0).dataset(paths, labels=range(len(paths)), batch_size=2)
if sys.argv[2] == "fit":
    model = keras.Sequential([keras.Input((None, 201)), keras.layers.GlobalAveragePooling1D(), keras.layers.Dense(1)])
    model.compile("sgd", "mse")
    model.fit(dataset, verbose=0)
else:
    batches = iter(dataset)  # a global iterator, alive until the interpreter exits
    for batch in batches:
        pass
"""


@pytest.mark.parametrize("how", ["fit", "iterate"])
def test_a_process_whose_dataset_hit_a_bad_file_exits(tmp_path, how):
    """Uncaught, the error keeps the pipeline alive until exit, with decodes in flight: the process must still end
    with Python's status 1 (not hang in the iterator's destructor, not abort with 134)."""
    pytest.importorskip("soundfile")
    import os
    import subprocess
    import sys

    script = tmp_path / "train.py"
    script.write_text(_DATASET_ERROR_SCRIPT)
    env = dict(os.environ, TF_CPP_MIN_LOG_LEVEL="3")
    try:
        done = subprocess.run([sys.executable, str(script), str(tmp_path), how], capture_output=True, text=True,
                              timeout=240, env=env)
    except subprocess.TimeoutExpired:
        pytest.fail("the process did not exit within 240 s after the dataset's error")
    assert done.returncode == 1, done.stderr[-3000:]
    assert "cannot read audio file" in done.stderr and "bad.wav" in done.stderr, done.stderr[-3000:]


def test_mixed_float16_gradients_of_separate_spectral_layers():
    """STFT -> Magnitude -> MagnitudeToDecibel as separate layers under mixed_float16: the magnitude stays float32
    (in float16 the decibel step's gradient 20 / (ln 10 * m) overflows for m below about 1e-4), so gradients are
    finite and equal to float32's."""
    import keras

    rng = np.random.default_rng(0)
    x = (rng.standard_normal((2, 8000, 1)) * 0.1).astype(np.float32)
    x[:, 4000:] *= 1e-4  # quiet: magnitudes far below float16's reach
    x[:, 6000:] = 0.0  # silent: magnitude 0 exactly

    def gradients(policy):
        keras.mixed_precision.set_global_policy(policy)
        try:
            layers = [kl.STFT(n_fft=512, hop_length=128, input_data_format="channels_last",
                              output_data_format="channels_last"), kl.Magnitude(), kl.MagnitudeToDecibel()]
            inputs = tf.constant(x)
            with tf.GradientTape(persistent=True) as tape:
                tape.watch(inputs)
                magnitude = layers[1](layers[0](inputs))
                decibels = layers[2](magnitude)
                loss = tf.reduce_sum(tf.cast(decibels, tf.float32) ** 2) * 1e-4
            return magnitude.dtype, decibels.dtype, tape.gradient(loss, magnitude), tape.gradient(loss, inputs)
        finally:
            keras.mixed_precision.set_global_policy("float32")

    magnitude_dtype, decibel_dtype, by_magnitude, by_input = gradients("mixed_float16")
    assert (magnitude_dtype, decibel_dtype) == (tf.float32, tf.float16)
    assert np.all(np.isfinite(by_magnitude.numpy())) and np.all(np.isfinite(by_input.numpy()))
    _, _, reference_by_magnitude, reference_by_input = gradients("float32")
    # the float16 decibels round the loss's weights by 2^-11 relative: compare against the largest gradient
    for got, expected in [(by_magnitude, reference_by_magnitude), (by_input, reference_by_input)]:
        expected = expected.numpy()
        np.testing.assert_allclose(got.numpy(), expected, atol=2e-2 * np.abs(expected).max())
