"""Tests of geo_patrol.verify: a plan directory edited by hand is checked and rebuilt from its decisions.

The many ways of tampering with a plan's files, one rule each, are in test_tampering.py; here the
verifier's own contract: an untouched plan evaluates to itself, an edit changes exactly what it
should, a breach is named by file, row, field and rule, and changed inputs are reported.
"""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import read_rows

from geo_patrol.errors import InputError
from geo_patrol.plan import Plan
from geo_patrol.proof import Violation
from geo_patrol.scenario import Scenario
from geo_patrol.verify import changed_inputs, evaluate_plan_dir


@pytest.fixture
def folder(tiny_plan, tmp_path):
    return tiny_plan.to_dir(tmp_path / "plan", documents=False)


def test_an_untouched_plan_evaluates_to_itself(tiny, tiny_plan, folder):
    result = evaluate_plan_dir(tiny, folder, documents=False)
    assert result.violations == () and result.warnings == ()
    assert result.coverage == tiny_plan.coverage
    again = Plan.from_dir(folder)
    assert dataclasses.replace(again, meta=tiny_plan.meta) == tiny_plan  # every row the same
    assert again.meta["summary"] == tiny_plan.meta["summary"]
    assert again.meta["evaluated"]["violations"] == 0 and again.meta["evaluated"]["warnings"] == []
    assert read_rows(folder / "violations.csv") == []
    assert result.text.splitlines()[1:] == [
        "  morning  : three sightings at 3/3 schools (100.0%); officer present ≥ 80% at 3/3; a staffed post at 3/3",
        "  afternoon: three sightings at 3/3 schools (100.0%); officer present ≥ 80% at 3/3; a staffed post at 3/3"]
    assert result.text.splitlines()[0] == f"Evaluated {folder}: 4 post rows, 6 stops, 0 breach(es) of the rules"


def test_evaluate_a_hand_edited_plan(tiny, folder):
    visits = (folder / "visits.csv").read_text(encoding="utf-8-sig").splitlines()
    removed = [line for line in visits[1:] if ",S3," in line and ",morning," in line]
    assert len(removed) == 1
    (folder / "visits.csv").write_text("\n".join(line for line in visits if line not in removed) + "\n",
                                       encoding="utf-8-sig")
    result = evaluate_plan_dir(tiny, folder, documents=False)
    assert result.violations == () and result.warnings == ()
    row = next(c for c in result.coverage if c.school_id == "S3" and c.period == "morning")
    assert (row.officer_seen, row.car_seen, row.three_sightings, row.reason) == (True, False, False, "no car or lights")
    meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    assert meta["summary"]["attained_share"] == {"morning": round(2 / 3, 4), "afternoon": 1.0}
    assert meta["summary"]["stops"] == {"morning": 2, "afternoon": 3}
    assert [r["three_sightings"] for r in read_rows(folder / "coverage.csv")] == ["true", "true", "false"] + [
        "true"] * 3


def test_evaluate_says_when_inputs_changed(tiny_dir, folder):
    schools = tiny_dir / "schools.csv"
    schools.write_text(schools.read_text(encoding="utf-8").replace(",900,", ",950,"), encoding="utf-8")
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    expected = ["schools.csv changed since the plan was made (SHA-256 differs)"]
    assert changed_inputs(scenario, json.loads((folder / "plan.json").read_text(encoding="utf-8"))) == expected
    result = evaluate_plan_dir(scenario, folder, documents=False)
    assert result.warnings == tuple(expected)
    assert json.loads((folder / "plan.json").read_text(encoding="utf-8"))["evaluated"]["warnings"] == expected


def test_a_stop_for_an_unknown_school_is_a_breach_that_earns_nothing(tiny, folder):
    text = (folder / "visits.csv").read_text(encoding="utf-8-sig").replace(",S3,", ",S9,", 1)  # row 2: S3 morning
    (folder / "visits.csv").write_text(text, encoding="utf-8-sig")
    result = evaluate_plan_dir(tiny, folder, documents=False)
    assert result.violations == (Violation("visits.csv", 2, "school_id", "unknown_school",
                                           "school 'S9' is not in the scenario"),)
    assert read_rows(folder / "violations.csv") == [{"file": "visits.csv", "row": "2", "field": "school_id",
                                                     "rule": "unknown_school",
                                                     "detail": "school 'S9' is not in the scenario"}]
    row = next(c for c in result.coverage if c.school_id == "S3" and c.period == "morning")
    assert (row.car_seen, row.reason) == (False, "no car or lights")
    assert ("  breach: visits.csv, row 2, field 'school_id': unknown_school: school 'S9' is not in the scenario"
            in result.text.splitlines())


def test_evaluate_needs_a_plan_directory(tiny, tmp_path):
    with pytest.raises(InputError, match=r"^nowhere: plan directory not found"):
        evaluate_plan_dir(tiny, tmp_path / "nowhere")
