"""Post duty rows and officer teams: when each post is staffed, by whom, and what a station has.

- **Jurisdiction**: a post belongs to the station of the first school it serves that names one
  (``station_id``), otherwise to the station nearest by drive time (the first period's
  congestion).
- **Duty time** (:func:`post_duties`): per period the union of the windows of the schools it
  serves, from ``duty_lead_s`` before the earliest start to ``duty_lag_s`` after the latest end.
- **Roster** (:func:`roster_teams`): per station and period, posts are taken in order of duty
  start and given to the first officer team already formed who is free by then, counting the
  drive between the two posts; otherwise to a new team. A team is ``police_per_post`` police
  and ``auxiliary_per_post`` auxiliary officers. This greedy rule is optimal when drive times
  are zero (interval partitioning) and never double-books an officer.
- **Officers per station** (:func:`station_limits`): the stations' own numbers, or a county total
  shared out in proportion.
"""

from __future__ import annotations

import numpy as np

from geo_patrol.model import PostDuty, RosterEntry, share_out
from geo_patrol.network import snap
from geo_patrol.snapping import Prepared
from geo_patrol.traveltime import travel_times

__all__ = ["post_duties", "roster_teams", "station_limits"]


def station_limits(prepared: Prepared, *, police: int | None = None, auxiliary: int | None = None):
    """Police and auxiliary officers per station; a county total is shared out in proportion.

    ``police=N`` (what-if "we have N police for posts") splits N over the stations in
    proportion to their own numbers, largest remainder first; likewise ``auxiliary``.
    """
    stations = prepared.scenario.stations
    police_list = share_out(police, [s.police for s in stations])
    aux_list = share_out(auxiliary, [s.auxiliary for s in stations])
    return ({s.id: p for s, p in zip(stations, police_list)}, {s.id: a for s, a in zip(stations, aux_list)})


def post_duties(prepared, sites, chosen, assign, demand):
    """Post duty rows per period, numbered P001… in order of site id, and each site's station."""
    scenario = prepared.scenario
    params = scenario.parameters
    schools = scenario.schools
    chosen = sorted(chosen, key=lambda j: sites[j].id)
    lon = np.array([sites[j].lon for j in chosen])
    lat = np.array([sites[j].lat for j in chosen])
    nodes, _ = snap(prepared.network, lon, lat) if chosen else (np.array([], int), None)
    station_of: dict[int, str] = {}
    if chosen:
        times = travel_times(prepared.network, prepared.station_nodes,
                             {str(j): int(n) for j, n in zip(chosen, nodes)},
                             period_factor=params.congestion_for(scenario.periods[0]))
    duties = []
    for k, (j, node) in enumerate(zip(chosen, nodes)):
        served = [schools[demand[r]] for r, a in enumerate(assign) if a == j]
        named = next((s.station_id for s in served if s.station_id), None)
        if named is None:
            col = times.seconds[:, k]
            named = times.origin_ids[int(np.argmin(col))]
        station_of[j] = named
        post_id = f"P{k + 1:03d}"
        for period in scenario.periods:
            wins = [s.windows[period] for s in served if period in s.windows]
            if not wins:
                continue
            duties.append(PostDuty(
                post_id=post_id, period=period, lon=sites[j].lon, lat=sites[j].lat, station_id=named,
                school_ids=tuple(sorted(s.id for s in served if period in s.windows)),
                duty_start_s=min(w.start_s for w in wins) - params.duty_lead_s,
                duty_end_s=max(w.end_s for w in wins) + params.duty_lag_s,
                police=params.police_per_post, auxiliary=params.auxiliary_per_post,
                car_at_post=False, node=int(node),
            ))
    return tuple(duties), station_of


def roster_teams(prepared, duties, limit_police, limit_aux):
    """Greedy officer teams per station and period (module docstring, step 7)."""
    params = prepared.scenario.parameters
    roster: list[RosterEntry] = []
    use: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    groups: dict[tuple[str, str], list[PostDuty]] = {}
    for duty in duties:
        groups.setdefault((duty.station_id, duty.period), []).append(duty)
    for station in prepared.scenario.stations:
        for period in prepared.scenario.periods:
            group = sorted(groups.get((station.id, period), []), key=lambda d: (d.duty_start_s, d.post_id))
            teams: list[list[PostDuty]] = []
            if group:
                nodes = {d.post_id: d.node for d in group}
                between = travel_times(prepared.network, nodes, nodes,
                                       period_factor=params.congestion_for(period))
                index = {pid: i for i, pid in enumerate(between.origin_ids)}
                for duty in group:
                    for team in teams:
                        last = team[-1]
                        drive = between.seconds[index[last.post_id], index[duty.post_id]]
                        if last.duty_end_s + drive <= duty.duty_start_s:
                            team.append(duty)
                            break
                    else:
                        teams.append([duty])
            for t, team in enumerate(teams, start=1):
                for duty in team:
                    for kind, count in (("police", params.police_per_post), ("auxiliary", params.auxiliary_per_post)):
                        for n in range(count):
                            number = (t - 1) * count + n + 1
                            roster.append(RosterEntry(
                                f"{station.id}-{kind}-{number}", station.id, period, duty.post_id,
                                duty.duty_start_s, duty.duty_end_s,
                            ))
            use[(station.id, period)] = (
                len(teams) * params.police_per_post, limit_police[station.id],
                len(teams) * params.auxiliary_per_post, limit_aux[station.id],
            )
    return tuple(roster), use


