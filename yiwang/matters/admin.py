from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import Department, MatterKind, MatterType, MatterTypeVersion, ServiceGuide
from .services import save_matter_type


class ServiceGuideInline(admin.StackedInline):
    """The resident's guide of a public service item; its time limit is the item's step limits."""

    model = ServiceGuide
    can_delete = False
    extra = 1  # one form when the item has no guide yet (at most one: it is one-to-one)


@admin.register(MatterType)
class MatterTypeAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "kind", "board", "default_tier", "grid_admitted", "department_kind", "handle_limit", "public", "version", "active"]
    list_filter = ["kind", "board", "default_tier", "grid_admitted", "public", "active"]
    search_fields = ["code", "name", "keywords"]
    readonly_fields = ["version", "updated_at"]

    def get_inlines(self, request, obj):
        return [ServiceGuideInline] if obj is not None and obj.kind == MatterKind.SERVICE else []

    def save_model(self, request, obj, form, change):
        save_matter_type(obj, acting_user=request.user)


@admin.register(MatterTypeVersion)
class MatterTypeVersionAdmin(admin.ModelAdmin):
    list_display = ["matter", "number", "created_at", "created_by"]
    readonly_fields = ["matter", "number", "snapshot", "created_at", "created_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Department)
class DepartmentAdmin(ScopedAdmin):
    list_display = ["code", "name", "kind", "region", "is_alliance_unit", "active"]
    list_filter = ["kind", "is_alliance_unit", "active"]
    search_fields = ["code", "name"]
    filter_horizontal = ["areas", "members"]
