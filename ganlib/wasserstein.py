"""The Wasserstein GAN's ideas on distributions small enough to know exactly.

Arjovsky et al. (2017) replace the Jensen-Shannon divergence that the original GAN minimises by the
Earth-mover (Wasserstein-1) distance

    W(P, Q) = inf over couplings gamma of E_(x,y)~gamma |x - y|
            = sup over 1-Lipschitz f of E_P[f(x)] - E_Q[f(x)]     (Kantorovich-Rubinstein duality).

The second form is what a *critic* f can learn, provided it is kept 1-Lipschitz: by clipping its
weights to [-c, c] (the WGAN paper) or by a gradient penalty that pulls the norm of its input
gradient towards 1 (WGAN-GP, Gulrajani et al. 2017).  This module holds the closed forms the
chapter checks against (:func:`parallel_lines`, :func:`gaussian_distances`) and a small critic
trainer (:func:`train_critic`) with either constraint.  The losses and the penalty are
:mod:`ganlib.losses`' own (:func:`~ganlib.losses.critic_loss_wasserstein`,
:func:`~ganlib.losses.gradient_penalty`); the sample distance is SciPy's
``scipy.stats.wasserstein_distance``.
"""

from __future__ import annotations

import math

import keras
import numpy as np
import tensorflow as tf

from ganlib.gan import input_gradients
from ganlib.losses import critic_loss_wasserstein, gradient_penalty
from ganlib.theory import gaussian_pdf, jsd
from ganlib.toy import make_mlp_discriminator

CONSTRAINTS = ("clip", "gp", "none")


def parallel_lines(theta: float) -> dict:
    """Example 1 of Arjovsky et al. (2017): P_0 is uniform on the segment {0} x [0, 1] and P_theta
    on {theta} x [0, 1].  The supports do not overlap unless theta = 0, so

        W = |theta|,   JS = log 2 (0 at theta = 0),   KL = +inf (0),   total variation = 1 (0):

    only W tells a near miss from a far one, and only W gives G a gradient towards theta = 0."""
    apart = theta != 0
    return {"wasserstein": abs(float(theta)), "jsd": math.log(2) if apart else 0.0,
            "kl": math.inf if apart else 0.0, "total_variation": 1.0 if apart else 0.0}


def gaussian_distances(shift: float, std: float = 0.1, grid: int = 4001, span: float = 8.0) -> dict:
    """N(0, std^2) against N(shift, std^2): the Wasserstein-1 distance (exactly |shift|: moving every
    grain of sand by ``shift`` is optimal) and the Jensen-Shannon divergence, computed on a grid by
    :func:`ganlib.theory.jsd`.  JS climbs to its ceiling log 2 once the bumps stop overlapping, and
    then stays: its gradient with respect to ``shift`` vanishes.  W keeps growing linearly."""
    x = np.linspace(-span * std - abs(shift), span * std + abs(shift), grid)
    p, q = gaussian_pdf(x, 0.0, std), gaussian_pdf(x, shift, std)
    return {"wasserstein": abs(float(shift)), "jsd": jsd(p / p.sum(), q / q.sum())}


def train_critic(real, fake, constraint: str = "gp", steps: int = 500, *, clip: float = 0.01,
                 gp_weight: float = 10.0, hidden: int = 64, depth: int = 3, learning_rate: float | None = None,
                 batch_size: int = 256, seed: int = 0) -> dict:
    """Train a critic f (an MLP, :func:`ganlib.toy.make_mlp_discriminator`) to maximise
    ``E_real[f] - E_fake[f]`` between two fixed sample sets (N, dim), under ``constraint``:

    * ``"clip"``: after every step each weight is clipped to [-clip, clip], with RMSProp at 5e-5
      as in the WGAN paper;
    * ``"gp"``: ``gp_weight * E[(|grad f(x_hat)| - 1)^2]`` at x_hat = eps x + (1 - eps) y,
      eps ~ U(0, 1), with Adam (1e-4, beta_1 = 0, beta_2 = 0.9) as in WGAN-GP;
    * ``"none"``: no constraint (the estimate then grows without bound).

    Returns the critic, ``estimates`` (E_real[f] - E_fake[f] on all samples, every 10 steps), the
    final ``estimate``, ``gradient_norms`` |grad f| at the samples and between them, and the
    ``weights``; ``steps=0`` returns the untrained critic's.

    What to expect (the Wasserstein chapter measures it): the penalty is soft, so the GP critic does
    not settle at W but where the penalty's pull balances the gap's, near slope 1 + W / (2 gp_weight):
    its estimate tends to about W (1 + W / (2 gp_weight)).  In one dimension (|f'| - 1)^2 has a second
    well at the wrong sign, and a critic that starts there can stay there; the clipped critic is the
    right function at a tiny scale (its slope is at most c (hidden c)^depth).
    """
    if constraint not in CONSTRAINTS:
        raise ValueError(f"constraint must be one of {CONSTRAINTS}, got {constraint!r}")
    real, fake = (np.asarray(a, np.float32) for a in (real, fake))
    if real.ndim != 2 or fake.ndim != 2 or real.shape[1] != fake.shape[1]:
        raise ValueError(f"real and fake must be (N, dim) arrays of one dim; got {real.shape} and {fake.shape}")
    keras.utils.set_random_seed(seed)
    critic = make_mlp_discriminator(real.shape[1], hidden, depth, name="critic")
    if constraint == "clip":
        optimizer = keras.optimizers.RMSprop(learning_rate or 5e-5)
    else:
        optimizer = keras.optimizers.Adam(learning_rate or 1e-4, beta_1=0.0, beta_2=0.9)
    rng = np.random.default_rng(seed)

    @tf.function
    def step(x, y, eps):
        with tf.GradientTape() as tape:
            loss = critic_loss_wasserstein(critic(x, training=True), critic(y, training=True))
            if constraint == "gp":
                loss += gp_weight * gradient_penalty(input_gradients(critic, eps * x + (1 - eps) * y))
        optimizer.apply_gradients(zip(tape.gradient(loss, critic.trainable_variables), critic.trainable_variables))
        if constraint == "clip":
            for weight in critic.trainable_variables:
                weight.assign(tf.clip_by_value(weight, -clip, clip))

    def estimate() -> float:
        return float(np.mean(critic(real, training=False)) - np.mean(critic(fake, training=False)))

    estimates = []
    for number in range(steps):
        x = real[rng.integers(0, len(real), batch_size)]
        y = fake[rng.integers(0, len(fake), batch_size)]
        step(x, y, rng.uniform(size=(batch_size, 1)).astype(np.float32))
        if number % 10 == 9:
            estimates.append(estimate())
    between = np.concatenate([real, fake]) * 0.5 + np.concatenate([fake, real]) * 0.5
    norms = np.linalg.norm(np.asarray(input_gradients(critic, tf.constant(np.concatenate([real, fake, between])))),
                           axis=1)
    return {"critic": critic, "estimates": np.array(estimates), "estimate": estimate(), "gradient_norms": norms,
            "weights": np.concatenate([w.numpy().ravel() for w in critic.trainable_variables])}
