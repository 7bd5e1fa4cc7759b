"""Rules of dual check-in, volunteers and task claims, through the services."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from tests import factories
from tests.volunteers.factories import in_service_member
from yiwang.core.models import AuditEntry
from yiwang.party.models import PartyMember
from yiwang.volunteers import selectors, services
from yiwang.volunteers.models import ClaimStatus, Registration, TaskClaim, Volunteer

pytestmark = pytest.mark.django_db


def _fields(exc_info) -> set[str]:
    return set(exc_info.value.message_dict)


# Registration ------------------------------------------------------------------------------------

def test_member_registers_with_home_community_and_community_confirms(tree, member, member_user, staff, posts):
    registration = services.register_member(member=member, acting_user=member_user, posts=[posts[0], posts[1]], note="会摄影")
    assert registration.status == "pending"
    assert registration.community == tree.community and registration.region == tree.micro_a1
    assert registration.organization == member.organization and registration.year == timezone.localdate().year
    assert sorted(p.title for p in registration.posts.all()) == ["政策宣传员", "楼栋巡查员"]
    services.confirm_registration(registration, acting_user=staff)
    registration.refresh_from_db()
    assert registration.status == "confirmed" and registration.decided_by == staff
    assert AuditEntry.objects.filter(action="volunteers.registration.confirm", target_id=str(registration.pk)).exists()


def test_only_in_service_members_register(tree, staff):
    retired = PartyMember.objects.create(person=factories.person(tree.micro_a1), organization=factories.partyorganization(tree.micro_a1),
                                         in_service=False)
    with pytest.raises(ValidationError) as exc:
        services.register_member(member=retired, acting_user=staff)
    assert _fields(exc) == {"member"} and "不是在职党员" in exc.value.message_dict["member"][0]
    assert not Registration.objects.exists()


def test_one_active_registration_per_member_per_year(member, member_user, staff):
    first = services.register_member(member=member, acting_user=member_user)
    with pytest.raises(ValidationError) as exc:
        services.register_member(member=member, acting_user=staff)
    assert _fields(exc) == {"year"} and "每年只能报到一次" in exc.value.message_dict["year"][0]
    # Confirmed also blocks; a rejected one does not (the member registers again).
    services.reject_registration(first, acting_user=staff, reason="请补充工作单位")
    again = services.register_member(member=member, acting_user=member_user)
    assert again.status == "pending"
    # Next year is a new registration.
    next_year = services.register_member(member=member, acting_user=member_user, year=timezone.localdate().year + 1)
    assert next_year.year == again.year + 1
    assert Registration.objects.filter(member=member).count() == 3


def test_post_capacity_is_respected(tree, staff, posts):
    members = [in_service_member(tree.micro_a1) for _ in range(3)]
    for m in members[:2]:
        services.register_member(member=m, acting_user=staff, posts=[posts[0]])
    with pytest.raises(ValidationError) as exc:
        services.register_member(member=members[2], acting_user=staff, posts=[posts[0]])
    assert _fields(exc) == {"posts"} and "名额（2人）已满" in exc.value.message_dict["posts"][0]
    assert not Registration.objects.filter(member=members[2]).exists()  # nothing half-written


def test_post_of_another_community_is_refused(tree, staff, member, make_user):
    from yiwang.regions.models import Level, Region

    other = Region.objects.create(parent=tree.street, level=Level.COMMUNITY, code="500154003002", name="永安社区")
    street_user = make_user("street2", "street", tree.street)
    foreign = services.create_post(acting_user=street_user, region=other, title="文明劝导员", capacity=3)
    with pytest.raises(ValidationError) as exc:
        services.register_member(member=member, acting_user=staff, posts=[foreign])
    assert "不属于永先社区" in exc.value.message_dict["posts"][0]


def test_resident_registers_only_themselves(tree, member, make_user):
    stranger = make_user("someone", "resident", None, person=factories.person(tree.micro_a1))
    with pytest.raises(PermissionDenied):
        services.register_member(member=member, acting_user=stranger)


def test_staff_outside_scope_cannot_register_or_confirm(tree, member, member_user, make_user):
    outsider = make_user("other_street", "street", tree.other_street)
    with pytest.raises(PermissionDenied):
        services.register_member(member=member, acting_user=outsider)
    registration = services.register_member(member=member, acting_user=member_user)
    with pytest.raises(PermissionDenied):
        services.confirm_registration(registration, acting_user=outsider)
    with pytest.raises(PermissionDenied):
        services.confirm_registration(registration, acting_user=member_user)


def test_reject_needs_reason_and_only_pending(member, member_user, staff):
    registration = services.register_member(member=member, acting_user=member_user)
    with pytest.raises(ValidationError) as exc:
        services.reject_registration(registration, acting_user=staff, reason="  ")
    assert _fields(exc) == {"reason"}
    services.confirm_registration(registration, acting_user=staff)
    with pytest.raises(ValidationError) as exc:
        services.reject_registration(registration, acting_user=staff, reason="不符合")
    assert _fields(exc) == {"status"}


def test_member_withdraws_a_pending_registration(member, member_user):
    registration = services.register_member(member=member, acting_user=member_user)
    services.withdraw_registration(registration, acting_user=member_user)
    registration.refresh_from_db()
    assert registration.status == "withdrawn"


# Volunteers --------------------------------------------------------------------------------------

def test_resident_registers_as_volunteer_once(tree, make_user):
    person = factories.person(tree.micro_b1)
    resident = make_user("vol", "resident", None, person=person)
    volunteer = services.register_volunteer(person=person, acting_user=resident, skills="理发")
    assert volunteer.community == tree.community and volunteer.active
    with pytest.raises(ValidationError) as exc:
        services.register_volunteer(person=person, acting_user=resident)
    assert _fields(exc) == {"person"}
    services.leave_volunteers(volunteer, acting_user=resident)
    again = services.register_volunteer(person=person, acting_user=resident)
    assert again.pk == volunteer.pk and again.active
    assert Volunteer.objects.count() == 1


# Tasks and claims --------------------------------------------------------------------------------

def test_task_input_is_checked(tree, staff, make_task):
    now = timezone.now()
    with pytest.raises(ValidationError) as exc:
        services.post_task(acting_user=staff, region=tree.community, title="x", starts_at=now + timedelta(days=1),
                           ends_at=now + timedelta(hours=23), places=2, hours=2)
    assert _fields(exc) == {"ends_at"}
    with pytest.raises(ValidationError) as exc:
        make_task(places=0)
    assert _fields(exc) == {"places"}
    with pytest.raises(ValidationError) as exc:
        make_task(hours="0")
    assert _fields(exc) == {"hours"}
    with pytest.raises(ValidationError) as exc:
        make_task(days=-1)
    assert _fields(exc) == {"starts_at"}


def test_confirmed_member_claims_once(confirmed, member, member_user, make_task):
    task = make_task(places=3)
    claim = services.claim_task(task=task, person=member.person, acting_user=member_user)
    assert claim.role == "party_member" and claim.registration == confirmed and claim.status == "claimed"
    with pytest.raises(ValidationError) as exc:
        services.claim_task(task=task, person=member.person, acting_user=member_user)
    assert _fields(exc) == {"task"} and "已认领" in exc.value.message_dict["task"][0]
    # After withdrawing, they may claim again.
    services.withdraw_claim(claim, acting_user=member_user)
    services.claim_task(task=task, person=member.person, acting_user=member_user)
    assert TaskClaim.objects.filter(task=task, person=member.person).count() == 2


def test_pending_member_cannot_claim(member, member_user, make_task, posts):
    services.register_member(member=member, acting_user=member_user)
    with pytest.raises(ValidationError) as exc:
        services.claim_task(task=make_task(), person=member.person, acting_user=member_user)
    assert _fields(exc) == {"person"}


def test_task_places_are_respected(tree, confirmed, member, member_user, make_task, staff):
    task = make_task(places=1)
    services.claim_task(task=task, person=member.person, acting_user=member_user)
    volunteer = services.register_volunteer(person=factories.person(tree.micro_a2), acting_user=staff)
    with pytest.raises(ValidationError) as exc:
        services.claim_task(task=task, person=volunteer.person, acting_user=staff)
    assert "名额（1人）已满" in exc.value.message_dict["task"][0]
    assert TaskClaim.objects.filter(task=task).count() == 1


def test_volunteers_claim_only_tasks_open_to_them(tree, staff, make_task):
    volunteer = services.register_volunteer(person=factories.person(tree.micro_a2), acting_user=staff)
    members_only = make_task(open_to_volunteers=False)
    with pytest.raises(ValidationError) as exc:
        services.claim_task(task=members_only, person=volunteer.person, acting_user=staff)
    assert "只面向本社区已确认的双报到党员" in exc.value.message_dict["person"][0]
    claim = services.claim_task(task=make_task(), person=volunteer.person, acting_user=staff)
    assert claim.role == "volunteer" and claim.volunteer == volunteer


def test_no_claim_after_the_start_or_on_a_cancelled_task(confirmed, member, member_user, make_task, staff):
    task = make_task()
    with pytest.raises(ValidationError) as exc:
        services.claim_task(task=task, person=member.person, acting_user=member_user, now=task.starts_at)
    assert "已开始" in exc.value.message_dict["task"][0]
    services.cancel_task(task, acting_user=staff, reason="天气原因")
    with pytest.raises(ValidationError) as exc:
        services.claim_task(task=task, person=member.person, acting_user=member_user)
    assert "已取消" in exc.value.message_dict["task"][0]


def test_resident_cannot_claim_for_someone_else(tree, confirmed, member, make_user, make_task):
    other = make_user("other_resident", "resident", None, person=factories.person(tree.micro_a1))
    with pytest.raises(PermissionDenied):
        services.claim_task(task=make_task(), person=member.person, acting_user=other)


def test_completion_is_recorded_only_after_the_start(confirmed, member, member_user, make_task, staff):
    task = make_task()
    claim = services.claim_task(task=task, person=member.person, acting_user=member_user)
    with pytest.raises(ValidationError) as exc:
        services.record_completion(task, acting_user=staff, outcomes={claim.pk: "2"})
    assert _fields(exc) == {"task"}
    with pytest.raises(ValidationError) as exc:
        services.record_completion(task, acting_user=staff, outcomes={}, now=task.ends_at)
    assert _fields(exc) == {"claims"}
    # An emptied hours field is neither hours nor absence: refused, nothing settled.
    with pytest.raises(ValidationError) as exc:
        services.record_completion(task, acting_user=staff, outcomes={claim.pk: " "}, now=task.ends_at)
    assert _fields(exc) == {"claims"}
    claim.refresh_from_db()
    task.refresh_from_db()
    assert claim.status == ClaimStatus.CLAIMED and task.status == "open"


def test_absent_claims_earn_nothing_and_close_the_task(tree, confirmed, member, member_user, make_task, staff):
    task = make_task()
    claim = services.claim_task(task=task, person=member.person, acting_user=member_user)
    services.record_completion(task, acting_user=staff, outcomes={claim.pk: None}, now=task.ends_at)
    claim.refresh_from_db()
    task.refresh_from_db()
    assert claim.status == "absent" and claim.points == 0 and task.status == "closed"
    year = timezone.localtime(task.starts_at).year
    assert selectors.person_year_figures(member.person.pk, year) == {"tasks": 0, "hours": Decimal("0.0"), "points": 0}


# Evaluations -------------------------------------------------------------------------------------

def test_evaluation_checks_grade_comment_and_status(member, member_user, staff):
    registration = services.register_member(member=member, acting_user=member_user)
    with pytest.raises(ValidationError) as exc:
        services.issue_evaluation(registration, acting_user=staff, grade="excellent", comment="好")
    assert _fields(exc) == {"status"}
    services.confirm_registration(registration, acting_user=staff)
    with pytest.raises(ValidationError) as exc:
        services.issue_evaluation(registration, acting_user=staff, grade="great", comment="好")
    assert _fields(exc) == {"grade"}
    with pytest.raises(ValidationError) as exc:
        services.issue_evaluation(registration, acting_user=staff, grade="competent", comment="")
    assert _fields(exc) == {"comment"}
    evaluation = services.issue_evaluation(registration, acting_user=staff, grade="competent", comment="按时参加服务")
    assert evaluation.organization == member.organization and evaluation.tasks == 0 and evaluation.stars == 0
    revised = services.issue_evaluation(registration, acting_user=staff, grade="basic", comment="服务次数偏少")
    assert revised.pk == evaluation.pk and revised.revised_at is not None and revised.get_grade_display() == "基本合格"
