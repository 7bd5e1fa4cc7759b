"""The provisional calendar: statutory holidays for years whose State Council notice is not entered,
deadlines that skip them, the notice entered in the admin, the `calendar` command, and the notes on pages."""

from __future__ import annotations

import io
import threading
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from yiwang.worktime import calendar
from yiwang.worktime.holidays import statutory_holidays
from yiwang.worktime.models import CalendarYear, DayKind, SpecialDay
from yiwang.worktime.sla import WorkCalendar, parse_office_hours

TZ = ZoneInfo("Asia/Shanghai")
NAMES = {"元旦", "春节", "清明节", "劳动节", "端午节", "中秋节", "国庆节"}


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


def bare(year_range=range(2004, 2027), provisional=statutory_holidays) -> WorkCalendar:
    """The package's calendar for the years it knows, provisional after."""
    import chinese_calendar

    special = {d: False for d in chinese_calendar.holidays}
    special.update({d: True for d in chinese_calendar.workdays})
    return WorkCalendar(special=special, known_years=frozenset(year_range), office_hours=parse_office_hours("09:00-12:00,14:00-18:00"),
                        tz=TZ, provisional=provisional)


# The statutory days ------------------------------------------------------------------------------

@pytest.mark.parametrize("year", [2025, 2026])
def test_statutory_days_are_real_holidays_of_the_years_the_package_knows(year):
    import chinese_calendar

    days = statutory_holidays(year)
    assert days and all(d.year == year for d in days)
    assert [d for d in days if d not in chinese_calendar.holidays] == []
    # 13 statutory days (the 2024 amendment); a Saturday or Sunday among them is made up on a weekday.
    statutory = {d: n for d, n in days.items() if not n.endswith("（补假）")}
    assert len([1 for n in statutory.values() for _ in n.split("、")]) == 13
    assert {part for n in days.values() for part in n.removesuffix("（补假）").split("、")} == NAMES


def test_2027_from_the_lunar_calendar_and_the_qingming_term():
    days = statutory_holidays(2027)
    assert days[date(2027, 1, 1)] == "元旦"
    # 除夕 2027 is the 29th of the twelfth month (2027-02-05); 正月初一 to 初三 follow.
    assert [days[date(2027, 2, d)] for d in (5, 6, 7, 8)] == ["春节"] * 4
    assert date(2027, 2, 4) not in days
    assert days[date(2027, 4, 5)] == "清明节"
    assert days[date(2027, 6, 9)] == "端午节" and days[date(2027, 9, 15)] == "中秋节"
    assert [days[date(2027, 10, d)] for d in (1, 2, 3)] == ["国庆节"] * 3
    # Article 6: 初二, 初三 (Saturday, Sunday) and 5-01, 5-02, 10-02, 10-03 are made up on the next weekdays.
    assert days[date(2027, 2, 9)] == days[date(2027, 2, 10)] == "春节（补假）" and date(2027, 2, 11) not in days
    assert days[date(2027, 10, 4)] == days[date(2027, 10, 5)] == "国庆节（补假）"


def test_mid_autumn_on_national_day_is_still_a_day_off():
    days = statutory_holidays(2028)  # 中秋 2028-10-03, also 国庆's third day
    assert days[date(2028, 10, 3)] == "中秋节、国庆节"
    assert sum(1 for d in days if d.month == 10) == 5  # 10-01 (Sunday) and the shared day made up


# Deadlines -----------------------------------------------------------------------------------------

def test_five_working_days_from_2026_12_29_skip_new_years_day_2027():
    cal = bare()
    assert cal.is_fallback(date(2027, 1, 1)) and not cal.is_workday(date(2027, 1, 1))
    assert cal.nth_workday_after(date(2026, 12, 29), 5) == date(2027, 1, 6)  # 30, 31, (1-1 off), 4, 5, 6
    assert cal.add_working_seconds(at(2026, 12, 29, 9), cal.limit_seconds("5d")) == at(2027, 1, 5, 18)
    # Weekdays alone (no provisional holidays) would count New Year's Day.
    assert bare(provisional=None).add_working_seconds(at(2026, 12, 29, 9), cal.limit_seconds("5d")) == at(2027, 1, 4, 18)


def test_spring_festival_2027_is_skipped():
    cal = bare()
    assert not any(cal.is_workday(date(2027, 2, d)) for d in range(5, 11))
    assert cal.is_workday(date(2027, 2, 4)) and cal.is_workday(date(2027, 2, 11))
    assert cal.add_working_seconds(at(2027, 2, 4, 17), 2 * 3600) == at(2027, 2, 11, 10)
    assert cal.working_seconds_between(at(2027, 2, 4, 9), at(2027, 2, 12, 9)) == 2 * 7 * 3600
    assert not bare().is_workday(date(2027, 2, 6))  # Saturday stays a rest day: no make-up working days


def test_threads_growing_a_provisional_calendar_agree():
    want = bare().nth_workday_after(date(2026, 12, 20), 40)
    shared, got = bare(), []
    barrier = threading.Barrier(6)

    def ask():
        barrier.wait()
        got.append(shared.nth_workday_after(date(2026, 12, 20), 40))

    threads = [threading.Thread(target=ask) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert got == [want] * 6


@pytest.mark.django_db
def test_the_loaded_calendar_is_provisional_for_2027_and_names_days_in_chinese():
    calendar.invalidate()
    cal = calendar.current()
    assert cal.is_fallback(date(2027, 1, 1)) and not cal.is_workday(date(2027, 1, 1))
    assert cal.nth_workday_after(date(2026, 12, 29), 5) == date(2027, 1, 6)
    assert SpecialDay.objects.get(date=date(2026, 10, 1)).name == "国庆节"
    assert set(SpecialDay.objects.filter(date__year=2026).values_list("name", flat=True)) <= NAMES


# The notice, entered in the admin ------------------------------------------------------------------

NOTICE = {
    "year": "2027", "source": "国办发明电〔2026〕X号",
    "holidays": "2027-01-01 元旦\n2027-02-06至2027-02-13 春节\n2027-04-03~2027-04-05 清明节",
    "workdays": "2027-02-20 春节\n2027-04-10 清明节",
}


@pytest.mark.django_db
def test_entering_the_2027_notice_in_the_admin_replaces_the_provisional_days(client, users, django_capture_on_commit_callbacks):
    client.force_login(users["district"])
    calendar.invalidate()
    assert not calendar.current().is_workday(date(2027, 2, 5))  # provisional 除夕
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/admin/worktime/calendaryear/add/", NOTICE)
    assert response.status_code == 302, response.content.decode()[:2000]
    assert CalendarYear.objects.get(year=2027).source == NOTICE["source"]
    assert SpecialDay.objects.filter(date__year=2027, kind=DayKind.HOLIDAY).count() == 12
    cal = calendar.current()
    assert not cal.is_fallback(date(2027, 2, 5))
    assert cal.is_workday(date(2027, 2, 5))  # 除夕 is not a holiday in this notice: the provisional day is gone
    assert not cal.is_workday(date(2027, 2, 13)) and not cal.is_workday(date(2027, 4, 5))
    assert cal.is_workday(date(2027, 2, 20)) and cal.is_workday(date(2027, 4, 10))  # make-up Saturdays
    assert cal.is_workday(date(2027, 5, 3))  # no provisional 补假 is left either
    # Editing it again replaces the days rather than adding to them.
    row = CalendarYear.objects.get(year=2027)
    page = client.get(f"/admin/worktime/calendaryear/{row.pk}/change/").content.decode()
    assert "2027-02-20 春节" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(f"/admin/worktime/calendaryear/{row.pk}/change/", {**NOTICE, "workdays": ""})
    assert response.status_code == 302
    assert not SpecialDay.objects.filter(date__year=2027, kind=DayKind.WORKDAY).exists()
    assert not calendar.current().is_workday(date(2027, 2, 20))


@pytest.mark.django_db
def test_a_bad_notice_is_refused_with_every_reason(client, users):
    client.force_login(users["district"])
    bad_lines = {**NOTICE, "holidays": "2027-02-06 春节\n2月6日 春节\n2027-02-13至2027-02-06 春节"}
    page = client.post("/admin/worktime/calendaryear/add/", bad_lines).content.decode()
    assert "第 2 行“2月6日 春节”" in page and "第 3 行：结束日期须在开始日期之后" in page
    bad_days = {**NOTICE, "holidays": "2027-02-06 春节\n2028-01-01 元旦", "workdays": "2027-02-06 春节"}
    page = client.post("/admin/worktime/calendaryear/add/", bad_days).content.decode()
    assert "2028-01-01 不在 2027 年" in page and "2027-02-06 不能既放假又上班" in page
    assert not CalendarYear.objects.filter(year=2027).exists() and not SpecialDay.objects.filter(date__year=2027).exists()


# The command ----------------------------------------------------------------------------------------

def _calendar(year: int) -> list[list[str]]:
    out = io.StringIO()
    call_command("calendar", str(year), stdout=out)
    return [line.split("\t") for line in out.getvalue().splitlines()]


@pytest.mark.django_db
def test_the_command_prints_a_provisional_year():
    lines = _calendar(2027)
    assert lines[0] == ["2027", "暂定"]
    assert ["2027-01-01", "休", "元旦", "暂定"] in lines and ["2027-02-05", "休", "春节", "暂定"] in lines
    assert all(len(line) == 4 and line[1] == "休" and line[3] == "暂定" for line in lines[1:])
    assert [line[0] for line in lines[1:]] == sorted(d.isoformat() for d in statutory_holidays(2027))
    assert not any(line[0] == "2027-01-02" for line in lines)  # an ordinary Saturday is not listed


@pytest.mark.django_db
def test_the_command_prints_the_packages_year_and_an_entered_notice():
    lines = _calendar(2026)
    assert lines[0] == ["2026", "国务院通知"]
    assert ["2026-10-01", "休", "国庆节", "chinesecalendar"] in lines and ["2026-10-10", "班", "国庆节", "chinesecalendar"] in lines
    from yiwang.worktime.services import enter_notice

    enter_notice(year=2027, holidays={date(2027, 1, 1): "元旦"}, workdays={date(2027, 2, 20): "春节"})
    assert _calendar(2027) == [["2027", "国务院通知"], ["2027-01-01", "休", "元旦", "通知"], ["2027-02-20", "班", "春节", "通知"]]


# Pages ------------------------------------------------------------------------------------------------

@pytest.mark.django_db
def test_the_command_screen_asks_admins_for_the_notice_until_it_is_entered(client, users, monkeypatch):
    from django.utils import timezone

    monkeypatch.setattr(timezone, "localdate", lambda *a, **k: date(2026, 12, 7))
    client.force_login(users["district"])
    html = client.get("/command/").content.decode()
    assert 'data-testid="calendar-banner"' in html and "2027 年国务院放假通知尚未录入" in html
    assert "/admin/worktime/calendaryear/add/" in html
    client.force_login(users["street"])  # not the calendar's keeper
    assert 'data-testid="calendar-banner"' not in client.get("/command/").content.decode()
    from yiwang.worktime.services import enter_notice

    enter_notice(year=2027, holidays={date(2027, 1, 1): "元旦"}, workdays={})
    client.force_login(users["district"])
    assert 'data-testid="calendar-banner"' not in client.get("/command/").content.decode()


@pytest.mark.django_db
def test_the_banner_waits_for_october_before_asking_for_next_year():
    from yiwang.worktime.selectors import years_awaiting_notice

    assert years_awaiting_notice(date(2026, 9, 30)) == []
    assert years_awaiting_notice(date(2026, 10, 1)) == [2027]
    assert years_awaiting_notice(date(2027, 3, 1)) == [2027]


@pytest.mark.django_db
def test_the_case_page_says_a_deadline_is_provisional(client, users, tree):
    from django.urls import reverse

    from tests.factories import case as make_case
    from yiwang.cases import clock

    case = make_case(tree.grid_a)
    calendar.invalidate()
    clock.start_step(case, now=at(2026, 12, 29, 9), calendar=calendar.current())
    clock.set_close_due(case, start=at(2026, 12, 29, 9), calendar=calendar.current())
    case.save()
    assert case.close_due_at.year == 2027 and "2027 年国务院放假通知尚未录入" in case.deadline_note
    client.force_login(users["community"])
    html = client.get(reverse("case-detail", args=[case.number])).content.decode()
    assert 'data-testid="calendar-note"' in html and "截止时间按暂定日历计算（2027 年国务院放假通知尚未录入）" in html
    # A deadline within an entered year carries no note.
    clock.start_step(case, now=at(2026, 12, 1, 9), calendar=calendar.current())
    clock.set_close_due(case, start=at(2026, 12, 1, 9), calendar=calendar.current())
    case.save()
    assert case.close_due_at.year == 2026 and case.deadline_note == ""
    assert 'data-testid="calendar-note"' not in client.get(reverse("case-detail", args=[case.number])).content.decode()


def test_no_provisional_days_before_the_amended_law():
    # An unentered year before 2025 keeps plain weekdays: the 2024 rules would be wrong for it.
    assert statutory_holidays(2024) == {}
    unentered = WorkCalendar(special={}, known_years=frozenset(), office_hours=parse_office_hours("09:00-17:00"), tz=TZ,
                             provisional=statutory_holidays)
    assert unentered.is_workday(date(2024, 1, 1)) and not unentered.is_workday(date(2025, 1, 1))


@pytest.mark.django_db
def test_days_seeded_with_the_packages_english_names_are_renamed():
    import importlib

    from django.apps import apps

    migration = importlib.import_module("yiwang.worktime.migrations.0003_chinese_holiday_names")
    SpecialDay.objects.filter(date=date(2026, 10, 1)).update(name="National Day")
    SpecialDay.objects.filter(date=date(2026, 4, 5)).update(name="Tomb-sweeping Day")
    SpecialDay.objects.filter(date=date(2026, 10, 2)).update(name="街道自定")
    migration.rename(apps, None)
    names = dict(SpecialDay.objects.filter(date__in=[date(2026, 10, 1), date(2026, 4, 5), date(2026, 10, 2)]).values_list("date", "name"))
    assert names == {date(2026, 10, 1): "国庆节", date(2026, 4, 5): "清明节", date(2026, 10, 2): "街道自定"}


def _rollup_state():
    from yiwang.cases import rollups
    from yiwang.cases.models import CaseRollup, OpenCaseRollup

    counts = sorted(r for r in CaseRollup.objects.values_list("region", "grain", "period", "board", "department_key", *rollups.COUNTS) if any(r[5:]))
    opened = sorted(OpenCaseRollup.objects.values_list("region", "board", "department_key", "reported_on", "due_on", "open_cases", "flagged"))
    return counts, opened


@pytest.mark.django_db
def test_entering_a_notice_moves_open_deadlines_that_lay_on_changed_days(tree):
    from tests.factories import case as make_case
    from yiwang.cases import clock, rollups
    from yiwang.cases.models import Status
    from yiwang.worktime.services import enter_notice

    calendar.invalidate()
    old = calendar.current()
    start = at(2026, 12, 29, 9)
    open_case, closed_case = make_case(tree.grid_a), make_case(tree.grid_a)
    for case in (open_case, closed_case):
        case.step_started_at = start
        case.step_warn_at = old.add_working_seconds(start, old.limit_seconds("4d"))
        case.step_due_at = old.add_working_seconds(start, old.limit_seconds("5d"))
        case.deadline_note = "来源无办理时限；" + clock._renoted(case, start, case.step_due_at, old)
        case.save()
    assert open_case.step_due_at == at(2027, 1, 5, 18) and "2027 年国务院放假通知尚未录入" in open_case.deadline_note
    closed_case.status = Status.CLOSED
    closed_case.save()

    # The notice gives Monday 2027-01-04 off as well (the provisional calendar had only 1-01).
    enter_notice(year=2027, holidays={date(2027, 1, 1): "元旦", date(2027, 1, 4): "元旦"}, workdays={}, now=at(2026, 12, 28, 9))
    open_case.refresh_from_db()
    closed_case.refresh_from_db()
    assert open_case.step_warn_at == at(2027, 1, 5, 18) and open_case.step_due_at == at(2027, 1, 6, 18)
    assert open_case.deadline_note == "来源无办理时限"  # the import's sentence stays, the provisional one goes
    assert closed_case.step_due_at == at(2027, 1, 5, 18)  # a closed case's record is history
    rollups.fold_all()
    kept = _rollup_state()
    rollups.rebuild()
    assert _rollup_state() == kept  # the open-case rollups moved with the due day
