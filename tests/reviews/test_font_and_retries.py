"""The weekly report on a fresh machine: the PDF's Chinese from the project's own font (no system
font), and failed runs tried again with growing delays, the pages saying what to do, not the exception."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.utils import timezone

from tests.reviews.test_weekly import PRODUCED, WEEK, week  # noqa: F401 - the fixture
from yiwang.reviews.models import ReportStatus, WeeklyReport

pytestmark = pytest.mark.django_db


def test_the_pdf_uses_the_bundled_font_without_any_system_font(tree, week, settings, monkeypatch):  # noqa: F811
    import fpdf
    from pypdf import PdfReader

    from yiwang.reviews import documents
    from yiwang.reviews.services import produce_weekly_report

    settings.YIWANG_REPORT_FONT = ""  # nothing configured: no system font is looked for
    loaded = []
    real_add_font = fpdf.FPDF.add_font

    def add_font(self, *args, fname=None, **kwargs):
        loaded.append(fname)
        return real_add_font(self, *args, fname=fname, **kwargs)

    monkeypatch.setattr(fpdf.FPDF, "add_font", add_font)
    report = WeeklyReport.objects.create(region=tree.community, week_start=WEEK, created_at=PRODUCED)
    assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.DONE
    assert loaded == [str(documents.BUNDLED_FONT)] and "/usr/share/fonts" not in loaded[0]
    report.refresh_from_db()
    reader = PdfReader(io.BytesIO(report.pdf.read()))
    text = "".join(page.extract_text() for page in reader.pages)
    assert "永先社区周调度报告" in text and "本周指标" in text and "按期结案率" in text
    fonts = {str(font["/BaseFont"]) for page in reader.pages for font in page["/Resources"]["/Font"].values()}
    assert any("NotoSansSC" in name for name in fonts), fonts
    # Its licence travels with it.
    assert "SIL Open Font License" in (documents.BUNDLED_FONT.parent / "NotoSansSC-OFL.txt").read_text()


def test_a_missing_bundled_font_names_the_setup_step(tree, settings, monkeypatch, tmp_path):
    from django.core.exceptions import ImproperlyConfigured

    from yiwang.reviews import documents

    settings.YIWANG_REPORT_FONT = ""
    monkeypatch.setattr(documents, "BUNDLED_FONT", tmp_path / "NotoSansSC-Regular.ttf")
    with pytest.raises(ImproperlyConfigured, match="make setup"):
        documents.font_file()


def _fail(monkeypatch, message="boom: /secret/path"):
    from yiwang.reviews import documents

    def render_pdf(figures):
        raise RuntimeError(message)

    monkeypatch.setattr(documents, "render_pdf", render_pdf)


def test_a_failed_run_is_queued_again_with_growing_delays_then_given_up(tree, week, monkeypatch):  # noqa: F811
    from django_tasks_db.models import DBTaskResult

    from yiwang.reviews.services import MAX_ATTEMPTS, produce_weekly_report

    _fail(monkeypatch)
    report = WeeklyReport.objects.create(region=tree.community, week_start=WEEK, created_at=PRODUCED)
    delays = []
    for attempt in range(1, MAX_ATTEMPTS):
        before = timezone.now()
        assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.QUEUED
        report.refresh_from_db()
        assert report.attempts == attempt and report.status == ReportStatus.QUEUED and not report.pdf
        delays.append(report.retry_at - before)
        job = DBTaskResult.objects.filter(task_path="yiwang.reviews.tasks.generate_weekly_report").order_by("-enqueued_at").first()
        assert job.run_after == report.retry_at and job.args_kwargs["args"] == [report.pk]
    assert [round(d / timedelta(minutes=1)) for d in delays] == [10, 30, 90]
    assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.FAILED
    report.refresh_from_db()
    assert report.status == ReportStatus.FAILED and report.attempts == MAX_ATTEMPTS and report.retry_at is None
    assert DBTaskResult.objects.filter(task_path="yiwang.reviews.tasks.generate_weekly_report").count() == MAX_ATTEMPTS - 1
    assert "RuntimeError: boom" in report.error  # kept for the admin


def test_a_retry_that_works_ends_done(tree, week, monkeypatch):  # noqa: F811
    from yiwang.reviews.services import produce_weekly_report

    _fail(monkeypatch)
    report = WeeklyReport.objects.create(region=tree.community, week_start=WEEK, created_at=PRODUCED)
    assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.QUEUED
    monkeypatch.undo()
    assert produce_weekly_report(report.pk, now=PRODUCED) == ReportStatus.DONE
    report.refresh_from_db()
    assert report.is_done and report.retry_at is None and report.error == "" and report.attempts == 2


def test_the_pages_say_what_to_do_and_never_show_the_exception(client, users, tree, week, monkeypatch):  # noqa: F811
    from yiwang.reviews.services import MAX_ATTEMPTS, produce_weekly_report

    _fail(monkeypatch)
    report = WeeklyReport.objects.create(region=tree.community, week_start=WEEK, created_at=PRODUCED)
    produce_weekly_report(report.pk, now=PRODUCED)
    client.force_login(users["community"])
    for url in ("/reviews/", f"/reviews/weekly/{report.pk}/"):
        html = client.get(url).content.decode()
        assert "周调度报告生成失败，系统将在 10 分钟后重试；如仍失败请联系管理员。" in html, url
        assert "boom" not in html and "RuntimeError" not in html and "/secret/path" not in html
    assert 'http-equiv="refresh"' not in client.get("/reviews/").content.decode()  # nothing to watch for ten minutes
    assert client.get("/api/reviews/weekly").json()["items"][0]["error"].startswith("周调度报告生成失败")
    for _ in range(MAX_ATTEMPTS - 1):
        produce_weekly_report(report.pk, now=PRODUCED)
    html = client.get("/reviews/").content.decode()
    assert f"周调度报告生成失败，已自动重试 {MAX_ATTEMPTS - 1} 次仍未成功。请联系管理员（报告编号 {report.pk}）。" in html
    assert "boom" not in html
