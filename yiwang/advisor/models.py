"""Grid re-division proposals (网格优化调整) and the divisions they replaced.

A street asks the advisor for a division of one community, may move buildings between its grids,
and proposes it; the level above approves (or rejects) it. Approval applies it in one transaction
and keeps the division it replaced as a `DivisionSnapshot`.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager


class ProposalStatus(models.TextChoices):
    PROPOSED = "proposed", _("待审批")
    APPROVED = "approved", _("已生效")
    REJECTED = "rejected", _("已驳回")


class DivisionProposal(models.Model):
    """A proposed division of one community's buildings into grids.

    `plan` is {building code: grid code (an existing grid, or "新网格1"… for one to be made)};
    `basis` is the fingerprint of today's division it was made from, so a proposal made before
    another change landed is refused rather than undoing it. `figures` keeps the spreads and moves
    the street saw when proposing."""

    scope_path_field = "community__path"

    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    status = models.CharField(_("状态"), max_length=16, choices=ProposalStatus.choices, default=ProposalStatus.PROPOSED)
    plan = models.JSONField(_("划分方案"))
    basis = models.CharField(_("基于的现行划分"), max_length=64)
    figures = models.JSONField(_("指标"), default=dict)
    reason = models.TextField(_("调整理由"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                    verbose_name=_("提出人"))
    proposed_at = models.DateTimeField(_("提出时间"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                   verbose_name=_("审批人"))
    decided_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    decision_note = models.TextField(_("审批意见"), blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("网格调整提案")
        ordering = ["-proposed_at", "-id"]

    def __str__(self) -> str:
        return f"{self.community.name} 网格调整提案 #{self.pk}"


class DivisionSnapshot(models.Model):
    """The division an approved proposal replaced: every grid's boundary and households, which grid
    each building, force assignment and open case was in. Kept as the old version; never edited."""

    scope_path_field = "community__path"

    community = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    proposal = models.OneToOneField(DivisionProposal, on_delete=models.PROTECT, related_name="snapshot", verbose_name=_("提案"))
    data = models.JSONField(_("原划分"))
    taken_at = models.DateTimeField(_("保存时间"), auto_now_add=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("网格划分历史版本")
        ordering = ["-taken_at", "-id"]

    def __str__(self) -> str:
        return f"{self.community.name} 划分版本 #{self.pk}"
