"""Duty lists in the admin: read-only history (content changes go through proposals on the
/duties/ pages so that each is approved and audited); an item's A/B persons may be set here."""

from django import forms
from django.contrib import admin

from yiwang.core.admin_base import ReadOnlyScopedAdmin, ScopedAdmin

from .models import DutyItem, DutyItemRevision, DutyList, DutyListVersion


@admin.register(DutyList)
class DutyListAdmin(ReadOnlyScopedAdmin):
    list_display = ["name", "region", "kind", "current_version", "updated_at"]
    list_filter = ["kind"]
    search_fields = ["name", "region__name"]


@admin.register(DutyListVersion)
class DutyListVersionAdmin(ReadOnlyScopedAdmin):
    list_display = ["duty_list", "number", "status", "proposed_by", "proposed_at", "decided_by", "decided_at"]
    list_filter = ["status", "duty_list__kind"]
    search_fields = ["duty_list__name", "reason"]


class DutyItemForm(forms.ModelForm):
    class Meta:
        model = DutyItem
        fields = ["primary", "backup"]

    def clean(self):
        from . import services

        data = super().clean()
        # The same check as the service, here so that a bad choice is an error on the form, not a 500.
        services.check_item_people(self.instance, primary=data.get("primary"), backup=data.get("backup"))
        return data


@admin.register(DutyItem)
class DutyItemAdmin(ScopedAdmin):
    form = DutyItemForm
    list_display = ["key", "title", "duty_list", "in_force", "primary", "backup"]
    list_filter = ["in_force", "duty_list__kind"]
    search_fields = ["key", "title", "duty_list__name"]
    fields = ["duty_list", "key", "title", "in_force", "primary", "backup"]
    readonly_fields = ["duty_list", "key", "title", "in_force"]
    raw_id_fields = ["primary", "backup"]

    def has_add_permission(self, request):
        return False

    def save_model(self, request, obj, form, change):
        from . import services

        services.set_item_roles(obj, acting_user=request.user, primary=obj.primary, backup=obj.backup)


@admin.register(DutyItemRevision)
class DutyItemRevisionAdmin(ReadOnlyScopedAdmin):
    list_display = ["item", "title", "version", "owner_unit"]
    search_fields = ["item__key", "title", "owner_unit"]
