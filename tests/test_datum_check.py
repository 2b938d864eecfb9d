"""The datum check on real data: an Amap (GCJ-02) school list loaded as WGS-84 is noticed.

The Wuhan school POIs of ../shared/data come with both GCJ-02 (XGCJ/YGCJ) and WGS-84 columns; the
Optics Valley OSM extract holds the roads they stand on. The snap-distance test of
``geo_patrol.snapping.datum_warnings`` must speak up when the GCJ-02 numbers are declared WGS-84,
stay quiet when they are declared GCJ-02, and stations snap far when they are far.
"""

from __future__ import annotations

import pandas as pd
import pytest
from conftest import SCENARIO_TOML, require_shared_data

from geo_patrol.datum import from_wgs84
from geo_patrol.network import load_network
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import datum_warnings

WEST, SOUTH, EAST, NORTH = 114.4999, 30.4769, 114.5379, 30.4925


@pytest.fixture(scope="module")
def wuhan():
    data = require_shared_data()
    osm = data / "osm" / "china" / "wuhan_guanggu_optics_valley.osm"
    poi = pd.read_csv(data / "schools" / "wuhan_amap_school_poi.csv", encoding="utf-8-sig", dtype={"ID": str})
    (gw, ge), (gs, gn) = from_wgs84([WEST, EAST], [SOUTH, NORTH], "gcj02")
    inside = poi[poi["XGCJ"].between(gw, ge) & poi["YGCJ"].between(gs, gn)].head(30)
    return osm, load_network(osm), inside


def _scenario(folder, osm, poi, datum: str) -> Scenario:
    rows = ["id,name,kind,lon,lat,enrolment,morning,afternoon"]
    rows += [f"W{i},{r['NAME'].replace(',', ' ')},primary,{r['XGCJ']},{r['YGCJ']},600,07:30-08:00,16:00-16:30"
             for i, (_, r) in enumerate(poi.iterrows())]
    (folder / "schools.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "stations.csv").write_text(f"id,name,lon,lat,police,auxiliary,cars\nP1,站,{(WEST + EAST) / 2},"
                                         f"{(SOUTH + NORTH) / 2},5,5,2\n", encoding="utf-8")
    (folder / "scenario.toml").write_text(
        f'[inputs]\nschools = "schools.csv"\nschools_datum = "{datum}"\nstations = "stations.csv"\n'
        f'network = "{osm.as_posix()}"\n', encoding="utf-8")
    return Scenario.from_toml(folder / "scenario.toml")


def test_on_the_sparse_optics_valley_extract_the_check_stays_quiet_either_way(wuhan, tmp_path):
    """Roads are ~100 m from these points whichever datum is assumed (medians 90 and 97 m): the
    check cannot tell, and says nothing rather than guess."""
    osm, network, poi = wuhan
    assert datum_warnings(_scenario(tmp_path, osm, poi, "gcj02"), network) == []
    assert datum_warnings(_scenario(tmp_path, osm, poi, "wgs84"), network) == []


#: Three schools standing on the tiny town's street corners (exactly at drive nodes).
CORNERS = [(114.302, 30.502), (114.306, 30.504), (114.304, 30.506), (114.308, 30.502)]


def _tiny(tiny_dir, points, datum: str) -> Scenario:
    rows = ["id,name,kind,lon,lat,enrolment,morning,afternoon"]
    rows += [f"S{i},s{i},primary,{x:.7f},{y:.7f},600,07:30-08:00,16:00-16:30" for i, (x, y) in enumerate(points)]
    (tiny_dir / "schools.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (tiny_dir / "scenario.toml").write_text(SCENARIO_TOML.replace(
        'schools = "schools.csv"', f'schools = "schools.csv"\nschools_datum = "{datum}"'), encoding="utf-8")
    return Scenario.from_toml(tiny_dir / "scenario.toml")


def test_an_amap_list_declared_wgs84_is_noticed(tiny_dir):
    gcj = [tuple(map(float, from_wgs84(x, y, "gcj02"))) for x, y in CORNERS]
    scenario = _tiny(tiny_dir, gcj, "wgs84")
    (warning,) = datum_warnings(scenario, load_network(tiny_dir / "roads.osm"))
    assert warning.startswith("schools.csv: the points lie much nearer the roads read as GCJ02 (median snap 0 m)")
    assert 'declare schools_datum = "gcj02"' in warning


def test_the_reverse_mistake_is_noticed_too(tiny_dir):
    scenario = _tiny(tiny_dir, CORNERS, "gcj02")
    (warning,) = datum_warnings(scenario, load_network(tiny_dir / "roads.osm"))
    assert "read as WGS84 (median snap 0 m)" in warning and 'schools_datum = "wgs84"' in warning


def test_lists_declared_right_pass(tiny_dir):
    network = load_network(tiny_dir / "roads.osm")
    assert datum_warnings(_tiny(tiny_dir, CORNERS, "wgs84"), network) == []
    gcj = [tuple(map(float, from_wgs84(x, y, "gcj02"))) for x, y in CORNERS]
    assert datum_warnings(_tiny(tiny_dir, gcj, "gcj02"), network) == []
