"""The semester on the tiny town: day types, a two-week term with a holiday and a make-up day,
term totals by hand, and a fair roster of named officers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest
from semester_fixture import term_scenario

from geo_patrol.cli import main
from geo_patrol.errors import InputError
from geo_patrol.scenario import Scenario
from geo_patrol.semester import Calendar, day_types, fairness, plan_semester, staffing, term_summary, write_semester


def test_weekdays_with_other_windows_make_their_own_day_type(tiny_dir):
    scenario = term_scenario(tiny_dir, officers=False)
    assert [(t.name, t.weekdays) for t in day_types(scenario)] == [
        ("mon-thu", ("monday", "tuesday", "wednesday", "thursday")), ("fri", ("friday",))]
    assert str(scenario.school("S1").on("friday").windows["afternoon"][0]) == "15:00-15:40"
    assert str(scenario.school("S1").on("monday").windows["afternoon"][0]) == "16:00-16:40"


def test_the_calendar_maps_every_date(tiny_dir):
    calendar = term_scenario(tiny_dir, officers=False).calendar
    kinds = {d.isoformat(): (kind, weekday) for d, kind, weekday in calendar.dates()}
    assert len(kinds) == 12
    assert kinds["2026-09-10"] == ("holiday", "thursday")
    assert kinds["2026-09-12"] == ("make_up", "thursday") and kinds["2026-09-13"] == ("weekend", "sunday")
    assert sum(1 for kind, _ in kinds.values() if kind in ("school", "make_up")) == 10


def test_term_totals_by_hand_and_a_fair_roster(tiny_dir, tmp_path, capsys):
    scenario = term_scenario(tiny_dir)
    semester = plan_semester(scenario, time_limit_s=2)
    days = {name: sum(1 for d in semester.dates if d[3] == name) for name in semester.plans}
    # week 1: Mon Tue Wed + the Saturday make-up (Thursday's hours), Fri; week 2: Mon–Thu, Fri
    assert days == {"mon-thu": 8, "fri": 2}
    per_day = {name: sum(p + a for row in plan.stations for p, a, _ in row.use.values())
               for name, plan in semester.plans.items()}
    # two posts, each one police and one auxiliary, morning and afternoon: 8 officer-shifts a day
    assert per_day == {"mon-thu": 8, "fri": 8}
    (station, total) = term_summary(semester)
    assert station["station_id"] == "P1" and station["officer_shifts"] == 80 == total["officer_shifts"]
    assert total["car_shifts"] == sum(days[n] * sum(c for r in p.stations for _, _, c in r.use.values())
                                      for n, p in semester.plans.items())
    # named officers: two slots a role a day, each a person for both school runs, nobody away on duty
    assert all(row["officer_id"] for row in semester.roster)
    assert not any(row["officer_id"] == "A2" and row["date"] == "2026-09-08" for row in semester.roster)
    assert not any(row["officer_id"] == "B3" and row["date"] in ("2026-09-14", "2026-09-15")
                   for row in semester.roster)
    for day in {row["date"] for row in semester.roster}:  # nobody in two places at once
        duties: dict[str, list] = {}
        for r in semester.roster:
            if r["date"] == day:
                duties.setdefault(r["officer_id"], []).append((r["start"], r["end"]))
        for spans in duties.values():
            spans.sort()
            assert all(a[1] <= b[0] for a, b in zip(spans, spans[1:])), spans
    f = fairness(semester, scenario)
    assert f["people"] == 6 and f["unfilled_slot_rows"] == 0
    assert f["max"] - f["min"] == f["spread"] <= 2  # 40 duties per role over three people: 12–14
    # the folder: a plan per day type, the calendar, the totals, the roster
    out = write_semester(semester, scenario, tmp_path / "term")
    rows = list(csv.DictReader(io.StringIO((out / "calendar.csv").read_text(encoding="utf-8-sig"))))
    assert [r["day_type"] for r in rows if r["date"] in ("2026-09-10", "2026-09-11", "2026-09-12")] == [
        "", "fri", "mon-thu"]
    meta = json.loads((out / "semester.json").read_text(encoding="utf-8"))
    assert meta["day_types"]["fri"]["dates"] == 2 and meta["term_summary"][-1]["officer_shifts"] == 80
    assert (out / "day_types" / "fri" / "map.html").is_file() and (out / "roster_by_date.csv").is_file()
    # every table of a day type says which, the workbook has a sheet a week, the index links both day types
    posts = list(csv.DictReader(io.StringIO((out / "day_types" / "fri" / "posts.csv").read_text(encoding="utf-8-sig"))))
    assert posts and {row["day_type"] for row in posts} == {"fri"}
    assert openpyxl.load_workbook(out / "roster_by_week.xlsx").sheetnames == ["2026-W37", "2026-W38"]
    # the term workbook switches day type: links to each one's workbook, and one coverage sheet filtered by day type
    book = openpyxl.load_workbook(out / "term_report.xlsx")
    types = book.worksheets[0]
    assert [c.value for c in types["A"][1:]] == ["mon-thu", "fri"]
    assert types["E3"].hyperlink.target == "day_types/fri/report.xlsx"
    sheet = book["三见覆盖 (coverage)"]
    assert sheet.auto_filter.ref and {r[0].value for r in sheet.iter_rows(min_row=2)} == {"mon-thu", "fri"}
    fri_rows = [r for r in sheet.iter_rows(min_row=2, values_only=True) if r[0] == "fri"]
    assert len(fri_rows) == len(semester.plans["fri"].coverage)
    assert ("fri", "S1", "第一小学", "afternoon", "15:00", "15:40") in {r[:6] for r in fri_rows}
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="day_types/mon-thu/map.html"' in index and 'href="day_types/fri/report.xlsx"' in index
    assert "@font-face" in index and "font/woff2" in index  # its Chinese prints where no CJK font is installed
    # each day type's map switches to the other's and marks its own
    fri_map = (out / "day_types" / "fri" / "map.html").read_text(encoding="utf-8")
    assert '<a href="../mon-thu/map.html">mon-thu</a>' in fri_map and "<b>fri</b>" in fri_map
    assert '<a href="../fri/map.html">' not in fri_map


def test_a_reinforced_spell_is_a_day_type_of_its_own(tiny_dir):
    scenario = term_scenario(tiny_dir, friday=False, officers=False)
    text = (tiny_dir / "scenario.toml").read_text(encoding="utf-8")
    text += '\n[[calendar.reinforced]]\nfrom = "2026-09-07"\nto = "2026-09-08"\nvisits_per_window = 2\n'
    (tiny_dir / "scenario.toml").write_text(text, encoding="utf-8")
    semester = plan_semester(Scenario.from_toml(tiny_dir / "scenario.toml"), time_limit_s=2)
    days = {name: sum(1 for d in semester.dates if d[3] == name) for name in semester.plans}
    assert days == {"mon-fri+reinforced": 2, "mon-fri": 8}
    stops = {name: len(plan.visits) for name, plan in semester.plans.items()}
    assert stops["mon-fri+reinforced"] > stops["mon-fri"]
    assert scenario.parameters.visits_per_window == 1


@pytest.mark.parametrize("calendar, message", [
    ('[calendar]\nterm_start = "2026-09-07"\n', "calendar.term_end': \\[calendar\\] has no term_end"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-01"\n', "the term ends before it starts"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\nholidays = ["2026-13-01"]\n',
     "'2026-13-01' is not a date"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\nworkdays = { "2026-09-12" = "funday" }\n',
     "'funday' is not a school weekday"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\nholidays = ["2026-09-12"]\n'
     'workdays = { "2026-09-12" = "friday" }\n', "2026-09-12 is both a holiday and a make-up school day"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\nworkdays = { "2026-12-26" = "friday" }\n',
     "the make-up day 2026-12-26 lies outside the term"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\n[[calendar.reinforced]]\nfrom = "2026-09-10"\n'
     'to = "2026-09-08"\n', "field 'calendar.reinforced\\[1\\].to': the spell ends before it starts"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\n[[calendar.reinforced]]\nfrom = "2026-09-07"\n'
     'to = "2026-09-08"\nvisits_per_window = 0\n', "field 'calendar.reinforced\\[1\\].visits_per_window'"),
    ('[calendar]\nterm_start = "2026-09-07"\nterm_end = "2026-09-18"\n[[calendar.reinforced]]\nfrom = "2026-09-07"\n'
     'to = "2026-09-08"\nmax_arc_m = 50\n', "'max_arc_m' shapes the road network"),
    ('[parameters]\nmax_arc_m = 0.12\n', "max_arc_m 0.12 would cut the roads into pieces under 10 m"),
])
def test_a_bad_calendar_is_one_line(tiny_dir, capsys, calendar, message):
    (tiny_dir / "scenario.toml").write_text((tiny_dir / "scenario.toml").read_text(encoding="utf-8") + calendar,
                                            encoding="utf-8")
    assert main(["semester", str(tiny_dir / "scenario.toml"), "--out", str(tiny_dir / "term")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert len(err) == 1
    assert __import__("re").search(message, err[0]), err[0]
    assert not (tiny_dir / "term").exists()


def test_dates_are_iso():
    with pytest.raises(InputError, match="'next monday' is not a date"):
        Calendar.from_mapping({"term_start": "next monday", "term_end": dt.date(2026, 9, 18)})


EXAM_SITES = """考点编号,考点名称,类型,经度,纬度,在校人数,优先级,上学时间,放学时间
S3,第二中学考点,高中,114.3060,30.5060,600,5,07:40-08:30,11:30-12:00
K1,城关考点,高中,114.3040,30.5040,400,5,07:40-08:30,17:00-17:30
"""

EXAM = """
[[calendar.exams]]
id = "xk"
name = "学业水平考试"
dates = ["2026-09-09", "2026-09-13"]    # a Wednesday, and a Sunday
sites = "exam_sites.csv"
"""


def test_exam_days_add_their_sites_with_their_hours(tiny_dir, tmp_path, capsys):
    """An exam on a school day adds its sites to the weekday's day type (a site with a school's id
    stands in for that school); on a Sunday the exam sites are the only ones."""
    term_scenario(tiny_dir, friday=True, officers=False)
    (tiny_dir / "exam_sites.csv").write_text(EXAM_SITES, encoding="utf-8")
    with open(tiny_dir / "scenario.toml", "a", encoding="utf-8") as handle:
        handle.write(EXAM)
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    assert "exam_sites:xk" in scenario.input_files
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 0
    shown = capsys.readouterr().out
    assert "Term 2026-09-07 – 2026-09-18: 11 day(s) with school runs — mon-thu 7, mon-thu+xk 1, fri 2, xk 1" in shown
    assert "exam xk 学业水平考试: 2 site(s) on 2026-09-09, 2026-09-13" in shown
    semester = plan_semester(scenario, time_limit_s=2)
    days = {name: sum(1 for d in semester.dates if d[3] == name) for name in semester.plans}
    assert days == {"mon-thu": 7, "mon-thu+xk": 1, "fri": 2, "xk": 1}
    kinds = {d.isoformat(): (kind, name) for d, kind, _, name in semester.dates}
    assert kinds["2026-09-09"] == ("school", "mon-thu+xk") and kinds["2026-09-13"] == ("exam", "xk")
    wednesday = {s.school_id: s for s in semester.plans["mon-thu+xk"].schools}
    assert sorted(wednesday) == ["K1", "S1", "S2", "S3"]
    assert wednesday["S3"].afternoon == "11:30-12:00" and wednesday["S1"].afternoon == "16:00-16:40"
    assert sorted(s.school_id for s in semester.plans["xk"].schools) == ["K1", "S3"]
    coverage = {(c.school_id, c.period) for c in semester.plans["xk"].coverage}
    assert coverage == {("K1", "morning"), ("K1", "afternoon"), ("S3", "morning"), ("S3", "afternoon")}
    out = write_semester(semester, scenario, tmp_path / "term")
    rows = list(csv.DictReader(io.StringIO((out / "calendar.csv").read_text(encoding="utf-8-sig"))))
    assert [(r["kind"], r["day_type"]) for r in rows if r["date"] == "2026-09-13"] == [("exam", "xk")]
    # one exam day type planned alone, from the command line
    assert main(["plan", str(tiny_dir / "scenario.toml"), "--day-type", "xk", "--out", str(tmp_path / "xk"),
                 "--no-map", "--time-limit", "2"]) == 0
    assert "K1" in (tmp_path / "xk" / "coverage.csv").read_text(encoding="utf-8-sig")


@pytest.mark.parametrize("extra, message", [
    ('[[calendar.exams]]\ndates = ["2026-09-09"]\n', "the exam has no sites"),
    ('[[calendar.exams]]\nid = "fri"\ndates = ["2026-09-13"]\nsites = "exam_sites.csv"\n', "'fri' is not an exam id"),
    ('[[calendar.exams]]\ndates = ["2027-06-14"]\nsites = "exam_sites.csv"\n',
     "the exam date 2027-06-14 lies outside the term"),
    ('[[calendar.exams]]\ndates = ["2026-09-09"]\nsites = "exam_sites.csv"\nsites_datum = "utm"\n',
     "field 'calendar.exams[1].sites_datum'"),
    ('[[calendar.exams]]\nid = "中考"\ndates = ["2026-09-09"]\nsites = "exam_sites.csv"\n', "is not an exam id"),
    ('[[calendar.exams]]\ndates = ["2026-09-09"]\nsites = "missing.csv"\n', "missing.csv"),
    ('[[calendar.exams]]\ndates = "2026-09-09"\nsites = "exam_sites.csv"\n', "is not a list"),
])
def test_a_bad_exam_is_one_line(tiny_dir, capsys, extra, message):
    term_scenario(tiny_dir, friday=False, officers=False)
    (tiny_dir / "exam_sites.csv").write_text(EXAM_SITES, encoding="utf-8")
    with open(tiny_dir / "scenario.toml", "a", encoding="utf-8") as handle:
        handle.write("\n" + extra)
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 2
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert len(err) == 1 and message in err[0], err


def test_evaluate_checks_each_day_type_against_its_own_day(tiny_dir, tmp_path, capsys):
    """A Friday plan is evaluated with Friday's windows; a semester folder is evaluated day type by
    day type and its term totals follow the edits."""
    scenario = term_scenario(tiny_dir)
    out = write_semester(plan_semester(scenario, time_limit_s=2), scenario, tmp_path / "term")
    before = {r["station_id"]: r for r in csv.DictReader(io.StringIO(
        (out / "term_summary.csv").read_text(encoding="utf-8-sig")))}
    fri = out / "day_types" / "fri"
    def friday_dismissal() -> list[str]:
        return [r["window_start"] for r in csv.DictReader(io.StringIO(
            (fri / "coverage.csv").read_text(encoding="utf-8-sig"))) if r["school_id"] == "S1"
            and r["period"] == "afternoon"]

    assert friday_dismissal() == ["15:00:00"]  # Friday's dismissal, not Monday's 16:00
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(fri)]) == 0
    assert friday_dismissal() == ["15:00:00"]
    assert json.loads((fri / "plan.json").read_text(encoding="utf-8"))["day_type"] == "fri"
    # hand edit: drop the Friday afternoon posts; the whole semester is evaluated again
    posts = (fri / "posts.csv").read_text(encoding="utf-8-sig").splitlines()
    header = posts[0].split(",")
    kept = [line for line in posts[1:] if line.split(",")[header.index("period")] != "afternoon"]
    (fri / "posts.csv").write_text("\n".join([posts[0], *kept]) + "\n", encoding="utf-8")
    roster = (fri / "rosters.csv").read_text(encoding="utf-8-sig").splitlines()
    column = roster[0].split(",").index("period")
    (fri / "rosters.csv").write_text("\n".join([roster[0], *(line for line in roster[1:]
                                                             if line.split(",")[column] != "afternoon")]) + "\n",
                                     encoding="utf-8")
    capsys.readouterr()
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 0
    # evaluated in a copy swapped in whole: the report names the folder, no staging folder is left
    assert f"Evaluated {out / 'day_types' / 'fri'}:" in capsys.readouterr().out
    assert sorted(p.name for p in out.parent.iterdir() if p.name.startswith(".")) == []
    after = {r["station_id"]: r for r in csv.DictReader(io.StringIO(
        (out / "term_summary.csv").read_text(encoding="utf-8-sig")))}
    officer = roster[0].split(",").index("officer")
    freed = {line.split(",")[officer] for line in roster[1:] if line.split(",")[column] == "afternoon"}
    assert freed  # each officer of a Friday afternoon is one officer-shift less on each of the two Fridays
    assert int(after["total"]["officer_shifts"]) == int(before["total"]["officer_shifts"]) - 2 * len(freed)
    assert '<a href="../mon-thu/map.html">mon-thu</a>' in (fri / "map.html").read_text(encoding="utf-8")


def test_posts_stay_put_across_day_types_and_terms(tiny_dir, tmp_path):
    scenario = term_scenario(tiny_dir, officers=False)
    semester = plan_semester(scenario, time_limit_s=2)
    assert semester.anchor == "mon-thu"
    places = {name: {(p.lon, p.lat) for p in plan.posts} for name, plan in semester.plans.items()}
    assert places["fri"] == places["mon-thu"]
    assert semester.plans["fri"].meta["changes_from_previous"]["kept"] == len(places["mon-thu"])
    out = write_semester(semester, scenario, tmp_path / "autumn")
    assert main(["semester", str(tiny_dir / "scenario.toml"), "--previous", str(out), "--out",
                 str(tmp_path / "spring"), "--time-limit", "2"]) == 0
    spring = json.loads((tmp_path / "spring" / "day_types" / "mon-thu" / "plan.json").read_text(encoding="utf-8"))
    assert spring["changes_from_previous"]["kept"] == len(places["mon-thu"])


def test_whatif_for_one_day_type(tiny_dir, tmp_path, capsys):
    term_scenario(tiny_dir, officers=False)
    assert main(["whatif", str(tiny_dir / "scenario.toml"), "--day-type", "fri", "--cars", "1:2:1",
                 "--out", str(tmp_path / "w"), "--time-limit", "2"]) == 0
    assert (tmp_path / "w" / "whatif_cars.csv").is_file()
    assert main(["whatif", str(tiny_dir / "scenario.toml"), "--day-type", "sat", "--cars", "1",
                 "--out", str(tmp_path / "w2")]) == 2
    assert "is not a day type of this scenario" in capsys.readouterr().err


def test_planning_within_the_cap_leaves_no_week_short(tiny_dir, tmp_path):
    """Three police and three auxiliaries at 6 duties a week staff ⌊3 × 6 / (5 days × 2 runs)⌋ = 1
    slot each: the semester plans one post, and no week is short of people."""
    term_scenario(tiny_dir)
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "max_duties_per_week = 8", "max_duties_per_week = 6\nplan_within_cap = true"), encoding="utf-8")
    scenario = Scenario.from_toml(path)
    semester = plan_semester(scenario, time_limit_s=2)
    assert semester.capped == {"P1": {"police": [10, 1], "auxiliary": [12, 1]}}
    for plan in semester.plans.values():
        assert {e.officer for e in plan.roster if e.role == "police"} == {"P1-police-1"}
    assert not any(r["short"] for r in staffing(semester, scenario))
    assert all(r["officer_id"] for r in semester.roster)
    out = write_semester(semester, scenario, tmp_path / "term")
    meta = json.loads((out / "semester.json").read_text(encoding="utf-8"))
    assert meta["plan_within_cap"]["cut"]["P1"]["police"] == [10, 1] and meta["staffing_warnings"] == []


def test_an_exam_site_file_is_checked_at_load_and_named(tiny_dir, capsys):
    term_scenario(tiny_dir, friday=False, officers=False)
    (tiny_dir / "exam_sites.csv").write_text(EXAM_SITES.replace("07:40-08:30,17:00", "07:40-12:30,17:00"),
                                             encoding="utf-8")
    bad = EXAM_SITES.replace("K1,城关考点,高中,114.3040,30.5040,400,5,07:40-08:30,17:00-17:30",
                             "K1,城关考点,高中,114.3040,30.5040,400,5,07:40-12:30,11:30-12:00")
    (tiny_dir / "exam_sites.csv").write_text(bad, encoding="utf-8")
    with open(tiny_dir / "scenario.toml", "a", encoding="utf-8") as handle:
        handle.write(EXAM)
    assert main(["inspect", str(tiny_dir / "scenario.toml")]) == 2
    (line,) = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("[")]
    assert line.startswith("geo-patrol: error: exam_sites.csv, row 3, field 'afternoon'") and "overlaps" in line


def test_two_spells_with_other_parameters_are_two_day_types(tiny_dir):
    term_scenario(tiny_dir, friday=False, officers=False)
    with open(tiny_dir / "scenario.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[[calendar.reinforced]]\nfrom = "2026-09-07"\nto = "2026-09-08"\nvisits_per_window = 2\n'
                     '\n[[calendar.reinforced]]\nfrom = "2026-09-14"\nto = "2026-09-15"\nvisits_per_window = 3\n')
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    named = {d.isoformat(): t.name for d, _, _, t in scenario.term_dates() if t is not None}
    assert (named["2026-09-07"], named["2026-09-14"], named["2026-09-09"]) == (
        "mon-fri+reinforced", "mon-fri+reinforced2", "mon-fri")
    assert scenario.for_day(scenario.day_type("mon-fri+reinforced2")).parameters.visits_per_window == 3


def test_a_changed_calendar_leaves_the_semester_folder_as_it_was(tiny_dir, tmp_path, capsys):
    scenario = term_scenario(tiny_dir)
    out = write_semester(plan_semester(scenario, time_limit_s=2), scenario, tmp_path / "term")
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    with open(tiny_dir / "scenario.toml", "a", encoding="utf-8") as handle:
        handle.write('\n[[calendar.reinforced]]\nfrom = "2026-09-07"\nto = "2026-09-08"\nvisits_per_window = 2\n')
    for target in (out, out / "day_types" / "fri"):
        assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(target)]) == 2
        assert "are not the semester's" in capsys.readouterr().err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_evaluating_a_capped_semester_keeps_the_cap_and_the_links(tiny_dir, tmp_path):
    term_scenario(tiny_dir)
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(
        "max_duties_per_week = 8", "max_duties_per_week = 6\nplan_within_cap = true"), encoding="utf-8")
    scenario = Scenario.from_toml(path)
    out = write_semester(plan_semester(scenario, time_limit_s=2), scenario, tmp_path / "term")
    assert main(["evaluate", str(path), "--plan", str(out / "day_types" / "fri")]) == 0
    meta = json.loads((out / "semester.json").read_text(encoding="utf-8"))
    assert meta["plan_within_cap"]["cut"] == {"P1": {"police": [10, 1], "auxiliary": [12, 1]}}
    (station,) = csv.DictReader(io.StringIO((out / "day_types" / "fri" / "stations.csv").read_text(
        encoding="utf-8-sig")))
    assert (station["police"], station["auxiliary"]) == ("1", "1")  # for posts: the capped numbers
    assert '<a href="../mon-thu/map.html">mon-thu</a>' in (out / "day_types" / "fri" / "map.html").read_text(
        encoding="utf-8")
    assert main(["evaluate", str(path), "--plan", str(out)]) == 0
    assert json.loads((out / "semester.json").read_text(encoding="utf-8"))["plan_within_cap"]["cut"]["P1"]


def test_an_edited_anchor_or_day_type_name_is_one_line(tiny_dir, tmp_path, capsys):
    scenario = term_scenario(tiny_dir, officers=False)
    out = write_semester(plan_semester(scenario, time_limit_s=2), scenario, tmp_path / "term")
    meta_path = out / "semester.json"
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    meta_path.write_text(json.dumps({**meta, "anchor": "zzz"}), encoding="utf-8")
    assert main(["semester", str(tiny_dir / "scenario.toml"), "--previous", str(out), "--out",
                 str(tmp_path / "next")]) == 2
    assert "the anchor 'zzz' is not one of its day types" in capsys.readouterr().err
    meta["day_types"] = {"../x": {}}
    meta_path.write_text(json.dumps(meta), encoding="utf-8")
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 2
    assert "'../x' is not a day type's folder name" in capsys.readouterr().err
