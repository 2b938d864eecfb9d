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

Roster ids are made by :func:`officer_id`, so that the id and its label share one grammar.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from geo_patrol.errors import InputError

__all__ = ["DEFAULT_LANG", "LANGS", "ROLE_NAMES", "check_lang", "officer_id", "officer_label", "role_name",
           "source_lines", "sources_text"]

#: The output languages, and the one used when a plan names none.
LANGS = ("zh", "en")
DEFAULT_LANG = "zh"

#: An officer's role as people say it.
ROLE_NAMES: Mapping[str, Mapping[str, str]] = {
    "zh": {"police": "民警", "auxiliary": "辅警"},
    "en": {"police": "police", "auxiliary": "auxiliary"},
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
