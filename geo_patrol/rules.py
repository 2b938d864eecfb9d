"""The rules of the three sightings (三见): every "is it seen / is it needed" test, one function each.

This is the one home of the rules. The planner (posts and patrols), its improvement steps, the
proof (:mod:`geo_patrol.proof`, :mod:`geo_patrol.sightings`), ``geo-patrol evaluate`` and the
audit of what really happened all call these functions; none of them restates a rule. A new
sighting rule is one function here, its test in ``tests/test_rules.py``, and its parameter in
:class:`~geo_patrol.model.Parameters`.

- **Seen long enough** (:func:`seen_in_window`, :func:`counts_in_window`): a post's duty or a car
  stop counts in a window only when at least ``min_seen_s`` of it lies inside the window; the
  latest start that can still count is :func:`latest_seen_start_s`, and a window shorter than
  ``min_seen_s`` can be served by no stop (:func:`window_too_short`).
- **Staffed** (:func:`staffed`): a post shows an officer only when someone stands there.
- **Officer from a post** (:func:`post_shows_officer`): a staffed post shows an officer at a
  school it reaches on foot within ``post_radius_m`` (the walk is measured by
  :func:`geo_patrol.posts.sites.post_reach`), unless the school forbids a post (禁设岗).
- **Car in sight** (:func:`car_in_sight`, :class:`GateSight`): a car and its lights are seen at a
  gate within ``car_sight_m`` (straight line) of where the car stands — a patrol stop's road
  point, or a post with a parked car.
- **Car sightings needed** (:func:`car_sightings_needed`): the school's own ``car_visits``, else
  ``visits_per_window``; a parked car counts as always seen.
- **The target** (:func:`target_profile`, :func:`judge_window`): basic three sightings need an
  officer, a car and lights each seen, and the car sightings needed; strict also needs an officer
  present for ``officer_presence_pct`` of the window. What a window misses is returned as
  structured :class:`~geo_patrol.reasons.Reason` values.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np
from scipy.spatial import cKDTree

from geo_patrol.geo import LocalMetres, haversine_m
from geo_patrol.model import Parameters, PostDuty, School, Window
from geo_patrol.reasons import Reason

__all__ = ["GateSight", "Verdict", "car_in_sight", "car_sightings_needed", "counts_in_window", "judge_window",
           "latest_seen_start_s", "post_shows_officer", "presence_pct", "seen_in_window", "staffed",
           "target_profile", "window_too_short"]


# ------------------------------------------------------------------------------- time in a window


def _overlap(a0: int, a1: int, b0: int, b1: int) -> int:
    return max(0, min(a1, b1) - max(a0, b0))


def seen_in_window(start_s: int, end_s: int, window_start_s: int, window_end_s: int, seen_s: int) -> bool:
    """True when at least ``seen_s`` of ``[start_s, end_s)`` lies inside the window."""
    return _overlap(start_s, end_s, window_start_s, window_end_s) >= seen_s


def counts_in_window(start_s: int, end_s: int, window: Window, params: Parameters) -> bool:
    """A duty or stop ``[start_s, end_s)`` counts in ``window``: ``min_seen_s`` of it inside."""
    return seen_in_window(start_s, end_s, window.start_s, window.end_s, params.seen_s)


def latest_seen_start_s(window: Window, params: Parameters) -> int:
    """The latest start of a stop that can still be seen ``min_seen_s`` inside ``window``."""
    return window.end_s - params.seen_s


def window_too_short(window: Window, params: Parameters) -> bool:
    """No stop can be seen ``min_seen_s`` in a window shorter than that."""
    return window.duration_s < params.seen_s


# ------------------------------------------------------------------------------- who is seen


def staffed(post: PostDuty) -> bool:
    """A post shows an officer only when someone stands there."""
    return post.police + post.auxiliary >= 1


def post_shows_officer(school: School, walks: bool) -> bool:
    """A staffed post whose walk reaches the school shows it an officer, unless it forbids posts."""
    return walks and not school.forbid_post


def car_in_sight(distance_m: float, params: Parameters) -> bool:
    """A car (and its lights) standing ``distance_m`` from a gate (straight line) is seen there."""
    return distance_m <= params.car_sight_m


def car_sightings_needed(school: School, params: Parameters) -> int:
    """Car sightings a window of ``school`` needs: its own ``car_visits``, else ``visits_per_window``."""
    return school.car_visits or params.visits_per_window


def target_profile(school: School, params: Parameters) -> str:
    """``basic`` or ``strict``: the school's own ``profile``, else ``target_profile``."""
    return school.profile or params.target_profile


def presence_pct(intervals: Iterable[tuple[int, int]], window: Window) -> float:
    """Share of the window (per cent) covered by the union of the officer intervals."""
    return 100.0 * _union_length(intervals) / window.duration_s


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


# ------------------------------------------------------------------------------- the target


@dataclass(frozen=True)
class Verdict:
    """What a window of a school gets, by the rules: each sighting, the presence, the targets.

    ``lights`` is ``True``/``False``, or ``None`` when nobody knows (a track device that does not
    report its lights). ``misses`` says what the window misses against its target, as reasons.
    """

    officer: bool
    car: bool
    lights: bool | None
    presence_pct: float
    basic: bool
    present: bool
    met: bool
    misses: tuple[Reason, ...]

    @property
    def strict_met(self) -> bool:
        return self.basic and self.present


def judge_window(school: School, window: Window, params: Parameters, *, officer_intervals: Sequence[tuple[int, int]],
                 car_count: int, car_always: bool, lights: bool | None = True) -> Verdict:
    """The three-sightings verdict of one window (module docstring).

    ``officer_intervals`` are the counted post duties and stops, clipped to the window;
    ``car_count`` the car sightings counted in it; ``car_always`` a parked car in sight all along;
    ``lights`` whether the cars seen had their lights on: ``True`` for a plan (a planned car
    drives with its lights on), ``False`` when a track says they were off, ``None`` when the
    device does not report them — lights are then unknown, and the target is not proved.
    """
    officer = bool(officer_intervals)
    car = car_always or car_count > 0
    lights_seen = None if lights is None else (car and lights)
    presence = presence_pct(officer_intervals, window)
    needed = car_sightings_needed(school, params)
    misses = []
    if not officer:
        misses.append(Reason.of("no_officer"))
    if not car:
        misses.append(Reason.of("no_car"))
    elif not car_always and car_count < needed:
        misses.append(Reason.of("car_sightings", seen=car_count, needed=needed))
    elif lights_seen is None:
        misses.append(Reason.of("lights_unknown"))
    elif not lights_seen:
        misses.append(Reason.of("no_lights"))
    basic = not misses
    present = presence + 1e-9 >= params.officer_presence_pct
    if target_profile(school, params) == "strict" and not present:
        misses.append(Reason.of("officer_presence", pct=round(presence, 1), needed_pct=params.officer_presence_pct))
    return Verdict(officer, car, lights_seen, presence, basic, present, not misses, tuple(misses))


# ------------------------------------------------------------------------------- car sight distance


class GateSight:
    """Which schools have a gate within ``radius_m`` (straight line) of a point.

    Built once per scenario (:attr:`geo_patrol.snapping.Prepared.sight` holds the one for
    ``car_sight_m``); :meth:`schools_near` answers for many points at once.
    """

    def __init__(self, schools: Sequence[School], radius_m: float) -> None:
        self.radius_m = float(radius_m)
        rows = [(school.id, gate.lon, gate.lat) for school in schools for gate in school.gates]
        self.school_of = [r[0] for r in rows]
        self.lon = np.array([r[1] for r in rows], dtype=float)
        self.lat = np.array([r[2] for r in rows], dtype=float)
        self.local = LocalMetres.around(self.lon, self.lat) if rows else LocalMetres(0.0, 0.0)
        self.tree = cKDTree(self.local.xy(self.lon, self.lat)) if rows else None

    @classmethod
    def for_cars(cls, schools: Sequence[School], params: Parameters) -> GateSight:
        """The car-sight lookup: gates within ``car_sight_m``."""
        return cls(schools, params.car_sight_m)

    def schools_near(self, lon: Sequence[float], lat: Sequence[float]) -> list[dict[str, float]]:
        """Per point, school id → straight-line metres to its nearest gate within the radius."""
        lon = np.asarray(lon, dtype=float)
        lat = np.asarray(lat, dtype=float)
        out: list[dict[str, float]] = [{} for _ in range(lon.size)]
        if self.tree is None or lon.size == 0:
            return out
        # the planar search is a pre-filter (1 % slack); the great circle decides
        hits = self.tree.query_ball_point(self.local.xy(lon, lat), r=self.radius_m * 1.01 + 1.0)
        for k, idx in enumerate(hits):
            if not idx:
                continue
            idx = np.asarray(idx, dtype=np.int64)
            metres = haversine_m(lon[k], lat[k], self.lon[idx], self.lat[idx])
            for i, m in zip(idx, metres):
                if m <= self.radius_m:
                    sid = self.school_of[int(i)]
                    out[k][sid] = min(out[k].get(sid, np.inf), float(m))
        return out
