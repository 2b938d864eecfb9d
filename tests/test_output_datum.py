"""`[outputs] datum`: every coordinate a person reads or pastes in GCJ-02 (or BD-09), geometry in WGS-84."""

from __future__ import annotations

import csv
import io
import json

import pytest

from geo_patrol.cli import main
from geo_patrol.datum import from_wgs84, to_wgs84
from geo_patrol.geo import haversine_m
from geo_patrol.plan import Plan, make_plan
from geo_patrol.scenario import Scenario


def _rows(path) -> list[dict]:
    return list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))


@pytest.fixture
def gcj_dir(tiny_dir):
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[outputs]\ndatum = "gcj02"\n', encoding="utf-8")
    return tiny_dir


def test_plan_files_show_gcj02_and_keep_wgs84_geometry(gcj_dir, tmp_path):
    scenario = Scenario.from_toml(gcj_dir / "scenario.toml")
    assert scenario.output_datum == "gcj02"
    plan = make_plan(scenario, time_limit_s=2)
    out = plan.to_dir(tmp_path / "plan")
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["outputs"] == {"datum": "gcj02", "lang": "zh"}
    schools = {r["school_id"]: r for r in _rows(out / "schools.csv")}
    s1 = scenario.school("S1")
    gx, gy = from_wgs84(s1.lon, s1.lat, "gcj02")
    assert (float(schools["S1"]["lon"]), float(schools["S1"]["lat"])) == (round(float(gx), 6), round(float(gy), 6))
    # GCJ-02 lies a few hundred metres off WGS-84 here: the files are really in GCJ-02
    assert 100 < float(haversine_m(s1.lon, s1.lat, float(schools["S1"]["lon"]), float(schools["S1"]["lat"]))) < 800
    for row in _rows(out / "posts.csv"):
        wx, wy = to_wgs84(float(row["lon"]), float(row["lat"]), "gcj02")
        feature = next(f for f in json.loads((out / "posts.geojson").read_text(encoding="utf-8"))["features"]
                       if f["properties"]["post_id"] == row["post_id"] and f["properties"]["period"] == row["period"])
        assert float(haversine_m(wx, wy, *feature["geometry"]["coordinates"])) < 0.2
        assert feature["properties"]["lon"] == row["lon"]
    # read back equal, and the workbook and duty sheets say which datum they show
    assert Plan.from_dir(out) == plan
    assert "GCJ-02" in (out / "duty_sheets.html").read_text(encoding="utf-8")


def test_evaluate_reads_edited_coordinates_in_the_output_datum(gcj_dir, tmp_path, capsys):
    scenario = Scenario.from_toml(gcj_dir / "scenario.toml")
    out = make_plan(scenario, time_limit_s=2).to_dir(tmp_path / "plan", documents=False)
    before = (out / "coverage.csv").read_bytes()
    assert main(["evaluate", str(gcj_dir / "scenario.toml"), "--plan", str(out)]) == 0
    assert (out / "coverage.csv").read_bytes() == before
    # a planner moves a post by coordinates read off Amap: 5 m in GCJ-02 stays 5 m, not 500
    text = (out / "posts.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    rows[0]["lon"] = f"{float(rows[0]['lon']) + 0.00005:.6f}"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0]), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / "posts.csv").write_text(buffer.getvalue(), encoding="utf-8-sig")
    assert main(["evaluate", str(gcj_dir / "scenario.toml"), "--plan", str(out)]) == 0
    capsys.readouterr()
    assert _rows(out / "violations.csv") == []


def test_an_unknown_output_datum_is_one_line(tiny_dir, capsys):
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8") + '\n[outputs]\ndatum = "gcj-2"\n', encoding="utf-8")
    assert main(["inspect", str(path)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "field 'outputs.datum'" in err[0]


def test_convert_a_table_between_datums_keeps_everything_else(tiny_dir, tmp_path, capsys):
    source = tiny_dir / "schools.csv"
    source.write_bytes(source.read_text(encoding="utf-8").encode("gbk"))
    out = tmp_path / "schools.gcj02.csv"
    assert main(["convert", str(source), "--from", "wgs84", "--to", "gcj02", "--out", str(out)]) == 0
    assert "3 point(s) converted from wgs84 to gcj02" in capsys.readouterr().out
    before = list(csv.reader(io.StringIO(source.read_bytes().decode("gbk"))))
    after = list(csv.reader(io.StringIO(out.read_bytes().decode("gbk"))))
    assert before[0] == after[0] and [r[:3] + r[5:] for r in before] == [r[:3] + r[5:] for r in after]
    lon, lat = float(before[1][3]), float(before[1][4])
    gx, gy = from_wgs84(lon, lat, "gcj02")
    assert (float(after[1][3]), float(after[1][4])) == (round(float(gx), 7), round(float(gy), 7))
    back = tmp_path / "back.csv"
    assert main(["convert", str(out), "--from", "gcj02", "--to", "wgs84", "--out", str(back)]) == 0
    rows = list(csv.reader(io.StringIO(back.read_bytes().decode("gbk"))))
    assert abs(float(rows[1][3]) - lon) < 1e-7 and abs(float(rows[1][4]) - lat) < 1e-7
    # never over the input, and a bad datum is one line
    assert main(["convert", str(source), "--from", "wgs84", "--to", "gcj02", "--out", str(source), "--force"]) == 2
    assert main(["convert", str(source), "--from", "wgs-84x", "--to", "gcj02"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and "is the input file" in err[0] and "--from" in err[1]
