"""Pages for grid work. A grid worker's home is the phone page (record a patrol or a home visit, my
recent records, my overdue care visits); community, street and district staff land on care
coverage per grid with the overdue list and the recent records in scope. Thin: parse, call a
service or selector, render."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST
from django.utils.translation import gettext, gettext_lazy

from yiwang.accounts.addresses import client_address
from yiwang.core import idempotency
from yiwang.core.formfields import keeps_photos
from yiwang.core.pages import run_action, see_other, staff_required
from yiwang.core.scope import Action, Role, get_in_scope, scope_path
from yiwang.regions.models import Region
from yiwang.registry import access
from yiwang.registry.models import Person
from yiwang.core import errors

from . import selectors, services
from .forms import FindingFormSet, PatrolForm, PlanForm, VisitForm, put_errors
from .models import CarePlan, HomeVisit, PatrolLog, RecordPhoto

# How many not-yet-covered care persons the visit form offers to tick.
CARE_CHOICES = 100


# Residents have their own pages; everything here is staff work.
RESIDENTS_REFUSED = gettext_lazy("居民账号不能使用网格日常页面")


def _may_set_plans(user) -> bool:
    return user.is_superuser or user.role in services.PLAN_SETTING_ROLES


@staff_required(message=RESIDENTS_REFUSED)
def index(request):
    user = request.user
    if user.role == Role.GRID_WORKER:
        return mine(request)
    return care(request)


@staff_required(message=RESIDENTS_REFUSED)
def mine(request):
    """The grid worker's phone page."""
    user = request.user
    rows = selectors.care_rows(region_path=scope_path(user) or "/nowhere/", viewer=user)
    return render(request, "gridwork/mine.html", {
        "late": selectors.overdue(rows), "totals": selectors.totals(rows), "recent": selectors.my_recent_records(user),
        "may_record": services.may_record(user),
    })


@staff_required(message=RESIDENTS_REFUSED)
def care(request):
    """Care coverage per grid, the overdue list and recent records, for the user's scope or a region in it."""
    user = request.user
    path = scope_path(user)
    if path is None:
        raise PermissionDenied
    region = None
    code = request.GET.get("region", "")
    if code:
        region = Region.objects.restrict(user).filter(code=code).first()
        if region is not None:
            path = region.path
    rows = selectors.care_rows(region_path=path, viewer=user)
    grids = selectors.coverage_by_grid(rows, region_path=path)
    workers = {cell.grid.pk: cell.workers for cell in grids}
    late = [(row, workers.get(row.grid.pk, []) if row.grid else []) for row in selectors.overdue(rows)]
    patrols = selectors.patrols_in_scope(user).filter(region__path__startswith=path)
    visits = selectors.visits_in_scope(user).filter(region__path__startswith=path)
    communities = Region.objects.restrict(user).filter(level="community").order_by("path")
    return render(request, "gridwork/care.html", {
        "region": region, "grids": grids, "late": late, "totals": selectors.totals(rows),
        "recent": selectors.recent_records(patrols, visits, 20), "communities": communities if communities.count() > 1 else [],
        "may_record": services.may_record(user), "may_set_plans": _may_set_plans(user),
        "plans": selectors.plans_visible_to(user).filter(active=True).order_by("region__path", "group"),
    })


def _findings(formset):
    return [f for f in formset.forms if f.filled]


def _finding_inputs(filled):
    return [services.FindingInput(description=f.cleaned_data["description"],
                                  matter=f.cleaned_data["matter"] if f.cleaned_data.get("open_case") else None,
                                  urgency=f.cleaned_data.get("urgency") or "normal") for f in filled]


def _opened_text(record, label: str) -> str:
    opened = [f.case.number for f in record.findings.select_related("case") if f.case_id]
    return f"已记录{label}" + (f"，立案 {len(opened)} 件：{'、'.join(opened)}" if opened else "")


PATROL_KIND, VISIT_KIND = "gridwork.patrol", "gridwork.visit"


def _submission_key(request, form, kind: str):
    """The form's submission key, and the record an earlier POST with it made (shown again instead)."""
    if request.method != "POST":
        return None, None
    try:
        key = idempotency.parse_key(request.POST.get(idempotency.FIELD))
        return key, idempotency.earlier(user=request.user, key=key, kind=kind)
    except ValidationError as exc:
        form.add_error(None, exc.messages[0])
        return None, None


def _already_recorded(request, page: str, pk: int):
    messages.info(request, gettext("这条记录已经提交过，没有重复保存"))
    return see_other(page, pk=pk)


def _recorded(request, outcome, label: str, page: str):
    if outcome.repeated:
        return _already_recorded(request, page, outcome.object_id)
    messages.success(request, _opened_text(outcome.result, label))
    return see_other(page, pk=outcome.object_id)


@staff_required(message=RESIDENTS_REFUSED)
def new_patrol(request):
    user = request.user
    if not services.may_record(user):
        raise PermissionDenied(gettext("您不能记录巡查"))
    form = keeps_photos(PatrolForm(request.POST or None, request.FILES or None, user=user), request)
    formset = FindingFormSet(request.POST or None, prefix="findings")
    key, first = _submission_key(request, form, PATROL_KIND)
    if first is not None:
        return _already_recorded(request, "gridwork:patrol", first)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        filled = _findings(formset)
        data = form.cleaned_data
        try:
            outcome = idempotency.once(user=user, key=key, kind=PATROL_KIND, object_id=lambda patrol: patrol.pk, create=lambda: services.record_patrol(
                acting_user=user, region=data["region"], at=data["at"], ended_at=data.get("ended_at"), route=data.get("route", ""),
                summary=data["summary"], building=data.get("building"), place=data.get("place"), lon=data.get("lon"), lat=data.get("lat"),
                findings=_finding_inputs(filled), photos=data["photos"]))
        except ValidationError as exc:
            put_errors(errors.by_field(exc), form=form, finding_forms=filled)
        else:
            return _recorded(request, outcome, "巡查", "gridwork:patrol")
    return render(request, "gridwork/record_form.html", {"form": form, "formset": formset, "title": "记录巡查", "kind": "patrol",
                                                         "idempotency_key": key or ""})


@staff_required(message=RESIDENTS_REFUSED)
def new_visit(request):
    user = request.user
    if not services.may_record(user):
        raise PermissionDenied(gettext("您不能记录入户走访"))
    rows = selectors.care_rows(region_path=scope_path(user) or "/nowhere/", viewer=user)
    wanted = request.GET.get("person") or ""
    offered = [r for r in rows if r.status != selectors.COVERED or str(r.person_id) == wanted]
    offered.sort(key=lambda r: (str(r.person_id) != wanted, r.status != selectors.OVERDUE, r.due_on))
    offered = offered[:CARE_CHOICES]
    if request.method == "POST":
        # A person ticked on the page before must stay a valid choice when the page comes back.
        posted = set(request.POST.getlist("persons"))
        offered += [r for r in rows if str(r.person_id) in posted and r not in offered]
    initial = {"persons": [int(wanted)]} if wanted.isdigit() else {}
    form = keeps_photos(VisitForm(request.POST or None, request.FILES or None, user=user, care_rows=offered, initial=initial), request)
    formset = FindingFormSet(request.POST or None, prefix="findings")
    key, first = _submission_key(request, form, VISIT_KIND)
    if first is not None:
        return _already_recorded(request, "gridwork:visit", first)
    if request.method == "POST" and form.is_valid() and formset.is_valid():
        filled = _findings(formset)
        data = form.cleaned_data
        try:
            outcome = idempotency.once(user=user, key=key, kind=VISIT_KIND, object_id=lambda visit: visit.pk, create=lambda: services.record_visit(
                acting_user=user, region=data["region"], at=data["at"], summary=data["summary"], persons=data["persons"],
                household=data.get("household_number"), building=data.get("building"), place=data.get("place"), lon=data.get("lon"),
                lat=data.get("lat"), findings=_finding_inputs(filled), photos=data["photos"]))
        except ValidationError as exc:
            put_errors(errors.by_field(exc), form=form, finding_forms=filled)
        else:
            return _recorded(request, outcome, "入户走访", "gridwork:visit")
    return render(request, "gridwork/record_form.html", {"form": form, "formset": formset, "title": "记录入户走访", "kind": "visit",
                                                         "idempotency_key": key or ""})


def _record_page(request, model, pk: int):
    user = request.user
    record = get_in_scope(user, model, Action.VIEW, pk=pk)
    findings = record.findings.select_related("case", "case__matter").order_by("row")
    # Only the persons met whom the viewer may see (need to know, sensitive groups), each look logged.
    persons = list(record.persons.filter(pk__in=Person.objects.restrict(user).values("pk")).order_by("name")) if model is HomeVisit else []
    access.log_person_views(user=user, persons=persons, channel="page", remote_addr=client_address(request))
    return render(request, "gridwork/record.html", {"record": record, "findings": findings, "persons": persons,
                                                    "photos": record.photos.all()})


@staff_required(message=RESIDENTS_REFUSED)
def record_photo(request, pk: int):
    """A patrol's or visit's photo, for those who may see the record (need to know included);
    `?size=thumb` gives the small copy lists show."""
    photo = RecordPhoto.objects.filter(pk=pk).select_related("patrol", "visit").first()
    model = PatrolLog if photo is not None and photo.patrol_id else HomeVisit
    if photo is None or not model.objects.restrict(request.user, Action.VIEW).filter(pk=photo.record.pk).exists():
        raise Http404(gettext("照片不存在"))
    file = photo.thumbnail if request.GET.get("size") == "thumb" and photo.thumbnail else photo.image
    response = FileResponse(file.open("rb"), content_type=photo.content_type)
    response["Cache-Control"] = "private, max-age=3600"
    return response


@staff_required(message=RESIDENTS_REFUSED)
def patrol(request, pk: int):
    return _record_page(request, PatrolLog, pk)


@staff_required(message=RESIDENTS_REFUSED)
def visit(request, pk: int):
    return _record_page(request, HomeVisit, pk)


@staff_required(message=RESIDENTS_REFUSED)
def plans(request):
    """Care plans that apply to the user's scope and those set inside it; staff set and end them."""
    user = request.user
    may_set = _may_set_plans(user)
    form = PlanForm(request.POST or None, user=user) if may_set else None
    if request.method == "POST":
        if not may_set:
            raise PermissionDenied(gettext("只有社区、街道和区级工作人员可以设置关爱计划"))
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = services.set_care_plan(acting_user=user, region=data["region"], group=data["group"],
                                              frequency_days=data["frequency_days"], starts_on=data["starts_on"], note=data["note"])
            except ValidationError as exc:
                errors.apply_to_form(form, exc)
            else:
                messages.success(request, f"已设置关爱计划：{plan}")
                return redirect("gridwork:plans")
    changeable = set(CarePlan.objects.restrict(user, Action.CHANGE).values_list("pk", flat=True)) if may_set else set()
    all_plans = selectors.plans_visible_to(user).order_by("-active", "region__path", "group", "-id")
    return render(request, "gridwork/plans.html", {"plans": all_plans, "form": form, "changeable": changeable})


@staff_required(message=RESIDENTS_REFUSED)
@require_POST
def end_plan(request, pk: int):
    user = request.user
    plan = get_in_scope(user, CarePlan, Action.CHANGE, pk=pk)
    return run_action(request, lambda: services.end_care_plan(plan, acting_user=user), success=lambda _ended: f"已结束关爱计划：{plan}",
                      redirect_to="gridwork:plans")
