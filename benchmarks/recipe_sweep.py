"""Recipe sweep: short runs of recipe variants on the full MNIST, scored every few epochs.

    PYTHONPATH=. python benchmarks/recipe_sweep.py VARIANT EPOCHS [--every 2] [--data MNIST.npz] [--seed 0]

Rerun a row of the sweep table, e.g. ``PYTHONPATH=. python benchmarks/recipe_sweep.py ttur 4 --data
MNIST.npz`` (``MNIST.npz``: the full MNIST in Keras layout; ``--data`` defaults to ``$GANLIB_MNIST``,
then as ``ganlib.data.load_mnist()``, whose embedded subset of 10,000 training images gives other
figures).  Reported in ``benchmarks/README.md`` section 3 (the recipe sweep table).

Each variant is the default recipe (``ganlib/defaults.py``: width-32 generator, batch 64,
Adam 2e-4/0.5, non-saturating loss, moving average 0.999) with one thing changed; see
``VARIANTS``.  Prints one JSON line per scored epoch (10,000 samples from the moving average
vs the 10,000 MNIST test images).  Used to choose the default recipe; the figures are in
``benchmarks/README.md``.  To compare variants on a busy machine, pin each to its own core:
``TF_NUM_INTRAOP_THREADS=1 TF_NUM_INTEROP_THREADS=1 taskset -c 0 python ...``.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

# the names of VARIANTS below, known before TensorFlow is imported
VARIANT_NAMES = ("default", "g48-k3k4", "hinge", "infogan", "ttur", "tutorial-d", "two-conv-d", "wide-d")


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 3.")
    parser.add_argument("variant", choices=VARIANT_NAMES, help="what changes from the default recipe (VARIANTS)")
    parser.add_argument("epochs", type=int, help="epochs to train")
    parser.add_argument("--every", type=int, default=2, help="score every N epochs (and the last)")
    parser.add_argument("--data", type=Path, default=None,
                        help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                             "ganlib.data.load_mnist()")
    parser.add_argument("--seed", type=int, default=0)
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly

import_tensorflow_quietly()

import keras  # noqa: E402
from keras import layers  # noqa: E402

from ganlib.data import load_mnist, make_dataset  # noqa: E402
from ganlib.defaults import DEFAULT_BATCH_SIZE, DEFAULT_EMA_DECAY  # noqa: E402
from ganlib.metrics import evaluate  # noqa: E402
from ganlib.model import make_discriminator, make_generator  # noqa: E402
from ganlib.gan import GAN  # noqa: E402


def two_conv_discriminator(width=32):
    """The discriminator ganlib had before: the source's two strided convolutions, BN on the second."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(width, 5, strides=2, padding="same"), layers.LeakyReLU(0.2),
        layers.Conv2D(2 * width, 5, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.LeakyReLU(0.2),
        layers.Flatten(), layers.Dense(1)])


def tutorial_discriminator(width=32):
    """The TensorFlow tutorial's discriminator (no batch norm, dropout 0.3), at this width."""
    return keras.Sequential([
        keras.Input((28, 28, 1)),
        layers.Conv2D(width, 5, strides=2, padding="same"), layers.LeakyReLU(0.2), layers.Dropout(0.3),
        layers.Conv2D(2 * width, 5, strides=2, padding="same"), layers.LeakyReLU(0.2), layers.Dropout(0.3),
        layers.Flatten(), layers.Dense(1)])


def generator_k3k4(width=48):
    """A wider generator at the default's cost: 3x3 kernels at 7x7, 4x4 (stride-divisible) after."""
    return keras.Sequential([
        keras.Input((100,)),
        layers.Dense(7 * 7 * 4 * width, use_bias=False), layers.BatchNormalization(), layers.ReLU(),
        layers.Reshape((7, 7, 4 * width)),
        layers.Conv2DTranspose(2 * width, 3, strides=1, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.ReLU(),
        layers.Conv2DTranspose(width, 4, strides=2, padding="same", use_bias=False),
        layers.BatchNormalization(), layers.ReLU(),
        layers.Conv2DTranspose(1, 4, strides=2, padding="same", activation="tanh")])


def adam(learning_rate):
    return keras.optimizers.Adam(learning_rate, beta_1=0.5)


# name: what changes from the default recipe (keys: about, g / d = network factories,
# lr = (D, G) learning rates, loss)
DEFAULT = {"g": make_generator, "d": make_discriminator, "lr": (2e-4, 2e-4), "loss": "non-saturating"}
VARIANTS = {
    "default": {**DEFAULT, "about": "the default recipe"},
    "two-conv-d": {**DEFAULT, "about": "discriminator without the third convolution", "d": two_conv_discriminator},
    "tutorial-d": {**DEFAULT, "about": "the TF tutorial's discriminator (dropout, no batch norm)",
                   "d": tutorial_discriminator},
    "wide-d": {**DEFAULT, "about": "discriminator of width 64", "d": lambda: make_discriminator(64)},
    "ttur": {**DEFAULT, "about": "two time-scale learning rates: D 4e-4, G 1e-4", "lr": (4e-4, 1e-4)},
    "hinge": {**DEFAULT, "about": "hinge loss", "loss": "hinge"},
    "g48-k3k4": {**DEFAULT, "about": "width-48 generator with 3x3 then 4x4 kernels (same cost)",
                 "g": generator_k3k4},
    "infogan": {**DEFAULT, "about": "InfoGAN: a 10-way categorical code in z, recovered by a head on D",
                "g": lambda: make_generator(codes=10), "codes": 10},
}
assert sorted(VARIANTS) == list(VARIANT_NAMES), "VARIANT_NAMES must name the VARIANTS"


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    variant = VARIANTS[args.variant]
    d_lr, g_lr = variant["lr"]
    mnist = load_mnist(args.data)
    (x_train, _), (x_test, _) = mnist.train, mnist.test
    keras.utils.set_random_seed(args.seed)
    gan = GAN(variant["g"](), variant["d"](), loss=variant["loss"], seed=args.seed, ema_decay=DEFAULT_EMA_DECAY,
              codes=variant.get("codes", 0))
    gan.compile(d_optimizer=adam(d_lr), g_optimizer=adam(g_lr))
    dataset = make_dataset(x_train, DEFAULT_BATCH_SIZE, seed=args.seed)
    steps = len(x_train) // DEFAULT_BATCH_SIZE
    for epoch in range(1, args.epochs + 1):
        start = time.perf_counter()
        gan.fit(dataset, epochs=epoch, initial_epoch=epoch - 1, steps_per_epoch=steps, verbose=0, shuffle=False)
        seconds = time.perf_counter() - start
        if epoch % args.every == 0 or epoch == args.epochs:
            report = evaluate(gan.generate(10_000, seed=12345), reference=x_test, real=x_train[:10_000])["samples"]
            print(json.dumps({"variant": args.variant, "epoch": epoch, "epoch_s": round(seconds),
                              **{k: round(v, 3) for k, v in report.items() if k not in ("class_histogram", "n")}}),
                  flush=True)


if __name__ == "__main__":
    main(ARGS)
