"""The links demo on the small test tree (its two grids carry 永先's demo codes): the demo accounts
answer for them, grid 001's unit missed last month, cases were opened through the intake, and the
delete leaves nothing that would stop the closed loop's delete (departments, cases)."""

from __future__ import annotations

import random

import pytest

from yiwang.cases.models import Case
from yiwang.demo.generator import delete_rows
from yiwang.links import demo, selectors
from yiwang.links.models import Link, LinkProblem, LinkVisit
from yiwang.matters.models import Department

pytestmark = pytest.mark.django_db


@pytest.fixture
def demo_world(tree, make_user):
    from yiwang.party.models import PartyOrganization

    for username, role, scope in (("street", "street", tree.street), ("community", "community", tree.community),
                                  ("gridworker1", "grid_worker", tree.grid_a), ("gridworker2", "grid_worker", tree.grid_b)):
        make_user(username, role, scope)
    Department.objects.create(code="KZ-CGZF", name="开州区城市管理综合执法局", kind="urban_management", region=tree.district)
    Department.objects.create(code="KZ-GD", name="国网开州供电公司", kind="utility", region=tree.district, is_alliance_unit=True)
    committee = PartyOrganization.objects.create(kind="street_committee", name="云枫街道党工委", region=tree.street)
    PartyOrganization.objects.create(kind="functional_branch", parent=committee, name="云枫街道机关党支部", region=tree.street)
    return tree


def test_build_and_delete(demo_world):
    tree = demo_world
    summary = demo.build(rng=random.Random(1), district=tree.district, street=tree.street)
    assert summary.startswith("links: ")
    grid_a_unit = Link.objects.get(region=tree.grid_a, kind="department")
    assert grid_a_unit.department.code == "KZ-CGZF"
    assert (grid_a_unit.primary.username, grid_a_unit.backup.username) == ("gridworker1", "community")
    assert selectors.cadence_of(grid_a_unit).status == selectors.MISSED
    grid_b_unit = Link.objects.get(region=tree.grid_b, kind="party_branch")
    assert grid_b_unit.primary.username == "gridworker2" and not selectors.cadence_of(grid_b_unit).missed
    opened = LinkProblem.objects.filter(case__isnull=False)
    assert opened.exists() and all(p.case.region_id == p.visit.link.region_id for p in opened)
    assert LinkVisit.objects.count() > 10

    demo.delete(tree.district.path, delete_rows)
    assert not Link.objects.exists() and not LinkVisit.objects.exists() and not LinkProblem.objects.exists()
    # What runs after this delete in `yiwang demo --delete` (cases, departments, party organizations)
    # is not held back by links: nothing of this app points at them any more.
    assert Case.objects.filter(link_problems__isnull=False).count() == 0
    assert not Department.objects.filter(links__isnull=False).exists()
