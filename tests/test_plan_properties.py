"""Property-based: random small towns plan with zero breaches, and their files prove the same.

Hypothesis draws the schools (where on the tiny grid, kind, windows, required post), the stations
(officers, auxiliaries and cars, zero included) and the parameters that decide sightings; every
plan must pass its own proof (``make_plan`` raises otherwise), and the verifier reading the
written files must find no breach and derive the same coverage.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import GRID_LAT0, GRID_LON0, GRID_STEP, write_grid_osm
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_patrol.clock import Window
from geo_patrol.model import Gate, NetworkSource, Parameters, School, Station
from geo_patrol.network import load_network
from geo_patrol.plan import make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare
from geo_patrol.verify import evaluate_plan_dir

KINDS = ("kindergarten", "primary", "middle", "high")


@pytest.fixture(scope="module")
def roads(tmp_path_factory) -> Path:
    return write_grid_osm(tmp_path_factory.mktemp("grid") / "roads.osm")


@pytest.fixture(scope="module")
def network(roads):
    return load_network(roads, max_arc_m=Parameters().max_arc_m)  # as the scenario loads it (evaluate does)


@st.composite
def towns(draw):
    n = draw(st.integers(1, 5))
    schools = []
    for k in range(n):
        i, j = draw(st.integers(0, 4)), draw(st.integers(0, 4))
        dx, dy = draw(st.floats(-0.0003, 0.0003)), draw(st.floats(-0.0003, 0.0003))
        start = 7 * 3600 + 300 * draw(st.integers(0, 12))
        length = 60 * draw(st.integers(10, 45))
        pm = 15 * 3600 + 300 * draw(st.integers(0, 18))
        schools.append(School(
            id=f"S{k + 1}", name=f"学校{k + 1}", kind=draw(st.sampled_from(KINDS)),
            enrolment=draw(st.integers(50, 2000)),
            gates=(Gate(GRID_LON0 + i * GRID_STEP + dx, GRID_LAT0 + j * GRID_STEP + dy),),
            windows={"morning": Window(start, start + length), "afternoon": Window(pm, pm + length)},
            priority=draw(st.integers(1, 5)), requires_post=draw(st.booleans()),
        ))
    stations = tuple(
        Station(f"P{k + 1}", f"派出所{k + 1}", GRID_LON0 + 4 * k * GRID_STEP, GRID_LAT0 + 4 * k * GRID_STEP,
                police=draw(st.integers(0, 3)), auxiliary=draw(st.integers(0, 3)), cars=draw(st.integers(0, 2)))
        for k in range(draw(st.integers(1, 2)))
    )
    params = Parameters(dwell_s=draw(st.sampled_from([120, 300])), car_sight_m=draw(st.sampled_from([40.0, 100.0])),
                        post_radius_m=draw(st.sampled_from([100.0, 150.0, 300.0])),
                        borrow_drive_s=draw(st.sampled_from([0, 900])))
    return tuple(schools), stations, params


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(town=towns())
def test_random_towns_plan_with_zero_breaches(town, roads, network, tmp_path_factory):
    schools, stations, params = town
    scenario = Scenario(name="random town", schools=schools, stations=stations,
                        network=NetworkSource(path=roads), parameters=params, seed=3)
    prepared = prepare(scenario, network=network)
    plan = make_plan(scenario, time_limit_s=1, prepared=prepared)  # raises on any breach of its own proof
    # only officers who exist: per station and period, officers rostered ≤ officers it has
    for row in plan.stations:
        for police, aux, cars in row.use.values():
            assert police <= row.police and aux <= row.auxiliary and cars <= row.cars
    folder = plan.to_dir(tmp_path_factory.mktemp("plan") / "p", documents=False)
    result = evaluate_plan_dir(scenario, folder, documents=False)
    assert result.violations == ()
    assert result.coverage == plan.coverage
