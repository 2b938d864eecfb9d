"""Tests of geo_patrol.whatif: the rows of a posts sweep and of a whole-plan sweep, and the files.

On the tiny town one post (at S1's gate) covers S1 and S2, weight 9.12 + 4.68 = 13.8 and 1,100
pupils; a second one adds S3 (11.0, 1,200 pupils); a third buys nothing.
"""

from __future__ import annotations

import json

import pytest
from conftest import read_rows

from geo_patrol.whatif import POSTS_COLUMNS, plan_sweep, posts_sweep, write_plan_sweep, write_posts_sweep

PNG = b"\x89PNG\r\n\x1a\n"


def test_posts_sweep_rows(tiny):
    sweep = posts_sweep(tiny, [3, 1, 2], time_limit_s=5)  # any order: swept from the smallest budget
    assert [{k: r[k] for k in POSTS_COLUMNS} for r in sweep.rows] == [
        {"posts": 1, "posts_used": 1, "covered_schools": 2, "covered_enrolment": 1100, "marginal_gain_per_post": 13.8,
         "police_needed": 1, "auxiliary_needed": 1, "note": ""},
        {"posts": 2, "posts_used": 2, "covered_schools": 3, "covered_enrolment": 2300, "marginal_gain_per_post": 11.0,
         "police_needed": 2, "auxiliary_needed": 2, "note": ""},
        {"posts": 3, "posts_used": 2, "covered_schools": 3, "covered_enrolment": 2300, "marginal_gain_per_post": 0.0,
         "police_needed": 2, "auxiliary_needed": 2, "note": ""},
    ]
    # one post covers S1 and S2 (14 m apart); the second post adds S3
    assert [(r["added_schools"], r["covered_weight"], r["officers_per_station"]) for r in sweep.rows] == [
        ("S1;S2", 13.8, "P1:1+1"), ("S3", 24.8, "P1:2+2"), ("", 24.8, "P1:2+2")]
    assert sweep.largest.n_posts == 2 and sweep.largest.covered_school_ids() == {"S1", "S2", "S3"}


def test_posts_sweep_writes_csv_png_and_the_largest_budgets_posts(tiny, tmp_path):
    sweep = posts_sweep(tiny, [1, 2, 3], time_limit_s=5)
    out = tmp_path / "sweep"
    assert write_posts_sweep(sweep, out) == [out / "posts_sweep.csv", out / "posts_sweep.png", out / "posts_3"]
    rows = read_rows(out / "posts_sweep.csv")
    assert list(rows[0]) == list(sweep.rows[0])
    assert [r["covered_schools"] for r in rows] == ["2", "3", "3"]
    assert [r["added_schools"] for r in rows] == ["S1;S2", "S3", ""]
    assert (out / "posts_sweep.png").read_bytes()[:8] == PNG
    # the largest budget's posts exported as CSV and GeoJSON, with roster and officer use
    export = out / "posts_3"
    assert sorted(p.name for p in export.iterdir()) == [
        "posts.csv", "posts.geojson", "posts.json", "rosters.csv", "station_use.csv", "uncovered.csv"]
    posts = read_rows(export / "posts.csv")
    assert [(r["post_id"], r["period"], r["school_ids"]) for r in posts] == [
        ("P001", "morning", "S1;S2"), ("P001", "afternoon", "S1;S2"), ("P002", "morning", "S3"),
        ("P002", "afternoon", "S3")]
    features = json.loads((export / "posts.geojson").read_text(encoding="utf-8"))["features"]
    assert len(features) == len(posts) == 4  # 2 posts × 2 periods
    assert json.loads((export / "posts.json").read_text(encoding="utf-8")) == {
        "format": "geo_patrol.posts/1", "mode": "max_coverage", "posts": 2}
    use = read_rows(export / "station_use.csv")
    assert [(r["period"], r["police_used"], r["police_available"], r["auxiliary_used"], r["auxiliary_available"])
            for r in use] == [("afternoon", "2", "10", "2", "12"), ("morning", "2", "10", "2", "12")]
    assert read_rows(export / "uncovered.csv") == []
    assert len(read_rows(export / "rosters.csv")) == 8  # 2 teams of 2 officers, 2 periods


def test_cars_sweep_end_to_end(tiny, tmp_path):
    rows = plan_sweep(tiny, "cars", [2, 0], time_limit_s=2)
    # without cars no school sees a car; with two every school does (one car is enough to use)
    assert [(r["cars"], r["attained_morning"], r["attained_afternoon"], r["cars_used"], r["note"]) for r in rows] == [
        (0, 0.0, 0.0, 0, ""), (2, 1.0, 1.0, 1, "")]
    assert [(r["posts"], r["police"], r["auxiliary"], r["with_post_morning"]) for r in rows] == [(2, 2, 2, 1.0)] * 2
    out = tmp_path / "w"
    assert write_plan_sweep(rows, "cars", out) == [out / "whatif_cars.csv", out / "whatif_cars.png"]
    written = read_rows(out / "whatif_cars.csv")
    assert list(written[0]) == list(rows[0]) and list(written[0])[0] == "cars" and list(written[0])[-1] == "note"
    assert [(r["cars"], r["attained_morning"]) for r in written] == [("0", "0.0"), ("2", "1.0")]
    assert (out / "whatif_cars.png").read_bytes()[:8] == PNG


def test_a_police_sweep_keeps_the_swept_number_in_its_column(tiny):
    rows = plan_sweep(tiny, "police", [2, 4], time_limit_s=2)
    assert [r["police"] for r in rows] == [2, 4]  # the x axis of the curve: the police available
    assert [r["posts"] for r in rows] == [2, 2]


def test_a_posts_budget_below_the_required_posts_is_a_row_with_a_note(tiny):
    rows = plan_sweep(tiny, "posts", [0, 1], time_limit_s=2)  # S1 requires a post
    assert rows[0]["posts"] == 0 and rows[0]["note"] == "below the 1 posts the required schools need"
    assert rows[0]["attained_morning"] == "" and rows[1]["note"] == ""
    assert (rows[1]["attained_morning"], rows[1]["with_post_morning"]) == (1.0, 0.6667)  # S3 is left to the car


def test_unknown_resource():
    with pytest.raises(ValueError, match="^bikes$"):
        plan_sweep(None, "bikes", [1])
