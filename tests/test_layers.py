"""Tests of geo_patrol.layers: the roads basemap and the "135" reach area a plan derives."""

from __future__ import annotations

from conftest import GRID_LAT0, GRID_LON0, GRID_STEP, as_drawn
from shapely.geometry import Point, box, shape
from test_plan_real import nanjing_scenario

from geo_patrol.layers import reach_geojson, roads_geojson
from geo_patrol.snapping import prepare


def test_the_tiny_towns_roads_are_its_ten_streets(tiny):
    roads = roads_geojson(prepare(as_drawn(tiny)).network)
    assert len(roads["features"]) == 10  # 5 east-west and 5 north-south ways
    lines = sorted(tuple(map(tuple, f["geometry"]["coordinates"])) for f in roads["features"])
    grid = [round(GRID_LON0 + k * GRID_STEP, 6) for k in range(5)], [round(GRID_LAT0 + k * GRID_STEP, 6) for k in range(5)]
    expected = [tuple((lon, lat) for lon in grid[0]) for lat in grid[1]] + [
        tuple((lon, lat) for lat in grid[1]) for lon in grid[0]]
    assert lines == sorted(expected)
    assert {(f["geometry"]["type"], tuple(f["properties"].items())) for f in roads["features"]} == {
        ("LineString", (("highway", "residential"),))}  # unnamed ways carry no name


def test_reach_area_contains_every_post_and_stop(tiny, tiny_plan):
    areas = {f["properties"]["period"]: shape(f["geometry"]) for f in tiny_plan.reach["features"]}
    assert [f["properties"] for f in tiny_plan.reach["features"]] == [
        {"period": "morning", "response_target_s": tiny.parameters.response_target_s},
        {"period": "afternoon", "response_target_s": tiny.parameters.response_target_s}]
    for unit in [*tiny_plan.posts, *tiny_plan.visits]:
        assert areas[unit.period].contains(Point(unit.lon, unit.lat))
    # the tiny town is ~0.8 km across; 3 minutes at residential peak speed reach only part of it
    assert areas["morning"].area < box(114.299, 30.499, 114.309, 30.509).area


def test_no_unit_no_reach(tiny):
    assert reach_geojson(prepare(tiny), (), ()) == {"type": "FeatureCollection", "features": []}


def test_roads_are_one_feature_per_way_with_its_name():
    network = prepare(nanjing_scenario()).network
    roads = roads_geojson(network)
    ways = {int(w) for w in network.drive.way_id}
    assert len(roads["features"]) == len(ways) == 207
    names = {f["properties"].get("name") for f in roads["features"]} - {None}
    assert len(names) == 110 and {"中山路", "中山东路", "中山南路"} <= names
    # every drive edge is drawn: the merged lines hold every edge's end points
    drawn = {(x, y) for f in roads["features"] for line in (
        [f["geometry"]["coordinates"]] if f["geometry"]["type"] == "LineString" else f["geometry"]["coordinates"])
        for x, y in line}
    ends = {(round(float(x), 6), round(float(y), 6)) for x, y in zip(network.drive.lon, network.drive.lat)}
    assert ends <= drawn
