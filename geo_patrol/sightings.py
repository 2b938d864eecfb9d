"""Proof of the three sightings (三见) per school and window, and the "135" response times.

This module only evaluates: given the posts on duty and the patrol stops of a plan, it derives,
for every school and period, what people at the gate see. Nothing here plans; the planner calls
it, and so does ``geo-patrol evaluate`` on a plan a planner edited by hand. A sighting is
reported only when a post or a stop in the plan produces it.

Rules (also in the README):

- A post shows an **officer** at every school it lists during its duty interval; a post with
  ``car_at_post`` also shows a **car** with **lights** for that interval.
- A patrol stop shows a **car**, **lights** and an **officer** (who steps out) from arrival to
  departure.
- A sighting counts in a window when its interval overlaps the window by at least
  :data:`MIN_SIGHTING_S` (one minute): a stop that starts as the bell rings for the last time
  is not seen by anyone.
- ``officer_presence_pct`` is the share of the window during which some officer is at the gate
  (union of the post duty intervals and stops, clipped to the window).
- Profile ``basic`` is met when officer, car and lights are each seen at least once (and the
  car at least ``visits_per_window`` times — or the school's own ``car_visits`` — a parked
  car counting as always seen);
  ``strict`` additionally needs ``officer_presence_pct`` ≥ the parameter.
- Response ("135"): for every minute of the window, the drive time to the nearest of the school's
  gates from the nearest on-duty unit: a staffed post (from the post's road node), and every car
  on shift at its position then (at the station before it leaves and after it returns, at a
  stop, or on the road). ``worst_response_s`` is the largest such minute value,
  ``within_target_pct`` the share of minutes within ``response_target_s``, ``second_unit_300s``
  whether in every minute a second, different unit is within ``second_unit_s``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence

import numpy as np

from geo_patrol.clock import format_time
from geo_patrol.model import Coverage, PostDuty, Stop, Track
from geo_patrol.scenario import Scenario

__all__ = ["MIN_SIGHTING_S", "evaluate", "positions_at", "stop_counts"]


#: Least overlap, in seconds, of a post's duty or a stop with a window for a sighting to count.
MIN_SIGHTING_S = 60


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def _union_length(intervals: Iterable[tuple[int, int]]) -> int:
    total, cur_start, cur_end = 0, None, None
    for start, end in sorted(intervals):
        if cur_end is None or start > cur_end:
            if cur_end is not None:
                total += cur_end - cur_start
            cur_start, cur_end = start, end
        else:
            cur_end = max(cur_end, end)
    if cur_end is not None:
        total += cur_end - cur_start
    return total


def stop_counts(stop: Stop, window_start_s: int, window_end_s: int) -> bool:
    """True when a stop overlaps the window by at least :data:`MIN_SIGHTING_S`."""
    return _overlap(stop.arrive_s, stop.depart_s, window_start_s, window_end_s) >= MIN_SIGHTING_S


def positions_at(track: Track, minutes_s: np.ndarray) -> np.ndarray:
    """Node row of a unit at each time (−1 when off duty)."""
    times, nodes = track
    idx = np.searchsorted(times, minutes_s, side="right") - 1
    out = np.where((idx >= 0) & (minutes_s <= times[-1]), nodes[np.clip(idx, 0, len(nodes) - 1)], -1)
    return out.astype(np.int64)


def evaluate(
    scenario: Scenario,
    posts: Sequence[PostDuty],
    stops: Sequence[Stop],
    *,
    tracks: Mapping[str, Mapping[str, Track]] | None = None,
    time_to_school: Callable[[str, str], np.ndarray] | None = None,
) -> tuple[Coverage, ...]:
    """Evaluate every school and period of ``scenario`` against the posts and stops.

    Parameters
    ----------
    tracks:
        period → unit id → :data:`Track` (car positions over the period). Posts are added as
        units from their node and duty interval. Without tracks only posts count for response.
    time_to_school:
        ``(school_id, period) → array over drive-network node rows`` of the drive time in
        seconds from each node to the nearest gate of that school. Without it the response
        columns are reported as −1 / 0.
    """
    params = scenario.parameters
    out: list[Coverage] = []
    posts_by = {}
    for post in posts:
        for sid in post.school_ids:
            posts_by.setdefault((sid, post.period), []).append(post)
    stops_by = {}
    for stop in stops:
        stops_by.setdefault((stop.school_id, stop.period), []).append(stop)

    for period in scenario.periods:
        period_tracks = dict((tracks or {}).get(period, {}))
        for post in posts:
            if post.period == period and post.node >= 0:
                period_tracks[f"post {post.post_id}"] = (
                    np.array([post.duty_start_s, post.duty_end_s]), np.array([post.node, post.node])
                )
        grid = _unit_grid(scenario, period, period_tracks)
        for school in scenario.schools:
            window = school.windows.get(period)
            if window is None:
                continue
            ws, we = window.start_s, window.end_s
            sources, officer_intervals = [], []
            car_count, car_always = 0, False
            for post in posts_by.get((school.id, period), []):
                if school.forbid_post:
                    continue
                ov = _overlap(post.duty_start_s, post.duty_end_s, ws, we)
                if ov < MIN_SIGHTING_S:
                    continue
                officer_intervals.append((max(ws, post.duty_start_s), min(we, post.duty_end_s)))
                what = "officer+car+lights" if post.car_at_post else "officer"
                car_always = car_always or post.car_at_post
                sources.append(f"{what}: post {post.post_id} "
                               f"{format_time(post.duty_start_s)}–{format_time(post.duty_end_s)}")
            for stop in sorted(stops_by.get((school.id, period), []), key=lambda s: s.arrive_s):
                if not stop_counts(stop, ws, we):
                    continue
                car_count += 1
                officer_intervals.append((max(ws, stop.arrive_s), min(we, stop.depart_s)))
                sources.append(f"car+lights+officer: car {stop.vehicle_id} "
                               f"{format_time(stop.arrive_s)}–{format_time(stop.depart_s)}")
            officer = bool(officer_intervals)
            car = car_always or car_count > 0
            presence = 100.0 * _union_length(officer_intervals) / window.duration_s
            profile = school.profile or params.target_profile
            needed_cars = school.car_visits or params.visits_per_window
            reasons = []
            if not officer:
                reasons.append("no officer")
            if not car:
                reasons.append("no car or lights")
            elif not car_always and car_count < needed_cars:
                reasons.append(f"{car_count} of {needed_cars} car sightings")
            if profile == "strict" and presence + 1e-9 < params.officer_presence_pct:
                reasons.append(f"officer present {presence:.1f}% < {params.officer_presence_pct:.0f}%")
            met = not reasons
            worst, within, second = -1, 0.0, False
            if time_to_school is not None and grid is not None:
                worst, within, second = _response(
                    time_to_school(school.id, period), grid, ws, we,
                    params.response_target_s, params.second_unit_s,
                )
            out.append(Coverage(
                school.id, period, ws, we, officer, car, car, met, round(presence, 1), worst,
                within, second, "; ".join(sources), "; ".join(reasons),
            ))
    return tuple(out)


def _unit_grid(scenario: Scenario, period: str, tracks: Mapping[str, Track]):
    """Where every unit is at each minute of the period: ``(first_minute_s, nodes[units, minutes])``.

    Minutes run from the earliest window start of the period to its latest end; −1 = off duty.
    """
    wins = [s.windows[period] for s in scenario.schools if period in s.windows]
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
