"""Voting on a phone, in Chromium: a resident of grid A opens the half-yearly project vote of their
grid, casts a vote (a missing answer is pointed out first), cannot vote twice, and after the
ballot closes sees the published result."""

from datetime import timedelta

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


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth") <= PHONE_SIZE["width"]


@pytest.fixture
def project_votes(tree, users, make_user):
    from tests import factories
    from yiwang.votes import services

    now = timezone.now()
    ballots = services.create_grid_project_votes(
        acting_user=users["community"], community=tree.community, period="2026年上半年",
        candidates={tree.grid_a: ["滨湖小区加装电梯", "老旧路灯更换", "楼道堆物清理"], tree.grid_b: ["枫林苑停车棚", "口袋公园"]},
        opens_at=now - timedelta(minutes=1), closes_at=now + timedelta(days=7))
    resident = factories.person(tree.micro_a1)
    resident.name = "张秀英"
    resident.save(update_fields=["name"])
    make_user("zhangxy", "resident", None, person=resident)
    neighbour = factories.person(tree.micro_a2)
    grid_a_ballot = ballots[0]
    question = grid_a_ballot.questions.get()
    services.cast_vote(ballot=grid_a_ballot, person=neighbour, acting_user=users["worker_a"],
                       answers={question.pk: question.options.get(label="老旧路灯更换").pk})
    return grid_a_ballot


def test_resident_votes_on_a_phone_and_sees_the_published_result(phone, live_server, project_votes, users):
    from yiwang.votes import services

    phone.goto(f"{live_server.url}/login/?next=/votes/public/")
    phone.fill("input[name=username]", "zhangxy")
    phone.fill("input[name=password]", "Yiwang-test-2026")
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/votes/public/")

    voting = phone.get_by_test_id("voting")
    card = voting.get_by_test_id("ballot-card")
    expect(card).to_have_count(1)  # grid B's vote is not hers
    expect(card).to_contain_text("永先社区第1网格2026年上半年最佳民生实事项目评选")
    expect(card).to_contain_text("待投票")
    assert fits_the_screen(phone)
    card.get_by_role("link").click()

    expect(phone.get_by_test_id("title")).to_have_text("永先社区第1网格2026年上半年最佳民生实事项目评选")
    # Submitting nothing: the question says what is missing and no vote is kept.
    phone.get_by_test_id("submit-vote").click()
    expect(phone.get_by_test_id("question-error")).to_have_text("第1题「您认为本网格本期最好的民生实事项目是？」为必答题")
    assert fits_the_screen(phone)
    phone.get_by_label("滨湖小区加装电梯").check()
    phone.get_by_test_id("submit-vote").click()

    expect(phone.get_by_test_id("messages")).to_contain_text("投票成功，感谢您的参与！")
    expect(phone.get_by_test_id("state")).to_contain_text("您已投票")
    expect(phone.get_by_test_id("submit-vote")).to_have_count(0)
    expect(phone.get_by_test_id("results")).to_have_count(0)  # hidden while voting
    phone.goto(f"{live_server.url}/votes/public/")
    expect(phone.get_by_test_id("voting").get_by_test_id("ballot-card")).to_contain_text("已投票")

    # The community closes the vote; the result is published at once.
    services.close_ballot(project_votes, acting_user=users["community"])
    phone.reload()
    published = phone.get_by_test_id("published").get_by_test_id("published-card")
    expect(published).to_contain_text("永先社区第1网格2026年上半年最佳民生实事项目评选")
    expect(published).to_contain_text("我已参加")
    published.get_by_role("link").click()
    expect(phone.get_by_test_id("state")).to_have_text("投票已截止，结果如下。")
    rows = phone.get_by_test_id("result-option")
    expect(rows).to_have_count(3)
    expect(rows.nth(0)).to_contain_text("滨湖小区加装电梯")
    expect(rows.nth(0)).to_contain_text("1 票 · 50.0%")
    expect(rows.nth(1)).to_contain_text("老旧路灯更换")
    expect(rows.nth(1)).to_contain_text("1 票 · 50.0%")
    expect(rows.nth(2)).to_contain_text("0 票 · 0.0%")
    assert fits_the_screen(phone)
