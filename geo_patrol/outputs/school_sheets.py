"""``school_sheets.html``: one printable A4 page per school — the people it provides at its posts.

A 护学岗 is staffed by police and school-side people together (Heqing county's formula: 1 police
officer, 1 auxiliary, 1 school cadre, 2 guards, 2 staff, 4 volunteers). Each school gets a page
to hand to its principal: its team at each post and period (its own ``school_team``, else the
scenario's), and per day type the school days, the post-periods it is served on a day, the people
of each role it provides on such a day and over the term, with the term's totals and signature
lines. The rows are the semester's ``school_people.csv``
(:func:`geo_patrol.semester.school_people`); the page is built from the autoescaped template
``templates/school_sheets.html``, carries a subset of Noto Sans SC holding its characters
(:mod:`geo_patrol.outputs.fonts`) and is written atomically.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from geo_patrol.io.atomic import write_atomic
from geo_patrol.labels import SCHOOL_ROLE_NAMES, team_text
from geo_patrol.model import parse_team
from geo_patrol.outputs import markup
from geo_patrol.outputs.common import language
from geo_patrol.outputs.fonts import FONT_STACK, font_face

log = logging.getLogger(__name__)

__all__ = ["school_pages", "write_school_sheets"]

_TEXT: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "lang": "zh-CN", "title": "学校护学岗人员安排表", "school": "学校", "team": "每岗每时段校方人员",
        "day_type": "日子类型", "school_days": "上学天数", "post_periods": "每天岗位时段", "per_day": "每天",
        "term": "全学期", "total": "合计", "people": "人次", "none": "无",
        "note": "说明：学校按护学岗的上岗时间派出上述人员，与民警、辅警共同值守（“1名民警、1名辅警、1名校领导、"
                "2名保安、2名教职工、4名志愿者”）；人次 = 人数 × 岗位时段 × 天数。",
        "sign_school": "学校负责人签字", "sign_station": "派出所签字", "date": "日期",
        "page": "第 {i} 页 / 共 {n} 页", "scenario": "方案",
    },
    "en": {
        "lang": "en", "title": "School's people for the school-run posts", "school": "School",
        "team": "School side per post and period", "day_type": "Day type", "school_days": "School days",
        "post_periods": "Post-periods a day", "per_day": "a day", "term": "term", "total": "Total",
        "people": "person-duties", "none": "none",
        "note": "The school sends these people to its posts for the duty times, beside the police and "
                "auxiliary officers (1 police, 1 auxiliary, 1 school cadre, 2 guards, 2 staff, 4 volunteers); "
                "person-duties = people × post-periods × days.",
        "sign_school": "School head's signature", "sign_station": "Police station's signature", "date": "Date",
        "page": "page {i} of {n}", "scenario": "Plan",
    },
}


def school_pages(rows: Sequence[Mapping[str, Any]], lang: str = "zh") -> list[dict[str, Any]]:
    """The pages of :func:`write_school_sheets`, one per school in the order of ``rows``.

    ``rows`` are :func:`geo_patrol.semester.school_people` rows: ``school_id``, ``name``,
    ``day_type``, ``school_days``, ``post_periods``, ``school_team`` and ``<role>_per_day`` /
    ``<role>_term`` columns. A page: the school, its team text, the roles (their names in
    ``lang``), a line per day type and the term's totals per role.
    """
    text = language(lang, _TEXT)
    names = SCHOOL_ROLE_NAMES[lang]
    by_school: dict[str, list[Mapping[str, Any]]] = {}
    for row in rows:
        by_school.setdefault(str(row["school_id"]), []).append(row)
    pages = []
    for sid, own in by_school.items():
        roles = [key.removesuffix("_per_day") for key in own[0] if key.endswith("_per_day")]
        teams = list(dict.fromkeys(str(r.get("school_team", "")) for r in own))
        lines = [{"day_type": str(r["day_type"]), "school_days": int(r["school_days"]),
                  "post_periods": int(r["post_periods"]),
                  "team": _team(str(r.get("school_team", "")), lang, text["none"]),
                  "cells": [(int(r[f"{role}_per_day"]), int(r[f"{role}_term"])) for role in roles]}
                 for r in own]
        totals = [sum(line["cells"][k][1] for line in lines) for k in range(len(roles))]
        pages.append({"school_id": sid, "name": str(own[0].get("name", "")),
                      "team": "; ".join(_team(t, lang, text["none"]) for t in teams),
                      "roles": [names.get(role, role) for role in roles], "lines": lines, "totals": totals,
                      "total": sum(totals)})
    return pages


def _team(cell: str, lang: str, none: str) -> str:
    """A ``school_team`` text for people (``校领导 1、保安 2``), ``none`` for an empty one."""
    return team_text(parse_team(cell, strict=False) or {}, lang) or none


def write_school_sheets(path: str | Path, rows: Sequence[Mapping[str, Any]], *, lang: str = "zh",
                        title: str = "") -> Path:
    """Write ``school_sheets.html`` at ``path``: a printable A4 page per school listing the people it
    provides at its posts per day type and over the term (module docstring), in ``lang`` (``zh``
    or ``en``); ``title`` (the scenario's name) heads every page. Returns the path."""
    text = language(lang, _TEXT)
    pages = school_pages(rows, lang)
    for i, page in enumerate(pages, start=1):
        page["page"] = text["page"].format(i=i, n=len(pages))
    context = {"text": text, "pages": pages, "scenario_name": title, "font": markup.Markup(FONT_STACK)}
    face = font_face(markup.render("school_sheets.html", context, font_face=""))
    document = markup.render("school_sheets.html", context, font_face=markup.Markup(face))
    write_atomic(Path(path), str(document))
    log.info("wrote %d school sheets to %s", len(pages), path)
    return Path(path)
