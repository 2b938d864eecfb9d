"""The Chinese font every output carries, so that no machine shows boxes (豆腐块) for missing glyphs.

The font is Noto Sans SC (思源黑体 / Source Han Sans SC), licensed under the SIL Open Font License
1.1, as shipped by the ``pylopdf-fonts-zh-cn`` package (the region subset ``NotoSansSC-Regular.otf``
of notofonts/noto-cjk, with its ``LICENSE``). When that package is missing, the same typeface is
taken from ``mplfonts`` or from a system copy (Debian's ``fonts-noto-cjk``); with none of them the
outputs fall back to the system's fonts by name and say so in the log.

- :func:`font_face` — a CSS ``@font-face`` rule whose font is a subset of Noto Sans SC holding
  exactly the characters of a text (the page), embedded as a base64 ``data:`` URI: WOFF2 when
  ``brotli`` is installed (fontTools needs it to write WOFF2), else WOFF. The subset depends on
  the characters and the font file only (no timestamp), so the same page gives the same bytes.
- :func:`font_properties` — the same font file for matplotlib (:class:`FontProperties` by file,
  no registration in matplotlib's global font manager).
"""

from __future__ import annotations

import base64
import functools
import io
import logging
from pathlib import Path

from fontTools import subset
from fontTools.ttLib import TTFont
from matplotlib.font_manager import FontProperties

try:  # the font package; optional so that a machine without it still draws (with system fonts)
    import pylopdf_fonts_zh_cn
except ImportError:  # pragma: no cover - depends on the installation
    pylopdf_fonts_zh_cn = None
try:  # another package that ships the typeface (Noto Sans CJK SC)
    import mplfonts
except ImportError:  # pragma: no cover - depends on the installation
    mplfonts = None
try:  # WOFF2 compression
    import brotli
except ImportError:  # pragma: no cover - depends on the installation
    brotli = None

__all__ = ["FAMILY", "FONT_STACK", "font_face", "font_path", "font_properties"]

log = logging.getLogger(__name__)

#: the family name the embedded subset goes by in the page's CSS
FAMILY = "GeoPatrol Sans"
#: the CSS font stack: the embedded subset first, then the usual Chinese system fonts
FONT_STACK = (f'"{FAMILY}", "Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", '
              '"PingFang SC", "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif')
#: system copies of the typeface, tried when no package ships it
_SYSTEM_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/noto-cjk/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/google-noto-cjk/NotoSansCJK-Regular.ttc",
)


@functools.lru_cache(maxsize=1)
def font_path() -> Path | None:
    """The Noto Sans SC file used by every output, or ``None`` when none is installed."""
    candidates: list[Path] = []
    if pylopdf_fonts_zh_cn is not None:
        candidates.append(Path(pylopdf_fonts_zh_cn.sans_path()))
    if mplfonts is not None:
        candidates.append(Path(mplfonts.__file__).parent / "fonts" / "NotoSansCJKsc-Regular.otf")
    candidates.extend(Path(p) for p in _SYSTEM_FONTS)
    for path in candidates:
        if path.is_file():
            return path
    log.warning("no Noto Sans SC font installed (pip install pylopdf-fonts-zh-cn): maps and charts use the "
                "system's fonts and may show boxes for Chinese text on machines without them")
    return None


def font_face(text: str) -> str:
    """A CSS ``@font-face`` rule for :data:`FAMILY` holding exactly the characters of ``text``.

    Empty when no font is installed (the stack then falls through to the system's fonts).
    Characters the font lacks are left out (the browser draws them with the next font).
    """
    path = font_path()
    if path is None:
        return ""
    chars = "".join(sorted({c for c in set(text) if c.isprintable() and c != "\u00a0"} | {" "}))
    data, mime, fmt = _subset(str(path), chars)
    encoded = base64.b64encode(data).decode("ascii")
    return (f'@font-face {{ font-family: "{FAMILY}"; font-style: normal; font-weight: 400; '
            f'font-display: block; src: url("data:{mime};base64,{encoded}") format("{fmt}"); }}')


@functools.lru_cache(maxsize=8)
def _subset(path: str, chars: str) -> tuple[bytes, str, str]:
    """The font at ``path`` cut down to ``chars``: (bytes, MIME type, CSS format). Deterministic."""
    flavor = "woff2" if brotli is not None else "woff"
    # a Noto Sans CJK collection holds JP, KR, SC, TC, HK in that order; the region subset OTF one font
    font = TTFont(path, recalcTimestamp=False, lazy=True, fontNumber=2 if path.endswith(".ttc") else -1)
    options = subset.Options()
    options.flavor = flavor
    options.hinting = False  # screen and print at any size: hints only add bytes
    options.layout_features = ["kern", "liga", "locl", "vert", "palt"]
    options.name_IDs = [0, 1, 2, 3, 4, 5, 6, 13, 14]  # keep the copyright and the licence (OFL) notes
    options.notdef_outline = True
    subsetter = subset.Subsetter(options)
    subsetter.populate(text=chars)
    subsetter.subset(font)
    font.flavor = flavor
    buffer = io.BytesIO()
    font.save(buffer, reorderTables=True)
    log.debug("font subset: %d characters, %d bytes (%s)", len(chars), buffer.tell(), flavor)
    return buffer.getvalue(), f"font/{flavor}", flavor


def font_properties(size: float | None = None) -> FontProperties:
    """Noto Sans SC for matplotlib (by file), or the default sans-serif when it is not installed."""
    path = font_path()
    if path is None:
        return FontProperties(family="sans-serif", size=size)
    return FontProperties(fname=str(path), size=size)
