"""The weekly dispatch report (周调度): figures on hand-built cases, the .xlsx read back equal to
them, the .pdf, failures, the request service and downloads within scope.

Week under report: Monday 2026-03-09 to Sunday 2026-03-15 (Asia/Shanghai), last week 03-02 to 03-08,
produced on 2026-03-16 at noon, so both weeks are judged at their ends.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from openpyxl import load_workbook

from tests.reviews.conftest import at
from yiwang.cases.models import Rating, Status
from yiwang.reviews.documents import cells, report_tables
from yiwang.reviews.figures import weekly_figures
from yiwang.reviews.models import ReportStatus, WeeklyReport

WEEK = date(2026, 3, 9)
PRODUCED = at(2026, 3, 16, 12)


@pytest.fixture
def week(tree, make_case, department, users):
    from yiwang.cases.models import Summons, SummonsPart

    c = {}
    # This week, grid A: on time (satisfied), late (basic), open past due at the department.
    c[1] = make_case(Status.RATED, reported_at=at(2026, 3, 9, 10), close_due_at=at(2026, 3, 12, 10), closed_at=at(2026, 3, 11, 10), rating=Rating.SATISFIED)
    c[2] = make_case(Status.RATED, reported_at=at(2026, 3, 9, 11), close_due_at=at(2026, 3, 11, 10), closed_at=at(2026, 3, 12, 10), rating=Rating.BASIC)
    c[3] = make_case(Status.SIGNED, code="S0002", reported_at=at(2026, 3, 10, 9), close_due_at=at(2026, 3, 13, 10), handling_department=department)
    # This week, grid B: on time, open not yet due (reported late on Sunday night), and a rejected one.
    c[4] = make_case(Status.CLOSED, code="S0002", region=tree.grid_b, reported_at=at(2026, 3, 11, 9), close_due_at=at(2026, 3, 13, 10), closed_at=at(2026, 3, 12, 10))
    c[5] = make_case(Status.SIGNED, region=tree.grid_b, reported_at=at(2026, 3, 15, 23, 30), close_due_at=at(2026, 3, 20, 10))
    c[6] = make_case(Status.REJECTED, region=tree.grid_b, reported_at=at(2026, 3, 10, 9))
    # Last week: one on time in A (just after midnight Monday), one late in B.
    c[7] = make_case(Status.RATED, reported_at=at(2026, 3, 2, 0, 30), close_due_at=at(2026, 3, 5, 10), closed_at=at(2026, 3, 4, 10), rating=Rating.SATISFIED)
    c[8] = make_case(Status.CLOSED, region=tree.grid_b, reported_at=at(2026, 3, 5, 9), close_due_at=at(2026, 3, 4, 10), closed_at=at(2026, 3, 6, 10))
    # Older backlog, still open and past due, at the community's desk; next week's case; another street's.
    c[9] = make_case(Status.SIGNED, reported_at=at(2026, 2, 20, 9), close_due_at=at(2026, 2, 25, 10), handling_region=tree.community)
    c[10] = make_case(Status.SIGNED, reported_at=at(2026, 3, 16, 0, 10), close_due_at=at(2026, 3, 20, 10))
    c[11] = make_case(Status.SIGNED, region=tree.other_street, reported_at=at(2026, 3, 10, 9), close_due_at=at(2026, 3, 11, 10))

    summons = Summons.objects.create(case=c[3], region=tree.street, reason="联合处置", created_at=at(2026, 3, 10, 10))
    due = at(2026, 3, 10, 18)
    SummonsPart.objects.create(summons=summons, department=department, task="到场", checkin_due_at=due, checked_in_at=at(2026, 3, 10, 12), done_at=at(2026, 3, 11, 12))
    SummonsPart.objects.create(summons=summons, member=users["worker_a"], task="到场", checkin_due_at=due, checked_in_at=at(2026, 3, 11, 9))
    SummonsPart.objects.create(summons=summons, member=users["worker_b"], task="到场", checkin_due_at=due)
    return c


def _kpis(figures):
    return {k["key"]: (k["this"], k["last"], k["change"]) for k in figures["kpis"]}


def test_figures_of_the_week(tree, week, department):
    figures = weekly_figures(region=tree.community, week_start=WEEK, now=PRODUCED)
    assert figures["as_of"] == "2026-03-16T00:00:00+08:00"
    assert _kpis(figures) == {
        "cases": (5, 2, 3), "closed": (3, 2, 1), "open_overdue": (1, 0, 1),
        "on_time_rate": (0.5, 0.5, 0.0), "closing_rate": (0.75, 1.0, -0.25), "satisfaction_rate": (1.0, 1.0, 0.0),
    }
    regions = [(r["label"], r["rank_on_time"], r["rank_cases"], r["cases"], r["on_time_rate"], r["last_on_time_rate"], r["last_cases"])
               for r in figures["region_ranking"]]
    assert regions == [("永先社区第2网格", 1, 2, 2, 1.0, 0.0, 1), ("永先社区第1网格", 2, 1, 3, 0.333333, 1.0, 1)]
    departments = [(r["label"], r["cases"], r["on_time_rate"]) for r in figures["department_ranking"]]
    assert departments == [("无办理部门", 4, 0.666667), ("开州区城管执法局", 1, 0.0)]
    assert [(m["label"].split("(")[0], m["cases"], m["last_cases"], m["change"]) for m in figures["top_matters"]] == [
        (week[1].matter.__str__().split("(")[0], 3, 2, 1), (week[3].matter.__str__().split("(")[0], 2, 0, 2)]
    summons = figures["summons"]
    assert {k: summons["this"][k] for k in ("summonses", "parts", "checked_in", "on_time", "done")} == {
        "summonses": 1, "parts": 3, "checked_in": 2, "on_time": 1, "done": 1}
    assert summons["this"]["checkin_rate"] == 0.666667 and summons["last"]["parts"] == 0 and summons["last"]["checkin_rate"] is None
    assert sorted(summons["by_party"], key=lambda p: p["label"]) == [
        {"label": "worker_a", "parts": 1, "checked_in": 1, "on_time": 0, "done": 0},
        {"label": "worker_b", "parts": 1, "checked_in": 0, "on_time": 0, "done": 0},
        {"label": "开州区城管执法局", "parts": 1, "checked_in": 1, "on_time": 1, "done": 1}]
    assert [(u["label"], u["kind"], u["open"], u["open_overdue"]) for u in figures["overdue_units"]] == [
        ("开州区城管执法局", "department", 1, 1), ("永先社区", "region", 1, 1)]
    # Days are local: Sunday 23:30 is Sunday, Monday 00:30 is Monday; void cases are left out.
    assert figures["trend"] == {"days": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
                                "this": [2, 1, 1, 0, 0, 0, 1], "last": [1, 0, 0, 1, 0, 0, 0]}
    assert sum(figures["trend"]["this"]) == _kpis(figures)["cases"][0]


def test_running_week_is_judged_now(tree, week):
    # Mid-week, case 3 (due Friday 10:00) is not yet past due.
    figures = weekly_figures(region=tree.community, week_start=WEEK, now=at(2026, 3, 12, 12))
    assert _kpis(figures)["open_overdue"] == (0, 0, 0) and figures["as_of"].startswith("2026-03-12T12:00")


def test_produced_report_files_equal_the_figures(tree, week, users, settings):
    from yiwang.reviews.services import produce_weekly_report

    report = WeeklyReport.objects.create(region=tree.community, week_start=WEEK, created_by=users["community"], created_at=PRODUCED)
    assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.DONE
    report.refresh_from_db()
    assert report.status == ReportStatus.DONE and report.finished_at and not report.error
    assert report.figures == weekly_figures(region=tree.community, week_start=WEEK, now=PRODUCED)

    book = load_workbook(report.xlsx.path)
    tables = report_tables(report.figures)
    assert book.sheetnames == ["说明"] + [t.title for t in tables]
    for table in tables:
        sheet = book[table.title]
        assert [c.value for c in sheet[1]] == [c.title for c in table.columns]
        read = list(sheet.iter_rows(min_row=2, values_only=True))
        expected = [tuple(value for value, _ in cells(table, row)) for row in table.rows]
        assert read == expected, table.title
    kpis = book["本周指标"]
    assert kpis["A5"].value == "按期结案率" and kpis["B5"].value == 0.5 and kpis["B5"].number_format == "0.0%"
    assert kpis["B2"].value == 5 and isinstance(kpis["B2"].value, int) and kpis["D2"].value == 3

    pdf = report.pdf.read()
    assert pdf.startswith(b"%PDF-") and pdf.rstrip().endswith(b"%%EOF")
    assert pdf.count(b"/Type /Page") - pdf.count(b"/Type /Pages") >= 2  # title, tables and charts span pages


def test_missing_font_fails_the_report_and_keeps_no_file(tree, week, users, settings, tmp_path):
    from yiwang.reviews.services import produce_weekly_report

    settings.MEDIA_ROOT = tmp_path
    settings.YIWANG_REPORT_FONT = str(tmp_path / "no-such-font.ttc")
    report = WeeklyReport.objects.create(region=tree.community, week_start=WEEK, created_at=PRODUCED)
    assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.QUEUED  # tried again later
    report.refresh_from_db()
    assert report.status == ReportStatus.QUEUED and report.retry_at and report.attempts == 1
    assert "报表字体不存在" in report.error and "no-such-font.ttc" in report.error
    assert not report.xlsx and not report.pdf and report.figures == {}
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_failure_after_the_first_file_removes_it(tree, week, settings, tmp_path, monkeypatch):
    from yiwang.reviews import documents
    from yiwang.reviews.services import produce_weekly_report

    settings.MEDIA_ROOT = tmp_path
    monkeypatch.setattr(documents, "render_pdf", lambda figures: b"%PDF-1.4 fake")
    real_save = WeeklyReport.pdf.field.attr_class.save

    def save(self, name, content, save=True):
        if name.endswith(".pdf"):
            raise OSError("disk full")
        return real_save(self, name, content, save)

    monkeypatch.setattr(WeeklyReport.pdf.field.attr_class, "save", save)
    report = WeeklyReport.objects.create(region=tree.community, week_start=WEEK, created_at=PRODUCED)
    assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.QUEUED
    report.refresh_from_db()
    assert report.error == "OSError: disk full" and not report.xlsx
    assert not [p for p in tmp_path.rglob("*") if p.is_file()]


def test_request_validates_and_queues_once(tree, users):
    from django_tasks_db.models import DBTaskResult

    from yiwang.core.audit import AuditEntry
    from yiwang.reviews.services import request_weekly_report

    street = users["street"]
    with pytest.raises(ValidationError) as error:
        request_weekly_report(region=tree.street, week_start=date(2026, 3, 10), acting_user=street)
    assert "week_start" in error.value.message_dict
    with pytest.raises(ValidationError):
        request_weekly_report(region=tree.street, week_start=date(2099, 3, 9), acting_user=street)
    with pytest.raises(PermissionDenied):
        request_weekly_report(region=tree.other_street, week_start=WEEK, acting_user=street)
    with pytest.raises(PermissionDenied):
        request_weekly_report(region=tree.grid_a, week_start=WEEK, acting_user=users["worker_a"])
    assert not WeeklyReport.objects.exists()

    first = request_weekly_report(region=tree.street, week_start=WEEK, acting_user=street)
    again = request_weekly_report(region=tree.street, week_start=WEEK, acting_user=street)
    assert again == first and first.status == ReportStatus.QUEUED and WeeklyReport.objects.count() == 1
    queued = DBTaskResult.objects.filter(task_path="yiwang.reviews.tasks.generate_weekly_report", status="READY")
    assert queued.count() == 1 and queued.get().args_kwargs["args"] == [first.pk]
    assert AuditEntry.objects.filter(action="reviews.weekly_report.request", target_id=str(first.pk), actor=street).exists()


@pytest.fixture
def done_report(tree, settings, tmp_path):
    """A finished report of the street with small stand-in files (downloads are tested, not rendering)."""
    from django.core.files.base import ContentFile

    settings.MEDIA_ROOT = tmp_path
    report = WeeklyReport.objects.create(region=tree.street, week_start=WEEK, created_at=PRODUCED, status=ReportStatus.DONE,
                                         figures={"region": {"name": "云枫街道"}})
    report.xlsx.save("r.xlsx", ContentFile(b"PK-xlsx"), save=False)
    report.pdf.save("r.pdf", ContentFile(b"%PDF-1.7 stand-in"), save=True)
    return report


def test_downloads_only_inside_scope(client, users, done_report, make_user, tree):
    urls = [f"/reviews/weekly/{done_report.pk}/xlsx/", f"/reviews/weekly/{done_report.pk}/pdf/"]
    client.force_login(users["street"])
    xlsx = client.get(urls[0])
    assert xlsx.status_code == 200 and b"".join(xlsx.streaming_content) == b"PK-xlsx" and "attachment" in xlsx["Content-Disposition"]
    pdf = client.get(urls[1])
    assert pdf["Content-Type"] == "application/pdf" and "inline" in pdf["Content-Disposition"]
    # The community sits below the street: the street's report is not in its scope.
    other = make_user("other_street_user", "street", tree.other_street)
    for user, status in ((users["community"], 404), (other, 404), (users["worker_a"], 403), (users["resident"], 403)):
        client.force_login(user)
        assert [client.get(url).status_code for url in urls] == [status, status], user.username
    client.logout()
    assert client.get(urls[0]).status_code == 302
    # Files are never served by a bare media URL.
    assert client.get(f"/media/{done_report.xlsx.name}").status_code == 404


def test_not_done_report_has_no_files(client, users, tree):
    from tests.reviews.factories import weeklyreport

    report = weeklyreport(tree.street)
    client.force_login(users["street"])
    assert client.get(f"/reviews/weekly/{report.pk}/xlsx/").status_code == 404
    page = client.get(f"/reviews/weekly/{report.pk}/").content.decode()
    assert "排队中" in page
