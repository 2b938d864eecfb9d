"""Tests of geo_patrol.model: the shared rules (sharing a county total out) and parameter checks."""

from __future__ import annotations

import dataclasses

import pytest

from geo_patrol.errors import InputError
from geo_patrol.model import DEFAULT_CONGESTION, Parameters, share_out


def test_county_totals_are_shared_in_proportion():
    assert share_out(None, [3, 1]) == [3, 1]
    assert share_out(10, [30, 10, 0]) == [8, 2, 0]  # 7.5 and 2.5: ties go to the earlier station
    assert share_out(5, [0, 0]) == [3, 2]
    # 4.42, 9.86, 2.38, 0.34: floors 4, 9, 2, 0 and the two left go to the largest remainders (.86, .42)
    assert share_out(17, [13, 29, 7, 1]) == [5, 10, 2, 0]
    assert share_out(0, [4, 6]) == [0, 0]
    assert share_out(3, []) == []


def test_parameters_from_mapping_converts_and_merges_congestion():
    params = Parameters.from_mapping({"post_radius_m": 120, "dwell_s": 240, "congestion": {"noon": 1.1}})
    assert params == dataclasses.replace(Parameters(), post_radius_m=120.0, dwell_s=240,
                                         congestion={**DEFAULT_CONGESTION, "noon": 1.1})
    assert isinstance(params.post_radius_m, float) and params.seen_s == 240
    by_class = Parameters.from_mapping({"congestion": {"morning": {"primary": 2.0, "default": 1.4}}})
    assert by_class.congestion_for("morning") == {"primary": 2.0, "default": 1.4}
    assert by_class.congestion_for("noon") == DEFAULT_CONGESTION["noon"]
    assert Parameters.from_mapping({"speed_kph": {"primary": 40}}).speed_kph == {"primary": 40.0}


BAD_PARAMETERS = [
    ({"post_radius_m": "150"}, r"field 'parameters\.post_radius_m': '150' is not valid \(input should be a valid "
                               r"number\) — write a finite number"),
    ({"dwell_s": 240.0}, r"field 'parameters\.dwell_s': 240\.0 is not valid \(input should be a valid integer\) — "
                         r"write a whole number"),
    ({"dwell_s": True}, r"field 'parameters\.dwell_s': True is not valid \(input should be a valid integer\)"),
    ({"min_gap_s": -1}, r"field 'parameters\.min_gap_s': -1 is not valid \(input should be greater than or equal to 0\) "
                        r"— use a number ≥ 0"),
    ({"visits_per_window": 0}, r"field 'parameters\.visits_per_window': 0 is not valid \(input should be greater than "
                               r"or equal to 1\) — use a number ≥ 1"),
    ({"officer_presence_pct": 120}, r"field 'parameters\.officer_presence_pct': 120 is not valid \(input should be "
                                    r"less than or equal to 100\) — use a number ≤ 100\.0"),
    ({"target_profile": "gold"}, r"field 'parameters\.target_profile': 'gold' is not valid \(input should be 'basic' "
                                 r"or 'strict'\)"),
    ({"speed_kph": {"primary": 0}}, r"field 'parameters\.speed_kph\.primary': .* is not valid \(input should be "
                                    r"greater than 0\) — use a number > 0\.0"),
    ({"speed_kph": 40}, r"field 'parameters\.speed_kph': 40 is not valid \(input should be a valid dictionary\)"),
    ({"congestion": {"evening": 1.2}}, r"field 'parameters\.congestion': unknown period 'evening' — "
                                       r"use morning, noon, afternoon"),
    ({"congestion": {"morning": 0.8}}, r"field 'parameters\.congestion': factor 0\.8 for morning is not a number in "
                                       r"1…10 — peak traffic can only slow cars down"),
    ({"congestion": {"morning": {"primary": 0.5}}},
     r"field 'parameters\.congestion': factor 0\.5 for morning primary is not a number in 1…10"),
    ({"radius_m": 100}, r"field 'parameters\.radius_m': unknown key 'radius_m' in \[parameters\] — "
                        r"did you mean post_radius_m\?"),
    ({"min_seen_s": 400}, r"field 'parameters\.min_seen_s': min_seen_s 400 must lie within 1…dwell_s \(300\) — "
                          r"a stop is seen for at most its own length"),
    ({"police_per_post": 0, "auxiliary_per_post": 0},
     r"field 'parameters\.police_per_post': a post needs at least one officer"),
]


@pytest.mark.parametrize(("values", "message"), BAD_PARAMETERS,
                         ids=[f"{next(iter(v))}-{i}" for i, (v, _) in enumerate(BAD_PARAMETERS)])
def test_bad_parameters_name_the_field(values, message):
    with pytest.raises(InputError, match=r"^scenario\.toml, " + message):
        Parameters.from_mapping(values, file="my_county/scenario.toml")
