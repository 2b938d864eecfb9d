"""Tests of the demo county generator (``tools/make_demo.py``).

The files are read here with the standard library only (ElementTree, csv, tomllib), not with
geo_patrol's loaders, so that these tests check the files themselves.
"""

from __future__ import annotations

import csv
import dataclasses
import gzip
import importlib.util
import io
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
import tomllib
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components
from shapely import STRtree
from shapely.geometry import LineString

from geo_patrol.errors import InputError
from geo_patrol.geo import haversine_m
from geo_patrol.model import Parameters

REPO = Path(__file__).resolve().parents[1]
_spec = importlib.util.spec_from_file_location("make_demo", REPO / "tools" / "make_demo.py")
make_demo_module = sys.modules.setdefault("make_demo", importlib.util.module_from_spec(_spec))
_spec.loader.exec_module(make_demo_module)
DEFAULT_SEED, DEMO_FILES, DRIVE_HIGHWAYS = (make_demo_module.DEFAULT_SEED, make_demo_module.DEMO_FILES,
                                            make_demo_module.DRIVE_HIGHWAYS)
main, make_demo = make_demo_module.main, make_demo_module.make_demo
COMMITTED = REPO / "data" / "demo"


@dataclasses.dataclass(frozen=True)
class Osm:
    nodes: dict[int, tuple[float, float]]  # id -> (lon, lat)
    ways: list[tuple[list[int], dict[str, str]]]
    root_attrib: dict[str, str]

    @property
    def drive_ways(self) -> list[tuple[list[int], dict[str, str]]]:
        return [w for w in self.ways if w[1].get("highway") in DRIVE_HIGHWAYS]


def read_osm(path: Path) -> Osm:
    with gzip.open(path) as f:
        root = ET.parse(f).getroot()
    nodes = {int(n.get("id")): (float(n.get("lon")), float(n.get("lat"))) for n in root.iter("node")}
    ways = [([int(nd.get("ref")) for nd in w.iter("nd")], {t.get("k"): t.get("v") for t in w.iter("tag")})
            for w in root.iter("way")]
    return Osm(nodes, ways, dict(root.attrib))


def read_schools(folder: Path) -> list[dict[str, str]]:
    text = (folder / "schools.csv").read_bytes().decode("gb18030")
    return list(csv.DictReader(io.StringIO(text)))


def minutes(clock: str) -> int:
    hours, mins = clock.split(":")
    return int(hours) * 60 + int(mins)


def window(text: str) -> tuple[int, int]:
    start, end = text.split("-")
    return minutes(start), minutes(end)


def gate_points(schools: list[dict[str, str]]) -> list[tuple[float, float]]:
    points = []
    for row in schools:
        points.append((float(row["经度"]), float(row["纬度"])))
        for extra in filter(None, (g.strip() for g in row["其他校门"].split(";"))):
            lon, lat = extra.split()
            points.append((float(lon), float(lat)))
    return points


@pytest.fixture(scope="module")
def twice(tmp_path_factory) -> tuple[Path, Path]:
    """The default demo generated twice into two fresh folders."""
    first = tmp_path_factory.mktemp("demo_a")
    second = tmp_path_factory.mktemp("demo_b")
    assert make_demo(first) == first / "scenario.toml"
    make_demo(second, seed=DEFAULT_SEED)
    return first, second


@pytest.fixture(scope="module")
def seed7(tmp_path_factory) -> Path:
    """The demo for another seed, written through the command-line entry."""
    folder = tmp_path_factory.mktemp("demo_seed7")
    assert main([str(folder), "--seed", "7"]) == 0
    return folder


@pytest.fixture(scope="module", params=["default", "seed7"])
def demo(request, twice, seed7) -> Path:
    return twice[0] if request.param == "default" else seed7


@pytest.fixture(scope="module")
def osm(demo) -> Osm:
    return read_osm(demo / "roads.osm.gz")


# --------------------------------------------------------------------------- determinism


def test_same_seed_writes_identical_bytes(twice):
    first, second = twice
    for name in DEMO_FILES:
        assert (first / name).read_bytes() == (second / name).read_bytes(), name


def test_other_seed_writes_another_county(twice, seed7):
    assert (twice[0] / "roads.osm.gz").read_bytes() != (seed7 / "roads.osm.gz").read_bytes()
    assert (twice[0] / "schools.csv").read_bytes() != (seed7 / "schools.csv").read_bytes()
    assert 'seed = 7 ' in (seed7 / "scenario.toml").read_text(encoding="utf-8")


def test_committed_demo_equals_what_the_code_generates(twice):
    generated = twice[0]
    for name in DEMO_FILES:
        committed = COMMITTED / name
        assert committed.is_file(), f"data/demo/{name} is missing: run python tools/make_demo.py data/demo"
        if name.endswith(".gz"):
            # compare the content: gzip bytes could differ with another zlib build
            assert gzip.decompress(committed.read_bytes()) == gzip.decompress((generated / name).read_bytes())
        else:
            assert committed.read_bytes() == (generated / name).read_bytes(), (
                f"data/demo/{name} drifted from geo_patrol.demo: run python tools/make_demo.py data/demo")


def test_committed_demo_is_small():
    assert sum(p.stat().st_size for p in COMMITTED.iterdir()) < 3_000_000


def test_gzip_header_has_no_timestamp_or_name(twice):
    data = (twice[0] / "roads.osm.gz").read_bytes()
    assert data[:2] == b"\x1f\x8b"
    assert data[3] & 0x08 == 0  # no FNAME
    assert data[4:8] == b"\x00\x00\x00\x00"  # MTIME = 0


# --------------------------------------------------------------------------- road network


def test_osm_header_and_tags(osm):
    assert osm.root_attrib == {"version": "0.6", "generator": "geo_patrol demo"}
    classes = {tags["highway"] for _, tags in osm.ways}
    assert {"trunk", "primary", "secondary", "tertiary", "residential", "unclassified", "footway"} <= classes
    for nodes, tags in osm.drive_ways:
        assert tags["name"] and any("\u4e00" <= ch <= "\u9fff" for ch in tags["name"])
        assert len(nodes) >= 2
    assert sum("maxspeed" in tags for _, tags in osm.drive_ways) >= 5


def test_osm_has_no_timestamps(demo):
    text = gzip.decompress((demo / "roads.osm.gz").read_bytes()).decode("utf-8")
    assert "timestamp" not in text
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="geo_patrol demo">')


def test_at_least_ten_thousand_drive_nodes(demo, osm):
    text = gzip.decompress((demo / "roads.osm.gz").read_bytes()).decode("utf-8")
    assert text.count("<node ") >= 10_000
    drive_nodes = {n for nodes, _ in osm.drive_ways for n in nodes}
    assert len(drive_nodes) >= 10_000
    assert drive_nodes <= set(osm.nodes)


def test_nodes_every_50_to_120_m_along_streets(osm):
    lon = np.array([osm.nodes[a][0] for nodes, _ in osm.drive_ways for a in nodes[:-1]])
    lat = np.array([osm.nodes[a][1] for nodes, _ in osm.drive_ways for a in nodes[:-1]])
    lon2 = np.array([osm.nodes[b][0] for nodes, _ in osm.drive_ways for b in nodes[1:]])
    lat2 = np.array([osm.nodes[b][1] for nodes, _ in osm.drive_ways for b in nodes[1:]])
    spacing_m = haversine_m(lon, lat, lon2, lat2)
    assert spacing_m.max() <= 125.0
    assert np.percentile(spacing_m, 5) >= 45.0  # only a few short stubs where a street meets the ring


def test_county_extent(osm):
    lons = np.array([p[0] for p in osm.nodes.values()])
    lats = np.array([p[1] for p in osm.nodes.values()])
    assert 114.0 < lons.min() and lons.max() < 117.0 and 28.0 < lats.min() and lats.max() < 31.0
    width_m = haversine_m(lons.min(), lats.mean(), lons.max(), lats.mean())
    height_m = haversine_m(lons.mean(), lats.min(), lons.mean(), lats.max())
    assert 38_000 < width_m < 42_000 and 28_000 < height_m < 32_000


def test_drive_network_is_one_strongly_connected_component(osm):
    index = {n: k for k, n in enumerate(sorted({n for nodes, _ in osm.drive_ways for n in nodes}))}
    rows, cols = [], []
    for nodes, tags in osm.drive_ways:
        for a, b in zip(nodes[:-1], nodes[1:]):
            rows.append(index[a])
            cols.append(index[b])
            if tags.get("oneway") != "yes":
                rows.append(index[b])
                cols.append(index[a])
    graph = coo_matrix((np.ones(len(rows)), (rows, cols)), shape=(len(index), len(index)))
    count, _ = connected_components(graph, directed=True, connection="strong")
    assert count == 1


def test_one_way_streets_come_in_opposite_pairs(osm):
    one_way = [(nodes, tags) for nodes, tags in osm.drive_ways if tags.get("oneway") == "yes"]
    assert len(one_way) >= 2 and len(one_way) % 2 == 0


def test_footways_join_the_drive_network(osm):
    drive_nodes = {n for nodes, _ in osm.drive_ways for n in nodes}
    footways = [nodes for nodes, tags in osm.ways if tags["highway"] == "footway"]
    assert len(footways) >= 20
    assert all(nodes[0] in drive_nodes for nodes in footways)


def test_ways_meet_only_at_shared_nodes(osm):
    segments, ends = [], []
    for nodes, _ in osm.ways:
        for a, b in zip(nodes[:-1], nodes[1:]):
            segments.append(LineString([osm.nodes[a], osm.nodes[b]]))
            ends.append({a, b})
    tree = STRtree(segments)
    left, right = tree.query(segments, predicate="intersects")
    crossings = [(i, j) for i, j in zip(left.tolist(), right.tolist()) if i < j and not ends[i] & ends[j]]
    assert crossings == []


# --------------------------------------------------------------------------- schools


def test_schools_csv_is_gb18030_not_utf8(demo):
    data = (demo / "schools.csv").read_bytes()
    with pytest.raises(UnicodeDecodeError):
        data.decode("utf-8")
    text = data.decode("gb18030")
    assert text.splitlines()[0] == "学校编号,学校名称,类型,经度,纬度,在校人数,优先级,上学时间,放学时间,课后服务放学,周五放学,必设岗,禁设岗,其他校门"


def test_school_counts_and_mix(demo):
    schools = read_schools(demo)
    assert len(schools) >= 150
    assert len({s["学校编号"] for s in schools}) == len(schools)
    assert len({s["学校名称"] for s in schools}) == len(schools)
    kinds = [s["类型"] for s in schools]
    share = {k: kinds.count(k) / len(kinds) for k in set(kinds)}
    assert set(kinds) == {"幼儿园", "小学", "初中", "九年一贯制", "高中", "特殊教育"}
    assert 0.40 <= share["幼儿园"] <= 0.50 and 0.30 <= share["小学"] <= 0.40 and 0.09 <= share["初中"] <= 0.15
    assert 2 <= kinds.count("高中") <= 4 and kinds.count("特殊教育") == 1
    ranges = {"幼儿园": (80, 400), "小学": (300, 2500), "初中": (600, 2000), "高中": (1500, 3500)}
    for s in schools:
        low, high = ranges.get(s["类型"], (1, 3500))
        assert low <= int(s["在校人数"]) <= high, s["学校名称"]
        assert 1 <= int(s["优先级"]) <= 5
        assert s["必设岗"] in ("是", "否") and s["禁设岗"] in ("是", "否")
    assert 3 <= sum(s["必设岗"] == "是" for s in schools) <= 20
    assert 1 <= sum(s["禁设岗"] == "是" for s in schools) <= 2
    assert not any(s["必设岗"] == "是" and s["禁设岗"] == "是" for s in schools)
    assert all(s["优先级"] == "5" for s in schools if s["类型"] == "高中")
    assert sum(bool(s["其他校门"]) for s in schools) >= 3


def test_bell_times_follow_the_kind(demo):
    schools = read_schools(demo)
    mean_start = {}
    mean_end = {}
    for kind in ("初中", "小学", "幼儿园"):
        rows = [s for s in schools if s["类型"] == kind]
        mean_start[kind] = np.mean([window(s["上学时间"])[0] for s in rows])
        mean_end[kind] = np.mean([window(s["放学时间"])[1] for s in rows])
    assert mean_start["初中"] < mean_start["小学"] < mean_start["幼儿园"]
    assert mean_end["初中"] > mean_end["小学"]
    for s in schools:
        for text in (s["上学时间"], s["放学时间"]):
            start, end = window(text)
            assert start % 5 == 0 and end % 5 == 0
            assert 30 <= end - start <= 50
        assert window(s["上学时间"])[1] < window(s["放学时间"])[0]
    starts = {window(s["上学时间"]) for s in schools if s["类型"] == "小学"}
    assert len(starts) >= 5  # varied per school


def test_every_gate_is_within_100_m_of_a_drive_node(demo, osm):
    drive = np.array([osm.nodes[n] for n in sorted({n for nodes, _ in osm.drive_ways for n in nodes})])
    gates = gate_points(read_schools(demo))
    nearest_m = [float(haversine_m(lon, lat, drive[:, 0], drive[:, 1]).min()) for lon, lat in gates]
    assert len(gates) > len(read_schools(demo))  # extra gates were checked too
    assert max(nearest_m) <= 100.0


def test_some_schools_stand_side_by_side(demo):
    gates = np.array([(float(s["经度"]), float(s["纬度"])) for s in read_schools(demo)])
    close = 0
    for k, (lon, lat) in enumerate(gates):
        d = haversine_m(lon, lat, gates[:, 0], gates[:, 1])
        d[k] = np.inf
        close += bool(d.min() < 120.0)
    assert close >= 10  # pairs one post can cover (post radius 150 m)


# --------------------------------------------------------------------------- stations, sites, scenario


def test_stations(demo, osm):
    data = (demo / "stations.csv").read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"))))
    assert list(rows[0]) == ["派出所编号", "派出所", "经度", "纬度", "民警", "辅警", "警车"]
    assert len(rows) >= 6
    assert all(r["派出所"].endswith("派出所") for r in rows)
    for r in rows:
        assert 12 <= int(r["民警"]) <= 40 and 15 <= int(r["辅警"]) <= 50 and 2 <= int(r["警车"]) <= 6
    assert 12 <= sum(int(r["警车"]) for r in rows) <= 25
    drive_nodes = {n for nodes, _ in osm.drive_ways for n in nodes}
    on_road = {(f"{osm.nodes[n][0]:.7f}", f"{osm.nodes[n][1]:.7f}") for n in drive_nodes}
    assert all((r["经度"], r["纬度"]) in on_road for r in rows)


def test_sites(demo):
    rows = list(csv.DictReader(io.StringIO((demo / "sites.csv").read_bytes().decode("utf-8"))))
    assert list(rows[0]) == ["id", "name", "lon", "lat", "existing"]
    assert 5 <= len(rows) <= 15
    assert len({r["name"] for r in rows}) == len(rows)
    existing = [r for r in rows if r["existing"] == "yes"]
    assert 2 <= len(existing) < len(rows)
    assert all(r["existing"] in ("yes", "no") for r in rows)
    gates = np.array(gate_points(read_schools(demo)))
    for r in existing:
        assert "治安岗亭" in r["name"]
        assert haversine_m(float(r["lon"]), float(r["lat"]), gates[:, 0], gates[:, 1]).min() < 100.0


def test_scenario_file(demo):
    config = tomllib.loads((demo / "scenario.toml").read_text(encoding="utf-8"))
    inputs = config["inputs"]
    for key in ("schools", "stations", "sites", "network"):
        assert (demo / inputs[key]).is_file()
    assert inputs["network"] == "roads.osm.gz"
    assert {inputs[k] for k in ("schools_datum", "stations_datum", "sites_datum")} == {"wgs84"}
    assert config["scenario"]["timezone"] == "Asia/Shanghai"
    # "these are the defaults, spelt out": every parameter the file names has the package default
    params = config["parameters"]
    defaults = dataclasses.asdict(Parameters())
    assert {"post_radius_m", "max_snap_m", "target_profile", "congestion"} <= set(params)
    assert params == {key: defaults[key] for key in params}
    readme = (demo / "README.md").read_text(encoding="utf-8")
    assert "python tools/make_demo.py" in readme and f"{len(read_schools(demo))} schools" in readme


# --------------------------------------------------------------------------- errors


def test_bad_seed_is_an_input_error(tmp_path):
    with pytest.raises(InputError, match="seed -1 is not a non-negative integer"):
        make_demo(tmp_path, seed=-1)
    with pytest.raises(InputError, match="seed '3' is not"):
        make_demo(tmp_path, seed="3")


def test_output_folder_that_is_a_file_is_an_input_error(tmp_path):
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    with pytest.raises(InputError, match="taken: cannot write the demo there .* give a folder you can write to"):
        make_demo(target)


def test_cli_reports_input_errors_with_exit_code_2(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("x", encoding="utf-8")
    assert main([str(target)]) == 2
    assert "cannot write the demo there" in capsys.readouterr().err

