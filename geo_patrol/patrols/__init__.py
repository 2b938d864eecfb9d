"""Patrol-car routing: which car stops at which school gate when.

Model (see :mod:`geo_patrol.patrols.model`): cars leave their station inside their
availability, stop ``dwell_s`` at gates with each stop starting inside the gate's window,
visits of one school and period start ``min_gap_s`` apart, and come back in time. Objective,
lexicographic: serve as much priority weight as the fleet allows, then drive as little as
possible. Dropping a visit is a state of the result (with a reason), never an exception.

Entry point: :func:`solve` with ``engine="pyvrp"`` or ``"ortools"``.

Reproducibility: the search stops after a work budget (``iterations``: PyVRP ILS iterations,
OR-Tools GLS solutions), which gives the same routes for the same inputs and seed on any
machine. ``time_limit_s`` is a wall-clock cap on top; when it stops the search first
(``result.stop_reason == "time_limit"``), the result depends on the machine's speed. With
``iterations=None`` the budget is derived from ``time_limit_s`` with a deliberately
conservative rate (see :func:`default_iterations`), so that the budget, not the clock,
normally ends the search.
"""

from __future__ import annotations

import dataclasses
import logging
import math

from geo_patrol.errors import InputError
from geo_patrol.patrols.explain import explain_dropped
from geo_patrol.patrols.model import (
    REASONS,
    UNREACHABLE_S,
    DroppedVisit,
    GateWindow,
    Route,
    RoutingProblem,
    RoutingResult,
    Station,
    Stop,
    Vehicle,
    Visit,
    build_problem,
    check_feasible,
    clock,
)
from geo_patrol.patrols.ortools_engine import solve_ortools
from geo_patrol.patrols.pyvrp_engine import solve_pyvrp

log = logging.getLogger(__name__)

ENGINES = ("pyvrp", "ortools")

#: Default engine. Measured with ``benchmarks/patrol_engines.py --instances 4 --time-limit 20``
#: (generated districts of 287–359 visits, 12–28 cars, both engines with staggered gap slots):
#: served weight PyVRP / OR-Tools 447/435, 346/326, 398/377, 592/588 of 463, 593, 609, 607;
#: all results feasible. On Solomon, PyVRP at 30 s matched the distance-minimising best-known
#: value on 22 of the first 23 instances.
DEFAULT_ENGINE = "pyvrp"

# Work rates (iterations per second) used to turn a time limit into a deterministic budget.
# Measured on the development machine (2 shared cores, 90–360 visits, 4–28 cars): PyVRP
# 240–610 ILS iterations/s, OR-Tools GLS with the exact gap constraint 2–58 solutions/s,
# roughly independent of size. The rates below are about half the typical values so that
# the budget, not the clock, usually ends the search.
_RATE_PER_S = {"pyvrp": 250.0, "ortools": 8.0}


def default_iterations(problem: RoutingProblem, engine: str, time_limit_s: float) -> int:
    """Deterministic work budget for about ``time_limit_s`` seconds of ``engine``."""
    return max(20, int(math.ceil(_RATE_PER_S[engine] * float(time_limit_s))))


def solve(
    problem: RoutingProblem,
    *,
    engine: str = DEFAULT_ENGINE,
    time_limit_s: float = 10.0,
    seed: int = 0,
    iterations: int | None = None,
    explain: bool = True,
) -> RoutingResult:
    """Route the patrol cars of ``problem``.

    Parameters
    ----------
    engine:
        ``"pyvrp"`` or ``"ortools"``.
    time_limit_s:
        Wall-clock cap in seconds.
    seed:
        Random seed; same inputs, seed and ``iterations`` give the same routes.
    iterations:
        Work budget (PyVRP iterations / OR-Tools GLS solutions); None derives it from
        ``time_limit_s`` (:func:`default_iterations`).
    explain:
        Fill in why each dropped visit is dropped (:func:`explain_dropped`; a few extra
        small solves when visits are dropped for lack of fleet time).
    """
    if engine not in ENGINES:
        raise InputError(
            f"unknown routing engine {engine!r}",
            field="engine",
            hint=f"use one of {', '.join(ENGINES)}",
        )
    if not (time_limit_s > 0):
        raise InputError(
            f"time limit must be positive, got {time_limit_s}", field="time_limit_s"
        )
    if iterations is None:
        iterations = default_iterations(problem, engine, time_limit_s)
    elif iterations < 1:
        raise InputError(f"iterations must be >= 1, got {iterations}", field="iterations")
    run = solve_pyvrp if engine == "pyvrp" else solve_ortools
    result = run(problem, time_limit_s=time_limit_s, iterations=iterations, seed=seed)
    log.info("%s: %s", engine, result.summary().replace("\n", "; "))
    if explain and result.dropped:
        result = dataclasses.replace(
            result, dropped=explain_dropped(problem, result)
        )
    return result


__all__ = [
    "DEFAULT_ENGINE",
    "ENGINES",
    "REASONS",
    "UNREACHABLE_S",
    "DroppedVisit",
    "GateWindow",
    "Route",
    "RoutingProblem",
    "RoutingResult",
    "Station",
    "Stop",
    "Vehicle",
    "Visit",
    "build_problem",
    "check_feasible",
    "clock",
    "default_iterations",
    "explain_dropped",
    "solve",
]
