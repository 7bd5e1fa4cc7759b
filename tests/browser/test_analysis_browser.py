"""分析研判 in Chromium on a phone: a street user reads a seeded hot spot in plain words, sees the charts
drawn, and finds the statistics (p, q, MAPE, codes) only inside the closed 统计细节."""

from datetime import timedelta

import pytest

from tests.analysis.conftest import AS_OF, make_case, other_grid  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 800}
STATISTICS = ("p=", "q=", "p <", "q <", "MAPE", "MAE", "泊松")


@pytest.fixture(autouse=True)
def _catalogue():
    # See tests/browser/test_cases_browser.py: the matter catalogue may be missing in a transactional test.
    from yiwang.matters import catalogue

    catalogue.ensure()


def _visible_text(page) -> str:
    # innerText leaves out what is not rendered: the content of a closed <details>.
    return page.locator("main").inner_text() if page.locator("main").count() else page.locator("body").inner_text()


def _drawn(page, test_id):
    box = page.get_by_test_id(test_id)
    canvas = box.locator("canvas").first
    canvas.wait_for(state="attached")
    size = canvas.bounding_box()
    assert box.get_attribute("data-state") == "drawn"
    assert size and size["width"] > 0 and size["height"] > 0


def test_street_user_reads_a_hot_spot_in_plain_words_on_a_phone(page, login, live_server, users, tree, make_case, other_grid):  # noqa: F811
    since = AS_OF - timedelta(days=6)
    # Grid A: S0001 every other week for 26 weeks, then 5 in the last week. The other street: 6 new ones.
    make_case.bulk([(since - timedelta(days=14 * k), {}) for k in range(1, 14)] + [(since + timedelta(days=d), {}) for d in range(1, 6)]
                   + [(since + timedelta(days=d), {"region": other_grid}) for d in range(6)])
    login("street")
    page.set_viewport_size(PHONE_SIZE)
    page.goto(f"{live_server.url}/analysis/?as_of={AS_OF.isoformat()}")
    # The sentence first: the grid by name, 5 cases against (13 + 1) / 182 × 7 = 0.54, said as "about 1".
    assert page.get_by_test_id("finding-hotspots-7").inner_text() == f"近7天，这个网格事件明显偏多：{tree.grid_a.name}的邻里纠纷（5件，平时约1件）。"
    # 28 days: the 5 new ones and the one of two weeks before.
    assert page.get_by_test_id("finding-shares").inner_text() == "近28天共6件，都是邻里纠纷。"
    table = page.get_by_test_id("hotspots-7")
    row = table.locator("tbody tr").first
    assert table.locator("tbody tr").count() == 1
    cells = [c.strip() for c in row.locator("td").all_inner_texts()]
    assert cells[:5] == [tree.grid_a.name, "邻里纠纷", "5", "约1件", "明显偏多"]
    href = row.get_by_role("link", name="查看").get_attribute("href")
    assert href.startswith(f"/cases/?region={tree.grid_a.code}&matter=") and href.endswith("&since=2026-03-14&until=2026-03-20&state=cases")
    # The charts are drawn: the stand-out grid against its usual level, and the matters by share.
    _drawn(page, "chart-hotspots-7")
    _drawn(page, "chart-shares")
    # No statistics and no codes outside the closed details; inside them for whoever opens them.
    seen = _visible_text(page)
    assert not [word for word in STATISTICS if word in seen] and tree.grid_a.code not in seen
    assert "汉丰" not in page.content()
    details = page.get_by_test_id("stats-hotspots-7")
    assert details.get_attribute("open") is None
    details.locator("summary").click()
    stats_table = page.get_by_test_id("hotspots-7-stats")
    assert stats_table.is_visible() and tree.grid_a.code in stats_table.inner_text() and "0.54" in stats_table.inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]

    # The forecast tab: the street's next week in words and a weekly line; the error measures folded away.
    page.get_by_role("link", name="预测").click()
    assert page.get_by_test_id("finding-forecast").inner_text().startswith("下周预计约")
    assert tree.street.name in page.get_by_test_id("forecast").inner_text()
    _drawn(page, "chart-forecast")
    seen = _visible_text(page)
    assert not [word for word in STATISTICS if word in seen]
    page.get_by_test_id("stats-forecast").locator("summary").click()
    assert "MAPE" in page.get_by_test_id("forecast-stats").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]


def test_a_period_without_cases_says_so_instead_of_a_chart(page, login, live_server, users, tree):
    login("street")
    page.goto(f"{live_server.url}/analysis/?as_of=2020-01-10")
    chart = page.get_by_test_id("chart-hotspots-7")
    assert chart.inner_text().strip() == "没有比平时偏多的网格。"
    assert chart.get_attribute("data-state") == "empty" and chart.locator("canvas").count() == 0
    assert page.get_by_test_id("finding-hotspots-7").inner_text() == "近7天没有事件。"
    assert page.get_by_test_id("chart-shares").inner_text().strip() == "这段时间没有事件。"
