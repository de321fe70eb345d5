"""The published site is self-contained: site/check_offline.py, and the site built from saved outputs."""

from __future__ import annotations

import re
from pathlib import Path

from conftest import site_module



check_offline = site_module("check_offline")


def write_site(root: Path, page: str, css: str = "", imported: str = "") -> Path:
    (root / "_static").mkdir(parents=True)
    (root / "index.html").write_text(page)
    (root / "_static" / "theme.css").write_text(css)
    (root / "_static" / "more.css").write_text(imported)
    return root


def test_the_check_lists_what_a_page_fetches_from_other_hosts_and_not_its_links(tmp_path):
    page = """<html><head>
      <script src="https://cdn.example.org/lib.js"></script>
      <script src="_static/local.js"></script>
      <link rel="stylesheet" href="_static/theme.css">
      <link rel="preload" href="//fonts.example.org/font.woff2" as="font">
      <style>body { background: url('https://img.example.org/bg.png'); }</style>
    </head><body>
      <a href="https://arxiv.org/abs/1406.2661">the paper</a>
      <img srcset="_static/a.png 1x, https://img.example.org/b.png 2x">
      <div style="background-image: url(http://img.example.org/c.png)"></div>
    </body></html>"""
    site = write_site(tmp_path, page, css="@import 'more.css'; .x { background: url(icons.svg) }",
                      imported="@font-face { src: url(https://fonts.example.org/f.woff2) }")
    found = check_offline.external_requests(site)
    assert sorted(url.split()[-1] for url in found) == sorted([
        "https://cdn.example.org/lib.js", "//fonts.example.org/font.woff2", "https://img.example.org/bg.png",
        "https://img.example.org/b.png", "http://img.example.org/c.png", "https://fonts.example.org/f.woff2"])
    assert not any("arxiv" in line for line in found)  # a link the reader follows is no request
    assert check_offline.main([str(site)]) == 1


def test_the_check_passes_a_local_site_and_refuses_a_missing_one(tmp_path, capsys):
    site = write_site(tmp_path / "site", '<script src="_static/x.js"></script><a href="https://example.org">x</a>')
    assert check_offline.main([str(site)]) == 0
    assert check_offline.main([str(tmp_path / "nothing")]) == 2
    assert "holds no built site" in capsys.readouterr().err


def test_the_built_site_requests_nothing_from_other_hosts(built_site):
    assert check_offline.external_requests(built_site) == []


def test_the_built_site_serves_mathjax_and_the_widget_manager_itself(built_site):
    vendor = built_site / "_static" / "vendor"
    for file in ("require.js", "widget-setup.js", "html-manager/embed-amd.js", "mathjax/tex-mml-chtml.js",
                 "mathjax/output/chtml/fonts/woff-v2/MathJax_Main-Regular.woff"):
        assert (vendor / file).is_file(), file
    # a page with math loads the local MathJax; a page with widgets, the local manager
    assert re.search(r'src="\.\./_static/vendor/mathjax/tex-mml-chtml\.js', (built_site / "book/derivation.html").read_text())
    playground = (built_site / "book/code_trainer.html").read_text()
    assert 'src="../_static/vendor/html-manager/embed-amd.js' in playground
    assert "application/vnd.jupyter.widget-state+json" in playground
    # a page whose notebook holds widget state but shows no widget (the live apps replace them): no manager
    explorer = (built_site / "book/code_model.html").read_text()
    assert "application/vnd.jupyter.widget-state+json" not in explorer and "vendor/require.js" not in explorer
    assert 'src="../_static/live/ganlib-live.js' in explorer and 'src="../_static/vendor/tfjs/tf-core.min.js' in explorer
