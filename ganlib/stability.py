"""Fixes for mode collapse on the toy GAN, and the pieces of the high-resolution demonstration.

A GAN *collapses* when G puts its mass on a few of the data's modes; it *hops* when D learns to
reject those modes and G moves on to others, without ever covering them all at once. Every fix
here leaves :meth:`ganlib.gan.GAN.train_step` as it is:

* **PacGAN packing** (Lin et al. 2018), :class:`Pack`: D judges ``m`` samples at once,
  concatenated, so a generator whose samples are all alike is easy to tell from real data.
* **Minibatch standard deviation** (Karras et al. 2018), :class:`MinibatchStdDev`: D's hidden
  features get one more, the spread of the features across a group of samples, so D sees
  the lack of variety directly.
* **Spectral normalisation** (Miyato et al. 2018): each of D's weight matrices is divided by
  its largest singular value (``keras.layers.SpectralNormalization``), so D is 1-Lipschitz
  layer by layer and its gradients to G stay smooth.
* **Instance noise** (Sonderby et al. 2017; Arjovsky & Bottou 2017): D sees its inputs, real and
  fake, through Gaussian noise.
* **Two time-scale update rule** (Heusel et al. 2017): G learns more slowly than D.
* **Hinge loss** (Lim & Ye 2017; Miyato et al. 2018): ``loss="hinge"`` in :mod:`ganlib.losses`.
* **Averaging G's weights** (Yazici et al. 2019): ``ema_decay``, kept by :class:`ganlib.gan.GAN`.

:func:`make_toy_variant` builds the toy GAN of :mod:`ganlib.toy` with any of them,
:func:`coverage_over_time` trains it and measures :func:`ganlib.toy.mode_coverage` at
checkpoints (mode hopping shows as a set of covered modes that changes between checkpoints),
and :func:`summarise_coverage` condenses runs over several seeds.

For high resolution (Karras et al. 2018): :func:`make_dcgan_pair` grows the library's DCGAN to
56 or 112 pixels, :func:`multiply_adds` counts its work, and :func:`fade_in` is progressive
growing's blend of a new resolution into the previous one.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import layers, ops

from ganlib.model import make_discriminator, make_generator
from ganlib.toy import make_mlp_generator, mode_coverage, ring_centers, toy_batches, toy_samples
from ganlib.gan import GAN

VARIANTS = ("plain", "pacgan", "minibatch-std", "spectral-norm", "instance-noise", "ttur", "hinge")


@keras.saving.register_keras_serializable(package="ganlib")
class Pack(layers.Layer):
    """PacGAN's packing: ``(N, d) -> (N / m, m * d)``, rows ``k m, ..., k m + m - 1`` side by side.

    D then gives one logit per *pack* of ``m`` samples, all real or all fake (Lin et al. 2018).
    The batch size must be a multiple of ``m``; the losses average over packs as before.
    """

    def __init__(self, m: int, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(m, (int, np.integer)) or m < 1:
            raise ValueError(f"the pack size m must be a positive integer, got {m!r}")
        self.m = int(m)

    def get_config(self):
        return {**super().get_config(), "m": self.m}

    def call(self, x):
        return ops.reshape(x, (-1, self.m * x.shape[-1]))

    def compute_output_shape(self, input_shape):
        return (None, self.m * input_shape[-1])


@keras.saving.register_keras_serializable(package="ganlib")
class MinibatchStdDev(layers.Layer):
    """Append the minibatch standard deviation as one more feature (Karras et al. 2018, sec. 3).

    The batch is split into groups of ``group_size`` consecutive samples (N must be a multiple
    of it). For each group and each feature j, the standard deviation over the group,
    ``s_j = sqrt(mean_i (x_ij - mean_i x_ij)^2 + eps)``, is averaged over the features, and
    that one number is appended to every sample of the group: ``(N, d) -> (N, d + 1)``.
    A generator that collapses makes it small, which D can see.
    """

    def __init__(self, group_size: int = 4, epsilon: float = 1e-8, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(group_size, (int, np.integer)) or group_size < 2:
            raise ValueError(f"group_size must be an integer >= 2 (a spread needs two samples), got {group_size!r}")
        self.group_size = int(group_size)
        self.epsilon = float(epsilon)

    def get_config(self):
        return {**super().get_config(), "group_size": self.group_size, "epsilon": self.epsilon}

    def call(self, x):
        d = x.shape[-1]
        groups = ops.reshape(x, (-1, self.group_size, d))                   # (N/g, g, d)
        centred = groups - ops.mean(groups, axis=1, keepdims=True)
        std = ops.sqrt(ops.mean(ops.square(centred), axis=1) + self.epsilon)  # (N/g, d)
        spread = ops.mean(std, axis=-1, keepdims=True)                      # (N/g, 1)
        spread = ops.reshape(ops.repeat(spread[:, None, :], self.group_size, axis=1), (-1, 1))
        return ops.concatenate([x, spread], axis=-1)

    def compute_output_shape(self, input_shape):
        return (input_shape[0], input_shape[-1] + 1)


def make_toy_discriminator(in_dim: int = 2, hidden: int = 128, depth: int = 2, *, pack: int = 1,
                           minibatch_std: int = 0, spectral_norm: bool = False, instance_noise: float = 0.0,
                           name: str = "toy_discriminator") -> keras.Sequential:
    """The toy MLP discriminator of :func:`ganlib.toy.make_mlp_discriminator`, with optional fixes.

    ``pack=m`` packs m samples per logit (:class:`Pack`); ``minibatch_std=g`` appends the
    minibatch standard deviation over groups of g samples after the first hidden layer
    (:class:`MinibatchStdDev`); ``spectral_norm=True`` wraps every ``Dense`` layer in
    ``keras.layers.SpectralNormalization``; ``instance_noise=s`` adds N(0, s^2) noise to every
    input D sees in training (``keras.layers.GaussianNoise``, Sonderby et al. 2017), real or fake,
    which blurs both distributions alike. With none of them it is the plain toy D.
    """
    if depth < 1 or hidden < 1:
        raise ValueError(f"an MLP needs depth >= 1 and hidden >= 1, got depth={depth!r}, hidden={hidden!r}")

    def dense(units):
        return layers.SpectralNormalization(layers.Dense(units)) if spectral_norm else layers.Dense(units)

    stack = [keras.Input((in_dim,))]
    if instance_noise:
        stack.append(layers.GaussianNoise(instance_noise))
    if pack > 1:
        stack.append(Pack(pack))
    for i in range(depth):
        stack += [dense(hidden), layers.Activation("leaky_relu")]
        if i == 0 and minibatch_std:
            stack.append(MinibatchStdDev(minibatch_std))
    stack.append(dense(1))
    return keras.Sequential(stack, name=name)


def make_toy_variant(variant: str = "plain", *, seed: int = 0, latent_dim: int = 2, hidden: int = 128,
                     depth: int = 2, learning_rate: float = 1e-3, beta_1: float = 0.5, pack: int = 2,
                     group_size: int = 4, noise: float = 0.1, ttur: tuple[float, float] = (1.0, 0.25),
                     ema_decay: float | None = None, steps_per_execution: int = 1) -> GAN:
    """A compiled toy GAN (as :func:`ganlib.toy.make_toy_gan`) with one fix for mode collapse.

    ``variant`` is one of :data:`VARIANTS`:

    * ``"plain"``: the toy GAN itself, Adam(``learning_rate``, ``beta_1``) for both networks;
    * ``"pacgan"``: D packs ``pack`` samples; ``"minibatch-std"``: D sees the spread of groups of
      ``group_size``; ``"spectral-norm"``: every D layer normalised; ``"instance-noise"``: D's
      inputs get N(0, ``noise``^2) noise (see :func:`make_toy_discriminator`);
    * ``"ttur"``: D's learning rate is ``ttur[0] * learning_rate``, G's ``ttur[1] * learning_rate``;
    * ``"hinge"``: the hinge loss instead of the non-saturating one.

    Everything else is shared, so variants built with the same ``seed`` start from the same
    generator. With ``ema_decay`` (e.g. 0.999) the GAN also keeps a moving average of G's weights,
    ``gan.generator_ema`` (Yazici et al. 2019; :class:`ganlib.gan.GAN`), which watches
    training without changing it.

    ``steps_per_execution=k`` runs k training steps per call into TensorFlow (Keras' compile
    option): the same updates, with less Python overhead per step, which is most of a toy
    step's cost. Per-step callbacks then run every k steps, so use :func:`coverage_over_time`
    (which needs none) rather than :func:`ganlib.toy.train_toy`, whose step history needs k = 1.
    """
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {VARIANTS}, got {variant!r}")
    keras.utils.set_random_seed(seed)
    generator = make_mlp_generator(latent_dim, 2, hidden, depth)
    discriminator = make_toy_discriminator(
        2, hidden, depth, pack=pack if variant == "pacgan" else 1,
        minibatch_std=group_size if variant == "minibatch-std" else 0,
        spectral_norm=variant == "spectral-norm", instance_noise=noise if variant == "instance-noise" else 0.0)
    gan = GAN(generator, discriminator, latent_dim=latent_dim, seed=seed,
              loss="hinge" if variant == "hinge" else "non-saturating",
              ema_decay=ema_decay)
    d_rate, g_rate = (ttur[0] * learning_rate, ttur[1] * learning_rate) if variant == "ttur" else (learning_rate,) * 2
    gan.compile(d_optimizer=keras.optimizers.Adam(d_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(g_rate, beta_1=beta_1),
                steps_per_execution=steps_per_execution)
    return gan


def coverage_over_time(gan: GAN, data, steps: int, every: int, *, std: float = 0.02, centers=None,
                       n_samples: int = 2000, batch_size: int = 256, seed: int = 0, sample_seed: int = 1) -> dict:
    """Train ``gan`` on ``data`` for ``steps`` steps and measure mode coverage every ``every`` steps.

    At each checkpoint, :func:`ganlib.toy.mode_coverage` scores ``n_samples`` samples from the
    fixed noise of ``sample_seed``, drawn from the generator and, if the GAN keeps one, from the
    moving average of its weights; a mode counts as covered if it holds at least a quarter of
    its fair share, ``n_samples / (4 * modes)``, as high-quality samples. Returns ``steps`` (the
    checkpoints) and, for ``"generator"`` and (if kept) ``"average"``, a dict of ``modes`` and
    ``high_quality`` (one value per checkpoint), ``counts`` (high-quality samples per mode) and
    ``covered`` (which modes are covered), both of shape (checkpoints, modes).
    Batches are drawn as in :func:`ganlib.toy.train_toy`, with a new shuffle for every stretch.
    """
    if every < 1 or steps % every:
        raise ValueError(f"steps ({steps}) must be a positive multiple of every ({every})")
    centers = ring_centers() if centers is None else centers
    toy_batches(data, batch_size)  # checks the data before any training
    min_share = 1.0 / (4 * len(centers))
    networks = {"generator": gan.generator}
    if gan.generator_ema is not None:
        networks["average"] = gan.generator_ema
    result = {"steps": [], **{name: {"modes": [], "high_quality": [], "counts": [], "covered": []}
                              for name in networks}}
    for k in range(steps // every):
        batches = toy_batches(data, batch_size, seed=seed * 1000 + k)  # a new shuffle seed per stretch
        gan.fit(batches, epochs=1, steps_per_epoch=every, verbose=0, shuffle=False)  # the dataset shuffles
        result["steps"].append((k + 1) * every)
        for name, network in networks.items():
            coverage = mode_coverage(toy_samples(network, n_samples, seed=sample_seed), centers, std, min_share)
            for key in ("modes", "high_quality", "counts", "covered"):
                result[name][key].append(coverage[key])
    return {"steps": np.asarray(result["steps"]),
            **{name: {key: np.asarray(values) for key, values in result[name].items()} for name in networks}}


def summarise_coverage(runs: list[dict], network: str = "generator") -> dict:
    """Mean and standard deviation over ``runs`` (results of :func:`coverage_over_time`) of:

    * ``modes``: modes covered at the last checkpoint;
    * ``high_quality``: share of high-quality samples at the last checkpoint;
    * ``late_modes``: modes covered, averaged over the second half of the checkpoints;
    * ``changes``: how often the *set* of covered modes changes from one checkpoint to the next
      in the second half (0 for a generator that has settled; mode hopping makes it large).

    Each value is a pair ``(mean, sd)``; ``network`` is ``"generator"`` or ``"average"``.
    """
    if not runs:
        raise ValueError("no runs to summarise")
    values = {"modes": [], "high_quality": [], "late_modes": [], "changes": []}
    for run in runs:
        if network not in run:
            raise ValueError(f"the runs have no {network!r} results (is there a moving average?)")
        result = run[network]
        half = len(result["modes"]) // 2
        covered = result["covered"][half:]
        values["modes"].append(result["modes"][-1])
        values["high_quality"].append(result["high_quality"][-1])
        values["late_modes"].append(result["modes"][half:].mean())
        values["changes"].append(int((covered[1:] != covered[:-1]).any(axis=1).sum()))
    return {name: (float(np.mean(v)), float(np.std(v))) for name, v in values.items()}


# --- High resolution: what doubling the image size costs, and progressive growing's fade-in ---------------


def make_dcgan_pair(resolution: int = 28, width: int = 32, latent_dim: int = 100) -> tuple[keras.Sequential, keras.Sequential]:
    """The DCGAN pair of :mod:`ganlib.model`, grown to ``resolution = 28 * 2**k`` pixels.

    At 28 it is exactly ``make_generator(latent_dim, width)`` and ``make_discriminator(width)``.
    Each doubling adds one stride-2 block of ``width`` channels (5x5 kernels, batch norm) to
    each network: before G's last layer (a transposed convolution) and after D's first layer
    (a convolution). The channel count at high resolution stays ``width``, so this is a lower
    bound on the cost of a real high-resolution GAN, which also widens and deepens its networks.
    """
    k = 0
    while 28 * 2 ** k < resolution:
        k += 1
    if 28 * 2 ** k != resolution:
        raise ValueError(f"resolution must be 28 * 2**k (28, 56, 112, ...), got {resolution!r}")
    up = [layer for _ in range(k) for layer in (
        layers.Conv2DTranspose(width, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.ReLU())]
    down = [layer for _ in range(k) for layer in (
        layers.Conv2D(width, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(0.2))]
    def fresh(layer):  # an unbuilt copy of a layer of ganlib.model's networks, with new weights
        return layer.__class__.from_config(layer.get_config())

    g_layers = [fresh(layer) for layer in make_generator(latent_dim, width).layers]
    d_layers = [fresh(layer) for layer in make_discriminator(width).layers]
    # G: the up blocks go before its last layer; D: the down blocks after its first convolution.
    generator = keras.Sequential([keras.Input((latent_dim,)), *g_layers[:-1], *up, g_layers[-1]],
                                 name=f"generator_{resolution}")
    discriminator = keras.Sequential([keras.Input((resolution, resolution, 1)), *d_layers[:2], *down, *d_layers[2:]],
                                     name=f"discriminator_{resolution}")
    return generator, discriminator


def multiply_adds(model: keras.Sequential) -> int:
    """Multiply-adds of one forward pass of one input through ``model``'s dense and convolution layers.

    ``Dense``: inputs * units. ``Conv2D``: H_out * W_out * C_out * (k_h * k_w * C_in).
    ``Conv2DTranspose``: H_in * W_in * C_in * (k_h * k_w * C_out) (each input pixel is spread
    over a k_h x k_w patch of every output channel). Other layers (normalisation, activations)
    are cheap by comparison and not counted.
    """
    total = 0
    for layer in model.layers:
        if isinstance(layer, layers.Conv2DTranspose):
            _, h, w, c_in = layer.input.shape
            kh, kw = layer.kernel_size
            total += h * w * c_in * kh * kw * layer.filters
        elif isinstance(layer, layers.Conv2D):
            _, h, w, c_out = layer.output.shape
            kh, kw = layer.kernel_size
            total += h * w * c_out * kh * kw * layer.input.shape[-1]
        elif isinstance(layer, layers.Dense):
            total += layer.input.shape[-1] * layer.units
    return int(total)


def upsample(images, factor: int = 2):
    """Nearest-neighbour upsampling (N, H, W, C) -> (N, factor H, factor W, C): each pixel becomes a block."""
    images = ops.convert_to_tensor(images)
    return ops.repeat(ops.repeat(images, factor, axis=1), factor, axis=2)


def downsample(images, factor: int = 2):
    """Average pooling (N, H, W, C) -> (N, H / factor, W / factor, C): each block becomes its mean."""
    return ops.average_pool(ops.convert_to_tensor(images), factor, strides=factor, padding="valid")


def fade_in(low, high, alpha: float):
    """Progressive growing's blend (Karras et al. 2018, sec. 2): ``(1 - alpha) * upsample(low) + alpha * high``.

    ``low`` is the output of the trained low-resolution stage (N, H, W, C), ``high`` that of the
    new stage (N, 2H, 2W, C). As ``alpha`` rises from 0 to 1 during training, the new layers
    are faded in smoothly instead of being switched on at random initialisation. D's input is
    faded the same way, and real images are blended with their downsampled copies.
    """
    if not 0.0 <= alpha <= 1.0:
        raise ValueError(f"alpha must be in [0, 1], got {alpha!r}")
    return (1.0 - alpha) * upsample(low) + alpha * ops.convert_to_tensor(high)
