"""Scale benchmark: the whole plan of a city, generated or from real school points.

    python benchmarks/plan_scale.py [--grid 320] [--schools 3000] [--stations 40] [--workers 2]
                                    [--time-limit 20] [--seed 1]
    python benchmarks/plan_scale.py --wuhan [--junctions 12000] [--stations 120] [--cars 522]
                                    [--police-per-school 1.0] [--workers 2] [--time-limit 20]

Targets (issue "a city plan in a minute and a half"), on this 2-core machine: the generated
3,000-school city of ≥ 100,000 drive nodes planned (scenario loaded → plan made and proved) in
≤ 60 s wall, the Wuhan shape in ≤ 90 s, each with peak memory ≤ 2 GiB; both at ``--time-limit
20`` (the routing work per period, the default here). The script prints the stage timings
(``plan.meta["timing_s"]``), the figures per period (``met``, ``met_strict``,
``schools_with_post``), the time to write the plan directory part by part (files, map, workbook,
duty sheets: measured, not part of the target), the peak memory and the ratios to the targets,
all measured in the same run; it exits with 1 when a target is missed.

Memory: a thread samples the resident set of this process and of every process it started (the
Dask routing workers) every 0.2 s from ``/proc``; the peak is the largest sum over the process
tree at one sample (a worker's resident set includes the libraries it shares with the others, so
the sum is on the high side). ``getrusage(RUSAGE_CHILDREN)`` is no use here: a child's maxrss
counts the parent's pages at the fork before the worker's exec (a 1 GiB parent shows 1 GiB
"workers"). Without ``/proc`` the script falls back to getrusage and says so.

**The generated city** (default): a jittered street grid (every 10th street a primary road,
every 5th a secondary, the rest residential; 65 m blocks), schools on random street nodes with
the usual kinds and staggered bell times, stations on a regular lattice (90 police, 90 auxiliary,
6 cars each).

**The Wuhan shape** (``--wuhan``): the real school points of ``../shared/data/schools/
wuhan_amap_school_poi.csv`` (7,375 Amap POIs of Wuhan; see its SOURCES.md) on a generated
city-wide main-road network:

- **Schools**: the K-12 schools and kindergartens — rows whose Amap ``TYPE`` names, in any of its
  ``|``-separated categories, ``科教文化服务;学校;幼儿园`` (kindergarten), ``…;小学`` (primary) or
  ``…;中学`` (middle; both 小学 and 中学: nine-year); universities, vocational and adult schools and
  the generic ``…;学校;学校`` are left out: 3,647 schools. Points in WGS-84 (``XWGS``/``YWGS``, as
  the file supplies them; the scenario keeps the default datum). Ids ``W0001``… in file order,
  names from the file; enrolment, priority and bell times drawn as for the generated city
  (seeded).
- **Roads**: a quadtree of blocks over the schools' extent (plus 2 km): a block is cut in four
  while it holds more than ``cap`` schools, or any school and is wider than 400 m, or is wider
  than 16 km; the blocks' sides are the roads, their corners the junctions (T-junctions where
  a small block meets a large one), every corner moved by up to ±15 m. ``cap`` is the one that
  gives the number of junctions nearest ``--junctions``. A road on a 3.2 km line is primary, on
  an 800 m line secondary, else tertiary; all two-way. Road segments of the small blocks
  (≤ 400 m) get a shape node every ≤ 100 m (as OSM draws roads), so a school is ≤ 210 m from a
  drive node (within ``max_snap_m``); the long rural segments are drawn straight.
- **Stations**: ``--stations`` (120) k-means centres of the schools (seeded), each at the junction
  nearest to it; ``--cars`` (522) shared over them in proportion to their schools (the
  project's largest-remainder rule, ``geo_patrol.model.share_out``); police and auxiliary officers
  ``round(police_per_school × schools)`` each, at least 10.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import math
import os
import random
import resource
import sys
import tempfile
import threading
import time
from pathlib import Path

import numpy as np

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


WUHAN_CSV = Path(__file__).resolve().parents[2] / "shared" / "data" / "schools" / "wuhan_amap_school_poi.csv"

#: Amap TYPE leaf → the planner's kind label (the first that a row names, kindergarten first).
WUHAN_KINDS = {"幼儿园": "幼儿园", "小学": "小学", "中学": "初中"}


def read_wuhan_schools(path: Path = WUHAN_CSV) -> list[tuple[str, str, str, float, float]]:
    """``(id, name, kind label, lon, lat)`` of the K-12 schools and kindergartens (module
    docstring), WGS-84, in file order."""
    out = []
    with open(path, encoding="utf-8-sig", newline="") as handle:
        for row in csv.DictReader(handle):
            leaves = {c.split(";")[-1] for c in row["TYPE"].split("|") if c.startswith("科教文化服务;学校;")}
            if "幼儿园" in leaves:
                kind = "幼儿园"
            elif {"小学", "中学"} <= leaves:
                kind = "九年一贯制"
            elif "小学" in leaves:
                kind = "小学"
            elif "中学" in leaves:
                kind = "初中"
            else:
                continue
            out.append((f"W{len(out) + 1:04d}", row["NAME"], kind, float(row["XWGS"]), float(row["YWGS"])))
    return out


_BELLS = {"幼儿园": (7 * 60 + 50, 16 * 60 + 30), "小学": (7 * 60 + 30, 16 * 60), "九年一贯制": (7 * 60 + 30, 16 * 60),
          "初中": (7 * 60, 17 * 60 + 10)}


def _quadtree(x: np.ndarray, y: np.ndarray, *, unit_m: float, cap: int, school_side_m: float,
              max_side_m: float, cells: int) -> list[tuple[int, int, int]]:
    """Leaf blocks ``(i0, j0, side)`` in units of ``unit_m`` over ``cells`` × ``cells`` units."""
    leaves = []
    stack = [(0, 0, cells, np.arange(x.size))]
    while stack:
        i0, j0, side, idx = stack.pop()
        side_m = side * unit_m
        if side > 1 and (idx.size > cap or (idx.size and side_m > school_side_m) or side_m > max_side_m):
            h = side // 2
            for di in (0, 1):
                for dj in (0, 1):
                    a, b = i0 + di * h, j0 + dj * h
                    sub = idx[(x[idx] >= a) & (x[idx] < a + h) & (y[idx] >= b) & (y[idx] < b + h)]
                    stack.append((a, b, h, sub))
        else:
            leaves.append((i0, j0, side))
    return sorted(leaves)


def write_wuhan_city(folder: Path, *, junctions: int = 12_000, stations: int = 120, cars: int = 522,
                     police_per_school: float = 1.0, seed: int = 1, csv_path: Path = WUHAN_CSV) -> tuple[Path, dict]:
    """Write the Wuhan shape's scenario folder (module docstring); returns the scenario file and
    the counts (schools, junctions, drive nodes, road km, stations, cars)."""
    from geo_patrol.model import share_out

    rng = random.Random(seed)
    schools = read_wuhan_schools(csv_path)
    lon = np.array([s[3] for s in schools])
    lat = np.array([s[4] for s in schools])
    unit_m, margin_m, school_side_m, max_side_m = 100.0, 2000.0, 400.0, 16_000.0
    kx, ky = 111_320 * math.cos(math.radians(float(lat.mean()))), 110_540.0
    lon0, lat0 = float(lon.min()) - margin_m / kx, float(lat.min()) - margin_m / ky
    x, y = (lon - lon0) * kx / unit_m, (lat - lat0) * ky / unit_m  # in units
    cells = 1 << math.ceil(math.log2(max(x.max(), y.max()) + margin_m / unit_m))
    best = None
    for cap in range(1, 13):
        leaves = _quadtree(x, y, unit_m=unit_m, cap=cap, school_side_m=school_side_m, max_side_m=max_side_m,
                           cells=cells)
        corners = {c for i0, j0, s in leaves for c in ((i0, j0), (i0 + s, j0), (i0, j0 + s), (i0 + s, j0 + s))}
        if best is None or abs(len(corners) - junctions) < abs(len(best[1]) - junctions):
            best = (leaves, corners)
    leaves, corners = best
    corner_list = sorted(corners)
    node_of = {c: k + 1 for k, c in enumerate(corner_list)}
    jitter = {c: (rng.uniform(-15, 15), rng.uniform(-15, 15)) for c in corner_list}

    def lonlat(i: float, j: float, dx: float = 0.0, dy: float = 0.0) -> tuple[float, float]:
        return lon0 + (i * unit_m + dx) / kx, lat0 + (j * unit_m + dy) / ky

    # the roads: per line, the union of the block sides on it, cut at the corners on it
    lines: dict[tuple[str, int], list[tuple[int, int]]] = {}
    for i0, j0, s in leaves:
        for key, interval in ((("h", j0), (i0, i0 + s)), (("h", j0 + s), (i0, i0 + s)),
                              (("v", i0), (j0, j0 + s)), (("v", i0 + s), (j0, j0 + s))):
            lines.setdefault(key, []).append(interval)
    on_line: dict[tuple[str, int], list[int]] = {}
    for i, j in corner_list:
        on_line.setdefault(("h", j), []).append(i)
        on_line.setdefault(("v", i), []).append(j)
    next_id = len(corner_list) + 1
    extra_nodes: list[tuple[int, float, float]] = []
    ways: list[tuple[str, list[int]]] = []
    road_m = 0.0
    for key in sorted(lines):
        axis, c = key
        kind = "primary" if c % 32 == 0 else "secondary" if c % 8 == 0 else "tertiary"
        spans = sorted(lines[key])
        merged = [list(spans[0])]
        for a, b in spans[1:]:
            if a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b])
        points = sorted(on_line[key])
        for a, b in merged:
            stops = [t for t in points if a <= t <= b]
            refs = []
            for t0, t1 in zip(stops[:-1], stops[1:]):
                c0 = (t0, c) if axis == "h" else (c, t0)
                c1 = (t1, c) if axis == "h" else (c, t1)
                refs.append(node_of[c0])
                p0, p1 = lonlat(*c0, *jitter[c0]), lonlat(*c1, *jitter[c1])
                length_m = (t1 - t0) * unit_m
                road_m += length_m
                pieces = math.ceil(length_m / unit_m) if length_m <= school_side_m else 1
                for k in range(1, pieces):
                    f = k / pieces
                    extra_nodes.append((next_id, p0[0] + f * (p1[0] - p0[0]), p0[1] + f * (p1[1] - p0[1])))
                    refs.append(next_id)
                    next_id += 1
            end = (stops[-1], c) if axis == "h" else (c, stops[-1])
            refs.append(node_of[end])
            ways.append((kind, refs))
    with gzip.open(folder / "city.osm.gz", "wt", encoding="utf-8") as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<osm version="0.6" generator="geo_patrol benchmark">\n')
        for c in corner_list:
            x_, y_ = lonlat(*c, *jitter[c])
            out.write(f'<node id="{node_of[c]}" lat="{y_:.7f}" lon="{x_:.7f}"/>\n')
        for node, x_, y_ in extra_nodes:
            out.write(f'<node id="{node}" lat="{y_:.7f}" lon="{x_:.7f}"/>\n')
        for k, (kind, refs) in enumerate(ways, start=1):
            out.write(f'<way id="{k}">' + "".join(f'<nd ref="{r}"/>' for r in refs)
                      + f'<tag k="highway" v="{kind}"/></way>\n')
        out.write("</osm>\n")

    rows = [["学校编号", "学校名称", "类型", "经度", "纬度", "在校人数", "优先级", "上学时间", "放学时间"]]
    for sid, name, kind, x_, y_ in schools:
        morning, afternoon = _BELLS[kind]
        start = morning + 10 * rng.randint(-2, 2)
        end = afternoon + 10 * rng.randint(-2, 2)
        rows.append([sid, name, kind, f"{x_:.7f}", f"{y_:.7f}", str(rng.randint(150, 2000)), str(rng.randint(2, 4)),
                     f"{start // 60:02d}:{start % 60:02d}-{(start + 40) // 60:02d}:{(start + 40) % 60:02d}",
                     f"{end // 60:02d}:{end % 60:02d}-{(end + 40) // 60:02d}:{(end + 40) % 60:02d}"])
    with open(folder / "schools.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)

    # stations: k-means centres of the schools (Lloyd, seeded), each at its nearest junction
    pts = np.column_stack([x, y])
    centres = pts[np.array(sorted(rng.sample(range(len(pts)), stations)))]
    for _ in range(50):
        label = np.argmin(((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
        for k in range(stations):
            if np.any(label == k):
                centres[k] = pts[label == k].mean(axis=0)
    label = np.argmin(((pts[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2), axis=1)
    grid_pts = np.array(corner_list, dtype=float)
    taken: set[tuple[int, int]] = set()
    sizes = [int(np.sum(label == k)) for k in range(stations)]
    car_share = share_out(cars, sizes)
    rows = [["派出所编号", "派出所", "经度", "纬度", "民警", "辅警", "警车"]]
    for k in range(stations):
        order = np.argsort(((grid_pts - centres[k]) ** 2).sum(axis=1), kind="stable")
        c = next(corner_list[int(i)] for i in order if corner_list[int(i)] not in taken)
        taken.add(c)
        x_, y_ = lonlat(*c, *jitter[c])
        officers = max(10, round(police_per_school * sizes[k]))
        rows.append([f"S{k + 1:03d}", f"第{k + 1}派出所", f"{x_:.7f}", f"{y_:.7f}", str(officers), str(officers),
                     str(car_share[k])])
    with open(folder / "stations.csv", "w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    (folder / "scenario.toml").write_text(
        '[scenario]\nname = "Wuhan shape"\nseed = 1\n\n[inputs]\nschools = "schools.csv"\n'
        'stations = "stations.csv"\nnetwork = "city.osm.gz"\n', encoding="utf-8")
    info = {"schools": len(schools), "junctions": len(corner_list), "nodes": len(corner_list) + len(extra_nodes),
            "road_km": road_m / 1000.0, "stations": stations, "cars": sum(car_share)}
    return folder / "scenario.toml", info


class MemorySampler:
    """Peak resident memory of this process and the processes it started (module docstring)."""

    def __init__(self, interval_s: float = 0.2) -> None:
        self.interval_s = interval_s
        self.proc = Path("/proc")
        self.available = (self.proc / "self" / "status").exists()
        self.peak_total = 0  # KiB, largest sum over the tree at one sample
        self.peak_child: dict[int, int] = {}  # pid → largest VmHWM seen (KiB)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def __enter__(self) -> MemorySampler:
        if self.available:
            self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        if self.available:
            self._thread.join()
            self.sample()

    @staticmethod
    def _status(path: Path) -> dict[str, int]:
        try:
            text = (path / "status").read_text()
        except OSError:
            return {}
        out = {}
        for line in text.splitlines():
            if line.startswith(("VmRSS:", "VmHWM:", "PPid:")):
                key, value = line.split(":", 1)
                out[key] = int(value.split()[0])
        return out

    def sample(self) -> None:
        me = os.getpid()
        parent: dict[int, int] = {}
        status: dict[int, dict[str, int]] = {}
        for entry in self.proc.iterdir():
            if entry.name.isdigit():
                st = self._status(entry)
                if st:
                    parent[int(entry.name)] = st.get("PPid", 0)
                    status[int(entry.name)] = st
        total = 0
        for pid, st in status.items():
            p = pid
            while p not in (0, 1, me) and p in parent:
                p = parent[p]
            if p != me:
                continue
            total += st.get("VmRSS", 0)
            if pid != me:
                self.peak_child[pid] = max(self.peak_child.get(pid, 0), st.get("VmHWM", 0))
        self.peak_total = max(self.peak_total, total)

    def _run(self) -> None:
        while not self._stop.wait(self.interval_s):
            self.sample()

    def report(self) -> tuple[float, float, float, str]:
        """``(peak of the tree, own peak, largest child's peak)`` in GiB and how it was measured."""
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024  # KiB on Linux
        if not self.available:
            child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
            return own + child, own, child, "getrusage (no /proc: a child counts its parent's pages at fork)"
        child = max(self.peak_child.values(), default=0) / 1024 / 1024
        return max(self.peak_total / 1024 / 1024, own), own, child, "sampled from /proc every 0.2 s"


def _write_parts(plan, folder: Path) -> dict[str, float]:
    """Write the plan directory as ``Plan.to_dir`` does, timing each part (seconds)."""
    from geo_patrol.io.plandir import write_files
    from geo_patrol.outputs.duty_sheets import write_duty_sheets
    from geo_patrol.outputs.map import render_map
    from geo_patrol.outputs.workbook import write_report

    folder.mkdir(parents=True)
    out = {}
    for name, write in (("files", lambda: write_files(plan, folder)), ("map", lambda: render_map(folder)),
                        ("workbook", lambda: write_report(folder)), ("duty_sheets", lambda: write_duty_sheets(folder))):
        t0 = time.perf_counter()
        write()
        out[name] = round(time.perf_counter() - t0, 1)
    return out


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--wuhan", action="store_true", help="the Wuhan shape instead of the generated city")
    parser.add_argument("--grid", type=int, default=320, help="generated city: streets per side (grid² nodes)")
    parser.add_argument("--schools", type=int, default=3000, help="generated city: schools")
    parser.add_argument("--stations", type=int, default=None, help="stations (default 40, Wuhan 120)")
    parser.add_argument("--junctions", type=int, default=12_000, help="Wuhan: junctions of the road network")
    parser.add_argument("--cars", type=int, default=522, help="Wuhan: patrol cars over all stations")
    parser.add_argument("--police-per-school", type=float, default=1.0, help="Wuhan: officers of each role")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=20.0, help="routing work per period, seconds")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)

    from geo_patrol.plan import make_plan
    from geo_patrol.scenario import Scenario
    from geo_patrol.snapping import prepare

    target_s = 90.0 if args.wuhan else 60.0
    target_gib = 2.0
    print(f"load average {os.getloadavg()[0]:.2f} (1 min) on {os.cpu_count()} cores at the start", flush=True)
    with tempfile.TemporaryDirectory() as tmp, MemorySampler() as memory:
        t0 = time.perf_counter()
        if args.wuhan:
            path, info = write_wuhan_city(Path(tmp), junctions=args.junctions, stations=args.stations or 120,
                                          cars=args.cars, police_per_school=args.police_per_school, seed=args.seed)
            print(f"Wuhan shape written in {time.perf_counter() - t0:.1f} s: {info['schools']:,} schools (K-12 and "
                  f"kindergartens), {info['junctions']:,} junctions, {info['nodes']:,} road nodes, "
                  f"{info['road_km']:,.0f} km of road, {info['stations']} stations, {info['cars']} cars", flush=True)
        else:
            path = write_city(Path(tmp), grid=args.grid, schools=args.schools, stations=args.stations or 40,
                              seed=args.seed)
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
        load_after_plan = os.getloadavg()[0]
        parts = _write_parts(plan, Path(tmp) / "plan")
        written = time.perf_counter() - started
    peak, own, child, how = memory.report()
    s = plan.meta["summary"]
    print(f"plan: posts {s['posts']}, police {s['police']}, auxiliary {s['auxiliary']}, cars used {s['cars_used']}")
    for period in s["periods"]:
        n = s["windows"][period]
        print(f"  {period}: met {s['met'][period]}/{n}, met_strict {s['met_strict'][period]}/{n}, "
              f"schools_with_post {s['schools_with_post'][period]}/{n}, response within "
              f"{s['response_target_s']} s {100 * s['response_within_target_share'][period]:.1f}% of school-minutes")
    print(f"timing (s): {plan.meta['timing_s']}")
    print(f"writing the plan directory (s, not in the target): {parts}, {written - wall:.1f} in all")
    print(f"wall time (load → plan proved): {wall:.1f} s; target {target_s:.0f} s → ratio {wall / target_s:.2f} "
          f"of the target (load average {load_after_plan:.2f} at the end)")
    print(f"peak memory ({how}): {peak:.2f} GiB for this process and its workers together (this process "
          f"{own:.2f} GiB, largest worker {child:.2f} GiB); target {target_gib:.0f} GiB → ratio "
          f"{peak / target_gib:.2f} of the target")
    return 0 if wall <= target_s and peak <= target_gib else 1


if __name__ == "__main__":
    sys.exit(main())
