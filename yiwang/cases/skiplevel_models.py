"""Skip-level rules (越级上报规则) as data: an urgent matter, by matter or matter category and a
minimum urgency, goes straight to a named level or department instead of the tier's first level, and
copies (抄送) other levels. Imported by `models.py`; the rules that read them are in `skiplevel.py`."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.ab_roles.units import Level


class SkipTarget(models.TextChoices):
    """Where a rule may send a case first: a level of the closed loop above the grid."""

    COMMUNITY = Level.COMMUNITY.value, _("社区")
    STREET = Level.STREET.value, _("街道指挥中心")
    DEPARTMENT = Level.DEPARTMENT.value, _("职能部门")


class CopyLevel(models.TextChoices):
    """Who a rule copies: the unit at that level above the case's grid (each already sees the case)."""

    GRID = "grid", _("网格")
    COMMUNITY = "community", _("社区")
    STREET = "street", _("街道")
    DISTRICT = "district", _("区指挥中心")


class SkipLevelRule(models.Model):
    """One rule: a case of `matter` (or of any matter in `matter_category`) reported at `min_urgency`
    or above goes first to `target_level` (or `target_department`), and `copy_levels` are told."""

    name = models.CharField(_("规则名称"), max_length=100)
    matter = models.ForeignKey("matters.MatterType", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("事项"), help_text=_("与事项大类二选一"))
    matter_category = models.CharField(_("事项大类"), max_length=50, blank=True,
                                       help_text=_("如“安全隐患”：该大类下的所有事项；与事项二选一"))
    min_urgency = models.CharField(_("最低紧急程度"), max_length=16, default="urgent",
                                   choices=[("normal", _("一般")), ("urgent", _("紧急")), ("critical", _("特急"))],
                                   help_text=_("达到这一紧急程度（含）即越级"))
    target_level = models.CharField(_("直接报送层级"), max_length=16, choices=SkipTarget.choices, default=SkipTarget.STREET)
    target_department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("指定部门"),
                                          help_text=_("层级为职能部门时可指定；留空则由服务该区域的对口部门办理"))
    copy_levels = models.JSONField(_("抄送层级"), default=list, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("越级上报规则")
        ordering = ["-active", "name", "id"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        from .skiplevel import check_rule

        errors = check_rule(self)
        if errors:
            raise ValidationError(errors)

    def save(self, *args, **kwargs):
        # Every writer (admin, a script, the shell) obeys the same rules.
        self.clean()
        super().save(*args, **kwargs)
