"""Cadence: period arithmetic, contacts per period in local time, missed (last complete period
short), links started mid-period not blamed, counted modes; and regions with no link."""

from __future__ import annotations

from datetime import date, datetime, time

import pytest
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st

from tests.links.factories import link as make_link
from tests.links.factories import linkvisit
from yiwang.links import periods, selectors
from yiwang.links.models import Link

TODAY = date(2026, 3, 18)  # a Wednesday in March, Q1


def local(day: date, hour: int = 10, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


# Periods (pure) -----------------------------------------------------------------------------------

@pytest.mark.parametrize("period, start, end, label", [
    ("week", date(2026, 3, 16), date(2026, 3, 23), "2026年第12周"),
    ("month", date(2026, 3, 1), date(2026, 4, 1), "2026年3月"),
    ("quarter", date(2026, 1, 1), date(2026, 4, 1), "2026年第1季度"),
    ("year", date(2026, 1, 1), date(2027, 1, 1), "2026年"),
])
def test_bounds_and_labels(period, start, end, label):
    assert periods.bounds(TODAY, period) == (start, end)
    assert periods.label(start, period) == label


@pytest.mark.parametrize("day, period, previous", [
    (date(2026, 1, 7), "month", (date(2025, 12, 1), date(2026, 1, 1))),
    (date(2026, 1, 1), "week", (date(2025, 12, 22), date(2025, 12, 29))),
    (date(2026, 2, 1), "quarter", (date(2025, 10, 1), date(2026, 1, 1))),
    (date(2026, 12, 31), "year", (date(2025, 1, 1), date(2026, 1, 1))),
])
def test_previous_period_crosses_year_ends(day, period, previous):
    assert periods.previous_bounds(day, period) == previous


def test_an_iso_week_across_new_year_is_named_by_its_iso_year():
    assert periods.label(date(2025, 12, 29), "week") == "2026年第1周"


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)), st.sampled_from(["week", "month", "quarter", "year"]))
def test_periods_hold_their_day_and_follow_each_other(day, period):
    start, end = periods.bounds(day, period)
    assert start <= day < end
    previous_start, previous_end = periods.previous_bounds(day, period)
    assert previous_end == start and previous_start < start
    assert periods.bounds(end, period)[0] == end  # the next period starts where this one ends


# Cadence (database) -------------------------------------------------------------------------------

def _cadence(link):
    return selectors.cadence_of(link, today=TODAY)


@pytest.mark.django_db
def test_a_month_without_a_visit_is_missed_and_a_visit_in_it_mends_it(tree):
    link = make_link(tree.grid_a, starts_on=date(2025, 6, 1))
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 3, 2)))  # this month only
    cadence = _cadence(link)
    assert (cadence.previous_contacts, cadence.current_contacts, cadence.required) == (0, 1, 1)
    assert cadence.status == selectors.MISSED and cadence.previous_label == "2026年2月"
    assert list(selectors.missed(Link.objects.all(), today=TODAY)) == [link]
    # A visit made in February, recorded late, mends February.
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 2, 27)))
    cadence = _cadence(link)
    assert cadence.status == selectors.ON_TRACK and cadence.previous_contacts == 1
    assert cadence.last_visit_at == local(date(2026, 3, 2))
    assert not selectors.missed(Link.objects.all(), today=TODAY).exists()


@pytest.mark.django_db
def test_required_count_above_one(tree):
    link = make_link(tree.grid_a, starts_on=date(2025, 6, 1), contacts_required=4, period="week")
    for day in (date(2026, 3, 9), date(2026, 3, 10), date(2026, 3, 15)):  # last week: Mon 9 – Sun 15
        linkvisit(tree.grid_a, link=link, at=local(day))
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 3, 16)))  # this week
    cadence = _cadence(link)
    assert (cadence.previous_contacts, cadence.current_contacts) == (3, 1) and cadence.missed
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 3, 11)))
    assert _cadence(link).status == selectors.ON_TRACK


@pytest.mark.django_db
def test_periods_follow_local_time_not_utc(tree):
    # 00:30 on 1 March in Shanghai is still 28 February in UTC: it counts for March.
    link = make_link(tree.grid_a, starts_on=date(2025, 6, 1))
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 3, 1), hour=0, minute=30))
    cadence = _cadence(link)
    assert (cadence.previous_contacts, cadence.current_contacts) == (0, 1)
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 2, 28), hour=23, minute=50))
    assert _cadence(link).previous_contacts == 1


@pytest.mark.django_db
def test_a_link_started_mid_period_is_not_blamed_for_it(tree):
    started_mid_february = make_link(tree.grid_a, starts_on=date(2026, 2, 10))
    started_first_of_february = make_link(tree.grid_b, starts_on=date(2026, 2, 1))
    started_this_month = make_link(tree.grid_b, starts_on=date(2026, 3, 5))
    assert _cadence(started_mid_february).status == selectors.NEW
    assert _cadence(started_this_month).status == selectors.NEW
    assert _cadence(started_first_of_february).status == selectors.MISSED
    assert list(selectors.missed(Link.objects.all(), today=TODAY)) == [started_first_of_february]
    # A quarterly link started in the middle of Q4 2025 is not blamed for Q4.
    quarterly = make_link(tree.grid_a, starts_on=date(2025, 11, 1), period="quarter")
    assert _cadence(quarterly).status == selectors.NEW


@pytest.mark.django_db
def test_only_the_counted_mode_counts(tree):
    link = make_link(tree.grid_a, starts_on=date(2025, 6, 1), counted_mode="face_to_face", cadence_note="每月至少一次面对面")
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 2, 10)), mode="remote")
    assert _cadence(link).missed
    linkvisit(tree.grid_a, link=link, at=local(date(2026, 2, 12)), mode="face_to_face")
    cadence = _cadence(link)
    assert not cadence.missed and cadence.previous_contacts == 1


@pytest.mark.django_db
def test_ended_links_are_not_blamed(tree):
    link = make_link(tree.grid_a, starts_on=date(2025, 6, 1), active=False, ends_on=date(2026, 3, 1))
    assert _cadence(link).status == selectors.ENDED
    assert not selectors.missed(Link.objects.all(), today=TODAY).exists()


@pytest.mark.django_db
def test_cadences_come_in_one_query(tree, django_assert_num_queries):
    for grid in (tree.grid_a, tree.grid_b):
        for period in ("week", "month", "quarter", "year"):
            linkvisit(grid, link=make_link(grid, period=period, starts_on=date(2024, 1, 1)), at=local(date(2026, 1, 20)))
    with django_assert_num_queries(1):
        rows = selectors.cadences(Link.objects.select_related("region"), today=TODAY)
    status = {(row.link.region_id, row.period): row.status for row in rows}
    # 20 January lies in the current quarter and year, and in no last complete period.
    assert status[(tree.grid_a.pk, "week")] == selectors.MISSED
    assert status[(tree.grid_a.pk, "month")] == selectors.MISSED
    assert status[(tree.grid_a.pk, "quarter")] == selectors.MISSED  # Q4 2025 had no visit
    assert status[(tree.grid_a.pk, "year")] == selectors.MISSED  # 2025 had no visit
    assert {row.current_contacts for row in rows if row.period in ("quarter", "year")} == {1}


# Regions without a link ---------------------------------------------------------------------------

@pytest.mark.django_db
def test_regions_without_a_link(tree, users, units):
    codes = lambda qs: [r.code for r in qs]  # noqa: E731
    # Nothing linked: both grids and the community.
    assert codes(selectors.regions_without_link(users["street"])) == [tree.community.code, tree.grid_a.code, tree.grid_b.code]
    make_link(tree.grid_a)  # a street leader on grid A
    Link.objects.create(kind="district_leader", region=tree.community, leader_name="张区长", starts_on=date(2025, 1, 1))
    assert codes(selectors.regions_without_link(users["street"])) == [tree.grid_b.code]
    # Grid A has a leader but no unit; both grids lack one.
    assert codes(selectors.regions_without_link(users["street"], kind=selectors.ANY_UNIT)) == [tree.grid_a.code, tree.grid_b.code]
    Link.objects.create(kind="party_branch", region=tree.grid_b, party_organization=units.branch, starts_on=date(2025, 1, 1))
    assert codes(selectors.regions_without_link(users["street"], kind=selectors.ANY_UNIT)) == [tree.grid_a.code]
    assert codes(selectors.regions_without_link(users["street"], kind="street_leader")) == [tree.grid_b.code]
    assert codes(selectors.regions_without_link(users["street"], kind="district_leader")) == []
    assert codes(selectors.regions_without_link(users["street"])) == []
    # An ended link leaves a gap again.
    Link.objects.filter(kind="party_branch").update(active=False, ends_on=date(2026, 1, 1))
    assert codes(selectors.regions_without_link(users["street"], kind="party_branch")) == [tree.grid_a.code, tree.grid_b.code]
    assert selectors.active_kinds_by_region([tree.grid_a.pk, tree.grid_b.pk]) == {tree.grid_a.pk: ["street_leader"]}


@pytest.mark.django_db
def test_regions_without_a_link_stay_in_scope(tree, users):
    assert [r.code for r in selectors.regions_without_link(users["worker_a"])] == [tree.grid_a.code]
    assert [r.code for r in selectors.regions_without_link(users["worker_b"], kind=selectors.ANY_UNIT)] == [tree.grid_b.code]
    assert not selectors.regions_without_link(users["resident"]).exists()
