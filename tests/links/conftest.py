"""Fixtures for links: units that may link a grid (a department, an alliance unit, a party branch),
matter types for the cases a visit opens, and a fixed "today" for cadence arithmetic."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def _immediate_tasks(settings):
    # Cases opened by visits queue notifications on commit; run them in-process.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}


@pytest.fixture
def units(tree, users):
    from types import SimpleNamespace

    from yiwang.matters.models import Department
    from yiwang.party.models import PartyOrganization

    department = Department.objects.create(code="KZ-CZ", name="开州区财政局", kind="other", region=tree.district)
    department.members.add(users["department"])
    other_department = Department.objects.create(code="KZ-MZ", name="开州区民政局", kind="civil_affairs", region=tree.district)
    alliance = Department.objects.create(code="KZ-GD", name="国网开州供电公司", kind="utility", region=tree.district, is_alliance_unit=True)
    committee = PartyOrganization.objects.create(kind="street_committee", name="云枫街道党工委", region=tree.street)
    branch = PartyOrganization.objects.create(kind="functional_branch", parent=committee, name="云枫街道物业行业党支部", region=tree.street)
    grid_branch = PartyOrganization.objects.create(kind="grid_branch", name="永先社区第1网格党支部", region=tree.grid_a)
    far_branch = PartyOrganization.objects.create(kind="functional_branch", name="汉丰街道商圈党支部", region=tree.other_street)
    return SimpleNamespace(department=department, other_department=other_department, alliance=alliance, committee=committee,
                           branch=branch, grid_branch=grid_branch, far_branch=far_branch)


@pytest.fixture
def matter(db):
    from yiwang.matters.models import MatterType

    return MatterType.objects.get(kind="community", code="S0001")  # 邻里纠纷: no required questions


@pytest.fixture
def charging(db):
    from yiwang.matters.models import MatterType

    return MatterType.objects.get(kind="community", code="S0004")  # 电动车违规充电: asks where (required)
