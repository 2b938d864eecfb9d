"""``geo-patrol convert``: a table's coordinates from one datum to another, everything else kept.

Planners get school lists from Amap (GCJ-02), Baidu (BD-09) or a GPS survey (WGS-84), and paste
coordinates back into the web map their officers use. This converts the longitude/latitude
columns of a CSV, XLSX or GeoJSON table — found by the same headers the school, station and site
readers accept (``lon``/``经度``, ``lat``/``纬度``, and the extra-gates column ``gates``/``其他校门``
written as ``lon lat; lon lat``) — and writes a new file: same columns, same order, same
encoding (a CSV's byte order mark and GBK included), only the coordinates changed. GeoJSON
geometries are converted too. The input file is never overwritten.

Conversions are exact inverses (:mod:`geo_patrol.datum`); numbers are written with 7 decimals
(about 1 cm).
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any

import openpyxl

from geo_patrol.datum import from_wgs84, normalise_datum, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic

__all__ = ["convert_point", "convert_table"]

_LON = ("lon", "lng", "longitude", "x", "经度")
_LAT = ("lat", "latitude", "y", "纬度")
_GATES = ("gates", "extra_gates", "其他校门", "校门")


def convert_point(lon: float, lat: float, src: str, dst: str) -> tuple[float, float]:
    """One point from datum ``src`` to datum ``dst`` (through WGS-84)."""
    if src == dst:
        return lon, lat
    x, y = to_wgs84(lon, lat, src) if src != "wgs84" else (lon, lat)
    if dst != "wgs84":
        x, y = from_wgs84(x, y, dst)
    return float(x), float(y)


def convert_table(path: str | Path, out: str | Path, *, src: str, dst: str, sheet: str | None = None) -> int:
    """Write ``path`` with its coordinates converted from ``src`` to ``dst`` into ``out``;
    returns the number of points converted."""
    path, out = Path(path), Path(out)
    src, dst = _datum(src, "--from"), _datum(dst, "--to")
    if not path.is_file():
        raise InputError("file not found", file=path, hint="check the path")
    if out.resolve() == path.resolve():
        raise InputError("is the input file; convert writes a new file", file=out, hint="give another --out")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        data, count = _csv(path, src, dst)
    elif suffix in (".xlsx", ".xlsm"):
        data, count = _xlsx(path, src, dst, sheet)
    elif suffix in (".geojson", ".json"):
        data, count = _geojson(path, src, dst)
    else:
        raise InputError(f"cannot convert a '{suffix}' file", file=path, hint="use .csv, .xlsx or .geojson")
    out.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(out, data)
    return count


def _datum(name: str, option: str) -> str:
    try:
        return normalise_datum(name)
    except InputError as exc:
        raise InputError(exc.problem, field=option, hint=exc.hint) from None


def _columns(header: list[str], path: Path) -> tuple[int, int, int | None]:
    low = [str(h or "").strip().lower() for h in header]

    def find(names) -> int | None:
        return next((low.index(n) for n in names if n in low), None)

    lon, lat = find(_LON), find(_LAT)
    if lon is None or lat is None:
        raise InputError("has no longitude/latitude columns", file=path, row=1,
                         hint="head them lon/lat or 经度/纬度")
    return lon, lat, find(_GATES)


def _number(text: Any, path: Path, row: int, field: str) -> float | None:
    if text is None or str(text).strip() == "":
        return None
    try:
        value = float(str(text).strip())
    except ValueError:
        raise InputError(f"'{text}' is not a number", file=path, row=row, field=field,
                         hint="a decimal degree such as 114.3052") from None
    if not math.isfinite(value):
        raise InputError(f"'{text}' is not a finite number", file=path, row=row, field=field,
                         hint="a decimal degree such as 114.3052")
    return value


def _gates(text: str, src: str, dst: str, path: Path, row: int, field: str) -> tuple[str, int]:
    parts, count = [], 0
    for part in str(text).replace("；", ";").split(";"):
        pieces = part.replace(",", " ").replace("，", " ").split()
        if not pieces:
            continue
        if len(pieces) != 2:
            raise InputError(f"'{part.strip()}' is not a 'lon lat' pair", file=path, row=row, field=field,
                             hint="write gates as 'lon lat; lon lat'")
        lon, lat = (_number(p, path, row, field) for p in pieces)
        x, y = convert_point(lon, lat, src, dst)
        parts.append(f"{x:.7f} {y:.7f}")
        count += 1
    return "; ".join(parts), count


def _csv(path: Path, src: str, dst: str) -> tuple[bytes, int]:
    raw = path.read_bytes()
    bom = raw.startswith(b"\xef\xbb\xbf")
    for encoding in (["utf-8-sig"] if bom else ["utf-8", "gb18030"]):
        try:
            text = raw.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise InputError("is neither UTF-8 nor GBK text", file=path, hint="save it from Excel as CSV")
    rows = list(csv.reader(io.StringIO(text, newline="")))
    if not rows:
        raise InputError("is empty", file=path, hint="give a table with a header row")
    lon_i, lat_i, gates_i = _columns(rows[0], path)
    count = 0
    for number, row in enumerate(rows[1:], start=2):
        count += _convert_row(row, lon_i, lat_i, gates_i, rows[0], src, dst, path, number)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\r\n" if "\r\n" in text else "\n").writerows(rows)
    return buffer.getvalue().encode("utf-8-sig" if bom else encoding), count


def _convert_row(row: list, lon_i: int, lat_i: int, gates_i: int | None, header, src, dst, path, number) -> int:
    count = 0
    if max(lon_i, lat_i) < len(row):
        lon = _number(row[lon_i], path, number, str(header[lon_i]))
        lat = _number(row[lat_i], path, number, str(header[lat_i]))
        if lon is not None and lat is not None:
            x, y = convert_point(lon, lat, src, dst)
            row[lon_i], row[lat_i] = f"{x:.7f}", f"{y:.7f}"
            count += 1
    if gates_i is not None and gates_i < len(row) and str(row[gates_i] or "").strip():
        row[gates_i], n = _gates(row[gates_i], src, dst, path, number, str(header[gates_i]))
        count += n
    return count


def _xlsx(path: Path, src: str, dst: str, sheet: str | None) -> tuple[bytes, int]:
    try:
        book = openpyxl.load_workbook(path)
    except Exception as exc:  # openpyxl raises many kinds for a broken workbook
        raise InputError(f"is not a readable Excel workbook ({type(exc).__name__})", file=path,
                         hint="open it in Excel and save it again as .xlsx") from None
    ws = _worksheet(book, sheet, path)
    header_row = next((r for r in ws.iter_rows(min_row=1, max_row=10)
                       if any(str(c.value or "").strip().lower() in _LON for c in r)), None)
    if header_row is None:
        raise InputError("has no longitude/latitude columns", file=path, row=1, hint="head them lon/lat or 经度/纬度")
    header = [c.value for c in header_row]
    lon_i, lat_i, gates_i = _columns([str(h or "") for h in header], path)
    count = 0
    for cells in ws.iter_rows(min_row=header_row[0].row + 1):
        values = [c.value for c in cells]
        n = _convert_row(values, lon_i, lat_i, gates_i, header, src, dst, path, cells[0].row)
        if n:
            _write_back(cells, values, lon_i, lat_i, gates_i)
        count += n
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue(), count


def _worksheet(book, sheet: str | None, path: Path):
    """The sheet named ``sheet`` (or numbered, from 1), the first one when None."""
    if sheet is None:
        return book.worksheets[0]
    if sheet in book.sheetnames:
        return book[sheet]
    if sheet.isdigit() and 1 <= int(sheet) <= len(book.worksheets):
        return book.worksheets[int(sheet) - 1]
    raise InputError(f"has no sheet '{sheet}'", file=path, field="sheet",
                     hint="sheets: " + ", ".join(book.sheetnames))


def _write_back(cells, values: list, lon_i: int, lat_i: int, gates_i: int | None) -> None:
    """Put a converted row's coordinates (as numbers) and gates back into its cells."""
    for i in (lon_i, lat_i):
        if i < len(cells) and values[i] is not None:
            cells[i].value = float(values[i])
    if gates_i is not None and gates_i < len(cells):
        cells[gates_i].value = values[gates_i]


def _geojson(path: Path, src: str, dst: str) -> tuple[bytes, int]:
    try:
        data = json.loads(path.read_text(encoding="utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InputError(f"is not valid UTF-8 JSON ({exc})", file=path, hint="export it again") from None
    count = 0

    def walk(coords):
        nonlocal count
        if coords and isinstance(coords[0], (int, float)):
            x, y = convert_point(float(coords[0]), float(coords[1]), src, dst)
            count += 1
            return [round(x, 7), round(y, 7), *coords[2:]]
        return [walk(c) for c in coords]

    for feature in data.get("features", []) if isinstance(data, dict) else []:
        geometry = feature.get("geometry") or {}
        if "coordinates" in geometry:
            geometry["coordinates"] = walk(geometry["coordinates"])
    return (json.dumps(data, ensure_ascii=False) + "\n").encode("utf-8"), count
