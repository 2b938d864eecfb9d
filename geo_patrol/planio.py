"""Reading and writing the plan directory (format in the README, "The plan directory").

CSV files are UTF-8 with a byte order mark so that Chinese Excel opens them as they are; times
are ``HH:MM:SS``. Writing goes to a temporary folder beside the target, renamed into place at the
end, so a failed run leaves nothing half-written.
"""

from __future__ import annotations

import csv
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any, Iterable, Sequence

from geo_patrol.clock import format_time, parse_time
from geo_patrol.errors import InputError
from geo_patrol.sightings import Coverage, PostDuty, RosterEntry, Stop

PLAN_FILES = (
    "plan.json", "schools.csv", "stations.csv", "posts.csv", "posts.geojson", "rosters.csv", "visits.csv",
    "routes.geojson", "coverage.csv", "roads.geojson", "reach.geojson",
)


def _bool(value: bool) -> str:
    return "true" if value else "false"


def _write_csv(path: Path, header: Sequence[str], rows: Iterable[Sequence[Any]]) -> None:
    with open(path, "w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for row in rows:
            writer.writerow(row)


def _write_json(path: Path, data: Any) -> None:
    with open(path, "w", encoding="utf-8") as handle:
        json.dump(data, handle, ensure_ascii=False, indent=1, sort_keys=False)
        handle.write("\n")


def write_files(plan, folder: Path) -> None:
    """Write every plan file into ``folder`` (which exists)."""
    from geo_patrol.plan import SchoolRow  # noqa: F401  (documentation of the row type)

    _write_json(folder / "plan.json", plan.meta)
    _write_csv(folder / "schools.csv",
               ["school_id", "name", "kind", "lon", "lat", "enrolment", "priority", "morning", "noon", "afternoon"],
               ([s.school_id, s.name, s.kind, f"{s.lon:.6f}", f"{s.lat:.6f}", s.enrolment, s.priority,
                 s.morning, s.noon, s.afternoon] for s in plan.schools))
    periods = list(plan.meta["summary"]["periods"])
    _write_csv(folder / "stations.csv",
               ["station_id", "name", "lon", "lat", "police", "auxiliary", "cars"]
               + [f"{what}_used_{p}" for p in periods for what in ("police", "auxiliary", "cars")],
               ([s.station_id, s.name, f"{s.lon:.6f}", f"{s.lat:.6f}", s.police, s.auxiliary, s.cars]
                + [s.use[p][k] for p in periods for k in range(3)] for s in plan.stations))
    post_header = ["post_id", "period", "lon", "lat", "station_id", "school_ids", "duty_start", "duty_end",
                   "police", "auxiliary", "car_at_post"]
    post_rows = [[d.post_id, d.period, f"{d.lon:.6f}", f"{d.lat:.6f}", d.station_id, ";".join(d.school_ids),
                  format_time(d.duty_start_s), format_time(d.duty_end_s), d.police, d.auxiliary,
                  _bool(d.car_at_post)] for d in plan.posts]
    _write_csv(folder / "posts.csv", post_header, post_rows)
    _write_json(folder / "posts.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
         "properties": dict(zip(post_header, row))} for d, row in zip(plan.posts, post_rows)
    ]})
    _write_csv(folder / "rosters.csv", ["officer", "station_id", "period", "post_id", "start", "end"],
               ([r.officer, r.station_id, r.period, r.post_id, format_time(r.start_s), format_time(r.end_s)]
                for r in plan.roster))
    _write_csv(folder / "visits.csv",
               ["vehicle_id", "station_id", "period", "seq", "school_id", "lon", "lat", "arrive", "depart"],
               ([v.vehicle_id, v.station_id, v.period, v.seq, v.school_id, f"{v.lon:.6f}", f"{v.lat:.6f}",
                 format_time(v.arrive_s), format_time(v.depart_s)] for v in plan.visits))
    _write_json(folder / "routes.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature",
         "geometry": {"type": "LineString", "coordinates": [list(c) for c in r.coords]},
         "properties": {"vehicle_id": r.vehicle_id, "station_id": r.station_id, "period": r.period,
                        "start": format_time(r.start_s), "end": format_time(r.end_s), "drive_km": r.drive_km,
                        "stops": r.stops, "times": [format_time(t) for t in r.times]}}
        for r in plan.routes
    ]})
    write_coverage(folder / "coverage.csv", plan.coverage)
    _write_json(folder / "roads.geojson", plan.roads)
    _write_json(folder / "reach.geojson", plan.reach or {"type": "FeatureCollection", "features": []})


COVERAGE_HEADER = [
    "school_id", "period", "window_start", "window_end", "officer_seen", "car_seen", "lights_seen",
    "three_sightings", "officer_presence_pct", "worst_response_s", "within_target_pct", "second_unit_300s",
    "sources", "reason",
]


def write_coverage(path: Path, coverage: Sequence[Coverage]) -> None:
    _write_csv(path, COVERAGE_HEADER, (
        [c.school_id, c.period, format_time(c.window_start_s), format_time(c.window_end_s), _bool(c.officer_seen),
         _bool(c.car_seen), _bool(c.lights_seen), _bool(c.three_sightings), f"{c.officer_presence_pct:.1f}",
         c.worst_response_s, f"{c.within_target_pct:.1f}", _bool(c.second_unit_300s), c.sources, c.reason]
        for c in coverage
    ))


def write_plan(plan, target: Path, *, force: bool = False) -> Path:
    """Write ``plan`` to ``target`` atomically; refuse to overwrite without ``force``."""
    target = Path(target)
    if target.exists() and not force:
        raise InputError("already exists", file=target, hint="choose another --out or add --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a plan is a normal folder
    try:
        write_files(plan, staging)
        if target.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{target.name}.old.", dir=target.parent))
            os.replace(target, old / "plan")
            os.replace(staging, target)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.replace(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return target


# ----------------------------------------------------------------------------- reading


def _read_csv(path: Path) -> list[dict[str, str]]:
    if not path.is_file():
        raise InputError("is missing from the plan directory", file=path, hint="write the plan again with geo-patrol plan")
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


class _Cells:
    def __init__(self, path: Path, number: int, row: dict[str, str]) -> None:
        self.path, self.number, self.row = path, number, row

    def get(self, name: str) -> str:
        value = self.row.get(name)
        if value is None:
            raise InputError(f"missing column '{name}'", file=self.path, row=1, field=name,
                             hint="keep the columns geo-patrol wrote")
        return value.strip()

    def _fail(self, name: str, problem: str, hint: str):
        return InputError(problem, file=self.path, row=self.number, field=name, hint=hint)

    def time(self, name: str) -> int:
        try:
            return parse_time(self.get(name))
        except ValueError as exc:
            raise self._fail(name, str(exc), "write HH:MM:SS") from None

    def number_(self, name: str, kind=float):
        raw = self.get(name)
        try:
            return kind(raw)
        except ValueError:
            raise self._fail(name, f"'{raw}' is not a number", "write a plain number") from None

    def flag(self, name: str) -> bool:
        raw = self.get(name).lower()
        if raw in ("true", "1", "yes", "是"):
            return True
        if raw in ("false", "0", "no", "否", ""):
            return False
        raise self._fail(name, f"'{raw}' is not true/false", "write true or false")


def _rows(path: Path):
    for number, row in enumerate(_read_csv(path), start=2):
        yield _Cells(path, number, row)


def read_posts(folder: Path) -> tuple[PostDuty, ...]:
    out = []
    for c in _rows(folder / "posts.csv"):
        start, end = c.time("duty_start"), c.time("duty_end")
        if end <= start:
            raise c._fail("duty_end", "duty ends before it starts", "make duty_end later than duty_start")
        out.append(PostDuty(
            c.get("post_id"), c.get("period"), c.number_("lon"), c.number_("lat"), c.get("station_id"),
            tuple(s for s in c.get("school_ids").split(";") if s), start, end,
            c.number_("police", int), c.number_("auxiliary", int), c.flag("car_at_post"),
        ))
    return tuple(out)


def read_visits(folder: Path) -> tuple[Stop, ...]:
    out = []
    for c in _rows(folder / "visits.csv"):
        arrive, depart = c.time("arrive"), c.time("depart")
        if depart < arrive:
            raise c._fail("depart", "departure before arrival", "make depart later than arrive")
        out.append(Stop(c.get("vehicle_id"), c.get("station_id"), c.get("period"), c.number_("seq", int),
                        c.get("school_id"), c.number_("lon"), c.number_("lat"), arrive, depart))
    return tuple(out)


def read_plan(folder: Path):
    from geo_patrol.plan import Plan, RouteLine, SchoolRow, StationRow

    folder = Path(folder)
    if not folder.is_dir():
        raise InputError("plan directory not found", file=folder, hint="give the folder written by geo-patrol plan")
    meta_path = folder / "plan.json"
    if not meta_path.is_file():
        raise InputError("is missing", file=meta_path, hint="this is not a plan directory")
    try:
        meta = json.loads(meta_path.read_text(encoding="utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise InputError(f"is not valid JSON ({exc})", file=meta_path, hint="restore it from the plan run") from None
    periods = list(meta["summary"]["periods"])
    schools = tuple(
        SchoolRow(c.get("school_id"), c.get("name"), c.get("kind"), c.number_("lon"), c.number_("lat"),
                  c.number_("enrolment", int), c.number_("priority", int), c.get("morning"), c.get("noon"),
                  c.get("afternoon"))
        for c in _rows(folder / "schools.csv")
    )
    stations = tuple(
        StationRow(c.get("station_id"), c.get("name"), c.number_("lon"), c.number_("lat"), c.number_("police", int),
                   c.number_("auxiliary", int), c.number_("cars", int),
                   {p: tuple(c.number_(f"{w}_used_{p}", int) for w in ("police", "auxiliary", "cars")) for p in periods})
        for c in _rows(folder / "stations.csv")
    )
    roster = tuple(
        RosterEntry(c.get("officer"), c.get("station_id"), c.get("period"), c.get("post_id"), c.time("start"),
                    c.time("end"))
        for c in _rows(folder / "rosters.csv")
    )
    routes_json = json.loads((folder / "routes.geojson").read_text(encoding="utf-8"))
    routes = tuple(
        RouteLine(f["properties"]["vehicle_id"], f["properties"]["station_id"], f["properties"]["period"],
                  parse_time(f["properties"]["start"]), parse_time(f["properties"]["end"]),
                  float(f["properties"]["drive_km"]), int(f["properties"]["stops"]),
                  tuple(tuple(c) for c in f["geometry"]["coordinates"]),
                  tuple(parse_time(t) for t in f["properties"]["times"]))
        for f in routes_json["features"]
    )
    coverage = read_coverage(folder / "coverage.csv")
    roads_path = folder / "roads.geojson"
    roads = json.loads(roads_path.read_text(encoding="utf-8")) if roads_path.is_file() else {}
    reach_path = folder / "reach.geojson"
    reach = json.loads(reach_path.read_text(encoding="utf-8")) if reach_path.is_file() else {}
    return Plan(directory=str(folder), meta=meta, schools=schools, stations=stations, posts=read_posts(folder), roster=roster,
                visits=read_visits(folder), routes=routes, coverage=coverage, roads=roads, reach=reach)


def read_coverage(path: Path) -> tuple[Coverage, ...]:
    return tuple(
        Coverage(c.get("school_id"), c.get("period"), c.time("window_start"), c.time("window_end"),
                 c.flag("officer_seen"), c.flag("car_seen"), c.flag("lights_seen"), c.flag("three_sightings"),
                 c.number_("officer_presence_pct"), c.number_("worst_response_s", int),
                 c.number_("within_target_pct"), c.flag("second_unit_300s"), c.get("sources"), c.get("reason"))
        for c in _rows(path)
    )
