"""``report.xlsx``: the plan as a workbook a planner prints and hands in.

Sheets: 概况 (Summary); 护学岗 (Posts); one 勤务 (Roster) sheet per station; 巡逻排班 (Car
schedule); 巡逻路线 (Routes); 三见覆盖 (Coverage), coloured green/orange/red for
met/partly/missed. Chinese titles with English in brackets. Written atomically.
"""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import PlanFiles, read_plan_dir
from geo_patrol.outputs.common import (
    KIND_NAMES,
    PERIOD_NAMES,
    hour_minute,
    minutes_between,
    officer_role,
    period_order,
    school_status,
)

log = logging.getLogger(__name__)

__all__ = ["write_report"]


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
    for r in plan.posts.sort_values(["post_id", "period"], key=period_order).itertuples():
        served = [s for s in str(r.school_ids).split(";") if s]
        rows.append([r.post_id, period_label(r.period), f"{r.station_id} {stations.get(r.station_id, '')}".strip(),
                     "、".join(f"{names.get(s, s)} ({s})" for s in served), hour_minute(r.duty_start), hour_minute(r.duty_end),
                     minutes_between(r.duty_start, r.duty_end), r.police, r.auxiliary, _yn(r.car_at_post),
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
        rows = [[r.officer, {"police": "民警", "auxiliary": "辅警"}.get(officer_role(r.officer), "其他"),
                 period_label(r.period), r.post_id, hour_minute(r.start), hour_minute(r.end),
                 "、".join(names.get(s, s) for s in str(post_schools.get(r.post_id, "")).split(";") if s)]
                for r in roster.sort_values(["period", "post_id", "officer"], key=period_order).itertuples()]
        title = _sheet_title(f"勤务 {station_id} {stations.get(station_id, '')}", used_titles)
        _table(book.create_sheet(title), ["人员 (officer)", "身份 (role)", "时段 (period)", "岗位 (post)",
                                          "上岗 (start)", "下岗 (end)", "服务学校 (schools)"], rows)

    rows = [[r.vehicle_id, f"{r.station_id} {stations.get(r.station_id, '')}".strip(), period_label(r.period),
             r.seq, r.school_id, names.get(r.school_id, ""), hour_minute(r.arrive), hour_minute(r.depart),
             minutes_between(r.arrive, r.depart), round(r.lon, 6), round(r.lat, 6)]
            for r in plan.visits.sort_values(["vehicle_id", "period", "seq"], key=period_order).itertuples()]
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
    for r in plan.coverage.sort_values(["school_id", "period"], key=period_order).to_dict("records"):
        status = school_status(r)
        fills.append(_STATUS_FILL[status])
        rows.append([r["school_id"], names.get(r["school_id"], ""),
                     KIND_NAMES["zh"].get(kinds.get(r["school_id"], ""), kinds.get(r["school_id"], "")),
                     period_label(r["period"]), f"{hour_minute(r['window_start'])}-{hour_minute(r['window_end'])}",
                     _yn(r["officer_seen"]), _yn(r["car_seen"]), _yn(r["lights_seen"]), _STATUS_ZH[status],
                     r["officer_presence_pct"], r["worst_response_s"], r["within_target_pct"],
                     _yn(r["second_unit_300s"]), r["sources"], r["reason"]])
    sheet = book.create_sheet("三见覆盖 (Coverage)")
    _table(sheet, ["学校编号 (school_id)", "学校 (school)", "类型 (kind)", "时段 (period)", "时间窗 (window)",
                   "见警察 (officer)", "见警车 (car)", "见警灯 (lights)", "三见 (three sightings)",
                   "民警在场率% (officer presence)", "最长到场秒 (worst response s)",
                   "135达标率% (within target)", "5分钟增援 (second unit 300 s)", "来源 (sources)",
                   "原因 (reason)"], rows)
    for i, colour in enumerate(fills, start=2):
        sheet.cell(row=i, column=9).fill = PatternFill("solid", fgColor=colour)

    buffer = io.BytesIO()
    book.save(buffer)
    write_atomic(out, buffer.getvalue())
    log.info("wrote %s", out)
    return out


def _sheet_title(text: str, used: set[str]) -> str:
    clean = "".join(" " if c in '[]:*?/\\' else c for c in text).strip()[:31]
    title, k = clean, 2
    while title in used:
        title = f"{clean[:28]} {k}"
        k += 1
    used.add(title)
    return title


def _table(sheet, header: list[str], rows: Iterable[list]) -> None:
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
