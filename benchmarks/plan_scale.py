"""Scale benchmark: a generated city of 3,000 schools on a road network of ≥ 100,000 nodes.

Targets (issue "The semester plan"): the whole plan in ≤ 10 min wall and ≤ 4 GiB peak memory on
a 2-core machine, with each station's jurisdiction routed separately and the parts solved in
parallel. Prints the measured figures as ratios of the targets.

    python benchmarks/plan_scale.py [--grid 320] [--schools 3000] [--stations 40] [--workers 2]
                                    [--time-limit 60] [--seed 1]

The city: a jittered street grid (every 10th street a primary road, every 5th a secondary, the
rest residential; 65 m blocks), schools on random street nodes with the usual kinds and
staggered bell times, stations on a regular lattice. Written as the files a planner brings
(OSM XML, CSV, TOML) into a temporary folder and loaded through the normal loaders.
"""

from __future__ import annotations

import argparse
import gzip
import math
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

LON0, LAT0 = 114.20, 30.45
STEP_DEG_LON = 65 / (111_320 * 0.8616)  # ≈ 65 m at 30.5°N
STEP_DEG_LAT = 65 / 110_540

KINDS = [("kindergarten", 0.45, "幼儿园", (7 * 60 + 50, 16 * 60 + 30)),
         ("primary", 0.35, "小学", (7 * 60 + 30, 16 * 60)),
         ("middle", 0.15, "初中", (7 * 60, 17 * 60 + 10)),
         ("high", 0.05, "高中", (6 * 60 + 50, 17 * 60 + 40))]


def _draw_kind(r: float):
    """The KINDS entry a uniform draw ``r`` falls in (shares add up to 1)."""
    acc = 0.0
    for entry in KINDS:
        acc += entry[1]
        if r <= acc:
            return entry
    return KINDS[-1]


def write_city(folder: Path, *, grid: int, schools: int, stations: int, seed: int) -> Path:
    rng = random.Random(seed)
    coords = {}
    with gzip.open(folder / "city.osm.gz", "wt", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="geo_patrol benchmark">\n')
        for i in range(grid):
            for j in range(grid):
                lon = LON0 + (i + rng.uniform(-0.2, 0.2)) * STEP_DEG_LON
                lat = LAT0 + (j + rng.uniform(-0.2, 0.2)) * STEP_DEG_LAT
                node = 1 + i * grid + j
                coords[node] = (lon, lat)
                out.write(f'<node id="{node}" lat="{lat:.7f}" lon="{lon:.7f}"/>\n')
        way = 1
        for horizontal in (True, False):
            for a in range(grid):
                kind = "primary" if a % 10 == 0 else "secondary" if a % 5 == 0 else "residential"
                refs = [1 + (b * grid + a if horizontal else a * grid + b) for b in range(grid)]
                out.write(f'<way id="{way}">' + "".join(f'<nd ref="{r}"/>' for r in refs)
                          + f'<tag k="highway" v="{kind}"/></way>\n')
                way += 1
        out.write("</osm>\n")
    nodes = sorted(coords)
    picks = rng.sample(nodes, schools)
    lines = ["学校编号,学校名称,类型,经度,纬度,在校人数,上学时间,放学时间"]
    for n, node in enumerate(picks, start=1):
        _, _, label, (morning, afternoon) = _draw_kind(rng.random())
        start = morning + 10 * rng.randint(-2, 2)
        end = afternoon + 10 * rng.randint(-2, 2)
        lon, lat = coords[node]
        lines.append(f"C{n:04d},城区第{n}{label},{label},{lon:.7f},{lat:.7f},{rng.randint(150, 2000)},"
                     f"{start // 60:02d}:{start % 60:02d}-{(start + 40) // 60:02d}:{(start + 40) % 60:02d},"
                     f"{end // 60:02d}:{end % 60:02d}-{(end + 40) // 60:02d}:{(end + 40) % 60:02d}")
    (folder / "schools.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    rows_n = max(1, round(stations ** 0.5))
    cols_n = math.ceil(stations / rows_n)
    rows = ["派出所编号,派出所,经度,纬度,民警,辅警,警车"]
    k = 0
    for a in range(cols_n):
        for b in range(rows_n):
            if k == stations:
                break
            i = int((a + 0.5) * grid / cols_n)
            j = int((b + 0.5) * grid / rows_n)
            lon, lat = coords[1 + i * grid + j]
            k += 1
            rows.append(f"S{k:02d},第{k}派出所,{lon:.7f},{lat:.7f},90,90,6")
    (folder / "stations.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    (folder / "scenario.toml").write_text(
        '[scenario]\nname = "benchmark city"\nseed = 1\n\n[inputs]\nschools = "schools.csv"\n'
        'stations = "stations.csv"\nnetwork = "city.osm.gz"\n', encoding="utf-8")
    return folder / "scenario.toml"


def peak_rss_gib(workers: int) -> tuple[float, float, float]:
    """``(upper bound, own peak, largest worker's peak)`` in GiB; the bound is this process's
    peak plus ``workers`` times the largest worker's (they need not peak at the same time)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB on Linux
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    return own + workers * child, own, child


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--grid", type=int, default=320, help="streets per side (grid² nodes)")
    parser.add_argument("--schools", type=int, default=3000)
    parser.add_argument("--stations", type=int, default=40)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=60.0, help="routing work per period, seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from geo_patrol.plan import make_plan
    from geo_patrol.scenario import Scenario
    from geo_patrol.snapping import prepare

    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        path = write_city(Path(tmp), grid=args.grid, schools=args.schools, stations=args.stations, seed=args.seed)
        print(f"city written in {time.perf_counter() - t0:.1f} s", flush=True)
        started = time.perf_counter()
        scenario = Scenario.from_toml(path)
        prepared = prepare(scenario)
        print(f"network: {prepared.network.n_nodes:,} drive nodes, {prepared.network.n_edges:,} edges; "
              f"{len(scenario.schools):,} schools, {len(scenario.stations)} stations, "
              f"{sum(s.cars for s in scenario.stations)} cars; prepared in {time.perf_counter() - started:.1f} s",
              flush=True)

        def say(message: str) -> None:
            print(f"  [{time.perf_counter() - started:7.1f} s] {message}", flush=True)

        plan = make_plan(scenario, prepared=prepared, time_limit_s=args.time_limit, workers=args.workers,
                         progress=say)
        wall = time.perf_counter() - started
        out = Path(tmp) / "plan"
        plan.to_dir(out)
        written = time.perf_counter() - started
    s = plan.meta["summary"]
    peak, own, child = peak_rss_gib(args.workers)
    print(f"plan: attained share {s['attained_share']}, posts {s['posts']}, police {s['police']}, "
          f"cars used {s['cars_used']}")
    print(f"timing: {plan.meta['timing_s']}")
    print(f"wall time (load → plan): {wall:.1f} s, with writing the plan directory {written:.1f} s; "
          f"target 600 s → ratio {written / 600:.2f} of the target")
    print(f"peak memory: main process {own:.2f} GiB, largest worker {child:.2f} GiB; upper bound "
          f"main + {args.workers} workers {peak:.2f} GiB; target 4 GiB → ratio {peak / 4:.2f} of the target")
    return 0 if written <= 600 and peak <= 4 else 1


if __name__ == "__main__":
    sys.exit(main())
