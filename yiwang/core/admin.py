from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from .admin_base import ReadOnlyAdmin
from .models import AuditEntry, SensitiveAccess
from .vendor_apps import chinese_app_list

admin.site.site_header = _("一网 · 基础数据维护")
admin.site.site_title = _("一网")
admin.site.index_title = _("站点管理")
chinese_app_list(admin.site)


@admin.register(AuditEntry)
class AuditEntryAdmin(ReadOnlyAdmin):
    list_display = ("at", "actor", "action", "target_type", "target_id")
    list_filter = ("action",)


@admin.register(SensitiveAccess)
class SensitiveAccessAdmin(ReadOnlyAdmin):
    list_display = ("at", "user", "target_type", "target_id", "field", "channel")
    list_filter = ("field", "channel")
