"""The fixture plan's map in headless Chromium with the network cut: it draws, and fetches nothing.

Chromium runs with its DNS mapped to nowhere and writes a net log; every URL request the page
itself starts (its network isolation key is the file:// page) is a failure. Chromium's own
background requests (component updates, time sync, accounts; initiator "not an origin") are
not the page's and are only counted.
The screenshot must show the basemap roads (drawn on a canvas), the school status colours and the
patrol routes; the rendered DOM gives exact counts of what Leaflet drew as SVG and HTML.
"""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
from plan_fixture import write_plan_fixture

from geo_patrol.outputs.map import BACKGROUND, ROAD_STYLES, STATUS_COLOURS, VEHICLE_COLOURS, render_map

WIDTH, HEIGHT = 1200, 900


def _chromium() -> str:
    if Path("/usr/bin/chromium").is_file():
        return "/usr/bin/chromium"
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    pytest.skip("Chromium not found at /usr/bin/chromium nor on PATH (apt-get install -y chromium)")


def _run(page: Path, work: Path, *extra: str) -> subprocess.CompletedProcess:
    work.mkdir(parents=True, exist_ok=True)
    command = [
        _chromium(), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--disable-default-apps", "--disable-extensions", "--hide-scrollbars",
        f"--user-data-dir={work / 'profile'}", "--host-resolver-rules=MAP * ~NOTFOUND",
        f"--window-size={WIDTH},{HEIGHT}", "--virtual-time-budget=5000", *extra, page.resolve().as_uri(),
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=90, check=False)


def _requests(net_log: Path) -> tuple[list[str], list[str]]:
    """URLs of (page requests, browser background requests) that left the file, from a net log."""
    log = json.loads(_complete_json(net_log.read_text(encoding="utf-8", errors="replace")))
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    page, browser = [], []
    for event in log["events"]:
        params = event.get("params") or {}
        if event["type"] != start_job or "url" not in params:
            continue
        url = params["url"]
        if url.startswith(("file:", "data:", "blob:", "about:", "chrome:")):
            continue
        from_page = "file://" in str(params.get("network_isolation_key", "")) or params.get("initiator") == "null"
        (page if from_page else browser).append(url)
    return page, browser


def _complete_json(text: str) -> str:
    """Chromium may leave the net log's closing brackets off when it exits fast; add them."""
    text = text.rstrip()
    if text.endswith("]}") or text.endswith("}"):
        try:
            json.loads(text)
            return text
        except json.JSONDecodeError:
            pass
    return text.rstrip(",") + "]}"


def _rgb(hex_colour: str) -> np.ndarray:
    return np.array([int(hex_colour[i:i + 2], 16) for i in (1, 3, 5)], dtype=float)


def _count(pixels: np.ndarray, hex_colour: str, *, opacity: float = 1.0, tol: float = 28.0) -> int:
    """Pixels within ``tol`` (RGB distance) of ``hex_colour`` drawn at ``opacity`` over the background."""
    target = opacity * _rgb(hex_colour) + (1 - opacity) * _rgb(BACKGROUND)
    return int((np.linalg.norm(pixels - target, axis=2) <= tol).sum())


@pytest.fixture(scope="module")
def browser_run(tmp_path_factory):
    _chromium()
    work = tmp_path_factory.mktemp("browser")
    plan = write_plan_fixture(work / "plan")
    page = render_map(plan, period="afternoon")
    shot, net_log = work / "map.png", work / "net.json"
    run = _run(page, work / "shot", f"--screenshot={shot}", f"--log-net-log={net_log}")
    assert shot.is_file(), run.stderr[-2000:]
    dom = _run(page, work / "dom", "--dump-dom").stdout
    return {"page": page, "shot": shot, "net_log": net_log, "dom": dom}


def test_page_makes_no_request_outside_the_file(browser_run):
    page_requests, browser_requests = _requests(browser_run["net_log"])
    assert page_requests == []
    # whatever Chromium itself tried (update checks...) is not the page's and not a CDN
    assert not [u for u in browser_requests if re.search(r"jsdelivr|cdnjs|jquery|unpkg|bootstrapcdn|leaflet", u)]


def test_screenshot_shows_roads_schools_and_routes(browser_run):
    from PIL import Image

    image = Image.open(browser_run["shot"]).convert("RGB")
    assert image.size == (WIDTH, HEIGHT)
    pixels = np.asarray(image, dtype=float)
    background = _count(pixels, BACKGROUND, tol=4)
    assert background > 0.4 * WIDTH * HEIGHT  # the map canvas, not a blank or error page
    minor = _count(pixels, ROAD_STYLES["residential"][1], opacity=0.95, tol=10)
    major = _count(pixels, ROAD_STYLES["primary"][1], opacity=0.95, tol=10)
    assert minor > 1_000 and major > 2_000  # the basemap roads (1612 and 3778 pixels when written)
    # status colours; the legend holds one ~100-pixel sample of each
    met = _count(pixels, STATUS_COLOURS["met"], opacity=0.95)
    partly = _count(pixels, STATUS_COLOURS["partly"], opacity=0.95)
    missed = _count(pixels, STATUS_COLOURS["missed"], opacity=0.95)
    assert met > 500  # afternoon: four schools met (927 pixels when written)
    assert missed > 250  # one school missed, with its red ring (428)
    assert partly < 200  # only the legend sample: noon's orange school is not the period shown (96)
    car1 = _count(pixels, VEHICLE_COLOURS[0], opacity=0.9)
    car2 = _count(pixels, VEHICLE_COLOURS[1], opacity=0.9)
    assert car1 > 2_000 and car2 > 1_000  # both cars' afternoon routes (4510 and 2184)


def test_dom_holds_every_drawn_feature(browser_run):
    dom = browser_run["dom"]
    paths = re.findall(r'<path class="leaflet-interactive"[^>]*>', dom)

    def with_attr(name, value):
        return sum(1 for p in paths if f'{name}="{value}"' in p)

    # the streets are drawn on a canvas (their pixels are counted in the screenshot), none as SVG
    assert '<canvas class="leaflet-zoom-animated"' in dom
    assert sum(with_attr("stroke", colour) for colour in {c for _, c in ROAD_STYLES.values()}) == 0
    assert with_attr("fill", STATUS_COLOURS["met"]) == 4 and with_attr("fill", STATUS_COLOURS["missed"]) == 1
    assert with_attr("fill", STATUS_COLOURS["partly"]) == 0  # noon is not the period shown
    assert with_attr("stroke-dasharray", "6 3") == 1  # the red ring round 阳光幼儿园
    assert with_attr("stroke", VEHICLE_COLOURS[0]) >= 1 and with_attr("stroke", VEHICLE_COLOURS[1]) >= 1
    assert dom.count('class="gp-post"') == 2 + 1  # two posts + the legend's sample
    assert dom.count('class="gp-station"') == 2 + 1
    assert dom.count('class="gp-arrow"') >= 8  # thinned to one per 90 screen pixels along each route
    # labels where they fit: the five school names and the two station names
    assert len(re.findall(r'class="gp-label(?: gp-label-missed)?"', dom)) == 5
    assert len(re.findall(r'class="gp-label gp-label-station"', dom)) == 2
    assert "道路数据 © OpenStreetMap 贡献者" in dom
    assert re.search(r'class="gp-clock">15:50:00<', dom)  # the animation waits at the first car's start


def test_animation_plays_offline(browser_run, tmp_path):
    page = browser_run["page"].read_text(encoding="utf-8")
    click = "<script>setTimeout(function () { document.querySelector('.gp-anim button').click(); }, 200);</script>"
    played = tmp_path / "played.html"
    played.write_text(page[:page.rindex("</html>")] + click + "</html>\n", encoding="utf-8")
    dom = _run(played, tmp_path / "run", "--dump-dom").stdout
    clock = re.search(r'class="gp-clock">(\d\d):(\d\d):(\d\d)<', dom)
    assert clock is not None
    seconds = int(clock[1]) * 3600 + int(clock[2]) * 60 + int(clock[3])
    assert 15 * 3600 + 50 * 60 < seconds <= 16 * 3600  # ×60: about 5 virtual seconds → about 5 clock minutes
    assert "❚❚" in dom  # still playing
    pane = dom[dom.index('class="leaflet-pane leaflet-gpCars-pane"'):]
    assert re.search(r'<path class="leaflet-interactive"[^>]*fill="#1f5fbf"', pane[:3000])  # car P01-1 on the map
