"""Learning curves of augmentation on a development split, so that no choice is made on the test set.

    PYTHONPATH=. python benchmarks/augmentation_dev.py --data MNIST.npz [--per-class 100] [--seeds 0 1 2 3 4]
        [--checkpoints 300 600 1200 2400] [--filter 0.9] [--added 13 32] [--out runs/augmentation-dev.jsonl]

The development split: 10,000 MNIST *training* images (a fixed permutation, seed 12345) are held
out and read as the test set; the few labelled images are drawn (:func:`ganlib.apps.augment.few_labelled`)
from the other 50,000.  The MNIST test set is not loaded.  For every ``(per_class, seed)`` the script
trains the ``real`` classifier and, for each ``--added N``, the classifier whose every batch holds
the same 64 real images plus ``N`` digits of the shipped InfoGAN (``dcgan-mnist``; codes named by
the cell's 300-step real classifier, consistency-filtered at ``--filter`` by it: exactly the
benchmark's ``infogan --filter`` pool, ``mix="add"``), and reads each one's accuracy on the held-out
images after each number of steps in ``--checkpoints`` (with a constant learning rate, the model
after ``k`` steps of a longer run is the ``k``-step model).  One JSON line per cell in ``--out``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import numpy as np  # noqa: E402

from ganlib import pretrained  # noqa: E402
from ganlib.apps import augment  # noqa: E402
from ganlib.data import load_mnist  # noqa: E402

DEV_SIZE, DEV_SEED = 10_000, 12345


def development_split(train):
    """(pool, dev): the training images minus ``DEV_SIZE`` held out, and those held out."""
    images, labels = train
    order = np.random.default_rng(DEV_SEED).permutation(len(images))
    held, pool = order[:DEV_SIZE], order[DEV_SIZE:]
    return (images[pool], labels[pool]), (images[held], labels[held])


def curve(images, labels, seed: int, checkpoints, dev, pool=None, added: int = 0) -> dict[int, float]:
    """Accuracy on ``dev`` after each of ``checkpoints`` steps of one run (batch 64 real, + ``added`` from ``pool``)."""
    accuracy = {}

    def read(step, model):
        if step in checkpoints:
            accuracy[step] = augment.classifier_accuracy(model, *dev)

    augment.train_classifier(images, labels, steps=max(checkpoints), seed=seed, pool=pool,
                             generated_fraction=added / augment.DEFAULT_BATCH, mix="add", after_step=read)
    return accuracy


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=None, help="full MNIST in Keras layout (mnist.npz)")
    parser.add_argument("--per-class", type=int, nargs="+", default=[100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[300, 600, 1200, 2400])
    parser.add_argument("--filter", type=float, default=augment.DEFAULT_FILTER_THRESHOLD)
    parser.add_argument("--added", type=int, nargs="+", default=[13, 32], help="generated digits added per batch")
    parser.add_argument("--out", type=Path, default=Path("runs/augmentation-dev.jsonl"))
    args = parser.parse_args()
    train, dev = development_split(load_mnist(args.data).train)
    infogan = pretrained.load("dcgan-mnist")
    steps = max(args.checkpoints)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for per_class in args.per_class:
        for seed in args.seeds:
            start = time.perf_counter()
            images, labels = augment.few_labelled(*train, per_class, seed)
            cell = {"per_class": per_class, "seed": seed, "dev_images": len(dev[0]),
                    "real": curve(images, labels, seed, args.checkpoints, dev)}
            namer = augment.train_classifier(images, labels, seed=seed)  # the benchmark's 300-step real classifier
            code_of_digit, _ = augment.name_codes(infogan, namer, seed=augment.derived_seed(seed, augment.NAMING_STREAM))
            named = augment.NamedCodes(infogan, code_of_digit)
            pool = augment.filtered_pool(named, namer, steps * max(args.added),
                                         augment.derived_seed(seed, augment.NOISE_STREAM), args.filter)[:2]
            for added in args.added:
                cell[f"added {added}"] = curve(images, labels, seed, args.checkpoints, dev, pool, added)
            cell["seconds"] = round(time.perf_counter() - start, 1)
            with args.out.open("a") as handle:
                handle.write(json.dumps(cell) + "\n")
            print(json.dumps(cell), flush=True)


if __name__ == "__main__":
    main()
