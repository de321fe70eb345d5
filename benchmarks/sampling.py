"""Sampling speed: 10,000 digits from a generator on this machine (goal: under 2 seconds).

    PYTHONPATH=. python benchmarks/sampling.py [--weights G.weights.h5 | --model dcgan-mnist] [--n 10000]

Times ganlib's ``generate`` (inference on fixed noise, batches of ``SAMPLE_BATCH``, uint8 output)
after one warm-up call, best of 5 runs, and prints the result as a Markdown table row.
Rerun the reported row with ``PYTHONPATH=. python benchmarks/sampling.py --model dcgan-mnist`` (no
data needed) on an otherwise idle machine.  Reported in ``benchmarks/README.md`` section 6.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import time


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 6.")
    source = parser.add_mutually_exclusive_group()
    source.add_argument("--weights", help="a generator's weights file (from a ganlib run)")
    source.add_argument("--model", help="a shipped model, e.g. dcgan-mnist (default: an untrained generator)")
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=None, help="default: ganlib's SAMPLE_BATCH")
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

from ganlib import pretrained  # noqa: E402
from ganlib.model import make_generator  # noqa: E402
from ganlib.sampling import SAMPLE_BATCH, generate  # noqa: E402
from ganlib.registry import load_generator  # noqa: E402


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    args.batch_size = SAMPLE_BATCH if args.batch_size is None else args.batch_size
    if args.model:
        generator, label = pretrained.load(args.model), args.model
    elif args.weights:
        generator, label = load_generator(args.weights), args.weights
    else:
        generator, label = make_generator(), "untrained width-64 generator"
    generate(generator, args.batch_size, batch_size=args.batch_size)  # warm-up: tracing
    times = []
    for _ in range(5):
        start = time.perf_counter()
        samples = generate(generator, args.n, batch_size=args.batch_size)
        times.append(time.perf_counter() - start)
    assert samples.shape == (args.n, 28, 28)
    machine = f"{platform.machine()}, {os.cpu_count()} cores, TF {tf.__version__}"
    print("| command | machine | date | result |")
    print("| --- | --- | --- | --- |")
    print(f"| `python benchmarks/sampling.py {'--model ' + args.model if args.model else ''}` ({label}) | {machine} "
          f"| {datetime.date.today()} | {args.n} samples in {min(times):.2f} s (best of 5; median "
          f"{sorted(times)[2]:.2f} s) |")


if __name__ == "__main__":
    main(ARGS)
