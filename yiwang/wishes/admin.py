"""Admin: scope-aware and read-only. Wishes move only through the services (review, the one-claimant
lock, photos, confirmation), so the admin is for looking things up."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin

from .models import Wish, WishEvent, WishPhoto


class WishEventInline(admin.TabularInline):
    model = WishEvent
    extra = 0
    can_delete = False
    fields = ["at", "actor", "action", "from_status", "to_status", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Wish)
class WishAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "person", "region", "status", "claimant_kind", "claimant_person", "claimant_unit", "posted_at", "fulfilled_at"]
    list_filter = ["status", "category", "claimant_kind", "posted_via", "confirmed_via"]
    search_fields = ["title", "person__name"]
    inlines = [WishEventInline]


@admin.register(WishEvent)
class WishEventAdmin(ReadOnlyScopedAdmin):
    list_display = ["wish", "at", "actor", "action", "from_status", "to_status"]
    list_filter = ["action"]


@admin.register(WishPhoto)
class WishPhotoAdmin(ReadOnlyScopedAdmin):
    list_display = ["wish", "content_type", "size", "created_at"]
