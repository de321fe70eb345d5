"""What an InfoGAN's categorical code means: the evaluator's digit histogram for each code value.

    PYTHONPATH=. python benchmarks/code_alignment.py RUN [--epoch N] [--n 10000] [--raw]
    PYTHONPATH=. python benchmarks/code_alignment.py --model NAME

Rerun for the shipped InfoGAN (no data file needed; the evaluator ships with ganlib):

    PYTHONPATH=. python benchmarks/code_alignment.py --model dcgan-mnist

and for a run of ``ganlib train --codes 10 [--continuous 2] --keep 0 --out RUN`` (the commands
are in ``benchmarks/README.md`` section 3), ``... code_alignment.py RUN --epoch N``.  Reported in
``benchmarks/README.md`` section 3 (the purity table) and in the top-level ``README.md``.

Draws ``n`` samples (seed 2026), reads each sample's code from its noise (the generator's
:class:`ganlib.model.CategoricalCode` layer), classifies the samples with the evaluator and
prints one JSON line per code value: how many samples, their top digits with shares, and the
mean entropy of the evaluator's prediction (in nats; 0 is a clean digit).  A last line sums it
up: ``purity`` is the share of samples whose digit is their code's most common digit, and
``classifier_score`` is exp(log 10 - mean entropy), the classifier score if the digits were
spread evenly.  A code that has taken the digit class has purity near 1; one that has taken a
style (slant, stroke width) mixes digits.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 3.")
    parser.add_argument("run", type=Path, nargs="?", help="a ganlib train output directory")
    parser.add_argument("--epoch", type=int, default=None, help="checkpoint epoch (default: the last)")
    parser.add_argument("--model", default=None, help="a shipped pretrained model instead of a run")
    parser.add_argument("--raw", action="store_true", help="the raw generator, not its moving average")
    parser.add_argument("--n", type=int, default=10000)
    args = parser.parse_args(argv)
    if (args.run is None) == (args.model is None):
        parser.error("give either RUN or --model NAME")
    return args


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

import numpy as np

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from ganlib import pretrained  # noqa: E402
from ganlib.evaluator import features_and_probabilities  # noqa: E402
from ganlib.model import CategoricalCode, latent_code  # noqa: E402
from ganlib.sampling import fixed_noise, sample  # noqa: E402
from ganlib.registry import restore_run  # noqa: E402

SEED = 2026


def sampler_of(args):
    if args.model:
        return pretrained.load(args.model)
    gan, _ = restore_run(args.run, args.epoch)
    return gan.generator if args.raw else gan.sampler


def alignment(generator, n: int) -> list[dict]:
    first = generator.layers[0]
    if not isinstance(first, CategoricalCode):
        raise SystemExit("this generator has no categorical code (train it with --codes K)")
    z = fixed_noise(n, generator.input_shape[-1], SEED)
    codes = np.asarray(latent_code(z, first.categories))
    _, probabilities = features_and_probabilities(sample(generator, z))
    entropy = -(probabilities * np.log(np.clip(probabilities, 1e-12, 1.0))).sum(axis=1)
    digits = probabilities.argmax(axis=1)
    lines, agreeing = [], 0
    for code in range(first.categories):
        mine = codes == code
        shares = np.bincount(digits[mine], minlength=10) / max(mine.sum(), 1)
        agreeing += int(shares.max() * mine.sum())
        top = np.argsort(-shares)[:3]
        lines.append({"code": code, "n": int(mine.sum()), "mean_entropy": round(float(entropy[mine].mean()), 4),
                      "top_digits": {int(d): round(float(shares[d]), 3) for d in top}})
    lines.append({"purity": round(agreeing / n, 4), "mean_entropy": round(float(entropy.mean()), 4),
                  "classifier_score": round(float(np.exp(np.log(10) - entropy.mean())), 3), "n": n})
    return lines


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    for line in alignment(sampler_of(args), args.n):
        print(json.dumps(line))


if __name__ == "__main__":
    main(ARGS)
