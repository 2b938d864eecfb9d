"""Map scale benchmark: file size and time to first draw of ``map.html`` for the demo county and a
generated 3,000-school city, in headless Chromium.

    python benchmarks/map_scale.py [--city-cache DIR] [--demo-cache DIR] [--schools 3000] [--grid 320]
                                   [--stations 40] [--time-limit 5] [--workers 2] [--runs 2] [--skip-city]

The plans. The demo is ``Scenario.demo()`` planned with the defaults. The city is
``benchmarks/plan_scale.py``'s generator (a jittered 320 × 320 street grid, 3,000 schools, 40
stations of 6 cars) planned end to end with the routing time limit cut to ``--time-limit`` seconds
per period (5 s: the map needs a plausible plan, not a good one) — about 8 minutes on the 2-core
machine. Only the plan's files are written (``geo_patrol.io.plandir.write_files``, no map); with
``--city-cache DIR`` / ``--demo-cache DIR`` a plan written before is reused.

What is measured, per plan and rendering:

- ``size``: bytes of the self-contained page;
- ``render``: seconds of ``render_map`` (Python: data, font subset, inlining);
- ``first draw``: ``performance.now()`` in Chromium (1400 × 900, headless, network mapped to nowhere)
  at the second animation frame after the load event and after the page's script said it is
  ready (``data-gp-ready``): every script has run and the first frame with the layers is painted.
  The best of ``--runs`` loads in one browser;
- ``interaction``: mean seconds from a view change to the second frame after it, over six changes
  (zoom in twice, pan east and north, zoom out twice, without animation): how fluid the map stays.

Two renderings of the same plan in the same run:

- ``commander``: the map as geo_patrol writes it (clustered beyond 250 schools, simplified to 3 m,
  labels placed where they fit);
- ``flat`` (the in-run baseline): the same page with ``cluster=False, simplify_m=0`` — every school,
  post and vertex drawn at every zoom.

Recorded before this map landed (the map of git HEAD b2147b8, measured in the same session on the
same plans; its rendering path no longer exists in the package): demo 2,969,985 bytes, first draw
1.67–2.61 s; the generated city 33,403,791 bytes, first draw 34.6–35.6 s (the real city of 3,604
schools in the issue: 43.7 MB, 35 s). The benchmark prints its figures as ratios of those too.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

#: figures of the map at git HEAD b2147b8 (bytes, first draw s), measured once, see the docstring
HEAD_FIGURES = {"demo": (2_969_985, 1.67), "city": (33_403_791, 34.6)}


def plan_dir(kind: str, cache: Path | None, args) -> Path:
    """A plan directory for ``kind`` ("demo" or "city"), reused from ``cache`` when it holds one."""
    from geo_patrol.io.plandir import is_plan_dir, write_files
    from geo_patrol.plan import make_plan
    from geo_patrol.scenario import Scenario

    folder = cache or Path(tempfile.mkdtemp(prefix=f"map_scale_{kind}_"))
    if is_plan_dir(folder):
        print(f"{kind}: reusing the plan in {folder}", flush=True)
        return folder
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    if kind == "demo":
        plan = make_plan(Scenario.demo(), seed=1)
    else:
        from plan_scale import write_city

        inputs = Path(tempfile.mkdtemp(prefix="map_scale_inputs_"))
        scenario = Scenario.from_toml(write_city(inputs, grid=args.grid, schools=args.schools,
                                                 stations=args.stations, seed=args.seed))
        plan = make_plan(scenario, seed=args.seed, time_limit_s=args.time_limit, workers=args.workers,
                         progress=lambda m: print(f"  [{time.perf_counter() - started:6.0f} s] {m}", flush=True))
        shutil.rmtree(inputs, ignore_errors=True)
    write_files(plan, folder)
    print(f"{kind}: planned in {time.perf_counter() - started:.0f} s into {folder}", flush=True)
    return folder


def browser(width: int, height: int):
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = shutil.which("chromium") or "/usr/bin/chromium"
    for arg in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--host-resolver-rules=MAP * ~NOTFOUND", f"--window-size={width},{height}"):
        options.add_argument(arg)
    driver = webdriver.Chrome(options=options, service=Service(shutil.which("chromedriver") or "/usr/bin/chromedriver"))
    driver.set_page_load_timeout(600)
    driver.set_script_timeout(600)
    return driver


FIRST_DRAW = """
var done = arguments[0];
function frames() {
    requestAnimationFrame(function () { requestAnimationFrame(function () { done(performance.now()); }); });
}
(function wait() {
    var ready = document.documentElement.getAttribute('data-gp-ready') === '1' || !window.geoPatrolMap;
    if (ready) { frames(); } else { setTimeout(wait, 10); }
})();
"""


def first_draw_s(driver, page: Path, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        driver.get("about:blank")
        driver.get(page.resolve().as_uri())
        best = min(best, driver.execute_async_script(FIRST_DRAW) / 1000.0)
    return best


INTERACTION = """
var done = arguments[0], map = window.gpMap ? window.gpMap.map : null;
if (!map) {
    Object.keys(window).forEach(function (k) {
        if (k.indexOf('map_') === 0 && window[k] instanceof L.Map) { map = window[k]; }
    });
}
var z = map.getZoom(), c = map.getCenter(), size = map.getSize(), steps = [
    function () { map.setZoom(z + 1, {animate: false}); }, function () { map.setZoom(z + 2, {animate: false}); },
    function () { map.panBy([size.x / 3, 0], {animate: false}); },
    function () { map.panBy([0, -size.y / 3], {animate: false}); },
    function () { map.setZoom(z + 1, {animate: false}); }, function () { map.setView(c, z, {animate: false}); }];
var total = 0, i = 0;
(function next() {
    if (i === steps.length) { done(total / steps.length); return; }
    var t0 = performance.now();
    steps[i++]();
    requestAnimationFrame(function () {
        requestAnimationFrame(function () { total += performance.now() - t0; next(); });
    });
})();
"""


def interaction_s(driver) -> float:
    return driver.execute_async_script(INTERACTION) / 1000.0


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--city-cache", type=Path, help="folder holding (or to hold) the city's plan")
    parser.add_argument("--demo-cache", type=Path, help="folder holding (or to hold) the demo's plan")
    parser.add_argument("--schools", type=int, default=3000)
    parser.add_argument("--grid", type=int, default=320)
    parser.add_argument("--stations", type=int, default=40)
    parser.add_argument("--time-limit", type=float, default=5.0, help="routing work per period, seconds")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--runs", type=int, default=2, help="page loads per map; the best counts")
    parser.add_argument("--width", type=int, default=1400)
    parser.add_argument("--height", type=int, default=900)
    parser.add_argument("--skip-city", action="store_true", help="the demo only")
    args = parser.parse_args(argv)

    from geo_patrol.outputs.map import render_map

    kinds = ["demo"] + ([] if args.skip_city else ["city"])
    plans = {kind: plan_dir(kind, args.demo_cache if kind == "demo" else args.city_cache, args) for kind in kinds}
    out = Path(tempfile.mkdtemp(prefix="map_scale_pages_"))
    driver = browser(args.width, args.height)
    rows = []
    try:
        for kind, folder in plans.items():
            for name, options in (("commander", {}), ("flat", {"cluster": False, "simplify_m": 0})):
                started = time.perf_counter()
                page = render_map(folder, out=out / f"{kind}_{name}.html", **options)
                render_s = time.perf_counter() - started
                size = page.stat().st_size
                draw_s = first_draw_s(driver, page, args.runs)
                move_s = interaction_s(driver)
                rows.append((kind, name, size, render_s, draw_s, move_s))
                print(f"{kind:5} {name:10} {size / 1e6:7.2f} MB  render {render_s:5.1f} s  first draw {draw_s:6.2f} s"
                      f"  interaction {move_s:6.3f} s", flush=True)
    finally:
        driver.quit()
    print()
    for kind in plans:
        (_, _, size, _, draw, move), (_, _, flat_size, _, flat_draw, flat_move) = [r for r in rows if r[0] == kind]
        head_size, head_draw = HEAD_FIGURES[kind]
        print(f"{kind}: commander / flat (in-run baseline): size {size / flat_size:.2f}, first draw "
              f"{draw / flat_draw:.2f}, interaction {move / flat_move:.2f}; commander / map at git HEAD "
              f"(recorded): size {size / head_size:.3f}, first draw {draw / head_draw:.3f}")
    shutil.rmtree(out, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
