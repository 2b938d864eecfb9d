"""``geo-patrol evaluate``: check a plan directory a planner edited by hand, and rebuild it.

The CSV files are the interface. The decisions are read back as they are now — ``posts.csv``
(where and when each post stands, how many staff it), ``rosters.csv`` (who) and ``visits.csv``
(which car stops where and when) — and nothing else of the old plan is trusted: the proof
(:func:`geo_patrol.proof.prove`) checks every decision against the scenario and the road network,
the breaching posts and stops earn nothing, and the whole plan is derived again from the rest
through the same function the planner uses (:func:`geo_patrol.plan.plan_from_decisions`):
coverage, routes along the roads between the edited stops, the "135" reach, the summary, the map,
the workbook and the duty sheets, in the plan's output language (``outputs.lang``). The folder is
replaced in one step.

Every breach is written to ``violations.csv`` (file, row, field, rule, detail) and reported; the
command's exit code is 3 when there is any (2 for input it cannot read at all). When an input
file of the scenario changed since the plan was made (its SHA-256 differs from the one in
``plan.json``), the evaluation says so.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from pathlib import Path

from geo_patrol.hashing import sha256_file
from geo_patrol.io.plandir import (
    csv_text,
    output_datum,
    output_lang,
    read_meta,
    read_posts,
    read_roster,
    read_visits,
    violation_cells,
)
from geo_patrol.model import Coverage
from geo_patrol.plan import Plan, plan_from_decisions
from geo_patrol.proof import Violation, resources
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare

__all__ = ["Evaluation", "changed_inputs", "evaluate_plan_dir"]


@dataclass(frozen=True)
class Evaluation:
    """The rebuilt plan, its breaches, warnings about changed inputs, and a report for people."""

    plan: Plan
    violations: tuple[Violation, ...]
    warnings: tuple[str, ...]
    text: str

    @property
    def coverage(self) -> tuple[Coverage, ...]:
        return self.plan.coverage


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


def evaluate_plan_dir(scenario: Scenario, folder: Path, *, documents: bool = True) -> Evaluation:
    """Check the plan in ``folder``, rebuild it from its decisions and write it back (module docstring)."""
    folder = Path(folder)
    meta = read_meta(folder)
    warnings = changed_inputs(scenario, meta)
    if meta.get("day_type"):  # a plan of one day type of a semester: that day's windows, sites, parameters
        if scenario.calendar is not None and scenario.calendar.plan_within_cap:
            scenario = scenario.within_cap()[0]
        scenario = scenario.for_day(scenario.day_type(str(meta["day_type"])))
    posts, visits, roster = read_posts(folder), read_visits(folder), read_roster(folder)
    prepared = prepare(scenario)
    overrides = meta.get("resources") or {}
    res = resources(scenario, police=overrides.get("police"), auxiliary=overrides.get("auxiliary"),
                    cars=overrides.get("cars"))
    notes = {key: meta[key] for key in ("solver", "posts_uncovered") if key in meta}
    seed = int(meta.get("scenario", {}).get("seed", scenario.seed))
    plan, proof = plan_from_decisions(prepared, posts, visits, roster, res, seed=seed, notes=notes,
                                      datum=output_datum(meta), lang=output_lang(meta))
    rebuilt = dict(plan.meta)
    for key in ("timing_s", "changes_from_previous", "day_type"):
        if key in meta:
            rebuilt[key] = meta[key]
    rebuilt["created"] = meta.get("created", rebuilt["created"])
    rebuilt["evaluated"] = {"at": plan.meta["created"], "violations": len(proof.violations), "warnings": warnings}
    plan = dataclasses.replace(plan, meta=rebuilt)
    plan.to_dir(folder, force=True, documents=documents,
                extra={"violations.csv": csv_text(*violation_cells(proof.violations))})
    plan = dataclasses.replace(plan, directory=str(folder))
    return Evaluation(plan, proof.violations, tuple(warnings), _report(plan, proof.violations, folder))


def _report(plan: Plan, violations, folder: Path) -> str:
    s = plan.meta["summary"]
    lines = [f"Evaluated {folder}: {len(plan.posts)} post rows, {len(plan.visits)} stops, "
             f"{len(violations)} breach(es) of the rules"]
    for period in plan.periods:
        n = s["windows"][period]
        lines.append(f"  {period:9s}: three sightings at {s['met'][period]}/{n} {plan.window_noun(period)} "
                     f"({100 * s['attained_share'][period]:.1f}%); officer present ≥ "
                     f"{plan.meta['parameters']['officer_presence_pct']:.0f}% at {s['met_strict'][period]}/{n}; "
                     f"a staffed post at {s['schools_with_post'][period]}/{n}")
    for v in violations[:20]:
        lines.append(f"  breach: {v}")
    if len(violations) > 20:
        lines.append(f"  … {len(violations) - 20} more in violations.csv")
    for row in s["uncovered"][:12]:
        lines.append(f"    {row['school_id']} {row['name']} [{row['period']}]: {row['reason']}")
    return "\n".join(lines)
