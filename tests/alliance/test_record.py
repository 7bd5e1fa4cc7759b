"""unit_record against hand-built rows: projects led and joined, milestones on time, needs answered,
resources, meetings and summonses answered, over a past calendar year."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from tests import factories as shared
from tests.alliance import factories
from yiwang.alliance.selectors import meeting_quarters, unit_record
from yiwang.cases.models import Summons, SummonsPart

pytestmark = pytest.mark.django_db
Y = date.today().year - 1


def at(year, month, day, hour=9):
    return timezone.make_aware(datetime(year, month, day, hour))


def _summons(tree, created, parts):
    summons = Summons.objects.create(case=shared.case(tree.micro_a1), region=tree.street, reason="联合整治", created_at=created)
    for values in parts:
        SummonsPart.objects.create(summons=summons, task="到场", **values)
    return summons


@pytest.fixture
def history(setup, tree, users, departments):
    gas, power, hospital, street = setup.gas, setup.power, setup.hospital, tree.street
    n1 = factories.allianceneed(tree.grid_a, alliance=setup.alliance, status="met")
    n2 = factories.allianceneed(tree.grid_b, alliance=setup.alliance, status="matched")
    p1 = factories.allianceproject(street, lead=gas, need=n1, starts_on=date(Y, 3, 1), status="done", progress=100, completed_on=date(Y, 6, 30))
    p1.cooperating.set([power])
    p2 = factories.allianceproject(street, lead=power, need=n2, starts_on=date(Y, 10, 1), status="in_progress", progress=40)
    p2.cooperating.set([gas, hospital])
    p3 = factories.allianceproject(street, lead=gas, starts_on=date(Y + 1, 2, 1))  # after the period
    p4 = factories.allianceproject(street, lead=gas, starts_on=date(Y, 5, 1), status="cancelled")
    p5 = factories.allianceproject(street, lead=hospital, starts_on=date(Y - 1, 6, 1), status="done", progress=100, completed_on=date(Y - 1, 12, 1))
    p5.cooperating.set([gas])  # over before the period
    m = factories.alliancemilestone
    on_time = m(street, project=p1, due_on=date(Y, 4, 1), done_on=date(Y, 3, 30))
    m(street, project=p1, unit=power, due_on=date(Y, 5, 1), done_on=date(Y, 5, 10))
    gas_late = m(street, project=p1, due_on=date(Y, 6, 1), done_on=date(Y, 6, 15))
    gas_overdue = m(street, project=p2, unit=gas, due_on=date(Y, 11, 1))
    m(street, project=p2, due_on=date(Y, 12, 1), done_on=date(Y, 11, 20))
    m(street, project=p4, due_on=date(Y, 6, 1))
    m(street, project=p3, due_on=date(Y + 1, 3, 1))
    resource = factories.allianceresource(street, unit=gas, offered_on=date(Y, 2, 1))
    meeting = factories.alliancemeeting(street, alliance=setup.alliance, held_on=date(Y, 3, 15))
    meeting.attendees.set([gas, power])
    factories.alliancemeeting(street, alliance=setup.alliance, held_on=date(Y - 1, 12, 20)).attendees.set([gas])

    gas_dept, staff = setup.gas_department, users["department"]
    s1 = _summons(tree, at(Y, 2, 1), [{"department": gas_dept, "checkin_due_at": at(Y, 2, 2, 10), "checked_in_at": at(Y, 2, 2, 9), "done_at": at(Y, 2, 3)}])
    s2 = _summons(tree, at(Y, 7, 1), [{"member": staff, "checkin_due_at": at(Y, 7, 1, 12), "checked_in_at": at(Y, 7, 1, 15)},
                                     {"department": gas_dept, "checkin_due_at": at(Y, 7, 1, 12)}])
    s3 = _summons(tree, at(Y, 9, 1), [{"department": gas_dept, "checkin_due_at": at(Y, 9, 2)}])
    _summons(tree, at(Y - 1, 12, 31), [{"department": gas_dept, "checkin_due_at": at(Y, 1, 1, 12), "checked_in_at": at(Y, 1, 1, 10)}])
    _summons(tree, at(Y, 5, 1), [{"department": departments["power"], "checkin_due_at": at(Y, 5, 2), "checked_in_at": at(Y, 5, 1, 15)}])
    return {"p1": p1, "p2": p2, "n1": n1, "n2": n2, "on_time": on_time, "gas_late": gas_late, "gas_overdue": gas_overdue,
            "resource": resource, "meeting": meeting, "s1": s1, "s2": s2, "s3": s3}


def test_gas_company_record(setup, history):
    record = unit_record(setup.gas, since=date(Y, 1, 1), until=date(Y + 1, 1, 1))
    h = history
    assert record["unit"] == "燃气公司"
    assert (record["projects_led"], record["projects_joined"], record["projects_done"]) == (1, 1, 1)
    assert record["records"]["projects_led"] == [h["p1"].pk] and record["records"]["projects_joined"] == [h["p2"].pk]
    assert (record["milestones_due"], record["milestones_done_on_time"], record["milestones_done_late"], record["milestones_overdue"]) == (3, 1, 1, 1)
    assert record["records"]["milestones_done_on_time"] == [h["on_time"].pk]
    assert record["records"]["milestones_overdue"] == [h["gas_overdue"].pk]
    assert (record["needs_answered"], record["needs_met"]) == (2, 1)
    assert record["records"]["resources_offered"] == [h["resource"].pk]
    assert record["records"]["meetings_attended"] == [h["meeting"].pk]
    assert (record["summonses"], record["summonses_answered"], record["summonses_answered_on_time"], record["summonses_done"]) == (3, 2, 1, 1)
    assert record["records"]["summonses_answered"] == sorted([h["s1"].pk, h["s2"].pk])
    assert record["summonses_required"] == 2


def test_power_company_and_name_only_unit(setup, history):
    power = unit_record(setup.power, since=date(Y, 1, 1), until=date(Y + 1, 1, 1))
    assert (power["projects_led"], power["projects_joined"]) == (1, 1)
    assert (power["milestones_due"], power["milestones_done_on_time"], power["milestones_done_late"]) == (2, 1, 1)
    assert (power["summonses"], power["summonses_answered"], power["summonses_answered_on_time"]) == (1, 1, 1)
    hospital = unit_record(setup.hospital, since=date(Y, 1, 1), until=date(Y + 1, 1, 1))
    assert (hospital["projects_led"], hospital["projects_joined"]) == (0, 1)
    assert (hospital["summonses"], hospital["summonses_required"], hospital["department_id"]) == (0, 0, None)


def test_a_department_adds_up_its_memberships(setup, history, tree, users):
    from yiwang.alliance import services

    community_alliance = services.create_alliance(acting_user=users["community"], name="永先社区党建联盟", region=tree.community,
                                                  founded_on=date(Y, 1, 1))
    gas_here = factories.alliancemember(tree.community, alliance=community_alliance, department=setup.gas_department, name="",
                                        joined_on=date(Y, 1, 1))
    p6 = factories.allianceproject(tree.community, lead=gas_here, starts_on=date(Y, 8, 1))
    by_department = unit_record(setup.gas_department, since=date(Y, 1, 1), until=date(Y + 1, 1, 1))
    assert by_department["records"]["projects_led"] == sorted([history["p1"].pk, p6.pk])
    assert set(by_department["member_ids"]) == {setup.gas.pk, gas_here.pk}
    # The summonses are the department's, counted once however many alliances it is in.
    assert by_department["summonses"] == 3
    assert unit_record(gas_here, since=date(Y, 1, 1), until=date(Y + 1, 1, 1))["projects_led"] == 1


def test_default_period_is_this_year(setup):
    record = unit_record(setup.power)
    assert record["since"] == date(date.today().year, 1, 1) and record["until"] == date(date.today().year + 1, 1, 1)
    assert record["records"]["resources_offered"] == [setup.hall.pk]


def test_quarters_without_a_meeting(setup, tree):
    alliance = setup.alliance
    today = date.today()
    this_quarter_start = date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    last_quarter_day = this_quarter_start - timedelta(days=1)
    two_back = date(last_quarter_day.year, 3 * ((last_quarter_day.month - 1) // 3) + 1, 1) - timedelta(days=1)
    factories.alliancemeeting(tree.street, alliance=alliance, held_on=two_back)
    rows = meeting_quarters(alliance, today=today, limit=4)
    assert [r.status for r in rows] == ["pending", "missing", "held", "missing"]
    assert rows[2].meetings[0].held_on == two_back
    factories.alliancemeeting(tree.street, alliance=alliance, held_on=today)
    assert meeting_quarters(alliance, today=today, limit=1)[0].status == "held"
