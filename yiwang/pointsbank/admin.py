"""Admin: banks, dimensions and rules are configuration; the ledger, balances and redemptions
are read-only here (they change only through the services, which keep them consistent)."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnly, ReadOnlyScopedAdmin, ScopedAdmin

from .models import Balance, Bank, Board, BoardEntry, ConductRecord, Dimension, LedgerEntry, Redemption, Reward, Rule


class DimensionInline(admin.TabularInline):
    model = Dimension
    extra = 0


@admin.register(Bank)
class BankAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "region", "active", "order"]
    list_editable = ["active"]
    raw_id_fields = ["region"]
    inlines = [DimensionInline]


@admin.register(Rule)
class RuleAdmin(admin.ModelAdmin):
    list_display = ["bank", "dimension", "code", "title", "points", "evidence_required", "active", "updated_at"]
    list_filter = ["bank", "dimension", "active"]
    list_editable = ["points", "evidence_required", "active"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(ReadOnlyScopedAdmin):
    list_display = ["at", "bank", "person", "kind", "points", "balance_after", "dimension", "reason", "granted_by", "source"]
    list_filter = ["bank", "kind", "source"]
    search_fields = ["person__name", "reason"]
    raw_id_fields = ["person", "reverses", "redemption"]


@admin.register(Balance)
class BalanceAdmin(ReadOnlyScopedAdmin):
    list_display = ["bank", "person", "points", "earned", "spent", "updated_at"]
    list_filter = ["bank"]
    search_fields = ["person__name"]


@admin.register(Redemption)
class RedemptionAdmin(ReadOnlyScopedAdmin):
    list_display = ["created_at", "person", "reward", "quantity", "points", "status", "created_by", "fulfilled_by"]
    list_filter = ["status", "bank"]
    search_fields = ["person__name", "reward__name"]


@admin.register(Reward)
class RewardAdmin(ScopedAdmin):
    list_display = ["name", "bank", "region", "points_cost", "stock", "active"]
    list_filter = ["bank", "active"]
    raw_id_fields = ["region"]
    # Stock moves through the services (adjust_stock, redeem) so that it is locked and audited.
    readonly_fields = ["stock"]


@admin.register(ConductRecord)
class ConductRecordAdmin(ReadOnlyScopedAdmin):
    list_display = ["occurred_on", "person", "description", "recorded_by"]
    search_fields = ["person__name", "description"]


class BoardEntryInline(ReadOnly, admin.TabularInline):
    model = BoardEntry
    extra = 0
    raw_id_fields = ["person", "conduct"]


@admin.register(Board)
class BoardAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "region", "period_start", "period_end", "status", "published_at"]
    list_filter = ["status"]
    inlines = [BoardEntryInline]
