"""Links in the admin, scoped like the pages and read-only: creating, changing and ending links and
recording visits go through the services (the pages and the API), which check who may, the
one-to-one rules, the cadence record and A/B, and write the audit entry."""

from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin

from .models import Link, LinkProblem, LinkVisit


@admin.register(Link)
class LinkAdmin(ReadOnlyScopedAdmin):
    list_display = ["region", "kind", "who", "cadence_text", "starts_on", "ends_on", "active", "primary", "backup"]
    list_filter = ["kind", "active", "period"]
    search_fields = ["leader_name", "department__name", "party_organization__name", "region__name", "region__code"]
    raw_id_fields = ["region", "leader", "department", "party_organization", "primary", "backup"]
    readonly_fields = ["created_at", "created_by"]

    @admin.display(description="联点人/单位")
    def who(self, obj):
        return obj.who

    @admin.display(description="频次")
    def cadence_text(self, obj):
        return obj.cadence_text


class LinkProblemInline(admin.TabularInline):
    model = LinkProblem
    extra = 0
    raw_id_fields = ["case"]
    readonly_fields = ["row", "description", "case"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(LinkVisit)
class LinkVisitAdmin(ReadOnlyScopedAdmin):
    list_display = ["at", "link", "mode", "who", "recorded_by"]
    list_filter = ["mode"]
    raw_id_fields = ["link", "visitor", "recorded_by"]
    inlines = [LinkProblemInline]

    @admin.display(description="走访人")
    def who(self, obj):
        return obj.who
