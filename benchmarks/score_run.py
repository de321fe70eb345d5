"""Score the latest checkpoint of a training run with ``ganlib.metrics`` and log it.

    python benchmarks/score_run.py runs/dcgan-mnist [--n 10000] [--data ../shared/data/mnist.npz]

Draws ``n`` samples from the run's sampler (the moving average if kept), scores them against
the MNIST test images, prints one JSON line and appends it to ``RUN/scores.jsonl`` with the
epoch and the checkpoint's modification time.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from ganlib.data import load_mnist  # noqa: E402
from ganlib.metrics import evaluate  # noqa: E402
from ganlib.trainer import read_checkpoint_state, restore_gan  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--n", type=int, default=10_000)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    gan, epoch = restore_gan(args.run)
    checkpoint = args.run / read_checkpoint_state(args.run)["file"]
    mnist = load_mnist(args.data)
    start = time.perf_counter()
    samples = gan.generate(args.n, seed=12345)
    report = evaluate(samples, reference=mnist.test[0], real=mnist.train[0][: args.n])
    line = {"epoch": epoch, "checkpoint_mtime": checkpoint.stat().st_mtime, **report["samples"],
            "real_fid": report["real_data_reference"]["fid"], "seconds": round(time.perf_counter() - start, 1)}
    print(json.dumps(line))
    with open(args.run / "scores.jsonl", "a", encoding="utf-8") as log:
        log.write(json.dumps(line) + "\n")


if __name__ == "__main__":
    main()
