"""Post duty rows and officer teams: when each post is staffed, by whom, and what a station has.

- **Jurisdiction**: a post belongs to the station of the first school it serves that names one
  (``station_id``), otherwise to the station nearest by drive time (the first period's
  congestion).
- **Duty time** (:func:`post_duties`): per period the union of the windows of the schools it
  serves, from ``duty_lead_s`` before the earliest start to ``duty_lag_s`` after the latest end.
- **Roster** (:func:`roster_teams`): per station and period, posts are taken in order of duty
  start and given to the first officer team already formed who is free by then, counting the
  drive between the two posts; otherwise to a new team, while the station has officers for one.
  A team is ``police_per_post`` police and ``auxiliary_per_post`` auxiliary officers. This
  greedy rule is optimal when drive times are zero (interval partitioning) and never
  double-books an officer. Posts a station cannot staff go to a free team of a station within
  ``borrow_drive_s`` of the post (nearest first), then of a pool (机关警力); only officers who
  exist are rostered, and a post no team can staff is reported.
- **Officers per station** (:func:`station_limits`): the stations' own numbers, or a county total
  shared out in proportion.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from geo_patrol.labels import officer_id
from geo_patrol.model import PostDuty, RosterEntry, share_out
from geo_patrol.network import snap
from geo_patrol.snapping import Prepared
from geo_patrol.traveltime import PairDrives, travel_times

__all__ = ["post_duties", "roster_teams", "station_limits"]


def station_limits(scenario, *, police: int | None = None, auxiliary: int | None = None):
    """Police and auxiliary officers per station and pool; a county total is shared out in proportion.

    ``police=N`` (what-if "we have N police for posts") splits N over the stations in
    proportion to their own numbers, largest remainder first; likewise ``auxiliary``. Pools
    keep their own numbers.
    """
    stations = scenario.stations
    police_list = share_out(police, [s.police for s in stations])
    aux_list = share_out(auxiliary, [s.auxiliary for s in stations])
    limit_police = {s.id: p for s, p in zip(stations, police_list)}
    limit_aux = {s.id: a for s, a in zip(stations, aux_list)}
    for pool in scenario.pools:
        limit_police[pool.id], limit_aux[pool.id] = pool.police, pool.auxiliary
    return limit_police, limit_aux


def post_duties(prepared, sites, chosen, assign, demand):
    """Post duty rows per period, numbered P001… in order of site id, and each site's station."""
    scenario = prepared.scenario
    params = scenario.parameters
    schools = scenario.schools
    periods = scenario.periods  # a property that walks every school: read once
    chosen = sorted(chosen, key=lambda j: sites[j].id)
    lon = np.array([sites[j].lon for j in chosen])
    lat = np.array([sites[j].lat for j in chosen])
    nodes, _ = snap(prepared.network, lon, lat) if chosen else (np.array([], int), None)
    station_of: dict[int, str] = {}
    if chosen:
        times = travel_times(prepared.network, prepared.station_nodes,
                             {str(j): int(n) for j, n in zip(chosen, nodes)},
                             period_factor=params.congestion_for(scenario.periods[0]))
    rows_of: dict[int, list[int]] = {}
    for r, a in enumerate(assign):
        rows_of.setdefault(a, []).append(r)
    duties = []
    for k, (j, node) in enumerate(zip(chosen, nodes)):
        served = [schools[demand[r]] for r in rows_of.get(j, ())]
        named = next((s.station_id for s in served if s.station_id), None)
        if named is None:
            col = times.seconds[:, k]
            named = times.origin_ids[int(np.argmin(col))]
        station_of[j] = named
        drive_s = float(times.seconds[times.origin_ids.index(named), k]) if named in times.origin_ids else 0.0
        duties += _post_rows(f"P{k + 1:03d}", sites[j], int(node), named, served, periods, params, drive_s)
    return tuple(duties), station_of


def _post_rows(post_id: str, site, node: int, station_id: str, served, periods, params,
               drive_s: float) -> list[PostDuty]:
    """One post's duty rows: per period its schools have a window in, a row per duty block."""
    duties = []
    for period in periods:
        wins = [w for s in served for w in s.windows.get(period, ())]
        if not wins:
            continue
        for start_s, end_s in duty_blocks(wins, params.duty_lead_s, params.duty_lag_s, drive_s):
            duties.append(PostDuty(
                post_id=post_id, period=period, lon=site.lon, lat=site.lat, station_id=station_id,
                school_ids=tuple(sorted(s.id for s in served if period in s.windows)),
                duty_start_s=start_s, duty_end_s=end_s,
                police=params.police_per_post, auxiliary=params.auxiliary_per_post,
                car_at_post=False, node=node,
            ))
    return duties


#: A post's duty is split around a gap only when the team gets at least this long back at its
#: station (the gap less the drive there and back); otherwise it stays at the post.
MIN_BREAK_S = 1800


def duty_blocks(windows, lead_s: int, lag_s: int, drive_s: float) -> list[tuple[int, int]]:
    """When a post is staffed in a period: over the span of its schools' windows, or in blocks —
    whichever needs fewer officer-minutes.

    Each window needs the post from ``lead_s`` before it opens to ``lag_s`` after it closes;
    overlapping needs merge into blocks. Between two blocks a team either stays at the post, or
    goes back to its station and comes again, which costs the drive there and back (``drive_s``
    each way): fewer officer-minutes exactly when the gap is longer than the two drives. A gap is
    split only when it also frees the team for :data:`MIN_BREAK_S` at its station, so a second
    dismissal wave two hours after the first makes two duties and one twenty minutes later one.
    """
    needs = sorted((w.start_s - lead_s, w.end_s + lag_s) for w in windows)
    merged: list[list[int]] = []
    for start, end in needs:
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    blocks = [merged[0]]
    for start, end in merged[1:]:
        if start - blocks[-1][1] - 2 * drive_s >= MIN_BREAK_S:
            blocks.append([start, end])
        else:
            blocks[-1][1] = end
    return [(start, end) for start, end in blocks]


def roster_teams(prepared: Prepared, duties: Sequence[PostDuty], limit_police: Mapping[str, int],
                 limit_aux: Mapping[str, int], *,
                 drives: dict[str, PairDrives] | None = None) -> tuple[tuple[RosterEntry, ...], dict, set[str]]:
    """Officer teams per period, from officers who exist (module docstring).

    A station's teams: ``min(police // police_per_post, auxiliary // auxiliary_per_post)`` (a
    role needed 0 times does not limit). Per period, each station first staffs the posts of its
    own jurisdiction in order of duty start, a team taking a later post when it can drive there
    in time; a post beyond its own teams is staffed, in order of duty start, by a free team of
    the nearest station whose station lies within ``borrow_drive_s`` of the post, else by a pool
    (机关警力). A post no team can staff is returned unstaffed.

    Returns ``(roster, use, unstaffed)``: ``use`` maps ``(station or pool id, period)`` to
    ``(police used, police available, auxiliary used, auxiliary available)``; ``unstaffed`` the
    ``(post id, period)`` pairs left without a team. ``drives`` (period → :class:`PairDrives`,
    filled as needed) keeps the drive times between posts for the next call: the planner's
    officer-shortage rounds roster mostly the same posts again.
    """
    scenario = prepared.scenario
    params = scenario.parameters
    pp, ap = params.police_per_post, params.auxiliary_per_post
    units = list(scenario.stations) + list(scenario.pools)
    capacity = {u.id: _teams(limit_police[u.id], limit_aux[u.id], pp, ap) for u in units}
    roster: list[RosterEntry] = []
    use: dict[tuple[str, str], tuple[int, int, int, int]] = {}
    unstaffed: set[tuple[str, str]] = set()
    if drives is None:
        drives = {}
    for period in scenario.periods:
        factor = params.congestion_for(period)
        teams: dict[str, list[list[PostDuty]]] = {u.id: [] for u in units}
        groups: dict[str, list[PostDuty]] = {}
        for duty in duties:
            if duty.period == period:
                groups.setdefault(duty.station_id, []).append(duty)
        if period not in drives:
            drives[period] = PairDrives(prepared.network, factor)
        overflow: list[PostDuty] = []
        for station in scenario.stations:
            group = sorted(groups.get(station.id, []), key=lambda d: (d.duty_start_s, d.post_id))
            overflow += _own_teams(group, teams[station.id], capacity[station.id], drives[period])
        for duty in sorted(overflow, key=lambda d: (d.duty_start_s, d.post_id)):
            if not _borrow(prepared, duty, teams, capacity, factor):
                unstaffed.add((duty.post_id, duty.period))
        for unit in units:
            roster += _team_entries(unit.id, teams[unit.id], period, pp, ap)
            use[(unit.id, period)] = (len(teams[unit.id]) * pp, limit_police[unit.id],
                                      len(teams[unit.id]) * ap, limit_aux[unit.id])
    return tuple(roster), use, unstaffed


def _own_teams(group: Sequence[PostDuty], own: list[list[PostDuty]], capacity: int,
               between: PairDrives) -> list[PostDuty]:
    """A station's posts of one period, in order of duty start, given to its own teams: the first
    team that can drive there in time, else a new team while it has officers for one. Returns the
    posts beyond its teams."""
    overflow = []
    for duty in group:
        for team in own:
            last = team[-1]
            if between.within(last.node, duty.node, duty.duty_start_s - last.duty_end_s) < math.inf:
                team.append(duty)
                break
        else:
            if len(own) < capacity:
                own.append([duty])
            else:
                overflow.append(duty)
    return overflow


def _team_entries(unit_id: str, teams: Sequence[Sequence[PostDuty]], period: str, pp: int,
                  ap: int) -> list[RosterEntry]:
    """The roster rows of a unit's teams in one period: each team's police and auxiliaries on each of its posts."""
    entries = []
    for t, team in enumerate(teams, start=1):
        for duty in team:
            for role, count in (("police", pp), ("auxiliary", ap)):
                for n in range(count):
                    entries.append(RosterEntry(officer_id(unit_id, role, (t - 1) * count + n + 1), unit_id,
                                               period, duty.post_id, duty.duty_start_s, duty.duty_end_s, role=role))
    return entries


def _teams(police: int, auxiliary: int, pp: int, ap: int) -> int:
    """Whole teams of ``pp`` police and ``ap`` auxiliaries out of the officers a unit has."""
    limits = [have // need for have, need in ((police, pp), (auxiliary, ap)) if need > 0]
    return max(0, min(limits)) if limits else 0


def _borrow(prepared: Prepared, duty: PostDuty, teams: dict[str, list[list[PostDuty]]],
            capacity: Mapping[str, int], factor) -> bool:
    """Give ``duty`` to a free team of another station within ``borrow_drive_s`` (nearest first),
    else of a pool; ``False`` when none is free."""
    scenario = prepared.scenario
    limit = scenario.parameters.borrow_drive_s
    tails = {f"team:{uid}:{k}": team[-1].node for uid, own in teams.items() for k, team in enumerate(own)}
    origins = {f"station:{s.id}": prepared.station_nodes[s.id] for s in scenario.stations if s.id != duty.station_id}
    gaps = [duty.duty_start_s - team[-1].duty_end_s for own in teams.values() for team in own]
    cutoff = max([limit] + [g for g in gaps if g > 0])
    to_post = travel_times(prepared.network, {**origins, **tails}, {"post": duty.node}, period_factor=factor,
                           cutoff_s=cutoff)
    seconds = dict(zip(to_post.origin_ids, to_post.seconds[:, 0]))
    near = sorted((seconds[f"station:{s.id}"], s.id) for s in scenario.stations
                  if s.id != duty.station_id and seconds[f"station:{s.id}"] <= limit)
    lenders = [sid for _, sid in near] + sorted(pool.id for pool in scenario.pools)
    return any(_lend(uid, duty, teams[uid], capacity[uid], seconds) for uid in lenders)


def _lend(uid: str, duty: PostDuty, own: list[list[PostDuty]], capacity: int, seconds: Mapping[str, float]) -> bool:
    """Give ``duty`` to one of ``uid``'s teams that is free by then (the first), else to a new team
    while it has officers for one; ``False`` when it has none free."""
    for k, team in enumerate(own):
        if team[-1].duty_end_s + seconds[f"team:{uid}:{k}"] <= duty.duty_start_s:
            team.append(duty)
            return True
    if len(own) < capacity:
        own.append([duty])
        return True
    return False
