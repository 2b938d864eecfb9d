"""p-median on a demand × site distance matrix, with a radius (distance-level) formulation.

For demand row ``i`` let ``D_i^1 < D_i^2 < … < D_i^{K_i}`` be its distinct finite distances to
the sites. ``z_i^k`` (``k < K_i``) is 1 when no open site lies within ``D_i^k``; the distance of
``i`` to its nearest open site is then ``D_i^1 + Σ_k (D_i^{k+1} - D_i^k) z_i^k``. The model
(Elloumi 2010; García, Labbé & Marín 2011)::

    min  Σ_i w_i (D_i^1 + Σ_{k<K_i} (D_i^{k+1} - D_i^k) z_i^k)
    s.t. z_i^1 + Σ_{j: d_ij = D_i^1} y_j >= 1
         z_i^k - z_i^{k-1} + Σ_{j: d_ij = D_i^k} y_j >= 0      2 <= k < K_i
         Σ_{j: d_ij < ∞} y_j >= 1                               rows with unreachable sites
         Σ_j y_j = p,   y_j = 1 for existing j,   y_j ∈ {0, 1},   z_i^k >= 0

Its LP bound equals the classic assignment model's, with far fewer variables. Only the levels
up to a radius per row are built (``D_i^k`` up to the row's distance in the best known
solution): the truncated model is a relaxation (it ignores the cost beyond the radius). When
its optimum serves every row within its radius the solution is optimal for the full model;
otherwise the radius of the rows served farther is raised and the model solved again.
"""

from __future__ import annotations

import logging
import math
import time

import numpy as np
import scipy.sparse as sp

from geo_patrol.errors import InputError
from geo_patrol.posts._mip import solve_mip
from geo_patrol.posts.result import LocationResult, relative_gap

logger = logging.getLogger(__name__)

#: Up to this many demand × candidate cells the radius model is built with every level at once.
_FULL_MODEL_CELLS = 150_000
#: Steepest-edge pricing: the radius model's LPs are highly degenerate and solve about twice
#: as fast with it (measured on OR-Library pmed6, pmed16, pmed26).
_SCIP_PARAMS = "lp/pricing = s"


def p_median(distance, weights, p: int, *, existing=None, time_limit_s: float = 60.0,
             gap: float = 0.0, backend: str = "SCIP") -> LocationResult:
    """Choose ``p`` sites minimising the weighted distance from each demand row to its nearest
    chosen site.

    ``distance`` is a demand × site array (metres, seconds or any unit >= 0; ``np.inf`` =
    unreachable), ``weights`` one value >= 0 per row. ``existing`` sites are always chosen and
    count against ``p``. Rows with no reachable site at all are listed in ``uncoverable`` and
    left out of the objective. ``objective`` = Σ_i w_i · distance to the assigned site;
    ``assignment`` gives the nearest chosen site. ``time_limit_s`` bounds the call (seconds),
    ``gap`` is the relative gap at which the solver may stop. The model is in the module
    docstring.
    """
    start = time.perf_counter()
    dist, w, ex = _checked_inputs(distance, weights, p, existing)
    n, m = dist.shape
    finite = np.isfinite(dist)
    uncoverable = np.flatnonzero(~finite.any(axis=1))
    rows = np.flatnonzero(finite.any(axis=1))

    d, wr = dist[rows], w[rows]
    heuristic = _heuristic(d, wr, p, np.flatnonzero(ex), 0.2 * time_limit_s)
    best_y, best_cost = heuristic, _cost(d, wr, heuristic)
    status, bound, solver = "feasible", math.nan, "greedy+interchange"
    if not np.isfinite(best_cost):
        best_y = None
    slack = _slack(d, wr, best_cost)
    lagrangian = _Lagrangian(d, wr, p, ex)
    lower = lagrangian.optimise(best_cost, slack, 0.2 * time_limit_s)
    if np.isfinite(best_cost) and lower <= best_cost - slack:
        best_y, best_cost = _polish_lagrangian_primal(d, wr, ex, lagrangian, best_y, best_cost,
                                                      time_limit_s)
        lower = lagrangian.optimise(best_cost, slack, 0.1 * time_limit_s)
    fix0, fix1 = lagrangian.fixings(best_cost, slack)
    bound = lower
    if np.isfinite(best_cost) and lower > best_cost - slack:
        status, solver = "optimal", "greedy+interchange+lagrangian"
    else:
        search = _RadiusSearch(d, wr, p, ex, fix0, fix1, best_y, best_cost, bound, solver)
        search.run(slack, gap, backend, start, time_limit_s)
        best_y, best_cost, bound = search.best_y, search.best_cost, search.bound
        status, solver = search.status, search.solver
    if status == "optimal":
        bound = best_cost if gap == 0.0 else min(bound, best_cost)
    if best_y is None:
        return LocationResult((), np.full(n, -1, dtype=np.int64), math.nan, math.nan, False,
                              math.nan, time.perf_counter() - start, solver,
                              "infeasible" if status == "infeasible" else "no_solution",
                              np.zeros(n, bool), uncoverable)
    return _located(dist, w, best_y, bound, status, solver, start, uncoverable)


def _checked_inputs(distance, weights, p, existing) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The distance matrix, the weights and the mask of existing sites, checked
    (:class:`InputError` naming the field at fault)."""
    dist = np.asarray(distance, dtype=float)
    if dist.ndim != 2:
        raise InputError(f"the distance matrix must be 2-D, got shape {dist.shape}",
                         field="distance")
    if np.isnan(dist).any() or (dist < 0).any():
        raise InputError("the distance matrix must hold values >= 0 (np.inf = unreachable)",
                         field="distance")
    n, m = dist.shape
    w = np.asarray(weights, dtype=float).reshape(-1)
    if w.shape != (n,) or not np.all(np.isfinite(w)) or (w < 0).any():
        raise InputError(f"weights must be {n} finite values >= 0", field="weights")
    ex = _existing_mask(existing, m)
    if isinstance(p, bool) or not isinstance(p, (int, np.integer)) or not 1 <= p <= m:
        raise InputError(f"p must be an integer in 1..{m}, got {p!r}", field="p")
    if ex.sum() > p:
        raise InputError(f"{int(ex.sum())} existing sites exceed p = {p}", field="p")
    return dist, w, ex


def _existing_mask(existing, m: int) -> np.ndarray:
    """``existing`` (site indices or a boolean mask, or None) as a boolean mask over ``m``
    sites."""
    ex = np.zeros(m, dtype=bool)
    if existing is not None:
        idx = np.asarray(existing).reshape(-1)
        if ex.dtype == idx.dtype:
            idx = np.flatnonzero(idx)
        if idx.size and (idx.min() < 0 or idx.max() >= m):
            raise InputError(f"existing must hold site indices in 0..{m - 1}", field="existing")
        ex[idx.astype(np.int64)] = True
    return ex


def _slack(d: np.ndarray, wr: np.ndarray, best_cost: float) -> float:
    """How far below ``best_cost`` a bound must stay for ``best`` not to be proven optimal."""
    # objective values are integers when weights and distances are: then a bound above
    # best - 1 proves ``best`` optimal
    finite_d = d[np.isfinite(d)]
    integral = bool(np.all(wr == np.round(wr)) and np.all(finite_d == np.round(finite_d)))
    return (1.0 - 1e-6) if integral else 1e-9 * max(1.0, abs(best_cost))


def _polish_lagrangian_primal(d, wr, ex, lagrangian, best_y, best_cost, time_limit_s):
    """The best of ``best_y`` and the interchange started from the relaxation's three cheapest
    site sets (they are good starts), with its cost."""
    d_big = _finite_big(d)
    fixed = set(np.flatnonzero(ex).tolist())
    tried = set()
    for sites in sorted(lagrangian.primal, key=lambda s: _cost(d_big, wr, s))[:3]:
        if sites.tobytes() in tried:
            continue
        tried.add(sites.tobytes())
        improved = _interchange(d_big, wr, sites, fixed, 0.05 * time_limit_s)
        cost = _cost(d, wr, improved)
        if cost < best_cost - 1e-9:
            best_y, best_cost = improved, cost
    return best_y, best_cost


class _RadiusSearch:
    """The radius model on the sites the Lagrangian fixing left, solved with growing radii
    until its optimum serves every row within its radius, the bound meets the best solution or
    the time runs out. ``best_y``, ``best_cost``, ``bound``, ``status`` and ``solver`` hold the
    outcome."""

    def __init__(self, d, wr, p, ex, fix0, fix1, best_y, best_cost, bound, solver) -> None:
        self.d, self.wr, self.p = d, wr, p
        self.candidates = np.flatnonzero(~fix0)
        self.forced = (fix1 | ex)[self.candidates]
        self.sub = d[:, self.candidates]
        self.levels = _Levels(self.sub)
        self.best_y, self.best_cost, self.bound = best_y, best_cost, bound
        self.status, self.solver = "feasible", solver
        cap = _nearest(self.sub, np.flatnonzero(self.forced))
        full = self.sub.size <= _FULL_MODEL_CELLS
        start_radius = cap if full or best_y is None else np.minimum(cap, _nearest(d, best_y))
        self.radius_level = self.levels.level_of(start_radius)
        logger.debug("p-median: %d of %d sites left after Lagrangian fixing (bound %.6g, "
                     "best %.6g), %s model", self.candidates.size, d.shape[1], bound, best_cost,
                     "full" if full else "truncated")

    def run(self, slack: float, gap: float, backend: str, start: float,
            time_limit_s: float) -> None:
        """Solve until done or ``time_limit_s`` after ``start`` (a :func:`time.perf_counter`
        value)."""
        iteration = 0
        while True:
            iteration += 1
            remaining = time_limit_s - (time.perf_counter() - start)
            if remaining <= 0:
                break
            if self._step(iteration, slack, gap, backend, remaining):
                break

    def _hint(self):
        """The best known solution as candidate positions, or None when it uses a fixed-out
        site."""
        if self.best_y is not None and np.isin(self.best_y, self.candidates).all():
            return np.searchsorted(self.candidates, self.best_y)
        return None

    def _step(self, iteration: int, slack: float, gap: float, backend: str,
              remaining: float) -> bool:
        """One solve of the radius model; True when the search is over."""
        model = self.levels.model(self.wr, self.radius_level, self.p, self.forced, self._hint())
        outcome = solve_mip(**model, maximize=False, time_limit_s=max(1.0, remaining),
                            gap=gap, backend=backend, scip_params=_SCIP_PARAMS)
        self.solver = outcome.solver
        if outcome.status == "infeasible":
            # fixing left no solution better than the best known one: that one is optimal
            self.status = "optimal" if self.best_y is not None else "infeasible"
            return True
        if outcome.values is None:
            return True
        candidates = self.candidates
        y = candidates[np.flatnonzero(outcome.values[: candidates.size] > 0.5)]
        served = _nearest(self.d, y)
        cost = float(self.wr @ served) if np.isfinite(served).all() else math.inf
        if self.best_y is None or cost < self.best_cost - 1e-9:
            self.best_y, self.best_cost = y, cost
        if np.isfinite(outcome.bound):
            self.bound = min(self.best_cost, max(self.bound, outcome.bound))
        needed = self.levels.level_of(_nearest(self.sub, np.flatnonzero(np.isin(candidates, y))))
        grow = needed > self.radius_level
        logger.debug("p-median iteration %d: relaxation %.6g, true %.6g, %d rows beyond "
                     "radius", iteration, outcome.objective, cost, int(grow.sum()))
        if self.bound > self.best_cost - slack or (outcome.status == "optimal"
                                                   and not grow.any()):
            self.status = "optimal"
            return True
        self.radius_level = np.maximum(self.radius_level, needed)
        return False


def _located(dist, w, best_y, bound, status, solver, start, uncoverable) -> LocationResult:
    """The result for the chosen sites ``best_y``: each row assigned to its nearest one."""
    n = dist.shape[0]
    chosen = np.asarray(sorted(int(j) for j in best_y), dtype=np.int64)
    sub = dist[:, chosen]
    nearest = np.argmin(sub, axis=1)
    reach = np.isfinite(sub[np.arange(n), nearest])
    assignment = np.where(reach, chosen[nearest], -1)
    objective = float(w[reach] @ sub[np.arange(n), nearest][reach])
    return LocationResult(
        chosen=tuple(chosen.tolist()),
        assignment=assignment.astype(np.int64),
        objective=objective,
        bound=float(bound),
        proven_optimal=status == "optimal",
        gap=relative_gap(objective, bound),
        runtime_s=time.perf_counter() - start,
        solver=solver,
        status=status,
        covered=reach,
        uncoverable=uncoverable,
    )


class _Lagrangian:
    """Lagrangian relaxation of the p-median (assignment constraints relaxed), subgradient
    optimisation, site fixing and primal solutions read off the relaxation.

    With multipliers λ_i, ρ_j = Σ_i min(0, w_i d_ij - λ_i) and L(λ) = Σ_i λ_i + Σ_{j ∈ S} ρ_j,
    S = existing sites plus the smallest ρ_j up to p; L(λ) is a lower bound for every λ.
    """

    def __init__(self, d: np.ndarray, w: np.ndarray, p: int, existing: np.ndarray) -> None:
        finite = np.isfinite(d)
        self.c = np.where(finite, w[:, None] * np.where(finite, d, 0.0), np.inf)
        self.p, self.existing = p, existing
        self.free_slots = p - int(existing.sum())
        ordered = np.sort(self.c, axis=1)
        lam = ordered[:, min(1, d.shape[1] - 1)].copy()
        lam[~np.isfinite(lam)] = ordered[~np.isfinite(lam), 0]
        self.lam = lam
        self.bound = -math.inf
        self.primal: list[np.ndarray] = []

    def _evaluate(self, lam: np.ndarray):
        reduced = np.minimum(self.c - lam[:, None], 0.0)
        rho = reduced.sum(axis=0)
        chosen = np.flatnonzero(self.existing)
        free = np.flatnonzero(~self.existing)
        if self.free_slots < free.size:
            pick = free[np.argpartition(rho[free], self.free_slots - 1)[: self.free_slots]]
        else:
            pick = free
        chosen = np.r_[chosen, pick].astype(np.int64)
        return reduced, rho, chosen, float(lam.sum() + rho[chosen].sum())

    def optimise(self, upper: float, slack: float, time_limit_s: float, max_iter: int = 3000,
                 primal_every: int = 10) -> float:
        """Subgradient steps (Polyak step towards ``upper``) until the bound passes
        ``upper - slack``, the step vanishes or ``time_limit_s``; returns the best bound."""
        start = time.perf_counter()
        if self.free_slots <= 0 or not np.isfinite(upper):
            return self.bound
        lam, step, stall = self.lam.copy(), 2.0, 0
        for it in range(max_iter):
            reduced, _, chosen, value = self._evaluate(lam)
            if it % primal_every == 0:
                self.primal.append(np.sort(chosen))
            if value > self.bound + 1e-9:
                self.bound, self.lam, stall = value, lam.copy(), 0
            else:
                stall += 1
                if stall >= 20:
                    step, stall = step / 2.0, 0
            if (self.bound > upper - slack or step < 1e-5
                    or time.perf_counter() - start > time_limit_s):
                break
            g = 1.0 - (reduced[:, chosen] < 0).sum(axis=1)
            norm = float(g @ g)
            if norm == 0.0:
                break
            lam = lam + step * (upper - value) / norm * g
        return self.bound

    def fixings(self, upper: float, slack: float) -> tuple[np.ndarray, np.ndarray]:
        """Sites whose forced opening (closing) lifts the bound above ``upper - slack``: no
        better solution opens (closes) them. Returns (fixed-closed, fixed-open) masks."""
        m = self.c.shape[1]
        fix0 = np.zeros(m, dtype=bool)
        fix1 = np.zeros(m, dtype=bool)
        if self.free_slots <= 0 or not np.isfinite(upper) or not np.isfinite(self.bound):
            return fix0, fix1
        _, rho, chosen, value = self._evaluate(self.lam)
        in_s = np.zeros(m, dtype=bool)
        in_s[chosen] = True
        free_in = in_s & ~self.existing
        out = ~in_s
        if free_in.any():
            fix0 = out & (value + rho - rho[free_in].max() > upper - slack)
        if out.any():
            fix1 = free_in & (value - rho + rho[out].min() > upper - slack)
        return fix0, fix1


def _nearest(dist: np.ndarray, sites) -> np.ndarray:
    sites = np.asarray(sites, dtype=np.int64)
    if sites.size == 0:
        return np.full(dist.shape[0], np.inf)
    return dist[:, sites].min(axis=1)


def _cost(dist: np.ndarray, w: np.ndarray, sites) -> float:
    served = _nearest(dist, sites)
    return float(w @ served) if np.isfinite(served).all() else math.inf


def _finite_big(dist: np.ndarray) -> np.ndarray:
    """``dist`` with unreachable pairs replaced by a distance larger than any finite total."""
    finite = np.isfinite(dist)
    finite_max = dist[finite].max() if finite.any() else 1.0
    return np.where(finite, dist, 2.0 * finite_max * max(1, dist.shape[0]) + 1.0)


def _heuristic(dist: np.ndarray, w: np.ndarray, p: int, existing: np.ndarray,
               time_limit_s: float = 10.0) -> np.ndarray:
    """Greedy addition, then locate-allocate (move each site to its cluster's 1-median) until
    no move lowers the cost, then swap interchange. Unreachable pairs count as a large finite
    distance here."""
    d = _finite_big(dist)
    big = d.max()
    n, m = d.shape
    open_ = [int(j) for j in existing]
    current = d[:, open_].min(axis=1) if open_ else np.full(n, big * 2)
    is_open = np.zeros(m, dtype=bool)
    is_open[open_] = True
    while len(open_) < p:
        totals = w @ np.minimum(current[:, None], d)
        totals[is_open] = np.inf
        k = int(np.argmin(totals))
        open_.append(k)
        is_open[k] = True
        current = np.minimum(current, d[:, k])
    fixed = set(int(j) for j in existing)
    cost = float(w @ current)
    for _ in range(50):
        sites = np.asarray(open_, dtype=np.int64)
        cluster = np.argmin(d[:, sites], axis=1)
        moved = list(open_)
        for c, j in enumerate(open_):
            if j in fixed:
                continue
            members = cluster == c
            totals = w[members] @ d[members]
            taken = np.zeros(m, dtype=bool)
            taken[moved] = True
            taken[j] = False
            totals[taken] = np.inf
            moved[c] = int(np.argmin(totals))
        new_cost = float(w @ d[:, moved].min(axis=1))
        if new_cost >= cost - 1e-9:
            break
        open_, cost = moved, new_cost
    return _interchange(d, w, np.asarray(sorted(open_), dtype=np.int64), fixed, time_limit_s)


def _interchange(d: np.ndarray, w: np.ndarray, open_: np.ndarray, fixed: set, time_limit_s: float
                 ) -> np.ndarray:
    """Best-improvement swap (insert k, remove r) until no swap lowers the cost, evaluated for
    all pairs at once: profit(k, r) = gain_k + Σ_{i: nearest(i) = r} w_i (d1_i - min(d2_i, d_ik)
    - max(0, d1_i - d_ik))."""
    start = time.perf_counter()
    n, m = d.shape
    open_ = open_.copy()
    if open_.size < 2 or open_.size >= m:
        return open_
    removable = np.array([int(j) not in fixed for j in open_])
    while time.perf_counter() - start < time_limit_s:
        sub = d[:, open_]
        part = np.argpartition(sub, 1, axis=1)[:, :2]
        first = np.take_along_axis(sub, part, axis=1)
        swap = first[:, 0] > first[:, 1]
        nearest = np.where(swap, part[:, 1], part[:, 0])
        d1 = np.where(swap, first[:, 1], first[:, 0])
        d2 = np.where(swap, first[:, 0], first[:, 1])
        better = np.maximum(d1[:, None] - d, 0.0)
        gain = w @ better
        term = w[:, None] * (d1[:, None] - np.minimum(d2[:, None], d) - better)
        owner = np.zeros((n, open_.size))
        owner[np.arange(n), nearest] = 1.0
        profit = gain[:, None] + term.T @ owner
        profit[open_, :] = -np.inf
        profit[:, ~removable] = -np.inf
        k, r = np.unravel_index(int(np.argmax(profit)), profit.shape)
        if profit[k, r] <= 1e-9 * max(1.0, float(w @ d1)):
            break
        open_[r] = k
    return np.asarray(sorted(open_.tolist()), dtype=np.int64)


class _Levels:
    """Sorted distinct distance levels per row, and the truncated radius model built on them."""

    def __init__(self, dist: np.ndarray) -> None:
        self.dist = dist
        n, m = dist.shape
        self.order = np.argsort(dist, axis=1, kind="stable")
        self.sorted = np.take_along_axis(dist, self.order, axis=1)
        # level number (0-based) of each sorted position; inf entries get level K_i
        new_level = np.ones((n, m), dtype=bool)
        new_level[:, 1:] = self.sorted[:, 1:] != self.sorted[:, :-1]
        self.level = np.cumsum(new_level, axis=1) - 1
        finite = np.isfinite(self.sorted)
        self.n_levels = np.where(finite, self.level + 1, 0).max(axis=1)  # K_i
        self.has_inf = ~finite.all(axis=1)
        self.values = [np.unique(self.sorted[i][finite[i]]) for i in range(n)]

    def level_of(self, served: np.ndarray) -> np.ndarray:
        """Number of levels of each row up to and including ``served`` (``K_i + 1`` when
        ``served`` is infinite, meaning the reachability constraint is needed)."""
        out = np.empty(len(served), dtype=np.int64)
        for i, value in enumerate(served):
            if np.isfinite(value):
                out[i] = int(np.searchsorted(self.values[i], value, side="left")) + 1
            else:
                out[i] = self.n_levels[i] + 1
        return out

    def model(self, w, radius_level, p: int, forced: np.ndarray, hint_sites) -> dict:
        n, m = self.dist.shape
        rows_idx, cols_idx, vals = [], [], []
        row_lb, c_z = [], []
        hint_z = []
        y_hint = np.zeros(m)
        if hint_sites is not None:
            y_hint[np.asarray(hint_sites, dtype=np.int64)] = 1.0
            served = _nearest(self.dist, hint_sites)
        offset = 0.0
        n_rows = 0
        n_z = 0
        for i in range(n):
            values = self.values[i]
            offset += w[i] * values[0]
            k_used = min(int(radius_level[i]), len(values))  # levels 1..k_used kept
            n_con = k_used - 1  # constraints / z for levels 0..k_used-2
            if n_con > 0:
                pos = np.flatnonzero(self.level[i] < n_con)
                rows_idx.append(n_rows + self.level[i][pos])
                cols_idx.append(self.order[i][pos])
                vals.append(np.ones(pos.size))
                z = m + n_z + np.arange(n_con)
                rows_idx.append(n_rows + np.arange(n_con))
                cols_idx.append(z)
                vals.append(np.ones(n_con))
                if n_con > 1:
                    rows_idx.append(n_rows + np.arange(1, n_con))
                    cols_idx.append(z[:-1])
                    vals.append(-np.ones(n_con - 1))
                row_lb.append(np.r_[1.0, np.zeros(n_con - 1)])
                c_z.append(w[i] * np.diff(values[:k_used]))
                if hint_sites is not None:
                    hint_z.append((served[i] > values[: n_con]).astype(float))
                n_rows += n_con
                n_z += n_con
            if radius_level[i] > len(values) and self.has_inf[i]:
                reach = np.flatnonzero(np.isfinite(self.dist[i]))
                rows_idx.append(np.full(reach.size, n_rows))
                cols_idx.append(reach)
                vals.append(np.ones(reach.size))
                row_lb.append(np.ones(1))
                n_rows += 1
        # Σ y = p
        rows_idx.append(np.full(m, n_rows))
        cols_idx.append(np.arange(m))
        vals.append(np.ones(m))
        n_rows += 1
        a = sp.csr_matrix(
            (np.concatenate(vals), (np.concatenate(rows_idx), np.concatenate(cols_idx))),
            shape=(n_rows, m + n_z),
        )
        lb = np.r_[np.concatenate(row_lb) if row_lb else np.zeros(0), p]
        ub = np.r_[np.full(n_rows - 1, np.inf), p]
        var_lb = np.r_[forced.astype(float), np.zeros(n_z)]
        var_ub = np.r_[np.ones(m), np.full(n_z, np.inf)]
        hint = None
        if hint_sites is not None:
            hint = np.r_[y_hint, np.concatenate(hint_z) if hint_z else np.zeros(0)]
        return dict(
            c=np.r_[np.zeros(m), np.concatenate(c_z) if c_z else np.zeros(0)],
            a=a, row_lb=lb, row_ub=ub, var_lb=var_lb, var_ub=var_ub,
            integer=np.r_[np.ones(m, bool), np.zeros(n_z, bool)],
            hint=hint, objective_offset=offset,
        )
