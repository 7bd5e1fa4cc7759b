"""Forms for the alliance pages. They only parse; the services hold the rules. Rows of milestones
and decisions are numbered fields (milestone_1_title ...) so that a service refusal naming
"milestones[2].due_on" lands next to the right input (see `error_field`)."""

from __future__ import annotations

import re

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from yiwang.core.scope import Action
from yiwang.matters.models import Department
from yiwang.regions.models import Level, Region

from .models import AllianceMember, AllianceResource, NeedCategory, ResourceKind

MILESTONE_ROWS = 4
DECISION_ROWS = 3
DATE = forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"})


def _members(alliance, *, active_only: bool = True):
    members = alliance.members.select_related("department")
    return members.filter(left_on__isnull=True) if active_only else members


class UnitChoice(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class UnitsChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return obj.label


class ResourcesChoice(forms.ModelMultipleChoiceField):
    def label_from_instance(self, obj):
        return f"{obj.unit.label}:{obj.description}({obj.capacity})"


def error_field(key: str) -> str:
    """A service's error key as a form field: milestones[2].due_on → milestone_2_due_on,
    decisions[1].project.lead → decision_1_lead, decisions[1].project.milestones[1].title → decision_1_milestone."""
    match = re.fullmatch(r"decisions\[(\d+)\]\.project\.milestones\[\d+\]\.(\w+)", key)
    if match:
        return f"decision_{match[1]}_milestone" if match[2] == "title" else f"decision_{match[1]}_milestone_due"
    match = re.fullmatch(r"decisions\[(\d+)\]\.(?:project\.)?(\w+)", key)
    if match:
        return f"decision_{match[1]}_{match[2]}"
    match = re.fullmatch(r"milestones\[(\d+)\]\.(\w+)", key)
    if match:
        return f"milestone_{match[1]}_{match[2]}"
    return key


def put_errors(form: forms.Form, exc) -> None:
    from yiwang.core import errors

    # Decisions are numbered among the rows filled in; point back at the row on the form.
    numbers = getattr(form, "decision_numbers", None)
    for key, messages in errors.by_field(exc).items():
        match = re.match(r"decisions\[(\d+)\]", key)
        if numbers and match and int(match[1]) <= len(numbers):
            key = f"decisions[{numbers[int(match[1]) - 1]}]" + key[match.end():]
        name = error_field(key)
        form.add_error(name if name in form.fields else None, messages)


class AllianceForm(forms.Form):
    name = forms.CharField(label=_("联盟名称"), max_length=100)
    region = forms.ModelChoiceField(label=_("所属街道/社区"), queryset=Region.objects.none())
    founded_on = forms.DateField(label=_("成立日期"), widget=DATE, initial=timezone.localdate)
    description = forms.CharField(label=_("简介"), required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(self, *args, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.restrict(user, Action.CHANGE).filter(
            level__in=[Level.STREET, Level.COMMUNITY]).order_by("path")


class MemberForm(forms.Form):
    department = forms.ModelChoiceField(label=_("部门库中的共建单位"), queryset=Department.objects.none(), required=False)
    name = forms.CharField(label=_("或填写单位名称"), max_length=100, required=False)
    party_organization_name = forms.CharField(label=_("单位党组织"), max_length=150, required=False)
    contact_name = forms.CharField(label=_("联络人"), max_length=50, required=False)
    contact_phone = forms.CharField(label=_("联系电话"), max_length=32, required=False)
    commitment = forms.CharField(label=_("共建承诺"), max_length=200, required=False)
    joined_on = forms.DateField(label=_("加入日期"), widget=DATE, initial=timezone.localdate)

    def __init__(self, *args, alliance=None, **kwargs):
        super().__init__(*args, **kwargs)
        taken = alliance.members.filter(left_on__isnull=True, department__isnull=False).values("department")
        self.fields["department"].queryset = Department.objects.filter(is_alliance_unit=True, active=True).exclude(pk__in=taken).order_by("name")


class NeedForm(forms.Form):
    region = forms.ModelChoiceField(label=_("提出社区/网格"), queryset=Region.objects.none())
    title = forms.CharField(label=_("需求"), max_length=100)
    description = forms.CharField(label=_("群众诉求"), widget=forms.Textarea(attrs={"rows": 3}))
    category = forms.ChoiceField(label=_("类别"), choices=NeedCategory.choices)
    residents_affected = forms.IntegerField(label=_("受益群众（人）"), required=False, min_value=1)

    def __init__(self, *args, alliance=None, user=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].queryset = Region.objects.restrict(user, Action.CHANGE).filter(
            path__startswith=alliance.region.path, level__in=[Level.COMMUNITY, Level.GRID]).order_by("path")


class ResourceForm(forms.Form):
    unit = UnitChoice(label=_("提供单位"), queryset=AllianceMember.objects.none())
    kind = forms.ChoiceField(label=_("类别"), choices=ResourceKind.choices)
    description = forms.CharField(label=_("资源内容"), max_length=200)
    capacity = forms.CharField(label=_("可提供量"), max_length=100)

    def __init__(self, *args, alliance=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = _members(alliance)


class ProjectForm(forms.Form):
    """A project, usually from a need: lead, cooperating units, resources and milestone rows."""

    title = forms.CharField(label=_("项目名称"), max_length=100)
    description = forms.CharField(label=_("项目内容"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    lead = UnitChoice(label=_("牵头单位"), queryset=AllianceMember.objects.none())
    cooperating = UnitsChoice(label=_("配合单位"), queryset=AllianceMember.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    resources = ResourcesChoice(label=_("使用资源"), queryset=AllianceResource.objects.none(), required=False, widget=forms.CheckboxSelectMultiple)
    starts_on = forms.DateField(label=_("开始日期"), widget=DATE, initial=timezone.localdate)
    due_on = forms.DateField(label=_("计划完成日期"), widget=DATE, required=False)

    def __init__(self, *args, alliance=None, **kwargs):
        super().__init__(*args, **kwargs)
        members = _members(alliance)
        self.fields["lead"].queryset = members
        self.fields["cooperating"].queryset = members
        self.fields["resources"].queryset = alliance.resources.filter(available=True).select_related("unit__department")
        for i in range(1, MILESTONE_ROWS + 1):
            self.fields[f"milestone_{i}_title"] = forms.CharField(label=f"节点{i}", max_length=100, required=False)
            self.fields[f"milestone_{i}_due_on"] = forms.DateField(label=f"节点{i}计划完成", widget=DATE, required=False)
            self.fields[f"milestone_{i}_unit"] = UnitChoice(label=f"节点{i}责任单位", queryset=members, required=False,
                                                            empty_label="牵头单位")

    def milestone_rows(self):
        return [(self[f"milestone_{i}_title"], self[f"milestone_{i}_due_on"], self[f"milestone_{i}_unit"]) for i in range(1, MILESTONE_ROWS + 1)]

    def milestones(self):
        from .services import MilestoneInput

        rows = []
        for i in range(1, MILESTONE_ROWS + 1):
            title, due, unit = (self.cleaned_data.get(f"milestone_{i}_{k}") for k in ("title", "due_on", "unit"))
            if title or due:
                rows.append(MilestoneInput(title=title or "", due_on=due, unit=unit))
        return rows


class DoneForm(forms.Form):
    done_on = forms.DateField(label=_("完成日期"), widget=DATE, initial=timezone.localdate)
    note = forms.CharField(label=_("完成情况"), max_length=200, required=False)


class ProgressForm(forms.Form):
    progress = forms.IntegerField(label=_("进度（%）"), min_value=0, max_value=100)
    note = forms.CharField(label=_("说明"), max_length=200, required=False)


class MilestoneForm(forms.Form):
    title = forms.CharField(label=_("节点"), max_length=100)
    due_on = forms.DateField(label=_("计划完成"), widget=DATE)
    unit = UnitChoice(label=_("责任单位"), queryset=AllianceMember.objects.none(), required=False, empty_label="牵头单位")

    def __init__(self, *args, project=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["unit"].queryset = AllianceMember.objects.filter(pk__in=[project.lead_id, *project.cooperating.values_list("pk", flat=True)])


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("原因"), max_length=200)


class LeaveForm(forms.Form):
    left_on = forms.DateField(label=_("退出日期"), widget=DATE, initial=timezone.localdate)
    reason = forms.CharField(label=_("退出原因"), max_length=200)


class MeetingForm(forms.Form):
    held_on = forms.DateField(label=_("召开日期"), widget=DATE, initial=timezone.localdate)
    topic = forms.CharField(label=_("议题"), max_length=150)
    place = forms.CharField(label=_("地点"), max_length=100, required=False)
    attendees = UnitsChoice(label=_("参会单位"), queryset=AllianceMember.objects.none(), widget=forms.CheckboxSelectMultiple)
    minutes = forms.CharField(label=_("会议纪要"), widget=forms.Textarea(attrs={"rows": 4}))

    def __init__(self, *args, alliance=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Units that have left may still have attended an earlier meeting: the service checks the date.
        members = _members(alliance, active_only=False)
        self.fields["attendees"].queryset = members
        for i in range(1, DECISION_ROWS + 1):
            self.fields[f"decision_{i}_text"] = forms.CharField(label=f"决定{i}", max_length=300, required=False)
            self.fields[f"decision_{i}_title"] = forms.CharField(label=_("形成项目（项目名称，不填则不立项）"), max_length=100, required=False)
            self.fields[f"decision_{i}_lead"] = UnitChoice(label=_("牵头单位"), queryset=_members(alliance), required=False)
            self.fields[f"decision_{i}_due_on"] = forms.DateField(label=_("计划完成日期"), widget=DATE, required=False)
            self.fields[f"decision_{i}_milestone"] = forms.CharField(label=_("首个节点"), max_length=100, required=False)
            self.fields[f"decision_{i}_milestone_due"] = forms.DateField(label=_("节点计划完成"), widget=DATE, required=False)

    def decision_rows(self):
        names = ("text", "title", "lead", "due_on", "milestone", "milestone_due")
        return [[self[f"decision_{i}_{n}"] for n in names] for i in range(1, DECISION_ROWS + 1)]

    def decisions(self, *, starts_on):
        from .services import DecisionInput, MilestoneInput, ProjectInput

        made = []
        self.decision_numbers = []
        for i in range(1, DECISION_ROWS + 1):
            get = lambda name: self.cleaned_data.get(f"decision_{i}_{name}")  # noqa: E731
            if not any(get(n) for n in ("text", "title", "lead", "milestone")):
                continue
            project = None
            if get("title") or get("lead"):
                milestones = [MilestoneInput(title=get("milestone") or "", due_on=get("milestone_due"))] if get("milestone") or get("milestone_due") else []
                project = ProjectInput(title=get("title") or "", lead=get("lead"), due_on=get("due_on"), starts_on=starts_on, milestones=milestones)
            made.append(DecisionInput(text=get("text") or "", project=project))
            self.decision_numbers.append(i)
        return made
