"""The anomaly-detection study: which score finds an MNIST digit held out of training?

The method (AnoGAN's latent search, f-AnoGAN's encoder and the GAN scores) is
:mod:`ganlib.apps.anogan`; this module is the protocol that measures it, leave one digit out:

* for each held-out digit d, a DCGAN and the f-AnoGAN encoder learn the MNIST *training* images
  of the nine other digits (:func:`split_for_digit`; the models:
  :func:`train_models`, or the shipped :func:`ganlib.apps.anogan.load_anogan`);
* the test images are MNIST *test* images (never seen in training), anomaly = label d;
  :func:`scoring_subset` draws a seeded sample of the images of d and of the others, and
  :func:`validation_subset` a second one, disjoint from it, on which every choice between scores
  and training recipes is made, so that the scoring subset's AUROCs stay a test;
* the GAN scores are compared with baselines without a GAN, fitted to the same normal training
  images: the distance to the k nearest of them in pixel space
  (:func:`ganlib.apps.anogan.knn_score`), the angle to them (:func:`cosine_knn_score`, blind to
  the amount of ink) and the reconstruction error of a linear autoencoder (:func:`fit_pca`,
  :func:`pca_score`); the kNN angle in D's features has a control, the same score with an
  untrained D of the same architecture (seeded);
* every score of :data:`SCORE_NAMES` is read by its AUROC (:func:`auroc`) on the same subset,
  and timed per image (:func:`timed`);
* :func:`auroc_table` tabulates the held-out digits, the mean AUROC of each score and its median
  time per image.

The measurement is ``benchmarks/anogan_auroc.py``; its results are in ``benchmarks/README.md``,
section 8, in ``ganlib/assets/anogan-mnist.json`` (:func:`ganlib.apps.anogan.shipped_settings`)
and in the book's chapter ``book/app_anogan.ipynb``.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import numpy as np

from ganlib.apps.anogan import (ENCODER_FILE, ENCODER_RECORD, ENCODER_RUN, AnoGANModels, check_digit, ink_directions,
                                knn_score)
from ganlib.data import check_uint8_digits
from ganlib.errors import CheckpointError, DataError
from ganlib.model import discriminator_features, discriminator_head
from ganlib.registry import load_generator, restore_run
from ganlib.runs import read_checkpoint_state
from ganlib.trainer import Trainer

# the scores the study measures (benchmarks/anogan_auroc.py), with their column titles
SCORE_NAMES = {"anogan": "AnoGAN", "f-anogan": "f-AnoGAN", "f-anogan-angles": "f-AnoGAN, angles",
               "critic": "-logit D", "f-anogan-d": "f-AnoGAN + D", "f-anogan-angles-d": "f-AnoGAN, angles + D",
               "d-knn": "kNN angle, D features", "knn": "kNN pixels", "cosine-knn": "kNN angle, pixels", "pca": "PCA",
               "untrained-d-knn": "kNN angle, untrained D"}


def split_for_digit(mnist, digit: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The leave-one-digit-out split of ``mnist`` ((x_train, y_train), (x_test, y_test), uint8):
    the training images of every digit but ``digit`` (the normal data, uint8), all test images
    (uint8) and which of them are anomalies (bool: label == ``digit``)."""
    digit = check_digit(digit)
    (x_train, y_train), (x_test, y_test) = mnist
    fix = "use ganlib.data.load_mnist()"
    x_train, x_test = check_uint8_digits(x_train, "x_train", fix), check_uint8_digits(x_test, "x_test", fix)
    if len(y_train) != len(x_train) or len(y_test) != len(x_test):
        raise DataError(f"labels do not match images: {len(x_train)} train images, {len(y_train)} labels; "
                        f"{len(x_test)} test images, {len(y_test)} labels")
    return x_train[np.asarray(y_train) != digit], x_test, np.asarray(y_test) == digit


def scoring_subset(is_anomaly, normals: int = 500, anomalies: int | None = 500, seed: int = 0) -> np.ndarray:
    """Sorted indices of a test subset: ``anomalies`` anomalies (None: all) and ``normals`` normal
    images, each drawn without replacement with ``seed`` (all of them if there are fewer)."""
    is_anomaly = np.asarray(is_anomaly, bool)
    rng = np.random.default_rng(seed)

    def draw(indices, count):
        return indices if count is None else rng.choice(indices, min(count, len(indices)), replace=False)

    chosen = [draw(np.flatnonzero(is_anomaly), anomalies), draw(np.flatnonzero(~is_anomaly), normals)]
    return np.sort(np.concatenate(chosen))


def validation_subset(is_anomaly, normals: int = 500, anomalies: int | None = 500, seed: int = 0) -> np.ndarray:
    """Sorted indices of a second subset, disjoint from :func:`scoring_subset` ``(is_anomaly,
    normals, anomalies, seed)``: as many images again, drawn with ``seed + 1`` from the rest.
    Choices between scores or training recipes are made on it, so that the scoring subset's
    AUROCs stay a test."""
    is_anomaly = np.asarray(is_anomaly, bool)
    rest = np.setdiff1d(np.arange(len(is_anomaly)), scoring_subset(is_anomaly, normals, anomalies, seed))
    return rest[scoring_subset(is_anomaly[rest], normals, anomalies, seed + 1)]


# --- baselines without a GAN ------------------------------------------------------------------

def cosine_knn_score(images, normal_images, k: int = 5) -> np.ndarray:
    """Baseline: :func:`ganlib.apps.anogan.knn_score` on :func:`ganlib.apps.anogan.ink_directions`,
    shape (N,),

        score(x) = (1/k) * sum_{j in kNN(x)} |u(x) - u(x_j)|^2 = (1/k) * sum_j 2 (1 - cos(x, x_j)),

    the angle, not the distance, to the ``k`` nearest normal images.  Squared pixel distances
    grow with the amount of ink, so a digit with little ink (a 1) is close to every thin digit;
    angles do not grow with it."""
    return knn_score(ink_directions(images), ink_directions(normal_images), k)


def fit_pca(normal_images, components: int = 32, seed: int = 0):
    """A linear autoencoder: PCA with ``components`` components fitted to the normal images."""
    from sklearn.decomposition import PCA

    flat = np.asarray(normal_images, np.float32).reshape(len(normal_images), -1)
    return PCA(components, random_state=seed).fit(flat)


def pca_score(pca, images) -> np.ndarray:
    """Baseline: the squared reconstruction error of the linear autoencoder ``pca``,
    ``|x - W W^T (x - mu) - mu|^2`` per image (W: its orthonormal components), shape (N,)."""
    flat = np.asarray(images, np.float32).reshape(len(images), -1)
    reconstruction = (flat - pca.mean_) @ pca.components_.T @ pca.components_ + pca.mean_
    return ((flat - reconstruction) ** 2).sum(axis=1)


# --- reading the scores -----------------------------------------------------------------------

def auroc(scores, is_anomaly) -> float:
    """Area under the ROC curve of ``scores`` (higher = more anomalous) against the bool labels
    ``is_anomaly`` (``sklearn.metrics.roc_auc_score``): the probability that a random anomaly
    scores above a random normal image (ties count half; 1 perfect, 0.5 chance)."""
    from sklearn.metrics import roc_auc_score

    scores, is_anomaly = np.asarray(scores, np.float64), np.asarray(is_anomaly)
    if scores.shape != is_anomaly.shape or scores.ndim != 1:
        raise DataError(f"need one score per label, got scores {scores.shape} and labels {is_anomaly.shape}")
    if is_anomaly.dtype != bool or is_anomaly.all() or not is_anomaly.any():
        raise DataError("is_anomaly must be bool with both anomalies and normal images; AUROC needs both")
    if not np.isfinite(scores).all():
        raise DataError("scores contain NaN or infinite values; check the models and images that produced them")
    return float(roc_auc_score(is_anomaly, scores))


def timed(function, *args, **kwargs):
    """``(function(*args, **kwargs), wall seconds)``."""
    start = time.perf_counter()
    result = function(*args, **kwargs)
    return result, time.perf_counter() - start


def auroc_table(rows: list[dict], names=None) -> str:
    """A markdown table of AUROCs: one row per held-out digit (dicts with ``digit``, ``images``,
    ``anomalies``, ``auroc`` and ``ms_per_image`` by score name, as ``benchmarks/anogan_auroc.py``
    writes them), the mean, and the median milliseconds per image of each score.  ``names``
    (score -> column title): default, the scores of :data:`SCORE_NAMES` that every row has."""
    if names is None:
        names = {name: title for name, title in SCORE_NAMES.items() if all(name in row["auroc"] for row in rows)}
    lines = ["| held-out digit | test images (anomalies) | " + " | ".join(names.values()) + " |",
             "| ---: | ---: |" + " ---: |" * len(names)]
    for row in rows:
        values = " | ".join(f"{row['auroc'][name]:.3f}" for name in names)
        lines.append(f"| {row['digit']} | {row['images']} ({row['anomalies']}) | {values} |")
    means = " | ".join(f"**{np.mean([row['auroc'][name] for row in rows]):.3f}**" for name in names)
    lines.append(f"| mean | | {means} |")
    times = " | ".join(f"{np.median([row['ms_per_image'][name] for row in rows]):.2f}" for name in names)
    lines.append(f"| ms per image (median) | | {times} |")
    return "\n".join(lines)


def train_models(normal_images, digit: int, directory, *, epochs: int = 1, encoder_epochs: int = 1,
                 width: int = 16, latent_dim: int = 32, seed: int = 0, verbose: int | str = 2) -> AnoGANModels:
    """Train (or finish) the DCGAN on ``normal_images`` in ``directory`` (moving average 0.999, a
    checkpoint per epoch), then the f-AnoGAN encoder (:class:`ganlib.apps.anogan.EncoderTraining`) in
    ``directory/encoder``, both with :class:`ganlib.trainer.Trainer`, so both resume where they
    stopped; a finished run is loaded, not retrained (:func:`load_run`)."""
    if encoder_record(directory) is None:
        gan = Trainer(normal_images, out_dir=directory, seed=seed, width=width, latent_dim=latent_dim,
                      ema_decay=0.999, resume=True, keep=1, verbose=verbose)
        gan.train(max(0, epochs - gan.epoch))
        encoder = Trainer(normal_images, kind="anogan-encoder", gan_run=str(directory), seed=seed,
                          out_dir=Path(directory) / ENCODER_RUN, resume=True, keep=1, verbose=verbose)
        encoder.train(max(0, encoder_epochs - encoder.epoch))
    return load_run(directory, digit)


def encoder_record(directory) -> dict | None:
    """The settings and epochs of a run's finished encoder (written beside its weights when its
    training ended), or None if it is not trained yet."""
    file = Path(directory) / ENCODER_RUN / ENCODER_RECORD
    return json.loads(file.read_text(encoding="utf-8")) if file.exists() else None


def load_run(directory, digit: int) -> AnoGANModels:
    """The models of a training run (:func:`train_models`): the GAN's sampler (moving average if
    kept), D's features and last layer from its latest checkpoint, and the finished encoder."""
    if encoder_record(directory) is None:
        raise CheckpointError(f"{directory} has no trained encoder ({ENCODER_RUN}/{ENCODER_RECORD} missing); "
                              "finish the run first (train_models resumes it)")
    gan, _ = restore_run(directory)
    encoder = load_generator(Path(directory) / ENCODER_RUN / ENCODER_FILE)
    return AnoGANModels(check_digit(digit), gan.sampler, discriminator_features(gan.discriminator), encoder,
                        discriminator_head(gan.discriminator))


def gan_config(directory) -> dict:
    """The GAN settings a run recorded in its checkpoint."""
    return read_checkpoint_state(directory)["config"]


__all__ = ["train_models", "encoder_record", "load_run", "gan_config", "split_for_digit", "scoring_subset",
           "validation_subset", "cosine_knn_score", "fit_pca", "pca_score", "auroc", "timed", "auroc_table",
           "SCORE_NAMES"]
