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
    from kapre_like.blockwise import round_trip

    signal = signal_of(args, whole=False)
    title = signal.title
    check_length(signal, signal.rate, args.n_fft, args.center, title)
    check_hop(args.n_fft, args.hop)
    with library_errors():  # the pair's own checks (a hop its window cannot reconstruct from)
        result = round_trip(signal, args.n_fft, args.hop, center=args.center, progress=True)
    ok = result.snr_db > LOWEST_SNR_DB
    frames = ", centred frames" if args.center else ""
    if result.silent:  # an SNR of silence means nothing: what counts is that zeros come back as zeros
        quality = ("silence reconstructs exactly" if result.max_error == 0 else "silence does not come back silent")
    else:
        quality = "SNR inf dB (exact)" if result.snr_db == float("inf") else f"SNR {result.snr_db:.1f} dB"
    print(f"STFT -> inverse STFT of {title} (n_fft {args.n_fft}, hop {args.hop}{frames}): max abs error "
          f"{result.max_error:.2e}, {quality} [{'ok' if ok else 'FAILED: SNR below 100 dB'}]")
    return 0 if ok else 1
