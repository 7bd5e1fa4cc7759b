"""Campaigns in the admin, scoped like the pages and read-only: creating, publishing (with grid
admission), checking (which opens cases) and closing go through the services."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin

from .models import Campaign, ChecklistItem, ItemResult, Target, TargetCheck


class ChecklistItemInline(admin.TabularInline):
    model = ChecklistItem
    extra = 0
    can_delete = False
    readonly_fields = ["number", "text", "matter"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Campaign)
class CampaignAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "owner", "task_key", "target_kind", "starts_on", "ends_on", "status", "published_at"]
    list_filter = ["status", "target_kind", "task_key"]
    search_fields = ["title", "owner__name", "task_key"]
    raw_id_fields = ["owner", "created_by", "published_by", "closed_by"]
    inlines = [ChecklistItemInline]


@admin.register(Target)
class TargetAdmin(ReadOnlyScopedAdmin):
    list_display = ["__str__", "campaign", "grid", "assignee", "status"]
    list_filter = ["status"]
    search_fields = ["place__name", "household__number", "campaign__title", "grid__name"]
    raw_id_fields = ["campaign", "place", "household", "region", "grid", "assignee"]
    list_select_related = ["campaign", "grid", "assignee", "place", "household__house__building"]


class ItemResultInline(admin.TabularInline):
    model = ItemResult
    extra = 0
    can_delete = False
    raw_id_fields = ["case"]
    readonly_fields = ["item", "result", "note", "case"]

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(TargetCheck)
class TargetCheckAdmin(ReadOnlyScopedAdmin):
    list_display = ["target", "checked_by", "checked_at", "failed_items"]
    list_filter = ["checked_at"]
    raw_id_fields = ["target", "checked_by"]
    inlines = [ItemResultInline]
