"""Candidate post sites and walking coverage: where a post could stand and which schools it sees.

1. **Candidate sites** (:func:`candidate_sites`): every school gate, every drive-network node
   within ``post_radius_m`` (straight line) of a gate, and the scenario's own sites
   (``existing`` ones always open).
2. **Coverage** (:func:`coverage_distance`): a site covers a school when the walking distance to
   one of its gates is within ``post_radius_m`` (a site within :data:`SIGHT_M` metres in a
   straight line sees the gate directly). Pairs are kept sparse.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp
from scipy.spatial import cKDTree

from geo_patrol.geo import LocalMetres, haversine_m
from geo_patrol.io.plandir import canonical_lonlat
from geo_patrol.network import snap
from geo_patrol.snapping import Prepared
from geo_patrol.traveltime import walk_metres_from

__all__ = ["EXPLAIN_FACTOR", "SIGHT_M", "CandidateSite", "SiteCoverage", "candidate_sites", "coverage_distance"]


@dataclass(frozen=True)
class CandidateSite:
    """A place a post could stand: a gate, a road node near a gate, or an input site."""

    id: str
    lon: float
    lat: float
    origin: str  # "gate", "road" or "input"
    existing: bool = False


def candidate_sites(prepared: Prepared) -> tuple[CandidateSite, ...]:
    """Gates, drive nodes within ``post_radius_m`` of a gate, and the scenario's sites.

    Coordinates are held as the plan files give them back (6 decimals in the output datum, about
    0.1 m), so a post reaches the same gates in the plan and when its file is read back."""
    radius = prepared.scenario.parameters.post_radius_m
    net = prepared.network
    datum = prepared.scenario.output_datum

    def site(site_id: str, lon: float, lat: float, origin: str, existing: bool = False) -> CandidateSite:
        return CandidateSite(site_id, *canonical_lonlat(lon, lat, datum), origin, existing)

    sites: list[CandidateSite] = [site(f"S:{s.id}", s.lon, s.lat, "input", s.existing) for s in prepared.scenario.sites]
    sites += [site(f"G:{g.id}", g.lon, g.lat, "gate") for g in prepared.gates]
    node_lon, node_lat = net.drive.lon, net.drive.lat
    local = LocalMetres.at_latitude(float(np.mean(node_lat)))
    tree = cKDTree(local.xy(node_lon, node_lat))
    gate_xy = local.xy([g.lon for g in prepared.gates], [g.lat for g in prepared.gates])
    near = sorted({int(i) for hits in tree.query_ball_point(gate_xy, r=radius) for i in hits})
    sites += [
        site(f"R:{int(net.drive.node_ids[i])}", float(node_lon[i]), float(node_lat[i]), "road") for i in near
    ]
    return tuple(sites)


#: Straight-line metres within which a post sees a gate directly (a post at the gate itself).
SIGHT_M = 50.0

#: Walking distances are searched up to this many times the post radius, so that a school out
#: of reach can say how far the nearest site is.
EXPLAIN_FACTOR = 3.0


@dataclass(frozen=True)
class SiteCoverage:
    """Walking metres between schools and candidate sites, kept sparse.

    ``rows``, ``cols``, ``metres``: one entry per (school, site) pair within ``post_radius_m``
    (the nearest of the school's gates); ``nearest_m``: per school, the nearest site found within
    ``EXPLAIN_FACTOR × post_radius_m`` (``inf`` when none).
    """

    n_schools: int
    n_sites: int
    rows: np.ndarray
    cols: np.ndarray
    metres: np.ndarray
    nearest_m: np.ndarray

    def cover(self, blocked: Sequence[int] = (), rows: Sequence[int] | None = None):
        """Boolean CSR coverage (schools × sites) without the ``blocked`` sites."""
        keep = ~np.isin(self.cols, np.asarray(list(blocked), dtype=np.int64))
        mat = sp.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (self.rows[keep], self.cols[keep])),
                            shape=(self.n_schools, self.n_sites))
        return mat if rows is None else mat[np.asarray(rows)]

    def dense(self, rows: Sequence[int]) -> np.ndarray:
        """Dense metres for the given schools (``inf`` beyond the radius); small cases only."""
        out = np.full((self.n_schools, self.n_sites), np.inf)
        out[self.rows, self.cols] = self.metres
        return out[np.asarray(rows)]


def coverage_distance(prepared: Prepared, sites: Sequence[CandidateSite], *, explain: bool = True) -> SiteCoverage:
    """Walking metres from every school (nearest gate) to the candidate sites within reach.

    Pairs are found first by straight-line distance (a walk is never shorter), then measured on
    the walk network by a search bounded at the radius, in chunks of gates so memory stays small.
    A site within :data:`SIGHT_M` in a straight line of a gate sees it directly. With
    ``explain`` the searches go on to :data:`EXPLAIN_FACTOR` × the radius, for ``nearest_m``;
    without, they stop at the radius (``nearest_m`` then only knows the sites within it).
    """
    radius = prepared.scenario.parameters.post_radius_m
    search_m = (EXPLAIN_FACTOR if explain else 1.0) * radius
    net = prepared.network
    school_index = {s.id: i for i, s in enumerate(prepared.scenario.schools)}
    site_lon = np.array([s.lon for s in sites], dtype=float)
    site_lat = np.array([s.lat for s in sites], dtype=float)
    gate_lon = np.array([g.lon for g in prepared.gates], dtype=float)
    gate_lat = np.array([g.lat for g in prepared.gates], dtype=float)
    local = LocalMetres.at_latitude(float(np.mean(gate_lat)))
    tree = cKDTree(local.xy(site_lon, site_lat))
    near = tree.query_ball_point(local.xy(gate_lon, gate_lat), r=search_m * 1.01)
    site_rows, site_snap = snap(net, site_lon, site_lat, graph="walk")
    gate_rows, gate_snap = snap(net, gate_lon, gate_lat, graph="walk")
    g_idx, s_idx, metres = [], [], []
    chunk = 64
    for lo in range(0, len(prepared.gates), chunk):
        gates = np.arange(lo, min(lo + chunk, len(prepared.gates)))
        unique, inverse = np.unique(gate_rows[gates], return_inverse=True)
        dist = walk_metres_from(net, unique, limit_m=search_m)
        for k, g in enumerate(gates):
            cand = np.asarray(near[g], dtype=np.int64)
            if cand.size == 0:
                continue
            d = gate_snap[g] + dist[inverse[k], site_rows[cand]] + site_snap[cand]
            straight = haversine_m(gate_lon[g], gate_lat[g], site_lon[cand], site_lat[cand])
            d = np.where(straight <= SIGHT_M, np.minimum(d, straight), d)
            ok = d <= search_m
            g_idx.append(np.full(int(ok.sum()), g))
            s_idx.append(cand[ok])
            metres.append(d[ok])
    g_all = np.concatenate(g_idx) if g_idx else np.zeros(0, np.int64)
    s_all = np.concatenate(s_idx) if s_idx else np.zeros(0, np.int64)
    m_all = np.concatenate(metres) if metres else np.zeros(0)
    school_of_gate = np.array([school_index[g.school_id] for g in prepared.gates], dtype=np.int64)
    r_all = school_of_gate[g_all] if g_all.size else g_all
    nearest = np.full(len(school_index), np.inf)
    np.minimum.at(nearest, r_all, m_all)
    # keep, per (school, site), the nearest gate's distance within the radius
    within = m_all <= radius
    r_in, s_in, m_in = r_all[within], s_all[within], m_all[within]
    order = np.lexsort((m_in, s_in, r_in))
    r_in, s_in, m_in = r_in[order], s_in[order], m_in[order]
    first = np.ones(r_in.size, dtype=bool)
    first[1:] = (r_in[1:] != r_in[:-1]) | (s_in[1:] != s_in[:-1])
    return SiteCoverage(len(school_index), len(sites), r_in[first], s_in[first], m_in[first], nearest)




def post_reach(prepared: Prepared, posts: Sequence) -> dict[tuple[str, str, int], frozenset[str]]:
    """``(post_id, period, duty_start_s)`` → ids of the schools with a gate within ``post_radius_m`` walking
    distance of where that post row stands — the officer-sighting rule's reach, measured from
    the post's own coordinates (not from the schools it lists)."""
    where = sorted({(round(p.lon, 7), round(p.lat, 7)) for p in posts})
    if not where:
        return {}
    sites = [CandidateSite(f"at:{k}", lon, lat, "input") for k, (lon, lat) in enumerate(where)]
    cover = coverage_distance(prepared, sites, explain=False)
    ids = [s.id for s in prepared.scenario.schools]
    reach: dict[int, set[str]] = {}
    for row, col in zip(cover.rows, cover.cols):
        reach.setdefault(int(col), set()).add(ids[int(row)])
    index = {xy: k for k, xy in enumerate(where)}
    return {(p.post_id, p.period, p.duty_start_s): frozenset(reach.get(index[(round(p.lon, 7), round(p.lat, 7))], ()))
            for p in posts}
