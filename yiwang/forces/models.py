"""Grid forces (1+3+N): the people on duty in each grid, their assignments and rosters."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager
from yiwang.core.sealed import SealedPhoneMixin


class ForceRole(models.TextChoices):
    GRID_CHIEF = "grid_chief", _("网格长")
    FULL_TIME_WORKER = "full_time_worker", _("专职网格员")
    PART_TIME_WORKER = "part_time_worker", _("兼职网格员")
    INSTRUCTOR = "instructor", _("网格指导员")
    POLICE = "police", _("社区民警")
    ENFORCEMENT = "enforcement", _("执法人员")
    SANITATION = "sanitation", _("环卫人员")
    PROPERTY_STAFF = "property_staff", _("物业人员")
    VOLUNTEER = "volunteer", _("志愿者")
    DELIVERY_RIDER = "delivery_rider", _("快递外卖骑手")
    BUILDING_HEAD = "building_head", _("楼栋长")
    OTHER = "other", _("其他力量")


# The "N" in 1+3+N: forces from outside the grid staff.
N_FORCES = {ForceRole.POLICE, ForceRole.ENFORCEMENT, ForceRole.SANITATION, ForceRole.PROPERTY_STAFF,
            ForceRole.VOLUNTEER, ForceRole.DELIVERY_RIDER, ForceRole.BUILDING_HEAD, ForceRole.OTHER}


class ForceMember(SealedPhoneMixin, models.Model):
    """A person on duty. `region` is the unit that manages them (usually a community)."""

    scope_path_field = "region__path"

    name = models.CharField(_("姓名"), max_length=50)
    role = models.CharField(_("身份"), max_length=32, choices=ForceRole.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("管理单位"))
    unit = models.CharField(_("所在单位"), max_length=100, blank=True)
    phone_sealed = models.CharField(_("电话（密文）"), max_length=120, blank=True, editable=False)
    phone_digest = models.CharField(max_length=40, blank=True, editable=False)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("关联人员"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="force_members", verbose_name=_("登录账号"))
    active = models.BooleanField(_("在岗"), default=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("网格力量")
        ordering = ["region__path", "role", "name"]

    def __str__(self) -> str:
        return f"{self.name}({self.get_role_display()})"


class Assignment(models.Model):
    """A member assigned to a grid (or micro-grid) in a role, for a period."""

    scope_path_field = "grid__path"

    member = models.ForeignKey(ForceMember, on_delete=models.CASCADE, related_name="assignments", verbose_name=_("人员"))
    grid = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="assignments", verbose_name=_("网格"))
    role = models.CharField(_("岗位"), max_length=32, choices=ForceRole.choices)
    starts_on = models.DateField(_("起始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("网格分配")
        ordering = ["grid__path", "role"]
        indexes = [models.Index(fields=["grid", "ends_on"])]

    def __str__(self) -> str:
        return f"{self.member.name} → {self.grid.name}"


class DutyShift(models.Model):
    """One slot of a duty roster (值班表): who is on duty for a region at a time."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("值守区域"))
    member = models.ForeignKey(ForceMember, on_delete=models.CASCADE, related_name="shifts", verbose_name=_("值班人员"))
    starts_at = models.DateTimeField(_("开始"))
    ends_at = models.DateTimeField(_("结束"))
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("值班排班")
        ordering = ["starts_at"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_at__gt=models.F("starts_at")), name="duty_shift_ends_after_start")]

    def __str__(self) -> str:
        return f"{self.member.name} {self.starts_at:%m-%d %H:%M}"
