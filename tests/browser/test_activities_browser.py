"""Activities as residents see them on a phone, in Chromium: a full activity takes a registration
onto the waiting list and says which place; the code then shows the place again; the venue's
public timetable shows the week's square-dance roster, Monday to Sunday."""

from datetime import time

import pytest
from playwright.sync_api import expect

from tests.activities.conftest import local

# The live server needs committed data; serialized_rollback restores what migrations seeded.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 800}
TEAMS = ["红枫舞蹈队", "夕阳红舞蹈队", "彩虹广场舞队", "金秋健身操队"]


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]


@pytest.fixture
def full_lecture(tree, users):
    from yiwang.activities import services

    staff = users["community"]
    hall = services.create_venue(acting_user=staff, region=tree.community, name="永先社区活动室", kind="hall", capacity=60)
    lecture = services.create_activity(acting_user=staff, region=tree.community, title="老年人健康知识讲座", kind="lecture", venue=hall,
                                       starts_at=local(3, 9, 30), ends_at=local(3, 11), capacity=1)
    lecture = services.publish_activity(lecture, acting_user=staff)
    services.register(activity=lecture, name="张秀英", phone="13800000001")
    return lecture


def test_resident_registers_for_a_full_activity_and_is_told_the_waiting_place(phone, live_server, full_lecture, users, browser):
    phone.goto(f"{live_server.url}/activities/public/")
    card = phone.get_by_test_id("activity-card").filter(has_text="老年人健康知识讲座")
    expect(card.get_by_test_id("seats")).to_have_text("名额已满（1 人） · 候补 0 人")
    assert fits_the_screen(phone)
    card.get_by_role("link", name="老年人健康知识讲座").click()

    expect(phone.get_by_test_id("title")).to_have_text("老年人健康知识讲座")
    expect(phone.get_by_test_id("full-hint")).to_contain_text("名额已满，现在报名将进入候补名单")
    form = phone.locator("#register")
    form.get_by_label("姓名").fill("李建国")
    form.get_by_label("手机号").fill("13900000002")
    phone.get_by_test_id("register").click()

    expect(phone.get_by_test_id("outcome")).to_contain_text("活动已满，您已进入候补名单第 1 位")
    code = phone.get_by_test_id("code").inner_text().strip()
    assert len(code) == 6
    assert fits_the_screen(phone)
    # Another registrant's data never shows on the public pages.
    assert "张秀英" not in phone.content() and "13800000001" not in phone.content()

    # Later, with the phone and the code, the place on the list.
    phone.get_by_role("link", name="查询我的报名").click()
    phone.locator("#mine").get_by_label("手机号").fill("13900000002")
    phone.get_by_label("取消码").fill(code)
    phone.get_by_test_id("own-lookup").click()
    expect(phone.get_by_test_id("own-status")).to_have_text("您在候补名单第 1 位")

    # The community worker sees the waiting list, phone masked.
    staff = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN")
    try:
        worker = staff.new_page()
        worker.goto(f"{live_server.url}/login/")
        worker.fill("input[name=username]", "community")
        worker.fill("input[name=password]", "Yiwang-test-2026")
        worker.click("button[type=submit]")
        worker.wait_for_url(f"{live_server.url}/map/**")
        worker.goto(f"{live_server.url}/activities/{full_lecture.pk}/")
        waitlist = worker.get_by_test_id("waitlist")
        expect(waitlist).to_contain_text("李建国")
        expect(waitlist).to_contain_text("139****0002")
        assert "13900000002" not in worker.content()
        assert fits_the_screen(worker)
    finally:
        staff.close()


def test_public_timetable_shows_the_weeks_roster(phone, live_server, tree, users):
    from yiwang.activities import services

    staff = users["community"]
    square = services.create_venue(acting_user=staff, region=tree.community, name="滨湖文化广场", kind="square", capacity=300)
    for weekday in range(7):
        services.create_slot(acting_user=staff, venue=square, group_name=TEAMS[weekday % len(TEAMS)], weekday=weekday,
                             start_time=time(19), end_time=time(20, 30), contact_name="刘队长", contact_phone="13912345678")

    phone.goto(f"{live_server.url}/activities/venues/")
    phone.get_by_role("link", name="滨湖文化广场").first.click()
    expect(phone.locator("h1")).to_contain_text("滨湖文化广场")
    for weekday in range(7):
        day = phone.get_by_test_id(f"day-{weekday}")
        expect(day).to_contain_text(["周一", "周二", "周三", "周四", "周五", "周六", "周日"][weekday])
        expect(day.get_by_test_id("entry")).to_have_text(f"19:00–20:30 {TEAMS[weekday % len(TEAMS)]}")
    assert fits_the_screen(phone)
    # The teams' contacts stay off the public page.
    assert "刘队长" not in phone.content() and "5678" not in phone.content()
    # Next week holds the same roster.
    phone.get_by_test_id("next-week").click()
    expect(phone.get_by_test_id("day-0").get_by_test_id("entry")).to_have_text(f"19:00–20:30 {TEAMS[0]}")
