"""Tests of geo_patrol.snapping: gates and stations onto the drive network, drive times, reach.

The tiny town's grid (tests/conftest.py) has node ids 1000 + 10·i + j, in rows of sorted id: S1's
gate lies on node 1011 (row 6), S2's 14.7 m from it, S3's on node 1033 (row 18), station P1 on
node 1000 (row 0).
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import write_grid_osm

from geo_patrol.errors import InputError
from geo_patrol.geo import haversine_m
from geo_patrol.model import DEFAULT_CONGESTION, Parameters
from geo_patrol.network import DEFAULT_SPEED_KPH, load_network
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import GateRef, StandPoint, prepare

S1_S2_M = float(haversine_m(114.302, 30.502, 114.3021, 30.5021))
MAX_SNAP_M = Parameters().max_snap_m


def _drive_s(*legs: tuple[float, float, float, float], period: str = "morning") -> float:
    """Residential streets at their default speed, times the period's congestion."""
    metres = sum(float(haversine_m(*leg)) for leg in legs)
    return metres / (DEFAULT_SPEED_KPH["residential"] / 3.6) * DEFAULT_CONGESTION[period]


def test_gates_and_stations_snap_to_the_nearest_drive_node(tiny):
    prepared = prepare(tiny)
    assert prepared.gates == (GateRef("S1", 0, 114.302, 30.502, 6, 0.0), GateRef("S2", 0, 114.3021, 30.5021, 6, S1_S2_M),
                              GateRef("S3", 0, 114.306, 30.506, 18, 0.0))
    assert [g.id for g in prepared.gates_of("S2")] == ["S2#0"]
    assert dict(prepared.station_nodes) == {"P1": 0} and dict(prepared.station_snap_m) == {"P1": 0.0}
    # a car stands on the node nearest to a gate, when it lies within car_sight_m
    assert dict(prepared.stands) == {"S1": StandPoint("S1", 0, 6, 114.302, 30.502, 0.0),
                                     "S2": StandPoint("S2", 0, 6, 114.302, 30.502, round(S1_S2_M, 1)),
                                     "S3": StandPoint("S3", 0, 18, 114.306, 30.506, 0.0)}


def test_station_to_gate_drive_times_per_period(tiny):
    prepared = prepare(tiny)
    assert sorted(prepared.station_to_gate) == ["afternoon", "morning"]
    # the fastest way runs north first, then east along the shorter parallel
    north = [(114.300, 30.500 + 0.002 * k, 114.300, 30.502 + 0.002 * k) for k in range(3)]
    east = [(114.300 + 0.002 * k, lat, 114.302 + 0.002 * k, lat) for lat in (30.502, 30.506) for k in range(3)]
    to_s1 = _drive_s(north[0], east[0])
    to_s3 = _drive_s(*north, *east[3:])
    morning = prepared.station_to_gate["morning"]
    assert morning.origin_ids == ("P1",) and morning.destination_ids == ("S1#0", "S2#0", "S3#0")
    assert morning.seconds[0].tolist() == pytest.approx([to_s1, to_s1, to_s3], rel=1e-9)
    factor = DEFAULT_CONGESTION["afternoon"] / DEFAULT_CONGESTION["morning"]
    assert prepared.nearest_station_s("afternoon") == pytest.approx({"S1": to_s1 * factor, "S2": to_s1 * factor,
                                                                     "S3": to_s3 * factor}, rel=1e-9)


def test_a_gate_without_a_road_within_car_sight_has_no_stand_point(tiny):
    near = dataclasses.replace(tiny, parameters=dataclasses.replace(tiny.parameters, car_sight_m=10.0))
    assert sorted(prepare(near).stands) == ["S1", "S3"]  # S2's gate is 14.7 m from its node


def test_a_gate_too_far_from_the_roads_is_an_error(tiny_dir):
    schools = tiny_dir / "schools.csv"
    schools.write_text(schools.read_text(encoding="utf-8").replace("114.3060,30.5060", "114.3200,30.5060"),
                       encoding="utf-8")
    metres = float(haversine_m(114.320, 30.506, 114.308, 30.506))  # to the grid's east edge
    with pytest.raises(InputError, match=rf"^schools\.csv, field 'lon/lat': 1 gate\(s\) lie farther than "
                                         rf"{MAX_SNAP_M:.0f} m from the drive network: S3 第二中学 "
                                         rf"\(row 4, {metres:.0f} m: no road or path within {MAX_SNAP_M:.0f} m\) — "):
        prepare(Scenario.from_toml(tiny_dir / "scenario.toml"))


def test_a_station_too_far_from_the_roads_is_an_error(tiny_dir):
    stations = tiny_dir / "stations.csv"
    stations.write_text(stations.read_text(encoding="utf-8").replace("114.3000,30.5000", "114.2900,30.5000"),
                        encoding="utf-8")
    metres = float(haversine_m(114.290, 30.500, 114.300, 30.500))
    with pytest.raises(InputError, match=rf"^stations\.csv, row 2, field 'lon/lat': station P1 城关派出所 lies "
                                         rf"{metres:.0f} m from the drive network \(no road or path within "
                                         rf"{MAX_SNAP_M:.0f} m\) — check its coordinates and datum$"):
        prepare(Scenario.from_toml(tiny_dir / "scenario.toml"))


def test_schools_no_station_reaches_in_time_are_an_error(tiny):
    slow = dataclasses.replace(tiny, parameters=dataclasses.replace(tiny.parameters, reach_limit_s=60))
    with pytest.raises(InputError, match=r"^schools\.csv, field 'lon/lat': 3 school\(s\) unreachable from every station "
                                         r"within 1 min in the morning: S1 第一小学 \(row 2\); S2 实验幼儿园 \(row 3\); "
                                         r"S3 第二中学 \(row 4\) — add a station that serves them"):
        prepare(slow)


def test_a_network_passed_in_is_used_as_it_is(tiny, tmp_path):
    network = load_network(write_grid_osm(tmp_path / "other.osm"))
    assert prepare(tiny, network=network).network is network
