"""Case indicators (yiwang.cases.indicators) on hand-built cases, with exact numbers for each rate.

The definitions under test are in docs/indicators.md. Times are Asia/Shanghai; office hours are the
default 09:00-12:00,14:00-18:00 (7 h a day); the calendar is the one seeded by migration from
chinesecalendar. 2026-03-09 is a Monday with no holiday near it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from yiwang.cases import indicators as ind
from yiwang.cases.indicators import Indicators, breakdown, indicators, percentile
from yiwang.cases.models import Case, Channel, Level, Rating, Status

TZ = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=TZ)


MON = at(2026, 3, 9, 10)  # Monday 10:00
AS_OF = at(2026, 3, 20, 12)  # Friday noon, when every test judges


@pytest.fixture
def make_case(tree):
    from yiwang.matters.models import MatterType
    from yiwang.matters.services import current_version

    versions = {}

    def make(status=Status.REPORTED, *, code="S0001", region=None, reported_at=MON, **fields):
        if code not in versions:
            matter = MatterType.objects.get(kind="community", code=code)
            versions[code] = (matter, current_version(matter))
        matter, version = versions[code]
        region = region or tree.grid_a
        return Case.objects.create(
            channel=Channel.DESK, matter=matter, matter_version=version, board=matter.board, tier=matter.default_tier,
            level=Level.GRID, region=region, handling_region=region, status=status, reported_at=reported_at, **fields,
        )

    return make


def closed(make_case, *, due, closed_at, status=Status.CLOSED, **fields):
    fields.setdefault("handled_at", closed_at - timedelta(hours=1))
    return make_case(status, close_due_at=due, closed_at=closed_at, **fields)


def five(make_case, **common):
    """2 closed on time, 1 closed late, 1 open past due, 1 open not yet due (as of AS_OF)."""
    due = at(2026, 3, 12, 10)
    return [
        closed(make_case, due=due, closed_at=at(2026, 3, 11, 10), **common),
        closed(make_case, due=due, closed_at=due, **common),  # exactly at the deadline: on time
        closed(make_case, due=due, closed_at=at(2026, 3, 13, 10), ever_overdue=True, **common),
        make_case(Status.SIGNED, close_due_at=at(2026, 3, 16, 10), **common),
        make_case(Status.SIGNED, close_due_at=at(2026, 3, 25, 10), **common),
    ]


# The basic rates ---------------------------------------------------------------------------------

def test_on_time_and_closing_rates_count_open_cases_past_due_as_late(make_case):
    five(make_case)
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert (result.cases, result.closed, result.closed_on_time, result.closed_late, result.open, result.open_overdue) == (5, 3, 2, 1, 2, 1)
    assert result.due == 4 and result.judged == 4 and result.late == 2
    assert result.on_time_rate == 2 / 4
    assert result.closing_rate == 3 / 4
    # ever_overdue (the late one) or open past due: the late closed case is counted once.
    assert result.overdue == 2 and result.overdue_rate == 2 / 5


def test_as_of_decides_which_open_cases_are_past_due(make_case):
    five(make_case)
    early = indicators(Case.objects.all(), as_of=at(2026, 3, 16, 10))  # exactly at the open case's deadline
    assert early.open_overdue == 0 and early.on_time_rate == 2 / 3 and early.closing_rate == 3 / 3
    late = indicators(Case.objects.all(), as_of=at(2026, 4, 1))
    assert late.open_overdue == 2 and late.on_time_rate == 2 / 5 and late.closing_rate == 3 / 5 and late.overdue_rate == 3 / 5


def test_as_of_defaults_to_now(make_case):
    make_case(Status.SIGNED, reported_at=at(2020, 1, 6, 10), close_due_at=at(2020, 1, 7, 10))
    make_case(Status.SIGNED, reported_at=at(2020, 1, 6, 10), close_due_at=at(2999, 1, 7, 10))
    result = indicators(Case.objects.all())
    assert result.open_overdue == 1 and result.on_time_rate == 0.0 and result.closing_rate == 0.0


def test_rated_cases_count_as_closed_and_give_the_satisfaction_rate(make_case):
    due = at(2026, 3, 12, 10)
    for rating in (Rating.SATISFIED, Rating.SATISFIED, Rating.BASIC, Rating.UNSATISFIED):
        closed(make_case, due=due, closed_at=at(2026, 3, 10, 10), status=Status.RATED, rating=rating)
    closed(make_case, due=due, closed_at=at(2026, 3, 10, 10))  # closed, not rated yet
    # Rated unsatisfied and reopened: open again, still carries its rating until rated again.
    make_case(Status.ACCEPTED, close_due_at=at(2026, 3, 30, 10), closed_at=at(2026, 3, 10, 10), rating=Rating.UNSATISFIED)
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert (result.rated, result.satisfied, result.basic, result.unsatisfied) == (5, 2, 1, 2)
    assert result.satisfaction_rate == 3 / 5
    # The reopened case is open and not yet due again: it is not closed, whatever its closed_at says.
    assert result.closed == 5 and result.open == 1 and result.closing_rate == 5 / 5


def test_rework_rate_is_over_cases_handled_at_least_once(make_case):
    due = at(2026, 3, 12, 10)
    closed(make_case, due=due, closed_at=at(2026, 3, 10, 10), rework_count=2)
    closed(make_case, due=due, closed_at=at(2026, 3, 10, 10))
    make_case(Status.SIGNED, handled_at=at(2026, 3, 9, 15), rework_count=1, close_due_at=at(2026, 3, 30))  # reworked, redoing
    make_case(Status.HANDLED, handled_at=at(2026, 3, 9, 15), close_due_at=at(2026, 3, 30))
    make_case(Status.SIGNED, close_due_at=at(2026, 3, 30))  # never handled: not in the denominator
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert (result.handled, result.reworked) == (4, 2)
    assert result.rework_rate == 2 / 4


def test_extension_rate_is_over_all_cases(make_case):
    make_case(Status.SIGNED, extension_count=2, close_due_at=at(2026, 3, 30))
    make_case(Status.SIGNED, extension_count=1, close_due_at=at(2026, 3, 30))
    make_case(Status.SIGNED, close_due_at=at(2026, 3, 30))
    make_case(Status.REPORTED, close_due_at=at(2026, 3, 30))
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert result.extended == 2 and result.extension_rate == 2 / 4


def test_overdue_rate_counts_ever_overdue_open_past_due_and_closed_late(make_case):
    due = at(2026, 3, 12, 10)
    closed(make_case, due=due, closed_at=at(2026, 3, 11, 10), ever_overdue=True)  # a step ran late, case on time
    closed(make_case, due=due, closed_at=at(2026, 3, 13, 10))  # closed late, never flagged by the sweep
    make_case(Status.SIGNED, close_due_at=at(2026, 3, 16, 10))  # open past due, sweep not run yet
    make_case(Status.SIGNED, close_due_at=at(2026, 3, 30, 10))
    closed(make_case, due=due, closed_at=at(2026, 3, 11, 10))
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert result.overdue == 3 and result.overdue_rate == 3 / 5
    assert result.on_time_rate == 2 / 4


def test_void_cases_are_left_out_and_counted_apart(make_case):
    five(make_case)
    make_case(Status.REJECTED, rejected_at=MON, close_due_at=at(2026, 3, 10), ever_overdue=True, rating=Rating.UNSATISFIED)
    make_case(Status.MERGED, merged_at=MON, close_due_at=at(2026, 3, 10), extension_count=1)
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert result.cases == 5 and result.voided == 2
    assert (result.on_time_rate, result.closing_rate, result.overdue_rate, result.extension_rate) == (2 / 4, 3 / 4, 2 / 5, 0 / 5)
    assert result.rated == 0 and result.satisfaction_rate is None


def test_a_paused_clock_is_not_past_due_while_paused(make_case):
    # On hold since before its deadline: the deadline moves on release, so it is not late yet.
    make_case(Status.ON_HOLD, held_at=at(2026, 3, 10, 10), paused_at=at(2026, 3, 10, 10), close_due_at=at(2026, 3, 12, 10))
    # Extension pending, asked for after the deadline had already passed: late.
    make_case(Status.SIGNED, paused_at=at(2026, 3, 13, 10), close_due_at=at(2026, 3, 12, 10))
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert result.open == 2 and result.open_overdue == 1 and result.on_time_rate == 0 / 1 and result.overdue_rate == 1 / 2


def test_a_closed_case_without_a_deadline_is_closed_but_not_judged(make_case):
    closed(make_case, due=None, closed_at=at(2026, 3, 10, 10))
    closed(make_case, due=at(2026, 3, 12, 10), closed_at=at(2026, 3, 11, 10))
    make_case(Status.SIGNED)  # open without a deadline: never past due
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert (result.closed, result.closed_undated, result.judged, result.due) == (2, 1, 1, 2)
    assert result.on_time_rate == 1 / 1 and result.closing_rate == 2 / 2 and result.overdue_rate == 0 / 3


def test_zero_denominators_give_none_shown_as_a_dash(make_case):
    empty = indicators(Case.objects.all(), as_of=AS_OF)
    assert empty == Indicators()
    for name in Indicators.RATES:
        assert getattr(empty, name) is None, name
        assert ind.format_rate(getattr(empty, name)) == "—"
    assert empty.work_hours_median is empty.work_hours_p90 is empty.wall_hours_median is empty.wall_hours_p90 is None
    assert ind.format_hours(empty.work_hours_median) == "—"

    make_case(Status.REPORTED, close_due_at=at(2026, 3, 30))  # one case, nothing due, handled or rated
    one = indicators(Case.objects.all(), as_of=AS_OF)
    assert one.cases == 1
    assert (one.on_time_rate, one.closing_rate, one.rework_rate, one.satisfaction_rate) == (None, None, None, None)
    assert (one.extension_rate, one.overdue_rate) == (0.0, 0.0)
    assert ind.format_rate(0.0) == "0.0%" and ind.format_rate(2 / 3) == "66.7%"


def test_as_dict_carries_counts_rates_and_hours(make_case):
    five(make_case)
    data = indicators(Case.objects.all(), as_of=AS_OF).as_dict()
    assert data["cases"] == 5 and data["due"] == 4 and data["on_time_rate"] == 0.5 and data["late"] == 2
    assert set(Indicators.RATES) <= set(data) and "work_hours_median" in data


def test_period_is_by_reported_at_half_open(make_case):
    start, end = at(2026, 3, 1), at(2026, 4, 1)
    make_case(Status.SIGNED, reported_at=start)
    make_case(Status.SIGNED, reported_at=end - timedelta(microseconds=1))
    make_case(Status.SIGNED, reported_at=end)
    make_case(Status.SIGNED, reported_at=start - timedelta(seconds=1))
    assert indicators(Case.objects.all(), as_of=AS_OF, start=start, end=end).cases == 2
    assert indicators(ind.in_period(Case.objects.all(), start, end), as_of=AS_OF).cases == 2
    assert indicators(Case.objects.all(), as_of=AS_OF, start=start).cases == 3
    assert indicators(Case.objects.all(), as_of=AS_OF, end=end).cases == 3


def test_region_subtree(tree, make_case):
    five(make_case, region=tree.grid_a)
    make_case(Status.SIGNED, region=tree.grid_b, close_due_at=at(2026, 3, 10))
    assert indicators(ind.in_region(Case.objects.all(), tree.grid_a), as_of=AS_OF).cases == 5
    assert indicators(ind.in_region(Case.objects.all(), tree.community), as_of=AS_OF).cases == 6
    assert indicators(ind.in_region(Case.objects.all(), tree.other_street), as_of=AS_OF).cases == 0
    b = indicators(ind.in_region(Case.objects.all(), tree.grid_b), as_of=AS_OF)
    assert b.on_time_rate == 0.0 and b.overdue_rate == 1.0


def test_a_distinct_scoped_queryset_is_not_counted_twice(tree, users, make_case):
    from yiwang.cases.models import Summons, SummonsPart
    from yiwang.matters.models import Department

    dept = Department.objects.create(code="KZ-CG", name="开州区城管执法局", kind="urban_management", region=tree.district)
    dept.members.add(users["department"])
    case = closed(make_case, due=at(2026, 3, 12, 10), closed_at=at(2026, 3, 11, 10), handling_department=dept)
    summons = Summons.objects.create(case=case, region=tree.street, reason="联合处置", created_at=MON)
    for task in ("勘查", "执法"):
        SummonsPart.objects.create(summons=summons, department=dept, task=task, checkin_due_at=MON + timedelta(hours=2))
    scoped = Case.objects.restrict(users["department"])
    assert scoped.query.distinct
    result = indicators(scoped, as_of=AS_OF)
    assert result.cases == 1 and result.closed_on_time == 1 and result.work_hours_median == 14.0
    [(key, label, row)] = breakdown(scoped, by="department", as_of=AS_OF)
    assert key == dept.pk and row.cases == 1


# Working hours to close --------------------------------------------------------------------------

def hours(make_case, reported_at, closed_at):
    Case.objects.all().delete()
    closed(make_case, due=closed_at, closed_at=closed_at, reported_at=reported_at)
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert result.work_hours_median == result.work_hours_p90
    assert result.wall_hours_median == result.wall_hours_p90
    return result.work_hours_median, result.wall_hours_median


def test_working_hours_skip_nights_lunch_weekends_and_holidays(make_case):
    import chinese_calendar

    # Same day, across the lunch break: 10:00-12:00 and 14:00-15:00.
    assert hours(make_case, at(2026, 3, 9, 10), at(2026, 3, 9, 15)) == (3.0, 5.0)
    # Friday 16:00 → Monday 10:00 across an ordinary weekend: 2 h Friday + 1 h Monday.
    assert hours(make_case, at(2026, 3, 13, 16), at(2026, 3, 16, 10)) == (3.0, 66.0)
    # Labour Day 2026: Friday 1 May to Tuesday 5 May are holidays (and 9 May, a Saturday, is worked).
    assert not any(chinese_calendar.is_workday(at(2026, 5, d).date()) for d in range(1, 6))
    assert hours(make_case, at(2026, 4, 30, 16), at(2026, 5, 6, 10)) == (3.0, 138.0)
    # National Day 2026: Saturday 10 October is a make-up working day (调休), so it counts in full.
    assert chinese_calendar.is_workday(at(2026, 10, 10).date())
    assert hours(make_case, at(2026, 10, 9, 16), at(2026, 10, 12, 10)) == (2.0 + 7.0 + 1.0, 66.0)
    # Reported at night and closed before office hours the next morning: no working time at all.
    assert hours(make_case, at(2026, 3, 9, 20), at(2026, 3, 10, 8)) == (0.0, 12.0)


def test_working_hours_median_and_p90_by_linear_interpolation(make_case):
    monday = at(2026, 3, 9, 9)
    for end in (at(2026, 3, 9, 10), at(2026, 3, 9, 11), at(2026, 3, 9, 12), at(2026, 3, 9, 15)):
        closed(make_case, due=at(2026, 3, 12), closed_at=end, reported_at=monday)
    make_case(Status.SIGNED, reported_at=monday, close_due_at=at(2026, 3, 30))  # open: not in the hours
    result = indicators(Case.objects.all(), as_of=AS_OF)
    # Working hours 1, 2, 3, 4; wall-clock hours 1, 2, 3, 6.
    assert result.work_hours_median == 2.5 and result.work_hours_p90 == pytest.approx(3.7)
    assert result.wall_hours_median == 2.5 and result.wall_hours_p90 == pytest.approx(5.1)


def test_percentile():
    assert percentile([], 50) is None
    assert percentile([4.0], 50) == percentile([4.0], 90) == 4.0
    assert percentile([3, 1, 2], 50) == 2
    assert percentile([1, 2, 3, 4], 50) == 2.5
    assert percentile([1, 2, 3, 4], 0) == 1 and percentile([1, 2, 3, 4], 100) == 4
    assert percentile(range(1, 11), 90) == pytest.approx(9.1)
    with pytest.raises(ValueError):
        percentile([1], 101)


def test_working_hours_use_the_calendar_given(make_case):
    from yiwang.worktime import calendar as work_calendar

    closed(make_case, due=at(2026, 3, 12), closed_at=at(2026, 3, 16, 10), reported_at=at(2026, 3, 13, 16))
    # A calendar where that Saturday is a make-up working day.
    calendar = work_calendar.build(special={at(2026, 3, 14).date(): True}, known_years=[2026])
    assert indicators(Case.objects.all(), as_of=AS_OF, calendar=calendar).work_hours_median == 10.0
    assert indicators(Case.objects.all(), as_of=AS_OF).work_hours_median == 3.0


# Breakdowns --------------------------------------------------------------------------------------

def test_breakdown_by_child_region(tree, make_case):
    five(make_case, region=tree.grid_a)
    closed(make_case, region=tree.grid_b, due=at(2026, 3, 12, 10), closed_at=at(2026, 3, 11, 10))
    make_case(Status.SIGNED, region=tree.community, close_due_at=at(2026, 3, 10))  # attached to the community itself

    rows = breakdown(Case.objects.all(), by="region", parent=tree.community, as_of=AS_OF)
    assert [(key, label) for key, label, _ in rows] == [
        (tree.grid_a.pk, "永先社区第1网格"), (tree.grid_b.pk, "永先社区第2网格"), (tree.community.pk, "永先社区（本级）"),
    ]
    a, b, own = (row.indicators for row in rows)
    assert (a.cases, a.on_time_rate, a.closing_rate, a.overdue_rate) == (5, 2 / 4, 3 / 4, 2 / 5)
    assert a == indicators(ind.in_region(Case.objects.all(), tree.grid_a), as_of=AS_OF)
    assert (b.cases, b.on_time_rate, b.work_hours_median) == (1, 1.0, 14.0)
    assert (own.cases, own.on_time_rate) == (1, 0.0)

    # From the district: both streets get a row, the one without cases with zero counts and no rates.
    rows = breakdown(Case.objects.all(), by="region", parent=tree.district, as_of=AS_OF)
    assert [(key, label, row.cases) for key, label, row in rows] == [(tree.other_street.pk, "汉丰街道", 0), (tree.street.pk, "云枫街道", 7)]
    assert rows[0].indicators.on_time_rate is None and rows[0].indicators.work_hours_median is None
    assert rows[1].indicators.on_time_rate == 3 / 6

    # No parent: the roots.
    [(key, label, whole)] = breakdown(Case.objects.all(), by="region", as_of=AS_OF)
    assert (key, label) == (tree.district.pk, "开州区") and whole == indicators(Case.objects.all(), as_of=AS_OF)

    # Cases outside the parent's subtree are left out; a grid's children (micro grids) have no cases.
    rows = breakdown(Case.objects.all(), by="region", parent=tree.grid_b, as_of=AS_OF)
    assert [(key, label, row.cases) for key, label, row in rows] == [(tree.micro_b1.pk, "第1微网格", 0), (tree.grid_b.pk, "永先社区第2网格（本级）", 1)]


def test_breakdown_by_department(tree, make_case):
    from yiwang.matters.models import Department

    cg = Department.objects.create(code="KZ-CG", name="开州区城管执法局", kind="urban_management", region=tree.district)
    sw = Department.objects.create(code="KZ-SW", name="开州区水务局", kind="water", region=tree.district)
    five(make_case, handling_department=cg)
    make_case(Status.SIGNED, handling_department=sw, close_due_at=at(2026, 3, 10), ever_overdue=True)
    make_case(Status.SIGNED, close_due_at=at(2026, 3, 30))
    make_case(Status.SIGNED, close_due_at=at(2026, 3, 30))
    rows = breakdown(Case.objects.all(), by="department", as_of=AS_OF)
    assert [(key, label, row.cases) for key, label, row in rows] == [(cg.pk, "开州区城管执法局", 5), (None, "无办理部门", 2), (sw.pk, "开州区水务局", 1)]
    assert rows[0].indicators.on_time_rate == 2 / 4 and rows[2].indicators.overdue_rate == 1.0 and rows[1].indicators.closing_rate is None


def test_breakdown_by_matter_and_board(make_case):
    five(make_case, code="S0001")  # 邻里纠纷, safety
    closed(make_case, code="S0002", due=at(2026, 3, 12, 10), closed_at=at(2026, 3, 11, 10), rework_count=1)  # 物业矛盾, livelihood
    closed(make_case, code="S0002", due=at(2026, 3, 12, 10), closed_at=at(2026, 3, 11, 10))
    make_case(Status.SIGNED, code="S0011", close_due_at=at(2026, 3, 30), extension_count=1)  # 党员联系群众事项, party
    make_case(Status.SIGNED, code="S0009", close_due_at=at(2026, 3, 10))  # 生活噪音, safety too

    rows = breakdown(Case.objects.all(), by="matter", as_of=AS_OF)
    assert [(label, row.cases) for _, label, row in rows] == [("邻里纠纷（S0001）", 5), ("物业矛盾（S0002）", 2), ("党员联系群众事项（S0011）", 1), ("生活噪音（S0009）", 1)]
    assert rows[1].indicators.rework_rate == 1 / 2 and rows[2].indicators.extension_rate == 1.0
    assert rows[0].key == Case.objects.filter(matter__code="S0001").values_list("matter", flat=True).first()

    rows = breakdown(Case.objects.all(), by="board", as_of=AS_OF)
    assert [(key, label, row.cases) for key, label, row in rows] == [("safety", "平安法治", 6), ("livelihood", "民生服务", 2), ("party", "党的建设", 1)]
    safety = rows[0].indicators
    assert (safety.on_time_rate, safety.closing_rate, safety.overdue_rate) == (2 / 5, 3 / 5, 3 / 6)


def test_breakdown_by_worker(users, make_case):
    users["worker_a"].first_name = "李四"
    users["worker_a"].save()
    a, b = users["worker_a"], users["worker_b"]
    due = at(2026, 3, 12, 10)
    closed(make_case, due=due, closed_at=at(2026, 3, 11, 10), handler=a, status=Status.RATED, rating=Rating.SATISFIED)
    closed(make_case, due=due, closed_at=at(2026, 3, 13, 10), handler=a, status=Status.RATED, rating=Rating.UNSATISFIED)
    closed(make_case, due=due, closed_at=at(2026, 3, 11, 10), handler=b, rework_count=1)
    make_case(Status.ACCEPTED, close_due_at=at(2026, 3, 30))  # not yet dispatched: no handler
    rows = breakdown(Case.objects.all(), by="worker", as_of=AS_OF)
    assert [(key, label, row.cases) for key, label, row in rows] == [(a.pk, "李四", 2), (b.pk, "worker_b", 1), (None, "无处置人", 1)]
    mine = rows[0].indicators
    assert (mine.on_time_rate, mine.satisfaction_rate, mine.rework_rate) == (1 / 2, 1 / 2, 0 / 2)
    assert rows[1].indicators.rework_rate == 1.0 and rows[2].indicators.rework_rate is None


def test_breakdown_rows_add_up_and_period_applies(tree, users, make_case):
    five(make_case, handler=users["worker_a"])
    five(make_case, region=tree.grid_b, reported_at=at(2026, 2, 9, 10))
    total = indicators(Case.objects.all(), as_of=AS_OF, start=at(2026, 3, 1), end=at(2026, 4, 1))
    assert total.cases == 5
    for by in ind.BY:
        rows = breakdown(Case.objects.all(), by=by, parent=tree.community, as_of=AS_OF, start=at(2026, 3, 1), end=at(2026, 4, 1))
        assert sum(row.indicators.cases for row in rows) == 5, by
        assert sum(row.indicators.closed_on_time for row in rows) == total.closed_on_time, by
        assert sum(row.indicators.open_overdue for row in rows) == total.open_overdue, by


def test_breakdown_refuses_an_unknown_grouping(make_case):
    with pytest.raises(ValueError, match="choose one of"):
        breakdown(Case.objects.all(), by="street", as_of=AS_OF)


def test_naive_as_of_is_refused(make_case):
    with pytest.raises(ValueError, match="aware"):
        indicators(Case.objects.all(), as_of=datetime(2026, 3, 20, 12))


# The database's counts against a plain Python reading of the definitions -------------------------

VOID = {Status.REJECTED, Status.MERGED}
DONE = {Status.CLOSED, Status.RATED}


def expected(cases, as_of) -> dict:
    live = [c for c in cases if c.status not in VOID]
    done = [c for c in live if c.status in DONE]
    dated = [c for c in done if c.close_due_at and c.closed_at]
    late = [c for c in dated if c.closed_at > c.close_due_at]
    open_overdue = [c for c in live if c.status not in DONE and c.close_due_at and c.close_due_at < as_of
                    and (c.paused_at is None or c.close_due_at <= c.paused_at)]
    ids = {c.pk for c in late} | {c.pk for c in open_overdue} | {c.pk for c in live if c.ever_overdue}
    return dict(
        cases=len(live), voided=len(cases) - len(live), closed=len(done), closed_on_time=len(dated) - len(late),
        closed_late=len(late), closed_undated=len(done) - len(dated), open=len(live) - len(done), open_overdue=len(open_overdue),
        handled=sum(c.handled_at is not None for c in live), reworked=sum(c.handled_at is not None and c.rework_count > 0 for c in live),
        extended=sum(c.extension_count > 0 for c in live), overdue=len(ids), rated=sum(bool(c.rating) for c in live),
        satisfied=sum(c.rating == Rating.SATISFIED for c in live), basic=sum(c.rating == Rating.BASIC for c in live),
    )


hours_offset = st.integers(min_value=-72, max_value=72).map(lambda h: AS_OF + timedelta(hours=h))
case_fields = st.fixed_dictionaries({
    "status": st.sampled_from(list(Status)),
    "close_due_at": st.none() | hours_offset,
    "closed_at": st.none() | hours_offset,
    "paused_at": st.none() | hours_offset,
    "handled_at": st.none() | st.just(MON),
    "rework_count": st.integers(0, 2),
    "extension_count": st.integers(0, 2),
    "ever_overdue": st.booleans(),
    "rating": st.sampled_from(["", *Rating.values]),
})


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(case_fields, max_size=8))
def test_counts_match_the_definitions_and_rates_stay_within_0_and_1(make_case, rows):
    Case.objects.all().delete()
    cases = [make_case(reported_at=at(2026, 3, 9, 9), **fields) for fields in rows]
    result = indicators(Case.objects.all(), as_of=AS_OF)
    assert {name: getattr(result, name) for name in expected(cases, AS_OF)} == expected(cases, AS_OF)
    for name in Indicators.RATES:
        rate = getattr(result, name)
        assert rate is None or 0 <= rate <= 1, name
    assert result.closed_on_time + result.closed_late + result.closed_undated == result.closed
    assert result.closed + result.open == result.cases
    for low, high in ((result.work_hours_median, result.work_hours_p90), (result.wall_hours_median, result.wall_hours_p90)):
        assert (low is None) == (high is None) and (low is None or low <= high)


def test_counts_are_one_query_and_hours_another(tree, make_case, django_assert_num_queries, django_assert_max_num_queries):
    from yiwang.worktime import calendar as work_calendar

    five(make_case)
    calendar = work_calendar.current()
    with django_assert_num_queries(2):
        indicators(Case.objects.all(), as_of=AS_OF, calendar=calendar)
    with django_assert_num_queries(2):  # board labels need no query
        breakdown(Case.objects.all(), by="board", as_of=AS_OF, calendar=calendar)
    for by in ("region", "department", "matter", "worker"):  # plus the children or the labels, if any
        with django_assert_max_num_queries(3):
            breakdown(Case.objects.all(), by=by, parent=tree.community, as_of=AS_OF, calendar=calendar)
