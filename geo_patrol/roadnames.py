"""Road names of a network found in free text, and how far a point lies from the road it names.

An address in a school list names the road the school stands on: Amap exports say
``"珞喻路1037号"`` or ``"高新二路与星高路交叉口西南角"``. :class:`RoadNames` indexes the named
drive roads of a :class:`~geo_patrol.network.RoadNetwork` (``way_names``: OSM ``name``, else
``name:zh`` or ``ref``; a line layer's name column), so that

- :meth:`RoadNames.find` lists the roads a text names: scanning the text from the left, the longest
  network name that starts at each place is taken and the scan goes on after it (``高新大道辅路``
  is one road, not ``高新大道``). Names are compared after NFKC normalisation (full-width digits
  and letters read as ASCII) without spaces. Names shorter than :data:`MIN_NAME_CHARS` characters
  and the generic ones of :data:`GENERIC_NAMES` are not looked for. A route number ``X044`` (the
  ``ref`` of an unnamed county road) is also found as ``044县道``, and likewise ``G``/``S``/``Y``
  as 国道/省道/乡道.
- :meth:`RoadNames.distance_m` gives, per point, the distance in metres to the nearest stretch of
  any road it names (planar metres of :class:`~geo_patrol.geo.LocalMetres` around the network).

Every drive arc of a name belongs to that name's geometry, so a road split into many ways is one
road here.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import shapely

from geo_patrol.geo import LocalMetres
from geo_patrol.network import RoadNetwork

__all__ = ["GENERIC_NAMES", "MIN_NAME_CHARS", "RoadNames"]

#: Shorter names are not looked for in texts: two characters (``"环路"``) match too much.
MIN_NAME_CHARS = 3

#: Names that do not say which road: side roads, ramps, unnamed.
GENERIC_NAMES = frozenset({"无名路", "无名道路", "辅路", "主路", "匝道", "内部道路", "小区道路", "小区路"})

_ROUTE_REF = re.compile(r"^([GSXY])(\d{1,4})$")
_ROUTE_KIND = {"G": "国道", "S": "省道", "X": "县道", "Y": "乡道"}


def _normal(text: str) -> str:
    return "".join(unicodedata.normalize("NFKC", text).split())


def _arc_segments(arr, local: LocalMetres, arcs: np.ndarray) -> np.ndarray:
    """One planar line per arc of ``arcs``: its drawn shape (GraphML), else its two ends."""
    xy = local.xy(arr.lon, arr.lat)
    shapes = [local.xy(*arr.geometry[e].T) if e in arr.geometry else xy[[arr.edge_u[e], arr.edge_v[e]]]
              for e in arcs.tolist()] if arr.geometry else None
    if shapes is None:  # straight arcs only (OSM files, line layers)
        points = np.stack([xy[arr.edge_u[arcs]], xy[arr.edge_v[arcs]]], axis=1).reshape(-1, 2)
        counts = np.full(arcs.size, 2)
    else:  # arcs with a drawn shape (GraphML) take their own points
        points = np.concatenate(shapes)
        counts = np.array([len(p) for p in shapes])
    return shapely.linestrings(points, indices=np.repeat(np.arange(arcs.size), counts))


def _lookup(names: tuple[str, ...]) -> dict[str, tuple[tuple[str, int], ...]]:
    """First two characters → (spelling, name id) of every name and the other spelling of a
    route number, longest first."""
    lookup: dict[str, list[tuple[str, int]]] = {}
    for k, name in enumerate(names):
        spellings = [name]
        route = _ROUTE_REF.match(name)
        if route:
            spellings.append(route.group(2) + _ROUTE_KIND[route.group(1)])
        for spelling in spellings:
            lookup.setdefault(spelling[:2], []).append((spelling, k))
    return {key: tuple(sorted(found, key=lambda f: -len(f[0]))) for key, found in lookup.items()}


@dataclass(frozen=True, eq=False)
class RoadNames:
    """The named drive roads of a network: ``names[k]`` and its lines ``lines[k]`` (a shapely
    MultiLineString in the planar metres of ``local``)."""

    names: tuple[str, ...]
    lines: np.ndarray
    local: LocalMetres
    _lookup: Mapping[str, tuple[tuple[str, int], ...]]  # first two characters → (spelling, name id), longest first

    @classmethod
    def of(cls, network: RoadNetwork) -> RoadNames:
        """Index the named drive roads of ``network``."""
        arr = network.drive
        local = LocalMetres.around(arr.lon, arr.lat) if arr.n_nodes else LocalMetres(0.0, 0.0)
        ways, way_row = np.unique(arr.way_id, return_inverse=True)
        spelled = [_normal(network.way_names.get(w, "")) for w in ways.tolist()]
        names = tuple(sorted({s for s in spelled if len(s) >= MIN_NAME_CHARS and s not in GENERIC_NAMES}))
        if not names:
            return cls((), np.empty(0, dtype=object), local, {})
        code = {name: k for k, name in enumerate(names)}
        arc_code = np.array([code.get(s, -1) for s in spelled], dtype=np.int64)[way_row.reshape(-1)]
        # one of the two arcs of a two-way street is enough; arcs in the order of their road
        a, b = np.minimum(arr.edge_u, arr.edge_v), np.maximum(arr.edge_u, arr.edge_v)
        named = np.flatnonzero(arc_code >= 0)
        _, first = np.unique(np.column_stack([arc_code[named], a[named], b[named]]), axis=0, return_index=True)
        arcs = named[first]
        segments = _arc_segments(arr, local, arcs)
        lines = shapely.multilinestrings(segments, indices=arc_code[arcs])
        return cls(names, lines, local, _lookup(names))

    def find(self, text: str) -> tuple[int, ...]:
        """Ids (into :attr:`names`) of the roads ``text`` names, in the order they appear."""
        text = _normal(text)
        found: list[int] = []
        i = 0
        while i < len(text) - 1:
            for spelling, k in self._lookup.get(text[i:i + 2], ()):
                if text.startswith(spelling, i):
                    if k not in found:
                        found.append(k)
                    i += len(spelling)
                    break
            else:
                i += 1
        return tuple(found)

    def distance_m(self, lon: Any, lat: Any, roads: Sequence[Sequence[int]]) -> np.ndarray:
        """Metres from each point (WGS-84 degrees) to the nearest of the roads given for it
        (ids of :attr:`names`, as :meth:`find` gives them); NaN for a point given none."""
        xy = self.local.xy(np.atleast_1d(lon), np.atleast_1d(lat))
        point_of = np.array([i for i, ks in enumerate(roads) for _ in ks], dtype=np.int64)
        road_of = np.array([k for ks in roads for k in ks], dtype=np.int64)
        out = np.full(len(roads), np.inf)
        if point_of.size:
            d = shapely.distance(shapely.points(xy[point_of]), self.lines[road_of])
            np.minimum.at(out, point_of, d)
        out[np.array([not ks for ks in roads], dtype=bool)] = np.nan
        return out
