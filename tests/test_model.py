"""ganlib.model: the DCGAN networks."""

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib.model import describe_layer, feature_count, make_discriminator, make_generator


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


@pytest.mark.parametrize("normalization", ["batch", "layer", "spectral", "none"])
def test_discriminator_normalizations(normalization):
    discriminator = make_discriminator(width=8, normalization=normalization)
    kinds = {type(layer).__name__ for layer in discriminator.layers}
    assert ("BatchNormalization" in kinds) == (normalization == "batch")
    assert ("LayerNormalization" in kinds) == (normalization == "layer")
    assert ("SpectralNormalization" in kinds) == (normalization == "spectral")
    assert feature_count(discriminator) == 4 * 4 * 32  # 4 * width channels on a 4x4 map
    x = np.random.default_rng(0).uniform(-1, 1, (6, 28, 28, 1)).astype("float32")
    assert discriminator(x, training=True).shape == (6, 1)
    assert all(describe_layer(layer) != type(layer).__name__ for layer in discriminator.layers)


def test_layer_norm_judges_each_image_alone_and_batch_norm_does_not():
    x = np.random.default_rng(1).uniform(-1, 1, (4, 28, 28, 1)).astype("float32")
    for normalization, alone in (("layer", True), ("batch", False)):
        discriminator = make_discriminator(width=8, normalization=normalization)
        together = discriminator(x, training=True)[0]
        single = discriminator(x[:1], training=True)[0]
        assert np.allclose(together, single, atol=1e-5) == alone, normalization


def test_spectral_norm_bounds_the_largest_singular_value_after_training_steps():
    discriminator = make_discriminator(width=8, normalization="spectral")
    x = np.random.default_rng(2).uniform(-1, 1, (8, 28, 28, 1)).astype("float32")
    for _ in range(30):  # each training call runs one power iteration
        discriminator(x, training=True)
    dense = discriminator.layers[-1]
    largest = np.linalg.svd(dense.layer.kernel.numpy(), compute_uv=False)[0]
    assert largest == pytest.approx(1.0, abs=0.05)


def test_unknown_normalization_is_refused():
    with pytest.raises(ValueError, match="unknown normalization 'group'"):
        make_discriminator(width=8, normalization="group")
