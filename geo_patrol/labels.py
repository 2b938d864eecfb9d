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

Roster ids are made by :func:`officer_id`, so that the id and its label share one grammar.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from geo_patrol.errors import InputError

__all__ = ["DEFAULT_LANG", "LANGS", "ROLE_NAMES", "SCHOOL_ROLE_NAMES", "check_lang", "officer_id", "officer_label",
           "role_name", "source_lines", "sources_text", "team_text"]

#: The output languages, and the one used when a plan names none.
LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

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
