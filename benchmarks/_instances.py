"""Shared instance builders for the benchmark scripts (file readers live in
geo_patrol.posts.instances)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import scipy.sparse as sp
from scipy.spatial import cKDTree

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
BENCH = DATA / "benchmarks"
WUHAN_SCHOOLS = DATA / "schools" / "wuhan_amap_school_poi.csv"


def random_planar(n_demand: int, n_sites: int, *, seed: int, extent_m: float = 20_000.0,
                  n_clusters: int = 12) -> tuple[np.ndarray, np.ndarray]:
    """A seeded planar town in metres: schools clustered around neighbourhood centres (normal
    spread 1.2 km), candidate sites half clustered the same way and half uniform. Returns the
    demand and site coordinates (n × 2, metres)."""
    rng = np.random.default_rng(seed)
    centres = rng.uniform(0.15 * extent_m, 0.85 * extent_m, (n_clusters, 2))

    def clustered(k: int) -> np.ndarray:
        return centres[rng.integers(0, n_clusters, k)] + rng.normal(0.0, 1200.0, (k, 2))

    demand = clustered(n_demand)
    n_clustered = n_sites // 2
    sites = np.vstack([clustered(n_clustered),
                       rng.uniform(0.0, extent_m, (n_sites - n_clustered, 2))])
    return demand, sites


def wuhan_schools_xy() -> np.ndarray:
    """The 7,375 Wuhan school POIs (WGS-84 columns XWGS/YWGS) projected to UTM zone 50N metres."""
    from pyproj import Transformer

    table = pd.read_csv(WUHAN_SCHOOLS, encoding="utf-8-sig", usecols=["XWGS", "YWGS"])
    transformer = Transformer.from_crs("EPSG:4326", "EPSG:32650", always_xy=True)
    x, y = transformer.transform(table["XWGS"].to_numpy(float), table["YWGS"].to_numpy(float))
    return np.column_stack([x, y])


def grid_sites(points: np.ndarray, *, spacing_m: float, within_m: float) -> np.ndarray:
    """Points of a square grid (``spacing_m``) lying within ``within_m`` of some point."""
    lo = np.floor(points.min(axis=0) / spacing_m) * spacing_m - within_m
    hi = points.max(axis=0) + within_m
    gx, gy = np.meshgrid(np.arange(lo[0], hi[0], spacing_m), np.arange(lo[1], hi[1], spacing_m))
    grid = np.column_stack([gx.ravel(), gy.ravel()])
    dist, _ = cKDTree(points).query(grid, distance_upper_bound=within_m)
    return grid[np.isfinite(dist)]


def coverage_matrix(demand: np.ndarray, sites: np.ndarray, radius_m: float) -> sp.csr_matrix:
    """Boolean demand × site matrix of straight-line distance <= ``radius_m`` (KD-tree)."""
    lists = cKDTree(sites).query_ball_point(demand, r=radius_m)
    indptr = np.zeros(len(demand) + 1, dtype=np.int64)
    indptr[1:] = np.cumsum([len(item) for item in lists])
    indices = np.fromiter((j for item in lists for j in sorted(item)), dtype=np.int64,
                          count=int(indptr[-1]))
    data = np.ones(indices.size, dtype=bool)
    return sp.csr_matrix((data, indices, indptr), shape=(len(demand), len(sites)))
