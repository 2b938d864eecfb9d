"""Every county of an area planned in one go, compared, and re-planned for a what-if.

:func:`plan_area` takes an *area* — a folder of county scenario files, or an area file listing
them — and plans each county as one task (:func:`plan_county`: load the scenario, make the plan,
write its directory), serially or on Dask (:func:`geo_patrol.parallel.run_jobs`). Each county's
plan is written as soon as it is made, to ``OUT/<county>/``; a county whose input is bad or whose
planning fails is reported with its error line and the others go on.

**The area.** A folder: every ``scenario.toml`` below it is a county named after its folder
(the folder path relative to the area joined with ``__``; the area folder's own name for one at
its top), and every other ``*.toml`` whose ``[inputs]`` table makes it a scenario is a county
named after its path without ``.toml``. Hidden folders and the output folder are not searched.
Or an area file (TOML)::

    [area]
    name = "某某市 2026 秋季"            # optional, default the file's name

    [[county]]
    name = "江岸区"                       # its folder in the output; unique
    scenario = "jiangan/scenario.toml"   # relative to this file

    [[county]]
    name = "江汉区"
    scenario = "jianghan/scenario.toml"

A county name is one folder name: no ``/``, ``\\``, ``:``, ``*``, ``?``, ``"``, ``<``, ``>``,
``|`` or control character, not starting with ``.``, and not one of the area's own file names
(``whatif``, ``area.json``, ...).

**Reruns.** A county is skipped when its plan directory was made by a batch with the same
options (time limit, routing engine, package version, what-if) from a scenario file and input
files whose SHA-256 are those recorded (``plan.json``: ``"inputs"`` and ``"batch"``); ``force``
plans every county again. A county folder that holds a plan no batch made (``geo-patrol plan``'s,
or one ``evaluate`` rebuilt after a hand edit) is left alone and reported, unless ``force``.

**What-if** (``whatif="police=-10%"``): every county is planned again with changed county totals,
computed from its own stations, into ``OUT/whatif/<county>/``. The syntax is
``RESOURCE=CHANGE[,RESOURCE=CHANGE...]``; resources ``police``, ``auxiliary``, ``officers`` (both),
``cars`` (the stations' own, summed) and ``posts`` (the county's baseline plan's posts); a change
is ``-10%`` or ``+5%`` (relative), ``90%`` (a share of its own), ``-2`` or ``+3`` (a whole number
more or less) or ``60`` (this many). Totals are rounded to the nearest whole number, halves up,
and never go below 0; make_plan shares a county total over the stations in proportion to their
own numbers.

**The area summary**, written to ``OUT`` at the end: ``area_summary.csv`` and
``area_report.xlsx`` (one row per county, variant and period: :data:`SUMMARY_COLUMNS`, the figures
from each plan's ``plan.json`` summary; a failed county has one row with its error), ``index.html``
(the same table with links to each county's map, and the area totals) and ``area.json`` (the
options, and per county its status, error and task time). The workbook and the page are drawn
by :mod:`geo_patrol.outputs.area_report`.
"""

from __future__ import annotations

import dataclasses
import json
import logging
import math
import os
import re
import socket
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any
from urllib.parse import quote

from geo_patrol.errors import GeoPatrolError, InputError
from geo_patrol.hashing import sha256_file
from geo_patrol.io.atomic import write_atomic
from geo_patrol.io.plandir import PLAN_FILES, csv_text, json_text, read_meta
from geo_patrol.model import unknown_key
from geo_patrol.outputs.area_report import SUMMARY_COLUMNS, TOTALS, area_index, area_workbook
from geo_patrol.parallel import JobDone, run_jobs
from geo_patrol.patrols import DEFAULT_ENGINE
from geo_patrol.plan import make_plan
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare
from geo_patrol.version import __version__

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

__all__ = ["AREA_FORMAT", "SUMMARY_COLUMNS", "AreaResult", "County", "CountyJob", "CountyOutcome", "WhatIf",
           "find_counties", "parse_whatif", "plan_area", "plan_county"]

log = logging.getLogger(__name__)

AREA_FORMAT = "geo_patrol.area/1"
"""``area.json``'s format, and the ``"format"`` of the ``"batch"`` entry of each county's ``plan.json``."""

BASELINE = "baseline"
WHATIF_DIR = "whatif"

_RESERVED = {WHATIF_DIR, "area.json", "area_summary.csv", "area_report.xlsx", "index.html"}
_BAD_NAME = re.compile(r'[/\\:*?"<>|\x00-\x1f\x7f]')
_FIGURES = ("periods", "windows", "met", "met_strict", "schools_with_post", "posts", "police", "auxiliary",
            "cars_used", "km_driven", "attained_share")


# ------------------------------------------------------------------------------------ the area


@dataclass(frozen=True)
class County:
    """One county of an area: its name (its folder in the output) and its scenario file."""

    name: str
    scenario: Path


def check_name(name: Any, *, file: Path | None = None, row: int | None = None) -> str:
    """A county name that is one safe folder name (see the module docstring), or an :class:`InputError`."""
    text = name.strip() if isinstance(name, str) else ""
    problem = None
    if not text:
        problem = "a county needs a name"
    elif _BAD_NAME.search(text) or text in (".", "..") or text.startswith("."):
        problem = f"'{text}' cannot be a folder name (no / \\ : * ? \" < > |, control characters or leading dot)"
    elif text.lower() in _RESERVED:
        problem = f"'{text}' is the name of one of the area's own outputs"
    elif len(text.encode("utf-8")) > 200:
        problem = f"'{text[:20]}…' is longer than a folder name can be"
    if problem:
        raise InputError(problem, file=file, row=row, field="county.name", hint="give the county another name")
    return text


def find_counties(area: str | Path, *, exclude: str | Path | None = None) -> tuple[str, tuple[County, ...]]:
    """``(area name, counties)`` of an area folder or area file (module docstring), sorted by name.

    ``exclude`` is a folder not to search (the output)."""
    area = Path(area)
    if area.is_file():
        return _read_area_file(area)
    if not area.is_dir():
        raise InputError("area not found", file=area, hint="give a folder of county scenario files or an area file")
    root = area.resolve()
    skip = Path(exclude).resolve() if exclude is not None else None
    found = []
    for path in sorted(root.rglob("*.toml")):
        rel = path.relative_to(root)
        if any(part.startswith(".") for part in rel.parts) or (skip is not None and skip in path.parents):
            continue
        if path.name == "scenario.toml":
            parts = rel.parent.parts or (root.name,)
        elif _looks_like_scenario(path):
            parts = (*rel.parent.parts, path.stem)
        else:
            continue
        name = "__".join(parts)
        try:
            check_name(name)
        except InputError as exc:
            raise InputError(f"county folder {rel.parent}: {exc.problem}", file=path, field="county.name",
                             hint="rename the folder, or list the counties in an area file") from None
        found.append(County(name, path))
    if not found:
        raise InputError("no county scenario found", file=area,
                         hint="put each county's scenario.toml in its own folder below it, or give an area file")
    _check_unique(found, area)
    return root.name, tuple(sorted(found, key=lambda c: c.name))


def _looks_like_scenario(path: Path) -> bool:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError):
        return False
    return isinstance(data.get("inputs"), Mapping)


def _read_area_file(path: Path) -> tuple[str, tuple[County, ...]]:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except UnicodeDecodeError:
        raise InputError("area file is not UTF-8 text", file=path, hint="save it as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"not valid TOML ({exc})", file=path, hint="fix the syntax") from None
    if "county" not in data:
        hint = ("this is a county's scenario file: plan it with `geo-patrol plan`, or give its folder"
                if "inputs" in data else 'list the counties as [[county]] name = "...", scenario = "..."')
        raise InputError("area file lists no [[county]]", file=path, field="county", hint=hint)
    for key in data:
        if key not in ("area", "county"):
            raise unknown_key(str(key), ("area", "county"), file=path, table="")
    meta = _area_table(data, path)
    rows = data["county"]
    if not isinstance(rows, list) or not all(isinstance(r, Mapping) for r in rows):
        raise InputError("'county' must be a list of tables", file=path, field="county",
                         hint='write each as [[county]] name = "...", scenario = "..."')
    counties = [_county_of(row, n, path) for n, row in enumerate(rows, start=1)]
    _check_unique(counties, path)
    return str(meta.get("name") or path.stem), tuple(sorted(counties, key=lambda c: c.name))


def _area_table(data: Mapping[str, Any], path: Path) -> Mapping[str, Any]:
    """The area file's ``[area]`` table (``name`` only), empty when there is none."""
    meta = data.get("area", {})
    if not isinstance(meta, Mapping):
        raise InputError("'area' must be a table", file=path, field="area", hint='write [area] name = "..."')
    for key in meta:
        if key != "name":
            raise unknown_key(str(key), ("name",), file=path, table="area")
    return meta


def _county_of(row: Mapping[str, Any], n: int, path: Path) -> County:
    """The ``n``-th ``[[county]]`` of an area file: its name and scenario file (relative to the file)."""
    for key in row:
        if key not in ("name", "scenario"):
            raise unknown_key(str(key), ("name", "scenario"), file=path, table=f"county #{n}")
    name = check_name(row.get("name"), file=path, row=n)
    scenario = row.get("scenario")
    if not isinstance(scenario, str) or not scenario.strip():
        raise InputError(f"county '{name}' names no scenario file", file=path, row=n, field="county.scenario",
                         hint='write scenario = "folder/scenario.toml" (relative to the area file)')
    return County(name, (path.parent / scenario).resolve())


def _check_unique(counties: Sequence[County], where: Path) -> None:
    seen: dict[str, str] = {}
    for county in counties:
        key = county.name.casefold()  # one folder on Windows and macOS
        if key in seen:
            raise InputError(f"two counties are named '{county.name}' ('{seen[key]}')", file=where,
                             field="county.name", hint="give every county its own name")
        seen[key] = county.name


# ------------------------------------------------------------------------------------ what-if

_WHATIF_NAMES = {"police": ("police",), "民警": ("police",), "auxiliary": ("auxiliary",), "辅警": ("auxiliary",),
                 "officers": ("police", "auxiliary"), "警力": ("police", "auxiliary"), "cars": ("cars",),
                 "警车": ("cars",), "posts": ("posts",), "护学岗": ("posts",)}
_CHANGE = re.compile(r"^([+-]?)(\d+(?:\.\d+)?)(%?)$")
_WHATIF_HINT = ("write RESOURCE=CHANGE[,RESOURCE=CHANGE], e.g. police=-10%, officers=90%, cars=-2 or posts=60 "
                "(resources: police, auxiliary, officers, cars, posts)")


@dataclass(frozen=True)
class WhatIf:
    """A what-if: county totals changed the same way in every county (module docstring).

    ``changes`` holds ``(resource, kind, amount)`` with ``kind`` ``percent`` (``amount`` % more),
    ``delta`` (``amount`` more) or ``value`` (``amount``); ``text`` is its canonical spelling."""

    changes: tuple[tuple[str, str, Fraction], ...]
    text: str

    @property
    def needs_baseline(self) -> bool:
        """Whether a county's totals start from its baseline plan (a relative change of posts)."""
        return any(r == "posts" and kind != "value" for r, kind, _ in self.changes)

    def totals(self, own: Mapping[str, int | None]) -> dict[str, tuple[int | None, int]]:
        """Resource → ``(own total, what-if total)`` from a county's own totals."""
        out = {}
        for resource, kind, amount in self.changes:
            base = own.get(resource)
            if kind == "value":
                new = amount
            elif base is None:
                raise InputError(f"the what-if {self.text} changes the {resource} of the baseline plan, which "
                                 "failed", hint="fix the baseline first")
            elif kind == "percent":
                new = base * (100 + amount) / 100
            else:
                new = base + amount
            out[resource] = (base, max(0, math.floor(new + Fraction(1, 2))))
        return out


def parse_whatif(text: str | WhatIf | None) -> WhatIf | None:
    """The :class:`WhatIf` of a ``--whatif`` text (module docstring), ``None`` for none."""
    if text is None or isinstance(text, WhatIf):
        return text
    items = [item.strip() for item in re.split(r"[,;，；]", str(text)) if item.strip()]
    if not items:
        raise InputError(f"--whatif '{text}' changes nothing", hint=_WHATIF_HINT)
    changes, spelled = [], []
    for item in items:
        name, sep, change = (part.strip() for part in item.partition("="))
        resources = _WHATIF_NAMES.get(name.lower())
        match = _CHANGE.match(change.replace(" ", ""))
        if not sep or resources is None or match is None:
            raise InputError(f"--whatif '{item}' is not RESOURCE=CHANGE", hint=_WHATIF_HINT)
        sign, number, percent = match.groups()
        kind, amount = _change(item, sign, number, percent)
        for resource in resources:
            if any(r == resource for r, _, _ in changes):
                raise InputError(f"--whatif '{text}' changes {resource} twice", hint=_WHATIF_HINT)
            changes.append((resource, kind, amount))
        spelled.append(f"{resources[0] if len(resources) == 1 else 'officers'}={sign}{number}{percent}")
    return WhatIf(tuple(changes), ",".join(spelled))


def _change(item: str, sign: str, number: str, percent: str) -> tuple[str, Fraction]:
    """The ``(kind, amount)`` of one what-if change (:class:`WhatIf`), from its sign, number and
    ``%``; ``item`` is the change as written, for the error."""
    amount = Fraction(number)
    if percent:
        amount = (-amount if sign == "-" else amount) if sign else amount - 100
        if amount < -100:
            raise InputError(f"--whatif '{item}' takes away more than all of it",
                             hint="a decrease is at most -100%")
        return "percent", amount
    if amount.denominator != 1:
        raise InputError(f"--whatif '{item}': {number} is not a whole number",
                         hint="use a whole number of officers, cars or posts, or a percentage")
    return ("delta" if sign else "value"), (-amount if sign == "-" else amount)


def own_totals(scenario: Scenario) -> dict[str, int]:
    """A county's own totals: police, auxiliary and cars of its stations (pools keep theirs)."""
    stations = scenario.stations
    return {"police": sum(s.police for s in stations), "auxiliary": sum(s.auxiliary for s in stations),
            "cars": sum(s.cars for s in stations)}


# ------------------------------------------------------------------------------------ one county


@dataclass(frozen=True)
class CountyJob:
    """One county's task: what :func:`plan_county` needs, all plain and picklable (paths as text)."""

    name: str
    scenario: str
    out_dir: str
    options: Mapping[str, Any]
    baseline: bool = True
    whatif: WhatIf | None = None
    baseline_posts: int | None = None


@dataclass(frozen=True)
class CountyOutcome:
    """One county and variant: ``status`` ``planned``, ``unchanged`` or ``failed`` (with ``error``);
    ``figures`` the plan's summary figures; ``resources`` the what-if's ``(own, what-if)`` totals;
    ``worker`` host:pid, ``task_s`` and ``task_cpu_s`` the wall and CPU seconds of the county's task."""

    county: str
    variant: str
    status: str
    error: str = ""
    figures: Mapping[str, Any] = field(default_factory=dict)
    resources: Mapping[str, Any] = field(default_factory=dict)
    worker: str = ""
    task_s: float = 0.0
    task_cpu_s: float = 0.0


def plan_directory(out_dir: str | Path, county: str, variant: str) -> Path:
    """Where a county's plan goes: ``OUT/<county>`` or, for the what-if, ``OUT/whatif/<county>``."""
    out_dir = Path(out_dir)
    return out_dir / county if variant == BASELINE else out_dir / WHATIF_DIR / county


def stamp(variant: str, scenario: Path, scenario_sha256: str, options: Mapping[str, Any]) -> dict[str, Any]:
    """What a county's ``plan.json`` records under ``"batch"``, and a rerun compares: the options
    of the run (with the what-if's text for a what-if plan) and the scenario file's SHA-256."""
    options = {**options, "whatif": None if variant == BASELINE else variant}
    return json.loads(json.dumps({"format": AREA_FORMAT, "variant": variant, "scenario": str(scenario),
                                  "scenario_sha256": scenario_sha256, "options": options}))


def plan_county(job: CountyJob) -> tuple[CountyOutcome, ...]:
    """Plan one county (the baseline and/or the what-if) and write each plan directory.

    Runs where the task runs (a Dask worker): the scenario and input files are read, and the plan
    directories written, at the paths the job names. Never raises for the county's own failure:
    the outcome is ``failed`` with the error line."""
    started = time.perf_counter(), time.process_time()
    worker = f"{socket.gethostname()}:{os.getpid()}"
    variants = ([BASELINE] if job.baseline else []) + ([job.whatif.text] if job.whatif else [])
    path = Path(job.scenario)

    def failed(variant: str, exc: BaseException, resources: Mapping | None = None) -> CountyOutcome:
        if not isinstance(exc, GeoPatrolError):
            log.error("planning %s (%s) failed", job.name, variant, exc_info=exc)
        return CountyOutcome(job.name, variant, "failed", error_line(exc), resources=resources or {}, worker=worker)

    try:
        if job.options.get("geo_patrol") != __version__:
            raise GeoPatrolError(f"this worker runs geo_patrol {__version__}, the client "
                                 f"{job.options.get('geo_patrol')} — install the same version on every worker")
        if not path.is_file():
            raise InputError(f"scenario file not found on {socket.gethostname()}", file=path,
                             hint="every worker needs the inputs at the same paths (shared storage)")
        scenario_sha = sha256_file(path)
        scenario = Scenario.from_toml(path)
        prepared = prepare(scenario)
    except Exception as exc:
        return _timed(tuple(failed(v, exc) for v in variants), started)
    outcomes = []
    baseline_posts = job.baseline_posts
    common = {"time_limit_s": job.options["time_limit_s"], "engine": job.options["engine"], "prepared": prepared,
              "workers": 1}
    if job.baseline:
        try:
            plan = make_plan(scenario, **common)
            outcomes.append(_write(job, plan, BASELINE, scenario_sha, {}, worker))
            baseline_posts = plan.meta["summary"]["posts"]
        except Exception as exc:
            outcomes.append(failed(BASELINE, exc))
            baseline_posts = None
    if job.whatif is not None:
        totals: dict[str, tuple[int | None, int]] = {}
        try:
            totals = job.whatif.totals({**own_totals(scenario), "posts": baseline_posts})
            limits = {"max_posts" if k == "posts" else k: new for k, (_, new) in totals.items()}
            plan = make_plan(scenario, **common, **limits)
            outcomes.append(_write(job, plan, job.whatif.text, scenario_sha, totals, worker))
        except Exception as exc:
            outcomes.append(failed(job.whatif.text, exc, _resources(totals)))
    return _timed(tuple(outcomes), started)


def _timed(outcomes: tuple[CountyOutcome, ...], started: tuple[float, float]) -> tuple[CountyOutcome, ...]:
    task_s, cpu_s = round(time.perf_counter() - started[0], 3), round(time.process_time() - started[1], 3)
    return tuple(dataclasses.replace(o, task_s=task_s, task_cpu_s=cpu_s) for o in outcomes)


def _resources(totals: Mapping[str, tuple[int | None, int]]) -> dict[str, dict[str, int | None]]:
    return {k: {"own": own, "whatif": new} for k, (own, new) in totals.items()}


def _write(job: CountyJob, plan, variant: str, scenario_sha: str, totals, worker: str) -> CountyOutcome:
    resources = _resources(totals)
    record = {**stamp(variant, Path(job.scenario), scenario_sha, job.options), "resources": resources}
    plan = dataclasses.replace(plan, meta={**plan.meta, "batch": record})
    plan.to_dir(plan_directory(job.out_dir, job.name, variant), force=True)
    return CountyOutcome(job.name, variant, "planned", figures=figures(plan.meta), resources=resources,
                         worker=worker)


def figures(meta: Mapping[str, Any]) -> dict[str, Any]:
    """The summary figures of a ``plan.json`` the area summary shows."""
    summary = meta["summary"]
    return {key: summary[key] for key in _FIGURES}


def error_line(exc: BaseException) -> str:
    """An error as one line: a :class:`GeoPatrolError`'s own message (file, row, field, what to do),
    anything else as an internal error with its type."""
    text = str(exc) if isinstance(exc, GeoPatrolError) else f"internal error: {type(exc).__name__}: {exc}"
    return " ".join(text.split())


# ------------------------------------------------------------------------------------ the whole area


@dataclass(frozen=True)
class AreaResult:
    """What :func:`plan_area` did: one outcome per county and variant (sorted), the summary rows,
    the files written and the wall time; ``task_s`` is each planned county's task time."""

    name: str
    out_dir: Path
    counties: tuple[County, ...]
    outcomes: tuple[CountyOutcome, ...]
    rows: tuple[dict[str, Any], ...]
    files: tuple[Path, ...]
    wall_s: float
    whatif: str | None = None

    @property
    def failed(self) -> tuple[CountyOutcome, ...]:
        return tuple(o for o in self.outcomes if o.status == "failed")

    def status(self, county: str, variant: str = BASELINE) -> str:
        return next(o.status for o in self.outcomes if o.county == county and o.variant == variant)

    @property
    def task_s(self) -> dict[str, float]:
        """County → wall seconds of its task (the counties planned in this run)."""
        return {o.county: o.task_s for o in self.outcomes if o.task_s}

    @property
    def task_cpu_s(self) -> dict[str, float]:
        """County → CPU seconds of its task (the counties planned in this run)."""
        return {o.county: o.task_cpu_s for o in self.outcomes if o.task_s}


def plan_area(
    area: str | Path,
    out_dir: str | Path,
    *,
    workers: int = 2,
    scheduler: str | None = None,
    time_limit_s: float = 20.0,
    whatif: str | WhatIf | None = None,
    force: bool = False,
    progress: Callable[[str], None] | None = None,
) -> AreaResult:
    """Plan every county of ``area`` into ``out_dir`` and write the area summary (module docstring).

    ``workers``: local worker processes (1: serially here); ``scheduler``: the address of an
    existing Dask cluster instead (``tcp://host:port``). ``time_limit_s`` bounds each solver call
    of each county's plan. ``whatif`` also plans every county with changed totals. ``force`` plans
    counties whose plan is up to date too. Raises :class:`InputError` for a bad area, what-if or
    output folder before any work; a county's own failure is in its outcome.
    """
    say = progress or (lambda message: None)
    started = time.perf_counter()
    out_dir = Path(out_dir)
    what = parse_whatif(whatif)
    name, counties = find_counties(area, exclude=out_dir)
    _check_out_dir(out_dir, counties)
    options = {"time_limit_s": float(time_limit_s), "engine": DEFAULT_ENGINE, "geo_patrol": __version__}
    _write_area_json(out_dir, name, options, what, [], running=True)

    variants = [BASELINE] + ([what.text] if what is not None else [])
    jobs, kept = _jobs(counties, out_dir, variants, what, options, force=force)
    # the biggest counties first, so that the last task to finish is a small one
    jobs.sort(key=lambda job: (-_input_bytes(Path(job.scenario)), job.name))
    where = (f"on the Dask cluster at {scheduler}" if scheduler else
             f"on {min(workers, len(jobs))} local worker processes" if workers > 1 and len(jobs) > 1 else "here")
    skipped = [sum(o.variant == v and o.status == "unchanged" for o in kept) for v in variants]
    say(f"{len(counties)} counties in {name}; up to date since their plans were made (skipped): {skipped[0]} "
        + (f"baseline and {skipped[1]} what-if plans" if what else "plans") + f"; planning {len(jobs)} {where}")
    results = run_jobs(plan_county, jobs, workers=workers, scheduler=scheduler, progress=_teller(jobs, say),
                       return_exceptions=True)
    outcomes = list(kept)
    for job, result in zip(jobs, results):
        outcomes += _lost(job, result) if isinstance(result, BaseException) else result
    order = {BASELINE: 0}
    outcomes.sort(key=lambda o: (o.county, order.get(o.variant, 1)))
    rows = summary_rows(outcomes)
    files = _write_summary(out_dir, name, options, what, outcomes, rows)
    return AreaResult(name, out_dir, counties, tuple(outcomes), tuple(rows), tuple(files),
                      time.perf_counter() - started, what.text if what else None)


def _jobs(counties: Sequence[County], out_dir: Path, variants: Sequence[str], what: WhatIf | None,
          options: Mapping[str, Any], *, force: bool) -> tuple[list[CountyJob], list[CountyOutcome]]:
    """The counties' tasks, and the outcomes of the county plans not planned again: up to date
    (``unchanged``), or a plan no batch made in the way (``failed``, unless ``force``)."""
    jobs, kept = [], []
    for county in counties:
        sha = sha256_file(county.scenario) if county.scenario.is_file() else ""
        todo, metas = [], {}
        for variant in variants:
            metas[variant] = None if force else _up_to_date(out_dir, county, variant, sha, options)
            outcome = _kept(out_dir, county.name, variant, metas[variant], force=force)
            if outcome is None:
                todo.append(variant)
            else:
                kept.append(outcome)
        if todo:
            base_meta = metas[BASELINE]
            jobs.append(CountyJob(
                county.name, str(county.scenario), str(out_dir.resolve()), options, baseline=BASELINE in todo,
                whatif=what if what is not None and what.text in todo else None,
                baseline_posts=base_meta["summary"]["posts"] if base_meta is not None else None))
    return jobs, kept


def _kept(out_dir: Path, county: str, variant: str, meta: Mapping[str, Any] | None, *,
          force: bool) -> CountyOutcome | None:
    """The outcome of a county plan left as it is (up to date, or not a batch's), ``None`` to plan it."""
    folder = plan_directory(out_dir, county, variant)
    if meta is not None:
        return CountyOutcome(county, variant, "unchanged", figures=figures(meta),
                             resources=meta["batch"].get("resources", {}))
    if not force and _not_ours(folder):
        return CountyOutcome(county, variant, "failed", error=(
            f"{folder}: holds a plan this batch did not make (by `geo-patrol plan`, or rebuilt by "
            f"`evaluate` after a hand edit), kept as it is — move it away, or add --force to replace it"))
    return None


def _teller(jobs: Sequence[CountyJob], say: Callable[[str], None]) -> Callable[[JobDone], None]:
    """The progress line of each county done, with the count of failures so far."""
    failures = 0

    def tell(done: JobDone) -> None:
        nonlocal failures
        job = jobs[done.index]
        outcome = done.result
        failed = done.error is not None or any(o.status == "failed" for o in outcome)
        failures += failed
        left = "" if done.done == done.total else f", about {_duration(done.left_s)} left"
        say(f"{done.done}/{done.total} counties done ({failures} failed){left} — {job.name}: "
            + ("failed" if failed else f"planned in {_duration(outcome[0].task_s)}"))

    return tell


def _lost(job: CountyJob, error: BaseException) -> list[CountyOutcome]:
    """The task itself was lost (a worker died, the cluster went away): each of its variants failed."""
    variants = ([BASELINE] if job.baseline else []) + ([job.whatif.text] if job.whatif else [])
    return [CountyOutcome(job.name, v, "failed", f"the worker planning it failed: {error_line(error)}")
            for v in variants]


def _check_out_dir(out_dir: Path, counties: Sequence[County]) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise InputError("is not a folder", file=out_dir, hint="give a folder for --out")
    if out_dir.is_dir() and any(out_dir.iterdir()):
        try:
            ours = json.loads((out_dir / "area.json").read_text(encoding="utf-8")).get("format") == AREA_FORMAT
        except (OSError, ValueError, AttributeError):
            ours = False
        if not ours:
            raise InputError("exists and is not an area folder geo_patrol wrote", file=out_dir,
                             hint="choose another --out (nothing was changed)")
    resolved = out_dir.resolve()
    for county in counties:
        if resolved in county.scenario.parents:
            raise InputError(f"holds the scenario of {county.name}; writing there would mix plans and inputs",
                             file=out_dir, hint="choose an --out outside the area's folders")


def _up_to_date(out_dir: Path, county: County, variant: str, sha: str, options: Mapping) -> dict | None:
    """The ``plan.json`` of the county's plan when it is complete and was made with these options
    from the scenario and input files as they are now; else ``None``."""
    folder = plan_directory(out_dir, county.name, variant)
    if not sha or not all((folder / name).is_file() for name in PLAN_FILES):
        return None
    try:
        meta = read_meta(folder)
        recorded = meta.get("batch", {})
        if {k: recorded.get(k) for k in ("format", "variant", "scenario", "scenario_sha256", "options")} != stamp(
                variant, county.scenario, sha, options):
            return None
        for entry in meta.get("inputs", {}).values():
            file = Path(str(entry.get("file", "")))
            if not entry.get("sha256") or not file.is_file() or sha256_file(file) != entry["sha256"]:
                return None
        figures(meta)
    except (InputError, KeyError, TypeError, AttributeError):
        return None
    return meta


def _not_ours(folder: Path) -> bool:
    """Whether ``folder`` exists and holds something other than a plan a batch made (and nobody
    rebuilt since): a batch replaces those only with ``force``."""
    if not folder.exists():
        return False
    try:
        meta = json.loads((folder / "plan.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return True
    return not isinstance(meta, dict) or "batch" not in meta or "evaluated" in meta


def _input_bytes(scenario: Path) -> int:
    """The size of a scenario's input files (how big the county is, before reading it)."""
    try:
        inputs = tomllib.loads(scenario.read_text(encoding="utf-8")).get("inputs", {})
        return sum((scenario.parent / str(inputs[key])).stat().st_size
                   for key in ("schools", "stations", "sites", "network") if key in inputs)
    except (OSError, ValueError, TypeError, AttributeError):
        return 0


def _duration(seconds: float) -> str:
    if not math.isfinite(seconds):
        return "?"
    seconds = int(round(seconds))
    return f"{seconds // 3600} h {seconds // 60 % 60:02d} min" if seconds >= 3600 else \
        f"{seconds // 60} min {seconds % 60:02d} s" if seconds >= 60 else f"{seconds} s"


# ------------------------------------------------------------------------------------ the summary


def summary_rows(outcomes: Sequence[CountyOutcome]) -> list[dict[str, Any]]:
    """The rows of ``area_summary.csv``: per county, period and variant (the what-if next to its
    baseline), a failed county and variant as one row with its error."""
    rows = []
    by_county: dict[str, list[CountyOutcome]] = {}
    for outcome in outcomes:
        by_county.setdefault(outcome.county, []).append(outcome)
    for county, group in by_county.items():
        periods = list(dict.fromkeys(p for o in group for p in o.figures.get("periods", ())))
        for outcome in group:
            if outcome.status == "failed":
                rows.append({**{c: "" for c in SUMMARY_COLUMNS}, "county": county, "variant": outcome.variant,
                             "status": "failed", "resources": _resources_text(outcome.resources),
                             "error": outcome.error})
        for period in periods:
            for outcome in group:
                f = outcome.figures
                if outcome.status == "failed" or period not in f.get("periods", ()):
                    continue
                rows.append({
                    "county": county, "variant": outcome.variant, "period": period,
                    "schools": f["windows"][period], "met": f["met"][period], "met_strict": f["met_strict"][period],
                    "schools_with_post": f["schools_with_post"][period], "posts": f["posts"],
                    "officers": f["police"] + f["auxiliary"], "cars": f["cars_used"][period],
                    "km": f["km_driven"][period], "status": outcome.status,
                    "resources": _resources_text(outcome.resources), "error": "",
                })
    return rows


def _resources_text(resources: Mapping[str, Any]) -> str:
    return "; ".join(f"{k} {v.get('own') if v.get('own') is not None else '?'}→{v.get('whatif')}"
                     for k, v in resources.items())




def area_totals(rows: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per variant and period, the sums over the counties that have a plan."""
    out: dict[tuple[str, str], dict[str, Any]] = {}
    for row in rows:
        if row["status"] == "failed":
            continue
        total = out.setdefault((row["variant"], row["period"]), {"variant": row["variant"], "period": row["period"],
                                                                  "counties": 0, **{k: 0 for k in TOTALS}})
        total["counties"] += 1
        for key in TOTALS:
            total[key] += row[key]
    for total in out.values():
        total["km"] = round(total["km"], 1)
        total["met_share"] = round(total["met"] / total["schools"], 4) if total["schools"] else 0.0
    return list(out.values())


def _write_area_json(out_dir: Path, name: str, options, what, outcomes, *, running: bool = False) -> Path:
    out_dir.mkdir(parents=True, exist_ok=True)
    data = {"format": AREA_FORMAT, "area": name, "running": running, "options": {**options, "whatif": what.text
                                                                                  if what else None},
            "counties": [{"county": o.county, "variant": o.variant, "status": o.status, "error": o.error,
                          "task_s": o.task_s, "task_cpu_s": o.task_cpu_s, "worker": o.worker} for o in outcomes]}
    return write_atomic(out_dir / "area.json", json_text(data))


def _write_summary(out_dir: Path, name: str, options, what, outcomes, rows) -> list[Path]:
    totals = area_totals(rows)
    csv_path = write_atomic(out_dir / "area_summary.csv",
                            csv_text(SUMMARY_COLUMNS, ([row[c] for c in SUMMARY_COLUMNS] for row in rows)))
    xlsx_path = write_atomic(out_dir / "area_report.xlsx",
                             area_workbook(rows, totals, what.text if what is not None else None, BASELINE))
    html_path = write_atomic(out_dir / "index.html", area_index(name, _index_links(rows, out_dir), totals))
    return [csv_path, xlsx_path, html_path, _write_area_json(out_dir, name, options, what, outcomes)]


def _index_links(rows, out_dir: Path) -> list[dict[str, Any]]:
    """The summary rows, each with the link to its plan's folder when that has a map (else ``""``)."""
    shown = []
    for row in rows:
        folder = plan_directory(".", row["county"], row["variant"])
        has_map = row["status"] != "failed" and (out_dir / folder / "map.html").is_file()
        shown.append({**row, "link": "".join(quote(part) + "/" for part in folder.parts) if has_map else ""})
    return shown
