"""Cases (事件) from report to rating, with their timeline, routing decisions, photos, extension
requests, summonses (吹哨报到) and device alerts.

The legal moves between statuses are in `lifecycle.py`; every write goes through `services.py`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

# A case is put on a desk's A or B, and kept at a handling unit's level: both are ab_roles' terms.
from yiwang.ab_roles.models import DutyRole
from yiwang.ab_roles.units import Level
from yiwang.core.scope import Role, ScopedQuerySet, role_allows, scope_path
from yiwang.core.sealed import SealedPhoneMixin
from yiwang.matters.models import Board, Tier


class Status(models.TextChoices):
    REPORTED = "reported", _("待受理")
    ACCEPTED = "accepted", _("已立案")
    REJECTED = "rejected", _("不予立案")
    MERGED = "merged", _("已并案")
    DISPATCHED = "dispatched", _("已派遣")
    SIGNED = "signed", _("处置中")
    ON_HOLD = "on_hold", _("挂账")
    HANDLED = "handled", _("已处置待核查")
    VERIFIED = "verified", _("已核查待结案")
    CLOSED = "closed", _("已结案")
    RATED = "rated", _("已评价")


OPEN_STATUSES = frozenset({Status.REPORTED, Status.ACCEPTED, Status.DISPATCHED, Status.SIGNED, Status.ON_HOLD, Status.HANDLED, Status.VERIFIED})
VOID_STATUSES = frozenset({Status.REJECTED, Status.MERGED})
DONE_STATUSES = frozenset({Status.CLOSED, Status.RATED})


class Channel(models.TextChoices):
    GRID_WORKER = "grid_worker", _("网格员上报")
    RESIDENT = "resident", _("居民随手拍")
    DESK = "desk", _("窗口登记")
    HOTLINE = "hotline", _("热线")
    DEVICE = "device", _("物联感知")
    OPEN311 = "open311", _("Open311")
    IMPORT = "import", _("历史导入")


LEVEL_UP = {Level.GRID: Level.COMMUNITY, Level.COMMUNITY: Level.STREET, Level.STREET: Level.DEPARTMENT}


class Urgency(models.TextChoices):
    NORMAL = "normal", _("一般")
    URGENT = "urgent", _("紧急")
    CRITICAL = "critical", _("特急")


class Rating(models.TextChoices):
    SATISFIED = "satisfied", _("满意")
    BASIC = "basic", _("基本满意")
    UNSATISFIED = "unsatisfied", _("不满意")


class CaseQuerySet(ScopedQuerySet):
    def restrict(self, user, action="view"):
        """Cases in the user's region subtree, plus, for department staff, cases their
        departments handle or are summoned to (scope rules: yiwang.core.scope)."""
        prefix = scope_path(user)
        if prefix is None or not role_allows(user, action):
            return self.none()
        if prefix == "":
            return self

        if user.role == Role.DEPARTMENT:
            departments = list(user.departments.values_list("pk", flat=True))
            return self.filter(Q(handling_department__in=departments) | Q(summonses__parts__department__in=departments)).distinct()
        return self.filter(region__path__startswith=prefix)

    def open(self):
        return self.filter(status__in=OPEN_STATUSES)


class CaseLinkedQuerySet(ScopedQuerySet):
    """Rows that belong to a case are visible exactly when their case is (see CaseQuerySet.restrict)."""

    case_field = "case"

    def restrict(self, user, action="view"):
        prefix = scope_path(user)
        if prefix is not None and role_allows(user, action) and user.role != Role.DEPARTMENT:
            # The same rule as the cases' own (a region subtree), as a join: a subquery of every case in
            # scope made SQLite build a list of a million ids for a page of a few rows.
            return self if prefix == "" else self.filter(**{f"{self.case_field}__region__path__startswith": prefix})
        return self.filter(**{f"{self.case_field}__in": Case.objects.restrict(user, action).values("pk")})


class SummonsPartQuerySet(CaseLinkedQuerySet):
    case_field = "summons__case"


class Case(SealedPhoneMixin, models.Model):
    scope_path_field = "region__path"

    number = models.CharField(_("编号"), max_length=24, unique=True, null=True, blank=True)
    channel = models.CharField(_("来源"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.REPORTED, db_index=True)
    matter = models.ForeignKey("matters.MatterType", on_delete=models.PROTECT, related_name="cases", verbose_name=_("事项"))
    matter_version = models.ForeignKey("matters.MatterTypeVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("事项版本"))
    board = models.CharField(_("板块"), max_length=16, choices=Board.choices)
    tier = models.CharField(_("分级"), max_length=1, choices=Tier.choices)
    urgency = models.CharField(_("紧急程度"), max_length=16, choices=Urgency.choices, default=Urgency.NORMAL)
    level = models.CharField(_("办理层级"), max_length=16, choices=Level.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="cases", verbose_name=_("所在网格"))
    micro_grid = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("微网格"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    description = models.TextField(_("描述"), blank=True)
    attributes = models.JSONField(_("采集项"), default=dict, blank=True)

    reporter_name = models.CharField(_("反映人"), max_length=50, blank=True)
    phone_sealed = models.CharField(_("反映人电话（密文）"), max_length=120, blank=True, editable=False)
    phone_digest = models.CharField(max_length=40, blank=True, editable=False, db_index=True)
    reported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="reported_cases", verbose_name=_("登记人"))
    # sha256 of the code a resident got at submission; needed to rate or reopen without an account.
    access_code_hash = models.CharField(max_length=64, blank=True, editable=False)

    handling_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("办理单位（区域）"))
    handling_department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="cases", verbose_name=_("办理部门"))
    handler = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="handled_cases", verbose_name=_("处置人"))
    # The person the unit's desk puts on it (A, or B while A is on leave; see ab_roles).
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="assigned_cases", verbose_name=_("承办人"))
    assignee_role = models.CharField(_("承办角色"), max_length=1, choices=DutyRole.choices, blank=True)
    merged_into = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="duplicates", verbose_name=_("并入"))
    device = models.ForeignKey("cases.Device", null=True, blank=True, on_delete=models.SET_NULL, related_name="cases", verbose_name=_("设备"))
    external_source = models.CharField(_("外部来源"), max_length=32, blank=True)
    external_id = models.CharField(_("外部编号"), max_length=64, blank=True)

    # One timestamp per state (and per recurring event, the latest).
    reported_at = models.DateTimeField(_("上报时间"), db_index=True)
    accepted_at = models.DateTimeField(_("立案时间"), null=True, blank=True)
    rejected_at = models.DateTimeField(_("不予立案时间"), null=True, blank=True)
    merged_at = models.DateTimeField(_("并案时间"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("派遣时间"), null=True, blank=True)
    signed_at = models.DateTimeField(_("签收时间"), null=True, blank=True)
    handled_at = models.DateTimeField(_("处置时间"), null=True, blank=True)
    verified_at = models.DateTimeField(_("核查时间"), null=True, blank=True)
    closed_at = models.DateTimeField(_("结案时间"), null=True, blank=True, db_index=True)
    rated_at = models.DateTimeField(_("评价时间"), null=True, blank=True)
    held_at = models.DateTimeField(_("挂账时间"), null=True, blank=True)
    escalated_at = models.DateTimeField(_("上报时间（升级）"), null=True, blank=True)
    reopened_at = models.DateTimeField(_("重启时间"), null=True, blank=True)

    # The running step's clock (see yiwang.worktime.sla). Null when no step is running.
    step = models.CharField(_("当前环节"), max_length=16, blank=True)
    step_started_at = models.DateTimeField(_("环节开始"), null=True, blank=True)
    step_warn_at = models.DateTimeField(_("环节预警"), null=True, blank=True)
    step_due_at = models.DateTimeField(_("环节时限"), null=True, blank=True, db_index=True)
    step_overdue = models.BooleanField(_("环节超时"), default=False)
    paused_at = models.DateTimeField(_("暂停计时"), null=True, blank=True)
    reminded_at = models.DateTimeField(_("已提醒"), null=True, blank=True)
    # The whole case: due to close by this moment (sum of the step limits, moved by extensions and pauses).
    close_due_at = models.DateTimeField(_("结案时限"), null=True, blank=True, db_index=True)
    deadline_note = models.CharField(_("时限说明"), max_length=200, blank=True)

    solved_on_spot = models.BooleanField(_("现场解决"), default=False)
    ever_overdue = models.BooleanField(_("曾超时"), default=False)
    rework_count = models.PositiveSmallIntegerField(_("返工次数"), default=0)
    return_count = models.PositiveSmallIntegerField(_("退回次数"), default=0)
    reopen_count = models.PositiveSmallIntegerField(_("重启次数"), default=0)
    escalation_count = models.PositiveSmallIntegerField(_("上报次数"), default=0)
    extension_count = models.PositiveSmallIntegerField(_("延期次数"), default=0)
    rating = models.CharField(_("评价"), max_length=16, choices=Rating.choices, blank=True)
    rating_note = models.CharField(_("评价意见"), max_length=500, blank=True)

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("事件")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(fields=["matter", "status", "reported_at"]),
            models.Index(fields=["status", "step_due_at"]),
            models.Index(fields=["device", "status"]),
            # "Overdue now" reads the open cases due earlier today by this (rollups._due_earlier_today); it
            # holds every column that read asks for, so the read need not visit the cases.
            models.Index(fields=["close_due_at", "paused_at", "region", "micro_grid", "board", "ever_overdue", "reported_at", "handling_department"],
                         condition=Q(status__in=sorted(OPEN_STATUSES)), name="case_open_due_read"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["external_source", "external_id"], condition=~Q(external_id=""), name="case_unique_external_id"),
        ]

    def __str__(self) -> str:
        return self.number or f"#{self.pk}"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    # The rollups (rollups.py) follow every save: the counts move from what the case was when
    # loaded to what it is now, in the save's transaction.
    @classmethod
    def from_db(cls, db, field_names, values, *args, **kwargs):
        instance = super().from_db(db, field_names, values, *args, **kwargs)
        from . import rollups

        instance._rollup_before = rollups.snapshot(instance) if all(f in instance.__dict__ for f in rollups.FIELDS) else None
        return instance

    def save(self, *args, **kwargs):
        from . import rollups

        before = getattr(self, "_rollup_before", None)
        if not self._state.adding and before is None:
            # Loaded with some fields deferred: read what the rollups counted before this save.
            before = Case.objects.filter(pk=self.pk).values_list(*rollups.FIELDS).first()
        after = rollups.snapshot(self)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and before is not None:
            # Only the fields written change in the database; the rest stay as they were.
            written = {self._meta.get_field(name).attname for name in update_fields}
            after = tuple(now if name in written else then for name, now, then in zip(rollups.FIELDS, after, before, strict=True))
        with transaction.atomic(savepoint=False):
            super().save(*args, **kwargs)
            rollups.case_saved(self, before, after)
        self._rollup_before = after

    def refresh_from_db(self, using=None, fields=None, **kwargs):
        super().refresh_from_db(using=using, fields=fields, **kwargs)
        from . import rollups

        before = getattr(self, "_rollup_before", None)
        if fields is None:
            if all(f in self.__dict__ for f in rollups.FIELDS):
                self._rollup_before = rollups.snapshot(self)
        elif before is not None:
            # Only the fields read are the database's; the others may hold unsaved changes.
            read = {self._meta.get_field(name).attname for name in fields}
            self._rollup_before = tuple(getattr(self, name) if name in read else then
                                        for name, then in zip(rollups.FIELDS, before, strict=True))


class CaseEvent(models.Model):
    """The case's timeline and its audit: every transition, who, when, from, to and why."""

    scope_path_field = "case__region__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="events", verbose_name=_("事件"))
    at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    actor_label = models.CharField(_("操作方"), max_length=100, blank=True)
    actor_role = models.CharField(_("岗位角色"), max_length=1, choices=DutyRole.choices, blank=True)
    action = models.CharField(_("动作"), max_length=32)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    note = models.TextField(_("说明"), blank=True)
    public = models.BooleanField(_("对反映人公开"), default=True)
    detail = models.JSONField(_("详情"), default=dict, blank=True)

    objects = CaseLinkedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("办理记录")
        ordering = ["case", "at", "id"]

    def __str__(self) -> str:
        return f"{self.case} {self.action} {self.from_status}→{self.to_status}"


class PhotoKind(models.TextChoices):
    REPORT = "report", _("上报照片")
    BEFORE = "before", _("处置前")
    AFTER = "after", _("处置后")


class CasePhoto(models.Model):
    scope_path_field = "case__region__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="photos", verbose_name=_("事件"))
    event = models.ForeignKey(CaseEvent, null=True, blank=True, on_delete=models.SET_NULL, related_name="photos", verbose_name=_("记录"))
    kind = models.CharField(_("类型"), max_length=16, choices=PhotoKind.choices)
    image = models.FileField(_("图片"), upload_to="cases/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)
    # Re-encoded at upload (cases.photos): what lists show.
    thumbnail = models.FileField(_("缩略图"), upload_to="cases/%Y/%m/thumbs/", blank=True)
    # The copy the public may see, with the moderator's rectangles blacked out; public only once released.
    public_image = models.FileField(_("公开图片"), upload_to="cases/%Y/%m/public/", blank=True)
    redactions = models.JSONField(_("遮挡区域"), default=list, blank=True)
    released_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("公开人"))

    objects = CaseLinkedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("事件照片")
        ordering = ["case", "id"]


class PublicationState(models.TextChoices):
    PENDING = "pending", _("待审核")
    RELEASED = "released", _("已公开")
    HIDDEN = "hidden", _("不公开")
    WITHHELD = "withheld", _("反映人已被禁止公开")


class PublicationSource(models.TextChoices):
    REPORTER = "reporter", _("反映人选择公开")
    STAFF = "staff", _("工作人员发布")


class CasePublication(models.Model):
    """The public version of a case: the only text, place and reply the public feed (Open311) shows.

    Made when the reporter chose to publish (state pending, for a moderator), or by a coordinator
    for a staff-recorded case. Nothing about the case is public unless this row is released."""

    scope_path_field = "case__region__path"

    case = models.OneToOneField(Case, on_delete=models.CASCADE, related_name="publication", verbose_name=_("事件"))
    source = models.CharField(_("来源"), max_length=16, choices=PublicationSource.choices)
    state = models.CharField(_("状态"), max_length=16, choices=PublicationState.choices, default=PublicationState.PENDING, db_index=True)
    text = models.TextField(_("公开描述"), blank=True)
    address = models.CharField(_("公开地址"), max_length=200, blank=True)
    reply = models.TextField(_("公开答复"), blank=True)
    lon = models.FloatField(_("公开经度"), null=True, blank=True)
    lat = models.FloatField(_("公开纬度"), null=True, blank=True)
    created_at = models.DateTimeField(_("创建时间"))
    released_at = models.DateTimeField(_("公开时间"), null=True, blank=True)
    released_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("审核人"))

    objects = CaseLinkedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("公开版本")
        ordering = ["-created_at"]


class PublicationChange(models.Model):
    """The kept history of a public version: who changed what, when and why."""

    scope_path_field = "publication__case__region__path"

    publication = models.ForeignKey(CasePublication, on_delete=models.CASCADE, related_name="changes", verbose_name=_("公开版本"))
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    action = models.CharField(_("操作"), max_length=16)
    text_before = models.TextField(_("原文"), blank=True)
    text_after = models.TextField(_("新文"), blank=True)
    reply_after = models.TextField(_("答复"), blank=True)
    reason = models.CharField(_("理由"), max_length=200, blank=True)
    hits = models.JSONField(_("检出的个人信息"), default=list, blank=True)

    objects = CaseLinkedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("公开版本修改记录")
        ordering = ["publication", "at", "id"]


class ReporterBan(models.Model):
    """A phone (by its keyed digest, never in clear) whose reports are still taken but never offered
    for publication: an abusive reporter loses the public feed, not the right to report."""

    scope_path_field = "region__path"

    phone_digest = models.CharField(max_length=40, db_index=True, editable=False)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("禁止单位"))
    reason = models.CharField(_("理由"), max_length=200)
    banned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    banned_at = models.DateTimeField(_("时间"))
    lifted_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("禁止公开的反映人")
        ordering = ["-banned_at"]
        constraints = [models.UniqueConstraint(fields=["phone_digest"], condition=Q(lifted_at__isnull=True), name="one_active_ban_per_phone")]


class RoutingDecision(models.Model):
    """Why a case went where it went: one row per routing (intake, escalation, dispatch)."""

    scope_path_field = "case__region__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="routings", verbose_name=_("事件"))
    at = models.DateTimeField(_("时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("决定人"))
    matter_version = models.ForeignKey("matters.MatterTypeVersion", on_delete=models.PROTECT, related_name="+", verbose_name=_("事项版本"))
    tier = models.CharField(_("分级"), max_length=1, choices=Tier.choices)
    level = models.CharField(_("层级"), max_length=16, choices=Level.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("办理单位（区域）"))
    department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("办理部门"))
    reasons = models.JSONField(_("依据"), default=list)
    # A skip-level rule that sent the case past its tier's first level, and the units it copied.
    skip_rule = models.ForeignKey("cases.SkipLevelRule", null=True, blank=True, on_delete=models.SET_NULL, related_name="routings",
                                  verbose_name=_("越级规则"))
    copied_to = models.ManyToManyField("regions.Region", blank=True, related_name="+", verbose_name=_("抄送单位"))

    objects = CaseLinkedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("分拨记录")
        ordering = ["case", "at", "id"]


class RequestStatus(models.TextChoices):
    PENDING = "pending", _("待审批")
    APPROVED = "approved", _("已批准")
    REFUSED = "refused", _("已驳回")


class ExtensionRequest(models.Model):
    scope_path_field = "case__region__path"

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="extensions", verbose_name=_("事件"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("申请人"))
    requested_at = models.DateTimeField(_("申请时间"))
    amount = models.CharField(_("延长时限"), max_length=12)
    reason = models.TextField(_("理由"))
    status = models.CharField(_("状态"), max_length=16, choices=RequestStatus.choices, default=RequestStatus.PENDING)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.CharField(_("审批意见"), max_length=200, blank=True)

    objects = CaseLinkedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("延期申请")
        ordering = ["-requested_at"]
        constraints = [models.UniqueConstraint(fields=["case"], condition=Q(status="pending"), name="one_pending_extension_per_case")]


class SummonsStatus(models.TextChoices):
    OPEN = "open", _("进行中")
    CLOSED = "closed", _("已完成")


class Summons(models.Model):
    """吹哨报到: a street or community calls departments or grid members to one case."""

    scope_path_field = "case__region__path"

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="summonses", verbose_name=_("事件"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("吹哨单位"))
    summoned_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("吹哨人"))
    reason = models.TextField(_("哨令"))
    status = models.CharField(_("状态"), max_length=16, choices=SummonsStatus.choices, default=SummonsStatus.OPEN)
    created_at = models.DateTimeField(_("吹哨时间"))
    closed_at = models.DateTimeField(_("完成时间"), null=True, blank=True)

    objects = CaseLinkedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("吹哨报到")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.reason[:50]


class SummonsPart(models.Model):
    """One summoned unit or person, with its task, check-in deadline and the two-way ratings."""

    scope_path_field = "summons__case__region__path"

    summons = models.ForeignKey(Summons, on_delete=models.CASCADE, related_name="parts", verbose_name=_("哨令"))
    department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="summons_parts", verbose_name=_("报到部门"))
    member = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="summons_parts", verbose_name=_("报到人员"))
    task = models.CharField(_("任务"), max_length=200)
    checkin_due_at = models.DateTimeField(_("报到时限"))
    checked_in_at = models.DateTimeField(_("报到时间"), null=True, blank=True)
    checked_in_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("报到人"))
    done_at = models.DateTimeField(_("完成时间"), null=True, blank=True)
    result = models.TextField(_("办理结果"), blank=True)
    # 1-5 stars each way: the summoner rates the participant, the participant rates the summoner.
    rating_of_participant = models.PositiveSmallIntegerField(_("吹哨方评价"), null=True, blank=True)
    rating_of_summoner = models.PositiveSmallIntegerField(_("报到方评价"), null=True, blank=True)

    objects = SummonsPartQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("报到任务")
        ordering = ["summons", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(department__isnull=False) | Q(member__isnull=False), name="summons_part_has_party"),
        ]

    @property
    def party_label(self) -> str:
        return str(self.department or self.member)


class DeviceSource(models.Model):
    """An IoT platform allowed to post alerts, with the shared secret its requests are signed with."""

    name = models.SlugField(_("名称"), max_length=50, unique=True)
    secret_sealed = models.CharField(_("密钥（密文）"), max_length=200, editable=False)
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = verbose_name_plural = _("物联平台")

    def __str__(self) -> str:
        return self.name

    def set_secret(self, secret: str) -> None:
        from yiwang.core import crypto

        self.secret_sealed = crypto.encrypt(secret)

    def secret(self) -> str:
        from yiwang.core import crypto

        return crypto.decrypt(self.secret_sealed)


class Device(models.Model):
    """An IoT sensor whose alerts open cases (e-bike charging, smoke, manhole tilt). Its registered
    place is the registry's component it is mounted on (部件, whose point it takes), else its own point."""

    scope_path_field = "region__path"

    source = models.ForeignKey(DeviceSource, on_delete=models.PROTECT, related_name="devices", verbose_name=_("物联平台"))
    code = models.CharField(_("设备编号"), max_length=64)
    name = models.CharField(_("名称"), max_length=100)
    matter = models.ForeignKey("matters.MatterType", on_delete=models.PROTECT, related_name="+", verbose_name=_("告警事项"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在网格"))
    component = models.ForeignKey("registry.Component", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                  verbose_name=_("登记部件"), help_text=_("设备安装所在的部件；告警未带位置时取其位置"))
    lon = models.FloatField(_("经度"), null=True, blank=True)
    lat = models.FloatField(_("纬度"), null=True, blank=True)
    address = models.CharField(_("位置"), max_length=200, blank=True)
    # Repeats of one alert type within this many minutes of the last join its open case; empty: the
    # site's YIWANG_DEVICE_ALERT_WINDOW_MINUTES.
    merge_window_minutes = models.PositiveIntegerField(_("合并窗口（分钟）"), null=True, blank=True,
                                                       help_text=_("留空则用全站设置"))
    active = models.BooleanField(_("启用"), default=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("感知设备")
        ordering = ["code"]
        constraints = [
            models.UniqueConstraint(fields=["source", "code"], name="device_unique_code_per_source"),
            # Somewhere to send a case when an alert brings no location of its own.
            models.CheckConstraint(condition=Q(component__isnull=False) | Q(lon__isnull=False, lat__isnull=False), name="device_has_a_place"),
        ]

    def __str__(self) -> str:
        return f"{self.name}({self.code})"


class DeviceAlert(models.Model):
    scope_path_field = "device__region__path"

    device = models.ForeignKey(Device, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("设备"))
    received_at = models.DateTimeField(_("接收时间"))
    raised_at = models.DateTimeField(_("告警时间"), default=timezone.now, db_index=True)  # the device's own time, else when received
    kind = models.CharField(_("告警类型"), max_length=64, blank=True)
    payload = models.JSONField(_("报文"), default=dict)
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="alerts", verbose_name=_("事件"))
    opened_case = models.BooleanField(_("新建事件"), default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("设备告警")
        ordering = ["-received_at"]


class RollupGrain(models.TextChoices):
    DAY = "d", _("日")
    MONTH = "m", _("月")
    YEAR = "y", _("年")


class CaseRollup(models.Model):
    """Counts of the cases reported in one day (grain d), month (m) or year (y) under one region (any
    ancestor of the cases' grid, the grid, or their micro-grid), board and handling department
    (department_key = its id, 0 for none, kept from the street up; every row again under -1, all
    departments, which is what the screen reads, and those again under board "", all boards). Kept
    by rollups.py as cases change; never edited by hand."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("区域"))
    grain = models.CharField(_("粒度"), max_length=1, choices=RollupGrain.choices)
    period = models.DateField(_("日期/月份"))
    board = models.CharField(_("板块（空为全部）"), max_length=16, blank=True, choices=Board.choices)
    department_key = models.IntegerField(_("办理部门编号（0为无,-1为全部）"), default=0)
    cases = models.IntegerField(default=0)
    voided = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    closed_late = models.IntegerField(default=0)
    closed_undated = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    settled_overdue = models.IntegerField(default=0)  # ever overdue, or closed late
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("事件汇总")
        constraints = [models.UniqueConstraint(fields=["region", "department_key", "grain", "period", "board"], name="case_rollup_key")]
        # Holds every column a read asks for, board before grain so that a read of one board meets
        # only its rows: the reads never visit the table (on SQLite that visit was a third of a read).
        indexes = [models.Index(fields=["region", "department_key", "board", "grain", "period", "cases", "voided", "closed", "closed_on_time",
                                        "closed_late", "closed_undated", "handled", "reworked", "extended", "settled_overdue", "rated",
                                        "satisfied", "basic"], name="case_rollup_read")]


class OpenCaseRollup(models.Model):
    """Cases open now under one region, board ("": all, with department -1 only) and department
    (-1: all), by day reported and day due (9999-12-31: no deadline running). Kept by rollups.py;
    rows that fall to zero are removed."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.CASCADE, related_name="+", verbose_name=_("区域"))
    board = models.CharField(_("板块（空为全部）"), max_length=16, blank=True, choices=Board.choices)
    department_key = models.IntegerField(_("办理部门编号（0为无,-1为全部）"), default=0)
    reported_on = models.DateField(_("上报日期"))
    due_on = models.DateField(_("结案时限日期"))
    open_cases = models.IntegerField(default=0)
    flagged = models.IntegerField(default=0)  # of which ever overdue

    objects = ScopedQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("在办事件汇总")
        constraints = [models.UniqueConstraint(fields=["region", "department_key", "reported_on", "due_on", "board"], name="open_case_rollup_key")]
        # Holds every column a read asks for, so a read never visits the rows themselves.
        indexes = [models.Index(fields=["region", "department_key", "board", "reported_on", "due_on", "open_cases", "flagged"],
                                name="open_case_rollup_read")]


class RollupDelta(models.Model):
    """One case save's change to the rollups, not yet folded into them: what the case adds now less
    what it added before (a save writes one row per side that changed, with the sign applied to
    every counter). The save appends a row (cheap, and it touches no shared row, so concurrent
    intakes do not queue on hot counters); the worker folds rows into CaseRollup and
    OpenCaseRollup and deletes them in one transaction, every second; reads add the rows still
    here in the same statement, so numbers stay exact (rollups.py)."""

    grid_id = models.IntegerField()  # the case's grid: its ancestors are found when folded
    micro_grid_id = models.IntegerField(null=True)
    board = models.CharField(max_length=16, blank=True)
    department_key = models.IntegerField(default=0)
    reported_on = models.DateField()
    due_on = models.DateField(null=True)  # open: the day due (9999-12-31 none running); None: not open
    cases = models.IntegerField(default=0)
    voided = models.IntegerField(default=0)
    closed = models.IntegerField(default=0)
    closed_on_time = models.IntegerField(default=0)
    closed_late = models.IntegerField(default=0)
    closed_undated = models.IntegerField(default=0)
    handled = models.IntegerField(default=0)
    reworked = models.IntegerField(default=0)
    extended = models.IntegerField(default=0)
    settled_overdue = models.IntegerField(default=0)
    rated = models.IntegerField(default=0)
    satisfied = models.IntegerField(default=0)
    basic = models.IntegerField(default=0)
    open_cases = models.IntegerField(default=0)
    flagged = models.IntegerField(default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("待汇总的事件变化")


# Supervision orders (督办单): rules, machine and notices in supervision.py -------------------------

class SupervisionGrade(models.TextChoices):
    GENERAL = "general", _("一般督办")
    KEY = "key", _("重点督办")
    LISTED = "listed", _("挂牌督办")


class SupervisionStatus(models.TextChoices):
    OPEN = "open", _("待答复")
    ANSWERED = "answered", _("已答复待审核")
    RETURNED = "returned", _("退回重办")
    CLOSED = "closed", _("已办结")


class SupervisionOrderQuerySet(ScopedQuerySet):
    def restrict(self, user, action="view"):
        """Orders under the user's region subtree; department staff see the orders on their
        departments and on the cases they see (as CaseQuerySet.restrict)."""
        prefix = scope_path(user)
        if prefix is None or not role_allows(user, action):
            return self.none()
        if prefix == "":
            return self
        if user.role == Role.DEPARTMENT:
            departments = list(user.departments.values_list("pk", flat=True))
            return self.filter(Q(unit_department__in=departments) | Q(case__in=Case.objects.restrict(user, action).values("pk")))
        return self.filter(region__path__startswith=prefix)


class SupervisionOrder(models.Model):
    """督办单: the command center asks a unit, about a case or a matter in general, for an answer by a
    working-time deadline. The unit is fixed when the order is issued (a case's handling unit then)."""

    scope_path_field = "region__path"

    case = models.ForeignKey(Case, null=True, blank=True, on_delete=models.PROTECT, related_name="supervision_orders", verbose_name=_("事件"))
    # Where the order sits for scope: the case's grid, the unit's region, or the department's region.
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    unit_level = models.CharField(_("被督办单位层级"), max_length=16, choices=Level.choices)
    unit_region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("被督办单位（区域）"))
    unit_department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="supervision_orders",
                                        verbose_name=_("被督办部门"))
    grade = models.CharField(_("督办级别"), max_length=16, choices=SupervisionGrade.choices, default=SupervisionGrade.GENERAL)
    text = models.TextField(_("督办事项"))
    status = models.CharField(_("状态"), max_length=16, choices=SupervisionStatus.choices, default=SupervisionStatus.OPEN, db_index=True)
    issued_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("督办人"))
    issuer_role = models.CharField(_("督办方角色"), max_length=16, blank=True)
    issuer_region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("督办单位"))
    issued_at = models.DateTimeField(_("督办时间"))
    limit = models.CharField(_("办理时限"), max_length=12)
    warn_at = models.DateTimeField(_("预警时间"))
    due_at = models.DateTimeField(_("答复时限"), db_index=True)
    answer = models.TextField(_("答复"), blank=True)
    action_taken = models.TextField(_("采取的措施"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("答复人"))
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    returned_at = models.DateTimeField(_("退回时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("办结人"))
    closed_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    # Set once by the sweep when the deadline passed unanswered: the issuer and the unit are told once.
    overdue_at = models.DateTimeField(_("超时标记时间"), null=True, blank=True)

    objects = SupervisionOrderQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("督办单")
        ordering = ["-issued_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["case"], condition=Q(case__isnull=False) & ~Q(status="closed"), name="one_open_supervision_per_case"),
            models.CheckConstraint(condition=Q(unit_region__isnull=False) | Q(unit_department__isnull=False), name="supervision_has_unit"),
        ]

    def __str__(self) -> str:
        return str(_("督办单 %(n)s") % {"n": self.pk})

    @property
    def unit_label(self) -> str:
        return str(self.unit_department.name if self.unit_department_id else self.unit_region.name)


class SupervisionStepQuerySet(ScopedQuerySet):
    def restrict(self, user, action="view"):
        return self.filter(order__in=SupervisionOrder.objects.restrict(user, action).values("pk"))


class SupervisionStep(models.Model):
    """One step of an order (issued, answered, returned, closed, marked overdue), with its time."""

    scope_path_field = "order__region__path"

    order = models.ForeignKey(SupervisionOrder, on_delete=models.CASCADE, related_name="steps", verbose_name=_("督办单"))
    action = models.CharField(_("动作"), max_length=16)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("操作人"))
    actor_label = models.CharField(_("操作方"), max_length=100, blank=True)
    at = models.DateTimeField(_("时间"))
    note = models.TextField(_("说明"), blank=True)

    objects = SupervisionStepQuerySet.as_manager()

    class Meta:
        verbose_name = verbose_name_plural = _("督办记录")
        ordering = ["order", "at", "id"]


# Stage deadlines as data (环节时限) and each stage run's timing: their rules are in stages.py.
from .stage_models import LimitUnit, Stage, StageLimit, StageTiming  # noqa: E402,F401
from .skiplevel_models import CopyLevel, SkipLevelRule, SkipTarget  # noqa: E402,F401
