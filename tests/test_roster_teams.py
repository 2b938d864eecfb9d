"""The post roster (:mod:`geo_patrol.roster.teams`): posts are staffed only by officers who exist, a
station short of them borrows a team nearby or from a pool; budgets and totals are checked."""

from __future__ import annotations

import pytest

from geo_patrol.cli import main
from geo_patrol.errors import BudgetError
from geo_patrol.plan import make_plan
from geo_patrol.proof import prove, resources
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import prepare
from geo_patrol.whatif import posts_sweep

#: Two stations at opposite corners of the tiny town; the first has no officers at all.
TWO_STATIONS = """派出所编号,派出所,经度,纬度,民警,辅警,警车,类型
P1,城关派出所,114.3000,30.5000,0,0,2,派出所
P2,东城派出所,114.3080,30.5080,{police},{aux},1,派出所
"""


def _scenario(folder, stations: str, *, extra: str = "") -> Scenario:
    (folder / "stations.csv").write_text(stations, encoding="utf-8")
    text = (folder / "scenario.toml").read_text(encoding="utf-8")
    (folder / "scenario.toml").write_text(text + extra, encoding="utf-8")
    return Scenario.from_toml(folder / "scenario.toml")


def _schools_station(folder, station_id: str) -> None:
    """Every school in the jurisdiction of ``station_id``."""
    path = folder / "schools.csv"
    lines = path.read_text(encoding="utf-8").splitlines()
    out = [lines[0] + ",所属派出所"] + [line + f",{station_id}" for line in lines[1:]]
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def test_a_station_without_officers_borrows_a_team_from_a_station_nearby(tiny_dir):
    _schools_station(tiny_dir, "P1")
    scenario = _scenario(tiny_dir, TWO_STATIONS.format(police=4, aux=4))
    plan = make_plan(scenario, time_limit_s=2)
    assert plan.posts, "the required post of S1 must stand"
    assert {d.station_id for d in plan.posts} == {"P1"}
    assert {r.station_id for r in plan.roster} == {"P2"}
    assert all(r.officer.startswith("P2-") for r in plan.roster)
    use = {s.station_id: s.use for s in plan.stations}
    assert all(u[0] == 0 and u[1] == 0 for u in use["P1"].values())
    assert max(u[0] for u in use["P2"].values()) <= 4


def test_no_station_within_the_drive_limit_and_no_pool_drops_the_posts_with_a_reason(tiny_dir):
    _schools_station(tiny_dir, "P1")
    scenario = _scenario(tiny_dir, TWO_STATIONS.format(police=4, aux=4), extra="\n[parameters]\nborrow_drive_s = 10\n")
    plan = make_plan(scenario, time_limit_s=2)
    assert plan.posts == () and plan.roster == ()
    reasons = {u["school_id"]: u["detail"] for u in plan.meta["posts_uncovered"]}
    assert set(reasons) == {"S1", "S2", "S3"}
    assert all(r.startswith("officers short at station P1") for r in reasons.values())
    assert plan.meta["summary"]["schools_with_post"] == {"morning": 0, "afternoon": 0}


def test_a_pool_lends_teams_to_any_station(tiny_dir):
    _schools_station(tiny_dir, "P1")
    stations = TWO_STATIONS.format(police=0, aux=0) + "J1,局机关,114.3000,30.5000,3,3,0,机关警力\n"
    scenario = _scenario(tiny_dir, stations)
    assert [p.id for p in scenario.pools] == ["J1"] and [s.id for s in scenario.stations] == ["P1", "P2"]
    plan = make_plan(scenario, time_limit_s=2)
    assert plan.posts and {r.station_id for r in plan.roster} == {"J1"}
    pool_row = next(s for s in plan.stations if s.station_id == "J1")
    assert pool_row.kind == "pool" and pool_row.cars == 0


def test_no_officers_anywhere_means_no_post(tiny_dir):
    scenario = _scenario(tiny_dir, TWO_STATIONS.format(police=0, aux=0))
    plan = make_plan(scenario, time_limit_s=2)
    assert plan.posts == () and plan.roster == ()
    assert plan.meta["summary"]["police"] == 0
    # the schools still see cars: the three sightings hold on patrols alone, and the figures say no post stands
    assert plan.meta["summary"]["schools_with_post"] == {"morning": 0, "afternoon": 0}


def test_every_plan_passes_its_own_proof(tiny_dir):
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")
    plan = make_plan(scenario, time_limit_s=2)
    proof = prove(prepare(scenario), plan.posts, plan.visits, plan.roster, resources(scenario))
    assert proof.violations == ()
    assert proof.coverage == tuple(
        type(c)(**{**c.__dict__, "reason": c.reason.split(" (")[0]}) for c in plan.coverage)


def test_posts_below_the_required_need_is_a_clear_error(tiny_dir, capsys):
    scenario = Scenario.from_toml(tiny_dir / "scenario.toml")  # S1 requires a post (必设岗)
    with pytest.raises(BudgetError, match=r"--posts 0 is below the 1 posts that the 1 required school\(s\)") as err:
        make_plan(scenario, max_posts=0, time_limit_s=2)
    assert err.value.needed == 1
    code = main(["plan", str(tiny_dir / "scenario.toml"), "--posts", "0", "--out", str(tiny_dir / "p"), "--no-map"])
    err_lines = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert code == 2 and len(err_lines) == 1 and "use --posts 1 or more" in err_lines[0]
    assert not (tiny_dir / "p").exists()


def test_a_posts_sweep_says_which_budgets_are_below_the_required_need(tiny_dir):
    sweep = posts_sweep(Scenario.from_toml(tiny_dir / "scenario.toml"), [0, 1, 2], time_limit_s=2)
    assert [r["posts"] for r in sweep.rows] == [0, 1, 2]
    assert sweep.rows[0]["note"] == "below the 1 posts the required schools (必设岗) need"
    assert sweep.rows[0]["posts_used"] == "" and sweep.rows[1]["posts_used"] == 1
    assert sweep.rows[2]["covered_schools"] == 3


@pytest.mark.parametrize("flag, value, message", [
    ("--police", "-3", "-3 is negative"),
    ("--cars", "-1", "-1 is negative"),
    ("--posts", "nan", "'nan' is not a whole number"),
    ("--time-limit", "inf", "inf is not a time limit"),
    ("--time-limit", "nan", "nan is not a time limit"),
    ("--seed", "99999999999999999999", "is outside 0 … 2147483647"),
])
def test_bad_totals_are_refused_in_one_line(tiny_dir, capsys, flag, value, message):
    code = main(["plan", str(tiny_dir / "scenario.toml"), "--out", str(tiny_dir / "p"), flag, value])
    err = [line for line in capsys.readouterr().err.splitlines() if not line.startswith("[")]
    assert code == 2 and len(err) == 1 and message in err[0]
    assert not (tiny_dir / "p").exists()
