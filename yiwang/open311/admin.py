from django.contrib import admin, messages
from django.utils import timezone

from .models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are issued here. Only the hash is stored, so the key is shown once, right after adding;
    a lost key is revoked and a new one issued. Not a scoped model: superusers only."""

    list_display = ["id", "name", "prefix", "created_at", "revoked_at"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "prefix"]
    readonly_fields = ["prefix", "created_at"]
    actions = ["revoke"]

    def save_model(self, request, obj, form, change):
        if change:
            return super().save_model(request, obj, form, change)
        issued, raw = ApiKey.issue(obj.name)
        obj.pk, obj.prefix, obj.key_hash, obj.created_at = issued.pk, issued.prefix, issued.key_hash, issued.created_at
        obj._state.adding = False
        messages.warning(request, f"Open311 密钥（只显示这一次，请立即转交对方）：{raw}")

    def has_delete_permission(self, request, obj=None):
        return False  # cases keep the key's id as their external source: revoke instead

    @admin.action(description="吊销所选密钥")
    def revoke(self, request, queryset):
        count = queryset.filter(revoked_at__isnull=True).update(revoked_at=timezone.now())
        self.message_user(request, f"已吊销 {count} 个密钥")
