"""Moving through a generator's latent space, and measuring what changes.

The truncation trick's noise (:func:`truncated_normal`); interpolation between two noise vectors (:func:`lerp`, :func:`slerp`, :func:`interpolate`),
walks along one coordinate or an InfoGAN code (:func:`walk`, :func:`walk_path`,
:func:`category_values`, :func:`code_layout`), and the measurements that turn a walk into
numbers (:func:`stroke_stats`, :func:`walk_effects`, :func:`category_digits`).  The latent
explorer of :mod:`ganlib.widgets` is built on these; they need no display and are unit-tested.
"""

from __future__ import annotations

import math
from statistics import NormalDist

import numpy as np

INTERPOLATIONS = ("slerp", "linear")


TRUNCATIONS = (None, 2.0, 1.5, 1.0, 0.75, 0.5)  # the thresholds the conditional samplers offer (None: no truncation)


def truncated_normal(rng: np.random.Generator, shape, threshold: float | None = None) -> np.ndarray:
    """Standard normal float32 draws of ``shape`` from ``rng``; with ``threshold`` every value with
    ``|z| > threshold`` is redrawn until none is (the truncation trick of Brock et al. 2019)."""
    if threshold is not None and not threshold > 0:
        raise ValueError(f"truncation threshold must be positive (e.g. 1.0) or None, got {threshold!r}")
    z = rng.standard_normal(shape).astype(np.float32)
    if threshold is not None:
        outside = np.abs(z) > threshold
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > threshold
    return z


def _vector(z, name: str) -> np.ndarray:
    z = np.asarray(z, dtype=np.float64)
    if z.ndim != 1 or z.size == 0 or not np.isfinite(z).all():
        raise ValueError(f"{name} must be one finite latent vector of shape (latent_dim,), got shape {z.shape}")
    return z


def _pair(z_a, z_b) -> tuple[np.ndarray, np.ndarray]:
    a, b = _vector(z_a, "z_a"), _vector(z_b, "z_b")
    if a.shape != b.shape:
        raise ValueError(f"z_a and z_b must have the same shape, got {a.shape} and {b.shape}")
    return a, b


def _fractions(t) -> np.ndarray:
    t = np.asarray(t, dtype=np.float64)
    if t.ndim > 1 or not np.isfinite(t).all():
        raise ValueError(f"t must be a finite number or a 1-D array of numbers, got shape {t.shape}")
    return t


def lerp(z_a, z_b, t) -> np.ndarray:
    """Linear interpolation ``(1 - t) * z_a + t * z_b``.

    ``z_a`` and ``z_b`` are latent vectors of shape (d,); ``t`` is a number (result (d,)) or a
    1-D array of fractions (result (len(t), d)).  ``t = 0`` gives ``z_a``, ``t = 1`` gives ``z_b``.
    """
    a, b = _pair(z_a, z_b)
    t = _fractions(t)
    return (1.0 - t)[..., None] * a + t[..., None] * b


def slerp(z_a, z_b, t) -> np.ndarray:
    """Spherical linear interpolation (Shoemake 1985; for GANs, White 2016):

        slerp(a, b; t) = sin((1 - t) W) / sin W * a + sin(t W) / sin W * b,
        cos W = a . b / (|a| |b|),

    the path along the great circle from ``a`` to ``b`` at constant angular speed.  For
    endpoints of equal norm every point keeps that norm.

    Why it suits Gaussian noise: for z ~ N(0, I_d) the norm concentrates near sqrt(d) (10 for
    d = 100, standard deviation about 0.7), so the generator is trained on a thin shell.  Two
    independent draws are nearly orthogonal, and the linear midpoint ``(a + b) / 2`` has norm
    about sqrt(d / 2) = 7.1: far inside the shell, noise the generator has practically never
    seen (its norm is 4 standard deviations below the mean).  slerp stays on the shell.

    Shapes as in :func:`lerp`.  Nearly parallel endpoints (angle below 1e-6 rad) fall back to
    :func:`lerp`, which is then the same path; opposite endpoints have no unique great circle
    and raise ValueError, as does a zero vector.
    """
    a, b = _pair(z_a, z_b)
    t = _fractions(t)
    norm_a, norm_b = np.linalg.norm(a), np.linalg.norm(b)
    if norm_a == 0.0 or norm_b == 0.0:
        raise ValueError("slerp needs non-zero endpoints (a zero vector has no direction); use lerp")
    cosine = np.clip(a @ b / (norm_a * norm_b), -1.0, 1.0)
    angle = math.acos(cosine)
    if angle < 1e-6:
        return lerp(a, b, t)
    if math.pi - angle < 1e-6:
        raise ValueError("slerp is undefined for opposite endpoints (z_b = -c z_a): every great circle "
                         "joins them; use lerp or another pair of seeds")
    weight_a = np.sin((1.0 - t) * angle) / math.sin(angle)
    weight_b = np.sin(t * angle) / math.sin(angle)
    return weight_a[..., None] * a + weight_b[..., None] * b


def interpolate(z_a, z_b, steps: int = 9, method: str = "slerp") -> np.ndarray:
    """``steps`` latent vectors (steps, d), float32, from ``z_a`` to ``z_b`` inclusive.

    The fractions are ``t = 0, 1/(steps-1), ..., 1``; ``method`` is ``"slerp"`` (:func:`slerp`)
    or ``"linear"`` (:func:`lerp`).  Raises ValueError for ``steps < 2`` or another method.
    """
    if method not in INTERPOLATIONS:
        raise ValueError(f"unknown interpolation {method!r}; choose one of {list(INTERPOLATIONS)}")
    if not isinstance(steps, (int, np.integer)) or isinstance(steps, bool) or steps < 2:
        raise ValueError(f"steps must be an integer >= 2 (both endpoints are included), got {steps!r}")
    path = slerp if method == "slerp" else lerp
    return path(z_a, z_b, np.linspace(0.0, 1.0, int(steps))).astype(np.float32)


def walk(z, coordinate: int, values) -> np.ndarray:
    """Copies of ``z`` (d,) with coordinate ``coordinate`` set to each of ``values``: (len(values), d) float32.

    Everything else stays fixed, so a row of images shows what that one coordinate does.
    Raises ValueError for a coordinate outside 0..d-1 or an empty or non-finite ``values``.
    """
    base = _vector(z, "z")
    if not isinstance(coordinate, (int, np.integer)) or isinstance(coordinate, bool) \
            or not 0 <= coordinate < base.size:
        raise ValueError(f"coordinate must be an integer from 0 to {base.size - 1}, got {coordinate!r}")
    values = np.asarray(values, dtype=np.float64)
    if values.ndim != 1 or values.size == 0 or not np.isfinite(values).all():
        raise ValueError(f"values must be a non-empty 1-D array of finite numbers, got shape {values.shape}")
    out = np.repeat(base[None, :], values.size, axis=0)
    out[:, coordinate] = values
    return out.astype(np.float32)


def category_values(categories: int) -> np.ndarray:
    """The noise value ``z_0`` that selects each InfoGAN category: ``Phi^-1((k + 1/2) / K)``, k = 0..K-1.

    :class:`ganlib.model.CategoricalCode` reads ``c = floor(K * Phi(z_0))`` (``Phi`` the standard
    normal CDF), so ``z_0`` in the middle of category k's probability bin gives c = k;
    ``walk(z, 0, category_values(K))`` shows every category with the rest of ``z`` fixed.
    """
    if not isinstance(categories, (int, np.integer)) or isinstance(categories, bool) or categories < 2:
        raise ValueError(f"categories must be an integer >= 2, got {categories!r}")
    normal = NormalDist()
    return np.array([normal.inv_cdf((k + 0.5) / categories) for k in range(int(categories))])


def code_layout(generator, continuous: int = 0) -> dict:
    """Where a generator's InfoGAN codes sit in its noise (see :class:`ganlib.gan.GAN`).

    Returns ``{"latent_dim": d, "categories": K (0 if none), "continuous": [coordinates]}``: the
    categorical code, if the generator starts with a :class:`ganlib.model.CategoricalCode`, is
    read from coordinate 0, and the ``continuous`` codes are the next coordinates.  A generator
    does not record its continuous codes (they are plain noise to it); the training settings do
    (``continuous`` in the ``.json`` beside its weights).
    """
    from ganlib.model import CategoricalCode

    latent_dim = int(generator.input_shape[-1])
    first = generator.layers[0]
    categories = first.categories if isinstance(first, CategoricalCode) else 0
    start = 1 if categories else 0
    if not isinstance(continuous, (int, np.integer)) or continuous < 0 or start + continuous > latent_dim:
        raise ValueError(f"continuous must be an integer from 0 to {latent_dim - start}, got {continuous!r}")
    return {"latent_dim": latent_dim, "categories": categories,
            "continuous": list(range(start, start + int(continuous)))}


def seed_noise(seed: int, latent_dim: int) -> np.ndarray:
    """The latent vector of ``seed``: the first row of :func:`ganlib.sampling.fixed_noise` (same draw as ``generate(n, seed)[0]``)."""
    from ganlib.sampling import fixed_noise

    return fixed_noise(1, latent_dim, seed)[0]


def directions(layout: dict) -> list[tuple[str, str]]:
    """The directions a generator with this :func:`code_layout` offers: (label, value) pairs for :func:`walk_path`."""
    options = []
    if layout["categories"]:
        options.append((f"categorical code c (z[0], {layout['categories']} values)", "code"))
    for j, coordinate in enumerate(layout["continuous"], 1):
        options.append((f"continuous code {j} (z[{coordinate}])", f"continuous {j}"))
    options.append(("one noise coordinate (pick below)", "coordinate"))
    return options


def walk_path(z, layout: dict, direction: str, coordinate: int = 0, span: float = 2.5,
              steps: int = 9) -> tuple[np.ndarray, np.ndarray]:
    """The latent vectors (n, d) and the values of the moved coordinate for an explorer direction.

    ``direction`` is ``"code"`` (every category of the categorical code, at the values of
    :func:`category_values`), ``"continuous J"`` (the J-th continuous code, 1-based) or
    ``"coordinate"`` (coordinate ``coordinate``); the last two move from ``-span`` to ``span``
    in ``steps`` steps.
    """
    if direction == "code":
        if not layout["categories"]:
            raise ValueError("this generator has no categorical code; choose 'coordinate'")
        values = category_values(layout["categories"])
        return walk(z, 0, values), values
    if not span > 0:
        raise ValueError(f"span must be positive, got {span!r}")
    values = np.linspace(-span, span, steps)
    if direction == "coordinate":
        return walk(z, coordinate, values), values
    if direction.startswith("continuous "):
        j = int(direction.split()[1])
        if not 1 <= j <= len(layout["continuous"]):
            raise ValueError(f"this generator has {len(layout['continuous'])} continuous codes, got {direction!r}")
        return walk(z, layout["continuous"][j - 1], values), values
    choices = [value for _, value in directions(layout)]
    raise ValueError(f"unknown direction {direction!r}; choose one of {choices}")


def stroke_stats(images) -> dict[str, np.ndarray]:
    """Two numbers per digit image, to put a walk through latent space into figures.

    With pixel weights w in [0, 1] (uint8 / 255, or (x + 1) / 2 for [-1, 1] images), column x
    and height y (upwards):

    * ``ink`` = mean of w: how much of the image the strokes cover (thicker or larger strokes
      give more);
    * ``slant`` = cov_w(x, y) / var_w(y): the horizontal shift of the strokes per pixel of
      height, the shear that deskewing MNIST removes.  0 is upright, > 0 leans right ("/"),
      < 0 leans left ("\\"); a blank image gets 0.

    Returns ``{"ink": (N,), "slant": (N,)}`` float arrays.
    """
    from ganlib.utils import _as_uint8_images

    weights = _as_uint8_images(images).astype(np.float64) / 255.0
    _, height, width = weights.shape
    y = (height - 1 - np.arange(height, dtype=np.float64))[:, None]  # row 0 is the top
    x = np.arange(width, dtype=np.float64)[None, :]
    mass = weights.sum(axis=(1, 2))
    safe = np.where(mass > 0, mass, 1.0)
    mean_x = (weights * x).sum(axis=(1, 2)) / safe
    mean_y = (weights * y).sum(axis=(1, 2)) / safe
    dx = x[None] - mean_x[:, None, None]
    dy = y[None] - mean_y[:, None, None]
    cov_xy = (weights * dx * dy).sum(axis=(1, 2)) / safe
    var_y = (weights * dy * dy).sum(axis=(1, 2)) / safe
    slant = np.where((mass > 0) & (var_y > 0), cov_xy / np.where(var_y > 0, var_y, 1.0), 0.0)
    return {"ink": weights.mean(axis=(1, 2)), "slant": slant}


def walk_effects(generator, z, coordinates, low: float = -2.5, high: float = 2.5) -> dict[str, np.ndarray]:
    """How much moving each coordinate from ``low`` to ``high`` changes the digits, on average.

    For every coordinate j in ``coordinates`` and every row of ``z`` (N, d), the images of z
    with z[j] = ``low`` and with z[j] = ``high`` are compared by :func:`stroke_stats`.  Returns
    ``{"coordinate": (J,), "ink": (J,), "slant": (J,)}``: the mean change (high minus low) of
    ink and slant for each coordinate.  A coordinate the generator ignores gives exactly 0.
    """
    from ganlib.sampling import sample

    z = np.asarray(z, dtype=np.float32)
    if z.ndim != 2 or len(z) == 0:
        raise ValueError(f"z must be latent vectors of shape (N, latent_dim), got {z.shape}")
    coordinates = [int(c) for c in coordinates]
    ink, slant = [], []
    for j in coordinates:
        if not 0 <= j < z.shape[1]:
            raise ValueError(f"coordinates must lie in 0..{z.shape[1] - 1}, got {j}")
        moved = np.concatenate([z, z])
        moved[:len(z), j], moved[len(z):, j] = low, high
        stats = stroke_stats(sample(generator, moved))
        ink.append(float(np.mean(stats["ink"][len(z):] - stats["ink"][:len(z)])))
        slant.append(float(np.mean(stats["slant"][len(z):] - stats["slant"][:len(z)])))
    return {"coordinate": np.array(coordinates), "ink": np.array(ink), "slant": np.array(slant)}


def category_probabilities(generator, z, categories: int | None = None) -> np.ndarray:
    """The evaluator's digit probabilities for every category of an InfoGAN: a (K, N, 10) array.

    Slice k: the noise vectors ``z`` (N, d) with their categorical code set to k
    (:func:`category_values`), drawn by ``generator`` and classified by the evaluator
    (:func:`ganlib.evaluator.features_and_probabilities`)."""
    from ganlib.evaluator import features_and_probabilities
    from ganlib.sampling import sample

    categories = categories or code_layout(generator)["categories"]
    if not categories:
        raise ValueError("this generator has no categorical code (train it with codes=K)")
    z = np.asarray(z, dtype=np.float32)
    slices = []
    for value in category_values(categories):
        coded = z.copy()
        coded[:, 0] = value
        slices.append(features_and_probabilities(sample(generator, coded))[1])
    return np.stack(slices)


def category_digits(generator, z, categories: int | None = None) -> np.ndarray:
    """Which digit each InfoGAN category draws: a (K, 10) table of digit shares (rows sum to 1).

    Row k: the share of the noise vectors ``z`` (N, d), drawn with their categorical code set to k,
    that the evaluator reads as each digit (its most probable one; :func:`category_probabilities`).
    A code that has taken the digit class has one share near 1 in each row.
    """
    probabilities = category_probabilities(generator, z, categories)
    return np.stack([np.bincount(p.argmax(axis=1), minlength=10) / len(p) for p in probabilities])
