"""Clock times and windows.

Inside geo_patrol a time of day is an ``int`` of seconds after local midnight and a window is a
:class:`Window` of two such times. Text goes in as ``HH:MM`` (or ``HH:MM:SS``) and windows as
``HH:MM-HH:MM``; Chinese spreadsheets often write the dash as ``–``, ``—``, ``~`` or ``～`` and the
colon as ``：``, and all of these are accepted. Output is ``HH:MM:SS``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_DASHES = re.compile(r"\s*(?:-|–|—|~|～|至|到)\s*")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2}))?$")


def parse_time(text: str) -> int:
    """Parse ``HH:MM`` or ``HH:MM:SS`` into seconds after midnight.

    Raises ``ValueError`` with a plain-language reason; callers wrap it into an
    :class:`~geo_patrol.errors.InputError` naming file, row and field.
    """
    match = _TIME.match(str(text).strip())
    if not match:
        raise ValueError(f"'{text}' is not a clock time (write HH:MM, e.g. 07:30)")
    hours, minutes = int(match.group(1)), int(match.group(2))
    seconds = int(match.group(3) or 0)
    if hours > 23 or minutes > 59 or seconds > 59:
        raise ValueError(f"'{text}' is not a valid clock time (hours 00-23, minutes 00-59)")
    return hours * 3600 + minutes * 60 + seconds


def format_time(seconds: int | float, *, with_seconds: bool = True) -> str:
    """Format seconds after midnight as ``HH:MM:SS`` (or ``HH:MM``)."""
    total = int(round(seconds))
    hours, rest = divmod(total, 3600)
    minutes, secs = divmod(rest, 60)
    if with_seconds:
        return f"{hours:02d}:{minutes:02d}:{secs:02d}"
    return f"{hours:02d}:{minutes:02d}"


@dataclass(frozen=True, order=True)
class Window:
    """A clock window ``[start_s, end_s)`` in seconds after midnight; end is after start."""

    start_s: int
    end_s: int

    def __post_init__(self) -> None:
        if self.end_s <= self.start_s:
            raise ValueError(
                f"window end {format_time(self.end_s, with_seconds=False)} is not after its "
                f"start {format_time(self.start_s, with_seconds=False)}"
            )

    @property
    def duration_s(self) -> int:
        return self.end_s - self.start_s

    def __str__(self) -> str:
        return f"{format_time(self.start_s, with_seconds=False)}-{format_time(self.end_s, with_seconds=False)}"


def parse_window(text: str) -> Window:
    """Parse ``HH:MM-HH:MM`` into a :class:`Window`; ``ValueError`` on bad text."""
    parts = _DASHES.split(str(text).strip())
    if len(parts) != 2 or not all(parts):
        raise ValueError(f"'{text}' is not a window (write HH:MM-HH:MM, e.g. 07:20-08:00)")
    return Window(parse_time(parts[0]), parse_time(parts[1]))
