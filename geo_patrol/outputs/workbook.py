"""``report.xlsx``: the plan as a workbook a planner prints and hands in.

Sheets: 概况 (Summary); 护学岗 (Posts); one 勤务 (Roster) sheet per station; 巡逻排班 (Car
schedule); 巡逻路线 (Routes); 三见覆盖 (Coverage), coloured green/orange/red for
met/partly/missed. Chinese titles with English in brackets. Written atomically.

Every sheet prints on A4 landscape, fitted to the page width, with its header row repeated on
each page, frozen under the header on screen, and page numbers in the footer. Shares of the
coverage sheet (officer presence, "135" within target) are numbers formatted as percentages.

What a cell shows is what the plan says: every text cell is stored as a string, never as a
formula (a school called ``=HYPERLINK(...)`` stays that text). The file depends on the plan
only: the workbook's created/modified properties and the zip entries' times are the plan's
``created`` time, so the same plan gives the same bytes.
"""

from __future__ import annotations

import io
import json
import logging
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.page import PageMargins
from openpyxl.writer.excel import ExcelWriter

from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import PlanFiles, output_lang, read_plan_dir
from geo_patrol.labels import ReasonBook, officer_label, role_name, sources_text
from geo_patrol.outputs.common import (
    KIND_LABELS,
    PERIOD_NAMES,
    hour_minute,
    minutes_between,
    period_order,
    school_status,
)

log = logging.getLogger(__name__)

__all__ = ["Link", "tables_workbook", "write_report"]


_STATUS_FILL = {"met": "C6EFCE", "partly": "FFE0B2", "missed": "FFC7CE"}
_STATUS_ZH = {"met": "达成 (met)", "partly": "部分 (partly)", "missed": "未达成 (missed)"}
#: summary figures per period shown beside the attained share when plan.json has them
_OPTIONAL_FIGURES = {"met_strict": "三见达标(严格) (met, strict)",
                     "schools_with_post": "设护学岗学校 (schools with a post)"}
#: the earliest time a zip entry can carry
_ZIP_EPOCH = (1980, 1, 1, 0, 0, 0)


def _yn(value: bool) -> str:
    return "是 (yes)" if value else "否 (no)"


def write_report(plan_dir: str | Path, *, out: str | Path | None = None) -> Path:
    """Write ``report.xlsx`` (default in ``plan_dir``) and return its path.

    Sheets: 概况 (Summary); 护学岗 (Posts) — duty times and staffing per post and period; one
    勤务 (Roster) sheet per station; 巡逻排班 (Car schedule) — stops per car and period in order;
    巡逻路线 (Routes) — start, end, km and stops per car and period; 三见覆盖 (Coverage) — per
    school and window, coloured green/orange/red for met/partly/missed. Officer labels, the
    sources and the reasons a target is missed are in the plan's output language (``plan.json`` ``outputs.lang``).
    """
    plan = read_plan_dir(plan_dir)
    out = Path(out) if out is not None else plan.plan_dir / "report.xlsx"
    lang = output_lang(plan.plan)
    period_zh = PERIOD_NAMES["zh"]

    def period_label(p: str) -> str:
        return f"{period_zh.get(p, p)} ({p})"

    book = Workbook()
    sheet = book.active
    sheet.title = "概况 (Summary)"
    _summary_sheet(sheet, plan, period_label, lang)

    _posts_sheet(book, plan, period_label)
    _roster_sheets(book, plan, period_label, lang)
    _car_schedule_sheet(book, plan, period_label)
    _routes_sheet(book, plan, period_label)
    _coverage_sheet(book, plan, period_label, lang)

    for sheet in book.worksheets:
        _print_setup(sheet, header=sheet.title != "概况 (Summary)")

    write_atomic(out, _workbook_bytes(book, _created(plan.plan.get("created"))))
    log.info("wrote %s", out)
    return out


def _posts_sheet(book, plan, period_label) -> None:
    """护学岗 (Posts): duty times and staffing per post and period."""
    names, stations = plan.school_names, plan.station_names
    rows = []
    for r in plan.posts.sort_values(["post_id", "period"], key=period_order).itertuples():
        served = [s for s in str(r.school_ids).split(";") if s]
        rows.append([r.post_id, period_label(r.period), f"{r.station_id} {stations.get(r.station_id, '')}".strip(),
                     "、".join(f"{names.get(s, s)} ({s})" for s in served), hour_minute(r.duty_start),
                     hour_minute(r.duty_end), minutes_between(r.duty_start, r.duty_end), r.police, r.auxiliary,
                     _yn(r.car_at_post), *_shown(plan, r.lon, r.lat)])
    _table(book.create_sheet("护学岗 (Posts)"),
           ["岗位 (post)", "时段 (period)", "派出所 (station)", "服务学校 (schools)", "上岗 (start)",
            "下岗 (end)", "时长分钟 (minutes)", "民警 (police)", "辅警 (auxiliary)", "警车驻岗 (car at post)",
            f"经度 (lon, {plan.datum})", f"纬度 (lat, {plan.datum})"], rows)


def _roster_sheets(book, plan, period_label, lang: str) -> None:
    """勤务 (Roster): one sheet per station, its officers on their posts."""
    names, stations = plan.school_names, plan.station_names
    post_schools = {r.post_id: r.school_ids for r in plan.posts.itertuples()}
    station_ids = list(plan.stations["station_id"]) + sorted(set(plan.rosters["station_id"]) - set(stations))
    used_titles: set[str] = set()
    for station_id in station_ids:
        roster = plan.rosters[plan.rosters["station_id"] == station_id]
        rows = [[officer_label(r.officer, r.role, lang), r.officer, role_name(r.role, lang),
                 period_label(r.period), r.post_id, hour_minute(r.start), hour_minute(r.end),
                 "、".join(names.get(s, s) for s in str(post_schools.get(r.post_id, "")).split(";") if s)]
                for r in roster.sort_values(["period", "post_id", "officer"], key=period_order).itertuples()]
        title = _sheet_title(f"勤务 {station_id} {stations.get(station_id, '')}", used_titles)
        _table(book.create_sheet(title), ["人员 (officer)", "人员编号 (officer_id)", "身份 (role)", "时段 (period)",
                                          "岗位 (post)", "上岗 (start)", "下岗 (end)", "服务学校 (schools)"], rows)


def _car_schedule_sheet(book, plan, period_label) -> None:
    """巡逻排班 (Car schedule): stops per car and period in order."""
    names, stations = plan.school_names, plan.station_names
    rows = [[r.vehicle_id, f"{r.station_id} {stations.get(r.station_id, '')}".strip(), period_label(r.period),
             r.seq, r.school_id, names.get(r.school_id, ""), hour_minute(r.arrive), hour_minute(r.depart),
             minutes_between(r.arrive, r.depart), *_shown(plan, r.lon, r.lat)]
            for r in plan.visits.sort_values(["vehicle_id", "period", "seq"], key=period_order).itertuples()]
    _table(book.create_sheet("巡逻排班 (Car schedule)"),
           ["警车 (car)", "派出所 (station)", "时段 (period)", "顺序 (seq)", "学校编号 (school_id)",
            "学校 (school)", "到达 (arrive)", "离开 (depart)", "停留分钟 (minutes)", f"经度 (lon, {plan.datum})",
            f"纬度 (lat, {plan.datum})"],
           rows)


def _routes_sheet(book, plan, period_label) -> None:
    """巡逻路线 (Routes): start, end, km and stops per car and period."""
    rows = []
    for feature in plan.routes["features"]:
        p = feature.get("properties") or {}
        rows.append([p.get("vehicle_id"), p.get("station_id"), period_label(str(p.get("period"))), p.get("start"),
                     p.get("end"), p.get("drive_km"), p.get("stops")])
    rows.sort(key=lambda r: (str(r[0]), str(r[3])))
    _table(book.create_sheet("巡逻路线 (Routes)"),
           ["警车 (car)", "派出所 (station)", "时段 (period)", "出车 (start)", "收车 (end)",
            "里程公里 (drive_km)", "停靠点 (stops)"], rows)


def _coverage_sheet(book, plan, period_label, lang: str) -> None:
    """三见覆盖 (Coverage): per school and window, coloured by status."""
    names = plan.school_names
    kinds = dict(zip(plan.schools["school_id"], plan.schools["kind"]))
    rows, fills = [], []
    reasons = ReasonBook(plan.plan)
    for r in plan.coverage.sort_values(["school_id", "period"], key=period_order).to_dict("records"):
        status = school_status(r)
        fills.append(_STATUS_FILL[status])
        rows.append([r["school_id"], names.get(r["school_id"], ""),
                     KIND_LABELS["zh"].get(kinds.get(r["school_id"], ""), kinds.get(r["school_id"], "")),
                     period_label(r["period"]), f"{hour_minute(r['window_start'])}-{hour_minute(r['window_end'])}",
                     _yn(r["officer_seen"]), _yn(r["car_seen"]), _yn(r["lights_seen"]), _STATUS_ZH[status],
                     _fraction(r["officer_presence_pct"]), r["worst_response_s"], _fraction(r["within_target_pct"]),
                     _yn(r["second_unit_300s"]), sources_text(r["sources"], lang),
                     reasons.text(r["school_id"], r["period"], r["window_start"], r["reason"],
                                  str(r.get("reason_text") or ""), lang)])
    sheet = book.create_sheet("三见覆盖 (Coverage)")
    _table(sheet, ["学校编号 (school_id)", "学校 (school)", "类型 (kind)", "时段 (period)", "时间窗 (window)",
                   "见警察 (officer)", "见警车 (car)", "见警灯 (lights)", "三见 (three sightings)",
                   "民警在场率 (officer presence)", "最长到场秒 (worst response s)",
                   "135达标率 (within target)", "5分钟增援 (second unit 300 s)", "来源 (sources)",
                   "原因 (reason)"], rows)
    for i, colour in enumerate(fills, start=2):
        sheet.cell(row=i, column=9).fill = PatternFill("solid", fgColor=colour)
        for column in (10, 12):
            sheet.cell(row=i, column=column).number_format = "0.0%"


def _fraction(percent: Any) -> float:
    """A percentage of the plan (0–100) as the fraction a cell formatted ``0.0%`` shows."""
    return round(float(percent) / 100.0, 6)


def _print_setup(sheet, *, header: bool) -> None:
    """A4 landscape, fitted to the page width (as many pages down as it takes), narrow margins, the
    header row repeated on every page, page numbers in the footer."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_margins = PageMargins(left=0.4, right=0.4, top=0.6, bottom=0.6, header=0.3, footer=0.3)
    sheet.print_options.horizontalCentered = True
    if header and sheet.max_row > 1:
        sheet.print_title_rows = "1:1"
    sheet.oddHeader.center.text = "&A"
    sheet.oddFooter.center.text = "&P / &N"


def _created(text: Any) -> datetime | None:
    """The plan's ``created`` time (ISO 8601), or ``None`` when it is missing or unreadable."""
    try:
        return datetime.fromisoformat(str(text).strip().replace("Z", "+00:00")) if text else None
    except ValueError:
        log.warning("plan.json's created time %r is not ISO 8601; report.xlsx carries no time", text)
        return None


def _workbook_bytes(book: Workbook, created: datetime | None) -> bytes:
    """The workbook as XLSX bytes that depend on its content and ``created`` only.

    The document properties created/modified are ``created`` (in UTC, as the format wants) and
    every zip entry carries ``created``'s wall time, instead of the clock; without a ``created``
    time both are 1980-01-01 00:00, the earliest a zip entry can hold.
    """
    if created is None:
        created = datetime(*_ZIP_EPOCH)
    utc = created.astimezone(timezone.utc).replace(tzinfo=None) if created.tzinfo else created
    book.properties.created = book.properties.modified = utc
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED, allowZip64=True) as archive:
        ExcelWriter(book, archive).save()  # Workbook.save would stamp modified with the clock
    stamp = max(_ZIP_EPOCH, created.timetuple()[:6])
    packed = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(buffer.getvalue())) as source, \
            zipfile.ZipFile(packed, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            entry = zipfile.ZipInfo(info.filename, date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            entry.external_attr = 0o600 << 16
            target.writestr(entry, source.read(info.filename))
    return packed.getvalue()


def _sheet_title(text: str, used: set[str]) -> str:
    clean = "".join(" " if c in '[]:*?/\\' else c for c in text).strip()[:31]
    title, k = clean, 2
    while title in used:
        title = f"{clean[:28]} {k}"
        k += 1
    used.add(title)
    return title


def _append(sheet, row: list) -> None:
    """Append a row; text cells stay text (openpyxl takes a string starting with ``=`` for a formula)."""
    sheet.append([_text_cell(sheet, v) if isinstance(v, str) else _cell(v) for v in row])


def _text_cell(sheet, text: str) -> Cell:
    # control characters (other than tab and newlines) are not allowed in a worksheet: shown as U+FFFD
    cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", text))
    cell.data_type = "s"
    return cell


def _table(sheet, header: list[str], rows: Iterable[list]) -> None:
    _append(sheet, header)
    for row in rows:
        _append(sheet, row)
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


def _summary_sheet(sheet, plan: PlanFiles, period_label, lang: str) -> None:
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
    ]
    extra = [key for key in _OPTIONAL_FIGURES if isinstance(s.get(key), Mapping)]
    rows.append(["时段 (period)", "三见达成率 (attained share)", *(_OPTIONAL_FIGURES[key] for key in extra),
                 "用车 (cars used)", "里程公里 (km driven)", "135达标率 (within response target)"])
    header_row = len(rows)
    for p in plan.periods:
        rows.append([period_label(p), _share(s.get("attained_share", {}).get(p)), *(s[key].get(p) for key in extra),
                     s.get("cars_used", {}).get(p), s.get("km_driven", {}).get(p),
                     _share(s.get("response_within_target_share", {}).get(p))])
    rows.append([])
    rows.append(["未达成 (not met)", "时段 (period)", "原因 (reason)"])
    uncovered_row = len(rows)
    names = plan.school_names
    reasons = ReasonBook(plan.plan)
    for i, u in enumerate(s.get("uncovered", [])):
        rows.append([f"{names.get(u.get('school_id'), '')} ({u.get('school_id')})",
                     period_label(str(u.get("period"))), reasons.uncovered_text(i, u.get("reason", ""), lang)])
    rows.append([])
    rows.append(["参数 (parameter)", "值 (value)"])
    params_row = len(rows)
    for key, value in plan.parameters.items():
        rows.append([key, json.dumps(value, ensure_ascii=False) if isinstance(value, (dict, list)) else value])
    for row in rows:
        _append(sheet, row)
    for r in (header_row, uncovered_row, params_row):
        for cell in sheet[r]:
            cell.font = Font(bold=True)
    for col in "ABCDEFG"[:5 + len(extra)]:
        sheet.column_dimensions[col].width = 30


def _share(value: Any) -> Any:
    return None if value is None else f"{100.0 * float(value):.1f}%"


def _shown(plan: PlanFiles, lon: float, lat: float) -> tuple[float, float]:
    """A point as people paste it: in the plan's output datum, 6 decimals."""
    x, y = plan.shown(lon, lat)
    return round(x, 6), round(y, 6)


@dataclass(frozen=True)
class Link:
    """A cell showing ``text`` that opens ``target`` (a file path relative to the workbook)."""

    text: str
    target: str


def tables_workbook(sheets: Iterable[tuple[str, list[str], Iterable[list]]], *, created: Any = None) -> bytes:
    """A workbook of plain tables, one sheet per ``(title, header, rows)``, set up like the
    report's sheets (bold filtered header, frozen panes, A4 landscape fitted to width); a
    :class:`Link` cell becomes a hyperlink. The bytes depend on the tables and ``created`` only."""
    book = Workbook()
    book.remove(book.active)
    used: set[str] = set()
    for title, header, rows in sheets:
        sheet = book.create_sheet(_sheet_title(title, used))
        links = []
        plain = []
        for r, row in enumerate(rows, start=2):
            values = []
            for c, value in enumerate(row, start=1):
                if isinstance(value, Link):
                    links.append((r, c, value.target))
                    value = value.text
                values.append(value)
            plain.append(values)
        _table(sheet, header, plain)
        for r, c, target in links:
            cell = sheet.cell(row=r, column=c)
            cell.hyperlink = target
            cell.font = Font(color="0563C1", underline="single")
        _print_setup(sheet, header=True)
    return _workbook_bytes(book, _created(created))
