"""The term's calendar and its day types: which windows, sites and parameters hold on which date.

A plan is one school day; a term is many, not all alike. This module says which dates are alike
(a :class:`DayType`); :meth:`geo_patrol.scenario.Scenario.for_day` gives the scenario of one, and
:mod:`geo_patrol.semester` plans them all.

- **Day types.** The weekdays whose windows are the same for every school form one day type,
  named by its days (``mon-thu``, ``fri``): a school keeps other windows on some weekdays
  through ``friday_afternoon`` / 周五放学 columns of the school table.
- **The calendar** (``[calendar]`` in the scenario file)::

      [calendar]
      term_start = "2026-09-01"
      term_end = "2027-01-15"
      holidays = ["2026-09-25", "2026-10-01:2026-10-08"]     # no school (dates or ranges)
      workdays = { "2026-09-28" = "monday" }                 # 调休: school on a weekend,
                                                             # with that weekday's hours
      max_duties_per_week = 6                                # school-run duties a person may take a week
      plan_within_cap = false                                # true: plan only the posts the people can
                                                             # staff every week under that cap

      [[calendar.reinforced]]                                # 开学前后: heavier deployment
      from = "2026-09-01"
      to = "2026-09-14"
      visits_per_window = 2                                  # any [parameters] key

      [[calendar.exams]]                                     # 中考/高考/学业水平考试
      id = "xk"                                              # names the day type: mon-thu+xk
      name = "学业水平考试"
      dates = ["2027-01-09:2027-01-10"]
      sites = "exam_sites.csv"                               # the exam sites, a school table
      sites_datum = "wgs84"                                  # (and sites_sheet, like any table)

  A reinforced date plans its weekday's day type with the reinforced parameters, a day type of
  its own (``mon-thu+reinforced``; a second spell with other parameters gives
  ``mon-thu+reinforced2``). Reinforced spells apply to school days only. Holidays, make-up days,
  spells and exam dates must lie in the term; a date cannot be both a holiday and a make-up day.
- **Exam days.** The exam sites are read like a school list (the same headers), their windows
  being the exam hours: candidates arriving before a session and leaving after it. On an exam
  date an exam site is one more "school" with its own windows; a site with the id of a school
  of the school list *is* that school for the day (the school hosts the exam and holds no
  classes: its exam row replaces its school row). On a school day the day type is the weekday's
  with the exam's id appended (``fri+xk``); on a weekend or holiday the exam sites are the only
  sites and the day type is the exam's id (``xk``), its date of kind ``exam`` in ``calendar.csv``.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from geo_patrol.datum import normalise_datum
from geo_patrol.errors import InputError
from geo_patrol.io.tables import read_schools
from geo_patrol.model import Parameters, School

__all__ = ["MAX_DUTIES_PER_WEEK", "NETWORK_KEYS", "PLANNING_KEYS", "WEEKDAYS", "Calendar", "DayType", "Exam",
           "group_weekdays"]

WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_SHORT = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: Parameters that shape the road network itself: the same for the whole term, never in a spell.
NETWORK_KEYS = ("max_arc_m", "speed_kph")

#: Parameters a reinforced spell may change without preparing the gates and drive times again.
PLANNING_KEYS = ("visits_per_window", "min_gap_s", "target_profile", "officer_presence_pct", "police_per_post",
                 "auxiliary_per_post", "school_team", "dwell_s", "min_seen_s", "duty_lead_s", "duty_lag_s",
                 "shift_lead_s", "shift_lag_s", "max_drive_s", "borrow_drive_s")

#: School-run duties one person may take in a week, unless the calendar says otherwise.
MAX_DUTIES_PER_WEEK = 6

_EXAM_ID = re.compile(r"[a-z0-9][a-z0-9_-]{0,23}")


@dataclass(frozen=True)
class DayType:
    """Dates planned alike: the weekdays whose windows they keep, the reinforced parameters
    (empty on an ordinary day) and the exams held (their ids); ``school_day`` is false on a
    weekend or holiday that only an exam brings to work."""

    name: str
    weekdays: tuple[str, ...]
    reinforced: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    exams: tuple[str, ...] = ()
    school_day: bool = True


@dataclass(frozen=True)
class Exam:
    """An exam (中考, 高考, 学业水平考试): its dates and its sites with the exam hours as windows."""

    id: str
    name: str
    dates: frozenset[dt.date]
    sites: tuple[School, ...]
    file: Path | None = None


@dataclass(frozen=True)
class Calendar:
    """The term: its dates, holidays, make-up days, reinforced spells and exams (module docstring)."""

    start: dt.date
    end: dt.date
    holidays: frozenset[dt.date] = frozenset()
    workdays: Mapping[dt.date, str] = dataclasses.field(default_factory=dict)
    reinforced: tuple[tuple[dt.date, dt.date, Mapping[str, Any]], ...] = ()
    max_duties_per_week: int = MAX_DUTIES_PER_WEEK
    exams: tuple[Exam, ...] = ()
    plan_within_cap: bool = False

    @classmethod
    def from_mapping(cls, raw: Mapping[str, Any], *, file: str | Path | None = None) -> Calendar:
        """The ``[calendar]`` table, checked: one :class:`InputError` naming the key. Exam site
        files are read relative to ``file`` (the scenario file)."""
        _check_keys(raw, file)
        start, end = _date(raw["term_start"], file, "calendar.term_start"), _date(raw["term_end"], file,
                                                                                  "calendar.term_end")
        if end < start:
            raise InputError("the term ends before it starts", file=file, field="calendar.term_end",
                             hint="term_end must be on or after term_start")
        holidays = frozenset(d for item in _list(raw.get("holidays", []), file, "calendar.holidays")
                             for d in _range(item, file, "calendar.holidays"))
        workdays = _workdays(raw, file, holidays, start, end)
        reinforced = [_spell(k, spell, file, start, end)
                      for k, spell in enumerate(_list(raw.get("reinforced", []), file, "calendar.reinforced"))]
        cap = raw.get("max_duties_per_week", MAX_DUTIES_PER_WEEK)
        if isinstance(cap, bool) or not isinstance(cap, int) or not 1 <= cap <= 14:
            raise InputError(f"'{cap}' is not a number of duties", file=file, field="calendar.max_duties_per_week",
                             hint="a whole number from 1 to 14 (two school runs a day, seven days)")
        exams = _exams(raw, file, start, end)
        within = raw.get("plan_within_cap", False)
        if not isinstance(within, bool):
            raise InputError(f"'{within}' is not true or false", file=file, field="calendar.plan_within_cap",
                             hint="write plan_within_cap = true (or false)")
        return cls(start, end, holidays, workdays, tuple(reinforced), cap, exams, within)

    def dates(self) -> list[tuple[dt.date, str, str]]:
        """Every date of the term: ``(date, kind, weekday it keeps)``, kind ``school``, ``weekend``,
        ``holiday``, ``make_up`` (a weekend school day) or ``exam`` (a weekend or holiday with an
        exam)."""
        out = []
        day = self.start
        while day <= self.end:
            weekday = WEEKDAYS[day.weekday()]
            if day in self.workdays and day not in self.holidays:
                out.append((day, "make_up", self.workdays[day]))
            elif day in self.holidays or day.weekday() >= 5:
                out.append((day, "exam" if self.exams_on(day) else "holiday" if day in self.holidays else "weekend",
                            weekday))
            else:
                out.append((day, "school", weekday))
            day += dt.timedelta(days=1)
        return out

    def reinforced_on(self, day: dt.date) -> Mapping[str, Any]:
        for start, end, overrides in self.reinforced:
            if start <= day <= end:
                return overrides
        return {}

    def _reinforced_name(self, overrides: Mapping[str, Any]) -> str:
        """``reinforced``, or ``reinforced2``… for the second, third… distinct set of parameters."""
        distinct: list[Mapping[str, Any]] = []
        for _, _, spell in self.reinforced:
            if spell not in distinct:
                distinct.append(spell)
        k = distinct.index(overrides)
        return "reinforced" if k == 0 else f"reinforced{k + 1}"

    def exams_on(self, day: dt.date) -> tuple[Exam, ...]:
        return tuple(e for e in self.exams if day in e.dates)

    def exam(self, exam_id: str) -> Exam:
        for exam in self.exams:
            if exam.id == exam_id:
                return exam
        raise KeyError(exam_id)

    def assign(self, base: Sequence[DayType]) -> list[tuple[dt.date, str, str, DayType | None]]:
        """Every date of the term with the day type it is planned as (``None``: no school run)."""
        by_weekday = {w: t for t in base for w in t.weekdays}
        seen: dict[str, DayType] = {}
        out = []
        for day, kind, weekday in self.dates():
            exams = tuple(e.id for e in self.exams_on(day))
            if kind in ("holiday", "weekend"):
                chosen = None
            elif kind == "exam":
                chosen = DayType("+".join(exams), (), exams=exams, school_day=False)  # any weekday alike
            else:
                chosen = by_weekday[weekday]
                extra = self.reinforced_on(day)
                if extra:
                    chosen = dataclasses.replace(chosen, name=f"{chosen.name}+{self._reinforced_name(extra)}",
                                                 reinforced=extra)
                if exams:
                    chosen = dataclasses.replace(chosen, name="+".join((chosen.name, *exams)), exams=exams)
            if chosen is not None and seen.setdefault(chosen.name, chosen) != chosen:
                raise InputError(f"two different day types are both called '{chosen.name}'", field="calendar",
                                 hint="give the exam another id")
            out.append((day, kind, weekday, chosen))
        return out


def group_weekdays(schools: Sequence[School]) -> list[DayType]:
    """The weekdays grouped by identical windows of every school, Monday first."""
    groups: dict[tuple, list[str]] = {}
    for weekday in WEEKDAYS[:5]:
        key = tuple((s.id, tuple(sorted((p, tuple(ws)) for p, ws in s.on(weekday).windows.items())))
                    for s in schools)
        groups.setdefault(key, []).append(weekday)
    return [DayType(_name(days), tuple(days)) for days in groups.values()]


def _name(days: Sequence[str]) -> str:
    idx = [WEEKDAYS.index(d) for d in days]
    if idx == list(range(idx[0], idx[-1] + 1)) and len(idx) > 1:
        return f"{_SHORT[idx[0]]}-{_SHORT[idx[-1]]}"
    return "+".join(_SHORT[i] for i in idx)


def _check_keys(raw: Mapping[str, Any], file) -> None:
    """:class:`InputError` for an unknown key of ``[calendar]`` or a missing term start or end."""
    known = ("term_start", "term_end", "holidays", "workdays", "reinforced", "max_duties_per_week", "exams",
             "plan_within_cap")
    for key in raw:
        if key not in known:
            raise InputError(f"unknown key '{key}' in [calendar]", file=file, field=f"calendar.{key}",
                             hint="known keys: " + ", ".join(known))
    for key in ("term_start", "term_end"):
        if key not in raw:
            raise InputError(f"[calendar] has no {key}", file=file, field=f"calendar.{key}",
                             hint=f'add {key} = "2026-09-01"')


def _workdays(raw: Mapping[str, Any], file, holidays: frozenset[dt.date], start: dt.date,
              end: dt.date) -> dict[dt.date, str]:
    """The make-up days (``workdays``) with the weekday whose hours each keeps, checked against
    the holidays and the term."""
    workdays = {}
    if not isinstance(raw.get("workdays", {}), Mapping):
        raise InputError("workdays must be a table of dates", file=file, field="calendar.workdays",
                         hint='write workdays = { "2026-09-27" = "friday" }')
    for day, weekday in dict(raw.get("workdays", {})).items():
        if str(weekday).lower() not in WEEKDAYS[:5]:
            raise InputError(f"'{weekday}' is not a school weekday", file=file, field=f"calendar.workdays.{day}",
                             hint="give the weekday whose hours the make-up day keeps, monday … friday")
        made_up = _date(day, file, "calendar.workdays")
        if made_up in holidays:
            raise InputError(f"{made_up} is both a holiday and a make-up school day", file=file,
                             field=f"calendar.workdays.{day}", hint="remove it from holidays or from workdays")
        if not start <= made_up <= end:
            raise InputError(f"the make-up day {made_up} lies outside the term", file=file,
                             field=f"calendar.workdays.{day}", hint=f"the term runs {start} – {end}")
        workdays[made_up] = str(weekday).lower()
    return workdays


def _spell(k: int, spell: Any, file, start: dt.date,
           end: dt.date) -> tuple[dt.date, dt.date, dict[str, Any]]:
    """The ``k``-th reinforced spell (from 0): its first and last dates and its parameters,
    checked like ``[parameters]`` (no network key) and against the term."""
    where = f"calendar.reinforced[{k + 1}]"
    if not isinstance(spell, Mapping) or "from" not in spell or "to" not in spell:
        raise InputError("a reinforced spell needs from and to", file=file, field=where,
                         hint='write [[calendar.reinforced]] with from = "…" and to = "…"')
    overrides = {key: value for key, value in spell.items() if key not in ("from", "to")}
    for key in NETWORK_KEYS:
        if key in overrides:
            raise InputError(f"'{key}' shapes the road network, which a spell cannot change", file=file,
                             field=f"{where}.{key}", hint=f"set {key} in [parameters] for the whole term")
    try:
        Parameters.from_mapping(overrides, file=file)  # the same checks as [parameters]
    except InputError as exc:
        field = str(exc.field or "").removeprefix("parameters.")
        raise InputError(exc.problem, file=file, field=f"{where}.{field}" if field else where,
                         hint=exc.hint) from None
    first, last = _date(spell["from"], file, f"{where}.from"), _date(spell["to"], file, f"{where}.to")
    if last < first:
        raise InputError("the spell ends before it starts", file=file, field=f"{where}.to",
                         hint="from must be on or before to")
    if last < start or first > end:
        raise InputError(f"the spell {first} – {last} lies outside the term", file=file, field=where,
                         hint=f"the term runs {start} – {end}")
    return first, last, overrides


def _exams(raw: Mapping[str, Any], file, start: dt.date, end: dt.date) -> tuple[Exam, ...]:
    """The exams, their dates in the term and their ids distinct."""
    exams = tuple(_exam(k, spec, file) for k, spec in enumerate(_list(raw.get("exams", []), file,
                                                                      "calendar.exams")))
    ids = [e.id for e in exams]
    for k, exam in enumerate(exams):
        outside = sorted(d for d in exam.dates if not start <= d <= end)
        if outside:
            raise InputError(f"the exam date {outside[0]} lies outside the term", file=file,
                             field=f"calendar.exams[{k + 1}].dates", hint=f"the term runs {start} – {end}")
        if ids.count(exam.id) > 1:
            raise InputError(f"two exams have the id '{exam.id}'", file=file, field="calendar.exams",
                             hint="give each [[calendar.exams]] its own id")
    return exams


def _exam(k: int, spec: Any, file) -> Exam:
    where = f"calendar.exams[{k + 1}]"
    if not isinstance(spec, Mapping):
        raise InputError("an exam must be a table", file=file, field=where,
                         hint='write [[calendar.exams]] with dates = ["…"] and sites = "exam_sites.csv"')
    known = ("id", "name", "dates", "sites", "sites_datum", "sites_sheet")
    for key in spec:
        if key not in known:
            raise InputError(f"unknown key '{key}' in [[calendar.exams]]", file=file, field=f"{where}.{key}",
                             hint="known keys: " + ", ".join(known))
    exam_id = _exam_id(spec, k, file, where)
    for key in ("dates", "sites"):
        if key not in spec:
            raise InputError(f"the exam has no {key}", file=file, field=f"{where}.{key}",
                             hint='write dates = ["2027-06-14:2027-06-16"] and sites = "exam_sites.csv"')
    dates = frozenset(d for item in _list(spec["dates"], file, f"{where}.dates")
                      for d in _range(item, file, f"{where}.dates"))
    value = spec["sites"]
    if not isinstance(value, str) or not value.strip():
        raise InputError(f"'{value}' is not a file name", file=file, field=f"{where}.sites",
                         hint='write sites = "exam_sites.csv" (a school table, relative to the scenario file)')
    path = Path(value) if Path(value).is_absolute() else (Path(file).parent if file else Path()) / value
    sheet = spec.get("sites_sheet")
    try:
        datum = normalise_datum(str(spec.get("sites_datum", "wgs84")))
    except InputError as exc:
        raise InputError(exc.problem, file=file, field=f"{where}.sites_datum", hint=exc.hint) from None
    sites = read_schools(path, datum=datum, sheet=None if sheet is None else str(sheet))
    return Exam(exam_id, str(spec.get("name", exam_id)), dates, sites, path.resolve())


def _exam_id(spec: Mapping[str, Any], k: int, file, where: str) -> str:
    """The exam's id (``exam1``… by default), checked: it names a day type and its folder."""
    exam_id = str(spec.get("id", f"exam{k + 1}"))
    if not _EXAM_ID.fullmatch(exam_id) or exam_id.startswith(_SHORT + ("reinforced",)):
        raise InputError(f"'{exam_id}' is not an exam id", file=file, field=f"{where}.id",
                         hint="lower-case letters, digits, - and _, not starting with a weekday's short name or "
                              "'reinforced' (it names the day type and its folder), e.g. zk")
    return exam_id


def _list(value: Any, file, field: str) -> list:
    if isinstance(value, (list, tuple)):
        return list(value)
    raise InputError(f"'{value}' is not a list", file=file, field=field, hint='write it in brackets: ["…", "…"]')


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
    if end < start:
        raise InputError(f"'{item}' ends before it starts", file=file, field=field,
                         hint="write FIRST:LAST with the earlier date first")
    return [start + dt.timedelta(days=k) for k in range((end - start).days + 1)]
