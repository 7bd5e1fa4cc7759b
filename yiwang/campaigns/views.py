"""Campaign pages: the list, a new campaign (street or district), a campaign with progress per
grid and its targets (publish and close), a grid worker's work list and the check form (phone)."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_POST

from yiwang.core.pages import run_action
from yiwang.core.scope import Action, Role, get_in_scope, role_allows
from yiwang.matters.models import MatterType
from yiwang.regions.models import Level, Region
from yiwang.registry.models import Household, KeyGroup, Occupancy, Place, PlaceKind
from yiwang.core.errors import apply_to_form, describe

from . import selectors, services
from .models import Campaign, ItemResult, Result, Status, Target, TargetCheck, TargetKind, TargetStatus

ITEM_ROWS = 6
FIELD_LABELS = {"task_key": "网格任务清单事项", "items": "检查项", "targets": "排查对象", "owner": "发起单位", "status": "状态",
                "campaign": "专项排查", "target": "排查对象", "place_ids": "指定对象", "household_ids": "指定对象",
                "target_kind": "排查对象", "within": "范围", "photo": "现场照片", "note": "情况说明"}


def _label(key: str) -> str:
    return FIELD_LABELS.get(key.split("[")[0].split(".")[0], key)


def _may_manage(user) -> bool:
    return user.is_superuser or user.role in services.CAMPAIGN_ROLES


def _task_choices(user) -> list[tuple[str, str]]:
    """Items of the grid task list in force at the user's scope (the street reads the district's)."""
    from yiwang.duties.admission import applicable_list

    region = user.scope_region
    found = applicable_list(region) if region is not None else None
    return sorted(found.tasks.items()) if found is not None else []


def _task_title(campaign) -> str:
    """The title of the grid task item the campaign executes, as the owner's list in force names it
    (staff read the title; the item's number stays in a tooltip)."""
    from yiwang.duties.admission import applicable_list

    found = applicable_list(campaign.owner)
    return found.tasks.get(campaign.task_key, "") if found is not None else ""


@login_required
def index(request):
    user = request.user
    campaigns = selectors.visible_campaigns(user).select_related("owner")
    status = request.GET.get("status", "")
    if status in Status.values:
        campaigns = campaigns.filter(status=status)
    page = Paginator(campaigns, 20).get_page(request.GET.get("page"))
    rows = [(c, selectors.progress(selectors.visible_targets(user, c)).total, _task_title(c)) for c in page]
    mine = selectors.my_targets(user).filter(status=TargetStatus.PENDING).count() if user.role == Role.GRID_WORKER else None
    return render(request, "campaigns/index.html", {"page": page, "rows": rows, "status": status, "statuses": Status.choices,
                                                    "may_manage": _may_manage(user), "mine": mine})


class CampaignForm(forms.Form):
    title = forms.CharField(label=_("名称"), max_length=100)
    owner = forms.ModelChoiceField(label=_("发起单位"), queryset=Region.objects.none())
    task_key = forms.CharField(label=_("执行的网格任务清单事项"), max_length=40,
                               help_text=_("只有准入网格的清单事项可以下发到网格"))
    starts_on = forms.DateField(label=_("开始日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    ends_on = forms.DateField(label=_("结束日期"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))
    description = forms.CharField(label=_("说明"), required=False, widget=forms.Textarea(attrs={"rows": 2}))
    target_kind = forms.ChoiceField(label=_("排查对象"), choices=TargetKind.choices, initial=TargetKind.PLACE, widget=forms.RadioSelect)
    place_kinds = forms.MultipleChoiceField(label=_("场所类别"), choices=PlaceKind.choices, required=False, widget=forms.CheckboxSelectMultiple)
    occupancy = forms.MultipleChoiceField(label=_("住户：房屋居住状态"), choices=Occupancy.choices, required=False, widget=forms.CheckboxSelectMultiple)
    key_groups = forms.MultipleChoiceField(label=_("住户：有以下重点人群"), choices=KeyGroup.choices, required=False, widget=forms.CheckboxSelectMultiple)
    within = forms.ModelMultipleChoiceField(label=_("限定社区（不选为全部）"), queryset=Region.objects.none(), required=False,
                                            widget=forms.CheckboxSelectMultiple)
    picks = forms.CharField(label=_("另行指定对象"), required=False, widget=forms.Textarea(attrs={"rows": 2}),
                            help_text=_("每行一个：场所名称或户编号"))

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["owner"].queryset = Region.objects.restrict(user, Action.CHANGE).filter(level__in=sorted(services.OWNER_LEVELS))
        self.fields["within"].queryset = Region.objects.restrict(user).filter(level=Level.COMMUNITY)
        matters = MatterType.objects.filter(active=True).order_by("kind", "code")
        for n in range(1, ITEM_ROWS + 1):
            self.fields[f"item_{n}_text"] = forms.CharField(label=f"检查项{n}", max_length=200, required=False)
            self.fields[f"item_{n}_matter"] = forms.ModelChoiceField(label=f"检查项{n}不合格时立案事项", queryset=matters, required=False,
                                                                      empty_label="不合格时立案事项")

    def item_rows(self):
        return [(self[f"item_{n}_text"], self[f"item_{n}_matter"]) for n in range(1, ITEM_ROWS + 1)]


def _picks(owner: Region, kind: str, text: str, user) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Lines of place names or household numbers -> ids, inside the owner and the user's scope."""
    lines = [line.strip() for line in (text or "").splitlines() if line.strip()]
    if not lines:
        return (), ()
    model = Place if kind == TargetKind.PLACE else Household
    rows = model.objects.restrict(user).filter(region__path__startswith=owner.path)
    found, missing = [], []
    for line in lines:
        lookup = Q(name=line) if model is Place else Q(number=line)
        if line.isdigit():
            lookup |= Q(pk=int(line))
        ids = list(rows.filter(lookup).values_list("pk", flat=True)[:2])
        if len(ids) != 1:
            missing.append(line)
        else:
            found.append(ids[0])
    if missing:
        raise ValidationError({"picks": f"找不到（或有重名）：{'、'.join(missing[:10])}"})
    return (tuple(found), ()) if model is Place else ((), tuple(found))


@login_required
def new(request):
    user = request.user
    if not _may_manage(user):
        raise PermissionDenied(gettext("只有街道或区级工作人员可以发起专项排查"))
    form = CampaignForm(request.POST or None, user=user,
                        initial={"owner": user.scope_region if user.scope_region and user.scope_region.level in services.OWNER_LEVELS else None,
                                 "starts_on": timezone.localdate()})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        items = [{"text": data[f"item_{n}_text"], "matter": data[f"item_{n}_matter"]} for n in range(1, ITEM_ROWS + 1)
                 if data[f"item_{n}_text"] or data[f"item_{n}_matter"]]
        try:
            place_ids, household_ids = _picks(data["owner"], data["target_kind"], data["picks"], user)
            spec = services.TargetFilter(place_kinds=tuple(data["place_kinds"]) if data["target_kind"] == TargetKind.PLACE else (),
                                         occupancy=tuple(data["occupancy"]) if data["target_kind"] == TargetKind.HOUSEHOLD else (),
                                         key_groups=tuple(data["key_groups"]) if data["target_kind"] == TargetKind.HOUSEHOLD else (),
                                         within=tuple(data["within"]), place_ids=place_ids, household_ids=household_ids)
            campaign = services.create_campaign(acting_user=user, owner=data["owner"], title=data["title"], task_key=data["task_key"],
                                                starts_on=data["starts_on"], ends_on=data["ends_on"], target_kind=data["target_kind"],
                                                description=data["description"], items=items, targets=spec)
        except ValidationError as exc:
            apply_to_form(form, exc, _label)
        else:
            messages.success(request, f"已建立“{campaign.title}”，排查对象 {campaign.targets.count()} 个。核对后请下发到网格。")
            return redirect("campaigns:detail", campaign.pk)
    return render(request, "campaigns/form.html", {"form": form, "tasks": _task_choices(user)})


def _visible_campaign(user, pk: int) -> Campaign:
    return get_object_or_404(selectors.visible_campaigns(user).select_related("owner", "published_by", "closed_by"), pk=pk)


@login_required
def detail(request, pk: int):
    user = request.user
    campaign = _visible_campaign(user, pk)
    targets = selectors.visible_targets(user, campaign)
    report = selectors.progress(targets)
    status = request.GET.get("status", "")
    listed = targets.select_related("place", "household__house__building", "grid", "assignee", "record")
    if status in TargetStatus.values:
        listed = listed.filter(status=status)
    elif status == "failed":
        listed = listed.filter(record__failed_items__gt=0)
    page = Paginator(listed.order_by("grid__path", "status", "pk"), 30).get_page(request.GET.get("page"))
    owns = _may_manage(user) and role_allows(user, Action.CHANGE) and Campaign.objects.restrict(user, Action.CHANGE).filter(pk=pk).exists()
    return render(request, "campaigns/detail.html", {
        "campaign": campaign, "items": campaign.items.select_related("matter"), "report": report, "page": page, "status": status,
        "owns": owns, "admission": sorted(campaign.admission.items()), "task_title": _task_title(campaign)})


@login_required
@require_POST
def publish(request, pk: int):
    campaign = _visible_campaign(request.user, pk)
    return run_action(request, lambda: services.publish_campaign(campaign, acting_user=request.user), success=gettext("已下发到网格。"),
                      explain=lambda exc: gettext("下发失败：") + describe(exc), redirect_to=("campaigns:detail", pk))


@login_required
@require_POST
def close(request, pk: int):
    campaign = _visible_campaign(request.user, pk)
    return run_action(request, lambda: services.close_campaign(campaign, acting_user=request.user), success=gettext("专项排查已结束。"),
                      redirect_to=("campaigns:detail", pk))


@login_required
def mine(request):
    """A grid worker's work list on the phone: pending targets first, then the ones done."""
    targets = selectors.my_targets(request.user).select_related("record").order_by("status", "campaign__ends_on", "pk")
    pending = [t for t in targets if t.status == TargetStatus.PENDING]
    done = [t for t in targets if t.status == TargetStatus.CHECKED][:30]
    return render(request, "campaigns/mine.html", {"pending": pending, "done": done})


@login_required
def photo(request, pk: int):
    """A check's photo, for those who may see the target (media is not served publicly)."""
    from django.http import FileResponse

    record = TargetCheck.objects.restrict(request.user).filter(pk=pk).exclude(photo="").first()
    if record is None:
        raise Http404(gettext("照片不存在"))
    response = FileResponse(record.photo.open("rb"))
    response["Cache-Control"] = "private, max-age=3600"
    response["X-Content-Type-Options"] = "nosniff"
    return response


@login_required
def check(request, pk: int):
    user = request.user
    target = get_in_scope(user, Target, Action.VIEW, pk=pk)
    target = Target.objects.select_related("campaign", "place", "household__house__building", "grid", "region", "assignee").get(pk=target.pk)
    items = list(target.campaign.items.select_related("matter"))
    if target.status == TargetStatus.CHECKED:
        results = ItemResult.objects.filter(record__target=target).select_related("item", "case")
        return render(request, "campaigns/check_done.html", {"target": target, "record": target.record, "results": results})
    if target.campaign.status != Status.PUBLISHED:
        raise Http404(gettext("该排查未在进行"))
    errors: dict[str, list[str]] = {}
    chosen: dict[int, tuple[str, str]] = {}
    note = ""
    if request.method == "POST":
        note = request.POST.get("note", "")
        results = []
        for item in items:
            result, item_note = request.POST.get(f"result_{item.pk}", ""), request.POST.get(f"note_{item.pk}", "")
            chosen[item.pk] = (result, item_note)
            if result:
                results.append({"item": item.pk, "result": result, "note": item_note})
        try:
            record = services.record_check(target, acting_user=user, results=results, note=note, photo=request.FILES.get("photo"))
        except ValidationError as exc:
            errors = exc.message_dict if hasattr(exc, "error_dict") else {"__all__": exc.messages}
        except PermissionDenied as exc:
            errors = {"__all__": [str(exc)]}
        else:
            cases = [r.case.number for r in record.results.select_related("case") if r.case_id]
            text = f"已记录 {target.label} 的排查"
            if cases:
                text += f"，不合格项已立案 {len(cases)} 件：{'、'.join(cases)}"
            messages.success(request, text)
            return redirect("campaigns:mine")
    rows = [{"item": item, "result": chosen.get(item.pk, ("", ""))[0], "note": chosen.get(item.pk, ("", ""))[1],
             "error": "；".join(errors.get(f"items[{item.number}]", []))} for item in items]
    general = [m for key, ms in errors.items() if not key.startswith("items[") for m in ([f"{_label(key)}:{x}" for x in ms] if key != "__all__" else ms)]
    return render(request, "campaigns/check.html", {"target": target, "rows": rows, "note": note, "errors": general,
                                                    "choices": Result.choices})
