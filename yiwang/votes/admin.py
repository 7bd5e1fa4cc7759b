"""Admin for ballots: scoped like the pages. Votes and answers are read-only (they are cast
through the service, which keeps one vote per person)."""

from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import Ballot, BallotStatus, Option, Question, Vote


class QuestionInline(admin.TabularInline):
    model = Question
    extra = 0
    fields = ["position", "text", "kind", "required", "max_choices"]


@admin.register(Ballot)
class BallotAdmin(ScopedAdmin):
    list_display = ["title", "kind", "region", "status", "opens_at", "closes_at", "publish_on_close"]
    list_filter = ["kind", "status"]
    search_fields = ["title", "period"]
    raw_id_fields = ["eligible_building", "created_by"]
    # Opening, closing and publishing go through the pages or the API (they check and audit).
    readonly_fields = ["status", "opened_at", "closed_at", "published_at", "created_at"]
    inlines = [QuestionInline]

    def has_change_permission(self, request, obj=None):
        # Once voting has begun, what was asked must not change under the answers.
        return super().has_change_permission(request, obj) and (obj is None or obj.status == BallotStatus.DRAFT)


@admin.register(Question)
class QuestionAdmin(ScopedAdmin):
    list_display = ["text", "ballot", "position", "kind", "required"]
    list_filter = ["kind"]
    raw_id_fields = ["ballot"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.ballot.status == BallotStatus.DRAFT)


@admin.register(Option)
class OptionAdmin(ScopedAdmin):
    list_display = ["label", "question", "position", "person", "user"]
    raw_id_fields = ["question", "person", "user"]

    def has_change_permission(self, request, obj=None):
        return super().has_change_permission(request, obj) and (obj is None or obj.question.ballot.status == BallotStatus.DRAFT)


@admin.register(Vote)
class VoteAdmin(ScopedAdmin):
    list_display = ["ballot", "voter_region", "cast_at", "cast_by"]
    list_filter = ["ballot__kind"]
    raw_id_fields = ["ballot", "person", "voter_region", "cast_by"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
