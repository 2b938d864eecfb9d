"""Tests of geo_patrol.traveltime: exact values against networkx, cutoff, cache, walking."""

from __future__ import annotations

import math

import networkx as nx
import numpy as np
import pytest
import scipy.sparse as sp
from test_network import NODES, hav, nanjing_osm, osm_xml

import geo_patrol.traveltime as traveltime
from geo_patrol.errors import InputError
from geo_patrol.geo import EARTH_RADIUS_M
from geo_patrol.network import load_network, snap
from geo_patrol.traveltime import TravelTimes, travel_times, walk_distances

needs_numba = pytest.mark.skipif(not traveltime.numba_available(), reason="numba is not installed")


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    path = tmp_path_factory.mktemp("tiny_tt") / "tiny.osm"
    path.write_text(osm_xml(), encoding="utf-8")
    return load_network(path)


def nx_times(net, weight_of_edge) -> dict[int, dict[int, float]]:
    """All-pairs fastest times with networkx on a DiGraph keeping the fastest parallel edge."""
    g = nx.DiGraph()
    for a, b, d in net.drive_graph.edges(data=True):
        w = weight_of_edge(d)
        if not g.has_edge(a, b) or g.edges[a, b]["w"] > w:
            g.add_edge(a, b, w=w)
    return {a: nx.single_source_dijkstra_path_length(g, a, weight="w") for a in g.nodes}


def all_rows(net) -> dict[int, int]:
    return {int(i): r for i, r in net.node_index.items()}


def test_free_flow_matches_networkx_exactly(tiny):
    pts = all_rows(tiny)
    tt = travel_times(tiny, pts, pts)
    ref = nx_times(tiny, lambda d: d["travel_time_s"])
    assert tt.seconds.shape == (9, 9)
    for o in pts:
        for d in pts:
            assert tt.get(o, d) == pytest.approx(ref[o][d], rel=1e-12, abs=1e-12)
    assert np.all(np.diag(tt.seconds) == 0)
    # a hand-computed value: 1 → 3 along the primary (maxspeed 60) is (L12 + L23) / (60 / 3.6)
    assert tt.get(1, 3) == pytest.approx((hav(1, 2) + hav(2, 3)) / (60 / 3.6), rel=1e-9)
    # 3 → 4 is one-way; 4 → 3 must go round (4 → 5 → 2 → 3)
    assert tt.get(4, 3) > tt.get(3, 4)
    assert tt.get(4, 3) == pytest.approx(
        hav(4, 5) / (25 / 3.6) + hav(5, 2) / (30 * 1.609344 / 3.6) + hav(2, 3) / (60 / 3.6), rel=1e-9
    )


def test_period_factor_mapping_matches_networkx(tiny):
    factor = {"primary": 2.0, "motorway": 1.1, "default": 1.3}
    pts = all_rows(tiny)
    tt = travel_times(tiny, pts, pts, period_factor=factor)

    def weight(d):
        hw = d["highway"]
        f = factor.get(hw, factor.get(hw.removesuffix("_link"), factor["default"]))
        return d["travel_time_s"] * f

    ref = nx_times(tiny, weight)
    for o in pts:
        for d in pts:
            assert tt.get(o, d) == pytest.approx(ref[o][d], rel=1e-12, abs=1e-12)
    flat = travel_times(tiny, pts, pts, period_factor=1.5)
    assert np.allclose(flat.seconds, travel_times(tiny, pts, pts).seconds * 1.5, rtol=1e-12)


def test_transposed_search_gives_the_same_times(tiny):
    pts = all_rows(tiny)
    few = {"gate_a": pts[4], "gate_b": pts[12]}
    many_to_few = travel_times(tiny, pts, few)  # 9 origins, 2 destinations: transposed search
    few_to_many = travel_times(tiny, pts, pts)
    for o in pts:
        # same paths, summed in the other order: equal to the last bits
        assert many_to_few.get(o, "gate_a") == pytest.approx(few_to_many.get(o, 4), rel=1e-13)
        assert many_to_few.get(o, "gate_b") == pytest.approx(few_to_many.get(o, 12), rel=1e-13)
    ref = nx_times(tiny, lambda d: d["travel_time_s"])
    assert many_to_few.get(3, "gate_b") == pytest.approx(ref[3][12], rel=1e-12)


def test_pairs_repeated_rows_and_order(tiny):
    r = tiny.node_index
    tt = travel_times(tiny, [("car1", r[1]), ("car2", r[1]), ("car3", r[6])], [("s1", r[3]), ("s2", r[3])])
    assert tt.origin_ids == ("car1", "car2", "car3") and tt.destination_ids == ("s1", "s2")
    assert isinstance(tt, TravelTimes)
    assert np.all(tt.seconds[0] == tt.seconds[1]) and tt.seconds[0, 0] == tt.seconds[0, 1]
    assert not tt.seconds.flags.writeable
    empty = travel_times(tiny, {}, {"s": r[3]})
    assert empty.seconds.shape == (0, 1)
    with pytest.raises(KeyError, match="unknown origin"):
        tt.get("nobody", "s1")


def test_cutoff_gives_inf(tiny):
    pts = all_rows(tiny)
    full = travel_times(tiny, pts, pts)
    values = np.unique(full.seconds[np.isfinite(full.seconds)])
    cutoff = float(values[values.size // 2] + values[values.size // 2 + 1]) / 2  # between two times
    cut = travel_times(tiny, pts, pts, cutoff_s=cutoff)
    beyond = full.seconds > cutoff
    assert beyond.any() and (~beyond).any()
    assert np.all(np.isinf(cut.seconds[beyond]))
    assert np.array_equal(cut.seconds[~beyond], full.seconds[~beyond])
    # transposed path honours the cutoff too
    cut_t = travel_times(tiny, pts, {"d": pts[12]}, cutoff_s=cutoff)
    col = cut.seconds[:, list(pts).index(12)]
    assert np.array_equal(np.isinf(cut_t.seconds[:, 0]), np.isinf(col))
    assert np.allclose(cut_t.seconds[:, 0][np.isfinite(col)], col[np.isfinite(col)], rtol=1e-13)


@pytest.mark.parametrize("engine", ["scipy", pytest.param("numba", marks=needs_numba)])
def test_cache_hit_does_not_recompute(tiny, tmp_path, monkeypatch, engine):
    pts = all_rows(tiny)
    first = travel_times(tiny, pts, pts, period_factor=1.4, cutoff_s=120, cache_dir=tmp_path, engine=engine)
    files = list(tmp_path.glob("tt_*.npz"))
    assert len(files) == 1 and not list(tmp_path.glob(".tt_*"))

    def boom(*args, **kwargs):
        raise AssertionError("search run on a cache hit")

    monkeypatch.setattr(traveltime, "_multi_source", boom)
    second = travel_times(tiny, pts, pts, period_factor=1.4, cutoff_s=120, cache_dir=tmp_path, engine=engine)
    assert np.array_equal(second.seconds, first.seconds)
    assert second.origin_ids == first.origin_ids
    # the same factor written another way is the same key, and the engine is not part of it
    other = "numba" if engine == "scipy" and traveltime.numba_available() else "scipy"
    travel_times(tiny, pts, pts, period_factor={"default": 1.4}, cutoff_s=120, cache_dir=tmp_path, engine=other)
    # another factor, cutoff or row set is another key: it must compute
    for kwargs in ({"period_factor": 1.5, "cutoff_s": 120}, {"period_factor": 1.4, "cutoff_s": 100}):
        with pytest.raises(AssertionError, match="search run"):
            travel_times(tiny, pts, pts, cache_dir=tmp_path, engine=engine, **kwargs)
    with pytest.raises(AssertionError, match="search run"):
        travel_times(tiny, pts, {"x": 0}, period_factor=1.4, cutoff_s=120, cache_dir=tmp_path, engine=engine)


def test_corrupt_cache_is_recomputed(tiny, tmp_path, caplog):
    pts = all_rows(tiny)
    first = travel_times(tiny, pts, pts, cache_dir=tmp_path)
    (cache_file,) = tmp_path.glob("tt_*.npz")
    cache_file.write_bytes(b"not a zip file")
    again = travel_times(tiny, pts, pts, cache_dir=tmp_path)
    assert np.array_equal(again.seconds, first.seconds)
    assert "ignoring unreadable travel-time cache" in caplog.text
    assert np.load(cache_file)["seconds"].shape == (9, 9)


def test_input_errors(tiny):
    with pytest.raises(InputError, match="origins 'a' has node row 99"):
        travel_times(tiny, {"a": 99}, {"b": 0})
    with pytest.raises(InputError, match="destinations 'b' has node row 1.5"):
        travel_times(tiny, {"a": 0}, {"b": 1.5})
    with pytest.raises(InputError, match="origins id 'a' appears more than once"):
        travel_times(tiny, [("a", 0), ("a", 1)], {"b": 0})
    with pytest.raises(InputError, match="not an \\(id, node row\\) pair"):
        travel_times(tiny, [3], {"b": 0})
    with pytest.raises(InputError, match="cutoff_s"):
        travel_times(tiny, {"a": 0}, {"b": 0}, cutoff_s=-1)
    with pytest.raises(InputError, match="origins 'a' has node row True"):
        travel_times(tiny, {"a": True}, {"b": 0})
    with pytest.raises(InputError, match="destinations 'b' has node row -1"):
        travel_times(tiny, [("a", 0)], [("b", np.int64(-1))])
    with pytest.raises(InputError, match="unknown engine 'fast'"):
        travel_times(tiny, {"a": 0}, {"b": 0}, engine="fast")
    with pytest.raises(InputError, match="unknown engine"):
        walk_distances(tiny, [NODES[1]], [NODES[5]], max_m=100, engine="numpy")


def test_walk_distances_exact(tiny):
    g = tiny.walk_graph
    ref = nx.single_source_dijkstra_path_length(g, 1, weight="length_m")
    src = [NODES[1], (118.0, 31.9999)]  # on node 1, and ~11.1 m south of it
    tgt = [NODES[5], NODES[7], NODES[13]]
    d = walk_distances(tiny, src, tgt, max_m=500)
    off = 2 * EARTH_RADIUS_M * math.asin(math.sin(math.radians(0.00005)))
    assert d[0, 0] == pytest.approx(ref[5], rel=1e-12)
    assert d[0, 0] == pytest.approx(hav(1, 8) + hav(8, 5), rel=1e-9)  # the footway is shortest
    assert d[0, 1] == pytest.approx(ref[7], rel=1e-12)
    assert d[1, 0] == pytest.approx(ref[5] + off, rel=1e-9)
    assert d[0, 2] == pytest.approx(ref[13], rel=1e-12)
    short = walk_distances(tiny, src, tgt, max_m=ref[5] + 1.0)
    assert short[0, 0] == d[0, 0]
    assert np.isinf(short[1, 1]) and np.isinf(short[0, 1])
    assert np.all(np.isinf(walk_distances(tiny, [(118.05, 32.05)], tgt, max_m=1000)))
    assert walk_distances(tiny, [], tgt, max_m=100).shape == (0, 3)
    with pytest.raises(InputError, match="max_m"):
        walk_distances(tiny, src, tgt, max_m=-5)
    with pytest.raises(InputError, match="pairs"):
        walk_distances(tiny, [1, 2, 3], tgt, max_m=5)


def test_nanjing_walk_and_drive_consistency():
    net = load_network(nanjing_osm())
    rows = np.arange(0, net.n_nodes, 40)
    pts = {int(r): int(r) for r in rows}
    tt = travel_times(net, pts, pts)
    assert np.all(np.isfinite(tt.seconds))  # strongly connected
    # triangle inequality holds on the matrix
    s = tt.seconds
    assert np.all(s[:, None, :] <= s[:, :, None] + s[None, :, :] + 1e-9)
    lonlat = np.column_stack([net.drive.lon[rows], net.drive.lat[rows]])
    w = walk_distances(net, lonlat[:5], lonlat, max_m=1500)
    finite = np.isfinite(w)
    assert finite.sum() > 5 and np.all(w[finite] <= 1500)
    rows_w, snap_w = snap(net, lonlat[:, 0], lonlat[:, 1], graph="walk")
    assert np.all(snap_w < 1e-6)  # every drive node is also a walk node here


# ------------------------------------------------------------------------------------------
# engines: the numba kernel against scipy


def assert_same_times(a: np.ndarray, b: np.ndarray) -> None:
    """Same shape, inf in the same cells, finite times equal to 1e-9 (relative)."""
    assert a.shape == b.shape
    assert np.array_equal(np.isinf(a), np.isinf(b))
    np.testing.assert_allclose(a, b, rtol=1e-9, atol=0)


@needs_numba
def test_engines_agree_on_hand_graph(tiny):
    pts = all_rows(tiny)
    few = {"gate_a": pts[4], "gate_b": pts[12]}
    full = travel_times(tiny, pts, pts, engine="scipy").seconds
    finite = np.unique(full[np.isfinite(full)])
    cutoff = float(finite[finite.size // 2] + finite[finite.size // 2 + 1]) / 2
    for kwargs in ({}, {"cutoff_s": cutoff}, {"period_factor": {"primary": 2.0, "default": 1.3}}):
        for dest in (pts, few):  # forward from every origin; backward from the two gates
            s = travel_times(tiny, pts, dest, engine="scipy", **kwargs).seconds
            m = travel_times(tiny, pts, dest, engine="numba", **kwargs).seconds
            assert_same_times(m, s)
            assert np.isinf(m).any() == ("cutoff_s" in kwargs)
    m = travel_times(tiny, pts, pts, engine="numba").seconds
    assert m[list(pts).index(1), list(pts).index(3)] == pytest.approx(
        (hav(1, 2) + hav(2, 3)) / (60 / 3.6), rel=1e-9)


@pytest.fixture(scope="module")
def nanjing():
    return load_network(nanjing_osm())


@needs_numba
@pytest.mark.parametrize("parallel_min_work", [0, traveltime._PARALLEL_MIN_WORK])
def test_engines_agree_on_nanjing(nanjing, monkeypatch, parallel_min_work):
    monkeypatch.setattr(traveltime, "_PARALLEL_MIN_WORK", parallel_min_work)  # 0: always threads
    net = nanjing
    everyone = {int(r): int(r) for r in range(net.n_nodes)}
    some = {f"g{r}": int(r) for r in range(3, net.n_nodes, 23)}
    first20 = {f"o{r}": int(r) for r in range(0, net.n_nodes, 41)}
    for cutoff in (None, 90.0):
        for orig, dest in ((everyone, everyone),  # forward, every destination
                           (everyone, some),  # backward (fewer destinations than origins)
                           (first20, some)):  # forward, the search stops once the gates are final
            s = travel_times(net, orig, dest, period_factor=1.3, cutoff_s=cutoff, engine="scipy").seconds
            m = travel_times(net, orig, dest, period_factor=1.3, cutoff_s=cutoff, engine="numba").seconds
            assert_same_times(m, s)
            if cutoff is None:
                assert np.all(np.isfinite(m))  # strongly connected
            else:
                assert np.isinf(m).any() and np.isfinite(m).any()
    rows = np.arange(0, net.n_nodes, 40)
    lonlat = np.column_stack([net.drive.lon[rows], net.drive.lat[rows]])
    for max_m in (800.0, 5000.0):
        assert_same_times(walk_distances(net, lonlat, lonlat, max_m=max_m, engine="numba"),
                          walk_distances(net, lonlat, lonlat, max_m=max_m, engine="scipy"))


@needs_numba
@pytest.mark.parametrize("parallel_min_work", [0, traveltime._PARALLEL_MIN_WORK])
def test_numba_kernel_on_random_graphs(monkeypatch, parallel_min_work):
    """Zero arcs, arc times over 9 orders of magnitude, cut-offs and target subsets."""
    monkeypatch.setattr(traveltime, "_PARALLEL_MIN_WORK", parallel_min_work)
    rng = np.random.default_rng(11)
    for trial in range(60):
        n = int(rng.integers(1, 120))
        m = int(rng.integers(0, 4 * n + 1))
        u, v = rng.integers(0, n, m), rng.integers(0, n, m)
        w = (rng.uniform(0.1, 10, m), np.exp(rng.uniform(-12, 9, m)), rng.choice([0.0, 1.0, 2.5], m))[trial % 3]
        g = sp.coo_matrix((w, (u, v)), shape=(n, n)).tocsr()
        g.sort_indices()
        sources = np.unique(rng.integers(0, n, int(rng.integers(1, 12))))
        targets = np.arange(n) if trial % 2 else np.unique(rng.integers(0, n, int(rng.integers(1, n + 1))))
        limit = np.inf if trial % 4 < 2 else float(rng.uniform(0, 15))
        got = traveltime._multi_source(g, sources, targets, limit, "numba")
        ref = traveltime._multi_source(g, sources, targets, limit, "scipy")
        ref[ref > limit] = np.inf
        assert_same_times(got, ref)


@needs_numba
def test_numba_result_does_not_depend_on_threads(nanjing, monkeypatch):
    import numba

    monkeypatch.setattr(traveltime, "_PARALLEL_MIN_WORK", 0)
    pts = {int(r): int(r) for r in range(0, nanjing.n_nodes, 3)}
    many = travel_times(nanjing, pts, pts, engine="numba").seconds
    before = numba.get_num_threads()
    numba.set_num_threads(1)
    try:
        one = travel_times(nanjing, pts, pts, engine="numba").seconds
    finally:
        numba.set_num_threads(before)
    assert np.array_equal(one, many)
    assert numba.get_num_threads() == before  # the kernel restores the caller's thread count


def test_bucket_width():
    assert traveltime._bucket_width(np.zeros(5)) == 1.0
    assert traveltime._bucket_width(np.arange(0.0, 21.0)) == 3.0  # 10 % quantile of 1..20
    assert traveltime._bucket_width(np.array([1e-6, 1e-6, 65_536.0])) == 1.0  # ring bound


def test_engine_choice(monkeypatch):
    assert traveltime._resolve_engine("scipy", 10**6, 10**6, 100) == "scipy"
    assert traveltime._resolve_engine("auto", 10, 1000, 100) == "scipy"  # small: not worth numba
    big = traveltime.AUTO_NUMBA_MIN_WORK
    expected = "numba" if traveltime.numba_available() else "scipy"
    assert traveltime._resolve_engine("auto", 1, big, 100) == expected
    monkeypatch.setattr(traveltime, "_numba_kernel", lambda: None)  # as if numba were missing
    assert traveltime._resolve_engine("auto", 1, big, 100) == "scipy"
    with pytest.raises(InputError, match="needs the numba package"):
        traveltime._resolve_engine("numba", 1, 10, 10)


def test_numba_missing_falls_back_to_scipy(tiny, monkeypatch):
    pts = all_rows(tiny)
    ref = travel_times(tiny, pts, pts, engine="scipy").seconds
    monkeypatch.setattr(traveltime, "_numba_kernel", lambda: None)
    monkeypatch.setattr(traveltime, "AUTO_NUMBA_MIN_WORK", 0)  # auto would pick numba if it could
    assert np.array_equal(travel_times(tiny, pts, pts).seconds, ref)
    assert not traveltime.numba_available()
    with pytest.raises(InputError, match="pip install numba"):
        travel_times(tiny, pts, pts, engine="numba")
