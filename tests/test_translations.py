"""The Chinese edition: every page's catalogue is complete and faithful, and the site builds.

The catalogues (locales/zh_CN/LC_MESSAGES/book/<page>.po) must hold a translation of every
message the *current* English page gives: a gettext build of the English pages is compared with
them, so a new or changed English paragraph fails here until it is translated (after
``python site/editions.py update``).  A translation must keep the English message's markup and
may not bring numbers of its own (site/translations.py).
"""

from __future__ import annotations

import re

import pytest

from conftest import site_module

TRANSLATIONS = site_module("translations")
BUILD_SAVED = site_module("build_saved")
PAGES = BUILD_SAVED.toc_pages()
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.fixture(scope="module")
def english_messages(tmp_path_factory):
    """page -> the set of messages the current English page gives (a gettext build)."""
    from babel.messages.pofile import read_po

    pot = BUILD_SAVED.build(tmp_path_factory.mktemp("gettext"), "gettext")
    messages = {}
    for path in pot.rglob("*.pot"):
        with path.open("rb") as handle:
            messages[str(path.relative_to(pot).with_suffix(""))] = {m.id for m in read_po(handle) if m.id}
    return messages


def test_every_page_has_a_catalogue(english_messages):
    assert set(english_messages) >= set(PAGES)
    missing = [page for page in PAGES if not (TRANSLATIONS.CATALOGUES / f"{page}.po").is_file()]
    assert missing == [], f"pages without a Chinese catalogue (run `python site/editions.py update`): {missing}"


@pytest.mark.parametrize("page", PAGES)
def test_catalogue_is_complete_and_faithful(page, english_messages):
    path = TRANSLATIONS.CATALOGUES / f"{page}.po"
    if not path.is_file():
        pytest.fail(f"{path} is missing: run `python site/editions.py update`, then translate it")
    problems = TRANSLATIONS.page_problems(path, english_messages.get(page, set()))
    assert problems == [], f"{len(problems)} problem(s) in {page}:\n" + "\n".join(problems[:20])


def test_the_checks_catch_what_they_promise():
    check = TRANSLATIONS.message_problems
    english = "FID falls to {glue:text}`fid:.2f` after `epochs=5`; see {doc}`the trainer <code_trainer>` and $D(x)$."
    good = "训练 `epochs=5` 之后，FID 降到 {glue:text}`fid:.2f`；见 {doc}`训练器 <code_trainer>` 与 $D(x)$。"
    assert check(english, good, False) == []
    assert check(english, "", False) == ["untranslated"]
    assert "fuzzy" in check(english, good, True)[0]
    assert "markup differs" in check(english, good.replace("{glue:text}`fid:.2f`", "1.9"), False)[0]
    assert "markup differs" in check(english, good.replace("<code_trainer>", "<code_model>"), False)[0]
    assert "numbers the English does not have" in check(english, good + "约 3 倍。", False)[-1]
    assert "numbered list item" in check("1. The idea", "1. 基本思想", False)[0]
    assert check("1. The idea", "1\\. 基本思想", False) == []
    assert not TRANSLATIONS.has_prose("\\min_G \\max_D V(D, G) = \\mathbb{E}_{x}\\big[\\log D(x)\\big]")
    assert TRANSLATIONS.has_prose("{doc}`Background and core concepts <background>`")
    assert not TRANSLATIONS.has_prose("`background.ipynb`")


def test_the_chinese_site_mirrors_the_english_one(built_site):
    """Every page exists in both editions, each links to the other, and the Chinese pages are
    in Chinese (title and text) with the same figures."""
    for page in PAGES:
        english = (built_site / f"{page}.html").read_text(encoding="utf-8")
        chinese = (built_site / "zh" / f"{page}.html").read_text(encoding="utf-8")
        up = "../" * page.count("/")
        assert f'href="{up}zh/{page}.html" hreflang="zh"' in english, page
        assert f'href="{up}../{page}.html" hreflang="en"' in chinese, page
        assert 'lang="zh' in chinese[:500], page
        title = re.search(r"<title>(.*?)</title>", chinese, re.S).group(1)
        assert CJK.search(title), (page, title)
        assert len(re.findall(r"<img ", english)) == len(re.findall(r"<img ", chinese)), page


def test_the_chinese_build_gets_back_the_glue_myst_nb_took_out(tmp_path):
    """MyST-NB's executed notebooks lack the outputs of glue(..., display=False) (kept in
    <page>.glue.json); the Chinese build puts them back, once."""
    import json

    editions = site_module("editions")
    notebook = tmp_path / "page.ipynb"
    cell = {"cell_type": "code", "source": "glue('fid', 1.5, display=False)", "metadata": {}, "outputs": [],
            "execution_count": 1}
    notebook.write_text(json.dumps({"cells": [{"cell_type": "markdown", "source": "x", "metadata": {}}, cell],
                                    "metadata": {}, "nbformat": 4, "nbformat_minor": 5}))
    glue = {"fid": {"output_type": "display_data", "data": {"text/plain": "1.5"},
                    "metadata": {"scrapbook": {"name": "fid", "mime_prefix": "application/papermill.record/"}}}}
    (tmp_path / "page.glue.json").write_text(json.dumps(glue))
    assert editions.restore_glue(notebook, tmp_path / "page.glue.json") == 1
    outputs = json.loads(notebook.read_text())["cells"][1]["outputs"]
    assert outputs[0]["data"] == {"application/papermill.record/text/plain": "1.5"}
    assert editions.restore_glue(notebook, tmp_path / "page.glue.json") == 0
