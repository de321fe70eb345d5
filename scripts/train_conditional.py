"""Train the class-conditional MNIST GAN (:mod:`ganlib.apps.conditional`), resumably.

Command used for the run of issue 5 (from the worktree root; the run's directory and log are
outside the repository)::

    PYTHONPATH=. nohup python scripts/train_conditional.py /work/shared/data/mnist.npz \
        --out /work/main/runs/cgan-mnist --epochs 20 >> /work/main/runs/cgan-mnist.log 2>&1 &

(it was interrupted twice and continued with ``--resume``; ``--epochs 40`` was asked first and
lowered to 20).  It checkpoints every epoch (both networks, both optimisers, the moving average) into
``--out``; the same command with ``--resume`` continues from the last checkpoint up to
``--epochs`` in total, drawing exactly the batches, noise and labels an uninterrupted run would.
After each epoch it prints the evaluator's accuracy on 1,000 samples (100 per class).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ganlib.trainer import Trainer  # noqa: E402
from ganlib.data import read_mnist_npz  # noqa: E402
from ganlib.evaluator import features_and_probabilities  # noqa: E402


class LabelAccuracy(keras.callbacks.Callback):
    """After every epoch, print the evaluator's accuracy on requested labels (1,000 samples,
    noise seed 123, which no measurement uses) and append it to ``label_accuracy.jsonl``."""

    def __init__(self, out_dir):
        super().__init__()
        self.file = Path(out_dir) / "label_accuracy.jsonl"

    def on_epoch_end(self, epoch, logs=None):
        labels = np.arange(1000) % 10
        _, probabilities = features_and_probabilities(self.model.generate(1000, seed=123, labels=labels))
        accuracy = float((probabilities.argmax(1) == labels).mean())
        print(f"epoch {epoch + 1}: label accuracy {accuracy:.4f} "
              + " ".join(f"{k}={float(v):.4f}" for k, v in (logs or {}).items()), flush=True)
        with open(self.file, "a", encoding="utf-8") as handle:
            handle.write(json.dumps({"epoch": epoch + 1, "label_accuracy": accuracy}) + "\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="full MNIST in Keras layout (mnist.npz)")
    parser.add_argument("--out", required=True)
    parser.add_argument("--epochs", type=int, default=40, help="total epochs (resumed runs count the done ones)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()
    (x, y), _ = read_mnist_npz(args.source)
    trainer = Trainer(x, y, kind="conditional", out_dir=args.out, seed=args.seed, width=args.width,
                      batch_size=args.batch_size, ema_decay=0.999, resume=args.resume, keep=None,
                      callbacks=[LabelAccuracy(args.out)], verbose=2)
    print(f"start at epoch {trainer.epoch}, target {args.epochs}, config {trainer.config}", flush=True)
    start = time.perf_counter()
    trainer.train(max(0, args.epochs - trainer.epoch))
    print(f"done: epoch {trainer.epoch}, {time.perf_counter() - start:.0f} s, "
          f"{trainer.images_per_second:.0f} images/s", flush=True)


if __name__ == "__main__":
    main()
