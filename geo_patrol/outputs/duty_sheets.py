"""``duty_sheets.html``: one printable A4 page per duty post (护学岗勤务表).

Where (post id, coordinates, nearest named road), which schools and gates, when (duty interval,
police and auxiliary per period), who (the roster), signatures. Inline CSS and system fonts only;
built from the autoescaped template ``templates/duty_sheets.html``; written atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path

from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import read_plan_dir
from geo_patrol.model import PERIODS
from geo_patrol.outputs import markup
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
        station_id = str(first["station_id"])
        served = list(dict.fromkeys(s for ids in rows["school_ids"] for s in str(ids).split(";") if s))
        school_rows = []
        for sid in served:
            if sid in schools.index:
                s = schools.loc[sid]
                school_rows.append({
                    "name": f"{s['name']} ({sid})", "kind": kinds.get(s["kind"], s["kind"]),
                    "enrolment": int(s["enrolment"]), "gate": "{:.6f}, {:.6f}".format(*plan.shown(s["lon"], s["lat"])),
                    "windows": "; ".join(f"{periods[p]} {s[p]}" for p in PERIODS if str(s[p]))})
            else:
                school_rows.append({"name": sid, "kind": "", "enrolment": "", "gate": "", "windows": ""})
        roster = plan.rosters[plan.rosters["post_id"] == post_id].sort_values(["period", "officer"], key=period_order)
        pages.append({
            "post_id": post_id, "station_id": station_id,
            "station_name": str(stations["name"].get(station_id, "")) if station_id in stations.index else "",
            "coords": "{:.6f}, {:.6f}".format(*plan.shown(lon, lat)) + _datum_note(plan.datum),
            "road": f"{road[0]} ({road[1]:.0f} {text['metres']})" if road else text["none"],
            "schools": school_rows,
            "duties": [{"period": periods.get(r.period, r.period),
                        "duty": f"{hour_minute(r.duty_start)}–{hour_minute(r.duty_end)}",
                        "police": r.police, "auxiliary": r.auxiliary,
                        "car": text["yes"] if r.car_at_post else text["no"]} for r in rows.itertuples()],
            "roster": [{"period": periods.get(r.period, r.period), "officer": r.officer,
                        "role": text["role_" + officer_role(r.officer)],
                        "duty": f"{hour_minute(r.start)}–{hour_minute(r.end)}"} for r in roster.itertuples()],
            "page": text["page"].format(i=i, n=len(post_ids)),
        })
    document = markup.render("duty_sheets.html", text=text, pages=pages, scenario_name=str(scenario.get("name", "")),
                             created=str(plan.plan.get("created", "")))
    write_atomic(out, str(document))
    log.info("wrote %d duty sheets to %s", len(pages), out)
    return out


def _datum_note(datum: str) -> str:
    """How to read the coordinates: GCJ-02 pastes into Amap and Tencent, BD-09 into Baidu."""
    return {"wgs84": " (WGS-84)", "gcj02": " (GCJ-02, 高德/腾讯)", "bd09": " (BD-09, 百度)"}.get(datum, "")
