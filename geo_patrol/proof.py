"""The proof of a plan: check its decisions, then derive what people see from them alone.

A plan's decisions are where and when each post stands and who staffs it (``posts.csv``,
``rosters.csv``) and which car stops where and when (``visits.csv``). :func:`prove` trusts
nothing else: it checks every decision against the scenario and the road network, leaves out
every post and stop that breaches a rule, and derives the three sightings and the "135" response
from what is left (:func:`geo_patrol.sightings.evaluate`). The planner runs it on every plan
before writing it (a breach there is a bug), and ``geo-patrol evaluate`` runs it on a plan a
planner edited by hand.

Rules checked (``rule`` of a :class:`Violation`; the file, row and field name the cell):

Posts (``posts.csv``)
    ``unknown_station`` the station is not a station of the scenario; ``unknown_period`` the
    period has no school window; ``unknown_school`` a listed school is not in the scenario;
    ``duplicate_post`` a post id twice in one period; ``unstaffed_post`` police + auxiliary is 0;
    ``post_out_of_reach`` a listed school has no gate within ``post_radius_m`` walking distance of
    where the post stands; ``roster_mismatch`` the roster does not name as many police and
    auxiliaries for the post, over its whole duty, as the post row says; ``fleet_exceeded`` a
    parked car (``car_at_post``) beyond the station's cars.
Roster (``rosters.csv``)
    ``unknown_station`` the officer's station or pool does not exist; ``unknown_post`` no such
    post in that period; ``role_mismatch`` one officer with two roles; ``officer_double_booked``
    one officer at two posts whose duties overlap, or without the drive time between them;
    ``station_over_rostered`` more officers of a role than the station or pool has (the posts of
    the officers beyond its number earn nothing).
Patrol stops (``visits.csv``)
    ``unknown_station`` / ``station_mismatch`` / ``phantom_car`` the car id is not
    ``STATION/k`` with an existing station and ``k`` within its cars; ``unknown_period``;
    ``unknown_school``; ``stop_off_road`` the stand point is more than :data:`ON_ROAD_M` from the
    drive network; ``stop_far_from_school`` no gate of its school within ``car_sight_m`` of the
    stand point; ``outside_shift`` the stop lies outside the car's shift; ``overlapping_stops``
    a stop starts before the car's previous one ends; ``too_fast`` the car cannot drive from its
    station or previous stop in time (the period's travel time, less :data:`DRIVE_TOLERANCE_S`);
    ``cannot_return`` the car cannot be back at its station by the end of its shift.

The breaching post or stop earns nothing (for a leg that cannot be driven, the stop at its end).
The stated tolerance for drive times is :data:`DRIVE_TOLERANCE_S`.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from geo_patrol.clock import format_time
from geo_patrol.geo import haversine_m
from geo_patrol.model import Coverage, PostDuty, RosterEntry, Stop, share_out
from geo_patrol.network import snap
from geo_patrol.patrols.planner import car_tracks, shift, time_to_schools
from geo_patrol.posts.sites import post_reach
from geo_patrol.roster.teams import station_limits
from geo_patrol.rules import staffed
from geo_patrol.sightings import evaluate
from geo_patrol.snapping import Prepared
from geo_patrol.traveltime import PairDrives

__all__ = ["DRIVE_TOLERANCE_S", "ON_ROAD_M", "Proof", "Resources", "Violation", "prove", "resources"]

#: A drive may be this many seconds shorter than the period's travel time (hand-typed minutes).
DRIVE_TOLERANCE_S = 60

#: A car's stand point must lie within this many metres of a drive-network node.
ON_ROAD_M = 5.0

_CAR_ID = re.compile(r"^(?P<station>.+)/(?P<number>\d+)$")


@dataclass(frozen=True)
class Violation:
    """One breach of a rule: where (file, spreadsheet row, field), which rule, and what happened."""

    file: str
    row: int
    field: str
    rule: str
    detail: str

    def __str__(self) -> str:
        return f"{self.file}, row {self.row}, field '{self.field}': {self.rule}: {self.detail}"


@dataclass(frozen=True)
class Resources:
    """What each station (and pool) has for this plan: police, auxiliaries and patrol cars.

    The scenario's own numbers, or a county total shared out in proportion (what-if runs)."""

    police: Mapping[str, int]
    auxiliary: Mapping[str, int]
    cars: Mapping[str, int]
    overrides: Mapping[str, int | None]


def resources(scenario, *, police: int | None = None, auxiliary: int | None = None,
              cars: int | None = None) -> Resources:
    """:class:`Resources` of a scenario with optional county totals (``None``: the stations' own)."""
    limit_police, limit_aux = station_limits(scenario, police=police, auxiliary=auxiliary)
    car_list = share_out(cars, [s.cars for s in scenario.stations])
    return Resources(limit_police, limit_aux, {s.id: n for s, n in zip(scenario.stations, car_list)},
                     {"police": police, "auxiliary": auxiliary, "cars": cars})


@dataclass(frozen=True)
class Proof:
    """What :func:`prove` found: the breaches, the coverage, and the posts and stops that count.

    ``posts`` and ``stops`` are the rows that earn sightings (with their drive nodes); ``lines``
    maps period → car → ``(lon, lat, time_s)`` vertices of its drive along the roads.
    """

    violations: tuple[Violation, ...]
    coverage: tuple[Coverage, ...]
    posts: tuple[PostDuty, ...]
    stops: tuple[Stop, ...]
    lines: Mapping[str, Mapping[str, list]]


def prove(
    prepared: Prepared,
    posts: Sequence[PostDuty],
    stops: Sequence[Stop],
    roster: Sequence[RosterEntry],
    res: Resources,
) -> Proof:
    """Check the decisions and derive the coverage from the ones that hold (module docstring).

    Row numbers in violations are the spreadsheet rows of the plan files, in the order given
    (the first row is row 2).
    """
    scenario = prepared.scenario
    found: list[Violation] = []
    bad_posts: set[int] = set()
    bad_stops: set[int] = set()
    posts = _with_nodes(prepared, posts)
    reach = post_reach(prepared, posts)
    _check_posts(prepared, posts, reach, found, bad_posts)
    _check_roster(prepared, posts, roster, res, found, bad_posts)
    stops = _check_stops(prepared, stops, res, found, bad_stops)
    tracks, lines = {}, {}
    for period in scenario.periods:
        tracks[period], lines[period] = _drive_and_check(prepared, period, stops, res, found, bad_stops)
    _check_fleet(prepared, posts, stops, res, found, bad_posts, bad_stops)
    good_posts = tuple(p for i, p in enumerate(posts) if i not in bad_posts)
    good_stops = tuple(s for i, s in enumerate(stops) if i not in bad_stops)
    coverage = evaluate(scenario, good_posts, good_stops, post_reach=reach, tracks=tracks,
                        time_to_school=time_to_schools(prepared), sight=prepared.car_sight)
    return Proof(tuple(found), coverage, good_posts, good_stops, lines)


def _with_nodes(prepared: Prepared, posts: Sequence[PostDuty]) -> tuple[PostDuty, ...]:
    if not posts:
        return ()
    nodes, _ = snap(prepared.network, np.array([p.lon for p in posts]), np.array([p.lat for p in posts]))
    return tuple(dataclasses.replace(p, node=int(n)) for p, n in zip(posts, nodes))


def _check_posts(prepared, posts, reach, found, bad) -> None:
    scenario = prepared.scenario
    stations = {s.id for s in scenario.stations}
    schools = {s.id: s for s in scenario.schools}
    seen: dict[tuple[str, str], int] = {}

    def breach(i: int, field: str, rule: str, detail: str) -> None:
        found.append(Violation("posts.csv", i + 2, field, rule, detail))
        bad.add(i)

    for i, post in enumerate(posts):
        if post.station_id not in stations:
            breach(i, "station_id", "unknown_station", f"station '{post.station_id}' is not a station of the scenario")
        if post.period not in scenario.periods:
            breach(i, "period", "unknown_period", f"no school has a {post.period} window")
        key = (post.post_id, post.period, post.duty_start_s)
        for (pid, period, _), (j, end_s) in seen.items():
            if (pid, period) == key[:2] and post.duty_start_s < end_s and j != i + 2:
                breach(i, "post_id", "duplicate_post",
                       f"{post.post_id} is twice in the {post.period} at overlapping times (also row {j})")
                break
        seen.setdefault(key, (i + 2, post.duty_end_s))
        if not staffed(post):
            breach(i, "police", "unstaffed_post", f"{post.post_id} has 0 police and 0 auxiliary officers")
        for sid in post.school_ids:
            school = schools.get(sid)
            if school is None:
                breach(i, "school_ids", "unknown_school", f"school '{sid}' is not in the scenario")
            elif sid not in reach.get(key, ()):
                gap = float(np.min([haversine_m(post.lon, post.lat, g.lon, g.lat) for g in school.gates]))
                breach(i, "school_ids", "post_out_of_reach",
                       f"{post.post_id} stands {gap:.0f} m (straight line) from the nearest gate of {sid}; a post "
                       f"is seen only within post_radius_m = {scenario.parameters.post_radius_m:.0f} m walking")


def _check_roster(prepared, posts, roster, res: Resources, found, bad_posts) -> None:
    scenario = prepared.scenario
    units = {s.id for s in scenario.stations} | {p.id for p in scenario.pools}
    rows_of: dict[tuple[str, str], list[int]] = {}
    for i, p in enumerate(posts):
        rows_of.setdefault((p.post_id, p.period), []).append(i)
    staff: dict[int, dict[str, list]] = {}
    role_of: dict[str, str] = {}
    by_officer: dict[tuple[str, str], list[tuple[int, RosterEntry]]] = {}
    duty_of: dict[int, list[int]] = {}
    bad_rows: set[int] = set()

    def breach(r: int, field: str, rule: str, detail: str) -> None:
        found.append(Violation("rosters.csv", r + 2, field, rule, detail))
        bad_rows.add(r)

    for r, entry in enumerate(roster):
        if entry.station_id not in units:
            breach(r, "station_id", "unknown_station", f"'{entry.station_id}' is not a station or pool")
        rows = rows_of.get((entry.post_id, entry.period))
        if rows is None:
            breach(r, "post_id", "unknown_post", f"no post {entry.post_id} in the {entry.period}")
            continue
        # the duty rows of the post this entry covers (a post may stand twice in a period)
        duty_of[r] = [i for i in rows if entry.start_s <= posts[i].duty_start_s and entry.end_s >= posts[i].duty_end_s]
        if role_of.setdefault(entry.officer, entry.role) != entry.role:
            breach(r, "role", "role_mismatch", f"{entry.officer} is {role_of[entry.officer]} on another row")
        by_officer.setdefault((entry.officer, entry.period), []).append((r, entry))
    # one officer in one place at a time, with the drive between posts (one search per place)
    drives = {p: PairDrives(prepared.network, scenario.parameters.congestion_for(p)) for p in scenario.periods}
    for (officer, period), rows in sorted(by_officer.items()):
        rows = sorted(rows, key=lambda re_: (re_[1].start_s, re_[0]))
        for k in range(1, len(rows)):
            (_, a), (r, b) = rows[k - 1], rows[k]
            a_node = posts[rows_of[(a.post_id, a.period)][0]].node
            b_node = posts[rows_of[(b.post_id, b.period)][0]].node
            gap = b.start_s - a.end_s
            drive = drives[period].within(a_node, b_node, gap + DRIVE_TOLERANCE_S) if gap >= 0 else np.inf
            if gap < 0 or gap + DRIVE_TOLERANCE_S < drive:
                shown = "no time" if gap < 0 else f"drive {drive / 60:.0f} min" if np.isfinite(drive) else "no route"
                breach(r, "officer", "officer_double_booked",
                       f"{officer} is at {a.post_id} until {format_time(a.end_s)} and cannot be at {b.post_id} "
                       f"from {format_time(b.start_s)} ({shown})")
    # no more officers than the unit has, per role and period (the ones beyond its number earn nothing)
    counted: dict[tuple[str, str, str], list[str]] = {}
    for r, entry in enumerate(roster):
        if r in bad_rows:
            continue
        names = counted.setdefault((entry.station_id, entry.period, entry.role), [])
        if entry.officer not in names:
            names.append(entry.officer)
    for (unit, period, role), names in sorted(counted.items()):
        have = (res.police if role == "police" else res.auxiliary).get(unit, 0)
        extra = set(names[have:])
        for r, entry in enumerate(roster):
            if entry.officer in extra and entry.period == period and r not in bad_rows:
                breach(r, "officer", "station_over_rostered",
                       f"{unit} has {have} {role} officer(s) and the {period} roster names {len(names)}")
    # every post staffed, over its whole duty, by as many officers of each role as its row says
    for r in range(len(roster)):
        if r in bad_rows:
            continue
        for i in duty_of.get(r, ()):
            staff.setdefault(i, {}).setdefault(roster[r].role, []).append(roster[r].officer)
    for i, post in enumerate(posts):
        got = staff.get(i, {})
        police, aux = len(set(got.get("police", []))), len(set(got.get("auxiliary", [])))
        if (police, aux) != (post.police, post.auxiliary) and staffed(post):
            found.append(Violation("posts.csv", i + 2, "police", "roster_mismatch",
                                   f"{post.post_id} ({post.period}) lists {post.police} police and {post.auxiliary} "
                                   f"auxiliary; rosters.csv names {police} and {aux} on duty "
                                   f"{format_time(post.duty_start_s)}–{format_time(post.duty_end_s)}"))
            bad_posts.add(i)


def _check_stops(prepared, stops, res: Resources, found, bad) -> tuple[Stop, ...]:
    """Identity, place and timeline of every stop; returns the stops with their drive nodes."""
    scenario = prepared.scenario
    params = scenario.parameters
    schools = {s.id: s for s in scenario.schools}
    stops = tuple(stops)
    if not stops:
        return stops
    nodes, off = snap(prepared.network, np.array([s.stop_lon for s in stops]), np.array([s.stop_lat for s in stops]))
    stops = tuple(dataclasses.replace(s, node=int(n)) for s, n in zip(stops, nodes))

    def breach(i: int, field: str, rule: str, detail: str) -> None:
        found.append(Violation("visits.csv", i + 2, field, rule, detail))
        bad.add(i)

    near = prepared.car_sight.schools_near([s.stop_lon for s in stops], [s.stop_lat for s in stops])
    for i, stop in enumerate(stops):
        match = _CAR_ID.match(stop.vehicle_id)
        station = match.group("station") if match else None
        if station is None or station not in res.cars:
            breach(i, "vehicle_id", "unknown_station",
                   f"car '{stop.vehicle_id}' is not STATION/k with a station of the scenario")
        else:
            if station != stop.station_id:
                breach(i, "station_id", "station_mismatch", f"car {stop.vehicle_id} belongs to {station}")
            if not 1 <= int(match.group("number")) <= res.cars[station]:
                breach(i, "vehicle_id", "phantom_car", f"{station} has {res.cars[station]} car(s); there is no "
                                                       f"car {stop.vehicle_id}")
        if stop.period not in scenario.periods:
            breach(i, "period", "unknown_period", f"no school has a {stop.period} window")
        if off[i] > ON_ROAD_M:
            breach(i, "stop_lon", "stop_off_road",
                   f"the car would stand {off[i]:.0f} m from the nearest drivable road; use a road point")
        if stop.school_id not in schools:
            breach(i, "school_id", "unknown_school", f"school '{stop.school_id}' is not in the scenario")
        elif stop.school_id not in near[i]:
            gap = float(np.min([haversine_m(stop.stop_lon, stop.stop_lat, g.lon, g.lat)
                                for g in schools[stop.school_id].gates]))
            breach(i, "stop_lon", "stop_far_from_school",
                   f"the car stands {gap:.0f} m from the nearest gate of {stop.school_id}; a car is seen only "
                   f"within car_sight_m = {params.car_sight_m:.0f} m")
    return stops


def _drive_and_check(prepared, period: str, stops, res: Resources, found, bad) -> tuple[dict, dict]:
    """The cars' tracks and drive lines in ``period`` through the stops that hold, after checking
    every car's timeline with the drive times of its own legs (one search per car)."""

    def breach(i: int, field: str, rule: str, detail: str) -> None:
        found.append(Violation("visits.csv", i + 2, field, rule, detail))
        bad.add(i)

    rows = [i for i, s in enumerate(stops)
            if i not in bad and s.period == period and s.station_id in prepared.station_nodes]
    legs: dict[str, list[float]] = {}
    tracks, lines = car_tracks(prepared, period, [stops[i] for i in rows], res.cars, legs=legs)
    by_car: dict[str, list[int]] = {}
    for i in rows:
        by_car.setdefault(stops[i].vehicle_id, []).append(i)
    before = len(bad)
    on_shift = shift(prepared, period)
    for car, own in sorted(by_car.items()):
        _check_timeline(prepared, car, period, sorted(own, key=lambda i: (stops[i].arrive_s, stops[i].seq, i)),
                        stops, legs[car], breach, on_shift)
    if len(bad) > before:  # a car lost stops: drive it again through the ones that hold
        affected = {stops[i].vehicle_id for i in bad if stops[i].period == period}
        keep = [stops[i] for i in rows if i not in bad and stops[i].vehicle_id in affected]
        again, again_lines = car_tracks(prepared, period, keep, {})
        start_s, end_s = shift(prepared, period)
        for car in affected & set(tracks):
            home = prepared.station_nodes[car.rsplit("/", 1)[0]]
            tracks[car] = again.get(car, (np.array([start_s, end_s]), np.array([home, home])))
            lines.pop(car, None)
            if car in again_lines:
                lines[car] = again_lines[car]
    return tracks, lines


def _check_timeline(prepared, car: str, period: str, rows: list[int], stops, legs: list[float], breach,
                    on_shift: tuple[int, int]) -> None:
    """Leave no earlier than the shift, drive every leg in time, no overlap, be back in time.

    ``legs`` are the drive seconds station → stop 1 → … → station, in the order of ``rows``;
    ``on_shift`` is the period's shift (:func:`~geo_patrol.patrols.planner.shift`)."""
    start_s, end_s = on_shift
    home = prepared.station_nodes[stops[rows[0]].station_id]
    sequence = [home] + [stops[i].node for i in rows] + [home]
    for k, i in enumerate(rows):
        stop = stops[i]
        if stop.arrive_s < start_s or stop.depart_s > end_s:
            breach(i, "arrive", "outside_shift", f"car {car} is on shift {format_time(start_s)}–{format_time(end_s)} "
                                                 f"in the {period}; this stop is {format_time(stop.arrive_s)}–"
                                                 f"{format_time(stop.depart_s)}")
            continue
        previous_end = start_s if k == 0 else stops[rows[k - 1]].depart_s
        if k and stop.arrive_s < previous_end:
            breach(i, "arrive", "overlapping_stops", f"car {car} is still at its previous stop until "
                                                     f"{format_time(previous_end)}")
            continue
        drive = legs[k]
        if stop.arrive_s - previous_end + DRIVE_TOLERANCE_S < drive:
            a, b = sequence[k], sequence[k + 1]
            km = float(haversine_m(prepared.network.drive.lon[a], prepared.network.drive.lat[a],
                                   prepared.network.drive.lon[b], prepared.network.drive.lat[b])) / 1000.0
            hours = max(stop.arrive_s - previous_end, 1) / 3600.0
            leg = "from its station" if k == 0 else "from its previous stop"
            needed = "no drivable route" if not np.isfinite(drive) else f"the drive takes {drive / 60:.1f} min"
            breach(i, "arrive", "too_fast", f"car {car} cannot get here {leg} by {format_time(stop.arrive_s)}: "
                                            f"{needed}, {stop.arrive_s - previous_end} s were left "
                                            f"({km:.1f} km in a straight line, {km / hours:.0f} km/h)")
    last = rows[-1]
    back = legs[len(rows)]
    if stops[last].depart_s + back > end_s + DRIVE_TOLERANCE_S:
        breach(last, "depart", "cannot_return", f"car {car} cannot be back at its station by the end of its shift "
                                                f"{format_time(end_s)} (the drive takes {back / 60:.1f} min)")


def _check_fleet(prepared, posts, stops, res: Resources, found, bad_posts, bad_stops) -> None:
    """Cars driving plus cars parked at posts, per station and period, within the station's cars."""
    driving: dict[tuple[str, str], set[str]] = {}
    for i, stop in enumerate(stops):
        if i not in bad_stops:
            driving.setdefault((stop.station_id, stop.period), set()).add(stop.vehicle_id)
    parked: dict[tuple[str, str], int] = {}
    for i, post in enumerate(posts):
        if not post.car_at_post or i in bad_posts:
            continue
        key = (post.station_id, post.period)
        parked[key] = parked.get(key, 0) + 1
        have = res.cars.get(post.station_id, 0)
        if len(driving.get(key, ())) + parked[key] > have:
            found.append(Violation("posts.csv", i + 2, "car_at_post", "fleet_exceeded",
                                   f"{post.station_id} has {have} car(s); {len(driving.get(key, ()))} drive and "
                                   f"{parked[key]} are parked at posts in the {post.period}"))
            bad_posts.add(i)
