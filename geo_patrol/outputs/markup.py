"""The one jinja2 environment every HTML output is built with, and escaping for script context.

Templates live in ``geo_patrol/outputs/templates`` (package data) and are autoescaped: a
``{{ value }}`` is HTML text unless the value is :class:`markupsafe.Markup` built by another
template. Data inside ``<script>`` goes through the ``tojson`` filter (:func:`script_json`): JSON
with ``<``, ``>``, ``&``, ``'``, U+2028 and U+2029 written as ``\\u`` escapes, so no string can end
the script element, open a comment or break a JavaScript string.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, Template, select_autoescape
from markupsafe import Markup

__all__ = ["ENV", "Markup", "render", "script_json", "template"]

_SCRIPT_ESCAPES = (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("'", "\\u0027"),
                   ("\u2028", "\\u2028"), ("\u2029", "\\u2029"))


def script_json(value: Any) -> Markup:
    """``value`` as JSON that is safe inside an HTML ``<script>`` element (and in a JS string).

    Keys are sorted; text other than the escaped characters stays as written (UTF-8, not
    ``\\uXXXX``), so Chinese names keep their size and stay readable in the page source.
    """
    text = json.dumps(value, ensure_ascii=False, sort_keys=True)
    for char, escaped in _SCRIPT_ESCAPES:
        text = text.replace(char, escaped)
    return Markup(text)


ENV = Environment(
    loader=PackageLoader("geo_patrol", "outputs/templates"),
    autoescape=select_autoescape(enabled_extensions=("html", "htm", "xml"), default_for_string=True, default=True),
    undefined=StrictUndefined,
    trim_blocks=True,
    lstrip_blocks=True,
    keep_trailing_newline=True,
)
ENV.filters["tojson"] = script_json


def template(name: str) -> Template:
    """A template of ``geo_patrol/outputs/templates``."""
    return ENV.get_template(name)


def render(name: str, context: Mapping[str, Any] | None = None, /, **values: Any) -> Markup:
    """Render a template to markup (its own output is trusted: every value in it was escaped)."""
    return Markup(ENV.get_template(name).render({**(context or {}), **values}))
