"""Tests of geo_patrol.patrols: hand-checked tiny instances, the checker, reproducibility,
minimum gap, drop reasons, one Solomon instance against its best-known distance."""

from __future__ import annotations

import csv
import dataclasses
import sys
from pathlib import Path

import numpy as np
import pytest
from conftest import require_shared_data

from geo_patrol.errors import InputError
from geo_patrol.patrols import (
    ENGINES,
    GateWindow,
    RoutingProblem,
    Station,
    Vehicle,
    Visit,
    build_problem,
    check_feasible,
    solve,
)
from geo_patrol.patrols.model import assemble_result

ROOT = Path(__file__).resolve().parents[1]


def hm(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def line_problem() -> RoutingProblem:
    """Station at 0, gates 1..4 on a line, 10 min of driving between neighbours.

    Windows force the order gate 3 → gate 2 → gate 1; gate 4 (40 min away) has a window that
    closes before any car leaving at 07:00 can get there."""
    pos = np.array([0, 1, 2, 3, 4])
    travel = np.abs(pos[:, None] - pos[None, :]) * 600
    visits = (
        Visit("g1", 1, hm("08:00"), hm("08:10")),
        Visit("g2", 2, hm("07:45"), hm("07:55")),
        Visit("g3", 3, hm("07:30"), hm("07:40")),
        Visit("g4", 4, hm("07:00"), hm("07:30")),
    )
    car = Vehicle("car1", "S1", 0, 0, hm("07:00"), hm("09:00"))
    return RoutingProblem(travel, (car,), visits)


@pytest.mark.parametrize("engine", ENGINES)
def test_line_instance_known_optimum(engine):
    problem = line_problem()
    res = solve(problem, engine=engine, time_limit_s=5, iterations=200)
    assert check_feasible(problem, res) == []
    (route,) = res.routes
    assert [s.visit_id for s in route.stops] == ["g3", "g2", "g1"]
    assert [s.start_s for s in route.stops] == [hm("07:30"), hm("07:45"), hm("08:00")]
    assert [s.depart_s for s in route.stops] == [hm("07:35"), hm("07:50"), hm("08:05")]
    assert route.drive_s == res.drive_s == 3600
    assert res.served_weight == 3 and res.total_weight == 4
    assert res.status == "partial"
    (drop,) = res.dropped
    assert drop.visit_id == "g4"
    assert drop.reason == "unreachable"
    assert drop.earliest_arrival_s == hm("07:40")
    assert drop.station_id == "S1"
    assert "07:40:00" in drop.detail
    assert res.objective == problem.drop_penalty_s * 1 + 3600


def test_checker_catches_broken_results():
    problem = line_problem()
    res = solve(problem, engine="pyvrp", time_limit_s=5, iterations=100)
    assert check_feasible(problem, res) == []
    route = res.routes[0]
    # a stop moved out of its window
    bad_stop = dataclasses.replace(route.stops[0], start_s=hm("07:20"), arrive_s=hm("07:20"))
    broken = dataclasses.replace(
        res, routes=(dataclasses.replace(route, stops=(bad_stop,) + route.stops[1:]),)
    )
    errs = check_feasible(problem, broken)
    assert any("outside window" in e for e in errs)
    assert any("arrives" in e for e in errs)  # 07:20 is before the car can get there
    # a visit forgotten: neither served nor dropped
    errs = check_feasible(problem, dataclasses.replace(res, dropped=()))
    assert any("neither served nor dropped" in e for e in errs)
    # wrong weight bookkeeping
    errs = check_feasible(problem, dataclasses.replace(res, served_weight=4))
    assert any("served_weight" in e for e in errs)
    # a visit served twice
    twice = dataclasses.replace(route, stops=route.stops + route.stops[-1:])
    errs = check_feasible(problem, dataclasses.replace(res, routes=(twice,)))
    assert any("served 2 times" in e for e in errs)


def gap_problem(n_cars: int) -> RoutingProblem:
    travel = np.array([[0, 600], [600, 0]])
    visits = tuple(
        Visit(f"big#{k}", 1, hm("07:30"), hm("08:10"), group="big", min_gap_s=900)
        for k in (1, 2)
    )
    cars = tuple(Vehicle(f"c{k}", "S1", 0, 0, hm("07:00"), hm("09:00")) for k in range(n_cars))
    return RoutingProblem(travel, cars, visits)


@pytest.mark.parametrize("engine", ENGINES)
def test_min_gap_two_visits_of_one_group(engine):
    problem = gap_problem(n_cars=2)
    res = solve(problem, engine=engine, time_limit_s=5, iterations=300)
    assert check_feasible(problem, res) == []
    starts = sorted(s.start_s for r in res.routes for s in r.stops)
    assert len(starts) == 2
    assert starts[1] - starts[0] >= 900


def test_checker_catches_min_gap_violation():
    problem = gap_problem(n_cars=2)
    # both cars start their stop at 07:30: each is fine alone, together 0 s apart
    broken = assemble_result(
        problem, [[(0, hm("07:30"))], [(1, hm("07:30"))]], [None, None],
        engine="hand", runtime_s=0.0, stop_reason="iterations", seed=0, iterations=0,
    )
    errs = check_feasible(problem, broken)
    assert errs == ["group big: visits start 0 s apart < 900 s"]
    fixed = assemble_result(
        problem, [[(0, hm("07:30"))], [(1, hm("07:45"))]], [None, None],
        engine="hand", runtime_s=0.0, stop_reason="iterations", seed=0, iterations=0,
    )
    assert check_feasible(problem, fixed) == []


@pytest.mark.parametrize("engine", ENGINES)
def test_priority_drop(engine):
    """One car, two gates 30 min apart with the same 10-minute window: only one can be
    served, the heavier one wins and the other is dropped for priority."""
    travel = np.array([[0, 600, 600], [600, 0, 1800], [600, 1800, 0]])
    visits = (
        Visit("light", 1, hm("07:30"), hm("07:40"), weight=1),
        Visit("heavy", 2, hm("07:30"), hm("07:40"), weight=5),
    )
    car = Vehicle("car", "S1", 0, 0, hm("07:00"), hm("08:30"))
    problem = RoutingProblem(travel, (car,), visits)
    res = solve(problem, engine=engine, time_limit_s=5, iterations=200)
    assert check_feasible(problem, res) == []
    assert res.served_ids == ("heavy",)
    assert res.served_weight == 5
    (drop,) = res.dropped
    assert drop.visit_id == "light"
    assert drop.reason == "priority"
    assert drop.competing_visit_id == "heavy"


@pytest.mark.parametrize("engine", ENGINES)
def test_fleet_time_drop_counts_extra_cars(engine):
    """One car, three gates each 10 min from the station and 30 min from each other, all
    with the same 10-minute window: one is served, two are dropped for fleet time, and two
    more cars at the station would serve them."""
    travel = np.full((4, 4), 1800)
    travel[0, :] = travel[:, 0] = 600
    np.fill_diagonal(travel, 0)
    visits = tuple(Visit(f"g{k}", k, hm("07:30"), hm("07:40")) for k in (1, 2, 3))
    car = Vehicle("car", "S1", 0, 0, hm("07:00"), hm("08:30"))
    problem = RoutingProblem(travel, (car,), visits)
    res = solve(problem, engine=engine, time_limit_s=5, iterations=200)
    assert check_feasible(problem, res) == []
    assert res.served_weight == 1
    assert len(res.dropped) == 2
    for d in res.dropped:
        assert d.reason == "fleet_time"
        assert d.station_id == "S1"
        assert d.extra_cars_needed == 2
        assert d.earliest_arrival_s == hm("07:10")


def district(seed: int, n_schools: int = 30, n_cars: int = 3) -> RoutingProblem:
    rng = np.random.default_rng(seed)
    xy = rng.uniform(0, 8000, size=(2 + n_schools, 2))
    travel = np.rint(np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) * 1.3 / (30 / 3.6))
    stations = [Station("A", 0, n_cars - n_cars // 2), Station("B", 1, n_cars // 2)]
    gates = []
    for i in range(n_schools):
        start = int(rng.integers(410, 480)) * 60
        gates.append(GateWindow(f"s{i}", 2 + i, start, start + 40 * 60,
                                visits=int(rng.integers(1, 3)), weight=int(rng.integers(1, 4))))
    return build_problem(travel.astype(np.int64), stations, gates)


@pytest.mark.parametrize("engine", ENGINES)
def test_same_seed_same_routes(engine):
    problem = district(7)
    a = solve(problem, engine=engine, time_limit_s=15, seed=3, iterations=300)
    b = solve(problem, engine=engine, time_limit_s=15, seed=3, iterations=300)
    assert check_feasible(problem, a) == []
    assert a.stop_reason == b.stop_reason == "iterations"
    assert a.route_ids() == b.route_ids()
    assert [[s.start_s for s in r.stops] for r in a.routes] == [
        [s.start_s for s in r.stops] for r in b.routes
    ]
    assert a.dropped == b.dropped
    assert a.n_served > 0


@pytest.mark.parametrize("engine", ENGINES)
def test_district_feasible_and_explained(engine):
    problem = district(11, n_schools=40, n_cars=3)
    res = solve(problem, engine=engine, time_limit_s=10, seed=0, iterations=300)
    assert check_feasible(problem, res) == []
    assert res.served_weight + sum(
        v.weight for v in problem.visits if v.id in {d.visit_id for d in res.dropped}
    ) == res.total_weight
    assert res.dropped  # 3 cars cannot serve ~60 stops in 40-minute windows
    assert all(d.detail for d in res.dropped)


def test_solomon_c101_within_2_percent():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    from solomon import to_problem

    vrptw = require_shared_data("benchmarks", "vrptw")
    problem, dist = to_problem(vrptw / "solomon" / "C101.txt")
    res = solve(problem, engine="pyvrp", time_limit_s=20, seed=1, iterations=3000, explain=False)
    assert check_feasible(problem, res) == []
    assert res.served_weight == 100
    routes = [[int(s.visit_id) for s in r.stops] for r in res.routes if r.stops]
    d = sum(dist[0, r[0]] + sum(dist[a, b] for a, b in zip(r, r[1:])) + dist[r[-1], 0]
            for r in routes)
    with open(vrptw / "solomon_bks.csv", newline="") as handle:
        bks = {r["instance"]: r for r in csv.DictReader(handle)}
    ref = float(bks["C101"]["distmin_distance"])
    assert d <= ref * 1.02


def test_bogus_engine_is_a_clear_error():
    with pytest.raises(InputError, match="unknown routing engine 'bogus'.*pyvrp, ortools"):
        solve(line_problem(), engine="bogus")


def test_bad_inputs_are_input_errors():
    with pytest.raises(InputError, match="must be square"):
        RoutingProblem(np.zeros((2, 3)), (Vehicle("v", "S", 0, 0, 0, 10),), ())
    with pytest.raises(InputError, match="row 1, field 'window_end_s': window ends before"):
        RoutingProblem(np.zeros((2, 2)), (Vehicle("v", "S", 0, 0, 0, 10),),
                       (Visit("x", 1, 100, 50),))
    with pytest.raises(InputError, match="mixes minimum gaps"):
        RoutingProblem(np.zeros((2, 2)), (Vehicle("v", "S", 0, 0, 0, 10),),
                       (Visit("x", 1, 0, 50, group="g", min_gap_s=60),
                        Visit("y", 1, 0, 50, group="g", min_gap_s=120)))


def test_unreachable_matrix_entries():
    travel = np.array([[0, np.inf], [np.inf, 0]])
    problem = RoutingProblem(travel, (Vehicle("v", "S", 0, 0, 0, 7200),),
                             (Visit("x", 1, 0, 3600),))
    assert problem.travel_s[0, 1] == -1
    for engine in ENGINES:
        res = solve(problem, engine=engine, time_limit_s=5, iterations=50)
        assert check_feasible(problem, res) == []
        (d,) = res.dropped
        assert d.reason == "unreachable" and d.earliest_arrival_s is None


@pytest.mark.parametrize("engine", ENGINES)
def test_max_drive_limits_the_tour(engine):
    base = line_problem()
    car = dataclasses.replace(base.vehicles[0], max_drive_s=2400)
    problem = dataclasses.replace(base, vehicles=(car,))
    res = solve(problem, engine=engine, time_limit_s=5, iterations=200)
    assert check_feasible(problem, res) == []
    assert res.drive_s <= 2400
    # g1 + g2 (out 20 min, back 20 min) is the heaviest set within 40 min of driving
    assert sorted(res.served_ids) == ["g1", "g2"]


@pytest.mark.parametrize("visit_id, shown", [
    ("SFX157", "SFX157"),
    ("SFX157#w2", "SFX157 (window 2)"),
    ("SFX157#w2#2", "SFX157 (window 2, visit 2)"),
    ("SFX157#3", "SFX157 (visit 3)"),
])
def test_miss_reasons_name_a_school_and_its_window_not_a_routing_id(visit_id, shown):
    from geo_patrol.patrols.explain import shown_id

    assert shown_id(visit_id) == shown
