"""Benchmark: geo_patrol.traveltime.travel_times (scipy csgraph) against networkx Dijkstra.

Builds a road-like grid (default 301 × 301 = 90,601 nodes near Nanjing, jittered nodes,
random detours, a mix of road classes, 30 % of the east-west streets one-way in alternating
directions, deterministic by seed), turns it into a RoadNetwork with
``network_from_graph``, then times

* ``travel_times(network, K sources, all nodes)`` — the library code path (csgraph Dijkstra);
* ``networkx.single_source_dijkstra_path_length`` on a DiGraph with the same arc weights, on
  a sample of the sources (all of them with ``--nx-sources K``), scaled per source to K.

It checks that both give the same times on the sampled sources and prints the speed-up
(each side timed ``--repeat`` times, fastest run kept, to damp the noise of a shared machine).

    python benchmarks/travel_times.py [--nodes 90000] [--sources 200] [--nx-sources 20] [--seed 7]
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # run from a checkout without installing

from geo_patrol.network import RoadNetwork, network_from_graph  # noqa: E402
from geo_patrol.traveltime import travel_times  # noqa: E402


def grid_network(n_nodes: int, seed: int) -> RoadNetwork:
    """A jittered street grid of at least ``n_nodes`` nodes as a RoadNetwork."""
    rng = np.random.default_rng(seed)
    side = math.ceil(math.sqrt(n_nodes))
    if side % 2 == 0:
        side += 1
    step_deg = 0.001  # ≈ 94 m east-west, 111 m north-south at 32°N
    lon0, lat0 = 118.70, 32.00
    ii, jj = np.meshgrid(np.arange(side), np.arange(side), indexing="ij")  # i = row (north), j = column
    lon = lon0 + jj * step_deg + rng.uniform(-0.2, 0.2, ii.shape) * step_deg
    lat = lat0 + ii * step_deg + rng.uniform(-0.2, 0.2, ii.shape) * step_deg
    node_id = (ii * side + jj + 1).astype(np.int64)

    classes = np.array(["residential", "tertiary", "secondary", "primary"])
    row_class = classes[rng.choice(4, size=side, p=[0.6, 0.2, 0.12, 0.08])]
    col_class = classes[rng.choice(4, size=side, p=[0.6, 0.2, 0.12, 0.08])]
    row_oneway = rng.random(side) < 0.3  # one-way east-west street, direction alternates
    g = nx.MultiDiGraph(crs="epsg:4326")
    g.add_nodes_from(
        (int(n), {"x": float(x), "y": float(y)}) for n, x, y in zip(node_id.ravel(), lon.ravel(), lat.ravel())
    )

    def length(a, b) -> float:
        la, pa = math.radians(lat[a]), math.radians(lat[b])
        h = math.sin((pa - la) / 2) ** 2 + math.cos(la) * math.cos(pa) * math.sin(
            math.radians(lon[b] - lon[a]) / 2) ** 2
        return 2 * 6_371_009.0 * math.asin(math.sqrt(h))

    detour = rng.uniform(1.0, 1.3, size=(2, side, side))
    edges = []
    for i in range(side):
        for j in range(side):
            if j + 1 < side:  # east-west street segment
                a, b = (i, j), (i, j + 1)
                attrs = {"highway": str(row_class[i]), "length": length(a, b) * detour[0, i, j]}
                if not row_oneway[i] or i % 2 == 0:
                    edges.append((int(node_id[a]), int(node_id[b]), attrs))
                if not row_oneway[i] or i % 2 == 1:
                    edges.append((int(node_id[b]), int(node_id[a]), attrs))
            if i + 1 < side:  # north-south, two-way
                a, b = (i, j), (i + 1, j)
                attrs = {"highway": str(col_class[j]), "length": length(a, b) * detour[1, i, j]}
                edges.append((int(node_id[a]), int(node_id[b]), attrs))
                edges.append((int(node_id[b]), int(node_id[a]), attrs))
    g.add_edges_from(edges)
    return network_from_graph(g, name=f"grid {side}x{side}", source=f"benchmark grid seed={seed}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--nodes", type=int, default=90_000, help="minimum number of nodes (default 90000)")
    parser.add_argument("--sources", type=int, default=200, help="sources for travel_times (default 200)")
    parser.add_argument("--nx-sources", type=int, default=20,
                        help="sources timed with networkx, scaled per source (default 20)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--factor", type=float, default=1.4, help="congestion factor (default 1.4)")
    parser.add_argument("--repeat", type=int, default=3,
                        help="time each side this many times and keep the fastest (default 3)")
    args = parser.parse_args()

    t0 = time.perf_counter()
    net = grid_network(args.nodes, args.seed)
    build_s = time.perf_counter() - t0
    n = net.n_nodes
    print(f"network: {n:,} nodes, {net.n_edges:,} arcs, {net.length_km:,.1f} km of street "
          f"(built in {build_s:.1f} s)")

    rng = np.random.default_rng(args.seed + 1)
    src_rows = np.sort(rng.choice(n, size=min(args.sources, n), replace=False))
    origins = {f"s{r}": int(r) for r in src_rows}
    destinations = {int(r): int(r) for r in range(n)}

    lib_s = math.inf
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        tt = travel_times(net, origins, destinations, period_factor=args.factor)
        lib_s = min(lib_s, time.perf_counter() - t0)
    print(f"travel_times (scipy csgraph dijkstra): {len(origins)} sources × {n:,} destinations "
          f"in {lib_s:.3f} s ({lib_s / len(origins) * 1000:.2f} ms per source)")

    weights = net.edge_travel_time_s(args.factor)
    d = net.drive
    g = nx.DiGraph()
    g.add_nodes_from(range(n))
    for u, v, w in zip(d.edge_u.tolist(), d.edge_v.tolist(), weights.tolist()):
        if not g.has_edge(u, v) or g[u][v]["w"] > w:
            g.add_edge(u, v, w=w)

    k = min(args.nx_sources, len(src_rows))
    sample = src_rows[np.linspace(0, len(src_rows) - 1, k).astype(int)]
    nx_s = math.inf
    for _ in range(max(1, args.repeat)):
        t0 = time.perf_counter()
        nx_results = {int(s): nx.single_source_dijkstra_path_length(g, int(s), weight="w") for s in sample}
        nx_s = min(nx_s, time.perf_counter() - t0)
    per_source = nx_s / k
    nx_all_s = per_source * len(origins)
    scaled = "" if k == len(origins) else f" (timed on {k} sources, scaled ×{len(origins) / k:g})"
    print(f"networkx single_source_dijkstra_path_length: {per_source * 1000:.1f} ms per source, "
          f"{nx_all_s:.1f} s for {len(origins)} sources{scaled}")

    worst = 0.0
    for s, dist in nx_results.items():
        ref = np.full(n, np.inf)
        ref[list(dist.keys())] = list(dist.values())
        mine = tt.seconds[tt.origin_ids.index(f"s{s}")]
        if not np.array_equal(np.isinf(ref), np.isinf(mine)):
            raise SystemExit(f"MISMATCH: reachability differs from source row {s}")
        fin = np.isfinite(ref)
        worst = max(worst, float(np.max(np.abs(mine[fin] - ref[fin]) / np.maximum(ref[fin], 1.0))))
    if worst > 1e-9:
        raise SystemExit(f"MISMATCH: relative difference {worst:.2e}")
    print(f"check: identical times on the {k} sampled sources (max relative difference {worst:.1e})")
    print(f"speed-up travel_times vs networkx: {nx_all_s / lib_s:.1f}x "
          f"(fastest of {max(1, args.repeat)} runs each)")


if __name__ == "__main__":
    main()
