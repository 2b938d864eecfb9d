"""Readers of what cars and officers really did: vehicle tracks, the vehicles table, check-ins.

These are the inputs of the execution audit (督导检查). Every reader raises
:class:`~geo_patrol.errors.InputError` naming the file, the row and the field, with a hint, for
every malformed file, row or field; a file with several bad rows reports them all at once, as the
planner's tables do (:mod:`geo_patrol.io.tables`, whose encoding detection — UTF-8, UTF-8 with a
byte order mark, GBK/GB18030 —, header search below title rows and separator guessing are used
here too).

**Vehicle tracks** (:func:`read_tracks`): CSV, XLSX, GPX or GeoJSON points. Columns (see
:data:`TRACK_FIELDS` for every accepted header): ``vehicle`` (车牌号, 车辆编号, 车辆, 终端号),
``time`` (定位时间, 时间, GPS时间), ``lon`` (经度), ``lat`` (纬度), and optionally ``speed`` in km/h
(速度), ``heading`` in degrees (方向) and ``lights`` (警灯: 1/0, 开/关, on/off, true/false; an empty
cell or an absent column is *unknown*, NaN). A file may hold several vehicles, or one vehicle
without a vehicle column: then **the vehicle is the file's name without its suffix**
(``粤B12345.csv`` → ``粤B12345``; a GPX track's ``<name>`` when it has one). Times are ISO 8601
(``2026-09-01T07:30:05``), ``YYYY-MM-DD HH:MM:SS`` or ``YYYY/M/D H:MM:SS`` (seconds and
fractions optional), spreadsheet date-time cells, or Unix time (10 or 13 digits, UTC); they are
clock times of the scenario's time zone, unless the value carries an offset (``+08:00``, ``Z``),
in which case it is converted to that zone (GPX times and Unix times are UTC). Coordinates are in
the datum the caller declares (``wgs84``, ``gcj02``, ``bd09``) and converted to WGS-84
(:mod:`geo_patrol.datum`).

Points are kept in file order (the matcher, :mod:`geo_patrol.matching`, sorts them and marks
duplicated and out-of-order points); the points of one vehicle from several files are put
together, file after file. Each point keeps its file and row number for evidence: the spreadsheet
row (header on row 1, first data row 2, title rows counted), the feature number from 1 in
GeoJSON, the point number from 1 in GPX.

**Vehicles table** (:func:`read_vehicles`): plate → station and the plan's car id
(``PS01/1``: station id, slash, the car's number at that station, as in ``visits.csv``).

**Check-ins** (:func:`read_checkins`): 警务通 records of an officer or a post: date, time in, time
out, optionally where. A blank time is *no record* (None), not an absence: the audit decides.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import math
import re
import zoneinfo
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gpxpy
import gpxpy.gpx
import numpy as np
import openpyxl

from geo_patrol.datum import normalise_datum, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.io.tables import (
    HEADER_SEARCH_ROWS,
    MAX_REPORTED_PROBLEMS,
    FieldSpec,
    Table,
    _collected,
    _decode,
    _delimiter,
    _find_header,
    _missing_fields,
    _resolve_headers,
)

__all__ = [
    "TRACK_FIELDS", "VEHICLE_FIELDS", "CHECKIN_FIELDS", "VehicleTrack", "VehicleRecord", "CheckIn",
    "read_tracks", "read_track_file", "read_vehicles", "read_checkins", "parse_datetime", "parse_lights",
]

_LON = ("lon", "lng", "longitude", "x", "经度")
_LAT = ("lat", "latitude", "y", "纬度")

TRACK_FIELDS = (
    FieldSpec("vehicle", ("vehicle", "vehicle_id", "plate", "car", "device", "车牌号", "车牌", "车牌号码",
                          "车辆编号", "车辆", "终端号", "终端编号"), False),
    FieldSpec("time", ("time", "timestamp", "datetime", "gps_time", "定位时间", "时间", "gps时间", "上报时间")),
    FieldSpec("lon", _LON),
    FieldSpec("lat", _LAT),
    FieldSpec("speed", ("speed", "speed_kph", "速度", "车速", "速度(km/h)"), False),
    FieldSpec("heading", ("heading", "course", "direction", "方向", "方向角", "航向"), False),
    FieldSpec("lights", ("lights", "light", "beacon", "警灯", "警灯状态"), False),
)

VEHICLE_FIELDS = (
    FieldSpec("plate", ("plate", "车牌号", "车牌", "车牌号码", "终端号", "终端编号", "vehicle")),
    FieldSpec("station_id", ("station_id", "station", "派出所编号", "所属派出所", "单位编号")),
    FieldSpec("car_id", ("car_id", "vehicle_id", "plan_vehicle", "车辆编号", "车号", "计划车辆", "车辆代号")),
)

CHECKIN_FIELDS = (
    FieldSpec("officer", ("officer", "officer_id", "警员编号", "警号", "民警", "警员", "人员"), False),
    FieldSpec("post", ("post", "post_id", "岗位", "岗点编号", "岗点", "岗位编号"), False),
    FieldSpec("date", ("date", "日期", "执勤日期", "签到日期"), False),
    FieldSpec("time_in", ("time_in", "check_in", "in", "签到时间", "签到", "到岗时间")),
    FieldSpec("time_out", ("time_out", "check_out", "out", "签退时间", "签退", "离岗时间"), False),
    FieldSpec("lon", _LON, False),
    FieldSpec("lat", _LAT, False),
)

_LIGHTS_ON = {"1", "on", "true", "yes", "y", "t", "开", "开启", "是", "亮"}
_LIGHTS_OFF = {"0", "off", "false", "no", "n", "f", "关", "关闭", "否", "灭"}

_DATETIME = re.compile(
    r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]+(\d{1,2})[:：](\d{1,2})(?:[:：](\d{1,2})(\.\d+)?)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?$", re.IGNORECASE)
_EPOCH = re.compile(r"^\d{10}(?:\d{3})?$")
_CLOCK = re.compile(r"^(\d{1,2})[:：](\d{2})(?:[:：](\d{2})(\.\d+)?)?$")

_TIME_HINT = "write the time as 2026-09-01 07:30:05 (or ISO 8601 with an offset, 2026-09-01T07:30:05+08:00)"


# --------------------------------------------------------------------------- values


def parse_datetime(text: str, zone: dt.tzinfo) -> tuple[dt.date, float]:
    """``(local date, seconds after local midnight)`` of a date-time text in ``zone``.

    Accepts ``YYYY-MM-DD HH:MM[:SS[.fff]]``, ``YYYY/M/D H:MM:SS``, ISO 8601 with ``T``, and an
    optional offset (``Z``, ``+08:00``, ``+0800``), which is converted to ``zone``; and Unix time
    as 10 digits (seconds) or 13 (milliseconds), which is UTC. Raises ``ValueError`` with a plain
    reason.
    """
    text = text.strip()
    if _EPOCH.match(text):  # Unix time of a platform export: seconds (10 digits) or milliseconds (13), UTC
        seconds = int(text) / (1000.0 if len(text) == 13 else 1.0)
        return _local(dt.datetime.fromtimestamp(seconds, dt.timezone.utc), zone)
    match = _DATETIME.match(text)
    if not match or match.group(4) is None:
        raise ValueError(f"'{text}' is not a date and time")
    y, mo, d, h, mi = (int(match.group(k)) for k in range(1, 6))
    s = int(match.group(6) or 0)
    frac = float(match.group(7)) if match.group(7) else 0.0
    try:
        day = dt.date(y, mo, d)
    except ValueError:
        raise ValueError(f"'{text}' has no such date") from None
    if h > 23 or mi > 59 or s > 59:
        raise ValueError(f"'{text}' has no such clock time")
    offset = match.group(8)
    if offset is None:
        return day, h * 3600 + mi * 60 + s + frac
    if offset.upper() == "Z":
        tz: dt.tzinfo = dt.timezone.utc
    else:
        sign = -1 if offset[0] == "-" else 1
        digits = offset[1:].replace(":", "")
        minutes = int(digits[:2]) * 60 + (int(digits[2:4]) if len(digits) > 2 else 0)
        tz = dt.timezone(sign * dt.timedelta(minutes=minutes))
    return _local(dt.datetime(y, mo, d, h, mi, s, tzinfo=tz), zone, frac)


def _local(moment: dt.datetime, zone: dt.tzinfo, frac: float = 0.0) -> tuple[dt.date, float]:
    """An aware date-time as the date and seconds after midnight in ``zone``; a naive one is in ``zone``."""
    if moment.tzinfo is not None:
        moment = moment.astimezone(zone)
    return moment.date(), moment.hour * 3600 + moment.minute * 60 + moment.second + moment.microsecond / 1e6 + frac


def parse_lights(text: str) -> float:
    """1.0 (on), 0.0 (off) or NaN (empty: unknown) for a 警灯 cell; ``ValueError`` otherwise."""
    value = text.strip().lower()
    if not value:
        return math.nan
    if value in _LIGHTS_ON:
        return 1.0
    if value in _LIGHTS_OFF:
        return 0.0
    try:
        number = float(value)
    except ValueError:
        number = math.nan
    if number in (0.0, 1.0):
        return number
    raise ValueError(f"'{text}' is not on/off")


def _zone(tz: str | dt.tzinfo) -> dt.tzinfo:
    if isinstance(tz, dt.tzinfo):
        return tz
    try:
        return zoneinfo.ZoneInfo(str(tz))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"'{tz}' is not a time zone", field="timezone",
                         hint="give an IANA zone such as Asia/Shanghai (the scenario's timezone)") from None


def _datum(datum: str, path: Path) -> str:
    try:
        return normalise_datum(datum)
    except InputError as exc:
        raise InputError(exc.problem, file=path, field="datum", hint=exc.hint) from None


def _cell(value: Any) -> str:
    """A spreadsheet cell as text; date-times keep their seconds (ISO), times are HH:MM:SS."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, dt.time):
        return value.strftime("%H:%M:%S")
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        return str(int(value)) if value.is_integer() and abs(value) < 1e15 else repr(value)
    return str(value).strip()


# --------------------------------------------------------------------------- tables


@dataclass(frozen=True)
class _Lines:
    """A table as header + rows of text cells with their spreadsheet row numbers."""

    where: str
    headers: tuple[str, ...]
    columns: dict[str, str]  # field name → header
    rows: list[list[str]]
    numbers: list[int]
    header_row: int | None

    def column(self, name: str) -> list[str] | None:
        header = self.columns.get(name)
        if header is None:
            return None
        k = self.headers.index(header)
        return [r[k].strip() if k < len(r) else "" for r in self.rows]


def _lines_table(path: Path, where: str, lines: Sequence[Sequence[str]], fields: Sequence[FieldSpec]) -> _Lines:
    filled = 0
    head = len(lines)
    for i, line in enumerate(lines):  # the header is among the first non-empty lines: look only there
        filled += bool("".join(line).strip())
        if filled >= HEADER_SEARCH_ROWS:
            head = i + 1
            break
    header_index = _find_header(lines[:head], fields)
    if header_index is None:
        raise InputError("is empty", file=where, hint="export the table again with a header row and data rows")
    headers = tuple(h.strip().lstrip("\ufeff").strip() for h in lines[header_index])
    columns = _resolve_headers(Table(path, (), (), headers, header_row=header_index + 1), fields)
    rows, numbers = [], []
    for number, line in enumerate(lines[header_index + 1:], start=header_index + 2):
        if not "".join(line).strip():
            continue
        rows.append(list(line))
        numbers.append(number)
    if not rows:
        raise InputError("has a header but no data rows", file=where, hint="add at least one row")
    return _Lines(where, headers, columns, rows, numbers, header_index + 1)


def _read_lines(path: Path, fields: Sequence[FieldSpec], sheet: str | None = None) -> _Lines:
    """A CSV or XLSX table of ``fields``."""
    if not path.is_file():
        raise InputError("file not found", file=path, hint="check the path")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        data = path.read_bytes()
        if not data.strip():
            raise InputError("is empty", file=path, hint="export the table again with a header row and data rows")
        text = _decode(path, data)
        try:
            lines = list(csv.reader(io.StringIO(text), delimiter=_delimiter(text, fields)))
        except csv.Error as exc:
            raise InputError(f"is not valid CSV ({exc})", file=path, hint="check quotes and separators") from None
        return _lines_table(path, str(path), lines, fields)
    if suffix in {".xlsx", ".xlsm"}:
        try:
            book = openpyxl.load_workbook(path, read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many kinds for a broken workbook
            raise InputError(f"is not a readable Excel workbook ({type(exc).__name__})", file=path,
                             hint="open it in Excel and save it again as .xlsx") from None
        try:
            names = [s.title for s in book.worksheets]
            if sheet is not None:
                if sheet not in names:
                    raise InputError(f"has no sheet '{sheet}'", file=path,
                                     hint="its sheets are " + ", ".join(f"'{n}'" for n in names))
                index = names.index(sheet)
                lines = _sheet_cells(book.worksheets[index])
            else:  # the first sheet whose header has every required column (a cover sheet is passed over)
                index, lines = 0, None
                for k, ws in enumerate(book.worksheets):
                    cells = _sheet_cells(ws)
                    header = _find_header(cells[:HEADER_SEARCH_ROWS * 5], fields)
                    if header is not None and not _missing_fields(cells[header], fields):
                        index, lines = k, cells
                        break
                if lines is None:
                    lines = _sheet_cells(book.worksheets[0])
        finally:
            book.close()
        where = str(path) if len(names) < 2 else str(path.with_name(f"{path.name} (sheet '{names[index]}')"))
        return _lines_table(path, where, lines, fields)
    raise InputError(f"unknown table format '{suffix}'", file=path, hint="use .csv or .xlsx")


def _sheet_cells(sheet: Any) -> list[list[str]]:
    return [[_cell(v) for v in row] for row in sheet.iter_rows(values_only=True)]


class _Problems:
    """Every problem of a file, raised at once (one as it is, several as one report)."""

    def __init__(self, where: str) -> None:
        self.where = where
        self.found: list[InputError] = []

    def add(self, problem: str, *, row: int | None, field: str | None, hint: str) -> None:
        self.found.append(InputError(problem, file=self.where, row=row, field=field, hint=hint))

    @property
    def full(self) -> bool:
        return len(self.found) > 10 * MAX_REPORTED_PROBLEMS

    def raise_any(self) -> None:
        self.found.sort(key=lambda p: p.row or 0)
        if len(self.found) == 1:
            raise self.found[0]
        if self.found:
            rows = len({p.row for p in self.found})
            head = f"{len(self.found)} problems in {rows} row{'s' if rows > 1 else ''}, one per line below"
            raise _collected(self.where, self.found, head)


def _numbers(values: list[str], numbers: list[int], field: str, header: str, problems: _Problems, *,
             required: bool, low: float = -math.inf, high: float = math.inf, hint: str) -> np.ndarray:
    """A column as float64 (NaN for an empty optional cell); bad cells go to ``problems``."""
    cleaned = [v.replace("，", ".").replace("°", "") for v in values]
    try:
        out = np.array([v if v else "nan" for v in cleaned], dtype=np.float64)
        bad = np.isinf(out) | (out < low) | (out > high)
        if required:
            bad |= np.isnan(out)
        if not bad.any():
            return out
    except ValueError:
        out = np.full(len(values), np.nan)
    for k, raw in enumerate(cleaned):
        if problems.full:
            break
        try:
            value = float(raw) if raw else math.nan
        except ValueError:
            problems.add(f"'{values[k]}' is not a number", row=numbers[k], field=header, hint=hint)
            continue
        if math.isnan(value) and (required or raw):
            problems.add("is empty" if not raw else f"'{values[k]}' is not a number", row=numbers[k],
                         field=header, hint=hint)
        elif math.isinf(value) or not low <= value <= high:
            problems.add(f"{raw} is out of range {low:g}…{high:g}", row=numbers[k], field=header, hint=hint)
        else:
            out[k] = value
    return out


# --------------------------------------------------------------------------- tracks


@dataclass(frozen=True, eq=False)
class VehicleTrack:
    """The points of one vehicle, numpy arrays of equal length, read-only, in file order.

    ``date`` (``datetime64[D]``, local) and ``time_s`` (seconds after that date's local midnight)
    give when; ``lon``/``lat`` WGS-84 degrees; ``speed_kph``, ``heading_deg`` and ``lights``
    (1 on, 0 off) are NaN where unknown. ``file`` indexes ``sources`` (the files read) and
    ``row`` is the point's row in its file, for evidence.
    """

    vehicle: str
    date: np.ndarray
    time_s: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    speed_kph: np.ndarray
    heading_deg: np.ndarray
    lights: np.ndarray
    row: np.ndarray
    file: np.ndarray
    sources: tuple[str, ...]

    def __post_init__(self) -> None:
        n = len(self.time_s)
        for name in ("date", "time_s", "lon", "lat", "speed_kph", "heading_deg", "lights", "row", "file"):
            a = np.ascontiguousarray(getattr(self, name))
            if len(a) != n:
                raise ValueError(f"{name} has {len(a)} values, time_s {n}")
            a.flags.writeable = False
            object.__setattr__(self, name, a)

    def __len__(self) -> int:
        return int(self.time_s.size)

    @property
    def dates(self) -> tuple[dt.date, ...]:
        """The local dates the track has points on, in order."""
        return tuple(d.astype(object) for d in np.unique(self.date))

    @property
    def seconds(self) -> np.ndarray:
        """Seconds after local midnight of the first date: one clock over several dates."""
        if not len(self):
            return np.zeros(0)
        days = (self.date - self.date.min()).astype(np.int64)
        return days * 86400.0 + self.time_s

    def on(self, day: dt.date | str) -> VehicleTrack:
        """The points of one local date."""
        keep = self.date == np.datetime64(day, "D")
        return self.take(np.flatnonzero(keep))

    def take(self, index: np.ndarray) -> VehicleTrack:
        """The points at ``index``, in that order."""
        return VehicleTrack(self.vehicle, self.date[index], self.time_s[index], self.lon[index], self.lat[index],
                            self.speed_kph[index], self.heading_deg[index], self.lights[index], self.row[index],
                            self.file[index], self.sources)

    def where(self, k: int) -> str:
        """``file, row N`` of point ``k`` (for evidence)."""
        return f"{Path(self.sources[int(self.file[k])]).name}, row {int(self.row[k])}"


@dataclass
class _Columns:
    """Points of one file before they are grouped by vehicle."""

    vehicle: list[str]
    date: np.ndarray
    time_s: np.ndarray
    lon: np.ndarray
    lat: np.ndarray
    speed: np.ndarray
    heading: np.ndarray
    lights: np.ndarray
    row: np.ndarray


def _times(values: Sequence[Any], numbers: Sequence[int], header: str, zone: dt.tzinfo,
           problems: _Problems) -> tuple[np.ndarray, np.ndarray]:
    dates = np.zeros(len(values), dtype="datetime64[D]")
    secs = np.zeros(len(values))
    cache: dict[str, tuple[dt.date, float]] = {}
    for k, value in enumerate(values):
        try:
            if isinstance(value, dt.datetime):
                day, s = _local(value, zone)
            else:
                text = value.strip()
                if not text:
                    raise ValueError("is empty")
                found = cache.get(text)
                if found is None:
                    found = cache[text] = parse_datetime(text, zone)
                day, s = found
        except ValueError as exc:
            if not problems.full:
                problems.add(str(exc), row=numbers[k], field=header, hint=_TIME_HINT)
            continue
        dates[k] = np.datetime64(day, "D")
        secs[k] = s
    return dates, secs


def _lights(values: list[str] | None, n: int, numbers: list[int], header: str, problems: _Problems) -> np.ndarray:
    if values is None:
        return np.full(n, np.nan)
    out = np.full(n, np.nan)
    for k, value in enumerate(values):
        try:
            out[k] = parse_lights(value)
        except ValueError as exc:
            if not problems.full:
                problems.add(str(exc), row=numbers[k], field=header,
                             hint="write 1/0, 开/关, on/off or true/false, or leave it empty when not known")
    return out


def _check_lonlat(lon: np.ndarray, lat: np.ndarray, numbers: Sequence[int], columns: Mapping[str, str],
                  problems: _Problems) -> None:
    """The common swap of longitude and latitude, then the ranges (NaN: already reported)."""
    lon_h, lat_h = columns.get("lon", "lon"), columns.get("lat", "lat")
    with np.errstate(invalid="ignore"):
        swapped = ((np.abs(lon) <= 90) & (np.abs(lat) > 90)) | ((lon >= 3) & (lon <= 54) & (lat >= 73) & (lat <= 136))
        out_lon = ~swapped & (np.abs(lon) > 180)
        out_lat = ~swapped & (np.abs(lat) > 90)
    for k in np.flatnonzero(swapped | out_lon | out_lat)[:MAX_REPORTED_PROBLEMS]:
        if swapped[k]:
            problems.add(f"longitude {lon[k]} and latitude {lat[k]} look swapped", row=numbers[k], field=lon_h,
                         hint=f"swap the values of the '{lon_h}' and '{lat_h}' columns")
        elif out_lon[k]:
            problems.add(f"longitude {lon[k]} is out of range", row=numbers[k], field=lon_h,
                         hint="longitude must lie in -180…180 degrees")
        else:
            problems.add(f"latitude {lat[k]} is out of range", row=numbers[k], field=lat_h,
                         hint="latitude must lie in -90…90 degrees")
    lon[swapped | out_lon | out_lat] = np.nan


def _table_points(lines: _Lines, zone: dt.tzinfo, default_vehicle: str) -> _Columns:
    problems = _Problems(lines.where)
    n, numbers, cols = len(lines.rows), lines.numbers, lines.columns
    vehicle = lines.column("vehicle")
    if vehicle is None:
        vehicle = [default_vehicle] * n
    else:
        for k, v in enumerate(vehicle):
            if not v and not problems.full:
                problems.add("is empty", row=numbers[k], field=cols["vehicle"],
                             hint="give every point its vehicle (plate or terminal number)")
    dates, secs = _times(lines.column("time"), numbers, cols["time"], zone, problems)
    lon = _numbers(lines.column("lon"), numbers, "lon", cols["lon"], problems, required=True,
                   hint="write a decimal degree such as 114.3052")
    lat = _numbers(lines.column("lat"), numbers, "lat", cols["lat"], problems, required=True,
                   hint="write a decimal degree such as 30.5928")
    _check_lonlat(lon, lat, numbers, cols, problems)
    optional = {}
    for name, high, hint in (("speed", 400.0, "write km/h such as 36.5, or leave it empty"),
                             ("heading", 360.0, "write degrees from north, 0–360, or leave it empty")):
        values = lines.column(name)
        optional[name] = (np.full(n, np.nan) if values is None else
                          _numbers(values, numbers, name, cols[name], problems, required=False, low=0.0,
                                   high=high, hint=hint))
    lights = _lights(lines.column("lights"), n, numbers, cols.get("lights", "lights"), problems)
    problems.raise_any()
    return _Columns(vehicle, dates, secs, lon, lat, optional["speed"], optional["heading"], lights,
                    np.asarray(numbers, dtype=np.int64))


def _gpx_points(path: Path, zone: dt.tzinfo) -> _Columns:
    try:
        parsed = gpxpy.parse(path.read_text(encoding="utf-8-sig"))
    except (gpxpy.gpx.GPXException, UnicodeDecodeError, ValueError) as exc:
        raise InputError(f"is not a readable GPX file ({exc})".replace("\n", " "), file=path,
                         hint="export the track again as GPX 1.1") from None
    problems = _Problems(str(path))
    vehicle, times, lon, lat, speed, heading, rows = [], [], [], [], [], [], []
    number = 0
    groups = [(t.name, p) for t in parsed.tracks for s in t.segments for p in s.points]
    groups += [(r.name, p) for r in parsed.routes for p in r.points]
    groups += [(None, p) for p in parsed.waypoints]
    for name, point in groups:
        number += 1
        if point.time is None:
            problems.add("has no time", row=number, field="time",
                         hint="export the track with a <time> for every point")
            continue
        vehicle.append((name or "").strip() or path.stem)
        times.append(point.time)
        lon.append(point.longitude)
        lat.append(point.latitude)
        speed.append(math.nan if point.speed is None else float(point.speed) * 3.6)
        heading.append(math.nan if getattr(point, "course", None) is None else float(point.course))
        rows.append(number)
    if number == 0:
        raise InputError("has no track points", file=path, hint="export the vehicle's track as GPX with its points")
    dates, secs = _times(times, rows, "time", zone, problems)
    lon_a, lat_a = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    problems.raise_any()
    return _Columns(vehicle, dates, secs, lon_a, lat_a, np.asarray(speed, dtype=float),
                    np.asarray(heading, dtype=float), np.full(len(rows), np.nan), np.asarray(rows, dtype=np.int64))


def _geojson_points(path: Path, zone: dt.tzinfo) -> _Columns:
    """Point features; lon/lat from the geometry, unless the properties have lon/lat columns."""
    try:
        data = json.loads(_decode(path, path.read_bytes()))
    except json.JSONDecodeError as exc:
        raise InputError(f"is not valid JSON ({exc.msg}, line {exc.lineno})", file=path,
                         hint="export the points again as GeoJSON") from None
    features = data.get("features") if isinstance(data, dict) else None
    if not isinstance(features, list) or not features:
        raise InputError("has no features", file=path, hint="give a GeoJSON FeatureCollection of points")
    problems = _Problems(str(path))

    def properties(feature: Any) -> dict:
        props = feature.get("properties") if isinstance(feature, dict) else None
        return props if isinstance(props, dict) else {}

    names = sorted({str(k) for f in features for k in properties(f)})
    lowered = {n.strip().lower() for n in names}
    own_lonlat = bool(lowered & set(_LON)) and bool(lowered & set(_LAT))
    header_row = names if own_lonlat else [*names, "lon", "lat"]
    keys = _resolve_headers(Table(path, (), (), tuple(header_row), header_row=None), TRACK_FIELDS)
    lines: list[list[str]] = []
    numbers: list[int] = []
    for number, feature in enumerate(features, start=1):
        props = properties(feature)
        line = [_cell(props.get(h)) for h in names]
        if not own_lonlat:
            geometry = feature.get("geometry") if isinstance(feature, dict) else None
            coords = geometry.get("coordinates") if isinstance(geometry, dict) else None
            if not isinstance(geometry, dict) or geometry.get("type") != "Point" or not isinstance(coords, list) \
                    or len(coords) < 2:
                kind = geometry.get("type") if isinstance(geometry, dict) else "feature"
                problems.add(f"is a {kind} without a point", row=number, field="geometry",
                             hint="give each track point as a Point feature")
                continue
            line += [str(coords[0]), str(coords[1])]
        lines.append(line)
        numbers.append(number)
    problems.raise_any()
    return _table_points(_Lines(str(path), tuple(header_row), keys, lines, numbers, None), zone, path.stem)


def read_track_file(path: str | Path, *, tz: str | dt.tzinfo = "Asia/Shanghai", datum: str = "wgs84",
                    sheet: str | None = None) -> tuple[VehicleTrack, ...]:
    """The vehicles of one track file (CSV, XLSX, GPX or GeoJSON; see the module docstring),
    in order of first appearance; ``tz`` is the scenario's time zone, ``datum`` the file's."""
    path = Path(path)
    zone = _zone(tz)
    datum = _datum(datum, path)
    if not path.is_file():
        raise InputError("file not found", file=path, hint="check the path of the track file")
    suffix = path.suffix.lower()
    if suffix == ".gpx":
        points = _gpx_points(path, zone)
    elif suffix in {".geojson", ".json"}:
        points = _geojson_points(path, zone)
    elif suffix in {".csv", ".txt", ".tsv", ".xlsx", ".xlsm"}:
        points = _table_points(_read_lines(path, TRACK_FIELDS, sheet), zone, path.stem)
    else:
        raise InputError(f"unknown track format '{suffix}'", file=path, hint="use .csv, .xlsx, .gpx or .geojson")
    lon, lat = points.lon, points.lat
    if datum != "wgs84" and lon.size:
        lon, lat = (np.asarray(a, dtype=float) for a in to_wgs84(lon, lat, datum))
    codes: dict[str, int] = {}
    code = np.fromiter((codes.setdefault(v, len(codes)) for v in points.vehicle), dtype=np.int64,
                       count=len(points.vehicle))
    order = np.argsort(code, kind="stable")
    bounds = np.searchsorted(code[order], np.arange(len(codes) + 1))
    out = []
    for name, c in codes.items():  # in order of first appearance
        k = order[bounds[c]:bounds[c + 1]]
        out.append(VehicleTrack(str(name), points.date[k], points.time_s[k], lon[k], lat[k], points.speed[k],
                                points.heading[k], points.lights[k], points.row[k], np.zeros(k.size, dtype=np.int32),
                                (str(path),)))
    return tuple(out)


def read_tracks(paths: str | Path | Iterable[str | Path], *, tz: str | dt.tzinfo = "Asia/Shanghai",
                datum: str = "wgs84", sheet: str | None = None) -> dict[str, VehicleTrack]:
    """Vehicle → its :class:`VehicleTrack`, from one file or several (a vehicle's points from
    several files are put together, file after file), sorted by vehicle."""
    files = [Path(paths)] if isinstance(paths, (str, Path)) else [Path(p) for p in paths]
    if not files:
        raise InputError("no track files given", field="tracks", hint="give one or more CSV/XLSX/GPX/GeoJSON files")
    parts: dict[str, list[VehicleTrack]] = {}
    for k, path in enumerate(files):
        for track in read_track_file(path, tz=tz, datum=datum, sheet=sheet):
            parts.setdefault(track.vehicle, []).append((k, track))
    sources = tuple(str(p) for p in files)
    out = {}
    for vehicle in sorted(parts):
        pieces = parts[vehicle]
        cat = {name: np.concatenate([getattr(t, name) for _, t in pieces])
               for name in ("date", "time_s", "lon", "lat", "speed_kph", "heading_deg", "lights", "row")}
        file = np.concatenate([np.full(len(t), k, dtype=np.int32) for k, t in pieces])
        out[vehicle] = VehicleTrack(vehicle, file=file, sources=sources, **cat)
    return out


# --------------------------------------------------------------------------- vehicles


@dataclass(frozen=True)
class VehicleRecord:
    """One row of the vehicles table: a plate (or terminal number), its station and the plan's car id."""

    plate: str
    station_id: str
    car_id: str
    row: int


_CAR_ID = re.compile(r"^(.+)/(\d+)$")


def read_vehicles(path: str | Path, *, sheet: str | None = None) -> dict[str, VehicleRecord]:
    """Plate → :class:`VehicleRecord` (see :data:`VEHICLE_FIELDS`); the car id is the plan's
    ``STATION/k`` and must name the row's station; plates and car ids are each used once."""
    lines = _read_lines(Path(path), VEHICLE_FIELDS, sheet)
    problems = _Problems(lines.where)
    cols = lines.columns
    plates, stations, cars = lines.column("plate"), lines.column("station_id"), lines.column("car_id")
    out: dict[str, VehicleRecord] = {}
    seen_car: dict[str, int] = {}
    for k, number in enumerate(lines.numbers):
        plate, station, car = plates[k], stations[k], cars[k].replace("／", "/")
        bad = False
        for name, value, hint in (("plate", plate, "write the plate or terminal number the tracks use"),
                                  ("station_id", station, "write the station id, e.g. PS01"),
                                  ("car_id", car, "write the plan's car id, e.g. PS01/1")):
            if not value:
                problems.add("is empty", row=number, field=cols[name], hint=hint)
                bad = True
        if bad:
            continue
        match = _CAR_ID.match(car)
        if not match or int(match.group(2)) < 1:
            problems.add(f"'{car}' is not a car id", row=number, field=cols["car_id"],
                         hint="write the plan's car id: station id, slash, the car's number there (PS01/1), as in "
                              "visits.csv")
            continue
        if match.group(1) != station:
            problems.add(f"car '{car}' belongs to station '{match.group(1)}', the row says '{station}'", row=number,
                         field=cols["car_id"], hint="correct the station or the car id")
            continue
        if plate in out:
            problems.add(f"plate '{plate}' is listed twice (also row {out[plate].row})", row=number,
                         field=cols["plate"], hint="give each plate one row")
            continue
        if car in seen_car:
            problems.add(f"car id '{car}' is given to two plates (also row {seen_car[car]})", row=number,
                         field=cols["car_id"], hint="give each plan car one plate per table")
            continue
        seen_car[car] = number
        out[plate] = VehicleRecord(plate, station, car, number)
    problems.raise_any()
    return out


# --------------------------------------------------------------------------- check-ins


@dataclass(frozen=True)
class CheckIn:
    """One 警务通 check-in: who (``officer``) or where (``post``), the local date, the seconds after
    midnight of the check-in and check-out (None: no record), and where (WGS-84, None when not
    given)."""

    officer: str | None
    post: str | None
    date: dt.date
    time_in_s: float | None
    time_out_s: float | None
    lon: float | None
    lat: float | None
    row: int
    file: str


def _clock_or_datetime(text: str, zone: dt.tzinfo) -> tuple[dt.date | None, float]:
    match = _CLOCK.match(text)
    if match:
        h, m, s = int(match.group(1)), int(match.group(2)), int(match.group(3) or 0)
        if h > 23 or m > 59 or s > 59:
            raise ValueError(f"'{text}' has no such clock time")
        return None, h * 3600 + m * 60 + s + (float(match.group(4)) if match.group(4) else 0.0)
    day, secs = parse_datetime(text, zone)
    return day, secs


def read_checkins(path: str | Path, *, tz: str | dt.tzinfo = "Asia/Shanghai", datum: str = "wgs84",
                  sheet: str | None = None) -> tuple[CheckIn, ...]:
    """The check-ins of a CSV/XLSX file (see :data:`CHECKIN_FIELDS`), in file order.

    A row names an officer, a post or both. Times are ``HH:MM[:SS]`` with a ``date`` column, or
    full date-times (the date then comes from the time in; a check-out after midnight is on the
    next day and counted past 24 h). A blank time is None (no record). Coordinates, when given,
    are both given or both blank, and are converted from ``datum`` to WGS-84.
    """
    path = Path(path)
    zone = _zone(tz)
    datum = _datum(datum, path)
    lines = _read_lines(path, CHECKIN_FIELDS, sheet)
    cols = lines.columns
    if "officer" not in cols and "post" not in cols:
        raise InputError("has neither an officer nor a post column", file=lines.where, row=lines.header_row,
                         field="officer",
                         hint="add a column headed 警员编号 (or 民警, officer) or 岗点编号 (or 岗位, post)")
    problems = _Problems(lines.where)
    get = {name: lines.column(name) for name in ("officer", "post", "date", "time_in", "time_out", "lon", "lat")}
    out = []
    for k, number in enumerate(lines.numbers):
        row = {name: (values[k] if values is not None else "") for name, values in get.items()}
        cell = row.__getitem__
        officer, post = cell("officer") or None, cell("post") or None
        if officer is None and post is None:
            problems.add("names neither an officer nor a post", row=number, field=cols.get("officer", cols.get("post")),
                         hint="write the officer's id or the post's id")
            continue
        day = None
        if cell("date"):
            match = _DATETIME.match(cell("date"))
            try:
                if not match:
                    raise ValueError
                day = dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                problems.add(f"'{cell('date')}' is not a date", row=number, field=cols["date"],
                             hint="write the date as 2026-09-01")
                continue
        times: dict[str, float | None] = {}
        ok = True
        for name in ("time_in", "time_out"):
            text = cell(name)
            if not text:
                times[name] = None
                continue
            try:
                own_day, secs = _clock_or_datetime(text, zone)
            except ValueError as exc:
                problems.add(str(exc), row=number, field=cols[name],
                             hint="write HH:MM:SS with a date column, or 2026-09-01 07:30:00")
                ok = False
                continue
            if own_day is not None:
                if day is None:
                    day = own_day
                secs += (own_day - day).days * 86400.0
            times[name] = secs
        if not ok:
            continue
        if day is None:
            problems.add("has no date", row=number, field=cols.get("date", cols["time_in"]),
                         hint="add a date column (日期) or write full date-times in the time columns")
            continue
        if times["time_in"] is not None and times["time_out"] is not None and times["time_out"] < times["time_in"]:
            problems.add("the check-out is before the check-in", row=number, field=cols.get("time_out", "time_out"),
                         hint="check both times (a check-out after midnight needs its date)")
            continue
        lon = lat = None
        if cell("lon") or cell("lat"):
            try:
                lon, lat = float(cell("lon")), float(cell("lat"))
                if not (-180 <= lon <= 180 and -90 <= lat <= 90):
                    raise ValueError
            except ValueError:
                problems.add(f"'{cell('lon')}, {cell('lat')}' is not a longitude and latitude", row=number,
                             field=cols.get("lon", "lon"),
                             hint="write both in decimal degrees (114.3052, 30.5928), or leave both empty")
                continue
        out.append([officer, post, day, times["time_in"], times["time_out"], lon, lat, number])
    problems.raise_any()
    located = [r for r in out if r[5] is not None]
    if located and datum != "wgs84":
        lon, lat = to_wgs84(np.array([r[5] for r in located]), np.array([r[6] for r in located]), datum)
        for r, x, y in zip(located, np.asarray(lon).tolist(), np.asarray(lat).tolist()):
            r[5], r[6] = x, y
    return tuple(CheckIn(*r[:7], row=r[7], file=str(path)) for r in out)
