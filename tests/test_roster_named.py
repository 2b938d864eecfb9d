"""The term's named roster (:mod:`geo_patrol.roster.named`): a week's min-cost flow with a long
exam day, and a planner's hand edits of ``roster_by_date.csv`` kept, reported or refused."""

from __future__ import annotations

import csv
import datetime as dt
import io
import types

from semester_fixture import roster_to_edit, term_scenario

from geo_patrol.cli import main
from geo_patrol.roster.named import week_of
from geo_patrol.scenario import Scenario
from geo_patrol.semester import plan_semester, write_semester


def test_hand_edits_of_the_named_roster_are_kept_or_reported(tiny_dir, tmp_path, capsys):
    out, rows, write = roster_to_edit(tiny_dir, tmp_path)
    path = out / "roster_by_date.csv"

    # a valid swap: on 2026-09-07 the police slot of A1 goes to whoever of A2/A3 was free that day
    on_day = [r for r in rows if r["date"] == "2026-09-07" and r["role"] == "police"]
    slot = on_day[0]["slot"]
    busy = {r["officer_id"] for r in on_day}
    free = sorted({"A1", "A2", "A3"} - busy)
    assert free, on_day
    write([{**r, "officer_id": free[0]} if (r["date"], r["slot"]) == ("2026-09-07", slot) else r for r in rows])
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 0
    kept = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {r["officer_id"] for r in kept if (r["date"], r["slot"]) == ("2026-09-07", slot)} == {free[0]}
    assert not (out / "roster_violations.csv").exists()
    # a breach: A2 is away on 2026-09-08 (officers table); the slot is filled anew and the edit reported
    target = next(r for r in kept if r["date"] == "2026-09-08" and r["role"] == "police")
    write([{**r, "officer_id": "A2"} if (r["date"], r["slot"]) == ("2026-09-08", target["slot"]) else r
           for r in kept])
    capsys.readouterr()
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 3
    assert "break the roster's rules" in capsys.readouterr().err
    (breach,) = list(csv.DictReader(io.StringIO((out / "roster_violations.csv").read_text(encoding="utf-8-sig"))))
    assert (breach["date"], breach["officer_id"], breach["rule"]) == ("2026-09-08", "A2", "away")
    again = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert not any(r["officer_id"] == "A2" and r["date"] == "2026-09-08" for r in again)


def test_a_week_with_a_long_exam_day_fills_every_slot_it_can():
    """Cap 4: a Saturday exam slot of 3 duties and a Monday slot of 2. A1 is away on Monday, so A1
    must take the exam and A2 the Monday (the longest-first tier alone gave the exam to A2)."""
    entry = types.SimpleNamespace
    saturday, monday = dt.date(2026, 9, 12), dt.date(2026, 9, 14)
    by_day = {saturday: [("P1-police-1", [entry(period=p) for p in ("morning", "noon", "afternoon")])],
              monday: [("P1-police-1", [entry(period=p) for p in ("morning", "afternoon")])]}
    a1 = entry(id="A1", unavailable=frozenset({"2026-09-14"}))
    a2 = entry(id="A2", unavailable=frozenset())
    for done in ({"A1": 0, "A2": 0}, {"A1": 2, "A2": 0}):
        chosen = week_of([a1, a2], by_day, done, 4)
        assert {day: [p.id for p in people] for day, people in chosen.items()} == {saturday: ["A1"], monday: ["A2"]}


def test_roster_edits_as_excel_saves_them_and_what_is_not_an_edit(tiny_dir, tmp_path, capsys):
    out, rows, write = roster_to_edit(tiny_dir, tmp_path)
    path = out / "roster_by_date.csv"

    def excel(day: str) -> str:
        y, m, d = day.split("-")
        return f"{y}/{int(m)}/{int(d)}"

    police = [r for r in rows if r["date"] == "2026-09-07" and r["role"] == "police"]
    slot = police[0]["slot"]
    free = sorted({"A1", "A2", "A3"} - {r["officer_id"] for r in police})[0]
    cleared = next(r for r in rows if r["date"] == "2026-09-14" and r["role"] == "auxiliary")
    write([{**r, "date": excel(r["date"]),
            "officer_id": free if (r["date"], r["slot"]) == ("2026-09-07", slot)
            else "" if (r["date"], r["slot"]) == ("2026-09-14", cleared["slot"]) else r["officer_id"]}
           for r in rows] + [{**rows[0], "slot": "P1-police-9"}])
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 3
    (breach,) = list(csv.DictReader(io.StringIO((out / "roster_violations.csv").read_text(encoding="utf-8-sig"))))
    assert (breach["slot"], breach["rule"]) == ("P1-police-9", "unknown_slot")
    after = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    assert {r["officer_id"] for r in after if (r["date"], r["slot"]) == ("2026-09-07", slot)} == {free}
    assert not any(r["officer_id"] == cleared["officer_id"] and r["date"] == "2026-09-14" for r in after)
    # an input change is not blamed on the planner: an unedited roster is drawn again without a breach
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    again = write_semester(plan_semester(scenario, time_limit_s=2), scenario, tmp_path / "again")
    officers = tiny_dir / "officers.csv"
    officers.write_text(officers.read_text(encoding="utf-8").replace("A3,张三,P1,民警,", "A3,张三,P1,民警,2026-09-07"),
                        encoding="utf-8")
    capsys.readouterr()
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(again)]) == 0
    redrawn = list(csv.DictReader(io.StringIO((again / "roster_by_date.csv").read_text(encoding="utf-8-sig"))))
    assert not any(r["officer_id"] == "A3" and r["date"] == "2026-09-07" for r in redrawn)
    assert not (again / "roster_violations.csv").exists()


def test_a_roster_date_that_is_no_date_is_one_line(tiny_dir, tmp_path, capsys):
    scenario = term_scenario(tiny_dir)
    out = write_semester(plan_semester(scenario, time_limit_s=2), scenario, tmp_path / "term")
    path = out / "roster_by_date.csv"
    text = path.read_text(encoding="utf-8-sig").splitlines()
    text[3] = text[3].replace("2026-09-07", "2026-09-31", 1)
    path.write_text("\n".join(text) + "\n", encoding="utf-8")
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 2
    (line,) = [x for x in capsys.readouterr().err.splitlines() if not x.startswith("[")]
    assert "roster_by_date.csv, row 4, field 'date': '2026-09-31' is not a date" in line
