"""Data scope, generated over every scoped model and every list/detail endpoint of the API:
a grid worker scoped to grid A sees all of A's rows and nothing of neighbouring grid B."""

from __future__ import annotations

import re

import pytest

from tests import factories
from yiwang.routers import api
from yiwang.cases.models import Case, SupervisionOrder
from yiwang.points.models import PointEntry
from yiwang.core.scope import scoped_models
from yiwang.forces.models import Assignment, DutyShift, ForceMember
from yiwang.party.models import PartyMember, PartyOrganization
from yiwang.regions.models import Region
from yiwang.registry.models import Building, Component, House, Household, Person, PersonAccessGrant, Place

# Every GET endpoint of the API is listed here: scoped list endpoints, scoped detail endpoints
# (with the model behind the path parameter) and the few that are about the caller or tested
# separately. A new endpoint that is in none of them fails test_every_endpoint_is_classified.
LIST_ENDPOINTS = {
    "/api/regions": Region,
    "/api/registry/persons": Person,
    "/api/registry/buildings": Building,
    "/api/registry/houses": House,
    "/api/registry/households": Household,
    "/api/registry/places": Place,
    "/api/registry/components": Component,
    "/api/registry/grants": PersonAccessGrant,
    "/api/party/organizations": PartyOrganization,
    "/api/party/members": PartyMember,
    "/api/forces/members": ForceMember,
    "/api/forces/assignments": Assignment,
    "/api/forces/shifts": DutyShift,
    "/api/cases": Case,
    "/api/points/entries": PointEntry,
    "/api/supervision/orders": SupervisionOrder,
}
DETAIL_ENDPOINTS = {
    "/api/regions/{code}": Region,
    "/api/regions/{code}/children": Region,
    "/api/registry/persons/{person_id}": Person,
    "/api/registry/buildings/{building_id}": Building,
    "/api/registry/houses/{house_id}": House,
    "/api/registry/households/{household_id}": Household,
    "/api/registry/places/{place_id}": Place,
    "/api/registry/components/{component_id}": Component,
    "/api/party/organizations/{org_id}": PartyOrganization,
    "/api/party/members/{member_id}": PartyMember,
    "/api/forces/members/{member_id}": ForceMember,
    "/api/forces/assignments/{assignment_id}": Assignment,
    "/api/forces/shifts/{shift_id}": DutyShift,
    "/api/cases/{number}": Case,
    "/api/cases/{number}/duplicates": Case,
    "/api/supervision/orders/{order_id}": SupervisionOrder,
}
# Inbox, summons counts: tests/cases/test_api.py.
SEPARATELY_TESTED = {"/api/me", "/api/tokens", "/api/regions/locate/point", "/api/party/coverage", "/api/cases/inbox", "/api/cases/summons/yearly",
                     "/api/cases/indicators", "/api/points/monthly",
                     # The maps' own base (outlines, buildings and places by view): tests/regions/test_basemap.py.
                     "/api/regions/basemap/outlines", "/api/regions/basemap/public-outlines", "/api/registry/basemap", "/api/registry/basemap/public",
                     # Reference data, no rows (GB/T 31000's classes): tests/registry/test_groups.py.
                     "/api/registry/groups"}

for _app in ("duties", "links", "ab_roles", "activities", "gridwork", "campaigns", "wishes", "volunteers", "pointsbank", "deliberation", "votes", "alliance", "assessment",
             "command", "analysis", "reviews", "exports"):
    _module = __import__(f"tests.{_app}.scope_endpoints", fromlist=["LIST_ENDPOINTS"])
    LIST_ENDPOINTS |= _module.LIST_ENDPOINTS
    DETAIL_ENDPOINTS |= _module.DETAIL_ENDPOINTS
    SEPARATELY_TESTED |= _module.SEPARATELY_TESTED


def _get_paths() -> set[str]:
    schema = api.get_openapi_schema()
    return {path.rstrip("/") or path for path, ops in schema["paths"].items() if "get" in ops}


def test_every_endpoint_is_classified():
    unclassified = _get_paths() - set(LIST_ENDPOINTS) - set(DETAIL_ENDPOINTS) - SEPARATELY_TESTED
    assert not unclassified, f"add these GET endpoints to the scope tests: {sorted(unclassified)}"


def test_every_scoped_model_has_a_factory():
    missing = [m._meta.label for m in scoped_models() if factories.for_model(m) is None]
    assert not missing, f"tests/factories.py needs a factory for: {missing}"


@pytest.fixture
def rows(tree):
    """One row of every scoped model in micro-grid A1 (inside grid A) and in grid B."""
    made = {}
    for model in scoped_models():
        make = factories.for_model(model)
        if model is Region:
            made[model] = (tree.micro_a1, tree.micro_b1)
        else:
            made[model] = (make(tree.micro_a1 if model not in (Assignment,) else tree.grid_a),
                           make(tree.micro_b1 if model not in (Assignment,) else tree.grid_b))
    return made


def _key(model, obj):
    return obj.code if model is Region else obj.number if model is Case else obj.pk


def _item_key(model, item):
    return item["code"] if model is Region else item["number"] if model is Case else item["id"]


def _detail_url(path: str, model, obj) -> str:
    return re.sub(r"\{[^}]+\}", str(_key(model, obj)), path)


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(LIST_ENDPOINTS))
def test_list_endpoint_shows_own_grid_only(client, users, rows, path):
    model = LIST_ENDPOINTS[path]
    mine, neighbours = rows[model]
    client.force_login(users["worker_a"])
    response = client.get(path, {"limit": 500})
    assert response.status_code == 200, response.content
    keys = {_item_key(model, item) for item in response.json()["items"]}
    assert _key(model, mine) in keys
    assert _key(model, neighbours) not in keys
    # And the neighbour sees the mirror image.
    client.force_login(users["worker_b"])
    keys_b = {_item_key(model, item) for item in client.get(path, {"limit": 500}).json()["items"]}
    assert _key(model, neighbours) in keys_b and _key(model, mine) not in keys_b


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(DETAIL_ENDPOINTS))
def test_detail_endpoint_hides_neighbour(client, users, rows, path):
    model = DETAIL_ENDPOINTS[path]
    mine, neighbours = rows[model]
    client.force_login(users["worker_a"])
    assert client.get(_detail_url(path, model, mine)).status_code == 200
    assert client.get(_detail_url(path, model, neighbours)).status_code == 404


@pytest.mark.django_db
@pytest.mark.parametrize("path", sorted(LIST_ENDPOINTS))
def test_resident_and_anonymous_see_nothing(client, users, rows, path):
    assert client.get(path).status_code == 401
    client.force_login(users["resident"])
    assert client.get(path).json()["count"] == 0


@pytest.mark.django_db
def test_street_user_sees_both_grids_but_not_other_street(client, users, rows, tree):
    from yiwang.registry.models import Person

    other = factories.person(tree.other_street)
    client.force_login(users["street"])
    ids = {p["id"] for p in client.get("/api/registry/persons", {"limit": 500}).json()["items"]}
    a, b = rows[Person]
    assert {a.pk, b.pk} <= ids and other.pk not in ids


@pytest.mark.django_db
def test_locate_answers_only_inside_scope(client, users, tree):
    client.force_login(users["worker_a"])
    inside_b = client.get("/api/regions/locate/point", {"lon": 108.315, "lat": 31.105}).json()
    assert inside_b["grid"] is None
    inside_a = client.get("/api/regions/locate/point", {"lon": 108.302, "lat": 31.105}).json()
    assert inside_a["grid"]["code"] == tree.grid_a.code
    assert inside_a["micro_grid"]["code"] == tree.micro_a1.code


@pytest.mark.django_db
def test_party_coverage_is_scoped(client, users, tree):
    factories.partyorganization(tree.grid_b)
    client.force_login(users["worker_a"])
    body = client.get("/api/party/coverage").json()
    assert [g["grid_code"] for g in body["grids"]] == [tree.grid_a.code]
    assert body["summary"] == {"grids": 1, "covered": 0, "uncovered": 1, "rate": 0.0}
    client.force_login(users["community"])
    body = client.get("/api/party/coverage").json()
    assert {g["grid_code"]: g["covered"] for g in body["grids"]} == {tree.grid_a.code: False, tree.grid_b.code: True}


@pytest.mark.django_db
def test_persons_page_and_admin_are_scoped(client, users, rows, tree, make_user):
    a, b = rows[Person]
    client.force_login(users["worker_a"])
    page = client.get("/persons/").content.decode()
    assert a.name in page and b.name not in page
    # The admin is for base-data roles, restricted by the same rule.
    community_b = make_user("community_b_only", "community", tree.grid_b)
    client.force_login(community_b)
    changelist = client.get("/admin/registry/person/").content.decode()
    assert b.name in changelist and a.name not in changelist
    assert client.get(f"/admin/registry/person/{a.pk}/change/").status_code in (302, 403, 404)


@pytest.mark.django_db
def test_locate_names_an_unknown_coordinate_system(client, users, tree):
    client.force_login(users["worker_a"])
    response = client.get("/api/regions/locate/point", {"lon": 108.3, "lat": 31.1, "crs": "cgcs2000"})
    assert response.status_code == 422 and "crs" in response.json()["detail"]


@pytest.mark.django_db
def test_map_figures_count_party_members_where_their_scope_puts_them(client, users, tree):
    from yiwang.party.models import PartyMember

    # Lives in grid B, belongs to grid A's branch: grid A's members, as /api/party/members says.
    PartyMember.objects.create(person=factories.person(tree.micro_b1), organization=factories.partyorganization(tree.grid_a))
    for user, expected in (("worker_a", 1), ("worker_b", 0)):
        client.force_login(users[user])
        grid = tree.grid_a if user == "worker_a" else tree.grid_b
        assert client.get(f"/api/regions/{grid.code}").json()["figures"]["party_members"] == expected
        assert client.get("/api/party/members").json()["count"] == expected
    client.force_login(users["community"])
    figures = {f["properties"]["code"]: f["properties"]["party_members"] for f in client.get(f"/api/regions/{tree.community.code}/children").json()["features"]}
    assert figures == {tree.grid_a.code: 1, tree.grid_b.code: 0}
