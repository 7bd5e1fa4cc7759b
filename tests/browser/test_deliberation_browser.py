"""Residents' deliberation on a phone, in Chromium: a resident raises a topic, the grid answers it
and the work is done, and the resident evaluates the result. Assertions are on what they read."""

import pytest
from django.utils import timezone
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN", is_mobile=True, has_touch=True)
    page = context.new_page()
    yield page
    context.close()


def _fits(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")


def test_a_resident_raises_a_topic_on_a_phone_and_later_evaluates_it(phone, live_server, tree, users, make_user):
    from tests import factories
    from yiwang.deliberation import services
    from yiwang.deliberation.models import Topic

    person = factories.person(tree.micro_a1)
    make_user("zhang", "resident", None, person=person)
    page = phone
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "zhang")
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/deliberation/public/")
    expect(page.get_by_role("heading", name="我要提事")).to_be_visible()
    assert _fits(page)

    page.fill("input[name=title]", "小区门口路灯不亮")
    page.fill("textarea[name=description]", "2栋到4栋之间三盏路灯坏了,晚上出行不安全")
    page.get_by_test_id("raise").click()
    expect(page.get_by_test_id("messages")).to_contain_text("已提交议题“小区门口路灯不亮”")
    expect(page.get_by_test_id("topic-state")).to_have_text("居民提事")
    assert _fits(page)

    # The grid answers it and the lamps are fixed (staff work, done on their own pages).
    topic = Topic.objects.get()
    worker = users["worker_a"]
    services.accept_topic(topic, acting_user=worker)
    services.record_grid_discussion(topic, acting_user=worker, held_on=timezone.localdate(), support=15, oppose=0,
                                    summary="属物业维修范围", outcome="answer", answer="已协调物业三日内更换灯具")
    services.complete_topic(topic, acting_user=worker, result="三盏路灯已全部更换")

    page.goto(f"{live_server.url}/deliberation/public/")
    expect(page.get_by_test_id("my-topics")).to_contain_text("已办结·群众评事")
    page.get_by_test_id("community-topics").get_by_role("link", name="去评议").click()
    expect(page.get_by_test_id("decision")).to_contain_text("已协调物业三日内更换灯具")
    expect(page.get_by_test_id("result")).to_contain_text("三盏路灯已全部更换")
    page.get_by_label("4 分").check()
    page.fill("textarea[name=comment]", "修得很快")
    page.get_by_test_id("evaluate").click()
    expect(page.get_by_test_id("messages")).to_contain_text("感谢您的评议")
    expect(page.get_by_test_id("my-evaluation")).to_contain_text("您已评议：4 分")
    expect(page.get_by_test_id("score")).to_contain_text("群众评分 4.0 分（1 人评议）")
    expect(page.get_by_test_id("evaluate-form")).to_have_count(0)
    assert _fits(page)
