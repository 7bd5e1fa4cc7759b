"""Grid work in the admin, scoped like the pages and read-only: records and care plans are written
through the services (the pages and the API), which check who may, open cases for findings and
write the audit entry."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin

from .models import CarePlan, Finding, HomeVisit, PatrolLog


class FindingInline(admin.TabularInline):
    model = Finding
    extra = 0
    fields = ["row", "description", "case"]
    readonly_fields = ["row", "description", "case"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PatrolFindingInline(FindingInline):
    fk_name = "patrol"


class VisitFindingInline(FindingInline):
    fk_name = "visit"


@admin.register(PatrolLog)
class PatrolLogAdmin(ReadOnlyScopedAdmin):
    list_display = ["at", "region", "worker_name", "route", "recorded_by"]
    search_fields = ["worker_name", "summary", "region__name", "region__code"]
    date_hierarchy = "at"
    raw_id_fields = ["region", "worker", "building", "place", "recorded_by"]
    inlines = [PatrolFindingInline]


@admin.register(HomeVisit)
class HomeVisitAdmin(ReadOnlyScopedAdmin):
    list_display = ["at", "region", "worker_name", "household", "recorded_by"]
    search_fields = ["worker_name", "summary", "region__name", "region__code", "household__number"]
    date_hierarchy = "at"
    raw_id_fields = ["region", "worker", "building", "place", "household", "persons", "recorded_by"]
    inlines = [VisitFindingInline]


@admin.register(Finding)
class FindingAdmin(ReadOnlyScopedAdmin):
    list_display = ["id", "region", "description", "case"]
    search_fields = ["description", "case__number"]
    raw_id_fields = ["region", "patrol", "visit", "case"]


@admin.register(CarePlan)
class CarePlanAdmin(ReadOnlyScopedAdmin):
    list_display = ["region", "group", "frequency_days", "starts_on", "ends_on", "active"]
    list_filter = ["group", "frequency_days", "active"]
    raw_id_fields = ["region", "created_by"]
