"""The DCGAN generator and discriminator for 28x28 MNIST (the source's ``model.py``, corrected).

Corrections to the source text (see the errata chapter):

* ``tf.keras.layers.Conv2TransposeTensor`` does not exist; the layer is ``Conv2DTranspose``.
* The discriminator returns a *logit* (no sigmoid), so every loss must treat it as one
  (``from_logits=True``); :mod:`ganlib.losses` works on logits throughout.
* Following the DCGAN paper (Radford et al. 2016), the generator also normalises its
  projection, and the discriminator's first layer has no batch normalisation.

Both are plain ``keras.Sequential`` stacks of Keras 3 layers, built on creation, so
``summary()``, ``save_weights("g.weights.h5")`` and ``load_weights`` work at once.
"""

from __future__ import annotations

import keras
from keras import layers

LATENT_DIM = 100
IMAGE_SHAPE = (28, 28, 1)


def _check_width(width: int) -> None:
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer (64 is the DCGAN default), got {width!r}")


def make_generator(latent_dim: int = LATENT_DIM, width: int = 64, name: str = "generator") -> keras.Sequential:
    """G: noise (N, latent_dim) -> images (N, 28, 28, 1) in [-1, 1].

    Channels run 4*width -> 2*width -> width -> 1 (width=64 gives the TensorFlow tutorial's
    256 -> 128 -> 64 -> 1): a dense projection to 7x7, one stride-1 and two stride-2
    transposed convolutions with 5x5 kernels, batch norm and ReLU between, tanh at the end.
    """
    _check_width(width)
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            layers.Dense(7 * 7 * 4 * width, use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 4 * width)),
            layers.Conv2DTranspose(2 * width, 5, strides=1, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh"),
        ],
        name=name,
    )


def make_discriminator(width: int = 64, name: str = "discriminator") -> keras.Sequential:
    """D: images (N, 28, 28, 1) in [-1, 1] -> logits (N, 1); D(x) = sigmoid(logit).

    Two stride-2 5x5 convolutions (width, then 2*width channels) with LeakyReLU(0.2),
    batch norm on the second, then a dense layer to one logit.
    """
    _check_width(width)
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(width, 5, strides=2, padding="same"),
            layers.LeakyReLU(0.2),
            layers.Conv2D(2 * width, 5, strides=2, padding="same", use_bias=False),
            layers.BatchNormalization(),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            layers.Dense(1),
        ],
        name=name,
    )
