"""One trainer for every model family: ``fit()`` with checkpoints, exact resume, a NaN guard,
sample grids and a history, and the source's API (``Trainer(...).train(epochs)``,
``generate_and_save_images(epoch)``) on top.

The model comes from the run's config through :mod:`ganlib.registry`, so the same
``Trainer`` trains a DCGAN, an InfoGAN, a class-conditional GAN or a CycleGAN::

    Trainer(images, out_dir="runs/demo", seed=0).train(epochs=2)                  # a DCGAN
    Trainer(images, config=InfoGANConfig(codes=10), out_dir="runs/info").train(2)  # an InfoGAN
    Trainer(images, labels, kind="conditional", out_dir="runs/cgan").train(2)      # labels too
    Trainer(images, labels, kind="cyclegan", out_dir="runs/cyclegan").train(2)     # MNIST <-> UCI digits
    Trainer(images, out_dir="runs/two", distribute="mirrored").train(2)            # on every local device
"""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import keras
import numpy as np

from ganlib.callbacks import EpochLog, GANCheckpoint, SampleGrid, StopOnNaN, raise_if_diverged
from ganlib.config import RunConfig, build_config, changed_settings, config_class, from_dict, infer_kind, to_dict
from ganlib.distribute import is_chief, shard_by_data, strategy_for
from ganlib.errors import CheckpointError, DataError
from ganlib.gan import GAN
from ganlib.registry import TrainingData, build_model, model_kind
from ganlib.runs import HISTORY_FILE, load_checkpoint, read_checkpoint_state
from ganlib.utils import save_grid


class Trainer:
    """Train the model a config describes on ``images`` (and ``labels``), writing a run to ``out_dir``.

    ``images`` are uint8 MNIST (N, 28, 28) or floats in [-1, 1] (default: the embedded subset).
    The settings are ``config`` (a :mod:`ganlib.config` dataclass), or its fields as keyword
    arguments with ``kind`` ("dcgan" unless the settings name InfoGAN codes).  ``out_dir``
    receives a checkpoint and a sample grid per epoch, a line of ``history.jsonl`` per epoch and,
    after :meth:`train`, the generator's weights with its settings (``generator.weights.h5``; a
    CycleGAN's two).  A directory that holds a run is only continued with ``resume=True``, never
    overwritten, and only with the settings it was trained with (CheckpointError naming each
    changed one).  ``steps_per_epoch`` defaults to the config's, else one pass over the images
    (over the smaller domain for a CycleGAN, whose second domain ``second = (images, labels)``
    defaults to the UCI digits).

    ``distribute`` ("mirrored", "multiworker" or a ``tf.distribute.Strategy``; default none) trains
    on several devices or machines: the model and its optimisers are built in the strategy's scope
    and ``batch_size`` stays the global batch, split evenly over the replicas
    (:mod:`ganlib.distribute`).  Under ``MultiWorkerMirroredStrategy`` only the chief writes files,
    so ``out_dir`` must be a directory every worker reads (to resume from).
    """

    def __init__(self, images=None, labels=None, *, config: RunConfig | None = None, kind: str | None = None,
                 out_dir="runs/dcgan", resume: bool = False, gif: bool = False, checkpoints: bool = True,
                 keep: int | None = 2, steps_per_epoch: int | None = None, second=None, callbacks=(),
                 verbose: int | str = "auto", distribute=None, **settings):
        if images is None:
            from ganlib.data import load_mnist

            (images, mnist_labels), _ = load_mnist()
            labels = mnist_labels if labels is None else labels
        kind = config.kind if config is not None else kind or infer_kind(settings)
        self.config = build_config(config_class(kind), config, settings)
        self.kind = model_kind(kind)
        if self.kind.labelled and labels is None:
            raise DataError(f"a {kind} model trains on images with labels: pass labels")
        self.data = TrainingData(images, labels, second)
        self.out_dir = Path(out_dir)
        self.verbose = verbose
        self.steps_per_epoch = (steps_per_epoch or getattr(self.config, "steps_per_epoch", None)
                                or self.kind.steps(self.config, self.data))
        if self.steps_per_epoch < 1:
            raise DataError(f"{len(images)} images make no full batch of {self.config.batch_size}; lower batch_size")

        self.strategy = strategy_for(distribute)
        replicas = self.strategy.num_replicas_in_sync if self.strategy else 1
        if self.config.batch_size % replicas:
            raise ValueError(f"batch_size {self.config.batch_size} (the global batch) does not split evenly over "
                             f"{replicas} replicas; choose a multiple of {replicas}")
        state = read_checkpoint_state(self.out_dir)
        keras.utils.set_random_seed(self.config.seed)
        with self.strategy.scope() if self.strategy else contextlib.nullcontext():
            self.gan = build_model(self.config, self.data, fresh=state is None or not resume)
        if self.strategy and not isinstance(self.gan, GAN):
            raise ValueError(f"distributed training takes a GAN family (dcgan, infogan, conditional); a {kind} "
                             "model's steps do not scale their losses to the global batch")
        self.epoch = 0
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
        self.callbacks = [self.nan_guard, EpochLog(self.out_dir / HISTORY_FILE, self.kind.measure),
                          SampleGrid(self.out_dir, seed=self.config.seed, gif=gif,
                                     draw=lambda model: self.kind.grid(model, self.data, self.config.seed)),
                          *callbacks]
        if checkpoints:
            self.callbacks.insert(1, GANCheckpoint(self.out_dir, to_dict(self.config), keep=keep))
        self.chief = is_chief(self.strategy)
        if not self.chief:  # another worker of a cluster: only the chief writes the run's files
            self.callbacks = [self.nan_guard, *callbacks]
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
        dataset = self.kind.batches(self.config, self.data, first, self.steps_per_epoch)
        if self.strategy:
            dataset = shard_by_data(dataset)
        start = time.perf_counter()
        history = self.gan.fit(dataset, epochs=last, initial_epoch=first, steps_per_epoch=self.steps_per_epoch,
                               callbacks=self.callbacks, verbose=self.verbose, shuffle=False)
        steps = len(next(iter(history.history.values()), [])) * self.steps_per_epoch
        self.images_per_second = steps * self.config.batch_size / max(time.perf_counter() - start, 1e-9)
        raise_if_diverged(self.nan_guard, self.out_dir)
        self.epoch = last
        self.exported = self.export() if self.chief else []
        return history

    def export(self) -> list[Path]:
        """Save what the run made: the generator's weights (the moving average if kept; a CycleGAN's
        two) with the run's settings and epoch beside them."""
        return self.kind.export(self.gan, self.out_dir, {**to_dict(self.config), "epochs": self.epoch})

    def generate_and_save_images(self, epoch: int, n: int = 25) -> Path:
        """Save a grid of ``n`` samples from the fixed noise as ``image_at_epoch_EPOCH.png``."""
        return save_grid(self.gan.generate(n, seed=self.config.seed),
                         self.out_dir / f"image_at_epoch_{epoch:04d}.png")


__all__ = ["Trainer"]
