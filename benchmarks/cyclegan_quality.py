"""How well does the CycleGAN keep the digit when it translates MNIST <-> UCI digits? (JSON)

    PYTHONPATH=. python benchmarks/cyclegan_quality.py [--weights DIR] [--data MNIST.npz] [--examples FILE.png]

Rerun: ``PYTHONPATH=. python benchmarks/cyclegan_quality.py --data MNIST.npz`` measures the shipped
default pair (section 9d's semantic LeNet-5 recipe); ``--weights DIR`` measures the generators a
run of ``ganlib train --model cyclegan --out DIR`` saved (the training commands of every variant are in
``benchmarks/README.md`` section 9).  ``MNIST.npz`` is the full MNIST in Keras layout (``--data``
defaults to ``$GANLIB_MNIST``, then as ``ganlib.data.load_mnist()``; the test images are the same in
every source, only the 3-NN MNIST reader, fitted on the training split, depends on it).  Reported in
``benchmarks/README.md`` sections 9 to 9d, the shipped ``ganlib/assets/cyclegan-*.json`` records
and the book's chapter ``book/app_cyclegan.ipynb``.

Loads both generators (from ``DIR`` as ``ganlib train --model cyclegan`` wrote them, default: the
shipped ones) and prints :func:`ganlib.studies.translation.measure` on held-out images as JSON, once per
reader of the UCI domain (``svm``: :func:`~ganlib.studies.translation.train_uci_classifier`; ``cnn``:
:func:`~ganlib.studies.translation.train_uci_cnn`, both fitted on the UCI training split): label
preservation each way (the target domain's reader labels the translation as the source's label),
the untranslated baseline, the cycle L1 error each way in [0, 1] pixel units, and the readers'
accuracy on their own domain's test images.  ``svm+mnist_knn3`` reads the MNIST side with a
3-nearest-neighbour reader fitted on the MNIST training split (``--data``), not the evaluator.  Test images: the 10,000 MNIST test digits (in
every MNIST source ganlib reads) and the 540 held-out UCI digits (split seed 0).  With
``--examples`` it also saves a grid: MNIST, its translation, the way back; UCI, the same.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 9.")
    parser.add_argument("--weights", type=Path, default=None, help="directory of cyclegan-*.weights.h5 (default: shipped)")
    parser.add_argument("--data", type=Path, default=None, help="mnist.npz (default: $GANLIB_MNIST, then as ganlib.data.load_mnist(); "
                             "the same test set in every source)")
    parser.add_argument("--examples", type=Path, default=None, help="also save an example grid to this PNG")
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from ganlib.apps.cyclegan import example_rows, load_generators  # noqa: E402
from ganlib.uci import load_uci_digits  # noqa: E402
from ganlib.studies.translation import measure, train_mnist_knn, train_uci_classifier, train_uci_cnn  # noqa: E402
from ganlib.data import load_mnist  # noqa: E402
from ganlib.utils import save_grid  # noqa: E402

EXAMPLES = 12  # columns of the example grid


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    start = time.perf_counter()
    generators = load_generators(args.weights)
    mnist, uci = load_mnist(args.data), load_uci_digits(seed=0)
    readers = {"svm": train_uci_classifier, "cnn": train_uci_cnn}
    report = {name: measure(generators, mnist, uci, fit(*uci.train)) for name, fit in readers.items()}
    # a reader of another family on the MNIST side too (the semantic loss's classifiers share the evaluator's network)
    report["svm+mnist_knn3"] = measure(generators, mnist, uci, train_uci_classifier(*uci.train),
                                       read_mnist=train_mnist_knn(*mnist.train))
    report["weights"] = str(args.weights or "shipped")
    report["mnist_source"] = mnist.source
    report["seconds"] = round(time.perf_counter() - start, 1)
    if args.examples:
        grid = example_rows(generators, mnist.test[0][:EXAMPLES], uci.test[0][:EXAMPLES])
        save_grid(grid, args.examples, rows=6, cols=EXAMPLES, scale=3)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    main(ARGS)
