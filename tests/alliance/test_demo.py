"""The alliance demo on the small test tree: the street's alliance of the alliance-unit departments
and named units, needs, resources, projects with milestones, meetings with one quarter skipped;
the delete leaves nothing that would hold back the departments' delete."""

from __future__ import annotations

import random

import pytest

from yiwang.alliance import demo, selectors
from yiwang.alliance.models import Alliance, AllianceMember, AllianceMilestone, AllianceNeed, AllianceProject
from yiwang.demo.generator import delete_rows
from yiwang.matters.models import Department

pytestmark = pytest.mark.django_db


def test_build_and_delete(tree, make_user):
    make_user("street", "street", tree.street)
    Department.objects.create(code="KZ-RQ", name="开州区燃气公司", kind="utility", region=tree.district, is_alliance_unit=True)
    Department.objects.create(code="KZ-GD", name="国网开州供电公司", kind="utility", region=tree.district, is_alliance_unit=True)
    Department.objects.create(code="KZ-CGZF", name="开州区城市管理综合执法局", kind="urban_management", region=tree.district)

    summary = demo.build(rng=random.Random(1), district=tree.district, street=tree.street)
    assert summary.startswith("alliance: 1 alliance, 7 units, 6 needs")
    alliance = Alliance.objects.get()
    assert alliance.region == tree.street
    assert set(alliance.members.exclude(department=None).values_list("department__code", flat=True)) == {"KZ-RQ", "KZ-GD"}
    projects = AllianceProject.objects.all()
    assert 3 <= projects.count() <= 5
    assert projects.filter(status="done").count() == 1 and projects.filter(decision__isnull=False).count() == 1
    assert AllianceMilestone.objects.filter(done_on__isnull=True, due_on__lt=selectors.quarter_bounds(*selectors.quarter_of(alliance.founded_on))[1]).count() == 0
    statuses = [row.status for row in selectors.meeting_quarters(alliance)]
    assert statuses[0] == "pending" and statuses.count("missing") == 1 and statuses.count("held") == 3
    gas = AllianceMember.objects.get(department__code="KZ-RQ")
    assert selectors.unit_record(gas, since=alliance.founded_on, until=None)["projects_led"] >= 1

    demo.delete(tree.district.path, delete_rows)
    assert not Alliance.objects.exists() and not AllianceNeed.objects.exists() and not AllianceProject.objects.exists()
    assert not Department.objects.filter(alliance_memberships__isnull=False).exists()
