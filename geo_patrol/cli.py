"""The ``geo-patrol`` command line.

Every command takes an optional scenario file and uses the embedded demo county when none is
given. Errors caused by input are printed as one line on stderr with exit code 2.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections import Counter
from pathlib import Path
from typing import Sequence

import numpy as np

from geo_patrol import __version__
from geo_patrol.clock import format_time
from geo_patrol.errors import GeoPatrolError
from geo_patrol.scenario import Scenario

log = logging.getLogger("geo_patrol")


def _load(path: str | None) -> Scenario:
    return Scenario.demo() if path is None else Scenario.from_toml(path)


def _table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table whose columns line up with CJK text (double-width characters)."""

    def width(text: str) -> int:
        return sum(2 if ord(ch) > 0x2E80 else 1 for ch in text)

    cells = [[str(h) for h in headers]] + [[str(c) for c in r] for r in rows]
    widths = [max(width(row[i]) for row in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c + " " * (w - width(c)) for c, w in zip(row, widths)).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def cmd_inspect(args: argparse.Namespace) -> int:
    from geo_patrol.prepare import prepare

    scenario = _load(args.scenario)
    out = [f"Scenario: {scenario.name}  ({scenario.source})", ""]
    kinds = Counter(s.kind for s in scenario.schools)
    rows = []
    for kind, count in sorted(kinds.items(), key=lambda kv: -kv[1]):
        group = [s for s in scenario.schools if s.kind == kind]
        row = [kind, count, sum(s.enrolment for s in group)]
        for period in scenario.periods:
            wins = [s.windows[period] for s in group if period in s.windows]
            row.append(
                f"{format_time(min(w.start_s for w in wins), with_seconds=False)}–"
                f"{format_time(max(w.end_s for w in wins), with_seconds=False)}" if wins else "—"
            )
        rows.append(row)
    out.append(f"Schools: {len(scenario.schools)}")
    out.append(_table(["kind", "schools", "enrolment", *[f"{p} windows" for p in scenario.periods]], rows))
    out.append("")
    st_rows = [[s.id, s.name, s.police, s.auxiliary, s.cars] for s in scenario.stations]
    st_rows.append(["total", "", sum(s.police for s in scenario.stations),
                    sum(s.auxiliary for s in scenario.stations), sum(s.cars for s in scenario.stations)])
    out.append(f"Stations: {len(scenario.stations)}")
    out.append(_table(["id", "name", "police", "auxiliary", "cars"], st_rows))
    if scenario.sites:
        existing = sum(1 for s in scenario.sites if s.existing)
        out.append(f"\nCandidate post sites: {len(scenario.sites)} ({existing} existing)")
    print("\n".join(out), flush=True)

    prepared = prepare(scenario, cache_dir=args.cache_dir)
    net = prepared.network
    snap_m = np.array([g.snap_m for g in prepared.gates])
    out = [
        "",
        f"Road network: {net.source}",
        f"  drive network (largest strongly connected component): {net.n_nodes:,} nodes, "
        f"{net.n_edges:,} edges, {net.length_km:,.1f} km",
        f"  gates snapped: {len(snap_m)}; snap distance mean {snap_m.mean():.0f} m, "
        f"95th percentile {np.percentile(snap_m, 95):.0f} m, max {snap_m.max():.0f} m "
        f"(limit {scenario.parameters.max_snap_m:.0f} m)",
        f"  stations snapped: max {max(prepared.station_snap_m.values()):.0f} m",
    ]
    for period in scenario.periods:
        nearest = np.array(list(prepared.nearest_station_s(period).values()))
        out.append(
            f"  {period}: drive time from the nearest station to a school median "
            f"{np.median(nearest) / 60:.1f} min, max {nearest.max() / 60:.1f} min "
            f"(congestion factor {scenario.parameters.congestion_for(period)})"
        )
    out.append(f"Schools unreachable from every station: none "
               f"(every school within {scenario.parameters.reach_limit_s // 60} min)")
    print("\n".join(out))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="geo-patrol",
        description="Plan duty posts and patrol cars around schools during the school run (三见).",
    )
    parser.add_argument("--version", action="version", version=f"geo_patrol {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="log progress details")
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("inspect", help="check a scenario and summarise its inputs and road network")
    p.add_argument("scenario", nargs="?", help="scenario TOML file (default: the embedded demo county)")
    p.add_argument("--cache-dir", default=None, help="folder for cached travel-time matrices")
    p.set_defaults(func=cmd_inspect)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(levelname)s %(name)s: %(message)s",
    )
    try:
        return int(args.func(args) or 0)
    except GeoPatrolError as exc:
        print(f"geo-patrol: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("geo-patrol: interrupted; nothing was written", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
