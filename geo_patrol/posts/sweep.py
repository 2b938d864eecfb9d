"""Maximal covering over a series of budgets (what-if: "the county funds 10 more posts").

See :mod:`geo_patrol.posts.covering` for the model and conventions.
"""

from __future__ import annotations

import logging
import time

import numpy as np

from geo_patrol.errors import InputError
from geo_patrol.posts import reductions as red
from geo_patrol.posts.covering import (
    _weights,
    as_cover,
    cover_from_distance,
    coverage_result,
    max_coverage_sets,
)
from geo_patrol.posts.result import LocationResult

logger = logging.getLogger(__name__)


def coverage_sweep(distance, weights, radius: float, budgets, *, required=None, existing=None,
                   time_limit_s: float = 60.0, gap: float = 0.0) -> list[LocationResult]:
    """:func:`max_coverage` for each budget in ``budgets`` (non-decreasing), each step
    warm-started from the previous one's sites. See :func:`coverage_sweep_sets`."""
    dist, cover = cover_from_distance(distance, radius)
    return coverage_sweep_sets(cover, weights, budgets, required=required, existing=existing,
                               time_limit_s=time_limit_s, gap=gap, distance=dist)


def coverage_sweep_sets(cover, weights, budgets, *, required=None, existing=None,
                        time_limit_s: float = 60.0, gap: float = 0.0,
                        distance=None) -> list[LocationResult]:
    """Maximal covering for each budget ``p`` in ``budgets`` (non-decreasing), on a boolean
    coverage matrix. Step ``k`` is warm-started from the sites of step ``k - 1`` (a feasible
    start, since the budget does not shrink). Covered weight never decreases along the sweep:
    should a step come back worse than the previous one (time limit or ``gap``), it is replaced
    by the previous sites plus the greedily best extra sites (status ``"feasible"``, solver
    ``"previous+greedy"``). ``time_limit_s`` applies to each step.
    """
    budgets = [int(b) for b in budgets]
    if any(b2 < b1 for b1, b2 in zip(budgets, budgets[1:])):
        raise InputError(f"budgets must be non-decreasing, got {budgets}", field="budgets",
                         hint="sort the budgets")
    cover = as_cover(cover)
    w = _weights(weights, cover.shape[0])
    results: list[LocationResult] = []
    previous: LocationResult | None = None
    for p in budgets:
        warm = previous.chosen if previous is not None and previous.is_feasible else None
        result = max_coverage_sets(cover, w, p, required=required, existing=existing,
                                   time_limit_s=time_limit_s, warm_start=warm, gap=gap,
                                   distance=distance)
        if previous is not None:
            result = keep_monotone(previous, result, cover, w, p, distance=distance)
        results.append(result)
        previous = result
    return results


def keep_monotone(previous: LocationResult, result: LocationResult, cover, weights, p: int, *,
                  distance=None) -> LocationResult:
    """``result`` unless it covers less weight than ``previous`` (a smaller budget); then the
    previous sites plus greedily chosen extra sites up to ``p``."""
    if not previous.is_feasible:
        return result
    tol = 1e-9 * max(1.0, float(np.sum(weights)))
    if result.is_feasible and result.objective >= previous.objective - tol:
        return result
    start = time.perf_counter() - result.runtime_s
    cover = as_cover(cover)
    chosen = red.greedy_max_cover(cover, np.asarray(weights, dtype=float), p,
                                  start=list(previous.chosen))
    logger.info("budget %d came back worse than the previous step; kept previous + greedy", p)
    return coverage_result(cover, np.asarray(weights, dtype=float), chosen, status="feasible",
                           bound=result.bound, solver="previous+greedy", start=start,
                           distance=distance)
