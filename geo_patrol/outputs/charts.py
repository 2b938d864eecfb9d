"""What-if charts: a PNG line chart of a sweep (posts, police or cars against the result)."""

from __future__ import annotations

import io
import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import matplotlib
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from geo_patrol.errors import InputError
from geo_patrol.io.atomic import write_atomic

__all__ = ["plot_whatif"]


_CJK_FONTS = ["Noto Sans CJK SC", "Source Han Sans SC", "Microsoft YaHei", "PingFang SC",
              "WenQuanYi Micro Hei", "SimHei", "DejaVu Sans"]


def plot_whatif(rows: Sequence[Mapping[str, Any]], *, x: str, y: str | Sequence[str], out: str | Path,
                title: str | None = None, x_label: str | None = None, y_label: str | None = None) -> Path:
    """Plot a what-if sweep as a PNG line chart and return its path.

    ``rows`` are dicts, one per run (e.g. ``{"police": 40, "attained_share": 0.93}``); ``x`` is
    the key on the horizontal axis and ``y`` one key or several (one line each). Rows are sorted
    by ``x``; a ``None`` y value leaves a gap. Axis labels default to the keys. Uses the Agg
    backend through an explicit Figure (no pyplot state).
    """
    ys = [y] if isinstance(y, str) else list(y)
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
        series = {k: [math.nan if r[k] is None else float(r[k]) for r in ordered] for k in ys}
    except (TypeError, ValueError) as exc:
        raise InputError(f"what-if values must be numbers ({exc})", field=x,
                         hint="give numeric x and y values") from exc
    with matplotlib.rc_context({"font.family": "sans-serif",
                                "font.sans-serif": _CJK_FONTS + list(matplotlib.rcParams["font.sans-serif"]),
                                "axes.unicode_minus": False}):
        figure = Figure(figsize=(7.0, 4.2), dpi=120)
        FigureCanvasAgg(figure)
        axes = figure.add_subplot(1, 1, 1)
        for key, values in series.items():
            axes.plot(xs, values, marker="o", linewidth=1.8, label=key)
        axes.set_xlabel(x_label or x)
        axes.set_ylabel(y_label or (ys[0] if len(ys) == 1 else ", ".join(ys)))
        if title:
            axes.set_title(title)
        axes.grid(True, alpha=0.3)
        if len(ys) > 1:
            axes.legend()
        figure.tight_layout()
        buffer = io.BytesIO()
        figure.savefig(buffer, format="png")
    return write_atomic(Path(out), buffer.getvalue())
