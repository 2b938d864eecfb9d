"""The semester on the tiny town: day types, a two-week term with a holiday and a make-up day,
term totals by hand, and a fair roster of named officers."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json

import openpyxl
import pytest

from geo_patrol.cli import main
from geo_patrol.errors import InputError
from geo_patrol.scenario import Scenario
from geo_patrol.semester import Calendar, day_types, fairness, plan_semester, term_summary, write_semester

CALENDAR = """
[calendar]
term_start = "2026-09-07"          # a Monday
term_end = "2026-09-18"            # the Friday of the next week
holidays = ["2026-09-10"]          # Thursday off
workdays = { "2026-09-12" = "thursday" }   # 调休: Saturday with Thursday's hours
max_duties_per_week = 8
"""

OFFICERS = """警号,姓名,所属派出所,类别,不可用日期
A1,张一,P1,民警,
A2,张二,P1,民警,2026-09-08
A3,张三,P1,民警,
B1,李一,P1,辅警,
B2,李二,P1,辅警,
B3,李三,P1,辅警,2026-09-14:2026-09-15
"""


def _term(tiny_dir, *, friday: bool = True, officers: bool = True) -> Scenario:
    if friday:  # 第一小学 dismisses at 15:00 on Fridays
        path = tiny_dir / "schools.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[0] += ",周五放学"
        lines[1:] = [line + (",15:00-15:40" if line.startswith("S1,") else ",") for line in lines[1:]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (tiny_dir / "scenario.toml").read_text(encoding="utf-8")
    if officers:
        (tiny_dir / "officers.csv").write_text(OFFICERS, encoding="utf-8")
        text = text.replace('network = "roads.osm"', 'network = "roads.osm"\nofficers = "officers.csv"')
    (tiny_dir / "scenario.toml").write_text(text + CALENDAR, encoding="utf-8")
    return Scenario.from_toml(tiny_dir / "scenario.toml")


def test_weekdays_with_other_windows_make_their_own_day_type(tiny_dir):
    scenario = _term(tiny_dir, officers=False)
    assert [(t.name, t.weekdays) for t in day_types(scenario)] == [
        ("mon-thu", ("monday", "tuesday", "wednesday", "thursday")), ("fri", ("friday",))]
    assert str(scenario.school("S1").on("friday").windows["afternoon"][0]) == "15:00-15:40"
    assert str(scenario.school("S1").on("monday").windows["afternoon"][0]) == "16:00-16:40"


def test_the_calendar_maps_every_date(tiny_dir):
    calendar = Calendar.from_mapping(_term(tiny_dir, officers=False).calendar)
    kinds = {d.isoformat(): (kind, weekday) for d, kind, weekday in calendar.dates()}
    assert len(kinds) == 12
    assert kinds["2026-09-10"] == ("holiday", "thursday")
    assert kinds["2026-09-12"] == ("make_up", "thursday") and kinds["2026-09-13"] == ("weekend", "sunday")
    assert sum(1 for kind, _ in kinds.values() if kind in ("school", "make_up")) == 10


def test_term_totals_by_hand_and_a_fair_roster(tiny_dir, tmp_path, capsys):
    scenario = _term(tiny_dir)
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
    index = (out / "index.html").read_text(encoding="utf-8")
    assert 'href="day_types/mon-thu/map.html"' in index and 'href="day_types/fri/report.xlsx"' in index
    # each day type's map switches to the other's and marks its own
    fri_map = (out / "day_types" / "fri" / "map.html").read_text(encoding="utf-8")
    assert '<a href="../mon-thu/map.html">mon-thu</a>' in fri_map and "<b>fri</b>" in fri_map
    assert '<a href="../fri/map.html">' not in fri_map


def test_a_reinforced_spell_is_a_day_type_of_its_own(tiny_dir):
    scenario = _term(tiny_dir, friday=False, officers=False)
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
