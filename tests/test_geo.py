"""Tests of geo_patrol.geo: great-circle metres and the local metric projection."""

from __future__ import annotations

import math

import numpy as np
import pytest
from shapely import affinity
from shapely.geometry import MultiPoint

from geo_patrol.geo import (
    EARTH_RADIUS_M,
    M_PER_DEG_LAT,
    M_PER_DEG_LON_EQUATOR,
    LocalMetres,
    haversine_m,
    unit_vectors,
)


def test_earth_radius_is_the_iugg_mean_radius():
    assert EARTH_RADIUS_M == 6_371_009.0


def test_haversine_along_the_equator_and_a_meridian():
    one_degree_m = EARTH_RADIUS_M * math.pi / 180  # 111,195.08 m
    assert haversine_m(0.0, 0.0, 1.0, 0.0) == pytest.approx(one_degree_m, rel=1e-12)
    assert haversine_m(114.3, 30.0, 114.3, 31.0) == pytest.approx(one_degree_m, rel=1e-12)
    assert haversine_m(0.0, 0.0, 0.0, 90.0) == pytest.approx(EARTH_RADIUS_M * math.pi / 2, rel=1e-12)
    assert haversine_m(0.0, 0.0, 180.0, 0.0) == pytest.approx(EARTH_RADIUS_M * math.pi, rel=1e-12)
    assert haversine_m(114.3, 30.5, 114.3, 30.5) == 0.0


def test_haversine_against_a_published_distance():
    # Nashville (BNA) to Los Angeles (LAX): 2887.2599506071106 km on a sphere of 6372.8 km
    # (the Rosetta Code haversine task); the distance scales with the radius.
    published_m = 2_887_259.9506071106 * EARTH_RADIUS_M / 6_372_800.0
    assert haversine_m(-86.67, 36.12, -118.40, 33.94) == pytest.approx(published_m, rel=1e-12)
    assert haversine_m(-118.40, 33.94, -86.67, 36.12) == pytest.approx(published_m, rel=1e-12)


def test_haversine_is_vectorised_and_broadcasts():
    lon = np.array([114.30, 114.31, 114.32])
    out = haversine_m(114.30, 30.5, lon, 30.5)
    assert out.shape == (3,) and out[0] == 0.0
    assert out[2] == pytest.approx(2 * out[1], rel=1e-6)
    assert haversine_m([[0.0, 0.0]], [[0.0, 0.0]], [[1.0, 0.0]], [[0.0, 1.0]]).shape == (1, 2)


def test_local_metres_scales_and_centre():
    local = LocalMetres(114.3, 30.5)
    assert local.kx == pytest.approx(M_PER_DEG_LON_EQUATOR * math.cos(math.radians(30.5)), rel=1e-15)
    assert local.ky == M_PER_DEG_LAT
    xy = local.xy([114.3, 114.31, 114.3], [30.5, 30.5, 30.51])
    assert xy[0].tolist() == [0.0, 0.0]
    assert xy[1] == pytest.approx([0.01 * local.kx, 0.0], abs=1e-9)
    assert xy[2] == pytest.approx([0.0, 0.01 * M_PER_DEG_LAT], abs=1e-9)
    around = LocalMetres.around([114.30, 114.32], [30.50, 30.52])
    assert (around.lon0, around.lat0) == pytest.approx((114.31, 30.51), abs=1e-12)
    assert around.xy(114.31, 30.51)[0] == pytest.approx([0.0, 0.0], abs=1e-6)


def test_local_metres_at_a_latitude_measures_from_the_origin_with_that_scale():
    local = LocalMetres.at_latitude(30.5)
    assert (local.lon0, local.lat0, local.ref_lat) == (0.0, 0.0, 30.5)
    assert local.kx == LocalMetres(114.3, 30.5).kx
    x, y = local.xy(114.3, 30.5)[0]
    assert x == pytest.approx(114.3 * local.kx, rel=1e-12) and y == pytest.approx(30.5 * M_PER_DEG_LAT, rel=1e-12)


def test_local_metres_round_trip_through_the_affine_matrix():
    lon = np.array([114.2917, 114.3, 114.3125, 114.35])
    lat = np.array([30.4803, 30.5, 30.5311, 30.55])
    local = LocalMetres.around(lon, lat)
    points = MultiPoint([tuple(p) for p in local.xy(lon, lat)])
    back = np.array([(p.x, p.y) for p in affinity.affine_transform(points, local.lonlat_affine()).geoms])
    np.testing.assert_allclose(back[:, 0], lon, rtol=0, atol=1e-12)
    np.testing.assert_allclose(back[:, 1], lat, rtol=0, atol=1e-12)


def test_local_metres_agree_with_the_great_circle_over_a_county():
    # "good to a fraction of a percent over a county": within 20 km of the centre the planar
    # metres stay within 0.2 % of the great circle (both use one degree of the same sphere)
    local = LocalMetres(114.3, 30.5)
    for dlon, dlat in [(0.2, 0.0), (0.0, 0.18), (0.15, 0.12), (-0.1, 0.05)]:
        x, y = local.xy(114.3 + dlon, 30.5 + dlat)[0]
        great_circle = float(haversine_m(114.3, 30.5, 114.3 + dlon, 30.5 + dlat))
        assert math.hypot(x, y) == pytest.approx(great_circle, rel=0.002)


def test_unit_vectors_lie_on_the_unit_sphere():
    v = unit_vectors([0.0, 90.0, 0.0, 114.3], [0.0, 0.0, 90.0, 30.5])
    assert v.shape == (4, 3)
    np.testing.assert_allclose(v[:3], [[1, 0, 0], [0, 1, 0], [0, 0, 1]], atol=1e-15)
    np.testing.assert_allclose(np.linalg.norm(v, axis=1), 1.0, rtol=1e-15)
    # the chord between two points is 2 sin(d / 2R) for their great-circle distance d
    d = float(haversine_m(0.0, 0.0, 114.3, 30.5))
    assert np.linalg.norm(v[3] - v[0]) == pytest.approx(2 * math.sin(d / (2 * EARTH_RADIUS_M)), rel=1e-12)
