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
- :func:`reason_text`: why a school-window misses its target, from its structured reasons
  (:class:`~geo_patrol.reasons.Reason`, a code and its values) and one template per code in each
  language (:data:`REASON_TEMPLATES`); the English rendering is the ``reason`` column of
  ``coverage.csv``. Ids, times, numbers and parameter names stay as they are.

Roster ids are made by :func:`officer_id`, so that the id and its label share one grammar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence

from geo_patrol.errors import InputError
from geo_patrol.reasons import Reason

__all__ = ["DEFAULT_LANG", "LANGS", "MISS_CODES", "PERIOD_NAMES", "REASON_TEMPLATES", "ROLE_NAMES", "SCHOOL_ROLE_NAMES",
           "check_lang", "officer_id", "officer_label", "reason_text", "reason_words", "role_name", "source_lines",
           "sources_text", "team_text", "visit_label"]

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

#: One template per reason code (:class:`geo_patrol.reasons.Reason`), in every output language.
#: Fields are the reason's values; ``{visit}``/``{rival}`` are routing ids (:func:`visit_label`),
#: ``{period}`` a period (:data:`PERIOD_NAMES`), a field holding a reason is rendered in turn.
REASON_TEMPLATES: Mapping[str, Mapping[str, str]] = {
    # a text kept as it was written (a note of a plan made before reasons were data), and a whole
    # reason read back from such a plan's files: its English words and those in the plan's language
    "as_written": {"en": "{text}", "zh": "{text}"},
    "words": {"en": "{en}", "zh": "{zh}"},
    # what a window misses (geo_patrol.rules.judge_window)
    "no_officer": {"en": "no officer", "zh": "未见警察"},
    "no_car": {"en": "no car or lights", "zh": "未见警车和警灯"},
    "car_sightings": {"en": "{seen} of {needed} car sightings", "zh": "只见警车 {seen} 次，要求 {needed} 次"},
    "no_lights": {"en": "lights off", "zh": "警灯未开"},
    "lights_unknown": {"en": "lights not reported", "zh": "警灯状态未上报"},
    "officer_presence": {"en": "officer present {pct:.1f}% < {needed_pct:.0f}%",
                         "zh": "警察在场 {pct:.1f}%，不足 {needed_pct:.0f}%"},
    # the notes in a reason's bracket: a school without a post, the routing's code for a missed car
    "no_post": {"en": "no post: {detail}", "zh": "未设护学岗：{detail}"},
    "fleet_time": {"en": "fleet_time: {detail}", "zh": "警车时间不够：{detail}"},
    "priority": {"en": "priority: {detail}", "zh": "优先级较低：{detail}"},
    "unreachable": {"en": "unreachable: {detail}", "zh": "警车赶不到：{detail}"},
    "no_road": {"en": "no_road: {detail}", "zh": "校门附近无车行道：{detail}"},
    "window_short": {"en": "window_short: {detail}", "zh": "时间窗太短：{detail}"},
    # why the post model left a school without a post (geo_patrol.posts.planner)
    "post_forbidden": {"en": "the school forbids a post (禁设岗)", "zh": "学校禁设岗"},
    "no_site_far": {"en": "no post site within {radius_m:.0f} m walking (none within {searched_m:.0f} m)",
                    "zh": "步行 {radius_m:.0f} 米内没有可设岗点位（{searched_m:.0f} 米内都没有）"},
    "no_site_near": {"en": "no post site within {radius_m:.0f} m walking (nearest {nearest_m:.0f} m)",
                     "zh": "步行 {radius_m:.0f} 米内没有可设岗点位（最近 {nearest_m:.0f} 米）"},
    "officers_short": {
        "en": "officers short at station {station}: no free team there, at a station within {borrow_min} min or "
              "in a pool",
        "zh": "{station} 所警力不足，本所、{borrow_min} 分钟车程内的派出所和警力池都没有空闲的岗组"},
    "budget_weaker": {
        "en": "post budget of {posts} used: weight {weight:.2f} < {weakest:.2f} served by the weakest chosen post; "
              "1 more post would cover it",
        "zh": "护学岗名额 {posts} 个已用完，本校权重 {weight:.2f} 低于所选最弱岗位服务的 {weakest:.2f}，"
              "再设 1 个岗即可覆盖"},
    "budget_elsewhere": {"en": "post budget of {posts} used elsewhere; 1 more post would cover it",
                         "zh": "护学岗名额 {posts} 个已用在别处，再设 1 个岗即可覆盖"},
    # why the routing dropped a car visit (geo_patrol.patrols.explain, geo_patrol.patrols.planner)
    "no_car_on_shift": {"en": "{school}: no patrol car is on shift in the {period}",
                        "zh": "{school} {period}没有在班的巡逻警车"},
    "no_route": {"en": "no car has a drivable route to {visit} and back", "zh": "没有警车能沿道路往返 {visit}"},
    "arrives_late": {
        "en": "{visit} is unreachable: the earliest arrival is {arrival} (a car from station {station} leaving at "
              "{leaves}), after the window {window}",
        "zh": "去 {visit}，{station} 所的警车 {leaves} 出发最早 {arrival} 到达，已过时间窗 {window}"},
    "cannot_return": {
        "en": "{visit} is unreachable: a car from station {station} can arrive at {arrival} inside the window "
              "{window} but cannot get back in its availability or drive limit",
        "zh": "去 {visit}，{station} 所的警车可在时间窗 {window} 内的 {arrival} 到达，"
              "但在当班时间或行驶时长限制内回不了所"},
    "gives_way": {
        "en": "{visit} (weight {weight}) gives way to {rival} (weight {rival_weight}): serving it would cost that "
              "visit",
        "zh": "{visit}（权重 {weight}）让位于 {rival}（权重 {rival_weight}）：排上它就会丢掉那次巡逻"},
    "fleet_busy": {
        "en": "{visit} is reachable (earliest arrival {arrival} from station {station}) but every car's time is "
              "taken by visits of equal or higher weight; {more}",
        "zh": "{visit} 可以到达（{station} 所的警车最早 {arrival} 到），"
              "但每辆车的时间都已排给权重相同或更高的巡逻；{more}"},
    "more_cars": {
        "en": "{cars} more car(s) at station {station} would serve the {visits} visit(s) dropped for fleet time "
              "nearest to it",
        "zh": "{station} 所再加 {cars} 辆车可补上附近 {visits} 次巡逻"},
    "more_cars_needed": {"en": "more cars are needed", "zh": "需要更多警车"},
    "road_too_far": {
        "en": "{school}: no drivable road within car_sight_m = {car_sight_m:.0f} m of any gate (nearest "
              "{nearest_m:.0f} m), so no patrol stop can show it a car: give it a post with a parked car, add a gate "
              "that faces a road, or raise car_sight_m",
        "zh": "{school} 各校门 car_sight_m = {car_sight_m:.0f} 米内没有可通警车的道路（最近 {nearest_m:.0f} 米），"
              "巡逻停靠无法让学校见到警车；可为它设警车驻岗的护学岗、增设临路的校门，或调大 car_sight_m"},
    "window_too_short": {
        "en": "{school}: the {period} window {window} is shorter than min_seen_s = {seen_s} s, so no stop is seen "
              "long enough in it: lengthen the window or lower min_seen_s",
        "zh": "{school} {period}时间窗 {window} 短于 min_seen_s = {seen_s} 秒，任何停靠都不能被看到足够久；"
              "请延长时间窗或调低 min_seen_s"},
}

#: How a reason's parts are joined: misses, then the notes in brackets.
_JOIN = {"zh": ("；", "（", "）"), "en": ("; ", " (", ")")}

#: A routing visit's extra parts (:func:`visit_label`).
_VISIT_WORDS = {"zh": {"window": "第 {} 个时间窗", "visit": "第 {} 次巡逻"},
                "en": {"window": "window {}", "visit": "visit {}"}}


#: A routing id: the school, then ``#w<window>`` from the second window on, then ``#<visit>``.
_VISIT_ID = re.compile(r"(.+?)(?:#w(\d+))?(?:#(\d+))?", re.DOTALL)


def visit_label(visit_id: str, lang: str) -> str:
    """A routing id as a planner reads it: ``SFX157#w2#2`` → ``SFX157 (window 2, visit 2)``
    (``SFX157（第 2 个时间窗，第 2 次巡逻）``); a school id is itself."""
    match = _VISIT_ID.fullmatch(visit_id)
    school, wave, k = match.groups() if match else (visit_id, None, None)
    words = _VISIT_WORDS[check_lang(lang)]
    extras = ([words["window"].format(wave)] if wave else []) + ([words["visit"].format(k)] if k else [])
    if not extras:
        return school
    return school + (f"（{'，'.join(extras)}）" if lang == "zh" else f" ({', '.join(extras)})")


def reason_words(reason: Reason, lang: str) -> str:
    """One reason (a miss, a note or a detail) in ``lang``, from :data:`REASON_TEMPLATES`."""
    template = REASON_TEMPLATES[reason.code][check_lang(lang)]
    values = {}
    for key, value in reason.values:
        if isinstance(value, Reason):
            value = reason_words(value, lang)
        elif key in ("visit", "rival"):
            value = visit_label(str(value), lang)
        elif key == "period":
            value = PERIOD_NAMES[lang].get(str(value), str(value))
        values[key] = value
    return template.format(**values)


def reason_text(reasons: Sequence[Reason], lang: str) -> str:
    """Why a school-window misses its target, in ``lang``: the misses, then the notes in brackets.

    ``no officer; no car or lights (no post: the school forbids a post (禁设岗); fleet_time: S3: no
    patrol car is on shift in the morning)`` reads ``未见警察；未见警车和警灯（未设护学岗：学校禁设岗；
    警车时间不够：S3 上午没有在班的巡逻警车）``. ``reasons`` are a coverage row's (its ``why``).
    """
    sep, open_, close = _JOIN[check_lang(lang)]
    misses = [reason_words(r, lang) for r in reasons if r.code in MISS_CODES]
    notes = [reason_words(r, lang) for r in reasons if r.code not in MISS_CODES]
    out = sep.join(misses)
    if notes:
        out += open_ + sep.join(notes) + close
    return out


#: The reason codes that say what a window misses (the rest are notes saying why).
MISS_CODES = frozenset({"no_officer", "no_car", "car_sightings", "no_lights", "lights_unknown", "officer_presence",
                        "words"})


class ReasonBook:
    """The reasons a plan folder holds, rendered in any output language.

    ``plan.json`` keeps every missed school-window's reason as data (``reasons``, one entry per
    row of ``summary.uncovered``, in the same order); ``coverage.csv`` keeps the English words
    (``reason``) and the words in the plan's language (``reason_text``). A document in another
    language renders the data; a plan written before reasons were data, or a row whose words
    were edited by hand (they no longer read as its data in English), shows its words as written
    (the plan's language where asked for, else English).
    """

    def __init__(self, meta: Mapping) -> None:
        self.lang = check_lang(str((meta.get("outputs") or {}).get("lang", DEFAULT_LANG)))
        self.entries = [(str(e.get("school_id")), str(e.get("period")), str(e.get("window_start")),
                         tuple(Reason.from_json(r) for r in e.get("why", ())))
                        for e in meta.get("reasons", ()) if isinstance(e, Mapping)]
        self.by_window = {(s, p, w): why for s, p, w, why in self.entries}

    def text(self, school_id: str, period: str, window_start: str, reason: str, written: str, lang: str) -> str:
        """A coverage row's reason in ``lang`` (``window_start`` as ``coverage.csv`` writes it)."""
        why = self.by_window.get((str(school_id), str(period), str(window_start)))
        if why:
            # a reason edited by hand in coverage.csv no longer reads as its data: shown as edited
            return reason_text(why, lang) if reason_text(why, "en") == reason else reason
        if lang == self.lang and written:
            return written
        return reason

    def uncovered_text(self, index: int, reason: str, lang: str) -> str:
        """The reason of ``summary.uncovered[index]`` in ``lang``."""
        if index < len(self.entries) and self.entries[index][3]:
            return reason_text(self.entries[index][3], lang)
        return reason

