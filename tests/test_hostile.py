"""Hostile and careless input through the command line: one line, exit 2, nothing lost or half-written."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import Polygon

from geo_patrol.cli import main
from geo_patrol.io.atomic import STAGING_MARKER, write_directory
from geo_patrol.plan import Plan


def _run(args, capsys) -> tuple[int, list[str]]:
    code = main([str(a) for a in args])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    return code, err


def _plan(tiny_dir: Path, out: Path, capsys, *extra) -> tuple[int, list[str]]:
    return _run(["plan", tiny_dir / "scenario.toml", "--out", out, "--time-limit", "1", "--no-map", *extra], capsys)


def _with_parameters(tiny_dir: Path, text: str) -> None:
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8") + "\n[parameters]\n" + text + "\n", encoding="utf-8")


# ------------------------------------------------------------------------------------- --force


def test_force_never_deletes_a_folder_that_is_not_a_plan(tiny_dir, tmp_path, capsys):
    work = tmp_path / "work"
    (work / "sub").mkdir(parents=True)
    (work / "precious.xlsx").write_bytes(b"keep me")
    code, err = _plan(tiny_dir, work, capsys, "--force")
    assert code == 2 and len(err) == 1 and "is not a folder geo_patrol wrote" in err[0]
    assert (work / "precious.xlsx").read_bytes() == b"keep me" and (work / "sub").is_dir()


def test_force_never_replaces_a_file(tiny_dir, tmp_path, capsys):
    notes = tmp_path / "notes.txt"
    notes.write_text("notes", encoding="utf-8")
    code, err = _plan(tiny_dir, notes, capsys, "--force")
    assert code == 2 and len(err) == 1 and notes.read_text(encoding="utf-8") == "notes"


def test_out_may_not_hold_the_inputs(tiny_dir, capsys):
    before = {p.name: p.read_bytes() for p in tiny_dir.iterdir()}
    code, err = _plan(tiny_dir, tiny_dir, capsys, "--force")
    assert code == 2 and len(err) == 1
    assert {p.name: p.read_bytes() for p in tiny_dir.iterdir()} == before


def test_force_replaces_a_plan_in_one_swap_and_cleans_stale_staging(tiny_dir, tmp_path, capsys):
    out = tmp_path / "plan"
    assert _plan(tiny_dir, out, capsys)[0] == 0
    stale = tmp_path / ".plan.killed"
    stale.mkdir()
    (stale / STAGING_MARKER).touch()
    unrelated = tmp_path / ".plan.notes"
    unrelated.mkdir()
    assert _plan(tiny_dir, out, capsys, "--force")[0] == 0
    assert not stale.exists() and unrelated.is_dir()
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".", "plan"))) == [".plan.notes", "plan"]


def test_a_failed_write_keeps_the_old_plan_whole(tiny_dir, tmp_path, capsys):
    out = tmp_path / "plan"
    assert _plan(tiny_dir, out, capsys)[0] == 0
    before = {p.name: p.read_bytes() for p in out.iterdir()}

    def broken(folder: Path) -> None:
        (folder / "plan.json").write_text("{}", encoding="utf-8")
        raise OSError(28, "No space left on device")

    with pytest.raises(OSError):
        write_directory(out, broken, force=True)
    assert {p.name: p.read_bytes() for p in out.iterdir()} == before
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith((".", "plan"))) == ["plan"]


def test_out_under_a_file_or_a_dangling_link_is_refused_before_any_work(tiny_dir, tmp_path, capsys):
    blocker = tmp_path / "blocker"
    blocker.write_text("x", encoding="utf-8")
    code, err = _plan(tiny_dir, blocker / "plan", capsys)
    assert code == 2 and len(err) == 1 and "not writable" in err[0]
    link = tmp_path / "link"
    link.symlink_to(tmp_path / "nowhere")
    code, err = _plan(tiny_dir, link, capsys)
    assert code == 2 and len(err) == 1 and "symbolic link" in err[0]
    assert not (tmp_path / "nowhere").exists()


def test_interrupt_before_writing_says_nothing_was_written(tiny_dir, tmp_path, capsys, monkeypatch):
    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    monkeypatch.setattr("geo_patrol.cli.make_plan", interrupted)
    code, err = _plan(tiny_dir, tmp_path / "plan", capsys)
    assert code == 130 and err == ["geo-patrol: interrupted; nothing was written"]
    assert not (tmp_path / "plan").exists()


# ------------------------------------------------------------------------------------- values


@pytest.mark.parametrize("text, message", [
    ("dwell_s = inf", "parameters.dwell_s': inf is not valid"),
    ("dwell_s = nan", "parameters.dwell_s': nan is not valid"),
    ("dwell_s = 0", "parameters.dwell_s': 0 is not valid"),
    ("shift_lead_s = 1e30", "parameters.shift_lead_s': 1e+30 is not valid"),
    ("post_radius_m = 1e9", "parameters.post_radius_m': 1000000000.0 is not valid"),
    ("post_radius_m = nan", "parameters.post_radius_m': nan is not valid"),
    ("visits_per_window = 1000000000000", "parameters.visits_per_window': 1000000000000 is not valid"),
    ("sed = 7", "unknown key 'sed' in [parameters]"),
    ("min_seen_s = 400", "min_seen_s 400 must lie within 1…dwell_s (300)"),
])
def test_absurd_parameters_are_refused(tiny_dir, tmp_path, capsys, text, message):
    _with_parameters(tiny_dir, text)
    for command in (["inspect", tiny_dir / "scenario.toml"],
                    ["plan", tiny_dir / "scenario.toml", "--out", tmp_path / "p"]):
        code, err = _run(command, capsys)
        assert code == 2 and len(err) == 1 and message in err[0], err
    assert not (tmp_path / "p").exists()


@pytest.mark.parametrize("edit, message", [
    (("[scenario]", "[scenario]\nsed = 7"), "unknown key 'sed' in [scenario] — did you mean seed?"),
    (('network = "roads.osm"', 'network = "roads.osm"\nschool_datum = "gcj02"'),
     "unknown key 'school_datum' in [inputs] — did you mean schools_datum?"),
    (("[scenario]", "[scenarios]\n[scenario]"), "unknown key 'scenarios' — did you mean scenario?"),
    (("seed = 7", "seed = 99999999999999"), "is not a whole number in 0 … 2147483647"),
    (("[scenario]", '[scenario]\ntimezone = "Mars/Olympus"'), "'Mars/Olympus' is not a time zone"),
])
def test_typos_in_the_scenario_file_name_the_closest_key(tiny_dir, capsys, edit, message):
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8").replace(*edit, 1), encoding="utf-8")
    code, err = _run(["inspect", path], capsys)
    assert code == 2 and len(err) == 1 and message in err[0], err


def test_overlapping_windows_of_one_school_are_an_error(tiny_dir, capsys):
    path = tiny_dir / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    lines[0] += ",午间时间"
    lines[1:] = [line + ",07:00-17:00" for line in lines[1:]]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    code, err = _run(["inspect", tiny_dir / "scenario.toml"], capsys)
    assert code == 2 and len(err) == 1
    assert "S1 第一小学: the noon window 07:00-17:00 overlaps the morning window 07:30-08:10" in err[0]


def test_campus_outlines_need_a_declared_gate(tiny_dir, capsys):
    frame = gpd.GeoDataFrame(
        {"id": ["S1"], "name": ["一小"], "kind": ["primary"], "enrolment": [500],
         "morning": ["07:30-08:00"], "afternoon": ["16:00-16:30"]},
        geometry=[Polygon([(114.3015, 30.5015), (114.3025, 30.5015), (114.3025, 30.5025), (114.3015, 30.5025)])],
        crs=4326)
    frame.to_file(tiny_dir / "schools.geojson")
    path = tiny_dir / "scenario.toml"
    path.write_text(path.read_text(encoding="utf-8").replace("schools.csv", "schools.geojson"), encoding="utf-8")
    code, err = _run(["inspect", path], capsys)
    assert code == 2 and len(err) == 1 and "a campus outline), which has no gate" in err[0]
    frame["经度"], frame["纬度"] = [114.3020], [30.5020]
    frame.to_file(tiny_dir / "schools.geojson")
    code, err = _run(["inspect", path], capsys)
    assert code == 0, err


# ------------------------------------------------------------------------------------- plan files


@pytest.fixture
def written(tiny_dir, tmp_path, capsys) -> Path:
    out = tmp_path / "plan"
    assert _plan(tiny_dir, out, capsys)[0] == 0
    return out


def test_truncated_plan_json_is_one_line(tiny_dir, written, capsys):
    path = written / "plan.json"
    path.write_bytes(path.read_bytes()[:200])
    code, err = _run(["evaluate", tiny_dir / "scenario.toml", "--plan", written], capsys)
    assert code == 2 and len(err) == 1 and "plan.json: not valid UTF-8 JSON" in err[0]


def test_plan_files_resaved_by_excel_read_back(tiny_dir, written, capsys):
    stations = written / "stations.csv"
    text = stations.read_text(encoding="utf-8-sig")
    stations.write_bytes(text.replace("police,", "police_deleted,").encode("gbk"))  # a column renamed away
    posts = written / "posts.csv"
    posts.write_bytes(posts.read_text(encoding="utf-8-sig").encode("gbk"))
    code, err = _run(["evaluate", tiny_dir / "scenario.toml", "--plan", written], capsys)
    assert code == 0, err


def test_formula_names_are_neutralised_in_csv_and_read_back_exactly(tiny_dir, tmp_path, capsys):
    path = tiny_dir / "schools.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("第一小学", '=HYPERLINK("http://x";"y")'),
                    encoding="utf-8")
    out = tmp_path / "plan"
    assert _plan(tiny_dir, out, capsys)[0] == 0
    cell = next(line for line in (out / "schools.csv").read_text(encoding="utf-8-sig").splitlines()
                if line.startswith("S1,"))
    assert cell.startswith("S1,\"'=HYPERLINK(")
    assert next(s.name for s in Plan.from_dir(out).schools if s.school_id == "S1") == '=HYPERLINK("http://x";"y")'


def test_a_closed_pipe_is_not_an_error(tiny_dir):
    command = f'"{sys.executable}" -m geo_patrol.cli inspect "{tiny_dir / "scenario.toml"}" | head -1'
    result = subprocess.run(["bash", "-o", "pipefail", "-c", command], capture_output=True, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"}, timeout=120)
    assert "Traceback" not in result.stderr and result.stdout.startswith("Scenario: tiny town")


def test_evaluate_keeps_what_it_cannot_read_untouched(tiny_dir, written, capsys):
    (written / "visits.csv").write_text("vehicle_id\n", encoding="utf-8")
    before = {p.name: p.read_bytes() for p in written.iterdir()}
    code, err = _run(["evaluate", tiny_dir / "scenario.toml", "--plan", written], capsys)
    assert code == 2 and len(err) == 1 and "visits.csv" in err[0]
    assert {p.name: p.read_bytes() for p in written.iterdir()} == before
    assert json.loads(before["plan.json"])["format"] == "geo_patrol.plan/2"
    shutil.rmtree(written)
