"""The coverage map: one self-contained HTML file a commander opens without internet.

:func:`build_map` draws a plan directory (see :mod:`geo_patrol.report` for how it is read) on a
:class:`folium.Map`, each part a layer of its own in the layer control:

- the road network of ``roads.geojson`` — the default basemap, styled by OSM class (trunk and
  primary wide and dark, residential thin and light); no tile layer unless ``tiles`` is given;
- the schools per period, coloured by the three sightings (green met, orange partly, red
  missed), with a popup saying which sighting came from where and when, the officer presence,
  the worst response time and the reason when missed;
- duty posts with their ``post_radius_m`` circle; police stations with resources and use;
- each car's route per period, with direction arrows and stop times;
- the "135" reach (``reach.geojson``) per period; the schools without the three sightings
  ringed in red;
- an animation of the cars over a period (a time slider and a play button moving a dot per car
  along its route at the clock times of ``routes.geojson``), a legend and the plan's headline
  figures.

Labels are Chinese (``lang="zh"``, default) or English (``lang="en"``). :func:`render_map`
writes the page with every script and stylesheet inlined (:mod:`geo_patrol.outputs.offline`): Leaflet
and jQuery come from the installed ``xstatic`` packages, markers are vector circles and HTML
``divIcon`` s, so no icon font or image is fetched. The only URL a page may refer to is the
``tiles`` template the caller gives.
"""

from __future__ import annotations

import html
import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
from branca.element import MacroElement
from jinja2 import Template

from geo_patrol.clock import parse_time
from geo_patrol.errors import InputError
from geo_patrol.geo import haversine_m
from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import PlanFiles, read_plan_dir
from geo_patrol.outputs import offline
from geo_patrol.outputs.common import KIND_NAMES, PERIOD_NAMES, period_order, school_status

__all__ = ["build_map", "render_map", "TEXT", "STATUS_COLOURS"]

log = logging.getLogger(__name__)

#: CDN addresses folium would use; :func:`render_map` serves them from the installed packages.
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
JQUERY_JS = "https://code.jquery.com/jquery-3.7.1.min.js"

STATUS_COLOURS = {"met": "#1a9850", "partly": "#f08c00", "missed": "#d7191c"}
VEHICLE_COLOURS = ("#1f5fbf", "#7b3fa0", "#0d8a8a", "#c2185b", "#8d5a00", "#283593", "#00796b",
                   "#ad1457", "#5d4037", "#3949ab")
POST_COLOUR, STATION_COLOUR, REACH_COLOUR, BACKGROUND = "#1f4e9c", "#0b2447", "#3182bd", "#f4f2ec"
#: road class → (line width px, colour); classes not listed draw as "other"
ROAD_STYLES = {
    "motorway": (6.5, "#454545"), "trunk": (6.0, "#4d4d4d"), "primary": (5.0, "#5e5e5e"),
    "secondary": (4.0, "#7a7a7a"), "tertiary": (3.0, "#979797"), "residential": (1.8, "#b3b3b3"),
    "unclassified": (1.8, "#b3b3b3"), "living_street": (1.5, "#bdbdbd"), "other": (1.2, "#c6c6c6"),
}

TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "html_lang": "zh-CN", "title": "护学岗与巡逻覆盖图", "roads": "道路网（底图）", "tiles": "瓦片底图",
        "schools": "学校“三见” · {period}", "posts": "护学岗", "stations": "派出所",
        "routes": "巡逻路线 · {period}", "reach": "“135” 3分钟到场范围 · {period}",
        "uncovered": "未达成“三见” · {period}", "animation": "警车动画",
        "met": "三见达成", "partly": "部分达成", "missed": "未达成",
        "officer": "见警察", "car": "见警车", "lights": "见警灯", "yes": "✓", "no": "✗",
        "kind": "类型", "enrolment": "在校人数", "window": "时间窗", "status": "状态", "sources": "来源",
        "presence": "民警在场率", "worst": "最长到场时间", "within": "3分钟内可到场", "second": "5分钟增援",
        "reason": "原因", "post": "护学岗", "station": "派出所", "period": "时段", "duty": "勤务时间",
        "police": "民警", "auxiliary": "辅警", "car_at_post": "警车驻岗", "schools_served": "服务学校",
        "radius": "覆盖半径", "resources": "警力", "used": "使用", "cars": "警车", "vehicle": "警车",
        "stop": "第{seq}站", "drive": "行驶", "stops": "停靠", "headline": "方案概况", "n_schools": "学校",
        "n_posts": "护学岗", "attained": "三见", "km": "里程", "response": "3分钟到场",
        "not_met": "未达成", "created": "生成", "legend": "图例", "road_major": "主干道",
        "road_minor": "支路/居住区道路", "route": "巡逻路线（箭头为方向）", "reach_legend": "3分钟到场范围",
        "ring": "未达成三见", "play": "播放", "pause": "暂停", "speed": "速度", "none": "无",
        "minutes_seconds": "{m}分{s:02d}秒", "unnamed": "无名道路", "km_unit": "公里", "m_unit": "米",
        "source_words": "officer=警察|car=警车|lights=警灯|post=护学岗",
        "attribution": "道路数据 © OpenStreetMap 贡献者",
    },
    "en": {
        "html_lang": "en", "title": "Duty posts and patrol coverage", "roads": "Road network (basemap)",
        "tiles": "Tile basemap", "schools": "Schools, three sightings · {period}", "posts": "Duty posts",
        "stations": "Police stations", "routes": "Patrol routes · {period}",
        "reach": "“135” 3-minute reach · {period}", "uncovered": "Three sightings not met · {period}",
        "animation": "Patrol car animation", "met": "three sightings met", "partly": "partly met",
        "missed": "missed", "officer": "officer", "car": "police car", "lights": "police lights",
        "yes": "✓", "no": "✗", "kind": "Kind", "enrolment": "Enrolment", "window": "Window",
        "status": "Status", "sources": "Sources", "presence": "Officer presence", "worst": "Worst response",
        "within": "Within 3 minutes", "second": "Second unit in 5 min", "reason": "Reason", "post": "Post",
        "station": "Station", "period": "Period", "duty": "On duty", "police": "Police",
        "auxiliary": "Auxiliary", "car_at_post": "Car at post", "schools_served": "Schools served",
        "radius": "Radius", "resources": "Resources", "used": "Used", "cars": "Cars", "vehicle": "Car",
        "stop": "stop {seq}", "drive": "drive", "stops": "stops", "headline": "Plan summary",
        "n_schools": "Schools", "n_posts": "Posts", "attained": "3 sightings", "km": "km",
        "response": "3-min reach", "not_met": "Not met", "created": "Created", "legend": "Legend",
        "road_major": "Main road", "road_minor": "Minor / residential road",
        "route": "Patrol route (arrows: direction)", "reach_legend": "3-minute reach",
        "ring": "Three sightings not met", "play": "Play", "pause": "Pause", "speed": "Speed", "none": "none",
        "minutes_seconds": "{m} min {s:02d} s", "unnamed": "unnamed road", "km_unit": "km", "m_unit": "m",
        "source_words": "",
        "attribution": "Roads © OpenStreetMap contributors",
    },
}


def _e(value: Any) -> str:
    """HTML-escape text that ends up inside a JavaScript template literal as well."""
    return html.escape(str(value)).replace("`", "&#96;").replace("$", "&#36;")


def _text(lang: str) -> Mapping[str, str]:
    if lang not in TEXT:
        raise InputError(f"language '{lang}' is not available", field="lang", hint="use 'zh' or 'en'")
    return TEXT[lang]


def _seconds(text: str) -> int:
    return parse_time(str(text))


def _duration(seconds: float, t: Mapping[str, str]) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return t["minutes_seconds"].format(m=m, s=s)


def _popup(title: str, rows: list[tuple[str, str]], *, width: int = 340) -> folium.Popup:
    body = "".join(f"<tr><th>{_e(k)}</th><td>{v}</td></tr>" for k, v in rows)
    return folium.Popup(f"<div class='gp-pop'><h4>{title}</h4><table>{body}</table></div>", max_width=width)


def build_map(plan_dir: str | Path | PlanFiles, *, lang: str = "zh", tiles: str | None = None,
              period: str | None = None, tiles_attr: str | None = None) -> folium.Map:
    """Draw a plan directory on a :class:`folium.Map` and return it (layers compose).

    ``period`` is the period whose schools and routes show when the page opens (default: the
    plan's first); the other periods are in the layer control. ``tiles`` is an optional tile
    URL template (``https://intranet/tiles/{z}/{x}/{y}.png``) or folium provider name, shown as
    the basemap under the roads; ``tiles_attr`` its attribution. The returned map links Leaflet
    and jQuery from their CDN like any folium map; :func:`render_map` inlines them.
    """
    t = _text(lang)
    plan = plan_dir if isinstance(plan_dir, PlanFiles) else read_plan_dir(plan_dir)
    periods = plan.periods
    if period is None:
        period = periods[0] if periods else None
    elif period not in periods:
        raise InputError(f"period '{period}' is not in this plan", field="period",
                         hint="use one of " + ", ".join(periods))
    lats = list(plan.schools["lat"]) + list(plan.stations["lat"]) + list(plan.posts["lat"])
    lons = list(plan.schools["lon"]) + list(plan.stations["lon"]) + list(plan.posts["lon"])
    if not lats:
        raise InputError("the plan has no schools, stations or posts to draw", file=plan.file("schools.csv"))

    fmap = folium.Map(location=[sum(lats) / len(lats), sum(lons) / len(lons)], tiles=None, zoom_start=14,
                      control_scale=True, prefer_canvas=False)
    fmap.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    fmap.get_root().title = f"{t['title']} — {plan.plan.get('scenario', {}).get('name', '')}"
    fmap.fit_bounds([[min(lats), min(lons)], [max(lats), max(lons)]], padding=(30, 30))

    if tiles:
        folium.TileLayer(tiles=tiles, attr=tiles_attr or t["tiles"], name=t["tiles"], overlay=False,
                         control=True, max_zoom=19).add_to(fmap)
    _add_roads(fmap, plan, t, show=not tiles)
    for p in periods:
        _add_reach(fmap, plan, t, p, show=False)
    _add_posts(fmap, plan, t, lang)
    for p in periods:
        _add_routes(fmap, plan, t, p, show=(p == period))
    for p in periods:
        _add_schools(fmap, plan, t, lang, p, show=(p == period))
    for p in periods:
        _add_uncovered(fmap, plan, t, lang, p, show=(p == period))
    _add_stations(fmap, plan, t, lang)
    animation = folium.FeatureGroup(name=t["animation"], show=True).add_to(fmap)
    fmap.add_child(_Animation(plan, t, lang, animation, period))
    fmap.add_child(_Panels(plan, t, lang))
    folium.LayerControl(collapsed=False, position="topright").add_to(fmap)
    return fmap


def render_map(plan_dir: str | Path, *, out: str | Path | None = None, lang: str = "zh",
               tiles: str | None = None, period: str | None = None) -> Path:
    """Write the plan's map as one self-contained HTML file and return its path.

    Default ``plan_dir/map.html``. The page is written to a temporary file in the same folder and
    moved into place, so an error leaves no partial file (and an older map untouched). Raises
    :class:`~geo_patrol.outputs.offline.OfflineError` if anything but ``tiles`` would be fetched.
    """
    t = _text(lang)
    plan = read_plan_dir(plan_dir)
    out = Path(out) if out is not None else plan.plan_dir / "map.html"
    fmap = build_map(plan, lang=lang, tiles=tiles, period=period)
    page = fmap.get_root().render()
    allow = [layer.tiles for layer in fmap._children.values() if isinstance(layer, folium.TileLayer)]
    page = offline.inline_assets(page, allow=allow)
    page = page.replace("<html>", f'<html lang="{t["html_lang"]}">', 1)
    write_atomic(out, page)
    log.info("wrote %s (%d bytes)", out, len(page.encode("utf-8")))
    return out


# ---------------------------------------------------------------------------------------------
# Layers
# ---------------------------------------------------------------------------------------------


def _road_bucket(highway: Any) -> str:
    value = str(highway or "").split(";")[0].strip().replace("_link", "")
    if isinstance(highway, list) and highway:
        value = str(highway[0]).replace("_link", "")
    return value if value in ROAD_STYLES else "other"


def _add_roads(fmap: folium.Map, plan: PlanFiles, t: Mapping[str, str], *, show: bool) -> None:
    if not plan.roads:
        return
    group = folium.FeatureGroup(name=t["roads"], show=show).add_to(fmap)
    buckets: dict[str, list[dict]] = {}
    for feature in plan.roads.get("features", []):
        geometry = feature.get("geometry") or {}
        if geometry.get("type") not in ("LineString", "MultiLineString"):
            continue
        props = feature.get("properties") or {}
        bucket = _road_bucket(props.get("highway"))
        name = props.get("name") or t["unnamed"]
        buckets.setdefault(bucket, []).append({
            "type": "Feature", "geometry": {"type": geometry["type"], "coordinates": _round(geometry["coordinates"])},
            "properties": {"name": str(name), "highway": str(props.get("highway") or "")}})
    # minor roads first so main roads draw over them
    order = sorted(buckets, key=lambda b: ROAD_STYLES[b][0])
    for i, bucket in enumerate(order):
        weight, colour = ROAD_STYLES[bucket]
        style = {"color": colour, "weight": weight, "opacity": 0.95, "lineCap": "round", "lineJoin": "round"}
        folium.GeoJson(
            {"type": "FeatureCollection", "features": buckets[bucket]}, name=f"roads_{bucket}",
            style_function=lambda _f, s=style: s, control=False, smooth_factor=1.0,
            tooltip=folium.GeoJsonTooltip(fields=["name"], labels=False, sticky=True),
            **({"attribution": t["attribution"]} if i == 0 else {}),
        ).add_to(group)


def _round(coords: Any) -> Any:
    if isinstance(coords, (list, tuple)) and coords and isinstance(coords[0], (int, float)):
        return [round(float(c), 6) for c in coords]
    return [_round(c) for c in coords]


def _add_reach(fmap, plan: PlanFiles, t, period: str, *, show: bool) -> None:
    if not plan.reach:
        return
    features = [f for f in plan.reach.get("features", []) if (f.get("properties") or {}).get("period") == period]
    if not features:
        return
    periods = PERIOD_NAMES[t["html_lang"][:2]]
    group = folium.FeatureGroup(name=t["reach"].format(period=periods[period]), show=show).add_to(fmap)
    folium.GeoJson({"type": "FeatureCollection", "features": features}, control=False,
                   style_function=lambda _f: {"color": REACH_COLOUR, "weight": 1, "fillColor": REACH_COLOUR,
                                              "fillOpacity": 0.12, "opacity": 0.6}).add_to(group)


def _add_posts(fmap, plan: PlanFiles, t, lang: str) -> None:
    if plan.posts.empty:
        return
    group = folium.FeatureGroup(name=t["posts"], show=True).add_to(fmap)
    radius_m = float(plan.parameters.get("post_radius_m", 150.0))
    names, stations = plan.school_names, plan.station_names
    periods = PERIOD_NAMES[lang]
    for post_id, rows in plan.posts.sort_values(["post_id", "period"], key=period_order).groupby("post_id", sort=True):
        first = rows.iloc[0]
        lat, lon = float(first["lat"]), float(first["lon"])
        served = list(dict.fromkeys(s for ids in rows["school_ids"] for s in str(ids).split(";") if s))
        duty = "<br>".join(
            f"{_e(periods.get(r.period, r.period))} {r.duty_start[:5]}–{r.duty_end[:5]} · {t['police']} {r.police}"
            f" · {t['auxiliary']} {r.auxiliary}" + (f" · {t['car_at_post']}" if r.car_at_post else "")
            for r in rows.itertuples())
        popup = _popup(f"{_e(t['post'])} {_e(post_id)}", [
            (t["station"], f"{_e(stations.get(first['station_id'], ''))} ({_e(first['station_id'])})"),
            (t["schools_served"], "<br>".join(_e(names.get(s, s)) for s in served)),
            (t["duty"], duty),
            (t["radius"], f"{radius_m:.0f} {_e(t['m_unit'])}"),
            ("WGS-84", f"{lon:.6f}, {lat:.6f}"),
        ])
        folium.Circle([lat, lon], radius=radius_m, color=POST_COLOUR, weight=1.5, dash_array="5 4",
                      fill=True, fill_color=POST_COLOUR, fill_opacity=0.07, interactive=False).add_to(group)
        folium.CircleMarker([lat, lon], radius=3.5, color="#ffffff", weight=1.5, fill=True, fill_color=POST_COLOUR,
                            fill_opacity=1.0, interactive=False).add_to(group)
        # the label hangs just below the post so that it never hides a school at the same spot
        icon = folium.DivIcon(html=f"<div class='gp-post'>{_e(post_id)}</div>", icon_size=(30, 20),
                              icon_anchor=(15, -6), class_name="gp-icon")
        folium.Marker([lat, lon], icon=icon, popup=popup,
                      tooltip=folium.Tooltip(f"{_e(t['post'])} {_e(post_id)}")).add_to(group)


def _add_stations(fmap, plan: PlanFiles, t, lang: str) -> None:
    if plan.stations.empty:
        return
    group = folium.FeatureGroup(name=t["stations"], show=True).add_to(fmap)
    periods = PERIOD_NAMES[lang]
    for s in plan.stations.to_dict("records"):
        used = []
        for p in plan.periods:
            parts = [f"{t[k]} {s[f'{k}_used_{p}']}" for k, col in (("police", "police"), ("auxiliary", "auxiliary"),
                                                                    ("cars", "cars")) if f"{col}_used_{p}" in s]
            if parts:
                used.append(f"{_e(periods[p])}: " + " · ".join(_e(x) for x in parts))
        popup = _popup(f"{_e(s['name'])} ({_e(s['station_id'])})", [
            (t["resources"], f"{t['police']} {s['police']} · {t['auxiliary']} {s['auxiliary']} · {t['cars']} {s['cars']}"),
            (t["used"], "<br>".join(used) or t["none"]),
        ])
        icon = folium.DivIcon(html="<div class='gp-station'>警</div>" if lang == "zh" else
                              "<div class='gp-station'>P</div>", icon_size=(26, 26), icon_anchor=(13, 13),
                              class_name="gp-icon")
        folium.Marker([s["lat"], s["lon"]], icon=icon, popup=popup,
                      tooltip=folium.Tooltip(_e(s["name"]))).add_to(group)


def _vehicle_colours(plan: PlanFiles) -> dict[str, str]:
    ids = sorted({str((f.get("properties") or {}).get("vehicle_id")) for f in plan.routes["features"]}
                 | set(plan.visits["vehicle_id"]))
    return {v: VEHICLE_COLOURS[i % len(VEHICLE_COLOURS)] for i, v in enumerate(ids)}


def _bearing_deg(a: list[float], b: list[float]) -> float:
    """Compass bearing from lon/lat ``a`` to ``b``, degrees clockwise from north (local plane)."""
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = b[1] - a[1]
    return math.degrees(math.atan2(dx, dy)) % 360.0


def _segment_m(a: list[float], b: list[float]) -> float:
    return float(haversine_m(a[0], a[1], b[0], b[1]))


def _arrows(coords: list[list[float]], *, min_gap_m: float = 220.0) -> list[list[float]]:
    """[lat, lon, bearing] at segment midpoints, about one per ``min_gap_m`` of route."""
    out, since = [], min_gap_m / 2
    for a, b in zip(coords, coords[1:]):
        length = _segment_m(a, b)
        if length < 1.0:
            continue
        since += length
        if since >= min_gap_m and length >= 40.0:
            out.append([round((a[1] + b[1]) / 2, 6), round((a[0] + b[0]) / 2, 6), round(_bearing_deg(a, b), 1)])
            since = 0.0
    return out


def _add_routes(fmap, plan: PlanFiles, t, period: str, *, show: bool) -> None:
    features = [f for f in plan.routes["features"] if (f.get("properties") or {}).get("period") == period]
    visits = plan.visits[plan.visits["period"] == period]
    if not features and visits.empty:
        return
    lang = t["html_lang"][:2]
    group = folium.FeatureGroup(name=t["routes"].format(period=PERIOD_NAMES[lang][period]), show=show).add_to(fmap)
    colours = _vehicle_colours(plan)
    names = plan.school_names
    arrows: list[list] = []
    for feature in features:
        p = feature.get("properties") or {}
        geometry = feature.get("geometry") or {}
        if geometry.get("type") != "LineString" or len(geometry.get("coordinates", [])) < 2:
            continue
        coords = geometry["coordinates"]
        vehicle = str(p.get("vehicle_id"))
        colour = colours.get(vehicle, VEHICLE_COLOURS[0])
        label = (f"{_e(t['vehicle'])} {_e(vehicle)} · {_e(p.get('start', ''))[:5]}–{_e(p.get('end', ''))[:5]}"
                 f" · {_e(t['drive'])} {float(p.get('drive_km') or 0):.1f} {_e(t['km_unit'])}"
                 f" · {_e(t['stops'])} {_e(p.get('stops', ''))}")
        folium.PolyLine([[c[1], c[0]] for c in coords], color="#ffffff", weight=7, opacity=0.8,
                        interactive=False).add_to(group)
        folium.PolyLine([[c[1], c[0]] for c in coords], color=colour, weight=4, opacity=0.9,
                        tooltip=folium.Tooltip(label, sticky=True)).add_to(group)
        arrows.extend([*a, colour] for a in _arrows(coords))
    group.add_child(_Arrows(arrows))
    for v in visits.sort_values(["vehicle_id", "seq"]).itertuples():
        colour = colours.get(v.vehicle_id, VEHICLE_COLOURS[0])
        label = (f"{_e(v.vehicle_id)} · {_e(t['stop'].format(seq=v.seq))} · {_e(names.get(v.school_id, v.school_id))}"
                 f" · {v.arrive[:5]}–{v.depart[:5]}")
        folium.CircleMarker([v.lat, v.lon], radius=4, color=colour, weight=2, fill=True, fill_color="#ffffff",
                            fill_opacity=1.0, tooltip=folium.Tooltip(label)).add_to(group)


class _Arrows(MacroElement):
    """Direction arrows (CSS triangles in divIcons) added to the parent layer."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (layer) {
            {{ this.arrows|tojson }}.forEach(function (a) {
                var html = '<div class="gp-arrow" style="transform: rotate(' + a[2] + 'deg);'
                         + 'border-bottom-color:' + a[3] + '"></div>';
                L.marker([a[0], a[1]], {icon: L.divIcon({className: 'gp-icon', html: html,
                    iconSize: [10, 10], iconAnchor: [5, 5]}), interactive: false, keyboard: false}).addTo(layer);
            });
        })({{ this._parent.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, arrows: list[list]) -> None:
        super().__init__()
        self._name = "Arrows"
        self.arrows = arrows


def _add_schools(fmap, plan: PlanFiles, t, lang: str, period: str, *, show: bool) -> None:
    rows = plan.coverage[plan.coverage["period"] == period]
    if rows.empty:
        return
    group = folium.FeatureGroup(name=t["schools"].format(period=PERIOD_NAMES[lang][period]), show=show).add_to(fmap)
    schools = plan.schools.set_index("school_id")
    labels_permanent = len(schools) <= 30
    for r in rows.to_dict("records"):
        sid = r["school_id"]
        if sid not in schools.index:
            log.warning("coverage.csv names school %s, which schools.csv lacks; not drawn", sid)
            continue
        s = schools.loc[sid]
        status = school_status(r)
        radius = 7.0 + min(5.0, float(s["enrolment"]) / 300.0)
        sightings = " ".join(f"{_e(t[k])} {t['yes'] if r[f'{k}_seen'] else t['no']}" for k in ("officer", "car", "lights"))
        rows_html = [
            (t["kind"], _e(KIND_NAMES[lang].get(s["kind"], s["kind"]))),
            (t["enrolment"], f"{int(s['enrolment'])}"),
            (t["window"], f"{_e(PERIOD_NAMES[lang][period])} {r['window_start'][:5]}–{r['window_end'][:5]}"),
            (t["status"], f"<b style='color:{STATUS_COLOURS[status]}'>{_e(t[status])}</b><br>{sightings}"),
            (t["sources"], _sources_html(r["sources"], t)),
            (t["presence"], f"{float(r['officer_presence_pct']):.1f}%"),
            (t["worst"], _e(_duration(r["worst_response_s"], t))),
            (t["within"], f"{float(r['within_target_pct']):.1f}%"),
            (t["second"], t["yes"] if r["second_unit_300s"] else t["no"]),
        ]
        if r["reason"]:
            rows_html.append((t["reason"], f"<span style='color:{STATUS_COLOURS['missed']}'>{_e(r['reason'])}</span>"))
        tooltip = folium.Tooltip(f"{_e(s['name'])}", permanent=True, direction="top",
                                 offset=(0, -int(radius) - 1), class_name="gp-label") if labels_permanent else \
            folium.Tooltip(f"{_e(s['name'])} · {_e(t[status])}")
        folium.CircleMarker([float(s["lat"]), float(s["lon"])], radius=radius, color="#ffffff", weight=2.5,
                            fill=True, fill_color=STATUS_COLOURS[status], fill_opacity=0.95,
                            popup=_popup(f"{_e(s['name'])} ({_e(sid)})", rows_html), tooltip=tooltip).add_to(group)


def _sources_html(sources: str, t: Mapping[str, str]) -> str:
    parts = [p.strip() for p in str(sources or "").split(";") if p.strip()]
    if not parts:
        return _e(t["none"])
    words = dict(w.split("=", 1) for w in t["source_words"].split("|") if "=" in w)
    out = []
    for part in parts:
        text = _e(part)
        for en, zh in words.items():
            text = _replace_word(text, en, zh)
        out.append(text)
    return "<br>".join(out)


def _replace_word(text: str, word: str, by: str) -> str:
    return re.sub(rf"(?<![A-Za-z]){re.escape(word)}(?![A-Za-z])", by, text)


def _add_uncovered(fmap, plan: PlanFiles, t, lang: str, period: str, *, show: bool) -> None:
    """A red dashed ring round each school whose window in ``period`` lacks the three sightings."""
    rows = plan.coverage[(plan.coverage["period"] == period) & ~plan.coverage["three_sightings"].astype(bool)]
    if rows.empty:
        return
    group = folium.FeatureGroup(name=t["uncovered"].format(period=PERIOD_NAMES[lang][period]), show=show).add_to(fmap)
    schools = plan.schools.set_index("school_id")
    for r in rows.to_dict("records"):
        if r["school_id"] not in schools.index:
            continue
        s = schools.loc[r["school_id"]]
        reason = r["reason"] or t[school_status(r)]
        folium.CircleMarker([float(s["lat"]), float(s["lon"])], radius=17, color=STATUS_COLOURS["missed"], weight=3,
                            dash_array="6 3", fill=False,
                            tooltip=folium.Tooltip(f"<b>{_e(s['name'])}</b> · {_e(t[school_status(r)])}<br>{_e(reason)}"),
                            ).add_to(group)


# ---------------------------------------------------------------------------------------------
# Animation, legend, headline panel
# ---------------------------------------------------------------------------------------------


class _Animation(MacroElement):
    """Time slider + play button moving one dot per car along its route (clock times per vertex)."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        (function (map, layer) {
            var data = {{ this.tracks|tojson }};
            var text = {{ this.text|tojson }};
            var periods = Object.keys(data);
            if (!periods.length) { return; }
            var state = {period: {{ this.period|tojson }}, t: 0, timer: null, speed: 60};
            if (!(state.period in data)) { state.period = periods[0]; }
            var dots = [];
            var pane = map.getPane('gpCars') || map.createPane('gpCars');
            pane.style.zIndex = 650;  // above markers: a car at its station stays visible
            function hhmm(s) {
                s = Math.round(s); var h = Math.floor(s / 3600), m = Math.floor(s % 3600 / 60), x = s % 60;
                return (h < 10 ? '0' : '') + h + ':' + (m < 10 ? '0' : '') + m + ':' + (x < 10 ? '0' : '') + x;
            }
            function where(track, t) {
                var ts = track.t, n = ts.length;
                if (t < ts[0] || t > ts[n - 1]) { return null; }
                var lo = 0, hi = n - 1;
                while (hi - lo > 1) { var mid = (lo + hi) >> 1; if (ts[mid] <= t) { lo = mid; } else { hi = mid; } }
                var span = ts[hi] - ts[lo], f = span > 0 ? (t - ts[lo]) / span : 0;
                return [track.lat[lo] + f * (track.lat[hi] - track.lat[lo]),
                        track.lon[lo] + f * (track.lon[hi] - track.lon[lo])];
            }
            function range(p) {
                var lo = Infinity, hi = -Infinity;
                data[p].forEach(function (tr) { lo = Math.min(lo, tr.t[0]); hi = Math.max(hi, tr.t[tr.t.length - 1]); });
                return [lo, hi];
            }
            var box = L.DomUtil.create('div', 'gp-anim leaflet-bar');
            var select = L.DomUtil.create('select', '', box);
            periods.forEach(function (p) {
                var o = L.DomUtil.create('option', '', select); o.value = p; o.textContent = text.periods[p];
            });
            var button = L.DomUtil.create('button', '', box); button.type = 'button';
            var slider = L.DomUtil.create('input', '', box); slider.type = 'range'; slider.step = 1;
            var clock = L.DomUtil.create('span', 'gp-clock', box);
            var speed = L.DomUtil.create('select', '', box); speed.title = text.speed;
            [30, 60, 120, 300].forEach(function (k) {
                var o = L.DomUtil.create('option', '', speed); o.value = k; o.textContent = '×' + k;
                if (k === state.speed) { o.selected = true; }
            });
            L.DomEvent.disableClickPropagation(box); L.DomEvent.disableScrollPropagation(box);
            function draw() {
                dots.forEach(function (d) {
                    var ll = where(d.track, state.t);
                    if (ll) { d.marker.setLatLng(ll); if (!layer.hasLayer(d.marker)) { layer.addLayer(d.marker); } }
                    else if (layer.hasLayer(d.marker)) { layer.removeLayer(d.marker); }
                });
                clock.textContent = hhmm(state.t);
                slider.value = state.t;
            }
            function setPeriod(p) {
                state.period = p; select.value = p;
                dots.forEach(function (d) { layer.removeLayer(d.marker); });
                dots = data[p].map(function (tr) {
                    var m = L.circleMarker([tr.lat[0], tr.lon[0]], {radius: 8, color: '#ffffff', weight: 2.5,
                        fillColor: tr.color, fillOpacity: 1, pane: 'gpCars'});
                    m.bindTooltip(tr.id);
                    return {track: tr, marker: m};
                });
                var r = range(p); slider.min = r[0]; slider.max = r[1]; state.t = r[0];
                draw();
            }
            function stop() { if (state.timer) { clearInterval(state.timer); state.timer = null; } button.textContent = '▶ ' + text.play; }
            function play() {
                if (state.timer) { stop(); return; }
                var r = range(state.period);
                if (state.t >= r[1]) { state.t = r[0]; }
                button.textContent = '❚❚ ' + text.pause;
                state.timer = setInterval(function () {
                    state.t = Math.min(r[1], state.t + state.speed * 0.1);
                    draw();
                    if (state.t >= r[1]) { stop(); }
                }, 100);
            }
            L.DomEvent.on(button, 'click', play);
            L.DomEvent.on(select, 'change', function () { stop(); setPeriod(select.value); });
            L.DomEvent.on(speed, 'change', function () { state.speed = +speed.value; });
            L.DomEvent.on(slider, 'input', function () { state.t = +slider.value; draw(); });
            var Control = L.Control.extend({options: {position: 'bottomleft'}, onAdd: function () { return box; }});
            new Control().addTo(map);
            stop();
            setPeriod(state.period);
        })({{ this._parent.get_name() }}, {{ this.layer.get_name() }});
        {% endmacro %}
    """)

    def __init__(self, plan: PlanFiles, t: Mapping[str, str], lang: str, layer: folium.FeatureGroup,
                 period: str | None) -> None:
        super().__init__()
        self._name = "PatrolAnimation"
        self.layer = layer
        self.period = period
        colours = _vehicle_colours(plan)
        tracks: dict[str, list] = {}
        for feature in plan.routes["features"]:
            p = feature.get("properties") or {}
            coords = (feature.get("geometry") or {}).get("coordinates") or []
            times = p.get("times") or []
            if len(coords) < 2 or len(times) != len(coords):
                log.warning("route of %s (%s) has %d vertices and %d times; left out of the animation",
                            p.get("vehicle_id"), p.get("period"), len(coords), len(times))
                continue
            try:
                seconds = [_seconds(x) for x in times]
            except ValueError as exc:
                raise InputError(f"bad vertex time ({exc})", file=plan.file("routes.geojson"),
                                 field="times", hint="times are HH:MM:SS, one per coordinate") from exc
            if any(b < a for a, b in zip(seconds, seconds[1:])):
                raise InputError(f"vertex times of {p.get('vehicle_id')} ({p.get('period')}) go backwards",
                                 file=plan.file("routes.geojson"), field="times",
                                 hint="times must not decrease along a route")
            vehicle = str(p.get("vehicle_id"))
            tracks.setdefault(str(p.get("period")), []).append({
                "id": vehicle, "color": colours.get(vehicle, VEHICLE_COLOURS[0]), "t": seconds,
                "lat": [round(c[1], 6) for c in coords], "lon": [round(c[0], 6) for c in coords]})
        self.tracks = {p: tracks[p] for p in plan.periods if p in tracks}
        self.text = {"play": t["play"], "pause": t["pause"], "speed": t["speed"],
                     "periods": {p: PERIOD_NAMES[lang][p] for p in self.tracks}}


_CSS = """
.leaflet-container { background: %(bg)s; font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC",
  "WenQuanYi Micro Hei", "Helvetica Neue", Arial, sans-serif; }
.gp-icon { background: transparent; border: none; }
.gp-post { background: %(post)s; color: #fff; font: bold 11px/18px sans-serif; text-align: center;
  border: 1.5px solid #fff; border-radius: 4px; box-shadow: 0 1px 3px rgba(0,0,0,.45); }
.gp-station { background: %(station)s; color: #fff; font: bold 13px/22px sans-serif; text-align: center;
  width: 22px; height: 22px; border: 2px solid #fff; border-radius: 50%%; box-shadow: 0 1px 3px rgba(0,0,0,.5); }
.gp-arrow { width: 0; height: 0; border-left: 5px solid transparent; border-right: 5px solid transparent;
  border-bottom: 10px solid #333; }
.gp-label { background: rgba(255,255,255,.85); border: none; box-shadow: none; padding: 0 3px;
  font-size: 12px; font-weight: bold; color: #222; }
.gp-label::before { display: none; }
.gp-pop h4 { margin: 0 0 6px 0; font-size: 14px; }
.gp-pop table { border-collapse: collapse; font-size: 12px; }
.gp-pop th { text-align: left; vertical-align: top; padding: 2px 8px 2px 0; color: #555; white-space: nowrap; }
.gp-pop td { padding: 2px 0; }
.gp-panel, .gp-anim { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", "WenQuanYi Micro Hei",
  "Helvetica Neue", Arial, sans-serif; }
.gp-panel { position: fixed; z-index: 1000; background: rgba(255,255,255,.94); border-radius: 6px;
  box-shadow: 0 1px 5px rgba(0,0,0,.35); padding: 8px 10px; font-size: 12px; line-height: 1.45; color: #222; }
.gp-panel h3 { margin: 0 0 4px 0; font-size: 14px; }
.gp-panel table { border-collapse: collapse; }
.gp-panel td, .gp-panel th { padding: 1px 6px 1px 0; text-align: left; }
.gp-sw { display: inline-block; width: 12px; height: 12px; border-radius: 50%%; border: 2px solid #fff;
  box-shadow: 0 0 0 1px #999; vertical-align: -2px; margin-right: 5px; }
.gp-line { display: inline-block; width: 22px; vertical-align: middle; margin-right: 5px; }
.gp-anim { background: #fff; padding: 6px 8px; font-size: 12px; display: flex; gap: 6px; align-items: center; }
.gp-anim input[type=range] { width: 220px; }
.gp-anim button { cursor: pointer; }
.gp-clock { font: bold 13px monospace; min-width: 64px; }
""" % {"bg": BACKGROUND, "post": POST_COLOUR, "station": STATION_COLOUR}


class _Panels(MacroElement):
    """Stylesheet, the headline-figures panel (top left) and the legend (bottom right)."""

    _template = Template("""
        {% macro header(this, kwargs) %}<style>{{ this.css }}</style>{% endmacro %}
        {% macro html(this, kwargs) %}
        <div class="gp-panel gp-headline" style="top: 10px; left: 54px; max-width: 360px;">{{ this.headline }}</div>
        <div class="gp-panel gp-legend" style="bottom: 28px; right: 10px;">{{ this.legend }}</div>
        {% endmacro %}
        {% macro script(this, kwargs) %}
            {{ this._parent.get_name() }}.attributionControl.setPrefix('Leaflet');
        {% endmacro %}
    """)

    def __init__(self, plan: PlanFiles, t: Mapping[str, str], lang: str) -> None:
        super().__init__()
        self._name = "Panels"
        self.css = _CSS
        s = plan.summary
        scenario = plan.plan.get("scenario", {})
        rows = []
        for p in plan.periods:
            share = s.get("attained_share", {}).get(p)
            reach = s.get("response_within_target_share", {}).get(p)
            rows.append(
                f"<tr><td>{_e(PERIOD_NAMES[lang][p])}</td><td>{'' if share is None else f'{100 * share:.0f}%'}</td>"
                f"<td>{_e(s.get('cars_used', {}).get(p, ''))}</td>"
                f"<td>{float(s.get('km_driven', {}).get(p, 0) or 0):.1f}</td>"
                f"<td>{'' if reach is None else f'{100 * reach:.0f}%'}</td></tr>")
        n_uncovered = len(s.get("uncovered", []))
        self.headline = (
            f"<h3>{_e(t['headline'])} · {_e(scenario.get('name', ''))}</h3>"
            f"<div>{_e(t['n_schools'])} {_e(s.get('schools', len(plan.schools)))} · {_e(t['n_posts'])} "
            f"{_e(s.get('posts', plan.posts['post_id'].nunique()))} · {_e(t['police'])} {_e(s.get('police', ''))}"
            f" · {_e(t['auxiliary'])} {_e(s.get('auxiliary', ''))}</div>"
            f"<table><tr><th>{_e(t['period'])}</th><th>{_e(t['attained'])}</th><th>{_e(t['cars'])}</th>"
            f"<th>{_e(t['km'])}</th><th>{_e(t['response'])}</th></tr>{''.join(rows)}</table>"
            f"<div>{_e(t['not_met'])}: <b style='color:{STATUS_COLOURS['missed'] if n_uncovered else STATUS_COLOURS['met']}'>"
            f"{n_uncovered}</b> · {_e(t['created'])} {_e(str(plan.plan.get('created', ''))[:16].replace('T', ' '))}</div>")
        major_w, major_c = ROAD_STYLES["primary"]
        minor_w, minor_c = ROAD_STYLES["residential"]
        dot = "<span class='gp-sw' style='background:{c}'></span>{label}"
        items = [dot.format(c=STATUS_COLOURS[k], label=_e(t[k])) for k in ("met", "partly", "missed")]
        items += [
            f"<span class='gp-sw' style='background:transparent;border:2.5px dashed {STATUS_COLOURS['missed']};"
            f"box-shadow:none'></span>{_e(t['ring'])}",
            f"<span class='gp-post' style='display:inline-block;padding:0 4px;margin-right:5px'>K</span>{_e(t['post'])}",
            f"<span class='gp-station' style='display:inline-block;margin-right:5px'>{'警' if lang == 'zh' else 'P'}"
            f"</span>{_e(t['station'])}",
            f"<span class='gp-line' style='border-top:4px solid {VEHICLE_COLOURS[0]}'></span>{_e(t['route'])}",
            f"<span class='gp-line' style='height:10px;background:{REACH_COLOUR};opacity:.3'></span>"
            f"{_e(t['reach_legend'])}",
            f"<span class='gp-line' style='border-top:{major_w:.0f}px solid {major_c}'></span>{_e(t['road_major'])}",
            f"<span class='gp-line' style='border-top:2px solid {minor_c}'></span>{_e(t['road_minor'])}",
        ]
        self.legend = f"<h3>{_e(t['legend'])}</h3>" + "<br>".join(items)
