"""The book's two editions: English (the source) and Chinese (translated by gettext catalogues).

    python site/editions.py build     # _build/html (English) and _build/html/zh (Chinese)
    python site/editions.py update    # the catalogues follow the English pages (for translators)

``build`` is the README's main command.  It builds the English site as ``jupyter-book build . -W``
does, executing every chapter.  Then it builds the Chinese site from the notebooks that build
executed (``_build/jupyter_execute``), with execution off and ``language = zh_CN``.  So the
chapters run once, and both editions show the same outputs, figures and glued numbers.  Both
builds run with ``-W``.

``update`` extracts the messages of the current English pages (a gettext build from the
notebooks' saved outputs) and merges them into ``locales/zh_CN/LC_MESSAGES/book/<page>.po``
with sphinx-intl.  A new English paragraph becomes an untranslated message, and a changed one a
fuzzy message.  Messages with nothing to translate (display math, a lone code span) are filled
in.  ``python site/translations.py check`` then lists what is left to translate.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import yaml

SITE = Path(__file__).resolve().parent
ROOT = SITE.parent
sys.path.insert(0, str(SITE))
import build_saved  # noqa: E402  (site/ is no package: its name is the stdlib's)
import translations  # noqa: E402

LANGUAGE = "zh_CN"
SUBDIR = "zh"  # the Chinese site is _build/html/zh


def _run(command: list[str], cwd: Path = ROOT) -> None:
    print("$", " ".join(command), flush=True)
    subprocess.run(command, cwd=cwd, check=True)


_GLUE_ROLE = re.compile(r"\{(glue(?::[a-z]+)?)\}`([^`]*)`")


def _name_page(match, page: str) -> str:
    role, body = match.groups()
    if "::" in body:
        return match.group(0)
    if role == "glue:text" and ":" not in body:
        body += ":s"  # `page::key` alone would be read as key "page:" with format "key"
    return f"{{{role}}}`{page}.ipynb::{body}`"


def stage_catalogues(root: Path, target: Path) -> Path:
    """A copy of ``root``'s catalogues in ``target`` (returned: a ``locale_dirs`` entry) in which a
    notebook page's own glue roles name their page: ``{glue:text}`key:.2f``` in ``book/x.po``
    becomes ``{glue:text}`x.ipynb::key:.2f```.

    MyST-NB pastes a page's own glue while it parses the notebook, from the notebook's outputs,
    but Sphinx parses a translated paragraph afterwards, on its own, where those outputs are no
    longer at hand; the ``page::key`` form is resolved later, from the glue data the page wrote."""
    from babel.messages.pofile import read_po, write_po

    shutil.copytree(root / "locales", target, ignore=shutil.ignore_patterns("*.mo"))
    for path in (target / LANGUAGE / "LC_MESSAGES").rglob("*.po"):
        page = path.relative_to(target / LANGUAGE / "LC_MESSAGES").with_suffix("")
        if not (root / page).with_suffix(".ipynb").is_file():
            continue
        with path.open("rb") as handle:
            catalog = read_po(handle)
        for message in catalog:
            if message.id and message.string:
                message.string = _GLUE_ROLE.sub(lambda m: _name_page(m, page.name), message.string)
        with path.open("wb") as handle:
            write_po(handle, catalog)
    return target


def chinese_config(directory: Path, root: Path = ROOT) -> Path:
    """``_config.yml`` for the Chinese edition, written to ``directory``: execution off (the book it
    builds holds executed notebooks), the language, and ``root``'s catalogues (staged)."""
    config = build_saved.execution_off_config(root)
    config["title"] = "GAN Book（中文版）"
    sphinx = config["sphinx"]["config"]
    sphinx["language"] = LANGUAGE
    sphinx["nb_code_prompt_show"] = "显示代码单元格"  # MyST-NB's "Show code cell {type}"
    sphinx["nb_code_prompt_hide"] = "隐藏代码单元格"
    sphinx["locale_dirs"] = [str(stage_catalogues(root, Path(directory) / "locales"))]
    return build_saved.write_config(config, Path(directory) / "_config_zh.yml")


def translated_toc(root: Path = ROOT) -> str:
    """``_toc.yml`` with its part captions translated.  Sphinx translates a toctree's caption in the
    page, but the sidebar is drawn from the table of contents Jupyter Book builds from ``_toc.yml``,
    which no catalogue reaches; the captions' translations are the root page's messages."""
    from babel.messages.pofile import read_po

    toc = yaml.safe_load((root / "_toc.yml").read_text(encoding="utf-8"))
    with (root / "locales" / LANGUAGE / "LC_MESSAGES" / f"{toc['root']}.po").open("rb") as handle:
        messages = {m.id: m.string for m in read_po(handle) if m.id and m.string and not m.fuzzy}
    for part in toc.get("parts", []):
        if part.get("caption") in messages:
            part["caption"] = messages[part["caption"]]
    return yaml.safe_dump(toc, sort_keys=False, allow_unicode=True)


def stage_executed(executed: Path, source: Path, root: Path = ROOT) -> None:
    """A copy of the book in ``source`` whose notebooks are the executed ones in ``executed``
    (``_build/jupyter_execute``): every page, record and bibliography, and ``_toc.yml``."""
    if source.exists():
        shutil.rmtree(source)
    shutil.copytree(root / "book", source / "book", ignore=shutil.ignore_patterns(".ipynb_checkpoints"))
    (source / "_toc.yml").write_text(translated_toc(root), encoding="utf-8")
    for notebook in (source / "book").glob("*.ipynb"):
        run = executed / "book" / notebook.name
        if not run.is_file():
            raise FileNotFoundError(f"{run} is missing: build the English edition first (it executes the chapters)")
        shutil.copy2(run, notebook)
        restore_glue(notebook, run.with_suffix(".glue.json"))


def restore_glue(notebook: Path, glue_file: Path) -> int:
    """Put back into an executed notebook the glue outputs MyST-NB took out of it; return how many.

    MyST-NB writes the notebooks it executed to ``_build/jupyter_execute`` without the outputs of
    ``glue(..., display=False)``, whose data it keeps in ``<page>.glue.json`` beside them.  A build
    from those notebooks needs the outputs back: it pastes a page's glue while it parses the page.
    They go into the first code cell (where they sit does not matter; they are not displayed)."""
    if not glue_file.is_file():
        return 0
    book = json.loads(notebook.read_text(encoding="utf-8"))
    present = {output.get("metadata", {}).get("scrapbook", {}).get("name")
               for cell in book["cells"] for output in cell.get("outputs", [])}
    restored = []
    for key, output in json.loads(glue_file.read_text(encoding="utf-8")).items():
        prefix = output.get("metadata", {}).get("scrapbook", {}).get("mime_prefix", "")
        if key in present or not prefix:
            continue
        restored.append({**output, "data": {prefix + mime: value for mime, value in output["data"].items()}})
    if restored:
        first = next(cell for cell in book["cells"] if cell["cell_type"] == "code")
        first.setdefault("outputs", []).extend(restored)
        notebook.write_text(json.dumps(book, ensure_ascii=False), encoding="utf-8")
    return len(restored)


def build_chinese(executed: Path, out: Path, root: Path = ROOT, warnings_are_errors: bool = True) -> Path:
    """Build the Chinese site into ``out`` from the executed notebooks in ``executed``; return ``out``."""
    with tempfile.TemporaryDirectory(prefix="ganbook-zh-") as work:
        work = Path(work)
        source = work / "source"
        stage_executed(executed, source, root)
        jupyter_book = Path(sys.executable).with_name("jupyter-book")
        command = [str(jupyter_book), "build", str(source), "--config", str(chinese_config(work, root)),
                   "--path-output", str(work / "out")]
        _run(command + (["-W"] if warnings_are_errors else []))
        if out.exists():
            shutil.rmtree(out)
        shutil.copytree(work / "out" / "_build" / "html", out)
    return out


def build() -> None:
    start = time.perf_counter()
    _run([str(Path(sys.executable).with_name("jupyter-book")), "build", str(ROOT), "-W"])
    english = time.perf_counter() - start
    html = ROOT / "_build" / "html"
    build_chinese(ROOT / "_build" / "jupyter_execute", html / SUBDIR)
    chinese = time.perf_counter() - start - english
    print(f"English edition: {html} ({english:.0f} s, the chapters executed)\n"
          f"Chinese edition: {html / SUBDIR} ({chinese:.0f} s, from the English build's executed notebooks)")


def update() -> None:
    with tempfile.TemporaryDirectory(prefix="ganbook-gettext-") as work:
        pot = build_saved.build(work, "gettext")
        _run([str(Path(sys.executable).with_name("sphinx-intl")), "update", "-p", str(pot), "-l", LANGUAGE,
              "-d", str(ROOT / "locales")])
    for path in translations.catalogues():
        translations.fill_identity(path)
    sys.exit(translations.main(["check"]))


if __name__ == "__main__":
    commands = {"build": build, "update": update}
    if len(sys.argv) != 2 or sys.argv[1] not in commands:
        sys.exit(__doc__)
    commands[sys.argv[1]]()
