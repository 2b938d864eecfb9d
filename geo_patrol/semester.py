"""The semester workflow: one plan per day type of the term, the term's totals, who is on duty,
and the semester folder — planned, written, and evaluated again after hand edits.

A plan (:func:`geo_patrol.plan.make_plan`) is one school day. A term is many, not all alike:

- **Day types and the calendar** (``[calendar]``: term dates, holidays, make-up days, reinforced
  spells, exam days) are described in :mod:`geo_patrol.term`. One plan is made per day type, in
  one run; every date of the term gets its day type in ``calendar.csv``. Posts stay put across
  day types (:func:`plan_semester`).
- **Term totals** (``term_summary.csv``): per station and in total, the officer-shifts (one
  officer on duty in one school-run period of one school day — the unit the source reports use:
  Heqing county 820, Chuanshan district 6,292), car-shifts (one car out in one period of one day)
  and kilometres driven: the day type's figures summed over its dates.
- **People** (an optional ``officers`` table in ``[inputs]``: id, name, station, 民警/辅警, dates
  away). With it, ``roster_by_date.csv`` names the officer behind every roster slot of every
  date: the roster stage makes it (:mod:`geo_patrol.roster.named`, a min-cost flow a week at a
  time) and says per week who is short (:mod:`geo_patrol.roster.staffing`,
  ``staffing_by_week.csv``).
- **The team at a post.** Police are only part of a 护学岗: the school provides the rest (the
  Heqing formula: 1 police, 1 auxiliary, 1 school cadre, 2 guards, 2 staff, 4 volunteers).
  The ``school_team`` parameter (default :data:`SCHOOL_TEAM`) sets it, and a school's own
  ``school_team`` column (校方力量) where it differs; the duty sheets list it per post,
  ``school_people.csv`` says what each school provides per post day and over the term, and
  ``school_sheets.html`` gives each school its own printable sheet of it.
- **The semester folder** (:func:`write_semester`): the day types' plan folders and the term's
  files; its documents (``term_report.xlsx``, ``roster_by_week.xlsx``, ``index.html``) are drawn by
  :mod:`geo_patrol.outputs.term_report`. :func:`evaluate_semester` checks hand-edited day types
  and roster, and derives the term's files again.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import shutil
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

from geo_patrol.errors import InputError
from geo_patrol.hashing import sha256_file
from geo_patrol.io.atomic import STAGING_MARKER, write_atomic, write_directory
from geo_patrol.io.plandir import csv_text, is_plan_dir, output_lang
from geo_patrol.model import SCHOOL_ROLES, format_team
from geo_patrol.outputs.map import render_map
from geo_patrol.outputs.school_sheets import write_school_sheets
from geo_patrol.outputs.term_report import semester_index, term_workbook, weekly_workbook
from geo_patrol.plan import Plan, make_plan
from geo_patrol.roster.named import fairness, hand_roster, named_roster
from geo_patrol.roster.staffing import staffing, staffing_warnings
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare
from geo_patrol.term import PLANNING_KEYS, WEEKDAYS, Calendar, DayType
from geo_patrol.verify import Evaluation, evaluate_plan_dir

__all__ = ["SCHOOL_TEAM", "Calendar", "DayType", "PreviousTerm", "Semester", "TermEvaluation", "day_types",
           "evaluate_semester", "fairness", "is_semester_dir", "plan_semester", "read_previous", "refresh_semester",
           "school_people", "semester_day_types", "semester_of", "staffing", "staffing_warnings", "term_summary",
           "write_semester"]

#: The school's side of a post's team per post and day (Heqing county's formula).
SCHOOL_TEAM: Mapping[str, int] = {"school_cadre": 1, "guards": 2, "staff": 2, "volunteers": 4}


def day_types(scenario: Scenario) -> list[DayType]:
    """The weekdays grouped by identical windows of every school, Monday first."""
    return scenario.day_types()


@dataclass(frozen=True)
class Semester:
    """A term's plans per day type, its calendar, and what follows from them."""

    calendar: Calendar
    day_types: tuple[DayType, ...]
    plans: Mapping[str, Plan]
    dates: tuple[tuple[dt.date, str, str, str], ...]  # date, kind, weekday kept, day type ("" off)
    roster: tuple[dict, ...]  # named duties per date (empty without an officers table)
    anchor: str = ""  # the day type planned first, whose posts the others keep
    capped: Mapping[str, Mapping[str, list[int]]] = dataclasses.field(default_factory=dict)  # within_cap's cuts
    roster_breaches: tuple[dict, ...] = ()  # hand edits of roster_by_date.csv that break a rule (evaluate)


def plan_semester(scenario: Scenario, *, time_limit_s: float = 20.0, seed: int | None = None,
                  progress: Callable[[str], None] | None = None,
                  previous: Plan | PreviousTerm | None = None, **options: Any) -> Semester:
    """One plan per day type of the term, and the term's dates mapped to them.

    Posts stay put across day types: the day type with the most dates (the *anchor*, usually
    ``mon-thu``) is planned first, and every other day type is planned with the anchor's posts
    as last plan's posts (:func:`geo_patrol.plan.make_plan` ``previous``): they stay where they
    still serve, and ``changes_from_previous`` in each ``plan.json`` lists what differs.
    ``previous`` (last semester's plans by day type, or one plan for all) anchors the anchor
    itself, and any day type it has by name.
    """
    say = progress or (lambda message: None)
    dates, wanted = _term_days(scenario)
    assert scenario.calendar is not None
    if not wanted:
        raise InputError("the term has no school day", file=scenario.source, field="calendar",
                         hint="check term_start, term_end and holidays")
    capped: dict[str, dict[str, list[int]]] = {}
    if scenario.calendar.plan_within_cap:
        scenario, capped = scenario.within_cap()
    count = {name: sum(1 for d in dates if d[3] == name) for name in wanted}
    anchor = max(wanted, key=lambda name: (wanted[name].school_day, count[name]))  # first of the most dates
    prepared = prepare(scenario)
    plans: dict[str, Plan] = {}
    for name in [anchor, *(n for n in wanted if n != anchor)]:
        say(f"planning day type {name}")
        before = _previous_for(previous, name, anchor)
        if before is None and name != anchor:
            before = plans[anchor]
        plans[name] = _plan_day_type(scenario, wanted[name], prepared, before, time_limit_s=time_limit_s,
                                     seed=seed, progress=progress, **options)
    plans = {name: plans[name] for name in wanted}
    roster = named_roster(scenario, scenario.calendar, dates, plans)[0] if scenario.officers else ()
    return Semester(scenario.calendar, tuple(wanted.values()), plans, tuple(dates), roster, anchor, capped)


def _term_days(scenario: Scenario) -> tuple[list[tuple[dt.date, str, str, str]], dict[str, DayType]]:
    """The term's dates (date, kind, weekday kept, day type's name or "") and its day types by name."""
    wanted: dict[str, DayType] = {}
    dates = []
    for day, kind, weekday, day_type in scenario.term_dates():
        if day_type is not None:
            wanted.setdefault(day_type.name, day_type)
        dates.append((day, kind, weekday, day_type.name if day_type else ""))
    return dates, wanted


def _plan_day_type(scenario: Scenario, day_type: DayType, prepared, before: Plan | None, **options: Any) -> Plan:
    """One day type's plan, from the term's prepared network (prepared again for an exam's sites
    or a reinforced spell that changes what is prepared)."""
    own = scenario.for_day(day_type)
    again = day_type.exams or set(day_type.reinforced) - set(PLANNING_KEYS)
    mine = prepare(own, network=prepared.network) if again else dataclasses.replace(prepared, scenario=own)
    plan = make_plan(own, prepared=mine, previous=before, **options)
    return dataclasses.replace(plan, meta={**plan.meta, "day_type": day_type.name})


@dataclass(frozen=True)
class PreviousTerm:
    """Last term's plans by day type, and which of them was its anchor."""

    plans: Mapping[str, Plan]
    anchor: str


def _previous_for(previous: Plan | PreviousTerm | None, name: str, anchor: str) -> Plan | None:
    if previous is None or isinstance(previous, Plan):
        return previous
    if name in previous.plans:
        return previous.plans[name]
    return previous.plans[previous.anchor] if name == anchor else None


def read_previous(folder: str | Path) -> Plan | PreviousTerm:
    """Last term's plans for ``semester --previous``: a semester folder (its plans by day type)
    or one plan folder."""
    folder = Path(folder)
    meta_path = folder / "semester.json"
    if not meta_path.is_file():
        return Plan.from_dir(folder)
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
        names = list(meta["day_types"])
        anchor = meta.get("anchor") or max(names, key=lambda n: meta["day_types"][n].get("dates", 0))
    except (ValueError, KeyError, TypeError, AttributeError):
        raise InputError("not a semester's semester.json", file=meta_path,
                         hint="give the folder `geo-patrol semester` wrote last term") from None
    if anchor not in names:
        raise InputError(f"the anchor '{anchor}' is not one of its day types", file=meta_path, field="anchor",
                         hint="semester.json was edited: give a day type it lists, or plan that term again")
    names = semester_day_types(folder)
    return PreviousTerm({name: Plan.from_dir(folder / "day_types" / name) for name in names}, anchor)


def _dates_per_day_type(semester: Semester) -> dict[str, int]:
    """Day type → its dates in the term, in the order the term first meets them."""
    days: dict[str, int] = {}
    for _, _, _, day_type in semester.dates:
        if day_type:
            days[day_type] = days.get(day_type, 0) + 1
    return days


def term_summary(semester: Semester) -> list[dict]:
    """Per station and in total: school days, officer-shifts, car-shifts and km over the term."""
    per: dict[str, dict[str, float]] = {}
    for name, count in _dates_per_day_type(semester).items():
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


def school_people(semester: Semester, team: Mapping[str, int] | None = None) -> list[dict]:
    """What each school provides: per post day of each day type, and over the term (module docstring).

    A row per school served by a post and day type: ``school_days`` (dates of the day type),
    ``post_periods`` (its posts times their periods), ``school_team`` (the people it provides at
    each, ``school_cadre:1; guards:2``), then ``<role>_per_day`` and ``<role>_term`` for every
    role any school provides (0 where a school provides none). Each school's own team is the
    one its plan carries (the ``school_team`` column of the school table, else the parameter);
    ``team`` puts the same team at every school instead.
    """
    days = _dates_per_day_type(semester)
    found = [row for name, plan in semester.plans.items() for row in _schools_at_posts(name, plan, team)]
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


def _schools_at_posts(name: str, plan: Plan, team: Mapping[str, int] | None) -> list[tuple]:
    """A day type's schools served by a post: (id, name, day type, post periods, the school's team)."""
    default = dict(plan.meta["parameters"].get("school_team") or SCHOOL_TEAM)
    own = {s.school_id: dict(s.school_team) for s in plan.schools}
    names = {s.school_id: s.name for s in plan.schools}
    posts_of: dict[str, set] = {}
    for duty in plan.posts:
        for sid in duty.school_ids:
            posts_of.setdefault(sid, set()).add((duty.post_id, duty.period))
    return [(sid, names.get(sid, ""), name, len(posts), dict(team) if team is not None else own.get(sid, default))
            for sid, posts in sorted(posts_of.items())]


def write_semester(semester: Semester, scenario: Scenario, out: str | Path, *, force: bool = False) -> Path:
    """The semester folder: one plan folder per day type (``day_types/<name>/``, each a plan with
    its map, workbook and duty sheets), ``calendar.csv``, ``term_summary.csv``,
    ``school_people.csv``, ``roster_by_date.csv`` (with an officers table) and ``semester.json``;
    written whole, like a plan."""

    def fill(folder: Path) -> None:
        for name, plan in semester.plans.items():
            plan.to_dir(folder / "day_types" / name)
        _term_files(semester, scenario, folder)

    return write_directory(Path(out), fill, force=force, replaceable=is_plan_dir)


def _term_files(semester: Semester, scenario: Scenario, folder: Path) -> None:
    """The semester folder's own files beside its day types' plan folders, and each day type's
    map linked to the others'."""
    summary = term_summary(semester)
    if len(semester.plans) > 1:  # each day type's map switches to the others'
        _link_maps(semester, folder)
    write_atomic(folder / "calendar.csv", csv_text(
        ["date", "weekday", "kind", "keeps_weekday", "day_type"],
        [[d.isoformat(), WEEKDAYS[d.weekday()], kind, weekday if kind == "make_up" else "", day_type]
         for d, kind, weekday, day_type in semester.dates]))
    _write_rows(folder / "term_summary.csv", summary)
    people = school_people(semester)
    lang_meta = next(iter(semester.plans.values())).meta
    if people:
        _write_rows(folder / "school_people.csv", people)
        write_school_sheets(folder / "school_sheets.html", people, title=scenario.name, lang=output_lang(lang_meta))
    if semester.roster:
        _write_rows(folder / "roster_by_date.csv", semester.roster)
        write_atomic(folder / "roster_by_week.xlsx", weekly_workbook(semester.roster, lang_meta.get("created")))
    staff = staffing(semester, scenario)
    if staff:
        _write_rows(folder / "staffing_by_week.csv", staff)
    write_atomic(folder / "term_report.xlsx", term_workbook(semester, summary))
    write_atomic(folder / "index.html", semester_index(semester, scenario.name, summary, staffing_warnings(staff)))
    write_atomic(folder / "semester.json", json_dump(_semester_meta(semester, scenario, summary, staff, folder)))


def _link_maps(semester: Semester, folder: Path) -> None:
    """Each day type's map drawn again with links to the others'."""
    links = [(name, f"../{quote(name)}/map.html") for name in semester.plans]
    for name in semester.plans:
        if (folder / "day_types" / name / "map.html").is_file():
            render_map(folder / "day_types" / name, subtitle=name, links=links)


def _write_rows(path: Path, rows: Sequence[Mapping[str, Any]]) -> None:
    """Rows of one shape as a CSV, the first row's keys as the header."""
    write_atomic(path, csv_text(list(rows[0]), [list(r.values()) for r in rows]))


def _semester_meta(semester: Semester, scenario: Scenario, summary, staff, folder: Path) -> dict[str, Any]:
    """``semester.json``: the term, its day types, totals, the roster's fairness and SHA-256, and
    the staffing warnings."""
    calendar = semester.calendar
    return {"format": "geo_patrol.semester/1", "scenario": scenario.name,
            "term": [calendar.start.isoformat(), calendar.end.isoformat()],
            "anchor": semester.anchor,
            "day_types": {t.name: {"weekdays": list(t.weekdays), "reinforced": dict(t.reinforced),
                                   "exams": list(t.exams), "school_day": t.school_day,
                                   "dates": sum(1 for d in semester.dates if d[3] == t.name)}
                          for t in semester.day_types},
            "term_summary": summary,
            "fairness": fairness(semester, scenario) if semester.roster else None,
            "roster_sha256": sha256_file(folder / "roster_by_date.csv") if semester.roster else None,
            "staffing_warnings": staffing_warnings(staff),
            "plan_within_cap": {"max_duties_per_week": calendar.max_duties_per_week,
                                "cut": semester.capped} if calendar.plan_within_cap else None}


def is_semester_dir(folder: str | Path) -> bool:
    return (Path(folder) / "semester.json").is_file() and (Path(folder) / "day_types").is_dir()


def semester_day_types(folder: str | Path, scenario: Scenario | None = None) -> list[str]:
    """The day types of a semester folder, as its ``semester.json`` lists them, each with its plan
    folder; with ``scenario``, also checked to be the day types its calendar gives now (before
    anything is evaluated, so that a changed calendar leaves the folder as it was)."""
    path = Path(folder) / "semester.json"
    try:
        names = [str(name) for name in json.loads(path.read_text(encoding="utf-8"))["day_types"]]
    except (ValueError, KeyError, TypeError, OSError):
        raise InputError("not a semester's semester.json", file=path,
                         hint="give the folder `geo-patrol semester` wrote") from None
    for name in names:
        if not name or name != Path(name).name or name.startswith("."):
            raise InputError(f"'{name}' is not a day type's folder name", file=path, field="day_types",
                             hint="semester.json was edited: plan the semester again")
        if not is_plan_dir(Path(folder) / "day_types" / name):
            raise InputError(f"day type '{name}' has no plan folder", file=Path(folder) / "day_types" / name,
                             hint="the semester folder is incomplete: plan the semester again")
    if scenario is not None:
        now = list(dict.fromkeys(t.name for _, _, _, t in scenario.term_dates() if t is not None))
        if set(now) != set(names):
            raise InputError("the calendar's day types (" + ", ".join(now) + ") are not the semester's ("
                             + ", ".join(names) + ")", file=scenario.source, field="calendar",
                             hint="the calendar or the school windows changed since: plan the semester again")
    return names


def refresh_semester(scenario: Scenario, folder: str | Path, plans: Mapping[str, Plan]) -> Semester:
    """After the day types' plans were edited and evaluated in place: the term's dates, totals,
    roster and index derived again from them, and written beside them."""
    folder = Path(folder)
    semester_day_types(folder, scenario)
    dates, wanted = _term_days(scenario)
    meta = json.loads((folder / "semester.json").read_text(encoding="utf-8"))
    assert scenario.calendar is not None
    capped = scenario.within_cap()[1] if scenario.calendar.plan_within_cap else {}
    ordered = {name: plans[name] for name in wanted}
    roster: tuple[dict, ...] = ()
    breaches: list[dict] = []
    if scenario.officers:
        roster, breaches = _roster_as_edited(scenario, folder / "roster_by_date.csv", meta, dates, ordered)
    semester = Semester(scenario.calendar, tuple(wanted.values()), ordered, tuple(dates), roster,
                        str(meta.get("anchor", "")), capped, tuple(breaches))
    violations = folder / "roster_violations.csv"
    if breaches:
        write_atomic(violations, csv_text(list(breaches[0]), [list(b.values()) for b in breaches]))
    elif violations.exists():
        violations.unlink()
    _term_files(semester, scenario, folder)
    return semester


def _roster_as_edited(scenario: Scenario, path: Path, meta: Mapping[str, Any], dates,
                      plans: Mapping[str, Plan]) -> tuple[tuple[dict, ...], list[dict]]:
    """The named roster again, keeping a planner's hand edits of ``roster_by_date.csv`` (when its
    SHA-256 is no longer the one written) where they keep the rules; and the breaches."""
    assert scenario.calendar is not None
    roster, _ = named_roster(scenario, scenario.calendar, dates, plans)
    if not (path.is_file() and sha256_file(path) != meta.get("roster_sha256")):  # not edited by hand since written
        return roster, []
    fixed, bans, breaches = hand_roster(path, roster)
    roster, more = named_roster(scenario, scenario.calendar, dates, plans, fixed, bans)
    return roster, breaches + more


def semester_of(folder: Path) -> tuple[Path, str | None] | None:
    """The semester folder ``folder`` is or belongs to, and the day type it is (``None`` for the
    whole semester); ``None`` for a plan folder of no semester."""
    if is_semester_dir(folder):
        return folder, None
    if folder.parent.name == "day_types" and is_semester_dir(folder.parent.parent):
        return folder.parent.parent, folder.name
    return None


@dataclass(frozen=True)
class TermEvaluation:
    """What :func:`evaluate_semester` did: the day types' plan folders evaluated and their
    evaluations, the term's totals derived again, and the hand edits of the roster that broke a rule."""

    folders: tuple[Path, ...]
    results: tuple[Evaluation, ...]
    summary: tuple[dict, ...]
    breaches: tuple[dict, ...]


def evaluate_semester(scenario: Scenario, term: Path, only: str | None = None) -> TermEvaluation:
    """Evaluate a semester's day types (every one, or ``only``) and derive the term's files again,
    all or nothing: in a copy of the semester folder swapped in at the end."""
    names = semester_day_types(term, scenario)  # checked before anything is done
    todo = [only] if only else names
    results: list[Evaluation] = []
    found: list[Semester] = []

    def fill(stage: Path) -> None:
        for item in term.iterdir():
            if item.is_dir():
                shutil.copytree(item, stage / item.name)
            elif item.name != STAGING_MARKER:
                shutil.copy2(item, stage / item.name)
        for name in todo:
            result = evaluate_plan_dir(scenario, stage / "day_types" / name)
            results.append(dataclasses.replace(result, text=result.text.replace(str(stage), str(term))))
        plans = {name: Plan.from_dir(stage / "day_types" / name) for name in names}
        plans.update({name: r.plan for name, r in zip(todo, results)})
        found.append(refresh_semester(scenario, stage, plans))

    write_directory(term, fill, force=True, replaceable=is_plan_dir)
    semester = found[0]
    return TermEvaluation(tuple(term / "day_types" / name for name in todo), tuple(results),
                          tuple(term_summary(semester)), semester.roster_breaches)


def json_dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


