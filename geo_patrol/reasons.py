"""Why a school-window misses its target, as data: a code and its values.

A :class:`Reason` is made where the decision is made — the rule engine (:mod:`geo_patrol.rules`)
for what a window misses, the post model (:mod:`geo_patrol.posts.planner`) for a school left
without a post, the routing (:mod:`geo_patrol.patrols.explain`, :mod:`geo_patrol.patrols.planner`)
for a car that could not come — and only :mod:`geo_patrol.labels` turns it into words, in
Chinese or English, from one template per code (:data:`geo_patrol.labels.REASON_TEMPLATES`).
Values are plain JSON values (text, whole numbers, decimals), so a reason goes into ``plan.json``
and comes back equal (:meth:`Reason.to_json`, :meth:`Reason.from_json`).

A coverage row's reason is a list: what the window misses (``no_officer``, ``no_car``,
``car_sightings``, ``officer_presence``), then the notes that say why (``no_post`` with the post
model's detail, a routing code such as ``fleet_time`` with the routing's detail).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Reason"]


@dataclass(frozen=True)
class Reason:
    """One reason: ``code`` names its template; ``values`` fill it (name → JSON value).

    A value may itself be a :class:`Reason` (a detail inside a note, such as the routing's
    sentence inside ``fleet_time``), or a tuple of them.
    """

    code: str
    values: tuple[tuple[str, Any], ...] = ()

    @classmethod
    def of(cls, code: str, **values: Any) -> Reason:
        """``Reason.of("car_sightings", seen=1, needed=2)``."""
        return cls(code, tuple(values.items()))

    def get(self, name: str, default: Any = None) -> Any:
        for key, value in self.values:
            if key == name:
                return value
        return default

    @property
    def fields(self) -> dict[str, Any]:
        return dict(self.values)

    def to_json(self) -> dict[str, Any]:
        """``{"code": ..., name: value...}``, nested reasons as such objects."""
        return {"code": self.code, **{k: _to_json(v) for k, v in self.values}}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Reason:
        return cls(str(data["code"]), tuple((k, _from_json(v)) for k, v in data.items() if k != "code"))


def _to_json(value: Any) -> Any:
    if isinstance(value, Reason):
        return value.to_json()
    if isinstance(value, tuple):
        return [_to_json(v) for v in value]
    return value


def _from_json(value: Any) -> Any:
    if isinstance(value, Mapping) and "code" in value:
        return Reason.from_json(value)
    if isinstance(value, list):
        return tuple(_from_json(v) for v in value)
    return value
