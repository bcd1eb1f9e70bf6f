"""``kapre-like roundtrip``: the perfectly reconstructing STFT/inverse-STFT pair on a file (or the built-in
signal), its reconstruction error and SNR (exit status 1 below 100 dB)."""

from .common import add_common_options, check_hop, check_inputs, check_length, library_errors, signal_of

NAME = "roundtrip"
#: The SNR (dB) below which the round trip fails (exit status 1).
LOWEST_SNR_DB = 100.0


def add_parser(commands):
    parser = commands.add_parser(NAME, help="check STFT -> inverse STFT reconstruction",
                                 description="Run the perfectly reconstructing STFT/inverse-STFT pair and print "
                                             "the reconstruction error and SNR (exit status 1 below 100 dB).")
    add_common_options(parser)
    return parser


def check(args):
    check_inputs(args)
    return args


def run(args):
    import numpy as np

    from kapre_like.blockwise import round_trip

    samples, sample_rate, title = signal_of(args)
    check_length(samples, sample_rate, args.n_fft, args.center, title)
    check_hop(args.n_fft, args.hop)
    with library_errors():  # the pair's own checks (a hop its window cannot reconstruct from)
        max_error, snr = round_trip(samples, args.n_fft, args.hop, center=args.center)
    ok = snr > LOWEST_SNR_DB
    frames = ", centred frames" if args.center else ""
    if not np.any(samples):  # an SNR of silence means nothing: what counts is that zeros come back as zeros
        quality = ("silence reconstructs exactly" if max_error == 0 else "silence does not come back silent")
    else:
        quality = "SNR inf dB (exact)" if snr == float("inf") else f"SNR {snr:.1f} dB"
    print(f"STFT -> inverse STFT of {title} (n_fft {args.n_fft}, hop {args.hop}{frames}): max abs error "
          f"{max_error:.2e}, {quality} [{'ok' if ok else 'FAILED: SNR below 100 dB'}]")
    return 0 if ok else 1
