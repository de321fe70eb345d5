"""Which model a run's recorded ``kind`` is: the one place that knows every model family.

A run records its settings with their ``kind`` (:func:`ganlib.config.to_dict`); this module
maps the kind back to the model to build, the data it trains on and the generator network its
saved weights fit.  It imports every family, so it sits above them: no model module imports it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import keras

from ganlib.apps.conditional import ConditionalGAN, make_conditional_generator
from ganlib.config import RunConfig, config_class, from_dict, infer_kind
from ganlib.errors import CheckpointError
from ganlib.gan import GAN, SimultaneousGAN
from ganlib.infogan import InfoGAN
from ganlib.model import make_generator
from ganlib.runs import checkpoint_file, load_checkpoint, load_weights_checked, read_checkpoint_state, \
    read_weights_settings


@dataclass(frozen=True)
class ModelKind:
    """A model family: how to build its model and its bare generator from a config, and whether
    its batches carry labels."""

    build: Callable[[RunConfig], keras.Model]
    generator: Callable[[RunConfig], keras.Model]
    labelled: bool = False


def _build_dcgan(config) -> GAN:
    return (SimultaneousGAN if config.update == "simultaneous" else GAN)(config=config)


KINDS = {
    "dcgan": ModelKind(_build_dcgan, lambda c: make_generator(c.latent_dim, c.width)),
    "infogan": ModelKind(lambda c: InfoGAN(config=c), lambda c: make_generator(c.latent_dim, c.width, codes=c.codes)),
    "conditional": ModelKind(lambda c: ConditionalGAN(config=c),
                             lambda c: make_conditional_generator(c.latent_dim, c.width, c.classes), labelled=True),
}


def model_kind(kind: str) -> ModelKind:
    """The :class:`ModelKind` of ``kind``; ValueError naming the kinds ``ganlib train --model`` takes."""
    if kind not in KINDS:
        config_class(kind)  # an unknown kind: its own message
        raise ValueError(f"model kind {kind!r} is not trained by ganlib.trainer.Trainer yet; "
                         f"choose one of {sorted(KINDS)}")
    return KINDS[kind]


def build_model(config: RunConfig) -> keras.Model:
    """The untrained, compiled model ``config`` describes."""
    model = model_kind(config.kind).build(config)
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


__all__ = ["ModelKind", "KINDS", "model_kind", "build_model", "restore_run", "load_generator"]
