"""The TensorFlow DCGAN tutorial's recipe, rebuilt from its published description.

Source: https://www.tensorflow.org/tutorials/generative/dcgan (read, not copied). Its recipe:

* data: MNIST scaled to [-1, 1], ``from_tensor_slices(...).shuffle(60000).batch(256)``;
* generator: Dense(7*7*256, no bias), BN, LeakyReLU, reshape, Conv2DTranspose(128, 5, stride 1),
  BN, LeakyReLU, Conv2DTranspose(64, 5, stride 2), BN, LeakyReLU, Conv2DTranspose(1, 5, stride 2,
  tanh) -- all transposed convolutions without bias;
* discriminator: Conv2D(64, 5, stride 2), LeakyReLU, Dropout(0.3), Conv2D(128, 5, stride 2),
  LeakyReLU, Dropout(0.3), Flatten, Dense(1) (a logit);
* losses: binary cross-entropy on logits; G's loss is the non-saturating one;
* optimisers: Adam(1e-4) for each network (Keras' default beta_1 = 0.9);
* one ``tf.function`` step: one noise batch, G and D updated *simultaneously* from one forward
  pass (two tapes), 50 epochs.

LeakyReLU keeps the Keras default slope (0.3 in Keras 3, as ``alpha=0.3`` was in Keras 2).
The benchmarks import this module; it is not part of ``ganlib``.  It measures nothing by itself:
``benchmarks/throughput.py`` (README section 5) and ``benchmarks/time_to_quality.py`` (sections 2
and 4) time and score this recipe against ganlib's.  Run as a script, it only prints this text.
"""

from __future__ import annotations

if __name__ == "__main__":  # before TensorFlow is imported: --help needs it not
    import argparse

    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    print(__doc__)
    raise SystemExit(0)

import keras
import numpy as np
import tensorflow as tf
from keras import layers

BATCH_SIZE = 256
NOISE_DIM = 100
LEARNING_RATE = 1e-4


def make_generator() -> keras.Sequential:
    return keras.Sequential([
        keras.Input((NOISE_DIM,)),
        layers.Dense(7 * 7 * 256, use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Reshape((7, 7, 256)),
        layers.Conv2DTranspose(128, 5, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(64, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(),
        layers.LeakyReLU(),
        layers.Conv2DTranspose(1, 5, strides=2, padding="same", use_bias=False, activation="tanh"),
    ], name="tutorial_generator")


def make_discriminator() -> keras.Sequential:
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(64, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Conv2D(128, 5, strides=2, padding="same"),
        layers.LeakyReLU(),
        layers.Dropout(0.3),
        layers.Flatten(),
        layers.Dense(1),
    ], name="tutorial_discriminator")


def make_dataset(images_uint8: np.ndarray, batch_size: int = BATCH_SIZE) -> tf.data.Dataset:
    """The tutorial's pipeline: float [-1, 1], shuffle over the whole set, batches of 256."""
    images = (images_uint8.reshape(-1, 28, 28, 1).astype("float32") - 127.5) / 127.5
    return tf.data.Dataset.from_tensor_slices(images).shuffle(len(images)).batch(batch_size)


class TutorialRecipe:
    """Networks, optimisers and the tutorial's ``train_step``."""

    def __init__(self):
        self.generator = make_generator()
        self.discriminator = make_discriminator()
        self.g_optimizer = keras.optimizers.Adam(LEARNING_RATE)
        self.d_optimizer = keras.optimizers.Adam(LEARNING_RATE)
        self.cross_entropy = keras.losses.BinaryCrossentropy(from_logits=True)
        self.train_step = tf.function(self._train_step)

    def _train_step(self, images):
        noise = tf.random.normal([tf.shape(images)[0], NOISE_DIM])
        with tf.GradientTape() as g_tape, tf.GradientTape() as d_tape:
            generated = self.generator(noise, training=True)
            real_output = self.discriminator(images, training=True)
            fake_output = self.discriminator(generated, training=True)
            g_loss = self.cross_entropy(tf.ones_like(fake_output), fake_output)
            d_loss = (self.cross_entropy(tf.ones_like(real_output), real_output)
                      + self.cross_entropy(tf.zeros_like(fake_output), fake_output))
        g_vars, d_vars = self.generator.trainable_variables, self.discriminator.trainable_variables
        self.g_optimizer.apply_gradients(zip(g_tape.gradient(g_loss, g_vars), g_vars))
        self.d_optimizer.apply_gradients(zip(d_tape.gradient(d_loss, d_vars), d_vars))
        return g_loss, d_loss
