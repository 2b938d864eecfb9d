"""Benchmark: geo_patrol.matching on a simulated district day, against leuvenmapmatching.

Plans the demo county (164 schools, 18 patrol cars; or ``--plan DIR``, a plan directory made
from the demo scenario), simulates one day of its cars with :mod:`geo_patrol.simulate`
(``--interval`` s sampling, ``--noise`` m GPS noise, σ per axis; about 53,000 points at 5 s), reads
the tracks back with :func:`geo_patrol.io.tracks.read_tracks`, and matches them to the plan's
drive network with :func:`geo_patrol.matching.match_tracks`. It prints, in the same run:

* time: preparing the network, the first call (numba compiling or loading its cache), and the
  whole day matched (the fastest of ``--repeat`` runs), points per second;
* accuracy against the simulator's truth: the share of moving points matched to the arc driven
  (direction included), of standing points matched to an arc at the node stood at, of all points
  matched within 15 m of the true position, and the share of planned gate stops recovered by
  :func:`geo_patrol.matching.stays` (within 30 m of the stop's node from its start to its end,
  30 s either side) and by :func:`geo_patrol.matching.standstills`, and the standstills found where
  no car stood;
* the same for ``leuvenmapmatching``'s ``DistanceMatcher`` (if it is installed: ``pip install
  leuvenmapmatching``; with ``rtree`` for its index) on the first ``--library-cars`` cars, and
  geo_patrol's on the same cars, with the speed ratio;
* with ``--city``, ``--city-points`` points (1.5 M by default) of cars driving trips of a few km
  and standing 5 min between them on a generated city grid of ``--city-nodes`` nodes (300,000 by
  default; ``benchmarks/travel_times.py``'s), matched, against the 10-minute target.

    python benchmarks/audit_matching.py [--plan DIR] [--noise 5] [--interval 5] [--seed 1]
                                        [--library-cars 3] [--repeat 2] [--city] [--city-points 1500000]
                                        [--city-nodes 300000]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing
sys.path.insert(0, str(Path(__file__).resolve().parent))  # the city grid of travel_times.py

from geo_patrol.geo import LocalMetres, haversine_m
from geo_patrol.io.tracks import VehicleTrack, read_tracks
from geo_patrol.matching import MatchNetwork, match_track, match_tracks, standstills, stays
from geo_patrol.plan import make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.simulate import SimulationSettings, _Driver, _sample_car, plan_network, simulate, write_simulation
from geo_patrol.snapping import load_scenario_network, prepare
from geo_patrol.traveltime import DriveSearch


def as_track(plate: str, t: dict) -> VehicleTrack:
    n = t["time_s"].size
    return VehicleTrack(plate, np.full(n, np.datetime64("2026-09-01", "D")), t["time_s"], t["lon"], t["lat"],
                        t["speed_kph"], t["heading_deg"], t["lights"], np.arange(n) + 2, np.zeros(n, np.int32),
                        ("simulated",))


def scores(network, net: MatchNetwork, arcs: np.ndarray, offsets: np.ndarray, truth: dict) -> dict[str, float]:
    arr = network.drive
    moving = truth["arc"] >= 0
    ok = arcs >= 0
    a = np.maximum(arcs, 0)
    at_node = ((arr.edge_u[a] == truth["node"]) | (arr.edge_v[a] == truth["node"])) & ok
    out = {"moving": (arcs[moving] == truth["arc"][moving]).sum(), "n_moving": moving.sum(),
           "standing": at_node[~moving].sum(), "n_standing": (~moving).sum()}
    if offsets is not None:
        lon, lat = net.point_of(a, np.nan_to_num(offsets))
        out["close"] = ((haversine_m(lon, lat, truth["true_lon"], truth["true_lat"]) <= 15.0) & ok).sum()
    out["n"] = arcs.size
    return out


def total(rows: list[dict]) -> dict[str, float]:
    keys = set().union(*rows)
    return {k: sum(r.get(k, 0) for r in rows) for k in keys}


def stops_recovered(network, results, sim) -> tuple[int, int]:
    arr = network.drive
    found = count = 0
    for plate, result in results.items():
        for node, t0, t1, school in sim.stands[plate]:
            if not school:
                continue
            count += 1
            got = stays(result, arr.lon[node], arr.lat[node], 30.0, start_s=t0 - 600, end_s=t1 + 600)
            found += any(a <= t0 + 30 and b >= t1 - 30 for a, b in got)
    return found, count


def standstills_recovered(network, results, sim) -> tuple[int, int, int]:
    """Planned gate stops found among the standstills (30 m, 30 s either side), and standstills
    where the car did not stand."""
    arr = network.drive
    found = count = extra = 0
    for plate, result in results.items():
        still = standstills(result, radius_m=30.0, min_s=120.0)
        stands = sim.stands[plate]
        for node, t0, t1, school in stands:
            if not school or t1 - t0 < 240:
                continue
            count += 1
            found += any(s.start_s <= t0 + 30 and s.end_s >= t1 - 30
                         and haversine_m(s.lon, s.lat, arr.lon[node], arr.lat[node]) <= 30 for s in still)
        extra += sum(not any(s.start_s < b and s.end_s > a for _, a, b, _ in stands) for s in still)
    return found, count, extra


def leuven(network, sim, plates):
    try:
        from leuvenmapmatching.map.inmem import InMemMap
        from leuvenmapmatching.matcher.distance import DistanceMatcher
    except ImportError:
        return None
    try:
        import rtree  # noqa: F401
        use_rtree = True
    except ImportError:
        use_rtree = False
    arr = network.drive
    started = time.perf_counter()
    graph = InMemMap("district", use_latlon=True, use_rtree=use_rtree, index_edges=True)
    for r in range(arr.n_nodes):
        graph.add_node(r, (float(arr.lat[r]), float(arr.lon[r])))
    for u, v in zip(arr.edge_u.tolist(), arr.edge_v.tolist()):
        graph.add_edge(u, v)
    build_s = time.perf_counter() - started
    arc_of = {}
    for e in range(arr.n_arcs - 1, -1, -1):
        arc_of[(int(arr.edge_u[e]), int(arr.edge_v[e]))] = e
    rows, elapsed, points = [], 0.0, 0
    for plate in plates:
        t = sim.tracks[plate]
        matcher = DistanceMatcher(graph, max_dist=60, obs_noise=10, obs_noise_ne=20, max_lattice_width=8,
                                  non_emitting_states=True, only_edges=True)
        started = time.perf_counter()
        states, _ = matcher.match(list(zip(t["lat"].tolist(), t["lon"].tolist())))
        elapsed += time.perf_counter() - started
        points += t["time_s"].size
        arcs = np.full(t["time_s"].size, -1, dtype=np.int64)
        for k, pair in enumerate(states[: arcs.size]):
            arcs[k] = arc_of.get((int(pair[0]), int(pair[1])), -1)
        rows.append(scores(network, None, arcs, None, t))
    return build_s, elapsed, points, total(rows)


def city(args) -> None:
    """1.5 M points on a generated city grid (``benchmarks/travel_times.py``'s, ``--city-nodes``):
    cars drive short trips between random nodes a few km apart and stand 5 min at each end."""
    from travel_times import grid_network

    started = time.perf_counter()
    network = grid_network(args.city_nodes, args.seed)
    print(f"\ncity grid: {network.n_nodes:,} nodes, {network.n_edges:,} arcs, built in "
          f"{time.perf_counter() - started:.0f} s")
    side = int(round(np.sqrt(network.n_nodes)))
    rng = np.random.default_rng(args.seed)
    driver = _Driver(network, DriveSearch(network), network.edge_travel_time_s())
    tracks, truths, points = {}, {}, 0
    started = time.perf_counter()
    while points < args.city_points:
        car = f"car{len(tracks)}"
        here = int(rng.integers(0, network.n_nodes))
        pieces, t = [("stand", here, 0.0, 300.0)], 300.0
        while t < 4 * 3600:
            i, j = divmod(here, side)
            i = int(np.clip(i + rng.integers(-25, 26), 0, side - 1))
            j = int(np.clip(j + rng.integers(-25, 26), 0, side - 1))
            there = i * side + j
            rows, secs = driver.path(here, there)
            if not np.isfinite(secs[-1]) or len(rows) < 2:
                continue
            pieces.append(("drive", rows, t + secs))
            t += float(secs[-1])
            pieces.append(("stand", there, t, t + 300.0))
            t += 300.0
            here = there
        clock = np.arange(0.0, t, args.interval)
        truth = _sample_car(driver, pieces, clock)
        proj = LocalMetres(float(truth["true_lon"].mean()), float(truth["true_lat"].mean()))
        truth["lon"] = truth["true_lon"] + rng.normal(0, args.noise, clock.size) / proj.kx
        truth["lat"] = truth["true_lat"] + rng.normal(0, args.noise, clock.size) / proj.ky
        truth["lights"] = np.ones(clock.size)
        tracks[car], truths[car] = as_track(car, truth), truth
        points += clock.size
    print(f"simulated {points:,} points of {len(tracks)} cars in {time.perf_counter() - started:.0f} s")
    started = time.perf_counter()
    net = MatchNetwork.of(network)
    print(f"network prepared in {time.perf_counter() - started:.1f} s")
    started = time.perf_counter()
    results = match_tracks(net, tracks)
    city_s = time.perf_counter() - started
    s = total([scores(network, net, results[c].arc, results[c].offset_m, truths[c]) for c in tracks])
    print(f"city scale: {points:,} points matched in {city_s:.1f} s ({points / city_s:,.0f} points/s; target ≤ 600 s), "
          f"moving points on the right arc {100 * share(s, 'moving'):.1f} %, standing points at the right node "
          f"{100 * share(s, 'standing'):.1f} %")


def share(s: dict, key: str) -> float:
    return s[key] / max(s["n_" + key] if "n_" + key in s else s["n"], 1)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--plan", type=Path)
    ap.add_argument("--noise", type=float, default=5.0)
    ap.add_argument("--interval", type=float, default=5.0)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--library-cars", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--city", action="store_true")
    ap.add_argument("--city-points", type=int, default=1_500_000)
    ap.add_argument("--city-nodes", type=int, default=300_000)
    args = ap.parse_args()
    print(f"load average {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    work = Path(tempfile.mkdtemp(prefix="audit_matching."))
    if args.plan is None:
        started = time.perf_counter()
        scenario = Scenario.demo()
        network = load_scenario_network(scenario)
        make_plan(scenario, seed=1, prepared=prepare(scenario, network=network)).to_dir(work / "plan",
                                                                                         documents=False)
        plan_dir = work / "plan"
        print(f"demo plan made in {time.perf_counter() - started:.1f} s")
    else:
        plan_dir, network = args.plan, plan_network(args.plan)
    settings = SimulationSettings(noise_m=args.noise, interval_s=args.interval)
    started = time.perf_counter()
    sim = simulate(plan_dir, network, settings, seed=args.seed)
    print(f"simulated {sim.n_points:,} points of {len(sim.tracks)} cars in {time.perf_counter() - started:.1f} s "
          f"(noise {args.noise:g} m, every {args.interval:g} s)")
    write_simulation(sim, work / "day", force=True)
    started = time.perf_counter()
    tracks = read_tracks(work / "day" / "tracks.csv")
    print(f"read back in {time.perf_counter() - started:.2f} s")
    started = time.perf_counter()
    net = MatchNetwork.of(network)
    print(f"network prepared in {time.perf_counter() - started:.2f} s ({network.n_nodes:,} nodes, "
          f"{network.n_edges:,} arcs)")
    first = next(iter(tracks))
    started = time.perf_counter()
    match_track(net, tracks[first])
    print(f"first call (compile or load numba's cache) {time.perf_counter() - started:.2f} s")
    best = np.inf
    for _ in range(max(1, args.repeat)):
        started = time.perf_counter()
        results = match_tracks(net, tracks)
        best = min(best, time.perf_counter() - started)
    print(f"\ngeo_patrol.matching, the whole day: {sim.n_points:,} points in {best:.2f} s "
          f"({sim.n_points / best:,.0f} points/s; target ≤ 30 s for ≈ 60,000)")
    # accuracy: the CSV's times are whole seconds, the truth's the simulator's
    rows = [scores(network, net, results[p].arc, results[p].offset_m, sim.tracks[p]) for p in sim.tracks]
    s = total(rows)
    found, count = stops_recovered(network, results, sim)
    print(f"  moving points on the right arc {100 * share(s, 'moving'):.1f} %, standing points at the right node "
          f"{100 * share(s, 'standing'):.1f} %, within 15 m {100 * s['close'] / s['n']:.1f} %, "
          f"stops recovered {found}/{count} ({100 * found / max(count, 1):.1f} %)")
    started = time.perf_counter()
    found, count, extra = standstills_recovered(network, results, sim)
    print(f"  standstills (30 m, ≥ 120 s) at the planned gate stops of ≥ 4 min: {found}/{count} "
          f"({100 * found / max(count, 1):.1f} %), standstills where no car stood: {extra} "
          f"({time.perf_counter() - started:.2f} s)")
    plates = sorted(sim.tracks)[: args.library_cars]
    lib = leuven(network, sim, plates)
    if lib is None:
        print("\nleuvenmapmatching is not installed (pip install leuvenmapmatching): no comparison")
    else:
        build_s, lib_s, lib_points, lib_scores = lib
        started = time.perf_counter()
        own = [match_track(net, as_track(p, sim.tracks[p])) for p in plates]
        own_s = time.perf_counter() - started
        own_scores = total([scores(network, net, r.arc, r.offset_m, sim.tracks[p]) for p, r in zip(plates, own)])
        print(f"\non the first {len(plates)} cars ({lib_points:,} points):")
        print(f"  leuvenmapmatching DistanceMatcher: {lib_s:.2f} s ({lib_points / lib_s:,.0f} points/s; map built in "
              f"{build_s:.2f} s), moving points on the right arc {100 * share(lib_scores, 'moving'):.1f} %, "
              f"standing points at the right node {100 * share(lib_scores, 'standing'):.1f} %")
        print(f"  geo_patrol.matching:               {own_s:.2f} s ({lib_points / own_s:,.0f} points/s), moving "
              f"points on the right arc {100 * share(own_scores, 'moving'):.1f} %, standing points at the right "
              f"node {100 * share(own_scores, 'standing'):.1f} %")
        print(f"  speed ratio {lib_s / own_s:.0f}×; leuvenmapmatching would take "
              f"{sim.n_points / lib_points * lib_s:.0f} s for the whole day")
    if args.city:
        city(args)
    print(f"load average {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
