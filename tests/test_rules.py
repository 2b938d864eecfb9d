"""The rules of the three sightings (``geo_patrol.rules``), one test per rule."""

from __future__ import annotations

import pytest

from geo_patrol.clock import Window, parse_time
from geo_patrol.model import Gate, Parameters, PostDuty, School
from geo_patrol.reasons import Reason
from geo_patrol.rules import (
    GateSight,
    car_in_sight,
    car_sightings_needed,
    counts_in_window,
    judge_window,
    latest_seen_start_s,
    post_shows_officer,
    presence_pct,
    staffed,
    target_profile,
    window_too_short,
)

LON, LAT = 114.300, 30.500
WINDOW = Window(parse_time("07:30"), parse_time("08:10"))  # 2,400 s


def school(**kw) -> School:
    return School(id="A", name="school A", kind="primary", enrolment=500, gates=(Gate(LON, LAT),),
                  windows={"morning": WINDOW}, **kw)


def test_a_stop_counts_only_with_min_seen_s_inside_the_window():
    params = Parameters(min_seen_s=120)
    start = WINDOW.end_s - 120
    assert counts_in_window(start, start + 300, WINDOW, params)
    assert not counts_in_window(start + 1, start + 300, WINDOW, params)
    assert latest_seen_start_s(WINDOW, params) == start
    assert not window_too_short(WINDOW, params)
    assert window_too_short(Window(WINDOW.start_s, WINDOW.start_s + 119), params)


def test_staffed_and_officer_from_a_post():
    def duty(police: int, auxiliary: int) -> PostDuty:
        return PostDuty("K1", "morning", LON, LAT, "P1", ("A",), 0, 3600, police, auxiliary)

    assert staffed(duty(1, 0)) and staffed(duty(0, 1)) and not staffed(duty(0, 0))
    assert post_shows_officer(school(), walks=True)
    assert not post_shows_officer(school(), walks=False)
    assert not post_shows_officer(school(forbid_post=True), walks=True)  # 禁设岗


def test_car_sight_distance_and_the_lookup_agree():
    params = Parameters(car_sight_m=100.0)
    assert car_in_sight(100.0, params) and not car_in_sight(100.01, params)
    sight = GateSight.for_cars([school()], params)
    near, far = sight.schools_near([LON, LON + 0.0011], [LAT, LAT])  # 0 m and about 105 m east
    assert near == {"A": 0.0} and far == {}


def test_car_sightings_needed_and_the_target_profile():
    params = Parameters(visits_per_window=1, target_profile="basic")
    assert car_sightings_needed(school(), params) == 1
    assert car_sightings_needed(school(car_visits=2), params) == 2
    assert target_profile(school(), params) == "basic"
    assert target_profile(school(profile="strict"), params) == "strict"


def test_presence_is_the_union_of_the_intervals():
    start = WINDOW.start_s
    assert presence_pct([(start, start + 600), (start + 300, start + 1200)], WINDOW) == pytest.approx(50.0)


@pytest.mark.parametrize(("kwargs", "met", "misses"), [
    ({"officer_intervals": [(WINDOW.start_s, WINDOW.end_s)], "car_count": 1, "car_always": False}, True, ()),
    ({"officer_intervals": [], "car_count": 0, "car_always": False}, False,
     (Reason.of("no_officer"), Reason.of("no_car"))),
    ({"officer_intervals": [(WINDOW.start_s, WINDOW.end_s)], "car_count": 0, "car_always": True}, True, ()),
    ({"officer_intervals": [(WINDOW.start_s, WINDOW.end_s)], "car_count": 1, "car_always": False,
      "lights": False}, False, (Reason.of("no_lights"),)),
    ({"officer_intervals": [(WINDOW.start_s, WINDOW.end_s)], "car_count": 1, "car_always": False,
      "lights": None}, False, (Reason.of("lights_unknown"),)),
])
def test_judge_window(kwargs, met, misses):
    verdict = judge_window(school(), WINDOW, Parameters(), **kwargs)
    assert verdict.met is met and verdict.misses == misses


def test_two_car_sightings_asked_one_seen():
    verdict = judge_window(school(car_visits=2), WINDOW, Parameters(), officer_intervals=[(WINDOW.start_s,
                           WINDOW.start_s + 300)], car_count=1, car_always=False)
    assert not verdict.met and verdict.misses == (Reason.of("car_sightings", seen=1, needed=2),)


def test_strict_needs_the_officer_present_long_enough():
    short = [(WINDOW.start_s, WINDOW.start_s + 600)]  # 25 %
    basic = judge_window(school(), WINDOW, Parameters(), officer_intervals=short, car_count=1, car_always=False)
    assert basic.met and basic.basic and not basic.present and not basic.strict_met
    strict = judge_window(school(profile="strict"), WINDOW, Parameters(officer_presence_pct=80.0),
                          officer_intervals=short, car_count=1, car_always=False)
    assert not strict.met and [r.code for r in strict.misses] == ["officer_presence"]
    assert strict.misses[0].get("pct") == pytest.approx(25.0)
