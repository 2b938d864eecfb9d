"""The tiny town's two-week term, for the semester and roster tests: a holiday, a make-up day,
an early Friday and six named officers."""

from __future__ import annotations

import csv
import io

from geo_patrol.io.plandir import csv_text
from geo_patrol.scenario import Scenario
from geo_patrol.semester import plan_semester, write_semester

CALENDAR = """
[calendar]
term_start = "2026-09-07"          # a Monday
term_end = "2026-09-18"            # the Friday of the next week
holidays = ["2026-09-10"]          # Thursday off
workdays = { "2026-09-12" = "thursday" }   # 调休: Saturday with Thursday's hours
max_duties_per_week = 8
"""

OFFICERS = """警号,姓名,所属派出所,类别,不可用日期
A1,张一,P1,民警,
A2,张二,P1,民警,2026-09-08
A3,张三,P1,民警,
B1,李一,P1,辅警,
B2,李二,P1,辅警,
B3,李三,P1,辅警,2026-09-14:2026-09-15
"""


def term_scenario(tiny_dir, *, friday: bool = True, officers: bool = True) -> Scenario:
    """The tiny town with a two-week term (:data:`CALENDAR`), 第一小学 dismissing early on Fridays,
    and the officers table (:data:`OFFICERS`)."""
    if friday:  # 第一小学 dismisses at 15:00 on Fridays
        path = tiny_dir / "schools.csv"
        lines = path.read_text(encoding="utf-8").splitlines()
        lines[0] += ",周五放学"
        lines[1:] = [line + (",15:00-15:40" if line.startswith("S1,") else ",") for line in lines[1:]]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    text = (tiny_dir / "scenario.toml").read_text(encoding="utf-8")
    if officers:
        (tiny_dir / "officers.csv").write_text(OFFICERS, encoding="utf-8")
        text = text.replace('network = "roads.osm"', 'network = "roads.osm"\nofficers = "officers.csv"')
    (tiny_dir / "scenario.toml").write_text(text + CALENDAR, encoding="utf-8")
    return Scenario.from_toml(tiny_dir / "scenario.toml")


def roster_to_edit(tiny_dir, tmp_path):
    """A planned two-week term, its roster rows, and a function writing edited rows back."""
    scenario = term_scenario(tiny_dir)
    out = write_semester(plan_semester(scenario, time_limit_s=2), scenario, tmp_path / "term")
    path = out / "roster_by_date.csv"
    rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    columns = list(rows[0])

    def write(edited):
        path.write_text(csv_text(columns, [[r[c] for c in columns] for r in edited]).decode("utf-8-sig"),
                        encoding="utf-8")

    return out, rows, write
