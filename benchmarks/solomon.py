"""Solomon VRPTW benchmark of the patrol routing engines.

Conventions: travel time = Euclidean distance; coordinates, times and distances are scaled by
``SCALE`` = 1000 and travel times rounded *up* to whole units (so an integer-feasible schedule
is feasible in exact arithmetic); vehicle capacity and demands as in the file; fleet = the
file's vehicle number, all at the depot, available over the depot's window. Every customer
is a visit of weight 1 (the engines' drop penalty makes serving all customers the first
objective); the second objective — total drive time — is the distance. The reported distance
is recomputed from the routes in double-precision Euclidean and compared with
``distmin_distance`` of ``solomon_bks.csv`` (best known when minimising distance only).

Usage::

    python benchmarks/solomon.py --instances C101,R201 --time-limit 30 --engine both \
        --solutions out/

Prints ``instance,engine,vehicles,distance,bks_distance,gap_pct`` per instance (plus
``served`` and ``runtime_s`` columns) and the mean gap per engine.
"""

from __future__ import annotations

import argparse
import csv
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from geo_patrol.patrols import RoutingProblem, Vehicle, Visit, check_feasible, solve  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "benchmarks" / "vrptw"
SCALE = 1000


def read_solomon(path: Path):
    """(n_vehicles, capacity, rows) with rows = (no, x, y, demand, ready, due, service)."""
    lines = [ln.split() for ln in path.read_text().splitlines()]
    head = next(i for i, ln in enumerate(lines) if ln[:2] == ["NUMBER", "CAPACITY"])
    n_veh, cap = int(lines[head + 1][0]), int(lines[head + 1][1])
    rows = []
    for ln in lines[head + 2:]:
        if len(ln) == 7 and all(p.replace(".", "").isdigit() for p in ln):
            rows.append(tuple(float(p) for p in ln))
    return n_veh, cap, rows


def to_problem(path: Path) -> tuple[RoutingProblem, np.ndarray]:
    n_veh, cap, rows = read_solomon(path)
    xy = np.array([(r[1], r[2]) for r in rows])
    dist = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    travel = np.ceil(dist * SCALE - 1e-6).astype(np.int64)
    depot = rows[0]
    vehicles = tuple(
        Vehicle(f"v{k}", "depot", 0, 0, int(depot[4] * SCALE), int(depot[5] * SCALE), capacity=cap)
        for k in range(n_veh)
    )
    visits = tuple(
        Visit(str(int(r[0])), i, int(r[4] * SCALE), int(r[5] * SCALE), dwell_s=int(r[6] * SCALE),
              weight=1, demand=int(r[3]))
        for i, r in enumerate(rows) if i > 0
    )
    return RoutingProblem(travel, vehicles, visits), dist


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--instances", default="")
    ap.add_argument("--time-limit", type=float, default=30.0)
    ap.add_argument("--engine", default="both", choices=["pyvrp", "ortools", "both"])
    ap.add_argument("--iterations", type=int, default=None,
                    help="work budget (default: as large as the time limit allows)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--solutions", type=Path, default=None)
    args = ap.parse_args(argv)
    bks = {r["instance"]: r for r in csv.DictReader(open(DATA / "solomon_bks.csv"))}
    names = [s.strip() for s in args.instances.split(",") if s.strip()] or list(bks)
    engines = ["pyvrp", "ortools"] if args.engine == "both" else [args.engine]
    gaps: dict[str, list[float]] = {e: [] for e in engines}
    print("instance,engine,vehicles,distance,bks_distance,gap_pct,served,runtime_s", flush=True)
    for engine in engines:
        for name in names:
            problem, dist = to_problem(DATA / "solomon" / f"{name}.txt")
            # Time is the only stop unless --iterations is given (a huge budget otherwise).
            iters = args.iterations if args.iterations else 10**9
            t0 = time.perf_counter()
            res = solve(problem, engine=engine, time_limit_s=args.time_limit, seed=args.seed,
                        iterations=iters)
            wall = time.perf_counter() - t0
            errs = check_feasible(problem, res)
            if errs:
                print(f"# {name} {engine}: INFEASIBLE {errs[:3]}", flush=True)
            routes = [[int(s.visit_id) for s in r.stops] for r in res.routes if r.stops]
            d = sum(dist[0, r[0]] + sum(dist[a, b] for a, b in zip(r, r[1:])) + dist[r[-1], 0]
                    for r in routes)
            ref = float(bks[name]["distmin_distance"])
            gap = 100.0 * (d - ref) / ref
            served = sum(len(r) for r in routes)
            if served == len(problem.visits):
                gaps[engine].append(gap)
            print(f"{name},{engine},{len(routes)},{d:.2f},{ref:.2f},{gap:.2f},{served},{wall:.1f}",
                  flush=True)
            if args.solutions:
                args.solutions.mkdir(parents=True, exist_ok=True)
                out = args.solutions / f"{name}.{engine}.sol"
                out.write_text("".join(" ".join(map(str, r)) + "\n" for r in routes))
    for engine, g in gaps.items():
        if g:
            print(f"# mean gap {engine}: {sum(g) / len(g):.2f} % over {len(g)} instances "
                  f"(all customers served)", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
