"""The alliance's rules: who may be a member and lead, milestones and progress, needs following
their projects, and a meeting's decisions creating projects all or nothing."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from tests.alliance import factories
from yiwang.alliance import services
from yiwang.alliance.models import (
    AllianceDecision, AllianceMeeting, AllianceMember, AllianceMilestone, AllianceProject, NeedStatus, ProjectStatus,
)
from yiwang.alliance.services import DecisionInput, MilestoneInput, ProjectInput
from yiwang.core.models import AuditEntry

pytestmark = pytest.mark.django_db
TODAY = date.today()


def _project(setup, users, **changes):
    data = ProjectInput(title="燃气安全进万家", lead=setup.gas, need=setup.need, cooperating=[setup.power], resources=[setup.hall],
                        starts_on=TODAY - timedelta(days=20), due_on=TODAY + timedelta(days=60),
                        milestones=[MilestoneInput("摸排独居老人名单", TODAY - timedelta(days=5)),
                                    MilestoneInput("上门检查灶具", TODAY + timedelta(days=20), unit=setup.power),
                                    MilestoneInput("回访", TODAY + timedelta(days=50))])
    for key, value in changes.items():
        setattr(data, key, value)
    return services.create_project(setup.alliance, data, acting_user=users["street"])


def _refusal(call) -> dict:
    with pytest.raises(ValidationError) as caught:
        call()
    return caught.value.message_dict


def test_alliance_sits_at_a_street_or_community(tree, users):
    errors = _refusal(lambda: services.create_alliance(acting_user=users["district"], name="网格联盟", region=tree.grid_a))
    assert "街道或社区" in errors["region"][0]
    # A community cannot set up an alliance for the street above it.
    with pytest.raises(PermissionDenied):
        services.create_alliance(acting_user=users["community"], name="越权联盟", region=tree.street)
    made = services.create_alliance(acting_user=users["community"], name="永先社区党建联盟", region=tree.community)
    assert made.region == tree.community and AuditEntry.objects.filter(action="alliance.create", target_id=str(made.pk)).exists()


def test_catalogue_members_must_be_alliance_units_and_join_once(setup, users, departments):
    errors = _refusal(lambda: services.add_member(setup.alliance, acting_user=users["street"], department=departments["bureau"]))
    assert "未标记为共建单位" in errors["department"][0]
    errors = _refusal(lambda: services.add_member(setup.alliance, acting_user=users["street"], department=departments["gas"]))
    assert "已是" in errors["department"][0]
    errors = _refusal(lambda: services.add_member(setup.alliance, acting_user=users["street"], name="区人民医院"))
    assert "已是" in errors["name"][0]
    errors = _refusal(lambda: services.add_member(setup.alliance, acting_user=users["street"]))
    assert "department" in errors
    assert setup.alliance.members.count() == 3


def test_project_lead_must_be_a_current_member(setup, users, tree):
    outsider = factories.alliancemember(tree.street, name="别的联盟的单位")
    errors = _refusal(lambda: _project(setup, users, lead=outsider))
    assert "不是 云枫街道党建联盟 的成员单位" in errors["lead"][0]
    errors = _refusal(lambda: _project(setup, users, lead=None))
    assert errors["lead"] == ["请选择牵头单位"]
    # A unit that has left cannot lead.
    services.end_membership(setup.hospital, acting_user=users["street"], left_on=TODAY - timedelta(days=1), reason="撤并")
    errors = _refusal(lambda: _project(setup, users, lead=setup.hospital, cooperating=[setup.power]))
    assert "不在联盟中" in errors["lead"][0]
    # Cooperating units are members too, and not the lead again.
    errors = _refusal(lambda: _project(setup, users, cooperating=[setup.gas]))
    assert "已是牵头单位" in errors["cooperating"][0]
    assert AllianceProject.objects.count() == 0 and AllianceMilestone.objects.count() == 0
    setup.need.refresh_from_db()
    assert setup.need.status == NeedStatus.OPEN


def test_a_unit_leading_an_open_project_cannot_leave(setup, users):
    project = _project(setup, users)
    errors = _refusal(lambda: services.end_membership(setup.gas, acting_user=users["street"], reason="退出"))
    assert project.title in errors["left_on"][0]
    assert AllianceMember.objects.get(pk=setup.gas.pk).left_on is None


def test_milestone_rows_are_checked_and_nothing_is_kept(setup, users):
    bad = [MilestoneInput("摸排", TODAY - timedelta(days=5)), MilestoneInput("检查", TODAY - timedelta(days=30))]
    errors = _refusal(lambda: _project(setup, users, milestones=bad))
    assert "第2个节点" in errors["milestones[2].due_on"][0]
    late = [MilestoneInput("回访", TODAY + timedelta(days=90))]
    assert "milestones[1].due_on" in _refusal(lambda: _project(setup, users, milestones=late))
    stranger = [MilestoneInput("义诊", TODAY + timedelta(days=5), unit=setup.hospital)]
    assert "牵头或配合单位" in _refusal(lambda: _project(setup, users, milestones=stranger))["milestones[1].unit"][0]
    assert "milestones[1].title" in _refusal(lambda: _project(setup, users, milestones=[MilestoneInput(" ", TODAY)]))
    assert AllianceProject.objects.count() == 0 and AllianceMilestone.objects.count() == 0


def test_project_from_a_need_then_milestones_to_done(setup, users):
    project = _project(setup, users)
    setup.need.refresh_from_db()
    assert setup.need.status == NeedStatus.MATCHED
    assert [m.title for m in project.milestones.all()] == ["摸排独居老人名单", "上门检查灶具", "回访"]
    assert project.status == ProjectStatus.PLANNED and project.progress == 0
    first, second, third = project.milestones.all()

    services.complete_milestone(first, acting_user=users["street"], done_on=TODAY - timedelta(days=6))
    project.refresh_from_db()
    assert (project.status, project.progress) == (ProjectStatus.IN_PROGRESS, 33)
    # The power company's staff do not mark the gas company's step; the gas company's staff may mark its own.
    services.complete_milestone(third, acting_user=users["department"], done_on=TODAY, note="已回访40户")
    project.refresh_from_db()
    assert project.progress == 66
    errors = _refusal(lambda: services.complete_milestone(third, acting_user=users["street"]))
    assert "已于" in errors["done_on"][0]
    with pytest.raises(PermissionDenied):
        services.complete_milestone(second, acting_user=users["department"])
    assert "不能晚于今天" in _refusal(lambda: services.complete_milestone(second, acting_user=users["street"], done_on=TODAY + timedelta(days=1)))["done_on"][0]

    services.complete_milestone(second, acting_user=users["street"], done_on=TODAY)
    project.refresh_from_db()
    setup.need.refresh_from_db()
    assert (project.status, project.progress, project.completed_on) == (ProjectStatus.DONE, 100, TODAY)
    assert setup.need.status == NeedStatus.MET
    assert "已完成" in _refusal(lambda: services.set_progress(project, acting_user=users["street"], progress=90))["progress"][0]


def test_progress_validation(setup, users):
    project = _project(setup, users)
    for value in (-1, 101, "50", 12.5, True):
        assert "progress" in _refusal(lambda: services.set_progress(project, acting_user=users["street"], progress=value))
    services.set_progress(project, acting_user=users["street"], progress=20)
    project.refresh_from_db()
    assert (project.progress, project.status) == (20, ProjectStatus.IN_PROGRESS)
    assert "还有 3 个节点未完成" in _refusal(lambda: services.set_progress(project, acting_user=users["street"], progress=100))["progress"][0]
    first = project.milestones.first()
    services.complete_milestone(first, acting_user=users["street"])
    assert "不能低于 33%" in _refusal(lambda: services.set_progress(project, acting_user=users["street"], progress=30))["progress"][0]
    with pytest.raises(PermissionDenied):
        services.set_progress(project, acting_user=users["worker_a"], progress=50)
    # Without milestones, 100% finishes the project by hand.
    bare = _project(setup, users, title="健身器材增设", need=None, milestones=[])
    services.set_progress(bare, acting_user=users["street"], progress=100)
    bare.refresh_from_db()
    assert (bare.status, bare.completed_on) == (ProjectStatus.DONE, TODAY)


def test_cancelling_the_only_project_puts_the_need_back(setup, users):
    project = _project(setup, users)
    services.cancel_project(project, acting_user=users["street"], reason="并入区级项目")
    setup.need.refresh_from_db()
    assert setup.need.status == NeedStatus.OPEN
    assert "已撤销" in _refusal(lambda: services.complete_milestone(project.milestones.first(), acting_user=users["street"]))["project"][0]


def test_needs_come_from_a_community_or_grid_inside_the_alliance(setup, users, tree):
    assert "社区或网格" in _refusal(lambda: services.raise_need(setup.alliance, acting_user=users["street"], region=tree.micro_a1,
                                                               title="x", description="y"))["region"][0]
    other = tree.other_street
    from yiwang.regions.models import Level, Region

    outside = Region.objects.create(parent=other, level=Level.COMMUNITY, code="500154001001", name="别的社区")
    assert "不在" in _refusal(lambda: services.raise_need(setup.alliance, acting_user=users["district"], region=outside,
                                                         title="x", description="y"))["region"][0]
    # A grid worker raises needs of their own grid only.
    with pytest.raises(PermissionDenied):
        services.raise_need(setup.alliance, acting_user=users["worker_a"], region=tree.grid_b, title="路灯", description="路灯不亮")
    assert "residents_affected" in _refusal(lambda: services.raise_need(setup.alliance, acting_user=users["worker_a"], region=tree.grid_a,
                                                                        title="x", description="y", residents_affected=0))


def test_resources_belong_to_members_and_department_staff_offer_their_own(setup, users, tree):
    outsider = factories.alliancemember(tree.street, name="外单位")
    assert "成员单位" in _refusal(lambda: services.offer_resource(setup.alliance, acting_user=users["street"], unit=outsider, kind="funds",
                                                             description="资金", capacity="1万元"))["unit"][0]
    made = services.offer_resource(setup.alliance, acting_user=users["department"], unit=setup.gas, kind="expertise",
                                   description="燃气安全宣讲", capacity="每月1次")
    assert made.unit == setup.gas
    with pytest.raises(PermissionDenied):
        services.offer_resource(setup.alliance, acting_user=users["department"], unit=setup.power, kind="funds", description="x", capacity="y")
    services.withdraw_resource(setup.hall, acting_user=users["street"])
    assert "已不可用" in _refusal(lambda: _project(setup, users))["resources"][0]


def test_meeting_decisions_create_projects_atomically(setup, users):
    held = TODAY - timedelta(days=3)
    good = ProjectInput(title="社区义诊", lead=setup.hospital, need=setup.need, milestones=[MilestoneInput("第一次义诊", TODAY + timedelta(days=10))])
    bad = ProjectInput(title="路面硬化", lead=None)
    decisions = [DecisionInput("开展社区义诊", project=good), DecisionInput("通报上季度项目进展"), DecisionInput("硬化背街小巷路面", project=bad)]
    errors = _refusal(lambda: services.record_meeting(setup.alliance, acting_user=users["street"], held_on=held, topic="二季度联席会议",
                                                      minutes="会议讨论了三项工作", attendees=[setup.gas, setup.hospital], decisions=decisions))
    assert errors == {"decisions[3].project.lead": ["请选择牵头单位"]}
    assert AllianceMeeting.objects.count() == 0 and AllianceProject.objects.count() == 0 and AllianceDecision.objects.count() == 0
    setup.need.refresh_from_db()
    assert setup.need.status == NeedStatus.OPEN

    decisions[2] = DecisionInput("硬化背街小巷路面", project=ProjectInput(title="路面硬化", lead=setup.power, cooperating=[setup.gas]))
    meeting = services.record_meeting(setup.alliance, acting_user=users["street"], held_on=held, topic="二季度联席会议",
                                      minutes="会议讨论了三项工作", attendees=[setup.gas, setup.hospital, setup.power], decisions=decisions)
    rows = list(meeting.decisions.order_by("position"))
    assert [d.text for d in rows] == ["开展社区义诊", "通报上季度项目进展", "硬化背街小巷路面"]
    assert rows[0].project.title == "社区义诊" and rows[1].project is None and rows[2].project.lead == setup.power
    assert set(meeting.attendees.all()) == {setup.gas, setup.hospital, setup.power}
    setup.need.refresh_from_db()
    assert setup.need.status == NeedStatus.MATCHED


def test_meeting_inputs(setup, users):
    def record(**changes):
        values = {"held_on": TODAY, "topic": "联席会议", "minutes": "纪要", "attendees": [setup.gas]}
        values.update(changes)
        return services.record_meeting(setup.alliance, acting_user=users["street"], **values)

    assert "attendees" in _refusal(lambda: record(attendees=[]))
    assert "held_on" in _refusal(lambda: record(held_on=TODAY + timedelta(days=1)))
    assert "held_on" in _refusal(lambda: record(held_on=setup.alliance.founded_on - timedelta(days=1)))
    assert "minutes" in _refusal(lambda: record(minutes="  "))
    assert "decisions[1].text" in _refusal(lambda: record(decisions=[DecisionInput("")]))
    # A unit that joined after the meeting did not attend it.
    late = services.add_member(setup.alliance, acting_user=users["street"], name="新加入的单位")
    assert "不在联盟中" in _refusal(lambda: record(held_on=TODAY - timedelta(days=30), attendees=[late]))["attendees"][0]
    with pytest.raises(PermissionDenied):
        services.record_meeting(setup.alliance, acting_user=users["community"], held_on=TODAY, topic="t", minutes="m", attendees=[setup.gas])
    assert AllianceMeeting.objects.count() == 0
