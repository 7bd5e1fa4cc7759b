from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import AssessmentRule, HonourRound, ManagedArea, Nomination, WorkerReview


@admin.register(AssessmentRule)
class AssessmentRuleAdmin(admin.ModelAdmin):
    list_display = ["code", "label", "value", "note", "updated_at"]
    list_editable = ["value"]
    readonly_fields = ["code"]

    def has_add_permission(self, request):
        # The formulas read a fixed set of codes; a new code would be read by nothing.
        return False


@admin.register(ManagedArea)
class ManagedAreaAdmin(ScopedAdmin):
    list_display = ["company", "region", "households", "starts_on"]
    autocomplete_fields = []
    raw_id_fields = ["company", "region"]


@admin.register(WorkerReview)
class WorkerReviewAdmin(ScopedAdmin):
    list_display = ["worker", "year", "score", "grade", "reviewed_by", "reviewed_at"]
    list_filter = ["year", "grade"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(HonourRound)
class HonourRoundAdmin(ScopedAdmin):
    list_display = ["title", "kind", "region", "year", "places", "status"]
    list_filter = ["kind", "year", "status"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Nomination)
class NominationAdmin(ScopedAdmin):
    list_display = ["name", "round", "source", "score", "awarded"]
    list_filter = ["source", "awarded"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
