"""Tests of geo_patrol.posts: duty-post location models at matrix level."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
import scipy.sparse as sp
from conftest import require_shared_data

from geo_patrol.errors import InputError
from geo_patrol.posts import (
    LocationResult,
    backup_coverage,
    coverage_sweep,
    max_coverage,
    max_coverage_sets,
    min_posts,
    min_posts_sets,
    p_median,
)
from geo_patrol.posts.instances import (
    mclp_instance,
    read_mclp_optima,
    read_orlib_pmedian,
    read_orlib_pmedian_optima,
)
from geo_patrol.posts.sweep import keep_monotone

INF = np.inf

# Tiny town: 5 school gates × 4 candidate sites, walking metres, radius 150 m.
#   site 0 covers gates {0, 1}      (weight 30)
#   site 1 covers gates {1, 2}      (weight 50)
#   site 2 covers nothing
#   site 3 covers gate {3}          (weight 40)
#   gate 4 is out of reach of every site (uncoverable)
TINY_D = np.array(
    [
        [100.0, 200.0, 999.0, INF],
        [100.0, 90.0, 999.0, 999.0],
        [999.0, 120.0, 160.0, 999.0],
        [999.0, 999.0, 160.0, 50.0],
        [500.0, 400.0, 300.0, 200.0],
    ]
)
TINY_W = np.array([10.0, 20.0, 30.0, 40.0, 5.0])


def _bench(*parts: str) -> Path:
    return require_shared_data("benchmarks", *parts)


def _brute_mclp(cover: np.ndarray, w: np.ndarray, p: int, required=(), existing=()) -> float:
    """Best covered weight over every site set of size <= p (required rows covered)."""
    m = cover.shape[1]
    best = -1.0
    for k in range(p + 1):
        for combo in itertools.combinations(range(m), k):
            if not set(existing) <= set(combo):
                continue
            covered = cover[:, list(combo)].any(axis=1) if combo else np.zeros(len(w), bool)
            if not covered[list(required)].all():
                continue
            best = max(best, float(w[covered].sum()))
    return best


# --------------------------------------------------------------------------- tiny instance


@pytest.mark.parametrize(
    ("p", "chosen", "objective"), [(1, (1,), 50.0), (2, (1, 3), 90.0), (3, (0, 1, 3), 100.0)]
)
def test_max_coverage_tiny(p, chosen, objective):
    result = max_coverage(TINY_D, TINY_W, 150.0, p)
    assert isinstance(result, LocationResult)
    assert result.chosen == chosen
    assert result.objective == objective
    assert result.proven_optimal and result.status == "optimal"
    assert result.bound == objective and result.gap == 0.0
    assert result.uncoverable.tolist() == [4]


def test_max_coverage_assignment_is_nearest_covering_site():
    result = max_coverage(TINY_D, TINY_W, 150.0, 3)
    # gate 1 is covered by sites 0 (100 m) and 1 (90 m): nearest is site 1
    assert result.assignment.tolist() == [0, 1, 1, 3, -1]
    assert result.covered.tolist() == [True, True, True, True, False]
    assert result.covered_twice is None


def test_max_coverage_required_row():
    # gate 0 is covered only by site 0: requiring it costs 20 of weight at p = 1
    result = max_coverage(TINY_D, TINY_W, 150.0, 1, required=[0])
    assert result.chosen == (0,)
    assert result.objective == 30.0
    assert result.proven_optimal


def test_max_coverage_existing_sites_count_against_p():
    result = max_coverage(TINY_D, TINY_W, 150.0, 2, existing=[3])
    assert result.chosen == (1, 3) and result.objective == 90.0
    # a useless existing post is still reported and still uses one unit of p
    result = max_coverage(TINY_D, TINY_W, 150.0, 2, existing=[2])
    assert result.chosen == (1, 2) and result.objective == 50.0


def test_required_row_out_of_reach_is_infeasible_status():
    result = max_coverage(TINY_D, TINY_W, 150.0, 3, required=[4])
    assert result.status == "infeasible"
    assert not result.is_feasible and not result.proven_optimal
    assert result.chosen == ()
    assert result.uncoverable.tolist() == [4]


def test_required_rows_beyond_budget_is_infeasible_status():
    # gates 0 and 3 have no common covering site: one post cannot cover both
    result = max_coverage(TINY_D, TINY_W, 150.0, 1, required=[0, 3])
    assert result.status == "infeasible"
    assert result.chosen == ()


def test_min_posts_tiny():
    result = min_posts(TINY_D, 150.0)
    assert result.chosen == (0, 1, 3)
    assert result.objective == 3.0
    assert result.proven_optimal
    assert result.uncoverable.tolist() == [4]
    assert result.covered.tolist() == [True, True, True, True, False]


def test_min_posts_existing_and_infeasible():
    result = min_posts(TINY_D, 150.0, existing=[2])
    assert result.chosen == (0, 1, 2, 3) and result.objective == 4.0
    result = min_posts(TINY_D, 150.0, required=[4])
    assert result.status == "infeasible"


def test_backup_coverage_is_lexicographic():
    # site 2 covers all three gates; site 1 doubles gates 1 and 2 (22) and beats site 0 (20)
    distance = np.array(
        [
            [100.0, 300.0, 100.0, 300.0],
            [100.0, 100.0, 100.0, 300.0],
            [300.0, 100.0, 100.0, 100.0],
        ]
    )
    weights = np.array([10.0, 10.0, 12.0])
    result = backup_coverage(distance, weights, 150.0, 2)
    assert result.chosen == (1, 2)
    assert result.objective == 22.0
    assert result.covered.all()
    assert result.covered_twice.tolist() == [False, True, True]
    assert result.proven_optimal
    # the single-coverage level comes first: p = 1 leaves nothing covered twice
    single = backup_coverage(distance, weights, 150.0, 1)
    assert single.chosen == (2,) and single.objective == 0.0 and single.covered.all()


def test_p_median_tiny():
    x = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
    distance = np.abs(x[:, None] - x[None, :])
    weights = np.array([1.0, 1.0, 1.0, 1.0, 2.0])
    result = p_median(distance, weights, 2)
    assert result.chosen == (1, 4)
    assert result.objective == 3.0
    assert result.proven_optimal and result.bound == 3.0
    assert result.assignment.tolist() == [1, 1, 1, 4, 4]
    result = p_median(distance, weights, 2, existing=[0])
    assert result.chosen == (0, 4) and result.objective == 4.0


def test_p_median_unreachable_pairs_and_rows():
    x = np.array([0.0, 1.0, 2.0, 10.0, 11.0])
    distance = np.abs(x[:, None] - x[None, :])
    distance[3, :3] = INF  # gate 3 cannot reach sites 0-2
    distance = np.vstack([distance, np.full(5, INF)])  # a sixth gate reaches nothing
    result = p_median(distance, np.ones(6), 1)
    # one site must serve gate 3: site 3 (cost 10+9+8+0+1) beats site 4 (11+10+9+1+0)
    assert result.chosen == (3,)
    assert result.objective == 28.0
    assert result.uncoverable.tolist() == [5]
    assert result.assignment[5] == -1 and not result.covered[5]


# --------------------------------------------------------------------------- sweep


def test_coverage_sweep_monotone_and_warm_started():
    results = coverage_sweep(TINY_D, TINY_W, 150.0, [1, 2, 3, 4])
    assert [r.objective for r in results] == [50.0, 90.0, 100.0, 100.0]
    assert all(r.proven_optimal for r in results)
    with pytest.raises(InputError, match="non-decreasing"):
        coverage_sweep(TINY_D, TINY_W, 150.0, [2, 1])


def test_keep_monotone_replaces_a_worse_step():
    cover = TINY_D <= 150.0
    previous = max_coverage(TINY_D, TINY_W, 150.0, 2)
    worse = dataclasses.replace(max_coverage(TINY_D, TINY_W, 150.0, 1), status="feasible",
                                proven_optimal=False)
    fixed = keep_monotone(previous, worse, cover, TINY_W, 3)
    assert fixed.objective == 100.0 >= previous.objective
    assert set(previous.chosen) <= set(fixed.chosen)
    assert fixed.solver == "previous+greedy" and fixed.status == "feasible"
    good = max_coverage(TINY_D, TINY_W, 150.0, 3)
    assert keep_monotone(previous, good, cover, TINY_W, 3) is good


# --------------------------------------------------------------------------- random vs brute force


@pytest.mark.parametrize("seed", range(6))
def test_max_coverage_matches_brute_force(seed):
    rng = np.random.default_rng(seed)
    cover = rng.random((14, 9)) < 0.3
    cover[:, 5] = cover[:, 4] & (rng.random(14) < 0.5)  # a dominated site
    cover[3] = cover[2]  # identical rows
    weights = rng.integers(0, 9, 14).astype(float)
    required = [int(np.flatnonzero(cover.any(axis=1))[0])]
    existing = [seed % 9]
    p = 3
    expected = _brute_mclp(cover, weights, p, required, existing)
    result = max_coverage_sets(sp.csr_matrix(cover), weights, p, required=required,
                               existing=existing)
    assert result.objective == expected
    assert result.proven_optimal
    assert existing[0] in result.chosen and len(result.chosen) <= p
    assert result.covered[required].all()


@pytest.mark.parametrize("seed", range(4))
def test_min_posts_matches_brute_force(seed):
    rng = np.random.default_rng(100 + seed)
    cover = rng.random((12, 9)) < 0.3
    result = min_posts_sets(cover)
    coverable = cover.any(axis=1)
    best = next(
        k
        for k in range(10)
        for combo in itertools.combinations(range(9), k)
        if (cover[:, list(combo)].any(axis=1) if combo else np.zeros(12, bool))[coverable].all()
    )
    assert result.objective == best == len(result.chosen)
    assert result.covered[coverable].all()


def test_same_inputs_same_result():
    rng = np.random.default_rng(7)
    demand = rng.uniform(0, 3000, (80, 2))
    sites = rng.uniform(0, 3000, (200, 2))
    distance = np.linalg.norm(demand[:, None] - sites[None], axis=2)
    weights = rng.integers(1, 50, 80).astype(float)
    first = max_coverage(distance, weights, 400.0, 6)
    second = max_coverage(distance, weights, 400.0, 6)
    assert first.chosen == second.chosen and first.objective == second.objective
    assert np.array_equal(first.assignment, second.assignment)
    a = p_median(distance, weights, 4)
    b = p_median(distance, weights, 4)
    assert a.chosen == b.chosen and a.objective == b.objective and a.proven_optimal


# --------------------------------------------------------------------------- errors


def test_input_errors():
    with pytest.raises(InputError, match="NaN"):
        max_coverage(np.array([[np.nan]]), [1.0], 150.0, 1)
    with pytest.raises(InputError, match="weights"):
        max_coverage(TINY_D, -TINY_W, 150.0, 1)
    with pytest.raises(InputError, match="exceed the budget"):
        max_coverage(TINY_D, TINY_W, 150.0, 1, existing=[0, 1])
    with pytest.raises(InputError, match="required must hold indices"):
        max_coverage(TINY_D, TINY_W, 150.0, 1, required=[9])
    with pytest.raises(InputError, match="radius"):
        min_posts(TINY_D, -1.0)
    with pytest.raises(InputError, match="p must be"):
        p_median(TINY_D[:, :3], np.ones(5), 0)


# --------------------------------------------------------------------------- published optima


@pytest.mark.parametrize("name", ["pmed1", "pmed2", "pmed5", "pmed6"])
def test_orlib_pmedian_optimum(name):
    folder = _bench("pmedian", "orlib")
    distance, p = read_orlib_pmedian(folder / f"{name}.txt")
    optimum = read_orlib_pmedian_optima(folder / "pmedopt.txt")[name]
    result = p_median(distance, np.ones(len(distance)), p, time_limit_s=60)
    assert result.proven_optimal
    assert result.objective == optimum
    assert len(result.chosen) == p


def _mclp_rows(instance: str, radius: float | None = None):
    path = _bench("mclp", "mclp_optima_computed_cbc.csv")
    return [r for r in read_mclp_optima(path)
            if r["instance"] == instance and (radius is None or r["S"] == radius)]


def test_swain_all_rows():
    rows = _mclp_rows("swain")
    distance, weights = mclp_instance(_bench("mclp"), "swain")
    assert len(rows) == 27
    for row in rows:
        result = max_coverage(distance, weights, row["S"], row["p"])
        assert result.proven_optimal, row
        assert result.objective == row["covered_demand"], row


def test_sjc324_radius_800():
    rows = _mclp_rows("SJC324", 800.0)
    distance, weights = mclp_instance(_bench("mclp"), "SJC324")
    assert [r["p"] for r in rows] == [1, 2, 3, 4, 5]
    for row in rows:
        result = max_coverage(distance, weights, 800.0, row["p"])
        assert result.proven_optimal, row
        assert result.objective == row["covered_demand"], row
