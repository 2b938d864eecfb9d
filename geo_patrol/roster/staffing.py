"""Staffing by week: the people the roster slots need under the weekly cap, against the people there are.

Per ISO week, station and role (``staffing_by_week.csv``, :func:`staffing`), and one warning line
per station and role short of people in some week (:func:`staffing_warnings`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from geo_patrol.semester import Semester

__all__ = ["staffing", "staffing_warnings"]


def staffing(semester: Semester, scenario) -> list[dict]:
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
    away_of = _away(scenario)
    empty: dict[tuple[str, str, str], set] = {}
    for row in semester.roster:
        if not row["officer_id"]:
            empty.setdefault((row["week"], row["station_id"], row["role"]), set()).add((row["date"], row["slot"]))
    rows = []
    for week, by_key in sorted(_weeks(semester).items()):
        label = f"{week[0]}-W{week[1]:02d}"
        for (unit, role), (slot_days, duties, most, spans) in sorted(by_key.items()):
            rows.append({"week": label, "station_id": unit, "role": role,
                         **_week_need(slot_days, duties, most, spans, away_of(unit, role), cap),
                         "roster_empty": len(empty.get((label, unit, role), ()))})
    return rows


def _away(scenario):
    """(station, role) → the dates each person there is away: the officers table's, or, without
    one, the stations table's police and auxiliary counts, never away."""
    if scenario.officers:
        listed: dict[tuple[str, str], list] = {}
        for officer in scenario.officers:
            listed.setdefault((officer.station_id, officer.role), []).append(officer)
        return lambda unit, role: [o.unavailable for o in listed.get((unit, role), [])]
    counted = {(u.id, role): n for u in (*scenario.stations, *scenario.pools)
               for role, n in (("police", u.police), ("auxiliary", u.auxiliary))}
    return lambda unit, role: [frozenset()] * counted.get((unit, role), 0)


def _weeks(semester: Semester) -> dict[tuple, dict[tuple[str, str], list]]:
    """ISO week → (station, role) → [slot-days, duties, most slots of a day, date → a slot's duties]."""
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
    return weeks


def _week_need(slot_days: int, duties: int, most: int, spans: Mapping[str, int], away: Sequence, cap: int) -> dict:
    """One week's figures of one station and role (see :func:`staffing`), from what it asks and
    the dates each of its people is away."""
    own = [[n for d, n in spans.items() if d not in gone] for gone in away]
    takes = [_days_within(days, cap) for days in own]
    capacity = sum(takes)
    most_one = _days_within(list(spans.values()), cap)  # slot-days a person there all week can take
    missing = max(0, slot_days - capacity)
    over = max(0, duties - sum(_duties_within(days, cap) for days in own))  # long days fit the cap worse
    short = max(_ceil_div(missing, most_one), _ceil_div(over, cap))
    people = sum(1 for n in takes if n)
    return {"school_days": len(spans), "slot_days": slot_days, "duties": duties, "max_duties_per_week": cap,
            "people_needed": max(-(-slot_days // most_one) if most_one else 0, most, people + short if short else 0),
            "people": people, "capacity": capacity, "slot_days_short": missing, "duties_short": over,
            "short": short}


def _ceil_div(amount: int, per: int) -> int:
    """How many of ``per`` it takes to make ``amount``; ``amount`` itself when ``per`` is 0."""
    return -(-amount // per) if per else amount


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
