"""What-if sweeps: what each extra post, officer or car buys.

:func:`posts_sweep` varies the post budget (posts only, fast): covered schools and enrolment,
officers needed per station, the marginal gain of the last step and which schools it adds. Each
budget warm-starts from the previous choice, and coverage never goes down as the budget grows:
when a larger budget's solve returns less (a time limit, or a station out of officers), the
previous step's posts are kept.

:func:`plan_sweep` varies posts, police or cars through the whole plan (posts, patrols and the
sightings proof) and reports the attained share per period.

Both write a CSV and a PNG curve into ``out_dir`` (temporary file, then rename).
"""

from __future__ import annotations

import csv
import os
from pathlib import Path
from typing import Callable, Sequence

from geo_patrol.posts.planner import PostPlan, candidate_sites, coverage_distance, plan_posts
from geo_patrol.prepare import prepare
from geo_patrol.scenario import Scenario


def _write_rows(path: Path, rows: list[dict]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with open(tmp, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    os.replace(tmp, path)


def _table(rows: list[dict], columns: Sequence[str]) -> str:
    from geo_patrol.cli import _table as text_table

    return text_table(columns, [[r[c] for c in columns] for r in rows])


def posts_sweep(
    scenario: Scenario,
    budgets: Sequence[int],
    *,
    police: int | None = None,
    auxiliary: int | None = None,
    time_limit_s: float = 20.0,
    out_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Sweep the post budget; return the table as text (and write CSV + PNG to ``out_dir``)."""
    say = progress or (lambda m: None)
    say("loading the road network and snapping gates")
    prepared = prepare(scenario)
    sites = candidate_sites(prepared)
    distance = coverage_distance(prepared, sites)
    enrolment = {s.id: s.enrolment for s in scenario.schools}
    rows, previous = [], None
    for budget in sorted(budgets):
        say(f"{budget} posts")
        plan = plan_posts(prepared, mode="max_coverage", max_posts=budget, police=police, auxiliary=auxiliary,
                          time_limit_s=time_limit_s, warm_start=previous.chosen if previous else None,
                          sites=sites, distance=distance)
        if previous is not None and plan.covered_weight < previous.covered_weight - 1e-9:
            plan = previous
        covered = plan.covered_school_ids()
        before = previous.covered_school_ids() if previous else set()
        step = budget - (rows[-1]["posts"] if rows else 0)
        gain = plan.covered_weight - (previous.covered_weight if previous else 0.0)
        needed = plan.officers_needed()
        rows.append({
            "posts": budget,
            "posts_used": plan.n_posts,
            "covered_schools": len(covered),
            "covered_enrolment": sum(enrolment[s] for s in covered),
            "covered_weight": round(plan.covered_weight, 2),
            "marginal_gain_per_post": round(gain / step, 3) if step else 0.0,
            "police_needed": sum(p for p, _ in needed.values()),
            "auxiliary_needed": sum(a for _, a in needed.values()),
            "officers_per_station": ";".join(f"{k}:{p}+{a}" for k, (p, a) in sorted(needed.items()) if p or a),
            "added_schools": ";".join(sorted(covered - before)),
        })
        previous = plan
    if out_dir is not None:
        from geo_patrol.report import plot_whatif

        # the largest budget's posts, roster and reasons, for the planner to take further
        previous.to_dir(Path(out_dir) / f"posts_{max(budgets)}", force=True)
        _write_rows(Path(out_dir) / "posts_sweep.csv", rows)
        plot_whatif(rows, x="posts", y="covered_schools", out=Path(out_dir) / "posts_sweep.png")
    return _table(rows, ["posts", "posts_used", "covered_schools", "covered_enrolment", "marginal_gain_per_post",
                         "police_needed", "auxiliary_needed"])


def plan_sweep(
    scenario: Scenario,
    resource: str,
    values: Sequence[int],
    *,
    time_limit_s: float = 10.0,
    seed: int | None = None,
    out_dir: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> str:
    """Plan end to end for each value of ``resource`` (posts, police or cars)."""
    from geo_patrol.plan import make_plan

    say = progress or (lambda m: None)
    if resource not in ("posts", "police", "cars"):
        raise ValueError(resource)
    say("loading the road network and snapping gates")
    prepared = prepare(scenario)
    rows = []
    for value in sorted(values):
        say(f"{resource} = {value}")
        kwargs = {"max_posts" if resource == "posts" else resource: value}
        plan = make_plan(scenario, seed=seed, time_limit_s=time_limit_s, prepared=prepared, **kwargs)
        s = plan.meta["summary"]
        row = {resource: value}
        for period in s["periods"]:
            row[f"attained_{period}"] = s["attained_share"][period]
        row.update(posts=s["posts"], police=s["police"], auxiliary=s["auxiliary"],
                   cars_used=max(s["cars_used"].values()), km=round(sum(s["km_driven"].values()), 1))
        rows.append(row)
    if out_dir is not None:
        from geo_patrol.report import plot_whatif

        _write_rows(Path(out_dir) / f"whatif_{resource}.csv", rows)
        plot_whatif(rows, x=resource, y=[k for k in rows[0] if k.startswith("attained_")],
                    out=Path(out_dir) / f"whatif_{resource}.png")
    return _table(rows, list(rows[0]))
