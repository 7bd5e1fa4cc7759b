"""The process's working calendar, loaded from the database and reloaded when it is edited."""

from __future__ import annotations

from datetime import date
from zoneinfo import ZoneInfo

from django.conf import settings

from yiwang.core.stamped import StampedCache, table_stamp

from .holidays import statutory_holidays
from .models import CalendarYear, DayKind, SpecialDay
from .sla import WorkCalendar, parse_office_hours


def build(*, special: dict[date, bool] | None = None, known_years=None) -> WorkCalendar:
    if special is None:
        special = {d: kind == DayKind.WORKDAY for d, kind in SpecialDay.objects.values_list("date", "kind")}
    if known_years is None:
        known_years = CalendarYear.objects.values_list("year", flat=True)
    return WorkCalendar(
        special=special,
        known_years=frozenset(known_years),
        office_hours=parse_office_hours(settings.YIWANG_OFFICE_HOURS),
        tz=ZoneInfo(settings.TIME_ZONE),
        # Years without an entered notice still skip their statutory holidays (provisionally).
        provisional=statutory_holidays,
    )


_cache = StampedCache(
    stamp=lambda: (table_stamp(SpecialDay.objects.all(), CalendarYear.objects.all()), settings.YIWANG_OFFICE_HOURS, settings.TIME_ZONE),
    build=build,
)


def current() -> WorkCalendar:
    """This process's calendar; edits made anywhere show within a couple of seconds."""
    return _cache.get()


def invalidate() -> None:
    _cache.invalidate()


def seed_from_chinesecalendar(*, special_day_model=SpecialDay, year_model=CalendarYear) -> int:
    """Insert the package's holidays and make-up days for the years it knows that are not entered yet."""
    import chinese_calendar

    rows = {d: (DayKind.HOLIDAY, chinese_name(name)) for d, name in chinese_calendar.holidays.items()}
    rows.update({d: (DayKind.WORKDAY, chinese_name(name)) for d, name in chinese_calendar.workdays.items()})
    # Only years not yet entered: within an entered year, staff corrections (including deleted days) stand.
    known = set(year_model.objects.values_list("year", flat=True))
    new_rows = {d: row for d, row in rows.items() if d.year not in known}
    existing = set(special_day_model.objects.filter(date__in=list(new_rows)).values_list("date", flat=True))
    special_day_model.objects.bulk_create(
        [special_day_model(date=d, kind=kind, name=str(name)[:50]) for d, (kind, name) in sorted(new_rows.items()) if d not in existing]
    )
    year_model.objects.bulk_create([year_model(year=y, source="chinesecalendar") for y in sorted({d.year for d in new_rows})])
    return len(new_rows)


# The package's short Chinese names, written out as the State Council's notices name them.
_FULL_NAMES = {"清明": "清明节", "端午": "端午节", "中秋": "中秋节"}


def chinese_name(name: object) -> str:
    """The package names its days in English ("National Day"); the calendar shows them in Chinese (国庆节)."""
    from chinese_calendar.constants import Holiday

    try:
        chinese = Holiday(str(name)).chinese
    except ValueError:
        return str(name)
    return _FULL_NAMES.get(chinese, chinese)
