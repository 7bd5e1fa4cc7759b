"""The alliance in the admin, scoped like the pages and read-only: every change goes through the
services (pages and API), which check membership, milestones and progress and write the audit."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin

from .models import Alliance, AllianceMember, AllianceDecision, AllianceMeeting, AllianceMilestone, AllianceNeed, AllianceProject, AllianceResource


class MemberInline(admin.TabularInline):
    model = AllianceMember
    extra = 0
    can_delete = False
    fields = ["department", "name", "party_organization", "joined_on", "left_on"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Alliance)
class AllianceAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "region", "founded_on", "active"]
    list_filter = ["active"]
    search_fields = ["name", "region__name"]
    inlines = [MemberInline]


@admin.register(AllianceMember)
class AllianceMemberAdmin(ReadOnlyScopedAdmin):
    list_display = ["label", "alliance", "party_label", "joined_on", "left_on"]
    search_fields = ["name", "department__name", "alliance__name"]

    @admin.display(description="单位")
    def label(self, obj):
        return obj.label

    @admin.display(description="党组织")
    def party_label(self, obj):
        return obj.party_label


@admin.register(AllianceNeed)
class NeedAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "alliance", "region", "category", "raised_on", "status"]
    list_filter = ["status", "category"]
    search_fields = ["title", "description"]


@admin.register(AllianceResource)
class ResourceAdmin(ReadOnlyScopedAdmin):
    list_display = ["description", "unit", "kind", "capacity", "available"]
    list_filter = ["kind", "available"]


class MilestoneInline(admin.TabularInline):
    model = AllianceMilestone
    extra = 0
    can_delete = False
    fields = ["position", "title", "unit", "due_on", "done_on", "note"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AllianceProject)
class ProjectAdmin(ReadOnlyScopedAdmin):
    list_display = ["title", "alliance", "lead", "status", "progress", "starts_on", "due_on", "completed_on"]
    list_filter = ["status"]
    search_fields = ["title"]
    inlines = [MilestoneInline]


class DecisionInline(admin.TabularInline):
    model = AllianceDecision
    extra = 0
    can_delete = False
    fields = ["position", "text", "project"]
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(AllianceMeeting)
class MeetingAdmin(ReadOnlyScopedAdmin):
    list_display = ["held_on", "alliance", "topic"]
    inlines = [DecisionInline]
