"""Ship a CycleGAN run's two generators in the package: ``ganlib/assets/cyclegan-*.weights.h5``.

    python scripts/ship_cyclegan.py runs/cyclegan --variant label-free \\
        --command "ganlib train --model cyclegan --out runs/cyclegan --epochs 40" \\
        [--epoch 40] [--scores scores.json] [--note "..."]

``--variant`` names the shipped pair (:data:`ganlib.apps.cyclegan.VARIANTS`; file names:
:func:`ganlib.apps.cyclegan.shipped_generator_name`); the run's own settings must agree with it
(a semantic loss for ``semantic``, none for ``label-free``).

Takes checkpoint ``--epoch`` (default: the latest) and writes both generators with their
``.json``: the run's settings, the epoch, the training command, the training wall time up to that
epoch (summed from the run's ``history.jsonl``), the machine and, with ``--scores``, the JSON
``benchmarks/cyclegan_quality.py`` printed for the run.  All four files' sha256 digests go to
``ganlib/assets/manifest.json``; :func:`ganlib.apps.cyclegan.load_generators` then loads them.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

from ganlib import assets  # noqa: E402
from ganlib.apps.cyclegan import DIRECTIONS, VARIANTS, save_generators  # noqa: E402
from ganlib.registry import restore_run  # noqa: E402
from ganlib.runs import run_provenance  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path)
    parser.add_argument("--command", required=True, help="the exact training command")
    parser.add_argument("--epoch", type=int, default=None, help="checkpoint epoch to ship (default: the latest)")
    parser.add_argument("--scores", type=Path, help="JSON printed by benchmarks/cyclegan_quality.py for the run")
    parser.add_argument("--note", default="", help="anything else about how it was trained")
    parser.add_argument("--variant", choices=VARIANTS, required=True, help="which shipped pair this run becomes")
    args = parser.parse_args()

    model, epoch = restore_run(args.run, args.epoch)
    if bool(model.semantic_weight) != (args.variant == "semantic"):
        parser.error(f"{args.run} was trained {'with' if model.semantic_weight else 'without'} the semantic loss; "
                     f"it cannot ship as the {args.variant!r} variant")
    scores = json.loads(args.scores.read_text()) if args.scores else None
    provenance = run_provenance(args.run, epoch, args.command, args.note, scores)
    for weights, direction in zip(save_generators(model, assets.ASSET_DIR, provenance, args.variant), DIRECTIONS):
        assets.record(weights.name, contents=f"CycleGAN generator {direction}, {args.variant} (ganlib.apps.cyclegan); "
                                             f"provenance in {weights.name.replace('.weights.h5', '.json')}")
        assets.record(weights.name.replace(".weights.h5", ".json"),
                      contents=f"settings, training command and scores of the CycleGAN generator {direction}, "
                               f"{args.variant}")
        print(f"shipped {weights} ({weights.stat().st_size / 1e6:.2f} MB), epoch {epoch}")


if __name__ == "__main__":
    main()
