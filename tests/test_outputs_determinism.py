"""The outputs depend on the plan only: two renders of one plan directory are the same bytes.

folium draws a random id per element, openpyxl stamps the workbook and its zip entries with the
clock; the outputs number the map's elements in drawing order and date the workbook with the
plan's ``created`` time. Also here: the optional summary figures (``met_strict``,
``schools_with_post``) that the map's headline panel and the workbook's summary show when
``plan.json`` has them, and only then.
"""

from __future__ import annotations

import json
import re
import time
import zipfile
from datetime import datetime
from pathlib import Path

import pytest
from openpyxl import load_workbook
from plan_fixture import write_plan_fixture

from geo_patrol.outputs.duty_sheets import write_duty_sheets
from geo_patrol.outputs.map import build_map, render_map
from geo_patrol.outputs.workbook import write_report


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    return write_plan_fixture(tmp_path_factory.mktemp("plan"))


def test_map_renders_byte_identical(plan_dir, tmp_path):
    first = render_map(plan_dir, out=tmp_path / "a.html").read_bytes()
    second = render_map(plan_dir, out=tmp_path / "b.html").read_bytes()
    assert first == second
    page = first.decode("utf-8")
    # element ids are numbered, not drawn at random (folium's are 32 hex digits)
    assert not re.search(r"_[0-9a-f]{32}\b", page)
    assert re.search(r'<div class="folium-map" id="map_\d+"', page)
    # a map built in Python (Plan.explore) gets the same numbers
    assert build_map(plan_dir).get_root().render() == build_map(plan_dir).get_root().render()


def test_map_of_two_copies_of_a_plan_is_identical(plan_dir, tmp_path):
    copy = write_plan_fixture(tmp_path / "copy")
    assert render_map(copy).read_bytes() == render_map(plan_dir, out=tmp_path / "orig.html").read_bytes()


def test_duty_sheets_render_byte_identical(plan_dir, tmp_path):
    first = write_duty_sheets(plan_dir, out=tmp_path / "a.html").read_bytes()
    second = write_duty_sheets(plan_dir, out=tmp_path / "b.html").read_bytes()
    assert first == second
    english = [write_duty_sheets(plan_dir, out=tmp_path / f"en{i}.html", lang="en").read_bytes() for i in (1, 2)]
    assert english[0] == english[1]


def test_workbook_is_byte_identical_across_seconds_and_dated_by_the_plan(plan_dir, tmp_path):
    first = write_report(plan_dir, out=tmp_path / "a.xlsx").read_bytes()
    time.sleep(2.1)  # zip times have a resolution of two seconds
    second = write_report(plan_dir, out=tmp_path / "b.xlsx").read_bytes()
    assert first == second
    # the plan was created 2025-09-01T08:00:00+08:00
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(2025, 9, 1, 8, 0, 0)}
        core = archive.read("docProps/core.xml").decode("utf-8")
    assert core.count("2025-09-01T00:00:00Z") == 2  # created and modified, in UTC
    book = load_workbook(tmp_path / "a.xlsx")
    assert book.properties.created == book.properties.modified == datetime(2025, 9, 1, 0, 0, 0)


def test_workbook_without_a_created_time_carries_no_clock(plan_dir, tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    meta = json.loads((plan / "plan.json").read_text(encoding="utf-8"))
    del meta["created"]
    (plan / "plan.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    first = write_report(plan, out=tmp_path / "a.xlsx").read_bytes()
    time.sleep(2.1)
    assert write_report(plan, out=tmp_path / "b.xlsx").read_bytes() == first
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        assert archive.read("docProps/core.xml").decode("utf-8").count("1980-01-01T00:00:00Z") == 2


# --- optional summary figures -------------------------------------------------------------------


def _strict_figures(plan: Path, *, present: bool) -> Path:
    """Give plan.json's summary the figures ``met_strict`` and ``schools_with_post``, or take them away."""
    meta = json.loads((plan / "plan.json").read_text(encoding="utf-8"))
    meta["summary"].pop("met_strict", None)
    meta["summary"].pop("schools_with_post", None)
    if present:
        meta["summary"]["met_strict"] = {"morning": 4, "noon": 0, "afternoon": 3}
        meta["summary"]["schools_with_post"] = {"morning": 3, "noon": 1, "afternoon": 3}
    (plan / "plan.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return plan


def _headline(page: str) -> list[list[str]]:
    panel = page[page.index('class="gp-panel gp-headline"'):]
    table = panel[panel.index("<table>"):panel.index("</table>")]
    return [re.findall(r"<t[hd]>(.*?)</t[hd]>", row) for row in table.split("<tr>")[1:]]


def test_strict_and_post_figures_show_when_the_summary_has_them(tmp_path):
    plain = _strict_figures(write_plan_fixture(tmp_path / "plain"), present=False)
    assert _headline(render_map(plain).read_text(encoding="utf-8"))[0] == ["时段", "三见", "警车", "里程", "3分钟到场"]
    summary = list(load_workbook(write_report(plain))["概况 (Summary)"].iter_rows(values_only=True))
    assert not [r for r in summary if "三见达标(严格) (met, strict)" in r]

    plan = _strict_figures(write_plan_fixture(tmp_path / "strict"), present=True)
    rows = _headline(render_map(plan).read_text(encoding="utf-8"))
    assert rows[0] == ["时段", "三见", "三见达标(严格)", "设护学岗学校", "警车", "里程", "3分钟到场"]
    assert rows[1][:4] == ["上午", "100%", "4", "3"] and rows[3][:4] == ["下午", "80%", "3", "3"]
    english = _headline(render_map(plan, out=tmp_path / "en.html", lang="en").read_text(encoding="utf-8"))
    assert english[0][2:4] == ["met, strict", "schools with a post"]

    summary = list(load_workbook(write_report(plan))["概况 (Summary)"].iter_rows(values_only=True))
    header = next(r for r in summary if r[0] == "时段 (period)")
    assert header[:5] == ("时段 (period)", "三见达成率 (attained share)", "三见达标(严格) (met, strict)",
                          "设护学岗学校 (schools with a post)", "用车 (cars used)")
    morning = next(r for r in summary if r[0] == "上午 (morning)")
    assert morning[:4] == ("上午 (morning)", "100.0%", 4, 3)
