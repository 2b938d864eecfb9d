"""Reading and writing the plan directory (format in the README, "The plan directory").

CSV files are UTF-8 with a byte order mark so that Chinese Excel opens them as they are; times
are ``HH:MM:SS``. File names and columns come from :mod:`geo_patrol.planfiles`, which also
checks every cell on reading. Writing goes to a temporary folder beside the target, renamed into
place at the end, so a failed run leaves nothing half-written.
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
from geo_patrol.planfiles import PLAN_FILES, TABLES, USE_KINDS, read_geojson, read_meta, read_table, use_columns
from geo_patrol.sightings import Coverage, PostDuty, RosterEntry, Stop

__all__ = ["COVERAGE_HEADER", "PLAN_FILES", "read_coverage", "read_plan", "read_posts", "read_visits",
           "write_coverage", "write_files", "write_plan"]


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
    _write_csv(folder / "schools.csv", list(TABLES["schools.csv"]),
               ([s.school_id, s.name, s.kind, f"{s.lon:.6f}", f"{s.lat:.6f}", s.enrolment, s.priority,
                 s.morning, s.noon, s.afternoon] for s in plan.schools))
    periods = list(plan.meta["summary"]["periods"])
    _write_csv(folder / "stations.csv", list(TABLES["stations.csv"]) + list(use_columns(periods)),
               ([s.station_id, s.name, f"{s.lon:.6f}", f"{s.lat:.6f}", s.police, s.auxiliary, s.cars]
                + [s.use[p][k] for p in periods for k in range(len(USE_KINDS))] for s in plan.stations))
    write_posts(folder, plan.posts)
    write_roster(folder, plan.roster)
    _write_csv(folder / "visits.csv", list(TABLES["visits.csv"]),
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


COVERAGE_HEADER = list(TABLES["coverage.csv"])


def write_posts(folder: Path, posts: Sequence[PostDuty]) -> None:
    """``posts.csv`` and ``posts.geojson``: one row (Point feature) per post and period."""
    header = list(TABLES["posts.csv"])
    rows = [[d.post_id, d.period, f"{d.lon:.6f}", f"{d.lat:.6f}", d.station_id, ";".join(d.school_ids),
             format_time(d.duty_start_s), format_time(d.duty_end_s), d.police, d.auxiliary,
             _bool(d.car_at_post)] for d in posts]
    _write_csv(folder / "posts.csv", header, rows)
    _write_json(folder / "posts.geojson", {"type": "FeatureCollection", "features": [
        {"type": "Feature", "geometry": {"type": "Point", "coordinates": [d.lon, d.lat]},
         "properties": dict(zip(header, row))} for d, row in zip(posts, rows)
    ]})


def write_roster(folder: Path, roster: Sequence[RosterEntry]) -> None:
    """``rosters.csv``: officer, station, period, post and duty times."""
    _write_csv(folder / "rosters.csv", list(TABLES["rosters.csv"]),
               ([r.officer, r.station_id, r.period, r.post_id, format_time(r.start_s), format_time(r.end_s)]
                for r in roster))


def write_coverage(path: Path, coverage: Sequence[Coverage]) -> None:
    _write_csv(path, COVERAGE_HEADER, (
        [c.school_id, c.period, format_time(c.window_start_s), format_time(c.window_end_s), _bool(c.officer_seen),
         _bool(c.car_seen), _bool(c.lights_seen), _bool(c.three_sightings), f"{c.officer_presence_pct:.1f}",
         c.worst_response_s, f"{c.within_target_pct:.1f}", _bool(c.second_unit_300s), c.sources, c.reason]
        for c in coverage
    ))


def write_plan(plan, target: Path, *, force: bool = False) -> Path:
    """Write ``plan`` to ``target`` atomically; refuse to overwrite without ``force``."""
    return write_directory(target, lambda folder: write_files(plan, folder), force=force)


def write_directory(target: Path, fill, *, force: bool = False) -> Path:
    """Make the folder ``target`` with ``fill(folder)``: in a temporary folder beside it, renamed
    into place at the end, so a failure leaves nothing half-written; an existing folder is
    replaced only with ``force``."""
    target = Path(target)
    if target.exists() and not force:
        raise InputError("already exists", file=target, hint="choose another --out or add --force to replace it")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(staging, 0o777 & ~umask)  # mkdtemp makes it private; a plan is a normal folder
    try:
        fill(staging)
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


def read_posts(folder: Path) -> tuple[PostDuty, ...]:
    """``posts.csv`` of a plan directory; a duty must end after it starts."""
    table = read_table(Path(folder) / "posts.csv")
    out = []
    for row, r in table.numbered():
        start, end = parse_time(r["duty_start"]), parse_time(r["duty_end"])
        if end <= start:
            raise table.error(row, "duty_end", "duty ends before it starts", "make duty_end later than duty_start")
        out.append(PostDuty(
            r["post_id"], r["period"], r["lon"], r["lat"], r["station_id"],
            tuple(s for s in r["school_ids"].split(";") if s), start, end,
            r["police"], r["auxiliary"], r["car_at_post"],
        ))
    return tuple(out)


def read_visits(folder: Path) -> tuple[Stop, ...]:
    """``visits.csv`` of a plan directory; a car must not leave a gate before it arrives."""
    table = read_table(Path(folder) / "visits.csv")
    out = []
    for row, r in table.numbered():
        arrive, depart = parse_time(r["arrive"]), parse_time(r["depart"])
        if depart < arrive:
            raise table.error(row, "depart", "departure before arrival", "make depart later than arrive")
        out.append(Stop(r["vehicle_id"], r["station_id"], r["period"], r["seq"], r["school_id"], r["lon"],
                        r["lat"], arrive, depart))
    return tuple(out)


def read_plan(folder: Path):
    """The :class:`~geo_patrol.plan.Plan` a plan directory holds, every file checked."""
    from geo_patrol.plan import Plan, RouteLine, SchoolRow, StationRow

    folder = Path(folder)
    meta = read_meta(folder)
    periods = list(meta["summary"]["periods"])
    schools = tuple(
        SchoolRow(r["school_id"], r["name"], r["kind"], r["lon"], r["lat"], r["enrolment"], r["priority"],
                  r["morning"], r["noon"], r["afternoon"])
        for r in read_table(folder / "schools.csv").records
    )
    station_columns = {**TABLES["stations.csv"], **use_columns(periods)}
    stations = tuple(
        StationRow(r["station_id"], r["name"], r["lon"], r["lat"], r["police"], r["auxiliary"], r["cars"],
                   {p: tuple(r[f"{w}_used_{p}"] for w in USE_KINDS) for p in periods})
        for r in read_table(folder / "stations.csv", station_columns).records
    )
    roster = tuple(
        RosterEntry(r["officer"], r["station_id"], r["period"], r["post_id"], parse_time(r["start"]),
                    parse_time(r["end"]))
        for r in read_table(folder / "rosters.csv").records
    )
    routes = tuple(
        RouteLine(f["properties"]["vehicle_id"], f["properties"]["station_id"], f["properties"]["period"],
                  parse_time(f["properties"]["start"]), parse_time(f["properties"]["end"]),
                  float(f["properties"]["drive_km"]), int(f["properties"]["stops"]),
                  tuple(tuple(c) for c in f["geometry"]["coordinates"]),
                  tuple(parse_time(t) for t in f["properties"]["times"]))
        for f in read_geojson(folder / "routes.geojson", required=True)["features"]
    )
    coverage = read_coverage(folder / "coverage.csv")
    roads = read_geojson(folder / "roads.geojson", required=False) or {}
    reach = read_geojson(folder / "reach.geojson", required=False) or {}
    return Plan(directory=str(folder), meta=meta, schools=schools, stations=stations, posts=read_posts(folder), roster=roster,
                visits=read_visits(folder), routes=routes, coverage=coverage, roads=roads, reach=reach)


def read_coverage(path: Path) -> tuple[Coverage, ...]:
    """``coverage.csv`` (or another file with its columns) as :class:`~geo_patrol.sightings.Coverage` rows."""
    return tuple(
        Coverage(r["school_id"], r["period"], parse_time(r["window_start"]), parse_time(r["window_end"]),
                 r["officer_seen"], r["car_seen"], r["lights_seen"], r["three_sightings"],
                 r["officer_presence_pct"], r["worst_response_s"], r["within_target_pct"], r["second_unit_300s"],
                 r["sources"], r["reason"])
        for r in read_table(Path(path), TABLES["coverage.csv"]).records
    )
