"""Dual check-in (双报到) and volunteer service.

In-service party members (`party.PartyMember` with `in_service=True`) register once a year with the
community they live in, picking among the service posts it offers (服务岗位); the community confirms.
Residents may also register as volunteers of their community. The community posts service tasks
(服务任务) with places and an hours credit; confirmed members and volunteers claim them, the
community records who served and for how long, and at the year's end issues each member's yearly
evaluation (年度评价), which goes back to the member's own party organization.

Everything about a person keys on `registry.Person`. Scope: registrations and volunteers through
the region they lived in when they registered, posts and tasks through the region they belong to,
claims and evaluations through their task or registration.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class PostKind(models.TextChoices):
    POLICY = "policy", _("政策宣传")
    ENVIRONMENT = "environment", _("环境整治")
    SAFETY = "safety", _("平安巡逻")
    CIVILITY = "civility", _("文明劝导")
    CARE = "care", _("关爱帮扶")
    MEDIATION = "mediation", _("矛盾调解")
    CULTURE = "culture", _("文体服务")
    OTHER = "other", _("其他")


class ServicePost(models.Model):
    """A post the community offers to dual check-in members (e.g. 政策宣传员, 楼栋巡查员);
    `capacity` members may pick it per year."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属区域"))
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    title = models.CharField(_("岗位名称"), max_length=100)
    kind = models.CharField(_("岗位类别"), max_length=16, choices=PostKind.choices, default=PostKind.OTHER)
    capacity = models.PositiveIntegerField(_("每年名额"))
    description = models.TextField(_("岗位职责"), blank=True)
    active = models.BooleanField(_("开放认领"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("服务岗位")
        ordering = ["community__path", "title"]
        constraints = [
            models.UniqueConstraint(fields=["community", "title"], name="servicepost_unique_title"),
            models.CheckConstraint(condition=Q(capacity__gte=1), name="servicepost_capacity_positive"),
        ]

    def __str__(self) -> str:
        return self.title


class RegistrationStatus(models.TextChoices):
    PENDING = "pending", _("待确认")
    CONFIRMED = "confirmed", _("已确认")
    REJECTED = "rejected", _("已退回")
    WITHDRAWN = "withdrawn", _("已撤回")


# A member holds at most one registration in these statuses per year.
ACTIVE_REGISTRATION = (RegistrationStatus.PENDING, RegistrationStatus.CONFIRMED)


class Registration(models.Model):
    """One in-service member's dual check-in with their home community for one year."""

    scope_path_field = "region__path"

    member = models.ForeignKey("party.PartyMember", on_delete=models.PROTECT, related_name="dual_registrations", verbose_name=_("党员"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    # Where the member lived when registering (their micro-grid or grid) and its community.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("居住网格"))
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("报到社区"))
    # The member's own party organization, to which the yearly evaluation goes back.
    organization = models.ForeignKey("party.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在党组织"))
    work_unit = models.CharField(_("工作单位"), max_length=150, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    posts = models.ManyToManyField(ServicePost, blank=True, related_name="registrations", verbose_name=_("认领岗位"))
    status = models.CharField(_("状态"), max_length=16, choices=RegistrationStatus.choices, default=RegistrationStatus.PENDING)
    note = models.CharField(_("特长/说明"), max_length=200, blank=True)
    registered_at = models.DateTimeField(_("报到时间"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("登记人"))
    decided_at = models.DateTimeField(_("确认/退回时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("确认人"))
    reject_reason = models.CharField(_("退回原因"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("双报到登记")
        ordering = ["-year", "community__path", "id"]
        constraints = [
            models.UniqueConstraint(fields=["member", "year"], condition=Q(status__in=["pending", "confirmed"]),
                                    name="registration_one_active_per_year"),
        ]
        indexes = [models.Index(fields=["community", "year", "status"], name="dualreg_community_year")]

    def __str__(self) -> str:
        return f"{self.person} · {self.year}"


class Volunteer(models.Model):
    """A resident registered as a volunteer of their community (one row per person and community)."""

    scope_path_field = "region__path"

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("居住网格"))
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    skills = models.CharField(_("特长"), max_length=200, blank=True)
    active = models.BooleanField(_("在册"), default=True)
    registered_at = models.DateTimeField(_("登记时间"))
    registered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                      verbose_name=_("登记人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("志愿者")
        ordering = ["community__path", "id"]
        constraints = [models.UniqueConstraint(fields=["person", "community"], name="volunteer_one_per_community")]

    def __str__(self) -> str:
        return str(self.person)


class TaskStatus(models.TextChoices):
    OPEN = "open", _("招募中")
    CLOSED = "closed", _("已完成登记")
    CANCELLED = "cancelled", _("已取消")


class ServiceTask(models.Model):
    """A task the community posts: when, which post, how many places, how many hours it credits."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("服务区域"))
    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    post = models.ForeignKey(ServicePost, null=True, blank=True, on_delete=models.PROTECT, related_name="tasks", verbose_name=_("所属岗位"))
    title = models.CharField(_("任务名称"), max_length=120)
    description = models.TextField(_("任务内容"), blank=True)
    location = models.CharField(_("地点"), max_length=200, blank=True)
    starts_at = models.DateTimeField(_("开始时间"))
    ends_at = models.DateTimeField(_("结束时间"))
    places = models.PositiveIntegerField(_("名额"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=4, decimal_places=1)
    open_to_volunteers = models.BooleanField(_("志愿者可认领"), default=True)
    status = models.CharField(_("状态"), max_length=16, choices=TaskStatus.choices, default=TaskStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("发布人"))
    created_at = models.DateTimeField(_("发布时间"), auto_now_add=True)
    closed_at = models.DateTimeField(_("登记完成时间"), null=True, blank=True)
    cancel_reason = models.CharField(_("取消原因"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("服务任务")
        ordering = ["-starts_at", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gt=models.F("starts_at")), name="servicetask_ends_after_start"),
            models.CheckConstraint(condition=Q(places__gte=1), name="servicetask_places_positive"),
            models.CheckConstraint(condition=Q(hours__gt=0), name="servicetask_hours_positive"),
        ]
        indexes = [models.Index(fields=["community", "starts_at"], name="servicetask_community_start")]

    def __str__(self) -> str:
        return self.title


class ClaimRole(models.TextChoices):
    PARTY_MEMBER = "party_member", _("双报到党员")
    VOLUNTEER = "volunteer", _("志愿者")


class ClaimStatus(models.TextChoices):
    CLAIMED = "claimed", _("已认领")
    WITHDRAWN = "withdrawn", _("已退出")
    COMPLETED = "completed", _("已完成")
    ABSENT = "absent", _("未到岗")


# Claims that hold a place on the task.
HOLDING_PLACE = (ClaimStatus.CLAIMED, ClaimStatus.COMPLETED, ClaimStatus.ABSENT)


class TaskClaim(models.Model):
    """A person's claim of a task and, afterwards, the hours and points recorded for it."""

    scope_path_field = "task__region__path"

    task = models.ForeignKey(ServiceTask, on_delete=models.PROTECT, related_name="claims", verbose_name=_("任务"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("人员"))
    role = models.CharField(_("身份"), max_length=16, choices=ClaimRole.choices)
    registration = models.ForeignKey(Registration, null=True, blank=True, on_delete=models.PROTECT, related_name="claims",
                                     verbose_name=_("双报到登记"))
    volunteer = models.ForeignKey(Volunteer, null=True, blank=True, on_delete=models.PROTECT, related_name="claims", verbose_name=_("志愿者"))
    status = models.CharField(_("状态"), max_length=16, choices=ClaimStatus.choices, default=ClaimStatus.CLAIMED)
    claimed_at = models.DateTimeField(_("认领时间"))
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("认领操作人"))
    hours = models.DecimalField(_("记录时长（小时）"), max_digits=4, decimal_places=1, null=True, blank=True)
    points = models.PositiveIntegerField(_("积分"), default=0)
    # The points bank's ledger entry for these points (pointsbank.LedgerEntry id; kept as a number so
    # this app does not depend on the points bank's tables).
    ledger_entry_id = models.PositiveIntegerField(_("积分流水号"), null=True, blank=True)
    recorded_at = models.DateTimeField(_("登记时间"), null=True, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("登记人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("任务认领")
        ordering = ["task", "claimed_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["task", "person"], condition=~Q(status="withdrawn"), name="taskclaim_one_per_person"),
            models.CheckConstraint(condition=Q(registration__isnull=False) | Q(volunteer__isnull=False), name="taskclaim_has_standing"),
        ]
        indexes = [models.Index(fields=["person", "status"], name="taskclaim_person_status")]

    def __str__(self) -> str:
        return f"{self.person} · {self.task}"


class Grade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    COMPETENT = "competent", _("合格")
    BASIC = "basic", _("基本合格")
    INCOMPETENT = "incompetent", _("不合格")


class Evaluation(models.Model):
    """The community's yearly evaluation of a registered member, sent back to the member's own
    party organization. The figures are those of the year when it was issued."""

    scope_path_field = "registration__region__path"

    registration = models.OneToOneField(Registration, on_delete=models.PROTECT, related_name="evaluation", verbose_name=_("双报到登记"))
    organization = models.ForeignKey("party.PartyOrganization", on_delete=models.PROTECT, related_name="+", verbose_name=_("反馈党组织"))
    year = models.PositiveSmallIntegerField(_("年度"))
    grade = models.CharField(_("评价等次"), max_length=16, choices=Grade.choices)
    comment = models.TextField(_("评语"))
    tasks = models.PositiveIntegerField(_("完成任务数"))
    hours = models.DecimalField(_("服务时长（小时）"), max_digits=6, decimal_places=1)
    points = models.PositiveIntegerField(_("年度积分"))
    stars = models.PositiveSmallIntegerField(_("星级"))
    issued_at = models.DateTimeField(_("出具时间"))
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("出具人"))
    revised_at = models.DateTimeField(_("修改时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("年度评价")
        ordering = ["-year", "organization", "id"]

    def __str__(self) -> str:
        return f"{self.registration.person} · {self.year} · {self.get_grade_display()}"
