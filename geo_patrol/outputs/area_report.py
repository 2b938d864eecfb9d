"""The area summary's documents: ``area_report.xlsx`` (the counties' rows, the area totals and,
with a what-if, the comparison) and ``index.html`` (the same with links to each county's map)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from io import BytesIO
from typing import Any

from markupsafe import Markup
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell
from openpyxl.styles import Font

from geo_patrol.outputs.fonts import FONT_STACK, font_face
from geo_patrol.outputs.markup import ENV

__all__ = ["SUMMARY_COLUMNS", "TOTALS", "area_index", "area_workbook"]

SUMMARY_COLUMNS = ("county", "variant", "period", "schools", "met", "met_strict", "schools_with_post", "posts",
                   "officers", "cars", "km", "status", "resources", "error")
"""``area_summary.csv``: ``variant`` is ``baseline`` or the what-if; ``schools`` have a window in the
period; ``met``, ``met_strict``, ``schools_with_post`` as in ``plan.json``; ``officers`` = police +
auxiliary (busiest period per station); ``cars`` used and ``km`` driven in the period; ``status``
``planned``, ``unchanged`` (skipped) or ``failed``; ``resources`` the what-if's county totals."""

#: The figures the area totals sum over the counties.
TOTALS = ("schools", "met", "met_strict", "schools_with_post", "posts", "officers", "cars", "km")

_TOTAL_COLUMNS = ("variant", "period", "counties", *TOTALS, "met_share")

_HEADERS_ZH = {"county": "区县 (county)", "variant": "方案 (variant)", "period": "时段 (period)",
               "schools": "学校 (schools)", "met": "三见达成 (met)", "met_strict": "三见达成(严格) (met, strict)",
               "schools_with_post": "设护学岗学校 (with a post)", "posts": "护学岗 (posts)",
               "officers": "警力 (officers)", "cars": "用车 (cars)", "km": "里程公里 (km)", "status": "状态 (status)",
               "resources": "假设资源 (what-if totals)", "error": "错误 (error)", "counties": "区县数 (counties)",
               "met_share": "三见达成率 (met share)"}


def area_workbook(rows, totals, whatif: str | None, baseline: str) -> bytes:
    """``area_report.xlsx``: the summary rows, the area totals and, with a what-if (its text), the
    comparison of each county's what-if plan with its ``baseline`` plan."""
    book = Workbook()
    _sheet(book.active, "区县 (Counties)", SUMMARY_COLUMNS, rows)
    _sheet(book.create_sheet(), "合计 (Area totals)", _TOTAL_COLUMNS, totals)
    if whatif is not None:
        compare = _compare(rows, whatif, baseline)
        columns = ["county", "period"] + [k for k in (compare[0] if compare else {}) if k not in ("county", "period")]
        _sheet(book.create_sheet(), "假设对比 (What-if)", columns, compare)
    buffer = BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _compare(rows, whatif: str, baseline: str) -> list[dict[str, Any]]:
    """Per county and period planned both ways: the baseline's figures, the what-if's and the change."""
    compare = []
    by_key = {(r["county"], r["variant"], r["period"]): r for r in rows if r["status"] != "failed"}
    for (county, variant, period), base in by_key.items():
        alt = by_key.get((county, whatif, period))
        if variant != baseline or alt is None:
            continue
        row = {"county": county, "period": period}
        for key in ("met", "met_strict", "schools_with_post", "posts", "officers", "cars"):
            row.update({key: base[key], f"{key} ({whatif})": alt[key], f"Δ {key}": alt[key] - base[key]})
        compare.append(row)
    return compare


def _sheet(sheet, title: str, columns: Sequence[str], rows: Sequence[Mapping[str, Any]]) -> None:
    """A table; text cells stay text (openpyxl would take a text starting with ``=`` for a formula)."""
    sheet.title = title
    sheet.append([_cell(sheet, _HEADERS_ZH.get(c, c)) for c in columns])
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append([_cell(sheet, row.get(c, "")) for c in columns])
    sheet.freeze_panes = "A2"


def _cell(sheet, value: Any) -> Any:
    if not isinstance(value, str):
        return value
    cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", value))
    cell.data_type = "s"
    return cell


def area_index(name: str, rows, totals) -> str:
    """``index.html``: the summary with links to each county's map (a row's ``link``, the folder of
    its plan with a map, or ``""``); every value escaped by the template."""
    context = dict(
        name=name, rows=rows, totals=totals, headers=_HEADERS_ZH, columns=SUMMARY_COLUMNS,
        text_columns=("county", "variant", "period", "status", "resources", "error"),
        total_columns=_TOTAL_COLUMNS,
        counties=len({r["county"] for r in rows}), failed=len({r["county"] for r in rows if r["status"] == "failed"}),
        stack=Markup(FONT_STACK),
    )
    template = ENV.get_template("area_index.html")
    face = font_face(template.render(**context, face=""))  # the Chinese prints on any machine: an embedded subset
    return template.render(**context, face=Markup(face))
