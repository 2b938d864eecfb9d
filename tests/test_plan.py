"""Tests of geo_patrol.plan: the plan end to end on the tiny town: targets, determinism, budgets,
previous plans."""

from __future__ import annotations

import json

from conftest import SCHOOLS_CSV

from geo_patrol.io.plandir import PLAN_FILES
from geo_patrol.plan import make_plan
from geo_patrol.posts.sites import post_reach
from geo_patrol.rules import seen_in_window
from geo_patrol.scenario import Scenario
from geo_patrol.sightings import evaluate
from geo_patrol.snapping import prepare


def _sightings(row) -> tuple:
    """The columns of a coverage row that say what is seen (not the response)."""
    return (row.school_id, row.period, row.officer_seen, row.car_seen, row.lights_seen, row.three_sightings,
            row.officer_presence_pct, row.sources, row.reason, row.strict_met, row.post_present)


def test_tiny_plan_meets_every_target_and_claims_only_what_it_has(tiny, tiny_plan):
    summary = tiny_plan.meta["summary"]
    assert summary["attained_share"] == {"morning": 1.0, "afternoon": 1.0}
    assert summary["uncovered"] == [] and tiny_plan.meta["posts_uncovered"] == []
    # S1 and S2 stand 14 m apart: one post serves both, S3 gets its own
    posts = {d.post_id: set(d.school_ids) for d in tiny_plan.posts if d.period == "morning"}
    assert sorted(map(sorted, posts.values())) == [["S1", "S2"], ["S3"]]
    assert [d.car_at_post for d in tiny_plan.posts] == [False] * 4
    # one stop per school and window (visits_per_window), lying in the window for seen_s at least
    seen_s = tiny.parameters.seen_s
    for row in tiny_plan.coverage:
        (stop,) = [v for v in tiny_plan.visits if (v.school_id, v.period) == (row.school_id, row.period)]
        assert seen_in_window(stop.arrive_s, stop.depart_s, row.window_start_s, row.window_end_s, seen_s)
        assert row.three_sightings and row.post_present and row.reason == ""
    # every sighting claimed is what the rule derives from the plan's own posts and stops
    derived = evaluate(tiny, tiny_plan.posts, tiny_plan.visits,
                       post_reach=post_reach(prepare(tiny), tiny_plan.posts))
    assert [_sightings(c) for c in tiny_plan.coverage] == [_sightings(c) for c in derived]


def test_same_inputs_and_seed_write_identical_files(tiny, tmp_path):
    a = make_plan(tiny, time_limit_s=2).to_dir(tmp_path / "a")
    b = make_plan(tiny, time_limit_s=2).to_dir(tmp_path / "b")
    for name in PLAN_FILES:
        left, right = (a / name).read_text(encoding="utf-8"), (b / name).read_text(encoding="utf-8")
        if name == "plan.json":
            left, right = json.loads(left), json.loads(right)
            for meta in (left, right):
                meta.pop("created")
                meta.pop("timing_s")
                for solver in [meta["solver"]["posts"], *meta["solver"]["patrols"].values()]:
                    solver.pop("runtime_s")
        assert left == right, name


def test_post_budget_and_car_budget_are_honoured(tiny):
    plan = make_plan(tiny, max_posts=1, cars=1, time_limit_s=2)
    summary = plan.meta["summary"]
    assert summary["posts"] == 1 and summary["cars_used"] == {"morning": 1, "afternoon": 1}
    assert {(d.post_id, d.school_ids) for d in plan.posts} == {("P001", ("S1", "S2"))}
    # the one post goes to S1 and S2 (13.8 > 11.0); S3 is left to the car, which shows it all three
    assert plan.meta["posts_uncovered"] == [{"school_id": "S3", "reason": "budget", "detail": (
        "post budget of 1 used: weight 11.00 < 13.80 served by the weakest chosen post; 1 more post would cover it"),
        "why": {"code": "budget_weaker", "posts": 1, "weight": 11.0, "weakest": 13.8}}]
    assert summary["uncovered"] == [] and summary["schools_with_post"] == {"morning": 2, "afternoon": 2}
    s3 = [c for c in plan.coverage if c.school_id == "S3"]
    assert [(c.officer_seen, c.post_present, c.three_sightings) for c in s3] == [(True, False, True)] * 2
    assert all(c.sources.startswith("car+lights+officer: car P1/1 ") and ";" not in c.sources for c in s3)


def test_previous_plan_keeps_its_posts(tiny, tiny_plan):
    again = make_plan(tiny, time_limit_s=2, previous=tiny_plan)
    old = {(d.lon, d.lat) for d in tiny_plan.posts}
    new = {(d.lon, d.lat) for d in again.posts}
    assert new == old == {(114.302, 30.502), (114.306, 30.506)}
    assert again.meta["changes_from_previous"] == {"kept": 2, "removed": [], "added": []}


def test_posts_move_to_schools_the_patrols_cannot_serve(tiny_dir):
    # six-minute windows: the one car serves one school per window, the heaviest, S3; the one post
    # would go to S3 too (its weight is the largest), where the car already shows an officer
    text = SCHOOLS_CSV
    for old in ("07:30-08:10", "08:00-08:40", "07:00-07:40"):
        text = text.replace(old, "07:30-07:36")
    for old in ("16:00-16:40", "16:30-17:10", "17:20-18:00"):
        text = text.replace(old, "16:00-16:06")
    text = text.replace(",1200,5,", ",5000,5,").replace(",是,否", ",否,否")
    (tiny_dir / "schools.csv").write_text(text, encoding="utf-8")
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    plan = make_plan(scenario, max_posts=1, cars=1, time_limit_s=2)
    assert {(v.school_id, v.period) for v in plan.visits} == {("S3", "morning"), ("S3", "afternoon")}
    # the post moved to the schools the car cannot serve: every school now sees an officer
    assert {sid for d in plan.posts for sid in d.school_ids} == {"S1", "S2"}
    assert [c.officer_seen for c in plan.coverage] == [True] * 6
    assert "improve_s" in plan.meta["timing_s"]


def test_a_school_can_ask_for_two_car_sightings(tiny_dir):
    text = (tiny_dir / "schools.csv").read_text(encoding="utf-8").splitlines()
    text[0] += ",巡逻次数"
    text[1:] = [line + ("," if not line.startswith("S3") else ",2") for line in text[1:]]
    (tiny_dir / "schools.csv").write_text("\n".join(text) + "\n", encoding="utf-8")
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    assert scenario.school("S3").car_visits == 2 and scenario.school("S1").car_visits is None
    plan = make_plan(scenario, time_limit_s=2)
    for period in ("morning", "afternoon"):
        starts = sorted(v.arrive_s for v in plan.visits if v.school_id == "S3" and v.period == period)
        assert len(starts) == 2 and starts[1] - starts[0] >= scenario.parameters.min_gap_s
    assert [c.three_sightings for c in plan.coverage] == [True] * 6
    # the same plan without the second stop misses S3's count target, and says so
    last = {max((v for v in plan.visits if v.school_id == "S3" and v.period == p), key=lambda v: v.arrive_s)
            for p in ("morning", "afternoon")}
    one_stop = [v for v in plan.visits if v not in last]
    rows = [c for c in evaluate(scenario, plan.posts, one_stop, post_reach=post_reach(prepare(scenario), plan.posts))
            if c.school_id == "S3"]
    assert [(c.period, c.three_sightings, c.reason) for c in rows] == [
        ("morning", False, "1 of 2 car sightings"), ("afternoon", False, "1 of 2 car sightings")]


def test_previous_plan_reports_what_moved_and_why(tiny_dir, tiny_plan):
    # S3 closes and a new school opens beside the old one: its post goes, a new one comes
    text = (tiny_dir / "schools.csv").read_text(encoding="utf-8").replace(
        "S3,第二中学,初中,114.3060,30.5060", "S4,新建小学,小学,114.3080,30.5040")
    (tiny_dir / "schools.csv").write_text(text, encoding="utf-8")
    plan = make_plan(Scenario.from_toml(tiny_dir / "scenario.toml"), time_limit_s=2, previous=tiny_plan)
    changes = plan.meta["changes_from_previous"]
    old_s3 = next(d.post_id for d in tiny_plan.posts if d.school_ids == ("S3",))
    assert changes["kept"] == 1
    assert changes["removed"] == [{"post_id": old_s3, "reason": "serves no school of this scenario any more"}]
    (added,) = changes["added"]
    assert added["schools"] == ["S4"] and added["reason"] == "schools without a post before: S4"


def test_a_station_short_of_officers_drops_its_least_valuable_post(tiny):
    # one police officer: the two posts overlap in the morning (S3 06:50–07:45, S1+S2 07:20–08:45)
    plan = make_plan(tiny, police=1, time_limit_s=2)
    assert plan.meta["summary"]["posts"] == 1 and plan.meta["summary"]["police"] == 1
    reasons = {u["school_id"]: (u["reason"], u["detail"]) for u in plan.meta["posts_uncovered"]}
    # S1 is required (必设岗), so S3's post (weight 11.0 < 9.12 + 4.68) is the one dropped
    borrow_min = tiny.parameters.borrow_drive_s // 60
    assert reasons == {"S3": ("officers", f"officers short at station P1: no free team there, at a station within "
                                          f"{borrow_min} min or in a pool")}
    # the patrol car still shows S3 an officer, so the target holds without a post
    row = next(c for c in plan.coverage if c.school_id == "S3" and c.period == "morning")
    assert (row.officer_seen, row.post_present, row.three_sightings, row.reason) == (True, False, True, "")
