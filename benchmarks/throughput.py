"""Training throughput: ganlib's ``GAN.train_step`` (under ``fit()``) vs the TF tutorial's step.

    python benchmarks/throughput.py [--steps 40] [--rounds 3] [--data MNIST.npz]

All contenders use the tutorial's architecture, batch size (256) and optimisers (Adam 1e-4)
from ``benchmarks/tf_tutorial.py`` and run in one process on the same data, interleaved
round by round so that a busy moment on the machine hits them alike.  Each is warmed up
(tracing) before it is timed; the median images per second over the rounds is reported,
and the ratio to the tutorial's step (above 1 means ganlib is faster):

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

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tf_tutorial  # noqa: E402

from ganlib.data import load_mnist, make_dataset  # noqa: E402
from ganlib.trainer import GAN  # noqa: E402


def tutorial_runner(images):
    recipe = tf_tutorial.TutorialRecipe()
    batches = iter(tf_tutorial.make_dataset(images).repeat())

    def run(steps):
        for _ in range(steps):
            recipe.train_step(next(batches))
    return run


def ganlib_runner(images, update):
    gan = GAN(tf_tutorial.make_generator(), tf_tutorial.make_discriminator(), update=update)
    gan.compile(d_optimizer=keras.optimizers.Adam(tf_tutorial.LEARNING_RATE),
                g_optimizer=keras.optimizers.Adam(tf_tutorial.LEARNING_RATE))
    dataset = make_dataset(images, tf_tutorial.BATCH_SIZE, seed=0)

    def run(steps):
        gan.fit(dataset, epochs=1, steps_per_epoch=steps, verbose=0, shuffle=False)
    return run


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=40, help="timed steps per contender per round")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--data", type=Path, default=None)
    args = parser.parse_args()
    keras.utils.set_random_seed(0)
    images = load_mnist(args.data).train[0]
    contenders = {
        "tutorial": tutorial_runner(images),
        "ganlib simultaneous": ganlib_runner(images, "simultaneous"),
        "ganlib alternating": ganlib_runner(images, "alternating"),
    }
    for run in contenders.values():
        run(3)  # tracing and first-step allocations
    rates = {name: [] for name in contenders}
    for _ in range(args.rounds):
        for name, run in contenders.items():
            start = time.perf_counter()
            run(args.steps)
            rates[name].append(args.steps * tf_tutorial.BATCH_SIZE / (time.perf_counter() - start))
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


if __name__ == "__main__":
    main()
