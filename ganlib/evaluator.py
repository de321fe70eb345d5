"""The MNIST classifier that ganlib's metrics look through (the role Inception plays for FID on photos).

A small convolutional network trained by ``scripts/train_evaluator.py`` (the command, seed and
test accuracy are recorded in ``ganlib/assets/manifest.json``). Its 128-unit penultimate layer
gives the features for the Frechet distance and for precision/recall; its softmax gives the
class probabilities for the classifier score and the class histogram.
"""

from __future__ import annotations

import functools

import keras
import numpy as np
from keras import layers

from ganlib.data import IMAGE_SHAPE, check_uint8_digits, to_model_range

WEIGHTS = "evaluator.weights.h5"
FEATURE_LAYER = "features"


def make_evaluator() -> keras.Sequential:
    """The evaluator's architecture: images in [-1, 1] (N, 28, 28, 1) -> 10 logits."""
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE),
            layers.Conv2D(32, 3, activation="relu"),
            layers.Conv2D(32, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Conv2D(64, 3, activation="relu"),
            layers.Conv2D(64, 3, activation="relu"),
            layers.MaxPooling2D(),
            layers.Flatten(),
            layers.Dropout(0.25),
            layers.Dense(128, activation="relu", name=FEATURE_LAYER),
            layers.Dropout(0.5),
            layers.Dense(10, name="logits"),
        ],
        name="evaluator",
    )


@functools.lru_cache(maxsize=1)
def load_evaluator() -> keras.Sequential:
    """The shipped evaluator (weights checked by sha256), loaded once per process."""
    from ganlib import assets

    model = make_evaluator()
    model.load_weights(assets.path(WEIGHTS))
    return model


def as_model_input(images) -> np.ndarray:
    """uint8 digits (N, 28, 28) -> float32 (N, 28, 28, 1) in [-1, 1]; other inputs are refused."""
    images = check_uint8_digits(images, "the digits", "as `ganlib sample` writes them; convert model "
                                "outputs with ganlib.data.to_uint8", allow_empty=False)
    return to_model_range(images)


@functools.lru_cache(maxsize=4)
def feature_head(model: keras.Model) -> keras.Model:
    """``model`` with two outputs, its penultimate features and its logits; built once per model, so
    repeated scoring reuses one traced ``predict``."""
    return keras.Model(model.inputs, [model.get_layer(FEATURE_LAYER).output, model.outputs[0]])


def features_and_probabilities(images, model=None, batch_size: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """Penultimate features (N, 128) and softmax class probabilities (N, 10) of uint8 digits."""
    head = feature_head(model or load_evaluator())
    features, logits = head.predict(as_model_input(images), batch_size=batch_size, verbose=0)
    logits = logits.astype(np.float64)
    probabilities = np.exp(logits - logits.max(axis=1, keepdims=True))
    return features.astype(np.float64), probabilities / probabilities.sum(axis=1, keepdims=True)
