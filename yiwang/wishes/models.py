"""Micro-wishes (微心愿): 群众点单、社区派单、党员接单.

A resident posts a small wish (or community staff post it for a named person); the community
reviews it and publishes it, optionally with a deadline; a party member, a volunteer or an
alliance unit claims it (exactly one claimant), may give it back before fulfilling, records the
fulfilment with photos, and the resident confirms (community staff confirm for a resident without
an account, recorded as such). A resident may withdraw a wish before it is claimed.

    submitted ──approve──▶ published ──claim──▶ claimed ──fulfil──▶ fulfilled ──confirm──▶ confirmed
        │                     │   ▲                │
        ├─reject─▶ rejected   │   └────release─────┘
        └─withdraw─▶ withdrawn ◀┘ (withdraw, before claim)

Every row is scoped through the region where the person lives (`region`, a grid or micro-grid).
Each step leaves a `WishEvent`, so a given-back claim stays on the record.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class WishStatus(models.TextChoices):
    SUBMITTED = "submitted", _("待审核")
    PUBLISHED = "published", _("待认领")
    REJECTED = "rejected", _("未通过")
    CLAIMED = "claimed", _("已认领")
    FULFILLED = "fulfilled", _("已圆梦待确认")
    CONFIRMED = "confirmed", _("已确认")
    WITHDRAWN = "withdrawn", _("已撤回")


class WishCategory(models.TextChoices):
    DAILY_HELP = "daily_help", _("生活帮扶")
    STUDY = "study", _("助学圆梦")
    HEALTH = "health", _("健康就医")
    GOODS = "goods", _("物品捐赠")
    REPAIR = "repair", _("家电维修")
    COMPANY = "company", _("陪伴关爱")
    OTHER = "other", _("其他")


class ClaimantKind(models.TextChoices):
    PARTY_MEMBER = "party_member", _("党员")
    VOLUNTEER = "volunteer", _("志愿者")
    ALLIANCE_UNIT = "alliance_unit", _("共建单位")


class PostedVia(models.TextChoices):
    RESIDENT = "resident", _("居民本人提交")
    STAFF = "staff", _("工作人员代为提交")


class ConfirmedVia(models.TextChoices):
    RESIDENT = "resident", _("居民本人确认")
    STAFF_FOR_RESIDENT = "staff_for_resident", _("社区代无账号居民确认")


class Wish(models.Model):
    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("所属网格"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="wishes", verbose_name=_("心愿人"))
    title = models.CharField(_("心愿"), max_length=100)
    content = models.TextField(_("详细说明"), blank=True)
    category = models.CharField(_("类别"), max_length=16, choices=WishCategory.choices, default=WishCategory.DAILY_HELP)
    status = models.CharField(_("状态"), max_length=16, choices=WishStatus.choices, default=WishStatus.SUBMITTED, db_index=True)

    posted_at = models.DateTimeField(_("提交时间"))
    posted_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("提交人"))
    posted_via = models.CharField(_("提交方式"), max_length=16, choices=PostedVia.choices, default=PostedVia.RESIDENT)

    reviewed_at = models.DateTimeField(_("审核时间"), null=True, blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("审核人"))
    reject_reason = models.CharField(_("不通过原因"), max_length=200, blank=True)
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)
    deadline = models.DateField(_("认领截止日期"), null=True, blank=True, help_text=_("过期后不能再认领"))

    claimant_kind = models.CharField(_("认领方类型"), max_length=16, choices=ClaimantKind.choices, blank=True)
    claimant_person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="claimed_wishes",
                                        verbose_name=_("认领人"))
    claimant_unit = models.ForeignKey("matters.Department", null=True, blank=True, on_delete=models.PROTECT, related_name="claimed_wishes",
                                      verbose_name=_("认领单位"))
    claimed_at = models.DateTimeField(_("认领时间"), null=True, blank=True)
    claimed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("认领操作人"))

    fulfilled_at = models.DateTimeField(_("圆梦时间"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("圆梦登记人"))
    fulfilment_note = models.TextField(_("圆梦情况"), blank=True)

    confirmed_at = models.DateTimeField(_("确认时间"), null=True, blank=True)
    confirmed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                     verbose_name=_("确认人"))
    confirmed_via = models.CharField(_("确认方式"), max_length=24, choices=ConfirmedVia.choices, blank=True)
    feedback = models.CharField(_("居民评价"), max_length=200, blank=True)

    withdrawn_at = models.DateTimeField(_("撤回时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("微心愿")
        ordering = ["-posted_at", "-id"]
        indexes = [models.Index(fields=["status", "region"]), models.Index(fields=["fulfilled_at"])]
        constraints = [
            # A claimed wish names exactly one claimant: a person (party member, volunteer) or a unit.
            models.CheckConstraint(
                name="wish_one_claimant",
                condition=(models.Q(claimant_kind="", claimant_person__isnull=True, claimant_unit__isnull=True)
                           | models.Q(claimant_kind__in=["party_member", "volunteer"], claimant_person__isnull=False, claimant_unit__isnull=True)
                           | models.Q(claimant_kind="alliance_unit", claimant_person__isnull=True, claimant_unit__isnull=False)),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def claimant_label(self) -> str:
        if self.claimant_unit_id:
            return self.claimant_unit.name
        if self.claimant_person_id:
            return f"{self.claimant_person.name}({self.get_claimant_kind_display()})"
        return ""

    @property
    def person_masked(self) -> str:
        """The wisher's name as neighbours see it before anyone has claimed: surname only."""
        name = self.person.name
        return name[:1] + "*" * max(len(name) - 1, 1)


EVENT_LABELS = {"post": _("提交"), "approve": _("审核通过并发布"), "reject": _("审核不通过"), "claim": _("认领"), "release": _("退回认领"),
                "fulfil": _("登记圆梦"), "confirm": _("确认圆梦"), "withdraw": _("撤回")}


class WishEvent(models.Model):
    """One step of a wish, kept for the record (a given-back claim, a rejection's reason ...)."""

    scope_path_field = "wish__region__path"

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="events", verbose_name=_("微心愿"))
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                              verbose_name=_("操作人"))
    action = models.CharField(_("动作"), max_length=16)
    from_status = models.CharField(_("原状态"), max_length=16, blank=True)
    to_status = models.CharField(_("新状态"), max_length=16)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("微心愿记录")
        ordering = ["wish", "at", "id"]

    def __str__(self) -> str:
        return f"{self.wish} {self.action}"

    @property
    def action_label(self) -> str:
        return str(EVENT_LABELS.get(self.action, self.action))


class WishPhoto(models.Model):
    """A fulfilment photo: personal data (it may show the wisher's home), served only to staff in
    scope, the wisher and the claimant."""

    scope_path_field = "wish__region__path"

    wish = models.ForeignKey(Wish, on_delete=models.CASCADE, related_name="photos", verbose_name=_("微心愿"))
    image = models.FileField(_("图片"), upload_to="wishes/%Y/%m/")
    content_type = models.CharField(max_length=32)
    size = models.PositiveIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("圆梦照片")
        ordering = ["wish", "id"]
