"""Anomaly detection with a GAN: AnoGAN and f-AnoGAN.

A DCGAN (:mod:`ganlib.model`, trained by :class:`ganlib.trainer.Trainer`) learns *normal* images
only.  A score is high for images the normal model explains badly.  Scores, each a pure
function of images, reconstructions and D's features f (an intermediate layer of D,
:func:`ganlib.model.discriminator_features`):

* **AnoGAN** (Schlegl et al. 2017): search the latent space for the z whose G(z) is closest
  to x, by gradient descent (Adam) on z (:func:`invert_latent`); the score is the loss
  :func:`anogan_loss` at the end, ``(1 - lambda) |x - G(z)|_1 + lambda |f(x) - f(G(z))|_1``.
* **f-AnoGAN** (Schlegl et al. 2019): an encoder E, trained on normal images with G and D
  frozen (:class:`EncoderTraining`), maps x to z in one pass; the score is the izi_f loss
  :func:`izi_f_loss`, ``|x - G(E(x))|^2 / n + kappa |f(x) - f(G(E(x)))|^2 / n_f``; or the same
  two residuals measured as angles (:func:`izi_f_angles`), blind to the amount of ink.
* **f-AnoGAN + D**: the izi_f score plus D's own verdict on x, ``-logit D(x)`` (how fake D finds
  it), each standardised over normal training images (:func:`standardised_sum`,
  :meth:`AnoGANModels.combined_scores`).  D's verdict does not depend on how well G rebuilds x,
  the residual does (why the sum was chosen: ``benchmarks/README.md``, section 8c).
* **D features, kNN** (no reconstruction): the angle between f(x) and f of the nearest normal
  training images (:func:`feature_knn_score`, on :func:`knn_score`).

Images are uint8 MNIST or model-range floats (N, 28, 28, 1) in [-1, 1]
(:func:`ganlib.data.to_model_range`).  The shipped models of held-out digit d (trained by
``scripts/train_anogan.py``) load with :func:`load_anogan` ``(d)``.  The study that measures the
scores with one MNIST digit held out (the split, the test and validation subsets, the baselines
without a GAN, AUROC, the table) is :mod:`ganlib.studies.anomaly`; its results are in
``benchmarks/README.md``, section 8, and the book's chapter ``book/app_anogan.ipynb``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

import keras
import numpy as np
import tensorflow as tf
from keras import ops

from ganlib import assets
from ganlib.data import check_model_images, to_model_range
from ganlib.errors import DataError
from ganlib.metrics import pairwise_sq_distances
from ganlib.model import discriminator_features, discriminator_head, make_discriminator, make_generator

DIGITS = tuple(range(10))
FEATURE_WEIGHT = 0.1  # lambda of AnoGAN (Schlegl et al. 2017)
KAPPA = 1.0  # weight of the feature term of f-AnoGAN's izi_f loss (Schlegl et al. 2019)
SHIPPED = "anogan-mnist.npz"
SHIPPED_SETTINGS = "anogan-mnist.json"
MODEL_NAMES = ("generator", "features", "encoder", "critic")
REFERENCE_IMAGES = 2000  # normal training images that standardise the scores of f-AnoGAN + D
ENCODER_RUN = "encoder"  # a run's encoder trains in this subdirectory, a run of its own
ENCODER_FILE = "encoder.weights.h5"
ENCODER_RECORD = "encoder.json"  # its settings, beside the weights


def check_digit(digit) -> int:
    """``digit`` as an int; DataError unless it is one of 0..9."""
    if isinstance(digit, bool) or not isinstance(digit, (int, np.integer)) or int(digit) not in DIGITS:
        raise DataError(f"the held-out digit must be an integer 0..9, got {digit!r}; "
                        "pick the digit to treat as the anomaly")
    return int(digit)


def _per_image(values):
    """Sum over every axis but the first."""
    return ops.sum(ops.reshape(values, (ops.shape(values)[0], -1)), axis=1)


def anogan_loss(images, reconstructions, image_features, reconstruction_features, weight: float = FEATURE_WEIGHT):
    """AnoGAN's loss per image (Schlegl et al. 2017, eq. 3-5), shape (N,):

        (1 - lambda) * sum_pixels |x - G(z)|  +  lambda * sum_features |f(x) - f(G(z))|

    the residual loss plus ``lambda`` (``weight``, 0.1 in the paper) times the discrimination
    loss in its feature-matching form, f an intermediate layer of D.  At the z found by
    :func:`invert_latent` it is the anomaly score.  Works on numpy arrays and tensors alike.
    """
    residual = _per_image(ops.abs(images - reconstructions))
    discrimination = _per_image(ops.abs(image_features - reconstruction_features))
    return (1.0 - weight) * residual + weight * discrimination


def izi_f_loss(images, reconstructions, image_features, reconstruction_features, kappa: float = KAPPA):
    """f-AnoGAN's izi_f loss per image (Schlegl et al. 2019, eq. 7), shape (N,):

        sum_pixels (x - G(E(x)))^2 / n  +  kappa * sum_features (f(x) - f(G(E(x))))^2 / n_f

    with n pixels and n_f features: the encoder's training loss (averaged over a batch) and,
    for a trained encoder, the anomaly score.
    """
    n = int(np.prod(images.shape[1:]))
    n_f = int(np.prod(image_features.shape[1:]))
    residual = _per_image(ops.square(images - reconstructions)) / n
    features = _per_image(ops.square(image_features - reconstruction_features)) / n_f
    return residual + kappa * features


def _batches(count: int, batch_size: int):
    return [slice(start, min(start + batch_size, count)) for start in range(0, count, batch_size)]


def invert_latent(generator, features, images, *, steps: int = 100, learning_rate: float = 0.05,
                  weight: float = FEATURE_WEIGHT, seed: int = 0, batch_size: int = 500):
    """AnoGAN's latent search: for each image x, Adam on z (started from N(0, I) drawn with
    ``seed``) for ``steps`` steps on :func:`anogan_loss`; G and f in inference mode, frozen.

    Returns ``(z, scores, losses)``: the final latent vectors (N, latent_dim), the loss at them
    (N,) -- the AnoGAN anomaly score -- and the mean loss before each step and at the end
    (steps + 1,).  A batch minimises the *sum* of its images' losses; as Adam works per
    coordinate, that is exactly an independent search per image.
    """
    images = _model_images(images)
    latent_dim = generator.input_shape[-1]
    z_all, scores, losses = [], [], np.zeros(steps + 1)
    for number, part in enumerate(_batches(len(images), batch_size)):
        x = tf.constant(images[part])
        noise = tf.random.stateless_normal((len(images[part]), latent_dim), seed=[seed, number])
        z = tf.Variable(noise)
        optimizer = keras.optimizers.Adam(learning_rate)
        target = features(x, training=False)

        def loss():
            reconstruction = generator(z, training=False)
            return anogan_loss(x, reconstruction, target, features(reconstruction, training=False), weight)

        @tf.function
        def step():
            with tf.GradientTape() as tape:
                per_image = loss()
                total = ops.sum(per_image)
            optimizer.apply_gradients([(tape.gradient(total, z), z)])
            return ops.mean(per_image)

        for k in range(steps):
            losses[k] += float(step()) * len(images[part])
        final = np.asarray(loss())
        losses[steps] += final.sum()
        z_all.append(z.numpy())
        scores.append(final)
    return np.concatenate(z_all), np.concatenate(scores), losses / len(images)


def make_encoder(latent_dim: int, width: int, batch_norm: bool = False) -> keras.Sequential:
    """f-AnoGAN's encoder E: images (N, 28, 28, 1) -> latent vectors (N, latent_dim), with D's
    convolutions (:func:`ganlib.model.make_discriminator` with ``outputs=latent_dim``) without
    batch norm (as f-AnoGAN's encoder, like its WGAN-GP critic, has none: a score must not depend
    on moving averages of batch statistics; ``batch_norm=True`` keeps D's); linear output, as
    ganlib's noise is Gaussian."""
    return make_discriminator(width, name="encoder", outputs=latent_dim,
                              normalization="batch" if batch_norm else "none")


def izi_f_angles(images, reconstructions, image_features, reconstruction_features) -> np.ndarray:
    """f-AnoGAN's two residuals measured as angles (:func:`unit_rows`), per image, shape (N,):

        |u(ink(x)) - u(ink(G(E(x))))|^2  +  |u(f(x)) - u(f(G(E(x))))|^2,   u(v) = v / |v|,

    ink as in :func:`ink_directions`.  The squared residual of :func:`izi_f_loss` grows with the
    amount of ink, so an anomaly with little ink (a 1) scores low; an angle does not grow with it.
    Each term is in [0, 4]."""
    return (((ink_directions(images) - ink_directions(reconstructions)) ** 2).sum(axis=1)
            + ((unit_rows(image_features) - unit_rows(reconstruction_features)) ** 2).sum(axis=1))


def encoder_scores(generator, features, encoder, images, kappa: float = KAPPA, batch_size: int = 1000,
                   angles: bool = False) -> np.ndarray:
    """f-AnoGAN's anomaly score of each image at z = E(x), shape (N,): :func:`izi_f_loss`, or
    with ``angles`` :func:`izi_f_angles`."""
    images = _model_images(images)
    scores = []
    for part in _batches(len(images), batch_size):
        x = images[part]
        reconstruction = generator(encoder(x, training=False), training=False)
        terms = (x, reconstruction, features(x, training=False), features(reconstruction, training=False))
        if angles:
            scores.append(izi_f_angles(*(np.asarray(term) for term in terms)))
        else:
            scores.append(np.asarray(izi_f_loss(*terms, kappa)))
    return np.concatenate(scores)


class EncoderTraining(keras.Model):
    """f-AnoGAN's encoder E trained as a Keras model: ``fit()`` on batches of normal images x
    minimises the batch mean of :func:`izi_f_loss` ``(x, G(E(x)))`` over E's weights, with a
    trained GAN's G and D features f frozen (in inference mode).  Logged: ``izi_f``.

    :class:`ganlib.trainer.Trainer` trains it (``kind="anogan-encoder"``, settings
    :class:`ganlib.config.EncoderConfig`, which name the GAN run), so it checkpoints and resumes
    like every other model.
    """

    def __init__(self, encoder, generator, features, *, kappa: float = KAPPA, learning_rate: float = 1e-3,
                 beta_1: float = 0.9, **kwargs):
        super().__init__(**kwargs)
        self.encoder, self.generator, self.features = encoder, generator, features
        self.generator.trainable = self.features.trainable = False
        self.kappa, self.learning_rate, self.beta_1 = float(kappa), learning_rate, beta_1
        self.tracker = keras.metrics.Mean(name="izi_f")
        self.built = True

    def compile(self, optimizer=None, **kwargs):
        super().compile(**kwargs)
        self.e_optimizer = optimizer or keras.optimizers.Adam(self.learning_rate, beta_1=self.beta_1)
        self.e_optimizer.build(self.encoder.trainable_variables)  # so that a checkpoint restores its slots

    @property
    def metrics(self):
        return [self.tracker]

    def call(self, images, training=False):
        return self.generator(self.encoder(images, training=training), training=False)

    def train_step(self, images):
        with tf.GradientTape() as tape:
            reconstruction = self.generator(self.encoder(images, training=True), training=False)
            loss = ops.mean(izi_f_loss(images, reconstruction, self.features(images, training=False),
                                       self.features(reconstruction, training=False), self.kappa))
        variables = self.encoder.trainable_variables
        self.e_optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables))
        self.tracker.update_state(loss)
        return {"izi_f": self.tracker.result()}


def knn_score(images, normal_images, k: int = 5, block: int = 256) -> np.ndarray:
    """The mean squared distance of each image to its ``k`` nearest normal images,

        score(x) = (1/k) * sum_{j in kNN(x)} |x - x_j|^2,

    shape (N,); images as (N, 28, 28, 1) floats or any (N, ...) arrays of the same size (pixels,
    or features as in :func:`feature_knn_score`)."""
    queries = np.asarray(images, np.float32).reshape(len(images), -1)
    support = np.asarray(normal_images, np.float32).reshape(len(normal_images), -1)
    if queries.shape[1] != support.shape[1]:
        raise DataError(f"images have {queries.shape[1]} pixels but the normal images {support.shape[1]}")
    if not 1 <= k <= len(support):
        raise DataError(f"k must be between 1 and the number of normal images ({len(support)}), got {k!r}")
    scores = np.empty(len(queries))
    for part in _batches(len(queries), block):
        distances = pairwise_sq_distances(queries[part], support)
        scores[part] = np.partition(distances, k - 1, axis=1)[:, :k].mean(axis=1)
    return scores


def unit_rows(vectors) -> np.ndarray:
    """Each row of ``vectors`` (N, ...) flattened and scaled to length 1, shape (N, D) float32; a
    zero row stays zero."""
    flat = np.asarray(vectors, np.float32).reshape(len(vectors), -1)
    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-12)


def ink_directions(images) -> np.ndarray:
    """Each image's ink as a unit vector (:func:`unit_rows`), shape (N, pixels): ``ink = (x + 1) / 2``
    in [0, 1] (0 = background) for model-range images, the uint8 value for uint8 MNIST.  Images
    whose ink differs only by a factor (fainter or darker strokes) get the same direction."""
    images = np.asarray(images)
    return unit_rows(images if images.dtype == np.uint8 else (_model_images(images) + 1.0) / 2.0)


def feature_knn_score(features, images, normal_images, k: int = 5, batch_size: int = 2000) -> np.ndarray:
    """A GAN score without reconstruction: :func:`knn_score` on the unit-length features of D
    (``features`` = f, :func:`ganlib.model.discriminator_features`), shape (N,),

        score(x) = (1/k) * sum_{j in kNN(x)} |u(f(x)) - u(f(x_j))|^2,   u(v) = v / |v|,

    the angle, in the space of what D learned to look at, to the ``k`` nearest normal training
    images.  ``images`` and ``normal_images``: uint8 MNIST or model-range floats."""
    def embed(batch):
        batch = _model_images(batch)
        return unit_rows(np.concatenate([np.asarray(features(batch[part], training=False))
                                         for part in _batches(len(batch), batch_size)]))

    return knn_score(embed(images), embed(normal_images), k)


def standardised_sum(scores: dict, reference_scores: dict) -> np.ndarray:
    """The sum of several scores of the same images, each standardised over a reference set,

        score(x) = sum_k (s_k(x) - mean_r s_k(r)) / sd_r s_k(r),

    ``scores`` and ``reference_scores``: dicts of equal keys, arrays (N,) and (R,) of score k on
    the images and on R >= 2 normal reference images.  Standardising puts scores of different
    units on one scale, each in "standard deviations above normal"; shape (N,)."""
    if set(scores) != set(reference_scores) or not scores:
        raise DataError(f"need the same scores on the images and the reference, got {sorted(scores)} and "
                        f"{sorted(reference_scores)}")
    total = 0.0
    for name, values in scores.items():
        reference = np.asarray(reference_scores[name], np.float64)
        spread = reference.std() if reference.ndim == 1 and len(reference) >= 2 else 0.0
        if not spread > 0:
            raise DataError(f"score {name!r} does not vary over the reference images (or there are fewer than 2): "
                            "standardising needs a spread; use more, and varied, normal images")
        total = total + (np.asarray(values, np.float64) - reference.mean()) / spread
    return np.asarray(total)


def reference_images(normal_images, count: int = REFERENCE_IMAGES, seed: int = 0) -> np.ndarray:
    """``count`` normal images drawn without replacement with ``seed`` (all of them if fewer): the
    reference that :meth:`AnoGANModels.combined_scores` standardises over."""
    rng = np.random.default_rng(seed)
    return np.asarray(normal_images)[np.sort(rng.choice(len(normal_images), min(count, len(normal_images)),
                                                        replace=False))]


def _model_images(images) -> np.ndarray:
    """uint8 MNIST or model-range floats -> float32 (N, 28, 28, 1) in [-1, 1] (DataError otherwise)."""
    images = np.asarray(images)
    if images.dtype == np.uint8:
        return to_model_range(images)
    check_model_images(images)
    return images.astype(np.float32)


@dataclass
class AnoGANModels:
    """The networks that score images for one held-out digit: G, D's features f, the encoder E and
    D's last layer (the critic reading f)."""

    digit: int
    generator: keras.Model
    features: keras.Model
    encoder: keras.Model
    critic: keras.Model  # D's last layer: features -> logit (ganlib.model.discriminator_head)

    def anogan_scores(self, images, **options) -> np.ndarray:
        """AnoGAN scores (:func:`invert_latent`'s second result); ``options`` go to it."""
        return invert_latent(self.generator, self.features, images, **options)[1]

    def encoder_scores(self, images, angles: bool = False) -> np.ndarray:
        """f-AnoGAN scores (:func:`encoder_scores`; ``angles``: :func:`izi_f_angles`)."""
        return encoder_scores(self.generator, self.features, self.encoder, images, angles=angles)

    def critic_scores(self, images, batch_size: int = 1000) -> np.ndarray:
        """``-logit D(x)`` per image, shape (N,): how fake the GAN's discriminator finds x (higher =
        less like the normal training images, as D learned them)."""
        images = _model_images(images)
        return np.concatenate([-np.asarray(self.critic(self.features(images[part], training=False)))[:, 0]
                               for part in _batches(len(images), batch_size)])

    def combined_scores(self, images, normal_images, angles: bool = False, count: int = REFERENCE_IMAGES,
                        seed: int = 0) -> np.ndarray:
        """f-AnoGAN + D: :func:`standardised_sum` of the f-AnoGAN score (izi_f, or with ``angles``
        its angle form) and :meth:`critic_scores`, standardised over :func:`reference_images`
        ``(normal_images, count, seed)``, shape (N,)."""
        reference = reference_images(normal_images, count, seed)
        parts = {"f-anogan": lambda x: self.encoder_scores(x, angles=angles), "critic": self.critic_scores}
        return standardised_sum({name: score(images) for name, score in parts.items()},
                                {name: score(reference) for name, score in parts.items()})

    def feature_knn_scores(self, images, normal_images, k: int = 5) -> np.ndarray:
        """kNN angle in D's features (:func:`feature_knn_score`) to ``normal_images``."""
        return feature_knn_score(self.features, images, normal_images, k)

    def reconstruct(self, images) -> np.ndarray:
        """G(E(x)) as model-range floats (N, 28, 28, 1)."""
        images = _model_images(images)
        return np.asarray(self.generator(self.encoder(images, training=False), training=False))


def build_models(digit: int, latent_dim: int, width: int) -> AnoGANModels:
    """Untrained networks of the given sizes (what :func:`load_anogan` fills with weights)."""
    discriminator = make_discriminator(width)
    return AnoGANModels(check_digit(digit), make_generator(latent_dim, width), discriminator_features(discriminator),
                        make_encoder(latent_dim, width), discriminator_head(discriminator))


def pack_weights(models: AnoGANModels) -> dict[str, np.ndarray]:
    """Every weight of the networks of :data:`MODEL_NAMES` as float16 arrays named ``DIGIT/NETWORK/INDEX``."""
    return {f"{models.digit}/{name}/{i:02d}": np.asarray(w, np.float16)
            for name in MODEL_NAMES for i, w in enumerate(getattr(models, name).get_weights())}


def unpack_weights(models: AnoGANModels, arrays) -> AnoGANModels:
    """Set ``models``' weights from :func:`pack_weights`' arrays (as float32)."""
    for name in MODEL_NAMES:
        network = getattr(models, name)
        count = len(network.get_weights())
        network.set_weights([np.asarray(arrays[f"{models.digit}/{name}/{i:02d}"], np.float32) for i in range(count)])
    return models


def load_anogan(digit: int) -> AnoGANModels:
    """The shipped generator, D features and encoder trained without ``digit`` (sha256-checked
    assets ``anogan-mnist.npz`` and ``anogan-mnist.json``; how they were trained: the json)."""
    digit = check_digit(digit)
    settings = shipped_settings()
    with np.load(assets.path(SHIPPED), allow_pickle=False) as arrays:
        return unpack_weights(build_models(digit, settings["latent_dim"], settings["width"]), arrays)


def shipped_settings() -> dict:
    """Settings, commands and measured AUROCs of the shipped models (``anogan-mnist.json``)."""
    return json.loads(assets.path(SHIPPED_SETTINGS).read_text(encoding="utf-8"))


__all__ = ["anogan_loss", "izi_f_loss", "invert_latent", "make_encoder", "EncoderTraining", "izi_f_angles",
           "encoder_scores", "knn_score", "unit_rows", "ink_directions", "feature_knn_score", "standardised_sum",
           "reference_images", "AnoGANModels", "build_models", "pack_weights", "unpack_weights", "load_anogan",
           "shipped_settings", "check_digit", "DIGITS", "ENCODER_FILE", "ENCODER_RECORD", "ENCODER_RUN"]
