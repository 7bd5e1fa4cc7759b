from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import PointEntry, PointRule


@admin.register(PointRule)
class PointRuleAdmin(admin.ModelAdmin):
    list_display = ["event", "points", "active", "updated_at"]
    list_editable = ["points", "active"]


@admin.register(PointEntry)
class PointEntryAdmin(ScopedAdmin):
    list_display = ["at", "worker", "region", "case", "event", "points"]
    list_filter = ["event"]
    raw_id_fields = ["case"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
