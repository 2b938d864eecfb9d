"""Shared fixtures: a tiny hand-checkable town written as the files a planner brings."""

from __future__ import annotations

import csv
import dataclasses
from pathlib import Path

import pytest

from geo_patrol.plan import Plan, make_plan
from geo_patrol.scenario import Scenario

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"

#: The tiny town: a 5 × 5 grid of two-way residential streets, 0.002° apart (≈ 192 m east-west,
#: ≈ 222 m north-south at 30.5°N), south-west corner at 114.300°E 30.500°N.
GRID_LON0, GRID_LAT0, GRID_STEP = 114.300, 30.500, 0.002


def grid_node_id(i: int, j: int) -> int:
    return 1000 + 10 * i + j


def write_grid_osm(path: Path, *, n: int = 5, highway: str = "residential", step: float = GRID_STEP,
                   named: bool = False) -> Path:
    """Write an n × n street grid as OSM XML (node ids 1000 + 10·i + j; i east, j north), streets
    ``step`` degrees apart; ``named``: the street through row j is 纬{j+1:02d}路, through column i
    经{i+1:02d}路 (node ids need n ≤ 10 unless ``named``, which numbers them 1000 + 1000·i + j)."""
    node = (lambda i, j: 1000 + 1000 * i + j) if named else grid_node_id
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    for i in range(n):
        for j in range(n):
            lines.append(
                f'  <node id="{node(i, j)}" lat="{GRID_LAT0 + j * step:.6f}" '
                f'lon="{GRID_LON0 + i * step:.6f}"/>'
            )
    way = 1
    for j in range(n):
        refs = "".join(f'<nd ref="{node(i, j)}"/>' for i in range(n))
        name = f'<tag k="name" v="纬{j + 1:02d}路"/>' if named else ""
        lines.append(f'  <way id="{way}">{refs}<tag k="highway" v="{highway}"/>{name}</way>')
        way += 1
    for i in range(n):
        refs = "".join(f'<nd ref="{node(i, j)}"/>' for j in range(n))
        name = f'<tag k="name" v="经{i + 1:02d}路"/>' if named else ""
        lines.append(f'  <way id="{way}">{refs}<tag k="highway" v="{highway}"/>{name}</way>')
        way += 1
    lines.append("</osm>")
    path.write_text("\n".join(lines), encoding="utf-8")
    return path


SCHOOLS_CSV = """学校编号,学校名称,类型,经度,纬度,在校人数,优先级,上学时间,放学时间,必设岗,禁设岗
S1,第一小学,小学,114.3020,30.5020,900,4,07:30-08:10,16:00-16:40,是,否
S2,实验幼儿园,幼儿园,114.3021,30.5021,200,3,08:00-08:40,16:30-17:10,否,否
S3,第二中学,初中,114.3060,30.5060,1200,5,07:00-07:40,17:20-18:00,否,否
"""

STATIONS_CSV = """派出所编号,派出所,经度,纬度,民警,辅警,警车
P1,城关派出所,114.3000,30.5000,10,12,2
"""

SCENARIO_TOML = """[scenario]
name = "tiny town"
seed = 7

[inputs]
schools = "schools.csv"
stations = "stations.csv"
network = "roads.osm"
"""


def as_drawn(scenario: Scenario) -> Scenario:
    """The scenario with its roads as the file draws them (``max_arc_m = 0``: no stretch cut into
    pieces), for tests that count the tiny town's grid nodes."""
    return dataclasses.replace(scenario, parameters=dataclasses.replace(scenario.parameters, max_arc_m=0.0))


@pytest.fixture
def tiny_dir(tmp_path: Path) -> Path:
    """A folder holding a complete tiny scenario: roads.osm, schools.csv, stations.csv, scenario.toml."""
    write_grid_osm(tmp_path / "roads.osm")
    (tmp_path / "schools.csv").write_text(SCHOOLS_CSV, encoding="utf-8")
    (tmp_path / "stations.csv").write_text(STATIONS_CSV, encoding="utf-8")
    (tmp_path / "scenario.toml").write_text(SCENARIO_TOML, encoding="utf-8")
    return tmp_path


@pytest.fixture
def tiny(tiny_dir: Path) -> Scenario:
    """The tiny town loaded from its scenario file."""
    return Scenario.from_toml(tiny_dir / "scenario.toml")


@pytest.fixture
def tiny_plan(tiny: Scenario) -> Plan:
    """The tiny town planned with the default model (fewest posts covering every school)."""
    return make_plan(tiny, time_limit_s=2)


def read_rows(path: Path) -> list[dict[str, str]]:
    """The rows of a CSV file the package wrote (UTF-8 with BOM), as dicts of text."""
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def require_shared_data(*parts: str) -> Path:
    """``../shared/data`` (or a path inside it); skips the test when it is not there."""
    path = SHARED_DATA.joinpath(*parts)
    if not path.exists():
        pytest.skip(f"shared data not found at {path}")
    return path
