"""The coverage map's data: a plan directory turned into one compact JSON value for the page's script.

Every fact goes into the page once and layers refer to it by index: a school's name, place and
kind are in ``schools``; its windows per period (status, sightings, sources, response) refer to
the school by number; a car's route carries its vertices and their clock times once, and the route
layer, the stops, the timeline and the animation all read it. Coordinates are packed as integer
degrees × 10⁵ (about 1 m), the first point absolute and the others as differences
(:func:`pack`), after a Douglas–Peucker simplification of ``simplify_m`` metres (roads and reach
areas in the plane; routes in space and time, so that a car's clock stays right within
``simplify_m`` metres at :data:`ROUTE_SPEED_M_S`). Roads of one class and one name are merged
into one line. Nothing here writes HTML: names and labels are text, shown by the page with
``textContent``.

Which station a school belongs to (the station filter): the station of a post serving it, else
the station whose cars stop there most, else the nearest station by straight line.
"""

from __future__ import annotations

import logging
import math
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import shapely
from shapely.geometry import shape

from geo_patrol.clock import parse_time
from geo_patrol.errors import InputError
from geo_patrol.geo import M_PER_DEG_LAT, LocalMetres, haversine_m
from geo_patrol.io.plandir import PlanFiles
from geo_patrol.labels import ReasonBook, source_lines
from geo_patrol.outputs.common import KIND_LABELS, PERIOD_NAMES, period_order, school_status

try:  # pinyin initials for the school search (第一小学 → dyxx); optional
    from pypinyin import Style, lazy_pinyin
except ImportError:  # pragma: no cover - depends on the installation
    lazy_pinyin = Style = None

__all__ = ["MINOR_ROADS", "ROAD_STYLES", "ROUTE_SPEED_M_S", "STATUS_CODES", "VEHICLE_COLOURS", "arrows", "map_data",
           "pack", "pinyin_initials", "school_stations", "simplify_indices", "vehicle_colours"]

log = logging.getLogger(__name__)

#: 1 unit of a packed coordinate, degrees
SCALE = 100_000
#: status → its code in the data (0 met, 1 partly, 2 missed)
STATUS_CODES = {"met": 0, "partly": 1, "missed": 2}
VEHICLE_COLOURS = ("#1f5fbf", "#7b3fa0", "#0d8a8a", "#c2185b", "#8d5a00", "#283593", "#00796b",
                   "#ad1457", "#5d4037", "#3949ab")
#: road class → (line width px, colour); classes not listed draw as "other"
ROAD_STYLES = {
    "motorway": (6.5, "#454545"), "trunk": (6.0, "#4d4d4d"), "primary": (5.0, "#5e5e5e"),
    "secondary": (4.0, "#7a7a7a"), "tertiary": (3.0, "#979797"), "residential": (1.8, "#b3b3b3"),
    "unclassified": (1.8, "#b3b3b3"), "living_street": (1.5, "#bdbdbd"), "other": (1.2, "#c6c6c6"),
}
#: classes drawn only from :data:`MINOR_ROADS_ZOOM` on when the map is large (clustered)
MINOR_ROADS = frozenset({"residential", "unclassified", "living_street", "other"})
#: the speed that turns a route's clock error into metres for its simplification
ROUTE_SPEED_M_S = 10.0


# ---------------------------------------------------------------------------------------------
# Geometry helpers
# ---------------------------------------------------------------------------------------------


def pack(lonlat: Sequence[Sequence[float]]) -> list[int]:
    """``[[lon, lat], ...]`` as ``[lat0, lon0, dlat1, dlon1, ...]`` in 10⁻⁵ degrees (first absolute).

    Consecutive points that round to the same place are kept (a car waiting at a gate keeps its
    vertices); the page adds the differences up again.
    """
    out: list[int] = []
    last_lat = last_lon = 0
    for lon, lat in lonlat:
        ilat, ilon = int(round(float(lat) * SCALE)), int(round(float(lon) * SCALE))
        out.extend((ilat - last_lat, ilon - last_lon))
        last_lat, last_lon = ilat, ilon
    return out


def simplify_indices(points: np.ndarray, tolerance: float) -> np.ndarray:
    """Indices of the points Douglas–Peucker keeps: every point off the kept polyline by at most
    ``tolerance`` (same unit as ``points``, any number of dimensions). First and last always stay."""
    n = len(points)
    if n <= 2 or tolerance <= 0:
        return np.arange(n)
    keep = np.zeros(n, dtype=bool)
    keep[0] = keep[-1] = True
    stack = [(0, n - 1)]
    while stack:
        a, b = stack.pop()
        if b - a < 2:
            continue
        segment = points[b] - points[a]
        inner = points[a + 1:b] - points[a]
        length2 = float(segment @ segment)
        if length2 == 0.0:
            distance = np.sqrt((inner * inner).sum(axis=1))
        else:
            f = np.clip(inner @ segment / length2, 0.0, 1.0)
            off = inner - f[:, None] * segment
            distance = np.sqrt((off * off).sum(axis=1))
        i = int(np.argmax(distance))
        if distance[i] > tolerance:
            k = a + 1 + i
            keep[k] = True
            stack.append((a, k))
            stack.append((k, b))
    return np.flatnonzero(keep)


def _metres(lonlat: np.ndarray) -> np.ndarray:
    """Lon/lat degrees as local plane metres about their mean (:class:`geo_patrol.geo.LocalMetres`)."""
    return LocalMetres.around(lonlat[:, 0], lonlat[:, 1]).xy(lonlat[:, 0], lonlat[:, 1])


def _bearing_deg(a: Sequence[float], b: Sequence[float]) -> float:
    """Compass bearing from lon/lat ``a`` to ``b``, degrees clockwise from north (local plane)."""
    dx = (b[0] - a[0]) * math.cos(math.radians((a[1] + b[1]) / 2))
    dy = b[1] - a[1]
    return math.degrees(math.atan2(dx, dy)) % 360.0


def arrows(coords: Sequence[Sequence[float]], *, min_gap_m: float = 220.0) -> list[list[float]]:
    """[lat, lon, bearing] at segment midpoints, about one per ``min_gap_m`` of route."""
    out, since = [], min_gap_m / 2
    for a, b in zip(coords, coords[1:]):
        length = float(haversine_m(a[0], a[1], b[0], b[1]))
        if length < 1.0:
            continue
        since += length
        if since >= min_gap_m and length >= 40.0:
            out.append([round((a[1] + b[1]) / 2, 6), round((a[0] + b[0]) / 2, 6), round(_bearing_deg(a, b), 1)])
            since = 0.0
    return out


def pinyin_initials(name: str) -> str:
    """``第一小学`` → ``dyxx`` (letters and digits kept, lower case); empty without ``pypinyin``."""
    if lazy_pinyin is None:
        return ""
    parts = lazy_pinyin(str(name), style=Style.FIRST_LETTER, errors=lambda chars: list(chars))
    return "".join(p for p in parts if p.isascii() and p.isalnum()).lower()


def vehicle_colours(plan: PlanFiles) -> dict[str, str]:
    ids = sorted({str((f.get("properties") or {}).get("vehicle_id")) for f in plan.routes["features"]}
                 | set(plan.visits["vehicle_id"]))
    return {v: VEHICLE_COLOURS[i % len(VEHICLE_COLOURS)] for i, v in enumerate(ids)}


def _road_bucket(highway: Any) -> str:
    if isinstance(highway, list) and highway:
        highway = highway[0]
    value = str(highway or "").split(";")[0].strip().replace("_link", "")
    return value if value in ROAD_STYLES else "other"


def _lines(geometry: Mapping[str, Any]) -> list[np.ndarray]:
    kind, coords = geometry.get("type"), geometry.get("coordinates") or []
    parts = [coords] if kind == "LineString" else coords if kind == "MultiLineString" else []
    return [np.asarray(p, dtype=float)[:, :2] for p in parts if len(p) >= 2]


def _simplified(line: np.ndarray, simplify_m: float) -> np.ndarray:
    return line[simplify_indices(_metres(line), simplify_m)] if simplify_m > 0 else line


# ---------------------------------------------------------------------------------------------
# The data
# ---------------------------------------------------------------------------------------------


def map_data(plan: PlanFiles, t: Mapping[str, str], lang: str, *, period: str | None, simplify_m: float,
             cluster: bool) -> dict[str, Any]:
    """Everything the page draws, as one JSON-ready dict (see the module docstring)."""
    periods = plan.periods
    period_names = PERIOD_NAMES[lang]
    stations = plan.stations.reset_index(drop=True)
    station_index = {sid: i for i, sid in enumerate(stations["station_id"])}
    schools = plan.schools.reset_index(drop=True)
    school_index = {sid: i for i, sid in enumerate(schools["school_id"])}
    colours = vehicle_colours(plan)

    routes, route_of = _routes(plan, periods, station_index, colours, simplify_m)
    data: dict[str, Any] = {
        "periods": [{"id": p, "name": period_names[p]} for p in periods],
        "period": period,
        "cluster": bool(cluster),
        "radius_m": float(plan.parameters.get("post_radius_m", 150.0)),
        "datum": plan.datum,
        "stations": _stations(plan, stations, t, period_names),
        "schools": _schools(plan, schools, station_index, lang),
        "windows": _windows(plan, periods, school_index, t, lang),
        "posts": _posts(plan, station_index, school_index, t, period_names),
        "routes": routes,
        "visits": _visits(plan, periods, school_index, route_of),
        "roads": _roads(plan, t, simplify_m),
        "reach": _reach(plan, periods, simplify_m),
    }
    data["bounds"] = _bounds(plan, routes)
    return data


def _bounds(plan: PlanFiles, routes: Mapping[str, list]) -> list[list[float]]:
    """South-west and north-east corners of every school, station, post and route vertex."""
    lats = [*plan.schools["lat"], *plan.stations["lat"], *plan.posts["lat"]]
    lons = [*plan.schools["lon"], *plan.stations["lon"], *plan.posts["lon"]]
    for feature in plan.routes["features"]:
        for lon, lat in (feature.get("geometry") or {}).get("coordinates") or []:
            lats.append(lat)
            lons.append(lon)
    if not lats:
        raise InputError("the plan has no schools, stations or posts to draw", file=plan.file("schools.csv"))
    return [[round(min(lats), 6), round(min(lons), 6)], [round(max(lats), 6), round(max(lons), 6)]]


def _stations(plan: PlanFiles, stations, t, period_names) -> list[dict[str, Any]]:
    out = []
    for s in stations.to_dict("records"):
        used = []
        for p in plan.periods:
            parts = [f"{t[k]} {s[f'{k}_used_{p}']}" for k in ("police", "auxiliary", "cars") if f"{k}_used_{p}" in s]
            if parts:
                used.append(f"{period_names[p]}: " + " · ".join(parts))
        out.append({
            "id": str(s["station_id"]), "name": str(s["name"]), "pool": str(s.get("kind", "station")) == "pool",
            "lat": round(float(s["lat"]), 6), "lon": round(float(s["lon"]), 6),
            "resources": f"{t['police']} {s['police']} · {t['auxiliary']} {s['auxiliary']} · {t['cars']} {s['cars']}",
            "used": used or [t["none"]],
        })
    return out


def school_stations(plan: PlanFiles, schools, station_index: Mapping[str, int]) -> list[int]:
    """Each school's station index (see the module docstring), -1 when the plan has no station."""
    by_post: dict[str, str] = {}
    for r in plan.posts.sort_values(["post_id", "period"], key=period_order).itertuples():
        for sid in str(r.school_ids).split(";"):
            if sid:
                by_post.setdefault(sid, str(r.station_id))
    by_car: dict[str, Counter] = {}
    for r in plan.visits.itertuples():
        by_car.setdefault(str(r.school_id), Counter())[str(r.station_id)] += 1
    own = plan.stations[plan.stations["kind"] != "pool"] if "kind" in plan.stations.columns else plan.stations
    own = own if len(own) else plan.stations
    out = []
    for s in schools.itertuples():
        sid = str(s.school_id)
        station = by_post.get(sid)
        if station is None and sid in by_car:
            station = min(by_car[sid].items(), key=lambda kv: (-kv[1], kv[0]))[0]
        if station is None and len(own):
            distances = haversine_m(own["lon"].to_numpy(float), own["lat"].to_numpy(float), float(s.lon), float(s.lat))
            station = str(own["station_id"].iloc[int(np.argmin(distances))])
        out.append(station_index.get(station, -1) if station is not None else -1)
    return out


def _schools(plan: PlanFiles, schools, station_index, lang: str) -> dict[str, list]:
    kinds = KIND_LABELS[lang]
    return {
        "id": [str(x) for x in schools["school_id"]],
        "name": [str(x) for x in schools["name"]],
        "kind": [kinds.get(k, str(k)) for k in schools["kind"]],
        "lat": [round(float(x), 6) for x in schools["lat"]],
        "lon": [round(float(x), 6) for x in schools["lon"]],
        "enrol": [int(x) for x in schools["enrolment"]],
        "station": school_stations(plan, schools, station_index),
        "py": [pinyin_initials(n) for n in schools["name"]],
    }


def _duration(seconds: float, t: Mapping[str, str]) -> str:
    m, s = divmod(int(round(float(seconds))), 60)
    return t["minutes_seconds"].format(m=m, s=s)


def _windows(plan: PlanFiles, periods: Sequence[str], school_index: Mapping[str, int],
             t: Mapping[str, str], lang: str) -> dict[str, list[list]]:
    """Per period: ``[school, worst status code, [window rows]]`` per school, schools in file order.

    A window row: ``[window text, officer, car, lights (0/1), status code, [source lines], presence %,
    worst response text, within target %, second unit (0/1), reason]``.
    """
    out: dict[str, list[list]] = {}
    missing: set[str] = set()
    book = ReasonBook(plan.plan)
    for p in periods:
        rows = plan.coverage[plan.coverage["period"] == p].sort_values("window_start")
        per_school: dict[int, list] = {}
        for r in rows.to_dict("records"):
            i = school_index.get(r["school_id"])
            if i is None:
                missing.add(str(r["school_id"]))
                continue
            status = STATUS_CODES[school_status(r)]
            per_school.setdefault(i, []).append([
                f"{r['window_start'][:5]}–{r['window_end'][:5]}", int(bool(r["officer_seen"])),
                int(bool(r["car_seen"])), int(bool(r["lights_seen"])), status, source_lines(r["sources"], lang),
                round(float(r["officer_presence_pct"]), 1), _duration(r["worst_response_s"], t),
                round(float(r["within_target_pct"]), 1), int(bool(r["second_unit_300s"])),
                book.text(r["school_id"], p, r["window_start"], str(r["reason"] or ""),
                          str(r.get("reason_text") or ""), lang)])
        out[p] = [[i, max(w[4] for w in wins), wins] for i, wins in sorted(per_school.items())]
    for sid in sorted(missing):
        log.warning("coverage.csv names school %s, which schools.csv lacks; not drawn", sid)
    return out


def _posts(plan: PlanFiles, station_index, school_index, t, period_names) -> dict[str, list]:
    out: dict[str, list] = {"id": [], "lat": [], "lon": [], "station": [], "schools": [], "duty": [], "shown": []}
    for post_id, rows in plan.posts.sort_values(["post_id", "period"], key=period_order).groupby("post_id", sort=True):
        first = rows.iloc[0]
        served = list(dict.fromkeys(s for ids in rows["school_ids"] for s in str(ids).split(";") if s))
        out["id"].append(str(post_id))
        out["lat"].append(round(float(first["lat"]), 6))
        out["lon"].append(round(float(first["lon"]), 6))
        out["station"].append(station_index.get(str(first["station_id"]), -1))
        out["schools"].append([school_index.get(s, s) for s in served])
        out["duty"].append([
            f"{period_names.get(r.period, r.period)} {r.duty_start[:5]}–{r.duty_end[:5]} · {t['police']} {r.police}"
            f" · {t['auxiliary']} {r.auxiliary}" + (f" · {t['car_at_post']}" if r.car_at_post else "")
            for r in rows.itertuples()])
        wgs = (first["wgs_lon"], first["wgs_lat"]) if "wgs_lon" in rows.columns else (first["lon"], first["lat"])
        out["shown"].append("{:.6f}, {:.6f}".format(*plan.shown(*wgs)))
    return out


def _routes(plan: PlanFiles, periods, station_index, colours, simplify_m: float):
    """Per period, one entry per car route: vertices and clock times (packed), arrows, figures.

    Also returns ``(period, vehicle) → index`` of the route in its period's list.
    """
    out: dict[str, list[dict[str, Any]]] = {p: [] for p in periods}
    index: dict[tuple[str, str], int] = {}
    features = sorted(plan.routes["features"], key=lambda f: (str((f.get("properties") or {}).get("vehicle_id")),
                                                               str((f.get("properties") or {}).get("start"))))
    for feature in features:
        p = feature.get("properties") or {}
        period = str(p.get("period"))
        coords = (feature.get("geometry") or {}).get("coordinates") or []
        times = p.get("times") or []
        if period not in out or len(coords) < 2:
            continue
        seconds = _route_clock(plan, p, period, times, len(coords))
        vehicle = str(p.get("vehicle_id"))
        index[(period, vehicle)] = len(out[period])
        out[period].append(_route_entry(p, vehicle, np.asarray(coords, dtype=float)[:, :2], seconds, simplify_m,
                                        station_index, colours))
    return out, index


def _route_entry(p: Mapping[str, Any], vehicle: str, lonlat: np.ndarray, seconds: list[int] | None,
                 simplify_m: float, station_index, colours) -> dict[str, Any]:
    """One car route of the page: its line simplified in space and time (packed), the clock at the
    kept vertices, arrows and figures."""
    points = _metres(lonlat)
    if seconds is not None:
        points = np.column_stack([points, np.asarray(seconds, dtype=float) * ROUTE_SPEED_M_S])
    kept = simplify_indices(points, simplify_m) if simplify_m > 0 else np.arange(len(lonlat))
    line = lonlat[kept].tolist()
    clock = [seconds[k] for k in kept] if seconds is not None else []
    return {
        "car": vehicle, "station": station_index.get(str(p.get("station_id")), -1),
        "colour": colours.get(vehicle, VEHICLE_COLOURS[0]),
        "start": str(p.get("start", ""))[:5], "end": str(p.get("end", ""))[:5],
        "km": round(float(p.get("drive_km") or 0), 1), "stops": int(p.get("stops") or 0),
        "line": pack(line), "t": [clock[0], *np.diff(clock).astype(int).tolist()] if clock else [],
        "arrows": [x for a in arrows(line) for x in a],
    }


def _route_clock(plan: PlanFiles, p: Mapping[str, Any], period: str, times: Sequence, n_vertices: int
                 ) -> list[int] | None:
    """A route's clock time at each vertex in seconds, checked never to go backwards; ``None``
    (drawn without its clock, with a warning) when the times are not one per vertex."""
    if len(times) != n_vertices:
        log.warning("route of %s (%s) has %d vertices and %d times; drawn without its clock",
                    p.get("vehicle_id"), period, n_vertices, len(times))
        return None
    try:
        seconds = [parse_time(str(x)) for x in times]
    except ValueError as exc:
        raise InputError(f"bad vertex time ({exc})", file=plan.file("routes.geojson"),
                         field="times", hint="times are HH:MM:SS, one per coordinate") from exc
    if any(b < a for a, b in zip(seconds, seconds[1:])):
        raise InputError(f"vertex times of {p.get('vehicle_id')} ({period}) go backwards",
                         file=plan.file("routes.geojson"), field="times",
                         hint="times must not decrease along a route")
    return seconds


def _visits(plan: PlanFiles, periods, school_index, route_of) -> dict[str, list[list]]:
    """Per period: ``[route, seq, school, arrive s, depart s, lat, lon]`` per stop (school -1: unknown)."""
    out: dict[str, list[list]] = {p: [] for p in periods}
    for v in plan.visits.sort_values(["vehicle_id", "period", "seq"], key=period_order).itertuples():
        if v.period not in out:
            continue
        out[v.period].append([route_of.get((v.period, str(v.vehicle_id)), -1), int(v.seq),
                              school_index.get(v.school_id, -1), parse_time(v.arrive), parse_time(v.depart),
                              round(float(v.lat), 6), round(float(v.lon), 6)])
    return out


def _roads(plan: PlanFiles, t: Mapping[str, str], simplify_m: float) -> list[dict[str, Any]]:
    """Road classes in drawing order (minor first), each ``{cls, width, colour, minor, lines: [[name, [packed
    part, ...]], ...]}`` with the ways of one name merged."""
    if not plan.roads:
        return []
    grouped: dict[tuple[str, str], list[np.ndarray]] = {}
    for feature in plan.roads.get("features", []):
        props = feature.get("properties") or {}
        lines = _lines(feature.get("geometry") or {})
        if lines:
            key = (_road_bucket(props.get("highway")), str(props.get("name") or t["unnamed"]))
            grouped.setdefault(key, []).extend(lines)
    buckets: dict[str, list] = {}
    for (bucket, name), lines in sorted(grouped.items()):
        merged = shapely.line_merge(shapely.MultiLineString([shapely.LineString(line) for line in lines]))
        parts = [np.asarray(g.coords) for g in getattr(merged, "geoms", [merged])]
        packed = [pack(_simplified(part, simplify_m)) for part in parts if len(part) >= 2]
        buckets.setdefault(bucket, []).append([name, packed])
    order = sorted(buckets, key=lambda b: (ROAD_STYLES[b][0], b))
    return [{"cls": b, "width": ROAD_STYLES[b][0], "colour": ROAD_STYLES[b][1], "minor": b in MINOR_ROADS,
             "lines": buckets[b]} for b in order]


def _reach(plan: PlanFiles, periods, simplify_m: float) -> dict[str, list]:
    """Per period: the "135" reach polygons, each a list of packed rings (outer first)."""
    out: dict[str, list] = {}
    for feature in (plan.reach or {}).get("features", []):
        period = str((feature.get("properties") or {}).get("period"))
        geometry = feature.get("geometry")
        if period not in periods or not geometry:
            continue
        geom = shape(geometry)
        if simplify_m > 0:
            geom = shapely.simplify(geom, simplify_m / M_PER_DEG_LAT, preserve_topology=True)
        for polygon in getattr(geom, "geoms", [geom]):
            if polygon.geom_type != "Polygon" or polygon.is_empty:
                continue
            rings = [polygon.exterior, *polygon.interiors]
            out.setdefault(period, []).append([pack(np.asarray(r.coords)[:, :2]) for r in rings])
    return out
