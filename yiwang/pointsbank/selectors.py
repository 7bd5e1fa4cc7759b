"""Reads of the points banks: balances, ledgers, what a resident may redeem and see."""

from __future__ import annotations

from django.db.models import QuerySet

from yiwang.regions.models import ancestor_paths

from .models import Balance, Bank, Board, BoardStatus, LedgerEntry, Redemption, Reward


def balance(*, bank_code: str, person) -> int:
    """The person's current points in the bank (0 when they have none yet)."""
    return Balance.objects.filter(bank__code=bank_code, person=person).values_list("points", flat=True).first() or 0


def banks_for(person) -> list[Bank]:
    """Active banks serving where the person lives."""
    path = person.region.path
    return [b for b in Bank.objects.filter(active=True).select_related("region") if b.serves(path)]


def balances_for(person) -> list[dict]:
    """[{bank, points, earned, spent}] for every bank serving the person, zero rows included."""
    rows = {b.bank_id: b for b in Balance.objects.filter(person=person)}
    return [{"bank": bank, "points": rows[bank.pk].points if bank.pk in rows else 0,
             "earned": rows[bank.pk].earned if bank.pk in rows else 0, "spent": rows[bank.pk].spent if bank.pk in rows else 0}
            for bank in banks_for(person)]


def ledger(person, bank: Bank | None = None) -> QuerySet:
    entries = LedgerEntry.objects.filter(person=person).select_related("bank", "dimension", "rule", "granted_by", "reverses")
    return entries.filter(bank=bank) if bank else entries


def rewards_for(person) -> QuerySet:
    """Rewards on offer to the person: active, of a bank serving them, stocked at their community or above."""
    banks = [b.pk for b in banks_for(person)]
    return (Reward.objects.filter(active=True, bank__in=banks, region__path__in=ancestor_paths(person.region.path))
            .select_related("bank", "region").order_by("bank__order", "points_cost", "name"))


def redemptions_of(person) -> QuerySet:
    return Redemption.objects.filter(person=person).select_related("reward", "bank")


def published_boards_for(person) -> QuerySet:
    """The published red and black lists of the person's own community (drafts are never shown)."""
    return (Board.objects.filter(status=BoardStatus.PUBLISHED, region__path__in=ancestor_paths(person.region.path))
            .select_related("region", "bank").order_by("-period_end", "-id"))


def sum_of_entries(*, bank_code: str, person) -> int:
    """The balance recomputed from the ledger (checks and tests compare it with `balance`)."""
    from django.db.models import Sum

    return LedgerEntry.objects.filter(bank__code=bank_code, person=person).aggregate(total=Sum("points"))["total"] or 0
