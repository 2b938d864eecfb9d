"""Duty posts for a scenario: where they go, who staffs them when, and why a school is left out.

Built on the matrix models of :mod:`geo_patrol.posts` (the same solver calls any user can make
with their own matrices). The steps:

1. **Candidate sites** (:mod:`geo_patrol.posts.sites`): every school gate, every drive-network
   node within ``post_radius_m`` (straight line) of a gate, and the scenario's own sites
   (``existing`` ones always open).
2. **Coverage** (:mod:`geo_patrol.posts.sites`): a site covers a school when the walking distance
   to one of its gates is within ``post_radius_m`` (a site within ``SIGHT_M`` metres in a
   straight line sees the gate directly). Schools with ``forbid_post`` are not demand rows.
   A post is staffed in every period in which one of the schools it covers has a window, so
   coverage is the same in every period.
3. **Weights** (:func:`geo_patrol.model.school_weight`): ``priority × kind factor × (1 + enrolment / 1000)``,
   kind factors kindergarten 1.3, primary 1.2, special 1.3, nine-year 1.1, middle 1.0, high 0.9 —
   younger children and larger schools weigh more; priority is the planner's own 1–5.
4. **Model** (one of :data:`MODES`): ``max_coverage`` (most weight with at most K posts),
   ``min_posts`` (fewest posts covering every coverable school — the "护学岗设置 100%" target),
   ``backup`` (most weight, then most weight covered twice), ``p_median`` (least weighted walking
   distance to the assigned post, K posts). ``requires_post`` schools must be covered.
5. **Jurisdiction** (:mod:`geo_patrol.roster.teams`): a post belongs to the station of the first
   school it serves that names one (``station_id``), otherwise to the station nearest by drive
   time (the first period's congestion).
6. **Duty time**: per period the union of the windows of the schools it serves, from
   ``duty_lead_s`` before the earliest start to ``duty_lag_s`` after the latest end.
7. **Roster**: per station and period, posts are taken in order of duty start and given to the
   first officer team already formed who is free by then, counting the drive between the two
   posts; otherwise to a new team. A team is ``police_per_post`` police and
   ``auxiliary_per_post`` auxiliary officers. This greedy rule is optimal when drive times are
   zero (interval partitioning) and never double-books an officer.
8. **Officers**: only officers who exist are rostered (a station's own, then teams borrowed from
   a station within ``borrow_drive_s`` or from a pool, see :mod:`geo_patrol.roster.teams`). When
   some posts of a station still have no team, the schools of as many of its least valuable posts
   are given up (an existing kiosk or a required school too: no officer, no post) and the model is
   solved again, until every post is staffed; those schools are reported as "officers short at
   station" unless another post still covers them.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from geo_patrol.errors import BudgetError
from geo_patrol.io.atomic import write_directory
from geo_patrol.io.plandir import POSTS_FORMAT_PREFIX, is_plan_dir, write_posts, write_roster, write_table
from geo_patrol.labels import reason_words
from geo_patrol.model import PostDuty, RosterEntry, school_weight
from geo_patrol.posts.backup import backup_coverage_sets
from geo_patrol.posts.covering import max_coverage_sets, min_posts_sets
from geo_patrol.posts.pmedian import p_median
from geo_patrol.posts.result import LocationResult
from geo_patrol.posts.sites import EXPLAIN_FACTOR, CandidateSite, SiteCoverage, candidate_sites, coverage_distance
from geo_patrol.reasons import Reason
from geo_patrol.roster.teams import post_duties, roster_teams, station_limits
from geo_patrol.snapping import Prepared

log = logging.getLogger(__name__)

MODES = ("max_coverage", "min_posts", "backup", "p_median")

@dataclass(frozen=True)
class Uncovered:
    """A school without a post, and why."""

    school_id: str
    reason: str  # "forbidden", "no_site", "budget", "officers"
    detail: str  # ``why`` in English
    why: Reason | None = field(default=None, compare=False)  # the detail as data

    @classmethod
    def because(cls, school_id: str, reason: str, why: Reason) -> Uncovered:
        return cls(school_id, reason, reason_words(why, "en"), why)

    def to_json(self) -> dict:
        """The entry of ``plan.json``'s ``posts_uncovered``."""
        out = {"school_id": self.school_id, "reason": self.reason, "detail": self.detail}
        if self.why is not None:
            out["why"] = self.why.to_json()
        return out


@dataclass(frozen=True)
class PostPlan:
    """The posts of a scenario with their duty, roster and officer use.

    ``station_use`` maps ``(station_id, period)`` to ``(police used, police available,
    auxiliary used, auxiliary available)``.
    """

    mode: str
    sites: tuple[CandidateSite, ...]
    chosen: tuple[int, ...]
    duties: tuple[PostDuty, ...]
    assignment: Mapping[str, str]
    roster: tuple[RosterEntry, ...]
    station_use: Mapping[tuple[str, str], tuple[int, int, int, int]]
    uncovered: tuple[Uncovered, ...]
    covered_weight: float
    total_weight: float
    solver: LocationResult
    runtime_s: float
    police_limit: Mapping[str, int] = field(default_factory=dict)
    auxiliary_limit: Mapping[str, int] = field(default_factory=dict)

    @property
    def n_posts(self) -> int:
        return len({d.post_id for d in self.duties})

    def covered_school_ids(self) -> set[str]:
        return set(self.assignment)

    def to_dir(self, path, *, force: bool = False):
        """Export: ``posts.csv``/``posts.geojson`` (one row per post and period), ``rosters.csv``,
        ``station_use.csv`` (officers used against available per station and period) and
        ``uncovered.csv`` (every school without a post, with its reason); written atomically."""
        def fill(folder):
            (folder / "posts.json").write_text(json.dumps({"format": f"{POSTS_FORMAT_PREFIX}1", "mode": self.mode,
                                                           "posts": self.n_posts}) + "\n", encoding="utf-8")
            write_posts(folder, self.duties)
            write_roster(folder, self.roster)
            write_table(folder / "station_use.csv",
                       ["station_id", "period", "police_used", "police_available", "auxiliary_used",
                        "auxiliary_available"],
                       ([sid, period, *values] for (sid, period), values in sorted(self.station_use.items())))
            write_table(folder / "uncovered.csv", ["school_id", "reason", "detail"],
                       ([u.school_id, u.reason, u.detail] for u in self.uncovered))

        return write_directory(path, fill, force=force, replaceable=is_plan_dir)

    def officers_needed(self) -> dict[str, tuple[int, int]]:
        """Station id → (police, auxiliary) needed in the busiest period."""
        out: dict[str, tuple[int, int]] = {}
        for (station_id, _), (police, _, aux, _) in self.station_use.items():
            p, a = out.get(station_id, (0, 0))
            out[station_id] = (max(p, police), max(a, aux))
        return out


# --------------------------------------------------------------------------- planning


def plan_posts(
    prepared: Prepared,
    *,
    mode: str = "min_posts",
    max_posts: int | None = None,
    police: int | None = None,
    auxiliary: int | None = None,
    time_limit_s: float = 30.0,
    warm_start: Sequence[int] | None = None,
    sites: Sequence[CandidateSite] | None = None,
    distance: SiteCoverage | None = None,
    weight_scale: Mapping[str, float] | None = None,
    release: frozenset[str] = frozenset(),
) -> PostPlan:
    """Choose the posts of a scenario and staff them (see the module docstring for the model).

    ``max_posts`` is K for ``max_coverage``, ``backup`` and ``p_median`` (required there);
    ``police``/``auxiliary`` override the county totals for what-if runs. ``sites`` and
    ``distance`` may be passed in to reuse them across a sweep. ``weight_scale`` multiplies the
    weight of the schools it names (the plan's improvement step uses it). ``release`` names
    existing sites that stay open only while they serve a school (last semester's posts);
    the scenario's own existing sites always stay open.
    """
    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode != "min_posts" and max_posts is None:
        raise ValueError(f"mode {mode!r} needs max_posts")
    started = time.perf_counter()
    scenario = prepared.scenario
    params = scenario.parameters
    sites = tuple(sites) if sites is not None else candidate_sites(prepared)
    if distance is None:
        distance = coverage_distance(prepared, sites)
    schools = scenario.schools
    demand = [i for i, s in enumerate(schools) if not s.forbid_post]
    scale = weight_scale or {}
    base = np.array([school_weight(schools[i]) for i in demand])
    weights = base * np.array([scale.get(schools[i].id, 1.0) for i in demand])
    required = np.array([schools[i].requires_post for i in demand], dtype=bool)
    existing = np.array([s.existing for s in sites], dtype=bool)
    if release:
        # a site named in ``release`` (last semester's posts) stays only while it serves a school
        serves = np.asarray(distance.cover(rows=demand).sum(axis=0)).ravel() > 0
        existing &= serves | ~np.array([s.id in release for s in sites], dtype=bool)
    # a required school out of reach is reported, not made infeasible
    required &= np.asarray(distance.cover(rows=demand).sum(axis=1)).ravel() > 0
    if mode != "min_posts":
        _check_budget(distance.cover(rows=demand), required, existing, max_posts, time_limit_s)

    limit_police, limit_aux = station_limits(scenario, police=police, auxiliary=auxiliary)
    # schools given up because the station that would staff their post ran out of officers
    excluded = np.zeros(len(demand), dtype=bool)
    short_schools: dict[str, str] = {}
    full_cover = distance.cover(rows=demand)
    drives: dict = {}  # drive times between posts, kept from round to round
    for _ in range(len(demand) + 1):  # each round gives up at least one school
        keep = sp.diags((~excluded).astype(np.int8), dtype=np.int8)
        cover = (keep @ full_cover).astype(bool)
        live = np.where(excluded, 0.0, weights)
        req = required & ~excluded & (np.asarray(cover.sum(axis=1)).ravel() > 0)
        if mode == "max_coverage":
            result = max_coverage_sets(cover, live, max_posts, required=req, existing=existing,
                                              time_limit_s=time_limit_s, warm_start=warm_start)
        elif mode == "min_posts":
            result = min_posts_sets(cover, required=req, existing=existing, time_limit_s=time_limit_s)
        elif mode == "backup":
            result = backup_coverage_sets(cover, live, max_posts, required=req, existing=existing,
                                                 time_limit_s=time_limit_s)
        else:
            # a school out of every site's reach is assigned at a large finite cost (and left
            # uncovered), so that a small budget stays feasible instead of giving no post at all
            dense = distance.dense(demand)
            far = 10.0 * EXPLAIN_FACTOR * params.post_radius_m
            dense[~np.isfinite(dense)] = far
            dense[excluded] = far
            result = p_median(dense, live, max_posts, time_limit_s=time_limit_s)
        chosen = list(result.chosen)
        assign = _assign(distance, demand, chosen)
        duties, station_of = post_duties(prepared, sites, chosen, assign, demand)
        roster, use, unstaffed = roster_teams(prepared, duties, limit_police, limit_aux, drives=drives)
        if not unstaffed:
            break
        # at every station with posts no team can staff, give up the schools of as many of its
        # least valuable posts, then solve again (an existing kiosk given up is no longer forced
        # open: only officers who exist stand at a post)
        post_site = {f"P{k + 1:03d}": j for k, j in enumerate(sorted(chosen, key=lambda j: sites[j].id))}
        value: dict[int, float] = {}
        for r, a in enumerate(assign):
            if a >= 0:
                value[a] = value.get(a, 0.0) + float(weights[r])
        # per station, the posts it cannot staff in its worst period: as many are given up
        per_period: dict[tuple[str, str], int] = {}
        for post_id, period in unstaffed:
            key = (station_of[post_site[post_id]], period)
            per_period[key] = per_period.get(key, 0) + 1
        short_at: dict[str, int] = {}
        for (station_id, _), count in per_period.items():
            short_at[station_id] = max(short_at.get(station_id, 0), count)
        for station_id, count in sorted(short_at.items()):
            own = sorted((j for j in chosen if station_of[j] == station_id), key=lambda j: (value.get(j, 0.0), j))
            for worst in own[:count]:
                existing[worst] = False
                for r, a in enumerate(assign):
                    if a == worst:
                        excluded[r] = True
                        short_schools[schools[demand[r]].id] = station_id
                log.info("station %s short of officers: giving up the post at site %s", station_id, sites[worst].id)

    covered_rows = {r for r, a in enumerate(assign) if a >= 0}
    assignment = {}
    for duty in duties:
        for school_id in duty.school_ids:
            assignment.setdefault(school_id, duty.post_id)
    if unstaffed:  # the rounds ran out: never write a post no officer stands at
        gone = {post_id for post_id, _ in unstaffed}
        duties = tuple(d for d in duties if d.post_id not in gone)
        roster = tuple(r for r in roster if r.post_id not in gone)
        kept = {d.post_id for d in duties}
        chosen = [j for k, j in enumerate(sorted(chosen, key=lambda j: sites[j].id)) if f"P{k + 1:03d}" in kept]
        assign = [a if a in set(chosen) else -1 for a in assign]
        covered_rows = {r for r, a in enumerate(assign) if a >= 0}
    uncovered = _explain(prepared, demand, distance, weights, covered_rows, chosen, assign, short_schools,
                         mode, max_posts)
    covered_weight = float(sum(base[r] for r in covered_rows))
    return PostPlan(
        mode=mode, sites=sites, chosen=tuple(sorted(chosen)), duties=duties, assignment=assignment,
        roster=roster, station_use=use, uncovered=uncovered, covered_weight=covered_weight,
        total_weight=float(base.sum()), solver=result, runtime_s=time.perf_counter() - started,
        police_limit=limit_police, auxiliary_limit=limit_aux,
    )


def _assign(coverage: SiteCoverage, demand: Sequence[int], chosen: Sequence[int]) -> list[int]:
    """Each demand row → the nearest chosen site within the radius, or −1."""
    position = {row: r for r, row in enumerate(demand)}
    usable = np.isin(coverage.cols, np.asarray(sorted(set(chosen)), dtype=np.int64))
    best: dict[int, tuple[float, int]] = {}
    for row, col, m in zip(coverage.rows[usable], coverage.cols[usable], coverage.metres[usable]):
        r = position.get(int(row))
        if r is not None and (r not in best or (m, col) < best[r]):
            best[r] = (float(m), int(col))
    return [best[r][1] if r in best else -1 for r in range(len(demand))]


def _explain(prepared, demand, coverage, weights, covered_rows, chosen, assign, short_schools, mode, max_posts):
    """A reason for every school without a post (module docstring)."""
    scenario = prepared.scenario
    radius = scenario.parameters.post_radius_m
    out = []
    for school in scenario.schools:
        if school.forbid_post:
            out.append(Uncovered.because(school.id, "forbidden", Reason.of("post_forbidden")))
    chosen_value = {j: 0.0 for j in chosen}
    for r, a in enumerate(assign):
        if a in chosen_value:
            chosen_value[a] += weights[r]
    weakest = min(chosen_value.values()) if chosen_value else 0.0
    for r, row in enumerate(demand):
        if r in covered_rows:
            continue
        school = scenario.schools[row]
        nearest = float(coverage.nearest_m[row])
        if not np.isfinite(nearest) or nearest > radius:
            why = (Reason.of("no_site_far", radius_m=radius, searched_m=EXPLAIN_FACTOR * radius)
                   if not np.isfinite(nearest) else Reason.of("no_site_near", radius_m=radius, nearest_m=nearest))
            out.append(Uncovered.because(school.id, "no_site", why))
        elif school.id in short_schools:
            out.append(Uncovered.because(school.id, "officers", Reason.of(
                "officers_short", station=short_schools[school.id],
                borrow_min=scenario.parameters.borrow_drive_s // 60)))
        else:
            why = (Reason.of("budget_weaker", posts=max_posts, weight=float(weights[r]), weakest=float(weakest))
                   if chosen_value else Reason.of("budget_elsewhere", posts=max_posts))
            out.append(Uncovered.because(school.id, "budget", why))
    return tuple(sorted(out, key=lambda u: u.school_id))


def _check_budget(cover, required, existing, max_posts: int, time_limit_s: float) -> None:
    """Refuse a budget below the fewest posts that keep the existing kiosks and cover every
    required school (a set-covering solve on those rows only)."""
    if not required.any() and not existing.any():
        return
    rows = np.flatnonzero(required)
    needed = (len(min_posts_sets(cover[rows], existing=existing, time_limit_s=time_limit_s).chosen) if rows.size
              else int(existing.sum()))
    if max_posts < needed:
        raise BudgetError(
            f"--posts {max_posts} is below the {needed} posts that the {len(rows)} required school(s) (必设岗) and "
            f"{int(existing.sum())} existing post(s) need", field="posts", needed=needed,
            hint=f"use --posts {needed} or more, or clear 必设岗 for some schools")
