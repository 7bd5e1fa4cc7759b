"""Publication after moderation, in Chromium: a resident ticks 公开显示 on /report/, the community
finds the report in the moderation queue with the personal data marked, edits it out and releases
it, and the public Open311 feed then shows the edited text only."""

import json

import pytest
from playwright.sync_api import expect

from tests.browser.test_cases_browser import _catalogue, _tasks_media_cache, people, sign_in  # noqa: F401
from tests.cases.conftest import POINT_A, png_bytes

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE = "13912345678"


def report_as_resident(page, live_server, *, description: str, publish: bool) -> str:
    page.goto(f"{live_server.url}/report/")
    page.select_option("[data-testid=matter]", label="堆物堆料")
    page.fill("[name=description]", description)
    page.set_input_files("[name=photos]", files=[{"name": "scene.png", "mimeType": "image/png", "buffer": png_bytes()}])
    page.wait_for_selector("#pick-map[data-ready='1']")
    page.click("[data-testid=locate]")
    expect(page.locator("[data-testid=position-status]")).to_contain_text("永先社区第1网格")
    page.fill("[name=phone]", PHONE)
    checkbox = page.locator("[data-testid=publish-choice] input[name=publish]")
    expect(checkbox).not_to_be_checked()  # private unless the resident chooses
    if publish:
        checkbox.check()
    page.click("[data-testid=submit]")
    expect(page.locator("h1")).to_have_text("感谢您的反映")
    return page.locator("[data-testid=case-number]").inner_text()


def public_feed(page, live_server) -> list[dict]:
    page.goto(f"{live_server.url}/open311/v2/requests.json")
    return json.loads(page.locator("body").inner_text())


def test_resident_publishes_and_staff_release_an_edited_report(people, live_server, tree, users):
    resident = people(permissions=["geolocation"], geolocation={"longitude": POINT_A[0], "latitude": POINT_A[1]})
    number = report_as_resident(resident, live_server, description="5栋302门口堆满装修垃圾，联系13812345678", publish=True)
    expect(resident.locator("[data-testid=publish-state]")).to_contain_text("您选择了公开显示")
    private = report_as_resident(resident, live_server, description="车棚旁堆放杂物", publish=False)
    expect(resident.locator("[data-testid=publish-state]")).to_contain_text("不公开显示")

    outsider = people()
    assert public_feed(outsider, live_server) == []  # nothing before a moderator released it

    community = sign_in(people(), live_server, "community")
    community.goto(f"{live_server.url}/cases/inbox/")
    community.click("[data-testid=moderation-link]")
    row = community.locator(f"tr[data-number='{number}']")
    expect(row.locator("[data-testid=hits]")).to_contain_text("门牌房号：5栋302")
    expect(row.locator("[data-testid=hits]")).to_contain_text("电话号码：13812345678")
    expect(community.locator(f"tr[data-number='{private}']")).to_have_count(0)
    row.locator("[data-testid=moderate]").click()

    # Releasing the text as written is refused, naming what is left.
    community.click("[data-testid=release]")
    expect(community.locator("[data-testid=messages]")).to_contain_text("公开描述：仍含个人信息")
    community.fill("[data-testid=public-text]", "小区楼道门口堆满装修垃圾")
    community.fill("[data-testid=release-reason]", "删去门牌和电话")
    community.click("[data-testid=release]")
    expect(community.locator("[data-testid=messages]")).to_contain_text("已公开")
    expect(community.locator("[data-testid=publication-state]")).to_have_text("已公开")
    expect(community.locator("[data-testid=history]")).to_contain_text("删去门牌和电话")

    (shown,) = public_feed(outsider, live_server)
    assert shown["service_request_id"] == number and shown["description"] == "小区楼道门口堆满装修垃圾"
    assert shown["address"] is None and shown["media_url"] is None
    text = outsider.locator("body").inner_text()
    assert "5栋302" not in text and "13812345678" not in text and PHONE not in text
