"""Which model a run's recorded ``kind`` is: the one place that knows every model family.

A run records its settings with their ``kind`` (:func:`ganlib.config.to_dict`); this module
maps the kind back to what :class:`ganlib.trainer.Trainer` needs: the model to build, the
batches it trains on, the picture of its progress, what it exports at the end, and the
network its saved generator weights fit.  It imports every family, so it sits above them: no
model module imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras
import numpy as np
import tensorflow as tf

from ganlib.apps import anogan, cyclegan
from ganlib.apps.conditional import ConditionalGAN, label_accuracy, make_networks
from ganlib.classifiers import train_digit_network
from ganlib.config import RunConfig, config_class, from_dict, infer_kind
from ganlib.data import make_dataset
from ganlib.errors import CheckpointError, DataError
from ganlib.gan import GAN, SimultaneousGAN
from ganlib.infogan import InfoGAN
from ganlib.data import to_model_range, to_uint8
from ganlib.model import discriminator_features, make_generator
from ganlib.uci import load_uci_digits
from ganlib.runs import (GENERATOR_FILE, checkpoint_file, load_checkpoint, load_weights_checked,
                         read_checkpoint_state, read_weights_settings, save_weights_with_settings)

GRID = 25  # images in a GAN's sample grid


@dataclass(frozen=True)
class TrainingData:
    """What a run trains on: images (uint8 MNIST or floats in [-1, 1]), their labels if the kind
    reads them, and a second domain ``(images, labels)`` for a translation model."""

    images: np.ndarray
    labels: np.ndarray | None = None
    second: tuple | None = None


def _gan_batches(config, data: TrainingData, first_epoch: int, labelled: bool):
    return make_dataset(data.images, config.batch_size, seed=config.seed,
                        labels=data.labels if labelled else None, first_epoch=first_epoch)


def _export_sampler(model, directory: Path, record: dict) -> list[Path]:
    return [save_weights_with_settings(model.sampler, directory / GENERATOR_FILE, record)]


@dataclass(frozen=True)
class ModelKind:
    """A model family: how to build its model from a config (``fresh``: not about to be restored
    from a checkpoint) and data, its training batches, the uint8 images of its progress grid,
    what it saves at the end, and its bare generator network (for saved weights)."""

    build: Callable[[RunConfig, TrainingData, bool], keras.Model]
    generator: Callable[[RunConfig], keras.Model]
    labelled: bool = False
    batches: Callable = lambda config, data, first_epoch, steps: _gan_batches(config, data, first_epoch, False)
    steps: Callable = lambda config, data: len(data.images) // config.batch_size
    grid: Callable = lambda model, data, seed: model.generate(GRID, seed=seed)
    export: Callable = _export_sampler
    measure: Callable | None = None  # model -> {score: value}, logged after every epoch (EpochLog)


def _build_dcgan(config, data, fresh) -> GAN:
    return (SimultaneousGAN if config.update == "simultaneous" else GAN)(config=config)


# -- CycleGAN: two domains, two generators --------------------------------------------------

def _uci_domain(data: TrainingData) -> tuple:
    return data.second if data.second is not None else tuple(load_uci_digits(seed=0).train)


def _build_cyclegan(config, data: TrainingData, fresh: bool) -> cyclegan.CycleGAN:
    classifiers = None
    if config.semantic_weight and fresh:  # a restored run takes its frozen classifiers from the checkpoint
        if data.labels is None:
            raise DataError("the semantic loss trains a classifier per domain: pass the MNIST labels "
                            "(and UCI labels with the second domain), or semantic_weight=0")
        (uci_images, uci_labels), epochs = _uci_domain(data), cyclegan.SEMANTIC_EPOCHS[config.semantic_classifier]
        classifiers = tuple(train_digit_network(images, labels, config.seed + 1, n, config.semantic_classifier)
                            for (images, labels), n in (((data.images, data.labels), epochs[0]),
                                                        ((uci_images, uci_labels), epochs[1])))
    keras.utils.set_random_seed(config.seed)  # the networks' weights, whatever the classifiers drew
    return cyclegan.CycleGAN(config.width, config.blocks, config.critic_width, config.cycle_weight,
                             config.identity_weight, config.semantic_weight, classifiers, config.semantic_classifier)


def _cyclegan_batches(config, data: TrainingData, first_epoch: int, steps: int):
    """Endless ``(mnist, uci)`` batches; each domain shuffled per pass by its own stateless seed."""
    pairs = tf.data.Dataset.zip(make_dataset(data.images, config.batch_size, seed=config.seed),
                                make_dataset(_uci_domain(data)[0], config.batch_size, seed=config.seed + 1))
    return pairs.skip(first_epoch * steps)


def _cyclegan_grid(model, data: TrainingData, seed: int):
    return cyclegan.example_rows(model.generators, np.asarray(data.images[:8]), _uci_domain(data)[0][:8])


# -- f-AnoGAN's encoder: inverts a trained GAN, frozen -----------------------------------------

def _build_encoder(config, data, fresh) -> anogan.EncoderTraining:
    gan, _ = restore_run(config.gan_run)
    if not isinstance(gan, GAN) or isinstance(gan, ConditionalGAN):
        raise CheckpointError(f"{config.gan_run} holds a {from_dict(read_checkpoint_state(config.gan_run)['config']).kind} "
                              "run; the f-AnoGAN encoder inverts an unconditional GAN (dcgan or infogan)")
    keras.utils.set_random_seed(config.seed)  # the encoder's weights, whatever restoring the GAN drew
    encoder = anogan.make_encoder(gan.config.latent_dim, gan.config.width)
    return anogan.EncoderTraining(encoder, gan.sampler, discriminator_features(gan.discriminator),
                                  kappa=config.kappa, learning_rate=config.learning_rate, beta_1=config.beta_1)


def _encoder_generator(config) -> keras.Model:
    gan_config = from_dict(read_checkpoint_state(config.gan_run)["config"])
    return anogan.make_encoder(gan_config.latent_dim, gan_config.width)


def _encoder_grid(model, data: TrainingData, seed: int):
    """Eight normal images over their reconstructions G(E(x))."""
    images = np.asarray(data.images[:8])
    images = to_model_range(images) if images.dtype == np.uint8 else images
    return np.concatenate([to_uint8(images), to_uint8(np.asarray(model(images)))])


KINDS = {
    "dcgan": ModelKind(_build_dcgan, lambda c: make_generator(c.latent_dim, c.width)),
    "infogan": ModelKind(lambda c, data, fresh: InfoGAN(config=c),
                         lambda c: make_generator(c.latent_dim, c.width, codes=c.codes)),
    "conditional": ModelKind(lambda c, data, fresh: ConditionalGAN(config=c),
                             lambda c: make_networks(c)[0], labelled=True,
                             batches=lambda c, data, first, steps: _gan_batches(c, data, first, True),
                             measure=lambda model: {"label_accuracy": label_accuracy(model.sampler)}),
    "cyclegan": ModelKind(_build_cyclegan, lambda c: cyclegan.make_translator(c.width, c.blocks),
                          batches=_cyclegan_batches, grid=_cyclegan_grid,
                          steps=lambda c, data: min(len(data.images), len(_uci_domain(data)[0])) // c.batch_size,
                          export=lambda model, directory, record: cyclegan.save_generators(model, directory, record)),
    "anogan-encoder": ModelKind(_build_encoder, _encoder_generator, grid=_encoder_grid,
                                export=lambda model, directory, record: [save_weights_with_settings(
                                    model.encoder, directory / anogan.ENCODER_FILE, record)]),
}


def model_kind(kind: str) -> ModelKind:
    """The :class:`ModelKind` of ``kind``; ValueError naming the kinds ``ganlib train --model`` takes."""
    if kind not in KINDS:
        config_class(kind)  # an unknown kind: its own message
        raise ValueError(f"model kind {kind!r} is not trained by ganlib.trainer.Trainer yet; "
                         f"choose one of {sorted(KINDS)}")
    return KINDS[kind]


def build_model(config: RunConfig, data: TrainingData | None = None, fresh: bool = False) -> keras.Model:
    """The untrained, compiled model ``config`` describes (``fresh``: to be trained from scratch on
    ``data``, which a CycleGAN's semantic classifiers are trained on first)."""
    model = model_kind(config.kind).build(config, data, fresh)
    model.compile()
    return model


def restore_run(directory, epoch: int | None = None) -> tuple[keras.Model, int]:
    """The model of the run in ``directory``, rebuilt from its recorded settings and holding its
    latest checkpoint (or, with ``epoch``, that epoch's, kept by ``--keep 0``), and its epoch."""
    state = read_checkpoint_state(directory)
    if state is None:
        raise CheckpointError(f"no checkpoint in {directory} (checkpoint.json missing)")
    model = build_model(from_dict(state["config"]))
    latest = load_checkpoint(model, directory)
    if epoch is None or epoch == latest:
        return model, latest
    file = checkpoint_file(directory, epoch)
    if not file.exists():
        raise CheckpointError(f"{file} does not exist: only kept epochs can be restored "
                              "(train with --keep 0 to keep every epoch)")
    try:
        model.load_weights(file)
    except (OSError, ValueError) as error:
        raise CheckpointError(f"cannot load {file} ({type(error).__name__}: {error})") from None
    return model, epoch


def load_generator(path) -> keras.Model:
    """A generator restored from ``*.weights.h5`` and the settings beside it (checked by sha256):
    the network of the recorded kind (old records without a kind: :func:`ganlib.config.infer_kind`)."""
    record = read_weights_settings(path)
    kind = infer_kind(record)
    return load_weights_checked(model_kind(kind).generator(from_dict({**record, "kind": kind})), Path(path))


__all__ = ["TrainingData", "ModelKind", "KINDS", "model_kind", "build_model", "restore_run", "load_generator"]
