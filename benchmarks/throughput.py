"""Training throughput: ganlib's ``GAN.train_step`` (under ``fit()``) vs the TF tutorial's step.

    PYTHONPATH=. python benchmarks/throughput.py [--steps 40] [--rounds 3] [--data MNIST.npz]

Rerun the reported table with ``PYTHONPATH=. python benchmarks/throughput.py --rounds 5 --data
MNIST.npz`` on an otherwise idle machine (``MNIST.npz``: the MNIST in Keras layout; ``--data``
defaults to ``$GANLIB_MNIST``, then as ``ganlib.data.load_mnist()``; the images only feed the
timed steps).  Reported in ``benchmarks/README.md`` section 5.

All contenders use the tutorial's architecture, batch size (256) and optimisers (Adam 1e-4)
from ``benchmarks/tf_tutorial.py`` and run in one process on the same data, interleaved
round by round so that a busy moment on the machine hits them alike.  Each is warmed up
(tracing) before it is timed; the median images per second over the rounds is reported,
and the ratio to the tutorial's step (above 1 means ganlib is faster).  Timed are the steps
with their batches: for ``fit()``, from its first step's start to its last step's end
(:class:`StepClock`).  What ``fit()`` spends after its last step is printed apart: on this
machine it sometimes takes 8-17 s to return after its last callback, while its frame is
torn down (seen with a constant in-memory dataset too; the cause is inside Keras/TensorFlow
and not pinned down).  ``Trainer`` calls ``fit()`` once per run, so it pays this once per run,
not per step; timing whole ``fit()`` calls of 40 steps had mixed it into the step rate.

* ``tutorial``: the tutorial's ``tf.function`` step over its own ``tf.data`` pipeline;
* ``ganlib simultaneous``: ``GAN(update="simultaneous")``, the same algorithm as the tutorial;
* ``ganlib alternating``: ``GAN()`` (the default): D step, then G step on fresh noise against
  the updated D (Goodfellow et al. Algorithm 1), which runs G twice per step.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import sys
import time
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 5.")
    parser.add_argument("--steps", type=int, default=40, help="timed steps per contender per round")
    parser.add_argument("--rounds", type=int, default=3, help="rounds; the median rate over them is reported")
    parser.add_argument("--data", type=Path, default=None,
                        help="MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                             "ganlib.data.load_mnist()")
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tf_tutorial  # noqa: E402

from ganlib.data import load_mnist, make_dataset  # noqa: E402
from ganlib.gan import GAN, SimultaneousGAN  # noqa: E402


class StepClock(keras.callbacks.Callback):
    """Seconds from the start of a ``fit()`` call's first step to the end of its last."""

    def on_train_batch_begin(self, batch, logs=None):
        if batch == 0:
            self.start = time.perf_counter()

    def on_train_batch_end(self, batch, logs=None):
        self.seconds = time.perf_counter() - self.start


def tutorial_runner(images):
    recipe = tf_tutorial.TutorialRecipe()
    batches = iter(tf_tutorial.make_dataset(images).repeat())

    def run(steps):
        """Seconds for ``steps`` of the tutorial's loop (its batches included)."""
        start = time.perf_counter()
        for _ in range(steps):
            recipe.train_step(next(batches))
        return time.perf_counter() - start
    return run


def ganlib_runner(images, update, exits: list):
    gan = (SimultaneousGAN if update == "simultaneous" else GAN)(
        tf_tutorial.make_generator(), tf_tutorial.make_discriminator(), update=update, ema_decay=None)
    gan.compile(d_optimizer=keras.optimizers.Adam(tf_tutorial.LEARNING_RATE),
                g_optimizer=keras.optimizers.Adam(tf_tutorial.LEARNING_RATE))
    dataset = make_dataset(images, tf_tutorial.BATCH_SIZE, seed=0)

    def run(steps):
        """Seconds for ``steps`` training steps under ``fit()`` (its batches included); the time
        ``fit()`` spends after its last step is appended to ``exits``."""
        clock = StepClock()
        gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False, callbacks=[clock])
        exits.append(time.perf_counter() - clock.start - clock.seconds)
        return clock.seconds
    return run


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    keras.utils.set_random_seed(0)
    images = load_mnist(args.data).train[0]
    exits = []
    contenders = {
        "tutorial": tutorial_runner(images),
        "ganlib simultaneous": ganlib_runner(images, "simultaneous", exits),
        "ganlib alternating": ganlib_runner(images, "alternating", exits),
    }
    for run in contenders.values():
        run(3)  # tracing and first-step allocations
    exits.clear()
    rates = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            rates[name].append(args.steps * tf_tutorial.BATCH_SIZE / run(args.steps))
    reference = statistics.median(rates["tutorial"])
    machine = f"{platform.machine()}, {os.cpu_count()} cores, TF {tf.__version__}"
    print(f"python benchmarks/throughput.py --steps {args.steps} --rounds {args.rounds}; {machine}; "
          f"{datetime.date.today()}")
    print("| step (tutorial architecture, batch 256, Adam 1e-4) | images/s (median) | rounds | ratio to tutorial |")
    print("| --- | ---: | --- | ---: |")
    for name, values in rates.items():
        median = statistics.median(values)
        shown = ", ".join(f"{v:.0f}" for v in values)
        print(f"| {name} | {median:.0f} | {shown} | {median / reference:.2f} |")
    print(f"fit() after its last step (once per fit() call, i.e. once per training run): "
          f"{', '.join(f'{x:.1f}' for x in exits)} s")


if __name__ == "__main__":
    main(ARGS)
