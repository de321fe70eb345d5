"""The executed chapters as files: valid notebooks (cell ids included), folded set-up cell first,
saved without errors, and every one listed in _toc.yml."""

import json
import re
from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("*.ipynb"))


def test_every_chapter_is_in_the_table_of_contents():
    listed = set(re.findall(r"file:\s*(book/\w+)", (ROOT / "_toc.yml").read_text()))
    assert CHAPTERS and {f"book/{path.stem}" for path in CHAPTERS} <= listed


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda path: path.stem)
def test_chapter_is_a_valid_notebook_saved_without_errors(path):
    raw = json.loads(path.read_text())  # as saved: nbformat.read() fills in missing ids, with a warning only
    ids = [cell.get("id") for cell in raw["cells"]]
    assert all(ids) and len(set(ids)) == len(ids), f"{path.name}: missing or repeated cell ids (nbformat 4.5)"
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    first = notebook.cells[0]
    assert first.cell_type == "code" and "hide-cell" in first.metadata.get("tags", [])
    assert "import_tensorflow_quietly" in first.source and "GANLIB_QUICK" in first.source
    errors = [cell for cell in notebook.cells if cell.cell_type == "code"
              for output in cell.get("outputs", []) if output.get("output_type") == "error"]
    assert not errors, f"{path.name} was saved with an error output"
