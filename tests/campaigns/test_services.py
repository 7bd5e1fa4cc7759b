"""Campaign rules: target lists and default assignment, grid admission at publish (all or
nothing), checks whose failed items open cases in the same transaction, progress and scope."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from yiwang.campaigns import selectors, services
from yiwang.campaigns.models import Campaign, ItemResult, Status, Target, TargetCheck, TargetStatus
from yiwang.cases.models import Case
from yiwang.core.models import AuditEntry
from yiwang.notify.models import Notification

from .conftest import GAS_ITEMS, matter, results

pytestmark = pytest.mark.django_db


def test_target_list_from_filter_inside_the_street_with_grid_workers_by_default(draft, places, users, tree):
    targets = {t.place_id: t for t in draft.targets.select_related("grid", "assignee")}
    assert set(targets) == {places["a1"].pk, places["a2"].pk, places["b1"].pk}  # no shop, nothing of the other street
    assert targets[places["a1"].pk].grid == tree.grid_a and targets[places["a1"].pk].region == tree.micro_a1
    assert targets[places["b1"].pk].grid == tree.grid_b
    assert {pk: t.assignee.username for pk, t in targets.items()} == {
        places["a1"].pk: "worker_a", places["a2"].pk: "worker_a", places["b1"].pk: "worker_b"}
    assert draft.status == Status.DRAFT and [i.text for i in draft.items.order_by("number")] == [t for t, _ in GAS_ITEMS]


def test_picked_targets_and_bad_input_name_the_field_and_write_nothing(tree, users, places, grid_list):
    campaign = services.create_campaign(acting_user=users["street"], owner=tree.street, title="便利店抽查", task_key="WG-02",
                                        starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2),
                                        items=[{"text": "燃气", "matter": matter("S0003")}],
                                        targets=services.TargetFilter(place_ids=(places["shop"].pk,)))
    assert list(campaign.targets.values_list("place_id", flat=True)) == [places["shop"].pk]
    before = Campaign.objects.count()
    with pytest.raises(ValidationError) as bad:
        services.create_campaign(acting_user=users["street"], owner=tree.street, title="", task_key="WG-02",
                                 starts_on=date(2026, 6, 5), ends_on=date(2026, 6, 1), items=[{"text": "燃气", "matter": None}],
                                 targets=services.TargetFilter(place_kinds=("casino",), place_ids=(places["other"].pk,)))
    errors = bad.value.message_dict
    assert {"title", "ends_on", "items[1].matter", "place_kinds"} <= set(errors)
    assert "请选择不合格时立案的事项" in errors["items[1].matter"][0]
    with pytest.raises(ValidationError) as outside:
        services.create_campaign(acting_user=users["street"], owner=tree.street, title="x", task_key="WG-02",
                                 starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 1), items=[{"text": "燃气", "matter": matter("S0003")}],
                                 targets=services.TargetFilter(place_ids=(places["other"].pk,)))
    assert "不在 云枫街道" in outside.value.message_dict["place_ids"][0]
    assert Campaign.objects.count() == before


def test_only_street_or_district_creates_campaigns(tree, users, places, grid_list):
    for who in ("community", "worker_a", "department"):
        with pytest.raises(PermissionDenied):
            services.create_campaign(acting_user=users[who], owner=tree.street, title="x", task_key="WG-02",
                                     starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 1),
                                     items=[{"text": "燃气", "matter": matter("S0003")}],
                                     targets=services.TargetFilter(place_kinds=("three_in_one",)))
    with pytest.raises(PermissionDenied):  # a street outside its own region
        from yiwang.regions.models import Region

        services.create_campaign(acting_user=users["street"], owner=Region.objects.get(code="500154001000"), title="x",
                                 task_key="WG-02", starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 1),
                                 items=[{"text": "燃气", "matter": matter("S0003")}],
                                 targets=services.TargetFilter(place_kinds=("three_in_one",)))


def test_publish_checks_admission_for_every_grid_and_records_it(draft, users, tree):
    campaign = services.publish_campaign(draft, acting_user=users["street"])
    assert campaign.status == Status.PUBLISHED and campaign.published_by == users["street"]
    assert set(campaign.admission) == {tree.grid_a.code, tree.grid_b.code}
    assert "任务 WG-02 安全隐患排查是《开州区网格任务清单》第1版的清单事项" in campaign.admission[tree.grid_a.code]
    told = dict(Notification.objects.filter(kind="campaign").values_list("user__username", "text"))
    assert set(told) == {"worker_a", "worker_b"} and "您有 2 个排查对象" in told["worker_a"]
    with pytest.raises(ValidationError) as again:
        services.publish_campaign(campaign, acting_user=users["street"])
    assert "status" in again.value.message_dict


def test_one_grid_refusing_the_task_blocks_the_whole_publish(draft, users, tree):
    from yiwang.duties import services as duties
    from yiwang.duties.models import ListKind

    # 永先社区 narrows the grid task list for its grids: no safety checks pushed down there.
    own = duties.create_list(region=tree.community, kind=ListKind.GRID_TASKS, acting_user=users["community"], reason="网格减负",
                             name="永先社区网格任务清单", rows=[{"key": "YX-01", "title": "矛盾纠纷排查", "matter_types": "S0001"}])
    duties.approve_version(own.versions.get(), acting_user=users["street"])
    audit_before = AuditEntry.objects.filter(action="campaigns.publish").count()
    with pytest.raises(ValidationError) as refused:
        services.publish_campaign(draft, acting_user=users["street"])
    messages = refused.value.message_dict["task_key"]
    assert messages[0] == "2 个网格未准入，专项排查未下发"
    assert any(m.startswith(f"永先社区第1网格({tree.grid_a.code}):任务 WG-02 不在《永先社区网格任务清单》第1版之内") for m in messages)
    assert any(m.startswith(f"永先社区第2网格({tree.grid_b.code})") for m in messages)
    draft.refresh_from_db()
    assert draft.status == Status.DRAFT and draft.admission == {} and draft.published_at is None
    assert not Notification.objects.filter(kind="campaign").exists()
    assert AuditEntry.objects.filter(action="campaigns.publish").count() == audit_before


def test_without_any_grid_task_list_nothing_is_pushed_down(tree, users, places):
    campaign = services.create_campaign(acting_user=users["street"], owner=tree.street, title="燃气", task_key="WG-02",
                                        starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 2),
                                        items=[{"text": "燃气", "matter": matter("S0003")}],
                                        targets=services.TargetFilter(place_ids=(places["b1"].pk,)))
    with pytest.raises(ValidationError) as refused:
        services.publish_campaign(campaign, acting_user=users["street"])
    assert "永先社区第2网格及其上级未设网格任务清单" in refused.value.message_dict["task_key"][1]
    assert Campaign.objects.get(pk=campaign.pk).status == Status.DRAFT


def test_a_failed_item_opens_a_case_in_the_same_transaction(published, users, places, tree):
    target = published.targets.get(place=places["a1"])
    record = services.record_check(target, acting_user=users["worker_a"], note="已宣传",
                                   results=results(published, i2=("fail", "报警器未通电")))
    target.refresh_from_db()
    assert target.status == TargetStatus.CHECKED and record.failed_items == 1 and record.checked_by == users["worker_a"]
    failed = ItemResult.objects.get(record=record, result="fail")
    case = failed.case
    assert case.matter == matter("S0003") and case.region == tree.grid_a and case.micro_grid == tree.micro_a1
    assert (case.lon, case.lat) == (108.302, 31.105)  # the place's own point, inside its grid
    assert case.external_source == "campaign" and case.external_id == f"{record.pk}-2"
    assert "老王小吃店:安装燃气报警器不合格。报警器未通电" in case.description
    assert ItemResult.objects.filter(record=record, case__isnull=True).count() == 2
    # A place without a point: the case goes to the place's grid.
    other = published.targets.get(place=places["a2"])
    record2 = services.record_check(other, acting_user=users["worker_a"], results=results(published, i1=("fail", ""), i3=("fail", "堆货")))
    cases = [r.case for r in record2.results.filter(result="fail").select_related("case__matter")]
    assert [(c.region, c.lon, c.matter.code) for c in cases] == [(tree.grid_a, None, "S0003"), (tree.grid_a, None, "S0008")]


def test_a_case_that_cannot_open_leaves_nothing_written(published, users, places):
    item = published.items.get(number=3)
    item.matter.active = False
    item.matter.save()
    target = published.targets.get(place=places["a1"])
    cases_before = Case.objects.count()
    with pytest.raises(ValidationError) as refused:
        services.record_check(target, acting_user=users["worker_a"], results=results(published, i1=("fail", "软管老化"), i3=("fail", "")))
    assert list(refused.value.message_dict) == ["items[3]"] and "第3项无法立案" in refused.value.message_dict["items[3]"][0]
    target.refresh_from_db()
    assert target.status == TargetStatus.PENDING
    assert not TargetCheck.objects.exists() and not ItemResult.objects.exists() and Case.objects.count() == cases_before


def test_every_item_needs_a_result_and_a_target_is_checked_once(published, users, places):
    target = published.targets.get(place=places["a1"])
    partial = results(published)[:2]
    with pytest.raises(ValidationError) as missing:
        services.record_check(target, acting_user=users["worker_a"], results=partial)
    assert "第3项“疏散通道畅通”：请选择结果" in missing.value.message_dict["items[3]"][0]
    with pytest.raises(ValidationError) as bad:
        services.record_check(target, acting_user=users["worker_a"], results=results(published, i1=("maybe", "")))
    assert "items[1]" in bad.value.message_dict
    services.record_check(target, acting_user=users["worker_a"], results=results(published))
    with pytest.raises(ValidationError) as twice:
        services.record_check(target, acting_user=users["worker_a"], results=results(published))
    assert "已排查" in twice.value.message_dict["target"][0]
    assert TargetCheck.objects.count() == 1


def test_checks_stay_inside_scope_and_stop_when_closed(published, users, places):
    target_a = published.targets.get(place=places["a1"])
    with pytest.raises(PermissionDenied):
        services.record_check(target_a, acting_user=users["worker_b"], results=results(published))
    with pytest.raises(PermissionDenied):
        services.record_check(target_a, acting_user=users["department"], results=results(published))
    with pytest.raises(PermissionDenied):
        services.close_campaign(published, acting_user=users["worker_a"])
    services.close_campaign(published, acting_user=users["street"])
    with pytest.raises(ValidationError) as closed:
        services.record_check(target_a, acting_user=users["worker_a"], results=results(published))
    assert "已结束" in closed.value.message_dict["campaign"][0]


def test_draft_cannot_be_checked(draft, users, places):
    with pytest.raises(ValidationError) as early:
        services.record_check(draft.targets.get(place=places["a1"]), acting_user=users["worker_a"], results=results(draft))
    assert "草稿" in early.value.message_dict["campaign"][0]


def test_progress_per_grid(published, users, places, tree):
    services.record_check(published.targets.get(place=places["a1"]), acting_user=users["worker_a"],
                          results=results(published, i1=("fail", "x"), i2=("fail", "y")))
    services.record_check(published.targets.get(place=places["a2"]), acting_user=users["worker_a"], results=results(published, i3=("na", "")))
    target_b = published.targets.get(place=places["b1"])
    services.assign_target(target_b, acting_user=users["street"], assignee=None)
    report = selectors.progress(selectors.visible_targets(users["street"], published))
    rows = {g.grid_code: (g.targets, g.checked, g.failed, g.cases, g.unassigned, g.percent) for g in report.grids}
    assert rows == {tree.grid_a.code: (2, 2, 1, 2, 0, 100), tree.grid_b.code: (1, 0, 0, 0, 1, 0)}
    total = report.total
    assert (total.targets, total.checked, total.failed, total.cases, total.unassigned, total.percent, total.pending) == (3, 2, 1, 2, 1, 66, 1)
    # The community sees the same; grid worker B only their own grid.
    assert [g.grid_code for g in selectors.progress(selectors.visible_targets(users["worker_b"], published)).grids] == [tree.grid_b.code]


def test_who_sees_what(published, users, places, tree, make_user):
    assert set(selectors.visible_campaigns(users["worker_a"])) == {published}
    assert set(selectors.visible_campaigns(users["community"])) == {published}
    other = make_user("other_street", "street", tree.other_street)
    assert not selectors.visible_campaigns(other).exists() and not selectors.visible_campaigns(users["resident"]).exists()
    assert {t.place_id for t in selectors.my_targets(users["worker_a"])} == {places["a1"].pk, places["a2"].pk}
    assert {t.place_id for t in selectors.my_targets(users["worker_b"])} == {places["b1"].pk}
    # Reassigning inside grid A to a second worker of A; a worker of B may not take it.
    second = make_user("worker_a2", "grid_worker", tree.micro_a1)
    target = published.targets.get(place=places["a1"])
    services.assign_target(target, acting_user=users["community"], assignee=second)
    assert {t.place_id for t in selectors.my_targets(users["worker_a"])} == {places["a2"].pk}
    with pytest.raises(ValidationError) as wrong:
        services.assign_target(target, acting_user=users["community"], assignee=users["worker_b"])
    assert "不是负责" in wrong.value.message_dict["assignee"][0]


def test_contract_selectors_for_assessment_and_property_ratings(published, users, places, tree):
    now = timezone.now()
    services.record_check(published.targets.get(place=places["a1"]), acting_user=users["worker_a"],
                          results=results(published, i1=("fail", "x"), i2=("fail", "y")), now=now - timedelta(days=2))
    services.record_check(published.targets.get(place=places["a2"]), acting_user=users["worker_a"], results=results(published), now=now)
    services.record_check(published.targets.get(place=places["b1"]), acting_user=users["worker_b"], results=results(published), now=now)
    since, until = now - timedelta(days=7), now + timedelta(seconds=1)
    assert selectors.checks_by_worker(region_path=tree.street.path, since=since, until=until) == {users["worker_a"].pk: 2, users["worker_b"].pk: 1}
    assert selectors.checks_by_worker(region_path=tree.grid_b.path, since=since, until=until) == {users["worker_b"].pk: 1}
    assert selectors.checks_by_worker(region_path=tree.street.path, since=now - timedelta(days=1), until=until) == {
        users["worker_a"].pk: 1, users["worker_b"].pk: 1}
    assert selectors.checks_by_worker(region_path=tree.street.path, since=since, until=now) == {users["worker_a"].pk: 1}  # until excluded
    ids = [places["a1"].pk, places["a2"].pk, places["shop"].pk]
    assert selectors.place_check_results(place_ids=ids, since=since, until=until) == {
        places["a1"].pk: {"checks": 1, "failed_items": 2}, places["a2"].pk: {"checks": 1, "failed_items": 0},
        places["shop"].pk: {"checks": 0, "failed_items": 0}}
    assert selectors.place_check_results(place_ids=ids[:1], since=now - timedelta(days=1), until=until) == {
        places["a1"].pk: {"checks": 0, "failed_items": 0}}


def test_household_targets_by_key_group(tree, users, grid_list):
    from tests.factories import household
    from yiwang.registry.models import Person, PersonTag

    home = household(tree.micro_b1)
    child = Person.objects.create(region=tree.micro_b1, name="小明", household=home)
    PersonTag.objects.create(person=child, tag="QS05")  # 农村留守儿童
    household(tree.micro_a1)  # no child: not a target
    campaign = services.create_campaign(acting_user=users["street"], owner=tree.street, title="防溺水", task_key="WG-02",
                                        starts_on=date(2026, 6, 1), ends_on=date(2026, 6, 30), target_kind="household",
                                        items=[{"text": "签订承诺书", "matter": matter("S0008")}],
                                        targets=services.TargetFilter(key_groups=("QS05",)))
    target = campaign.targets.get()
    assert target.household == home and target.assignee == users["worker_b"] and target.grid == tree.grid_b
    services.publish_campaign(campaign, acting_user=users["street"])
    record = services.record_check(target, acting_user=users["worker_b"], results=[{"item": campaign.items.get().pk, "result": "fail", "note": "未签"}])
    assert record.results.get().case.region == tree.grid_b
    assert Target.objects.filter(status="checked").count() == 1
