"""A GAN as one ``keras.Model``: Algorithm 1 of Goodfellow et al. (2014) in ``train_step``.

``fit()`` calls :meth:`GAN.train_step` once per batch of real images, and so brings progress
bars, callbacks, TensorBoard, ``BackupAndRestore`` and ``tf.distribute``.  Subclasses change
what G reads and what D is trained to say, not the algorithm: :class:`ganlib.infogan.InfoGAN`
adds a code head, :class:`ganlib.apps.conditional.ConditionalGAN` adds labels.

Corrections to the source's trainer (see the errata chapter): the gradients come from a
``GradientTape`` that records the forward pass (the source calls an undefined ``tape``); real
images are labelled real and fakes fake (the source swaps them); each step uses one batch of
real images against one batch of fakes (the source concatenates the whole training set with
128 fakes); the losses take logits (the source omits ``from_logits``).
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganlib.config import GANConfig, build_config
from ganlib.distribute import reducible, replica_loss, replica_rows
from ganlib.losses import feature_matching_loss, get_loss, gradient_penalty, r1_penalty
from ganlib.model import discriminator_features, make_discriminator, make_generator
from ganlib.sampling import SAMPLE_BATCH, generate

PENALTY_STREAM = 2  # folded into (seed, D step) for WGAN-GP's interpolation weights
METRIC_NAMES = ("d_loss", "g_loss", "d_real", "d_fake", "d_acc_real", "d_acc_fake", "d_gap")


class GAN(keras.Model):
    """A generator G and a discriminator D, trained by ``fit()`` on batches of real images in [-1, 1].

    Each :meth:`train_step` is one iteration of Algorithm 1 (Goodfellow et al. 2014):

    1. ``n_critic`` times (k in the paper): draw noise z, take a gradient step on D's loss
       ``loss.d(D(x), D(G(z)))`` (plus a gradient penalty if the config asks for one);
    2. draw fresh noise z, take a gradient step on G's loss ``loss.g(D(G(z)))``, against the
       D just updated;
    3. move the moving average of G's weights, if kept, towards G.

    Settings come from a :class:`ganlib.config.GANConfig` (``config=``, or its fields as keyword
    arguments: ``GAN(loss="ls", seed=1)``).  The noise is drawn statelessly from
    ``(seed, step)``, so a run restored from a checkpoint (which holds the optimisers' step
    counters) draws the same noise as one never stopped.  With ``n_critic > 1`` the D steps of
    one iteration reuse its batch of real images with fresh noise (as Keras' WGAN-GP example).
    Under ``tf.distribute`` each replica steps on its share of the global batch's mean loss and
    its rows of the global batch's noise, so the summed gradients are one device's (:mod:`ganlib.distribute`).
    """

    config_class = GANConfig
    metric_names = METRIC_NAMES  # what fit() shows; a subclass adds its own

    def __init__(self, generator=None, discriminator=None, *, config: GANConfig | None = None, name=None,
                 **settings):
        super().__init__(name=name)
        self.config = build_config(self.config_class, config, settings)
        if self.config.update != "alternating" and type(self).train_step is GAN.train_step:
            raise ValueError("GAN makes alternating updates (Algorithm 1); for the TensorFlow tutorial's "
                             "simultaneous step use ganlib.gan.SimultaneousGAN")
        c = self.config
        self.generator = generator if generator is not None else make_generator(c.latent_dim, c.width)
        self.discriminator = (discriminator if discriminator is not None
                              else make_discriminator(c.width, normalization=c.d_norm))
        self.loss_pair = get_loss(c.loss, c.label_smoothing)
        self.features = discriminator_features(self.discriminator) if c.feature_matching else None
        self.generator_ema = None
        if c.ema_decay is not None:
            self.generator_ema = keras.models.clone_model(self.generator)
            self.generator_ema.set_weights(self.generator.get_weights())
            self.generator_ema.trainable = False
        self.trackers = {name: keras.metrics.Mean(name=name) for name in self.metric_names}
        self.built = True  # both networks are built on creation

    def compile(self, d_optimizer=None, g_optimizer=None, **kwargs):
        """Set the two optimisers (default: Adam with the config's learning rate and beta_1 for each)."""
        super().compile(**kwargs)
        adam = lambda: keras.optimizers.Adam(self.config.learning_rate, beta_1=self.config.beta_1)  # noqa: E731
        self.d_optimizer = d_optimizer or adam()
        self.g_optimizer = g_optimizer or adam()
        # Built now, so that loading a checkpoint restores their slots before the first step.
        self.d_optimizer.build(self.d_variables)
        self.g_optimizer.build(self.generator.trainable_variables)

    @property
    def d_variables(self) -> list:
        """What the D step trains (a subclass adds heads that share D's body)."""
        return self.discriminator.trainable_variables

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, z, training=False):
        return self.generator(z, training=training)

    # -- Algorithm 1 ------------------------------------------------------------------------

    def train_step(self, real):
        batch_size = ops.shape(tf.nest.flatten(real)[0])[0]
        for k in range(self.config.n_critic):
            with tf.GradientTape() as tape:
                d_loss, logs = self.discriminator_loss(real, self.replica_latent(batch_size, stream=k))
                d_loss = replica_loss(d_loss)  # this replica's share of the global batch's mean loss
            self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, self.d_variables), self.d_variables))

        g_variables = self.generator.trainable_variables
        with tf.GradientTape() as tape:
            g_loss, g_logs = self.generator_loss(real, self.replica_latent(batch_size, stream=self.config.n_critic))
            g_loss = replica_loss(g_loss)
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_variables), g_variables))

        self.update_ema()
        return self.track({**logs, **g_logs})

    def sample_latent(self, batch_size, stream: int):
        """G's input for this step: z ~ N(0, I), drawn statelessly from (seed, step, stream)."""
        return tf.random.stateless_normal((batch_size, self.config.latent_dim), seed=self.noise_key(stream))

    def replica_latent(self, batch_size, stream: int):
        """This replica's rows of :meth:`sample_latent` for the global batch, ``batch_size`` of them (all
        rows on one device): several devices train on the noise one device would draw."""
        return replica_rows(lambda rows: self.sample_latent(rows, stream), batch_size)

    def noise_key(self, stream: int):
        """The stateless seed of this step's ``stream``: (seed, (n_critic + 1) * step + stream)."""
        step = tf.cast(self.g_optimizer.iterations, tf.int64)
        return tf.stack([tf.constant(self.config.seed, tf.int64), (self.config.n_critic + 1) * step + stream])

    def discriminator_loss(self, real, z):
        """D's loss on real images and on G(z), and the numbers to log."""
        fake = self.generator(z, training=True)
        real_logits = self.discriminator(real, training=True)
        fake_logits = self.discriminator(fake, training=True)
        d_loss = self.loss_pair.d(real_logits, fake_logits)
        penalty = self.penalty(self.discriminator, real, fake)
        return d_loss + penalty, self.d_logs(d_loss, real_logits, fake_logits)

    def generator_loss(self, real, z):
        """G's loss on D(G(z)), and the number to log.  (Only feature matching reads ``real``: it
        matches D's mean features on the real batch instead of fooling D's verdict.)"""
        fake = self.generator(z, training=True)
        if self.features is not None:
            g_loss = feature_matching_loss(self.features(real, training=True), self.features(fake, training=True))
        else:
            g_loss = self.loss_pair.g(self.discriminator(fake, training=True))
        return g_loss, {"g_loss": g_loss}

    # -- pieces the steps share ----------------------------------------------------------

    def penalty(self, discriminate, real, fake):
        """D's gradient penalties: WGAN-GP's ``gp_weight * E[(|grad D(x_hat)| - 1)^2]`` at
        ``x_hat = eps x + (1 - eps) G(z)``, eps ~ U(0, 1) per image, and R1's
        ``r1 / 2 * E[|grad D(x)|^2]`` at real images; 0 if the config asks for neither."""
        total = 0.0
        if self.loss_pair.gradient_penalty:
            key = tf.stack([tf.constant(self.config.seed, tf.int64), tf.cast(self.d_optimizer.iterations, tf.int64)])
            key = tf.random.experimental.stateless_fold_in(key, PENALTY_STREAM)  # one draw per D step
            eps = replica_rows(lambda rows: tf.random.stateless_uniform((rows, 1, 1, 1), seed=key), ops.shape(real)[0])
            total += self.config.gp_weight * gradient_penalty(input_gradients(discriminate, eps * real
                                                                              + (1.0 - eps) * fake))
        if self.config.r1:
            total += self.config.r1 / 2.0 * r1_penalty(input_gradients(discriminate, real))
        return total

    def d_logs(self, d_loss, real_logits, fake_logits) -> dict:
        """D's loss, mean D(x) and D(G(z)) as probabilities, D's accuracy on each, and the gap
        ``d_gap = mean D_logit(x) - mean D_logit(G(z))``: for a WGAN critic, which outputs no
        probability, its estimate of the Wasserstein distance (if it is 1-Lipschitz)."""
        return {"d_loss": d_loss,
                "d_real": ops.mean(ops.sigmoid(real_logits)), "d_fake": ops.mean(ops.sigmoid(fake_logits)),
                "d_acc_real": ops.mean(ops.cast(real_logits > 0, "float32")),
                "d_acc_fake": ops.mean(ops.cast(fake_logits <= 0, "float32")),
                "d_gap": ops.mean(real_logits) - ops.mean(fake_logits)}

    def track(self, logs: dict) -> dict:
        """Add this step's numbers to the running means that ``fit()`` shows (averaged over the replicas
        under ``tf.distribute``: each replica's are means over its equal share of the global batch)."""
        for name, value in logs.items():
            self.trackers[name].update_state(value)
        return {name: reducible(tracker.result()) for name, tracker in self.trackers.items()}

    def update_ema(self):
        """``ema = d * ema + (1 - d) * w`` after each G step t = 0, 1, ..., with
        ``d = min(ema_decay, (1 + t) / (10 + t))``: a warm-up, so early averages do not cling to
        the random initial weights.  Batch-norm statistics are averaged too."""
        if self.generator_ema is None:
            return
        t = tf.cast(self.g_optimizer.iterations - 1, tf.float32)  # called after the G step: t = 0 first
        decay = tf.minimum(tf.constant(self.config.ema_decay, tf.float32), (1.0 + t) / (10.0 + t))
        for average, weight in zip(self.generator_ema.weights, self.generator.weights):
            average.assign(decay * average + (1.0 - decay) * tf.cast(weight, average.dtype))

    @property
    def sampler(self) -> keras.Model:
        """The network to sample from: ``generator_ema`` if kept, else ``generator``."""
        return self.generator_ema if self.generator_ema is not None else self.generator

    def generate(self, n: int, seed: int = 0, batch_size: int = SAMPLE_BATCH) -> np.ndarray:
        """``n`` samples of :attr:`sampler` as uint8 (n, 28, 28), from noise drawn with ``seed``."""
        return generate(self.sampler, n, seed=seed, batch_size=batch_size)


def input_gradients(discriminate, images):
    """``grad_x D(x)`` at ``images``: the gradient of the summed logits (each image's own)."""
    with tf.GradientTape() as tape:
        tape.watch(images)
        total = ops.sum(discriminate(images, training=True))
    return tape.gradient(total, images)


class SimultaneousGAN(GAN):
    """The TensorFlow DCGAN tutorial's step: one noise batch, one forward pass, both networks'
    gradients from it, both applied at once.  Cheaper per step than :class:`GAN` (G runs once,
    not twice), but each network chases the other's previous state.  ``update="simultaneous"``."""

    def __init__(self, generator=None, discriminator=None, *, config=None, **settings):
        settings.setdefault("update", "simultaneous")
        super().__init__(generator, discriminator, config=config, **settings)
        if self.config.update != "simultaneous":
            raise ValueError(f"SimultaneousGAN makes simultaneous updates, got update={self.config.update!r}")

    def train_step(self, real):
        z = self.replica_latent(ops.shape(real)[0], stream=0)
        with tf.GradientTape(persistent=True) as tape:
            real_logits = self.discriminator(real, training=True)
            fake_logits = self.discriminator(self.generator(z, training=True), training=True)
            d_loss = self.loss_pair.d(real_logits, fake_logits)
            g_loss = self.loss_pair.g(fake_logits)
            d_share, g_share = replica_loss(d_loss), replica_loss(g_loss)  # shares of the global batch's means
        d_variables, g_variables = self.d_variables, self.generator.trainable_variables
        d_gradients, g_gradients = tape.gradient(d_share, d_variables), tape.gradient(g_share, g_variables)
        del tape
        self.d_optimizer.apply_gradients(zip(d_gradients, d_variables))
        self.g_optimizer.apply_gradients(zip(g_gradients, g_variables))
        self.update_ema()
        return self.track({**self.d_logs(d_loss, real_logits, fake_logits), "g_loss": g_loss})


__all__ = ["GAN", "SimultaneousGAN", "METRIC_NAMES", "input_gradients"]
