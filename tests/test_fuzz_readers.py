"""Fuzzing the readers (Hypothesis): any bytes give either data or a clean InputError.

A planner's file can hold anything: a different encoding, binary junk, half a row, a formula,
a number where text belongs. No reader may answer with anything but its result or an
:class:`InputError` whose message is one line naming the file.
"""

from __future__ import annotations

import string
from pathlib import Path

from conftest import SCENARIO_TOML, SCHOOLS_CSV, STATIONS_CSV
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_patrol.cli import main
from geo_patrol.errors import InputError
from geo_patrol.io.tables import read_schools, read_sites, read_stations
from geo_patrol.scenario import Scenario

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

#: Cells a spreadsheet may hold: numbers, times, Chinese, formulas, quotes, separators, blanks.
cells = st.one_of(
    st.text(alphabet=string.printable + "经度纬度小学幼儿园是否：～—", max_size=12),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-10**12, 10**12).map(str),
    st.sampled_from(["07:30-08:00", "25:00-26:00", "=HYPERLINK(\"x\")", "", " ", "nan", "inf", "1e309", "是", "否"]),
)


def _rows(header: str, n_cols: int):
    return st.lists(st.lists(cells, min_size=n_cols, max_size=n_cols), min_size=0, max_size=4).map(
        lambda rows: header + "\n" + "\n".join(",".join(c.replace(",", " ").replace("\n", " ") for c in r)
                                               for r in rows) + "\n")


def _one_line(exc: InputError, name: str) -> None:
    """One line per problem, each naming the file (a collected report of bad rows has several)."""
    lines = str(exc).split("\n")
    assert lines and all(line.startswith(name) for line in lines), str(exc)


def _read(reader, path: Path):
    try:
        return reader(path)
    except InputError as exc:
        _one_line(exc, path.name)
        return None


@SETTINGS
@given(data=st.binary(max_size=400))
def test_any_bytes_as_a_school_file(tmp_path, data):
    path = tmp_path / "schools.csv"
    path.write_bytes(data)
    _read(read_schools, path)


@SETTINGS
@given(text=_rows(SCHOOLS_CSV.splitlines()[0], len(SCHOOLS_CSV.splitlines()[0].split(","))))
def test_any_cells_under_the_school_header(tmp_path, text):
    path = tmp_path / "schools.csv"
    path.write_text(text, encoding="utf-8")
    schools = _read(read_schools, path)
    for school in schools or ():
        assert all(-180 <= g.lon <= 180 and -90 <= g.lat <= 90 for g in school.gates)
        assert all(w.end_s > w.start_s for _, w in school.all_windows())


@SETTINGS
@given(text=_rows(STATIONS_CSV.splitlines()[0], len(STATIONS_CSV.splitlines()[0].split(","))),
       encoding=st.sampled_from(["utf-8", "utf-8-sig", "gbk"]))
def test_any_cells_under_the_station_header(tmp_path, text, encoding):
    path = tmp_path / "stations.csv"
    try:
        path.write_bytes(text.encode(encoding))
    except UnicodeEncodeError:
        return
    for station in _read(read_stations, path) or ():
        assert min(station.police, station.auxiliary, station.cars) >= 0


@SETTINGS
@given(data=st.binary(max_size=300))
def test_any_bytes_as_a_site_file(tmp_path, data):
    path = tmp_path / "sites.csv"
    path.write_bytes(data)
    _read(read_sites, path)


toml_values = st.one_of(st.integers(-10**20, 10**20), st.floats(), st.booleans(), st.text(max_size=8),
                        st.lists(st.integers(), max_size=3))


@SETTINGS
@given(extra=st.dictionaries(st.sampled_from(["post_radius_m", "dwell_s", "sed", "car_sight_m", "min_seen_s",
                                              "visits_per_window", "congestion", "speed_kph", "target_profile",
                                              "officer_presence_pct", "shift_lead_s", "school_datum"]),
                             toml_values, max_size=3))
def test_any_parameters_table(tiny_dir, extra):
    def value(v):
        if isinstance(v, bool):
            return "true" if v else "false"
        if isinstance(v, float):
            return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(v), repr(v))
        if isinstance(v, str):
            return '"' + v.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n") + '"'
        return str(v).replace("'", '"') if isinstance(v, list) else str(v)

    body = "".join(f"{k} = {value(v)}\n" for k, v in extra.items())
    (tiny_dir / "scenario.toml").write_text(SCENARIO_TOML + "\n[parameters]\n" + body, encoding="utf-8")
    try:
        scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    except InputError as exc:
        _one_line(exc, "scenario.toml")
        return
    assert scenario.parameters.seen_s <= scenario.parameters.dwell_s


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.binary(max_size=200))
def test_any_school_file_through_the_command_line(tiny_dir, capsys, data):
    (tiny_dir / "schools.csv").write_bytes(data)
    code = main(["inspect", str(tiny_dir / "scenario.toml")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code in (0, 2)
    if code == 2:
        assert err[0].startswith("geo-patrol: error: schools.csv")
        assert all(line.startswith("schools.csv") for line in err[1:])
