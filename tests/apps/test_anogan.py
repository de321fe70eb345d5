"""ganlib.apps.anogan: AnoGAN and f-AnoGAN losses and scores, the encoder, D's verdict, kNN, shipping."""

import keras
import numpy as np
import pytest

from ganlib.apps.anogan import (AnoGANModels, EncoderTraining, anogan_loss, build_models, check_digit,
                                encoder_scores, feature_knn_score, ink_directions, invert_latent, izi_f_angles,
                                izi_f_loss, knn_score, pack_weights, reference_images, standardised_sum,
                                unpack_weights)
from ganlib.data import make_dataset, to_model_range
from ganlib.errors import DataError
from ganlib.model import discriminator_features, discriminator_head, make_discriminator

LATENT, WIDTH = 8, 4


@pytest.fixture(scope="module")
def tiny():
    keras.utils.set_random_seed(0)
    return build_models(3, LATENT, WIDTH)


@pytest.fixture(scope="module")
def digits(mnist):
    return to_model_range(mnist.test[0][:64])


def test_discriminator_features_feed_the_last_layer():
    d = make_discriminator(WIDTH)
    x = np.random.default_rng(0).uniform(-1, 1, (5, 28, 28, 1)).astype(np.float32)
    f = np.asarray(discriminator_features(d)(x))
    assert f.shape == (5, 4 * 4 * 4 * WIDTH)
    np.testing.assert_allclose(np.asarray(d(x)), np.asarray(d.layers[-1](f)), rtol=1e-5, atol=1e-5)


def test_discriminator_head_reads_the_features_to_the_logit():
    keras.utils.set_random_seed(0)
    discriminator = make_discriminator(WIDTH)
    x = np.random.default_rng(0).uniform(-1, 1, (5, 28, 28, 1)).astype(np.float32)
    head = discriminator_head(discriminator)
    np.testing.assert_allclose(np.asarray(head(discriminator_features(discriminator)(x))),
                               np.asarray(discriminator(x, training=False)), rtol=1e-5, atol=1e-6)
    assert head.layers[-1] is discriminator.layers[-1]  # shared weights, not a copy


def test_standardised_sum_closed_form_and_errors():
    reference = {"a": np.array([1.0, 3.0]), "b": np.array([10.0, 10.0, 40.0, 40.0])}  # means 2, 25; sds 1, 15
    scores = {"a": np.array([2.0, 5.0]), "b": np.array([25.0, 10.0])}
    np.testing.assert_allclose(standardised_sum(scores, reference), [0.0 + 0.0, 3.0 - 1.0])
    # standardising makes a sum blind to each score's unit
    scaled = standardised_sum({"a": 1000 * scores["a"], "b": scores["b"]}, {"a": 1000 * reference["a"], "b": reference["b"]})
    np.testing.assert_allclose(scaled, [0.0, 2.0])
    with pytest.raises(DataError, match="same scores"):
        standardised_sum(scores, {"a": reference["a"]})
    with pytest.raises(DataError, match="does not vary.*more, and varied"):
        standardised_sum({"a": np.ones(2)}, {"a": np.full(5, 3.0)})


def test_reference_images_are_seeded_distinct_and_capped():
    images = np.arange(50)
    first, again = reference_images(images, 20, seed=4), reference_images(images, 20, seed=4)
    np.testing.assert_array_equal(first, again)
    assert len(set(first.tolist())) == 20 and not np.array_equal(first, reference_images(images, 20, seed=5))
    np.testing.assert_array_equal(reference_images(images, 80), images)


def test_anogan_loss_closed_form():
    x = np.array([[1.0, -1.0], [0.0, 0.5]], np.float32)
    g = np.array([[0.0, -1.0], [0.5, 0.5]], np.float32)
    fx = np.array([[2.0, 0.0, 1.0], [1.0, 1.0, 1.0]], np.float32)
    fg = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], np.float32)
    # image 0: |x - g|_1 = 1, |fx - fg|_1 = 3; image 1: 0.5 and 0
    np.testing.assert_allclose(np.asarray(anogan_loss(x, g, fx, fg, 0.1)), [0.9 * 1 + 0.1 * 3, 0.9 * 0.5], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(anogan_loss(x, g, fx, fg, 0.0)), [1.0, 0.5], rtol=1e-6)


def test_izi_f_loss_closed_form():
    x = np.array([[1.0, -1.0], [0.0, 0.5]], np.float32)
    g = np.array([[0.0, -1.0], [0.5, 0.5]], np.float32)
    fx = np.array([[2.0, 0.0, 1.0], [1.0, 1.0, 1.0]], np.float32)
    fg = np.array([[0.0, 0.0, 0.0], [1.0, 1.0, 1.0]], np.float32)
    # image 0: 1/2 + kappa * 5/3; image 1: 0.25/2 + 0
    np.testing.assert_allclose(np.asarray(izi_f_loss(x, g, fx, fg, kappa=2.0)), [0.5 + 2 * 5 / 3, 0.125], rtol=1e-6)


def test_izi_f_angles_closed_form_and_blind_to_amount_of_ink():
    x = np.full((2, 28, 28, 1), -1.0, np.float32)
    r = x.copy()
    x[0, 5, 5], r[0, 5, 6] = 1.0, 1.0          # image 0: its ink moved one pixel: orthogonal, |u - v|^2 = 2
    x[1, 5, 5:7], r[1, 5, 5:7] = 1.0, 0.0      # image 1: the same strokes at half the ink: angle 0
    fx = np.array([[1.0, 0.0], [3.0, 4.0]], np.float32)
    fr = np.array([[0.0, 2.0], [6.0, 8.0]], np.float32)   # orthogonal (2), parallel (0)
    np.testing.assert_allclose(izi_f_angles(x, r, fx, fr), [4.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(izi_f_loss(x[1:], r[1:], fx[1:], fx[1:]), [2 / 784], rtol=1e-5)  # but izi_f is not 0


def test_knn_score_closed_form():
    normal = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 3.0]])
    queries = np.array([[0.0, 1.0], [1.0, 0.0]])
    # squared distances: query 0 -> 1, 2, 4; query 1 -> 1, 0, 10
    np.testing.assert_allclose(knn_score(queries, normal, k=1), [1.0, 0.0])
    np.testing.assert_allclose(knn_score(queries, normal, k=2), [1.5, 0.5])
    with pytest.raises(DataError, match="k must be"):
        knn_score(queries, normal, k=4)


def test_feature_knn_score_is_the_angle_between_features():
    rng = np.random.default_rng(1)
    images = to_model_range(rng.integers(0, 256, (5, 28, 28), dtype=np.uint8))
    normal = to_model_range(rng.integers(0, 256, (7, 28, 28), dtype=np.uint8))

    def ink_features(x, training=False):  # f(x) = x + 1: the ink's direction, as ink_directions reads it
        return np.reshape(x + 1.0, (len(x), -1))

    np.testing.assert_allclose(feature_knn_score(ink_features, images, normal, k=3, batch_size=2),
                               knn_score(ink_directions(images), ink_directions(normal), k=3), atol=1e-5)

    def doubled(x, training=False):  # scaling the features does not change an angle
        return 2.0 * ink_features(x)

    np.testing.assert_allclose(feature_knn_score(doubled, images, normal, k=3),
                               feature_knn_score(ink_features, images, normal, k=3), atol=1e-6)


def test_shapes_and_ranges(tiny, digits):
    assert np.asarray(tiny.encoder(digits)).shape == (64, LATENT)
    reconstruction = tiny.reconstruct(digits)
    assert reconstruction.shape == (64, 28, 28, 1) and np.abs(reconstruction).max() <= 1
    scores = encoder_scores(tiny.generator, tiny.features, tiny.encoder, digits, batch_size=16)
    assert scores.shape == (64,) and np.all(scores >= 0)
    assert np.asarray(tiny.features(digits)).shape == (64, 4 * 4 * 4 * WIDTH)


def test_encoder_score_is_izi_f_at_the_encoded_latent(tiny, digits):
    x = digits[:8]
    g = np.asarray(tiny.generator(tiny.encoder(x, training=False), training=False))
    f_x, f_g = np.asarray(tiny.features(x)), np.asarray(tiny.features(g))
    expected = ((x - g) ** 2).mean(axis=(1, 2, 3)) + ((f_x - f_g) ** 2).mean(axis=1)
    np.testing.assert_allclose(tiny.encoder_scores(x), expected, rtol=1e-4)

    def unit(v):
        v = v.reshape(len(v), -1)
        return v / np.linalg.norm(v, axis=1, keepdims=True)

    angles = ((unit(x + 1) - unit(g + 1)) ** 2).sum(axis=1) + ((unit(f_x) - unit(f_g)) ** 2).sum(axis=1)
    np.testing.assert_allclose(tiny.encoder_scores(x, angles=True), angles, rtol=1e-4, atol=1e-6)


def test_latent_inversion_lowers_the_loss_and_fits_what_g_made_better(tiny, digits):
    z_true = np.random.default_rng(5).standard_normal((6, LATENT)).astype(np.float32)
    made = np.asarray(tiny.generator(z_true, training=False))
    z, made_scores, made_losses = invert_latent(tiny.generator, tiny.features, made, steps=60, learning_rate=0.1,
                                                seed=1)
    assert z.shape == (6, LATENT) and made_scores.shape == (6,) and made_losses.shape == (61,)
    assert made_losses[-1] < 0.1 * made_losses[0]  # from a random start to (near) the image G made
    np.testing.assert_allclose(made_losses[-1], made_scores.mean(), rtol=1e-5)
    final = np.asarray(tiny.generator(z, training=False))
    expected = anogan_loss(made, final, np.asarray(tiny.features(made)), np.asarray(tiny.features(final)))
    np.testing.assert_allclose(made_scores, np.asarray(expected), rtol=1e-4)
    _, real_scores, real_losses = invert_latent(tiny.generator, tiny.features, digits[:6], steps=60,
                                                learning_rate=0.1, seed=1)
    assert real_losses[-1] < real_losses[0]
    assert made_scores.max() < 0.1 * real_scores.min()  # G's own images are explained far better than real digits
    again = invert_latent(tiny.generator, tiny.features, made, steps=60, learning_rate=0.1, seed=1, batch_size=6)
    np.testing.assert_allclose(again[1], made_scores, rtol=1e-5)
    split = invert_latent(tiny.generator, tiny.features, digits[:6], steps=60, learning_rate=0.1, seed=1, batch_size=4)
    assert split[1].shape == (6,) and split[2][-1] < split[2][0]


def test_encoder_training_lowers_its_loss():
    keras.utils.set_random_seed(1)
    models = build_models(0, LATENT, WIDTH)
    last = models.generator.layers[-1]
    last.kernel.assign(last.kernel * 30.0)  # an untrained G whose images span [-1, 1], not all near 0
    z = np.random.default_rng(2).standard_normal((512, LATENT)).astype(np.float32)
    images = np.asarray(models.generator(z, training=False))
    before = models.encoder_scores(images).mean()
    training = EncoderTraining(models.encoder, models.generator, models.features)
    training.compile()
    assert not training.generator.trainable and not training.features.trainable  # G and f stay frozen
    frozen = [w.copy() for w in models.generator.get_weights()]
    losses = training.fit(make_dataset(images, 16, seed=0), steps_per_epoch=32, epochs=3, verbose=0).history["izi_f"]
    after = models.encoder_scores(images).mean()
    assert len(losses) == 3 and losses[2] < losses[1] < losses[0] < before
    for a, b in zip(frozen, models.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert after < 0.6 * before


def test_packed_float16_weights_round_trip(tiny, digits):
    arrays = pack_weights(tiny)
    assert all(a.dtype == np.float16 for a in arrays.values()) and all(k.startswith("3/") for k in arrays)
    copy = unpack_weights(build_models(3, LATENT, WIDTH), arrays)
    assert isinstance(copy, AnoGANModels) and any(k.startswith("3/critic/") for k in arrays)
    np.testing.assert_allclose(copy.encoder_scores(digits[:8]), tiny.encoder_scores(digits[:8]), rtol=0.02)
    np.testing.assert_allclose(copy.critic_scores(digits[:8]), tiny.critic_scores(digits[:8]), rtol=0.02, atol=1e-3)


def test_critic_and_combined_scores(tiny, digits):
    normal = digits[16:]
    critic = tiny.critic_scores(digits[:8])
    logits = tiny.critic(tiny.features(digits[:8], training=False))
    np.testing.assert_allclose(critic, -np.asarray(logits)[:, 0], rtol=1e-6)
    combined = tiny.combined_scores(digits[:8], normal, count=40, seed=1)
    reference = reference_images(normal, 40, seed=1)
    expected = standardised_sum({"f": tiny.encoder_scores(digits[:8]), "c": critic},
                                {"f": tiny.encoder_scores(reference), "c": tiny.critic_scores(reference)})
    np.testing.assert_allclose(combined, expected, rtol=1e-5)
    # over its own reference set, the sum of two standardised scores has mean 0
    assert abs(tiny.combined_scores(reference, normal, count=40, seed=1).mean()) < 1e-6
    angles = tiny.combined_scores(digits[:8], normal, angles=True, count=40, seed=1)
    assert angles.shape == (8,) and not np.allclose(angles, combined)


def test_bad_input_raises_errors_that_say_what_to_do(tiny):
    for digit in (10, -1, 2.0, "3", True):
        with pytest.raises(DataError, match="integer 0..9"):
            check_digit(digit)
    with pytest.raises(DataError, match="to_model_range"):
        tiny.encoder_scores(np.zeros((2, 28, 28, 1), np.float32) + 3.0)
    with pytest.raises(DataError, match=r"\(N, 28, 28, 1\)"):
        invert_latent(tiny.generator, tiny.features, np.zeros((2, 32, 32, 1), np.float32), steps=1)
