"""What ``geo-patrol inspect`` shows: a scenario's inputs, then its road network as the planner
will see it (snap distances, schools no car can be seen from, the datum check, drive times)."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import numpy as np

from geo_patrol.clock import format_time
from geo_patrol.outputs.text_table import text_table
from geo_patrol.scenario import Scenario
from geo_patrol.snapping import Prepared, datum_warnings, prepare

__all__ = ["inputs_report", "network_report"]


def inputs_report(scenario: Scenario) -> list[str]:
    """The scenario's schools by kind, its stations, candidate sites and term: read, not computed."""
    out = [f"Scenario: {scenario.name}  ({scenario.source})", ""]
    out.append(f"Schools: {len(scenario.schools)}")
    out.append(text_table(["kind", "schools", "enrolment", *[f"{p} windows" for p in scenario.periods]],
                          _kind_rows(scenario)))
    out.append("")
    st_rows = [[s.id, s.name, s.police, s.auxiliary, s.cars] for s in scenario.stations]
    st_rows.append(["total", "", sum(s.police for s in scenario.stations),
                    sum(s.auxiliary for s in scenario.stations), sum(s.cars for s in scenario.stations)])
    out.append(f"Stations: {len(scenario.stations)}")
    out.append(text_table(["id", "name", "police", "auxiliary", "cars"], st_rows))
    if scenario.sites:
        existing = sum(1 for s in scenario.sites if s.existing)
        out.append(f"\nCandidate post sites: {len(scenario.sites)} ({existing} existing)")
    if scenario.calendar is not None:
        out += _term_lines(scenario)
    return out


def _kind_rows(scenario: Scenario) -> list[list]:
    """Per kind of school, most schools first: how many, their pupils, each period's windows."""
    rows = []
    for kind, count in sorted(Counter(s.kind for s in scenario.schools).items(), key=lambda kv: -kv[1]):
        group = [s for s in scenario.schools if s.kind == kind]
        row = [kind, count, sum(s.enrolment for s in group)]
        for period in scenario.periods:
            wins = [w for s in group for w in s.windows.get(period, ())]
            row.append(
                f"{format_time(min(w.start_s for w in wins), with_seconds=False)}–"
                f"{format_time(max(w.end_s for w in wins), with_seconds=False)}" if wins else "—"
            )
        rows.append(row)
    return rows


def _term_lines(scenario: Scenario) -> list[str]:
    assert scenario.calendar is not None
    count = Counter(t.name for _, _, _, t in scenario.term_dates() if t is not None)
    out = [f"\nTerm {scenario.calendar.start} – {scenario.calendar.end}: {sum(count.values())} day(s) with "
           f"school runs — " + ", ".join(f"{name} {n}" for name, n in count.items())]
    for exam in scenario.calendar.exams:
        out.append(f"  exam {exam.id} {exam.name}: {len(exam.sites)} site(s) on "
                   + ", ".join(d.isoformat() for d in sorted(exam.dates)))
    return out


def network_report(scenario: Scenario, *, cache_dir: str | Path | None = None) -> list[str]:
    """The road network prepared for the scenario (the slow part), and how the points sit on it."""
    prepared = prepare(scenario, cache_dir=cache_dir)
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
        "  farthest from the drive network (snap distance):",
    ]
    out += _farthest(scenario, prepared)
    no_stand = [s for s in scenario.schools if s.id not in prepared.stands]
    out.append(f"  schools no patrol car can be seen from (no road within car_sight_m = "
               f"{scenario.parameters.car_sight_m:.0f} m of a gate): "
               + (", ".join(f"{s.id} {s.name}" for s in no_stand[:10]) or "none")
               + (f" and {len(no_stand) - 10} more" if len(no_stand) > 10 else ""))
    warnings = datum_warnings(scenario, net)
    out.append("  datum check: " + ("; ".join(warnings) if warnings else "the points fit the roads as declared"))
    for period in scenario.periods:
        nearest = np.array(list(prepared.nearest_station_s(period).values()))
        out.append(
            f"  {period}: drive time from the nearest station to a school median "
            f"{np.median(nearest) / 60:.1f} min, max {nearest.max() / 60:.1f} min "
            f"(congestion factor {scenario.parameters.congestion_for(period)})"
        )
    out.append(f"Schools unreachable from every station: none "
               f"(every school within {scenario.parameters.reach_limit_s // 60} min)")
    return out


def _farthest(scenario: Scenario, prepared: Prepared) -> list[str]:
    """The five gates and three stations farthest from the drive network."""
    worst = sorted(prepared.gates, key=lambda g: -g.snap_m)[:5]
    out = [f"    school {g.school_id} {scenario.school(g.school_id).name} gate {g.gate_index + 1}: {g.snap_m:.0f} m"
           for g in worst]
    out += [f"    station {sid} {scenario.station(sid).name}: {m:.0f} m"
            for sid, m in sorted(prepared.station_snap_m.items(), key=lambda kv: -kv[1])[:3]]
    return out
