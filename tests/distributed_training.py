"""A small classifier on a kapre_like mel front end, trained one way per process (run by test_distribute.py).

    python distributed_training.py single fit             # one device, model.fit: the reference
    python distributed_training.py mirrored fit           # MirroredStrategy on 2 logical CPU devices
    python distributed_training.py single loop            # one device, a custom training loop
    python distributed_training.py worker loop INDEX PORT0 PORT1   # MultiWorkerMirroredStrategy, one of 2 workers

Keras 3's ``fit`` does not run under ``MultiWorkerMirroredStrategy`` (keras-team/keras#20585: it reduces
the first batch, a tuple of per-replica values, which that strategy refuses), so the workers train with
the custom loop TensorFlow's multi-worker guide describes, compared with the same loop on one device.

Each prints one JSON line: the loss of every step and a checksum of the final weights. Every run sees
the same global batches of 8 waveforms in the same order: one device takes them whole, two replicas or
two workers half each (a dataset sharded per input pipeline, as ``distribute_datasets_from_function``
hands it out), and the gradients are averaged over the global batch, so the runs should agree.
"""

import json
import os
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

RATE, SAMPLES, GLOBAL_BATCH, STEPS = 8000, 4000, 8, 4


def configure(mode, argv):
    import tensorflow as tf

    if mode == "worker":
        index, ports = int(argv[0]), argv[1:3]
        os.environ["TF_CONFIG"] = json.dumps({"cluster": {"worker": [f"localhost:{p}" for p in ports]},
                                              "task": {"type": "worker", "index": index}})
        return tf.distribute.MultiWorkerMirroredStrategy()
    if mode == "mirrored":
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        return tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
    return tf.distribute.get_strategy()  # the default: one device


def examples():
    """``STEPS * GLOBAL_BATCH`` waveforms (tones at one of two pitches) and their labels."""
    import numpy as np

    rng = np.random.default_rng(0)
    t = np.arange(SAMPLES) / RATE
    labels = rng.integers(0, 2, STEPS * GLOBAL_BATCH)
    freqs = np.where(labels == 1, 1200.0, 400.0) * rng.uniform(0.9, 1.1, labels.shape)
    waves = 0.5 * np.sin(2 * np.pi * freqs[:, None] * t) + 0.05 * rng.standard_normal((labels.size, SAMPLES))
    return waves[..., None].astype(np.float32), labels.astype(np.int32)


def model():
    import keras

    import kapre_like

    keras.utils.set_random_seed(1)
    return keras.Sequential([
        keras.Input((SAMPLES, 1)),
        kapre_like.composed.get_melspectrogram_layer(n_fft=256, hop_length=128, sample_rate=RATE, n_mels=32,
                                                     return_decibel=True, input_data_format="channels_last",
                                                     output_data_format="channels_last"),
        keras.layers.BatchNormalization(synchronized=True),  # statistics over the global batch
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.GlobalAveragePooling2D(),
        keras.layers.Dense(2),
    ])


def dataset_fn(context):
    """This input pipeline's share of every global batch: examples ``id, id + n, ...`` of each."""
    import tensorflow as tf

    waves, labels = examples()
    per_replica = context.get_per_replica_batch_size(GLOBAL_BATCH)
    data = tf.data.Dataset.from_tensor_slices((waves, labels)).batch(GLOBAL_BATCH)
    # split each global batch by pipeline: the same global batches in the same order, for any number of pipelines
    data = data.unbatch().shard(context.num_input_pipelines, context.input_pipeline_id) \
        if context.num_input_pipelines > 1 else data.unbatch()
    return data.batch(per_replica)


def fit(strategy, data):
    """``model.fit`` for ``STEPS`` steps: the running mean loss Keras logs after each step, and the model."""
    import keras

    with strategy.scope():
        classifier = model()
        classifier.compile(optimizer=keras.optimizers.SGD(0.05),
                           loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    losses = []
    callback = keras.callbacks.LambdaCallback(on_train_batch_end=lambda batch, logs: losses.append(logs["loss"]))
    classifier.fit(data, epochs=1, steps_per_epoch=STEPS, verbose=0, callbacks=[callback], shuffle=False)
    return losses, classifier


def loop(strategy, data):
    """A custom training loop (``strategy.run`` per step): each step's loss over the global batch, and the model."""
    import keras
    import tensorflow as tf

    with strategy.scope():
        classifier = model()
        optimizer = keras.optimizers.SGD(0.05)
        per_example = keras.losses.SparseCategoricalCrossentropy(from_logits=True, reduction=None)

    @tf.function
    def train_step(iterator):
        def step(waves, labels):
            with tf.GradientTape() as tape:
                loss = tf.nn.compute_average_loss(per_example(labels, classifier(waves, training=True)),
                                                  global_batch_size=GLOBAL_BATCH)
            gradients = tape.gradient(loss, classifier.trainable_variables)
            optimizer.apply_gradients(zip(gradients, classifier.trainable_variables))
            return loss

        return strategy.reduce("SUM", strategy.run(step, args=next(iterator)), axis=None)

    iterator = iter(data)
    return [float(train_step(iterator)) for _ in range(STEPS)], classifier


def main(argv):
    mode, how = argv[0], argv[1]
    strategy = configure(mode, argv[2:])
    import numpy as np

    data = strategy.distribute_datasets_from_function(dataset_fn)
    losses, classifier = (fit if how == "fit" else loop)(strategy, data)
    weights = np.concatenate([np.ravel(w) for w in classifier.get_weights()])
    print(json.dumps({"mode": mode, "how": how, "replicas": strategy.num_replicas_in_sync,
                      "losses": [float(x) for x in losses],
                      "weights": [float(np.sum(weights)), float(np.sum(np.abs(weights)))]}))


if __name__ == "__main__":
    main(sys.argv[1:])
