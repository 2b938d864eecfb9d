"""Road networks: build the drive and walk graphs from OpenStreetMap, road line layers or GraphML, snap points.

Model
-----
Which OSM ways are drive or walk roads, and which way a one-way road runs, is decided by the
tag rules of :mod:`geo_patrol.io.osm` (:data:`DRIVE_CLASSES`, :data:`WALK_CLASSES`), which also
reads clipped extracts.  Road line layers (shapefile, GeoPackage, GeoJSON from PGIS, SuperMap or
ArcGIS) are read by :mod:`geo_patrol.io.roads` into the same edge lists, their classes mapped
onto the OSM classes, so both kinds of file go through the same builder below.  This module
numbers the nodes and builds the graphs.

*Drive network* — directed.  The graph is unsimplified: one edge per pair of consecutive way
nodes.  Only the largest strongly connected component is kept, so that every node can reach
every other node.

*Walk network* — undirected, used for gate-to-post visibility distances.  Parallel ways
between the same two nodes are merged (the shortest is kept).  Only the largest connected
component is kept.

Edge attributes: ``length_m`` (haversine metres between the two nodes, earth radius
6,371,009 m), ``highway`` (class), and on drive edges ``speed_kph`` (free flow: the ``maxspeed``
tag when it can be read — ``50``, ``50 km/h``, ``30 mph``, ``10 knots``; several values take
the lowest — else the class default of :data:`DEFAULT_SPEED_KPH`) and ``travel_time_s``
(``length_m / speed_kph * 3.6``).

Congestion: the travel time in a period is the free-flow time times a factor, either one
float for every road or a mapping road class → factor with a ``"default"`` key (see
:meth:`RoadNetwork.edge_travel_time_s`).  Which factor belongs to which period is the
scenario's business, not this module's.
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

import networkx as nx
import numpy as np
import scipy.sparse as sp
import shapely
from scipy.sparse import csgraph
from scipy.spatial import cKDTree

from geo_patrol.datum import normalise_datum
from geo_patrol.errors import InputError, NetworkError
from geo_patrol.geo import haversine_m, unit_vectors
from geo_patrol.io.osm import (
    DRIVE_CLASSES,
    WALK_CLASSES,
    RawWays,
    densify,
    network_file_kind,
    read_osm_schools,
    read_osm_ways,
)
from geo_patrol.io.roads import SNAP_TOLERANCE_M, layer_files, read_line_roads

logger = logging.getLogger(__name__)

__all__ = [
    "DEFAULT_SPEED_KPH",
    "DRIVE_CLASSES",
    "GraphArrays",
    "MIN_CONNECTED_SHARE",
    "RoadNetwork",
    "WALK_CLASSES",
    "cut_graph",
    "download_network",
    "load_network",
    "network_from_graph",
    "parse_maxspeed_kph",
    "read_osm_schools",
    "resolve_speeds",
    "snap",
]

_MAIN_CLASSES = ("motorway", "trunk", "primary", "secondary", "tertiary")
LINK_SPEED_FACTOR = 0.8
"""A ``*_link`` road runs at this fraction of its parent class speed unless set explicitly."""

_BASE_SPEED_KPH = {
    "motorway": 80.0,
    "trunk": 60.0,
    "primary": 45.0,
    "secondary": 40.0,
    "tertiary": 35.0,
    "unclassified": 30.0,
    "residential": 25.0,
    "living_street": 15.0,
    "road": 25.0,
    "default": 25.0,
}

DEFAULT_SPEED_KPH: Mapping[str, float] = MappingProxyType(
    {
        **_BASE_SPEED_KPH,
        **{f"{c}_link": _BASE_SPEED_KPH[c] * LINK_SPEED_FACTOR for c in _MAIN_CLASSES},
    }
)
"""Free-flow speed per road class, km/h, for urban Chinese roads at school-run time.

motorway 80, trunk 60, primary 45, secondary 40, tertiary 35, unclassified 30,
residential 25, living_street 15, road 25; each ``*_link`` is 0.8 × its parent class;
``default`` (25) is used for a class this table does not know (GraphML input only).
"""

_FORMAT_VERSION = "geo_patrol-network-1"

MIN_CONNECTED_SHARE = 0.2
"""A line layer whose largest strongly connected drive component keeps a smaller share of its
drive nodes is refused: its lines do not meet (see :func:`load_network`)."""


# --------------------------------------------------------------------------------------------
# small helpers


_SPEED_RE = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(km/h|kmh|kph|mph|knots)?\s*$")
_UNIT_TO_KPH = {None: 1.0, "km/h": 1.0, "kmh": 1.0, "kph": 1.0, "mph": 1.609344, "knots": 1.852}


def parse_maxspeed_kph(value: Any) -> float | None:
    """Read an OSM ``maxspeed`` value as km/h, or ``None`` when it is not a plain number.

    ``"50"``, ``"50 km/h"``, ``"30 mph"``, ``"10 knots"`` are read; several values separated by
    ``;`` or ``|`` (or a list) give the lowest; zone codes such as ``"CN:urban"``, ``"none"``
    or ``"walk"`` give ``None``.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        v = float(value)
        return v if math.isfinite(v) and v > 0 else None
    speeds = []
    for part in _maxspeed_parts(value):
        m = _SPEED_RE.match(part.strip().lower())
        if m is None:
            continue
        v = float(m.group(1)) * _UNIT_TO_KPH[m.group(2)]
        if v > 0:
            speeds.append(v)
    return min(speeds) if speeds else None


def _maxspeed_parts(value: Any) -> list[str]:
    """The separate values of a ``maxspeed``: a list's items (also written as ``"[…]"`` text),
    else the text split at ``;`` and ``|``."""
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        value = [p.strip().strip("'\"") for p in value[1:-1].split(",")]
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return re.split(r"[;|]", str(value))


def resolve_speeds(speed_kph: Mapping[str, float] | None = None) -> dict[str, float]:
    """Class speeds (km/h) after applying the caller's overrides to :data:`DEFAULT_SPEED_KPH`.

    A ``*_link`` class that the caller does not set follows its parent at 0.8 × the parent's
    (possibly overridden) speed.
    """
    speeds = dict(_BASE_SPEED_KPH)
    overrides = dict(speed_kph or {})
    for key, value in overrides.items():
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = float("nan")
        if not (math.isfinite(v) and v > 0):
            raise InputError(
                f"speed for road class '{key}' must be a positive number of km/h, got {value!r}",
                field="speed_kph",
                hint="give speeds such as {'primary': 40, 'residential': 20}",
            )
        overrides[key] = v
    speeds.update({k: v for k, v in overrides.items() if not k.endswith("_link")})
    for c in _MAIN_CLASSES:
        speeds[f"{c}_link"] = overrides.get(f"{c}_link", speeds[c] * LINK_SPEED_FACTOR)
    speeds.update({k: v for k, v in overrides.items() if k.endswith("_link")})
    return speeds


def _read_only(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.flags.writeable = False
    return a


# --------------------------------------------------------------------------------------------
# data classes


@dataclass(frozen=True, eq=False)
class GraphArrays:
    """Compact arrays of one graph (drive or walk), rows ``0..n_nodes-1``.

    Nodes are sorted by OSM id (a line layer's node number, see :mod:`geo_patrol.io.roads`).
    Edges (arcs) are sorted by (tail row, head row), so ``indptr`` / ``edge_v`` form the CSR
    adjacency: the arcs leaving row ``r`` are ``indptr[r]:indptr[r+1]``.  An undirected graph
    (walk) stores every edge in both directions.  ``classes[class_code[e]]`` is the road class
    of arc ``e``.  Arrays are read-only; ``node_index`` (OSM id → row) and ``geometry`` (arc →
    (k, 2) lon/lat points, only for arcs that have a drawn shape) are plain dicts not to be
    changed.  Picklable.
    """

    node_ids: np.ndarray  # int64 [n] OSM node ids
    lon: np.ndarray  # float64 [n] degrees WGS-84
    lat: np.ndarray  # float64 [n]
    indptr: np.ndarray  # int64 [n+1]
    edge_u: np.ndarray  # int64 [m] tail row
    edge_v: np.ndarray  # int64 [m] head row
    length_m: np.ndarray  # float64 [m]
    class_code: np.ndarray  # int16 [m]
    classes: tuple[str, ...]
    way_id: np.ndarray  # int64 [m], -1 when unknown
    speed_kph: np.ndarray  # float64 [m] free flow (NaN on the walk graph)
    travel_time_s: np.ndarray  # float64 [m] free flow (NaN on the walk graph)
    maxspeed_kph: np.ndarray  # float64 [m] speed read from a maxspeed tag, NaN when none
    directed: bool
    geometry: Mapping[int, np.ndarray] = field(default_factory=dict)
    node_index: Mapping[int, int] = field(init=False, repr=False)
    _tree: cKDTree = field(init=False, repr=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "node_index", {int(i): r for r, i in enumerate(self.node_ids.tolist())}
        )
        tree = cKDTree(unit_vectors(self.lon, self.lat)) if len(self.node_ids) else None
        object.__setattr__(self, "_tree", tree)

    @property
    def n_nodes(self) -> int:
        return int(self.node_ids.size)

    @property
    def n_arcs(self) -> int:
        return int(self.edge_u.size)

    def csr(self, weights: np.ndarray) -> sp.csr_matrix:
        """CSR matrix with ``weights[e]`` on arc ``e``; parallel arcs keep their lowest weight."""
        n = self.n_nodes
        w = np.asarray(weights, dtype=np.float64)
        if w.size == 0:
            return sp.csr_matrix((n, n), dtype=np.float64)
        new_pair = np.ones(w.size, dtype=bool)
        new_pair[1:] = (self.edge_u[1:] != self.edge_u[:-1]) | (self.edge_v[1:] != self.edge_v[:-1])
        starts = np.flatnonzero(new_pair)
        data = np.minimum.reduceat(w, starts)
        rows = self.edge_u[starts]
        indptr = np.zeros(n + 1, dtype=np.int64)
        np.add.at(indptr, rows + 1, 1)
        np.cumsum(indptr, out=indptr)
        return sp.csr_matrix((data, self.edge_v[starts].copy(), indptr), shape=(n, n))


@dataclass(frozen=True, eq=False)
class RoadNetwork:
    """A drive network and a walk network of one area, as graphs and as arrays.

    ``drive_graph`` is a :class:`networkx.MultiDiGraph` (node keys are OSM node ids as int,
    node attributes ``x`` = lon and ``y`` = lat in WGS-84 degrees; edge attributes
    ``length_m``, ``highway``, ``speed_kph``, ``travel_time_s``, ``osmid``, and ``maxspeed``
    and ``name`` when known).  ``walk_graph`` is an undirected :class:`networkx.Graph` with ``length_m``
    and ``highway``.  ``drive`` and ``walk`` hold the same graphs as :class:`GraphArrays`;
    rows in those arrays are what :func:`snap` returns and what travel-time functions take.
    ``fingerprint`` is a sha256 of the input bytes and the speed settings (a cache key).
    ``way_names`` maps a way id of the drive network to its name (OSM files: the OSM way id;
    line layers: the feature number, see :mod:`geo_patrol.io.roads`; networkx graphs and GraphML:
    the edges' ``osmid`` and ``name``).
    """

    drive_graph: nx.MultiDiGraph
    walk_graph: nx.Graph
    drive: GraphArrays
    walk: GraphArrays
    source: str
    fingerprint: str
    speed_kph: Mapping[str, float]
    name: str = ""
    way_names: Mapping[int, str] = field(default_factory=dict)
    # period factors → drive CSR (forward, reverse): built once per period, never pickled
    _csr_cache: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __getstate__(self) -> dict[str, Any]:
        state = dict(self.__dict__)
        state.pop("_csr_cache", None)
        return state

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__dict__.update(state)
        self.__dict__["_csr_cache"] = {}

    @property
    def n_nodes(self) -> int:
        """Number of drive nodes."""
        return self.drive.n_nodes

    @property
    def n_edges(self) -> int:
        """Number of directed drive edges."""
        return self.drive.n_arcs

    @property
    def length_km(self) -> float:
        """Drivable street length in km, a two-way street counted once."""
        d = self.drive
        if d.n_arcs == 0:
            return 0.0
        a = np.minimum(d.edge_u, d.edge_v)
        b = np.maximum(d.edge_u, d.edge_v)
        order = np.lexsort((d.length_m, b, a))
        a, b, length = a[order], b[order], d.length_m[order]
        first = np.ones(a.size, dtype=bool)
        first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1])
        return float(length[first].sum() / 1000.0)

    @property
    def node_index(self) -> Mapping[int, int]:
        """OSM node id → drive row."""
        return self.drive.node_index

    def class_factors(self, period_factor: float | Mapping[str, float] = 1.0) -> np.ndarray:
        """Congestion factor per drive road class (in the order of ``drive.classes``)."""
        return _class_factors(self.drive.classes, period_factor)

    def edge_travel_time_s(self, period_factor: float | Mapping[str, float] = 1.0) -> np.ndarray:
        """Travel time of every drive arc in a period, seconds.

        ``period_factor`` multiplies the free-flow time: one float for all roads, or a mapping
        road class → factor with a ``"default"`` key for the classes it does not name (a
        ``*_link`` class not named takes its parent's factor).  Factors must be ≥ 1e-6.
        """
        factors = self.class_factors(period_factor)
        return self.drive.travel_time_s * factors[self.drive.class_code]

    def drive_csr(self, period_factor: float | Mapping[str, float] = 1.0, *, reverse: bool = False) -> sp.csr_matrix:
        """Drive graph as a CSR matrix of travel seconds in a period (see ``edge_travel_time_s``);
        ``reverse``: the transposed graph (arcs turned round, for searches towards a node).

        Built once per period factors and kept (read-only) with the network: every search of a
        period shares it."""
        key = (self.class_factors(period_factor).tobytes(), bool(reverse))
        csr = self._csr_cache.get(key)
        if csr is None:
            csr = self.drive.csr(self.edge_travel_time_s(period_factor))
            if reverse:
                csr = csr.T.tocsr()
                csr.sort_indices()
            for a in (csr.data, csr.indices, csr.indptr):
                a.flags.writeable = False
            self._csr_cache[key] = csr
        return csr

    def walk_csr(self) -> sp.csr_matrix:
        """Walk graph as a symmetric CSR matrix of metres."""
        return self.walk.csr(self.walk.length_m)

    def summary(self) -> dict[str, Any]:
        """Counts for logs and reports."""
        return {
            "source": self.source,
            "name": self.name,
            "drive_nodes": self.n_nodes,
            "drive_edges": self.n_edges,
            "drive_length_km": round(self.length_km, 3),
            "walk_nodes": self.walk.n_nodes,
            "walk_edges": self.walk.n_arcs // 2,
        }


def _class_factors(classes: tuple[str, ...], period_factor: float | Mapping[str, float]) -> np.ndarray:
    def check(key: str, value: Any) -> float:
        try:
            v = float(value)
        except (TypeError, ValueError):
            v = float("nan")
        if not (math.isfinite(v) and v >= 1e-6):
            raise InputError(
                f"congestion factor for '{key}' must be a positive number, got {value!r}",
                field="period_factor",
                hint="use 1.0 for free flow and e.g. 1.6 for a peak that takes 60 % longer",
            )
        return v

    if isinstance(period_factor, Mapping):
        table = {str(k): check(str(k), v) for k, v in period_factor.items()}
        out = np.empty(len(classes), dtype=np.float64)
        for i, c in enumerate(classes):
            parent = c[: -len("_link")] if c.endswith("_link") else None
            if c in table:
                out[i] = table[c]
            elif parent is not None and parent in table:
                out[i] = table[parent]
            elif "default" in table:
                out[i] = table["default"]
            else:
                raise InputError(
                    f"no congestion factor for road class '{c}' and no 'default' key",
                    field="period_factor",
                    hint="add a 'default' entry to the factor mapping",
                )
        return out
    return np.full(len(classes), check("all roads", period_factor), dtype=np.float64)


# --------------------------------------------------------------------------------------------
# assembling graphs


def _largest_component(n: int, u: np.ndarray, v: np.ndarray, strong: bool) -> np.ndarray:
    """Boolean mask of the rows in the largest (strongly) connected component."""
    if n == 0:
        return np.zeros(0, dtype=bool)
    m = sp.csr_matrix((np.ones(u.size), (u, v)), shape=(n, n))
    _, labels = csgraph.connected_components(m, directed=True, connection="strong" if strong else "weak")
    counts = np.bincount(labels)
    return labels == int(np.argmax(counts))


def _build_arrays(
    node_ids: np.ndarray,
    lon: np.ndarray,
    lat: np.ndarray,
    u: np.ndarray,
    v: np.ndarray,
    way: np.ndarray,
    class_names: list[str],
    *,
    directed: bool,
    length_m: np.ndarray | None = None,
    maxspeed: list[Any] | None = None,
    speeds: Mapping[str, float] | None = None,
    use_maxspeed: bool = True,
    geometry: Mapping[int, np.ndarray] | None = None,
) -> GraphArrays:
    """Number nodes, keep the largest component, compute lengths, speeds and times.

    ``u``/``v`` are rows into ``node_ids`` (sorted unique OSM ids).  Undirected input gives
    each edge once; it is merged by node pair and stored in both directions.
    """
    u = np.asarray(u, dtype=np.int64)
    v = np.asarray(v, dtype=np.int64)
    way = np.asarray(way, dtype=np.int64)
    keep_edge = u != v
    if length_m is None:
        length_m = haversine_m(lon[u], lat[u], lon[v], lat[v])
    length_m = np.asarray(length_m, dtype=np.float64)
    classes = tuple(sorted(set(class_names)))
    code_of = {c: i for i, c in enumerate(classes)}
    codes = np.fromiter((code_of[c] for c in class_names), dtype=np.int16, count=len(class_names))
    old_edge = np.arange(u.size)

    if directed:
        sel = np.flatnonzero(keep_edge)
    else:
        sel, u, v = _merge_parallels(u, v, way, length_m, keep_edge)
    n = node_ids.size
    mask = _largest_component(n, u[sel], v[sel], strong=directed)
    sel = sel[mask[u[sel]] & mask[v[sel]]]
    new_row = np.full(n, -1, dtype=np.int64)
    new_row[mask] = np.arange(int(mask.sum()))

    eu, ev = new_row[u[sel]], new_row[v[sel]]
    e_old = old_edge[sel]
    if not directed:
        eu, ev = np.concatenate([eu, ev]), np.concatenate([ev, eu])
        e_old = np.concatenate([e_old, e_old])
    order = np.lexsort((way[e_old], length_m[e_old], ev, eu))
    eu, ev, e_old = eu[order], ev[order], e_old[order]
    n_new = int(mask.sum())
    indptr = np.zeros(n_new + 1, dtype=np.int64)
    np.add.at(indptr, eu + 1, 1)
    np.cumsum(indptr, out=indptr)

    e_len = length_m[e_old]
    used, e_code = np.unique(codes[e_old], return_inverse=True)  # classes of the kept edges only
    classes = tuple(classes[i] for i in used.tolist())
    e_code = e_code.astype(np.int16).reshape(-1)
    if directed:
        e_speed, e_time, e_maxspeed = _edge_speeds(classes, e_code, e_len, e_old, maxspeed, speeds, use_maxspeed)
    else:
        e_speed = np.full(e_len.size, np.nan)
        e_time = np.full(e_len.size, np.nan)
        e_maxspeed = np.full(e_len.size, np.nan)

    geom: dict[int, np.ndarray] = {}
    if geometry:
        for k, old in enumerate(e_old.tolist()):
            g = geometry.get(old)
            if g is not None:
                geom[k] = _read_only(np.asarray(g, dtype=np.float64))

    kept = np.flatnonzero(mask)
    return GraphArrays(
        node_ids=_read_only(node_ids[kept].astype(np.int64)),
        lon=_read_only(lon[kept].astype(np.float64)),
        lat=_read_only(lat[kept].astype(np.float64)),
        indptr=_read_only(indptr),
        edge_u=_read_only(eu),
        edge_v=_read_only(ev),
        length_m=_read_only(e_len),
        class_code=_read_only(e_code),
        classes=classes,
        way_id=_read_only(way[e_old]),
        speed_kph=_read_only(e_speed.astype(np.float64)),
        travel_time_s=_read_only(e_time.astype(np.float64)),
        maxspeed_kph=_read_only(e_maxspeed.astype(np.float64)),
        directed=directed,
        geometry=geom,
    )


def _merge_parallels(u: np.ndarray, v: np.ndarray, way: np.ndarray, length_m: np.ndarray,
                     keep_edge: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Undirected edges merged by node pair (the shortest kept): the kept edges' rows and the
    edges' ends as (lower, higher) node rows."""
    a, b = np.minimum(u, v), np.maximum(u, v)
    cand = np.flatnonzero(keep_edge)
    order = cand[np.lexsort((way[cand], length_m[cand], b[cand], a[cand]))]
    first = np.ones(order.size, dtype=bool)
    first[1:] = (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1])
    return order[first], a, b


def _edge_speeds(classes: tuple[str, ...], e_code: np.ndarray, e_len: np.ndarray, e_old: np.ndarray,
                 maxspeed: list[Any] | None, speeds: Mapping[str, float] | None,
                 use_maxspeed: bool) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Speed (km/h), travel time (s) and posted maximum speed (km/h, NaN when none) of the
    directed edges: the class speed, or the posted one when ``use_maxspeed``."""
    speeds = dict(speeds or resolve_speeds())
    class_speed = np.array([speeds.get(c, speeds["default"]) for c in classes], dtype=np.float64)
    e_speed = class_speed[e_code] if e_code.size else np.zeros(0)
    e_maxspeed = np.full(e_len.size, np.nan)
    if maxspeed is not None:
        _fill_maxspeeds(e_maxspeed, e_old, maxspeed)
    if use_maxspeed:
        e_speed = np.where(np.isnan(e_maxspeed), e_speed, e_maxspeed)
    e_time = e_len / (e_speed / 3.6)
    return e_speed, e_time, e_maxspeed


def _fill_maxspeeds(e_maxspeed: np.ndarray, e_old: np.ndarray, maxspeed: list[Any]) -> None:
    """Set each edge's posted speed (km/h) where its input edge's ``maxspeed`` reads as one
    (each distinct value parsed once)."""
    parsed: dict[Any, float | None] = {}
    for k, old in enumerate(e_old.tolist()):
        ms = maxspeed[old]
        if ms is None or ms == "":
            continue
        key = tuple(ms) if isinstance(ms, list) else ms
        if key not in parsed:
            parsed[key] = parse_maxspeed_kph(ms)
        if parsed[key] is not None:
            e_maxspeed[k] = parsed[key]


def _arrays_from_raw(
    raw_u: list[int], raw_v: list[int], coords: Mapping[int, tuple[float, float]]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    ids_u = np.asarray(raw_u, dtype=np.int64)
    ids_v = np.asarray(raw_v, dtype=np.int64)
    node_ids, inv = np.unique(np.concatenate([ids_u, ids_v]), return_inverse=True)
    xy = np.array([coords[int(i)] for i in node_ids.tolist()], dtype=np.float64).reshape(-1, 2)
    return node_ids, xy[:, 0].copy(), xy[:, 1].copy(), inv[: ids_u.size], inv[ids_u.size:]


def _drive_graph(arr: GraphArrays, name: str, way_names: Mapping[int, str]) -> nx.MultiDiGraph:
    g = nx.MultiDiGraph(crs="epsg:4326", name=name)
    ids = arr.node_ids.tolist()
    g.add_nodes_from((i, {"x": x, "y": y}) for i, x, y in zip(ids, arr.lon.tolist(), arr.lat.tolist()))
    u, v = arr.node_ids[arr.edge_u].tolist(), arr.node_ids[arr.edge_v].tolist()
    for e, (a, b) in enumerate(zip(u, v)):
        attrs = {
            "osmid": int(arr.way_id[e]),
            "highway": arr.classes[arr.class_code[e]],
            "length_m": float(arr.length_m[e]),
            "speed_kph": float(arr.speed_kph[e]),
            "travel_time_s": float(arr.travel_time_s[e]),
        }
        if not math.isnan(arr.maxspeed_kph[e]):
            attrs["maxspeed"] = repr(float(arr.maxspeed_kph[e]))  # km/h, read back exactly
        if attrs["osmid"] in way_names:
            attrs["name"] = way_names[attrs["osmid"]]
        geom = arr.geometry.get(e)
        if geom is not None:
            attrs["geometry"] = "LINESTRING (" + ", ".join(f"{x!r} {y!r}" for x, y in geom.tolist()) + ")"
        g.add_edge(a, b, **attrs)
    return g


def _walk_graph(arr: GraphArrays, name: str) -> nx.Graph:
    g = nx.Graph(crs="epsg:4326", name=name)
    ids = arr.node_ids.tolist()
    g.add_nodes_from((i, {"x": x, "y": y}) for i, x, y in zip(ids, arr.lon.tolist(), arr.lat.tolist()))
    for e in np.flatnonzero(arr.edge_u < arr.edge_v).tolist():
        g.add_edge(
            ids[arr.edge_u[e]],
            ids[arr.edge_v[e]],
            osmid=int(arr.way_id[e]),
            highway=arr.classes[arr.class_code[e]],
            length_m=float(arr.length_m[e]),
        )
    return g


def _fingerprint(parts: Iterable[bytes], speeds: Mapping[str, float], use_maxspeed: bool) -> str:
    h = hashlib.sha256(_FORMAT_VERSION.encode())
    for p in parts:
        h.update(p)
    h.update(json.dumps({"speed_kph": dict(sorted(speeds.items())), "use_maxspeed": use_maxspeed},
                        sort_keys=True).encode())
    return h.hexdigest()


def _arc_setting(max_arc_m: float | None) -> bytes:
    return f"max_arc_m={float(max_arc_m or 0):g}".encode()


def _file_chunks(path: Path) -> Iterable[bytes]:
    with path.open("rb") as f:
        while chunk := f.read(1 << 20):
            yield chunk


def _no_drive_error(path: Path | str) -> NetworkError:
    return NetworkError(
        "no drivable road (highway=motorway…tertiary, unclassified, residential, living_street, road) "
        "found",
        file=path,
        hint="check that the extract covers the area and includes highways",
    )


def _finish(
    drive: GraphArrays, walk: GraphArrays, *, source: str, fingerprint: str, speeds: Mapping[str, float],
    name: str, path_for_errors: Path | str, way_names: Mapping[int, str] | None = None,
) -> RoadNetwork:
    if drive.n_arcs == 0:
        raise _no_drive_error(path_for_errors)
    net = RoadNetwork(
        drive_graph=_drive_graph(drive, name, way_names or {}),
        walk_graph=_walk_graph(walk, name),
        drive=drive,
        walk=walk,
        source=source,
        fingerprint=fingerprint,
        speed_kph=dict(speeds),
        name=name,
        way_names=dict(way_names or {}),
    )
    logger.info("road network %s: %s", name or source, net.summary())
    return net


# --------------------------------------------------------------------------------------------
# public loaders


def load_network(
    source: str | Path,
    *,
    speed_kph: Mapping[str, float] | None = None,
    name: str | None = None,
    use_maxspeed: bool = True,
    layer: str | None = None,
    datum: str = "wgs84",
    snap_tolerance_m: float | None = None,
    max_arc_m: float | None = None,
) -> RoadNetwork:
    """Read a road network from an OpenStreetMap file, a road line layer or an osmnx GraphML file.

    Parameters
    ----------
    source:
        ``.osm``, ``.osm.gz``, ``.osm.bz2``, ``.xml`` (OSM XML) or ``.osm.pbf`` — read with
        pyosmium, clipped extracts allowed —, a road line layer ``.shp``, ``.zip`` (zipped
        shapefile), ``.gpkg`` or ``.geojson``/``.json`` (fields, classes, directions and topology:
        :mod:`geo_patrol.io.roads`), or ``.graphml`` (an osmnx drive graph, or a ``drive_graph``
        of this module written with :func:`networkx.write_graphml`).
    speed_kph:
        Free-flow speed overrides per road class, km/h (see :func:`resolve_speeds`).
    name:
        Label for logs and maps; defaults to the file name.
    use_maxspeed:
        Use the ``maxspeed`` tag of a road (a line layer's speed column) when it can be read
        (else the class speed only).
    layer:
        Line layers only: the layer to read (a GeoPackage's, or a shapefile's name inside a
        zip); by default the file's only line layer.  Given for an OSM or GraphML file it is an
        error.
    datum:
        ``wgs84`` (default), ``gcj02`` or ``bd09``: the datum of a line layer's coordinates,
        converted with :func:`geo_patrol.datum.to_wgs84`.  OSM and GraphML files are WGS-84;
        another datum for them is an error.
    snap_tolerance_m:
        Line layers only: metres within which line ends are joined to other ends and lines;
        default :data:`geo_patrol.io.roads.SNAP_TOLERANCE_M` (2 m), 0 for exact ends only.
    max_arc_m:
        Road stretches longer than this are cut into equal pieces, so that a car can stand near
        every gate (:func:`geo_patrol.io.osm.densify` for OSM files and line layers,
        :func:`cut_graph` along the drawn edges of a GraphML graph); ``None`` or 0, the default
        here, keeps them as drawn; a scenario's network is loaded with its ``max_arc_m``
        parameter, :data:`~geo_patrol.io.osm.MAX_ARC_M` 120 m unless set.

    A line layer whose drive graph falls apart — its largest strongly connected component keeps
    fewer than :data:`MIN_CONNECTED_SHARE` (20 %) of the drive nodes — is an error (the lines do
    not share their junctions); an OSM extract is not checked so.

    A GraphML file holds one network: its drivable edges (classes of :data:`DRIVE_CLASSES`,
    or edges without ``highway``) form the drive graph, and the walk graph is the same
    network made undirected without motorway and trunk roads.  Speeds and travel times are
    always recomputed with this module's model, so GraphML and OSM inputs agree.

    Raises
    ------
    NetworkError
        Missing file, unknown extension, unreadable data, no drivable road, a line layer
        without lines, class column or connected roads, or a datum or layer an OSM/GraphML
        file cannot have.
    """
    path = Path(source)
    kind = network_file_kind(path)
    datum = _file_datum(datum, kind, path)
    speeds = resolve_speeds(speed_kph)
    label = name if name is not None else path.name
    if kind == "lines":
        tolerance = SNAP_TOLERANCE_M if snap_tolerance_m is None else float(snap_tolerance_m)
        return _line_layer_network(path, layer=layer, datum=datum, snap_tolerance_m=tolerance, speeds=speeds,
                                   use_maxspeed=use_maxspeed, name=label, max_arc_m=max_arc_m)
    if layer is not None:
        raise NetworkError(
            f"network_layer '{layer}' is given, but {'an OpenStreetMap' if kind == 'osm' else 'a GraphML'} "
            "file has no layers",
            file=path,
            field="network_layer",
            hint="remove network_layer; it names the layer of a GeoPackage (or of a zipped shapefile)",
        )
    fingerprint = _fingerprint(_file_chunks(path), speeds, use_maxspeed)
    if kind == "graphml":
        graph = _read_graphml(path)
        fingerprint = _fingerprint([fingerprint.encode(), _arc_setting(max_arc_m)], speeds, use_maxspeed)
        return _network_from_nx(graph, None, speeds=speeds, use_maxspeed=use_maxspeed, name=label,
                                source=str(path), fingerprint=fingerprint, path_for_errors=path, max_arc_m=max_arc_m)

    raw = read_osm_ways(path)
    if not raw.drive_u:
        raise _no_drive_error(path)
    raw = densify(raw, max_arc_m)
    fingerprint = _fingerprint([fingerprint.encode(), _arc_setting(max_arc_m)], speeds, use_maxspeed)
    drive, walk = _arrays_from_raw_ways(raw, speeds=speeds, use_maxspeed=use_maxspeed)
    return _finish(drive, walk, source=str(path), fingerprint=fingerprint, speeds=speeds, name=label,
                   path_for_errors=path, way_names=raw.way_names)


def _arrays_from_raw_ways(raw: RawWays, *, speeds: Mapping[str, float], use_maxspeed: bool
                          ) -> tuple[GraphArrays, GraphArrays]:
    """The drive and walk :class:`GraphArrays` of edge lists read from a file (OSM or line layer)."""
    node_ids, lon, lat, u, v = _arrays_from_raw(raw.drive_u, raw.drive_v, raw.coords)
    drive = _build_arrays(node_ids, lon, lat, u, v, np.asarray(raw.drive_way), raw.drive_class,
                          directed=True, maxspeed=raw.drive_maxspeed, speeds=speeds, use_maxspeed=use_maxspeed)
    w_ids, w_lon, w_lat, wu, wv = _arrays_from_raw(raw.walk_u, raw.walk_v, raw.coords)
    walk = _build_arrays(w_ids, w_lon, w_lat, wu, wv, np.asarray(raw.walk_way, dtype=np.int64), raw.walk_class,
                         directed=False)
    return drive, walk


def _line_layer_network(
    path: Path, *, layer: str | None, datum: str, snap_tolerance_m: float, speeds: Mapping[str, float],
    use_maxspeed: bool, name: str, max_arc_m: float | None = None,
) -> RoadNetwork:
    read = read_line_roads(path, layer=layer, datum=datum, snap_tolerance_m=snap_tolerance_m)
    raw = densify(read.raw, max_arc_m)
    settings = json.dumps({"layer": layer, "datum": datum, "snap_tolerance_m": snap_tolerance_m,
                           "max_arc_m": max_arc_m or 0}, sort_keys=True)
    chunks = (chunk for part in layer_files(path) for chunk in _file_chunks(part))
    fingerprint = _fingerprint([b"line-layer", *chunks, settings.encode()], speeds, use_maxspeed)
    drive, walk = _arrays_from_raw_ways(raw, speeds=speeds, use_maxspeed=use_maxspeed)
    n_all = int(np.unique(np.concatenate([np.asarray(raw.drive_u), np.asarray(raw.drive_v)])).size)
    if drive.n_arcs == 0 or drive.n_nodes < MIN_CONNECTED_SHARE * n_all:
        raise NetworkError(
            f"the roads do not connect: the largest part in which every road node reaches every other holds "
            f"{drive.n_nodes} of {n_all} drive nodes",
            file=path,
            hint="lines must share end points or vertices where roads meet: snap the ends in the GIS "
            f"(gaps up to {snap_tolerance_m:g} m are closed here), and check the direction column "
            "(方向/ONEWAY) of one-way streets",
        )
    for warning in read.warnings:
        logger.warning("%s: %s", path.name, warning)
    if drive.n_nodes < n_all:
        logger.info("%s: the largest strongly connected part keeps %d of %d drive nodes", path.name,
                    drive.n_nodes, n_all)
    return _finish(drive, walk, source=str(path), fingerprint=fingerprint, speeds=speeds, name=name,
                   path_for_errors=path, way_names=raw.way_names)


def _file_datum(datum: str, kind: str, path: Path) -> str:
    """The declared datum, checked: OSM and GraphML networks are WGS-84 by definition."""
    try:
        d = normalise_datum(datum)
    except InputError as exc:
        raise NetworkError(exc.problem, file=path, field="network_datum", hint=exc.hint) from None
    if d != "wgs84" and kind != "lines":
        what = "an OpenStreetMap file" if kind == "osm" else "a GraphML network"
        raise NetworkError(
            f"{what} is in WGS-84, but the network datum is given as {d}",
            file=path,
            field="network_datum",
            hint="remove network_datum (or set it to \"wgs84\"); only road line layers (.shp, .gpkg, .geojson) "
            "can be in GCJ-02 or BD-09",
        )
    return d


def _read_graphml(path: Path) -> nx.Graph:
    """Read GraphML with networkx; values are converted later (osmnx writes them as text)."""
    try:
        return nx.read_graphml(path)
    except Exception as exc:  # networkx/lxml raise many types for bad GraphML
        raise NetworkError(
            f"cannot read the GraphML road network ({type(exc).__name__}: {exc})",
            file=path,
            hint="give a GraphML file written by osmnx.save_graphml or networkx.write_graphml, "
            "with integer node ids and x/y (lon/lat) node attributes",
        ) from exc


def _first(value: Any) -> Any:
    if isinstance(value, (list, tuple)):
        return value[0] if value else None
    if isinstance(value, str) and value.startswith("[") and value.endswith("]"):
        inner = [p.strip().strip("'\"") for p in value[1:-1].split(",")]
        return inner[0] if inner else None
    return value


def _as_int(value: Any, default: int = -1) -> int:
    try:
        return int(_first(value))
    except (TypeError, ValueError):
        return default


def _geometry_coords(value: Any) -> np.ndarray | None:
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = shapely.from_wkt(value)
        except Exception:  # unreadable geometry: draw straight segments instead
            return None
    coords = getattr(value, "coords", None)
    return None if coords is None else np.asarray(coords, dtype=np.float64)[:, :2]


def cut_graph(graph: nx.Graph, max_arc_m: float | None) -> nx.Graph:
    """A copy of a networkx road graph (osmnx's simplified graphs draw a whole street between
    junctions as one edge with a ``geometry``) whose edges are at most ``max_arc_m`` long: each
    longer edge becomes a chain of equal pieces along its drawn line, the new nodes (ids above the
    graph's largest) shared by both directions of a two-way street, each piece keeping the edge's
    tags, its share of the length and its stretch of the line. ``None`` or 0: the graph itself.
    The counterpart of :func:`geo_patrol.io.osm.densify` for graphs; deterministic in edge order.
    """
    if not max_arc_m or graph.number_of_nodes() == 0:
        return graph
    next_id = _first_new_id(graph)
    if next_id is None:
        return graph
    out = graph.__class__()
    out.graph.update(graph.graph)
    out.add_nodes_from(graph.nodes(data=True))
    cutter = _EdgeCutter(graph, out, max_arc_m, next_id)
    for a, b, data in graph.edges(data=True):
        cutter.add(a, b, data)
    return out


def _first_new_id(graph: nx.Graph) -> int | None:
    """One more than the graph's largest node id; None when the ids are not integers or the
    node coordinates not lon/lat degrees (the loader reports them)."""
    try:
        next_id = max(int(k) for k in graph.nodes) + 1
        xs = [float(d["x"]) for _, d in graph.nodes(data=True)]
        ys = [float(d["y"]) for _, d in graph.nodes(data=True)]
    except (KeyError, TypeError, ValueError):
        return None  # ids or coordinates the loader reports
    if max(map(abs, xs)) > 180 or max(map(abs, ys)) > 90:
        return None  # not lon/lat degrees (a projected graph): the loader reports it
    return next_id


class _EdgeCutter:
    """Adds the edges of ``graph`` to ``out`` cut into pieces of at most ``max_arc_m`` (see
    :func:`cut_graph`); new node ids count up from ``next_id``."""

    def __init__(self, graph: nx.Graph, out: nx.Graph, max_arc_m: float, next_id: int) -> None:
        self.graph, self.out, self.max_arc_m, self.next_id = graph, out, max_arc_m, next_id
        self.made: dict[tuple, list[int]] = {}

    def add(self, a, b, data: dict) -> None:
        """Add edge ``a`` → ``b``: as drawn when it has no coordinates, is a loop or is short
        enough, else as a chain of pieces."""
        graph, out = self.graph, self.out
        try:
            xa, ya, xb, yb = (float(graph.nodes[a]["x"]), float(graph.nodes[a]["y"]), float(graph.nodes[b]["x"]),
                              float(graph.nodes[b]["y"]))
        except (KeyError, TypeError, ValueError):
            out.add_edge(a, b, **data)
            return
        line = _geometry_coords(data.get("geometry"))
        if a == b:  # a loop: kept as drawn (its two directions cannot be told apart by their ends)
            out.add_edge(a, b, **data)
            return
        line = _oriented_line(line, xa, ya, xb, yb)
        steps = haversine_m(line[:-1, 0], line[:-1, 1], line[1:, 0], line[1:, 1])
        along = np.concatenate([[0.0], np.cumsum(steps)])
        total = float(along[-1])
        pieces = int(np.ceil(total / self.max_arc_m)) if total > 0 else 1
        if pieces <= 1:
            out.add_edge(a, b, **data)
            return
        chain = [a, *self._middle_nodes(a, b, data, line, along, total, pieces), b]
        self._add_pieces(chain, data, line, along, total, pieces)

    def _middle_nodes(self, a, b, data: dict, line: np.ndarray, along: np.ndarray, total: float,
                      pieces: int) -> list[int]:
        """The nodes cutting edge ``a`` → ``b`` in order from ``a``, made (and added to ``out``)
        once for both directions of a street."""
        low_first = int(a) <= int(b)
        middle = (round(float(np.interp(total / 2, along, line[:, 0])), 6),
                  round(float(np.interp(total / 2, along, line[:, 1])), 6))  # tells parallel arcs apart
        key = (min(int(a), int(b)), max(int(a), int(b)), str(data.get("osmid")), round(total, 1), middle)
        made = self.made
        if key not in made:
            made[key] = list(range(self.next_id, self.next_id + pieces - 1))
            self.next_id += pieces - 1
            cuts = [float(np.interp(total * j / pieces, along, line[:, 0])) for j in range(1, pieces)], [
                float(np.interp(total * j / pieces, along, line[:, 1])) for j in range(1, pieces)]
            ordered = made[key] if low_first else made[key][::-1]
            for node, x, y in zip(ordered, *cuts):
                self.out.add_node(node, x=x, y=y)
        return made[key] if low_first else made[key][::-1]

    def _add_pieces(self, chain: list, data: dict, line: np.ndarray, along: np.ndarray, total: float,
                    pieces: int) -> None:
        """One edge per consecutive pair of ``chain``, with the edge's tags, its share of the
        length and its stretch of the line."""
        out = self.out
        length = data.get("length_m", data.get("length"))
        try:
            share = float(length) / pieces
        except (TypeError, ValueError):
            share = total / pieces
        for j, (tail, head) in enumerate(zip(chain[:-1], chain[1:])):
            start, end = total * j / pieces, total * (j + 1) / pieces
            inside = line[(along > start) & (along < end)]
            stretch = np.vstack([[out.nodes[tail]["x"], out.nodes[tail]["y"]], inside,
                                 [out.nodes[head]["x"], out.nodes[head]["y"]]])
            piece = {k: v for k, v in data.items() if k not in ("geometry", "length", "length_m")}
            out.add_edge(tail, head, **piece, length=share, geometry=shapely.LineString(stretch))


def _oriented_line(line: np.ndarray | None, xa: float, ya: float, xb: float, yb: float) -> np.ndarray:
    """The edge's drawn line from ``a`` to ``b`` (reversed when drawn from b to a); the straight
    segment when it has no line of two points."""
    if line is None or len(line) < 2:
        return np.array([(xa, ya), (xb, yb)])
    if (haversine_m(line[-1, 0], line[-1, 1], xa, ya) + haversine_m(line[0, 0], line[0, 1], xb, yb)
            < haversine_m(line[0, 0], line[0, 1], xa, ya) + haversine_m(line[-1, 0], line[-1, 1], xb, yb)):
        return line[::-1]  # drawn from b to a
    return line


def _network_from_nx(
    drive_graph: nx.Graph,
    walk_graph: nx.Graph | None,
    *,
    speeds: Mapping[str, float],
    use_maxspeed: bool,
    name: str,
    source: str,
    fingerprint: str | None,
    path_for_errors: Path | str,
    max_arc_m: float | None = None,
) -> RoadNetwork:
    drive_graph = cut_graph(drive_graph, max_arc_m)

    def nodes_xy(g: nx.Graph) -> tuple[np.ndarray, np.ndarray, np.ndarray, dict[Any, int]]:
        keys = list(g.nodes)
        try:
            ids = np.array([int(k) for k in keys], dtype=np.int64)
            xs = np.array([float(g.nodes[k]["x"]) for k in keys], dtype=np.float64)
            ys = np.array([float(g.nodes[k]["y"]) for k in keys], dtype=np.float64)
        except (KeyError, TypeError, ValueError) as exc:
            raise NetworkError(
                f"graph nodes need integer ids and numeric x (lon) / y (lat) attributes ({exc})",
                file=path_for_errors,
                hint="use a graph made by osmnx or by this module",
            ) from exc
        if not (np.all(np.abs(xs) <= 180) and np.all(np.abs(ys) <= 90)):
            raise NetworkError("graph node coordinates are not WGS-84 lon/lat degrees",
                               file=path_for_errors, hint="project the graph back to EPSG:4326 first")
        order = np.argsort(ids, kind="stable")
        if np.any(np.diff(ids[order]) == 0):
            raise NetworkError("graph has duplicate node ids", file=path_for_errors)
        row_of_key = {keys[j]: r for r, j in enumerate(order.tolist())}
        return ids[order], xs[order], ys[order], row_of_key

    def edges(g: nx.Graph, *, drive: bool) -> tuple[Any, ...]:
        ids, xs, ys, row_of = nodes_xy(g)
        u, v, way, cls, length, maxspeed = [], [], [], [], [], []
        geometry: dict[int, np.ndarray] = {}
        names: dict[int, str] = {}
        data_iter = g.edges(data=True)
        pairs = []
        for a, b, d in data_iter:
            hw = _first(d.get("highway"))
            hw = "road" if hw is None else str(hw)
            if drive and hw not in DRIVE_CLASSES and "highway" in d:
                continue
            if not drive and hw in ("motorway", "motorway_link", "trunk", "trunk_link"):
                continue
            pairs.append((a, b, hw, d))
            if drive and not g.is_directed():
                pairs.append((b, a, hw, d))
        for a, b, hw, d in pairs:
            ra, rb = row_of[a], row_of[b]
            length_value = d.get("length_m", d.get("length"))
            try:
                lm = float(length_value)
            except (TypeError, ValueError):
                lm = float(haversine_m(xs[ra], ys[ra], xs[rb], ys[rb]))
            g_coords = _geometry_coords(d.get("geometry")) if drive else None
            if g_coords is not None:
                if np.allclose(g_coords[-1], (xs[ra], ys[ra])) and not np.allclose(g_coords[0], (xs[ra], ys[ra])):
                    g_coords = g_coords[::-1]
                geometry[len(u)] = g_coords
            u.append(ra)
            v.append(rb)
            way.append(_as_int(d.get("osmid")))
            label = _first(d.get("name"))
            if label and way[-1] >= 0:
                names.setdefault(way[-1], str(label))
            cls.append(hw)
            length.append(lm)
            maxspeed.append(d.get("maxspeed"))
        return (ids, xs, ys, u, v, way, cls, length, maxspeed, geometry, names)

    try:
        ids, xs, ys, u, v, way, cls, length, maxspeed, geometry, way_names = edges(drive_graph, drive=True)
    except KeyError as exc:
        raise NetworkError(f"graph edge refers to an unknown node {exc}", file=path_for_errors) from exc
    if not u:
        raise _no_drive_error(path_for_errors)
    drive = _build_arrays(ids, xs, ys, np.asarray(u), np.asarray(v), np.asarray(way, dtype=np.int64), cls,
                          directed=True, length_m=np.asarray(length), maxspeed=maxspeed, speeds=speeds,
                          use_maxspeed=use_maxspeed, geometry=geometry)
    wg = drive_graph if walk_graph is None else walk_graph
    w_ids, w_xs, w_ys, wu, wv, wway, wcls, wlen, _, _, _ = edges(wg, drive=False)
    walk = _build_arrays(w_ids, w_xs, w_ys, np.asarray(wu, dtype=np.int64), np.asarray(wv, dtype=np.int64),
                         np.asarray(wway, dtype=np.int64), wcls, directed=False,
                         length_m=np.asarray(wlen, dtype=np.float64))
    if fingerprint is None:
        parts = [drive.node_ids.tobytes(), drive.edge_u.tobytes(), drive.edge_v.tobytes(),
                 drive.length_m.tobytes(), "\n".join(drive.classes).encode(), drive.class_code.tobytes(),
                 drive.speed_kph.tobytes(), walk.node_ids.tobytes(), walk.edge_u.tobytes(),
                 walk.edge_v.tobytes(), walk.length_m.tobytes()]
        fingerprint = _fingerprint(parts, speeds, use_maxspeed)
    return _finish(drive, walk, source=source, fingerprint=fingerprint, speeds=speeds, name=name,
                   path_for_errors=path_for_errors, way_names=way_names)


def network_from_graph(
    drive_graph: nx.Graph,
    *,
    walk_graph: nx.Graph | None = None,
    speed_kph: Mapping[str, float] | None = None,
    name: str = "",
    source: str = "<graph>",
    use_maxspeed: bool = True,
    max_arc_m: float | None = None,
) -> RoadNetwork:
    """Build a :class:`RoadNetwork` from networkx graphs (e.g. made by osmnx).

    ``drive_graph``: node keys are integer ids with ``x`` (lon) and ``y`` (lat) in WGS-84;
    edges may carry ``length_m`` or ``length`` (metres, else the haversine distance is used),
    ``highway`` (edges of other classes than :data:`DRIVE_CLASSES` are dropped; missing means
    ``"road"``), ``maxspeed``, ``osmid``, ``name`` (kept in ``way_names`` by ``osmid``) and
    ``geometry`` (shapely LineString or WKT, kept for drawing).  An undirected graph means every
    edge is two-way.  ``walk_graph`` (any direction) defaults to ``drive_graph`` without motorway
    and trunk roads.  The fingerprint is a sha256 of the resulting arrays and the speed settings.
    ``max_arc_m`` cuts the drive graph's longer edges into pieces (:func:`cut_graph`).
    """
    speeds = resolve_speeds(speed_kph)
    return _network_from_nx(drive_graph, walk_graph, speeds=speeds, use_maxspeed=use_maxspeed, name=name,
                            source=source, fingerprint=None, path_for_errors=source, max_arc_m=max_arc_m)


def download_network(
    *,
    place: str | None = None,
    bbox: tuple[float, float, float, float] | None = None,
    speed_kph: Mapping[str, float] | None = None,
    name: str | None = None,
    max_arc_m: float | None = None,
) -> RoadNetwork:
    """Download the drive and walk networks of an area with osmnx (needs internet).

    Give either ``place`` (a name that Nominatim knows, e.g. ``"鼓楼区, 南京市, 中国"``) or
    ``bbox`` = (west, south, east, north) in WGS-84 degrees.  The graphs are downloaded
    unsimplified (``network_type="drive"`` and ``"walk"``) and converted with
    :func:`network_from_graph`; the drive classes are then filtered to
    :data:`DRIVE_CLASSES`; ``max_arc_m`` cuts longer stretches into pieces (:func:`cut_graph`).
    """
    if (place is None) == (bbox is None):
        raise NetworkError(
            "give exactly one of place= or bbox= to download a road network",
            hint="e.g. download_network(place='鼓楼区, 南京市, 中国') or "
            "download_network(bbox=(118.76, 32.03, 118.80, 32.06))",
        )
    if bbox is not None:
        try:
            west, south, east, north = (float(b) for b in bbox)
        except (TypeError, ValueError) as exc:
            raise NetworkError("bbox must be four numbers (west, south, east, north)", field="bbox") from exc
        if not (-180 <= west < east <= 180 and -90 <= south < north <= 90):
            raise NetworkError(f"bbox {bbox!r} is not (west, south, east, north) in degrees", field="bbox",
                               hint="west < east and south < north, WGS-84 degrees")
    import osmnx as ox  # noqa: PLC0415 - only the download path needs osmnx, and importing it costs ~0.8 s

    label = name or (place if place is not None else f"bbox {bbox}")
    try:
        if place is not None:
            drive = ox.graph_from_place(place, network_type="drive", simplify=False)
            walk = ox.graph_from_place(place, network_type="walk", simplify=False)
        else:
            box = (west, south, east, north)
            drive = ox.graph_from_bbox(box, network_type="drive", simplify=False)
            walk = ox.graph_from_bbox(box, network_type="walk", simplify=False)
    except Exception as exc:  # network, geocoding and Overpass errors
        raise NetworkError(
            f"could not download the road network of {label} ({type(exc).__name__}: {exc})",
            hint="check the internet connection and the place name, or load an OSM extract with load_network()",
        ) from exc
    source = f"osmnx:place={place}" if place is not None else f"osmnx:bbox={box}"
    return network_from_graph(drive, walk_graph=walk, speed_kph=speed_kph, name=label, source=source,
                              max_arc_m=max_arc_m)


# --------------------------------------------------------------------------------------------
# snapping and paths


def snap(
    network: RoadNetwork, lon: Any, lat: Any, *, graph: str = "drive"
) -> tuple[np.ndarray, np.ndarray]:
    """Nearest graph node of each point, by great-circle distance.

    Snaps to the nearest **node** (not to the nearest point of an edge); on an unsimplified
    graph nodes are a few tens of metres apart.  ``lon``/``lat`` are WGS-84 degrees (scalars
    or arrays of the same length).  Returns ``(rows, snap_m)``: int64 rows of
    ``network.drive`` (or ``network.walk`` when ``graph="walk"``) and float64 metres from each
    point to its node.  The caller decides what snap distance is too far.
    """
    if graph == "drive":
        arr = network.drive
    elif graph == "walk":
        arr = network.walk
    else:
        raise InputError(f"graph must be 'drive' or 'walk', got {graph!r}", field="graph")
    lon_a = np.atleast_1d(np.asarray(lon, dtype=np.float64))
    lat_a = np.atleast_1d(np.asarray(lat, dtype=np.float64))
    if lon_a.shape != lat_a.shape or lon_a.ndim != 1:
        raise InputError("lon and lat must be scalars or 1-D arrays of the same length", field="lon")
    bad = ~(np.isfinite(lon_a) & np.isfinite(lat_a) & (np.abs(lon_a) <= 180) & (np.abs(lat_a) <= 90))
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise InputError(
            f"point {i} has no valid WGS-84 coordinates (lon={lon_a[i]}, lat={lat_a[i]})",
            field="lon",
            hint="longitude must be within ±180 and latitude within ±90 degrees",
        )
    if arr.n_nodes == 0:
        raise NetworkError(f"the {graph} graph of {network.source} has no nodes",
                           hint="use an extract with walkable ways")
    if lon_a.size == 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64)
    _, rows = arr._tree.query(unit_vectors(lon_a, lat_a), k=1)
    rows = np.asarray(rows, dtype=np.int64)
    snap_m = haversine_m(lon_a, lat_a, arr.lon[rows], arr.lat[rows])
    return rows, np.asarray(snap_m, dtype=np.float64)
