"""The semester plan: posts and patrols together, with proof of the three sightings.

:func:`make_plan` runs the whole job on a :class:`~geo_patrol.scenario.Scenario`:

1. prepare the network (snap gates and stations, check reach);
2. choose and staff the posts (:mod:`geo_patrol.posts.planner`) — by default the fewest posts
   that cover every coverable school ("护学岗设置 100%"), or the most weight with ``max_posts``;
3. per period, route the cars to every school's main gate inside its window
   (:mod:`geo_patrol.patrols.planner`);
4. improve: a car that no route uses in a period is parked with lights on at the post whose
   schools lose the most weight for want of a car (``car_at_post``), while that raises the
   attained share;
5. evaluate every school and window from the posts and stops alone (:mod:`geo_patrol.sightings`).

A :class:`Plan` holds exactly what its directory holds (see the README, "The plan directory"),
so :meth:`Plan.from_dir` loads back an equal plan, and every figure of ``plan.json`` can be
re-derived from the CSV files.
"""

from __future__ import annotations

import dataclasses
import logging
import os
import time
import zoneinfo
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

import numpy as np

from geo_patrol.clock import format_time
from geo_patrol.errors import InputError, SolverError
from geo_patrol.geo import haversine_m
from geo_patrol.hashing import sha256_file
from geo_patrol.io.atomic import write_directory
from geo_patrol.io.plandir import FORMAT, canonical_lonlat, is_plan_dir, plan_frames, read_plan_rows, write_files
from geo_patrol.labels import DEFAULT_LANG, REASON_TEMPLATES, check_lang, reason_text
from geo_patrol.layers import reach_geojson, roads_geojson
from geo_patrol.model import (
    Coverage,
    PlanSummary,
    PostDuty,
    RosterEntry,
    RouteLine,
    SchoolRow,
    Site,
    StationRow,
    Stop,
    school_weight,
)
from geo_patrol.outputs.duty_sheets import write_duty_sheets
from geo_patrol.outputs.map import build_map, render_map
from geo_patrol.outputs.workbook import write_report
from geo_patrol.patrols import DEFAULT_ENGINE
from geo_patrol.patrols.planner import route_period
from geo_patrol.posts.planner import plan_posts
from geo_patrol.posts.sites import post_reach
from geo_patrol.proof import Proof, prove, resources
from geo_patrol.reasons import Reason
from geo_patrol.rules import counts_in_window
from geo_patrol.scenario import Scenario
from geo_patrol.sightings import evaluate
from geo_patrol.snapping import prepare
from geo_patrol.version import __version__

log = logging.getLogger(__name__)

#: Site ids given to last semester's posts when planning with ``previous``.
PREVIOUS_PREFIX = "previous-"


@dataclass(frozen=True)
class Plan:
    """A plan as its directory holds it; see the module docstring."""

    meta: Mapping[str, Any]
    schools: tuple[SchoolRow, ...]
    stations: tuple[StationRow, ...]
    posts: tuple[PostDuty, ...]
    roster: tuple[RosterEntry, ...]
    visits: tuple[Stop, ...]
    routes: tuple[RouteLine, ...]
    coverage: tuple[Coverage, ...]
    roads: Mapping[str, Any] = field(default_factory=dict, compare=False)
    reach: Mapping[str, Any] = field(default_factory=dict, compare=False)
    directory: str | None = field(default=None, compare=False)

    # ------------------------------------------------------------------ figures
    @property
    def periods(self) -> tuple[str, ...]:
        return tuple(self.meta["summary"]["periods"])

    def attained_share(self) -> dict[str, float]:
        """Period → share of schools with a window whose target is met (from coverage rows)."""
        return attained_share(self.coverage)

    @property
    def figures(self) -> PlanSummary:
        """The plan's figures, typed (the ``summary`` of ``plan.json``)."""
        return PlanSummary.from_mapping(self.meta["summary"])

    def window_noun(self, period: str) -> str:
        """"schools" when every school has one window in ``period``, else "school windows" (the
        summary's counts are per school-window: a second wave counts on its own)."""
        rows = [c for c in self.coverage if c.period == period]
        return "schools" if len(rows) == len({c.school_id for c in rows}) else "school windows"

    def summary(self) -> str:
        s = self.meta["summary"]
        lines = [f"Plan for {self.meta['scenario']['name']} (seed {self.meta['scenario']['seed']})"]
        pct = self.meta["parameters"]["officer_presence_pct"]
        for period in self.periods:
            n = s["windows"][period]
            lines.append(
                f"  {period:9s}: three sightings at {s['met'][period]}/{n} {self.window_noun(period)} "
                f"({100 * s['attained_share'][period]:.1f}%); with an officer present ≥ {pct:.0f}% of the window "
                f"at {s['met_strict'][period]}/{n}; a staffed post (护学岗) at {s['schools_with_post'][period]}/{n}"
            )
            lines.append(
                f"  {'':9s}  {s['cars_used'][period]} cars, {s['km_driven'][period]:.1f} km, response within "
                f"{s['response_target_s']} s {100 * s['response_within_target_share'][period]:.1f}% of school-minutes"
            )
        lines.append(f"  posts: {s['posts']} ({s['posts_with_car']} with a parked car), "
                     f"police {s['police']}, auxiliary {s['auxiliary']} (busiest period per station)")
        if s["uncovered"]:
            lines.append(f"  targets missed ({len(s['uncovered'])}):")
            for row in s["uncovered"][:12]:
                lines.append(f"    {row['school_id']} {row['name']} [{row['period']}]: {row['reason']}")
            if len(s["uncovered"]) > 12:
                lines.append(f"    … {len(s['uncovered']) - 12} more in coverage.csv")
        else:
            lines.append("  every school meets its target in every window")
        return "\n".join(lines)

    # ------------------------------------------------------------------ files
    def to_dir(self, path: str | Path, *, force: bool = False, documents: bool = True, with_map: bool = True,
               extra: Mapping[str, bytes] | None = None) -> Path:
        """Write the plan directory: every file, and with ``documents`` the map, the workbook and
        the duty sheets, built in a staging folder beside it and renamed into place in one step
        (the old plan stays until the new one is complete). ``extra`` adds files by name."""

        def fill(folder: Path) -> None:
            write_files(self, folder)
            for name, data in (extra or {}).items():
                (folder / name).write_bytes(data)
            if documents and with_map:
                render_map(folder)
            if documents:
                write_report(folder)
                write_duty_sheets(folder)

        return write_directory(Path(path), fill, force=force, replaceable=is_plan_dir, protect=self.input_paths())

    def input_paths(self) -> list[Path]:
        """The scenario file and the input files the plan was made from (never overwritten)."""
        paths = [Path(v["file"]) for v in self.meta.get("inputs", {}).values() if v.get("file")]
        source = self.meta.get("scenario", {}).get("source")
        return paths + ([Path(source)] if source else [])

    @classmethod
    def from_dir(cls, path: str | Path) -> Plan:
        """The plan a directory holds, every file checked (:func:`geo_patrol.io.plandir.read_plan_rows`)."""
        return cls(**read_plan_rows(Path(path)))

    def explore(self, **kwargs: Any):
        """The plan's coverage map as a folium map, from the plan in memory (``kwargs`` as for
        :func:`geo_patrol.outputs.map.build_map`: ``lang``, ``tiles``...)."""
        return build_map(plan_frames(self), **kwargs)


def attained_share(coverage: Sequence[Coverage]) -> dict[str, float]:
    out: dict[str, list[bool]] = {}
    for row in coverage:
        out.setdefault(row.period, []).append(row.three_sightings)
    return {p: (sum(v) / len(v) if v else 0.0) for p, v in out.items()}


def _versions() -> dict[str, str]:
    out = {"geo_patrol": __version__}
    for name in ("ortools", "pyvrp", "numpy", "scipy", "networkx", "osmium", "folium"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:  # pragma: no cover
            out[name] = "not installed"
    return out


# ---------------------------------------------------------------------------- planning


def make_plan(
    scenario: Scenario,
    *,
    max_posts: int | None = None,
    cars: int | None = None,
    police: int | None = None,
    auxiliary: int | None = None,
    seed: int | None = None,
    time_limit_s: float = 20.0,
    engine: str | None = None,
    previous: Plan | None = None,
    progress: Callable[[str], None] | None = None,
    prepared=None,
    split: bool | None = None,
    workers: int = 1,
    scheduler: str | None = None,
    lang: str = DEFAULT_LANG,
) -> Plan:
    """Plan posts and patrols for ``scenario`` and prove the sightings; see the module docstring.

    ``time_limit_s`` bounds each solver call (posts once, routing once per period); routing
    stops earlier when its fixed iteration budget is spent, which keeps plans reproducible.
    ``previous`` keeps last semester's posts open (as existing sites) where they still serve.
    ``split``, ``workers`` and ``scheduler``: route each station's jurisdiction separately, in
    parallel on Dask (a local cluster of ``workers`` processes, or the cluster at ``scheduler``;
    see :func:`geo_patrol.patrols.planner.route_period`; by default only for large districts).
    ``lang`` (``zh`` or ``en``) is the language of the officer labels, the sources text and the
    documents (``plan.json`` ``outputs.lang``).
    """
    check_lang(lang)
    say = progress or (lambda message: None)
    seed = scenario.seed if seed is None else seed
    engine = engine or DEFAULT_ENGINE
    started = time.perf_counter()
    timing: dict[str, float] = {}
    if previous is not None:
        # last semester's posts become existing sites: they stay where they were
        kept = sorted({(round(p.lon, 6), round(p.lat, 6)) for p in previous.posts})
        sites = tuple(scenario.sites) + tuple(
            Site(f"{PREVIOUS_PREFIX}{i + 1}", lon, lat, existing=True, name="last semester")
            for i, (lon, lat) in enumerate(kept)
        )
        scenario = dataclasses.replace(scenario, sites=sites)
    if prepared is None:
        say("loading the road network and snapping gates")
        t0 = time.perf_counter()
        prepared = prepare(scenario)
        timing["prepare_s"] = time.perf_counter() - t0
    say(f"choosing duty posts for {len(scenario.schools)} schools")
    t0 = time.perf_counter()
    mode = "max_coverage" if max_posts is not None else "min_posts"
    n_kept = sum(1 for site in scenario.sites if site.existing)
    if max_posts is not None and max_posts < n_kept:
        raise InputError(
            f"--posts {max_posts} is below the {n_kept} posts that must stay (existing kiosks"
            + (" and last semester's posts" if previous is not None else "") + ")",
            field="posts", hint=f"use --posts {n_kept} or more" + (", or plan without --previous" if previous else ""),
        )
    release = frozenset(f"S:{site.id}" for site in scenario.sites if site.id.startswith(PREVIOUS_PREFIX))
    posts = plan_posts(prepared, mode=mode, max_posts=max_posts, police=police, auxiliary=auxiliary,
                       time_limit_s=time_limit_s, release=release)
    timing["posts_s"] = time.perf_counter() - t0
    res = resources(scenario, police=police, auxiliary=auxiliary, cars=cars)
    car_share = dict(res.cars)
    patrols = {}
    for period in scenario.periods:
        school_ids = [s.id for s in scenario.schools if period in s.windows]
        say(f"routing {sum(car_share.values())} cars to {len(school_ids)} schools in the {period}")
        t0 = time.perf_counter()
        patrols[period] = route_period(prepared, period, school_ids, car_share, engine=engine,
                                       time_limit_s=time_limit_s, seed=seed, split=split, workers=workers,
                                       scheduler=scheduler)
        timing[f"routing_{period}_s"] = time.perf_counter() - t0
    duties = _with_parking(prepared, posts, patrols, car_share)
    if mode == "max_coverage":
        t0 = time.perf_counter()
        posts, duties, moved = _move_posts(prepared, posts, duties, patrols, car_share, max_posts=max_posts,
                                           police=police, auxiliary=auxiliary, time_limit_s=time_limit_s)
        timing["improve_s"] = time.perf_counter() - t0
        if moved:
            say(f"moved posts where the patrols cannot serve: {moved} more school-window(s) gained")

    say("proving the three sightings and the 135 response school by school")
    t0 = time.perf_counter()
    stops = tuple(s for p in scenario.periods for s in patrols[p].stops)
    solver = {
        "posts": {"mode": posts.mode, "status": posts.solver.status, "objective": _finite(posts.solver.objective),
                  "bound": _finite(posts.solver.bound), "solver": posts.solver.solver,
                  "runtime_s": round(posts.solver.runtime_s, 3)},
        "patrols": {
            p: {"engine": r.result.engine, "status": r.result.status, "objective": int(r.result.objective),
                "stop_reason": r.result.stop_reason, "runtime_s": round(r.result.runtime_s, 3),
                "dropped": [_dropped(r, d) for d in r.result.dropped]}
            for p, r in patrols.items()
        },
    }
    notes = {"solver": solver, "posts_uncovered": [u.to_json() for u in posts.uncovered]}
    plan, proof = plan_from_decisions(prepared, duties, stops, posts.roster, res, seed=seed, notes=notes, lang=lang)
    if proof.violations:
        raise SolverError(f"the planner made a plan that breaks {len(proof.violations)} rule(s) — a bug, please "
                          f"report it with the scenario; the first: {proof.violations[0]}")
    timing["evaluate_s"] = time.perf_counter() - t0
    timing["total_s"] = time.perf_counter() - started
    meta = dict(plan.meta)
    meta["timing_s"] = {k: round(v, 3) for k, v in timing.items()}
    if previous is not None:
        meta["changes_from_previous"] = _changes(previous, duties)
    return dataclasses.replace(plan, meta=meta)


#: In the improvement step, a school that no patrol stop serves weighs this many times more.
UNSERVED_BOOST = 10.0


def _with_parking(prepared, posts, patrols, car_share):
    duties = list(posts.duties)
    for period, patrol in patrols.items():
        duties = _park_spare_cars(prepared, period, duties, patrol, car_share)
    return duties


def _move_posts(prepared, posts, duties, patrols, car_share, *, max_posts, police, auxiliary, time_limit_s):
    """Improve a post budget: put the posts where the patrols cannot serve (issue step 3).

    A patrol stop already shows officer, car and lights; a post at a school the cars serve adds
    nothing to the basic target. The posts are chosen again with the schools that no stop
    serves in some period weighing :data:`UNSERVED_BOOST` times more, and the new choice is kept
    when it meets the target in more school-windows, or as many but shows an officer in more.
    Returns ``(posts, duties, school-windows gained)``.
    """
    scenario = prepared.scenario
    stops = [s for p in patrols.values() for s in p.stops]
    served = {(s.school_id, s.period, w.start_s) for s in stops for w in _counted_in(scenario, s)}
    unserved = {sch.id for sch in scenario.schools for p, w in sch.all_windows()
                if (sch.id, p, w.start_s) not in served}
    if not unserved:
        return posts, duties, 0
    scale = {sid: UNSERVED_BOOST for sid in unserved}
    again = plan_posts(prepared, mode="max_coverage", max_posts=max_posts, police=police, auxiliary=auxiliary,
                       time_limit_s=time_limit_s, warm_start=posts.chosen, weight_scale=scale)
    new_duties = _with_parking(prepared, again, patrols, car_share)

    def score(d):
        rows = evaluate(scenario, d, stops, post_reach=post_reach(prepared, d), sight=prepared.car_sight)
        return sum(c.three_sightings for c in rows), sum(c.officer_seen for c in rows)

    before, after = score(duties), score(new_duties)
    if after > before:
        return again, new_duties, (after[0] - before[0]) or (after[1] - before[1])
    return posts, duties, 0


def _counted_in(scenario, stop) -> list:
    """The windows of its own school a planned stop is seen in for at least ``min_seen_s``."""
    return [w for w in scenario.school(stop.school_id).windows.get(stop.period, ())
            if counts_in_window(stop.arrive_s, stop.depart_s, w, scenario.parameters)]


def _dropped(patrol, d) -> dict[str, Any]:
    """A dropped visit for plan.json, with the school and the window it is for."""
    school_id, start_s = patrol.owner(d.visit_id)
    out = {"visit_id": d.visit_id, "school_id": school_id,
           "window_start": format_time(start_s) if start_s is not None else None,
           "reason": d.reason, "detail": d.detail}
    if d.why is not None:
        out["why"] = d.why.to_json()
    return out


def _with_drop_reasons(coverage, notes):
    """Say why: the routing's reason for a missed car, the post model's for a missed officer (both
    kept in ``plan.json`` as data, so an evaluated plan says the same, in any language)."""
    no_post = {u["school_id"]: Reason.of("no_post", detail=_detail(u)) for u in notes.get("posts_uncovered", ())}
    why = {}
    for period, patrol in notes.get("solver", {}).get("patrols", {}).items():
        for dropped in patrol.get("dropped", ()):
            school_id = dropped.get("school_id") or dropped["visit_id"].split("#")[0]
            start = dropped.get("window_start")
            code = dropped["reason"]
            note = (Reason.of(code, detail=_detail(dropped)) if code in REASON_TEMPLATES else
                    Reason.of("as_written", text=f"{code}: {dropped['detail']}"))
            why.setdefault((school_id, period, start), note)
    out = []
    for row in coverage:
        notes_ = []
        if not row.officer_seen and row.school_id in no_post:
            notes_.append(no_post[row.school_id])
        extra = why.get((row.school_id, row.period, format_time(row.window_start_s)),
                        why.get((row.school_id, row.period, None)))
        if extra and not row.car_seen:
            notes_.append(extra)
        if notes_:
            reasons = tuple(row.why) + tuple(notes_)
            row = dataclasses.replace(row, reason=reason_text(reasons, "en"), why=reasons)
        out.append(row)
    return tuple(out)


def reasons_json(coverage: Sequence[Coverage]) -> list[dict[str, Any]]:
    """``plan.json``'s ``reasons``: the reason data of every missed school-window, in the order of
    ``summary.uncovered`` (the coverage rows whose target is not met)."""
    return [{"school_id": c.school_id, "period": c.period, "window_start": format_time(c.window_start_s),
             "why": [r.to_json() for r in c.why]} for c in coverage if not c.three_sightings]


def _detail(entry: Mapping[str, Any]) -> Reason:
    """The detail of a ``plan.json`` note as data; a note written without it (an older plan) as written."""
    if isinstance(entry.get("why"), Mapping):
        return Reason.from_json(entry["why"])
    return Reason.of("as_written", text=str(entry.get("detail", "")))


def _park_spare_cars(prepared, period, duties, patrol, car_share):
    """Park unused cars at posts whose schools miss a car sighting (module docstring, step 4)."""
    scenario = prepared.scenario
    served = {(s.school_id, w.start_s) for s in patrol.stops for w in _counted_in(scenario, s)}
    in_sight = prepared.car_sight
    used = {s.vehicle_id for s in patrol.stops}
    spare = {}
    for station_id, n in car_share.items():
        ids = [f"{station_id}/{k + 1}" for k in range(n)]
        spare[station_id] = [c for c in ids if c not in used]
    weight = {s.id: school_weight(s) for s in prepared.scenario.schools}
    out = list(duties)
    candidates = []
    for i, duty in enumerate(out):
        if duty.period != period or duty.car_at_post:
            continue
        # a parked car is seen within car_sight_m of the post, like a patrol stop
        near = in_sight.schools_near([duty.lon], [duty.lat])[0]
        missing = [sid for sid in duty.school_ids if sid in near and any(
            (sid, w.start_s) not in served for w in scenario.school(sid).windows.get(period, ()))]
        if missing:
            candidates.append((-sum(weight[s] for s in missing), duty.post_id, i))
    for _, _, i in sorted(candidates):
        duty = out[i]
        if spare.get(duty.station_id):
            spare[duty.station_id].pop(0)
            out[i] = dataclasses.replace(duty, car_at_post=True)
    return out


def plan_from_decisions(prepared, duties, stops, roster, res, *, seed: int,
                        notes: Mapping[str, Any] | None = None, datum: str | None = None,
                        lang: str = DEFAULT_LANG) -> tuple[Plan, Proof]:
    """The :class:`Plan` that a set of decisions makes, and its :class:`~geo_patrol.proof.Proof`.

    The decisions are the posts (where, when, staffed by how many), the roster and the patrol
    stops; everything else — the schools each post and stop is seen by, the sightings, the
    "135" response, the car routes along the roads, the station use and the summary — is derived
    here, by :func:`geo_patrol.proof.prove`. The planner builds its plan through this function,
    and so does ``geo-patrol evaluate`` after a hand edit. ``notes`` carries the planner's own
    explanations into ``plan.json`` (solver statuses, why a visit or a post was dropped).
    ``datum`` is the output datum the files show coordinates in (default: the scenario's); every
    point is held as reading the files back gives it (:func:`geo_patrol.io.plandir.canonical_lonlat`).
    ``lang`` is the output language of the labels and documents (``outputs.lang``). Each school's
    row carries the school side of its posts' team: its own, else the ``school_team`` parameter.
    """
    scenario = prepared.scenario
    notes = dict(notes or {})
    datum = scenario.output_datum if datum is None else datum

    def canon(lon: float, lat: float) -> tuple[float, float]:
        return canonical_lonlat(lon, lat, datum)

    duties = tuple(dataclasses.replace(d, lon=canon(d.lon, d.lat)[0], lat=canon(d.lon, d.lat)[1]) for d in duties)
    stops = tuple(dataclasses.replace(s, lon=canon(s.lon, s.lat)[0], lat=canon(s.lon, s.lat)[1],
                                      stop_lon=canon(s.stop_lon, s.stop_lat)[0],
                                      stop_lat=canon(s.stop_lon, s.stop_lat)[1]) for s in stops)
    proof = prove(prepared, duties, stops, roster, res)
    coverage = _with_drop_reasons(proof.coverage, notes)
    gates0 = {g.school_id: g for g in prepared.gates if g.gate_index == 0}
    schools = tuple(
        SchoolRow(
            s.id, s.name, s.kind, *canon(gates0[s.id].lon, gates0[s.id].lat), s.enrolment, s.priority,
            *("; ".join(map(str, s.windows[p])) if p in s.windows else "" for p in ("morning", "noon", "afternoon")),
            tuple(s.team(scenario.parameters.school_team).items()),
        )
        for s in scenario.schools
    )
    routes = []
    for period, by_car in proof.lines.items():
        for car in sorted(by_car):
            line = by_car[car]
            own = [s for s in proof.stops if s.vehicle_id == car and s.period == period]
            routes.append(RouteLine(
                car, own[0].station_id, period, line[0][2], line[-1][2], round(_line_km(line), 3), len(own),
                tuple((x, y) for x, y, _ in line), tuple(t for _, _, t in line),
            ))
    officers: dict[tuple[str, str, str], set[str]] = {}
    for entry in roster:
        officers.setdefault((entry.station_id, entry.period, entry.role), set()).add(entry.officer)
    stations = []
    for st in scenario.stations + scenario.pools:
        use = {}
        for period in scenario.periods:
            cars_used = len({s.vehicle_id for s in stops if s.station_id == st.id and s.period == period})
            cars_used += sum(1 for d in duties if d.station_id == st.id and d.period == period and d.car_at_post)
            use[period] = (len(officers.get((st.id, period, "police"), ())),
                           len(officers.get((st.id, period, "auxiliary"), ())), cars_used)
        stations.append(StationRow(st.id, st.name, *canon(st.lon, st.lat), res.police[st.id],
                                   res.auxiliary[st.id], res.cars.get(st.id, 0), use, kind=st.kind))
    meta = build_meta(scenario, proof.posts, proof.stops, tuple(routes), coverage, tuple(stations), seed=seed)
    meta["resources"] = dict(res.overrides)
    meta["outputs"] = {"datum": datum, "lang": check_lang(lang)}
    meta.update(notes)
    meta["reasons"] = reasons_json(coverage)
    plan = Plan(meta=meta, schools=schools, stations=tuple(stations), posts=tuple(duties), roster=tuple(roster),
                visits=tuple(stops), routes=tuple(routes), coverage=coverage, roads=roads_geojson(prepared.network),
                reach=reach_geojson(prepared, proof.posts, proof.stops))
    return plan, proof


def _finite(value) -> float | None:
    """A number for plan.json, or ``None`` when there is none (JSON has no NaN or Infinity)."""
    return float(value) if value is not None and np.isfinite(value) else None


def _line_km(line) -> float:
    if len(line) < 2:
        return 0.0
    arr = np.array([(x, y) for x, y, _ in line])
    return float(np.sum(haversine_m(arr[:-1, 0], arr[:-1, 1], arr[1:, 0], arr[1:, 1])) / 1000.0)


def _changes(previous: Plan, duties) -> dict[str, Any]:
    """What moved since the previous plan, and why (posts are matched by position)."""
    old: dict[tuple, set] = {}
    old_id = {}
    for p in previous.posts:
        old.setdefault((p.lon, p.lat), set()).update(p.school_ids)
        old_id[(p.lon, p.lat)] = p.post_id
    new: dict[tuple, set] = {}
    new_id = {}
    for d in duties:
        new.setdefault((d.lon, d.lat), set()).update(d.school_ids)
        new_id[(d.lon, d.lat)] = d.post_id
    served_before = set().union(*old.values()) if old else set()
    return {
        "kept": len(set(old) & set(new)),
        "removed": [{"post_id": old_id[k], "reason": "serves no school of this scenario any more"}
                    for k in sorted(set(old) - set(new))],
        "added": [{"post_id": new_id[k], "schools": sorted(new[k]),
                   "reason": "schools without a post before: " + ", ".join(sorted(new[k] - served_before))
                   if new[k] - served_before else "replaces a post of the previous plan"}
                  for k in sorted(set(new) - set(old))],
    }


def creation_time(tz: str) -> str:
    """The one instant every output of a plan carries, ISO 8601 in the scenario's time zone.

    With ``SOURCE_DATE_EPOCH`` set (the reproducible-builds convention: seconds since 1970) that
    instant, so two runs write identical files; otherwise now."""
    zone = zoneinfo.ZoneInfo(tz)
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "").strip()
    if epoch.isdigit():
        when = datetime.fromtimestamp(int(epoch), tz=zone)
    else:
        when = datetime.now(zone)
    return when.replace(microsecond=0).isoformat()


def build_meta(scenario: Scenario, duties, stops, routes, coverage, stations, *, seed: int) -> dict[str, Any]:
    """plan.json without solver and timing details: every figure derives from the CSV rows."""
    params = scenario.parameters
    periods = list(scenario.periods)
    names = {s.id: s.name for s in scenario.schools}
    windows = {p: sum(1 for c in coverage if c.period == p) for p in periods}
    met = {p: sum(1 for c in coverage if c.period == p and c.three_sightings) for p in periods}
    met_strict = {p: sum(1 for c in coverage if c.period == p and c.strict_met) for p in periods}
    with_post = {p: sum(1 for c in coverage if c.period == p and c.post_present) for p in periods}
    within = {}
    for p in periods:
        rows = [c for c in coverage if c.period == p]
        within[p] = round(float(np.mean([c.within_target_pct for c in rows])) / 100.0, 4) if rows else 0.0
    summary = {
        "schools": len(scenario.schools),
        "periods": periods,
        "windows": windows,
        "met": met,
        "met_strict": met_strict,
        "schools_with_post": with_post,
        "attained_share": {p: round(met[p] / windows[p], 4) if windows[p] else 0.0 for p in periods},
        "posts": len({d.post_id for d in duties}),
        "posts_with_car": len({d.post_id for d in duties if d.car_at_post}),
        "police": sum(max((s.use[p][0] for p in periods), default=0) for s in stations),
        "auxiliary": sum(max((s.use[p][1] for p in periods), default=0) for s in stations),
        "cars_used": {p: sum(s.use[p][2] for s in stations) for p in periods},
        "km_driven": {p: round(sum(r.drive_km for r in routes if r.period == p), 3) for p in periods},
        "stops": {p: sum(1 for s in stops if s.period == p) for p in periods},
        "response_target_s": params.response_target_s,
        "response_within_target_share": within,
        "uncovered": [
            {"school_id": c.school_id, "name": names.get(c.school_id, ""), "period": c.period, "reason": c.reason}
            for c in coverage if not c.three_sightings
        ],
    }
    inputs = {}
    for key, path in sorted(scenario.input_files.items()):
        inputs[key] = {"file": str(path), "sha256": sha256_file(path) if Path(path).is_file() else None}
    return {
        "format": FORMAT,
        "scenario": {"name": scenario.name, "seed": seed,
                     "source": str(scenario.source) if scenario.source else None},
        "parameters": _jsonable(dataclasses.asdict(params)),
        "inputs": inputs,
        "summary": summary,
        "versions": _versions(),
        "created": creation_time(scenario.timezone),
    }


def _jsonable(value):
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    return value
