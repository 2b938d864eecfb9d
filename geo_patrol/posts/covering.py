"""Duty-post (护学岗) location models on a demand × site matrix.

A duty post at site ``j`` covers demand row ``i`` (a school gate) when
``distance[i, j] <= radius`` (walking metres, or any unit shared by both; ``np.inf`` means no
link). The ``*_sets`` variants take the boolean coverage matrix directly (dense or
``scipy.sparse``), which is how city-scale instances are built; the distance variants compute
``distance <= radius`` and delegate.

Notation in the formulations: ``I`` demand rows with weight ``w_i >= 0``; ``J`` candidate sites;
``N_i = {j : site j covers row i}``; ``x_j = 1`` if a post is opened at ``j``; ``E ⊆ J`` existing
posts (always open, counted against ``p``); ``R ⊆ I`` required rows (must be covered).

Every model reduces the instance first (see :mod:`geo_patrol.posts.reductions`), builds a
greedy + swap solution, hands it to the MIP solver (SCIP through OR-Tools, one thread) as a
starting solution and keeps the better of the two. A required row with no site in reach, or
required rows that ``p`` posts cannot all cover, make the result's ``status`` ``"infeasible"``
(no exception): the rows in reach of nothing are listed in ``uncoverable``.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse as sp

from geo_patrol.errors import InputError
from geo_patrol.posts import reductions as red
from geo_patrol.posts._mip import solve_mip
from geo_patrol.posts.result import LocationResult, relative_gap

logger = logging.getLogger(__name__)


# ---------------------------------------------------------------------------------------------
# validation and result assembly


def as_cover(cover) -> sp.csr_matrix:
    """A boolean coverage matrix (dense or sparse) as a CSR matrix with sorted indices."""
    if sp.issparse(cover):
        mat = sp.csr_matrix(cover, dtype=bool)
        mat.eliminate_zeros()
    else:
        arr = np.asarray(cover)
        if arr.ndim != 2:
            raise InputError(f"the coverage matrix must be 2-D, got shape {arr.shape}",
                             field="cover", hint="pass a demand × site matrix")
        mat = sp.csr_matrix(arr.astype(bool))
    mat.sort_indices()
    return mat


def cover_from_distance(distance, radius: float) -> tuple[np.ndarray, sp.csr_matrix]:
    """Check a demand × site distance matrix and return it with its coverage ``distance <= radius``."""
    dist = np.asarray(distance, dtype=float)
    if dist.ndim != 2:
        raise InputError(f"the distance matrix must be 2-D, got shape {dist.shape}",
                         field="distance", hint="pass a demand × site matrix")
    if np.isnan(dist).any():
        raise InputError("the distance matrix contains NaN", field="distance",
                         hint="write np.inf where a site cannot be reached")
    if not (np.isfinite(radius) and radius >= 0):
        raise InputError(f"radius must be a finite number >= 0, got {radius!r}", field="radius")
    return dist, as_cover(dist <= radius)


def _weights(weights, n: int) -> np.ndarray:
    w = np.asarray(weights, dtype=float).reshape(-1)
    if w.shape != (n,):
        raise InputError(f"weights has {w.size} entries but there are {n} demand rows",
                         field="weights")
    if not np.all(np.isfinite(w)) or (w < 0).any():
        raise InputError("weights must be finite and >= 0", field="weights")
    return w


def _mask(values, size: int, name: str) -> np.ndarray:
    """``None``, a boolean mask or a list of indices → boolean mask of length ``size``."""
    mask = np.zeros(size, dtype=bool)
    if values is None:
        return mask
    arr = np.asarray(values)
    if arr.dtype == bool:
        if arr.shape != (size,):
            raise InputError(f"{name} mask has {arr.size} entries, expected {size}", field=name)
        return arr.copy()
    arr = arr.reshape(-1)
    if arr.size and (not np.issubdtype(arr.dtype, np.integer) or arr.min() < 0 or arr.max() >= size):
        raise InputError(f"{name} must hold indices in 0..{size - 1}", field=name)
    mask[arr.astype(np.int64)] = True
    return mask


def _budget(p, n_existing: int) -> int:
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or p < 0:
        raise InputError(f"p must be an integer >= 0, got {p!r}", field="p")
    if n_existing > p:
        raise InputError(f"{n_existing} existing posts exceed the budget p = {p}", field="p",
                         hint="raise p or pass fewer existing sites")
    return int(p)


def assign_covering(cover: sp.csr_matrix, chosen, distance=None) -> np.ndarray:
    """Per row, the covering chosen site nearest by ``distance`` (lowest index without it), -1
    when no chosen site covers the row."""
    chosen = np.asarray(sorted(chosen), dtype=np.int64)
    n = cover.shape[0]
    if chosen.size == 0:
        return np.full(n, -1, dtype=np.int64)
    sub = sp.csr_matrix(cover[:, chosen])
    sub.sort_indices()
    has = np.diff(sub.indptr) > 0
    assignment = np.full(n, -1, dtype=np.int64)
    if distance is None:
        assignment[has] = chosen[sub.indices[sub.indptr[:-1][has]]]
        return assignment
    masked = np.where(sub.toarray(), np.asarray(distance)[:, chosen], np.inf)
    best = np.argmin(masked, axis=1)
    assignment[has] = chosen[best[has]]
    return assignment


def coverage_result(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    chosen,
    *,
    status: str,
    bound: float,
    solver: str,
    start: float,
    distance=None,
    objective: str = "covered",
) -> LocationResult:
    """Assemble a :class:`LocationResult` for a coverage model from the chosen sites.

    ``objective`` says which value is reported: ``"covered"`` weight, ``"twice"`` weight covered
    at least twice, or ``"count"`` of chosen sites.
    """
    chosen = tuple(sorted(int(j) for j in chosen))
    counts = red.coverage_counts(cover.tocsc(), chosen)
    covered, twice = counts >= 1, counts >= 2
    if status in ("infeasible", "no_solution"):
        value = math.nan
    elif objective == "covered":
        value = float(weights[covered].sum())
    elif objective == "twice":
        value = float(weights[twice].sum())
    else:
        value = float(len(chosen))
    proven = status == "optimal"
    if proven and (math.isnan(bound) or abs(bound - value) <= 1e-6 * max(1.0, abs(value))):
        bound = value
    return LocationResult(
        chosen=chosen,
        assignment=assign_covering(cover, chosen, distance),
        objective=value,
        bound=float(bound),
        proven_optimal=proven,
        gap=relative_gap(value, bound),
        runtime_s=time.perf_counter() - start,
        solver=solver,
        status=status,
        covered=covered,
        uncoverable=np.flatnonzero(np.diff(cover.indptr) == 0),
        covered_twice=twice if objective == "twice" else None,
    )


def _infeasible(cover, weights, start, solver="reductions", objective="covered") -> LocationResult:
    return coverage_result(cover, weights, (), status="infeasible", bound=math.nan, solver=solver,
                           start=start, objective=objective)


# ---------------------------------------------------------------------------------------------
# maximal covering


def max_coverage(distance, weights, radius: float, p: int, *, required=None, existing=None,
                 time_limit_s: float = 60.0, warm_start=None, gap: float = 0.0) -> LocationResult:
    """Maximal covering location (MCLP): open at most ``p`` posts to cover the most weight.

    ``distance`` is a demand × site array (metres; ``np.inf`` = unreachable), ``radius`` in the
    same unit; site ``j`` covers row ``i`` iff ``distance[i, j] <= radius``. See
    :func:`max_coverage_sets` for the model; this function computes the coverage and delegates.
    """
    dist, cover = cover_from_distance(distance, radius)
    return max_coverage_sets(cover, weights, p, required=required, existing=existing,
                             time_limit_s=time_limit_s, warm_start=warm_start, gap=gap,
                             distance=dist)


def max_coverage_sets(cover, weights, p: int, *, required=None, existing=None,
                      time_limit_s: float = 60.0, warm_start=None, gap: float = 0.0,
                      distance=None, backend: str = "SCIP") -> LocationResult:
    """Maximal covering location on a boolean coverage matrix (demand × site).

    Model::

        max  Σ_i w_i y_i
        s.t. y_i <= Σ_{j ∈ N_i} x_j      for every row i
             Σ_j x_j <= p
             x_j = 1                      for j ∈ E   (existing posts)
             y_i = 1                      for i ∈ R   (required rows)
             x_j ∈ {0, 1},  0 <= y_i <= 1

    ``objective`` is the covered weight (rows covered by existing posts included). Chosen sites
    that add no covered weight and cover no required row are dropped from ``chosen``, so fewer
    than ``p`` sites may be reported. ``warm_start`` (site indices) seeds the heuristic; the
    result covers at least as much weight as the warm start completed greedily. ``distance``
    (dense, optional) only decides ``assignment``. ``time_limit_s`` bounds the whole call
    (seconds); ``gap`` is the relative gap at which the solver may stop.
    """
    start = time.perf_counter()
    cover = as_cover(cover)
    n, m = cover.shape
    w = _weights(weights, n)
    req = _mask(required, n, "required")
    ex_mask = _mask(existing, m, "existing")
    existing_idx = np.flatnonzero(ex_mask)
    p = _budget(p, existing_idx.size)
    degree = np.diff(cover.indptr)
    if (req & (degree == 0)).any():
        logger.info("required rows %s have no site in reach", np.flatnonzero(req & (degree == 0)))
        return _infeasible(cover, w, start)

    reduction = red.reduce_coverage(cover, w, req, existing_idx)
    mat = reduction.matrix
    budget = p - existing_idx.size
    logger.debug("MCLP reduced from %d × %d to %d × %d", n, m, *mat.shape)
    big = float(reduction.weights.sum()) + 1.0
    w_h = reduction.weights + big * reduction.required

    # heuristic: greedy (from scratch and from the warm start) + swap
    candidates = [red.greedy_max_cover(mat, w_h, budget)]
    if warm_start is not None:
        ws = reduction.site_rep[np.asarray(list(warm_start), dtype=np.int64)]
        ws = np.unique(ws[ws >= 0])
        if ws.size <= budget:
            candidates.append(red.greedy_max_cover(mat, w_h, budget, start=ws.tolist()))
        else:
            logger.warning("warm start has more new sites than the budget allows; ignored")
    mat_csc = mat.tocsc()

    def value_h(sites) -> float:
        return float(w_h[red.coverage_counts(mat_csc, sites) > 0].sum())

    heuristic = max(candidates, key=value_h)
    heuristic = red.swap_search(mat, w_h, heuristic, time_limit_s=max(0.1, 0.2 * time_limit_s))
    counts_h = red.coverage_counts(mat_csc, heuristic)
    heuristic_ok = bool(np.all(counts_h[reduction.required] > 0))
    all_covered = bool(np.all(counts_h > 0))

    if heuristic_ok and all_covered:
        picked, status, bound, solver = heuristic, "optimal", math.nan, "greedy+swap"
    elif budget == 0:
        picked, bound, solver = [], math.nan, "reductions"
        status = "optimal" if heuristic_ok else "infeasible"
    else:
        n_r, m_r = mat.shape
        # variables: x (m_r) then y (n_r); rows: y_i - Σ x_j <= 0, then Σ x_j <= budget
        a = sp.vstack([
            sp.hstack([-mat.astype(float), sp.identity(n_r, format="csr")]),
            sp.hstack([np.ones((1, m_r)), sp.csr_matrix((1, n_r))]),
        ]).tocsr()
        hint = None
        if heuristic_ok:
            hint = np.zeros(m_r + n_r)
            hint[heuristic] = 1.0
            hint[m_r:] = counts_h > 0
        remaining = max(1.0, time_limit_s - (time.perf_counter() - start))
        outcome = solve_mip(
            c=np.r_[np.zeros(m_r), reduction.weights],
            a=a,
            row_lb=np.full(n_r + 1, -np.inf),
            row_ub=np.r_[np.zeros(n_r), budget],
            var_lb=np.r_[np.zeros(m_r), reduction.required.astype(float)],
            var_ub=np.ones(m_r + n_r),
            integer=np.r_[np.ones(m_r, bool), np.zeros(n_r, bool)],
            maximize=True, time_limit_s=remaining, gap=gap, hint=hint,
            objective_offset=reduction.fixed_weight, backend=backend,
        )
        solver, status, bound = outcome.solver, outcome.status, outcome.bound
        picked = []
        if outcome.values is not None:
            picked = np.flatnonzero(outcome.values[:m_r] > 0.5).tolist()
            if heuristic_ok and value_h(heuristic) > value_h(picked) + 1e-9 * big:
                picked, solver = heuristic, "greedy+swap"
        elif heuristic_ok and status == "no_solution":
            picked, status, solver = heuristic, "feasible", "greedy+swap"
    if status in ("infeasible", "no_solution"):
        return coverage_result(cover, w, (), status=status, bound=bound, solver=solver,
                               start=start)
    chosen = np.r_[existing_idx, reduction.sites[np.asarray(picked, dtype=np.int64)]]
    chosen = red.prune_redundant(cover.tocsc(), chosen, w + (w.sum() + 1.0) * req,
                                 fixed=existing_idx)
    return coverage_result(cover, w, chosen, status=status, bound=bound, solver=solver,
                           start=start, distance=distance)


# ---------------------------------------------------------------------------------------------
# set covering


def min_posts(distance, radius: float, *, required=None, existing=None,
              time_limit_s: float = 60.0) -> LocationResult:
    """Fewest posts covering every coverable demand row (location set covering, LSCP).

    Site ``j`` covers row ``i`` iff ``distance[i, j] <= radius`` (same unit; ``np.inf`` =
    unreachable). See :func:`min_posts_sets` for the model.
    """
    dist, cover = cover_from_distance(distance, radius)
    return min_posts_sets(cover, required=required, existing=existing,
                          time_limit_s=time_limit_s, distance=dist)


def min_posts_sets(cover, *, required=None, existing=None, time_limit_s: float = 60.0,
                   distance=None, backend: str = "SCIP") -> LocationResult:
    """Location set covering on a boolean coverage matrix (demand × site).

    Model::

        min  Σ_j x_j
        s.t. Σ_{j ∈ N_i} x_j >= 1         for every row i with N_i non-empty
             x_j = 1                      for j ∈ E   (existing posts)
             x_j ∈ {0, 1}

    Rows with ``N_i`` empty are reported in ``uncoverable`` and ignored, unless one of them is
    required: then the status is ``"infeasible"``. ``objective`` is the number of posts,
    existing ones included.
    """
    start = time.perf_counter()
    cover = as_cover(cover)
    n, m = cover.shape
    req = _mask(required, n, "required")
    existing_idx = np.flatnonzero(_mask(existing, m, "existing"))
    degree = np.diff(cover.indptr)
    ones = np.ones(n)
    if (req & (degree == 0)).any():
        return _infeasible(cover, ones, start, objective="count")
    reduction = red.reduce_coverage(cover, ones, np.zeros(n, bool), existing_idx,
                                    drop_superset_rows=True)
    mat = reduction.matrix
    n_r, m_r = mat.shape
    logger.debug("set covering reduced from %d × %d to %d × %d", n, m, n_r, m_r)
    heuristic = red.greedy_max_cover(mat, np.ones(n_r), m_r)
    heuristic = red.prune_redundant(mat.tocsc(), heuristic, np.ones(n_r))
    if n_r == 0:
        picked, status, bound, solver = [], "optimal", math.nan, "reductions"
    else:
        hint = np.zeros(m_r)
        hint[heuristic] = 1.0
        outcome = solve_mip(
            c=np.ones(m_r), a=mat.astype(float), row_lb=np.ones(n_r),
            row_ub=np.full(n_r, np.inf), var_lb=np.zeros(m_r), var_ub=np.ones(m_r),
            integer=np.ones(m_r, bool), maximize=False,
            time_limit_s=max(1.0, time_limit_s - (time.perf_counter() - start)), hint=hint,
            objective_offset=float(existing_idx.size), backend=backend,
        )
        solver, status, bound = outcome.solver, outcome.status, outcome.bound
        if outcome.values is None:
            picked = heuristic
            status = "feasible" if status == "no_solution" else status
            solver = "greedy"
        else:
            picked = np.flatnonzero(outcome.values > 0.5).tolist()
            if len(heuristic) < len(picked):
                picked, solver = heuristic, "greedy"
    if status == "infeasible":
        return _infeasible(cover, ones, start, solver=solver, objective="count")
    chosen = np.r_[existing_idx, reduction.sites[np.asarray(picked, dtype=np.int64)]]
    return coverage_result(cover, ones, chosen, status=status, bound=bound, solver=solver,
                           start=start, distance=distance, objective="count")
