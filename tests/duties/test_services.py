"""Proposing, approving and rejecting list changes: who may, what a version holds, stale bases
refused, bad input refused whole, every step audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from yiwang.accounts.models import User
from yiwang.core.models import AuditEntry
from yiwang.duties import importing, services
from yiwang.duties.models import DutyItem, DutyItemRevision, DutyList, DutyListVersion, ListKind, VersionStatus

pytestmark = pytest.mark.django_db

ADD_ITEM = {"op": "add", "key": "FD-004", "title": "负责辖区电动自行车充电安全", "category": "应急安全", "owner_unit": "应急管理办公室",
            "legal_basis": "《中华人民共和国消防法》", "matter_types": "S0004"}


def keys_of(version):
    return sorted(version.revisions.values_list("item__key", flat=True))


def test_system_load_is_in_force_at_once(statutory, matter):
    version = statutory.current_version
    assert (version.number, version.status, version.decided_by) == (1, VersionStatus.APPROVED, None)
    assert keys_of(version) == ["FD-001", "FD-002", "FD-003"]
    first = version.revisions.get(item__key="FD-001")
    assert set(first.matter_types.values_list("code", flat=True)) == {"S0001", "S0002"}
    assert list(version.revisions.get(item__key="FD-003").matter_types.all()) == [matter("06010", "event")]
    assert set(DutyItem.objects.filter(duty_list=statutory).values_list("key", "title", "in_force")) == {
        ("FD-001", "负责辖区矛盾纠纷排查调处", True), ("FD-002", "负责辖区消防安全检查", True), ("FD-003", "负责辖区市容环境卫生", True)}
    assert AuditEntry.objects.filter(action="duties.create", target_id=str(statutory.pk)).exists()


def test_propose_then_approve_makes_a_new_current_version(statutory, users):
    items_before = dict(DutyItem.objects.filter(duty_list=statutory).values_list("key", "pk"))
    proposal = services.propose_change(statutory, acting_user=users["street"], reason="区编办通知调整", changes=[
        ADD_ITEM,
        {"op": "change", "key": "FD-001", "owner_unit": "综治中心", "matter_types": ["S0001"]},
        {"op": "remove", "key": "FD-003"},
    ])
    assert (proposal.number, proposal.status, proposal.based_on_id, proposal.proposed_by) == (2, "proposed", statutory.current_version_id, users["street"])
    assert keys_of(proposal) == ["FD-001", "FD-002", "FD-004"]
    changed = proposal.revisions.get(item__key="FD-001")
    assert (changed.title, changed.owner_unit, changed.legal_basis) == ("负责辖区矛盾纠纷排查调处", "综治中心", "《中华人民共和国人民调解法》")
    assert list(changed.matter_types.values_list("code", flat=True)) == ["S0001"]
    # Nothing changes for the list until the district decides.
    statutory.refresh_from_db()
    assert statutory.current_version.number == 1
    assert not DutyItem.objects.get(key="FD-004").in_force

    services.approve_version(proposal, acting_user=users["district"], note="同意")
    statutory.refresh_from_db()
    proposal.refresh_from_db()
    assert statutory.current_version_id == proposal.pk
    assert (proposal.status, proposal.decided_by, proposal.decision_note) == ("approved", users["district"], "同意")
    assert DutyListVersion.objects.get(duty_list=statutory, number=1).status == VersionStatus.SUPERSEDED
    # Items keep their identity across versions; only their content is per version.
    items_after = dict(DutyItem.objects.filter(duty_list=statutory).values_list("key", "pk"))
    assert {k: items_after[k] for k in items_before} == items_before
    assert dict(DutyItem.objects.filter(duty_list=statutory).values_list("key", "in_force")) == {
        "FD-001": True, "FD-002": True, "FD-003": False, "FD-004": True}
    actions = list(AuditEntry.objects.filter(action__startswith="duties.", target_id=str(proposal.pk)).order_by("id").values_list("action", "actor__username"))
    assert actions == [("duties.propose", "street"), ("duties.approve", "district")]
    detail = AuditEntry.objects.get(action="duties.propose", target_id=str(proposal.pk)).detail
    assert (detail["added"], detail["changed"], detail["removed"], detail["reason"]) == (["FD-004"], ["FD-001"], ["FD-003"], "区编办通知调整")


def test_removed_key_added_again_is_the_same_item(statutory, users):
    original = DutyItem.objects.get(duty_list=statutory, key="FD-003")
    removal = services.propose_change(statutory, acting_user=users["street"], reason="取消", changes=[{"op": "remove", "key": "FD-003"}])
    services.approve_version(removal, acting_user=users["district"])
    statutory.refresh_from_db()
    back = services.propose_change(statutory, acting_user=users["street"], reason="恢复",
                                   changes=[{"op": "add", "key": "FD-003", "title": "负责辖区市容环境卫生管理"}])
    assert back.revisions.get(item__key="FD-003").item_id == original.pk


@pytest.mark.parametrize("who", ["community", "worker_a", "department", "resident"])
def test_only_change_rights_on_the_region_may_propose(statutory, users, who):
    with pytest.raises(PermissionDenied):
        services.propose_change(statutory, acting_user=users[who], reason="x", changes=[ADD_ITEM])
    assert statutory.versions.count() == 1


def test_other_street_may_not_propose(statutory, tree, make_user):
    neighbour = make_user("hanfeng", "street", tree.other_street)
    with pytest.raises(PermissionDenied):
        services.propose_change(statutory, acting_user=neighbour, reason="x", changes=[ADD_ITEM])


@pytest.mark.parametrize("who", ["street", "community", "worker_a", "department"])
def test_only_the_level_above_decides(statutory, users, who):
    proposal = services.propose_change(statutory, acting_user=users["district"], reason="区里调整", changes=[ADD_ITEM])
    with pytest.raises(PermissionDenied):
        services.approve_version(proposal, acting_user=users[who])
    with pytest.raises(PermissionDenied):
        services.reject_version(proposal, acting_user=users[who], note="不同意")
    proposal.refresh_from_db()
    assert proposal.status == VersionStatus.PROPOSED


def test_nobody_approves_their_own_proposal(statutory, users, superuser, make_user):
    by_district = services.propose_change(statutory, acting_user=users["district"], reason="区里调整", changes=[ADD_ITEM])
    with pytest.raises(PermissionDenied, match="自己"):
        services.approve_version(by_district, acting_user=users["district"])
    # Another district user may; so may a superuser, but not on their own proposal either.
    colleague = make_user("district2", "district", users["district"].scope_region)
    services.approve_version(by_district, acting_user=colleague)
    statutory.refresh_from_db()
    by_root = services.propose_change(statutory, acting_user=superuser, reason="调整", changes=[{"op": "remove", "key": "FD-004"}])
    with pytest.raises(PermissionDenied):
        services.approve_version(by_root, acting_user=superuser)


def test_street_approves_community_lists(tree, users):
    rows = [{"key": "FW-01", "title": "居住证明开具", "matter_types": "F0601"}]
    community_list = services.create_list(region=tree.community, kind=ListKind.COMMUNITY_SERVICE, rows=rows,
                                          acting_user=users["community"], reason="社区清单首次设立")
    first = community_list.versions.get()
    assert first.status == VersionStatus.PROPOSED and community_list.current_version is None
    with pytest.raises(PermissionDenied):
        services.approve_version(first, acting_user=users["worker_a"])
    services.approve_version(first, acting_user=users["street"], note="同意设立")
    community_list.refresh_from_db()
    assert community_list.current_version == first
    assert DutyItem.objects.get(duty_list=community_list).in_force


def test_stale_proposal_is_refused_with_the_reason(statutory, users):
    first = services.propose_change(statutory, acting_user=users["street"], reason="甲", changes=[ADD_ITEM])
    second = services.propose_change(statutory, acting_user=users["street"], reason="乙", changes=[{"op": "remove", "key": "FD-002"}])
    assert first.based_on_id == second.based_on_id == statutory.current_version_id
    services.approve_version(first, acting_user=users["district"])
    with pytest.raises(ValidationError) as refused:
        services.approve_version(second, acting_user=users["district"])
    message = refused.value.message_dict["based_on"][0]
    assert "基于第1版" in message and "第2版" in message and "重新提出" in message
    second.refresh_from_db()
    statutory.refresh_from_db()
    assert second.status == VersionStatus.PROPOSED and statutory.current_version == first
    # The refused proposal can still be rejected to close it.
    services.reject_version(second, acting_user=users["district"], note="已过时，请重新提出")
    second.refresh_from_db()
    assert second.status == VersionStatus.REJECTED


def test_reject_needs_a_note_and_leaves_the_list_alone(statutory, users):
    proposal = services.propose_change(statutory, acting_user=users["street"], reason="甲", changes=[ADD_ITEM])
    with pytest.raises(ValidationError) as missing:
        services.reject_version(proposal, acting_user=users["district"], note="  ")
    assert "note" in missing.value.message_dict
    services.reject_version(proposal, acting_user=users["district"], note="依据不足")
    proposal.refresh_from_db()
    statutory.refresh_from_db()
    assert (proposal.status, proposal.decision_note, proposal.decided_by) == ("rejected", "依据不足", users["district"])
    assert statutory.current_version.number == 1
    with pytest.raises(ValidationError) as again:
        services.approve_version(proposal, acting_user=users["district"])
    assert "已驳回" in again.value.message_dict["status"][0]
    assert AuditEntry.objects.filter(action="duties.reject", target_id=str(proposal.pk), detail__note="依据不足").exists()


def test_bad_input_names_key_and_field_and_writes_nothing(statutory, users):
    versions, items, revisions = DutyListVersion.objects.count(), DutyItem.objects.count(), DutyItemRevision.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.propose_change(statutory, acting_user=users["street"], reason="", changes=[
            {"op": "add", "key": "FD-010", "title": "", "matter_types": "S0001 X9999"},
            {"op": "add", "key": "FD-001", "title": "重复"},
            {"op": "change", "key": "FD-099", "title": "没有的事项"},
            {"op": "remove", "key": "FD-002"},
            {"op": "remove", "key": "FD-002"},
            {"op": "rename", "key": "FD-003"},
            {"op": "add", "key": "FD 011", "title": "空格"},
            {"op": "change", "key": "FD-003", "department": "NO-SUCH"},
            {"op": "add", "key": "FD-012", "title": "x" * 201, "colour": "red"},
        ])
    errors = refused.value.message_dict
    assert set(errors) == {"reason", "FD-010.title", "FD-010.matter_types", "FD-001.key", "FD-099.key", "FD-002.key", "FD-003.op",
                           "第7条.key", "FD-003.department", "FD-012.title", "FD-012.colour"}
    assert "X9999" in errors["FD-010.matter_types"][0] and errors["FD-010.matter_types"][0].startswith("FD-010：")
    assert "请用“修改”" in errors["FD-001.key"][0]
    assert (DutyListVersion.objects.count(), DutyItem.objects.count(), DutyItemRevision.objects.count()) == (versions, items, revisions)


def test_a_change_that_changes_nothing_is_refused(statutory, users):
    with pytest.raises(ValidationError) as same:
        services.propose_change(statutory, acting_user=users["street"], reason="x",
                                changes=[{"op": "change", "key": "FD-002", "title": "负责辖区消防安全检查", "matter_types": "S0003"}])
    assert "没有修改" in same.value.message_dict["FD-002.op"][0]
    with pytest.raises(ValidationError) as empty:
        services.propose_change(statutory, acting_user=users["street"], reason="x", changes=[])
    assert "changes" in empty.value.message_dict


def test_list_level_and_uniqueness_are_checked(tree, statutory):
    with pytest.raises(ValidationError) as wrong_level:
        services.create_list(region=tree.community, kind=ListKind.STREET_STATUTORY, rows=[{"key": "A", "title": "a"}], acting_user=None)
    assert "街道" in wrong_level.value.message_dict["region"][0]
    with pytest.raises(ValidationError) as twice:
        services.create_list(region=tree.street, kind=ListKind.STREET_STATUTORY, rows=[{"key": "A", "title": "a"}], acting_user=None)
    assert "已有" in twice.value.message_dict["kind"][0]
    assert DutyList.objects.count() == 1


def test_import_lists_every_bad_row_and_writes_nothing(statutory, users):
    csv = ("编号,事项名称,涵盖事项,责任单位\n"
           "FD-001,负责辖区矛盾纠纷排查调处,S0001 S0002,平安法治办公室\n"
           ",缺编号,,\n"
           "FD-002,,S0003,\n"
           "FD-005,新事项,Z0000,\n"
           "FD-001,重复,,\n").encode("utf-8")
    with pytest.raises(importing.ImportFailed) as failed:
        importing.import_proposal(statutory, source=csv, acting_user=users["street"], reason="导入")
    assert [(e.row, e.column) for e in failed.value.errors] == [(3, "编号"), (4, "事项名称"), (5, "涵盖事项"), (6, "编号")]
    assert "与第2行重复" in failed.value.errors[-1].reason
    assert statutory.versions.count() == 1


def test_import_proposes_exactly_the_file(statutory, users):
    csv = ("编号,事项名称,涵盖事项,责任单位,法律依据\n"
           "FD-001,负责辖区矛盾纠纷排查调处,S0001 S0002,平安法治办公室,《中华人民共和国人民调解法》\n"
           "FD-002,负责辖区消防安全检查,S0003,应急管理办公室（消防）,《中华人民共和国消防法》\n"
           "FD-007,负责辖区防溺水宣传,S0008,应急管理办公室,\n").encode("gbk")
    proposal = importing.import_proposal(statutory, source=csv, acting_user=users["street"], reason="按区里下发的表格")
    assert keys_of(proposal) == ["FD-001", "FD-002", "FD-007"]
    assert proposal.revisions.get(item__key="FD-002").owner_unit == "应急管理办公室（消防）"
    detail = AuditEntry.objects.get(action="duties.propose", target_id=str(proposal.pk)).detail
    assert (detail["added"], detail["changed"], detail["removed"]) == (["FD-007"], ["FD-002"], ["FD-003"])


def test_item_roles_need_change_rights(statutory, users):
    item = DutyItem.objects.get(duty_list=statutory, key="FD-001")
    deputy = User.objects.create_user(username="deputy", role="street", scope_region=statutory.region)
    services.set_item_roles(item, acting_user=users["street"], primary=users["street"], backup=deputy)
    item.refresh_from_db()
    assert (item.primary, item.backup) == (users["street"], deputy)
    # People who cannot handle the street's cases may not answer for its items.
    for bad in (users["community"], users["worker_a"], users["resident"]):
        with pytest.raises(ValidationError) as error:
            services.set_item_roles(item, acting_user=users["street"], primary=users["street"], backup=bad)
        assert "backup" in error.value.message_dict
    item.refresh_from_db()
    assert item.backup == deputy
    with pytest.raises(ValidationError):
        services.set_item_roles(item, acting_user=users["street"], primary=users["street"], backup=users["street"])
    with pytest.raises(PermissionDenied):
        services.set_item_roles(item, acting_user=users["community"], primary=None, backup=None)


def test_the_district_grid_task_list_is_decided_by_a_second_district_coordinator(grid_list, users, make_user):
    second = make_user("district2", "district", grid_list.region)
    proposal = services.propose_change(grid_list, acting_user=users["district"], reason="增加防溺水巡查",
                                       changes=[{"op": "add", "key": "WG-03", "title": "防溺水巡查", "matter_types": "S0008"}])
    with pytest.raises(PermissionDenied):
        services.approve_version(proposal, acting_user=users["district"], note="自己批")
    with pytest.raises(PermissionDenied):
        services.approve_version(proposal, acting_user=users["street"], note="下级批")
    services.approve_version(proposal, acting_user=second, note="同意")
    grid_list.refresh_from_db()
    assert grid_list.current_version_id == proposal.pk
