"""Pretrained models shipped in ``ganlib/assets`` (sha256-checked), by name.

Each entry maps a name to its generator weights in the assets; the ``.json`` beside the
weights records how they were trained.  ``ganlib sample --model NAME`` uses this table.
"""

from __future__ import annotations

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


def load(name: str):
    """The shipped pretrained generator ``name`` (a Keras model), weights checked by sha256."""
    from ganlib.registry import load_generator

    if name not in PRETRAINED:
        known = ", ".join(names()) or "none are shipped yet"
        raise GanlibError(f"unknown pretrained model {name!r}; known models: {known}")
    weights = assets.path(PRETRAINED[name])
    assets.path(weights.name.replace(".weights.h5", ".json"))  # its settings, checked too
    return load_generator(weights)
