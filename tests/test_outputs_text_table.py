"""Console tables (:mod:`geo_patrol.outputs.text_table`): columns line up with double-width CJK text."""

from __future__ import annotations

from geo_patrol.outputs.text_table import text_table


def test_columns_line_up_with_chinese_text():
    lines = text_table(["id", "name", "km"], [["P1", "城关派出所", 12.5], ["P22", "north", 3]]).splitlines()
    assert lines == ["id   name        km",
                     "---  ----------  ----",
                     "P1   城关派出所  12.5",
                     "P22  north       3"]
