"""ganlib.theory against closed forms: KL and JSD, the optimal discriminator, C(G) = -log 4 + 2 JSD."""

import math

import numpy as np
import pytest
from scipy import stats

from ganlib import theory

LOG2 = math.log(2.0)


def random_distribution(rng, n, zeros=0):
    p = rng.random(n)
    p[rng.choice(n, zeros, replace=False)] = 0.0
    return p / p.sum()


def test_kl_of_two_bernoullis_matches_the_closed_form():
    a, b = 0.3, 0.6
    expected = a * math.log(a / b) + (1 - a) * math.log((1 - a) / (1 - b))
    assert theory.kl([a, 1 - a], [b, 1 - b]) == pytest.approx(expected, rel=1e-12)
    assert theory.kl([b, 1 - b], [a, 1 - a]) != pytest.approx(expected, rel=1e-3)  # not symmetric


def test_kl_of_uniform_against_a_point_mass_is_infinite_and_the_other_way_log_n():
    uniform, point = np.full(4, 0.25), np.array([1.0, 0.0, 0.0, 0.0])
    assert theory.kl(uniform, point) == math.inf  # q = 0 where p > 0
    assert theory.kl(point, uniform) == pytest.approx(math.log(4.0), rel=1e-12)  # 0 log 0 = 0


def test_kl_and_jsd_of_a_distribution_with_itself_are_zero():
    p = random_distribution(np.random.default_rng(0), 10, zeros=3)
    assert theory.kl(p, p) == pytest.approx(0.0, abs=1e-15)
    assert theory.jsd(p, p) == pytest.approx(0.0, abs=1e-15)


def test_jsd_is_log_2_for_disjoint_supports_however_far_apart():
    for gap in (1, 5, 50):
        p = np.zeros(100)
        q = np.zeros(100)
        p[0] = 1.0
        q[gap] = 1.0
        assert theory.jsd(p, q) == pytest.approx(LOG2, rel=1e-12)


def test_jsd_is_symmetric_and_bounded_by_0_and_log_2():
    rng = np.random.default_rng(1)
    for _ in range(200):
        p, q = random_distribution(rng, 6, zeros=2), random_distribution(rng, 6, zeros=2)
        value = theory.jsd(p, q)
        assert 0.0 < value < LOG2
        assert theory.jsd(q, p) == pytest.approx(value, rel=1e-12)


def test_jsd_of_two_bernoullis_matches_the_entropy_form():
    # JSD = H(m) - (H(p) + H(q)) / 2 with H the Shannon entropy.
    def entropy(r):
        return -sum(x * math.log(x) for x in r if x > 0)

    p, q = [0.1, 0.9], [0.7, 0.3]
    m = [(a + b) / 2 for a, b in zip(p, q)]
    assert theory.jsd(p, q) == pytest.approx(entropy(m) - (entropy(p) + entropy(q)) / 2, rel=1e-12)


def test_optimal_discriminator_closed_cases():
    np.testing.assert_array_equal(theory.optimal_discriminator([0.2, 0.8], [0.2, 0.8]), [0.5, 0.5])  # p = q
    np.testing.assert_allclose(theory.optimal_discriminator([0.5, 0.5, 0.0, 0.0], [0.0, 0.25, 0.0, 0.75]),
                               [1.0, 2 / 3, 0.5, 0.0])  # only real: 1; only fake: 0; neither: 1/2
    # Works on density values that do not sum to 1.
    np.testing.assert_allclose(theory.optimal_discriminator([3.0], [1.0]), [0.75])


def test_value_function_closed_forms():
    p = np.array([0.25, 0.75])
    assert theory.value_function(np.full(2, 0.5), p, p) == pytest.approx(-math.log(4.0), rel=1e-12)
    assert theory.value_function([0.0, 0.5], [0.5, 0.5], p) == -math.inf  # log D(x) = -inf on real mass
    assert theory.value_function([1.0, 0.0], [1.0, 0.0], [0.0, 1.0]) == 0.0  # a perfect D on disjoint supports


def test_value_function_of_logits_agrees_and_stays_finite_where_sigmoid_rounds():
    rng = np.random.default_rng(4)
    p_data, p_g = random_distribution(rng, 6), random_distribution(rng, 6)
    logits = rng.normal(0.0, 3.0, 6)
    assert theory.value_function_of_logits(logits, p_data, p_g) == pytest.approx(
        theory.value_function(1.0 / (1.0 + np.exp(-logits)), p_data, p_g), rel=1e-12)
    big = np.array([40.0, -40.0])  # sigmoid rounds to exactly 1 and (in float32) 0
    value = theory.value_function_of_logits(big, [0.5, 0.5], [0.5, 0.5])
    assert value == pytest.approx(-0.5 * 40.0 - 0.5 * 40.0, rel=1e-12)  # each wrong half costs 40 nats
    assert theory.value_function(np.float32(1.0) / (1.0 + np.exp(-big.astype(np.float32))),
                                 [0.5, 0.5], [0.5, 0.5]) == -math.inf
    with pytest.raises(ValueError, match="logits must be finite"):
        theory.value_function_of_logits([np.inf, 0.0], [0.5, 0.5], [0.5, 0.5])


def test_no_discriminator_beats_the_optimal_one():
    rng = np.random.default_rng(2)
    p_data, p_g = random_distribution(rng, 8, zeros=1), random_distribution(rng, 8, zeros=2)
    best = theory.value_function(theory.optimal_discriminator(p_data, p_g), p_data, p_g)
    for _ in range(1000):
        assert theory.value_function(rng.random(8), p_data, p_g) < best


def test_virtual_training_criterion_is_minus_log_4_plus_twice_the_jsd():
    rng = np.random.default_rng(3)
    for _ in range(100):
        p_data, p_g = random_distribution(rng, 7, zeros=2), random_distribution(rng, 7, zeros=2)
        assert theory.virtual_training_criterion(p_data, p_g) == pytest.approx(
            -math.log(4.0) + 2 * theory.jsd(p_data, p_g), abs=1e-12)
        d_star = theory.optimal_discriminator(p_data, p_g)
        assert theory.virtual_training_criterion(p_data, p_g) == pytest.approx(
            theory.value_function(d_star, p_data, p_g), abs=1e-12)
    p = random_distribution(rng, 7)
    assert theory.virtual_training_criterion(p, p) == pytest.approx(-math.log(4.0), abs=1e-15)
    # A fake probability so small that D* rounds to exactly 1 there: V(D*) hits log 0, C(G) does not.
    p_data, p_g = [0.5, 0.5], [1.0, 1e-20]
    assert theory.value_function(theory.optimal_discriminator(p_data, p_g), p_data, p_g) == -math.inf
    assert theory.virtual_training_criterion(p_data, p_g) == pytest.approx(
        -math.log(4.0) + 2 * theory.jsd(p_data, p_g), abs=1e-12)
    disjoint = theory.virtual_training_criterion([0.5, 0.5, 0.0], [0.0, 0.0, 1.0])
    assert disjoint == pytest.approx(0.0, abs=1e-15)  # -log 4 + 2 log 2


def test_gaussian_pdf_matches_scipy_and_integrates_to_one():
    x = np.linspace(-14, 16, 30001)  # 10 std either side
    density = theory.gaussian_pdf(x, 1.0, 1.5)
    np.testing.assert_allclose(density, stats.norm.pdf(x, 1.0, 1.5), rtol=1e-12)
    assert np.trapezoid(density, x) == pytest.approx(1.0, abs=1e-9)
    with pytest.raises(ValueError, match="std must be positive"):
        theory.gaussian_pdf(x, 0.0, 0.0)


@pytest.mark.parametrize("call, message", [
    (lambda: theory.kl([0.5, 0.6], [0.5, 0.5]), r"p sums to 1\.1, not 1; normalise it first: p / p.sum\(\)"),
    (lambda: theory.jsd([0.5, 0.5], [1.2, -0.2]), r"q has negative entries .* must be >= 0"),
    (lambda: theory.value_function([0.5, 0.5], [0.3, 0.3], [0.5, 0.5]), "p_data sums to 0.6"),
    (lambda: theory.value_function([0.5, 1.5], [0.5, 0.5], [0.5, 0.5]), "apply a sigmoid to logits"),
    (lambda: theory.virtual_training_criterion([1.0, 0.0], [0.5, 0.25, 0.25]), "same shape"),
    (lambda: theory.kl([], []), "empty"),
    (lambda: theory.jsd([np.nan, 1.0], [0.5, 0.5]), "NaN"),
    (lambda: theory.optimal_discriminator([-1.0], [1.0]), "non-negative"),
])
def test_bad_input_is_refused_with_the_fix(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_discriminator_trained_against_a_fixed_generator_approaches_d_star():
    import keras

    from ganlib.toy import make_mlp_discriminator

    keras.utils.set_random_seed(0)
    discriminator = make_mlp_discriminator(in_dim=1, hidden=32)
    grid = np.linspace(-1.0, 2.0, 61, dtype=np.float32)[:, None]
    d_star = theory.optimal_discriminator(theory.gaussian_pdf(grid, 0.0, 1.0), theory.gaussian_pdf(grid, 1.0, 0.5))

    def error(d):
        return float(np.abs(np.asarray(keras.ops.sigmoid(d(grid, training=False))) - d_star).mean())

    result = theory.fit_discriminator(
        discriminator,
        lambda n, rng: rng.normal(0.0, 1.0, (n, 1)),
        lambda n, rng: rng.normal(1.0, 0.5, (n, 1)),
        steps=400, probe=error, probe_at=(0, 400), seed=0)
    assert len(result["loss"]) == 400 and np.isfinite(result["loss"]).all()
    assert set(result["probes"]) == {0, 400}
    assert result["probes"][400] < 0.05 < result["probes"][0]
    # The loss estimates -V(D, G) >= -C(G) = log 4 - 2 JSD; near D* it is close to that bound.
    x = np.linspace(-12.0, 12.0, 240001)
    p_data, p_g = theory.gaussian_pdf(x, 0.0, 1.0), theory.gaussian_pdf(x, 1.0, 0.5)
    bound = -theory.virtual_training_criterion(p_data / p_data.sum(), p_g / p_g.sum())
    assert bound - 0.03 < result["loss"][-100:].mean() < bound + 0.05
    with pytest.raises(ValueError, match="steps must be a non-negative integer"):
        theory.fit_discriminator(discriminator, None, None, steps=-1)
