"""Tests of geo_patrol.outputs (workbook, duty sheets, charts, common) and geo_patrol.io.atomic, on the
fixture plan (tests/plan_fixture.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from openpyxl import load_workbook
from plan_fixture import write_plan_fixture

from geo_patrol.errors import InputError
from geo_patrol.geo import M_PER_DEG_LAT
from geo_patrol.io.plandir import read_plan_dir
from geo_patrol.outputs.charts import label, plot_whatif
from geo_patrol.outputs.common import nearest_road, school_status
from geo_patrol.outputs.duty_sheets import write_duty_sheets
from geo_patrol.outputs.workbook import write_report


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    return write_plan_fixture(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def plan(plan_dir):
    return read_plan_dir(plan_dir)


# --- report.xlsx ---------------------------------------------------------------------------------


def test_report_workbook(plan_dir):
    path = write_report(plan_dir)
    assert path == plan_dir / "report.xlsx"
    book = load_workbook(path)
    assert book.sheetnames == ["概况 (Summary)", "护学岗 (Posts)", "勤务 P01 城关派出所", "勤务 P02 东湖派出所",
                               "巡逻排班 (Car schedule)", "巡逻路线 (Routes)", "三见覆盖 (Coverage)"]
    summary = {r[0]: r[1] for r in book["概况 (Summary)"].iter_rows(values_only=True) if r and r[0]}
    assert summary["学校 (schools)"] == 5 and summary["护学岗 (posts)"] == 2
    assert summary["下午 (afternoon)"] == "80.0%"
    posts = list(book["护学岗 (Posts)"].iter_rows(values_only=True))
    assert posts[0][:3] == ("岗位 (post)", "时段 (period)", "派出所 (station)")
    assert posts[1] == ("K1", "上午 (morning)", "P01 城关派出所", "第一小学 (S1)、实验幼儿园 (S2)", "07:20", "08:45",
                        85, 1, 2, "否 (no)", 114.3075, 30.512)
    assert len(posts) == 1 + 5
    roster = list(book["勤务 P01 城关派出所"].iter_rows(values_only=True))
    # the officer by the label people read, then the id rosters.csv and evaluate key on
    assert roster[0][:3] == ("人员 (officer)", "人员编号 (officer_id)", "身份 (role)")
    assert len(roster) == 1 + 6 and roster[1][:5] == ("P01-辅警-1", "P01-auxiliary-1", "辅警", "上午 (morning)", "K1")
    schedule = list(book["巡逻排班 (Car schedule)"].iter_rows(values_only=True))
    assert len(schedule) == 1 + 9
    assert schedule[1][:8] == ("P01-1", "P01 城关派出所", "上午 (morning)", 1, "S3", "第二中学", "07:05", "07:10")
    coverage = book["三见覆盖 (Coverage)"]
    rows = list(coverage.iter_rows(values_only=True))
    assert len(rows) == 1 + 11
    statuses = [r[8] for r in rows[1:]]
    assert statuses.count("达成 (met)") == 9 and statuses.count("部分 (partly)") == 1
    assert statuses.count("未达成 (missed)") == 1
    missed = next(r for r in rows[1:] if r[8] == "未达成 (missed)")
    assert missed[:2] == ("S4", "阳光幼儿园") and missed[14] == "未见警察；未见警车和警灯"
    fills = {coverage.cell(row=i, column=9).fill.fgColor.rgb[-6:] for i in range(2, 13)}
    assert fills == {"C6EFCE", "FFE0B2", "FFC7CE"}
    # shares are numbers shown as percentages
    assert rows[0][9] == "民警在场率 (officer presence)" and rows[0][11] == "135达标率 (within target)"
    assert all(0.0 <= r[9] <= 1.0 and 0.0 <= r[11] <= 1.0 for r in rows[1:])
    assert {coverage.cell(row=i, column=c).number_format for i in range(2, 13) for c in (10, 12)} == {"0.0%"}


def test_report_prints_landscape_fitted_to_width_with_its_header_on_every_page(plan_dir):
    book = load_workbook(write_report(plan_dir))
    for sheet in book.worksheets:
        assert sheet.page_setup.orientation == "landscape", sheet.title
        assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4) == 9
        assert sheet.sheet_properties.pageSetUpPr.fitToPage is True
        assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0)
        assert sheet.oddFooter.center.text == "&P / &N"
        if sheet.title != "概况 (Summary)":
            assert sheet.print_title_rows == "$1:$1", sheet.title
            assert sheet.freeze_panes == "A2", sheet.title


# --- duty sheets -------------------------------------------------------------------------------


def test_duty_sheets_one_page_per_post_in_chinese(plan_dir):
    page = write_duty_sheets(plan_dir).read_text(encoding="utf-8")
    assert page.count('<section class="page">') == 2
    assert page.count("<h1>护学岗勤务表</h1>") == 2
    assert "@page { size: A4" in page and "page-break-after: always" in page
    k1, k2 = page.split('<section class="page">')[1:]
    assert "学府路 (0 米)" in k1 and "114.307500, 30.512000" in k1 and "城关派出所 (P01)" in k1
    assert "第一小学 (S1)" in k1 and "实验幼儿园 (S2)" in k1 and "上午 07:30-08:10" in k1
    assert "07:20–08:45" in k1 and "15:50–17:15" in k1
    assert k1.count("P01-民警-1") == 2 and k1.count("P01-辅警-2") == 2 and "P01-police-1" not in k1
    assert "带班领导签字" in k1 and "值勤人员签字" in k1
    assert "东风路 (0 米)" in k2 and "中午" in k2 and "11:40–12:25" in k2
    assert "http://" not in page and "https://" not in page and "<script" not in page and "<link" not in page


def test_duty_sheets_sketch_the_post_and_give_each_car_its_stops(plan_dir):
    page = write_duty_sheets(plan_dir).read_text(encoding="utf-8")
    posts, cars = page.count('<section class="page">'), page.count('<section class="page car">')
    assert (posts, cars) == (2, 2)
    k1 = page.split('<section class="page">')[1]
    sketch = k1[k1.index("<svg"):k1.index("</svg>")]
    # the post, its radius, the two schools it serves, the streets round it with their names, north, scale
    assert sketch.count('class="sk-radius"') == 1 and sketch.count('class="sk-post"') == 1
    assert sketch.count('class="sk-school"') == 2 and ">第一小学<" in sketch and ">实验幼儿园<" in sketch
    assert sketch.count('class="sk-minor"') + sketch.count('class="sk-major"') >= 4
    assert ">学府路<" in sketch and 'class="sk-north"' in sketch and ">北<" in sketch
    assert re.search(r'class="sk-scale-label"[^>]*>\d+ 米<', sketch)
    # a car's page: its periods, stops in order with times, a route sketch with numbered stops
    p01 = page.split('<section class="page car">')[1]
    assert "<h1>巡逻车勤务表</h1>" in p01 and "警车 P01-1 · 城关派出所 (P01)" in p01
    assert p01.index("上午 · 出车 06:50") < p01.index("下午 · 出车 15:50")
    rows = re.findall(r"<tr><td>(\d+)</td><td>([^<]*)</td><td>(\d\d:\d\d)</td><td>(\d\d:\d\d)</td>", p01)
    assert [r[:2] for r in rows[:3]] == [("1", "第二中学 (S3)"), ("2", "第一小学 (S1)"), ("3", "第三小学 (S5)")]
    assert rows[0][2:] == ("07:05", "07:10")
    assert p01.count('class="sk-stop"') == 3 + 3 and p01.count('class="sk-route"') == 2
    # the page carries its own Chinese font (a subset of Noto Sans SC), so it prints anywhere
    assert re.search(r'@font-face \{ font-family: "GeoPatrol Sans";[^}]*src: url\("data:font/woff2?;base64,', page)


def test_duty_sheets_in_english(plan_dir, tmp_path):
    page = write_duty_sheets(plan_dir, out=tmp_path / "sheets.html", lang="en").read_text(encoding="utf-8")
    assert page.count("<h1>School-run duty post sheet</h1>") == 2  # one page per post
    assert "Nearest road" in page and "morning 07:30-08:10" in page and "Duty leader signature" in page
    assert "护学岗勤务表" not in page
    with pytest.raises(InputError, match="language 'de'"):
        write_duty_sheets(plan_dir, lang="de")


def test_school_status_from_the_sightings(plan):
    assert school_status({"three_sightings": True, "officer_seen": True, "car_seen": True, "lights_seen": True}) == "met"
    assert school_status({"three_sightings": False, "officer_seen": True, "car_seen": False,
                          "lights_seen": False}) == "partly"
    assert school_status({"three_sightings": False, "officer_seen": False, "car_seen": False,
                          "lights_seen": False}) == "missed"
    statuses = {(r["school_id"], r["period"]): school_status(r) for r in plan.coverage.to_dict("records")}
    assert {k: v for k, v in statuses.items() if v != "met"} == {("S3", "noon"): "partly",
                                                                 ("S4", "afternoon"): "missed"}
    assert len(statuses) == 11


def test_nearest_road_distance_and_limit(plan):
    # 100 m north of 学府路 (lat 30.512), halfway between 青年路 and 人民路 (144 m either side)
    lat = 30.512 + 100 / M_PER_DEG_LAT
    name, distance_m = nearest_road(plan.roads, 114.3075, lat)
    assert name == "学府路" and distance_m == pytest.approx(100.0, rel=1e-9)
    assert nearest_road(plan.roads, 114.40, 30.60) is None
    assert nearest_road(None, 114.3, 30.5) is None


# --- what-if chart ------------------------------------------------------------------------------


def test_plot_whatif_writes_a_png(tmp_path):
    rows = [{"police_removed": k, "attained_share": 1 - 0.03 * k, "posts": 30 - k} for k in (8, 0, 4)]
    out = plot_whatif(rows, x="police_removed", y=["attained_share"], out=tmp_path / "whatif.png")
    data = out.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) > 5_000
    plot_whatif(rows, x="police_removed", y=["attained_share", "posts"], out=tmp_path / "two.png",
                title="少 8 名民警", x_label="减少民警", y_label="三见达成率")
    assert (tmp_path / "two.png").stat().st_size > 5_000
    with pytest.raises(InputError, match=r"row 2, field 'posts': key 'posts' missing"):
        plot_whatif([{"x": 1, "posts": 2}, {"x": 2}], x="x", y="posts", out=tmp_path / "bad.png")
    with pytest.raises(InputError, match="no what-if rows"):
        plot_whatif([], x="x", y="y", out=tmp_path / "bad.png")
    assert not (tmp_path / "bad.png").exists()


def test_whatif_chart_speaks_the_output_language_with_shares_in_percent(tmp_path, monkeypatch):
    from matplotlib.figure import Figure

    assert label("attained_morning") == "三见达成率 · 上午" and label("cars") == "警车数"
    assert label("attained_morning", "en") == "three sightings attained · morning"
    assert label("unknown_key") == "unknown_key"
    seen = {}
    save = Figure.savefig

    def spy(figure, *args, **kwargs):
        axes = figure.axes[0]
        seen.update(title=axes.get_title(), x=axes.get_xlabel(), y=axes.get_ylabel(),
                    ticks=[t.get_text() for t in axes.get_yticklabels()],
                    fonts={t.get_fontname() for t in (axes.title, axes.xaxis.label, axes.yaxis.label)},
                    legend=[t.get_text() for t in axes.get_legend().get_texts()] if axes.get_legend() else [])
        return save(figure, *args, **kwargs)

    monkeypatch.setattr(Figure, "savefig", spy)
    rows = [{"cars": c, "attained_morning": 0.8 + 0.01 * c, "attained_afternoon": 0.75 + 0.012 * c} for c in (10, 12, 14)]
    plot_whatif(rows, x="cars", y=["attained_morning", "attained_afternoon"], out=tmp_path / "cars.png")
    assert seen["title"] == "三见达成率随警车数的变化" and seen["x"] == "警车数" and seen["y"] == "三见达成率"
    assert seen["legend"] == ["三见达成率 · 上午", "三见达成率 · 下午"]
    assert seen["ticks"] and all(t.endswith("%") for t in seen["ticks"] if t)
    assert seen["fonts"] == {"Noto Sans SC"}  # the font file the map embeds, whatever the system has
    plot_whatif(rows, x="cars", y="attained_morning", out=tmp_path / "cars_en.png", lang="en")
    assert seen["title"] == "three sightings attained · morning by patrol cars" and seen["x"] == "patrol cars"
