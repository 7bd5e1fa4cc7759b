"""The closed loop as people see it, in Chromium: a resident snaps and reports, the community
accepts and dispatches, the grid worker signs and handles, the community verifies and closes, and
the resident rates on the tracking page. Assertions are on the text a person reads."""

import re

import pytest
from playwright.sync_api import expect

from tests.cases.conftest import POINT_A, png_bytes

# The live server needs committed data; serialized_rollback restores what migrations seeded
# (the matter catalogue among it) for the tests that run after these.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = "13912345678"


@pytest.fixture(autouse=True)
def _tasks_media_cache(settings, tmp_path):
    from django.core.cache import cache

    # Notifications are written by a task queued on commit; run it in-process so the inbox fills.
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def _catalogue():
    """The seeded matter catalogue, even when serialized_rollback could not restore it: once
    Playwright's event loop runs in this thread, Django keeps the connection in a context-local
    slot without the contents serialized at database setup (asgiref's thread-critical Local), so
    a transactional test after the first one may start from an empty database."""
    from yiwang.matters import catalogue

    catalogue.ensure()


@pytest.fixture
def people(browser):
    """A fresh browser context per person (their own cookies), phone-sized."""
    contexts = []

    def open_as(**options):
        context = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN", **options)
        contexts.append(context)
        return context.new_page()

    yield open_as
    for context in contexts:
        context.close()


def sign_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")
    return page


def act(page, action: str, note: str = ""):
    form = page.locator(f"form.act[data-action='{action}']")
    if note:
        form.locator("textarea[name=note]").fill(note)
    form.locator(f"[data-testid=act-{action}]").click()


def test_resident_report_through_the_loop_to_rating(people, live_server, tree, users):
    users["community"].first_name = "李四科员"
    users["community"].save()

    # A resident reports from the phone, the position from its GPS.
    resident = people(permissions=["geolocation"], geolocation={"longitude": POINT_A[0], "latitude": POINT_A[1]})
    resident.goto(f"{live_server.url}/report/")
    expect(resident.locator("h1")).to_have_text("随手拍")
    resident.select_option("[data-testid=matter]", label="邻里纠纷")
    resident.wait_for_selector("[data-question=people_involved]")  # the matter's extra question, via htmx
    resident.fill("[name='attribute[people_involved]']", "2")
    resident.fill("[name=description]", "楼上深夜噪音，多次沟通无果")
    resident.set_input_files("[name=photos]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": png_bytes()}])
    resident.wait_for_selector("#pick-map[data-ready='1']")
    resident.click("[data-testid=locate]")
    expect(resident.locator("[data-testid=position-status]")).to_contain_text("永先社区第1网格")
    resident.fill("[name=phone]", PHONE)
    resident.click("[data-testid=submit]")
    expect(resident.locator("h1")).to_have_text("感谢您的反映")
    number = resident.locator("[data-testid=case-number]").inner_text()
    code = resident.locator("[data-testid=access-code]").inner_text()
    assert re.fullmatch(r"\d{14}", number) and re.fullmatch(r"[A-Z0-9]{8}", code)
    expect(resident.locator("body")).to_contain_text("查询码只显示这一次")

    # The community sees it in the inbox with its light, accepts and dispatches it to the grid.
    community = sign_in(people(), live_server, "community")
    community.click("[data-tab=inbox]")  # the phone's tab bar
    row = community.locator(f"[data-testid=inbox-card][data-number='{number}']")
    expect(row).to_contain_text("待受理")
    expect(row.locator("[data-testid=light]")).to_have_text("正常")
    expect(community.locator("[data-testid=notifications]")).to_contain_text(f"【新事件待受理】{number}")
    row.locator("a.inbox-number").click()
    expect(community.locator("[data-testid=status]")).to_have_text("待受理")
    expect(community.locator("[data-testid=routings]")).to_contain_text("落在 永先社区第1网格")
    expect(community.locator("[data-testid=photos] img")).to_have_count(1)
    act(community, "accept")
    expect(community.locator("[data-testid=messages]")).to_contain_text("已受理立案")
    expect(community.locator("[data-testid=status]")).to_have_text("已立案")
    community.select_option("[data-testid=dispatch-target]", label="永先社区第1网格（网格）")
    act(community, "dispatch")
    expect(community.locator("[data-testid=status]")).to_have_text("已派遣")

    # The grid worker finds it in the inbox, signs and handles it.
    worker = sign_in(people(), live_server, "worker_a")
    worker.click("[data-tab=inbox]")
    row = worker.locator(f"[data-testid=inbox-card][data-number='{number}']")
    expect(row).to_contain_text("待签收")
    row.locator("a.inbox-number").click()
    act(worker, "sign")
    expect(worker.locator("[data-testid=status]")).to_have_text("处置中")
    worker.locator("form.act[data-action='handle'] input[name=after]").set_input_files(
        files=[{"name": "after.png", "mimeType": "image/png", "buffer": png_bytes((30, 160, 60))}])
    act(worker, "handle", note="已上门调解，双方达成一致")
    expect(worker.locator("[data-testid=status]")).to_have_text("已处置待核查")
    expect(worker.locator("[data-testid=no-actions]")).to_be_visible()

    # The community verifies and closes.
    community.reload()
    act(community, "verify")
    expect(community.locator("[data-testid=status]")).to_have_text("已核查待结案")
    act(community, "close")
    expect(community.locator("[data-testid=status]")).to_have_text("已结案")
    expect(community.locator("[data-testid=timeline]")).to_contain_text("李四科员")

    # The resident follows the number, sees the public record without names, and rates it.
    resident.goto(f"{live_server.url}/track/")
    resident.fill("[data-testid=track-number]", number)
    resident.keyboard.press("Enter")
    expect(resident.locator("[data-testid=track-status]")).to_have_text("已结案")
    timeline = resident.locator("[data-testid=track-timeline]")
    expect(timeline).to_contain_text("处置完成")
    expect(timeline).to_contain_text("已上门调解，双方达成一致")
    body = resident.locator("body").inner_text()
    for hidden in ("李四科员", "worker_a", PHONE, "139****5678"):
        assert hidden not in body
    rate = resident.locator("[data-testid=rate-form]")
    rate.locator("[name=access_code]").fill("WRONG234")
    rate.locator("[data-testid=rate]").click()
    expect(resident.locator("[data-testid=track-error]")).to_contain_text("查询码不正确")
    rate = resident.locator("[data-testid=rate-form]")
    rate.locator("[name=access_code]").fill(code)
    rate.get_by_label("满意", exact=True).check()
    rate.locator("[data-testid=rate]").click()
    expect(resident.locator("[data-testid=messages]")).to_contain_text("已提交评价")
    expect(resident.locator("[data-testid=track-status]")).to_have_text("已评价")


def test_grid_worker_picks_the_point_on_the_map_and_is_shown_a_duplicate(people, live_server, tree, users):
    from yiwang.cases.models import Case, Channel
    from yiwang.cases.services import Report, report_case
    from yiwang.matters.models import MatterType

    centre = (108.305, 31.105)  # the middle of grid A, where the worker will click
    existing = report_case(Report(channel=Channel.GRID_WORKER, matter=MatterType.objects.get(kind="community", code="S0001"), lon=centre[0], lat=centre[1],
                                  description="早先上报的纠纷"), acting_user=users["worker_a"]).case

    worker = sign_in(people(), live_server, "worker_a")
    worker.goto(f"{live_server.url}/cases/report/")
    on_spot = worker.locator("[data-testid=on-spot]")
    worker.select_option("[data-testid=matter]", label="物业矛盾（B类）")
    expect(on_spot).to_be_hidden()  # only tier-A matters may be solved on the spot
    worker.select_option("[data-testid=matter]", label="邻里纠纷（A类）")
    expect(on_spot).to_be_visible()

    worker.wait_for_selector("#pick-map[data-ready='1']")
    worker.locator(f"#pick-map path[data-code='{tree.grid_a.code}']").click()
    expect(worker.locator("[data-testid=position-status]")).to_contain_text("永先社区第1网格")
    duplicates = worker.locator("[data-testid=duplicates]")
    # Asked after the position is set; with both suites running side by side the answer can take a while.
    expect(duplicates).to_contain_text("附近已有 1 件同类未办结事件", timeout=15_000)
    expect(duplicates.locator("a")).to_have_text(existing.number)

    worker.fill("[name=description]", "另一户的纠纷，不是同一件")
    worker.click("[data-testid=submit]")
    expect(worker.locator("h1")).to_have_text("上报成功")
    number = worker.locator("[data-testid=case-number]").inner_text()
    case = Case.objects.get(number=number)
    assert case.channel == Channel.GRID_WORKER and case.region == tree.grid_a
    assert abs(case.lon - centre[0]) < 0.0005 and abs(case.lat - centre[1]) < 0.0005
