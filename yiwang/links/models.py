"""Linked leaders and units (联点、包片).

A `Link` says who answers for a region beyond its own staff: a district leader for a community,
a street leader for a grid, or a unit (a department, an alliance unit, a party branch) for one grid,
"一对一地联点一个网格" as seed 004 puts it. Each link has its cadence (how many contacts per week,
month, quarter or year) and its record of visits (`LinkVisit`), with the problems raised on them
(`LinkProblem`), some of which open a case in the closed loop.

The one-to-one rule is kept twice: by the services with a clear message, and by partial unique
indexes, so that two people linking the same grid at the same moment cannot both win.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.ab_roles.models import ABRoles
from yiwang.core.scope import ScopedManager
from yiwang.regions.models import Level


class LinkKind(models.TextChoices):
    DISTRICT_LEADER = "district_leader", _("区领导联点社区")
    STREET_LEADER = "street_leader", _("街道领导联点网格")
    DEPARTMENT = "department", _("部门联点网格")
    ALLIANCE_UNIT = "alliance_unit", _("共建单位联点网格")
    PARTY_BRANCH = "party_branch", _("党支部联点网格")


# A person links; a unit links. Units link one grid each, and a grid has one unit at a time.
LEADER_KINDS = frozenset({LinkKind.DISTRICT_LEADER, LinkKind.STREET_LEADER})
UNIT_KINDS = frozenset({LinkKind.DEPARTMENT, LinkKind.ALLIANCE_UNIT, LinkKind.PARTY_BRANCH})
DEPARTMENT_KINDS = frozenset({LinkKind.DEPARTMENT, LinkKind.ALLIANCE_UNIT})
# The level of region each kind links to.
LINKED_LEVEL = {kind: (Level.COMMUNITY if kind == LinkKind.DISTRICT_LEADER else Level.GRID) for kind in LinkKind}
GRID_KINDS = frozenset(kind for kind, level in LINKED_LEVEL.items() if level == Level.GRID)


class Period(models.TextChoices):
    WEEK = "week", _("每周")
    MONTH = "month", _("每月")
    QUARTER = "quarter", _("每季度")
    YEAR = "year", _("每年")


class VisitMode(models.TextChoices):
    FACE_TO_FACE = "face_to_face", _("面对面")
    IN_GRID = "in_grid", _("驻格")
    REMOTE = "remote", _("电话/线上")
    OTHER = "other", _("其他")


class Link(ABRoles):
    """Who is linked to which community or grid, since when, and how often they must be in touch."""

    scope_path_field = "region__path"

    kind = models.CharField(_("联点类型"), max_length=20, choices=LinkKind.choices)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="links", verbose_name=_("联点区域"))
    # A leader may have no account: the name and title are then the record.
    leader = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                               related_name="leader_links", verbose_name=_("联点领导（账号）"))
    leader_name = models.CharField(_("联点人姓名"), max_length=50, blank=True)
    leader_title = models.CharField(_("职务"), max_length=100, blank=True)
    department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="links", verbose_name=_("联点部门/共建单位"))
    party_organization = models.ForeignKey("party.PartyOrganization", null=True, blank=True, on_delete=models.PROTECT,
                                           related_name="links", verbose_name=_("联点党支部"))
    contacts_required = models.PositiveSmallIntegerField(_("每期至少联系次数"), default=1)
    period = models.CharField(_("周期"), max_length=10, choices=Period.choices, default=Period.MONTH)
    # Empty: any mode counts. Set, only visits of that mode count ("每月至少一次面对面").
    counted_mode = models.CharField(_("计入频次的方式"), max_length=16, choices=VisitMode.choices, blank=True)
    cadence_note = models.CharField(_("联系要求"), max_length=200, blank=True, help_text=_("如：每月至少一次面对面；每周一天驻格"))
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"), null=True, blank=True)
    active = models.BooleanField(_("在联"), default=True)
    end_reason = models.CharField(_("结束原因"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # The start of the last period whose miss was already told to whoever answers for the link.
    missed_notice_for = models.DateField(_("已提醒未达频次的周期"), null=True, blank=True, editable=False)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                   related_name="+", verbose_name=_("创建人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("联点")
        ordering = ["region__path", "kind", "id"]
        indexes = [models.Index(fields=["active", "kind"])]
        constraints = [
            models.UniqueConstraint(fields=["region"], condition=Q(active=True, kind__in=sorted(UNIT_KINDS)),
                                    name="links_one_unit_per_grid",
                                    violation_error_message="该网格已有在联的联点单位（this grid already has a linked unit）"),
            models.UniqueConstraint(fields=["department"], condition=Q(active=True, department__isnull=False),
                                    name="links_department_links_one_grid",
                                    violation_error_message="该部门/共建单位已联点一个网格（the unit already links a grid）"),
            models.UniqueConstraint(fields=["party_organization"], condition=Q(active=True, party_organization__isnull=False),
                                    name="links_branch_links_one_grid",
                                    violation_error_message="该党支部已联点一个网格（the branch already links a grid）"),
            # The unit column matches the kind: a department for departments and alliance units,
            # a party organization for branches, neither for leaders (who need a name or an account).
            models.CheckConstraint(
                condition=(Q(kind__in=sorted(DEPARTMENT_KINDS), department__isnull=False, party_organization__isnull=True)
                           | Q(kind=LinkKind.PARTY_BRANCH, department__isnull=True, party_organization__isnull=False)
                           | (Q(kind__in=sorted(LEADER_KINDS), department__isnull=True, party_organization__isnull=True)
                              & (Q(leader__isnull=False) | ~Q(leader_name="")))),
                name="links_unit_matches_kind"),
            models.CheckConstraint(condition=Q(contacts_required__gte=1), name="links_contacts_required_positive"),
            models.CheckConstraint(condition=Q(ends_on__isnull=True) | Q(ends_on__gte=models.F("starts_on")), name="links_ends_after_start"),
            # Ended means not active, and the other way round.
            models.CheckConstraint(condition=Q(active=True, ends_on__isnull=True) | Q(active=False, ends_on__isnull=False),
                                   name="links_active_until_ended"),
        ]

    def __str__(self) -> str:
        return f"{self.who} → {self.region.name}"

    @property
    def who(self) -> str:
        """The linked party as people name it: the unit, or the leader with the title."""
        if self.department_id:
            return self.department.name
        if self.party_organization_id:
            return self.party_organization.name
        name = self.leader_name or (self.leader.get_full_name() or self.leader.username if self.leader_id else "")
        return f"{name}({self.leader_title})" if self.leader_title else name

    @property
    def is_unit(self) -> bool:
        return self.kind in UNIT_KINDS

    @property
    def cadence_text(self) -> str:
        mode = f"{VisitMode(self.counted_mode).label}" if self.counted_mode else ""
        return f"{Period(self.period).label}至少{self.contacts_required}次{mode}"

    def clean(self) -> None:
        """The rules a single row can check on its own; the services add the one-to-one rules."""
        super().clean()
        errors: dict[str, str] = {}
        if self.kind not in LinkKind.values:
            raise ValidationError({"kind": f"未知的联点类型 {self.kind!r}"})
        kind = LinkKind(self.kind)
        if self.region_id:
            expected = LINKED_LEVEL[kind]
            if self.region.level != expected:
                errors["region"] = f"{kind.label}须联点到{Level(expected).label},{self.region.name}是{self.region.get_level_display()}"
        if kind in LEADER_KINDS:
            if not self.leader_id and not self.leader_name.strip():
                errors["leader_name"] = "请填写联点领导姓名或选择其账号"
            if self.department_id or self.party_organization_id:
                errors["kind"] = "领导联点不关联单位"
        elif kind in DEPARTMENT_KINDS:
            if not self.department_id:
                errors["department"] = "请选择联点部门/共建单位"
            elif kind == LinkKind.ALLIANCE_UNIT and not self.department.is_alliance_unit:
                errors["department"] = f"{self.department.name}不是共建单位"
            elif kind == LinkKind.DEPARTMENT and self.department.is_alliance_unit:
                errors["department"] = f"{self.department.name}是共建单位，请选择“共建单位联点网格”"
            elif not self.department.active:
                errors["department"] = f"{self.department.name}已停用"
            if self.party_organization_id:
                errors["party_organization"] = "部门联点不关联党组织"
        else:
            if not self.party_organization_id:
                errors["party_organization"] = "请选择联点党支部"
            if self.department_id:
                errors["department"] = "党支部联点不关联部门"
        if self.contacts_required is not None and self.contacts_required < 1:
            errors["contacts_required"] = "每期至少联系1次"
        if self.ends_on and self.starts_on and self.ends_on < self.starts_on:
            errors["ends_on"] = "结束日期不能早于开始日期"
        if errors:
            raise ValidationError(errors)


class LinkVisit(models.Model):
    """One contact of a link with its region: a visit, a day in the grid, a call."""

    scope_path_field = "link__region__path"

    link = models.ForeignKey(Link, on_delete=models.PROTECT, related_name="visits", verbose_name=_("联点"))
    at = models.DateTimeField(_("走访时间"))
    mode = models.CharField(_("方式"), max_length=16, choices=VisitMode.choices)
    visitor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                related_name="+", verbose_name=_("走访人（账号）"))
    visitor_names = models.CharField(_("走访人"), max_length=200, blank=True)
    summary = models.TextField(_("走访情况"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL,
                                    related_name="+", verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("联点走访")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["link", "at"])]

    def __str__(self) -> str:
        return f"{self.link} {self.at:%Y-%m-%d}"

    @property
    def who(self) -> str:
        names = [self.visitor.get_full_name() or self.visitor.username] if self.visitor_id else []
        if self.visitor_names:
            names.append(self.visitor_names)
        return "、".join(names)


class LinkProblem(models.Model):
    """A problem raised on a visit; `case` is the case opened for it, if any."""

    scope_path_field = "visit__link__region__path"

    visit = models.ForeignKey(LinkVisit, on_delete=models.CASCADE, related_name="problems", verbose_name=_("走访"))
    row = models.PositiveSmallIntegerField(_("序号"))
    description = models.TextField(_("问题"))
    # The closed loop owns the case; a case deleted there leaves the problem on record without it.
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.SET_NULL,
                             related_name="link_problems", verbose_name=_("已立案事件"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("走访问题")
        ordering = ["visit", "row"]
        constraints = [models.UniqueConstraint(fields=["visit", "row"], name="links_problem_row_unique")]

    def __str__(self) -> str:
        return self.description[:40]
