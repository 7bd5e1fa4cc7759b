"""分析研判 in Chromium on a phone: a street user opens the page and reads a seeded hot spot with its numbers."""

from datetime import timedelta

import pytest

from tests.analysis.conftest import AS_OF, make_case, other_grid  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 800}


@pytest.fixture(autouse=True)
def _catalogue():
    # See tests/browser/test_cases_browser.py: the matter catalogue may be missing in a transactional test.
    from yiwang.matters import catalogue

    catalogue.ensure()


def test_street_user_reads_a_hot_spot_on_a_phone(page, login, live_server, users, tree, make_case, other_grid):  # noqa: F811
    since = AS_OF - timedelta(days=6)
    # Grid A: S0001 every other week for 26 weeks, then 5 in the last week. The other street: 6 new ones.
    make_case.bulk([(since - timedelta(days=14 * k), {}) for k in range(1, 14)] + [(since + timedelta(days=d), {}) for d in range(1, 6)]
                   + [(since + timedelta(days=d), {"region": other_grid}) for d in range(6)])
    login("street")
    page.set_viewport_size(PHONE_SIZE)
    page.goto(f"{live_server.url}/analysis/?as_of={AS_OF.isoformat()}")
    table = page.get_by_test_id("hotspots-7")
    row = table.locator("tbody tr").first
    assert table.locator("tbody tr").count() == 1
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    # grid, matter, observed 5, expected (13 + 1) / 182 × 7 = 0.54, ratio 9.3
    assert cells[:5] == [tree.grid_a.name, "邻里纠纷", "5", "0.54", "9.3"]
    assert "汉丰" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]
    href = row.get_by_role("link", name="查看").get_attribute("href")
    assert href.startswith(f"/cases/?region={tree.grid_a.code}&matter=") and href.endswith("&since=2026-03-14&until=2026-03-20&state=cases")
    # The forecast tab shows the street's next week beside its error.
    page.get_by_role("link", name="预测").click()
    forecast = page.get_by_test_id("forecast")
    assert tree.street.name in forecast.inner_text() and "MAE" in forecast.inner_text()
