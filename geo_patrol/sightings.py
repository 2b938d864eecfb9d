"""Proof of the three sightings (三见) per school and window, and the "135" response times.

This module applies the rules of :mod:`geo_patrol.rules` (the one home of every "is it seen / is
it needed" test) to a plan: given the posts on duty and the patrol stops, it derives,
for every school and window, what people at the gate see. Nothing here plans; the planner calls
it, and so does ``geo-patrol evaluate`` on a plan a planner edited by hand. A sighting is
reported only when a post or a stop in the plan produces it, and where it stands decides whom it
is seen by — never the school ids a row lists.

The rules as this module applies them (each test is a function of :mod:`geo_patrol.rules`; also
in the README):

- A **post** shows an **officer** at the gates within ``post_radius_m`` walking distance of where
  it stands (the caller measures the walk and passes it in as ``post_reach``), during its duty,
  and only when it is staffed (police + auxiliary ≥ 1). A school that forbids a post (禁设岗) is
  never credited by one. A post with ``car_at_post`` also shows a **car** with **lights** at the
  gates within ``car_sight_m`` (straight line) of where it stands.
- A **patrol stop** shows a **car**, **lights** and an **officer** (who steps out) from arrival to
  departure at the gates within ``car_sight_m`` (straight line) of the road point where the car
  stands (``stop_lon``/``stop_lat``).
- A post's duty or a stop counts in a window only when at least ``min_seen_s`` of it (default
  ``dwell_s``) lies inside the window: a stop that starts as the bell rings for the last time is
  not seen by anyone.
- ``officer_presence_pct`` is the share of the window during which some officer is at the gate
  (union of the counted post duties and stops, clipped to the window).
- **Three sightings** (basic) are met when officer, car and lights are each seen at least once,
  and the car at least ``visits_per_window`` times (or the school's own ``car_visits``), a parked
  car counting as always seen. **Strict** also needs ``officer_presence_pct`` ≥ the parameter.
  ``three_sightings`` is the school's target (its ``profile``, else ``target_profile``);
  ``strict_met`` is always the strict test; ``post_present`` says a staffed 护学岗 counts there.
- Response ("135"): for every minute of the window, the drive time to the nearest of the school's
  gates from the nearest on-duty unit: a staffed post (from the post's road node), and every car
  on shift at its position then (at the station before it leaves and after it returns, at a
  stop, or on the road). ``worst_response_s`` is the largest such minute value,
  ``within_target_pct`` the share of minutes within ``response_target_s``, ``second_unit_300s``
  whether in every minute a second, different unit is within ``second_unit_s``. Drive times
  beyond ``reach_limit_s`` count as no route (``worst_response_s`` −1 when some minute has no
  unit within it, or none on duty).

  How it is computed (the figures are those of the definition, exactly): per school, one
  search backwards from its gates bounded at ``max(response_target_s, second_unit_s)`` finds
  the nodes from which a unit would count and the units that stand on one of them at some
  minute; only those are compared minute by minute. A unit elsewhere is farther than the bound
  at every minute, so it can be neither the nearest nor a second unit within ``second_unit_s``
  while some unit is within the bound. Only a window with a minute in which no unit is within
  the bound needs the drive times from everywhere (to ``reach_limit_s``) for its
  ``worst_response_s``; they are searched then, for that school alone.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, runtime_checkable

import numpy as np

from geo_patrol.clock import format_time
from geo_patrol.labels import reason_text
from geo_patrol.model import Coverage, PostDuty, Stop, Track
from geo_patrol.rules import GateSight, counts_in_window, judge_window, post_shows_officer, staffed
from geo_patrol.scenario import Scenario

__all__ = ["SchoolDriveTimes", "evaluate", "positions_at"]


@runtime_checkable
class SchoolDriveTimes(Protocol):
    """Drive times to a school's nearest gate, as the response check asks for them.

    ``near(school_id, period)``: ``(node rows, seconds)`` of every drive node within ``bound_s``
    of the school (``bound_s`` ≥ ``response_target_s`` and ``second_unit_s``, or
    ``reach_limit_s`` when that is smaller); ``(school_id, period)`` called: the seconds from
    every drive node (an array over node rows; ``inf`` beyond ``reach_limit_s``).
    """

    bound_s: float

    def near(self, school_id: str, period: str) -> tuple[np.ndarray, np.ndarray]: ...

    def __call__(self, school_id: str, period: str) -> np.ndarray: ...


def evaluate(
    scenario: Scenario,
    posts: Sequence[PostDuty],
    stops: Sequence[Stop],
    *,
    post_reach: Mapping[tuple[str, str, int], Collection[str]],
    tracks: Mapping[str, Mapping[str, Track]] | None = None,
    time_to_school: Callable[[str, str], np.ndarray] | None = None,
    sight: GateSight | None = None,
) -> tuple[Coverage, ...]:
    """Evaluate every school-window of ``scenario`` (a row per school, period and window)
    against the posts and stops.

    Parameters
    ----------
    post_reach:
        ``(post_id, period, duty_start_s)`` → ids of the schools with a gate within ``post_radius_m`` walking
        distance of where that post stands (:func:`geo_patrol.posts.sites.post_reach`). A post
        missing from it reaches no school.
    tracks:
        period → unit id → :data:`Track` (car positions over the period). Staffed posts are added
        as units from their node and duty interval. Without tracks only posts count for response.
    time_to_school:
        ``(school_id, period) → array over drive-network node rows`` of the drive time in
        seconds from each node to the nearest gate of that school. Without it the response
        columns are reported as −1 / 0. A :class:`SchoolDriveTimes` is asked for the whole
        array only where the nodes near the school do not settle the response (module
        docstring); the figures are the same.
    sight:
        the car-sight lookup built once per scenario (:attr:`geo_patrol.snapping.Prepared.sight`);
        built here when not given.

    The rules themselves are :mod:`geo_patrol.rules`. Only pass the posts and stops that are
    allowed to count (the verifier leaves out the ones that breach a rule).
    """
    params = scenario.parameters
    sight = sight if sight is not None else GateSight.for_cars(scenario.schools, params)
    out: list[Coverage] = []
    live_posts = [post for post in posts if staffed(post)]
    posts_by = _posts_by_school(live_posts, post_reach, sight)
    stops_by: dict[tuple[str, str], list[Stop]] = {}
    for stop, near in zip(stops, sight.schools_near([s.stop_lon for s in stops], [s.stop_lat for s in stops])):
        for sid in near:
            stops_by.setdefault((sid, stop.period), []).append(stop)

    for period in scenario.periods:
        period_tracks = dict((tracks or {}).get(period, {}))
        for post in live_posts:
            if post.period == period and post.node >= 0:
                period_tracks[f"post {post.post_id}"] = (
                    np.array([post.duty_start_s, post.duty_end_s]), np.array([post.node, post.node])
                )
        grid = _unit_grid(scenario, period, period_tracks)
        occupancy = _Occupancy(grid) if grid is not None and isinstance(time_to_school, SchoolDriveTimes) else None
        near: tuple[str, tuple] = ("", ())
        school_windows = [(school, w) for school in scenario.schools for w in school.windows.get(period, ())]
        for school, window in school_windows:
            seen = _seen_at(school, window, params, posts_by.get((school.id, period), []),
                            stops_by.get((school.id, period), []))
            verdict = judge_window(school, window, params, officer_intervals=seen.officer_intervals,
                                   car_count=seen.car_count, car_always=seen.car_always)
            worst, within, second = -1, 0.0, False
            settled = None
            ws, we = window.start_s, window.end_s
            if occupancy is not None:
                if near[0] != school.id:
                    near = (school.id, occupancy.units_near(*time_to_school.near(school.id, period)))
                settled = _near_response(near[1], grid, ws, we, params.response_target_s, params.second_unit_s)
            if settled is not None:
                worst, within, second = settled
            elif time_to_school is not None and grid is not None:
                worst, within, second = _response(
                    time_to_school(school.id, period), grid, ws, we,
                    params.response_target_s, params.second_unit_s,
                )
            out.append(Coverage(
                school.id, period, ws, we, verdict.officer, verdict.car, bool(verdict.lights), verdict.met,
                round(verdict.presence_pct, 1), worst, within, second, "; ".join(seen.sources),
                reason_text(verdict.misses, "en"), strict_met=verdict.strict_met, post_present=seen.post_present,
                why=verdict.misses,
            ))
    return tuple(out)


def _posts_by_school(live_posts, post_reach, sight: GateSight) -> dict[tuple[str, str], list[tuple]]:
    """``(school, period)`` → ``(post, its walk reaches the school, a gate within car_sight_m)`` of
    every staffed post seen there (a post with a parked car is seen within ``car_sight_m`` too)."""
    posts_by: dict[tuple[str, str], list[tuple]] = {}
    parked_sight = sight.schools_near([p.lon for p in live_posts], [p.lat for p in live_posts])
    for post, near in zip(live_posts, parked_sight):
        reach = set(post_reach.get((post.post_id, post.period, post.duty_start_s), ()))
        for sid in reach | (set(near) if post.car_at_post else set()):
            posts_by.setdefault((sid, post.period), []).append((post, sid in reach, sid in near))
    return posts_by


@dataclass
class _Seen:
    """What the posts and stops at one school show in one window, before the rules judge it."""

    sources: list[str] = field(default_factory=list)
    officer_intervals: list[tuple[int, int]] = field(default_factory=list)
    car_count: int = 0
    car_always: bool = False
    post_present: bool = False


def _seen_at(school, window, params, posts, stops) -> _Seen:
    """The counted post duties and stops of one school-window, with their sources (module docstring)."""
    ws, we = window.start_s, window.end_s
    seen = _Seen()
    for post, walks, in_sight in sorted(posts, key=lambda pw: pw[0].post_id):
        if not counts_in_window(post.duty_start_s, post.duty_end_s, window, params):
            continue
        officer = post_shows_officer(school, walks)
        if officer:
            seen.post_present = True
            seen.officer_intervals.append((max(ws, post.duty_start_s), min(we, post.duty_end_s)))
        parked = post.car_at_post and in_sight
        seen.car_always = seen.car_always or parked
        what = "+".join(w for w, on in (("officer", officer), ("car+lights", parked)) if on)
        if what:
            seen.sources.append(f"{what}: post {post.post_id} "
                                f"{format_time(post.duty_start_s)}–{format_time(post.duty_end_s)}")
    for stop in sorted(stops, key=lambda s: (s.arrive_s, s.vehicle_id)):
        if not counts_in_window(stop.arrive_s, stop.depart_s, window, params):
            continue
        seen.car_count += 1
        seen.officer_intervals.append((max(ws, stop.arrive_s), min(we, stop.depart_s)))
        seen.sources.append(f"car+lights+officer: car {stop.vehicle_id} "
                            f"{format_time(stop.arrive_s)}–{format_time(stop.depart_s)}")
    return seen


def positions_at(track: Track, minutes_s: np.ndarray) -> np.ndarray:
    """Node row of a unit at each time (−1 when off duty)."""
    times, nodes = track
    idx = np.searchsorted(times, minutes_s, side="right") - 1
    out = np.where((idx >= 0) & (minutes_s <= times[-1]), nodes[np.clip(idx, 0, len(nodes) - 1)], -1)
    return out.astype(np.int64)


def _unit_grid(scenario: Scenario, period: str, tracks: Mapping[str, Track]):
    """Where every unit is at each minute of the period: ``(first_minute_s, nodes[units, minutes])``.

    Minutes run from the earliest window start of the period to its latest end; −1 = off duty.
    """
    wins = [w for s in scenario.schools for w in s.windows.get(period, ())]
    if not tracks or not wins:
        return None
    first = min(w.start_s for w in wins)
    minutes = np.arange(first, max(w.end_s for w in wins) + 60, 60, dtype=np.int64)
    nodes = np.vstack([positions_at(track, minutes) for track in tracks.values()])
    return first, nodes


def _response(to_school: np.ndarray, grid, ws: int, we: int, target_s: int, second_s: int) -> tuple[int, float, bool]:
    first, nodes = grid
    cols = (np.arange(ws, we, 60, dtype=np.int64) - first) // 60
    at = nodes[:, cols]  # units × minutes of this window
    matrix = np.where(at >= 0, to_school[np.clip(at, 0, None)], np.inf)
    if matrix.shape[0] >= 2:
        two = np.partition(matrix, 1, axis=0)[:2]
    else:
        two = np.vstack([matrix[0], np.full(matrix.shape[1], np.inf)])
    best, runner_up = two[0], two[1]
    worst = int(np.ceil(best.max())) if np.isfinite(best).all() else -1
    within = round(100.0 * float(np.mean(best <= target_s)), 1)
    second = bool(np.all(runner_up <= second_s))
    return worst, within, second


class _Occupancy:
    """Which units stand on a node at some minute of a period (from the minute grid)."""

    def __init__(self, grid) -> None:
        _, nodes = grid
        n_units = nodes.shape[0]
        unit = np.broadcast_to(np.arange(n_units, dtype=np.int64)[:, None], nodes.shape)
        on = nodes >= 0
        pairs = np.unique(nodes[on] * n_units + unit[on])  # by node, then unit
        pair_node, self.pair_unit = pairs // n_units, pairs % n_units
        self.nodes, self.start = np.unique(pair_node, return_index=True)
        self.end = np.r_[self.start[1:], pairs.size]

    def units_near(self, rows: np.ndarray, seconds: np.ndarray):
        """``(units standing on one of rows at some minute, rows sorted, their seconds)``."""
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows, kind="stable")
        rows, seconds = rows[order], np.asarray(seconds, dtype=float)[order]
        pos = np.clip(np.searchsorted(self.nodes, rows), 0, max(self.nodes.size - 1, 0))
        hit = self.nodes[pos] == rows if self.nodes.size else np.zeros(rows.size, dtype=bool)
        lo, hi = self.start[pos[hit]], self.end[pos[hit]]
        counts = hi - lo
        idx = np.repeat(lo - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
        return np.unique(self.pair_unit[idx]), rows, seconds


def _near_response(near, grid, ws: int, we: int, target_s: int, second_s: int) -> tuple[int, float, bool] | None:
    """The response figures of a window from the units near the school (module docstring), or
    ``None`` when some minute has no unit within the bound (the whole row is needed then)."""
    units, rows, seconds = near
    if units.size == 0:
        return None
    first, nodes = grid
    cols = (np.arange(ws, we, 60, dtype=np.int64) - first) // 60
    if cols.size == 0:
        return None
    at = nodes[np.ix_(units, cols)]  # near units × minutes of this window
    pos = np.clip(np.searchsorted(rows, at), 0, rows.size - 1)
    matrix = np.where((at >= 0) & (rows[pos] == at), seconds[pos], np.inf)
    if matrix.shape[0] >= 2:
        two = np.partition(matrix, 1, axis=0)[:2]
    else:
        two = np.vstack([matrix[0], np.full(matrix.shape[1], np.inf)])
    best, runner_up = two[0], two[1]
    if not np.isfinite(best).all():
        return None
    worst = int(np.ceil(best.max()))
    within = round(100.0 * float(np.mean(best <= target_s)), 1)
    second = bool(np.all(runner_up <= second_s))
    return worst, within, second
