"""Same inputs and seed, same plan: with SOURCE_DATE_EPOCH set, every file byte for byte.

The reproducible-builds convention fixes the one instant a plan carries (plan.json's created, the
map's panel, the duty sheets, the workbook's properties); plan.json may then differ only in its
measured run times.
"""

from __future__ import annotations

import json
import time

from geo_patrol.cli import main
from geo_patrol.plan import make_plan
from geo_patrol.scenario import Scenario


def _without_times(path) -> dict:
    meta = json.loads(path.read_text(encoding="utf-8"))
    meta.pop("timing_s")
    meta["solver"]["posts"].pop("runtime_s")
    for patrol in meta["solver"]["patrols"].values():
        patrol.pop("runtime_s")
    return meta


def test_two_runs_write_the_same_bytes(tiny_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1790000000")
    outs = []
    for k in range(2):
        out = tmp_path / f"run{k}"
        assert main(["plan", str(tiny_dir / "scenario.toml"), "--out", str(out), "--time-limit", "2"]) == 0
        outs.append(out)
        time.sleep(1.1)  # a clock leaking into a file would show
    capsys.readouterr()
    names = sorted(p.name for p in outs[0].iterdir())
    assert names == sorted(p.name for p in outs[1].iterdir())
    assert {"map.html", "report.xlsx", "duty_sheets.html", "posts.csv", "routes.geojson"} <= set(names)
    for name in names:
        if name == "plan.json":
            assert _without_times(outs[0] / name) == _without_times(outs[1] / name)
        else:
            assert (outs[0] / name).read_bytes() == (outs[1] / name).read_bytes(), name
    created = json.loads((outs[0] / "plan.json").read_text(encoding="utf-8"))["created"]
    assert created == "2026-09-21T22:13:20+08:00"  # the epoch, in the scenario's time zone (Asia/Shanghai)


def test_the_typed_figures_are_the_summary(tiny_dir):
    plan = make_plan(Scenario.from_toml(tiny_dir / "scenario.toml"), time_limit_s=2)
    figures, summary = plan.figures, plan.meta["summary"]
    assert figures.met == summary["met"] and figures.met_strict == summary["met_strict"]
    assert figures.schools_with_post == summary["schools_with_post"] and figures.posts == summary["posts"]
    assert figures.periods == ("morning", "afternoon") and figures.schools == 3
