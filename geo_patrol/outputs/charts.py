"""What-if charts: a PNG line chart of a sweep (posts, police or cars against the result).

Titled and labelled in the output language (``lang="zh"``, default, or ``"en"``): the sweep's keys
(``posts``, ``police``, ``attained_morning`` ...) have names in :data:`LABELS`; shares
(``attained_*``, ``strict_*``, ``with_post_*``, ``*_share``) are drawn as percentages, on the left
axis, and counts beside them on a right axis. Text is set in Noto Sans SC, the font file the map
embeds (:mod:`geo_patrol.outputs.fonts`), so Chinese shows on a machine without Chinese fonts.
"""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator, PercentFormatter

from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic
from geo_patrol.outputs.common import PERIOD_NAMES, language
from geo_patrol.outputs.fonts import font_properties

__all__ = ["LABELS", "plot_whatif", "label"]

#: names of the sweep's keys per language; ``{period}`` keys end in ``_<period>``
LABELS: Mapping[str, Mapping[str, str]] = {
    "zh": {
        "posts": "护学岗数", "police": "民警人数", "auxiliary": "辅警人数", "cars": "警车数",
        "posts_used": "使用护学岗", "police_used": "使用民警", "auxiliary_used": "使用辅警", "cars_used": "出动警车",
        "covered_schools": "覆盖学校数", "covered_enrolment": "覆盖在校人数", "covered_weight": "覆盖权重",
        "marginal_gain_per_post": "每增一岗的增益", "police_needed": "所需民警", "auxiliary_needed": "所需辅警",
        "km": "巡逻里程（公里）", "police_removed": "减少民警", "attained_share": "三见达成率",
        "attained": "三见达成率 · {period}", "strict": "三见达标率（严格） · {period}",
        "with_post": "设护学岗学校占比 · {period}", "title": "{y}随{x}的变化", "share": "占比",
        "strict_share": "三见达标率（严格）", "with_post_share": "设护学岗学校占比",
    },
    "en": {
        "posts": "duty posts", "police": "police officers", "auxiliary": "auxiliary officers", "cars": "patrol cars",
        "posts_used": "posts used", "police_used": "police used", "auxiliary_used": "auxiliary used",
        "cars_used": "cars used", "covered_schools": "schools covered", "covered_enrolment": "pupils covered",
        "covered_weight": "weight covered", "marginal_gain_per_post": "gain per extra post",
        "police_needed": "police needed", "auxiliary_needed": "auxiliary needed", "km": "km driven",
        "police_removed": "police removed", "attained_share": "three sightings attained",
        "attained": "three sightings attained · {period}", "strict": "met, strict · {period}",
        "with_post": "schools with a post · {period}", "title": "{y} by {x}", "share": "share",
        "strict_share": "met, strict", "with_post_share": "schools with a post",
    },
}
_SHARE_PREFIXES = ("attained_", "strict_", "with_post_")


def _is_share(key: str) -> bool:
    return key.startswith(_SHARE_PREFIXES) or key.endswith("_share")


def label(key: str, lang: str = "zh") -> str:
    """The name of a sweep key in ``lang`` (the key itself when it has none)."""
    names = language(lang, LABELS)
    if key in names:
        return names[key]
    for prefix in _SHARE_PREFIXES:
        period = key[len(prefix):]
        if key.startswith(prefix) and period in PERIOD_NAMES[lang]:
            return names[prefix.rstrip("_")].format(period=PERIOD_NAMES[lang][period])
    return key


def plot_whatif(rows: Sequence[Mapping[str, Any]], *, x: str, y: str | Sequence[str], out: str | Path,
                title: str | None = None, x_label: str | None = None, y_label: str | None = None,
                lang: str = "zh") -> Path:
    """Plot a what-if sweep as a PNG line chart and return its path.

    ``rows`` are dicts, one per run (e.g. ``{"police": 40, "attained_share": 0.93}``); ``x`` is
    the key on the horizontal axis and ``y`` one key or several (one line each). Rows are sorted
    by ``x``; a ``None`` y value leaves a gap. Axis labels and the title default to the keys'
    names in ``lang`` (:func:`label`); shares are drawn as percentages. Uses the Agg backend
    through an explicit Figure (no pyplot state).
    """
    ys = [y] if isinstance(y, str) else list(y)
    names = language(lang, LABELS)
    xs, series = _numbers(rows, x, ys)
    font = font_properties()
    shares = [k for k in ys if _is_share(k)]
    counts = [k for k in ys if not _is_share(k)]
    default_y = _default_y_label(shares, counts, names, lang)
    figure, left, right, lines = _chart(xs, series, ys, shares, counts, lang)
    left.set_xlabel(x_label or label(x, lang), fontproperties=font)
    left.set_ylabel(y_label or default_y, fontproperties=font)
    if right is not None:
        right.set_ylabel(label(counts[0], lang) if len(counts) == 1 else "", fontproperties=font)
    shown_y = _title_y(ys, counts, y_label or default_y, lang, given=bool(y_label))
    left.set_title(title or names["title"].format(y=shown_y, x=x_label or label(x, lang)), fontproperties=font)
    left.grid(True, alpha=0.3)
    if len(ys) > 1:
        left.legend(handles=lines, prop=font)
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", metadata={"Software": None})
    return write_atomic(Path(out), buffer.getvalue())


def _title_y(ys: Sequence[str], counts: Sequence[str], y_name: str, lang: str, *, given: bool) -> str:
    """What the title says is drawn: the y axis's name, or every line's name when lines of counts
    share the chart with others (and no y label was ``given``)."""
    if given or len(ys) == 1 or not counts:
        return y_name
    return ("、" if lang == "zh" else ", ").join(label(k, lang) for k in ys)


def _numbers(rows: Sequence[Mapping[str, Any]], x: str, ys: Sequence[str]) -> tuple[list[float], dict[str, list]]:
    """The rows sorted by ``x``: the x values and each y key's values (``nan`` for a gap), checked."""
    if not rows:
        raise InputError("no what-if rows to plot", field="rows", hint="run at least one variant")
    if not ys:
        raise InputError("no y column given", field="y", hint="name at least one key of the rows")
    for i, row in enumerate(rows, start=1):
        for key in [x, *ys]:
            if key not in row:
                raise InputError(f"key '{key}' missing", row=i, field=key,
                                 hint="every row needs the x key and each y key")
    try:
        ordered = sorted(rows, key=lambda r: float(r[x]))
        xs = [float(r[x]) for r in ordered]
        series = {k: [math.nan if r[k] in (None, "") else float(r[k]) for r in ordered] for k in ys}
    except (TypeError, ValueError) as exc:
        raise InputError(f"what-if values must be numbers ({exc})", field=x,
                         hint="give numeric x and y values") from exc
    return xs, series


def _default_y_label(shares: Sequence[str], counts: Sequence[str], names: Mapping[str, str], lang: str) -> str:
    """The left axis's name: the one kind of share drawn, "share" for several kinds, else the first key's."""
    prefixes = {next((p for p in _SHARE_PREFIXES if k.startswith(p)), "") for k in shares}
    if len(shares) > 1 and not counts:
        return names[prefixes.pop() + "share"] if len(prefixes) == 1 and "" not in prefixes else names["share"]
    return label((shares or counts)[0], lang)


def _chart(xs: Sequence[float], series: Mapping[str, list], ys: Sequence[str], shares: Sequence[str],
           counts: Sequence[str], lang: str):
    """The figure with a line per y key: shares on the left axis (as percentages), counts on a
    right axis when both are drawn. Returns the figure, both axes (``None`` for no right one) and the lines."""
    figure = Figure(figsize=(7.0, 4.2), dpi=120)
    FigureCanvasAgg(figure)
    left = figure.add_subplot(1, 1, 1)
    right = left.twinx() if shares and counts else None
    lines = []
    for k in ys:
        axes = right if right is not None and k in counts else left
        (line,) = axes.plot(xs, series[k], marker="o", linewidth=1.8, label=label(k, lang),
                            color=f"C{len(lines)}")
        lines.append(line)
    if shares:
        left.yaxis.set_major_formatter(PercentFormatter(xmax=1.0, decimals=0))
    left.xaxis.set_major_locator(MaxNLocator(integer=all(v.is_integer() for v in xs)))
    return figure, left, right, lines
