"""Evaluate a plan directory that a planner edited by hand (the CSV files are the interface).

``posts.csv`` and ``visits.csv`` are read back as they are now, checked against the scenario,
and the three sightings and the "135" response are derived again from them alone; the result
replaces ``coverage.csv`` and the coverage figures of ``plan.json``. When an input file of the
scenario changed since the plan was made (its SHA-256 differs from the one in ``plan.json``),
the evaluation says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

import numpy as np

from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import (
    TABLES,
    coverage_cells,
    csv_text,
    json_text,
    read_meta,
    read_posts,
    read_table,
    read_visits,
)
from geo_patrol.model import Coverage
from geo_patrol.network import snap
from geo_patrol.patrols.planner import car_tracks, time_to_schools
from geo_patrol.plan import attained_share, sha256_file
from geo_patrol.scenario import Scenario
from geo_patrol.sightings import evaluate
from geo_patrol.snapping import prepare


@dataclass(frozen=True)
class Evaluation:
    coverage: tuple[Coverage, ...]
    warnings: tuple[str, ...]
    text: str


def changed_inputs(scenario: Scenario, meta: dict) -> list[str]:
    """Input files whose SHA-256 differs from the one recorded in plan.json."""
    out = []
    for key, recorded in meta.get("inputs", {}).items():
        path = scenario.input_files.get(key)
        if path is None or not Path(path).is_file():
            continue
        if recorded.get("sha256") and sha256_file(Path(path)) != recorded["sha256"]:
            out.append(f"{Path(path).name} changed since the plan was made (SHA-256 differs)")
    return out


def _check_ids(scenario: Scenario, folder: Path, posts, visits) -> None:
    schools = {s.id: s for s in scenario.schools}
    stations = {s.id for s in scenario.stations}
    for n, post in enumerate(posts, start=2):
        for sid in post.school_ids:
            if sid not in schools:
                raise InputError(f"school '{sid}' is not in the scenario", file=folder / "posts.csv", row=n,
                                 field="school_ids", hint="use school ids from schools.csv")
        if post.station_id not in stations:
            raise InputError(f"station '{post.station_id}' is not in the scenario", file=folder / "posts.csv",
                             row=n, field="station_id", hint="use a station id from the stations file")
        if post.period not in scenario.periods:
            raise InputError(f"period '{post.period}' is not planned", file=folder / "posts.csv", row=n,
                             field="period", hint="use " + ", ".join(scenario.periods))
    for n, stop in enumerate(visits, start=2):
        if stop.school_id not in schools:
            raise InputError(f"school '{stop.school_id}' is not in the scenario", file=folder / "visits.csv", row=n,
                             field="school_id", hint="use school ids from schools.csv")
        if stop.period not in scenario.periods:
            raise InputError(f"period '{stop.period}' is not planned", file=folder / "visits.csv", row=n,
                             field="period", hint="use " + ", ".join(scenario.periods))


def evaluate_plan_dir(scenario: Scenario, folder: Path) -> Evaluation:
    """Re-derive coverage from the plan's posts and visits and write it into the folder."""
    folder = Path(folder)
    meta_path = folder / "plan.json"
    if not meta_path.is_file():
        raise InputError("is missing", file=meta_path, hint="give the folder written by geo-patrol plan")
    meta = read_meta(folder)
    warnings = changed_inputs(scenario, meta)
    posts, visits = read_posts(folder), read_visits(folder)
    _check_ids(scenario, folder, posts, visits)
    prepared = prepare(scenario)
    if posts:
        nodes, _ = snap(prepared.network, np.array([p.lon for p in posts]), np.array([p.lat for p in posts]))
        posts = tuple(dataclasses.replace(p, node=int(n)) for p, n in zip(posts, nodes))
    if visits:
        nodes, _ = snap(prepared.network, np.array([v.lon for v in visits]), np.array([v.lat for v in visits]))
        visits = tuple(dataclasses.replace(v, node=int(n)) for v, n in zip(visits, nodes))
    cars = {r["station_id"]: r["cars"] for r in read_table(folder / "stations.csv", TABLES["stations.csv"]).records}
    tracks = {p: car_tracks(prepared, p, [v for v in visits if v.period == p], cars)[0] for p in scenario.periods}
    to_school = {p: time_to_schools(prepared, p) for p in scenario.periods}
    coverage = evaluate(scenario, posts, visits, tracks=tracks, time_to_school=lambda s, p: to_school[p](s))

    share = attained_share(coverage)
    summary = meta.setdefault("summary", {})
    names = {s.id: s.name for s in scenario.schools}
    summary["met"] = {p: sum(1 for c in coverage if c.period == p and c.three_sightings) for p in scenario.periods}
    summary["attained_share"] = {p: round(v, 4) for p, v in share.items()}
    summary["response_within_target_share"] = {
        p: round(float(np.mean([c.within_target_pct for c in coverage if c.period == p])) / 100.0, 4)
        for p in scenario.periods
    }
    summary["uncovered"] = [
        {"school_id": c.school_id, "name": names.get(c.school_id, ""), "period": c.period, "reason": c.reason}
        for c in coverage if not c.three_sightings
    ]
    meta["evaluated"] = {"at": datetime.now(timezone.utc).replace(microsecond=0).isoformat(),
                         "warnings": warnings}
    write_atomic(folder / "coverage.csv", csv_text(*coverage_cells(coverage)))
    write_atomic(meta_path, json_text(meta))

    lines = [f"Evaluated {folder}: {len(posts)} post rows, {len(visits)} stops"]
    for p in scenario.periods:
        lines.append(f"  {p:9s}: three sightings at {summary['met'][p]} schools ({100 * share.get(p, 0):.1f}%)")
    for row in summary["uncovered"][:12]:
        lines.append(f"    {row['school_id']} {row['name']} [{row['period']}]: {row['reason']}")
    return Evaluation(coverage, tuple(warnings), "\n".join(lines))
