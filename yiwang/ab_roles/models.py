"""A/B roles (AB角): every duty has a primary (A) and a backup (B); while A is on leave, B acts.

`ABRoles` is the abstract pair of fields that a duty model mixes in (a duty list item, a link to a
grid, a desk). The rule that picks who acts lives in `acting.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager
from yiwang.matters.models import Board


class ABRoles(models.Model):
    """Mix into any model that is a duty someone answers for."""

    primary = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("A角（主责）"))
    backup = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="+", verbose_name=_("B角（替补）"))

    class Meta:
        abstract = True

    def clean(self):
        from django.core.exceptions import ValidationError

        super().clean()
        if self.primary_id and self.primary_id == self.backup_id:
            raise ValidationError({"backup": "B角不能与A角是同一人（A and B must be different people）"})


class DutyRole(models.TextChoices):
    """In which role someone acts on a duty's work."""

    A = "A", _("A角")
    B = "B", _("B角")


class DeskKind(models.TextChoices):
    BOARD = "board", "指挥中心板块"
    UNIT = "unit", "办理单位窗口"


class Desk(ABRoles):
    """A duty the closed loop routes work to: a board of a command center (the street's cases of that
    board) or a handling unit's desk (a grid, community or street, or a department)."""

    scope_path_field = "region__path"

    kind = models.CharField(_("类型"), max_length=8, choices=DeskKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位（区域）"))
    board = models.CharField(_("板块"), max_length=16, choices=Board.choices, blank=True)
    department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.CASCADE, related_name="desks",
                                   verbose_name=_("部门"))
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("AB角岗位")
        ordering = ["region__path", "kind", "board"]
        constraints = [
            models.UniqueConstraint(fields=["region", "board"], condition=models.Q(kind="board"), name="desk_one_per_board"),
            models.UniqueConstraint(fields=["region"], condition=models.Q(kind="unit", department__isnull=True), name="desk_one_per_region"),
            models.UniqueConstraint(fields=["department"], condition=models.Q(kind="unit", department__isnull=False), name="desk_one_per_department"),
            models.CheckConstraint(condition=~models.Q(kind="board") | (~models.Q(board="") & models.Q(department__isnull=True)),
                                   name="desk_board_names_a_board"),
            models.CheckConstraint(condition=~models.Q(kind="unit") | models.Q(board=""), name="desk_unit_has_no_board"),
        ]

    def __str__(self) -> str:
        if self.kind == DeskKind.BOARD:
            return f"{self.region.name}·{self.get_board_display()}板块"
        if self.department_id:
            return f"{self.department.name}窗口"
        return f"{self.region.name}窗口"


class Leave(models.Model):
    """A person away (请假、外出、学习). While it lasts, duties where they are A go to B."""

    scope_path_field = "region__path"

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="leaves", verbose_name=_("请假人"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属单位（区域）"))
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    reason = models.CharField(_("事由"), max_length=200)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("登记人"))
    recorded_at = models.DateTimeField(_("登记时间"))
    cancelled_at = models.DateTimeField(_("撤销时间"), null=True, blank=True)
    # When the open work of A was handed to B (at once, or by the sweep when the leave begins).
    handed_over_at = models.DateTimeField(_("已移交"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("请假登记")
        ordering = ["-starts_at"]
        indexes = [models.Index(fields=["user", "ends_at"])]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="leave_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.user} {self.starts_at:%m-%d %H:%M}–{self.ends_at:%m-%d %H:%M}"
