from django.contrib import admin

from .models import ExportJob


@admin.register(ExportJob)
class ExportJobAdmin(admin.ModelAdmin):
    """Read-only: jobs are asked for on the pages and written by the worker; the files are not
    offered here (only their owner downloads them, and each download is audited)."""

    list_display = ("id", "title", "kind", "created_by", "status", "progress", "rows_written", "created_at", "finished_at", "expires_at", "downloads")
    list_filter = ("status", "kind")
    search_fields = ("title", "created_by__username")
    exclude = ("file",)
    readonly_fields = ("kind", "title", "params", "created_by", "role", "scope_path", "status", "progress", "rows_written", "total_rows",
                       "filename", "content_type", "failure", "error", "attempts", "created_at", "started_at", "heartbeat_at",
                       "finished_at", "expires_at", "downloads")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
