"""Weekly dispatch reports (周调度): one row per requested report, its figures and its files.

The daily supervision sheet (日督导) is computed on demand and kept nowhere (see selectors.py).
"""

from __future__ import annotations

import math

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class ReportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")


class WeeklyReport(models.Model):
    """The week (Monday to Sunday) of one region: figures as JSON, and the same as .xlsx and .pdf.

    The files are announced (status done) only after both are written; a failed run keeps none. A failed
    run is tried again later (queued with `retry_at`, see services.RETRY_DELAYS) until `attempts` runs out.
    """

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("区域"))
    week_start = models.DateField(_("周一"))
    status = models.CharField(_("状态"), max_length=16, choices=ReportStatus.choices, default=ReportStatus.QUEUED, db_index=True)
    error = models.TextField(_("错误"), blank=True)  # the last run's exception, for the admin; pages say what to do
    attempts = models.PositiveSmallIntegerField(_("已尝试次数"), default=0)
    retry_at = models.DateTimeField(_("下次重试时间"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("申请人"))
    created_at = models.DateTimeField(_("申请时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    figures = models.JSONField(_("数据"), default=dict, blank=True)
    xlsx = models.FileField("Excel", upload_to="reviews/weekly/%Y/", blank=True)
    pdf = models.FileField("PDF", upload_to="reviews/weekly/%Y/", blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("周调度报告")
        ordering = ["-week_start", "-created_at", "-id"]
        indexes = [models.Index(fields=["region", "week_start"])]

    def __str__(self) -> str:
        return f"{self.region.name} {self.week_start:%Y-%m-%d} 周调度"

    @property
    def is_done(self) -> bool:
        return self.status == ReportStatus.DONE

    @property
    def is_retrying(self) -> bool:
        return self.status == ReportStatus.QUEUED and self.retry_at is not None

    @property
    def failure_message(self) -> str:
        """What staff read about a failed run: what happens next and what to do, never the exception."""
        if self.is_retrying:
            minutes = max(1, math.ceil((self.retry_at - timezone.now()).total_seconds() / 60))
            return gettext("周调度报告生成失败，系统将在 %(minutes)s 分钟后重试；如仍失败请联系管理员。") % {"minutes": minutes}
        if self.status != ReportStatus.FAILED:
            return ""
        if self.attempts > 1:
            return gettext("周调度报告生成失败，已自动重试 %(retries)s 次仍未成功。请联系管理员（报告编号 %(id)s）。") % {
                "retries": self.attempts - 1, "id": self.pk}
        return gettext("周调度报告生成失败。请重新生成；如仍失败请联系管理员（报告编号 %(id)s）。") % {"id": self.pk}
