"""Duty lists as data (清单管理): the street's two lists, the community's four lists and the grid
task list, each changed only through proposals that the level above approves (清单动态调整).

- `DutyList`: one list per (owning region, kind), pointing at its current approved version.
- `DutyListVersion`: a numbered state of the list; proposals are versions waiting for a decision.
- `DutyItem`: an item's stable identity across versions (list + key). A/B roles and links point
  here, so they survive every later change to the item's wording.
- `DutyItemRevision`: what an item says in one version. A version's items are its revisions;
  unchanged items are copied into each new version, so every version reads on its own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.ab_roles.models import ABRoles
from yiwang.core.scope import ScopedManager
from yiwang.regions.models import Level


# The names of a duty item's fields as the import file, the checks and the version diff say them.
FIELD_LABELS = {
    "key": "编号", "op": "操作", "title": "事项名称", "category": "类别", "owner_unit": "责任单位", "department": "对口部门",
    "legal_basis": "法律依据", "matter_types": "涵盖事项", "note": "备注",
}


class ListKind(models.TextChoices):
    STREET_STATUTORY = "street_statutory", _("法定职责事项清单")
    STREET_COOPERATIVE = "street_cooperative", _("协同配合事项清单")
    COMMUNITY_SERVICE = "community_service", _("服务事项清单")
    COMMUNITY_MICRO_POWER = "community_micro_power", _("小微权力清单")
    COMMUNITY_PARTY = "community_party", _("党务清单")
    COMMUNITY_SEAL = "community_seal", _("用印清单")
    GRID_TASKS = "grid_tasks", _("网格任务清单")


# Which levels may own a list of each kind. The grid task list ("6+1") is set by the district and
# may be narrowed by a street or community; admission reads the nearest one above a grid.
KIND_LEVELS: dict[str, tuple[str, ...]] = {
    ListKind.STREET_STATUTORY: (Level.STREET,),
    ListKind.STREET_COOPERATIVE: (Level.STREET,),
    ListKind.COMMUNITY_SERVICE: (Level.COMMUNITY,),
    ListKind.COMMUNITY_MICRO_POWER: (Level.COMMUNITY,),
    ListKind.COMMUNITY_PARTY: (Level.COMMUNITY,),
    ListKind.COMMUNITY_SEAL: (Level.COMMUNITY,),
    ListKind.GRID_TASKS: (Level.DISTRICT, Level.STREET, Level.COMMUNITY),
}

# Key prefixes used when people (or the demo) number items; only a suggestion, keys are free text.
KIND_KEY_PREFIX = {
    ListKind.STREET_STATUTORY: "FD", ListKind.STREET_COOPERATIVE: "XT", ListKind.COMMUNITY_SERVICE: "FW",
    ListKind.COMMUNITY_MICRO_POWER: "XW", ListKind.COMMUNITY_PARTY: "DW", ListKind.COMMUNITY_SEAL: "YY",
    ListKind.GRID_TASKS: "WG",
}


class VersionStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("现行")
    REJECTED = "rejected", _("已驳回")
    SUPERSEDED = "superseded", _("已被替代")


class DutyList(models.Model):
    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="duty_lists", verbose_name=_("所属区域"))
    kind = models.CharField(_("清单类型"), max_length=32, choices=ListKind.choices)
    name = models.CharField(_("名称"), max_length=100)
    current_version = models.ForeignKey("DutyListVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                        verbose_name=_("现行版本"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    # Moves whenever a version is approved: the admission cache watches it.
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("职责清单")
        ordering = ["region__path", "kind"]
        constraints = [models.UniqueConstraint(fields=["region", "kind"], name="duty_list_unique_region_kind")]

    def __str__(self) -> str:
        return self.name


class DutyListVersion(models.Model):
    scope_path_field = "duty_list__region__path"

    duty_list = models.ForeignKey(DutyList, on_delete=models.CASCADE, related_name="versions", verbose_name=_("清单"))
    number = models.PositiveIntegerField(_("版本号"))
    status = models.CharField(_("状态"), max_length=16, choices=VersionStatus.choices, default=VersionStatus.PROPOSED)
    based_on = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("基于版本"))
    reason = models.TextField(_("调整理由"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("提出人"))
    proposed_at = models.DateTimeField(_("提出时间"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("清单版本")
        ordering = ["duty_list", "-number"]
        constraints = [models.UniqueConstraint(fields=["duty_list", "number"], name="duty_version_unique_number")]

    def __str__(self) -> str:
        return f"{self.duty_list} 第{self.number}版"


class DutyItem(ABRoles):
    """An item of a list across all its versions; `title` and `in_force` mirror the current version."""

    scope_path_field = "duty_list__region__path"

    duty_list = models.ForeignKey(DutyList, on_delete=models.CASCADE, related_name="items", verbose_name=_("清单"))
    key = models.CharField(_("编号"), max_length=32)
    title = models.CharField(_("名称（现行版本）"), max_length=200, blank=True)
    in_force = models.BooleanField(_("在现行版本中"), default=False)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("清单事项")
        ordering = ["duty_list", "key"]
        constraints = [models.UniqueConstraint(fields=["duty_list", "key"], name="duty_item_unique_key")]

    def __str__(self) -> str:
        return f"{self.key} {self.title}".strip()


class DutyItemRevision(models.Model):
    scope_path_field = "version__duty_list__region__path"

    version = models.ForeignKey(DutyListVersion, on_delete=models.CASCADE, related_name="revisions", verbose_name=_("版本"))
    # RESTRICT: an item goes only together with its list (the cascade from the list deletes both).
    item = models.ForeignKey(DutyItem, on_delete=models.RESTRICT, related_name="revisions", verbose_name=_("事项"))
    title = models.CharField(_("事项名称"), max_length=200)
    category = models.CharField(_("类别"), max_length=50, blank=True)
    owner_unit = models.CharField(_("责任单位"), max_length=100, blank=True)
    department = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("对口部门"))
    legal_basis = models.TextField(_("法律依据"), blank=True)
    matter_types = models.ManyToManyField("matters.MatterType", blank=True, related_name="+", verbose_name=_("涵盖事项"))
    note = models.TextField(_("备注"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("清单事项内容")
        ordering = ["version", "item__key"]
        constraints = [models.UniqueConstraint(fields=["version", "item"], name="duty_revision_unique_item")]

    def __str__(self) -> str:
        return f"{self.item.key} {self.title}"
