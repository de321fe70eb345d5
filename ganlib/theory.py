"""The theory of the original GAN on distributions we can write down (Goodfellow et al. 2014, Section 4).

For a fixed generator with distribution p_g, the value function

    V(D, G) = E_{x ~ p_data}[log D(x)] + E_{x ~ p_g}[log(1 - D(x))]

is maximised pointwise by the optimal discriminator D*(x) = p_data(x) / (p_data(x) + p_g(x))
(Proposition 1), and its maximum, the *virtual training criterion*, is

    C(G) = max_D V(D, G) = -log 4 + 2 JSD(p_data || p_g),

which is minimal, -log 4, if and only if p_g = p_data (Theorem 1).

On a finite set of outcomes every expectation is a finite sum, so these statements can be
checked exactly: the functions below take probability vectors (numpy arrays of the same shape,
non-negative, summing to 1) and use natural logarithms (nats), with the conventions
0 log 0 = 0 and p log(p / 0) = +inf for p > 0.  They are pure numpy, except
:func:`fit_discriminator`, which trains a Keras discriminator and imports TensorFlow when called.
"""

from __future__ import annotations

import math

import numpy as np

LOG4 = math.log(4.0)
SUM_TOLERANCE = 1e-6


def as_distribution(p, name: str = "p") -> np.ndarray:
    """``p`` as a float64 probability vector, checked: finite, non-negative, summing to 1 (within 1e-6).

    Raises ValueError naming the problem and the fix (e.g. "normalise it: p / p.sum()").
    """
    p = np.asarray(p, dtype=np.float64)
    if p.size == 0:
        raise ValueError(f"{name} is empty; a distribution needs at least one outcome")
    if not np.isfinite(p).all():
        raise ValueError(f"{name} contains NaN or infinite entries; probabilities must be finite numbers")
    if (p < 0).any():
        raise ValueError(f"{name} has negative entries (min {p.min():.3g}); probabilities must be >= 0 "
                         "(clip them, or use a softmax of scores)")
    total = p.sum()
    if abs(total - 1.0) > SUM_TOLERANCE:
        raise ValueError(f"{name} sums to {total:.6g}, not 1; normalise it first: {name} / {name}.sum()")
    return p


def _same_shape(**arrays):
    shapes = {name: np.shape(a) for name, a in arrays.items()}
    if len(set(shapes.values())) > 1:
        raise ValueError("the arrays must have the same shape (one entry per outcome), got "
                         + ", ".join(f"{name} {shape}" for name, shape in shapes.items()))


def _xlogy(x, y):
    """x * log(y), elementwise, with 0 * log(anything) = 0 (and x log 0 = -inf for x > 0)."""
    x, y = np.broadcast_arrays(np.asarray(x, np.float64), np.asarray(y, np.float64))
    out = np.zeros(x.shape)
    positive = x > 0
    with np.errstate(divide="ignore"):
        out[positive] = x[positive] * np.log(y[positive])
    return out


def kl(p, q) -> float:
    """Kullback-Leibler divergence KL(p || q) = sum_x p(x) log(p(x) / q(x)), in nats.

    Zero if and only if p = q; +inf if q(x) = 0 for some x with p(x) > 0. Not symmetric.
    """
    p, q = as_distribution(p, "p"), as_distribution(q, "q")
    _same_shape(p=p, q=q)
    if ((p > 0) & (q == 0)).any():
        return math.inf
    return float(np.sum(_xlogy(p, p) - _xlogy(p, q)))


def jsd(p, q) -> float:
    """Jensen-Shannon divergence JSD(p || q) = KL(p || m) / 2 + KL(q || m) / 2 with m = (p + q) / 2, in nats.

    Symmetric, finite, and 0 <= JSD <= log 2: 0 if and only if p = q, log 2 if and only if p and q
    have disjoint supports (however far apart they are).
    """
    p, q = as_distribution(p, "p"), as_distribution(q, "q")
    _same_shape(p=p, q=q)
    m = (p + q) / 2.0
    value = 0.5 * kl(p, m) + 0.5 * kl(q, m)
    return float(min(max(value, 0.0), math.log(2.0)))  # clip rounding error only


def optimal_discriminator(p_data, p_g) -> np.ndarray:
    """The optimal discriminator for a fixed G: D*(x) = p_data(x) / (p_data(x) + p_g(x)).

    ``p_data`` and ``p_g`` are probabilities or density values at the same points (they need not
    sum to 1, so a density evaluated on a grid works). Where both are 0 no sample ever reaches D
    and any value is optimal; this returns 1/2 there.
    """
    p_data = np.asarray(p_data, dtype=np.float64)
    p_g = np.asarray(p_g, dtype=np.float64)
    _same_shape(p_data=p_data, p_g=p_g)
    for name, p in (("p_data", p_data), ("p_g", p_g)):
        if not np.isfinite(p).all() or (p < 0).any():
            raise ValueError(f"{name} must hold finite, non-negative probabilities or densities")
    total = p_data + p_g
    return np.divide(p_data, total, out=np.full(total.shape, 0.5), where=total > 0)


def value_function(d, p_data, p_g) -> float:
    """The GAN value function on a finite set of outcomes:

        V(D, G) = sum_x p_data(x) log D(x) + sum_x p_g(x) log(1 - D(x)),

    where ``d`` holds D(x) in [0, 1] for every outcome x. D maximises V, G minimises it.
    -inf if D(x) = 0 where p_data(x) > 0, or D(x) = 1 where p_g(x) > 0.
    """
    p_data, p_g = as_distribution(p_data, "p_data"), as_distribution(p_g, "p_g")
    d = np.asarray(d, dtype=np.float64)
    _same_shape(d=d, p_data=p_data, p_g=p_g)
    if not np.isfinite(d).all() or (d < 0).any() or (d > 1).any():
        raise ValueError("d must hold D's probabilities in [0, 1] (apply a sigmoid to logits)")
    return float(np.sum(_xlogy(p_data, d)) + np.sum(_xlogy(p_g, 1.0 - d)))


def value_function_of_logits(logits, p_data, p_g) -> float:
    """V(D, G) for D = sigmoid(logits), computed from the logits without rounding D to 0 or 1:

        V = -sum_x p_data(x) softplus(-logit(x)) - sum_x p_g(x) softplus(logit(x)),

    since log sigmoid(l) = -softplus(-l) and log(1 - sigmoid(l)) = -softplus(l). Use it for a
    network's logits, which can be large enough that a float sigmoid is exactly 0 or 1.
    """
    p_data, p_g = as_distribution(p_data, "p_data"), as_distribution(p_g, "p_g")
    logits = np.asarray(logits, dtype=np.float64)
    _same_shape(logits=logits, p_data=p_data, p_g=p_g)
    if not np.isfinite(logits).all():
        raise ValueError("logits must be finite numbers")
    return float(-np.sum(p_data * np.logaddexp(0.0, -logits)) - np.sum(p_g * np.logaddexp(0.0, logits)))


def virtual_training_criterion(p_data, p_g) -> float:
    """C(G) = max_D V(D, G) = V(D*, G), the value function at the optimal discriminator:

        C(G) = sum_x p_data(x) log(p_data(x) / (p_data(x) + p_g(x))) + sum_x p_g(x) log(p_g(x) / (p_data(x) + p_g(x))).

    (Written this way rather than as ``value_function(optimal_discriminator(...))`` so that a D*(x)
    that rounds to exactly 1 where p_g(x) is tiny but positive does not give log 0.)
    Goodfellow et al. (2014), Theorem 1: C(G) = -log 4 + 2 JSD(p_data || p_g) >= -log 4, with
    equality if and only if p_g = p_data.
    """
    p_data, p_g = as_distribution(p_data, "p_data"), as_distribution(p_g, "p_g")
    _same_shape(p_data=p_data, p_g=p_g)
    total = p_data + p_g
    return float(np.sum(_xlogy(p_data, p_data) - _xlogy(p_data, total))
                 + np.sum(_xlogy(p_g, p_g) - _xlogy(p_g, total)))


def gaussian_pdf(x, mean: float = 0.0, std: float = 1.0) -> np.ndarray:
    """Density of the normal distribution N(mean, std^2): exp(-(x - mean)^2 / (2 std^2)) / (std sqrt(2 pi))."""
    if not std > 0:
        raise ValueError(f"std must be positive, got {std!r}")
    x = np.asarray(x, dtype=np.float64)
    return np.exp(-0.5 * ((x - mean) / std) ** 2) / (std * math.sqrt(2.0 * math.pi))


def fit_discriminator(discriminator, sample_real, sample_fake, steps: int, *, batch_size: int = 256,
                      learning_rate: float = 1e-3, beta_1: float = 0.5, seed: int = 0,
                      probe=None, probe_at=()) -> dict:
    """Train ``discriminator`` alone, the generator held fixed: the inner maximisation max_D V(D, G).

    Each step draws a fresh batch ``sample_real(batch_size, rng)`` from p_data and
    ``sample_fake(batch_size, rng)`` from p_g (``rng`` is a numpy Generator seeded with ``seed``;
    each returns an array (batch_size, d)) and takes one Adam(``learning_rate``, ``beta_1``) step on
    :func:`ganlib.losses.discriminator_loss`, the binary cross-entropy
    E_x[-log D(x)] + E_x~p_g[-log(1 - D(x))] = -V(D, G); the discriminator returns logits.

    ``probe(discriminator)`` is called before the first step (step 0) if 0 is in ``probe_at`` and
    after each step whose number is in ``probe_at``. Returns ``{"loss": array of the steps' losses,
    "probes": {step: probe result}}``.
    """
    if not isinstance(steps, (int, np.integer)) or steps < 0:
        raise ValueError(f"steps must be a non-negative integer, got {steps!r}")
    import keras
    import tensorflow as tf

    from ganlib.losses import discriminator_loss

    optimizer = keras.optimizers.Adam(learning_rate, beta_1=beta_1)
    variables = discriminator.trainable_variables

    @tf.function
    def step(real, fake):
        with tf.GradientTape() as tape:
            loss = discriminator_loss(discriminator(real, training=True), discriminator(fake, training=True))
        optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        return loss

    rng = np.random.default_rng(seed)
    probe_at = set(int(s) for s in probe_at)
    probes = {0: probe(discriminator)} if probe is not None and 0 in probe_at else {}
    losses = np.empty(int(steps))
    for k in range(1, int(steps) + 1):
        real = np.asarray(sample_real(batch_size, rng), dtype=np.float32)
        fake = np.asarray(sample_fake(batch_size, rng), dtype=np.float32)
        losses[k - 1] = float(step(real, fake))
        if probe is not None and k in probe_at:
            probes[k] = probe(discriminator)
    return {"loss": losses, "probes": probes}
