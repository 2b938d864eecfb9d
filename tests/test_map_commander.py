"""The commander's map in a real browser: find a school, filter a station, the timeline, the missed
list, the print layout, clusters and labels — with no console error and no request leaving the file.

Driven with Selenium through Debian's ``chromium`` and ``chromium-driver`` (``/usr/bin/chromium``,
``/usr/bin/chromedriver``; no browser is downloaded). Skipped, with the reason, when Selenium,
Chromium or its driver is missing. Chromium runs headless with DNS mapped to nowhere; its
performance log lists every request the page started.
"""

from __future__ import annotations

import base64
import json
import math
import shutil
from pathlib import Path

import pytest
from plan_fixture import write_plan_fixture

from geo_patrol.outputs.map import render_map

webdriver = pytest.importorskip("selenium.webdriver", reason="selenium is not installed (pip install selenium)")
from selenium.common.exceptions import WebDriverException  # noqa: E402
from selenium.webdriver.chrome.service import Service  # noqa: E402
from selenium.webdriver.common.by import By  # noqa: E402
from selenium.webdriver.common.keys import Keys  # noqa: E402
from selenium.webdriver.common.print_page_options import PrintOptions  # noqa: E402
from selenium.webdriver.support.ui import Select, WebDriverWait  # noqa: E402

WIDTH, HEIGHT = 1400, 900
#: the fixture's schools (id → name, lon, lat) and their stations, as tests/plan_fixture.py places them
SCHOOL_S4 = ("S4", "阳光幼儿园")


def _binary(path: str, *names: str) -> str | None:
    if Path(path).is_file():
        return path
    return next((found for found in map(shutil.which, names) if found), None)


@pytest.fixture(scope="module")
def browser():
    chromium = _binary("/usr/bin/chromium", "chromium", "chromium-browser", "google-chrome")
    driver_path = _binary("/usr/bin/chromedriver", "chromedriver")
    if chromium is None:
        pytest.skip("Chromium not found at /usr/bin/chromium nor on PATH (apt-get install -y chromium)")
    if driver_path is None:
        pytest.skip("chromedriver not found at /usr/bin/chromedriver nor on PATH (apt-get install -y chromium-driver)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                "--disable-background-networking", "--disable-component-update", "--disable-sync",
                "--disable-extensions", "--hide-scrollbars", "--host-resolver-rules=MAP * ~NOTFOUND",
                f"--window-size={WIDTH},{HEIGHT}"):
        options.add_argument(arg)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL", "performance": "ALL"})
    try:
        driver = webdriver.Chrome(options=options, service=Service(driver_path))
    except WebDriverException as exc:  # a driver that does not match the browser, a broken install
        pytest.skip(f"Chromium could not be driven: {str(exc).splitlines()[0]}")
    driver.set_page_load_timeout(120)
    driver.set_script_timeout(60)
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def plan_dir(tmp_path_factory) -> Path:
    return write_plan_fixture(tmp_path_factory.mktemp("commander") / "plan")


@pytest.fixture(scope="module")
def page(plan_dir) -> Path:
    return render_map(plan_dir)


def _open(driver, path: Path) -> None:
    driver.get_log("browser")  # drop what an earlier page logged
    driver.get_log("performance")
    driver.get(path.resolve().as_uri())
    WebDriverWait(driver, 30).until(
        lambda d: d.execute_script("return document.documentElement.getAttribute('data-gp-ready')") == "1")


def _requests(driver) -> list[str]:
    """URLs the page asked for (from the performance log) other than the file itself and data: URIs."""
    urls = []
    for entry in driver.get_log("performance"):
        message = json.loads(entry["message"])["message"]
        if message.get("method") == "Network.requestWillBeSent":
            url = message["params"]["request"]["url"]
            if not url.startswith(("file:", "data:", "blob:", "about:", "chrome")):
                urls.append(url)
    return urls


def _errors(driver) -> list[str]:
    return [e["message"] for e in driver.get_log("browser") if e["level"] in ("SEVERE", "ERROR")]


def _centre_px(driver, lat: float, lon: float) -> float:
    """Distance in screen pixels between the map's centre and a point."""
    return driver.execute_script("""
        var m = window.gpMap.map, c = m.latLngToContainerPoint(m.getCenter()),
            p = m.latLngToContainerPoint([arguments[0], arguments[1]]);
        return Math.hypot(c.x - p.x, c.y - p.y);""", lat, lon)


def _school(driver, school_id: str) -> tuple[float, float]:
    return tuple(driver.execute_script("""
        var s = window.gpMap.data.schools, i = s.id.indexOf(arguments[0]); return [s.lat[i], s.lon[i]];""", school_id))


def _visible(driver, selector: str) -> list:
    return [e for e in driver.find_elements(By.CSS_SELECTOR, selector) if e.is_displayed()]


def test_search_by_name_pinyin_or_id_centres_the_map_and_opens_the_school(browser, page):
    _open(browser, page)
    box = browser.find_element(By.CSS_SELECTOR, ".gp-toolbar input[type=search]")
    assert box.get_attribute("placeholder") == "搜索学校：名称、编号或拼音首字母"
    box.send_keys("阳光")
    hits = _visible(browser, ".gp-results li")
    assert [h.find_element(By.CSS_SELECTOR, ".gp-hit-name").text for h in hits] == ["阳光幼儿园"]
    assert hits[0].find_element(By.TAG_NAME, "small").text == "S4 · 东湖派出所"
    box.send_keys(Keys.ENTER)
    lat, lon = _school(browser, SCHOOL_S4[0])
    assert _centre_px(browser, lat, lon) < HEIGHT / 4  # centred (the popup may pan it a little)
    assert browser.execute_script("return window.gpMap.focused") == "S4"
    assert browser.execute_script("return window.gpMap.map.getZoom()") >= 16
    popup = _visible(browser, ".leaflet-popup-content")
    assert popup and "阳光幼儿园 (S4)" in popup[0].text
    # pinyin initials and ids find schools too
    assert browser.execute_script("return window.gpMap.find('ygyey')")[0] == "S4"
    assert browser.execute_script("return window.gpMap.find('dyxx')")[0] == "S1"  # 第一小学
    box.clear()
    box.send_keys("S3", Keys.ENTER)
    assert browser.execute_script("return window.gpMap.focused") == "S3"
    lat, lon = _school(browser, "S3")
    assert _centre_px(browser, lat, lon) < HEIGHT / 4
    assert _errors(browser) == [] and _requests(browser) == []


def test_station_filter_shows_only_that_station(browser, page):
    _open(browser, page)
    counts = browser.execute_script("""
        var d = window.gpMap.data, out = {};
        d.stations.forEach(function (s, k) { out[s.id] = d.schools.station.filter(function (x) { return x === k; }).length; });
        return out;""")
    assert counts == {"P01": 3, "P02": 2}
    select = Select(browser.find_element(By.CSS_SELECTOR, ".gp-station-filter"))
    assert [o.text for o in select.options] == ["全部派出所", "城关派出所 (P01)", "东湖派出所 (P02)"]

    def drawn():
        return browser.execute_script("""
            var m = window.gpMap.map, n = {schools: 0, stations: 0, posts: 0};
            m.eachLayer(function (l) {
                if (l instanceof L.CircleMarker && l.options.pane === 'gpSchools' && !l.options.dashArray) { n.schools++; }
            });
            n.stations = document.querySelectorAll('.leaflet-marker-pane .gp-station').length;
            n.posts = document.querySelectorAll('.leaflet-gpLabels-pane .gp-post').length;
            return n;""")

    assert drawn() == {"schools": 5, "stations": 2, "posts": 2}
    select.select_by_visible_text("东湖派出所 (P02)")
    assert drawn() == {"schools": 2, "stations": 1, "posts": 1}
    labels = [e.text for e in _visible(browser, ".gp-label-station")]
    assert labels == ["东湖派出所"]
    assert "东湖派出所" in browser.find_element(By.CSS_SELECTOR, ".gp-print-station").get_attribute("textContent")
    select.select_by_visible_text("全部派出所")
    assert drawn() == {"schools": 5, "stations": 2, "posts": 2}
    assert _errors(browser) == [] and _requests(browser) == []


def test_timeline_lists_each_car_and_a_click_highlights_its_route(browser, page):
    _open(browser, page)
    assert not _visible(browser, ".gp-timeline")
    browser.find_element(By.CSS_SELECTOR, ".gp-timeline-button").click()
    assert _visible(browser, ".gp-timeline")
    rows = _visible(browser, ".gp-tl-row")
    assert [r.get_attribute("data-car") for r in rows] == ["P01-1", "P02-1"]  # the morning's two cars
    assert len(rows[0].find_elements(By.CSS_SELECTOR, ".gp-tl-stop")) == 3  # S3, S1, S5
    assert "第二中学" in rows[0].find_elements(By.CSS_SELECTOR, ".gp-tl-stop")[0].get_attribute("title")
    ticks = [t.text for t in _visible(browser, ".gp-tl-tick")]
    assert ticks[0] == "07:00" and "08:00" in ticks
    rows[1].click()
    assert browser.execute_script("return window.gpMap.highlighted") == "P02-1"
    assert "gp-on" in rows[1].get_attribute("class")
    weights = browser.execute_script("""
        var out = {}; window.gpMap.map.eachLayer(function (l) {
            if (l instanceof L.Polyline && !(l instanceof L.Polygon) && l.options.color !== '#ffffff' && l.getTooltip()) {
                out[l.options.color] = [l.options.weight, l.options.opacity]; } }); return out;""")
    assert weights == {"#1f5fbf": [4, 0.15], "#7b3fa0": [7, 0.95]}
    rows[1].click()  # again: every route as before
    assert browser.execute_script("return window.gpMap.highlighted") is None
    # the animation's clock moves the timeline's cursor
    browser.find_element(By.CSS_SELECTOR, ".gp-anim button").click()
    browser.execute_script("return 0")
    WebDriverWait(browser, 10).until(lambda d: d.find_element(By.CSS_SELECTOR, ".gp-clock").text > "06:51:00")
    assert _visible(browser, ".gp-tl-now")
    assert _errors(browser) == [] and _requests(browser) == []


def test_missed_list_clicks_through_to_the_school_and_its_period(browser, page):
    _open(browser, page)
    button = browser.find_element(By.CSS_SELECTOR, ".gp-missed-button")
    assert button.text == "未达成清单 (2)"
    button.click()
    items = _visible(browser, ".gp-missed-item")
    assert [i.get_attribute("data-school") for i in items] == ["S3", "S4"]  # noon, then afternoon
    assert "中午" in items[0].text and "下午" in items[1].text
    items[1].click()
    assert browser.execute_script("return window.gpMap.state.period") == "afternoon"
    assert Select(browser.find_element(By.CSS_SELECTOR, ".gp-period")).first_selected_option.text == "下午"
    lat, lon = _school(browser, "S4")
    assert _centre_px(browser, lat, lon) < HEIGHT / 4
    popup = _visible(browser, ".leaflet-popup-content")
    assert popup and "阳光幼儿园 (S4)" in popup[0].text and "未达成" in popup[0].text
    assert _errors(browser) == [] and _requests(browser) == []


def test_print_layout_shows_title_legend_metric_scale_north_and_time(browser, page):
    _open(browser, page)
    scale = browser.find_element(By.CSS_SELECTOR, ".leaflet-control-scale").text
    assert scale.endswith(" m") or scale.endswith(" km")
    assert len(browser.find_elements(By.CSS_SELECTOR, ".leaflet-control-scale-line")) == 1  # metric only
    assert not _visible(browser, ".gp-print-head")
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        head = _visible(browser, ".gp-print-head")
        assert head and "护学岗与巡逻覆盖图" in head[0].text and "示范镇" in head[0].text
        assert "时段 上午" in head[0].text and "生成 2025-09-01 08:00" in head[0].text
        for selector in (".gp-legend", ".gp-headline", ".gp-north", ".leaflet-control-scale"):
            assert _visible(browser, selector), selector
        for selector in (".gp-toolbar", ".gp-anim", ".leaflet-control-zoom", ".leaflet-control-layers"):
            assert not _visible(browser, selector), selector
        assert "北" in browser.find_element(By.CSS_SELECTOR, ".gp-north").text
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    # the page sizes: A4 by default, A3 when asked; a printed page is a landscape PDF
    assert "A4 landscape" in browser.find_element(By.ID, "gp-page-size").get_attribute("textContent")
    browser.execute_script("window.print = function () {}; window.gpMap.print('A3');")
    assert "A3 landscape" in browser.find_element(By.ID, "gp-page-size").get_attribute("textContent")
    # printing from the toolbar: the map takes the page's size and keeps everything the screen showed in view
    bounds = browser.execute_script("return window.gpMap.map.getBounds().toBBoxString()")
    browser.execute_script("window.gpMap.preparePrint('A4')")
    try:
        size = browser.execute_script("var s = window.gpMap.map.getSize(); return [s.x, s.y];")
        assert size == [math.floor(281 * 96 / 25.4), math.floor(181 * 96 / 25.4)]
        inside = browser.execute_script(
            "var b = window.gpMap.map.getBounds().pad(0.001), s = arguments[0].split(',').map(Number);"
            "return b.contains([[s[1], s[0]], [s[3], s[2]]]);", bounds)
        assert inside
        options = PrintOptions()
        options.orientation = "landscape"
        options.page_width, options.page_height = 29.7, 21.0
        pdf = base64.b64decode(browser.print_page(options))
        assert pdf[:5] == b"%PDF-" and len(pdf) > 20_000 and pdf.count(b"/Type /Page\n") <= 1
    finally:
        browser.execute_script("window.gpMap.endPrint()")
    assert browser.execute_script("return window.gpMap.map.getBounds().toBBoxString()") == bounds
    assert _errors(browser) == [] and _requests(browser) == []


def test_labels_never_overlap_and_the_page_carries_its_chinese_font(browser, page):
    _open(browser, page)
    boxes = browser.execute_script("""
        return Array.prototype.map.call(document.querySelectorAll('.gp-label'), function (e) {
            var r = e.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom, e.textContent]; });""")
    assert {b[4] for b in boxes} >= {"第一小学", "城关派出所", "东湖派出所"}
    for i, a in enumerate(boxes):
        for b in boxes[i + 1:]:
            assert a[2] <= b[0] or b[2] <= a[0] or a[3] <= b[1] or b[3] <= a[1], (a, b)
    loaded = browser.execute_async_script("""
        var done = arguments[0];
        document.fonts.ready.then(function () {
            var faces = []; document.fonts.forEach(function (f) { faces.push([f.family, f.status]); });
            done({faces: faces, check: document.fonts.check('12px "GeoPatrol Sans"', '阳光幼儿园')});
        });""")
    assert ['"GeoPatrol Sans"', "loaded"] in loaded["faces"] or ["GeoPatrol Sans", "loaded"] in loaded["faces"]
    assert loaded["check"] is True


def test_a_clustered_map_groups_schools_when_zoomed_out(browser, plan_dir, tmp_path):
    page = render_map(plan_dir, out=tmp_path / "clustered.html", cluster=True)
    text = page.read_text(encoding="utf-8")
    assert "leaflet.markercluster.js (inlined)" in text and "MarkerCluster.css (inlined)" in text
    _open(browser, page)
    browser.execute_script("window.gpMap.map.setView([30.5105, 114.3105], 10, {animate: false});")
    clusters = browser.execute_script("""
        return Array.prototype.map.call(document.querySelectorAll('.gp-cluster'), function (e) {
            return [e.className, e.textContent]; });""")
    school_clusters = [c for c in clusters if "gp-cluster-post" not in c[0] and "gp-cluster-sample" not in c[0]]
    # five morning schools, all met, in one green cluster (no red badge)
    assert school_clusters == [["gp-cluster gp-cluster-0", "5"]]
    assert browser.execute_script("return window.gpMap.labels") == 2  # only the stations are named
    browser.execute_script("window.gpMap.map.setZoom(16, {animate: false});")
    assert not [c for c in browser.execute_script(
        "return Array.prototype.map.call(document.querySelectorAll('.leaflet-marker-pane .gp-cluster'),"
        " function (e) { return e.className; });")]
    assert _errors(browser) == [] and _requests(browser) == []


def test_a_school_found_in_a_clustered_map_opens_from_its_cluster(browser, plan_dir, tmp_path):
    page = render_map(plan_dir, out=tmp_path / "clustered.html", cluster=True, period="afternoon")
    _open(browser, page)
    browser.execute_script("window.gpMap.map.setZoom(11, {animate: false});")
    assert browser.execute_script("return window.gpMap.focusSchool('S4')") is True
    WebDriverWait(browser, 10).until(lambda d: _visible(d, ".leaflet-popup-content"))
    lat, lon = _school(browser, "S4")
    assert _centre_px(browser, lat, lon) < HEIGHT / 4
    assert not math.isnan(browser.execute_script("return window.gpMap.map.getZoom()"))
    assert _errors(browser) == [] and _requests(browser) == []
