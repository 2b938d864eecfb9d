"""The command line: bad input gives one line naming file, row and field, exit code 2."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import write_grid_osm
from test_inputs import BAD_SCHOOLS

from geo_patrol.cli import main
from geo_patrol.model import Parameters

MAX_SNAP_M = Parameters().max_snap_m


def run(args, capsys):
    code = main([str(a) for a in args])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def _one_error_line(err: str) -> str:
    lines = [line for line in err.splitlines() if line.strip()]
    assert len(lines) == 1, err
    assert "Traceback" not in err
    return lines[0]


def _break(tiny_dir: Path, name: str, text: str) -> None:
    (tiny_dir / name).write_text(text, encoding="utf-8")


CASES = {
    "missing file": (lambda d: (d / "schools.csv").unlink(), r"schools\.csv: file not found"),
    "corrupt osm": (lambda d: _break(d, "roads.osm", "<osm version='0.6'><node id='1' lat="),
                    r"roads\.osm: cannot read the OpenStreetMap data \(XML parsing error at line 1"),
    "no drivable road": (lambda d: write_grid_osm(d / "roads.osm", highway="footway"),
                         r"roads\.osm: .*no drivable road"),
    "gate too far": (lambda d: _break(d, "schools.csv", (d / "schools.csv").read_text().replace("114.3060,30.5060", "114.3200,30.5060")),
                     rf"schools\.csv, field 'lon/lat': 1 gate\(s\) lie farther than {MAX_SNAP_M:.0f} m from the drive network: "
                     r"S3 第二中学 \(row 4, \d+ m"),
    "negative cars": (lambda d: _break(d, "stations.csv", (d / "stations.csv").read_text().replace(",12,2", ",12,-2")),
                      r"stations\.csv, row 2, field '警车': -2 is negative"),
    "unreachable": (lambda d: _break(d, "scenario.toml", (d / "scenario.toml").read_text() + "\n[parameters]\nreach_limit_s = 60\n"),
                    r"schools\.csv, field 'lon/lat': 3 school\(s\) unreachable from every station within 1 min in the morning"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2(tiny_dir, capsys, case):
    breaker, pattern = CASES[case]
    breaker(tiny_dir)
    code, out, err = run(["inspect", tiny_dir / "scenario.toml"], capsys)
    assert code == 2
    line = _one_error_line(err)
    assert line.startswith("geo-patrol: error: ")
    assert re.search(pattern, line), line


def test_plan_refuses_to_overwrite_and_writes_nothing_on_error(tiny_dir, capsys, tmp_path):
    out = tmp_path / "out" / "plan"
    out.parent.mkdir()
    good = (tiny_dir / "stations.csv").read_text(encoding="utf-8")
    (tiny_dir / "stations.csv").write_text("派出所编号,派出所,经度,纬度,民警,辅警,警车\nP1,x,114.3,30.5,abc,1,1\n", encoding="utf-8")
    code, _, err = run(["plan", tiny_dir / "scenario.toml", "--out", out, "--no-map"], capsys)
    assert code == 2 and "stations.csv, row 2, field '民警': 'abc' is not a number" in _one_error_line(err)
    assert list(out.parent.iterdir()) == []
    (tiny_dir / "stations.csv").write_text(good, encoding="utf-8")
    out.mkdir()
    code, _, err = run(["plan", tiny_dir / "scenario.toml", "--out", out], capsys)
    assert code == 2 and "already exists" in _one_error_line(err)


def test_plan_command_writes_a_plan(tiny_dir, capsys, tmp_path):
    code, out, err = run(["plan", tiny_dir / "scenario.toml", "--out", tmp_path / "p", "--time-limit", "2", "--no-map"], capsys)
    assert code == 0, err
    assert "three sightings at 3/3 schools (100.0%)" in out
    assert (tmp_path / "p" / "coverage.csv").is_file()


def test_bad_range(tiny_dir, capsys):
    code, _, err = run(["posts", tiny_dir / "scenario.toml", "--posts", "10:5:1"], capsys)
    assert code == 2 and "START ≤ STOP" in _one_error_line(err)


def test_console_script_runs_as_a_process(tiny_dir):
    result = subprocess.run([sys.executable, "-m", "geo_patrol.cli", "inspect", str(tiny_dir / "nope.toml")],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stderr.strip() == "geo-patrol: error: nope.toml: scenario file not found — check the path"


def test_every_bad_school_table_is_one_line_exit_2_from_the_cli(tiny_dir, capsys):
    for case, text, pattern in BAD_SCHOOLS:
        (tiny_dir / "schools.csv").write_text(text, encoding="utf-8")
        code, _, err = run(["inspect", tiny_dir / "scenario.toml"], capsys)
        line = _one_error_line(err)
        assert code == 2 and re.search(pattern, line), (case, line)
    (tiny_dir / "schools.csv").write_bytes(b"\xff\xfe\xfa\x00binary")
    code, _, err = run(["inspect", tiny_dir / "scenario.toml"], capsys)
    assert code == 2 and _one_error_line(err).startswith("geo-patrol: error: schools.csv: ")


def test_map_command_per_station_and_tile_datum(tmp_path, capsys):
    from plan_fixture import write_plan_fixture

    plan = write_plan_fixture(tmp_path / "plan")
    code, out, _ = run(["map", plan, "--per-station"], capsys)
    assert code == 0 and "2 station map(s) written to" in out
    assert sorted(p.name for p in (plan / "maps").iterdir()) == ["P01.html", "P02.html"]
    code, out, _ = run(["map", plan, "--out", tmp_path / "gcj.html", "--tiles", "http://tiles.intranet/{z}/{x}/{y}.png",
                        "--tiles-datum", "amap"], capsys)
    assert code == 0 and (tmp_path / "gcj.html").is_file()
    code, _, err = run(["map", plan, "--out", tmp_path / "bad.html", "--tiles-datum", "mercator"], capsys)
    assert code == 2 and "unknown coordinate datum 'mercator'" in _one_error_line(err)
    assert not (tmp_path / "bad.html").exists()
