"""Dual check-in on a phone, in Chromium: a confirmed in-service member opens their page, sees an
open task with its places, claims it and sees it claimed; the page fits a 375 px screen."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone
from playwright.sync_api import expect

# The live server needs committed data; serialized_rollback restores what migrations seeded.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 800}


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def test_member_claims_a_task_on_a_phone(phone, live_server, tree, users, make_user):
    from tests.volunteers.factories import in_service_member
    from yiwang.volunteers import services
    from yiwang.volunteers.models import TaskClaim

    staff = users["community"]
    member = in_service_member(tree.micro_a1)
    make_user("dangyuan", "resident", None, person=member.person)
    post = services.create_post(acting_user=staff, region=tree.community, title="楼栋平安巡查员", kind="safety", capacity=5)
    registration = services.register_member(member=member, acting_user=staff, posts=[post])
    services.confirm_registration(registration, acting_user=staff)
    starts = timezone.now() + timedelta(days=3)
    task = services.post_task(acting_user=staff, region=tree.community, title="电动车充电安全夜查", post=post, starts_at=starts,
                              ends_at=starts + timedelta(hours=2), places=3, hours=Decimal("2.5"), location="永先社区各小区")

    phone.goto(f"{live_server.url}/login/")
    phone.fill("input[name=username]", "dangyuan")
    phone.fill("input[name=password]", "Yiwang-test-2026")
    phone.click("button[type=submit]")
    phone.wait_for_load_state()
    phone.goto(f"{live_server.url}/volunteers/mine/")

    expect(phone.get_by_test_id("registration-status")).to_have_text("已确认")
    card = phone.get_by_test_id(f"task-{task.pk}")
    expect(card).to_contain_text("电动车充电安全夜查")
    expect(card).to_contain_text("已认领0/3")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]

    card.get_by_role("button", name="认领").click()
    expect(phone.get_by_test_id("messages")).to_contain_text("已认领“电动车充电安全夜查”")
    card = phone.get_by_test_id(f"task-{task.pk}")
    expect(card).to_contain_text("已认领1/3")
    expect(card.get_by_role("button", name="退出")).to_be_visible()
    expect(phone.get_by_test_id("my-claims")).to_contain_text("电动车充电安全夜查")
    expect(phone.get_by_test_id("stars-how")).to_contain_text("本年度服务积分0分")
    assert phone.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]
    assert TaskClaim.objects.filter(task=task, person=member.person, status="claimed").count() == 1
