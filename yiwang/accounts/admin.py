from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin

from .models import ApiToken, User


@admin.register(User)
class UserAdmin(DjangoUserAdmin):
    fieldsets = DjangoUserAdmin.fieldsets + (("角色与数据范围", {"fields": ("role", "scope_region", "unit")}),
                                             ("登录安全", {"fields": ("must_change_password",)}))
    list_display = ("username", "role", "scope_region", "unit", "is_active")
    list_filter = ("role", "is_active")
    raw_id_fields = ("scope_region",)


@admin.register(ApiToken)
class ApiTokenAdmin(admin.ModelAdmin):
    list_display = ("prefix", "name", "user", "created_at", "last_used_at", "revoked_at")
    readonly_fields = ("prefix", "created_at", "last_used_at")
