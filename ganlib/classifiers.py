"""Digit classifiers trained from scratch on labelled digits: the evaluator's network and LeNet-5.

The CycleGAN's semantic-consistency loss reads translations through two of them, frozen
(:mod:`ganlib.apps.cyclegan`); the translation study trains its readers with the same function
(:mod:`ganlib.studies.translation`).  The MNIST evaluator the metrics look through is
:mod:`ganlib.evaluator`.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers

from ganlib.config import SEMANTIC_CLASSIFIERS as ARCHITECTURES  # the names, declared where no TensorFlow loads
from ganlib.data import IMAGE_SHAPE
from ganlib.errors import DataError
from ganlib.evaluator import as_model_input, make_evaluator


def make_lenet5() -> keras.Sequential:
    """LeNet-5 (LeCun et al. 1998) for 28x28 digits: images in [-1, 1] -> 10 logits.  5x5
    convolutions with 6 (padded) and 16 channels, each with tanh and 2x2 average pooling, then
    dense layers of 120 and 84 units with tanh.  Another architecture than the evaluator's (ReLU,
    3x3 convolutions, max pooling), for a semantic loss whose translations the evaluator judges."""
    return keras.Sequential([keras.Input(IMAGE_SHAPE), layers.Conv2D(6, 5, padding="same", activation="tanh"),
                             layers.AveragePooling2D(2), layers.Conv2D(16, 5, activation="tanh"),
                             layers.AveragePooling2D(2), layers.Flatten(), layers.Dense(120, activation="tanh"),
                             layers.Dense(84, activation="tanh"), layers.Dense(10)], name="lenet5")


def classifier_architecture(name: str):
    """The builder of a classifier's network by name (:data:`ARCHITECTURES`): ``"evaluator"``
    (:func:`ganlib.evaluator.make_evaluator`) or ``"lenet5"`` (:func:`make_lenet5`)."""
    builders = {"evaluator": make_evaluator, "lenet5": make_lenet5}
    if name not in builders:
        raise DataError(f"unknown classifier architecture {name!r}; choose one of {ARCHITECTURES}")
    return builders[name]


def train_digit_network(images, labels, seed: int = 0, epochs: int = 30,
                        architecture: str = "evaluator") -> keras.Model:
    """A digit classifier (``architecture``, :func:`classifier_architecture`: by default the MNIST
    evaluator's network) trained from scratch
    on the uint8 digits given, with the usual digit augmentation (random rotations up to 10
    degrees, zoom up to 10%, shifts up to 2 pixels), Adam 1e-3, batch 64.  Returns the network
    (logits), frozen (``trainable = False``)."""
    build = classifier_architecture(architecture)
    keras.utils.set_random_seed(seed)
    network = build()
    augmented = keras.Sequential([keras.Input(IMAGE_SHAPE), layers.RandomRotation(10 / 360, seed=seed),
                                  layers.RandomZoom(0.1, seed=seed + 1),
                                  layers.RandomTranslation(2 / 28, 2 / 28, seed=seed + 2), network])
    augmented.compile(optimizer=keras.optimizers.Adam(1e-3),
                      loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    augmented.fit(as_model_input(images), np.asarray(labels), epochs=epochs, batch_size=64, verbose=0)
    network.trainable = False
    return network


__all__ = ["ARCHITECTURES", "make_lenet5", "classifier_architecture", "train_digit_network"]
