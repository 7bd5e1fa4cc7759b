"""Writes of the points banks. Every change is one transaction with an audit entry.

Money-like rules: an entry is appended together with the person's balance row, which is locked
first (select_for_update), so two debits cannot both read the same balance; a debit that would
leave the balance below zero is refused with the field named. Stock is locked the same way.
Lock order everywhere: redemption → balance → reward, so two transactions never wait on each
other in a circle.

`grant_points` is the contract other apps call (volunteers, wishes, ...): it trusts the caller's
own permission check but insists on an authenticated `acting_user`, who is written on the entry.
Pages and the API go through `grant_for_staff`, which adds the scope check.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q, Sum
from django.utils import timezone
from django.utils.translation import gettext

from yiwang.core import audit
from yiwang.core.scope import Action, Role, require
from yiwang.core.statemachine import StateMachine, Transition
from yiwang.regions.models import Level, Region

from .models import (
    Balance, Bank, Board, BoardEntry, BoardStatus, ConductRecord, Dimension, EntryKind, LedgerEntry, ListKind, Redemption,
    RedemptionStatus, Reward, Rule,
)

MAX_POINTS_PER_ENTRY = 1000
RED_LIST_SIZE = 10

# A redemption waits to be handed over, then is handed over or cancelled (points and stock come back).
REDEMPTION_MACHINE = StateMachine([
    Transition("fulfil", RedemptionStatus.PENDING, RedemptionStatus.FULFILLED, stamp="fulfilled_at"),
    Transition("cancel", RedemptionStatus.PENDING, RedemptionStatus.CANCELLED, stamp="cancelled_at"),
])
# A red and black list is edited as a draft, then published and no longer changes.
BOARD_MACHINE = StateMachine([
    Transition("edit", BoardStatus.DRAFT, None),
    Transition("publish", BoardStatus.DRAFT, BoardStatus.PUBLISHED, stamp="published_at"),
])


# Helpers -----------------------------------------------------------------------------------------

def _require_actor(acting_user) -> None:
    if not getattr(acting_user, "is_authenticated", False):
        raise ValidationError({"acting_user": "每条积分记录都须记明经办人，请先登录"})


def _active_bank(bank_code: str) -> Bank:
    bank = Bank.objects.select_related("region").filter(code=bank_code).first()
    if bank is None:
        raise ValidationError({"bank_code": f"没有代码为“{bank_code}”的积分银行"})
    if not bank.active:
        raise ValidationError({"bank_code": f"积分银行“{bank.name}”已停用"})
    return bank


def _person_region_path(person) -> str:
    region = getattr(person, "region", None)
    if region is None:
        raise ValidationError({"person": "该居民没有登记所在网格"})
    return region.path


def _locked_balance(bank: Bank, person) -> Balance:
    """The person's balance row in `bank`, created if missing, locked for this transaction."""
    row, _ = Balance.objects.get_or_create(bank=bank, person=person)
    return Balance.objects.select_for_update().get(pk=row.pk)


def _append(*, balance: Balance, kind: str, points: int, reason: str, acting_user, source: str, rule: Rule | None = None,
            dimension: Dimension | None = None, evidence: str = "", photo=None, reverses: LedgerEntry | None = None,
            redemption: Redemption | None = None, field: str = "points", at=None) -> LedgerEntry:
    """Append one entry and move the (already locked) balance with it; refuse a negative result."""
    if points == 0:
        raise ValidationError({field: "积分变动不能为 0"})
    after = balance.points + points
    if after < 0:
        raise ValidationError({field: f"余额不足：当前余额 {balance.points} 分，本次 {points:+d} 分后将为负数"})
    entry = LedgerEntry(bank=balance.bank, person=balance.person, kind=kind, points=points, balance_after=after, rule=rule,
                        dimension=dimension or (rule.dimension if rule else None), reason=reason[:200], evidence=evidence,
                        source=source[:40], granted_by=acting_user, at=at or timezone.now(), reverses=reverses,
                        redemption=redemption)
    if photo is not None:
        entry.photo.save(f"entry-{balance.person_id}-{timezone.now():%Y%m%d%H%M%S%f}.{photo.extension}", ContentFile(photo.content),
                         save=False)
        entry.photo_content_type = photo.content_type
    entry.save()
    balance.points = after
    if points > 0 and kind in (EntryKind.GRANT,):
        balance.earned += points
    elif kind == EntryKind.REDEEM:
        balance.spent += -points
    elif kind == EntryKind.REFUND:
        balance.spent -= points
    elif kind == EntryKind.REVERSAL and reverses is not None and reverses.kind == EntryKind.GRANT:
        balance.earned += points
    balance.save(update_fields=["points", "earned", "spent", "updated_at"])
    return entry


def _checked_photo(photo):
    if photo is None or photo == "":
        return None
    from yiwang.core.photos import CheckedPhoto, check_photos

    return photo if isinstance(photo, CheckedPhoto) else check_photos([photo], field="photo")[0]


def require_bank_admin(user, bank: Bank) -> None:
    """Configuring a bank: a community's bank by staff with change rights over it; a district-wide
    bank (no region) by district staff."""
    if bank.region_id:
        require(user, Action.CHANGE, bank.region.path)
    elif not (getattr(user, "is_superuser", False) or (getattr(user, "role", "") == Role.DISTRICT and user.scope_region_id)):
        raise PermissionDenied(gettext("只有区级工作人员可以设置全区通用的积分银行"))


# Ledger ------------------------------------------------------------------------------------------

def grant_points(*, bank_code: str, person, points: int, reason: str, acting_user, rule_code: str = "", evidence: str = "",
                 source: str = "", photo=None, dimension_code: str = "", at=None) -> LedgerEntry:
    """Add points to (or, with negative points, deduct from) a resident's account in a bank.

    With a rule, the points must be a whole number of the rule's per-occurrence value (3 hours of
    service at 1 point an hour: 3), and evidence is required when the rule says so. Refused with
    a ValidationError naming the field: unknown or inactive bank (bank_code), unknown or inactive
    rule (rule_code), a result below zero (points), missing reason or evidence, no granter.

    `at` back-dates an entry taken over from a paper register (and the demo); never in the
    future, never before the person's latest entry, so the running balances stay in order."""
    _require_actor(acting_user)
    bank = _active_bank(bank_code)
    if isinstance(points, bool) or not isinstance(points, int):
        raise ValidationError({"points": "积分须为整数"})
    if points == 0:
        raise ValidationError({"points": "积分变动不能为 0"})
    if abs(points) > MAX_POINTS_PER_ENTRY:
        raise ValidationError({"points": f"单次积分不能超过 {MAX_POINTS_PER_ENTRY} 分"})
    if person is None:
        raise ValidationError({"person": "请选择居民"})
    if not bank.serves(_person_region_path(person)):
        raise ValidationError({"person": f"{person.name} 不在“{bank.name}”的服务范围内"})
    reason = (reason or "").strip()
    evidence = (evidence or "").strip()
    rule = dimension = None
    if rule_code:
        rule = Rule.objects.select_related("dimension").filter(bank=bank, code=rule_code).first()
        if rule is None:
            raise ValidationError({"rule_code": f"“{bank.name}”没有代码为“{rule_code}”的积分规则"})
        if not rule.active:
            raise ValidationError({"rule_code": f"积分规则“{rule.title}”已停用"})
        if points % rule.points != 0 or points // rule.points < 1:
            raise ValidationError({"points": f"“{rule.title}”每次 {rule.points:+d} 分，积分须为它的整数倍"})
        reason = reason or rule.title
    elif dimension_code:
        dimension = Dimension.objects.filter(bank=bank, code=dimension_code).first()
        if dimension is None:
            raise ValidationError({"dimension_code": f"“{bank.name}”没有代码为“{dimension_code}”的维度"})
    if not reason:
        raise ValidationError({"reason": "请填写积分事由"})
    checked_photo = _checked_photo(photo)
    if rule is not None and rule.evidence_required and not evidence and checked_photo is None:
        raise ValidationError({"evidence": f"“{rule.title}”须附佐证（文字说明或照片）"})
    if at is not None and at > timezone.now():
        raise ValidationError({"at": "记分时间不能晚于现在"})
    with transaction.atomic():
        balance = _locked_balance(bank, person)
        if at is not None and LedgerEntry.objects.filter(bank=bank, person=person, at__gt=at).exists():
            raise ValidationError({"at": "补录的记分时间不能早于该居民已有的记录"})
        entry = _append(balance=balance, kind=EntryKind.GRANT if points > 0 else EntryKind.DEDUCT, points=points, reason=reason,
                        acting_user=acting_user, source=source or "pointsbank", rule=rule, dimension=dimension, evidence=evidence,
                        photo=checked_photo, at=at)
        audit.record(actor=acting_user, action="pointsbank.entry.grant", target=entry,
                     detail={"bank": bank.code, "person": person.pk, "points": points, "rule": rule_code, "source": entry.source})
    return entry


def grant_for_staff(*, acting_user, person, **kwargs) -> LedgerEntry:
    """`grant_points` for pages and the API: the granter must have change rights where the person lives."""
    require(acting_user, Action.CHANGE, _person_region_path(person))
    return grant_points(acting_user=acting_user, person=person, **kwargs)


def reverse_entry(*, entry: LedgerEntry, reason: str, acting_user) -> LedgerEntry:
    """Correct a mistaken grant or deduction with an entry of the opposite sign that names it.
    Redemption entries are corrected by cancelling the redemption instead."""
    _require_actor(acting_user)
    require(acting_user, Action.CHANGE, _person_region_path(entry.person))
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请填写冲正原因"})
    if entry.kind not in (EntryKind.GRANT, EntryKind.DEDUCT):
        raise ValidationError({"entry": "兑换和冲正记录不能冲正；兑换请取消兑换单"})
    with transaction.atomic():
        balance = _locked_balance(entry.bank, entry.person)
        if LedgerEntry.objects.filter(reverses=entry).exists():
            raise ValidationError({"entry": "这条记录已经冲正过"})
        reversal = _append(balance=balance, kind=EntryKind.REVERSAL, points=-entry.points, reason=f"冲正：{reason}",
                           acting_user=acting_user, source="pointsbank", rule=entry.rule, dimension=entry.dimension,
                           reverses=entry, field="entry")
        audit.record(actor=acting_user, action="pointsbank.entry.reverse", target=reversal, detail={"reverses": entry.pk, "reason": reason})
    return reversal


# Rewards and redemptions -------------------------------------------------------------------------

def _check_reward_fields(*, name: str, points_cost, stock) -> dict:
    errors = {}
    if not (name or "").strip():
        errors["name"] = "请填写奖品名称"
    if not isinstance(points_cost, int) or points_cost <= 0:
        errors["points_cost"] = "所需积分须为正整数"
    if not isinstance(stock, int) or stock < 0:
        errors["stock"] = "库存不能为负数"
    return errors


def create_reward(*, bank: Bank, region: Region, name: str, points_cost: int, stock: int, acting_user, description: str = "") -> Reward:
    """A reward whose stock is held at `region` (a community, or a street/district for everyone under it)."""
    require(acting_user, Action.CHANGE, region.path)
    errors = _check_reward_fields(name=name, points_cost=points_cost, stock=stock)
    if region.level not in (Level.DISTRICT, Level.STREET, Level.COMMUNITY):
        errors["region"] = "奖品库存放在社区、街道或区一级"
    if bank.region_id and not region.path.startswith(bank.region.path):
        errors["region"] = f"“{bank.name}”只服务{bank.region.name}"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        reward = Reward.objects.create(bank=bank, region=region, name=name.strip(), points_cost=points_cost, stock=stock,
                                       description=(description or "").strip())
        audit.record(actor=acting_user, action="pointsbank.reward.create", target=reward,
                     detail={"bank": bank.code, "region": region.code, "points_cost": points_cost, "stock": stock})
    return reward


def adjust_stock(*, reward: Reward, delta: int, acting_user, note: str = "") -> Reward:
    """Add (or take out) stock; it never goes below zero."""
    require(acting_user, Action.CHANGE, reward.region.path)
    if not isinstance(delta, int) or delta == 0:
        raise ValidationError({"delta": "请填写增加或减少的数量"})
    with transaction.atomic():
        locked = Reward.objects.select_for_update().get(pk=reward.pk)
        if locked.stock + delta < 0:
            raise ValidationError({"delta": f"库存只有 {locked.stock} 件，不能减少 {-delta} 件"})
        locked.stock += delta
        locked.save(update_fields=["stock", "updated_at"])
        audit.record(actor=acting_user, action="pointsbank.reward.stock", target=locked, detail={"delta": delta, "note": note[:200]})
    return locked


def set_reward_active(*, reward: Reward, active: bool, acting_user) -> Reward:
    require(acting_user, Action.CHANGE, reward.region.path)
    with transaction.atomic():
        locked = Reward.objects.select_for_update().get(pk=reward.pk)
        locked.active = active
        locked.save(update_fields=["active", "updated_at"])
        audit.record(actor=acting_user, action="pointsbank.reward.active", target=locked, detail={"active": active})
    return locked


def _may_act_for(acting_user, person) -> bool:
    """The resident themself, or staff with change rights where the person lives."""
    if getattr(acting_user, "person_id", None) == person.pk and getattr(acting_user, "is_authenticated", False):
        return True
    try:
        require(acting_user, Action.CHANGE, _person_region_path(person))
    except PermissionDenied:
        return False
    return True


def redeem(*, reward: Reward, person, acting_user, quantity: int = 1) -> Redemption:
    """Exchange points for a reward: the points and the stock go down in one transaction, or
    nothing happens. Refused when the balance (points) or the stock (stock) is short."""
    _require_actor(acting_user)
    if person is None:
        raise ValidationError({"person": "请先到社区登记本人信息"})
    if not _may_act_for(acting_user, person):
        raise PermissionDenied(gettext("只能为本人或您数据范围内的居民兑换"))
    if not isinstance(quantity, int) or quantity < 1 or quantity > 20:
        raise ValidationError({"quantity": "数量须在 1 到 20 之间"})
    path = _person_region_path(person)
    with transaction.atomic():
        bank = Bank.objects.select_related("region").get(pk=reward.bank_id)
        if not bank.active:
            raise ValidationError({"reward": f"积分银行“{bank.name}”已停用"})
        balance = _locked_balance(bank, person)
        locked = Reward.objects.select_for_update().select_related("region").get(pk=reward.pk)
        if not locked.active:
            raise ValidationError({"reward": f"“{locked.name}”已下架"})
        if not path.startswith(locked.region.path) or not bank.serves(path):
            raise ValidationError({"reward": f"“{locked.name}”不向{person.name}所在社区供应"})
        cost = locked.points_cost * quantity
        if balance.points < cost:
            raise ValidationError({"points": f"积分不足：“{locked.name}”需要 {cost} 分，当前余额 {balance.points} 分"})
        if locked.stock < quantity:
            raise ValidationError({"stock": f"“{locked.name}”库存不足（剩余 {locked.stock} 件）"})
        now = timezone.now()
        redemption = Redemption.objects.create(bank=bank, person=person, reward=locked, quantity=quantity, points=cost,
                                               created_at=now, created_by=acting_user)
        _append(balance=balance, kind=EntryKind.REDEEM, points=-cost, reason=f"兑换 {locked.name} ×{quantity}", acting_user=acting_user,
                source="pointsbank", redemption=redemption)
        locked.stock -= quantity
        locked.save(update_fields=["stock", "updated_at"])
        audit.record(actor=acting_user, action="pointsbank.redemption.create", target=redemption,
                     detail={"reward": locked.pk, "quantity": quantity, "points": cost})
    return redemption


def fulfil_redemption(*, redemption: Redemption, acting_user, note: str = "") -> Redemption:
    """The reward is handed over."""
    require(acting_user, Action.CHANGE, _person_region_path(redemption.person))
    with transaction.atomic():
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        REDEMPTION_MACHINE.apply(locked, "fulfil", timezone.now(), otherwise=ValidationError(
            {"status": f"兑换单已{locked.get_status_display()}，不能再发放"}))
        locked.fulfilled_by = acting_user
        locked.note = (note or "").strip()[:200]
        locked.save(update_fields=["status", "fulfilled_at", "fulfilled_by", "note"])
        audit.record(actor=acting_user, action="pointsbank.redemption.fulfil", target=locked, detail={"note": locked.note})
    return locked


def cancel_redemption(*, redemption: Redemption, acting_user, reason: str = "") -> Redemption:
    """Cancel a redemption not yet handed over: the points come back by a refund entry and the stock is restored."""
    _require_actor(acting_user)
    if not _may_act_for(acting_user, redemption.person):
        raise PermissionDenied(gettext("只能撤销本人的兑换或您数据范围内的兑换"))
    with transaction.atomic():
        locked = Redemption.objects.select_for_update().get(pk=redemption.pk)
        cancel = REDEMPTION_MACHINE.move(locked, "cancel", otherwise=ValidationError(
            {"status": f"兑换单已{locked.get_status_display()}，不能取消"}))
        balance = _locked_balance(locked.bank, locked.person)
        reward = Reward.objects.select_for_update().get(pk=locked.reward_id)
        _append(balance=balance, kind=EntryKind.REFUND, points=locked.points, reason=f"取消兑换 {reward.name} ×{locked.quantity}",
                acting_user=acting_user, source="pointsbank", redemption=locked, evidence=(reason or "").strip())
        reward.stock += locked.quantity
        reward.save(update_fields=["stock", "updated_at"])
        REDEMPTION_MACHINE.apply(locked, cancel, timezone.now())
        locked.cancelled_by = acting_user
        locked.note = (reason or "").strip()[:200]
        locked.save(update_fields=["status", "cancelled_at", "cancelled_by", "note"])
        audit.record(actor=acting_user, action="pointsbank.redemption.cancel", target=locked, detail={"reason": locked.note})
    return locked


# Rules -------------------------------------------------------------------------------------------

def save_rule(*, bank: Bank, acting_user, code: str, title: str, points: int, dimension: Dimension, evidence_required: bool,
              active: bool = True, rule: Rule | None = None) -> Rule:
    """Create a rule, or change one (`rule`). Past entries keep pointing at it and keep their points."""
    require_bank_admin(acting_user, bank)
    errors = {}
    code = (code or "").strip()
    if not code:
        errors["code"] = "请填写规则代码"
    elif Rule.objects.filter(bank=bank, code=code).exclude(pk=rule.pk if rule else None).exists():
        errors["code"] = f"代码“{code}”已被使用"
    if not (title or "").strip():
        errors["title"] = "请填写积分事项"
    if not isinstance(points, int) or points == 0:
        errors["points"] = "分值须为非零整数（负数为扣分项）"
    elif abs(points) > MAX_POINTS_PER_ENTRY:
        errors["points"] = f"分值不能超过 {MAX_POINTS_PER_ENTRY}"
    if dimension is None or dimension.bank_id != bank.pk:
        errors["dimension"] = "请选择本积分银行的维度"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        if rule is None:
            rule = Rule(bank=bank)
        else:
            rule = Rule.objects.select_for_update().get(pk=rule.pk, bank=bank)
        before = {"points": rule.points, "active": rule.active, "title": rule.title} if rule.pk else None
        rule.code, rule.title, rule.points, rule.dimension = code, title.strip(), points, dimension
        rule.evidence_required, rule.active = evidence_required, active
        rule.save()
        audit.record(actor=acting_user, action="pointsbank.rule.save", target=rule,
                     detail={"before": before, "points": points, "active": active, "evidence_required": evidence_required})
    return rule


# Conduct records and red/black lists -------------------------------------------------------------

def record_conduct(*, person, occurred_on: date, description: str, acting_user) -> ConductRecord:
    """An uncivil behaviour record entered by staff."""
    require(acting_user, Action.CHANGE, _person_region_path(person))
    description = (description or "").strip()
    errors = {}
    if not description:
        errors["description"] = "请填写不文明行为"
    if occurred_on is None or occurred_on > timezone.localdate():
        errors["occurred_on"] = "请填写发生日期（不能晚于今天）"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        record = ConductRecord.objects.create(person=person, occurred_on=occurred_on, description=description[:300],
                                              recorded_by=acting_user, recorded_at=timezone.now())
        audit.record(actor=acting_user, action="pointsbank.conduct.record", target=record, detail={"person": person.pk})
    return record


@dataclass
class Earner:
    person_id: int
    points: int


def top_earners(*, bank: Bank, region_path: str, since: date, until: date, limit: int = RED_LIST_SIZE) -> list[Earner]:
    """Who earned most in the period (grants minus their reversals; redemptions do not count)."""
    earning = Q(kind=EntryKind.GRANT) | Q(kind=EntryKind.REVERSAL, reverses__kind=EntryKind.GRANT)
    rows = (LedgerEntry.objects.filter(earning, bank=bank, person__region__path__startswith=region_path, at__date__gte=since,
                                       at__date__lte=until)
            .values("person").annotate(total=Sum("points")).filter(total__gt=0).order_by("-total", "person")[:limit])
    return [Earner(row["person"], row["total"]) for row in rows]


def draft_board(*, region: Region, period_start: date, period_end: date, acting_user, bank_code: str = "moral", title: str = "",
                red_size: int = RED_LIST_SIZE) -> Board:
    """A draft red and black list for a community and period, prefilled: the red list with the
    period's top earners, the black list with the period's uncivil behaviour records. Staff edit
    it before publishing."""
    require(acting_user, Action.CHANGE, region.path)
    errors = {}
    if region.level != Level.COMMUNITY:
        errors["region"] = "红黑榜由社区发布"
    if period_start is None or period_end is None or period_end < period_start:
        errors["period_end"] = "截止日期不能早于起始日期"
    if errors:
        raise ValidationError(errors)
    bank = _active_bank(bank_code)
    with transaction.atomic():
        board = Board.objects.create(region=region, bank=bank, period_start=period_start, period_end=period_end, created_by=acting_user,
                                     created_at=timezone.now(),
                                     title=(title or "").strip()[:100] or f"{region.name}{period_start:%Y年%m月}道德红黑榜")
        for order, earner in enumerate(top_earners(bank=bank, region_path=region.path, since=period_start, until=period_end,
                                                   limit=red_size)):
            BoardEntry.objects.create(board=board, kind=ListKind.RED, person_id=earner.person_id, points=earner.points, order=order,
                                      reason=f"期间获得{bank.name}积分 {earner.points} 分")
        conduct = ConductRecord.objects.filter(person__region__path__startswith=region.path, occurred_on__gte=period_start,
                                               occurred_on__lte=period_end).order_by("occurred_on", "id")
        seen = set()
        for order, record in enumerate(conduct):
            if record.person_id in seen:
                continue  # one line per person; the first record is named, staff may edit the reason
            seen.add(record.person_id)
            BoardEntry.objects.create(board=board, kind=ListKind.BLACK, person_id=record.person_id, conduct=record, order=order,
                                      reason=f"{record.occurred_on:%m月%d日} {record.description}"[:300])
        audit.record(actor=acting_user, action="pointsbank.board.draft", target=board,
                     detail={"region": region.code, "period": [str(period_start), str(period_end)]})
    return board


def _locked_draft(board: Board, acting_user) -> Board:
    require(acting_user, Action.CHANGE, board.region.path)
    locked = Board.objects.select_for_update().select_related("region").get(pk=board.pk)
    BOARD_MACHINE.move(locked, "edit", otherwise=ValidationError({"board": "红黑榜已发布，不能再修改"}))
    return locked


def add_board_entry(*, board: Board, kind: str, person, reason: str, acting_user, conduct: ConductRecord | None = None) -> BoardEntry:
    reason = (reason or "").strip()
    errors = {}
    if kind not in ListKind.values:
        errors["kind"] = "请选择红榜或黑榜"
    if not reason:
        errors["reason"] = "请填写上榜理由"
    if person is None:
        errors["person"] = "请选择居民"
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        locked = _locked_draft(board, acting_user)
        if not _person_region_path(person).startswith(locked.region.path):
            raise ValidationError({"person": f"{person.name} 不是{locked.region.name}的居民"})
        if BoardEntry.objects.filter(board=locked, kind=kind, person=person).exists():
            raise ValidationError({"person": f"{person.name} 已在{ListKind(kind).label}上"})
        if kind == ListKind.BLACK and conduct is None:
            conduct = ConductRecord.objects.filter(person=person).order_by("-occurred_on").first()
        order = BoardEntry.objects.filter(board=locked, kind=kind).count()
        entry = BoardEntry.objects.create(board=locked, kind=kind, person=person, reason=reason[:300], order=order,
                                          conduct=conduct if kind == ListKind.BLACK else None)
        audit.record(actor=acting_user, action="pointsbank.board.add", target=entry, detail={"board": locked.pk, "kind": kind})
    return entry


def remove_board_entry(*, entry: BoardEntry, acting_user) -> None:
    with transaction.atomic():
        locked = _locked_draft(entry.board, acting_user)
        BoardEntry.objects.filter(pk=entry.pk, board=locked).delete()
        audit.record(actor=acting_user, action="pointsbank.board.remove", target_type="pointsbank.boardentry",
                     detail={"board": locked.pk, "entry": entry.pk, "person": entry.person_id})


def publish_board(*, board: Board, acting_user) -> Board:
    """Publish: the community's residents see it; it no longer changes."""
    with transaction.atomic():
        locked = _locked_draft(board, acting_user)
        if not locked.entries.exists():
            raise ValidationError({"board": "红榜和黑榜都是空的，不能发布"})
        BOARD_MACHINE.apply(locked, "publish", timezone.now())
        locked.published_by = acting_user
        locked.save(update_fields=["status", "published_at", "published_by"])
        audit.record(actor=acting_user, action="pointsbank.board.publish", target=locked, detail={})
    return locked
