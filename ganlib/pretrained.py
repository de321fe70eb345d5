"""Pretrained models shipped in ``ganlib/assets`` (sha256-checked), by name.

Each entry maps a name to its generator weights in the assets; the ``.json`` beside the
weights records how they were trained.  ``ganlib sample --model NAME`` uses this table.
"""

from __future__ import annotations

import json

from ganlib import assets
from ganlib.errors import GanlibError

PRETRAINED: dict[str, str] = {
    # The default recipe plus InfoGAN codes (--codes 10 --continuous 2), 30 epochs of the full MNIST;
    # how it was trained and its scores: dcgan-mnist.json.
    "dcgan-mnist": "dcgan-mnist.weights.h5",
    # The class-conditional generator of ganlib.apps.conditional (BigGAN-style: conditional batch
    # norm, projection D, hinge), epoch 10 of 20 on the full MNIST; sample it with --label K.
    "cgan-mnist": "cgan-mnist.weights.h5",
    # The conditional GAN of Mirza & Osindero: the label concatenated to G's noise and to D's image
    # (non-saturating loss, batch norm in D), epoch 10 of 10 on the full MNIST; --label K as above.
    "cgan-concat-mnist": "cgan-concat-mnist.weights.h5",
}


def names() -> list[str]:
    """Names of the shipped pretrained generators."""
    return sorted(PRETRAINED)


def _check(name: str) -> None:
    if name not in PRETRAINED:
        known = ", ".join(names()) or "none are shipped yet"
        raise GanlibError(f"unknown pretrained model {name!r}; known models: {known}")


def settings(name: str) -> dict:
    """How the shipped generator ``name`` was trained and what it scored: the ``.json`` beside its
    weights, checked by sha256."""
    from ganlib.runs import settings_path

    _check(name)
    return json.loads(assets.path(settings_path(PRETRAINED[name]).name).read_text(encoding="utf-8"))


def load(name: str):
    """The shipped pretrained generator ``name`` (a Keras model), weights checked by sha256."""
    from ganlib.registry import load_generator

    settings(name)  # the name is known, and its settings check too
    return load_generator(assets.path(PRETRAINED[name]))
