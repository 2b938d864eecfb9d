"""Area benchmark: a province-like area of generated counties, planned serially and on Dask.

    python benchmarks/area_scale.py [--counties 40] [--min-schools 100] [--max-schools 400]
                                    [--workers 2] [--time-limit 10] [--seed 1] [--keep DIR]

The area: ``--counties`` counties, each a generated town of ``benchmarks/plan_scale.py``
(jittered street grid, schools on street nodes with the usual kinds and bell times, stations on
a lattice) sized to its schools — about 34 street nodes per school (the density of plan_scale's
3,000-school city), one station per 75 schools. School counts are drawn from a triangular
distribution on [min, max] with its mode at min: 40 counties give about 8,000 schools.

The same area is planned twice in this run through :func:`geo_patrol.batch.plan_area` — serially
(``workers=1``) and on a LocalCluster of ``--workers`` processes — and the script prints:

- the wall time of each and the speed-up;
- whether the two runs made identical plans (every CSV and GeoJSON byte for byte, ``plan.json``
  apart from ``created`` and the runtime fields);
- a projection of the wall time on 8, 32 and 128 workers from the serial run's task times (each
  county's task on one core): the two lower bounds (the longest task; the sum over the workers),
  the longest-first list schedule of those times (what the batch submits: biggest inputs first),
  plus the overheads measured here (the client's own work: finding counties, hashing inputs,
  writing the summary; starting the cluster and scheduling), and the bytes sent per task.
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import os
import pickle
import random
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from plan_scale import write_city  # the generator of the city benchmark

#: Street nodes per school, as in plan_scale's default city (320² nodes, 3,000 schools).
NODES_PER_SCHOOL = 34
SCHOOLS_PER_STATION = 75
RUNTIME_FIELDS = {"created", "timing_s", "runtime_s"}


def write_area(folder: Path, *, counties: int, lo: int, hi: int, seed: int) -> list[tuple[str, int, int]]:
    """Write the area's county folders; returns ``(name, schools, grid)`` per county."""
    rng = random.Random(seed)
    out = []
    for k in range(1, counties + 1):
        schools = round(rng.triangular(lo, hi, lo))
        grid = max(20, round(math.sqrt(NODES_PER_SCHOOL * schools)))
        stations = max(2, round(schools / SCHOOLS_PER_STATION))
        name = f"county{k:03d}"
        county = folder / name
        county.mkdir(parents=True)
        scenario = write_city(county, grid=grid, schools=schools, stations=stations, seed=seed * 1000 + k)
        scenario.write_text(scenario.read_text(encoding="utf-8").replace("benchmark city", name), encoding="utf-8")
        out.append((name, schools, grid))
    return out


def without_runtime(value):
    if isinstance(value, dict):
        return {k: without_runtime(v) for k, v in value.items() if k not in RUNTIME_FIELDS}
    if isinstance(value, list):
        return [without_runtime(v) for v in value]
    return value


def differences(one: Path, other: Path, counties) -> list[str]:
    """What differs between two runs' plans (empty: identical)."""
    out = []
    for name in counties:
        a, b = one / name, other / name
        if not (a / "plan.json").is_file() or not (b / "plan.json").is_file():
            out.append(f"{name}: not planned in both runs")
            continue
        files = sorted(p.name for p in a.iterdir() if p.suffix in (".csv", ".geojson"))
        for file in files:
            if not (b / file).is_file() or (a / file).read_bytes() != (b / file).read_bytes():
                out.append(f"{name}/{file}")
        meta = [without_runtime(json.loads((d / "plan.json").read_text(encoding="utf-8"))) for d in (a, b)]
        if meta[0] != meta[1]:
            out.append(f"{name}/plan.json")
    return out


def list_schedule(times: list[float], workers: int) -> float:
    """Makespan of the longest-first list schedule of ``times`` on ``workers``."""
    loads = [0.0] * min(workers, len(times))
    heapq.heapify(loads)
    for t in sorted(times, reverse=True):
        heapq.heappush(loads, heapq.heappop(loads) + t)
    return max(loads) if loads else 0.0


def folder_bytes(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--counties", type=int, default=40)
    parser.add_argument("--min-schools", type=int, default=100)
    parser.add_argument("--max-schools", type=int, default=400)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per solver call of each county")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--keep", default=None, help="write the area and both runs here instead of a temporary folder")
    args = parser.parse_args(argv)

    from geo_patrol.batch import CountyJob, plan_area, plan_county

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(args.keep) if args.keep else Path(tmp)
        t0 = time.perf_counter()
        counties = write_area(root / "area", counties=args.counties, lo=args.min_schools, hi=args.max_schools,
                              seed=args.seed)
        schools = {name: n for name, n, _ in counties}
        print(f"area: {len(counties)} counties, {sum(schools.values()):,} schools "
              f"({min(schools.values())}–{max(schools.values())} per county), street grids "
              f"{min(g for *_, g in counties)}²–{max(g for *_, g in counties)}² nodes; written in "
              f"{time.perf_counter() - t0:.1f} s", flush=True)

        def say(message: str) -> None:
            print(f"    {message}", flush=True)

        load = [os.getloadavg()[0]]
        print(f"serial run (workers=1, time limit {args.time_limit:g} s per solver call; load average "
              f"{load[0]:.1f}):", flush=True)
        serial = plan_area(root / "area", root / "serial", workers=1, time_limit_s=args.time_limit, progress=say)
        load.append(os.getloadavg()[0])
        print(f"LocalCluster run (workers={args.workers}; load average {load[1]:.1f}):", flush=True)
        parallel = plan_area(root / "area", root / "dask", workers=args.workers, time_limit_s=args.time_limit,
                             progress=say)

        load.append(os.getloadavg()[0])
        names = [name for name, *_ in counties]
        cpu_serial, cpu_dask = sum(serial.task_cpu_s.values()), sum(parallel.task_cpu_s.values())
        diff = differences(root / "serial", root / "dask", names)
        failed = [f"{o.county}: {o.error}" for o in serial.failed + parallel.failed]
        t_serial, t_dask = serial.task_s, parallel.task_s
        sum_serial = sum(t_serial.values())
        client_s = serial.wall_s - sum_serial
        span_2 = list_schedule(list(t_dask.values()), args.workers)
        cluster_s = parallel.wall_s - client_s - span_2
        job = CountyJob(names[0], str(root / "area" / names[0] / "scenario.toml"), str(root / "dask"),
                        {"time_limit_s": args.time_limit})
        sent = len(pickle.dumps((plan_county, job)))
        back = max(len(pickle.dumps([o for o in parallel.outcomes if o.county == n])) for n in names)
        inputs_mb = folder_bytes(root / "area") / 2**20
        outputs_mb = folder_bytes(root / "dask") / 2**20

        print()
        print(f"{'county':10s} {'schools':>7s} {'serial task s':>14s} {f'{args.workers}-worker task s':>16s}")
        for name in sorted(names, key=lambda n: -t_serial.get(n, 0))[:12]:
            print(f"{name:10s} {schools[name]:7d} {t_serial.get(name, float('nan')):14.1f} "
                  f"{t_dask.get(name, float('nan')):16.1f}")
        if len(names) > 12:
            print(f"… {len(names) - 12} more")
        print()
        print(f"serial: {serial.wall_s:.1f} s wall (tasks {sum_serial:.1f} s, the client's own work {client_s:.1f} s)")
        print(f"LocalCluster of {args.workers}: {parallel.wall_s:.1f} s wall (tasks {sum(t_dask.values()):.1f} s "
              f"of worker time; their longest-first schedule {span_2:.1f} s; cluster start and scheduling "
              f"{cluster_s:.1f} s)")
        print(f"speed-up: {serial.wall_s / parallel.wall_s:.2f}× on {args.workers} workers "
              f"(CPUs here: {os.cpu_count()}; load average {load[0]:.1f} / {load[1]:.1f} / {load[2]:.1f} at the "
              f"start / middle / end)")
        print(f"task CPU time: serial {cpu_serial:.1f} s, {args.workers} workers {cpu_dask:.1f} s; task wall per CPU "
              f"second: serial {sum_serial / cpu_serial:.2f}, {args.workers} workers "
              f"{sum(t_dask.values()) / cpu_dask:.2f} (above 1: waiting for a core other processes held)")
        print(f"identical plans: {'yes' if not diff else 'NO — ' + ', '.join(diff[:10])}"
              + (f"; failed counties: {failed}" if failed else ""))
        print()
        print("projection from the serial task times (one core per task), plus the overheads measured here:")
        longest = max(t_serial.values())
        print(f"{'workers':>7s} {'longest task':>13s} {'sum/workers':>12s} {'list schedule':>14s} "
              f"{'+ overheads':>12s}  limited by")
        for workers in (args.workers, 8, 32, 128):
            bound = sum_serial / workers
            span = list_schedule(list(t_serial.values()), workers)
            total = span + client_s + cluster_s
            limit = ("the largest county" if longest >= bound else "the total work") + \
                (f" ({len(names)} tasks < {workers} workers: {workers - len(names)} idle)" if workers > len(names)
                 else "")
            print(f"{workers:7d} {longest:13.1f} {bound:12.1f} {span:14.1f} {total:12.1f}  {limit}")
        print(f"data sent per task: {sent:,} bytes out (function and paths), at most {back:,} bytes back "
              f"(the figures); the inputs ({inputs_mb:.0f} MiB) are read and the plans "
              f"({outputs_mb:.0f} MiB) written by the workers on shared storage, not sent")
        print(f"limits: the largest county ({longest:.0f} s) is the floor from {math.ceil(sum_serial / longest)} "
              f"workers on (sum {sum_serial:.0f} s / longest); below that the total work; scheduling costs "
              f"milliseconds per task ({len(names)} tasks), starting the cluster and the client's own work "
              f"{client_s + cluster_s:.0f} s here; with many workers the shared storage must serve every "
              f"county's inputs ({inputs_mb / len(names):.1f} MiB) and take its plan ({outputs_mb / len(names):.1f} "
              f"MiB) at once")
        return 0 if not diff and not failed else 1


if __name__ == "__main__":
    sys.exit(main())
