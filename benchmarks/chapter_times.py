"""How long each chapter takes to run top to bottom, in its default mode and in quick mode.

Runs every executed chapter of the book (the notebooks listed in ``_toc.yml``, in order) in a
fresh kernel with ``jupyter nbconvert --execute``, writing to a temporary file (the chapters in
``book/`` are left as they are), and times the whole run, kernel start included. Writes a
Markdown table to ``book/_run_times.md`` (the introduction includes it) and prints it.

    python benchmarks/chapter_times.py            # both modes, all chapters
    python benchmarks/chapter_times.py --modes quick
    python benchmarks/chapter_times.py --inplace  # also save the default-mode outputs in book/

Run it on an otherwise idle machine: the 1-minute load average before each run is recorded in
the table, so a busy machine shows.  It needs the book's extras (``pip install -e .[book]``); the
chapters get this process's environment (``GANLIB_MNIST`` included, if set) except
``GANLIB_QUICK``, which the mode sets.  Reported in ``book/_run_times.md`` (the book's
introduction includes it) and in the top-level ``README.md``.
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]
MODES = {"default": {}, "quick": {"GANLIB_QUICK": "1"}}


def toc_notebooks(root: Path = ROOT) -> list[Path]:
    """The chapters of ``_toc.yml`` that are notebooks, in reading order."""
    found = []

    def visit(entries):
        for entry in entries or []:
            if "file" in entry:
                path = root / f"{entry['file']}.ipynb"
                if path.exists():
                    found.append(path)
            visit(entry.get("sections"))

    toc = yaml.safe_load((root / "_toc.yml").read_text())
    for part in toc.get("parts", []):
        visit(part.get("chapters"))
    return found


def run(notebook: Path, mode: str, out_dir: Path | None) -> tuple[float, float]:
    """Execute ``notebook`` in ``mode``, into ``out_dir`` or, if None, in place; return (seconds,
    load average before). Raises if a cell fails."""
    env = {key: value for key, value in os.environ.items() if key != "GANLIB_QUICK"}
    env.update(MODES[mode])
    load = os.getloadavg()[0]
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "jupyter", "nbconvert", "--to", "notebook", "--execute",
                    "--ExecutePreprocessor.timeout=900", "--ExecutePreprocessor.record_timing=False",
                    *(["--inplace"] if out_dir is None else ["--output-dir", str(out_dir)]), str(notebook)],
                   cwd=notebook.parent, env=env, check=True, capture_output=True)
    return time.perf_counter() - start, load


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                     epilog="Reported in book/_run_times.md.")
    parser.add_argument("--modes", nargs="+", choices=sorted(MODES), default=["default", "quick"])
    parser.add_argument("--out", type=Path, default=ROOT / "book" / "_run_times.md",
                        help="the Markdown table (default: book/_run_times.md of this repository)")
    parser.add_argument("--inplace", action="store_true",
                        help="run the default mode in place, saving its outputs in the chapters")
    args = parser.parse_args(argv)

    notebooks = toc_notebooks()
    times: dict[tuple[str, str], tuple[float, float]] = {}
    with tempfile.TemporaryDirectory(prefix="ganbook-times-") as scratch:
        for mode in args.modes:
            for notebook in notebooks:
                in_place = args.inplace and mode == "default"
                times[notebook.stem, mode] = run(notebook, mode, None if in_place else Path(scratch))
                seconds, load = times[notebook.stem, mode]
                print(f"{notebook.stem:14s} {mode:8s} {seconds:6.1f} s (load before: {load:.1f})", flush=True)

    header = "| Chapter | " + " | ".join(f"{mode} mode" for mode in args.modes) + " |"
    lines = [header, "|---|" + "---:|" * len(args.modes)]
    for notebook in notebooks:
        cells = [f"{times[notebook.stem, mode][0]:.0f} s" for mode in args.modes]
        lines.append(f"| `{notebook.name}` | " + " | ".join(cells) + " |")
    totals = [f"{sum(times[n.stem, mode][0] for n in notebooks) / 60:.1f} min" for mode in args.modes]
    lines.append("| **all chapters** | " + " | ".join(f"**{total}**" for total in totals) + " |")
    loads = [load for _, load in times.values()]
    cpu = os.cpu_count()
    text = (f"Measured by `python benchmarks/chapter_times.py` on {datetime.date.today():%Y-%m-%d}: each chapter "
            f"run top to bottom in a fresh kernel (start-up included) on a {cpu}-core {platform.machine()} CPU "
            f"without a GPU, 1-minute load average {min(loads):.1f} to {max(loads):.1f} before the runs.\n\n"
            + "\n".join(lines) + "\n")
    args.out.write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
