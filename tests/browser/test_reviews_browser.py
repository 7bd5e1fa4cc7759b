"""The weekly dispatch report as a street's command centre uses it, in Chromium: request it on the
reviews page, let the real worker process produce it, read the figures on the report page, open the
PDF rendered by pdf.js and read its text, and check the downloaded Excel says what the page says."""

from __future__ import annotations

import subprocess
import sys

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from tests.reviews.conftest import at, case_maker
from tests.test_worker import _env_for_test_database

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True, serialized_rollback=True)]


@pytest.fixture(autouse=True)
def _catalogue_and_tasks(settings, tmp_path):
    from yiwang.matters import catalogue

    catalogue.ensure()  # see tests/browser/test_cases_browser.py: the seeded catalogue may be gone
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def make_case(tree):
    return case_maker(tree)


def _week_of_cases(tree, make_case):
    from yiwang.cases.models import Rating, Status

    # Week of 2026-03-09: grid A 1 on time + 1 late, grid B 1 on time; last week one on time.
    make_case(Status.RATED, reported_at=at(2026, 3, 9, 10), close_due_at=at(2026, 3, 12, 10), closed_at=at(2026, 3, 11, 10), rating=Rating.SATISFIED)
    make_case(Status.CLOSED, reported_at=at(2026, 3, 10, 10), close_due_at=at(2026, 3, 11, 10), closed_at=at(2026, 3, 12, 10))
    make_case(Status.CLOSED, region=tree.grid_b, reported_at=at(2026, 3, 11, 10), close_due_at=at(2026, 3, 13, 10), closed_at=at(2026, 3, 12, 10))
    make_case(Status.CLOSED, reported_at=at(2026, 3, 3, 10), close_due_at=at(2026, 3, 5, 10), closed_at=at(2026, 3, 4, 10))


def test_request_produce_read_pdf_and_compare_excel(page, login, live_server, users, tree, make_case, settings, tmp_path):
    from yiwang.reviews.documents import cells, display, report_tables
    from yiwang.reviews.models import WeeklyReport

    _week_of_cases(tree, make_case)
    login("street")
    page.goto(f"{live_server.url}/reviews/")
    page.fill("input[name=week_start]", "2026-03-09")
    page.select_option("form.request select[name=region]", tree.street.code)
    page.click("[data-testid=generate]")
    row = page.locator("[data-testid=reports] tbody tr").first
    expect(row.locator("[data-testid=status]")).to_have_text("排队中")

    env = _env_for_test_database() | {"YIWANG_MEDIA_ROOT": str(settings.MEDIA_ROOT)}
    subprocess.run([sys.executable, "-m", "yiwang.manage", "worker", "--batch", "-v", "0"], env=env, check=True, timeout=180)

    page.goto(f"{live_server.url}/reviews/")
    expect(row.locator("[data-testid=status]")).to_have_text("已完成")
    row.locator("a", has_text="云枫街道").click()
    expect(page.get_by_test_id("report-title")).to_have_text("云枫街道周调度报告")
    kpis = page.locator("[data-table=kpis] tbody tr")
    # 3 reported this week vs 1; on-time 2 of 3.
    expect(kpis.nth(0)).to_contain_text("上报事件")
    assert kpis.nth(0).locator("td").all_inner_texts() == ["上报事件", "3", "1", "+2"]
    assert kpis.nth(3).locator("td").all_inner_texts() == ["按期结案率", "66.7%", "100.0%", "-33.3%"]

    # The report page fits a phone: wide tables scroll inside their box, the page does not.
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 376
    page.set_viewport_size({"width": 1280, "height": 860})

    # The Excel downloaded from the page holds the numbers the page shows, table by table.
    with page.expect_download() as download_info:
        page.get_by_test_id("xlsx").click()
    path = tmp_path / "report.xlsx"
    download_info.value.save_as(path)
    book = load_workbook(path)
    report = WeeklyReport.objects.get()
    compared = 0
    for table in report_tables(report.figures):
        shown = [r.locator("td").all_inner_texts() for r in page.locator(f"[data-table={table.key}] tbody tr").all()]
        sheet = book[table.title]
        from_excel = [[display(value, kind) for value, (_, kind) in zip(values, cells(table, row))]
                      for values, row in zip(sheet.iter_rows(min_row=2, values_only=True), table.rows)]
        assert sheet.max_row - 1 == len(table.rows)
        if table.rows:
            assert shown == from_excel, table.title
            compared += len(table.rows)
    assert compared >= 15
    assert book["本周指标"]["B2"].value == 3 and book["本周指标"]["B5"].value == 0.666667

    # The PDF, rendered by pdf.js: every page on a canvas, and its text readable under it.
    page.get_by_test_id("pdf-view").click()
    state = page.get_by_test_id("pdf-state")
    expect(state).to_have_attribute("data-state", "rendered", timeout=30_000)
    pages = int(state.get_attribute("data-pages"))
    assert pages >= 2 and page.locator("canvas").count() == pages
    # The canvas is really drawn on (not blank).
    inked = page.evaluate("""() => { const c = document.querySelector('canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 0; i < d.length; i += 4) if (d[i] < 200) n++; return n; }""")
    assert inked > 1000
    text = "\n".join(page.get_by_test_id("pdf-text").all_inner_texts())
    assert "云枫街道周调度报告" in text
    assert "按期结案率" in text and "66.7%" in text and "永先社区" in text
    assert "每日上报趋势" in text and "区域按期结案率" in text


def test_daily_sheet_on_a_phone(browser, live_server, users, tree, make_case):
    from django.utils import timezone

    from yiwang.cases.models import Status

    now = timezone.now()
    overdue = make_case(Status.SIGNED, reported_at=now - timezone.timedelta(days=3), step_warn_at=now - timezone.timedelta(days=2),
                        step_due_at=now - timezone.timedelta(days=1), handling_region=tree.community)
    context = browser.new_context(viewport={"width": 375, "height": 800}, locale="zh-CN")
    phone = context.new_page()
    phone.goto(f"{live_server.url}/login/")
    phone.fill("input[name=username]", "community")
    phone.fill("input[name=password]", "Yiwang-test-2026")
    phone.click("button[type=submit]")
    phone.wait_for_url(f"{live_server.url}/map/**")
    phone.goto(f"{live_server.url}/reviews/daily/")
    expect(phone.get_by_test_id("total-step_overdue")).to_have_text("1")
    unit = phone.get_by_test_id("unit")
    expect(unit.locator("h2")).to_contain_text("永先社区")
    unit.get_by_role("link", name=overdue.number).click()
    phone.wait_for_url(f"{live_server.url}/cases/{overdue.number}/")
    phone.go_back()
    assert phone.evaluate("document.documentElement.scrollWidth") <= 376
    context.close()
