"""InfoGAN (Chen et al. 2016): latent codes in G's noise that a head on D must recover.

InfoGAN adds to the GAN game a lower bound on the mutual information I(c; G(z, c)) between
a code c and the image made from it,

    I(c; G(z, c)) >= E_{c, x = G(z, c)} [log Q(c | x)] + H(c),

where Q is a network that guesses c from the image.  Both D (through Q, which shares D's body)
and G maximise the bound, so both losses add ``info_weight * E[-log Q(c | G(z))]``.  H(c) is a
constant and is left out.

Here a K-way categorical code is the first noise coordinate read through the normal CDF
(:class:`ganlib.model.CategoricalCode`: uniform over K for z ~ N(0, I)), so G keeps one plain
noise input and sampling, fixed noise and interpolation work unchanged; ``continuous=M`` more
coordinates are continuous codes, which Q predicts with a unit-variance Gaussian (the squared
error).  Nothing tells a code what to mean; on MNIST the 10-way code mostly takes the digit.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from ganlib.config import InfoGANConfig, build_config
from ganlib.gan import METRIC_NAMES, GAN
from ganlib.model import (CategoricalCode, feature_count, latent_code, make_code_head, make_discriminator,
                          make_generator)

CONTINUOUS_WEIGHT = 0.1  # weight of the continuous codes' term in the info loss (a common InfoGAN choice)


class InfoGAN(GAN):
    """A :class:`ganlib.gan.GAN` whose losses both add InfoGAN's ``info_loss`` (module docstring).

    ``d_loss`` and ``g_loss`` stay the adversarial terms; ``info_loss`` is logged on its own.
    """

    config_class = InfoGANConfig
    metric_names = METRIC_NAMES + ("info_loss",)

    def __init__(self, generator=None, discriminator=None, *, config=None, name=None, **settings):
        c = build_config(self.config_class, config, settings)
        generator = generator if generator is not None else make_generator(c.latent_dim, c.width, codes=c.codes)
        first = generator.layers[0]
        if c.codes and not (isinstance(first, CategoricalCode) and first.categories == c.codes):
            raise ValueError(f"codes={c.codes} needs a generator that starts with CategoricalCode({c.codes}) "
                             "(make_generator(codes=...))")
        discriminator = discriminator if discriminator is not None else make_discriminator(c.width, normalization=c.d_norm)
        code_head = make_code_head(c.codes + c.continuous, feature_count(discriminator))
        super().__init__(generator, discriminator, config=c, name=name)
        self.code_head = code_head

    @property
    def d_variables(self) -> list:
        """D and the code head Q, which are trained together."""
        return self.discriminator.trainable_variables + self.code_head.trainable_variables

    def critic(self, images):
        """D's logits and the features of D's body, which Q reads."""
        features = images
        for layer in self.discriminator.layers[:-1]:
            features = layer(features, training=True)
        return self.discriminator.layers[-1](features), features

    def info_loss(self, z, features):
        """``info_weight * E[-log Q(c | G(z))]``: cross-entropy on the categorical code plus
        ``CONTINUOUS_WEIGHT * E[sum_j (q_j - c_j)^2 / 2]``, a unit Gaussian's negative log-likelihood
        without its constant, for the continuous codes."""
        c = self.config
        outputs = self.code_head(features, training=True)
        loss = 0.0
        if c.codes:
            loss = ops.mean(keras.losses.sparse_categorical_crossentropy(
                latent_code(z, c.codes), outputs[:, :c.codes], from_logits=True))
        if c.continuous:
            first = 1 if c.codes else 0
            targets = z[:, first:first + c.continuous]
            loss = loss + CONTINUOUS_WEIGHT * ops.mean(ops.sum(ops.square(outputs[:, c.codes:] - targets), axis=-1) / 2)
        return c.info_weight * loss

    def discriminator_loss(self, real, z):
        fake = self.generator(z, training=True)
        real_logits, _ = self.critic(real)
        fake_logits, features = self.critic(fake)
        d_loss = self.loss_pair.d(real_logits, fake_logits)
        info_loss = self.info_loss(z, features)
        total = d_loss + info_loss + self.penalty(self.discriminator, real, fake)
        return total, {**self.d_logs(d_loss, real_logits, fake_logits), "info_loss": info_loss}

    def generator_loss(self, real, z):
        fake_logits, features = self.critic(self.generator(z, training=True))
        g_loss = self.loss_pair.g(fake_logits)
        return g_loss + self.info_loss(z, features), {"g_loss": g_loss}




def information_lower_bound(code_probabilities, codes) -> float:
    """InfoGAN's variational lower bound on I(c; G(z, c)) in nats, for a code c uniform over K values:

        I(c; x) >= H(c) + E[log Q(c | x)] = log K + mean_i log Q(c_i | x_i),

    from ``code_probabilities`` Q(. | x_i) (N, K) and the codes c_i (N,) the images were made with.
    Any Q gives a lower bound (the gap is E[KL(p(c|x) || Q(c|x))]); a Q that always names the right
    code gives the ceiling log K, a Q that guesses uniformly gives 0.  Q is clipped at 1e-12 before
    the log, so a Q that gives the true code probability 0 counts as -27.6 nats, not minus infinity:
    the result stays a bound to within N * 1e-12 nats."""
    q = np.asarray(code_probabilities, np.float64)
    codes = np.asarray(codes)
    if q.ndim != 2 or codes.shape != (len(q),):
        raise ValueError(f"code_probabilities must be (N, K) and codes (N,), got {q.shape} and {codes.shape}")
    return float(np.log(q.shape[1]) + np.mean(np.log(np.clip(q[np.arange(len(q)), codes], 1e-12, 1.0))))


def evaluator_code_probabilities(generator, z, categories: int) -> tuple[np.ndarray, np.ndarray]:
    """A Q that took no part in training: the shipped digit evaluator, its digits matched one-to-one
    to the generator's categories (the assignment that agrees most often, by the Hungarian method).

    Returns (Q(c | G(z, c)) as (N * K, K), the codes (N * K,)): each row of ``z`` drawn once per category.
    With it, :func:`information_lower_bound` bounds what the code tells about the image from below,
    whatever the Q head learnt."""
    from scipy.optimize import linear_sum_assignment

    from ganlib.latent import category_probabilities

    per_category = category_probabilities(generator, z, categories)  # (K, N, 10)
    probabilities = per_category.reshape(-1, per_category.shape[-1])
    codes = np.repeat(np.arange(categories), per_category.shape[1])
    counts = np.zeros((categories, probabilities.shape[1]))
    np.add.at(counts, (codes, probabilities.argmax(axis=1)), 1)
    _, digit_of_code = linear_sum_assignment(-counts)  # the code -> digit matching with most agreement
    q = probabilities[:, digit_of_code]
    return q / q.sum(axis=1, keepdims=True), codes


__all__ = ["InfoGAN", "CONTINUOUS_WEIGHT", "information_lower_bound", "evaluator_code_probabilities"]
