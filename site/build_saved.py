"""Build the site from the outputs saved in the notebooks, without executing them (seconds, not minutes).

    python site/build_saved.py OUT_DIR        # writes OUT_DIR/_build/html

The README's main command (``jupyter-book build . -W``) re-executes every chapter, as a release
must.  The tests only need the site's pages, scripts and widgets, which the saved outputs give:
this builds with the same ``_config.yml`` except ``execute_notebooks: "off"``, with ``-W``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[1]


def toc_pages(root: Path = ROOT) -> list[str]:
    """Every page of ``_toc.yml`` (the root, then each part's chapters and their sections), in
    reading order, as the paths the site serves them under without ``.html``."""
    toc = yaml.safe_load((root / "_toc.yml").read_text())

    def files(entries):
        for entry in entries or []:
            if "file" in entry:
                yield entry["file"]
            yield from files(entry.get("sections"))

    return [toc["root"]] + [page for part in toc.get("parts", []) for page in files(part.get("chapters"))]


def execution_off_config(root: Path = ROOT) -> dict:
    """``root``'s ``_config.yml`` with execution off and its relative paths made absolute, so that
    a build can read it from anywhere and show the outputs its notebooks hold."""
    config = yaml.safe_load((root / "_config.yml").read_text(encoding="utf-8"))
    config["execute"]["execute_notebooks"] = "off"
    config["bibtex_bibfiles"] = [str(root / path) for path in config["bibtex_bibfiles"]]
    config["html"]["favicon"] = str(root / config["html"]["favicon"])
    extensions = config["sphinx"]["local_extensions"]
    config["sphinx"]["local_extensions"] = {name: str(root / path) for name, path in extensions.items()}
    sphinx_config = config["sphinx"]["config"]
    sphinx_config["locale_dirs"] = [str(root / path) for path in sphinx_config["locale_dirs"]]
    return config


def write_config(config: dict, path: Path) -> Path:
    path.write_text(yaml.safe_dump(config, sort_keys=False, allow_unicode=True), encoding="utf-8")
    return path


def saved_outputs_config(directory: Path) -> Path:
    """:func:`execution_off_config`, written to ``directory``."""
    return write_config(execution_off_config(), Path(directory) / "_config_saved_outputs.yml")


def build(out_dir, builder: str = "html") -> Path:
    """Build the site into ``out_dir/_build/<builder>`` from the saved outputs; return that directory.
    ``builder`` is ``html``, or ``gettext`` for the message catalogues the translations follow.
    Raises CalledProcessError (with the build's output) if the build fails or warns."""
    out_dir = Path(out_dir).resolve()
    out_dir.mkdir(parents=True, exist_ok=True)
    jupyter_book = Path(sys.executable).with_name("jupyter-book")
    command = [str(jupyter_book), "build", str(ROOT), "--config", str(saved_outputs_config(out_dir)),
               "--path-output", str(out_dir), "-W", "--quiet"]
    if builder != "html":
        command += ["--builder", "custom", "--custom-builder", builder]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise subprocess.CalledProcessError(result.returncode, command, result.stdout, result.stderr)
    return out_dir / "_build" / builder


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    print(build(sys.argv[1]))
