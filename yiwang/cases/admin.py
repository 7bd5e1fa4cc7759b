"""Cases are changed only through their transitions (services), so the admin shows them read-only;
devices and IoT platforms are base data kept here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiwang.core.admin_base import ReadOnlyScopedAdmin, ScopedAdmin

from .models import Case, CaseEvent, Device, DeviceSource, RoutingDecision


class EventInline(admin.TabularInline):
    model = CaseEvent
    fields = ["at", "actor_label", "action", "from_status", "to_status", "note", "public"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class RoutingInline(admin.TabularInline):
    model = RoutingDecision
    fields = ["at", "tier", "level", "region", "department", "reasons"]
    readonly_fields = fields
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Case)
class CaseAdmin(ReadOnlyScopedAdmin):
    list_display = ["number", "matter", "status", "tier", "level", "region", "reported_at", "step_due_at", "step_overdue"]
    list_filter = ["status", "channel", "board", "tier", "level", "step_overdue"]
    search_fields = ["number", "description", "address"]
    exclude = ["phone_sealed", "phone_digest", "access_code_hash"]
    inlines = [RoutingInline, EventInline]


class DeviceSourceForm(forms.ModelForm):
    secret = forms.CharField(label=_("密钥"), required=False, widget=forms.PasswordInput(render_value=False),
                             help_text=_("平台签名用的共享密钥；留空则不修改"))

    class Meta:
        model = DeviceSource
        fields = ["name", "active"]

    def clean(self):
        cleaned = super().clean()
        if not self.instance.pk and not cleaned.get("secret"):
            self.add_error("secret", "新平台需要设置密钥")
        return cleaned

    def save(self, commit=True):
        if self.cleaned_data.get("secret"):
            self.instance.set_secret(self.cleaned_data["secret"])
        return super().save(commit)


@admin.register(DeviceSource)
class DeviceSourceAdmin(admin.ModelAdmin):
    form = DeviceSourceForm
    list_display = ["name", "active", "created_at"]


@admin.register(Device)
class DeviceAdmin(ScopedAdmin):
    list_display = ["code", "name", "source", "matter", "region", "merge_window_minutes", "active"]
    list_filter = ["source", "active"]
    search_fields = ["code", "name"]
