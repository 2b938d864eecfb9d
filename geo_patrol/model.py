"""The things geo_patrol plans with, and the rows of a plan: plain frozen records.

Entities of a scenario (:class:`School` with its :class:`Gate` s and windows, :class:`Station`,
:class:`Site`, :class:`NetworkSource`) and its validated :class:`Parameters`; the rows of a plan
(:class:`PostDuty`, :class:`RosterEntry`, :class:`Stop`, :class:`Coverage`, :class:`SchoolRow`,
:class:`StationRow`, :class:`RouteLine`); and the two rules every stage shares: a school's
weight (:func:`school_weight`) and how a county total is shared over the stations
(:func:`share_out`). Nothing here reads a file or solves anything.

Coordinates are WGS-84 degrees; times of day are seconds after local midnight.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import ConfigDict, Field, ValidationError
from pydantic.dataclasses import dataclass as pydantic_dataclass

from geo_patrol.clock import Window
from geo_patrol.errors import InputError

#: The school-run periods geo_patrol plans, in clock order.
PERIODS = ("morning", "noon", "afternoon")

#: School kinds; the loaders map Chinese names onto these.
KINDS = ("kindergarten", "primary", "middle", "nine_year", "high", "special")

#: The school side of a post's team (Heqing county's formula: 1 school cadre, 2 guards, 2 staff,
#: 4 volunteers beside 1 police and 1 auxiliary officer), in the order it is written.
SCHOOL_ROLES = ("school_cadre", "guards", "staff", "volunteers")

#: Names a school table may give each school role (matched ignoring case).
SCHOOL_ROLE_ALIASES: Mapping[str, tuple[str, ...]] = {
    "school_cadre": ("school_cadre", "cadre", "cadres", "校领导", "学校干部", "校方干部", "学校领导", "干部"),
    "guards": ("guards", "guard", "保安", "保安员", "校园保安"),
    "staff": ("staff", "teachers", "教职工", "教师", "老师", "教职员工"),
    "volunteers": ("volunteers", "volunteer", "志愿者", "家长志愿者", "护学志愿者"),
}

#: Most people of one role a school can be asked for per post (the ``school_team`` parameter's bound).
MAX_TEAM_ROLE = 50

#: Cells meaning "the school provides nobody at its posts".
_NO_TEAM = {"none", "无", "0", "-", "—"}


def parse_team(text: str, *, strict: bool = True) -> dict[str, int] | None:
    """A school team cell: ``school_cadre:1; guards:2; volunteers:6`` → ``{role: people}``.

    Parts are separated by ``;`` ``,`` ``、`` (or their full-width forms), a role and its number
    by ``:`` ``=`` ``：`` or a space; roles by the names of :data:`SCHOOL_ROLE_ALIASES`
    (``保安:2``, ``志愿者 6``). With ``strict`` only those roles are accepted; otherwise any
    other role spelled as an identifier too (a plan's own file, written from a ``school_team``
    parameter with roles of its own). Roles come back in :data:`SCHOOL_ROLES` order, other
    roles after them; a role not written provides nobody. A blank cell is ``None`` (the
    scenario's ``school_team``); ``无`` / ``none`` / ``0`` is an empty team. Raises
    :class:`ValueError` saying what is wrong.
    """
    text = str(text).strip()
    if not text:
        return None
    if text.lower() in _NO_TEAM:
        return {}
    alias = {name.lower(): role for role, names in SCHOOL_ROLE_ALIASES.items() for name in names}
    found: dict[str, int] = {}
    for part in re.split(r"[;,，；、]", text):
        part = part.strip()
        if not part:
            continue
        pieces = re.split(r"\s*[:=：]\s*|\s+", part)
        if len(pieces) != 2 or not pieces[0] or not pieces[1]:
            raise ValueError(f"'{part}' is not a role and a number")
        name, number = pieces
        role = alias.get(name.lower())
        if role is None and not strict and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
            role = name
        if role is None:
            raise ValueError(f"'{name}' is not a school role")
        if not number.isdigit() or int(number) > MAX_TEAM_ROLE:
            raise ValueError(f"'{number}' for {name} is not a number of people 0…{MAX_TEAM_ROLE}")
        if role in found:
            raise ValueError(f"{name} is given twice")
        found[role] = int(number)
    order = {role: i for i, role in enumerate(SCHOOL_ROLES)}
    return dict(sorted(found.items(), key=lambda item: order.get(item[0], len(order))))


def format_team(team: Mapping[str, int] | tuple[tuple[str, int], ...]) -> str:
    """A team as a plan file writes it, ``school_cadre:1; guards:2`` (:func:`parse_team` reads it)."""
    items = team.items() if isinstance(team, Mapping) else team
    return "; ".join(f"{role}:{n}" for role, n in items)


@dataclass(frozen=True)
class Gate:
    """A school gate, WGS-84 degrees."""

    lon: float
    lat: float


@dataclass(frozen=True)
class School:
    """A school with its gates and its own clock windows per period.

    ``windows`` maps a period name (see :data:`PERIODS`) to the school-run windows of that
    period, in clock order: usually one (morning arrival, noon, afternoon dismissal), two where
    the afternoon has a second dismissal wave after after-school care (课后服务). A single
    :class:`Window` given for a period is read as a one-window tuple. Each window is a
    school-window of its own for the sightings, the routing and the coverage rows.
    ``car_visits`` asks for more (or fewer) car sightings per window than the scenario's
    ``visits_per_window`` — a big school on a busy road may want two. ``weekday_windows`` holds
    the windows of a weekday where they differ (``{"friday": {"afternoon": (...)}}``): many
    schools dismiss earlier on Friday; :meth:`on` gives the school of one weekday.
    ``school_team`` is the school side of the team at each of its posts, role → people
    (:data:`SCHOOL_ROLES`), where it differs from the scenario's ``school_team`` parameter
    (``None``: that parameter); :meth:`team` gives the one that applies.
    ``address`` is the school's street address as the list gives it (``"珞喻路1037号"``), or
    empty; it is read only to check the datum against the road it names.
    """

    id: str
    name: str
    kind: str
    enrolment: int
    gates: tuple[Gate, ...]
    windows: Mapping[str, tuple[Window, ...]]
    priority: int = 3
    requires_post: bool = False
    forbid_post: bool = False
    profile: str | None = None
    station_id: str | None = None
    car_visits: int | None = None
    row: int | None = None
    weekday_windows: Mapping[str, Mapping[str, tuple[Window, ...]]] = field(default_factory=dict)
    school_team: Mapping[str, int] | None = None
    address: str = ""

    def on(self, weekday: str) -> School:
        """The school as it is on ``weekday`` (``monday`` … ``friday``): its windows there."""
        special = self.weekday_windows.get(weekday)
        if not special:
            return self
        return dataclasses.replace(self, windows={**self.windows, **special}, weekday_windows={})

    def team(self, default: Mapping[str, int]) -> dict[str, int]:
        """The school side of the team at each of its posts: its own, else ``default``."""
        return dict(default if self.school_team is None else self.school_team)

    def __post_init__(self) -> None:
        windows = {}
        for period, value in dict(self.windows).items():
            found = (value,) if isinstance(value, Window) else tuple(sorted(value))
            if found:
                windows[period] = found
        object.__setattr__(self, "windows", windows)

    def span(self, period: str) -> Window:
        """From the first window's start to the last window's end in ``period``."""
        found = self.windows[period]
        return Window(found[0].start_s, found[-1].end_s)

    def all_windows(self) -> list[tuple[str, Window]]:
        """``(period, window)`` of every school-window, in clock order."""
        return [(p, w) for p in PERIODS if p in self.windows for w in self.windows[p]]

    @property
    def lon(self) -> float:
        return self.gates[0].lon

    @property
    def lat(self) -> float:
        return self.gates[0].lat


@dataclass(frozen=True)
class Station:
    """A police station (派出所) with its officers and patrol cars; WGS-84 degrees.

    ``kind`` is ``station`` (a 派出所 with a jurisdiction and patrol cars) or ``pool`` (a
    bureau-wide pool of officers, 机关警力, that lends teams to any station short of officers
    and has no jurisdiction and no cars).
    """

    id: str
    name: str
    lon: float
    lat: float
    police: int
    auxiliary: int
    cars: int
    row: int | None = None
    kind: str = "station"


@dataclass(frozen=True)
class Officer:
    """A person who can stand at a post: police or auxiliary, of a station (or pool), with the
    dates (ISO ``YYYY-MM-DD``) they cannot be on duty."""

    id: str
    name: str
    station_id: str
    role: str  # "police" or "auxiliary"
    unavailable: frozenset[str] = frozenset()
    row: int | None = None


@dataclass(frozen=True)
class Site:
    """A candidate duty-post site; ``existing`` is a kiosk or post that already stands."""

    id: str
    lon: float
    lat: float
    existing: bool = False
    name: str = ""
    row: int | None = None


@dataclass(frozen=True)
class NetworkSource:
    """Where the road network comes from: a file, or a download (place name or bbox)."""

    path: Path | None = None
    place: str | None = None
    bbox: tuple[float, float, float, float] | None = None
    layer: str | None = None
    datum: str = "wgs84"

    def describe(self) -> str:
        if self.path is not None:
            return str(self.path)
        if self.place is not None:
            return f"download: {self.place}"
        return f"download: bbox {self.bbox}"


DEFAULT_CONGESTION: Mapping[str, float] = {"morning": 1.6, "noon": 1.2, "afternoon": 1.5}


_CONFIG = ConfigDict(strict=True, extra="forbid", allow_inf_nan=False, frozen=True)


def _int(low: int, high: int):
    return Annotated[int, Field(ge=low, le=high)]


def _metres(high: float, *, low: float = 0.0):
    return Annotated[float, Field(gt=low, le=high)]


@pydantic_dataclass(config=_CONFIG)
class Parameters:
    """Planning parameters. Units are in the names; times of day are seconds after midnight.

    Defaults, and where they come from:

    - ``post_radius_m`` 150: a post is seen at a gate within 150 m walking distance of where it
      stands.
    - ``dwell_s`` 300: a patrol stop lasts 5 minutes, lights on, an officer out.
    - ``car_sight_m`` 100: a car and its lights are seen at a gate within 100 m (straight line)
      of the road point where the car stands.
    - ``min_seen_s`` None (= ``dwell_s``): how much of a stop, or of a post's duty, must lie
      inside a window for it to count there.
    - ``borrow_drive_s`` 900: a station short of officers may staff a post with a team from
      another station whose station lies within this drive time of the post.
    - ``visits_per_window`` 1 and ``min_gap_s`` 900: patrol stops per school and window, and the
      least time between their starts.
    - ``response_target_s`` 180: the "135" mechanism's 3 minutes to the scene.
    - ``second_unit_s`` 300: the "135" mechanism's 5 minutes for reinforcement.
    - ``max_snap_m`` 300: a gate or station farther than this from the drive network is an error.
    - ``max_arc_m`` 120: a straight road stretch longer than this (a map drawing a block as one
      segment) is cut into equal pieces, each cut a place a car can stand (0: roads as drawn;
      OSM files, line layers, GraphML graphs and downloads).
    - ``reach_limit_s`` 3600: a school no station reaches within this drive time is an error.
    - ``police_per_post`` 1, ``auxiliary_per_post`` 1: the seed formula "1 police, 1 auxiliary".
    - ``duty_lead_s`` 600, ``duty_lag_s`` 300: a post is staffed 10 min before the first window it
      serves until 5 min after the last.
    - ``shift_lead_s`` 1800, ``shift_lag_s`` 1800: a patrol car is out 30 min before the period's
      earliest window until 30 min after its latest.
    - ``max_drive_s`` None: optional cap on a car's drive time per period.
    - ``target_profile`` "basic" and ``officer_presence_pct`` 80: what "three sightings" demands.
    - ``speed_kph``: free-flow speed overrides per OSM highway class (defaults in
      :data:`geo_patrol.network.DEFAULT_SPEED_KPH`).
    - ``congestion``: travel-time factor per period, a number or a table class → number with a
      ``default`` key (morning 1.6, noon 1.2, afternoon 1.5).
    - ``school_team``: the school's side of a post's team per post and day, role → people (the
      Heqing formula: 1 school cadre, 2 guards, 2 staff, 4 volunteers beside 1 police and 1
      auxiliary officer); the semester's ``school_people.csv`` counts them.

    Every value is checked on construction (pydantic, strict: a number where a number belongs,
    finite, within the range its annotation states — the upper bounds stop a typo from turning
    into a runaway plan); :meth:`check` checks the parameters against each other.
    """

    post_radius_m: _metres(2_000.0) = 150.0
    dwell_s: _int(1, 3_600) = 300
    car_sight_m: _metres(1_000.0) = 100.0
    min_seen_s: _int(1, 3_600) | None = None
    borrow_drive_s: _int(0, 7_200) = 900
    visits_per_window: _int(1, 10) = 1
    min_gap_s: _int(0, 7_200) = 900
    response_target_s: _int(1, 3_600) = 180
    second_unit_s: _int(1, 3_600) = 300
    max_snap_m: _metres(5_000.0) = 300.0
    max_arc_m: Annotated[float, Field(ge=0.0, le=2_000.0)] = 120.0
    reach_limit_s: _int(60, 4 * 3_600) = 3600
    police_per_post: _int(0, 20) = 1
    auxiliary_per_post: _int(0, 20) = 1
    duty_lead_s: _int(0, 7_200) = 600
    duty_lag_s: _int(0, 7_200) = 300
    shift_lead_s: _int(0, 4 * 3_600) = 1800
    shift_lag_s: _int(0, 4 * 3_600) = 1800
    max_drive_s: _int(60, 86_400) | None = None
    target_profile: Literal["basic", "strict"] = "basic"
    officer_presence_pct: Annotated[float, Field(ge=0.0, le=100.0)] = 80.0
    speed_kph: Mapping[str, Annotated[float, Field(gt=0.0, le=200.0)]] = field(default_factory=dict)
    school_team: Mapping[str, Annotated[int, Field(ge=0, le=MAX_TEAM_ROLE)]] = field(
        default_factory=lambda: {"school_cadre": 1, "guards": 2, "staff": 2, "volunteers": 4})
    congestion: Mapping[str, Any] = field(default_factory=lambda: dict(DEFAULT_CONGESTION))

    def congestion_for(self, period: str) -> float | Mapping[str, float]:
        """Travel-time factor (or class → factor table) for ``period``; 1.0 when not given."""
        return self.congestion.get(period, 1.0)

    @property
    def seen_s(self) -> int:
        """Seconds of a stop or a duty that must lie inside a window to count: ``min_seen_s``,
        else ``dwell_s``."""
        return self.dwell_s if self.min_seen_s is None else self.min_seen_s

    @classmethod
    def from_mapping(cls, values: Mapping[str, Any], *, file: str | Path | None = None) -> Parameters:
        """Build from a ``[parameters]`` table: unknown names (with the nearest known one
        suggested), types, ranges, and the checks between parameters; one :class:`InputError`."""
        known = [f.name for f in dataclasses.fields(cls)]
        kwargs = dict(values)
        for key in kwargs:
            if key not in known:
                raise unknown_key(key, known, file=file, table="parameters")
        if "congestion" in kwargs:
            kwargs["congestion"] = {**DEFAULT_CONGESTION, **_check_congestion(kwargs["congestion"], file)}
        try:
            params = cls(**kwargs)
        except ValidationError as exc:
            raise _parameter_error(exc, kwargs, file) from None
        params.check(file=file)
        return params

    def check(self, *, file: str | Path | None = None) -> None:
        """Checks between parameters (each one's own range is checked on construction)."""
        if self.police_per_post + self.auxiliary_per_post < 1:
            raise InputError("a post needs at least one officer", file=file, field="parameters.police_per_post",
                             hint="set police_per_post or auxiliary_per_post to 1 or more")
        if 0 < self.max_arc_m < 10:
            raise InputError(f"max_arc_m {self.max_arc_m:g} would cut the roads into pieces under 10 m", file=file,
                             field="parameters.max_arc_m",
                             hint="give metres, 10 or more (120 by default), or 0 to keep the roads as drawn")
        if not 1 <= self.seen_s <= self.dwell_s:
            raise InputError(f"min_seen_s {self.seen_s} must lie within 1…dwell_s ({self.dwell_s})", file=file,
                             field="parameters.min_seen_s", hint="a stop is seen for at most its own length")


def unknown_key(key: str, known, *, file: str | Path | None, table: str) -> InputError:
    """An unknown key of a scenario table, with the closest known key suggested."""
    close = difflib.get_close_matches(key, list(known), n=1, cutoff=0.6)
    hint = f"did you mean {close[0]}?" if close else "known keys: " + ", ".join(sorted(known))
    field_name = f"{table}.{key}" if table else key
    return InputError(f"unknown key '{key}'" + (f" in [{table}]" if table else ""), file=file, field=field_name,
                      hint=hint)


def _parameter_error(exc: ValidationError, values: Mapping[str, Any], file) -> InputError:
    """The first problem pydantic found, as one line naming the parameter, its value and its range."""
    error = exc.errors()[0]
    key = str(error["loc"][0]) if error["loc"] else "parameters"
    where = ".".join(str(part) for part in error["loc"])
    value = values.get(key)
    for part in error["loc"][1:]:  # a value inside a table, e.g. speed_kph.primary
        value = value.get(part) if isinstance(value, Mapping) else value
    ctx = error.get("ctx") or {}
    bounds = [f"{name} {ctx[k]}" for k, name in (("gt", ">"), ("ge", "≥"), ("lt", "<"), ("le", "≤")) if k in ctx]
    if bounds:
        hint = "use a number " + " and ".join(bounds)
    elif error["type"] in ("int_type", "int_from_float"):
        hint = "write a whole number"
    elif error["type"] in ("float_type", "finite_number"):
        hint = "write a finite number"
    else:
        hint = "see the parameters in the README"
    return InputError(f"{value!r} is not valid ({error['msg'].lower()})", file=file, field=f"parameters.{where}",
                      hint=hint)


def _check_congestion(value: Any, file: str | Path | None) -> dict[str, Any]:
    where = {"file": file, "field": "parameters.congestion"}
    if not isinstance(value, Mapping):
        raise InputError("must be a table of period = factor", **where)
    out: dict[str, Any] = {}
    for period, factor in value.items():
        if period not in PERIODS:
            raise InputError(f"unknown period '{period}'", hint="use " + ", ".join(PERIODS), **where)
        items = factor.items() if isinstance(factor, Mapping) else [("", factor)]
        for cls_name, number in items:
            if (isinstance(number, bool) or not isinstance(number, (int, float)) or not math.isfinite(number)
                    or not 1 <= number <= 10):
                raise InputError(
                    f"factor {number!r} for {period} {cls_name}".rstrip() + " is not a number in 1…10",
                    hint="peak traffic can only slow cars down: use 1.0 or more (10 at most)",
                    **where,
                )
        out[period] = ({str(k): float(v) for k, v in factor.items()} if isinstance(factor, Mapping)
                       else float(factor))
    return out



@dataclass(frozen=True)
class PostDuty:
    """One post in one period (a row of ``posts.csv``)."""

    post_id: str
    period: str
    lon: float
    lat: float
    station_id: str
    school_ids: tuple[str, ...]
    duty_start_s: int
    duty_end_s: int
    police: int
    auxiliary: int
    car_at_post: bool = False
    node: int = field(default=-1, compare=False)


@dataclass(frozen=True)
class Stop:
    """One patrol stop (a row of ``visits.csv``).

    ``lon``/``lat`` are the school gate the stop is for; ``stop_lon``/``stop_lat`` the road point
    (a drive-network node) where the car stands, ``gate_distance_m`` the straight line between
    the two. ``node`` is the drive row of the stand point (not written).
    """

    vehicle_id: str
    station_id: str
    period: str
    seq: int
    school_id: str
    lon: float
    lat: float
    arrive_s: int
    depart_s: int
    stop_lon: float = 0.0
    stop_lat: float = 0.0
    gate_distance_m: float = 0.0
    node: int = field(default=-1, compare=False)


@dataclass(frozen=True)
class RosterEntry:
    """One officer on one post for one period (a row of ``rosters.csv``).

    ``station_id`` is the officer's own station (or pool), which may differ from the post's
    when a station short of officers borrows a team; ``role`` is ``police`` or ``auxiliary``.
    """

    officer: str
    station_id: str
    period: str
    post_id: str
    start_s: int
    end_s: int
    role: str = "police"


@dataclass(frozen=True)
class Coverage:
    """What people at a school's gate see in one window (a row of ``coverage.csv``)."""

    school_id: str
    period: str
    window_start_s: int
    window_end_s: int
    officer_seen: bool
    car_seen: bool
    lights_seen: bool
    three_sightings: bool
    officer_presence_pct: float
    worst_response_s: int
    within_target_pct: float
    second_unit_300s: bool
    sources: str
    reason: str
    strict_met: bool = False
    post_present: bool = False
    #: the reason as data (:class:`geo_patrol.reasons.Reason` values; ``reason`` is its English
    #: rendering). Empty for a row read back from a plan folder, which holds the rendered words.
    why: tuple = field(default=(), compare=False)


#: A unit's position over a period: (times_s ascending, node rows) — the unit is at node[k]
#: from times_s[k] until times_s[k+1]; outside [times_s[0], times_s[-1]] it is off duty.
Track = tuple[np.ndarray, np.ndarray]



@dataclass(frozen=True)
class SchoolRow:
    school_id: str
    name: str
    kind: str
    lon: float
    lat: float
    enrolment: int
    priority: int
    morning: str
    noon: str
    afternoon: str
    school_team: tuple[tuple[str, int], ...] = ()  # the school side of each post's team, role → people


@dataclass(frozen=True)
class StationRow:
    station_id: str
    name: str
    lon: float
    lat: float
    police: int
    auxiliary: int
    cars: int
    use: Mapping[str, tuple[int, int, int]]  # period → (police, auxiliary, cars) used
    kind: str = "station"  # or "pool"


@dataclass(frozen=True)
class RouteLine:
    vehicle_id: str
    station_id: str
    period: str
    start_s: int
    end_s: int
    drive_km: float
    stops: int
    coords: tuple[tuple[float, float], ...]
    times: tuple[int, ...]



KIND_FACTOR: Mapping[str, float] = {
    "kindergarten": 1.3, "primary": 1.2, "special": 1.3, "nine_year": 1.1, "middle": 1.0, "high": 0.9,
}


def school_weight(school: School) -> float:
    """Weight of covering a school: ``priority × kind factor × (1 + enrolment / 1000)``."""
    return school.priority * KIND_FACTOR.get(school.kind, 1.0) * (1.0 + school.enrolment / 1000.0)



def share_out(total: int | None, own: list[int]) -> list[int]:
    """Share a county total over the stations in proportion to their own numbers.

    ``None`` keeps the stations' own numbers. Largest remainder first (ties to the earlier
    station), so the shares add up to ``total``; stations that all have none share it evenly.
    What-if runs use it for ``--police``, ``--auxiliary`` and ``--cars``.
    """
    if total is None:
        return list(own)
    weights = own if sum(own) else [1] * len(own)
    base = sum(weights)
    if base == 0:
        return []
    raw = [total * w / base for w in weights]
    out = [int(math.floor(r)) for r in raw]
    for i in sorted(range(len(raw)), key=lambda i: (out[i] - raw[i], i))[: total - sum(out)]:
        out[i] += 1
    return out


@dataclass(frozen=True)
class PlanSummary:
    """The figures of a plan (``plan.json``'s ``summary``), typed. Per period unless said.

    ``windows`` counts school-windows (a school with a second dismissal wave has two in the
    afternoon); ``met`` the school-windows meeting the school's target, ``met_strict`` those with
    an officer present at least ``officer_presence_pct`` of the window too, ``schools_with_post``
    those where a staffed 护学岗 counts; ``posts`` and ``posts_with_car`` are counts over the day;
    ``police`` and ``auxiliary`` the officers of the busiest period per station, summed.
    """

    schools: int
    periods: tuple[str, ...]
    windows: Mapping[str, int]
    met: Mapping[str, int]
    met_strict: Mapping[str, int]
    schools_with_post: Mapping[str, int]
    attained_share: Mapping[str, float]
    posts: int
    posts_with_car: int
    police: int
    auxiliary: int
    cars_used: Mapping[str, int]
    km_driven: Mapping[str, float]
    stops: Mapping[str, int]
    response_target_s: int
    response_within_target_share: Mapping[str, float]
    uncovered: tuple[Mapping[str, Any], ...]

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> PlanSummary:
        names = [f.name for f in dataclasses.fields(cls)]
        values = {name: data[name] for name in names}
        values["periods"] = tuple(values["periods"])
        values["uncovered"] = tuple(values["uncovered"])
        return cls(**values)
