"""Travel-time matrices on the drive network and walking distances on the walk network.

Model
-----
Drive: the travel time from an origin node to a destination node in a period is the length
of the fastest directed path, with arc times ``free-flow travel_time_s × congestion factor``
(:meth:`geo_patrol.network.RoadNetwork.edge_travel_time_s`).  It is computed with
``scipy.sparse.csgraph.dijkstra`` from each distinct origin row; when there are fewer
distinct destinations than origins, the graph is transposed and the search runs from the
destinations instead (same result, fewer searches).  Pairs that cannot be reached, or only
in more than ``cutoff_s`` seconds, get ``np.inf``.

Walk: the walking distance from a point to another point is
``snap_m(source) + shortest path on the walk graph (metres) + snap_m(target)``, where each
point is snapped to its nearest walk node; distances above ``max_m`` are ``np.inf``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy.sparse.csgraph import dijkstra

from geo_patrol.errors import InputError
from geo_patrol.network import RoadNetwork, snap

logger = logging.getLogger(__name__)

__all__ = ["TravelTimes", "travel_times", "walk_distances"]

_CACHE_VERSION = "geo_patrol-traveltimes-1"
_MAX_BLOCK_CELLS = 16_000_000  # rows × nodes of one dijkstra call (128 MB of float64)


@dataclass(frozen=True, eq=False)
class TravelTimes:
    """Drive travel times, seconds, ``seconds[i, j]`` from ``origin_ids[i]`` to
    ``destination_ids[j]``; ``np.inf`` when unreachable or beyond the cutoff."""

    origin_ids: tuple
    destination_ids: tuple
    seconds: np.ndarray
    _origin_pos: Mapping[Any, int] = field(init=False, repr=False)
    _destination_pos: Mapping[Any, int] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        shape = (len(self.origin_ids), len(self.destination_ids))
        if self.seconds.shape != shape:
            raise ValueError(f"seconds has shape {self.seconds.shape}, expected {shape}")
        object.__setattr__(self, "_origin_pos", {o: i for i, o in enumerate(self.origin_ids)})
        object.__setattr__(self, "_destination_pos", {d: j for j, d in enumerate(self.destination_ids)})

    def get(self, origin_id: Any, destination_id: Any) -> float:
        """Travel time in seconds from one origin id to one destination id."""
        try:
            return float(self.seconds[self._origin_pos[origin_id], self._destination_pos[destination_id]])
        except KeyError as exc:
            raise KeyError(f"unknown origin or destination id {exc}") from None

    @property
    def shape(self) -> tuple[int, int]:
        return self.seconds.shape


def _points(points: Mapping[Any, int] | Sequence[tuple[Any, int]], what: str, n_nodes: int) -> tuple[tuple, np.ndarray]:
    items = list(points.items()) if isinstance(points, Mapping) else list(points)
    ids, rows = [], []
    for k, item in enumerate(items):
        try:
            pid, row = item
        except (TypeError, ValueError):
            raise InputError(f"{what} entry {k} is not an (id, node row) pair: {item!r}", field=what,
                             hint="give a mapping id → drive row from snap(), or a list of (id, row)") from None
        if isinstance(row, (bool, np.bool_)) or not isinstance(row, (int, np.integer)) or not 0 <= int(row) < n_nodes:
            raise InputError(f"{what} '{pid}' has node row {row!r}, not a drive row in 0..{n_nodes - 1}",
                             field=what, hint="use the rows returned by snap() on the same network")
        ids.append(pid)
        rows.append(int(row))
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"{what} id '{dup}' appears more than once", field=what, hint="ids must be unique")
    return tuple(ids), np.asarray(rows, dtype=np.int64)


def _cache_key(network: RoadNetwork, factors: np.ndarray, o_rows: np.ndarray, d_rows: np.ndarray,
               cutoff_s: float | None) -> str:
    h = hashlib.sha256(_CACHE_VERSION.encode())
    h.update(network.fingerprint.encode())
    h.update(json.dumps({"classes": list(network.drive.classes), "factors": factors.tolist(),
                         "cutoff_s": cutoff_s}).encode())
    h.update(b"o")
    h.update(o_rows.astype("<i8").tobytes())
    h.update(b"d")
    h.update(d_rows.astype("<i8").tobytes())
    return h.hexdigest()


def _load_cache(path: Path, key: str, shape: tuple[int, int]) -> np.ndarray | None:
    try:
        with np.load(path, allow_pickle=False) as z:
            if str(z["key"]) != key or z["seconds"].shape != shape:
                return None
            return np.array(z["seconds"], dtype=np.float64)
    except FileNotFoundError:
        return None
    except Exception as exc:  # unreadable cache file: recompute and overwrite it
        logger.warning("ignoring unreadable travel-time cache %s (%s)", path, exc)
        return None


def _save_cache(path: Path, key: str, seconds: np.ndarray) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=".tt_", suffix=".npz.tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            np.savez(f, key=np.array(key), seconds=seconds)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _multi_source(csr, sources: np.ndarray, targets: np.ndarray, limit: float) -> np.ndarray:
    """Shortest distances [len(sources), len(targets)], in blocks of sources to bound memory."""
    n = csr.shape[0]
    all_targets = targets.size == n and bool(np.all(targets == np.arange(n)))
    out = np.empty((sources.size, targets.size), dtype=np.float64)
    block = max(1, _MAX_BLOCK_CELLS // max(n, 1))
    for start in range(0, sources.size, block):
        idx = sources[start : start + block]
        dist = np.atleast_2d(dijkstra(csr, directed=True, indices=idx, limit=limit))
        if all_targets:
            out[start : start + idx.size] = dist
        else:
            np.take(dist, targets, axis=1, out=out[start : start + idx.size])
    return out


def _expand(sub: np.ndarray, inv_rows: np.ndarray, inv_cols: np.ndarray) -> np.ndarray:
    """``sub[inv_rows][:, inv_cols]`` without copies when an index is the identity."""
    if not (inv_rows.size == sub.shape[0] and np.array_equal(inv_rows, np.arange(sub.shape[0]))):
        sub = sub[inv_rows]
    if not (inv_cols.size == sub.shape[1] and np.array_equal(inv_cols, np.arange(sub.shape[1]))):
        sub = sub[:, inv_cols]
    return sub


def travel_times(
    network: RoadNetwork,
    origins: Mapping[Any, int] | Sequence[tuple[Any, int]],
    destinations: Mapping[Any, int] | Sequence[tuple[Any, int]],
    *,
    period_factor: float | Mapping[str, float] = 1.0,
    cutoff_s: float | None = None,
    cache_dir: str | Path | None = None,
) -> TravelTimes:
    """Fastest drive times (seconds) from every origin to every destination.

    Parameters
    ----------
    origins, destinations:
        Mapping id → drive row (from :func:`geo_patrol.network.snap`), or a sequence of
        ``(id, row)`` pairs; ids must be unique, rows may repeat.
    period_factor:
        Congestion factor: a float for every road or a mapping road class → factor with a
        ``"default"`` key (see :meth:`RoadNetwork.edge_travel_time_s`).
    cutoff_s:
        Stop searching beyond this many seconds; pairs farther apart are ``np.inf``.
    cache_dir:
        When given, the matrix is stored there as ``tt_<sha256>.npz`` (key: network
        fingerprint, per-class factors, origin rows, destination rows, cutoff) and read back
        on the next identical call.  Files are written atomically.
    """
    n = network.n_nodes
    o_ids, o_rows = _points(origins, "origins", n)
    d_ids, d_rows = _points(destinations, "destinations", n)
    if cutoff_s is not None:
        try:
            cutoff_s = float(cutoff_s)
        except (TypeError, ValueError):
            cutoff_s = float("nan")
        if math.isnan(cutoff_s) or cutoff_s < 0:
            raise InputError("cutoff_s must be a number of seconds ≥ 0", field="cutoff_s")
    factors = network.class_factors(period_factor)
    shape = (o_rows.size, d_rows.size)

    cache_path = None
    key = ""
    if cache_dir is not None:
        key = _cache_key(network, factors, o_rows, d_rows, cutoff_s)
        cache_path = Path(cache_dir) / f"tt_{key}.npz"
        cached = _load_cache(cache_path, key, shape)
        if cached is not None:
            logger.debug("travel times read from cache %s", cache_path)
            cached.flags.writeable = False
            return TravelTimes(o_ids, d_ids, cached)

    if not (o_rows.size and d_rows.size):
        seconds = np.full(shape, np.inf, dtype=np.float64)
    else:
        csr = network.drive.csr(network.drive.travel_time_s * factors[network.drive.class_code])
        limit = np.inf if cutoff_s is None else cutoff_s
        uo, inv_o = np.unique(o_rows, return_inverse=True)
        ud, inv_d = np.unique(d_rows, return_inverse=True)
        if ud.size < uo.size:
            # search backwards from each destination on the transposed graph
            sub = _multi_source(csr.T.tocsr(), ud, uo, limit).T
            logger.debug("travel times: %d searches on the transposed graph", ud.size)
        else:
            sub = _multi_source(csr, uo, ud, limit)
            logger.debug("travel times: %d searches", uo.size)
        seconds = _expand(sub, inv_o.reshape(-1), inv_d.reshape(-1))
        if cutoff_s is not None:
            seconds[seconds > cutoff_s] = np.inf
    if cache_path is not None:
        _save_cache(cache_path, key, seconds)
    seconds.flags.writeable = False
    return TravelTimes(o_ids, d_ids, seconds)


def _lonlat(points: Any, what: str) -> np.ndarray:
    arr = np.asarray(points, dtype=np.float64)
    if arr.size == 0:
        return arr.reshape(0, 2)
    if arr.ndim != 2 or arr.shape[1] != 2:
        raise InputError(f"{what} must be a list of (lon, lat) pairs, got shape {arr.shape}", field=what)
    return arr


def walk_distances(
    network: RoadNetwork,
    sources_lonlat: Any,
    targets_lonlat: Any,
    *,
    max_m: float,
) -> np.ndarray:
    """Walking distance in metres from each source point to each target point.

    ``sources_lonlat`` / ``targets_lonlat``: sequences or arrays of (lon, lat) in WGS-84
    degrees.  Each point is snapped to its nearest walk node and the distance is
    ``source snap_m + walk path metres + target snap_m`` (the snap legs are counted, so a
    point 40 m off the path network pays those 40 m).  Returns float64
    ``[n_sources, n_targets]`` with ``np.inf`` where the distance exceeds ``max_m`` or the
    walk graph does not connect the points.  The search from each source stops at ``max_m``.
    """
    try:
        max_m = float(max_m)
    except (TypeError, ValueError):
        max_m = float("nan")
    if math.isnan(max_m) or max_m < 0:
        raise InputError("max_m must be a distance in metres ≥ 0", field="max_m")
    src = _lonlat(sources_lonlat, "sources_lonlat")
    tgt = _lonlat(targets_lonlat, "targets_lonlat")
    out = np.full((src.shape[0], tgt.shape[0]), np.inf, dtype=np.float64)
    if out.size == 0:
        return out
    s_rows, s_snap = snap(network, src[:, 0], src[:, 1], graph="walk")
    t_rows, t_snap = snap(network, tgt[:, 0], tgt[:, 1], graph="walk")
    active = s_snap <= max_m
    if not active.any():
        return out
    limit = max_m - float(s_snap[active].min())
    us, inv_s = np.unique(s_rows[active], return_inverse=True)
    ut, inv_t = np.unique(t_rows, return_inverse=True)
    path_m = _expand(_multi_source(network.walk_csr(), us, ut, limit), inv_s.reshape(-1), inv_t.reshape(-1))
    total = s_snap[active, None] + path_m + t_snap[None, :]
    total[total > max_m] = np.inf
    out[active] = total
    return out
