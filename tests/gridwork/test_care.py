"""Key-person care: which plan applies to whom, the status rule, coverage per grid (重点对象关注覆盖率)
and the overdue list."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.gridwork import factories as gw
from yiwang.gridwork import selectors
from yiwang.gridwork.selectors import COVERED, OVERDUE, PENDING, care_status

TODAY = date(2026, 6, 15)
frequencies = st.sampled_from([7, 14, 30, 90])
# Pure arithmetic; the CI machine may be busy, so no timing checks.
pure = settings(max_examples=200, deadline=None, database=None, suppress_health_check=[HealthCheck.too_slow])


@pure
@given(frequency=frequencies, start_offset=st.integers(0, 400), visit_offset=st.one_of(st.none(), st.integers(0, 500)))
def test_status_rule_properties(frequency, start_offset, visit_offset):
    starts_on = TODAY - timedelta(days=start_offset)
    last = None if visit_offset is None else TODAY - timedelta(days=visit_offset)
    status, due_on = care_status(last_visit_on=last, starts_on=starts_on, frequency_days=frequency, today=TODAY)
    # Covered exactly when the last visit is within the window of the last N days, today included.
    assert (status == COVERED) == (last is not None and visit_offset < frequency)
    # Overdue exactly from the due date on, and never while covered.
    assert (status == OVERDUE) == (status != COVERED and TODAY >= due_on)
    # The due date is N days after the later of the last visit and the plan's start.
    base = max(last, starts_on) if last is not None else starts_on
    assert due_on == base + timedelta(days=frequency)
    if status == PENDING:
        assert TODAY < due_on and (last is None or visit_offset >= frequency)


@pure
@given(frequency=frequencies, visit_offset=st.integers(0, 200))
def test_a_visit_today_always_covers_and_waiting_a_full_window_makes_it_overdue(frequency, visit_offset):
    starts_on = TODAY - timedelta(days=365)
    assert care_status(last_visit_on=TODAY, starts_on=starts_on, frequency_days=frequency, today=TODAY)[0] == COVERED
    last = TODAY - timedelta(days=visit_offset)
    status, due_on = care_status(last_visit_on=last, starts_on=starts_on, frequency_days=frequency, today=TODAY)
    assert status == (COVERED if visit_offset < frequency else OVERDUE)
    assert (TODAY - due_on).days == visit_offset - frequency


@pure
@given(st.lists(st.sampled_from([COVERED, PENDING, OVERDUE]), max_size=50))
def test_coverage_rate_is_covered_over_under_plan(statuses):
    covered = statuses.count(COVERED)
    rate = selectors.coverage_rate(covered, len(statuses))
    if not statuses:
        assert rate is None
    else:
        assert 0 <= rate <= 1 and rate * len(statuses) == pytest.approx(covered)


def _visit(region, person, days_ago):
    return gw.homevisit(region, persons=[person], at=timezone.now() - timedelta(days=days_ago))


@pytest.mark.django_db
def test_coverage_per_grid_and_the_overdue_list(tree, users, tagged):
    today = timezone.localdate()
    start = today - timedelta(days=60)
    gw.careplan(tree.community, group="elderly_alone", frequency_days=7, starts_on=start)
    users["worker_a"].first_name = "张网格"
    users["worker_a"].save()
    covered = tagged(tree.micro_a1, "elderly_alone", name="王大爷")
    late = tagged(tree.micro_a2, "elderly_alone", name="李奶奶")
    never = tagged(tree.grid_a, "elderly_alone", name="赵爷爷")
    tagged(tree.grid_a, "veteran", name="退役不在计划")  # no plan for this group
    in_b = tagged(tree.micro_b1, "elderly_alone", name="钱婆婆")
    _visit(tree.micro_a1, covered, 2)
    _visit(tree.micro_a2, late, 30)
    _visit(tree.micro_a2, late, 10)  # the last one counts
    _visit(tree.micro_b1, in_b, 6)  # still inside the weekly window
    rows = selectors.care_rows(region_path=tree.community.path)
    by_person = {row.person_id: row for row in rows}
    assert set(by_person) == {covered.pk, late.pk, never.pk, in_b.pk}
    assert by_person[covered.pk].status == COVERED
    assert (by_person[late.pk].status, by_person[late.pk].due_on, by_person[late.pk].days_overdue) == (OVERDUE, today - timedelta(days=3), 3)
    assert (by_person[never.pk].status, by_person[never.pk].due_on) == (OVERDUE, start + timedelta(days=7))
    assert by_person[in_b.pk].status == COVERED
    grids = {cell.grid.code: cell for cell in selectors.coverage_by_grid(rows, region_path=tree.community.path)}
    a, b = grids[tree.grid_a.code], grids[tree.grid_b.code]
    assert (a.under_plan, a.covered, a.overdue, a.percent, a.workers) == (3, 1, 2, "33.3%", ["张网格"])
    assert (b.under_plan, b.covered, b.overdue, b.rate, b.workers) == (1, 1, 0, 1.0, ["worker_b"])
    assert [row.person_name for row in selectors.overdue(rows)] == ["赵爷爷", "李奶奶"]  # longest overdue first
    totals = selectors.totals(rows)
    assert (totals["under_plan"], totals["covered"], totals["overdue"], totals["percent"]) == (4, 2, 2, "50.0%")
    # A grid worker's scope: only their grid, and the community plan above it still applies.
    rows_a = selectors.care_rows(region_path=tree.grid_a.path)
    assert {row.person_id for row in rows_a} == {covered.pk, late.pk, never.pk}
    assert [cell.grid.code for cell in selectors.coverage_by_grid(rows_a, region_path=tree.grid_a.path)] == [tree.grid_a.code]


@pytest.mark.django_db
def test_the_nearest_plan_applies_and_the_most_frequent_group_wins(tree, tagged):
    start = timezone.localdate() - timedelta(days=100)
    gw.careplan(tree.district, group="disabled", frequency_days=90, starts_on=start)
    gw.careplan(tree.street, group="disabled", frequency_days=30, starts_on=start)
    community_plan = gw.careplan(tree.community, group="disabled", frequency_days=14, starts_on=start)
    district_elderly = gw.careplan(tree.district, group="elderly_alone", frequency_days=7, starts_on=start)
    one = tagged(tree.micro_a1, "disabled")
    both = tagged(tree.micro_a1, "disabled", "elderly_alone")
    elsewhere = tagged(tree.other_street, "disabled")
    rows = {row.person_id: row for row in selectors.care_rows(region_path=tree.district.path)}
    assert rows[one.pk].plan == community_plan  # the community's, not the street's or district's
    assert rows[both.pk].plan == district_elderly and rows[both.pk].groups == ["残疾人", "独居老人"]
    assert rows[elsewhere.pk].plan.frequency_days == 90  # only the district plan is above the other street


@pytest.mark.django_db
def test_ended_and_not_yet_started_plans_do_not_apply(tree, tagged):
    today = timezone.localdate()
    gw.careplan(tree.community, group="elderly_alone", frequency_days=7, starts_on=today + timedelta(days=3))
    gw.careplan(tree.community, group="disabled", frequency_days=7, starts_on=today - timedelta(days=30), active=False, ends_on=today)
    tagged(tree.micro_a1, "elderly_alone", "disabled")
    assert selectors.care_rows(region_path=tree.community.path) == []
    cells = selectors.coverage_by_grid([], region_path=tree.community.path)
    assert [(c.under_plan, c.rate, c.percent) for c in cells] == [(0, None, "—"), (0, None, "—")]


@pytest.mark.django_db
def test_a_visit_recorded_by_anyone_counts_and_a_new_plan_is_pending(tree, users, tagged):
    from yiwang.gridwork import services

    today = timezone.localdate()
    gw.careplan(tree.community, group="elderly_alone", frequency_days=30, starts_on=today - timedelta(days=5))
    elder = tagged(tree.micro_a1, "elderly_alone")
    other = tagged(tree.micro_a1, "elderly_alone")
    assert {row.status for row in selectors.care_rows(region_path=tree.grid_a.path)} == {PENDING}
    services.record_visit(acting_user=users["community"], region=tree.micro_a1, at=timezone.now() - timedelta(hours=1),
                          summary="社区干部上门", persons=[elder])
    statuses = {row.person_id: row.status for row in selectors.care_rows(region_path=tree.grid_a.path)}
    assert statuses == {elder.pk: COVERED, other.pk: PENDING}
