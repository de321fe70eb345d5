"""GAN losses on discriminator logits.

Write ``l`` for a logit and ``D = sigmoid(l)`` for the probability it stands for. Then
``-log D = softplus(-l)`` and ``-log(1 - D) = softplus(l)``; computing the losses this way
is exact and never takes the log of 0, which ``log(sigmoid(l))`` would for large ``|l|``.

A loss is a :class:`GANLoss`: a discriminator loss ``d(real_logits, fake_logits)`` and a
generator loss ``g(fake_logits)``, both returning a scalar mean over the batch. Trainers
call only these two, so other losses (least squares, Wasserstein with gradient penalty)
join by adding an entry to :data:`LOSSES`; a loss that needs more than logits,
such as a gradient penalty, declares it in ``needs_penalty``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

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


@dataclass(frozen=True)
class GANLoss:
    """A pair of losses: ``d(real_logits, fake_logits)`` for D and ``g(fake_logits)`` for G."""

    name: str
    d: Callable
    g: Callable
    needs_penalty: bool = False


LOSSES = {
    "non-saturating": GANLoss("non-saturating", discriminator_loss, generator_loss_nonsaturating),
    "minimax": GANLoss("minimax", discriminator_loss, generator_loss_minimax),
    "hinge": GANLoss("hinge", discriminator_loss_hinge, generator_loss_hinge),
}


def get_loss(loss: str | GANLoss) -> GANLoss:
    """Look a loss up by name (see :data:`LOSSES`), or pass a :class:`GANLoss` through."""
    if isinstance(loss, GANLoss):
        return loss
    if loss not in LOSSES:
        raise ValueError(f"unknown GAN loss {loss!r}; choose one of {sorted(LOSSES)}")
    return LOSSES[loss]
