"""The demo hook on the small test tree: wishes in every state from people living in 永先, claimed by
its party members, volunteers and alliance units, photos for the fulfilled ones; delete() removes
rows and files."""

from __future__ import annotations

import random

import pytest
from django.core.files.storage import default_storage

from tests import factories
from yiwang.demo.generator import delete_rows
from yiwang.wishes import demo
from yiwang.wishes.models import Wish, WishEvent, WishPhoto

pytestmark = pytest.mark.django_db


def test_build_then_delete(tree, django_capture_on_commit_callbacks):
    from yiwang.forces.models import ForceMember
    from yiwang.matters.models import Department
    from yiwang.party.models import PartyMember, PartyOrganization

    for _ in range(20):
        factories.person(tree.micro_a1)
    branch = PartyOrganization.objects.create(region=tree.grid_a, kind="grid_branch", name="支部")
    for _ in range(3):
        PartyMember.objects.create(person=factories.person(tree.micro_a2), organization=branch, in_service=True)
    ForceMember.objects.create(name="志愿者", role="volunteer", region=tree.community, person=factories.person(tree.micro_b1))
    Department.objects.create(code="ALLY9", name="共建单位", kind="alliance", region=tree.district, is_alliance_unit=True)

    summary = demo.build(rng=random.Random("7:wishes"), district=tree.district, street=tree.street)
    assert summary == "wishes: 15 in 1 communities (3 open, 2 claimed, 6 fulfilled, 6 photos)"
    wishes = list(Wish.objects.all())
    assert {w.status for w in wishes} == {"submitted", "published", "claimed", "fulfilled", "confirmed", "rejected", "withdrawn"}
    assert {w.claimant_kind for w in wishes} == {"", "party_member", "volunteer", "alliance_unit"}
    assert all(w.confirmed_via == "staff_for_resident" for w in wishes if w.status == "confirmed")
    assert all(w.photos.count() == 1 for w in wishes if w.status in ("fulfilled", "confirmed"))
    assert WishEvent.objects.filter(action="release").count() == 1
    # Each wish's events lead to its status.
    for wish in wishes:
        assert list(wish.events.order_by("at", "id").values_list("to_status", flat=True))[-1] == wish.status, wish.title
    files = list(WishPhoto.objects.values_list("image", flat=True))
    assert all(default_storage.exists(name) for name in files)

    with django_capture_on_commit_callbacks(execute=True):
        demo.delete(tree.district.path, delete_rows)
    for model in (Wish, WishEvent, WishPhoto):
        assert not model.objects.exists(), model
    assert not any(default_storage.exists(name) for name in files)
