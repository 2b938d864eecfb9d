"""Real data end to end: the Nanjing Gulou OSM extract, its own schools, planned and proved."""

from __future__ import annotations

from conftest import require_shared_data

from geo_patrol.clock import Window
from geo_patrol.model import Gate, NetworkSource, School, Station
from geo_patrol.network import read_osm_schools
from geo_patrol.plan import make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare


def nanjing_scenario() -> Scenario:
    osm = require_shared_data() / "osm" / "china" / "nanjing_gulou_osm_bbox.osm"
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


def test_nanjing_gulou_plans_end_to_end():
    scenario = nanjing_scenario()
    assert len(scenario.schools) == 67
    prepared = prepare(scenario)
    assert prepared.network.n_nodes == 800
    plan = make_plan(scenario, time_limit_s=3, prepared=prepared)
    summary = plan.meta["summary"]
    assert summary["windows"] == {"morning": 67, "afternoon": 67}
    # every met target is backed by a post or stop of the plan; every miss has a reason
    for row in plan.coverage:
        assert row.three_sightings == (row.reason == "")
        if row.officer_seen:
            assert any(row.school_id in d.school_ids and d.period == row.period for d in plan.posts) or any(
                v.school_id == row.school_id and v.period == row.period for v in plan.visits)
    assert summary["attained_share"]["morning"] > 0.5
    assert 0 < summary["response_within_target_share"]["morning"] <= 1


def test_split_by_jurisdiction_in_parallel_gives_the_same_plan():
    from geo_patrol.patrols.planner import jurisdictions

    scenario = nanjing_scenario()
    prepared = prepare(scenario)
    parts = jurisdictions(prepared, "morning", [s.id for s in scenario.schools], {"W": 3, "E": 3})
    assert sorted(parts) == ["E", "W"] and sum(map(len, parts.values())) == 67
    one = make_plan(scenario, time_limit_s=2, prepared=prepared, split=True, workers=1)
    two = make_plan(scenario, time_limit_s=2, prepared=prepared, split=True, workers=2)
    assert one.visits == two.visits and one.coverage == two.coverage
    # each car stays in its own station's jurisdiction
    for stop in one.visits:
        assert stop.school_id in parts[stop.station_id] or stop.period != "morning"


def test_roads_are_one_feature_per_way_with_its_name():
    from geo_patrol.layers import roads_geojson

    network = prepare(nanjing_scenario()).network
    roads = roads_geojson(network)
    ways = {int(w) for w in network.drive.way_id}
    assert len(roads["features"]) == len(ways)
    names = {f["properties"].get("name") for f in roads["features"]} - {None}
    assert "中山路" in names or len(names) > 20, sorted(names)[:10]
    # every drive edge is drawn: the merged lines hold every edge's end points
    drawn = {(x, y) for f in roads["features"] for line in (
        [f["geometry"]["coordinates"]] if f["geometry"]["type"] == "LineString" else f["geometry"]["coordinates"])
        for x, y in line}
    ends = {(round(float(x), 6), round(float(y), 6)) for x, y in zip(network.drive.lon, network.drive.lat)}
    assert ends <= drawn
