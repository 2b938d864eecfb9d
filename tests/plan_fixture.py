"""A small but complete synthetic plan directory, written the way the planner writes one.

The town is an 8 × 8 grid of two-way streets 0.003° apart (≈ 288 m east-west, ≈ 332 m
north-south at 30.5°N), south-west corner at 114.300°E 30.500°N, with named streets of several
OSM classes. Five schools, two police stations, two duty posts (K1 serves a primary school and
the kindergarten next door, K2 a middle school) and two patrol cars (P01-1, P02-1) that drive
along the streets at class speeds and stop ``dwell_s`` at gates.

Everything is derived, so the files agree with each other: routes are shortest travel-time paths
on the grid, visits are the routes' stops, coverage is computed minute by minute from the posts'
duty intervals and the cars' positions, and the summary from coverage. The plan meets the three
sightings everywhere except at 第二中学 at noon (officer only: partly) and at 阳光幼儿园 in the
afternoon (no car and no post: missed).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import networkx as nx
from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union

LON0, LAT0, STEP_DEG, N = 114.300, 30.500, 0.003, 8
M_PER_DEG_LAT = 110_574.0
M_PER_DEG_LON = 111_320.0 * math.cos(math.radians(LAT0 + STEP_DEG * (N - 1) / 2))

#: (highway class, name) of the east-west street j and of the north-south street i.
EAST_WEST = [
    ("secondary", "南环路"), ("residential", "文化街"), ("primary", "解放大道"),
    ("residential", "育才路"), ("tertiary", "学府路"), ("residential", "桂花巷"),
    ("residential", None), ("secondary", "北环路"),
]
NORTH_SOUTH = [
    ("secondary", "西环路"), ("residential", "书院街"), ("residential", "青年路"),
    ("primary", "人民路"), ("residential", "建设路"), ("tertiary", "东风路"),
    ("residential", None), ("trunk", "东环大道"),
]
SPEED_KPH = {"trunk": 50.0, "primary": 40.0, "secondary": 35.0, "tertiary": 30.0, "residential": 20.0}
#: Units responding to an incident drive at this speed (peak traffic), km/h.
RESPONSE_SPEED_KPH = 25.0

PARAMETERS = {
    "post_radius_m": 150.0, "dwell_s": 300, "visits_per_window": 1, "min_gap_s": 900,
    "response_target_s": 180, "second_unit_s": 300, "max_snap_m": 300.0, "reach_limit_s": 3600,
    "police_per_post": 1, "auxiliary_per_post": 1, "duty_lead_s": 600, "duty_lag_s": 300,
    "shift_lead_s": 1800, "shift_lag_s": 1800, "max_drive_s": None, "target_profile": "basic",
    "officer_presence_pct": 80.0, "speed_kph": SPEED_KPH,
    "congestion": {"morning": 1.6, "noon": 1.2, "afternoon": 1.5},
}


def node_lonlat(i: int, j: int) -> tuple[float, float]:
    return (round(LON0 + i * STEP_DEG, 6), round(LAT0 + j * STEP_DEG, 6))


def hms(seconds: float) -> str:
    s = int(round(seconds))
    return f"{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def hm(seconds: float) -> str:
    return hms(seconds)[:5]


def t(text: str) -> int:
    parts = [int(p) for p in text.split(":")] + [0]
    return parts[0] * 3600 + parts[1] * 60 + parts[2]


def metres(a: tuple[float, float], b: tuple[float, float]) -> float:
    return math.hypot((a[0] - b[0]) * M_PER_DEG_LON, (a[1] - b[1]) * M_PER_DEG_LAT)


@dataclass(frozen=True)
class School:
    id: str
    name: str
    kind: str
    node: tuple[int, int]
    enrolment: int
    priority: int
    windows: dict  # period -> "HH:MM-HH:MM"

    @property
    def gate(self) -> tuple[float, float]:
        return node_lonlat(*self.node)


SCHOOLS = [
    School("S1", "第一小学", "primary", (2, 4), 960, 4,
           {"morning": "07:30-08:10", "afternoon": "16:00-16:40"}),
    School("S2", "实验幼儿园", "kindergarten", (3, 4), 210, 3,
           {"morning": "08:00-08:40", "afternoon": "16:30-17:10"}),
    School("S3", "第二中学", "middle", (5, 1), 1350, 5,
           {"morning": "07:00-07:40", "noon": "11:50-12:20", "afternoon": "17:20-18:00"}),
    School("S4", "阳光幼儿园", "kindergarten", (4, 7), 180, 2,
           {"morning": "08:00-08:40", "afternoon": "16:30-17:10"}),
    School("S5", "第三小学", "primary", (1, 1), 720, 3,
           {"morning": "07:40-08:20", "afternoon": "16:10-16:50"}),
]
PERIODS = ["morning", "noon", "afternoon"]

STATIONS = [
    {"station_id": "P01", "name": "城关派出所", "node": (0, 0), "police": 12, "auxiliary": 16, "cars": 2},
    {"station_id": "P02", "name": "东湖派出所", "node": (7, 6), "police": 8, "auxiliary": 10, "cars": 1},
]

#: Posts: id, position, station, schools, staffing per period (police, auxiliary).
POSTS = [
    {"post_id": "K1", "lonlat": (round(LON0 + 2.5 * STEP_DEG, 6), node_lonlat(2, 4)[1]),
     "station_id": "P01", "schools": ["S1", "S2"],
     "staff": {"morning": (1, 2), "afternoon": (1, 2)}},
    {"post_id": "K2", "lonlat": (node_lonlat(5, 1)[0], round(node_lonlat(5, 1)[1] - 0.0002, 6)),
     "station_id": "P02", "schools": ["S3"],
     "staff": {"morning": (1, 1), "noon": (1, 0), "afternoon": (1, 1)}},
]

#: Car tours: (vehicle, period, ready at station, [(school, earliest stop start)]).
TOURS = [
    ("P01-1", "morning", "06:50", [("S3", "07:05"), ("S1", "07:35"), ("S5", "07:50")]),
    ("P02-1", "morning", "07:40", [("S4", "08:05"), ("S2", "08:20")]),
    ("P01-1", "afternoon", "15:50", [("S1", "16:05"), ("S5", "16:20"), ("S2", "16:40")]),
    ("P02-1", "afternoon", "17:15", [("S3", "17:30")]),
]


def _street_graph() -> nx.Graph:
    graph = nx.Graph()
    for j, (highway, name) in enumerate(EAST_WEST):
        for i in range(N - 1):
            _add_edge(graph, (i, j), (i + 1, j), highway, name)
    for i, (highway, name) in enumerate(NORTH_SOUTH):
        for j in range(N - 1):
            _add_edge(graph, (i, j), (i, j + 1), highway, name)
    return graph


def _add_edge(graph, a, b, highway, name):
    length_m = metres(node_lonlat(*a), node_lonlat(*b))
    graph.add_edge(a, b, length_m=length_m, highway=highway, name=name,
                   travel_time_s=length_m / (SPEED_KPH[highway] / 3.6))


def _roads_geojson() -> dict:
    features = []
    for j, (highway, name) in enumerate(EAST_WEST):
        coords = [list(node_lonlat(i, j)) for i in range(N)]
        features.append(_line(coords, {"highway": highway, "name": name}))
    for i, (highway, name) in enumerate(NORTH_SOUTH):
        coords = [list(node_lonlat(i, j)) for j in range(N)]
        features.append(_line(coords, {"highway": highway, "name": name}))
    return {"type": "FeatureCollection", "features": features}


def _line(coords, props):
    return {"type": "Feature", "geometry": {"type": "LineString", "coordinates": coords}, "properties": props}


def _window(text: str) -> tuple[int, int]:
    a, b = text.split("-")
    return t(a), t(b)


def _drive(graph, tours, dwell_s):
    """Routes with a clock time per vertex, and the visits (stops) along them."""
    school_by_id = {s.id: s for s in SCHOOLS}
    station_by_id = {s["station_id"]: s for s in STATIONS}
    routes, visits = [], []
    for vehicle, period, ready, stops in tours:
        station = station_by_id[vehicle.split("-")[0]]
        here, clock = station["node"], t(ready)
        coords, times, drive_m = [node_lonlat(*here)], [clock], 0.0
        targets = [(school_by_id[sid].node, t(not_before), sid) for sid, not_before in stops]
        targets.append((station["node"], None, None))
        for seq, (node, not_before, school_id) in enumerate(targets, start=1):
            path = nx.shortest_path(graph, here, node, weight="travel_time_s")
            leg_s = sum(graph.edges[a, b]["travel_time_s"] for a, b in zip(path, path[1:]))
            if not_before is not None and clock + leg_s < not_before:
                clock = not_before - leg_s  # wait where the car is, leave just in time
                coords.append(node_lonlat(*here))
                times.append(clock)
            for a, b in zip(path, path[1:]):
                clock += graph.edges[a, b]["travel_time_s"]
                drive_m += graph.edges[a, b]["length_m"]
                coords.append(node_lonlat(*b))
                times.append(clock)
            here = node
            if school_id is not None:
                arrive, depart = clock, clock + dwell_s
                coords.append(node_lonlat(*node))
                times.append(depart)
                clock = depart
                visits.append({"vehicle_id": vehicle, "station_id": station["station_id"], "period": period,
                               "seq": seq, "school_id": school_id, "lon": node_lonlat(*node)[0],
                               "lat": node_lonlat(*node)[1], "arrive": arrive, "depart": depart})
        routes.append({"vehicle_id": vehicle, "station_id": station["station_id"], "period": period,
                       "coords": coords, "times": times, "drive_km": drive_m / 1000.0,
                       "stops": len(stops)})
    return routes, visits


def _duty(post, period):
    """A post's duty interval in a period: lead before the first window, lag after the last."""
    windows = [_window(s.windows[period]) for s in SCHOOLS if s.id in post["schools"] and period in s.windows]
    return (min(w[0] for w in windows) - PARAMETERS["duty_lead_s"],
            max(w[1] for w in windows) + PARAMETERS["duty_lag_s"])


def _position(route, clock):
    """Where a car is at ``clock`` (linear between vertices), or None when it is not out."""
    times, coords = route["times"], route["coords"]
    if clock < times[0] or clock > times[-1]:
        return None
    for k in range(1, len(times)):
        if clock <= times[k]:
            span = times[k] - times[k - 1]
            f = 0.0 if span <= 0 else (clock - times[k - 1]) / span
            a, b = coords[k - 1], coords[k]
            return (a[0] + f * (b[0] - a[0]), a[1] + f * (b[1] - a[1]))
    return coords[-1]


def _response_s(a, b):
    """Drive time on the street grid (Manhattan distance) at the response speed, seconds."""
    grid_m = abs(a[0] - b[0]) * M_PER_DEG_LON + abs(a[1] - b[1]) * M_PER_DEG_LAT
    return grid_m / (RESPONSE_SPEED_KPH / 3.6)


def _coverage(routes, visits):
    rows = []
    target, second = PARAMETERS["response_target_s"], PARAMETERS["second_unit_s"]
    for school in SCHOOLS:
        for period in PERIODS:
            if period not in school.windows:
                continue
            w0, w1 = _window(school.windows[period])
            sources, officer, car = [], False, False
            presence = []
            for post in POSTS:
                if school.id in post["schools"] and period in post["staff"]:
                    d0, d1 = _duty(post, period)
                    if d0 < w1 and d1 > w0:
                        officer = True
                        presence.append((max(d0, w0), min(d1, w1)))
                        sources.append(f"officer: post {post['post_id']} {hm(d0)}–{hm(d1)}")
            for v in visits:
                if v["school_id"] == school.id and v["period"] == period and v["arrive"] < w1 and v["depart"] > w0:
                    officer = car = True
                    presence.append((max(v["arrive"], w0), min(v["depart"], w1)))
                    sources.append(f"officer+car+lights: car {v['vehicle_id']} {hm(v['arrive'])}–{hm(v['depart'])}")
            present_min = sum(1 for m in range(w0, w1, 60) if any(a <= m < b for a, b in presence))
            worst, within, second_ok = 0.0, 0, True
            for m in range(w0, w1, 60):
                times = []
                for post in POSTS:
                    if period in post["staff"]:
                        d0, d1 = _duty(post, period)
                        if d0 <= m < d1:
                            times.append(_response_s(post["lonlat"], school.gate))
                for route in routes:
                    if route["period"] == period:
                        pos = _position(route, m)
                        if pos is not None:
                            times.append(_response_s(pos, school.gate))
                times.sort()
                best = times[0] if times else 3600.0
                worst = max(worst, best)
                within += best <= target
                second_ok &= len(times) >= 2 and times[1] <= second
            n_min = (w1 - w0) // 60
            met = officer and car
            missing = [name for name, ok in (("officer", officer), ("car", car), ("lights", car)) if not ok]
            reason = "" if met else (
                "not seen: " + ", ".join(missing)
                + ("; no patrol car on duty in the window" if not car else "")
                + ("; no post within post_radius_m" if not officer else ""))
            rows.append({
                "school_id": school.id, "period": period, "window_start": hms(w0), "window_end": hms(w1),
                "officer_seen": officer, "car_seen": car, "lights_seen": car, "three_sightings": met,
                "officer_presence_pct": round(100.0 * present_min / n_min, 1),
                "worst_response_s": int(round(worst)),
                "within_target_pct": round(100.0 * within / n_min, 1),
                "second_unit_300s": second_ok, "sources": "; ".join(sources), "reason": reason,
            })
    return rows


def _reach(routes):
    """Per period, the area within response_target_s (grid distance) of any unit on duty."""
    radius_m = PARAMETERS["response_target_s"] * RESPONSE_SPEED_KPH / 3.6
    rx, ry = radius_m / M_PER_DEG_LON, radius_m / M_PER_DEG_LAT
    features = []
    for period in PERIODS:
        points = [p["lonlat"] for p in POSTS if period in p["staff"]]
        points += [tuple(c) for r in routes if r["period"] == period for c in r["coords"]]
        if not points:
            continue
        diamonds = [Polygon([(x + rx, y), (x, y + ry), (x - rx, y), (x, y - ry)]) for x, y in points]
        area = unary_union(diamonds).simplify(1e-5)
        features.append({"type": "Feature", "geometry": _rounded(mapping(area)), "properties": {"period": period}})
    return {"type": "FeatureCollection", "features": features}


def _rounded(geometry):
    def r(obj):
        if isinstance(obj, (list, tuple)):
            if obj and isinstance(obj[0], (int, float)):
                return [round(v, 6) for v in obj]
            return [r(o) for o in obj]
        return obj
    return {"type": geometry["type"], "coordinates": r(geometry["coordinates"])}


def _csv(path: Path, header: list[str], rows: list[list]) -> None:
    def cell(v):
        if v is None:
            return ""
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            text = f"{v:.6f}".rstrip("0").rstrip(".")
            return text
        text = str(v)
        return f'"{text.replace(chr(34), chr(34) * 2)}"' if any(c in text for c in ',"\n') else text
    lines = [",".join(header)] + [",".join(cell(v) for v in row) for row in rows]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


def write_plan_fixture(plan_dir: Path) -> Path:
    """Write the synthetic plan into ``plan_dir`` (created if needed) and return it."""
    plan_dir = Path(plan_dir)
    plan_dir.mkdir(parents=True, exist_ok=True)
    graph = _street_graph()
    routes, visits = _drive(graph, TOURS, PARAMETERS["dwell_s"])
    coverage = _coverage(routes, visits)

    (plan_dir / "roads.geojson").write_text(json.dumps(_roads_geojson(), ensure_ascii=False), encoding="utf-8")
    (plan_dir / "reach.geojson").write_text(json.dumps(_reach(routes)), encoding="utf-8")

    _csv(plan_dir / "schools.csv",
         ["school_id", "name", "kind", "lon", "lat", "enrolment", "priority", "morning", "noon", "afternoon"],
         [[s.id, s.name, s.kind, s.gate[0], s.gate[1], s.enrolment, s.priority,
           s.windows.get("morning", ""), s.windows.get("noon", ""), s.windows.get("afternoon", "")]
          for s in SCHOOLS])

    post_rows, roster_rows, post_features = [], [], []
    counters: dict[tuple[str, str], int] = {}
    for post in POSTS:
        for period in PERIODS:
            if period not in post["staff"]:
                continue
            police, auxiliary = post["staff"][period]
            d0, d1 = _duty(post, period)
            row = {"post_id": post["post_id"], "period": period, "lon": post["lonlat"][0], "lat": post["lonlat"][1],
                   "station_id": post["station_id"], "school_ids": ";".join(post["schools"]),
                   "duty_start": hms(d0), "duty_end": hms(d1), "police": police, "auxiliary": auxiliary,
                   "car_at_post": False}
            post_rows.append(list(row.values()))
            post_features.append({"type": "Feature", "geometry": {"type": "Point", "coordinates": list(post["lonlat"])},
                                  "properties": row})
            for role, count in (("police", police), ("auxiliary", auxiliary)):
                for k in range(count):
                    # an officer works one post in each period: numbering restarts per period
                    key = (post["station_id"], role + period)
                    counters[key] = counters.get(key, 0) + 1
                    roster_rows.append([f"{post['station_id']}-{role}-{counters[key]}", post["station_id"], period,
                                        post["post_id"], hms(d0), hms(d1)])
    post_header = ["post_id", "period", "lon", "lat", "station_id", "school_ids", "duty_start", "duty_end",
                   "police", "auxiliary", "car_at_post"]
    _csv(plan_dir / "posts.csv", post_header, post_rows)
    (plan_dir / "posts.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": post_features}, ensure_ascii=False), encoding="utf-8")
    _csv(plan_dir / "rosters.csv", ["officer", "station_id", "period", "post_id", "start", "end"], roster_rows)

    _csv(plan_dir / "visits.csv",
         ["vehicle_id", "station_id", "period", "seq", "school_id", "lon", "lat", "arrive", "depart"],
         [[v["vehicle_id"], v["station_id"], v["period"], v["seq"], v["school_id"], v["lon"], v["lat"],
           hms(v["arrive"]), hms(v["depart"])] for v in visits])

    route_features = [
        {"type": "Feature", "geometry": {"type": "LineString", "coordinates": [list(c) for c in r["coords"]]},
         "properties": {"vehicle_id": r["vehicle_id"], "station_id": r["station_id"], "period": r["period"],
                        "start": hms(r["times"][0]), "end": hms(r["times"][-1]),
                        "drive_km": round(r["drive_km"], 3), "stops": r["stops"],
                        "times": [hms(x) for x in r["times"]]}}
        for r in routes]
    (plan_dir / "routes.geojson").write_text(
        json.dumps({"type": "FeatureCollection", "features": route_features}), encoding="utf-8")

    cov_header = list(coverage[0].keys())
    _csv(plan_dir / "coverage.csv", cov_header, [list(r.values()) for r in coverage])

    station_rows = []
    used_header = [f"{what}_used_{p}" for p in PERIODS for what in ("police", "auxiliary", "cars")]
    for st in STATIONS:
        used = []
        for p in PERIODS:
            rows = [x for x in post_rows if x[4] == st["station_id"] and x[1] == p]
            cars = {r["vehicle_id"] for r in routes if r["station_id"] == st["station_id"] and r["period"] == p}
            used += [sum(x[8] for x in rows), sum(x[9] for x in rows), len(cars)]
        lon, lat = node_lonlat(*st["node"])
        station_rows.append([st["station_id"], st["name"], lon, lat, st["police"], st["auxiliary"], st["cars"], *used])
    _csv(plan_dir / "stations.csv", ["station_id", "name", "lon", "lat", "police", "auxiliary", "cars", *used_header],
         station_rows)

    summary = {
        "schools": len(SCHOOLS), "periods": PERIODS,
        "attained_share": {p: round(sum(r["three_sightings"] for r in coverage if r["period"] == p)
                                    / sum(1 for r in coverage if r["period"] == p), 4) for p in PERIODS},
        "posts": len(POSTS),
        "police": max(sum(x[8] for x in post_rows if x[1] == p) for p in PERIODS),
        "auxiliary": max(sum(x[9] for x in post_rows if x[1] == p) for p in PERIODS),
        "cars_used": {p: len({r["vehicle_id"] for r in routes if r["period"] == p}) for p in PERIODS},
        "km_driven": {p: round(sum(r["drive_km"] for r in routes if r["period"] == p), 3) for p in PERIODS},
        "uncovered": [{"school_id": r["school_id"], "period": r["period"], "reason": r["reason"]}
                      for r in coverage if not r["three_sightings"]],
        "response_within_target_share": {
            p: round(sum(r["within_target_pct"] for r in coverage if r["period"] == p)
                     / (100.0 * sum(1 for r in coverage if r["period"] == p)), 4) for p in PERIODS},
    }
    schools_sha = hashlib.sha256((plan_dir / "schools.csv").read_bytes()).hexdigest()
    plan = {
        "format": "geo_patrol.plan/1",
        "scenario": {"name": "示范镇 (synthetic)", "seed": 7, "source": "tests/plan_fixture.py"},
        "parameters": PARAMETERS,
        "inputs": {"schools": {"file": "schools.csv", "sha256": schools_sha}},
        "summary": summary,
        "solver": {
            "posts": {"status": "optimal", "objective": 2.0, "bound": 2.0, "runtime_s": 0.01, "solver": "CP-SAT"},
            "patrols": {p: {"engine": "ortools", "status": "feasible", "runtime_s": 0.05,
                            "objective": summary["km_driven"][p]} for p in PERIODS},
        },
        "versions": {"geo_patrol": "0.1.0"},
        "created": "2025-09-01T08:00:00+08:00",
    }
    (plan_dir / "plan.json").write_text(json.dumps(plan, ensure_ascii=False, indent=2), encoding="utf-8")
    return plan_dir
