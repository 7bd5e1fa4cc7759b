"""The grid worker's points ledger (一事一记、每事积分): configurable rules, one entry per scored event."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedQuerySet


class PointEvent(models.TextChoices):
    REPORTED = "reported", _("上报事件")
    SOLVED_ON_SPOT = "solved_on_spot", _("现场解决")
    VERIFIED = "verified", _("处置通过核查")
    OVERDUE = "overdue", _("超时")
    REWORK = "rework", _("返工")
    SATISFIED = "satisfied", _("群众满意")
    UNSATISFIED = "unsatisfied", _("群众不满意")


# Seeded rules; staff change the points in the admin.
DEFAULT_POINTS = {
    PointEvent.REPORTED: 1, PointEvent.SOLVED_ON_SPOT: 3, PointEvent.VERIFIED: 2, PointEvent.OVERDUE: -2,
    PointEvent.REWORK: -1, PointEvent.SATISFIED: 1, PointEvent.UNSATISFIED: -1,
}


class PointRule(models.Model):
    event = models.CharField(_("事由"), max_length=32, choices=PointEvent.choices, unique=True)
    points = models.IntegerField(_("分值"))
    active = models.BooleanField(_("启用"), default=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("积分规则")
        ordering = ["event"]

    def __str__(self) -> str:
        return f"{self.get_event_display()} {self.points:+d}"


class PointEntry(models.Model):
    scope_path_field = "region__path"

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="point_entries", verbose_name=_("网格员"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="point_entries", verbose_name=_("事件"))
    event = models.CharField(_("事由"), max_length=32, choices=PointEvent.choices)
    points = models.IntegerField(_("分值"))
    at = models.DateTimeField(_("时间"), db_index=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("积分记录")
        ordering = ["-at"]
        indexes = [models.Index(fields=["worker", "at"])]
