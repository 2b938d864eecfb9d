"""Reductions and heuristics for covering models on a boolean coverage matrix.

The coverage matrix ``cover`` has one row per demand (school gate) and one column per candidate
site; ``cover[i, j]`` is True when site ``j`` covers demand ``i``. Everything here works on
``scipy.sparse`` matrices so that a city (thousands of rows, tens of thousands of columns) fits.

Reductions (each keeps at least one optimal solution of the model it is used for):

* rows with no covering site are *uncoverable* and leave the model;
* rows already covered by an existing (always open) site leave the maximal-covering and
  set-covering models (their weight is a constant);
* rows with identical covering-site sets merge (weights add, ``required`` if any is);
* a site whose covered set is a strict subset of another site's set is *dominated* and leaves
  the maximal-covering and set-covering models; of identical sites only the lowest index stays;
* in set covering, a row whose covering set is a strict superset of another row's set is
  covered whenever the smaller one is, and leaves the model.

Heuristics: greedy (largest marginal weight first) and a swap local search (replace one chosen
site by the best unchosen one while that raises the covered weight).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

#: Column block used when counting overlaps of site sets (bounds memory at city scale).
_BLOCK = 2048


def gather(indptr: np.ndarray, indices: np.ndarray, items: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate ``indices`` of the compressed rows (or columns) ``items``; return them and the
    length of each item's slice."""
    items = np.asarray(items, dtype=np.int64)
    starts = indptr[items]
    lens = indptr[items + 1] - starts
    total = int(lens.sum())
    if total == 0:
        return np.empty(0, dtype=indices.dtype), lens
    offsets = np.repeat(starts - np.cumsum(lens) + lens, lens) + np.arange(total)
    return indices[offsets], lens


def identical_representatives(mat: sp.csc_matrix) -> np.ndarray:
    """For each column, the lowest-index column with exactly the same set of rows."""
    mat = sp.csc_matrix(mat)
    mat.sort_indices()
    seen: dict[bytes, int] = {}
    rep = np.empty(mat.shape[1], dtype=np.int64)
    indptr, indices = mat.indptr, mat.indices
    for j in range(mat.shape[1]):
        rep[j] = seen.setdefault(indices[indptr[j] : indptr[j + 1]].tobytes(), j)
    return rep


def strict_subset_pairs(mat: sp.csc_matrix) -> tuple[np.ndarray, np.ndarray]:
    """Pairs ``(a, b)`` of columns of ``mat`` whose row sets satisfy ``S_a ⊊ S_b``.

    Columns must be pairwise distinct (merge identical ones first). Overlaps are counted with a
    sparse product ``matᵀ·mat`` in column blocks.
    """
    mat = sp.csc_matrix(mat, dtype=np.float32)
    size = np.diff(mat.indptr)
    mat_t = mat.T.tocsr()
    subs, sups = [], []
    for begin in range(0, mat.shape[1], _BLOCK):
        block = (mat_t[begin : begin + _BLOCK] @ mat).tocoo()
        a = block.row + begin
        b = block.col
        keep = (block.data == size[a]) & (size[b] > size[a])
        subs.append(a[keep])
        sups.append(b[keep])
    if not subs:
        return np.empty(0, dtype=np.int64), np.empty(0, dtype=np.int64)
    return np.concatenate(subs).astype(np.int64), np.concatenate(sups).astype(np.int64)


def merge_identical_rows(mat: sp.csr_matrix) -> np.ndarray:
    """Group label per row (0..g-1, in order of first appearance) of rows with equal sets."""
    rep = identical_representatives(sp.csr_matrix(mat).T.tocsc())
    _, label = np.unique(rep, return_inverse=True)
    return label.astype(np.int64)


@dataclass(frozen=True)
class CoverageReduction:
    """A reduced covering instance and how it maps back to the original one.

    ``matrix`` is the reduced coverage (reduced rows × reduced sites, CSR bool); ``row_group``
    maps each original row to its reduced row or -1 (left the model); ``sites`` lists the
    original index of each reduced site; ``site_rep`` maps each original site to a reduced site
    that covers at least what it covers in the reduced model, or -1; ``fixed_weight`` is the
    weight already covered by existing sites.
    """

    matrix: sp.csr_matrix
    weights: np.ndarray
    required: np.ndarray
    row_group: np.ndarray
    sites: np.ndarray
    site_rep: np.ndarray
    fixed_weight: float


def _merge_rows(mat: sp.csr_matrix, weights: np.ndarray, required: np.ndarray, row_group: np.ndarray):
    label = merge_identical_rows(mat)
    n_groups = int(label.max()) + 1 if label.size else 0
    first = np.full(n_groups, -1, dtype=np.int64)
    first[label[::-1]] = np.arange(label.size)[::-1]
    merged_w = np.bincount(label, weights=weights, minlength=n_groups)
    merged_req = np.bincount(label, weights=required.astype(float), minlength=n_groups) > 0
    if label.size == 0:  # every row already dropped (e.g. all covered by existing posts)
        new_group = np.full(row_group.shape, -1, dtype=np.int64)
    else:
        new_group = np.where(row_group >= 0, label[np.maximum(row_group, 0)], -1)
    return sp.csr_matrix(mat[first]), merged_w, merged_req, new_group


def reduce_coverage(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    required: np.ndarray,
    existing: np.ndarray,
    *,
    drop_existing_covered: bool = True,
    dominance: bool = True,
    drop_superset_rows: bool = False,
) -> CoverageReduction:
    """Apply the reductions listed in the module docstring.

    With ``drop_existing_covered`` rows covered by an existing site leave (their weight becomes
    ``fixed_weight``) and existing sites leave the model; otherwise existing sites stay as
    ordinary columns (the caller fixes them open). ``dominance`` drops dominated sites (and
    merges identical sites); ``drop_superset_rows`` drops rows implied by smaller rows (set
    covering only).
    """
    if dominance and not drop_existing_covered:
        raise ValueError("site dominance needs existing sites removed from the model")
    n, m = cover.shape
    cover_csc = cover.tocsc()
    degree = np.diff(cover.indptr)
    is_existing = np.zeros(m, dtype=bool)
    is_existing[existing] = True
    active = (degree > 0) & ((weights > 0) | required)
    fixed_weight = 0.0
    if drop_existing_covered and existing.size:
        rows_e, _ = gather(cover_csc.indptr, cover_csc.indices, existing)
        by_existing = np.zeros(n, dtype=bool)
        by_existing[rows_e] = True
        fixed_weight = float(weights[by_existing & (degree > 0)].sum())
        active &= ~by_existing
    rows = np.flatnonzero(active)
    mat = cover[rows]
    col_use = np.diff(mat.tocsc().indptr) > 0
    if drop_existing_covered:
        col_use &= ~is_existing
    else:
        col_use |= is_existing
    cols = np.flatnonzero(col_use)
    mat = sp.csr_matrix(mat[:, cols])
    row_group = np.full(n, -1, dtype=np.int64)
    row_group[rows] = np.arange(rows.size)
    mat, w, req, row_group = _merge_rows(mat, weights[rows].astype(float), required[rows], row_group)

    # Sites: position in ``cols`` → representative position (identical, then dominating).
    rep = np.arange(cols.size)
    if dominance and cols.size:
        rep = identical_representatives(mat.tocsc())
        unique = np.flatnonzero(rep == np.arange(cols.size))
        sub, sup = strict_subset_pairs(mat.tocsc()[:, unique])
        if sub.size:
            size = np.diff(mat.tocsc().indptr)[unique]
            # dominator of largest size (lowest index on ties) is itself undominated
            order = np.lexsort((sup, -size[sup], sub))
            sub, sup = sub[order], sup[order]
            first = np.r_[True, sub[1:] != sub[:-1]]
            best = np.arange(unique.size)
            best[sub[first]] = sup[first]
            rep_unique = unique[best]
            pos_in_unique = np.full(cols.size, -1, dtype=np.int64)
            pos_in_unique[unique] = np.arange(unique.size)
            rep = rep_unique[pos_in_unique[rep]]
    kept = np.flatnonzero(rep == np.arange(cols.size))
    position = np.full(cols.size, -1, dtype=np.int64)
    position[kept] = np.arange(kept.size)
    mat = sp.csr_matrix(mat[:, kept])
    site_rep = np.full(m, -1, dtype=np.int64)
    site_rep[cols] = position[rep]
    if dominance and kept.size != cols.size:
        mat, w, req, row_group = _merge_rows(mat, w, req, row_group)
    if drop_superset_rows and mat.shape[0] > 1:
        mat, w, req, row_group = _drop_superset_rows(mat, w, req, row_group)
    mat.sort_indices()
    return CoverageReduction(mat, w, req, row_group, cols[kept], site_rep, fixed_weight)


def _drop_superset_rows(mat, w, req, row_group):
    """Drop rows whose site set strictly contains another row's set (set covering only)."""
    _, sup = strict_subset_pairs(mat.T.tocsc())
    keep = np.ones(mat.shape[0], dtype=bool)
    keep[sup] = False
    new_index = np.full(mat.shape[0], -1, dtype=np.int64)
    new_index[keep] = np.arange(int(keep.sum()))
    group = np.where(row_group >= 0, new_index[np.maximum(row_group, 0)], -1)
    return sp.csr_matrix(mat[keep]), w[keep], req[keep], group


def coverage_counts(cover_csc: sp.csc_matrix, chosen) -> np.ndarray:
    """Number of chosen sites covering each row."""
    rows, _ = gather(cover_csc.indptr, cover_csc.indices, np.asarray(list(chosen), dtype=np.int64))
    return np.bincount(rows, minlength=cover_csc.shape[0]).astype(np.int64)


def _site_weight(cover: sp.csr_matrix, rows: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Per site, total weight of ``rows`` it covers."""
    sites, lens = gather(cover.indptr, cover.indices, rows)
    return np.bincount(sites, weights=np.repeat(weights[rows], lens), minlength=cover.shape[1])


def greedy_max_cover(cover: sp.csr_matrix, weights: np.ndarray, budget: int, start=()) -> list[int]:
    """Greedy maximal covering: from ``start``, add the site with the largest uncovered weight
    until ``budget`` sites are chosen or no site adds weight. Ties go to the lowest index."""
    cover_csc = cover.tocsc()
    chosen = [int(j) for j in start]
    count = coverage_counts(cover_csc, chosen)
    gain = _site_weight(cover, np.flatnonzero(count == 0), weights)
    is_chosen = np.zeros(cover.shape[1], dtype=bool)
    is_chosen[chosen] = True
    while len(chosen) < budget:
        masked = np.where(is_chosen, -1.0, gain)
        k = int(np.argmax(masked)) if masked.size else 0
        if masked.size == 0 or masked[k] <= 0:
            break
        rows = cover_csc.indices[cover_csc.indptr[k] : cover_csc.indptr[k + 1]]
        new = rows[count[rows] == 0]
        count[rows] += 1
        gain -= _site_weight(cover, new, weights)
        chosen.append(k)
        is_chosen[k] = True
    return chosen


def swap_search(
    cover: sp.csr_matrix,
    weights: np.ndarray,
    chosen,
    *,
    fixed=(),
    max_passes: int = 50,
    time_limit_s: float = 10.0,
) -> list[int]:
    """Swap local search for maximal covering: for each chosen site (not in ``fixed``) in turn,
    replace it by the unchosen site that raises the covered weight most, if any does. Passes
    repeat until none improves, ``max_passes`` or ``time_limit_s`` (seconds)."""
    start = time.perf_counter()
    cover_csc = cover.tocsc()
    chosen = [int(j) for j in chosen]
    fixed_set = {int(j) for j in fixed}
    count = coverage_counts(cover_csc, chosen)
    uncovered_gain = _site_weight(cover, np.flatnonzero(count == 0), weights)
    is_chosen = np.zeros(cover.shape[1], dtype=bool)
    is_chosen[chosen] = True
    tol = 1e-9 * max(1.0, float(np.abs(weights).sum()))
    for _ in range(max_passes):
        improved = False
        for pos in range(len(chosen)):
            j = chosen[pos]
            if j in fixed_set:
                continue
            rows_j = cover_csc.indices[cover_csc.indptr[j] : cover_csc.indptr[j + 1]]
            only_j = rows_j[count[rows_j] == 1]
            loss = float(weights[only_j].sum())
            delta = uncovered_gain + _site_weight(cover, only_j, weights) - loss
            delta[is_chosen] = -np.inf
            k = int(np.argmax(delta))
            if delta[k] <= tol:
                continue
            count[rows_j] -= 1
            uncovered_gain += _site_weight(cover, rows_j[count[rows_j] == 0], weights)
            rows_k = cover_csc.indices[cover_csc.indptr[k] : cover_csc.indptr[k + 1]]
            uncovered_gain -= _site_weight(cover, rows_k[count[rows_k] == 0], weights)
            count[rows_k] += 1
            is_chosen[j], is_chosen[k] = False, True
            chosen[pos] = k
            improved = True
        if not improved or time.perf_counter() - start > time_limit_s:
            break
    return chosen


def prune_redundant(cover_csc: sp.csc_matrix, chosen, weights: np.ndarray, *, fixed=()) -> list[int]:
    """Remove chosen sites (highest index first, never ``fixed``) whose removal uncovers no row
    of positive weight; returns the remaining sites sorted."""
    chosen = sorted(int(j) for j in chosen)
    fixed_set = {int(j) for j in fixed}
    count = coverage_counts(cover_csc, chosen)
    keep = []
    for j in reversed(chosen):
        rows = cover_csc.indices[cover_csc.indptr[j] : cover_csc.indptr[j + 1]]
        if j not in fixed_set and np.all((count[rows] >= 2) | (weights[rows] <= 0)):
            count[rows] -= 1
        else:
            keep.append(j)
    return sorted(keep)
