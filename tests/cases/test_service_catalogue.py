"""The one-stop hall's service catalogue: 6 categories and 48 items written as data, each with its
guide (conditions, materials, place, time limit, fee, steps) shown to residents; an application falls
due when its guide promises; the 随手拍 never offers one; loading again keeps what staff edited."""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from django.urls import reverse

from yiwang.cases.models import Channel
from yiwang.cases.services import Report, report_case
from yiwang.matters import catalogue
from yiwang.matters.models import MatterKind, MatterType, MatterTypeVersion, ServiceGuide
from yiwang.matters.selectors import service_categories, service_time_limit
from yiwang.matters.services import save_matter_type
from yiwang.worktime import calendar as work_calendar

from .conftest import POINT_A

ITEMS = {item.code: item for item in catalogue.service_items()}


def test_the_catalogue_has_six_categories_of_48_items_each_with_a_full_guide(db):
    groups = service_categories()
    assert list(groups) == ["社保医疗", "社会救助", "养老服务", "残疾人服务", "就业创业", "证明开具"]
    assert [len(items) for items in groups.values()] == [8] * 6
    services = MatterType.objects.filter(kind=MatterKind.SERVICE)
    assert services.count() == 48 and ServiceGuide.objects.count() == 48
    for matter in services.select_related("guide"):
        guide = matter.guide
        assert guide.conditions.strip() and guide.place.strip() and guide.fee.strip(), matter.code
        assert guide.material_list and guide.step_list, matter.code
        assert service_time_limit(matter) == ITEMS[matter.code].days >= 1
        assert matter.service_standard == f"材料齐全的，{ITEMS[matter.code].days}个工作日内办结"
        guide.full_clean()  # what the admin would accept


def test_an_applications_deadline_is_its_guides_time_limit(tree, matters, users):
    calendar = work_calendar.current()
    reported_at = datetime(2026, 3, 2, 9, 30, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday morning
    for code, item in ITEMS.items():
        intake = report_case(Report(channel=Channel.DESK, matter=matters(code, "service"), lon=POINT_A[0], lat=POINT_A[1]),
                             acting_user=users["community"], now=reported_at)
        promised = calendar.add_working_seconds(reported_at, item.days * calendar.day_seconds)
        assert intake.case.close_due_at == promised, code


@pytest.mark.parametrize("days", [1, 2, 3, 20])
def test_the_step_limits_add_up_to_the_time_limit(db, days):
    calendar = work_calendar.current()
    limits = catalogue.service_limits(days)
    assert all(float(limit[:-1]) > 0 for limit in limits)
    assert sum(calendar.limit_seconds(limit) for limit in limits) == days * calendar.day_seconds


def test_the_list_links_every_item_to_its_guide(client, tree):
    html = client.get(reverse("service-guide")).content.decode()
    for code, item in ITEMS.items():
        assert f'href="{reverse("service-item", args=[code])}"' in html, code
        assert item.name in html
    assert "社会救助（8）" in html


def test_the_guide_page_shows_conditions_materials_place_time_limit_fee_and_steps(client, tree):
    item = ITEMS["F0202"]
    response = client.get(reverse("service-item", args=["F0202"]))
    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>最低生活保障申请</h1>" in html
    assert re.search(r'data-testid="guide-time-limit">\s*20个工作日\s*<', html)
    assert f'data-testid="guide-fee">{item.fee}<' in html
    assert f'data-testid="guide-place">{item.place}<' in html
    assert item.conditions in html
    materials = re.search(r'data-testid="guide-materials">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", materials) == list(item.materials)
    steps = re.search(r'data-testid="guide-steps">(.*?)</ol>', html, re.S).group(1)
    assert re.findall(r"<li>(.*?)</li>", steps) == list(item.steps)


def test_a_staff_edit_of_the_limits_shows_on_the_guide(client, tree):
    matter = MatterType.objects.get(kind=MatterKind.SERVICE, code="F0601")
    matter.handle_limit = "2.5d"
    save_matter_type(matter, acting_user=None)
    html = client.get(reverse("service-item", args=["F0601"])).content.decode()
    assert re.search(r'data-testid="guide-time-limit">\s*3个工作日\s*<', html)


def test_an_unknown_or_problem_code_is_not_found_in_chinese(client, tree):
    for code in ("F9999", "S0001", "06010"):
        response = client.get(reverse("service-item", args=[code]))
        assert response.status_code == 404
        assert "页面不存在" in response.content.decode()
    MatterType.objects.filter(code="F0101", kind=MatterKind.SERVICE).update(active=False)
    assert client.get(reverse("service-item", args=["F0101"])).status_code == 404


def test_the_snap_and_report_offers_none_of_them(client, tree):
    html = client.get(reverse("resident-report")).content.decode()
    offered = re.findall(r'<option value="\d+"[^>]*>([^<]+)<', html)
    assert offered, "the problems are offered"
    assert not set(offered) & {item.name for item in ITEMS.values()}


def test_loading_again_changes_nothing_and_keeps_a_staff_edit(db):
    matter = MatterType.objects.get(kind=MatterKind.SERVICE, code="F0201")
    matter.name = "临时救助（急难型）申请"
    save_matter_type(matter, acting_user=None)
    guide = matter.guide
    guide.place = "街道便民服务中心社会救助窗口"
    guide.save()
    counts = (MatterType.objects.count(), MatterTypeVersion.objects.count(), ServiceGuide.objects.count())
    assert catalogue.ensure() == 0
    assert catalogue.ensure() == 0
    assert (MatterType.objects.count(), MatterTypeVersion.objects.count(), ServiceGuide.objects.count()) == counts
    matter.refresh_from_db()
    assert matter.name == "临时救助（急难型）申请"
    assert ServiceGuide.objects.get(matter=matter).place == "街道便民服务中心社会救助窗口"
    # A guide removed by mistake comes back from the data; the others are not touched.
    ServiceGuide.objects.filter(matter__code="F0302").delete()
    catalogue.ensure()
    assert ServiceGuide.objects.get(matter__code="F0302").conditions == ITEMS["F0302"].conditions
    assert ServiceGuide.objects.get(matter=matter).place == "街道便民服务中心社会救助窗口"


def test_the_first_seeded_items_are_brought_up_to_date_unless_edited(db):
    # As the first catalogue left them: version 1, limits (1h, 1h, 4h, N days, 1d).
    first = {"version": 1, "accept_limit": "1h", "dispatch_limit": "1h", "sign_limit": "4h", "handle_limit": "3d", "verify_limit": "1d"}
    MatterType.objects.filter(code="F0102").update(name="医疗费用报销咨询", **first)
    MatterType.objects.filter(code="F0602").update(name="计划生育情况证明", **{**first, "version": 2})  # edited since
    assert catalogue.upgrade_first_services(MatterType, MatterTypeVersion) == 1
    upgraded = MatterType.objects.get(code="F0102")
    assert (upgraded.name, upgraded.version, service_time_limit(upgraded)) == ("医疗费用手工报销", 2, ITEMS["F0102"].days)
    assert upgraded.versions.get(number=2).snapshot["limits"]["handle"] == upgraded.handle_limit
    assert MatterType.objects.get(code="F0602").name == "计划生育情况证明"


def test_a_data_file_with_an_empty_entry_is_refused_naming_the_item(tmp_path):
    path = tmp_path / "services.toml"
    path.write_text('[[category]]\nname = "社会救助"\n[[category.item]]\ncode = "F0201"\nname = "临时救助申请"\ndays = 10\n'
                    'conditions = "困难家庭"\nmaterials = []\nplace = "社区便民服务站"\nfee = "不收费"\nsteps = ["受理"]\n', encoding="utf-8")
    with pytest.raises(ValueError, match="F0201: materials"):
        catalogue.service_items(path)


def test_staff_edit_a_guide_in_the_admin(client, tree, django_user_model):
    admin_user = django_user_model.objects.create_superuser("catalogue-admin", password="Yiwang-test-2026")
    client.force_login(admin_user)
    matter = MatterType.objects.get(kind=MatterKind.SERVICE, code="F0503")
    url = reverse("admin:matters_mattertype_change", args=[matter.pk])
    html = client.get(url).content.decode()
    assert "办事指南" in html and ITEMS["F0503"].conditions in html
    problem = MatterType.objects.get(kind="community", code="S0001")
    assert "办事指南" not in client.get(reverse("admin:matters_mattertype_change", args=[problem.pk])).content.decode()
