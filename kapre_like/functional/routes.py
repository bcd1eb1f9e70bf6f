"""The route planner: how :func:`~kapre_like.functional.stft` and
:func:`~kapre_like.functional.filtered_spectrogram` compute, decided in one place, with the reason.

Routes:

* ``'plain'``: the whole signal at once: frames, window, ``tf.signal.rfft``, then the magnitude,
  filterbank and decibels -- the ops Kapre and Keras run, nothing compiled. With a time length
  known when traced it is one chunk holding every frame (read from the signal as laid out).
* ``'chunked'``: equal chunks of frames, each read from the signal with its own zeros; the
  memory a call needs is bounded by a chunk (minutes of audio), and in graphs the chunks share
  one traced function. Needs a time length known when traced.
* ``'conv'``: the DFT as one strided convolution (:func:`~kapre_like.functional.stft_pairs`),
  built from TFLite built-in ops only; ``O(win_length * n_fft)`` per frame. Never chosen by
  ``'auto'``: the ``*Tflite`` layers use it, and tests compare it with the others.

Within :func:`real_arithmetic` (what the ONNX export traces in) every transform takes ``'conv'``,
and the spectral functions compute from real and imaginary parts: a graph without complex
arithmetic, for converters that have none.

On Keras's JAX, PyTorch and NumPy backends the functions hand over to
:mod:`kapre_like.functional.neutral` (``keras.ops``; :func:`on_tensorflow` decides, and that module's
documentation says why TensorFlow keeps its own routes): one plain route, every length known when traced.

``'auto'`` takes ``'plain'`` unless the spectrogram would exceed :data:`WHOLE_SPECTROGRAM_BYTES`
(then ``'chunked'``, with chunks of at most :data:`CHUNK_SAMPLES` framed samples), and always
``'plain'`` for the complex STFT, whose output is the whole spectrogram anyway.
"""

import contextlib
import contextvars
import dataclasses
import numbers

#: Largest spectrogram (bytes, about ``rows x frames x n_fft`` samples) computed in one piece by
#: ``'auto'``: the ops Kapre and Keras run, as fast, with as small a graph to trace. Longer signals
#: (minutes of audio) are cut into chunks, so that the memory a call needs stays bounded.
WHOLE_SPECTROGRAM_BYTES = 256 * 2**20

#: Samples (rows x frames x ``n_fft``) transformed at most per chunk (32 MiB of float32 frames:
#: fewer, larger chunks are faster eagerly, and a graph's peak stays within a fraction of the
#: spectrogram).
CHUNK_SAMPLES = 2**23

#: Batch size assumed when a graph is traced with an unknown batch size.
ASSUMED_ROWS = 16

ROUTES = ("plain", "chunked", "conv")
STRATEGIES = ("auto",) + ROUTES


@dataclasses.dataclass(frozen=True)
class Strategy:
    """A route and its parameters: what :func:`plan` returns, and what a caller may pass as
    ``strategy=`` to force one.

    Attributes:
        route (str): ``'plain'``, ``'chunked'`` or ``'conv'`` (see the module documentation).
        frames_per_chunk (int or None): frames per chunk (``'chunked'``; the plain route with a
            known length is one chunk of every frame). None: the planner decides.
        reason (str): why the planner chose this route (empty for one given by the caller).

    Example:
        >>> Strategy("chunked", frames_per_chunk=16)
        Strategy(route='chunked', frames_per_chunk=16, reason='')
    """

    route: str = "plain"
    frames_per_chunk: int = None
    reason: str = ""

    def __post_init__(self):
        if self.route not in ROUTES:
            raise ValueError(f"Strategy: `route` must be one of {list(ROUTES)}; got {self.route!r}.")
        chunk = self.frames_per_chunk
        if chunk is not None and (isinstance(chunk, bool) or not isinstance(chunk, numbers.Integral) or chunk < 1):
            raise ValueError(f"Strategy: `frames_per_chunk` must be None or an integer >= 1; got {chunk!r}.")


_REAL_ARITHMETIC = contextvars.ContextVar("kapre_like_real_arithmetic", default=None)


@contextlib.contextmanager
def real_arithmetic():
    """Trace with real arithmetic only, within this context: every STFT as a convolution (the
    ``'conv'`` route, whatever the strategy asked), magnitudes, phases and inverse STFTs from the
    real and imaginary parts, Griffin-Lim on (real, imaginary) pairs. Complex tensors then only pass
    between layers (built by ``Complex``, read by ``Real`` and ``Imag``), which a converter without
    complex numbers maps to pairs (:func:`kapre_like.export_onnx` does). The numbers are the same
    within float32 rounding.

    Yields:
        list of str: what took another route than it would have (one entry per transform traced).

    Example:
        >>> with real_arithmetic() as switched:
        ...     plan(16, 431, 2048).route
        'conv'
        >>> switched
        ['STFT: plain -> conv']
    """
    switched = []
    token = _REAL_ARITHMETIC.set(switched)
    try:
        yield switched
    finally:
        _REAL_ARITHMETIC.reset(token)


def on_tensorflow():
    """Whether Keras's backend is TensorFlow: the routes above; otherwise :mod:`kapre_like.functional.neutral`."""
    import keras

    return keras.backend.backend() == "tensorflow"


def real_arithmetic_only():
    """Whether the caller traces within :func:`real_arithmetic`."""
    return _REAL_ARITHMETIC.get() is not None


def note_switch(what):
    """Record, within :func:`real_arithmetic`, that ``what`` (e.g. ``'inverse STFT: irfft -> matrix'``)
    took the real-arithmetic route."""
    switched = _REAL_ARITHMETIC.get()
    if switched is not None:
        switched.append(what)


def chunk_count(n_rows, n_frames, n_fft, sample_bytes=4):
    """How many chunks of frames ``'auto'`` cuts ``n_frames`` frames of ``n_rows`` waveforms of
    ``sample_bytes`` per sample into (``n_rows`` None: unknown until run time)."""
    samples = (ASSUMED_ROWS if n_rows is None else n_rows) * n_frames * n_fft
    if samples * sample_bytes <= WHOLE_SPECTROGRAM_BYTES:  # about the complex spectrogram's size
        return 1
    return _chunks_of_bounded_size(samples, n_frames)


def _chunks_of_bounded_size(samples, n_frames):
    return max(1, min(n_frames, -(-samples // CHUNK_SAMPLES)))


def plan(n_rows, n_frames, n_fft, sample_bytes=4, strategy="auto", complex_output=False):
    """Choose the route for ``n_frames`` frames (None: unknown until run time) of ``n_rows``
    waveforms (None: unknown), ``n_fft`` samples per frame, ``sample_bytes`` per sample.

    Args:
        strategy (str or Strategy): ``'auto'`` (decide), a route name (force it, parameters
            decided), or a :class:`Strategy` (force it as given).
        complex_output (bool): the caller returns the complex spectrogram whole (``stft``), so
            chunks would not bound its memory.

    Returns:
        Strategy: the route, with ``frames_per_chunk`` filled in where the length is known, and
        the reason.

    Raises:
        ValueError: an unknown strategy, or ``'chunked'`` for a length unknown when traced.

    Example:
        >>> plan(16, 431, 2048).route
        'plain'
        >>> plan(16, 26000, 2048).reason
        'spectrogram of 3250 MiB > 256 MiB: 102 chunks of 255 frames'
    """
    if isinstance(strategy, Strategy):
        route, frames_per_chunk, reason = strategy.route, strategy.frames_per_chunk, strategy.reason
    elif isinstance(strategy, str) and strategy in STRATEGIES:
        route, frames_per_chunk, reason = strategy, None, ""
    else:
        raise ValueError(f"`strategy` must be one of {list(STRATEGIES)} or a Strategy; got {strategy!r}.")
    if route == "chunked" and not n_frames:
        raise ValueError("strategy 'chunked' needs a time length known when the function is traced (and at least "
                         f"one frame); got {'an unknown length' if n_frames is None else 'no frame'}.")
    if route == "auto":
        route, reason = _automatic(n_rows, n_frames, n_fft, sample_bytes, complex_output)
    if real_arithmetic_only() and route != "conv":
        note_switch(f"STFT: {route} -> conv")
        route, reason = "conv", "real arithmetic only (an export without complex numbers)"
    if route == "conv" and n_frames == 0:
        route, reason = "plain", "no frame: an empty result, which a convolution cannot give"
    if route == "plain":
        frames_per_chunk = n_frames or None  # with a known length, one chunk of every frame
    elif route == "conv":
        frames_per_chunk = None
    elif frames_per_chunk is None:
        samples = (ASSUMED_ROWS if n_rows is None else n_rows) * n_frames * n_fft
        frames_per_chunk = -(-n_frames // _chunks_of_bounded_size(samples, n_frames))
    else:
        frames_per_chunk = min(frames_per_chunk, n_frames)
    if route == "chunked" and reason:
        reason += f": {-(-n_frames // frames_per_chunk)} chunks of {frames_per_chunk} frames"
    return Strategy(route, frames_per_chunk, reason)


def _automatic(n_rows, n_frames, n_fft, sample_bytes, complex_output):
    if complex_output:
        return "plain", "the complex spectrogram is the output: chunks would not bound its memory"
    if not n_frames:
        return "plain", "time length unknown until run time" if n_frames is None else "no frame"
    mib = (ASSUMED_ROWS if n_rows is None else n_rows) * n_frames * n_fft * sample_bytes / 2**20
    if chunk_count(n_rows, n_frames, n_fft, sample_bytes) == 1:
        return "plain", f"spectrogram of {mib:.0f} MiB <= {WHOLE_SPECTROGRAM_BYTES // 2**20} MiB: one piece"
    return "chunked", f"spectrogram of {mib:.0f} MiB > {WHOLE_SPECTROGRAM_BYTES // 2**20} MiB"
