"""The semester folder's documents (:mod:`geo_patrol.outputs.term_report`) from a term made by hand:
the roster's sheet a week, and the index's day types, totals, warnings and escaping."""

from __future__ import annotations

import datetime as dt
import types
from io import BytesIO

from openpyxl import load_workbook

from geo_patrol.outputs.term_report import semester_index, weekly_workbook


def test_a_sheet_per_week_and_text_kept_as_text():
    rows = [{"date": "2026-09-07", "week": "2026-W37", "officer_id": "=A1", "name": "张一"},
            {"date": "2026-09-14", "week": "2026-W38", "officer_id": "A2", "name": "张二"},
            {"date": "2026-09-08", "week": "2026-W37", "officer_id": "A3", "name": "张三"}]
    book = load_workbook(BytesIO(weekly_workbook(rows)))
    assert book.sheetnames == ["2026-W37", "2026-W38"]
    first = book["2026-W37"]
    assert [c.value for c in first[1]] == ["date", "week", "officer_id", "name"]
    assert [r[0] for r in first.iter_rows(min_row=2, values_only=True)] == ["2026-09-07", "2026-09-08"]
    assert first["C2"].value == "=A1" and first["C2"].data_type == "s"


def test_the_index_links_each_day_type_and_escapes_names():
    day = types.SimpleNamespace
    semester = day(calendar=day(start=dt.date(2026, 9, 7), end=dt.date(2026, 9, 18)),
                   day_types=(day(name="mon-thu", weekdays=("mon", "tue")), day(name="fri", weekdays=("fri",))),
                   dates=((dt.date(2026, 9, 7), "school", "", "mon-thu"), (dt.date(2026, 9, 11), "school", "", "fri"),
                          (dt.date(2026, 9, 8), "school", "", "mon-thu")),
                   roster=())
    summary = [{"station_id": "P1", "officer_shifts": 80, "car_shifts": 20, "km": 31.5}]
    html = semester_index(semester, "某县 <秋>", summary, ["P1 police: short of people"])
    assert "某县 &lt;秋&gt; — 学期方案 (semester) 2026-09-07 – 2026-09-18" in html
    assert '<td>mon-thu</td><td>mon, tue</td><td>2</td>' in html and 'href="day_types/fri/duty_sheets.html"' in html
    assert "<li>P1 police: short of people</li>" in html and "roster_by_date.csv" not in html
    assert "@font-face" in html  # its Chinese prints where no CJK font is installed
