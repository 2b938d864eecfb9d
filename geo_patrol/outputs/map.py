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

Labels are Chinese (``lang="zh"``, default) or English (``lang="en"``). Every HTML piece of the map
(panels, legend, popups, tooltips, labels, stylesheet) comes from the autoescaped templates of
``geo_patrol/outputs/templates`` (:mod:`geo_patrol.outputs.markup`); data reach the page's
scripts only as escaped JSON, and the map's own elements go into the page as rendered (branca
would compile each rendered piece as a template once more, evaluating any ``{{`` in the data).
Element ids are numbered in drawing order, so the same plan gives the same page byte for byte.
:func:`render_map`
writes the page with every script and stylesheet inlined (:mod:`geo_patrol.outputs.offline`): Leaflet
and jQuery come from the installed ``xstatic`` packages, markers are vector circles and HTML
``divIcon`` s, so no icon font or image is fetched. The only URL a page may refer to is the
``tiles`` template the caller gives.
"""

from __future__ import annotations

import itertools
import logging
import math
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import folium
from branca.element import Element, Figure, MacroElement

from geo_patrol.clock import parse_time
from geo_patrol.errors import InputError
from geo_patrol.geo import haversine_m
from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import PlanFiles, read_plan_dir
from geo_patrol.outputs import markup, offline
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
        "met_strict": "三见达标(严格)", "schools_with_post": "设护学岗学校",
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
        "met_strict": "met, strict", "schools_with_post": "schools with a post",
    },
}


#: the map's HTML pieces (macros of templates/map_parts.html), each returning escaped markup
_PARTS = markup.template("map_parts.html").module


def _text(lang: str) -> Mapping[str, str]:
    if lang not in TEXT:
        raise InputError(f"language '{lang}' is not available", field="lang", hint="use 'zh' or 'en'")
    return TEXT[lang]


def _seconds(text: str) -> int:
    return parse_time(str(text))


def _duration(seconds: float, t: Mapping[str, str]) -> str:
    m, s = divmod(int(round(seconds)), 60)
    return t["minutes_seconds"].format(m=m, s=s)


# ---------------------------------------------------------------------------------------------
# Elements: rendered from templates/map_*.html and put into the page as they are
# ---------------------------------------------------------------------------------------------


class _Verbatim(Element):
    """Text that goes into the page unchanged (a plain branca Element would compile it as a template)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.text = str(text)

    def render(self, **kwargs: Any) -> str:
        return self.text


class _Element(MacroElement):
    """A map element drawn by the ``header``/``html``/``script`` macros of a template file.

    :class:`branca.element.MacroElement` wraps each rendered macro in ``Element(text)``, which
    compiles the text as a jinja2 template: a name holding ``{{ ... }}`` would be evaluated and
    a lone ``{%`` would stop the render. Here the rendered text is added as it is. Each subclass
    sets ``_template`` to its file.
    """

    def render(self, **kwargs: Any) -> None:
        figure = self.get_root()
        if not isinstance(figure, Figure):
            raise TypeError("a map element renders only inside a Figure")
        module = self._template.module
        for part, section in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = getattr(module, part, None)
            if macro is not None:
                section.add_child(_Verbatim(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


class _Popup(_Element):
    """A popup on its parent layer; ``html`` is markup from templates/map_parts.html."""

    _template = markup.template("map_popup.html")

    def __init__(self, html: str, *, max_width: int = 340) -> None:
        super().__init__()
        self._name = "Popup"
        self.html = html
        self.options = {"maxWidth": max_width}


class _Tooltip(_Element):
    """A tooltip on its parent layer; ``html`` is markup, ``options`` Leaflet's tooltip options."""

    _template = markup.template("map_tooltip.html")

    def __init__(self, html: str, *, sticky: bool = True, **options: Any) -> None:
        super().__init__()
        self._name = "Tooltip"
        self.html = html
        self.options = {**options, "sticky": sticky}


class _Lines(_Element):
    """A GeoJSON layer drawn in one style; ``tooltip`` names a property shown as text on hover."""

    _template = markup.template("map_lines.html")

    def __init__(self, data: Mapping[str, Any], *, style: Mapping[str, Any], tooltip: str | None = None,
                 attribution: str | None = None) -> None:
        super().__init__()
        self._name = "GeoJson"
        self.data = data
        self.style = dict(style)
        self.tooltip = tooltip
        self.attribution = attribution


def _popup(title: str, rows: list[tuple[str, Any]], *, width: int = 340) -> _Popup:
    """A popup with a title and a table of (label, value); a value is text, markup or a list of lines."""
    return _Popup(_PARTS.popup(title, rows), max_width=width)


def _tooltip(text: str, **options: Any) -> _Tooltip:
    return _Tooltip(_PARTS.tooltip(text), **options)


def _number_elements(fmap: folium.Map) -> None:
    """Give every element of the page an id from a counter, in drawing order.

    branca draws a random id for each element, and ids name the page's JavaScript variables:
    numbered, the same plan gives the same page byte for byte.
    """
    counter = itertools.count(1)
    seen: set[int] = set()

    def visit(element: Element) -> None:
        if id(element) in seen:
            return
        seen.add(id(element))
        element._id = str(next(counter))
        for child in element._children.values():
            visit(child)
        for part in ("header", "html", "script"):
            section = getattr(element, part, None)
            if isinstance(section, Element):
                visit(section)

    visit(fmap.get_root())


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
    fmap.get_root().title = _PARTS.page_title(t["title"], str(plan.plan.get("scenario", {}).get("name", "")))
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
    _number_elements(fmap)
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
        group.add_child(_Lines({"type": "FeatureCollection", "features": buckets[bucket]}, style=style,
                               tooltip="name", attribution=t["attribution"] if i == 0 else None))


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
    group.add_child(_Lines({"type": "FeatureCollection", "features": features},
                           style={"color": REACH_COLOUR, "weight": 1, "fillColor": REACH_COLOUR,
                                  "fillOpacity": 0.12, "opacity": 0.6}))


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
        duty = [f"{periods.get(r.period, r.period)} {r.duty_start[:5]}–{r.duty_end[:5]} · {t['police']} {r.police}"
                f" · {t['auxiliary']} {r.auxiliary}" + (f" · {t['car_at_post']}" if r.car_at_post else "")
                for r in rows.itertuples()]
        popup = _popup(f"{t['post']} {post_id}", [
            (t["station"], f"{stations.get(first['station_id'], '')} ({first['station_id']})"),
            (t["schools_served"], [names.get(s, s) for s in served]),
            (t["duty"], duty),
            (t["radius"], f"{radius_m:.0f} {t['m_unit']}"),
            ("WGS-84", f"{lon:.6f}, {lat:.6f}"),
        ])
        folium.Circle([lat, lon], radius=radius_m, color=POST_COLOUR, weight=1.5, dash_array="5 4",
                      fill=True, fill_color=POST_COLOUR, fill_opacity=0.07, interactive=False).add_to(group)
        folium.CircleMarker([lat, lon], radius=3.5, color="#ffffff", weight=1.5, fill=True, fill_color=POST_COLOUR,
                            fill_opacity=1.0, interactive=False).add_to(group)
        # the label hangs just below the post so that it never hides a school at the same spot
        icon = folium.DivIcon(html=_inert(_PARTS.post_label(post_id)), icon_size=(30, 20), icon_anchor=(15, -6),
                              class_name="gp-icon")
        marker = folium.Marker([lat, lon], icon=icon).add_to(group)
        marker.add_child(popup).add_child(_tooltip(f"{t['post']} {post_id}"))


def _inert(html: str) -> str:
    """Markup for a folium element (rendered as a template once more): braces as character references."""
    return str(html).replace("{", "&#123;").replace("}", "&#125;")


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
                used.append(f"{periods[p]}: " + " · ".join(parts))
        popup = _popup(f"{s['name']} ({s['station_id']})", [
            (t["resources"], f"{t['police']} {s['police']} · {t['auxiliary']} {s['auxiliary']}"
                             f" · {t['cars']} {s['cars']}"),
            (t["used"], used or t["none"]),
        ])
        icon = folium.DivIcon(html=_inert(_PARTS.station_label("警" if lang == "zh" else "P")), icon_size=(26, 26),
                              icon_anchor=(13, 13), class_name="gp-icon")
        marker = folium.Marker([s["lat"], s["lon"]], icon=icon).add_to(group)
        marker.add_child(popup).add_child(_tooltip(s["name"]))


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
        label = (f"{t['vehicle']} {vehicle} · {str(p.get('start', ''))[:5]}–{str(p.get('end', ''))[:5]}"
                 f" · {t['drive']} {float(p.get('drive_km') or 0):.1f} {t['km_unit']}"
                 f" · {t['stops']} {p.get('stops', '')}")
        folium.PolyLine([[c[1], c[0]] for c in coords], color="#ffffff", weight=7, opacity=0.8,
                        interactive=False).add_to(group)
        folium.PolyLine([[c[1], c[0]] for c in coords], color=colour, weight=4, opacity=0.9,
                        ).add_to(group).add_child(_tooltip(label, sticky=True))
        arrows.extend([*a, colour] for a in _arrows(coords))
    group.add_child(_Arrows(arrows))
    for v in visits.sort_values(["vehicle_id", "seq"]).itertuples():
        colour = colours.get(v.vehicle_id, VEHICLE_COLOURS[0])
        label = (f"{v.vehicle_id} · {t['stop'].format(seq=v.seq)} · {names.get(v.school_id, v.school_id)}"
                 f" · {v.arrive[:5]}–{v.depart[:5]}")
        folium.CircleMarker([v.lat, v.lon], radius=4, color=colour, weight=2, fill=True, fill_color="#ffffff",
                            fill_opacity=1.0).add_to(group).add_child(_tooltip(label))


class _Arrows(_Element):
    """Direction arrows (CSS triangles in divIcons) added to the parent layer."""

    _template = markup.template("map_arrows.html")

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
        sightings = " ".join(f"{t[k]} {t['yes'] if r[f'{k}_seen'] else t['no']}" for k in ("officer", "car", "lights"))
        cells: list[tuple[str, Any]] = [
            (t["kind"], KIND_NAMES[lang].get(s["kind"], s["kind"])),
            (t["enrolment"], f"{int(s['enrolment'])}"),
            (t["window"], f"{PERIOD_NAMES[lang][period]} {r['window_start'][:5]}–{r['window_end'][:5]}"),
            (t["status"], _PARTS.status(STATUS_COLOURS[status], t[status], sightings)),
            (t["sources"], _source_lines(r["sources"], t)),
            (t["presence"], f"{float(r['officer_presence_pct']):.1f}%"),
            (t["worst"], _duration(r["worst_response_s"], t)),
            (t["within"], f"{float(r['within_target_pct']):.1f}%"),
            (t["second"], t["yes"] if r["second_unit_300s"] else t["no"]),
        ]
        if r["reason"]:
            cells.append((t["reason"], _PARTS.coloured(STATUS_COLOURS["missed"], r["reason"])))
        if labels_permanent:
            tooltip = _tooltip(s["name"], permanent=True, direction="top", offset=[0, -int(radius) - 1],
                               className="gp-label")
        else:
            tooltip = _tooltip(f"{s['name']} · {t[status]}")
        folium.CircleMarker([float(s["lat"]), float(s["lon"])], radius=radius, color="#ffffff", weight=2.5,
                            fill=True, fill_color=STATUS_COLOURS[status], fill_opacity=0.95,
                            ).add_to(group).add_child(_popup(f"{s['name']} ({sid})", cells)).add_child(tooltip)


def _source_lines(sources: str, t: Mapping[str, str]) -> list[str] | str:
    """The ``;``-separated sources of a coverage row, one line each, English words in ``t``'s language."""
    parts = [p.strip() for p in str(sources or "").split(";") if p.strip()]
    if not parts:
        return t["none"]
    words = dict(w.split("=", 1) for w in t["source_words"].split("|") if "=" in w)
    out = []
    for text in parts:
        for en, zh in words.items():
            text = _replace_word(text, en, zh)
        out.append(text)
    return out


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
                            ).add_to(group).add_child(_Tooltip(_PARTS.ring_tooltip(s["name"], t[school_status(r)],
                                                                                   reason)))


# ---------------------------------------------------------------------------------------------
# Animation, legend, headline panel
# ---------------------------------------------------------------------------------------------


class _Animation(_Element):
    """Time slider + play button moving one dot per car along its route (clock times per vertex)."""

    _template = markup.template("map_animation.html")

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


class _Panels(_Element):
    """Stylesheet, the headline-figures panel (top left) and the legend (bottom right).

    The headline table has a column per figure of ``plan.json``'s summary, by period: three
    sightings attained, then — when the summary has them — schools meeting the strict target
    (``met_strict``) and schools with a duty post (``schools_with_post``), then cars, km and the
    "135" reach.
    """

    _template = markup.template("map_panels.html")

    def __init__(self, plan: PlanFiles, t: Mapping[str, str], lang: str) -> None:
        super().__init__()
        self._name = "Panels"
        self.css = markup.render("map.css", bg=BACKGROUND, post=POST_COLOUR, station=STATION_COLOUR)
        self.t = t
        s = plan.summary
        extra = [key for key in ("met_strict", "schools_with_post") if isinstance(s.get(key), Mapping)]
        rows = []
        for p in plan.periods:
            share = s.get("attained_share", {}).get(p)
            reach = s.get("response_within_target_share", {}).get(p)
            rows.append([PERIOD_NAMES[lang][p], "" if share is None else f"{100 * share:.0f}%",
                         *(s[key].get(p, "") for key in extra), s.get("cars_used", {}).get(p, ""),
                         f"{float(s.get('km_driven', {}).get(p, 0) or 0):.1f}",
                         "" if reach is None else f"{100 * reach:.0f}%"])
        n_uncovered = len(s.get("uncovered", []))
        self.headline = {
            "scenario": plan.plan.get("scenario", {}).get("name", ""),
            "schools": s.get("schools", len(plan.schools)), "posts": s.get("posts", plan.posts["post_id"].nunique()),
            "police": s.get("police", ""), "auxiliary": s.get("auxiliary", ""),
            "columns": [t["period"], t["attained"], *(t[key] for key in extra), t["cars"], t["km"], t["response"]],
            "rows": rows, "not_met": n_uncovered,
            "not_met_colour": STATUS_COLOURS["missed"] if n_uncovered else STATUS_COLOURS["met"],
            "created": str(plan.plan.get("created", ""))[:16].replace("T", " "),
        }
        major_w, major_c = ROAD_STYLES["primary"]
        self.legend = {
            "status": STATUS_COLOURS, "station_letter": "警" if lang == "zh" else "P", "route": VEHICLE_COLOURS[0],
            "reach": REACH_COLOUR, "major": f"{major_w:.0f}px solid {major_c}",
            "minor": f"2px solid {ROAD_STYLES['residential'][1]}",
        }
