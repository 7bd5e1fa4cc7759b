"""Party alliance and joint building (党建联盟、共驻共建).

A street or community party organization gathers the units stationed in its area into an
`Alliance`. Member units (`AllianceMember`) are either departments already in the matter catalogue
(`matters.Department` with `is_alliance_unit`) — so their summons record in the closed loop counts
for them — or units known only to the alliance (a name and, where it has one, its party
organization). The alliance works through "three lists" (三张清单, seeds 002 and 003):

* `AllianceNeed` (需求清单): what residents need, raised by a community or grid;
* `AllianceResource` (资源清单): what a unit offers (a venue, volunteers, funds, expertise ...);
* `AllianceProject` (项目清单): a need matched with resources, with a lead unit (牵头单位) and cooperating
  units (配合单位), `AllianceMilestone`s with due and done dates, and a progress percentage.

The alliance meets every quarter (`AllianceMeeting`, 联席会议, "每季度召开一次联盟全体会议"); a meeting's
`AllianceDecision`s may create projects.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Action, ScopedQuerySet, role_allows, scope_path
from yiwang.regions.models import ancestor_paths


class AllianceQuerySet(ScopedQuerySet):
    """Alliance-level rows (the alliance, its members, resources, meetings) are seen from inside the
    alliance's area too: a grid worker sees the community's and the street's alliance so as to raise
    needs and follow projects. Changes stay with the region's own subtree, as everywhere."""

    def restrict(self, user, action=Action.VIEW):
        prefix = scope_path(user)
        if prefix is None or not role_allows(user, action):
            return self.none()
        if prefix == "":
            return self
        field = self.model.scope_path_field
        condition = Q(**{f"{field}__startswith": prefix})
        if Action(action) == Action.VIEW:
            condition |= Q(**{f"{field}__in": ancestor_paths(prefix)})
        return self.filter(condition)


AllianceManager = models.Manager.from_queryset(AllianceQuerySet)
ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class Alliance(models.Model):
    """党建联盟 of a street or a community."""

    scope_path_field = "region__path"

    name = models.CharField(_("联盟名称"), max_length=100)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="alliances", verbose_name=_("所属街道/社区"))
    description = models.TextField(_("简介"), blank=True)
    founded_on = models.DateField(_("成立日期"))
    active = models.BooleanField(_("运行中"), default=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = AllianceManager()

    class Meta:
        verbose_name = verbose_name_plural = _("党建联盟")
        ordering = ["region__path", "name"]

    def __str__(self) -> str:
        return self.name


class AllianceMember(models.Model):
    """A member unit (成员单位): a catalogue department, or a unit named here with its party organization."""

    scope_path_field = "alliance__region__path"

    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="members", verbose_name=_("联盟"))
    department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="alliance_memberships", verbose_name=_("共建单位（部门库）"))
    name = models.CharField(_("单位名称"), max_length=100, blank=True, help_text=_("不在部门库中的单位填写名称"))
    party_organization = models.ForeignKey("party.PartyOrganization", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="alliance_memberships", verbose_name=_("单位党组织"))
    party_organization_name = models.CharField(_("单位党组织名称"), max_length=150, blank=True,
                                               help_text=_("党组织不在本系统时填写名称"))
    contact_name = models.CharField(_("联络人"), max_length=50, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    commitment = models.CharField(_("共建承诺"), max_length=200, blank=True)
    joined_on = models.DateField(_("加入日期"))
    left_on = models.DateField(_("退出日期"), null=True, blank=True)
    left_reason = models.CharField(_("退出原因"), max_length=200, blank=True)

    objects = AllianceManager()

    class Meta:
        verbose_name = verbose_name_plural = _("联盟成员单位")
        ordering = ["alliance", "left_on", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(department__isnull=False) | ~Q(name=""), name="alliance_member_named"),
            models.CheckConstraint(condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("joined_on")), name="alliance_member_left_after_joined"),
            models.UniqueConstraint(fields=["alliance", "department"], condition=Q(left_on__isnull=True, department__isnull=False),
                                    name="alliance_member_department_once",
                                    violation_error_message="该单位已是本联盟成员（already a member）"),
            models.UniqueConstraint(fields=["alliance", "name"], condition=Q(left_on__isnull=True, department__isnull=True),
                                    name="alliance_member_name_once",
                                    violation_error_message="该单位已是本联盟成员（already a member）"),
        ]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        return self.department.name if self.department_id else self.name

    @property
    def party_label(self) -> str:
        return self.party_organization.name if self.party_organization_id else self.party_organization_name

    @property
    def active(self) -> bool:
        return self.left_on is None

    def member_on(self, day) -> bool:
        """Was the unit a member on `day`?"""
        return self.joined_on <= day and (self.left_on is None or day <= self.left_on)


class NeedCategory(models.TextChoices):
    ELDERLY = "elderly", _("养老助老")
    CHILDREN = "children", _("儿童青少年")
    HEALTH = "health", _("健康医疗")
    EMPLOYMENT = "employment", _("就业创业")
    ENVIRONMENT = "environment", _("环境整治")
    FACILITIES = "facilities", _("设施改造")
    SAFETY = "safety", _("平安法治")
    CULTURE = "culture", _("文体活动")
    OTHER = "other", _("其他")


class NeedStatus(models.TextChoices):
    OPEN = "open", _("待认领")
    MATCHED = "matched", _("已立项")
    MET = "met", _("已解决")
    CLOSED = "closed", _("已关闭")


class AllianceNeed(models.Model):
    """需求清单: a residents' need raised by a community or a grid."""

    scope_path_field = "region__path"

    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="needs", verbose_name=_("联盟"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("提出社区/网格"))
    title = models.CharField(_("需求"), max_length=100)
    description = models.TextField(_("群众诉求"))
    category = models.CharField(_("类别"), max_length=16, choices=NeedCategory.choices, default=NeedCategory.OTHER)
    residents_affected = models.PositiveIntegerField(_("受益群众（人）"), null=True, blank=True)
    raised_on = models.DateField(_("提出日期"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("提出人"))
    status = models.CharField(_("状态"), max_length=10, choices=NeedStatus.choices, default=NeedStatus.OPEN)
    closed_reason = models.CharField(_("关闭原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("登记时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("需求清单")
        ordering = ["-raised_on", "-id"]
        indexes = [models.Index(fields=["alliance", "status"])]

    def __str__(self) -> str:
        return self.title


class ResourceKind(models.TextChoices):
    VENUE = "venue", _("场地阵地")
    VOLUNTEERS = "volunteers", _("人员志愿")
    FUNDS = "funds", _("资金")
    MATERIALS = "materials", _("物资设备")
    EXPERTISE = "expertise", _("专业服务")
    OTHER = "other", _("其他")


class AllianceResource(models.Model):
    """资源清单: what a member unit offers the alliance."""

    scope_path_field = "alliance__region__path"

    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="resources", verbose_name=_("联盟"))
    unit = models.ForeignKey(AllianceMember, on_delete=models.PROTECT, related_name="resources", verbose_name=_("提供单位"))
    kind = models.CharField(_("类别"), max_length=16, choices=ResourceKind.choices)
    description = models.CharField(_("资源内容"), max_length=200)
    capacity = models.CharField(_("可提供量"), max_length=100, help_text=_("如：每月2次、每次20人；会议室1间"))
    available = models.BooleanField(_("可用"), default=True)
    offered_on = models.DateField(_("登记日期"))

    objects = AllianceManager()

    class Meta:
        verbose_name = verbose_name_plural = _("资源清单")
        ordering = ["alliance", "kind", "id"]

    def __str__(self) -> str:
        return f"{self.unit.label}:{self.description}"


class ProjectStatus(models.TextChoices):
    PLANNED = "planned", _("已立项")
    IN_PROGRESS = "in_progress", _("推进中")
    DONE = "done", _("已完成")
    CANCELLED = "cancelled", _("已撤销")


OPEN_PROJECT_STATUSES = (ProjectStatus.PLANNED, ProjectStatus.IN_PROGRESS)


class AllianceProject(models.Model):
    """项目清单: a need matched with resources, led by one member unit with others cooperating."""

    scope_path_field = "region__path"

    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="projects", verbose_name=_("联盟"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("实施区域"))
    need = models.ForeignKey(AllianceNeed, null=True, blank=True, on_delete=models.PROTECT, related_name="projects", verbose_name=_("对应需求"))
    resources = models.ManyToManyField(AllianceResource, blank=True, related_name="projects", verbose_name=_("使用资源"))
    title = models.CharField(_("项目名称"), max_length=100)
    description = models.TextField(_("项目内容"), blank=True)
    lead = models.ForeignKey(AllianceMember, on_delete=models.PROTECT, related_name="led_projects", verbose_name=_("牵头单位"))
    cooperating = models.ManyToManyField(AllianceMember, blank=True, related_name="joined_projects", verbose_name=_("配合单位"))
    starts_on = models.DateField(_("开始日期"))
    due_on = models.DateField(_("计划完成日期"), null=True, blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=ProjectStatus.choices, default=ProjectStatus.PLANNED)
    progress = models.PositiveSmallIntegerField(_("进度（%）"), default=0)
    completed_on = models.DateField(_("完成日期"), null=True, blank=True)
    cancel_reason = models.CharField(_("撤销原因"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("项目清单")
        ordering = ["-starts_on", "-id"]
        indexes = [models.Index(fields=["alliance", "status"])]
        constraints = [
            models.CheckConstraint(condition=Q(progress__lte=100), name="alliance_project_progress_max_100"),
            models.CheckConstraint(condition=Q(due_on__isnull=True) | Q(due_on__gte=models.F("starts_on")), name="alliance_project_due_after_start"),
            models.CheckConstraint(condition=~Q(status="done") | Q(progress=100, completed_on__isnull=False), name="alliance_project_done_is_complete"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_PROJECT_STATUSES


class AllianceMilestone(models.Model):
    """A step of a project with its due date and, once done, the date it was done."""

    scope_path_field = "project__region__path"

    project = models.ForeignKey(AllianceProject, on_delete=models.CASCADE, related_name="milestones", verbose_name=_("项目"))
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    title = models.CharField(_("节点"), max_length=100)
    unit = models.ForeignKey(AllianceMember, null=True, blank=True, on_delete=models.PROTECT, related_name="milestones",
                             verbose_name=_("责任单位"), help_text=_("空：由牵头单位负责"))
    due_on = models.DateField(_("计划完成"))
    done_on = models.DateField(_("实际完成"), null=True, blank=True)
    done_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("确认人"))
    note = models.CharField(_("完成情况"), max_length=200, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("项目节点")
        ordering = ["project", "position", "due_on", "id"]

    def __str__(self) -> str:
        return self.title

    @property
    def responsible(self) -> AllianceMember:
        return self.unit if self.unit_id else self.project.lead

    @property
    def on_time(self) -> bool | None:
        """True when done by its due date, False when done late; None while not done."""
        return None if self.done_on is None else self.done_on <= self.due_on


class AllianceMeeting(models.Model):
    """联席会议: the alliance's (quarterly) joint meeting."""

    scope_path_field = "alliance__region__path"

    alliance = models.ForeignKey(Alliance, on_delete=models.PROTECT, related_name="meetings", verbose_name=_("联盟"))
    held_on = models.DateField(_("召开日期"))
    topic = models.CharField(_("议题"), max_length=150)
    place = models.CharField(_("地点"), max_length=100, blank=True)
    attendees = models.ManyToManyField(AllianceMember, related_name="meetings", verbose_name=_("参会单位"))
    minutes = models.TextField(_("会议纪要"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("记录人"))
    created_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = AllianceManager()

    class Meta:
        verbose_name = verbose_name_plural = _("联席会议")
        ordering = ["-held_on", "-id"]

    def __str__(self) -> str:
        return f"{self.alliance.name} {self.held_on:%Y-%m-%d}"

    @property
    def quarter_label(self) -> str:
        return f"{self.held_on.year}年第{(self.held_on.month - 1) // 3 + 1}季度"


class AllianceDecision(models.Model):
    """One decision of a meeting; one that sets up work names the project it created."""

    scope_path_field = "meeting__alliance__region__path"

    meeting = models.ForeignKey(AllianceMeeting, on_delete=models.CASCADE, related_name="decisions", verbose_name=_("会议"))
    position = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("决定事项"), max_length=300)
    project = models.OneToOneField(AllianceProject, null=True, blank=True, on_delete=models.SET_NULL, related_name="decision", verbose_name=_("形成项目"))

    objects = AllianceManager()

    class Meta:
        verbose_name = verbose_name_plural = _("会议决定")
        ordering = ["meeting", "position"]
        constraints = [models.UniqueConstraint(fields=["meeting", "position"], name="alliance_decision_position_once")]

    def __str__(self) -> str:
        return self.text
