"""``duty_sheets.html``: one printable A4 page per duty post (护学岗勤务表).

Where (post id, coordinates, nearest named road), which schools and gates, when (duty interval,
police and auxiliary per period), who (the roster), signatures. Inline CSS and system fonts only;
written atomically.
"""

from __future__ import annotations

import html
import logging
from collections.abc import Mapping
from pathlib import Path

from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import read_plan_dir
from geo_patrol.model import PERIODS
from geo_patrol.outputs.common import (
    KIND_NAMES,
    PERIOD_NAMES,
    hour_minute,
    language,
    nearest_road,
    officer_role,
    period_order,
)

log = logging.getLogger(__name__)

__all__ = ["write_duty_sheets"]


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
    text = language(lang, _SHEET_TEXT)
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
        rows = plan.posts[plan.posts["post_id"] == post_id].sort_values("period", key=period_order)
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
            f"<tr><td>{esc(periods.get(r.period, r.period))}</td><td>{hour_minute(r.duty_start)}–{hour_minute(r.duty_end)}</td>"
            f"<td>{r.police}</td><td>{r.auxiliary}</td><td>{text['yes'] if r.car_at_post else text['no']}</td></tr>"
            for r in rows.itertuples())
        roster = plan.rosters[plan.rosters["post_id"] == post_id].sort_values(["period", "officer"], key=period_order)
        roster_rows = "".join(
            f"<tr><td>{esc(periods.get(r.period, r.period))}</td><td>{esc(r.officer)}</td>"
            f"<td>{text['role_' + officer_role(r.officer)]}</td><td>{hour_minute(r.start)}–{hour_minute(r.end)}</td><td></td></tr>"
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
