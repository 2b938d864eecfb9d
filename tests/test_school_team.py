"""The school side of each post's team, per school: read from the school table, carried by the
plan's schools.csv, listed on the duty sheets, counted in school_people.csv and printed on each
school's own sheet."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import read_rows
from plan_fixture import fixture_plan

from geo_patrol.cli import main
from geo_patrol.errors import InputError
from geo_patrol.io.tables import read_schools
from geo_patrol.model import parse_team
from geo_patrol.outputs.school_sheets import school_pages
from geo_patrol.plan import Plan, make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.semester import plan_semester, school_people, write_semester

#: S1 its own team (Chinese role names), S2 the scenario's default, S3 none at all
TEAMS = {"S1": "校领导:1; 保安:3; 志愿者:6", "S2": "", "S3": "无"}


def _with_teams(tiny_dir, teams=TEAMS, header="校方力量"):
    path = tiny_dir / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += f",{header}"
    lines[1:] = [line + f",{teams[line.split(',')[0]]}" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Scenario.from_toml(tiny_dir / "scenario.toml")


def test_the_team_cell_reads_english_and_chinese_role_names():
    assert parse_team("school_cadre:1; guards:2; volunteers:6") == {"school_cadre": 1, "guards": 2, "volunteers": 6}
    assert parse_team("志愿者：4，保安 2、学校干部=1; 教职工:2") == {"school_cadre": 1, "guards": 2, "staff": 2,
                                                             "volunteers": 4}
    assert parse_team("") is None and parse_team("无") == {} and parse_team("none") == {}


@pytest.mark.parametrize("header", ["校方力量", "学校力量", "school_team"])
def test_schools_table_takes_a_team_per_school(tiny_dir, header):
    scenario = _with_teams(tiny_dir, header=header)
    teams = {s.id: s.school_team for s in scenario.schools}
    assert teams == {"S1": {"school_cadre": 1, "guards": 3, "volunteers": 6}, "S2": None, "S3": {}}
    default = scenario.parameters.school_team
    assert scenario.school("S2").team(default) == {"school_cadre": 1, "guards": 2, "staff": 2, "volunteers": 4}
    assert scenario.school("S1").team(default) == {"school_cadre": 1, "guards": 3, "volunteers": 6}


@pytest.mark.parametrize(("cell", "problem"), [
    ("gaurds:2", "'gaurds' is not a school role"),
    ("保安", "'保安' is not a role and a number"),
    ("保安:两", "'两' for 保安 is not a number of people 0…50"),
    ("保安:2; guards:1", "guards is given twice"),
])
def test_a_bad_team_is_one_line_naming_file_row_field_and_hint(tiny_dir, cell, problem):
    path = tiny_dir / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",校方力量"
    lines[1:] = [line + ("," + cell if line.startswith("S2,") else ",") for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_schools(path)
    message = str(caught.value)
    assert "\n" not in message
    assert message.startswith(f"schools.csv, row 3, field '校方力量': {problem} — write role:number pairs")
    assert "校领导, 保安, 教职工, 志愿者" in message


def test_a_bad_team_is_collected_with_the_other_row_errors(tiny_dir, capsys):
    path = tiny_dir / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",校方力量"
    lines[1] = lines[1].replace(",900,", ",many,") + ",保安:2"
    lines[2] = lines[2] + ",cooks:3"
    lines[3] = lines[3] + ","
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 2
    err = capsys.readouterr().err.splitlines()
    assert err[0].startswith("geo-patrol: error: ") and "2 problems in 2 rows" in err[0]
    assert err[1].startswith("schools.csv, row 2, field '在校人数': 'many' is not a number")
    assert err[2].startswith("schools.csv, row 3, field '校方力量': 'cooks' is not a school role")


@pytest.fixture
def team_plan(tiny_dir) -> Plan:
    return make_plan(_with_teams(tiny_dir), time_limit_s=2)


def test_the_plan_carries_each_schools_team_and_the_duty_sheets_list_it(team_plan, tmp_path):
    teams = {s.school_id: dict(s.school_team) for s in team_plan.schools}
    assert teams == {"S1": {"school_cadre": 1, "guards": 3, "volunteers": 6},
                     "S2": {"school_cadre": 1, "guards": 2, "staff": 2, "volunteers": 4}, "S3": {}}
    out = team_plan.to_dir(tmp_path / "plan", with_map=False)
    rows = {r["school_id"]: r["school_team"] for r in read_rows(out / "schools.csv")}
    assert rows == {"S1": "school_cadre:1; guards:3; volunteers:6",
                    "S2": "school_cadre:1; guards:2; staff:2; volunteers:4", "S3": ""}
    assert Plan.from_dir(out) == team_plan
    sheets = (out / "duty_sheets.html").read_text(encoding="utf-8")
    # one post serves S1 and S2, another S3: each page lists what each of its schools provides
    assert {d.school_ids for d in team_plan.posts} == {("S1", "S2"), ("S3",)}
    first, second = sheets.split('<section class="page">')[1:3]
    assert "校方人员（每岗每时段）" in first
    assert "<td>第一小学 (S1)</td><td>校领导 1、保安 3、志愿者 6</td>" in first
    assert "<td>实验幼儿园 (S2)</td><td>校领导 1、保安 2、教职工 2、志愿者 4</td>" in first
    assert "<td>第二中学 (S3)</td><td>无</td>" in second and "(S1)</td><td>校领导" not in second


def test_a_plan_written_before_the_team_column_still_reads(tmp_path):
    plan = fixture_plan()
    folder = plan.to_dir(tmp_path / "plan", documents=False)
    path = folder / "schools.csv"
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert rows[0][-1] == "school_team"
    path.write_text("\n".join(",".join(r[:-1]) for r in rows) + "\n", encoding="utf-8-sig")
    assert Plan.from_dir(folder) == plan  # the fixture's schools provide nobody: blank either way


def test_school_people_and_each_schools_own_sheet_use_its_team(tiny_dir, tmp_path):
    scenario = _with_teams(tiny_dir)
    text = (tiny_dir / "scenario.toml").read_text(encoding="utf-8")
    text += '\n[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\nholidays = ["2026-09-10"]\n'
    (tiny_dir / "scenario.toml").write_text(text, encoding="utf-8")
    semester = plan_semester(Scenario.from_toml(tiny_dir / "scenario.toml"), time_limit_s=2)
    (name, plan), = semester.plans.items()
    assert name == "mon-fri"
    rows = {r["school_id"]: r for r in school_people(semester)}
    periods = {sid: len({(d.post_id, d.period) for d in plan.posts if sid in d.school_ids}) for sid in rows}
    for sid, row in rows.items():
        team = parse_team(TEAMS[sid]) if TEAMS[sid] else dict(scenario.parameters.school_team)
        assert row["school_days"] == 9 and row["post_periods"] == periods[sid]
        for role in ("school_cadre", "guards", "staff", "volunteers"):
            assert row[f"{role}_per_day"] == team.get(role, 0) * periods[sid]
            assert row[f"{role}_term"] == team.get(role, 0) * periods[sid] * 9
    assert list(rows) == ["S1", "S2", "S3"] and periods == {"S1": 2, "S2": 2, "S3": 2}
    assert rows["S1"]["school_team"] == "school_cadre:1; guards:3; volunteers:6"
    assert rows["S1"]["staff_per_day"] == 0 and rows["S1"]["volunteers_per_day"] == 12
    assert rows["S2"]["volunteers_term"] == 4 * 2 * 9 and rows["S3"]["guards_term"] == 0
    # the folder: school_people.csv and a page per school in school_sheets.html
    out = write_semester(semester, scenario, tmp_path / "term")
    written = list(csv.DictReader(io.StringIO((out / "school_people.csv").read_text(encoding="utf-8-sig"))))
    assert [r["school_id"] for r in written] == list(rows)
    page = (out / "school_sheets.html").read_text(encoding="utf-8")
    assert page.count('<section class="page school">') == len(rows)
    assert page.count("<h1>学校护学岗人员安排表</h1>") == len(rows)
    s1 = page.split('<section class="page school">')[1]
    assert "第一小学 (S1)" in s1 and "校领导 1、保安 3、志愿者 6" in s1
    assert "<b>108</b>" in s1  # volunteers over the term: 6 × 2 post-periods × 9 days
    assert "http://" not in page and "<script" not in page


def test_school_pages_in_english_name_the_roles():
    rows = [{"school_id": "S9", "name": "<b>No. 9</b>", "day_type": "mon-thu", "school_days": 10, "post_periods": 2,
             "school_team": "guards:2; parents:1", "guards_per_day": 4, "parents_per_day": 2, "guards_term": 40,
             "parents_term": 20}]
    (page,) = school_pages(rows, "en")
    assert page["roles"] == ["guards", "parents"] and page["totals"] == [40, 20] and page["total"] == 60
    assert page["team"] == "2 guards, 1 parents" and page["lines"][0]["cells"] == [(4, 40), (2, 20)]
