"""Demo A/B roles for 云枫: the four boards of the street command center (A `street`, B `street_b`),
the city-management desk (A `department`, B `department_b`), the community and the two demo grids,
and an upcoming leave so the page has one to show. Open demo cases are put on their desks by the next
step (`cases.demo`)."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from yiwang.accounts.models import User
from yiwang.matters.models import Board, Department
from yiwang.regions.models import Region

from .models import Desk, DeskKind, Leave


def build(*, rng: random.Random, district: Region, street: Region) -> str:
    users = User.objects.in_bulk(["street", "street_b", "department", "department_b", "community", "gridworker1", "gridworker2"],
                                 field_name="username")
    desks = []
    for board in Board.values:
        desks.append(Desk(kind=DeskKind.BOARD, region=street, board=board, primary=users.get("street"), backup=users.get("street_b")))
    city = Department.objects.filter(region=district, kind="urban_management").order_by("pk").first()
    if city is not None:
        city.members.add(*[u for u in (users.get("department"), users.get("department_b")) if u])
        desks.append(Desk(kind=DeskKind.UNIT, region=city.region, department=city, primary=users.get("department"),
                          backup=users.get("department_b")))
    for username in ("community", "gridworker1", "gridworker2"):
        user = users.get(username)
        if user is not None and user.scope_region_id:
            desks.append(Desk(kind=DeskKind.UNIT, region=user.scope_region, primary=user))
    Desk.objects.bulk_create(desks)
    leaves = 0
    if users.get("department"):
        start = timezone.localtime().replace(hour=9, minute=0, second=0, microsecond=0) + timedelta(days=7)
        Leave.objects.create(user=users["department"], region=users["department"].scope_region, starts_at=start,
                             ends_at=start + timedelta(days=2, hours=9), reason="参加区里的执法培训", recorded_at=timezone.now())
        leaves = 1
    return f"A/B roles: {len(desks)} desks, {leaves} leave"


def delete(inside: str, delete_rows) -> None:
    delete_rows(Leave.objects.filter(region__path__startswith=inside))
    delete_rows(Desk.objects.filter(region__path__startswith=inside))
