"""GeoJSON layers a plan derives from its road network: the roads and the "135" reach area.

- :func:`roads_geojson` — the drive network, one feature per OSM way with its class and name (the
  map's offline basemap and the duty sheets' nearest road).
- :func:`reach_geojson` — per period, the area within ``response_target_s`` of drive from a post
  or a patrol stop (the map's "135" layer).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import shapely
from shapely import affinity
from shapely.geometry import mapping

from geo_patrol.geo import LocalMetres
from geo_patrol.traveltime import reached_within

__all__ = ["REACH_BAND_M", "REACH_SIMPLIFY_M", "reach_geojson", "roads_geojson"]


def roads_geojson(network) -> dict[str, Any]:
    """The drive network as GeoJSON: one feature per OSM way (its edges merged into lines),
    with its road class and name — the map's offline basemap and the duty sheets' road names."""
    arr = network.drive
    u, v = arr.edge_u, arr.edge_v
    a, b = np.minimum(u, v), np.maximum(u, v)
    order = np.lexsort((b, a, arr.way_id))
    keep = np.ones(order.size, dtype=bool)
    keep[1:] = (a[order][1:] != a[order][:-1]) | (b[order][1:] != b[order][:-1]) | (
        arr.way_id[order][1:] != arr.way_id[order][:-1])
    edges = order[keep]
    features = []
    way_ids = arr.way_id[edges]
    starts = np.flatnonzero(np.r_[True, way_ids[1:] != way_ids[:-1]])
    for lo, hi in zip(starts, np.r_[starts[1:], edges.size]):
        group = edges[lo:hi]
        segments = np.stack([np.column_stack([arr.lon[u[group]], arr.lat[u[group]]]),
                             np.column_stack([arr.lon[v[group]], arr.lat[v[group]]])], axis=1)
        merged = shapely.line_merge(shapely.multilinestrings(segments))
        parts = list(merged.geoms) if hasattr(merged, "geoms") else [merged]
        way = int(way_ids[lo])
        properties = {"highway": arr.classes[arr.class_code[group[0]]]}
        name = network.way_names.get(way, "") if way >= 0 else ""
        if name:
            properties["name"] = name
        lines = [[[round(x, 6), round(y, 6)] for x, y in part.coords] for part in parts]
        geometry = ({"type": "LineString", "coordinates": lines[0]} if len(lines) == 1
                    else {"type": "MultiLineString", "coordinates": lines})
        features.append({"type": "Feature", "properties": properties, "geometry": geometry})
    return {"type": "FeatureCollection", "features": features}


#: Half-width in metres of the band drawn along the roads that lie within the response target.
REACH_BAND_M = 60.0

#: Tolerance in metres of the reach area's outline (a display layer).
REACH_SIMPLIFY_M = 10.0


def reach_geojson(prepared, duties, stops) -> dict[str, Any]:
    """Per period, the area within ``response_target_s`` of drive from a post or a patrol stop.

    The union over the period of where the on-duty units stand (posts all duty long, cars at
    their stops): roads whose both ends are reached in time, widened by :data:`REACH_BAND_M`
    and merged into polygons. What a unit can reach at one given minute is in coverage.csv.

    The reached arcs of each road (OSM way) are joined into lines first and each line is widened
    as a whole (round joins), so the union merges a few hundred pieces rather than one per arc;
    the outline is then simplified with a tolerance of :data:`REACH_SIMPLIFY_M` (a display layer:
    its edges are good to about 10 m; a widened line's round ends and joins are polygons of 4
    segments per quarter circle, within 1.2 m of the true circle).
    """
    params = prepared.scenario.parameters
    net = prepared.network
    arr = net.drive
    local = LocalMetres.around(arr.lon, arr.lat)
    xy = local.xy(arr.lon, arr.lat)
    features = []
    bands: dict[bytes, tuple] = {}  # reached nodes → the widened roads (periods often reach the same)
    areas: dict[tuple, Any] = {}
    for period in prepared.scenario.periods:
        sources = sorted({d.node for d in duties if d.period == period and d.node >= 0}
                         | {s.node for s in stops if s.period == period and s.node >= 0})
        if not sources:
            continue
        ok = reached_within(net, sources, period_factor=params.congestion_for(period),
                            limit_s=params.response_target_s)
        key = np.packbits(ok).tobytes()
        if key not in bands:
            pieces = shapely.buffer(_reached_lines(arr, xy, ok), REACH_BAND_M, quad_segs=4)
            bands[key] = (pieces, shapely.STRtree(pieces))
        pieces, tree = bands[key]
        # a unit within the band of a road reached adds nothing; the others add their own disc
        units = shapely.points(xy[sources])
        inside = np.zeros(len(sources), dtype=bool)
        inside[tree.query(units, predicate="within")[0]] = True
        outside = tuple(np.asarray(sources)[~inside].tolist())
        if (key, outside) not in areas:
            discs = shapely.buffer(units[~inside], REACH_BAND_M, quad_segs=4)
            areas[(key, outside)] = _simplified(shapely.union_all(np.concatenate([pieces, discs])), REACH_SIMPLIFY_M)
        area = areas[(key, outside)]
        area = affinity.affine_transform(area, local.lonlat_affine())
        geometry = mapping(area)
        features.append({"type": "Feature", "properties": {"period": period,
                                                          "response_target_s": params.response_target_s},
                         "geometry": _round_coords(geometry)})
    return {"type": "FeatureCollection", "features": features}


def _simplified(area, tolerance_m: float):
    """``area`` simplified (Douglas–Peucker); topology-preserving only when the plain one is not
    a valid polygon (that one costs seconds on a city's outline of 100,000 vertices)."""
    plain = shapely.simplify(area, tolerance_m, preserve_topology=False)
    if not plain.is_empty and shapely.is_valid(plain):
        return plain
    return shapely.simplify(area, tolerance_m)


def _reached_lines(arr, xy: np.ndarray, ok: np.ndarray) -> np.ndarray:
    """The arcs with both ends in ``ok``, each street once, joined into lines way by way."""
    edges = np.flatnonzero(ok[arr.edge_u] & ok[arr.edge_v])
    if edges.size == 0:
        return np.array([], dtype=object)
    a = np.minimum(arr.edge_u[edges], arr.edge_v[edges])
    b = np.maximum(arr.edge_u[edges], arr.edge_v[edges])
    way = arr.way_id[edges]
    order = np.lexsort((b, a, way))
    a, b, way = a[order], b[order], way[order]
    first = np.ones(a.size, dtype=bool)
    first[1:] = (a[1:] != a[:-1]) | (b[1:] != b[:-1]) | (way[1:] != way[:-1])
    a, b, way = a[first], b[first], way[first]
    segments = shapely.linestrings(np.stack([xy[a], xy[b]], axis=1))
    _, group = np.unique(way, return_inverse=True)
    return shapely.get_parts(shapely.line_merge(shapely.multilinestrings(segments, indices=group.reshape(-1))))


def _round_coords(geometry: Mapping[str, Any]) -> dict[str, Any]:
    def walk(value):
        if isinstance(value, (list, tuple)) and value and isinstance(value[0], (int, float)):
            return [round(float(v), 6) for v in value]
        return [walk(v) for v in value]

    return {"type": geometry["type"], "coordinates": walk(geometry["coordinates"])}
