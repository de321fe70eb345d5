"""Small 2-D GANs that train in seconds, for the chapters on the maths and on training problems.

The data is the standard ring of Gaussians (Metz et al. 2017; Srivastava et al. 2017): ``modes``
narrow Gaussians spaced evenly on a circle. It is easy to see (a scatter plot shows every sample),
its modes are known, so a model's failures can be counted with :func:`mode_coverage`, and a
small multilayer perceptron learns it on a CPU in seconds.

The toy GAN is the same :class:`ganlib.gan.GAN` that trains the digits, with two MLPs in place
of the convolutional networks: what a chapter shows about the toy holds for the library's
training step itself.
"""

from __future__ import annotations

import keras
import numpy as np
import tensorflow as tf
from keras import layers

from ganlib.gan import GAN, SimultaneousGAN
from ganlib.callbacks import StepHistory
from ganlib.sampling import fixed_noise
from ganlib.utils import new_figure

TOY_METRICS = ("d_loss", "g_loss", "d_real", "d_fake")


def ring_centers(modes: int = 8, radius: float = 2.0) -> np.ndarray:
    """The ``modes`` centres ``radius * (cos 2 pi k / modes, sin 2 pi k / modes)``, float32 (modes, 2)."""
    if not isinstance(modes, (int, np.integer)) or modes < 1:
        raise ValueError(f"modes must be a positive integer, got {modes!r}")
    angles = 2.0 * np.pi * np.arange(modes) / modes
    return (radius * np.stack([np.cos(angles), np.sin(angles)], axis=1)).astype(np.float32)


def ring_of_gaussians(n: int, modes: int = 8, radius: float = 2.0, std: float = 0.02, seed: int = 0) -> np.ndarray:
    """``n`` points from an equal mixture of isotropic Gaussians N(centre_k, std^2 I) on a ring; float32 (n, 2)."""
    if not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"number of points must be a positive integer, got {n!r}")
    if std <= 0:
        raise ValueError(f"std must be positive, got {std!r}")
    rng = np.random.default_rng(seed)
    centers = ring_centers(modes, radius)
    which = rng.integers(0, modes, n)
    return (centers[which] + std * rng.standard_normal((n, 2))).astype(np.float32)


def _mlp(inputs: int, outputs: int, hidden: int, depth: int, name: str, activation: str) -> keras.Sequential:
    if depth < 1 or hidden < 1:
        raise ValueError(f"an MLP needs depth >= 1 and hidden >= 1, got depth={depth!r}, hidden={hidden!r}")
    stack = [keras.Input((inputs,))]
    for _ in range(depth):
        stack += [layers.Dense(hidden), layers.Activation(activation)]
    stack.append(layers.Dense(outputs))
    return keras.Sequential(stack, name=name)


def make_mlp_generator(latent_dim: int = 2, out_dim: int = 2, hidden: int = 128, depth: int = 2,
                       name: str = "toy_generator") -> keras.Sequential:
    """G: ``depth`` ReLU layers of ``hidden`` units, then a linear map to ``out_dim`` (no tanh: the data is unbounded)."""
    return _mlp(latent_dim, out_dim, hidden, depth, name, "relu")


def make_mlp_discriminator(in_dim: int = 2, hidden: int = 128, depth: int = 2,
                           name: str = "toy_discriminator") -> keras.Sequential:
    """D: ``depth`` leaky-ReLU layers of ``hidden`` units, then one logit (as the digits' discriminator)."""
    return _mlp(in_dim, 1, hidden, depth, name, "leaky_relu")


def make_toy_gan(*, latent_dim: int = 2, data_dim: int = 2, hidden: int = 128, depth: int = 2,
                 loss="non-saturating", learning_rate: float = 1e-3, beta_1: float = 0.5,
                 update: str = "alternating", seed: int = 0) -> GAN:
    """A compiled :class:`ganlib.gan.GAN` with MLP networks, each network's weights seeded by ``seed``.

    Both optimisers are Adam(``learning_rate``, ``beta_1``).
    """
    if learning_rate <= 0:
        raise ValueError(f"learning_rate must be positive, got {learning_rate!r}")
    keras.utils.set_random_seed(seed)
    gan = (SimultaneousGAN if update == "simultaneous" else GAN)(
        make_mlp_generator(latent_dim, data_dim, hidden, depth), make_mlp_discriminator(data_dim, hidden, depth),
        latent_dim=latent_dim, loss=loss, seed=seed, update=update, ema_decay=None)
    gan.compile(d_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1),
                g_optimizer=keras.optimizers.Adam(learning_rate, beta_1=beta_1))
    return gan


def toy_batches(data, batch_size: int = 256, seed: int = 0) -> tf.data.Dataset:
    """An endless ``tf.data`` stream of batches of ``data`` (float (n, d)), reshuffled each pass in the order of ``seed``."""
    data = np.asarray(data, dtype=np.float32)
    if data.ndim != 2 or len(data) < batch_size:
        raise ValueError(f"data must be a float array (n, d) with n >= batch_size={batch_size}, got shape {data.shape}")
    return (tf.data.Dataset.from_tensor_slices(data)
            .shuffle(len(data), seed=seed, reshuffle_each_iteration=True)
            .repeat().batch(batch_size, drop_remainder=True))


def train_toy(gan: GAN, data, steps: int, batch_size: int = 256, seed: int = 0, callbacks=()) -> StepHistory:
    """Train ``gan`` for ``steps`` steps on batches drawn (with reshuffling) from ``data`` (float (n, d)).

    Returns the :class:`ganlib.callbacks.StepHistory` of the run: ``values[name]`` holds one number
    per step for ``d_loss``, ``g_loss``, ``d_real`` = mean D(x) and ``d_fake`` = mean D(G(z)).
    Calling it again continues training: the optimiser state and the noise stream carry on, but
    each call starts a new pass over ``data`` in the order given by ``seed``, so two calls of
    N steps are not the same run as one call of 2N steps (pass a different ``seed`` per call to
    vary the order).
    """
    if not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive integer, got {steps!r}")
    dataset = toy_batches(data, batch_size, seed)
    history = StepHistory(names=TOY_METRICS)
    gan.fit(dataset, epochs=1, steps_per_epoch=int(steps), verbose=0, shuffle=False,  # the dataset shuffles
            callbacks=[history, *callbacks])
    return history


def toy_samples(generator, n: int, seed: int = 0) -> np.ndarray:
    """``n`` samples of ``generator`` in inference mode from :func:`ganlib.sampling.fixed_noise`; float32 (n, d)."""
    z = fixed_noise(n, generator.input_shape[-1], seed)
    return np.asarray(generator(z, training=False), dtype=np.float32)


def mode_coverage(samples, centers, std: float, min_share: float | None = None) -> dict:
    """Count the modes a generator covers (the measure of Srivastava et al. 2017, VEEGAN).

    Each sample is assigned to its nearest centre. It is *high quality* if it lies within
    ``3 * std`` of that centre. A mode is *covered* if it holds at least ``min_share`` of the
    samples as high-quality samples; the default, ``1 / (4 * modes)``, is a quarter of its fair share.

    Returns ``modes`` (number covered), ``high_quality`` (share of high-quality samples),
    ``counts`` (high-quality samples per mode, int array) and ``covered`` (bool array, per mode).
    """
    samples = np.asarray(samples, dtype=np.float64)
    centers = np.asarray(centers, dtype=np.float64)
    if samples.ndim != 2 or centers.ndim != 2 or samples.shape[1] != centers.shape[1] or len(samples) == 0:
        raise ValueError(f"samples (n, d) and centers (k, d) must agree in d; got {samples.shape} and {centers.shape}")
    if min_share is None:
        min_share = 1.0 / (4 * len(centers))
    distances = np.linalg.norm(samples[:, None, :] - centers[None, :, :], axis=-1)
    nearest = distances.argmin(axis=1)
    good = distances[np.arange(len(samples)), nearest] <= 3.0 * std
    counts = np.bincount(nearest[good], minlength=len(centers))
    covered = counts >= min_share * len(samples)
    return {"modes": int(covered.sum()),
            "high_quality": float(good.mean()),
            "counts": counts,
            "covered": covered}


def plot_toy(samples, data=None, centers=None, ax=None, title: str | None = None, limit: float = 3.0,
             label: str = "G(z)"):
    """Scatter ``samples`` (legend ``label``), and optionally real ``data`` in grey and the mode ``centers``.

    Draws into ``ax`` and returns it; without ``ax``, draws a new figure and returns the figure
    (so a notebook cell that ends with the call shows it).
    """
    figure = None
    if ax is None:
        figure = new_figure((4, 4))
        ax = figure.add_subplot()
    if data is not None:
        data = np.asarray(data)
        ax.scatter(data[:, 0], data[:, 1], s=2, c="0.75", label="data")
    samples = np.asarray(samples)
    ax.scatter(samples[:, 0], samples[:, 1], s=2, c="tab:blue", label=label)
    if centers is not None:
        centers = np.asarray(centers)
        ax.scatter(centers[:, 0], centers[:, 1], marker="x", c="tab:red", s=30, label="modes")
    ax.set_xlim(-limit, limit)
    ax.set_ylim(-limit, limit)
    ax.set_aspect("equal")
    if title:
        ax.set_title(title)
    return figure if figure is not None else ax
