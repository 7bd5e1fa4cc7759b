"""Cases are changed only through their transitions (services), so the admin shows them read-only;
devices and IoT platforms are base data kept here."""

from django import forms
from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from yiwang.core.admin_base import ReadOnlyScopedAdmin, ScopedAdmin

from .models import Case, CaseEvent, CopyLevel, Device, DeviceSource, RoutingDecision, SkipLevelRule, StageLimit


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
    fields = ["at", "tier", "level", "region", "department", "skip_rule", "reasons"]
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
    raw_id_fields = ["component"]  # a street has thousands of components: picked by id, not from one long list


@admin.register(StageLimit)
class StageLimitAdmin(admin.ModelAdmin):
    """Stage limits are versions: a version cases already run under is not changed (the model's
    clean refuses it); a change is a new row with the date it takes effect."""

    list_display = ["stage", "matter", "level", "amount", "unit", "yellow_percent", "red_percent", "effective_from", "note"]
    list_filter = ["stage", "level", "unit"]
    search_fields = ["matter__name", "matter__code", "note"]
    autocomplete_fields = ["matter"]
    readonly_fields = ["created_at", "created_by"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.created_by = request.user
        super().save_model(request, obj, form, change)


class SkipLevelRuleForm(forms.ModelForm):
    copy_levels = forms.MultipleChoiceField(label=_("抄送层级"), choices=CopyLevel.choices, required=False,
                                            widget=forms.CheckboxSelectMultiple,
                                            help_text=_("被抄送的单位收到通知；它们本就能看到辖区内的事件，抄送不扩大查看范围"))

    class Meta:
        model = SkipLevelRule
        fields = ["name", "matter", "matter_category", "min_urgency", "target_level", "target_department", "copy_levels", "active", "note"]


@admin.register(SkipLevelRule)
class SkipLevelRuleAdmin(admin.ModelAdmin):
    """Skip-level rules are district-wide data; the model's clean (skiplevel.check_rule) refuses a rule
    without anything to match or one that would send a case below its usual first level."""

    form = SkipLevelRuleForm
    list_display = ["name", "matter", "matter_category", "min_urgency", "target_level", "target_department", "active"]
    list_filter = ["active", "target_level", "min_urgency"]
    search_fields = ["name", "matter__name", "matter_category", "note"]
    autocomplete_fields = ["matter"]
