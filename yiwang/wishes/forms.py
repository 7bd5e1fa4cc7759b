"""Forms of the wish pages. They only shape input; the rules live in services.py, whose errors
come back on the named field."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from yiwang.core import errors
from yiwang.core.formfields import PhotosField

from .models import WishCategory

FIELD_LABELS = {
    "status": _("状态"), "title": _("心愿内容"), "content": _("详细说明"), "category": _("类别"), "person": _("心愿人"),
    "deadline": _("认领截止日期"), "reason": _("原因"), "note": _("说明"), "photos": _("照片"), "claimant": _("认领方"),
    "unit": _("共建单位"), "feedback": _("评价"), "decision": _("审核结果"),
}


def label_of(key: str) -> str:
    return str(FIELD_LABELS.get(key, key))


def describe_error(exc: ValidationError) -> str:
    return errors.describe(exc, label_of)


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    errors.apply_to_form(form, exc, label_of)


class WishForm(forms.Form):
    title = forms.CharField(label=_("我的心愿"), max_length=100,
                            widget=forms.TextInput(attrs={"placeholder": _("例如：希望有人帮忙修一下家里的旧收音机")}))
    content = forms.CharField(label=_("详细说明"), required=False, max_length=1000, widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("类别"), choices=WishCategory.choices, initial=WishCategory.DAILY_HELP)


class ApproveForm(forms.Form):
    deadline = forms.DateField(label=_("认领截止日期（可不填）"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    note = forms.CharField(label=_("审核意见"), required=False, max_length=200)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("不通过原因"), max_length=200)


class FulfilForm(forms.Form):
    note = forms.CharField(label=_("圆梦情况"), required=False, max_length=500, widget=forms.Textarea(attrs={"rows": 2}))
    photos = PhotosField(label=_("圆梦照片"), required=True)


class ReleaseForm(forms.Form):
    note = forms.CharField(label=_("退回原因"), required=False, max_length=200)


class ConfirmForm(forms.Form):
    feedback = forms.CharField(label=_("评价（可不填）"), required=False, max_length=200)
