"""The built site in a real browser: headless Chromium (Debian's chromium and chromium-driver, which
.ci/run installs) opens every page from a local HTTP server, built from the notebooks' saved outputs.

Each page must render its math (MathJax containers, no raw ``$$``), load every image, log no
console error, and request nothing from another host (Chrome's network log); pages with widgets
must render them, and live apps (site/live) must start.  The live apps must draw what Keras draws
for the same settings, and redraw when a control moves.  Screenshots of each page at desktop and phone width go to ``$GANLIB_SCREENSHOTS``
(default: a temporary directory).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from conftest import site_module

BUILD_SAVED = site_module("build_saved")
PAGES = BUILD_SAVED.toc_pages()

BROWSER = site_module("browser")
WIDTHS = {"desktop": BROWSER.DESKTOP, "phone": (390, 844)}


@pytest.fixture(scope="module")
def server(built_site):
    with BROWSER.served(built_site) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    if BROWSER.missing():
        pytest.fail(BROWSER.missing())
    with BROWSER.chromium() as driver:
        yield driver


@pytest.fixture(scope="module")
def screenshots(tmp_path_factory):
    directory = Path(os.environ.get("GANLIB_SCREENSHOTS") or tmp_path_factory.mktemp("screenshots"))
    directory.mkdir(parents=True, exist_ok=True)
    return directory


def wait_until_quiet(driver, seconds: float = 30.0) -> None:
    """Wait until the page has loaded, MathJax has typeset it, and the widget manager has rendered
    (each only if the page has math or widgets)."""
    from selenium.webdriver.support.ui import WebDriverWait

    wait = WebDriverWait(driver, seconds)
    wait.until(lambda d: d.execute_script("return document.readyState === 'complete'"))
    if driver.execute_script("return document.querySelectorAll('.ganlib-live').length > 0"):
        wait.until(lambda d: d.execute_script(
            "return [...document.querySelectorAll('.ganlib-live')].every(a => a.dataset.state === 'ready' "
            "|| a.dataset.state === 'error')"))
    if driver.execute_script("return !!document.querySelector('.math')"):
        wait.until(lambda d: d.execute_script("return !!(window.MathJax && MathJax.startup && MathJax.startup.promise)"))
        driver.set_script_timeout(seconds)
        driver.execute_async_script("const done = arguments[arguments.length - 1];"
                                    "MathJax.startup.promise.then(() => done(true), () => done(false));")
    if driver.execute_script("return !!document.querySelector('script[type=\"application/vnd.jupyter.widget-view+json\"]')"):
        wait.until(lambda d: d.execute_script("return document.querySelectorAll('.jupyter-widgets').length > 0"))


def requests_made(driver) -> list[str]:
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message["method"] == "Network.requestWillBeSent":
            urls.append(message["params"]["request"]["url"])
    return urls


@pytest.mark.parametrize("page", PAGES + [f"zh/{page}" for page in PAGES])  # both editions
def test_page_renders_offline_without_errors(page, browser, server, screenshots):
    browser.get_log("performance"), browser.get_log("browser")  # drop the previous page's entries
    browser.set_window_size(*WIDTHS["desktop"])
    browser.get(f"{server}/{page}.html")
    wait_until_quiet(browser)
    state = browser.execute_script("""
        return {math: document.querySelectorAll('.math').length,
                typeset: document.querySelectorAll('mjx-container').length,
                rawMath: [...document.querySelectorAll('.math')].filter(e => !e.querySelector('mjx-container')).length,
                images: [...document.images].filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src),
                widgetState: !!document.querySelector('script[type="application/vnd.jupyter.widget-view+json"]'),
                widgets: document.querySelectorAll('.jupyter-widgets').length,
                live: [...document.querySelectorAll('.ganlib-live')].map(a => [a.dataset.app, a.dataset.state, a.textContent.slice(0, 200)])};""")
    assert all(app[1] == "ready" for app in state["live"]), f"live apps that did not start: {state['live']}"
    assert state["rawMath"] == 0, f"{state['rawMath']} of {state['math']} math elements were not typeset"
    assert state["images"] == [], f"images that did not load: {state['images']}"
    if state["widgetState"]:
        assert state["widgets"] > 0, "the page shows a widget but no widget rendered"
    errors = [entry["message"] for entry in browser.get_log("browser") if entry["level"] == "SEVERE"]
    assert errors == [], errors
    outside = [url for url in requests_made(browser) if not url.startswith((server, "data:", "blob:"))]
    assert outside == [], f"requests to other hosts: {outside}"
    name = page.replace("/", "_")
    browser.save_screenshot(str(screenshots / f"{name}-desktop.png"))
    browser.set_window_size(*WIDTHS["phone"])
    browser.save_screenshot(str(screenshots / f"{name}-phone.png"))


def test_search_works_offline(browser, server):
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server}/search.html?q=discriminator")
    WebDriverWait(browser, 20).until(lambda d: d.execute_script(
        "return document.querySelectorAll('#search-results li').length > 0"))
    titles = browser.execute_script("return [...document.querySelectorAll('#search-results li a')].map(a => a.textContent)")
    assert any("derivation" in title.lower() for title in titles), titles


def test_each_chapter_offers_its_notebook_for_download(built_site):
    site = built_site
    for page in PAGES:
        notebook = site / "_sources" / f"{page}.ipynb"
        if (BUILD_SAVED.ROOT / f"{page}.ipynb").exists():
            assert notebook.is_file(), notebook
            assert f"_sources/{page}.ipynb" in (site / f"{page}.html").read_text(), page


# ------------------------------------------------------------------------------------------
# The live apps: they respond to their controls, and draw what Keras draws
# ------------------------------------------------------------------------------------------

LIVE_CHECK = site_module("live_check")
LIVE_PAGES = {"explorer": "book/code_model", "sampler": "book/app_conditional"}
PIXEL_GOAL = 1 / 255  # mean absolute difference on a [0, 1] pixel scale (issue 18)


def open_live(browser, server, kind):
    browser.set_window_size(*WIDTHS["desktop"])
    browser.get(f"{server}/{LIVE_PAGES[kind]}.html")
    selector = f'.ganlib-live[data-app="{kind}"]'
    LIVE_CHECK.wait_ready(browser, selector)
    return selector


def redrawn(browser, selector, renders):
    from selenium.webdriver.support.ui import WebDriverWait

    WebDriverWait(browser, 30).until(lambda d: (d.execute_script(LIVE_CHECK.READ_APP, selector) or {})
                                     .get("renders", 0) > renders)
    return browser.execute_script(LIVE_CHECK.READ_APP, selector)


@pytest.mark.parametrize("kind", sorted(LIVE_PAGES))
def test_live_app_matches_keras(kind, browser, server):
    """The page's latent vectors are the library's, and its pixels Keras' within the goal."""
    state = browser.execute_script(LIVE_CHECK.READ_APP, open_live(browser, server, kind))
    gaps = LIVE_CHECK.differences(state, LIVE_CHECK.keras_expected(state))
    for key, gap in gaps.items():
        if key.startswith("z"):
            assert gap["max"] < 1e-5, (key, gap)  # float32 noise and paths: the same numbers
        else:
            assert gap["mean"] < PIXEL_GOAL and gap["max"] < PIXEL_GOAL, (key, gap)


def test_moving_a_control_redraws_the_digits(browser, server):
    """A keyboard step on the explorer's seed slider, and a new digit in the sampler: new digits, still Keras'."""
    from selenium.webdriver.common.keys import Keys
    from selenium.webdriver.support.ui import Select

    selector = open_live(browser, server, "explorer")
    before = browser.execute_script(LIVE_CHECK.READ_APP, selector)
    browser.find_element("css selector", f'{selector} input[name="seed_b"]').send_keys(Keys.ARROW_RIGHT)
    after = redrawn(browser, selector, before["renders"])
    assert after["settings"]["seed_b"] == before["settings"]["seed_b"] + 1
    assert after["interpolation"][:784] == before["interpolation"][:784]  # seed A's end stays
    assert np.abs(np.subtract(after["interpolation"][-784:], before["interpolation"][-784:])).mean() > 0.05
    gaps = LIVE_CHECK.differences(after, LIVE_CHECK.keras_expected(after))
    assert gaps["interpolation"]["mean"] < PIXEL_GOAL, gaps

    selector = open_live(browser, server, "sampler")
    before = browser.execute_script(LIVE_CHECK.READ_APP, selector)
    Select(browser.find_element("css selector", f'{selector} select[name="digit"]')).select_by_value("7")
    after = redrawn(browser, selector, before["renders"])
    assert after["settings"]["digit"] == 7 and after["z"] == before["z"]  # same noise, another digit
    assert np.abs(np.subtract(after["samples"], before["samples"])).mean() > 0.05
    gaps = LIVE_CHECK.differences(after, LIVE_CHECK.keras_expected(after))
    assert gaps["samples"]["mean"] < PIXEL_GOAL, gaps


@pytest.mark.parametrize("damage", ["flipped", "cut short"])
def test_the_page_refuses_corrupt_weights(damage, browser, server, built_site):
    """A weights file whose bytes differ from its manifest's sha256 (or length) is refused, not run."""
    import re

    open_live(browser, server, "sampler")
    text = (built_site / "_static" / "live" / "cgan-mnist.js").read_text()
    manifest, data = re.match(r'^GanlibLive\.register\((\{.*\}), "([^"]*)"\);\s*$', text, re.S).groups()
    manifest = json.loads(manifest)
    manifest["name"] = f"cgan-mnist-{damage.replace(' ', '-')}"
    if damage == "flipped":
        data = data[:1000] + ("A" if data[1000] != "A" else "B") + data[1001:]
    else:
        data = data[:len(data) // 2 // 4 * 4]
    browser.set_script_timeout(30)
    message = browser.execute_async_script("""
        const done = arguments[arguments.length - 1];
        GanlibLive.register(arguments[0], arguments[1]);
        GanlibLive.load(arguments[0].name).then(() => done('loaded'), error => done(error.message));""",
                                           manifest, data)
    assert ("sha256" if damage == "flipped" else "cut short") in message, message
