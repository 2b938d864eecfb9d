"""Make an HTML page self-contained: inline its scripts, stylesheets and the images they use.

Police networks are often cut off from the internet, and a map page that loads Leaflet from a
CDN draws nothing there. :func:`inline_assets` replaces every ``<script src=...>`` and
``<link rel="stylesheet" href=...>`` of a page with the file's content, taken from Python
packages installed with geo_patrol (``xstatic-leaflet``, ``xstatic-jquery``,
``xstatic-leaflet-markercluster``); images a
stylesheet refers to with ``url(...)`` become ``data:`` URIs. :func:`check_offline` then
fails with :class:`OfflineError` if anything the browser would fetch by itself still points
outside the file — a script, a stylesheet, an icon, an image, a frame, a CSS ``url()`` or
``@import`` — except references starting with one of the ``allow`` prefixes (e.g. the
user's own intranet tile server).

Which URL is which file: the last path segment decides (``leaflet.js``, ``leaflet-src.js``,
``leaflet.css``, ``jquery.js``, ``jquery-3.7.1.min.js``, ``jquery.min.js``,
``leaflet.markercluster.js``, ``MarkerCluster.css``, ``MarkerCluster.Default.css`` ...), so a page
made for any CDN is served from the local copy. The version is the installed package's.
"""

from __future__ import annotations

import base64
import logging
import mimetypes
import re
from collections.abc import Callable, Iterable, Sequence
from html.parser import HTMLParser
from pathlib import Path

import xstatic.pkg.jquery as jquery
import xstatic.pkg.leaflet as leaflet

try:  # needed only by maps that cluster (more than a town's schools)
    import xstatic.pkg.leaflet_markercluster as markercluster
except ImportError:  # pragma: no cover - depends on the installation
    markercluster = None

from geo_patrol.errors import OfflineError

__all__ = ["OfflineError", "inline_assets", "check_offline", "local_asset", "external_references", "has_markercluster"]

log = logging.getLogger(__name__)


def _leaflet_dir() -> Path:
    return Path(leaflet.BASE_DIR)


def _jquery_dir() -> Path:
    return Path(jquery.BASE_DIR)


def has_markercluster() -> bool:
    """Whether Leaflet.markercluster (``xstatic-leaflet-markercluster``) is installed to be inlined."""
    return markercluster is not None


def _markercluster_dir() -> Path:
    if markercluster is None:  # pragma: no cover - depends on the installation
        raise OfflineError("Leaflet.markercluster is not installed: a clustered map cannot be made offline",
                           hint="pip install xstatic-leaflet-markercluster, or draw the map with cluster=False")
    return Path(markercluster.BASE_DIR)


#: (pattern on the URL's last path segment, folder provider, file name in that folder)
_CATALOGUE: Sequence[tuple[re.Pattern[str], Callable[[], Path], str]] = (
    (re.compile(r"^leaflet(?:-src)?\.js$"), _leaflet_dir, "leaflet.js"),
    (re.compile(r"^leaflet(?:\.min)?\.css$"), _leaflet_dir, "leaflet.css"),
    (re.compile(r"^jquery(?:-\d+(?:\.\d+)*)?(?:\.min)?\.js$"), _jquery_dir, "jquery.min.js"),
    (re.compile(r"^leaflet\.markercluster(?:-src)?\.js$"), _markercluster_dir, "leaflet.markercluster.js"),
    (re.compile(r"^MarkerCluster\.css$"), _markercluster_dir, "MarkerCluster.css"),
    (re.compile(r"^MarkerCluster\.Default\.css$"), _markercluster_dir, "MarkerCluster.Default.css"),
)

#: a ``<script src>`` element (group "src") or a ``<link>`` tag (group "link"), matched in one pass
#: so that inlined code is never scanned again
_RESOURCE = re.compile(
    r"""<script\b[^>]*?\ssrc\s*=\s*(?P<q>["'])(?P<src>.*?)(?P=q)[^>]*>\s*</script\s*>|(?P<link><link\b[^>]*>)""",
    re.I | re.S)
_ATTR = re.compile(r"([\w:-]+)\s*=\s*(?:\"([^\"]*)\"|'([^']*)'|([^\s>]+))")
_CSS_URL = re.compile(r"url\(\s*([\"']?)([^\"')]+)\1\s*\)", re.I)
_CSS_COMMENT = re.compile(r"/\*.*?\*/", re.S)
_SOURCE_MAP = re.compile(r"^\s*//[#@]\s*sourceMappingURL=.*$", re.M)


def local_asset(url: str) -> Path | None:
    """The installed file that serves ``url`` (by its last path segment), or ``None``."""
    name = url.split("?", 1)[0].split("#", 1)[0].rstrip("/").rsplit("/", 1)[-1]
    for pattern, folder, filename in _CATALOGUE:
        if pattern.match(name):
            path = folder() / filename
            if not path.is_file():  # pragma: no cover - broken installation
                raise OfflineError(f"{filename} missing from its package", file=path,
                                   hint="reinstall geo_patrol's dependencies")
            return path
    return None


def inline_assets(page: str, *, allow: Iterable[str] = ()) -> str:
    """Return ``page`` with every linked script and stylesheet inlined, then checked offline.

    ``allow`` lists URL prefixes that may stay (e.g. a tile server the user asked for).
    Raises :class:`OfflineError` when a linked file is unknown or a reference remains.
    """
    allow = tuple(a for a in allow if a)

    def script(match: re.Match[str]) -> str:
        url = match.group("src")
        if url.startswith("data:") or url.startswith(allow):
            return match.group(0)
        path = _require(url, "script")
        code = _SOURCE_MAP.sub("", path.read_text(encoding="utf-8"))
        code = re.sub(r"</(script)", r"<\\/\1", code, flags=re.I)
        return f"<script>/* {path.name} (inlined) */\n{code}\n</script>"

    def link(match: re.Match[str]) -> str:
        attrs = _attributes(match.group(0))
        href, rel = attrs.get("href", ""), attrs.get("rel", "").lower()
        if "stylesheet" not in rel or not href or href.startswith("data:") or href.startswith(allow):
            return match.group(0)
        path = _require(href, "stylesheet")
        css = _inline_css_urls(_CSS_COMMENT.sub("", path.read_text(encoding="utf-8")), path.parent)
        css = re.sub(r"</(style)", r"<\\/\1", css, flags=re.I)
        return f"<style>/* {path.name} (inlined) */\n{css}\n</style>"

    page = _RESOURCE.sub(lambda m: link(m) if m.group("link") else script(m), page)
    check_offline(page, allow=allow)
    return page


def _require(url: str, what: str) -> Path:
    path = local_asset(url)
    if path is None:
        raise OfflineError(f"the {what} {url} has no local copy and would be fetched from the network",
                           field="src" if what == "script" else "href",
                           hint="use only map elements that need Leaflet, Leaflet.markercluster and jQuery, "
                                "or install an offline copy of that library")
    log.debug("inlining %s from %s", url, path)
    return path


def _attributes(tag: str) -> dict[str, str]:
    return {m.group(1).lower(): next(g for g in m.groups()[1:] if g is not None) for m in _ATTR.finditer(tag)}


def _inline_css_urls(css: str, folder: Path) -> str:
    """Replace relative ``url(...)`` references of a stylesheet by ``data:`` URIs."""

    def replace(match: re.Match[str]) -> str:
        ref = match.group(2).strip()
        if ref.startswith(("data:", "#")) or re.match(r"^[a-z][a-z0-9+.-]*:", ref, re.I):
            return match.group(0)  # data:, fragment, or absolute (check_offline judges those)
        path = (folder / ref.split("?", 1)[0].split("#", 1)[0]).resolve()
        if not path.is_file():
            raise OfflineError(f"the stylesheet refers to {ref}, which is not installed", file=folder,
                               hint="reinstall geo_patrol's dependencies")
        mime = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
        return f'url("data:{mime};base64,{base64.b64encode(path.read_bytes()).decode("ascii")}")'

    return _CSS_URL.sub(replace, css)


# ---------------------------------------------------------------------------------------------
# Checking
# ---------------------------------------------------------------------------------------------

#: attributes whose URL the browser fetches by itself, per tag (``*``: any tag)
_FETCHING = {
    "script": ("src",), "img": ("src", "srcset"), "iframe": ("src",), "frame": ("src",),
    "embed": ("src",), "source": ("src", "srcset"), "audio": ("src",), "video": ("src", "poster"),
    "track": ("src",), "input": ("src",), "object": ("data",), "image": ("href", "xlink:href"),
    "use": ("href", "xlink:href"), "feimage": ("href", "xlink:href"), "link": ("href",),
    "*": ("background",),
}


class _Collector(HTMLParser):
    """Fetching attributes of the markup, plus the text of every ``<script>`` and ``<style>``."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[tuple[str, str]] = []
        self.scripts: list[str] = []
        self._inside = ""
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = _FETCHING.get(tag, ()) + _FETCHING["*"]
        for name, value in attrs:
            if value is None:
                continue
            if name in names:
                urls = [u.strip().split(" ")[0] for u in value.split(",")] if name == "srcset" else [value]
                self.found.extend((f"<{tag} {name}>", u.strip()) for u in urls)
            elif name == "style":
                self.found.extend(("style attribute", u) for u in _css_references(value))
        if tag in ("style", "script"):
            self._inside, self._text = tag, []

    def handle_data(self, data: str) -> None:
        if self._inside:
            self._text.append(data)  # the parser may hand over a long script in pieces

    def handle_endtag(self, tag: str) -> None:
        if tag == self._inside:
            text = "".join(self._text)
            if tag == "style":
                self.found.extend(("<style>", u) for u in _css_references(text))
            else:
                self.scripts.append(text)
            self._inside, self._text = "", []


_CSS_IMPORT = re.compile(r"@import\s+(?:url\(\s*)?[\"']?([^\"');\s]+)", re.I)


def _css_references(css: str) -> list[str]:
    css = _CSS_COMMENT.sub("", css)
    return [m.group(2).strip() for m in _CSS_URL.finditer(css)] + [m.group(1) for m in _CSS_IMPORT.finditer(css)]


#: inside scripts: markup or CSS that would fetch from the network once inserted into the page
_IN_SCRIPT = (
    re.compile(r"""\b(?:src|srcset|poster|background)\s*=\s*\\?["']?\s*((?:https?:)?//[^\s"'\\>]+)""", re.I),
    re.compile(r"""<link\b[^>]*?\bhref\s*=\s*\\?["']?\s*((?:https?:)?//[^\s"'\\>]+)""", re.I),
    re.compile(r"""url\(\s*\\?["']?\s*((?:https?:)?//[^\s"'\\)]+)""", re.I),
    re.compile(r"""@import\s+(?:url\(\s*)?\\?["']?\s*((?:https?:)?//[^\s"'\\);]+)""", re.I),
)


def external_references(page: str, *, allow: Iterable[str] = ()) -> list[tuple[str, str]]:
    """Every reference in ``page`` the browser would fetch from outside the file.

    Returns ``(where, url)`` pairs. Looks at fetching attributes of the markup (``src``,
    ``href`` of ``<link>``, ``srcset``, ``poster``, ``data`` of ``<object>``, SVG ``href``),
    at ``url()`` and ``@import`` in ``<style>`` and ``style`` attributes, and, inside
    scripts, at ``src=``/``<link href=``/``url(``/``@import`` of absolute URLs (markup a script
    may insert). ``data:`` URIs and fragments are local; anything else counts unless it starts
    with an ``allow`` prefix. Links a person may click (``<a href>``) are not fetches.
    """
    allow = tuple(a for a in allow if a)
    collector = _Collector()
    collector.feed(page)
    collector.close()
    found = list(collector.found)
    for code in collector.scripts:
        for pattern in _IN_SCRIPT:
            found.extend(("script text", m.group(1)) for m in pattern.finditer(code))
    remaining = []
    for where, url in found:
        if not url or url.startswith(("data:", "#", "about:blank")) or url.startswith(allow):
            continue
        if (where, url) not in remaining:
            remaining.append((where, url))
    return remaining


def check_offline(page: str, *, allow: Iterable[str] = ()) -> None:
    """Raise :class:`OfflineError` if ``page`` would fetch anything outside itself (see
    :func:`external_references`)."""
    remaining = external_references(page, allow=allow)
    if remaining:
        listed = "; ".join(f"{url} ({where})" for where, url in remaining[:5])
        more = f" and {len(remaining) - 5} more" if len(remaining) > 5 else ""
        raise OfflineError(f"the page still refers to files outside itself: {listed}{more}",
                           hint="inline them or remove the element that needs them; a tile server "
                                "must be given as tiles=")
