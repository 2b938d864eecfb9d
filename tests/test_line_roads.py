"""Road line layers (shapefile, GeoPackage, GeoJSON) as road networks: geo_patrol.io.roads via load_network."""

from __future__ import annotations

import json
import logging
import re
import zipfile
from pathlib import Path

import geopandas as gpd
import networkx as nx
import numpy as np
import pytest
from conftest import GRID_LAT0, GRID_LON0, GRID_STEP, SCENARIO_TOML, read_rows, write_grid_osm
from shapely.geometry import LineString, MultiLineString, Point

from geo_patrol.cli import main
from geo_patrol.datum import from_wgs84
from geo_patrol.errors import NetworkError
from geo_patrol.geo import LocalMetres, haversine_m
from geo_patrol.io.roads import (
    CLASS_ALIASES,
    DEFAULT_CLASS,
    SNAP_TOLERANCE_M,
    direction_of,
    read_line_roads,
    road_class_of,
)
from geo_patrol.layers import roads_geojson
from geo_patrol.network import DEFAULT_SPEED_KPH, load_network, snap
from geo_patrol.plan import make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import load_scenario_network
from geo_patrol.traveltime import travel_times

LON0, LAT0, STEP = 114.300, 30.500, 0.002

# GDAL warns, in undecodable bytes, when it cuts a UTF-8 Chinese column name to 10 bytes on writing
pytestmark = pytest.mark.filterwarnings("ignore:Could not decode error message:RuntimeWarning")


def xy(i: float, j: float) -> tuple[float, float]:
    """Grid point i steps east and j steps north of the south-west corner (WGS-84)."""
    return (LON0 + i * STEP, LAT0 + j * STEP)


def grid3_rows() -> list[dict]:
    """3 × 3 grid with Chinese columns: three 主干路 east-west (南 one-way east, 北 one-way west,
    中 two-way with 限速 40) and three two-way 支路 north-south, each one line of three vertices."""
    rows = []
    for j, (name, direction, speed) in enumerate([("南环路", "正向", 0), ("中山路", "双向", 40), ("北环路", "反向", None)]):
        rows.append({"道路名称": name, "道路等级": "主干路", "方向": direction, "限速": speed,
                     "geometry": LineString([xy(i, j) for i in range(3)])})
    for i, name in enumerate(["西街", "中街", "东街"]):
        rows.append({"道路名称": name, "道路等级": "支路", "方向": "", "限速": None,
                     "geometry": LineString([xy(i, j) for j in range(3)])})
    return rows


def write_layer(rows: list[dict], path: Path, *, crs: int | None = 4326, encoding: str | None = None,
                keep_cpg: bool = True, layer: str | None = None) -> Path:
    frame = gpd.GeoDataFrame(rows, geometry="geometry", crs=crs)
    kwargs = {"encoding": encoding} if encoding else {}
    if layer:
        kwargs["layer"] = layer
    frame.to_file(path, **kwargs)
    if not keep_cpg:
        path.with_suffix(".cpg").unlink()
    return path


def rows_of(net, points) -> np.ndarray:
    """Drive rows of exact grid points (asserting each is a node)."""
    pts = np.asarray(points, dtype=float)
    rows, snap_m = snap(net, pts[:, 0], pts[:, 1])
    assert np.all(snap_m < 1e-3)
    return rows


def seconds(net, a, b) -> float:
    ra, rb = rows_of(net, [a, b])
    return travel_times(net, {"a": int(ra)}, {"b": int(rb)}, engine="scipy").get("a", "b")


def segment_s(a, b, speed_kph) -> float:
    return float(haversine_m(a[0], a[1], b[0], b[1])) / (speed_kph / 3.6)


# --------------------------------------------------------------------------------------------
# values


def test_class_and_direction_values():
    assert road_class_of("主干路") == road_class_of(" 主干道 ") == road_class_of("国道") == "primary"
    assert road_class_of("高速公路") == "motorway" and road_class_of("城市快速路") == "trunk"
    assert road_class_of("次干路") == road_class_of("省道") == "secondary"
    assert road_class_of("支路") == road_class_of("县道") == "tertiary"
    assert road_class_of("乡道") == road_class_of("村道") == "unclassified"
    assert road_class_of("小区路") == road_class_of("内部路") == "residential"
    assert road_class_of("Residential") == "residential" and road_class_of("track_grade3") == "track"
    assert road_class_of("匝道") is None and road_class_of("") is None and road_class_of(None) is None
    assert set(CLASS_ALIASES.values()) <= set(DEFAULT_SPEED_KPH) | {"pedestrian", "footway"}
    assert DEFAULT_CLASS == "road" and SNAP_TOLERANCE_M == 2.0
    for value in ("双向", 0, 0.0, "B", "both", "no", "", None, "N"):
        assert direction_of(value) == 0, value
    for value in ("正向", 1, 1.0, "F", "yes", "FT", "是", "单行"):
        assert direction_of(value) == 1, value
    for value in ("反向", -1, "-1", "T", "TF", "逆向"):
        assert direction_of(value) == -1, value
    assert direction_of(2) is None and direction_of("sometimes") is None


# --------------------------------------------------------------------------------------------
# a grid of named streets


def test_gbk_shapefile_without_cpg_with_chinese_fields(tmp_path):
    path = write_layer(grid3_rows(), tmp_path / "道路.shp", encoding="GBK", keep_cpg=False)
    assert not path.with_suffix(".cpg").exists()
    net = load_network(path)
    # 9 crossings; 6 lines × 2 segments; two one-way segments on each of 南环路 and 北环路
    assert net.summary() == {"source": str(path), "name": "道路.shp", "drive_nodes": 9, "drive_edges": 20,
                             "drive_length_km": pytest.approx(2.484, abs=5e-4), "walk_nodes": 9, "walk_edges": 12}
    assert net.drive.classes == ("primary", "tertiary")
    assert dict(net.way_names) == {1: "南环路", 2: "中山路", 3: "北环路", 4: "西街", 5: "中街", 6: "东街"}
    # 限速 40 on 中山路's 4 arcs only (0 and empty mean "not set")
    assert np.count_nonzero(net.drive.maxspeed_kph == 40.0) == 4
    assert np.count_nonzero(~np.isnan(net.drive.maxspeed_kph)) == 4
    # nodes are the vertices themselves, numbered 1..9 in (lon, lat) order
    assert net.drive.node_ids.tolist() == list(range(1, 10))
    assert np.allclose(net.drive.lon, [xy(i, j)[0] for i in range(3) for j in range(3)], atol=1e-12)


def test_utf8_shapefile_with_column_names_cut_at_10_bytes(tmp_path):
    path = write_layer(grid3_rows(), tmp_path / "roads.shp")  # UTF-8 with a .cpg: 道路名称 is 12 bytes
    assert path.with_suffix(".cpg").read_text() == "UTF-8"
    layer = read_line_roads(path)
    assert dict(layer.fields) == {"name": "道路名", "class": "道路等", "direction": "方向", "speed": "限速"}
    assert layer.raw.way_names[2] == "中山路"
    assert (layer.lines, layer.one_way, layer.ends_merged, layer.ends_moved, layer.warnings) == (6, 2, 0, 0, ())


def test_one_way_streets_each_way(tmp_path):
    net = load_network(write_layer(grid3_rows(), tmp_path / "roads.shp"))
    primary, tertiary, zhongshan = DEFAULT_SPEED_KPH["primary"], DEFAULT_SPEED_KPH["tertiary"], 40.0
    # 南环路 (正向, digitised west → east): A → B direct; B → A around by 中街, 中山路 (40 km/h), 西街
    a, b = xy(0, 0), xy(1, 0)
    assert seconds(net, a, b) == pytest.approx(segment_s(a, b, primary), rel=1e-12)
    around = segment_s(xy(1, 0), xy(1, 1), tertiary) + segment_s(xy(1, 1), xy(0, 1), zhongshan) \
        + segment_s(xy(0, 1), xy(0, 0), tertiary)
    assert seconds(net, b, a) == pytest.approx(around, rel=1e-12)
    assert seconds(net, b, a) > 3 * seconds(net, a, b)
    # 北环路 (反向): only east → west
    c, d = xy(0, 2), xy(1, 2)
    assert seconds(net, d, c) == pytest.approx(segment_s(d, c, primary), rel=1e-12)
    assert seconds(net, c, d) > 3 * seconds(net, d, c)
    # 中山路 two-way, both directions the same
    assert seconds(net, xy(0, 1), xy(1, 1)) == seconds(net, xy(1, 1), xy(0, 1))


def test_one_way_dead_end_is_unreachable_back(tmp_path):
    rows = grid3_rows() + [{"道路名称": "断头路", "道路等级": "支路", "方向": "正向", "限速": None,
                            "geometry": LineString([xy(2, 1), xy(3, 1)])}]
    net = load_network(write_layer(rows, tmp_path / "roads.shp"))
    # the one-way spur leads out of the strongly connected part: its end is dropped
    assert net.n_nodes == 9
    _, snap_m = snap(net, *xy(3, 1))
    assert snap_m[0] == pytest.approx(float(haversine_m(*xy(3, 1), *xy(2, 1))), rel=1e-9)


def test_names_in_roads_geojson_and_snapping(tmp_path):
    net = load_network(write_layer(grid3_rows(), tmp_path / "roads.gpkg", layer="道路"))
    features = roads_geojson(net)["features"]
    assert sorted(f["properties"]["name"] for f in features) == sorted(["南环路", "中山路", "北环路", "西街", "中街", "东街"])
    main_road = next(f for f in features if f["properties"]["name"] == "中山路")
    assert main_road["properties"]["highway"] == "primary"
    assert main_road["geometry"] == {"type": "LineString",
                                     "coordinates": [[round(x, 6), round(y, 6)] for x, y in (xy(0, 1), xy(1, 1), xy(2, 1))]}
    # a point 20 m north of the 中山路/中街 crossing snaps to that crossing
    local = LocalMetres.around(LON0, LAT0)
    rows, snap_m = snap(net, xy(1, 1)[0], xy(1, 1)[1] + 20.0 / local.ky)
    assert (net.drive.lon[rows[0]], net.drive.lat[rows[0]]) == pytest.approx(xy(1, 1), abs=1e-12)
    assert snap_m[0] == pytest.approx(20.0, rel=1e-6)  # LocalMetres and the great circle agree


def test_english_geojson_utf8_and_gbk_read_alike(tmp_path, caplog):
    rows = [
        {"NAME": "Jiefang Avenue 解放大道", "FCLASS": "primary", "ONEWAY": "B", "MAXSPEED": 60,
         "geometry": LineString([xy(0, 0), xy(1, 0), xy(2, 0)])},
        {"NAME": "Zhongshan Road 中山路", "FCLASS": "secondary", "ONEWAY": "F", "MAXSPEED": 0,
         "geometry": LineString([xy(2, 0), xy(2, 1)])},
        {"NAME": "Ring 环路", "FCLASS": "unknown", "ONEWAY": "T", "MAXSPEED": 0,
         "geometry": LineString([xy(0, 0), xy(0, 1), xy(2, 1)])},
        {"NAME": "", "FCLASS": "footway", "ONEWAY": "B", "MAXSPEED": 0,
         "geometry": LineString([xy(1, 0), xy(1, 1)])},
    ]
    utf8 = write_layer(rows, tmp_path / "roads.geojson")
    gbk = tmp_path / "roads_gbk.geojson"
    gbk.write_bytes(utf8.read_text(encoding="utf-8").encode("gb18030"))
    with caplog.at_level(logging.WARNING, logger="geo_patrol.network"):
        nets = [load_network(utf8), load_network(gbk)]
    assert "1 lines of an unknown class read as 'road': 'unknown' ×1" in caplog.text
    for net in nets:
        # a one-way ring A→B→C→D (F), D→…→A (T: against the digitised direction); the footway,
        # walk only, ends on the ring's segment (0,1)–(2,1), which gains a vertex (1,1) there
        assert (net.n_nodes, net.n_edges, net.walk.n_nodes, net.walk.n_arcs // 2) == (6, 8, 6, 7)
        assert net.walk.n_nodes == rows_of(net, [xy(1, 1)]).size + 5
        assert net.drive.classes == ("primary", "road", "secondary")
        assert dict(net.way_names) == {1: "Jiefang Avenue 解放大道", 2: "Zhongshan Road 中山路", 3: "Ring 环路"}
        assert sorted(set(net.drive.maxspeed_kph[~np.isnan(net.drive.maxspeed_kph)].tolist())) == [60.0]
    assert np.array_equal(nets[0].drive.travel_time_s, nets[1].drive.travel_time_s)


def test_multilinestring_parts_share_their_feature(tmp_path):
    rows = grid3_rows()
    rows[1]["geometry"] = MultiLineString([[xy(0, 1), xy(1, 1)], [xy(1, 1), xy(2, 1)]])
    net = load_network(write_layer(rows, tmp_path / "roads.gpkg"))
    assert (net.n_nodes, net.n_edges) == (9, 20)
    assert net.way_names[2] == "中山路"
    assert np.count_nonzero(net.drive.way_id == 2) == 4


def test_zipped_shapefile(tmp_path):
    shp = write_layer(grid3_rows(), tmp_path / "grid.shp", encoding="GBK", keep_cpg=False)
    archive = tmp_path / "roads.zip"
    with zipfile.ZipFile(archive, "w") as z:
        for ext in (".shp", ".shx", ".dbf", ".prj"):
            z.write(shp.with_suffix(ext), f"export/grid{ext}")
    net = load_network(archive)
    assert (net.n_nodes, net.n_edges) == (9, 20)
    assert net.way_names[2] == "中山路"


def test_fingerprint_follows_the_attributes(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first = load_network(write_layer(grid3_rows(), tmp_path / "a" / "roads.shp"))
    rows = grid3_rows()
    rows[1]["限速"] = 30  # only the .dbf differs
    second = load_network(write_layer(rows, tmp_path / "b" / "roads.shp"))
    assert (tmp_path / "a" / "roads.shp").read_bytes() == (tmp_path / "b" / "roads.shp").read_bytes()
    again = load_network(tmp_path / "a" / "roads.shp")
    assert first.fingerprint == again.fingerprint != second.fingerprint
    assert load_network(tmp_path / "a" / "roads.shp", snap_tolerance_m=0).fingerprint != first.fingerprint


# --------------------------------------------------------------------------------------------
# topology: near-miss ends


def near_miss_rows() -> list[dict]:
    """A main road (2 vertices, none in the middle), a side street stopping 1.5 m short of its
    middle, and a continuation starting 1.0 m east of its east end."""
    local = LocalMetres.around(LON0, LAT0)
    north_1_5m = 1.5 / local.ky
    east_1m = 1.0 / local.kx
    return [
        {"名称": "主路", "等级": "次干路", "geometry": LineString([xy(0, 0), xy(2, 0)])},
        {"名称": "支路一", "等级": "支路", "geometry": LineString([(xy(1, 0)[0], LAT0 + north_1_5m), xy(1, 1)])},
        {"名称": "延长线", "等级": "次干路", "geometry": LineString([(xy(2, 0)[0] + east_1m, LAT0), xy(3, 0)])},
    ]


def test_near_miss_ends_counted(tmp_path):
    layer = read_line_roads(write_layer(near_miss_rows(), tmp_path / "roads.shp"))
    assert (layer.ends_merged, layer.ends_moved) == (1, 1)
    assert dict(layer.fields) == {"name": "名称", "class": "等级", "direction": None, "speed": None}
    assert read_line_roads(tmp_path / "roads.shp", snap_tolerance_m=0).ends_merged == 0


@pytest.mark.parametrize("tolerance_m, nodes, arcs", [(None, 5, 8), (2.0, 5, 8), (1.2, 3, 4), (0.0, 2, 2)])
def test_near_miss_ends_closed_by_the_tolerance(tmp_path, tolerance_m, nodes, arcs):
    path = write_layer(near_miss_rows(), tmp_path / "roads.shp")
    net = load_network(path, snap_tolerance_m=tolerance_m)
    assert (net.n_nodes, net.n_edges) == (nodes, arcs)
    if nodes == 5:
        # the side street's end moved onto the main road, which gained a vertex there
        assert np.count_nonzero(net.drive.way_id == 1) == 4
        rows = rows_of(net, [xy(1, 0), xy(2, 0), xy(3, 0)])
        assert len(set(rows.tolist())) == 3
        assert seconds(net, xy(1, 1), xy(3, 0)) < np.inf
        assert net.walk.n_nodes == 5


# --------------------------------------------------------------------------------------------
# coordinates: datums and projected layers


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_web_map_datum_layer(tmp_path, datum):
    rows = grid3_rows()
    for row in rows:
        lon, lat = np.asarray(row["geometry"].coords).T
        row["geometry"] = LineString(np.column_stack(from_wgs84(lon, lat, datum)))
    path = write_layer(rows, tmp_path / "roads.gpkg")
    net = load_network(path, datum=datum)
    expected = np.array([xy(i, j) for i in range(3) for j in range(3)])
    assert (net.n_nodes, net.n_edges) == (9, 20)
    rows, snap_m = snap(net, expected[:, 0], expected[:, 1])
    assert len(set(rows.tolist())) == 9 and snap_m.max() < 0.001  # the exact inverse: < 1 mm
    undeclared = load_network(path)
    assert snap(undeclared, expected[:, 0], expected[:, 1])[1].min() > 100


@pytest.mark.parametrize("crs", [4547, 4490, 3857])
def test_projected_and_cgcs2000_layers(tmp_path, caplog, crs):
    # CGCS2000 / 3-degree Gauss-Kruger CM 114E (metres), CGCS2000 geographic, Web Mercator
    frame = gpd.GeoDataFrame(grid3_rows(), crs=4326).to_crs(crs)
    path = tmp_path / "roads.shp"
    frame.to_file(path)
    with caplog.at_level(logging.WARNING):
        net = load_network(path)
    assert caplog.text == ""  # CGCS2000 is taken as WGS-84 without a word
    expected = np.array([xy(i, j) for i in range(3) for j in range(3)])
    assert (net.n_nodes, net.n_edges) == (9, 20)
    rows, snap_m = snap(net, expected[:, 0], expected[:, 1])
    assert len(set(rows.tolist())) == 9 and snap_m.max() < 0.01  # centimetres


# --------------------------------------------------------------------------------------------
# the same network as OSM, and a whole plan on it


def grid5_rows() -> list[dict]:
    """The conftest tiny town (5 × 5 residential grid, write_grid_osm) as a line layer."""
    pt = [[(round(GRID_LON0 + i * GRID_STEP, 6), round(GRID_LAT0 + j * GRID_STEP, 6)) for j in range(5)]
          for i in range(5)]
    rows = [{"道路名称": f"纬{j}路", "道路等级": "小区路", "geometry": LineString([pt[i][j] for i in range(5)])}
            for j in range(5)]
    rows += [{"道路名称": f"经{i}路", "道路等级": "小区路", "geometry": LineString([pt[i][j] for j in range(5)])}
             for i in range(5)]
    return rows


def test_line_layer_and_osm_build_the_same_graph(tmp_path):
    osm = load_network(write_grid_osm(tmp_path / "roads.osm"))
    lines = load_network(write_layer(grid5_rows(), tmp_path / "roads.shp"))
    assert (lines.n_nodes, lines.n_edges, lines.walk.n_nodes, lines.walk.n_arcs) == (25, 80, 25, 80)
    assert (osm.n_nodes, osm.n_edges, osm.walk.n_nodes, osm.walk.n_arcs) == (25, 80, 25, 80)
    for name in ("lon", "lat"):
        assert np.allclose(getattr(lines.drive, name), getattr(osm.drive, name), rtol=0, atol=1e-9)
    for name in ("edge_u", "edge_v", "indptr"):
        assert np.array_equal(getattr(lines.drive, name), getattr(osm.drive, name))
    assert np.allclose(lines.drive.travel_time_s, osm.drive.travel_time_s, rtol=1e-9)
    assert lines.drive.classes == osm.drive.classes == ("residential",)


def use_line_layer(tiny_dir: Path, extra: str = "") -> Path:
    (tiny_dir / "roads.osm").unlink()
    write_layer(grid5_rows(), tiny_dir / "roads.shp", encoding="GBK", keep_cpg=False)
    toml = SCENARIO_TOML.replace('network = "roads.osm"', 'network = "roads.shp"' + extra)
    (tiny_dir / "scenario.toml").write_text(toml, encoding="utf-8")
    return tiny_dir / "scenario.toml"


def test_whole_plan_on_a_line_layer(tiny_dir, tiny_plan, tmp_path):
    scenario = Scenario.from_toml(use_line_layer(tiny_dir))
    assert scenario.network.path.name == "roads.shp"
    plan = make_plan(scenario, time_limit_s=2)
    for key in ("met", "met_strict", "schools_with_post", "posts", "police", "auxiliary", "cars_used"):
        assert plan.meta["summary"][key] == tiny_plan.meta["summary"][key], key
    assert all(plan.meta["summary"]["met"][p] == 3 for p in scenario.periods)
    names = {f["properties"].get("name") for f in plan.roads["features"]}
    assert names == {f"纬{j}路" for j in range(5)} | {f"经{i}路" for i in range(5)}
    out = plan.to_dir(tmp_path / "plan", documents=True, with_map=False)
    roads = json.loads((out / "roads.geojson").read_text(encoding="utf-8"))
    assert len(roads["features"]) == 10
    # the duty sheets name the street each post stands on
    html = (out / "duty_sheets.html").read_text(encoding="utf-8")
    posts = read_rows(out / "posts.csv")
    assert posts and html.count("最近道路") >= 1
    assert re.search(r"<th>最近道路</th><td>[纬经][0-4]路 \(\d+ 米\)</td>", html), html[:2000]


def test_scenario_network_datum_reaches_the_reader(tiny_dir):
    toml = use_line_layer(tiny_dir, '\nnetwork_datum = "gcj02"')
    rows = grid5_rows()
    for row in rows:
        lon, lat = np.asarray(row["geometry"].coords).T
        row["geometry"] = LineString(np.column_stack(from_wgs84(lon, lat, "gcj02")))
    write_layer(rows, tiny_dir / "roads.shp")
    scenario = Scenario.from_toml(toml)
    net = load_scenario_network(scenario)
    assert net.n_nodes == 65  # 25 junctions, and the middle of each of the 40 blocks (max_arc_m 120)
    assert np.abs(net.drive.lon.min() - GRID_LON0) < 1e-8 and np.abs(net.drive.lat.min() - GRID_LAT0) < 1e-8


# --------------------------------------------------------------------------------------------
# bad layers: one line on stderr, exit code 2


def _bad_points(d: Path) -> str:
    gpd.GeoDataFrame({"名称": ["a", "b"]}, geometry=[Point(xy(0, 0)), Point(xy(1, 1))], crs=4326).to_file(
        d / "roads.geojson")
    return "roads.geojson"


def _bad_empty(d: Path) -> str:
    (d / "roads.geojson").write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    return "roads.geojson"


def _bad_no_class(d: Path) -> str:
    rows = [{"NAME": r["道路名称"], "ID": k, "geometry": r["geometry"]} for k, r in enumerate(grid5_rows())]
    write_layer(rows, d / "roads.shp")
    return "roads.shp"


def _bad_class_codes(d: Path) -> str:
    rows = [{"道路名称": r["道路名称"], "道路等级": 3, "geometry": r["geometry"]} for r in grid5_rows()]
    write_layer(rows, d / "roads.shp", encoding="GBK", keep_cpg=False)
    return "roads.shp"


def _bad_footways(d: Path) -> str:
    rows = [{"道路名称": r["道路名称"], "道路等级": "人行道", "geometry": r["geometry"]} for r in grid5_rows()]
    write_layer(rows, d / "roads.gpkg")
    return "roads.gpkg"


def _bad_disconnected(d: Path) -> str:
    # ten short streets, none meeting another (ends 50 m apart): no junction at all
    rows = [{"道路名称": f"路{k}", "道路等级": "支路",
             "geometry": LineString([xy(0.5 * k, 0), (xy(0.5 * k, 0)[0] + 0.0004, LAT0 + 0.0004)])}
            for k in range(10)]
    write_layer(rows, d / "roads.gpkg")
    return "roads.gpkg"


def _bad_two_layers(d: Path) -> str:
    write_layer(grid5_rows(), d / "roads.gpkg", layer="道路")
    write_layer(grid5_rows(), d / "roads.gpkg", layer="规划道路")
    return "roads.gpkg"


def _bad_layer_name(d: Path) -> str:
    write_layer(grid5_rows(), d / "roads.gpkg", layer="道路")
    return 'roads.gpkg"\nnetwork_layer = "roads'


def _bad_no_prj(d: Path) -> str:
    gpd.GeoDataFrame(grid5_rows(), crs=4326).to_crs(4547).to_file(d / "roads.shp")
    (d / "roads.prj").unlink()
    return "roads.shp"


def _bad_no_dbf(d: Path) -> str:
    write_layer(grid5_rows(), d / "roads.shp")
    (d / "roads.dbf").unlink()
    return "roads.shp"


def _bad_corrupt(d: Path) -> str:
    (d / "roads.shp").write_bytes(b"\x00\x00\x27\x0a" + bytes(200))
    (d / "roads.dbf").write_bytes(b"not a dbf")
    (d / "roads.shx").write_bytes(b"not a shx")
    return "roads.shp"


def _bad_zip(d: Path) -> str:
    with zipfile.ZipFile(d / "roads.zip", "w") as z:
        z.writestr("readme.txt", "道路数据")
    return "roads.zip"


def _bad_osm_gcj02(d: Path) -> str:
    return 'roads.osm"\nnetwork_datum = "gcj02'


def _bad_osm_layer(d: Path) -> str:
    return 'roads.osm"\nnetwork_layer = "roads'


def _bad_datum_name(d: Path) -> str:
    write_layer(grid5_rows(), d / "roads.gpkg")
    return 'roads.gpkg"\nnetwork_datum = "mars'


BAD_LAYERS = {
    "points": (_bad_points, r"roads\.geojson: layer 'roads' has no line features \(2 features: Point\) — "
                            r"give the road centre lines"),
    "empty": (_bad_empty, r"roads\.geojson: layer 'roads' has no line features \(0 features"),
    "no class column": (_bad_no_class, r"roads\.shp, field 'class': no road class column; the layer's columns are: "
                                       r"NAME, ID — add or rename a column 道路等级"),
    "class codes": (_bad_class_codes, r"roads\.shp, field '道路等级': none of the values of the class column is a road "
                                      r"class this reader knows \('3' ×10\) — .*replace numeric codes"),
    "footways only": (_bad_footways, r"roads\.gpkg, field '道路等级': no line of a drivable class \(footway ×10\)"),
    "nothing connected": (_bad_disconnected, r"roads\.gpkg: the roads do not connect: .* holds 2 of 20 drive nodes — "
                                             r"lines must share end points"),
    "two line layers": (_bad_two_layers, r"roads\.gpkg, field 'network_layer': has 2 line layers \(道路, 规划道路\) .*"
                                         r"add network_layer = \"道路\""),
    "unknown layer": (_bad_layer_name, r"roads\.gpkg, field 'network_layer': has no layer 'roads'; its layers: "
                                       r"'道路' \(LineString\)"),
    "projected without .prj": (_bad_no_prj, r"roads\.shp: has no coordinate system \(no \.prj\) and its coordinates "
                                            r"are not degrees"),
    "missing .dbf": (_bad_no_dbf, r"roads\.shp: the shapefile's \.dbf file is missing .* copy roads\.dbf"),
    "corrupt": (_bad_corrupt, r"roads\.shp: cannot read the line layer \(.*\) — open it in QGIS"),
    "zip without a shapefile": (_bad_zip, r"roads\.zip: the zip file holds no shapefile \(\.shp\)"),
    "OSM in GCJ-02": (_bad_osm_gcj02, r"roads\.osm, field 'network_datum': an OpenStreetMap file is in WGS-84, but "
                                      r"the network datum is given as gcj02 — remove network_datum"),
    "OSM with a layer": (_bad_osm_layer, r"roads\.osm, field 'network_layer': network_layer 'roads' is given, but an "
                                         r"OpenStreetMap file has no layers"),
    "unknown datum": (_bad_datum_name, r"roads\.gpkg, field 'network_datum': unknown coordinate datum 'mars'"),
}


@pytest.mark.parametrize("case", list(BAD_LAYERS))
def test_bad_layers_through_the_cli(tiny_dir, capsys, case):
    write, pattern = BAD_LAYERS[case]
    network = write(tiny_dir)
    toml = SCENARIO_TOML.replace('network = "roads.osm"', f'network = "{network}"')
    (tiny_dir / "scenario.toml").write_text(toml, encoding="utf-8")
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1, err
    assert err.startswith("geo-patrol: error: ")
    assert re.search(pattern, err), err


def test_refused_layer_gives_its_error_without_the_warnings(tiny_dir, capsys):
    # unknown classes, unknown directions and a point would each warn; the layer is refused first
    rows = [{"道路名称": f"路{k}", "道路等级": "匝道" if k == 0 else "支路", "方向": "2" if k == 1 else "",
             "geometry": LineString([xy(0.5 * k, 0), (xy(0.5 * k, 0)[0] + 0.0004, LAT0 + 0.0004)])}
            for k in range(10)]
    rows.append({"道路名称": "点", "道路等级": "支路", "方向": "", "geometry": Point(xy(0, 1))})
    write_layer(rows, tiny_dir / "roads.gpkg")
    (tiny_dir / "scenario.toml").write_text(SCENARIO_TOML.replace("roads.osm", "roads.gpkg"), encoding="utf-8")
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "the roads do not connect" in err, err


def test_inspect_a_line_layer_scenario(tiny_dir, capsys):
    assert main(["inspect", str(use_line_layer(tiny_dir))]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    assert "roads.shp" in captured.out and "65 nodes" in captured.out


def test_bad_values_raise_network_errors(tmp_path):
    path = write_layer(grid3_rows(), tmp_path / "roads.shp")
    with pytest.raises(NetworkError, match=r"roads\.shp, field 'snap_tolerance_m': snap tolerance must be ≥ 0"):
        load_network(path, snap_tolerance_m=-1)
    with pytest.raises(NetworkError, match=r"roads\.shp, field 'network_layer': has no layer 'x'; its layers: 'roads'"):
        load_network(path, layer="x")
    with pytest.raises(NetworkError, match=r"nothere\.gpkg: road network file not found"):
        load_network(tmp_path / "nothere.gpkg")
    graph = nx.MultiDiGraph()
    graph.add_node(1, x=LON0, y=LAT0)
    graph.add_node(2, x=LON0 + STEP, y=LAT0)
    graph.add_edge(1, 2, highway="residential")
    nx.write_graphml(graph, tmp_path / "roads.graphml")
    with pytest.raises(NetworkError, match=r"roads\.graphml, field 'network_datum': a GraphML network is in WGS-84"):
        load_network(tmp_path / "roads.graphml", datum="bd09")
