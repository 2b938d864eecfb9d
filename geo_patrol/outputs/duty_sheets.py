"""``duty_sheets.html``: one printable A4 page per duty post (护学岗勤务表) and one per patrol car.

A post's page: where (post id, coordinates, nearest named road, a small map of the post, its
``post_radius_m`` circle, the schools it serves and the roads around it with their names, a north
arrow and a scale bar), which schools and gates, when (duty interval, police and auxiliary per
period), who (the roster), signatures. A car's page (巡逻车勤务表): per period its start, end,
kilometres and stops, a sketch of its route with the stops numbered, and the stops in order with
the school, arrival and departure times and where to stop. The maps are inline SVG drawn from the
plan's own ``roads.geojson`` and routes (nothing is fetched); everything is built from the
autoescaped template ``templates/duty_sheets.html`` and carries a subset of Noto Sans SC holding
its characters (:mod:`geo_patrol.outputs.fonts`), so it prints in Chinese on any machine; the file
is written atomically.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from geo_patrol.geo import LocalMetres
from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import PlanFiles, output_lang, read_plan_dir
from geo_patrol.labels import officer_label, role_name, team_text
from geo_patrol.model import PERIODS, parse_team
from geo_patrol.outputs import markup
from geo_patrol.outputs.common import (
    KIND_LABELS,
    PERIOD_NAMES,
    RoadIndex,
    hour_minute,
    language,
    minutes_between,
    period_order,
)
from geo_patrol.outputs.fonts import FONT_STACK, font_face
from geo_patrol.outputs.map_data import simplify_indices

log = logging.getLogger(__name__)

__all__ = ["write_duty_sheets", "post_sketch", "route_sketch"]


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
        "lang": "zh-CN", "school_side": "校方人员（每岗每时段）", "provides": "学校派出",
        "sign_school": "校方签字",
        "sketch": "岗位示意图", "north": "北", "radius": "覆盖半径",
        "car_title": "巡逻车勤务表", "vehicle": "警车", "route": "巡逻路线", "start": "出车", "end": "收车",
        "km": "行驶公里", "stops": "停靠", "seq": "顺序", "arrive": "到达", "depart": "离开",
        "minutes": "停留分钟", "stop_at": "停车位置", "car_note": "要求：按时到达各校门，停车亮灯，做到“三见”；"
        "遇警情服从指挥中心调度。", "sign_driver": "驾驶员签字", "route_sketch": "路线示意图（数字为停靠顺序）",
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
        "lang": "en", "school_side": "School side (per post and period)", "provides": "The school provides",
        "sign_school": "School's signature",
        "sketch": "Post sketch", "north": "N", "radius": "Radius",
        "car_title": "Patrol car schedule", "vehicle": "Car", "route": "Route", "start": "Leaves",
        "end": "Returns", "km": "km", "stops": "Stops", "seq": "#", "arrive": "Arrive", "depart": "Depart",
        "minutes": "Minutes", "stop_at": "Stop at", "car_note": "Be at every gate on time, stop with the lights "
        "on so that people see the three sightings; follow the command centre when called.",
        "sign_driver": "Driver's signature", "route_sketch": "Route sketch (numbers: order of stops)",
    },
}

#: road class → stroke width in the sketches (metres of the drawing); classes not listed: minor
_SKETCH_ROADS = {"motorway": 14.0, "trunk": 13.0, "primary": 11.0, "secondary": 9.0, "tertiary": 7.0}
_MINOR_ROAD_M = 4.5
#: sketch size: width / height of the drawing, and its half-height around a post in metres
_ASPECT = 3.4
_POST_HALF_HEIGHT_M = 200.0


def write_duty_sheets(plan_dir: str | Path, *, out: str | Path | None = None, lang: str | None = None) -> Path:
    """Write ``duty_sheets.html`` (default in ``plan_dir``): a printable A4 page per duty post, then
    one per patrol car.

    Each post's page says where (post id, coordinates in the plan's output datum, the nearest
    named road from ``roads.geojson`` within 300 m, station, a sketch of the post and the roads
    round it), which schools and gates it serves with their windows, when (duty interval, police
    and auxiliary per period), who (the roster, officers by their labels, and the school side of
    the team each served school provides: its ``school_team`` in ``schools.csv``) and has
    signature lines. Each car's page lists, per period, its stops with the school and the times,
    with a sketch of its route. ``lang`` is ``"zh"`` or ``"en"`` (default: the plan's output
    language). The file uses only inline CSS, inline SVG and system fonts.
    """
    plan = read_plan_dir(plan_dir)
    lang = output_lang(plan.plan) if lang is None else lang
    text = language(lang, _SHEET_TEXT)
    out = Path(out) if out is not None else plan.plan_dir / "duty_sheets.html"
    sheet = _Sheets(plan, lang, text, PERIOD_NAMES[lang], KIND_LABELS[lang], plan.schools.set_index("school_id"),
                    plan.stations.set_index("station_id"), RoadIndex(plan.roads),
                    float(plan.parameters.get("post_radius_m", 150.0)))
    scenario = plan.plan.get("scenario", {})
    post_ids = list(dict.fromkeys(plan.posts.sort_values("post_id")["post_id"]))
    vehicles = sorted(set(plan.visits["vehicle_id"]) | {str((f.get("properties") or {}).get("vehicle_id"))
                                                        for f in plan.routes["features"]})
    total = len(post_ids) + len(vehicles)
    pages = [{**_post_page(sheet, post_id), "page": text["page"].format(i=i, n=total)}
             for i, post_id in enumerate(post_ids, start=1)]
    for i, vehicle in enumerate(vehicles, start=len(post_ids) + 1):
        page = _car_page(plan, vehicle, text, sheet.periods, sheet.stations, sheet.roads)
        pages.append({**page, "page": text["page"].format(i=i, n=total)})
    context = {"text": text, "pages": pages, "scenario_name": str(scenario.get("name", "")),
               "created": str(plan.plan.get("created", "")), "font": markup.Markup(FONT_STACK)}
    # the page carries its own font: a subset of Noto Sans SC holding exactly the page's characters
    face = font_face(markup.render("duty_sheets.html", context, font_face=""))
    document = markup.render("duty_sheets.html", context, font_face=markup.Markup(face))
    write_atomic(out, str(document))
    log.info("wrote %d duty sheets (%d posts, %d cars) to %s", len(pages), len(post_ids), len(vehicles), out)
    return out


@dataclass(frozen=True)
class _Sheets:
    """What every page of the duty sheets reads: the plan, its words in the language, its schools
    and stations by id, its roads, and the post radius its sketches draw."""

    plan: PlanFiles
    lang: str
    text: Mapping[str, str]
    periods: Mapping[str, str]
    kinds: Mapping[str, str]
    schools: Any
    stations: Any
    roads: RoadIndex
    radius_m: float


def _post_page(sheet: _Sheets, post_id: str) -> dict[str, Any]:
    """A duty post's page: where, which schools, when, who, and the school side of the team."""
    plan, text, periods, schools, stations, lang = (sheet.plan, sheet.text, sheet.periods, sheet.schools,
                                                    sheet.stations, sheet.lang)
    rows = plan.posts[plan.posts["post_id"] == post_id].sort_values("period", key=period_order)
    first = rows.iloc[0]
    lon, lat = float(first["lon"]), float(first["lat"])
    road = sheet.roads.nearest(lon, lat)
    station_id = str(first["station_id"])
    served = list(dict.fromkeys(s for ids in rows["school_ids"] for s in str(ids).split(";") if s))
    school_rows = [_school_row(sheet, sid) for sid in served]
    roster = plan.rosters[plan.rosters["post_id"] == post_id].sort_values(["period", "officer"], key=period_order)
    served_points = [(str(schools.loc[sid, "name"]), float(schools.loc[sid, "lon"]), float(schools.loc[sid, "lat"]))
                     for sid in served if sid in schools.index]
    return {
        "kind": "post", "post_id": post_id, "station_id": station_id,
        "station_name": str(stations["name"].get(station_id, "")) if station_id in stations.index else "",
        "coords": "{:.6f}, {:.6f}".format(*plan.shown(lon, lat)) + _datum_note(plan.datum),
        "road": f"{road[0]} ({road[1]:.0f} {text['metres']})" if road else text["none"],
        "schools": school_rows,
        # a flatter sketch when the tables are long, so that the sheet stays on one page
        "sketch": post_sketch(sheet.roads, (lon, lat), post_id, sheet.radius_m, served_points, north=text["north"],
                              metres=text["metres"],
                              aspect=_ASPECT if 2 * len(served) + len(rows) + len(roster) <= 7 else _ASPECT * 1.4),
        "duties": _duty_rows(rows, periods, text),
        "roster": _roster_rows(roster, periods, lang),
        "school_side": [{"name": f"{schools.loc[sid, 'name']} ({sid})",
                         "team": _team(schools.loc[sid, "school_team"], lang) or text["none"]}
                        for sid in served if sid in schools.index],
    }


def _duty_rows(rows, periods: Mapping[str, str], text: Mapping[str, str]) -> list[dict[str, Any]]:
    """A post's duty per period: the interval, police and auxiliaries, and whether a car waits there."""
    return [{"period": periods.get(r.period, r.period),
             "duty": f"{hour_minute(r.duty_start)}–{hour_minute(r.duty_end)}",
             "police": r.police, "auxiliary": r.auxiliary, "car": text["yes"] if r.car_at_post else text["no"]}
            for r in rows.itertuples()]


def _roster_rows(roster, periods: Mapping[str, str], lang: str) -> list[dict[str, Any]]:
    """A post's officers per period, by their labels, with their role and duty."""
    return [{"period": periods.get(r.period, r.period), "officer": officer_label(r.officer, r.role, lang),
             "role": role_name(r.role, lang), "duty": f"{hour_minute(r.start)}–{hour_minute(r.end)}"}
            for r in roster.itertuples()]


def _school_row(sheet: _Sheets, sid: str) -> dict[str, Any]:
    """A served school's row of a post's page (its id alone when ``schools.csv`` lacks it)."""
    if sid not in sheet.schools.index:
        return {"name": sid, "kind": "", "enrolment": "", "gate": "", "windows": ""}
    s = sheet.schools.loc[sid]
    return {"name": f"{s['name']} ({sid})", "kind": sheet.kinds.get(s["kind"], s["kind"]),
            "enrolment": int(s["enrolment"]), "gate": "{:.6f}, {:.6f}".format(*sheet.plan.shown(s["lon"], s["lat"])),
            "windows": "; ".join(f"{sheet.periods[p]} {s[p]}" for p in PERIODS if str(s[p]))}


def _car_page(plan: PlanFiles, vehicle: str, text, periods, stations, roads: RoadIndex) -> dict[str, Any]:
    """A patrol car's page: per period its stops with the school and the times, and its route's sketch."""
    visits = plan.visits[plan.visits["vehicle_id"] == vehicle].sort_values(["period", "seq"], key=period_order)
    features = {str((f.get("properties") or {}).get("period")): f for f in plan.routes["features"]
                if str((f.get("properties") or {}).get("vehicle_id")) == vehicle}
    station_id = str(visits["station_id"].iloc[0]) if len(visits) else str(
        next(iter(features.values()))["properties"].get("station_id", ""))
    station = stations.loc[station_id] if station_id in stations.index else None
    home = None if station is None else (float(station["lon"]), float(station["lat"]))
    sections = [_car_section(plan, visits[visits["period"] == period], features.get(period),
                             periods.get(period, period), text, roads, home)
                for period in [p for p in PERIODS if p in features or p in set(visits["period"])]]
    return {"kind": "car", "vehicle": vehicle, "station_id": station_id,
            "station_name": "" if station is None else str(station["name"]), "sections": sections}


def _car_section(plan: PlanFiles, stops, feature: Mapping[str, Any] | None, period_name: str, text,
                 roads: RoadIndex, home: tuple[float, float] | None) -> dict[str, Any]:
    """One period of a car's page: the route's times and km, its stops, and the sketch."""
    names = plan.school_names
    props = (feature or {}).get("properties") or {}
    line = ((feature or {}).get("geometry") or {}).get("coordinates") or []
    return {
        "period": period_name,
        "start": hour_minute(props.get("start", "")) if props else "",
        "end": hour_minute(props.get("end", "")) if props else "",
        "km": f"{float(props.get('drive_km') or 0):.1f}" if props else "",
        "n_stops": len(stops),
        "stops": [{"seq": r.seq, "school": f"{names.get(r.school_id, '')} ({r.school_id})",
                   "arrive": hour_minute(r.arrive), "depart": hour_minute(r.depart),
                   "minutes": minutes_between(r.arrive, r.depart),
                   "where": "{:.6f}, {:.6f}".format(*plan.shown(r.stop_lon, r.stop_lat))}
                  for r in stops.itertuples()],
        "sketch": route_sketch(roads, line, [(int(r.seq), float(r.stop_lon), float(r.stop_lat))
                                             for r in stops.itertuples()],
                               home, north=text["north"], metres=text["metres"]),
    }


def _team(cell: Any, lang: str) -> str:
    """A school's ``school_team`` cell of ``schools.csv`` for people (``校领导 1、保安 2``)."""
    return team_text(parse_team(str(cell or ""), strict=False) or {}, lang)


def _datum_note(datum: str) -> str:
    """How to read the coordinates: GCJ-02 pastes into Amap and Tencent, BD-09 into Baidu."""
    return {"wgs84": " (WGS-84)", "gcj02": " (GCJ-02, 高德/腾讯)", "bd09": " (BD-09, 百度)"}.get(datum, "")


# ---------------------------------------------------------------------------------------------
# Sketches: inline SVG in local metres, north up
# ---------------------------------------------------------------------------------------------


def _frame(centre: tuple[float, float], half_height_m: float, aspect: float | None = None
           ) -> tuple[LocalMetres, float, float, tuple[float, float, float, float]]:
    """Projection about ``centre``, the drawing's half width and height in metres and its lon/lat box."""
    local = LocalMetres(*centre)
    half_w, half_h = half_height_m * (aspect or _ASPECT), half_height_m
    box = (centre[0] - half_w / local.kx, centre[1] - half_h / local.ky,
           centre[0] + half_w / local.kx, centre[1] + half_h / local.ky)
    return local, half_w, half_h, box


def _points(local: LocalMetres, coords: Sequence[Sequence[float]]) -> str:
    xy = local.xy([c[0] for c in coords], [c[1] for c in coords])
    return " ".join(f"{x:.1f},{-y:.1f}" for x, y in xy)


def _road_layers(roads: RoadIndex, local: LocalMetres, box, *, label_size_m: float, labels: bool = True,
                 major_only: bool = False):
    lines, names, seen = [], [], set()
    for geometry, highway, name in roads.within(box):
        width = _SKETCH_ROADS.get(highway, _MINOR_ROAD_M) * label_size_m / 14.0
        major = highway in _SKETCH_ROADS
        if major_only and not major:
            continue
        parts = getattr(geometry, "geoms", [geometry])
        for part in parts:
            if part.geom_type != "LineString" or len(part.coords) < 2:
                continue
            lines.append({"points": _points(local, part.coords), "width": f"{width:.1f}", "major": major})
        if labels and name and name not in seen:
            placed = _road_label(local, parts, name, label_size_m)
            if placed is not None:
                names.append(placed)
                seen.add(name)
    lines.sort(key=lambda line: line["major"])  # minor roads first, main roads over them
    return lines, names


def _road_label(local: LocalMetres, parts, name: str, label_size_m: float) -> dict[str, str] | None:
    """A road's name along the longest segment of its longest line, upright; ``None`` when no
    segment is long enough for it."""
    longest = max((p for p in parts if p.geom_type == "LineString"), key=lambda p: p.length, default=None)
    if longest is None or len(longest.coords) < 2:
        return None
    xy = local.xy(*np.asarray(longest.coords)[:, :2].T)
    seg = int(np.argmax(np.hypot(*np.diff(xy, axis=0).T)))
    (x0, y0), (x1, y1) = xy[seg], xy[seg + 1]
    if not math.hypot(x1 - x0, y1 - y0) * 1.0 >= label_size_m * max(2, len(name)) * 0.9:  # NaN too
        return None
    angle = -math.degrees(math.atan2(y1 - y0, x1 - x0))
    angle = angle - 180 if angle > 90 else angle + 180 if angle < -90 else angle
    return {"x": f"{(x0 + x1) / 2:.1f}", "y": f"{-(y0 + y1) / 2:.1f}", "angle": f"{angle:.1f}", "text": name}


def _scale_bar(half_w: float, half_h: float, label_size_m: float, metres: str) -> dict[str, str]:
    """A scale bar of a round length (about a fifth of the drawing's width) at its lower left."""
    target = half_w * 2 / 5
    length = max(v for v in (10, 20, 25, 50, 100, 200, 250, 500, 1000, 2000, 2500, 5000, 10000, 20000, 50000)
                 if v <= max(target, 10))
    x0, y0 = -half_w + label_size_m, half_h - label_size_m
    label = f"{length // 1000} km" if length >= 1000 else f"{length} {metres}"
    return {"x0": f"{x0:.1f}", "x1": f"{x0 + length:.1f}", "y": f"{y0:.1f}", "tick": f"{label_size_m * 0.4:.1f}",
            "label": label, "ly": f"{y0 - label_size_m * 0.5:.1f}"}


def _north(half_w: float, half_h: float, label_size_m: float, word: str) -> dict[str, str]:
    x, y, s = half_w - label_size_m * 1.4, -half_h + label_size_m * 1.2, label_size_m
    return {"path": f"M{x:.1f},{y:.1f} L{x + s * 0.6:.1f},{y + s * 1.8:.1f} L{x:.1f},{y + s * 1.3:.1f} "
                    f"L{x - s * 0.6:.1f},{y + s * 1.8:.1f} Z",
            "x": f"{x:.1f}", "y": f"{y + s * 2.8:.1f}", "word": word}


def _route_points(local: LocalMetres, line: Sequence[Sequence[float]], tolerance_m: float) -> str | None:
    """A route's points in the drawing, simplified to ``tolerance_m`` (invisible at the sketch's scale)."""
    if len(line) < 2:
        return None
    xy = local.xy([c[0] for c in line], [c[1] for c in line])
    kept = xy[simplify_indices(xy, tolerance_m)]
    return " ".join(f"{x:.1f},{-y:.1f}" for x, y in kept)


def post_sketch(roads: RoadIndex, post: tuple[float, float], post_id: str, radius_m: float,
                schools: Sequence[tuple[str, float, float]], *, north: str, metres: str,
                aspect: float = _ASPECT) -> dict[str, Any]:
    """The post's sketch: roads with names, the post and its radius, the schools it serves (lon/lat);
    ``aspect`` is the drawing's width over its height."""
    half_height = max(_POST_HALF_HEIGHT_M * _ASPECT / aspect, radius_m * 1.15,
                      *(abs(lat - post[1]) * LocalMetres(*post).ky * 1.3 for _, _, lat in schools),
                      *(abs(lon - post[0]) * LocalMetres(*post).kx * 1.3 / aspect for _, lon, _ in schools))
    local, half_w, half_h, box = _frame(post, half_height, aspect)
    size = half_h / 14.0
    lines, names = _road_layers(roads, local, box, label_size_m=size)
    points = []
    for k, (name, lon, lat) in enumerate(schools):
        (x, y), = local.xy([lon], [lat])
        # names alternate above and below their school, so that schools side by side stay legible
        offset = -size * (0.8 + 1.1 * (k // 2)) if k % 2 == 0 else size * (1.9 + 1.1 * (k // 2))
        points.append({"x": f"{x:.1f}", "y": f"{-y:.1f}", "r": f"{size * 0.5:.1f}", "label": name,
                       "ly": f"{-y + offset:.1f}"})
    return {"view": f"{-half_w:.1f} {-half_h:.1f} {2 * half_w:.1f} {2 * half_h:.1f}", "font": f"{size:.1f}",
            "roads": lines, "names": names, "schools": points, "radius": f"{radius_m:.1f}", "post": post_id,
            "post_r": f"{size * 0.45:.1f}", "post_ly": f"{size * 1.6:.1f}",
            "scale": _scale_bar(half_w, half_h, size, metres), "north": _north(half_w, half_h, size, north),
            "route": None, "stops": [], "station": None}


def route_sketch(roads: RoadIndex, line: Sequence[Sequence[float]], stops: Sequence[tuple[int, float, float]],
                 station: tuple[float, float] | None, *, north: str, metres: str) -> dict[str, Any] | None:
    """A car's route sketch: the main roads, the route, its stops numbered in order and its station."""
    coords = [list(c[:2]) for c in line] + [[lon, lat] for _, lon, lat in stops]
    if station is not None:
        coords.append(list(station))
    if not coords:
        return None
    lons, lats = [c[0] for c in coords], [c[1] for c in coords]
    centre = ((min(lons) + max(lons)) / 2, (min(lats) + max(lats)) / 2)
    local = LocalMetres(*centre)
    span_h = (max(lats) - min(lats)) * local.ky / 2
    span_w = (max(lons) - min(lons)) * local.kx / 2
    local, half_w, half_h, box = _frame(centre, max(200.0, span_h * 1.12, span_w * 1.12 / _ASPECT))
    size = half_h / 14.0
    lines, _ = _road_layers(roads, local, box, label_size_m=size, labels=False, major_only=True)
    marks = []
    for seq, lon, lat in stops:
        (x, y), = local.xy([lon], [lat])
        marks.append({"x": f"{x:.1f}", "y": f"{-y:.1f}", "r": f"{size * 0.55:.1f}", "seq": seq,
                      "ty": f"{-y + size * 0.3:.1f}"})
    home = None
    if station is not None:
        (x, y), = local.xy([station[0]], [station[1]])
        home = {"x": f"{x - size * 0.5:.1f}", "y": f"{-y - size * 0.5:.1f}", "s": f"{size:.1f}"}
    return {"view": f"{-half_w:.1f} {-half_h:.1f} {2 * half_w:.1f} {2 * half_h:.1f}", "font": f"{size * 0.8:.1f}",
            "roads": lines, "names": [], "schools": [], "route": _route_points(local, line, size * 0.1),
            "route_w": f"{size * 0.3:.1f}", "stops": marks, "station": home,
            "scale": _scale_bar(half_w, half_h, size, metres), "north": _north(half_w, half_h, size, north),
            "post": None}
