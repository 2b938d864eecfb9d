"""The semester: day types, the term's calendar, officer-shifts over the term, and who is on duty.

A plan (:func:`geo_patrol.plan.make_plan`) is one school day. A term is many, not all alike:

- **Day types.** A school may keep other windows on some weekdays (``friday_afternoon`` /
  周五放学 in the school table: many dismiss earlier on Friday, without after-school care). The
  weekdays whose windows are the same for every school form one day type, named by its days
  (``mon-thu``, ``fri``); one plan is made per day type, in one run.
- **The calendar** (``[calendar]`` in the scenario file)::

      [calendar]
      term_start = "2026-09-01"
      term_end = "2027-01-15"
      holidays = ["2026-09-25", "2026-10-01:2026-10-08"]     # no school (dates or ranges)
      workdays = { "2026-09-28" = "monday", "2026-10-11" = "friday" }   # 调休: school on a weekend,
                                                                        # with that weekday's hours
      [[calendar.reinforced]]                                # 开学前后: heavier deployment
      from = "2026-09-01"
      to = "2026-09-14"
      visits_per_window = 2                                  # any [parameters] key

  Every date of the term gets a day type (``calendar.csv``); a reinforced date plans its
  weekday's day type with the reinforced parameters (a day type of its own, ``mon-thu+reinforced``).
  Exam days (中考/高考, sites with their own hours) are not modelled yet.
- **Term totals** (``term_summary.csv``): per station and in total, the officer-shifts (one
  officer on duty in one school-run period of one school day — the unit the source reports use:
  Heqing county 820, Chuanshan district 6,292), car-shifts (one car out in one period of one day)
  and kilometres driven: the day type's figures summed over its dates.
- **People** (an optional ``officers`` table in ``[inputs]``: id, name, station, 民警/辅警, dates
  away). With it, ``roster_by_date.csv`` names the officer behind every roster slot of every
  date. The method is a greedy least-loaded rotation, argued as follows: on a date, each station
  needs a fixed set of slots per role (the team labels of its day type's roster, each a person
  for the whole day); giving each slot, in turn, to the available person of that station and
  role with the fewest duties so far (ties: the fewest this week, then the id) keeps the spread
  of duties per person at most one where availability allows — the same bound an exact
  assignment model reaches when the slots are interchangeable, as they are here — while
  respecting ``max_duties_per_week`` (school-run duties per person per week) and never putting
  one person in two places (a person takes at most one slot a day). A slot no one can take is
  written with an empty officer and counted as a shortage.
- **The team at a post.** Police are only part of a 护学岗: the school provides the rest (the
  Heqing formula: 1 police, 1 auxiliary, 1 school cadre, 2 guards, 2 staff, 4 volunteers).
  The ``school_team`` parameter (default :data:`SCHOOL_TEAM`) sets it; ``school_people.csv`` says
  what each school provides per post day and over the term. (One formula for every school: a
  per-school column is not read yet.)
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import io
import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from jinja2 import Environment
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE, Cell

from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic, write_directory
from geo_patrol.io.plandir import csv_text, is_plan_dir, output_lang
from geo_patrol.model import SCHOOL_ROLES, Parameters, format_team
from geo_patrol.outputs.map import render_map
from geo_patrol.outputs.school_sheets import write_school_sheets
from geo_patrol.plan import Plan, make_plan
from geo_patrol.scenario import Scenario, check_scenario
from geo_patrol.snapping import prepare

__all__ = ["SCHOOL_TEAM", "Calendar", "DayType", "Semester", "day_types", "plan_semester", "write_semester"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: The school's side of a post's team per post and day (Heqing county's formula).
SCHOOL_TEAM: Mapping[str, int] = {"school_cadre": 1, "guards": 2, "staff": 2, "volunteers": 4}

#: School-run duties one person may take in a week, unless the calendar says otherwise.
MAX_DUTIES_PER_WEEK = 6


@dataclass(frozen=True)
class DayType:
    """Weekdays that share every school's windows, and the parameters of the day (reinforced or not)."""

    name: str
    weekdays: tuple[str, ...]
    reinforced: Mapping[str, Any] = dataclasses.field(default_factory=dict)


@dataclass(frozen=True)
class Calendar:
    """The term: its dates, holidays, make-up days and reinforced spells (module docstring)."""

    start: dt.date
    end: dt.date
    holidays: frozenset[dt.date] = frozenset()
    workdays: Mapping[dt.date, str] = dataclasses.field(default_factory=dict)
    reinforced: tuple[tuple[dt.date, dt.date, Mapping[str, Any]], ...] = ()
    max_duties_per_week: int = MAX_DUTIES_PER_WEEK

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, file: str | Path | None = None) -> Calendar:
        """The ``[calendar]`` table, checked: one :class:`InputError` naming the key."""
        known = ("term_start", "term_end", "holidays", "workdays", "reinforced", "max_duties_per_week")
        for key in raw:
            if key not in known:
                raise InputError(f"unknown key '{key}' in [calendar]", file=file, field=f"calendar.{key}",
                                 hint="known keys: " + ", ".join(known))
        for key in ("term_start", "term_end"):
            if key not in raw:
                raise InputError(f"[calendar] has no {key}", file=file, field=f"calendar.{key}",
                                 hint=f'add {key} = "2026-09-01"')
        start, end = _date(raw["term_start"], file, "calendar.term_start"), _date(raw["term_end"], file,
                                                                                  "calendar.term_end")
        if end < start:
            raise InputError("the term ends before it starts", file=file, field="calendar.term_end",
                             hint="term_end must be on or after term_start")
        holidays = frozenset(d for item in raw.get("holidays", []) for d in _range(item, file, "calendar.holidays"))
        workdays = {}
        for day, weekday in dict(raw.get("workdays", {})).items():
            if str(weekday).lower() not in WEEKDAYS[:5]:
                raise InputError(f"'{weekday}' is not a school weekday", file=file, field=f"calendar.workdays.{day}",
                                 hint="give the weekday whose hours the make-up day keeps, monday … friday")
            workdays[_date(day, file, "calendar.workdays")] = str(weekday).lower()
        reinforced = []
        for k, spell in enumerate(raw.get("reinforced", [])):
            where = f"calendar.reinforced[{k + 1}]"
            if not isinstance(spell, Mapping) or "from" not in spell or "to" not in spell:
                raise InputError("a reinforced spell needs from and to", file=file, field=where,
                                 hint='write [[calendar.reinforced]] with from = "…" and to = "…"')
            overrides = {key: value for key, value in spell.items() if key not in ("from", "to")}
            Parameters.from_mapping(overrides, file=file)  # the same checks as [parameters]
            reinforced.append((_date(spell["from"], file, where), _date(spell["to"], file, where), overrides))
        cap = raw.get("max_duties_per_week", MAX_DUTIES_PER_WEEK)
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 14:
            raise InputError(f"'{cap}' is not a number of duties", file=file, field="calendar.max_duties_per_week",
                             hint="a whole number from 1 to 14 (two school runs a day, seven days)")
        return cls(start, end, holidays, workdays, tuple(reinforced), cap)

    def dates(self) -> list[tuple[dt.date, str, str]]:
        """Every date of the term: ``(date, kind, weekday it keeps)``, kind ``school``, ``weekend``,
        ``holiday`` or ``make_up`` (a weekend school day)."""
        out = []
        day = self.start
        while day <= self.end:
            weekday = WEEKDAYS[day.weekday()]
            if day in self.holidays:
                out.append((day, "holiday", weekday))
            elif day in self.workdays:
                out.append((day, "make_up", self.workdays[day]))
            elif day.weekday() >= 5:
                out.append((day, "weekend", weekday))
            else:
                out.append((day, "school", weekday))
            day += dt.timedelta(days=1)
        return out

    def reinforced_on(self, day: dt.date) -> Mapping[str, Any]:
        for start, end, overrides in self.reinforced:
            if start <= day <= end:
                return overrides
        return {}


def _date(value: Any, file, field: str) -> dt.date:
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value))
    except ValueError:
        raise InputError(f"'{value}' is not a date", file=file, field=field, hint="write it as 2026-09-01") from None


def _range(item: Any, file, field: str) -> list[dt.date]:
    first, _, last = str(item).partition(":")
    start = _date(first.strip(), file, field)
    end = _date(last.strip(), file, field) if last else start
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]


def day_types(scenario: Scenario) -> list[DayType]:
    """The weekdays grouped by identical windows of every school (module docstring), Monday first."""
    groups: dict[tuple, list[str]] = {}
    for weekday in WEEKDAYS[:5]:
        key = tuple((s.id, tuple(sorted((p, tuple(ws)) for p, ws in s.on(weekday).windows.items())))
                    for s in scenario.schools)
        groups.setdefault(key, []).append(weekday)
    return [DayType(_name(days), tuple(days)) for days in groups.values()]


def _name(days: Sequence[str]) -> str:
    idx = [WEEKDAYS.index(d) for d in days]
    if idx == list(range(idx[0], idx[-1] + 1)) and len(idx) > 1:
        return f"{_SHORT[idx[0]]}-{_SHORT[idx[-1]]}"
    return "+".join(_SHORT[i] for i in idx)


def day_scenario(scenario: Scenario, day_type: DayType) -> Scenario:
    """The scenario of one day type: each school's windows of its first weekday, the reinforced
    parameters applied."""
    weekday = day_type.weekdays[0]
    params = scenario.parameters
    if day_type.reinforced:
        params = Parameters.from_mapping({**_explicit(params), **day_type.reinforced})
    out = dataclasses.replace(scenario, schools=tuple(s.on(weekday) for s in scenario.schools), parameters=params)
    check_scenario(out)
    return out


def _explicit(params: Parameters) -> dict[str, Any]:
    return {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}


@dataclass(frozen=True)
class Semester:
    """A term's plans per day type, its calendar, and what follows from them."""

    calendar: Calendar
    day_types: tuple[DayType, ...]
    plans: Mapping[str, Plan]
    dates: tuple[tuple[dt.date, str, str, str], ...]  # date, kind, weekday kept, day type ("" off)
    roster: tuple[dict, ...]  # named duties per date (empty without an officers table)


def plan_semester(scenario: Scenario, *, time_limit_s: float = 20.0, seed: int | None = None,
                  progress: Callable[[str], None] | None = None, **options: Any) -> Semester:
    """One plan per day type of the term, and the term's dates mapped to them."""
    say = progress or (lambda message: None)
    if not scenario.calendar:
        raise InputError("the scenario has no [calendar]", file=scenario.source, field="calendar",
                         hint='add [calendar] with term_start = "…" and term_end = "…" (see the README)')
    calendar = Calendar.from_mapping(scenario.calendar, file=scenario.source)
    base = day_types(scenario)
    by_weekday = {w: t for t in base for w in t.weekdays}
    wanted: dict[str, DayType] = {}
    dates = []
    for day, kind, weekday in calendar.dates():
        if kind in ("holiday", "weekend"):
            dates.append((day, kind, weekday, ""))
            continue
        plain = by_weekday[weekday]
        extra = calendar.reinforced_on(day)
        chosen = dataclasses.replace(plain, name=f"{plain.name}+reinforced", reinforced=extra) if extra else plain
        wanted.setdefault(chosen.name, chosen)
        dates.append((day, kind, weekday, chosen.name))
    prepared = prepare(scenario)
    plans = {}
    for name, day_type in wanted.items():
        say(f"planning day type {name}")
        own = day_scenario(scenario, day_type)
        plans[name] = make_plan(own, time_limit_s=time_limit_s, seed=seed,
                                prepared=dataclasses.replace(prepared, scenario=own), progress=progress, **options)
        plans[name] = dataclasses.replace(plans[name], meta={**plans[name].meta, "day_type": name})
    roster = _named_roster(scenario, calendar, dates, plans) if scenario.officers else ()
    return Semester(calendar, tuple(wanted.values()), plans, tuple(dates), roster)


def _named_roster(scenario: Scenario, calendar: Calendar, dates, plans: Mapping[str, Plan]) -> tuple[dict, ...]:
    """Greedy least-loaded rotation (module docstring)."""
    people: dict[tuple[str, str], list] = {}
    for officer in sorted(scenario.officers, key=lambda o: o.id):
        people.setdefault((officer.station_id, officer.role), []).append(officer)
    total: dict[str, int] = {o.id: 0 for o in scenario.officers}
    week_of: dict[tuple[str, tuple[int, int]], int] = {}
    rows = []
    for day, _, _, day_type in dates:
        if not day_type:
            continue
        plan = plans[day_type]
        week = day.isocalendar()[:2]
        slots: dict[tuple[str, str], dict[str, list]] = {}
        for entry in plan.roster:
            slots.setdefault((entry.station_id, entry.role), {}).setdefault(entry.officer, []).append(entry)
        for (unit, role), labels in sorted(slots.items()):
            taken: set[str] = set()
            for label, entries in sorted(labels.items()):
                duties = len({e.period for e in entries})
                free = [o for o in people.get((unit, role), [])
                        if o.id not in taken and day.isoformat() not in o.unavailable
                        and week_of.get((o.id, week), 0) + duties <= calendar.max_duties_per_week]
                person = min(free, key=lambda o: (total[o.id], week_of.get((o.id, week), 0), o.id), default=None)
                if person is not None:
                    taken.add(person.id)
                    total[person.id] += duties
                    week_of[(person.id, week)] = week_of.get((person.id, week), 0) + duties
                for e in sorted(entries, key=lambda e: (e.start_s, e.post_id)):
                    rows.append({"date": day.isoformat(), "week": f"{week[0]}-W{week[1]:02d}", "day_type": day_type,
                                 "station_id": unit, "role": role, "slot": label, "period": e.period,
                                 "post_id": e.post_id, "start": _hm(e.start_s), "end": _hm(e.end_s),
                                 "officer_id": person.id if person else "", "name": person.name if person else ""})
    return tuple(rows)


def _hm(seconds: int) -> str:
    return f"{seconds // 3600:02d}:{seconds % 3600 // 60:02d}"


def term_summary(semester: Semester) -> list[dict]:
    """Per station and in total: school days, officer-shifts, car-shifts and km over the term."""
    days: dict[str, int] = {}
    for _, _, _, day_type in semester.dates:
        if day_type:
            days[day_type] = days.get(day_type, 0) + 1
    per: dict[str, dict[str, float]] = {}
    for name, count in days.items():
        plan = semester.plans[name]
        km: dict[str, float] = {}
        for route in plan.routes:
            km[route.station_id] = km.get(route.station_id, 0.0) + route.drive_km
        for row in plan.stations:
            acc = per.setdefault(row.station_id, {"officer_shifts": 0, "car_shifts": 0, "km": 0.0})
            acc["officer_shifts"] += count * sum(p + a for p, a, _ in row.use.values())
            acc["car_shifts"] += count * sum(c for _, _, c in row.use.values())
            acc["km"] += count * km.get(row.station_id, 0.0)
    out = [{"station_id": sid, **{k: round(v, 1) if k == "km" else int(v) for k, v in acc.items()}}
           for sid, acc in sorted(per.items())]
    out.append({"station_id": "total", "officer_shifts": sum(r["officer_shifts"] for r in out),
                "car_shifts": sum(r["car_shifts"] for r in out), "km": round(sum(r["km"] for r in out), 1)})
    return out


def fairness(semester: Semester, scenario: Scenario) -> dict[str, Any]:
    """Duties per person over the term: min, max and spread, over every officer of the table."""
    count = {o.id: 0 for o in scenario.officers}
    seen = set()
    for row in semester.roster:
        key = (row["date"], row["officer_id"], row["period"])
        if row["officer_id"] and key not in seen:
            seen.add(key)
            count[row["officer_id"]] += 1
    values = list(count.values()) or [0]
    short = sum(1 for row in semester.roster if not row["officer_id"])
    return {"people": len(count), "min": min(values), "max": max(values), "spread": max(values) - min(values),
            "unfilled_slot_rows": short}


def school_people(semester: Semester, team: Mapping[str, int] | None = None) -> list[dict]:
    """What each school provides: per post day of each day type, and over the term (module docstring).

    A row per school served by a post and day type: ``school_days`` (dates of the day type),
    ``post_periods`` (its posts times their periods), ``school_team`` (the people it provides at
    each, ``school_cadre:1; guards:2``), then ``<role>_per_day`` and ``<role>_term`` for every
    role any school provides (0 where a school provides none). Each school's own team is the
    one its plan carries (the ``school_team`` column of the school table, else the parameter);
    ``team`` puts the same team at every school instead.
    """
    days: dict[str, int] = {}
    for _, _, _, day_type in semester.dates:
        if day_type:
            days[day_type] = days.get(day_type, 0) + 1
    found = []
    for name, plan in semester.plans.items():
        default = dict(plan.meta["parameters"].get("school_team") or SCHOOL_TEAM)
        own = {s.school_id: dict(s.school_team) for s in plan.schools}
        names = {s.school_id: s.name for s in plan.schools}
        posts_of: dict[str, set] = {}
        for duty in plan.posts:
            for sid in duty.school_ids:
                posts_of.setdefault(sid, set()).add((duty.post_id, duty.period))
        for sid, posts in sorted(posts_of.items()):
            found.append((sid, names.get(sid, ""), name, len(posts), dict(team) if team is not None
                          else own.get(sid, default)))
    roles = list(dict.fromkeys([r for r in SCHOOL_ROLES if any(r in t for *_, t in found)]
                               + [r for *_, t in found for r in t]))
    rows = []
    for sid, school_name, name, post_periods, school_team in found:
        per_day = {role: school_team.get(role, 0) * post_periods for role in roles}
        rows.append({"school_id": sid, "name": school_name, "day_type": name, "school_days": days.get(name, 0),
                     "post_periods": post_periods, "school_team": format_team(school_team),
                     **{f"{role}_per_day": v for role, v in per_day.items()},
                     **{f"{role}_term": v * days.get(name, 0) for role, v in per_day.items()}})
    return rows


def write_semester(semester: Semester, scenario: Scenario, out: str | Path, *, force: bool = False) -> Path:
    """The semester folder: one plan folder per day type (``day_types/<name>/``, each a plan with
    its map, workbook and duty sheets), ``calendar.csv``, ``term_summary.csv``,
    ``school_people.csv``, ``roster_by_date.csv`` (with an officers table) and ``semester.json``;
    written whole, like a plan."""
    summary = term_summary(semester)

    def fill(folder: Path) -> None:
        for name, plan in semester.plans.items():
            plan.to_dir(folder / "day_types" / name)
        if len(semester.plans) > 1:  # each day type's map switches to the others'
            links = [(name, f"../{quote(name)}/map.html") for name in semester.plans]
            for name in semester.plans:
                render_map(folder / "day_types" / name, subtitle=name, links=links)
        write_atomic(folder / "calendar.csv", csv_text(
            ["date", "weekday", "kind", "keeps_weekday", "day_type"],
            [[d.isoformat(), WEEKDAYS[d.weekday()], kind, weekday if kind == "make_up" else "", day_type]
             for d, kind, weekday, day_type in semester.dates]))
        write_atomic(folder / "term_summary.csv", csv_text(list(summary[0]), [list(r.values()) for r in summary]))
        people = school_people(semester)
        if people:
            write_atomic(folder / "school_people.csv", csv_text(list(people[0]), [list(r.values()) for r in people]))
            write_school_sheets(folder / "school_sheets.html", people, title=scenario.name,
                                lang=output_lang(next(iter(semester.plans.values())).meta))
        if semester.roster:
            write_atomic(folder / "roster_by_date.csv",
                         csv_text(list(semester.roster[0]), [list(r.values()) for r in semester.roster]))
            write_atomic(folder / "roster_by_week.xlsx", _weekly_workbook(semester.roster))
        write_atomic(folder / "index.html", _index(semester, scenario, summary))
        meta = {"format": "geo_patrol.semester/1", "scenario": scenario.name,
                "term": [semester.calendar.start.isoformat(), semester.calendar.end.isoformat()],
                "day_types": {t.name: {"weekdays": list(t.weekdays), "reinforced": dict(t.reinforced),
                                       "dates": sum(1 for d in semester.dates if d[3] == t.name)}
                              for t in semester.day_types},
                "term_summary": summary,
                "fairness": fairness(semester, scenario) if semester.roster else None}
        write_atomic(folder / "semester.json", json_dump(meta))

    return write_directory(Path(out), fill, force=force, replaceable=is_plan_dir)


def json_dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


def _weekly_workbook(roster: Sequence[Mapping[str, Any]]) -> bytes:
    """``roster_by_week.xlsx``: a sheet per ISO week of the named roster, text kept as text."""
    book = Workbook()
    book.remove(book.active)
    columns = list(roster[0])
    for week in sorted({row["week"] for row in roster}):
        sheet = book.create_sheet(week)
        sheet.append([_text(sheet, c) for c in columns])
        for row in roster:
            if row["week"] == week:
                sheet.append([_text(sheet, row[c]) for c in columns])
        sheet.freeze_panes = "A2"
        sheet.print_title_rows = "1:1"
        sheet.page_setup.orientation = "landscape"
        sheet.page_setup.fitToWidth = 1
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


def _text(sheet, value: Any) -> Cell:
    cell = Cell(sheet, value=ILLEGAL_CHARACTERS_RE.sub("\ufffd", str(value)))
    cell.data_type = "s"  # a name starting with = stays a name, never a formula
    return cell


_INDEX = Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{{ name }} — 学期方案 (semester)</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}
td,th{border:1px solid #bbb;padding:4px 10px}</style></head><body>
<h1>{{ name }} — 学期方案 (semester) {{ start }} – {{ end }}</h1>
<h2>日子类型 (day types)</h2>
<table><tr><th>日子类型 (day type)</th><th>星期 (weekdays)</th><th>天数 (dates)</th><th>地图 (map)</th>
<th>报表 (workbook)</th><th>勤务表 (duty sheets)</th></tr>
{% for t in day_types %}<tr><td>{{ t.name }}</td><td>{{ t.weekdays }}</td><td>{{ t.dates }}</td>
<td><a href="day_types/{{ t.name }}/map.html">map.html</a></td>
<td><a href="day_types/{{ t.name }}/report.xlsx">report.xlsx</a></td>
<td><a href="day_types/{{ t.name }}/duty_sheets.html">duty_sheets.html</a></td></tr>
{% endfor %}</table>
<h2>整个学期 (the term)</h2>
<table><tr><th>派出所 (station)</th><th>警力人次 (officer-shifts)</th><th>警车车次 (car-shifts)</th>
<th>公里 (km)</th></tr>
{% for r in summary %}<tr><td>{{ r.station_id }}</td><td>{{ r.officer_shifts }}</td><td>{{ r.car_shifts }}</td>
<td>{{ r.km }}</td></tr>
{% endfor %}</table>
<p>calendar.csv · term_summary.csv · school_people.csv{% if roster %} · roster_by_date.csv ·
roster_by_week.xlsx{% endif %}</p>
</body></html>
""")


def _index(semester: Semester, scenario: Scenario, summary: Sequence[Mapping[str, Any]]) -> str:
    """``index.html``: the day types side by side, each linking its map, workbook and duty sheets."""
    day_types = [{"name": t.name, "weekdays": ", ".join(t.weekdays),
                  "dates": sum(1 for d in semester.dates if d[3] == t.name)} for t in semester.day_types]
    return _INDEX.render(name=scenario.name, start=semester.calendar.start.isoformat(),
                         end=semester.calendar.end.isoformat(), day_types=day_types, summary=summary,
                         roster=bool(semester.roster))
