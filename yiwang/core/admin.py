from django.contrib import admin

from .admin_base import ReadOnlyAdmin
from .models import AuditEntry, SensitiveAccess

admin.site.site_header = "一网 · 基础数据维护"
admin.site.site_title = "一网"


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "target_type", "target_id", "field", "channel")
    list_filter = ("field", "channel")
