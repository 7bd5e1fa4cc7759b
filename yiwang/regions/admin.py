from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import Region


@admin.register(Region)
class RegionAdmin(ScopedAdmin):
    list_display = ("code", "name", "level", "grid_kind", "target_households", "actual_households")
    list_filter = ("level", "grid_kind", "dedicated_kind")
    search_fields = ("code", "name")
    readonly_fields = ("path", "depth", "min_lon", "min_lat", "max_lon", "max_lat")
    autocomplete_fields = ("parent",)
