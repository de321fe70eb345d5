"""Class-conditional generation, BigGAN-style: conditional batch norm in G, a projection D, hinge loss.

BigGAN (Brock et al. 2019) tells its generator the class through *conditional batch
normalisation* (de Vries et al. 2017): each batch-norm layer normalises its features without
a learnt scale and shift of its own, then applies a per-class one,
``gamma(y) * x_hat + beta(y)`` with ``gamma(y) = 1 + E_gamma[y]`` and ``beta(y) = E_beta[y]``
rows of two learnt embeddings.  Its discriminator is a *projection discriminator* (Miyato &
Koyama 2018): with features ``phi(x)``,

    logit(x, y) = psi(phi(x)) + <E[y], phi(x)>,

a class-independent score plus the inner product of a class embedding with the features.
D's layers are spectrally normalised (Miyato et al. 2018) and both networks are trained
with the hinge loss.  The truncation trick samples z from a truncated normal (values with
``|z| > threshold`` are redrawn), trading variety for quality.

:class:`ConditionalGAN` is a :class:`ganlib.gan.GAN` whose batches carry labels: real
batches are ``(images, labels)``, fake labels are drawn uniformly and statelessly from
``(seed, step, stream)`` like the noise, so a run restored from a checkpoint resumes exactly.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from ganlib.data import IMAGE_SHAPE, to_uint8
from ganlib.defaults import DEFAULT_BATCH_SIZE, DEFAULT_EMA_DECAY, DEFAULT_WIDTH, LATENT_DIM
from ganlib.errors import DataError
from ganlib.latent import truncated_normal
from ganlib.config import ConditionalConfig, build_config
from ganlib.gan import GAN
from ganlib.model import batch_normalization, make_discriminator, make_generator
from ganlib.sampling import SAMPLE_BATCH

CLASSES = ConditionalConfig.classes
LABEL_STREAM = 1  # folded into the noise key to draw the fake labels from an independent stream


@keras.saving.register_keras_serializable(package="ganlib")
class ConditionalBatchNorm(layers.Layer):
    """Batch norm with a per-class scale and shift: inputs ``[x, y]`` -> ``(1 + G[y]) * x_hat + B[y]``.

    ``x_hat`` is ``x`` normalised over the batch (over batch and positions for feature maps;
    moving averages at inference) and ``G``, ``B`` are (classes, features) embeddings,
    initialised to zero so that training starts from plain batch norm.
    """

    def __init__(self, classes: int, momentum: float = 0.99, epsilon: float = 1e-3, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(classes, int) or classes < 1:
            raise ValueError(f"classes must be a positive integer, got {classes!r}")
        self.classes, self.momentum, self.epsilon = classes, momentum, epsilon
        self.norm = batch_normalization(momentum=momentum, epsilon=epsilon, center=False, scale=False)

    def build(self, input_shape):
        x_shape = input_shape[0]
        features = int(x_shape[-1])
        self.norm.build(x_shape)
        self.gamma = self.add_weight(shape=(self.classes, features), initializer="zeros", name="gamma")
        self.beta = self.add_weight(shape=(self.classes, features), initializer="zeros", name="beta")

    def call(self, inputs, training=False):
        x, y = inputs
        y = ops.cast(ops.reshape(y, (-1,)), "int32")
        normalised = self.norm(x, training=training)
        shape = (-1,) + (1,) * (len(x.shape) - 2) + (x.shape[-1],)
        gamma = ops.reshape(ops.take(self.gamma, y, axis=0), shape)
        beta = ops.reshape(ops.take(self.beta, y, axis=0), shape)
        return (1.0 + gamma) * normalised + beta

    def compute_output_shape(self, input_shape):
        return input_shape[0]

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "momentum": self.momentum,
                "epsilon": self.epsilon}


@keras.saving.register_keras_serializable(package="ganlib")
class Projection(layers.Layer):
    """The projection term of Miyato & Koyama (2018): inputs ``[phi, y]`` -> ``<E[y], phi>``, shape (N, 1)."""

    def __init__(self, classes: int, **kwargs):
        super().__init__(**kwargs)
        self.classes = classes

    def build(self, input_shape):
        self.embedding = self.add_weight(shape=(self.classes, int(input_shape[0][-1])),
                                         initializer="glorot_uniform", name="embedding")

    def call(self, inputs):
        features, y = inputs
        rows = ops.take(self.embedding, ops.cast(ops.reshape(y, (-1,)), "int32"), axis=0)
        return ops.sum(rows * features, axis=-1, keepdims=True)

    def compute_output_shape(self, input_shape):
        return (input_shape[0][0], 1)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes}


def make_conditional_generator(latent_dim: int = LATENT_DIM, width: int = DEFAULT_WIDTH, classes: int = CLASSES,
                               name: str = "conditional_generator") -> keras.Model:
    """G: ``[z (N, latent_dim), y (N,) int]`` -> images (N, 28, 28, 1) in [-1, 1].

    :func:`ganlib.model.make_generator`'s layers with every batch norm replaced by a
    :class:`ConditionalBatchNorm` reading the label.
    """
    z = keras.Input((latent_dim,), name="z")
    y = keras.Input((), dtype="int32", name="label")
    x = layers.Dense(7 * 7 * 4 * width, use_bias=False)(z)
    x = layers.ReLU()(ConditionalBatchNorm(classes)([x, y]))
    x = layers.Reshape((7, 7, 4 * width))(x)
    x = layers.Conv2DTranspose(2 * width, 5, strides=1, padding="same", use_bias=False)(x)
    x = layers.ReLU()(ConditionalBatchNorm(classes)([x, y]))
    x = layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False)(x)
    x = layers.ReLU()(ConditionalBatchNorm(classes)([x, y]))
    out = layers.Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh")(x)
    return keras.Model([z, y], out, name=name)


def make_projection_discriminator(width: int = DEFAULT_WIDTH, classes: int = CLASSES, spectral: bool = True,
                                  name: str = "projection_discriminator") -> keras.Model:
    """D: ``[images (N, 28, 28, 1), y (N,) int]`` -> logits (N, 1) = psi(phi(x)) + <E[y], phi(x)>.

    phi: three stride-2 convolutions (width, 2*width, 4*width channels) with LeakyReLU(0.2),
    then flattened (the projection discriminator of Miyato & Koyama pools globally; on a 4x4
    map flattening keeps where each feature is); psi: a dense layer to one
    number.  With ``spectral`` every convolution and psi are spectrally normalised.
    """
    def sn(layer):
        return layers.SpectralNormalization(layer) if spectral else layer

    x_in = keras.Input(IMAGE_SHAPE, name="image")
    y = keras.Input((), dtype="int32", name="label")
    x = layers.LeakyReLU(0.2)(sn(layers.Conv2D(width, 5, strides=2, padding="same"))(x_in))
    x = layers.LeakyReLU(0.2)(sn(layers.Conv2D(2 * width, 5, strides=2, padding="same"))(x))
    x = layers.LeakyReLU(0.2)(sn(layers.Conv2D(4 * width, 3, strides=2, padding="same"))(x))
    phi = layers.Flatten(name="phi")(x)
    psi = sn(layers.Dense(1))(phi)
    logit = layers.Add()([psi, Projection(classes, name="projection")([phi, y])])
    return keras.Model([x_in, y], logit, name=name)


class OneHotLabel(layers.Layer):
    """Labels (N,) int -> one-hot rows (N, classes), or with ``image_shape=(H, W)`` one-hot *maps*
    (N, H, W, classes): every pixel of channel k is 1 for label k.  How a concatenating cGAN hands
    the label to its networks."""

    def __init__(self, classes: int, image_shape: tuple | None = None, **kwargs):
        super().__init__(**kwargs)
        self.classes, self.image_shape = classes, tuple(image_shape) if image_shape else None

    def call(self, y):
        rows = ops.one_hot(ops.cast(ops.reshape(y, (-1,)), "int32"), self.classes)
        if self.image_shape is None:
            return rows
        return ops.tile(rows[:, None, None, :], (1, *self.image_shape, 1))

    def compute_output_shape(self, input_shape):
        return (input_shape[0], *(self.image_shape or ()), self.classes)

    def get_config(self):
        return {**super().get_config(), "classes": self.classes, "image_shape": self.image_shape}


def make_concat_generator(latent_dim: int = LATENT_DIM, width: int = DEFAULT_WIDTH, classes: int = CLASSES,
                          name: str = "concat_generator") -> keras.Model:
    """G: ``[z, y]`` -> images, the label concatenated to the noise (Mirza & Osindero 2014):
    :func:`ganlib.model.make_generator` reading ``[z, one_hot(y)]``, latent_dim + classes numbers."""
    z = keras.Input((latent_dim,), name="z")
    y = keras.Input((), dtype="int32", name="label")
    body = make_generator(latent_dim + classes, width, name="body")
    return keras.Model([z, y], body(layers.Concatenate()([z, OneHotLabel(classes)(y)])), name=name)


def make_concat_discriminator(width: int = DEFAULT_WIDTH, classes: int = CLASSES, normalization: str = "batch",
                              name: str = "concat_discriminator") -> keras.Model:
    """D: ``[images, y]`` -> logits, the label concatenated to the image as ``classes`` constant
    channels (one-hot maps): :func:`ganlib.model.make_discriminator` reading 1 + classes channels."""
    x = keras.Input(IMAGE_SHAPE, name="image")
    y = keras.Input((), dtype="int32", name="label")
    body = make_discriminator(width, name="body", normalization=normalization, channels=1 + classes)
    return keras.Model([x, y], body(layers.Concatenate()([x, OneHotLabel(classes, IMAGE_SHAPE[:2])(y)])), name=name)


def make_networks(config: ConditionalConfig) -> tuple[keras.Model, keras.Model]:
    """(G, D) of a conditional config: BigGAN-style (conditional batch norm, projection D) or
    concatenating (``conditioning="concat"``)."""
    c = config
    if c.conditioning == "concat":
        return (make_concat_generator(c.latent_dim, c.width, c.classes),
                make_concat_discriminator(c.width, c.classes, c.d_norm))
    return (make_conditional_generator(c.latent_dim, c.width, c.classes),
            make_projection_discriminator(c.width, c.classes, c.d_norm == "spectral"))


class ConditionalGAN(GAN):
    """A class-conditional GAN: G(z, y), D(x, y), trained on ``(images, labels)`` batches.

    Algorithm 1 unchanged, with a label beside every image: G's input is ``(z, y)`` with ``y``
    uniform over the classes, drawn statelessly from (seed, step, stream) as the noise is (so a
    restored run resumes exactly), and D judges each real image with its label and each fake
    with the label it was made for.  Settings: :class:`ganlib.config.ConditionalConfig`
    (hinge loss and a spectrally normalised projection D by default).
    """

    config_class = ConditionalConfig

    def __init__(self, generator=None, discriminator=None, *, config=None, name=None, **settings):
        c = build_config(self.config_class, config, settings)
        if generator is None or discriminator is None:
            default_generator, default_discriminator = make_networks(c)
            generator = generator if generator is not None else default_generator
            discriminator = discriminator if discriminator is not None else default_discriminator
        super().__init__(generator, discriminator, config=c, name=name)

    def sample_latent(self, batch_size, stream: int):
        """(z, y): the noise, and uniform labels from an independent stateless stream."""
        key = tf.random.experimental.stateless_fold_in(self.noise_key(stream), LABEL_STREAM)
        labels = tf.random.stateless_uniform((batch_size,), seed=key, minval=0, maxval=self.config.classes,
                                             dtype=tf.int32)
        return super().sample_latent(batch_size, stream), labels

    def discriminator_loss(self, real, latent):
        images, labels = real_images_and_labels(real)
        fake = self.generator(latent, training=True)
        real_logits = self.discriminator([images, labels], training=True)
        fake_logits = self.discriminator([fake, latent[1]], training=True)
        d_loss = self.loss_pair.d(real_logits, fake_logits)
        # the penalty's gradients are taken at images judged with the real labels
        penalty = self.penalty(lambda x, training: self.discriminator([x, labels], training=training), images, fake)
        return d_loss + penalty, self.d_logs(d_loss, real_logits, fake_logits)

    def generator_loss(self, real, latent):
        fake_logits = self.discriminator([self.generator(latent, training=True), latent[1]], training=True)
        g_loss = self.loss_pair.g(fake_logits)
        return g_loss, {"g_loss": g_loss}

    def generate(self, n: int, seed: int = 0, batch_size: int = SAMPLE_BATCH, labels=None,
                 truncation: float | None = None) -> np.ndarray:
        """``n`` samples of :attr:`sampler` as uint8, for ``labels`` (default: 0, 1, ..., cycling)."""
        labels = np.arange(n) % self.config.classes if labels is None else labels
        return sample(self.sampler, labels, truncated_noise(n, self.config.latent_dim, seed, truncation), batch_size)


def real_images_and_labels(batch):
    """(images, int32 labels) of a batch; DataError if the batch has no labels."""
    if not isinstance(batch, (tuple, list)) or len(batch) < 2:
        raise DataError("a ConditionalGAN trains on (images, labels) batches: make_dataset(..., labels=labels)")
    return batch[0], tf.cast(batch[1], tf.int32)


def truncated_noise(n: int, latent_dim: int = LATENT_DIM, seed: int = 0, threshold: float | None = None) -> np.ndarray:
    """``n`` standard normal latent vectors (float32) from ``seed``; with ``threshold`` every
    coordinate with ``|z| > threshold`` is redrawn until none is (the truncation trick,
    :func:`ganlib.latent.truncated_normal`)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of samples must be a positive integer, got {n!r}")
    return truncated_normal(np.random.default_rng(seed), (int(n), latent_dim), threshold)


def sample(generator, labels, z, batch_size: int = SAMPLE_BATCH) -> np.ndarray:
    """Run a conditional generator in inference mode on ``labels`` (N,) and ``z`` (N, latent_dim); uint8 (N, 28, 28)."""
    labels = np.asarray(labels)
    z = np.asarray(z, dtype=np.float32)
    classes = _classes(generator)
    if labels.shape != (len(z),) or not np.issubdtype(labels.dtype, np.integer):
        raise ValueError(f"labels must be integers of shape ({len(z)},) (one per latent vector), got "
                         f"{labels.dtype} {labels.shape}")
    if len(labels) and (labels.min() < 0 or labels.max() >= classes):
        raise ValueError(f"labels must lie in 0..{classes - 1}, got {labels.min()}..{labels.max()}")
    labels = labels.astype(np.int32)
    batches = [generator([z[i:i + batch_size], labels[i:i + batch_size]], training=False)
               for i in range(0, len(z), batch_size)]
    return to_uint8(np.concatenate([np.asarray(b) for b in batches]))


def generate(generator, label: int | None, n: int, seed: int = 0, truncation: float | None = None,
             batch_size: int = SAMPLE_BATCH) -> np.ndarray:
    """``n`` digits of class ``label`` (``None``: the classes in turn, 0, 1, ..., 0, 1, ...) as uint8
    (n, 28, 28), from noise drawn with ``seed`` (truncated at ``truncation`` if given, see
    :func:`truncated_noise`)."""
    z = truncated_noise(n, generator.input_shape[0][-1], seed, truncation)
    labels = np.arange(len(z)) % _classes(generator) if label is None else np.full(len(z), label)
    return sample(generator, labels.astype(np.int32), z, batch_size)


def _label_layers(model):
    """The layers through which ``model`` reads a label, in nested models too."""
    for layer in model.layers:
        if isinstance(layer, (ConditionalBatchNorm, OneHotLabel)):
            yield layer
        elif hasattr(layer, "layers"):
            yield from _label_layers(layer)


def is_conditional(generator) -> bool:
    """True if ``generator`` reads a class label: BigGAN-style (it has :class:`ConditionalBatchNorm`
    layers) or concatenating (it has a :class:`OneHotLabel` layer)."""
    return next(_label_layers(generator), None) is not None


def _classes(generator) -> int:
    layer = next(_label_layers(generator), None)
    if layer is None:
        raise ValueError("not a conditional generator (no ConditionalBatchNorm or OneHotLabel layer); see "
                         "make_conditional_generator and make_concat_generator")
    return layer.classes


def class_samples(generator, n_per_class: int, seed: int = 0,
                  truncation: float | None = None) -> tuple[np.ndarray, np.ndarray]:
    """``n_per_class`` samples of every class, as (uint8 images (N, 28, 28), requested labels (N,)),
    the labels in blocks 0, 0, ..., 1, 1, ...; noise from ``seed``, truncated at ``truncation``."""
    if not isinstance(n_per_class, (int, np.integer)) or n_per_class < 1:
        raise ValueError(f"n_per_class must be a positive integer, got {n_per_class!r}")
    labels = np.repeat(np.arange(_classes(generator), dtype=np.int32), n_per_class)
    z = truncated_noise(len(labels), generator.input_shape[0][-1], seed, truncation)
    return sample(generator, labels, z), labels


def label_accuracy(generator, n_per_class: int = 100, seed: int = 123) -> float:
    """The share of ``n_per_class`` samples of every class that the shipped evaluator reads as the
    requested class: :func:`class_samples` (noise from ``seed``; 123 is no seed the book's
    measurements use) classified by :func:`ganlib.evaluator.features_and_probabilities`.  The
    score a conditional training run logs after every epoch."""
    from ganlib.evaluator import features_and_probabilities

    images, labels = class_samples(generator, n_per_class, seed=seed)
    _, probabilities = features_and_probabilities(images)
    return float(np.mean(probabilities.argmax(1) == labels))


def class_report(images, labels, reference_images, reference_labels) -> dict:
    """How well uint8 digits ``images`` match their ``labels``, through the shipped evaluator.

    * ``accuracy``: the share of images the evaluator classifies as their label, overall and
      per class (``class_accuracy``);
    * ``class_fid``: for each class k, the FID between the images labelled k and the reference
      images labelled k (does each class look like real digits of that class?);
    * the unconditional scores of all images against all reference images
      (:func:`ganlib.metrics.scores`: FID, classifier score, precision, recall, ...).

    Run it on real images with their true labels to get the reference values to read it against.
    """
    from ganlib.evaluator import features_and_probabilities
    from ganlib.metrics import fid, scores

    labels, reference_labels = np.asarray(labels), np.asarray(reference_labels)
    if labels.shape != (len(images),) or reference_labels.shape != (len(reference_images),):
        raise DataError(f"need one label per image: {len(images)} images with labels {labels.shape}, "
                        f"{len(reference_images)} reference images with labels {reference_labels.shape}")
    classes = np.unique(labels)
    missing = sorted(set(classes.tolist()) - set(np.unique(reference_labels).tolist()))
    if missing:
        raise DataError(f"the reference images have no examples of class(es) {missing}; give reference "
                        "images of every class the images are labelled with")
    features, probabilities = features_and_probabilities(images)
    reference_features, _ = features_and_probabilities(reference_images)
    correct = probabilities.argmax(1) == labels
    return {
        "accuracy": float(correct.mean()),
        "class_accuracy": [float(correct[labels == k].mean()) for k in classes],
        "class_fid": [fid(features[labels == k], reference_features[reference_labels == k]) for k in classes],
        **scores(features, probabilities, reference_features),
    }


__all__ = ["ConditionalBatchNorm", "Projection", "make_conditional_generator", "make_projection_discriminator",
           "OneHotLabel", "make_concat_generator", "make_concat_discriminator", "make_networks",
           "ConditionalGAN", "label_accuracy", "truncated_noise", "sample", "generate", "class_samples", "class_report",
           "is_conditional", "DEFAULT_BATCH_SIZE", "DEFAULT_EMA_DECAY"]
