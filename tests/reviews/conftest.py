"""Hand-built cases for the reviews. Times are Asia/Shanghai; 2026-03-09 is a Monday."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture
def make_case(tree):
    return case_maker(tree)


def case_maker(tree):
    """make(status, *, code, region, reported_at, **fields) -> a Case straight in the table."""
    from yiwang.cases.models import Case, Channel, Level, Status
    from yiwang.matters.models import MatterType
    from yiwang.matters.services import current_version

    versions = {}
    counter = iter(range(1, 10_000))

    def make(status=Status.SIGNED, *, code="S0001", region=None, reported_at=at(2026, 3, 9, 10), **fields):
        if code not in versions:
            matter = MatterType.objects.get(kind="community", code=code)
            versions[code] = (matter, current_version(matter))
        matter, version = versions[code]
        region = region or tree.grid_a
        fields.setdefault("handling_region", region)
        return Case.objects.create(
            number=f"R{next(counter):06d}", channel=Channel.DESK, matter=matter, matter_version=version, board=matter.board,
            tier=matter.default_tier, level=Level.GRID, region=region, status=status, reported_at=reported_at, **fields,
        )

    return make


@pytest.fixture
def department(tree):
    from yiwang.matters.models import Department

    return Department.objects.create(code="KZ-CG", name="开州区城管执法局", kind="urban_management", region=tree.district)
