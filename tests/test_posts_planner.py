"""Tests of geo_patrol.posts.planner, .sites and .roster: posts for a scenario, on the tiny town.

The tiny town (tests/conftest.py): S1 (primary, 900 pupils, priority 4, requires a post) and S2
(kindergarten, 200, priority 3) stand 15 m apart at the grid node 114.302°E 30.502°N; S3
(middle school, 1,200, priority 5) stands alone at the node 114.306°E 30.506°N, 550 m away.
One station, P1, with 10 police and 12 auxiliary officers. One post at S1's gate serves S1 and
S2; S3 needs its own.
"""

from __future__ import annotations

import dataclasses

import pytest
from conftest import as_drawn

from geo_patrol.errors import BudgetError
from geo_patrol.geo import haversine_m
from geo_patrol.model import School, school_weight
from geo_patrol.posts.planner import MODES, plan_posts
from geo_patrol.posts.sites import SIGHT_M, candidate_sites, coverage_distance, post_reach
from geo_patrol.roster.teams import station_limits
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare


@pytest.fixture
def prepared(tiny):
    return prepare(as_drawn(tiny))  # the grid's own nodes, 192–222 m apart


def _hms(text: str) -> int:
    h, m = text.split(":")
    return int(h) * 3600 + int(m) * 60


def _duty(post_id: str, period: str, schools: tuple[str, ...], windows: list[tuple[str, str]], params):
    """(post, period, schools, duty start, duty end): lead before the first window, lag after the last."""
    return (post_id, period, schools, min(_hms(a) for a, _ in windows) - params.duty_lead_s,
            max(_hms(b) for _, b in windows) + params.duty_lag_s)


def _duties(plan) -> list[tuple]:
    return [(d.post_id, d.period, d.school_ids, d.duty_start_s, d.duty_end_s) for d in plan.duties]


def _two_posts(params) -> list[tuple]:
    """The tiny town's posts: P001 at S1's gate for S1 (07:30-08:10, 16:00-16:40) and S2
    (08:00-08:40, 16:30-17:10); P002 at S3's gate (07:00-07:40, 17:20-18:00)."""
    return [
        _duty("P001", "morning", ("S1", "S2"), [("07:30", "08:10"), ("08:00", "08:40")], params),
        _duty("P001", "afternoon", ("S1", "S2"), [("16:00", "16:40"), ("16:30", "17:10")], params),
        _duty("P002", "morning", ("S3",), [("07:00", "07:40")], params),
        _duty("P002", "afternoon", ("S3",), [("17:20", "18:00")], params),
    ]


# ----------------------------------------------------------------------------- weights


def _school(kind: str, priority: int, enrolment: int) -> School:
    return School(id="X", name="x", kind=kind, enrolment=enrolment, gates=(), windows={}, priority=priority)


@pytest.mark.parametrize(("kind", "priority", "enrolment", "weight"), [
    ("primary", 4, 900, 9.12),  # 4 × 1.2 × 1.9: S1
    ("kindergarten", 3, 200, 4.68),  # 3 × 1.3 × 1.2: S2
    ("middle", 5, 1200, 11.0),  # 5 × 1.0 × 2.2: S3
    ("high", 5, 2000, 13.5),  # 5 × 0.9 × 3.0
    ("nine_year", 1, 0, 1.1),
    ("special", 2, 500, 3.9),  # 2 × 1.3 × 1.5
])
def test_school_weight_is_priority_times_kind_factor_times_enrolment(kind, priority, enrolment, weight):
    assert school_weight(_school(kind, priority, enrolment)) == pytest.approx(weight, rel=1e-12)


def test_tiny_town_weights(tiny):
    assert {s.id: round(school_weight(s), 6) for s in tiny.schools} == {"S1": 9.12, "S2": 4.68, "S3": 11.0}


# ----------------------------------------------------------------------------- candidate sites and coverage


def test_candidate_sites_are_the_gates_and_the_road_nodes_near_them(prepared):
    sites = candidate_sites(prepared)
    # only the grid nodes under S1's and S3's gates lie within 150 m of a gate (the next ones are 192 m away)
    assert [(s.id, s.origin, s.lon, s.lat, s.existing) for s in sites] == [
        ("G:S1#0", "gate", 114.302, 30.502, False), ("G:S2#0", "gate", 114.3021, 30.5021, False),
        ("G:S3#0", "gate", 114.306, 30.506, False),
        ("R:1011", "road", 114.302, 30.502, False), ("R:1033", "road", 114.306, 30.506, False)]


def test_the_scenarios_own_sites_come_first(tiny_dir):
    (tiny_dir / "sites.csv").write_text("id,name,lon,lat,existing\nK1,岗亭,114.3040,30.5040,是\n", encoding="utf-8")
    toml = tiny_dir / "scenario.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('network =', 'sites = "sites.csv"\nnetwork ='),
                    encoding="utf-8")
    sites = candidate_sites(prepare(Scenario.from_toml(toml)))
    assert [(s.id, s.origin, s.existing) for s in sites][:2] == [("S:K1", "input", True), ("G:S1#0", "gate", False)]


def test_coverage_distance_is_the_walk_to_the_nearest_gate(prepared):
    sites = candidate_sites(prepared)
    cover = coverage_distance(prepared, sites)
    s1_s2 = float(haversine_m(114.302, 30.502, 114.3021, 30.5021))  # 14.7 m, within SIGHT_M: seen directly
    assert s1_s2 < SIGHT_M
    pairs = {(int(r), sites[int(c)].id): float(m) for r, c, m in zip(cover.rows, cover.cols, cover.metres)}
    assert pairs == pytest.approx({
        (0, "G:S1#0"): 0.0, (0, "G:S2#0"): s1_s2, (0, "R:1011"): 0.0,
        (1, "G:S1#0"): s1_s2, (1, "G:S2#0"): 0.0, (1, "R:1011"): s1_s2,
        (2, "G:S3#0"): 0.0, (2, "R:1033"): 0.0}, abs=1e-9)
    assert cover.nearest_m.tolist() == [0.0, 0.0, 0.0]
    assert (cover.n_schools, cover.n_sites) == (3, 5)
    assert cover.cover(blocked=[0, 3]).toarray().tolist() == [
        [False, True, False, False, False], [False, True, False, False, False], [False, False, True, False, True]]


def test_post_reach_is_measured_from_where_the_post_stands(prepared):
    plan = plan_posts(prepared, time_limit_s=5)
    assert {key[:2]: schools for key, schools in post_reach(prepared, plan.duties).items()} == {
        ("P001", "morning"): {"S1", "S2"}, ("P001", "afternoon"): {"S1", "S2"},
        ("P002", "morning"): {"S3"}, ("P002", "afternoon"): {"S3"}}
    # moved 0.006° (575 m) east, the post reaches no school whatever it lists
    moved = [dataclasses.replace(d, lon=d.lon + 0.006) for d in plan.duties]
    assert set(post_reach(prepared, moved).values()) == {frozenset()}


# ----------------------------------------------------------------------------- the models


@pytest.mark.parametrize(("mode", "max_posts"), [
    ("min_posts", None), ("max_coverage", 2), ("max_coverage", 3), ("backup", 2), ("p_median", 2)])
def test_every_mode_puts_one_post_at_s1_and_one_at_s3(prepared, mode, max_posts):
    plan = plan_posts(prepared, mode=mode, max_posts=max_posts, time_limit_s=5)
    assert plan.mode == mode
    assert [plan.sites[j].id for j in plan.chosen] == ["G:S1#0", "G:S3#0"]
    assert _duties(plan) == _two_posts(prepared.scenario.parameters)
    assert plan.n_posts == 2 and plan.assignment == {"S1": "P001", "S2": "P001", "S3": "P002"}
    assert plan.covered_school_ids() == {"S1", "S2", "S3"}
    assert plan.covered_weight == pytest.approx(24.8) and plan.total_weight == pytest.approx(24.8)
    assert plan.uncovered == ()
    assert {(d.station_id, d.police, d.auxiliary, d.car_at_post) for d in plan.duties} == {("P1", 1, 1, False)}


@pytest.mark.parametrize("mode", ["max_coverage", "backup"])
def test_a_budget_of_one_post_serves_s1_and_s2(prepared, mode):
    plan = plan_posts(prepared, mode=mode, max_posts=1, time_limit_s=5)
    assert [plan.sites[j].id for j in plan.chosen] == ["G:S1#0"]
    assert _duties(plan) == _two_posts(prepared.scenario.parameters)[:2]
    assert plan.covered_weight == pytest.approx(13.8)  # 9.12 + 4.68 > 11.0
    (missed,) = plan.uncovered
    assert (missed.school_id, missed.reason) == ("S3", "budget")
    assert missed.detail == ("post budget of 1 used: weight 11.00 < 13.80 served by the weakest chosen post; "
                             "1 more post would cover it")


def test_mode_and_budget_errors(prepared):
    assert MODES == ("max_coverage", "min_posts", "backup", "p_median")
    with pytest.raises(ValueError, match=r"mode must be one of .*, not 'everything'"):
        plan_posts(prepared, mode="everything")
    with pytest.raises(ValueError, match=r"mode 'max_coverage' needs max_posts"):
        plan_posts(prepared, mode="max_coverage")
    # S1 requires a post (必设岗): no budget below one post
    with pytest.raises(BudgetError, match=r"--posts 0 is below the 1 posts that the 1 required school\(s\) \(必设岗\) "
                                          r"and 0 existing post\(s\) need — use --posts 1 or more") as err:
        plan_posts(prepared, mode="max_coverage", max_posts=0, time_limit_s=5)
    assert err.value.needed == 1


def test_a_school_that_forbids_a_post_is_left_out_and_says_so(tiny):
    s2 = dataclasses.replace(tiny.school("S2"), forbid_post=True)
    scenario = dataclasses.replace(tiny, schools=(tiny.school("S1"), s2, tiny.school("S3")))
    plan = plan_posts(prepare(scenario), time_limit_s=5)
    assert [(d.post_id, d.period, d.school_ids) for d in plan.duties] == [
        ("P001", "morning", ("S1",)), ("P001", "afternoon", ("S1",)),
        ("P002", "morning", ("S3",)), ("P002", "afternoon", ("S3",))]
    assert [(u.school_id, u.reason, u.detail) for u in plan.uncovered] == [
        ("S2", "forbidden", "the school forbids a post (禁设岗)")]
    assert plan.total_weight == pytest.approx(20.12)  # S2 is no demand row


# ----------------------------------------------------------------------------- duty time, roster, officers


def test_duty_time_is_union_of_windows_with_lead_and_lag(prepared):
    params = prepared.scenario.parameters
    (duty,) = [d for d in plan_posts(prepared, time_limit_s=5).duties if d.period == "morning" and "S1" in d.school_ids]
    # S1 07:30-08:10 and S2 08:00-08:40: from duty_lead_s before 07:30 to duty_lag_s after 08:40
    assert (duty.duty_start_s, duty.duty_end_s) == (_hms("07:30") - params.duty_lead_s, _hms("08:40") + params.duty_lag_s)
    assert (params.duty_lead_s, params.duty_lag_s) == (600, 300)  # README: 10 min before, 5 min after


def test_roster_teams_per_period_in_order_of_duty_start(prepared):
    plan = plan_posts(prepared, time_limit_s=5)
    # the morning's posts overlap (S3 06:50-07:45, S1+S2 07:20-08:45), and so do the afternoon's
    # (15:50-17:15, 17:10-18:05): two teams of one police and one auxiliary officer each period
    assert [(r.officer, r.role, r.station_id, r.period, r.post_id) for r in plan.roster] == [
        ("P1-police-1", "police", "P1", "morning", "P002"), ("P1-auxiliary-1", "auxiliary", "P1", "morning", "P002"),
        ("P1-police-2", "police", "P1", "morning", "P001"), ("P1-auxiliary-2", "auxiliary", "P1", "morning", "P001"),
        ("P1-police-1", "police", "P1", "afternoon", "P001"),
        ("P1-auxiliary-1", "auxiliary", "P1", "afternoon", "P001"),
        ("P1-police-2", "police", "P1", "afternoon", "P002"),
        ("P1-auxiliary-2", "auxiliary", "P1", "afternoon", "P002")]
    duty = {(d.post_id, d.period): (d.duty_start_s, d.duty_end_s) for d in plan.duties}
    assert all((r.start_s, r.end_s) == duty[(r.post_id, r.period)] for r in plan.roster)
    assert dict(plan.station_use) == {("P1", "morning"): (2, 10, 2, 12), ("P1", "afternoon"): (2, 10, 2, 12)}
    assert plan.officers_needed() == {"P1": (2, 2)}


def test_roster_never_double_books_an_officer(tiny_plan):
    by_officer = {}
    for entry in tiny_plan.roster:
        by_officer.setdefault((entry.officer, entry.period), []).append(entry)
    assert len(by_officer) == 8  # 2 police + 2 auxiliary officers, 2 periods
    for entries in by_officer.values():
        entries.sort(key=lambda e: e.start_s)
        for a, b in zip(entries, entries[1:]):
            assert a.end_s <= b.start_s


def test_station_limits_share_a_county_total(tiny):
    assert station_limits(tiny) == ({"P1": 10}, {"P1": 12})
    assert station_limits(tiny, police=3, auxiliary=0) == ({"P1": 3}, {"P1": 0})


def test_a_station_short_of_officers_drops_its_least_valuable_post(prepared):
    # one police officer: one team; the two posts overlap in both periods, so one must go. S1 is
    # required (必设岗) and its post serves 9.12 + 4.68 = 13.8 against S3's 11.0: S3's post goes
    plan = plan_posts(prepared, police=1, time_limit_s=5)
    assert _duties(plan) == _two_posts(prepared.scenario.parameters)[:2]
    assert [(u.school_id, u.reason) for u in plan.uncovered] == [("S3", "officers")]
    assert plan.uncovered[0].detail.startswith("officers short at station P1")
    assert dict(plan.station_use) == {("P1", "morning"): (1, 1, 1, 12), ("P1", "afternoon"): (1, 1, 1, 12)}


def test_no_police_officer_means_no_post(prepared):
    plan = plan_posts(prepared, police=0, time_limit_s=5)
    assert plan.duties == () and plan.roster == ()
    assert [(u.school_id, u.reason) for u in plan.uncovered] == [("S1", "officers"), ("S2", "officers"),
                                                                   ("S3", "officers")]
