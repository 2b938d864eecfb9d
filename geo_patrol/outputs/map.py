"""The coverage map: one self-contained HTML file a commander opens without internet.

:func:`build_map` draws a plan directory on a :class:`folium.Map`, each part a layer of its own in
the layer control (roads; the "135" reach, duty posts, patrol routes, schools and the schools
without the three sightings per period; police stations; the car animation). What it draws:

- the road network of ``roads.geojson`` as the basemap, styled by OSM class, on a canvas; no tile
  layer unless ``tiles`` is given;
- the schools per period coloured by the three sightings (green met, orange partly, red missed)
  with a popup saying which sighting came from where and when; the missed ones ringed in red;
- duty posts with their ``post_radius_m`` circle; police stations with their names;
- each car's route per period with direction arrows and its stops; the "135" reach;
- a toolbar: search a school by name, id or pinyin initials (第一小学: ``dyxx``) and the map goes
  there and opens it; the period shown; a police-station filter (its schools, posts, cars only);
  the list of schools that miss the three sightings, each a click away; a per-car timeline (stops
  against the clock, a click highlights the route) beside the animation of the cars; printing;
- the plan's headline figures, a legend, a metric scale and a north arrow; a print layout for A4 or
  A3 landscape (``@media print``) with the title, the period, the creation time, the legend, the
  scale and the north arrow.

Beyond a town (more than :data:`CLUSTER_FROM` schools, or ``cluster=True``) schools and posts that
crowd each other are clustered below zoom :data:`CLUSTER_OFF_ZOOM` (Leaflet.markercluster; a
cluster is coloured by its worst school and shows how many of its schools miss; a school on its own
stays a marker), posts appear from one zoom before :data:`DETAIL_ZOOM`, minor roads, stops,
arrows, post circles and rings from :data:`DETAIL_ZOOM` on, and only those in view are drawn; routes
are thin below it. Labels (station names first, then missed schools, then by enrolment, then post
ids) are placed where they fit, in four positions round the point, and left out where they would
cover another label, a school, a cluster or a panel.

The data reach the page once, as one JSON value (:mod:`geo_patrol.outputs.map_data`) that the
page's script (``templates/map_commander.js``) draws with ``textContent`` — names are never parsed
as HTML. The headline panel, legend and print header come from the autoescaped templates of
``geo_patrol/outputs/templates`` (:mod:`geo_patrol.outputs.markup`). Element ids are numbered in
drawing order and the embedded font is a deterministic subset, so the same plan gives the same
page byte for byte. :func:`render_map` writes the page with every script, stylesheet and the
font inlined (:mod:`geo_patrol.outputs.offline`, :mod:`geo_patrol.outputs.fonts`); the only URL a
page may refer to is the ``tiles`` template the caller gives. :func:`render_station_maps` writes
one such page per police station, holding only that station's part of the plan.
"""

from __future__ import annotations

import dataclasses
import itertools
import logging
import math
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import folium
import numpy as np
import shapely
from branca.element import Element, Figure, MacroElement
from shapely.geometry import mapping, shape

from geo_patrol.datum import from_wgs84, normalise_datum
from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import PlanFiles, output_lang, read_plan_dir
from geo_patrol.outputs import fonts, markup, offline
from geo_patrol.outputs.common import PERIOD_NAMES, school_status
from geo_patrol.outputs.map_data import ROAD_STYLES, VEHICLE_COLOURS, map_data, school_stations

__all__ = ["build_map", "copy_demo_map", "render_map", "render_station_maps", "station_plan", "TEXT", "STATUS_COLOURS",
           "ROAD_STYLES", "VEHICLE_COLOURS", "CLUSTER_FROM"]

log = logging.getLogger(__name__)

#: CDN addresses folium would use; :func:`render_map` serves them from the installed packages.
LEAFLET_JS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js"
LEAFLET_CSS = "https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"
JQUERY_JS = "https://code.jquery.com/jquery-3.7.1.min.js"
MARKERCLUSTER_JS = "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.4.1/leaflet.markercluster.js"
MARKERCLUSTER_CSS = ("https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.4.1/MarkerCluster.css",
                     "https://cdnjs.cloudflare.com/ajax/libs/leaflet.markercluster/1.4.1/MarkerCluster.Default.css")

#: schools from which the map clusters by default (isolated schools stay single markers at any zoom)
CLUSTER_FROM = 100
#: zoom from which clusters open into single schools and posts
CLUSTER_OFF_ZOOM = 15
#: zoom from which a clustered map draws minor roads, stops, arrows, rings and post circles
DETAIL_ZOOM = 14
#: Douglas–Peucker tolerance for roads, reach areas and routes, metres
SIMPLIFY_M = 3.0

STATUS_COLOURS = {"met": "#1a9850", "partly": "#f08c00", "missed": "#d7191c"}
POST_COLOUR, STATION_COLOUR, REACH_COLOUR, BACKGROUND = "#1f4e9c", "#0b2447", "#3182bd", "#f4f2ec"

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
        "attribution": "道路数据 © OpenStreetMap 贡献者",
        "met_strict": "三见达标(严格)", "schools_with_post": "设护学岗学校",
        "search": "搜索学校：名称、编号或拼音首字母", "no_match": "没有匹配的学校", "all_stations": "全部派出所",
        "timeline": "时间轴", "missed_list": "未达成清单", "print": "打印", "print_a4": "A4 横向",
        "print_a3": "A3 横向", "north": "北", "cluster": "聚合：学校数（红字为未达成数）", "coords": "坐标",
        "timeline_hint": "点击一行高亮该车路线，点击停靠点查看学校", "close": "关闭", "shown": "显示",
        "arrive": "到达", "depart": "离开", "no_window": "本时段无时间窗", "all_met": "全部达成“三见”",
        "scale_note": "比例尺", "station_map": "派出所简报图", "day_types": "日类型",
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
        "attribution": "Roads © OpenStreetMap contributors",
        "met_strict": "met, strict", "schools_with_post": "schools with a post",
        "search": "Find a school: name, id or pinyin initials", "no_match": "no school matches",
        "all_stations": "All stations", "timeline": "Timeline", "missed_list": "Not met",
        "print": "Print", "print_a4": "A4 landscape", "print_a3": "A3 landscape", "north": "N",
        "cluster": "Cluster: schools (red: not met)", "coords": "Coordinates",
        "timeline_hint": "Click a row to highlight the car's route, a stop to open the school",
        "close": "Close", "shown": "Shown", "arrive": "arrive", "depart": "depart",
        "no_window": "no window in this period", "all_met": "all schools meet the three sightings",
        "scale_note": "Scale", "station_map": "Station briefing map", "day_types": "Day type",
    },
}

#: the map's HTML pieces (macros of templates/map_parts.html), each returning escaped markup
_PARTS = markup.template("map_parts.html").module
#: the page's script: plain JavaScript, put into the page as it is (no template)
_SCRIPT_FILE = "map_commander.js"
_DATUM_NAMES = {"wgs84": "WGS-84", "gcj02": "GCJ-02", "bd09": "BD-09"}


def drawn_in(plan: PlanFiles, datum: str) -> PlanFiles:
    """The plan with every coordinate the map draws moved from WGS-84 into ``datum``.

    For a tile service in another datum (Amap and Tencent tiles are GCJ-02, Baidu's BD-09): the
    tiles put a school where that datum says, so the overlays go there too. The coordinates a
    popup shows people stay the plan's output datum (kept in ``wgs_lon``/``wgs_lat`` of the posts).
    """
    datum = normalise_datum(datum)
    if datum == "wgs84":
        return plan

    def frame(df, *pairs):
        df = df.copy()
        for lon, lat in pairs:
            if lon in df.columns and len(df):
                x, y = from_wgs84(df[lon].to_numpy(float), df[lat].to_numpy(float), datum)
                df[lon], df[lat] = np.asarray(x, float), np.asarray(y, float)
        return df

    def coords(value):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (int, float)):
            x, y = from_wgs84(float(value[0]), float(value[1]), datum)
            return [float(x), float(y), *value[2:]]
        if isinstance(value, (list, tuple)):
            return [coords(v) for v in value]
        return value

    def geojson(fc):
        if fc is None:
            return None
        features = []
        for f in fc.get("features", []):
            geom = f.get("geometry")
            if geom and "coordinates" in geom:
                geom = {**geom, "coordinates": coords(geom["coordinates"])}
            features.append({**f, "geometry": geom})
        return {**fc, "features": features}

    posts = plan.posts.assign(wgs_lon=plan.posts["lon"], wgs_lat=plan.posts["lat"]) if len(plan.posts) else plan.posts
    return dataclasses.replace(
        plan, schools=frame(plan.schools, ("lon", "lat")), posts=frame(posts, ("lon", "lat")),
        visits=frame(plan.visits, ("lon", "lat"), ("stop_lon", "stop_lat")),
        stations=frame(plan.stations, ("lon", "lat")), routes=geojson(plan.routes), roads=geojson(plan.roads),
        reach=geojson(plan.reach))


def _text(lang: str) -> Mapping[str, str]:
    if lang not in TEXT:
        raise InputError(f"language '{lang}' is not available", field="lang", hint="use 'zh' or 'en'")
    return TEXT[lang]


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
        for name, url in getattr(self, "default_js", []):
            figure.header.add_child(folium.JavascriptLink(url), name=name)
        for name, url in getattr(self, "default_css", []):
            figure.header.add_child(folium.CssLink(url), name=name)
        module = self._template.module
        for part, section in (("header", figure.header), ("html", figure.html), ("script", figure.script)):
            macro = getattr(module, part, None)
            if macro is not None:
                section.add_child(_Verbatim(macro(self, kwargs)), name=self.get_name())
        for child in self._children.values():
            child.render(**kwargs)


def _library() -> markup.Markup:
    """The page's script, checked to hold nothing that would end its ``<script>`` element."""
    source = markup.ENV.loader.get_source(markup.ENV, _SCRIPT_FILE)[0]
    if re.search(r"</script|<!--", source, re.I):  # pragma: no cover - a broken installation
        raise InputError(f"{_SCRIPT_FILE} may not contain '</script' or '<!--'", field="script")
    return markup.Markup(source)


class _Commander(_Element):
    """Every layer's content, the toolbar, the timeline, the animation and the print layout.

    ``data`` is :func:`geo_patrol.outputs.map_data.map_data`; ``groups`` the folium feature groups
    the page fills (named in the layer control), by kind and, for per-period layers, by period.
    """

    _template = markup.template("map_commander.html")

    def __init__(self, data: Mapping[str, Any], text: Mapping[str, Any], groups: Mapping[str, Any]) -> None:
        super().__init__()
        self._name = "Commander"
        self.data = data
        self.text = text
        self.groups = groups
        self.library = _library()
        if data.get("cluster"):
            self.default_js = [("markercluster", MARKERCLUSTER_JS)]
            self.default_css = [("markercluster_css", MARKERCLUSTER_CSS[0]),
                                ("markercluster_default_css", MARKERCLUSTER_CSS[1])]

    def layer_refs(self) -> markup.Markup:
        """The groups as a JavaScript object of their variable names (known only once numbered)."""
        parts = []
        for kind, group in self.groups.items():
            if isinstance(group, Mapping):
                inner = ", ".join(f"{markup.script_json(p)}: {g.get_name()}" for p, g in group.items())
                parts.append(f"{markup.script_json(kind)}: {{{inner}}}")
            else:
                parts.append(f"{markup.script_json(kind)}: {group.get_name() if group is not None else 'null'}")
        return markup.Markup("{" + ", ".join(parts) + "}")


class _Panels(_Element):
    """Stylesheet, the headline-figures panel, the legend and the print header.

    The headline table has a column per figure of ``plan.json``'s summary, by period: three
    sightings attained, then — when the summary has them — schools meeting the strict target
    (``met_strict``) and schools with a duty post (``schools_with_post``), then cars, km and the
    "135" reach. The page's script moves the panels into the map's corners.
    """

    _template = markup.template("map_panels.html")

    def __init__(self, plan: PlanFiles, t: Mapping[str, str], lang: str, *, cluster: bool,
                 subtitle: str = "", links: Sequence[tuple[str, str]] = ()) -> None:
        super().__init__()
        self.links = [{"label": label, "href": href} for label, href in links]
        self._name = "Panels"
        self.css = markup.render("map.css", bg=BACKGROUND, post=POST_COLOUR, station=STATION_COLOUR,
                                 font=markup.Markup(fonts.FONT_STACK),
                                 **{f"s_{k}": v for k, v in STATUS_COLOURS.items()})
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
        scenario = str(plan.plan.get("scenario", {}).get("name", ""))
        self.headline = {
            "scenario": scenario + (f" · {subtitle}" if subtitle else ""),
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
            "minor": f"2px solid {ROAD_STYLES['residential'][1]}", "cluster": cluster,
        }
        self.print_head = {"title": t["title"], "scenario": self.headline["scenario"],
                           "created": self.headline["created"]}


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


# ---------------------------------------------------------------------------------------------
# The map
# ---------------------------------------------------------------------------------------------


def build_map(plan_dir: str | Path | PlanFiles, *, lang: str | None = None, tiles: str | None = None,
              period: str | None = None, tiles_attr: str | None = None, cluster: bool | None = None,
              simplify_m: float = SIMPLIFY_M, subtitle: str = "",
              links: Sequence[tuple[str, str]] = (), tiles_datum: str = "wgs84") -> folium.Map:
    """Draw a plan directory on a :class:`folium.Map` and return it (layers compose).

    ``period`` is the period whose schools and routes show when the page opens (default: the
    plan's first); the other periods are in the layer control and the toolbar. ``tiles`` is an
    optional tile URL template (``https://intranet/tiles/{z}/{x}/{y}.png``) or folium provider
    name, shown as the basemap under the roads; ``tiles_attr`` its attribution; ``tiles_datum``
    the datum the tiles are drawn in (``gcj02`` for Amap or Tencent, ``bd09`` for Baidu): every
    overlay is moved into it (:func:`drawn_in`). ``cluster``
    clusters schools and posts below zoom :data:`CLUSTER_OFF_ZOOM` (default: when the plan has
    more than :data:`CLUSTER_FROM` schools); ``simplify_m`` is the simplification tolerance of
    roads, reach areas and routes in metres (0 keeps every vertex). ``subtitle`` follows the
    scenario's name in the headline and the print header; ``links`` (label, href) pairs show as a
    switch in the headline panel (the semester links each day type's map to the others'; the label
    equal to ``subtitle`` is the current one). The returned map links Leaflet and its
    plugins from their CDN like any folium map; :func:`render_map` inlines them. ``lang`` is
    ``zh`` or ``en`` (default: the plan's output language, :func:`~geo_patrol.io.plandir.output_lang`).
    """
    plan = plan_dir if isinstance(plan_dir, PlanFiles) else read_plan_dir(plan_dir)
    lang = output_lang(plan.plan) if lang is None else lang
    t = _text(lang)
    plan = drawn_in(plan, tiles_datum)
    periods = plan.periods
    period = _opening_period(periods, period)
    cluster = _clustered(plan) if cluster is None else cluster
    data = map_data(plan, t, lang, period=period, simplify_m=float(simplify_m), cluster=cluster)
    fmap = _base_map(plan, data["bounds"], t, subtitle)
    if tiles:
        folium.TileLayer(tiles=tiles, attr=tiles_attr or t["tiles"], name=t["tiles"], overlay=False,
                         control=True, max_zoom=19).add_to(fmap)
    names = PERIOD_NAMES[lang]
    groups = _groups(fmap, data, t, names, periods, period, roads_shown=not tiles)
    page_text = {**t, "status_names": {k: t[k] for k in STATUS_COLOURS}, "period_names": dict(names),
                 "datum": _DATUM_NAMES.get(plan.datum, plan.datum)}
    style = {"status": [STATUS_COLOURS[k] for k in ("met", "partly", "missed")], "post": POST_COLOUR,
             "station": STATION_COLOUR, "reach": REACH_COLOUR, "cluster_off_zoom": CLUSTER_OFF_ZOOM,
             "detail_zoom": DETAIL_ZOOM, "station_letter": "警" if lang == "zh" else "P"}
    fmap.add_child(_Panels(plan, t, lang, cluster=bool(cluster), subtitle=subtitle, links=links))
    fmap.add_child(_Commander({**data, "style": style}, page_text, groups))
    folium.LayerControl(collapsed=True, position="topright").add_to(fmap)
    _number_elements(fmap)
    return fmap


def _opening_period(periods: Sequence[str], period: str | None) -> str | None:
    """The period that shows when the page opens: the one asked for (one of the plan's), else the first."""
    if period is None:
        return periods[0] if periods else None
    if period not in periods:
        raise InputError(f"period '{period}' is not in this plan", field="period",
                         hint="use one of " + ", ".join(periods))
    return period


def _clustered(plan: PlanFiles) -> bool:
    """Whether schools and posts cluster by default: more than :data:`CLUSTER_FROM` schools, and
    the clustering plugin installed (a warning when it is not)."""
    cluster = len(plan.schools) > CLUSTER_FROM and offline.has_markercluster()
    if len(plan.schools) > CLUSTER_FROM and not cluster:
        log.warning("xstatic-leaflet-markercluster is not installed: the map of %d schools is not clustered",
                    len(plan.schools))
    return cluster


def _base_map(plan: PlanFiles, bounds, t: Mapping[str, str], subtitle: str) -> folium.Map:
    """The map centred on the plan, with Leaflet and jQuery as its scripts and the page's title."""
    (south, west), (north, east) = bounds
    fmap = folium.Map(location=[(south + north) / 2, (west + east) / 2], tiles=None, zoom_start=14,
                      control_scale=False, prefer_canvas=False)
    fmap.default_js = [("leaflet", LEAFLET_JS), ("jquery", JQUERY_JS)]
    fmap.default_css = [("leaflet_css", LEAFLET_CSS)]
    fmap.get_root().title = _PARTS.page_title(t["title"], str(plan.plan.get("scenario", {}).get("name", ""))
                                              + (f" · {subtitle}" if subtitle else ""))
    return fmap


def _groups(fmap: folium.Map, data: Mapping[str, Any], t: Mapping[str, str], names: Mapping[str, str],
            periods: Sequence[str], period: str | None, *, roads_shown: bool) -> dict[str, Any]:
    """The layer control's groups, in the order they are added: roads, reach, posts, routes,
    schools, uncovered schools, stations, the animation (one per period where it has one)."""

    def group(name: str, show: bool) -> folium.FeatureGroup:
        return folium.FeatureGroup(name=name, show=show).add_to(fmap)

    groups: dict[str, Any] = {"roads": group(t["roads"], roads_shown) if data["roads"] else None}
    groups["reach"] = {p: group(t["reach"].format(period=names[p]), False) for p in periods if data["reach"].get(p)}
    groups["posts"] = group(t["posts"], True) if data["posts"]["id"] else None
    groups["routes"] = {p: group(t["routes"].format(period=names[p]), p == period) for p in periods
                        if data["routes"].get(p) or data["visits"].get(p)}
    groups["schools"] = {p: group(t["schools"].format(period=names[p]), p == period) for p in periods
                         if data["windows"].get(p)}
    groups["uncovered"] = {p: group(t["uncovered"].format(period=names[p]), p == period) for p in periods
                           if any(w[1] > 0 for w in data["windows"].get(p, []))}
    groups["stations"] = group(t["stations"], True) if data["stations"] else None
    groups["animation"] = group(t["animation"], True)
    return groups


def render_map(plan_dir: str | Path | PlanFiles, *, out: str | Path | None = None, lang: str | None = None,
               tiles: str | None = None, period: str | None = None, cluster: bool | None = None,
               simplify_m: float = SIMPLIFY_M, subtitle: str = "",
               links: Sequence[tuple[str, str]] = (), tiles_datum: str = "wgs84") -> Path:
    """Write the plan's map as one self-contained HTML file and return its path.

    Default ``plan_dir/map.html``. The page carries its scripts, stylesheets and a subset of
    Noto Sans SC holding exactly its characters. It is written to a temporary file in the same
    folder and moved into place, so an error leaves no partial file (and an older map untouched).
    Raises :class:`~geo_patrol.outputs.offline.OfflineError` if anything but ``tiles`` would be
    fetched. ``lang``, ``cluster``, ``simplify_m``, ``subtitle``, ``links`` and ``tiles_datum`` as in
    :func:`build_map`.
    """
    plan = plan_dir if isinstance(plan_dir, PlanFiles) else read_plan_dir(plan_dir)
    lang = output_lang(plan.plan) if lang is None else lang
    t = _text(lang)
    if out is None:
        if plan.plan_dir is None:
            raise InputError("a plan held in memory has no folder to write its map into", field="out",
                             hint="give out=")
        out = plan.plan_dir / "map.html"
    fmap = build_map(plan, lang=lang, tiles=tiles, period=period, cluster=cluster, simplify_m=simplify_m,
                     subtitle=subtitle, links=links, tiles_datum=tiles_datum)
    page = fmap.get_root().render()
    face = fonts.font_face(page)
    if face:
        page = page.replace("</head>", f"<style>{face}</style>\n</head>", 1)
    allow = [layer.tiles for layer in fmap._children.values() if isinstance(layer, folium.TileLayer)]
    page = offline.inline_assets(page, allow=allow)
    page = page.replace("<html>", f'<html lang="{t["html_lang"]}">', 1)
    write_atomic(Path(out), page)
    log.info("wrote %s (%d bytes)", out, len(page.encode("utf-8")))
    return Path(out)


def copy_demo_map(plan_dir: Path) -> None:
    """The demo's map also goes to the checkout's ``maps/`` folder (when there is one: not in an
    installed package)."""
    maps = Path(__file__).resolve().parents[2] / "maps"
    if maps.is_dir():
        write_atomic(maps / "demo_map.html", (plan_dir / "map.html").read_bytes())


# ---------------------------------------------------------------------------------------------
# Per-station maps
# ---------------------------------------------------------------------------------------------


def render_station_maps(plan_dir: str | Path, *, out_dir: str | Path | None = None, lang: str | None = None,
                        tiles: str | None = None, period: str | None = None,
                        simplify_m: float = SIMPLIFY_M, tiles_datum: str = "wgs84") -> list[Path]:
    """Write one map per police station for its own briefing: ``maps/<station_id>.html``.

    Each page holds only the station's part of the plan (:func:`station_plan`): its schools,
    posts, cars and their routes, the roads and reach around them, and headline figures counted
    from those. Pools of officers (``kind = pool``) and stations with nothing to show get no
    page. ``out_dir`` defaults to ``plan_dir/maps``; file names are the station ids with any
    character that is not a letter, digit, ``-``, ``_`` or ``.`` written as ``_`` (a repeated
    name gets ``-2``, ``-3``...). Returns the paths written, in station order.
    """
    plan = read_plan_dir(plan_dir)
    lang = output_lang(plan.plan) if lang is None else lang
    t = _text(lang)
    out_dir = Path(out_dir) if out_dir is not None else plan.plan_dir / "maps"
    out_dir.mkdir(parents=True, exist_ok=True)
    written, used = [], set()
    for s in plan.stations.to_dict("records"):
        if str(s.get("kind", "station")) == "pool":
            continue
        part = station_plan(plan, str(s["station_id"]))
        if part.schools.empty and part.posts.empty and part.visits.empty:
            log.info("station %s has no schools, posts or cars: no map", s["station_id"])
            continue
        stem = re.sub(r"[^\w.-]", "_", str(s["station_id"]), flags=re.ASCII).strip(".") or "station"
        name, k = stem, 2
        while name.lower() in used:
            name, k = f"{stem}-{k}", k + 1
        used.add(name.lower())
        chosen = period if period in part.periods else None
        written.append(render_map(part, out=out_dir / f"{name}.html", lang=lang, tiles=tiles, period=chosen,
                                  cluster=False if len(part.schools) <= CLUSTER_FROM else None,
                                  simplify_m=simplify_m, subtitle=f"{s['name']} · {t['station_map']}",
                                  tiles_datum=tiles_datum))
    log.info("wrote %d station maps to %s", len(written), out_dir)
    return written


def station_plan(plan: PlanFiles, station_id: str, *, margin_m: float = 1000.0) -> PlanFiles:
    """The part of ``plan`` a station briefs on, as a :class:`PlanFiles` held in memory.

    Its schools (see :mod:`geo_patrol.outputs.map_data` for which station a school belongs to),
    its posts, its cars' stops and routes, the station itself, and the roads and reach areas within
    ``margin_m`` of them (clipped). The summary is counted from these rows: schools, posts,
    police and auxiliary rostered, per period the share of windows with the three sightings,
    cars used and km driven, and the windows not met.
    """
    stations = plan.stations.reset_index(drop=True)
    index = {sid: i for i, sid in enumerate(stations["station_id"])}
    if station_id not in index:
        raise InputError(f"station '{station_id}' is not in this plan", file=plan.file("stations.csv"),
                         field="station_id", hint="use one of " + ", ".join(map(str, stations["station_id"])))
    owner = school_stations(plan, plan.schools.reset_index(drop=True), index)
    mine = index[station_id]
    school_ids = {sid for sid, k in zip(plan.schools["school_id"], owner) if k == mine}
    posts = plan.posts[plan.posts["station_id"] == station_id]
    visits = plan.visits[plan.visits["station_id"] == station_id]
    coverage = plan.coverage[plan.coverage["school_id"].isin(school_ids)]
    routes = {**plan.routes, "features": [f for f in plan.routes["features"]
                                          if str((f.get("properties") or {}).get("station_id")) == station_id]}
    rosters = plan.rosters[plan.rosters["station_id"] == station_id]
    lons = [*plan.schools[plan.schools["school_id"].isin(school_ids)]["lon"], *posts["lon"], *visits["lon"],
            float(stations["lon"][mine])]
    lats = [*plan.schools[plan.schools["school_id"].isin(school_ids)]["lat"], *posts["lat"], *visits["lat"],
            float(stations["lat"][mine])]
    for f in routes["features"]:
        for lon, lat in (f.get("geometry") or {}).get("coordinates") or []:
            lons.append(lon)
            lats.append(lat)
    pad_lat = margin_m / 111_320.0
    pad_lon = pad_lat / max(0.1, math.cos(math.radians(sum(lats) / len(lats))))
    box = (min(lons) - pad_lon, min(lats) - pad_lat, max(lons) + pad_lon, max(lats) + pad_lat)
    summary = _station_summary(plan, coverage, posts, rosters, routes, len(school_ids))
    meta = {**plan.plan, "summary": summary}
    return dataclasses.replace(
        plan, plan=meta, schools=plan.schools[plan.schools["school_id"].isin(school_ids)],
        posts=posts, rosters=rosters, visits=visits, coverage=coverage,
        stations=plan.stations[plan.stations["station_id"] == station_id], routes=routes,
        roads=_clip(plan.roads, box), reach=_clip(plan.reach, box))


def _clip(collection: Mapping[str, Any] | None, box: tuple[float, float, float, float]) -> dict[str, Any] | None:
    if not collection:
        return collection
    features = []
    for feature in collection.get("features", []):
        geometry = feature.get("geometry")
        if not geometry:
            continue
        clipped = shapely.clip_by_rect(shape(geometry), *box)
        if not clipped.is_empty:
            features.append({**feature, "geometry": mapping(clipped)})
    return {**collection, "features": features}


def _station_summary(plan: PlanFiles, coverage, posts, rosters, routes, n_schools: int) -> dict[str, Any]:
    """A station's headline figures, counted from its part of the plan (:func:`station_plan`)."""
    periods = plan.periods
    attained, cars, km = {}, {}, {}
    for p in periods:
        rows = coverage[coverage["period"] == p]
        attained[p] = round(float(rows["three_sightings"].astype(bool).mean()), 4) if len(rows) else None
        cars[p], km[p] = _cars_and_km(routes, p)
    roles = rosters.drop_duplicates("officer")["role"] if "role" in rosters.columns else []
    uncovered = [{"school_id": r["school_id"], "period": r["period"], "reason": r["reason"]}
                 for r in coverage.to_dict("records") if school_status(r) != "met"]
    return {"periods": periods, "schools": n_schools, "posts": int(posts["post_id"].nunique()),
            "police": int((roles == "police").sum()) if len(roles) else 0,
            "auxiliary": int((roles == "auxiliary").sum()) if len(roles) else 0,
            "attained_share": {p: v for p, v in attained.items() if v is not None}, "cars_used": cars,
            "km_driven": km, "uncovered": uncovered}


def _cars_and_km(routes: Mapping[str, Any], period: str) -> tuple[int, float]:
    """The cars out in ``period`` and the km they drive, from the routes' GeoJSON."""
    features = [f for f in routes["features"] if (f.get("properties") or {}).get("period") == period]
    return (len({(f.get("properties") or {}).get("vehicle_id") for f in features}),
            round(sum(float((f.get("properties") or {}).get("drive_km") or 0) for f in features), 1))
