"""Tests of geo_patrol.io.tables (the input loaders): formats, encodings, Chinese headers, datums
and every bad-input message."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import SCHOOLS_CSV, STATIONS_CSV

from geo_patrol.clock import parse_window
from geo_patrol.datum import from_wgs84
from geo_patrol.errors import InputError
from geo_patrol.io.tables import read_schools, read_sites, read_stations

ENGLISH = """id,name,kind,lon,lat,enrolment,morning,afternoon,noon,gates
A,North Primary,primary,114.30,30.50,800,07:30-08:10,16:00-16:40,,114.301 30.501; 114.302 30.502
B,South Kindergarten,kindergarten,114.31,30.51,150,08:00-08:40,16:30-17:10,11:30-12:00,
"""


def _write(tmp_path: Path, text: str, name: str = "schools.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "gbk", "gb18030"])
def test_chinese_csv_in_every_encoding_reads_the_same(tmp_path, encoding):
    schools = read_schools(_write(tmp_path, SCHOOLS_CSV, encoding=encoding))
    assert [s.id for s in schools] == ["S1", "S2", "S3"]
    assert schools[0].name == "第一小学"
    assert [s.kind for s in schools] == ["primary", "kindergarten", "middle"]
    assert schools[0].windows["morning"] == (parse_window("07:30-08:10"),)
    assert schools[2].windows["afternoon"][-1].end_s == 18 * 3600
    assert schools[0].requires_post and not schools[1].requires_post
    assert schools[2].priority == 5 and schools[2].enrolment == 1200


def test_english_headers_extra_gates_and_noon(tmp_path):
    a, b = read_schools(_write(tmp_path, ENGLISH))
    assert len(a.gates) == 3 and (a.gates[2].lon, a.gates[2].lat) == (114.302, 30.502)
    assert "noon" not in a.windows and b.windows["noon"] == (parse_window("11:30-12:00"),)
    assert a.priority == 3  # default


def test_an_address_column_is_kept_in_any_of_its_headers(tmp_path):
    """Amap exports head it ADDRESS, Chinese registers 地址 or 详细地址; runs of spaces and line
    breaks inside the cell become one space; a list without the column gives empty addresses."""
    for header in ("ADDRESS", "地址", "详细地址", "学校地址"):
        text = SCHOOLS_CSV.replace("禁设岗\n", f"禁设岗,{header}\n", 1).replace(
            "否,否\n", '否,否,"高新二路与星高路\n交叉口  西南角"\n', 1)
        first, second, _ = read_schools(_write(tmp_path, text))
        assert (first.address, second.address) == ("", "高新二路与星高路 交叉口 西南角"), header
    assert [s.address for s in read_schools(_write(tmp_path, ENGLISH))] == ["", ""]


def test_xlsx_rows_skip_blank_lines_and_numeric_ids(tmp_path):
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    sheet.append(["学校编号", "学校名称", "类型", "经度", "纬度", "在校人数", "上学时间", "放学时间"])
    sheet.append(["X1", "测试小学", "小学", 114.3, 30.5, 500, "07:30-08:10", "16:00-16:40"])
    sheet.append([None] * 8)  # an empty line Excel leaves behind is skipped
    sheet.append([2, "测试幼儿园", "幼儿园", 114.31, 30.51, 120.0, "08:00-08:30", "16:30-17:00"])
    book.save(tmp_path / "schools.xlsx")
    schools = read_schools(tmp_path / "schools.xlsx")
    assert [s.id for s in schools] == ["X1", "2"]
    assert schools[1].enrolment == 120 and schools[1].row == 4


def test_geojson_and_geopackage_use_point_geometry(tmp_path):
    import geopandas as gpd
    from shapely.geometry import Point

    frame = gpd.GeoDataFrame(
        {"id": ["G1"], "name": ["点小学"], "kind": ["primary"], "enrolment": [300],
         "morning": ["07:40-08:10"], "afternoon": ["16:10-16:40"]},
        geometry=[Point(114.35, 30.55)], crs="EPSG:4326",
    )
    frame.to_file(tmp_path / "s.geojson", driver="GeoJSON")
    frame.to_file(tmp_path / "s.gpkg", driver="GPKG")
    for name in ("s.geojson", "s.gpkg"):
        (school,) = read_schools(tmp_path / name)
        assert (school.lon, school.lat) == pytest.approx((114.35, 30.55))


@pytest.mark.parametrize("datum", ["gcj02", "bd09"])
def test_datum_is_converted_to_wgs84_on_load(tmp_path, datum):
    wgs = (114.30, 30.50)
    lon, lat = from_wgs84(wgs[0], wgs[1], datum)
    text = f"id,name,kind,lon,lat,enrolment,morning,afternoon\nA,a,primary,{lon:.9f},{lat:.9f},1,07:30-08:00,16:00-16:30\n"
    (school,) = read_schools(_write(tmp_path, text), datum=datum)
    assert school.lon == pytest.approx(wgs[0], abs=1e-7) and school.lat == pytest.approx(wgs[1], abs=1e-7)
    # an offset of hundreds of metres that would have put the gate on the wrong road
    assert abs(lon - wgs[0]) > 1e-3


def test_stations_and_sites(tmp_path):
    (station,) = read_stations(_write(tmp_path, STATIONS_CSV, "stations.csv", "utf-8-sig"))
    assert (station.id, station.police, station.auxiliary, station.cars) == ("P1", 10, 12, 2)
    sites = read_sites(_write(tmp_path, "id,name,lon,lat,existing\nK1,岗亭,114.3,30.5,是\nK2,,114.31,30.5,\n", "sites.csv"))
    assert [s.existing for s in sites] == [True, False]


# ----------------------------------------------------------------------------- bad input


BAD_SCHOOLS = [
    ("missing column", "学校编号,学校名称,类型,经度,在校人数,上学时间,放学时间\nS1,a,小学,114.3,1,07:30-08:00,16:00-16:30\n",
     r"schools\.csv, row 1, field 'lat': missing required column 'lat' — add a column headed one of: lat, latitude, y, 纬度"),
    ("bad coordinate", SCHOOLS_CSV.replace("114.3060", "114.3O60"),
     r"schools\.csv, row 4, field '经度': '114\.3O60' is not a number"),
    ("swapped", SCHOOLS_CSV.replace("114.3020,30.5020", "30.5020,114.3020"),
     r"row 2, field '经度': longitude 30\.502 and latitude 114\.302 look swapped — swap the values of the '经度' and '纬度' columns"),
    ("out of range", SCHOOLS_CSV.replace("30.5060", "95.5060"),
     r"row 4, field '纬度': latitude 95\.506 is out of range"),
    ("duplicate id", SCHOOLS_CSV.replace("S3,", "S1,"),
     r"row 4, field '学校编号': id 'S1' is used twice \(also row 2\) — give every row its own id"),
    ("invalid time", SCHOOLS_CSV.replace("16:30-17:10", "16:30-25:00"),
     r"row 3, field '放学时间': '25:00' is not a valid clock time"),
    ("end before start", SCHOOLS_CSV.replace("07:00-07:40", "07:40-07:00"),
     r"row 4, field '上学时间': window end 07:00 is not after its start 07:40"),
    ("empty file", "", r"schools\.csv: is empty"),
    ("header only", "id,name,kind,lon,lat,enrolment,morning,afternoon\n", r"schools\.csv: has a header but no data rows"),
    ("negative enrolment", SCHOOLS_CSV.replace(",200,", ",-200,"), r"row 3, field '在校人数': -200 is negative"),
    ("unknown kind", SCHOOLS_CSV.replace("幼儿园,114", "大学,114"), r"row 3, field '类型': '大学' is not a school kind"),
]


@pytest.mark.parametrize("case,text,message", BAD_SCHOOLS, ids=[c[0] for c in BAD_SCHOOLS])
def test_bad_school_tables_name_file_row_and_field(tmp_path, case, text, message):
    with pytest.raises(InputError, match=message):
        read_schools(_write(tmp_path, text))


def test_undecodable_file(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_bytes(SCHOOLS_CSV.encode("utf-8") + b"S9,\xff\xfe\xfa,x\n")
    with pytest.raises(InputError, match=r"schools\.csv, row 5: cannot be decoded as UTF-8 or GBK/GB18030"):
        read_schools(path)


def test_binary_file(tmp_path):
    path = tmp_path / "schools.csv"
    path.write_bytes(b"PK\x03\x04\x00\x00binary")
    with pytest.raises(InputError, match=r"schools\.csv: is not a text table"):
        read_schools(path)


def test_missing_file(tmp_path):
    with pytest.raises(InputError, match=r"nowhere\.csv: file not found — check the path"):
        read_schools(tmp_path / "nowhere.csv")


@pytest.mark.parametrize("field,value", [("民警", "-3"), ("警车", "-1"), ("辅警", "2.5")])
def test_negative_or_fractional_counts(tmp_path, field, value):
    header, row = STATIONS_CSV.strip().split("\n")
    cells = dict(zip(header.split(","), row.split(",")))
    cells[field] = value
    text = header + "\n" + ",".join(cells[h] for h in header.split(",")) + "\n"
    with pytest.raises(InputError, match=rf"stations\.csv, row 2, field '{field}': {value} is (negative|not a whole number)"):
        read_stations(_write(tmp_path, text, "stations.csv"))


def test_unknown_datum(tmp_path):
    with pytest.raises(InputError, match=r"schools\.csv, field 'datum'"):
        read_schools(_write(tmp_path, SCHOOLS_CSV), datum="mars")
