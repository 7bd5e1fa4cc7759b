from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import PartyMember, PartyOrganization


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(ScopedAdmin):
    list_display = ("name", "kind", "parent", "region")
    list_filter = ("kind",)
    search_fields = ("name",)
    raw_id_fields = ("parent", "secretary")


@admin.register(PartyMember)
class PartyMemberAdmin(ScopedAdmin):
    list_display = ("person", "organization", "joined_on", "in_service")
    list_filter = ("in_service",)
    raw_id_fields = ("person", "organization")
