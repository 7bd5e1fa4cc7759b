"""Admin: scope-aware and read-only. Registrations, posts, tasks, claims and evaluations change only
through the services (one registration a year, places, points in the points bank), so the admin
shows them for lookup and audit."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin

from .models import (
    Evaluation,
    Registration,
    ServicePost,
    ServiceTask,
    TaskClaim,
    Volunteer,
)


@admin.register(ServicePost)
class ServicePostAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "kind", "community", "capacity", "active"]
    list_filter = ["kind", "active"]
    search_fields = ["title"]


@admin.register(Registration)
class RegistrationAdmin(ReadOnlyScopedAdmin):
    list_display = ["person", "year", "community", "organization", "status", "registered_at", "decided_at"]
    list_filter = ["status", "year"]
    search_fields = ["person__name", "work_unit"]


@admin.register(Volunteer)
class VolunteerAdmin(ReadOnlyScopedAdmin):
    list_display = ["person", "community", "skills", "active", "registered_at"]
    list_filter = ["active"]
    search_fields = ["person__name"]


@admin.register(ServiceTask)
class ServiceTaskAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "community", "starts_at", "places", "hours", "status"]
    list_filter = ["status", "open_to_volunteers"]
    search_fields = ["title"]


@admin.register(TaskClaim)
class TaskClaimAdmin(ReadOnlyScopedAdmin):
    list_display = ["task", "person", "role", "status", "hours", "points", "ledger_entry_id"]
    list_filter = ["status", "role"]
    search_fields = ["person__name", "task__title"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyScopedAdmin):
    list_display = ["registration", "year", "organization", "grade", "tasks", "hours", "points", "stars", "issued_at"]
    list_filter = ["grade", "year"]
