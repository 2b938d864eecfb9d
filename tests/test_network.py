"""Tests of geo_patrol.network on a hand-written OSM file and on real extracts."""

from __future__ import annotations

import bz2
import gzip
import math
import os
import re
from pathlib import Path

import networkx as nx
import numpy as np
import pytest
import shapely
from conftest import GRID_LAT0, GRID_LON0, require_shared_data, write_grid_osm

from geo_patrol.errors import InputError, NetworkError
from geo_patrol.geo import EARTH_RADIUS_M
from geo_patrol.io.osm import RawWays, densify
from geo_patrol.network import (
    DEFAULT_SPEED_KPH,
    DRIVE_CLASSES,
    LINK_SPEED_FACTOR,
    RoadNetwork,
    cut_graph,
    download_network,
    load_network,
    network_from_graph,
    parse_maxspeed_kph,
    read_osm_schools,
    resolve_speeds,
    snap,
)
from geo_patrol.traveltime import route_path, travel_times


def nanjing_osm() -> Path:
    return require_shared_data("osm", "china", "nanjing_gulou_osm_bbox.osm")


def liechtenstein_pbf() -> Path:
    return require_shared_data("osm", "world", "liechtenstein-2013-08-03.osm.pbf")


# --------------------------------------------------------------------------------------------
# the hand-written network
#
#   6 ---- 5 ---- 4 --(roundabout 4→13→14→4)
#   |  \8/ |      ^
#   |  /   |      | oneway 3→4
#   1 ---- 2 ---- 3 → 7 (oneway, dead end)
#   12 motorway pair to/from 6;  9 private spur off 5;  20-21 an island far away

NODES = {
    1: (118.000, 32.000),
    2: (118.001, 32.000),
    3: (118.002, 32.000),
    4: (118.002, 32.001),
    5: (118.001, 32.001),
    6: (118.000, 32.001),
    7: (118.003, 32.000),
    8: (118.0005, 32.0005),
    9: (118.001, 32.002),
    12: (117.999, 32.001),
    13: (118.0025, 32.0015),
    14: (118.0015, 32.0015),
    20: (118.010, 32.010),
    21: (118.011, 32.010),
    30: (118.0005, 31.9990),
    31: (118.0040, 32.0000),
    32: (118.0050, 32.0000),
    33: (118.0050, 32.0010),
    34: (118.0040, 32.0010),
}
WAYS = [
    (100, [1, 2, 3], {"highway": "primary", "maxspeed": "60"}),
    (101, [3, 4], {"highway": "residential", "oneway": "yes", "maxspeed": "CN:urban"}),
    (102, [4, 5, 6], {"highway": "residential", "oneway": "reversible"}),
    (103, [6, 1], {"highway": "tertiary", "oneway": "-1"}),
    (104, [3, 7], {"highway": "secondary", "oneway": "yes"}),
    (105, [5, 2], {"highway": "service"}),
    (106, [1, 8, 5], {"highway": "footway"}),
    (107, [5, 9], {"highway": "residential", "access": "private"}),
    (108, [6, 12], {"highway": "motorway"}),
    (109, [12, 6], {"highway": "motorway"}),
    (110, [4, 13, 14, 4], {"highway": "residential", "junction": "roundabout"}),
    (111, [5, 6], {"highway": "living_street", "area": "yes"}),
    (112, [2, 5], {"highway": "primary_link", "maxspeed": "30 mph"}),
    (113, [20, 21], {"highway": "residential"}),
    (120, [31, 32, 33, 34, 31], {"building": "school", "name": "第一小学"}),
]
SCHOOL_NODE = (30, {"amenity": "school", "name": "幼儿园"})

EXPECTED_DRIVE_NODES = {1, 2, 3, 4, 5, 6, 12, 13, 14}
RESIDENTIAL_KPH = DEFAULT_SPEED_KPH["residential"]  # way 101's maxspeed CN:urban is no number
# (u, v): (way, class, speed_kph): the primary's own maxspeed 60, the link's 30 mph, else the class default
EXPECTED_DRIVE_EDGES = {
    (1, 2): (100, "primary", 60.0),
    (2, 1): (100, "primary", 60.0),
    (2, 3): (100, "primary", 60.0),
    (3, 2): (100, "primary", 60.0),
    (3, 4): (101, "residential", RESIDENTIAL_KPH),
    (4, 5): (102, "residential", RESIDENTIAL_KPH),
    (5, 4): (102, "residential", RESIDENTIAL_KPH),
    (5, 6): (102, "residential", RESIDENTIAL_KPH),
    (6, 5): (102, "residential", RESIDENTIAL_KPH),
    (1, 6): (103, "tertiary", DEFAULT_SPEED_KPH["tertiary"]),
    (6, 12): (108, "motorway", DEFAULT_SPEED_KPH["motorway"]),
    (12, 6): (109, "motorway", DEFAULT_SPEED_KPH["motorway"]),
    (4, 13): (110, "residential", RESIDENTIAL_KPH),
    (13, 14): (110, "residential", RESIDENTIAL_KPH),
    (14, 4): (110, "residential", RESIDENTIAL_KPH),
    (2, 5): (112, "primary_link", 30 * 1.609344),
    (5, 2): (112, "primary_link", 30 * 1.609344),
}
EXPECTED_WALK_NODES = {1, 2, 3, 4, 5, 6, 7, 8, 13, 14}
EXPECTED_WALK_EDGES = {
    (1, 2), (2, 3), (3, 4), (4, 5), (5, 6), (1, 6), (3, 7), (2, 5), (1, 8), (5, 8),
    (4, 13), (13, 14), (4, 14),
}


def osm_xml(nodes=NODES, ways=WAYS, school_node=SCHOOL_NODE, extra="") -> str:
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="hand">']
    for nid, (lon, lat) in nodes.items():
        if school_node and nid == school_node[0]:
            lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}">')
            lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in school_node[1].items()]
            lines.append("  </node>")
        else:
            lines.append(f'  <node id="{nid}" version="1" lat="{lat}" lon="{lon}"/>')
    for wid, refs, tags in ways:
        lines.append(f'  <way id="{wid}" version="1">')
        lines += [f'    <nd ref="{r}"/>' for r in refs]
        lines += [f'    <tag k="{k}" v="{v}"/>' for k, v in tags.items()]
        lines.append("  </way>")
    lines.append(extra)
    lines.append("</osm>")
    return "\n".join(lines) + "\n"


def hav(a: int, b: int) -> float:
    (lon1, lat1), (lon2, lat2) = NODES[a], NODES[b]
    p1, p2 = math.radians(lat1), math.radians(lat2)
    dphi, dlmb = p2 - p1, math.radians(lon2 - lon1)
    h = math.sin(dphi / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dlmb / 2) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(h))


@pytest.fixture(scope="module")
def tiny_path(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("tiny") / "tiny.osm"
    path.write_text(osm_xml(), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def tiny(tiny_path) -> RoadNetwork:
    return load_network(tiny_path)


@pytest.fixture(scope="module")
def nanjing() -> RoadNetwork:
    return load_network(nanjing_osm())


def edge_table(net: RoadNetwork) -> dict[tuple[int, int], int]:
    d = net.drive
    ids = d.node_ids
    return {(int(ids[u]), int(ids[v])): e for e, (u, v) in enumerate(zip(d.edge_u, d.edge_v))}


# --------------------------------------------------------------------------------------------
# tiny network: structure, one-ways, lengths, speeds, times


def test_tiny_drive_graph_is_the_strongly_connected_core(tiny):
    assert set(tiny.drive.node_ids.tolist()) == EXPECTED_DRIVE_NODES
    assert set(tiny.drive_graph.nodes) == EXPECTED_DRIVE_NODES
    assert set(edge_table(tiny)) == set(EXPECTED_DRIVE_EDGES)
    assert tiny.n_nodes == 9 and tiny.n_edges == 17
    assert tiny.drive_graph.number_of_edges() == 17
    assert nx.is_strongly_connected(tiny.drive_graph)
    # rows follow sorted OSM ids, node_index maps back
    assert tiny.drive.node_ids.tolist() == sorted(EXPECTED_DRIVE_NODES)
    assert all(tiny.drive.node_ids[r] == i for i, r in tiny.node_index.items())
    assert tiny.drive_graph.nodes[3]["x"] == 118.002 and tiny.drive_graph.nodes[3]["y"] == 32.0


def test_tiny_oneway_rules(tiny):
    edges = set(edge_table(tiny))
    assert (3, 4) in edges and (4, 3) not in edges  # oneway=yes
    assert (1, 6) in edges and (6, 1) not in edges  # oneway=-1 reverses the way
    assert {(4, 5), (5, 4)} <= edges  # oneway=reversible is two-way
    assert {(4, 13), (13, 14), (14, 4)} <= edges and not {(13, 4), (14, 13), (4, 14)} & edges  # roundabout
    assert {(6, 12), (12, 6)} <= edges  # two motorway carriageways, one-way each
    assert 7 not in tiny.node_index  # only reachable one way: not strongly connected
    assert 9 not in tiny.node_index  # access=private
    assert 20 not in tiny.node_index  # smaller island


def test_tiny_lengths_speeds_and_times_exact(tiny):
    d = tiny.drive
    for (a, b), e in edge_table(tiny).items():
        way, cls, speed = EXPECTED_DRIVE_EDGES[(a, b)]
        assert d.way_id[e] == way
        assert d.classes[d.class_code[e]] == cls
        assert d.length_m[e] == pytest.approx(hav(a, b), rel=1e-9)
        assert d.speed_kph[e] == pytest.approx(speed, rel=1e-9)
        assert d.travel_time_s[e] == pytest.approx(hav(a, b) / (speed / 3.6), rel=1e-9)
        attrs = tiny.drive_graph.edges[a, b, 0]
        assert attrs["length_m"] == d.length_m[e] and attrs["travel_time_s"] == d.travel_time_s[e]
        assert attrs["highway"] == cls and attrs["osmid"] == way
    # 0.001° of longitude at 32°N, by hand: 2R·asin(cos 32° · sin 0.0005°)
    assert d.length_m[edge_table(tiny)[(1, 2)]] == pytest.approx(
        2 * EARTH_RADIUS_M * math.asin(math.cos(math.radians(32)) * math.sin(math.radians(0.0005))), rel=1e-9)
    assert tiny.length_km == pytest.approx(
        sum(hav(a, b) for a, b in {tuple(sorted(k)) for k in EXPECTED_DRIVE_EDGES}) / 1000, rel=1e-9
    )


def test_tiny_walk_graph(tiny):
    w = tiny.walk
    assert set(w.node_ids.tolist()) == EXPECTED_WALK_NODES
    pairs = {tuple(sorted((int(w.node_ids[u]), int(w.node_ids[v])))) for u, v in zip(w.edge_u, w.edge_v)}
    assert pairs == EXPECTED_WALK_EDGES
    assert w.n_arcs == 2 * len(EXPECTED_WALK_EDGES)  # both directions stored
    assert set(tiny.walk_graph.nodes) == EXPECTED_WALK_NODES
    assert tiny.walk_graph.number_of_edges() == len(EXPECTED_WALK_EDGES)
    assert not tiny.walk_graph.is_directed()
    assert tiny.walk_graph.edges[1, 8]["length_m"] == pytest.approx(hav(1, 8), rel=1e-9)
    # the service road and the link between 2 and 5 are merged into one walk edge
    assert tiny.walk_graph.edges[2, 5]["highway"] == "service"
    m = tiny.walk_csr()
    assert (m != m.T).nnz == 0


def test_tiny_gz_and_bz2_and_xml_give_the_same_network(tiny, tiny_path, tmp_path):
    data = tiny_path.read_bytes()
    variants = {
        "t.osm.gz": gzip.compress(data),
        "t.osm.bz2": bz2.compress(data),
        "t.xml": data,
    }
    for name, content in variants.items():
        p = tmp_path / name
        p.write_bytes(content)
        other = load_network(p)
        for attr in ("node_ids", "edge_u", "edge_v", "length_m", "travel_time_s"):
            assert np.array_equal(getattr(other.drive, attr), getattr(tiny.drive, attr)), (name, attr)
        assert np.array_equal(other.walk.node_ids, tiny.walk.node_ids)
        assert other.source == str(p)


def test_speed_overrides_links_and_fingerprint(tiny_path, tiny):
    assert DEFAULT_SPEED_KPH["primary_link"] == pytest.approx(DEFAULT_SPEED_KPH["primary"] * LINK_SPEED_FACTOR)
    assert LINK_SPEED_FACTOR == 0.8 and DEFAULT_SPEED_KPH["living_street"] == 15
    speeds = resolve_speeds({"primary": 30})
    assert speeds["primary_link"] == pytest.approx(24.0) and speeds["secondary"] == DEFAULT_SPEED_KPH["secondary"]
    assert resolve_speeds({"primary": 30, "primary_link": 50})["primary_link"] == 50
    slow = load_network(tiny_path, speed_kph={"residential": 10}, use_maxspeed=False)
    e = edge_table(slow)
    assert slow.drive.speed_kph[e[(4, 5)]] == 10.0
    assert slow.drive.speed_kph[e[(1, 2)]] == DEFAULT_SPEED_KPH["primary"]  # maxspeed ignored
    assert slow.drive.speed_kph[e[(2, 5)]] == pytest.approx(DEFAULT_SPEED_KPH["primary_link"])
    assert slow.fingerprint != tiny.fingerprint
    assert load_network(tiny_path).fingerprint == tiny.fingerprint
    assert len(tiny.fingerprint) == 64
    with pytest.raises(InputError, match="speed for road class 'primary'"):
        resolve_speeds({"primary": -5})


def test_parse_maxspeed():
    assert parse_maxspeed_kph("50") == 50
    assert parse_maxspeed_kph("50 km/h") == 50
    assert parse_maxspeed_kph("30 mph") == pytest.approx(48.28032)
    assert parse_maxspeed_kph("60;40") == 40
    assert parse_maxspeed_kph(["60", "50"]) == 50
    assert parse_maxspeed_kph("['60', '50']") == 50
    for bad in ("CN:urban", "none", "walk", "", None, "0"):
        assert parse_maxspeed_kph(bad) is None


def test_congestion_factors(tiny):
    ff = tiny.drive.travel_time_s
    assert np.array_equal(tiny.edge_travel_time_s(1.0), ff)
    assert np.allclose(tiny.edge_travel_time_s(1.5), ff * 1.5, rtol=0, atol=0)
    f = tiny.edge_travel_time_s({"primary": 2.0, "residential": 1.25, "default": 1.1})
    cls = np.array(tiny.drive.classes)[tiny.drive.class_code]
    expected = np.where(
        (cls == "primary") | (cls == "primary_link"), 2.0, np.where(cls == "residential", 1.25, 1.1)
    )
    assert np.array_equal(f, ff * expected)
    with pytest.raises(InputError, match="no congestion factor for road class"):
        tiny.edge_travel_time_s({"primary": 2.0})
    with pytest.raises(InputError, match="congestion factor"):
        tiny.edge_travel_time_s(-1)


def test_snap_nearest_node(tiny):
    rows, dist = snap(tiny, [118.002, 118.001, 118.0], [32.0, 32.0001, 31.9])
    ids = tiny.drive.node_ids[rows].tolist()
    assert ids[:2] == [3, 2]
    assert dist[0] == pytest.approx(0.0, abs=1e-6)
    assert dist[1] == pytest.approx(2 * EARTH_RADIUS_M * math.asin(math.sin(math.radians(0.00005))), rel=1e-9)
    assert ids[2] == 1 and dist[2] > 11_000
    row, d = snap(tiny, 118.0005, 32.0005, graph="walk")
    assert tiny.walk.node_ids[row[0]] == 8 and d[0] == pytest.approx(0.0, abs=1e-6)
    with pytest.raises(InputError, match="no valid WGS-84 coordinates"):
        snap(tiny, [118.0, np.nan], [32.0, 32.0])
    with pytest.raises(InputError, match="graph must be"):
        snap(tiny, 118.0, 32.0, graph="bike")


def test_route_path_matches_networkx(tiny):
    g = tiny.drive_graph
    for a, b in [(1, 4), (4, 1), (12, 13), (3, 3)]:
        path = nx.shortest_path(g, a, b, weight="travel_time_s")
        coords = route_path(tiny, tiny.node_index[a], tiny.node_index[b], period_factor=1.0)
        assert coords == [NODES[n] for n in path]
    with pytest.raises(InputError, match="origin_row"):
        route_path(tiny, 99, 0)


def test_graphml_round_trip(tiny, tmp_path):
    import osmnx as ox

    p1 = tmp_path / "drive_nx.graphml"
    nx.write_graphml(tiny.drive_graph, p1)
    p2 = tmp_path / "drive_ox.graphml"
    ox.save_graphml(tiny.drive_graph, p2)
    for p in (p1, p2):
        back = load_network(p)
        for attr in ("node_ids", "lon", "lat", "edge_u", "edge_v", "length_m", "speed_kph", "travel_time_s",
                     "way_id"):
            assert np.array_equal(getattr(back.drive, attr), getattr(tiny.drive, attr)), (p.name, attr)
        assert back.drive.classes == tiny.drive.classes
        # the walk graph of a GraphML file is the drive graph, undirected, without motorways
        assert set(back.walk.node_ids.tolist()) == EXPECTED_DRIVE_NODES - {12}


def test_network_from_osmnx_style_graph(tmp_path):
    g = nx.MultiDiGraph(crs="epsg:4326")
    for n in (1, 2, 3):
        g.add_node(n, x=NODES[n][0], y=NODES[n][1])
    g.add_edge(1, 2, highway=["primary", "secondary"], length=100.0, osmid=[5, 6], name=["解放大道", "Jiefang"])
    g.add_edge(2, 1, highway="primary", length=100.0, osmid=5, maxspeed="50")
    g.add_edge(2, 3, highway="footway", length=100.0)  # not drivable: dropped
    net = network_from_graph(g, name="g")
    e = edge_table(net)
    assert set(e) == {(1, 2), (2, 1)}
    # a way tagged with two classes takes the first one's speed
    assert net.drive.speed_kph[e[(1, 2)]] == DEFAULT_SPEED_KPH["primary"] and net.drive.speed_kph[e[(2, 1)]] == 50
    assert net.drive.travel_time_s[e[(2, 1)]] == pytest.approx(100 / (50 / 3.6))
    assert net.drive.way_id[e[(1, 2)]] == 5
    assert net.fingerprint == network_from_graph(g, name="g").fingerprint
    # road names are kept by way id, and written to GraphML and read back
    assert dict(net.way_names) == {5: "解放大道"}
    nx.write_graphml(net.drive_graph, tmp_path / "named.graphml")
    assert dict(load_network(tmp_path / "named.graphml").way_names) == {5: "解放大道"}


# --------------------------------------------------------------------------------------------
# errors


def test_error_missing_file(tmp_path):
    with pytest.raises(NetworkError, match=r"nothere\.osm: road network file not found"):
        load_network(tmp_path / "nothere.osm")


def test_error_unknown_extension(tmp_path):
    p = tmp_path / "roads.dwg"
    p.write_text("x")
    with pytest.raises(NetworkError, match=r"^roads\.dwg: unknown road network format '\.dwg' — give an OpenStreetMap "
                                           r"file \(\.osm, .*\.osm\.pbf"):
        load_network(p)


@pytest.mark.parametrize(
    "name, content",
    [
        ("random.osm", os.urandom(4096)),
        ("random.osm.pbf", bytes(range(256)) * 16),
        ("notgzip.osm.gz", b"<osm>plain text, not gzip</osm>"),
        ("empty.osm", b""),
    ],
)
def test_error_corrupt_files(tmp_path, name, content):
    p = tmp_path / name
    p.write_bytes(content)
    with pytest.raises(NetworkError, match=re.escape(name) + r": cannot read the OpenStreetMap data .*again"):
        load_network(p)


def test_error_truncated_xml(tmp_path, tiny_path):
    data = tiny_path.read_bytes()
    p = tmp_path / "truncated.osm"
    p.write_bytes(data[: len(data) // 2])
    with pytest.raises(NetworkError, match=r"truncated\.osm: cannot read the OpenStreetMap data \(XML"):
        load_network(p)


def test_error_no_drivable_road(tmp_path):
    ways = [(1, [1, 8, 5], {"highway": "footway"}), (2, [5, 2], {"highway": "service"}),
            (3, [3, 4], {"building": "yes"})]
    p = tmp_path / "paths_only.osm"
    p.write_text(osm_xml(ways=ways), encoding="utf-8")
    with pytest.raises(NetworkError, match=r"paths_only\.osm: no drivable road \(highway=motorway.*residential.*"
                                           r"check that the extract covers the area and includes highways"):
        load_network(p)


def test_error_bad_graphml(tmp_path):
    p = tmp_path / "bad.graphml"
    p.write_text("<graphml><graph")
    with pytest.raises(NetworkError, match=r"bad\.graphml: cannot read the GraphML road network"):
        load_network(p)
    g = nx.DiGraph()
    g.add_edge("a", "b")
    p2 = tmp_path / "noxy.graphml"
    nx.write_graphml(g, p2)
    with pytest.raises(NetworkError, match=r"noxy\.graphml: graph nodes need integer ids"):
        load_network(p2)


def test_download_needs_place_or_bbox():
    with pytest.raises(NetworkError, match="give exactly one of place= or bbox="):
        download_network()
    with pytest.raises(NetworkError, match="give exactly one of place= or bbox="):
        download_network(place="鼓楼区", bbox=(118.7, 32.0, 118.8, 32.1))
    with pytest.raises(NetworkError, match="is not \\(west, south, east, north\\)"):
        download_network(bbox=(118.8, 32.0, 118.7, 32.1))


# --------------------------------------------------------------------------------------------
# real data


def test_nanjing_drive_and_walk(nanjing):
    # SOURCES.md: 803 nodes without the motor_vehicle=private/no rule; 800 with it
    assert nanjing.n_nodes == 800
    assert 1700 <= nanjing.n_edges <= 1800
    assert 60 <= nanjing.length_km <= 75
    assert nx.is_strongly_connected(nanjing.drive_graph)
    assert set(nanjing.drive.classes) <= set(DRIVE_CLASSES)
    assert 1200 <= nanjing.walk.n_nodes <= 1500
    assert np.all((nanjing.drive.lon > 118.75) & (nanjing.drive.lon < 118.81))
    assert np.all((nanjing.drive.lat > 32.02) & (nanjing.drive.lat < 32.07))


def test_nanjing_schools_snap_and_reach(nanjing):
    schools = read_osm_schools(nanjing_osm())
    assert [s["tags"]["amenity"] for s in schools] == ["school"] * 18  # amenity only: no campus toilets
    everything = read_osm_schools(nanjing_osm(), buildings=("school",))
    building_only = [s for s in everything if "amenity" not in s["tags"]]
    assert len(everything) == 67 and len(building_only) == 49
    by_name = {s["name"]: s for s in schools}
    assert by_name["人民中学"]["id"] == "node/1058331313"
    assert by_name["人民中学"]["lon"] == pytest.approx(118.7798897)
    lon = np.array([s["lon"] for s in schools])
    lat = np.array([s["lat"] for s in schools])
    rows, snap_m = snap(nanjing, lon, lat)
    assert np.all(snap_m < 200)  # measured: max 123 m, median 45 m
    assert np.median(snap_m) < 100
    dest = {s["id"]: int(r) for s, r in zip(schools, rows)}
    origins = {f"node{r}": r for r in (0, nanjing.n_nodes // 3, 2 * nanjing.n_nodes // 3, nanjing.n_nodes - 1)}
    tt = travel_times(nanjing, origins, dest, period_factor=1.0)
    assert tt.seconds.shape == (4, 18)
    assert np.all(np.isfinite(tt.seconds))
    assert tt.seconds.max() < 15 * 60  # a 3 km district
    assert tt.seconds.max() > 60
    peak = travel_times(nanjing, origins, dest, period_factor={"primary": 1.8, "default": 1.4})
    assert np.all(peak.seconds >= tt.seconds * 1.4 - 1e-9)
    assert np.all(peak.seconds <= tt.seconds * 1.8 + 1e-9)


def test_clipped_extract_loads(tmp_path):
    """Cut the node list to a bbox: ways then reference nodes that are not in the file."""
    text = nanjing_osm().read_text(encoding="utf-8")
    west, east, south, north = 118.770, 118.790, 32.038, 32.050
    out, skipping = [], False
    kept = dropped = 0
    for line in text.splitlines(keepends=True):
        if skipping:
            if line.strip() == "</node>":
                skipping = False
            continue
        m = re.match(r'\s*<node id="\d+" lat="([-\d.]+)" lon="([-\d.]+)"', line)
        if m:
            lat, lon = float(m.group(1)), float(m.group(2))
            if not (west <= lon <= east and south <= lat <= north):
                dropped += 1
                skipping = not line.rstrip().endswith("/>")
                continue
            kept += 1
        out.append(line)
    assert kept > 200 and dropped > 200
    p = tmp_path / "clipped.osm"
    p.write_text("".join(out), encoding="utf-8")
    net = load_network(p)
    assert 100 < net.n_nodes < 800
    assert nx.is_strongly_connected(net.drive_graph)
    assert np.all((net.drive.lon >= west) & (net.drive.lon <= east))
    assert np.all((net.drive.lat >= south) & (net.drive.lat <= north))
    schools = read_osm_schools(p)
    assert 0 < len(schools) < 18
    assert all(west - 0.01 <= s["lon"] <= east + 0.01 for s in schools)


def test_liechtenstein_pbf():
    pbf = liechtenstein_pbf()
    net = load_network(pbf)
    # SOURCES.md: 10,375 without the motor_vehicle=private/no rule
    assert 10_000 <= net.n_nodes <= 10_500
    assert nx.is_strongly_connected(net.drive_graph)
    assert net.walk.n_nodes > net.n_nodes
    schools = read_osm_schools(pbf)
    assert sum(s["tags"].get("amenity") == "school" for s in schools) == 16
    assert np.all((net.drive.lon > 9.4) & (net.drive.lon < 9.7))


def test_network_pickles_and_summarises(tiny):
    import pickle

    back = pickle.loads(pickle.dumps(tiny))
    assert back.fingerprint == tiny.fingerprint
    assert np.array_equal(back.drive.travel_time_s, tiny.drive.travel_time_s)
    assert snap(back, 118.002, 32.0)[0][0] == snap(tiny, 118.002, 32.0)[0][0]
    s = tiny.summary()
    assert (s["drive_nodes"], s["drive_edges"], s["walk_nodes"], s["walk_edges"]) == (9, 17, 10, 13)
    assert not tiny.drive.length_m.flags.writeable


# --------------------------------------------------------------------------------------------
# long straight stretches cut into pieces


def test_densify_cuts_long_segments_into_shared_equal_pieces():
    raw = RawWays(drive_u=[1, 2], drive_v=[2, 1], drive_way=[7, 7], drive_class=["primary"] * 2,
                  drive_maxspeed=["40", "40"], walk_u=[1], walk_v=[2], walk_way=[7], walk_class=["primary"],
                  coords={1: (114.300, 30.5), 2: (114.304, 30.5)})  # 383 m east–west
    out = densify(raw, 120.0)
    assert sorted(out.coords) == [1, 2, 3, 4, 5]  # four pieces of 96 m: three new nodes, ids above the file's
    assert list(zip(out.drive_u, out.drive_v)) == [(1, 3), (3, 4), (4, 5), (5, 2), (2, 5), (5, 4), (4, 3), (3, 1)]
    assert list(zip(out.walk_u, out.walk_v)) == [(1, 3), (3, 4), (4, 5), (5, 2)]  # the walk edge shares them
    assert out.drive_maxspeed == ["40"] * 8 and set(out.drive_class) == {"primary"} and set(out.drive_way) == {7}
    assert out.coords[4] == pytest.approx((114.302, 30.5))
    assert densify(raw, 0) is raw and densify(raw, 400.0).drive_u == raw.drive_u


def test_a_gate_mid_block_snaps_near_once_the_block_is_cut(tmp_path):
    write_grid_osm(tmp_path / "roads.osm", step=0.004)  # blocks of 383–444 m
    lon, lat = GRID_LON0 + 0.006, GRID_LAT0 + 0.0002  # 22 m north of a street, 192 m from the junctions
    as_drawn = load_network(tmp_path / "roads.osm")
    cut = load_network(tmp_path / "roads.osm", max_arc_m=120.0)
    assert snap(as_drawn, np.array([lon]), np.array([lat]))[1][0] > 190
    assert snap(cut, np.array([lon]), np.array([lat]))[1][0] < 30
    assert cut.n_nodes > as_drawn.n_nodes and cut.fingerprint != as_drawn.fingerprint
    assert cut.drive.length_m.max() <= 120.0 + 1e-6
    assert cut.drive.length_m.sum() == pytest.approx(as_drawn.drive.length_m.sum(), rel=1e-6)


def test_a_simplified_graph_is_cut_along_its_drawn_streets(tmp_path):
    """An osmnx-style street drawn as one edge with a bent geometry (383 m east, then 222 m north),
    two-way: cut into 6 pieces of about 100 m along the bend, shared by both directions."""
    line = shapely.LineString([(114.300, 30.500), (114.304, 30.500), (114.304, 30.502)])
    g = nx.MultiDiGraph()
    g.add_node(1, x=114.300, y=30.500)
    g.add_node(2, x=114.304, y=30.502)
    g.add_edge(1, 2, highway="residential", osmid=9, name="弯路", length=605.0, geometry=line)
    g.add_edge(2, 1, highway="residential", osmid=9, name="弯路", length=605.0, geometry=line.reverse())
    cut = cut_graph(g, 120.0)
    assert sorted(cut.nodes) == [1, 2, 3, 4, 5, 6, 7] and cut.number_of_edges() == 12
    assert {round(d["length"], 6) for _, _, d in cut.edges(data=True)} == {round(605.0 / 6, 6)}
    corner = [n for n in cut.nodes if abs(cut.nodes[n]["x"] - 114.304) < 1e-4 and abs(cut.nodes[n]["y"] - 30.500) < 3e-4]
    assert corner  # a cut lies near the bend: the pieces follow the drawn line, not the straight chord
    net = network_from_graph(g, max_arc_m=120.0)
    assert net.drive.n_nodes == 7 and net.drive.length_m.max() <= 605.0 / 6 + 1e-6
    assert network_from_graph(g).drive.n_nodes == 2 and cut_graph(g, 0) is g
    nx.write_graphml(net.drive_graph, tmp_path / "cut.graphml")  # a cut graph reads back as it is
    assert load_network(tmp_path / "cut.graphml").drive.n_nodes == 7


def test_cut_graph_edge_cases():
    # a projected graph (metres) is left for the loader's one-line error, not cut into millions of pieces
    metres = nx.MultiDiGraph()
    metres.add_node(1, x=500_000.0, y=3_300_000.0)
    metres.add_node(2, x=500_100.0, y=3_300_000.0)
    metres.add_edge(1, 2, highway="residential", length=100.0)
    assert cut_graph(metres, 120.0) is metres
    with pytest.raises(NetworkError, match="not WGS-84"):
        network_from_graph(metres, max_arc_m=120.0)
    # a short edge whose geometry is drawn from its head to its tail: the cut lies 32 m from the tail
    g = nx.MultiDiGraph()
    g.add_node(1, x=114.300, y=30.500)
    g.add_node(2, x=114.301, y=30.500)  # 96 m east
    g.add_edge(1, 2, highway="residential", osmid=1, geometry=shapely.LineString([(114.301, 30.5), (114.3005, 30.5003),
                                                                                 (114.300, 30.5)]))
    cut = cut_graph(g, 40.0)
    first = next(head for tail, head in cut.edges() if tail == 1)
    assert cut.nodes[first]["y"] > 30.5  # on the drawn bend, walked from node 1
    # a loop stays as drawn; two parallel arcs of one way keep their own cut nodes
    loop = nx.MultiDiGraph()
    loop.add_node(1, x=114.300, y=30.500)
    loop.add_edge(1, 1, highway="residential", osmid=2,
                  geometry=shapely.LineString([(114.3, 30.5), (114.303, 30.5), (114.303, 30.503), (114.3, 30.5)]))
    assert cut_graph(loop, 120.0).number_of_edges() == 1
    ring = nx.MultiDiGraph()
    ring.add_node(1, x=114.300, y=30.500)
    ring.add_node(2, x=114.304, y=30.500)
    ring.add_edge(1, 2, highway="primary", osmid=3, geometry=shapely.LineString([(114.3, 30.5), (114.302, 30.502),
                                                                                (114.304, 30.5)]))
    ring.add_edge(2, 1, highway="primary", osmid=3, geometry=shapely.LineString([(114.304, 30.5), (114.302, 30.498),
                                                                                (114.3, 30.5)]))
    cut = cut_graph(ring, 120.0)
    north = {n for n in cut.nodes if cut.nodes[n]["y"] > 30.5}
    south = {n for n in cut.nodes if cut.nodes[n]["y"] < 30.5}
    assert north and south and not north & south
