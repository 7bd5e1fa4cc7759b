"""Writes of the working calendar: entering a year's State Council notice (放假通知)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from yiwang.core import audit

from . import calendar
from .models import CalendarYear, DayKind, SpecialDay
from .signals import calendar_changed

DEFAULT_NOTICE_SOURCE = "国务院办公厅通知"


def check_notice(*, year: int, holidays: dict[date, str], workdays: dict[date, str]) -> None:
    """Every day inside the year, none both a holiday and a working day, at least one holiday."""
    problems: dict[str, list[str]] = {}
    for field, days in (("holidays", holidays), ("workdays", workdays)):
        outside = sorted(d for d in days if d.year != year)
        if outside:
            problems[field] = [_("%(day)s 不在 %(year)s 年。") % {"day": d.isoformat(), "year": year} for d in outside]
    both = sorted(set(holidays) & set(workdays))
    if both:
        problems.setdefault("workdays", []).extend(_("%(day)s 不能既放假又上班。") % {"day": d.isoformat()} for d in both)
    if not holidays:
        problems.setdefault("holidays", []).append(_("通知至少有一天放假。"))
    if problems:
        raise ValidationError(problems)


@transaction.atomic
def enter_notice(*, year: int, holidays: dict[date, str], workdays: dict[date, str], source: str = DEFAULT_NOTICE_SOURCE,
                 acting_user=None, now: datetime | None = None) -> CalendarYear:
    """Replace `year`'s holidays and make-up working days with the notice's, and mark the year entered.

    The year stops being provisional: its statutory holidays are no longer assumed, only these days count.
    Open cases whose deadlines lie on changed days are moved so they keep the working time they had left.
    """
    check_notice(year=year, holidays=holidays, workdays=workdays)
    before = calendar.build()
    SpecialDay.objects.filter(date__year=year).delete()
    SpecialDay.objects.bulk_create(
        [SpecialDay(date=d, kind=DayKind.HOLIDAY, name=name[:50]) for d, name in sorted(holidays.items())]
        + [SpecialDay(date=d, kind=DayKind.WORKDAY, name=name[:50]) for d, name in sorted(workdays.items())])
    entered, _ = CalendarYear.objects.update_or_create(year=year, defaults={"source": (source or DEFAULT_NOTICE_SOURCE)[:100]})
    retimed = _retime_open_cases(year=year, before=before, after=calendar.build(), now=now)
    audit.record(actor=acting_user, action="worktime.notice.enter", target=entered,
                 detail={"year": year, "holidays": len(holidays), "workdays": len(workdays), "source": entered.source,
                         "cases_retimed": retimed})
    # This process sees it at once; the others within the cache's stamp interval.
    transaction.on_commit(calendar.invalidate)
    return entered


def _retime_open_cases(*, year: int, before, after, now: datetime | None) -> int:
    """Open cases whose deadlines were computed on the old days of `year` keep their remaining working time
    (each app that keeps deadlines hears `calendar_changed` and moves its own); returns how many moved."""
    from django.utils import timezone

    first = date(year, 1, 1)
    changed = [d for d in (first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days))
               if before.is_workday(d) != after.is_workday(d)]
    if not changed:
        return 0
    changed_from = datetime.combine(changed[0], time(0), tzinfo=after.tz)
    answers = calendar_changed.send(sender=CalendarYear, old=before, new=after, changed_from=changed_from, now=now or timezone.now())
    return sum(moved for _, moved in answers if isinstance(moved, int))
