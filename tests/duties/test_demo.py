"""The demo's duty lists: the street's two lists with 260-odd items, the community lists, a "6+1"
grid task list that admits exactly what the catalogue admitted, a pending proposal, determinism,
and a clean delete."""

from __future__ import annotations

import random

import pytest

from yiwang.demo.generator import delete_rows
from yiwang.duties import demo
from yiwang.duties.admission import grid_admission
from yiwang.duties.models import DutyItem, DutyItemRevision, DutyList, DutyListVersion, ListKind, VersionStatus
from yiwang.matters.models import MatterType

pytestmark = pytest.mark.django_db


def build(tree):
    return demo.build(rng=random.Random("7:duties"), district=tree.district, street=tree.street)


def test_demo_lists(tree, users):
    summary = build(tree)
    street_lists = DutyList.objects.filter(region=tree.street).order_by("kind")
    assert [l.kind for l in street_lists] == [ListKind.STREET_COOPERATIVE, ListKind.STREET_STATUTORY]
    in_force = DutyItemRevision.objects.filter(version__in=[l.current_version_id for l in street_lists]).count()
    assert 260 <= in_force <= 280, in_force
    assert f"{in_force} street items" in summary
    assert set(DutyList.objects.filter(region=tree.community).values_list("kind", flat=True)) == {
        ListKind.COMMUNITY_SERVICE, ListKind.COMMUNITY_MICRO_POWER, ListKind.COMMUNITY_PARTY, ListKind.COMMUNITY_SEAL}

    # The statutory list has a history: v1 superseded, v2 in force, v3 waiting for the district.
    statutory = street_lists.get(kind=ListKind.STREET_STATUTORY)
    statuses = list(statutory.versions.order_by("number").values_list("number", "status", "proposed_by__username", "decided_by__username"))
    assert statuses == [(1, VersionStatus.SUPERSEDED, None, None), (2, VersionStatus.APPROVED, "street", "district"),
                        (3, VersionStatus.PROPOSED, "street", None)]

    # "6+1": seven tasks covering exactly the matter types the catalogue admits to grids.
    grid_list = DutyList.objects.get(region=tree.district, kind=ListKind.GRID_TASKS)
    assert sorted(grid_list.items.values_list("key", flat=True)) == [f"WG-0{n}" for n in range(1, 8)]
    covered = set(DutyItemRevision.matter_types.through.objects.filter(dutyitemrevision__version=grid_list.current_version)
                  .values_list("mattertype_id", flat=True))
    admitted = set(MatterType.objects.filter(grid_admitted=True, active=True).values_list("pk", flat=True))
    assert covered == admitted
    for matter in MatterType.objects.filter(active=True):
        assert grid_admission(grid=tree.grid_a, matter_type=matter).admitted == matter.grid_admitted, matter


def test_demo_is_deterministic_and_deletes_cleanly(tree, users):
    build(tree)
    first = list(DutyItemRevision.objects.order_by("version__duty_list__kind", "version__duty_list__region__code", "version__number", "item__key")
                 .values_list("item__key", "title", "owner_unit", "legal_basis"))
    demo.delete(tree.district.path, delete_rows)
    assert not DutyList.objects.exists() and not DutyListVersion.objects.exists() and not DutyItem.objects.exists()
    assert not DutyItemRevision.objects.exists() and not DutyItemRevision.matter_types.through.objects.exists()
    build(tree)
    again = list(DutyItemRevision.objects.order_by("version__duty_list__kind", "version__duty_list__region__code", "version__number", "item__key")
                 .values_list("item__key", "title", "owner_unit", "legal_basis"))
    assert again == first
