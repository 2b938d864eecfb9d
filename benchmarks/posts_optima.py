"""Check geo_patrol.posts against published / computed optima.

    python benchmarks/posts_optima.py [--pmed-time-limit 120] [--only pmed|mclp]

Runs OR-Library pmed1–pmed40 (p-median, optimal values in pmedopt.txt) and every row of
mclp_optima_computed_cbc.csv (Swain and São José dos Campos MCLP). Prints one line per instance
(optimum, our value, proved optimal or not, seconds, match) and exits with status 1 if any value
differs from the optimum.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from _instances import BENCH  # noqa: E402

from geo_patrol.posts import max_coverage, p_median  # noqa: E402
from geo_patrol.posts.instances import (  # noqa: E402
    mclp_instance,
    read_mclp_optima,
    read_orlib_pmedian,
    read_orlib_pmedian_optima,
)


def run_pmedian(time_limit_s: float) -> tuple[int, int, float]:
    folder = BENCH / "pmedian" / "orlib"
    optima = read_orlib_pmedian_optima(folder / "pmedopt.txt")
    print(f"{'instance':<9}{'n':>5}{'p':>5}{'optimum':>10}{'ours':>10}{'bound':>11}"
          f"{'proved':>8}{'time_s':>9}  match", flush=True)
    matches, total_s = 0, 0.0
    for k in range(1, 41):
        name = f"pmed{k}"
        distance, p = read_orlib_pmedian(folder / f"{name}.txt")
        result = p_median(distance, np.ones(len(distance)), p, time_limit_s=time_limit_s)
        ok = result.objective == optima[name]
        matches += ok
        total_s += result.runtime_s
        print(f"{name:<9}{len(distance):>5}{p:>5}{optima[name]:>10.0f}{result.objective:>10.0f}"
              f"{result.bound:>11.1f}{'yes' if result.proven_optimal else 'no':>8}"
              f"{result.runtime_s:>9.2f}  {'yes' if ok else 'NO'}", flush=True)
    return matches, 40, total_s


def run_mclp() -> tuple[int, int, float]:
    folder = BENCH / "mclp"
    rows = read_mclp_optima(folder / "mclp_optima_computed_cbc.csv")
    print(f"{'instance':<9}{'p':>4}{'S':>7}{'optimum':>10}{'ours':>10}{'proved':>8}"
          f"{'time_s':>9}  match", flush=True)
    cache: dict[str, tuple] = {}
    matches, total_s = 0, 0.0
    for row in rows:
        if row["instance"] not in cache:
            cache[row["instance"]] = mclp_instance(folder, row["instance"])
        distance, weights = cache[row["instance"]]
        result = max_coverage(distance, weights, row["S"], row["p"])
        ok = result.objective == row["covered_demand"]
        matches += ok
        total_s += result.runtime_s
        print(f"{row['instance']:<9}{row['p']:>4}{row['S']:>7.0f}{row['covered_demand']:>10.0f}"
              f"{result.objective:>10.0f}{'yes' if result.proven_optimal else 'no':>8}"
              f"{result.runtime_s:>9.2f}  {'yes' if ok else 'NO'}", flush=True)
    return matches, len(rows), total_s


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pmed-time-limit", type=float, default=120.0,
                        help="seconds per p-median instance (default 120)")
    parser.add_argument("--only", choices=["pmed", "mclp"])
    args = parser.parse_args()
    start = time.perf_counter()
    summary = []
    if args.only in (None, "mclp"):
        summary.append(("MCLP", *run_mclp()))
    if args.only in (None, "pmed"):
        summary.append(("p-median", *run_pmedian(args.pmed_time_limit)))
    print()
    for label, matches, count, seconds in summary:
        print(f"{label}: {matches}/{count} match the optimum, {seconds:.1f} s in the solver calls")
    print(f"wall time {time.perf_counter() - start:.1f} s")
    return 0 if all(m == c for _, m, c, _ in summary) else 1


if __name__ == "__main__":
    sys.exit(main())
