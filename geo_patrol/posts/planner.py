"""Duty posts for a scenario: where they go, who staffs them when, and why a school is left out.

Built on the matrix models of :mod:`geo_patrol.posts` (the same solver calls any user can make
with their own matrices). The steps:

1. **Candidate sites**: every school gate, every drive-network node within ``post_radius_m``
   (straight line) of a gate, and the scenario's own sites (``existing`` ones always open).
2. **Coverage**: a site covers a school when the walking distance to one of its gates is within
   ``post_radius_m`` (a site within :data:`SIGHT_M` metres in a straight line sees the gate
   directly). Schools with ``forbid_post`` are not demand rows (never covered by a post).
   A post is staffed in every period in which one of the schools it covers has a window, so
   coverage is the same in every period.
3. **Weights** (:func:`school_weight`): ``priority × kind factor × (1 + enrolment / 1000)``,
   kind factors kindergarten 1.3, primary 1.2, special 1.3, nine-year 1.1, middle 1.0, high 0.9 —
   younger children and larger schools weigh more; priority is the planner's own 1–5.
4. **Model** (one of :data:`MODES`): ``max_coverage`` (most weight with at most K posts),
   ``min_posts`` (fewest posts covering every coverable school — the "护学岗设置 100%" target),
   ``backup`` (most weight, then most weight covered twice), ``p_median`` (least weighted walking
   distance to the assigned post, K posts). ``requires_post`` schools must be covered.
5. **Jurisdiction**: a post belongs to the station of the first school it serves that names one
   (``station_id``), otherwise to the station nearest by drive time (morning congestion).
6. **Duty time**: per period the union of the windows of the schools it serves, from
   ``duty_lead_s`` before the earliest start to ``duty_lag_s`` after the latest end.
7. **Roster**: per station and period, posts are taken in order of duty start and given to the
   first officer team already formed who is free by then, counting the drive between the two
   posts; otherwise to a new team. A team is ``police_per_post`` police and
   ``auxiliary_per_post`` auxiliary officers. This greedy rule is optimal when drive times are
   zero (interval partitioning) and never double-books an officer.
8. **Officers**: when a station's roster needs more police or auxiliary officers than it has in
   some period, the schools of as many of its least valuable posts as it lacks officer teams are
   given up (posts at existing sites or serving a required school excepted) and the model is
   solved again, until every station fits; those schools are reported as "officers short at
   station" unless another post still covers them.
"""

from __future__ import annotations

import logging
import math
import time
from dataclasses import dataclass, field
from typing import Mapping, Sequence

import numpy as np
import scipy.sparse as sp

from geo_patrol.clock import format_time
from geo_patrol.prepare import Prepared
from geo_patrol.posts.result import LocationResult
from geo_patrol.scenario import School, share_out
from geo_patrol.sightings import PostDuty, RosterEntry

log = logging.getLogger(__name__)

MODES = ("max_coverage", "min_posts", "backup", "p_median")

KIND_FACTOR: Mapping[str, float] = {
    "kindergarten": 1.3, "primary": 1.2, "special": 1.3, "nine_year": 1.1, "middle": 1.0, "high": 0.9,
}


def school_weight(school: School) -> float:
    """Weight of covering a school: ``priority × kind factor × (1 + enrolment / 1000)``."""
    return school.priority * KIND_FACTOR.get(school.kind, 1.0) * (1.0 + school.enrolment / 1000.0)


@dataclass(frozen=True)
class CandidateSite:
    """A place a post could stand: a gate, a road node near a gate, or an input site."""

    id: str
    lon: float
    lat: float
    origin: str  # "gate", "road" or "input"
    existing: bool = False


@dataclass(frozen=True)
class Uncovered:
    """A school without a post, and why."""

    school_id: str
    reason: str  # "forbidden", "no_site", "budget", "officers"
    detail: str


@dataclass(frozen=True)
class PostPlan:
    """The posts of a scenario with their duty, roster and officer use.

    ``station_use`` maps ``(station_id, period)`` to ``(police used, police available,
    auxiliary used, auxiliary available)``.
    """

    mode: str
    sites: tuple[CandidateSite, ...]
    chosen: tuple[int, ...]
    duties: tuple[PostDuty, ...]
    assignment: Mapping[str, str]
    roster: tuple[RosterEntry, ...]
    station_use: Mapping[tuple[str, str], tuple[int, int, int, int]]
    uncovered: tuple[Uncovered, ...]
    covered_weight: float
    total_weight: float
    solver: LocationResult
    runtime_s: float
    police_limit: Mapping[str, int] = field(default_factory=dict)
    auxiliary_limit: Mapping[str, int] = field(default_factory=dict)

    @property
    def n_posts(self) -> int:
        return len({d.post_id for d in self.duties})

    def covered_school_ids(self) -> set[str]:
        return set(self.assignment)

    def to_dir(self, path, *, force: bool = False):
        """Export: ``posts.csv``/``posts.geojson`` (one row per post and period), ``rosters.csv``,
        ``station_use.csv`` (officers used against available per station and period) and
        ``uncovered.csv`` (every school without a post, with its reason); written atomically."""
        from geo_patrol.planio import _write_csv, write_directory, write_posts, write_roster

        def fill(folder):
            write_posts(folder, self.duties)
            write_roster(folder, self.roster)
            _write_csv(folder / "station_use.csv",
                       ["station_id", "period", "police_used", "police_available", "auxiliary_used",
                        "auxiliary_available"],
                       ([sid, period, *values] for (sid, period), values in sorted(self.station_use.items())))
            _write_csv(folder / "uncovered.csv", ["school_id", "reason", "detail"],
                       ([u.school_id, u.reason, u.detail] for u in self.uncovered))

        return write_directory(path, fill, force=force)

    def officers_needed(self) -> dict[str, tuple[int, int]]:
        """Station id → (police, auxiliary) needed in the busiest period."""
        out: dict[str, tuple[int, int]] = {}
        for (station_id, _), (police, _, aux, _) in self.station_use.items():
            p, a = out.get(station_id, (0, 0))
            out[station_id] = (max(p, police), max(a, aux))
        return out


# --------------------------------------------------------------------------- candidate sites


def candidate_sites(prepared: Prepared) -> tuple[CandidateSite, ...]:
    """Gates, drive nodes within ``post_radius_m`` of a gate, and the scenario's sites."""
    radius = prepared.scenario.parameters.post_radius_m
    net = prepared.network
    sites: list[CandidateSite] = [
        CandidateSite(f"S:{s.id}", s.lon, s.lat, "input", s.existing) for s in prepared.scenario.sites
    ]
    sites += [CandidateSite(f"G:{g.id}", g.lon, g.lat, "gate") for g in prepared.gates]
    node_lon, node_lat = net.drive.lon, net.drive.lat
    kx = 111_320.0 * math.cos(math.radians(float(np.mean(node_lat))))
    ky = 110_540.0
    from scipy.spatial import cKDTree

    tree = cKDTree(np.column_stack([node_lon * kx, node_lat * ky]))
    gate_xy = np.array([[g.lon * kx, g.lat * ky] for g in prepared.gates])
    near = sorted({int(i) for hits in tree.query_ball_point(gate_xy, r=radius) for i in hits})
    sites += [
        CandidateSite(f"R:{int(net.drive.node_ids[i])}", float(node_lon[i]), float(node_lat[i]), "road") for i in near
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
        import scipy.sparse as sp

        keep = ~np.isin(self.cols, np.asarray(list(blocked), dtype=np.int64))
        mat = sp.csr_matrix((np.ones(int(keep.sum()), dtype=bool), (self.rows[keep], self.cols[keep])),
                            shape=(self.n_schools, self.n_sites))
        return mat if rows is None else mat[np.asarray(rows)]

    def dense(self, rows: Sequence[int]) -> np.ndarray:
        """Dense metres for the given schools (``inf`` beyond the radius); small cases only."""
        out = np.full((self.n_schools, self.n_sites), np.inf)
        out[self.rows, self.cols] = self.metres
        return out[np.asarray(rows)]


def coverage_distance(prepared: Prepared, sites: Sequence[CandidateSite]) -> SiteCoverage:
    """Walking metres from every school (nearest gate) to the candidate sites within reach.

    Pairs are found first by straight-line distance (a walk is never shorter), then measured on
    the walk network by a search bounded at the radius, in chunks of gates so memory stays small.
    A site within :data:`SIGHT_M` in a straight line of a gate sees it directly.
    """
    from scipy.sparse import csgraph
    from scipy.spatial import cKDTree

    from geo_patrol.network import haversine_m, snap

    radius = prepared.scenario.parameters.post_radius_m
    search_m = EXPLAIN_FACTOR * radius
    net = prepared.network
    school_index = {s.id: i for i, s in enumerate(prepared.scenario.schools)}
    site_lon = np.array([s.lon for s in sites], dtype=float)
    site_lat = np.array([s.lat for s in sites], dtype=float)
    gate_lon = np.array([g.lon for g in prepared.gates], dtype=float)
    gate_lat = np.array([g.lat for g in prepared.gates], dtype=float)
    kx = 111_320.0 * math.cos(math.radians(float(np.mean(gate_lat))))
    ky = 110_540.0
    tree = cKDTree(np.column_stack([site_lon * kx, site_lat * ky]))
    near = tree.query_ball_point(np.column_stack([gate_lon * kx, gate_lat * ky]), r=search_m * 1.01)
    site_rows, site_snap = snap(net, site_lon, site_lat, graph="walk")
    gate_rows, gate_snap = snap(net, gate_lon, gate_lat, graph="walk")
    walk = net.walk_csr()
    g_idx, s_idx, metres = [], [], []
    chunk = 64
    for lo in range(0, len(prepared.gates), chunk):
        gates = np.arange(lo, min(lo + chunk, len(prepared.gates)))
        unique, inverse = np.unique(gate_rows[gates], return_inverse=True)
        dist = csgraph.dijkstra(walk, directed=False, indices=unique, limit=search_m)
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


# --------------------------------------------------------------------------- planning


def station_limits(prepared: Prepared, *, police: int | None = None, auxiliary: int | None = None):
    """Police and auxiliary officers per station; a county total is shared out in proportion.

    ``police=N`` (what-if "we have N police for posts") splits N over the stations in
    proportion to their own numbers, largest remainder first; likewise ``auxiliary``.
    """
    stations = prepared.scenario.stations
    police_list = share_out(police, [s.police for s in stations])
    aux_list = share_out(auxiliary, [s.auxiliary for s in stations])
    return ({s.id: p for s, p in zip(stations, police_list)}, {s.id: a for s, a in zip(stations, aux_list)})


def plan_posts(
    prepared: Prepared,
    *,
    mode: str = "min_posts",
    max_posts: int | None = None,
    police: int | None = None,
    auxiliary: int | None = None,
    time_limit_s: float = 30.0,
    warm_start: Sequence[int] | None = None,
    sites: Sequence[CandidateSite] | None = None,
    distance: SiteCoverage | None = None,
    weight_scale: Mapping[str, float] | None = None,
    release: frozenset[str] = frozenset(),
) -> PostPlan:
    """Choose the posts of a scenario and staff them (see the module docstring for the model).

    ``max_posts`` is K for ``max_coverage``, ``backup`` and ``p_median`` (required there);
    ``police``/``auxiliary`` override the county totals for what-if runs. ``sites`` and
    ``distance`` may be passed in to reuse them across a sweep. ``weight_scale`` multiplies the
    weight of the schools it names (the plan's improvement step uses it). ``release`` names
    existing sites that stay open only while they serve a school (last semester's posts);
    the scenario's own existing sites always stay open.
    """
    from geo_patrol import posts as models

    if mode not in MODES:
        raise ValueError(f"mode must be one of {MODES}, not {mode!r}")
    if mode != "min_posts" and max_posts is None:
        raise ValueError(f"mode {mode!r} needs max_posts")
    started = time.perf_counter()
    scenario = prepared.scenario
    params = scenario.parameters
    sites = tuple(sites) if sites is not None else candidate_sites(prepared)
    if distance is None:
        distance = coverage_distance(prepared, sites)
    schools = scenario.schools
    demand = [i for i, s in enumerate(schools) if not s.forbid_post]
    scale = weight_scale or {}
    base = np.array([school_weight(schools[i]) for i in demand])
    weights = base * np.array([scale.get(schools[i].id, 1.0) for i in demand])
    required = np.array([schools[i].requires_post for i in demand], dtype=bool)
    existing = np.array([s.existing for s in sites], dtype=bool)
    if release:
        # a site named in ``release`` (last semester's posts) stays only while it serves a school
        serves = np.asarray(distance.cover(rows=demand).sum(axis=0)).ravel() > 0
        existing &= serves | ~np.array([s.id in release for s in sites], dtype=bool)
    # a required school out of reach is reported, not made infeasible
    required &= np.asarray(distance.cover(rows=demand).sum(axis=1)).ravel() > 0

    limit_police, limit_aux = station_limits(prepared, police=police, auxiliary=auxiliary)
    # schools given up because the station that would staff their post ran out of officers
    excluded = np.zeros(len(demand), dtype=bool)
    short_schools: dict[str, str] = {}
    full_cover = distance.cover(rows=demand)
    for _ in range(len(demand) + 1):  # each round gives up at least one school
        keep = sp.diags((~excluded).astype(np.int8), dtype=np.int8)
        cover = (keep @ full_cover).astype(bool)
        live = np.where(excluded, 0.0, weights)
        req = required & ~excluded & (np.asarray(cover.sum(axis=1)).ravel() > 0)
        if mode == "max_coverage":
            result = models.max_coverage_sets(cover, live, max_posts, required=req, existing=existing,
                                              time_limit_s=time_limit_s, warm_start=warm_start)
        elif mode == "min_posts":
            result = models.min_posts_sets(cover, required=req, existing=existing, time_limit_s=time_limit_s)
        elif mode == "backup":
            result = models.backup_coverage_sets(cover, live, max_posts, required=req, existing=existing,
                                                 time_limit_s=time_limit_s)
        else:
            dense = distance.dense(demand)
            dense[excluded] = np.inf
            result = models.p_median(dense, live, max_posts, time_limit_s=time_limit_s)
        chosen = list(result.chosen)
        assign = _assign(distance, demand, chosen)
        duties, station_of = _duties(prepared, sites, chosen, assign, demand)
        roster, use = _roster(prepared, duties, limit_police, limit_aux)
        # teams each station lacks in its worst period
        lacking: dict[str, int] = {}
        for (sid, _), (p, pl, a, al) in use.items():
            short = max(_ceil_div(p - pl, params.police_per_post), _ceil_div(a - al, params.auxiliary_per_post))
            if short > 0:
                lacking[sid] = max(lacking.get(sid, 0), short)
        if not lacking:
            break
        # at every station short of officers, give up the schools of as many of its least
        # valuable posts as it lacks teams (a dropped post frees at most one team), then solve
        # again; posts at existing sites or serving a required school are never dropped
        value: dict[int, float] = {}
        serves_required: set[int] = set()
        for r, a in enumerate(assign):
            if a >= 0:
                value[a] = value.get(a, 0.0) + float(weights[r])
                if required[r]:
                    serves_required.add(a)
        dropped_any = False
        for station_id, count in sorted(lacking.items()):
            own = sorted((j for j in chosen if station_of[j] == station_id and not existing[j]
                          and j not in serves_required), key=lambda j: (value.get(j, 0.0), j))
            for worst in own[:count]:
                dropped_any = True
                for r, a in enumerate(assign):
                    if a == worst:
                        excluded[r] = True
                        short_schools[schools[demand[r]].id] = station_id
                log.info("station %s short of officers: giving up the post at site %s", station_id, sites[worst].id)
        if not dropped_any:
            break

    covered_rows = {r for r, a in enumerate(assign) if a >= 0}
    assignment = {}
    for duty in duties:
        for school_id in duty.school_ids:
            assignment.setdefault(school_id, duty.post_id)
    uncovered = _explain(prepared, demand, distance, weights, covered_rows, chosen, assign, short_schools,
                         mode, max_posts)
    covered_weight = float(sum(base[r] for r in covered_rows))
    return PostPlan(
        mode=mode, sites=sites, chosen=tuple(sorted(chosen)), duties=duties, assignment=assignment,
        roster=roster, station_use=use, uncovered=uncovered, covered_weight=covered_weight,
        total_weight=float(base.sum()), solver=result, runtime_s=time.perf_counter() - started,
        police_limit=limit_police, auxiliary_limit=limit_aux,
    )


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b) if b > 0 else (1 if a > 0 else 0)


def _assign(coverage: SiteCoverage, demand: Sequence[int], chosen: Sequence[int]) -> list[int]:
    """Each demand row → the nearest chosen site within the radius, or −1."""
    position = {row: r for r, row in enumerate(demand)}
    usable = np.isin(coverage.cols, np.asarray(sorted(set(chosen)), dtype=np.int64))
    best: dict[int, tuple[float, int]] = {}
    for row, col, m in zip(coverage.rows[usable], coverage.cols[usable], coverage.metres[usable]):
        r = position.get(int(row))
        if r is not None and (r not in best or (m, col) < best[r]):
            best[r] = (float(m), int(col))
    return [best[r][1] if r in best else -1 for r in range(len(demand))]


def _duties(prepared, sites, chosen, assign, demand):
    """Post duty rows per period, numbered P001… in order of site id, and each site's station."""
    scenario = prepared.scenario
    params = scenario.parameters
    schools = scenario.schools
    from geo_patrol.network import snap
    from geo_patrol.traveltime import travel_times

    chosen = sorted(chosen, key=lambda j: sites[j].id)
    lon = np.array([sites[j].lon for j in chosen])
    lat = np.array([sites[j].lat for j in chosen])
    nodes, _ = snap(prepared.network, lon, lat) if chosen else (np.array([], int), None)
    station_of: dict[int, str] = {}
    if chosen:
        times = travel_times(prepared.network, prepared.station_nodes,
                             {str(j): int(n) for j, n in zip(chosen, nodes)},
                             period_factor=params.congestion_for(scenario.periods[0]))
    duties = []
    for k, (j, node) in enumerate(zip(chosen, nodes)):
        served = [schools[demand[r]] for r, a in enumerate(assign) if a == j]
        named = next((s.station_id for s in served if s.station_id), None)
        if named is None:
            col = times.seconds[:, k]
            named = times.origin_ids[int(np.argmin(col))]
        station_of[j] = named
        post_id = f"P{k + 1:03d}"
        for period in scenario.periods:
            wins = [s.windows[period] for s in served if period in s.windows]
            if not wins:
                continue
            duties.append(PostDuty(
                post_id=post_id, period=period, lon=sites[j].lon, lat=sites[j].lat, station_id=named,
                school_ids=tuple(sorted(s.id for s in served if period in s.windows)),
                duty_start_s=min(w.start_s for w in wins) - params.duty_lead_s,
                duty_end_s=max(w.end_s for w in wins) + params.duty_lag_s,
                police=params.police_per_post, auxiliary=params.auxiliary_per_post,
                car_at_post=False, node=int(node),
            ))
    return tuple(duties), station_of


def _roster(prepared, duties, limit_police, limit_aux):
    """Greedy officer teams per station and period (module docstring, step 7)."""
    params = prepared.scenario.parameters
    from geo_patrol.traveltime import travel_times

    roster: list[RosterEntry] = []
    use: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    groups: dict[tuple[str, str], list[PostDuty]] = {}
    for duty in duties:
        groups.setdefault((duty.station_id, duty.period), []).append(duty)
    for station in prepared.scenario.stations:
        for period in prepared.scenario.periods:
            group = sorted(groups.get((station.id, period), []), key=lambda d: (d.duty_start_s, d.post_id))
            teams: list[list[PostDuty]] = []
            if group:
                nodes = {d.post_id: d.node for d in group}
                between = travel_times(prepared.network, nodes, nodes,
                                       period_factor=params.congestion_for(period))
                index = {pid: i for i, pid in enumerate(between.origin_ids)}
                for duty in group:
                    for team in teams:
                        last = team[-1]
                        drive = between.seconds[index[last.post_id], index[duty.post_id]]
                        if last.duty_end_s + drive <= duty.duty_start_s:
                            team.append(duty)
                            break
                    else:
                        teams.append([duty])
            for t, team in enumerate(teams, start=1):
                for duty in team:
                    for kind, count in (("police", params.police_per_post), ("auxiliary", params.auxiliary_per_post)):
                        for n in range(count):
                            number = (t - 1) * count + n + 1
                            roster.append(RosterEntry(
                                f"{station.id}-{kind}-{number}", station.id, period, duty.post_id,
                                duty.duty_start_s, duty.duty_end_s,
                            ))
            use[(station.id, period)] = (
                len(teams) * params.police_per_post, limit_police[station.id],
                len(teams) * params.auxiliary_per_post, limit_aux[station.id],
            )
    return tuple(roster), use


def _explain(prepared, demand, coverage, weights, covered_rows, chosen, assign, short_schools, mode, max_posts):
    """A reason for every school without a post (module docstring)."""
    scenario = prepared.scenario
    radius = scenario.parameters.post_radius_m
    out = []
    for school in scenario.schools:
        if school.forbid_post:
            out.append(Uncovered(school.id, "forbidden", "the school forbids a post (禁设岗)"))
    chosen_value = {}
    for j in chosen:
        chosen_value[j] = sum(weights[r] for r, a in enumerate(assign) if a == j)
    weakest = min(chosen_value.values()) if chosen_value else 0.0
    for r, row in enumerate(demand):
        if r in covered_rows:
            continue
        school = scenario.schools[row]
        nearest = float(coverage.nearest_m[row])
        if not np.isfinite(nearest) or nearest > radius:
            shown = (f"none within {EXPLAIN_FACTOR * radius:.0f} m" if not np.isfinite(nearest)
                     else f"nearest {nearest:.0f} m")
            out.append(Uncovered(school.id, "no_site", f"no post site within {radius:.0f} m walking ({shown})"))
        elif school.id in short_schools:
            out.append(Uncovered(school.id, "officers",
                                 f"officers short at station {short_schools[school.id]}"))
        else:
            out.append(Uncovered(
                school.id, "budget",
                f"post budget of {max_posts} used: weight {weights[r]:.2f} < {weakest:.2f} served by the "
                f"weakest chosen post; 1 more post would cover it",
            ))
    return tuple(sorted(out, key=lambda u: u.school_id))
