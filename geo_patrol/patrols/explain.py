"""Why a visit was dropped: cheap, checkable explanations.

Method, per dropped visit ``d`` (all checks use the problem's matrix and the result's times):

1. ``unreachable`` — no vehicle can serve ``d`` even alone: for every car, leaving its
   station at the start of its availability, the arrival is after the window's end, or the
   car cannot get back home in time / within its drive limit afterwards. Numbers: the
   earliest possible arrival over all cars (``earliest_arrival_s``) and its station.
2. ``priority`` — a served visit ``c`` of strictly higher weight occupies the time ``d``
   needs: removing ``c`` from its route lets ``d`` be inserted there without moving any
   other stop (window, gap with its group and drive-time limit respected). ``c`` is named.
3. ``fleet_time`` — otherwise: ``d`` is reachable but the fleet's time is used up. The
   visits dropped for this reason are grouped by the station with their earliest arrival,
   and a greedy schedule (visits by window start, each to the first extra car that can
   still take it, starting as early as window and gap allow) gives the number of extra
   cars at that station that would serve them all (``extra_cars_needed``, an upper bound
   on the true minimum).
"""

from __future__ import annotations

from dataclasses import dataclass

from geo_patrol.labels import reason_words, visit_label
from geo_patrol.patrols.model import (
    REASON_FLEET_TIME,
    REASON_PRIORITY,
    REASON_UNREACHABLE,
    DroppedVisit,
    RoutingProblem,
    RoutingResult,
    Vehicle,
    Visit,
    clock,
)
from geo_patrol.reasons import Reason


@dataclass(frozen=True)
class _Solo:
    vehicle: Vehicle | None
    arrival_s: int | None  # earliest arrival of this car, None if no road
    feasible: bool


def shown_id(visit_id: str) -> str:
    """A routing id as a planner reads it: ``SFX157#w2#2`` → ``SFX157 (window 2, visit 2)``."""
    return visit_label(visit_id, "en")


def _dropped(visit_id: str, reason: str, why: Reason, **numbers) -> DroppedVisit:
    """A dropped visit whose detail is ``why`` in English (the words come from :mod:`geo_patrol.labels`)."""
    return DroppedVisit(visit_id, reason, reason_words(why, "en"), why=why, **numbers)


def _solo(problem: RoutingProblem, vis: Visit, veh: Vehicle) -> _Solo:
    out = problem.leg_s(veh.start_loc, vis.loc)
    back = problem.leg_s(vis.loc, veh.end_loc)
    if out is None:
        return _Solo(veh, None, False)
    arrival = veh.available_from_s + out
    if back is None:
        return _Solo(veh, arrival, False)
    start = max(arrival, vis.window_start_s)
    ok = (
        start <= vis.window_end_s
        and start + vis.dwell_s + back <= veh.available_until_s
        and (veh.max_drive_s is None or out + back <= veh.max_drive_s)
    )
    return _Solo(veh, arrival, ok)


def _best_solo(problem: RoutingProblem, vis: Visit) -> tuple[_Solo | None, bool]:
    """Earliest-arriving car (preferring cars that can serve alone) and whether any can."""
    solos = [_solo(problem, vis, v) for v in problem.vehicles]
    feasible = [s for s in solos if s.feasible]
    pool = feasible or [s for s in solos if s.arrival_s is not None]
    if not pool:
        return None, False
    return min(pool, key=lambda s: s.arrival_s), bool(feasible)


def _gap_ok(t: int, others: list[int], gap: int) -> bool:
    return all(abs(t - o) >= gap for o in others)


def _earliest_gap_start(lo: int, hi: int, others: list[int], gap: int) -> int | None:
    """Earliest t in [lo, hi] at least ``gap`` from every start in ``others``."""
    t = lo
    for o in sorted(others):
        if abs(t - o) < gap:
            t = o + gap
    return t if t <= hi and _gap_ok(t, others, gap) else None


def _group_starts(problem, result, vis: Visit, exclude: str | None = None) -> list[int]:
    if not vis.group:
        return []
    group_ids = {s.id for s in problem.visits if s.group == vis.group}
    return [
        st.start_s
        for r in result.routes
        for st in r.stops
        if st.visit_id in group_ids and st.visit_id != exclude
    ]


def _fits_after_removal(problem, result, vis: Visit, victim: str) -> bool:
    """Can ``vis`` replace ``victim`` in its route, all other stops keeping their times?"""
    veh_by_id = {v.id: v for v in problem.vehicles}
    for route in result.routes:
        ids = [st.visit_id for st in route.stops]
        if victim not in ids:
            continue
        veh = veh_by_id[route.vehicle_id]
        stops = [st for st in route.stops if st.visit_id != victim]
        others = _group_starts(problem, result, vis, exclude=victim)
        for k in range(len(stops) + 1):
            prev_loc = stops[k - 1].loc if k else veh.start_loc
            prev_dep = stops[k - 1].depart_s if k else veh.available_from_s
            nxt_loc = stops[k].loc if k < len(stops) else veh.end_loc
            nxt_by = stops[k].start_s if k < len(stops) else veh.available_until_s
            a, b = problem.leg_s(prev_loc, vis.loc), problem.leg_s(vis.loc, nxt_loc)
            if a is None or b is None:
                continue
            t = _earliest_gap_start(
                max(prev_dep + a, vis.window_start_s), vis.window_end_s, others, vis.min_gap_s
            )
            if t is None or t + vis.dwell_s + b > nxt_by:
                continue
            if veh.max_drive_s is not None:
                seq = [veh.start_loc] + [st.loc for st in stops[:k]] + [vis.loc] + [
                    st.loc for st in stops[k:]] + [veh.end_loc]
                legs = [problem.leg_s(x, y) for x, y in zip(seq, seq[1:])]
                if any(g is None for g in legs) or sum(legs) > veh.max_drive_s:
                    continue
            return True
    return False


def _greedy_extra_cars(problem, result, visits: list[Visit], veh: Vehicle) -> int | None:
    """Cars like ``veh`` needed to serve ``visits`` (greedy, each car one sequence)."""
    cars: list[tuple[int, int, int]] = []  # (loc, depart_s, drive_s)
    starts: dict[str, list[int]] = {}
    for vis in sorted(visits, key=lambda s: (s.window_start_s, s.window_end_s, s.id)):
        others = starts.setdefault(vis.group, _group_starts(problem, result, vis)) if vis.group else []
        placed = False
        for k, (loc, dep, drive) in enumerate(cars + [(veh.start_loc, veh.available_from_s, 0)]):
            a, b = problem.leg_s(loc, vis.loc), problem.leg_s(vis.loc, veh.end_loc)
            if a is None or b is None:
                continue
            t = _earliest_gap_start(
                max(dep + a, vis.window_start_s), vis.window_end_s, others, vis.min_gap_s
            )
            if t is None or t + vis.dwell_s + b > veh.available_until_s:
                continue
            if veh.max_drive_s is not None and drive + a + b > veh.max_drive_s:
                continue
            if k == len(cars):
                cars.append((vis.loc, t + vis.dwell_s, a))
            else:
                cars[k] = (vis.loc, t + vis.dwell_s, drive + a)
            others.append(t)
            placed = True
            break
        if not placed:
            return None
    return len(cars)


def explain_dropped(problem: RoutingProblem, result: RoutingResult) -> tuple[DroppedVisit, ...]:
    """Reasons for every dropped visit of ``result`` (see the module docstring)."""
    by_id = {s.id: s for s in problem.visits}
    served = [(st.visit_id, by_id[st.visit_id]) for r in result.routes for st in r.stops]
    out: dict[str, DroppedVisit] = {}
    fleet: dict[str, list[tuple[Visit, _Solo]]] = {}
    for d in result.dropped:
        vis = by_id[d.visit_id]
        best, can = _best_solo(problem, vis)
        window = f"{clock(vis.window_start_s)}–{clock(vis.window_end_s)}"
        if best is None:
            out[vis.id] = _dropped(vis.id, REASON_UNREACHABLE, Reason.of("no_route", visit=vis.id))
            continue
        station = best.vehicle.station_id
        if not can:
            if best.arrival_s > vis.window_end_s:
                why = Reason.of("arrives_late", visit=vis.id, arrival=clock(best.arrival_s), station=station,
                                leaves=clock(best.vehicle.available_from_s), window=window)
            else:
                why = Reason.of("cannot_return", visit=vis.id, station=station, arrival=clock(best.arrival_s),
                                window=window)
            out[vis.id] = _dropped(vis.id, REASON_UNREACHABLE, why, earliest_arrival_s=best.arrival_s,
                                   station_id=station)
            continue
        rivals = sorted(
            (c for cid, c in served if c.weight > vis.weight),
            key=lambda c: (c.weight, abs(c.window_start_s - vis.window_start_s), c.id),
        )
        rival = next((c for c in rivals if _fits_after_removal(problem, result, vis, c.id)), None)
        if rival is not None:
            why = Reason.of("gives_way", visit=vis.id, weight=vis.weight, rival=rival.id, rival_weight=rival.weight)
            out[vis.id] = _dropped(vis.id, REASON_PRIORITY, why, earliest_arrival_s=best.arrival_s,
                                   station_id=station, competing_visit_id=rival.id)
            continue
        fleet.setdefault(station, []).append((vis, best))
    for station, items in fleet.items():
        veh = items[0][1].vehicle
        extra = _greedy_extra_cars(problem, result, [v for v, _ in items], veh)
        more = (Reason.of("more_cars", cars=extra, station=station, visits=len(items))
                if extra is not None else Reason.of("more_cars_needed"))
        for vis, best in items:
            why = Reason.of("fleet_busy", visit=vis.id, arrival=clock(best.arrival_s), station=station, more=more)
            out[vis.id] = _dropped(vis.id, REASON_FLEET_TIME, why, earliest_arrival_s=best.arrival_s,
                                   station_id=station, extra_cars_needed=extra)
    return tuple(out[d.visit_id] for d in result.dropped)
