"""Reading OpenStreetMap files: the roads of the drive and walk networks, and the schools.

This module turns an OSM file (XML or PBF, plain or compressed, whole or clipped) into plain
lists of edges between OSM node ids (:class:`RawWays`) and into school features; numbering
nodes, keeping connected components and computing speeds is :mod:`geo_patrol.network`'s job.

Model
-----
*Drive ways* — an OSM way is drivable when its ``highway`` tag is one of
:data:`DRIVE_CLASSES` (motorway, trunk, primary, secondary, tertiary and their ``_link``
roads, unclassified, residential, living_street, road).  ``highway=service`` is **excluded**
(car parks, driveways and campus lanes are not patrol roads).  Ways with ``area=yes`` are
excluded, and so are ways with ``access=private|no`` unless ``motor_vehicle``, ``motorcar``
or ``vehicle`` is ``yes|permissive|designated|destination``; ``motor_vehicle=private|no`` or
``motorcar=private|no`` also excludes a way.

One-way rules: ``oneway=yes|1|true`` is one-way along the way, ``oneway=-1|reverse`` one-way
against it, ``oneway=no|0|false`` two-way.  ``oneway=reversible|alternating`` is treated as
**two-way** (the direction depends on the time of day, which the tag does not say).
``highway=motorway`` and ``junction=roundabout|circular`` are one-way unless tagged otherwise.
Any other value is two-way.

*Walk ways* — a way is walkable when its ``highway`` is one of :data:`WALK_CLASSES` (the drive
classes without motorway and trunk, plus service, footway, path, pedestrian, steps, cycleway,
track, bridleway, corridor); ``area=yes``, ``foot=no|private`` and ``access=private|no``
(unless ``foot=yes|permissive|designated``) exclude a way.

Every pair of consecutive way nodes gives one edge (a two-way drive way gives one arc each
way).  Clipped extracts (ways that reference nodes absent from the file) are read: a way is
split at every missing node and the pieces with at least two nodes are kept.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import osmium
import shapely
from osmium.filter import EntityFilter, IdFilter, KeyFilter
from shapely.geometry import LineString, MultiLineString

from geo_patrol.errors import NetworkError
from geo_patrol.geo import haversine_m

logger = logging.getLogger(__name__)

__all__ = [
    "DRIVE_CLASSES",
    "MAX_ARC_M",
    "densify",
    "LINE_LAYER_SUFFIXES",
    "RawWays",
    "WALK_CLASSES",
    "network_file_kind",
    "read_osm_schools",
    "read_osm_ways",
]

DRIVE_CLASSES: tuple[str, ...] = (
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
    "primary",
    "primary_link",
    "secondary",
    "secondary_link",
    "tertiary",
    "tertiary_link",
    "unclassified",
    "residential",
    "living_street",
    "road",
)
"""OSM ``highway`` values that make a way part of the drive network."""

WALK_CLASSES: frozenset[str] = frozenset(DRIVE_CLASSES) - {
    "motorway",
    "motorway_link",
    "trunk",
    "trunk_link",
} | {
    "service",
    "footway",
    "path",
    "pedestrian",
    "steps",
    "cycleway",
    "track",
    "bridleway",
    "corridor",
}
"""OSM ``highway`` values that make a way part of the walk network."""

_YES = {"yes", "1", "true"}
_NO = {"no", "0", "false"}
_REVERSE = {"-1", "reverse"}
_TWO_WAY_TIME_DEPENDENT = {"reversible", "alternating"}
_BLOCKED_ACCESS = {"private", "no"}
_MOTOR_ALLOWED = {"yes", "permissive", "designated", "destination"}
_FOOT_ALLOWED = {"yes", "permissive", "designated"}

_OSM_SUFFIXES = (".osm", ".osm.gz", ".osm.bz2", ".osm.pbf", ".pbf", ".xml", ".xml.gz", ".xml.bz2")
_GRAPHML_SUFFIXES = (".graphml",)
LINE_LAYER_SUFFIXES = (".shp", ".zip", ".gpkg", ".geojson", ".json")
"""Endings of road line layers (a zipped shapefile included), read by :mod:`geo_patrol.io.roads`."""


# --------------------------------------------------------------------------------------------
# tag rules


def _drive_direction(tags: Mapping[str, str], highway: str) -> int | None:
    """+1 one-way forward, -1 one-way backward, 0 two-way, None not drivable."""
    if highway not in DRIVE_CLASSES:
        return None
    if tags.get("area", "").lower() == "yes":
        return None
    motor = {tags.get(k, "").lower() for k in ("motor_vehicle", "motorcar")}
    if motor & _BLOCKED_ACCESS:
        return None
    if tags.get("access", "").lower() in _BLOCKED_ACCESS:
        allowed = {tags.get(k, "").lower() for k in ("motor_vehicle", "motorcar", "vehicle")}
        if not allowed & _MOTOR_ALLOWED:
            return None
    oneway = tags.get("oneway", "").lower()
    if oneway in _YES:
        return 1
    if oneway in _REVERSE:
        return -1
    if oneway in _NO or oneway in _TWO_WAY_TIME_DEPENDENT:
        return 0
    if oneway == "":
        if highway == "motorway" or tags.get("junction", "").lower() in ("roundabout", "circular"):
            return 1
    return 0


def _walkable(tags: Mapping[str, str], highway: str) -> bool:
    if highway not in WALK_CLASSES:
        return False
    if tags.get("area", "").lower() == "yes":
        return False
    foot = tags.get("foot", "").lower()
    if foot in ("no", "private"):
        return False
    if tags.get("access", "").lower() in _BLOCKED_ACCESS and foot not in _FOOT_ALLOWED:
        return False
    return True


# --------------------------------------------------------------------------------------------
# reading OSM files


def network_file_kind(path: Path) -> str:
    """``"osm"``, ``"graphml"`` or ``"lines"`` (a line layer) for an existing road network file,
    by its name's ending.

    Raises :class:`NetworkError` for an unknown ending, a missing file or a folder.
    """
    name = path.name.lower()
    if name.endswith(_GRAPHML_SUFFIXES):
        kind = "graphml"
    elif name.endswith(_OSM_SUFFIXES):
        kind = "osm"
    elif name.endswith(LINE_LAYER_SUFFIXES):
        kind = "lines"
    else:
        raise NetworkError(
            f"unknown road network format '{''.join(path.suffixes) or path.name}'",
            file=path,
            hint="give an OpenStreetMap file (.osm, .osm.gz, .osm.bz2, .osm.pbf, .xml), "
            "an osmnx GraphML file (.graphml) or a road line layer (.shp, .zip, .gpkg, .geojson)",
        )
    if not path.exists():
        raise NetworkError(
            "road network file not found",
            file=path,
            hint=f"check the path '{path}' or download an OpenStreetMap extract of the area",
        )
    if not path.is_file():
        raise NetworkError("road network path is not a file", file=path, hint="give the path of the file itself")
    return kind


def _osm_file(path: Path):
    name = path.name.lower()
    if name.endswith(".xml"):
        return osmium.io.File(str(path), "osm")
    if name.endswith(".xml.gz"):
        return osmium.io.File(str(path), "osm.gz")
    if name.endswith(".xml.bz2"):
        return osmium.io.File(str(path), "osm.bz2")
    return osmium.io.File(str(path))


def _corrupt(path: Path, exc: BaseException) -> NetworkError:
    return NetworkError(
        f"cannot read the OpenStreetMap data ({exc})",
        file=path,
        hint="the file is truncated, compressed differently from its name, or not OSM data; "
        "export or download it again",
    )


@dataclass
class RawWays:
    """Edges read from a file, as OSM node ids (before numbering and components).

    ``drive_*`` lists hold one entry per directed drive arc (a two-way way gives both
    directions), ``walk_*`` one entry per undirected walk edge; ``*_way`` is the OSM way id,
    ``*_class`` the ``highway`` value, ``drive_maxspeed`` the raw ``maxspeed`` tag (``""`` when
    untagged).  ``coords`` maps every node id used to (lon, lat) in WGS-84 degrees;
    ``way_names`` maps a drive way's id to its ``name`` (else ``name:zh``, ``ref``) when it
    has one; ``missing_refs`` counts way node references absent from a clipped extract.
    """

    drive_u: list[int] = field(default_factory=list)
    drive_v: list[int] = field(default_factory=list)
    drive_way: list[int] = field(default_factory=list)
    drive_class: list[str] = field(default_factory=list)
    drive_maxspeed: list[str] = field(default_factory=list)
    walk_u: list[int] = field(default_factory=list)
    walk_v: list[int] = field(default_factory=list)
    walk_way: list[int] = field(default_factory=list)
    walk_class: list[str] = field(default_factory=list)
    coords: dict[int, tuple[float, float]] = field(default_factory=dict)
    way_names: dict[int, str] = field(default_factory=dict)
    missing_refs: int = 0


def read_osm_ways(path: Path) -> RawWays:
    """The drive and walk edges of an OSM file under the tag rules of this module.

    Ways are split at node references missing from the file (clipped extracts); edges from a
    node to itself are dropped.  Raises :class:`NetworkError` when pyosmium cannot read the file.
    """
    raw = RawWays()
    try:
        fp = (
            osmium.FileProcessor(_osm_file(path), osmium.osm.NODE | osmium.osm.WAY)
            .with_locations()
            .with_filter(EntityFilter(osmium.osm.WAY))
            .with_filter(KeyFilter("highway"))
        )
        for way in fp:
            tags = {t.k: t.v for t in way.tags}
            highway = tags.get("highway", "")
            direction = _drive_direction(tags, highway)
            walkable = _walkable(tags, highway)
            if direction is None and not walkable:
                continue
            runs = _located_runs(way, raw)
            maxspeed = tags.get("maxspeed", "")
            label = tags.get("name") or tags.get("name:zh") or tags.get("ref") or ""
            if label and direction is not None:
                raw.way_names[int(way.id)] = label
            _add_way_edges(raw, int(way.id), runs, direction, walkable, highway, maxspeed)
    except (RuntimeError, ValueError, OSError, KeyError) as exc:
        raise _corrupt(path, exc) from exc
    if raw.missing_refs:
        logger.info("%s: %d way node references missing from the file (clipped extract); ways split there",
                    path.name, raw.missing_refs)
    return raw



def _located_runs(way, raw: RawWays) -> list[list[int]]:
    """The runs of consecutive nodes of ``way`` whose location is known (split at missing
    nodes); their coordinates go into ``raw.coords``, the missing ones are counted."""
    runs: list[list[int]] = [[]]
    for n in way.nodes:
        if n.location.valid():
            ref = int(n.ref)
            raw.coords[ref] = (float(n.location.lon), float(n.location.lat))
            runs[-1].append(ref)
        else:
            raw.missing_refs += 1
            if runs[-1]:
                runs.append([])
    return runs


def _add_way_edges(raw: RawWays, way_id: int, runs: list[list[int]], direction: int | None, walkable: bool,
                   highway: str, maxspeed: str) -> None:
    """Append the drive arcs (in ``direction``; none when None) and walk edges of the runs of
    one way, skipping edges from a node to itself."""
    for run in runs:
        for a, b in zip(run[:-1], run[1:]):
            if a == b:
                continue
            if direction is not None:
                arcs = [(a, b)] if direction > 0 else [(b, a)] if direction < 0 else [(a, b), (b, a)]
                for tail, head in arcs:
                    raw.drive_u.append(tail)
                    raw.drive_v.append(head)
                    raw.drive_way.append(way_id)
                    raw.drive_class.append(highway)
                    raw.drive_maxspeed.append(maxspeed)
            if walkable:
                raw.walk_u.append(a)
                raw.walk_v.append(b)
                raw.walk_way.append(way_id)
                raw.walk_class.append(highway)



#: Straight road stretches longer than this are cut into equal pieces (metres); see :func:`densify`.
MAX_ARC_M = 120.0


def densify(raw: RawWays, max_arc_m: float | None = MAX_ARC_M) -> RawWays:
    """The edges with every straight stretch longer than ``max_arc_m`` cut into equal pieces.

    A patrol car can stop anywhere along a road, but the planner places cars, posts and gates at
    graph nodes; a map that draws a 400 m block as one straight segment would leave a gate at its
    middle 200 m from the nearest place a car can stand. Each such segment gets evenly spaced
    nodes on its straight line (new ids above the file's largest, the same way, class and tags),
    shared by both directions of a two-way road and by its walk edge. ``None`` or 0 keeps the
    edges as drawn. Deterministic: new ids follow the edges' order in the file.
    """
    if not max_arc_m or not raw.coords:
        return raw
    coords = dict(raw.coords)
    next_id = max(coords) + 1
    inserted: dict[tuple[int, int, int], list[int]] = {}

    def chains(us: list[int], vs: list[int], ways: list[int]) -> list[list[int]]:
        nonlocal next_id
        if not us:
            return []
        a_xy = np.array([coords[a] for a in us], dtype=np.float64)
        b_xy = np.array([coords[b] for b in vs], dtype=np.float64)
        pieces = np.ceil(haversine_m(a_xy[:, 0], a_xy[:, 1], b_xy[:, 0], b_xy[:, 1]) / max_arc_m).astype(np.int64)
        out = []
        for a, b, way, k in zip(us, vs, ways, pieces.tolist()):
            if k <= 1:
                out.append([a, b])
                continue
            low, high = min(a, b), max(a, b)
            key = (low, high, way)
            if key not in inserted:
                (x0, y0), (x1, y1) = coords[low], coords[high]
                ids = list(range(next_id, next_id + k - 1))
                next_id += k - 1
                for j, node in enumerate(ids, start=1):
                    coords[node] = (x0 + (x1 - x0) * j / k, y0 + (y1 - y0) * j / k)
                inserted[key] = ids
            middle = inserted[key] if a == low else inserted[key][::-1]
            out.append([a, *middle, b])
        return out

    out = RawWays(coords=coords, way_names=dict(raw.way_names), missing_refs=raw.missing_refs)
    for chain, way, cls, speed in zip(chains(raw.drive_u, raw.drive_v, raw.drive_way), raw.drive_way,
                                      raw.drive_class, raw.drive_maxspeed):
        for tail, head in zip(chain[:-1], chain[1:]):
            out.drive_u.append(tail)
            out.drive_v.append(head)
            out.drive_way.append(way)
            out.drive_class.append(cls)
            out.drive_maxspeed.append(speed)
    for chain, way, cls in zip(chains(raw.walk_u, raw.walk_v, raw.walk_way), raw.walk_way, raw.walk_class):
        for a, b in zip(chain[:-1], chain[1:]):
            out.walk_u.append(a)
            out.walk_v.append(b)
            out.walk_way.append(way)
            out.walk_class.append(cls)
    return out


# --------------------------------------------------------------------------------------------
# schools from OSM


def read_osm_schools(
    path: str | Path,
    *,
    amenities: Iterable[str] = ("school", "kindergarten"),
    buildings: Iterable[str] = (),
) -> list[dict[str, Any]]:
    """Schools mapped in an OSM file: nodes, ways and multipolygon relations.

    A feature is a school when its ``amenity`` is in ``amenities`` (schools and kindergartens).
    ``building=school`` alone is not enough by default: in Chinese extracts it tags toilets,
    canteens, warehouses and 配电室 on campuses (49 of the 67 features of the Nanjing Gulou
    extract); pass ``buildings=("school",)`` to take them too.  Returns dicts
    ``id`` (``"node/…"``, ``"way/…"``, ``"relation/…"``), ``name`` (``name``, else ``name:zh``,
    else ``""``), ``lon``, ``lat`` (WGS-84; the area centroid of a closed way or relation, the
    mean of the node locations otherwise) and ``tags`` (all tags), in file order: nodes, ways,
    relations.  Nodes missing from a clipped extract are skipped; a feature with no located
    node at all is left out.
    """
    path = Path(path)
    if network_file_kind(path) != "osm":
        raise NetworkError("schools can only be read from an OpenStreetMap file", file=path,
                           hint="give an .osm, .osm.gz, .osm.bz2 or .osm.pbf file")
    amen = set(amenities)
    builds = set(buildings)

    def is_school(tags: Mapping[str, str]) -> bool:
        return tags.get("amenity") in amen or tags.get("building") in builds

    try:
        relations = _school_relations(path, is_school)
        nodes, ways = _school_nodes_and_ways(path, is_school)
        member_pts = _member_points(path, {w for _, _, ms in relations for w in ms})
    except (RuntimeError, ValueError, OSError) as exc:
        raise _corrupt(path, exc) from exc
    rels = []
    for rid, tags, members in relations:
        centre = _centroid([member_pts[m] for m in members if member_pts.get(m)], True)
        if centre is not None:
            rels.append(_school(f"relation/{rid}", tags, *centre))
    out = nodes + ways + rels
    logger.info("%s: %d school features (%d nodes, %d ways, %d relations)", path.name, len(out), len(nodes),
                len(ways), len(rels))
    return out


def _school_relations(path: Path, is_school: Callable[[Mapping[str, str]], bool]
                      ) -> list[tuple[int, dict[str, str], list[int]]]:
    """The school relations of the file: id, tags and the ids of their outer member ways."""
    relations: list[tuple[int, dict[str, str], list[int]]] = []
    fp_rel = osmium.FileProcessor(_osm_file(path), osmium.osm.RELATION).with_filter(
        KeyFilter("amenity", "building"))
    for rel in fp_rel:
        tags = {t.k: t.v for t in rel.tags}
        if is_school(tags):
            members = [int(m.ref) for m in rel.members if m.type == "w" and m.role in ("outer", "")]
            relations.append((int(rel.id), tags, members))
    return relations


def _school_nodes_and_ways(path: Path, is_school: Callable[[Mapping[str, str]], bool]
                           ) -> tuple[list[dict[str, Any]], list[dict[str, Any]]]:
    """The school nodes and ways of the file with a located node, as :func:`_school` dicts."""
    nodes: list[dict[str, Any]] = []
    ways: list[dict[str, Any]] = []
    fp = (osmium.FileProcessor(_osm_file(path), osmium.osm.NODE | osmium.osm.WAY)
          .with_locations().with_filter(KeyFilter("amenity", "building")))
    for obj in fp:
        tags = {t.k: t.v for t in obj.tags}
        if not is_school(tags):
            continue
        if obj.is_node():
            if obj.location.valid():
                nodes.append(_school(f"node/{obj.id}", tags, obj.location.lon, obj.location.lat))
        else:
            pts = [(n.location.lon, n.location.lat) for n in obj.nodes if n.location.valid()]
            closed = len(obj.nodes) >= 4 and obj.nodes[0].ref == obj.nodes[-1].ref
            centre = _centroid([pts], closed)
            if centre is not None:
                ways.append(_school(f"way/{obj.id}", tags, *centre))
    return nodes, ways


def _member_points(path: Path, member_ids: set[int]) -> dict[int, list[tuple[float, float]]]:
    """The located node coordinates of each way of ``member_ids``."""
    member_pts: dict[int, list[tuple[float, float]]] = {}
    if member_ids:
        fp_mem = (osmium.FileProcessor(_osm_file(path), osmium.osm.NODE | osmium.osm.WAY)
                  .with_locations().with_filter(EntityFilter(osmium.osm.WAY))
                  .with_filter(IdFilter(member_ids)))
        for w in fp_mem:
            member_pts[int(w.id)] = [(n.location.lon, n.location.lat) for n in w.nodes if n.location.valid()]
    return member_pts


def _school(osm_id: str, tags: dict[str, str], lon: float, lat: float) -> dict[str, Any]:
    return {"id": osm_id, "name": tags.get("name") or tags.get("name:zh") or "", "lon": float(lon),
            "lat": float(lat), "tags": tags}


def _centroid(parts: list[list[tuple[float, float]]], closed: bool) -> tuple[float, float] | None:
    pts = [p for part in parts for p in part]
    if not pts:
        return None
    if closed:
        lines = [LineString(part) for part in parts if len(part) >= 2]
        if lines:
            polys = shapely.get_parts(shapely.polygonize(shapely.get_parts(MultiLineString(lines))))
            area = sum(p.area for p in polys)
            if len(polys) and area > 0:
                c = shapely.union_all(polys).centroid
                return float(c.x), float(c.y)
    arr = np.asarray(pts, dtype=np.float64)
    return float(arr[:, 0].mean()), float(arr[:, 1].mean())
