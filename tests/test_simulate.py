"""The track simulator: deterministic, the plan's stops driven, every deviation listed."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
import pytest
from audit_fixture import write_small_plan

from geo_patrol.clock import parse_time
from geo_patrol.geo import haversine_m
from geo_patrol.io.plandir import read_plan_rows
from geo_patrol.io.tracks import read_checkins, read_tracks, read_vehicles
from geo_patrol.matching import datum_check, nearest_road_m
from geo_patrol.simulate import SimulationSettings, plate_of, simulate, write_simulation

DEVIATIONS = SimulationSettings(late_starts=1, skipped_stops=1, short_stops=1, lights_off=1, gaps=1, outliers=1,
                                wrong_datum=1, late_arrivals=1, early_leaves=1, absences=1, no_checkouts=1)


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    return write_small_plan(tmp_path_factory.mktemp("audit") / "plan")


def _rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def test_same_seed_same_files_other_seed_other_files(small, tmp_path):
    plan_dir, network = small
    for name, seed in (("a", 5), ("b", 5), ("c", 6)):
        write_simulation(simulate(plan_dir, network, DEVIATIONS, seed=seed), tmp_path / name)
    for file in ("tracks.csv", "checkins.csv", "injected.csv", "truth.csv", "vehicles.csv"):
        assert (tmp_path / "a" / file).read_bytes() == (tmp_path / "b" / file).read_bytes(), file
    assert (tmp_path / "a" / "tracks.csv").read_bytes() != (tmp_path / "c" / "tracks.csv").read_bytes()


def test_clean_day_drives_every_planned_stop(small):
    plan_dir, network = small
    visits = _rows(plan_dir / "visits.csv")
    sim = simulate(plan_dir, network, SimulationSettings(noise_m=0.0), seed=1)
    assert sim.injected == ()
    assert set(sim.vehicles.values()) == {(v["station_id"], v["vehicle_id"]) for v in visits}
    for v in visits:
        stands = [s for s in sim.stands[plate_of(v["vehicle_id"])] if s[3] == v["school_id"]
                  and s[1] <= parse_time(v["arrive"]) and s[2] >= parse_time(v["depart"])]
        assert stands, v  # stood at the gate over the whole planned stop
    for track in sim.tracks.values():
        steps = np.diff(track["time_s"])
        assert np.allclose(steps[steps < 600], 5.0)  # every 5 s while on shift
        on_road = nearest_road_m(network, track["lon"], track["lat"], radius_m=50.0)
        assert np.all(on_road < 0.5)  # no noise: on the roads
        assert set(np.unique(track["lights"])) <= {0.0, 1.0}


def test_deviations_are_injected_and_listed(small, tmp_path):
    plan_dir, network = small
    sim = simulate(plan_dir, network, DEVIATIONS, seed=2)
    kinds = sorted(r.kind for r in sim.injected)
    assert kinds == sorted(["late_start", "skipped_stop", "short_stop", "lights_off", "gap", "outlier", "wrong_datum",
                            "late_arrival", "early_leave", "absent", "no_checkout"])
    write_simulation(sim, tmp_path / "day")
    listed = _rows(tmp_path / "day" / "injected.csv")
    assert sorted(r["kind"] for r in listed) == kinds
    by_kind = {r.kind: r for r in sim.injected}
    # a skipped stop: the car never stands at that school in that period
    skip = by_kind["skipped_stop"]
    assert not [s for s in sim.stands[skip.subject] if s[3] == skip.school_id
                and skip.planned_start_s - 3600 <= s[1] <= skip.planned_end_s + 3600]
    # a late start: left the station late by the setting
    late = by_kind["late_start"]
    assert late.actual_start_s - late.planned_start_s == DEVIATIONS.late_start_s
    # a gap: no point inside it
    gap = by_kind["gap"]
    times = sim.tracks[gap.subject]["time_s"]
    assert not np.any((times >= gap.actual_start_s) & (times < gap.actual_end_s))
    # lights off at the stop
    dark = by_kind["lights_off"]
    track = sim.tracks[dark.subject]
    during = (track["time_s"] >= dark.actual_start_s) & (track["time_s"] <= dark.actual_end_s)
    assert during.any() and np.all(track["lights"][during] == 0.0)
    # wrong datum: hundreds of metres off the roads
    wrong = by_kind["wrong_datum"]
    hint, medians = datum_check(network, sim.tracks[wrong.subject]["lon"], sim.tracks[wrong.subject]["lat"])
    assert hint == "gcj02" and medians["wgs84"] > 20 and medians["gcj02"] < 5
    # officers: the absent one has no row, the others' times are as listed
    checkins = read_checkins(tmp_path / "day" / "checkins.csv")
    absent = by_kind["absent"]
    assert not [c for c in checkins if c.officer == absent.subject and c.post == absent.post_id
                and c.time_in_s is not None and abs(c.time_in_s - absent.planned_start_s) < 900]
    early = by_kind["early_leave"]
    assert [c for c in checkins if c.officer == early.subject and c.time_out_s == early.actual_end_s]
    assert [c for c in checkins if c.officer == by_kind["no_checkout"].subject and c.time_out_s is None]


def test_files_read_back_with_the_audit_readers(small, tmp_path):
    plan_dir, network = small
    sim = simulate(plan_dir, network, SimulationSettings(), seed=3)
    write_simulation(sim, tmp_path / "day")
    tracks = read_tracks(tmp_path / "day" / "tracks.csv")
    vehicles = read_vehicles(tmp_path / "day" / "vehicles.csv")
    assert sorted(tracks) == sorted(sim.tracks) == sorted(vehicles)
    for plate, track in tracks.items():
        assert len(track) == sim.tracks[plate]["time_s"].size
        assert np.allclose(track.time_s, np.floor(sim.tracks[plate]["time_s"]))
        assert vehicles[plate].car_id.startswith(vehicles[plate].station_id + "/")
    assert len(read_checkins(tmp_path / "day" / "checkins.csv")) == len(sim.checkins)


def test_cars_drive_the_plans_routes(small):
    plan_dir, network = small
    sim = simulate(plan_dir, network, SimulationSettings(noise_m=0.0, interval_s=2.0), seed=1)
    for route in read_plan_rows(plan_dir)["routes"]:
        if not route.stops:
            continue
        track = sim.tracks[plate_of(route.vehicle_id)]
        during = (track["time_s"] >= route.start_s) & (track["time_s"] <= route.end_s)
        coords, times = np.asarray(route.coords), np.asarray(route.times, dtype=float)
        lon = np.interp(track["time_s"][during], times, coords[:, 0])
        lat = np.interp(track["time_s"][during], times, coords[:, 1])
        off = haversine_m(lon, lat, track["true_lon"][during], track["true_lat"][during])
        # routes.geojson keeps whole seconds: a car at 40 km/h is 11 m on in one
        assert np.percentile(off, 99) < 10.0 and off.max() < 20.0, (route.vehicle_id, route.period)
