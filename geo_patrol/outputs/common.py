"""What every document of a plan shares: names of periods and kinds, status, road names, times.

The map, the workbook and the duty sheets read a plan through
:class:`geo_patrol.io.plandir.PlanFiles` and label it with these.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd
import shapely
from shapely.geometry import shape

from geo_patrol.clock import parse_time
from geo_patrol.errors import InputError
from geo_patrol.geo import LocalMetres
from geo_patrol.labels import PERIOD_NAMES
from geo_patrol.model import PERIODS

__all__ = ["KIND_LABELS", "PERIOD_NAMES", "RoadIndex", "hour_minute", "language", "minutes_between", "nearest_road",
           "period_order", "school_status"]

#: What a school kind is called in each output language (the input tables' own spellings of a kind
#: are :data:`geo_patrol.io.tables.KIND_NAMES`).
KIND_LABELS: Mapping[str, Mapping[str, str]] = {
    "zh": {"kindergarten": "幼儿园", "primary": "小学", "middle": "初中", "nine_year": "九年一贯制",
           "high": "高中", "special": "特殊教育"},
    "en": {"kindergarten": "kindergarten", "primary": "primary", "middle": "middle school",
           "nine_year": "nine-year school", "high": "high school", "special": "special education"},
}


def school_status(row: Mapping[str, Any]) -> str:
    """``met`` (all three sightings), ``partly`` (some) or ``missed`` (none) for a coverage row."""
    if bool(row["three_sightings"]):
        return "met"
    if bool(row["officer_seen"]) or bool(row["car_seen"]) or bool(row["lights_seen"]):
        return "partly"
    return "missed"


class RoadIndex:
    """The roads of a roads GeoJSON (LineString and MultiLineString features, in file order) with a
    spatial index: the named road nearest a point, and the roads meeting a box (for sketches)."""

    def __init__(self, roads: Mapping[str, Any] | None) -> None:
        self.geometries: list[Any] = []
        self.classes: list[str] = []
        self.names: list[str] = []
        for feature in (roads or {}).get("features", []):
            geometry = feature.get("geometry") or {}
            if geometry.get("type") not in ("LineString", "MultiLineString"):
                continue
            props = feature.get("properties") or {}
            highway = props.get("highway")
            highway = str(highway[0] if isinstance(highway, list) and highway else highway or "").split(";")[0]
            self.geometries.append(shape(geometry))
            self.classes.append(highway.strip().replace("_link", ""))
            self.names.append(str(props.get("name") or ""))
        self.tree = shapely.STRtree(self.geometries) if self.geometries else None

    def _hits(self, box: tuple[float, float, float, float]) -> list[int]:
        return [] if self.tree is None else sorted(int(i) for i in self.tree.query(shapely.box(*box)))

    def nearest(self, lon: float, lat: float, *, max_distance_m: float = 300.0) -> tuple[str, float] | None:
        """Name of the nearest named road and its distance in metres, or ``None`` beyond ``max_distance_m``.

        Distances are planar in a local equirectangular projection about ``lat`` (good to well under
        1 % over a district); of two roads at the same distance the first in the file wins.
        """
        local = LocalMetres.at_latitude(lat)
        scale = np.array([local.kx, local.ky])
        here = shapely.Point(lon * scale[0], lat * scale[1])
        pad_lon, pad_lat = max_distance_m / local.kx * 1.01, max_distance_m / local.ky * 1.01
        best: tuple[str, float] | None = None
        for i in self._hits((lon - pad_lon, lat - pad_lat, lon + pad_lon, lat + pad_lat)):
            if not self.names[i]:
                continue
            line = shapely.transform(self.geometries[i], lambda xy: xy * scale)
            distance_m = float(line.distance(here))
            if distance_m <= max_distance_m and (best is None or distance_m < best[1]):
                best = (self.names[i], distance_m)
        return best

    def within(self, box: tuple[float, float, float, float]) -> list[tuple[Any, str, str]]:
        """(geometry clipped to the lon/lat box, class, name) of the roads meeting it, in file order."""
        out = []
        for i in self._hits(box):
            clipped = shapely.clip_by_rect(self.geometries[i], *box)
            if not clipped.is_empty:
                out.append((clipped, self.classes[i], self.names[i]))
        return out


def nearest_road(roads: Mapping[str, Any] | None, lon: float, lat: float, *,
                 max_distance_m: float = 300.0) -> tuple[str, float] | None:
    """Name of the nearest named road in a roads GeoJSON and its distance in metres.

    Only LineString/MultiLineString features with a non-empty ``name`` count. Distances are
    planar in a local equirectangular projection about ``lat`` (good to well under 1 % over a
    district). ``None`` when there is no named road within ``max_distance_m``. For many points,
    build one :class:`RoadIndex` and ask it.
    """
    if not roads:
        return None
    return RoadIndex(roads).nearest(lon, lat, max_distance_m=max_distance_m)


def minutes_between(start: str, end: str) -> int:
    return (parse_time(end) - parse_time(start)) // 60


def hour_minute(text: str) -> str:
    return str(text)[:5]


def language(lang: str, table: Mapping[str, Any]) -> Any:
    if lang not in table:
        raise InputError(f"language '{lang}' is not available", field="lang",
                         hint="use " + " or ".join(f"'{k}'" for k in table))
    return table[lang]


def period_order(column: pd.Series) -> pd.Series:
    """Sort key for DataFrame.sort_values: periods in clock order, other columns as they are."""
    if column.name == "period":
        return column.map({p: i for i, p in enumerate(PERIODS)})
    return column
