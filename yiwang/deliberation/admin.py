"""Admin: scope-aware and read-only. Topics move only through the services (the transitions
table, the state times, the events and the audit), so the admin is for looking things up."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin

from .models import AgendaItem, Attendee, Evaluation, Meeting, Milestone, ProgressUpdate, Project, Topic, TopicCase, TopicEvent


class TopicEventInline(admin.TabularInline):
    model = TopicEvent
    extra = 0
    fields = ["at", "action", "from_state", "to_state", "actor", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Topic)
class TopicAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "state", "region", "person", "raised_at", "decided_at", "done_at"]
    list_filter = ["state"]
    search_fields = ["title", "description"]
    inlines = [TopicEventInline]


class AgendaInline(admin.TabularInline):
    model = AgendaItem
    extra = 0
    fields = ["position", "topic", "decision", "decision_text", "decided_at"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class AttendeeInline(admin.TabularInline):
    model = Attendee
    extra = 0
    fields = ["kind", "name", "unit"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Meeting)
class MeetingAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "region", "held_at", "place"]
    search_fields = ["title", "place", "minutes"]
    inlines = [AgendaInline, AttendeeInline]


@admin.register(Project)
class ProjectAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "topic", "owner_unit", "progress", "due_on"]


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyScopedAdmin):
    list_display = ["topic", "person", "score", "at"]


for model in (TopicCase, Milestone, ProgressUpdate):
    admin.site.register(model, ReadOnlyScopedAdmin)
