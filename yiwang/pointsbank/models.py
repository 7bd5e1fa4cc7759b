"""Points banks (积分银行): banks with dimensions and rules, an append-only ledger per resident,
balances that never go negative, a rewards catalogue with stock, redemptions, and the red and
black lists (红黑榜) a community publishes.

The ledger is the record: an entry is never changed or deleted; a mistake is corrected by a
reversing entry that names the entry it reverses. The balance row per person and bank is a
running total kept in the same transaction as each entry, so a debit can lock it and refuse
before the total would drop below zero.
"""

from __future__ import annotations

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import ScopedManager
from yiwang.registry.models import PersonLinkedQuerySet

# Rows about one resident are visible exactly when the resident is (need to know for departments,
# sensitive groups only with the permission): PersonLinkedQuerySet applies the registry's rules.
PersonLinkedManager = models.Manager.from_queryset(PersonLinkedQuerySet)


class Bank(models.Model):
    """A points bank. `region` empty: open to residents everywhere (the seeded banks); else only
    to residents under that region (a community's own bank)."""

    code = models.SlugField(_("代码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=50)
    description = models.TextField(_("说明"), blank=True)
    region = models.ForeignKey("regions.Region", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("所属区域"), help_text=_("留空为全区通用；填写社区则为该社区自己的积分银行"))
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("积分银行")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.name

    def serves(self, region_path: str) -> bool:
        """Whether a resident living at `region_path` may hold points in this bank."""
        return self.region_id is None or region_path.startswith(self.region.path)


class Dimension(models.Model):
    """A dimension of a bank, e.g. the moral bank's 修身、润家、睦邻、怡城."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="dimensions", verbose_name=_("积分银行"))
    code = models.SlugField(_("代码"), max_length=32)
    name = models.CharField(_("名称"), max_length=30)
    description = models.CharField(_("说明"), max_length=200, blank=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    class Meta:
        verbose_name = verbose_name_plural = _("积分维度")
        ordering = ["bank", "order", "code"]
        constraints = [models.UniqueConstraint(fields=["bank", "code"], name="pointsbank_dimension_unique_code")]

    def __str__(self) -> str:
        return self.name


class Rule(models.Model):
    """A points rule: what earns (or costs) how many points per occurrence, and whether the
    granter must attach evidence."""

    bank = models.ForeignKey(Bank, on_delete=models.CASCADE, related_name="rules", verbose_name=_("积分银行"))
    dimension = models.ForeignKey(Dimension, on_delete=models.PROTECT, related_name="rules", verbose_name=_("维度"))
    code = models.SlugField(_("代码"), max_length=40)
    title = models.CharField(_("积分事项"), max_length=100)
    points = models.IntegerField(_("每次分值"), help_text=_("负数为扣分项"))
    evidence_required = models.BooleanField(_("须附佐证"), default=True)
    active = models.BooleanField(_("启用"), default=True)
    order = models.PositiveSmallIntegerField(_("排序"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = _("积分规则")
        ordering = ["bank", "dimension__order", "order", "code"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "code"], name="pointsbank_rule_unique_code"),
            models.CheckConstraint(condition=~models.Q(points=0), name="pointsbank_rule_points_nonzero"),
        ]

    def __str__(self) -> str:
        return f"{self.title} {self.points:+d}"


class EntryKind(models.TextChoices):
    GRANT = "grant", _("加分")
    DEDUCT = "deduct", _("扣分")
    REDEEM = "redeem", _("兑换")
    REFUND = "refund", _("兑换退回")
    REVERSAL = "reversal", _("冲正")


class ImmutableLedger(Exception):
    """An attempt to change or delete a ledger entry."""


class LedgerQuerySet(PersonLinkedQuerySet):
    # Bulk writes would bypass the entries' own guard; the ledger only grows.
    def update(self, **kwargs):
        raise ImmutableLedger("ledger entries are never updated; add a reversing entry")

    def delete(self):
        raise ImmutableLedger("ledger entries are never deleted; add a reversing entry")


class LedgerEntry(models.Model):
    """One line of a resident's points account. Append-only."""

    scope_path_field = "person__region__path"

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="entries", verbose_name=_("积分银行"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="points_entries", verbose_name=_("居民"))
    kind = models.CharField(_("类型"), max_length=16, choices=EntryKind.choices)
    points = models.IntegerField(_("积分"))
    balance_after = models.IntegerField(_("变动后余额"))
    dimension = models.ForeignKey(Dimension, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("维度"))
    rule = models.ForeignKey(Rule, null=True, blank=True, on_delete=models.PROTECT, related_name="entries", verbose_name=_("积分规则"))
    reason = models.CharField(_("事由"), max_length=200)
    evidence = models.TextField(_("佐证说明"), blank=True)
    photo = models.FileField(_("佐证照片"), upload_to="pointsbank/%Y/%m/", blank=True)
    photo_content_type = models.CharField(max_length=32, blank=True)
    source = models.CharField(_("来源"), max_length=40, blank=True, help_text=_("写入这条记录的业务，如 pointsbank、volunteers、wishes"))
    granted_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("经办人"))
    at = models.DateTimeField(_("时间"), db_index=True)
    reverses = models.OneToOneField("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reversed_by",
                                    verbose_name=_("冲正的记录"))
    redemption = models.ForeignKey("Redemption", null=True, blank=True, on_delete=models.PROTECT, related_name="entries",
                                   verbose_name=_("兑换单"))

    objects = models.Manager.from_queryset(LedgerQuerySet)()

    class Meta:
        verbose_name = verbose_name_plural = _("积分流水")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "bank", "at"]), models.Index(fields=["bank", "at"])]
        constraints = [
            models.CheckConstraint(condition=~models.Q(points=0), name="pointsbank_entry_points_nonzero"),
            models.CheckConstraint(condition=models.Q(balance_after__gte=0), name="pointsbank_entry_balance_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.bank} {self.points:+d}"

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ImmutableLedger("ledger entries are never updated; add a reversing entry")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ImmutableLedger("ledger entries are never deleted; add a reversing entry")


class Balance(models.Model):
    """The running total of one person in one bank, kept with every entry (locked for debits)."""

    scope_path_field = "person__region__path"

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="balances", verbose_name=_("积分银行"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="points_balances", verbose_name=_("居民"))
    points = models.IntegerField(_("余额"), default=0)
    earned = models.IntegerField(_("累计获得"), default=0)
    spent = models.IntegerField(_("累计使用"), default=0)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = PersonLinkedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("积分余额")
        ordering = ["bank", "-points"]
        constraints = [
            models.UniqueConstraint(fields=["bank", "person"], name="pointsbank_balance_unique"),
            models.CheckConstraint(condition=models.Q(points__gte=0), name="pointsbank_balance_nonnegative"),
        ]

    def __str__(self) -> str:
        return f"{self.person} {self.bank} {self.points}"


class Reward(models.Model):
    """A reward in the catalogue. Its stock belongs to `region`: a community's own stock, or a
    street/district stock shared by every community under it (bank-wide)."""

    scope_path_field = "region__path"

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="rewards", verbose_name=_("积分银行"))
    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("供应范围"))
    name = models.CharField(_("奖品"), max_length=100)
    description = models.CharField(_("说明"), max_length=300, blank=True)
    points_cost = models.PositiveIntegerField(_("所需积分"))
    stock = models.PositiveIntegerField(_("库存"), default=0)
    active = models.BooleanField(_("上架"), default=True)
    created_at = models.DateTimeField(_("创建时间"), auto_now_add=True)
    updated_at = models.DateTimeField(_("更新时间"), auto_now=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("兑换奖品")
        ordering = ["bank", "points_cost", "name"]
        constraints = [
            models.CheckConstraint(condition=models.Q(points_cost__gt=0), name="pointsbank_reward_cost_positive"),
            models.CheckConstraint(condition=models.Q(stock__gte=0), name="pointsbank_reward_stock_nonnegative"),
        ]

    def __str__(self) -> str:
        return self.name


class RedemptionStatus(models.TextChoices):
    PENDING = "pending", _("待领取")
    FULFILLED = "fulfilled", _("已领取")
    CANCELLED = "cancelled", _("已取消")


class Redemption(models.Model):
    scope_path_field = "person__region__path"

    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("积分银行"))
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="points_redemptions", verbose_name=_("居民"))
    reward = models.ForeignKey(Reward, on_delete=models.PROTECT, related_name="redemptions", verbose_name=_("奖品"))
    quantity = models.PositiveSmallIntegerField(_("数量"), default=1)
    points = models.PositiveIntegerField(_("使用积分"))
    status = models.CharField(_("状态"), max_length=16, choices=RedemptionStatus.choices, default=RedemptionStatus.PENDING)
    created_at = models.DateTimeField(_("兑换时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("兑换人"))
    fulfilled_at = models.DateTimeField(_("领取时间"), null=True, blank=True)
    fulfilled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("发放人"))
    cancelled_at = models.DateTimeField(_("取消时间"), null=True, blank=True)
    cancelled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("取消人"))
    note = models.CharField(_("备注"), max_length=200, blank=True)

    objects = PersonLinkedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("积分兑换")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["status", "created_at"])]
        constraints = [models.CheckConstraint(condition=models.Q(quantity__gte=1), name="pointsbank_redemption_quantity_positive")]

    def __str__(self) -> str:
        return f"{self.person} {self.reward} ×{self.quantity}"


class ConductRecord(models.Model):
    """An uncivil behaviour record (不文明行为) entered by staff; the black list draws on these."""

    scope_path_field = "person__region__path"

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="conduct_records", verbose_name=_("居民"))
    occurred_on = models.DateField(_("发生日期"))
    description = models.CharField(_("不文明行为"), max_length=300)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("记录人"))
    recorded_at = models.DateTimeField(_("记录时间"))

    objects = PersonLinkedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("不文明行为记录")
        ordering = ["-occurred_on", "-id"]

    def __str__(self) -> str:
        return f"{self.person} {self.occurred_on} {self.description}"


class BoardStatus(models.TextChoices):
    DRAFT = "draft", _("草稿")
    PUBLISHED = "published", _("已发布")


class Board(models.Model):
    """A community's red and black list (红黑榜) for a period. Drafts are for staff only;
    published boards are shown to the community's residents and no longer change."""

    scope_path_field = "region__path"

    region = models.ForeignKey("regions.Region", on_delete=models.PROTECT, related_name="+", verbose_name=_("社区"))
    bank = models.ForeignKey(Bank, on_delete=models.PROTECT, related_name="boards", verbose_name=_("积分银行"))
    title = models.CharField(_("标题"), max_length=100)
    period_start = models.DateField(_("起始日期"))
    period_end = models.DateField(_("截止日期"))
    status = models.CharField(_("状态"), max_length=16, choices=BoardStatus.choices, default=BoardStatus.DRAFT)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("创建人"))
    created_at = models.DateTimeField(_("创建时间"))
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("发布人"))
    published_at = models.DateTimeField(_("发布时间"), null=True, blank=True)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("红黑榜")
        ordering = ["-period_end", "-id"]
        constraints = [models.CheckConstraint(condition=models.Q(period_end__gte=models.F("period_start")),
                                              name="pointsbank_board_period_ordered")]

    def __str__(self) -> str:
        return self.title


class ListKind(models.TextChoices):
    RED = "red", _("红榜")
    BLACK = "black", _("黑榜")


class BoardEntry(models.Model):
    scope_path_field = "board__region__path"

    board = models.ForeignKey(Board, on_delete=models.CASCADE, related_name="entries", verbose_name=_("红黑榜"))
    kind = models.CharField(_("榜单"), max_length=8, choices=ListKind.choices)
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+", verbose_name=_("居民"))
    reason = models.CharField(_("理由"), max_length=300)
    points = models.IntegerField(_("期间积分"), null=True, blank=True)
    conduct = models.ForeignKey(ConductRecord, null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                                verbose_name=_("不文明行为记录"))
    order = models.PositiveSmallIntegerField(_("排序"), default=0)

    objects = ScopedManager()

    class Meta:
        verbose_name = verbose_name_plural = _("红黑榜条目")
        ordering = ["board", "kind", "order", "id"]
        constraints = [models.UniqueConstraint(fields=["board", "kind", "person"], name="pointsbank_board_entry_once")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.person}"

    def clean(self) -> None:
        if self.kind == ListKind.RED and self.conduct_id:
            raise ValidationError({"conduct": "红榜不引用不文明行为记录"})
