"""Tests of geo_patrol.datum (WGS-84 / GCJ-02 / BD-09)."""

from __future__ import annotations

import logging

import numpy as np
import pandas as pd
import pytest
from conftest import require_shared_data

from geo_patrol.datum import DATUMS, convert, from_wgs84, normalise_datum, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.geo import haversine_m as distance_m

TIANANMEN_WGS = (116.391305, 39.907380)


@pytest.fixture(scope="module")
def wuhan() -> pd.DataFrame:
    df = pd.read_csv(require_shared_data("schools", "wuhan_amap_school_poi.csv"), encoding="utf-8-sig")
    assert len(df) == 7375
    return df


# --- datum names ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("WGS-84", "wgs84"), ("wgs", "wgs84"), ("wgs84", "wgs84"), ("EPSG:4326", "wgs84"),
        ("GCJ-02", "gcj02"), ("gcj", "gcj02"), ("Amap", "gcj02"), ("tencent", "gcj02"),
        ("火星", "gcj02"), ("国测局", "gcj02"), ("高德", "gcj02"), (" gcj_02 ", "gcj02"),
        ("BD-09", "bd09"), ("bd09", "bd09"), ("Baidu", "bd09"), ("百度", "bd09"),
    ],
)
def test_normalise_datum_accepts_aliases(name, expected):
    assert normalise_datum(name) == expected
    assert expected in DATUMS


@pytest.mark.parametrize("name", ["utm", "bd09mc", "", "cgcs2000", None, 4326])
def test_unknown_datum_raises_input_error_with_hint(name):
    expected = r"unknown coordinate datum .*use one of wgs84, gcj02, bd09"
    with pytest.raises(InputError, match=expected):
        normalise_datum(name)
    with pytest.raises(InputError, match="unknown coordinate datum"):
        to_wgs84(114.3, 30.6, name)
    with pytest.raises(ValueError, match="accepted names"):
        from_wgs84(114.3, 30.6, name)


# --- forward transform ---------------------------------------------------------------------


def test_tiananmen_forward_matches_published_value_and_offset_band():
    gx, gy = from_wgs84(*TIANANMEN_WGS, "gcj02")
    # Commonly published GCJ-02 of this point: 116.397548, 39.908722 (rounded, within ~7 m).
    assert distance_m(gx, gy, 116.397548, 39.908722) < 10.0
    # Value of the published formula, computed once and kept as a regression value.
    assert gx == pytest.approx(116.3975462, abs=1e-7)
    assert gy == pytest.approx(39.9087813, abs=1e-7)
    assert 100.0 < distance_m(gx, gy, *TIANANMEN_WGS) < 700.0
    bx, by = from_wgs84(*TIANANMEN_WGS, "bd09")
    assert 100.0 < distance_m(bx, by, gx, gy) < 1500.0


def test_forward_agrees_with_one_step_inverse_of_dataset(wuhan):
    # The dataset authors made XWGS/YWGS with the one-step inverse w = g - (f(g) - g).
    # Reproducing their numbers checks our forward formula against an independent source.
    gx, gy = wuhan["XGCJ"].to_numpy(), wuhan["YGCJ"].to_numpy()
    fx, fy = from_wgs84(gx, gy, "gcj02")
    err = distance_m(2 * gx - fx, 2 * gy - fy, wuhan["XWGS"].to_numpy(), wuhan["YWGS"].to_numpy())
    assert np.median(err) < 0.01
    offset = distance_m(gx, gy, *to_wgs84(gx, gy, "gcj02"))
    assert offset.min() > 100.0 and offset.max() < 700.0


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
@pytest.mark.parametrize(
    "point", [(-0.1276, 51.5072), (139.6917, 35.6895), (-74.006, 40.7128), (151.2, -33.9)]
)
def test_points_outside_china_unchanged_by_gcj02(datum, point):
    gx, gy = from_wgs84(*point, "gcj02")
    assert (gx, gy) == point
    wx, wy = to_wgs84(*from_wgs84(*point, datum), datum)
    assert distance_m(wx, wy, *point) < 1e-3


# --- exact inverse on real data ------------------------------------------------------------


def test_gcj02_inverse_round_trip_and_comparison_with_dataset(wuhan):
    gx, gy = wuhan["XGCJ"].to_numpy(), wuhan["YGCJ"].to_numpy()
    wx, wy = to_wgs84(gx, gy, "gcj02")
    assert wx.shape == gx.shape and wx.dtype == np.float64
    back = from_wgs84(wx, wy, "gcj02")
    round_trip_m = distance_m(*back, gx, gy)
    assert round_trip_m.max() < 0.01
    vs_dataset_m = distance_m(wx, wy, wuhan["XWGS"].to_numpy(), wuhan["YWGS"].to_numpy())
    p99 = np.percentile(vs_dataset_m, 99)
    assert 1.5 < p99 < 4.0
    assert vs_dataset_m.max() < 10.0


def test_bd09_inverse_round_trip(wuhan):
    gx, gy = wuhan["XGCJ"].to_numpy(), wuhan["YGCJ"].to_numpy()
    bx, by = convert(gx, gy, "gcj02", "bd09")
    assert distance_m(bx, by, gx, gy).min() > 100.0  # BD-09 really moved the points
    w_bd = to_wgs84(bx, by, "bd09")
    w_gcj = to_wgs84(gx, gy, "gcj02")
    assert distance_m(*w_bd, *w_gcj).max() < 0.01
    assert distance_m(*from_wgs84(*w_bd, "baidu"), bx, by).max() < 0.01
    back = convert(bx, by, "bd09", "gcj02")
    assert distance_m(*back, gx, gy).max() < 0.01


# --- shapes, scalars, NaN ------------------------------------------------------------------


@pytest.mark.parametrize("datum", DATUMS)
def test_scalars_return_floats(datum):
    out = to_wgs84(114.3, 30.6, datum)
    assert all(type(v) is float for v in out)
    assert all(type(v) is float for v in from_wgs84(np.float64(114.3), 30.6, datum))


@pytest.mark.parametrize("datum", DATUMS)
def test_array_shapes_and_empty(datum):
    lon = np.array([114.30, 114.31, 114.32])
    x, y = to_wgs84(lon, 30.6, datum)  # a scalar broadcasts against the array
    assert x.shape == y.shape == (3,)
    x2, y2 = to_wgs84([[114.30, 114.31]], [[30.6, 30.7]], datum)
    assert x2.shape == (1, 2)
    ex, ey = to_wgs84(np.empty(0), np.empty(0), datum)
    assert ex.shape == ey.shape == (0,) and ex.dtype == np.float64
    fx, fy = from_wgs84(np.empty(0), np.empty(0), datum)
    assert fx.shape == (0,)


def test_wgs84_is_an_identity_copy():
    lon, lat = np.array([114.3, 114.4]), np.array([30.6, 30.7])
    x, y = to_wgs84(lon, lat, "WGS-84")
    assert np.array_equal(x, lon) and np.array_equal(y, lat)
    x[0] = 0.0
    assert lon[0] == 114.3


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_nan_passes_through(datum):
    lon, lat = np.array([114.3, np.nan, 114.5]), np.array([30.6, 30.6, np.nan])
    for fn in (to_wgs84, from_wgs84):
        x, y = fn(lon, lat, datum)
        assert np.isnan(x[1]) and np.isnan(y[2])
        assert np.isfinite(x[0]) and np.isfinite(y[0])
    x, y = to_wgs84(np.nan, np.nan, datum)
    assert np.isnan(x) and np.isnan(y)


def test_non_convergence_at_box_edge_is_logged(caplog):
    # GCJ-02 jumps at the box edge (lon 72.004), so some inputs just east of it have no preimage.
    lon = np.linspace(71.99, 72.02, 301)
    with caplog.at_level(logging.WARNING, logger="geo_patrol.datum"):
        x, _ = to_wgs84(lon, np.full_like(lon, 30.0), "gcj02", max_iter=20)
    assert np.isfinite(x).all()
    assert "did not converge" in caplog.text
