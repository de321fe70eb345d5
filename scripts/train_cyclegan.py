"""Train the MNIST <-> UCI digits CycleGAN (:mod:`ganlib.apps.cyclegan`), resumably.

    PYTHONPATH=. python scripts/train_cyclegan.py --out runs/cyclegan --epochs 30 [--resume] \\
        [--semantic 1 [--semantic-classifier lenet5]]

MNIST comes from ``--data`` (default: ``$GANLIB_MNIST``, Keras' cache, else the embedded
10,000-image training subset); the UCI digits from scikit-learn (training split of
:func:`ganlib.apps.cyclegan.load_uci_digits`, seed 0).  Only training images are used, and no
labels, except with ``--semantic W``: then a classifier per domain is trained on that domain's
training labels and the semantic-consistency loss (weight W) asks each to read the other
domain's translations as the source's label (:mod:`ganlib.apps.cyclegan`).  A checkpoint of the whole model is written every epoch; the same command with
``--resume`` continues up to ``--epochs`` in total, on exactly the batches an uninterrupted run
would see.  After each epoch it prints a progress check on 500 *training* images per domain
(the test images are kept for ``benchmarks/cyclegan_quality.py``): how often the other domain's
classifier reads a translation as its source's label.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import keras  # noqa: E402
import numpy as np  # noqa: E402

from ganlib.apps.cyclegan import (DEFAULT_BATCH_SIZE, DEFAULT_BLOCKS, DEFAULT_CRITIC_WIDTH,  # noqa: E402
                                  DEFAULT_WIDTH, SEMANTIC_CLASSIFIERS, CycleGANTrainer,
                                  load_uci_digits, mnist_labels, train_uci_classifier, translate)
from ganlib.data import load_mnist  # noqa: E402
from ganlib.runs import read_checkpoint_state  # noqa: E402

CHECK = 500  # training images per domain for the per-epoch progress check


class LabelCheck(keras.callbacks.Callback):
    """Print label preservation on ``CHECK`` training images per domain after every epoch."""

    def __init__(self, mnist_train, uci_train):
        super().__init__()
        spread = len(mnist_train[0]) // CHECK  # every k-th image: all digits, whatever the file's order
        self.mnist, self.mnist_labels = mnist_train[0][::spread][:CHECK], mnist_train[1][::spread][:CHECK]
        self.uci, self.uci_labels = uci_train[0][:CHECK], uci_train[1][:CHECK]
        self.read_uci = train_uci_classifier(*uci_train)

    def on_epoch_end(self, epoch, logs=None):
        generators = self.model.generators
        to_uci = np.mean(self.read_uci(translate(self.mnist, "mnist_to_uci", generators))
                         == self.mnist_labels)
        to_mnist = np.mean(mnist_labels(translate(self.uci, "uci_to_mnist", generators)) == self.uci_labels)
        print(f"epoch {epoch + 1}: labels kept (training images) mnist->uci {to_uci:.3f}, uci->mnist {to_mnist:.3f}; "
              + " ".join(f"{k}={float(v):.4f}" for k, v in (logs or {}).items()), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--epochs", type=int, required=True, help="total epochs (a resumed run counts the done ones)")
    parser.add_argument("--data", type=Path, default=None, help="mnist.npz (default: embedded subset)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--width", type=int, default=DEFAULT_WIDTH)
    parser.add_argument("--blocks", type=int, default=DEFAULT_BLOCKS)
    parser.add_argument("--critic-width", type=int, default=DEFAULT_CRITIC_WIDTH)
    parser.add_argument("--batch-size", type=int, default=DEFAULT_BATCH_SIZE)
    parser.add_argument("--steps-per-epoch", type=int, default=None, help="default: one pass over the UCI images")
    parser.add_argument("--semantic", type=float, default=0.0,
                        help="weight of the semantic-consistency loss (0: plain CycleGAN, label-free)")
    parser.add_argument("--semantic-classifier", choices=SEMANTIC_CLASSIFIERS, default="evaluator",
                        help="architecture of the semantic loss's two classifiers (lenet5: none of the "
                             "benchmark's readers shares it)")
    parser.add_argument("--resume", action="store_true")
    args = parser.parse_args()

    mnist, uci = load_mnist(args.data), load_uci_digits(seed=0)
    done = read_checkpoint_state(args.out)["epoch"] if args.resume and read_checkpoint_state(args.out) else 0
    trainer = CycleGANTrainer(mnist.train[0], uci.train[0], out_dir=args.out, batch_size=args.batch_size,
                              steps_per_epoch=args.steps_per_epoch, seed=args.seed, width=args.width,
                              blocks=args.blocks, critic_width=args.critic_width, resume=args.resume, keep=None,
                              callbacks=[LabelCheck(mnist.train, uci.train)], semantic_weight=args.semantic,
                              mnist_labels=mnist.train[1], uci_labels=uci.train[1],
                              semantic_classifier=args.semantic_classifier, verbose=2)
    print(f"MNIST from {mnist.source}; {uci.source}; start at epoch {done}, target {args.epochs}; "
          f"config {trainer.config}", flush=True)
    trainer.train(max(0, args.epochs - trainer.epoch))
    print(f"done: epoch {trainer.epoch}, {trainer.seconds:.0f} s of this session; generators in {args.out}", flush=True)


if __name__ == "__main__":
    main()
