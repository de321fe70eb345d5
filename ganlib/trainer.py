"""One trainer for every model family: ``fit()`` with checkpoints, exact resume, a NaN guard,
sample grids and a history, and the source's API (``Trainer(...).train(epochs)``,
``generate_and_save_images(epoch)``) on top.

The model comes from the run's config through :mod:`ganlib.registry`, so the same
``Trainer`` trains a DCGAN, an InfoGAN or a class-conditional GAN::

    Trainer(images, out_dir="runs/demo", seed=0).train(epochs=2)                  # a DCGAN
    Trainer(images, config=InfoGANConfig(codes=10), out_dir="runs/info").train(2)  # an InfoGAN
    Trainer(images, labels, kind="conditional", out_dir="runs/cgan").train(2)      # labels too
"""

from __future__ import annotations

import time
from pathlib import Path

import keras
import numpy as np

from ganlib.callbacks import EpochLog, GANCheckpoint, SampleGrid, StopOnNaN, raise_if_diverged
from ganlib.config import RunConfig, build_config, changed_settings, config_class, from_dict, infer_kind, to_dict
from ganlib.data import make_dataset
from ganlib.errors import CheckpointError, DataError
from ganlib.registry import build_model, model_kind
from ganlib.runs import GENERATOR_FILE, HISTORY_FILE, load_checkpoint, read_checkpoint_state, \
    save_weights_with_settings
from ganlib.utils import save_grid


class Trainer:
    """Train the model a config describes on ``images`` (and ``labels``), writing a run to ``out_dir``.

    ``images`` are uint8 MNIST (N, 28, 28) or floats in [-1, 1] (default: the embedded subset).
    The settings are ``config`` (a :mod:`ganlib.config` dataclass), or its fields as keyword
    arguments with ``kind`` ("dcgan" unless the settings name InfoGAN codes).  ``out_dir``
    receives a checkpoint and a sample grid per epoch, a line of ``history.jsonl`` per epoch and,
    after :meth:`train`, ``generator.weights.h5`` with its settings.  A directory that holds a run
    is only continued with ``resume=True``, never overwritten, and only with the settings it was
    trained with (CheckpointError naming each changed one).  ``steps_per_epoch`` defaults to one
    pass over the images.
    """

    def __init__(self, images=None, labels=None, *, config: RunConfig | None = None, kind: str | None = None,
                 out_dir="runs/dcgan", resume: bool = False, gif: bool = False, checkpoints: bool = True,
                 keep: int | None = 2, steps_per_epoch: int | None = None, callbacks=(),
                 verbose: int | str = "auto", **settings):
        if images is None:
            from ganlib.data import load_mnist

            (images, mnist_labels), _ = load_mnist()
            labels = mnist_labels if labels is None else labels
        kind = config.kind if config is not None else kind or infer_kind(settings)
        self.config = build_config(config_class(kind), config, settings)
        self.kind = model_kind(kind)
        if self.kind.labelled and labels is None:
            raise DataError(f"a {kind} model trains on images with labels: pass labels")
        self.images, self.labels = images, (labels if self.kind.labelled else None)
        self.out_dir = Path(out_dir)
        self.verbose = verbose
        batch_size = self.config.batch_size
        self.steps_per_epoch = steps_per_epoch or len(images) // batch_size
        if len(images) < batch_size:
            raise DataError(f"{len(images)} images make no full batch of {batch_size}; lower batch_size")

        keras.utils.set_random_seed(self.config.seed)
        self.gan = build_model(self.config)
        self.epoch = 0
        state = read_checkpoint_state(self.out_dir)
        if state is not None and not resume:
            raise CheckpointError(
                f"{self.out_dir} already holds a run (epoch {state['epoch']}); pass resume=True "
                "(CLI: --resume) to continue it, or choose another output directory")
        if resume and state is not None:
            changed = changed_settings(from_dict(state["config"]), self.config)
            if changed:
                raise CheckpointError(f"cannot resume {self.out_dir} with other settings ({'; '.join(changed)}); "
                                      "resume with the run's own settings or start a new --out")
            self.epoch = load_checkpoint(self.gan, self.out_dir)
        self.nan_guard = StopOnNaN()
        self.callbacks = [self.nan_guard, EpochLog(self.out_dir / HISTORY_FILE),
                          SampleGrid(self.out_dir, seed=self.config.seed, gif=gif), *callbacks]
        if checkpoints:
            self.callbacks.insert(1, GANCheckpoint(self.out_dir, to_dict(self.config), keep=keep))
        self.images_per_second = None  # measured by train()

    @property
    def generator(self):
        return self.gan.generator

    @property
    def discriminator(self):
        return self.gan.discriminator

    def train(self, epochs: int) -> keras.callbacks.History:
        """Train ``epochs`` more epochs with ``fit()``; then save the generator.

        Raises TrainingDiverged if a loss turns NaN; the last good checkpoint is kept.
        Afterwards ``images_per_second`` holds the measured throughput (real images per second
        of wall time, the first step's tracing included).
        """
        if not isinstance(epochs, (int, np.integer)) or epochs < 0:
            raise ValueError(f"epochs must be a non-negative integer, got {epochs!r}")
        first, last = self.epoch, self.epoch + int(epochs)
        dataset = make_dataset(self.images, self.config.batch_size, seed=self.config.seed, labels=self.labels,
                               first_epoch=first)
        start = time.perf_counter()
        history = self.gan.fit(dataset, epochs=last, initial_epoch=first, steps_per_epoch=self.steps_per_epoch,
                               callbacks=self.callbacks, verbose=self.verbose, shuffle=False)
        steps = len(history.history.get("d_loss", [])) * self.steps_per_epoch
        self.images_per_second = steps * self.config.batch_size / max(time.perf_counter() - start, 1e-9)
        raise_if_diverged(self.nan_guard, self.out_dir)
        self.epoch = last
        self.save_generator(self.out_dir / GENERATOR_FILE)
        return history

    def save_generator(self, path) -> Path:
        """Save the sampler's weights (the moving average if kept) with the run's settings beside them."""
        return save_weights_with_settings(self.gan.sampler, path, {**to_dict(self.config), "epochs": self.epoch})

    def generate_and_save_images(self, epoch: int, n: int = 25) -> Path:
        """Save a grid of ``n`` samples from the fixed noise as ``image_at_epoch_EPOCH.png``."""
        return save_grid(self.gan.generate(n, seed=self.config.seed),
                         self.out_dir / f"image_at_epoch_{epoch:04d}.png")


__all__ = ["Trainer"]
