"""ganlib.losses: each loss against its formula, closed forms and gradients."""

import math

import keras
import numpy as np
import pytest
import tensorflow as tf

from ganlib import losses


def softplus(x):
    return math.log1p(math.exp(x))


def test_losses_match_hand_computed_values():
    real, fake = tf.constant([[2.0], [0.0]]), tf.constant([[-1.0], [0.0]])
    # L_D = mean(-log sigmoid(real)) + mean(-log(1 - sigmoid(fake)))
    expected_d = (softplus(-2.0) + softplus(0.0)) / 2 + (softplus(-1.0) + softplus(0.0)) / 2
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(expected_d, rel=1e-6)
    # At D = 1/2 everywhere: L_D = 2 log 2, non-saturating L_G = log 2, minimax L_G = -log 2.
    half = tf.zeros((3, 1))
    assert float(losses.discriminator_loss(half, half)) == pytest.approx(2 * math.log(2), rel=1e-6)
    assert float(losses.generator_loss_nonsaturating(half)) == pytest.approx(math.log(2), rel=1e-6)
    assert float(losses.generator_loss_minimax(half)) == pytest.approx(-math.log(2), rel=1e-6)
    # log(1 - sigmoid(-1)) = -softplus(-1)
    assert float(losses.generator_loss_minimax(tf.constant([[-1.0]]))) == pytest.approx(-softplus(-1.0), rel=1e-6)


def test_discriminator_loss_equals_keras_binary_crossentropy_from_logits():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, 1)).astype("float32"), rng.normal(size=(8, 1)).astype("float32")
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    expected = bce(np.ones_like(real), real) + bce(np.zeros_like(fake), fake)
    assert float(losses.discriminator_loss(real, fake)) == pytest.approx(float(expected), rel=1e-5)


def test_losses_are_finite_for_extreme_logits():
    extreme = tf.constant([[-1000.0], [1000.0]])
    for value in (losses.discriminator_loss(extreme, extreme), losses.generator_loss_minimax(extreme),
                  losses.generator_loss_nonsaturating(extreme)):
        assert math.isfinite(float(value))


def test_minimax_gradient_vanishes_when_d_wins_but_nonsaturating_does_not():
    logit = tf.Variable([[-8.0]])  # D(G(z)) = sigmoid(-8) ~ 3e-4: D confidently rejects the fake
    with tf.GradientTape(persistent=True) as tape:
        minimax = losses.generator_loss_minimax(logit)
        nonsaturating = losses.generator_loss_nonsaturating(logit)
    d = 1 / (1 + math.exp(8.0))
    assert float(tape.gradient(minimax, logit)[0, 0]) == pytest.approx(-d, rel=1e-4)
    assert float(tape.gradient(nonsaturating, logit)[0, 0]) == pytest.approx(d - 1, rel=1e-4)


def test_hinge_losses_match_their_formula_and_stop_at_the_margin():
    real, fake = tf.constant([[2.0], [0.5]]), tf.constant([[-3.0], [0.0]])
    # L_D = mean(max(0, 1 - real)) + mean(max(0, 1 + fake)) = (0 + 0.5)/2 + (0 + 1)/2
    assert float(losses.discriminator_loss_hinge(real, fake)) == pytest.approx(0.75)
    assert float(losses.generator_loss_hinge(fake)) == pytest.approx(1.5)  # -mean(fake)
    right_by_a_margin = tf.Variable([[1.5], [4.0]])
    with tf.GradientTape() as tape:
        loss = losses.discriminator_loss_hinge(right_by_a_margin, -right_by_a_margin)
    assert float(loss) == 0.0 and not np.any(tape.gradient(loss, right_by_a_margin).numpy())
    assert losses.get_loss("hinge").d is losses.discriminator_loss_hinge


def test_loss_registry():
    assert losses.get_loss("non-saturating").g is losses.generator_loss_nonsaturating
    custom = losses.GANLoss("custom", losses.discriminator_loss, losses.generator_loss_minimax)
    assert losses.get_loss(custom) is custom
    with pytest.raises(ValueError, match="unknown GAN loss 'wgan'"):
        losses.get_loss("wgan")

def _sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


LOGITS = np.array([-6.0, -2.0, -0.5, 0.0, 0.5, 2.0, 6.0], dtype=np.float32)


def test_logit_gradients_minimax_is_minus_d():
    gradient = losses.logit_gradients(losses.generator_loss_minimax, LOGITS)
    np.testing.assert_allclose(gradient, -_sigmoid(LOGITS.astype(np.float64)), rtol=1e-5, atol=1e-7)


def test_logit_gradients_nonsaturating_is_minus_one_minus_d():
    gradient = losses.logit_gradients(losses.generator_loss_nonsaturating, LOGITS)
    np.testing.assert_allclose(gradient, -(1.0 - _sigmoid(LOGITS.astype(np.float64))), rtol=1e-5, atol=1e-7)


def test_logit_gradients_keeps_shape_and_is_per_sample():
    logits = np.array([[-1.0], [1.0]], dtype=np.float32)
    gradient = losses.logit_gradients(losses.generator_loss_hinge, logits)
    assert gradient.shape == (2, 1)
    np.testing.assert_allclose(gradient, -1.0)  # hinge G loss -mean(l): -1 per sample, whatever N


def test_logit_gradients_errors():
    with pytest.raises(ValueError, match="non-empty"):
        losses.logit_gradients(losses.generator_loss_minimax, np.zeros((0,), np.float32))
    with pytest.raises(ValueError, match="does not depend"):
        losses.logit_gradients(lambda logits: tf.constant(1.0), LOGITS)


def test_logit_gradients_in_float64_match_the_closed_form_exactly():
    logits = np.linspace(-10.0, 10.0, 41)
    gradient = losses.logit_gradients(losses.generator_loss_minimax, logits)
    np.testing.assert_allclose(gradient, -_sigmoid(logits), rtol=1e-12)


# --- least squares, Wasserstein, gradient penalties (closed forms) ---------------------------

def test_least_squares_losses_match_their_formulas_and_optimum():
    from ganlib.losses import discriminator_loss_least_squares, generator_loss_least_squares

    real, fake = np.array([0.5, 1.5, 1.0], np.float32), np.array([0.0, -1.0, 2.0], np.float32)
    np.testing.assert_allclose(float(discriminator_loss_least_squares(real, fake)),
                               0.5 * ((real - 1) ** 2).mean() + 0.5 * (fake ** 2).mean(), rtol=1e-6)
    np.testing.assert_allclose(float(generator_loss_least_squares(fake)), 0.5 * ((fake - 1) ** 2).mean(), rtol=1e-6)
    assert float(discriminator_loss_least_squares(np.ones(4), np.zeros(4))) == 0.0
    # For a point with densities p_data, p_g, D's expected loss p_data (l-1)^2/2 + p_g l^2/2 is least
    # at l* = p_data / (p_data + p_g) (Mao et al. 2017): check on a grid.
    p_data, p_g = 0.3, 0.6
    grid = np.linspace(-1, 2, 3001)
    expected = p_data * 0.5 * (grid - 1) ** 2 + p_g * 0.5 * grid ** 2
    assert abs(grid[expected.argmin()] - p_data / (p_data + p_g)) < 1e-3


def test_wasserstein_losses_are_mean_differences():
    from ganlib.losses import critic_loss_wasserstein, generator_loss_wasserstein

    real, fake = np.array([1.0, 3.0], np.float32), np.array([-2.0, 0.0], np.float32)
    assert float(critic_loss_wasserstein(real, fake)) == pytest.approx(-1.0 - 2.0)
    assert float(generator_loss_wasserstein(fake)) == pytest.approx(1.0)
    # Logit gradients: -1/N for every fake (G raises every score alike).
    np.testing.assert_allclose(losses.logit_gradients(generator_loss_wasserstein, fake), [-1.0, -1.0])


def test_gradient_penalty_of_a_linear_critic_is_its_closed_form():
    """For f(x) = <w, x> the input gradient is w everywhere: GP = (|w| - 1)^2, R1 = |w|^2."""
    import tensorflow as tf

    from ganlib.losses import gradient_penalty, r1_penalty

    rng = np.random.default_rng(0)
    w = tf.constant(rng.standard_normal((28, 28, 1)).astype(np.float32))
    x = tf.constant(rng.standard_normal((5, 28, 28, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        tape.watch(x)
        total = tf.reduce_sum(tf.reduce_sum(x * w, axis=[1, 2, 3]))
    gradients = tape.gradient(total, x)
    norm = float(tf.norm(w))
    assert float(gradient_penalty(gradients)) == pytest.approx((norm - 1.0) ** 2, rel=1e-5)
    assert float(r1_penalty(gradients)) == pytest.approx(norm ** 2, rel=1e-5)
    unit = tf.ones((3, 4)) / 2.0  # rows of norm 1: no penalty
    assert float(gradient_penalty(unit)) == pytest.approx(0.0, abs=1e-6)
    mixed = tf.constant([[3.0, 4.0], [0.0, 0.0]])  # norms 5 and 0: ((5-1)^2 + (0-1)^2) / 2
    assert float(gradient_penalty(mixed)) == pytest.approx(8.5, rel=1e-5)
    assert float(r1_penalty(mixed)) == pytest.approx(12.5, rel=1e-6)


def test_one_sided_label_smoothing_is_cross_entropy_with_target_one_minus_s():
    real, fake = np.array([[1.5], [-0.5]], "float32"), np.array([[0.3], [-2.0]], "float32")
    s = 0.1
    bce = keras.losses.BinaryCrossentropy(from_logits=True)
    expected = float(bce(np.full((2, 1), 1 - s), real)) + float(bce(np.zeros((2, 1)), fake))
    assert float(losses.discriminator_loss_smoothed(real, fake, s)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.discriminator_loss_smoothed(real, fake, 0.0)) == pytest.approx(
        float(losses.discriminator_loss(real, fake)), rel=1e-6)


def test_smoothed_optimum_stops_at_one_minus_s():
    # For one real logit l the loss -(1-s) log sigmoid(l) - s log(1 - sigmoid(l)) is least at sigmoid(l) = 1 - s.
    logits = np.linspace(-6, 6, 2001, dtype="float32")[:, None]
    per_logit = [float(losses.discriminator_loss_smoothed(l[None], np.full((1, 1), -50.0, "float32"), 0.2))
                 for l in logits]
    best = logits[int(np.argmin(per_logit)), 0]
    assert 1 / (1 + np.exp(-best)) == pytest.approx(0.8, abs=0.005)


def test_get_loss_smoothing_only_for_cross_entropy():
    smoothed = losses.get_loss("ns", label_smoothing=0.1)
    real, fake = np.ones((3, 1), "float32"), np.zeros((3, 1), "float32")
    assert float(smoothed.d(real, fake)) == pytest.approx(float(losses.discriminator_loss_smoothed(real, fake, 0.1)))
    assert losses.get_loss("ns", 0.0) is losses.LOSSES["non-saturating"]
    with pytest.raises(ValueError, match="hinge loss has none"):
        losses.get_loss("hinge", label_smoothing=0.1)
    with pytest.raises(ValueError, match=r"\[0, 0.5\)"):
        losses.get_loss("ns", label_smoothing=0.7)


def test_feature_matching_is_the_squared_distance_of_the_means():
    rng = np.random.default_rng(0)
    real, fake = rng.normal(size=(8, 5)).astype("float32"), rng.normal(size=(6, 5)).astype("float32")
    expected = np.sum((real.mean(0) - fake.mean(0)) ** 2)
    assert float(losses.feature_matching_loss(real, fake)) == pytest.approx(expected, rel=1e-5)
    assert float(losses.feature_matching_loss(real, real[::-1])) == pytest.approx(0.0, abs=1e-6)  # order-free
