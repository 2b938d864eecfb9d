"""What-if sweeps: what each extra post, officer or car buys.

:func:`posts_sweep` varies the post budget (posts only, fast): covered schools and enrolment,
officers needed per station, the marginal gain of the last step and which schools it adds. Each
budget warm-starts from the previous choice, and coverage never goes down as the budget grows:
when a larger budget's solve returns less (a time limit, or a station out of officers), the
previous step's posts are kept.

:func:`plan_sweep` varies posts, police or cars through the whole plan (posts, patrols and the
sightings proof) and reports the attained share per period.

Both return their rows (one dict per value swept); :func:`write_posts_sweep` and
:func:`write_plan_sweep` write them as a CSV and a PNG curve (temporary file, then rename).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from geo_patrol.errors import BudgetError
from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import csv_text
from geo_patrol.outputs.charts import plot_whatif
from geo_patrol.plan import make_plan
from geo_patrol.posts.planner import PostPlan, candidate_sites, coverage_distance, plan_posts
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare

__all__ = ["POSTS_COLUMNS", "PostsSweep", "plan_sweep", "posts_sweep", "write_plan_sweep", "write_posts_sweep"]

#: The columns of a posts sweep a person reads first (the CSV has them all).
POSTS_COLUMNS = ("posts", "posts_used", "covered_schools", "covered_enrolment", "marginal_gain_per_post",
                 "police_needed", "auxiliary_needed", "note")


@dataclass(frozen=True)
class PostsSweep:
    """A post-budget sweep: one row per budget, and the largest budget's posts to take further."""

    rows: tuple[dict, ...]
    largest: PostPlan


def _write_rows(path: Path, rows: Sequence[dict]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    columns = list(rows[0])
    return write_atomic(path, csv_text(columns, ([r[c] for c in columns] for r in rows)))


def posts_sweep(
    scenario: Scenario,
    budgets: Sequence[int],
    *,
    police: int | None = None,
    auxiliary: int | None = None,
    time_limit_s: float = 20.0,
    progress: Callable[[str], None] | None = None,
) -> PostsSweep:
    """Sweep the post budget (see the module docstring)."""
    say = progress or (lambda m: None)
    say("loading the road network and snapping gates")
    prepared = prepare(scenario)
    sites = candidate_sites(prepared)
    distance = coverage_distance(prepared, sites)
    enrolment = {s.id: s.enrolment for s in scenario.schools}
    rows, previous, previous_budget = [], None, 0
    for budget in sorted(budgets):
        say(f"{budget} posts")
        try:
            plan = plan_posts(prepared, mode="max_coverage", max_posts=budget, police=police, auxiliary=auxiliary,
                              time_limit_s=time_limit_s, warm_start=previous.chosen if previous else None,
                              sites=sites, distance=distance)
        except BudgetError as exc:
            rows.append({**{k: "" for k in _POSTS_ROW}, "posts": budget,
                         "note": f"below the {exc.needed} posts the required schools (必设岗) need"})
            continue
        if previous is not None and plan.covered_weight < previous.covered_weight - 1e-9:
            plan = previous
        rows.append(_posts_row(plan, budget, previous, budget - previous_budget, enrolment))
        previous, previous_budget = plan, budget
    if previous is None:
        raise BudgetError(f"every budget of the sweep is below the posts the required schools need "
                          f"({rows[-1]['note']})", field="posts", needed=0,
                          hint="sweep larger budgets, or clear 必设岗 for some schools")
    return PostsSweep(tuple(rows), previous)


def _posts_row(plan: PostPlan, budget: int, previous: PostPlan | None, step: int,
               enrolment: Mapping[str, int]) -> dict:
    """A budget's row of the posts sweep: what its posts cover, and what the ``step`` more posts
    than the ``previous`` budget's bought."""
    covered = plan.covered_school_ids()
    before = previous.covered_school_ids() if previous else set()
    gain = plan.covered_weight - (previous.covered_weight if previous else 0.0)
    needed = plan.officers_needed()
    return {
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
        "note": "",
    }


_POSTS_ROW = ("posts", "posts_used", "covered_schools", "covered_enrolment", "covered_weight",
              "marginal_gain_per_post", "police_needed", "auxiliary_needed", "officers_per_station", "added_schools")


def write_posts_sweep(sweep: PostsSweep, out_dir: str | Path) -> list[Path]:
    """``posts_sweep.csv``, ``posts_sweep.png`` and the largest budget's post plan
    (``posts_<K>/``: posts, roster and reasons, for the planner to take further); returns the paths."""
    out_dir = Path(out_dir)
    largest = out_dir / f"posts_{max(r['posts'] for r in sweep.rows if r['posts_used'] != '')}"
    return [
        _write_rows(out_dir / "posts_sweep.csv", sweep.rows),
        plot_whatif([r for r in sweep.rows if r["posts_used"] != ""], x="posts", y="covered_schools",
                    out=out_dir / "posts_sweep.png"),
        sweep.largest.to_dir(largest, force=True),
    ]


def plan_sweep(
    scenario: Scenario,
    resource: str,
    values: Sequence[int],
    *,
    time_limit_s: float = 10.0,
    seed: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> list[dict]:
    """Plan end to end for each value of ``resource`` (posts, police or cars); one row per value."""
    say = progress or (lambda m: None)
    if resource not in ("posts", "police", "cars"):
        raise ValueError(resource)
    say("loading the road network and snapping gates")
    prepared = prepare(scenario)
    rows = []
    for value in sorted(values):
        say(f"{resource} = {value}")
        kwargs = {"max_posts" if resource == "posts" else resource: value}
        try:
            plan = make_plan(scenario, seed=seed, time_limit_s=time_limit_s, prepared=prepared, **kwargs)
        except BudgetError as exc:
            rows.append({resource: value, "note": f"below the {exc.needed} posts the required schools need"})
            continue
        rows.append(_sweep_row(plan.meta["summary"], resource, value))
    columns = list(dict.fromkeys(k for row in rows for k in row))
    columns.append(columns.pop(columns.index("note")))
    return [{k: row.get(k, "") for k in columns} for row in rows]


def _sweep_row(s: Mapping, resource: str, value: int) -> dict:
    """A value's row of the sweep, from its plan's summary: the shares per period, then what it used."""
    row: dict = {resource: value}
    for period in s["periods"]:
        row[f"attained_{period}"] = s["attained_share"][period]
    for period in s["periods"]:
        n = s["windows"][period]
        row[f"strict_{period}"] = round(s["met_strict"][period] / n, 4) if n else 0.0
        row[f"with_post_{period}"] = round(s["schools_with_post"][period] / n, 4) if n else 0.0
    used = {"posts": s["posts"], "police": s["police"], "auxiliary": s["auxiliary"]}
    # the swept value keeps its column (the curve's x axis); what the plan used goes beside it
    row.update({(f"{k}_used" if k == resource else k): v for k, v in used.items()})
    row.update(cars_used=max(s["cars_used"].values()), km=round(sum(s["km_driven"].values()), 1), note="")
    return row


def write_plan_sweep(rows: Sequence[dict], resource: str, out_dir: str | Path) -> list[Path]:
    """``whatif_<resource>.csv`` and ``whatif_<resource>.png``; returns the paths."""
    out_dir = Path(out_dir)
    return [
        _write_rows(out_dir / f"whatif_{resource}.csv", rows),
        plot_whatif([r for r in rows if not r["note"]], x=resource,
                    y=[k for k in rows[0] if k.startswith("attained_")], out=out_dir / f"whatif_{resource}.png"),
    ]
