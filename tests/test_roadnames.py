"""Road names found in addresses, and the distance to the road an address names."""

from __future__ import annotations

import numpy as np
import pytest
from conftest import GRID_LAT0, GRID_LON0, write_grid_osm

from geo_patrol.network import load_network
from geo_patrol.roadnames import RoadNames

#: Three parallel east-west streets 0.001° (111.2 m) apart, one two-way and split into two ways.
WAYS = [  # (way id, node ids, name)
    (1, (1, 2), "高新大道"), (2, (2, 3), "高新大道"), (3, (4, 5, 6), "高新大道辅路"),
    (4, (7, 8, 9), "X044"), (5, (1, 4), "环路"), (6, (4, 7), "辅路"),
]


def _network(tmp_path):
    nodes = {1 + 3 * row + col: (GRID_LON0 + 0.001 * col, GRID_LAT0 + 0.001 * row)
             for row in range(3) for col in range(3)}
    lines = ['<?xml version="1.0" encoding="UTF-8"?>', '<osm version="0.6" generator="test">']
    lines += [f'  <node id="{n}" lon="{x:.6f}" lat="{y:.6f}"/>' for n, (x, y) in nodes.items()]
    for way, refs, name in WAYS:
        nds = "".join(f'<nd ref="{n}"/>' for n in refs)
        tag = "ref" if name.startswith("X") else "name"
        lines.append(f'  <way id="{way}">{nds}<tag k="highway" v="residential"/><tag k="{tag}" v="{name}"/></way>')
    lines += ['  <way id="7"><nd ref="3"/><nd ref="6"/><nd ref="9"/><tag k="highway" v="residential"/></way>', "</osm>"]
    (tmp_path / "roads.osm").write_text("\n".join(lines), encoding="utf-8")
    return load_network(tmp_path / "roads.osm")


def test_names_are_found_longest_first_with_route_numbers_and_without_generic_ones(tmp_path):
    roads = RoadNames.of(_network(tmp_path))
    assert roads.names == ("X044", "高新大道", "高新大道辅路")  # 环路 too short, 辅路 generic

    def named(text):
        return [roads.names[k] for k in roads.find(text)]
    assert named("高新大道辅路12号") == ["高新大道辅路"]
    assert named("高新大道与高新大道辅路交叉口东南150米") == ["高新大道", "高新大道辅路"]
    assert named("横花线与044县道交叉口东南150米") == ["X044"]
    assert named("Ｘ０44旁") == ["X044"]  # full-width letters and digits read as ASCII
    assert named("环路8号") == named("") == []


def test_distance_to_the_named_road(tmp_path):
    roads = RoadNames.of(_network(tmp_path))
    ids = [roads.find("高新大道1号"), roads.find("高新大道辅路"), (), roads.find("X044")]
    # all four points stand 0.0005° (55.6 m) north of the first street's middle
    lon, lat = np.full(4, GRID_LON0 + 0.0015), np.full(4, GRID_LAT0 + 0.0005)
    metres = roads.distance_m(lon, lat, ids)
    assert metres[0] == pytest.approx(55.6, abs=0.1) and metres[1] == pytest.approx(55.6, abs=0.1)
    assert np.isnan(metres[2]) and metres[3] == pytest.approx(166.8, abs=0.1)


def test_a_network_without_names(tmp_path):
    roads = RoadNames.of(load_network(write_grid_osm(tmp_path / "roads.osm")))
    assert roads.names == () and roads.find("纬01路1号") == ()
    assert np.isnan(roads.distance_m([GRID_LON0], [GRID_LAT0], [()])).all()
