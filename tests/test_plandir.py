"""Tests of geo_patrol.io.plandir: the plan directory's one schema, reader and writer.

A plan written and read back is the same plan; the frames the map and the documents read from a
plan in memory are the frames they read from its files; and a bad cell is named by file, row
(the spreadsheet row: the header is row 1) and field.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest
from conftest import read_rows
from plan_fixture import PARAMETERS, fixture_plan, write_plan_fixture

from geo_patrol.errors import InputError
from geo_patrol.io.plandir import (
    PLAN_FILES,
    TABLES,
    plan_frames,
    read_coverage,
    read_plan_dir,
    read_posts,
    read_table,
    read_visits,
)
from geo_patrol.outputs.workbook import write_report
from geo_patrol.plan import Plan

DOCUMENTS = ("map.html", "report.xlsx", "duty_sheets.html")


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    return write_plan_fixture(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def frames(plan_dir):
    return read_plan_dir(plan_dir)


# ----------------------------------------------------------------------------- writing and reading back


def test_the_fixture_plan_written_and_read_back_is_equal(tmp_path):
    plan = fixture_plan()
    folder = plan.to_dir(tmp_path / "plan", documents=False)
    assert sorted(p.name for p in folder.iterdir()) == sorted(PLAN_FILES)
    back = Plan.from_dir(folder)
    assert back == plan
    assert (back.roads, back.reach) == (plan.roads, plan.reach)  # not compared by ==
    assert back.directory == str(folder)


def test_plan_directory_round_trip_and_rederivable_figures(tiny_plan, tmp_path):
    folder = tiny_plan.to_dir(tmp_path / "out" / "plan")
    assert sorted(p.name for p in folder.iterdir()) == sorted(PLAN_FILES + DOCUMENTS)
    assert Plan.from_dir(folder) == tiny_plan
    coverage = read_rows(folder / "coverage.csv")
    meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    for period in ("morning", "afternoon"):
        rows = [r for r in coverage if r["period"] == period]
        met = sum(r["three_sightings"] == "true" for r in rows)
        assert meta["summary"]["attained_share"][period] == round(met / len(rows), 4)
        assert meta["summary"]["met"][period] == met and meta["summary"]["windows"][period] == len(rows)
        assert meta["summary"]["stops"][period] == sum(r["period"] == period for r in read_rows(folder / "visits.csv"))
    assert meta["summary"]["posts"] == len({r["post_id"] for r in read_rows(folder / "posts.csv")})
    # no overwrite without force, and nothing left behind
    with pytest.raises(InputError, match=r"^plan: already exists — choose another --out or add --force"):
        tiny_plan.to_dir(folder)
    tiny_plan.to_dir(folder, force=True)
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["plan"]


def test_plan_frames_in_memory_equal_the_frames_read_from_the_files(plan_dir, frames):
    plan = Plan.from_dir(plan_dir)
    in_memory = plan_frames(plan)
    for name in ("schools", "posts", "rosters", "visits", "coverage", "stations"):
        pd.testing.assert_frame_equal(getattr(in_memory, name), getattr(frames, name), obj=name)
    assert in_memory.plan == frames.plan
    assert in_memory.routes == frames.routes and in_memory.roads == frames.roads and in_memory.reach == frames.reach
    assert (in_memory.plan_dir, frames.plan_dir) == (plan_dir, plan_dir)
    # a plan that was never written has no folder; its frames are the same
    fresh = plan_frames(fixture_plan())
    assert fresh.plan_dir is None and fresh.file("posts.csv") == Path("plan") / "posts.csv"
    for name in ("schools", "posts", "rosters", "visits", "coverage", "stations"):
        pd.testing.assert_frame_equal(getattr(fresh, name), getattr(frames, name), obj=name)


def test_read_plan_dir_types(frames):
    assert frames.periods == ["morning", "noon", "afternoon"]
    assert frames.posts.police.dtype == "int64" and frames.posts.car_at_post.dtype == bool
    assert frames.schools.lon.dtype == "float64"
    assert frames.school_names["S2"] == "实验幼儿园" and frames.station_names["P02"] == "东湖派出所"
    assert frames.stations.loc[0, "police_used_morning"] == 1
    assert frames.coverage.loc[0, "sources"] == ("officer: post K1 07:20:00–08:45:00; "
                                                 "car+lights+officer: car P01-1 07:35:00–07:40:00")
    assert list(frames.posts.columns) == list(TABLES["posts.csv"])
    assert frames.summary["attained_share"] == {"morning": 1.0, "noon": 0.0, "afternoon": 0.8}
    assert frames.parameters == PARAMETERS  # the package defaults with the town's speeds


def test_one_file_readers_give_the_model_rows(plan_dir):
    plan = fixture_plan()
    assert read_posts(plan_dir) == plan.posts
    assert read_visits(plan_dir) == plan.visits
    assert read_coverage(plan_dir / "coverage.csv") == plan.coverage


# ----------------------------------------------------------------------------- bad files


def test_bad_plan_json_format(tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    (plan / "plan.json").write_text(json.dumps({"format": "something/2"}), encoding="utf-8")
    with pytest.raises(InputError, match=r"plan.json, field 'format': format 'something/2' is not a geo_patrol plan"):
        read_plan_dir(plan)


def test_missing_plan_directory_and_file(tmp_path):
    with pytest.raises(InputError, match=r"^nowhere: plan directory not found"):
        read_plan_dir(tmp_path / "nowhere")
    plan = write_plan_fixture(tmp_path / "plan")
    (plan / "visits.csv").unlink()
    with pytest.raises(InputError, match=r"^visits\.csv: file missing from the plan directory"):
        read_plan_dir(plan)


def _replace_cell(path: Path, column: str, row: int, value: str) -> None:
    """Set one cell of a plan CSV file (``row`` as in error messages: the header is row 1)."""
    lines = path.read_text(encoding="utf-8-sig").splitlines()
    header = lines[0].split(",")
    cells = lines[row - 1].split(",")
    cells[header.index(column)] = value
    lines[row - 1] = ",".join(cells)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")


BAD_CELLS = [
    ("posts.csv", "lon", 3, "east", r"posts\.csv, row 3, field 'lon': 'east' is not a number"),
    ("posts.csv", "car_at_post", 2, "maybe", r"posts\.csv, row 2, field 'car_at_post': 'maybe' is not true/false"),
    ("posts.csv", "police", 4, "1.5", r"posts\.csv, row 4, field 'police': '1\.5' is not a whole number"),
    ("schools.csv", "lat", 2, "95", r"schools\.csv, row 2, field 'lat': latitude 95 is outside -90\.\.90"),
    ("schools.csv", "morning", 3, "8-9", r"schools\.csv, row 3, field 'morning': '8' is not a clock time"),
    ("visits.csv", "arrive", 5, "25:00:00", r"visits\.csv, row 5, field 'arrive': '25:00:00' is not a valid clock time"),
    ("coverage.csv", "period", 2, "evening", r"coverage\.csv, row 2, field 'period': 'evening' is not a period"),
    ("coverage.csv", "officer_presence_pct", 6, "nan", r"coverage\.csv, row 6, field 'officer_presence_pct': "
                                                       r"'nan' is not a finite number"),
    ("rosters.csv", "officer", 2, "", r"rosters\.csv, row 2, field 'officer': empty value"),
    ("rosters.csv", "role", 3, "chief", r"rosters\.csv, row 3, field 'role': 'chief' is not one of police, auxiliary"),
]


@pytest.mark.parametrize(("name", "column", "row", "value", "message"), BAD_CELLS,
                         ids=[f"{c[0]}-{c[1]}" for c in BAD_CELLS])
def test_a_bad_cell_is_named_by_file_row_and_field(tmp_path, name, column, row, value, message):
    plan = write_plan_fixture(tmp_path / "plan")
    _replace_cell(plan / name, column, row, value)
    with pytest.raises(InputError, match=message):
        read_plan_dir(plan)
    with pytest.raises(InputError, match=message):
        Plan.from_dir(plan)


def test_the_documents_read_through_the_same_checks(tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    _replace_cell(plan / "posts.csv", "car_at_post", 2, "maybe")
    with pytest.raises(InputError, match=r"posts.csv, row 2, field 'car_at_post': 'maybe' is not true/false"):
        write_report(plan)


def test_missing_column_and_long_rows(tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    path = plan / "visits.csv"
    good = path.read_text(encoding="utf-8-sig")
    path.write_text(good.replace("depart", "leave", 1), encoding="utf-8-sig")
    with pytest.raises(InputError, match=r"^visits\.csv, field 'depart': column missing"):
        read_table(path)
    lines = good.splitlines()
    lines[2] += ",extra"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    n = len(lines[0].split(","))
    with pytest.raises(InputError, match=rf"^visits\.csv, row 3: has {n + 1} cells where the header has {n} columns"):
        read_table(path)


def test_duties_and_stops_must_not_run_backwards(tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    _replace_cell(plan / "posts.csv", "duty_end", 2, "07:00:00")  # K1 morning starts 07:20
    with pytest.raises(InputError, match=r"^posts\.csv, row 2, field 'duty_end': duty ends before it starts"):
        read_posts(plan)
    _replace_cell(plan / "visits.csv", "depart", 2, "07:00:00")  # the first stop arrives 07:05
    with pytest.raises(InputError, match=r"^visits\.csv, row 2, field 'depart': departure before arrival"):
        read_visits(plan)
