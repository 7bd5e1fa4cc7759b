"""Factories for the advisor's scoped models (tests/test_scope.py asks for one per model)."""

from __future__ import annotations


def divisionproposal(region):
    from yiwang.advisor.models import DivisionProposal

    return DivisionProposal.objects.create(community=region, plan={}, basis="-", reason="测试提案")


def divisionsnapshot(region):
    from yiwang.advisor.models import DivisionSnapshot

    return DivisionSnapshot.objects.create(community=region, proposal=divisionproposal(region), data={})
