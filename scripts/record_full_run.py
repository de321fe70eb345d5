"""Copy the record of a full training run into the book, small enough to commit.

    python scripts/record_full_run.py runs/dcgan-info2c book/records/dcgan-mnist \\
        --command "ganlib train --codes 10 --continuous 2 --epochs 30 --data ../shared/data/mnist.npz --out runs/dcgan-info2c --keep 0" \\
        --scoring "python benchmarks/time_to_quality.py score runs/dcgan-info2c --data ../shared/data/mnist.npz" \\
        --machine "x86_64, 2 cores, TensorFlow 2.21.0, CPU only" [--epochs 1 2 4 8 16 30] [--force]

A run directory written by ``ganlib train`` (:class:`ganlib.trainer.Trainer`) is hundreds of
megabytes of checkpoints and is git-ignored, so a reader of the book never has it.  This script
copies what a chapter needs to show how the run went, and nothing else:

- ``history.jsonl``: one line per epoch of training metrics (``ganlib.callbacks.EpochLog``);
- ``scores.jsonl``: one line per epoch of sample-quality scores
  (``benchmarks/time_to_quality.py score``: FID, classifier score, precision/recall, ...);
- ``generator.json``: the run's settings and the sha256 of its final generator weights;
- ``samples-EPOCH.png`` for the chosen epochs: the grid of 25 samples from fixed noise that
  ``ganlib.callbacks.SampleGrid`` saved after each epoch;

then writes ``README.md`` (where the files came from: commands, dates, machine, and a sha256
list) and ``SHA256SUMS`` (the same list, for ``sha256sum -c SHA256SUMS``).  The record must stay
under ``--max-bytes`` (default 1 MB).  An existing non-empty OUT_DIR is only replaced with
``--force``.  Standard library only: no TensorFlow is imported.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import shutil
import sys
from pathlib import Path

DEFAULT_EPOCHS = (1, 2, 4, 8, 16, 30)
MAX_BYTES = 1_000_000
JSONL_FILES = ("history.jsonl", "scores.jsonl")
CONFIG_FILE = "generator.json"
NOTES_FILE = "NOTES.txt"
README = "README.md"
SUMS = "SHA256SUMS"


class RecordError(Exception):
    """A run directory that cannot be recorded, with what to do about it."""


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def sample_name(epoch: int) -> str:
    """The grid ``SampleGrid`` writes after epoch ``epoch``."""
    return f"samples-{epoch:04d}.png"


def read_epoch_lines(path: Path) -> list[dict]:
    """The JSON lines of ``path``, one per epoch, checked to be epochs 1, 2, ..., N in order.

    (``ganlib.runs.read_epoch_log`` reads the same files leniently; a record must be complete.)
    """
    if not path.is_file():
        raise RecordError(f"{path} is missing; a run directory from `ganlib train` (scored with "
                          "benchmarks/time_to_quality.py score) has it")
    lines = []
    for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        try:
            line = json.loads(text)
            int(line["epoch"])
        except (ValueError, KeyError, TypeError):
            raise RecordError(f"{path} line {number} is not an epoch record") from None
        lines.append(line)
    epochs = [int(line["epoch"]) for line in lines]
    if epochs != list(range(1, len(epochs) + 1)):
        raise RecordError(f"{path} holds epochs {epochs}, not 1..N once each in order (an interrupted "
                          "and resumed run repeats an epoch: keep its last line)")
    return lines


def utc(timestamp: float) -> str:
    return datetime.datetime.fromtimestamp(timestamp, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def record(run: Path, out: Path, *, epochs=DEFAULT_EPOCHS, command: str = "", scoring: str = "",
           machine: str = "", force: bool = False, max_bytes: int = MAX_BYTES, invocation: str = "") -> list[Path]:
    """Copy ``run``'s record into ``out`` and write its README and SHA256SUMS; return the files written."""
    run, out = Path(run), Path(out)
    if not run.is_dir():
        raise RecordError(f"run directory {run} does not exist")
    epochs = sorted(set(int(epoch) for epoch in epochs))
    if not epochs or epochs[0] < 1:
        raise RecordError(f"epochs must be positive integers, got {epochs}")
    history = read_epoch_lines(run / "history.jsonl")
    scores = read_epoch_lines(run / "scores.jsonl")
    if len(scores) != len(history):
        raise RecordError(f"history.jsonl has {len(history)} epochs but scores.jsonl {len(scores)}; "
                          "score every epoch first")
    if epochs[-1] > len(history):
        raise RecordError(f"epoch {epochs[-1]} asked for, but the run has {len(history)} epochs")
    missing = [sample_name(e) for e in epochs if not (run / sample_name(e)).is_file()]
    if missing:
        raise RecordError(f"{run} lacks the sample grids {missing}")
    config_path = run / CONFIG_FILE
    if not config_path.is_file():
        raise RecordError(f"{config_path} is missing: the run did not finish (Trainer.train writes it at the end)")
    config = json.loads(config_path.read_text(encoding="utf-8"))

    sources = [run / name for name in JSONL_FILES] + [config_path] + [run / sample_name(e) for e in epochs]
    total = sum(path.stat().st_size for path in sources)
    if total > max_bytes:
        raise RecordError(f"the record would be {total:,} bytes, more than {max_bytes:,}; record fewer epochs")

    if out.exists() and any(out.iterdir()):
        if not force:
            raise RecordError(f"{out} is not empty; pass --force to replace the record in it")
        for old in out.iterdir():
            if old.is_file() and (old.name in (*JSONL_FILES, CONFIG_FILE, README, SUMS)
                                  or (old.name.startswith("samples-") and old.suffix == ".png")):
                old.unlink()
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for source in sources:
        target = out / source.name
        shutil.copyfile(source, target)
        written.append(target)

    sums = "".join(f"{sha256(path)}  {path.name}\n" for path in written)
    (out / SUMS).write_text(sums, encoding="utf-8")
    notes = (run / NOTES_FILE).read_text(encoding="utf-8").strip() if (run / NOTES_FILE).is_file() else ""
    train_seconds = sum(float(line["seconds"]) for line in history)
    settings = ", ".join(f"{key} {value}" for key, value in config.items() if key != "sha256")
    lines = [
        f"# Record of the training run `{run.name}`",
        "",
        f"Copied from `{run}` on {utc(datetime.datetime.now().timestamp())} by",
        "",
        "```bash",
        invocation or f"python scripts/record_full_run.py {run} {out}",
        "```",
        "",
        "The run directory itself (every epoch's checkpoint) is git-ignored; these files are what the book",
        "reads to show how the run went.",
        "",
        "## Where the files came from",
        "",
        f"- **Training command**: `{command or 'not given'}`",
        f"- **Settings** (`{CONFIG_FILE}`): {settings}",
        f"- **Training**: {len(history)} epochs, {train_seconds:,.0f} s of training (the sum of `seconds` in "
        f"`history.jsonl`); `history.jsonl` last written {utc((run / 'history.jsonl').stat().st_mtime)}",
        f"- **Machine**: {machine or 'not given'}",
    ]
    if notes:
        lines.append(f"- **Run notes** (`{NOTES_FILE}`): {notes}")
    lines += [
        f"- **Scoring command**: `{scoring or 'not given'}`"
        + (f" ({scores[0]['n']:,} samples per epoch)" if "n" in scores[0] else "")
        + f"; `scores.jsonl` last written {utc((run / 'scores.jsonl').stat().st_mtime)}",
        f"- **Final generator weights**: sha256 `{config.get('sha256', 'not recorded')}` (in `{CONFIG_FILE}`)",
        "",
        "## Files",
        "",
        "| file | bytes | what |",
        "| --- | ---: | --- |",
        f"| `history.jsonl` | {(out / 'history.jsonl').stat().st_size:,} | per epoch: wall seconds and the means of "
        "the training metrics (`ganlib.callbacks.EpochLog`) |",
        f"| `scores.jsonl` | {(out / 'scores.jsonl').stat().st_size:,} | per epoch: FID, classifier score, KL to "
        "uniform, confident share, precision, recall of the epoch's samples |",
        f"| `{CONFIG_FILE}` | {config_path.stat().st_size:,} | the run's settings and its final generator's sha256 |",
    ]
    lines += [f"| `{sample_name(e)}` | {(out / sample_name(e)).stat().st_size:,} | 25 samples from fixed noise "
              f"after epoch {e} (`ganlib.callbacks.SampleGrid`) |" for e in epochs]
    lines += ["", "## sha256", "", f"Also in `{SUMS}` (`sha256sum -c {SUMS}`):", "", "```", sums.rstrip("\n"),
              "```", ""]
    (out / README).write_text("\n".join(lines), encoding="utf-8")
    return written + [out / SUMS, out / README]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("run", type=Path, help="run directory written by `ganlib train` and scored")
    parser.add_argument("out", type=Path, help="where the record goes, e.g. book/records/dcgan-mnist")
    parser.add_argument("--epochs", type=int, nargs="+", default=list(DEFAULT_EPOCHS),
                        help=f"epochs whose sample grids to copy (default: {' '.join(map(str, DEFAULT_EPOCHS))})")
    parser.add_argument("--command", default="", help="the exact training command")
    parser.add_argument("--scoring", default="", help="the exact command that wrote scores.jsonl")
    parser.add_argument("--machine", default="", help="the machine the run trained on")
    parser.add_argument("--max-bytes", type=int, default=MAX_BYTES, help="size limit of the record")
    parser.add_argument("--force", action="store_true", help="replace a record already in OUT")
    args = parser.parse_args(argv)
    invocation = " ".join(["python scripts/record_full_run.py", str(args.run), str(args.out),
                           "--epochs", *map(str, args.epochs)]
                          + [f'--{name} "{value}"' for name, value in
                             (("command", args.command), ("scoring", args.scoring), ("machine", args.machine))
                             if value])
    try:
        written = record(args.run, args.out, epochs=args.epochs, command=args.command, scoring=args.scoring,
                         machine=args.machine, force=args.force, max_bytes=args.max_bytes, invocation=invocation)
    except RecordError as error:
        print(f"record_full_run: error: {error}", file=sys.stderr)
        return 1
    total = sum(path.stat().st_size for path in written)
    print(f"wrote {len(written)} files, {total:,} bytes, to {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
