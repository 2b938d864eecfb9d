"""A school that does not snap says why: a road is near but not driveable, or there is none."""

from __future__ import annotations

from conftest import GRID_LAT0, GRID_LON0, grid_node_id, write_grid_osm

from geo_patrol.cli import main


def _with_service_road(path) -> None:
    """The tiny grid plus a service road running 600 m east from its south-east corner."""
    text = path.read_text(encoding="utf-8").replace("</osm>", "")
    text += (f'  <node id="9002" lat="{GRID_LAT0:.6f}" lon="{GRID_LON0 + 0.014:.6f}"/>\n'
             f'  <way id="900"><nd ref="{grid_node_id(4, 0)}"/><nd ref="9002"/><tag k="highway" v="service"/></way>\n'
             '</osm>')
    path.write_text(text, encoding="utf-8")


def _school_at(tiny_dir, lon: float, lat: float) -> None:
    path = tiny_dir / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[3] = lines[3].replace("114.3060,30.5060", f"{lon:.4f},{lat:.4f}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_near_a_service_road_only(tiny_dir, capsys):
    _with_service_road(write_grid_osm(tiny_dir / "roads.osm"))
    _school_at(tiny_dir, GRID_LON0 + 0.014, GRID_LAT0)  # at the far end of the service road, 580 m from the grid
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "S3 第二中学 (row 4, 575 m: a road or path 0 m away is not in the drive network" in line


def test_no_road_at_all(tiny_dir, capsys):
    _school_at(tiny_dir, GRID_LON0 + 0.030, GRID_LAT0 + 0.030)
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 2
    (line,) = capsys.readouterr().err.strip().splitlines()
    assert "no road or path within 300 m" in line and "S3 第二中学" in line
