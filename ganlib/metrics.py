"""Sample-quality metrics for MNIST GANs, as small pure functions on numpy arrays.

Features and class probabilities come from the evaluator (:mod:`ganlib.evaluator`). Every
score is computed on *all* samples in one pass: a Frechet distance averaged over mini-batches
is not the Frechet distance of the sets, and is much larger (the covariance of a small batch
is a poor estimate). :func:`evaluate` scores 10,000 samples against the 10,000 MNIST test
images by default and reports the same scores for real data (training images against the
test images) as the reference to read them against.
"""

from __future__ import annotations

import warnings

import numpy as np
from scipy import linalg

from ganlib.errors import DataError


def frechet_distance(mu1, sigma1, mu2, sigma2) -> float:
    """Frechet distance of two Gaussians N(mu1, sigma1), N(mu2, sigma2):

        d^2 = ||mu1 - mu2||^2 + Tr(sigma1 + sigma2 - 2 (sigma1 sigma2)^{1/2})

    (Dowson and Landau 1982; used as FID by Heusel et al. 2017). The matrix square root is
    ``scipy.linalg.sqrtm``; its tiny imaginary part from round-off is dropped.
    """
    mu1, mu2 = np.atleast_1d(np.asarray(mu1, np.float64)), np.atleast_1d(np.asarray(mu2, np.float64))
    sigma1, sigma2 = np.atleast_2d(np.asarray(sigma1, np.float64)), np.atleast_2d(np.asarray(sigma2, np.float64))
    if mu1.shape != mu2.shape or sigma1.shape != sigma2.shape or sigma1.shape != (len(mu1), len(mu1)):
        raise ValueError(f"shapes do not match: mu {mu1.shape} vs {mu2.shape}, sigma {sigma1.shape} vs {sigma2.shape}")
    with warnings.catch_warnings():
        warnings.simplefilter("error", linalg.LinAlgWarning)
        try:
            covmean = linalg.sqrtm(sigma1 @ sigma2)
            singular = not np.isfinite(covmean).all()
        except linalg.LinAlgWarning:
            singular = True
    if singular:
        # Dead feature units make the covariances singular; regularise as Heusel et al.'s
        # reference implementation does.
        offset = np.eye(len(mu1)) * 1e-6
        covmean = linalg.sqrtm((sigma1 + offset) @ (sigma2 + offset))
    covmean = np.real(covmean)
    diff = mu1 - mu2
    return float(max(diff @ diff + np.trace(sigma1) + np.trace(sigma2) - 2.0 * np.trace(covmean), 0.0))


def gaussian_moments(features) -> tuple[np.ndarray, np.ndarray]:
    """Mean (D,) and covariance (D, D) of features (N, D), N >= 2."""
    features = np.asarray(features, np.float64)
    if features.ndim != 2 or len(features) < 2:
        raise DataError(f"need features of shape (N, D) with N >= 2, got {features.shape}")
    return features.mean(axis=0), np.cov(features, rowvar=False)


def fid(features_a, features_b) -> float:
    """FID: the Frechet distance of Gaussians fitted to two feature sets (all rows at once)."""
    return frechet_distance(*gaussian_moments(features_a), *gaussian_moments(features_b))


def _check_probabilities(probabilities) -> np.ndarray:
    probabilities = np.asarray(probabilities, np.float64)
    if probabilities.ndim != 2 or len(probabilities) == 0:
        raise DataError(f"need class probabilities of shape (N, classes), got {probabilities.shape}")
    if not np.allclose(probabilities.sum(axis=1), 1.0, atol=1e-4) or probabilities.min() < 0:
        raise DataError("each row of class probabilities must be non-negative and sum to 1 (apply softmax)")
    return probabilities


def classifier_score(probabilities) -> float:
    """The Inception-score form on the evaluator's softmax (Salimans et al. 2016):

        CS = exp( E_x [ KL( p(y|x) || p(y) ) ] ),   p(y) = E_x p(y|x).

    Between 1 (every sample gets the same prediction) and the number of classes (confident
    predictions, classes used equally).
    """
    p = _check_probabilities(probabilities)
    marginal = p.mean(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        kl = np.where(p > 0, p * (np.log(p) - np.log(marginal)), 0.0).sum(axis=1)
    return float(np.exp(kl.mean()))


def class_histogram(probabilities) -> np.ndarray:
    """Share of samples assigned to each class (argmax of the probabilities); sums to 1."""
    p = _check_probabilities(probabilities)
    return np.bincount(p.argmax(axis=1), minlength=p.shape[1]) / len(p)


def kl_to_uniform(histogram) -> float:
    """KL(h || uniform) = sum_c h_c log(C h_c): 0 when all C classes are equally frequent."""
    h = np.asarray(histogram, np.float64)
    if h.ndim != 1 or not np.isclose(h.sum(), 1.0) or h.min() < 0:
        raise DataError("a histogram is a 1-D array of non-negative shares summing to 1")
    nonzero = h[h > 0]
    return float(np.sum(nonzero * np.log(len(h) * nonzero)))


def confident_share(probabilities, threshold: float = 0.9) -> float:
    """Share of samples whose top class probability is at least ``threshold``."""
    return float(np.mean(_check_probabilities(probabilities).max(axis=1) >= threshold))


def pairwise_sq_distances(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Squared Euclidean distances ``|a_i - b_j|^2 = |a_i|^2 + |b_j|^2 - 2 a_i . b_j``, shape (len(a), len(b))."""
    sq = (a * a).sum(1)[:, None] + (b * b).sum(1)[None, :] - 2.0 * a @ b.T
    return np.maximum(sq, 0.0)


def knn_radii(features: np.ndarray, k: int = 3, block: int = 1000) -> np.ndarray:
    """Squared distance of each point to its k-th nearest neighbour in the same set (itself excluded).

    These are the radii of the balls that :func:`precision_recall` puts around each point
    (Kynkaanniemi et al. 2019); ``block`` rows of distances are computed at a time.
    """
    radii = np.empty(len(features))
    for start in range(0, len(features), block):
        d = pairwise_sq_distances(features[start:start + block], features)
        radii[start:start + block] = np.partition(d, k, axis=1)[:, k]  # column 0 is the point itself
    return radii


def _coverage(queries: np.ndarray, support: np.ndarray, radii: np.ndarray, block: int) -> float:
    """Share of queries inside at least one support ball (centre support[j], squared radius radii[j])."""
    inside = np.zeros(len(queries), bool)
    for start in range(0, len(queries), block):
        d = pairwise_sq_distances(queries[start:start + block], support)
        inside[start:start + block] = (d <= radii[None, :]).any(axis=1)
    return float(inside.mean())


def nearest_neighbours(queries, references, block: int = 1000) -> tuple[np.ndarray, np.ndarray]:
    """For each query row, the Euclidean distance to its nearest reference row and that row's index:
    ``(distances (N,), indices (N,))``, ``block`` queries at a time.  Rows are flattened, so uint8
    digits (N, 28, 28) compare pixel by pixel (as floats in [0, 1])."""
    def rows(a):
        a = np.asarray(a)
        a = a.astype(np.float64) / 255.0 if a.dtype == np.uint8 else a.astype(np.float64)
        return a.reshape(len(a), -1)

    queries, references = rows(queries), rows(references)
    distances, indices = np.empty(len(queries)), np.empty(len(queries), np.int64)
    for start in range(0, len(queries), block):
        d = pairwise_sq_distances(queries[start:start + block], references)
        indices[start:start + block] = d.argmin(axis=1)
        distances[start:start + block] = np.sqrt(d[np.arange(len(d)), indices[start:start + block]])
    return distances, indices


def memorisation(samples, train, test) -> dict:
    """Does a generator copy its training images?  Compare how close its samples come to the
    training set with how close *unseen* real images (``test``) come to it.

    If G memorised, its samples sit much nearer their nearest training image than test images do
    (a copy is at distance 0).  Returns the median nearest-training distances of samples and of
    test images, their ratio (near 1 or above: no sign of copying; far below 1: copying), and the
    share of samples nearer their training neighbour than the closest 1% of test images are
    (about 0.01 if samples are as novel as test images).
    """
    sample_distances, sample_indices = nearest_neighbours(samples, train)
    test_distances, _ = nearest_neighbours(test, train)
    threshold = np.quantile(test_distances, 0.01)
    return {"sample_median": float(np.median(sample_distances)), "test_median": float(np.median(test_distances)),
            "ratio": float(np.median(sample_distances) / np.median(test_distances)),
            "share_closer_than_test_1pct": float(np.mean(sample_distances < threshold)),
            "sample_distances": sample_distances, "test_distances": test_distances, "sample_indices": sample_indices}


def precision_recall(real_features, fake_features, k: int = 3, block: int = 1000) -> tuple[float, float]:
    """Improved precision and recall (Kynkaanniemi et al. 2019).

    Each set's manifold is the union of balls around its points, each ball reaching the
    point's k-th nearest neighbour in its own set. Precision is the share of fake points
    inside the real manifold (are samples realistic?); recall is the share of real points
    inside the fake manifold (is the data's variety covered?).
    """
    real = np.asarray(real_features, np.float64)
    fake = np.asarray(fake_features, np.float64)
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1] or min(len(real), len(fake)) <= k:
        raise DataError(f"need two feature sets (N, D) with the same D and N > k={k}, got {real.shape}, {fake.shape}")
    precision = _coverage(fake, real, knn_radii(real, k, block), block)
    recall = _coverage(real, fake, knn_radii(fake, k, block), block)
    return precision, recall


def scores(features, probabilities, reference_features) -> dict:
    """Every metric for one sample set against a reference set's features."""
    histogram = class_histogram(probabilities)
    precision, recall = precision_recall(reference_features, features)
    return {
        "fid": fid(features, reference_features),
        "classifier_score": classifier_score(probabilities),
        "kl_to_uniform": kl_to_uniform(histogram),
        "confident_share": confident_share(probabilities),
        "precision": precision,
        "recall": recall,
        "class_histogram": [round(float(share), 4) for share in histogram],
        "n": int(len(features)),
    }


def evaluate(samples, reference=None, real=None) -> dict:
    """Score uint8 digits (N, 28, 28) against MNIST test images, with the real-data reference.

    ``reference`` defaults to the 10,000 MNIST test images (from the full MNIST if found, else
    from the embedded subset, which holds them all); ``real`` defaults to as many MNIST training images as
    there are samples, scored the same way, so every figure has a real-data value beside it.
    """
    from ganlib.data import load_mnist
    from ganlib.evaluator import features_and_probabilities

    if reference is None or real is None:
        mnist = load_mnist()
        reference = mnist.test[0] if reference is None else reference
        real = mnist.train[0][: len(samples)] if real is None else real
    reference_features, _ = features_and_probabilities(reference)
    sample_features, sample_probabilities = features_and_probabilities(samples)
    real_features, real_probabilities = features_and_probabilities(real)
    return {
        "samples": scores(sample_features, sample_probabilities, reference_features),
        "real_data_reference": scores(real_features, real_probabilities, reference_features),
        "reference_images": int(len(reference)),
    }
