from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Role, scope_path
from yiwang.matters.models import Board, Department
from yiwang.regions.models import Level, Region

from .models import DeskKind

STAFF_ROLES = [Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID_WORKER, Role.DEPARTMENT]


def people_for(user):
    """Staff a user may name: those whose unit lies in the user's scope (the user included)."""
    users = get_user_model().objects.restrict(user).filter(is_active=True, role__in=STAFF_ROLES).order_by("username")
    prefix = scope_path(user)
    if prefix is None:
        return users.none()
    return users if prefix == "" else users.filter(scope_region__path__startswith=prefix) | users.filter(pk=user.pk)


class PersonChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.username
        unit = obj.unit or (obj.scope_region.name if obj.scope_region_id else "")
        return f"{name}({obj.username}{' · ' + unit if unit else ''})"


class LeaveForm(forms.Form):
    user = PersonChoice(label=_("请假人"), queryset=None)
    starts_at = forms.DateTimeField(label=_("开始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    ends_at = forms.DateTimeField(label=_("结束"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"))
    reason = forms.CharField(label=_("事由"), max_length=200)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["user"].queryset = people_for(user).select_related("scope_region")
        self.fields["user"].initial = user.pk


class DeskForm(forms.Form):
    kind = forms.ChoiceField(label=_("类型"), choices=DeskKind.choices)
    region = forms.ModelChoiceField(label=_("单位（区域）"), queryset=None, required=False)
    board = forms.ChoiceField(label=_("板块"), choices=[("", "—"), *Board.choices], required=False)
    department = forms.ModelChoiceField(label=_("部门"), queryset=None, required=False)
    primary = PersonChoice(label=_("A角（主责）"), queryset=None, required=False)
    backup = PersonChoice(label=_("B角（替补）"), queryset=None, required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        prefix = scope_path(user) or ""
        regions = Region.objects.filter(level__in=[Level.DISTRICT, Level.STREET, Level.COMMUNITY, Level.GRID], path__startswith=prefix)
        self.fields["region"].queryset = regions.order_by("path")
        self.fields["department"].queryset = Department.objects.filter(active=True, region__path__startswith=prefix).order_by("name")
        people = people_for(user).select_related("scope_region")
        self.fields["primary"].queryset = people
        self.fields["backup"].queryset = people
