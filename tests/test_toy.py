"""The 2-D toy GAN: the ring data, the coverage measure (closed cases) and that training learns the ring."""

import numpy as np
import pytest

from ganlib import toy


def test_ring_centers_lie_on_the_circle_evenly_spaced():
    centers = toy.ring_centers(8, radius=2.0)
    assert centers.shape == (8, 2)
    np.testing.assert_allclose(np.linalg.norm(centers, axis=1), 2.0, rtol=1e-6)
    np.testing.assert_allclose(centers[0], [2.0, 0.0], atol=1e-6)
    np.testing.assert_allclose(centers[2], [0.0, 2.0], atol=1e-6)  # a quarter turn
    gaps = np.linalg.norm(np.diff(centers, axis=0), axis=1)
    np.testing.assert_allclose(gaps, 2 * 2.0 * np.sin(np.pi / 8), rtol=1e-5)


def test_ring_of_gaussians_is_seeded_and_near_the_centres():
    a = toy.ring_of_gaussians(4000, std=0.02, seed=3)
    assert a.shape == (4000, 2) and a.dtype == np.float32
    np.testing.assert_array_equal(a, toy.ring_of_gaussians(4000, std=0.02, seed=3))
    assert not np.array_equal(a, toy.ring_of_gaussians(4000, std=0.02, seed=4))
    coverage = toy.mode_coverage(a, toy.ring_centers(), std=0.02)
    assert coverage["modes"] == 8
    # The share of a 2-D Gaussian within 3 std is 1 - exp(-9/2) = 0.9889.
    assert coverage["high_quality"] == pytest.approx(1 - np.exp(-4.5), abs=0.01)
    assert coverage["counts"].sum() / 4000 == pytest.approx(coverage["high_quality"])


def test_mode_coverage_counts_a_collapsed_generator_as_one_mode():
    centers = toy.ring_centers()
    collapsed = np.repeat(centers[:1], 1000, axis=0)
    coverage = toy.mode_coverage(collapsed, centers, std=0.02)
    assert coverage["modes"] == 1 and coverage["high_quality"] == 1.0
    assert coverage["counts"].tolist() == [1000] + [0] * 7
    off_ring = np.zeros((100, 2))  # the centre of the circle is far from every mode
    coverage = toy.mode_coverage(off_ring, centers, std=0.02)
    assert coverage["modes"] == 0 and coverage["high_quality"] == 0.0 and coverage["counts"].sum() == 0


def test_a_mode_needs_its_minimum_share():
    centers = toy.ring_centers(2, radius=1.0)
    samples = np.concatenate([np.repeat(centers[:1], 99, axis=0), centers[1:]])  # 99 + 1
    assert toy.mode_coverage(samples, centers, std=0.1)["modes"] == 1  # 1% < 1/8
    assert toy.mode_coverage(samples, centers, std=0.1, min_share=0.01)["modes"] == 2


@pytest.mark.parametrize("call, message", [
    (lambda: toy.ring_of_gaussians(0), "positive integer"),
    (lambda: toy.ring_of_gaussians(10, std=0), "std must be positive"),
    (lambda: toy.ring_centers(0), "modes must be a positive integer"),
    (lambda: toy.mode_coverage(np.zeros((5, 3)), toy.ring_centers(), 0.02), "must agree"),
    (lambda: toy.make_toy_gan(learning_rate=0), "learning_rate must be positive"),
    (lambda: toy.make_toy_gan(loss="wasserstein"), "choose one of"),
])
def test_bad_arguments_are_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_train_toy_refuses_bad_steps_and_data():
    gan = toy.make_toy_gan(hidden=8)
    with pytest.raises(ValueError, match="steps must be a positive integer"):
        toy.train_toy(gan, toy.ring_of_gaussians(512), 0)
    with pytest.raises(ValueError, match=r"shape \(100, 2\)"):
        toy.train_toy(gan, toy.ring_of_gaussians(100), 10)


def test_training_moves_the_samples_onto_the_ring():
    data = toy.ring_of_gaussians(10000, seed=0)
    gan = toy.make_toy_gan(seed=0)

    def distance_to_ring():
        samples = toy.toy_samples(gan.generator, 2000, seed=1)
        return np.abs(np.linalg.norm(samples, axis=1) - 2.0).mean()

    before = distance_to_ring()
    history = toy.train_toy(gan, data, 1500, seed=0)
    after = distance_to_ring()
    assert set(history.values) == set(toy.TOY_METRICS)
    assert all(len(v) == 1500 and np.isfinite(v).all() for v in history.values.values())
    assert before > 1.0  # at initialisation G's outputs sit near the origin
    assert after < 0.35 * before
    coverage = toy.mode_coverage(toy.toy_samples(gan.generator, 2000, seed=1), toy.ring_centers(), 0.02)
    assert coverage["modes"] >= 2 and coverage["high_quality"] > 0.1


def test_the_same_seed_trains_the_same_toy_gan():
    data = toy.ring_of_gaussians(2000, seed=0)
    runs = []
    for _ in range(2):
        gan = toy.make_toy_gan(hidden=16, seed=5)
        toy.train_toy(gan, data, 30, seed=5)
        runs.append(toy.toy_samples(gan.generator, 100))
    np.testing.assert_array_equal(runs[0], runs[1])


def test_step_history_refuses_models_that_report_every_nth_step():
    import keras
    import tensorflow as tf

    from ganlib.callbacks import StepHistory

    gan = toy.make_toy_gan(hidden=8)
    gan.compile(d_optimizer=keras.optimizers.Adam(1e-3), g_optimizer=keras.optimizers.Adam(1e-3),
                steps_per_execution=4)
    batches = tf.data.Dataset.from_tensor_slices(toy.ring_of_gaussians(512)).batch(256).repeat()
    with pytest.raises(ValueError, match="steps_per_execution=4"):
        gan.fit(batches, steps_per_epoch=8, epochs=1, verbose=0, callbacks=[StepHistory(names=toy.TOY_METRICS)])
