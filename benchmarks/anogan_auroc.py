"""AUROC of AnoGAN, f-AnoGAN and simple baselines on MNIST with one digit held out.

What it measures: for each held-out digit d, the models (the shipped ``load_anogan(d)`` by
default, or the runs of ``scripts/train_anogan.py`` under ``--runs``) score a fixed subset of
the MNIST *test* set, ``--anomalies`` images of digit d and ``--normals`` others, drawn with
``--seed`` (``--split validation``: as many again from the remaining test images, disjoint from
them, where choices between scores and recipes are made).  Scores:
AnoGAN (latent inversion, ``--steps`` Adam steps), f-AnoGAN (the encoder's izi_f score, and
its two residuals as angles), D's logit, f-AnoGAN + D (each of the two f-AnoGAN scores plus
-logit D(x), standardised over 2,000 normal training images drawn with ``--seed``), the
angle in D's features to the 5 nearest normal training images (and, as its control, the same
with an untrained D of the same architecture, seeded), the mean squared pixel distance to the 5
nearest normal training images (kNN), the angle to them in pixel space, and the reconstruction
error of a 32-component PCA fitted to the normal training images.  With
``--runs DIR --wait`` it scores each digit as soon as its training has finished.  Prints a
markdown table of AUROCs and seconds per image, and writes them as JSON with ``--json``.

Rerun (from the repository root; MNIST.npz is the full MNIST in Keras layout, 60,000 training
images: the normal images are the training images of the other nine digits, so the embedded
subset that ``ganlib.data.load_mnist()`` falls back to gives other kNN, PCA and D figures):

    # the shipped models: the test table, then the validation subsets
    PYTHONPATH=. python benchmarks/anogan_auroc.py --data MNIST.npz --json auroc-test.json
    PYTHONPATH=. python benchmarks/anogan_auroc.py --data MNIST.npz --split validation --json auroc-validation.json
    # models trained by scripts/train_anogan.py (the recipe's command: benchmarks/README.md, section 8)
    PYTHONPATH=. python benchmarks/anogan_auroc.py --data MNIST.npz --runs RUNS_DIR [--wait]

``--data`` defaults to ``$GANLIB_MNIST``, then as ``ganlib.data.load_mnist()``; the path may also
be given as the first positional argument (the form of the recorded commands).  Reported in
``benchmarks/README.md``, section 8 (AnoGAN), in ``ganlib/assets/anogan-mnist.json`` and in the
book's AnoGAN chapter (``book/app_anogan.ipynb``).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 8.")
    parser.add_argument("source", nargs="?", type=Path, default=None, metavar="MNIST.npz",
                        help="the same as --data (the form of the recorded commands)")
    parser.add_argument("--data", type=Path, default=None,
                        help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                             "ganlib.data.load_mnist()")
    parser.add_argument("--runs", type=Path, help="directory of scripts/train_anogan.py (default: the shipped models)")
    parser.add_argument("--digits", type=int, nargs="+", default=None, help="held-out digits (default: all ten)")
    parser.add_argument("--normals", type=int, default=500, help="normal test images per held-out digit")
    parser.add_argument("--anomalies", type=int, default=500, help="test images of the held-out digit (0: all)")
    parser.add_argument("--split", choices=("test", "validation"), default="test",
                        help="the test subset, or the disjoint validation subset that choices are made on")
    parser.add_argument("--steps", type=int, default=100, help="Adam steps of the latent inversion")
    parser.add_argument("--learning-rate", type=float, default=0.05, help="Adam's learning rate on z")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--wait", action="store_true", help="with --runs: wait for each digit's training to finish")
    args = parser.parse_args(argv)
    if args.source is not None and args.data is not None and args.source != args.data:
        parser.error("give the MNIST file once: as --data or as the positional argument")
    args.data = args.data if args.data is not None else args.source
    if args.wait and args.runs is None:
        parser.error("--wait needs --runs")
    return args


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import numpy as np  # noqa: E402

from ganlib.apps.anogan import DIGITS, feature_knn_score, invert_latent, knn_score, load_anogan  # noqa: E402
from ganlib.studies.anomaly import (SCORE_NAMES, auroc, auroc_table, cosine_knn_score, encoder_record,  # noqa: E402
                                    fit_pca, load_run, pca_score, scoring_subset, split_for_digit, timed,
                                    validation_subset)
from ganlib.data import to_model_range  # noqa: E402
from ganlib.data import load_mnist  # noqa: E402  (its fallback when no MNIST file is given)

SCORES = tuple(SCORE_NAMES)


def measure_digit(mnist, digit: int, args) -> dict:
    """AUROC and seconds per image of each score for one held-out digit."""
    normal, x_test, is_anomaly = split_for_digit(mnist, digit)
    subset = validation_subset if args.split == "validation" else scoring_subset
    chosen = subset(is_anomaly, args.normals, args.anomalies or None, args.seed)
    images, labels = to_model_range(x_test[chosen]), is_anomaly[chosen]
    normal = to_model_range(normal)
    models = load_run(args.runs / f"digit-{digit}", digit) if args.runs else load_anogan(digit)
    (_, anogan, _), anogan_seconds = timed(invert_latent, models.generator, models.features, images,
                                           steps=args.steps, learning_rate=args.learning_rate, seed=args.seed)
    encoder, encoder_seconds = timed(models.encoder_scores, images)
    angles, angles_seconds = timed(models.encoder_scores, images, angles=True)
    critic, critic_seconds = timed(models.critic_scores, images)
    combined, combined_seconds = timed(models.combined_scores, images, normal, seed=args.seed)
    combined_angles, combined_angles_seconds = timed(models.combined_scores, images, normal, angles=True,
                                                     seed=args.seed)
    d_knn, d_knn_seconds = timed(models.feature_knn_scores, images, normal, 5)
    knn, knn_seconds = timed(knn_score, images, normal, 5)
    cosine, cosine_seconds = timed(cosine_knn_score, images, normal, 5)
    pca, fit_seconds = timed(fit_pca, normal, 32, args.seed)
    linear, pca_seconds = timed(pca_score, pca, images)
    tf.keras.utils.set_random_seed(args.seed)
    untrained = tf.keras.models.clone_model(models.features)  # D's architecture, fresh (seeded) weights
    random_knn, random_seconds = timed(feature_knn_score, untrained, images, normal, 5)
    scores = {"anogan": anogan, "f-anogan": encoder, "f-anogan-angles": angles, "critic": critic,
              "f-anogan-d": combined, "f-anogan-angles-d": combined_angles, "d-knn": d_knn, "knn": knn,
              "cosine-knn": cosine, "pca": linear, "untrained-d-knn": random_knn}
    seconds = {"anogan": anogan_seconds, "f-anogan": encoder_seconds, "f-anogan-angles": angles_seconds,
               "critic": critic_seconds, "f-anogan-d": combined_seconds, "f-anogan-angles-d": combined_angles_seconds,
               "d-knn": d_knn_seconds, "knn": knn_seconds, "cosine-knn": cosine_seconds, "pca": pca_seconds,
               "untrained-d-knn": random_seconds}
    return {"digit": digit, "images": len(images), "anomalies": int(labels.sum()),
            "auroc": {name: round(auroc(scores[name], labels), 4) for name in SCORES},
            "ms_per_image": {name: round(1000 * seconds[name] / len(images), 3) for name in SCORES},
            "pca_fit_seconds": round(fit_seconds, 1)}


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    args.digits = args.digits if args.digits is not None else list(DIGITS)
    mnist = load_mnist(args.data)
    if len(mnist.train[0]) < 60_000:
        print(f"note: {mnist.source} holds {len(mnist.train[0])} training images; the reported figures used the "
              "full MNIST (--data MNIST.npz or $GANLIB_MNIST)", file=sys.stderr)
    start = time.perf_counter()
    rows = []
    for digit in args.digits:
        while args.wait and encoder_record(args.runs / f"digit-{digit}") is None:
            time.sleep(20)
        rows.append(measure_digit(mnist, digit, args))
        print(json.dumps(rows[-1]), flush=True)
    result = {"settings": {"split": args.split, "normals": args.normals, "anomalies": args.anomalies,
                           "steps": args.steps, "learning_rate": args.learning_rate, "seed": args.seed,
                           "models": str(args.runs) if args.runs else "shipped"},
              "digits": rows, "mean_auroc": {name: round(float(np.mean([r["auroc"][name] for r in rows])), 4)
                                             for name in SCORES},
              "seconds": round(time.perf_counter() - start),
              "command": " ".join(["python", "benchmarks/anogan_auroc.py", *sys.argv[1:]])}
    print(auroc_table(rows))
    print(f"mean AUROC {result['mean_auroc']}; {result['seconds']} s in all")
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main(ARGS)
