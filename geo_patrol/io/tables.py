"""Loaders for a planner's own tables: schools, stations and candidate post sites.

Each table may be CSV, XLSX, GeoJSON or GeoPackage. CSV files may be UTF-8, UTF-8 with a byte
order mark, or GBK/GB18030 (what Chinese Excel writes); the encoding is detected, not asked for.
Headers may be English or Chinese; :data:`SCHOOL_FIELDS`, :data:`STATION_FIELDS` and
:data:`SITE_FIELDS` list every accepted header. Coordinates are converted to WGS-84 from the
datum the scenario file declares for the file.

Row numbers in error messages are spreadsheet row numbers: the header is row 1, the first data
row is row 2. For GeoJSON and GeoPackage they count features from 1.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import geopandas as gpd
import numpy as np
import openpyxl

from geo_patrol.clock import parse_window
from geo_patrol.datum import normalise_datum, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.model import KINDS, Gate, School, Site, Station

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class FieldSpec:
    """One field of a table: its name, the headers that mean it, and whether it is required."""

    name: str
    headers: tuple[str, ...]
    required: bool = True


SCHOOL_FIELDS = (
    FieldSpec("id", ("id", "school_id", "学校编号", "编号", "学校代码", "代码")),
    FieldSpec("name", ("name", "school_name", "学校名称", "名称", "学校")),
    FieldSpec("kind", ("kind", "type", "类型", "学校类型", "学段")),
    FieldSpec("lon", ("lon", "lng", "longitude", "x", "经度")),
    FieldSpec("lat", ("lat", "latitude", "y", "纬度")),
    FieldSpec("gates", ("gates", "extra_gates", "其他校门", "校门"), False),
    FieldSpec("enrolment", ("enrolment", "enrollment", "students", "在校人数", "学生数", "人数")),
    FieldSpec("priority", ("priority", "优先级", "重点等级"), False),
    FieldSpec("morning", ("morning", "morning_window", "上学时间", "早高峰", "上午")),
    FieldSpec("afternoon", ("afternoon", "afternoon_window", "放学时间", "晚高峰", "下午")),
    FieldSpec("noon", ("noon", "noon_window", "午间时间", "中午"), False),
    FieldSpec("requires_post", ("requires_post", "必设岗"), False),
    FieldSpec("forbid_post", ("forbid_post", "禁设岗"), False),
    FieldSpec("profile", ("profile", "目标"), False),
    FieldSpec("station_id", ("station_id", "所属派出所"), False),
    FieldSpec("car_visits", ("car_visits", "visits", "巡逻次数", "见警车次数"), False),
)

_LON_HEADERS = {"lon", "lng", "longitude", "x", "经度"}
_LAT_HEADERS = {"lat", "latitude", "y", "纬度"}

STATION_FIELDS = (
    FieldSpec("id", ("id", "station_id", "编号", "派出所编号")),
    FieldSpec("name", ("name", "派出所", "名称", "派出所名称")),
    FieldSpec("lon", ("lon", "lng", "longitude", "x", "经度")),
    FieldSpec("lat", ("lat", "latitude", "y", "纬度")),
    FieldSpec("police", ("police", "officers", "民警", "民警人数")),
    FieldSpec("auxiliary", ("auxiliary", "auxiliaries", "辅警", "辅警人数")),
    FieldSpec("cars", ("cars", "patrol_cars", "警车", "巡逻车")),
    FieldSpec("kind", ("kind", "type", "类型", "单位类型"), False),
)

#: Values of a station row's ``kind``: a 派出所, or a bureau-wide pool of officers (机关警力).
STATION_KINDS: Mapping[str, str] = {
    "": "station", "station": "station", "派出所": "station", "所": "station",
    "pool": "pool", "机关": "pool", "机关警力": "pool", "警力池": "pool", "局机关": "pool",
}

SITE_FIELDS = (
    FieldSpec("id", ("id", "site_id", "编号")),
    FieldSpec("name", ("name", "名称"), False),
    FieldSpec("lon", ("lon", "lng", "longitude", "x", "经度")),
    FieldSpec("lat", ("lat", "latitude", "y", "纬度")),
    FieldSpec("existing", ("existing", "已建", "现有"), False),
)

KIND_NAMES: Mapping[str, str] = {
    "kindergarten": "kindergarten", "幼儿园": "kindergarten", "幼": "kindergarten",
    "primary": "primary", "小学": "primary", "小": "primary",
    "middle": "middle", "初中": "middle", "中学": "middle", "初级中学": "middle",
    "nine_year": "nine_year", "nine-year": "nine_year", "九年一贯制": "nine_year", "九年制": "nine_year",
    "high": "high", "高中": "high", "高级中学": "high", "完全中学": "high",
    "special": "special", "特殊教育": "special", "特教": "special", "特殊教育学校": "special",
}

_TRUE = {"1", "true", "yes", "y", "是", "有", "t", "√", "✓"}
_FALSE = {"", "0", "false", "no", "n", "否", "无", "f", "×"}

_GEO_SUFFIXES = {".geojson", ".json", ".gpkg"}

#: Row key set when a GeoJSON/GeoPackage feature is an outline, not a point: its lon/lat is a
#: point inside it, which will do for a station or a site but never for a school gate.
OUTLINE = "__outline__"


# --------------------------------------------------------------------------- reading tables


@dataclass(frozen=True)
class Table:
    """Rows of a table with their spreadsheet row numbers; values are stripped strings."""

    path: Path
    rows: tuple[dict[str, str], ...]
    row_numbers: tuple[int, ...]
    headers: tuple[str, ...]


def _decode(path: Path, data: bytes) -> str:
    if b"\x00" in data[:4096] and not data.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise InputError(
            "is not a text table (binary content)", file=path,
            hint="save it from Excel as CSV (UTF-8 or GBK), or give the .xlsx file",
        )
    if data.startswith(b"\xef\xbb\xbf"):
        candidates = ["utf-8-sig"]
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        candidates = ["utf-16"]
    else:
        candidates = ["utf-8", "gb18030"]
    furthest = 0
    for encoding in candidates:
        try:
            return data.decode(encoding)
        except UnicodeDecodeError as exc:
            furthest = max(furthest, exc.start)
    # the encoding that read furthest points at the line the user has to look at
    line = data[:furthest].count(b"\n") + 1
    raise InputError(
        "cannot be decoded as UTF-8 or GBK/GB18030",
        file=path, row=line,
        hint="save it from Excel as 'CSV UTF-8' or plain CSV",
    )


def _read_csv(path: Path) -> Table:
    data = path.read_bytes()
    if not data.strip():
        raise InputError("is empty", file=path, hint="export the table again with a header row and data rows")
    text = _decode(path, data)
    sample = text[:4096]
    first_line = sample.splitlines()[0] if sample.splitlines() else ""
    delimiter = max((",", "\t", ";", "，"), key=first_line.count)
    reader = csv.reader(io.StringIO(text), delimiter=delimiter)
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise InputError(f"is not valid CSV ({exc})", file=path, hint="check quotes and separators") from None
    header_index = next((i for i, line in enumerate(lines) if any(c.strip() for c in line)), None)
    if header_index is None:
        raise InputError("is empty", file=path, hint="export the table again with a header row and data rows")
    headers = tuple(h.strip().lstrip("\ufeff") for h in lines[header_index])
    rows, numbers = [], []
    for offset, line in enumerate(lines[header_index + 1 :], start=header_index + 2):
        if not any(cell.strip() for cell in line):
            continue
        rows.append({h: (line[i].strip() if i < len(line) else "") for i, h in enumerate(headers) if h})
        numbers.append(offset)
    return Table(path, tuple(rows), tuple(numbers), headers)


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        if math.isnan(value):
            return ""
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return repr(value)
    if hasattr(value, "strftime") and not isinstance(value, str):
        # Excel cells holding a clock time come back as datetime.time
        return value.strftime("%H:%M")
    return str(value).strip()


def _read_xlsx(path: Path) -> Table:
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise InputError(f"is not a readable Excel workbook ({type(exc).__name__})", file=path,
                         hint="open it in Excel and save it again as .xlsx") from None
    sheet = book.worksheets[0]
    all_rows = [list(r) for r in sheet.iter_rows(values_only=True)]
    book.close()
    header_index = next((i for i, r in enumerate(all_rows) if any(_cell_text(c) for c in r)), None)
    if header_index is None:
        raise InputError("is empty", file=path, hint="the first sheet needs a header row and data rows")
    headers = tuple(_cell_text(h) for h in all_rows[header_index])
    rows, numbers = [], []
    for number, values in enumerate(all_rows[header_index + 1 :], start=header_index + 2):
        cells = [_cell_text(v) for v in values]
        if not any(cells):
            continue
        rows.append({h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h})
        numbers.append(number)
    return Table(path, tuple(rows), tuple(numbers), headers)


def _read_geo(path: Path) -> Table:
    try:
        frame = gpd.read_file(path)
    except Exception as exc:  # pyogrio raises DataSourceError and friends
        raise InputError(f"is not a readable GeoJSON/GeoPackage file ({exc})".replace("\n", " "), file=path,
                         hint="check the file in QGIS and export it again") from None
    if frame.crs is not None and frame.crs.to_epsg() not in (4326, None):
        frame = frame.to_crs(4326)
    rows, numbers = [], []
    headers = [str(c) for c in frame.columns if c != "geometry"]
    lowered = {h.strip().lower() for h in headers}
    declared = bool(lowered & _LON_HEADERS) and bool(lowered & _LAT_HEADERS)
    for number, (_, record) in enumerate(frame.iterrows(), start=1):
        row = {h: _cell_text(record[h]) for h in headers}
        geom = record.geometry
        if not declared and geom is not None and not geom.is_empty:
            # a point is the gate; an outline (campus, building) has none: its readers decide
            point = geom if geom.geom_type == "Point" else geom.representative_point()
            row["lon"], row["lat"] = repr(point.x), repr(point.y)
            if geom.geom_type != "Point":
                row[OUTLINE] = geom.geom_type
        rows.append(row)
        numbers.append(number)
    return Table(path, tuple(rows), tuple(numbers), tuple(headers if declared else headers + ["lon", "lat"]))


def read_table(path: str | Path, *, sheet: str | None = None) -> Table:
    """Read a CSV, XLSX, GeoJSON or GeoPackage table into stripped text cells."""
    path = Path(path)
    if not path.is_file():
        raise InputError("file not found", file=path, hint="check the path in the scenario file")
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt", ".tsv"}:
        table = _read_csv(path)
    elif suffix in {".xlsx", ".xlsm"}:
        table = _read_xlsx(path)
    elif suffix in _GEO_SUFFIXES:
        if path.stat().st_size == 0:
            raise InputError("is empty", file=path, hint="export the layer again")
        table = _read_geo(path)
    else:
        raise InputError(
            f"unknown table format '{suffix}'", file=path, hint="use .csv, .xlsx, .geojson or .gpkg"
        )
    if not table.rows:
        raise InputError("has a header but no data rows", file=path, hint="add at least one row")
    return table


# --------------------------------------------------------------------------- fields


def _resolve_headers(table: Table, fields: Sequence[FieldSpec]) -> dict[str, str]:
    """Map field name → the table's header for it; error on a missing required field."""
    normalised = {h.strip().lower().replace(" ", "_"): h for h in table.headers if h}
    mapping: dict[str, str] = {}
    for spec in fields:
        for alias in spec.headers:
            if alias.lower() in normalised:
                mapping[spec.name] = normalised[alias.lower()]
                break
        else:
            if spec.required:
                raise InputError(
                    f"missing required column '{spec.name}'",
                    file=table.path,
                    row=1 if table.path.suffix.lower() not in _GEO_SUFFIXES else None,
                    field=spec.name,
                    hint="add a column headed one of: " + ", ".join(spec.headers),
                )
    return mapping


class _Row:
    """Typed access to one row's cells with errors that name file, row and field."""

    def __init__(self, table: Table, index: int, headers: Mapping[str, str]) -> None:
        self.table = table
        self.values = table.rows[index]
        self.number = table.row_numbers[index]
        self.headers = headers

    def error(self, name: str, problem: str, hint: str) -> InputError:
        return InputError(problem, file=self.table.path, row=self.number, field=self.headers.get(name, name), hint=hint)

    def text(self, name: str, default: str = "") -> str:
        header = self.headers.get(name)
        return self.values.get(header, "").strip() if header else default

    def required_text(self, name: str) -> str:
        value = self.text(name)
        if not value:
            raise self.error(name, "is empty", "fill it in")
        return value

    def number_value(self, name: str) -> float:
        raw = self.required_text(name)
        try:
            value = float(raw.replace("，", ".").replace("°", ""))
        except ValueError:
            raise self.error(name, f"'{raw}' is not a number", "write a decimal number such as 114.3052") from None
        if not math.isfinite(value):
            raise self.error(name, f"'{raw}' is not a finite number", "write a decimal number")
        return value

    def count(self, name: str, *, default: int | None = None) -> int:
        if default is not None and not self.text(name):
            return default
        value = self.number_value(name)
        if value < 0:
            raise self.error(name, f"{raw_number(value)} is negative", "use a whole number ≥ 0")
        if not float(value).is_integer():
            raise self.error(name, f"{raw_number(value)} is not a whole number", "use a whole number ≥ 0")
        return int(value)

    def flag(self, name: str) -> bool:
        raw = self.text(name).lower()
        if raw in _TRUE:
            return True
        if raw in _FALSE:
            return False
        raise self.error(name, f"'{raw}' is not yes/no", "write 是/否, yes/no, true/false or 1/0")


def raw_number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


def _check_lonlat(row: _Row, lon: float, lat: float) -> None:
    """Range checks, including the common swap of longitude and latitude."""
    swapped = (abs(lon) <= 90 and abs(lat) > 90) or (3 <= lon <= 54 and 73 <= lat <= 136)
    if swapped:
        raise row.error(
            "lon",
            f"longitude {lon} and latitude {lat} look swapped",
            f"swap the values of the '{row.headers.get('lon', 'lon')}' and '{row.headers.get('lat', 'lat')}' columns",
        )
    if not -180 <= lon <= 180:
        raise row.error("lon", f"longitude {lon} is out of range", "longitude must lie in -180…180 degrees")
    if not -90 <= lat <= 90:
        raise row.error("lat", f"latitude {lat} is out of range", "latitude must lie in -90…90 degrees")


def _point(row: _Row) -> tuple[float, float]:
    lon, lat = row.number_value("lon"), row.number_value("lat")
    _check_lonlat(row, lon, lat)
    return lon, lat


def _extra_gates(row: _Row) -> list[tuple[float, float]]:
    raw = row.text("gates")
    if not raw:
        return []
    out = []
    for part in raw.replace("；", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        pieces = part.replace(",", " ").replace("，", " ").split()
        try:
            lon, lat = (float(p) for p in pieces)
        except ValueError:
            raise row.error("gates", f"'{part}' is not a 'lon lat' pair", "write gates as 'lon lat; lon lat'") from None
        _check_lonlat(row, lon, lat)
        out.append((lon, lat))
    return out


def _window(row: _Row, name: str, *, required: bool):
    raw = row.text(name)
    if not raw:
        if required:
            raise row.error(name, "is empty", "write the window as HH:MM-HH:MM, e.g. 07:20-08:00")
        return None
    try:
        return parse_window(raw)
    except ValueError as exc:
        raise row.error(name, str(exc), "write the window as HH:MM-HH:MM with the end after the start") from None


def _unique_id(row: _Row, seen: dict[str, int]) -> str:
    value = row.required_text("id")
    if value in seen:
        raise row.error("id", f"id '{value}' is used twice (also row {seen[value]})", "give every row its own id")
    seen[value] = row.number
    return value


def _convert(points: Iterable[tuple[float, float]], datum: str) -> list[tuple[float, float]]:
    pts = list(points)
    if not pts or normalise_datum(datum) == "wgs84":
        return pts
    arr = np.asarray(pts, dtype=float)
    lon, lat = to_wgs84(arr[:, 0], arr[:, 1], datum)
    return list(zip(np.asarray(lon, dtype=float).tolist(), np.asarray(lat, dtype=float).tolist()))


def _check_datum(datum: str, path: Path) -> str:
    try:
        return normalise_datum(datum)
    except InputError as exc:
        raise InputError(exc.problem, file=path, field="datum", hint=exc.hint) from None


# --------------------------------------------------------------------------- tables → objects


def read_schools(path: str | Path, *, datum: str = "wgs84", sheet: str | None = None) -> tuple[School, ...]:
    """Read schools (see :data:`SCHOOL_FIELDS`) and convert their gates to WGS-84."""
    table = read_table(path, sheet=sheet)
    datum = _check_datum(datum, table.path)
    headers = _resolve_headers(table, SCHOOL_FIELDS)
    seen: dict[str, int] = {}
    parsed = []
    for index in range(len(table.rows)):
        row = _Row(table, index, headers)
        school_id = _unique_id(row, seen)
        name = row.required_text("name")
        kind_raw = row.required_text("kind")
        kind = KIND_NAMES.get(kind_raw.lower().strip(), KIND_NAMES.get(kind_raw.strip()))
        if kind is None:
            raise row.error("kind", f"'{kind_raw}' is not a school kind",
                            "use one of " + ", ".join(KINDS) + " (or 幼儿园, 小学, 初中, 九年一贯制, 高中, 特殊教育)")
        if row.values.get(OUTLINE):
            raise row.error("lon", f"the feature is a {row.values[OUTLINE]} (a campus outline), which has no gate",
                            "add lon/lat (经度/纬度) attributes for the main gate, or give each school as a point "
                            "at its gate")
        gates = [_point(row)] + _extra_gates(row)
        enrolment = row.count("enrolment")
        priority = row.count("priority", default=3)
        if not 1 <= priority <= 5:
            raise row.error("priority", f"{priority} is outside 1–5", "use 1 (low) to 5 (high)")
        windows = {}
        for period, required in (("morning", True), ("noon", False), ("afternoon", True)):
            window = _window(row, period, required=required)
            if window is not None:
                windows[period] = window
        requires_post, forbid_post = row.flag("requires_post"), row.flag("forbid_post")
        if requires_post and forbid_post:
            raise row.error("forbid_post", "a school cannot both require and forbid a post", "clear one of the two")
        profile = row.text("profile") or None
        if profile is not None and profile not in ("basic", "strict"):
            raise row.error("profile", f"'{profile}' is not a target profile", "use basic or strict, or leave empty")
        car_visits = row.count("car_visits", default=0) or None
        if row.text("car_visits") and car_visits is None:
            raise row.error("car_visits", "0 car visits", "use a whole number ≥ 1, or leave it empty")
        parsed.append((row.number, dict(
            id=school_id, name=name, kind=kind, enrolment=enrolment, windows=windows, priority=priority,
            requires_post=requires_post, forbid_post=forbid_post, profile=profile,
            station_id=row.text("station_id") or None, car_visits=car_visits, row=row.number,
        ), gates))
    converted = _convert([g for _, _, gates in parsed for g in gates], datum)
    schools, cursor = [], 0
    for _, fields, gates in parsed:
        own = converted[cursor : cursor + len(gates)]
        cursor += len(gates)
        schools.append(School(gates=tuple(Gate(lon, lat) for lon, lat in own), **fields))
    return tuple(schools)


def read_stations(path: str | Path, *, datum: str = "wgs84", sheet: str | None = None) -> tuple[Station, ...]:
    """Read police stations (see :data:`STATION_FIELDS`), converted to WGS-84."""
    table = read_table(path, sheet=sheet)
    datum = _check_datum(datum, table.path)
    headers = _resolve_headers(table, STATION_FIELDS)
    seen: dict[str, int] = {}
    parsed = []
    for index in range(len(table.rows)):
        row = _Row(table, index, headers)
        kind_raw = row.text("kind")
        kind = STATION_KINDS.get(kind_raw.lower(), STATION_KINDS.get(kind_raw))
        if kind is None:
            raise row.error("kind", f"'{kind_raw}' is not a station kind",
                            "use station (派出所) or pool (机关警力), or leave it empty")
        cars = row.count("cars")
        if kind == "pool" and cars:
            raise row.error("cars", f"a pool of officers has {cars} patrol car(s)",
                            "give pool rows 0 cars; patrol cars belong to a station")
        parsed.append(dict(
            id=_unique_id(row, seen), name=row.required_text("name"), point=_point(row),
            police=row.count("police"), auxiliary=row.count("auxiliary"), cars=cars, row=row.number, kind=kind,
        ))
    _say_outlines(table)
    points = _convert([p.pop("point") for p in parsed], datum)
    return tuple(Station(lon=lon, lat=lat, **fields) for fields, (lon, lat) in zip(parsed, points))


def read_sites(path: str | Path, *, datum: str = "wgs84", sheet: str | None = None) -> tuple[Site, ...]:
    """Read candidate post sites (see :data:`SITE_FIELDS`), converted to WGS-84."""
    table = read_table(path, sheet=sheet)
    datum = _check_datum(datum, table.path)
    headers = _resolve_headers(table, SITE_FIELDS)
    seen: dict[str, int] = {}
    parsed = []
    for index in range(len(table.rows)):
        row = _Row(table, index, headers)
        parsed.append(dict(
            id=_unique_id(row, seen), name=row.text("name"), point=_point(row),
            existing=row.flag("existing"), row=row.number,
        ))
    _say_outlines(table)
    points = _convert([p.pop("point") for p in parsed], datum)
    return tuple(Site(lon=lon, lat=lat, **fields) for fields, (lon, lat) in zip(parsed, points))


def _say_outlines(table: Table) -> None:
    """Outlines (polygons) stand at a point inside them; say which rows, once per file."""
    rows = [n for n, r in zip(table.row_numbers, table.rows) if r.get(OUTLINE)]
    if rows:
        log.warning("%s: %d feature(s) are outlines, placed at a point inside each (rows %s); give points to "
                    "choose the place yourself", table.path.name, len(rows), ", ".join(map(str, rows[:10])))
