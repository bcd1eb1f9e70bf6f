"""AudioSpectrogramEncoder on real files written here, against NumPy/soxr/librosa references."""

import math

import keras
import librosa
import numpy as np
import pytest
import scipy.stats
import soundfile
import soxr
import tensorflow as tf

from kapre_like.encoder import AudioReadError, AudioSpectrogramEncoder

from conftest import assert_says
from reference import numpy_stft

RATE = 16000


def tone(freq, seconds, rate, channels=1):
    t = np.arange(int(seconds * rate)) / rate
    mono = 0.5 * np.sin(2 * np.pi * freq * t)
    return np.stack([mono * (0.5 + 0.5 * c) for c in range(channels)], axis=1).astype(np.float32)


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    """name -> (path, samples (frames, channels) as written, sample rate)."""
    folder = tmp_path_factory.mktemp("audio")
    specs = {
        "wav16_8k.wav": (tone(1000, 0.7, 8000), 8000, "PCM_16"),
        "float_44k.wav": (tone(1000, 0.5, 44100), 44100, "FLOAT"),
        "flac_48k.flac": (tone(1000, 0.6, 48000), 48000, "PCM_16"),
        "stereo_16k.wav": (tone(440, 0.4, 16000, channels=2), 16000, "PCM_16"),
        "ogg_16k.ogg": (tone(1000, 0.5, 16000), 16000, "VORBIS"),
    }
    out = {}
    for name, (samples, rate, subtype) in specs.items():
        path = folder / name
        soundfile.write(path, samples, rate, subtype=subtype)
        read, _ = soundfile.read(path, dtype="float32", always_2d=True)
        out[name] = (str(path), read, rate)
    return out


def reference_spectrogram(x, window_size, offset, window):
    """The documented partitioning: ceil(len / offset) frames, the end zero-padded, |rfft| of window_size points."""
    return np.abs(numpy_stft(x, window_size, window_size, offset, window, pad_end=True))


HANN_400 = np.hanning(401)[:-1]  # periodic Hann, the default window at 16 kHz


@pytest.mark.parametrize("name", ["wav16_8k.wav", "float_44k.wav", "flac_48k.flac", "stereo_16k.wav", "ogg_16k.ogg"])
def test_shape_formula_and_resampling(files, name):
    path, samples, rate = files[name]
    encoder = AudioSpectrogramEncoder()
    spectrogram = encoder(path)
    expected_wave = soxr.resample(samples.mean(axis=1), rate, RATE, quality="HQ")
    assert spectrogram.dtype == np.float32
    assert spectrogram.shape == (math.ceil(len(expected_wave) / 133), 201)
    waveform = encoder.waveform(path)
    np.testing.assert_allclose(waveform, expected_wave, atol=1e-6)
    if rate != RATE:  # librosa's soxr_hq resampler agrees within a tight tolerance
        np.testing.assert_allclose(waveform, librosa.resample(samples.mean(axis=1), orig_sr=rate, target_sr=RATE,
                                                              res_type="soxr_hq"), atol=1e-4)
    np.testing.assert_allclose(spectrogram, reference_spectrogram(waveform, 400, 133, HANN_400), atol=1e-3)


@pytest.mark.parametrize("name", ["wav16_8k.wav", "float_44k.wav", "flac_48k.flac"])
def test_resampled_tone_peaks_in_its_bin(files, name):
    spectrogram = AudioSpectrogramEncoder()(files[name][0])
    # 1 kHz in bins of 16000 / 400 = 40 Hz: bin 25, in every frame away from the edges
    assert np.all(spectrogram[2:-3].argmax(axis=1) == 25)


def test_window_size_offset_and_windows():
    x = np.random.default_rng(0).standard_normal(5000).astype(np.float32)
    encoder = AudioSpectrogramEncoder(window_size=600, offset=10, window=None)
    assert encoder(x, sample_rate=RATE).shape == (500, 301)
    np.testing.assert_allclose(encoder(x, sample_rate=RATE), reference_spectrogram(x, 600, 10, np.ones(600)), atol=2e-3)
    seconds = AudioSpectrogramEncoder(window_size=0.032, offset=0.010)
    assert (seconds.window_size, seconds.offset) == (512, 160)
    custom = AudioSpectrogramEncoder(window_size=256, offset=128, window=np.kaiser(256, 6))
    np.testing.assert_allclose(custom(x, sample_rate=RATE), reference_spectrogram(x, 256, 128, np.kaiser(256, 6)),
                               atol=1e-3)
    function = AudioSpectrogramEncoder(window_size=256, offset=128, window=np.hamming)
    np.testing.assert_allclose(function(x, sample_rate=RATE), reference_spectrogram(x, 256, 128, np.hamming(256)),
                               atol=1e-3)


def test_multichannel_is_mixed_to_mono():
    stereo = tone(440, 0.3, RATE, channels=2)
    np.testing.assert_allclose(AudioSpectrogramEncoder()(stereo, sample_rate=RATE),
                               AudioSpectrogramEncoder()(stereo.mean(axis=1), sample_rate=RATE), atol=1e-5)


@pytest.mark.parametrize("normalization, scale", [
    (None, lambda x: 1.0), ("max", lambda x: 1.0 / np.max(np.abs(x))), (("max", 0.3), lambda x: 0.3 / np.max(np.abs(x))),
    (("rms", 0.05), lambda x: 0.05 / np.sqrt(np.mean(x ** 2))),
])
def test_normalizations(normalization, scale):
    x = (0.2 * np.random.default_rng(1).standard_normal(4000)).astype(np.float32)
    encoder = AudioSpectrogramEncoder(normalization=normalization)
    np.testing.assert_allclose(encoder(x, sample_rate=RATE), reference_spectrogram(x * scale(x), 400, 133, HANN_400),
                               rtol=1e-4, atol=1e-4)


def test_rms_normalization_reaches_the_target():
    encoder = AudioSpectrogramEncoder(normalization=("rms", 0.1), augmentation=None)
    x = tone(300, 0.5, RATE)[:, 0] * 3
    normalized = np.asarray(__import__("kapre_like").functional.normalize_waveform(tf.constant(x[None]), "rms", 0.1))
    assert abs(np.sqrt(np.mean(normalized ** 2)) - 0.1) < 1e-6
    assert encoder(x, sample_rate=RATE).shape[1] == 201


def test_target_lengths():
    x = np.random.default_rng(2).standard_normal(16000).astype(np.float32)
    full = AudioSpectrogramEncoder()(x, sample_rate=RATE)
    assert AudioSpectrogramEncoder(target_length=0.5)(x, sample_rate=RATE).shape == (math.ceil(8000 / 133), 201)
    longer = AudioSpectrogramEncoder(target_length=2.0)(x, sample_rate=RATE)
    assert longer.shape == (math.ceil(32000 / 133), 201)
    np.testing.assert_allclose(longer[:100], full[:100], atol=1e-5)  # the signal, then zeros
    assert np.all(longer[130:] == 0)
    first = AudioSpectrogramEncoder(target_length=50)(x, sample_rate=RATE)
    np.testing.assert_array_equal(first, full[:50])
    padded = AudioSpectrogramEncoder(target_length=200)(x, sample_rate=RATE)
    assert padded.shape == (200, 201) and np.all(padded[len(full):] == 0)


# ----------------------------------------------------------------------------- augmentation

def test_augmentation_is_off_unless_asked():
    x = np.random.default_rng(3).standard_normal(4000).astype(np.float32)
    a, b = AudioSpectrogramEncoder(seed=1), AudioSpectrogramEncoder(seed=2)
    np.testing.assert_array_equal(a(x, sample_rate=RATE), b(x, sample_rate=RATE))


def test_volume_scales_linearly_and_ranges_stay_in_range():
    x = np.random.default_rng(4).standard_normal(4000).astype(np.float32)
    plain = AudioSpectrogramEncoder()(x, sample_rate=RATE)
    doubled = AudioSpectrogramEncoder(augmentation={"volume": 2.0})(x, sample_rate=RATE)
    np.testing.assert_allclose(doubled, 2 * plain, rtol=1e-5, atol=1e-5)
    ranged = AudioSpectrogramEncoder(augmentation={"volume": (0.5, 1.5)}, seed=7)
    ratios = [float(np.median(ranged(x, sample_rate=RATE) / np.maximum(plain, 1e-6))) for _ in range(20)]
    assert all(0.5 - 1e-4 <= r <= 1.5 + 1e-4 for r in ratios) and np.std(ratios) > 0.1
    again = AudioSpectrogramEncoder(augmentation={"volume": (0.5, 1.5)}, seed=7)
    assert [float(np.median(again(x, sample_rate=RATE) / np.maximum(plain, 1e-6))) for _ in range(20)] == ratios
    distribution = AudioSpectrogramEncoder(augmentation={"volume": scipy.stats.uniform(1.0, 1.0)}, seed=0)
    assert all(1.0 - 1e-4 <= float(np.median(distribution(x, sample_rate=RATE) / np.maximum(plain, 1e-6))) <= 2.0 + 1e-4
               for _ in range(10))


def test_time_shift_moves_the_onset():
    x = np.zeros(16000, np.float32)
    x[1600:1700] = 1.0  # a click at 0.1 s
    def onset(spectrogram):
        return int(np.argmax(spectrogram.sum(axis=1) > 1.0))
    plain = onset(AudioSpectrogramEncoder(window=None)(x, sample_rate=RATE))
    later = onset(AudioSpectrogramEncoder(window=None, augmentation={"time_shift": 0.2})(x, sample_rate=RATE))
    earlier = onset(AudioSpectrogramEncoder(window=None, augmentation={"time_shift": -0.05})(x, sample_rate=RATE))
    assert abs((later - plain) - round(0.2 * RATE / 133)) <= 1
    assert abs((plain - earlier) - round(0.05 * RATE / 133)) <= 1
    scaled = onset(AudioSpectrogramEncoder(window=None, augmentation={"time_shift": ("scaled", 0.25)})(x, sample_rate=RATE))
    assert abs((scaled - plain) - round(0.25 * 16000 / 133)) <= 1


def test_convolution():
    x = np.random.default_rng(5).standard_normal(4000).astype(np.float32)
    plain = AudioSpectrogramEncoder()(x, sample_rate=RATE)
    unit = AudioSpectrogramEncoder(augmentation={"convolution": np.array([1.0])})(x, sample_rate=RATE)
    np.testing.assert_allclose(unit, plain, atol=1e-5)
    response = np.array([0.5, 0.0, 0.25])
    wet = np.convolve(x, response)[: len(x)]
    expected = reference_spectrogram(0.6 * wet + 0.4 * x, 400, 133, HANN_400)
    mixed = AudioSpectrogramEncoder(augmentation={"convolution": (0.6, response)})(x, sample_rate=RATE)
    np.testing.assert_allclose(mixed, expected, atol=1e-3)


def test_noise(tmp_path):
    silence = np.zeros(16000, np.float32)
    encoder = AudioSpectrogramEncoder(augmentation={"noise": 0.1}, seed=0)
    noisy = encoder.augment(silence)
    assert abs(np.sqrt(np.mean(noisy ** 2)) - 0.1) < 0.005
    recording = (0.3 * np.sin(np.arange(3000) * 0.1)).astype(np.float32)
    path = tmp_path / "hum.wav"
    soundfile.write(path, recording, RATE, subtype="FLOAT")
    scaled = AudioSpectrogramEncoder(augmentation={"noise": (0.02, str(path))}).augment(silence)
    assert abs(np.sqrt(np.mean(scaled ** 2)) - 0.02) < 1e-4
    as_is = AudioSpectrogramEncoder(augmentation={"noise": recording}).augment(silence)
    np.testing.assert_allclose(as_is[:3000], recording, atol=1e-6)  # looped to the length
    ranged = AudioSpectrogramEncoder(augmentation={"noise": (0.01, 0.05)}, seed=1)
    levels = [np.sqrt(np.mean(ranged.augment(silence) ** 2)) for _ in range(10)]
    assert all(0.009 < level < 0.052 for level in levels) and np.std(levels) > 0.005


# ----------------------------------------------------------------------------- errors

def test_missing_file(tmp_path):
    with pytest.raises(FileNotFoundError) as info:
        AudioSpectrogramEncoder()(str(tmp_path / "absent.wav"))
    assert_says(info, "absent.wav", "not found")


def test_unreadable_and_truncated_files(tmp_path):
    text = tmp_path / "notes.wav"
    text.write_text("not audio")
    with pytest.raises(AudioReadError) as info:
        AudioSpectrogramEncoder()(str(text))
    assert_says(info, "notes.wav", "cannot read audio file")
    cut = tmp_path / "cut.flac"
    soundfile.write(cut, tone(440, 0.5, RATE), RATE)
    cut.write_bytes(cut.read_bytes()[:60])
    with pytest.raises(ValueError) as info:
        AudioSpectrogramEncoder()(str(cut))
    assert_says(info, "cut.flac")
    empty = tmp_path / "empty.wav"
    soundfile.write(empty, np.zeros((0, 1), np.float32), RATE)
    with pytest.raises(ValueError) as info:
        AudioSpectrogramEncoder()(str(empty))
    assert_says(info, "empty.wav", "no samples")


def test_a_zero_byte_file_is_called_empty(tmp_path):
    # libsndfile says "Format not recognised" of a 0-byte file; a user needs to hear that it is empty
    import io

    from kapre_like.encoder import decode_audio

    empty = tmp_path / "zero.wav"
    empty.write_bytes(b"")
    with pytest.raises(AudioReadError) as info:
        AudioSpectrogramEncoder()(str(empty))
    assert_says(info, "zero.wav", "the file is empty (0 bytes)")
    assert "Format not recognised" not in str(info.value)
    with pytest.raises(AudioReadError) as info:
        decode_audio(io.BytesIO(b""), "remote/zero.wav")  # as Beam hands a remote file's bytes
    assert_says(info, "remote/zero.wav", "the file is empty (0 bytes)")
    with pytest.raises(AudioReadError) as info:
        decode_audio(io.BytesIO(b"not audio"), "notes.wav")  # not empty: the decoder's reason stays
    assert "empty" not in str(info.value)


@pytest.mark.parametrize("item, rate, words", [
    (np.zeros(0, np.float32), RATE, ["empty"]),
    (np.zeros(100, np.float32), 0, ["sample_rate", "positive", "0"]),
    (np.zeros(100, np.float32), None, ["sample_rate"]),
    (np.zeros((2, 3, 4), np.float32), RATE, ["1-D", "(2, 3, 4)"]),
])
def test_bad_waveforms(item, rate, words):
    with pytest.raises(ValueError) as info:
        AudioSpectrogramEncoder()(item, sample_rate=rate)
    assert_says(info, *words)


@pytest.mark.parametrize("kwargs, words", [
    (dict(normalization="peak"), ["normalization", "'peak'", "'max'", "'rms'"]),
    (dict(augmentation={"reverb": 1.0}), ["unknown augmentation", "reverb", "noise", "time_shift"]),
    (dict(augmentation={"volume": "loud"}), ["volume", "'loud'", "(low, high)"]),
    (dict(sample_rate=-8000), ["sample_rate", "-8000"]),
    (dict(window_size=0), ["window_size", "0"]),
    (dict(target_length=-1.0), ["target_length", "-1.0"]),
    (dict(window=np.ones(10)), ["window", "400"]),
])
def test_bad_configuration(kwargs, words):
    with pytest.raises(ValueError) as info:
        AudioSpectrogramEncoder(**kwargs)
    assert_says(info, *words)


def test_lists_name_the_failing_item_or_skip_it(files, tmp_path, capsys):
    good = files["wav16_8k.wav"][0]
    missing = str(tmp_path / "gone.wav")
    with pytest.raises(FileNotFoundError) as info:
        AudioSpectrogramEncoder()([good, missing, good])
    assert_says(info, "item 1", "gone.wav")
    with pytest.warns(UserWarning, match="skipped 1 of 3 items: item 1"):
        results = AudioSpectrogramEncoder()([good, missing, good], on_error="skip")
    assert len(results) == 2
    many = AudioSpectrogramEncoder()([good] * 10)
    assert len(many) == 10 and all(r.shape == many[0].shape for r in many)
    assert "10/10" in capsys.readouterr().out  # keras.utils.Progbar
    AudioSpectrogramEncoder()([good] * 10, progress=False)
    assert capsys.readouterr().out == ""


def test_skipped_items_can_be_lined_up_with_labels(files, tmp_path):
    paths = [files["wav16_8k.wav"][0], str(tmp_path / "gone.wav"), files["flac_48k.flac"][0], str(tmp_path)]
    labels = ["a", "b", "c", "d"]
    encoder = AudioSpectrogramEncoder()
    with pytest.warns(UserWarning, match="skipped 2 of 4 items: item 1 .*gone.wav.*; item 3"):
        spectra, kept = encoder(paths, on_error="skip", return_kept=True)
    assert kept == [0, 2] and [labels[i] for i in kept] == ["a", "c"]
    for spectrogram, index in zip(spectra, kept):
        np.testing.assert_array_equal(spectrogram, encoder(paths[index]))
    spectra, kept = encoder(paths[:1], return_kept=True)
    assert kept == [0] and len(spectra) == 1


def test_a_waveform_and_rate_pair_alone_or_in_a_list(files):
    _, samples, rate = files["float_44k.wav"]
    encoder = AudioSpectrogramEncoder()
    alone = encoder((samples[:, 0], rate))
    (listed,) = encoder([(samples[:, 0], rate)])
    np.testing.assert_array_equal(alone, listed)
    np.testing.assert_array_equal(alone, encoder(samples[:, 0], sample_rate=rate))
    with pytest.raises(ValueError) as info:
        encoder(samples[:, 0])
    assert_says(info, "needs its `sample_rate`")


# ----------------------------------------------------------------------------- integration

def test_tf_data_pipeline(files):
    names = ["wav16_8k.wav", "float_44k.wav", "flac_48k.flac", "stereo_16k.wav"]
    paths = [files[n][0] for n in names]
    encoder = AudioSpectrogramEncoder(target_length=40)
    batches = list(encoder.dataset(paths, labels=[0, 1, 2, 3], batch_size=2))
    assert len(batches) == 2
    spectra, labels = batches[0]
    assert spectra.shape == (2, 40, 201) and list(labels.numpy()) == [0, 1]
    np.testing.assert_allclose(spectra[1].numpy(), encoder(paths[1]), atol=1e-6)
    ragged = list(AudioSpectrogramEncoder().dataset(paths, batch_size=4))[0]
    assert ragged.shape[0] == 4 and ragged.shape[1] == max(AudioSpectrogramEncoder()(p).shape[0] for p in paths)


def test_tf_data_pipeline_applies_the_augmentation_it_draws(files):
    """Draws happen in Python, the augmentation in the pipeline's graph: with one call at a time a seeded
    pipeline repeats the eager encoder item by item."""
    augmentation = {"volume": (0.5, 2.0), "noise": 0.01, "time_shift": (-0.01, 0.01),
                    "convolution": (0.5, np.array([1.0, 0.5, 0.25], np.float32))}
    paths = [files[n][0] for n in ["wav16_8k.wav", "float_44k.wav", "flac_48k.flac"]]
    piped = AudioSpectrogramEncoder(target_length=30, augmentation=augmentation, normalization="max", seed=3)
    eager = AudioSpectrogramEncoder(target_length=30, augmentation=augmentation, normalization="max", seed=3)
    batch = next(iter(piped.dataset(paths, batch_size=3, num_parallel_calls=1)))
    for row, path in enumerate(paths):
        np.testing.assert_allclose(batch[row].numpy(), eager(path), atol=1e-5)


def test_tf_data_pipeline_skips_or_names_a_bad_file(files, tmp_path):
    good = [files[n][0] for n in ["wav16_8k.wav", "float_44k.wav", "flac_48k.flac"]]
    bad = tmp_path / "corrupt.wav"
    bad.write_bytes(b"not audio at all" * 8)
    paths = [good[0], str(bad), good[1], good[2]]
    encoder = AudioSpectrogramEncoder(target_length=20)
    with pytest.raises(tf.errors.InvalidArgumentError) as info:
        list(encoder.dataset(paths, labels=[0, 1, 2, 3], batch_size=4))
    assert_says(info, "cannot read audio file", "corrupt.wav")
    with pytest.warns(UserWarning, match="skipped .*corrupt.wav"):
        batches = list(encoder.dataset(paths, labels=[0, 1, 2, 3], batch_size=4, on_error="skip"))
    spectra, labels = batches[0]
    assert list(labels.numpy()) == [0, 2, 3]  # the bad file's label went with it
    for row, path in enumerate(good):
        np.testing.assert_allclose(spectra[row].numpy(), encoder(path), atol=1e-6)


def test_tf_data_pipeline_shuffles_files_with_their_labels(files):
    names = ["wav16_8k.wav", "float_44k.wav", "flac_48k.flac", "stereo_16k.wav", "ogg_16k.ogg"]
    paths = [files[n][0] for n in names]
    encoder = AudioSpectrogramEncoder(target_length=20, seed=0)
    expected = {label: encoder(path) for label, path in enumerate(paths)}
    spectra, labels = next(iter(encoder.dataset(paths, labels=range(5), batch_size=5, shuffle=True)))
    assert sorted(labels.numpy()) == [0, 1, 2, 3, 4]
    for row, label in enumerate(labels.numpy()):
        np.testing.assert_allclose(spectra[row].numpy(), expected[label], atol=1e-6)


@pytest.mark.parametrize("kwargs, words", [
    (dict(labels=[0, 1]), ["`labels`", "one label per path", "3 paths", "2 labels"]),
    (dict(on_error="ignore"), ["`on_error`", "'raise' or 'skip'", "'ignore'"]),
])
def test_tf_data_pipeline_arguments(files, kwargs, words):
    with pytest.raises(ValueError) as info:
        AudioSpectrogramEncoder().dataset([files["wav16_8k.wav"][0]] * 3, **kwargs)
    assert_says(info, *words)


def test_layer_at_a_model_input(tmp_path):
    encoder = AudioSpectrogramEncoder(normalization=("max", 0.5),
                                      augmentation={"volume": (0.5, 2.0), "noise": 0.01, "time_shift": (-0.01, 0.01)})
    x = np.random.default_rng(6).standard_normal((3, 8000)).astype(np.float32)
    layer = encoder.layer(seed=0)
    model = keras.Sequential([keras.Input((8000,)), layer, keras.layers.Flatten(), keras.layers.Dense(2)])
    features = np.asarray(layer(x))  # inference: no augmentation
    reference = AudioSpectrogramEncoder(normalization=("max", 0.5))
    for row in range(3):
        np.testing.assert_allclose(features[row], reference(x[row], sample_rate=RATE), atol=1e-4)
    assert not np.allclose(np.asarray(layer(x, training=True)), features, atol=1e-3)
    model.compile(optimizer="sgd", loss="mse")
    assert np.isfinite(model.fit(x, np.zeros((3, 2)), epochs=1, verbose=0).history["loss"][0])
    model.save(tmp_path / "m.keras")
    np.testing.assert_allclose(keras.models.load_model(tmp_path / "m.keras").predict(x, verbose=0),
                               model.predict(x, verbose=0), atol=1e-5)
