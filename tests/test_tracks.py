"""Readers of the audit's inputs: vehicle tracks, the vehicles table, check-ins."""

from __future__ import annotations

import datetime as dt
import json
import math

import numpy as np
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from geo_patrol.datum import from_wgs84, to_wgs84
from geo_patrol.errors import InputError
from geo_patrol.io.tracks import (
    parse_datetime,
    read_checkins,
    read_track_file,
    read_tracks,
    read_vehicles,
)

SHANGHAI = dt.timezone(dt.timedelta(hours=8))

TRACK_CSV = """车辆定位导出 2026-09-01
车牌号,定位时间,经度,纬度,速度,方向,警灯
鄂A1234,2026-09-01 07:30:00,114.30,30.50,30,90,开
鄂A1234,2026/9/1 7:30:05,114.3005,30.50,31.5,90,关
鄂A5678,2026-09-01T07:30:05+00:00,114.31,30.51,,,
鄂A5678,2026-09-01T23:59:59Z,114.31,30.51,,,1
"""


def test_chinese_headers_title_row_gbk_lights_and_offsets(tmp_path):
    path = tmp_path / "gps.csv"
    path.write_bytes(TRACK_CSV.encode("gb18030"))
    tracks = read_tracks(path)
    assert sorted(tracks) == ["鄂A1234", "鄂A5678"]
    a = tracks["鄂A1234"]
    assert a.time_s.tolist() == [27000.0, 27005.0]
    assert a.speed_kph.tolist() == [30.0, 31.5]
    assert a.lights.tolist() == [1.0, 0.0]
    assert a.row.tolist() == [3, 4]  # spreadsheet rows: title on 1, header on 2
    assert a.where(1) == "gps.csv, row 4"
    b = tracks["鄂A5678"]
    # 07:30:05 UTC is 15:30:05 in Shanghai; 23:59:59 UTC is 07:59:59 the next day
    assert b.time_s.tolist() == [15 * 3600 + 30 * 60 + 5, 7 * 3600 + 59 * 60 + 59]
    assert [str(d) for d in b.date] == ["2026-09-01", "2026-09-02"]
    assert math.isnan(b.speed_kph[0]) and math.isnan(b.lights[0]) and b.lights[1] == 1.0
    assert b.seconds[1] - b.seconds[0] == 16 * 3600 + 29 * 60 + 54  # 07:30:05Z → 23:59:59Z
    assert len(b.on("2026-09-02")) == 1
    with pytest.raises(ValueError):
        b.lon[0] = 0.0  # frozen arrays


def test_datum_converted_to_wgs84(tmp_path):
    lon, lat = from_wgs84(114.30, 30.50, "gcj02")
    path = tmp_path / "car.csv"
    path.write_text(f"vehicle,time,lon,lat\nX,2026-09-01 07:00:00,{lon!r},{lat!r}\n", encoding="utf-8")
    track = read_tracks(path, datum="gcj02")["X"]
    assert track.lon[0] == pytest.approx(114.30, abs=1e-8)
    assert track.lat[0] == pytest.approx(30.50, abs=1e-8)
    raw = read_tracks(path)["X"]
    assert raw.lon[0] == pytest.approx(lon)  # declared WGS-84: left as it is
    with pytest.raises(InputError, match="datum"):
        read_tracks(path, datum="mars")


def test_vehicle_from_file_name_and_no_lights_column(tmp_path):
    path = tmp_path / "粤B12345.csv"
    path.write_text("\ufefftime,lon,lat\n2026-09-01 07:00:00,114.3,30.5\n2026-09-01 07:00:05,114.3001,30.5\n",
                    encoding="utf-8")
    (track,) = read_track_file(path)
    assert track.vehicle == "粤B12345"
    assert np.isnan(track.lights).all() and np.isnan(track.heading_deg).all()


def test_several_files_of_one_vehicle_are_joined_with_their_sources(tmp_path):
    one, two = tmp_path / "a.csv", tmp_path / "b.csv"
    one.write_text("车辆,时间,经度,纬度\nV,2026-09-01 07:00:00,114.3,30.5\n", encoding="utf-8")
    two.write_text("车辆,时间,经度,纬度\nV,2026-09-02 07:00:00,114.3,30.5\nV,2026-09-02 07:00:05,114.3,30.5\n",
                   encoding="utf-8")
    track = read_tracks([one, two])["V"]
    assert len(track) == 3 and track.file.tolist() == [0, 1, 1]
    assert track.where(2) == "b.csv, row 3"
    assert [d.isoformat() for d in track.dates] == ["2026-09-01", "2026-09-02"]


def test_gpx_times_are_utc_and_become_local(tmp_path):
    path = tmp_path / "track.gpx"
    path.write_text("""<?xml version="1.0" encoding="UTF-8"?>
<gpx version="1.1" creator="test" xmlns="http://www.topografix.com/GPX/1/1">
 <trk><name>PS01-car</name><trkseg>
  <trkpt lat="30.5" lon="114.3"><time>2026-08-31T23:30:00Z</time></trkpt>
  <trkpt lat="30.5005" lon="114.3"><time>2026-08-31T23:30:05Z</time></trkpt>
 </trkseg></trk>
</gpx>""", encoding="utf-8")
    track = read_tracks(path)["PS01-car"]
    assert track.time_s.tolist() == [27000.0, 27005.0]
    assert str(track.date[0]) == "2026-09-01"
    assert track.row.tolist() == [1, 2]


def test_geojson_points_with_properties(tmp_path):
    features = [{"type": "Feature", "geometry": {"type": "Point", "coordinates": [114.3 + k * 1e-4, 30.5]},
                 "properties": {"车牌号": "V1", "定位时间": f"2026-09-01 07:00:0{k}", "警灯": "on"}}
                for k in range(3)]
    path = tmp_path / "points.geojson"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    track = read_tracks(path)["V1"]
    assert track.lon.tolist() == pytest.approx([114.3, 114.3001, 114.3002])
    assert track.lights.tolist() == [1.0, 1.0, 1.0]
    assert track.row.tolist() == [1, 2, 3]
    features[1]["geometry"] = {"type": "LineString", "coordinates": [[114.3, 30.5], [114.4, 30.5]]}
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    with pytest.raises(InputError, match=r"points.geojson, row 2, field 'geometry'"):
        read_tracks(path)


def test_xlsx_datetime_cells_keep_their_seconds(tmp_path):
    book = openpyxl.Workbook()
    book.active.title = "说明"
    book.active.append(["本表为车辆定位导出"])  # a cover sheet: passed over
    sheet = book.create_sheet("定位")
    sheet.append(["终端号", "GPS时间", "经度", "纬度", "速度"])
    sheet.append(["T9", dt.datetime(2026, 9, 1, 16, 5, 7), 114.3, 30.5, 12])
    sheet.append(["T9", "2026-09-01 16:05:12", 114.3, 30.5001, 13])
    path = tmp_path / "gps.xlsx"
    book.save(path)
    track = read_tracks(path)["T9"]
    assert track.time_s.tolist() == [16 * 3600 + 5 * 60 + 7, 16 * 3600 + 5 * 60 + 12]
    assert track.speed_kph.tolist() == [12.0, 13.0]
    assert track.where(0) == "gps.xlsx, row 2"  # the sheet with the columns, past the cover sheet


def test_xlsx_checkins_with_date_and_time_cells(tmp_path):
    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["民警", "岗位", "日期", "签到时间", "签退时间"])
    sheet.append(["PS01-police-1", "P001", dt.datetime(2026, 9, 1), dt.time(7, 5), dt.time(8, 40, 30)])
    sheet.append(["PS01-police-2", "P002", dt.date(2026, 9, 1), dt.time(7, 6), None])
    path = tmp_path / "checkins.xlsx"
    book.save(path)
    rows = read_checkins(path)
    assert [(r.date, r.time_in_s, r.time_out_s) for r in rows] == [
        (dt.date(2026, 9, 1), 25500.0, 31230.0), (dt.date(2026, 9, 1), 25560.0, None)]


def test_bad_rows_are_named_all_at_once(tmp_path):
    path = tmp_path / "bad.csv"
    path.write_text("车牌号,定位时间,经度,纬度,警灯\n"
                    "V,2026-09-01 07:00:00,114.3,30.5,开\n"
                    "V,2026-13-01 07:00:05,114.3,30.5,开\n"
                    "V,2026-09-01 07:00:10,东经114,30.5,开\n"
                    "V,2026-09-01 07:00:15,114.3,30.5,闪\n"
                    "V,2026-09-01 07:00:20,30.5,114.3,开\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_tracks(path)
    text = str(info.value)
    assert "4 problems in 4 rows" in text, text
    assert "bad.csv, row 3, field '定位时间': '2026-13-01 07:00:05' has no such date" in text
    assert "bad.csv, row 4, field '经度': '东经114' is not a number" in text
    assert "bad.csv, row 5, field '警灯': '闪' is not on/off" in text
    assert "bad.csv, row 6, field '经度'" in text and "swapped" in text


def test_one_bad_row_gives_one_line_and_missing_columns_are_named(tmp_path):
    path = tmp_path / "one.csv"
    path.write_text("vehicle,time,lon,lat\nV,07:00,114.3,30.5\n", encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_tracks(path)
    assert info.value.row == 2 and info.value.field == "time" and "\n" not in str(info.value)
    path.write_text("vehicle,time,lon\nV,2026-09-01 07:00:00,114.3\n", encoding="utf-8")
    with pytest.raises(InputError, match="missing required column 'lat'"):
        read_tracks(path)
    with pytest.raises(InputError, match="unknown track format"):
        read_tracks(tmp_path / "x.kml") if (tmp_path / "x.kml").write_text("x") else None
    with pytest.raises(InputError, match="file not found"):
        read_tracks(tmp_path / "missing.csv")


def test_parse_datetime_forms():
    assert parse_datetime("2026-09-01 07:30", SHANGHAI) == (dt.date(2026, 9, 1), 27000.0)
    assert parse_datetime("2026/9/1 7:30:05.5", SHANGHAI) == (dt.date(2026, 9, 1), 27005.5)
    assert parse_datetime("2026-09-01T07:30:05+0900", SHANGHAI) == (dt.date(2026, 9, 1), 27005.0 - 3600)
    assert parse_datetime("1788219000", SHANGHAI) == (dt.date(2026, 9, 1), 27000.0)  # 2026-08-31T23:30:00Z
    assert parse_datetime("1788219000500", SHANGHAI) == (dt.date(2026, 9, 1), 27000.5)
    with pytest.raises(ValueError):
        parse_datetime("2026-09-01", SHANGHAI)


def test_vehicles_table(tmp_path):
    path = tmp_path / "vehicles.csv"
    path.write_text("车牌号,所属派出所,车辆编号\n鄂A1234,PS01,PS01/1\n鄂A5678,PS02,PS02／2\n", encoding="utf-8")
    vehicles = read_vehicles(path)
    assert vehicles["鄂A1234"].car_id == "PS01/1" and vehicles["鄂A5678"].car_id == "PS02/2"
    path.write_text("车牌号,所属派出所,车辆编号\n鄂A1234,PS01,PS02/1\n鄂A5678,PS02,car2\n鄂A1234,PS01,PS01/3\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_vehicles(path)
    text = str(info.value)
    assert "row 2, field '车辆编号': car 'PS02/1' belongs to station 'PS02'" in text
    assert "row 3, field '车辆编号': 'car2' is not a car id" in text
    assert "row 4" not in text or "listed twice" in text


def test_checkins_blank_is_no_record_and_datum(tmp_path):
    lon, lat = from_wgs84(114.30, 30.50, "bd09")
    path = tmp_path / "checkins.csv"
    path.write_text("警员编号,岗点编号,日期,签到时间,签退时间,经度,纬度\n"
                    f"PS01-police-1,P001,2026-09-01,07:05,08:40:10,{lon},{lat}\n"
                    "PS01-auxiliary-1,P001,2026-09-01,07:06,,,\n"
                    ",P002,,2026-09-01 16:00:00,2026-09-02 00:10:00,,\n", encoding="utf-8")
    rows = read_checkins(path, datum="bd09")
    assert rows[0].time_in_s == 7 * 3600 + 300 and rows[0].time_out_s == 8 * 3600 + 2410
    assert rows[0].lon == pytest.approx(114.30, abs=1e-7) and rows[0].lat == pytest.approx(30.50, abs=1e-7)
    assert rows[1].time_out_s is None and rows[1].lon is None  # blank: no record
    assert rows[2].officer is None and rows[2].post == "P002" and rows[2].date == dt.date(2026, 9, 1)
    assert rows[2].time_out_s == 86400 + 600
    assert [r.row for r in rows] == [2, 3, 4]
    path.write_text("民警,日期,签到时间,签退时间\nA,2026-09-01,7点05,08:00\nB,2026-09-01,08:00,07:00\n",
                    encoding="utf-8")
    with pytest.raises(InputError) as info:
        read_checkins(path)
    assert "row 2, field '签到时间'" in str(info.value)
    assert "row 3, field '签退时间': the check-out is before the check-in" in str(info.value)


def test_round_trip_of_a_gcj_export_is_close():
    lon, lat = from_wgs84(np.array([114.3, 114.31]), np.array([30.5, 30.51]), "gcj02")
    back = to_wgs84(lon, lat, "gcj02")
    assert np.allclose(back[0], [114.3, 114.31], atol=1e-9)


def test_geojson_with_its_own_lonlat_properties_and_bad_json(tmp_path):
    features = [{"type": "Feature", "geometry": None,
                 "properties": {"vehicle": "V2", "time": "2026-09-01T07:00:00+08:00", "经度": 114.3, "纬度": 30.5}}]
    path = tmp_path / "own.json"
    path.write_text(json.dumps({"type": "FeatureCollection", "features": features}), encoding="utf-8")
    track = read_tracks(path)["V2"]
    assert track.lon.tolist() == [114.3] and track.time_s.tolist() == [25200.0]
    path.write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError, match="not valid JSON"):
        read_tracks(path)
    path.write_text("[1, 2]", encoding="utf-8")
    with pytest.raises(InputError, match="has no features"):
        read_tracks(path)


def test_broken_gpx_and_workbook(tmp_path):
    gpx = tmp_path / "broken.gpx"
    gpx.write_text("<gpx><trk><trkseg><trkpt lat='x' lon='1'></trkpt>", encoding="utf-8")
    with pytest.raises(InputError, match="broken.gpx"):
        read_tracks(gpx)
    untimed = tmp_path / "untimed.gpx"
    untimed.write_text('<?xml version="1.0"?><gpx version="1.1" xmlns="http://www.topografix.com/GPX/1/1">'
                       '<trk><trkseg><trkpt lat="30.5" lon="114.3"/></trkseg></trk></gpx>', encoding="utf-8")
    with pytest.raises(InputError, match=r"untimed.gpx, row 1, field 'time': has no time"):
        read_tracks(untimed)
    book = tmp_path / "broken.xlsx"
    book.write_bytes(b"PK\x03\x04 not a workbook")
    with pytest.raises(InputError, match="not a readable Excel workbook"):
        read_tracks(book)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.lists(st.sampled_from(["V", "", "2026-09-01 07:00:00", "2026/9/31 7:0:0", "114.3", "30.5", "x",
                                          "nan", "inf", "-1e400", "开", "1", "，", "\"", "25:00", "2026-09-01T07:00Z"]),
                         min_size=0, max_size=8), min_size=0, max_size=6))
def test_any_table_gives_tracks_or_an_input_error(tmp_path, cells):
    path = tmp_path / "fuzz.csv"
    lines = ["车牌号,定位时间,经度,纬度,速度,方向,警灯"] + [",".join(row) for row in cells]
    path.write_text("\n".join(lines), encoding="utf-8")
    try:
        tracks = read_tracks(path)
    except InputError as exc:
        assert "fuzz.csv" in str(exc)
    else:
        for track in tracks.values():
            assert np.all(np.isfinite(track.lon)) and np.all(np.isfinite(track.time_s))
