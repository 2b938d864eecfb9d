"""The words people read beside a plan's keys, in the plan's output language (``zh`` or ``en``).

A plan's files hold keys that ``geo-patrol evaluate`` reads back — officer ids such as
``PS01-auxiliary-3``, vehicle ids, the machine ``sources`` text of the coverage rows
(``car+lights+officer: car PS01/1 07:40:00–07:45:00``) — and these never change with the
language. What changes is the text written beside them for people:

- :func:`officer_label`: ``PS01-辅警-3`` for the officer id ``PS01-auxiliary-3`` (in English the
  id itself); an id a planner typed in by hand (a name, a warrant number) is shown as it is.
- :func:`sources_text` / :func:`source_lines`: the sources with the sighting and unit words in
  the language (``警车+警灯+警察: 警车 PS01/1 07:40:00–07:45:00``); ids and times stay as they are,
  and a part that is not in the planner's grammar is shown as written.
- :func:`team_text`: the school side of a post's team (``校领导 1、保安 2、教职工 2、志愿者 4``).
- :func:`reason_text`: why a school-window misses its target (the ``reason`` of a coverage row,
  ``no officer; no car or lights (no post: …; fleet_time: …)``) in the language; ids, times,
  numbers and parameter names stay as they are, and a part it does not know is shown as written.

Roster ids are made by :func:`officer_id`, so that the id and its label share one grammar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from geo_patrol.errors import InputError

__all__ = ["DEFAULT_LANG", "LANGS", "PERIOD_NAMES", "ROLE_NAMES", "SCHOOL_ROLE_NAMES", "check_lang", "officer_id",
           "officer_label", "reason_text", "role_name", "source_lines", "sources_text", "team_text"]

#: The output languages, and the one used when a plan names none.
LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

#: The school-run periods (:data:`geo_patrol.model.PERIODS`) as people say them.
PERIOD_NAMES: Mapping[str, Mapping[str, str]] = {
    "zh": {"morning": "上午", "noon": "中午", "afternoon": "下午"},
    "en": {"morning": "morning", "noon": "noon", "afternoon": "afternoon"},
}

#: An officer's role as people say it.
ROLE_NAMES: Mapping[str, Mapping[str, str]] = {
    "zh": {"police": "民警", "auxiliary": "辅警"},
    "en": {"police": "police", "auxiliary": "auxiliary"},
}

#: The school side of a post's team (:data:`geo_patrol.model.SCHOOL_ROLES`) as people say it.
SCHOOL_ROLE_NAMES: Mapping[str, Mapping[str, str]] = {
    "zh": {"school_cadre": "校领导", "guards": "保安", "staff": "教职工", "volunteers": "志愿者"},
    "en": {"school_cadre": "school cadre", "guards": "guards", "staff": "staff", "volunteers": "volunteers"},
}

#: What is seen and who shows it, the words of the sources' grammar (English is the grammar itself).
_SOURCE_WORDS: Mapping[str, Mapping[str, str]] = {
    "zh": {"officer": "警察", "car": "警车", "lights": "警灯", "post": "护学岗"},
    "en": {},
}

#: One part of the sources: ``what[+what]: unit id HH:MM:SS–HH:MM:SS`` (see :mod:`geo_patrol.sightings`).
_SOURCE = re.compile(r"(?P<what>[a-z]+(?:\+[a-z]+)*): (?P<unit>post|car) (?P<rest>.+)")


def check_lang(lang: str) -> str:
    """``lang`` when it is an output language; an :class:`InputError` otherwise."""
    if lang not in LANGS:
        raise InputError(f"language '{lang}' is not available", field="lang",
                         hint="use " + " or ".join(f"'{k}'" for k in LANGS))
    return lang


def officer_id(unit_id: str, role: str, number: int) -> str:
    """The roster id of the ``number``-th officer of ``role`` a unit fields: ``PS01-police-3``."""
    return f"{unit_id}-{role}-{number}"


def role_name(role: str, lang: str) -> str:
    """``police`` / ``auxiliary`` in ``lang`` (民警 / 辅警); another value as it is."""
    return ROLE_NAMES[check_lang(lang)].get(role, role)


def officer_label(officer: str, role: str, lang: str) -> str:
    """What people read for an officer id: ``PS01-辅警-3`` for ``PS01-auxiliary-3`` in Chinese.

    Only an id of :func:`officer_id`'s form whose role word is the row's ``role`` is relabelled;
    any other id (typed in by a planner) is its own label.
    """
    names = ROLE_NAMES[check_lang(lang)]
    unit, sep, tail = officer.rpartition(f"-{role}-")
    if sep and unit and tail.isdigit() and role in names:
        return f"{unit}-{names[role]}-{tail}"
    return officer


def source_lines(sources: str, lang: str) -> list[str]:
    """The ``;``-separated parts of a coverage row's sources, one per item, in ``lang``."""
    words = _SOURCE_WORDS[check_lang(lang)]
    out = []
    for part in (p.strip() for p in str(sources or "").split(";")):
        if not part:
            continue
        match = _SOURCE.fullmatch(part)
        if match and words:
            what = "+".join(words.get(w, w) for w in match["what"].split("+"))
            part = f"{what}: {words.get(match['unit'], match['unit'])} {match['rest']}"
        out.append(part)
    return out


def sources_text(sources: str, lang: str) -> str:
    """A coverage row's sources in ``lang`` (:func:`source_lines` joined by ``; ``)."""
    return "; ".join(source_lines(sources, lang))


def team_text(team: Iterable[tuple[str, int]] | Mapping[str, int], lang: str) -> str:
    """The school side of a post's team for people: ``校领导 1、保安 2`` / ``1 school cadre, 2 guards``.

    Roles with nobody are left out; an empty team is ``""``.
    """
    names = SCHOOL_ROLE_NAMES[check_lang(lang)]
    items = list(team.items()) if isinstance(team, Mapping) else list(team)
    if lang == "zh":
        return "、".join(f"{names.get(role, role)} {n}" for role, n in items if n)
    return ", ".join(f"{n} {names.get(role, role)}" for role, n in items if n)


# ---------------------------------------------------------------------------------------------
# Why a school-window misses its target

#: A number as the reasons write it (``12``, ``12.5``).
_NUM = r"\d+(?:\.\d+)?"

#: What a window misses, the parts of a reason before its bracket (:mod:`geo_patrol.sightings`).
_MISSES_ZH = tuple((re.compile(pattern), words) for pattern, words in (
    (r"no officer", "未见警察"),
    (r"no car or lights", "未见警车和警灯"),
    (rf"(?P<n>{_NUM}) of (?P<m>{_NUM}) car sightings", "只见警车 {n} 次，要求 {m} 次"),
    (rf"officer present (?P<x>{_NUM})% < (?P<y>{_NUM})%", "警察在场 {x}%，不足 {y}%"),
))

#: What a reason's bracket names before each detail (see ``geo_patrol.plan``): a school without a
#: post, and the routing's code for a missed car (:data:`geo_patrol.patrols.model.REASONS`).
_NOTE_NAMES_ZH: Mapping[str, str] = {
    "no post": "未设护学岗", "fleet_time": "警车时间不够", "priority": "优先级较低",
    "unreachable": "警车赶不到", "no_road": "校门附近无车行道", "window_short": "时间窗太短",
}

#: The details in a reason's bracket: why the post model left a school without a post
#: (:mod:`geo_patrol.posts.planner`) and why the routing dropped its car
#: (:mod:`geo_patrol.patrols.explain`, :mod:`geo_patrol.patrols.planner`).
_DETAILS_ZH = tuple((re.compile(pattern), words) for pattern, words in (
    (r"the school forbids a post \(禁设岗\)", "学校禁设岗"),
    (rf"no post site within (?P<r>{_NUM}) m walking \(none within (?P<x>{_NUM}) m\)",
     "步行 {r} 米内没有可设岗点位（{x} 米内都没有）"),
    (rf"no post site within (?P<r>{_NUM}) m walking \(nearest (?P<d>{_NUM}) m\)",
     "步行 {r} 米内没有可设岗点位（最近 {d} 米）"),
    (rf"officers short at station (?P<station>.+?): no free team there, at a station within (?P<min>{_NUM}) min "
     r"or in a pool", "{station} 所警力不足，本所、{min} 分钟车程内的派出所和警力池都没有空闲的岗组"),
    (rf"post budget of (?P<k>{_NUM}) used: weight (?P<w>{_NUM}) < (?P<w2>{_NUM}) served by the weakest chosen "
     r"post; 1 more post would cover it",
     "护学岗名额 {k} 个已用完，本校权重 {w} 低于所选最弱岗位服务的 {w2}，再设 1 个岗即可覆盖"),
    (rf"post budget of (?P<k>{_NUM}) used elsewhere; 1 more post would cover it",
     "护学岗名额 {k} 个已用在别处，再设 1 个岗即可覆盖"),
    (r"(?P<school>.+?): no patrol car is on shift in the (?P<period>\S+)", "{school} {period}没有在班的巡逻警车"),
    (r"no car has a drivable route to (?P<visit>.+) and back", "没有警车能沿道路往返 {visit}"),
    (r"(?P<visit>.+?) is unreachable: the earliest arrival is (?P<t>\S+) \(a car from station (?P<station>.+?) "
     r"leaving at (?P<t0>\S+)\), after the window (?P<w>\S+)",
     "去 {visit}，{station} 所的警车 {t0} 出发最早 {t} 到达，已过时间窗 {w}"),
    (r"(?P<visit>.+?) is unreachable: a car from station (?P<station>.+?) can arrive at (?P<t>\S+) inside the "
     r"window (?P<w>\S+) but cannot get back in its availability or drive limit",
     "去 {visit}，{station} 所的警车可在时间窗 {w} 内的 {t} 到达，但在当班时间或行驶时长限制内回不了所"),
    (rf"(?P<visit>.+?) \(weight (?P<w>{_NUM})\) gives way to (?P<rival>.+?) \(weight (?P<w2>{_NUM})\): serving it "
     r"would cost that visit", "{visit}（权重 {w}）让位于 {rival}（权重 {w2}）：排上它就会丢掉那次巡逻"),
    (r"(?P<visit>.+?) is reachable \(earliest arrival (?P<t>\S+) from station (?P<station>.+?)\) but every car's "
     r"time is taken by visits of equal or higher weight; (?P<more>.+)",
     "{visit} 可以到达（{station} 所的警车最早 {t} 到），但每辆车的时间都已排给权重相同或更高的巡逻；{more}"),
    (rf"(?P<school>.+?): no drivable road within car_sight_m = (?P<r>{_NUM}) m of any gate \(nearest "
     rf"(?P<d>{_NUM}) m\), so no patrol stop can show it a car: give it a post with a parked car, add a gate that "
     r"faces a road, or raise car_sight_m",
     "{school} 各校门 car_sight_m = {r} 米内没有可通警车的道路（最近 {d} 米），巡逻停靠无法让学校见到警车；"
     "可为它设警车驻岗的护学岗、增设临路的校门，或调大 car_sight_m"),
    (rf"(?P<school>.+?): the (?P<period>\S+) window (?P<w>\S+) is shorter than min_seen_s = (?P<s>{_NUM}) s, so no "
     r"stop is seen long enough in it: lengthen the window or lower min_seen_s",
     "{school} {period}时间窗 {w} 短于 min_seen_s = {s} 秒，任何停靠都不能被看到足够久；请延长时间窗或调低 min_seen_s"),
))

#: What more cars would do, the end of a ``fleet_time`` detail.
_MORE_CARS_ZH = tuple((re.compile(pattern), words) for pattern, words in (
    (rf"(?P<n>{_NUM}) more car\(s\) at station (?P<station>.+?) would serve the (?P<k>{_NUM}) visit\(s\) dropped "
     r"for fleet time nearest to it", "{station} 所再加 {n} 辆车可补上附近 {k} 次巡逻"),
    (r"more cars are needed", "需要更多警车"),
))

#: A routing visit as :func:`geo_patrol.patrols.explain.shown_id` writes it: ``S1 (window 2, visit 2)``.
_VISIT = re.compile(r"(?P<id>.+?) \((?P<extra>(?:window \d+|visit \d+)(?:, visit \d+)?)\)")
_VISIT_WORDS_ZH = {"window": "第 {} 个时间窗", "visit": "第 {} 次巡逻"}

#: A reason: the misses, then in brackets the details (``no officer (no post: …; fleet_time: …)``).
_REASON = re.compile(r"(?P<head>[^()]*?) \((?P<notes>.*)\)", re.DOTALL)
_NOTE_SPLIT = re.compile("; (?=(?:" + "|".join(re.escape(name) for name in _NOTE_NAMES_ZH) + "): )")


def _visit_zh(shown: str) -> str:
    match = _VISIT.fullmatch(shown)
    if not match:
        return shown
    extras = (item.split(" ") for item in match["extra"].split(", "))
    return f"{match['id']}（" + "，".join(_VISIT_WORDS_ZH[word].format(n) for word, n in extras) + "）"


def _phrase_zh(text: str, table) -> str | None:
    """``text`` said by the first pattern of ``table`` it matches whole; None when none does."""
    for pattern, words in table:
        match = pattern.fullmatch(text)
        if match:
            values = dict(match.groupdict())
            for key in ("visit", "rival"):
                if key in values:
                    values[key] = _visit_zh(values[key])
            if "period" in values:
                values["period"] = PERIOD_NAMES["zh"].get(values["period"], values["period"])
            if "more" in values:
                values["more"] = _phrase_zh(values["more"], _MORE_CARS_ZH) or values["more"]
            return words.format(**values)
    return None


def _note_zh(note: str) -> str | None:
    """One detail of a reason's bracket (``fleet_time: …``) in Chinese; None when its name is unknown."""
    name, sep, detail = note.partition(": ")
    if not sep or name not in _NOTE_NAMES_ZH:
        return None
    return f"{_NOTE_NAMES_ZH[name]}：{_phrase_zh(detail, _DETAILS_ZH) or detail}"


def reason_text(reason: str, lang: str) -> str:
    """Why a school-window misses its target (a coverage row's ``reason``) in ``lang``.

    ``no officer; no car or lights (no post: the school forbids a post (禁设岗); fleet_time: S3: no
    patrol car is on shift in the morning)`` reads ``未见警察；未见警车和警灯（未设护学岗：学校禁设岗；
    警车时间不够：S3 上午没有在班的巡逻警车）``. Ids, times, numbers and parameter names stay as they
    are. In English, or when no part is known (a planner's note, a plan from an older version),
    the text is returned as it is; a part not known among known ones is kept as written.
    """
    text = str(reason or "")
    if check_lang(lang) == "en" or not text:
        return text
    match = _REASON.fullmatch(text)
    head, notes = (match["head"], _NOTE_SPLIT.split(match["notes"])) if match else (text, [])
    misses = [(_phrase_zh(part, _MISSES_ZH), part) for part in head.split("; ")]
    details = [(_note_zh(note), note) for note in notes]
    if not any(said for said, _ in misses + details):
        return text
    out = "；".join(said or part for said, part in misses)
    if details:
        out += "（" + "；".join(said or note for said, note in details) + "）"
    return out
