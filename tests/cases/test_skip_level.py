"""Skip-level rules (越级上报): an urgent matter goes straight to the rule's level with the reason on
the routing record and copies told once; anything else routes as the tier says; bad rules are refused
naming the field."""

from __future__ import annotations

import json
import time

import pytest
from django.core.exceptions import ValidationError

from yiwang.cases import iot
from yiwang.cases.models import Case, Device, DeviceSource, SkipLevelRule
from yiwang.notify.models import Notification

from .conftest import POINT_A

pytestmark = pytest.mark.django_db
GAS_RULE = "燃气泄漏紧急越级上报"


def _skip_notices(case):
    return sorted(Notification.objects.filter(case=case, kind="skip_level").values_list("user__username", flat=True))


def test_the_seeded_rules_are_there_for_gas_and_fire(matters):
    rules = {rule.name: rule for rule in SkipLevelRule.objects.all()}
    gas = rules[GAS_RULE]
    assert gas.active and gas.matter == matters("S0003") and gas.min_urgency == "urgent" and gas.target_level == "street"
    assert gas.copy_levels == ["grid", "community"]
    assert rules["火灾隐患紧急越级上报"].matter == matters("S0005")


def test_an_urgent_gas_report_goes_straight_to_the_street_and_copies_the_community_and_the_grid(tree, users, report, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        case = report("S0003", urgency="urgent").case
    assert (case.level, case.handling_region, case.tier, case.handling_department) == ("street", tree.street, "C", None)
    routing = case.routings.get()
    assert routing.skip_rule.name == GAS_RULE and routing.level == "street" and routing.region == tree.street
    assert "紧急事项越级上报：燃气安全隐患（紧急）直接报云枫街道指挥中心（规则“燃气泄漏紧急越级上报”）" in routing.reasons
    assert "抄送：永先社区第1网格、永先社区" in routing.reasons
    assert set(routing.copied_to.all()) == {tree.grid_a, tree.community}
    # The street command center takes it (with the district above it); the copies are told once each.
    assert set(Notification.objects.filter(case=case, kind="report").values_list("user__username", flat=True)) == {"street", "district"}
    assert _skip_notices(case) == ["community", "worker_a"]
    assert "紧急事项越级上报" in Notification.objects.get(user=users["community"], case=case).text
    # Copied units see the case in their own subtree already; nobody else got a notice of it.
    assert Case.objects.restrict(users["community"]).filter(pk=case.pk).exists()
    assert Case.objects.restrict(users["worker_a"]).filter(pk=case.pk).exists()
    assert not Notification.objects.filter(case=case, user=users["worker_b"]).exists()


def test_a_copy_is_not_settled_when_the_street_accepts(users, report):
    from yiwang.cases import services

    case = report("S0003", urgency="critical").case
    services.do_accept_case(case, acting_user=users["street"])
    assert Notification.objects.get(case=case, kind="skip_level", user=users["community"]).read_at is None


def test_a_normal_gas_report_routes_by_its_tier(tree, report):
    case = report("S0003").case
    assert (case.level, case.handling_region, case.tier) == ("community", tree.community, "B")
    routing = case.routings.get()
    assert routing.skip_rule is None and not routing.copied_to.exists()
    assert not any("越级" in reason for reason in routing.reasons)
    assert not Notification.objects.filter(case=case, kind="skip_level").exists()


def test_an_inactive_rule_does_nothing(tree, report):
    SkipLevelRule.objects.filter(name=GAS_RULE).update(active=False)
    case = report("S0003", urgency="critical").case
    assert (case.level, case.handling_region) == ("community", tree.community)
    assert case.routings.get().skip_rule is None


def test_a_rule_for_the_matter_wins_over_one_for_its_category_and_may_name_a_department(tree, users, report, matters):
    from yiwang.matters.models import Department

    fire = Department.objects.create(code="KZ-YJ", name="开州区应急管理局", kind="emergency", region=tree.district)
    fire.areas.add(tree.street)
    fire.members.add(users["department"])
    SkipLevelRule.objects.create(name="安全隐患特急报社区", matter_category="安全隐患", min_urgency="critical", target_level="street")
    SkipLevelRule.objects.create(name="溺水隐患报应急局", matter=matters("S0008"), min_urgency="urgent", target_level="department",
                                 target_department=fire, copy_levels=["community", "district"])
    case = report("S0008", urgency="critical").case
    assert (case.level, case.handling_region, case.handling_department) == ("department", tree.street, fire)
    routing = case.routings.get()
    assert routing.skip_rule.name == "溺水隐患报应急局"
    assert any("直接报开州区应急管理局" in reason for reason in routing.reasons)
    # The department hears of it (and now sees it); the district is a coordinator already, so told once.
    assert _skip_notices(case) == ["community", "department"]
    assert Case.objects.restrict(users["department"]).filter(pk=case.pk).exists()
    assert Notification.objects.filter(case=case, user=users["district"]).count() == 1

    # A matter of the same category with no rule of its own follows the category's rule.
    other = report("S0004", urgency="critical", attributes={"location_kind": "corridor"}).case
    assert (other.level, other.handling_region) == ("street", tree.street)
    assert other.routings.get().skip_rule.name == "安全隐患特急报社区"


def test_api_intake_obeys_the_rule(client, users, tree):
    client.force_login(users["community"])
    response = client.post("/api/cases", json.dumps({"matter": "S0003", "lon": POINT_A[0], "lat": POINT_A[1], "channel": "desk",
                                                     "urgency": "urgent", "description": "楼道有燃气味"}),
                           content_type="application/json")
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["number"])
    assert (case.level, case.handling_region) == ("street", tree.street)
    routing = client.get(f"/api/cases/{case.number}").json()["routings"][0]
    assert routing["skip_rule"] == GAS_RULE and sorted(routing["copied_to"]) == sorted([tree.community.code, tree.grid_a.code])
    assert any(reason.startswith("紧急事项越级上报：燃气安全隐患（紧急）") for reason in routing["reasons"])


def test_a_device_alert_obeys_the_rule(client, tree, users, matters):
    SkipLevelRule.objects.create(name="烟感报警一律报街道", matter=matters("S0005"), min_urgency="normal", target_level="street",
                                 copy_levels=["grid"])
    source = DeviceSource(name="iot-hub")
    source.set_secret("s3cret")
    source.save()
    Device.objects.create(source=source, code="SMK-1", name="3栋烟感", matter=matters("S0005"), region=tree.grid_a,
                          lon=POINT_A[0], lat=POINT_A[1], address="3栋2单元")
    raw, ts = json.dumps({"device_id": "SMK-1", "alert_type": "smoke"}).encode(), str(int(time.time()))
    response = client.post("/api/devices/iot-hub", raw, content_type="application/json",
                           headers={iot.TIMESTAMP_HEADER: ts, iot.SIGNATURE_HEADER: "sha256=" + iot.sign("s3cret", ts, raw)})
    assert response.status_code == 201, response.content
    case = Case.objects.get(number=response.json()["case"])
    assert (case.channel, case.level, case.handling_region) == ("device", "street", tree.street)
    assert case.routings.get().skip_rule.name == "烟感报警一律报街道"
    assert _skip_notices(case) == ["worker_a"]


def test_the_case_page_shows_the_skip_and_its_reason(client, users, report):
    case = report("S0003", urgency="urgent").case
    client.force_login(users["street"])
    page = client.get(f"/cases/{case.number}/").content.decode()
    assert 'data-testid="skip-level"' in page
    assert "紧急事项越级上报：燃气安全隐患（紧急）直接报云枫街道指挥中心" in page and "抄送：永先社区第1网格、永先社区" in page


@pytest.mark.parametrize("fields, field, words", [
    ({}, "matter", "没有匹配条件"),
    ({"matter_code": "S0003", "matter_category": "安全隐患"}, "matter_category", "只填一项"),
    ({"matter_category": "没有这类"}, "matter_category", "没有大类为“没有这类”"),
    ({"matter_code": "S0006", "target_level": "community"}, "target_level", "低于事项“水位超警”平时的首办层级“街道”"),
    ({"matter_code": "S0003", "target_level": "community"}, "target_level", "无需越级"),
    ({"matter_category": "安全隐患", "target_level": "community"}, "target_level", "越级只能向上"),
    ({"matter_code": "S0003", "copy_levels": ["street"]}, "copy_levels", "不能包含直接报送的层级"),
    ({"matter_code": "S0003", "copy_levels": ["everyone"]}, "copy_levels", "没有这些抄送层级：everyone"),
    ({"matter_code": "S0003", "min_urgency": "soon"}, "min_urgency", "紧急程度"),
    ({"matter_code": "S0003", "target_level": "district"}, "target_level", "报送层级"),
])
def test_bad_rules_are_refused_naming_the_field(matters, fields, field, words):
    code = fields.pop("matter_code", None)
    rule = SkipLevelRule(name="坏规则", matter=matters(code) if code else None, **{"target_level": "street", **fields})
    with pytest.raises(ValidationError) as refused:
        rule.save()
    assert field in refused.value.message_dict and words in " ".join(refused.value.message_dict[field])
    assert not SkipLevelRule.objects.filter(name="坏规则").exists()


def test_a_named_department_needs_the_department_level(tree, matters):
    from yiwang.matters.models import Department

    dept = Department.objects.create(code="KZ-YJ", name="开州区应急管理局", kind="emergency", region=tree.district)
    with pytest.raises(ValidationError) as refused:
        SkipLevelRule(name="坏规则", matter=matters("S0003"), target_level="street", target_department=dept).save()
    assert "只有直接报送层级为“职能部门”时才能指定部门" in refused.value.message_dict["target_department"]


def test_the_admin_refuses_a_rule_with_nothing_to_match(client, users):
    admin = type(users["district"]).objects.create_superuser("root", password="Yiwang-test-2026")
    client.force_login(admin)
    response = client.post("/admin/cases/skiplevelrule/add/", {"name": "空规则", "min_urgency": "urgent", "target_level": "street",
                                                                "copy_levels": ["grid"], "active": "on"})
    assert response.status_code == 200
    assert "没有匹配条件的规则不会生效" in response.content.decode()
    assert not SkipLevelRule.objects.filter(name="空规则").exists()
    added = client.post("/admin/cases/skiplevelrule/add/", {"name": "安全隐患特急", "matter_category": "安全隐患", "min_urgency": "critical",
                                                             "target_level": "street", "copy_levels": ["grid", "community"], "active": "on"})
    assert added.status_code == 302
    assert SkipLevelRule.objects.get(name="安全隐患特急").copy_levels == ["grid", "community"]
