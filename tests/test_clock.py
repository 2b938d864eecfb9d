"""Tests of geo_patrol.clock: times of day as seconds after midnight, windows, and their text."""

from __future__ import annotations

import pytest

from geo_patrol.clock import Window, format_time, parse_time, parse_window


def test_parse_and_format_times():
    assert parse_time("07:30") == 27_000 and parse_time("7:05:09") == 25_509 and parse_time("23:59:59") == 86_399
    assert parse_time("07：30") == 27_000  # a full-width colon
    assert format_time(27_000) == "07:30:00" and format_time(25_509.4) == "07:05:09"
    assert format_time(27_000, with_seconds=False) == "07:30"


@pytest.mark.parametrize(("text", "message"), [
    ("7.30", r"^'7\.30' is not a clock time \(write HH:MM, e\.g\. 07:30\)$"),
    ("24:00", r"^'24:00' is not a valid clock time \(hours 00-23, minutes 00-59\)$"),
    ("07:60", r"^'07:60' is not a valid clock time"),
])
def test_bad_times(text, message):
    with pytest.raises(ValueError, match=message):
        parse_time(text)


def test_window_accepts_chinese_dashes_and_colons():
    assert parse_window("07：20～08：00") == parse_window("07:20-08:00") == Window(26_400, 28_800)
    assert parse_window("7:20 — 8:00").start_s == 7 * 3600 + 20 * 60
    assert parse_window("16:00至16:40") == parse_window("16:00 – 16:40") == parse_window("16:00~16:40")


def test_window_duration_text_and_order():
    window = parse_window("07:30-08:10")
    assert (window.start_s, window.end_s, window.duration_s) == (27_000, 29_400, 2_400)
    assert str(window) == "07:30-08:10"
    assert sorted([parse_window("08:00-08:40"), window]) == [window, parse_window("08:00-08:40")]


def test_bad_windows():
    with pytest.raises(ValueError, match=r"^'07:30' is not a window \(write HH:MM-HH:MM, e\.g\. 07:20-08:00\)$"):
        parse_window("07:30")
    with pytest.raises(ValueError, match=r"^window end 07:00 is not after its start 07:40$"):
        parse_window("07:40-07:00")
    with pytest.raises(ValueError, match=r"^window end 07:40 is not after its start 07:40$"):
        Window(27_600, 27_600)
