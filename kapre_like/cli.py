"""Command-line tool: spectrogram picture, STFT round-trip check and front-end export.

Run ``kapre-like`` (or ``python -m kapre_like``) with no file to use a built-in
speech-like signal, or give a WAV/FLAC/OGG file. Writes to ``--out``:

- ``spectrogram.png``: the log-mel spectrogram computed by kapre_like layers;
- ``frontend.keras``: the log-mel front end as a Keras model, reloaded and checked;

and prints the STFT -> inverse STFT reconstruction error.
"""

import argparse
import os
import sys

import numpy as np


def _load_audio(path):
    """Mono float32 samples and the sample rate of ``path``; errors name the file."""
    import soundfile

    try:
        samples, sample_rate = soundfile.read(path, dtype="float32", always_2d=True)
    except Exception as error:  # soundfile raises several types; all mean "cannot read"
        raise SystemExit(f"kapre-like: cannot read audio file {path!r}: {error}") from error
    if samples.shape[0] == 0:
        raise SystemExit(f"kapre-like: audio file {path!r} has no samples")
    return samples.mean(axis=1), int(sample_rate)


def _frontend(n_samples, sample_rate, n_fft, hop_length, n_mels):
    import keras

    from .time_frequency import STFT, ApplyFilterbank, Magnitude, MagnitudeToDecibel

    layout = dict(input_data_format="channels_last", output_data_format="channels_last")
    return keras.Sequential(
        [
            keras.Input((n_samples, 1)),
            STFT(n_fft=n_fft, hop_length=hop_length, **layout),
            Magnitude(),
            ApplyFilterbank(
                "mel",
                {"sample_rate": sample_rate, "n_freq": n_fft // 2 + 1, "n_mels": n_mels},
                data_format="channels_last",
            ),
            MagnitudeToDecibel(stype="magnitude", dynamic_range=80.0),
        ],
        name="log_mel_frontend",
    )


def _round_trip_error(signal, n_fft, hop_length):
    """Max abs error and SNR (dB) of the perfectly reconstructing STFT -> inverse STFT pair."""
    from .composed import get_perfectly_reconstructing_stft_istft

    stft, istft = get_perfectly_reconstructing_stft_istft(
        n_fft=n_fft, hop_length=hop_length, waveform_data_format="channels_last", stft_data_format="channels_last"
    )
    y = np.asarray(istft(stft(signal[None, :, None])))[0, :, 0]
    trim = n_fft - hop_length  # win_length - hop_length
    error = y[trim : trim + len(signal)] - signal
    snr = 10 * np.log10(np.sum(signal**2) / max(np.sum(error**2), 1e-30))
    return float(np.max(np.abs(error))), float(snr)


def _plot(log_mel, sample_rate, hop_length, title, path):
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        print("  (matplotlib not installed: no picture; pip install matplotlib)")
        return False
    figure, axis = plt.subplots(figsize=(10, 4))
    seconds = log_mel.shape[0] * hop_length / sample_rate
    image = axis.imshow(log_mel.T, origin="lower", aspect="auto", cmap="magma", extent=(0, seconds, 0, log_mel.shape[1]))
    axis.set_xlabel("time (s)")
    axis.set_ylabel("mel bin")
    axis.set_title(title)
    figure.colorbar(image, ax=axis, label="dB")
    figure.tight_layout()
    figure.savefig(path, dpi=100)
    plt.close(figure)
    return True


def main(argv=None):
    parser = argparse.ArgumentParser(prog="kapre-like", description=__doc__.split("\n\n")[0])
    parser.add_argument("audio", nargs="?", help="audio file (WAV, FLAC, OGG); default: built-in speech-like signal")
    parser.add_argument("--out", default="kapre_like_out", help="output folder (default: %(default)s)")
    parser.add_argument("--n-fft", type=int, default=1024, help="FFT size in samples (default: %(default)s)")
    parser.add_argument("--hop", type=int, default=256, help="hop length in samples (default: %(default)s)")
    parser.add_argument("--n-mels", type=int, default=128, help="mel bands (default: %(default)s)")
    parser.add_argument("--duration", type=float, default=3.0, help="built-in signal length in s (default: %(default)s)")
    args = parser.parse_args(argv)

    if args.audio:
        signal, sample_rate = _load_audio(args.audio)
        title = os.path.basename(args.audio)
    else:
        from .synthetic import speech_like

        sample_rate = 16000
        signal = speech_like(args.duration, sample_rate)
        title = "built-in speech-like signal"
    os.makedirs(args.out, exist_ok=True)
    print(f"input: {title}, {len(signal)} samples at {sample_rate} Hz ({len(signal) / sample_rate:.2f} s)")

    import keras

    frontend = _frontend(len(signal), sample_rate, args.n_fft, args.hop, args.n_mels)
    log_mel = np.asarray(frontend(signal[None, :, None]))[0, :, :, 0]
    print(f"log-mel spectrogram: {log_mel.shape[0]} frames x {log_mel.shape[1]} mels, "
          f"{log_mel.min():.1f} to {log_mel.max():.1f} dB")
    picture = os.path.join(args.out, "spectrogram.png")
    if _plot(log_mel, sample_rate, args.hop, f"log-mel spectrogram: {title}", picture):
        print(f"  picture: {picture}")

    max_error, snr = _round_trip_error(signal, args.n_fft, args.hop)
    status = "ok" if max_error < 1e-4 else "FAILED"
    print(f"STFT -> inverse STFT: max abs error {max_error:.2e}, SNR {snr:.1f} dB [{status}]")

    model_path = os.path.join(args.out, "frontend.keras")
    frontend.save(model_path)
    reloaded = keras.models.load_model(model_path)
    same = np.array_equal(np.asarray(reloaded(signal[None, :, None]))[0, :, :, 0], log_mel)
    print(f"front end saved: {model_path} (reloaded, identical output: {same})")
    return 0 if (status == "ok" and same) else 1


if __name__ == "__main__":
    sys.exit(main())
