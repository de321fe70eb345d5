"""The DCGAN generator and discriminator for 28x28 MNIST (the source's ``model.py``, corrected).

Corrections to the source text (see the errata chapter):

* ``tf.keras.layers.Conv2TransposeTensor`` does not exist; the layer is ``Conv2DTranspose``.
* The discriminator returns a *logit* (no sigmoid), so every loss must treat it as one
  (``from_logits=True``); :mod:`ganlib.losses` works on logits throughout.
* Following the DCGAN paper (Radford et al. 2016), the generator also normalises its
  projection, and the discriminator's first layer has no batch normalisation.

Both are plain ``keras.Sequential`` stacks of Keras 3 layers, built on creation, so
``summary()``, ``save_weights("g.weights.h5")`` and ``load_weights`` work at once.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from ganlib.defaults import DEFAULT_WIDTH, LATENT_DIM
from ganlib.distribute import replicas

IMAGE_SHAPE = (28, 28, 1)


def batch_normalization(**options) -> layers.BatchNormalization:
    """``layers.BatchNormalization(**options)``, synchronised across the replicas if built under a
    ``tf.distribute`` strategy with more than one (its batch statistics are then the global batch's,
    as on one device: :mod:`ganlib.distribute`); elsewhere the plain layer, whose numbers are unchanged."""
    return layers.BatchNormalization(synchronized=replicas()[0] > 1, **options)


def _check_width(width: int) -> None:
    if not isinstance(width, int) or width < 1:
        raise ValueError(f"width must be a positive integer (default {DEFAULT_WIDTH}), got {width!r}")


@keras.saving.register_keras_serializable(package="ganlib")
class CategoricalCode(layers.Layer):
    """InfoGAN's categorical code, read from the noise: z -> [one_hot(c), z_1, ..., z_(d-1)].

    ``c = floor(K * Phi(z_0))`` with ``Phi`` the standard normal CDF, so for z ~ N(0, I) the
    code is uniform over the K categories and the generator keeps one plain noise input:
    sampling, fixed noise and interpolation work unchanged.
    """

    def __init__(self, categories: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(categories, int) or categories < 2:
            raise ValueError(f"a categorical code needs at least 2 categories, got {categories!r}")
        self.categories = categories

    def get_config(self):
        return {**super().get_config(), "categories": self.categories}

    def call(self, z):
        return ops.concatenate([ops.one_hot(latent_code(z, self.categories), self.categories), z[:, 1:]], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[1] - 1 + self.categories)


def latent_code(z, categories: int):
    """The category (int32, shape (N,)) that :class:`CategoricalCode` reads from noise ``z``."""
    uniform = 0.5 * (1.0 + ops.erf(z[:, 0] / 2.0**0.5))
    return ops.cast(ops.clip(ops.floor(uniform * categories), 0, categories - 1), "int32")


def make_generator(latent_dim: int = LATENT_DIM, width: int = DEFAULT_WIDTH, name: str = "generator",
                   codes: int = 0) -> keras.Sequential:
    """G: noise (N, latent_dim) -> images (N, 28, 28, 1) in [-1, 1].

    Channels run 4*width -> 2*width -> width -> 1 (width=64 gives the TensorFlow tutorial's
    256 -> 128 -> 64 -> 1): a dense projection to 7x7, one stride-1 and two stride-2
    transposed convolutions with 5x5 kernels, batch norm and ReLU between, tanh at the end.
    With ``codes=K`` the first noise coordinate becomes a K-way categorical code
    (:class:`CategoricalCode`, for InfoGAN training) before the projection.
    """
    _check_width(width)
    code = [CategoricalCode(codes)] if codes else []
    return keras.Sequential(
        [
            keras.Input((latent_dim,)),
            *code,
            layers.Dense(7 * 7 * 4 * width, use_bias=False),
            batch_normalization(),
            layers.ReLU(),
            layers.Reshape((7, 7, 4 * width)),
            layers.Conv2DTranspose(2 * width, 5, strides=1, padding="same", use_bias=False),
            batch_normalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False),
            batch_normalization(),
            layers.ReLU(),
            layers.Conv2DTranspose(1, 5, strides=2, padding="same", activation="tanh"),
        ],
        name=name,
    )


NORMALIZATIONS = ("batch", "layer", "spectral", "none")  # ganlib.config.D_NORMS


def make_discriminator(width: int = DEFAULT_WIDTH, name: str = "discriminator", outputs: int = 1,
                       normalization: str = "batch", channels: int = 1) -> keras.Sequential:
    """D: images (N, 28, 28, 1) in [-1, 1] -> logits (N, 1); D(x) = sigmoid(logit).

    Three stride-2 convolutions, 28 -> 14 -> 7 -> 4 pixels, with width, 2*width and 4*width
    channels (5x5, 5x5, 3x3 kernels) and LeakyReLU(0.2), then a dense layer to one logit.  The
    third convolution is ours: the source's and the TensorFlow tutorial's discriminators stop
    after two (it lowered FID at about the same cost per step: ``benchmarks/README.md``).

    ``normalization`` says how D's layers are normalised:

    * ``"batch"`` (DCGAN): batch norm after the second and third convolutions;
    * ``"layer"``: layer norm there instead, as WGAN-GP's critic (Gulrajani et al. 2017): its
      gradient penalty is per image, and batch norm mixes the images of a batch;
    * ``"spectral"``: every convolution and the dense layer spectrally normalised (Miyato et
      al. 2018), which bounds D's Lipschitz constant, and no batch norm;
    * ``"none"``: plain convolutions with biases.

    With ``outputs=K`` the last layer gives K numbers instead of one logit: the same
    convolutions as an image encoder (f-AnoGAN's encoder is D's architecture this way); with
    ``channels=C`` it reads (N, 28, 28, C) (a conditional D reads the label as extra channels).
    :func:`discriminator_features` reads the features the last layer sees.
    """
    _check_width(width)
    if normalization not in NORMALIZATIONS:
        raise ValueError(f"unknown normalization {normalization!r}; choose one of {NORMALIZATIONS}")

    def weighted(layer):
        return layers.SpectralNormalization(layer) if normalization == "spectral" else layer

    def norm():
        if normalization == "batch":
            return [batch_normalization()]
        return [layers.LayerNormalization()] if normalization == "layer" else []

    bias = normalization in ("spectral", "none")
    return keras.Sequential(
        [
            keras.Input(IMAGE_SHAPE[:2] + (channels,)),
            weighted(layers.Conv2D(width, 5, strides=2, padding="same")),
            layers.LeakyReLU(0.2),
            weighted(layers.Conv2D(2 * width, 5, strides=2, padding="same", use_bias=bias)),
            *norm(),
            layers.LeakyReLU(0.2),
            weighted(layers.Conv2D(4 * width, 3, strides=2, padding="same", use_bias=bias)),
            *norm(),
            layers.LeakyReLU(0.2),
            layers.Flatten(),
            weighted(layers.Dense(outputs)),
        ],
        name=name,
    )


def feature_count(discriminator: keras.Sequential) -> int:
    """How many features D's last layer reads (the length of :func:`discriminator_features`)."""
    return int(discriminator.layers[-2].output.shape[-1])


def discriminator_features(discriminator: keras.Sequential, name: str = "features") -> keras.Model:
    """f: images -> the features D's last (dense) layer reads, (N, features): an intermediate
    layer of D, as AnoGAN's feature-matching residual uses; it shares D's weights (in inference
    mode, batch norm uses its moving averages).  ``D(x) = last_layer(f(x))``."""
    return keras.Model(discriminator.inputs[0], discriminator.layers[-2].output, name=name)


def discriminator_head(discriminator: keras.Sequential, name: str = "critic") -> keras.Model:
    """D's last (dense) layer as a model of its own: the features :func:`discriminator_features`
    gives -> D's logit, (N, features) -> (N, 1); it shares D's weights, so
    ``D(x) = discriminator_head(D)(discriminator_features(D)(x))``."""
    features = keras.Input(discriminator.layers[-2].output.shape[1:])
    return keras.Model(features, discriminator.layers[-1](features), name=name)


def make_code_head(codes: int, features: int, name: str = "code_head") -> keras.Sequential:
    """InfoGAN's Q: the discriminator's last features (N, features) -> code outputs (N, codes)
    (the categorical code's logits, then the continuous codes' predictions).

    It shares the discriminator's convolutions (Chen et al. 2016): Dense(128), batch norm,
    LeakyReLU(0.2), Dense(codes).
    """
    return keras.Sequential(
        [
            keras.Input((features,)),
            layers.Dense(128, use_bias=False),
            batch_normalization(),
            layers.LeakyReLU(0.2),
            layers.Dense(codes),
        ],
        name=name,
    )


def describe_layer(layer) -> str:
    """One line on what a Keras layer of ganlib's networks does, read from its configuration."""
    name = type(layer).__name__
    if isinstance(layer, CategoricalCode):
        return (f"reads z[0] as a category c of {layer.categories} and replaces it by one_hot(c): "
                f"InfoGAN's categorical code")
    if isinstance(layer, layers.Dense):
        inputs = int(layer.kernel.shape[0])
        if layer.units == 1:
            return f"linear map of {inputs:,} numbers to one logit l; D(x) = sigmoid(l)"
        bias = " + bias" if layer.use_bias else ", no bias (the batch norm after it shifts)"
        return f"linear map of {inputs:,} numbers to {layer.units:,}{bias}"
    if isinstance(layer, layers.SpectralNormalization):
        return describe_layer(layer.layer) + ", its weights divided by their largest singular value (spectral norm)"
    if isinstance(layer, layers.LayerNormalization):
        return "normalises each image's features (over the whole map), then gamma * x + beta per feature"
    if isinstance(layer, layers.BatchNormalization):
        features = int(layer.gamma.shape[0])
        return (f"normalises each of its {features:,} features over the batch (moving averages at inference), "
                "then gamma * x + beta: 4 numbers per feature, 2 of them trainable")
    if isinstance(layer, layers.ReLU):
        return "max(0, x)"
    if isinstance(layer, layers.LeakyReLU):
        return f"max({layer.negative_slope:g} x, x)"
    if isinstance(layer, layers.Reshape):
        return f"the same numbers as a {' x '.join(map(str, layer.target_shape))} feature map"
    if isinstance(layer, layers.Flatten):
        return "the feature map as one vector of the same numbers (only a reshape)"
    if isinstance(layer, (layers.Conv2DTranspose, layers.Conv2D)):
        k, s = layer.kernel_size[0], layer.strides[0]
        transposed = isinstance(layer, layers.Conv2DTranspose)
        kind = "transposed convolution" if transposed else "convolution"
        size = "keeps the size" if s == 1 else (f"{s}x larger" if transposed else f"{s}x smaller")
        channels = "1 channel" if layer.filters == 1 else f"{layer.filters} channels"
        text = f"{k}x{k} {kind}, stride {s} ({size}), {channels}"
        text += " + bias" if layer.use_bias else ", no bias"
        activation = getattr(layer.activation, "__name__", "linear")
        return text + (f", then {activation}" if activation != "linear" else "")
    return name


def layer_table(model) -> list[dict]:
    """One row per layer of a built ``keras.Sequential``: name, output shape, parameters, what it does.

    ``parameters`` counts all weights (``layer.count_params()``), ``trainable`` those the
    optimiser updates (batch norm's moving mean and variance are not).
    """
    rows = []
    for layer in model.layers:
        shape = ("N",) + tuple(layer.output.shape[1:])
        trainable = int(sum(np.prod(w.shape) for w in layer.trainable_weights))
        rows.append({"layer": layer.name, "output shape": "(" + ", ".join(map(str, shape)) + ")",
                     "parameters": int(layer.count_params()), "trainable": trainable,
                     "what it does": describe_layer(layer)})
    return rows
