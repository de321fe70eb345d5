"""Sphinx extension: the book's pages load every script, style and font from the site itself.

Jupyter Book's defaults load MathJax, require.js and the ipywidgets HTML manager from CDNs, so a
reader offline sees raw TeX and empty widgets.  This extension installs those packages from the
npm registry at build time (``npm ci`` in ``site/``, pinned by ``site/package-lock.json``; run
again only when the lock file changes), copies the files the pages use into
``_static/vendor/``, and points MathJax and MyST-NB's widget scripts at the copies:

* ``vendor/require.js``: require.js, which the widget manager needs, and ``vendor/widget-setup.js``
  (from ``site/``), which tells it where the manager is, so its fonts load from beside it, and
  gives MathJax 3 the ``MathJax.Hub.Queue`` the manager calls to typeset widget labels;
* ``vendor/html-manager/``: ``@jupyter-widgets/html-manager`` 1.x (the manager of ipywidgets 8)
  and the fonts its bundle refers to;
* ``vendor/mathjax/``: MathJax 3's ``tex-mml-chtml.js`` with the components it loads on demand
  (TeX extensions, CHTML fonts, menu, accessibility).

* ``vendor/tfjs/``: TensorFlow.js (``@tensorflow/tfjs-core`` and its CPU backend), and ``live/``:
  ``site/live/ganlib-live.js`` with the shipped generators it runs (``ganlib export-web``,
  re-exported only when the library's assets or exporter change).  A page that holds a
  ``<div class="ganlib-live">`` gets these scripts; they run the latent explorer and the
  conditional sampler in the reader's browser.

``site/check_offline.py`` then lists every request a built page makes to another host, and fails
on any.  Enabled from ``_config.yml`` (``sphinx: local_extensions``).
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.errors import ExtensionError

SITE = Path(__file__).resolve().parent
MODULES = SITE / "node_modules"
STAMP = MODULES / ".installed-from-lock"  # sha256 of the package-lock.json node_modules was installed from

MATHJAX = "vendor/mathjax/tex-mml-chtml.js"
REQUIRE = "vendor/require.js"
EMBED = "vendor/html-manager/embed-amd.js"
WIDGET_SETUP = "vendor/widget-setup.js"  # site/widget-setup.js: where require.js finds the manager; a MathJax shim
FONT_SUFFIXES = (".woff2", ".woff", ".ttf", ".eot", ".svg")
MATHJAX_PARTS = ("tex-mml-chtml.js", "input", "output", "ui", "a11y", "sre", "adaptors")
TFJS = {"vendor/tfjs/tf-core.min.js": "@tensorflow/tfjs-core/dist/tf-core.min.js",
        "vendor/tfjs/tf-backend-cpu.min.js": "@tensorflow/tfjs-backend-cpu/dist/tf-backend-cpu.min.js"}
LIVE = SITE / "live"  # ganlib-live.js and .css; the exported generators are written beside them
LIVE_MARK = 'class="ganlib-live"'


def lock_digest() -> str:
    return hashlib.sha256((SITE / "package-lock.json").read_bytes()).hexdigest()


def install_packages() -> None:
    """``npm ci`` in ``site/`` unless node_modules already holds what the lock file pins."""
    if STAMP.exists() and STAMP.read_text().strip() == lock_digest():
        return
    npm = shutil.which("npm")
    if npm is None:
        raise ExtensionError("the book's pages serve MathJax and the widget manager from the site itself, "
                             "installed from the npm registry at build time, but `npm` is not on PATH: "
                             "install Node.js and npm (Debian: apt install nodejs npm) and build again")
    result = subprocess.run([npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts", "--loglevel=error"],
                            cwd=SITE, capture_output=True, text=True)
    if result.returncode != 0:
        raise ExtensionError(f"`npm ci` in {SITE} failed (exit {result.returncode}):\n{result.stderr.strip()}")
    STAMP.write_text(lock_digest() + "\n")


def copy_vendor(destination: Path) -> None:
    """Copy the files the pages load into ``destination`` (becomes ``_static/vendor``)."""
    if destination.exists():
        shutil.rmtree(destination)
    destination.mkdir(parents=True)
    shutil.copy2(MODULES / "requirejs" / "require.js", destination / "require.js")
    shutil.copy2(SITE / "widget-setup.js", destination / "widget-setup.js")
    manager = MODULES / "@jupyter-widgets" / "html-manager" / "dist"
    (destination / "html-manager").mkdir()
    for file in [manager / "embed-amd.js", *(f for f in manager.iterdir() if f.suffix in FONT_SUFFIXES)]:
        shutil.copy2(file, destination / "html-manager" / file.name)
    for target, source in TFJS.items():
        (destination.parent / target).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(MODULES / source, destination.parent / target)
    mathjax = MODULES / "mathjax" / "es5"
    for part in MATHJAX_PARTS:
        source, target = mathjax / part, destination / "mathjax" / part
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("*.map"))
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)


def export_live(destination: Path) -> None:
    """``destination`` (becomes ``_static/live``): the live apps' script and style, and the shipped
    generators they run, exported by ``ganlib export-web`` unless the exporter and the assets are
    those of the last export (their digest is kept in ``.exported-from``)."""
    import ganlib
    import ganlib.web

    package = Path(ganlib.__file__).parent
    digest = hashlib.sha256()
    for file in (Path(ganlib.web.__file__), package / "assets" / "manifest.json"):
        digest.update(file.read_bytes())
    stamp = destination / ".exported-from"
    destination.mkdir(parents=True, exist_ok=True)
    for file in LIVE.iterdir():
        shutil.copy2(file, destination / file.name)
    if stamp.exists() and stamp.read_text().strip() == digest.hexdigest() \
            and all((destination / f"{name}.js").exists() for name in ganlib.web.WEB_MODELS):
        return
    result = subprocess.run([sys.executable, "-m", "ganlib", "export-web", "--out", str(destination)],
                            capture_output=True, text=True)
    if result.returncode != 0:
        raise ExtensionError(f"`ganlib export-web` failed (exit {result.returncode}):\n{result.stderr.strip()}")
    stamp.write_text(digest.hexdigest() + "\n")


def stage(app: Sphinx, config) -> None:
    """At config-inited: install, stage the vendor files, and point the pages at them."""
    install_packages()
    staging = Path(app.outdir).parent / ".offline-static"
    copy_vendor(staging / "vendor")
    export_live(staging / "live")
    config.html_static_path = [*config.html_static_path, str(staging)]
    config.mathjax_path = MATHJAX
    # MyST-NB adds these to pages with widgets; relative paths are served from _static.  No CDN
    # attribute: the manager's built-in widgets (all the book uses) need no further download.
    config.nb_ipywidgets_js = {REQUIRE: {}, WIDGET_SETUP: {}, EMBED: {}}
    # pydata-sphinx-theme writes `localStorage mode || default_mode` into each page and reports an
    # empty mode as a console error; the book theme leaves the template's default_mode unset.
    config.html_context = {"default_mode": "auto", **(config.html_context or {})}


def add_live_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """TensorFlow.js and the live apps, on the pages that hold one.  Before require.js (which
    MyST-NB adds to pages with widgets at the default priority): loaded after it, TensorFlow.js's
    bundles would register as anonymous AMD modules instead of defining ``tf``."""
    if LIVE_MARK not in context.get("body", ""):
        return
    for path in TFJS:
        app.add_js_file(path, priority=200)
    app.add_js_file("live/ganlib-live.js", priority=210)
    app.add_css_file("live/ganlib-live.css")


def drop_unused_widget_manager(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """No widget manager on a page that shows no widget.

    MyST-NB adds the saved widget state and the manager's scripts (about 4 MB) to every page whose
    notebook holds widget state, even when no output shows a widget: the explorer and the sampler
    are built as ipywidgets in Jupyter, but their outputs are removed from the site, where the
    live apps take their place."""
    if "application/vnd.jupyter.widget-view+json" in context.get("body", ""):
        return
    widget_files = {REQUIRE, WIDGET_SETUP, EMBED}

    def is_widget_script(script) -> bool:
        attributes = getattr(script, "attributes", None) or {}
        return ((getattr(script, "filename", None) or "").endswith(tuple(widget_files))  # "_static/" + path
                or attributes.get("type") == "application/vnd.jupyter.widget-state+json")

    if "script_files" in context:
        context["script_files"] = [script for script in context["script_files"] if not is_widget_script(script)]


def drop_repeated_scripts(app: Sphinx, pagename, templatename, context, doctree) -> None:
    """Keep one copy of each inline script a page would include twice.

    sphinx-thebe and sphinx-togglebutton add their inline settings while the documents are read,
    so each reaches the page twice: once from Sphinx's registry (file name ``""``) and once from
    the builder (file name ``None``), which Sphinx takes for two scripts.  A second ``const``
    declaration is a console error."""
    seen, unique = set(), []
    for script in context.get("script_files", []):
        attributes = getattr(script, "attributes", None) or {}
        key = (getattr(script, "filename", None) or "", tuple(sorted((k, str(v)) for k, v in attributes.items())))
        if key not in seen:
            seen.add(key)
            unique.append(script)
    if "script_files" in context:
        context["script_files"] = unique


def setup(app: Sphinx) -> dict:
    app.connect("config-inited", stage, priority=900)  # after MyST-NB and Jupyter Book set their defaults
    app.connect("html-page-context", add_live_scripts)
    app.connect("html-page-context", drop_repeated_scripts, priority=900)
    app.connect("html-page-context", drop_unused_widget_manager, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
