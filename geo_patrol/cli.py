"""The ``geo-patrol`` command line: it parses the arguments, calls a workflow (:mod:`geo_patrol.plan`,
:mod:`geo_patrol.verify`, :mod:`geo_patrol.semester`, :mod:`geo_patrol.batch`, :mod:`geo_patrol.whatif`)
or an output (maps, the inspect report, datum conversion), and prints what it did.

Every command takes an optional scenario file and uses the embedded demo county when none is
given. Errors caused by input are printed as one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import errno
import logging
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path

from geo_patrol.batch import plan_area
from geo_patrol.datum import normalise_datum
from geo_patrol.errors import GeoPatrolError
from geo_patrol.io.atomic import check_target
from geo_patrol.io.convert import convert_table
from geo_patrol.io.plandir import is_plan_dir
from geo_patrol.labels import DEFAULT_LANG, LANGS
from geo_patrol.outputs.inspect_report import inputs_report, network_report
from geo_patrol.outputs.map import copy_demo_map, render_map, render_station_maps
from geo_patrol.outputs.text_table import text_table
from geo_patrol.plan import Plan, make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.semester import (
    evaluate_semester,
    fairness,
    plan_semester,
    read_previous,
    semester_of,
    staffing,
    staffing_warnings,
    term_summary,
    write_semester,
)
from geo_patrol.verify import evaluate_plan_dir
from geo_patrol.version import __version__
from geo_patrol.whatif import POSTS_COLUMNS, plan_sweep, posts_sweep, write_plan_sweep, write_posts_sweep

log = logging.getLogger("geo_patrol")

#: What the plan command got to, for a truthful message on Ctrl-C.
_STATE: dict[str, Path] = {}

#: Exit code of ``evaluate`` when the plan breaks a rule (2 is bad input).
EXIT_BREACH = 3


def _count(text: str) -> int:
    """A whole number ≥ 0 for --posts, --cars, --police, --auxiliary."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{value} is negative: give a whole number ≥ 0")
    return value


def _seconds(text: str) -> float:
    """A finite number of seconds > 0 for --time-limit."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a number of seconds") from None
    if not (value > 0 and value < 86_400):
        raise argparse.ArgumentTypeError(f"{text} is not a time limit: give seconds between 0 and 86400")
    return value


def _seed(text: str) -> int:
    """A seed 0 … 2**31 − 1 (what the solvers take)."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"'{text}' is not a whole number") from None
    if not 0 <= value < 2**31:
        raise argparse.ArgumentTypeError(f"{value} is outside 0 … 2147483647")
    return value


def _load(path: str | None, day_type: str | None = None) -> Scenario:
    """The scenario file (or the demo); with ``day_type``, the scenario of that day type."""
    scenario = Scenario.demo() if path is None else Scenario.from_toml(path)
    if day_type is None:
        return scenario
    if scenario.calendar is not None and scenario.calendar.plan_within_cap:  # the term's staffing rule too
        scenario = scenario.within_cap()[0]
    return scenario.for_day(scenario.day_type(day_type))


def cmd_inspect(args: argparse.Namespace) -> int:
    scenario = _load(args.scenario)
    print("\n".join(inputs_report(scenario)), flush=True)
    print("\n".join(network_report(scenario, cache_dir=args.cache_dir)))
    return 0


class Progress:
    """Stage messages with elapsed time on stderr (the display while solving)."""

    def __init__(self) -> None:
        self._time = time.perf_counter
        self.started = self._time()

    def __call__(self, message: str) -> None:
        print(f"[{self._time() - self.started:6.1f} s] {message}", file=sys.stderr, flush=True)


def _console_safe() -> None:
    """Output that survives a console or a redirect whose code page cannot show every character
    (a rare character in a school name on a GBK Windows console): shown as '?', never a crash."""
    for stream in (sys.stdout, sys.stderr):
        encoding = (getattr(stream, "encoding", None) or "").lower().replace("-", "")
        if encoding != "utf8" and hasattr(stream, "reconfigure"):
            stream.reconfigure(errors="replace")


def _is_demo(args: argparse.Namespace) -> bool:
    return getattr(args, "scenario", None) is None


def cmd_plan(args: argparse.Namespace) -> int:
    out = Path(args.out)
    scenario = _load(args.scenario, args.day_type)
    inputs = [*scenario.input_files.values(), *([scenario.source] if scenario.source else [])]
    check_target(out, force=args.force, replaceable=is_plan_dir, protect=inputs)  # before any work
    previous = Plan.from_dir(args.previous) if args.previous else None
    say = Progress()
    plan = make_plan(
        scenario, max_posts=args.posts, cars=args.cars, police=args.police, auxiliary=args.auxiliary,
        seed=args.seed, time_limit_s=args.time_limit, engine=args.engine, previous=previous, progress=say,
        workers=max(1, args.workers), scheduler=args.scheduler, lang=args.lang,
    )
    if args.day_type:
        plan = dataclasses.replace(plan, meta={**plan.meta, "day_type": args.day_type})
    say(f"writing {out} with its map, report.xlsx and duty sheets")
    _STATE["writing"] = out
    plan.to_dir(out, force=args.force, with_map=not args.no_map)
    _STATE["written"] = out
    if not args.no_map and _is_demo(args):
        copy_demo_map(out)
    print(Plan.from_dir(out).summary())
    changes = plan.meta.get("changes_from_previous")
    if changes:
        print(f"  from the previous plan: {changes['kept']} posts kept where they were, "
              f"{len(changes['added'])} added, {len(changes['removed'])} removed")
        for row in changes["added"]:
            print(f"    + {row['post_id']}: {row['reason']}")
        for row in changes["removed"]:
            print(f"    - {row['post_id']} of the previous plan: {row['reason']}")
    print(f"Plan written to {out}/ (plan.json, schools.csv, posts.csv, rosters.csv, visits.csv, coverage.csv, "
          f"{'' if args.no_map else 'map.html, '}report.xlsx, duty_sheets.html)")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    scenario = _load(args.scenario)
    folder = Path(args.plan)
    term = semester_of(folder)
    if term is not None:  # the day type(s), then the term's totals, roster and map links again
        folders, results, breaches = _evaluate_term(scenario, *term)
    else:
        folders, results, breaches = [folder], [evaluate_plan_dir(scenario, folder)], 0
    for path, result in zip(folders, results):
        for line in result.warnings:
            print(f"warning: {line}", file=sys.stderr)
        print(result.text)
        breaches += len(result.violations)
        if result.violations:
            print(f"geo-patrol: {len(result.violations)} breach(es) of the rules: the breaching posts and stops "
                  f"earn nothing; see {path / 'violations.csv'}", file=sys.stderr)
    return EXIT_BREACH if breaches else 0


def _evaluate_term(scenario: Scenario, term: Path, only: str | None) -> tuple[list[Path], list, int]:
    """Evaluate a semester's day types (every one, or ``only``) and print the term's totals and
    the roster's breaches (:func:`geo_patrol.semester.evaluate_semester`)."""
    done = evaluate_semester(scenario, term, only)
    print(text_table(list(done.summary[0]), [list(r.values()) for r in done.summary]))
    for b in done.breaches[:20]:
        print(f"  roster breach: {b['date']} {b['slot']} {b['officer_id']}: {b['rule']}: {b['detail']} "
              f"(the slot was filled anew)")
    if done.breaches:
        print(f"geo-patrol: {len(done.breaches)} hand edit(s) of roster_by_date.csv break the roster's rules; see "
              f"{term / 'roster_violations.csv'}", file=sys.stderr)
    return list(done.folders), list(done.results), len(done.breaches)


def _range(text: str, name: str) -> list[int]:
    try:
        parts = [int(p) for p in text.split(":")]
    except ValueError:
        raise GeoPatrolError(f"--{name} {text}: write START:STOP:STEP, e.g. 20:60:5") from None
    if len(parts) == 1:
        return parts
    if len(parts) != 3 or parts[2] <= 0 or parts[1] < parts[0] or parts[0] < 0:
        raise GeoPatrolError(f"--{name} {text}: write START:STOP:STEP with START ≤ STOP and STEP > 0, e.g. 20:60:5")
    return list(range(parts[0], parts[1] + 1, parts[2]))


def cmd_posts(args: argparse.Namespace) -> int:
    scenario = _load(args.scenario, args.day_type)
    budgets = _range(args.posts, "posts")
    sweep = posts_sweep(scenario, budgets, police=args.police, auxiliary=args.auxiliary,
                        time_limit_s=args.time_limit, progress=Progress())
    for path in write_posts_sweep(sweep, Path(args.out)):
        print(f"written: {path}")
    print(text_table(POSTS_COLUMNS, [[r[c] for c in POSTS_COLUMNS] for r in sweep.rows]))
    return 0


def cmd_whatif(args: argparse.Namespace) -> int:
    chosen = [(n, v) for n, v in (("posts", args.posts), ("police", args.police), ("cars", args.cars)) if v]
    if len(chosen) != 1:
        raise GeoPatrolError("whatif: give exactly one of --posts, --police or --cars as START:STOP:STEP")
    name, text = chosen[0]
    scenario = _load(args.scenario, args.day_type)
    rows = plan_sweep(scenario, name, _range(text, name), time_limit_s=args.time_limit, seed=args.seed,
                      progress=Progress())
    for path in write_plan_sweep(rows, name, Path(args.out)):
        print(f"written: {path}")
    print(text_table(list(rows[0]), [list(r.values()) for r in rows]))
    return 0


def cmd_batch(args: argparse.Namespace) -> int:
    out = Path(args.out)
    whatif = ",".join(args.whatif) if args.whatif else None
    try:
        result = plan_area(args.area, out, workers=args.workers, scheduler=args.scheduler,
                           time_limit_s=args.time_limit, whatif=whatif, force=args.force, progress=Progress())
    except KeyboardInterrupt:
        print(f"geo-patrol: interrupted; the counties finished before were written in full to {out}/, the others "
              f"are as they were; run the same command again to plan the rest (finished counties are skipped)",
              file=sys.stderr)
        return 130
    columns = ("county", "variant", "period", "schools", "met", "met_strict", "schools_with_post", "posts",
               "officers", "cars", "km", "status")
    print(text_table(columns, [[row[c] for c in columns] for row in result.rows if row["status"] != "failed"]))
    for outcome in result.failed:
        print(f"  failed: {outcome.county} [{outcome.variant}]: {outcome.error}")
    print(f"Area summary written to {out}/ (area_summary.csv, area_report.xlsx, index.html); "
          f"{len(result.counties)} counties in {result.wall_s:.0f} s")
    if result.failed:
        print(f"geo-patrol: error: {len({o.county for o in result.failed})} of {len(result.counties)} counties "
              f"failed (listed above and in {out / 'area_summary.csv'}); the others were written", file=sys.stderr)
        return 2
    return 0


def cmd_semester(args: argparse.Namespace) -> int:
    out = Path(args.out)
    scenario = _load(args.scenario)
    inputs = [*scenario.input_files.values(), *([scenario.source] if scenario.source else [])]
    check_target(out, force=args.force, replaceable=is_plan_dir, protect=inputs)
    previous = read_previous(args.previous) if args.previous else None
    semester = plan_semester(scenario, time_limit_s=args.time_limit, seed=args.seed, progress=Progress(),
                             previous=previous, lang=args.lang)
    write_semester(semester, scenario, out, force=args.force)
    days = {t.name: sum(1 for d in semester.dates if d[3] == t.name) for t in semester.day_types}
    print(f"Term {semester.calendar.start} – {semester.calendar.end}: "
          + ", ".join(f"{name} {n} day(s)" for name, n in days.items()))
    summary = term_summary(semester)
    print(text_table(list(summary[0]), [list(r.values()) for r in summary]))
    if semester.roster:
        f = fairness(semester, scenario)
        print(f"Roster by date: {f['people']} people, duties per person min {f['min']}, max {f['max']}, "
              f"spread {f['spread']} ({f['spread_within_station']} at most among one station's police or "
              f"auxiliaries); slot rows nobody could take: {f['unfilled_slot_rows']}")
    for line in staffing_warnings(staffing(semester, scenario)):
        print(f"warning: {line}", file=sys.stderr)
    print(f"Semester written to {out}/ (index.html, term_report.xlsx, calendar.csv, term_summary.csv, "
          f"staffing_by_week.csv, school_people.csv, day_types/…"
          + (", roster_by_date.csv, roster_by_week.xlsx" if semester.roster else "") + ")")
    return 0


def cmd_convert(args: argparse.Namespace) -> int:
    source = Path(args.table)
    for option, name in (("--from", args.from_datum), ("--to", args.to_datum)):
        try:
            normalise_datum(name)
        except GeoPatrolError as exc:
            raise GeoPatrolError(f"{option} {name}: {exc}") from None
    out = Path(args.out) if args.out else source.with_name(f"{source.stem}.{args.to_datum}{source.suffix}")
    if out.is_dir() or (out.exists() and not args.force):
        raise GeoPatrolError(f"{out}: already exists — choose another --out (or --force to replace a file)")
    count = convert_table(source, out, src=args.from_datum, dst=args.to_datum, sheet=args.sheet)
    print(f"{count} point(s) converted from {args.from_datum} to {args.to_datum}: {out}")
    return 0


def cmd_map(args: argparse.Namespace) -> int:
    if args.per_station:
        out_dir = Path(args.out) if args.out else Path(args.plan_dir) / "maps"
        paths = render_station_maps(Path(args.plan_dir), out_dir=out_dir, lang=args.lang, tiles=args.tiles,
                                    tiles_datum=args.tiles_datum)
        print(f"{len(paths)} station map(s) written to {out_dir}")
        return 0
    path = render_map(Path(args.plan_dir), out=args.out, lang=args.lang, tiles=args.tiles,
                      tiles_datum=args.tiles_datum)
    print(f"Map written to {path}")
    return 0


class _Parser(argparse.ArgumentParser):
    """Usage errors as one line on stderr and exit code 2, like every other bad input."""

    def error(self, message: str):
        self.exit(2, f"geo-patrol: error: {self.prog.removeprefix('geo-patrol').strip() or 'usage'}: {message} "
                     f"(see {self.prog} --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="geo-patrol",
        description="Plan duty posts and patrol cars around schools during the school run (三见).",
    )
    parser.add_argument("--version", action="version", version=f"geo_patrol {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="check a scenario and summarise its inputs and road network")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded demo county)")
    p.add_argument("--cache-dir", default=None, help="folder for cached travel-time matrices")
    p.set_defaults(func=cmd_inspect)

    p = sub.add_parser("plan", help="plan posts and patrols and prove the three sightings")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded demo county)")
    p.add_argument("--out", required=True, help="plan directory to write")
    p.add_argument("--posts", type=_count, default=None, help="at most this many posts (default: fewest covering all)")
    p.add_argument("--cars", type=_count, default=None, help="county total of patrol cars (default: the stations' own)")
    p.add_argument("--police", type=_count, default=None, help="county total of police for posts")
    p.add_argument("--auxiliary", type=_count, default=None, help="county total of auxiliary officers for posts")
    p.add_argument("--seed", type=_seed, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--time-limit", type=_seconds, default=20.0, help="seconds per solver call (default 20)")
    p.add_argument("--engine", choices=("ortools", "pyvrp"), default=None, help="routing engine")
    p.add_argument("--previous", default=None, help="last semester's plan directory: keep its posts")
    p.add_argument("--day-type", default=None,
                   help="plan one day type of the scenario (fri, mon-thu+reinforced, an exam's id…; see "
                        "`geo-patrol semester`)")
    p.add_argument("--workers", type=_count, default=min(2, os.cpu_count() or 1),
                   help="Dask worker processes for routing large districts by jurisdiction (default: up to 2)")
    p.add_argument("--scheduler", default=None,
                   help="route on an existing Dask cluster (tcp://host:port) instead of local processes")
    p.add_argument("--force", action="store_true", help="replace an existing plan directory")
    p.add_argument("--no-map", action="store_true", help="do not draw map.html")
    p.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG,
                   help="language of the officer labels, the sources text and the documents (default zh)")
    p.set_defaults(func=cmd_plan)

    p = sub.add_parser("evaluate", help="re-check a plan edited by hand and write its coverage.csv")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded demo county)")
    p.add_argument("--plan", required=True,
                   help="plan directory (a day type's plan is checked against that day type), or a semester "
                        "folder: every day type, then the term's totals and roster")
    p.set_defaults(func=cmd_evaluate)

    p = sub.add_parser("posts", help="what each extra post buys: coverage against the post budget")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded demo county)")
    p.add_argument("--posts", required=True, help="budgets START:STOP:STEP, e.g. 10:60:5")
    p.add_argument("--police", type=_count, default=None, help="county total of police for posts")
    p.add_argument("--auxiliary", type=_count, default=None, help="county total of auxiliary officers")
    p.add_argument("--time-limit", type=_seconds, default=20.0, help="seconds per solver call")
    p.add_argument("--out", default="whatif_posts", help="folder for the CSV and PNG (default whatif_posts)")
    p.add_argument("--day-type", default=None,
                   help="plan one day type of the scenario (fri, mon-thu+reinforced, an exam's id…; see "
                        "`geo-patrol semester`)")
    p.set_defaults(func=cmd_posts)

    p = sub.add_parser("whatif", help="end-to-end sweep of posts, police or cars")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded demo county)")
    p.add_argument("--posts", help="post budgets START:STOP:STEP")
    p.add_argument("--police", help="county police totals START:STOP:STEP")
    p.add_argument("--cars", help="county car totals START:STOP:STEP")
    p.add_argument("--seed", type=_seed, default=None)
    p.add_argument("--time-limit", type=_seconds, default=10.0, help="seconds per solver call")
    p.add_argument("--out", default="whatif", help="folder for the CSV and PNG (default whatif)")
    p.add_argument("--day-type", default=None,
                   help="plan one day type of the scenario (fri, mon-thu+reinforced, an exam's id…; see "
                        "`geo-patrol semester`)")
    p.set_defaults(func=cmd_whatif)

    p = sub.add_parser("batch", help="plan every county of an area (a folder or an area file), serially or on Dask")
    p.add_argument("area", help="folder of county scenario files (scenario.toml), or an area file listing them")
    p.add_argument("--out", required=True, help="folder for the counties' plans and the area summary")
    p.add_argument("--workers", type=_count, default=min(2, os.cpu_count() or 1),
                   help="local worker processes, one county each at a time (default: up to 2; 1 plans serially)")
    p.add_argument("--scheduler", default=None,
                   help="address of a running Dask scheduler (tcp://host:port) to plan on instead")
    p.add_argument("--time-limit", type=_seconds, default=20.0, help="seconds per solver call (default 20)")
    p.add_argument("--whatif", action="append", default=None,
                   help="also plan every county with changed totals, e.g. police=-10%%, officers=90%%, cars=-2, "
                        "posts=60 (comma-separated or repeated)")
    p.add_argument("--force", action="store_true", help="plan again the counties whose plans are up to date")
    p.set_defaults(func=cmd_batch)

    p = sub.add_parser("semester", help="plan every day type of a term ([calendar]) and sum the term")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded demo county)")
    p.add_argument("--out", required=True, help="semester folder to write")
    p.add_argument("--seed", type=_seed, default=None, help="random seed (default: the scenario's)")
    p.add_argument("--time-limit", type=_seconds, default=20.0, help="seconds per solver call (default 20)")
    p.add_argument("--force", action="store_true", help="replace an existing semester folder")
    p.add_argument("--previous", default=None,
                   help="last term's semester folder (or a plan folder): keep its posts, day type by day type")
    p.add_argument("--lang", choices=LANGS, default=DEFAULT_LANG,
                   help="language of the officer labels, the sources text and the documents (default zh)")
    p.set_defaults(func=cmd_semester)

    p = sub.add_parser("convert", help="convert a table's coordinates between datums (wgs84, gcj02, bd09)")
    p.add_argument("table", help="CSV, XLSX or GeoJSON table with lon/lat (经度/纬度) columns")
    p.add_argument("--from", dest="from_datum", required=True, help="datum of the table: wgs84 | gcj02 | bd09")
    p.add_argument("--to", dest="to_datum", required=True, help="datum to write: wgs84 | gcj02 | bd09")
    p.add_argument("--out", default=None, help="file to write (default: TABLE.<to>.<ext> beside it)")
    p.add_argument("--sheet", default=None, help="XLSX sheet name or number (default the first)")
    p.add_argument("--force", action="store_true", help="replace an existing --out file")
    p.set_defaults(func=cmd_convert)

    p = sub.add_parser("map", help="draw a plan's self-contained HTML coverage map")
    p.add_argument("plan_dir", help="plan directory")
    p.add_argument("--out", default=None, help="HTML file (default PLAN_DIR/map.html)")
    p.add_argument("--lang", choices=LANGS, default=None,
                   help="labels (default: the plan's language, Chinese unless it was planned with --lang en)")
    p.add_argument("--tiles", default=None, help="tile URL template of an intranet tile server")
    p.add_argument("--tiles-datum", default="wgs84",
                   help="datum the tiles are drawn in: gcj02 for Amap or Tencent tiles, bd09 for Baidu's; "
                        "every overlay is moved there (default wgs84)")
    p.add_argument("--per-station", action="store_true",
                   help="one map per police station for its briefing: PLAN_DIR/maps/<station_id>.html "
                        "(--out: that folder)")
    p.set_defaults(func=cmd_map)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version, or a usage error already printed in one line
        return int(exc.code or 0)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    _STATE.clear()
    _console_safe()
    try:
        return int(args.func(args) or 0)
    except GeoPatrolError as exc:
        print(f"geo-patrol: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print(f"geo-patrol: interrupted; {_what_was_written()}", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `geo-patrol inspect | head -1`: the reader left, which is fine
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
    except OSError as exc:  # a folder that became read-only, a full disk...
        return _os_error(exc)
    except Exception as exc:
        if args.verbose:
            raise
        print(f"geo-patrol: internal error: {type(exc).__name__}: {exc} — please report it with the scenario "
              f"(run with -v for the details)", file=sys.stderr)
        return 1


def _what_was_written() -> str:
    """What the interrupted command had written (:data:`_STATE`), for a truthful message."""
    if "written" in _STATE:
        return f"{_STATE['written']} was written in full before the interruption"
    if "writing" in _STATE:
        return f"{_STATE['writing']} is as it was before this run (a new plan is swapped in whole or not at all)"
    return "nothing was written"


def _os_error(exc: OSError) -> int:
    """An operating system error as one line on stderr and exit code 2 (0 for a closed pipe on Windows)."""
    if exc.errno == errno.EINVAL and exc.filename is None and os.name == "nt":
        return 0  # Windows reports a closed pipe on stdout this way
    where = f"{exc.filename}: " if exc.filename else ""
    print(f"geo-patrol: error: {where}{exc.strerror or exc} — check the path and that it can be written",
          file=sys.stderr)
    return 2


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
