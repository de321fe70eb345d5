"""Unpaired translation between two real digit domains, MNIST and the UCI digits: CycleGAN.

The domains: X = MNIST (sharp 28x28 scans) and Y = the UCI handwritten digits that
scikit-learn ships (Alpaydin & Kaynak 1998; 8x8 pixels, values 0..16, no download), upsampled
bilinearly into MNIST's 20x20 box of a 28x28 image (:func:`ganlib.uci.upsample_uci`): blurry and blocky where
MNIST is crisp.  No image of one domain is paired with one of the other.  Two pairs of generators
ship (:data:`VARIANTS`, :func:`load_generators`): the plain CycleGAN (``"label-free"``) and, the
default, one trained with the semantic-consistency loss below (``"semantic"``).

CycleGAN (Zhu et al. 2017) learns two generators, G: X -> Y (``mnist_to_uci``) and
F: Y -> X (``uci_to_mnist``), compact ResNets with instance normalisation
(:func:`make_translator`), and two critics, D_X and D_Y, PatchGANs that score each patch of an
image (:func:`make_patch_critic`).  With images in [-1, 1], means over batch and pixels (or
patches), and lambda = 10:

* adversarial, least squares (LSGAN, Mao et al. 2017), for each critic and its generator:
  ``L_D_Y = 1/2 [mean (D_Y(y) - 1)^2 + mean D_Y(G(x))^2]`` and ``L_adv = mean (D_Y(G(x)) - 1)^2``
  (the same with D_X, F, x and y swapped);
* cycle consistency: ``L_cyc = lambda [mean |F(G(x)) - x| + mean |G(F(y)) - y|]``;
* identity: ``L_id = 0.5 lambda [mean |G(y) - y| + mean |F(x) - x|]``;
* the generators minimise ``L_adv(G) + L_adv(F) + L_cyc + L_id``; each critic its own ``L_D``.

Optionally (``semantic_weight = w > 0``), a **semantic-consistency** term in the manner of CyCADA
(Hoffman et al. 2018), with two frozen digit classifiers ``f_X`` (trained on labelled MNIST) and
``f_Y`` (on labelled UCI digits; :func:`ganlib.classifiers.train_digit_network`, a LeNet-5 or the evaluator's network):
``L_sem = w [CE(f_Y(G(x)), argmax f_X(x)) + CE(f_X(F(y)), argmax f_Y(y))]``.  Training images
still come unpaired; the labels enter only through the two classifiers, so this variant is no
longer label-free, and its translations must be judged by readers that are neither these networks
nor of their architecture.

:class:`CycleGAN` is a ``keras.Model``: ``train_step`` makes one update of both generators, then
one of both critics on the fakes of that step.  Unlike the paper, batches hold 32 images, the
critics see the current fakes rather than a pool of past ones, and the learning rate is constant.
There is no noise: a run is fixed by its seed and the batches (drawn statelessly), so
:class:`ganlib.trainer.Trainer` (``kind="cyclegan"``, :class:`ganlib.config.CycleGANConfig`)
resumes an interrupted run exactly.  The study that judges the translations (readers, test
sets) is :mod:`ganlib.studies.translation`; its results are in ``benchmarks/README.md``, section 9,
and the book's chapter ``book/app_cyclegan.ipynb``.
"""

from __future__ import annotations

from pathlib import Path

import keras
import numpy as np
import tensorflow as tf
from keras import layers, ops

from ganlib import assets
from ganlib.data import IMAGE_SHAPE, to_uint8
from ganlib.errors import CheckpointError, DataError
from ganlib.classifiers import classifier_architecture
from ganlib.evaluator import as_model_input
from ganlib.config import CycleGANConfig, RunConfig
from ganlib.runs import load_weights_checked, read_weights_settings, save_weights_with_settings
from ganlib.sampling import SAMPLE_BATCH

DIRECTIONS = ("mnist_to_uci", "uci_to_mnist")
CYCLE_WEIGHT = CycleGANConfig.cycle_weight  # lambda of Zhu et al. (2017)
IDENTITY_SHARE = 0.5  # lambda_id = 0.5 lambda, as in their code
DEFAULT_WIDTH = CycleGANConfig.width  # each default is declared once, in ganlib.config
DEFAULT_BLOCKS = CycleGANConfig.blocks
DEFAULT_CRITIC_WIDTH = CycleGANConfig.critic_width
DEFAULT_BATCH_SIZE = CycleGANConfig.batch_size
UCI_CNN_EPOCHS = 30  # training epochs of a classifier of the UCI digits
METRIC_NAMES = ("g_loss", "adversarial", "cycle", "identity", "d_mnist", "d_uci")
VARIANTS = ("semantic", "label-free")  # the two shipped pairs of generators (shipped_generator_name)
DEFAULT_VARIANT = "semantic"
# architectures of the semantic loss's two classifiers, with their (MNIST, UCI) training epochs
SEMANTIC_EPOCHS = {"evaluator": (5, UCI_CNN_EPOCHS), "lenet5": (10, UCI_CNN_EPOCHS)}
SEMANTIC_CLASSIFIERS = tuple(SEMANTIC_EPOCHS)  # the names of ganlib.config.SEMANTIC_CLASSIFIERS (a test checks)


# --- networks -------------------------------------------------------------------------------

def _instance_norm():
    """Instance normalisation (Ulyanov et al. 2016): per image and channel, over the pixels."""
    return layers.GroupNormalization(groups=-1, epsilon=1e-5)


def _check_size(width: int, blocks: int) -> None:
    if not isinstance(width, int) or width < 1 or not isinstance(blocks, int) or blocks < 0:
        raise ValueError(f"width must be a positive and blocks a non-negative integer "
                         f"(defaults {DEFAULT_WIDTH} and {DEFAULT_BLOCKS}), got {width!r} and {blocks!r}")


def make_translator(width: int = DEFAULT_WIDTH, blocks: int = DEFAULT_BLOCKS, name: str = "translator") -> keras.Model:
    """A generator: images (N, 28, 28, 1) in [-1, 1] -> images of the same shape in [-1, 1].

    A compact version of Zhu et al.'s ResNet generator: a 7x7 convolution (``width`` channels),
    a stride-2 convolution to 14x14 (``2 * width``), ``blocks`` residual blocks of two 3x3
    convolutions, a nearest-neighbour upsampling back to 28x28 with a 3x3 convolution (not a
    transposed convolution, whose uneven overlaps paint checkerboards; Odena et al. 2016) and a 7x7
    convolution to one channel with tanh.  Every hidden convolution is followed by instance norm
    and ReLU.
    """
    _check_size(width, blocks)

    def conv_norm_relu(x, filters, kernel, strides=1):
        x = layers.Conv2D(filters, kernel, strides=strides, padding="same", use_bias=False)(x)
        return layers.ReLU()(_instance_norm()(x))

    image = keras.Input(IMAGE_SHAPE, name="image")
    x = conv_norm_relu(image, width, 7)
    x = conv_norm_relu(x, 2 * width, 3, strides=2)
    for _ in range(blocks):
        y = conv_norm_relu(x, 2 * width, 3)
        y = _instance_norm()(layers.Conv2D(2 * width, 3, padding="same", use_bias=False)(y))
        x = layers.Add()([x, y])
    x = conv_norm_relu(layers.UpSampling2D()(x), width, 3)
    out = layers.Conv2D(1, 7, padding="same", activation="tanh")(x)
    return keras.Model(image, out, name=name)


def make_patch_critic(width: int = DEFAULT_WIDTH, name: str = "patch_critic") -> keras.Model:
    """A PatchGAN critic (Isola et al. 2017): images (N, 28, 28, 1) -> raw scores (N, 7, 7, 1),
    one per overlapping patch (each score sees a 22x22 pixel window).

    4x4 convolutions with stride 2 (``width`` channels, no norm) and 2 (``2 * width``), a 3x3 one
    (``4 * width``), each with LeakyReLU(0.2), the last two after instance norm; then a 3x3
    convolution to one score.  LSGAN reads the scores as regression targets (1 real, 0 fake).
    """
    _check_size(width, 0)
    image = keras.Input(IMAGE_SHAPE, name="image")
    x = layers.LeakyReLU(0.2)(layers.Conv2D(width, 4, strides=2, padding="same")(image))
    x = layers.LeakyReLU(0.2)(_instance_norm()(layers.Conv2D(2 * width, 4, strides=2, padding="same")(x)))
    x = layers.LeakyReLU(0.2)(_instance_norm()(layers.Conv2D(4 * width, 3, padding="same")(x)))
    return keras.Model(image, layers.Conv2D(1, 3, padding="same")(x), name=name)


# --- losses ---------------------------------------------------------------------------------

def lsgan_critic_loss(real_scores, fake_scores):
    """LSGAN critic loss:  ``L_D = 1/2 [mean (D(real) - 1)^2 + mean D(fake)^2]`` (targets 1 and 0)."""
    return 0.5 * (ops.mean(ops.square(real_scores - 1.0)) + ops.mean(ops.square(fake_scores)))


def lsgan_generator_loss(fake_scores):
    """LSGAN generator loss:  ``L_adv = mean (D(fake) - 1)^2``, pull the critic's scores of fakes to 1."""
    return ops.mean(ops.square(fake_scores - 1.0))


def reconstruction_loss(x, x_rebuilt, y, y_rebuilt, weight: float):
    """``weight * [mean |x_rebuilt - x| + mean |y_rebuilt - y|]``, the L1 term of both directions.

    The cycle loss is this with ``x_rebuilt = F(G(x))``, ``y_rebuilt = G(F(y))`` and weight lambda;
    the identity loss with ``x_rebuilt = F(x)``, ``y_rebuilt = G(y)`` and weight 0.5 lambda.
    """
    return weight * (ops.mean(ops.abs(x_rebuilt - x)) + ops.mean(ops.abs(y_rebuilt - y)))


def semantic_loss(logits_on_fake_y, labels_of_x, logits_on_fake_x, labels_of_y):
    """``CE(f_Y(G(x)), label(x)) + CE(f_X(F(y)), label(y))``, mean sparse cross-entropies from logits:
    the other domain's classifier must read a translation as the source image's label."""
    return (ops.mean(keras.losses.sparse_categorical_crossentropy(labels_of_x, logits_on_fake_y, from_logits=True))
            + ops.mean(keras.losses.sparse_categorical_crossentropy(labels_of_y, logits_on_fake_x, from_logits=True)))


# --- the model ------------------------------------------------------------------------------

class CycleGAN(keras.Model):
    """Two generators and two critics as one Keras model; ``fit()`` on ``(mnist, uci)`` batches trains it.

    Each ``train_step`` on a batch x of MNIST and y of UCI images (both in [-1, 1]):

    1. generator step: minimise ``L_adv(G) + L_adv(F) + L_cyc + L_id`` (module docstring) over
       the weights of G = ``mnist_to_uci`` and F = ``uci_to_mnist``;
    2. critic step: minimise ``L_D_X + L_D_Y`` over both critics, on the fakes G(x), F(y) made in
       step 1 (before G's and F's update).

    Tracked metrics: ``g_loss`` (the generators' total), its parts ``adversarial``, ``cycle``,
    ``identity`` (weighted; and ``semantic`` with ``semantic_weight > 0``, its two frozen
    ``classifiers`` (MNIST, UCI) given or, to be restored, built untrained with the architecture
    ``semantic_classifier``), and the critics' losses ``d_mnist`` and ``d_uci``.  Calling the model translates MNIST to UCI.
    """

    def __init__(self, width: int = DEFAULT_WIDTH, blocks: int = DEFAULT_BLOCKS,
                 critic_width: int = DEFAULT_CRITIC_WIDTH, cycle_weight: float = CYCLE_WEIGHT,
                 identity_weight: float | None = None, semantic_weight: float = 0.0, classifiers=None,
                 semantic_classifier: str = "evaluator", **kwargs):
        super().__init__(**kwargs)
        self.semantic_weight = float(semantic_weight)
        if self.semantic_weight < 0:
            raise ValueError(f"semantic_weight must be >= 0, got {semantic_weight!r}")
        build = classifier_architecture(semantic_classifier)
        if self.semantic_weight and classifiers is None:
            classifiers = (build(), build())  # weights to come from a checkpoint
        self.classifier_mnist, self.classifier_uci = classifiers if self.semantic_weight else (None, None)
        for classifier in (self.classifier_mnist, self.classifier_uci):
            if classifier is not None:
                classifier.trainable = False
        self.cycle_weight = float(cycle_weight)
        self.identity_weight = IDENTITY_SHARE * self.cycle_weight if identity_weight is None else float(identity_weight)
        self.mnist_to_uci = make_translator(width, blocks, name="mnist_to_uci")
        self.uci_to_mnist = make_translator(width, blocks, name="uci_to_mnist")
        self.critic_mnist = make_patch_critic(critic_width, name="critic_mnist")
        self.critic_uci = make_patch_critic(critic_width, name="critic_uci")
        names = METRIC_NAMES + (("semantic",) if self.semantic_weight else ())
        self.trackers = {name: keras.metrics.Mean(name=name) for name in names}
        self.built = True

    def compile(self, g_optimizer=None, d_optimizer=None, **kwargs):
        """Set the generators' and the critics' optimisers (default: Adam 2e-4, beta_1 0.5, as the paper)."""
        super().compile(**kwargs)
        self.g_optimizer = g_optimizer or keras.optimizers.Adam(RunConfig.learning_rate, beta_1=RunConfig.beta_1)
        self.d_optimizer = d_optimizer or keras.optimizers.Adam(RunConfig.learning_rate, beta_1=RunConfig.beta_1)
        self.g_optimizer.build(self.g_variables)  # built now, so a checkpoint restores their slots
        self.d_optimizer.build(self.d_variables)

    @property
    def generators(self) -> dict[str, keras.Model]:
        """The two generators by direction (:data:`DIRECTIONS`)."""
        return {"mnist_to_uci": self.mnist_to_uci, "uci_to_mnist": self.uci_to_mnist}

    @property
    def g_variables(self) -> list:
        return self.mnist_to_uci.trainable_variables + self.uci_to_mnist.trainable_variables

    @property
    def d_variables(self) -> list:
        return self.critic_mnist.trainable_variables + self.critic_uci.trainable_variables

    @property
    def metrics(self):
        return list(self.trackers.values())

    def call(self, images, training=False):
        return self.mnist_to_uci(images, training=training)

    def generator_losses(self, x, y, fake_y, fake_x) -> dict:
        """The generators' loss terms for MNIST ``x``, UCI ``y`` and their translations
        ``fake_y = G(x)``, ``fake_x = F(y)``: adversarial, cycle and identity (weighted)."""
        adversarial = (lsgan_generator_loss(self.critic_uci(fake_y, training=True))
                       + lsgan_generator_loss(self.critic_mnist(fake_x, training=True)))
        cycle = reconstruction_loss(x, self.uci_to_mnist(fake_y, training=True),
                                    y, self.mnist_to_uci(fake_x, training=True), self.cycle_weight)
        identity = reconstruction_loss(x, self.uci_to_mnist(x, training=True),
                                       y, self.mnist_to_uci(y, training=True), self.identity_weight)
        terms = {"adversarial": adversarial, "cycle": cycle, "identity": identity}
        if self.semantic_weight:
            terms["semantic"] = self.semantic_weight * semantic_loss(
                self.classifier_uci(fake_y, training=False), ops.argmax(self.classifier_mnist(x, training=False), -1),
                self.classifier_mnist(fake_x, training=False), ops.argmax(self.classifier_uci(y, training=False), -1))
        return terms

    def critic_losses(self, x, y, fake_y, fake_x) -> dict:
        """``d_mnist = L_D_X`` (MNIST ``x`` real, ``fake_x`` fake) and ``d_uci = L_D_Y``."""
        return {"d_mnist": lsgan_critic_loss(self.critic_mnist(x, training=True),
                                             self.critic_mnist(fake_x, training=True)),
                "d_uci": lsgan_critic_loss(self.critic_uci(y, training=True), self.critic_uci(fake_y, training=True))}

    def train_step(self, data):
        if not isinstance(data, (tuple, list)) or len(data) != 2:
            raise DataError("a CycleGAN trains on (mnist_images, uci_images) batches: zip two make_dataset streams "
                            "(ganlib.trainer.Trainer(kind='cyclegan') makes them)")
        x, y = data
        with tf.GradientTape() as tape:
            fake_y = self.mnist_to_uci(x, training=True)
            fake_x = self.uci_to_mnist(y, training=True)
            g_terms = self.generator_losses(x, y, fake_y, fake_x)
            g_loss = sum(g_terms.values())
        g_vars = self.g_variables
        self.g_optimizer.apply_gradients(zip(tape.gradient(g_loss, g_vars), g_vars))

        fake_y, fake_x = tf.stop_gradient(fake_y), tf.stop_gradient(fake_x)
        with tf.GradientTape() as tape:
            d_terms = self.critic_losses(x, y, fake_y, fake_x)
            d_loss = d_terms["d_mnist"] + d_terms["d_uci"]
        d_vars = self.d_variables
        self.d_optimizer.apply_gradients(zip(tape.gradient(d_loss, d_vars), d_vars))

        for name, value in {"g_loss": g_loss, **g_terms, **d_terms}.items():
            self.trackers[name].update_state(value)
        return {name: tracker.result() for name, tracker in self.trackers.items()}


# --- translating, saving and loading ----------------------------------------------------------

def _check_direction(direction: str) -> None:
    if direction not in DIRECTIONS:
        raise DataError(f"unknown direction {direction!r}; choose one of {DIRECTIONS}")


def translate(images, direction: str, generators: dict | None = None, batch_size: int = SAMPLE_BATCH) -> np.ndarray:
    """Translate uint8 digits (N, 28, 28) ``"mnist_to_uci"`` or ``"uci_to_mnist"``; uint8 (N, 28, 28).

    ``generators`` maps directions to generators (``CycleGAN.generators`` or
    :func:`load_generators`); default: the shipped ones of :data:`DEFAULT_VARIANT`.  Other inputs
    raise DataError.
    """
    _check_direction(direction)
    pixels = as_model_input(images)
    generator = (generators if generators is not None else load_generators())[direction]
    batches = [generator(pixels[i:i + batch_size], training=False) for i in range(0, len(pixels), batch_size)]
    return to_uint8(np.concatenate([np.asarray(batch) for batch in batches]))


def generator_name(direction: str) -> str:
    """File name of a direction's generator weights: ``cyclegan-DIRECTION.weights.h5`` (settings in ``.json``)."""
    _check_direction(direction)
    return f"cyclegan-{direction}.weights.h5"


def check_variant(variant: str) -> str:
    """``variant`` if it names a shipped pair of generators (:data:`VARIANTS`), else DataError."""
    if variant not in VARIANTS:
        raise DataError(f"unknown CycleGAN variant {variant!r}; choose one of {VARIANTS}")
    return variant


def shipped_generator_name(direction: str, variant: str = DEFAULT_VARIANT) -> str:
    """File name of a shipped generator in ``ganlib/assets``: :func:`generator_name` for the
    ``"label-free"`` CycleGAN, ``cyclegan-semantic-DIRECTION.weights.h5`` for the one trained with
    the semantic loss (LeNet-5 classifiers)."""
    name = generator_name(direction)
    return name if check_variant(variant) == "label-free" else name.replace("cyclegan-", "cyclegan-semantic-", 1)


def save_generators(model: CycleGAN, directory, config: dict, variant: str | None = None) -> list[Path]:
    """Write both generators' weights to ``directory`` (:func:`generator_name`; with ``variant``,
    :func:`shipped_generator_name`), each with ``config``, its direction and its sha256 in the
    ``.json`` beside it (atomic writes)."""
    def name(direction):
        return generator_name(direction) if variant is None else shipped_generator_name(direction, variant)

    return [save_weights_with_settings(generator, Path(directory) / name(direction),
                                       {**config, "direction": direction})
            for direction, generator in model.generators.items()]


def load_generators(directory=None, variant: str = DEFAULT_VARIANT) -> dict[str, keras.Model]:
    """Both generators from ``directory`` (as :func:`save_generators` wrote them), each checked against
    the sha256 in its ``.json``; default: the pair ``variant`` (:data:`VARIANTS`) shipped in
    ``ganlib/assets`` (checked against the manifest too)."""
    check_variant(variant)
    generators = {}
    for direction in DIRECTIONS:
        name = generator_name(direction) if directory is not None else shipped_generator_name(direction, variant)
        if directory is None:
            path = assets.path(name)
            assets.path(name.replace(".weights.h5", ".json"))
        else:
            path = Path(directory) / name
            if not path.is_file():
                raise CheckpointError(f"{directory} holds no {name}; give the directory that "
                                      "`ganlib train --model cyclegan` wrote, or omit it for the shipped generators")
        config = read_weights_settings(path)
        generator = make_translator(config.get("width", DEFAULT_WIDTH), config.get("blocks", DEFAULT_BLOCKS),
                                    name=direction)
        generators[direction] = load_weights_checked(generator, path)
    return generators


# --- example grids ----------------------------------------------------------------------------

def example_rows(generators: dict, mnist_images, uci_images) -> np.ndarray:
    """Six rows of uint8 digits for a grid: MNIST, its UCI translation, the way back; then UCI,
    its MNIST translation, the way back (as many columns as images given per domain)."""
    if len(mnist_images) != len(uci_images):
        raise DataError(f"give as many MNIST as UCI images, got {len(mnist_images)} and {len(uci_images)}")
    rows = []
    for images, there, back in ((mnist_images, "mnist_to_uci", "uci_to_mnist"),
                                (uci_images, "uci_to_mnist", "mnist_to_uci")):
        translated = translate(images, there, generators)
        rows += [np.asarray(images), translated, translate(translated, back, generators)]
    return np.concatenate(rows)


__all__ = ["DIRECTIONS", "CYCLE_WEIGHT", "VARIANTS", "make_translator",
           "make_patch_critic", "lsgan_critic_loss", "lsgan_generator_loss", "reconstruction_loss", "semantic_loss",
           "CycleGAN", "translate", "save_generators",
           "load_generators", "shipped_generator_name", "check_variant", "example_rows"]
