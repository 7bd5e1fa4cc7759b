"""Imports that staff start from a page and the background worker runs: one row per uploaded file.

The row keeps what was asked (the file, the mapping, the target grid), who asked, the progress the
worker reports, and the outcome: the counts, or every problem by row and column. The uploaded file
is deleted once the job has ended; the row stays as the record of who imported what.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class ImportStatus(models.TextChoices):
    PREVIEW = "preview", _("待确认")
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("导入中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未导入")


class ImportJob(models.Model):
    kind = models.CharField(_("导入类型"), max_length=20, default="cases")
    file = models.FileField(_("文件"), upload_to="imports/%Y/%m/", blank=True, max_length=255)
    filename = models.CharField(_("文件名"), max_length=200)
    encoding = models.CharField(_("编码"), max_length=20, blank=True)
    preset = models.CharField(_("预设格式"), max_length=32, blank=True)
    # Keys of cases.importing.Mapping that override the preset's (or the whole mapping when no preset).
    mapping = models.JSONField(_("列映射"), default=dict, blank=True)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("默认网格"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("导入人"))  # fmt: skip
    # The importer's scope when the file came: cases located outside it land in `region` instead.
    scope_path = models.CharField(_("管辖范围"), max_length=255, blank=True)
    # The mapping and the first rows as they would be imported, read once when the file came.
    preview = models.JSONField(_("预览"), default=dict, blank=True)
    status = models.CharField(_("状态"), max_length=16, choices=ImportStatus.choices, default=ImportStatus.PREVIEW, db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    rows = models.PositiveIntegerField(_("数据行数"), null=True, blank=True)
    created = models.PositiveIntegerField(_("导入条数"), null=True, blank=True)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    # Every problem as [row or null, column, reason]; warnings the same way.
    errors = models.JSONField(_("问题"), default=list, blank=True)
    warnings = models.JSONField(_("提示"), default=list, blank=True)
    created_at = models.DateTimeField(_("上传时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("导入任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["created_by", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.filename} #{self.pk}"

    @property
    def ended(self) -> bool:
        return self.status in (ImportStatus.DONE, ImportStatus.FAILED)
