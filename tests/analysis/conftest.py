"""Cases straight in the table, at chosen times and places, for the 分析研判 reads."""

from __future__ import annotations

import itertools
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

import pytest

TZ = ZoneInfo("Asia/Shanghai")
AS_OF = date(2026, 3, 20)  # a Friday
_numbers = itertools.count(1)


def at(day: date, hour: int = 10) -> datetime:
    return datetime.combine(day, time(hour), tzinfo=TZ)


@pytest.fixture
def make_case(tree):
    """make_case(day, code="S0001", region=grid_a, **fields) -> Case; `day` a date (10:00) or an aware datetime."""
    from yiwang.cases.models import Case, Channel, Level, Status
    from yiwang.matters.models import MatterType
    from yiwang.matters.services import current_version

    matters = {}

    def build(day, *, code="S0001", region=None, status=Status.ACCEPTED, phone=None, **fields):
        if code not in matters:
            matter = MatterType.objects.get(kind="community", code=code)
            matters[code] = (matter, current_version(matter))
        matter, version = matters[code]
        region = region or tree.grid_a
        reported_at = day if isinstance(day, datetime) else at(day)
        case = Case(number=f"A{next(_numbers):08d}", channel=Channel.DESK, matter=matter, matter_version=version, board=matter.board,
                    tier=matter.default_tier, level=Level.GRID, region=region, handling_region=region, status=status,
                    reported_at=reported_at, **fields)
        if phone:
            case.set_phone(phone)
        return case

    def make(day, **kwargs):
        case = build(day, **kwargs)
        case.save()
        return case

    make.build = build
    make.bulk = lambda specs: Case.objects.bulk_create([build(day, **kwargs) for day, kwargs in specs])
    return make


@pytest.fixture
def other_grid(tree):
    """A grid under the other street (汉丰街道), for scope tests."""
    from yiwang.regions.models import Level, Region

    community = Region.objects.create(parent=tree.other_street, level=Level.COMMUNITY, code="500154001001", name="汉丰社区")
    return Region.objects.create(parent=community, level=Level.GRID, grid_kind="regular", code="500154001001001", name="汉丰社区第1网格")
