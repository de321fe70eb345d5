"""Does the truncation trick help an unconditional generator? Scores against the threshold.

    PYTHONPATH=. python benchmarks/truncation.py (--weights G.weights.h5 | --model dcgan-mnist) [--data MNIST.npz]

Rerun the reported table (the shipped model) with ``PYTHONPATH=. python benchmarks/truncation.py
--model dcgan-mnist --data MNIST.npz`` (``MNIST.npz``: the full MNIST in Keras layout; ``--data``
defaults to ``$GANLIB_MNIST``, then as ``ganlib.data.load_mnist()``; the printed scores use only
the 10,000 test images, which every source holds).  Reported in
``benchmarks/README.md`` section 3 ("Also tried": truncation).

Draws 10,000 latent vectors from a standard normal whose coordinates are resampled until each
lies within +-t (Brock et al. 2019), for t in ``THRESHOLDS`` (None: no truncation), and prints
one JSON line of scores per threshold (vs the MNIST test images).  For a generator with a
categorical code (``--codes``) the code's coordinate z_0 is left alone, so every code value
keeps its share; the other coordinates are truncated.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 3.")
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--weights", type=Path, help="a generator's weights file (from a ganlib run)")
    source.add_argument("--model", help="a shipped model, e.g. dcgan-mnist")
    parser.add_argument("--data", type=Path, default=None,
                        help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                             "ganlib.data.load_mnist()")
    parser.add_argument("--n", type=int, default=10_000)
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

import numpy as np

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from ganlib import pretrained  # noqa: E402
from ganlib.data import load_mnist  # noqa: E402
from ganlib.latent import truncated_normal  # noqa: E402
from ganlib.metrics import evaluate  # noqa: E402
from ganlib.model import CategoricalCode  # noqa: E402
from ganlib.registry import load_generator  # noqa: E402
from ganlib.sampling import sample  # noqa: E402

THRESHOLDS = (None, 2.0, 1.5, 1.0)


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    generator = pretrained.load(args.model) if args.model else load_generator(args.weights)
    mnist = load_mnist(args.data)
    rng = np.random.default_rng(1)
    for threshold in THRESHOLDS:
        z = truncated_normal(rng, (args.n, generator.input_shape[-1]), threshold)
        if isinstance(generator.layers[0], CategoricalCode):
            z[:, 0] = rng.standard_normal(args.n)
        report = evaluate(sample(generator, z), reference=mnist.test[0], real=mnist.train[0][: args.n])["samples"]
        print(json.dumps({"threshold": threshold,
                          **{k: round(v, 3) for k, v in report.items() if k not in ("class_histogram", "n")}}))


if __name__ == "__main__":
    main(ARGS)
