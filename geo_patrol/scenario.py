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
import sys
import zoneinfo
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from geo_patrol.datum import normalise_datum
from geo_patrol.errors import InputError
from geo_patrol.io.tables import read_officers, read_schools, read_sites, read_stations
from geo_patrol.model import PERIODS, NetworkSource, Officer, Parameters, School, Site, Station, unknown_key
from geo_patrol.term import Calendar, DayType, group_weekdays

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

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
    pools: tuple[Station, ...] = ()
    timezone: str = "Asia/Shanghai"
    output_datum: str = "wgs84"
    calendar: Calendar | None = None
    officers: tuple[Officer, ...] = ()
    datums: Mapping[str, str] = field(default_factory=dict)

    @functools.cached_property
    def periods(self) -> tuple[str, ...]:
        """The periods at least one school has a window in, in clock order."""
        return tuple(p for p in PERIODS if any(p in s.windows for s in self.schools))

    @functools.cached_property
    def _school_index(self) -> dict[str, School]:
        return {school.id: school for school in self.schools}

    def school(self, school_id: str) -> School:
        return self._school_index[school_id]

    def station(self, station_id: str) -> Station:
        """A station or pool by id (``KeyError`` when there is none)."""
        for station in self.stations + self.pools:
            if station.id == station_id:
                return station
        raise KeyError(station_id)

    def day_types(self) -> list[DayType]:
        """The weekdays grouped by identical windows of every school (``mon-thu``, ``fri``…)."""
        return group_weekdays(self.schools)

    def term_dates(self) -> list[tuple[Any, str, str, DayType | None]]:
        """Every date of the term (``[calendar]``) with its kind and day type (``None``: no school run)."""
        if self.calendar is None:
            raise InputError("the scenario has no [calendar]", file=self.source, field="calendar",
                             hint='add [calendar] with term_start = "…" and term_end = "…" (see the README)')
        return self.calendar.assign(self.day_types())

    def day_type(self, name: str) -> DayType:
        """A day type by name: a weekday group, or one of the term (reinforced, exam days)."""
        found = {t.name: t for t in self.day_types()}
        if self.calendar is not None:
            found.update({t.name: t for _, _, _, t in self.term_dates() if t is not None})
        if name not in found:
            raise InputError(f"'{name}' is not a day type of this scenario", file=self.source, field="day_type",
                             hint="use one of " + ", ".join(found))
        return found[name]

    def for_day(self, day_type: DayType) -> Scenario:
        """The scenario of one day type: each school's windows of that weekday, the exam sites of
        the day (a site with a school's id replacing that school), the reinforced parameters."""
        schools = {s.id: s.on(day_type.weekdays[0]) for s in self.schools} if day_type.school_day else {}
        for exam_id in day_type.exams:
            assert self.calendar is not None
            schools.update({s.id: s for s in self.calendar.exam(exam_id).sites})
        params = self.parameters
        if day_type.reinforced:
            explicit = {f.name: getattr(params, f.name) for f in dataclasses.fields(params)}
            params = Parameters.from_mapping({**explicit, **day_type.reinforced})
        out = dataclasses.replace(self, schools=tuple(schools.values()), parameters=params)
        check_scenario(out)
        return out

    def within_cap(self) -> tuple[Scenario, dict[str, dict[str, list[int]]]]:
        """The scenario with each station's police and auxiliary for posts cut to what its people
        can staff every school day under the calendar's ``max_duties_per_week`` (``[calendar]
        plan_within_cap``), and the stations cut, ``[before, after]`` per role.

        A post's officer serves every school-run period of the day, so one slot asks for *d* × *p*
        duties a week (*d* school days in a usual week — the most frequent count over the term's
        ISO weeks —, *p* periods a day); *n* people at a cap *c* staff ⌊*n* × *c'* / (*d* × *p*)⌋
        slots, *c'* the cap in whole days (a cap of 7 with two periods is 6 duties). *n* comes
        from the officers table where there is one, else from the stations table.
        """
        assert self.calendar is not None
        per_week: dict[tuple, int] = {}
        for day, _, _, day_type in self.term_dates():
            if day_type is not None:
                per_week[day.isocalendar()[:2]] = per_week.get(day.isocalendar()[:2], 0) + 1
        counts = sorted(per_week.values())
        usual = max(set(counts), key=lambda n: (counts.count(n), n)) if counts else 5
        per_day = max(1, len(self.periods))
        weekly = self.calendar.max_duties_per_week // per_day * per_day
        people: dict[tuple[str, str], int] = {}
        for officer in self.officers:
            people[(officer.station_id, officer.role)] = people.get((officer.station_id, officer.role), 0) + 1
        cut: dict[str, dict[str, list[int]]] = {}

        def capped(unit: Station) -> Station:
            now = {}
            for role in ("police", "auxiliary"):
                have = getattr(unit, role)
                n = people.get((unit.id, role), 0) if self.officers else have
                now[role] = min(have, n * weekly // (usual * per_day))
                if now[role] < have:
                    cut.setdefault(unit.id, {})[role] = [have, now[role]]
            return dataclasses.replace(unit, **now)

        out = dataclasses.replace(self, stations=tuple(capped(u) for u in self.stations),
                                  pools=tuple(capped(u) for u in self.pools))
        return out, cut

    @classmethod
    def from_toml(cls, path: str | Path) -> Scenario:
        """Load a scenario file and the input files it names (see the module docstring)."""
        path = Path(path)
        config = _read_toml(path)
        _check_tables(config, path)
        meta = config.get("scenario", {})
        inputs = config.get("inputs", {})
        if isinstance(inputs.get("download"), Mapping):
            _check_keys(inputs["download"], ("place", "bbox"), path, "inputs.download")
        table = _Inputs(inputs, path)

        files: dict[str, Path] = {}
        schools_path = table.path("schools", required=True)
        stations_path = table.path("stations", required=True)
        sites_path = table.path("sites", required=False)
        files["schools"], files["stations"] = schools_path, stations_path
        schools = read_schools(schools_path, datum=inputs.get("schools_datum", "wgs84"), sheet=table.sheet("schools"))
        rows = read_stations(stations_path, datum=inputs.get("stations_datum", "wgs84"),
                             sheet=table.sheet("stations"))
        stations = tuple(r for r in rows if r.kind == "station")
        pools = tuple(r for r in rows if r.kind == "pool")
        officers: tuple[Officer, ...] = ()
        officers_path = table.path("officers", required=False)
        if officers_path is not None:
            files["officers"] = officers_path
            officers = read_officers(officers_path, sheet=table.sheet("officers"))
        sites: tuple[Site, ...] = ()
        if sites_path is not None:
            files["sites"] = sites_path
            sites = read_sites(sites_path, datum=inputs.get("sites_datum", "wgs84"), sheet=table.sheet("sites"))
        network = _network_source(table)
        if network.path is not None:
            files["network"] = network.path
        parameters = Parameters.from_mapping(config.get("parameters", {}), file=path)
        seed, timezone = _checked_meta(meta, path)
        out_datum = config.get("outputs", {}).get("datum", "wgs84")
        try:
            out_datum = normalise_datum(str(out_datum))
        except InputError as exc:
            raise InputError(exc.problem, file=path, field="outputs.datum", hint=exc.hint) from None
        calendar = Calendar.from_mapping(config["calendar"], file=path) if "calendar" in config else None
        for exam in calendar.exams if calendar else ():
            files[f"exam_sites:{exam.id}"] = exam.file
        scenario = cls(
            name=str(meta.get("name", path.stem)),
            output_datum=out_datum,
            calendar=calendar,
            officers=officers,
            datums={key: normalise_datum(str(inputs.get(f"{key}_datum", "wgs84")))
                    for key in ("schools", "stations", "sites")},
            schools=schools,
            stations=stations,
            pools=pools,
            sites=sites,
            network=network,
            parameters=parameters,
            seed=seed,
            timezone=str(timezone),
            source=path.resolve(),
            input_files=files,
        )
        check_scenario(scenario)
        return scenario

    @classmethod
    def demo(cls) -> Scenario:
        """The embedded demo county (see ``data/demo/README.md``)."""
        return cls.from_toml(demo_scenario_path())


def demo_scenario_path() -> Path:
    """Path of the embedded demo scenario, ``data/demo/scenario.toml`` of the source checkout.

    The demo files are made by ``python tools/make_demo.py`` and kept in the repository; an
    installed package without its checkout has no demo and says so.
    """
    path = Path(__file__).resolve().parents[1] / "data" / "demo" / "scenario.toml"
    if not path.is_file():
        raise InputError(
            "the embedded demo county is not here (it lives in the source checkout's data/demo)",
            file=path, hint="give a scenario file, or install from the source checkout (pip install -e .)",
        )
    return path


#: The tables of a scenario file and their keys (``None``: any key, checked by its own reader).
TABLES: Mapping[str, tuple[str, ...] | None] = {
    "scenario": ("name", "seed", "timezone"),
    "inputs": ("schools", "schools_datum", "schools_sheet", "stations", "stations_datum", "stations_sheet", "sites",
               "sites_datum", "sites_sheet", "network", "network_layer", "network_datum", "download", "officers",
               "officers_sheet"),
    "parameters": None,
    "outputs": ("datum",),
    "calendar": None,
}


def _read_toml(path: Path) -> dict:
    """The scenario file's TOML; :class:`InputError` when missing, not UTF-8 or not TOML."""
    if not path.is_file():
        raise InputError("scenario file not found", file=path, hint="check the path")
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("scenario file is not UTF-8 text", file=path, hint="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=path, hint="fix the syntax") from None


def _check_tables(config: Mapping, path: Path) -> None:
    """:class:`InputError` for an unknown table, a table that is not one, or an unknown key of a
    table whose keys :data:`TABLES` lists."""
    _check_keys(config, TABLES, path, "")
    for table, keys in TABLES.items():
        if table in config:
            if not isinstance(config[table], Mapping):
                raise InputError(f"'{table}' must be a table", file=path, field=table,
                                 hint=f"write it as a [{table}] section")
            if keys:
                _check_keys(config[table], keys, path, table)


class _Inputs:
    """The ``[inputs]`` table of the scenario file ``path``: its sheet names and file paths,
    checked."""

    def __init__(self, inputs: Mapping, path: Path) -> None:
        self.inputs, self.file, self.base = inputs, path, path.parent

    def sheet(self, key: str) -> str | None:
        """The ``{key}_sheet`` value as text (None when not given)."""
        value = self.inputs.get(f"{key}_sheet")
        if value is not None and not isinstance(value, (str, int)):
            raise InputError(f"'{value}' is not a sheet name", file=self.file, field=f"inputs.{key}_sheet",
                             hint=f'write {key}_sheet = "Sheet name" (or its number, 1 for the first)')
        return None if value is None else str(value)

    def path(self, key: str, *, required: bool) -> Path | None:
        """The file named by ``key``, relative to the scenario file (None when not given and not
        ``required``)."""
        value = self.inputs.get(key)
        if value is None:
            if required:
                raise InputError(
                    f"[inputs] has no '{key}'", file=self.file, field=f"inputs.{key}",
                    hint=f"add {key} = \"your_{key}_file\"",
                )
            return None
        if not isinstance(value, str) or not value.strip():
            raise InputError(f"'{value}' is not a file name", file=self.file, field=f"inputs.{key}",
                             hint=f"write {key} = \"file name\" (relative to the scenario file)")
        return (self.base / value).resolve() if not Path(value).is_absolute() else Path(value)


def _network_source(table: _Inputs) -> NetworkSource:
    """The road network: a file (``network``, with its layer and datum) or a download
    (``[inputs.download]`` place or bbox)."""
    inputs, path = table.inputs, table.file
    download = inputs.get("download")
    if "network" in inputs:
        layer = inputs.get("network_layer")
        if layer is not None and not isinstance(layer, str):
            raise InputError(f"'{layer}' is not a layer name", file=path, field="inputs.network_layer",
                             hint='write network_layer = "roads" (the layer of a GeoPackage)')
        return NetworkSource(path=table.path("network", required=True), layer=layer,
                             datum=str(inputs.get("network_datum", "wgs84")))
    if isinstance(download, Mapping) and ("place" in download or "bbox" in download):
        bbox = download.get("bbox")
        return NetworkSource(place=download.get("place"), bbox=tuple(bbox) if bbox else None)
    raise InputError(
        "[inputs] names no road network", file=path, field="inputs.network",
        hint="add network = \"roads.osm.pbf\" (or [inputs.download] place = \"...\")",
    )


def _checked_meta(meta: Mapping, path: Path) -> tuple[int, Any]:
    """The ``[scenario]`` seed and time zone, checked (and its name is text)."""
    seed = meta.get("seed", 0)
    if isinstance(seed, bool) or not isinstance(seed, int) or not 0 <= seed < 2**31:
        raise InputError(f"seed '{seed}' is not a whole number in 0 … 2147483647", file=path,
                         field="scenario.seed", hint="write seed = 1 (any whole number in that range)")
    if not isinstance(meta.get("name", ""), str):
        raise InputError("the name must be text", file=path, field="scenario.name", hint='write name = "..."')
    timezone = meta.get("timezone", "Asia/Shanghai")
    try:
        zoneinfo.ZoneInfo(str(timezone))
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        raise InputError(f"'{timezone}' is not a time zone", file=path, field="scenario.timezone",
                         hint='use an IANA name such as "Asia/Shanghai"') from None
    return seed, timezone


def _check_keys(table: Mapping, known, path: Path, name: str) -> None:
    for key in table:
        if key not in known:
            raise unknown_key(str(key), known, file=path, table=name)


def check_scenario(scenario: Scenario) -> None:
    """Cross-file checks: station ids referenced by schools exist, at least one station."""
    if not scenario.stations:
        raise InputError(
            "no police station", file=scenario.input_files.get("stations"),
            hint="add at least one station row (pool rows lend officers but patrol nothing)",
        )
    scenario.parameters.check(file=scenario.source)
    station_ids = {s.id for s in scenario.stations}
    exams = scenario.calendar.exams if scenario.calendar else ()
    site_file = {id(site): exam.file for exam in exams for site in exam.sites}
    for school in (*scenario.schools, *(site for exam in exams for site in exam.sites)):
        file = site_file.get(id(school), scenario.input_files.get("schools"))
        ordered = school.all_windows()
        for (p1, w1), (p2, w2) in zip(ordered, ordered[1:]):
            if w2.start_s < w1.end_s:
                raise InputError(
                    f"{school.id} {school.name}: the {p2} window {w2} overlaps the {p1} window {w1}",
                    file=file, row=school.row, field=p2,
                    hint="windows of one school follow each other (morning, noon, afternoon) without overlap",
                )
        if school.station_id is not None and school.station_id not in station_ids:
            raise InputError(f"station '{school.station_id}' is not in the stations file", file=file,
                             row=school.row, field="station_id",
                             hint="use an id from the stations file or leave it empty")
