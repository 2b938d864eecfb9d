"""Central Beijing on real data: the 2013 OSM road network and the Beijing primary-school lists.

    python benchmarks/beijing_city.py [--time-limit 20] [--out DIR] [--workers 2] [--densify-m 50]
                                      [--cell-m 2000] [--police-per-school 1] [--schools-per-car 6]

Plans the city end to end through the public API (``Scenario.from_toml``, ``make_plan``,
``Plan.to_dir``) from a scenario folder written the way a planner would bring it, so
``geo-patrol plan DIR/scenario/scenario.toml`` plans the same files. Prints the city's size,
the wall time per stage, the peak memory, the figures per period, and the comparison with
baselines measured in the same run: the wall time against the 10-minute target, and the plan
against a "posts only" plan with 0 cars (``make_plan(..., cars=0)``) on the same scenario.

Data (``../shared/data``, see its SOURCES.md files):

- roads: ``osm/china/beijing_core_osm2013_intersections.osm.gz``, central Beijing as mapped in
  OSM around 2013, 32,552 nodes, ways drawn as straight lines between intersections;
- schools: ``schools/beijing_primary_schools_{key,nonkey}.geojson``, 100 + 729 primary schools;
  ids ``BJK001``… and ``BJN001``… in file order.

Rules (the inputs hold no more than points, so everything else is a stated assumption):

- **Datum.** The school points are written as they are (GCJ-02) and the scenario declares
  ``schools_datum = "gcj02"``. Evidence: the list's "Primary School Affiliated to Tsinghua
  University" lies 60 m from OSM's 清华附小 (``amenity=school`` in the Haidian extract, WGS-84) after
  ``geo_patrol.datum.to_wgs84(..., "gcj02")`` and 564 m before. Snap distances to the drive
  network cannot tell the datums apart on this network (the run prints both medians).
- **Schools in the extract**: the converted (WGS-84) point lies inside the file's bounds. Those
  farther than ``max_snap_m`` (300 m) from the drive network are left out and counted (the
  planner would refuse them: the 2013 network lacks the lanes that reach them).
- **School attributes** (not in the lists): kind 小学 (primary), enrolment 1,000, priority 4 for the
  "key" list and 3 for the others, windows 07:30–08:10 and 16:00–16:40 (the primary-school
  windows of ``benchmarks/plan_scale.py``).
- **Road geometry.** The extract draws each way as straight lines between intersections, so its
  nodes are up to a block apart and the planner snaps to nodes only. By default every segment is
  cut into equal pieces of at most ``--densify-m`` 50 m (new nodes on the straight line, ids
  above the file's largest, same ways and tags) — what an unsimplified OSM graph looks like.
  ``--densify-m 0`` plans the file as it is.
- **Stations.** No open list of police stations exists, and the extract has no
  ``amenity=police`` feature (checked with pyosmium, :func:`police_features`; any found would be
  used instead, snapped to the drive network). So: a regular grid of
  ``--cell-m`` 2 km × 2 km cells anchored at the extract's south-west corner; one station per
  cell that holds at least one planned school, at the drive-network node nearest the cell's
  centre. The city gets ``round(police_per_school × schools)`` police, as many auxiliary officers
  and ``round(schools / schools_per_car)`` patrol cars (defaults 1 police + 1 auxiliary per school,
  1 car per 6 schools), shared over the stations in proportion to the schools of their Voronoi
  cells (the schools nearer to them, straight line, than to any other station) by the project's
  own largest-remainder rule (``geo_patrol.model.share_out``): a station with few schools may
  have no car, and its schools are patrolled by the others.

Targets: the whole plan (load → plan directory written) within 600 s wall on this 2-core
machine; memory is reported as the peak resident set (``resource.getrusage`` maxrss) of this
process and of the largest worker process.
"""

from __future__ import annotations

import argparse
import csv
import json
import math
import resource
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import osmium

from geo_patrol import Scenario, make_plan
from geo_patrol.datum import to_wgs84
from geo_patrol.geo import LocalMetres, haversine_m
from geo_patrol.io.osm import read_osm_schools
from geo_patrol.model import Parameters, share_out
from geo_patrol.network import RoadNetwork, load_network, snap

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
NETWORK_FILE = SHARED_DATA / "osm" / "china" / "beijing_core_osm2013_intersections.osm.gz"
HAIDIAN_FILE = SHARED_DATA / "osm" / "china" / "beijing_haidian_tsinghua_pku.osm"
#: (id prefix, file, priority) of the school lists.
SCHOOL_LISTS = (
    ("BJK", SHARED_DATA / "schools" / "beijing_primary_schools_key.geojson", 4),
    ("BJN", SHARED_DATA / "schools" / "beijing_primary_schools_nonkey.geojson", 3),
)
SCHOOLS_DATUM = "gcj02"
KIND = "小学"
ENROLMENT = 1000
MORNING, AFTERNOON = "07:30-08:10", "16:00-16:40"
TARGET_WALL_S = 600.0


@dataclass(frozen=True)
class ListedSchool:
    """A school of the lists: its point as given (GCJ-02) and converted to WGS-84."""

    id: str
    name: str
    priority: int
    lon: float
    lat: float
    lon_wgs84: float
    lat_wgs84: float


@dataclass(frozen=True)
class StationPlacement:
    """A station placed by the grid rule, with the schools of its Voronoi cell."""

    id: str
    name: str
    lon: float
    lat: float
    cell: tuple[int, int]
    schools: int
    police: int
    auxiliary: int
    cars: int


@dataclass
class BuiltScenario:
    """What :func:`build_scenario` wrote and the counts behind it."""

    toml: Path
    network: RoadNetwork
    bbox: tuple[float, float, float, float]
    listed: int
    in_box: list[ListedSchool]
    too_far: list[tuple[ListedSchool, float]]
    planned: list[ListedSchool]
    snap_m: np.ndarray
    stations: list[StationPlacement]
    station_rule: str
    network_counts: dict[str, int] = field(default_factory=dict)


def read_school_lists(lists=SCHOOL_LISTS) -> list[ListedSchool]:
    """Every school of the lists, in file order, with its point converted from GCJ-02."""
    rows = []
    for prefix, path, priority in lists:
        features = json.loads(Path(path).read_text(encoding="utf-8"))["features"]
        for i, feature in enumerate(features, start=1):
            lon, lat = feature["geometry"]["coordinates"][:2]
            name = feature["properties"].get("name")
            school_id = f"{prefix}{i:03d}"
            if not isinstance(name, str) or not name.strip():  # two rows carry a number as name
                name = f"unnamed primary school {school_id}"
            rows.append((school_id, name.strip(), priority, float(lon), float(lat)))
    lon_w, lat_w = to_wgs84(np.array([r[3] for r in rows]), np.array([r[4] for r in rows]), SCHOOLS_DATUM)
    return [ListedSchool(*row, float(x), float(y)) for row, x, y in zip(rows, lon_w, lat_w)]


def file_bounds(path: Path) -> tuple[float, float, float, float]:
    """``(west, south, east, north)`` of an OSM file's header."""
    reader = osmium.io.Reader(str(path), osmium.osm.osm_entity_bits.NOTHING)
    box = reader.header().box()
    reader.close()
    return (box.bottom_left.lon, box.bottom_left.lat, box.top_right.lon, box.top_right.lat)


def _inside(lon: float, lat: float, bbox) -> bool:
    west, south, east, north = bbox
    return west <= lon <= east and south <= lat <= north


def write_network(src: Path, dst: Path, *, bbox=None, densify_m: float = 50.0) -> dict[str, int]:
    """Copy the ways of ``src`` to ``dst`` (OSM, any pyosmium format), clipped to ``bbox``
    (west, south, east, north; nodes outside are left out, so ways keep references to missing
    nodes — a clipped extract) and with every segment between two kept nodes cut into equal pieces
    of at most ``densify_m`` metres (0: no new nodes). Returns the node and way counts."""
    locs = {}
    for node in osmium.FileProcessor(str(src), osmium.osm.NODE):
        locs[node.id] = (node.location.lon, node.location.lat)
    kept = {k: v for k, v in locs.items() if bbox is None or _inside(*v, bbox)}
    next_id = max(locs) + 1
    new_nodes: list[tuple[int, tuple[float, float]]] = []
    ways = []
    for way in osmium.FileProcessor(str(src), osmium.osm.WAY):
        refs = [n.ref for n in way.nodes]
        if not any(r in kept for r in refs):
            continue
        out = [refs[0]]
        for a, b in zip(refs[:-1], refs[1:]):
            if densify_m > 0 and a in kept and b in kept:
                (x0, y0), (x1, y1) = kept[a], kept[b]
                pieces = math.ceil(float(haversine_m(x0, y0, x1, y1)) / densify_m)
                for k in range(1, pieces):
                    t = k / pieces
                    new_nodes.append((next_id, (x0 + t * (x1 - x0), y0 + t * (y1 - y0))))
                    out.append(next_id)
                    next_id += 1
            out.append(b)
        ways.append((way.id, out, {t.k: t.v for t in way.tags}))
    with osmium.SimpleWriter(str(dst), overwrite=True) as writer:
        for node_id, loc in sorted(kept.items()):
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=loc))
        for node_id, loc in new_nodes:
            writer.add_node(osmium.osm.mutable.Node(id=node_id, location=loc))
        for way_id, refs, tags in ways:
            writer.add_way(osmium.osm.mutable.Way(id=way_id, nodes=refs, tags=tags))
    return {"file_nodes": len(locs), "kept_nodes": len(kept), "new_nodes": len(new_nodes), "ways": len(ways)}


def police_features(path: Path, bbox) -> list[tuple[float, float]]:
    """Points of the ``amenity=police`` nodes and ways of an OSM file inside ``bbox`` (a way's
    point: the mean of its located nodes)."""
    out = []
    fp = (osmium.FileProcessor(str(path), osmium.osm.NODE | osmium.osm.WAY).with_locations()
          .with_filter(osmium.filter.KeyFilter("amenity")))
    for obj in fp:
        if obj.tags.get("amenity") != "police":
            continue
        if obj.is_node():
            points = [(obj.location.lon, obj.location.lat)] if obj.location.valid() else []
        else:
            points = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
        if points:
            lon, lat = np.mean(points, axis=0)
            if _inside(float(lon), float(lat), bbox):
                out.append((float(lon), float(lat)))
    return out


def place_stations(network: RoadNetwork, schools: list[ListedSchool], *, grid: LocalMetres, cell_m: float,
                   police_per_school: float, schools_per_car: float,
                   police_points: list[tuple[float, float]] = ()) -> tuple[list[StationPlacement], str]:
    """Stations by the rule of the module docstring, with their officers and cars; and the rule
    in words. ``grid`` gives the cells' metres: its origin is the grid's south-west corner."""
    lon = np.array([s.lon_wgs84 for s in schools])
    lat = np.array([s.lat_wgs84 for s in schools])
    if police_points:
        points = np.array(police_points, dtype=float)
        cells = [(-1, k) for k in range(len(points))]
        rule = f"{len(points)} OSM amenity=police features, snapped to the drive network"
    else:
        xy = grid.xy(lon, lat)
        cells = sorted({(int(x // cell_m), int(y // cell_m)) for x, y in xy})
        centres = np.array([((i + 0.5) * cell_m, (j + 0.5) * cell_m) for i, j in cells])
        points = np.column_stack([grid.lon0 + centres[:, 0] / grid.kx, grid.lat0 + centres[:, 1] / grid.ky])
        rule = (f"one station per {cell_m / 1000:g} km × {cell_m / 1000:g} km grid cell holding schools "
                f"({len(cells)} cells), at the drive node nearest the cell centre")
    rows, _ = snap(network, points[:, 0], points[:, 1])
    st_lon, st_lat = network.drive.lon[rows], network.drive.lat[rows]
    st_xy = grid.xy(st_lon, st_lat)
    school_xy = grid.xy(lon, lat)
    nearest = np.argmin(((school_xy[:, None, :] - st_xy[None, :, :]) ** 2).sum(axis=2), axis=1)
    counts = np.bincount(nearest, minlength=len(cells))
    keep = [k for k in range(len(cells)) if counts[k] > 0]  # a node nearer other stations' schools: none
    n = [int(counts[k]) for k in keep]
    police = share_out(round(police_per_school * sum(n)), n)
    cars = share_out(round(sum(n) / schools_per_car), n)
    out = []
    for idx, k in enumerate(keep):
        cell = cells[k]
        label = f"C{cell[0]:02d}-{cell[1]:02d}" if cell[0] >= 0 else f"P{cell[1] + 1:02d}"
        out.append(StationPlacement(f"S{idx + 1:03d}", f"网格派出所 {label}", float(st_lon[k]), float(st_lat[k]),
                                    cell, n[idx], police[idx], police[idx], cars[idx]))
    rule += (f"; city totals round({police_per_school:g} × schools) police, as many auxiliary officers, and "
             f"round(schools / {schools_per_car:g}) cars, shared over the stations in proportion to the schools of "
             "their Voronoi cells (largest remainder, geo_patrol.model.share_out)")
    return out, rule


def build_scenario(folder: Path, *, bbox=None, margin_m: float = 1000.0, densify_m: float = 50.0,
                   cell_m: float = 2000.0, police_per_school: float = 1.0, schools_per_car: float = 6.0,
                   network_file: Path = NETWORK_FILE, lists=SCHOOL_LISTS) -> BuiltScenario:
    """Write a scenario folder (roads, schools.csv, stations.csv, scenario.toml) for the Beijing
    extract, or for the schools inside ``bbox`` (west, south, east, north, WGS-84) with the roads
    within ``margin_m`` of it (a road network cut at the schools' box would lose the one-way
    streets that close its loops at the edge), by the rules of the module docstring."""
    folder.mkdir(parents=True, exist_ok=True)
    extent = file_bounds(network_file)
    box = extent if bbox is None else tuple(bbox)
    if bbox is None and densify_m <= 0:
        roads = network_file.resolve()
        counts = {"file_nodes": sum(1 for _ in osmium.FileProcessor(str(roads), osmium.osm.NODE)), "new_nodes": 0}
    else:
        roads = folder / "roads.osm.gz"
        clip = None
        if bbox is not None:
            metres = LocalMetres.at_latitude((box[1] + box[3]) / 2)
            dx, dy = margin_m / metres.kx, margin_m / metres.ky
            clip = (box[0] - dx, box[1] - dy, box[2] + dx, box[3] + dy)
        counts = write_network(network_file, roads, bbox=clip, densify_m=densify_m)
    network = load_network(roads)
    listed = read_school_lists(lists)
    in_box = [s for s in listed if _inside(s.lon_wgs84, s.lat_wgs84, box)]
    _, snap_m = snap(network, [s.lon_wgs84 for s in in_box], [s.lat_wgs84 for s in in_box])
    max_snap_m = Parameters().max_snap_m
    planned = [s for s, d in zip(in_box, snap_m) if d <= max_snap_m]
    too_far = [(s, float(d)) for s, d in zip(in_box, snap_m) if d > max_snap_m]
    # the grid is the extract's, whatever part of it is planned: anchored at its south-west corner,
    # metres at its middle latitude
    grid = LocalMetres(extent[0], extent[1], (extent[1] + extent[3]) / 2)
    stations, rule = place_stations(network, planned, grid=grid, cell_m=cell_m,
                                    police_per_school=police_per_school, schools_per_car=schools_per_car,
                                    police_points=police_features(network_file, box))
    with open(folder / "schools.csv", "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["学校编号", "学校名称", "类型", "经度", "纬度", "在校人数", "优先级", "上学时间", "放学时间"])
        for s in planned:
            out.writerow([s.id, s.name, KIND, repr(s.lon), repr(s.lat), ENROLMENT, s.priority, MORNING, AFTERNOON])
    with open(folder / "stations.csv", "w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["派出所编号", "派出所", "经度", "纬度", "民警", "辅警", "警车"])
        for st in stations:
            out.writerow([st.id, st.name, f"{st.lon:.7f}", f"{st.lat:.7f}", st.police, st.auxiliary, st.cars])
    toml = folder / "scenario.toml"
    toml.write_text(
        "# Central Beijing (OSM 2013) with the Beijing primary-school lists: benchmarks/beijing_city.py\n"
        '[scenario]\nname = "北京中心城区 (OSM 2013)"\nseed = 1\n\n[inputs]\n'
        'schools = "schools.csv"\n'
        f'schools_datum = "{SCHOOLS_DATUM}"      # the lists are GCJ-02 (see the benchmark docstring)\n'
        'stations = "stations.csv"\nstations_datum = "wgs84"       # placed on network nodes\n'
        f"network = {json.dumps(str(roads) if roads.parent != folder else roads.name)}\n",
        encoding="utf-8")
    return BuiltScenario(toml, network, box, len(listed), in_box, too_far, planned, np.asarray(snap_m), stations,
                         rule, counts)


def datum_medians(network: RoadNetwork, schools: list[ListedSchool]) -> tuple[float, float]:
    """Median snap distance (m) to the drive network of the points as given and converted."""
    _, raw = snap(network, [s.lon for s in schools], [s.lat for s in schools])
    _, wgs = snap(network, [s.lon_wgs84 for s in schools], [s.lat_wgs84 for s in schools])
    return float(np.median(raw)), float(np.median(wgs))


def anchor_check(listed: list[ListedSchool]) -> str:
    """The list's Tsinghua primary school against OSM's 清华附小 (Haidian extract, WGS-84)."""
    if not HAIDIAN_FILE.is_file():
        return "Haidian extract not found: anchor check skipped"
    osm = [f for f in read_osm_schools(HAIDIAN_FILE) if f["name"] == "清华附小"]
    ours = [s for s in listed if s.name == "Primary School Affiliated to Tsinghua University"]
    if not osm or not ours:
        return "anchor check: 清华附小 not found"
    o, s = osm[0], ours[0]
    raw = float(haversine_m(s.lon, s.lat, o["lon"], o["lat"]))
    wgs = float(haversine_m(s.lon_wgs84, s.lat_wgs84, o["lon"], o["lat"]))
    return (f"anchor: {s.id} 'Primary School Affiliated to Tsinghua University' to OSM 清华附小 ({o['id']}): "
            f"{raw:.0f} m as given, {wgs:.0f} m after GCJ-02 → WGS-84")


def peak_rss_gib() -> tuple[float, float]:
    """Peak resident set of this process and of the largest finished child, GiB (Linux: KiB)."""
    own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 / 1024
    child = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024 / 1024
    return own, child


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2f}" if b else ("n/a (both 0)" if not a else "∞ (baseline 0)")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--time-limit", type=float, default=20.0, help="seconds per solver call (make_plan)")
    parser.add_argument("--out", type=Path, default=None,
                        help="keep the scenario (OUT/scenario) and the plan (OUT/plan) here; default a temp dir")
    parser.add_argument("--workers", type=int, default=2, help="routing processes")
    parser.add_argument("--densify-m", type=float, default=50.0, help="cut road segments to ≤ this; 0: as is")
    parser.add_argument("--cell-m", type=float, default=2000.0, help="station grid cell side, metres")
    parser.add_argument("--police-per-school", type=float, default=1.0)
    parser.add_argument("--schools-per-car", type=float, default=6.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--no-baseline", action="store_true", help="skip the posts-only (0 cars) plan")
    args = parser.parse_args(argv)
    if not NETWORK_FILE.is_file():
        print(f"shared data not found at {NETWORK_FILE}", file=sys.stderr)
        return 2

    with tempfile.TemporaryDirectory() as tmp:
        root = args.out if args.out is not None else Path(tmp)
        t0 = time.perf_counter()
        built = build_scenario(root / "scenario", densify_m=args.densify_m, cell_m=args.cell_m,
                               police_per_school=args.police_per_school, schools_per_car=args.schools_per_car)
        build_s = time.perf_counter() - t0
        net = built.network
        print(f"Central Beijing (OSM 2013) — scenario in {root / 'scenario'}, built in {build_s:.1f} s")
        print(f"  schools: {built.listed} listed; {len(built.in_box)} inside the extract (WGS-84 point within its "
              f"bounds), {built.listed - len(built.in_box)} outside; {len(built.too_far)} of those inside lie "
              f"> {Parameters().max_snap_m:.0f} m from the drive network and are left out → {len(built.planned)} "
              f"planned ({sum(s.priority == 4 for s in built.planned)} key)")
        raw_med, wgs_med = datum_medians(net, built.in_box)
        print(f"  datum: median snap of the {len(built.in_box)} schools to the drive network planned on "
              f"{raw_med:.1f} m as given, {wgs_med:.1f} m after GCJ-02 → WGS-84 (declared: {SCHOOLS_DATUM})")
        if built.network_counts["new_nodes"]:
            raw_med, wgs_med = datum_medians(load_network(NETWORK_FILE), built.in_box)
            print(f"         on the extract as it is (nodes at intersections only): {raw_med:.1f} m as given, "
                  f"{wgs_med:.1f} m after GCJ-02 → WGS-84")
        print(f"  {anchor_check(read_school_lists())}")
        c = built.network_counts
        print(f"  network: file {c['file_nodes']:,} nodes"
              + (f", + {c['new_nodes']:,} nodes cutting segments to ≤ {args.densify_m:g} m" if c["new_nodes"] else "")
              + f"; drive network (largest strongly connected) {net.n_nodes:,} nodes, {net.n_edges:,} arcs, "
              f"{net.length_km:,.0f} km; walk network {net.walk.n_nodes:,} nodes")
        st = built.stations
        print(f"  stations: {built.station_rule}")
        print(f"    → {len(st)} stations, {sum(s.police for s in st)} police, {sum(s.auxiliary for s in st)} "
              f"auxiliary, {sum(s.cars for s in st)} cars ({sum(s.cars > 0 for s in st)} stations with cars); "
              f"schools per station {min(s.schools for s in st)}–{max(s.schools for s in st)}, "
              f"cars per station {min(s.cars for s in st)}–{max(s.cars for s in st)}")

        started = time.perf_counter()
        scenario = Scenario.from_toml(built.toml)

        def say(message: str) -> None:
            print(f"    [{time.perf_counter() - started:7.1f} s] {message}", flush=True)

        plan = make_plan(scenario, seed=args.seed, time_limit_s=args.time_limit, workers=args.workers,
                         progress=say)
        planned_s = time.perf_counter() - started
        t0 = time.perf_counter()
        plan.to_dir(root / "plan", force=True)
        write_s = time.perf_counter() - t0
        wall = time.perf_counter() - started
        print(f"  plan written to {root / 'plan'}")
        baseline = None
        if not args.no_baseline:
            t0 = time.perf_counter()
            baseline = make_plan(scenario, seed=args.seed, cars=0, time_limit_s=args.time_limit, workers=args.workers)
            baseline_s = time.perf_counter() - t0
    own, child = peak_rss_gib()

    timing = dict(plan.meta["timing_s"])
    print("\nwall time per stage (s): build scenario " f"{build_s:.1f}; "
          + "; ".join(f"{k.removesuffix('_s')} {v:.1f}" for k, v in timing.items())
          + f"; write plan directory (CSV, map, workbook, duty sheets) {write_s:.1f}")
    print(f"wall time load → plan written: {wall:.1f} s (make_plan {planned_s:.1f} s); target {TARGET_WALL_S:.0f} s → "
          f"ratio {wall / TARGET_WALL_S:.2f} of the target")
    print(f"peak memory (getrusage maxrss): this process {own:.2f} GiB, largest worker process {child:.2f} GiB")

    s = plan.meta["summary"]
    b = baseline.meta["summary"] if baseline is not None else None
    print(f"\nfigures per period (plan{' | posts-only baseline, 0 cars' if b else ''}):")
    print(f"  posts {s['posts']} ({s['posts_with_car']} with a parked car), police {s['police']}, auxiliary "
          f"{s['auxiliary']}" + (f" | posts {b['posts']}, police {b['police']}" if b else ""))
    for p in s["periods"]:
        n = s["windows"][p]
        line = (f"  {p:9s} windows {n}: met {s['met'][p]} ({100 * s['attained_share'][p]:.1f} %), met_strict "
                f"{s['met_strict'][p]}, schools_with_post {s['schools_with_post'][p]}, cars used {s['cars_used'][p]}, "
                f"stops {s['stops'][p]}, {s['km_driven'][p]:.1f} km, response ≤ {s['response_target_s']} s "
                f"{100 * s['response_within_target_share'][p]:.1f} %")
        print(line)
        if b:
            print(f"  {'':9s} baseline: met {b['met'][p]}, met_strict {b['met_strict'][p]}, schools_with_post "
                  f"{b['schools_with_post'][p]}, cars used {b['cars_used'][p]}, {b['km_driven'][p]:.1f} km → "
                  f"plan/baseline met {_ratio(s['met'][p], b['met'][p])}, met_strict "
                  f"{_ratio(s['met_strict'][p], b['met_strict'][p])}, schools_with_post "
                  f"{_ratio(s['schools_with_post'][p], b['schools_with_post'][p])}; attained share "
                  f"{100 * s['attained_share'][p]:.1f} % vs {100 * b['attained_share'][p]:.1f} % "
                  f"(+{100 * (s['attained_share'][p] - b['attained_share'][p]):.1f} points)")
    if b:
        print(f"  baseline planned in {baseline_s:.1f} s")
    reasons = Counter((row["period"], row["reason"].split(" (")[0].split(":")[0]) for row in s["uncovered"])
    if reasons:
        print("targets missed, by reason:")
        for (p, reason), n in sorted(reasons.items(), key=lambda kv: (kv[0][0], -kv[1])):
            print(f"  {p:9s} {n:4d}  {reason}")
    return 0 if wall <= TARGET_WALL_S else 1


if __name__ == "__main__":
    sys.exit(main())
