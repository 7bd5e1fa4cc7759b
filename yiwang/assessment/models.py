"""Assessment (考评) and honours (评优).

Scores are computed from the records (see scoring.py for the formulas and selectors.py for the
records behind them), not stored as numbers someone typed. What is stored: the rule values the
formulas read (editable), which areas a property company manages, the yearly review of a grid
worker (a frozen snapshot of its computed score, with the reviewer's grade), and honour rounds with
their nominations and the evidence each nomination rests on.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class AssessmentRule(models.Model):
    """One number a scoring formula reads (a weight or a threshold), seeded and editable."""

    code = models.CharField(_("代码"), max_length=64, unique=True)
    label = models.CharField(_("名称"), max_length=100)
    value = models.FloatField(_("数值"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("考评规则")
        ordering = ["code"]

    def __str__(self) -> str:
        return f"{self.label} = {self.value:g}"


class ManagedArea(models.Model):
    """A property company (registry.Place of kind property_company) manages this region (a grid or
    micro-grid); complaints and residents' scores are counted over its areas."""

    scope_path_field = "region__path"

    company = models.ForeignKey("registry.Place", on_delete=models.CASCADE, related_name="managed_areas", verbose_name=_("物业公司"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("服务区域"))
    households = models.PositiveIntegerField(_("服务户数"), null=True, blank=True)
    starts_on = models.DateField(_("起始日期"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("物业服务区域")
        constraints = [models.UniqueConstraint(fields=["company", "region"], name="managed_area_once")]

    def __str__(self) -> str:
        return f"{self.company} · {self.region}"


class ReviewGrade(models.TextChoices):
    EXCELLENT = "excellent", _("优秀")
    GOOD = "good", _("称职")
    BASIC = "basic", _("基本称职")
    POOR = "poor", _("不称职")


class WorkerReview(models.Model):
    """The yearly review of one grid worker: the computed score frozen when the reviewer signs it."""

    scope_path_field = "region__path"

    worker = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="reviews", verbose_name=_("网格员"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("网格"))
    year = models.PositiveSmallIntegerField(_("年度"))
    score = models.FloatField(_("得分"))
    rank_in_community = models.PositiveIntegerField(_("社区排名"), null=True, blank=True)
    workers_in_community = models.PositiveIntegerField(_("社区网格员数"), null=True, blank=True)
    # The score's components and the rule values used, as shown on the worker's page when signed.
    computation = models.JSONField(_("计算过程"), default=dict)
    grade = models.CharField(_("等次"), max_length=16, choices=ReviewGrade.choices)
    comment = models.TextField(_("评语"), blank=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("评定人"))
    reviewed_at = models.DateTimeField(_("评定时间"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("网格员年度考评")
        ordering = ["-year", "-score"]
        constraints = [models.UniqueConstraint(fields=["worker", "year"], name="one_review_per_worker_year")]

    def __str__(self) -> str:
        return f"{self.worker} {self.year} {self.get_grade_display()}"


class HonourKind(models.TextChoices):
    MOST_BEAUTIFUL = "most_beautiful", _("最美云枫人")
    GRID_WORKER = "grid_worker", _("优秀网格员")
    THREE_HEADS = "three_heads", _("优秀三长")
    VOLUNTEER = "volunteer", _("优秀志愿者")
    PARTY_MEMBER = "party_member", _("优秀党员")


class RoundStatus(models.TextChoices):
    NOMINATING = "nominating", _("提名中")
    DECIDED = "decided", _("已评定")


class HonourRound(models.Model):
    """One round of an honour in a region and year: nominations, then one decision."""

    scope_path_field = "region__path"

    kind = models.CharField(_("荣誉"), max_length=20, choices=HonourKind.choices)
    title = models.CharField(_("名称"), max_length=120)
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("评选区域"))
    year = models.PositiveSmallIntegerField(_("年度"))
    places = models.PositiveSmallIntegerField(_("名额"))
    status = models.CharField(_("状态"), max_length=16, choices=RoundStatus.choices, default=RoundStatus.NOMINATING)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("发起人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("评定人"))
    decided_at = models.DateTimeField(_("评定时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("评优")
        ordering = ["-year", "kind"]
        constraints = [models.UniqueConstraint(fields=["kind", "region", "year"], name="one_honour_round_per_region_year")]

    def __str__(self) -> str:
        return self.title


class NominationSource(models.TextChoices):
    RECORDS = "records", _("按工作记录")
    VOTE = "vote", _("按群众投票")
    MANUAL = "manual", _("组织推荐")


class Nomination(models.Model):
    """A candidate in a round, with the evidence the nomination rests on (records or votes)."""

    scope_path_field = "round__region__path"

    round = models.ForeignKey(HonourRound, on_delete=models.CASCADE, related_name="nominations", verbose_name=_("评优"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("候选人（账号）"))
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("候选人（人员）"))
    name = models.CharField(_("候选人"), max_length=50)
    source = models.CharField(_("提名依据"), max_length=16, choices=NominationSource.choices)
    score = models.FloatField(_("依据分值"), null=True, blank=True, help_text=_("考评得分、服务时长或得票数，按提名依据"))
    # [{"label": ..., "value": ..., "url": ...}]: what a reader clicks to see the records or the vote.
    evidence = models.JSONField(_("依据"), default=list)
    reason = models.TextField(_("推荐理由"), blank=True)
    awarded = models.BooleanField(_("当选"), default=False)
    nominated_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("提名人"))
    nominated_at = models.DateTimeField(_("提名时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("评优提名")
        ordering = ["round", "-score", "name"]
        constraints = [
            models.CheckConstraint(condition=Q(user__isnull=False) | Q(person__isnull=False) | ~Q(name=""), name="nomination_names_someone"),
            models.UniqueConstraint(fields=["round", "user"], condition=Q(user__isnull=False), name="nominate_user_once"),
            models.UniqueConstraint(fields=["round", "person"], condition=Q(person__isnull=False), name="nominate_person_once"),
        ]

    def __str__(self) -> str:
        return f"{self.round}: {self.name}"
