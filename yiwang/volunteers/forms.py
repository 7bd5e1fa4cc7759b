"""Forms of the pages; the services check the rules, these only parse input."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import Grade, PostKind

FIELD_LABELS = {
    "member": "党员", "person": "人员", "year": "年度", "posts": "岗位", "note": "特长/说明", "status": "状态", "reason": "原因",
    "region": "区域", "title": "名称", "kind": "类别", "capacity": "名额", "starts_at": "开始时间", "ends_at": "结束时间",
    "places": "名额", "hours": "服务时长", "post": "岗位", "task": "任务", "claims": "完成情况", "grade": "评价等次",
    "comment": "评语", "skills": "特长", "location": "地点",
}


def label(key: str) -> str:
    return FIELD_LABELS.get(key, key)


class PostForm(forms.Form):
    region = forms.ModelChoiceField(queryset=None, label=_("社区"))
    title = forms.CharField(label=_("岗位名称"), max_length=100)
    kind = forms.ChoiceField(label=_("岗位类别"), choices=PostKind.choices)
    capacity = forms.IntegerField(label=_("每年名额"), min_value=1, max_value=500)
    description = forms.CharField(label=_("岗位职责"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, regions=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions


class TaskForm(forms.Form):
    region = forms.ModelChoiceField(queryset=None, label=_("服务区域"))
    post = forms.ModelChoiceField(queryset=None, label=_("所属岗位"), required=False)
    title = forms.CharField(label=_("任务名称"), max_length=120)
    location = forms.CharField(label=_("地点"), max_length=200, required=False)
    starts_at = forms.DateTimeField(label=_("开始时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    ends_at = forms.DateTimeField(label=_("结束时间"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"}))
    places = forms.IntegerField(label=_("名额"), min_value=1, max_value=500, initial=5)
    hours = forms.DecimalField(label=_("服务时长（小时）"), min_value=0.1, max_value=24, decimal_places=1, initial=2)
    open_to_volunteers = forms.BooleanField(label=_("志愿者也可认领"), required=False, initial=True)
    description = forms.CharField(label=_("任务内容"), required=False, widget=forms.Textarea(attrs={"rows": 3}))

    def __init__(self, *args, regions=None, posts=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = regions
        self.fields["post"].queryset = posts


class EvaluationForm(forms.Form):
    grade = forms.ChoiceField(label=_("评价等次"), choices=Grade.choices, widget=forms.RadioSelect)
    comment = forms.CharField(label=_("评语"), max_length=1000, widget=forms.Textarea(attrs={"rows": 4}))


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("退回原因"), max_length=200)
