"""A small, regular case history for the simulator's tests: two cases a working day in grid A, each
through every stage, either well within its three-day limit or always late."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

HOUR = 3600


def make_history(region, *, weeks: int = 40, late: bool = False, per_day: int = 2, now: datetime | None = None) -> int:
    from yiwang.cases.models import Case, Status
    from yiwang.matters.models import MatterType
    from yiwang.matters.services import current_version
    from yiwang.worktime import calendar as work_calendar

    calendar = work_calendar.current()
    matter = MatterType.objects.get(kind="community", code="S0001")
    version = current_version(matter)
    now = now or timezone.now()
    today = timezone.localdate(now)
    day_seconds = calendar.day_seconds
    handle = (5 if late else 1) * day_seconds
    rows = []
    number = Case.objects.count()
    for offset in range(weeks * 7, 0, -1):
        day = today - timedelta(days=offset)
        if not calendar.is_workday(day):
            continue
        for n in range(per_day):
            reported = timezone.make_aware(datetime.combine(day, time(9 + 2 * n, 30)))
            moments = [reported]
            for seconds in (HOUR, HOUR, 2 * HOUR, handle, 2 * HOUR):
                moments.append(calendar.add_working_seconds(moments[-1], seconds))
            accepted, dispatched, signed, handled, closed = moments[1:]
            due = calendar.add_working_seconds(reported, 3 * day_seconds)
            done = closed <= now
            number += 1
            rows.append(Case(number=f"SIM{number:07d}", channel="desk", matter=matter, matter_version=version, board=matter.board,
                             tier="A", level="grid", region=region, handling_region=region, reported_at=reported,
                             accepted_at=accepted if accepted <= now else None, dispatched_at=dispatched if dispatched <= now else None,
                             signed_at=signed if signed <= now else None, handled_at=handled if handled <= now else None,
                             verified_at=closed if done else None, closed_at=closed if done else None, close_due_at=due,
                             status=Status.CLOSED if done else Status.SIGNED, description="测试事件"))  # fmt: skip
    Case.objects.bulk_create(rows)
    return len(rows)
