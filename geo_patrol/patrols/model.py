"""Problem and result data of patrol-car routing, and the feasibility checker.

Model (all times are integer seconds after midnight, all durations integer seconds):

* ``travel_s[i, j]`` is the drive time from location ``i`` to location ``j`` (peak congestion
  already applied; may be asymmetric). A negative entry (:data:`UNREACHABLE_S`) means there is
  no drivable route from ``i`` to ``j``.
* A :class:`Vehicle` leaves ``start_loc`` no earlier than ``available_from_s`` and is back at
  ``end_loc`` no later than ``available_until_s``; its total drive time (sum of the legs, dwell
  and waiting excluded) is at most ``max_drive_s`` when given; the sum of the ``demand`` of its
  visits is at most ``capacity`` when given.
* A :class:`Visit` is one stop of a car at a school gate, lights on and an officer out, for
  ``dwell_s``; the stop must *start* inside ``[window_start_s, window_end_s]`` (a car arriving
  early waits). Visits of one ``group`` (a school and period) must start at least ``min_gap_s``
  apart; every visit of a group carries the same ``min_gap_s``.
* Objective, lexicographic: first serve as much priority ``weight`` as the fleet allows, then
  drive as little as possible. Both engines minimise
  ``drop_penalty_s * (weight of dropped visits) + total drive time`` where
  :attr:`RoutingProblem.drop_penalty_s` exceeds any drive-time total the fleet can produce, so
  that no saving in drive time can ever pay for a dropped visit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from geo_patrol.errors import InputError
from geo_patrol.reasons import Reason

#: Marker in ``travel_s`` for "no drivable route" (any negative value is read the same way).
UNREACHABLE_S = -1

#: Reason codes of :class:`DroppedVisit`.
REASON_UNREACHABLE = "unreachable"
REASON_FLEET_TIME = "fleet_time"
REASON_PRIORITY = "priority"
#: A school no patrol stop can serve: no drivable road within ``car_sight_m`` of a gate.
REASON_NO_ROAD = "no_road"
#: A window shorter than the time a stop must be seen in it (``min_seen_s``).
REASON_WINDOW = "window_short"
REASONS = (REASON_UNREACHABLE, REASON_FLEET_TIME, REASON_PRIORITY, REASON_NO_ROAD, REASON_WINDOW)


def clock(t_s: int | float | None) -> str:
    """Seconds after midnight as ``HH:MM:SS`` (``"-"`` for None)."""
    if t_s is None:
        return "-"
    t = int(round(t_s))
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}:{t % 60:02d}"


@dataclass(frozen=True)
class Vehicle:
    """A patrol car.

    ``start_loc``/``end_loc`` index ``travel_s`` (normally its police station);
    ``available_from_s``/``available_until_s`` bound the whole tour (seconds after midnight);
    ``max_drive_s`` caps the summed drive time of its legs; ``capacity`` caps the summed
    ``Visit.demand`` (None = no limit; used by the VRPTW benchmark, not by patrols).
    """

    id: str
    station_id: str
    start_loc: int
    end_loc: int
    available_from_s: int
    available_until_s: int
    max_drive_s: int | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class Visit:
    """One required stop at a gate: start inside ``[window_start_s, window_end_s]``, stay
    ``dwell_s``. ``weight`` (priority, > 0) is what is lost if the stop is dropped. Visits of
    one ``group`` (school + period) start at least ``min_gap_s`` apart. ``demand`` counts
    against ``Vehicle.capacity``."""

    id: str
    loc: int
    window_start_s: int
    window_end_s: int
    dwell_s: int = 300
    weight: int = 1
    group: str = ""
    min_gap_s: int = 0
    demand: int = 0


@dataclass(frozen=True)
class Station:
    """A police station with ``cars`` patrol cars parked at location ``loc``.

    ``available_from_s``/``available_until_s`` default to 30 min before the earliest window
    to 30 min after the latest window of the gates given to :func:`build_problem`."""

    id: str
    loc: int
    cars: int
    available_from_s: int | None = None
    available_until_s: int | None = None
    max_drive_s: int | None = None


@dataclass(frozen=True)
class GateWindow:
    """A school gate (location ``loc``) to be visited ``visits`` times inside one window
    (e.g. the morning 07:20–08:00), visits starting at least ``min_gap_s`` apart."""

    id: str
    loc: int
    window_start_s: int
    window_end_s: int
    visits: int = 1
    min_gap_s: int = 600
    dwell_s: int = 300
    weight: int = 1


def _ro_int_matrix(travel_s) -> np.ndarray:
    arr = np.asarray(travel_s)
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise InputError(
            f"travel time matrix must be square, got shape {arr.shape}",
            field="travel_s",
            hint="pass an n_locations × n_locations array of seconds",
        )
    if arr.dtype.kind == "f":
        bad = np.isnan(arr)
        if bad.any():
            raise InputError(
                "travel time matrix contains NaN",
                field="travel_s",
                hint="use a negative value or np.inf for an unreachable pair",
            )
        unreachable = ~np.isfinite(arr) | (arr < 0)
        out = np.where(unreachable, UNREACHABLE_S, np.rint(np.where(unreachable, 0, arr)))
        out = out.astype(np.int64)
    elif arr.dtype.kind in "iu":
        out = arr.astype(np.int64)
        out[out < 0] = UNREACHABLE_S
    else:
        raise InputError(
            f"travel time matrix must be numeric, got dtype {arr.dtype}",
            field="travel_s",
        )
    out = np.array(out, dtype=np.int64, copy=True)
    out.setflags(write=False)
    return out


def _check_vehicle(v: Vehicle, n: int, where: dict) -> None:
    """:class:`InputError` for the first field of vehicle ``v`` out of range (``n``
    locations); ``where`` names its file and row."""
    for name in ("start_loc", "end_loc"):
        loc = getattr(v, name)
        if not (0 <= loc < n):
            raise InputError(f"location {loc} outside 0..{n - 1}", field=name, **where)
    if v.available_until_s < v.available_from_s:
        raise InputError(
            "availability ends before it starts", field="available_until_s", **where
        )
    if v.max_drive_s is not None and v.max_drive_s < 0:
        raise InputError("negative max drive time", field="max_drive_s", **where)
    if v.capacity is not None and v.capacity < 0:
        raise InputError("negative capacity", field="capacity", **where)


def _check_visit(s: Visit, n: int, where: dict) -> None:
    """:class:`InputError` for the first field of visit ``s`` out of range (``n``
    locations); ``where`` names its file and row."""
    if not (0 <= s.loc < n):
        raise InputError(f"location {s.loc} outside 0..{n - 1}", field="loc", **where)
    if s.window_end_s < s.window_start_s:
        raise InputError(
            "window ends before it starts",
            field="window_end_s",
            hint="give window_start_s <= window_end_s in seconds after midnight",
            **where,
        )
    if s.dwell_s < 0:
        raise InputError("negative dwell time", field="dwell_s", **where)
    if s.weight <= 0:
        raise InputError(
            "weight must be a positive integer", field="weight", **where
        )
    if s.demand < 0:
        raise InputError("negative demand", field="demand", **where)
    if s.min_gap_s < 0:
        raise InputError("negative minimum gap", field="min_gap_s", **where)


def _check_group_gap(s: Visit, gaps: dict[str, int], where: dict) -> None:
    """:class:`InputError` when visit ``s`` has another minimum gap than the visits of its
    group seen before (``gaps``: group → their gap, updated)."""
    if s.group:
        if gaps.setdefault(s.group, s.min_gap_s) != s.min_gap_s:
            raise InputError(
                f"group {s.group!r} mixes minimum gaps {gaps[s.group]} and {s.min_gap_s}",
                field="min_gap_s",
                hint="give every visit of a group the same min_gap_s",
                **where,
            )


@dataclass(frozen=True)
class RoutingProblem:
    """Patrol routing on a travel-time matrix; see the module docstring for the model.

    The constructor validates everything and stores ``travel_s`` as a read-only int64 array
    (float input is rounded to whole seconds; ``np.inf``/negative become
    :data:`UNREACHABLE_S`).
    """

    travel_s: np.ndarray
    vehicles: tuple[Vehicle, ...]
    visits: tuple[Visit, ...]

    def __post_init__(self) -> None:
        object.__setattr__(self, "travel_s", _ro_int_matrix(self.travel_s))
        object.__setattr__(self, "vehicles", tuple(self.vehicles))
        object.__setattr__(self, "visits", tuple(self.visits))
        n = self.travel_s.shape[0]
        if not self.vehicles:
            raise InputError("no vehicle", field="vehicles", hint="give at least one patrol car")
        seen: set[str] = set()
        for k, v in enumerate(self.vehicles, start=1):
            where = dict(file="vehicles", row=k)
            if v.id in seen:
                raise InputError(f"duplicate vehicle id {v.id!r}", field="id", **where)
            seen.add(v.id)
            _check_vehicle(v, n, where)
        seen = set()
        gaps: dict[str, int] = {}
        for k, s in enumerate(self.visits, start=1):
            where = dict(file="visits", row=k)
            if s.id in seen:
                raise InputError(f"duplicate visit id {s.id!r}", field="id", **where)
            seen.add(s.id)
            _check_visit(s, n, where)
            _check_group_gap(s, gaps, where)

    # -- derived values -------------------------------------------------------------------
    @property
    def n_locations(self) -> int:
        return int(self.travel_s.shape[0])

    @property
    def total_weight(self) -> int:
        return int(sum(s.weight for s in self.visits))

    @property
    def drop_penalty_s(self) -> int:
        """Penalty per unit of dropped weight: one more than the largest drive-time total the
        fleet can produce (each car drives at most its availability span or ``max_drive_s``)."""
        bound = 0
        for v in self.vehicles:
            span = v.available_until_s - v.available_from_s
            bound += span if v.max_drive_s is None else min(span, v.max_drive_s)
        return int(bound) + 1

    def groups(self) -> dict[str, list[int]]:
        """Group name → indices of its visits (only groups of two or more visits)."""
        out: dict[str, list[int]] = {}
        for i, s in enumerate(self.visits):
            if s.group:
                out.setdefault(s.group, []).append(i)
        return {g: idx for g, idx in out.items() if len(idx) > 1}

    def leg_s(self, i: int, j: int) -> int | None:
        """Drive time from location ``i`` to ``j`` in seconds, None when unreachable."""
        t = int(self.travel_s[i, j])
        return None if t < 0 else t


def build_problem(
    travel_s,
    stations: Sequence[Station],
    gates: Sequence[GateWindow],
    *,
    margin_s: int = 1800,
) -> RoutingProblem:
    """Build a :class:`RoutingProblem` from stations (with their number of cars) and gate
    windows.

    Each station gives ``cars`` vehicles ``"<station>/<k>"`` that start and end at the
    station; their availability defaults to ``margin_s`` (30 min) before the earliest window
    to ``margin_s`` after the latest window. Each gate window gives ``visits`` visits
    ``"<gate>#<k>"`` in group ``gate.id`` with the gate's ``min_gap_s``.
    """
    if not gates:
        earliest = latest = 0
    else:
        earliest = min(g.window_start_s for g in gates) - margin_s
        latest = max(g.window_end_s for g in gates) + margin_s
    vehicles = []
    for row, st in enumerate(stations, start=1):
        if st.cars < 0:
            raise InputError("negative number of cars", file="stations", row=row, field="cars")
        for k in range(st.cars):
            vehicles.append(
                Vehicle(
                    id=f"{st.id}/{k + 1}",
                    station_id=st.id,
                    start_loc=st.loc,
                    end_loc=st.loc,
                    available_from_s=earliest if st.available_from_s is None else st.available_from_s,
                    available_until_s=latest if st.available_until_s is None else st.available_until_s,
                    max_drive_s=st.max_drive_s,
                )
            )
    visits = []
    for row, g in enumerate(gates, start=1):
        if g.visits < 1:
            raise InputError(
                "a gate window needs at least one visit", file="gates", row=row, field="visits"
            )
        for k in range(g.visits):
            visits.append(
                Visit(
                    id=f"{g.id}#{k + 1}" if g.visits > 1 else g.id,
                    loc=g.loc,
                    window_start_s=g.window_start_s,
                    window_end_s=g.window_end_s,
                    dwell_s=g.dwell_s,
                    weight=g.weight,
                    group=g.id,
                    min_gap_s=g.min_gap_s,
                )
            )
    return RoutingProblem(travel_s=travel_s, vehicles=tuple(vehicles), visits=tuple(visits))


# -- results ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stop:
    """A served visit: the car arrives at ``arrive_s``, starts the stop at ``start_s`` (after
    waiting if early) and leaves at ``depart_s = start_s + dwell_s``."""

    visit_id: str
    loc: int
    arrive_s: int
    start_s: int
    depart_s: int


@dataclass(frozen=True)
class Route:
    """The tour of one vehicle: leaves ``start_loc`` at ``leave_s``, serves ``stops`` in
    order, is back at ``end_loc`` at ``return_s``; ``drive_s`` sums its legs. An unused
    vehicle has no stops, ``drive_s == 0`` and ``leave_s == return_s``."""

    vehicle_id: str
    station_id: str
    start_loc: int
    end_loc: int
    leave_s: int
    return_s: int
    stops: tuple[Stop, ...]
    drive_s: int


@dataclass(frozen=True)
class DroppedVisit:
    """A visit no car serves, and why.

    ``reason`` is one of :data:`REASONS`; ``detail`` says it in a sentence. Numbers:
    ``earliest_arrival_s`` — earliest time any car can be there (driving straight from its
    station at the start of its availability; None if no car can reach it at all);
    ``station_id`` — the station with that earliest arrival; ``extra_cars_needed`` — for
    ``fleet_time``, how many more cars at ``station_id`` serve it (None if not established);
    ``competing_visit_id`` — for ``priority``, a served visit that took its place. ``why`` is the
    detail as data (a :class:`geo_patrol.reasons.Reason`; ``detail`` is its English rendering).
    """

    visit_id: str
    reason: str
    detail: str
    earliest_arrival_s: int | None = None
    station_id: str | None = None
    extra_cars_needed: int | None = None
    competing_visit_id: str | None = None
    why: Reason | None = None


@dataclass(frozen=True)
class RoutingResult:
    """Solution of a :class:`RoutingProblem`.

    ``routes`` has one entry per vehicle, in the problem's order. ``objective`` is
    ``drop_penalty_s * dropped weight + drive_s`` (engine independent). ``status`` is
    ``"all_served"``, ``"partial"`` (some visits dropped) or ``"no_solution"``;
    ``stop_reason`` is ``"iterations"`` (the deterministic budget ran out: same inputs and
    seed give the same routes) or ``"time_limit"`` (the wall-clock cap stopped it first).
    """

    routes: tuple[Route, ...]
    dropped: tuple[DroppedVisit, ...]
    served_weight: int
    total_weight: int
    drive_s: int
    engine: str
    runtime_s: float
    objective: int
    status: str
    stop_reason: str = "iterations"
    seed: int = 0
    iterations: int = 0

    @property
    def n_served(self) -> int:
        return sum(len(r.stops) for r in self.routes)

    @property
    def served_ids(self) -> tuple[str, ...]:
        return tuple(s.visit_id for r in self.routes for s in r.stops)

    def route_ids(self) -> tuple[tuple[str, ...], ...]:
        """The visit ids of each route, in order (handy to compare two results)."""
        return tuple(tuple(s.visit_id for s in r.stops) for r in self.routes)

    def summary(self) -> str:
        used = sum(1 for r in self.routes if r.stops)
        lines = [
            f"engine {self.engine}, status {self.status}, {self.runtime_s:.1f} s "
            f"(stopped by {self.stop_reason}, seed {self.seed})",
            f"served weight {self.served_weight}/{self.total_weight}, "
            f"{self.n_served} stops, {len(self.dropped)} dropped, {used} cars used, "
            f"drive {self.drive_s / 60:.1f} min",
        ]
        reasons: dict[str, int] = {}
        for d in self.dropped:
            reasons[d.reason] = reasons.get(d.reason, 0) + 1
        if reasons:
            lines.append("dropped: " + ", ".join(f"{k} {v}" for k, v in sorted(reasons.items())))
        return "\n".join(lines)


def assemble_result(
    problem: RoutingProblem,
    tours: Sequence[Sequence[tuple[int, int]]],
    leave_s: Sequence[int | None],
    *,
    engine: str,
    runtime_s: float,
    stop_reason: str,
    seed: int,
    iterations: int,
    dropped: Sequence[DroppedVisit] | None = None,
) -> RoutingResult:
    """Turn engine output into a :class:`RoutingResult`.

    ``tours[v]`` lists ``(visit index, service start s)`` in order for vehicle ``v``;
    ``leave_s[v]`` is its departure time (None: latest departure that still meets the first
    stop's start). Arrival = previous departure + drive time; ``return_s`` = last departure +
    drive home. ``dropped`` defaults to bare entries for every unserved visit (their reasons
    are filled in by :mod:`geo_patrol.patrols.explain`).
    """
    routes = []
    served: set[int] = set()
    total_drive = 0
    for v, veh in enumerate(problem.vehicles):
        tour = list(tours[v]) if v < len(tours) else []
        if not tour:
            t0 = veh.available_from_s
            routes.append(Route(veh.id, veh.station_id, veh.start_loc, veh.end_loc, t0, t0, (), 0))
            continue
        first_vis = problem.visits[tour[0][0]]
        first_leg = int(problem.travel_s[veh.start_loc, first_vis.loc])
        t_leave = leave_s[v] if v < len(leave_s) and leave_s[v] is not None else None
        if t_leave is None:
            t_leave = max(veh.available_from_s, int(tour[0][1]) - first_leg)
        stops = []
        prev_loc, prev_dep, drive = veh.start_loc, int(t_leave), 0
        for idx, start in tour:
            vis = problem.visits[idx]
            leg = int(problem.travel_s[prev_loc, vis.loc])
            drive += leg
            arrive = prev_dep + leg
            start = int(start)
            stops.append(Stop(vis.id, vis.loc, arrive, start, start + vis.dwell_s))
            served.add(idx)
            prev_loc, prev_dep = vis.loc, start + vis.dwell_s
        leg = int(problem.travel_s[prev_loc, veh.end_loc])
        drive += leg
        routes.append(
            Route(
                veh.id, veh.station_id, veh.start_loc, veh.end_loc,
                int(t_leave), prev_dep + leg, tuple(stops), drive,
            )
        )
        total_drive += drive
    if dropped is None:
        dropped = [
            DroppedVisit(s.id, "", "") for i, s in enumerate(problem.visits) if i not in served
        ]
    served_weight = int(sum(problem.visits[i].weight for i in served))
    total_weight = problem.total_weight
    if not problem.visits:
        status = "all_served"
    else:
        status = "all_served" if len(served) == len(problem.visits) else "partial"
    objective = problem.drop_penalty_s * (total_weight - served_weight) + total_drive
    return RoutingResult(
        routes=tuple(routes),
        dropped=tuple(dropped),
        served_weight=served_weight,
        total_weight=total_weight,
        drive_s=int(total_drive),
        engine=engine,
        runtime_s=float(runtime_s),
        objective=int(objective),
        status=status,
        stop_reason=stop_reason,
        seed=int(seed),
        iterations=int(iterations),
    )


# -- feasibility checker ------------------------------------------------------------------


def check_feasible(problem: RoutingProblem, result: RoutingResult) -> list[str]:
    """Every way ``result`` breaks the rules of ``problem``; an empty list means feasible.

    Checks: one route per vehicle in order; each route starts and ends at its vehicle's
    locations within its availability; each leg is drivable and at least its matrix drive
    time; each stop starts inside its window, lasts its dwell, is not started before
    arrival; drive time and capacity limits; visits of a group start ``min_gap_s`` apart;
    every visit served at most once; served + dropped = all visits; weights, drive totals
    and objective add up.
    """
    errs: list[str] = []
    by_id = {s.id: (i, s) for i, s in enumerate(problem.visits)}
    if len(result.routes) != len(problem.vehicles):
        errs.append(f"{len(result.routes)} routes for {len(problem.vehicles)} vehicles")
    starts: dict[str, int] = {}
    count: dict[str, int] = {}
    total_drive = 0
    for veh, route in zip(problem.vehicles, result.routes):
        total_drive += _check_route(problem, veh, route, by_id, starts, count, errs)
    _check_served_once(result, by_id, count, errs)
    _check_group_starts(problem, starts, errs)
    _check_totals(problem, result, by_id, count, total_drive, errs)
    return errs


def _check_route(problem: RoutingProblem, veh: Vehicle, route: Route, by_id: dict,
                 starts: dict[str, int], count: dict[str, int], errs: list[str]) -> int:
    """Append to ``errs`` how ``route`` breaks the rules for ``veh``; record each stop's start
    in ``starts`` and count it in ``count``. Returns the route's drive time (0 when the route
    is not checked further)."""
    tag = f"route {route.vehicle_id}"
    if route.vehicle_id != veh.id:
        errs.append(f"{tag}: expected vehicle {veh.id}")
        return 0
    if (route.start_loc, route.end_loc) != (veh.start_loc, veh.end_loc):
        errs.append(f"{tag}: starts/ends at {route.start_loc}/{route.end_loc}, "
                    f"vehicle at {veh.start_loc}/{veh.end_loc}")
    if not route.stops:
        if route.drive_s != 0:
            errs.append(f"{tag}: unused but drive_s {route.drive_s}")
        return 0
    if route.leave_s < veh.available_from_s:
        errs.append(f"{tag}: leaves {clock(route.leave_s)} before availability "
                    f"{clock(veh.available_from_s)}")
    if route.return_s > veh.available_until_s:
        errs.append(f"{tag}: returns {clock(route.return_s)} after availability "
                    f"{clock(veh.available_until_s)}")
    prev_loc, prev_dep, drive, load = _check_stops(problem, tag, veh, route, by_id, starts,
                                                   count, errs)
    leg = problem.leg_s(prev_loc, veh.end_loc)
    if leg is None:
        errs.append(f"{tag}: no route from location {prev_loc} home to {veh.end_loc}")
        leg = 0
    drive += leg
    if route.return_s < prev_dep + leg:
        errs.append(f"{tag}: returns {clock(route.return_s)}, earliest possible "
                    f"{clock(prev_dep + leg)}")
    if route.drive_s != drive:
        errs.append(f"{tag}: drive_s {route.drive_s} but legs sum to {drive}")
    if veh.max_drive_s is not None and drive > veh.max_drive_s:
        errs.append(f"{tag}: drives {drive} s > max {veh.max_drive_s} s")
    if veh.capacity is not None and load > veh.capacity:
        errs.append(f"{tag}: load {load} > capacity {veh.capacity}")
    return drive


def _check_stops(problem: RoutingProblem, tag: str, veh: Vehicle, route: Route, by_id: dict,
                 starts: dict[str, int], count: dict[str, int],
                 errs: list[str]) -> tuple[int, int, int, int]:
    """Check the stops of ``route`` in order (see :func:`_check_route`). Returns the last
    location and departure, the drive time to it and the load."""
    prev_loc, prev_dep, drive, load = veh.start_loc, route.leave_s, 0, 0
    for stop in route.stops:
        if stop.visit_id not in by_id:
            errs.append(f"{tag}: unknown visit {stop.visit_id}")
            continue
        _, vis = by_id[stop.visit_id]
        count[vis.id] = count.get(vis.id, 0) + 1
        drive += _check_stop(problem, tag, stop, vis, prev_loc, prev_dep, errs)
        load += vis.demand
        starts[vis.id] = stop.start_s
        prev_loc, prev_dep = vis.loc, stop.depart_s
    return prev_loc, prev_dep, drive, load


def _check_stop(problem: RoutingProblem, tag: str, stop: Stop, vis: Visit, prev_loc: int,
                prev_dep: int, errs: list[str]) -> int:
    """Append to ``errs`` how ``stop`` (of visit ``vis``, reached from ``prev_loc`` left at
    ``prev_dep``) breaks the rules. Returns the leg's drive time (0 when undrivable)."""
    if stop.loc != vis.loc:
        errs.append(f"{tag}: {vis.id} at location {stop.loc}, expected {vis.loc}")
    leg = problem.leg_s(prev_loc, vis.loc)
    if leg is None:
        errs.append(f"{tag}: no route from location {prev_loc} to {vis.loc}")
        leg = 0
    if stop.arrive_s < prev_dep + leg:
        errs.append(f"{tag}: {vis.id} arrives {clock(stop.arrive_s)}, earliest "
                    f"possible {clock(prev_dep + leg)}")
    if stop.start_s < stop.arrive_s:
        errs.append(f"{tag}: {vis.id} starts before it arrives")
    if not (vis.window_start_s <= stop.start_s <= vis.window_end_s):
        errs.append(f"{tag}: {vis.id} starts {clock(stop.start_s)} outside window "
                    f"{clock(vis.window_start_s)}–{clock(vis.window_end_s)}")
    if stop.depart_s - stop.start_s < vis.dwell_s:
        errs.append(f"{tag}: {vis.id} dwells {stop.depart_s - stop.start_s} s < "
                    f"{vis.dwell_s} s")
    return leg


def _check_served_once(result: RoutingResult, by_id: dict, count: dict[str, int],
                       errs: list[str]) -> None:
    """Append to ``errs`` the visits served twice, served and dropped, dropped twice, unknown,
    neither served nor dropped, or dropped without a valid reason."""
    for vid, c in count.items():
        if c > 1:
            errs.append(f"visit {vid} served {c} times")
    dropped_ids = [d.visit_id for d in result.dropped]
    for vid in dropped_ids:
        if vid in count:
            errs.append(f"visit {vid} both served and dropped")
        if vid not in by_id:
            errs.append(f"unknown dropped visit {vid}")
    if len(set(dropped_ids)) != len(dropped_ids):
        errs.append("a visit is dropped twice")
    missing = set(by_id) - set(count) - set(dropped_ids)
    if missing:
        errs.append(f"visits neither served nor dropped: {sorted(missing)}")
    for d in result.dropped:
        if d.reason not in REASONS:
            errs.append(f"dropped visit {d.visit_id} has no valid reason ({d.reason!r})")


def _check_group_starts(problem: RoutingProblem, starts: dict[str, int],
                        errs: list[str]) -> None:
    """Append to ``errs`` each pair of served visits of a group starting less than its
    ``min_gap_s`` apart."""
    for group, idx in problem.groups().items():
        gap = problem.visits[idx[0]].min_gap_s
        times = sorted(starts[problem.visits[i].id] for i in idx if problem.visits[i].id in starts)
        for a, b in zip(times, times[1:]):
            if b - a < gap:
                errs.append(f"group {group}: visits start {b - a} s apart < {gap} s")


def _check_totals(problem: RoutingProblem, result: RoutingResult, by_id: dict,
                  count: dict[str, int], total_drive: int, errs: list[str]) -> None:
    """Append to ``errs`` each of the result's weight, drive and objective totals that does not
    add up."""
    served_weight = sum(by_id[v][1].weight for v in count)
    if result.served_weight != served_weight:
        errs.append(f"served_weight {result.served_weight} but served visits weigh {served_weight}")
    if result.total_weight != problem.total_weight:
        errs.append(f"total_weight {result.total_weight} != {problem.total_weight}")
    if result.drive_s != total_drive:
        errs.append(f"drive_s {result.drive_s} but routes sum to {total_drive}")
    expected_obj = problem.drop_penalty_s * (problem.total_weight - served_weight) + total_drive
    if result.objective != expected_obj:
        errs.append(f"objective {result.objective} != {expected_obj}")


def unreachable_big_s(problem: RoutingProblem) -> int:
    """A drive time that no schedule can absorb (used by engines for unreachable pairs)."""
    horizon = max(
        [v.available_until_s for v in problem.vehicles] + [s.window_end_s for s in problem.visits]
    )
    return int(max(horizon, 0) + 1 + problem.travel_s.max(initial=0) * 2 + 10**6)


def gap_slots(window_start_s: int, window_end_s: int, n: int, gap_s: int) -> list[tuple[int, int]]:
    """Split a window into ``n`` consecutive slots whose starts are ``gap_s`` apart at least:
    slot ``k`` is ``[ws + k·(w + gap), ws + k·(w + gap) + w]`` with
    ``w = (we − ws − (n − 1)·gap) / n`` (rounded down). Visits confined to distinct slots
    start ``gap_s`` apart whatever else happens — a sufficient, not necessary, condition.
    When the window is too short for ``n`` slots, only the first ``m`` that fit get a slot
    and the rest get an empty slot ``(1, 0)`` (they cannot be served)."""
    width_total = window_end_s - window_start_s
    m = n if gap_s <= 0 else min(n, width_total // gap_s + 1)
    w = (width_total - (m - 1) * gap_s) // m if m else 0
    out = []
    for k in range(n):
        if k < m:
            a = window_start_s + k * (w + gap_s)
            out.append((a, a + w))
        else:
            out.append((1, 0))
    return out


__all__ = [
    "UNREACHABLE_S",
    "REASONS",
    "REASON_UNREACHABLE",
    "REASON_FLEET_TIME",
    "REASON_PRIORITY",
    "Vehicle",
    "Visit",
    "Station",
    "GateWindow",
    "RoutingProblem",
    "build_problem",
    "Stop",
    "Route",
    "DroppedVisit",
    "RoutingResult",
    "assemble_result",
    "check_feasible",
    "clock",
    "gap_slots",
]
