from django.contrib import admin

from yiwang.core.admin_base import ScopedAdmin

from .models import PartyMember, PartyOrganization


@admin.register(PartyOrganization)
class PartyOrganizationAdmin(ScopedAdmin):
    list_display = ("name", "kind", "parent", "region")
    list_filter = ("kind",)
    search_fields = ("name",)
    autocomplete_fields = ("parent", "region", "secretary")


@admin.register(PartyMember)
class PartyMemberAdmin(ScopedAdmin):
    list_display = ("person", "organization", "joined_on", "in_service")
    list_filter = ("in_service",)
    autocomplete_fields = ("person", "organization")
