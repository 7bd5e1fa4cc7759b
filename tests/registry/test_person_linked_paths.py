"""Paths that read rows about a person outside the registry obey the registry's person rules: a
department sees only persons its cases name (or a grant lets it see), and persons in a sensitive
group are absent without `registry.view_sensitive_group` (yiwang/registry/access.py).

Each path is tried as a department user and as a street (and district) user without the
permission, with a person under community correction; a user with the permission still sees them."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.utils import timezone

from tests import factories
from yiwang.registry.models import PersonTag

pytestmark = pytest.mark.django_db


@pytest.fixture
def corrected(tree):
    """A person under community correction (社区矫正) living in grid A."""
    person = factories.person(tree.micro_a1)
    person.name = "矫正对象甲"
    person.save()
    PersonTag.objects.create(person=person, tag="TS02")
    return person


def _permitted(user):
    from yiwang.accounts.models import User

    user.user_permissions.add(Permission.objects.get(codename="view_sensitive_group"))
    return User.objects.get(pk=user.pk)  # fresh: no cached permissions


# /api/wishes ------------------------------------------------------------------------------------

@pytest.fixture
def unpublished_wish(tree, corrected):
    from tests.wishes import factories as wish_factories

    return wish_factories.wish(tree.micro_a1, status="submitted", person=corrected)


def _wish_ids(client) -> set[int]:
    response = client.get("/api/wishes", {"limit": 200})
    assert response.status_code == 200, response.content
    return {item["id"] for item in response.json()["items"]}


@pytest.mark.parametrize("who", ["department", "street", "district"])
def test_wishes_of_a_sensitive_person_are_absent_without_the_permission(client, users, department, corrected, unpublished_wish, who):
    client.force_login(users[who])
    response = client.get("/api/wishes", {"limit": 200})
    assert response.status_code == 200, response.content
    assert unpublished_wish.pk not in {item["id"] for item in response.json()["items"]}
    assert corrected.name not in response.content.decode()
    assert client.get(f"/api/wishes/{unpublished_wish.pk}").status_code == 404
    counts = client.get("/api/wishes/counts").json()
    assert sum(row["total"] for row in counts["by_community"]) == 0
    # The staff pages read the same rows.
    assert client.get(f"/wishes/{unpublished_wish.pk}/").status_code == 404
    assert corrected.name not in client.get("/wishes/").content.decode()


def test_department_sees_no_wish_of_a_person_its_cases_do_not_name(client, users, tree, department):
    from tests.wishes import factories as wish_factories

    ordinary = wish_factories.wish(tree.micro_a1, status="submitted")
    client.force_login(users["department"])
    assert ordinary.pk not in _wish_ids(client)
    assert client.get(f"/api/wishes/{ordinary.pk}").status_code == 404
    # The street sees it: no sensitive group, no need to know.
    client.force_login(users["street"])
    assert ordinary.pk in _wish_ids(client)


@pytest.mark.parametrize("who", ["street", "district"])
def test_wishes_of_a_sensitive_person_are_listed_with_the_permission(client, users, corrected, unpublished_wish, who):
    client.force_login(_permitted(users[who]))
    items = {item["id"]: item for item in client.get("/api/wishes", {"limit": 200}).json()["items"]}
    assert items[unpublished_wish.pk]["person"] == corrected.name
    assert client.get(f"/api/wishes/{unpublished_wish.pk}").json()["person"] == corrected.name
    assert client.get(f"/wishes/{unpublished_wish.pk}/").status_code == 200


def test_community_staff_see_the_wishes_of_their_sensitive_residents(client, users, corrected, unpublished_wish):
    # Community staff hold the permission through their role group.
    client.force_login(users["community"])
    assert unpublished_wish.pk in _wish_ids(client)


def test_neighbours_see_a_published_wish_of_a_sensitive_person_by_surname_only(client, tree, make_user, corrected):
    """The public page and the API show neighbours (no staff scope) the wisher's surname, never the
    full name; only the claimant sees it once they have claimed (selectors.sees_details)."""
    from tests.wishes import factories as wish_factories

    published = wish_factories.wish(tree.micro_a1, status="published", person=corrected)
    neighbour = make_user("neighbour", "resident", None, person=factories.person(tree.micro_a2))
    client.force_login(neighbour)
    page = client.get("/wishes/public/").content.decode()
    assert published.title in page and published.person_masked in page and corrected.name not in page
    assert client.get(f"/api/wishes/{published.pk}").json()["person"] == published.person_masked


# /api/volunteers/hours ---------------------------------------------------------------------------

@pytest.fixture
def served(tree, corrected):
    """Completed service: 2.5 hours by the person under correction, 1.5 by an ordinary volunteer."""
    from tests.volunteers import factories as volunteer_factories
    from yiwang.volunteers.models import TaskClaim, Volunteer

    claims = []
    for person, hours in ((corrected, "2.5"), (factories.person(tree.micro_a1), "1.5")):
        volunteer = Volunteer.objects.create(person=person, region=person.region, community=tree.community, registered_at=timezone.now())
        task = volunteer_factories.servicetask(tree.micro_a1)
        claims.append(TaskClaim.objects.create(task=task, person=person, role="volunteer", volunteer=volunteer, claimed_at=timezone.now(),
                                               status="completed", hours=Decimal(hours), points=0))
    return claims


def _hours(client, tree) -> dict[int, dict]:
    now = timezone.now()
    response = client.get("/api/volunteers/hours", {"region": tree.community.code, "since": (now - timedelta(days=1)).isoformat(),
                                                    "until": (now + timedelta(days=10)).isoformat()})
    assert response.status_code == 200, response.content
    return {row["person_id"]: row for row in response.json()}


@pytest.mark.parametrize("who", ["street", "district"])
def test_hours_leave_out_a_sensitive_person_without_the_permission(client, users, tree, corrected, served, who):
    client.force_login(users[who])
    rows = _hours(client, tree)
    assert corrected.pk not in rows
    assert corrected.name not in {row["name"] for row in rows.values()}
    ordinary = served[1].person
    assert rows[ordinary.pk] == {"person_id": ordinary.pk, "name": ordinary.name, "hours": 1.5}


def test_hours_name_only_persons_a_department_needs_to_know(client, users, tree, department, corrected, served):
    client.force_login(users["department"])
    assert _hours(client, tree) == {}


@pytest.mark.parametrize("who", ["street", "district"])
def test_hours_name_a_sensitive_person_with_the_permission(client, users, tree, corrected, served, who):
    client.force_login(_permitted(users[who]))
    rows = _hours(client, tree)
    assert rows[corrected.pk] == {"person_id": corrected.pk, "name": corrected.name, "hours": 2.5}


# The command screen's care panel ------------------------------------------------------------------

@pytest.fixture
def care_plan(tree, corrected):
    """A weekly visit plan for persons under community correction, set on the district."""
    from tests.gridwork import factories as gridwork_factories

    return gridwork_factories.careplan(tree.district, group="TS02")


def _under_plan(client) -> tuple[int, list[dict]]:
    response = client.get("/api/command/care")
    assert response.status_code == 200, response.content
    body = response.json()
    return body["totals"]["under_plan"], body["grids"]


@pytest.mark.parametrize("who", ["street", "district"])
def test_care_panel_leaves_out_sensitive_persons_without_the_permission(client, users, tree, corrected, care_plan, who):
    client.force_login(users[who])
    under_plan, grids = _under_plan(client)
    assert under_plan == 0
    assert sum(g["under_plan"] for g in grids) == 0


def test_care_panel_is_not_a_department_screen(client, users, department, corrected, care_plan):
    client.force_login(users["department"])
    assert client.get("/api/command/care").status_code == 403


@pytest.mark.parametrize("who", ["street", "district"])
def test_care_panel_counts_sensitive_persons_with_the_permission(client, users, tree, corrected, care_plan, who):
    client.force_login(_permitted(users[who]))
    under_plan, grids = _under_plan(client)
    assert under_plan == 1
    assert [(g["code"], g["under_plan"]) for g in grids] == [(tree.grid_a.code, 1)]


def test_care_selector_needs_the_viewer(tree, users, corrected, care_plan):
    from yiwang.command import layers

    assert layers.care_coverage(tree.street, users["street"])["totals"]["under_plan"] == 0
    assert layers.care_coverage(tree.street, _permitted(users["street"]))["totals"]["under_plan"] == 1
