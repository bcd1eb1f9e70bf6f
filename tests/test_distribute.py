"""tf.distribute (issue 22): a model that starts with a kapre_like front end trains under MirroredStrategy on
two logical CPU devices and under MultiWorkerMirroredStrategy with two local worker processes, with the loss
trajectory and weights of one device. Each run is its own process (tests/distributed_training.py): logical
devices and a cluster are set before TensorFlow starts."""

import json
import os
import socket
import subprocess
import sys

import numpy as np
import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
SCRIPT = os.path.join(HERE, "distributed_training.py")
ENV = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}


def launch(*args):
    return subprocess.Popen([sys.executable, SCRIPT, *map(str, args)], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, env=ENV)


def report(process, timeout=300):
    out, err = process.communicate(timeout=timeout)
    assert process.returncode == 0, err[-3000:]
    return json.loads(out.strip().splitlines()[-1])


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("localhost", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def assert_same_training(run, reference):
    assert len(run["losses"]) == len(reference["losses"]) == 4
    np.testing.assert_allclose(run["losses"], reference["losses"], rtol=1e-5)
    np.testing.assert_allclose(run["weights"], reference["weights"], rtol=1e-5)
    assert run["losses"][-1] < run["losses"][0]  # it learns


@pytest.mark.slow
def test_mirrored_strategy_on_two_logical_cpus_trains_as_one_device():
    single, mirrored = launch("single", "fit"), launch("mirrored", "fit")
    reference, run = report(single), report(mirrored)
    assert run["replicas"] == 2 and reference["replicas"] == 1
    assert_same_training(run, reference)


@pytest.mark.slow
def test_multi_worker_mirrored_strategy_with_two_local_workers_trains_as_one_device():
    ports = free_ports(2)
    workers = [launch("worker", "loop", index, *ports) for index in (0, 1)]
    runs = [report(worker) for worker in workers]
    reference = report(launch("single", "loop"))
    for run in runs:
        assert run["replicas"] == 2
        assert_same_training(run, reference)


def test_encoder_dataset_fn_gives_each_input_pipeline_its_share_of_the_files(tmp_path):
    import soundfile
    import tensorflow as tf

    from kapre_like import AudioSpectrogramEncoder
    from kapre_like.synthetic import speech_like

    from conftest import assert_says

    paths = []
    for i in range(5):
        paths.append(str(tmp_path / f"clip{i}.wav"))
        soundfile.write(paths[-1], speech_like(0.25, 16000, seed=i), 16000, subtype="FLOAT")
    encoder = AudioSpectrogramEncoder(target_length=0.25)
    make = encoder.dataset_fn(paths, labels=np.arange(5), global_batch_size=4)
    for index in (0, 1):
        context = tf.distribute.InputContext(num_input_pipelines=2, input_pipeline_id=index, num_replicas_in_sync=2)
        batches = list(make(context))
        assert [len(labels) for _, labels in batches] == ([2, 1] if index == 0 else [2])  # per-replica batches of 2
        labels = np.concatenate([labels.numpy() for _, labels in batches])
        np.testing.assert_array_equal(labels, np.arange(5)[index::2])
        spectra = np.concatenate([s.numpy() for s, _ in batches])
        np.testing.assert_allclose(spectra, np.stack(encoder(paths[index::2])), atol=1e-5)
    with pytest.raises(ValueError) as info:
        encoder.dataset_fn(paths, labels=[0, 1])
    assert_says(info, "one label per path", "5 paths, 2 labels")
    with pytest.raises(ValueError) as info:
        encoder.dataset_fn(paths, global_batch_size=0)
    assert_says(info, "global_batch_size")
