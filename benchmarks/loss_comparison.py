"""Loss comparison on MNIST: every variant of ganlib.studies.losses.VARIANTS, several seeds each.

    # train and score every (variant, seed) run; rerun to resume, finished runs are skipped
    python benchmarks/loss_comparison.py run --out runs/losses --data MNIST.npz
    # two processes share the grid (each pinned to a core, one TensorFlow thread each)
    python benchmarks/loss_comparison.py run --out runs/losses --data MNIST.npz --shard 0/2
    python benchmarks/loss_comparison.py run --out runs/losses --data MNIST.npz --shard 1/2
    # the cost of a training step of each variant, as a ratio to ns, in interleaved rounds
    python benchmarks/loss_comparison.py cost --json runs/losses/cost.json --data MNIST.npz
    # collect the scores and the costs into the book's record, with the table
    python benchmarks/loss_comparison.py record runs/losses --cost runs/losses/cost.json \
        --json book/records/loss-comparison.json

Every run trains ganlib's DCGAN (width 32, batch 64, Adam 2e-4 / 0.5, moving average 0.999) with
one loss variant and one seed, for ``--epochs`` epochs of ``--steps`` steps each, and scores its
moving-average generator after every epoch: FID and classifier score of ``--n`` samples (the same
noise every time) against the 10,000 MNIST test images, with the training seconds so far (scoring
excluded; but wall time on a shared machine measures the load as much as the method, so the
record's time axis comes from ``cost``: seconds per training step of every variant, measured in
one process, in rounds that visit the variants in turn, so each sees the same load; the median
over rounds, as a ratio to ``ns``, times the single-run seconds per step of ``ns``).  Runs go seed-major (every variant's seed 0 first), so a grid stopped early still
compares every variant.  A run that diverges (a NaN loss) is recorded as diverged, with the
scores it had.  Reported in ``benchmarks/README.md`` section 11 and ``book/losses.ipynb``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
from pathlib import Path


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in benchmarks/README.md, section 11.")
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="train and score the grid (resumable)")
    run.add_argument("--out", type=Path, required=True, help="directory of the runs, one subdirectory each")
    run.add_argument("--data", type=Path, default=None,
                     help="full MNIST in Keras layout (mnist.npz); default: $GANLIB_MNIST, then as "
                          "ganlib.data.load_mnist()")
    run.add_argument("--variants", default="ns,minimax,ls,hinge,wgan-gp,ns-r1,ns-sn")
    run.add_argument("--seeds", default="0,1,2")
    run.add_argument("--epochs", type=int, default=4, help="epochs of --steps steps (default 4)")
    run.add_argument("--steps", type=int, default=469, help="steps per epoch (469: half of MNIST at batch 64)")
    run.add_argument("--n", type=int, default=10_000, help="samples scored after each epoch")
    run.add_argument("--shard", default="0/1", help="I/K: train only every K-th run of the grid, from the I-th")
    cost = commands.add_parser("cost", help="seconds per training step of each variant, in interleaved rounds")
    cost.add_argument("--json", type=Path, required=True, help="where to write the costs")
    cost.add_argument("--data", type=Path, default=None, help="as for run")
    cost.add_argument("--variants", default="ns,minimax,ls,hinge,wgan-gp,ns-r1,ns-sn,ns-smooth,feature-matching")
    cost.add_argument("--rounds", type=int, default=5)
    cost.add_argument("--steps", type=int, default=40, help="timed steps per variant per round")
    record = commands.add_parser("record", help="collect the scored runs into a JSON record")
    record.add_argument("out", type=Path, help="the --out of the runs")
    record.add_argument("--json", type=Path, required=True, help="where to write the record")
    record.add_argument("--cost", type=Path, required=True, help="the costs written by the cost command")
    record.add_argument("--trained-by", default="", help="the command that trained the runs, kept in the record")
    return parser.parse_args(argv)


if __name__ == "__main__":
    ARGS = parse_args()  # before TensorFlow and ganlib are imported: --help needs neither

from ganlib.quiet import import_tensorflow_quietly  # noqa: E402

tf = import_tensorflow_quietly()

from ganlib.data import load_mnist  # noqa: E402
from ganlib.errors import TrainingDiverged  # noqa: E402
from ganlib.evaluator import features_and_probabilities  # noqa: E402
from ganlib.runs import read_epoch_log  # noqa: E402
from ganlib.studies.losses import SCORES_FILE, VARIANTS, summarise, train_variant  # noqa: E402

DIVERGED_FILE = "diverged.json"


def grid(variants: list[str], seeds: list[int]) -> list[tuple[str, int]]:
    """Seed-major order: every variant's first seed, then every variant's second ..."""
    return [(variant, seed) for seed in seeds for variant in variants]


def run(args) -> None:
    index, shards = (int(part) for part in args.shard.split("/"))
    mnist = load_mnist(args.data)
    reference_features, _ = features_and_probabilities(mnist.test[0])
    variants = args.variants.split(",")
    for name in variants:
        if name not in VARIANTS:
            raise SystemExit(f"unknown variant {name!r}; choose from {', '.join(VARIANTS)}")
    for number, (variant, seed) in enumerate(grid(variants, [int(s) for s in args.seeds.split(",")])):
        out_dir = args.out / f"{variant}-s{seed}"
        if number % shards != index or (out_dir / DIVERGED_FILE).exists():
            continue
        if len(read_epoch_log(out_dir / SCORES_FILE)) >= args.epochs:
            continue
        print(f"{variant} seed {seed}", flush=True)
        try:
            lines = train_variant(variant, seed, mnist.train[0], args.epochs, out_dir, reference_features,
                                  n=args.n, steps_per_epoch=args.steps)
        except TrainingDiverged as error:
            (out_dir / DIVERGED_FILE).write_text(json.dumps({"error": str(error)}) + "\n")
            print(f"  diverged: {error}", flush=True)
            continue
        print("  " + json.dumps(lines[-1]), flush=True)


def cost(args) -> None:
    import time

    import numpy as np

    from ganlib.data import make_dataset, to_model_range
    from ganlib.gan import GAN
    from ganlib.studies.losses import variant_config

    images = to_model_range(load_mnist(args.data).train[0][:8192])
    variants = args.variants.split(",")
    models, batches = {}, {}
    for name in variants:  # build, trace and warm up every variant first
        gan = GAN(config=variant_config(name, seed=0))
        gan.compile()
        batches[name] = make_dataset(images, gan.config.batch_size, seed=0).repeat()
        gan.fit(batches[name], steps_per_epoch=5, epochs=1, verbose=0)
        models[name] = gan
    seconds = {name: [] for name in variants}
    for number in range(args.rounds):
        order = variants if number % 2 == 0 else variants[::-1]  # alternate, so no variant always follows another
        for name in order:
            start = time.perf_counter()
            models[name].fit(batches[name], steps_per_epoch=args.steps, epochs=1, verbose=0)
            seconds[name].append((time.perf_counter() - start) / args.steps)
        print(f"round {number + 1}: " + ", ".join(f"{name} {seconds[name][-1] * 1000:.0f} ms" for name in variants),
              flush=True)
    median = {name: float(np.median(values)) for name, values in seconds.items()}
    out = {"what": "seconds per training step (median over rounds) and the ratio to ns",
           "rounds": args.rounds, "steps": args.steps,
           "variants": {name: {"seconds_per_step": median[name], "ratio_to_ns": median[name] / median["ns"],
                               "rounds": seconds[name]} for name in variants}}
    args.json.write_text(json.dumps(out, indent=1) + "\n")
    for name in variants:
        print(f"{name:18} {median[name] * 1000:7.1f} ms/step  {median[name] / median['ns']:5.2f} x ns")


def record(args) -> None:
    runs = []
    for directory in sorted(path for path in args.out.iterdir() if (path / SCORES_FILE).exists()):
        variant, seed = directory.name.rsplit("-s", 1)
        runs.append({"variant": variant, "seed": int(seed), "diverged": (directory / DIVERGED_FILE).exists(),
                     "scores": read_epoch_log(directory / SCORES_FILE)})
    if not runs:
        raise SystemExit(f"no scored runs in {args.out}")
    epochs = max(len(run["scores"]) for run in runs)
    finished = [run for run in runs if len(run["scores"]) == epochs or run["diverged"]]  # runs still training wait
    table = summarise(finished)
    costs = json.loads(args.cost.read_text())["variants"]
    for row in table:
        row["step_cost_ratio"] = costs[row["variant"]]["ratio_to_ns"]
    out = {"what": __doc__.splitlines()[0], "command": args.trained_by,
           "variants": {name: {"settings": settings, "about": about} for name, (settings, about) in VARIANTS.items()},
           "costs": costs, "epochs": epochs, "machine": f"{platform.machine()}, TensorFlow {tf.__version__}",
           "table": table, "runs": finished}
    args.json.write_text(json.dumps(out, indent=1) + "\n")
    print(f"{'variant':16} seeds  FID mean (sd)   best  worst   CS mean (sd)   step cost")
    for row in table:
        print(f"{row['variant']:16} {row['seeds']:5}  {row['fid_mean']:6.2f} ({row['fid_sd']:5.2f})  "
              f"{row['fid_best']:5.2f} {row['fid_worst']:6.2f}   {row['classifier_score_mean']:5.2f} "
              f"({row['classifier_score_sd']:4.2f})   {row['step_cost_ratio']:5.2f} x ns")


if __name__ == "__main__":
    {"run": run, "cost": cost, "record": record}[ARGS.command](ARGS)
    sys.exit(0)
