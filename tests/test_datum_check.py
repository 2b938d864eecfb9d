"""The datum check: an Amap (GCJ-02) school list loaded as WGS-84 is noticed.

The Wuhan school POIs of ../shared/data come with both GCJ-02 (XGCJ/YGCJ) and WGS-84 columns and
an Amap ADDRESS naming a road; the Optics Valley OSM extract holds the roads they stand on.
``geo_patrol.snapping.datum_warnings`` must speak up when the GCJ-02 numbers are declared WGS-84
and stay quiet when the datum is declared right. Without addresses it can only compare distances
to the nearest road node, which cannot tell the datums apart where roads are dense; with them it
compares distances to the road each address names, which can.
"""

from __future__ import annotations

import math
import re

import pandas as pd
import pytest
from conftest import GRID_LAT0, GRID_LON0, SCENARIO_TOML, require_shared_data, write_grid_osm

from geo_patrol.datum import from_wgs84
from geo_patrol.errors import InputError
from geo_patrol.network import load_network
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import datum_warnings, prepare

WEST, SOUTH, EAST, NORTH = 114.4999, 30.4769, 114.5379, 30.4925


@pytest.fixture(scope="module")
def wuhan():
    data = require_shared_data()
    osm = data / "osm" / "china" / "wuhan_guanggu_optics_valley.osm"
    poi = pd.read_csv(data / "schools" / "wuhan_amap_school_poi.csv", encoding="utf-8-sig", dtype={"ID": str})
    (gw, ge), (gs, gn) = from_wgs84([WEST, EAST], [SOUTH, NORTH], "gcj02")
    inside = poi[poi["XGCJ"].between(gw, ge) & poi["YGCJ"].between(gs, gn)].head(30)
    return osm, load_network(osm), inside


def _scenario(folder, osm, poi, datum: str, *, columns=("XGCJ", "YGCJ"), address: bool = False) -> Scenario:
    """The POIs' ``columns`` as a school list declared ``datum``; ``address``: with Amap's ADDRESS."""
    x, y = columns
    rows = ["id,name,kind,lon,lat,enrolment,morning,afternoon,address"]
    rows += [f"W{i},{r['NAME'].replace(',', ' ')},primary,{r[x]},{r[y]},600,07:30-08:00,16:00-16:30,"
             + (str(r["ADDRESS"]).replace(",", " ") if address and isinstance(r["ADDRESS"], str) else "")
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


def test_on_optics_valley_the_roads_the_addresses_name_tell_the_datums_apart(wuhan, tmp_path):
    """With Amap's addresses, 6 of the 8 schools name a road of the extract that passes within 1 km:
    from the right positions it lies a median 139 m away, from the GCJ-02 numbers read as WGS-84
    395 m. Declared WGS-84, those numbers are noticed; declared right, either way, nothing is said."""
    osm, network, poi = wuhan
    (warning,) = datum_warnings(_scenario(tmp_path, osm, poi, "wgs84", address=True), network)
    assert warning == ("schools.csv: the schools lie much nearer the roads named in their addresses or names, read as GCJ02 "
                       "(median 139 m) than as the declared WGS84 (395 m), over 6 schools — declare "
                       'schools_datum = "gcj02" if that is where the list comes from')
    assert datum_warnings(_scenario(tmp_path, osm, poi, "gcj02", address=True), network) == []
    assert datum_warnings(_scenario(tmp_path, osm, poi, "wgs84", columns=("XWGS", "YWGS"), address=True),
                          network) == []


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


#: A dense town: 40 × 40 named streets 0.0005° (≈ 50 m) apart; every point is within 40 m of a
#: road node whichever datum it is read in, so only the named roads can tell.
DENSE_STEP, DENSE_N = 0.0005, 40
METRE_LAT = 1 / 111_195
METRE_LON = METRE_LAT / math.cos(math.radians(GRID_LAT0))


def _dense(folder, schools, datum: str) -> Scenario:
    """``schools``: (lon, lat, name, address) rows on the dense town, declared ``datum``."""
    write_grid_osm(folder / "roads.osm", n=DENSE_N, step=DENSE_STEP, named=True)
    rows = ["id,name,kind,lon,lat,enrolment,morning,afternoon,address"]
    rows += [f"S{i},{name},primary,{x:.7f},{y:.7f},600,07:30-08:00,16:00-16:30,{address}"
             for i, (x, y, name, address) in enumerate(schools)]
    (folder / "schools.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "scenario.toml").write_text(SCENARIO_TOML.replace(
        'schools = "schools.csv"', f'schools = "schools.csv"\nschools_datum = "{datum}"'), encoding="utf-8")
    return Scenario.from_toml(folder / "scenario.toml")


def _on_their_streets() -> list[tuple[float, float, str, str]]:
    """Six schools 10 m north of the middle of a block of their east-west street (the address
    names it), two 10 m east of their north-south street (only the name does)."""
    out = []
    for k, (i, j) in enumerate([(5, 15), (8, 18), (11, 21), (14, 24), (6, 22), (12, 16)]):
        out.append((GRID_LON0 + (i + 0.5) * DENSE_STEP, GRID_LAT0 + j * DENSE_STEP + 10 * METRE_LAT,
                    f"第{k + 1}小学", f"纬{j + 1:02d}路{k + 1}号"))
    for i, j in [(9, 17), (13, 23)]:
        out.append((GRID_LON0 + i * DENSE_STEP + 10 * METRE_LON, GRID_LAT0 + (j + 0.5) * DENSE_STEP,
                    f"经{i + 1:02d}路小学", ""))
    return out


def _as_gcj(schools):
    return [(*map(float, from_wgs84(x, y, "gcj02")), name, address) for x, y, name, address in schools]


def test_in_a_dense_town_the_named_roads_notice_an_amap_list(tiny_dir):
    """The GCJ-02 numbers lie 261 m (south of the east-west streets) and 531 m (east of the
    north-south ones) off the roads the schools name; the true positions 10 m."""
    scenario = _dense(tiny_dir, _as_gcj(_on_their_streets()), "wgs84")
    network = load_network(tiny_dir / "roads.osm")
    (warning,) = datum_warnings(scenario, network)
    found = re.fullmatch(r"schools\.csv: the schools lie much nearer the roads named in their addresses or names, read as GCJ02 "
                         r"\(median 10 m\) than as the declared WGS84 \((\d+) m\), over 8 schools — declare "
                         r'schools_datum = "gcj02" if that is where the list comes from', warning)
    assert found and 255 <= int(found.group(1)) <= 265, warning
    # the reverse mistake: WGS-84 numbers declared GCJ-02
    (warning,) = datum_warnings(_dense(tiny_dir, _on_their_streets(), "gcj02"), network)
    assert "read as WGS84 (median 10 m)" in warning and 'declare schools_datum = "wgs84"' in warning
    # declared right, either way: nothing
    assert datum_warnings(_dense(tiny_dir, _on_their_streets(), "wgs84"), network) == []
    assert datum_warnings(_dense(tiny_dir, _as_gcj(_on_their_streets()), "gcj02"), network) == []


def test_in_a_dense_town_nearest_nodes_cannot_tell(tiny_dir):
    """Without roads named (no address, names without a road), or with fewer than five schools
    naming one, only the nearest-node distances are left, and they are alike both ways."""
    unnamed = [(x, y, f"第{k}小学", "") for k, (x, y, _, _) in enumerate(_as_gcj(_on_their_streets()))]
    network = load_network(write_grid_osm(tiny_dir / "roads.osm", n=DENSE_N, step=DENSE_STEP, named=True))
    assert datum_warnings(_dense(tiny_dir, unnamed, "wgs84"), network) == []
    assert datum_warnings(_dense(tiny_dir, _as_gcj(_on_their_streets())[:4] + unnamed[4:], "wgs84"), network) == []


def test_when_the_wrong_datum_puts_gates_off_the_map_the_error_says_why(tiny_dir):
    """A ninth school near the town's east edge: its GCJ-02 numbers, read as WGS-84, lie 450 m
    east of the last street. The error names it and gives the datum check's finding as the hint."""
    edge = (GRID_LON0 + (DENSE_N - 2.5) * DENSE_STEP, GRID_LAT0 + 20 * DENSE_STEP + 10 * METRE_LAT, "第9小学", "纬21路9号")
    scenario = _dense(tiny_dir, _as_gcj([*_on_their_streets(), edge]), "wgs84")
    with pytest.raises(InputError, match=r"^schools\.csv, field 'lon/lat': 1 gate\(s\) lie farther than 300 m from the "
                                         r"drive network: S8 第9小学 \(row 10, 4\d\d m: no road or path within 300 m\) — "
                                         r"the datum check finds schools\.csv: the schools lie much nearer the roads "
                                         r"named in their addresses or names, read as GCJ02 \(median 10 m\) than as the declared "
                                         r'WGS84 \(\d+ m\), over 9 schools — declare schools_datum = "gcj02"'):
        prepare(scenario)
