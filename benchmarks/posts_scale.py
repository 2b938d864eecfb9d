"""Speed of geo_patrol.posts.max_coverage at district and city scale, against PySAL spopt.

    python benchmarks/posts_scale.py [--seed 1] [--spopt-time-limit 300] [--skip-spopt-city]

(a) seeded random planar town (metres): 300 schools × 2,000 candidate sites, p = 30, radius
    500 m, weights = enrolment 200–1,999: time to a proved optimum.
(b) Wuhan: the 7,375 school POIs (WGS-84 → UTM 50N metres) as demand with weight 1; sites =
    500 m grid points within 1 km of a school plus the schools; covered iff straight-line
    distance <= 1 km; p = 300; stop at a proved relative gap of 0.5 %, time limit 60 s.
(c) the same coverage through spopt ``MCLP.from_cost_matrix`` (PuLP + CBC, one thread) in a
    child process with a wall-clock limit and a 6 GB address-space cap; reported as time ratio
    ours / spopt and objective difference, or "did not finish".
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import sys
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp
from scipy.spatial.distance import cdist

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _instances import coverage_matrix, grid_sites, random_planar, wuhan_schools_xy  # noqa: E402

from geo_patrol.posts import (  # noqa: E402
    max_coverage,
    max_coverage_sets,
    reductions,  # noqa: E402
)

SPOPT_MEMORY_BYTES = 6 * 1024**3


def _spopt_child(cover: sp.csr_matrix, weights: np.ndarray, p: int, time_limit_s: float, queue):
    import resource

    resource.setrlimit(resource.RLIMIT_AS, (SPOPT_MEMORY_BYTES, SPOPT_MEMORY_BYTES))
    try:
        import pulp
        from spopt.locate import MCLP

        start = time.perf_counter()
        # spopt takes a dense cost matrix: 0 where covered, 2 where not, radius 1
        cost = np.where(cover.toarray(), np.float32(0.0), np.float32(2.0))
        model = MCLP.from_cost_matrix(cost, weights, service_radius=1.0, p_facilities=p)
        built = time.perf_counter() - start
        model.solve(pulp.PULP_CBC_CMD(msg=False, timeLimit=time_limit_s, threads=1))
        chosen = [j for j, var in enumerate(model.fac_vars) if (var.value() or 0) > 0.5]
        covered = cover[:, chosen].sum(axis=1).A1 > 0 if chosen else np.zeros(len(weights), bool)
        queue.put(("ok", time.perf_counter() - start, built, float(weights[covered].sum()),
                   pulp.LpStatus[model.problem.status]))
    except MemoryError:
        queue.put(("memory", None, None, None, "MemoryError"))
    except Exception as exc:  # reported, not hidden
        queue.put(("error", None, None, None, repr(exc)))


def run_spopt(cover, weights, p: int, time_limit_s: float, wall_limit_s: float):
    """spopt's MCLP in a child process; returns (state, seconds, build_s, covered, status)."""
    ctx = mp.get_context("fork")
    queue = ctx.Queue()
    child = ctx.Process(target=_spopt_child, args=(cover, weights, p, time_limit_s, queue))
    start = time.perf_counter()
    child.start()
    child.join(wall_limit_s)
    if child.is_alive():
        child.kill()
        child.join()
        return ("timeout", time.perf_counter() - start, None, None, "killed at wall limit")
    if queue.empty():
        return ("crashed", time.perf_counter() - start, None, None, f"exit code {child.exitcode}")
    return queue.get()


def report_spopt(label: str, ours_s: float, ours_obj: float, spopt_result) -> None:
    state, seconds, built, covered, status = spopt_result
    if state == "ok":
        print(f"  spopt ({label}): {seconds:.2f} s (model build {built:.2f} s), covered {covered:g}, "
              f"CBC status {status}; time ratio ours/spopt = {ours_s / seconds:.3f}; "
              f"objective ours - spopt = {ours_obj - covered:+g}")
    else:
        print(f"  spopt ({label}): did not finish ({state}: {status}) after {seconds:.1f} s")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--spopt-time-limit", type=float, default=300.0,
                        help="CBC time limit given to spopt, seconds (wall limit = 2x)")
    parser.add_argument("--skip-spopt-city", action="store_true")
    args = parser.parse_args()

    print("(a) random planar town: 300 schools x 2000 sites, p = 30, radius 500 m")
    demand, sites = random_planar(300, 2000, seed=args.seed)
    distance = cdist(demand, sites)
    weights = np.random.default_rng(args.seed).integers(200, 2000, 300).astype(float)
    start = time.perf_counter()
    result = max_coverage(distance, weights, 500.0, 30)
    ours_s = time.perf_counter() - start
    print(f"  ours: {result.summary()}; covered {result.objective / weights.sum():.1%} of weight;"
          f" wall {ours_s:.3f} s (target <= 1 s: {'met' if ours_s <= 1 and result.proven_optimal else 'NOT met'})")
    report_spopt("random", ours_s, result.objective,
                 run_spopt(sp.csr_matrix(distance <= 500.0), weights, 30, args.spopt_time_limit,
                           2 * args.spopt_time_limit))

    print("(b) Wuhan: 7375 school POIs, sites = 500 m grid within 1 km + schools, radius 1 km, p = 300")
    start = time.perf_counter()
    schools = wuhan_schools_xy()
    grid = grid_sites(schools, spacing_m=500.0, within_m=1000.0)
    sites = np.vstack([grid, schools])
    cover = coverage_matrix(schools, sites, 1000.0)
    build_s = time.perf_counter() - start
    weights = np.ones(len(schools))
    print(f"  instance: {len(schools)} schools, {len(sites)} sites ({len(grid)} grid), "
          f"{cover.nnz} coverage pairs, built in {build_s:.2f} s")
    start = time.perf_counter()
    reduced = reductions.reduce_coverage(cover, weights, np.zeros(len(schools), bool),
                                         np.zeros(0, np.int64))
    print(f"  reductions alone: {reduced.matrix.shape[0]} rows x {reduced.matrix.shape[1]} sites, "
          f"{reduced.matrix.nnz} pairs, {time.perf_counter() - start:.2f} s")
    start = time.perf_counter()
    result = max_coverage_sets(cover, weights, 300, time_limit_s=60.0, gap=0.005)
    ours_s = time.perf_counter() - start
    print(f"  ours: {result.summary()}; uncoverable {result.uncoverable.size}; wall {ours_s:.2f} s "
          f"(target <= 60 s with gap <= 0.5 %: "
          f"{'met' if ours_s <= 60 and result.proven_optimal and result.gap <= 0.005 else 'NOT met'})")
    if args.skip_spopt_city:
        print("  spopt (Wuhan): skipped")
    else:
        report_spopt("Wuhan", ours_s, result.objective,
                     run_spopt(cover, weights, 300, args.spopt_time_limit,
                               2 * args.spopt_time_limit))
    return 0


if __name__ == "__main__":
    sys.exit(main())
