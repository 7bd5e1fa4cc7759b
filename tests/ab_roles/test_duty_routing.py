"""Duty lists in the closed loop: admission to grids follows the grid task list in force, and a
street case whose matter a street duty item covers goes to that item's A (or B)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from tests.duties.conftest import grid_list, statutory, street_rows  # noqa: F401
from yiwang.ab_roles import services as ab_services
from yiwang.cases import services as case_services
from yiwang.cases.models import DutyRole, Level
from yiwang.duties import services as duty_services
from yiwang.duties.models import DutyItem

pytestmark = pytest.mark.django_db


def test_tier_a_matter_off_the_grid_task_list_goes_to_the_community(tree, users, report, grid_list):
    covered = report("S0001").case  # 邻里纠纷: on the list (WG-01)
    assert covered.level == Level.GRID
    assert any("开州区网格任务清单" in r and "准入网格" in r for r in covered.routings.get().reasons)
    uncovered = report("S0007").case  # 独居老人关爱: tier A in the catalogue, not on the list
    assert uncovered.level == Level.COMMUNITY
    reasons = uncovered.routings.get().reasons
    assert any("不在《开州区网格任务清单》第1版之内" in r for r in reasons), reasons
    case_services.do_accept_case(uncovered, acting_user=users["community"])
    with pytest.raises(ValidationError) as error:
        case_services.do_dispatch_case(uncovered, acting_user=users["community"], region=tree.grid_a)
    assert "网格任务清单" in error.value.message_dict["region"][0]


def test_a_list_change_admits_the_matter_for_the_next_case(tree, users, report, grid_list, make_user):
    assert report("S0007").case.level == Level.COMMUNITY
    version = duty_services.propose_change(grid_list, acting_user=users["district"], reason="纳入网格",
                                           changes=[{"op": "change", "key": "WG-01", "matter_types": "S0001 S0007 S0009"}])
    approver = make_user("root", "district", None, is_superuser=True)
    duty_services.approve_version(version, acting_user=approver, note="同意")
    assert report("S0007").case.level == Level.GRID


@pytest.fixture
def cooperative(tree):
    """云枫街道协同配合事项清单 with one item covering illegal construction (06001, a street case)."""
    from yiwang.duties.models import ListKind

    return duty_services.create_list(region=tree.street, kind=ListKind.STREET_COOPERATIVE, acting_user=None, name="云枫街道协同配合事项清单",
                                     rows=[{"key": "XT-001", "title": "配合查处违法建设", "matter_types": "event-06001"}])


def test_street_case_goes_to_the_duty_item_that_covers_its_matter(tree, users, report, cooperative, make_user):
    deputy_a = make_user("deputy_a", "street", tree.street, first_name="王主任")
    deputy_b = make_user("deputy_b", "street", tree.street, first_name="赵副主任")
    item = DutyItem.objects.get(duty_list=cooperative, key="XT-001")
    duty_services.set_item_roles(item, acting_user=users["street"], primary=deputy_a, backup=deputy_b)
    case = report("06001").case
    assert case.level == Level.STREET and case.assignee == deputy_a and case.assignee_role == DutyRole.A
    assert any("云枫街道协同配合事项清单“XT-001 配合查处违法建设”" in r for r in case.routings.get().reasons)
    now = timezone.now()
    ab_services.record_leave(acting_user=users["street"], user=deputy_a, starts_at=now - timedelta(minutes=1),
                             ends_at=now + timedelta(days=1), reason="出差")
    case.refresh_from_db()
    assert case.assignee == deputy_b and case.assignee_role == DutyRole.B
    assert "云枫街道协同配合事项清单" in case.events.get(action="handover").note


def test_a_duty_item_naming_people_who_cannot_handle_street_cases_is_passed_over(tree, users, report, cooperative, make_user):
    deputy = make_user("deputy", "street", tree.street)
    moved = make_user("moved", "street", tree.street)
    item = DutyItem.objects.get(duty_list=cooperative, key="XT-001")
    with pytest.raises(ValidationError) as error:
        duty_services.set_item_roles(item, acting_user=users["street"], primary=users["community"])
    assert "primary" in error.value.message_dict
    duty_services.set_item_roles(item, acting_user=users["street"], primary=moved)
    # Later the person moves to a community job: street cases must not land with them.
    moved.role, moved.scope_region = "community", tree.community
    moved.save()
    for board in ("livelihood", "safety", "economy", "party"):
        ab_services.save_desk(acting_user=users["street"], kind="board", region=tree.street, board=board, primary=deputy)
    case = report("06001").case
    assert case.level == Level.STREET and case.assignee == deputy
