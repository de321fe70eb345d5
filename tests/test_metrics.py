import math

import numpy as np
import pytest

from ganlib import metrics
from ganlib.errors import DataError


def test_frechet_distance_closed_forms():
    # Identical Gaussians: 0.
    sigma = np.array([[2.0, 0.3], [0.3, 1.0]])
    assert metrics.frechet_distance([1, 2], sigma, [1, 2], sigma) == pytest.approx(0, abs=1e-9)
    # 1-D: (m1 - m2)^2 + (s1 - s2)^2.
    assert metrics.frechet_distance([0.0], [[4.0]], [3.0], [[1.0]]) == pytest.approx(9 + 1)
    # Diagonal covariances: sum of squared mean differences + sum (sqrt(a) - sqrt(b))^2.
    a, b = np.array([1.0, 4.0, 9.0]), np.array([4.0, 4.0, 1.0])
    means = (1 - 0) ** 2 + (1 - 1) ** 2 + (1 - 2) ** 2
    spreads = (1 - 2) ** 2 + (2 - 2) ** 2 + (3 - 1) ** 2
    assert metrics.frechet_distance([1, 1, 1], np.diag(a), [0, 1, 2], np.diag(b)) == pytest.approx(means + spreads)
    with pytest.raises(ValueError, match="shapes do not match"):
        metrics.frechet_distance([0, 0], np.eye(2), [0], np.eye(1))


def test_fid_of_a_set_with_itself_is_zero_and_of_two_gaussians_is_the_closed_form():
    rng = np.random.default_rng(0)
    features = rng.normal(size=(5000, 4))
    assert metrics.fid(features, features) == pytest.approx(0, abs=1e-8)
    shifted = rng.normal(loc=1.0, scale=2.0, size=(200_000, 4))
    standard = rng.normal(size=(200_000, 4))
    # Closed form per dimension: 1^2 + (2 - 1)^2, four dimensions.
    assert metrics.fid(shifted, standard) == pytest.approx(8.0, rel=0.02)
    with pytest.raises(DataError, match="N >= 2"):
        metrics.fid(features[:1], features)


def test_batch_averaged_fid_is_inflated():
    """Why metrics are computed in one pass: the mean FID of small batches is far larger."""
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4000, 16)), rng.normal(size=(4000, 16))
    whole = metrics.fid(a, b)
    batched = np.mean([metrics.fid(a[i:i + 100], b[i:i + 100]) for i in range(0, 4000, 100)])
    assert whole < 0.2 and batched > 10 * whole


def one_hot(classes, n_classes=10):
    return np.eye(n_classes)[classes]


def test_classifier_score_bounds():
    assert metrics.classifier_score(one_hot(np.arange(1000) % 10)) == pytest.approx(10)
    assert metrics.classifier_score(one_hot(np.zeros(50, int))) == pytest.approx(1)
    assert metrics.classifier_score(np.full((50, 10), 0.1)) == pytest.approx(1)
    # Two equally used classes, each predicted with certainty: exp(log 2) = 2.
    assert metrics.classifier_score(one_hot(np.arange(10) % 2)) == pytest.approx(2)
    with pytest.raises(DataError, match="sum to 1"):
        metrics.classifier_score(np.ones((3, 10)))


def test_histogram_kl_and_confidence():
    probabilities = one_hot(np.array([0, 0, 1, 2]), 4)
    np.testing.assert_allclose(metrics.class_histogram(probabilities), [0.5, 0.25, 0.25, 0])
    assert metrics.kl_to_uniform(np.full(10, 0.1)) == pytest.approx(0)
    assert metrics.kl_to_uniform(one_hot(3)) == pytest.approx(math.log(10))
    h = np.array([0.5, 0.25, 0.25, 0.0])
    assert metrics.kl_to_uniform(h) == pytest.approx(0.5 * math.log(2) + 0.5 * math.log(1))
    soft = np.array([[0.95, 0.05], [0.6, 0.4], [0.1, 0.9]])
    assert metrics.confident_share(soft, threshold=0.9) == pytest.approx(2 / 3)


def test_precision_recall_detect_realism_and_coverage():
    rng = np.random.default_rng(2)
    real = rng.normal(size=(1000, 2))
    assert metrics.precision_recall(real, real) == (1.0, 1.0)
    far = rng.normal(loc=50, size=(1000, 2))
    assert metrics.precision_recall(real, far) == (0.0, 0.0)
    # Mode collapse: all fakes near one real point are realistic (precision ~1) but cover little.
    collapsed = real[0] + 0.01 * rng.normal(size=(1000, 2))
    precision, recall = metrics.precision_recall(real, collapsed)
    assert precision > 0.95 and recall < 0.05
    # Blocked computation gives the same answer as one block.
    fake = rng.normal(scale=1.3, size=(700, 2))
    assert metrics.precision_recall(real, fake, block=64) == metrics.precision_recall(real, fake, block=5000)
    with pytest.raises(DataError, match="same D"):
        metrics.precision_recall(real, rng.normal(size=(10, 3)))


def test_singular_covariances_are_regularised_without_warnings():
    import warnings

    rng = np.random.default_rng(3)
    features = np.concatenate([rng.normal(size=(500, 3)), np.zeros((500, 2))], axis=1)  # two dead units
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert metrics.fid(features, features) == pytest.approx(0, abs=1e-4)
        shifted = features + np.array([1.0, 0, 0, 0, 0])
        assert metrics.fid(shifted, features) == pytest.approx(1.0, abs=1e-3)


def test_pairwise_sq_distances_and_knn_radii_closed_forms():
    points = np.array([[0.0], [1.0], [3.0], [7.0]])
    distances = metrics.pairwise_sq_distances(points, points)
    np.testing.assert_allclose(distances, (points - points.T) ** 2)
    # Nearest neighbours (itself excluded): 0 -> 1 (1), 1 -> 0 (1), 3 -> 1 (4), 7 -> 3 (16).
    np.testing.assert_allclose(metrics.knn_radii(points, k=1, block=3), [1.0, 1.0, 4.0, 16.0])
    # Second nearest: 0 -> 3 (9), 1 -> 3 (4), 3 -> 0 (9), 7 -> 1 (36); blocks do not change it.
    np.testing.assert_allclose(metrics.knn_radii(points, k=2, block=1), [9.0, 4.0, 9.0, 36.0])


def test_nearest_neighbours_finds_copies_and_measures_pixels():
    rng = np.random.default_rng(0)
    train = rng.integers(0, 256, (50, 28, 28)).astype(np.uint8)
    distances, indices = metrics.nearest_neighbours(train[[7, 3]], train)
    assert list(indices) == [7, 3] and np.allclose(distances, 0.0, atol=1e-5)  # |a|^2 + |b|^2 - 2ab cancels
    shifted = train[:1].astype(np.int64)
    shifted[0, 0, 0] = 255 - shifted[0, 0, 0]  # one pixel changed: distance |delta| / 255
    distance, _ = metrics.nearest_neighbours(shifted.astype(np.uint8), train[:1])
    assert distance[0] == pytest.approx(abs(255 - 2 * int(train[0, 0, 0])) / 255.0, abs=1e-5)


def test_memorisation_tells_copies_from_novel_images():
    rng = np.random.default_rng(1)
    train = rng.normal(size=(400, 20))
    test = rng.normal(size=(200, 20))
    novel = metrics.memorisation(rng.normal(size=(200, 20)), train, test)
    copies = metrics.memorisation(train[:200] + 0.01 * rng.normal(size=(200, 20)), train, test)
    assert 0.85 < novel["ratio"] < 1.15 and novel["share_closer_than_test_1pct"] < 0.05
    assert copies["ratio"] < 0.05 and copies["share_closer_than_test_1pct"] == 1.0
