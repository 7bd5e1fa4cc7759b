from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import Assignment, DutyShift, ForceMember


@admin.register(ForceMember)
class ForceMemberAdmin(ScopedAdmin):
    list_display = ("name", "role", "region", "unit", "active")
    list_filter = ("role", "active")
    search_fields = ("name", "unit")
    autocomplete_fields = ("region", "person")

    def get_readonly_fields(self, request, obj=None):
        # Login accounts are not scoped rows: only superusers link a member to one.
        fields = super().get_readonly_fields(request, obj)
        return fields if request.user.is_superuser else (*fields, "user")


@admin.register(Assignment)
class AssignmentAdmin(ScopedAdmin):
    list_display = ("member", "grid", "role", "starts_on", "ends_on")
    list_filter = ("role",)
    autocomplete_fields = ("member", "grid")


@admin.register(DutyShift)
class DutyShiftAdmin(ScopedAdmin):
    list_display = ("member", "region", "starts_at", "ends_at")
    autocomplete_fields = ("member", "region")
