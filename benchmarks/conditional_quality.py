"""How well the class-conditional generator obeys its labels, per class and against truncation.

    PYTHONPATH=. python benchmarks/conditional_quality.py (--model cgan-mnist | --run DIR [--epoch E])
        [--data MNIST.npz] [--n-per-class 1000] [--seed 0] [--thresholds none,2,1.5,1,0.75,0.5]

Per epoch of a run kept with ``--keep 0``: the label accuracy a conditional run logs after each
epoch (:func:`ganlib.apps.conditional.label_accuracy`, 1,000 samples, noise seed 123), for runs
trained before it was logged, with the epoch's losses from ``history.jsonl``:

    PYTHONPATH=. python benchmarks/conditional_quality.py --run DIR --by-epoch

Rerun the reported tables for the shipped model (epoch 10 of the run in ``benchmarks/README.md``
section 7, which gives its training command):

    PYTHONPATH=. python benchmarks/conditional_quality.py --model cgan-mnist --data MNIST.npz

``MNIST.npz`` is the full MNIST in Keras layout (``--data`` defaults to ``$GANLIB_MNIST``, then as
``ganlib.data.load_mnist()``; its embedded subset holds the same 10,000 test images and the first
1,000 training images of each digit, which are the real-image reference drawn here, so it should
give the same figures).  Reported in ``benchmarks/README.md`` section 7 and the book's
chapter ``book/app_conditional.ipynb``.

Draws ``--n-per-class`` samples of every digit (10,000 by default) and scores them with
:func:`ganlib.apps.conditional.class_report` against the 10,000 MNIST test images: the share
the evaluator classifies as the requested digit (overall and per digit), the FID of each
digit's samples against that digit's test images, and the unconditional FID, classifier
score, precision and recall.  The same report for real training images (as many of each
digit as the test set holds, up to ``--n-per-class``) with their true labels is printed first,
as the reference.  Then one line per truncation threshold.  Output: JSON lines.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def thresholds(text: str) -> list[float | None]:
    return [None if item == "none" else float(item) for item in text.split(",")]


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 7.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--model", help="a shipped model, e.g. cgan-mnist")
    source.add_argument("--run", type=Path, help="a ConditionalTrainer run directory")
    parser.add_argument("--epoch", type=int, default=None, help="with --run: a kept epoch (default: the latest)")
    parser.add_argument("--data", type=Path, default=None,
                        help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                             "ganlib.data.load_mnist()")
    parser.add_argument("--by-epoch", action="store_true",
                        help="with --run: the label accuracy of every kept epoch, one JSON line each")
    parser.add_argument("--n-per-class", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--thresholds", type=thresholds, default=thresholds("none,2,1.5,1,0.75,0.5"))
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

import numpy as np

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from ganlib import pretrained  # noqa: E402
from ganlib.apps.conditional import class_report, class_samples, label_accuracy  # noqa: E402
from ganlib.data import load_mnist  # noqa: E402
from ganlib.errors import CheckpointError  # noqa: E402
from ganlib.registry import restore_run  # noqa: E402
from ganlib.runs import read_history  # noqa: E402


def rounded(report: dict) -> dict:
    def r(value):
        return [round(v, 4) for v in value] if isinstance(value, list) else round(value, 4)
    return {key: r(value) for key, value in report.items() if key not in ("class_histogram", "n")}


def real_subset(images, labels, n_per_class: int):
    """The first ``n_per_class`` training images of each digit."""
    keep = np.concatenate([np.flatnonzero(labels == k)[:n_per_class] for k in range(10)])
    return images[keep], labels[keep]


def by_epoch(run: Path) -> None:
    """One JSON line per kept epoch of ``run``: its label accuracy and its history line."""
    for line in read_history(run):
        try:
            gan, epoch = restore_run(run, line["epoch"])
        except CheckpointError as error:  # an epoch that was not kept
            print(json.dumps({"epoch": line["epoch"], "skipped": str(error)}), flush=True)
            continue
        losses = {key: round(value, 4) for key, value in line.items() if key not in ("epoch", "label_accuracy")}
        print(json.dumps({"epoch": epoch, "label_accuracy": label_accuracy(gan.sampler), **losses}), flush=True)


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    if args.by_epoch:
        if not args.run:
            raise SystemExit("--by-epoch needs --run DIR")
        return by_epoch(args.run)
    if args.model:
        generator, name = pretrained.load(args.model), args.model
    else:
        gan, epoch = restore_run(args.run, args.epoch)
        generator, name = gan.sampler, f"{args.run} epoch {epoch}"
    mnist = load_mnist(args.data)
    test_images, test_labels = mnist.test
    real = class_report(*real_subset(*mnist.train, args.n_per_class), test_images, test_labels)
    print(json.dumps({"images": f"real training images ({mnist.source})", **rounded(real)}), flush=True)
    for threshold in args.thresholds:
        start = time.perf_counter()
        images, labels = class_samples(generator, args.n_per_class, seed=args.seed, truncation=threshold)
        report = class_report(images, labels, test_images, test_labels)
        print(json.dumps({"images": name, "truncation": threshold, "seed": args.seed, **rounded(report),
                          "seconds": round(time.perf_counter() - start, 1)}), flush=True)


if __name__ == "__main__":
    main(ARGS)
