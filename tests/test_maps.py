"""The offline coverage map: self-contained, complete, bilingual, written atomically."""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser
from pathlib import Path

import folium
import numpy as np
import pytest
from plan_fixture import SCHOOLS, write_plan_fixture

from geo_patrol.datum import from_wgs84
from geo_patrol.errors import InputError
from geo_patrol.io.plandir import read_plan_dir
from geo_patrol.outputs import map as maps
from geo_patrol.outputs.map import build_map, render_map, render_station_maps
from geo_patrol.outputs.map_data import arrows, pack, pinyin_initials, simplify_indices
from geo_patrol.outputs.offline import OfflineError, check_offline, external_references, inline_assets, local_asset

#: absolute URLs that are text inside the inlined Leaflet code, never fetched: the SVG namespace
#: and the link of Leaflet's attribution prefix (which the map replaces by plain text)
LIBRARY_TEXT_URLS = {"http://www.w3.org/2000/svg", "https://leafletjs.com"}
TILES = "https://tiles.intranet.example/gis/{z}/{x}/{y}.png"


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    return write_plan_fixture(tmp_path_factory.mktemp("plan"))


@pytest.fixture(scope="module")
def page_zh(plan_dir) -> str:
    return render_map(plan_dir).read_text(encoding="utf-8")


class _Markup(HTMLParser):
    """Tags and attributes of the real markup (script and style contents are not parsed)."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))


def _markup(page: str) -> list[tuple[str, dict]]:
    parser = _Markup()
    parser.feed(page)
    return parser.tags


def _layer_names(page: str) -> list[str]:
    """The overlay names of the layer control, in order (JSON-escaped in the page)."""
    block = page[page.index("overlays :"):]
    block = block[:block.index("}")]
    return [json.loads(f'"{m}"') for m in re.findall(r'"((?:[^"\\]|\\.)*)" : feature_group_', block)]


def test_map_file_is_self_contained(plan_dir, page_zh):
    assert (plan_dir / "map.html").is_file()
    tags = _markup(page_zh)
    # nothing is linked: every script and stylesheet is inline
    assert not [a for t, a in tags if t == "script" and a.get("src")]
    assert not [t for t, _ in tags if t == "link"]
    assert not [a for t, a in tags for k, v in a.items() if k in ("src", "href") and v and "://" in v]
    assert external_references(page_zh) == []
    # the only absolute URLs anywhere are two pieces of library text, not references
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page_zh))
    assert urls <= LIBRARY_TEXT_URLS, urls
    assert not re.search(r"""(?:src|href)\s*=\s*\\?["']?https?://(?!leafletjs\.com)""", page_zh)
    assert "setPrefix('Leaflet')" in page_zh  # the attribution shows no link
    assert "leaflet.js (inlined)" in page_zh and "jquery.min.js (inlined)" in page_zh
    assert "leaflet.css (inlined)" in page_zh and "url(images/" not in page_zh
    assert "data:image/png;base64," in page_zh  # Leaflet's layer-control images
    assert "sourceMappingURL" not in page_zh


def test_map_shows_every_layer_school_post_station_and_car_in_chinese(page_zh):
    for school in SCHOOLS:
        assert school.name in page_zh
    assert _layer_names(page_zh) == [
        "道路网（底图）", "“135” 3分钟到场范围 · 上午", "“135” 3分钟到场范围 · 中午", "“135” 3分钟到场范围 · 下午",
        "护学岗", "巡逻路线 · 上午", "巡逻路线 · 下午", "学校“三见” · 上午", "学校“三见” · 中午",
        "学校“三见” · 下午", "未达成“三见” · 中午", "未达成“三见” · 下午", "派出所", "警车动画"]
    # popups: sightings from where and when, presence, response, the reason when missed
    assert "护学岗 K1" in page_zh and "护学岗 K2" in page_zh
    assert "警察: 护学岗 K1 07:20:00–08:45:00" in page_zh
    assert "警车+警灯+警察: 警车 P01-1 07:35:00–07:40:00" in page_zh
    assert "未见警察；未见警车和警灯" in page_zh and "no officer; no car or lights" not in page_zh
    assert "城关派出所" in page_zh and "东湖派出所" in page_zh
    assert "民警在场率" in page_zh and "最长到场时间" in page_zh
    # the headline panel and the legend
    assert "方案概况" in page_zh and "图例" in page_zh
    assert "P01-1" in page_zh and "P02-1" in page_zh
    assert '<html lang="zh-CN">' in page_zh


def test_map_in_english(plan_dir, tmp_path):
    page = render_map(plan_dir, out=tmp_path / "map_en.html", lang="en").read_text(encoding="utf-8")
    layers = _layer_names(page)
    for text in ["Road network (basemap)", "Schools, three sightings · morning", "Duty posts", "Police stations",
                 "Patrol routes · afternoon", "Three sightings not met · afternoon", "Patrol car animation"]:
        assert text in layers, text
    assert "Plan summary" in page and "Legend" in page and "Officer presence" in page
    assert "巡逻路线" not in page and "护学岗" not in page and "未见警察" not in page
    assert "no officer; no car or lights" in page  # the reason in the map's own language
    assert "第一小学" in page  # data stay as written
    assert '<html lang="en">' in page
    assert external_references(page) == []


def test_no_tile_layer_by_default_and_a_given_tile_url_is_the_only_remote_reference(plan_dir, tmp_path, page_zh):
    assert "L.tileLayer" not in page_zh
    page = render_map(plan_dir, out=tmp_path / "tiles.html", tiles=TILES).read_text(encoding="utf-8")
    assert "L.tileLayer" in page and TILES in page
    urls = set(re.findall(r"https?://[^\s\"'<>)\\]+", page))
    assert urls - LIBRARY_TEXT_URLS == {TILES}
    # with tiles the road layer stays available but starts hidden
    fmap = build_map(plan_dir, tiles=TILES)
    roads = [c for c in fmap._children.values() if isinstance(c, folium.FeatureGroup) and c.layer_name.startswith("道路网")]
    assert len(roads) == 1 and roads[0].show is False


def test_initial_period_chooses_the_visible_layers(plan_dir):
    fmap = build_map(plan_dir, period="noon")
    shown = {c.layer_name for c in fmap._children.values() if isinstance(c, folium.FeatureGroup) and c.show}
    assert "学校“三见” · 中午" in shown and "学校“三见” · 上午" not in shown
    assert "未达成“三见” · 中午" in shown
    with pytest.raises(InputError, match="period 'evening' is not in this plan"):
        build_map(plan_dir, period="evening")
    with pytest.raises(InputError, match="language 'fr'"):
        render_map(plan_dir, lang="fr")


def test_build_map_composes_with_other_folium_layers(plan_dir):
    fmap = build_map(plan_dir)
    assert isinstance(fmap, folium.Map)
    folium.CircleMarker([30.51, 114.31], radius=3, tooltip="extra point").add_to(fmap)
    page = inline_assets(fmap.get_root().render())
    assert "extra point" in page


def _commander(fmap) -> maps._Commander:
    return next(c for c in fmap._children.values() if isinstance(c, maps._Commander))


def test_schools_are_coloured_by_status(plan_dir):
    data = _commander(build_map(plan_dir)).data
    ids = data["schools"]["id"]
    # 11 school windows: 9 met, S3 at noon partly, S4 in the afternoon missed (codes 0, 1, 2)
    statuses = {(p, ids[entry[0]]): entry[1] for p, entries in data["windows"].items() for entry in entries}
    assert len(statuses) == 11 and sorted(statuses.values()).count(0) == 9
    assert {k: v for k, v in statuses.items() if v} == {("noon", "S3"): 1, ("afternoon", "S4"): 2}
    assert data["style"]["status"] == [maps.STATUS_COLOURS[k] for k in ("met", "partly", "missed")]


def test_route_arrows_point_the_way_the_car_drives():
    east = arrows([[114.300, 30.5], [114.303, 30.5]])
    north = arrows([[114.300, 30.5], [114.300, 30.503]])
    west_then_south = arrows([[114.303, 30.5], [114.300, 30.5], [114.300, 30.497]])
    assert [a[2] for a in east] == [90.0] and east[0][:2] == [30.5, 114.3015]
    assert [a[2] for a in north] == [0.0]
    assert [a[2] for a in west_then_south] == [270.0, 180.0]
    assert arrows([[114.3, 30.5], [114.3, 30.5]]) == []  # a stop: no arrow


def test_animation_carries_every_route_with_clock_seconds(plan_dir):
    routes = _commander(build_map(plan_dir)).data["routes"]
    assert {p for p, tracks in routes.items() if tracks} == {"morning", "afternoon"}
    track = next(t for t in routes["morning"] if t["car"] == "P01-1")
    # packed: the first vertex and clock absolute, then differences (10⁻⁵ degrees, seconds)
    assert track["t"][0] == 6 * 3600 + 50 * 60 and 2 * len(track["t"]) == len(track["line"])
    assert all(step >= 0 for step in track["t"][1:])
    assert track["line"][:2] == [round(30.5 * 1e5), round(114.3 * 1e5)]  # leaves 城关派出所 (114.300, 30.500)


def test_routes_with_times_going_backwards_are_refused(tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    path = plan / "routes.geojson"
    routes = json.loads(path.read_text(encoding="utf-8"))
    first = routes["features"][0]["properties"]
    assert (first["vehicle_id"], first["period"], first["times"][0]) == ("P01-1", "morning", "06:50:00")
    first["times"][0] = "23:50:00"
    path.write_text(json.dumps(routes, ensure_ascii=False), encoding="utf-8")
    with pytest.raises(InputError, match=r"routes.geojson, field 'times': vertex times of P01-1 \(morning\) go backwards"):
        build_map(plan)


def test_failed_render_leaves_no_file_and_keeps_the_old_map(tmp_path, monkeypatch):
    plan = write_plan_fixture(tmp_path / "plan")
    # a map element needing a library that has no offline copy: the render must fail, write nothing
    monkeypatch.setattr(maps, "JQUERY_JS", "https://cdn.jsdelivr.net/npm/bootstrap@5.2.2/dist/js/bootstrap.bundle.min.js")
    with pytest.raises(OfflineError, match="bootstrap.bundle.min.js has no local copy"):
        render_map(plan)
    assert sorted(p.name for p in plan.iterdir() if "map" in p.name) == []
    monkeypatch.undo()

    (plan / "map.html").write_text("old map", encoding="utf-8")

    def broken_replace(src, dst):
        raise OSError("disk full")

    monkeypatch.setattr("geo_patrol.io.atomic.os.replace", broken_replace)
    with pytest.raises(OSError, match="disk full"):
        render_map(plan)
    assert (plan / "map.html").read_text(encoding="utf-8") == "old map"
    assert [p.name for p in plan.iterdir() if p.name.endswith(".tmp")] == []


def test_missing_or_broken_plan_files_name_file_row_and_field(tmp_path):
    with pytest.raises(InputError, match="plan directory not found"):
        render_map(tmp_path / "nowhere")
    plan = write_plan_fixture(tmp_path / "plan")
    schools = plan / "schools.csv"
    good = schools.read_text(encoding="utf-8-sig")
    assert good.count("114.309000,30.512000") == 1  # S2's gate, row 3
    schools.write_text(good.replace("114.309000,30.512000", "east,30.512000"), encoding="utf-8-sig")
    with pytest.raises(InputError, match=r"schools.csv, row 3, field 'lon': 'east' is not a number"):
        render_map(plan)
    schools.write_text(good.replace("enrolment", "pupils"), encoding="utf-8-sig")
    with pytest.raises(InputError, match=r"schools.csv, field 'enrolment': column missing"):
        render_map(plan)
    schools.write_text(good, encoding="utf-8-sig")
    (plan / "plan.json").unlink()
    with pytest.raises(InputError, match=r"plan.json: file missing from the plan directory"):
        render_map(plan)


def _page_data(page: str) -> dict:
    start = page.index("var data = ") + len("var data = ")
    return json.JSONDecoder().raw_decode(page, start)[0]


def test_per_station_maps_hold_only_their_station(tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    paths = render_station_maps(plan)
    assert [p.relative_to(plan).as_posix() for p in paths] == ["maps/P01.html", "maps/P02.html"]
    expected = {"P01": ({"S1", "S2", "S5"}, ["K1"], ["P01-1"]), "P02": ({"S3", "S4"}, ["K2"], ["P02-1"])}
    for path in paths:
        page = path.read_text(encoding="utf-8")
        data = _page_data(page)
        schools, posts, cars = expected[path.stem]
        assert set(data["schools"]["id"]) == schools and data["posts"]["id"] == posts
        assert [s["id"] for s in data["stations"]] == [path.stem]
        assert {r["car"] for routes in data["routes"].values() for r in routes} == set(cars)
        assert external_references(page) == []
        name = {"P01": "城关派出所", "P02": "东湖派出所"}[path.stem]
        assert f"示范镇 (synthetic) · {name} · 派出所简报图</title>" in page
    # the headline counts the station's own windows: P02's afternoon misses 阳光幼儿园 (one of two)
    assert '<td>下午</td><td>50%</td>' in (plan / "maps" / "P02.html").read_text(encoding="utf-8")


def test_map_data_is_packed_once_and_simplified():
    assert pack([[114.3, 30.5], [114.30001, 30.50002], [114.30001, 30.50002]]) == [3050000, 11430000, 2, 1, 0, 0]
    line = np.array([[0.0, 0.0], [1.0, 0.1], [2.0, -0.1], [3.0, 5.0], [4.0, 0.0]])
    assert simplify_indices(line, 0.5).tolist() == [0, 2, 3, 4]
    assert simplify_indices(line, 0).tolist() == [0, 1, 2, 3, 4]
    assert pinyin_initials("第一小学") == "dyxx" and pinyin_initials("S3 实验幼儿园") == "s3syyey"


# --- offline.py ---------------------------------------------------------------------------------


def test_cdn_urls_map_to_installed_files():
    assert local_asset("https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.js").name == "leaflet.js"
    assert local_asset("https://unpkg.com/leaflet@1.9.4/dist/leaflet.css?v=2").name == "leaflet.css"
    assert local_asset("https://code.jquery.com/jquery-3.7.1.min.js").name == "jquery.min.js"
    assert local_asset("https://cdnjs.cloudflare.com/ajax/libs/jquery/3.7.1/jquery.min.js").name == "jquery.min.js"
    assert local_asset("https://cdn.jsdelivr.net/npm/leaflet-textpath@1.2.3/leaflet.textpath.min.js") is None


def test_inline_assets_inlines_and_refuses_what_it_cannot():
    page = ('<html><head><script src="https://code.jquery.com/jquery-3.7.1.min.js"></script>'
            '<link rel="stylesheet" href="https://cdn.jsdelivr.net/npm/leaflet@1.9.3/dist/leaflet.css"/>'
            '</head><body></body></html>')
    out = inline_assets(page)
    tags = _markup(out)
    assert [t for t, _ in tags if t == "link"] == [] and [a for t, a in tags if t == "script" and "src" in a] == []
    assert "jQuery" in out and ".leaflet-container" in out and "url(images/" not in out
    with pytest.raises(OfflineError, match="font-awesome.*has no local copy"):
        inline_assets('<link rel="stylesheet" href="https://cdn.example/font-awesome/all.min.css">')


@pytest.mark.parametrize("snippet, where", [
    ('<img src="http://tiles.example.com/1/2/3.png">', "<img src>"),
    ('<link rel="icon" href="https://example.com/favicon.ico">', "<link href>"),
    ('<div style="background: url(https://example.com/bg.png)"></div>', "style attribute"),
    ('<style>@import "https://fonts.example.com/css?family=Noto";</style>', "<style>"),
    ('<script>div.innerHTML = \'<img src="https://example.com/x.png">\';</script>', "script text"),
    ('<script src="leaflet-plugin.js"></script>', "<script src>"),
])
def test_check_offline_finds_every_kind_of_remote_reference(snippet, where):
    refs = external_references(snippet)
    assert [w for w, _ in refs] == [where]
    with pytest.raises(OfflineError, match="refers to files outside itself"):
        check_offline(snippet)


def test_check_offline_allows_links_data_uris_and_the_given_tiles():
    page = ('<a href="https://example.com/help">help</a><img src="data:image/png;base64,AAAA">'
            f'<img src="{TILES.replace("{z}/{x}/{y}", "3/4/5")}">')
    assert external_references(page, allow=[TILES.split("{")[0]]) == []
    check_offline(page, allow=[TILES.split("{")[0]])


def test_gcj02_tiles_move_every_overlay_where_the_tiles_put_it(plan_dir):
    plain = _commander(build_map(plan_dir, tiles=TILES)).data
    moved = _commander(build_map(plan_dir, tiles=TILES, tiles_datum="gcj02")).data
    plan = read_plan_dir(plan_dir)
    for i, sid in enumerate(plain["schools"]["id"]):
        row = plan.schools.set_index("school_id").loc[sid]
        want = from_wgs84(float(row["lon"]), float(row["lat"]), "gcj02")
        assert moved["schools"]["lon"][i] == pytest.approx(float(want[0]), abs=2e-6)
        assert moved["schools"]["lat"][i] == pytest.approx(float(want[1]), abs=2e-6)
        # inside China GCJ-02 sits hundreds of metres from WGS-84: the test would see a missed shift
        assert abs(moved["schools"]["lon"][i] - plain["schools"]["lon"][i]) > 1e-3
    # routes and roads move by the same offset; the coordinates people read stay the plan's own
    assert moved["routes"] != plain["routes"] and moved["roads"] != plain["roads"]
    assert moved["posts"]["shown"] == plain["posts"]["shown"]
    assert moved["posts"]["lon"] != plain["posts"]["lon"]
    with pytest.raises(InputError, match="unknown coordinate datum"):
        build_map(plan_dir, tiles=TILES, tiles_datum="mercator")


def test_the_demo_map_is_copied_to_the_checkouts_maps_folder_when_there_is_one(tmp_path, monkeypatch):
    checkout = tmp_path / "checkout"
    monkeypatch.setattr(maps, "__file__", str(checkout / "geo_patrol" / "outputs" / "map.py"))
    plan_dir = tmp_path / "plan"
    plan_dir.mkdir()
    (plan_dir / "map.html").write_bytes(b"<html>the demo</html>")
    maps.copy_demo_map(plan_dir)  # an installed package: no maps/ beside it, nothing written
    assert not (checkout / "maps").exists()
    (checkout / "maps").mkdir(parents=True)
    maps.copy_demo_map(plan_dir)
    assert (checkout / "maps" / "demo_map.html").read_bytes() == b"<html>the demo</html>"
