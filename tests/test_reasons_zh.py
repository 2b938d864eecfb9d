"""Why a school-window misses its target, in the plan's output language (``labels.reason_text``).

Every reason the code writes — the sightings' misses, the post model's reason for a school without
a post, the routing's reason for a dropped car — reads in Chinese with its ids, times and numbers
as they are; English, and text the translation does not know, stay as written. ``coverage.csv``
carries ``reason_text`` beside the machine ``reason``, and the workbook, the map and a semester's
term workbook show it.
"""

from __future__ import annotations

import csv
import io
import json
import re
import string
from collections import Counter
from pathlib import Path

import openpyxl
import pytest
from conftest import SCENARIO_TOML, SCHOOLS_CSV, STATIONS_CSV, read_rows, write_grid_osm

import geo_patrol
from geo_patrol.io.plandir import read_plan_dir
from geo_patrol.labels import LANGS, REASON_TEMPLATES, reason_text
from geo_patrol.outputs.map import render_map
from geo_patrol.outputs.workbook import write_report
from geo_patrol.plan import Plan, make_plan
from geo_patrol.reasons import Reason
from geo_patrol.scenario import Scenario
from geo_patrol.semester import plan_semester, write_semester

R = Reason.of

#: Each reason as the code makes it (rules.py, posts/planner.py, patrols/explain.py and
#: patrols/planner.py, joined by plan.py), its English words (``coverage.csv``'s ``reason``, as
#: the plans before reasons were data wrote them) and its Chinese.
PATTERNS = [
    ((R("no_officer"),), "no officer", "未见警察"),
    ((R("no_car"),), "no car or lights", "未见警车和警灯"),
    ((R("car_sightings", seen=1, needed=2),), "1 of 2 car sightings", "只见警车 1 次，要求 2 次"),
    ((R("officer_presence", pct=12.5, needed_pct=80.0),), "officer present 12.5% < 80%", "警察在场 12.5%，不足 80%"),
    ((R("no_officer"), R("officer_presence", pct=0.0, needed_pct=80.0)), "no officer; officer present 0.0% < 80%",
     "未见警察；警察在场 0.0%，不足 80%"),
    ((R("no_officer"), R("no_car"), R("no_post", detail=R("post_forbidden")),
      R("fleet_time", detail=R("no_car_on_shift", school="S3", period="morning"))),
     "no officer; no car or lights (no post: the school forbids a post (禁设岗); fleet_time: S3: no patrol car is "
     "on shift in the morning)",
     "未见警察；未见警车和警灯（未设护学岗：学校禁设岗；警车时间不够：S3 上午没有在班的巡逻警车）"),
    ((R("no_officer"), R("no_post", detail=R("no_site_near", radius_m=150.0, nearest_m=180.2))),
     "no officer (no post: no post site within 150 m walking (nearest 180 m))",
     "未见警察（未设护学岗：步行 150 米内没有可设岗点位（最近 180 米））"),
    ((R("no_officer"), R("no_post", detail=R("no_site_far", radius_m=150.0, searched_m=450.0))),
     "no officer (no post: no post site within 150 m walking (none within 450 m))",
     "未见警察（未设护学岗：步行 150 米内没有可设岗点位（450 米内都没有））"),
    ((R("no_officer"), R("no_post", detail=R("officers_short", station="PS05", borrow_min=15))),
     "no officer (no post: officers short at station PS05: no free team there, at a station within 15 min or in "
     "a pool)", "未见警察（未设护学岗：PS05 所警力不足，本所、15 分钟车程内的派出所和警力池都没有空闲的岗组）"),
    ((R("no_officer"), R("no_post", detail=R("budget_weaker", posts=12, weight=11.0, weakest=13.8))),
     "no officer (no post: post budget of 12 used: weight 11.00 < 13.80 served by the weakest chosen post; 1 more "
     "post would cover it)",
     "未见警察（未设护学岗：护学岗名额 12 个已用完，本校权重 11.00 低于所选最弱岗位服务的 13.80，再设 1 个岗即可覆盖）"),
    ((R("no_officer"), R("no_post", detail=R("budget_elsewhere", posts=0))),
     "no officer (no post: post budget of 0 used elsewhere; 1 more post would cover it)",
     "未见警察（未设护学岗：护学岗名额 0 个已用在别处，再设 1 个岗即可覆盖）"),
    ((R("no_car"), R("fleet_time", detail=R("fleet_busy", visit="SFX157#w2", arrival="07:06:22", station="PS04",
                                            more=R("more_cars", cars=2, station="PS04", visits=4)))),
     "no car or lights (fleet_time: SFX157 (window 2) is reachable (earliest arrival 07:06:22 from station PS04) "
     "but every car's time is taken by visits of equal or higher weight; 2 more car(s) at station PS04 would serve "
     "the 4 visit(s) dropped for fleet time nearest to it)",
     "未见警车和警灯（警车时间不够：SFX157（第 2 个时间窗） 可以到达（PS04 所的警车最早 07:06:22 到），但每辆车的时间都已排给"
     "权重相同或更高的巡逻；PS04 所再加 2 辆车可补上附近 4 次巡逻）"),
    ((R("no_car"), R("fleet_time", detail=R("fleet_busy", visit="S2#w2#2", arrival="16:35:58", station="P1",
                                            more=R("more_cars_needed")))),
     "no car or lights (fleet_time: S2 (window 2, visit 2) is reachable (earliest arrival 16:35:58 from station "
     "P1) but every car's time is taken by visits of equal or higher weight; more cars are needed)",
     "未见警车和警灯（警车时间不够：S2（第 2 个时间窗，第 2 次巡逻） 可以到达（P1 所的警车最早 16:35:58 到），"
     "但每辆车的时间都已排给权重相同或更高的巡逻；需要更多警车）"),
    ((R("no_car"), R("priority", detail=R("gives_way", visit="S1#2", weight=912, rival="S3", rival_weight=1100))),
     "no car or lights (priority: S1 (visit 2) (weight 912) gives way to S3 (weight 1100): serving it would cost "
     "that visit)",
     "未见警车和警灯（优先级较低：S1（第 2 次巡逻）（权重 912）让位于 S3（权重 1100）：排上它就会丢掉那次巡逻）"),
    ((R("no_car"), R("unreachable", detail=R("no_route", visit="S9#w2"))),
     "no car or lights (unreachable: no car has a drivable route to S9 (window 2) and back)",
     "未见警车和警灯（警车赶不到：没有警车能沿道路往返 S9（第 2 个时间窗））"),
    ((R("no_car"), R("unreachable", detail=R("arrives_late", visit="S9", arrival="08:05:00", station="PS05",
                                             leaves="07:50:00", window="07:30:00–08:00:00"))),
     "no car or lights (unreachable: S9 is unreachable: the earliest arrival is 08:05:00 (a car from station PS05 "
     "leaving at 07:50:00), after the window 07:30:00–08:00:00)",
     "未见警车和警灯（警车赶不到：去 S9，PS05 所的警车 07:50:00 出发最早 08:05:00 到达，已过时间窗 07:30:00–08:00:00）"),
    ((R("no_car"), R("unreachable", detail=R("cannot_return", visit="S9", station="P1", arrival="07:40:00",
                                             window="07:30:00–08:00:00"))),
     "no car or lights (unreachable: S9 is unreachable: a car from station P1 can arrive at 07:40:00 inside the "
     "window 07:30:00–08:00:00 but cannot get back in its availability or drive limit)",
     "未见警车和警灯（警车赶不到：去 S9，P1 所的警车可在时间窗 07:30:00–08:00:00 内的 07:40:00 到达，"
     "但在当班时间或行驶时长限制内回不了所）"),
    ((R("no_car"), R("no_road", detail=R("road_too_far", school="S3", car_sight_m=100.0, nearest_m=118.4))),
     "no car or lights (no_road: S3: no drivable road within car_sight_m = 100 m of any gate (nearest 118 m), so "
     "no patrol stop can show it a car: give it a post with a parked car, add a gate that faces a road, or raise "
     "car_sight_m)",
     "未见警车和警灯（校门附近无车行道：S3 各校门 car_sight_m = 100 米内没有可通警车的道路（最近 118 米），"
     "巡逻停靠无法让学校见到警车；可为它设警车驻岗的护学岗、增设临路的校门，或调大 car_sight_m）"),
    ((R("no_car"), R("window_short", detail=R("window_too_short", school="S3", period="noon", window="12:00-12:02",
                                              seen_s=180))),
     "no car or lights (window_short: S3: the noon window 12:00-12:02 is shorter than min_seen_s = 180 s, so no "
     "stop is seen long enough in it: lengthen the window or lower min_seen_s)",
     "未见警车和警灯（时间窗太短：S3 中午时间窗 12:00-12:02 短于 min_seen_s = 180 秒，任何停靠都不能被看到足够久；"
     "请延长时间窗或调低 min_seen_s）"),
]


def _numbers(text: str) -> Counter:
    return Counter(re.findall(r"\d+(?:\.\d+)?", text))


def _in_chinese(reason: str, said: str) -> None:
    """``said`` is ``reason`` in Chinese: every number kept, no English word left but parameter names."""
    assert said != reason
    assert _numbers(said) >= _numbers(reason), (reason, said)
    assert not re.search(r"[a-z]{2,}", re.sub(r"car_sight_m|min_seen_s", "", said)), said


@pytest.mark.parametrize(("why", "english", "chinese"), PATTERNS)
def test_every_reason_reads_in_english_and_chinese_with_its_numbers(why, english, chinese):
    assert reason_text(why, "en") == english
    assert reason_text(why, "zh") == chinese
    _in_chinese(english, chinese)


@pytest.mark.parametrize(("why", "english", "chinese"), PATTERNS)
def test_a_reason_comes_back_equal_from_plan_json(why, english, chinese):
    again = tuple(Reason.from_json(json.loads(json.dumps(r.to_json()))) for r in why)
    assert again == why and reason_text(again, "zh") == chinese


def test_every_reason_code_has_a_template_in_each_language_with_the_same_fields():
    for code, templates in REASON_TEMPLATES.items():
        assert set(templates) == set(LANGS), code
        fields = {lang: {f for _, f, _, _ in string.Formatter().parse(text) if f} for lang, text in templates.items()}
        if code != "words":  # a reason read back from an older plan: its words in each language
            assert fields["zh"] == fields["en"], code


def test_every_template_renders_in_both_languages():
    """Each code with made-up values: both languages render, and the Chinese has no English word."""
    samples = {"visit": "S1#w2", "rival": "S2", "period": "morning", "school": "S1", "station": "PS01",
               "window": "07:30:00–08:10:00", "arrival": "07:40:00", "leaves": "07:20:00", "text": "备注"}
    for code, templates in REASON_TEMPLATES.items():
        fields = {f for text in templates.values() for _, f, _, _ in string.Formatter().parse(text) if f}
        values = {f: samples.get(f, R("no_officer") if f in ("detail", "more") else 7.0) for f in fields}
        reason = R(code, **values)
        english, chinese = reason_text((reason,), "en"), reason_text((reason,), "zh")
        assert english and chinese, code
        if code not in ("as_written", "words"):
            assert chinese != english, code
        assert not re.search(r"[a-z]{2,}", re.sub(r"car_sight_m|min_seen_s", "", chinese)), (code, chinese)


def test_codes_made_by_the_code_all_have_templates():
    """Every ``Reason.of("code"`` written in the package names a template."""
    made = set()
    for path in Path(geo_patrol.__file__).parent.rglob("*.py"):
        made |= set(re.findall(r'Reason\.of\(\s*"([a-z_]+)"', path.read_text(encoding="utf-8")))
    assert made and made <= set(REASON_TEMPLATES), made - set(REASON_TEMPLATES)


def test_a_note_from_an_older_plan_is_shown_as_written():
    why = (R("no_car"), R("fleet_time", detail=R("as_written", text="an older wording")))
    assert reason_text(why, "en") == "no car or lights (fleet_time: an older wording)"
    assert reason_text(why, "zh") == "未见警车和警灯（警车时间不够：an older wording）"


def _town(folder: Path, schools: str = SCHOOLS_CSV, parameters: str = "") -> Scenario:
    folder.mkdir(parents=True, exist_ok=True)
    write_grid_osm(folder / "roads.osm")
    (folder / "schools.csv").write_text(schools, encoding="utf-8")
    (folder / "stations.csv").write_text(STATIONS_CSV, encoding="utf-8")
    (folder / "scenario.toml").write_text(SCENARIO_TOML + (f"\n[parameters]\n{parameters}" if parameters else ""),
                                          encoding="utf-8")
    return Scenario.from_toml(folder / "scenario.toml")


def _short_windows(text: str) -> str:
    """Every school's windows six minutes long, and S1 no longer requires a post."""
    for old in ("07:30-08:10", "08:00-08:40", "07:00-07:40"):
        text = text.replace(old, "07:30-07:36")
    for old in ("16:00-16:40", "16:30-17:10", "17:20-18:00"):
        text = text.replace(old, "16:00-16:06")
    return text.replace(",是,否", ",否,否")


FORBIDDEN = SCHOOLS_CSV.replace("5,07:00-07:40,17:20-18:00,否,否", "5,07:00-07:40,17:20-18:00,否,是")
OFF_THE_ROAD = SCHOOLS_CSV.replace("S3,第二中学,初中,114.3060,30.5060", "S3,第二中学,初中,114.3070,30.5070")
EQUALS = """学校编号,学校名称,类型,经度,纬度,在校人数,优先级,上学时间,放学时间,必设岗,禁设岗
S1,第一小学,小学,114.3000,30.5000,900,4,07:30-07:36,16:00-16:06,否,否
S2,第二小学,小学,114.3080,30.5080,900,4,07:30-07:36,16:00-16:06,否,否
S3,第三小学,小学,114.3000,30.5080,900,4,07:30-07:36,16:00-16:06,否,否
"""

#: Small plans of the tiny town that miss, and a piece of what their reasons say in Chinese.
MISSES = {
    "forbidden post, no car": (FORBIDDEN, "", {"cars": 0},
                               ["未设护学岗：学校禁设岗", "警车时间不够：S3 上午没有在班的巡逻警车"]),
    "officers short": (SCHOOLS_CSV, "", {"police": 1, "cars": 0},
                       ["未设护学岗：P1 所警力不足，本所、15 分钟车程内的派出所和警力池都没有空闲的岗组"]),
    "post budget, no road": (OFF_THE_ROAD, "car_sight_m = 30\n", {"max_posts": 1},
                             ["未设护学岗：护学岗名额 1 个已用完，本校权重 ",
                              "校门附近无车行道：S3 各校门 car_sight_m = 30 米内没有可通警车的道路（最近 "]),
    "window too short": (SCHOOLS_CSV.replace("07:00-07:40", "07:00-07:02"), "min_seen_s = 180\n", {"max_posts": 1},
                         ["时间窗太短：S3 上午时间窗 07:00-07:02 短于 min_seen_s = 180 秒"]),
    "strict presence": (SCHOOLS_CSV, 'target_profile = "strict"\n', {"max_posts": 1}, ["警察在场 ", "%，不足 80%"]),
    "priority": (_short_windows(SCHOOLS_CSV), "", {"max_posts": 0, "cars": 1},
                 ["未设护学岗：护学岗名额 0 个已用在别处，再设 1 个岗即可覆盖", "优先级较低：S1（权重 ", "）让位于 S3（权重 "]),
    "fleet time": (EQUALS, "", {"max_posts": 0, "cars": 1}, ["警车时间不够：", "P1 所再加 ", " 辆车可补上附近 "]),
}


@pytest.mark.parametrize("case", list(MISSES))
def test_the_reasons_of_real_plans_read_in_chinese(tmp_path, case):
    schools, parameters, options, pieces = MISSES[case]
    plan = make_plan(_town(tmp_path, schools, parameters), time_limit_s=2, **options)
    rows = [c for c in plan.coverage if c.reason]
    assert rows
    said = [reason_text(c.why, "zh") for c in rows]
    for row, text in zip(rows, said):
        _in_chinese(row.reason, text)
        assert reason_text(row.why, "en") == row.reason
    for piece in pieces:
        assert any(piece in text for text in said), (piece, said)


@pytest.fixture(scope="module")
def missing(tmp_path_factory) -> tuple[Plan, Path]:
    """A zh plan of the tiny town that misses (no car; S3 forbids a post), written without its map."""
    folder = tmp_path_factory.mktemp("town")
    plan = make_plan(_town(folder / "in", FORBIDDEN), cars=0, time_limit_s=2)
    return plan, plan.to_dir(folder / "plan", with_map=False)


def test_coverage_csv_carries_reason_text_after_reason_and_reads_back(missing):
    plan, folder = missing
    header = (folder / "coverage.csv").read_text(encoding="utf-8-sig").splitlines()[0].split(",")
    assert header[header.index("reason") + 1] == "reason_text"
    rows = read_rows(folder / "coverage.csv")
    assert [r["reason"] for r in rows] == [c.reason for c in plan.coverage]  # the machine text, untouched
    assert all(r["reason_text"] == reason_text(c.why, "zh") for r, c in zip(rows, plan.coverage))
    s3 = next(r for r in rows if (r["school_id"], r["period"]) == ("S3", "morning"))
    assert s3["reason_text"] == "未见警察；未见警车和警灯（未设护学岗：学校禁设岗；警车时间不够：S3 上午没有在班的巡逻警车）"
    assert Plan.from_dir(folder) == plan  # the display column is not read back


def test_the_workbook_and_the_map_show_the_reason_in_the_plan_language(missing, tmp_path):
    _, folder = missing
    expected = "未见警车和警灯（警车时间不够：S1 上午没有在班的巡逻警车）"
    book = openpyxl.load_workbook(write_report(folder, out=tmp_path / "report.xlsx"))
    sheet = book["三见覆盖 (Coverage)"]
    column = [c.value for c in sheet[1]].index("原因 (reason)")
    shown = [row[column] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert expected in shown and not any("no car" in (text or "") for text in shown)
    summary = [v for row in book["概况 (Summary)"].iter_rows(values_only=True) for v in row if isinstance(v, str)]
    assert expected in summary and not any("no car" in text for text in summary)
    page = render_map(folder, out=tmp_path / "map.html").read_text(encoding="utf-8")
    assert expected in page and "no car or lights" not in page
    page = render_map(folder, out=tmp_path / "map_en.html", lang="en").read_text(encoding="utf-8")
    assert "no car or lights (fleet_time: S1: no patrol car is on shift in the morning)" in page
    assert expected not in page


def test_an_older_folder_without_reason_text_still_reads_and_shows_chinese(missing, tmp_path):
    plan, folder = missing
    text = (folder / "coverage.csv").read_text(encoding="utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    drop = rows[0].index("reason_text")
    old = tmp_path / "old"
    old.mkdir()
    for item in folder.iterdir():
        if item.is_file():
            (old / item.name).write_bytes(item.read_bytes())
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([r[:drop] + r[drop + 1:] for r in rows])
    (old / "coverage.csv").write_text(out.getvalue(), encoding="utf-8-sig")
    assert Plan.from_dir(old) == plan
    assert "reason_text" not in read_plan_dir(old).coverage.columns
    book = openpyxl.load_workbook(write_report(old, out=tmp_path / "report.xlsx"))
    shown = [v for row in book["三见覆盖 (Coverage)"].iter_rows(values_only=True) for v in row]
    assert "未见警车和警灯（警车时间不够：S1 上午没有在班的巡逻警车）" in shown


def test_an_english_plan_keeps_the_reason_as_it_is(tmp_path):
    plan = make_plan(_town(tmp_path / "in", FORBIDDEN), cars=0, time_limit_s=2, lang="en")
    folder = plan.to_dir(tmp_path / "plan", documents=False, with_map=False)
    rows = read_rows(folder / "coverage.csv")
    assert any(r["reason"] for r in rows) and all(r["reason_text"] == r["reason"] for r in rows)


def test_the_term_workbook_shows_the_reason_in_the_plan_language(tmp_path):
    scenario = _town(tmp_path / "in", FORBIDDEN)
    toml = tmp_path / "in" / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8") + '\n[calendar]\nterm_start = "2026-09-07"\n'
                    'term_end = "2026-09-11"\n', encoding="utf-8")
    scenario = Scenario.from_toml(toml)
    out = write_semester(plan_semester(scenario, time_limit_s=2, cars=0), scenario, tmp_path / "term")
    sheet = openpyxl.load_workbook(out / "term_report.xlsx")["三见覆盖 (coverage)"]
    column = [c.value for c in sheet[1]].index("原因 (reason)")
    shown = {row[1:4] + (row[column],) for row in sheet.iter_rows(min_row=2, values_only=True)}
    assert ("S1", "第一小学", "morning", "未见警车和警灯（警车时间不够：S1 上午没有在班的巡逻警车）") in shown
