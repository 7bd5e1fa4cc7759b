"""The big screen (大屏): one page for the desk and, with ?wall=1, for the wall display.

The page renders the KPI tiles, breadcrumbs and filters on the server and embeds the map layer,
trend and rankings as JSON (all rollup reads); the case points, key-person heat, devices, care
coverage and the live feed are fetched by the page from /api/command/ (see api.py).
"""

from __future__ import annotations

from datetime import date
from urllib.parse import urlencode

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from yiwang.cases import supervision
from yiwang.core.scope import scope_path
from yiwang.matters.models import Board, MatterType

from . import figures, places
from .screen import Screen

BOARD_LABELS = dict(Board.choices)
# Translated where shown.
RANK_LABELS = {"region": gettext_noop("下级单位"), "grid": gettext_noop("网格"), "department": gettext_noop("部门")}
DAYS_LABELS = {7: gettext_noop("近7天"), 30: gettext_noop("近30天"), 90: gettext_noop("近90天"), 365: gettext_noop("近一年")}


def supervision_tile(user, place) -> dict:
    """Open supervision orders (督办) and the overdue ones under the screen's place, each linking to its list."""
    counts = supervision.counts(user, region=place)
    base = {"region": place.code} if place is not None else {}
    link = reverse("supervision-list")
    return {**counts, "open_url": f"{link}?{urlencode({**base, 'status': 'open'})}", "overdue_url": f"{link}?{urlencode({**base, 'status': 'overdue'})}",
            "all_url": f"{link}?{urlencode(base)}" if base else link}


@login_required
def index(request):
    try:
        screen = Screen.read(request.user, request.GET)
    except ValidationError as exc:
        # A bad filter shows the default screen with the reason, rather than an error page.
        params = {k: v for k, v in request.GET.items() if k not in exc.message_dict}
        screen = Screen.read(request.user, params)
        problem = "；".join(f"{k}: {'; '.join(v)}" for k, v in exc.message_dict.items())
    else:
        problem = ""
    today = timezone.localdate()
    place, period = screen.place, screen.period
    kpi = figures.kpi(place, period=period, boards=screen.boards, matter=screen.matter_id)
    shown_boards = list(kpi["by_board"])
    tiles = {"total": kpi["total"], "boards": [
        {"code": b, "label": BOARD_LABELS[b], "figures": kpi["by_board"][b], "links": screen.tile_links(board=b, today=today)}
        for b in shown_boards]}
    rankings = {by: figures.ranking(place, period=period, by=by, boards=screen.boards, matter=screen.matter_id)
                for by in [*screen.rank_options, "department"]}
    for by, rows in rankings.items():
        for row in rows:
            row["list_url"] = (screen.list_url("cases", department=row["key"]) if by == "department"
                               else screen.list_url("cases", region=row["code"]))
            row["drill_url"] = "" if by == "department" else "?" + screen.query(region=row["code"])
    trend = figures.trend(place, period=period, boards=screen.boards, matter=screen.matter_id)
    for row in trend:
        row["list_url"] = screen.list_url("cases", day=date.fromisoformat(row["day"]))
    layer = figures.map_layer(place, period=period, indicator=screen.indicator, boards=screen.boards, matter=screen.matter_id)
    for feature in layer["features"]:
        feature["properties"]["drill_url"] = "?" + screen.query(region=feature["properties"]["code"]) if feature["properties"]["drill"] else ""
        feature["properties"]["list_url"] = screen.list_url("cases", region=feature["properties"]["code"])
    top = scope_path(request.user) or ""
    crumbs = [{"name": r.name, "code": r.code, "url": "?" + screen.query(region=r.code)} for r in places.breadcrumbs(place, top=top)]
    own_is_city = top == ""
    return render(request, "command/index.html", {
        "screen": screen, "place": place, "period": period, "problem": problem, "tiles": tiles,
        "total_links": screen.tile_links(today=today), "today": today, "national": kpi["national"],
        "supervision": supervision_tile(request.user, place),
        "crumbs": crumbs, "city_crumb": own_is_city, "city_url": "?" + screen.query(region=""),
        "wall_url": "?" + screen.query(wall="1"), "desk_url": "?" + screen.query(wall=""),
        "boards": Board.choices, "days_options": [(d, DAYS_LABELS[d]) for d in figures.PERIOD_DAYS],
        "indicators": figures.MAP_INDICATORS.items(),
        "matters": MatterType.objects.filter(active=True).order_by("board", "code").only("pk", "name", "code", "board"),
        "screen_data": {
            "layer": layer, "trend": trend, "rankings": rankings,
            "rank_labels": {k: _(v) for k, v in RANK_LABELS.items()},
            "query": screen.query(), "place": screen.code, "place_name": place.name if place else _("全市"),
            "indicator": screen.indicator, "wall": screen.wall,
        },
    })
