"""The output language (``--lang zh|en``): officer labels and the sources text for people, beside the
keys evaluate reads, in the plan's language; evaluate writes the folder again in that language."""

from __future__ import annotations

import dataclasses
import json

import pytest
from conftest import read_rows
from plan_fixture import fixture_plan

from geo_patrol.cli import main
from geo_patrol.errors import InputError
from geo_patrol.labels import officer_id, officer_label, source_lines, sources_text
from geo_patrol.model import RosterEntry
from geo_patrol.plan import Plan, make_plan


def _in(lang: str) -> Plan:
    plan = fixture_plan()
    return dataclasses.replace(plan, meta={**plan.meta, "outputs": {"datum": "wgs84", "lang": lang}})


def test_officer_labels_keep_the_id_grammar_and_leave_other_ids_alone():
    assert officer_id("PS01", "auxiliary", 3) == "PS01-auxiliary-3"
    assert officer_label("PS01-auxiliary-3", "auxiliary", "zh") == "PS01-辅警-3"
    assert officer_label("P-2-police-12", "police", "zh") == "P-2-民警-12"  # a station id with dashes
    assert officer_label("PS01-auxiliary-3", "auxiliary", "en") == "PS01-auxiliary-3"
    # an id a planner typed in, or one whose role word is not the row's role, is its own label
    assert officer_label("张三 041234", "police", "zh") == "张三 041234"
    assert officer_label("PS01-police-3", "auxiliary", "zh") == "PS01-police-3"
    assert officer_label("PS01-police-x", "police", "zh") == "PS01-police-x"
    with pytest.raises(InputError, match="language 'de' is not available"):
        officer_label("PS01-police-1", "police", "de")


def test_sources_words_translate_and_ids_and_times_stay():
    machine = "officer: post K1 07:20:00–08:45:00; car+lights+officer: car post-car/1 07:35:00–07:40:00"
    assert source_lines(machine, "zh") == ["警察: 护学岗 K1 07:20:00–08:45:00",
                                           "警车+警灯+警察: 警车 post-car/1 07:35:00–07:40:00"]
    assert sources_text(machine, "en") == machine
    assert sources_text("", "zh") == ""
    assert sources_text("hand note; =1+1", "zh") == "hand note; =1+1"  # not the grammar: as written


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_rosters_and_coverage_carry_labels_in_the_plan_language(tmp_path, lang):
    plan = _in(lang)
    folder = plan.to_dir(tmp_path / "plan", documents=False)
    roster = read_rows(folder / "rosters.csv")
    header = (folder / "rosters.csv").read_text(encoding="utf-8-sig").splitlines()[0]
    assert header == "officer,officer_label,role,station_id,period,post_id,start,end"
    first = next(r for r in roster if r["officer"] == "P01-auxiliary-1")
    assert first["officer_label"] == {"zh": "P01-辅警-1", "en": "P01-auxiliary-1"}[lang]
    assert all(r["officer_label"] == officer_label(r["officer"], r["role"], lang) for r in roster)
    coverage = read_rows(folder / "coverage.csv")
    header = (folder / "coverage.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[header.index("sources") + 1] == "sources_text"
    s1 = next(r for r in coverage if (r["school_id"], r["period"]) == ("S1", "morning"))
    assert s1["sources"].startswith("officer: post K1 07:20:00–08:45:00")  # the machine text, as always
    expected = {"zh": "警察: 护学岗 K1 07:20:00–08:45:00", "en": "officer: post K1 07:20:00–08:45:00"}[lang]
    assert s1["sources_text"].startswith(expected)
    # the display columns are not read back: the plan reads back equal, keys untouched
    assert json.loads((folder / "plan.json").read_text(encoding="utf-8"))["outputs"]["lang"] == lang
    assert Plan.from_dir(folder) == plan


def test_a_plan_with_an_unknown_language_is_refused_in_one_line(tmp_path, tiny, capsys):
    folder = _in("zh").to_dir(tmp_path / "plan", documents=False)
    meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    meta["outputs"]["lang"] = "fr"
    (folder / "plan.json").write_text(json.dumps(meta), encoding="utf-8")
    assert main(["map", str(folder)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert "plan.json, field 'outputs.lang': language 'fr' is not available — write \"zh\" or \"en\"" in err
    with pytest.raises(InputError, match="language 'fr' is not available"):
        make_plan(tiny, time_limit_s=1, lang="fr")


def test_plan_in_english_and_evaluate_keeps_the_language(tiny_dir, tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir / "scenario.toml"), "--out", str(out), "--time-limit", "2",
                 "--lang", "en", "--no-map"]) == 0
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["outputs"]["lang"] == "en"
    roster = read_rows(out / "rosters.csv")
    assert roster and all(r["officer_label"] == r["officer"] for r in roster)
    sheets = (out / "duty_sheets.html").read_text(encoding="utf-8")
    assert "School-run duty post sheet" in sheets and "护学岗勤务表" not in sheets
    # a hand edit: the first post's officers get the names of the people who stand there
    rows = read_rows(out / "rosters.csv")
    text = (out / "rosters.csv").read_text(encoding="utf-8-sig")
    text = text.replace(rows[0]["officer"] + ",", "Wang Wei,", 1)
    (out / "rosters.csv").write_text(text, encoding="utf-8")
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 0
    capsys.readouterr()
    meta = json.loads((out / "plan.json").read_text(encoding="utf-8"))
    assert meta["outputs"]["lang"] == "en" and meta["evaluated"]["violations"] == 0
    again = read_rows(out / "rosters.csv")
    assert [r["officer_label"] for r in again if r["officer"] == "Wang Wei"] == ["Wang Wei"]
    assert all(r["officer_label"] == r["officer"] for r in again)
    coverage = read_rows(out / "coverage.csv")
    assert all(r["sources_text"] == r["sources"] for r in coverage)
    sheets = (out / "duty_sheets.html").read_text(encoding="utf-8")
    assert "School-run duty post sheet" in sheets and "Wang Wei" in sheets and "护学岗勤务表" not in sheets


def test_plan_in_chinese_by_default_and_evaluate_keeps_it(tiny_dir, tmp_path, capsys):
    out = tmp_path / "plan"
    assert main(["plan", str(tiny_dir / "scenario.toml"), "--out", str(out), "--time-limit", "2", "--no-map"]) == 0
    assert main(["evaluate", str(tiny_dir / "scenario.toml"), "--plan", str(out)]) == 0
    capsys.readouterr()
    assert json.loads((out / "plan.json").read_text(encoding="utf-8"))["outputs"]["lang"] == "zh"
    roster = read_rows(out / "rosters.csv")
    assert {r["officer_label"] for r in roster} >= {"P1-民警-1", "P1-辅警-1"}
    coverage = read_rows(out / "coverage.csv")
    assert any("警车+警灯+警察: 警车 " in r["sources_text"] for r in coverage)
    assert all("car" not in r["sources_text"] for r in coverage)
    sheets = (out / "duty_sheets.html").read_text(encoding="utf-8")
    assert "P1-民警-1" in sheets and "P1-police-1" not in sheets


def test_roster_entries_are_made_with_the_id_grammar(tiny_plan):
    assert all(isinstance(r, RosterEntry) and officer_label(r.officer, r.role, "zh") != r.officer
               for r in tiny_plan.roster)
