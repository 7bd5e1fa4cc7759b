from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import WeeklyReport


@admin.register(WeeklyReport)
class WeeklyReportAdmin(ScopedAdmin):
    list_display = ("region", "week_start", "status", "created_by", "created_at", "finished_at")
    list_filter = ("status",)
    def has_add_permission(self, request):
        return False  # reports are requested on the reviews page and written by the worker

    readonly_fields = ("status", "error", "attempts", "retry_at", "created_by", "created_at", "started_at", "finished_at", "figures", "xlsx", "pdf")
