"""Read a plan directory and turn it into documents for people: a workbook, duty sheets, charts.

The plan directory is the contract between the planner and every output (format
``geo_patrol.plan/1``): ``plan.json`` plus UTF-8 CSV files with a BOM (``schools.csv``,
``posts.csv``, ``rosters.csv``, ``visits.csv``, ``coverage.csv``, ``stations.csv``) and GeoJSON
files (``routes.geojson``, ``roads.geojson``, optional ``reach.geojson``); its file names,
columns and checks are those of :mod:`geo_patrol.planfiles`. :func:`read_plan_dir` reads and
checks it once; the map (:mod:`geo_patrol.maps`) and the functions here work from the resulting
:class:`PlanFiles`.

- :func:`write_report` — ``report.xlsx``: summary, posts, one roster sheet per station, car
  schedule, routes, coverage; Chinese titles with English in brackets.
- :func:`write_duty_sheets` — ``duty_sheets.html``: one printable A4 page per duty post
  (护学岗勤务表): where, which schools, when, who, signatures. No external fonts or scripts.
- :func:`plot_whatif` — a PNG line chart of a what-if sweep.

Every file is written to a temporary file in the target folder and moved into place, so a
failure never leaves a half-written file behind. Times of day stay ``HH:MM:SS`` text as in the
plan; distances are metres (``_m``) or kilometres (``_km``).
"""

from __future__ import annotations

import html
import io
import json
import logging
import math
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import pandas as pd

from geo_patrol.clock import parse_time
from geo_patrol.errors import InputError
from geo_patrol.planfiles import PERIODS, TABLES, read_geojson, read_meta, read_table

__all__ = [
    "PlanFiles", "read_plan_dir", "write_report", "write_duty_sheets", "plot_whatif",
    "nearest_road", "school_status", "write_atomic", "PERIOD_NAMES", "KIND_NAMES",
]

log = logging.getLogger(__name__)

PERIOD_NAMES: Mapping[str, Mapping[str, str]] = {
    "zh": {"morning": "上午", "noon": "中午", "afternoon": "下午"},
    "en": {"morning": "morning", "noon": "noon", "afternoon": "afternoon"},
}
KIND_NAMES: Mapping[str, Mapping[str, str]] = {
    "zh": {"kindergarten": "幼儿园", "primary": "小学", "middle": "初中", "nine_year": "九年一贯制",
           "high": "高中", "special": "特殊教育"},
    "en": {"kindergarten": "kindergarten", "primary": "primary", "middle": "middle school",
           "nine_year": "nine-year school", "high": "high school", "special": "special education"},
}

# ---------------------------------------------------------------------------------------------
# Reading the plan directory
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PlanFiles:
    """The contents of a plan directory, checked.

    Tables are pandas DataFrames with the columns of the plan format: ids and names are ``str``,
    lon/lat ``float`` (WGS-84 degrees), counts ``int``, flags ``bool``, times of day the plan's
    ``HH:MM:SS`` text (checked to parse). GeoJSON files are plain dicts; ``roads`` and ``reach``
    are ``None`` when the files are absent.
    """

    plan_dir: Path
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


def read_plan_dir(plan_dir: str | Path) -> PlanFiles:
    """Read and check a plan directory; :class:`InputError` names the file, row and field at fault."""
    plan_dir = Path(plan_dir)
    plan = read_meta(plan_dir)
    tables = {name: _frame(read_table(plan_dir / name)) for name in TABLES}
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


def _frame(table) -> pd.DataFrame:
    """A checked table as a DataFrame; a column outside the format is numeric when every cell is."""
    frame = pd.DataFrame({c: pd.Series([r[c] for r in table.records], dtype=_DTYPES.get(kind, object))
                          for c, kind in table.columns.items()})
    for name, cells in table.extra.items():  # e.g. per-period use columns of stations.csv
        raw = pd.Series(cells, dtype=object)
        numeric = pd.to_numeric(raw, errors="coerce")
        frame[name] = numeric if numeric.notna().all() and len(numeric) else raw
    return frame


# ---------------------------------------------------------------------------------------------
# Small shared helpers
# ---------------------------------------------------------------------------------------------


def school_status(row: Mapping[str, Any]) -> str:
    """``met`` (all three sightings), ``partly`` (some) or ``missed`` (none) for a coverage row."""
    if bool(row["three_sightings"]):
        return "met"
    if bool(row["officer_seen"]) or bool(row["car_seen"]) or bool(row["lights_seen"]):
        return "partly"
    return "missed"


def write_atomic(path: str | Path, data: bytes | str) -> Path:
    """Write ``data`` to ``path`` through a temporary file in the same folder and ``os.replace``.

    On any error the temporary file is removed and an existing ``path`` is left untouched. The
    file gets the mode of the file it replaces, else ``rw-r--r--`` (not the private mode of a
    temporary file).
    """
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else data
    mode = path.stat().st_mode & 0o777 if path.is_file() else 0o644
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(payload)
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def nearest_road(roads: Mapping[str, Any] | None, lon: float, lat: float, *,
                 max_distance_m: float = 300.0) -> tuple[str, float] | None:
    """Name of the nearest named road in a roads GeoJSON and its distance in metres.

    Only LineString/MultiLineString features with a non-empty ``name`` count. Distances are
    planar in a local equirectangular projection about ``lat`` (good to well under 1 % over a
    district). ``None`` when there is no named road within ``max_distance_m``.
    """
    if not roads:
        return None
    import numpy as np
    import shapely
    from shapely.geometry import shape

    scale = np.array([111_320.0 * math.cos(math.radians(lat)), 110_574.0])
    here = shapely.Point(lon * scale[0], lat * scale[1])
    best: tuple[str, float] | None = None
    for feature in roads.get("features", []):
        name = (feature.get("properties") or {}).get("name")
        geometry = feature.get("geometry") or {}
        if not name or geometry.get("type") not in ("LineString", "MultiLineString"):
            continue
        line = shapely.transform(shape(geometry), lambda xy: xy * scale)
        distance_m = float(line.distance(here))
        if distance_m <= max_distance_m and (best is None or distance_m < best[1]):
            best = (str(name), distance_m)
    return best


def _minutes(start: str, end: str) -> int:
    return (parse_time(end) - parse_time(start)) // 60


def _hm(text: str) -> str:
    return str(text)[:5]


def _role(officer: str) -> str:
    """``police`` or ``auxiliary`` from an officer id like ``P01-police-3``; ``other`` otherwise."""
    low = officer.lower()
    if "aux" in low or "辅" in officer:
        return "auxiliary"
    if "police" in low or "民警" in officer:
        return "police"
    return "other"


# ---------------------------------------------------------------------------------------------
# report.xlsx
# ---------------------------------------------------------------------------------------------

_STATUS_FILL = {"met": "C6EFCE", "partly": "FFE0B2", "missed": "FFC7CE"}
_STATUS_ZH = {"met": "达成 (met)", "partly": "部分 (partly)", "missed": "未达成 (missed)"}


def _yn(value: bool) -> str:
    return "是 (yes)" if value else "否 (no)"


def write_report(plan_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Write ``report.xlsx`` (default in ``plan_dir``) and return its path.

    Sheets: 概况 (Summary); 护学岗 (Posts) — duty times and staffing per post and period; one
    勤务 (Roster) sheet per station; 巡逻排班 (Car schedule) — stops per car and period in order;
    巡逻路线 (Routes) — start, end, km and stops per car and period; 三见覆盖 (Coverage) — per
    school and window, coloured green/orange/red for met/partly/missed.
    """
    from openpyxl import Workbook

    plan = read_plan_dir(plan_dir)
    out = Path(out) if out is not None else plan.plan_dir / "report.xlsx"
    names, stations = plan.school_names, plan.station_names
    period_zh = PERIOD_NAMES["zh"]

    def period_label(p: str) -> str:
        return f"{period_zh.get(p, p)} ({p})"

    book = Workbook()
    sheet = book.active
    sheet.title = "概况 (Summary)"
    _summary_sheet(sheet, plan, period_label)

    rows = []
    for r in plan.posts.sort_values(["post_id", "period"], key=_period_key).itertuples():
        served = [s for s in str(r.school_ids).split(";") if s]
        rows.append([r.post_id, period_label(r.period), f"{r.station_id} {stations.get(r.station_id, '')}".strip(),
                     "、".join(f"{names.get(s, s)} ({s})" for s in served), _hm(r.duty_start), _hm(r.duty_end),
                     _minutes(r.duty_start, r.duty_end), r.police, r.auxiliary, _yn(r.car_at_post),
                     round(r.lon, 6), round(r.lat, 6)])
    _table(book.create_sheet("护学岗 (Posts)"),
           ["岗位 (post)", "时段 (period)", "派出所 (station)", "服务学校 (schools)", "上岗 (start)",
            "下岗 (end)", "时长分钟 (minutes)", "民警 (police)", "辅警 (auxiliary)", "警车驻岗 (car at post)",
            "经度 (lon)", "纬度 (lat)"], rows)

    post_schools = {r.post_id: r.school_ids for r in plan.posts.itertuples()}
    station_ids = list(plan.stations["station_id"]) + sorted(set(plan.rosters["station_id"]) - set(stations))
    used_titles: set[str] = set()
    for station_id in station_ids:
        roster = plan.rosters[plan.rosters["station_id"] == station_id]
        rows = [[r.officer, {"police": "民警", "auxiliary": "辅警"}.get(_role(r.officer), "其他"),
                 period_label(r.period), r.post_id, _hm(r.start), _hm(r.end),
                 "、".join(names.get(s, s) for s in str(post_schools.get(r.post_id, "")).split(";") if s)]
                for r in roster.sort_values(["period", "post_id", "officer"], key=_period_key).itertuples()]
        title = _sheet_title(f"勤务 {station_id} {stations.get(station_id, '')}", used_titles)
        _table(book.create_sheet(title), ["人员 (officer)", "身份 (role)", "时段 (period)", "岗位 (post)",
                                          "上岗 (start)", "下岗 (end)", "服务学校 (schools)"], rows)

    rows = [[r.vehicle_id, f"{r.station_id} {stations.get(r.station_id, '')}".strip(), period_label(r.period),
             r.seq, r.school_id, names.get(r.school_id, ""), _hm(r.arrive), _hm(r.depart),
             _minutes(r.arrive, r.depart), round(r.lon, 6), round(r.lat, 6)]
            for r in plan.visits.sort_values(["vehicle_id", "period", "seq"], key=_period_key).itertuples()]
    _table(book.create_sheet("巡逻排班 (Car schedule)"),
           ["警车 (car)", "派出所 (station)", "时段 (period)", "顺序 (seq)", "学校编号 (school_id)",
            "学校 (school)", "到达 (arrive)", "离开 (depart)", "停留分钟 (minutes)", "经度 (lon)", "纬度 (lat)"],
           rows)

    rows = []
    for feature in plan.routes["features"]:
        p = feature.get("properties") or {}
        rows.append([p.get("vehicle_id"), p.get("station_id"), period_label(str(p.get("period"))), p.get("start"),
                     p.get("end"), p.get("drive_km"), p.get("stops")])
    rows.sort(key=lambda r: (str(r[0]), str(r[3])))
    _table(book.create_sheet("巡逻路线 (Routes)"),
           ["警车 (car)", "派出所 (station)", "时段 (period)", "出车 (start)", "收车 (end)",
            "里程公里 (drive_km)", "停靠点 (stops)"], rows)

    kinds = dict(zip(plan.schools["school_id"], plan.schools["kind"]))
    rows, fills = [], []
    for r in plan.coverage.sort_values(["school_id", "period"], key=_period_key).to_dict("records"):
        status = school_status(r)
        fills.append(_STATUS_FILL[status])
        rows.append([r["school_id"], names.get(r["school_id"], ""),
                     KIND_NAMES["zh"].get(kinds.get(r["school_id"], ""), kinds.get(r["school_id"], "")),
                     period_label(r["period"]), f"{_hm(r['window_start'])}-{_hm(r['window_end'])}",
                     _yn(r["officer_seen"]), _yn(r["car_seen"]), _yn(r["lights_seen"]), _STATUS_ZH[status],
                     r["officer_presence_pct"], r["worst_response_s"], r["within_target_pct"],
                     _yn(r["second_unit_300s"]), r["sources"], r["reason"]])
    sheet = book.create_sheet("三见覆盖 (Coverage)")
    _table(sheet, ["学校编号 (school_id)", "学校 (school)", "类型 (kind)", "时段 (period)", "时间窗 (window)",
                   "见警察 (officer)", "见警车 (car)", "见警灯 (lights)", "三见 (three sightings)",
                   "民警在场率% (officer presence)", "最长到场秒 (worst response s)",
                   "135达标率% (within target)", "5分钟增援 (second unit 300 s)", "来源 (sources)",
                   "原因 (reason)"], rows)
    from openpyxl.styles import PatternFill

    for i, colour in enumerate(fills, start=2):
        sheet.cell(row=i, column=9).fill = PatternFill("solid", fgColor=colour)

    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(out, buffer.getvalue())
    log.info("wrote %s", out)
    return out


def _period_key(column: pd.Series) -> pd.Series:
    if column.name == "period":
        return column.map({p: i for i, p in enumerate(PERIODS)})
    return column


def _sheet_title(text: str, used: set[str]) -> str:
    clean = "".join(" " if c in '[]:*?/\\' else c for c in text).strip()[:31]
    title, k = clean, 2
    while title in used:
        title = f"{clean[:28]} {k}"
        k += 1
    used.add(title)
    return title


def _table(sheet, header: list[str], rows: Iterable[list]) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet.append(header)
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE7F3")
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    sheet.freeze_panes = "A2"
    if sheet.max_row > 1:
        sheet.auto_filter.ref = sheet.dimensions
    for i, title in enumerate(header, start=1):
        values = [str(c.value) for c in sheet[get_column_letter(i)][1:] if c.value is not None]
        width = max([_text_width(title) * 0.6] + [_text_width(v) for v in values])
        sheet.column_dimensions[get_column_letter(i)].width = min(60, max(8, width + 2))


def _cell(value: Any) -> Any:
    if hasattr(value, "item"):  # numpy scalar → Python
        return value.item()
    return value


def _text_width(text: str) -> float:
    return sum(2.0 if ord(c) > 0x2E80 else 1.0 for c in str(text))


def _summary_sheet(sheet, plan: PlanFiles, period_label) -> None:
    from openpyxl.styles import Font

    s = plan.summary
    scenario = plan.plan.get("scenario", {})
    rows: list[list] = [
        ["方案 (scenario)", scenario.get("name", "")],
        ["随机种子 (seed)", scenario.get("seed", "")],
        ["生成时间 (created)", plan.plan.get("created", "")],
        ["学校 (schools)", s.get("schools", len(plan.schools))],
        ["护学岗 (posts)", s.get("posts", plan.posts["post_id"].nunique())],
        ["民警 (police)", s.get("police", "")],
        ["辅警 (auxiliary)", s.get("auxiliary", "")],
        ["派出所 (stations)", len(plan.stations)],
        [],
        ["时段 (period)", "三见达成率 (attained share)", "用车 (cars used)", "里程公里 (km driven)",
         "135达标率 (within response target)"],
    ]
    header_row = len(rows)
    for p in plan.periods:
        rows.append([period_label(p), _share(s.get("attained_share", {}).get(p)), s.get("cars_used", {}).get(p),
                     s.get("km_driven", {}).get(p), _share(s.get("response_within_target_share", {}).get(p))])
    rows.append([])
    rows.append(["未达成 (not met)", "时段 (period)", "原因 (reason)"])
    uncovered_row = len(rows)
    names = plan.school_names
    for u in s.get("uncovered", []):
        rows.append([f"{names.get(u.get('school_id'), '')} ({u.get('school_id')})",
                     period_label(str(u.get("period"))), u.get("reason", "")])
    rows.append([])
    rows.append(["参数 (parameter)", "值 (value)"])
    params_row = len(rows)
    for key, value in plan.parameters.items():
        rows.append([key, json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value])
    for row in rows:
        sheet.append([_cell(v) for v in row])
    for r in (header_row, uncovered_row, params_row):
        for cell in sheet[r]:
            cell.font = Font(bold=True)
    for col in "ABCDE":
        sheet.column_dimensions[col].width = 30


def _share(value: Any) -> Any:
    return None if value is None else f"{100.0 * float(value):.1f}%"


# ---------------------------------------------------------------------------------------------
# duty_sheets.html
# ---------------------------------------------------------------------------------------------

_SHEET_TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "title": "护学岗勤务表", "where": "岗位位置", "post": "岗位编号", "coords": "坐标 (WGS-84)",
        "road": "最近道路", "station": "所属派出所", "schools": "服务学校 / 校门", "school": "学校",
        "kind": "类型", "enrolment": "在校人数", "gate": "校门坐标", "window": "上学/放学时间",
        "when": "上岗时间", "period": "时段", "duty": "勤务时间", "police": "民警", "auxiliary": "辅警",
        "car": "警车驻岗", "who": "值勤人员", "officer": "人员编号", "role": "身份", "none": "无",
        "yes": "是", "no": "否", "sign_leader": "带班领导签字", "sign_officers": "值勤人员签字",
        "date": "日期", "note": "要求：按时到岗，做到见警察、见警车、见警灯（“三见”）；遇突发情况按“135”机制处置。",
        "scenario": "方案", "created": "生成时间", "metres": "米", "page": "第 {i} 页 / 共 {n} 页",
        "role_police": "民警", "role_auxiliary": "辅警", "role_other": "其他", "lang": "zh-CN",
    },
    "en": {
        "title": "School-run duty post sheet", "where": "Post location", "post": "Post", "coords":
        "Coordinates (WGS-84)", "road": "Nearest road", "station": "Police station", "schools":
        "Schools / gates served", "school": "School", "kind": "Kind", "enrolment": "Enrolment", "gate": "Gate",
        "window": "School-run windows", "when": "Duty times", "period": "Period", "duty": "On duty",
        "police": "Police", "auxiliary": "Auxiliary", "car": "Car at post", "who": "Officers on duty",
        "officer": "Officer", "role": "Role", "none": "none", "yes": "yes", "no": "no",
        "sign_leader": "Duty leader signature", "sign_officers": "Officers' signatures", "date": "Date",
        "note": "Be at the post on time so that people see an officer, a police car and police lights "
                "(the three sightings); respond to incidents under the 1-3-5 rule.",
        "scenario": "Plan", "created": "Created", "metres": "m", "page": "page {i} of {n}",
        "role_police": "police", "role_auxiliary": "auxiliary", "role_other": "other", "lang": "en",
    },
}

_SHEET_CSS = """
@page { size: A4; margin: 16mm 15mm; }
* { box-sizing: border-box; }
body { font-family: "Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
       "WenQuanYi Micro Hei", "SimSun", sans-serif; color: #111; margin: 0; font-size: 11pt; }
.page { page-break-after: always; break-after: page; padding: 0; max-width: 180mm; margin: 0 auto; }
.page:last-child { page-break-after: auto; break-after: auto; }
h1 { font-size: 20pt; text-align: center; margin: 0 0 2mm 0; letter-spacing: 0.1em; }
.sub { text-align: center; color: #444; margin-bottom: 5mm; font-size: 10pt; }
h2 { font-size: 12.5pt; border-left: 4px solid #1f4e9c; padding-left: 2mm; margin: 5mm 0 2mm 0; }
table { border-collapse: collapse; width: 100%; }
th, td { border: 1px solid #555; padding: 1.5mm 2mm; text-align: left; vertical-align: top; }
th { background: #e8eef7; font-weight: bold; }
table.kv th { width: 32%; }
.note { margin-top: 5mm; font-size: 10pt; border: 1px dashed #888; padding: 2mm; }
.sign { margin-top: 10mm; display: flex; gap: 8mm; }
.sign div { flex: 1; border-bottom: 1px solid #111; padding-bottom: 9mm; }
.foot { margin-top: 6mm; text-align: right; font-size: 9pt; color: #555; }
@media screen { body { background: #ddd; } .page { background: #fff; margin: 8mm auto; padding: 12mm;
  width: 210mm; max-width: none; min-height: 297mm; box-shadow: 0 0 4px #999; } }
"""


def write_duty_sheets(plan_dir: str | Path, *, out: str | Path | None = None, lang: str = "zh") -> Path:
    """Write ``duty_sheets.html`` (default in ``plan_dir``): one printable A4 page per duty post.

    Each page says where (post id, coordinates, nearest named road from ``roads.geojson`` within
    300 m, station), which schools and gates it serves with their windows, when (duty interval,
    police and auxiliary per period), who (the roster) and has signature lines. ``lang`` is
    ``"zh"`` (default) or ``"en"``. The file uses only inline CSS and system fonts.
    """
    text = _language(lang, _SHEET_TEXT)
    plan = read_plan_dir(plan_dir)
    out = Path(out) if out is not None else plan.plan_dir / "duty_sheets.html"
    esc = html.escape
    periods = PERIOD_NAMES[lang]
    kinds = KIND_NAMES[lang]
    schools = plan.schools.set_index("school_id")
    stations = plan.stations.set_index("station_id")
    scenario = plan.plan.get("scenario", {})
    post_ids = list(dict.fromkeys(plan.posts.sort_values("post_id")["post_id"]))
    pages = []
    for i, post_id in enumerate(post_ids, start=1):
        rows = plan.posts[plan.posts["post_id"] == post_id].sort_values("period", key=_period_key)
        first = rows.iloc[0]
        lon, lat = float(first["lon"]), float(first["lat"])
        road = nearest_road(plan.roads, lon, lat)
        road_text = f"{esc(road[0])} ({road[1]:.0f} {text['metres']})" if road else text["none"]
        station_id = str(first["station_id"])
        station_name = str(stations["name"].get(station_id, "")) if station_id in stations.index else ""
        served = list(dict.fromkeys(s for ids in rows["school_ids"] for s in str(ids).split(";") if s))
        school_rows = []
        for sid in served:
            if sid in schools.index:
                s = schools.loc[sid]
                windows = "; ".join(f"{periods[p]} {s[p]}" for p in PERIODS if str(s[p]))
                school_rows.append(
                    f"<tr><td>{esc(str(s['name']))} ({esc(sid)})</td><td>{esc(kinds.get(s['kind'], s['kind']))}</td>"
                    f"<td>{int(s['enrolment'])}</td><td>{s['lon']:.6f}, {s['lat']:.6f}</td>"
                    f"<td>{esc(windows)}</td></tr>")
            else:
                school_rows.append(f"<tr><td>{esc(sid)}</td><td></td><td></td><td></td><td></td></tr>")
        duty_rows = "".join(
            f"<tr><td>{esc(periods.get(r.period, r.period))}</td><td>{_hm(r.duty_start)}–{_hm(r.duty_end)}</td>"
            f"<td>{r.police}</td><td>{r.auxiliary}</td><td>{text['yes'] if r.car_at_post else text['no']}</td></tr>"
            for r in rows.itertuples())
        roster = plan.rosters[plan.rosters["post_id"] == post_id].sort_values(["period", "officer"], key=_period_key)
        roster_rows = "".join(
            f"<tr><td>{esc(periods.get(r.period, r.period))}</td><td>{esc(r.officer)}</td>"
            f"<td>{text['role_' + _role(r.officer)]}</td><td>{_hm(r.start)}–{_hm(r.end)}</td><td></td></tr>"
            for r in roster.itertuples()) or f"<tr><td colspan='5'>{text['none']}</td></tr>"
        pages.append(f"""
<section class="page">
<h1>{text['title']}</h1>
<div class="sub">{text['post']} {esc(post_id)} · {esc(station_name)} · {text['scenario']}: {esc(str(scenario.get('name', '')))}</div>
<h2>{text['where']}</h2>
<table class="kv">
<tr><th>{text['post']}</th><td>{esc(post_id)}</td></tr>
<tr><th>{text['coords']}</th><td>{lon:.6f}, {lat:.6f}</td></tr>
<tr><th>{text['road']}</th><td>{road_text}</td></tr>
<tr><th>{text['station']}</th><td>{esc(station_name)} ({esc(station_id)})</td></tr>
</table>
<h2>{text['schools']}</h2>
<table><tr><th>{text['school']}</th><th>{text['kind']}</th><th>{text['enrolment']}</th><th>{text['gate']}</th><th>{text['window']}</th></tr>
{''.join(school_rows)}</table>
<h2>{text['when']}</h2>
<table><tr><th>{text['period']}</th><th>{text['duty']}</th><th>{text['police']}</th><th>{text['auxiliary']}</th><th>{text['car']}</th></tr>
{duty_rows}</table>
<h2>{text['who']}</h2>
<table><tr><th>{text['period']}</th><th>{text['officer']}</th><th>{text['role']}</th><th>{text['duty']}</th><th>{text['sign_officers']}</th></tr>
{roster_rows}</table>
<div class="note">{text['note']}</div>
<div class="sign"><div>{text['sign_leader']}:</div><div>{text['sign_officers']}:</div><div>{text['date']}:</div></div>
<div class="foot">{text['created']}: {esc(str(plan.plan.get('created', '')))} · {text['page'].format(i=i, n=len(post_ids))}</div>
</section>""")
    document = (f"<!DOCTYPE html>\n<html lang=\"{text['lang']}\"><head><meta charset=\"utf-8\">"
                f"<title>{text['title']} — {esc(str(scenario.get('name', '')))}</title>"
                f"<style>{_SHEET_CSS}</style></head><body>{''.join(pages)}\n</body></html>\n")
    write_atomic(out, document)
    log.info("wrote %d duty sheets to %s", len(pages), out)
    return out


def _language(lang: str, table: Mapping[str, Any]) -> Any:
    if lang not in table:
        raise InputError(f"language '{lang}' is not available", field="lang",
                         hint="use " + " or ".join(f"'{k}'" for k in table))
    return table[lang]


# ---------------------------------------------------------------------------------------------
# What-if chart
# ---------------------------------------------------------------------------------------------

_CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
              "WenQuanYi Micro Hei", "SimHei", "DejaVu Sans"]


def plot_whatif(rows: Sequence[Mapping[str, Any]], *, x: str, y: str | Sequence[str], out: str | Path,
                title: str | None = None, x_label: str | None = None, y_label: str | None = None) -> Path:
    """Plot a what-if sweep as a PNG line chart and return its path.

    ``rows`` are dicts, one per run (e.g. ``{"police": 40, "attained_share": 0.93}``); ``x`` is
    the key on the horizontal axis and ``y`` one key or several (one line each). Rows are sorted
    by ``x``; a ``None`` y value leaves a gap. Axis labels default to the keys. Uses the Agg
    backend through an explicit Figure (no pyplot state).
    """
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    import matplotlib

    ys = [y] if isinstance(y, str) else list(y)
    if not rows:
        raise InputError("no what-if rows to plot", field="rows", hint="run at least one variant")
    if not ys:
        raise InputError("no y column given", field="y", hint="name at least one key of the rows")
    for i, row in enumerate(rows, start=1):
        for key in [x, *ys]:
            if key not in row:
                raise InputError(f"key '{key}' missing", row=i, field=key,
                                 hint="every row needs the x key and each y key")
    try:
        ordered = sorted(rows, key=lambda r: float(r[x]))
        xs = [float(r[x]) for r in ordered]
        series = {k: [math.nan if r[k] is None else float(r[k]) for r in ordered] for k in ys}
    except (TypeError, ValueError) as exc:
        raise InputError(f"what-if values must be numbers ({exc})", field=x,
                         hint="give numeric x and y values") from exc
    with matplotlib.rc_context({"font.family": "sans-serif",
                                "font.sans-serif": _CJK_FONTS + list(matplotlib.rcParams["font.sans-serif"]),
                                "axes.unicode_minus": False}):
        figure = Figure(figsize=(7.0, 4.2), dpi=120)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        for key, values in series.items():
            axes.plot(xs, values, marker="o", linewidth=1.8, label=key)
        axes.set_xlabel(x_label or x)
        axes.set_ylabel(y_label or (ys[0] if len(ys) == 1 else ", ".join(ys)))
        if title:
            axes.set_title(title)
        axes.grid(True, alpha=0.3)
        if len(ys) > 1:
            axes.legend()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return write_atomic(Path(out), buffer.getvalue())
