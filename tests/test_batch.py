"""Many counties at once (geo_patrol.batch, geo_patrol.parallel): serially, on a LocalCluster of 2
workers and on a real Dask cluster (``dask scheduler`` + two ``dask worker`` processes), the same
plans; a broken county reported without losing the others; reruns skip what did not change; the
area summary equals each plan's plan.json."""

from __future__ import annotations

import json
import math
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from conftest import SCENARIO_TOML, SCHOOLS_CSV, STATIONS_CSV, read_rows, write_grid_osm
from openpyxl import load_workbook

from geo_patrol.batch import AREA_FORMAT, SUMMARY_COLUMNS, find_counties, parse_whatif, plan_area
from geo_patrol.cli import main
from geo_patrol.errors import InputError
from geo_patrol.parallel import run_jobs

#: Three counties: one as conftest's tiny town, one with a second station and two more schools
#: (its name needs escaping in HTML and quoting in a link), one whose schools file is broken.
NORTH, SOUTH, BROKEN = "北城区", "south & 'east'", "broken"

MORE_SCHOOLS = """S4,第三小学,小学,114.3040,30.5000,600,3,07:40-08:20,16:10-16:50,否,否
S5,城南幼儿园,幼儿园,114.3080,30.5080,150,2,08:00-08:40,16:30-17:10,否,否
"""
SECOND_STATION = "P2,城南派出所,114.3080,30.5060,6,6,1\n"
TIME_LIMIT_S = 2.0
#: Fields of plan.json that say how long something took, or when: they differ between runs.
RUNTIME_FIELDS = {"created", "timing_s", "runtime_s"}


def write_county(folder: Path, *, schools: str = SCHOOLS_CSV, stations: str = STATIONS_CSV) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_grid_osm(folder / "roads.osm")
    (folder / "schools.csv").write_text(schools, encoding="utf-8")
    (folder / "stations.csv").write_text(stations, encoding="utf-8")
    (folder / "scenario.toml").write_text(SCENARIO_TOML.replace("tiny town", folder.name), encoding="utf-8")
    return folder / "scenario.toml"


def write_area(root: Path) -> Path:
    write_county(root / NORTH)
    write_county(root / SOUTH, schools=SCHOOLS_CSV + MORE_SCHOOLS, stations=STATIONS_CSV + SECOND_STATION)
    write_county(root / BROKEN, schools=SCHOOLS_CSV.replace("07:00-07:40", "07:00-7h40"))
    return root


@pytest.fixture(scope="module")
def area(tmp_path_factory) -> Path:
    return write_area(tmp_path_factory.mktemp("area"))


@pytest.fixture(scope="module")
def serial(area, tmp_path_factory):
    out = tmp_path_factory.mktemp("serial") / "plans"
    return plan_area(area, out, workers=1, time_limit_s=TIME_LIMIT_S)


def without_runtime(value):
    if isinstance(value, dict):
        return {k: without_runtime(v) for k, v in value.items() if k not in RUNTIME_FIELDS}
    if isinstance(value, list):
        return [without_runtime(v) for v in value]
    return value


def assert_same_plans(one: Path, other: Path, counties) -> None:
    """Every CSV and GeoJSON file byte for byte, plan.json apart from its runtime fields."""
    for county in counties:
        a, b = one / county, other / county
        names = sorted(p.name for p in a.iterdir() if p.suffix in (".csv", ".geojson"))
        assert names and names == sorted(p.name for p in b.iterdir() if p.suffix in (".csv", ".geojson"))
        for name in names:
            assert (a / name).read_bytes() == (b / name).read_bytes(), f"{county}/{name} differs"
        meta_a, meta_b = (json.loads((d / "plan.json").read_text(encoding="utf-8")) for d in (a, b))
        assert without_runtime(meta_a) == without_runtime(meta_b), f"{county}/plan.json differs"


def test_every_good_county_is_planned_and_the_broken_one_reported(serial):
    out = serial.out_dir
    assert [c.name for c in serial.counties] == sorted([NORTH, SOUTH, BROKEN])
    assert {o.county: o.status for o in serial.outcomes} == {NORTH: "planned", SOUTH: "planned", BROKEN: "failed"}
    (failed,) = serial.failed
    assert failed.error.startswith("schools.csv, row 4, field '上学时间': '7h40' is not a clock time")
    assert not (out / BROKEN).exists()
    for county in (NORTH, SOUTH):
        assert {"plan.json", "map.html", "report.xlsx", "coverage.csv"} <= {p.name for p in (out / county).iterdir()}
    meta = json.loads((out / SOUTH / "plan.json").read_text(encoding="utf-8"))
    assert meta["summary"]["schools"] == 5 and meta["batch"]["options"]["time_limit_s"] == TIME_LIMIT_S
    assert json.loads((out / "area.json").read_text(encoding="utf-8"))["format"] == AREA_FORMAT


def test_the_summary_rows_are_the_figures_of_each_plan_json(serial):
    out = serial.out_dir
    rows = read_rows(out / "area_summary.csv")
    assert list(rows[0]) == list(SUMMARY_COLUMNS)
    failed = [r for r in rows if r["status"] == "failed"]
    assert [(r["county"], r["period"], r["error"][:12]) for r in failed] == [(BROKEN, "", "schools.csv,")]
    expected = []
    for county in (NORTH, SOUTH):
        s = json.loads((out / county / "plan.json").read_text(encoding="utf-8"))["summary"]
        for period in s["periods"]:
            expected.append({
                "county": county, "variant": "baseline", "period": period, "schools": str(s["windows"][period]),
                "met": str(s["met"][period]), "met_strict": str(s["met_strict"][period]),
                "schools_with_post": str(s["schools_with_post"][period]), "posts": str(s["posts"]),
                "officers": str(s["police"] + s["auxiliary"]), "cars": str(s["cars_used"][period]),
                "km": str(s["km_driven"][period]), "status": "planned", "resources": "", "error": "",
            })
    assert sorted((r for r in rows if r["status"] != "failed"), key=lambda r: (r["county"], r["period"])) == \
        sorted(expected, key=lambda r: (r["county"], r["period"]))
    assert {r["county"]: r["schools"] for r in rows if r["period"] == "morning"} == {NORTH: "3", SOUTH: "5"}

    sheet = load_workbook(out / "area_report.xlsx").worksheets[0]
    cells = [[("" if c is None else str(c)) for c in row] for row in sheet.iter_rows(min_row=2, values_only=True)]
    assert cells == [[r[c] for c in SUMMARY_COLUMNS] for r in rows]

    html = (out / "index.html").read_text(encoding="utf-8")
    assert "south &amp; &#39;east&#39;" in html and "south & 'east'" not in html
    assert 'href="south%20%26%20%27east%27/map.html"' in html and f'href="{"%E5%8C%97%E5%9F%8E%E5%8C%BA"}/map.html"' in html
    assert "broken/map.html" not in html


def test_two_workers_make_the_same_plans(serial, area, tmp_path):
    parallel = plan_area(area, tmp_path / "plans", workers=2, time_limit_s=TIME_LIMIT_S)
    assert [(o.county, o.status, o.error) for o in parallel.outcomes] == \
        [(o.county, o.status, o.error) for o in serial.outcomes]
    assert_same_plans(serial.out_dir, parallel.out_dir, (NORTH, SOUTH))
    assert parallel.rows == serial.rows


def test_a_rerun_skips_unchanged_counties_and_replans_a_changed_one(tmp_path):
    area, out = write_area(tmp_path / "area"), tmp_path / "plans"
    said = []
    plan_area(area, out, workers=1, time_limit_s=TIME_LIMIT_S)
    before = (out / NORTH / "plan.json").stat().st_mtime_ns
    again = plan_area(area, out, workers=1, time_limit_s=TIME_LIMIT_S, progress=said.append)
    assert {o.county: o.status for o in again.outcomes} == {NORTH: "unchanged", SOUTH: "unchanged", BROKEN: "failed"}
    assert (out / NORTH / "plan.json").stat().st_mtime_ns == before
    assert "skipped): 2 plans; planning 1 here" in said[0] and "1/1 counties done (1 failed)" in said[-1]
    assert {r["status"] for r in read_rows(out / "area_summary.csv") if r["county"] == NORTH} == {"unchanged"}

    (area / SOUTH / "schools.csv").write_text(SCHOOLS_CSV + MORE_SCHOOLS.splitlines()[0] + "\n", encoding="utf-8")
    (area / BROKEN / "schools.csv").write_text(SCHOOLS_CSV, encoding="utf-8")
    third = plan_area(area, out, workers=1, time_limit_s=TIME_LIMIT_S)
    assert {o.county: o.status for o in third.outcomes} == {NORTH: "unchanged", SOUTH: "planned", BROKEN: "planned"}
    assert json.loads((out / SOUTH / "plan.json").read_text(encoding="utf-8"))["summary"]["schools"] == 4

    other_limit = plan_area(area, out, workers=1, time_limit_s=3.0)  # another option: every county again
    assert {o.status for o in other_limit.outcomes} == {"planned"}

    # a plan rebuilt by `evaluate` (a hand edit) is not replaced without --force
    meta = json.loads((out / NORTH / "plan.json").read_text(encoding="utf-8"))
    meta.pop("batch")
    meta["evaluated"] = {"violations": 0}
    (out / NORTH / "plan.json").write_text(json.dumps(meta), encoding="utf-8")
    kept = plan_area(area, out, workers=1, time_limit_s=3.0)
    assert kept.status(NORTH) == "failed" and "holds a plan this batch did not make" in kept.failed[0].error
    assert "evaluated" in json.loads((out / NORTH / "plan.json").read_text(encoding="utf-8"))
    forced = plan_area(area, out, workers=1, time_limit_s=3.0, force=True)
    assert {o.status for o in forced.outcomes} == {"planned"}


def test_a_whatif_plans_every_county_again_with_its_own_totals(tmp_path):
    area, out = write_area(tmp_path / "area"), tmp_path / "plans"
    plan_area(area, out, workers=1, time_limit_s=TIME_LIMIT_S)
    result = plan_area(area, out, workers=1, time_limit_s=TIME_LIMIT_S, whatif="officers=-10%, cars=-1")
    variant = "officers=-10%,cars=-1"
    assert {(o.county, o.variant): o.status for o in result.outcomes} == {
        (NORTH, "baseline"): "unchanged", (NORTH, variant): "planned", (SOUTH, "baseline"): "unchanged",
        (SOUTH, variant): "planned", (BROKEN, "baseline"): "failed", (BROKEN, variant): "failed"}
    # north: 10 police, 12 auxiliary, 2 cars; south: 16, 18, 3 — 10 % less rounded half up, one car less
    for county, totals in ((NORTH, {"police": 9, "auxiliary": 11, "cars": 1}),
                           (SOUTH, {"police": 14, "auxiliary": 16, "cars": 2})):
        meta = json.loads((out / "whatif" / county / "plan.json").read_text(encoding="utf-8"))
        assert meta["resources"] == totals
        assert meta["batch"]["options"]["whatif"] == variant
    rows = read_rows(out / "area_summary.csv")
    north = [(r["variant"], r["period"], r["resources"]) for r in rows if r["county"] == NORTH]
    assert north == [("baseline", "morning", ""), (variant, "morning", "police 10→9; auxiliary 12→11; cars 2→1"),
                     ("baseline", "afternoon", ""), (variant, "afternoon", "police 10→9; auxiliary 12→11; cars 2→1")]
    assert "假设对比 (What-if)" in load_workbook(out / "area_report.xlsx").sheetnames
    posts = plan_area(area, out, workers=1, time_limit_s=TIME_LIMIT_S, whatif="posts=-1")
    assert {(o.county, o.status) for o in posts.outcomes if o.variant == "posts=-1"} == \
        {(NORTH, "planned"), (SOUTH, "planned"), (BROKEN, "failed")}
    for county in (NORTH, SOUTH):
        base, less = (json.loads((d / county / "plan.json").read_text(encoding="utf-8"))
                      for d in (out, out / "whatif"))
        assert less["batch"]["resources"]["posts"] == {"own": base["summary"]["posts"],
                                                       "whatif": base["summary"]["posts"] - 1}
        assert less["summary"]["posts"] <= base["summary"]["posts"] - 1


@pytest.mark.parametrize(("text", "expected"), [
    ("police=-10%", {"police": (25, 23)}),   # 22.5 → 23
    ("officers=90%", {"police": (25, 23), "auxiliary": (30, 27)}),
    ("cars=-2;posts=+3", {"cars": (3, 1), "posts": (40, 43)}),
    ("cars=-5", {"cars": (3, 0)}),
    ("警车=7", {"cars": (3, 7)}),
])
def test_whatif_totals(text, expected):
    own = {"police": 25, "auxiliary": 30, "cars": 3, "posts": 40}
    assert parse_whatif(text).totals(own) == expected


@pytest.mark.parametrize(("text", "match"), [
    ("police", "is not RESOURCE=CHANGE"), ("horses=-1", "is not RESOURCE=CHANGE"), ("cars=-1.5", "not a whole number"),
    ("police=-120%", "more than all of it"), ("officers=-1,police=2", "changes police twice"), (" , ", "changes nothing"),
])
def test_whatif_errors(text, match):
    with pytest.raises(InputError, match=match):
        parse_whatif(text)


def test_an_area_file_names_the_counties(tmp_path):
    write_county(tmp_path / "a" / "x")
    write_county(tmp_path / "b")
    (tmp_path / "area.toml").write_text(
        '[area]\nname = "某市"\n\n[[county]]\nname = "甲区"\nscenario = "a/x/scenario.toml"\n\n'
        '[[county]]\nname = "乙区"\nscenario = "b/scenario.toml"\n', encoding="utf-8")
    name, counties = find_counties(tmp_path / "area.toml")
    assert name == "某市"
    assert [(c.name, c.scenario) for c in counties] == [("乙区", (tmp_path / "b" / "scenario.toml").resolve()),
                                                        ("甲区", (tmp_path / "a" / "x" / "scenario.toml").resolve())]
    # the folder itself: nested folders joined with "__", the area file is not a county
    assert [c.name for c in find_counties(tmp_path)[1]] == ["a__x", "b"]


@pytest.mark.parametrize(("text", "match"), [
    ('[[county]]\nname = "../up"\nscenario = "b/scenario.toml"\n', "cannot be a folder name"),
    ('[[county]]\nname = "whatif"\nscenario = "b/scenario.toml"\n', "the area's own outputs"),
    ('[[county]]\nname = "A"\nscenario = "b/scenario.toml"\n[[county]]\nname = "a"\nscenario = "b/scenario.toml"\n',
     "two counties are named 'a'"),
    ('[[county]]\nname = "A"\nsenario = "b/scenario.toml"\n', "unknown key 'senario'.*did you mean scenario"),
    ('[[county]]\nname = "A"\n', "names no scenario file"),
    ('[inputs]\nschools = "s.csv"\n', "lists no \\[\\[county\\]\\].*plan it with `geo-patrol plan`"),
    ("[[county]\n", "not valid TOML"),
])
def test_bad_area_files(tmp_path, text, match):
    (tmp_path / "area.toml").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match=match):
        find_counties(tmp_path / "area.toml")


def test_the_output_folder_is_checked_before_any_work(area, tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "notes.txt").write_text("keep", encoding="utf-8")
    with pytest.raises(InputError, match="exists and is not an area folder geo_patrol wrote"):
        plan_area(area, tmp_path / "mine", workers=1)
    with pytest.raises(InputError, match="no county scenario found"):
        plan_area(tmp_path / "mine", tmp_path / "out", workers=1)
    assert [p.name for p in (tmp_path / "mine").iterdir()] == ["notes.txt"] and not (tmp_path / "out").exists()
    # an earlier area output that holds a county's inputs
    (tmp_path / "old").mkdir()
    (tmp_path / "old" / "area.json").write_text(json.dumps({"format": AREA_FORMAT}), encoding="utf-8")
    write_county(tmp_path / "old" / "x")
    (tmp_path / "area.toml").write_text('[[county]]\nname = "x"\nscenario = "old/x/scenario.toml"\n', encoding="utf-8")
    with pytest.raises(InputError, match="holds the scenario of x"):
        plan_area(tmp_path / "area.toml", tmp_path / "old", workers=1)


def test_cli_batch(area, tmp_path, capsys):
    code = main(["batch", str(area), "--out", str(tmp_path / "plans"), "--workers", "1", "--time-limit", "2"])
    captured = capsys.readouterr()
    assert code == 2  # the broken county
    assert f"failed: {BROKEN} [baseline]: schools.csv, row 4" in captured.out
    assert "Area summary written to" in captured.out and "1 of 3 counties failed" in captured.err
    assert (tmp_path / "plans" / NORTH / "map.html").is_file()

    code = main(["batch", str(area), "--out", str(tmp_path / "other"), "--whatif", "police=-x"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "--whatif 'police=-x' is not RESOURCE=CHANGE" in err
    assert not (tmp_path / "other").exists()


# ---------------------------------------------------------------------------------------------
# a real cluster: `dask scheduler` and two `dask worker` processes on 127.0.0.1


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _wait(ok, timeout_s: float, what: str, logs: list[Path]) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if ok():
            return
        time.sleep(0.2)
    tails = "\n".join(f"--- {p.name}\n{p.read_text(errors='replace')[-2000:]}" for p in logs if p.exists())
    raise AssertionError(f"{what} not ready within {timeout_s} s\n{tails}")


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1):
            return True
    except OSError:
        return False


@pytest.fixture(scope="module")
def dask_cluster(tmp_path_factory):
    """``tcp://127.0.0.1:PORT`` of a scheduler with two single-threaded workers, stopped afterwards."""
    folder = tmp_path_factory.mktemp("dask")
    port = _free_port()
    address = f"tcp://127.0.0.1:{port}"
    commands = [
        ["scheduler", "--host", "127.0.0.1", "--port", str(port), "--no-dashboard"],
        *(["worker", address, "--host", "127.0.0.1", "--nthreads", "1", "--no-dashboard", "--name", f"w{i}",
           "--local-directory", str(folder / f"w{i}"), "--death-timeout", "60"] for i in (1, 2)),
    ]
    processes, logs = [], []
    try:
        for n, args in enumerate(commands):
            logs.append(folder / f"{args[0]}{n}.log")
            with open(logs[-1], "wb") as log:
                processes.append(subprocess.Popen([sys.executable, "-m", "dask", *args], stdout=log,
                                                  stderr=subprocess.STDOUT, start_new_session=True))
            if n == 0:
                _wait(lambda: _listening(port), 60, "dask scheduler", logs)
        _wait(lambda: sum("Registered to" in p.read_text(errors="replace") for p in logs[1:]) == 2, 90,
              "two dask workers", logs)
        yield address
    finally:
        for process in reversed(processes):  # the workers first, then the scheduler
            if process.poll() is None:
                process.terminate()
        for process in processes:
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)  # its own session: the worker and what it started
                process.wait(timeout=20)


def test_run_jobs_on_a_real_cluster_keeps_the_input_order_and_each_jobs_exception(dask_cluster):
    seen = []
    assert run_jobs(sum, [range(3_000_000), range(10), range(5)], scheduler=dask_cluster,
                    progress=lambda done: seen.append(done.index)) == [sum(range(3_000_000)), 45, 10]
    assert sorted(seen) == [0, 1, 2]
    out = run_jobs(math.sqrt, [4, -1, 9], scheduler=dask_cluster, return_exceptions=True)
    assert out[0] == 2.0 and out[2] == 3.0 and isinstance(out[1], ValueError)
    with pytest.raises(ValueError, match="math domain error"):
        run_jobs(math.sqrt, [4, -1, 9], scheduler=dask_cluster)
    assert run_jobs(math.sqrt, [4, -1, 9], return_exceptions=True)[2] == 3.0  # serially the same
    # geo_patrol's own errors come back whole, attributes too (their __init__ wants keywords)
    whatif, error = run_jobs(parse_whatif, ["police=-10%", "horses=2"], scheduler=dask_cluster,
                             return_exceptions=True)
    assert whatif == parse_whatif("police=-10%")
    assert isinstance(error, InputError) and error.problem == "--whatif 'horses=2' is not RESOURCE=CHANGE"


def test_a_batch_on_a_real_cluster_equals_the_serial_run(dask_cluster, serial, area, tmp_path):
    on_cluster = plan_area(area, tmp_path / "plans", scheduler=dask_cluster, time_limit_s=TIME_LIMIT_S)
    assert [(o.county, o.status, o.error) for o in on_cluster.outcomes] == \
        [(o.county, o.status, o.error) for o in serial.outcomes]
    assert {o.worker.split(":")[0] for o in on_cluster.outcomes} == {socket.gethostname()}
    assert len({o.worker for o in on_cluster.outcomes}) >= 1
    assert_same_plans(serial.out_dir, on_cluster.out_dir, (NORTH, SOUTH))
    assert on_cluster.rows == serial.rows
