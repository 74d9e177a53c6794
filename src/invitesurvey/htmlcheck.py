"""Checks of a rendered page: it fetches nothing from anywhere, and its links resolve.

A page may link to the result files beside it (relative links) and to its own headings
(``#id``); it may not load scripts, stylesheets, fonts, images or frames from elsewhere, nor
link off the machine.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote

from invitesurvey.errors import InputError

_URL_ATTRIBUTES = {"src", "href", "srcset", "poster", "data", "action", "formaction",
                   "background", "xlink:href", "manifest", "longdesc", "ping"}  # fmt: skip
_FETCHING_TAGS = {"script", "link", "iframe", "frame", "object", "embed", "base", "applet"}
_CSS_URL = re.compile(r"url\(\s*['\"]?\s*(?P<url>[^'\")\s]*)", re.IGNORECASE)
_CSS_IMPORT = re.compile(r"@import\b", re.IGNORECASE)
_NETWORK = re.compile(r"^\s*(?:[a-z][a-z0-9+.-]*:)?//", re.IGNORECASE)


def _fetches(url: str) -> bool:
    """Whether a URL in a page would load something beyond the page itself."""
    url = url.strip()
    return not (url == "" or url.startswith("#") or url.lower().startswith("data:"))


class _Scanner(HTMLParser):
    """Collects every reference a browser could follow out of the page."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.problems: list[str] = []
        self._in_style = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _FETCHING_TAGS:
            self.problems.append(f"<{tag}> element")
        for name, value in attrs:
            if value is None:
                continue
            if name == "style":
                self._css(value, f"<{tag} style>")
            elif name == "srcset":
                for candidate in value.split(","):
                    url = candidate.strip().split(" ")[0]
                    if _fetches(url):
                        self.problems.append(f"<{tag} srcset> {url}")
            elif name in _URL_ATTRIBUTES:
                # A link elsewhere is only a problem when it leaves the machine; an image or
                # any other src must be inside the page.
                leaves = _NETWORK.match(value) if name == "href" and tag == "a" else None
                if (tag != "a" and _fetches(value)) or leaves:
                    self.problems.append(f"<{tag} {name}> {value.strip()}")
        self._in_style = tag == "style"

    def handle_endtag(self, tag: str) -> None:
        if tag == "style":
            self._in_style = False

    def handle_data(self, data: str) -> None:
        if self._in_style:
            self._css(data, "<style>")

    def _css(self, css: str, where: str) -> None:
        if _CSS_IMPORT.search(css):
            self.problems.append(f"{where} @import")
        for found in _CSS_URL.finditer(css):
            if _fetches(found["url"]):
                self.problems.append(f"{where} url({found['url']})")


def page_problems(page_html: str) -> list[str]:
    """Every script, stylesheet, font, image or frame the page would load from elsewhere, and
    every link off the machine; empty for a self-contained page."""
    scanner = _Scanner()
    scanner.feed(page_html)
    scanner.close()
    return scanner.problems


def check_page(page_html: str, path: str | Path) -> None:
    """Refuse a page that is not self-contained, naming what it would fetch."""
    problems = page_problems(page_html)
    if problems:
        raise InputError(
            f"the rendered page is not self-contained: {'; '.join(problems[:5])}",
            file=path,
            hint="Embed figures as data URIs and remove scripts, stylesheets and links to "
            "the network from the notebook's outputs.",
        )


class _Links(HTMLParser):
    """Every ``<a href>`` of the page and every ``id`` it defines."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []
        self.ids: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        for name, value in attrs:
            if name == "id" and value:
                self.ids.add(value)
            if tag == "a" and name == "href" and value is not None:
                self.hrefs.append(value.strip())


def links(page_html: str) -> tuple[list[str], set[str]]:
    """The page's link targets, in order, and the ids a ``#fragment`` can point at."""
    parser = _Links()
    parser.feed(page_html)
    parser.close()
    return parser.hrefs, parser.ids


def broken_links(page_html: str, path: str | Path) -> list[str]:
    """Every link of the page at ``path`` that leads nowhere: a ``#fragment`` without its id,
    or a relative link to a file that does not exist beside the page."""
    hrefs, ids = links(page_html)
    broken = []
    for href in hrefs:
        if href.startswith("#"):
            if unquote(href[1:]) not in ids:
                broken.append(href)
        elif not _NETWORK.match(href) and not href.lower().startswith(("data:", "mailto:")):
            target = (Path(path).parent / unquote(href.split("#")[0])).resolve()
            if not target.exists():
                broken.append(href)
    return broken


def check_links(page_html: str, path: str | Path, *, later: list[str | Path] = ()) -> None:
    """Refuse a page with a link that leads nowhere, but to the files in ``later`` (written
    after the page, such as the manifest)."""
    pending = {Path(p).resolve() for p in later}
    broken = [
        href
        for href in broken_links(page_html, path)
        if href.startswith("#") or (Path(path).parent / href.split("#")[0]).resolve() not in pending
    ]
    if broken:
        raise InputError(
            f"the rendered page has links that lead nowhere: {'; '.join(broken[:5])}",
            file=path,
            hint="Link each table to a file the page's rule reads, and each contents entry to a "
            "heading of the page.",
        )
