"""Train AnoGAN's models (:mod:`ganlib.apps.anogan`) for one or all held-out digits, resumably.

    PYTHONPATH=. nice -n 10 python scripts/train_anogan.py /work/shared/data/mnist.npz \\
        --out runs/anogan [--digits 0 1 ...] [--epochs 1 --encoder-epochs 1 --width 16 --latent-dim 32]
    PYTHONPATH=. python scripts/train_anogan.py /work/shared/data/mnist.npz --out runs/anogan \\
        --ship --command "THE TRAINING COMMAND" [--scores auroc.json]

For held-out digit d, ``OUT/digit-d`` receives the DCGAN trained on the other nine digits'
training images (:class:`ganlib.trainer.Trainer`: a checkpoint per epoch, sample grids,
``history.jsonl``), then the f-AnoGAN encoder trained with G and D frozen, a run of its own in
``OUT/digit-d/encoder`` (``encoder.weights.h5``, ``encoder.json``).  Run again, it resumes each
from its last checkpoint and skips digits whose encoder is done.

``--ship`` packs every digit's generator (the moving average), D features, D's last layer and encoder as
float16 into ``ganlib/assets/anogan-mnist.npz``, with settings, training times, the command and
(``--scores``: the JSON of ``benchmarks/anogan_auroc.py``) the measured AUROCs in
``anogan-mnist.json``; both go into the asset manifest.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import numpy as np  # noqa: E402

from ganlib import assets  # noqa: E402
from ganlib.apps.anogan import DIGITS, ENCODER_RUN, SHIPPED, SHIPPED_SETTINGS, pack_weights  # noqa: E402
from ganlib.studies.anomaly import encoder_record, gan_config, load_run, split_for_digit, train_models  # noqa: E402
from ganlib.data import read_mnist_npz  # noqa: E402
from ganlib.runs import read_history  # noqa: E402


def train_digit(mnist, digit: int, directory: Path, args) -> None:
    """Train (or finish) the GAN and then the encoder of one held-out digit."""
    if encoder_record(directory) is not None:
        print(f"digit {digit}: done already ({directory}), skipped", flush=True)
        return
    normal, _, _ = split_for_digit(mnist, digit)
    print(f"digit {digit}: {len(normal)} normal images", flush=True)
    train_models(normal, digit, directory, epochs=args.epochs, encoder_epochs=args.encoder_epochs, width=args.width,
                 latent_dim=args.latent_dim, seed=args.seed)
    history = read_history(directory / ENCODER_RUN)
    print(f"digit {digit}: encoder izi_f loss per epoch {[round(line['izi_f'], 4) for line in history]}, "
          f"{sum(line['seconds'] for line in history):.0f} s", flush=True)


def ship(out: Path, digits, command: str, scores: Path | None) -> None:
    """Pack the ten runs' models as float16 into the package assets, with their provenance."""
    arrays, seconds = {}, {}
    for digit in digits:
        directory = out / f"digit-{digit}"
        arrays.update(pack_weights(load_run(directory, digit)))
        seconds[digit] = {"gan": round(sum(line["seconds"] for line in read_history(directory))),
                          "encoder": round(sum(line["seconds"] for line in read_history(directory / ENCODER_RUN)))}
    config = gan_config(out / f"digit-{digits[0]}")
    settings = {"latent_dim": config["latent_dim"], "width": config["width"], "gan": config,
                "gan_epochs": len(read_history(out / f"digit-{digits[0]}")),
                "encoder_epochs": encoder_record(out / f"digit-{digits[0]}")["epochs"],
                "digits": list(digits), "train_seconds": seconds, "command": command, "storage": "float16",
                "machine": f"{platform.machine()}, {os.cpu_count()} cores, TensorFlow {tf.__version__}, CPU only"}
    if scores:
        settings["scores"] = json.loads(scores.read_text())
    with open(assets.ASSET_DIR / SHIPPED, "wb") as handle:
        np.savez_compressed(handle, **arrays)
    (assets.ASSET_DIR / SHIPPED_SETTINGS).write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    assets.record(SHIPPED, contents="AnoGAN models per held-out MNIST digit (G, D features, D's last layer, encoder; float16); "
                  f"provenance in {SHIPPED_SETTINGS}")
    assets.record(SHIPPED_SETTINGS, contents="settings, training command, times and AUROCs of anogan-mnist.npz")
    print(f"shipped {assets.ASSET_DIR / SHIPPED} ({(assets.ASSET_DIR / SHIPPED).stat().st_size / 1e6:.2f} MB)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source", help="full MNIST in Keras layout (mnist.npz)")
    parser.add_argument("--out", type=Path, required=True, help="one sub-directory per held-out digit")
    parser.add_argument("--digits", type=int, nargs="+", default=list(DIGITS))
    parser.add_argument("--epochs", type=int, default=1, help="GAN epochs over the nine digits' training images")
    parser.add_argument("--encoder-epochs", type=int, default=1)
    parser.add_argument("--width", type=int, default=16)
    parser.add_argument("--latent-dim", type=int, default=32)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--ship", action="store_true", help="pack the finished runs into ganlib/assets")
    parser.add_argument("--command", help="with --ship: the exact training command")
    parser.add_argument("--scores", type=Path, help="with --ship: JSON written by benchmarks/anogan_auroc.py")
    args = parser.parse_args()
    if args.ship:
        if not args.command:
            parser.error("--ship needs --command (the training command, recorded with the models)")
        ship(args.out, args.digits, args.command, args.scores)
        return
    mnist = read_mnist_npz(args.source)
    start = time.perf_counter()
    for digit in args.digits:
        train_digit(mnist, digit, args.out / f"digit-{digit}", args)
    print(f"all done in {time.perf_counter() - start:.0f} s", flush=True)


if __name__ == "__main__":
    main()
