"""The semester folder's own documents: ``term_report.xlsx`` (every day type in one workbook),
``roster_by_week.xlsx`` (the named roster, a sheet per ISO week) and ``index.html`` (the day types
side by side, linking each one's map, workbook and duty sheets)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader
from markupsafe import Markup

from geo_patrol.clock import format_time
from geo_patrol.io.plandir import output_lang
from geo_patrol.labels import reason_text
from geo_patrol.outputs.fonts import FONT_STACK, font_face
from geo_patrol.outputs.workbook import Link, tables_workbook
from geo_patrol.term import WEEKDAYS

if TYPE_CHECKING:
    from geo_patrol.semester import Semester

__all__ = ["semester_index", "term_workbook", "weekly_workbook"]

#: ``semester_index.html`` is rendered as it always was: autoescaped, blocks not trimmed (the
#: other templates' :data:`geo_patrol.outputs.markup.ENV` trims them, which would change its bytes).
_ENV = Environment(loader=PackageLoader("geo_patrol", "outputs/templates"), autoescape=True)


def term_workbook(semester: Semester, summary: Sequence[Mapping[str, Any]]) -> bytes:
    """``term_report.xlsx``: every day type in one workbook, to switch between them — a sheet
    listing them with links to each one's own workbook and map, their figures side by side, and
    the coverage of all of them in one sheet whose 日类型 (day type) filter picks one; then the
    term's totals and its calendar."""
    dates = {name: sum(1 for d in semester.dates if d[3] == name) for name in semester.plans}
    types = [[t.name, ", ".join(t.weekdays) if t.school_day else "", ", ".join(t.exams), dates[t.name],
              Link("report.xlsx", f"day_types/{t.name}/report.xlsx"), Link("map.html", f"day_types/{t.name}/map.html")]
             for t in semester.day_types]
    compare, coverage = [], []
    for name, plan in semester.plans.items():
        compare.extend(_compare_rows(name, plan.meta["summary"], dates[name]))
        coverage.extend(_coverage_rows(name, plan))
    created = next(iter(semester.plans.values())).meta.get("created")
    return tables_workbook([
        ("日类型 (day types)", ["日类型 (day type)", "星期 (weekdays)", "考试 (exams)", "天数 (dates)",
                              "报表 (workbook)", "地图 (map)"], types),
        ("日类型对比 (compare)", ["日类型 (day type)", "时段 (period)", "校次 (school windows)", "三见达成 (met)",
                                "达成率 % (share %)", "严格达成 (met strict)", "有护学岗 (with post)", "护学岗 (posts)",
                                "民警 (police)", "辅警 (auxiliary)", "警车 (cars)", "公里 (km)", "天数 (dates)"],
         compare),
        ("三见覆盖 (coverage)", ["日类型 (day type)", "学校编号 (school id)", "学校 (school)", "时段 (period)",
                               "开始 (start)", "结束 (end)", "三见 (three sightings)", "见警 (officer)",
                               "见车 (car)", "见灯 (lights)", "原因 (reason)"], coverage),
        ("学期合计 (term totals)", ["派出所 (station)", "警力人次 (officer-shifts)", "警车车次 (car-shifts)",
                                  "公里 (km)"], [list(r.values()) for r in summary]),
        ("日历 (calendar)", ["日期 (date)", "星期 (weekday)", "类别 (kind)", "日类型 (day type)"],
         [[d.isoformat(), WEEKDAYS[d.weekday()], kind, name] for d, kind, _, name in semester.dates]),
    ], created=created)


def _compare_rows(name: str, s: Mapping[str, Any], dates: int) -> list[list]:
    """A day type's figures per period, for the side-by-side sheet."""
    return [[name, period, s["windows"][period], s["met"][period], round(100 * s["attained_share"][period], 1),
             s["met_strict"][period], s["schools_with_post"][period], s["posts"], s["police"],
             s["auxiliary"], s["cars_used"].get(period, 0), round(s["km_driven"].get(period, 0.0), 1), dates]
            for period in s["periods"]]


def _coverage_rows(name: str, plan) -> list[list]:
    """A day type's coverage rows (``coverage.csv``), its name first."""
    names = {row.school_id: row.name for row in plan.schools}
    lang = output_lang(plan.meta)
    return [[name, c.school_id, names.get(c.school_id, ""), c.period, _hm(c.window_start_s),
             _hm(c.window_end_s), _yes(c.three_sightings), _yes(c.officer_seen), _yes(c.car_seen),
             _yes(c.lights_seen), reason_text(c.why, lang) if c.why else c.reason] for c in plan.coverage]


def _hm(seconds: int) -> str:
    return format_time(seconds, with_seconds=False)


def _yes(value: bool) -> str:
    return "是 (yes)" if value else "否 (no)"


def weekly_workbook(roster: Sequence[Mapping[str, Any]], created: Any = None) -> bytes:
    """``roster_by_week.xlsx``: a sheet per ISO week of the named roster, text kept as text."""
    columns = list(roster[0])
    return tables_workbook([(week, columns, [[row[c] for c in columns] for row in roster if row["week"] == week])
                            for week in sorted({row["week"] for row in roster})], created=created)


def semester_index(semester: Semester, name: str, summary: Sequence[Mapping[str, Any]],
                   warnings: Sequence[str] = ()) -> str:
    """``index.html``: the day types side by side, each linking its map, workbook and duty sheets."""
    day_types = [{"name": t.name, "weekdays": ", ".join(t.weekdays),
                  "dates": sum(1 for d in semester.dates if d[3] == t.name)} for t in semester.day_types]
    context = {"name": name, "start": semester.calendar.start.isoformat(),
               "end": semester.calendar.end.isoformat(), "day_types": day_types, "summary": summary,
               "roster": bool(semester.roster), "warnings": warnings, "stack": Markup(FONT_STACK)}
    template = _ENV.get_template("semester_index.html")
    face = font_face(template.render(**context, face=""))  # the Chinese prints on any machine: an embedded subset
    return template.render(**context, face=Markup(face))
