"""Fixes for mode collapse (ganlib.stability): the layers' closed forms, the variants, coverage over time."""

import keras
import numpy as np
import pytest

from ganlib import stability, toy


def test_pack_puts_m_consecutive_samples_side_by_side():
    x = np.arange(12, dtype=np.float32).reshape(6, 2)
    packed = np.asarray(stability.Pack(3)(x))
    assert packed.shape == (2, 6)
    np.testing.assert_array_equal(packed[0], [0, 1, 2, 3, 4, 5])
    np.testing.assert_array_equal(packed[1], [6, 7, 8, 9, 10, 11])
    np.testing.assert_array_equal(np.asarray(stability.Pack(1)(x)), x)


def test_minibatch_std_appends_the_mean_feature_spread_of_each_group():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(8, 5)).astype(np.float32)
    out = np.asarray(stability.MinibatchStdDev(group_size=4)(x))
    assert out.shape == (8, 6)
    np.testing.assert_array_equal(out[:, :5], x)
    for group in (slice(0, 4), slice(4, 8)):
        expected = x[group].std(axis=0).mean()  # population std over the group, averaged over features
        np.testing.assert_allclose(out[group, 5], expected, rtol=1e-4)
    assert out[0, 5] != pytest.approx(out[4, 5])  # each group gets its own spread


def test_minibatch_std_of_identical_samples_is_near_zero():
    x = np.ones((4, 3), np.float32)
    out = np.asarray(stability.MinibatchStdDev(group_size=2)(x))
    np.testing.assert_allclose(out[:, 3], 1e-4, rtol=1e-3)  # sqrt(0 + eps), eps = 1e-8


@pytest.mark.parametrize("kwargs, logits", [
    ({}, 16), ({"pack": 4}, 4), ({"minibatch_std": 4}, 16), ({"spectral_norm": True}, 16),
])
def test_toy_discriminator_variants_give_one_logit_per_sample_or_pack(kwargs, logits):
    discriminator = stability.make_toy_discriminator(hidden=8, **kwargs)
    out = discriminator(np.zeros((16, 2), np.float32))
    assert tuple(out.shape) == (logits, 1)


def test_spectral_norm_bounds_each_layers_largest_singular_value():
    keras.utils.set_random_seed(0)
    discriminator = stability.make_toy_discriminator(hidden=32, spectral_norm=True)
    x = np.random.default_rng(0).normal(size=(64, 2)).astype(np.float32)
    for _ in range(20):  # each training-mode call takes one power-iteration step
        discriminator(x, training=True)
    wrapped = [layer for layer in discriminator.layers if isinstance(layer, keras.layers.SpectralNormalization)]
    assert len(wrapped) == 3
    for layer in wrapped:
        sigma = np.linalg.svd(np.asarray(layer.layer.kernel), compute_uv=False)[0]
        assert sigma == pytest.approx(1.0, abs=0.05)


def test_variants_share_the_generator_and_differ_where_they_should():
    plain = stability.make_toy_variant("plain", seed=3, hidden=8)
    ttur = stability.make_toy_variant("ttur", seed=3, hidden=8, learning_rate=1e-3, ttur=(4.0, 0.25))
    assert plain.generator_ema is None
    hinge = stability.make_toy_variant("hinge", seed=3, hidden=8)
    for a, b in zip(plain.generator.get_weights(), ttur.generator.get_weights()):
        np.testing.assert_array_equal(a, b)
    assert float(ttur.d_optimizer.learning_rate) == pytest.approx(4e-3)
    assert float(ttur.g_optimizer.learning_rate) == pytest.approx(2.5e-4)
    assert float(plain.d_optimizer.learning_rate) == pytest.approx(1e-3)
    assert plain.loss_pair.name == "non-saturating" and hinge.loss_pair.name == "hinge"
    packed = stability.make_toy_variant("pacgan", seed=3, hidden=8, pack=2)
    assert isinstance(packed.discriminator.layers[0], stability.Pack)


def test_coverage_over_time_records_each_checkpoint_for_generator_and_average():
    data = toy.ring_of_gaussians(1024, seed=0)
    gan = stability.make_toy_variant("pacgan", seed=0, hidden=16, ema_decay=0.99, steps_per_execution=10)
    result = stability.coverage_over_time(gan, data, 40, 20, batch_size=128, n_samples=500)
    assert result["steps"].tolist() == [20, 40]
    assert set(result) == {"steps", "generator", "average"}
    for name in ("generator", "average"):
        assert result[name]["modes"].shape == (2,) and result[name]["high_quality"].shape == (2,)
        assert result[name]["counts"].shape == (2, 8)
        assert (result[name]["counts"].sum(axis=1) <= 500).all()
        np.testing.assert_array_equal(result[name]["covered"].sum(axis=1), result[name]["modes"])
    assert int(gan.g_optimizer.iterations) == 40
    last = toy.mode_coverage(toy.toy_samples(gan.generator, 500, seed=1), toy.ring_centers(), 0.02)
    np.testing.assert_array_equal(result["generator"]["counts"][-1], last["counts"])
    plain = stability.make_toy_variant("plain", seed=0, hidden=16)
    assert set(stability.coverage_over_time(plain, data, 20, 20, batch_size=128, n_samples=100)) == {
        "steps", "generator"}


def test_summarise_coverage_counts_changes_of_the_covered_set():
    def run(modes_sets, hq):
        covered = np.zeros((len(modes_sets), 8), bool)
        for row, modes in enumerate(modes_sets):
            covered[row, list(modes)] = True
        return {"generator": {"modes": covered.sum(axis=1), "high_quality": np.asarray(hq), "covered": covered}}

    hopping = run([{0}, {1}, {0, 1}, {2, 3}, {4, 5}, {4, 5}], [0.1, 0.2, 0.3, 0.4, 0.5, 0.6])
    settled = run([{0}, {0, 1}, set(range(8)), set(range(8)), set(range(8)), set(range(8))], [0.0] * 5 + [0.8])
    summary = stability.summarise_coverage([hopping, settled])
    # second half = the last 3 checkpoints; hopping changes once ({2,3} -> {4,5}), settled never
    assert summary["changes"] == (0.5, 0.5)
    assert summary["modes"] == (5.0, 3.0)          # final 2 and 8
    assert summary["late_modes"] == (5.0, 3.0)     # (2 + 2 + 2) / 3 and 8
    assert summary["high_quality"][0] == pytest.approx(0.7)
    with pytest.raises(ValueError, match="average"):
        stability.summarise_coverage([hopping], network="average")


def test_steps_per_execution_does_not_change_training():
    data = toy.ring_of_gaussians(1024, seed=0)
    samples = []
    for k in (1, 10):
        gan = stability.make_toy_variant("plain", seed=2, hidden=16, steps_per_execution=k)
        stability.coverage_over_time(gan, data, 30, 30, batch_size=128, n_samples=10)
        samples.append(toy.toy_samples(gan.generator, 50))
    np.testing.assert_allclose(samples[0], samples[1], rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda: stability.Pack(0), "pack size"),
    (lambda: stability.MinibatchStdDev(1), "group_size"),
    (lambda: stability.make_toy_variant("unrolled"), "variant must be one of"),
    (lambda: stability.coverage_over_time(None, None, 30, 20), "multiple"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_dcgan_pair_at_28_is_the_library_pair():
    from ganlib import model

    keras.utils.set_random_seed(0)
    generator, discriminator = stability.make_dcgan_pair(28, width=8, latent_dim=10)
    assert generator.count_params() == model.make_generator(10, 8).count_params()
    assert discriminator.count_params() == model.make_discriminator(8).count_params()


@pytest.mark.parametrize("resolution", [28, 56, 112])
def test_dcgan_pair_shapes_and_costs_grow_with_resolution(resolution):
    generator, discriminator = stability.make_dcgan_pair(resolution, width=8, latent_dim=10)
    images = generator(np.zeros((2, 10), np.float32))
    assert tuple(images.shape) == (2, resolution, resolution, 1)
    assert tuple(discriminator(images).shape) == (2, 1)
    if resolution > 28:  # one more block of 8 channels, 5x5 kernels, and the outer layers at twice the size
        smaller_g, smaller_d = stability.make_dcgan_pair(resolution // 2, width=8, latent_dim=10)
        h = resolution // 4  # the new block's input side in G, and its output side in D
        block = h * h * 8 * 25 * 8
        outer = ((2 * h) ** 2 - h ** 2) * 25 * 8  # G's last layer (8 -> 1 channel) and D's first (1 -> 8)
        assert stability.multiply_adds(generator) - stability.multiply_adds(smaller_g) == block + outer
        assert stability.multiply_adds(discriminator) - stability.multiply_adds(smaller_d) == block + outer


def test_multiply_adds_closed_forms():
    dense = keras.Sequential([keras.Input((3,)), keras.layers.Dense(5)])
    assert stability.multiply_adds(dense) == 15
    conv = keras.Sequential([keras.Input((8, 8, 2)), keras.layers.Conv2D(4, 3, strides=2, padding="same")])
    assert stability.multiply_adds(conv) == 4 * 4 * 4 * 9 * 2
    transposed = keras.Sequential([keras.Input((4, 4, 2)),
                                   keras.layers.Conv2DTranspose(3, 5, strides=2, padding="same")])
    assert stability.multiply_adds(transposed) == 4 * 4 * 2 * 25 * 3


def test_fade_in_blends_the_upsampled_old_stage_into_the_new():
    low = np.arange(4, dtype=np.float32).reshape(1, 2, 2, 1)
    high = np.full((1, 4, 4, 1), 10.0, np.float32)
    up = np.asarray(stability.upsample(low))
    np.testing.assert_array_equal(up[0, :, :, 0], [[0, 0, 1, 1], [0, 0, 1, 1], [2, 2, 3, 3], [2, 2, 3, 3]])
    np.testing.assert_array_equal(np.asarray(stability.fade_in(low, high, 0.0)), up)
    np.testing.assert_array_equal(np.asarray(stability.fade_in(low, high, 1.0)), high)
    np.testing.assert_allclose(np.asarray(stability.fade_in(low, high, 0.25)), 0.75 * up + 2.5)
    np.testing.assert_allclose(np.asarray(stability.downsample(up)), low)
    with pytest.raises(ValueError, match="alpha"):
        stability.fade_in(low, high, 1.5)
