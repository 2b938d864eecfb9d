"""The plan directory: its one schema, its one reader and its one writer.

A plan directory (format ``geo_patrol.plan/1``) holds ``plan.json``, UTF-8 CSV files with a
byte order mark and GeoJSON files; :data:`PLAN_FILES` lists them and :data:`TABLES` gives every
CSV file's columns, in the order they are written, with the kind of value each holds.

- Writing: :func:`write_files` writes every file of a plan from these column lists (into a
  folder that :func:`geo_patrol.io.atomic.write_directory` renames into place).
- Reading rows: :func:`read_plan_rows` reads the files back into the row records of
  :mod:`geo_patrol.model` (what :meth:`geo_patrol.plan.Plan.from_dir` is built from);
  :func:`read_posts`, :func:`read_visits` and :func:`read_coverage` read one file each.
- Reading frames: :func:`read_plan_dir` reads the same files into the DataFrames of
  :class:`PlanFiles`, which the map and the documents work from.

Every reader goes through :func:`read_meta`, :func:`read_table` and :func:`read_geojson`, so all
of them give the same error for the same bad cell.

Column kinds and what a cell must hold:

- ``str`` — non-empty text; ``opt_str`` — any text.
- ``period`` — ``morning``, ``noon`` or ``afternoon``.
- ``lon`` / ``lat`` — WGS-84 degrees within ±180 / ±90; ``float`` — a finite number.
- ``int`` — a whole number (``3`` or ``3.0``).
- ``bool`` — ``true/false``, ``yes/no``, ``1/0``, ``是/否``, ``t/f``, ``y/n``; a blank cell is false.
- ``time`` — a time of day (``HH:MM:SS``), kept as the file's text.
- ``opt_window`` — blank, or a window ``HH:MM-HH:MM`` (several separated by ``;``), kept as the file's text.
- ``opt_team`` — blank, or the school side of a post's team, ``school_cadre:1; guards:2`` (role:people
  pairs, :func:`geo_patrol.model.parse_team`), kept as the file's text. The column may be absent
  (a plan written before it existed, e.g. last semester's for ``--previous``): every cell blank.

Some columns are written for people only (:data:`DISPLAY_COLUMNS`): the officer's label, the
sources and the reason a target is missed, in the plan's output language (``plan.json``
``outputs.lang``, :func:`output_lang`), derived from the keys beside them by
:mod:`geo_patrol.labels`. No reader takes them: a hand edit goes to the key (``officer``;
``sources`` and ``reason`` are re-derived anyway), and ``evaluate`` writes the labels again.

Error messages name the file, the spreadsheet row (the header is row 1, the first data row
row 2) and the column.
"""

from __future__ import annotations

import csv
import io
import json
import logging
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from geo_patrol.clock import format_time, parse_time, parse_window
from geo_patrol.datum import from_wgs84, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.labels import DEFAULT_LANG, LANGS, ReasonBook, check_lang, officer_label, reason_text, sources_text
from geo_patrol.model import (
    PERIODS,
    Coverage,
    PostDuty,
    RosterEntry,
    RouteLine,
    SchoolRow,
    StationRow,
    Stop,
    format_team,
    parse_team,
)
from geo_patrol.reasons import Reason

__all__ = [
    "COVERAGE_HEADER", "DISPLAY_COLUMNS", "FORMAT", "FORMAT_PREFIX", "PERIODS", "PLAN_FILES", "POSTS_FORMAT_PREFIX",
    "PlanFiles", "TABLES", "Table", "USE_KINDS", "VIOLATION_COLUMNS", "coverage_cells", "csv_text", "is_plan_dir",
    "json_text", "output_lang", "plan_cells", "plan_frames", "posts_cells", "read_coverage", "read_geojson",
    "read_json", "read_meta", "read_plan_dir", "read_plan_rows", "read_posts", "read_roster", "read_table",
    "read_visits", "roster_cells", "use_columns", "violation_cells", "write_coverage", "write_files", "write_posts",
    "write_roster", "write_table",
]

log = logging.getLogger(__name__)

FORMAT = "geo_patrol.plan/2"
"""The format this version writes into ``plan.json``."""

FORMAT_PREFIX = "geo_patrol.plan/"

POSTS_FORMAT_PREFIX = "geo_patrol.posts/"
"""``posts.json``'s ``format`` in a post plan export (``geo-patrol posts``) starts with this."""
"""``plan.json``'s ``format`` starts with this; the number after it is the format version."""

PLAN_FILES = (
    "plan.json", "schools.csv", "stations.csv", "posts.csv", "posts.geojson", "rosters.csv", "visits.csv",
    "routes.geojson", "coverage.csv", "roads.geojson", "reach.geojson",
)
"""Every file the planner writes into a plan directory."""

TABLES: Mapping[str, Mapping[str, str]] = {
    "schools.csv": {"school_id": "str", "name": "str", "kind": "str", "lon": "lon", "lat": "lat",
                    "enrolment": "int", "priority": "int", "morning": "opt_window", "noon": "opt_window",
                    "afternoon": "opt_window", "school_team": "opt_team"},
    "stations.csv": {"station_id": "str", "name": "str", "kind": "unit_kind", "lon": "lon", "lat": "lat",
                     "police": "int", "auxiliary": "int", "cars": "int"},
    "posts.csv": {"post_id": "str", "period": "period", "lon": "lon", "lat": "lat", "station_id": "str",
                  "school_ids": "str", "duty_start": "time", "duty_end": "time", "police": "int",
                  "auxiliary": "int", "car_at_post": "bool"},
    "rosters.csv": {"officer": "str", "role": "role", "station_id": "str", "period": "period", "post_id": "str",
                    "start": "time", "end": "time"},
    "visits.csv": {"vehicle_id": "str", "station_id": "str", "period": "period", "seq": "int",
                   "school_id": "str", "lon": "lon", "lat": "lat", "arrive": "time", "depart": "time",
                   "stop_lon": "lon", "stop_lat": "lat", "gate_distance_m": "float"},
    "coverage.csv": {"school_id": "str", "period": "period", "window_start": "time", "window_end": "time",
                     "officer_seen": "bool", "car_seen": "bool", "lights_seen": "bool",
                     "three_sightings": "bool", "officer_presence_pct": "float", "worst_response_s": "int",
                     "within_target_pct": "float", "second_unit_300s": "bool", "sources": "opt_str",
                     "reason": "opt_str", "strict_met": "bool", "post_present": "bool"},
}
"""CSV file → (column → kind), columns in file order. ``stations.csv`` is followed by
:func:`use_columns` of the plan's periods."""

DISPLAY_COLUMNS: Mapping[str, Mapping[str, str]] = {
    "rosters.csv": {"officer_label": "officer"},
    "coverage.csv": {"sources_text": "sources", "reason_text": "reason"},
}
"""CSV file → (column written for people → the column it follows): ``officer_label`` (``PS01-辅警-3``),
``sources_text`` and ``reason_text`` (the sources and the reason in the plan's output language).
Readers ignore them."""

USE_KINDS = ("police", "auxiliary", "cars")
"""What ``stations.csv`` counts as used per period, in column order."""

_RERUN = "the plan directory is incomplete or from another version; write it again with the planner"
_TRUE = {"true", "1", "yes", "是", "y", "t"}
_FALSE = {"false", "0", "no", "否", "n", "f", ""}
_KINDS = {"str", "opt_str", "period", "lon", "lat", "float", "int", "bool", "time", "opt_window", "opt_team", "role",
          "unit_kind"}
_CHOICES = {"role": ("police", "auxiliary"), "unit_kind": ("station", "pool")}
#: Kinds of column a plan written by an earlier version lacks: read as blank cells.
_MAY_BE_ABSENT = {"opt_team"}


def use_columns(periods: Iterable[str]) -> dict[str, str]:
    """The per-period columns of ``stations.csv`` (``police_used_morning`` ...), all ``int``."""
    return {f"{what}_used_{p}": "int" for p in periods for what in USE_KINDS}


# ---------------------------------------------------------------------------------------------
# JSON files


def read_json(path: Path, *, required: bool) -> dict[str, Any] | None:
    """A JSON object from a plan file; ``None`` for a missing file that is not ``required``."""
    path = Path(path)
    if not path.is_file():
        if required:
            raise InputError("file missing from the plan directory", file=path, hint=_RERUN)
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"not valid UTF-8 JSON ({exc})", file=path, hint=_RERUN) from exc
    if not isinstance(data, dict):
        raise InputError("expected a JSON object", file=path, hint=_RERUN)
    return data


def read_geojson(path: Path, *, required: bool) -> dict[str, Any] | None:
    """A GeoJSON FeatureCollection (checked to have a ``features`` list), or ``None`` (see :func:`read_json`)."""
    data = read_json(path, required=required)
    if data is not None and not isinstance(data.get("features"), list):
        raise InputError("not a GeoJSON FeatureCollection", file=path, field="features", hint=_RERUN)
    return data


def is_plan_dir(path: str | Path) -> bool:
    """True for a folder geo_patrol wrote: a plan (``plan.json``), a post plan export (``posts.json``)
    or a semester (``semester.json``), each with its format marker — the only folders ``--force``
    may replace."""
    path = Path(path)
    for name, prefix in (("plan.json", FORMAT_PREFIX), ("posts.json", POSTS_FORMAT_PREFIX),
                         ("semester.json", "geo_patrol.semester/")):
        try:
            data = json.loads((path / name).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if isinstance(data, dict) and str(data.get("format", "")).startswith(prefix):
            return True
    return False


def read_meta(plan_dir: Path) -> dict[str, Any]:
    """``plan.json`` of a plan directory, after checking the folder exists and the format is a plan's."""
    plan_dir = Path(plan_dir)
    if not plan_dir.is_dir():
        raise InputError("plan directory not found", file=plan_dir,
                         hint="give the folder the planner wrote (it holds plan.json)")
    path = plan_dir / "plan.json"
    meta = read_json(path, required=True)
    fmt = str(meta.get("format", ""))
    if not fmt.startswith(FORMAT_PREFIX):
        raise InputError(f"format '{fmt}' is not a geo_patrol plan", file=path, field="format",
                         hint=f"expected '{FORMAT}'; " + _RERUN)
    if fmt != FORMAT:
        raise InputError(f"format '{fmt}' is from another version of geo_patrol", file=path, field="format",
                         hint=f"this version reads '{FORMAT}'; plan again with this version")
    if not isinstance(meta.get("summary"), dict) or not isinstance(meta["summary"].get("periods"), list):
        raise InputError("has no summary with its periods", file=path, field="summary", hint=_RERUN)
    lang = (meta.get("outputs") or {}).get("lang", DEFAULT_LANG)
    if lang not in LANGS:
        raise InputError(f"language '{lang}' is not available", file=path, field="outputs.lang",
                         hint="write " + " or ".join(f'"{k}"' for k in LANGS))
    return meta


# ---------------------------------------------------------------------------------------------
# CSV files


@dataclass(frozen=True)
class Table:
    """One CSV file of a plan directory, read and checked.

    ``records`` holds one dict per data row, column → value converted by the column's kind (see
    the module docstring); ``extra`` holds, for each column of the file that ``columns`` does
    not name, its cells as text (stripped), in file order.
    """

    path: Path
    columns: Mapping[str, str]
    records: tuple[dict[str, Any], ...]
    extra: Mapping[str, tuple[str, ...]]

    def numbered(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """``(row, record)`` pairs, ``row`` counted from 1 as in error messages."""
        return enumerate(self.records, start=2)

    def error(self, row: int, column: str, problem: str, hint: str = _RERUN) -> InputError:
        """An :class:`InputError` about one cell of this file."""
        return InputError(problem, file=self.path, row=row, field=column, hint=hint)


def read_table(path: Path, columns: Mapping[str, str] | None = None) -> Table:
    """Read and check one CSV file of a plan directory.

    ``columns`` (column → kind) defaults to ``TABLES[path.name]``; each must be in the file's
    header, in any order. Raises :class:`InputError` naming the file, row and column at fault.
    """
    path = Path(path)
    columns = TABLES[path.name] if columns is None else columns
    unknown = set(columns.values()) - _KINDS
    if unknown:
        raise ValueError(f"unknown column kinds {sorted(unknown)}")
    if not path.is_file():
        raise InputError("file missing from the plan directory", file=path, hint=_RERUN)
    header, rows = _read_csv(path)
    return _table(path, header, rows, columns)


def _table(path: Path, header: list[str], rows: list[list[str]], columns: Mapping[str, str]) -> Table:
    """Check and convert the cells of one table (read from a file, or as the writer renders them)."""
    missing = [c for c in columns if c not in header and columns[c] not in _MAY_BE_ABSENT]
    if missing:
        raise InputError("column missing", file=path, field=missing[0], hint=_RERUN)
    position: dict[str, int] = {}
    for i, name in enumerate(header):
        position.setdefault(name, i)  # a repeated column name: the first one counts
    records = tuple(
        {c: _convert(cells[position[c]] if c in position else "", kind, path, row, c) for c, kind in columns.items()}
        for row, cells in enumerate(rows, start=2)
    )
    extra = {name: tuple(cells[i] for cells in rows) for name, i in position.items() if name not in columns}
    return Table(path=path, columns=dict(columns), records=records, extra=extra)


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a CSV file, cells stripped; blank lines are skipped.

    A row shorter than the header is padded with blank cells (a spreadsheet may drop empty
    trailing cells); a longer row is an error.
    """
    data = path.read_bytes()
    try:
        # the planner writes UTF-8 with a BOM; Excel on a Chinese Windows re-saves as GBK
        utf8 = data.startswith(b"\xef\xbb\xbf") or _is_utf8(data)
        text = data.decode("utf-8-sig") if utf8 else data.decode("gb18030")
        lines = [line for line in csv.reader(io.StringIO(text, newline="")) if line]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read this CSV ({exc})", file=path,
                         hint="save it as CSV in UTF-8 or GBK (Excel: CSV UTF-8, or CSV)") from exc
    if not lines:
        raise InputError("cannot read this CSV (the file is empty)", file=path, hint=_RERUN)
    header = [name.strip() for name in lines[0]]
    rows = []
    for row, cells in enumerate(lines[1:], start=2):
        if len(cells) > len(header):
            raise InputError(f"has {len(cells)} cells where the header has {len(header)} columns", file=path,
                             row=row, hint="quote cells that hold commas, or name the extra column in the header")
        rows.append([cell.strip() for cell in cells] + [""] * (len(header) - len(cells)))
    return header, rows


_CELL_HINTS = {
    "period": "use morning, noon or afternoon",
    "lon": "lon/lat are WGS-84 degrees, lon first",
    "lat": "lon/lat are WGS-84 degrees, lon first",
    "float": "write a plain number",
    "int": "write a whole number",
    "bool": "write true or false",
    "time": "write the time of day as HH:MM:SS",
    "opt_window": "write the window as HH:MM-HH:MM or leave it blank",
    "opt_team": "write role:people pairs separated by ';', e.g. school_cadre:1; guards:2, or leave it blank",
    "role": "write police or auxiliary",
    "unit_kind": "write station or pool",
}


def _convert(value: str, kind: str, path: Path, row: int, column: str) -> Any:
    """The value of one stripped cell by its column's kind (see the module docstring)."""

    def bad(problem: str) -> InputError:
        return InputError(problem, file=path, row=row, field=column, hint=_CELL_HINTS.get(kind, _RERUN))

    if kind == "opt_str":
        return restore(value)
    if kind == "opt_window" and value == "":
        return value
    if kind == "opt_team":
        return _team_cell(value, bad)
    if kind == "bool":
        return _bool_cell(value, bad)
    if value == "":
        raise bad("empty value")
    if kind == "str":
        return restore(value)
    if kind == "period" or kind in _CHOICES:
        return _choice_cell(value, kind, bad)
    if kind in ("lon", "lat", "float", "int"):
        return _number_cell(value, kind, bad)
    return _clock_cell(value, kind, bad)


def _team_cell(value: str, bad: Callable[[str], InputError]) -> str:
    """An ``opt_team`` cell, checked (``bad`` makes the error of this cell)."""
    try:
        parse_team(value, strict=False)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return value


def _bool_cell(value: str, bad: Callable[[str], InputError]) -> bool:
    """A ``bool`` cell's value."""
    low = value.lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise bad(f"'{value}' is not true/false")


def _choice_cell(value: str, kind: str, bad: Callable[[str], InputError]) -> str:
    """A non-empty ``period`` cell or a cell of one of :data:`_CHOICES`, checked."""
    if kind == "period":
        if value not in PERIODS:
            raise bad(f"'{value}' is not a period")
        return value
    if value not in _CHOICES[kind]:
        raise bad(f"'{value}' is not one of {', '.join(_CHOICES[kind])}")
    return value


def _number_cell(value: str, kind: str, bad: Callable[[str], InputError]) -> float | int:
    """A non-empty ``lon``, ``lat``, ``float`` or ``int`` cell's value, checked."""
    if kind == "int":
        try:
            return int(value)  # exact for plain whole numbers; "3.0" is checked below
        except ValueError:
            pass
    try:
        number = float(value)
    except ValueError:
        raise bad(f"'{value}' is not a number") from None
    if not math.isfinite(number):
        raise bad(f"'{value}' is not a finite number")
    if kind == "lon" and not -180.0 <= number <= 180.0:
        raise bad(f"longitude {value} is outside -180..180")
    if kind == "lat" and not -90.0 <= number <= 90.0:
        raise bad(f"latitude {value} is outside -90..90")
    if kind == "int":
        if number != int(number):
            raise bad(f"'{value}' is not a whole number")
        return int(number)
    return number


def _clock_cell(value: str, kind: str, bad: Callable[[str], InputError]) -> str:
    """A non-empty ``time`` cell or window cell, checked."""
    try:
        if kind == "time":
            parse_time(value)
        else:  # one window, or several of one period ("15:40-16:10; 17:30-18:00")
            for part in value.split(";"):
                parse_window(part)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return value


# ---------------------------------------------------------------------------------------------
# Writing


def _bool(value: bool) -> str:
    return "true" if value else "false"


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> bytes:
    """A CSV file's bytes as the plan writes them: UTF-8 with a byte order mark, ``\\n`` line ends."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow([neutralise(str(h)) for h in header])
    writer.writerows([neutralise(_text(c)) for c in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def json_text(data: Any) -> bytes:
    """A JSON file's bytes as the plan writes them (UTF-8, one-space indent, final newline)."""
    try:
        text = json.dumps(data, ensure_ascii=False, indent=1, sort_keys=False, allow_nan=False)
    except ValueError as exc:  # NaN or Infinity: not JSON, and no reader would take it
        raise ValueError(f"a plan figure is not a finite number ({exc})") from exc
    return (text + "\n").encode("utf-8")


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    Path(path).write_bytes(csv_text(header, rows))


def _write_json(path: Path, data: Any) -> None:
    Path(path).write_bytes(json_text(data))


def _text(cell: Any) -> str:
    """A cell as text (``None`` blank, everything else ``str``); :func:`csv_text` neutralises it."""
    return "" if cell is None else str(cell)


#: A cell that starts with one of these is a formula to a spreadsheet (OWASP, "CSV injection").
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def neutralise(text: str) -> str:
    """Text a spreadsheet will not run: a cell starting with ``= + - @``, tab or CR (and is not a
    plain number) gets a leading ``'``, as OWASP recommends; so does a cell that already starts
    with ``'``, so that :func:`restore` gives back exactly the original."""
    if text.startswith("'") or (text.startswith(FORMULA_STARTS) and not _is_number(text)):
        return "'" + text
    return text


def restore(text: str) -> str:
    """The original of a :func:`neutralise` d cell."""
    if len(text) > 1 and text[0] == "'" and (text[1] == "'" or text[1:].startswith(FORMULA_STARTS)):
        return text[1:]
    return text


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _cells(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> tuple[list[str], list[list[str]]]:
    return list(header), [[_text(c) for c in row] for row in rows]


def _post_values(d: PostDuty, datum: str = "wgs84") -> list[Any]:
    return [d.post_id, d.period, *_xy(d.lon, d.lat, datum), d.station_id, ";".join(d.school_ids),
            format_time(d.duty_start_s), format_time(d.duty_end_s), d.police, d.auxiliary, _bool(d.car_at_post)]


def posts_cells(posts: Sequence[PostDuty], datum: str = "wgs84") -> tuple[list[str], list[list[str]]]:
    """Header and cells of ``posts.csv``: one row per post and period (coordinates in ``datum``)."""
    return _cells(TABLES["posts.csv"], (_post_values(d, datum) for d in posts))


def _with_display(name: str, header: Sequence[str], rows: Iterable[Sequence[Any]],
                  shown: Mapping[str, Sequence[str]]) -> tuple[list[str], list[list[str]]]:
    """A table's cells with its :data:`DISPLAY_COLUMNS` (``shown``: column → its cells) put in
    after the columns they follow."""
    header, cells = _cells(header, rows)
    for column, after in DISPLAY_COLUMNS[name].items():
        at = header.index(after) + 1
        header.insert(at, column)
        for row, value in zip(cells, shown[column]):
            row.insert(at, value)
    return header, cells


def roster_cells(roster: Sequence[RosterEntry], lang: str = DEFAULT_LANG) -> tuple[list[str], list[list[str]]]:
    """Header and cells of ``rosters.csv``: officer (and its label in ``lang``), role, station,
    period, post and duty times."""
    return _with_display("rosters.csv", TABLES["rosters.csv"], (
        [r.officer, r.role, r.station_id, r.period, r.post_id, format_time(r.start_s), format_time(r.end_s)]
        for r in roster), {"officer_label": [officer_label(r.officer, r.role, lang) for r in roster]})


def coverage_cells(coverage: Sequence[Coverage], lang: str = DEFAULT_LANG) -> tuple[list[str], list[list[str]]]:
    """Header and cells of ``coverage.csv``: one row per school and window, the sources and the reason
    also in ``lang``."""
    return _with_display("coverage.csv", COVERAGE_HEADER, (
        [c.school_id, c.period, format_time(c.window_start_s), format_time(c.window_end_s), _bool(c.officer_seen),
         _bool(c.car_seen), _bool(c.lights_seen), _bool(c.three_sightings), f"{c.officer_presence_pct:.1f}",
         c.worst_response_s, f"{c.within_target_pct:.1f}", _bool(c.second_unit_300s), c.sources, c.reason,
         _bool(c.strict_met), _bool(c.post_present)]
        for c in coverage), {"sources_text": [sources_text(c.sources, lang) for c in coverage],
                             "reason_text": [reason_text(c.why, lang) if c.why else c.reason for c in coverage]})


def output_datum(meta: Mapping[str, Any]) -> str:
    """The datum a plan writes the coordinates people read in (``[outputs] datum``; WGS-84 by default)."""
    return str((meta.get("outputs") or {}).get("datum", "wgs84"))


def output_lang(meta: Mapping[str, Any]) -> str:
    """The language a plan writes its labels and documents in (``plan.json`` ``outputs.lang``,
    chosen with ``--lang``; Chinese by default)."""
    return check_lang(str((meta.get("outputs") or {}).get("lang", DEFAULT_LANG)))


def _xy(lon: float, lat: float, datum: str) -> list[str]:
    """A WGS-84 point as the two cells a plan file holds: in the output datum, 6 decimals."""
    if datum != "wgs84":
        lon, lat = from_wgs84(lon, lat, datum)
    return [f"{lon:.6f}", f"{lat:.6f}"]


def canonical_lonlat(lon: float, lat: float, datum: str) -> tuple[float, float]:
    """The WGS-84 point that reading the plan's files gives back for ``(lon, lat)``: written in
    ``datum`` with 6 decimals, read and converted back. A plan holds its points this way, so a
    plan read from its directory equals the plan that wrote it."""
    x, y = (float(c) for c in _xy(lon, lat, datum))
    if datum == "wgs84":
        return x, y
    back = to_wgs84(x, y, datum)
    return float(back[0]), float(back[1])


def plan_cells(plan) -> dict[str, tuple[list[str], list[list[str]]]]:
    """Every CSV file of ``plan`` (a :class:`geo_patrol.plan.Plan`): name → (header, cells as written).

    Coordinates are written in the plan's output datum (:func:`output_datum`). A plan of one day
    type of a semester (``plan.json`` ``day_type``) carries it in a last ``day_type`` column of
    every table, so rows of several day types can be put together and still told apart."""
    cells = _plan_cells(plan)
    day_type = plan.meta.get("day_type")
    if day_type:
        cells = {name: (header + ["day_type"], [row + [str(day_type)] for row in rows])
                 for name, (header, rows) in cells.items()}
    return cells


def _plan_cells(plan) -> dict[str, tuple[list[str], list[list[str]]]]:
    periods = list(plan.meta["summary"]["periods"])
    d = output_datum(plan.meta)
    lang = output_lang(plan.meta)
    return {
        "schools.csv": _cells(TABLES["schools.csv"], (
            [s.school_id, s.name, s.kind, *_xy(s.lon, s.lat, d), s.enrolment, s.priority,
             s.morning, s.noon, s.afternoon, format_team(s.school_team)] for s in plan.schools)),
        "stations.csv": _cells(list(TABLES["stations.csv"]) + list(use_columns(periods)), (
            [s.station_id, s.name, s.kind, *_xy(s.lon, s.lat, d), s.police, s.auxiliary, s.cars]
            + [s.use[p][k] for p in periods for k in range(len(USE_KINDS))] for s in plan.stations)),
        "posts.csv": posts_cells(plan.posts, d),
        "rosters.csv": roster_cells(plan.roster, lang),
        "visits.csv": _cells(TABLES["visits.csv"], (
            [v.vehicle_id, v.station_id, v.period, v.seq, v.school_id, *_xy(v.lon, v.lat, d),
             format_time(v.arrive_s), format_time(v.depart_s), *_xy(v.stop_lon, v.stop_lat, d),
             f"{v.gate_distance_m:.1f}"] for v in plan.visits)),
        "coverage.csv": coverage_cells(plan.coverage, lang),
    }


def posts_geojson(posts: Sequence[PostDuty], datum: str = "wgs84") -> dict[str, Any]:
    """``posts.geojson``: a Point feature per post and period (geometry WGS-84, as a GIS expects)
    with the ``posts.csv`` cells as properties (coordinates in ``datum``)."""
    header = list(TABLES["posts.csv"])
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
         "properties": dict(zip(header, _post_values(d, datum)))} for d in posts
    ]}


def routes_geojson(routes: Sequence[RouteLine]) -> dict[str, Any]:
    """``routes.geojson``: one LineString per car and period with the clock time at every vertex."""
    return {"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "geometry": {"type": "LineString", "coordinates": [list(c) for c in r.coords]},
         "properties": {"vehicle_id": r.vehicle_id, "station_id": r.station_id, "period": r.period,
                        "start": format_time(r.start_s), "end": format_time(r.end_s), "drive_km": r.drive_km,
                        "stops": r.stops, "times": [format_time(t) for t in r.times]}}
        for r in routes
    ]}


_EMPTY = {"type": "FeatureCollection", "features": []}


def write_files(plan, folder: Path) -> None:
    """Write every file of ``plan`` (a :class:`geo_patrol.plan.Plan`) into ``folder``, which exists."""
    _write_json(folder / "plan.json", plan.meta)
    cells = plan_cells(plan)
    for name in ("schools.csv", "stations.csv", "posts.csv"):
        _write_csv(folder / name, *cells[name])
    _write_json(folder / "posts.geojson", posts_geojson(plan.posts, output_datum(plan.meta)))
    for name in ("rosters.csv", "visits.csv"):
        _write_csv(folder / name, *cells[name])
    _write_json(folder / "routes.geojson", routes_geojson(plan.routes))
    _write_csv(folder / "coverage.csv", *cells["coverage.csv"])
    _write_json(folder / "roads.geojson", plan.roads)
    _write_json(folder / "reach.geojson", plan.reach or _EMPTY)


COVERAGE_HEADER = list(TABLES["coverage.csv"])

#: Columns of ``violations.csv`` (written by ``evaluate``; empty when the plan holds).
VIOLATION_COLUMNS = ("file", "row", "field", "rule", "detail")


def write_posts(folder: Path, posts: Sequence[PostDuty]) -> None:
    """``posts.csv`` and ``posts.geojson`` into ``folder``."""
    _write_csv(folder / "posts.csv", *posts_cells(posts))
    _write_json(folder / "posts.geojson", posts_geojson(posts))


def write_roster(folder: Path, roster: Sequence[RosterEntry], lang: str = DEFAULT_LANG) -> None:
    """``rosters.csv`` into ``folder`` (officer labels in ``lang``)."""
    _write_csv(folder / "rosters.csv", *roster_cells(roster, lang))


def write_coverage(path: Path, coverage: Sequence[Coverage], lang: str = DEFAULT_LANG) -> None:
    """``coverage.csv`` (at ``path``; the sources also in ``lang``)."""
    _write_csv(path, *coverage_cells(coverage, lang))


def write_table(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    """Any other CSV table in the plan files' encoding (UTF-8 with BOM, ``\\n`` line ends)."""
    _write_csv(path, header, rows)


# ----------------------------------------------------------------------------- reading


def _wgs(r: Mapping[str, Any], datum: str, lon: str = "lon", lat: str = "lat") -> tuple[float, float]:
    """A row's point back in WGS-84 from the plan's output datum."""
    if datum == "wgs84":
        return r[lon], r[lat]
    x, y = to_wgs84(r[lon], r[lat], datum)
    return float(x), float(y)


def read_posts(folder: Path, datum: str | None = None) -> tuple[PostDuty, ...]:
    """``posts.csv`` of a plan directory (coordinates back in WGS-84); a duty must end after it starts."""
    datum = output_datum(read_meta(Path(folder))) if datum is None else datum
    table = read_table(Path(folder) / "posts.csv")
    out = []
    for row, r in table.numbered():
        start, end = parse_time(r["duty_start"]), parse_time(r["duty_end"])
        if end <= start:
            raise table.error(row, "duty_end", "duty ends before it starts", "make duty_end later than duty_start")
        out.append(PostDuty(
            r["post_id"], r["period"], *_wgs(r, datum), r["station_id"],
            tuple(s for s in r["school_ids"].split(";") if s), start, end,
            r["police"], r["auxiliary"], r["car_at_post"],
        ))
    return tuple(out)


def read_visits(folder: Path, datum: str | None = None) -> tuple[Stop, ...]:
    """``visits.csv`` of a plan directory (coordinates back in WGS-84); a car must not leave a gate
    before it arrives."""
    datum = output_datum(read_meta(Path(folder))) if datum is None else datum
    table = read_table(Path(folder) / "visits.csv")
    out = []
    for row, r in table.numbered():
        arrive, depart = parse_time(r["arrive"]), parse_time(r["depart"])
        if depart < arrive:
            raise table.error(row, "depart", "departure before arrival", "make depart later than arrive")
        stop_lon, stop_lat = _wgs(r, datum, "stop_lon", "stop_lat")
        out.append(Stop(r["vehicle_id"], r["station_id"], r["period"], r["seq"], r["school_id"], *_wgs(r, datum),
                        arrive, depart, stop_lon=stop_lon, stop_lat=stop_lat, gate_distance_m=r["gate_distance_m"]))
    return tuple(out)


def read_roster(folder: Path) -> tuple[RosterEntry, ...]:
    """``rosters.csv`` of a plan directory; a duty must end after it starts."""
    table = read_table(Path(folder) / "rosters.csv")
    out = []
    for row, r in table.numbered():
        start, end = parse_time(r["start"]), parse_time(r["end"])
        if end <= start:
            raise table.error(row, "end", "duty ends before it starts", "make end later than start")
        out.append(RosterEntry(r["officer"], r["station_id"], r["period"], r["post_id"], start, end, role=r["role"]))
    return tuple(out)


def violation_cells(violations: Sequence) -> tuple[list[str], list[list[str]]]:
    """Header and cells of ``violations.csv``: file, row, field, rule, detail."""
    return _cells(VIOLATION_COLUMNS, ([v.file, v.row, v.field, v.rule, v.detail] for v in violations))


def read_plan_rows(folder: Path) -> dict[str, Any]:
    """Every file of a plan directory, checked, as the keyword arguments of
    :class:`geo_patrol.plan.Plan` (``meta``, ``schools``, ``stations``, ``posts``, ...)."""
    folder = Path(folder)
    meta = read_meta(folder)
    datum = output_datum(meta)
    periods = list(meta["summary"]["periods"])
    schools = tuple(
        SchoolRow(r["school_id"], r["name"], r["kind"], *_wgs(r, datum), r["enrolment"], r["priority"],
                  r["morning"], r["noon"], r["afternoon"],
                  tuple((parse_team(r["school_team"], strict=False) or {}).items()))
        for r in read_table(folder / "schools.csv").records
    )
    station_columns = {**TABLES["stations.csv"], **use_columns(periods)}
    stations = tuple(
        StationRow(r["station_id"], r["name"], *_wgs(r, datum), r["police"], r["auxiliary"], r["cars"],
                   {p: tuple(r[f"{w}_used_{p}"] for w in USE_KINDS) for p in periods}, kind=r["kind"])
        for r in read_table(folder / "stations.csv", station_columns).records
    )
    roster = read_roster(folder)
    routes = tuple(
        RouteLine(f["properties"]["vehicle_id"], f["properties"]["station_id"], f["properties"]["period"],
                  parse_time(f["properties"]["start"]), parse_time(f["properties"]["end"]),
                  float(f["properties"]["drive_km"]), int(f["properties"]["stops"]),
                  tuple(tuple(c) for c in f["geometry"]["coordinates"]),
                  tuple(parse_time(t) for t in f["properties"]["times"]))
        for f in read_geojson(folder / "routes.geojson", required=True)["features"]
    )
    coverage = read_coverage(folder / "coverage.csv", meta)
    roads = read_geojson(folder / "roads.geojson", required=False) or {}
    reach = read_geojson(folder / "reach.geojson", required=False) or {}
    return dict(directory=str(folder), meta=meta, schools=schools, stations=stations,
                posts=read_posts(folder, datum), roster=roster, visits=read_visits(folder, datum), routes=routes,
                coverage=coverage, roads=roads, reach=reach)


def read_coverage(path: Path, meta: Mapping[str, Any] | None = None) -> tuple[Coverage, ...]:
    """``coverage.csv`` (or another file with its columns) as :class:`~geo_patrol.model.Coverage` rows.

    With the plan's ``meta`` each missed row gets its reason as data (``why``): from
    ``plan.json``'s ``reasons``, or, for a plan written before reasons were data, the words its
    files hold (``reason`` in English, ``reason_text`` in the plan's language).
    """
    table = read_table(Path(path), TABLES["coverage.csv"])
    rows = tuple(
        Coverage(r["school_id"], r["period"], parse_time(r["window_start"]), parse_time(r["window_end"]),
                 r["officer_seen"], r["car_seen"], r["lights_seen"], r["three_sightings"],
                 r["officer_presence_pct"], r["worst_response_s"], r["within_target_pct"], r["second_unit_300s"],
                 r["sources"], r["reason"], strict_met=r["strict_met"], post_present=r["post_present"])
        for r in table.records
    )
    if meta is None:
        return rows
    book = ReasonBook(meta)
    written = table.extra.get("reason_text") or tuple(c.reason for c in rows)
    out = []
    for row, words in zip(rows, written):
        why = book.by_window.get((row.school_id, row.period, format_time(row.window_start_s)))
        if why is not None and reason_text(why, "en") != row.reason:  # edited by hand: its words count
            why = None
        if why is None and row.reason:
            why = (Reason.of("words", en=row.reason, zh=words if book.lang == "zh" and words else row.reason),)
        out.append(replace(row, why=why) if why else row)
    return tuple(out)


# ---------------------------------------------------------------------------------------------
# The plan as DataFrames (the map and the documents read it this way)


@dataclass(frozen=True)
class PlanFiles:
    """The contents of a plan directory, checked.

    Tables are pandas DataFrames with the columns of the plan format: ids and names are ``str``,
    lon/lat ``float`` (WGS-84 degrees), counts ``int``, flags ``bool``, times of day the plan's
    ``HH:MM:SS`` text (checked to parse). GeoJSON files are plain dicts; ``roads`` and ``reach``
    are ``None`` when the files are absent.
    """

    plan_dir: Path | None
    plan: Mapping[str, Any]
    schools: pd.DataFrame
    posts: pd.DataFrame
    rosters: pd.DataFrame
    visits: pd.DataFrame
    coverage: pd.DataFrame
    stations: pd.DataFrame
    routes: Mapping[str, Any]
    roads: Mapping[str, Any] | None
    reach: Mapping[str, Any] | None

    @property
    def datum(self) -> str:
        """The datum the plan shows coordinates to people in (its files; the frames hold WGS-84)."""
        return output_datum(self.plan)

    def shown(self, lon: float, lat: float) -> tuple[float, float]:
        """A WGS-84 point of the frames as people read and paste it: in the plan's output datum."""
        if self.datum == "wgs84":
            return float(lon), float(lat)
        x, y = from_wgs84(float(lon), float(lat), self.datum)
        return float(x), float(y)

    def file(self, name: str) -> Path:
        """Where a file of this plan is (or would be) — for messages about a plan held in memory too."""
        return (self.plan_dir if self.plan_dir is not None else Path("plan")) / name

    @property
    def summary(self) -> Mapping[str, Any]:
        return self.plan.get("summary", {})

    @property
    def parameters(self) -> Mapping[str, Any]:
        return self.plan.get("parameters", {})

    @property
    def periods(self) -> list[str]:
        """The plan's periods in clock order (from the summary, else from coverage)."""
        listed = self.summary.get("periods") or sorted(set(self.coverage["period"]))
        return [p for p in PERIODS if p in listed]

    @property
    def school_names(self) -> dict[str, str]:
        return dict(zip(self.schools["school_id"], self.schools["name"]))

    @property
    def station_names(self) -> dict[str, str]:
        return dict(zip(self.stations["station_id"], self.stations["name"]))


def plan_frames(plan) -> PlanFiles:
    """The :class:`PlanFiles` of a plan in memory: its cells rendered as the writer writes them,
    then read through the same checks as the files (so a written plan reads back equal)."""
    label = Path(plan.directory or "plan")
    cells = plan_cells(plan)
    tables = {name: _frame(_table(label / name, header, [[neutralise(c) for c in row] for row in rows], TABLES[name]))
              for name, (header, rows) in cells.items()}
    _frames_to_wgs(tables, output_datum(plan.meta))
    return PlanFiles(plan_dir=None if plan.directory is None else Path(plan.directory), plan=plan.meta,
                     schools=tables["schools.csv"], posts=tables["posts.csv"], rosters=tables["rosters.csv"],
                     visits=tables["visits.csv"], coverage=tables["coverage.csv"], stations=tables["stations.csv"],
                     routes=routes_geojson(plan.routes), roads=plan.roads or None, reach=plan.reach or _EMPTY)


def read_plan_dir(plan_dir: str | Path) -> PlanFiles:
    """Read and check a plan directory; :class:`InputError` names the file, row and field at fault."""
    plan_dir = Path(plan_dir)
    plan = read_meta(plan_dir)
    tables = {name: _frame(read_table(plan_dir / name)) for name in TABLES}
    _frames_to_wgs(tables, output_datum(plan))
    routes = read_geojson(plan_dir / "routes.geojson", required=True)
    roads = read_geojson(plan_dir / "roads.geojson", required=False)
    reach = read_geojson(plan_dir / "reach.geojson", required=False)
    if roads is None:
        log.warning("%s has no roads.geojson: the map has no basemap unless tiles are given", plan_dir)
    return PlanFiles(plan_dir=plan_dir, plan=plan, schools=tables["schools.csv"], posts=tables["posts.csv"],
                     rosters=tables["rosters.csv"], visits=tables["visits.csv"],
                     coverage=tables["coverage.csv"], stations=tables["stations.csv"],
                     routes=routes, roads=roads, reach=reach)


_DTYPES = {"lon": "float64", "lat": "float64", "float": "float64", "int": "int64", "bool": "bool"}


def _frames_to_wgs(tables: dict[str, pd.DataFrame], datum: str) -> None:
    """The frames' points back in WGS-84 (the map draws in WGS-84; documents show them with
    :meth:`PlanFiles.shown`)."""
    if datum == "wgs84":
        return
    for name, pairs in (("schools.csv", [("lon", "lat")]), ("stations.csv", [("lon", "lat")]),
                        ("posts.csv", [("lon", "lat")]), ("visits.csv", [("lon", "lat"), ("stop_lon", "stop_lat")])):
        frame = tables[name]
        for lon, lat in pairs:
            if len(frame):
                x, y = to_wgs84(frame[lon].to_numpy(float), frame[lat].to_numpy(float), datum)
                frame[lon], frame[lat] = np.asarray(x, dtype=float), np.asarray(y, dtype=float)


def _frame(table) -> pd.DataFrame:
    """A checked table as a DataFrame; a column outside the format is numeric when every cell is."""
    frame = pd.DataFrame({c: pd.Series([r[c] for r in table.records], dtype=_DTYPES.get(kind, object))
                          for c, kind in table.columns.items()})
    for name, cells in table.extra.items():  # e.g. per-period use columns of stations.csv
        raw = pd.Series(cells, dtype=object)
        numeric = pd.to_numeric(raw, errors="coerce")
        frame[name] = numeric if numeric.notna().all() and len(numeric) else raw
    return frame
