"""List every request a built page of the book makes to another host; fail if there is one.

    python site/check_offline.py [_build/html]

Reads every ``.html`` page of the built site and every stylesheet it loads, and collects the
resources a browser would fetch when it opens the page: scripts, stylesheets, icons, preloads,
images, frames, media and objects, ``srcset`` candidates, and ``url(...)`` / ``@import`` in
stylesheets and ``style`` attributes.  A resource on another host (``http://``, ``https://`` or a
protocol-relative ``//`` address) is listed as ``page: <tag attribute> URL``, and the exit status
is 1 if any is found.  Links a reader follows (``<a href>``) are navigation, not requests, and
are not counted.  Requests made by scripts at run time are caught by the browser check.
Standard library only.
"""

from __future__ import annotations

import re
import sys
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urljoin, urlparse

# (tag, attribute) pairs whose value the browser fetches as the page loads
FETCHED = {("script", "src"), ("img", "src"), ("iframe", "src"), ("frame", "src"), ("embed", "src"),
           ("source", "src"), ("video", "src"), ("video", "poster"), ("audio", "src"), ("track", "src"),
           ("object", "data"), ("input", "src"), ("image", "href"), ("image", "xlink:href"), ("use", "href"),
           ("use", "xlink:href")}
SRCSET = {"img", "source"}
FETCHED_LINKS = {"stylesheet", "icon", "shortcut", "apple-touch-icon", "preload", "modulepreload", "prefetch",
                 "manifest", "mask-icon"}
CSS_URL = re.compile(r"""url\(\s*['"]?([^'")\s]+)['"]?\s*\)|@import\s+['"]([^'"]+)['"]""")


def is_external(url: str) -> bool:
    url = url.strip()
    return url.startswith("//") or urlparse(url).scheme in ("http", "https", "ftp", "ws", "wss")


def css_urls(text: str) -> list[str]:
    return [a or b for a, b in CSS_URL.findall(text)]


class PageResources(HTMLParser):
    """The resources one HTML page fetches: (where, url) pairs."""

    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self._in_style = False

    def handle_starttag(self, tag, attrs):
        attrs = {name: value or "" for name, value in attrs}
        for name, value in attrs.items():
            if (tag, name) in FETCHED:
                self.found.append((f"<{tag} {name}>", value))
        if tag in SRCSET and attrs.get("srcset"):
            for candidate in attrs["srcset"].split(","):
                if candidate.strip():
                    self.found.append((f"<{tag} srcset>", candidate.split()[0]))
        if tag == "link" and set(attrs.get("rel", "").lower().split()) & FETCHED_LINKS:
            self.found.append((f"<link rel={attrs.get('rel')}>", attrs.get("href", "")))
        if attrs.get("style"):
            self.found += [(f"<{tag} style>", url) for url in css_urls(attrs["style"])]
        self._in_style = tag == "style"

    def handle_endtag(self, tag):
        if tag == "style":
            self._in_style = False

    def handle_data(self, data):
        if self._in_style:
            self.found += [("<style>", url) for url in css_urls(data)]


def external_requests(site: Path) -> list[str]:
    """``page: where URL`` for every request of a page (or a stylesheet it loads) to another host."""
    site = Path(site)
    problems, stylesheets = [], set()
    for page in sorted(site.rglob("*.html")):
        parser = PageResources()
        parser.feed(page.read_text(encoding="utf-8", errors="replace"))
        for where, url in parser.found:
            if is_external(url):
                problems.append(f"{page.relative_to(site)}: {where} {url}")
            elif where.startswith("<link") and url.split("?")[0].endswith(".css"):
                local = (page.parent / urlparse(url).path).resolve()
                if local.is_file():
                    stylesheets.add(local)
    seen = set()
    while stylesheets:  # stylesheets, and the stylesheets they @import
        sheet = stylesheets.pop()
        seen.add(sheet)
        for url in css_urls(sheet.read_text(encoding="utf-8", errors="replace")):
            if is_external(url):
                problems.append(f"{sheet.relative_to(site)}: url() {url}")
            elif url.split("?")[0].endswith(".css"):
                local = Path(urljoin(sheet.as_uri(), url)[len("file://"):])
                if local.is_file() and local not in seen:
                    stylesheets.add(local)
    return problems


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    site = Path(argv[0] if argv else "_build/html")
    if not (site / "index.html").is_file():
        print(f"check_offline: {site} holds no built site (index.html missing); build it with "
              "`jupyter-book build .` first", file=sys.stderr)
        return 2
    problems = external_requests(site)
    pages = len(list(site.rglob("*.html")))
    for line in problems:
        print(line)
    print(f"check_offline: {len(problems)} request(s) to other hosts in {pages} pages of {site}")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
