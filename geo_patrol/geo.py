"""Distances and the local metric projection: the one place coordinates become metres.

Every stage that measures a straight-line distance or needs planar metres (nearest-node search,
candidate post sites, the "135" reach area, map arrows, the duty sheets' nearest road) goes
through this module, so the same point pair gives the same metres everywhere.

- :func:`haversine_m` — great-circle metres on a sphere of radius :data:`EARTH_RADIUS_M`.
- :class:`LocalMetres` — an equirectangular projection around a reference latitude, good to a
  fraction of a percent over a county or a city (tens of km), which is all the planner uses it
  for: radius queries in a k-d tree and buffering the reach area.
- :func:`unit_vectors` — points on the unit sphere, for nearest-neighbour search by chord length
  (monotone in great-circle distance, so valid anywhere on earth).

Coordinates are WGS-84 longitude/latitude in degrees.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

__all__ = ["EARTH_RADIUS_M", "M_PER_DEG_LAT", "M_PER_DEG_LON_EQUATOR", "LocalMetres", "haversine_m",
           "unit_vectors"]

#: Mean earth radius (IUGG), metres.
EARTH_RADIUS_M = 6_371_009.0

#: Metres per degree of latitude used by :class:`LocalMetres`: one degree of the same sphere as
#: :func:`haversine_m`, so planar and great-circle metres agree (to well under 0.1 % over a city).
M_PER_DEG_LAT = math.pi * EARTH_RADIUS_M / 180.0

#: Metres per degree of longitude at the equator used by :class:`LocalMetres` (× cos latitude).
M_PER_DEG_LON_EQUATOR = M_PER_DEG_LAT


def haversine_m(lon1: Any, lat1: Any, lon2: Any, lat2: Any) -> np.ndarray:
    """Great-circle distance in metres between points given in WGS-84 degrees (vectorised)."""
    lon1, lat1, lon2, lat2 = (np.radians(np.asarray(a, dtype=np.float64)) for a in (lon1, lat1, lon2, lat2))
    a = np.sin((lat2 - lat1) / 2.0) ** 2 + np.cos(lat1) * np.cos(lat2) * np.sin((lon2 - lon1) / 2.0) ** 2
    return 2.0 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


def unit_vectors(lon: Any, lat: Any) -> np.ndarray:
    """Points as ``(n, 3)`` unit vectors (x towards 0°E on the equator, z to the north pole)."""
    lon_r = np.radians(np.asarray(lon, dtype=np.float64))
    lat_r = np.radians(np.asarray(lat, dtype=np.float64))
    return np.column_stack([np.cos(lat_r) * np.cos(lon_r), np.cos(lat_r) * np.sin(lon_r), np.sin(lat_r)])


@dataclass(frozen=True)
class LocalMetres:
    """Planar metres around ``(lon0, lat0)``: ``x = (lon − lon0)·kx``, ``y = (lat − lat0)·ky``.

    ``kx = M_PER_DEG_LON_EQUATOR · cos(ref_lat)`` and ``ky = M_PER_DEG_LAT``; ``ref_lat`` is the
    latitude where the scale is true (``lat0`` unless given). Use :meth:`around` to centre it on
    a set of points, or :meth:`at_latitude` for uncentred metres (radius queries only need the
    scale).
    """

    lon0: float
    lat0: float
    ref_lat: float | None = None

    @classmethod
    def around(cls, lon: Any, lat: Any) -> LocalMetres:
        """The projection centred on the mean of the given points."""
        return cls(float(np.mean(lon)), float(np.mean(lat)))

    @classmethod
    def at_latitude(cls, lat: float) -> LocalMetres:
        """Metres from (0°, 0°) with the scale of latitude ``lat``."""
        return cls(0.0, 0.0, float(lat))

    @property
    def kx(self) -> float:
        lat = self.lat0 if self.ref_lat is None else self.ref_lat
        return M_PER_DEG_LON_EQUATOR * math.cos(math.radians(lat))

    @property
    def ky(self) -> float:
        return M_PER_DEG_LAT

    def xy(self, lon: Any, lat: Any) -> np.ndarray:
        """``(n, 2)`` metres east and north of the centre."""
        lon = np.asarray(lon, dtype=np.float64)
        lat = np.asarray(lat, dtype=np.float64)
        return np.column_stack([(lon - self.lon0) * self.kx, (lat - self.lat0) * self.ky])

    def lonlat_affine(self) -> list[float]:
        """The shapely ``affine_transform`` matrix that takes ``xy`` back to lon/lat."""
        return [1.0 / self.kx, 0.0, 0.0, 1.0 / self.ky, self.lon0, self.lat0]
