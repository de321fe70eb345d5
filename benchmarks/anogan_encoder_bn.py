"""AnoGAN ablation, all ten held-out digits: the f-AnoGAN encoder with D's batch norm.

    PYTHONPATH=. nice -n 10 python benchmarks/anogan_encoder_bn.py /work/shared/data/mnist.npz \\
        --runs runs/anogan [--json runs/encoder-bn.json]

For each digit, keeps the GAN of ``--runs`` (scripts/train_anogan.py), trains a second encoder
with batch norm (``make_encoder(batch_norm=True)``, one epoch, seed 0, otherwise as the run's)
and scores the benchmark's test subset (500 test images of the digit, 500 others, seed 0) with
both encoders.  The pilot digit 0 suggested it (benchmarks/README.md, section 8).
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import keras  # noqa: E402

from ganlib.apps.anogan import (DIGITS, auroc, encoder_scores, gan_config, load_run, make_encoder,  # noqa: E402
                                scoring_subset, split_for_digit, train_encoder)
from ganlib.data import read_mnist_npz, to_model_range  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("source")
    parser.add_argument("--runs", type=Path, required=True)
    parser.add_argument("--digits", type=int, nargs="+", default=list(DIGITS))
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    mnist = read_mnist_npz(args.source)
    rows = []
    for digit in args.digits:
        directory = args.runs / f"digit-{digit}"
        normal, x_test, is_anomaly = split_for_digit(mnist, digit)
        chosen = scoring_subset(is_anomaly, 500, 500, args.seed)
        images, labels = to_model_range(x_test[chosen]), is_anomaly[chosen]
        models = load_run(directory, digit)
        config = gan_config(directory)
        keras.utils.set_random_seed(args.seed)
        encoder = make_encoder(config["latent_dim"], config["width"], batch_norm=True)
        start = time.perf_counter()
        losses = train_encoder(encoder, models.generator, models.features, normal, epochs=1, seed=args.seed)
        seconds = time.perf_counter() - start
        rows.append({"digit": digit, "without_batch_norm": round(auroc(models.encoder_scores(images), labels), 4),
                     "with_batch_norm": round(auroc(encoder_scores(models.generator, models.features, encoder, images),
                                                    labels), 4),
                     "loss_with_batch_norm": round(losses[0], 4), "seconds": round(seconds)})
        print(json.dumps(rows[-1]), flush=True)
    for key in ("without_batch_norm", "with_batch_norm"):
        print(f"mean f-AnoGAN AUROC {key.replace('_', ' ')}: {sum(r[key] for r in rows) / len(rows):.4f}")
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
