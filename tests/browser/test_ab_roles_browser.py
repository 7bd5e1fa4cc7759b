"""A/B roles as people see them: A records their own leave on /ab/, a case dispatched to the
department lands with B, who finds it in the inbox marked as theirs in role B, signs it, and the
case history shows the sign-off in role B with the deadline unchanged."""

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from tests.browser.test_cases_browser import _catalogue, _tasks_media_cache, act, sign_in  # noqa: F401

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture
def desk(tree, users, make_user):
    from yiwang.ab_roles import services
    from yiwang.matters.models import Department

    department = Department.objects.create(code="KZ-CG", name="开州区城管执法局", kind="urban_management", region=tree.district)
    department.areas.add(tree.street)
    a = make_user("officer_a", "department", tree.district, first_name="张执法")
    b = make_user("officer_b", "department", tree.district, first_name="李执法")
    department.members.add(a, b)
    services.save_desk(acting_user=users["district"], kind="unit", department=department, primary=a, backup=b)
    return department


def test_case_goes_to_b_while_a_is_on_leave(browser, live_server, tree, users, desk):
    from yiwang.cases import services as case_services
    from yiwang.cases.models import Case, Channel
    from yiwang.cases.services import Report, report_case
    from yiwang.matters.models import MatterType

    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    officer_a = sign_in(context.new_page(), live_server, "officer_a")
    officer_a.goto(f"{live_server.url}/ab/")
    expect(officer_a.get_by_test_id("my-duties").locator("tr", has_text="开州区城管执法局窗口")).to_contain_text("A角")
    form = officer_a.get_by_test_id("leave-form")
    expect(form.locator("select[name=user] option:checked")).to_contain_text("张执法")
    today = timezone.localtime()
    form.locator("input[name=starts_at]").fill((today - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=ends_at]").fill((today + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M"))
    form.locator("input[name=reason]").fill("外出参加执法培训")
    form.locator("button[type=submit]").click()
    officer_a.wait_for_load_state()
    expect(officer_a.get_by_test_id("leaves")).to_contain_text("外出参加执法培训")
    expect(officer_a.get_by_test_id("desks").locator("tr", has_text="开州区城管执法局窗口")).to_contain_text("李执法 B角")
    context.close()

    matter = MatterType.objects.get(code="06001", kind="event")
    case = report_case(Report(channel=Channel.DESK, matter=matter, lon=108.302, lat=31.105, description="违章搭建"), acting_user=users["street"]).case
    case_services.do_accept_case(case, acting_user=users["street"])
    case_services.do_dispatch_case(case, acting_user=users["street"])
    due = Case.objects.get(pk=case.pk).step_due_at
    assert due is not None

    context = browser.new_context(viewport={"width": 412, "height": 915}, locale="zh-CN")
    officer = sign_in(context.new_page(), live_server, "officer_b")
    officer.click("[data-tab=inbox]")  # the phone's tab bar
    row = officer.locator(f"[data-testid=inbox-card][data-number='{case.number}']")
    expect(row.get_by_test_id("inbox-assignee")).to_have_text("我（B角）")
    expect(row).to_contain_text(timezone.localtime(due).strftime("%m-%d %H:%M"))
    row.locator("a.inbox-number").click()
    expect(officer.get_by_test_id("assignee")).to_have_text("李执法（B角）")
    expect(officer.get_by_test_id("routings")).to_contain_text("A角 张执法 请假")
    act(officer, "sign")
    expect(officer.get_by_test_id("status")).to_have_text("处置中")
    sign_row = officer.get_by_test_id("timeline").locator("li", has_text="签收")
    expect(sign_row).to_contain_text("李执法")
    expect(sign_row.get_by_test_id("actor-role")).to_have_text("B角")
    context.close()
