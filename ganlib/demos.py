"""Small measurements behind the answers of the FAQ chapter (3.2.8).

Each function answers one "what does X actually do?" question with numbers rather than words:

* :func:`rebuild`: a copy of a ``keras.Sequential`` with some layers swapped or dropped (a
  discriminator with ReLU instead of leaky ReLU, a generator without batch normalisation);
* :func:`zero_derivative_share` and :func:`input_gradient_norms`: how much of the backward pass
  an activation function blocks, and what reaches the input (the generator's images);
* :func:`activation_spread`: how far apart the samples of a batch are after each layer (what
  batch normalisation does to a generator at initialisation).

Mode collapse is measured with :func:`ganlib.toy.mode_coverage` (and
:func:`ganlib.stability.coverage_over_time`), not here.

TensorFlow is imported when a function runs, so the module imports anywhere.
"""

from __future__ import annotations

from typing import Callable

import numpy as np

ACTIVATION_TYPES = ("ReLU", "LeakyReLU", "Activation", "ELU", "PReLU", "Softmax")


def rebuild(model, replace: Callable):
    """A new ``keras.Sequential`` with ``model``'s layers, each passed through ``replace(layer)``.

    ``replace`` returns the same layer to keep it (as a fresh copy from its config, with new
    weights), another layer to put in its place, or None to drop it.  Seed Keras
    (``keras.utils.set_random_seed``) before calling to make the new weights reproducible; the
    original model is not changed.  Example, a generator without batch normalisation::

        rebuild(generator, lambda layer: None if isinstance(layer, keras.layers.BatchNormalization) else layer)

    Raises ValueError if ``model`` is not a ``keras.Sequential``.
    """
    import keras

    if not isinstance(model, keras.Sequential):
        raise ValueError(f"rebuild needs a keras.Sequential, got {type(model).__name__}")
    stack = [keras.Input(model.input_shape[1:])]
    for layer in model.layers:
        new = replace(layer)
        if new is None:
            continue
        if new is layer:
            new = layer.__class__.from_config(layer.get_config())
        stack.append(new)
    return keras.Sequential(stack, name=model.name)


def _is_activation(layer) -> bool:
    return type(layer).__name__ in ACTIVATION_TYPES


def zero_derivative_share(model, inputs, training: bool = True) -> list[dict]:
    """For each activation layer of a ``Sequential``: how much of the backward pass it blocks.

    For an element-wise activation ``a = f(p)`` the backward pass multiplies the incoming
    gradient by ``f'(p)``.  For ReLU ``f'(p) = 0`` wherever ``p < 0``, so those units pass no
    gradient for that input; for leaky ReLU ``f'(p) = alpha > 0`` there.  Returns one dict per
    activation layer: ``layer`` (its name), ``zero_share`` (share of (input, unit) pairs with
    ``f'(p) = 0``) and ``dead_share`` (share of units with ``f'(p) = 0`` for *every* input of
    the batch: units that no gradient reaches through these inputs).  ``training`` is passed to
    the layers (batch normalisation uses batch statistics when it is true, as in training).
    """
    import tensorflow as tf

    h = tf.constant(np.asarray(inputs, dtype=np.float32))
    rows = []
    for layer in model.layers:
        if _is_activation(layer):
            with tf.GradientTape() as tape:
                tape.watch(h)
                out = layer(h, training=training)
            derivative = np.asarray(tape.gradient(out, h))  # of sum(out): f'(p) element-wise
            zero = derivative.reshape(len(derivative), -1) == 0.0
            rows.append({"layer": layer.name, "zero_share": float(zero.mean()),
                         "dead_share": float(zero.all(axis=0).mean())})
            h = out
        else:
            h = layer(h, training=training)
    if not rows:
        raise ValueError(f"model {model.name!r} has no activation layer ({', '.join(ACTIVATION_TYPES)})")
    return rows


def input_gradient_norms(model, inputs, training: bool = True) -> np.ndarray:
    """Euclidean norm, per input, of ``d sum(model(x)) / d x``: float64 (N,).

    For a discriminator and generated images this is the size of the signal that reaches the
    generator's output (before the generator loss's own factor, see :func:`ganlib.losses.logit_gradients`).
    """
    import tensorflow as tf

    x = tf.constant(np.asarray(inputs, dtype=np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        out = model(x, training=training)
    gradient = np.asarray(tape.gradient(out, x), dtype=np.float64)  # of sum(out)
    return np.linalg.norm(gradient.reshape(len(gradient), -1), axis=1)


def activation_spread(model, inputs, training: bool = True) -> list[dict]:
    """How the samples of one batch differ after each layer of a ``Sequential``.

    Returns one dict per layer: ``layer`` (name), ``kind`` (class name), ``shape`` (output shape
    without the batch axis), ``std`` (standard deviation of all the layer's outputs) and
    ``spread`` (for each output unit the standard deviation across the batch, averaged over the
    units: 0 means every input gave the same output).
    """
    import tensorflow as tf

    h = tf.constant(np.asarray(inputs, dtype=np.float32))
    if len(h) < 2:
        raise ValueError(f"activation_spread needs a batch of at least 2 inputs, got {len(h)}")
    rows = []
    for layer in model.layers:
        h = layer(h, training=training)
        values = np.asarray(h, dtype=np.float64).reshape(len(h), -1)
        rows.append({"layer": layer.name, "kind": type(layer).__name__, "shape": tuple(h.shape[1:]),
                     "std": float(values.std()), "spread": float(values.std(axis=0).mean())})
    return rows
