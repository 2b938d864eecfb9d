"""Patrol-engine comparison on generated district instances.

Instances (seeded): a 24 km × 24 km district, 150–300 schools in a few clusters, 6–12
police stations, 10–30 cars spread over the stations; each school has one morning window of
30–50 min inside 06:50–08:40, 1 or 2 visits per window (min gap 10 min), dwell 300 s, weight
1–3; travel time = planar distance × road factor 1.3 at 30 km/h (± 10 % asymmetric noise).
Cars are available from 30 min before the earliest window to 30 min after the latest.

Both engines get the same wall-clock limit and an unbounded iteration budget; the table
shows served priority weight, drive time, stops, feasibility and iterations per second.

Usage: ``python benchmarks/patrol_engines.py --instances 4 --time-limit 30``
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_patrol.patrols import (  # noqa: E402
    GateWindow,
    RoutingProblem,
    Station,
    build_problem,
    check_feasible,
    solve,
)

SPEED_KPH = 30.0
ROAD_FACTOR = 1.3


def make_instance(seed: int) -> RoutingProblem:
    """A random district (see the module docstring) from ``seed``."""
    rng = np.random.default_rng(seed)
    n_schools = int(rng.integers(150, 301))
    n_stations = int(rng.integers(6, 13))
    n_cars = int(rng.integers(10, 31))
    side_m = 24_000.0
    centres = rng.uniform(2_000, side_m - 2_000, size=(int(rng.integers(3, 7)), 2))
    which = rng.integers(0, len(centres), size=n_schools)
    schools = np.clip(centres[which] + rng.normal(0, 2_500, size=(n_schools, 2)), 0, side_m)
    stations = rng.uniform(1_000, side_m - 1_000, size=(n_stations, 2))
    xy = np.vstack([stations, schools])
    dist_m = np.sqrt(((xy[:, None] - xy[None]) ** 2).sum(-1)) * ROAD_FACTOR
    noise = rng.uniform(0.9, 1.1, size=dist_m.shape)
    travel_s = np.rint(dist_m * noise / (SPEED_KPH / 3.6)).astype(np.int64)
    np.fill_diagonal(travel_s, 0)
    cars = np.bincount(rng.integers(0, n_stations, size=n_cars), minlength=n_stations)
    cars = np.maximum(cars, 0)
    st = [Station(f"S{k:02d}", k, int(cars[k])) for k in range(n_stations)]
    gates = []
    lo, hi = 6 * 3600 + 50 * 60, 8 * 3600 + 40 * 60
    for i in range(n_schools):
        length = int(rng.integers(30, 51)) * 60
        start = int(rng.integers(lo // 60, (hi - length) // 60 + 1)) * 60
        gates.append(
            GateWindow(
                id=f"school{i:03d}",
                loc=n_stations + i,
                window_start_s=start,
                window_end_s=start + length,
                visits=int(rng.choice([1, 2], p=[0.7, 0.3])),
                min_gap_s=600,
                dwell_s=300,
                weight=int(rng.choice([1, 2, 3], p=[0.5, 0.3, 0.2])),
            )
        )
    return build_problem(travel_s, st, gates)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", type=int, default=4)
    ap.add_argument("--first-seed", type=int, default=1)
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--engines", default="pyvrp,ortools")
    args = ap.parse_args(argv)
    engines = args.engines.split(",")
    print("seed,visits,cars,total_weight,engine,served_weight,drive_min,stops,feasible,"
          "runtime_s,iterations_per_s", flush=True)
    for seed in range(args.first_seed, args.first_seed + args.instances):
        problem = make_instance(seed)
        for engine in engines:
            res = solve(problem, engine=engine, time_limit_s=args.time_limit, seed=0,
                        iterations=10**9)
            ok = not check_feasible(problem, res)
            print(f"{seed},{len(problem.visits)},{len(problem.vehicles)},{res.total_weight},"
                  f"{engine},{res.served_weight},{res.drive_s / 60:.1f},{res.n_served},{ok},"
                  f"{res.runtime_s:.1f},{res.iterations / max(res.runtime_s, 1e-9):.0f}",
                  flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
