"""Plain text tables for the console, whose columns line up with CJK text."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["text_table"]


def _width(text: str) -> int:
    """Columns ``text`` takes on a console: CJK characters are double-width."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)


def text_table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table whose columns line up with CJK text (double-width characters)."""
    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(_width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c + " " * (w - _width(c)) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)
