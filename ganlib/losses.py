"""GAN losses on discriminator logits.

Write ``l`` for a logit and ``D = sigmoid(l)`` for the probability it stands for. Then
``-log D = softplus(-l)`` and ``-log(1 - D) = softplus(l)``; computing the losses this way
is exact and never takes the log of 0, which ``log(sigmoid(l))`` would for large ``|l|``.

A loss is a :class:`GANLoss`: a discriminator loss ``d(real_logits, fake_logits)`` and a
generator loss ``g(fake_logits)``, both returning a scalar mean over the batch (for the hinge,
least-squares and Wasserstein losses the "logit" is a raw score, not read as a probability).
The gradient penalties (:func:`gradient_penalty`, :func:`r1_penalty`) are pure functions of D's
input gradients; :meth:`ganlib.gan.GAN.penalty` computes those gradients and adds them to D's loss.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, replace
from typing import Callable

import numpy as np
from keras import ops


def discriminator_loss(real_logits, fake_logits):
    """Binary cross-entropy of D:  L_D = E_x[-log D(x)] + E_z[-log(1 - D(G(z)))].

    Equals ``mean(softplus(-real_logits)) + mean(softplus(fake_logits))``. Minimising it
    maximises the value function V(D, G) of Goodfellow et al. (2014) over D.
    """
    return ops.mean(ops.softplus(-real_logits)) + ops.mean(ops.softplus(fake_logits))


def generator_loss_minimax(fake_logits):
    """Minimax (saturating) G loss:  L_G = E_z[log(1 - D(G(z)))] = -mean(softplus(fake_logits)).

    This is the term of V(D, G) that G controls. Its gradient with respect to the logit is
    ``-sigmoid(l) = -D(G(z))``, which vanishes when D confidently rejects the fakes, i.e.
    early in training: G learns slowly exactly when it is worst.
    """
    return -ops.mean(ops.softplus(fake_logits))


def discriminator_loss_smoothed(real_logits, fake_logits, smoothing: float):
    """One-sided label smoothing (Salimans et al. 2016; Goodfellow 2016, section 4.2): D's target
    for real images is ``1 - smoothing`` instead of 1, and stays 0 for fakes:

        L_D = E_x[-(1-s) log D(x) - s log(1 - D(x))] + E_z[-log(1 - D(G(z)))].

    The optimal D becomes ``(1-s) p_data / (p_data + p_g)``: it never asks for certainty about real
    images, so its logits stay bounded.  Only the real side is smoothed: smoothing the fakes'
    target too would reward G for samples where p_data is 0.  ``smoothing = 0`` gives
    :func:`discriminator_loss`.
    """
    return (ops.mean((1.0 - smoothing) * ops.softplus(-real_logits) + smoothing * ops.softplus(real_logits))
            + ops.mean(ops.softplus(fake_logits)))


def feature_matching_loss(real_features, fake_features):
    """Feature matching (Salimans et al. 2016):  L_G = || E_x[f(x)] - E_z[f(G(z))] ||_2^2.

    ``f`` is an intermediate layer of D (here the features its last layer reads).  G no longer
    tries to fool D's verdict but to give D's features the statistics they have on real data:
    a target that does not move as violently as the verdict when D changes.
    """
    difference = ops.mean(real_features, axis=0) - ops.mean(fake_features, axis=0)
    return ops.sum(ops.square(difference))


def generator_loss_nonsaturating(fake_logits):
    """Non-saturating G loss:  L_G = E_z[-log D(G(z))] = mean(softplus(-fake_logits)).

    Same fixed point as the minimax loss, but its gradient with respect to the logit is
    ``sigmoid(l) - 1 = -(1 - D(G(z)))``, largest when D rejects the fakes. It is the loss the
    source's algorithm (eq. 3) actually uses, and the default here.
    """
    return ops.mean(ops.softplus(-fake_logits))


def discriminator_loss_hinge(real_logits, fake_logits):
    """Hinge D loss (Lim & Ye 2017; Miyato et al. 2018):  L_D = E_x[max(0, 1 - l(x))] + E_z[max(0, 1 + l(G(z)))].

    Zero for real logits at least 1 and fake logits at most -1: D is no longer pushed once it
    is right by a margin.  The logit here is a raw score, not read as a probability.
    """
    return ops.mean(ops.relu(1.0 - real_logits)) + ops.mean(ops.relu(1.0 + fake_logits))


def generator_loss_hinge(fake_logits):
    """Hinge G loss:  L_G = -E_z[l(G(z))], raise D's score of the fakes (gradient -1 per logit)."""
    return -ops.mean(fake_logits)


def discriminator_loss_least_squares(real_logits, fake_logits):
    """Least-squares D loss (LSGAN, Mao et al. 2017, targets b = 1 real, a = 0 fake):
    L_D = 1/2 E_x[(l(x) - 1)^2] + 1/2 E_z[l(G(z))^2].

    Minimised over D by ``l* = p_data / (p_data + p_g)``; D is pushed in proportion to how far
    its score is from the target, not only until it is right (as cross-entropy saturates).
    """
    return 0.5 * ops.mean(ops.square(real_logits - 1.0)) + 0.5 * ops.mean(ops.square(fake_logits))


def generator_loss_least_squares(fake_logits):
    """Least-squares G loss (target c = 1):  L_G = 1/2 E_z[(l(G(z)) - 1)^2]; gradient ``l - 1`` per logit."""
    return 0.5 * ops.mean(ops.square(fake_logits - 1.0))


def critic_loss_wasserstein(real_logits, fake_logits):
    """Wasserstein critic loss (Arjovsky et al. 2017):  L_D = E_z[f(G(z))] - E_x[f(x)].

    Its minimum over 1-Lipschitz critics f is minus the Wasserstein-1 distance between p_data and
    p_g (Kantorovich-Rubinstein duality); WGAN-GP keeps f near 1-Lipschitz with
    :func:`gradient_penalty`.
    """
    return ops.mean(fake_logits) - ops.mean(real_logits)


def generator_loss_wasserstein(fake_logits):
    """Wasserstein G loss:  L_G = -E_z[f(G(z))] (the hinge G loss too; gradient -1 per score)."""
    return -ops.mean(fake_logits)


def gradient_penalty(gradients):
    """WGAN-GP's penalty (Gulrajani et al. 2017):  E[(||grad_x f(x_hat)||_2 - 1)^2].

    ``gradients`` are D's input gradients at the interpolates ``x_hat = eps x + (1 - eps) G(z)``,
    ``eps ~ U(0, 1)`` per example, shape (N, ...); the norm is over everything but the batch axis.
    """
    norms = ops.sqrt(ops.sum(ops.square(ops.reshape(gradients, (ops.shape(gradients)[0], -1))), axis=1) + 1e-12)
    return ops.mean(ops.square(norms - 1.0))


def r1_penalty(gradients):
    """R1 (Mescheder et al. 2018):  E_x[||grad_x D(x)||_2^2] on real images; the loss adds gamma/2 times it.

    ``gradients`` are D's input gradients at real images, shape (N, ...).
    """
    return ops.mean(ops.sum(ops.square(ops.reshape(gradients, (ops.shape(gradients)[0], -1))), axis=1))


@dataclass(frozen=True)
class GANLoss:
    """A pair of losses: ``d(real_logits, fake_logits)`` for D and ``g(fake_logits)`` for G."""

    name: str
    d: Callable
    g: Callable
    gradient_penalty: bool = False  # WGAN-GP: D's loss adds gp_weight * gradient_penalty(...)


LOSSES = {
    "non-saturating": GANLoss("non-saturating", discriminator_loss, generator_loss_nonsaturating),
    "minimax": GANLoss("minimax", discriminator_loss, generator_loss_minimax),
    "hinge": GANLoss("hinge", discriminator_loss_hinge, generator_loss_hinge),
    "ls": GANLoss("ls", discriminator_loss_least_squares, generator_loss_least_squares),
    "wgan-gp": GANLoss("wgan-gp", critic_loss_wasserstein, generator_loss_wasserstein, gradient_penalty=True),
}
ALIASES = {"ns": "non-saturating"}


def get_loss(loss: str | GANLoss, label_smoothing: float = 0.0) -> GANLoss:
    """Look a loss up by name (see :data:`LOSSES`), or pass a :class:`GANLoss` through; with
    ``label_smoothing`` s > 0 (cross-entropy losses only), D's loss is
    :func:`discriminator_loss_smoothed`."""
    if not isinstance(loss, GANLoss):
        name = ALIASES.get(loss, loss)
        if name not in LOSSES:
            raise ValueError(f"unknown GAN loss {loss!r}; choose one of {sorted(LOSSES)}")
        loss = LOSSES[name]
    if label_smoothing:
        if loss.d is not discriminator_loss:
            raise ValueError(f"label smoothing changes the cross-entropy's target; the {loss.name} loss has none "
                             "(use non-saturating or minimax)")
        if not 0 < label_smoothing < 0.5:
            raise ValueError(f"label_smoothing must be in [0, 0.5), e.g. 0.1; got {label_smoothing!r}")
        loss = replace(loss, d=functools.partial(discriminator_loss_smoothed, smoothing=label_smoothing))
    return loss


def logit_gradients(loss: Callable, logits) -> np.ndarray:
    """Per-sample derivative ``d loss_i / d l_i`` of a mean generator loss ``loss(logits)``.

    ``loss`` is a function of a batch of logits that returns the batch mean of a per-sample term,
    such as :func:`ganlib.losses.generator_loss_minimax`; the derivative of the mean with respect
    to logit i is ``(1/N) d loss_i / d l_i``, so this returns N times the gradient of the mean.
    With ``D = sigmoid(l)`` the closed forms are ``-D`` for the minimax loss ``log(1 - D)`` and
    ``-(1 - D)`` for the non-saturating loss ``-log D``.  Returns float64 with the logits' shape
    (computed in float64 if ``logits`` are float64, else in float32).
    """
    import tensorflow as tf

    logits = np.asarray(logits)
    values = tf.constant(logits.astype(np.float64 if logits.dtype == np.float64 else np.float32))
    if values.shape.rank == 0 or int(tf.size(values)) == 0:
        raise ValueError(f"logits must be a non-empty array, got shape {tuple(values.shape)}")
    with tf.GradientTape() as tape:
        tape.watch(values)
        total = loss(values)
    gradient = tape.gradient(total, values)
    if gradient is None:
        raise ValueError("the loss does not depend on the logits (its gradient is None)")
    return np.asarray(gradient, dtype=np.float64) * int(tf.size(values))
