"""A slice of central Beijing on real data, planned and checked end to end.

The OSM 2013 network of central Beijing and the Beijing primary-school lists (GCJ-02) from
``../shared/data``, cut to a 5.8 km × 1.8 km box in Xicheng/Dongcheng inside the three 2 km grid
cells (9..11, 7) of ``benchmarks/beijing_city.py``, whose rules (datum, school attributes, road
densification, stations on the grid with officers and cars by Voronoi share) build the scenario
folder here too — the rules live there, the test imports them.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_shared_data

from geo_patrol import Scenario, make_plan
from geo_patrol.datum import to_wgs84
from geo_patrol.snapping import prepare
from geo_patrol.verify import evaluate_plan_dir

#: (west, south, east, north), WGS-84: inside the grid cells x 18–24 km, y 14–16 km from the
#: extract's south-west corner (116.1480015 E, 39.7880204 N), at least 45 m from their edges.
BOX = (116.3600, 39.9155, 116.4280, 39.9315)

#: The list's schools whose point, converted from GCJ-02, lies in BOX (ids in file order).
IN_BOX = ["BJK001", "BJK002", "BJK006", "BJK008", "BJK027", "BJK028", "BJK030", "BJK041", "BJK074", "BJK085",
          "BJN002", "BJN004", "BJN014", "BJN016", "BJN027", "BJN029", "BJN030", "BJN037", "BJN068", "BJN235"]


def _benchmark_module():
    """``benchmarks/beijing_city.py`` (not a package), registered so its dataclasses resolve."""
    if "beijing_city" in sys.modules:
        return sys.modules["beijing_city"]
    path = Path(__file__).resolve().parents[1] / "benchmarks" / "beijing_city.py"
    spec = importlib.util.spec_from_file_location("beijing_city", path)
    module = importlib.util.module_from_spec(spec)
    sys.modules["beijing_city"] = module
    spec.loader.exec_module(module)
    return module


def _in_box_by_hand(schools_dir: Path) -> list[str]:
    """The schools of the two lists inside BOX, read and converted here without the benchmark."""
    out = []
    for prefix, name in (("BJK", "key"), ("BJN", "nonkey")):
        features = json.loads((schools_dir / f"beijing_primary_schools_{name}.geojson").read_text())["features"]
        lon = np.array([f["geometry"]["coordinates"][0] for f in features])
        lat = np.array([f["geometry"]["coordinates"][1] for f in features])
        x, y = to_wgs84(lon, lat, "gcj02")
        inside = (x >= BOX[0]) & (x <= BOX[2]) & (y >= BOX[1]) & (y <= BOX[3])
        out += [f"{prefix}{i + 1:03d}" for i in np.flatnonzero(inside)]
    return out


@pytest.fixture(scope="module")
def sliced(tmp_path_factory):
    require_shared_data("osm", "china", "beijing_core_osm2013_intersections.osm.gz")
    schools_dir = require_shared_data("schools")
    for name in ("key", "nonkey"):
        require_shared_data("schools", f"beijing_primary_schools_{name}.geojson")
    city = _benchmark_module()
    folder = tmp_path_factory.mktemp("beijing_slice")
    built = city.build_scenario(folder / "scenario", bbox=BOX)
    scenario = Scenario.from_toml(built.toml)
    prepared = prepare(scenario)
    plan = make_plan(scenario, time_limit_s=2, prepared=prepared)  # raises when the plan breaks its own proof
    plan_dir = plan.to_dir(folder / "plan", documents=False)
    return {"city": city, "built": built, "scenario": scenario, "prepared": prepared, "plan": plan,
            "plan_dir": plan_dir, "by_hand": _in_box_by_hand(schools_dir)}


def test_the_box_holds_20_schools_all_planned(sliced):
    built, scenario = sliced["built"], sliced["scenario"]
    assert sliced["by_hand"] == IN_BOX
    assert [s.id for s in built.in_box] == IN_BOX
    assert built.too_far == []
    assert [s.id for s in scenario.schools] == IN_BOX
    assert sum(s.priority == 4 for s in scenario.schools) == 10  # the "key" list's
    # declared GCJ-02: the loader converts the points as written to what the benchmark converted
    by_id = {s.id: s for s in built.in_box}
    for school in scenario.schools:
        assert (school.lon, school.lat) == pytest.approx((by_id[school.id].lon_wgs84, by_id[school.id].lat_wgs84),
                                                         abs=1e-9)
        assert school.kind == "primary" and school.enrolment == 1000
        assert set(school.windows) == {"morning", "afternoon"}


def test_every_school_snaps_within_max_snap(sliced):
    prepared = sliced["prepared"]
    max_snap_m = sliced["scenario"].parameters.max_snap_m
    assert len(prepared.gates) == 20
    assert all(gate.snap_m <= max_snap_m for gate in prepared.gates)
    assert max(gate.snap_m for gate in prepared.gates) < 120  # measured 118.3 m (BJN235)


def test_three_stations_on_the_grid_with_officers_and_cars_by_share(sliced):
    stations = sliced["built"].stations
    assert [s.cell for s in stations] == [(9, 7), (10, 7), (11, 7)]
    assert sum(s.schools for s in stations) == 20
    assert [s.police for s in stations] == [s.schools for s in stations]  # 1 per school
    assert [s.auxiliary for s in stations] == [s.police for s in stations]
    assert sum(s.cars for s in stations) == 3  # round(20 / 6)
    assert all(s.cars >= 1 for s in stations)
    assert sliced["prepared"].station_snap_m == {s.id: pytest.approx(0.0, abs=0.05) for s in stations}


def test_the_plan_is_consistent(sliced):
    plan, scenario = sliced["plan"], sliced["scenario"]
    s = plan.meta["summary"]
    assert s["windows"] == {"morning": 20, "afternoon": 20}
    assert s["posts"] <= 20
    assert s["police"] <= 20 and s["auxiliary"] <= 20
    for period in ("morning", "afternoon"):
        assert 0 <= s["met_strict"][period] <= s["met"][period] <= s["windows"][period]
        assert s["schools_with_post"][period] <= s["windows"][period]
        assert s["cars_used"][period] <= 3
    assert len(plan.coverage) == 40
    for row in plan.coverage:
        assert row.three_sightings == (row.reason == ""), row
        assert not row.strict_met or row.three_sightings
    for stop in plan.visits:
        assert stop.school_id in IN_BOX
        assert stop.gate_distance_m <= scenario.parameters.car_sight_m


def test_the_written_plan_evaluates_without_violations(sliced):
    evaluation = evaluate_plan_dir(sliced["scenario"], sliced["plan_dir"], documents=False)
    assert evaluation.violations == ()
    assert evaluation.warnings == ()
    assert evaluation.plan.meta["summary"]["met"] == sliced["plan"].meta["summary"]["met"]
