"""Real data end to end: the Nanjing Gulou OSM extract, its own schools, planned and proved."""

from __future__ import annotations

from conftest import require_shared_data

from geo_patrol.clock import Window
from geo_patrol.model import Gate, NetworkSource, School, Station
from geo_patrol.network import read_osm_schools
from geo_patrol.patrols.planner import jurisdictions
from geo_patrol.plan import make_plan
from geo_patrol.posts.sites import post_reach
from geo_patrol.scenario import Scenario
from geo_patrol.sightings import evaluate
from geo_patrol.snapping import prepare


def nanjing_scenario() -> Scenario:
    osm = require_shared_data("osm", "china", "nanjing_gulou_osm_bbox.osm")
    found = read_osm_schools(osm)
    schools = tuple(
        School(
            id=f"N{i:02d}", name=s["name"] or f"school {s['id']}", kind="primary", enrolment=600,
            gates=(Gate(s["lon"], s["lat"]),),
            windows={"morning": Window(7 * 3600 + 30 * 60 + 300 * (i % 4), 8 * 3600 + 10 * 60 + 300 * (i % 4)),
                     "afternoon": Window(16 * 3600 + 300 * (i % 4), 16 * 3600 + 40 * 60 + 300 * (i % 4))},
        )
        for i, s in enumerate(found)
    )
    # two stations on the district's edges (118.77 E and 118.79 E)
    stations = (
        Station("W", "west station", 118.770, 32.045, police=40, auxiliary=40, cars=3),
        Station("E", "east station", 118.790, 32.040, police=40, auxiliary=40, cars=3),
    )
    return Scenario(name="Nanjing Gulou", schools=schools, stations=stations, network=NetworkSource(path=osm),
                    input_files={"network": osm})


def _sightings(row) -> tuple:
    """What a coverage row says is seen, and the rule's own reason (before any note in brackets)."""
    return (row.school_id, row.period, row.officer_seen, row.car_seen, row.lights_seen, row.three_sightings,
            row.officer_presence_pct, row.sources, row.reason.split(" (")[0], row.strict_met, row.post_present)


def test_nanjing_gulou_plans_end_to_end():
    scenario = nanjing_scenario()
    assert len(scenario.schools) == 18  # amenity=school features of the extract
    prepared = prepare(scenario)
    assert prepared.network.n_nodes == 978  # 800 in the file; stretches over max_arc_m (120 m) cut
    plan = make_plan(scenario, time_limit_s=3, prepared=prepared)
    summary = plan.meta["summary"]
    assert summary["windows"] == {"morning": 18, "afternoon": 18}
    # every sighting is what the rule derives from the plan's own posts and stops; every miss has a
    # reason (the rule's, with the planner's note on why in brackets)
    derived = evaluate(scenario, plan.posts, plan.visits, post_reach=post_reach(prepared, plan.posts))
    assert [_sightings(c) for c in plan.coverage] == [_sightings(c) for c in derived]
    assert [row.three_sightings for row in plan.coverage] == [row.reason == "" for row in plan.coverage]
    # 40 police and 40 auxiliaries per station: every school has its post
    assert summary["schools_with_post"] == {"morning": 18, "afternoon": 18}
    assert summary["attained_share"]["morning"] > 0.5
    assert 0 < summary["response_within_target_share"]["morning"] <= 1


def test_split_by_jurisdiction_in_parallel_gives_the_same_plan():
    scenario = nanjing_scenario()
    prepared = prepare(scenario)
    parts = jurisdictions(prepared, "morning", [s.id for s in scenario.schools], {"W": 3, "E": 3})
    assert sorted(parts) == ["E", "W"] and sum(map(len, parts.values())) == 18
    one = make_plan(scenario, time_limit_s=2, prepared=prepared, split=True, workers=1)
    two = make_plan(scenario, time_limit_s=2, prepared=prepared, split=True, workers=2)
    assert one.visits == two.visits and one.coverage == two.coverage
    # each car stays in its own station's jurisdiction (the morning's, computed above)
    morning = [stop for stop in one.visits if stop.period == "morning"]
    assert morning and [stop.school_id in parts[stop.station_id] for stop in morning] == [True] * len(morning)

