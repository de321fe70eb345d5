"""Tests of ganlib.demos: closed forms, shapes and the errors raised."""

import keras
import numpy as np
import pytest
from keras import layers

from ganlib import demos, model


def test_rebuild_drops_batch_norm_and_keeps_the_original():
    keras.utils.set_random_seed(0)
    generator = model.make_generator(latent_dim=8, width=2)
    plain = demos.rebuild(generator, lambda l: None if isinstance(l, layers.BatchNormalization) else l)
    assert not any(isinstance(l, layers.BatchNormalization) for l in plain.layers)
    assert sum(isinstance(l, layers.BatchNormalization) for l in generator.layers) == 3
    assert len(plain.layers) == len(generator.layers) - 3
    z = np.zeros((3, 8), np.float32)
    assert plain(z).shape == generator(z).shape == (3, 28, 28, 1)


def test_rebuild_swaps_layers():
    keras.utils.set_random_seed(0)
    discriminator = model.make_discriminator(width=2)
    relu = demos.rebuild(discriminator, lambda l: layers.ReLU() if isinstance(l, layers.LeakyReLU) else l)
    kinds = [type(l).__name__ for l in relu.layers]
    assert "LeakyReLU" not in kinds and kinds.count("ReLU") == 3
    assert relu.count_params() == discriminator.count_params()


def test_rebuild_refuses_other_models():
    inputs = keras.Input((2,))
    functional = keras.Model(inputs, layers.Dense(1)(inputs))
    with pytest.raises(ValueError, match="Sequential"):
        demos.rebuild(functional, lambda l: l)


def identity_then(activation):
    dense = layers.Dense(2, kernel_initializer="identity", bias_initializer="zeros")
    return keras.Sequential([keras.Input((2,)), dense, activation])


def test_zero_derivative_share_relu_and_leaky():
    x = np.array([[1.0, -1.0], [2.0, -3.0], [-1.0, -2.0]], np.float32)
    (relu,) = demos.zero_derivative_share(identity_then(layers.ReLU()), x)
    assert relu["zero_share"] == pytest.approx(4 / 6)  # the negative entries
    assert relu["dead_share"] == pytest.approx(1 / 2)  # unit 2 is negative for every input
    (leaky,) = demos.zero_derivative_share(identity_then(layers.LeakyReLU(0.2)), x)
    assert leaky["zero_share"] == 0.0 and leaky["dead_share"] == 0.0


def test_zero_derivative_share_needs_an_activation():
    plain = keras.Sequential([keras.Input((2,)), layers.Dense(1)])
    with pytest.raises(ValueError, match="no activation"):
        demos.zero_derivative_share(plain, np.ones((2, 2), np.float32))


def test_input_gradient_norms_of_a_linear_model():
    dense = layers.Dense(1, kernel_initializer=keras.initializers.Constant([[3.0], [4.0]]))
    linear = keras.Sequential([keras.Input((2,)), dense])
    norms = demos.input_gradient_norms(linear, np.random.default_rng(0).standard_normal((5, 2)))
    np.testing.assert_allclose(norms, 5.0, rtol=1e-6)


def test_activation_spread():
    net = identity_then(layers.ReLU())
    same = demos.activation_spread(net, np.ones((4, 2), np.float32))
    assert [row["kind"] for row in same] == ["Dense", "ReLU"]
    assert all(row["spread"] == 0.0 and row["shape"] == (2,) for row in same)
    x = np.array([[1.0, -1.0], [3.0, -3.0]], np.float32)
    rows = demos.activation_spread(net, x)
    assert rows[0]["spread"] == pytest.approx(1.0)   # stds 1 and 1
    assert rows[1]["spread"] == pytest.approx(0.5)   # stds 1 and 0 after ReLU
    with pytest.raises(ValueError, match="at least 2"):
        demos.activation_spread(net, np.ones((1, 2), np.float32))
