"""Export jobs: one row per file someone asked to export, written by the background worker.

The row freezes what was asked (kind, parameters) and who asked with which role and scope, so the
worker exports exactly what the request was allowed to; it stays after its file is pruned, as the
record of who exported what.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("生成中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("失败")
    EXPIRED = "expired", _("已过期")


class Failure(models.TextChoices):
    """Why a job failed, as the owner is told it (the exception itself goes to `error` and the log)."""

    SCOPE = "scope", _("账号权限或管辖范围已变化")
    MISSING = "missing", _("数据已不存在或不在管辖范围内")
    STORAGE = "storage", _("保存文件失败")
    INTERRUPTED = "interrupted", _("生成中断")
    INTERNAL = "internal", _("内部错误")


FAILURE_ADVICE = {
    Failure.SCOPE: _("导出期间您的账号权限或管辖范围发生了变化，文件未生成。请回到原页面重新导出。"),
    Failure.MISSING: _("要导出的数据已删除，或已不在您的管辖范围内。请回到原页面确认后重新导出。"),
    Failure.STORAGE: _("服务器保存文件失败（可能是磁盘空间不足）。请稍后点击“重试”；多次失败请联系系统管理员。"),
    Failure.INTERRUPTED: _("后台任务中断，文件未生成完整。请点击“重试”。"),
    Failure.INTERNAL: _("导出过程中出错，文件未生成。请点击“重试”；多次失败请联系系统管理员，并告知导出编号。"),
}


class ExportJob(models.Model):
    kind = models.CharField(_("导出类型"), max_length=40)
    title = models.CharField(_("名称"), max_length=200)
    params = models.JSONField(_("条件"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("申请人"))
    # The requester's role and scope path ("" = everything) when asked: the worker refuses to run
    # for a user whose role or scope has changed since.
    role = models.CharField(_("角色"), max_length=32, blank=True)
    scope_path = models.CharField(_("管辖范围"), max_length=255, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ExportStatus.choices, default=ExportStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    rows_written = models.PositiveIntegerField(_("已写行数"), default=0)
    total_rows = models.PositiveIntegerField(_("总行数"), null=True, blank=True)
    file = models.FileField(_("文件"), upload_to="exports/%Y/%m/", blank=True, max_length=255)
    filename = models.CharField(_("下载文件名"), max_length=200, blank=True)
    content_type = models.CharField(max_length=100, blank=True)
    failure = models.CharField(_("失败原因"), max_length=16, choices=Failure.choices, blank=True)
    error = models.TextField(_("错误详情"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("执行次数"), default=0)
    created_at = models.DateTimeField(_("申请时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    # Moved with every progress step: a running job whose heartbeat stops has lost its worker.
    heartbeat_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    expires_at = models.DateTimeField(_("文件保留至"), null=True, blank=True)
    downloads = models.PositiveIntegerField(_("下载次数"), default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("导出任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"]), models.Index(fields=["status", "expires_at"])]

    def __str__(self) -> str:
        return f"{self.title} #{self.pk}"

    @property
    def is_done(self) -> bool:
        return self.status == ExportStatus.DONE and bool(self.file)

    @property
    def is_pending(self) -> bool:
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)

    @property
    def waiting_long(self) -> bool:
        """Queued for minutes: the worker (`yiwang worker`) is likely not running, or busy."""
        from datetime import timedelta

        from django.utils import timezone

        return self.status == ExportStatus.QUEUED and self.created_at < timezone.now() - timedelta(minutes=10)

    @property
    def advice(self):
        """What the owner should do about a failed job, in a sentence (never the exception)."""
        if self.status != ExportStatus.FAILED:
            return ""
        return FAILURE_ADVICE.get(self.failure or Failure.INTERNAL, FAILURE_ADVICE[Failure.INTERNAL])
