"""Time to quality: FID against training wall time, ganlib's default recipe vs the TF tutorial's.

    # the TensorFlow tutorial's recipe (benchmarks/tf_tutorial.py), a generator saved per epoch
    python benchmarks/time_to_quality.py train-tutorial --epochs 20 --out runs/ttq-tutorial --data MNIST.npz
    # ganlib's default recipe, every epoch's checkpoint kept
    ganlib train --epochs 20 --keep 0 --out runs/ttq-ganlib --data MNIST.npz
    # score every epoch (10,000 samples vs the 10,000 MNIST test images), then compare
    python benchmarks/time_to_quality.py score runs/ttq-tutorial --data MNIST.npz
    python benchmarks/time_to_quality.py score runs/ttq-ganlib --data MNIST.npz
    python benchmarks/time_to_quality.py table runs/ttq-tutorial runs/ttq-ganlib
    # what the moving average buys: the same run's generator itself
    python benchmarks/time_to_quality.py score runs/ttq-ganlib --raw --data MNIST.npz

Wall time is training time only (the sum of each epoch's ``seconds`` in ``history.jsonl``;
saving and scoring excluded), so a run that was interrupted and resumed is timed fairly.
``train-tutorial`` resumes from its own checkpoint if ``--out`` already holds epochs.
The goal: ganlib reaches the best FID the tutorial recipe reached in at most a fifth of the
time the tutorial needed to reach it.

Rerun: the commands above, from the repository root with ``PYTHONPATH=.`` (the reported runs: 20
tutorial epochs and ``ganlib train --epochs 40 --keep 0``, each pinned to its own core with one
TensorFlow thread; ``benchmarks/README.md`` section 4 gives them exactly).  ``MNIST.npz`` is the
full MNIST in Keras layout (``--data`` defaults to ``$GANLIB_MNIST``, then as
``ganlib.data.load_mnist()``; scoring uses only the 10,000 test images, the same in every source,
but training on the embedded subset's 10,000 images is another run).  ``runs/...`` are the
directories the commands create.  Reported in ``benchmarks/README.md`` sections 2, 3 and 4 and in
``book/records/dcgan-mnist*/`` (the shipped model's per-epoch scores).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, sections 2 to 4.")
    commands = parser.add_subparsers(dest="command", required=True)
    train = commands.add_parser("train-tutorial", help="train the TF tutorial's recipe, a generator saved per epoch")
    train.add_argument("--epochs", type=int, default=20)
    train.add_argument("--out", type=Path, required=True, help="run directory (resumed if it holds epochs)")
    train.add_argument("--data", type=Path, default=None,
                       help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                            "ganlib.data.load_mnist()")
    train.add_argument("--seed", type=int, default=0)
    scoring = commands.add_parser("score", help="score every saved epoch of a run (to scores.jsonl in it)")
    scoring.add_argument("run", type=Path, help="a train-tutorial or ganlib train run directory")
    scoring.add_argument("--data", type=Path, default=None,
                         help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                              "ganlib.data.load_mnist()")
    scoring.add_argument("--n", type=int, default=10_000)
    scoring.add_argument("--raw", action="store_true",
                         help="score the generator itself instead of its moving average (to scores-raw.jsonl)")
    comparing = commands.add_parser("table", help="compare two scored runs and check the goal")
    comparing.add_argument("tutorial", type=Path, help="the scored tutorial run")
    comparing.add_argument("ganlib", type=Path, help="the scored ganlib run")
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly

tf = import_tensorflow_quietly()

import keras  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parent))
import tf_tutorial  # noqa: E402

from ganlib.data import load_mnist, to_uint8  # noqa: E402
from ganlib.evaluator import features_and_probabilities  # noqa: E402
from ganlib.metrics import scores  # noqa: E402
from ganlib.runs import HISTORY_FILE, read_epoch_log, read_history  # noqa: E402
from ganlib.sampling import fixed_noise  # noqa: E402
from ganlib.registry import restore_run  # noqa: E402

SCORES_FILE = "scores.jsonl"
RAW_SCORES_FILE = "scores-raw.jsonl"  # a ganlib run's generator itself, not its moving average
SAMPLE_SEED = 12345


def train_tutorial(args) -> None:
    out = args.out
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    recipe = tf_tutorial.TutorialRecipe()
    state = tf.train.Checkpoint(generator=recipe.generator, discriminator=recipe.discriminator,
                                g_optimizer=recipe.g_optimizer, d_optimizer=recipe.d_optimizer)
    manager = tf.train.CheckpointManager(state, out / "tf_checkpoints", max_to_keep=1)
    done = len(read_history(out))
    if done:
        state.restore(manager.latest_checkpoint).assert_existing_objects_matched()
        print(f"resuming after epoch {done}")
    dataset = tf_tutorial.make_dataset(load_mnist(args.data).train[0])
    for epoch in range(done + 1, args.epochs + 1):
        start = time.perf_counter()
        for images in dataset:
            g_loss, d_loss = recipe.train_step(images)
        seconds = time.perf_counter() - start
        recipe.generator.save_weights(out / f"generator-{epoch:04d}.weights.h5")
        manager.save(checkpoint_number=epoch)
        line = {"epoch": epoch, "seconds": round(seconds, 2), "g_loss": float(g_loss), "d_loss": float(d_loss)}
        with open(out / HISTORY_FILE, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")
        print(json.dumps(line), flush=True)


def epoch_samplers(run: Path, raw: bool = False):
    """Yield (epoch, sampler network) for every epoch the run saved (``raw``: G, not its average)."""
    tutorial = sorted(run.glob("generator-*.weights.h5"))
    if tutorial:
        generator = tf_tutorial.make_generator()
        for file in tutorial:
            generator.load_weights(file)
            yield int(file.name.split("-")[1].split(".")[0]), generator
        return
    gan, _ = restore_run(run)  # builds the GAN from the run's config
    for file in sorted(run.glob("ckpt-*.weights.h5")):
        gan.load_weights(file)
        yield int(file.name.split("-")[1].split(".")[0]), gan.generator if raw else gan.sampler


def score(args) -> None:
    mnist = load_mnist(args.data)
    scores_file = RAW_SCORES_FILE if args.raw else SCORES_FILE
    done = {line["epoch"] for line in read_scores(args.run, scores_file)}
    elapsed, total = {}, 0.0
    for line in read_history(args.run):
        total += line["seconds"]
        elapsed[line["epoch"]] = total
    z = fixed_noise(args.n, tf_tutorial.NOISE_DIM, SAMPLE_SEED)
    reference_features, _ = features_and_probabilities(mnist.test[0])
    for epoch, sampler in epoch_samplers(args.run, args.raw):
        if epoch in done or epoch not in elapsed:
            continue
        samples = to_uint8(sampler.predict(z, batch_size=500, verbose=0))
        report = scores(*features_and_probabilities(samples), reference_features)
        line = {"epoch": epoch, "train_seconds": round(elapsed[epoch], 1),
                **{k: v for k, v in report.items() if k != "class_histogram"}}
        print(json.dumps(line), flush=True)
        with open(args.run / scores_file, "a", encoding="utf-8") as log:
            log.write(json.dumps(line) + "\n")


def read_scores(run: Path, name: str = SCORES_FILE) -> list[dict]:
    return read_epoch_log(run / name)


def first_reaching(scores: list[dict], fid: float) -> dict | None:
    return next((line for line in scores if line["fid"] <= fid), None)


def table(args) -> None:
    tutorial, ours = read_scores(args.tutorial), read_scores(args.ganlib)
    if not tutorial or not ours:
        raise SystemExit("score both runs first (time_to_quality.py score RUN)")
    print("| epoch | tutorial: train time | tutorial: FID | ganlib: train time | ganlib: FID |")
    print("| ---: | ---: | ---: | ---: | ---: |")
    by_epoch = {line["epoch"]: line for line in ours}
    for epoch in sorted({line["epoch"] for line in tutorial} | set(by_epoch)):
        t = next((line for line in tutorial if line["epoch"] == epoch), None)
        o = by_epoch.get(epoch)
        cells = [f"{t['train_seconds']:.0f} s", f"{t['fid']:.2f}"] if t else ["", ""]
        cells += [f"{o['train_seconds']:.0f} s", f"{o['fid']:.2f}"] if o else ["", ""]
        print(f"| {epoch} | " + " | ".join(cells) + " |")
    best = min(tutorial, key=lambda line: line["fid"])
    reached = first_reaching(ours, best["fid"])
    print()
    print(f"Tutorial recipe: best FID {best['fid']:.2f} at epoch {best['epoch']}, after {best['train_seconds']:.0f} s "
          f"of training ({len(tutorial)} epochs scored).")
    if reached is None:
        print(f"ganlib default: never reached FID {best['fid']:.2f} in {len(ours)} epochs (best "
              f"{min(line['fid'] for line in ours):.2f}). Goal NOT met.")
        return
    ratio = reached["train_seconds"] / best["train_seconds"]
    verdict = "met" if ratio <= 0.2 else "NOT met"
    print(f"ganlib default: FID {reached['fid']:.2f} <= {best['fid']:.2f} at epoch {reached['epoch']}, after "
          f"{reached['train_seconds']:.0f} s: {ratio:.3f} of the tutorial's time "
          f"({1 / ratio:.1f}x faster). Goal (at most 0.2): {verdict}.")


def main(args: argparse.Namespace | None = None) -> None:
    args = args if args is not None else parse_args()
    {"train-tutorial": train_tutorial, "score": score, "table": table}[args.command](args)


if __name__ == "__main__":
    main(ARGS)
