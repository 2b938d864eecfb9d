"""The scenario: everything a plan is made from.

A :class:`Scenario` holds the schools, the police stations, optional candidate post sites, where
the road network comes from, and the planning :class:`Parameters`. Load one from a scenario file
with :meth:`Scenario.from_toml`, take the embedded demo with :meth:`Scenario.demo`, or build one in
Python and vary it with :func:`dataclasses.replace`.

Scenario file (TOML; paths are relative to the file)::

    [scenario]
    name = "示范县"
    seed = 20260901

    [inputs]
    schools = "schools.csv"        # CSV, XLSX, GeoJSON or GeoPackage
    schools_datum = "wgs84"         # wgs84 | gcj02 (Amap, Tencent) | bd09 (Baidu)
    stations = "stations.csv"
    stations_datum = "wgs84"
    sites = "sites.csv"             # optional candidate post sites
    network = "roads.osm.gz"        # .osm .osm.gz .osm.bz2 .osm.pbf .graphml
    # instead of a file, with internet:  [inputs.download]  place = "..."  or  bbox = [w, s, e, n]

    [parameters]                    # every key optional, defaults below
    post_radius_m = 150

    [parameters.speed_kph]          # free-flow speed overrides by OSM highway class
    [parameters.congestion]         # peak travel-time factor per period
"""

from __future__ import annotations

import dataclasses
import functools
import math
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping

from geo_patrol.clock import Window
from geo_patrol.errors import InputError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

#: The school-run periods geo_patrol plans, in clock order.
PERIODS = ("morning", "noon", "afternoon")

#: School kinds; the loaders map Chinese names onto these.
KINDS = ("kindergarten", "primary", "middle", "nine_year", "high", "special")


@dataclass(frozen=True)
class Gate:
    """A school gate, WGS-84 degrees."""

    lon: float
    lat: float


@dataclass(frozen=True)
class School:
    """A school with its gates and its own clock windows per period.

    ``windows`` maps a period name (see :data:`PERIODS`) to the school-run :class:`Window`
    of that period (morning arrival, noon, afternoon dismissal); seconds after midnight.
    ``car_visits`` asks for more (or fewer) car sightings per window than the scenario's
    ``visits_per_window`` — a big school on a busy road may want two.
    """

    id: str
    name: str
    kind: str
    enrolment: int
    gates: tuple[Gate, ...]
    windows: Mapping[str, Window]
    priority: int = 3
    requires_post: bool = False
    forbid_post: bool = False
    profile: str | None = None
    station_id: str | None = None
    car_visits: int | None = None
    row: int | None = None

    @property
    def lon(self) -> float:
        return self.gates[0].lon

    @property
    def lat(self) -> float:
        return self.gates[0].lat


@dataclass(frozen=True)
class Station:
    """A police station (派出所) with its officers and patrol cars; WGS-84 degrees."""

    id: str
    name: str
    lon: float
    lat: float
    police: int
    auxiliary: int
    cars: int
    row: int | None = None


@dataclass(frozen=True)
class Site:
    """A candidate duty-post site; ``existing`` is a kiosk or post that already stands."""

    id: str
    lon: float
    lat: float
    existing: bool = False
    name: str = ""
    row: int | None = None


@dataclass(frozen=True)
class NetworkSource:
    """Where the road network comes from: a file, or a download (place name or bbox)."""

    path: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None

    def describe(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self.place is not None:
            return f"download: {self.place}"
        return f"download: bbox {self.bbox}"


DEFAULT_CONGESTION: Mapping[str, float] = {"morning": 1.6, "noon": 1.2, "afternoon": 1.5}


@dataclass(frozen=True)
class Parameters:
    """Planning parameters. Units are in the names; times of day are seconds after midnight.

    Defaults, and where they come from:

    - ``post_radius_m`` 150: a post is seen at a gate within 150 m walking distance.
    - ``dwell_s`` 300: a patrol stop lasts 5 minutes, lights on, an officer out.
    - ``visits_per_window`` 1 and ``min_gap_s`` 900: patrol stops per school and window, and the
      least time between their starts.
    - ``response_target_s`` 180: the "135" mechanism's 3 minutes to the scene.
    - ``second_unit_s`` 300: the "135" mechanism's 5 minutes for reinforcement.
    - ``max_snap_m`` 300: a gate or station farther than this from the drive network is an error.
    - ``reach_limit_s`` 3600: a school no station reaches within this drive time is an error.
    - ``police_per_post`` 1, ``auxiliary_per_post`` 1: the seed formula "1 police, 1 auxiliary".
    - ``duty_lead_s`` 600, ``duty_lag_s`` 300: a post is staffed 10 min before the first window it
      serves until 5 min after the last.
    - ``shift_lead_s`` 1800, ``shift_lag_s`` 1800: a patrol car is out 30 min before the period's
      earliest window until 30 min after its latest.
    - ``max_drive_s`` None: optional cap on a car's drive time per period.
    - ``target_profile`` "basic" and ``officer_presence_pct`` 80: what "three sightings" demands.
    - ``speed_kph``: free-flow speed overrides per OSM highway class (defaults in
      :data:`geo_patrol.network.DEFAULT_SPEED_KPH`).
    - ``congestion``: travel-time factor per period, a number or a table class → number with a
      ``default`` key (morning 1.6, noon 1.2, afternoon 1.5).
    """

    post_radius_m: float = 150.0
    dwell_s: int = 300
    visits_per_window: int = 1
    min_gap_s: int = 900
    response_target_s: int = 180
    second_unit_s: int = 300
    max_snap_m: float = 300.0
    reach_limit_s: int = 3600
    police_per_post: int = 1
    auxiliary_per_post: int = 1
    duty_lead_s: int = 600
    duty_lag_s: int = 300
    shift_lead_s: int = 1800
    shift_lag_s: int = 1800
    max_drive_s: int | None = None
    target_profile: str = "basic"
    officer_presence_pct: float = 80.0
    speed_kph: Mapping[str, float] = field(default_factory=dict)
    congestion: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_CONGESTION))

    def congestion_for(self, period: str) -> float | Mapping[str, float]:
        """Travel-time factor (or class → factor table) for ``period``; 1.0 when not given."""
        return self.congestion.get(period, 1.0)

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, file: str | Path | None = None) -> "Parameters":
        """Build from a ``[parameters]`` table, checking names, types and ranges."""
        known = {f.name: f for f in dataclasses.fields(cls)}
        kwargs: dict[str, Any] = {}
        for key, value in values.items():
            if key not in known:
                raise InputError(
                    f"unknown parameter '{key}'",
                    file=file,
                    field=f"parameters.{key}",
                    hint="known parameters: " + ", ".join(sorted(known)),
                )
            kwargs[key] = _check_parameter(key, value, file)
        if "congestion" in kwargs:
            kwargs["congestion"] = {**DEFAULT_CONGESTION, **kwargs["congestion"]}
        return cls(**kwargs)


_INT_PARAMS = {
    "dwell_s", "visits_per_window", "min_gap_s", "response_target_s", "second_unit_s",
    "reach_limit_s", "police_per_post", "auxiliary_per_post", "duty_lead_s", "duty_lag_s",
    "shift_lead_s", "shift_lag_s", "max_drive_s",
}
_FLOAT_PARAMS = {"post_radius_m", "max_snap_m", "officer_presence_pct"}


def _check_parameter(key: str, value: Any, file: str | Path | None) -> Any:
    where = {"file": file, "field": f"parameters.{key}"}
    if key in _INT_PARAMS or key in _FLOAT_PARAMS:
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise InputError(f"'{value}' is not a number", hint="write a plain number", **where)
        if value < 0:
            raise InputError(f"{value} is negative", hint="use a number ≥ 0", **where)
        if key in {"visits_per_window"} and value < 1:
            raise InputError(f"{value} is below 1", hint="use a whole number ≥ 1", **where)
        if key == "officer_presence_pct" and value > 100:
            raise InputError(f"{value} is above 100", hint="use a percentage 0–100", **where)
        return int(value) if key in _INT_PARAMS else float(value)
    if key == "target_profile":
        if value not in ("basic", "strict"):
            raise InputError(f"'{value}' is not a target profile", hint="use basic or strict", **where)
        return value
    if key == "speed_kph":
        if not isinstance(value, Mapping):
            raise InputError("must be a table of road class = km/h", **where)
        for cls_name, speed in value.items():
            if isinstance(speed, bool) or not isinstance(speed, (int, float)) or speed <= 0:
                raise InputError(f"speed for '{cls_name}' must be a positive number", **where)
        return {str(k): float(v) for k, v in value.items()}
    if key == "congestion":
        if not isinstance(value, Mapping):
            raise InputError("must be a table of period = factor", **where)
        out: dict[str, Any] = {}
        for period, factor in value.items():
            if period not in PERIODS:
                raise InputError(f"unknown period '{period}'", hint="use " + ", ".join(PERIODS), **where)
            items = factor.items() if isinstance(factor, Mapping) else [("", factor)]
            for cls_name, number in items:
                if isinstance(number, bool) or not isinstance(number, (int, float)) or number < 1:
                    raise InputError(
                        f"factor {number!r} for {period} {cls_name}".rstrip() + " is not a number ≥ 1",
                        hint="peak traffic can only slow cars down: use 1.0 or more",
                        **where,
                    )
            out[period] = {str(k): float(v) for k, v in factor.items()} if isinstance(factor, Mapping) else float(factor)
        return out
    raise AssertionError(key)  # pragma: no cover - every field is handled above


@dataclass(frozen=True)
class Scenario:
    """Schools, stations, candidate sites, the road network source and the parameters."""

    name: str
    schools: tuple[School, ...]
    stations: tuple[Station, ...]
    network: NetworkSource
    parameters: Parameters = field(default_factory=Parameters)
    sites: tuple[Site, ...] = ()
    seed: int = 0
    source: Path | None = None
    input_files: Mapping[str, Path] = field(default_factory=dict)

    @property
    def periods(self) -> tuple[str, ...]:
        """The periods at least one school has a window in, in clock order."""
        return tuple(p for p in PERIODS if any(p in s.windows for s in self.schools))

    @functools.cached_property
    def _school_index(self) -> dict[str, School]:
        return {school.id: school for school in self.schools}

    def school(self, school_id: str) -> School:
        return self._school_index[school_id]

    def station(self, station_id: str) -> Station:
        for station in self.stations:
            if station.id == station_id:
                return station
        raise KeyError(station_id)

    @classmethod
    def from_toml(cls, path: str | Path) -> "Scenario":
        """Load a scenario file and the input files it names (see the module docstring)."""
        from geo_patrol.inputs import read_schools, read_sites, read_stations

        path = Path(path)
        if not path.is_file():
            raise InputError("scenario file not found", file=path, hint="check the path")
        try:
            config = tomllib.loads(path.read_text(encoding="utf-8"))
        except UnicodeDecodeError:
            raise InputError("scenario file is not UTF-8 text", file=path, hint="save it as UTF-8") from None
        except tomllib.TOMLDecodeError as exc:
            raise InputError(f"not valid TOML ({exc})", file=path, hint="fix the syntax") from None
        unknown = set(config) - {"scenario", "inputs", "parameters"}
        if unknown:
            raise InputError(
                f"unknown table [{sorted(unknown)[0]}]", file=path, hint="use [scenario], [inputs], [parameters]"
            )
        meta = config.get("scenario", {})
        inputs = config.get("inputs", {})
        base = path.parent

        def input_path(key: str, *, required: bool) -> Path | None:
            value = inputs.get(key)
            if value is None:
                if required:
                    raise InputError(
                        f"[inputs] has no '{key}'", file=path, field=f"inputs.{key}",
                        hint=f"add {key} = \"your_{key}_file\"",
                    )
                return None
            return (base / str(value)).resolve() if not Path(str(value)).is_absolute() else Path(str(value))

        files: dict[str, Path] = {}
        schools_path = input_path("schools", required=True)
        stations_path = input_path("stations", required=True)
        sites_path = input_path("sites", required=False)
        files["schools"], files["stations"] = schools_path, stations_path
        schools = read_schools(schools_path, datum=inputs.get("schools_datum", "wgs84"))
        stations = read_stations(stations_path, datum=inputs.get("stations_datum", "wgs84"))
        sites: tuple[Site, ...] = ()
        if sites_path is not None:
            files["sites"] = sites_path
            sites = read_sites(sites_path, datum=inputs.get("sites_datum", "wgs84"))

        download = inputs.get("download")
        if "network" in inputs:
            network = NetworkSource(path=input_path("network", required=True))
            files["network"] = network.path
        elif isinstance(download, Mapping) and ("place" in download or "bbox" in download):
            bbox = download.get("bbox")
            network = NetworkSource(place=download.get("place"), bbox=tuple(bbox) if bbox else None)
        else:
            raise InputError(
                "[inputs] names no road network", file=path, field="inputs.network",
                hint="add network = \"roads.osm.pbf\" (or [inputs.download] place = \"...\")",
            )
        parameters = Parameters.from_mapping(config.get("parameters", {}), file=path)
        seed = meta.get("seed", 0)
        if isinstance(seed, bool) or not isinstance(seed, int):
            raise InputError(f"seed '{seed}' is not a whole number", file=path, field="scenario.seed")
        scenario = cls(
            name=str(meta.get("name", path.stem)),
            schools=schools,
            stations=stations,
            sites=sites,
            network=network,
            parameters=parameters,
            seed=seed,
            source=path.resolve(),
            input_files=files,
        )
        check_scenario(scenario)
        return scenario

    @classmethod
    def demo(cls) -> "Scenario":
        """The embedded demo county (see ``data/demo/README.md``)."""
        return cls.from_toml(demo_scenario_path())


def share_out(total: int | None, own: list[int]) -> list[int]:
    """Share a county total over the stations in proportion to their own numbers.

    ``None`` keeps the stations' own numbers. Largest remainder first (ties to the earlier
    station), so the shares add up to ``total``; stations that all have none share it evenly.
    What-if runs use it for ``--police``, ``--auxiliary`` and ``--cars``.
    """
    if total is None:
        return list(own)
    weights = own if sum(own) else [1] * len(own)
    base = sum(weights)
    if base == 0:
        return []
    raw = [total * w / base for w in weights]
    out = [int(math.floor(r)) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


def demo_scenario_path() -> Path:
    """Path of the demo scenario file.

    In a source checkout that is ``data/demo/scenario.toml``; an installed package without the
    checkout generates the same files (deterministic by seed) into ``~/.cache/geo_patrol/demo``.
    """
    in_checkout = Path(__file__).resolve().parents[1] / "data" / "demo" / "scenario.toml"
    if in_checkout.is_file():
        return in_checkout
    from geo_patrol.demo import make_demo

    cache = Path.home() / ".cache" / "geo_patrol" / "demo"
    target = cache / "scenario.toml"
    if not target.is_file():
        return Path(make_demo(cache))
    return target


def check_scenario(scenario: Scenario) -> None:
    """Cross-file checks: station ids referenced by schools exist, at least one station."""
    if not scenario.stations:
        raise InputError(
            "no police station", file=scenario.input_files.get("stations"), hint="add at least one station row"
        )
    station_ids = {s.id for s in scenario.stations}
    for school in scenario.schools:
        if school.station_id is not None and school.station_id not in station_ids:
            raise InputError(
                f"station '{school.station_id}' is not in the stations file",
                file=scenario.input_files.get("schools"),
                row=school.row,
                field="station_id",
                hint="use an id from the stations file or leave it empty",
            )
