"""Hostile names in a plan: the map, the duty sheets and the workbook show them as text, run nothing.

The fixture plan is written and then edited the way a careless or hostile input would: markup in
a school, station, road and scenario name, in a post and a car id, in the sources and the reason
of coverage rows; quotes, backslashes, backticks, ``${...}``, jinja2 delimiters and the line
separators U+2028/U+2029 that end or break a JavaScript string; spreadsheet formulas as names.
"""

from __future__ import annotations

import csv
import json
import re
import shutil
import subprocess
import zipfile
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook
from plan_fixture import write_plan_fixture

from geo_patrol.outputs.duty_sheets import write_duty_sheets
from geo_patrol.outputs.map import STATUS_COLOURS, TEXT, render_map
from geo_patrol.outputs.workbook import write_report

SCRIPT_TAG = "</title><script>alert(1)</script>"
IMG_TAG = "<img src=x onerror=alert(1)>"
#: breaks a JS string or template literal, a JSON string, a jinja2 template, an HTML comment
BREAKERS = "\\u0041\\x4\\ \" ' ` ${alert(2)} {{ 7*7 }} {% if %} {# c #} \u2028\u2029 </script><!--"

SCENARIO = "示范镇" + SCRIPT_TAG + BREAKERS
SCHOOL = "第一小学" + IMG_TAG + BREAKERS
STATION = "城关派出所" + IMG_TAG + BREAKERS
ROAD = "学府路" + IMG_TAG + BREAKERS
POST = "K1" + IMG_TAG + BREAKERS
CAR = "P01-1" + IMG_TAG + BREAKERS
SOURCE = "note " + IMG_TAG + BREAKERS
REASON = "reason " + IMG_TAG + BREAKERS
RAW = [SCRIPT_TAG, IMG_TAG, "${alert(2)}", "{{ 7*7 }}", "\u2028"]


def _edit_csv(path: Path, edit) -> None:
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.reader(f))
    header, body = rows[0], rows[1:]
    body = [edit(dict(zip(header, row))) for row in body]
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f, lineterminator="\n")
        writer.writerow(header)
        writer.writerows([[row[h] for h in header] for row in body])


def _swap(text: str) -> str:
    return text.replace("K1", POST).replace("P01-1", CAR)


def write_hostile_plan(folder: Path) -> Path:
    """The fixture plan with hostile text in every field a person typed or OSM named."""
    plan = write_plan_fixture(folder)

    def school(row):
        if row["school_id"] == "S1":
            row["name"] = SCHOOL
        return row

    def station(row):
        if row["station_id"] == "P01":
            row["name"] = STATION
        return row

    def ids(row):
        for key in ("post_id", "vehicle_id"):
            if key in row:
                row[key] = _swap(row[key])
        return row

    def coverage(row):
        row["sources"] = _swap(row["sources"]) + "; " + SOURCE
        if row["reason"]:  # the machine words and the words people read (reason_text), both typed over
            row["reason"] = row["reason"] + " " + REASON
            row["reason_text"] = row.get("reason_text", "") + " " + REASON
        return row

    _edit_csv(plan / "schools.csv", school)
    _edit_csv(plan / "stations.csv", station)
    for name in ("posts.csv", "rosters.csv", "visits.csv"):
        _edit_csv(plan / name, ids)
    _edit_csv(plan / "coverage.csv", coverage)
    for name in ("posts.geojson", "routes.geojson"):
        data = json.loads((plan / name).read_text(encoding="utf-8"))
        for feature in data["features"]:
            for key in ("post_id", "vehicle_id"):
                if key in feature["properties"]:
                    feature["properties"][key] = _swap(feature["properties"][key])
        (plan / name).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    roads = json.loads((plan / "roads.geojson").read_text(encoding="utf-8"))
    for feature in roads["features"]:
        if feature["properties"].get("name") == "学府路":
            feature["properties"]["name"] = ROAD
    (plan / "roads.geojson").write_text(json.dumps(roads, ensure_ascii=False), encoding="utf-8")
    meta = json.loads((plan / "plan.json").read_text(encoding="utf-8"))
    meta["scenario"]["name"] = SCENARIO
    for u in meta["summary"].get("uncovered", []):
        u["reason"] = str(u.get("reason") or "") + " " + REASON
    (plan / "plan.json").write_text(json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8")
    return plan


class _Page(HTMLParser):
    """Tags, the title, the text outside scripts and styles, and every script's text."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.title = ""
        self.text: list[str] = []
        self.scripts: list[str] = []
        self._inside: str | None = None

    def handle_starttag(self, tag, attrs):
        self.tags.append(tag)
        if tag in ("title", "script", "style"):
            self._inside = tag
            if tag == "script":
                self.scripts.append("")

    def handle_endtag(self, tag):
        if tag == self._inside:
            self._inside = None

    def handle_data(self, data):
        if self._inside == "title":
            self.title += data
        elif self._inside == "script":
            self.scripts[-1] += data
        elif self._inside is None:
            self.text.append(data)


def _parse(page: str) -> _Page:
    parser = _Page()
    parser.feed(page)
    parser.close()
    return parser


#: where the map's scripts hand data over as one JSON value
_JSON_AT = re.compile(r"L\.geoJson\(|\.setContent\(|\.bindTooltip\(|var data = |var text = |L\.popup\(")


def _json_values(script: str) -> list:
    """Every JSON value the map's own elements put into a script (see _JSON_AT)."""
    decoder, values = json.JSONDecoder(), []
    for match in _JSON_AT.finditer(script):
        start = match.end()
        if script[start] not in '"[{':
            continue  # a function or a variable, not data
        value, end = decoder.raw_decode(script, start)
        values.append(value)
        if match.group(0) == ".bindTooltip(":  # the options follow the content
            value, _ = decoder.raw_decode(script, end + 2)
            values.append(value)
    return values


def _strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


@pytest.fixture(scope="module")
def hostile_plan(tmp_path_factory) -> Path:
    return write_hostile_plan(tmp_path_factory.mktemp("hostile") / "plan")


@pytest.fixture(scope="module")
def hostile_map(hostile_plan) -> str:
    return render_map(hostile_plan).read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def plain_map(tmp_path_factory) -> str:
    return render_map(write_plan_fixture(tmp_path_factory.mktemp("plain") / "plan")).read_text(encoding="utf-8")


def test_map_markup_is_the_same_whatever_the_names(hostile_map, plain_map):
    hostile, plain = _parse(hostile_map), _parse(plain_map)
    # the scenario name is the title's text: it closes no tag and opens no script
    assert hostile.title == f"{TEXT['zh']['title']} — {SCENARIO}"
    assert hostile.tags == plain.tags  # no element came from the data: no img, no extra script
    assert "img" not in hostile.tags
    for raw in [SCRIPT_TAG, IMG_TAG]:
        assert raw not in hostile_map
    # the headline panel shows the scenario name as text
    assert any(SCENARIO in text for text in hostile.text)


def test_map_scripts_carry_names_as_json_and_render_no_template(hostile_map, plain_map):
    scripts = _parse(hostile_map).scripts
    values = [v for script in scripts for v in _json_values(script)]
    plain_values = [v for script in _parse(plain_map).scripts for v in _json_values(script)]
    # the map hands its data over once (map_data: schools, windows, posts, routes, roads...) and its text once
    assert len(values) == len(plain_values) >= 2
    texts = _strings(values)
    # names arrive whole: as text in data (roads, cars) and HTML-escaped inside popup/tooltip markup
    assert ROAD in texts and CAR in texts
    escaped = [s.replace("&#34;", '"').replace("&#39;", "'").replace("&lt;", "<").replace("&gt;", ">")
               .replace("&amp;", "&") for s in texts]
    for name in (SCHOOL, STATION, POST, SOURCE, REASON):
        assert any(name in s for s in escaped), name
    # no data string is markup: names stay text (IMG_TAG included) and the page shows them with textContent
    assert not [s for s in texts if s.startswith("<div")]
    # jinja2 never saw the data as a template: the delimiters stay as written
    carrying = [s for s in texts if "${alert(2)}" in s]
    assert len(carrying) > 10 and all("{{ 7*7 }} {% if %} {# c #}" in s for s in carrying)
    # no raw U+2028/2029 or </script in any script
    for script in scripts:
        assert "\u2028" not in script and "\u2029" not in script and "</script" not in script.lower()


def test_duty_sheets_show_hostile_names_as_text(hostile_plan):
    page = write_duty_sheets(hostile_plan).read_text(encoding="utf-8")
    parsed = _parse(page)
    assert set(parsed.tags) == {"html", "head", "meta", "title", "style", "body", "section", "h1", "div", "h2",
                                "table", "tr", "th", "td", "figure", "figcaption", "svg", "rect", "polyline",
                                "text", "circle", "path", "line"}
    assert parsed.title == f"护学岗勤务表 — {SCENARIO}"
    text = "".join(parsed.text)
    for name in (SCHOOL + " (S1)", STATION + " (P01)", POST, ROAD + " (0 米)", "{{ 7*7 }}"):
        assert name in text, name
    for raw in [SCRIPT_TAG, IMG_TAG, "<script"]:
        assert raw not in page


def test_workbook_keeps_formulas_as_text(tmp_path):
    plan = write_plan_fixture(tmp_path / "plan")
    school, station, scenario = '=HYPERLINK("http://x","y")', "=cmd|' /C calc'!A0", "=1+1 示范镇"

    def schools(row):
        if row["school_id"] == "S2":
            row["name"] = school
        return row

    def stations(row):
        if row["station_id"] == "P02":
            row["name"] = station
        return row

    _edit_csv(plan / "schools.csv", schools)
    _edit_csv(plan / "stations.csv", stations)
    meta = json.loads((plan / "plan.json").read_text(encoding="utf-8"))
    meta["scenario"]["name"] = scenario
    (plan / "plan.json").write_text(json.dumps(meta, ensure_ascii=False), encoding="utf-8")
    path = write_report(plan)
    book = load_workbook(path)
    cells = [c for sheet in book.worksheets for row in sheet.iter_rows() for c in row if c.value is not None]
    assert [c.coordinate for c in cells if c.data_type == "f"] == []
    texts = [c for c in cells if isinstance(c.value, str)]
    assert all(c.data_type == "s" for c in texts)
    values = {c.value for c in texts}
    assert {school, scenario, f"P02 {station}"} <= values
    assert any(f"{school} (S2)" in v for v in values)  # in the posts' list of schools
    summary = {r[0]: r[1] for r in book["概况 (Summary)"].iter_rows(values_only=True) if r and r[0]}
    assert summary["方案 (scenario)"] == scenario
    coverage = list(book["三见覆盖 (Coverage)"].iter_rows(values_only=True))
    assert {r[1] for r in coverage if r[0] == "S2"} == {school}
    with zipfile.ZipFile(path) as archive:
        sheets = [archive.read(n).decode("utf-8") for n in archive.namelist() if n.startswith("xl/worksheets/")]
    assert sheets and not any("<f>" in xml or "<f " in xml for xml in sheets)


# --- in the browser -------------------------------------------------------------------------------

#: first in <head>: records alert/confirm/prompt calls and script errors
_RECORDER = """<script>
window.__gp = {alerts: [], errors: []};
window.alert = window.confirm = window.prompt = function (m) { window.__gp.alerts.push(String(m)); };
window.onerror = function (message) { window.__gp.errors.push(String(message)); };
</script>"""

#: last in <body>: opens every popup and every tooltip (each road of a GeoJSON layer too), as a
#: hover or click would, then writes what happened into the body's attributes
_PROBE = """<script>
setTimeout(function () {
    var opened = {popups: 0, tooltips: 0, shown: []};
    function shown(overlay) { var el = overlay.getElement(); if (el) { opened.shown.push(el.innerHTML); } }
    Object.keys(window).forEach(function (key) {
        var map = window[key];
        if (!(key.indexOf('map_') === 0 && map instanceof L.Map)) { return; }
        map.eachLayer(function (layer) {
            try {
                var tip = layer.getTooltip && layer.getTooltip();
                if (tip && layer instanceof L.FeatureGroup) {
                    layer.eachLayer(function (child) {
                        tip._source = child; layer.openTooltip(); opened.tooltips++; shown(tip);
                    });
                } else if (tip) { layer.openTooltip(); opened.tooltips++; shown(tip); }
                if (layer.getPopup && layer.getPopup()) { layer.openPopup(); opened.popups++; shown(layer.getPopup()); }
            } catch (e) { window.__gp.errors.push('probe: ' + e); }
        });
    });
    setTimeout(function () {
        document.body.setAttribute('data-gp', JSON.stringify({alerts: window.__gp.alerts,
            errors: window.__gp.errors, opened: opened}));
    }, 1000);
}, 500);
</script>"""


def _chromium() -> str:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        if shutil.which(name):
            return shutil.which(name)
    pytest.skip("Chromium not found at /usr/bin/chromium nor on PATH (apt-get install -y chromium)")


def _dump_dom(page: Path, work: Path) -> str:
    command = [_chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
               "--disable-background-networking", "--disable-component-update", "--disable-extensions",
               f"--user-data-dir={work / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
               "--window-size=1200,900", "--virtual-time-budget=8000", "--dump-dom", page.resolve().as_uri()]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False).stdout


def _probed(page_text: str) -> str:
    page_text = page_text.replace("<head>", "<head>\n" + _RECORDER, 1)
    return page_text[:page_text.rindex("</html>")] + _PROBE + "</html>\n"


def test_hostile_map_runs_nothing_and_draws_every_school(hostile_plan, tmp_path):
    # the afternoon: 阳光幼儿园 is missed there, so its popup and its red ring carry the reason
    hostile_map = render_map(hostile_plan, out=tmp_path / "map.html", period="afternoon").read_text(encoding="utf-8")
    page = tmp_path / "probed.html"
    page.write_text(_probed(hostile_map), encoding="utf-8")
    dom = _dump_dom(page, tmp_path)
    found = re.search(r'data-gp="([^"]*)"', dom)
    assert found is not None, dom[-2000:]
    report = json.loads(found[1].replace("&quot;", '"').replace("&amp;", "&"))
    assert report["errors"] == [] and report["alerts"] == []
    assert report["opened"]["popups"] >= 5 + 2 + 2 and report["opened"]["tooltips"] >= 16 + 5
    # all five schools of the afternoon are drawn, four met and one missed; the panels are there
    fills = re.findall(r'<path class="leaflet-interactive"[^>]*fill="(#[0-9a-f]{6})"', dom)
    assert fills.count(STATUS_COLOURS["met"]) == 4 and fills.count(STATUS_COLOURS["missed"]) == 1
    assert 'class="gp-clock"' in dom and "gp-headline" in dom
    # what the probe opened shows the names as text
    shown = report["opened"]["shown"]
    for name in ("学府路", "第一小学", "城关派出所", "K1", "note ", "reason "):
        assert any(f"{name}&lt;img src=x onerror=alert(1)&gt;" in html for html in shown), name
    assert not [html for html in shown if re.search(r"<img|<script", html)]
    assert not re.search(r"<img[^>]*onerror", dom)


def test_the_probe_catches_a_page_that_runs_injected_code(tmp_path):
    bad = tmp_path / "bad.html"
    bad.write_text(_probed(
        '<!DOCTYPE html><html><head><title>x</title></head><body><div id="t"></div><script>'
        f'document.getElementById("t").innerHTML = {json.dumps(IMG_TAG)};</script><script>var s = "\\x4";</script>'
        '<script>var L = {Map: function () {}};</script></body></html>'), encoding="utf-8")
    dom = _dump_dom(bad, tmp_path)
    report = json.loads(re.search(r'data-gp="([^"]*)"', dom)[1].replace("&quot;", '"').replace("&amp;", "&"))
    assert report["alerts"] == ["1"]
    assert len(report["errors"]) == 1 and "SyntaxError" in report["errors"][0]
