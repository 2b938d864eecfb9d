"""Tests of geo_patrol.scenario: the scenario file, its errors, periods and the cross-file checks."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest
from conftest import SCENARIO_TOML

from geo_patrol.errors import InputError
from geo_patrol.model import DEFAULT_CONGESTION, NetworkSource, Parameters
from geo_patrol.scenario import Scenario, check_scenario


def _write_toml(tiny_dir: Path, text: str) -> Path:
    path = tiny_dir / "scenario.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_scenario_from_toml(tiny_dir):
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    assert scenario.name == "tiny town" and scenario.seed == 7
    assert [s.id for s in scenario.schools] == ["S1", "S2", "S3"]
    assert [(s.id, s.cars) for s in scenario.stations] == [("P1", 2)]
    assert scenario.sites == ()
    assert scenario.periods == ("morning", "afternoon")
    assert scenario.parameters == Parameters()  # no [parameters]: the defaults
    assert scenario.parameters.congestion_for("morning") == DEFAULT_CONGESTION["morning"]
    assert scenario.network == NetworkSource(path=(tiny_dir / "roads.osm").resolve())
    assert scenario.source == (tiny_dir / "scenario.toml").resolve()
    assert dict(scenario.input_files) == {
        "schools": (tiny_dir / "schools.csv").resolve(), "stations": (tiny_dir / "stations.csv").resolve(),
        "network": (tiny_dir / "roads.osm").resolve()}


def test_school_and_station_lookup(tiny):
    assert tiny.school("S2").name == "实验幼儿园"
    assert tiny.station("P1").name == "城关派出所"
    with pytest.raises(KeyError, match="S9"):
        tiny.school("S9")
    with pytest.raises(KeyError, match="P9"):
        tiny.station("P9")


def test_parameters_and_name_default(tiny_dir):
    text = SCENARIO_TOML.replace('name = "tiny town"\n', "") + (
        "\n[parameters]\npost_radius_m = 120\n\n[parameters.congestion]\nnoon = 1.1\n")
    scenario = Scenario.from_toml(_write_toml(tiny_dir, text))
    assert scenario.name == "scenario"  # the file's stem
    assert scenario.parameters == dataclasses.replace(
        Parameters(), post_radius_m=120.0, congestion={**DEFAULT_CONGESTION, "noon": 1.1})


def test_absolute_input_paths_are_kept(tiny_dir, tmp_path_factory):
    elsewhere = tmp_path_factory.mktemp("elsewhere") / "schools.csv"
    elsewhere.write_bytes((tiny_dir / "schools.csv").read_bytes())
    text = SCENARIO_TOML.replace('schools = "schools.csv"', f'schools = "{elsewhere.as_posix()}"')
    scenario = Scenario.from_toml(_write_toml(tiny_dir, text))
    assert scenario.input_files["schools"] == elsewhere


@pytest.mark.parametrize(("table", "network"), [
    ('place = "某某区, 武汉市"', NetworkSource(place="某某区, 武汉市")),
    ("bbox = [114.29, 30.49, 114.31, 30.51]", NetworkSource(bbox=(114.29, 30.49, 114.31, 30.51))),
])
def test_network_download_instead_of_a_file(tiny_dir, table, network):
    text = SCENARIO_TOML.replace('network = "roads.osm"\n', "") + f"\n[inputs.download]\n{table}\n"
    scenario = Scenario.from_toml(_write_toml(tiny_dir, text))
    assert scenario.network == network
    assert "network" not in scenario.input_files


def test_periods_are_the_windows_the_schools_have_in_clock_order(tiny_dir):
    schools = tiny_dir / "schools.csv"
    lines = schools.read_text(encoding="utf-8").splitlines()
    lines[0] += ",午间时间"
    lines[1:] = [line + ("," if not line.startswith("S2") else ",11:30-12:00") for line in lines[1:]]
    schools.write_text("\n".join(lines) + "\n", encoding="utf-8")
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    assert scenario.periods == ("morning", "noon", "afternoon")
    only_noon = dataclasses.replace(scenario, schools=(dataclasses.replace(scenario.school("S2"), windows={
        "noon": scenario.school("S2").windows["noon"]}),))
    assert only_noon.periods == ("noon",)


# ----------------------------------------------------------------------------- bad scenario files


BAD_TOML = [
    ("unknown table", SCENARIO_TOML + "\n[extras]\nfolder = \"plan\"\n",
     r"^scenario\.toml, field 'extras': unknown key 'extras' — known keys: calendar, inputs, outputs, parameters, scenario$"),
    ("misspelt table", SCENARIO_TOML + "\n[parameter]\npost_radius_m = 100\n",
     r"^scenario\.toml, field 'parameter': unknown key 'parameter' — did you mean parameters\?$"),
    ("no schools", SCENARIO_TOML.replace('schools = "schools.csv"\n', ""),
     r"^scenario\.toml, field 'inputs\.schools': \[inputs\] has no 'schools' — add schools = \"your_schools_file\"$"),
    ("no stations", SCENARIO_TOML.replace('stations = "stations.csv"\n', ""),
     r"^scenario\.toml, field 'inputs\.stations': \[inputs\] has no 'stations' — "
     r"add stations = \"your_stations_file\"$"),
    ("no network", SCENARIO_TOML.replace('network = "roads.osm"\n', ""),
     r"^scenario\.toml, field 'inputs\.network': \[inputs\] names no road network — "
     r"add network = \"roads\.osm\.pbf\" \(or \[inputs\.download\] place = \"\.\.\.\"\)$"),
    ("seed as text", SCENARIO_TOML.replace("seed = 7", 'seed = "7"'),
     r"^scenario\.toml, field 'scenario\.seed': seed '7' is not a whole number in 0 … 2147483647 — "
     r"write seed = 1 \(any whole number in that range\)$"),
    ("seed as a boolean", SCENARIO_TOML.replace("seed = 7", "seed = true"),
     r"^scenario\.toml, field 'scenario\.seed': seed 'True' is not a whole number in 0 … 2147483647"),
    ("seed as a fraction", SCENARIO_TOML.replace("seed = 7", "seed = 7.5"),
     r"^scenario\.toml, field 'scenario\.seed': seed '7\.5' is not a whole number in 0 … 2147483647"),
    ("negative seed", SCENARIO_TOML.replace("seed = 7", "seed = -1"),
     r"^scenario\.toml, field 'scenario\.seed': seed '-1' is not a whole number in 0 … 2147483647"),
    ("bad parameter value", SCENARIO_TOML + "\n[parameters]\npost_radius_m = -5\n",
     r"^scenario\.toml, field 'parameters\.post_radius_m': -5 is not valid \(input should be greater than 0\) — "
     r"use a number > 0\.0$"),
    ("unknown parameter", SCENARIO_TOML + "\n[parameters]\npost_radius = 100\n",
     r"^scenario\.toml, field 'parameters\.post_radius': unknown key 'post_radius' in \[parameters\] — "
     r"did you mean post_radius_m\?$"),
    ("not TOML", SCENARIO_TOML + "\n[parameters\n", r"^scenario\.toml: not valid TOML \(.*\) — fix the syntax$"),
    ("missing schools file", SCENARIO_TOML.replace('"schools.csv"', '"nowhere.csv"'),
     r"^nowhere\.csv: file not found — check the path"),
]


@pytest.mark.parametrize(("case", "text", "message"), BAD_TOML, ids=[c[0] for c in BAD_TOML])
def test_bad_scenario_files_name_the_file_and_field(tiny_dir, case, text, message):
    with pytest.raises(InputError, match=message):
        Scenario.from_toml(_write_toml(tiny_dir, text))


def test_scenario_file_not_found_or_not_utf8(tmp_path):
    with pytest.raises(InputError, match=r"^nope\.toml: scenario file not found — check the path$"):
        Scenario.from_toml(tmp_path / "nope.toml")
    path = tmp_path / "gbk.toml"
    path.write_bytes('[scenario]\nname = "示范县"\n'.encode("gbk"))
    with pytest.raises(InputError, match=r"^gbk\.toml: scenario file is not UTF-8 text — save it as UTF-8$"):
        Scenario.from_toml(path)


def test_check_scenario_finds_a_station_the_stations_file_lacks(tiny_dir):
    schools = tiny_dir / "schools.csv"
    lines = schools.read_text(encoding="utf-8").splitlines()
    lines[0] += ",所属派出所"
    lines[1:] = [line + (",P9" if line.startswith("S2") else ",") for line in lines[1:]]
    schools.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError, match=r"^schools\.csv, row 3, field 'station_id': station 'P9' is not in the "
                                         r"stations file — use an id from the stations file or leave it empty$"):
        Scenario.from_toml(tiny_dir / "scenario.toml")


def test_check_scenario_needs_a_station(tiny):
    check_scenario(tiny)  # the tiny town is consistent
    with pytest.raises(InputError, match=r"^stations\.csv: no police station — add at least one station row"):
        check_scenario(dataclasses.replace(tiny, stations=()))


def test_the_demo_county_loads():
    demo = Scenario.demo()
    assert (demo.name, demo.seed) == ("示范县 (demo county)", 20260901)
    assert len(demo.schools) == 164 and len(demo.stations) == 6
    assert demo.periods == ("morning", "afternoon")
    assert demo.parameters == Parameters()  # the demo file spells out the defaults
