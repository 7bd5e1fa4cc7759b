"""Forms of the votes pages. They shape input (types, choices inside the user's scope); the rules
live in services.py, whose errors come back on the named field or question."""

from __future__ import annotations

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Action
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Building
from yiwang.core import errors

from .models import RATING_MAX, RATING_MIN, BallotKind, QuestionKind

DATETIME_FORMAT = "%Y-%m-%dT%H:%M"

FIELD_LABELS = {
    "title": _("标题"), "kind": _("类型"), "region": _("发起单位"), "eligible_region": _("投票范围"), "eligible_building": _("楼栋"),
    "opens_at": _("开始时间"), "closes_at": _("截止时间"), "status": _("状态"), "questions": _("题目"), "options": _("选项"),
    "max_choices": _("最多选"), "text": _("题目"), "person": _("投票人"), "ballot": _("投票"), "period": _("期次"),
    "candidates": _("候选项目"),
}


def label_of(key: str) -> str:
    return str(FIELD_LABELS.get(key, "" if key.startswith(("question_", "grid_")) else key))


def describe_error(exc: ValidationError) -> str:
    """One sentence; question errors already name their question."""
    if not hasattr(exc, "error_dict"):
        return "；".join(exc.messages)
    parts = []
    for key, messages in exc.message_dict.items():
        label = label_of(key)
        parts.append(f"{label}：{'，'.join(messages)}" if label and key != "__all__" else "，".join(messages))
    return "；".join(parts)


def apply_errors(form: forms.Form, exc: ValidationError) -> None:
    errors.apply_to_form(form, exc, label_of)


class DateTimeLocal(forms.DateTimeInput):
    input_type = "datetime-local"

    def __init__(self, **kwargs):
        super().__init__(format=DATETIME_FORMAT, **kwargs)


def _datetime_field(label):
    return forms.DateTimeField(label=label, widget=DateTimeLocal(), input_formats=[DATETIME_FORMAT, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"])


def owner_regions(user):
    """Who may run a ballot: streets and communities in scope, and the user's own region."""
    own = getattr(user, "scope_region_id", None)
    return Region.objects.restrict(user, Action.CHANGE).filter(Q(level__in=[Level.STREET, Level.COMMUNITY]) | Q(pk=own)).order_by("path")


def scope_regions(user):
    """Eligibility scopes offered: communities, grids and micro-grids in scope (a building by code)."""
    return Region.objects.restrict(user, Action.CHANGE).filter(level__in=[Level.STREET, Level.COMMUNITY, Level.GRID, Level.MICRO_GRID]) \
        .order_by("path")


class BallotForm(forms.Form):
    title = forms.CharField(label=_("标题"), max_length=120)
    kind = forms.ChoiceField(label=_("类型"), choices=BallotKind.choices)
    region = forms.ModelChoiceField(label=_("发起单位"), queryset=Region.objects.none(), to_field_name="code")
    eligible_region = forms.ModelChoiceField(label=_("投票范围（网格/社区）"), queryset=Region.objects.none(), to_field_name="code",
                                             required=False)
    eligible_building = forms.CharField(label=_("或：楼栋编号"), max_length=40, required=False,
                                        help_text=_("只限一栋楼的居民投票时填写，此时不选网格/社区"))
    opens_at = _datetime_field(_("开始时间"))
    closes_at = _datetime_field(_("截止时间"))
    period = forms.CharField(label=_("期次"), max_length=40, required=False, help_text=_("例如：2026年上半年"))
    publish_on_close = forms.BooleanField(label=_("截止即公布结果"), required=False, initial=True,
                                          help_text=_("评优投票如需审核后再公布，请取消勾选"))
    description = forms.CharField(label=_("说明"), widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.fields["region"].queryset = owner_regions(user)
        self.fields["eligible_region"].queryset = scope_regions(user)
        self.fields["region"].label_from_instance = self.fields["eligible_region"].label_from_instance = \
            lambda r: f"{r.name}（{r.get_level_display()}）"

    def clean_eligible_building(self):
        code = self.cleaned_data.get("eligible_building", "").strip()
        if not code:
            return None
        building = Building.objects.restrict(self.user, Action.VIEW).filter(code=code).select_related("region").first()
        if building is None:
            raise ValidationError(_("没有这个楼栋编号，或不在您的范围内"))
        return building


class QuestionForm(forms.Form):
    text = forms.CharField(label=_("题目"), max_length=300)
    kind = forms.ChoiceField(label=_("题型"), choices=QuestionKind.choices)
    required = forms.BooleanField(label=_("必答"), required=False, initial=True)
    max_choices = forms.IntegerField(label=_("最多选（多选题）"), min_value=1, required=False)
    options = forms.CharField(label=_("选项（每行一个）"), widget=forms.Textarea(attrs={"rows": 4}), required=False,
                              help_text=_("选择题填写；评优候选人可写“姓名”，或写居民编号“#123”"))

    def option_specs(self, person_lookup) -> list:
        """Lines as option labels; "#<id>" names a registry person as the candidate."""
        specs = []
        for line in self.cleaned_data.get("options", "").splitlines():
            line = line.strip()
            if not line:
                continue
            if line.startswith("#") and line[1:].isdigit():
                person = person_lookup(int(line[1:]))
                if person is None:
                    raise ValidationError({"options": f"没有编号为{line[1:]}的居民，或不在您的范围内"})
                specs.append({"person": person})
            else:
                specs.append(line)
        return specs


class GridProjectsForm(forms.Form):
    community = forms.ModelChoiceField(label=_("社区"), queryset=Region.objects.none(), to_field_name="code")
    period = forms.CharField(label=_("期次"), max_length=40, help_text=_("例如：2026年上半年"))
    opens_at = _datetime_field(_("开始时间"))
    closes_at = _datetime_field(_("截止时间"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["community"].queryset = Region.objects.restrict(user, Action.CHANGE).filter(level=Level.COMMUNITY).order_by("path")


def rating_choices():
    return list(range(RATING_MIN, RATING_MAX + 1))
