"""Map matching: which roads of the plan's drive network a vehicle's GPS/北斗 track drove, and when.

A hidden Markov model over candidate arcs, solved by Viterbi (Newson & Krumm, "Hidden Markov map
matching through noise and sparseness", 2009):

- **candidates** of a point are the drive arcs within ``radius_m`` of it (at most
  ``max_candidates``, nearest first), found with a :class:`scipy.spatial.cKDTree` over points
  sampled along the arcs and measured exactly as the perpendicular distance to the arc (its drawn
  geometry when it has one); a point with none is *unmatched*;
- **emission**: a Gaussian of that distance, ``σ = sigma_m``;
- **transition**: ``exp(−|route − straight| / beta_m)`` between a candidate of one point and one of
  the next, where ``route`` is the drive distance between the two positions on the network (along
  the arc when both lie on it in driving order, else to the arc's head, the shortest path in metres
  to the next arc's tail, and along it), found by a Dijkstra search bounded at what the vehicle can
  drive between the two points at ``jump_kph`` plus ``2·radius_m``, and ``straight`` the straight
  line between the two points. A step back along the same arc of up to ``backtrack_m`` (the jitter
  of a car standing) counts twice its length; turning round where the car stands (to the arc drawn
  the other way along the same road, the two points at most ``backtrack_m`` apart) costs
  ``uturn_m`` more: a car standing at a gate and leaving the way it came is not sent round the
  block;
- the chain breaks (and a new one starts) at a gap longer than ``gap_s``, at a point without
  candidates, and where no candidate of a point can be reached from one of the previous point's:
  every *piece* is matched on its own.

Before matching, points are put in time order; a point earlier than one before it in the file is
marked ``out_of_order``, a second point at the same time ``duplicate`` (the first one is kept), and
a point that implies more than ``jump_kph`` both from the point before and to the point after,
while those two agree with each other, is a ``jump`` (a lone outlier, left out). Other jumps (the
implied speed between two points above ``jump_kph``) are listed in :attr:`MatchedTrack.jumps`; gaps
(no point for more than ``gap_s``) in :attr:`MatchedTrack.gaps`. A track of which less than
``min_matched_share`` of its points (duplicates and lone outliers aside) could be matched (for
instance one hundreds of metres off the roads) is ``matched=False`` with its reason, not an error;
so is a track that lies on the roads only when read in another datum (``datum_hint``).

The result gives, per point, the matched arc, the offset along it and the distance to it, and
for the track the nodes passed with the time at each (interpolated along the route between the
points on either side). :func:`position_at` answers "where was the vehicle at time t" (NaN in a
gap and outside the track), :func:`stays` "from when to when was it within X m of this point",
:func:`standstills` "where did it stand still, from when to when" (planned stop or not).

The searches and the Viterbi recursion are compiled with numba. Times are the track's
:attr:`~geo_patrol.io.tracks.VehicleTrack.seconds` (seconds after midnight of its first date).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numba
import numpy as np
from scipy.spatial import cKDTree

from geo_patrol.datum import DATUMS, from_wgs84, to_wgs84
from geo_patrol.geo import LocalMetres
from geo_patrol.network import RoadNetwork

__all__ = ["MatchParameters", "MatchNetwork", "MatchedTrack", "match_track", "match_tracks", "position_at",
           "stays", "standstills", "Standstill", "nearest_road_m", "datum_check"]

#: Spacing of the points sampled along the arcs for the candidate search, metres.
SAMPLE_M = 20.0


@dataclass(frozen=True)
class MatchParameters:
    """Settings of the matcher (metres, seconds, km/h)."""

    radius_m: float = 60.0
    sigma_m: float = 10.0
    beta_m: float = 15.0
    max_candidates: int = 8
    gap_s: float = 60.0
    jump_kph: float = 150.0
    backtrack_m: float = 25.0
    uturn_m: float = 40.0
    min_matched_share: float = 0.5

    def __post_init__(self) -> None:
        for name in ("radius_m", "sigma_m", "beta_m", "gap_s", "jump_kph"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name} must be > 0, not {getattr(self, name)}")
        if self.max_candidates < 1:
            raise ValueError("max_candidates must be ≥ 1")


@dataclass(frozen=True, eq=False)
class MatchNetwork:
    """The drive network as the matcher needs it, built once per network (:meth:`of`).

    Arcs are polylines in local metres (``seg_*``: one row per straight piece, ``seg_arc`` its arc,
    ``seg_off`` the offset of its start along the arc, scaled to the arc's ``length_m``).
    """

    network: RoadNetwork
    proj: LocalMetres
    seg_arc: np.ndarray
    seg_x0: np.ndarray
    seg_y0: np.ndarray
    seg_x1: np.ndarray
    seg_y1: np.ndarray
    seg_off: np.ndarray
    seg_scale: np.ndarray  # arc metres per planar metre of the piece
    sample_seg: np.ndarray
    tree: cKDTree
    arc_first_seg: np.ndarray
    arc_n_seg: np.ndarray
    reverse: np.ndarray  # the arc drawn the other way along the same road (−1: one-way)

    @classmethod
    def of(cls, network: RoadNetwork) -> MatchNetwork:
        arr = network.drive
        proj = LocalMetres.around(arr.lon, arr.lat) if arr.n_nodes else LocalMetres(0.0, 0.0)
        node_xy = proj.xy(arr.lon, arr.lat)
        xs, ys, arcs = [], [], []
        m = arr.n_arcs
        counts = np.ones(m, dtype=np.int64)
        shaped = {int(e): g for e, g in arr.geometry.items() if g is not None and len(g) >= 2}
        # arcs without a drawn shape: one straight piece tail → head (vectorised)
        plain = np.ones(m, dtype=bool)
        plain[list(shaped)] = False
        if shaped:
            for e in sorted(shaped):
                g = proj.xy(np.asarray(shaped[e])[:, 0], np.asarray(shaped[e])[:, 1])
                xs.append(g[:, 0])
                ys.append(g[:, 1])
                arcs.append(e)
                counts[e] = len(g) - 1
        first = np.zeros(m + 1, dtype=np.int64)
        np.cumsum(counts, out=first[1:])
        total = int(first[-1])
        x0, y0, x1, y1 = (np.empty(total) for _ in range(4))
        seg_arc = np.repeat(np.arange(m, dtype=np.int64), counts)
        idx = first[:-1][plain]
        u, v = arr.edge_u[plain], arr.edge_v[plain]
        x0[idx], y0[idx] = node_xy[u, 0], node_xy[u, 1]
        x1[idx], y1[idx] = node_xy[v, 0], node_xy[v, 1]
        for e, gx, gy in zip(arcs, xs, ys):
            s = first[e]
            x0[s:s + len(gx) - 1], y0[s:s + len(gx) - 1] = gx[:-1], gy[:-1]
            x1[s:s + len(gx) - 1], y1[s:s + len(gx) - 1] = gx[1:], gy[1:]
        piece = np.hypot(x1 - x0, y1 - y0)
        planar = np.add.reduceat(piece, first[:-1]) if m else np.zeros(0)
        planar = np.where(counts > 0, planar, 0.0)
        scale_arc = np.where(planar > 0, arr.length_m / np.maximum(planar, 1e-9), 1.0)
        seg_scale = scale_arc[seg_arc]
        cum = np.cumsum(piece) - piece  # start of each piece from the start of all pieces
        seg_off = (cum - cum[first[:-1]][seg_arc]) * seg_scale
        n_samples = np.maximum(1, np.ceil(piece / SAMPLE_M).astype(np.int64)) + 1
        sample_seg = np.repeat(np.arange(total, dtype=np.int64), n_samples)
        start = np.cumsum(n_samples) - n_samples
        frac = (np.arange(sample_seg.size) - start[sample_seg]) / (n_samples[sample_seg] - 1)
        sx = x0[sample_seg] + frac * (x1 - x0)[sample_seg]
        sy = y0[sample_seg] + frac * (y1 - y0)[sample_seg]
        tree = cKDTree(np.column_stack([sx, sy])) if sample_seg.size else cKDTree(np.zeros((1, 2)) + 1e12)
        return cls(network, proj, seg_arc, x0, y0, x1, y1, seg_off, seg_scale, sample_seg, tree, first[:-1], counts,
                   _reverse_arcs(arr.edge_u, arr.edge_v, arr.n_nodes))

    def candidates(self, x: np.ndarray, y: np.ndarray, radius_m: float, k: int) -> tuple[np.ndarray, ...]:
        """Per point its arcs within ``radius_m``, nearest first, at most ``k``: ``(ptr, arc, offset_m,
        distance_m)`` concatenated over the points (``ptr`` of length n + 1)."""
        n = x.size
        arcs_out, off_out, dist_out, count = [], [], [], np.zeros(n, dtype=np.int64)
        query_k = 8 * k
        chunk = 50_000
        for lo in range(0, n, chunk):
            hi = min(n, lo + chunk)
            px, py = x[lo:hi], y[lo:hi]
            finite = np.isfinite(px) & np.isfinite(py)
            pts = np.column_stack([np.where(finite, px, 1e12), np.where(finite, py, 1e12)])
            _, nearest = self.tree.query(pts, k=query_k, distance_upper_bound=radius_m + SAMPLE_M)
            nearest = np.atleast_2d(nearest)
            rows, cols = np.nonzero(nearest < self.sample_seg.size)
            if rows.size == 0:
                continue
            seg = self.sample_seg[nearest[rows, cols]]
            # one entry per (point, piece)
            key = np.unique(np.column_stack([rows, seg]), axis=0)
            rows, seg = key[:, 0], key[:, 1]
            ax, ay = self.seg_x0[seg], self.seg_y0[seg]
            dx, dy = self.seg_x1[seg] - ax, self.seg_y1[seg] - ay
            qx, qy = px[rows] - ax, py[rows] - ay
            length2 = dx * dx + dy * dy
            t = np.clip(np.where(length2 > 0, (qx * dx + qy * dy) / np.maximum(length2, 1e-12), 0.0), 0.0, 1.0)
            dist = np.hypot(qx - t * dx, qy - t * dy)
            arc = self.seg_arc[seg]
            offset = self.seg_off[seg] + t * np.sqrt(length2) * self.seg_scale[seg]
            keep = dist <= radius_m
            rows, arc, offset, dist = rows[keep], arc[keep], offset[keep], dist[keep]
            # nearest piece per (point, arc), then the k nearest arcs per point
            order = np.lexsort((dist, arc, rows))
            rows, arc, offset, dist = rows[order], arc[order], offset[order], dist[order]
            first = np.ones(rows.size, dtype=bool)
            first[1:] = (rows[1:] != rows[:-1]) | (arc[1:] != arc[:-1])
            rows, arc, offset, dist = rows[first], arc[first], offset[first], dist[first]
            order = np.lexsort((arc, dist, rows))
            rows, arc, offset, dist = rows[order], arc[order], offset[order], dist[order]
            starts = np.searchsorted(rows, rows, side="left")
            rank = np.arange(rows.size) - starts
            keep = rank < k
            rows, arc, offset, dist = rows[keep], arc[keep], offset[keep], dist[keep]
            count[lo:hi] += np.bincount(rows, minlength=hi - lo)
            arcs_out.append(arc)
            off_out.append(offset)
            dist_out.append(dist)
        ptr = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(count, out=ptr[1:])
        return ptr, _cat(arcs_out, np.int64), _cat(off_out, np.float64), _cat(dist_out, np.float64)

    def point_of(self, arc: np.ndarray, offset_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """lon/lat of positions given as (arc, offset along it in metres)."""
        arc = np.asarray(arc, dtype=np.int64)
        offset_m = np.asarray(offset_m, dtype=np.float64)
        first, n = self.arc_first_seg[arc], self.arc_n_seg[arc]
        seg = first.copy()
        multi = np.flatnonzero(n > 1)
        for k in multi:  # arcs with a drawn shape: the piece holding the offset
            offs = self.seg_off[first[k]:first[k] + n[k]]
            seg[k] = first[k] + max(0, int(np.searchsorted(offs, offset_m[k], side="right")) - 1)
        piece = np.hypot(self.seg_x1[seg] - self.seg_x0[seg], self.seg_y1[seg] - self.seg_y0[seg])
        t = np.clip((offset_m - self.seg_off[seg]) / np.maximum(piece * self.seg_scale[seg], 1e-9), 0.0, 1.0)
        x = self.seg_x0[seg] + t * (self.seg_x1[seg] - self.seg_x0[seg])
        y = self.seg_y0[seg] + t * (self.seg_y1[seg] - self.seg_y0[seg])
        return x / self.proj.kx + self.proj.lon0, y / self.proj.ky + self.proj.lat0


def _reverse_arcs(u: np.ndarray, v: np.ndarray, n_nodes: int) -> np.ndarray:
    """Per arc the arc from its head to its tail (the first such), −1 when there is none."""
    key = u.astype(np.int64) * max(n_nodes, 1) + v
    order = np.argsort(key, kind="stable")
    want = v.astype(np.int64) * max(n_nodes, 1) + u
    pos = np.searchsorted(key[order], want)
    pos = np.minimum(pos, max(key.size - 1, 0))
    out = np.full(u.size, -1, dtype=np.int64)
    if key.size:
        hit = key[order][pos] == want
        out[hit] = order[pos[hit]]
    return out


def _cat(parts: list[np.ndarray], dtype) -> np.ndarray:
    return np.concatenate(parts).astype(dtype) if parts else np.zeros(0, dtype=dtype)


#: The last network prepared (one: a batch of counties does not keep every network alive).
_LAST: list[MatchNetwork] = []


def _prepared(network: RoadNetwork | MatchNetwork) -> MatchNetwork:
    if isinstance(network, MatchNetwork):
        return network
    if not _LAST or _LAST[0].network is not network:
        _LAST[:] = [MatchNetwork.of(network)]
    return _LAST[0]


def nearest_road_m(network: RoadNetwork | MatchNetwork, lon: np.ndarray, lat: np.ndarray,
                   radius_m: float = 2000.0) -> np.ndarray:
    """Metres from each point to the nearest drive arc (``inf`` beyond ``radius_m``): the check
    of a declared datum (GCJ-02 points declared WGS-84 stand hundreds of metres off the roads)."""
    net = _prepared(network)
    xy = net.proj.xy(lon, lat)
    ptr, _, _, dist = net.candidates(xy[:, 0], xy[:, 1], radius_m, 1)
    out = np.full(xy.shape[0], np.inf)
    has = ptr[1:] > ptr[:-1]
    out[has] = dist[ptr[:-1][has]]
    return out


def datum_check(network: RoadNetwork | MatchNetwork, lon: np.ndarray, lat: np.ndarray, *,
                declared: str = "wgs84", sample: int = 500) -> tuple[str | None, dict[str, float]]:
    """Which datum the points were really in: the median metres to the nearest road of (up to
    ``sample`` of) the points read as WGS-84, GCJ-02 and BD-09, and the datum to suggest (None when
    the declared one fits: it is the closest, or within 15 m of the closest, or no reading has a
    median within 25 m). Points exported from a Chinese platform in GCJ-02 and declared WGS-84
    land 300–700 m off, in a dense town often on other streets, which the matching alone may not
    tell."""
    lon, lat = np.asarray(lon, dtype=float), np.asarray(lat, dtype=float)
    keep = np.flatnonzero(np.isfinite(lon) & np.isfinite(lat))
    if keep.size > sample:
        keep = keep[np.linspace(0, keep.size - 1, sample).astype(np.int64)]
    medians: dict[str, float] = {}
    if keep.size == 0:
        return None, medians
    x, y = lon[keep], lat[keep]
    # the declared datum was already converted to WGS-84: undo it, then read the raw values as each datum
    raw = (x, y) if declared == "wgs84" else tuple(np.asarray(a, dtype=float) for a in _from(x, y, declared))
    for datum in DATUMS:
        wx, wy = raw if datum == "wgs84" else (np.asarray(a, dtype=float) for a in to_wgs84(raw[0], raw[1], datum))
        near = nearest_road_m(network, wx, wy)
        medians[datum] = float(np.median(near))
    best = min(medians, key=medians.get)
    if best == declared or medians[declared] - medians[best] < 15.0 or medians[best] > 25.0:
        return None, medians
    return best, medians


def _from(lon: np.ndarray, lat: np.ndarray, datum: str):
    return from_wgs84(lon, lat, datum)


# --------------------------------------------------------------------------- compiled kernels


@numba.njit(cache=True, nogil=True)
def _search(indptr, edge_v, length, source, limit, dist, pred, touched, heap_key, heap_node, n_touched_in):
    """Dijkstra in metres from ``source`` up to ``limit``; fills dist/pred (arc) for the nodes it
    settles and lists them in ``touched`` (returns how many); the caller resets them."""
    n_touched = n_touched_in
    size = 0
    dist[source] = 0.0
    touched[n_touched] = source
    n_touched += 1
    heap_key[0] = 0.0
    heap_node[0] = source
    size = 1
    while size > 0:
        d = heap_key[0]
        u = heap_node[0]
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
            continue
        for e in range(indptr[u], indptr[u + 1]):
            v = edge_v[e]
            nd = d + length[e]
            if nd < dist[v] and nd <= limit:
                if dist[v] == np.inf:
                    touched[n_touched] = v
                    n_touched += 1
                dist[v] = nd
                pred[v] = e
                if size >= heap_key.size:
                    continue
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
    return n_touched


@numba.njit(cache=True, nogil=True)
def _viterbi(px, py, pt, cptr, carc, coff, cdist, arc_u, arc_v, arc_len, reverse, indptr, edge_v, length,
             sigma, beta, max_mps, radius, backtrack, uturn, gap_s):
    """Best candidate per point (−1: none) and the piece each point's chain belongs to."""
    n = px.size
    n_nodes = indptr.size - 1
    best = np.full(n, -1, dtype=np.int64)
    piece = np.full(n, -1, dtype=np.int64)
    n_cand = carc.size
    score = np.full(n_cand, -np.inf)
    back = np.full(n_cand, -1, dtype=np.int64)
    dist = np.full(n_nodes, np.inf)
    pred = np.full(n_nodes, -1, dtype=np.int64)
    touched = np.empty(n_nodes, dtype=np.int64)
    heap_key = np.empty(length.size + n_nodes + 1)
    heap_node = np.empty(length.size + n_nodes + 1, dtype=np.int64)
    prev = -1  # previous point of the running chain
    chain_start = -1
    n_pieces = 0
    for t in range(n + 1):
        breaks = t == n
        if not breaks:
            has = cptr[t + 1] > cptr[t]
            if not has:
                breaks = True
            elif prev >= 0 and pt[t] - pt[prev] > gap_s:
                breaks = True
        alive = False
        if not breaks and prev >= 0:
            gc = math.hypot(px[t] - px[prev], py[t] - py[prev])
            dt = max(pt[t] - pt[prev], 1.0)
            limit = max_mps * dt + 2.0 * radius
            for j in range(cptr[t], cptr[t + 1]):
                score[j] = -np.inf
            for i in range(cptr[prev], cptr[prev + 1]):
                if score[i] == -np.inf:
                    continue
                a = carc[i]
                rest = arc_len[a] - coff[i]
                searched = False
                n_touched = 0
                for j in range(cptr[t], cptr[t + 1]):
                    b = carc[j]
                    route = np.inf
                    if b == a and coff[j] >= coff[i] - backtrack:
                        # forward along the arc; a step back (GPS jitter of a car standing) counts twice
                        route = coff[j] - coff[i] if coff[j] >= coff[i] else 2.0 * (coff[i] - coff[j])
                    elif b == reverse[a] and gc <= backtrack and abs(arc_len[b] - coff[j] - coff[i]) <= backtrack:
                        route = abs(arc_len[b] - coff[j] - coff[i]) + uturn  # turned round where it stood
                    else:
                        if not searched:
                            n_touched = _search(indptr, edge_v, length, arc_v[a], max(limit - rest, 0.0), dist,
                                                pred, touched, heap_key, heap_node, 0)
                            searched = True
                        d = dist[arc_u[b]]
                        if d < np.inf:
                            route = rest + d + coff[j]
                    if route > limit:
                        continue
                    s = score[i] - abs(route - gc) / beta
                    if s > score[j]:
                        score[j] = s
                        back[j] = i
                for k in range(n_touched):
                    dist[touched[k]] = np.inf
                    pred[touched[k]] = -1
            for j in range(cptr[t], cptr[t + 1]):
                if score[j] > -np.inf:
                    alive = True
                    z = cdist[j] / sigma
                    score[j] -= 0.5 * z * z
        if not alive:
            # close the running chain at prev, then start a new one at t
            if prev >= 0:
                top = -1
                for i in range(cptr[prev], cptr[prev + 1]):
                    if top < 0 or score[i] > score[top]:
                        top = i
                p = prev
                while top >= 0 and p >= chain_start:
                    best[p] = top
                    piece[p] = n_pieces
                    top = back[top]
                    # walk back to the previous point that has candidates in this chain
                    p -= 1
                    while p >= chain_start and cptr[p + 1] == cptr[p]:
                        p -= 1
                n_pieces += 1
                prev = -1
            if t < n and cptr[t + 1] > cptr[t]:
                for j in range(cptr[t], cptr[t + 1]):
                    z = cdist[j] / sigma
                    score[j] = -0.5 * z * z
                    back[j] = -1
                prev = t
                chain_start = t
        else:
            prev = t
    return best, piece


@numba.njit(cache=True, nogil=True)
def _paths(sources, targets, limits, indptr, edge_v, arc_u, length, n_nodes):
    """Per (source, target) the arcs of the shortest path in metres (none when not within the
    limit, or source == target): ``(ptr, arcs)``."""
    k = sources.size
    dist = np.full(n_nodes, np.inf)
    pred = np.full(n_nodes, -1, dtype=np.int64)
    touched = np.empty(n_nodes, dtype=np.int64)
    heap_key = np.empty(length.size + n_nodes + 1)
    heap_node = np.empty(length.size + n_nodes + 1, dtype=np.int64)
    ptr = np.zeros(k + 1, dtype=np.int64)
    out = np.empty(1024, dtype=np.int64)
    n_out = 0
    for q in range(k):
        s, g = sources[q], targets[q]
        need = 0
        n_touched = 0
        if s != g:
            n_touched = _search(indptr, edge_v, length, s, limits[q], dist, pred, touched, heap_key, heap_node, 0)
            if dist[g] < np.inf:
                v = g
                while v != s:
                    need += 1
                    v = arc_u[pred[v]]
        if n_out + need > out.size:
            grown = np.empty(max(2 * out.size, n_out + need), dtype=np.int64)
            grown[:n_out] = out[:n_out]
            out = grown
        v = g
        for i in range(need - 1, -1, -1):
            out[n_out + i] = pred[v]
            v = arc_u[pred[v]]
        n_out += need
        ptr[q + 1] = n_out
        for i in range(n_touched):
            dist[touched[i]] = np.inf
            pred[touched[i]] = -1
    return ptr, out[:n_out].copy()


# --------------------------------------------------------------------------- results


@dataclass(frozen=True, eq=False)
class MatchedTrack:
    """A vehicle's track matched to the drive network (see the module docstring).

    Per point, in the track's own order: ``arc`` (−1: not matched), ``offset_m`` along it,
    ``distance_m`` from the point to it (NaN when not matched), ``piece`` (the matched chain, −1),
    and the flags ``duplicate``, ``out_of_order`` and ``jump`` (left out as a lone outlier).
    Along the track: ``nodes`` passed, in order, with ``node_time_s`` (interpolated) and
    ``node_piece``; ``anchors_*`` are the matched positions (the points' and the nodes') in time
    order, what :func:`position_at` interpolates. ``gaps`` is ``(k, 2)`` start/end seconds of each
    gap longer than ``gap_s``; ``jumps`` ``(k, 2)`` point indices (track order) of the two points
    of each implied speed above ``jump_kph``. ``matched`` is False (with ``reason``) when less than
    ``min_matched_share`` of the points were matched.
    """

    vehicle: str
    time_s: np.ndarray
    arc: np.ndarray
    offset_m: np.ndarray
    distance_m: np.ndarray
    piece: np.ndarray
    duplicate: np.ndarray
    out_of_order: np.ndarray
    jump: np.ndarray
    nodes: np.ndarray
    node_time_s: np.ndarray
    node_piece: np.ndarray
    anchor_time_s: np.ndarray
    anchor_lon: np.ndarray
    anchor_lat: np.ndarray
    anchor_piece: np.ndarray
    gaps: np.ndarray
    jumps: np.ndarray
    matched: bool
    reason: str
    datum_hint: str | None = None
    parameters: MatchParameters = field(default_factory=MatchParameters)

    def __post_init__(self) -> None:
        for value in vars(self).values():
            if isinstance(value, np.ndarray):
                value.flags.writeable = False

    @property
    def matched_share(self) -> float:
        """Share of the track's points matched to an arc."""
        return float(np.mean(self.arc >= 0)) if self.arc.size else 0.0


def match_tracks(network: RoadNetwork | MatchNetwork, tracks: Mapping[str, object] | Sequence[object],
                 parameters: MatchParameters | None = None, *, declared_datum: str = "wgs84"
                 ) -> dict[str, MatchedTrack]:
    """:func:`match_track` of every track (a mapping vehicle → track, or a sequence of tracks)."""
    net = _prepared(network)
    items = tracks.values() if isinstance(tracks, Mapping) else tracks
    return {t.vehicle: match_track(net, t, parameters, declared_datum=declared_datum) for t in items}


def match_track(network: RoadNetwork | MatchNetwork, track, parameters: MatchParameters | None = None, *,
                declared_datum: str = "wgs84") -> MatchedTrack:
    """Match one :class:`~geo_patrol.io.tracks.VehicleTrack` (anything with ``vehicle``,
    ``seconds``, ``lon``, ``lat``) to the drive network; never raises for a track that does not fit
    the network: it comes back ``matched=False`` with its reason. ``declared_datum`` is the datum
    the file was read in; when another reading puts the points on the roads (:func:`datum_check`)
    the track is not matched and ``datum_hint`` names that datum."""
    p = parameters or MatchParameters()
    net = _prepared(network)
    arr = net.network.drive
    times = np.asarray(track.seconds, dtype=np.float64)
    n = times.size
    lon = np.asarray(track.lon, dtype=np.float64)
    lat = np.asarray(track.lat, dtype=np.float64)
    # time order; out of order = earlier than a point before it in the file
    out_of_order = np.zeros(n, dtype=bool)
    if n:
        running = np.maximum.accumulate(times)
        out_of_order[1:] = times[1:] < running[:-1]
    order = np.argsort(times, kind="stable")
    st, sx_lon, sx_lat = times[order], lon[order], lat[order]
    duplicate_sorted = np.zeros(n, dtype=bool)
    duplicate_sorted[1:] = st[1:] == st[:-1]
    usable_sorted = ~duplicate_sorted & np.isfinite(sx_lon) & np.isfinite(sx_lat)
    xy = net.proj.xy(sx_lon, sx_lat)
    # lone outliers: fast in and out, while the neighbours agree
    max_mps = p.jump_kph / 3.6
    idx = np.flatnonzero(usable_sorted)
    jump_sorted = np.zeros(n, dtype=bool)
    if idx.size >= 3:
        def speed(a, b):
            return np.hypot(xy[b, 0] - xy[a, 0], xy[b, 1] - xy[a, 1]) / np.maximum(st[b] - st[a], 1e-3)
        into, out = speed(idx[:-2], idx[1:-1]), speed(idx[1:-1], idx[2:])
        across = speed(idx[:-2], idx[2:])
        lone = (into > max_mps) & (out > max_mps) & (across <= max_mps)
        jump_sorted[idx[1:-1][lone]] = True
    usable_sorted &= ~jump_sorted
    use = np.flatnonzero(usable_sorted)
    ux, uy, ut = xy[use, 0], xy[use, 1], st[use]
    # jumps and gaps between consecutive usable points
    if use.size >= 2:
        step = np.hypot(np.diff(ux), np.diff(uy)) / np.maximum(np.diff(ut), 1e-3)
        fast = np.flatnonzero(step > max_mps)
        jumps = np.column_stack([order[use[fast]], order[use[fast + 1]]]) if fast.size else np.zeros((0, 2), int)
        long = np.flatnonzero(np.diff(ut) > p.gap_s)
        gaps = np.column_stack([ut[long], ut[long + 1]]) if long.size else np.zeros((0, 2))
    else:
        jumps, gaps = np.zeros((0, 2), dtype=np.int64), np.zeros((0, 2))
    cptr, carc, coff, cdist = net.candidates(ux, uy, p.radius_m, p.max_candidates)
    best, piece_u = np.zeros(0, np.int64), np.zeros(0, np.int64)
    if use.size:
        best, piece_u = _viterbi(ux, uy, ut, cptr, carc, coff, cdist, arr.edge_u, arr.edge_v, arr.length_m,
                                 net.reverse, arr.indptr, arr.edge_v, arr.length_m, p.sigma_m, p.beta_m, max_mps,
                                 p.radius_m, p.backtrack_m, p.uturn_m, p.gap_s)
    ok = best >= 0
    m_arc = np.where(ok, carc[np.maximum(best, 0)] if carc.size else -1, -1)
    m_off = np.where(ok, coff[np.maximum(best, 0)] if coff.size else np.nan, np.nan)
    m_dist = np.where(ok, cdist[np.maximum(best, 0)] if cdist.size else np.nan, np.nan)
    nodes, node_t, node_piece = _route_nodes(net, ut, m_arc, m_off, piece_u, max_mps, p.radius_m, p.backtrack_m)
    # anchors: matched point positions and nodes, in time order
    mk = np.flatnonzero(ok)
    plon, plat = net.point_of(m_arc[mk], m_off[mk]) if mk.size else (np.zeros(0), np.zeros(0))
    a_t = np.concatenate([ut[mk], node_t])
    a_lon = np.concatenate([plon, arr.lon[nodes]])
    a_lat = np.concatenate([plat, arr.lat[nodes]])
    a_piece = np.concatenate([piece_u[mk], node_piece])
    a_order = np.lexsort((np.concatenate([np.zeros(mk.size), np.ones(nodes.size)]), a_t))
    # back to the track's own order
    arc_o = np.full(n, -1, dtype=np.int64)
    off_o = np.full(n, np.nan)
    dist_o = np.full(n, np.nan)
    piece_o = np.full(n, -1, dtype=np.int64)
    where = order[use]
    arc_o[where], off_o[where], dist_o[where], piece_o[where] = m_arc, m_off, m_dist, piece_u
    dup_o = np.zeros(n, dtype=bool)
    dup_o[order] = duplicate_sorted
    jump_o = np.zeros(n, dtype=bool)
    jump_o[order] = jump_sorted
    considered = ~dup_o & ~jump_o  # a repeated point or a lone outlier does not count against the track
    share = float(np.mean(arc_o[considered] >= 0)) if considered.any() else 0.0
    matched = n > 0 and share >= p.min_matched_share
    reason = ""
    hint, medians = datum_check(net, lon, lat, declared=declared_datum) if n else (None, {})
    if hint is not None:
        matched = False
        reason = (f"the points lie a median {medians[declared_datum]:.0f} m from the roads read as {declared_datum}, "
                  f"{medians[hint]:.0f} m read as {hint}: read the file again with datum {hint}")
    elif not matched:
        if n == 0:
            reason = "the track has no points"
        else:
            near = nearest_road_m(net, lon[np.isfinite(lon)][:2000], lat[np.isfinite(lon)][:2000])
            median = float(np.median(near)) if near.size else math.inf
            reason = (f"only {100 * share:.0f}% of the points lie within {p.radius_m:g} m of a drivable road "
                      f"(median distance to a road {median:.0f} m)")
            if math.isfinite(median) and median > 3 * p.radius_m:
                reason += "; check the datum the tracks were exported in (GCJ-02 or BD-09 declared as WGS-84?)"
    return MatchedTrack(
        vehicle=str(track.vehicle), time_s=times, arc=arc_o, offset_m=off_o, distance_m=dist_o, piece=piece_o,
        duplicate=dup_o, out_of_order=out_of_order, jump=jump_o, nodes=nodes, node_time_s=node_t,
        node_piece=node_piece, anchor_time_s=a_t[a_order], anchor_lon=a_lon[a_order], anchor_lat=a_lat[a_order],
        anchor_piece=a_piece[a_order], gaps=gaps, jumps=np.asarray(jumps, dtype=np.int64), matched=bool(matched),
        reason=reason, datum_hint=hint, parameters=p,
    )


def _route_nodes(net: MatchNetwork, t: np.ndarray, arc: np.ndarray, off: np.ndarray, piece: np.ndarray,
                 max_mps: float, radius_m: float, backtrack_m: float) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Nodes passed between consecutive matched points of a piece, with interpolated times."""
    arr = net.network.drive
    k = np.flatnonzero(arc >= 0)
    if k.size < 2:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
    a, b = k[:-1], k[1:]
    same_piece = piece[a] == piece[b]
    a, b = a[same_piece], b[same_piece]
    arc_a, arc_b = arc[a], arc[b]
    in_place = (arc_b == net.reverse[arc_a]) & (np.abs(arr.length_m[arc_b] - off[b] - off[a]) <= backtrack_m)
    moves = ((arc_a != arc_b) & ~in_place) | ((arc_a == arc_b) & (off[b] < off[a] - backtrack_m))
    a, b, arc_a, arc_b = a[moves], b[moves], arc_a[moves], arc_b[moves]
    src, dst = arr.edge_v[arc_a], arr.edge_u[arc_b]
    limits = max_mps * np.maximum(t[b] - t[a], 1.0) + 2 * radius_m
    ptr, path_arcs = _paths(src.astype(np.int64), dst.astype(np.int64), limits, arr.indptr, arr.edge_v,
                            arr.edge_u, arr.length_m, arr.n_nodes)
    nodes, times, pieces = [], [], []
    for q in range(a.size):
        arcs_q = path_arcs[ptr[q]:ptr[q + 1]]
        rest = arr.length_m[arc_a[q]] - off[a[q]]
        along = np.concatenate([[0.0], np.cumsum(arr.length_m[arcs_q])]) + rest  # at head(arc_a), then each head
        route = along[-1] + off[b[q]]
        if src[q] != dst[q] and arcs_q.size == 0:
            continue  # reached only through a loop the search bound left out: no nodes
        seq = np.concatenate([[src[q]], arr.edge_v[arcs_q]])
        frac = along / max(route, 1e-9)
        nodes.append(seq)
        times.append(t[a[q]] + frac * (t[b[q]] - t[a[q]]))
        pieces.append(np.full(seq.size, piece[a[q]]))
    if not nodes:
        return np.zeros(0, dtype=np.int64), np.zeros(0), np.zeros(0, dtype=np.int64)
    return (np.concatenate(nodes).astype(np.int64), np.concatenate(times),
            np.concatenate(pieces).astype(np.int64))


# --------------------------------------------------------------------------- questions


def position_at(matched: MatchedTrack, time_s) -> tuple[np.ndarray, np.ndarray]:
    """lon/lat (WGS-84) of the matched vehicle at ``time_s`` (scalar or array, the track's
    seconds), interpolated between matched positions of one piece; NaN between pieces (a gap, a
    break), before the first and after the last matched position."""
    t = np.atleast_1d(np.asarray(time_s, dtype=np.float64))
    at, alon, alat, apiece = matched.anchor_time_s, matched.anchor_lon, matched.anchor_lat, matched.anchor_piece
    lon, lat = np.full(t.size, np.nan), np.full(t.size, np.nan)
    if at.size == 0:
        return lon, lat
    hi = np.searchsorted(at, t, side="left")
    exact = (hi < at.size) & (at[np.minimum(hi, at.size - 1)] == t)
    lon[exact], lat[exact] = alon[hi[exact]], alat[hi[exact]]
    inner = ~exact & (hi > 0) & (hi < at.size)
    h = hi[inner]
    lo_ = h - 1
    same = apiece[lo_] == apiece[h]
    w = np.where(at[h] > at[lo_], (t[inner] - at[lo_]) / np.maximum(at[h] - at[lo_], 1e-9), 0.0)
    x = np.where(same, alon[lo_] + w * (alon[h] - alon[lo_]), np.nan)
    y = np.where(same, alat[lo_] + w * (alat[h] - alat[lo_]), np.nan)
    lon[inner], lat[inner] = x, y
    return lon, lat


def stays(matched: MatchedTrack, lon: float, lat: float, radius_m: float, *, min_s: float = 0.0,
          step_s: float = 1.0, start_s: float | None = None, end_s: float | None = None
          ) -> list[tuple[float, float]]:
    """``(from, to)`` seconds of each time the vehicle stood (or passed) within ``radius_m`` of
    ``(lon, lat)`` for at least ``min_s``, sampled every ``step_s`` between ``start_s`` and
    ``end_s`` (default: the matched track's span); a gap ends a stay."""
    if matched.anchor_time_s.size == 0:
        return []
    t0 = matched.anchor_time_s[0] if start_s is None else float(start_s)
    t1 = matched.anchor_time_s[-1] if end_s is None else float(end_s)
    if t1 < t0:
        return []
    clock = np.arange(t0, t1 + step_s / 2, step_s)
    x, y = position_at(matched, clock)
    proj = LocalMetres(float(lon), float(lat))
    d = np.hypot((x - lon) * proj.kx, (y - lat) * proj.ky)
    inside = np.nan_to_num(d, nan=np.inf) <= radius_m
    if not inside.any():
        return []
    edges = np.diff(np.concatenate([[0], inside.astype(np.int8), [0]]))
    starts, ends = np.flatnonzero(edges == 1), np.flatnonzero(edges == -1) - 1
    return [(float(clock[s]), float(clock[e])) for s, e in zip(starts, ends) if clock[e] - clock[s] >= min_s]


@dataclass(frozen=True)
class Standstill:
    """A place where a vehicle stood: the mean matched position, from when to when (seconds of
    the track), and how many matched points it holds."""

    lon: float
    lat: float
    start_s: float
    end_s: float
    points: int

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def standstills(matched: MatchedTrack, *, radius_m: float = 30.0, min_s: float = 120.0) -> list[Standstill]:
    """Every place the vehicle stood for at least ``min_s``: a run of matched points of one piece
    each within ``radius_m`` of the mean of the points before it in the run (stay points after Li
    et al. 2008, on the matched positions), two such runs one after the other with their means
    within ``radius_m`` taken as one; in time order. A gap ends a standstill."""
    k = np.flatnonzero(matched.arc >= 0)
    if k.size == 0:
        return []
    k = k[np.argsort(matched.time_s[k], kind="stable")]
    net_lon, net_lat = _positions(matched, k)
    t, piece = matched.time_s[k], matched.piece[k]
    proj = LocalMetres.around(net_lon, net_lat)
    xy = proj.xy(net_lon, net_lat)
    runs: list[list[int]] = []  # [first, last + 1] of each standstill, in points of k
    i, n = 0, k.size
    while i < n:
        j, sx, sy = i + 1, xy[i, 0], xy[i, 1]
        while j < n and piece[j] == piece[i] and math.hypot(xy[j, 0] - sx / (j - i), xy[j, 1] - sy / (j - i)) \
                <= radius_m:
            sx, sy = sx + xy[j, 0], sy + xy[j, 1]
            j += 1
        if t[j - 1] - t[i] >= min_s:
            last = runs[-1] if runs else None
            if last is not None and piece[last[0]] == piece[i] and last[1] == i and math.hypot(
                    *(xy[last[0]:last[1]].mean(axis=0) - xy[i:j].mean(axis=0))) <= radius_m:
                last[1] = j  # the jitter of one stand split it in two: one standstill
            else:
                runs.append([i, j])
            i = j
        else:
            i += 1
    return [Standstill(float(np.mean(net_lon[a:b])), float(np.mean(net_lat[a:b])), float(t[a]), float(t[b - 1]),
                       b - a) for a, b in runs]


def _positions(matched: MatchedTrack, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Matched lon/lat of the track points ``k`` (from the anchors, which hold them)."""
    at = matched.anchor_time_s
    lon, lat = position_at(matched, matched.time_s[k])
    missing = np.isnan(lon)
    if missing.any() and at.size:  # a point alone in its piece: its anchor is the position
        h = np.clip(np.searchsorted(at, matched.time_s[k][missing]), 0, at.size - 1)
        lon[missing], lat[missing] = matched.anchor_lon[h], matched.anchor_lat[h]
    return lon, lat
