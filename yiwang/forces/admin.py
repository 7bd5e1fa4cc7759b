from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import Assignment, DutyShift, ForceMember


@admin.register(ForceMember)
class ForceMemberAdmin(ScopedAdmin):
    list_display = ("name", "role", "region", "unit", "active")
    list_filter = ("role", "active")
    search_fields = ("name", "unit")
    raw_id_fields = ("person", "user")


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    list_display = ("member", "grid", "role", "starts_on", "ends_on")
    list_filter = ("role",)
    raw_id_fields = ("member",)


@admin.register(DutyShift)
class DutyShiftAdmin(ScopedAdmin):
    list_display = ("member", "region", "starts_at", "ends_at")
    raw_id_fields = ("member",)
