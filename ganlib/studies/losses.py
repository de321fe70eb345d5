"""The loss comparison: which GAN loss trains ganlib's DCGAN best on MNIST, and by how much?

In the spirit of Lucic et al. (2018), "Are GANs Created Equal?": the same generator, the same
discriminator convolutions, the same optimiser (Adam 2e-4, beta_1 0.5), batch and moving average
for every loss; only what the loss needs changes (:data:`VARIANTS`).  Each variant trains with
several seeds, and after every epoch its moving-average generator is scored on a fixed set of
samples against the MNIST test images (FID and classifier score through the shipped evaluator,
:mod:`ganlib.metrics`), with the training wall time so far.  The spread over seeds is the noise
a difference between losses must exceed to mean anything (:func:`summarise`).

The full comparison is ``benchmarks/loss_comparison.py``; its record is
``book/records/loss-comparison.json``, shown by the book's chapter ``book/losses.ipynb``,
which also reruns a short version live with :func:`train_variant`.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import keras
import numpy as np

from ganlib.config import GANConfig
from ganlib.evaluator import features_and_probabilities
from ganlib.metrics import classifier_score, fid
from ganlib.runs import read_epoch_log

# name -> (settings of GANConfig, what it is).  Only what a loss needs departs from the default recipe.
VARIANTS = {
    "ns": ({"loss": "non-saturating"}, "non-saturating BCE (Goodfellow et al. 2014), ganlib's default"),
    "minimax": ({"loss": "minimax"}, "the minimax G loss log(1 - D(G(z))) of the value function"),
    "ls": ({"loss": "ls"}, "least squares (LSGAN, Mao et al. 2017)"),
    "hinge": ({"loss": "hinge"}, "hinge (Lim & Ye 2017; Miyato et al. 2018)"),
    "wgan-gp": ({"loss": "wgan-gp", "n_critic": 5, "d_norm": "layer"},
                "Wasserstein + gradient penalty 10, 5 critic steps, layer norm (Gulrajani et al. 2017)"),
    "ns-r1": ({"loss": "non-saturating", "r1": 0.01},
              "non-saturating + R1 penalty, gamma 0.01 (Mescheder et al. 2018; StyleGAN2-ADA's CIFAR gamma)"),
    "ns-sn": ({"loss": "non-saturating", "d_norm": "spectral"},
              "non-saturating, spectrally normalised D (Miyato et al. 2018)"),
    # two of the tricks of Goodfellow's tutorial (2016), on the default loss
    "ns-smooth": ({"loss": "non-saturating", "label_smoothing": 0.1},
                  "non-saturating, one-sided label smoothing: real target 0.9 (Salimans et al. 2016)"),
    "feature-matching": ({"loss": "non-saturating", "feature_matching": True},
                         "G matches D's mean features on real images (Salimans et al. 2016)"),
}
LOSS_VARIANTS = ("ns", "minimax", "ls", "hinge", "wgan-gp", "ns-r1", "ns-sn")  # the loss comparison
TRICK_VARIANTS = ("ns", "ns-smooth", "feature-matching")  # the tricks, against the plain default
SCORES_FILE = "scores.jsonl"
SAMPLE_SEED = 12345  # the noise every variant's samples are drawn from, for every epoch


def variant_config(variant: str, seed: int) -> GANConfig:
    """The :class:`GANConfig` of ``variant`` (a key of :data:`VARIANTS`) with ``seed``."""
    if variant not in VARIANTS:
        raise ValueError(f"unknown loss variant {variant!r}; choose one of {', '.join(VARIANTS)}")
    return GANConfig(seed=seed, **VARIANTS[variant][0])


class EpochScores(keras.callbacks.Callback):
    """After each epoch: FID and classifier score of ``n`` samples of the model's sampler against
    ``reference_features``, with the training seconds so far, one JSON line each in ``path``.
    Scoring time is not training time: the clock stops while it scores."""

    def __init__(self, path, reference_features, n: int, elapsed: float = 0.0):
        super().__init__()
        self.path, self.reference_features, self.n = Path(path), reference_features, n
        self.elapsed, self._start = elapsed, None

    def on_epoch_begin(self, epoch, logs=None):
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.elapsed += time.perf_counter() - self._start
        features, probabilities = features_and_probabilities(self.model.generate(self.n, seed=SAMPLE_SEED))
        line = {"epoch": epoch + 1, "train_seconds": round(self.elapsed, 1),
                "fid": round(fid(features, self.reference_features), 3),
                "classifier_score": round(classifier_score(probabilities), 4),
                "d_loss": round(float(logs["d_loss"]), 4), "g_loss": round(float(logs["g_loss"]), 4)}
        with open(self.path, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")


def train_variant(variant: str, seed: int, images, epochs: int, out_dir, reference_features, n: int = 10_000,
                  steps_per_epoch: int | None = None, verbose=0) -> list[dict]:
    """Train ``variant`` with ``seed`` on ``images`` for ``epochs`` epochs into ``out_dir`` (resumed if it
    holds a run), scoring every epoch (:class:`EpochScores`); return the run's score lines."""
    from ganlib.trainer import Trainer

    out_dir = Path(out_dir)
    done = read_epoch_log(out_dir / SCORES_FILE)
    trainer = Trainer(images, config=variant_config(variant, seed), out_dir=out_dir, resume=True, keep=1,
                      steps_per_epoch=steps_per_epoch, verbose=verbose,
                      callbacks=[EpochScores(out_dir / SCORES_FILE, reference_features, n,
                                             elapsed=done[-1]["train_seconds"] if done else 0.0)])
    if trainer.epoch < epochs:
        trainer.train(epochs - trainer.epoch)
    return read_epoch_log(out_dir / SCORES_FILE)[:epochs]


def summarise(runs: list[dict]) -> list[dict]:
    """One row per variant from ``runs`` (dicts with ``variant``, ``seed`` and ``scores``, a list of
    epoch lines): mean and standard deviation over seeds of the last epoch's FID and classifier
    score, the best and worst seed's FID, and the mean training minutes, in :data:`VARIANTS` order."""
    rows = []
    for variant in [name for name in VARIANTS if any(run["variant"] == name for run in runs)]:
        last = [run["scores"][-1] for run in runs if run["variant"] == variant]
        fids = np.array([line["fid"] for line in last])
        cs = np.array([line["classifier_score"] for line in last])
        rows.append({"variant": variant, "seeds": len(last),
                     "fid_mean": float(fids.mean()), "fid_sd": float(fids.std(ddof=1)) if len(fids) > 1 else 0.0,
                     "fid_best": float(fids.min()), "fid_worst": float(fids.max()),
                     "classifier_score_mean": float(cs.mean()),
                     "classifier_score_sd": float(cs.std(ddof=1)) if len(cs) > 1 else 0.0,
                     "minutes": float(np.mean([line["train_seconds"] for line in last]) / 60)})
    return rows
