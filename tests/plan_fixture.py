"""A small but complete synthetic plan, written through the package's own plan writer.

The town is an 8 × 8 grid of two-way streets 0.003° apart (≈ 288 m east-west, ≈ 332 m
north-south at 30.5°N), south-west corner at 114.300°E 30.500°N, with named streets of several
OSM classes. Five schools, two police stations, two duty posts (K1 serves a primary school and
the kindergarten next door, K2 a middle school) and two patrol cars (P01-1, P02-1) that drive
along the streets at class speeds and stop ``dwell_s`` at gates.

Only the plan's decisions are written here (where the posts stand and whom they serve, which
school each car visits and not before when); everything else comes from the package, so the files
agree with each other and with its rules:

- the parameters are the package defaults (:class:`geo_patrol.model.Parameters`) with the town's
  own class speeds;
- routes are shortest travel-time paths on the grid, visits are the routes' stops;
- coverage is :func:`geo_patrol.sightings.evaluate` of the posts and stops; the town measures
  only what the rule asks for: the schools within ``post_radius_m`` of each post (posts stand on
  the street of the gates they serve, so the walk is the straight line), the cars' tracks and the
  drive times on the grid for the "135" response columns;
- ``plan.json`` is :func:`geo_patrol.plan.build_meta` of those rows, and the files are written by
  :meth:`geo_patrol.plan.Plan.to_dir`.

The plan meets the three sightings everywhere except at 第二中学 at noon (officer only: partly)
and at 阳光幼儿园 in the afternoon (no car and no post: missed).
"""

from __future__ import annotations

import dataclasses
import shutil
from pathlib import Path

import networkx as nx
import numpy as np
from shapely.geometry import Polygon, mapping
from shapely.ops import unary_union

from geo_patrol.clock import parse_time, parse_window
from geo_patrol.geo import LocalMetres, haversine_m
from geo_patrol.model import (
    Gate,
    NetworkSource,
    Parameters,
    PostDuty,
    RosterEntry,
    RouteLine,
    School,
    SchoolRow,
    Station,
    StationRow,
    Stop,
)
from geo_patrol.plan import Plan, build_meta
from geo_patrol.scenario import Scenario
from geo_patrol.sightings import evaluate

LON0, LAT0, STEP_DEG, N = 114.300, 30.500, 0.003, 8

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
#: The town's own free-flow speeds by class (km/h): the one parameter it sets.
SPEED_KPH = {"trunk": 50.0, "primary": 40.0, "secondary": 35.0, "tertiary": 30.0, "residential": 20.0}

#: The package defaults, with the town's class speeds.
PARAMETERS = {**dataclasses.asdict(Parameters()), "speed_kph": SPEED_KPH}

#: The "135" reach layer is drawn as the area within ``response_target_s`` at this speed of
#: every unit on duty (a picture for the map only; coverage.csv's response columns come from
#: drive times on the streets).
REACH_SPEED_KPH = 25.0


def node_lonlat(i: int, j: int) -> tuple[float, float]:
    return (round(LON0 + i * STEP_DEG, 6), round(LAT0 + j * STEP_DEG, 6))


def node_row(node: tuple[int, int]) -> int:
    """The row of grid node (i, j) in the drive-time arrays handed to the sightings rule."""
    return node[0] * N + node[1]


#: School id → the grid node of its gate.
SCHOOL_NODES = {"S1": (2, 4), "S2": (3, 4), "S3": (5, 1), "S4": (4, 7), "S5": (1, 1)}


def _school(sid, name, kind, enrolment, priority, windows) -> School:
    return School(id=sid, name=name, kind=kind, enrolment=enrolment, priority=priority,
                  gates=(Gate(*node_lonlat(*SCHOOL_NODES[sid])),),
                  windows={p: parse_window(w) for p, w in windows.items()})


SCHOOLS = (
    _school("S1", "第一小学", "primary", 960, 4, {"morning": "07:30-08:10", "afternoon": "16:00-16:40"}),
    _school("S2", "实验幼儿园", "kindergarten", 210, 3, {"morning": "08:00-08:40", "afternoon": "16:30-17:10"}),
    _school("S3", "第二中学", "middle", 1350, 5,
            {"morning": "07:00-07:40", "noon": "11:50-12:20", "afternoon": "17:20-18:00"}),
    _school("S4", "阳光幼儿园", "kindergarten", 180, 2, {"morning": "08:00-08:40", "afternoon": "16:30-17:10"}),
    _school("S5", "第三小学", "primary", 720, 3, {"morning": "07:40-08:20", "afternoon": "16:10-16:50"}),
)
PERIODS = ["morning", "noon", "afternoon"]

#: Station id → the grid node it stands at.
STATION_NODES = {"P01": (0, 0), "P02": (7, 6)}
STATIONS = (
    Station("P01", "城关派出所", *node_lonlat(*STATION_NODES["P01"]), police=12, auxiliary=16, cars=2),
    Station("P02", "东湖派出所", *node_lonlat(*STATION_NODES["P02"]), police=8, auxiliary=10, cars=1),
)

#: Posts: id, position, the road node it stands by, station, schools, staffing per period
#: (police, auxiliary).
POSTS = [
    {"post_id": "K1", "lonlat": (round(LON0 + 2.5 * STEP_DEG, 6), node_lonlat(2, 4)[1]), "node": (2, 4),
     "station_id": "P01", "schools": ["S1", "S2"],
     "staff": {"morning": (1, 2), "afternoon": (1, 2)}},
    {"post_id": "K2", "lonlat": (node_lonlat(5, 1)[0], round(node_lonlat(5, 1)[1] - 0.0002, 6)), "node": (5, 1),
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


def fixture_parameters() -> Parameters:
    return Parameters(**PARAMETERS)


def fixture_scenario() -> Scenario:
    """The town's schools and stations with the fixture parameters (no road file: the grid is here)."""
    return Scenario(name="示范镇 (synthetic)", schools=SCHOOLS, stations=STATIONS, network=NetworkSource(),
                    parameters=fixture_parameters(), seed=7)


def street_graph() -> nx.Graph:
    """The grid as a networkx graph: nodes (i, j), edges with ``length_m`` and free-flow ``travel_time_s``."""
    graph = nx.Graph()
    for j, (highway, name) in enumerate(EAST_WEST):
        for i in range(N - 1):
            _add_edge(graph, (i, j), (i + 1, j), highway, name)
    for i, (highway, name) in enumerate(NORTH_SOUTH):
        for j in range(N - 1):
            _add_edge(graph, (i, j), (i, j + 1), highway, name)
    return graph


def _add_edge(graph, a, b, highway, name):
    length_m = float(haversine_m(*node_lonlat(*a), *node_lonlat(*b)))
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


def _drive(graph: nx.Graph, dwell_s: int):
    """The tours driven: per tour its vertices ``(node, clock_s)`` and drive metres, and the stops."""
    station_of = {s.id: s for s in STATIONS}
    tours, stops = [], []
    for vehicle, period, ready, visits in TOURS:
        station = station_of[vehicle.split("-")[0]]
        here = STATION_NODES[station.id]
        clock = float(parse_time(ready))
        vertices, drive_m = [(here, clock)], 0.0
        targets = [(SCHOOL_NODES[sid], parse_time(not_before), sid) for sid, not_before in visits]
        targets.append((STATION_NODES[station.id], None, None))
        for seq, (node, not_before, school_id) in enumerate(targets, start=1):
            path = nx.shortest_path(graph, here, node, weight="travel_time_s")
            leg_s = sum(graph.edges[a, b]["travel_time_s"] for a, b in zip(path, path[1:]))
            if not_before is not None and clock + leg_s < not_before:
                clock = not_before - leg_s  # wait where the car is, leave just in time
                vertices.append((here, clock))
            for a, b in zip(path, path[1:]):
                clock += graph.edges[a, b]["travel_time_s"]
                drive_m += graph.edges[a, b]["length_m"]
                vertices.append((b, clock))
            here = node
            if school_id is not None:
                arrive, depart = int(round(clock)), int(round(clock)) + dwell_s
                clock = float(depart)
                vertices.append((node, clock))
                # the car stands at the gate's own node
                stops.append(Stop(vehicle, station.id, period, seq, school_id, *node_lonlat(*node), arrive, depart,
                                  *node_lonlat(*node), 0.0, node=node_row(node)))
        tours.append({"vehicle_id": vehicle, "station_id": station.id, "period": period,
                      "vertices": [(node, int(round(t))) for node, t in vertices],
                      "drive_km": round(drive_m / 1000.0, 3), "stops": len(visits)})
    return tours, stops


def _duties(params: Parameters) -> list[PostDuty]:
    """Each post per period: staffed from ``duty_lead_s`` before its schools' first window to
    ``duty_lag_s`` after their last."""
    windows = {s.id: s.windows for s in SCHOOLS}
    duties = []
    for post in POSTS:
        for period in PERIODS:
            if period not in post["staff"]:
                continue
            wins = [w for sid in post["schools"] for w in windows[sid].get(period, ())]
            police, auxiliary = post["staff"][period]
            duties.append(PostDuty(
                post["post_id"], period, *post["lonlat"], post["station_id"], tuple(post["schools"]),
                min(w.start_s for w in wins) - params.duty_lead_s, max(w.end_s for w in wins) + params.duty_lag_s,
                police, auxiliary, False, node=node_row(post["node"]),
            ))
    return duties


def _roster(duties: list[PostDuty]) -> list[RosterEntry]:
    """An officer works one post in each period: numbering restarts per station, role and period."""
    roster, counters = [], {}
    for duty in duties:
        for role, count in (("police", duty.police), ("auxiliary", duty.auxiliary)):
            for _ in range(count):
                key = (duty.station_id, role, duty.period)
                counters[key] = counters.get(key, 0) + 1
                roster.append(RosterEntry(f"{duty.station_id}-{role}-{counters[key]}", duty.station_id, duty.period,
                                          duty.post_id, duty.duty_start_s, duty.duty_end_s, role))
    return roster


def post_reach(params: Parameters, duties) -> dict[tuple[str, str, int], frozenset[str]]:
    """``(post_id, period, duty_start_s)`` → the schools with a gate within ``post_radius_m`` of the post."""
    return {(d.post_id, d.period, d.duty_start_s): frozenset(
        s.id for s in SCHOOLS if any(haversine_m(d.lon, d.lat, g.lon, g.lat) <= params.post_radius_m for g in s.gates))
        for d in duties}


def _coverage(scenario: Scenario, graph: nx.Graph, duties, stops, tours):
    """What :func:`geo_patrol.sightings.evaluate` says of the posts and stops: posts reach the
    schools within their radius, cars are tracked along their tours, drive times to each gate on
    the grid with the period's congestion."""
    params = scenario.parameters
    tracks: dict[str, dict] = {}
    for tour in tours:
        times = np.array([t for _, t in tour["vertices"]], dtype=np.int64)
        nodes = np.array([node_row(n) for n, _ in tour["vertices"]], dtype=np.int64)
        tracks.setdefault(tour["period"], {})[tour["vehicle_id"]] = (times, nodes)
    to_gate = {}
    for sid, node in SCHOOL_NODES.items():
        seconds = nx.single_source_dijkstra_path_length(graph, node, weight="travel_time_s")
        row = np.full(N * N, np.inf)
        for other, s in seconds.items():
            row[node_row(other)] = s
        to_gate[sid] = row

    def time_to_school(school_id: str, period: str) -> np.ndarray:
        return to_gate[school_id] * float(params.congestion_for(period))

    return evaluate(scenario, duties, stops, post_reach=post_reach(params, duties), tracks=tracks,
                    time_to_school=time_to_school)


def _reach(params: Parameters, duties, tours) -> dict:
    """Per period, the area within ``response_target_s`` at :data:`REACH_SPEED_KPH` of any unit on duty."""
    radius_m = params.response_target_s * REACH_SPEED_KPH / 3.6
    local = LocalMetres(LON0, LAT0 + STEP_DEG * (N - 1) / 2)
    rx, ry = radius_m / local.kx, radius_m / local.ky
    features = []
    for period in PERIODS:
        points = [(d.lon, d.lat) for d in duties if d.period == period]
        points += [node_lonlat(*n) for t in tours if t["period"] == period for n, _ in t["vertices"]]
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


def fixture_plan() -> Plan:
    """The synthetic plan in memory (see the module docstring)."""
    scenario = fixture_scenario()
    params = scenario.parameters
    graph = street_graph()
    tours, stops = _drive(graph, params.dwell_s)
    duties = _duties(params)
    roster = _roster(duties)
    coverage = _coverage(scenario, graph, duties, stops, tours)
    routes = tuple(
        RouteLine(t["vehicle_id"], t["station_id"], t["period"], t["vertices"][0][1], t["vertices"][-1][1],
                  t["drive_km"], t["stops"], tuple(node_lonlat(*n) for n, _ in t["vertices"]),
                  tuple(s for _, s in t["vertices"]))
        for t in tours)
    schools = tuple(
        SchoolRow(s.id, s.name, s.kind, s.lon, s.lat, s.enrolment, s.priority,
                  *("; ".join(map(str, s.windows[p])) if p in s.windows else "" for p in PERIODS))
        for s in SCHOOLS)
    stations = tuple(
        StationRow(st.id, st.name, st.lon, st.lat, st.police, st.auxiliary, st.cars, {
            p: (sum(d.police for d in duties if d.station_id == st.id and d.period == p),
                sum(d.auxiliary for d in duties if d.station_id == st.id and d.period == p),
                len({r.vehicle_id for r in routes if r.station_id == st.id and r.period == p}))
            for p in PERIODS})
        for st in STATIONS)
    meta = build_meta(scenario, duties, stops, routes, coverage, stations, seed=scenario.seed)
    meta["scenario"]["source"] = "tests/plan_fixture.py"
    meta["created"] = "2025-09-01T08:00:00+08:00"
    meta["solver"] = {
        "posts": {"status": "optimal", "objective": 2.0, "bound": 2.0, "runtime_s": 0.01, "solver": "CP-SAT"},
        "patrols": {p: {"engine": "ortools", "status": "feasible", "runtime_s": 0.05,
                        "objective": meta["summary"]["km_driven"][p]} for p in PERIODS},
    }
    return Plan(meta=meta, schools=schools, stations=stations, posts=tuple(duties), roster=tuple(roster),
                visits=tuple(stops), routes=routes, coverage=coverage, roads=_roads_geojson(),
                reach=_reach(params, duties, tours))


def write_plan_fixture(plan_dir: Path) -> Path:
    """Write the synthetic plan's files (no documents) into ``plan_dir`` and return it; an empty
    folder there (``tmp_path_factory.mktemp``) or an earlier plan is replaced."""
    plan_dir = Path(plan_dir)
    if plan_dir.is_dir() and not any(plan_dir.iterdir()):
        plan_dir.rmdir()
    elif plan_dir.is_dir() and not (plan_dir / "plan.json").is_file():
        shutil.rmtree(plan_dir)
    return fixture_plan().to_dir(plan_dir, force=True, documents=False)
