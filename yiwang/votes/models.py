"""Ballots and questionnaires (投票与问卷).

A ballot belongs to a region (who runs it) and is open to the residents of one eligibility scope:
a building, or a region (a grid, a community ...). It has typed questions; options may name a
candidate person or account, or just a label (a livelihood project). Each resident votes once per
ballot (`Vote`, unique per ballot and person), and the answers hang off that vote.

Life: draft → open → closed → published. Voting happens only while open and between `opens_at`
and `closes_at`; a ballot past its `closes_at` counts as closed (and published, when
`publish_on_close`) even before the sweep writes it down (see `Ballot.phase`).

Secrecy: pages and the API show who took part (turnout) and totals, never one person's answers.
"""

from __future__ import annotations

from datetime import datetime

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class BallotKind(models.TextChoices):
    PROJECT = "project", _("民生实事项目评选")
    SATISFACTION = "satisfaction", _("满意度调查")
    HONOUR = "honour", _("评优投票")
    GENERAL = "general", _("一般投票")


class BallotStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    OPEN = "open", _("已开启")
    CLOSED = "closed", _("已截止")
    PUBLISHED = "published", _("已公布")


class Phase(models.TextChoices):
    """What a ballot is at a given moment, from its status and its times."""

    DRAFT = "draft", _("草稿")
    SCHEDULED = "scheduled", _("未开始")
    VOTING = "voting", _("投票中")
    CLOSED = "closed", _("已截止")
    PUBLISHED = "published", _("已公布")


class Ballot(models.Model):
    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("发起单位"))
    title = models.CharField(_("标题"), max_length=120)
    kind = models.CharField(_("类型"), max_length=16, choices=BallotKind.choices, default=BallotKind.GENERAL)
    description = models.TextField(_("说明"), blank=True)
    # The half-year or round this ballot belongs to, e.g. "2026年上半年" for the grid project votes.
    period = models.CharField(_("期次"), max_length=40, blank=True)
    eligible_region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                        verbose_name=_("投票范围（区域）"))
    eligible_building = models.ForeignKey("registry.Building", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                          verbose_name=_("投票范围（楼栋）"))
    opens_at = models.DateTimeField(_("开始时间"))
    closes_at = models.DateTimeField(_("截止时间"))
    status = models.CharField(_("状态"), max_length=16, choices=BallotStatus.choices, default=BallotStatus.DRAFT)
    # Honour votes are often reviewed before they are announced: then closing does not publish.
    publish_on_close = models.BooleanField(_("截止即公布结果"), default=True)
    opened_at = models.DateTimeField(_("开启于"), null=True, blank=True)
    closed_at = models.DateTimeField(_("截止于"), null=True, blank=True)
    published_at = models.DateTimeField(_("公布于"), null=True, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("投票/问卷")
        ordering = ["-opens_at", "-id"]
        constraints = [
            # Exactly one eligibility scope: a region or a building.
            models.CheckConstraint(
                condition=(Q(eligible_region__isnull=False, eligible_building__isnull=True)
                           | Q(eligible_region__isnull=True, eligible_building__isnull=False)),
                name="ballot_one_eligibility_scope"),
            models.CheckConstraint(condition=Q(closes_at__gt=models.F("opens_at")), name="ballot_closes_after_opening"),
        ]
        indexes = [models.Index(fields=["status", "closes_at"])]

    def __str__(self) -> str:
        return self.title

    def phase(self, now: datetime | None = None) -> str:
        now = now or timezone.now()
        if self.status == BallotStatus.DRAFT:
            return Phase.DRAFT
        if self.status == BallotStatus.PUBLISHED:
            return Phase.PUBLISHED
        if self.status == BallotStatus.CLOSED:
            return Phase.CLOSED
        if now < self.opens_at:
            return Phase.SCHEDULED
        if now < self.closes_at:
            return Phase.VOTING
        return Phase.PUBLISHED if self.publish_on_close else Phase.CLOSED

    def phase_label(self, now: datetime | None = None) -> str:
        return Phase(self.phase(now)).label

    @property
    def scope_label(self) -> str:
        if self.eligible_building_id:
            return f"{self.eligible_building.name}居民"
        return f"{self.eligible_region.name}居民" if self.eligible_region_id else ""


class QuestionKind(models.TextChoices):
    SINGLE = "single", _("单选")
    MULTIPLE = "multiple", _("多选")
    RATING = "rating", _("评分（1-5）")
    TEXT = "text", _("文字")


CHOICE_KINDS = (QuestionKind.SINGLE, QuestionKind.MULTIPLE)
RATING_MIN, RATING_MAX = 1, 5


class Question(models.Model):
    scope_path_field = "ballot__region__path"

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="questions", verbose_name=_("投票/问卷"))
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    text = models.CharField(_("题目"), max_length=300)
    kind = models.CharField(_("题型"), max_length=16, choices=QuestionKind.choices, default=QuestionKind.SINGLE)
    required = models.BooleanField(_("必答"), default=True)
    # Multiple choice: at most this many picks (empty: any number).
    max_choices = models.PositiveSmallIntegerField(_("最多选"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("题目")
        ordering = ["ballot", "position", "id"]

    def __str__(self) -> str:
        return self.text

    @property
    def is_choice(self) -> bool:
        return self.kind in CHOICE_KINDS


class Option(models.Model):
    """A choice. For an honour vote it names the candidate (a person or an account); for a project
    vote the label alone says which project."""

    scope_path_field = "question__ballot__region__path"

    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="options", verbose_name=_("题目"))
    position = models.PositiveSmallIntegerField(_("序号"), default=1)
    label = models.CharField(_("选项"), max_length=200)
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("候选人（居民）"))
    user = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                             verbose_name=_("候选人（账号）"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("选项")
        ordering = ["question", "position", "id"]

    def __str__(self) -> str:
        return self.label


class Vote(models.Model):
    """One resident's participation in one ballot; the database refuses a second."""

    scope_path_field = "ballot__region__path"

    ballot = models.ForeignKey(Ballot, on_delete=models.CASCADE, related_name="votes", verbose_name=_("投票/问卷"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("投票人"))
    # Where the voter lived when voting, for turnout by grid (people move; the count should not).
    voter_region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("投票人所在网格"))
    cast_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("提交人"))
    cast_at = models.DateTimeField(_("投票时间"))

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("投票记录")
        ordering = ["-cast_at"]
        constraints = [models.UniqueConstraint(fields=["ballot", "person"], name="vote_one_per_person")]

    def __str__(self) -> str:
        return f"{self.ballot} · {self.person_id}"


class Answer(models.Model):
    """One answer; a multiple-choice question has one row per picked option."""

    scope_path_field = "vote__ballot__region__path"

    vote = models.ForeignKey(Vote, on_delete=models.CASCADE, related_name="answers", verbose_name=_("投票记录"))
    question = models.ForeignKey(Question, on_delete=models.CASCADE, related_name="answers", verbose_name=_("题目"))
    option = models.ForeignKey(Option, null=True, blank=True, on_delete=models.CASCADE, related_name="answers", verbose_name=_("选项"))
    rating = models.PositiveSmallIntegerField(_("评分"), null=True, blank=True)
    text = models.TextField(_("文字回答"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("答案")
        constraints = [
            models.UniqueConstraint(fields=["vote", "question", "option"], name="answer_option_once"),
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=RATING_MIN, rating__lte=RATING_MAX),
                                   name="answer_rating_in_range"),
        ]
