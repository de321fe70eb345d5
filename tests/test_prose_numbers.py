"""The book's prose cannot drift from its outputs: no measured figure is typed into a chapter.

Chapters are re-executed at every build, so a number typed into the text goes stale the day the
code's output changes.  The rule (README, "Numbers in the prose"), checked on the markdown of every
page in ``_toc.yml``:

* Outside math (``$...$``), code (inline or fenced), link targets and roles, the prose holds no
  **figure**: a decimal number (``0.894``, ``33.2``), or a number with a unit of measure
  (``%``, ``s``, ``ms``, ``seconds``, ``minutes``, ``hours``, ``images/s``, a speed-up ``4×``).
* A measured figure is pasted from the cell that computed it: ``{glue:text}`key:.3f``` (MyST-NB
  glue; ``{glue:text}`page.ipynb::key:.3f``` from another chapter: the file name, and a format).
* A figure may be typed only as a **checked bound**: the same number is a literal of an ``assert``
  in one of the page's code cells (``assert 2 <= fid <= 4``), so the page fails to build when the
  output leaves the range the text states.
* Settings and constants of a method are not measurements: write them as code (``beta_1=0.5``)
  or math ($\\beta_1 = 0.5$).  Integers without a unit (epochs, widths, years) are free.

Every glue key a page pastes must be glued by that page (or the page it names), so a renamed key
fails here, before a build: glue keys are literal strings (``glue("fid", ...)``, not f-strings).  Generated pages (``book/_run_times.md``, written by
``benchmarks/chapter_times.py``) are exempt.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
GENERATED = {"book/_run_times.md"}

FIGURE = re.compile(
    r"(?<![\w.\-])(?:\d[\d,]*\.\d+(?![\w.])"  # a decimal number
    r"|\d[\d,]*(?:\.\d+)?\s*(?:%|×(?!\s*\d)|(?<=\d)\s(?:s|ms)\b|seconds?\b|minutes?\b|min\b|hours?\b|images/s\b))"
)
HIDDEN = [
    re.compile(r"^(```+|~~~+)(?:\{(?:code|code-block|code-cell|math|glue[:\w]*)\}[^\n]*|[\w+-]*[ \t]*)\n.*?^\1",
               re.S | re.M),                     # code blocks (and math, glue directives)
    re.compile(r"^(?:```+|:::+)\{?[\w:-]*\}?.*$", re.M),  # a directive's opening line (its body is prose)
    re.compile(r"^:[\w-]+:.*$", re.M),          # a directive's options
    re.compile(r"\$\$.*?\$\$", re.S),           # display math
    re.compile(r"\\begin\{(\w+\*?)\}.*?\\end\{\1\}", re.S),
    re.compile(r"\$[^$\n]+\$"),                 # inline math
    re.compile(r"\{[\w:-]+\}`[^`]*`"),          # roles: {glue:text}`...`, {cite}`...`, {doc}`...`
    re.compile(r"``[^`]+``|`[^`\n]+`"),         # inline code
    re.compile(r"\]\([^)]*\)"),                 # link targets
    re.compile(r"<[^>\n]+>"),                   # HTML tags and autolinks
]
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`]+)`")
GLUE_DIRECTIVE = re.compile(r"```\{glue(?::\w+)?\}\s+(\S+)")
GLUED = re.compile(r"""glue\(\s*(?:f?)["']([^"']+)["']""")
NUMBER = re.compile(r"\d[\d,]*(?:\.\d+)?")


def toc_pages() -> list[Path]:
    text = (ROOT / "_toc.yml").read_text(encoding="utf-8")
    names = re.findall(r"(?:root|file):\s*(\S+)", text)
    pages = []
    for name in names:
        matches = [ROOT / f"{name}{suffix}" for suffix in (".ipynb", ".md") if (ROOT / f"{name}{suffix}").exists()]
        assert matches, f"_toc.yml lists {name}, which has no .ipynb or .md"
        pages.append(matches[0])
    return pages


def cells(page: Path) -> tuple[list[str], list[str]]:
    """(markdown texts, code texts) of a page; a .md page is one markdown text and no code."""
    if page.suffix == ".md":
        return [page.read_text(encoding="utf-8")], []
    notebook = json.loads(page.read_text(encoding="utf-8"))
    source = [("".join(cell["source"]), cell["cell_type"]) for cell in notebook["cells"]]
    return [text for text, kind in source if kind == "markdown"], [text for text, kind in source if kind == "code"]


def prose(markdown: str) -> str:
    for pattern in HIDDEN:
        markdown = pattern.sub(" ", markdown)
    return markdown


def figures(markdown: str) -> list[str]:
    """The figures of a markdown text, as typed (see the module docstring)."""
    return [match.group(0).strip() for match in FIGURE.finditer(prose(markdown))]


def checked_bounds(code: list[str]) -> set[float]:
    """The value of every number literal in an ``assert`` statement of the code (read with ``ast``,
    so the digits of ``1e-12`` are not the numbers 1 and 12)."""
    bounds = set()
    for text in code:
        try:
            tree = ast.parse("\n".join(line for line in text.splitlines() if not line.lstrip().startswith(("%", "!"))))
        except SyntaxError:
            continue
        for statement in ast.walk(tree):
            if isinstance(statement, ast.Assert):
                bounds.update(float(node.value) for node in ast.walk(statement.test)
                              if isinstance(node, ast.Constant) and type(node.value) in (int, float))
    return bounds


def value(figure: str) -> float:
    return float(NUMBER.search(figure).group(0).replace(",", ""))


def unchecked_figures(page: Path) -> list[str]:
    markdown, code = cells(page)
    bounds = checked_bounds(code)
    found = []
    for number, text in enumerate(markdown):
        for figure in figures(text):
            if value(figure) not in bounds:
                found.append(f"markdown cell {number}: {figure!r}")
    return found


def test_rule_finds_figures_and_spares_settings_math_code_and_glue():
    text = ("FID fell to 33.2 in 46 s, a 4× speed-up; 98% right.  Seeds 0 to 2, 30 epochs, 28×28 pixels, "
            "the 1s and 7s.  $\\beta_1 = 0.5$, `lr=2e-4`, {glue:text}`fid:.2f`, {cite}`lucic2018`, "
            "[v2.4](https://example.org/0.5).")
    assert figures(text) == ["33.2", "46 s", "4×", "98%"]
    fenced = "```python\nx = 0.5\n```\n```{admonition} What to expect\n:class: tip\nFID near 3.5\n```\n"
    assert figures(fenced) == ["3.5"]  # code is hidden, an admonition's body is prose


def test_a_bound_an_assert_checks_may_be_typed():
    code = ["fid = 3.1\nassert 2 <= fid <= 4.5, 'expected 2 to 4.5'\nassert abs(fid) > 1e-12"]
    assert checked_bounds(code) == {2.0, 4.5, 1e-12}  # not 1 or 12: the digits of an exponent are no bound


@pytest.mark.parametrize("page", toc_pages(), ids=lambda page: page.name)
def test_no_measured_figure_is_typed_into_the_prose(page):
    if page.relative_to(ROOT).as_posix() in GENERATED:
        pytest.skip("generated by a benchmark script")
    found = unchecked_figures(page)
    assert not found, (
        f"{page.relative_to(ROOT)} types {len(found)} figure(s) into its prose: {'; '.join(found[:12])}. "
        "Glue a measured figure from the cell that computes it ({glue:text}`key:.2f`), state it as a bound an "
        "assert checks, or write a setting as code or math (see tests/test_prose_numbers.py)")


@pytest.mark.parametrize("page", [p for p in toc_pages() if p.suffix == ".ipynb" or "{glue" in p.read_text()],
                         ids=lambda page: page.name)
def test_every_pasted_glue_key_is_glued(page):
    markdown, code = cells(page)
    own = {key for text in code for key in GLUED.findall(text)}
    missing = []
    for text in markdown:
        for reference in GLUE_ROLE.findall(text) + GLUE_DIRECTIVE.findall(text):
            if "::" in reference:
                doc, key = reference.split("::", 1)
                other = ROOT / "book" / f"{doc.removesuffix('.ipynb')}.ipynb"
                assert doc.endswith(".ipynb"), f"{page.name}: write {doc}.ipynb::{key} (Sphinx finds a page by its file)"
                glued = {k for t in cells(other)[1] for k in GLUED.findall(t)} if other.exists() else set()
            else:
                key, glued = reference, own
            if key.split(":", 1)[0] not in glued:
                missing.append(reference)
    assert not missing, f"{page.name} pastes glue keys no cell glues: {missing}"
