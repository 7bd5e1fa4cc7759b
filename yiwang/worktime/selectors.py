"""Reads of the working calendar: a year's listing (entered, from the package, or provisional), the years
still waiting for their State Council notice, and the note a deadline computed provisionally carries."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from django.utils.translation import gettext as _

from . import calendar
from .holidays import statutory_holidays
from .models import CalendarYear, DayKind, SpecialDay

# Year status and day sources as the `calendar` command prints them (data, so not translated).
STATUS_NOTICE, STATUS_PROVISIONAL = "国务院通知", "暂定"
SOURCE_PACKAGE, SOURCE_NOTICE, SOURCE_PROVISIONAL = "chinesecalendar", "通知", "暂定"
REST, WORK = "休", "班"
# The notice for next year usually comes out in November; from October on its absence is worth a banner.
NEXT_YEAR_WATCH_FROM_MONTH = 10


@dataclass(frozen=True)
class Day:
    date: date
    kind: str  # REST or WORK
    name: str
    source: str


@dataclass(frozen=True)
class YearListing:
    year: int
    status: str
    days: list[Day]

    @property
    def provisional(self) -> bool:
        return self.status == STATUS_PROVISIONAL


def year_listing(year: int) -> YearListing:
    """The holidays and make-up working days of `year` (ordinary weekends are not listed).

    An entered year lists its rows; a provisional one its statutory holidays, with any rows already
    entered for it taking their dates' place.
    """
    entered = CalendarYear.objects.filter(year=year).first()
    rows = SpecialDay.objects.filter(date__year=year).order_by("date")
    row_source = SOURCE_PACKAGE if entered is not None and entered.source == SOURCE_PACKAGE else SOURCE_NOTICE
    days = {r.date: Day(r.date, WORK if r.kind == DayKind.WORKDAY else REST, r.name, row_source) for r in rows}
    if entered is None:
        for day, name in statutory_holidays(year).items():
            days.setdefault(day, Day(day, REST, name, SOURCE_PROVISIONAL))
    return YearListing(year, STATUS_NOTICE if entered is not None else STATUS_PROVISIONAL, [days[d] for d in sorted(days)])


def years_awaiting_notice(today: date) -> list[int]:
    """Years whose notice should be entered now: this year, and from October on next year, when provisional."""
    candidates = [today.year] + ([today.year + 1] if today.month >= NEXT_YEAR_WATCH_FROM_MONTH else [])
    known = set(CalendarYear.objects.filter(year__in=candidates).values_list("year", flat=True))
    return [y for y in candidates if y not in known]


def provisional_note(years: list[int]) -> str:
    if not years:
        return ""
    return _("截止时间按暂定日历计算（%(years)s 年国务院放假通知尚未录入）。") % {"years": "、".join(map(str, years))}


def deadline_years(*, start: datetime | None, ends: list[datetime | None]) -> list[int]:
    """The provisional years that the clock from `start` to the latest of `ends` runs through."""
    ends = [e for e in ends if e is not None]
    if not ends:
        return []
    last = max(ends)
    first = min(start, last) if start is not None else min(ends)
    return calendar.current().fallback_years(first, last)
