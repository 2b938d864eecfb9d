"""Patrol cars for a scenario: which gates need a car, the routing call, and car tracks.

This is the scenario layer over :mod:`geo_patrol.patrols` (whose routing model and engines work
on any list of visits and a matrix). Per period:

- every school with a window in the period needs ``visits_per_window`` car stops (or its own
  ``car_visits``) at its stand point (:class:`~geo_patrol.snapping.StandPoint`: the drive node
  nearest to one of its gates, within ``car_sight_m``), each starting inside the window and at
  least ``min_seen_s`` before it closes, so that the whole of ``min_seen_s`` is seen; a school
  with no stand point, or a window shorter than ``min_seen_s``, is not routed and says why;
- each station's cars (or a county total shared out in proportion to the stations' own cars)
  start and end at the station, on shift from ``shift_lead_s`` before the period's earliest window
  to ``shift_lag_s`` after its latest;
- drive times come from the road network with the period's congestion factor;
- the weight of a stop is the school's post weight × 100, rounded (priority, kind, enrolment).

:func:`car_tracks` turns stops back into where each car is minute by minute (at the station,
on the road along the fastest path, or at a stop), which the "135" response check uses; it is
computed from the stops alone, so a plan edited by hand is tracked the same way.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from geo_patrol.labels import reason_words
from geo_patrol.model import Stop, Track, school_weight, share_out
from geo_patrol.parallel import run_jobs
from geo_patrol.patrols import DEFAULT_ENGINE, default_iterations, solve
from geo_patrol.patrols.model import (
    REASON_NO_ROAD,
    REASON_WINDOW,
    DroppedVisit,
    GateWindow,
    RoutingResult,
    build_problem,
)
from geo_patrol.patrols.model import Station as RoutingStation
from geo_patrol.reasons import Reason
from geo_patrol.rules import car_sightings_needed, latest_seen_start_s, window_too_short
from geo_patrol.snapping import Prepared
from geo_patrol.traveltime import DriveSearch, travel_times

#: The routing's wall-clock cap is this many times the requested time limit.
WALL_CAP_FACTOR = 5


@dataclass(frozen=True)
class PeriodPatrol:
    """The routing of one period: its result, the stops, and the shift of the cars.

    ``windows`` maps each routed (or dropped) school-window id to ``(school id, window start)``;
    :meth:`owner` finds them for a visit id of the result."""

    period: str
    result: RoutingResult
    stops: tuple[Stop, ...]
    shift_start_s: int
    shift_end_s: int
    cars: Mapping[str, int]
    windows: Mapping[str, tuple[str, int]] = dataclasses.field(default_factory=dict)

    def owner(self, visit_id: str) -> tuple[str, int | None]:
        """``(school id, window start)`` of a visit (``visit_id`` is a window id, or one with ``#k``)."""
        if visit_id in self.windows:
            return self.windows[visit_id]
        head = visit_id.rsplit("#", 1)[0]
        return self.windows.get(head, (visit_id.split("#")[0], None))


def window_id(school_id: str, k: int) -> str:
    """The routing id of a school's ``k``-th window in a period: the school id for the first,
    ``<school>#w2``... for a second dismissal wave."""
    return school_id if k == 0 else f"{school_id}#w{k + 1}"


def share_cars(prepared: Prepared, total: int | None) -> dict[str, int]:
    """Cars per station; a county total is shared in proportion to the stations' own cars."""
    stations = prepared.scenario.stations
    return dict(zip((s.id for s in stations), share_out(total, [s.cars for s in stations])))


def shift(prepared: Prepared, period: str) -> tuple[int, int]:
    params = prepared.scenario.parameters
    wins = [w for s in prepared.scenario.schools for w in s.windows.get(period, ())]
    return min(w.start_s for w in wins) - params.shift_lead_s, max(w.end_s for w in wins) + params.shift_lag_s


#: Above this many schools in a period, each station routes its own jurisdiction separately
#: (in parallel), as district patrol cars do; below it the whole fleet is routed together.
SPLIT_SCHOOLS = 400


def jurisdictions(prepared: Prepared, period: str, school_ids: Sequence[str],
                  cars: Mapping[str, int]) -> dict[str, list[str]]:
    """Station id → the schools it patrols: the school's own ``station_id``, else the nearest
    station by drive time to its main gate among the stations that have cars."""
    matrix = prepared.station_to_gate[period]
    with_cars = [i for i, sid in enumerate(matrix.origin_ids) if cars.get(sid, 0) > 0]
    stands = prepared.stands
    column = {gid: j for j, gid in enumerate(matrix.destination_ids)}
    out: dict[str, list[str]] = {}
    for sid in school_ids:
        school = prepared.scenario.school(sid)
        if school.station_id and cars.get(school.station_id, 0) > 0:
            owner = school.station_id
        else:
            gate = stands[sid].gate_index if sid in stands else 0
            times = matrix.seconds[with_cars, column[f"{sid}#{gate}"]]
            owner = matrix.origin_ids[with_cars[int(np.argmin(times))]]
        out.setdefault(owner, []).append(sid)
    return out


def _problem(prepared: Prepared, period: str, station_ids: Sequence[str], school_ids: Sequence[str],
             cars: Mapping[str, int], skip: frozenset[str] = frozenset()):
    scenario = prepared.scenario
    params = scenario.parameters
    start_s, end_s = shift(prepared, period)
    locs: list[tuple[str, int]] = [(f"station:{sid}", prepared.station_nodes[sid]) for sid in station_ids]
    locs += [(f"school:{sid}", prepared.stands[sid].node) for sid in school_ids]
    matrix = travel_times(prepared.network, locs, locs, period_factor=params.congestion_for(period))
    seconds = matrix.seconds
    travel = np.where(np.isfinite(seconds), np.ceil(seconds), -1).astype(np.int64)
    stations = [
        RoutingStation(sid, i, int(cars.get(sid, 0)), start_s, end_s, params.max_drive_s)
        for i, sid in enumerate(station_ids)
    ]
    windows = []
    for k, sid in enumerate(school_ids):
        school = scenario.school(sid)
        for w, window in enumerate(school.windows[period]):
            if window_id(sid, w) in skip:
                continue
            windows.append(GateWindow(
                # the stop starts at least min_seen_s before the window closes, so it is seen
                id=window_id(sid, w), loc=len(station_ids) + k, window_start_s=window.start_s,
                window_end_s=latest_seen_start_s(window, params),
                visits=car_sightings_needed(school, params), min_gap_s=params.min_gap_s,
                dwell_s=params.dwell_s,
                weight=max(1, int(round(100 * school_weight(school)))),
            ))
    return build_problem(travel, stations, windows)


def _solve(job):
    problem, engine, time_limit_s, seed = job
    iterations = default_iterations(problem, engine, time_limit_s)
    return solve(problem, engine=engine, time_limit_s=WALL_CAP_FACTOR * time_limit_s, seed=seed,
                 iterations=iterations)


def route_period(
    prepared: Prepared,
    period: str,
    school_ids: Sequence[str],
    cars: Mapping[str, int],
    *,
    engine: str = DEFAULT_ENGINE,
    time_limit_s: float = 10.0,
    seed: int = 0,
    split: bool | None = None,
    workers: int = 1,
    scheduler: str | None = None,
) -> PeriodPatrol:
    """Route the cars of one period to the main gates of ``school_ids``.

    With ``split`` (default: more than :data:`SPLIT_SCHOOLS` schools) every station routes its
    own jurisdiction (:func:`jurisdictions`) as a separate problem, ``workers`` of them at a
    time on Dask worker processes (:func:`geo_patrol.parallel.run_jobs`; on the cluster at
    ``scheduler`` when given); each part gets a share of ``time_limit_s`` in proportion to its
    schools (at least 1 s), so the period's work is about ``time_limit_s`` whatever ``workers``
    is, and the routes do not depend on ``workers``.

    The work budget, not the clock, ends each search, so the same inputs and seed give the same
    routes; the wall clock (``WALL_CAP_FACTOR × time_limit_s``) is only a safety cap, and its
    use shows as ``stop_reason == "time_limit"``.
    """
    scenario = prepared.scenario
    start_s, end_s = shift(prepared, period)
    owners = {window_id(sid, k): (sid, w.start_s) for sid in school_ids
              for k, w in enumerate(scenario.school(sid).windows[period])}
    unserved = unroutable(prepared, period, school_ids)
    skip = frozenset(d.visit_id for d in unserved)
    school_ids = [sid for sid in school_ids
                  if any(window_id(sid, k) not in skip for k in range(len(scenario.school(sid).windows[period])))]
    split = len(school_ids) > SPLIT_SCHOOLS if split is None else split
    if sum(int(cars.get(s.id, 0)) for s in scenario.stations) == 0 or not school_ids:
        routable = [wid for wid, (sid, _) in owners.items() if sid in school_ids and wid not in skip]
        patrol = _no_routing(prepared, period, routable, cars, engine, seed)
        return dataclasses.replace(patrol, result=dataclasses.replace(
            patrol.result, dropped=patrol.result.dropped + unserved), windows=owners)
    if split:
        parts = sorted(jurisdictions(prepared, period, school_ids, cars).items())
        jobs = [
            (_problem(prepared, period, [sid], ids, cars, skip), engine,
             max(1.0, time_limit_s * len(ids) / max(1, len(school_ids))), seed)
            for sid, ids in parts
        ]
    else:
        jobs = [(_problem(prepared, period, [s.id for s in scenario.stations], school_ids, cars, skip), engine,
                 time_limit_s, seed)]
    results = run_jobs(_solve, jobs, workers=workers, scheduler=scheduler)
    result = results[0] if len(results) == 1 else _merge(results)
    if unserved:
        result = dataclasses.replace(result, dropped=result.dropped + unserved)
    visit_school = {v.id: owners[v.group][0] for job in jobs for v in job[0].visits}
    stops = []
    for route in result.routes:
        for seq, stop in enumerate(route.stops, start=1):
            stand = prepared.stands[visit_school[stop.visit_id]]
            stops.append(stop_at(stand, prepared, vehicle_id=route.vehicle_id, station_id=route.station_id,
                                 period=period, seq=seq, arrive_s=int(stop.start_s), depart_s=int(stop.depart_s)))
    return PeriodPatrol(period, result, tuple(stops), start_s, end_s, dict(cars), owners)


def stop_at(stand, prepared: Prepared, *, vehicle_id: str, station_id: str, period: str, seq: int, arrive_s: int,
            depart_s: int) -> Stop:
    """The :class:`~geo_patrol.model.Stop` of a car at a school's stand point."""
    gate = prepared.scenario.school(stand.school_id).gates[stand.gate_index]
    return Stop(vehicle_id=vehicle_id, station_id=station_id, period=period, seq=seq, school_id=stand.school_id,
                lon=round(gate.lon, 6), lat=round(gate.lat, 6), arrive_s=arrive_s, depart_s=depart_s,
                stop_lon=stand.lon, stop_lat=stand.lat, gate_distance_m=stand.gate_distance_m, node=stand.node)


def unroutable(prepared: Prepared, period: str, school_ids: Sequence[str]) -> tuple[DroppedVisit, ...]:
    """The schools of ``school_ids`` no patrol stop can serve in ``period``, each with its reason
    and its fix: no drivable road within ``car_sight_m`` of a gate, or a window shorter than
    ``min_seen_s``."""
    params = prepared.scenario.parameters
    out = []
    nearest: dict[str, float] = {}
    for gate in prepared.gates:
        nearest[gate.school_id] = min(nearest.get(gate.school_id, np.inf), gate.snap_m)
    for sid in school_ids:
        for k, window in enumerate(prepared.scenario.school(sid).windows[period]):
            if sid not in prepared.stands:
                why = Reason.of("road_too_far", school=sid, car_sight_m=params.car_sight_m, nearest_m=nearest[sid])
                out.append(DroppedVisit(window_id(sid, k), REASON_NO_ROAD, reason_words(why, "en"), why=why))
            elif window_too_short(window, params):
                why = Reason.of("window_too_short", school=sid, period=period, window=str(window),
                                seen_s=params.seen_s)
                out.append(DroppedVisit(window_id(sid, k), REASON_WINDOW, reason_words(why, "en"), why=why))
    return tuple(out)


def _no_routing(prepared, period, school_ids, cars, engine, seed) -> PeriodPatrol:
    """No car on shift (or no school): every visit is dropped, and says so."""
    start_s, end_s = shift(prepared, period)
    whys = [Reason.of("no_car_on_shift", school=sid, period=period) for sid in school_ids]
    dropped = tuple(
        DroppedVisit(sid, "fleet_time", reason_words(why, "en"), extra_cars_needed=None, why=why)
        for sid, why in zip(school_ids, whys)
    )
    result = RoutingResult(routes=(), dropped=dropped, served_weight=0, total_weight=0, drive_s=0, engine=engine,
                           runtime_s=0.0, objective=0, status="partial" if dropped else "all_served",
                           stop_reason="iterations", seed=seed, iterations=0)
    return PeriodPatrol(period, result, (), start_s, end_s, dict(cars))


def _merge(results: Sequence[RoutingResult]) -> RoutingResult:
    """One result from the jurisdictions' results (sums; the worst status and stop reason)."""
    statuses = [r.status for r in results]
    status = "no_solution" if "no_solution" in statuses else ("partial" if "partial" in statuses else "all_served")
    return RoutingResult(
        routes=tuple(route for r in results for route in r.routes),
        dropped=tuple(d for r in results for d in r.dropped),
        served_weight=sum(r.served_weight for r in results),
        total_weight=sum(r.total_weight for r in results),
        drive_s=sum(r.drive_s for r in results),
        engine=results[0].engine,
        runtime_s=sum(r.runtime_s for r in results),
        objective=sum(r.objective for r in results),
        status=status,
        stop_reason="time_limit" if any(r.stop_reason == "time_limit" for r in results) else "iterations",
        seed=results[0].seed,
        iterations=sum(r.iterations for r in results),
    )


def car_tracks(
    prepared: Prepared,
    period: str,
    stops: Sequence[Stop],
    cars: Mapping[str, int],
    *,
    legs: dict[str, list[float]] | None = None,
) -> tuple[dict[str, Track], dict[str, list[tuple[float, float, int]]]]:
    """Where every car on shift is over the period, and each used car's drive line.

    Returns ``(tracks, lines)``: ``tracks`` maps a car id to a :data:`Track` (node rows with the
    times the car reaches them); ``lines`` maps a used car id to ``(lon, lat, time_s)`` vertices
    along the roads. A car takes its stops in order of arrival; between stops it drives the
    fastest path and arrives as early as it can, waiting at the gate for the stop to start; it
    leaves the station as late as it can. With ``legs`` given, it is filled with each used car's
    drive seconds: station → first stop, stop → stop, last stop → station (``inf``: no route).

    Each leg is one search from its start that stops at its end
    (:meth:`~geo_patrol.traveltime.DriveSearch.paths`), so it costs what the leg is long, not the
    city; a leg driven twice (by two cars, or twice by one) is searched once.
    """
    params = prepared.scenario.parameters
    net = prepared.network
    start_s, end_s = shift(prepared, period)
    by_car: dict[str, list[Stop]] = {}
    for stop in stops:
        by_car.setdefault(stop.vehicle_id, []).append(stop)
    schedule: list[tuple[str, int, list[Stop]]] = []  # (car, home, its stops in order), cars in station order
    for station in prepared.scenario.stations:
        home = prepared.station_nodes[station.id]
        ids = [f"{station.id}/{k + 1}" for k in range(int(cars.get(station.id, 0)))]
        ids += sorted({s.vehicle_id for s in stops if s.station_id == station.id} - set(ids))
        for car in ids:
            schedule.append((car, home, sorted(by_car.get(car, []), key=lambda s: (s.arrive_s, s.seq))))
    pairs = sorted({(a, b) for _, home, own in schedule if own
                    for a, b in _legs([home] + [s.node for s in own] + [home])})
    found = dict(zip(pairs, DriveSearch(net, params.congestion_for(period)).paths(pairs)))
    tracks: dict[str, Track] = {}
    lines: dict[str, list[tuple[float, float, int]]] = {}
    for car, home, own in schedule:
        if not own:
            tracks[car] = (np.array([start_s, end_s]), np.array([home, home]))
            continue
        tracks[car], lines[car], driven = _drive(net, home, own, start_s, end_s, found)
        if legs is not None:
            legs[car] = driven
    return tracks, lines


def _legs(sequence: Sequence[int]) -> list[tuple[int, int]]:
    return list(zip(sequence[:-1], sequence[1:]))


class TimeToSchools:
    """Drive seconds from the drive nodes to each school's nearest gate, per period, for the
    "135" response check (a :class:`~geo_patrol.sightings.SchoolDriveTimes`).

    :meth:`near` searches backwards from the school's gates (one search from all of them) and
    stops at ``bound_s`` = ``max(response_target_s, second_unit_s)`` (at most ``reach_limit_s``):
    the few thousand nodes from which a unit counts for the response, whatever the city's size.
    Called, it gives the whole row over the drive nodes, searched to ``reach_limit_s`` (``inf``
    beyond), which the check needs only for a window with a minute in which no unit is within
    ``bound_s`` (:mod:`geo_patrol.sightings`). Searches run on the period's cached graph
    (:class:`~geo_patrol.traveltime.DriveSearch`).
    """

    #: :meth:`near` searches for this many schools at a time, in the scenario's order (the order
    #: the sightings check asks in), and keeps only them.
    CHUNK = 256

    def __init__(self, prepared: Prepared) -> None:
        params = prepared.scenario.parameters
        self.prepared = prepared
        self.limit_s = float(params.reach_limit_s)
        self.bound_s = min(float(max(params.response_target_s, params.second_unit_s)), self.limit_s)
        self.gates: dict[str, list[int]] = {}
        for gate in prepared.gates:
            self.gates.setdefault(gate.school_id, []).append(gate.node)
        self.order = [s.id for s in prepared.scenario.schools]
        self.position = {sid: i for i, sid in enumerate(self.order)}
        self._search: dict[str, DriveSearch] = {}
        self._near: dict[tuple[str, str], tuple[np.ndarray, np.ndarray]] = {}

    def _towards(self, period: str) -> DriveSearch:
        if period not in self._search:
            factor = self.prepared.scenario.parameters.congestion_for(period)
            self._search[period] = DriveSearch(self.prepared.network, factor, towards=True)
        return self._search[period]

    def near(self, school_id: str, period: str) -> tuple[np.ndarray, np.ndarray]:
        """``(node rows, seconds)`` of the nodes within ``bound_s`` of the school's nearest gate."""
        if (school_id, period) not in self._near:
            start = self.position[school_id]
            ids = self.order[start : start + self.CHUNK]
            balls = self._towards(period).balls([self.gates[sid] for sid in ids], self.bound_s)
            self._near = {(sid, period): ball for sid, ball in zip(ids, balls)}
        return self._near[(school_id, period)]

    def __call__(self, school_id: str, period: str) -> np.ndarray:
        rows, seconds = self._towards(period).balls([self.gates[school_id]], self.limit_s)[0]
        out = np.full(self.prepared.network.n_nodes, np.inf)
        out[rows] = seconds
        return out


def time_to_schools(prepared: Prepared) -> TimeToSchools:
    """The :class:`TimeToSchools` of a prepared scenario (every period)."""
    return TimeToSchools(prepared)


def _drive(net, home: int, own: Sequence[Stop], start_s: int, end_s: int,
           found: Mapping[tuple[int, int], tuple[np.ndarray, np.ndarray]]) -> tuple[Track, list, list]:
    """The track, drive line and leg seconds of one car through its stops (see :func:`car_tracks`);
    ``found`` holds the fastest path of every leg (rows, seconds from its start)."""
    times: list[int] = []
    nodes: list[int] = []
    line: list[tuple[float, float, int]] = []

    def leg(a: int, b: int, leave: float) -> float:
        path, seconds = found[(a, b)]
        t = leave
        for k, row in enumerate(path.tolist()):
            if k:
                t = leave + seconds[k]
            times.append(int(round(t)))
            nodes.append(row)
            line.append((round(float(net.drive.lon[row]), 6), round(float(net.drive.lat[row]), 6),
                         int(round(t))))
        return t

    first_leg = float(found[(home, own[0].node)][1][-1])
    leave = own[0].arrive_s - first_leg
    times.append(start_s)
    nodes.append(home)
    leg(home, own[0].node, leave)
    for a, b in zip(own, list(own[1:]) + [None]):
        times.append(a.arrive_s)
        nodes.append(a.node)
        target = home if b is None else b.node
        t_end = leg(a.node, target, a.depart_s)
        if b is not None:
            times.append(int(round(t_end)))
            nodes.append(b.node)
    times.append(max(end_s, times[-1]))
    nodes.append(home)
    order = np.argsort(np.array(times), kind="stable")
    driven = [float(found[pair][1][-1]) for pair in _legs([home] + [s.node for s in own] + [home])]
    return (np.array(times)[order], np.array(nodes)[order]), line, driven
