"""Train the MNIST evaluator shipped in ``ganlib/assets/evaluator.weights.h5``.

Recorded command (run from the repository root, on the full MNIST)::

    python scripts/train_evaluator.py ../shared/data/mnist.npz --epochs 6 --seed 0

It trains :func:`ganlib.evaluator.make_evaluator` on the 60,000 training images (Adam 1e-3,
batch 128, learning rate halved every 2 epochs), reports the accuracy on the 10,000 test
images, and refuses to write weights below 99.0% test accuracy. The weights' sha256, the
accuracy, command, seed and wall time go into ``ganlib/assets/manifest.json``.
"""

from __future__ import annotations

import argparse
import os
import platform
import time

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ganlib import assets  # noqa: E402
from ganlib.data import read_mnist_npz, to_model_range  # noqa: E402
from ganlib.evaluator import WEIGHTS, make_evaluator  # noqa: E402

MIN_ACCURACY = 0.99


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="full MNIST in Keras layout (mnist.npz)")
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    keras.utils.set_random_seed(args.seed)
    (x_train, y_train), (x_test, y_test) = read_mnist_npz(args.source)
    x_train, x_test = to_model_range(x_train), to_model_range(x_test)
    model = make_evaluator()
    model.compile(optimizer=keras.optimizers.Adam(1e-3),
                  loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), metrics=["accuracy"])
    halve = keras.callbacks.LearningRateScheduler(lambda epoch: 1e-3 * 0.5 ** (epoch // 2))
    start = time.perf_counter()
    model.fit(x_train, y_train.astype(np.int32), batch_size=128, epochs=args.epochs, callbacks=[halve],
              shuffle=True, verbose=2)
    seconds = time.perf_counter() - start
    _, accuracy = model.evaluate(x_test, y_test.astype(np.int32), batch_size=1000, verbose=0)
    print(f"test accuracy {accuracy:.4f} after {args.epochs} epochs, {seconds:.0f} s")
    if accuracy < MIN_ACCURACY:
        raise SystemExit(f"test accuracy {accuracy:.4f} < {MIN_ACCURACY}; weights not written")
    model.save_weights(assets.ASSET_DIR / WEIGHTS)
    digest = assets.record(
        WEIGHTS,
        contents="MNIST evaluator (ganlib.evaluator.make_evaluator) for FID, classifier score, precision/recall",
        test_accuracy=round(float(accuracy), 4),
        command=f"python scripts/train_evaluator.py ../shared/data/mnist.npz --epochs {args.epochs} --seed {args.seed}",
        wall_time_s=round(seconds),
        machine=f"{platform.machine()}, {os.cpu_count()} cores, "
                f"TensorFlow {tf.__version__}, CPU only",
    )
    print(f"wrote {assets.ASSET_DIR / WEIGHTS} (sha256 {digest})")


if __name__ == "__main__":
    main()
