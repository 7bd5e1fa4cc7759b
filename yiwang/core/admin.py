from django.contrib import admin

from .models import AuditEntry, SensitiveAccess

admin.site.site_header = "一网 · 基础数据维护"
admin.site.site_title = "一网"


class ReadOnlyAdmin(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "target_type", "target_id", "field", "channel")
    list_filter = ("field", "channel")
