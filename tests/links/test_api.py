"""The links API: the missed-cadence list and the regions without a link (scoped, tested here
rather than by tests/test_scope.py), recording a visit that opens a case, creating and ending links."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

import pytest
from django.utils import timezone

from tests.links.factories import link as make_link
from tests.links.factories import linkvisit
from yiwang.cases.models import Case
from yiwang.links.models import Link, LinkVisit

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_missed(tree):
    """A link on each grid, both started long ago with no visit: both missed last month."""
    return make_link(tree.grid_a, starts_on=date(2024, 1, 1)), make_link(tree.grid_b, starts_on=date(2024, 1, 1))


def ids(response) -> set:
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


def test_missed_list_is_scoped(client, users, two_missed):
    mine, neighbours = two_missed
    client.force_login(users["worker_a"])
    assert ids(client.get("/api/links/missed")) == {mine.pk}
    client.force_login(users["worker_b"])
    assert ids(client.get("/api/links/missed")) == {neighbours.pk}
    client.force_login(users["community"])
    body = client.get("/api/links/missed").json()
    assert {item["id"] for item in body["items"]} == {mine.pk, neighbours.pk} and body["count"] == 2
    assert {item["cadence"]["status"] for item in body["items"]} == {"missed"}
    client.force_login(users["resident"])
    assert client.get("/api/links/missed").json()["count"] == 0
    client.logout()
    assert client.get("/api/links/missed").status_code == 401


def test_a_visit_in_the_last_period_takes_a_link_off_the_missed_list(client, users, two_missed):
    mine, _ = two_missed
    last_month = timezone.localdate().replace(day=1) - timedelta(days=3)
    linkvisit(mine.region, link=mine, at=timezone.make_aware(datetime.combine(last_month, time(10))))
    client.force_login(users["community"])
    assert mine.pk not in ids(client.get("/api/links/missed"))
    assert client.get(f"/api/links/{mine.pk}").json()["cadence"]["status"] == "on_track"


def test_unlinked_regions_are_scoped_and_filtered(client, users, tree):
    client.force_login(users["worker_a"])
    body = client.get("/api/links/unlinked").json()
    assert [item["code"] for item in body["items"]] == [tree.grid_a.code]
    client.force_login(users["worker_b"])
    assert [item["code"] for item in client.get("/api/links/unlinked").json()["items"]] == [tree.grid_b.code]
    client.force_login(users["street"])
    assert [item["code"] for item in client.get("/api/links/unlinked").json()["items"]] == [tree.community.code, tree.grid_a.code, tree.grid_b.code]
    make_link(tree.grid_a)
    items = client.get("/api/links/unlinked", {"kind": "unit"}).json()["items"]
    assert [(item["code"], item["linked_kinds"]) for item in items] == [(tree.grid_a.code, ["street_leader"]), (tree.grid_b.code, [])]
    assert [item["code"] for item in client.get("/api/links/unlinked", {"kind": "district_leader"}).json()["items"]] == [tree.community.code]
    assert client.get("/api/links/unlinked", {"kind": "mayor"}).status_code == 422
    client.force_login(users["resident"])
    assert client.get("/api/links/unlinked").json()["count"] == 0


def test_record_a_visit_that_opens_a_case(client, users, tree, matter):
    link = make_link(tree.grid_a, starts_on=date(2024, 1, 1))
    client.force_login(users["worker_a"])
    response = client.post(f"/api/links/{link.pk}/visits", {
        "at": timezone.now().isoformat(), "mode": "face_to_face", "summary": "入户走访", "visitor_names": "刘书记",
        "problems": [{"description": "楼道灯坏了"}, {"description": "两户因漏水争执", "matter": matter.pk}],
    }, content_type="application/json")
    assert response.status_code == 201, response.content
    body = response.json()
    number = body["problems"][1]["case_number"]
    assert body["problems"][0]["case_number"] is None and Case.objects.get(number=number).region == tree.grid_a
    visits = client.get(f"/api/links/{link.pk}/visits").json()
    assert visits["count"] == 1 and visits["items"][0]["problems"][1]["case_number"] == number
    # The neighbour can neither read nor write this link.
    client.force_login(users["worker_b"])
    assert client.get(f"/api/links/{link.pk}/visits").status_code == 404
    assert client.post(f"/api/links/{link.pk}/visits", {"at": timezone.now().isoformat(), "mode": "remote", "summary": "x"},
                       content_type="application/json").status_code == 404


def test_a_refused_visit_answers_422_naming_the_row(client, users, tree, matter, charging):
    link = make_link(tree.grid_a, starts_on=date(2024, 1, 1))
    client.force_login(users["worker_a"])
    response = client.post(f"/api/links/{link.pk}/visits", {
        "at": timezone.now().isoformat(), "mode": "face_to_face", "summary": "走访",
        "problems": [{"description": "纠纷", "matter": matter.pk}, {"description": "充电", "matter": charging.pk}],
    }, content_type="application/json")
    assert response.status_code == 422
    assert list(response.json()["detail"]) == ["problems[2].attribute[location_kind]"]
    assert LinkVisit.objects.count() == 0 and not Case.objects.filter(external_source="link").exists()


def test_create_and_end_links(client, users, tree, units):
    client.force_login(users["street"])
    response = client.post("/api/links", {"kind": "department", "region": tree.grid_a.code, "department": units.department.code,
                                          "contacts_required": 1, "period": "week", "cadence_note": "每周一天驻格",
                                          "primary": "worker_a", "backup": "community"}, content_type="application/json")
    assert response.status_code == 201, response.content
    created = response.json()
    assert created["who"] == "开州区财政局" and created["primary"] == "worker_a" and created["cadence"]["status"] == "new"
    duplicate = client.post("/api/links", {"kind": "alliance_unit", "region": tree.grid_a.code, "department": units.alliance.code},
                            content_type="application/json")
    assert duplicate.status_code == 422 and "region" in duplicate.json()["detail"]
    ended = client.post(f"/api/links/{created['id']}/end", {"reason": "换届"}, content_type="application/json")
    assert ended.status_code == 200 and ended.json()["active"] is False
    assert client.post("/api/links", {"kind": "alliance_unit", "region": tree.grid_a.code, "department": units.alliance.code},
                       content_type="application/json").status_code == 201
    # A grid worker may not set links; a region outside the caller's scope is unknown to it.
    client.force_login(users["worker_a"])
    assert client.post("/api/links", {"kind": "street_leader", "region": tree.grid_a.code, "leader_name": "甲"},
                       content_type="application/json").status_code == 403
    assert client.post("/api/links", {"kind": "street_leader", "region": tree.grid_b.code, "leader_name": "甲"},
                       content_type="application/json").status_code == 422
    assert Link.objects.count() == 2


def test_list_filters(client, users, tree, units):
    leader = make_link(tree.grid_a)
    unit = Link.objects.create(kind="department", region=tree.grid_b, department=units.department, starts_on=date(2025, 1, 1))
    ended = make_link(tree.grid_b, active=False, ends_on=date(2026, 1, 1), starts_on=date(2025, 1, 1))
    client.force_login(users["street"])
    assert ids(client.get("/api/links")) == {leader.pk, unit.pk}
    assert ids(client.get("/api/links", {"kind": "department"})) == {unit.pk}
    assert ids(client.get("/api/links", {"region": tree.grid_b.code})) == {unit.pk}
    assert ids(client.get("/api/links", {"active": "false"})) == {ended.pk}
