"""Points banks on a phone, in Chromium: a resident logs in, sees their moral points and the
evidence behind them, redeems a reward and sees the balance drop and the stock go down; a grid
worker grants points by a rule with evidence from the phone."""

import pytest
from playwright.sync_api import expect

# The live server needs committed data; serialized_rollback restores what migrations seeded.
pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

PHONE_SIZE = {"width": 375, "height": 800}


@pytest.fixture(autouse=True)
def _seeded_banks(transactional_db):
    # The first live-server test after another transactional test's flush finds the tables empty
    # (serialized_rollback does not restore them there; seen for every app's seeded rows), so the
    # banks the data migration seeds are put back here. Idempotent.
    from yiwang.pointsbank.models import Bank, Dimension, Rule
    from yiwang.pointsbank.seed import ensure_banks

    ensure_banks(Bank, Dimension, Rule)


@pytest.fixture
def phone(browser):
    context = browser.new_context(viewport=PHONE_SIZE, locale="zh-CN", is_mobile=True, has_touch=True)
    yield context.new_page()
    context.close()


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]


def _login(page, live_server, username: str, next_path: str):
    page.goto(f"{live_server.url}/login/?next={next_path}")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}{next_path}")


def test_resident_redeems_a_reward_and_sees_the_balance_drop(phone, live_server, tree, users, make_user):
    from tests import factories
    from yiwang.pointsbank import selectors, services
    from yiwang.pointsbank.models import Bank, Reward

    person = factories.person(tree.micro_a1)
    make_user("zhang", "resident", None, person=person)
    services.grant_points(bank_code="moral", person=person, points=5, reason="", rule_code="ml_mediate",
                          evidence="调解3单元漏水纠纷，双方签字", acting_user=users["worker_a"])
    services.grant_points(bank_code="moral", person=person, points=2, reason="", rule_code="yc_cleanup", acting_user=users["worker_a"])
    reward = Reward.objects.create(bank=Bank.objects.get(code="moral"), region=tree.community, name="洗衣液一瓶", points_cost=4, stock=2)

    _login(phone, live_server, "zhang", "/pointsbank/public/")
    expect(phone.get_by_test_id("balance-moral")).to_have_text("7")
    expect(phone.get_by_test_id("ledger")).to_contain_text("调解3单元漏水纠纷，双方签字")
    expect(phone.get_by_test_id("catalogue")).to_contain_text("剩余 2")
    assert fits_the_screen(phone)

    phone.get_by_test_id(f"redeem-{reward.pk}").click()
    expect(phone.get_by_test_id("messages")).to_contain_text("兑换成功：洗衣液一瓶 ×1，使用 4 分")
    expect(phone.get_by_test_id("balance-moral")).to_have_text("3")
    expect(phone.get_by_test_id("catalogue")).to_contain_text("剩余 1")
    expect(phone.get_by_test_id("my-redemptions")).to_contain_text("待领取")
    # Not enough left for a second one: told so in words, and the balance stays.
    phone.get_by_test_id(f"redeem-{reward.pk}").click()
    expect(phone.get_by_test_id("messages")).to_contain_text("积分不足")
    expect(phone.get_by_test_id("balance-moral")).to_have_text("3")
    assert fits_the_screen(phone)
    assert selectors.balance(bank_code="moral", person=person) == 3


def test_grid_worker_grants_points_with_evidence_on_a_phone(phone, live_server, tree, users):
    from tests import factories
    from yiwang.pointsbank.models import LedgerEntry

    person = factories.person(tree.micro_a1)
    person.name = "王桂英"
    person.save(update_fields=["name"])
    _login(phone, live_server, "worker_a", "/pointsbank/")
    phone.fill("form:not(.header-search) input[name=q]", "王桂英")  # not the header's search box
    phone.get_by_role("button", name="查找").click()
    phone.get_by_test_id("found").get_by_role("link", name="王桂英").click()
    phone.select_option("select[name=rule_code]", "moral:ml_help")
    phone.fill("textarea[name=evidence]", "看望5栋独居老人")
    assert fits_the_screen(phone)
    phone.get_by_role("button", name="记入积分").click()
    expect(phone.get_by_test_id("messages")).to_contain_text("已为王桂英记入道德积分银行 +3 分，余额 3 分")
    expect(phone.get_by_test_id("ledger")).to_contain_text("看望5栋独居老人")
    assert fits_the_screen(phone)
    assert LedgerEntry.objects.get(person=person).granted_by == users["worker_a"]
