"""The Content-Security-Policy in Chromium: the main pages (map, case inbox and detail, command screen
with its charts, popups and dispatch dialog, the resident's report page, the admin, the API docs) run
under the policy without a single violation, and still work: the map draws its polygons and legend,
the dispatch dialog opens and dispatches, the language menu switches language on change.

A violation is caught twice: the page's `securitypolicyviolation` events (listened for before any page
script runs) and Chromium's console messages about the policy."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from tests.cases.conftest import matters, report  # noqa: F401  (fixtures)
from tests.command.conftest import cases, command_department, other_grid  # noqa: F401  (fixtures)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]

LISTEN = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " blocked " + (e.blockedURI || "inline") + " at " + e.sourceFile + ":" + e.lineNumber + " " + (e.sample || ""));
});
"""


@pytest.fixture(autouse=True)
def _catalogue_and_tasks(settings):
    # See tests/browser/test_cases_browser.py: the matter catalogue may be missing in a transactional test.
    from yiwang.matters import catalogue

    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    catalogue.ensure()


class Watch:
    """Collects the CSP violations and script errors of one browser page (console messages across its navigations)."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        page.add_init_script(LISTEN)
        page.on("console", self._console)
        page.on("pageerror", lambda exc: self.console.append(f"page error: {exc}"))

    def _console(self, msg):
        text = msg.text
        if "Content Security Policy" in text or "Content-Security-Policy" in text or (msg.type == "error" and not text.startswith("Failed to load resource")):
            self.console.append(text)

    def check(self, where: str):
        violations = self.page.evaluate("window.__cspViolations || []")
        assert (where, violations, self.console) == (where, [], [])


def sign_in(page, live_server, username: str):
    page.goto(f"{live_server.url}/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", "Yiwang-test-2026")
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/map/**")


def test_the_listener_sees_what_the_policy_blocks(page, live_server, db):
    # Without this the checks below could pass for a listener that never fires.
    watch = Watch(page)
    page.goto(f"{live_server.url}/login/")
    page.evaluate("""() => { const s = document.createElement("script"); s.textContent = "window.ran = 1"; document.body.append(s);
                             const d = document.createElement("div"); d.setAttribute("style", "color: red"); document.body.append(d); }""")
    # (Playwright's wait_for_function evaluates a string, which the policy refuses: poll from here.)
    for _ in range(100):
        if len(page.evaluate("window.__cspViolations")) >= 2:
            break
        page.wait_for_timeout(100)
    assert {v.split()[0] for v in page.evaluate("window.__cspViolations")} >= {"script-src-elem", "style-src-attr"}
    assert page.evaluate("window.ran") is None
    with pytest.raises(AssertionError):
        watch.check("login")


def test_main_pages_run_without_a_violation(browser, live_server, users, tree, cases, report):  # noqa: F811
    case = report("S0001", user=users["worker_a"], channel="grid_worker").case
    users["street"].is_staff = users["street"].is_superuser = True
    users["street"].save()
    page = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
    watch = Watch(page)
    sign_in(page, live_server, "street")

    # The map: the street's community drawn as a polygon, the legend's swatches coloured from script.
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003000")
    expect(page.locator("path[data-code='500154003001']")).to_have_count(1)
    page.locator("path[data-code='500154003001']").click()
    expect(page.locator("#map")).to_have_attribute("data-current", "500154003001")
    expect(page.locator("#map path[data-code]")).to_have_count(2)
    swatch = page.locator("[data-testid=legend] i").first
    assert swatch.evaluate("i => getComputedStyle(i).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
    watch.check("map")

    # The inbox and a case page (its grid and point drawn by report.js).
    page.goto(f"{live_server.url}/cases/inbox/")
    expect(page.locator("main")).to_contain_text(case.number)
    watch.check("inbox")
    page.goto(f"{live_server.url}/cases/{case.number}/")
    expect(page.locator("main")).to_contain_text(case.number)
    expect(page.locator(".leaflet-container path.leaflet-interactive").first).to_be_visible()
    watch.check("case detail")

    # The command screen: charts on canvas with their tooltip, a case pin's popup and the dispatch dialog.
    page.goto(f"{live_server.url}/command/?region={tree.grid_a.code}")
    expect(page.get_by_test_id("command-screen")).to_be_visible()
    expect(page.locator("path.cc-unit").first).to_be_visible()
    expect(page.get_by_test_id("chart-trend").locator("canvas")).to_have_count(1)
    page.get_by_test_id("chart-trend").scroll_into_view_if_needed()
    box = page.get_by_test_id("chart-trend").bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.6, box["y"] + box["height"] * 0.6)
    page.mouse.move(box["x"] + box["width"] * 0.7, box["y"] + box["height"] * 0.6)
    tip = page.get_by_test_id("chart-trend").locator(".cc-tip")
    expect(tip).to_be_visible()
    expect(tip.locator(".cc-tip-row")).to_have_count(3)
    expect(tip).to_contain_text("上报")
    assert tip.locator(".cc-tip-row i").first.evaluate("i => getComputedStyle(i).backgroundColor") == "rgb(49, 130, 189)"
    legend_swatch = page.locator("#cc-legend i").first
    assert legend_swatch.evaluate("i => getComputedStyle(i).backgroundColor") not in ("", "rgba(0, 0, 0, 0)")
    page.locator(f".case-hit[data-number='{case.number}']").click()
    page.get_by_test_id("case-popup").get_by_test_id("popup-dispatch").click()
    dialog = page.get_by_test_id("act-dialog")
    expect(dialog.get_by_test_id("act-suggestion")).to_contain_text(tree.grid_a.name)
    dialog.get_by_test_id("dispatch-submit").click()
    expect(dialog.get_by_test_id("act-done")).to_contain_text(tree.grid_a.name)
    watch.check("command screen")

    # The admin and the API docs (Swagger UI, served locally).
    page.goto(f"{live_server.url}/admin/")
    expect(page.locator("#content")).to_be_visible()
    page.goto(f"{live_server.url}/admin/cases/case/")
    expect(page.locator("#result_list")).to_be_visible()
    # A change form with autocomplete widgets (select2 with jQuery) and an inline formset.
    page.goto(f"{live_server.url}/admin/registry/person/add/")
    page.locator(".field-region .select2-selection").click()
    expect(page.locator(".select2-results__option", has_text=tree.grid_a.name).first).to_be_visible()
    page.keyboard.press("Escape")
    page.locator(".add-row a").first.click()
    watch.check("admin")
    page.goto(f"{live_server.url}/api/docs")
    expect(page.get_by_role("heading", name=re.compile("Yiwang API"))).to_be_visible()
    expect(page.locator(".opblock").first).to_be_visible()
    watch.check("api docs")

    # The language menu submits itself on change (site.js, no onchange attribute).
    page.goto(f"{live_server.url}/cases/inbox/")
    page.select_option("select[name=language]", "en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    watch.check("language")
    page.context.close()


def test_the_residents_report_page_runs_without_a_violation(page, live_server, tree):
    watch = Watch(page)
    page.goto(f"{live_server.url}/report/")
    # The grid outlines are the map the resident picks the position on.
    expect(page.locator(".leaflet-container path.leaflet-interactive").first).to_be_visible()
    watch.check("report")


def test_confirmations_and_progress_bars_work_without_inline_handlers_or_styles(browser, live_server, tree, users, make_user):
    """site.js stands in for the onsubmit="return confirm(…)" and style="width: …%" the pages had."""
    from datetime import date, timedelta

    from django.utils import timezone

    from yiwang.activities import services as activities
    from yiwang.activities.models import Registration
    from yiwang.alliance import services as alliance
    from yiwang.matters.models import Department

    staff = users["community"]
    starts = timezone.now() + timedelta(days=3)
    lecture = activities.create_activity(acting_user=staff, region=tree.community, title="健康讲座", kind="lecture",
                                         starts_at=starts, ends_at=starts + timedelta(hours=2), capacity=10, place="活动室")
    lecture = activities.publish_activity(lecture, acting_user=staff)
    activities.register(activity=lecture, name="张秀英", phone="13800000001")
    registration = Registration.objects.get(activity=lecture)

    street = users["street"]
    union = alliance.create_alliance(acting_user=street, name="云枫街道党建联盟", region=tree.street, founded_on=date.today() - timedelta(days=30))
    gas = Department.objects.create(code="T-RQ", name="燃气公司", kind="utility", region=tree.district, is_alliance_unit=True)
    member = alliance.add_member(union, acting_user=street, department=gas, joined_on=date.today() - timedelta(days=20))
    project = alliance.create_project(union, alliance.ProjectInput(title="燃气安全进万家", lead=member, region=tree.street), acting_user=street)
    alliance.set_progress(project, acting_user=street, progress=40)

    page = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
    watch = Watch(page)
    sign_in(page, live_server, "community")
    page.goto(f"{live_server.url}/activities/{lecture.pk}/")
    cancel = page.locator(f"form[action$='/{registration.pk}/cancel/'] button")
    asked: list[str] = []
    # Saying no keeps the registration: the form is not sent.
    page.once("dialog", lambda d: (asked.append(d.message), d.dismiss()))
    cancel.click()
    page.wait_for_timeout(500)
    assert asked == ["确定取消该报名吗？"]
    registration.refresh_from_db()
    assert registration.cancelled_at is None
    # Saying yes sends it.
    page.once("dialog", lambda d: (asked.append(d.message), d.accept()))
    with page.expect_navigation():
        cancel.click()
    assert len(asked) == 2
    registration.refresh_from_db()
    assert registration.cancelled_at is not None
    watch.check("activity")
    page.context.close()

    page = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
    watch = Watch(page)
    sign_in(page, live_server, "street")
    page.goto(f"{live_server.url}/alliance/{union.pk}/")
    bar = page.locator(".al-card .bar").first
    expect(bar).to_be_visible()
    share = bar.evaluate("b => b.firstElementChild.getBoundingClientRect().width / b.getBoundingClientRect().width")
    assert share == pytest.approx(0.40, abs=0.01)
    watch.check("alliance")
    page.context.close()


def test_the_weekly_report_pdf_renders_without_a_violation(browser, live_server, tree, users):
    """pdf.js (a module, its worker, fonts) under the policy, with eval turned off."""
    from datetime import date, timedelta

    from yiwang.reviews import services
    from yiwang.reviews.models import WeeklyReport

    monday = date.today() - timedelta(days=date.today().weekday() + 7)
    report = services.request_weekly_report(region=tree.street, week_start=monday, acting_user=users["street"])
    if WeeklyReport.objects.get(pk=report.pk).status != "done":
        services.produce_weekly_report(report.pk)
    assert WeeklyReport.objects.get(pk=report.pk).status == "done"

    page = browser.new_context(viewport={"width": 1280, "height": 860}, locale="zh-CN").new_page()
    watch = Watch(page)
    sign_in(page, live_server, "street")
    page.goto(f"{live_server.url}/reviews/weekly/{report.pk}/view/")
    expect(page.get_by_test_id("pdf-state")).to_have_attribute("data-state", "rendered", timeout=30_000)
    expect(page.get_by_test_id("pdf-text").first).to_contain_text("云枫街道")
    watch.check("weekly pdf")
    page.context.close()
