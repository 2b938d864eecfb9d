"""`evaluate` as an independent verifier: one test per kind of tampering with a plan's files.

The tiny town's plan is written once; each test copies it, edits its CSV files the way a planner
(or someone gaming the figures) would in Excel, and runs the verifier through the command line.
Every breach must be named in violations.csv with its file, row, field and rule, earn nothing,
and make the command exit with code 3.
"""

from __future__ import annotations

import csv
import io
import shutil
from pathlib import Path

import pytest
from conftest import SCENARIO_TOML, SCHOOLS_CSV, STATIONS_CSV, write_grid_osm

from geo_patrol.cli import EXIT_BREACH, main
from geo_patrol.plan import Plan, make_plan
from geo_patrol.proof import DRIVE_TOLERANCE_S
from geo_patrol.scenario import Scenario


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("town")
    write_grid_osm(folder / "roads.osm")
    (folder / "schools.csv").write_text(SCHOOLS_CSV, encoding="utf-8")
    (folder / "stations.csv").write_text(STATIONS_CSV, encoding="utf-8")
    (folder / "scenario.toml").write_text(SCENARIO_TOML, encoding="utf-8")
    return folder


@pytest.fixture(scope="module")
def planned(town, tmp_path_factory) -> Path:
    plan = make_plan(Scenario.from_toml(town / "scenario.toml"), time_limit_s=2)
    return plan.to_dir(tmp_path_factory.mktemp("planned") / "plan", documents=False)


@pytest.fixture
def plan_dir(planned, tmp_path) -> Path:
    return Path(shutil.copytree(planned, tmp_path / "plan"))


def _read(path: Path) -> tuple[list[str], list[dict]]:
    text = path.read_text(encoding="utf-8-sig")
    reader = csv.DictReader(io.StringIO(text))
    return list(reader.fieldnames), list(reader)


def _write(path: Path, header: list[str], rows: list[dict]) -> None:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8-sig")


def _evaluate(town: Path, plan_dir: Path, capsys) -> tuple[int, list[dict], dict[tuple[str, str], dict]]:
    code = main(["evaluate", str(town / "scenario.toml"), "--plan", str(plan_dir)])
    capsys.readouterr()
    _, violations = _read(plan_dir / "violations.csv")
    _, coverage = _read(plan_dir / "coverage.csv")
    return code, violations, {(r["school_id"], r["period"]): r for r in coverage}


def _rules(violations: list[dict]) -> set[str]:
    return {v["rule"] for v in violations}


def test_an_untouched_plan_holds_and_evaluates_to_the_same_files(town, plan_dir, planned, capsys):
    code, violations, coverage = _evaluate(town, plan_dir, capsys)
    assert code == 0 and violations == []
    for name in ("posts.csv", "visits.csv", "rosters.csv", "coverage.csv", "routes.geojson", "stations.csv"):
        assert (plan_dir / name).read_bytes() == (planned / name).read_bytes(), name
    assert all(row["three_sightings"] == "true" for row in coverage.values())


def test_moved_post_shows_no_officer(town, plan_dir, capsys):
    header, posts = _read(plan_dir / "posts.csv")
    moved = next(r for r in posts if r["school_ids"] == "S3" and r["period"] == "morning")
    moved["lon"] = f"{float(moved['lon']) + 0.006:.6f}"  # about 575 m east
    _write(plan_dir / "posts.csv", header, posts)
    code, violations, coverage = _evaluate(town, plan_dir, capsys)
    assert code == EXIT_BREACH
    (v,) = [v for v in violations if v["rule"] == "post_out_of_reach"]
    assert (v["file"], v["field"]) == ("posts.csv", "school_ids")
    assert v["row"] == str(posts.index(moved) + 2)
    assert coverage[("S3", "morning")]["post_present"] == "false"
    assert "post " + moved["post_id"] not in coverage[("S3", "morning")]["sources"]


def test_unstaffed_post_shows_no_officer(town, plan_dir, capsys):
    header, posts = _read(plan_dir / "posts.csv")
    target = next(r for r in posts if r["school_ids"] == "S1;S2" and r["period"] == "afternoon")
    target["police"] = target["auxiliary"] = "0"
    _write(plan_dir / "posts.csv", header, posts)
    code, violations, coverage = _evaluate(town, plan_dir, capsys)
    assert code == EXIT_BREACH
    assert "unstaffed_post" in _rules(violations)
    assert coverage[("S1", "afternoon")]["post_present"] == "false"
    assert coverage[("S2", "afternoon")]["post_present"] == "false"


def test_teleporting_car_earns_nothing(town, plan_dir, capsys):
    header, visits = _read(plan_dir / "visits.csv")
    morning = sorted((r for r in visits if r["period"] == "morning" and r["vehicle_id"] == visits[0]["vehicle_id"]),
                     key=lambda r: r["arrive"])
    assert len(morning) >= 2
    first, second = morning[0], morning[1]
    # the next stop begins the moment the first one ends, at a school about 600 m away
    second["arrive"] = first["depart"]
    h, m, s = map(int, first["depart"].split(":"))
    end = h * 3600 + m * 60 + s + 300
    second["depart"] = f"{end // 3600:02d}:{end % 3600 // 60:02d}:{end % 60:02d}"
    _write(plan_dir / "visits.csv", header, visits)
    code, violations, _ = _evaluate(town, plan_dir, capsys)
    assert code == EXIT_BREACH
    (v,) = [v for v in violations if v["rule"] == "too_fast"]
    assert v["row"] == str(visits.index(second) + 2) and v["field"] == "arrive"
    assert "km/h" in v["detail"] and DRIVE_TOLERANCE_S == 60


def test_phantom_car_and_phantom_station(town, plan_dir, capsys):
    header, visits = _read(plan_dir / "visits.csv")
    extra_car = dict(visits[0], vehicle_id="P1/9", seq="1")
    extra_station = dict(visits[0], vehicle_id="PX/1", station_id="PX", seq="1")
    visits += [extra_car, extra_station]
    _write(plan_dir / "visits.csv", header, visits)
    code, violations, _ = _evaluate(town, plan_dir, capsys)
    assert code == EXIT_BREACH
    by_row = {v["row"]: v["rule"] for v in violations}
    assert by_row[str(len(visits))] == "phantom_car"
    assert by_row[str(len(visits) + 1)] == "unknown_station"


def test_stop_far_from_its_school_earns_nothing(town, plan_dir, capsys):
    header, visits = _read(plan_dir / "visits.csv")
    stop = next(r for r in visits if r["school_id"] == "S3" and r["period"] == "afternoon")
    stop["stop_lon"], stop["stop_lat"] = "114.300000", "30.500000"  # the station's corner, 800 m away
    _write(plan_dir / "visits.csv", header, visits)
    code, violations, coverage = _evaluate(town, plan_dir, capsys)
    assert code == EXIT_BREACH
    far = [v for v in violations if v["rule"] == "stop_far_from_school"]
    assert [v["row"] for v in far] == [str(visits.index(stop) + 2)]
    assert "car_sight_m = 100 m" in far[0]["detail"]
    assert coverage[("S3", "afternoon")]["car_seen"] == "false"


def test_overlapping_stops_of_one_car(town, plan_dir, capsys):
    header, visits = _read(plan_dir / "visits.csv")
    car = visits[0]["vehicle_id"]
    own = sorted((r for r in visits if r["vehicle_id"] == car and r["period"] == "morning"), key=lambda r: r["arrive"])
    own[0]["depart"] = "10:00:00"  # a three-hour stop over the car's next stops
    _write(plan_dir / "visits.csv", header, visits)
    code, violations, _ = _evaluate(town, plan_dir, capsys)
    assert code == EXIT_BREACH
    overlapping = [v for v in violations if v["rule"] == "overlapping_stops"]
    assert overlapping and {v["file"] for v in overlapping} == {"visits.csv"}


def test_five_appended_rows_do_not_raise_the_figures(town, plan_dir, capsys):
    before = Plan.from_dir(plan_dir).meta["summary"]["met"]
    header, visits = _read(plan_dir / "visits.csv")
    template = visits[0]
    for k in range(5):
        visits.append(dict(template, vehicle_id=f"P1/{3 + k}", seq="1"))
    _write(plan_dir / "visits.csv", header, visits)
    code, violations, _ = _evaluate(town, plan_dir, capsys)
    assert code == EXIT_BREACH
    assert [v["rule"] for v in violations] == ["phantom_car"] * 5
    assert Plan.from_dir(plan_dir).meta["summary"]["met"] == before


def test_over_rostered_station(town, plan_dir, tmp_path, capsys):
    # the same plan against a station that has one police officer and one auxiliary
    scenario = tmp_path / "fewer"
    shutil.copytree(town, scenario)
    (scenario / "stations.csv").write_text(STATIONS_CSV.replace(",10,12,2", ",1,1,2"), encoding="utf-8")
    code = main(["evaluate", str(scenario / "scenario.toml"), "--plan", str(plan_dir)])
    capsys.readouterr()
    _, violations = _read(plan_dir / "violations.csv")
    assert code == EXIT_BREACH
    over = [v for v in violations if v["rule"] == "station_over_rostered"]
    assert over and {v["file"] for v in over} == {"rosters.csv"}
    details = {v["detail"].split(" and ")[0] for v in over}
    assert details == {"P1 has 1 police officer(s)", "P1 has 1 auxiliary officer(s)"}


def test_evaluate_rebuilds_routes_and_documents_after_an_edit(town, plan_dir, capsys):
    header, visits = _read(plan_dir / "visits.csv")
    dropped = next(r for r in visits if r["school_id"] == "S3" and r["period"] == "morning")
    visits.remove(dropped)
    _write(plan_dir / "visits.csv", header, visits)
    code, violations, coverage = _evaluate(town, plan_dir, capsys)
    assert code == 0 and violations == []
    plan = Plan.from_dir(plan_dir)
    morning = [r for r in plan.routes if r.vehicle_id == dropped["vehicle_id"] and r.period == "morning"]
    stops_left = sum(1 for r in visits if r["vehicle_id"] == dropped["vehicle_id"] and r["period"] == "morning")
    assert [r.stops for r in morning] == ([stops_left] if stops_left else [])
    assert coverage[("S3", "morning")]["car_seen"] == "false"
    for name in ("map.html", "report.xlsx", "duty_sheets.html"):
        assert (plan_dir / name).stat().st_size > 0
    assert plan.meta["summary"]["met"]["morning"] == sum(
        1 for (s, p), r in coverage.items() if p == "morning" and r["three_sightings"] == "true")


def test_excel_round_trip_gbk_and_note_columns(town, plan_dir, capsys):
    header, posts = _read(plan_dir / "posts.csv")
    for row in posts:
        row["备注"] = "已核对"
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=header + ["备注"], lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(posts)
    (plan_dir / "posts.csv").write_bytes(buffer.getvalue().encode("gbk"))
    code, violations, _ = _evaluate(town, plan_dir, capsys)
    assert code == 0 and violations == []
