"""Staffing by week (:mod:`geo_patrol.roster.staffing`): the people the roster slots need under
the weekly cap, against the people there are."""

from __future__ import annotations

from semester_fixture import term_scenario

from geo_patrol.cli import main
from geo_patrol.roster.staffing import _days_within, _duties_within, staffing, staffing_warnings
from geo_patrol.scenario import Scenario
from geo_patrol.semester import plan_semester


def test_whole_days_under_the_cap():
    """A person takes whole days, one slot a day: the shortest first for the count of days, and a
    subset sum for the most duties (an exam day's 3 duties fit a cap of 7 worse than 2 + 2 + 2)."""
    assert _days_within([3, 2, 2, 2], 7) == 3 and _duties_within([3, 2, 2, 2], 7) == 7
    assert _days_within([3, 3, 3], 7) == 2 and _duties_within([3, 3, 3], 7) == 6
    assert _days_within([], 6) == 0 and _duties_within([4], 3) == 0


def test_warnings_name_the_worst_week():
    row = {"station_id": "P1", "role": "police", "max_duties_per_week": 6, "slot_days": 10, "duties": 20,
           "people_needed": 4, "people": 3, "capacity": 9}
    rows = [{**row, "week": "2026-W37", "short": 1, "roster_empty": 0},
            {**row, "week": "2026-W38", "short": 1, "roster_empty": 2},
            {**row, "week": "2026-W39", "short": 0, "roster_empty": 0}]
    (line,) = staffing_warnings(rows)
    assert line.startswith("P1 police: short of people under the cap of 6 school-run duties a week in 2 week(s); "
                           "worst 2026-W38: 10 slot-days (20 duties) need 4 people")
    assert "the roster left 2 slot-day(s) empty" in line and staffing_warnings(rows[2:]) == []


def test_staffing_under_the_weekly_cap_by_hand(tiny_dir, tmp_path, capsys):
    """Week 37 has five school days (Mon, Tue, Wed, the Saturday make-up, Fri); each needs two police
    slots of two school runs: 20 police duties. Under a cap of 6 a week that takes ⌈20/6⌉ = 4 people;
    the station has 3 in the officers table, so one is missing and the roster leaves duties empty."""
    term_scenario(tiny_dir)
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("max_duties_per_week = 8", "max_duties_per_week = 6"),
                    encoding="utf-8")
    scenario = Scenario.from_toml(path)
    semester = plan_semester(scenario, time_limit_s=2)
    rows = {(r["week"], r["role"]): r for r in staffing(semester, scenario)}
    police = rows[("2026-W37", "police")]
    assert (police["school_days"], police["duties"], police["people_needed"], police["people"], police["short"]) == (
        5, 20, 4, 3, 1)
    # ten slot-days; A2 is away on the Tuesday but 4 days ≥ the 3 a week allows: 3 × 3 = 9 slot-days, 1 short
    assert (police["slot_days"], police["capacity"], police["slot_days_short"]) == (10, 9, 1)
    assert rows[("2026-W38", "police")]["duties"] == 20 and rows[("2026-W38", "police")]["short"] == 1  # Mon–Fri
    (line,) = [w for w in staffing_warnings(staffing(semester, scenario)) if "police" in w]
    assert line.startswith("P1 police: short of people under the cap of 6 school-run duties a week in 2 week(s)")
    assert sum(1 for r in semester.roster if not r["officer_id"] and r["role"] == "police") >= 1
    assert main(["semester", str(path), "--out", str(tmp_path / "term"), "--time-limit", "2"]) == 0
    assert "warning: P1 police: short of people" in capsys.readouterr().err
    assert "2026-W37" in (tmp_path / "term" / "staffing_by_week.csv").read_text(encoding="utf-8-sig")
