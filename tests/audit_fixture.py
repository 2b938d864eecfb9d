"""A small real plan for the audit's tests: 40 schools of the demo county and two of its
stations, planned in about a second and written without its documents, with the demo's network."""

from __future__ import annotations

import dataclasses
from pathlib import Path

from geo_patrol.network import RoadNetwork
from geo_patrol.plan import make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import load_scenario_network, prepare

STATIONS = ("PS01", "PS02")


def small_scenario() -> Scenario:
    demo = Scenario.demo()
    stations = tuple(s for s in demo.stations if s.id in STATIONS)
    schools = tuple(s for s in demo.schools if s.station_id in (None, *STATIONS))[:40]
    return dataclasses.replace(demo, schools=schools, stations=stations)


def write_small_plan(folder: Path) -> tuple[Path, RoadNetwork]:
    """The plan folder and the network it was planned on."""
    scenario = small_scenario()
    network = load_scenario_network(scenario)
    plan = make_plan(scenario, time_limit_s=1, seed=1, prepared=prepare(scenario, network=network))
    plan.to_dir(folder, force=True, documents=False)
    return folder, network
