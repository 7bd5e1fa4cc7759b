"""Inspection campaigns (专项排查) pushed down from a street or district to its grids.

A campaign names the grid task item it executes (`task_key`, an item of the grid task list "6+1";
publishing checks admission of that key for every grid with targets), a checklist, and a target
list of places or households. Grid workers record one check per target: each checklist item
passes, fails or does not apply, and a failed item opens a case in the closed loop.

Scope: a campaign sits at its owner (the street or district); targets, checks and item results
sit at the target's own region (its micro-grid or grid), so a grid worker sees exactly the
targets in their grid, and a community the targets of its grids.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class Status(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("排查中")
    CLOSED = "closed", _("已结束")


class TargetKind(models.TextChoices):
    PLACE = "place", _("场所单位")
    HOUSEHOLD = "household", _("住户")


class Campaign(models.Model):
    scope_path_field = "owner__path"

    title = models.CharField(_("名称"), max_length=100)
    description = models.TextField(_("说明"), blank=True)
    owner = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("发起单位"))
    task_key = models.CharField(_("网格任务清单事项"), max_length=40, help_text=_("网格任务清单（6+1）中的事项编号，如 WG-02"))
    target_kind = models.CharField(_("排查对象"), max_length=16, choices=TargetKind.choices, default=TargetKind.PLACE)
    starts_on = models.DateField(_("开始日期"))
    ends_on = models.DateField(_("结束日期"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices, default=Status.DRAFT)
    # Per grid code, the admission sentence that let the campaign down (kept as evidence).
    admission = models.JSONField(_("准入依据"), default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    published_at = models.DateTimeField(_("下发时间"), null=True, blank=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("下发人"))
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("结束人"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("专项排查")
        ordering = ["-starts_on", "-pk"]
        constraints = [models.CheckConstraint(condition=models.Q(ends_on__gte=models.F("starts_on")), name="campaign_ends_after_start")]

    def __str__(self) -> str:
        return self.title


class ChecklistItem(models.Model):
    """One line of the checklist; a failure opens a case of `matter`."""

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="items", verbose_name=_("专项排查"))
    number = models.PositiveSmallIntegerField(_("序号"))
    text = models.CharField(_("检查内容"), max_length=200)
    matter = models.ForeignKey("matters.MatterType", on_delete=models.PROTECT, related_name="+", verbose_name=_("不合格时立案事项"))

    class Meta:
        verbose_name = verbose_name_plural = _("检查项")
        ordering = ["campaign", "number"]
        constraints = [models.UniqueConstraint(fields=["campaign", "number"], name="checklist_item_unique_number")]

    def __str__(self) -> str:
        return f"{self.number}. {self.text}"


class TargetStatus(models.TextChoices):
    PENDING = "pending", _("待排查")
    CHECKED = "checked", _("已排查")


class Target(models.Model):
    """A place or household to check. `grid` is the grid (level grid) it belongs to, for admission
    and progress; `region` its own region (micro-grid or grid), for scope."""

    scope_path_field = "region__path"

    campaign = models.ForeignKey(Campaign, on_delete=models.CASCADE, related_name="targets", verbose_name=_("专项排查"))
    place = models.ForeignKey("registry.Place", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("场所单位"))
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("住户"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所在区域"))
    grid = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属网格"))
    assignee = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="campaign_targets", verbose_name=_("网格员"))
    status = models.CharField(_("状态"), max_length=16, choices=TargetStatus.choices, default=TargetStatus.PENDING)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("排查对象")
        ordering = ["campaign", "grid__path", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "place"], name="campaign_target_unique_place"),
            models.UniqueConstraint(fields=["campaign", "household"], name="campaign_target_unique_household"),
            models.CheckConstraint(condition=models.Q(place__isnull=False, household__isnull=True) | models.Q(place__isnull=True, household__isnull=False),
                                   name="campaign_target_place_or_household"),
        ]
        indexes = [models.Index(fields=["campaign", "grid", "status"]), models.Index(fields=["assignee", "status"])]

    def __str__(self) -> str:
        return self.label

    @property
    def label(self) -> str:
        if self.place_id:
            return self.place.name
        house = self.household.house
        return f"{house.building.name}{house.number}" if house is not None else f"住户 {self.household.number}"

    @property
    def address(self) -> str:
        if self.place_id:
            return self.place.address
        house = self.household.house
        return (house.building.address or house.building.name) if house is not None else ""


class TargetCheck(models.Model):
    """The check of one target (one per target: a target is checked once)."""

    scope_path_field = "target__region__path"

    target = models.OneToOneField(Target, on_delete=models.CASCADE, related_name="record", verbose_name=_("排查对象"))
    checked_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("排查人"))
    checked_at = models.DateTimeField(_("排查时间"))
    note = models.TextField(_("情况说明"), blank=True)
    photo = models.FileField(_("现场照片"), upload_to="campaigns/%Y/%m/", blank=True)
    failed_items = models.PositiveSmallIntegerField(_("不合格项数"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("排查记录")
        ordering = ["-checked_at"]
        indexes = [models.Index(fields=["checked_at"])]

    def __str__(self) -> str:
        return f"{self.target} {self.checked_at:%Y-%m-%d}"


class Result(models.TextChoices):
    PASS = "pass", _("合格")
    FAIL = "fail", _("不合格")
    NOT_APPLICABLE = "na", _("不适用")


class ItemResult(models.Model):
    scope_path_field = "record__target__region__path"

    record = models.ForeignKey(TargetCheck, on_delete=models.CASCADE, related_name="results", verbose_name=_("排查记录"))
    item = models.ForeignKey(ChecklistItem, on_delete=models.PROTECT, related_name="results", verbose_name=_("检查项"))
    result = models.CharField(_("结果"), max_length=8, choices=Result.choices)
    note = models.CharField(_("问题描述"), max_length=300, blank=True)
    case = models.ForeignKey("cases.Case", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("立案"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("检查项结果")
        ordering = ["record", "item__number"]
        constraints = [models.UniqueConstraint(fields=["record", "item"], name="item_result_unique")]

    def __str__(self) -> str:
        return f"{self.item.text}:{self.get_result_display()}"
