"""Forms of the activity pages. They only shape input (types, choices inside the user's scope); the
rules (clashes, seats, deadlines) live in services.py, whose errors come back on the named field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Action
from yiwang.regions.models import Level, Region
from yiwang.core import errors
from yiwang.core.formfields import PhotosField

from .models import ActivityKind, Venue, VenueKind, Weekday

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

# Labels for keys a service may name that are not a field of the form at hand.
FIELD_LABELS = {
    "status": _("状态"), "registration_closes_at": _("报名截止"), "starts_at": _("开始时间"), "ends_at": _("结束时间"),
    "checked_in_at": _("签到"), "code": _("取消码"), "phone": _("手机号"), "name": _("姓名"), "capacity": _("报名名额"),
    "venue": _("场地"), "photos": _("照片"), "summary": _("活动记录"), "attendance": _("参加人数"),
    "cancel_reason": _("取消原因"), "start_time": _("开始时间"), "end_time": _("结束时间"), "region": _("区域"),
}


def label_of(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def describe_error(exc: ValidationError) -> str:
    """One sentence naming the field, for messages outside a form."""
    return errors.describe(exc, label_of)


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    """Put a service's ValidationError next to the fields it names (or on top of the form)."""
    errors.apply_to_form(form, exc, label_of)


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _datetime_field(label, *, required=True, help_text=""):
    return forms.DateTimeField(label=label, required=required, help_text=help_text, widget=DateTimeLocal(),
                               input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])


def region_choices(user):
    """Regions a user may hold venues and activities at: streets and communities in scope, and the
    user's own scope region (a grid worker's grid)."""
    regions = Region.objects.restrict(user, Action.CHANGE)
    own = getattr(user, "scope_region_id", None)
    return regions.filter(Q(level__in=[Level.STREET, Level.COMMUNITY]) | Q(pk=own)).order_by("path")


class VenueForm(forms.Form):
    region = forms.ModelChoiceField(label=_("所属区域"), queryset=Region.objects.none())
    name = forms.CharField(label=_("场地名称"), max_length=100)
    kind = forms.ChoiceField(label=_("类型"), choices=VenueKind.choices)
    address = forms.CharField(label=_("地址"), max_length=200, required=False)
    capacity = forms.IntegerField(label=_("容纳人数"), min_value=1, required=False)
    public = forms.BooleanField(label=_("对外公示排班"), required=False, initial=True)
    note = forms.CharField(label=_("备注"), widget=forms.Textarea(attrs={"rows": 2}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices(user)


class SlotForm(forms.Form):
    group_name = forms.CharField(label=_("团队"), max_length=100)
    weekday = forms.TypedChoiceField(label=_("星期"), choices=Weekday.choices, coerce=int)
    start_time = forms.TimeField(label=_("开始时间"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    end_time = forms.TimeField(label=_("结束时间"), widget=forms.TimeInput(attrs={"type": "time"}, format="%H:%M"))
    valid_from = forms.DateField(label=_("生效日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    valid_until = forms.DateField(label=_("截止日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    contact_name = forms.CharField(label=_("联系人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=11, required=False,
                                    widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}))
    note = forms.CharField(label=_("备注"), max_length=200, required=False)


class ActivityForm(forms.Form):
    region = forms.ModelChoiceField(label=_("主办区域"), queryset=Region.objects.none())
    title = forms.CharField(label=_("活动名称"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=ActivityKind.choices)
    venue = forms.ModelChoiceField(label=_("场地"), queryset=Venue.objects.none(), required=False, empty_label=_("（不在登记的场地）"))
    place = forms.CharField(label=_("地点"), max_length=200, required=False, help_text=_("不在登记的场地时填写"))
    starts_at = _datetime_field(_("开始时间"))
    ends_at = _datetime_field(_("结束时间"))
    capacity = forms.IntegerField(label=_("报名名额"), min_value=1, required=False, help_text=_("留空为不限名额"))
    registration_closes_at = _datetime_field(_("报名截止"), required=False, help_text=_("留空则到活动开始时截止"))
    description = forms.CharField(label=_("活动介绍"), widget=forms.Textarea(attrs={"rows": 4}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = region_choices(user)
        self.fields["venue"].queryset = Venue.objects.restrict(user, Action.VIEW).select_related("region").order_by("region__path", "name")
        self.fields["venue"].label_from_instance = lambda venue: f"{venue.name}（{venue.region.name}）"


class FinishForm(forms.Form):
    summary = forms.CharField(label=_("活动记录"), widget=forms.Textarea(attrs={"rows": 4}))
    attendance = forms.IntegerField(label=_("参加人数"), min_value=0, required=False, help_text=_("留空按签到人数计"))
    photos = PhotosField(label=_("活动照片"), capture=False)


class PhotosForm(forms.Form):
    photos = PhotosField(label=_("活动照片"), capture=False, required=True)


class CancelActivityForm(forms.Form):
    reason = forms.CharField(label=_("取消原因"), max_length=200, required=False)


_PHONE_ATTRS = {"inputmode": "tel", "autocomplete": "tel", "maxlength": 11, "pattern": "1[3-9][0-9]{9}"}


class RegistrationForm(forms.Form):
    name = forms.CharField(label=_("姓名"), max_length=50, widget=forms.TextInput(attrs={"autocomplete": "name"}))
    phone = forms.CharField(label=_("手机号"), max_length=11, widget=forms.TextInput(attrs=_PHONE_ATTRS))


class OwnRegistrationForm(forms.Form):
    """Shown on the same page as the registration form: its own element ids."""

    phone = forms.CharField(label=_("手机号"), max_length=11, widget=forms.TextInput(attrs=_PHONE_ATTRS))
    code = forms.CharField(label=_("取消码"), max_length=12, widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters"}))

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", "own_%s")
        super().__init__(*args, **kwargs)
