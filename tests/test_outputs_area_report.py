"""The area summary's documents (:mod:`geo_patrol.outputs.area_report`) from rows made by hand:
what each sheet holds, text kept as text, the what-if's change, and the page's escaping and links."""

from __future__ import annotations

from io import BytesIO

from openpyxl import load_workbook

from geo_patrol.outputs.area_report import SUMMARY_COLUMNS, TOTALS, area_index, area_workbook


def _row(county: str, variant: str, **figures) -> dict:
    row = {c: 0 for c in SUMMARY_COLUMNS}
    return {**row, "county": county, "variant": variant, "period": "morning", "status": "planned",
            "resources": "", "error": "", **figures}


ROWS = [_row("北城区", "baseline", met=3, posts=4, officers=8), _row("北城区", "police=-10%", met=2, posts=4, officers=7),
        {**{c: "" for c in SUMMARY_COLUMNS}, "county": "=cmd|' /C calc'!A0", "variant": "baseline",
         "status": "failed", "error": "schools.csv: file not found"}]
TOTALS_ROWS = [{"variant": "baseline", "period": "morning", "counties": 1, **{k: 1 for k in TOTALS}, "met_share": 0.5}]


def test_the_workbook_holds_the_rows_the_totals_and_the_whatif_change():
    book = load_workbook(BytesIO(area_workbook(ROWS, TOTALS_ROWS, "police=-10%", "baseline")))
    assert book.sheetnames == ["区县 (Counties)", "合计 (Area totals)", "假设对比 (What-if)"]
    counties = list(book["区县 (Counties)"].iter_rows(values_only=True))
    assert counties[0][:3] == ("区县 (county)", "方案 (variant)", "时段 (period)") and len(counties) == 4
    cell = book["区县 (Counties)"]["A4"]
    assert cell.value == "=cmd|' /C calc'!A0" and cell.data_type == "s"  # text, never a formula
    header, change = list(book["假设对比 (What-if)"].iter_rows(values_only=True))
    values = dict(zip(header, change))
    assert values["三见达成 (met)"] == 3 and values["met (police=-10%)"] == 2 and values["Δ met"] == -1
    assert values["Δ officers"] == -1 and values["Δ posts"] == 0
    assert load_workbook(BytesIO(area_workbook(ROWS, TOTALS_ROWS, None, "baseline"))).sheetnames == [
        "区县 (Counties)", "合计 (Area totals)"]


def test_the_page_escapes_every_value_and_links_the_maps():
    rows = [{**r, "link": "%E5%8C%97%E5%9F%8E%E5%8C%BA/" if r["status"] != "failed" else ""} for r in ROWS]
    html = area_index("某市 <秋季>", rows, TOTALS_ROWS)
    assert "某市 &lt;秋季&gt;" in html and "某市 <秋季>" not in html
    assert html.count('href="%E5%8C%97%E5%9F%8E%E5%8C%BA/map.html"') == 2
    assert '<tr class="failed">' in html and "2 区县 (counties), 1 失败 (failed)" in html
    assert "@font-face" in html  # its Chinese prints where no CJK font is installed
