"""Ship a training run's generator (the moving average if kept) in the package as a named model.

    python scripts/ship_pretrained.py runs/ganlib-default dcgan-mnist \\
        --command "ganlib train --epochs 40 --data ../shared/data/mnist.npz --out runs/ganlib-default --keep 0" \\
        [--epoch 40] [--scores scores.json] [--note "pinned to one core"]

Takes the sampler of checkpoint ``--epoch`` (default: the latest), and writes
``ganlib/assets/NAME.weights.h5`` and ``NAME.json``: the run's settings, the epoch, the training
command, the training wall time up to that epoch (summed from the run's ``history.jsonl``),
the machine and, with ``--scores``, the output of ``ganlib evaluate`` on the shipped weights.
Both files' sha256 digests go to ``ganlib/assets/manifest.json``. Then add the name to
``ganlib.pretrained.PRETRAINED``.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from ganlib import assets  # noqa: E402
from ganlib.registry import restore_run  # noqa: E402
from ganlib.runs import run_provenance, save_weights_with_settings  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("name")
    parser.add_argument("--command", required=True, help="the exact training command")
    parser.add_argument("--epoch", type=int, default=None, help="checkpoint epoch to ship (default: the latest)")
    parser.add_argument("--scores", type=Path, help="JSON written by `ganlib evaluate` on the shipped weights")
    parser.add_argument("--note", default="", help="anything else about how it was trained")
    args = parser.parse_args()

    gan, epoch = restore_run(args.run, args.epoch)
    scores = json.loads(args.scores.read_text()) if args.scores else None
    provenance = run_provenance(args.run, epoch, args.command, args.note, scores)
    weights = save_weights_with_settings(gan.sampler, assets.ASSET_DIR / f"{args.name}.weights.h5", provenance)
    assets.record(weights.name, contents=f"pretrained generator {args.name!r}; provenance in {args.name}.json")
    assets.record(f"{args.name}.json", contents=f"settings, training command and scores of {args.name!r}")
    print(f"shipped {weights} ({weights.stat().st_size / 1e6:.2f} MB), epoch {epoch}")


if __name__ == "__main__":
    main()
