"""Equivalence tests of the fast paths: the response check from the nodes near each school, leg
searches that stop at their end, bounded "ball" searches, the per-period CSR cache, and the
reach layer built from whole roads — each against a brute-force reference on the tiny town and
a small street grid."""

from __future__ import annotations

import dataclasses
import math
import pickle

import numpy as np
import pytest
import shapely
from conftest import GRID_LAT0, GRID_LON0, GRID_STEP, write_grid_osm
from scipy.sparse.csgraph import dijkstra
from shapely.geometry import LineString, Point, shape

from geo_patrol.geo import LocalMetres
from geo_patrol.layers import REACH_BAND_M, REACH_SIMPLIFY_M, reach_geojson
from geo_patrol.model import PostDuty
from geo_patrol.patrols.planner import TimeToSchools, car_tracks
from geo_patrol.plan import make_plan
from geo_patrol.posts.sites import post_reach
from geo_patrol.proof import prove, resources
from geo_patrol.roster.teams import roster_teams, station_limits
from geo_patrol.scenario import Scenario
from geo_patrol.sightings import SchoolDriveTimes, evaluate
from geo_patrol.snapping import prepare
from geo_patrol.traveltime import DriveSearch, PairDrives, path_rows, travel_times

# ----------------------------------------------------------------------------- a small grid city

GRID_N = 10  # node ids 1000 + 10·i + j stay unique up to 10 × 10

#: Twelve schools on the 10 × 10 grid (node i east, j north), staggered bells; two stations
#: with 4 officers of each role, so that some schools get no post and some minutes have no
#: unit near the gate.
GRID_SCHOOLS = [(1, 1), (2, 8), (3, 4), (4, 9), (5, 2), (6, 6), (7, 9), (8, 3), (9, 7), (9, 1), (0, 9), (9, 5)]


def _grid_city(folder) -> Scenario:
    write_grid_osm(folder / "roads.osm", n=GRID_N)
    lines = ["学校编号,学校名称,类型,经度,纬度,在校人数,上学时间,放学时间"]
    for k, (i, j) in enumerate(GRID_SCHOOLS, start=1):
        start = 7 * 60 + 10 * (k % 4)
        end = 16 * 60 + 10 * (k % 3)
        lines.append(f"G{k:02d},第{k}小学,小学,{GRID_LON0 + i * GRID_STEP + 0.0002:.6f},{GRID_LAT0 + j * GRID_STEP:.6f},"
                     f"{300 + 50 * k},{start // 60:02d}:{start % 60:02d}-{(start + 40) // 60:02d}:{(start + 40) % 60:02d},"
                     f"{end // 60:02d}:{end % 60:02d}-{(end + 40) // 60:02d}:{(end + 40) % 60:02d}")
    (folder / "schools.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "stations.csv").write_text(
        "派出所编号,派出所,经度,纬度,民警,辅警,警车\n"
        f"P1,东所,{GRID_LON0 + 2 * GRID_STEP:.6f},{GRID_LAT0 + 2 * GRID_STEP:.6f},4,4,2\n"
        f"P2,西所,{GRID_LON0 + 7 * GRID_STEP:.6f},{GRID_LAT0 + 7 * GRID_STEP:.6f},4,4,2\n", encoding="utf-8")
    (folder / "scenario.toml").write_text(
        '[scenario]\nname = "grid city"\nseed = 3\n\n[inputs]\nschools = "schools.csv"\n'
        'stations = "stations.csv"\nnetwork = "roads.osm"\n', encoding="utf-8")
    return Scenario.from_toml(folder / "scenario.toml")


@pytest.fixture(scope="module")
def grid_city(tmp_path_factory) -> Scenario:
    return _grid_city(tmp_path_factory.mktemp("grid_city"))


def _with(scenario: Scenario, **parameters) -> Scenario:
    return dataclasses.replace(scenario, parameters=dataclasses.replace(scenario.parameters, **parameters))


# ----------------------------------------------------------------------------- brute force


class _EveryNode:
    """Brute force: the whole row of drive times to a school's nearest gate, from scipy's
    Dijkstra on the reversed graph, unbounded and then cut at ``reach_limit_s``."""

    def __init__(self, prepared) -> None:
        self.prepared = prepared

    def __call__(self, school_id: str, period: str) -> np.ndarray:
        net = self.prepared.network
        csr = net.drive.csr(net.edge_travel_time_s(self.prepared.scenario.parameters.congestion_for(period)))
        gates = [g.node for g in self.prepared.gates if g.school_id == school_id]
        row = dijkstra(csr.T.tocsr(), directed=True, indices=gates, min_only=True)
        return np.where(row <= self.prepared.scenario.parameters.reach_limit_s, row, np.inf)


class _Counting(TimeToSchools):
    """The fast path, counting the whole rows it had to search."""

    def __init__(self, prepared) -> None:
        super().__init__(prepared)
        self.whole_rows = 0

    def __call__(self, school_id: str, period: str) -> np.ndarray:
        self.whole_rows += 1
        return super().__call__(school_id, period)


def _plan_and_tracks(scenario: Scenario):
    plan = make_plan(scenario, time_limit_s=1)
    prepared = prepare(scenario)
    res = resources(scenario)
    proof = prove(prepared, plan.posts, plan.visits, plan.roster, res)
    tracks = {p: car_tracks(prepared, p, [s for s in proof.stops if s.period == p], res.cars)[0]
              for p in scenario.periods}
    return prepared, proof, tracks


@pytest.mark.parametrize("bounds", [{}, {"response_target_s": 30, "second_unit_s": 45}, {"response_target_s": 120, "second_unit_s": 900, "reach_limit_s": 600}],
                         ids=["default", "tight-bound", "short-reach-limit"])
@pytest.mark.parametrize("town", ["tiny", "grid"])
def test_response_from_nearby_units_equals_brute_force(town, bounds, tiny, grid_city):
    scenario = _with(tiny if town == "tiny" else grid_city, **bounds)
    prepared, proof, tracks = _plan_and_tracks(scenario)
    reach = post_reach(prepared, proof.posts)
    fast = _Counting(prepared)
    assert isinstance(fast, SchoolDriveTimes)
    got = evaluate(scenario, proof.posts, proof.stops, post_reach=reach, tracks=tracks, time_to_school=fast)
    brute = _EveryNode(prepared)
    want = evaluate(scenario, proof.posts, proof.stops, post_reach=reach, tracks=tracks, time_to_school=brute)
    assert got == want
    assert got == proof.coverage  # what the proof derives is that figure
    if town == "grid":  # not trivial there: the response columns vary (the tiny town's posts stand at the gates)
        assert len({(c.worst_response_s, c.within_target_pct, c.second_unit_300s) for c in want}) >= 3
    if not bounds:
        assert fast.whole_rows < len(want) / 2  # most windows settled by the nearby units
    if town == "grid" and bounds.get("second_unit_s") == 45:
        # minutes with no unit within the 45 s bound: their windows need the whole row, and say how far
        assert fast.whole_rows > 0
        assert any(c.worst_response_s > 45 for c in want)


def test_time_to_schools_near_is_the_brute_force_row_within_its_bound(grid_city):
    prepared = prepare(grid_city)
    fast, brute = TimeToSchools(prepared), _EveryNode(prepared)
    assert fast.bound_s == 300.0
    for school in grid_city.schools:
        for period in grid_city.periods:
            rows, seconds = fast.near(school.id, period)
            full = brute(school.id, period)
            assert sorted(rows.tolist()) == np.flatnonzero(full <= 300.0).tolist()
            assert np.array_equal(seconds, full[rows])
            assert np.array_equal(fast(school.id, period), full)


# ----------------------------------------------------------------------------- searches


def _scipy_paths(csr, pairs):
    sources = sorted({a for a, _ in pairs})
    dist, pred = dijkstra(csr, directed=True, indices=sources, return_predecessors=True)
    at = {a: k for k, a in enumerate(sources)}
    return [(dist[at[a], b], path_rows(pred[at[a]], a, b)) for a, b in pairs]


def test_leg_searches_give_scipys_times_and_paths(grid_city):
    net = prepare(grid_city).network
    factor = grid_city.parameters.congestion_for("morning")
    rng = np.random.default_rng(5)
    pairs = [(int(a), int(b)) for a, b in rng.integers(0, net.n_nodes, (60, 2))] + [(7, 7)]
    csr = net.drive_csr(factor)
    found = DriveSearch(net, factor).paths(pairs)
    for (rows, seconds), (dist, _), (a, b) in zip(found, _scipy_paths(csr, pairs), pairs):
        assert seconds[-1] == dist  # the same floating-point sum as scipy's
        assert rows[0] == a and rows[-1] == b
        # a fastest path (a regular grid has many; ties may go another way than scipy's):
        # consecutive arcs whose times add up to the seconds at each row
        steps = [csr[int(u), int(v)] for u, v in zip(rows[:-1], rows[1:])]
        assert all(w > 0 for w in steps)
        assert np.allclose(np.cumsum([0.0, *steps]), seconds)


def test_car_tracks_drive_scipys_fastest_paths_on_the_tiny_town(tiny, tiny_plan):
    prepared = prepare(tiny)
    res = resources(tiny)
    proof = prove(prepared, tiny_plan.posts, tiny_plan.visits, tiny_plan.roster, res)
    for period in tiny.periods:
        stops = [s for s in proof.stops if s.period == period]
        legs: dict = {}
        tracks, lines = car_tracks(prepared, period, stops, res.cars, legs=legs)
        csr = prepared.network.drive_csr(tiny.parameters.congestion_for(period))
        for car, driven in legs.items():
            own = sorted([s for s in stops if s.vehicle_id == car], key=lambda s: (s.arrive_s, s.seq))
            home = prepared.station_nodes[own[0].station_id]
            sequence = [home] + [s.node for s in own] + [home]
            want = [d for d, _ in _scipy_paths(csr, list(zip(sequence[:-1], sequence[1:])))]
            assert driven == want
            times, _ = tracks[car]
            assert np.all(np.diff(times) >= 0) and len(lines[car]) >= len(own)


@pytest.mark.parametrize("towards", [False, True])
def test_balls_are_scipys_bounded_searches(grid_city, towards):
    net = prepare(grid_city).network
    search = DriveSearch(net, 1.6, towards=towards)
    csr = net.drive_csr(1.6)
    graph = csr.T.tocsr() if towards else csr
    groups = [[0], [5, 77], [90, 90, 3]]
    for group, (rows, seconds) in zip(groups, search.balls(groups, 200.0)):
        want = dijkstra(graph, directed=True, indices=group, min_only=True, limit=200.0)
        assert sorted(rows.tolist()) == np.flatnonzero(np.isfinite(want)).tolist()
        assert np.array_equal(seconds, want[rows])
    # the scratch rows are left as they came: the same query again gives the same answer
    again = search.balls(groups, 200.0)
    assert all(np.array_equal(a[0], b[0]) for a, b in zip(again, search.balls(groups, 200.0)))


def test_pair_drives_match_travel_times_and_no_time_is_not_enough(grid_city):
    net = prepare(grid_city).network
    drives = PairDrives(net, 1.5)
    full = travel_times(net, [("a", 3)], [(f"b{k}", k) for k in range(net.n_nodes)], period_factor=1.5).seconds[0]
    for b in (3, 4, 50, 99):
        assert drives.within(3, b, 10_000) == full[b]
        assert drives.within(3, b, full[b]) == full[b]
        assert drives.within(3, b, full[b] - 0.5) == math.inf
    # a team that must leave a post before it gets there cannot "stay" at the same node
    assert drives.within(3, 3, 0) == 0.0
    assert drives.within(3, 3, -60) == math.inf


def test_the_drive_graph_of_a_period_is_built_once_read_only_and_not_pickled(tiny):
    net = prepare(tiny).network
    forward = net.drive_csr(1.6)
    assert net.drive_csr(1.6) is forward and net.drive_csr({"default": 1.6}) is forward
    assert net.drive_csr(1.2) is not forward
    backward = net.drive_csr(1.6, reverse=True)
    assert (backward != forward.T.tocsr()).nnz == 0
    assert not forward.data.flags.writeable and not backward.indices.flags.writeable
    copy = pickle.loads(pickle.dumps(net))
    assert copy._csr_cache == {} and (copy.drive_csr(1.6) != forward).nnz == 0


def test_rostering_again_with_kept_drive_times_gives_the_same_roster(grid_city):
    prepared = prepare(grid_city)
    plan = make_plan(grid_city, time_limit_s=1)
    police, aux = station_limits(grid_city)
    duties = list(plan.posts)
    assert all(d.node >= 0 for d in duties)
    fresh = roster_teams(prepared, duties, police, aux)
    kept: dict = {}
    first = roster_teams(prepared, duties, police, aux, drives=kept)
    assert first == fresh and set(kept) == set(grid_city.periods)
    assert roster_teams(prepared, duties, police, aux, drives=kept) == fresh


# ----------------------------------------------------------------------------- the reach layer


def test_reach_of_one_post_at_a_corner_is_the_band_around_the_streets_it_reaches(tiny):
    # residential 30 km/h × 1.6 in the morning: 60 s reach 312 m, so from the south-west corner
    # the first block east (192 m) and north (222 m), not the second (384 m, 444 m)
    scenario = _with(tiny, response_target_s=60)
    prepared = prepare(scenario)
    corner = prepared.network.node_index[1000]
    post = PostDuty("P1", "morning", GRID_LON0, GRID_LAT0, "P1", ("S1",), 7 * 3600, 8 * 3600, 1, 1, False,
                    node=corner)
    (feature,) = reach_geojson(prepared, [post], [])["features"]
    assert feature["properties"] == {"period": "morning", "response_target_s": 60}
    area = shape(feature["geometry"])
    east, north = (GRID_LON0 + GRID_STEP, GRID_LAT0), (GRID_LON0, GRID_LAT0 + GRID_STEP)
    local = LocalMetres.around(prepared.network.drive.lon, prepared.network.drive.lat)
    to_m = local.xy
    xy = to_m([east[0], GRID_LON0, north[0]], [east[1], GRID_LAT0, north[1]])
    exact = LineString(xy).buffer(REACH_BAND_M, quad_segs=64)
    drawn = shapely.transform(area, lambda pts: to_m(pts[:, 0], pts[:, 1]))
    # the drawn outline is the exact band to the stated tolerance (simplification + polygon arcs)
    assert drawn.hausdorff_distance(exact) <= REACH_SIMPLIFY_M + 1.5
    # the 10 m simplification cuts the round ends' arcs into chords: a few % of the area
    assert 0.9 < drawn.area / exact.area <= 1.0
    for lon, lat, inside in [(GRID_LON0 + GRID_STEP / 2, GRID_LAT0, True), (GRID_LON0, GRID_LAT0 + GRID_STEP, True),
                             (GRID_LON0 + 2 * GRID_STEP, GRID_LAT0, False),
                             (GRID_LON0 + GRID_STEP, GRID_LAT0 + GRID_STEP, False)]:
        assert area.contains(Point(lon, lat)) is inside


def test_reach_layer_equals_the_union_of_every_arc_widened_to_the_tolerance(grid_city):
    prepared, proof, _ = _plan_and_tracks(_with(grid_city, response_target_s=90))
    layer = reach_geojson(prepared, proof.posts, proof.stops)
    net, params = prepared.network, prepared.scenario.parameters
    arr = net.drive
    local = LocalMetres.around(arr.lon, arr.lat)
    xy = local.xy(arr.lon, arr.lat)
    for feature in layer["features"]:
        period = feature["properties"]["period"]
        sources = sorted({d.node for d in proof.posts if d.period == period}
                         | {s.node for s in proof.stops if s.period == period})
        reached = np.isfinite(dijkstra(net.drive_csr(params.congestion_for(period)), indices=sources, min_only=True,
                                       limit=params.response_target_s))
        arcs = [LineString([xy[u], xy[v]]) for u, v in zip(arr.edge_u, arr.edge_v) if reached[u] and reached[v]]
        exact = shapely.union_all([a.buffer(REACH_BAND_M, quad_segs=16) for a in arcs]
                                  + [Point(xy[s]).buffer(REACH_BAND_M, quad_segs=16) for s in sources])
        drawn = shapely.transform(shape(feature["geometry"]), lambda pts: local.xy(pts[:, 0], pts[:, 1]))
        assert drawn.hausdorff_distance(exact) <= REACH_SIMPLIFY_M + 1.5
        assert drawn.symmetric_difference(exact).area / exact.area < 0.03  # the chords of the round ends
