"""The command screen's live feed shows times in 北京时间 (the server's TIME_ZONE), also in a
browser set to another zone: a desk in New York sees the same clock as the wall in the district."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.cases.conftest import matters, report  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _catalogue_and_tasks(settings):
    # See tests/browser/test_cases_browser.py: the matter catalogue may be missing in a transactional test.
    from yiwang.matters import catalogue

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()


def _as_shown(moment, zone: str) -> str:
    """The feed's month/day hour:minute, as zh-CN writes it (12/07 10:30)."""
    return moment.astimezone(ZoneInfo(zone)).strftime("%m/%d %H:%M")


def test_the_feed_shows_beijing_time_in_a_browser_set_to_new_york(browser, live_server, users, tree, report, settings):  # noqa: F811
    from yiwang.cases.models import CaseEvent

    assert settings.TIME_ZONE == "Asia/Shanghai"
    case = report("S0001").case
    reported_at = (timezone.now() - timedelta(hours=2)).replace(second=0, microsecond=0)
    CaseEvent.objects.filter(case=case, action="report").update(at=reported_at)

    context = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN", timezone_id="America/New_York")
    page = context.new_page()
    try:
        assert page.evaluate("Intl.DateTimeFormat().resolvedOptions().timeZone") == "America/New_York"
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", "street")
        page.fill("input[name=password]", "Yiwang-test-2026")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/map/**")
        page.goto(f"{live_server.url}/command/")
        item = page.locator(f"#feed li[data-number='{case.number}']")
        expect(item).to_be_visible()
        beijing, new_york = _as_shown(reported_at, "Asia/Shanghai"), _as_shown(reported_at, "America/New_York")
        assert beijing != new_york
        expect(item).to_contain_text(beijing)
        expect(item).not_to_contain_text(new_york)
        # The "updated at" clock is Beijing's too: its hour is Beijing's hour now (give or take a minute's turn).
        state = page.locator("#feed-state")
        expect(state).to_contain_text("更新于")
        hours = {(timezone.now() + timedelta(minutes=m)).astimezone(ZoneInfo("Asia/Shanghai")).strftime("%H:") for m in (-1, 0, 1)}
        assert any(f"更新于 {h}" in state.inner_text() for h in hours)
    finally:
        context.close()
