"""Map matching on simulated tracks of a real plan: accuracy, flags, and where the car stood."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from audit_fixture import write_small_plan

from geo_patrol.geo import haversine_m
from geo_patrol.io.tracks import VehicleTrack, read_tracks
from geo_patrol.matching import (
    MatchNetwork,
    MatchParameters,
    match_track,
    match_tracks,
    position_at,
    standstills,
    stays,
)
from geo_patrol.simulate import SimulationSettings, simulate, write_simulation


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    plan_dir, network = write_small_plan(tmp_path_factory.mktemp("match") / "plan")
    return plan_dir, network, MatchNetwork.of(network)


def as_track(plate: str, sim_track: dict, index=None) -> VehicleTrack:
    k = np.arange(sim_track["time_s"].size) if index is None else np.asarray(index)
    n = k.size
    return VehicleTrack(plate, np.full(n, np.datetime64("2026-09-01", "D")), sim_track["time_s"][k],
                        sim_track["lon"][k], sim_track["lat"][k], sim_track["speed_kph"][k],
                        sim_track["heading_deg"][k], sim_track["lights"][k], np.arange(n) + 2, np.zeros(n, np.int32),
                        ("tracks.csv",))


def scores(network, matched, truth) -> tuple[float, float, float]:
    """Share of moving points on the right arc, of standing points on an arc at the right node,
    of all points matched within 15 m of the true position."""
    arr = network.drive
    moving = truth["arc"] >= 0
    arc = np.maximum(matched.arc, 0)
    at_node = ((arr.edge_u[arc] == truth["node"]) | (arr.edge_v[arc] == truth["node"])) & (matched.arc >= 0)
    lon, lat = MatchNetwork.of(network).point_of(arc, np.nan_to_num(matched.offset_m))
    close = (haversine_m(lon, lat, truth["true_lon"], truth["true_lat"]) <= 15.0) & (matched.arc >= 0)
    return float(np.mean(matched.arc[moving] == truth["arc"][moving])), float(np.mean(at_node[~moving])), \
        float(np.mean(close))


def test_accuracy_on_simulated_tracks(small):
    plan_dir, network, net = small
    # measured on this plan (seed 1, 12,937 points): 0 m noise 0.996 / 1.0 / 1.0; 5 m noise 0.931 / 1.0 / 0.998
    for noise_m, floor in ((0.0, 0.99), (5.0, 0.90)):
        sim = simulate(plan_dir, network, SimulationSettings(noise_m=noise_m), seed=1)
        results = match_tracks(net, {p: as_track(p, t) for p, t in sim.tracks.items()})
        moving, standing, close = (np.mean(x) for x in zip(*(scores(network, results[p], sim.tracks[p])
                                                              for p in sim.tracks)))
        assert all(r.matched and r.matched_share == 1.0 for r in results.values())
        assert moving >= floor, (noise_m, moving)
        assert standing >= 0.99 and close >= 0.99, (noise_m, standing, close)


def test_nodes_driven_are_recovered_with_times(small):
    plan_dir, network, net = small
    sim = simulate(plan_dir, network, SimulationSettings(noise_m=3.0), seed=4)
    arr = network.drive
    for plate, truth in list(sim.tracks.items())[:3]:
        result = match_track(net, as_track(plate, truth))
        arcs = truth["arc"][truth["arc"] >= 0]
        driven = set(arr.edge_v[arcs].tolist()) | set(arr.edge_u[arcs].tolist())
        found = set(result.nodes.tolist())
        assert len(driven & found) / len(driven) >= 0.97
        assert np.all(np.diff(result.node_time_s) >= -1e-6)  # times interpolated in order
        assert result.node_time_s.min() >= truth["time_s"].min() and result.node_time_s.max() <= truth["time_s"].max()


def test_stops_found_where_the_car_stood(small):
    plan_dir, network, net = small
    sim = simulate(plan_dir, network, SimulationSettings(noise_m=5.0, gaps=1, gap_s=300), seed=2)
    arr = network.drive
    found = total = 0
    for plate, truth in sim.tracks.items():
        result = match_track(net, as_track(plate, truth))
        for node, t0, t1, school in sim.stands[plate]:
            if not school or t1 - t0 < 240:
                continue
            total += 1
            got = stays(result, arr.lon[node], arr.lat[node], 30.0, min_s=120, start_s=t0 - 600, end_s=t1 + 600)
            found += any(a <= t0 + 30 and b >= t1 - 30 for a, b in got)
    assert total > 20 and found / total >= 0.9, (found, total)
    gap = next(r for r in sim.injected if r.kind == "gap")
    result = match_track(net, as_track(gap.subject, sim.tracks[gap.subject]))
    assert any(a <= gap.actual_start_s + 5 and b >= gap.actual_end_s - 5 for a, b in result.gaps)
    lon, _ = position_at(result, [(gap.actual_start_s + gap.actual_end_s) / 2, result.anchor_time_s[0] - 10])
    assert np.isnan(lon).all()  # unknown in a gap and before the track


def test_outliers_duplicates_and_out_of_order_points(small):
    plan_dir, network, net = small
    sim = simulate(plan_dir, network, SimulationSettings(noise_m=3.0, outliers=1, outlier_m=900), seed=5)
    wild = next(r for r in sim.injected if r.kind == "outlier")
    truth = sim.tracks[wild.subject]
    n = truth["time_s"].size
    order = np.arange(n)
    order[[100, 101]] = [101, 100]  # two points swapped in the file
    order = np.insert(order, 200, 199)  # one point written twice
    result = match_track(net, as_track(wild.subject, truth, order))
    outlier = int(np.flatnonzero(truth["time_s"][order] == wild.actual_start_s)[0])
    assert result.jump[outlier] and result.arc[outlier] == -1
    assert np.flatnonzero(result.jump).tolist() == [outlier]
    assert np.flatnonzero(result.out_of_order).tolist() == [101]
    assert np.flatnonzero(result.duplicate).tolist() == [200]
    assert result.matched and result.arc[100] >= 0 and result.arc[101] >= 0


def test_jumps_and_unmatched_tracks_are_reported(small):
    plan_dir, network, net = small
    sim = simulate(plan_dir, network, SimulationSettings(noise_m=3.0), seed=6)
    plate, truth = next(iter(sim.tracks.items()))
    teleport = dict(truth)
    k = truth["time_s"].size // 2
    shifted = truth["lon"].copy()
    shifted[k:] += 0.05  # 5 km east from the middle on: one jump, then another piece (or nothing)
    teleport["lon"] = shifted
    result = match_track(net, as_track(plate, teleport))
    assert [tuple(j) for j in result.jumps.tolist()] == [(k - 1, k)]
    far = dict(truth, lon=truth["lon"] + 3.0)
    lost = match_track(net, as_track(plate, far))
    assert not lost.matched and "within" in lost.reason and lost.nodes.size == 0
    empty = match_track(net, as_track(plate, truth, np.zeros(0, dtype=np.int64)))
    assert not empty.matched and empty.reason == "the track has no points"


def test_wrong_datum_track_is_not_matched_and_says_which(small, tmp_path):
    plan_dir, network, net = small
    sim = simulate(plan_dir, network, SimulationSettings(wrong_datum=1), seed=7)
    write_simulation(sim, tmp_path / "day")
    wrong = next(r for r in sim.injected if r.kind == "wrong_datum").subject
    tracks = read_tracks(tmp_path / "day" / "tracks.csv")  # declared WGS-84
    results = match_tracks(net, tracks)
    assert not results[wrong].matched and results[wrong].datum_hint == "gcj02"
    assert "gcj02" in results[wrong].reason
    assert all(r.matched and r.datum_hint is None for p, r in results.items() if p != wrong)
    # read again in the datum it was exported in: it matches
    again = read_tracks(tmp_path / "day" / "tracks.csv", datum="gcj02")[wrong]
    fixed = match_track(net, again, declared_datum="gcj02")
    assert fixed.matched and fixed.datum_hint is None


def test_parameters_are_checked():
    with pytest.raises(ValueError):
        MatchParameters(radius_m=0)
    assert dt.date(2026, 9, 1)  # the tracks above are all on one date


def test_standstills_are_the_stops(small):
    plan_dir, network, net = small
    sim = simulate(plan_dir, network, SimulationSettings(noise_m=5.0), seed=8)
    arr = network.drive
    found = total = extra = 0
    for plate, truth in sim.tracks.items():
        result = match_track(net, as_track(plate, truth))
        still = standstills(result, radius_m=30.0, min_s=120.0)
        assert all(s.duration_s >= 120.0 and s.points >= 2 for s in still)
        planned = [(node, t0, t1) for node, t0, t1, school in sim.stands[plate] if school and t1 - t0 >= 240]
        for node, t0, t1 in planned:
            total += 1
            found += any(s.start_s <= t0 + 30 and s.end_s >= t1 - 30
                         and haversine_m(s.lon, s.lat, arr.lon[node], arr.lat[node]) <= 30 for s in still)
        extra += sum(not any(s.start_s < t1 and s.end_s > t0 for _, t0, t1, _ in sim.stands[plate]) for s in still)
    assert total > 20 and found / total >= 0.95, (found, total)
    assert extra == 0  # no standstill where the car drove


def test_tiny_tracks(small):
    _, network, net = small
    arr = network.drive
    day = np.datetime64("2026-09-01", "D")

    def track(times, lon, lat):
        n = len(times)
        nan = np.full(n, np.nan)
        return VehicleTrack("v", np.full(n, day), np.asarray(times, float), np.asarray(lon, float),
                            np.asarray(lat, float), nan, nan, nan, np.arange(n) + 2, np.zeros(n, np.int32), ("t.csv",))

    lon, lat = float(arr.lon[100]), float(arr.lat[100])
    one = match_track(net, track([0.0], [lon], [lat]))
    assert one.matched and one.arc[0] >= 0 and one.nodes.size == 0
    same = match_track(net, track([0.0, 0.0, 0.0], [lon] * 3, [lat] * 3))
    assert same.matched and same.duplicate.tolist() == [False, True, True]
    lon_at, _ = position_at(same, 0.0)
    assert lon_at[0] == pytest.approx(lon, abs=1e-4)
