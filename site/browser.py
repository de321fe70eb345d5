"""Headless Chromium on a locally served site, for the browser test and the site's benchmarks.

Debian's ``chromium`` and ``chromium-driver`` (``.ci/run`` installs them) and selenium (the
``dev`` extra).  The site is served over HTTP on 127.0.0.1, as a reader's static host would.
"""

from __future__ import annotations

import functools
import http.server
import threading
from contextlib import contextmanager
from pathlib import Path

CHROMIUM, CHROMEDRIVER = "/usr/bin/chromium", "/usr/bin/chromedriver"
DESKTOP = (1280, 900)


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextmanager
def served(directory):
    """Serve ``directory`` on 127.0.0.1; yields its base URL."""
    handler = functools.partial(QuietHandler, directory=str(directory))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()


def missing() -> str | None:
    """Why the browser cannot start here, or None."""
    if not (Path(CHROMIUM).exists() and Path(CHROMEDRIVER).exists()):
        return ("the browser check needs Debian's chromium and chromium-driver "
                "(apt install chromium chromium-driver; .ci/run installs them)")
    return None


@contextmanager
def chromium(logs: tuple[str, ...] = ("performance", "browser")):
    """A headless Chromium driven by selenium, logging Chrome's ``logs``; quits on exit."""
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    problem = missing()
    if problem:
        raise RuntimeError(problem)
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                     f"--window-size={DESKTOP[0]},{DESKTOP[1]}"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {log: "ALL" for log in logs})
    driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    driver.set_page_load_timeout(60)
    try:
        yield driver
    finally:
        driver.quit()
