"""Copy a finished run's generator into the package as a named pretrained model.

    python scripts/ship_pretrained.py runs/dcgan-mnist dcgan-mnist \\
        --command "ganlib train --epochs 30 ..." --wall-time-s 6700 --scores runs/dcgan-mnist/final.json

Writes ``ganlib/assets/NAME.weights.h5`` and ``NAME.json`` (the run's settings plus the training
command, wall time, machine and measured scores), and records both sha256 digests in
``ganlib/assets/manifest.json``. ``ganlib.pretrained.PRETRAINED`` maps the name to the file.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
from pathlib import Path

from ganlib import assets
from ganlib.trainer import GENERATOR_FILE


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("name")
    parser.add_argument("--command", required=True, help="the exact training command")
    parser.add_argument("--wall-time-s", type=float, required=True)
    parser.add_argument("--scores", type=Path, help="JSON of `ganlib evaluate` on the shipped weights")
    args = parser.parse_args()

    weights = assets.ASSET_DIR / f"{args.name}.weights.h5"
    shutil.copyfile(args.run / GENERATOR_FILE, weights)
    config = json.loads((args.run / GENERATOR_FILE.replace(".weights.h5", ".json")).read_text())
    import tensorflow as tf

    config.update({
        "command": args.command,
        "wall_time_s": round(args.wall_time_s),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}, CPU only",
        "sha256": assets.sha256_file(weights),
    })
    if args.scores:
        config["scores"] = json.loads(args.scores.read_text())
    (assets.ASSET_DIR / f"{args.name}.json").write_text(json.dumps(config, indent=2) + "\n")
    assets.record(weights.name, contents=f"pretrained generator {args.name!r}; provenance in {args.name}.json")
    assets.record(f"{args.name}.json", contents=f"settings, training command and scores of {args.name!r}")
    print(f"shipped {weights} ({weights.stat().st_size / 1e6:.1f} MB)")


if __name__ == "__main__":
    main()
