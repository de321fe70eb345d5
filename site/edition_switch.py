"""Sphinx extension for the two editions: a link on every page to the same page in the other
edition, and notebook outputs kept out of the translation.

The English site is ``_build/html`` and the Chinese one ``_build/html/zh`` (``site/editions.py``),
so page ``book/x`` of one edition is ``zh/book/x`` or ``../book/x`` from the other.  The link goes
at the top of the article, in the page's own language: "中文" on English pages, "English" on
Chinese ones.
"""

from __future__ import annotations

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.transforms import SphinxTransform

SUBDIR = "zh"


def switch_link(pagename: str, language: str) -> str:
    """The HTML of the link from ``pagename`` in ``language`` to the other edition's page."""
    up = "../" * pagename.count("/")
    if language.startswith("zh"):
        href, label, lang, title = f"{up}../{pagename}.html", "English", "en", "Read this page in English"
    else:
        href, label, lang, title = f"{up}{SUBDIR}/{pagename}.html", "中文", "zh", "阅读本页的中文版"
    return (f'<p class="edition-switch"><a href="{href}" hreflang="{lang}" lang="{lang}" title="{title}">'
            f'{label}</a></p>\n')


def add_switch(app: Sphinx, pagename, templatename, context, doctree) -> None:
    if "body" in context:
        context["body"] = switch_link(pagename, app.config.language or "en") + context["body"]


class OutputsStayEnglish(SphinxTransform):
    """What the code printed is not translated: text inside a notebook cell's output (a table a
    cell displays as Markdown, say) is marked untranslatable before Sphinx extracts or translates
    messages (its Locale transform runs at priority 20).  Figures and printed output stay English,
    and a re-run that changes a printed number changes no message."""

    default_priority = 15

    def apply(self, **kwargs) -> None:
        for container in self.document.findall(nodes.container):
            if "cell_output" in container.get("classes", []):
                for node in container.findall(nodes.TextElement):
                    node["translatable"] = False


def setup(app: Sphinx) -> dict:
    app.add_transform(OutputsStayEnglish)
    app.connect("html-page-context", add_switch)
    app.add_css_file("edition-switch.css")
    app.connect("builder-inited", _write_css)
    return {"parallel_read_safe": True, "parallel_write_safe": True}


CSS = """.edition-switch { float: right; margin: 0 0 0.5em 1em; font-size: 0.9em; }
.edition-switch a { border: 1px solid var(--pst-color-border, #ccc); border-radius: 4px; padding: 0.1em 0.6em;
  text-decoration: none; }
"""


def _write_css(app: Sphinx) -> None:
    from pathlib import Path

    static = Path(app.outdir) / "_static"
    static.mkdir(parents=True, exist_ok=True)
    (static / "edition-switch.css").write_text(CSS, encoding="utf-8")
