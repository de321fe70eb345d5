"""ganlib.model: the DCGAN networks."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib.model import make_discriminator, make_generator


def test_generator_maps_noise_to_images_in_range():
    generator = make_generator(width=8)
    images = generator(np.random.default_rng(0).standard_normal((5, 100)).astype("float32"), training=False)
    assert images.shape == (5, 28, 28, 1)
    assert -1.0 <= float(tf.reduce_min(images)) and float(tf.reduce_max(images)) <= 1.0


def test_discriminator_returns_unbounded_logits():
    discriminator = make_discriminator(width=8)
    logits = discriminator(np.full((4, 28, 28, 1), 1.0, "float32"), training=False)
    assert logits.shape == (4, 1)
    assert discriminator.layers[-1].activation is keras.activations.linear  # a logit, not a probability


def test_width_scales_the_networks():
    assert make_generator(width=16).count_params() < make_generator(width=32).count_params()
    assert make_discriminator(width=16).count_params() < make_discriminator(width=32).count_params()
    with pytest.raises(ValueError, match="width"):
        make_generator(width=0)


def test_weights_round_trip_through_weights_h5(tmp_path):
    generator = make_generator(width=8)
    z = np.random.default_rng(1).standard_normal((3, 100)).astype("float32")
    generator.save_weights(tmp_path / "g.weights.h5")
    restored = make_generator(width=8)
    restored.load_weights(tmp_path / "g.weights.h5")
    np.testing.assert_allclose(restored(z, training=False), generator(z, training=False), atol=1e-6)
