"""Read-only in the admin: A/B and leaves change through /ab/ (the services check the people and
hand work over), never by editing rows."""

from django.contrib import admin

from yiwang.core.admin import ReadOnlyAdmin
from yiwang.core.admin_base import ScopedAdmin

from .models import Desk, Leave


@admin.register(Desk)
class DeskAdmin(ReadOnlyAdmin, ScopedAdmin):
    list_display = ["__str__", "kind", "region", "board", "department", "primary", "backup"]
    list_filter = ["kind", "board"]


@admin.register(Leave)
class LeaveAdmin(ReadOnlyAdmin, ScopedAdmin):
    list_display = ["user", "starts_at", "ends_at", "reason", "recorded_by", "cancelled_at", "handed_over_at"]
