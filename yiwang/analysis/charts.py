"""What the 分析研判 charts draw, as plain data for the page's script (analysis/charts.js).

Each chart is {"kind": "bars" | "line", "categories": [...], "series": [{"name", "data", "role"}]}; an
empty `categories` list means "no data" and the page says so instead of drawing.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils.translation import gettext

CHART_WEEKS = 26  # the weekly line shows half a year
CHART_BARS = 10  # bars per chart; the tables below hold the rest


def hotspot_chart(window) -> dict:
    """The cells that stand out (flagged first, then the slightly raised ones): the window's count beside the usual level."""
    spots = (window.hotspots + window.elevated)[:CHART_BARS]
    return {"kind": "bars", "categories": [f"{s.grid.name}·{s.matter.name}" for s in spots],
            "series": [{"name": gettext("近%(days)s天") % {"days": window.days}, "data": [s.observed for s in spots], "role": "actual"},
                       {"name": gettext("平时水平"), "data": [round(s.expected, 1) for s in spots], "role": "usual"}]}


def share_chart(shares) -> dict:
    """Cases per matter, largest first, the rest as 其他."""
    categories = [m.name for m in shares.matters]
    data = [m.count for m in shares.matters]
    if shares.total and shares.others:
        categories.append(gettext("其他"))
        data.append(shares.others)
    return {"kind": "bars", "categories": categories if shares.total else [],
            "series": [{"name": gettext("件数"), "data": data, "role": "actual"}]}


def forecast_chart(total) -> dict:
    """The last weeks' counts, each labelled by its last day, and next week's forecast as a dashed step."""
    weeks = total.weeks[-CHART_WEEKS:]
    if not weeks:
        return {"kind": "line", "categories": [], "series": []}
    ends = total.week_ends()[-CHART_WEEKS:]
    categories = [d.strftime("%m-%d") for d in ends]
    actual = list(weeks)
    series = [{"name": gettext("每周件数"), "data": actual, "role": "actual"}]
    if total.forecast is not None:
        categories.append((total.as_of + timedelta(days=7)).strftime("%m-%d"))
        actual.append(None)
        series.append({"name": gettext("下周预计"), "data": [None] * (len(weeks) - 1) + [weeks[-1], round(total.forecast, 1)],
                       "role": "forecast"})
    return {"kind": "line", "categories": categories, "series": series}
