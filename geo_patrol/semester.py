"""The semester: day types, the term's calendar, officer-shifts over the term, and who is on duty.

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
  date. A slot (a team label of the day type's roster) is one person for the whole day, so a
  person carries whole days: at most ⌊``max_duties_per_week`` / the slot's periods⌋ days a week.
  The roster is made a week at a time, per station and role, as a min-cost flow (networkx's
  network simplex, exact): each person may take a day if not away that date, at most one slot a
  day and the weekly days the cap allows; the largest flow fills every slot the people can fill
  (a day-by-day greedy can strand a Friday slot when the week's capacity is tight), and its least
  cost — a person's *j*-th day of the week costs their duties so far plus *j* days — gives the
  days to those with the fewest duties, which keeps the spread of duties per person within a
  station and role small over the term. A slot no one can take is written with an empty officer
  and counted as a shortage (``staffing_by_week.csv`` says why).
- **The team at a post.** Police are only part of a 护学岗: the school provides the rest (the
  Heqing formula: 1 police, 1 auxiliary, 1 school cadre, 2 guards, 2 staff, 4 volunteers).
  The ``school_team`` parameter (default :data:`SCHOOL_TEAM`) sets it, and a school's own
  ``school_team`` column (校方力量) where it differs; the duty sheets list it per post,
  ``school_people.csv`` says what each school provides per post day and over the term, and
  ``school_sheets.html`` gives each school its own printable sheet of it.
"""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import networkx as nx
from jinja2 import Environment
from markupsafe import Markup

from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic, write_directory
from geo_patrol.io.plandir import csv_text, is_plan_dir, output_lang
from geo_patrol.labels import officer_label, reason_text
from geo_patrol.model import SCHOOL_ROLES, format_team
from geo_patrol.outputs.fonts import FONT_STACK, font_face
from geo_patrol.outputs.map import render_map
from geo_patrol.outputs.school_sheets import write_school_sheets
from geo_patrol.outputs.workbook import Link, tables_workbook
from geo_patrol.plan import Plan, make_plan, sha256_file
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare
from geo_patrol.term import PLANNING_KEYS, WEEKDAYS, Calendar, DayType

__all__ = ["SCHOOL_TEAM", "Calendar", "DayType", "PreviousTerm", "Semester", "day_types", "is_semester_dir",
           "plan_semester", "read_previous", "refresh_semester", "semester_day_types", "write_semester"]

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
    assigned = scenario.term_dates()
    assert scenario.calendar is not None
    wanted: dict[str, DayType] = {}
    dates = []
    for day, kind, weekday, day_type in assigned:
        if day_type is not None:
            wanted.setdefault(day_type.name, day_type)
        dates.append((day, kind, weekday, day_type.name if day_type else ""))
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
        own = scenario.for_day(wanted[name])
        before = _previous_for(previous, name, anchor)
        if before is None and name != anchor:
            before = plans[anchor]
        again = wanted[name].exams or set(wanted[name].reinforced) - set(PLANNING_KEYS)
        mine = prepare(own, network=prepared.network) if again else dataclasses.replace(prepared, scenario=own)
        plan = make_plan(own, time_limit_s=time_limit_s, seed=seed, prepared=mine, progress=progress,
                         previous=before, **options)
        plans[name] = dataclasses.replace(plan, meta={**plan.meta, "day_type": name})
    plans = {name: plans[name] for name in wanted}
    roster = _named_roster(scenario, scenario.calendar, dates, plans)[0] if scenario.officers else ()
    return Semester(scenario.calendar, tuple(wanted.values()), plans, tuple(dates), roster, anchor, capped)


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


def _named_roster(scenario: Scenario, calendar: Calendar, dates, plans: Mapping[str, Plan],
                  fixed: Mapping[tuple[str, str], str] | None = None,
                  bans: frozenset[tuple[str, str]] = frozenset()) -> tuple[tuple[dict, ...], list[dict]]:
    """The named roster, a week at a time (module docstring), and the breaches of ``fixed``.

    ``fixed`` maps (date, slot) to the officer a planner put there by hand (``roster_by_date.csv``
    edited, then ``evaluate``): kept where it keeps the rules — the officer is in the officers
    table, of the slot's station and role, not away that date, in no other slot that day, within
    the weekly cap —, else reported and the slot filled like any other. ``bans`` (officer, date):
    a planner cleared that officer's slot of the date, so they are not put on duty that day.
    """
    fixed = fixed or {}
    people: dict[tuple[str, str], list] = {}
    for officer in sorted(scenario.officers, key=lambda o: o.id):
        people.setdefault((officer.station_id, officer.role), []).append(officer)
    by_id = {o.id: o for o in scenario.officers}
    total: dict[str, int] = {o.id: 0 for o in scenario.officers}
    weeks: dict[tuple[int, int], list] = {}
    for day, _, _, day_type in dates:
        if day_type:
            weeks.setdefault(day.isocalendar()[:2], []).append((day, day_type))
    rows, breaches = [], []
    cap = calendar.max_duties_per_week
    for week, days in weeks.items():
        need: dict[tuple[str, str], dict[dt.date, list]] = {}
        for day, day_type in days:
            slots: dict[tuple[str, str], dict[str, list]] = {}
            for entry in plans[day_type].roster:
                slots.setdefault((entry.station_id, entry.role), {}).setdefault(entry.officer, []).append(entry)
            for key, labels in slots.items():
                need.setdefault(key, {})[day] = sorted(labels.items())
        placed: dict[tuple[dt.date, str], Any] = {}
        load: dict[str, int] = {}
        busy: set[tuple[str, dt.date]] = {(officer, day) for day, _ in days for officer, date in bans
                                           if date == day.isoformat()}
        for key in sorted(need):
            for day, labels in sorted(need[key].items()):
                for label, entries in labels:
                    officer_id = fixed.get((day.isoformat(), label))
                    if not officer_id:
                        continue
                    duties = len({e.period for e in entries})
                    person = by_id.get(officer_id)
                    rule = ("unknown_officer" if person is None
                            else "other_station_or_role" if (person.station_id, person.role) != key
                            else "away" if day.isoformat() in person.unavailable
                            else "two_slots_a_day" if (person.id, day) in busy
                            else "weekly_cap" if load.get(person.id, 0) + duties > cap else "")
                    if rule:
                        breaches.append({"date": day.isoformat(), "slot": label, "officer_id": officer_id,
                                         "rule": rule, "detail": _ROSTER_RULES[rule].format(cap=cap)})
                        continue
                    placed[(day, label)] = person
                    load[person.id] = load.get(person.id, 0) + duties
                    busy.add((person.id, day))
        for key in sorted(need):
            open_by_day = {day: [(label, entries) for label, entries in labels if (day, label) not in placed]
                           for day, labels in need[key].items()}
            for day, persons in _week_of(people.get(key, []), open_by_day, total, cap, load, busy).items():
                for (label, _), person in zip(open_by_day[day], persons):
                    placed[(day, label)] = person
        for day, day_type in days:
            lang = output_lang(plans[day_type].meta)
            for (unit, role), by_day in sorted(need.items()):
                for label, entries in by_day.get(day, []):
                    person = placed.get((day, label))
                    if person is not None:
                        total[person.id] += len({e.period for e in entries})
                    for e in sorted(entries, key=lambda e: (e.start_s, e.post_id)):
                        rows.append({"date": day.isoformat(), "week": f"{week[0]}-W{week[1]:02d}",
                                     "day_type": day_type, "station_id": unit, "role": role, "slot": label,
                                     "slot_label": officer_label(label, role, lang), "period": e.period,
                                     "post_id": e.post_id, "start": _hm(e.start_s), "end": _hm(e.end_s),
                                     "officer_id": person.id if person else "", "name": person.name if person else ""})
    return tuple(rows), breaches


_ROSTER_RULES = {
    "unknown_officer": "not in the officers table",
    "other_station_or_role": "of another station or role than the slot",
    "away": "away on that date (officers table)",
    "two_slots_a_day": "already in another slot that day",
    "weekly_cap": "over max_duties_per_week ({cap}) that week",
    "two_officers": "the slot's rows name different officers",
    "unknown_slot": "no such slot on that date in the semester's plans (date or slot changed)",
}


def _week_of(persons: Sequence, by_day: Mapping[dt.date, list], total: Mapping[str, int], cap: int,
             taken_load: Mapping[str, int] | None = None, busy: set | frozenset = frozenset()) -> dict:
    """One week of one station and role: who takes a slot on which day (module docstring).

    A min-cost flow: source → person (one arc per day the weekly cap allows, the *j*-th costing
    the person's duties so far plus *j* days' duties) → each school day the person is not away
    (capacity one: one slot a day) → sink (capacity the day's slots). The largest flow fills every
    slot the people can fill; its least cost gives the days to those with the fewest duties, and
    spreads them within the week. When the week's days differ in duties (an exam day's slot
    serves three periods), the longest days are given first, each person's cap then reduced by
    what they took, and a slot left open is filled by one swap where one exists. Each day's
    people, fewest duties first, take its slots in order.
    """
    by_day = {day: labels for day, labels in by_day.items() if labels}
    span = {day: max(len({e.period for e in entries}) for _, entries in labels) for day, labels in by_day.items()}
    free = {p.id: {day for day in by_day if day.isoformat() not in p.unavailable and (p.id, day) not in busy}
            for p in persons}
    taken: dict[dt.date, list] = {day: [] for day in by_day}
    load = {p.id: (taken_load or {}).get(p.id, 0) for p in persons}
    for length in sorted(set(span.values()), reverse=True):  # the longest days first, from the whole cap
        days = [day for day in by_day if span[day] == length]
        graph = nx.DiGraph()
        graph.add_node("s")
        for person in persons:
            for j in range((cap - load[person.id]) // length):
                graph.add_edge("s", ("u", person.id, j), capacity=1,
                               weight=total[person.id] + load[person.id] + length * j)
                graph.add_edge(("u", person.id, j), ("p", person.id), capacity=1, weight=0)
            for day in days:
                if day in free[person.id] and load[person.id] + length <= cap:
                    graph.add_edge(("p", person.id), ("d", day), capacity=1, weight=0)
        for day in days:
            graph.add_edge(("d", day), "t", capacity=len(by_day[day]), weight=0)
        flow = nx.max_flow_min_cost(graph, "s", "t")
        for person in persons:
            for day in days:
                if flow.get(("p", person.id), {}).get(("d", day), 0):
                    taken[day].append(person)
                    load[person.id] += length
    _swap_into_gaps(persons, by_day, span, free, taken, load, total, cap)
    return {day: sorted(taken[day], key=lambda p: (total[p.id], p.id)) for day in by_day}


def _swap_into_gaps(persons, by_day, span, free, taken, load, total, cap) -> None:
    """Fill a slot the tiers left open by one swap: someone free that day but short of room gives
    one of their other days to a person with room for it (the longest days went first, sometimes
    to the one person a shorter day needed)."""
    order = sorted(persons, key=lambda p: (total[p.id] + load[p.id], p.id))
    changed = True
    while changed:
        changed = False
        for day in sorted(by_day):
            while len(taken[day]) < len(by_day[day]):
                room = next((p for p in order if day in free[p.id] and p not in taken[day]
                             and load[p.id] + span[day] <= cap), None)
                if room is not None:
                    taken[day].append(room)
                    load[room.id] += span[day]
                    changed = True
                    continue
                move = next(((p, other, q) for p in order if day in free[p.id] and p not in taken[day]
                             for other in sorted(by_day) if other != day and p in taken[other]
                             and load[p.id] - span[other] + span[day] <= cap
                             for q in order if q is not p and other in free[q.id] and q not in taken[other]
                             and load[q.id] + span[other] <= cap), None)
                if move is None:
                    break
                p, other, q = move
                taken[other].remove(p)
                taken[other].append(q)
                taken[day].append(p)
                load[p.id] += span[day] - span[other]
                load[q.id] += span[other]
                changed = True


def _duties_within(spans: Sequence[int], cap: int) -> int:
    """The most duties one person can take under the weekly cap from these days (whole days, one
    slot a day): a subset sum."""
    reachable = {0}
    for duties in spans:
        reachable |= {r + duties for r in reachable if r + duties <= cap}
    return max(reachable)


def _days_within(spans: Sequence[int], cap: int) -> int:
    """How many of these days (their duties each) one person can take under the weekly cap,
    shortest first."""
    count = used = 0
    for duties in sorted(spans):
        if used + duties > cap:
            break
        used += duties
        count += 1
    return count


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


def staffing(semester: Semester, scenario: Scenario) -> list[dict]:
    """Per ISO week, station and role: the roster slots the plans ask for and the people it takes
    under the calendar's ``max_duties_per_week``, against the people there are.

    A slot is one person for a whole school day (a team label of the day type's roster, serving
    its periods: 2 duties with a morning and an afternoon, 3 on an exam day with a noon), so a
    person takes at most one slot a day and whole days up to the cap, the shortest first;
    ``duties`` counts the school-run duties of the week (one officer in one period), the unit of
    the cap. The people needed are the larger of the slot-days over what one person can take in
    the week and the most slots of any one day. ``capacity`` is the slot-days the people there
    can take: each as many as fit under the cap on the days they are not away (the officers
    table's dates; without the table, the stations table's police and auxiliary counts, never
    away). ``duties_short`` is what the week asks beyond the most duties they can take in whole
    days (an exam day's long slot fits the cap worse), ``short`` the people missing for the
    slot-days or duties left. ``roster_empty`` is what the named roster (with an officers table)
    actually left empty: a week with no slack at all can leave a slot the estimate does not see.
    """
    cap = semester.calendar.max_duties_per_week
    listed: dict[tuple[str, str], list] = {}
    for officer in scenario.officers:
        listed.setdefault((officer.station_id, officer.role), []).append(officer)
    counted = {(u.id, role): n for u in (*scenario.stations, *scenario.pools)
               for role, n in (("police", u.police), ("auxiliary", u.auxiliary))}
    per_day: dict[str, dict[tuple[str, str], tuple[int, int, int]]] = {}
    for name, plan in semester.plans.items():
        slots: dict[tuple[str, str], dict[str, set]] = {}
        for entry in plan.roster:
            slots.setdefault((entry.station_id, entry.role), {}).setdefault(entry.officer, set()).add(entry.period)
        per_day[name] = {key: (len(labels), sum(len(p) for p in labels.values()), max(len(p) for p in labels.values()))
                         for key, labels in slots.items()}
    weeks: dict[tuple, dict[tuple[str, str], list]] = {}
    for day, _, _, name in semester.dates:
        if not name:
            continue
        week = day.isocalendar()[:2]
        for key, (n_slots, n_duties, span) in per_day[name].items():
            acc = weeks.setdefault(week, {}).setdefault(key, [0, 0, 0, {}])
            acc[0] += n_slots
            acc[1] += n_duties
            acc[2] = max(acc[2], n_slots)
            acc[3][day.isoformat()] = span
    empty: dict[tuple[str, str, str], set] = {}
    for row in semester.roster:
        if not row["officer_id"]:
            empty.setdefault((row["week"], row["station_id"], row["role"]), set()).add((row["date"], row["slot"]))
    rows = []
    for week, by_key in sorted(weeks.items()):
        for (unit, role), (slot_days, duties, most, spans) in sorted(by_key.items()):
            if scenario.officers:
                away = [o.unavailable for o in listed.get((unit, role), [])]
            else:
                away = [frozenset()] * counted.get((unit, role), 0)
            own = [[n for d, n in spans.items() if d not in gone] for gone in away]
            takes = [_days_within(days, cap) for days in own]
            capacity = sum(takes)
            most_one = _days_within(list(spans.values()), cap)  # slot-days a person there all week can take
            missing = max(0, slot_days - capacity)
            over = max(0, duties - sum(_duties_within(days, cap) for days in own))  # long days fit the cap worse
            short = max(-(-missing // most_one) if most_one else missing, -(-over // cap) if cap else over)
            rows.append({"week": f"{week[0]}-W{week[1]:02d}", "station_id": unit, "role": role,
                         "school_days": len(spans), "slot_days": slot_days, "duties": duties,
                         "max_duties_per_week": cap,
                         "people_needed": max(-(-slot_days // most_one) if most_one else 0, most,
                                              sum(1 for n in takes if n) + short if short else 0),
                         "people": sum(1 for n in takes if n), "capacity": capacity, "slot_days_short": missing,
                         "duties_short": over, "short": short,
                         "roster_empty": len(empty.get((f"{week[0]}-W{week[1]:02d}", unit, role), ()))})
    return rows


def staffing_warnings(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """One line per station and role short of people in some week, with the worst week."""
    worst: dict[tuple[str, str], list] = {}
    for row in rows:
        if row["short"] or row.get("roster_empty"):
            acc = worst.setdefault((row["station_id"], row["role"]), [0, row])
            acc[0] += 1
            if (row["short"], row.get("roster_empty", 0)) > (acc[1]["short"], acc[1].get("roster_empty", 0)):
                acc[1] = row
    return [f"{unit} {role}: short of people under the cap of {row['max_duties_per_week']} school-run duties a week "
            f"in {weeks} week(s); worst {row['week']}: {row['slot_days']} slot-days ({row['duties']} duties) need "
            f"{row['people_needed']} people, the {row['people']} there can take {row['capacity']}"
            + (f", the roster left {row['roster_empty']} slot-day(s) empty" if row.get("roster_empty") else "")
            + " — add people, raise max_duties_per_week, or plan fewer posts"
            for (unit, role), (weeks, row) in sorted(worst.items())]


def fairness(semester: Semester, scenario: Scenario) -> dict[str, Any]:
    """Duties per person over the term: min, max and spread over every officer of the table, and
    the largest spread among the people of one station and role (who share the same slots: the
    rotation can even out only among them; stations asking more of their people than others
    make the overall spread)."""
    count = {o.id: 0 for o in scenario.officers}
    seen = set()
    for row in semester.roster:
        key = (row["date"], row["officer_id"], row["period"])
        if row["officer_id"] and key not in seen:
            seen.add(key)
            count[row["officer_id"]] += 1
    values = list(count.values()) or [0]
    short = sum(1 for row in semester.roster if not row["officer_id"])
    groups: dict[tuple[str, str], list[int]] = {}
    for officer in scenario.officers:
        groups.setdefault((officer.station_id, officer.role), []).append(count[officer.id])
    return {"people": len(count), "min": min(values), "max": max(values), "spread": max(values) - min(values),
            "spread_within_station": max((max(v) - min(v) for v in groups.values()), default=0),
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
        links = [(name, f"../{quote(name)}/map.html") for name in semester.plans]
        for name in semester.plans:
            if (folder / "day_types" / name / "map.html").is_file():
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
        write_atomic(folder / "roster_by_week.xlsx",
                     _weekly_workbook(semester.roster, next(iter(semester.plans.values())).meta.get("created")))
    staff = staffing(semester, scenario)
    if staff:
        write_atomic(folder / "staffing_by_week.csv", csv_text(list(staff[0]), [list(r.values()) for r in staff]))
    write_atomic(folder / "term_report.xlsx", _term_workbook(semester, summary))
    write_atomic(folder / "index.html", _index(semester, scenario, summary, staffing_warnings(staff)))
    meta = {"format": "geo_patrol.semester/1", "scenario": scenario.name,
            "term": [semester.calendar.start.isoformat(), semester.calendar.end.isoformat()],
            "anchor": semester.anchor,
            "day_types": {t.name: {"weekdays": list(t.weekdays), "reinforced": dict(t.reinforced),
                                   "exams": list(t.exams), "school_day": t.school_day,
                                   "dates": sum(1 for d in semester.dates if d[3] == t.name)}
                          for t in semester.day_types},
            "term_summary": summary,
            "fairness": fairness(semester, scenario) if semester.roster else None,
            "roster_sha256": sha256_file(folder / "roster_by_date.csv") if semester.roster else None,
            "staffing_warnings": staffing_warnings(staff),
            "plan_within_cap": {"max_duties_per_week": semester.calendar.max_duties_per_week,
                                "cut": semester.capped} if semester.calendar.plan_within_cap else None}
    write_atomic(folder / "semester.json", json_dump(meta))


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
    dates, wanted = [], {}
    for day, kind, weekday, day_type in scenario.term_dates():
        if day_type is not None:
            wanted.setdefault(day_type.name, day_type)
        dates.append((day, kind, weekday, day_type.name if day_type else ""))
    meta = json.loads((folder / "semester.json").read_text(encoding="utf-8"))
    assert scenario.calendar is not None
    capped = scenario.within_cap()[1] if scenario.calendar.plan_within_cap else {}
    ordered = {name: plans[name] for name in wanted}
    roster: tuple[dict, ...] = ()
    breaches: list[dict] = []
    if scenario.officers:
        roster, _ = _named_roster(scenario, scenario.calendar, dates, ordered)
        path = folder / "roster_by_date.csv"
        if path.is_file() and sha256_file(path) != meta.get("roster_sha256"):  # edited by hand since written
            fixed, bans, breaches = _hand_roster(path, roster)
            roster, more = _named_roster(scenario, scenario.calendar, dates, ordered, fixed, bans)
            breaches += more
    semester = Semester(scenario.calendar, tuple(wanted.values()), ordered, tuple(dates), roster,
                        str(meta.get("anchor", "")), capped, tuple(breaches))
    violations = folder / "roster_violations.csv"
    if breaches:
        write_atomic(violations, csv_text(list(breaches[0]), [list(b.values()) for b in breaches]))
    elif violations.exists():
        violations.unlink()
    _term_files(semester, scenario, folder)
    return semester


def _hand_roster(path: Path, written: Sequence[Mapping[str, Any]]
                 ) -> tuple[dict[tuple[str, str], str], frozenset[tuple[str, str]], list[dict]]:
    """What a planner changed in ``roster_by_date.csv``, against the roster the rules give
    (``written``): the officer put in a slot by hand (``fixed``), the officers cleared from a slot
    (``bans``: not on duty that date), and breaches — a slot whose rows name different officers,
    a date and slot that are no slot of the term."""
    try:
        rows = list(csv.DictReader(io.StringIO(path.read_text(encoding="utf-8-sig"))))
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise InputError(f"cannot read the roster ({exc})", file=path, hint="save it as UTF-8 CSV") from None
    missing = [c for c in ("date", "slot", "officer_id") if rows and c not in rows[0]]
    if missing:
        raise InputError(f"missing column '{missing[0]}'", file=path, row=1, field=missing[0],
                         hint="keep the columns roster_by_date.csv was written with")
    named: dict[tuple[str, str], set] = {}
    for number, row in enumerate(rows, start=2):
        day = _roster_date(row.get("date") or "", path, number)
        named.setdefault((day, (row.get("slot") or "").strip()), set()).add((row.get("officer_id") or "").strip())
    rule_of: dict[tuple[str, str], str] = {}
    for row in written:
        rule_of.setdefault((row["date"], row["slot"]), row["officer_id"])
    fixed, bans, breaches = {}, set(), []
    for (day, slot), ids in sorted(named.items()):
        if len(ids) > 1:
            breaches.append({"date": day, "slot": slot, "officer_id": " / ".join(sorted(ids - {""})),
                             "rule": "two_officers", "detail": _ROSTER_RULES["two_officers"]})
        elif (day, slot) not in rule_of:
            breaches.append({"date": day, "slot": slot, "officer_id": next(iter(ids)), "rule": "unknown_slot",
                             "detail": _ROSTER_RULES["unknown_slot"]})
        elif (officer := next(iter(ids))) != rule_of[(day, slot)]:
            if officer:
                fixed[(day, slot)] = officer
            elif rule_of[(day, slot)]:
                bans.add((rule_of[(day, slot)], day))
    return fixed, frozenset(bans), breaches


def _roster_date(text: str, path: Path, row: int) -> str:
    """A date of the roster as ISO text, whether written 2026-09-07 or as Excel saves it (2026/9/7)."""
    found = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0?0:00(?::00)?)?\s*", text)
    try:
        day = dt.date(*map(int, found.groups())) if found else dt.date.fromisoformat(text.strip())
        return day.isoformat()
    except ValueError:
        raise InputError(f"'{text}' is not a date", file=path, row=row, field="date",
                         hint="write it as 2026-09-07") from None


def json_dump(data: Any) -> bytes:
    return (json.dumps(data, ensure_ascii=False, indent=1, allow_nan=False) + "\n").encode("utf-8")


def _term_workbook(semester: Semester, summary: Sequence[Mapping[str, Any]]) -> bytes:
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
        s = plan.meta["summary"]
        for period in s["periods"]:
            compare.append([name, period, s["windows"][period], s["met"][period],
                            round(100 * s["attained_share"][period], 1),
                            s["met_strict"][period], s["schools_with_post"][period], s["posts"], s["police"],
                            s["auxiliary"], s["cars_used"].get(period, 0), round(s["km_driven"].get(period, 0.0), 1),
                            dates[name]])
        names = {row.school_id: row.name for row in plan.schools}
        coverage.extend([name, c.school_id, names.get(c.school_id, ""), c.period, _hm(c.window_start_s),
                         _hm(c.window_end_s), _yes(c.three_sightings), _yes(c.officer_seen), _yes(c.car_seen),
                         _yes(c.lights_seen), reason_text(c.why, output_lang(plan.meta)) if c.why else c.reason]
                        for c in plan.coverage)
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


def _yes(value: bool) -> str:
    return "是 (yes)" if value else "否 (no)"


def _weekly_workbook(roster: Sequence[Mapping[str, Any]], created: Any = None) -> bytes:
    """``roster_by_week.xlsx``: a sheet per ISO week of the named roster, text kept as text."""
    columns = list(roster[0])
    return tables_workbook([(week, columns, [[row[c] for c in columns] for row in roster if row["week"] == week])
                            for week in sorted({row["week"] for row in roster})], created=created)


_INDEX = Environment(autoescape=True).from_string("""<!DOCTYPE html>
<html lang="zh"><head><meta charset="utf-8"><title>{{ name }} — 学期方案 (semester)</title>
<style>{{ face }}body{font-family:{{ stack }};margin:2em}table{border-collapse:collapse}
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
{% if warnings %}<h2>警力缺口 (short of people)</h2><ul>{% for w in warnings %}<li>{{ w }}</li>{% endfor %}</ul>
{% endif %}<p><a href="term_report.xlsx">term_report.xlsx</a> ·
<a href="school_sheets.html">school_sheets.html</a> (校方人员 per school) · calendar.csv · term_summary.csv ·
staffing_by_week.csv · school_people.csv{% if roster %} · roster_by_date.csv · roster_by_week.xlsx{% endif %}</p>
</body></html>
""")


def _index(semester: Semester, scenario: Scenario, summary: Sequence[Mapping[str, Any]],
           warnings: Sequence[str] = ()) -> str:
    """``index.html``: the day types side by side, each linking its map, workbook and duty sheets."""
    day_types = [{"name": t.name, "weekdays": ", ".join(t.weekdays),
                  "dates": sum(1 for d in semester.dates if d[3] == t.name)} for t in semester.day_types]
    context = {"name": scenario.name, "start": semester.calendar.start.isoformat(),
               "end": semester.calendar.end.isoformat(), "day_types": day_types, "summary": summary,
               "roster": bool(semester.roster), "warnings": warnings, "stack": Markup(FONT_STACK)}
    face = font_face(_INDEX.render(**context, face=""))  # the Chinese prints on any machine: an embedded subset
    return _INDEX.render(**context, face=Markup(face))
