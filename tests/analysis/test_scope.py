"""Scope of the 分析研判 page and API: a street sees its own hot spots and never another street's;
roles without a command center are refused; a region outside the scope is 404."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.analysis.scope_endpoints import SEPARATELY_TESTED

from .conftest import AS_OF

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_streets(tree, make_case, other_grid):
    """Five new S0001 cases in grid A (云枫街道) and five in a grid of 汉丰街道, same days, same addresses and caller."""
    specs = []
    for region, tag in ((tree.grid_a, "云枫"), (other_grid, "汉丰")):
        specs += [(AS_OF - timedelta(days=d), {"region": region, "address": f"{tag}路1号", "lon": 108.302 if tag == "云枫" else 108.45,
                                               "lat": 31.105, "phone": "13800138000" if tag == "云枫" else "13700137000"}) for d in range(5)]
    make_case.bulk(specs)
    return other_grid


def _grids(body):
    return {item["grid_code"] for window in body["windows"] for item in window["items"]}


def test_street_sees_its_hot_spot_not_the_other_streets(client, users, tree, two_streets):
    client.force_login(users["street"])
    body = client.get("/api/analysis/hotspots", {"as_of": AS_OF.isoformat()}).json()
    assert _grids(body) == {tree.grid_a.code}
    item = body["windows"][0]["items"][0]
    assert (body["windows"][0]["days"], item["observed"], item["matter"]) == (7, 5, "邻里纠纷")
    assert client.get("/api/analysis/hotspots", {"region": tree.other_street.code}).status_code == 404
    assert client.get("/analysis/", {"region": two_streets.code}).status_code == 404
    page = client.get("/analysis/", {"as_of": AS_OF.isoformat()}).content.decode()
    assert tree.grid_a.name in page and two_streets.name not in page


def test_district_sees_both_and_narrows_to_one(client, users, tree, two_streets):
    client.force_login(users["district"])
    assert _grids(client.get("/api/analysis/hotspots", {"as_of": AS_OF.isoformat(), "window": 7}).json()) == {tree.grid_a.code, two_streets.code}
    narrowed = client.get("/api/analysis/hotspots", {"as_of": AS_OF.isoformat(), "window": 7, "region": tree.other_street.code}).json()
    assert _grids(narrowed) == {two_streets.code}


@pytest.mark.parametrize("path", sorted(SEPARATELY_TESTED))
def test_every_endpoint_keeps_to_the_street(client, users, tree, two_streets, path):
    client.force_login(users["street"])
    params = {"as_of": AS_OF.isoformat(), "until": AS_OF.isoformat(), "since": (AS_OF - timedelta(days=6)).isoformat()}
    response = client.get(path, params)
    assert response.status_code == 200, response.content
    body = response.content.decode()
    assert "汉丰" not in body  # no grid, street, address or case of the other street
    if path.endswith(("addresses", "callers", "clusters")):
        assert response.json()["items"], f"{path}: the street's own rows are missing"
    if path.endswith("callers"):
        assert "13800138000" not in body
    assert client.get(path, {**params, "region": tree.other_street.code}).status_code == 404


@pytest.mark.parametrize("role", ["worker_a", "department", "resident"])
def test_roles_without_a_command_center_are_refused(client, users, role, tree):
    client.force_login(users[role])
    assert client.get("/api/analysis/hotspots").status_code == 403
    assert client.get("/analysis/").status_code == 403


def test_anonymous_is_sent_to_log_in(client, tree):
    assert client.get("/analysis/").status_code == 302
    assert client.get("/api/analysis/hotspots").status_code == 401


def test_bad_parameters_name_the_field(client, users, tree):
    client.force_login(users["street"])
    response = client.get("/api/analysis/addresses", {"since": "2026-03-20", "until": "2026-03-01"})
    assert response.status_code == 422 and "since" in response.content.decode()
    page = client.get("/analysis/", {"tab": "addresses", "since": "2026-13-01"})
    assert page.status_code == 200 and "起始日期：日期格式应为 YYYY-MM-DD" in page.content.decode()


@pytest.mark.parametrize("tab", ["hotspots", "addresses", "callers", "clusters", "workload", "forecast"])
def test_every_tab_renders_for_a_community(client, users, tree, two_streets, tab):
    client.force_login(users["community"])
    response = client.get("/analysis/", {"tab": tab, "as_of": AS_OF.isoformat()})
    assert response.status_code == 200
    assert "汉丰" not in response.content.decode()


def test_the_page_opens_with_plain_words_and_keeps_the_statistics_in_details(client, users, tree, make_case):
    from datetime import timedelta

    since = AS_OF - timedelta(days=6)
    make_case.bulk([(since - timedelta(days=14 * k), {}) for k in range(1, 14)] + [(since + timedelta(days=d), {}) for d in range(1, 6)])
    client.force_login(users["street"])
    page = client.get("/analysis/", {"as_of": AS_OF.isoformat()}).content.decode()
    assert f"近7天，这个网格事件明显偏多：{tree.grid_a.name}的邻里纠纷（5件，平时约1件）。" in page
    details = page[page.index('data-testid="stats-hotspots-7"'):]
    # Codes and p only under 统计细节 (elsewhere a code is only inside a link's address).
    assert f'<td class="mono">{tree.grid_a.code}</td>' in details and f">{tree.grid_a.code}<" not in page[:len(page) - len(details)]
    assert "<th class=\"num\">p</th>" in details and "<th class=\"num\">p</th>" not in page[:len(page) - len(details)]
    assert '<script id="analysis-charts" type="application/json">' in page and "<script>" not in page
