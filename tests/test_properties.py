"""Properties over random sizes (hypothesis): frame counts, declared shapes, perfect reconstruction."""

import numpy as np
import tensorflow as tf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import kapre_like as kl

FORMATS = st.sampled_from(["channels_first", "channels_last"])
SETTINGS = settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _waveform(rng, batch, channels, length, data_format):
    x = rng.standard_normal((batch, channels, length)).astype(np.float32)
    return x if data_format == "channels_first" else np.swapaxes(x, 1, 2)


@st.composite
def stft_settings(draw):
    n_fft = draw(st.integers(8, 512))
    win_length = draw(st.integers(4, n_fft))
    hop_length = draw(st.integers(1, win_length))
    pad_end = draw(st.booleans())
    length = draw(st.integers(1 if pad_end else win_length, 3000))
    return dict(n_fft=n_fft, win_length=win_length, hop_length=hop_length, pad_begin=draw(st.booleans()),
                pad_end=pad_end), length


@SETTINGS
@given(stft_settings(), st.integers(1, 3), st.integers(1, 3), FORMATS, FORMATS, st.integers(0, 2**16))
def test_stft_frame_count_and_declared_shape(setting, batch, channels, input_format, output_format, seed):
    kwargs, length = setting
    layer = kl.STFT(input_data_format=input_format, output_data_format=output_format, **kwargs)
    x = _waveform(np.random.default_rng(seed), batch, channels, length, input_format)
    out = layer(x)
    padded = length + (kwargs["win_length"] - kwargs["hop_length"] if kwargs["pad_begin"] else 0)
    if kwargs["pad_end"]:
        frames = -(-padded // kwargs["hop_length"])
    else:
        frames = 1 + (padded - kwargs["win_length"]) // kwargs["hop_length"]
    freq = kwargs["n_fft"] // 2 + 1
    expected = (batch, channels, frames, freq) if output_format == "channels_first" else (batch, frames, freq, channels)
    assert tuple(out.shape) == expected == layer.compute_output_shape(x.shape)


@SETTINGS
@given(st.integers(4, 9), st.sampled_from([2, 4, 8]), st.integers(1, 2), st.integers(0, 3000), FORMATS, FORMATS,
       st.integers(0, 2**16))
def test_pair_reconstructs_perfectly(log2_n_fft, overlap, channels, extra, waveform_format, stft_format, seed):
    n_fft = 2**log2_n_fft
    hop = n_fft // overlap
    length = n_fft + extra
    stft, istft = kl.composed.get_perfectly_reconstructing_stft_istft(
        n_fft=n_fft, hop_length=hop, waveform_data_format=waveform_format, stft_data_format=stft_format)
    x = _waveform(np.random.default_rng(seed), 2, channels, length, waveform_format)
    y = np.asarray(istft(stft(x)))
    trim = n_fft - hop
    if waveform_format == "channels_first":
        np.testing.assert_allclose(y[:, :, trim:trim + length], x, atol=1e-5)
    else:
        np.testing.assert_allclose(y[:, trim:trim + length], x, atol=1e-5)


@SETTINGS
@given(st.sampled_from(["log", "magnitude", "stft", "angle"]), st.integers(16, 300), st.data(), FORMATS,
       st.booleans(), st.sampled_from(["valid", "same"]), st.integers(1, 3))
def test_stft_spectrogram_declared_shape(mode, frame_length, data, data_format, expand_dims, padding, channels):
    frame_step = data.draw(st.integers(1, frame_length))
    fft_length = data.draw(st.one_of(st.none(), st.integers(frame_length, 2 * frame_length)))
    length = data.draw(st.integers(frame_length, 2000))
    layer = kl.STFTSpectrogram(mode=mode, frame_length=frame_length, frame_step=frame_step, fft_length=fft_length,
                               padding=padding, expand_dims=expand_dims, data_format=data_format)
    x = _waveform(np.random.default_rng(0), 2, channels, length, data_format)
    assert tuple(layer(x).shape) == layer.compute_output_shape(x.shape)


@SETTINGS
@given(st.sampled_from([256, 400, 512, 1024]), st.integers(32, 512), st.integers(1, 4000), st.booleans())
def test_mel_spectrogram_declared_shape(fft_length, stride, extra, batched):
    length = fft_length // 2 + 1 + extra
    layer = kl.MelSpectrogram(fft_length=fft_length, sequence_stride=stride, num_mel_bins=32)
    x = np.random.default_rng(0).standard_normal((2, length) if batched else (length,)).astype(np.float32)
    assert tuple(layer(x).shape) == tuple(layer.compute_output_shape(x.shape))


@settings(max_examples=150, deadline=None)  # plain ops on small arrays: cheap
@given(st.integers(1, 8), st.integers(1, 6), st.integers(1, 64), st.integers(0, 900), st.integers(0, 2**16))
def test_frame_equals_numpy_frames(per_frame, per_hop, block, length, seed):
    # frames gathered as runs of gcd-sized blocks == frames sliced one by one
    frame_length, hop_length = per_frame * block, per_hop * block
    signals = np.random.default_rng(seed).standard_normal((2, length)).astype(np.float32)
    n_frames = max(0, 1 + (length - frame_length) // hop_length)
    expected = np.zeros((2, n_frames, frame_length), np.float32)
    for t in range(n_frames):
        expected[:, t] = signals[:, t * hop_length : t * hop_length + frame_length]
    got = kl.functional.frame(tf.constant(signals), frame_length, hop_length)
    np.testing.assert_array_equal(np.asarray(got), expected)
