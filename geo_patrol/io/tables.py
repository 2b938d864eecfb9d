"""Loaders for a planner's own tables: schools, stations and candidate post sites.

Each table may be CSV, XLSX, GeoJSON or GeoPackage. CSV files may be UTF-8, UTF-8 with a byte
order mark, or GBK/GB18030 (what Chinese Excel writes); the encoding is detected, not asked for.
Headers may be English or Chinese; :data:`SCHOOL_FIELDS`, :data:`STATION_FIELDS` and
:data:`SITE_FIELDS` list every accepted header. Coordinates are converted to WGS-84 from the
datum the scenario file declares for the file.

Spreadsheets are read as planners keep them:

- **Title rows.** The header is the row, among the first :data:`HEADER_SEARCH_ROWS` non-empty rows,
  whose cells name the most fields of the table (the first such row on a tie; the first non-empty
  row when none names any); rows above it are titles and are skipped.
- **Sheets.** A workbook's sheet is the one named by ``sheet`` (its name, or its number from 1 as
  text); without it, the first sheet whose header has every required column (a cover sheet,
  说明 or 封面, is passed over). When none has, the error lists the sheets and what each lacks.
- **Every problem at once.** Every missing required column, and every bad field of every row, is
  reported in one :class:`~geo_patrol.errors.InputError`: a first line naming the file, then one
  line per problem naming file, row and field, the first :data:`MAX_REPORTED_PROBLEMS` of them and
  then how many more. A file with one problem gets that problem's one-line message.
- **Extra gates** farther than ``max_gate_spread_m`` (:data:`MAX_GATE_SPREAD_M`, straight line) from
  the school's main gate are taken for a typing error.

Row numbers in error messages are spreadsheet row numbers, title rows included: with the header
on row 1 the first data row is row 2. For GeoJSON and GeoPackage they count features from 1. In a
workbook of several sheets the file is named with its sheet, ``schools.xlsx (sheet '学校名单')``.
"""

from __future__ import annotations

import csv
import io
import logging
import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any, TypeVar

import geopandas as gpd
import numpy as np
import openpyxl

from geo_patrol.clock import parse_window
from geo_patrol.datum import normalise_datum, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.geo import haversine_m
from geo_patrol.model import KINDS, SCHOOL_ROLES, Gate, Officer, School, Site, Station, parse_team

log = logging.getLogger(__name__)

T = TypeVar("T")

#: The header is looked for among this many non-empty rows from the top (title rows above it).
HEADER_SEARCH_ROWS = 10

#: Problems of one file listed one per line in its report; the rest are counted ("and N more").
MAX_REPORTED_PROBLEMS = 20

#: Default farthest an extra gate may lie from the school's main gate, metres in a straight line;
#: farther is taken for a typing error (``max_gate_spread_m`` of :func:`read_schools`).
MAX_GATE_SPREAD_M = 500.0


@dataclass(frozen=True)
class FieldSpec:
    """One field of a table: its name, the headers that mean it, and whether it is required."""

    name: str
    headers: tuple[str, ...]
    required: bool = True


#: Weekdays, Monday first; a weekday's windows may differ from the school's usual ones.
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday")
_WEEKDAY_ZH = ("周一", "周二", "周三", "周四", "周五")
_PERIOD_ZH = {"morning": "上学", "noon": "午间", "afternoon": "放学"}

#: Optional columns ``friday_afternoon`` (周五放学), ``monday_morning`` (周一上学)...: a school's
#: windows on that weekday where they differ from its usual ones (several as ``a; b``).
WEEKDAY_FIELDS = tuple(
    FieldSpec(f"{day}_{period}", (f"{day}_{period}", f"{zh}{_PERIOD_ZH[period]}", f"{zh}{_PERIOD_ZH[period]}时间"),
              False)
    for day, zh in zip(WEEKDAYS, _WEEKDAY_ZH) for period in ("morning", "noon", "afternoon")
)

SCHOOL_FIELDS = (
    FieldSpec("id", ("id", "school_id", "学校编号", "编号", "学校代码", "代码", "考点编号")),
    FieldSpec("name", ("name", "school_name", "学校名称", "名称", "学校", "考点名称")),
    FieldSpec("kind", ("kind", "type", "类型", "学校类型", "学段")),
    FieldSpec("lon", ("lon", "lng", "longitude", "x", "经度")),
    FieldSpec("lat", ("lat", "latitude", "y", "纬度")),
    FieldSpec("gates", ("gates", "extra_gates", "其他校门", "校门"), False),
    FieldSpec("enrolment", ("enrolment", "enrollment", "students", "在校人数", "学生数", "人数", "考生人数")),
    FieldSpec("priority", ("priority", "优先级", "重点等级"), False),
    FieldSpec("morning", ("morning", "morning_window", "上学时间", "早高峰", "上午")),
    FieldSpec("afternoon", ("afternoon", "afternoon_window", "放学时间", "晚高峰", "下午")),
    FieldSpec("noon", ("noon", "noon_window", "午间时间", "中午"), False),
    *WEEKDAY_FIELDS,
    FieldSpec("afternoon_2", ("afternoon_2", "second_afternoon", "after_care", "课后服务放学", "延时放学",
                              "第二次放学", "二次放学"), False),
    FieldSpec("requires_post", ("requires_post", "必设岗"), False),
    FieldSpec("forbid_post", ("forbid_post", "禁设岗"), False),
    FieldSpec("profile", ("profile", "目标"), False),
    FieldSpec("station_id", ("station_id", "所属派出所"), False),
    FieldSpec("car_visits", ("car_visits", "visits", "巡逻次数", "见警车次数"), False),
    FieldSpec("school_team", ("school_team", "team", "校方力量", "学校力量", "校方人员", "学校人员"), False),
    FieldSpec("address", ("address", "addr", "地址", "详细地址", "学校地址"), False),
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

OFFICER_FIELDS = (
    FieldSpec("id", ("id", "officer_id", "警号", "编号", "工号")),
    FieldSpec("name", ("name", "姓名", "名字")),
    FieldSpec("station_id", ("station_id", "station", "派出所编号", "所属派出所", "单位编号")),
    FieldSpec("role", ("role", "kind", "类别", "身份", "警种")),
    FieldSpec("unavailable", ("unavailable", "days_off", "不可用日期", "休假日期", "请假日期"), False),
)

#: Values of an officer's ``role``.
ROLE_NAMES: Mapping[str, str] = {"police": "police", "民警": "police", "警察": "police",
                                 "auxiliary": "auxiliary", "辅警": "auxiliary", "协警": "auxiliary"}

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


_ALL_FIELDS = SCHOOL_FIELDS + STATION_FIELDS + SITE_FIELDS

#: The scenario key that names each table's sheet, for the hints.
_SHEET_KEYS = ((SCHOOL_FIELDS, "schools_sheet"), (STATION_FIELDS, "stations_sheet"), (SITE_FIELDS, "sites_sheet"))

_DELIMITERS = (",", "\t", ";", "，")

#: What each numeric field should look like, for the hint of a cell that is not a number.
_NUMBER_HINTS: Mapping[str, str] = {
    "lon": "write a decimal degree such as 114.3052",
    "lat": "write a decimal degree such as 30.5928",
    "enrolment": "write a whole number such as 860",
    "priority": "write a whole number from 1 (low) to 5 (high)",
    "car_visits": "write a whole number such as 2, or leave it empty",
    "police": "write a whole number such as 12",
    "auxiliary": "write a whole number such as 12",
    "cars": "write a whole number such as 2",
}


# --------------------------------------------------------------------------- reading tables


@dataclass(frozen=True)
class Table:
    """Rows of a table with their spreadsheet row numbers; values are stripped strings.

    ``header_row`` is the spreadsheet row of the header (below any title rows; None for GeoJSON
    and GeoPackage); ``sheet`` the workbook sheet read and ``sheets`` all of the workbook's sheets.
    """

    path: Path
    rows: tuple[dict[str, str], ...]
    row_numbers: tuple[int, ...]
    headers: tuple[str, ...]
    header_row: int | None = 1
    sheet: str | None = None
    sheets: tuple[str, ...] = ()

    @property
    def where(self) -> str:
        """The file as messages name it: with its sheet when the workbook has more than one."""
        if self.sheet is None or len(self.sheets) < 2:
            return str(self.path)
        sheet = " ".join(self.sheet.splitlines()).replace("/", "／").replace("\\", "＼")
        return str(self.path.with_name(f"{self.path.name} (sheet '{sheet}')"))


def _norm(header: str) -> str:
    return header.strip().lstrip("\ufeff").strip().lower().replace(" ", "_")


def _named_fields(cells: Iterable[str], fields: Sequence[FieldSpec]) -> set[str]:
    """Names of the fields that some cell of a (header) row names."""
    present = {_norm(c) for c in cells if c}
    return {spec.name for spec in fields if any(alias.lower() in present for alias in spec.headers)}


def _missing_fields(cells: Iterable[str], fields: Sequence[FieldSpec]) -> list[str]:
    named = _named_fields(cells, fields)
    return [spec.name for spec in fields if spec.required and spec.name not in named]


def _find_header(lines: Sequence[Sequence[str]], fields: Sequence[FieldSpec]) -> int | None:
    """Index of the header line: among the first :data:`HEADER_SEARCH_ROWS` non-empty lines, the
    first naming the most fields (rows above it are titles); the first non-empty line when none
    names any; None when every line is empty."""
    candidates = [i for i, line in enumerate(lines) if any(c.strip() for c in line)][:HEADER_SEARCH_ROWS]
    if not candidates:
        return None
    return max(candidates, key=lambda i: len(_named_fields(lines[i], fields)))  # max keeps the first


def _table(path: Path, lines: Sequence[Sequence[str]], header_index: int, **where: Any) -> Table:
    """The rows below the header; blank lines are skipped, row numbers are spreadsheet rows."""
    headers = tuple(h.strip().lstrip("\ufeff") for h in lines[header_index])
    rows, numbers = [], []
    for number, line in enumerate(lines[header_index + 1 :], start=header_index + 2):
        cells = [c.strip() for c in line]
        if not any(cells):
            continue
        rows.append({h: (cells[i] if i < len(cells) else "") for i, h in enumerate(headers) if h})
        numbers.append(number)
    return Table(path, tuple(rows), tuple(numbers), headers, header_row=header_index + 1, **where)


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


def _delimiter(text: str, fields: Sequence[FieldSpec]) -> str:
    """The separator that makes a header of the first lines name the most fields; on a tie (no
    header at all), the one that occurs most often on one of those lines."""
    sample = [line for line in text[:65536].splitlines() if line.strip()][:HEADER_SEARCH_ROWS]

    def score(delimiter: str) -> tuple[int, int]:
        try:
            named = max((len(_named_fields(cells, fields)) for cells in csv.reader(sample, delimiter=delimiter)),
                        default=0)
        except csv.Error:
            named = 0
        return named, max((line.count(delimiter) for line in sample), default=0)

    return max(_DELIMITERS, key=score)


def _read_csv(path: Path, fields: Sequence[FieldSpec]) -> Table:
    data = path.read_bytes()
    if not data.strip():
        raise InputError("is empty", file=path, hint="export the table again with a header row and data rows")
    text = _decode(path, data)
    reader = csv.reader(io.StringIO(text), delimiter=_delimiter(text, fields))
    try:
        lines = list(reader)
    except csv.Error as exc:
        raise InputError(f"is not valid CSV ({exc})", file=path, hint="check quotes and separators") from None
    header_index = _find_header(lines, fields)
    if header_index is None:
        raise InputError("is empty", file=path, hint="export the table again with a header row and data rows")
    return _table(path, lines, header_index)


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


def _sheet_lines(sheet: Any) -> list[list[str]]:
    return [[_cell_text(v) for v in values] for values in sheet.iter_rows(values_only=True)]


def _sheet_list(names: Sequence[str]) -> str:
    return ", ".join(f"{i} '{name}'" for i, name in enumerate(names, start=1))


def _sheet_key(fields: Sequence[FieldSpec]) -> str:
    generic = "the sheet key (schools_sheet, stations_sheet or sites_sheet)"
    return next((key for spec, key in _SHEET_KEYS if spec is fields), generic)


def _named_sheet(path: Path, names: Sequence[str], sheet: str) -> int:
    """Index of the sheet named ``sheet`` (exactly, else ignoring case and spaces), or numbered so from 1."""
    wanted = str(sheet).strip()
    for same in (lambda name: name == wanted, lambda name: name.strip().casefold() == wanted.casefold()):
        index = next((i for i, name in enumerate(names) if same(name)), None)
        if index is not None:
            return index
    if wanted.isdigit() and 1 <= int(wanted) <= len(names):
        return int(wanted) - 1
    raise InputError(f"has no sheet '{wanted}'", file=path,
                     hint=f"its sheets are {_sheet_list(names)}: give a sheet's name or its number (1–{len(names)})")


def _chosen_sheet(path: Path, sheets: Sequence[Any], fields: Sequence[FieldSpec]) -> tuple[int, list[list[str]]]:
    """The first sheet whose header has every required field; the only non-empty sheet otherwise."""
    found = []  # (index, lines, what the sheet lacks) of the sheets passed over
    for index, sheet in enumerate(sheets):
        lines = _sheet_lines(sheet)
        header = _find_header(lines, fields)
        if header is None:
            found.append((index, lines, "is empty"))
            continue
        named = _named_fields(lines[header], fields)
        missing = _missing_fields(lines[header], fields)
        if named and not missing:
            return index, lines
        lacks = "lacks " + ", ".join(f"'{m}'" for m in missing) if named else "has none of the table's headers"
        found.append((index, lines, lacks))
    filled = [(index, lines) for index, lines, lacks in found if lacks != "is empty"]
    if len(filled) == 1:
        return filled[0]  # its missing columns are reported as they are
    if not filled:
        raise InputError("is empty", file=path, hint="a sheet needs a header row and data rows")
    names = [sheet.title for sheet in sheets]
    listing = "; ".join(f"{index + 1} '{names[index]}' {lacks}" for index, _, lacks in found)
    raise InputError(f"no sheet has every required column ({listing})", file=path,
                     hint=f'add the missing columns, or name the sheet to read in the scenario file '
                          f'({_sheet_key(fields)} = "name" or its number, 1 for the first)')


def _read_xlsx(path: Path, sheet: str | None, fields: Sequence[FieldSpec]) -> Table:
    hint = "open it in Excel and save it again as .xlsx"
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise InputError(f"is not a readable Excel workbook ({type(exc).__name__})", file=path,
                         hint=hint) from None
    try:
        names = tuple(s.title for s in book.worksheets)
        if not names:
            raise InputError("has no worksheet", file=path, hint="put the table on a worksheet of its own")
        if sheet is not None:
            index = _named_sheet(path, names, sheet)
            lines = _sheet_lines(book.worksheets[index])
        else:
            index, lines = _chosen_sheet(path, book.worksheets, fields)
    except InputError:
        raise
    except Exception as exc:  # a sheet whose XML is broken
        raise InputError(f"is not a readable Excel workbook ({type(exc).__name__})", file=path,
                         hint=hint) from None
    finally:
        book.close()
    header_index = _find_header(lines, fields)
    if header_index is None:
        raise InputError(f"sheet '{names[index]}' is empty", file=path,
                         hint="give the sheet that holds the table, or add a header row and data rows")
    return _table(path, lines, header_index, sheet=names[index], sheets=names)


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
        rows.append(_geo_row(record, headers, declared))
        numbers.append(number)
    return Table(path, tuple(rows), tuple(numbers), tuple(headers if declared else headers + ["lon", "lat"]),
                 header_row=None)


def _geo_row(record, headers: list[str], declared: bool) -> dict[str, str]:
    """One feature's cells; without declared lon/lat columns, its point (or an outline's
    representative point, noting the outline) as ``lon``/``lat``."""
    row = {h: _cell_text(record[h]) for h in headers}
    geom = record.geometry
    if not declared and geom is not None and not geom.is_empty:
        # a point is the gate; an outline (campus, building) has none: its readers decide
        point = geom if geom.geom_type == "Point" else geom.representative_point()
        row["lon"], row["lat"] = repr(point.x), repr(point.y)
        if geom.geom_type != "Point":
            row[OUTLINE] = geom.geom_type
    return row


def read_table(path: str | Path, *, sheet: str | None = None, fields: Sequence[FieldSpec] | None = None) -> Table:
    """Read a CSV, XLSX, GeoJSON or GeoPackage table into stripped text cells.

    ``sheet`` chooses a workbook's sheet by name or by number from 1 (as text); ``fields`` (default:
    every known field of every table) are what the header row is recognised by, below any title
    rows, and what chooses the sheet when none is named. See the module docstring.
    """
    path = Path(path)
    fields = _ALL_FIELDS if fields is None else fields
    if not path.is_file():
        raise InputError("file not found", file=path, hint="check the path in the scenario file")
    suffix = path.suffix.lower()
    if sheet is not None and suffix not in {".xlsx", ".xlsm"}:
        raise InputError(f"a {suffix or 'plain'} file has no sheets, yet sheet '{sheet}' is asked for", file=path,
                         hint=f"remove {_sheet_key(fields)} from the scenario file, or give the .xlsx workbook")
    if suffix in {".csv", ".txt", ".tsv"}:
        table = _read_csv(path, fields)
    elif suffix in {".xlsx", ".xlsm"}:
        table = _read_xlsx(path, sheet, fields)
    elif suffix in _GEO_SUFFIXES:
        if path.stat().st_size == 0:
            raise InputError("is empty", file=path, hint="export the layer again")
        table = _read_geo(path)
    else:
        raise InputError(
            f"unknown table format '{suffix}'", file=path, hint="use .csv, .xlsx, .geojson or .gpkg"
        )
    if not table.rows:
        raise InputError("has a header but no data rows", file=table.where, hint="add at least one row")
    return table


# --------------------------------------------------------------------------- collected problems


def _collected(where: str, problems: Sequence[InputError], head: str, *, row: int | None = None) -> InputError:
    """One error for many problems: ``head`` on the first line (naming the file), then one line per
    problem, the first :data:`MAX_REPORTED_PROBLEMS` of them, then how many more."""
    lines = [str(p) for p in problems[:MAX_REPORTED_PROBLEMS]]
    rest = problems[MAX_REPORTED_PROBLEMS:]
    if rest:
        rows = [p.row for p in rest if p.row is not None]
        span = f" (rows {min(rows)}–{max(rows)})" if rows else ""
        lines.append(f"{Path(where).name}: and {len(rest)} more{span}")
    return InputError(head + "\n" + "\n".join(lines), file=where, row=row)


def _raise_problems(table: Table, problems: Sequence[InputError]) -> None:
    """Raise the problems found in the rows: one as it is, several as one report."""
    if len(problems) == 1:
        raise problems[0]
    if problems:
        rows = len({p.row for p in problems})
        head = f"{len(problems)} problems in {rows} row{'s' if rows > 1 else ''}, one per line below"
        raise _collected(table.where, problems, head)


# --------------------------------------------------------------------------- fields


def _resolve_headers(table: Table, fields: Sequence[FieldSpec]) -> dict[str, str]:
    """Map field name → the table's header for it; one error naming every missing required field."""
    normalised = {_norm(h): h for h in table.headers if h}
    mapping: dict[str, str] = {}
    missing = []
    for spec in fields:
        for alias in spec.headers:
            if alias.lower() in normalised:
                mapping[spec.name] = normalised[alias.lower()]
                break
        else:
            if spec.required:
                missing.append(InputError(
                    f"missing required column '{spec.name}'",
                    file=table.where, row=table.header_row, field=spec.name,
                    hint="add a column headed one of: " + ", ".join(spec.headers),
                ))
    if len(missing) == 1:
        raise missing[0]
    if missing:
        names = ", ".join(f"'{m.field}'" for m in missing)
        raise _collected(table.where, missing, f"{len(missing)} required columns are missing: {names}",
                         row=table.header_row)
    return mapping


class _Row:
    """Typed access to one row's cells with errors that name file, row and field.

    :meth:`check` runs one reading and keeps its error instead of raising it, so that a reader
    goes on to the next field and the next row and reports every problem at once.
    """

    def __init__(self, table: Table, index: int, headers: Mapping[str, str], problems: list[InputError]) -> None:
        self.table = table
        self.values = table.rows[index]
        self.number = table.row_numbers[index]
        self.headers = headers
        self.problems = problems
        self.failed = False

    def error(self, name: str, problem: str, hint: str) -> InputError:
        # a cell quoted in the problem may hold line breaks; every problem stays on one line
        return InputError("↵".join(problem.splitlines()), file=self.table.where, row=self.number,
                          field=self.headers.get(name, name), hint=hint)

    def check(self, read: Callable[..., T], *args: Any, **kwargs: Any) -> T | None:
        """``read(*args, **kwargs)``, or None with its :class:`InputError` kept for the report."""
        try:
            return read(*args, **kwargs)
        except InputError as exc:
            self.problems.append(exc)
            self.failed = True
            return None

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
        hint = _NUMBER_HINTS.get(name, "write a number")
        try:
            value = float(raw.replace("，", ".").replace("°", ""))
        except ValueError:
            raise self.error(name, f"'{raw}' is not a number", hint) from None
        if not math.isfinite(value):
            raise self.error(name, f"'{raw}' is not a finite number", hint)
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
        if not (math.isfinite(lon) and math.isfinite(lat)):
            raise row.error("gates", f"'{part}' is not a pair of finite numbers", "write gates as 'lon lat; lon lat'")
        _check_lonlat(row, lon, lat)
        out.append((lon, lat))
    return out


def _gates(row: _Row, max_spread_m: float) -> list[tuple[float, float]]:
    """The main gate (lon/lat) and the extra gates, none farther than ``max_spread_m`` from the main one."""
    main = _point(row)
    extras = _extra_gates(row)
    for lon, lat in extras:
        # straight line in the file's own datum: GCJ-02/BD-09 shift neighbouring points alike
        distance_m = float(haversine_m(main[0], main[1], lon, lat))
        if distance_m > max_spread_m:
            raise row.error(
                "gates", f"gate '{lon} {lat}' is {distance_m:.0f} m from the main gate, more than {max_spread_m:g} m",
                "check its coordinates (the same datum as the main gate); a campus spread that wide is better "
                "given as two schools, one row each",
            )
    return [main] + extras


def _window(row: _Row, name: str, *, required: bool) -> tuple | None:
    """The windows of one period's cell: ``HH:MM-HH:MM``, or several separated by ``;`` (a second
    dismissal wave), in clock order and not overlapping."""
    raw = row.text(name)
    if not raw:
        if required:
            raise row.error(name, "is empty", "write the window as HH:MM-HH:MM, e.g. 07:20-08:00")
        return None
    try:
        found = sorted(parse_window(part) for part in raw.replace("；", ";").split(";") if part.strip())
    except ValueError as exc:
        raise row.error(name, str(exc), "write the window as HH:MM-HH:MM with the end after the start "
                                        "(several as 15:40-16:10; 17:30-18:00)") from None
    for a, b in zip(found, found[1:]):
        if b.start_s < a.end_s:
            raise row.error(name, f"the windows {a} and {b} overlap", "give each school-run window once, in order")
    return tuple(found)


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


# --------------------------------------------------------------------------- school fields


def _school_kind(row: _Row) -> str:
    kind_raw = row.required_text("kind")
    kind = KIND_NAMES.get(kind_raw.lower().strip(), KIND_NAMES.get(kind_raw.strip()))
    if kind is None:
        raise row.error("kind", f"'{kind_raw}' is not a school kind",
                        "use one of " + ", ".join(KINDS) + " (or 幼儿园, 小学, 初中, 九年一贯制, 高中, 特殊教育)")
    return kind


def _school_gates(row: _Row, max_spread_m: float) -> list[tuple[float, float]]:
    if row.values.get(OUTLINE):
        raise row.error("lon", f"the feature is a {row.values[OUTLINE]} (a campus outline), which has no gate",
                        "add lon/lat (经度/纬度) attributes for the main gate, or give each school as a point "
                        "at its gate")
    return _gates(row, max_spread_m)


def _priority(row: _Row) -> int:
    priority = row.count("priority", default=3)
    if not 1 <= priority <= 5:
        raise row.error("priority", f"{priority} is outside 1–5", "use 1 (low) to 5 (high)")
    return priority


def _post_flags(row: _Row) -> tuple[bool, bool]:
    requires_post, forbid_post = row.flag("requires_post"), row.flag("forbid_post")
    if requires_post and forbid_post:
        raise row.error("forbid_post", "a school cannot both require and forbid a post", "clear one of the two")
    return requires_post, forbid_post


def _profile(row: _Row) -> str | None:
    profile = row.text("profile") or None
    if profile is not None and profile not in ("basic", "strict"):
        raise row.error("profile", f"'{profile}' is not a target profile", "use basic or strict, or leave empty")
    return profile


def _car_visits(row: _Row) -> int | None:
    car_visits = row.count("car_visits", default=0) or None
    if row.text("car_visits") and car_visits is None:
        raise row.error("car_visits", "0 car visits", "use a whole number ≥ 1, or leave it empty")
    return car_visits


def _school_team(row: _Row) -> dict[str, int] | None:
    """The school's own team at its posts (``school_cadre:1; guards:2; volunteers:6``), or None
    for the scenario's ``school_team``."""
    try:
        return parse_team(row.text("school_team"))
    except ValueError as exc:
        raise row.error("school_team", str(exc),
                        "write role:number pairs separated by ';', roles " + ", ".join(SCHOOL_ROLES)
                        + " (or 校领导, 保安, 教职工, 志愿者), e.g. school_cadre:1; guards:2; volunteers:6; "
                        "empty for the scenario's school_team, 无 for nobody") from None


# --------------------------------------------------------------------------- tables → objects


def read_schools(
    path: str | Path, *, datum: str = "wgs84", sheet: str | None = None,
    max_gate_spread_m: float = MAX_GATE_SPREAD_M,
) -> tuple[School, ...]:
    """Read schools (see :data:`SCHOOL_FIELDS`) and convert their gates to WGS-84.

    ``sheet`` names a workbook's sheet (or its number from 1, as text); an extra gate farther than
    ``max_gate_spread_m`` metres (straight line) from the main gate is an error. Every problem of
    every row is reported at once (see the module docstring).
    """
    if not max_gate_spread_m > 0:
        raise ValueError(f"max_gate_spread_m must be > 0 metres, not {max_gate_spread_m}")
    table = read_table(path, sheet=sheet, fields=SCHOOL_FIELDS)
    datum = _check_datum(datum, table.path)
    headers = _resolve_headers(table, SCHOOL_FIELDS)
    seen: dict[str, int] = {}
    problems: list[InputError] = []
    parsed = []
    for index in range(len(table.rows)):
        school = _school_row(_Row(table, index, headers, problems), seen, max_gate_spread_m)
        if school is not None:
            parsed.append(school)
    _raise_problems(table, problems)
    converted = _convert([g for _, gates in parsed for g in gates], datum)
    schools, cursor = [], 0
    for fields, gates in parsed:
        own = converted[cursor : cursor + len(gates)]
        cursor += len(gates)
        schools.append(School(gates=tuple(Gate(lon, lat) for lon, lat in own), **fields))
    return tuple(schools)


def _school_row(row: _Row, seen: dict[str, int], max_gate_spread_m: float) -> tuple[dict, list] | None:
    """One school row's fields (all but its gates) and its gates before datum conversion; None
    when the row has a problem (recorded in ``row.problems``)."""
    school_id = row.check(_unique_id, row, seen)
    name = row.check(row.required_text, "name")
    kind = row.check(_school_kind, row)
    gates = row.check(_school_gates, row, max_gate_spread_m)
    enrolment = row.check(row.count, "enrolment")
    priority = row.check(_priority, row)
    windows = _school_windows(row)
    weekday = _weekday_windows(row)
    flags = row.check(_post_flags, row)
    profile = row.check(_profile, row)
    car_visits = row.check(_car_visits, row)
    school_team = row.check(_school_team, row)
    if row.failed or flags is None or gates is None:
        return None
    return dict(
        id=school_id, name=name, kind=kind, enrolment=enrolment, windows=windows, weekday_windows=weekday,
        priority=priority,
        requires_post=flags[0], forbid_post=flags[1], profile=profile,
        station_id=row.text("station_id") or None, car_visits=car_visits, row=row.number,
        school_team=school_team,
        address=" ".join(row.text("address").split()),
    ), gates


def _school_windows(row: _Row) -> dict:
    """The row's windows by period, a second dismissal wave (``afternoon_2``) merged into the
    afternoon's."""
    windows = {}
    for period, required in (("morning", True), ("noon", False), ("afternoon", True)):
        window = row.check(_window, row, period, required=required)
        if window is not None:
            windows[period] = window
    second = row.check(_window, row, "afternoon_2", required=False)
    if second and "afternoon" in windows:  # a second dismissal wave (课后服务放学)
        merged = tuple(sorted(windows["afternoon"] + second))
        if any(b.start_s < a.end_s for a, b in zip(merged, merged[1:])):
            row.problems.append(row.error("afternoon_2", f"{second[0]} overlaps the afternoon window",
                                          "the second wave comes after the first dismissal"))
            row.failed = True
        else:
            windows["afternoon"] = merged
    return windows


def _weekday_windows(row: _Row) -> dict:
    """The row's windows kept on particular weekdays: weekday → period → windows."""
    weekday = {}
    for day in WEEKDAYS:
        for period in ("morning", "noon", "afternoon"):
            found = row.check(_window, row, f"{day}_{period}", required=False)
            if found:
                weekday.setdefault(day, {})[period] = found
    return weekday


def _station_kind(row: _Row) -> str:
    kind_raw = row.text("kind")
    kind = STATION_KINDS.get(kind_raw.lower(), STATION_KINDS.get(kind_raw))
    if kind is None:
        raise row.error("kind", f"'{kind_raw}' is not a station kind",
                        "use station (派出所) or pool (机关警力), or leave it empty")
    return kind


def _station_cars(row: _Row, kind: str | None) -> int:
    cars = row.count("cars")
    if kind == "pool" and cars:
        raise row.error("cars", f"a pool of officers has {cars} patrol car(s)",
                        "give pool rows 0 cars; patrol cars belong to a station")
    return cars


def read_stations(path: str | Path, *, datum: str = "wgs84", sheet: str | None = None) -> tuple[Station, ...]:
    """Read police stations (see :data:`STATION_FIELDS`), converted to WGS-84; ``sheet`` as for
    :func:`read_schools`, every problem reported at once."""
    table = read_table(path, sheet=sheet, fields=STATION_FIELDS)
    datum = _check_datum(datum, table.path)
    headers = _resolve_headers(table, STATION_FIELDS)
    seen: dict[str, int] = {}
    problems: list[InputError] = []
    parsed = []
    for index in range(len(table.rows)):
        row = _Row(table, index, headers, problems)
        fields = dict(
            id=row.check(_unique_id, row, seen), name=row.check(row.required_text, "name"),
            point=row.check(_point, row), police=row.check(row.count, "police"),
            auxiliary=row.check(row.count, "auxiliary"), kind=row.check(_station_kind, row), row=row.number,
        )
        fields["cars"] = row.check(_station_cars, row, fields["kind"])
        if not row.failed:
            parsed.append(fields)
    _raise_problems(table, problems)
    _say_outlines(table)
    points = _convert([p.pop("point") for p in parsed], datum)
    return tuple(Station(lon=lon, lat=lat, **fields) for fields, (lon, lat) in zip(parsed, points))


def read_sites(path: str | Path, *, datum: str = "wgs84", sheet: str | None = None) -> tuple[Site, ...]:
    """Read candidate post sites (see :data:`SITE_FIELDS`), converted to WGS-84; ``sheet`` as for
    :func:`read_schools`, every problem reported at once."""
    table = read_table(path, sheet=sheet, fields=SITE_FIELDS)
    datum = _check_datum(datum, table.path)
    headers = _resolve_headers(table, SITE_FIELDS)
    seen: dict[str, int] = {}
    problems: list[InputError] = []
    parsed = []
    for index in range(len(table.rows)):
        row = _Row(table, index, headers, problems)
        fields = dict(
            id=row.check(_unique_id, row, seen), name=row.text("name"), point=row.check(_point, row),
            existing=row.check(row.flag, "existing"), row=row.number,
        )
        if not row.failed:
            parsed.append(fields)
    _raise_problems(table, problems)
    _say_outlines(table)
    points = _convert([p.pop("point") for p in parsed], datum)
    return tuple(Site(lon=lon, lat=lat, **fields) for fields, (lon, lat) in zip(parsed, points))


def _say_outlines(table: Table) -> None:
    """Outlines (polygons) stand at a point inside them; say which rows, once per file."""
    rows = [n for n, r in zip(table.row_numbers, table.rows) if r.get(OUTLINE)]
    if rows:
        log.warning("%s: %d feature(s) are outlines, placed at a point inside each (rows %s); give points to "
                    "choose the place yourself", table.path.name, len(rows), ", ".join(map(str, rows[:10])))


def read_officers(path: str | Path, *, sheet: str | None = None) -> tuple[Officer, ...]:
    """Read the people who can staff posts (see :data:`OFFICER_FIELDS`): id, name, station, role
    (民警/辅警) and the dates they are away (``2026-10-08; 2026-11-02:2026-11-06``)."""
    table = read_table(path, sheet=sheet, fields=OFFICER_FIELDS)
    headers = _resolve_headers(table, OFFICER_FIELDS)
    seen: dict[str, int] = {}
    problems: list[InputError] = []
    out = []
    for index in range(len(table.rows)):
        row = _Row(table, index, headers, problems)
        officer_id = row.check(_unique_id, row, seen)
        name = row.check(row.required_text, "name")
        station = row.check(row.required_text, "station_id")
        role_raw = row.text("role")
        role = ROLE_NAMES.get(role_raw.lower(), ROLE_NAMES.get(role_raw))
        if role is None:
            row.problems.append(row.error("role", f"'{role_raw}' is not a role",
                                          "write 民警 or 辅警 (police or auxiliary)"))
            row.failed = True
        days = row.check(_dates, row, "unavailable")
        if row.failed:
            continue
        out.append(Officer(officer_id, name, station, role, frozenset(days or ()), row.number))
    _raise_problems(table, problems)
    return tuple(out)


def _dates(row: _Row, name: str) -> list[str]:
    """ISO dates and date ranges (``a:b``) separated by ``;``."""
    found = []
    for part in row.text(name).replace("；", ";").split(";"):
        part = part.strip()
        if not part:
            continue
        try:
            first, _, last = part.partition(":")
            start = date.fromisoformat(first.strip())
            end = date.fromisoformat(last.strip()) if last else start
        except ValueError:
            raise row.error(name, f"'{part}' is not a date or a range of dates",
                            "write dates as 2026-10-08, ranges as 2026-11-02:2026-11-06, separated by ;") from None
        found += [(start + timedelta(days=k)).isoformat() for k in range((end - start).days + 1)]
    return found
