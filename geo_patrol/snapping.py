"""Scenario → road network with snapped gates and stations, and station → gate drive times.

:func:`prepare` is the step every planning stage runs first: it loads (or downloads) the road network,
snaps every school gate and police station onto the drive network, keeps the snap distances,
and checks that every school can be reached. Everything after it (posts, patrols, the plan)
works on the :class:`Prepared` result.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from geo_patrol.datum import from_wgs84, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.network import RoadNetwork, download_network, load_network, snap
from geo_patrol.roadnames import RoadNames
from geo_patrol.rules import GateSight, car_in_sight
from geo_patrol.scenario import Scenario
from geo_patrol.traveltime import TravelTimes, travel_times

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GateRef:
    """A gate of a school snapped to the drive network."""

    school_id: str
    gate_index: int
    lon: float
    lat: float
    node: int
    snap_m: float

    @property
    def id(self) -> str:
        return f"{self.school_id}#{self.gate_index}"


@dataclass(frozen=True)
class StandPoint:
    """Where a patrol car stops for a school: the drive node nearest to one of its gates.

    ``lon``/``lat`` are the node's (the road point where the car stands), ``gate_distance_m``
    the straight line to that gate, at most ``car_sight_m``.
    """

    school_id: str
    gate_index: int
    node: int
    lon: float
    lat: float
    gate_distance_m: float


@dataclass(frozen=True)
class Prepared:
    """A scenario with its road network, snapped gates and stations.

    ``station_nodes`` maps station id → drive-network node row; ``station_snap_m`` the distance
    from the station's point to that node. ``gates`` lists every gate of every school in input
    order. ``station_to_gate`` holds per period the drive time in seconds from every station to
    every gate (peak factor applied). ``stands`` are the patrol cars' stand points and ``sight``
    the car-sight lookup (gates within ``car_sight_m``), built once here and used by every stage.
    """

    scenario: Scenario
    network: RoadNetwork
    gates: tuple[GateRef, ...]
    station_nodes: Mapping[str, int]
    station_snap_m: Mapping[str, float]
    station_to_gate: Mapping[str, TravelTimes]
    stands: Mapping[str, StandPoint] = field(default_factory=dict)
    sight: GateSight | None = field(default=None, compare=False)

    @property
    def car_sight(self) -> GateSight:
        """Which schools a car standing at a point is seen by (:class:`~geo_patrol.rules.GateSight`)."""
        params = self.scenario.parameters
        if self.sight is not None and self.sight.radius_m == params.car_sight_m:
            return self.sight
        return GateSight.for_cars(self.scenario.schools, params)

    def gates_of(self, school_id: str) -> tuple[GateRef, ...]:
        return tuple(g for g in self.gates if g.school_id == school_id)

    def nearest_station_s(self, period: str) -> dict[str, float]:
        """School id → drive time in seconds from the nearest station to its nearest gate."""
        matrix = self.station_to_gate[period]
        best = matrix.seconds.min(axis=0) if matrix.seconds.size else np.array([])
        out: dict[str, float] = {}
        for gate_id, value in zip(matrix.destination_ids, best):
            school_id = gate_id.rsplit("#", 1)[0]
            out[school_id] = min(out.get(school_id, np.inf), float(value))
        return out


def load_scenario_network(scenario: Scenario) -> RoadNetwork:
    """Load the scenario's road network from its file, or download it when it names a place."""
    source = scenario.network
    speeds = dict(scenario.parameters.speed_kph) or None
    if source.path is not None:
        return load_network(source.path, speed_kph=speeds, layer=source.layer, datum=source.datum,
                            max_arc_m=scenario.parameters.max_arc_m)
    return download_network(place=source.place, bbox=source.bbox, speed_kph=speeds,
                            max_arc_m=scenario.parameters.max_arc_m)


def prepare(scenario: Scenario, *, network: RoadNetwork | None = None, cache_dir: str | Path | None = None) -> Prepared:
    """Snap gates and stations, compute station → gate drive times per period, check reach.

    Raises :class:`InputError` listing the schools concerned when a gate or station lies farther
    than ``max_snap_m`` from the drive network, or when no station reaches a school within
    ``reach_limit_s`` seconds of driving in some period.
    """
    params = scenario.parameters
    if network is None:
        network = load_scenario_network(scenario)
    schools_file = scenario.input_files.get("schools")
    stations_file = scenario.input_files.get("stations")

    gate_rows = [(s, i, g) for s in scenario.schools for i, g in enumerate(s.gates)]
    lon = np.array([g.lon for _, _, g in gate_rows], dtype=float)
    lat = np.array([g.lat for _, _, g in gate_rows], dtype=float)
    nodes, snap_m = snap(network, lon, lat)
    far = snap_m > params.max_snap_m
    if far.any():
        datum = _datum_findings(scenario, network).get("schools")
        why = _why_far(network, lon[far], lat[far], params.max_snap_m)
        too_far = [(s, float(d), w) for ((s, _, _), d), w in zip(
            [(g, d) for g, d, f in zip(gate_rows, snap_m, far) if f], why)]
        listed = "; ".join(f"{s.id} {s.name} (row {s.row}, {d:.0f} m: {w})" for s, d, w in too_far[:5])
        more = f" and {len(too_far) - 5} more" if len(too_far) > 5 else ""
        raise InputError(
            f"{len(too_far)} gate(s) lie farther than {params.max_snap_m:.0f} m from the drive network: {listed}{more}",
            file=schools_file, field="lon/lat",
            hint=f"the datum check finds {datum}" if datum else
                 "where no road is near, check the coordinates and their datum; where a road is near but not "
                 "driveable, use a road network that has it (or raise max_snap_m)",
        )
    gates = tuple(
        GateRef(s.id, i, float(g.lon), float(g.lat), int(n), float(d))
        for (s, i, g), n, d in zip(gate_rows, nodes, snap_m)
    )

    st_lon = np.array([s.lon for s in scenario.stations], dtype=float)
    st_lat = np.array([s.lat for s in scenario.stations], dtype=float)
    st_nodes, st_snap = snap(network, st_lon, st_lat)
    for station, d in zip(scenario.stations, st_snap):
        if d > params.max_snap_m:
            (why,) = _why_far(network, [station.lon], [station.lat], params.max_snap_m)
            raise InputError(
                f"station {station.id} {station.name} lies {d:.0f} m from the drive network ({why})",
                file=stations_file, row=station.row, field="lon/lat",
                hint="check its coordinates and datum",
            )
    station_nodes = {s.id: int(n) for s, n in zip(scenario.stations, st_nodes)}
    station_snap = {s.id: float(d) for s, d in zip(scenario.stations, st_snap)}

    matrices = {}
    for period in scenario.periods:
        matrices[period] = travel_times(
            network,
            station_nodes,
            {g.id: g.node for g in gates},
            period_factor=params.congestion_for(period),
            cache_dir=cache_dir,
        )
    prepared = Prepared(scenario, network, gates, station_nodes, station_snap, matrices,
                        stand_points(network, gates, params), GateSight.for_cars(scenario.schools, params))

    for period in scenario.periods:
        nearest = prepared.nearest_station_s(period)
        unreachable = [s for s in scenario.schools if period in s.windows and nearest[s.id] > params.reach_limit_s]
        if unreachable:
            listed = "; ".join(f"{s.id} {s.name} (row {s.row})" for s in unreachable[:5])
            more = f" and {len(unreachable) - 5} more" if len(unreachable) > 5 else ""
            raise InputError(
                f"{len(unreachable)} school(s) unreachable from every station within "
                f"{params.reach_limit_s // 60} min in the {period}: {listed}{more}",
                file=schools_file, field="lon/lat",
                hint="add a station that serves them, check their coordinates, or raise reach_limit_s",
            )
    for warning in datum_warnings(scenario, network):
        log.warning(warning)
    log.info("prepared %d gates, %d stations on %d nodes", len(gates), len(station_nodes), network.n_nodes)
    return prepared


def stand_points(network: RoadNetwork, gates, params) -> dict[str, StandPoint]:
    """School id → where a patrol car stops for it: the drive node nearest to any of its gates,
    when that node lies within ``car_sight_m`` of the gate (straight line). A school with no such
    node is left out: no patrol stop can show it a car, and the plan says so."""
    best: dict[str, GateRef] = {}
    for gate in gates:
        if gate.school_id not in best or gate.snap_m < best[gate.school_id].snap_m:
            best[gate.school_id] = gate
    out = {}
    for school_id, gate in best.items():
        if car_in_sight(gate.snap_m, params):
            out[school_id] = StandPoint(school_id, gate.gate_index, gate.node,
                                        round(float(network.drive.lon[gate.node]), 6),
                                        round(float(network.drive.lat[gate.node]), 6), round(gate.snap_m, 1))
    return out


def _why_far(network: RoadNetwork, lon, lat, max_snap_m: float) -> list[str]:
    """Why a point did not snap: a road or path is near but outside the drive network, or none is."""
    _, walk_m = snap(network, np.asarray(lon, dtype=float), np.asarray(lat, dtype=float), graph="walk")
    return [f"a road or path {m:.0f} m away is not in the drive network (service or private road, a one-way "
            f"street cut off by the map's edge, or not connected)" if m <= max_snap_m
            else f"no road or path within {max_snap_m:.0f} m" for m in walk_m]


#: The address check judges a school list only on at least this many schools whose address (or
#: name) names a road of the network that lies within :data:`NAMED_ROAD_REACH_M` in one reading.
NAMED_ROAD_MIN_SCHOOLS = 5

#: A school whose named road lies farther than this, in metres, in both readings says nothing about
#: the datum (that stretch of the road is off the map, or another road has the same name).
NAMED_ROAD_REACH_M = 1000.0


def datum_warnings(scenario: Scenario, network: RoadNetwork) -> list[str]:
    """A warning per input file whose points fit the roads clearly better in another datum.

    Inside China, a school list from Amap or Tencent is GCJ-02, 100–700 m off the WGS-84 roads of
    OpenStreetMap; loaded as WGS-84 every school lands off its gate without an error. Each file's
    points are taken as declared and as if their numbers were in the other datum (GCJ-02 for a
    file declared WGS-84; WGS-84 for one declared GCJ-02 or BD-09), and compared by a median
    distance: a warning names both medians when the other one is under half of the declared one
    and at least 30 m nearer.

    - *Named roads* (schools). In a dense city every point is near some road whichever datum is
      assumed, but not near the road its address names: for each school whose ``address`` (else
      its ``name``) names a road of the network (:class:`~geo_patrol.roadnames.RoadNames`), the
      distance from its nearest gate to that road is measured in both readings. Schools whose named
      road lies farther than :data:`NAMED_ROAD_REACH_M` in both readings are left out; with at
      least :data:`NAMED_ROAD_MIN_SCHOOLS` schools left, their median distances decide.
    - *Nearest node* (stations, and schools without enough named roads). The median distance
      from the points to the nearest drive node; this tells the datums apart where roads are
      sparse, not in a dense street grid.

    :func:`prepare` logs these warnings; when gates lie too far from the roads, its error gives
    the schools' one as the hint.
    """
    return list(_datum_findings(scenario, network).values())


def _datum_findings(scenario: Scenario, network: RoadNetwork) -> dict[str, str]:
    """Input key (``schools``, ``stations``) → its warning of :func:`datum_warnings`."""
    out = {}
    roads = RoadNames.of(network)
    school_of_gate = np.array([i for i, s in enumerate(scenario.schools) for _ in s.gates], dtype=np.int64)
    for key, points in (("schools", [(g.lon, g.lat) for s in scenario.schools for g in s.gates]),
                        ("stations", [(s.lon, s.lat) for s in scenario.stations])):
        declared = scenario.datums.get(key, "wgs84")
        if len(points) < 3:
            continue
        lon, lat = np.array(points, dtype=float).T
        if declared == "wgs84":
            other = "gcj02"
            alt_lon, alt_lat = to_wgs84(lon, lat, "gcj02")
        else:
            other = "wgs84"
            alt_lon, alt_lat = from_wgs84(lon, lat, declared)  # the file's own numbers, read as WGS-84
        name = Path(scenario.input_files[key]).name if key in scenario.input_files else key
        advice = f'declare {key}_datum = "{other}" if that is where the list comes from'
        named = (_named_road_medians(roads, scenario.schools, school_of_gate, (lon, lat), (alt_lon, alt_lat))
                 if key == "schools" else None)
        if named is not None:
            count, m_declared, m_other = named
            log.info("%s: %d schools lie a median %.0f m from the road their address names as %s, %.0f m as %s",
                     name, count, m_declared, declared.upper(), m_other, other.upper())
            if _clearly_nearer(m_other, m_declared):
                out[key] = (f"{name}: the schools lie much nearer the roads named in their addresses or names, read as "
                            f"{other.upper()} (median {m_other:.0f} m) than as the declared {declared.upper()} "
                            f"({m_declared:.0f} m), over {count} schools — {advice}")
            continue
        _, as_declared = snap(network, lon, lat)
        _, as_other = snap(network, np.asarray(alt_lon), np.asarray(alt_lat))
        m_declared, m_other = float(np.median(as_declared)), float(np.median(as_other))
        if _clearly_nearer(m_other, m_declared):
            out[key] = (f"{name}: the points lie much nearer the roads read as {other.upper()} (median snap "
                        f"{m_other:.0f} m) than as the declared {declared.upper()} ({m_declared:.0f} m) — {advice}")
    return out


def _clearly_nearer(m_other: float, m_declared: float) -> bool:
    """The other reading fits clearly better: under half the declared median and 30 m nearer."""
    return m_other < 0.5 * m_declared and m_declared - m_other >= 30.0


def _named_road_medians(roads: RoadNames, schools, school_of_gate: np.ndarray, declared, other
                        ) -> tuple[int, float, float] | None:
    """(schools judged, median metres to the named road as declared, as the other datum), or None
    when fewer than :data:`NAMED_ROAD_MIN_SCHOOLS` schools can be judged. ``declared`` and
    ``other`` are the (lon, lat) arrays of every gate in the two readings."""
    found = [roads.find(s.address) or roads.find(s.name) for s in schools]
    if sum(bool(f) for f in found) < NAMED_ROAD_MIN_SCHOOLS:
        return None
    per_gate = [found[i] for i in school_of_gate.tolist()]
    distances = []
    for lon, lat in (declared, other):
        per_school = np.full(len(schools), np.nan)
        np.fmin.at(per_school, school_of_gate, roads.distance_m(lon, lat, per_gate))  # the nearest gate
        distances.append(per_school)
    as_declared, as_other = distances
    judged = np.fmin(as_declared, as_other) <= NAMED_ROAD_REACH_M
    if judged.sum() < NAMED_ROAD_MIN_SCHOOLS:
        return None
    return int(judged.sum()), float(np.median(as_declared[judged])), float(np.median(as_other[judged]))
