"""Forms of the links pages: a new link, a visit with its problem rows (a formset, rows added on the
phone by cloning the empty form), ending a link. The services do the real checking; errors they
raise are put back on the field or the problem row they name."""

from __future__ import annotations

import re

from django import forms
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Action, Role, scope_path
from yiwang.matters.models import Department, MatterType
from yiwang.party.models import PartyOrganization
from yiwang.regions.models import Level, Region, ancestor_paths

from .models import LinkKind, Period, VisitMode
from .services import BRANCH_KINDS

PROBLEM_KEY = re.compile(r"^problems\[(\d+)\]\.(\w+)")


class LocalDateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs, format="%Y-%m-%d")


EMPTY_LABEL = "—— 请选择 ——"


def _user_label(user) -> str:
    name = user.get_full_name()
    return f"{name}({user.username})" if name else user.username


class ChoiceField(forms.ModelChoiceField):
    """A model select whose empty choice reads in Chinese."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("empty_label", EMPTY_LABEL)
        super().__init__(*args, **kwargs)


class UserChoiceField(ChoiceField):
    def label_from_instance(self, obj):
        return _user_label(obj)


class RegionChoiceField(ChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.parent.name} · {obj.name}" if obj.level == Level.GRID and obj.parent_id else obj.name


class MatterChoiceField(ChoiceField):
    def label_from_instance(self, obj):
        return str(obj)  # the name, then the code: 邻里纠纷（S0001）


def units_near(user, model):
    """Departments or party organizations a user may link: those of the units above the user's
    scope (district departments) and those inside it."""
    prefix = scope_path(user)
    if prefix is None:
        return model.objects.none()
    if prefix == "":
        return model.objects.all()
    return model.objects.filter(Q(region__path__in=ancestor_paths(prefix)) | Q(region__path__startswith=prefix))


def staff_in_scope(user):
    """Accounts that can see part of the user's scope: candidates for leader, A and B."""
    # The scope rule for accounts (yiwang.core.scope.visible_users): the subtree and the chain above it.
    users = get_user_model().objects.restrict(user).filter(is_active=True).exclude(role=Role.RESIDENT).select_related("scope_region")
    return users.order_by("username")


class LinkForm(forms.Form):
    kind = forms.ChoiceField(label=_("联点类型"), choices=LinkKind.choices)
    region = RegionChoiceField(label=_("联点社区/网格"), queryset=Region.objects.none())
    leader = UserChoiceField(label=_("联点领导账号"), queryset=get_user_model().objects.none(), required=False,
                             help_text=_("领导没有账号时可不选，填写姓名即可"))
    leader_name = forms.CharField(label=_("联点人姓名"), max_length=50, required=False)
    leader_title = forms.CharField(label=_("职务"), max_length=100, required=False)
    department = ChoiceField(label=_("部门/共建单位"), queryset=Department.objects.none(), required=False)
    party_organization = ChoiceField(label=_("党支部"), queryset=PartyOrganization.objects.none(), required=False)
    contacts_required = forms.IntegerField(label=_("每期至少联系次数"), min_value=1, max_value=100, initial=1)
    period = forms.ChoiceField(label=_("周期"), choices=Period.choices, initial=Period.MONTH)
    counted_mode = forms.ChoiceField(label=_("计入频次的方式"), choices=[("", "任何方式"), *VisitMode.choices], required=False)
    cadence_note = forms.CharField(label=_("联系要求"), max_length=200, required=False, help_text=_("如：每月至少一次面对面；每周一天驻格"))
    starts_on = forms.DateField(label=_("开始日期"), widget=DateInput())
    primary = UserChoiceField(label=_("A角（主责）"), queryset=get_user_model().objects.none(), required=False)
    backup = UserChoiceField(label=_("B角（替补）"), queryset=get_user_model().objects.none(), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["starts_on"].initial = timezone.localdate()
        self.fields["region"].queryset = (Region.objects.restrict(user, Action.CHANGE).filter(level__in=[Level.COMMUNITY, Level.GRID])
                                          .select_related("parent").order_by("path"))
        staff = staff_in_scope(user)
        for name in ("leader", "primary", "backup"):
            self.fields[name].queryset = staff
        self.fields["department"].queryset = units_near(user, Department).filter(active=True).order_by("-is_alliance_unit", "code")
        self.fields["party_organization"].queryset = (units_near(user, PartyOrganization).filter(kind__in=sorted(BRANCH_KINDS))
                                                      .order_by("region__path", "name"))


class VisitForm(forms.Form):
    at = forms.DateTimeField(label=_("走访时间"), widget=LocalDateTimeInput())
    mode = forms.ChoiceField(label=_("方式"), choices=VisitMode.choices, widget=forms.RadioSelect, initial=VisitMode.FACE_TO_FACE)
    i_went = forms.BooleanField(label=_("我本人参加"), required=False, initial=True)
    visitor_names = forms.CharField(label=_("走访人"), max_length=200, required=False, help_text=_("同行人员姓名，多人用顿号隔开"))
    summary = forms.CharField(label=_("走访情况"), widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["at"].initial = timezone.localtime().replace(second=0, microsecond=0)


def matters_for_visits():
    """Active matter types a visit can open a case for: those whose intake asks nothing required
    (the visit form has no place for extra answers; such matters go through the report page)."""
    active = MatterType.objects.filter(active=True)
    asking = [m.pk for m in active if any(a.get("required") for a in m.attributes)]
    return active.exclude(pk__in=asking).order_by("kind", "code")


class ProblemForm(forms.Form):
    description = forms.CharField(label=_("问题"), widget=forms.Textarea(attrs={"rows": 2}), required=False)
    open_case = forms.BooleanField(label=_("立案（转入事件办理）"), required=False)
    matter = MatterChoiceField(label=_("事项类型"), queryset=MatterType.objects.none(), required=False,
                               help_text=_("需填写采集项的事项（如电动车违规充电）请在事件上报页登记"))
    grid = RegionChoiceField(label=_("问题所在网格"), queryset=Region.objects.none(), required=False)

    def __init__(self, *args, grids=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["matter"].queryset = matters_for_visits()
        if grids is None:
            del self.fields["grid"]
        else:
            self.fields["grid"].queryset = grids

    def clean(self):
        data = super().clean()
        if data.get("open_case") and not data.get("matter"):
            self.add_error("matter", "立案须选择事项类型")
        if (data.get("open_case") or data.get("matter")) and not (data.get("description") or "").strip():
            self.add_error("description", "请描述问题")
        return data

    @property
    def filled(self) -> bool:
        return bool(self.is_bound and self.cleaned_data and (self.cleaned_data.get("description") or "").strip())


class BaseProblemFormSet(forms.BaseFormSet):
    def __init__(self, *args, grids=None, **kwargs):
        self.grids = grids
        super().__init__(*args, **kwargs)

    def get_form_kwargs(self, index):
        return {**super().get_form_kwargs(index), "grids": self.grids}


ProblemFormSet = forms.formset_factory(ProblemForm, formset=BaseProblemFormSet, extra=1, max_num=20, absolute_max=20)


class RolesForm(forms.Form):
    primary = UserChoiceField(label=_("A角"), queryset=None, required=False)
    backup = UserChoiceField(label=_("B角"), queryset=None, required=False)

    def __init__(self, *args, user, link=None, **kwargs):
        super().__init__(*args, **kwargs)
        people = staff_in_scope(user)
        self.fields["primary"].queryset = self.fields["backup"].queryset = people
        if link is not None:
            self.fields["primary"].initial, self.fields["backup"].initial = link.primary_id, link.backup_id


class EndForm(forms.Form):
    ends_on = forms.DateField(label=_("结束日期"), widget=DateInput())
    reason = forms.CharField(label=_("结束原因"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["ends_on"].initial = timezone.localdate()


def put_errors(exc_dict: dict, *, form: forms.Form, problem_forms: list[forms.Form] | None = None) -> None:
    """Service errors back onto the form fields they name (problems[N].field onto problem row N)."""
    for key, messages in exc_dict.items():
        match = PROBLEM_KEY.match(key)
        target, field = form, key
        if match and problem_forms and 0 < int(match.group(1)) <= len(problem_forms):
            target, field = problem_forms[int(match.group(1)) - 1], match.group(2)
        if field not in target.fields:
            field = None
        for message in messages:
            target.add_error(field, message)
