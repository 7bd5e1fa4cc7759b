"""A micro-wish on phones, in Chromium: a party member logs in, finds the published wish of his
community, claims it, records the fulfilment with a photo; the wisher logs in on her phone, sees
who claimed it and confirms. Every screen fits 375 px."""

import pytest
from playwright.sync_api import expect

from tests.wishes import conftest as wish_fixtures
from tests.wishes.conftest import png_bytes

# The live server needs committed data; serialized_rollback restores what migrations seeded.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 800}
# The wish fixtures of tests/wishes (a resident with a wish, a party member ...), used here too.
cast, posted, published = wish_fixtures.cast, wish_fixtures.posted, wish_fixtures.published


@pytest.fixture
def phone_for(browser, live_server):
    contexts = []

    def open_as(username: str):
        context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", is_mobile=True, has_touch=True)
        contexts.append(context)
        page = context.new_page()
        page.goto(f"{live_server.url}/login/")
        page.fill("input[name=username]", username)
        page.fill("input[name=password]", "Yiwang-test-2026")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/wishes/public/")  # residents land on their wishes
        return page

    yield open_as
    for context in contexts:
        context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]


def test_party_member_claims_and_fulfils_then_the_wisher_confirms(phone_for, published, cast, tmp_path):
    member = phone_for("member")
    card = member.get_by_test_id("claimable-wish").filter(has_text="想请人帮忙修一下老收音机")
    expect(card).to_contain_text("王**")  # neighbours see the surname only until someone claims
    assert fits_the_screen(member)
    card.get_by_test_id("claim").click()

    expect(member.get_by_test_id("messages")).to_contain_text("认领成功")
    mine = member.get_by_test_id("claimed-wish").filter(has_text="想请人帮忙修一下老收音机")
    expect(mine.get_by_test_id("status")).to_have_text("已认领")
    expect(mine).to_contain_text("王秀英 · 永先社区滨湖路8号2-1")
    expect(member.get_by_test_id("claimable")).to_contain_text("目前没有等待认领的心愿。")
    assert fits_the_screen(member)

    photo = tmp_path / "radio.png"
    photo.write_bytes(png_bytes())
    mine.get_by_label("圆梦情况").fill("换了电池，调好了戏曲频道")
    mine.get_by_test_id("photos").set_input_files(str(photo))
    mine.get_by_test_id("fulfil").click()
    expect(member.get_by_test_id("messages")).to_contain_text("圆梦情况已登记，等待心愿人确认。")
    expect(member.get_by_test_id("claimed-wish").first.get_by_test_id("status")).to_have_text("已圆梦待确认")

    wisher = phone_for("wisher")
    own = wisher.get_by_test_id("my-wish").filter(has_text="想请人帮忙修一下老收音机")
    expect(own.get_by_test_id("status")).to_have_text("已圆梦待确认")
    expect(own.get_by_test_id("claimant")).to_have_text("认领方：李建国(党员)")
    expect(own.locator(".photos img")).to_have_count(1)
    assert fits_the_screen(wisher)
    own.get_by_label("评价（可不填）").fill("谢谢李师傅")
    own.get_by_test_id("confirm").click()
    expect(wisher.get_by_test_id("messages")).to_contain_text("已确认心愿完成")
    expect(wisher.get_by_test_id("my-wish").first.get_by_test_id("status")).to_have_text("已确认")
    assert fits_the_screen(wisher)
