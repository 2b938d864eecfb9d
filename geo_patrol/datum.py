"""Coordinate datums of Chinese web maps: WGS-84, GCJ-02 and BD-09.

OpenStreetMap and GPS use **WGS-84**. Chinese web maps publish coordinates in one of two
obfuscated datums, offset from WGS-84 by roughly 100–700 m inside mainland China:

* **GCJ-02** ("火星坐标", 国测局) — Amap/Gaode, Tencent. Model: the published GCJ-02 formulas,
  a polynomial-plus-sine offset in (lon − 105°, lat − 35°) scaled to degrees on the Krasovsky
  ellipsoid (a = 6378245.0 m, e² = 0.00669342162296594323).
* **BD-09** — Baidu (``bd09ll``, degrees; not the ``bd09mc`` Mercator metres). Model: GCJ-02
  followed by a small rotation and scaling about the origin, with x_pi = π·3000/180, plus a
  (0.0065°, 0.006°) shift.

Outside mainland China GCJ-02 equals WGS-84. "Mainland China" is the usual rough bounding box
72.004° ≤ lon ≤ 137.8347°, 0.8293° ≤ lat ≤ 55.8271° (it includes e.g. Hong Kong, Taiwan and parts
of neighbouring countries; that is what the web maps themselves do). BD-09 is applied everywhere.

:func:`from_wgs84` is the closed-form forward transform. :func:`to_wgs84` inverts it exactly by
fixed-point iteration ``w ← w − (forward(w) − target)`` until ``forward(w)`` reproduces the input
within ``tol_deg`` (default 1e-9°, about 0.1 mm) for every point; the common one-step inverse is
off by up to about 3 m.

All functions take longitude and latitude in decimal degrees, as scalars or anything NumPy can
broadcast together. If both inputs are scalars (Python or 0-d), the result is a pair of Python
floats; otherwise it is a pair of new float64 arrays of the broadcast shape. NaN passes through as
NaN.
"""

from __future__ import annotations

import logging
import math

import numpy as np

from geo_patrol.errors import InputError

__all__ = ["DATUMS", "normalise_datum", "from_wgs84", "to_wgs84", "convert"]

log = logging.getLogger(__name__)

DATUMS = ("wgs84", "gcj02", "bd09")

_A_M = 6378245.0  # Krasovsky 1940 semi-major axis, metres
_EE = 0.00669342162296594323  # Krasovsky 1940 first eccentricity squared
_X_PI = math.pi * 3000.0 / 180.0
_BD_DLON, _BD_DLAT = 0.0065, 0.006
_CHINA_LON = (72.004, 137.8347)
_CHINA_LAT = (0.8293, 55.8271)

_ALIASES = {
    "wgs84": ("wgs84", "wgs", "epsg4326", "4326", "gps", "osm", "openstreetmap"),
    "gcj02": ("gcj02", "gcj", "amap", "gaode", "autonavi", "高德", "tencent", "qq", "腾讯",
              "火星", "火星坐标", "火星坐标系", "国测局", "国测局坐标", "国测局坐标系"),
    "bd09": ("bd09", "bd09ll", "bd", "baidu", "百度", "百度坐标", "百度坐标系"),
}
_LOOKUP = {alias: datum for datum, aliases in _ALIASES.items() for alias in aliases}


def normalise_datum(name: str) -> str:
    """Return the canonical datum name (one of :data:`DATUMS`) for ``name``.

    Case, spaces, hyphens and underscores are ignored ("WGS-84", "GCJ_02", "BD 09"); aliases
    such as "amap", "tencent", "火星", "国测局", "baidu" and "百度" are accepted.
    Raises :class:`InputError` for anything else.
    """
    key = name.strip().lower() if isinstance(name, str) else None
    if key is not None:
        for ch in " -_:":
            key = key.replace(ch, "")
    if key not in _LOOKUP:
        accepted = "; ".join(f"{d}: {', '.join(a)}" for d, a in _ALIASES.items())
        raise InputError(
            f"unknown coordinate datum {name!r}",
            field="datum",
            hint=f"use one of {', '.join(DATUMS)} (accepted names — {accepted})",
        )
    return _LOOKUP[key]


def _as_arrays(lon, lat) -> tuple[np.ndarray, np.ndarray, bool]:
    """Broadcast ``lon``, ``lat`` to new float64 arrays; also say whether both were scalars."""
    scalar = np.ndim(lon) == 0 and np.ndim(lat) == 0
    x, y = np.broadcast_arrays(np.asarray(lon, np.float64), np.asarray(lat, np.float64))
    return x.copy(), y.copy(), scalar


def _out(x: np.ndarray, y: np.ndarray, scalar: bool):
    return (float(x), float(y)) if scalar else (x, y)


def _in_china(lon: np.ndarray, lat: np.ndarray) -> np.ndarray:
    return (
        (lon >= _CHINA_LON[0]) & (lon <= _CHINA_LON[1])
        & (lat >= _CHINA_LAT[0]) & (lat <= _CHINA_LAT[1])
    )


def _wgs_to_gcj(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Published GCJ-02 forward formulas; identity outside the China bounding box."""
    x, y = lon - 105.0, lat - 35.0
    sx, px, py = np.sqrt(np.abs(x)), x * math.pi, y * math.pi
    common = (20.0 * np.sin(6.0 * px) + 20.0 * np.sin(2.0 * px)) * 2.0 / 3.0
    dlat = (-100.0 + 2.0 * x + 3.0 * y + 0.2 * y * y + 0.1 * x * y + 0.2 * sx + common
            + (20.0 * np.sin(py) + 40.0 * np.sin(py / 3.0)) * 2.0 / 3.0
            + (160.0 * np.sin(py / 12.0) + 320.0 * np.sin(py / 30.0)) * 2.0 / 3.0)
    dlon = (300.0 + x + 2.0 * y + 0.1 * x * x + 0.1 * x * y + 0.1 * sx + common
            + (20.0 * np.sin(px) + 40.0 * np.sin(px / 3.0)) * 2.0 / 3.0
            + (150.0 * np.sin(px / 12.0) + 300.0 * np.sin(px / 30.0)) * 2.0 / 3.0)
    rad_lat = np.radians(lat)
    magic = 1.0 - _EE * np.sin(rad_lat) ** 2
    sqrt_magic = np.sqrt(magic)
    dlat = dlat * 180.0 / (_A_M * (1.0 - _EE) / (magic * sqrt_magic) * math.pi)
    dlon = dlon * 180.0 / (_A_M / sqrt_magic * np.cos(rad_lat) * math.pi)
    inside = _in_china(lon, lat)
    return np.where(inside, lon + dlon, lon), np.where(inside, lat + dlat, lat)


def _gcj_to_bd(lon: np.ndarray, lat: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Published BD-09 forward formula from GCJ-02."""
    z = np.hypot(lon, lat) + 0.00002 * np.sin(lat * _X_PI)
    theta = np.arctan2(lat, lon) + 0.000003 * np.cos(lon * _X_PI)
    return z * np.cos(theta) + _BD_DLON, z * np.sin(theta) + _BD_DLAT


def _forward(lon: np.ndarray, lat: np.ndarray, datum: str) -> tuple[np.ndarray, np.ndarray]:
    if datum == "wgs84":
        return lon.copy(), lat.copy()
    gx, gy = _wgs_to_gcj(lon, lat)
    return (gx, gy) if datum == "gcj02" else _gcj_to_bd(gx, gy)


def from_wgs84(lon, lat, datum: str):
    """Transform WGS-84 longitude/latitude (degrees) into ``datum`` (degrees).

    GCJ-02 leaves points outside the China bounding box unchanged; BD-09 = GCJ-02 then the
    Baidu shift. ``datum`` may be any name :func:`normalise_datum` accepts.
    """
    d = normalise_datum(datum)
    x, y, scalar = _as_arrays(lon, lat)
    return _out(*_forward(x, y, d), scalar)


def to_wgs84(lon, lat, datum: str, *, tol_deg: float = 1e-9, max_iter: int = 50):
    """Transform longitude/latitude (degrees) given in ``datum`` back to WGS-84 (degrees).

    Exact inverse of :func:`from_wgs84`: starting from the input, iterate
    ``w ← w − (from_wgs84(w) − input)`` for each point until both components of
    ``from_wgs84(w) − input`` are within ``tol_deg`` degrees, or ``max_iter`` rounds have run
    (then a warning is logged with the number of unconverged points; this can only happen
    right at the edge of the China bounding box, where GCJ-02 jumps). WGS-84 input is copied.
    """
    d = normalise_datum(datum)
    tx, ty, scalar = _as_arrays(lon, lat)
    wx, wy = tx.copy(), ty.copy()
    if d == "wgs84":
        return _out(wx, wy, scalar)
    todo = np.flatnonzero(np.isfinite(tx) & np.isfinite(ty))
    fx, fy, gx, gy = (a.reshape(-1) for a in (wx, wy, tx, ty))  # flat views
    for _ in range(max_iter):
        if todo.size == 0:
            break
        ex, ey = _forward(fx[todo], fy[todo], d)
        rx, ry = ex - gx[todo], ey - gy[todo]
        busy = (np.abs(rx) > tol_deg) | (np.abs(ry) > tol_deg)
        todo, rx, ry = todo[busy], rx[busy], ry[busy]
        fx[todo] -= rx
        fy[todo] -= ry
    if todo.size:
        ex, ey = _forward(fx[todo], fy[todo], d)
        bad = (np.abs(ex - gx[todo]) > tol_deg) | (np.abs(ey - gy[todo]) > tol_deg)
        if bad.any():
            log.warning("%s→WGS-84: %d point(s) did not converge to %g° in %d rounds",
                        d, int(bad.sum()), tol_deg, max_iter)
    return _out(wx, wy, scalar)


def convert(lon, lat, src: str, dst: str):
    """Transform longitude/latitude (degrees) from datum ``src`` to datum ``dst`` via WGS-84."""
    d_src, d_dst = normalise_datum(src), normalise_datum(dst)
    if d_src == d_dst:
        x, y, scalar = _as_arrays(lon, lat)
        return _out(x, y, scalar)
    return from_wgs84(*to_wgs84(lon, lat, d_src), d_dst)
