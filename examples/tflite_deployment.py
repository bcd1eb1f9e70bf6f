"""Train with the ordinary layers, deploy to TensorFlow Lite with the TFLite layers.

A keyword-spotting-style classifier (tone vs chirp vs noise, as in audio_classifier.py)
is trained on raw audio with ``STFT`` -> ``Magnitude`` -> mel -> dB. For deployment the same
architecture is rebuilt with ``STFTTflite`` and ``MagnitudeTflite`` (no complex numbers),
the trained weights are copied with ``set_weights``, and the model is converted with
TFLite **built-in ops only**. The interpreter then classifies a batch of 8 clips at once
(Kapre's TFLite layers needed Select TF ops and batch 1) and agrees with Keras.

Run: python examples/tflite_deployment.py
"""

import os

import keras

import kapre_like
from kapre_like.exporting import tflite_interpreter
from audio_classifier import CLASSES, SAMPLE_RATE, dataset

FAST = os.environ.get("KAPRE_LIKE_EXAMPLES_FAST") == "1"


def classifier(tflite):
    stft_class = kapre_like.STFTTflite if tflite else kapre_like.STFT
    magnitude_class = kapre_like.MagnitudeTflite if tflite else kapre_like.Magnitude
    return keras.Sequential([
        keras.Input((SAMPLE_RATE, 1)),
        stft_class(n_fft=512, hop_length=256, input_data_format="channels_last", output_data_format="channels_last"),
        magnitude_class(),
        kapre_like.ApplyFilterbank("mel", {"sample_rate": SAMPLE_RATE, "n_freq": 257, "n_mels": 64},
                                   data_format="channels_last"),
        kapre_like.MagnitudeToDecibel(),
        keras.layers.BatchNormalization(),
        keras.layers.Conv2D(16, 3, activation="relu"), keras.layers.MaxPooling2D(2),
        keras.layers.Conv2D(32, 3, activation="relu"), keras.layers.GlobalMaxPooling2D(),
        keras.layers.Dense(len(CLASSES)),
    ])


def main():
    keras.utils.set_random_seed(0)
    x_train, y_train = dataset(60 if FAST else 600, seed=1)
    x_test, y_test = dataset(8, seed=3)
    trained = classifier(tflite=False)
    trained.compile(optimizer=keras.optimizers.Adam(2e-3),
                    loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    trained.fit(x_train, y_train, batch_size=32, epochs=1 if FAST else 6, verbose=0)

    deployed = classifier(tflite=True)
    deployed.set_weights(trained.get_weights())  # the TFLite layers have no weights of their own
    # converted with built-in ops only, written to ./classifier.tflite, reloaded and run on the test batch
    (path, difference), = kapre_like.export(trained, ".", formats="tflite", check=x_test, name="classifier",
                                            tflite_model=deployed).values()

    interpreter = tflite_interpreter(path)
    ops = sorted({op["op_name"] for op in interpreter._get_ops_details()})
    runner = interpreter.get_signature_runner()
    (input_name,) = runner.get_input_details()
    (logits,) = runner(**{input_name: x_test}).values()  # a batch of 8 in one call
    print(f"{os.path.basename(path)}: {os.path.getsize(path) / 1024:.0f} KiB, built-in ops only: {', '.join(ops)}")
    print(f"batch of {len(x_test)}: largest logit difference from Keras {difference:.1e}")
    print("predicted:", [CLASSES[k] for k in logits.argmax(axis=1)])
    print("true:     ", [CLASSES[k] for k in y_test])
    if difference > 1e-3:
        raise SystemExit("the TFLite model disagrees with the Keras model")


if __name__ == "__main__":
    main()
