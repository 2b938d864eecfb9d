"""Backup (double) coverage of school gates by duty posts, on a demand × site matrix.

Site ``j`` covers demand row ``i`` when ``distance[i, j] <= radius``; see
:mod:`geo_patrol.posts.covering` for the notation and the shared conventions.
"""

from __future__ import annotations

import math
import time

import numpy as np
import scipy.sparse as sp

from geo_patrol.posts import reductions as red
from geo_patrol.posts._mip import solve_mip
from geo_patrol.posts.covering import (
    _infeasible,
    _mask,
    _weights,
    as_cover,
    cover_from_distance,
    coverage_result,
    max_coverage_sets,
)
from geo_patrol.posts.result import LocationResult


def backup_coverage(distance, weights, radius: float, p: int, *, required=None, existing=None,
                    time_limit_s: float = 60.0, gap: float = 0.0) -> LocationResult:
    """Backup coverage: most weight covered, then most weight covered at least twice.

    Site ``j`` covers row ``i`` iff ``distance[i, j] <= radius``. See
    :func:`backup_coverage_sets` for the model; this function computes the coverage and
    delegates.
    """
    dist, cover = cover_from_distance(distance, radius)
    return backup_coverage_sets(cover, weights, p, required=required, existing=existing,
                                time_limit_s=time_limit_s, gap=gap, distance=dist)


def backup_coverage_sets(cover, weights, p: int, *, required=None, existing=None,
                         time_limit_s: float = 60.0, gap: float = 0.0, distance=None,
                         backend: str = "SCIP") -> LocationResult:
    """Lexicographic backup covering on a boolean coverage matrix (demand × site).

    Stage 1 solves :func:`max_coverage_sets` and gives the covered weight ``W1``. Stage 2 keeps
    that level and maximises the weight covered at least twice::

        max  Σ_i w_i v_i
        s.t. u_i + v_i <= Σ_{j ∈ N_i} x_j     for every row i
             v_i <= u_i
             Σ_i w_i u_i >= W1
             Σ_j x_j <= p
             x_j = 1  for j ∈ E,   u_i = 1  for i ∈ R
             x_j ∈ {0, 1},  v_i ∈ {0, 1},  0 <= u_i <= 1

    (``u_i``: row covered; ``v_i``: covered twice; with ``v_i`` binary, ``v_i = 1`` needs two
    open covering sites.) ``objective`` and ``bound`` refer to stage 2, the weight covered at
    least twice; ``covered`` gives stage 1 (single coverage keeps weight ``W1``) and
    ``covered_twice`` stage 2. Stage 1 gets up to ``time_limit_s`` / 2 seconds, stage 2 the
    rest. When stage 1 is not proved optimal, its best value is the level kept.
    ``proven_optimal`` needs both stages proved.
    """
    start = time.perf_counter()
    stage1 = max_coverage_sets(cover, weights, p, required=required, existing=existing,
                               time_limit_s=time_limit_s / 2, gap=gap, backend=backend)
    cover = as_cover(cover)
    n, m = cover.shape
    w = _weights(weights, n)
    if not stage1.is_feasible:
        return _infeasible(cover, w, start, solver=stage1.solver, objective="twice")
    req = _mask(required, n, "required")
    existing_idx = np.flatnonzero(_mask(existing, m, "existing"))
    reduction = red.reduce_coverage(cover, w, req, existing_idx, drop_existing_covered=False,
                                    dominance=False)
    mat = reduction.matrix
    n_r, m_r = mat.shape
    fixed = np.isin(reduction.sites, existing_idx)
    level = stage1.objective
    tol = 1e-9 * max(1.0, float(w.sum()))
    # variables: x (m_r), u (n_r), v (n_r)
    eye = sp.identity(n_r, format="csr")
    zero_row = sp.csr_matrix((1, n_r))
    a = sp.vstack([
        sp.hstack([-mat.astype(float), eye, eye]),
        sp.hstack([sp.csr_matrix((n_r, m_r)), -eye, eye]),
        sp.hstack([sp.csr_matrix((1, m_r)), sp.csr_matrix(reduction.weights[None, :]), zero_row]),
        sp.hstack([np.ones((1, m_r)), zero_row, zero_row]),
    ]).tocsr()
    in_model = np.flatnonzero(reduction.site_rep >= 0)
    x_hint = np.zeros(m_r)
    chosen1 = np.asarray(stage1.chosen, dtype=np.int64)
    x_hint[reduction.site_rep[chosen1[np.isin(chosen1, in_model)]]] = 1.0
    counts1 = red.coverage_counts(mat.tocsc(), np.flatnonzero(x_hint > 0.5))
    hint = np.r_[x_hint, counts1 >= 1, counts1 >= 2].astype(float)
    outcome = solve_mip(
        c=np.r_[np.zeros(m_r + n_r), reduction.weights],
        a=a,
        row_lb=np.r_[np.full(2 * n_r, -np.inf), level - tol, -np.inf],
        row_ub=np.r_[np.zeros(2 * n_r), np.inf, p],
        var_lb=np.r_[fixed.astype(float), reduction.required.astype(float), np.zeros(n_r)],
        var_ub=np.ones(m_r + 2 * n_r),
        integer=np.r_[np.ones(m_r, bool), np.zeros(n_r, bool), np.ones(n_r, bool)],
        maximize=True, gap=gap, hint=hint, backend=backend,
        time_limit_s=max(1.0, time_limit_s - (time.perf_counter() - start)),
    )
    if outcome.values is None:
        picked, status, solver = np.flatnonzero(x_hint > 0.5), "feasible", "max_coverage"
        bound = math.nan
    else:
        picked = np.flatnonzero(outcome.values[:m_r] > 0.5)
        status, solver, bound = outcome.status, outcome.solver, outcome.bound
    if status == "optimal" and not stage1.proven_optimal:
        status = "feasible"
    chosen = np.union1d(existing_idx, reduction.sites[picked])
    return coverage_result(cover, w, chosen, status=status, bound=bound, solver=solver,
                           start=start, distance=distance, objective="twice")
