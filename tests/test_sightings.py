"""Tests of geo_patrol.sightings: the three-sightings rule and the "135" response, by hand.

One school gate at 114.300°E 30.500°N with the window 07:30–08:10 (2,400 s) unless a test says
otherwise; posts and stops are placed and timed so that every expected value can be worked out
on paper from the rules in the module docstring.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from plan_fixture import fixture_plan

from geo_patrol.clock import Window, parse_time
from geo_patrol.geo import haversine_m
from geo_patrol.model import Gate, NetworkSource, Parameters, PostDuty, School, Station, Stop
from geo_patrol.rules import GateSight, seen_in_window, staffed
from geo_patrol.scenario import Scenario
from geo_patrol.sightings import evaluate, positions_at

LON, LAT = 114.300, 30.500
WINDOW = Window(parse_time("07:30"), parse_time("08:10"))
#: 0.002° of longitude at 30.5°N: about 192 m, beyond the default car_sight_m of 100 m
FAR_LON = LON + 0.002


def school(sid: str = "A", *, lon: float = LON, lat: float = LAT, window: Window = WINDOW, **kw) -> School:
    return School(id=sid, name=f"school {sid}", kind="primary", enrolment=500, gates=(Gate(lon, lat),),
                  windows={"morning": window}, **kw)


def scenario(*schools: School, **params) -> Scenario:
    return Scenario(name="sightings", schools=schools or (school(),), stations=(
        Station("P1", "station", LON, LAT, police=10, auxiliary=10, cars=2),), network=NetworkSource(),
        parameters=Parameters(**params))


def post(start: str, end: str, *, post_id: str = "K1", school_ids=("A",), police: int = 1, auxiliary: int = 1,
         car_at_post: bool = False, lon: float = LON, lat: float = LAT, node: int = -1) -> PostDuty:
    return PostDuty(post_id, "morning", lon, lat, "P1", tuple(school_ids), parse_time(start), parse_time(end),
                    police, auxiliary, car_at_post, node=node)


def stop(arrive: str, depart: str, *, school_id: str = "A", car: str = "P1/1", stand=(LON, LAT)) -> Stop:
    return Stop(car, "P1", "morning", 1, school_id, LON, LAT, parse_time(arrive), parse_time(depart), *stand,
                float(haversine_m(LON, LAT, *stand)))


def reach(*posts: PostDuty, schools=("A",)) -> dict:
    return {(p.post_id, p.period, p.duty_start_s): frozenset(schools) for p in posts}


def one(rows, school_id: str = "A", period: str = "morning"):
    (row,) = [r for r in rows if (r.school_id, r.period) == (school_id, period)]
    return row


# ----------------------------------------------------------------------------- when a sighting counts


def test_seen_in_window_needs_seen_s_inside_the_window():
    assert seen_in_window(0, 160, 100, 400, 60)  # 60 s inside
    assert not seen_in_window(0, 159, 100, 400, 60)  # 59 s inside
    assert seen_in_window(340, 1000, 100, 400, 60) and not seen_in_window(341, 1000, 100, 400, 60)
    assert seen_in_window(150, 250, 100, 400, 100) and not seen_in_window(150, 250, 100, 400, 101)
    assert not seen_in_window(400, 500, 100, 400, 1)  # starts as the window ends


def test_seen_s_is_min_seen_s_else_the_stop_length():
    assert Parameters().seen_s == Parameters().dwell_s
    assert Parameters(min_seen_s=60).seen_s == 60
    assert Parameters(dwell_s=240).seen_s == 240


@pytest.mark.parametrize(("end", "officer", "presence_pct", "sources", "reason"), [
    ("07:30:59", False, 0.0, "", "no officer; no car or lights"),  # 59 s inside the window
    ("07:31:00", True, 2.5, "officer: post K1 06:50:00–07:31:00", "no car or lights"),  # 60 s of 2,400
])
def test_a_post_overlapping_the_window_by_59_s_is_not_seen_by_60_s_it_is(end, officer, presence_pct, sources, reason):
    k1 = post("06:50", end)
    row = one(evaluate(scenario(min_seen_s=60), [k1], [], post_reach=reach(k1)))
    assert (row.officer_seen, row.post_present, row.officer_presence_pct) == (officer, officer, presence_pct)
    assert (row.sources, row.reason) == (sources, reason)


def test_by_default_a_stop_counts_only_when_all_of_it_lies_in_the_window():
    dwell_s = Parameters().dwell_s
    assert dwell_s == 300
    inside = stop("08:05", "08:10")  # ends as the window ends: 300 s inside
    late = stop("08:05:01", "08:10:01")  # 299 s inside
    assert one(evaluate(scenario(), [], [inside], post_reach={})).car_seen
    row = one(evaluate(scenario(), [], [late], post_reach={}))
    assert not row.car_seen and row.reason == "no officer; no car or lights"


# ----------------------------------------------------------------------------- what a post and a stop show


def test_a_stop_shows_car_lights_and_officer():
    row = one(evaluate(scenario(), [], [stop("07:40", "07:45")], post_reach={}))
    assert (row.officer_seen, row.car_seen, row.lights_seen, row.three_sightings) == (True, True, True, True)
    assert row.officer_presence_pct == 12.5  # 300 s of 2,400
    assert row.sources == "car+lights+officer: car P1/1 07:40:00–07:45:00"
    assert row.reason == ""
    assert not row.post_present and not row.strict_met  # no 护学岗; 12.5 % < 80 %
    assert (row.window_start_s, row.window_end_s) == (WINDOW.start_s, WINDOW.end_s)
    assert (row.worst_response_s, row.within_target_pct, row.second_unit_300s) == (-1, 0.0, False)


def test_a_stop_is_seen_where_the_car_stands_not_where_its_row_says():
    car_sight_m = Parameters().car_sight_m
    near = (LON - 0.001, LAT)  # about 96 m west of A, 288 m from B
    assert haversine_m(LON, LAT, *near) <= car_sight_m < haversine_m(LON, LAT, FAR_LON, LAT)
    a, b = school("A"), school("B", lon=FAR_LON)
    rows = evaluate(scenario(a, b), [], [stop("07:40", "07:45", school_id="A", stand=(FAR_LON, LAT)),
                                         stop("07:50", "07:55", school_id="B", stand=near, car="P1/2")],
                    post_reach={})
    # the first stop, listed for A, stands at B's gate; the second, listed for B, stands 96 m from A
    assert one(rows, "A").sources == "car+lights+officer: car P1/2 07:50:00–07:55:00"
    assert one(rows, "B").sources == "car+lights+officer: car P1/1 07:40:00–07:45:00"
    assert all(r.three_sightings for r in rows)


def test_a_post_shows_an_officer_at_the_schools_it_reaches_not_the_ones_it_lists():
    a, b = school("A"), school("B", lon=FAR_LON)
    k1 = post("07:20", "08:15", school_ids=("A", "B"))
    rows = evaluate(scenario(a, b), [k1], [], post_reach=reach(k1, schools=("A",)))
    assert (one(rows, "A").officer_seen, one(rows, "B").officer_seen) == (True, False)
    assert one(rows, "A").officer_presence_pct == 100.0 and one(rows, "A").post_present
    k2 = post("07:20", "08:15", post_id="K2", school_ids=("A",), lon=FAR_LON)
    rows = evaluate(scenario(a, b), [k2], [], post_reach=reach(k2, schools=("B",)))
    assert (one(rows, "A").officer_seen, one(rows, "B").officer_seen) == (False, True)
    assert one(rows, "B").sources == "officer: post K2 07:20:00–08:15:00"
    # a post missing from post_reach reaches no school
    assert not one(evaluate(scenario(a), [k1], [], post_reach={}), "A").officer_seen


def test_an_unstaffed_post_shows_nothing():
    empty = post("07:20", "08:15", police=0, auxiliary=0)
    assert not staffed(empty) and staffed(post("07:20", "08:15", police=0)) and staffed(post("07:20", "08:15",
                                                                                               auxiliary=0))
    row = one(evaluate(scenario(), [empty], [], post_reach=reach(empty)))
    assert (row.officer_seen, row.post_present, row.sources) == (False, False, "")


def test_a_school_that_forbids_a_post_is_never_credited_by_one():
    k1 = post("07:20", "08:15")
    row = one(evaluate(scenario(school(forbid_post=True)), [k1], [], post_reach=reach(k1)))
    assert (row.officer_seen, row.post_present, row.sources) == (False, False, "")
    assert row.reason == "no officer; no car or lights"
    # a car parked there still shows car and lights
    parked = dataclasses.replace(k1, car_at_post=True)
    row = one(evaluate(scenario(school(forbid_post=True)), [parked], [], post_reach=reach(parked)))
    assert (row.officer_seen, row.car_seen, row.lights_seen) == (False, True, True)
    assert row.sources == "car+lights: post K1 07:20:00–08:15:00" and row.reason == "no officer"


def test_a_parked_car_counts_as_always_seen_within_car_sight():
    parked = post("07:20", "08:15", car_at_post=True)
    row = one(evaluate(scenario(school(car_visits=2)), [parked], [], post_reach=reach(parked)))
    assert row.three_sightings and row.reason == ""
    assert row.sources == "officer+car+lights: post K1 07:20:00–08:15:00"
    # parked 192 m away, but reaching the gate on foot: an officer, no car
    far = dataclasses.replace(parked, lon=FAR_LON)
    row = one(evaluate(scenario(), [far], [], post_reach=reach(far)))
    assert (row.officer_seen, row.car_seen, row.reason) == (True, False, "no car or lights")
    assert row.sources == "officer: post K1 07:20:00–08:15:00"


def test_car_visits_counts_the_stops_of_a_window():
    first, second = stop("07:35", "07:40"), stop("07:55", "08:00", car="P1/2")
    wants_two = school(car_visits=2)
    row = one(evaluate(scenario(wants_two), [], [first], post_reach={}))
    assert row.car_seen and not row.three_sightings and row.reason == "1 of 2 car sightings"
    assert one(evaluate(scenario(wants_two), [], [first, second], post_reach={})).three_sightings
    # the scenario's visits_per_window applies to a school without its own number
    row = one(evaluate(scenario(visits_per_window=2), [], [second], post_reach={}))
    assert row.reason == "1 of 2 car sightings"
    assert one(evaluate(scenario(school(car_visits=1), visits_per_window=2), [], [second], post_reach={})).three_sightings


def test_officer_presence_is_the_union_of_posts_and_stops_in_the_window():
    k1 = post("07:20", "07:50")  # 20 min of the window
    both = [stop("07:40", "07:45"), stop("08:00", "08:05", car="P1/2")]  # the first lies within the post's duty
    row = one(evaluate(scenario(), [k1], both, post_reach=reach(k1)))
    assert row.officer_presence_pct == 62.5  # (20 + 5) of 40 minutes
    assert row.sources == ("officer: post K1 07:20:00–07:50:00; car+lights+officer: car P1/1 07:40:00–07:45:00; "
                           "car+lights+officer: car P1/2 08:00:00–08:05:00")


def test_strict_profile_needs_the_officer_present_long_enough():
    k1, car = post("07:20", "07:50"), stop("07:55", "08:00")  # present (20 + 5) of 40 minutes
    basic = one(evaluate(scenario(), [k1], [car], post_reach=reach(k1)))
    assert basic.three_sightings and not basic.strict_met and basic.reason == ""
    strict = one(evaluate(scenario(target_profile="strict"), [k1], [car], post_reach=reach(k1)))
    assert not strict.three_sightings and not strict.strict_met
    assert strict.reason == "officer present 62.5% < 80%"
    # a school's own profile wins over the scenario's; the bar is officer_presence_pct
    own = one(evaluate(scenario(school(profile="strict")), [k1], [car], post_reach=reach(k1)))
    assert own.reason == "officer present 62.5% < 80%"
    lower = one(evaluate(scenario(target_profile="strict", officer_presence_pct=60.0), [k1], [car],
                         post_reach=reach(k1)))
    assert lower.three_sightings and lower.strict_met


def test_strict_profile_on_the_tiny_town(tiny):
    s3 = tiny.school("S3")  # morning window 07:00–07:40
    car = Stop("P1/1", "P1", "morning", 1, "S3", s3.lon, s3.lat, 7 * 3600, 7 * 3600 + 300, s3.lon, s3.lat, 0.0)
    strict = dataclasses.replace(tiny, parameters=dataclasses.replace(tiny.parameters, target_profile="strict"))
    row = one(evaluate(strict, [], [car], post_reach={}), "S3")
    assert row.officer_seen and row.car_seen and row.officer_presence_pct == 12.5
    assert not row.three_sightings and row.reason == "officer present 12.5% < 80%"
    assert one(evaluate(tiny, [], [car], post_reach={}), "S3").three_sightings


def test_one_row_per_school_and_window_in_period_order():
    a = school("A", window=WINDOW)
    b = dataclasses.replace(school("B", lon=FAR_LON), windows={"afternoon": Window(57600, 60000), "morning": WINDOW})
    rows = evaluate(scenario(a, b), [], [], post_reach={})
    assert [(r.school_id, r.period) for r in rows] == [("A", "morning"), ("B", "morning"), ("B", "afternoon")]


# ----------------------------------------------------------------------------- where the units are: the "135" response


def test_positions_at_follows_the_track_and_is_off_duty_outside_it():
    track = (np.array([100, 200, 300]), np.array([5, 6, 7]))
    at = positions_at(track, np.array([50, 100, 150, 199, 200, 300, 301]))
    assert at.tolist() == [-1, 5, 5, 5, 6, 7, -1]
    assert at.dtype == np.int64


def test_response_takes_the_nearest_unit_minute_by_minute():
    three_minutes = school(window=Window(parse_time("07:00"), parse_time("07:03")))
    to_gate = np.array([100.0, 150.0, 400.0])  # drive seconds from node rows 0, 1, 2 to the gate
    car = {"morning": {"P1/1": (np.array([25200, 25260]), np.array([1, 2]))}}  # node 1 at 07:00, node 2 at 07:01
    k1 = post("06:50", "07:10", node=0)
    row = one(evaluate(scenario(three_minutes), [k1], [], post_reach=reach(k1), tracks=car,
                       time_to_school=lambda sid, period: to_gate))
    # minutes 07:00, 07:01, 07:02: the post is 100 s away throughout; the car 150 s, then 400 s, then off duty
    assert (row.worst_response_s, row.within_target_pct) == (100, 100.0)
    assert not row.second_unit_300s  # at 07:01 the second unit is 400 s away
    alone = one(evaluate(scenario(three_minutes), [], [], post_reach={}, tracks=car,
                         time_to_school=lambda sid, period: to_gate))
    # the car alone: 150 s (within the 180 s target), 400 s, and nobody at 07:02
    assert (alone.worst_response_s, alone.within_target_pct, alone.second_unit_300s) == (-1, 33.3, False)
    unstaffed = dataclasses.replace(k1, police=0, auxiliary=0)
    assert one(evaluate(scenario(three_minutes), [unstaffed], [], post_reach=reach(unstaffed), tracks=car,
                        time_to_school=lambda sid, period: to_gate)).worst_response_s == -1


def test_gate_sight_finds_the_schools_near_a_point():
    sight = GateSight(scenario(school("A"), school("B", lon=FAR_LON)).schools, 100.0)
    near_a, between, nowhere = sight.schools_near([LON + 0.0005, LON + 0.001, LON + 0.05], [LAT, LAT, LAT])
    assert set(near_a) == {"A"} and near_a["A"] == pytest.approx(float(haversine_m(LON, LAT, LON + 0.0005, LAT)))
    assert set(between) == {"A", "B"} and nowhere == {}


# ----------------------------------------------------------------------------- the fixture town


def test_the_fixture_town_misses_exactly_what_its_docstring_says():
    plan = fixture_plan()
    missed = {(c.school_id, c.period): (c.officer_seen, c.car_seen, c.reason) for c in plan.coverage
              if not c.three_sightings}
    assert missed == {("S3", "noon"): (True, False, "no car or lights"),
                      ("S4", "afternoon"): (False, False, "no officer; no car or lights")}
    assert {(c.school_id, c.period) for c in plan.coverage if c.post_present} == {
        (s, p) for s in ("S1", "S2", "S3") for p in ("morning", "afternoon")} | {("S3", "noon")}
