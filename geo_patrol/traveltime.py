"""Travel-time matrices on the drive network and walking distances on the walk network.

Model
-----
Drive: the travel time from an origin node to a destination node in a period is the length
of the fastest directed path, with arc times ``free-flow travel_time_s × congestion factor``
(:meth:`geo_patrol.network.RoadNetwork.edge_travel_time_s`).  One shortest-path search runs
from each distinct origin row; when there are fewer distinct destinations than origins, the
graph is transposed and the search runs from the destinations instead (same result, fewer
searches).  Pairs that cannot be reached, or only in more than ``cutoff_s`` seconds, get
``np.inf``.

Engines
-------
``"scipy"``: ``scipy.sparse.csgraph.dijkstra`` (Fibonacci heap), one source after another.

``"numba"`` (needs the optional ``numba`` package): a compiled label-correcting search over
the CSR arrays with a circular bucket queue of width Δ (Δ-stepping, Meyer & Sanders 2003):
a node whose tentative time lies in ``[kΔ, (k+1)Δ)`` sits in bucket ``k``; buckets are
emptied in increasing ``k`` and a node improved back into the current bucket is scanned
again, so every time is the minimum over paths of the left-to-right sum of its arc times —
the same floating-point values a Dijkstra search gives.  Δ is the 10 % quantile of the
positive arc times (at least the longest arc / 65,536, so the bucket ring stays small);
with Δ at most the shortest arc no node is scanned twice (Dinitz's algorithm).  Sources run
in parallel on ``numba.get_num_threads()`` threads (one thread for requests below
``_PARALLEL_MIN_WORK`` searches × arcs), each writing only its own rows, so the result does
not depend on the thread count; when only some destinations are wanted the search stops
once they are all final.  The kernel is
compiled on its first use and cached on disk by numba (``cache=True``).

``"auto"`` uses numba when it can be imported and the work (searches × arcs) is at least
:data:`AUTO_NUMBA_MIN_WORK`, below which loading the compiled kernel once per process
costs more than it saves (≈ 0.5–0.8 s, numba's import included); otherwise scipy.

Walk: the walking distance from a point to another point is
``snap_m(source) + shortest path on the walk graph (metres) + snap_m(target)``, where each
point is snapped to its nearest walk node; distances above ``max_m`` are ``np.inf``.
"""

from __future__ import annotations

import functools
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

from geo_patrol.errors import InputError, NetworkError
from geo_patrol.network import RoadNetwork, snap

logger = logging.getLogger(__name__)

__all__ = ["AUTO_NUMBA_MIN_WORK", "ENGINES", "DriveSearch", "PairDrives", "TravelTimes", "fastest_paths",
           "numba_available", "path_rows", "reached_within", "route_path", "travel_times", "walk_distances",
           "walk_metres_from"]

_CACHE_VERSION = "geo_patrol-traveltimes-1"
_MAX_BLOCK_CELLS = 16_000_000  # rows × nodes of one dijkstra call (128 MB of float64)

#: Values accepted by the ``engine`` argument of :func:`travel_times` and :func:`walk_distances`.
ENGINES = ("auto", "numba", "scipy")

#: ``engine="auto"`` uses numba from this many searches × arcs on (scipy needs ≈ 0.5 s for it).
AUTO_NUMBA_MIN_WORK = 15_000_000

_MAX_BUCKETS = 65_536  # ring size bound of the numba kernel: Δ ≥ longest arc / _MAX_BUCKETS
_PARALLEL_MIN_WORK = 2_000_000  # searches × arcs from which the numba kernel runs on several threads


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


def _is_row_type(t: type) -> bool:
    return t is not bool and issubclass(t, (int, np.integer))


def _ids_and_rows(points: Mapping[Any, int] | Sequence[tuple[Any, int]], what: str) -> tuple[list, list]:
    """The ids and node rows of a mapping or a sequence of (id, row) pairs."""
    if isinstance(points, Mapping):
        return list(points.keys()), list(points.values())
    ids, rows = [], []
    for k, item in enumerate(points):
        try:
            pid, row = item
        except (TypeError, ValueError):
            raise InputError(f"{what} entry {k} is not an (id, node row) pair: {item!r}", field=what,
                             hint="give a mapping id → drive row from snap(), or a list of (id, row)") from None
        ids.append(pid)
        rows.append(row)
    return ids, rows


def _raise_first_bad_row(ids: list, rows: list, what: str, n_nodes: int) -> None:
    """:class:`InputError` naming the first row that is not a drive row in ``0..n_nodes - 1``."""
    for pid, row in zip(ids, rows):
        if not _is_row_type(type(row)) or not 0 <= int(row) < n_nodes:
            shown = int(row) if _is_row_type(type(row)) else repr(row)
            raise InputError(f"{what} '{pid}' has node row {shown}, not a drive row in 0..{n_nodes - 1}",
                             field=what, hint="use the rows returned by snap() on the same network")


def _points(points: Mapping[Any, int] | Sequence[tuple[Any, int]], what: str, n_nodes: int) -> tuple[tuple, np.ndarray]:
    ids, rows = _ids_and_rows(points, what)
    arr = None
    if all(_is_row_type(t) for t in set(map(type, rows))):  # checked per type, not per row
        try:
            arr = np.asarray(rows, dtype=np.int64).reshape(-1)
        except OverflowError:
            arr = None
    if arr is None or (arr.size and not (0 <= int(arr.min()) and int(arr.max()) < n_nodes)):
        _raise_first_bad_row(ids, rows, what, n_nodes)
    if len(set(ids)) != len(ids):
        dup = next(i for i in ids if ids.count(i) > 1)
        raise InputError(f"{what} id '{dup}' appears more than once", field=what, hint="ids must be unique")
    return tuple(ids), arr


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


@functools.cache
def _numba_kernel():
    """The compiled multi-source search (see the module docstring), or None without numba.

    Built on first use so that importing this module does not import numba (≈ 0.4 s).
    """
    try:
        import numba  # noqa: PLC0415 - optional, and loading it costs ~0.4 s: only on first use
    except ImportError as exc:
        logger.debug("numba not importable (%s): travel times use scipy", exc)
        return None

    @numba.njit(cache=True, parallel=True, nogil=True)
    def delta_stepping(indptr, indices, weights, sources, targets, all_targets, limit, inv_delta,
                       n_buckets, block):
        # indptr int64[n+1], indices int32[m], weights float64[m] ≥ 0: CSR arcs.
        # n_buckets: a power of two.  Sources run in blocks of `block`, one block per task.
        # Returns float64 [sources, n] (all_targets) or [sources, targets]; inf beyond limit.
        n = indptr.size - 1
        n_rows = sources.size
        n_cols = n if all_targets else targets.size
        out = np.empty((n_rows, n_cols), dtype=np.float64)
        is_target = np.zeros(n, dtype=np.bool_)
        n_wanted = 0  # distinct targets; 0 = search until the queue is empty
        if not all_targets:
            for t in targets:
                if not is_target[t]:
                    is_target[t] = True
                    n_wanted += 1
        mask = n_buckets - 1
        for b in numba.prange((n_rows + block - 1) // block):
            work = np.empty(0 if all_targets else n, dtype=np.float64)
            nxt = np.empty(n, dtype=np.int32)  # next node in the same bucket, -1 at the end
            prv = np.empty(n, dtype=np.int32)  # previous node, -1 first of its bucket, -2 in none
            head = np.empty(n_buckets, dtype=np.int32)  # first node of each bucket slot, -1 empty
            found_in = np.full(n if n_wanted > 0 else 0, -1, dtype=np.int64)  # last row reaching a target
            for r in range(b * block, min(n_rows, (b + 1) * block)):
                dist = out[r] if all_targets else work
                s = sources[r]
                dist[:] = np.inf
                prv[:] = -2
                head[:] = -1
                dist[s] = 0.0
                head[0] = s
                nxt[s] = -1
                prv[s] = -1
                queued = 1
                found = 0
                cur = 0  # bucket being emptied
                while queued > 0:
                    slot = cur & mask
                    u = head[slot]
                    if u < 0:  # bucket cur is empty: every node scanned so far is final
                        if n_wanted > 0 and found == n_wanted:
                            break
                        cur += 1
                        continue
                    w = nxt[u]
                    head[slot] = w
                    if w >= 0:
                        prv[w] = -1
                    prv[u] = -2
                    queued -= 1
                    if n_wanted > 0 and is_target[u] and found_in[u] != r:
                        found_in[u] = r
                        found += 1
                    d = dist[u]
                    for e in range(indptr[u], indptr[u + 1]):
                        v = indices[e]
                        nd = d + weights[e]
                        old = dist[v]
                        if nd < old and nd <= limit:
                            dist[v] = nd
                            a = prv[v]
                            if a == -2:
                                queued += 1
                            else:  # unlink v from the bucket of its old time
                                w = nxt[v]
                                if a >= 0:
                                    nxt[a] = w
                                else:
                                    head[np.int64(old * inv_delta) & mask] = w
                                if w >= 0:
                                    prv[w] = a
                            slot = np.int64(nd * inv_delta) & mask
                            w = head[slot]
                            nxt[v] = w
                            prv[v] = -1
                            if w >= 0:
                                prv[w] = v
                            head[slot] = v
                if not all_targets:
                    for j in range(targets.size):
                        out[r, j] = dist[targets[j]]
        return out

    return delta_stepping


def numba_available() -> bool:
    """True when the numba engine can be used (the optional ``numba`` package imports)."""
    return _numba_kernel() is not None


def _resolve_engine(engine: str, n_searches: int, n_arcs: int, n_nodes: int) -> str:
    """``"numba"`` or ``"scipy"`` for a request of ``n_searches`` searches on a graph."""
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}", field="engine",
                         hint=f"use one of {', '.join(ENGINES)}")
    if n_nodes >= 2**31 - 1:  # the numba kernel stores node rows as int32
        if engine == "numba":
            raise InputError(f"the numba engine handles graphs below 2**31 nodes, not {n_nodes:,}",
                             field="engine", hint="use engine='scipy'")
        return "scipy"
    if engine == "scipy":
        return "scipy"
    if engine == "numba":
        if _numba_kernel() is None:
            raise InputError("engine 'numba' needs the numba package, which cannot be imported",
                             field="engine", hint="pip install numba, or use engine='scipy'")
        return "numba"
    if n_searches * n_arcs < AUTO_NUMBA_MIN_WORK or _numba_kernel() is None:
        return "scipy"
    return "numba"


def _bucket_width(weights: np.ndarray) -> float:
    """Δ of the numba kernel, seconds or metres like the weights (see the module docstring)."""
    positive = weights[weights > 0]
    if positive.size == 0:
        return 1.0  # every arc weighs 0: one bucket holds everything
    k = positive.size // 10
    q10 = float(np.partition(positive, k)[k])
    return max(q10, float(positive.max()) / _MAX_BUCKETS)


def _multi_source_numba(csr, sources: np.ndarray, targets: np.ndarray, limit: float) -> np.ndarray:
    import numba  # noqa: PLC0415 - optional (see _numba_kernel)

    n = csr.shape[0]
    all_targets = targets.size == n and bool(np.all(targets == np.arange(n)))
    weights = np.ascontiguousarray(csr.data, dtype=np.float64)
    if weights.size and not (np.isfinite(weights).all() and weights.min() >= 0):
        return _multi_source_scipy(csr, sources, targets, limit)  # the buckets need finite times ≥ 0
    delta = _bucket_width(weights)
    # ring of buckets: tentative times span at most the longest arc, i.e. ≤ max/Δ + 2 buckets
    n_buckets = 1 << (int(float(weights.max(initial=0.0)) / delta) + 3).bit_length()
    threads = numba.get_num_threads()
    # waking the other threads can cost a scheduler time slice (≈ 20 ms on a busy machine)
    use = threads if sources.size * max(csr.nnz, 1) >= _PARALLEL_MIN_WORK else 1
    # about four blocks of sources per thread, handed out one at a time (dynamic schedule)
    block = max(1, -(-int(sources.size) // (4 * use)))
    numba.set_num_threads(use)  # this thread's setting only, restored below
    try:
        with numba.parallel_chunksize(1):
            return _numba_kernel()(
                np.ascontiguousarray(csr.indptr, dtype=np.int64),
                np.ascontiguousarray(csr.indices, dtype=np.int32),
                weights,
                np.ascontiguousarray(sources, dtype=np.int64),
                np.ascontiguousarray(targets, dtype=np.int64),
                all_targets,
                float(limit),
                1.0 / delta,
                n_buckets,
                block,
            )
    finally:
        numba.set_num_threads(threads)


def _multi_source_scipy(csr, sources: np.ndarray, targets: np.ndarray, limit: float) -> np.ndarray:
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


def _multi_source(csr, sources: np.ndarray, targets: np.ndarray, limit: float, engine: str) -> np.ndarray:
    """Shortest distances ``[len(sources), len(targets)]`` on a CSR graph with arc weights ≥ 0;
    ``np.inf`` when unreachable or farther than ``limit``.  ``engine``: "numba" or "scipy"."""
    if engine == "numba":
        return _multi_source_numba(csr, sources, targets, limit)
    return _multi_source_scipy(csr, sources, targets, limit)


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
    engine: str = "auto",
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
    engine:
        ``"auto"`` (default), ``"numba"`` or ``"scipy"`` (see the module docstring); all
        give the same times, only the speed differs.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}", field="engine", hint=f"use one of {', '.join(ENGINES)}")
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
        csr = network.drive_csr(period_factor)  # built once per period and kept with the network
        limit = np.inf if cutoff_s is None else cutoff_s
        uo, inv_o = np.unique(o_rows, return_inverse=True)
        ud, inv_d = np.unique(d_rows, return_inverse=True)
        backward = ud.size < uo.size
        used = _resolve_engine(engine, min(ud.size, uo.size), csr.nnz, n)
        if backward:
            # search backwards from each destination on the transposed graph
            sub = _multi_source(network.drive_csr(period_factor, reverse=True), ud, uo, limit, used).T
        else:
            sub = _multi_source(csr, uo, ud, limit, used)
        logger.debug("travel times: %d searches%s (%s)", min(ud.size, uo.size),
                     " on the transposed graph" if backward else "", used)
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
    engine: str = "auto",
) -> np.ndarray:
    """Walking distance in metres from each source point to each target point.

    ``sources_lonlat`` / ``targets_lonlat``: sequences or arrays of (lon, lat) in WGS-84
    degrees.  Each point is snapped to its nearest walk node and the distance is
    ``source snap_m + walk path metres + target snap_m`` (the snap legs are counted, so a
    point 40 m off the path network pays those 40 m).  Returns float64
    ``[n_sources, n_targets]`` with ``np.inf`` where the distance exceeds ``max_m`` or the
    walk graph does not connect the points.  The search from each source stops at ``max_m``.
    ``engine``: ``"auto"``, ``"numba"`` or ``"scipy"``, as for :func:`travel_times`.
    """
    if engine not in ENGINES:
        raise InputError(f"unknown engine {engine!r}", field="engine", hint=f"use one of {', '.join(ENGINES)}")
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
    csr = network.walk_csr()
    used = _resolve_engine(engine, us.size, csr.nnz, csr.shape[0])
    path_m = _expand(_multi_source(csr, us, ut, limit, used), inv_s.reshape(-1), inv_t.reshape(-1))
    total = s_snap[active, None] + path_m + t_snap[None, :]
    total[total > max_m] = np.inf
    out[active] = total
    return out


# --------------------------------------------------------------------------------------------
# Searches that keep more than the matrix: reach sets, walk rows, paths


def reached_within(
    network: RoadNetwork,
    sources: Sequence[int],
    *,
    period_factor: float | Mapping[str, float] = 1.0,
    limit_s: float,
) -> np.ndarray:
    """Boolean per drive row: reached from at least one of ``sources`` within ``limit_s`` seconds."""
    dist = dijkstra(network.drive_csr(period_factor), directed=True, indices=list(sources), min_only=True,
                    limit=limit_s)
    return np.isfinite(dist)


def walk_metres_from(network: RoadNetwork, rows: Sequence[int] | np.ndarray, *, limit_m: float) -> np.ndarray:
    """Walking metres from each walk row in ``rows`` to every walk row (``inf`` beyond ``limit_m``),
    shape ``(len(rows), walk nodes)``; the walk graph is undirected."""
    return dijkstra(network.walk_csr(), directed=False, indices=rows, limit=limit_m)


def fastest_paths(
    network: RoadNetwork,
    sources: Sequence[int],
    *,
    period_factor: float | Mapping[str, float] = 1.0,
    limit_s: float = np.inf,
) -> tuple[np.ndarray, np.ndarray]:
    """Drive seconds and predecessor rows from each of ``sources`` to every drive row in a period.

    Returns ``(seconds, predecessors)``, both ``(len(sources), drive nodes)``; a row not reached
    within ``limit_s`` has ``inf`` seconds and predecessor −9999. :func:`path_rows` walks the
    predecessors back into a path.
    """
    return dijkstra(network.drive_csr(period_factor), directed=True, indices=list(sources),
                    return_predecessors=True, limit=limit_s)


def path_rows(predecessors: np.ndarray, origin: int, target: int) -> list[int]:
    """Drive rows of the fastest path from ``origin`` to ``target`` along one predecessor row of
    :func:`fastest_paths` (``[origin, target]`` when the target was not reached)."""
    rows = [target]
    while rows[-1] != origin:
        rows.append(int(predecessors[rows[-1]]))
        if rows[-1] < 0:
            return [origin, target]
    rows.reverse()
    return rows


def route_path(
    network: RoadNetwork,
    origin_row: int,
    destination_row: int,
    *,
    period_factor: float | Mapping[str, float] = 1.0,
) -> list[tuple[float, float]]:
    """Coordinates (lon, lat) of the fastest drive path between two drive rows in a period.

    Uses the travel times of :meth:`RoadNetwork.edge_travel_time_s`; edge geometry is
    followed when the network has it (simplified GraphML input), else node to node.
    """
    n = network.n_nodes
    for label, r in (("origin_row", origin_row), ("destination_row", destination_row)):
        if not isinstance(r, (int, np.integer)) or not 0 <= int(r) < n:
            raise InputError(f"{label} must be a drive row in 0..{n - 1}, got {r!r}", field=label)
    o, d = int(origin_row), int(destination_row)
    arr = network.drive
    if o == d:
        return [(float(arr.lon[o]), float(arr.lat[o]))]
    weights = network.edge_travel_time_s(period_factor)
    dist, pred = fastest_paths(network, [o], period_factor=period_factor)
    dist, pred = dist[0], pred[0]
    if not np.isfinite(dist[d]):
        raise NetworkError(f"no drive path from row {o} to row {d} in {network.source}",
                           hint="both rows must come from snap() on this network")
    rows = [d]
    while rows[-1] != o:
        rows.append(int(pred[rows[-1]]))
    rows.reverse()
    coords: list[tuple[float, float]] = [(float(arr.lon[o]), float(arr.lat[o]))]
    for a, b in zip(rows[:-1], rows[1:]):
        lo, hi = int(arr.indptr[a]), int(arr.indptr[a + 1])
        cand = lo + np.flatnonzero(arr.edge_v[lo:hi] == b)
        e = int(cand[np.argmin(weights[cand])])
        geom = arr.geometry.get(e)
        if geom is not None and len(geom) >= 2:
            coords.extend((float(x), float(y)) for x, y in geom[1:-1])
        coords.append((float(arr.lon[b]), float(arr.lat[b])))
    return coords


@functools.cache
def _search_kernel():
    """The compiled heap search of :class:`DriveSearch`, or None without numba (built on first use)."""
    try:
        import numba  # noqa: PLC0415 - optional, and loading it costs ~0.4 s: only on first use
    except ImportError:
        return None

    @numba.njit(cache=True, nogil=True)
    def searches(indptr, indices, weights, src_ptr, src_nodes, targets, limits, mode, dist, pred, touched,
                 heap_key, heap_node):
        # One Dijkstra search (binary heap with lazy deletion) per query q, from the nodes
        # src_nodes[src_ptr[q]:src_ptr[q + 1]] (all at 0 s), never past limits[q]:
        #   mode 0: until targets[q] is final → its seconds;  mode 1: the same and its path;
        #   mode 2: until the heap is empty → every node reached and its seconds (a "ball").
        # dist (inf) and pred (-1) are scratch rows over all nodes, left as they came: only the
        # nodes a search touches are written, and reset before the next query.
        k = targets.size
        seconds = np.full(k, np.inf)
        out_ptr = np.zeros(k + 1, dtype=np.int64)
        cap = 1024
        out_nodes = np.empty(cap, dtype=np.int64)
        out_secs = np.empty(cap, dtype=np.float64)
        n_out = 0
        for q in range(k):
            target = targets[q]
            limit = limits[q]
            n_touched = 0
            size = 0
            for i in range(src_ptr[q], src_ptr[q + 1]):
                s = src_nodes[i]
                if dist[s] == 0.0:
                    continue
                dist[s] = 0.0
                touched[n_touched] = s
                n_touched += 1
                # push (0, s): sift up
                j = size
                size += 1
                while j > 0:
                    parent = (j - 1) >> 1
                    if heap_key[parent] <= 0.0:
                        break
                    heap_key[j] = heap_key[parent]
                    heap_node[j] = heap_node[parent]
                    j = parent
                heap_key[j] = 0.0
                heap_node[j] = s
            while size > 0:
                d = heap_key[0]
                u = heap_node[0]
                # pop: move the last entry down from the root
                size -= 1
                last_key = heap_key[size]
                last_node = heap_node[size]
                j = 0
                while True:
                    child = 2 * j + 1
                    if child >= size:
                        break
                    if child + 1 < size and heap_key[child + 1] < heap_key[child]:
                        child += 1
                    if heap_key[child] >= last_key:
                        break
                    heap_key[j] = heap_key[child]
                    heap_node[j] = heap_node[child]
                    j = child
                if size > 0:
                    heap_key[j] = last_key
                    heap_node[j] = last_node
                if d > dist[u]:
                    continue  # a stale entry: u was reached sooner since
                if u == target:
                    seconds[q] = d
                    break
                for e in range(indptr[u], indptr[u + 1]):
                    v = indices[e]
                    nd = d + weights[e]
                    if nd < dist[v] and nd <= limit:
                        if dist[v] == np.inf:
                            touched[n_touched] = v
                            n_touched += 1
                        dist[v] = nd
                        pred[v] = u
                        j = size
                        size += 1
                        while j > 0:
                            parent = (j - 1) >> 1
                            if heap_key[parent] <= nd:
                                break
                            heap_key[j] = heap_key[parent]
                            heap_node[j] = heap_node[parent]
                            j = parent
                        heap_key[j] = nd
                        heap_node[j] = v
            need = 0
            if mode == 2:
                need = n_touched
            elif mode == 1 and seconds[q] < np.inf:
                v = target
                while v >= 0:
                    need += 1
                    v = pred[v]
            if n_out + need > cap:
                cap = max(2 * cap, n_out + need)
                grown = np.empty(cap, dtype=np.int64)
                grown[:n_out] = out_nodes[:n_out]
                out_nodes = grown
                grown_s = np.empty(cap, dtype=np.float64)
                grown_s[:n_out] = out_secs[:n_out]
                out_secs = grown_s
            if mode == 2:
                for i in range(n_touched):
                    out_nodes[n_out + i] = touched[i]
                    out_secs[n_out + i] = dist[touched[i]]
            elif need:
                v = target
                for i in range(need - 1, -1, -1):
                    out_nodes[n_out + i] = v
                    out_secs[n_out + i] = dist[v]
                    v = pred[v]
            n_out += need
            out_ptr[q + 1] = n_out
            for i in range(n_touched):
                dist[touched[i]] = np.inf
                pred[touched[i]] = -1
        return seconds, out_ptr, out_nodes[:n_out].copy(), out_secs[:n_out].copy()

    return searches


class DriveSearch:
    """Bounded searches on the drive network in one period, each touching only the nodes it
    reaches: the time from a node to another (stopping when it is known), the fastest path, and
    every node within a time of a set of nodes ("balls").

    For the many small questions of rosters, car tracks and the response check, where a
    search over the whole city (and its ``n``-sized rows) would cost far more than the answer:
    the graph is the network's cached CSR of the period (:meth:`RoadNetwork.drive_csr`) and the
    scratch rows are allocated once per object. ``towards=True`` searches the reversed graph:
    seconds *to* the given nodes. The times are those of :func:`travel_times` (the minimum over
    paths of the sum of their arc times, added from the start of the path). Compiled with numba
    when it is there (a binary-heap Dijkstra search), else scipy's, one query at a time.
    Not thread-safe (one object per thread).
    """

    def __init__(self, network: RoadNetwork, period_factor: float | Mapping[str, float] = 1.0, *,
                 towards: bool = False) -> None:
        self.network = network
        self.towards = towards
        self.csr = network.drive_csr(period_factor, reverse=towards)
        self._kernel = _search_kernel()
        weights = self.csr.data
        self._scipy = self._kernel is None or bool(weights.size and not (np.isfinite(weights).all()
                                                                        and weights.min() >= 0))
        if not self._scipy:
            n, m = self.csr.shape[0], self.csr.nnz
            self._indptr = np.ascontiguousarray(self.csr.indptr, dtype=np.int64)
            self._indices = np.ascontiguousarray(self.csr.indices, dtype=np.int32)
            self._weights = np.ascontiguousarray(weights, dtype=np.float64)
            self._dist = np.full(n, np.inf)
            self._pred = np.full(n, -1, dtype=np.int64)
            self._touched = np.empty(n, dtype=np.int64)
            self._heap_key = np.empty(m + n + 1, dtype=np.float64)
            self._heap_node = np.empty(m + n + 1, dtype=np.int64)

    def _run(self, groups: Sequence[Sequence[int]], targets: np.ndarray, limits: np.ndarray, mode: int):
        src_ptr = np.zeros(len(groups) + 1, dtype=np.int64)
        np.cumsum([len(g) for g in groups], out=src_ptr[1:])
        src_nodes = np.fromiter((int(r) for g in groups for r in g), dtype=np.int64, count=int(src_ptr[-1]))
        return self._kernel(self._indptr, self._indices, self._weights, src_ptr, src_nodes,
                            np.asarray(targets, dtype=np.int64), np.asarray(limits, dtype=np.float64), mode,
                            self._dist, self._pred, self._touched, self._heap_key, self._heap_node)

    def seconds(self, a: int, b: int, limit_s: float = math.inf) -> float:
        """Drive seconds from row ``a`` to row ``b`` (``towards``: from ``b`` to ``a``) when at
        most ``limit_s``, else ``inf``."""
        if a == b:
            return 0.0
        if self._scipy:
            dist = dijkstra(self.csr, directed=True, indices=[int(a)], limit=limit_s)
            return float(dist[0, int(b)])
        seconds, _, _, _ = self._run([(int(a),)], np.array([int(b)]), np.array([float(limit_s)]), 0)
        return float(seconds[0])

    def paths(self, pairs: Sequence[tuple[int, int]]) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per ``(a, b)`` pair its fastest path: ``(rows a … b, seconds from a at each row)``
        (``([a, b], [0, inf])`` when there is none); ``towards`` must be False."""
        if self.towards:
            raise ValueError("paths are searched forwards (towards=False)")
        out = []
        if self._scipy:
            for a, b in pairs:
                dist, pred = dijkstra(self.csr, directed=True, indices=[int(a)], return_predecessors=True)
                rows = np.asarray(path_rows(pred[0], int(a), int(b)), dtype=np.int64)
                out.append((rows, dist[0, rows] if np.isfinite(dist[0, int(b)]) else np.array([0.0, np.inf])))
            return out
        if not pairs:
            return out
        seconds, ptr, nodes, secs = self._run([(int(a),) for a, _ in pairs], np.array([int(b) for _, b in pairs]),
                                              np.full(len(pairs), np.inf), 1)
        for k, (a, b) in enumerate(pairs):
            if np.isfinite(seconds[k]):
                out.append((nodes[ptr[k]:ptr[k + 1]], secs[ptr[k]:ptr[k + 1]]))
            else:
                out.append((np.array([a, b], dtype=np.int64), np.array([0.0, np.inf])))
        return out

    def balls(self, groups: Sequence[Sequence[int]], limit_s: float) -> list[tuple[np.ndarray, np.ndarray]]:
        """Per group of rows, every row within ``limit_s`` of the nearest of them (``towards``:
        from which the nearest of them is within ``limit_s``) and its seconds: ``(rows, seconds)``,
        in the order the search reached them."""
        if not groups:
            return []
        if self._scipy:
            out = []
            for group in groups:
                dist = dijkstra(self.csr, directed=True, indices=[int(r) for r in group], min_only=True,
                                limit=limit_s)
                rows = np.flatnonzero(np.isfinite(dist))
                out.append((rows, dist[rows]))
            return out
        _, ptr, nodes, secs = self._run(groups, np.full(len(groups), -1), np.full(len(groups), float(limit_s)), 2)
        return [(nodes[ptr[k]:ptr[k + 1]], secs[ptr[k]:ptr[k + 1]]) for k in range(len(groups))]


class PairDrives:
    """Drive seconds from one node to another in a period, each found by a search bounded at the
    time there is to drive it (and stopped once the other node is reached), and cached: for
    rosters and proofs, which ask "can a team (a car) get from here to there in the time
    between?" for a few pairs of a large network."""

    def __init__(self, network: RoadNetwork, period_factor: float | Mapping[str, float] = 1.0) -> None:
        self.network = network
        self.period_factor = period_factor
        self.search = DriveSearch(network, period_factor)
        self.cache: dict[tuple[int, int], tuple[float, float]] = {}

    def within(self, a: int, b: int, limit_s: float) -> float:
        """The drive time from row ``a`` to row ``b`` when it is at most ``limit_s`` (else ``inf``;
        also when ``a == b`` and ``limit_s < 0``: no time at all is not enough to stay)."""
        if limit_s < 0:
            return math.inf
        if a == b:
            return 0.0
        value, searched = self.cache.get((a, b), (math.inf, -1.0))
        if not math.isfinite(value) and searched < limit_s:  # not found in a shorter search: look further
            value, searched = self.search.seconds(a, b, limit_s), limit_s
            self.cache[(a, b)] = (value, searched)
        return value if value <= limit_s else math.inf
