"""The grid worker's forms offline, in Chromium: a patrol filled with the network down waits in the
queue (nothing reaches the database), survives a reload of the page (opened from the service
worker's copy), and is sent exactly once when the network returns; a double click sends once; a
record the server refuses stays in the queue with the server's words until it is corrected."""

import re

import pytest
from playwright.sync_api import expect

# The live server needs committed data; serialized_rollback restores what migrations seeded.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = {"width": 375, "height": 800}


@pytest.fixture(autouse=True)
def _tasks_and_catalogue(settings):
    from yiwang.matters import catalogue

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()


@pytest.fixture
def worker_page(browser, live_server, users):
    context = browser.new_context(viewport=PHONE, locale="zh-CN", service_workers="allow")
    page = context.new_page()
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", "worker_a")
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    yield page
    context.close()


def _open_patrol_form(page, live_server):
    page.goto(f"{live_server.url}/gridwork/patrols/new/")
    # The service worker has kept the page, its scripts and styles.
    expect(page.locator("#record-form")).to_have_attribute("data-offline-ready", "1")


def test_a_patrol_filled_offline_waits_survives_a_reload_and_is_sent_once(worker_page, live_server):
    from yiwang.core.models import SubmissionKey
    from yiwang.gridwork.models import PatrolLog

    page = worker_page
    _open_patrol_form(page, live_server)
    page.context.set_offline(True)
    page.fill("[name=summary]", "地下车库巡查，消防通道畅通")
    page.click("[data-testid=submit]")

    count = page.locator("[data-testid=offline-queue-count]")
    expect(count).to_have_text("待发送 1 条")
    expect(page.locator("[data-testid=offline-status]")).to_contain_text("已存入待发送队列")
    expect(page.locator("[name=summary]")).to_have_value("")  # a new fill may begin
    assert PatrolLog.objects.count() == 0

    page.reload()
    expect(page.locator("h1")).to_have_text("记录巡查")
    expect(count).to_have_text("待发送 1 条")
    count.click()
    expect(page.locator("[data-testid=offline-item]")).to_contain_text("记录巡查")
    assert PatrolLog.objects.count() == 0

    page.context.set_offline(False)
    expect(count).to_have_text("待发送队列已清空")
    expect(page.locator("[data-testid=offline-sent]")).to_contain_text("已发送：记录巡查")
    patrol = PatrolLog.objects.get()
    assert patrol.summary == "地下车库巡查，消防通道畅通" and SubmissionKey.objects.get().object_id == patrol.pk
    page.locator("[data-testid=offline-sent] a").click()
    expect(page.locator("main")).to_contain_text("地下车库巡查")

    # Nothing is left to send, whatever happens next.
    page.reload()
    expect(page.locator("[data-testid=offline-queue]")).to_be_hidden()
    assert PatrolLog.objects.count() == 1


def test_a_double_click_on_submit_records_once(worker_page, live_server):
    from yiwang.gridwork.models import PatrolLog

    page = worker_page
    _open_patrol_form(page, live_server)
    page.fill("[name=summary]", "双击提交")
    page.dblclick("[data-testid=submit]")
    page.wait_for_url(re.compile(r".*/gridwork/patrols/\d+/$"))
    expect(page.locator("[data-testid=messages]")).to_contain_text("已记录巡查")
    assert PatrolLog.objects.count() == 1


def test_a_refused_item_stays_with_the_servers_words_until_corrected(worker_page, live_server):
    from yiwang.gridwork.models import PatrolLog

    page = worker_page
    _open_patrol_form(page, live_server)
    page.context.set_offline(True)
    # Too old to be recorded: the server refuses it when it arrives.
    page.fill("[name=at]", "2020-01-01T08:00")
    page.fill("[name=summary]", "补录的旧巡查")
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=offline-queue-count]")).to_have_text("待发送 1 条")

    page.context.set_offline(False)
    message = page.locator("[data-testid=offline-item-message]")
    expect(message).to_contain_text("只能补录 30 天内的记录")
    expect(page.locator("[data-testid=offline-item]")).to_have_attribute("data-status", "refused")
    assert PatrolLog.objects.count() == 0

    page.locator("[data-testid=offline-item-open]").click()
    expect(page.locator("[name=summary]")).to_have_value("补录的旧巡查")
    expect(page.locator("[data-testid=offline-status]")).to_contain_text("只能补录 30 天内的记录")
    page.fill("[name=at]", page.evaluate("new Date(Date.now() - new Date().getTimezoneOffset() * 60000).toISOString().slice(0, 16)"))
    page.click("[data-testid=submit]")
    page.wait_for_url(re.compile(r".*/gridwork/patrols/\d+/$"))
    expect(page.locator("[data-testid=offline-queue]")).to_be_hidden()
    assert PatrolLog.objects.get().summary == "补录的旧巡查"


def test_a_report_with_a_photo_queued_offline_arrives_with_its_photo(worker_page, live_server):
    from tests.cases.conftest import png_bytes
    from yiwang.cases.models import Case

    page = worker_page
    page.goto(f"{live_server.url}/cases/report/")
    expect(page.locator("#report-form")).to_have_attribute("data-offline-ready", "1")
    page.context.set_offline(True)
    page.select_option("[data-testid=matter]", label="邻里纠纷（A类）")
    page.fill("[name=description]", "地下室漏水，两户争执")
    page.locator("details.coords summary").click()
    page.fill("[name=lon]", "108.302")
    page.fill("[name=lat]", "31.105")
    page.set_input_files("[name=photos]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.click("[data-testid=submit]")
    expect(page.locator("[data-testid=offline-queue-count]")).to_have_text("待发送 1 条")
    assert Case.objects.count() == 0

    page.context.set_offline(False)
    expect(page.locator("[data-testid=offline-queue-count]")).to_have_text("待发送队列已清空")
    case = Case.objects.get()
    assert case.description == "地下室漏水，两户争执" and case.reported_by.username == "worker_a"
    assert case.photos.count() == 1
