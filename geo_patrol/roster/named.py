"""The term's named roster: the officer behind every roster slot of every date.

A slot (a team label of the day type's roster, :mod:`geo_patrol.roster.teams`) is one person for
the whole day, so a person carries whole days: at most ⌊``max_duties_per_week`` / the slot's
periods⌋ days a week. The roster is made a week at a time, per station and role, as a min-cost
flow (networkx's network simplex, exact): each person may take a day if not away that date, at
most one slot a day and the weekly days the cap allows; the largest flow fills every slot the
people can fill (a day-by-day greedy can strand a Friday slot when the week's capacity is
tight), and its least cost — a person's *j*-th day of the week costs their duties so far plus
*j* days — gives the days to those with the fewest duties, which keeps the spread of duties per
person within a station and role small over the term. A slot no one can take is written with an
empty officer and counted as a shortage.

A planner may edit ``roster_by_date.csv`` by hand (:func:`hand_roster` reads what changed): an
officer put in a slot is kept where the rules allow it (:data:`ROSTER_RULES` names the breaches),
an officer cleared from a slot is not put on duty that date.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import networkx as nx

from geo_patrol.clock import format_time
from geo_patrol.errors import InputError
from geo_patrol.io.plandir import output_lang
from geo_patrol.labels import officer_label
from geo_patrol.term import Calendar

if TYPE_CHECKING:
    from geo_patrol.plan import Plan
    from geo_patrol.semester import Semester

__all__ = ["ROSTER_RULES", "fairness", "hand_roster", "named_roster", "week_of"]

#: The rules a hand edit of the roster can break, and how a breach is described.
ROSTER_RULES = {
    "unknown_officer": "not in the officers table",
    "other_station_or_role": "of another station or role than the slot",
    "away": "away on that date (officers table)",
    "two_slots_a_day": "already in another slot that day",
    "weekly_cap": "over max_duties_per_week ({cap}) that week",
    "two_officers": "the slot's rows name different officers",
    "unknown_slot": "no such slot on that date in the semester's plans (date or slot changed)",
}


def named_roster(scenario, calendar: Calendar, dates, plans: Mapping[str, Plan],
                 fixed: Mapping[tuple[str, str], str] | None = None,
                 bans: frozenset[tuple[str, str]] = frozenset()) -> tuple[tuple[dict, ...], list[dict]]:
    """The named roster, a week at a time (module docstring), and the breaches of ``fixed``.

    ``fixed`` maps (date, slot) to the officer a planner put there by hand (``roster_by_date.csv``
    edited, then ``evaluate``): kept where it keeps the rules — the officer is in the officers
    table, of the slot's station and role, not away that date, in no other slot that day, within
    the weekly cap —, else reported and the slot filled like any other. ``bans`` (officer, date):
    a planner cleared that officer's slot of the date, so they are not put on duty that day.
    """
    people: dict[tuple[str, str], list] = {}
    for officer in sorted(scenario.officers, key=lambda o: o.id):
        people.setdefault((officer.station_id, officer.role), []).append(officer)
    by_id = {o.id: o for o in scenario.officers}
    total: dict[str, int] = {o.id: 0 for o in scenario.officers}
    rows: list[dict] = []
    breaches: list[dict] = []
    cap = calendar.max_duties_per_week
    for week, days in _weeks(dates).items():
        need = _week_slots(days, plans)
        busy: set[tuple[str, dt.date]] = {(officer, day) for day, _ in days for officer, date in bans
                                           if date == day.isoformat()}
        placed, load = _place_fixed(need, fixed or {}, by_id, cap, busy, breaches)
        for key in sorted(need):
            open_by_day = {day: [(label, entries) for label, entries in labels if (day, label) not in placed]
                           for day, labels in need[key].items()}
            for day, persons in week_of(people.get(key, []), open_by_day, total, cap, load, busy).items():
                for (label, _), person in zip(open_by_day[day], persons):
                    placed[(day, label)] = person
        rows += _week_rows(week, days, need, placed, total, plans)
    return tuple(rows), breaches


def _weeks(dates) -> dict[tuple[int, int], list[tuple[dt.date, str]]]:
    """The school days of the term by ISO week, each with its day type."""
    weeks: dict[tuple[int, int], list] = {}
    for day, _, _, day_type in dates:
        if day_type:
            weeks.setdefault(day.isocalendar()[:2], []).append((day, day_type))
    return weeks


def _week_slots(days, plans: Mapping[str, Plan]) -> dict[tuple[str, str], dict[dt.date, list]]:
    """(station, role) → date → the day's slots, each ``(label, its roster entries)``, by label."""
    need: dict[tuple[str, str], dict[dt.date, list]] = {}
    for day, day_type in days:
        slots: dict[tuple[str, str], dict[str, list]] = {}
        for entry in plans[day_type].roster:
            slots.setdefault((entry.station_id, entry.role), {}).setdefault(entry.officer, []).append(entry)
        for key, labels in slots.items():
            need.setdefault(key, {})[day] = sorted(labels.items())
    return need


def _each_slot(need) -> Iterator[tuple[tuple[str, str], dt.date, str, list]]:
    """Every slot of the week: station and role, then date, then label."""
    for key in sorted(need):
        for day, labels in sorted(need[key].items()):
            for label, entries in labels:
                yield key, day, label, entries


def _place_fixed(need, fixed, by_id, cap: int, busy: set, breaches: list) -> tuple[dict, dict[str, int]]:
    """The week's hand-placed officers that keep the rules (``busy`` gets their days); the others
    go to ``breaches``. Returns (date, label) → person and the duties each was given."""
    placed: dict[tuple[dt.date, str], Any] = {}
    load: dict[str, int] = {}
    for key, day, label, entries in _each_slot(need):
        officer_id = fixed.get((day.isoformat(), label))
        if not officer_id:
            continue
        duties = len({e.period for e in entries})
        person = by_id.get(officer_id)
        rule = _broken_rule(person, key, day, busy, load.get(officer_id, 0) + duties, cap)
        if rule:
            breaches.append({"date": day.isoformat(), "slot": label, "officer_id": officer_id,
                             "rule": rule, "detail": ROSTER_RULES[rule].format(cap=cap)})
            continue
        placed[(day, label)] = person
        load[person.id] = load.get(person.id, 0) + duties
        busy.add((person.id, day))
    return placed, load


def _broken_rule(person, key: tuple[str, str], day: dt.date, busy: set, load: int, cap: int) -> str:
    """The first rule a hand-placed officer breaks (:data:`ROSTER_RULES`), or ``""``."""
    if person is None:
        return "unknown_officer"
    if (person.station_id, person.role) != key:
        return "other_station_or_role"
    if day.isoformat() in person.unavailable:
        return "away"
    if (person.id, day) in busy:
        return "two_slots_a_day"
    return "weekly_cap" if load > cap else ""


def _week_rows(week, days, need, placed, total: dict[str, int], plans: Mapping[str, Plan]) -> list[dict]:
    """The week's rows of ``roster_by_date.csv``; ``total`` gets the duties each person took."""
    rows = []
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
    return rows


def _hm(seconds: int) -> str:
    return format_time(seconds, with_seconds=False)


def week_of(persons: Sequence, by_day: Mapping[dt.date, list], total: Mapping[str, int], cap: int,
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
    week = _Week(persons, by_day, span, free, {day: [] for day in by_day},
                 {p.id: (taken_load or {}).get(p.id, 0) for p in persons}, total, cap)
    for length in sorted(set(span.values()), reverse=True):  # the longest days first, from the whole cap
        week.give_days_of(length)
    week.swap_into_gaps()
    return {day: sorted(week.taken[day], key=lambda p: (total[p.id], p.id)) for day in by_day}


class _Week:
    """The state of one week's flow tiers and swaps: who may take which day (``free``), who took
    it (``taken``) and each person's duties of the week so far (``load``)."""

    def __init__(self, persons, by_day, span, free, taken, load, total, cap) -> None:
        self.persons, self.by_day, self.span, self.free = persons, by_day, span, free
        self.taken, self.load, self.total, self.cap = taken, load, total, cap

    def give_days_of(self, length: int) -> None:
        """The days of ``length`` duties, given by one min-cost flow from what each has left of the cap."""
        days = [day for day in self.by_day if self.span[day] == length]
        flow = nx.max_flow_min_cost(self._graph(days, length), "s", "t")
        for person in self.persons:
            for day in days:
                if flow.get(("p", person.id), {}).get(("d", day), 0):
                    self.taken[day].append(person)
                    self.load[person.id] += length

    def _graph(self, days: Sequence[dt.date], length: int) -> nx.DiGraph:
        graph = nx.DiGraph()
        graph.add_node("s")
        load, cap = self.load, self.cap
        for person in self.persons:
            for j in range((cap - load[person.id]) // length):
                graph.add_edge("s", ("u", person.id, j), capacity=1,
                               weight=self.total[person.id] + load[person.id] + length * j)
                graph.add_edge(("u", person.id, j), ("p", person.id), capacity=1, weight=0)
            for day in days:
                if day in self.free[person.id] and load[person.id] + length <= cap:
                    graph.add_edge(("p", person.id), ("d", day), capacity=1, weight=0)
        for day in days:
            graph.add_edge(("d", day), "t", capacity=len(self.by_day[day]), weight=0)
        return graph

    def swap_into_gaps(self) -> None:
        """Fill a slot the tiers left open by one swap: someone free that day but short of room gives
        one of their other days to a person with room for it (the longest days went first, sometimes
        to the one person a shorter day needed)."""
        order = sorted(self.persons, key=lambda p: (self.total[p.id] + self.load[p.id], p.id))
        changed = True
        while changed:
            changed = False
            for day in sorted(self.by_day):
                while len(self.taken[day]) < len(self.by_day[day]) and self._fill(order, day):
                    changed = True

    def _fill(self, order: Sequence, day: dt.date) -> bool:
        """One more person on ``day``: one with room for it, else by one swap; ``False`` when neither."""
        taken, load, span = self.taken, self.load, self.span
        room = next((p for p in order if self._may_take(p, day)), None)
        if room is not None:
            taken[day].append(room)
            load[room.id] += span[day]
            return True
        move = next(((p, other, q) for p in order if day in self.free[p.id] and p not in taken[day]
                     for other in sorted(self.by_day) if other != day and p in taken[other]
                     and load[p.id] - span[other] + span[day] <= self.cap
                     for q in order if q is not p and self._may_take(q, other)), None)
        if move is None:
            return False
        p, other, q = move
        taken[other].remove(p)
        taken[other].append(q)
        taken[day].append(p)
        load[p.id] += span[day] - span[other]
        load[q.id] += span[other]
        return True

    def _may_take(self, person, day: dt.date) -> bool:
        """Free that day, not on it yet, and with room under the cap for it."""
        return (day in self.free[person.id] and person not in self.taken[day]
                and self.load[person.id] + self.span[day] <= self.cap)


def hand_roster(path: Path, written: Sequence[Mapping[str, Any]]
                ) -> tuple[dict[tuple[str, str], str], frozenset[tuple[str, str]], list[dict]]:
    """What a planner changed in ``roster_by_date.csv``, against the roster the rules give
    (``written``): the officer put in a slot by hand (``fixed``), the officers cleared from a slot
    (``bans``: not on duty that date), and breaches — a slot whose rows name different officers,
    a date and slot that are no slot of the term."""
    named = _named_in(path)
    rule_of: dict[tuple[str, str], str] = {}
    for row in written:
        rule_of.setdefault((row["date"], row["slot"]), row["officer_id"])
    fixed, bans, breaches = {}, set(), []
    for (day, slot), ids in sorted(named.items()):
        if len(ids) > 1:
            breaches.append({"date": day, "slot": slot, "officer_id": " / ".join(sorted(ids - {""})),
                             "rule": "two_officers", "detail": ROSTER_RULES["two_officers"]})
        elif (day, slot) not in rule_of:
            breaches.append({"date": day, "slot": slot, "officer_id": next(iter(ids)), "rule": "unknown_slot",
                             "detail": ROSTER_RULES["unknown_slot"]})
        elif (officer := next(iter(ids))) != rule_of[(day, slot)]:
            if officer:
                fixed[(day, slot)] = officer
            elif rule_of[(day, slot)]:
                bans.add((rule_of[(day, slot)], day))
    return fixed, frozenset(bans), breaches


def _named_in(path: Path) -> dict[tuple[str, str], set]:
    """(date, slot) → the officer ids the rows of an edited ``roster_by_date.csv`` name for it."""
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
    return named


def _roster_date(text: str, path: Path, row: int) -> str:
    """A date of the roster as ISO text, whether written 2026-09-07 or as Excel saves it (2026/9/7)."""
    found = re.fullmatch(r"\s*(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?(?:\s+0?0:00(?::00)?)?\s*", text)
    try:
        day = dt.date(*map(int, found.groups())) if found else dt.date.fromisoformat(text.strip())
        return day.isoformat()
    except ValueError:
        raise InputError(f"'{text}' is not a date", file=path, row=row, field="date",
                         hint="write it as 2026-09-07") from None


def fairness(semester: Semester, scenario) -> dict[str, Any]:
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
