"""Simulation runs that staff start from a page and the background worker runs: one row per run.

A back-test row keeps the region's history stamp it was fitted on, so it serves every what-if of
the region until new cases come in; a what-if row keeps its scenario and points to the back-test
whose errors are shown beside its figures.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class RunKind(models.TextChoices):
    BACKTEST = "backtest", _("回测")
    SCENARIO = "scenario", _("情景推演")


class RunStatus(models.TextChoices):
    QUEUED = "queued", _("排队中")
    RUNNING = "running", _("推演中")
    DONE = "done", _("已完成")
    FAILED = "failed", _("未完成")


class SimulationRun(models.Model):
    kind = models.CharField(_("类型"), max_length=16, choices=RunKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("推演区域"))
    weeks = models.PositiveSmallIntegerField(_("周数"))
    seed = models.PositiveIntegerField(_("随机种子"), default=0)
    scenario = models.JSONField(_("情景"), default=dict, blank=True)
    # The region's history when the run was asked for (cases, latest report, latest close): a back-test
    # with the same stamp still holds.
    history_stamp = models.CharField(_("历史数据标记"), max_length=100, blank=True)
    backtest = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("回测"))
    status = models.CharField(_("状态"), max_length=16, choices=RunStatus.choices, default=RunStatus.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    result = models.JSONField(_("结果"), default=dict, blank=True)
    error = models.CharField(_("问题"), max_length=500, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("发起人"))
    created_at = models.DateTimeField(_("发起时间"))
    started_at = models.DateTimeField(_("开始时间"), null=True, blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = verbose_name_plural = _("推演任务")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["region", "kind", "history_stamp"])]
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="simulation_progress_at_most_100")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.region_id} #{self.pk}"

    @property
    def ended(self) -> bool:
        return self.status in (RunStatus.DONE, RunStatus.FAILED)
