from django import forms
from django.utils.translation import gettext_lazy as _

from .models import ForceRole


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, member) -> str:
        return f"{member.name}（{member.get_role_display()}，{member.region.name}）"


def _member_field():
    return MemberChoiceField(label=_("人员"), queryset=None, empty_label=_("请选择"),
                             error_messages={"invalid_choice": _("所选人员不在您的管理范围内或已离岗。"),
                                             "required": _("请选择人员。")})


class NewMemberForm(forms.Form):
    """A new member, put on this grid at once when the page is a grid's."""

    name = forms.CharField(label=_("姓名"), max_length=50, strip=True)
    role = forms.ChoiceField(label=_("身份"), choices=[("", _("请选择"))] + list(ForceRole.choices))
    phone = forms.CharField(label=_("电话"), max_length=30, required=False, strip=True)
    unit = forms.CharField(label=_("所在单位"), max_length=100, required=False, strip=True)


class AssignForm(forms.Form):
    role = forms.ChoiceField(label=_("岗位"), choices=[("", _("请选择"))] + list(ForceRole.choices))
    starts_on = forms.DateField(label=_("起始日期"), widget=forms.DateInput(attrs={"type": "date"}))
    ends_on = forms.DateField(label=_("结束日期"), required=False, widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"member": _member_field(), **self.fields}
        self.fields["member"].queryset = members


class ShiftForm(forms.Form):
    starts_at = forms.DateTimeField(label=_("开始"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    note = forms.CharField(label=_("说明"), max_length=200, required=False, strip=True)

    def __init__(self, *args, members, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields = {"member": _member_field(), **self.fields}
        self.fields["member"].queryset = members
