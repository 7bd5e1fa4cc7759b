"""The read API: lists in scope (and those of the units above), items of the current version,
versions, and diffs; another street's lists are not even confirmed to exist."""

from __future__ import annotations

import pytest

from yiwang.duties import services
from yiwang.duties.models import ListKind

pytestmark = pytest.mark.django_db


@pytest.fixture
def neighbour_list(tree):
    return services.create_list(region=tree.other_street, kind=ListKind.STREET_STATUTORY, acting_user=None,
                                rows=[{"key": "HF-001", "title": "汉丰街道的事项"}])


def test_grid_worker_sees_the_lists_above_but_not_another_street(client, users, statutory, grid_list, neighbour_list):
    client.force_login(users["worker_a"])
    body = client.get("/api/duties/lists").json()
    assert {item["name"] for item in body["items"]} == {"云枫街道法定职责事项清单", "开州区网格任务清单"}
    assert body["count"] == 2
    row = next(item for item in body["items"] if item["id"] == statutory.pk)
    assert row | {"id": 0} == {"id": 0, "name": "云枫街道法定职责事项清单", "kind": "street_statutory", "kind_label": "法定职责事项清单",
                               "region_code": "500154003000", "region_name": "云枫街道", "current_version": 1, "items": 3, "pending": 0}
    assert client.get(f"/api/duties/lists/{neighbour_list.pk}").status_code == 404
    assert client.get(f"/api/duties/lists/{neighbour_list.pk}/items").status_code == 404
    assert client.get(f"/api/duties/versions/{neighbour_list.current_version_id}").status_code == 404
    assert client.get("/api/duties/lists", {"kind": "grid_tasks"}).json()["count"] == 1


def test_district_sees_every_list(client, users, statutory, grid_list, neighbour_list):
    client.force_login(users["district"])
    assert client.get("/api/duties/lists").json()["count"] == 3
    assert client.get("/api/duties/lists", {"region": "500154001000"}).json()["count"] == 1


def test_items_versions_and_diff(client, users, statutory):
    proposal = services.propose_change(statutory, acting_user=users["street"], reason="调整", changes=[
        {"op": "add", "key": "FD-004", "title": "负责辖区防溺水", "matter_types": "S0008"},
        {"op": "remove", "key": "FD-003"},
    ])
    client.force_login(users["community"])
    items = client.get(f"/api/duties/lists/{statutory.pk}/items").json()
    assert [i["key"] for i in items["items"]] == ["FD-001", "FD-002", "FD-003"]
    first = items["items"][0]
    assert first["matter_types"] == ["community-S0001", "community-S0002"] and first["owner_unit"] == "平安法治办公室"
    assert first["primary"] is None and first["id"] == statutory.items.get(key="FD-001").pk
    pending = client.get(f"/api/duties/lists/{statutory.pk}/items", {"version": 2}).json()
    assert [i["key"] for i in pending["items"]] == ["FD-001", "FD-002", "FD-004"]
    assert client.get(f"/api/duties/lists/{statutory.pk}/items", {"version": 9}).status_code == 404
    assert client.get(f"/api/duties/lists/{statutory.pk}/items", {"q": "消防"}).json()["count"] == 1

    versions = client.get(f"/api/duties/lists/{statutory.pk}/versions").json()
    assert [(v["number"], v["status"], v["based_on"], v["proposed_by"]) for v in versions] == [(2, "proposed", 1, "street"), (1, "approved", None, None)]
    assert client.get(f"/api/duties/lists/{statutory.pk}").json()["pending"] == 1

    diff = client.get(f"/api/duties/versions/{proposal.pk}/diff").json()
    assert ([a["key"] for a in diff["added"]], [r["key"] for r in diff["removed"]], diff["changed"]) == (["FD-004"], ["FD-003"], [])
    between = client.get(f"/api/duties/lists/{statutory.pk}/diff", {"from_version": 1, "to_version": 2}).json()
    assert between == diff
    assert client.get(f"/api/duties/lists/{statutory.pk}/diff", {"from_version": 7}).status_code == 404


def test_residents_and_anonymous_see_nothing(client, users, statutory):
    assert client.get("/api/duties/lists").status_code == 401
    client.force_login(users["resident"])
    assert client.get("/api/duties/lists").json()["count"] == 0
    assert client.get(f"/api/duties/lists/{statutory.pk}").status_code == 404
