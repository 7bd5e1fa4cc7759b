"""Points banks API: banks and rules, balances and the ledger in the caller's scope, granting,
reversing, rewards, redemptions and the red/black lists; `/me` for a resident's own account."""

from __future__ import annotations

from datetime import date, datetime

from django.core.exceptions import ValidationError
from django.http import Http404
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from ninja import Router, Schema, Status
from ninja.pagination import paginate

from yiwang.api.common import acting_user, get_scoped, scoped
from yiwang.regions.selectors import under_region
from yiwang.api.params import Amount, Count, Id, IdQuery, Page
from yiwang.api.fields import RegionCode
from yiwang.core.scope import Action
from yiwang.registry.models import Person

from . import selectors, services
from .models import Balance, Bank, Board, LedgerEntry, Redemption, Reward

router = Router(tags=["pointsbank"])


class RuleOut(Schema):
    code: str
    title: str
    dimension: str
    points: int
    evidence_required: bool
    active: bool

    @staticmethod
    def resolve_dimension(obj):
        return obj.dimension.name


class BankOut(Schema):
    code: str
    name: str
    region_code: str | None
    active: bool
    dimensions: list[str]
    rules: list[RuleOut]

    @staticmethod
    def resolve_region_code(obj):
        return obj.region.code if obj.region_id else None

    @staticmethod
    def resolve_dimensions(obj):
        return [d.name for d in obj.dimensions.all()]

    @staticmethod
    def resolve_rules(obj):
        return list(obj.rules.select_related("dimension"))


class BalanceOut(Schema):
    id: int
    bank: str
    person_id: int
    person: str
    points: int
    earned: int
    spent: int

    @staticmethod
    def resolve_bank(obj):
        return obj.bank.code

    @staticmethod
    def resolve_person(obj):
        return obj.person.name


class BankEntryOut(Schema):
    id: int
    bank: str
    person_id: int
    person: str
    kind: str
    points: int
    balance_after: int
    dimension: str | None
    rule_code: str | None
    reason: str
    evidence: str
    has_photo: bool
    source: str
    granted_by: str
    at: datetime
    reverses_id: int | None
    redemption_id: int | None

    @staticmethod
    def resolve_bank(obj):
        return obj.bank.code

    @staticmethod
    def resolve_person(obj):
        return obj.person.name

    @staticmethod
    def resolve_dimension(obj):
        return obj.dimension.name if obj.dimension_id else None

    @staticmethod
    def resolve_rule_code(obj):
        return obj.rule.code if obj.rule_id else None

    @staticmethod
    def resolve_has_photo(obj):
        return bool(obj.photo)

    @staticmethod
    def resolve_granted_by(obj):
        return obj.granted_by.get_full_name() or obj.granted_by.username


class PointsGrantIn(Schema):
    bank_code: str
    person_id: Id
    points: Amount
    reason: str = ""
    rule_code: str = ""
    evidence: str = ""


class ReverseIn(Schema):
    reason: str


class RewardOut(Schema):
    id: int
    bank: str
    region_code: RegionCode
    region: str
    name: str
    description: str
    points_cost: int
    stock: int
    active: bool

    @staticmethod
    def resolve_bank(obj):
        return obj.bank.code

    @staticmethod
    def resolve_region(obj):
        return obj.region.name


class RedeemIn(Schema):
    person_id: Id | None = None
    quantity: Count = 1


class RedemptionOut(Schema):
    id: int
    bank: str
    person_id: int
    person: str
    reward_id: int
    reward: str
    quantity: int
    points: int
    status: str
    created_at: datetime
    fulfilled_at: datetime | None
    cancelled_at: datetime | None

    @staticmethod
    def resolve_bank(obj):
        return obj.bank.code

    @staticmethod
    def resolve_person(obj):
        return obj.person.name

    @staticmethod
    def resolve_reward(obj):
        return obj.reward.name


class NoteIn(Schema):
    note: str = ""


class BoardLine(Schema):
    kind: str
    person: str
    reason: str
    points: int | None


class BoardOut(Schema):
    id: int
    region_code: RegionCode
    region: str
    bank: str
    title: str
    period_start: date
    period_end: date
    status: str
    published_at: datetime | None
    entries: list[BoardLine]

    @staticmethod
    def resolve_region(obj):
        return obj.region.name

    @staticmethod
    def resolve_bank(obj):
        return obj.bank.code

    @staticmethod
    def resolve_entries(obj):
        return [{"kind": e.kind, "person": e.person.name, "reason": e.reason, "points": e.points}
                for e in obj.entries.select_related("person")]


class MyBalance(Schema):
    bank: str
    name: str
    points: int


class BankMeOut(Schema):
    person: str
    balances: list[MyBalance]
    rewards: list[RewardOut]
    redemptions: list[RedemptionOut]
    boards: list[BoardOut]


# Configuration -----------------------------------------------------------------------------------

@router.get("/banks", response=list[BankOut])
def banks(request):
    """The banks, their dimensions and rules (configuration; the same for everyone signed in)."""
    return list(Bank.objects.select_related("region").prefetch_related("dimensions"))


# Ledger ------------------------------------------------------------------------------------------

def _entries(qs):
    return qs.select_related("bank", "person", "dimension", "rule", "granted_by")


@router.get("/balances", response=list[BalanceOut])
@paginate(Page)
def list_balances(request, bank: str | None = None, region: str | None = None):
    qs = under_region(scoped(request, Balance).select_related("bank", "person"), region, field="person__region__path")
    return qs.filter(bank__code=bank) if bank else qs


@router.get("/entries", response=list[BankEntryOut])
@paginate(Page)
def list_entries(request, bank: str | None = None, person_id: int | None = IdQuery(), region: str | None = None):
    qs = under_region(_entries(scoped(request, LedgerEntry)), region, field="person__region__path")
    if bank:
        qs = qs.filter(bank__code=bank)
    if person_id:
        qs = qs.filter(person_id=person_id)
    return qs


@router.get("/entries/{entry_id}", response=BankEntryOut)
def entry_detail(request, entry_id: int):
    return get_scoped(request, LedgerEntry, pk=entry_id)


@router.post("/entries", response={201: BankEntryOut})
def grant(request, payload: PointsGrantIn):
    """Grant (or, with negative points, deduct) points to a resident in scope, as the caller."""
    person = get_scoped(request, Person, Action.CHANGE, pk=payload.person_id)
    entry = services.grant_for_staff(acting_user=acting_user(request), person=person, bank_code=payload.bank_code,
                                     points=payload.points, reason=payload.reason, rule_code=payload.rule_code,
                                     evidence=payload.evidence, source="api")
    return Status(201, entry)


@router.post("/entries/{entry_id}/reverse", response={201: BankEntryOut})
def reverse(request, entry_id: int, payload: ReverseIn):
    entry = get_scoped(request, LedgerEntry, Action.CHANGE, pk=entry_id)
    return Status(201, services.reverse_entry(entry=entry, reason=payload.reason, acting_user=acting_user(request)))


# Rewards and redemptions -------------------------------------------------------------------------

@router.get("/rewards", response=list[RewardOut])
@paginate(Page)
def list_rewards(request, bank: str | None = None):
    qs = scoped(request, Reward).select_related("bank", "region")
    return qs.filter(bank__code=bank) if bank else qs


def _own_person(user):
    person = getattr(user, "person", None)
    if person is None:
        raise ValidationError({"person": "请先到社区登记本人信息"})
    return person


@router.post("/rewards/{reward_id}/redeem", response={201: RedemptionOut})
def redeem(request, reward_id: int, payload: RedeemIn):
    """A resident redeems for themself; staff name the resident (person_id) in their scope."""
    user = acting_user(request)
    if payload.person_id is None or payload.person_id == getattr(user, "person_id", None):
        person = _own_person(user)
    else:
        person = get_scoped(request, Person, Action.CHANGE, pk=payload.person_id)
    reward = selectors.rewards_for(person).filter(pk=reward_id).first()
    if reward is None:
        raise Http404(gettext("该居民不能兑换这项奖品"))
    return Status(201, services.redeem(reward=reward, person=person, acting_user=user, quantity=payload.quantity))


@router.get("/redemptions", response=list[RedemptionOut])
@paginate(Page)
def list_redemptions(request, status: str | None = None):
    qs = scoped(request, Redemption).select_related("bank", "person", "reward")
    return qs.filter(status=status) if status else qs


def _redemption_for(request, redemption_id: int) -> Redemption:
    user = acting_user(request)
    own = Redemption.objects.filter(pk=redemption_id, person_id=getattr(user, "person_id", None) or -1).first()
    return own or get_scoped(request, Redemption, Action.CHANGE, pk=redemption_id)


@router.post("/redemptions/{redemption_id}/fulfil", response=RedemptionOut)
def fulfil(request, redemption_id: int, payload: NoteIn):
    redemption = get_scoped(request, Redemption, Action.CHANGE, pk=redemption_id)
    return services.fulfil_redemption(redemption=redemption, acting_user=acting_user(request), note=payload.note)


@router.post("/redemptions/{redemption_id}/cancel", response=RedemptionOut)
def cancel(request, redemption_id: int, payload: NoteIn):
    redemption = _redemption_for(request, redemption_id)
    return services.cancel_redemption(redemption=redemption, acting_user=acting_user(request), reason=payload.note)


# Red and black lists -----------------------------------------------------------------------------

@router.get("/boards", response=list[BoardOut])
@paginate(Page)
def list_boards(request, status: str | None = None):
    qs = scoped(request, Board).select_related("region", "bank")
    return qs.filter(status=status) if status else qs


@router.get("/boards/{board_id}", response=BoardOut)
def board_detail(request, board_id: int):
    return get_scoped(request, Board, pk=board_id)


# The resident's own account ----------------------------------------------------------------------

@router.get("/me", response=BankMeOut)
def me(request):
    """The caller's own balances, the rewards on offer, their redemptions and their community's published lists."""
    person = _own_person(acting_user(request))
    return {
        "person": person.name,
        "balances": [{"bank": row["bank"].code, "name": row["bank"].name, "points": row["points"]} for row in selectors.balances_for(person)],
        "rewards": list(selectors.rewards_for(person)),
        "redemptions": list(selectors.redemptions_of(person)[:50]),
        "boards": list(selectors.published_boards_for(person)[:5]),
    }


@router.get("/me/entries", response=list[BankEntryOut])
@paginate(Page)
def my_entries(request, bank: str | None = None):
    person = _own_person(acting_user(request))
    bank_row = get_object_or_404(Bank, code=bank) if bank else None
    return selectors.ledger(person, bank_row).select_related("person")

