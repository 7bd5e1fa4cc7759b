"""Stage deadlines as data (环节时限): the limit of each stage per matter and level, with its yellow and
red thresholds, in versions; and one timing row per stage a case runs through, which keeps the
version it started under and who held the case when it was late. Imported by `models.py`; the rules
that read them are in `stages.py`."""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext, gettext_lazy as _

from yiwang.ab_roles.units import Level


class Stage(models.TextChoices):
    """The five stages of the closed loop, keyed as the matter catalogue's steps (matters.STEPS)."""

    ACCEPT = "accept", _("受理立案")
    DISPATCH = "dispatch", _("派遣")
    SIGN = "sign", _("签收")
    HANDLE = "handle", _("处置")
    VERIFY = "verify", _("核查结案")


class LimitUnit(models.TextChoices):
    HOURS = "h", _("工作小时")
    DAYS = "d", _("工作日")


class StageLimit(models.Model):
    """One version of a stage's limit. The row in force for a case's stage is the most specific one
    (its matter and level, then its matter, then its level, then the default) whose `effective_from`
    is on or before the day the stage starts, the latest of those. Without an amount the matter's own
    step limit (事项清单) applies, with this row's thresholds: the seeded default rows are of that kind."""

    matter = models.ForeignKey("matters.MatterType", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("事项"), help_text=_("留空则适用于所有事项"))
    level = models.CharField(_("办理层级"), max_length=16, choices=Level.choices, blank=True, help_text=_("留空则适用于所有层级"))
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    amount = models.DecimalField(_("时限"), max_digits=7, decimal_places=2, null=True, blank=True,
                                 help_text=_("留空则按事项清单中该环节的时限"))
    unit = models.CharField(_("时限单位"), max_length=1, choices=LimitUnit.choices, default=LimitUnit.HOURS)
    yellow_percent = models.PositiveSmallIntegerField(_("黄灯阈值（%）"), default=80, help_text=_("用去时限的这一比例时亮黄灯并提醒"))
    red_percent = models.PositiveSmallIntegerField(_("红灯阈值（%）"), default=100, help_text=_("用去时限的这一比例时亮红灯、记超时"))
    effective_from = models.DateField(_("生效日期"))
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("创建人"))

    class Meta:
        verbose_name = verbose_name_plural = _("环节时限")
        ordering = ["stage", "matter", "level", "-effective_from"]
        constraints = [
            models.UniqueConstraint(fields=["matter", "level", "stage", "effective_from"], name="stage_limit_one_version_a_day"),
            models.UniqueConstraint(fields=["level", "stage", "effective_from"], condition=Q(matter__isnull=True),
                                    name="stage_limit_one_default_version_a_day"),
            models.CheckConstraint(condition=Q(amount__isnull=True) | Q(amount__gt=0), name="stage_limit_positive"),
            models.CheckConstraint(condition=Q(yellow_percent__lt=models.F("red_percent")), name="stage_limit_yellow_before_red"),
        ]

    def __str__(self) -> str:
        return f"{self.matter or gettext('所有事项')} · {self.get_level_display() or gettext('所有层级')} · {self.get_stage_display()}"

    @property
    def limit_text(self) -> str:
        """"4h" / "3d" as the SLA arithmetic reads it; empty when the matter's own limit applies."""
        if self.amount is None:
            return ""
        amount = int(self.amount) if self.amount == int(self.amount) else float(self.amount)
        return f"{amount}{self.unit}"

    def clean(self) -> None:
        from .stages import check_stage_limit

        errors = check_stage_limit(self)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Every writer (admin, a service, the shell) obeys the same rules.
        self.clean()
        super().save(*args, **kwargs)
        from .stages import versions_changed

        versions_changed()

    def delete(self, *args, **kwargs):
        result = super().delete(*args, **kwargs)
        from .stages import versions_changed

        versions_changed()
        return result


class StageTiming(models.Model):
    """One run of one stage of a case: when it started, warned, fell due and was done, the limit
    version it started under, and, once it went red, the unit and person who held it then (the one
    the penalty and the assessment go to). A stage run again (rework, a return, a reopening) is a new row."""

    # Read only through its case (already scoped), so it has no scope of its own.
    case = models.ForeignKey("cases.Case", on_delete=models.CASCADE, related_name="stage_timings", verbose_name=_("事件"))
    stage = models.CharField(_("环节"), max_length=16, choices=Stage.choices)
    limit_version = models.ForeignKey(StageLimit, null=True, blank=True, on_delete=models.PROTECT, related_name="timings",
                                      verbose_name=_("时限版本"))
    limit = models.CharField(_("时限"), max_length=12)
    level = models.CharField(_("办理层级"), max_length=16, choices=Level.choices)
    started_at = models.DateTimeField(_("开始时间"))
    warn_at = models.DateTimeField(_("黄灯时间"), null=True, blank=True)
    due_at = models.DateTimeField(_("红灯时间"), null=True, blank=True)
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    warned_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    overdue_at = models.DateTimeField(_("超时标记时间"), null=True, blank=True)
    # Who held the stage when it went red: the unit always, the person when one person answers for it.
    owner_region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("超时单位（区域）"))
    owner_department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                         verbose_name=_("超时部门"))
    owner = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("超时责任人"))

    class Meta:
        verbose_name = verbose_name_plural = _("环节计时")
        ordering = ["case", "started_at", "id"]
        indexes = [models.Index(fields=["overdue_at", "owner_department"])]
        constraints = [models.UniqueConstraint(fields=["case"], condition=Q(done_at__isnull=True), name="one_running_stage_per_case")]

    def __str__(self) -> str:
        return f"{self.case} {self.get_stage_display()}"
