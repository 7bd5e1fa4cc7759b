"""Working time: the calendar table, deadlines in working hours and days, lights, fallback years."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from yiwang.worktime.sla import Light, Limit, WorkCalendar, light_at, parse_office_hours

TZ = ZoneInfo("Asia/Shanghai")
HOURS = parse_office_hours("09:00-12:00,14:00-18:00")  # 7 office hours a day


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


@pytest.fixture(scope="module")
def cal() -> WorkCalendar:
    return china_calendar()


def china_calendar() -> WorkCalendar:
    import chinese_calendar

    special = {d: False for d in chinese_calendar.holidays}
    special.update({d: True for d in chinese_calendar.workdays})
    return WorkCalendar(special=special, known_years=frozenset(range(2004, 2027)), office_hours=HOURS, tz=TZ)


def test_limits_parse_and_refuse_nonsense():
    assert Limit.parse("4h") == Limit(4, "h") and str(Limit.parse(" 3d ")) == "3d"
    for bad in ("", "4", "h", "-1h", "0d", "3w"):
        with pytest.raises(ValueError, match="positive number followed by h"):
            Limit.parse(bad)


def test_hours_within_a_day_skip_lunch(cal):
    # Monday 2026-11-23, 10:00 + 4 working hours: 2 before lunch, 2 after 14:00 -> 16:00.
    assert cal.add_working_seconds(at(2026, 11, 23, 10), 4 * 3600) == at(2026, 11, 23, 16)
    assert cal.working_seconds_between(at(2026, 11, 23, 10), at(2026, 11, 23, 16)) == 4 * 3600


def test_friday_afternoon_plus_a_day_lands_on_monday(cal):
    # Friday 2026-11-27 16:00 + 1 working day (7 h): 2 h on Friday, 5 h on Monday -> Monday 16:00.
    assert cal.add_working_seconds(at(2026, 11, 27, 16), cal.limit_seconds("1d")) == at(2026, 11, 30, 16)


def test_national_day_holiday_and_make_up_saturday(cal):
    # 2026: National Day holiday 10-01..10-07 (Thu..Wed), make-up working Saturday 10-10.
    assert not cal.is_workday(date(2026, 10, 5)) and cal.is_workday(date(2026, 10, 10))
    # Wednesday 09-30 17:00 + 2 working hours: 1 h that day, then the next working day is Thursday 10-08.
    assert cal.add_working_seconds(at(2026, 9, 30, 17), 2 * 3600) == at(2026, 10, 8, 10)
    assert cal.working_seconds_between(at(2026, 9, 30, 17), at(2026, 10, 8, 10)) == 2 * 3600
    # Friday 10-09 17:30 + 1 h -> Saturday 10-10 at 09:30 (the make-up day); a limit ending at
    # closing time is due at closing time, not the next morning.
    assert cal.add_working_seconds(at(2026, 10, 9, 17, 30), 3600) == at(2026, 10, 10, 9, 30)
    assert cal.add_working_seconds(at(2026, 10, 9, 17), 3600) == at(2026, 10, 9, 18)


def test_outside_office_hours_starts_next_morning(cal):
    assert cal.add_working_seconds(at(2026, 11, 23, 20), 3600) == at(2026, 11, 24, 10)
    assert cal.add_working_seconds(at(2026, 11, 28, 11), 3600) == at(2026, 11, 30, 10)  # Saturday


def test_missing_year_falls_back_to_weekdays_and_says_so(cal):
    assert cal.fallback_years(at(2026, 12, 30, 9), at(2027, 1, 4, 9)) == [2027]
    assert cal.is_fallback(date(2027, 1, 1)) and cal.is_workday(date(2027, 1, 1))  # a Friday, unknown holiday


def test_lights_from_stored_times():
    warn, due = at(2026, 11, 23, 10), at(2026, 11, 23, 11)
    assert light_at(now=at(2026, 11, 23, 9), warn_at=warn, due_at=due) is Light.GREEN
    assert light_at(now=at(2026, 11, 23, 10, 30), warn_at=warn, due_at=due) is Light.YELLOW
    assert light_at(now=at(2026, 11, 23, 11, 1), warn_at=warn, due_at=due) is Light.RED
    assert light_at(now=warn, warn_at=None, due_at=None) is None


def test_light_from_used_fraction(cal):
    start = at(2026, 11, 23, 9)
    assert cal.light(start=start, limit="10h", now=at(2026, 11, 23, 15)) is Light.GREEN  # 4 of 10 h
    assert cal.light(start=start, limit="5h", now=at(2026, 11, 23, 15)) is Light.YELLOW  # 4 of 5 h
    assert cal.light(start=start, limit="3h", now=at(2026, 11, 23, 15)) is Light.RED


def test_naive_datetimes_are_refused(cal):
    with pytest.raises(ValueError, match="aware"):
        cal.add_working_seconds(datetime(2026, 11, 23, 9), 60)


moments = st.datetimes(min_value=datetime(2005, 1, 1), max_value=datetime(2026, 12, 1)).map(lambda d: d.replace(tzinfo=TZ))


@settings(max_examples=300, deadline=None)
@given(start=moments, seconds=st.integers(min_value=1, max_value=40 * 7 * 3600))
def test_adding_then_measuring_gives_back_the_amount(cal, start, seconds):
    end = cal.add_working_seconds(start, seconds)
    assert end > start
    assert cal.working_seconds_between(start, end) == pytest.approx(seconds, abs=1e-3)


@settings(max_examples=200, deadline=None)
@given(a=moments, b=moments, c=moments)
def test_working_time_is_additive(cal, a, b, c):
    a, b, c = sorted([a, b, c])
    assert cal.working_seconds_between(a, c) == pytest.approx(cal.working_seconds_between(a, b) + cal.working_seconds_between(b, c), abs=1e-3)


@settings(max_examples=100, deadline=None)
@given(start=moments, days=st.integers(min_value=0, max_value=30))
def test_working_time_never_exceeds_wall_time(cal, start, days):
    end = start + timedelta(days=days, hours=5)
    assert 0 <= cal.working_seconds_between(start, end) <= (end - start).total_seconds()


@pytest.mark.django_db
def test_calendar_table_is_seeded_and_edits_show(settings):
    from yiwang.worktime import calendar
    from yiwang.worktime.models import CalendarYear, DayKind, SpecialDay

    assert CalendarYear.objects.filter(year=2026, source="chinesecalendar").exists()
    assert SpecialDay.objects.get(date=date(2026, 10, 10)).kind == DayKind.WORKDAY
    calendar.invalidate()
    assert calendar.current().is_fallback(date(2027, 2, 17))
    CalendarYear.objects.create(year=2027, source="国务院办公厅通知")
    SpecialDay.objects.create(date=date(2027, 2, 17), kind=DayKind.HOLIDAY, name="春节")
    calendar.invalidate()
    now = calendar.current()
    assert not now.is_fallback(date(2027, 2, 17)) and not now.is_workday(date(2027, 2, 17))


def test_threads_growing_one_fresh_calendar_get_the_same_days():
    """Every thread of a process shares one calendar; eight of them asking a fresh one at once (as
    after an edit reloads it) must each get the single-threaded answer."""
    import sys
    import threading

    want = china_calendar().nth_workday_after(date(2026, 11, 23), 4)
    previous = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as possible, so a race shows every run
    try:
        for _ in range(10):
            shared, got = china_calendar(), []
            barrier = threading.Barrier(8)

            def ask(calendar=shared, answers=got):
                barrier.wait()
                answers.append(calendar.nth_workday_after(date(2026, 11, 23), 4))

            threads = [threading.Thread(target=ask) for _ in range(8)]
            for t in threads:
                t.start()
            for t in threads:
                t.join()
            assert got == [want] * 8
    finally:
        sys.setswitchinterval(previous)
