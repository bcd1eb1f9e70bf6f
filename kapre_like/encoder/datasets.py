"""The encoder's ``tf.data`` pipelines: files decoded and resampled in Python threads, the
normalization, augmentation and transform as ops of the pipeline's graph.

An encoder plugs in through three public members: ``waveform(path)`` (NumPy, the file's mono
samples at the encoder's rate), ``draw(length)`` (the augmentation's random parameters) and
``transform(signal, draws)`` (TensorFlow ops), with ``item_shape`` the static shape of one item.
"""

import atexit
import os
import threading
import time
import warnings

import numpy as np
import tensorflow as tf

from .. import audio_io
from .._checks import check_int
from .augmenting import AUGMENTATIONS, DRAW_DTYPES
from .settings import check_on_error, checked_labels


class PythonCallGuard:
    """Keeps ``tf.data``'s worker threads out of Python once the interpreter starts to exit.

    A dataset iterator still alive at exit (an uncaught error keeps its frames in
    ``sys.last_traceback``; a global iterator) is destroyed after Python has stopped running
    other threads. A map call in flight at that moment never returns, and the iterator's
    destructor waits for it forever (or the process aborts). So at exit, while Python still
    runs every thread, new calls are refused and those in flight are waited for (at most
    ``limit`` seconds). Registered with ``atexit`` the first time a dataset calls Python.
    """

    def __init__(self, quiet=0.2, limit=5.0):
        self.quiet, self.limit = quiet, limit
        self.lock = threading.Lock()
        self.active, self.last_start, self.closing, self.registered = 0, 0.0, False, False

    def __enter__(self):
        with self.lock:
            if self.closing:
                raise RuntimeError("the interpreter is exiting")
            if not self.registered:
                atexit.register(self.drain)
                self.registered = True
            self.active += 1
            self.last_start = time.monotonic()

    def __exit__(self, *exc):
        with self.lock:
            self.active -= 1

    def drain(self):
        with self.lock:
            self.closing = True
        deadline = time.monotonic() + self.limit
        while time.monotonic() < deadline:  # until nothing runs and the pipeline has stopped asking
            with self.lock:
                if self.active == 0 and time.monotonic() - self.last_start > self.quiet:
                    return
            time.sleep(0.01)


PYTHON_CALLS = PythonCallGuard()


def dataset(encoder, paths, labels=None, batch_size=32, shuffle=False, num_parallel_calls=tf.data.AUTOTUNE,
            on_error="raise"):
    """``encoder``'s items of ``paths`` (and ``labels``) as a padded, prefetched ``tf.data.Dataset``
    (see ``AudioSpectrogramEncoder.dataset`` for the arguments)."""
    check_on_error(on_error)
    paths = [os.fspath(p) for p in paths]
    items = tf.data.Dataset.from_tensor_slices(paths)
    labels = checked_labels(labels, paths)
    if labels is not None:
        items = tf.data.Dataset.zip((items, tf.data.Dataset.from_tensor_slices(labels)))
    if shuffle:
        items = items.shuffle(len(paths), seed=int(encoder.rng.integers(2**31)))
    keys = [key for key in AUGMENTATIONS if key in encoder.augmentation]

    def read(path):  # NumPy only: runs in tf.data's threads
        path = path.decode()
        with PYTHON_CALLS:
            try:
                signal = encoder.waveform(path)
                audio_io.check_finite(signal)
            except (ValueError, OSError) as error:
                message = str(error) if repr(path) in str(error) else f"{path!r}: {error}"
                if on_error == "raise":
                    raise type(error)(message) from None
                warnings.warn(f"skipped {message}", stacklevel=2)
                return (False, np.zeros(0, np.float32), *(np.zeros((), DRAW_DTYPES[k].as_numpy_dtype) for k in keys))
            draws = encoder.draw(len(signal))
            return (True, signal, *(draws[key] for key in keys))

    def decode(path, *label):
        ok, signal, *draws = tf.numpy_function(read, [path], [tf.bool, tf.float32] + [DRAW_DTYPES[k] for k in keys],
                                               stateful=True)
        for tensor, shape in zip([ok, signal, *draws], [[], [None]] + [[None] if k == "noise" else [] for k in keys]):
            tensor.set_shape(shape)
        return (ok, signal, tuple(draws), *label)

    def encode(ok, signal, draws, *label):
        features = encoder.transform(signal, dict(zip(keys, draws)))
        features.set_shape(encoder.item_shape)
        return (features, *label) if label else features

    data = items.map(decode, num_parallel_calls=num_parallel_calls)
    if on_error == "skip":
        data = data.filter(lambda ok, *rest: ok)
    data = data.map(encode, num_parallel_calls=num_parallel_calls)
    return data.padded_batch(batch_size).prefetch(tf.data.AUTOTUNE)


def dataset_fn(encoder, paths, labels=None, global_batch_size=32, owner="AudioSpectrogramEncoder.dataset_fn",
               **dataset_arguments):
    """``InputContext -> Dataset``: pipeline ``i`` of ``n`` reads files ``i, i + n, ...`` (see
    ``AudioSpectrogramEncoder.dataset_fn``)."""
    check_int(global_batch_size, "global_batch_size", owner, minimum=1)
    paths = [os.fspath(p) for p in paths]
    labels = checked_labels(labels, paths)

    def make(context):
        index, count = context.input_pipeline_id, context.num_input_pipelines
        return dataset(encoder, paths[index::count], None if labels is None else labels[index::count],
                       batch_size=context.get_per_replica_batch_size(global_batch_size), **dataset_arguments)

    return make
