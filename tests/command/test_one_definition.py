"""One definition per indicator, everywhere: every tile of the command screen, at every level, counts
exactly the cases of the list its link opens (the /cases/ page and /api/cases with the same filters),
and the daily sheet and the weekly report count 超期 as the screen does."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qsl, urlsplit

import pytest
from django.utils import timezone

from yiwang.cases.models import Case

pytestmark = pytest.mark.django_db


def _page_count(client, url: str) -> int:
    response = client.get(url)
    assert response.status_code == 200, (url, response.content[:300])
    return int(re.search(rb'data-testid="case-count">(\d+)<', response.content).group(1))


def _api_count(client, url: str) -> int:
    params = dict(parse_qsl(urlsplit(url).query))
    response = client.get("/api/cases", {**params, "limit": 1})
    assert response.status_code == 200, (url, response.content[:300])
    return response.json()["count"]


# Each tile's figure and the key of its link (screen.Screen.tile_links).
TILES = {"today_reported": "today_reported", "open_now": "open_now", "overdue_now": "overdue_now", "period_cases": "period_cases",
         "period_closed_on_time": "period_closed_on_time", "period_judged": "period_judged", "period_satisfied": "period_satisfied",
         "period_rated": "period_rated"}


def test_every_tile_at_every_level_counts_its_list(client, users, tree, cases):
    client.force_login(users["district"])
    checked = nonzero = 0
    for place in (tree.district, tree.street, tree.community, tree.grid_a, tree.micro_a1):
        kpi = client.get("/api/command/kpi", {"region": place.code}).json()
        for scope, links in kpi["links"].items():
            figures = kpi["total"] if scope == "total" else kpi["by_board"][scope]
            for figure, link in TILES.items():
                url = links[link]
                expected = figures[figure]
                assert _page_count(client, url) == expected, (place.name, scope, figure, url)
                assert _api_count(client, url) == expected, (place.name, scope, figure, url)
                checked += 1
                nonzero += expected > 0
    # Not vacuous: most tiles had something to count.
    assert checked == 5 * 5 * len(TILES) and nonzero > checked // 3


def test_the_daily_sheet_and_the_weekly_report_count_overdue_as_the_screen(client, users, tree, cases):
    from yiwang.reviews.figures import monday_of, weekly_figures
    from yiwang.reviews.selectors import daily_sheet

    client.force_login(users["district"])
    today = timezone.localdate()
    week = monday_of(today)
    seen_overdue = 0
    for place in (tree.district, tree.street, tree.community):
        kpi = client.get("/api/command/kpi", {"region": place.code}).json()
        overdue_list = _page_count(client, f"/cases/?region={place.code}&state=overdue")
        sheet = daily_sheet(Case.objects.all(), region=place)
        assert kpi["total"]["overdue_now"] == overdue_list == sheet.overdue == _api_count(client, f"/api/cases?region={place.code}&overdue=true")
        # The sheet's red and yellow steps are the lists of the same names.
        assert sheet.step_overdue == _page_count(client, f"/cases/?region={place.code}&state=step_overdue")
        assert sheet.warning == _page_count(client, f"/cases/?region={place.code}&state=warning")
        seen_overdue += overdue_list

        weekly = weekly_figures(region=place, week_start=week)
        kpis = {row["key"]: row["this"] for row in weekly["kpis"]}
        span = f"region={place.code}&since={week.isoformat()}&until={(week + timedelta(days=6)).isoformat()}"
        assert kpis["cases"] == _page_count(client, f"/cases/?{span}&state=cases")
        assert kpis["closed"] == _page_count(client, f"/cases/?{span}&state=closed")
        assert kpis["open_overdue"] == _page_count(client, f"/cases/?{span}&state=overdue")
        # The backlog of overdue units is every open case past its deadline, whenever reported.
        assert sum(unit["open_overdue"] for unit in weekly["overdue_units"]) == overdue_list
        # The weekly report's national indicators are the screen's over the same cases.
        national = {row["key"]: (row["this_numerator"], row["this_denominator"]) for row in weekly["national"]}
        assert set(national) == {row["key"] for row in kpi["national"]}
    assert seen_overdue > 0
