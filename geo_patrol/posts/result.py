"""The result of every duty-post location model."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

#: Values of :attr:`LocationResult.status`.
STATUSES = (
    "optimal",  # proved optimal (within the requested relative gap)
    "feasible",  # a solution, optimality not proved (time limit)
    "infeasible",  # no plan satisfies the constraints (e.g. a required row out of reach)
    "no_solution",  # the time limit ended before any solution was found
)


@dataclass(frozen=True)
class LocationResult:
    """Chosen duty-post sites and how the demand rows are served.

    Attributes
    ----------
    chosen:
        Sorted tuple of chosen site indices (columns of the distance matrix), existing sites
        included. Empty when ``status`` is ``"infeasible"`` or ``"no_solution"``.
    assignment:
        ``int`` array, one entry per demand row: the chosen site serving it, or -1. Coverage
        models give the covering chosen site nearest by distance (lowest index when only a
        coverage matrix is known); the p-median gives the nearest chosen site.
    objective:
        Value of the model's objective for ``chosen``, recomputed from the input data (covered
        weight, number of posts, weight covered twice, or weighted distance; see each model).
    bound:
        Best proven bound on the objective (upper bound for maximisation, lower bound for
        minimisation); equals ``objective`` when proved optimal. NaN when unknown.
    proven_optimal:
        True when the solver proved ``objective`` optimal within the requested relative gap.
    gap:
        ``|bound - objective| / max(|objective|, 1e-9)``; 0.0 when proved optimal with gap 0.
    runtime_s:
        Wall-clock seconds spent in the call, reductions and heuristics included.
    solver:
        Which method produced ``chosen`` (e.g. ``"SCIP"``, ``"greedy+swap"``).
    status:
        One of :data:`STATUSES`.
    covered:
        ``bool`` array per demand row: within reach of at least one chosen site (p-median: the
        row is assigned to a site).
    uncoverable:
        Sorted ``int`` array of demand rows with no site within reach at all.
    covered_twice:
        ``bool`` array per demand row, within reach of at least two chosen sites (coverage
        models), else ``None``.
    """

    chosen: tuple[int, ...]
    assignment: np.ndarray
    objective: float
    bound: float
    proven_optimal: bool
    gap: float
    runtime_s: float
    solver: str
    status: str
    covered: np.ndarray
    uncoverable: np.ndarray
    covered_twice: np.ndarray | None = field(default=None)

    @property
    def is_feasible(self) -> bool:
        """True when ``chosen`` is a plan satisfying every constraint of the model."""
        return self.status in ("optimal", "feasible")

    def summary(self) -> str:
        """One line for logs and reports."""
        return (
            f"{self.status}: {len(self.chosen)} sites, objective {self.objective:g}, "
            f"bound {self.bound:g}, gap {self.gap:.4%}, {self.runtime_s:.2f} s ({self.solver})"
        )


def relative_gap(objective: float, bound: float) -> float:
    """``|bound - objective| / max(|objective|, 1e-9)``, NaN when either is NaN."""
    if np.isnan(objective) or np.isnan(bound):
        return float("nan")
    return float(abs(bound - objective) / max(abs(objective), 1e-9))
