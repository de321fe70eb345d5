"""Learning curves of augmentation on a development split, so that no choice is made on the test set.

    PYTHONPATH=. python benchmarks/augmentation_dev.py --data MNIST.npz [--per-class 100] [--seeds 0 1 2 3 4]
        [--checkpoints 300 600 1200 2400] [--filter 0.9] [--added 13 32] [--out runs/augmentation-dev.jsonl]

Rerun the reported curves (100 labels per digit, seeds 0-4, 32 filtered InfoGAN digits added to
each batch; about 210 s per seed on 2 CPU cores):

    PYTHONPATH=. python benchmarks/augmentation_dev.py --data MNIST.npz --added 32

``MNIST.npz`` is the full MNIST in Keras layout (``--data`` defaults to ``$GANLIB_MNIST``, then as
``ganlib.data.load_mnist()``, whose embedded subset is too small for the 10,000 held-out images
plus the labelled pool the reported curves used).  ``--out`` is the script's own output (appended
to).  Reported in ``benchmarks/README.md`` section 10c (the development-split table that fixed the
1,200-step budget), in ``benchmarks/declared/augmentation-added.md`` and in the book's chapter
``book/app_augment.ipynb``.

The development split: 10,000 MNIST *training* images (a fixed permutation, seed 12345) are held
out and read as the test set; the few labelled images are drawn (:func:`ganlib.studies.augmentation.few_labelled`)
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


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 10c.")
    parser.add_argument("--data", type=Path, default=None,
                        help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                             "ganlib.data.load_mnist()")
    parser.add_argument("--per-class", type=int, nargs="+", default=[100])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--checkpoints", type=int, nargs="+", default=[300, 600, 1200, 2400])
    parser.add_argument("--filter", type=float, default=None,
                        help="consistency-filter threshold (default: ganlib.apps.augment.DEFAULT_FILTER_THRESHOLD)")
    parser.add_argument("--added", type=int, nargs="+", default=[13, 32], help="generated digits added per batch")
    parser.add_argument("--out", type=Path, default=Path("runs/augmentation-dev.jsonl"),
                        help="JSON lines, one per cell, appended")
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import numpy as np  # noqa: E402

from ganlib import pretrained  # noqa: E402
from ganlib.apps import augment  # noqa: E402
from ganlib.data import load_mnist  # noqa: E402
from ganlib.studies.augmentation import few_labelled  # noqa: E402

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


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    args.filter = augment.DEFAULT_FILTER_THRESHOLD if args.filter is None else args.filter
    train, dev = development_split(load_mnist(args.data).train)
    infogan = pretrained.load("dcgan-mnist")
    steps = max(args.checkpoints)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    for per_class in args.per_class:
        for seed in args.seeds:
            start = time.perf_counter()
            images, labels = few_labelled(*train, per_class, seed)
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
    main(ARGS)
