"""A simulator of what cars and officers did on one day of a plan, with deviations put in on purpose.

For testing the execution audit (督导检查) and its matcher (:mod:`geo_patrol.matching`) on data
whose truth is known. From a plan directory (its ``visits.csv``, ``stations.csv``,
``rosters.csv``, ``posts.csv`` and the congestion factors of ``plan.json``) and the plan's road
network:

- every car with stops leaves its station as late as it can for its first stop, drives the fastest
  path of the period (:class:`~geo_patrol.traveltime.DriveSearch`, node to node), waits at a gate
  when early and stands there from the stop's planned start to its planned end, then drives home
  and stands there until the end of its shift (``routes.geojson``'s start and end); its device
  reports every ``interval_s`` over the shift, with Gaussian noise of ``noise_m`` metres (σ per
  axis), the speed, the heading and the lights (on while on patrol, off at the station);
- every rostered officer checks in (警务通) at the post shortly before the duty and out shortly
  after it, where the post stands (with the same noise).

Deviations, each listed in ``injected.csv`` (kind, vehicle or officer, school or post, planned
and actual times, detail) and chosen by ``seed`` (the same seed gives the same files):
``late_start`` (a car leaves its station late and every stop slides), ``skipped_stop`` (a car
drives past a stop's gate without stopping), ``short_stop`` (it leaves a stop early),
``lights_off`` (lights off during a stop), ``gap`` (the device reports nothing for a while),
``outlier`` (one wild position), ``wrong_datum`` (a car's points exported in GCJ-02 while the file
is declared WGS-84), and for officers ``late_arrival``, ``early_leave``, ``absent`` (no check-in)
and ``no_checkout`` (a blank check-out).

:func:`simulate` returns the rows and the truth (per track point: the arc driven, or the node
stood at); :func:`write_simulation` writes ``tracks.csv`` (the vehicle format of
:mod:`geo_patrol.io.tracks`), ``vehicles.csv`` (plate → station, car id), ``checkins.csv``,
``injected.csv`` and ``truth.csv``. Arcs are driven as straight lines between their nodes.
"""

from __future__ import annotations

import csv
import datetime as dt
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from geo_patrol.clock import format_time
from geo_patrol.datum import from_wgs84
from geo_patrol.geo import LocalMetres
from geo_patrol.io.atomic import write_directory
from geo_patrol.io.plandir import read_plan_rows
from geo_patrol.model import RosterEntry, Stop
from geo_patrol.network import RoadNetwork, snap
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import load_scenario_network
from geo_patrol.traveltime import DriveSearch

__all__ = ["SimulationSettings", "Simulation", "Injected", "simulate", "write_simulation", "plan_network", "plate_of"]

#: What the device says about its lights when the column is written.
LIGHTS_TEXT = {1: "开", 0: "关"}


@dataclass(frozen=True)
class SimulationSettings:
    """How the day is simulated: the date, the device, and how many deviations of each kind."""

    date: str = "2026-09-01"
    interval_s: float = 5.0
    noise_m: float = 5.0
    periods: tuple[str, ...] | None = None
    late_starts: int = 0
    late_start_s: float = 600.0
    skipped_stops: int = 0
    short_stops: int = 0
    short_stop_s: float = 180.0
    lights_off: int = 0
    gaps: int = 0
    gap_s: float = 300.0
    outliers: int = 0
    outlier_m: float = 800.0
    wrong_datum: int = 0
    late_arrivals: int = 0
    late_arrival_s: float = 600.0
    early_leaves: int = 0
    early_leave_s: float = 900.0
    absences: int = 0
    no_checkouts: int = 0

    def __post_init__(self) -> None:
        dt.date.fromisoformat(self.date)
        if not self.interval_s > 0:
            raise ValueError("interval_s must be > 0")
        if self.noise_m < 0:
            raise ValueError("noise_m must be ≥ 0")


@dataclass(frozen=True)
class Injected:
    """One deviation put in on purpose (a row of ``injected.csv``)."""

    kind: str
    subject: str  # vehicle plate or officer id
    car_id: str
    period: str
    school_id: str
    post_id: str
    planned_start_s: float | None
    planned_end_s: float | None
    actual_start_s: float | None
    actual_end_s: float | None
    detail: str = ""


@dataclass(frozen=True)
class Simulation:
    """Simulated rows and the truth behind them.

    ``tracks`` holds per plate a dict of arrays (``time_s``, ``lon``, ``lat`` as exported,
    ``speed_kph``, ``heading_deg``, ``lights``, ``arc`` driven (−1 standing), ``node`` stood at
    (−1 driving), ``true_lon``/``true_lat``); ``vehicles`` plate → (station, car id);
    ``checkins`` rows as dicts; ``stands`` per plate its ``(node, from_s, to_s, school_id)`` stops
    as driven (station stands have school ``""``).
    """

    date: str
    tracks: Mapping[str, Mapping[str, np.ndarray]]
    vehicles: Mapping[str, tuple[str, str]]
    checkins: tuple[Mapping[str, Any], ...]
    injected: tuple[Injected, ...]
    stands: Mapping[str, tuple[tuple[int, float, float, str], ...]] = field(default_factory=dict)

    @property
    def n_points(self) -> int:
        return int(sum(len(t["time_s"]) for t in self.tracks.values()))


def plan_network(plan_dir: str | Path) -> RoadNetwork:
    """The road network of the scenario a plan directory was made from (``plan.json``'s source)."""
    meta = read_plan_rows(Path(plan_dir))["meta"]
    source = meta.get("scenario", {}).get("source")
    scenario = Scenario.from_toml(source) if source else Scenario.demo()
    return load_scenario_network(scenario)


def plate_of(car_id: str) -> str:
    """The simulated plate of a plan car (``PS01/2`` → ``鄂A·PS012警``)."""
    station, _, k = car_id.partition("/")
    return f"鄂A·{station}{k}警"


# --------------------------------------------------------------------------- cars


@dataclass
class _Plan:
    stops: list[Stop]
    start_s: float
    end_s: float


def _car_plans(rows: Mapping[str, Any], periods: Sequence[str]) -> dict[tuple[str, str], _Plan]:
    shifts = {(r.vehicle_id, r.period): (r.start_s, r.end_s) for r in rows["routes"]}
    out: dict[tuple[str, str], _Plan] = {}
    for stop in sorted(rows["visits"], key=lambda s: (s.vehicle_id, s.period, s.arrive_s, s.seq)):
        if stop.period not in periods:
            continue
        key = (stop.vehicle_id, stop.period)
        if key not in out:
            start, end = shifts.get(key, (stop.arrive_s - 1800, stop.depart_s + 1800))
            out[key] = _Plan([], float(start), float(end))
        out[key].stops.append(stop)
    return out


class _Driver:
    """Itinerary pieces of one car and period: stands (node, from, to) and drives (node rows with
    the time at each)."""

    def __init__(self, network: RoadNetwork, search: DriveSearch, weights: np.ndarray) -> None:
        self.network = network
        self.search = search
        self.weights = weights
        self.cache: dict[tuple[int, int], tuple[np.ndarray, np.ndarray]] = {}

    def path(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        if (a, b) not in self.cache:
            if a == b:
                self.cache[(a, b)] = (np.array([a]), np.array([0.0]))
            else:
                rows, secs = self.search.paths([(a, b)])[0]
                if not np.isfinite(secs[-1]):
                    rows, secs = np.array([a, b]), np.array([0.0, 0.0])
                self.cache[(a, b)] = (np.asarray(rows), np.asarray(secs, dtype=float))
        return self.cache[(a, b)]

    def arc(self, u: int, v: int) -> int:
        arr = self.network.drive
        lo, hi = int(arr.indptr[u]), int(arr.indptr[u + 1])
        cand = lo + np.flatnonzero(arr.edge_v[lo:hi] == v)
        return int(cand[np.argmin(self.weights[cand])]) if cand.size else -1


def _sample_car(driver: _Driver, pieces: list[tuple], clock: np.ndarray) -> dict[str, np.ndarray]:
    """Positions at the clock times along the itinerary ``pieces`` (``("stand", node, t0, t1)`` and
    ``("drive", rows, times)``), with the arc driven or the node stood at."""
    arr = driver.network.drive
    # an itinerary as a list of (time, node) breakpoints with the arc of each interval
    times: list[float] = []
    nodes: list[int] = []
    arcs: list[int] = []  # arc of the interval that starts at this breakpoint (−1 standing)
    for piece in pieces:
        if piece[0] == "stand":
            _, node, t0, t1 = piece
            times += [t0, t1]
            nodes += [node, node]
            arcs += [-1, -1]
        else:
            _, rows, secs = piece
            for k in range(len(rows)):
                times.append(float(secs[k]))
                nodes.append(int(rows[k]))
                arcs.append(driver.arc(int(rows[k]), int(rows[k + 1])) if k + 1 < len(rows) else -1)
    t = np.asarray(times)
    nd = np.asarray(nodes, dtype=np.int64)
    ac = np.asarray(arcs, dtype=np.int64)
    k = np.clip(np.searchsorted(t, clock, side="right") - 1, 0, t.size - 1)
    k2 = np.minimum(k + 1, t.size - 1)
    span = t[k2] - t[k]
    w = np.where(span > 0, np.clip((clock - t[k]) / np.where(span > 0, span, 1.0), 0.0, 1.0), 0.0)
    moving = (ac[k] >= 0) & (span > 0) & (nd[k] != nd[k2])
    lon = arr.lon[nd[k]] + w * (arr.lon[nd[k2]] - arr.lon[nd[k]])
    lat = arr.lat[nd[k]] + w * (arr.lat[nd[k2]] - arr.lat[nd[k]])
    arc = np.where(moving, ac[k], -1)
    # standing: the nearer node of the interval
    node = np.where(moving, -1, np.where(w < 0.5, nd[k], nd[k2]))
    speed = np.where(moving, arr.length_m[np.maximum(arc, 0)] / np.maximum(span, 1e-9) * 3.6, 0.0)
    proj = LocalMetres(float(np.mean(arr.lon)), float(np.mean(arr.lat)))
    dx = (arr.lon[nd[k2]] - arr.lon[nd[k]]) * proj.kx
    dy = (arr.lat[nd[k2]] - arr.lat[nd[k]]) * proj.ky
    heading = np.where(moving, np.degrees(np.arctan2(dx, dy)) % 360.0, np.nan)
    return {"time_s": clock, "true_lon": lon, "true_lat": lat, "arc": arc, "node": node, "speed_kph": speed,
            "heading_deg": heading}


def simulate(plan_dir: str | Path, network: RoadNetwork | None = None, settings: SimulationSettings | None = None,
             *, seed: int = 1) -> Simulation:
    """Simulate one day of the plan in ``plan_dir`` (see the module docstring); ``network`` is the
    plan's road network (default: loaded from the scenario named in ``plan.json``)."""
    cfg = settings or SimulationSettings()
    rows = read_plan_rows(Path(plan_dir))
    net = network if network is not None else plan_network(plan_dir)
    rng = np.random.default_rng(seed)
    meta = rows["meta"]
    periods = tuple(cfg.periods or meta["summary"]["periods"])
    congestion = meta.get("parameters", {}).get("congestion", {}) or {}
    stations = {s.station_id: s for s in rows["stations"]}
    station_nodes = {}
    if stations:
        ids = sorted(stations)
        found, _ = snap(net, [stations[i].lon for i in ids], [stations[i].lat for i in ids])
        station_nodes = dict(zip(ids, found.tolist()))
    plans = _car_plans(rows, periods)
    stop_lon = [s.stop_lon for p in plans.values() for s in p.stops]
    stop_lat = [s.stop_lat for p in plans.values() for s in p.stops]
    stop_nodes = iter(snap(net, stop_lon, stop_lat)[0].tolist() if stop_lon else [])
    node_of = {id(s): next(stop_nodes) for p in plans.values() for s in p.stops}
    injected: list[Injected] = []
    keys = sorted(plans)
    cars = sorted({car for car, _ in keys})

    def pick(count: int, pool: Sequence[Any]) -> list[Any]:
        if count <= 0 or not pool:
            return []
        chosen = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
        return [pool[int(i)] for i in sorted(chosen)]

    late = set(pick(cfg.late_starts, keys))
    all_stops = [(key, k) for key in keys for k in range(len(plans[key].stops))]
    skipped = set(pick(cfg.skipped_stops, all_stops))
    short = set(pick(cfg.short_stops, [s for s in all_stops if s not in skipped]))
    dark = set(pick(cfg.lights_off, [s for s in all_stops if s not in skipped]))
    wrong = set(pick(cfg.wrong_datum, cars))
    gap_keys = pick(cfg.gaps, keys)
    outlier_keys = pick(cfg.outliers, keys)
    drivers: dict[str, _Driver] = {}
    per_car: dict[str, list[dict[str, np.ndarray]]] = {}
    stands: dict[str, list[tuple[int, float, float, str]]] = {}
    for key in keys:
        car, period = key
        plan = plans[key]
        if period not in drivers:
            factor = congestion.get(period, 1.0)
            drivers[period] = _Driver(net, DriveSearch(net, factor), net.edge_travel_time_s(factor))
        driver = drivers[period]
        station = plan.stops[0].station_id
        home = station_nodes[station]
        plate = plate_of(car)
        pieces: list[tuple] = []
        own_stands: list[tuple[int, float, float, str]] = []
        visiting = [(k, s) for k, s in enumerate(plan.stops) if (key, k) not in skipped]
        for k, s in enumerate(plan.stops):
            if (key, k) in skipped:
                injected.append(Injected("skipped_stop", plate, car, period, s.school_id, "", s.arrive_s, s.depart_s,
                                         None, None, "drove on without stopping"))
        route = [home] + [node_of[id(s)] for _, s in visiting] + [home]
        first_rows, first_secs = driver.path(route[0], route[1])
        leave = (visiting[0][1].arrive_s if visiting else plan.start_s) - float(first_secs[-1])
        leave = max(leave, plan.start_s)
        if key in late:
            planned_leave = leave
            leave += cfg.late_start_s
            injected.append(Injected("late_start", plate, car, period, visiting[0][1].school_id if visiting else "",
                                     "", planned_leave, None, leave, None,
                                     f"left the station {cfg.late_start_s / 60:g} min late"))
        pieces.append(("stand", home, plan.start_s, leave))
        own_stands.append((home, plan.start_s, leave, ""))
        t = leave
        for leg, (k, s) in enumerate(visiting):
            rows_, secs = driver.path(route[leg], route[leg + 1])
            pieces.append(("drive", rows_, t + secs))
            t = t + float(secs[-1])
            if t < s.arrive_s + 1.0 and key not in late:
                t = min(t, float(s.arrive_s))  # the plan's times are whole seconds: not late
            arrive = max(t, float(s.arrive_s))
            dwell = float(s.depart_s - s.arrive_s)
            depart = max(float(s.depart_s), arrive + dwell) if key in late else float(s.depart_s)
            if (key, k) in short:
                depart = arrive + max(dwell - cfg.short_stop_s, 0.0)
                injected.append(Injected("short_stop", plate, car, period, s.school_id, "", s.arrive_s, s.depart_s,
                                         arrive, depart, f"left {cfg.short_stop_s / 60:g} min early"))
            pieces.append(("stand", route[leg + 1], t, depart))
            own_stands.append((route[leg + 1], arrive, depart, s.school_id))
            if (key, k) in dark:
                injected.append(Injected("lights_off", plate, car, period, s.school_id, "", s.arrive_s, s.depart_s,
                                         arrive, depart, "lights off during the stop"))
            t = depart
        rows_, secs = driver.path(route[-2], route[-1])
        pieces.append(("drive", rows_, t + secs))
        t = t + float(secs[-1])
        end = max(plan.end_s, t)
        pieces.append(("stand", home, t, end))
        own_stands.append((home, t, end, ""))
        phase = float(rng.uniform(0, cfg.interval_s))
        clock = np.arange(plan.start_s + phase, end, cfg.interval_s)
        sample = _sample_car(driver, pieces, clock)
        lights = np.ones(clock.size)
        for _node, t0, t1, school in own_stands:
            if not school:
                lights[(clock >= t0) & (clock <= t1)] = 0.0
        for (dkey, k) in dark:
            if dkey == key:
                for _node, t0, t1, school in own_stands:
                    if school == plan.stops[k].school_id:
                        lights[(clock >= t0) & (clock <= t1)] = 0.0
        sample["lights"] = lights
        keep = np.ones(clock.size, dtype=bool)
        if key in gap_keys and clock.size > 10:
            start = float(rng.uniform(clock[0], max(clock[0], clock[-1] - cfg.gap_s)))
            keep &= ~((clock >= start) & (clock < start + cfg.gap_s))
            injected.append(Injected("gap", plate, car, period, "", "", None, None, start, start + cfg.gap_s,
                                     f"no position for {cfg.gap_s:g} s"))
        sample = {name: a[keep] for name, a in sample.items()}
        per_car.setdefault(plate, []).append(sample)
        stands.setdefault(plate, []).extend(own_stands)
        if key in outlier_keys and keep.sum() > 10:
            per_car[plate][-1]["outlier_at"] = np.array([int(rng.integers(5, int(keep.sum()) - 5))])
    tracks: dict[str, dict[str, np.ndarray]] = {}
    vehicles: dict[str, tuple[str, str]] = {}
    for plate in sorted(per_car):
        parts = per_car[plate]
        outliers = []
        offset = 0
        for part in parts:
            if "outlier_at" in part:
                outliers.append(offset + int(part.pop("outlier_at")[0]))
            offset += part["time_s"].size
        track = {name: np.concatenate([p[name] for p in parts]) for name in parts[0]}
        order = np.argsort(track["time_s"], kind="stable")
        track = {name: a[order] for name, a in track.items()}
        n = track["time_s"].size
        proj = LocalMetres(float(np.mean(track["true_lon"])), float(np.mean(track["true_lat"])))
        noise = rng.normal(0.0, cfg.noise_m, size=(n, 2)) if cfg.noise_m > 0 else np.zeros((n, 2))
        lon = track["true_lon"] + noise[:, 0] / proj.kx
        lat = track["true_lat"] + noise[:, 1] / proj.ky
        for k in outliers:
            where = int(np.flatnonzero(order == k)[0])
            angle = float(rng.uniform(0, 2 * math.pi))
            lon[where] += cfg.outlier_m * math.cos(angle) / proj.kx
            lat[where] += cfg.outlier_m * math.sin(angle) / proj.ky
            car = next(c for c in cars if plate_of(c) == plate)
            injected.append(Injected("outlier", plate, car, "", "", "", None, None, float(track["time_s"][where]),
                                     float(track["time_s"][where]), f"one position {cfg.outlier_m:g} m off"))
        car = next(c for c in cars if plate_of(c) == plate)
        if car in wrong:
            lon, lat = (np.asarray(a, dtype=float) for a in from_wgs84(lon, lat, "gcj02"))
            injected.append(Injected("wrong_datum", plate, car, "", "", "", None, None, None, None,
                                     "exported in GCJ-02, declared WGS-84"))
        track["lon"], track["lat"] = lon, lat
        tracks[plate] = track
        vehicles[plate] = (car.partition("/")[0], car)
    checkins = _checkins(rows, periods, cfg, rng, injected)
    injected.sort(key=lambda r: (r.kind, r.subject, r.period, r.planned_start_s or -1.0, r.actual_start_s or -1.0))
    return Simulation(cfg.date, tracks, vehicles, tuple(checkins), tuple(injected),
                      {p: tuple(s) for p, s in stands.items()})


def _checkins(rows: Mapping[str, Any], periods: Sequence[str], cfg: SimulationSettings, rng: np.random.Generator,
              injected: list[Injected]) -> list[dict[str, Any]]:
    posts = {(p.post_id, p.period): p for p in rows["posts"]}
    roster: list[RosterEntry] = sorted((r for r in rows["roster"] if r.period in periods),
                                       key=lambda r: (r.period, r.start_s, r.post_id, r.officer))
    pool = list(range(len(roster)))

    def pick(count: int) -> set[int]:
        if count <= 0 or not pool:
            return set()
        chosen = rng.choice(len(pool), size=min(count, len(pool)), replace=False)
        out = {pool[int(i)] for i in chosen}
        for i in out:
            pool.remove(i)
        return out

    absent, late, early, no_out = pick(cfg.absences), pick(cfg.late_arrivals), pick(cfg.early_leaves), \
        pick(cfg.no_checkouts)
    out = []
    for k, r in enumerate(roster):
        post = posts.get((r.post_id, r.period))
        t_in = r.start_s - float(rng.uniform(60, 300))
        t_out = r.end_s + float(rng.uniform(0, 180))
        if k in absent:
            injected.append(Injected("absent", r.officer, "", r.period, "", r.post_id, r.start_s, r.end_s, None, None,
                                     "no check-in"))
            continue
        if k in late:
            t_in = r.start_s + cfg.late_arrival_s
            injected.append(Injected("late_arrival", r.officer, "", r.period, "", r.post_id, r.start_s, r.end_s, t_in,
                                     None, f"checked in {cfg.late_arrival_s / 60:g} min late"))
        if k in early:
            t_out = r.end_s - cfg.early_leave_s
            injected.append(Injected("early_leave", r.officer, "", r.period, "", r.post_id, r.start_s, r.end_s, None,
                                     t_out, f"checked out {cfg.early_leave_s / 60:g} min early"))
        if k in no_out:
            t_out = None
            injected.append(Injected("no_checkout", r.officer, "", r.period, "", r.post_id, r.start_s, r.end_s, None,
                                     None, "no check-out recorded"))
        lon = lat = None
        if post is not None:
            proj = LocalMetres(post.lon, post.lat)
            noise = rng.normal(0.0, cfg.noise_m, size=2) if cfg.noise_m > 0 else np.zeros(2)
            lon, lat = post.lon + noise[0] / proj.kx, post.lat + noise[1] / proj.ky
        out.append({"officer": r.officer, "post_id": r.post_id, "date": cfg.date, "time_in": t_in, "time_out": t_out,
                    "lon": lon, "lat": lat})
    return out


# --------------------------------------------------------------------------- files


def _clock(seconds: float | None) -> str:
    return "" if seconds is None else format_time(int(math.floor(seconds)))


def _stamp(day: dt.date, seconds: float) -> str:
    whole = int(math.floor(seconds))
    return f"{(day + dt.timedelta(days=whole // 86400)).isoformat()} {format_time(whole % 86400)}"


def write_simulation(sim: Simulation, out_dir: str | Path, *, force: bool = False) -> Path:
    """Write ``tracks.csv``, ``vehicles.csv``, ``checkins.csv``, ``injected.csv`` and ``truth.csv``
    (UTF-8 with BOM) into ``out_dir``, replaced whole."""
    day = dt.date.fromisoformat(sim.date)

    def table(path: Path, header: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        with path.open("w", encoding="utf-8-sig", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(rows)

    def fill(folder: Path) -> None:
        track_rows, truth_rows = [], []
        for plate, t in sim.tracks.items():
            for k in range(t["time_s"].size):
                heading = t["heading_deg"][k]
                track_rows.append([plate, _stamp(day, t["time_s"][k]), f"{t['lon'][k]:.6f}", f"{t['lat'][k]:.6f}",
                                   f"{t['speed_kph'][k]:.1f}", "" if np.isnan(heading) else f"{heading:.0f}",
                                   LIGHTS_TEXT[int(t["lights"][k])]])
                truth_rows.append([plate, _stamp(day, t["time_s"][k]), int(t["arc"][k]), int(t["node"][k]),
                                   f"{t['true_lon'][k]:.7f}", f"{t['true_lat'][k]:.7f}"])
        table(folder / "tracks.csv", ["车牌号", "定位时间", "经度", "纬度", "速度", "方向", "警灯"], track_rows)
        table(folder / "truth.csv", ["vehicle", "time", "arc", "node", "lon", "lat"], truth_rows)
        table(folder / "vehicles.csv", ["车牌号", "所属派出所", "车辆编号"],
              [[plate, station, car] for plate, (station, car) in sim.vehicles.items()])
        table(folder / "checkins.csv", ["警员编号", "岗点编号", "日期", "签到时间", "签退时间", "经度", "纬度"],
              [[c["officer"], c["post_id"], c["date"], _clock(c["time_in"]), _clock(c["time_out"]),
                "" if c["lon"] is None else f"{c['lon']:.6f}", "" if c["lat"] is None else f"{c['lat']:.6f}"]
               for c in sim.checkins])
        table(folder / "injected.csv", ["kind", "subject", "car_id", "period", "school_id", "post_id",
                                        "planned_start", "planned_end", "actual_start", "actual_end", "detail"],
              [[r.kind, r.subject, r.car_id, r.period, r.school_id, r.post_id, _clock(r.planned_start_s),
                _clock(r.planned_end_s), _clock(r.actual_start_s), _clock(r.actual_end_s), r.detail]
               for r in sim.injected])

    return write_directory(Path(out_dir), fill, force=force)
