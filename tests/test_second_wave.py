"""The second dismissal wave (课后服务): a period with two windows, each a school-window of its own."""

from __future__ import annotations

import pytest

from geo_patrol.clock import parse_window
from geo_patrol.errors import InputError
from geo_patrol.io.tables import read_schools
from geo_patrol.plan import Plan, make_plan
from geo_patrol.roster.teams import duty_blocks
from geo_patrol.scenario import Scenario
from geo_patrol.verify import evaluate_plan_dir


def _second_wave(tiny_dir, s1: str, *, column: bool = True) -> Scenario:
    """S1 (第一小学) dismisses a second time at ``s1`` — in a 课后服务放学 column or in its afternoon cell."""
    path = tiny_dir / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    if column:
        lines[0] += ",课后服务放学"
        lines[1:] = [line + ("," + s1 if line.startswith("S1,") else ",") for line in lines[1:]]
    else:
        lines[1] = lines[1].replace("16:00-16:40", f"16:00-16:40; {s1}")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return Scenario.from_toml(tiny_dir / "scenario.toml")


@pytest.mark.parametrize("column", [True, False])
def test_both_ways_of_writing_a_second_wave_read_the_same(tiny_dir, column):
    scenario = _second_wave(tiny_dir, "17:30-18:00", column=column)
    assert scenario.school("S1").windows["afternoon"] == (parse_window("16:00-16:40"), parse_window("17:30-18:00"))
    assert scenario.school("S2").windows["afternoon"] == (parse_window("16:30-17:10"),)


def test_a_second_wave_overlapping_the_first_is_an_error(tiny_dir):
    with pytest.raises(InputError, match=r"row 2, field '课后服务放学': 16:30-17:00 overlaps the afternoon window"):
        _second_wave(tiny_dir, "16:30-17:00")
    with pytest.raises(InputError, match=r"row 2, field '放学时间': the windows 16:00-16:40 and 16:30-17:00 overlap"):
        read_schools_text = (tiny_dir / "schools.csv").read_text(encoding="utf-8").replace(
            ",课后服务放学", "").replace(",16:30-17:00", "").replace("16:00-16:40", "16:00-16:40; 16:30-17:00")
        (tiny_dir / "schools.csv").write_text(read_schools_text, encoding="utf-8")
        read_schools(tiny_dir / "schools.csv")


def test_each_wave_is_seen_routed_and_reported_on_its_own(tiny_dir, tmp_path):
    scenario = _second_wave(tiny_dir, "17:30-18:00")
    plan = make_plan(scenario, time_limit_s=2)
    rows = [(c.window_start_s, c.window_end_s) for c in plan.coverage if (c.school_id, c.period) == ("S1", "afternoon")]
    assert rows == [(16 * 3600, 16 * 3600 + 2400), (17 * 3600 + 1800, 18 * 3600)]
    assert plan.meta["summary"]["windows"] == {"morning": 3, "afternoon": 4}
    # a car stops in each wave, each stop wholly inside its own window
    second = [v for v in plan.visits if v.period == "afternoon" and v.arrive_s >= 17 * 3600 + 1800]
    assert second and all(v.depart_s <= 18 * 3600 for v in second)
    # the post of S1 and S2 stays over the gap of 15 minutes: one duty, 15:50 to 18:05
    duty = [(d.duty_start_s, d.duty_end_s) for d in plan.posts if d.period == "afternoon" and "S1" in d.school_ids]
    assert duty == [(15 * 3600 + 3000, 18 * 3600 + 300)]
    # the written plan reads back equal and proves the same
    folder = plan.to_dir(tmp_path / "plan", documents=False)
    assert Plan.from_dir(folder) == plan
    assert evaluate_plan_dir(scenario, folder, documents=False).violations == ()


def test_a_wave_hours_later_is_a_second_duty_block(tiny_dir, tmp_path):
    scenario = _second_wave(tiny_dir, "20:00-20:30")
    plan = make_plan(scenario, time_limit_s=2)
    duties = sorted((d.duty_start_s, d.duty_end_s) for d in plan.posts if d.period == "afternoon" and "S1" in d.school_ids)
    assert duties == [(15 * 3600 + 3000, 17 * 3600 + 900), (19 * 3600 + 3000, 20 * 3600 + 2100)]
    teams = {r.officer for r in plan.roster if r.period == "afternoon" and r.post_id == "P001"}
    assert len(teams) == 2  # one police officer and one auxiliary take both blocks
    folder = plan.to_dir(tmp_path / "plan", documents=False)
    assert evaluate_plan_dir(scenario, folder, documents=False).violations == ()


def test_duty_blocks_choose_the_fewer_officer_minutes():
    w = parse_window
    one = duty_blocks([w("16:00-16:40"), w("17:30-18:00")], 600, 300, drive_s=600)
    assert one == [(15 * 3600 + 3000, 18 * 3600 + 300)]  # a 45-minute gap: staying costs less than two drives
    two = duty_blocks([w("16:00-16:40"), w("17:30-18:00")], 600, 300, drive_s=60)
    assert two == [(15 * 3600 + 3000, 16 * 3600 + 2700), (17 * 3600 + 1200, 18 * 3600 + 300)]
