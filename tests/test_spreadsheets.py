"""Tests of geo_patrol.io.tables on planners' spreadsheets as they are: title rows above the header,
cover sheets, sheets chosen by name or number, every missing column and every bad row in one
report, hints that fit the field, and extra gates typed far from the main gate."""

from __future__ import annotations

import math
from pathlib import Path

import openpyxl
import pytest
from conftest import SCHOOLS_CSV, STATIONS_CSV

from geo_patrol.errors import InputError
from geo_patrol.geo import EARTH_RADIUS_M
from geo_patrol.io import tables
from geo_patrol.io.tables import read_schools, read_sites, read_stations, read_table

TITLE = "某某区中小学幼儿园名单（2026年秋季）"
HEADER = ["学校编号", "学校名称", "类型", "经度", "纬度", "在校人数", "上学时间", "放学时间"]
ROWS = [
    ["S1", "第一小学", "小学", 114.302, 30.502, 900, "07:30-08:10", "16:00-16:40"],
    ["S2", "实验幼儿园", "幼儿园", 114.3021, 30.5021, 200, "08:00-08:40", "16:30-17:10"],
]
#: The 'sheet' of a school in last year's list, a valid table too: choosing the sheet matters.
OLD_ROWS = [["OLD1", "旧小学", "小学", 114.31, 30.51, 500, "07:30-08:10", "16:00-16:40"]]


def _book(path: Path, sheets: dict[str, list[list]], *, merge: dict[str, str] | None = None) -> Path:
    book = openpyxl.Workbook()
    book.remove(book.active)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        for row in rows:
            sheet.append(row)
        if merge and title in merge:
            sheet.merge_cells(merge[title])
    book.save(path)
    return path


def _csv(tmp_path: Path, text: str, name: str = "schools.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def _school_line(number: int, enrolment: str = "100", gates: str = "") -> str:
    return f"S{number},学校{number},小学,114.30,30.50,{enrolment},07:30-08:10,16:00-16:40,{gates}"


SCHOOL_CSV_HEADER = "学校编号,学校名称,类型,经度,纬度,在校人数,上学时间,放学时间,其他校门"


# ----------------------------------------------------------------------------- title rows


def test_xlsx_title_row_above_the_header(tmp_path):
    path = _book(tmp_path / "schools.xlsx", {"Sheet1": [[TITLE], HEADER, *ROWS]})
    schools = read_schools(path)
    assert [(s.id, s.row) for s in schools] == [("S1", 3), ("S2", 4)]
    table = read_table(path)
    assert table.header_row == 2 and table.headers[:2] == ("学校编号", "学校名称")


def test_xlsx_merged_title_and_a_blank_row_keep_spreadsheet_row_numbers(tmp_path):
    bad = ROWS[1][:3] + ["114.3O21"] + ROWS[1][4:]
    path = _book(tmp_path / "schools.xlsx", {"名单": [[TITLE], [], HEADER, ROWS[0], bad]}, merge={"名单": "A1:H1"})
    with pytest.raises(InputError, match=r"^schools\.xlsx, row 5, field '经度': '114\.3O21' is not a number — "
                                         r"write a decimal degree such as 114\.3052$"):
        read_schools(path)
    (school,) = read_schools(_book(tmp_path / "ok.xlsx", {"名单": [[TITLE], [], HEADER, ROWS[0]]},
                                   merge={"名单": "A1:H1"}))
    assert school.row == 4


def test_missing_column_under_a_title_names_the_header_row(tmp_path):
    path = _book(tmp_path / "schools.xlsx", {"Sheet1": [[TITLE], ["制表：某某区教育局"], HEADER[:4] + HEADER[5:],
                                                         ROWS[0][:4] + ROWS[0][5:]]})
    with pytest.raises(InputError, match=r"^schools\.xlsx, row 3, field 'lat': missing required column 'lat' — add "
                                         r"a column headed one of: lat, latitude, y, 纬度$"):
        read_schools(path)


def test_csv_title_line(tmp_path):
    text = f"{TITLE},,,,,,,\n" + SCHOOLS_CSV
    schools = read_schools(_csv(tmp_path, text))
    assert [(s.id, s.row) for s in schools] == [("S1", 3), ("S2", 4), ("S3", 5)]
    with pytest.raises(InputError, match=r"^schools\.csv, row 5, field '在校人数': '千二' is not a number — "
                                         r"write a whole number such as 860$"):
        read_schools(_csv(tmp_path, text.replace(",1200,", ",千二,")))


def test_gbk_csv_with_title_rows_and_a_full_width_comma_in_the_title(tmp_path):
    text = "某某区中小学名单，2026年秋季\n填表日期：2026年9月1日\n" + SCHOOLS_CSV
    schools = read_schools(_csv(tmp_path, text, encoding="gbk"))
    assert [(s.id, s.name, s.row) for s in schools] == [("S1", "第一小学", 4), ("S2", "实验幼儿园", 5),
                                                         ("S3", "第二中学", 6)]
    with pytest.raises(InputError, match=r"^schools\.csv, row 6, field '类型': '大学' is not a school kind"):
        read_schools(_csv(tmp_path, text.replace("初中", "大学"), encoding="gbk"))


def test_header_is_looked_for_in_the_first_ten_rows_only(tmp_path):
    text = "".join(f"说明第{i}行\n" for i in range(10)) + SCHOOLS_CSV
    with pytest.raises(InputError, match=r"^schools\.csv, row 1: 8 required columns are missing: 'id', 'name', "
                                         r"'kind', 'lon', 'lat', 'enrolment', 'morning', 'afternoon'\n"):
        read_schools(_csv(tmp_path, text))
    schools = read_schools(_csv(tmp_path, "".join(f"说明第{i}行\n" for i in range(9)) + SCHOOLS_CSV))
    assert schools[0].row == 11


# ----------------------------------------------------------------------------- sheets


def test_cover_sheet_first_is_passed_over(tmp_path):
    path = _book(tmp_path / "schools.xlsx", {"说明": [["填表说明"], ["经纬度用高德地图坐标"]],
                                             "学校名单": [[TITLE], HEADER, *ROWS]})
    schools = read_schools(path)
    assert [(s.id, s.row) for s in schools] == [("S1", 3), ("S2", 4)]


def test_messages_name_the_sheet_of_a_workbook_of_several(tmp_path):
    bad = ROWS[1][:5] + ["二百"] + ROWS[1][6:]
    path = _book(tmp_path / "schools.xlsx", {"封面": [[TITLE]], "学校名单": [HEADER, ROWS[0], bad]})
    with pytest.raises(InputError, match=r"^schools\.xlsx \(sheet '学校名单'\), row 3, field '在校人数': '二百' is not "
                                         r"a number — write a whole number such as 860$"):
        read_schools(path)


@pytest.mark.parametrize("sheet", ["学校名单", "2", " 学校名单 "])
def test_sheet_chosen_by_name_or_number(tmp_path, sheet):
    path = _book(tmp_path / "schools.xlsx", {"去年": [HEADER, *OLD_ROWS], "学校名单": [[TITLE], HEADER, *ROWS]})
    assert [s.id for s in read_schools(path)] == ["OLD1"]  # without a sheet: the first that has the columns
    assert [(s.id, s.row) for s in read_schools(path, sheet=sheet)] == [("S1", 3), ("S2", 4)]
    assert read_table(path, sheet=sheet).sheet == "学校名单"


def test_stations_and_sites_sheets(tmp_path):
    station_rows = [line.split(",") for line in STATIONS_CSV.strip().splitlines()]
    path = _book(tmp_path / "inputs.xlsx", {"封面": [["某某分局"]], "派出所": [["派出所一览"], *station_rows],
                                            "岗亭": [["编号", "名称", "经度", "纬度", "已建"],
                                                   ["K1", "岗亭", 114.3, 30.5, "是"]]})
    (station,) = read_stations(path, sheet="派出所")
    assert (station.id, station.cars, station.row) == ("P1", 2, 3)
    (site,) = read_sites(path, sheet="3")
    assert (site.id, site.existing) == ("K1", True)


def test_wrong_sheet_name_lists_the_sheets(tmp_path):
    path = _book(tmp_path / "schools.xlsx", {"说明": [["填表说明"]], "学校名单": [HEADER, *ROWS]})
    with pytest.raises(InputError, match=r"^schools\.xlsx: has no sheet '学校' — its sheets are 1 '说明', 2 '学校名单': "
                                         r"give a sheet's name or its number \(1–2\)$"):
        read_schools(path, sheet="学校")
    with pytest.raises(InputError, match=r"^schools\.xlsx: has no sheet '3' — its sheets are 1 '说明', 2 '学校名单'"):
        read_schools(path, sheet="3")


def test_no_sheet_with_the_columns_says_what_each_lacks(tmp_path):
    path = _book(tmp_path / "schools.xlsx", {"说明": [["填表说明"]], "空白": [],
                                             "学校名单": [HEADER[:4] + HEADER[5:], ROWS[0][:4] + ROWS[0][5:]]})
    with pytest.raises(InputError, match=r"^schools\.xlsx: no sheet has every required column \(1 '说明' has none of "
                                         r"the table's headers; 2 '空白' is empty; 3 '学校名单' lacks 'lat'\) — add the "
                                         r"missing columns, or name the sheet to read in the scenario file "
                                         r"\(schools_sheet = \"name\" or its number, 1 for the first\)$"):
        read_schools(path)


def test_one_filled_sheet_among_blank_ones_reports_its_own_missing_column(tmp_path):
    path = _book(tmp_path / "schools.xlsx", {"Sheet1": [HEADER[:4] + HEADER[5:], ROWS[0][:4] + ROWS[0][5:]],
                                             "Sheet2": [], "Sheet3": []})
    with pytest.raises(InputError, match=r"^schools\.xlsx \(sheet 'Sheet1'\), row 1, field 'lat': missing required "
                                         r"column 'lat'"):
        read_schools(path)


def test_sheet_of_a_csv_file(tmp_path):
    with pytest.raises(InputError, match=r"^schools\.csv: a \.csv file has no sheets, yet sheet '1' is asked for — "
                                         r"remove schools_sheet from the scenario file, or give the \.xlsx workbook$"):
        read_schools(_csv(tmp_path, SCHOOLS_CSV), sheet="1")


def test_named_sheet_that_is_empty(tmp_path):
    path = _book(tmp_path / "schools.xlsx", {"学校名单": [HEADER, *ROWS], "空白": []})
    with pytest.raises(InputError, match=r"^schools\.xlsx: sheet '空白' is empty — give the sheet that holds the "
                                         r"table, or add a header row and data rows$"):
        read_schools(path, sheet="空白")


# ----------------------------------------------------------------------------- every problem at once

AMAP_EXPORT = """名称,类型,地址,经度,纬度,电话,行政区
第一小学,科教文化服务;学校;小学,解放大道1号,114.302,30.502,027-12345678,江岸区
"""


def test_raw_amap_export_names_every_missing_column_at_once(tmp_path):
    message = (
        "amap.csv, row 1: 4 required columns are missing: 'id', 'enrolment', 'morning', 'afternoon'\n"
        "amap.csv, row 1, field 'id': missing required column 'id' — add a column headed one of: id, school_id, "
        "学校编号, 编号, 学校代码, 代码, 考点编号\n"
        "amap.csv, row 1, field 'enrolment': missing required column 'enrolment' — add a column headed one of: "
        "enrolment, enrollment, students, 在校人数, 学生数, 人数, 考生人数\n"
        "amap.csv, row 1, field 'morning': missing required column 'morning' — add a column headed one of: morning, "
        "morning_window, 上学时间, 早高峰, 上午\n"
        "amap.csv, row 1, field 'afternoon': missing required column 'afternoon' — add a column headed one of: "
        "afternoon, afternoon_window, 放学时间, 晚高峰, 下午"
    )
    with pytest.raises(InputError) as caught:
        read_schools(_csv(tmp_path, AMAP_EXPORT, "amap.csv"))
    assert str(caught.value) == message


def test_ten_bad_rows_one_line_each(tmp_path):
    lines = [_school_line(n, "很多" if n % 2 else "100") for n in range(1, 21)]
    path = _csv(tmp_path, SCHOOL_CSV_HEADER + "\n" + "\n".join(lines) + "\n")
    expected = [r"schools\.csv: 10 problems in 10 rows, one per line below"] + [
        rf"schools\.csv, row {n + 1}, field '在校人数': '很多' is not a number — write a whole number such as 860"
        for n in range(1, 21, 2)
    ]
    with pytest.raises(InputError, match="^" + r"\n".join(expected) + "$"):
        read_schools(path)


def test_bad_rows_beyond_the_cap_are_counted(tmp_path):
    lines = [_school_line(n, "-5") for n in range(1, 26)]
    path = _csv(tmp_path, SCHOOL_CSV_HEADER + "\n" + "\n".join(lines) + "\n")
    with pytest.raises(InputError) as caught:
        read_schools(path)
    text = str(caught.value).splitlines()
    assert tables.MAX_REPORTED_PROBLEMS == 20 and len(text) == 1 + 20 + 1
    assert text[0] == "schools.csv: 25 problems in 25 rows, one per line below"
    assert text[20] == "schools.csv, row 21, field '在校人数': -5 is negative — use a whole number ≥ 0"
    assert text[21] == "schools.csv: and 5 more (rows 22–26)"


def test_every_problem_of_one_row_and_duplicate_ids(tmp_path):
    text = SCHOOL_CSV_HEADER + "\n" + _school_line(1) + "\nS1,,小学,東経114,30.5,1,07:30-08:10,16:40-16:00,\n"
    with pytest.raises(InputError, match=(
        r"^schools\.csv: 4 problems in 1 row, one per line below\n"
        r"schools\.csv, row 3, field '学校编号': id 'S1' is used twice \(also row 2\) — give every row its own id\n"
        r"schools\.csv, row 3, field '学校名称': is empty — fill it in\n"
        r"schools\.csv, row 3, field '经度': '東経114' is not a number — write a decimal degree such as 114\.3052\n"
        r"schools\.csv, row 3, field '放学时间': window end 16:00 is not after its start 16:40 — write the window as "
        r"HH:MM-HH:MM with the end after the start \(several as 15:40-16:10; 17:30-18:00\)$"
    )):
        read_schools(_csv(tmp_path, text))


def test_stations_and_sites_report_every_bad_row(tmp_path):
    text = STATIONS_CSV + "P2,二所,114.31,30.51,十,3,1\nP3,三所,114.32,北纬30,4,3,1.5\n"
    with pytest.raises(InputError, match=(
        r"^stations\.csv: 3 problems in 2 rows, one per line below\n"
        r"stations\.csv, row 3, field '民警': '十' is not a number — write a whole number such as 12\n"
        r"stations\.csv, row 4, field '纬度': '北纬30' is not a number — write a decimal degree such as 30\.5928\n"
        r"stations\.csv, row 4, field '警车': 1\.5 is not a whole number — use a whole number ≥ 0$"
    )):
        read_stations(_csv(tmp_path, text, "stations.csv"))
    sites = "id,name,lon,lat,existing\nK1,,114.3,30.5,也许\nK1,,114.3,30.5,\n"
    with pytest.raises(InputError, match=(
        r"^sites\.csv: 2 problems in 2 rows, one per line below\n"
        r"sites\.csv, row 2, field 'existing': '也许' is not yes/no — write 是/否, yes/no, true/false or 1/0\n"
        r"sites\.csv, row 3, field 'id': id 'K1' is used twice \(also row 2\) — give every row its own id$"
    )):
        read_sites(_csv(tmp_path, sites, "sites.csv"))


def test_a_cell_with_line_breaks_stays_on_its_problem_line(tmp_path):
    text = SCHOOLS_CSV.replace(",900,", ',"九\n百",').replace(",200,", ",-200,")
    with pytest.raises(InputError, match=(
        r"^schools\.csv: 2 problems in 2 rows, one per line below\n"
        r"schools\.csv, row 2, field '在校人数': '九↵百' is not a number — write a whole number such as 860\n"
        r"schools\.csv, row 3, field '在校人数': -200 is negative — use a whole number ≥ 0$"
    )):
        read_schools(_csv(tmp_path, text))


def test_one_problem_keeps_its_one_line_message(tmp_path):
    with pytest.raises(InputError) as caught:
        read_schools(_csv(tmp_path, SCHOOLS_CSV.replace(",200,", ",-200,")))
    assert str(caught.value) == "schools.csv, row 3, field '在校人数': -200 is negative — use a whole number ≥ 0"


# ----------------------------------------------------------------------------- hints that fit the field


@pytest.mark.parametrize("old,new,message", [
    (",900,", ",九百,", r"row 2, field '在校人数': '九百' is not a number — write a whole number such as 860$"),
    ("114.3020", "114.30.20", r"row 2, field '经度': '114\.30\.20' is not a number — "
                              r"write a decimal degree such as 114\.3052$"),
    ("30.5020", "北纬30度", r"row 2, field '纬度': '北纬30度' is not a number — write a decimal degree such as 30\.5928$"),
    (",4,07:30", ",高,07:30", r"row 2, field '优先级': '高' is not a number — "
                              r"write a whole number from 1 \(low\) to 5 \(high\)$"),
    (",900,", ",inf,", r"row 2, field '在校人数': 'inf' is not a finite number — write a whole number such as 860$"),
])
def test_number_hints_fit_the_field(tmp_path, old, new, message):
    with pytest.raises(InputError, match=r"^schools\.csv, " + message):
        read_schools(_csv(tmp_path, SCHOOLS_CSV.replace(old, new, 1)))


@pytest.mark.parametrize("field,value,hint", [("民警", "十二", "write a whole number such as 12"),
                                              ("警车", "两辆", "write a whole number such as 2")])
def test_station_count_hints(tmp_path, field, value, hint):
    header, row = STATIONS_CSV.strip().split("\n")
    cells = dict(zip(header.split(","), row.split(",")))
    cells[field] = value
    text = header + "\n" + ",".join(cells[h] for h in header.split(",")) + "\n"
    with pytest.raises(InputError, match=rf"^stations\.csv, row 2, field '{field}': '{value}' is not a number — {hint}$"):
        read_stations(_csv(tmp_path, text, "stations.csv"))


# ----------------------------------------------------------------------------- far extra gates

#: Metres per degree of latitude on the sphere geo_patrol measures straight lines on.
M_PER_DEG = EARTH_RADIUS_M * math.pi / 180


def _gate_north(metres: float) -> str:
    return f"114.3 {30.5 + metres / M_PER_DEG:.6f}"


def test_extra_gate_far_from_the_main_gate(tmp_path):
    text = SCHOOL_CSV_HEADER + "\n" + _school_line(1, gates=_gate_north(950)) + "\n"
    with pytest.raises(InputError, match=r"^schools\.csv, row 2, field '其他校门': gate '114\.3 30\.508544' is 950 m "
                                         r"from the main gate, more than 500 m — check its coordinates \(the same datum "
                                         r"as the main gate\); a campus spread that wide is better given as two "
                                         r"schools, one row each$"):
        read_schools(_csv(tmp_path, text))
    (school,) = read_schools(_csv(tmp_path, text), max_gate_spread_m=1000.0)
    assert len(school.gates) == 2


def test_extra_gates_within_the_spread_are_kept(tmp_path):
    assert tables.MAX_GATE_SPREAD_M == 500.0
    text = SCHOOL_CSV_HEADER + "\n" + _school_line(1, gates=f"{_gate_north(120)}; {_gate_north(480)}") + "\n"
    (school,) = read_schools(_csv(tmp_path, text), datum="gcj02")
    assert len(school.gates) == 3


def test_far_gates_of_several_schools_in_one_report(tmp_path):
    lines = [_school_line(1, gates=_gate_north(950)), _school_line(2), _school_line(3, gates=_gate_north(2000))]
    with pytest.raises(InputError, match=(
        r"^schools\.csv: 2 problems in 2 rows, one per line below\n"
        r"schools\.csv, row 2, field '其他校门': gate '114\.3 30\.508544' is 950 m from the main gate, more than 500 m"
        r" — .*\n"
        r"schools\.csv, row 4, field '其他校门': gate '114\.3 30\.517986' is 2000 m from the main gate, more than 500 m"
    )):
        read_schools(_csv(tmp_path, SCHOOL_CSV_HEADER + "\n" + "\n".join(lines) + "\n"))


def test_gate_spread_must_be_positive(tmp_path):
    with pytest.raises(ValueError, match=r"max_gate_spread_m must be > 0 metres, not 0"):
        read_schools(_csv(tmp_path, SCHOOLS_CSV), max_gate_spread_m=0)
