"""Forms of the grid-work pages: a patrol, a home visit (with the care persons to pick and the
household by its number), the findings as rows (a formset, rows added on the phone by cloning the
empty form), and a care plan. The services do the real checking; the errors they raise go back on
the field or the finding row they name."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.formfields import PhotosField
from yiwang.core.scope import Action
from yiwang.matters.models import MatterType
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Building, Household, KeyGroup, Person, Place

from .models import Frequency
from .services import PLAN_LEVELS, RECORD_LEVELS

FINDING_KEY = re.compile(r"^findings\[(\d+)\]\.(\w+)")
PERSON_KEY = re.compile(r"^persons\[\d+\]")
EMPTY_LABEL = "—— 请选择 ——"


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class RegionChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} · {obj.name}" if obj.parent_id and obj.level != Level.COMMUNITY else obj.name


class MatterChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return str(obj)  # the name, then the code: 邻里纠纷（S0001）


def matters_for_findings():
    """Active matter types a finding can open a case for: those whose intake asks nothing required
    (these forms have no place for extra answers; such matters go through the report page)."""
    active = MatterType.objects.filter(active=True)
    asking = [m.pk for m in active if any(a.get("required") for a in m.attributes)]
    return active.exclude(pk__in=asking).order_by("kind", "code")


class RecordForm(forms.Form):
    region = RegionChoiceField(label=_("网格/微网格"), queryset=Region.objects.none(), empty_label=EMPTY_LABEL)
    at = forms.DateTimeField(label=_("时间"), widget=LocalDateTimeInput())
    summary = forms.CharField(label=_("情况记录"), widget=forms.Textarea(attrs={"rows": 3}))
    building = forms.ModelChoiceField(label=_("楼栋"), queryset=Building.objects.none(), required=False, empty_label=EMPTY_LABEL)
    place = forms.ModelChoiceField(label=_("场所单位"), queryset=Place.objects.none(), required=False, empty_label=EMPTY_LABEL)
    lon = forms.FloatField(required=False, widget=forms.HiddenInput)
    lat = forms.FloatField(required=False, widget=forms.HiddenInput)
    photos = PhotosField(label=_("现场照片"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        regions = (Region.objects.restrict(user, Action.CHANGE).filter(level__in=RECORD_LEVELS).select_related("parent").order_by("path"))
        self.fields["region"].queryset = regions
        if user.scope_region_id and user.scope_region.level in RECORD_LEVELS:
            self.fields["region"].initial = user.scope_region_id
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)
        # Buildings and places of the user's grid: a short list on a phone. Above a grid the lists
        # would run to thousands, so staff there record the region and describe the spot instead.
        if user.scope_region_id and user.scope_region.level in RECORD_LEVELS:
            self.fields["building"].queryset = Building.objects.restrict(user, Action.CHANGE).order_by("code")
            self.fields["place"].queryset = Place.objects.restrict(user, Action.CHANGE).order_by("name")
        else:
            del self.fields["building"], self.fields["place"]


class PatrolForm(RecordForm):
    ended_at = forms.DateTimeField(label=_("结束时间"), widget=LocalDateTimeInput(), required=False)
    route = forms.CharField(label=_("巡查路线"), max_length=200, required=False, help_text=_("如：滨湖路—安康路—2号楼后巷"))
    field_order = ["region", "at", "ended_at", "route", "summary", "building", "place"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["summary"].label = _("巡查情况")


class VisitForm(RecordForm):
    persons = forms.TypedMultipleChoiceField(label=_("关爱对象"), coerce=int, required=False, widget=forms.CheckboxSelectMultiple,
                                             help_text=_("走访到的重点人群对象，计入关爱走访"))
    household_number = forms.CharField(label=_("户编号"), max_length=40, required=False, help_text=_("走访的住户（可选）"))
    field_order = ["region", "at", "persons", "household_number", "summary", "building", "place"]

    def __init__(self, *args, user, care_rows=(), **kwargs):
        super().__init__(*args, user=user, **kwargs)
        self.user = user
        self.fields["summary"].label = _("走访情况")
        self.fields["persons"].choices = [(row.person_id, f"{row.person_name}({row.groups_text},{row.status_label})") for row in care_rows]

    def clean_persons(self):
        ids = self.cleaned_data.get("persons") or []
        persons = list(Person.objects.restrict(self.user).filter(pk__in=ids))
        if len(persons) != len(set(ids)):
            raise forms.ValidationError("所选人员不在您的数据范围内")
        return persons

    def clean_household_number(self):
        number = (self.cleaned_data.get("household_number") or "").strip()
        if not number:
            return None
        household = Household.objects.restrict(self.user).filter(number=number).first()
        if household is None:
            raise forms.ValidationError(f"没有户编号 {number}，或不在您的数据范围内")
        return household


class FindingForm(forms.Form):
    description = forms.CharField(label=_("发现的问题"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    open_case = forms.BooleanField(label=_("立案（转入事件办理）"), required=False)
    matter = MatterChoiceField(label=_("事项类型"), queryset=MatterType.objects.none(), required=False, empty_label=EMPTY_LABEL,
                               help_text=_("需填写采集项的事项（如电动车违规充电）请在事件上报页登记"))
    urgency = forms.ChoiceField(label=_("紧急程度"), choices=[("normal", "一般"), ("urgent", "紧急"), ("critical", "特急")], initial="normal",
                                required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter"].queryset = matters_for_findings()

    def clean(self):
        data = super().clean()
        if data.get("open_case") and not data.get("matter"):
            self.add_error("matter", "立案须选择事项类型")
        if data.get("open_case") and not (data.get("description") or "").strip():
            self.add_error("description", "请描述问题")
        return data

    @property
    def filled(self) -> bool:
        return bool(self.is_bound and self.cleaned_data and (self.cleaned_data.get("description") or "").strip())


FindingFormSet = forms.formset_factory(FindingForm, extra=1, max_num=20, absolute_max=20)


class PlanForm(forms.Form):
    region = RegionChoiceField(label=_("适用区域"), queryset=Region.objects.none(), empty_label=EMPTY_LABEL)
    group = forms.ChoiceField(label=_("重点人群"), choices=KeyGroup.choices)
    frequency_days = forms.TypedChoiceField(label=_("走访频次"), choices=Frequency.choices, coerce=int, initial=Frequency.WEEKLY)
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    note = forms.CharField(label=_("关爱内容"), max_length=200, required=False, help_text=_("如：上门看望，了解身体和生活状况，检查用气用电安全"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = (Region.objects.restrict(user, Action.CHANGE).filter(level__in=PLAN_LEVELS)
                                          .select_related("parent").order_by("path"))
        if user.scope_region_id and user.scope_region.level in PLAN_LEVELS:
            self.fields["region"].initial = user.scope_region_id
        self.fields["starts_on"].initial = timezone.localdate()


def put_errors(exc_dict: dict, *, form: forms.Form, finding_forms: list[forms.Form] | None = None) -> None:
    """Service errors back onto the fields they name (findings[N].field onto finding row N)."""
    for key, messages in exc_dict.items():
        match = FINDING_KEY.match(key)
        target, field = form, key
        if match and finding_forms and 0 < int(match.group(1)) <= len(finding_forms):
            target, field = finding_forms[int(match.group(1)) - 1], match.group(2)
        elif PERSON_KEY.match(key):
            continue  # the service also gives the summary under "persons"
        elif key == "household" and "household_number" in form.fields:
            field = "household_number"
        if field not in target.fields:
            field = None
        for message in messages:
            target.add_error(field, message)
