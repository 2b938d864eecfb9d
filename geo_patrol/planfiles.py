"""The plan directory format: file names, columns, and the one checked reader of its files.

A plan directory (format ``geo_patrol.plan/1``) holds ``plan.json``, UTF-8 CSV files with a
byte order mark and GeoJSON files; :data:`PLAN_FILES` lists them and :data:`TABLES` gives every
CSV file's columns, in the order they are written, with the kind of value each holds.
:mod:`geo_patrol.planio` writes the files from these column lists and reads them back into a
:class:`~geo_patrol.plan.Plan`; :mod:`geo_patrol.report` reads them into DataFrames for the
map and the documents. Both read through :func:`read_meta`, :func:`read_table` and
:func:`read_geojson`, so the two give the same error for the same bad cell.

Column kinds and what a cell must hold:

- ``str`` — non-empty text; ``opt_str`` — any text.
- ``period`` — ``morning``, ``noon`` or ``afternoon``.
- ``lon`` / ``lat`` — WGS-84 degrees within ±180 / ±90; ``float`` — a finite number.
- ``int`` — a whole number (``3`` or ``3.0``).
- ``bool`` — ``true/false``, ``yes/no``, ``1/0``, ``是/否``, ``t/f``, ``y/n``; a blank cell is false.
- ``time`` — a time of day (``HH:MM:SS``), kept as the file's text.
- ``opt_window`` — blank or a window ``HH:MM-HH:MM``, kept as the file's text.

Error messages name the file, the data row (counted from 1, the header not counted) and the
column.
"""

from __future__ import annotations

import csv
import json
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo_patrol.clock import parse_time, parse_window
from geo_patrol.errors import InputError

__all__ = [
    "FORMAT_PREFIX", "PERIODS", "PLAN_FILES", "TABLES", "USE_KINDS", "Table", "read_geojson", "read_json",
    "read_meta", "read_table", "use_columns",
]

FORMAT_PREFIX = "geo_patrol.plan/"
"""``plan.json``'s ``format`` starts with this; the number after it is the format version."""

PERIODS = ("morning", "noon", "afternoon")
"""The periods a plan can hold, in clock order."""

PLAN_FILES = (
    "plan.json", "schools.csv", "stations.csv", "posts.csv", "posts.geojson", "rosters.csv", "visits.csv",
    "routes.geojson", "coverage.csv", "roads.geojson", "reach.geojson",
)
"""Every file the planner writes into a plan directory."""

TABLES: Mapping[str, Mapping[str, str]] = {
    "schools.csv": {"school_id": "str", "name": "str", "kind": "str", "lon": "lon", "lat": "lat",
                    "enrolment": "int", "priority": "int", "morning": "opt_window", "noon": "opt_window",
                    "afternoon": "opt_window"},
    "stations.csv": {"station_id": "str", "name": "str", "lon": "lon", "lat": "lat", "police": "int",
                     "auxiliary": "int", "cars": "int"},
    "posts.csv": {"post_id": "str", "period": "period", "lon": "lon", "lat": "lat", "station_id": "str",
                  "school_ids": "str", "duty_start": "time", "duty_end": "time", "police": "int",
                  "auxiliary": "int", "car_at_post": "bool"},
    "rosters.csv": {"officer": "str", "station_id": "str", "period": "period", "post_id": "str",
                    "start": "time", "end": "time"},
    "visits.csv": {"vehicle_id": "str", "station_id": "str", "period": "period", "seq": "int",
                   "school_id": "str", "lon": "lon", "lat": "lat", "arrive": "time", "depart": "time"},
    "coverage.csv": {"school_id": "str", "period": "period", "window_start": "time", "window_end": "time",
                     "officer_seen": "bool", "car_seen": "bool", "lights_seen": "bool",
                     "three_sightings": "bool", "officer_presence_pct": "float", "worst_response_s": "int",
                     "within_target_pct": "float", "second_unit_300s": "bool", "sources": "opt_str",
                     "reason": "opt_str"},
}
"""CSV file → (column → kind), columns in file order. ``stations.csv`` is followed by
:func:`use_columns` of the plan's periods."""

USE_KINDS = ("police", "auxiliary", "cars")
"""What ``stations.csv`` counts as used per period, in column order."""

_RERUN = "the plan directory is incomplete or from another version; write it again with the planner"
_TRUE = {"true", "1", "yes", "是", "y", "t"}
_FALSE = {"false", "0", "no", "否", "n", "f", ""}
_KINDS = {"str", "opt_str", "period", "lon", "lat", "float", "int", "bool", "time", "opt_window"}


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
                         hint=f"expected '{FORMAT_PREFIX}1'; " + _RERUN)
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
    missing = [c for c in columns if c not in header]
    if missing:
        raise InputError("column missing", file=path, field=missing[0], hint=_RERUN)
    position: dict[str, int] = {}
    for i, name in enumerate(header):
        position.setdefault(name, i)  # a repeated column name: the first one counts
    records = tuple(
        {c: _convert(cells[position[c]], kind, path, row, c) for c, kind in columns.items()}
        for row, cells in enumerate(rows, start=2)
    )
    extra = {name: tuple(cells[i] for cells in rows) for name, i in position.items() if name not in columns}
    return Table(path=path, columns=dict(columns), records=records, extra=extra)


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and data rows of a CSV file, cells stripped; blank lines are skipped.

    A row shorter than the header is padded with blank cells (a spreadsheet may drop empty
    trailing cells); a longer row is an error.
    """
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            lines = [line for line in csv.reader(handle) if line]
    except (UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read this CSV ({exc})", file=path, hint=_RERUN) from exc
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
}


def _convert(value: str, kind: str, path: Path, row: int, column: str) -> Any:
    """The value of one stripped cell by its column's kind (see the module docstring)."""

    def bad(problem: str) -> InputError:
        return InputError(problem, file=path, row=row, field=column, hint=_CELL_HINTS.get(kind, _RERUN))

    if kind == "opt_str" or (kind == "opt_window" and value == ""):
        return value
    if kind == "bool":
        low = value.lower()
        if low in _TRUE:
            return True
        if low in _FALSE:
            return False
        raise bad(f"'{value}' is not true/false")
    if value == "":
        raise bad("empty value")
    if kind == "str":
        return value
    if kind == "period":
        if value not in PERIODS:
            raise bad(f"'{value}' is not a period")
        return value
    if kind in ("lon", "lat", "float", "int"):
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
    try:
        (parse_time if kind == "time" else parse_window)(value)
    except ValueError as exc:
        raise bad(str(exc)) from None
    return value
