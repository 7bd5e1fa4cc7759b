"""The people-facing pages of the closed loop: reporting (grid worker, desk/hotline, resident
随手拍), the inbox, the case list and detail with the actions the user may take now, summonses,
and the residents' tracking page. Thin: parse, call a service, render.

Every staff page starts from `Case.objects.restrict(user)` / `get_in_scope` (404 outside scope);
every write goes through `yiwang.cases.services`.
"""

from __future__ import annotations

import hashlib
import math
import secrets
from datetime import date, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from yiwang.core.params import int_param
from yiwang.accounts.services import client_address
from yiwang.cases import moderation, selectors, services
from yiwang.cases.lifecycle import ACTIONS, PUBLIC_ACTIONS, Actor, IllegalTransition, actions_from
from yiwang.cases.models import (
    Case, CasePublication, Channel, PhotoKind, Rating, RequestStatus, Status, SummonsPart,
)
from yiwang.cases.permissions import RATING_ACTIONS, channels_for, is_coordinator, may_act
from yiwang.cases.selectors import filter_cases
from yiwang.core import crypto
from yiwang.core.scope import Role, get_in_scope
from yiwang.matters.models import MatterType
from yiwang.notify.models import Notification
from yiwang.regions.models import Level as RegionLevel
from yiwang.regions.models import Region
from yiwang.worktime.sla import Light, light_at

from yiwang.core import errors

from . import case_forms

STAFF_ROLES = {Role.DISTRICT, Role.STREET, Role.COMMUNITY, Role.GRID_WORKER, Role.DEPARTMENT}
DESK_ROLES = {Role.DISTRICT, Role.STREET, Role.COMMUNITY}
# Cases a resident may follow by number: what residents can report or have reported for them,
# and any case of a publicly offered matter (as Open311 shows them).
RESIDENT_CHANNELS = {Channel.RESIDENT, Channel.DESK, Channel.HOTLINE, Channel.OPEN311}
SUMMON_ROWS = 3
# Wrong access codes tried on one case within an hour before the tracking page stops checking.
TRACK_CODE_ATTEMPTS = 10

ACTION_LABELS = {
    "report": gettext_lazy("上报"), "handover": gettext_lazy("A角请假,转B角"), "accept": gettext_lazy("受理立案"), "reject": gettext_lazy("不予立案"),
    "merge": gettext_lazy("并案"), "solve_on_spot": gettext_lazy("现场解决"), "dispatch": gettext_lazy("派遣"),
    "sign": gettext_lazy("签收"), "return": gettext_lazy("退回"), "handle": gettext_lazy("处置完成"),
    "verify": gettext_lazy("核查通过"), "rework": gettext_lazy("返工"), "close": gettext_lazy("结案"),
    "rate": gettext_lazy("评价"), "rate_unsatisfied": gettext_lazy("不满意评价"), "reopen": gettext_lazy("重启"),
    "request_extension": gettext_lazy("申请延期"), "approve_extension": gettext_lazy("批准延期"),
    "refuse_extension": gettext_lazy("驳回延期"), "hold": gettext_lazy("挂账"), "release": gettext_lazy("恢复办理"),
    "summon": gettext_lazy("吹哨"), "escalate": gettext_lazy("上报上级"), "auto_escalate": gettext_lazy("超时自动上报"),
    "mark_overdue": gettext_lazy("超时"), "supervise": gettext_lazy("督办"), "urge": gettext_lazy("催办"),
    "remind": gettext_lazy("即将超时提醒"),
}
# What the inbox asks of the user, by status.
NEXT_STEP = {
    Status.REPORTED: gettext_lazy("待受理"), Status.ACCEPTED: gettext_lazy("待派遣"), Status.DISPATCHED: gettext_lazy("待签收"),
    Status.SIGNED: gettext_lazy("待处置"), Status.HANDLED: gettext_lazy("待核查"), Status.VERIFIED: gettext_lazy("待结案"),
}
LIGHT_TEXT = {Light.GREEN: gettext_lazy("正常"), Light.YELLOW: gettext_lazy("预警"), Light.RED: gettext_lazy("超时")}
# Actions with a form of their own on the detail page (summon) or folded into another (rate's select).
FOLDED_ACTIONS = {"summon", "rate_unsatisfied"}
# The forward moves, shown first; the rest (reject, return, notes…) under "more".
PRIMARY_ACTIONS = ["accept", "dispatch", "sign", "handle", "verify", "close", "rate", "solve_on_spot", "release", "approve_extension"]


# Helpers -----------------------------------------------------------------------------------------

def _require_staff(user) -> None:
    if not (user.is_superuser or user.role in STAFF_ROLES):
        raise PermissionDenied


def _int(value) -> int | None:
    return int_param(value)


def _float(value) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None



def light_of(case: Case, now) -> dict | None:
    """The step's light with its word, so it is never colour alone."""
    if case.paused_at is not None and case.step_due_at is not None:
        return {"colour": "paused", "text": _("暂停计时")}
    light = light_at(now=now, warn_at=case.step_warn_at, due_at=case.step_due_at)
    return None if light is None else {"colour": light.value, "text": LIGHT_TEXT[light]}


def describe_error(exc: Exception) -> str:
    """One sentence for a refused action, naming the field at fault."""
    if isinstance(exc, IllegalTransition):
        return _("当前状态“%(status)s”下不能执行“%(action)s”") % {
            "status": Status(exc.status).label if exc.status in Status.values else exc.status,
            "action": ACTION_LABELS.get(exc.action, exc.action)}
    if isinstance(exc, PermissionDenied):
        return _("您无权执行此操作") + (f"（{exc}）" if str(exc) else "")
    if isinstance(exc, ValidationError):
        return errors.describe(exc, case_forms.field_label)
    return str(exc)


def _scoped_grids(user):
    return Region.objects.restrict(user).filter(level=RegionLevel.GRID).order_by("code")


def _grid_collection(regions) -> dict:
    features = [{"type": "Feature", "geometry": r.geometry, "properties": {"code": r.code, "name": r.name}}
                for r in regions.exclude(boundary="").only("code", "name", "boundary")]
    return {"type": "FeatureCollection", "features": features}


def departments_for(user, case: Case):
    """Departments that may be dispatched or summoned to the case (the services' own rule)."""
    return selectors.dispatch_departments(case)


def dispatch_regions(user, case: Case):
    """The units in the user's scope a case may be pushed to (the services' own rule)."""
    return selectors.dispatch_regions(user, case)


def available_actions(user, case: Case) -> list:
    """The transitions this user may take on the case now (the system's own moves left out)."""
    pending = case.extensions.filter(status=RequestStatus.PENDING).exists()
    out = []
    for transition in actions_from(case.status):
        if transition.actor is Actor.SYSTEM or transition.action in FOLDED_ACTIONS:
            continue
        if transition.action in ("approve_extension", "refuse_extension") and not pending:
            continue
        if transition.action == "request_extension" and pending:
            continue
        # Staff offered "rate" record a resident's answer on a callback (the form says so).
        if may_act(user, case, transition, callback=transition.action in RATING_ACTIONS):
            out.append(transition)
    order = {action: i for i, action in enumerate(PRIMARY_ACTIONS)}
    return sorted(out, key=lambda t: order.get(t.action, len(order)))


def may_summon(user, case: Case) -> bool:
    """As services.do_summon checks: the table's "summon" move from this status, by its actor."""
    return any(t.action == "summon" and may_act(user, case, t) for t in actions_from(case.status))


# Reporting ---------------------------------------------------------------------------------------

def _report_channels(user, *, desk: bool) -> list[str]:
    if desk and not (user.is_superuser or user.role in DESK_ROLES):
        return []
    allowed = set(Channel.values) if user.is_superuser else channels_for(user)
    order = [Channel.DESK, Channel.HOTLINE] if desk else [Channel.GRID_WORKER, Channel.DESK, Channel.HOTLINE]
    return [str(c) for c in order if c in allowed]


def _questions_context(form, post, attribute_errors: dict) -> list[dict]:
    matter = form.fields["matter"].matters.get(post.get("matter", "")) if form.is_bound else None
    return case_forms.questions_for(matter, case_forms.attribute_answers(matter, post), attribute_errors)


def _staff_report(request, *, desk: bool):
    user = request.user
    channels = _report_channels(user, desk=desk)
    if not channels:
        raise PermissionDenied
    can_solve = not desk and user.role == Role.GRID_WORKER
    form = case_forms.StaffReportForm(request.POST or None, request.FILES or None, matters=MatterType.objects.filter(active=True),
                                      channels=channels, grids=_scoped_grids(user), desk=desk, can_solve=can_solve)
    attribute_errors: dict = {}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        report = services.Report(
            channel=data["channel"], matter=data["matter"], description=data["description"], lon=data["lon"], lat=data["lat"],
            grid=data["grid"], address=data["address"], reporter_name=data.get("reporter_name", ""),
            reporter_phone=data.get("reporter_phone", ""), attributes=case_forms.attribute_answers(data["matter"], request.POST),
            urgency=data["urgency"], photos=data["photos"],
        )
        try:
            if data.get("solve_on_spot"):
                intake = services.solve_on_spot(report, acting_user=user, before=data["before"], after=data["after"],
                                       note=data["spot_note"].strip() or _("现场已解决"))
            else:
                intake = services.report_case(report, acting_user=user)
        except ValidationError as exc:
            case_forms.apply_service_errors(form, exc, attribute_errors)
        except (PermissionDenied, IllegalTransition) as exc:
            form.add_error(None, describe_error(exc))
        else:
            case = intake.case
            return render(request, "cases/report_done.html", {
                # Read out to the resident on whose behalf staff registered it; a grid worker's own report needs none.
                "case": case, "desk": desk, "access_code": intake.access_code if case.channel in (Channel.DESK, Channel.HOTLINE) else "",
                "visible": Case.objects.restrict(user).filter(pk=case.pk).exists(),
            })
    return render(request, "cases/report_form.html", {
        "form": form, "desk": desk, "can_solve": can_solve,
        "questions": _questions_context(form, request.POST, attribute_errors),
        "grids_url": reverse("case-grids"),
    }, status=400 if form.is_bound and (form.errors or attribute_errors) else 200)


@login_required
@never_cache
def worker_report(request):
    """/cases/report/: a grid worker reports what they found (staff may use it for desk/hotline)."""
    return _staff_report(request, desk=False)


@login_required
@never_cache
def desk_report(request):
    """/cases/new/: community/street staff register a resident's report; the code is read out."""
    return _staff_report(request, desk=True)


@require_GET
def matter_questions(request):
    """htmx fragment: the chosen matter's extra questions (public matters only for residents)."""
    matters = MatterType.objects.filter(active=True)
    if not (request.user.is_authenticated and (request.user.is_superuser or request.user.role in STAFF_ROLES)):
        matters = matters.filter(public=True)
    pk = _int(request.GET.get("matter"))
    matter = matters.filter(pk=pk).first() if pk else None
    return render(request, "cases/_questions.html", {"questions": case_forms.questions_for(matter)})


@login_required
@require_GET
def duplicates(request):
    """htmx fragment: open cases of the same matter near the chosen point, in the user's scope."""
    _require_staff(request.user)
    pk, lon, lat = _int(request.GET.get("matter")), _float(request.GET.get("lon")), _float(request.GET.get("lat"))
    matter = MatterType.objects.filter(pk=pk, active=True).first() if pk else None
    cases = []
    if matter is not None and lon is not None and lat is not None:
        near = services.duplicates_near(matter=matter, lon=lon, lat=lat)
        visible = set(Case.objects.restrict(request.user).filter(pk__in=[c.pk for c in near]).values_list("pk", flat=True))
        cases = [c for c in near if c.pk in visible]
    return render(request, "cases/_duplicates.html", {"cases": cases, "asked": matter is not None and lon is not None})


@login_required
@require_GET
def staff_grids(request):
    """The grids in the user's scope as GeoJSON, to pick a point on (no map tiles on the intranet)."""
    _require_staff(request.user)
    return JsonResponse(_grid_collection(_scoped_grids(request.user)))


@require_GET
def public_grids(request):
    """Every grid's outline and name, for the residents' point picker. Grid boundaries and names
    are published to residents anyway (网格公示); nothing else about a grid is sent."""
    response = JsonResponse(_grid_collection(Region.objects.filter(level=RegionLevel.GRID).order_by("code")))
    response["Cache-Control"] = "public, max-age=300"
    return response


# Resident snap-and-report (随手拍) -----------------------------------------------------------------

def _address_key(address: str) -> str:
    return "yiwang:resident-reports:" + hashlib.sha256(address.encode()).hexdigest()


def _address_reports(address: str, now) -> list[float]:
    horizon = (now - timedelta(hours=1)).timestamp()
    return [t for t in cache.get(_address_key(address), []) if t > horizon]


def resident_limit_reached(*, phone: str, address: str, now) -> str:
    """Why another resident report is refused now ("" when it is not).

    Per phone number: counted in the database, from the cases' phone digests (exact across
    processes). Per client address: counted in Django's cache, since no table may be added for it;
    with the default per-process LocMemCache each server process counts on its own, so configure
    a shared cache (CACHES) to make that limit exact across processes."""
    limit = settings.YIWANG_RESIDENT_REPORTS_PER_HOUR
    recent = Case.objects.filter(channel=Channel.RESIDENT, phone_digest=crypto.digest(phone), reported_at__gte=now - timedelta(hours=1))
    if recent.count() >= limit:
        return _("这个手机号一小时内已上报 %(n)s 次，请稍后再试，或拨打热线反映。") % {"n": limit}
    if address and len(_address_reports(address, now)) >= limit:
        return _("您的网络一小时内已上报 %(n)s 次，请稍后再试，或拨打热线反映。") % {"n": limit}
    return ""


def _count_address(address: str, now) -> None:
    if address:
        cache.set(_address_key(address), [*_address_reports(address, now), now.timestamp()], 3600)


@never_cache
def resident_report(request):
    """/report/ (随手拍): no account; public matters; phone, photos, position, description."""
    form = case_forms.ResidentReportForm(request.POST or None, request.FILES or None,
                                         matters=MatterType.objects.filter(active=True, public=True))
    attribute_errors: dict = {}
    status = 200
    if request.method == "POST":
        status = 400
        if form.is_valid():
            data, now, address = form.cleaned_data, timezone.now(), client_address(request)
            refused = resident_limit_reached(phone=data["phone"], address=address, now=now)
            if refused:
                form.add_error(None, refused)
                status = 429
            else:
                report = services.Report(
                    channel=Channel.RESIDENT, matter=data["matter"], description=data["description"], lon=data["lon"], lat=data["lat"],
                    address=data["address"], reporter_phone=data["phone"], photos=data["photos"],
                    attributes=case_forms.attribute_answers(data["matter"], request.POST), publish=data["publish"],
                )
                try:
                    intake = services.report_case(report, now=now)
                except ValidationError as exc:
                    case_forms.apply_service_errors(form, exc, attribute_errors)
                else:
                    _count_address(address, now)
                    _remember_tracked(request, intake.case)
                    return render(request, "cases/resident_done.html", {"case": intake.case, "access_code": intake.access_code,
                                                                        "publish": data["publish"]})
    return render(request, "cases/resident_report.html", {
        "form": form, "questions": _questions_context(form, request.POST, attribute_errors), "grids_url": reverse("public-grids"),
    }, status=status)


# Inbox, list, detail -----------------------------------------------------------------------------

@login_required
def inbox_page(request):
    """What I must act on next, overdue first, with its light; and my unread notifications."""
    _require_staff(request.user)
    now = timezone.now()
    page = Paginator(selectors.inbox(request.user), 50).get_page(request.GET.get("page"))
    rows = [{"case": case, "light": light_of(case, now), "next": NEXT_STEP.get(case.status, "")} for case in page]
    notes = Notification.objects.filter(user=request.user, read_at__isnull=True).select_related("case")[:50]
    return render(request, "cases/inbox.html", {"page": page, "rows": rows, "notifications": notes})


@login_required
@require_POST
def open_notification(request, pk: int):
    """Mark one notification read and go to its case."""
    note = get_object_or_404(Notification, pk=pk, user=request.user)
    Notification.objects.filter(pk=note.pk, read_at__isnull=True).update(read_at=timezone.now())
    if note.case_id and Case.objects.restrict(request.user).filter(pk=note.case_id).exists():
        return redirect("case-detail", number=note.case.number)
    return redirect("case-inbox")


@login_required
@require_POST
def read_all_notifications(request):
    Notification.objects.filter(user=request.user, read_at__isnull=True).update(read_at=timezone.now())
    return redirect("case-inbox")


# Translated where shown.
STATE_LABELS = {
    "cases": gettext_noop("全部(不含不予立案、并案)"), "open": gettext_noop("在办"), "overdue": gettext_noop("超期未结"),
    "closed": gettext_noop("已办结"), "on_time": gettext_noop("按时办结"), "late": gettext_noop("超时办结"), "rated": gettext_noop("已评价"),
    "judged": gettext_noop("应按时办结"), "satisfied": gettext_noop("满意(含基本满意)"), "warning": gettext_noop("临期(黄灯)"),
}


@login_required
def case_list(request):
    _require_staff(request.user)
    cases = Case.objects.restrict(request.user).select_related("matter", "region", "handling_region", "handling_department")
    status, matter, overdue, query = (request.GET.get(k, "").strip() for k in ("status", "matter", "overdue", "q"))
    if status in Status.values:
        cases = cases.filter(status=status)
    if overdue == "1":
        cases = cases.filter(step_overdue=True)
    if query:
        cases = cases.filter(number__startswith=query)
    # The command center links its numbers here with these (see cases.selectors.filter_cases).
    narrowing = {k: request.GET.get(k, "").strip() for k in ("region", "board", "department", "handler", "since", "until", "state")}
    region = None
    if narrowing["region"]:
        region = Region.objects.restrict(request.user).filter(code=narrowing["region"]).first()
        if region is None:
            raise Http404("no such region in your scope")
    try:
        since, until = (date.fromisoformat(narrowing[k]) if narrowing[k] else None for k in ("since", "until"))
        if any(d is not None and not 1900 <= d.year <= 2100 for d in (since, until)):
            raise ValueError("dates from 1900 to 2100")
        cases = filter_cases(cases, region=region, board=narrowing["board"], matter=_int(matter), department=_int(narrowing["department"]),
                             handler=_int(narrowing["handler"]), since=since, until=until, state=narrowing["state"])
    except ValueError:
        raise Http404("dates are YYYY-MM-DD") from None
    except ValidationError as exc:
        raise Http404(describe_error(exc)) from None
    now = timezone.now()
    page = Paginator(cases.order_by("-reported_at", "-id"), 50).get_page(request.GET.get("page"))
    kept = {"status": status, "matter": matter, "overdue": overdue, "q": query, **narrowing}
    return render(request, "cases/list.html", {
        "page": page, "rows": [{"case": c, "light": light_of(c, now)} for c in page],
        "statuses": Status.choices, "matters": MatterType.objects.filter(active=True).order_by("kind", "code"),
        "status": status, "matter": matter, "overdue": overdue, "q": query, "narrowing": {k: v for k, v in narrowing.items() if v},
        "narrowed_region": region, "state_label": STATE_LABELS.get(narrowing["state"], ""),
        "query": urlencode({k: v for k, v in kept.items() if v}),
    })


def _attribute_rows(case: Case) -> list[tuple[str, str]]:
    questions = {q["code"]: q for q in case.matter_version.snapshot.get("attributes", [])}
    rows = []
    for code, value in case.attributes.items():
        question = questions.get(code, {"description": code})
        names = {str(v["key"]): v["name"] for v in question.get("values", [])}
        values = value if isinstance(value, list) else [value]
        rows.append((question["description"], "、".join(names.get(str(v), str(v)) for v in values)))
    return rows


def _dispatch_suggestion(case: Case) -> str:
    department, region = services.default_dispatch_target(case)
    return (department or region).name


@login_required
def case_detail(request, number: str):
    _require_staff(request.user)
    user = request.user
    case = get_in_scope(user, Case, number=number)
    actions = available_actions(user, case)
    action_names = {t.action for t in actions}
    dept_ids = set(user.departments.values_list("pk", flat=True))
    summonses = list(case.summonses.select_related("summoned_by", "region").prefetch_related("parts__department", "parts__member"))
    for summons in summonses:
        summoner = summons.summoned_by_id == user.pk or is_coordinator(user, case)
        for part in summons.parts.all():
            party = part.member_id == user.pk or part.department_id in dept_ids
            part.can_check_in = party and part.checked_in_at is None
            part.can_finish = party and part.checked_in_at is not None and part.done_at is None
            part.can_rate = summoner and part.done_at is not None and part.rating_of_participant is None
    merge_candidates = []
    if "merge" in action_names and case.lon is not None:
        merge_candidates = [c for c in services.duplicates_near(matter=case.matter, lon=case.lon, lat=case.lat, exclude=case.pk)
                            if Case.objects.restrict(user).filter(pk=c.pk).exists()]
    events = list(case.events.order_by("at", "id"))
    for event in events:
        event.label = ACTION_LABELS.get(event.action, event.action)
        event.status_label = Status(event.to_status).label if event.to_status != event.from_status and event.to_status in Status.values else ""
    forms = [_action_form(t) for t in actions]
    return render(request, "cases/detail.html", {
        "case": case, "light": light_of(case, timezone.now()), "events": events,
        "primary_actions": [f for f in forms if f["primary"]], "other_actions": [f for f in forms if not f["primary"]],
        "routings": case.routings.select_related("region", "department", "matter_version").order_by("at", "id"),
        "photos": case.photos.order_by("id"), "extensions": case.extensions.select_related("requested_by", "decided_by"),
        "summonses": summonses,
        "attribute_rows": _attribute_rows(case),
        "reporter_phone": case.phone_masked if case.phone_sealed else "",
        "departments": departments_for(user, case) if ("dispatch" in action_names or may_summon(user, case)) else [],
        "regions": dispatch_regions(user, case) if "dispatch" in action_names else [],
        "dispatch_suggestion": _dispatch_suggestion(case) if "dispatch" in action_names else "",
        "merge_candidates": merge_candidates, "may_summon": may_summon(user, case), "summon_rows": range(SUMMON_ROWS),
        "ratings": Rating.choices, "grid_geometry": case.region.geometry,
        "may_moderate": moderation.may_moderate(user, case), "publication": CasePublication.objects.filter(case=case).first(),
        "position": {"lon": case.lon, "lat": case.lat} if case.lon is not None else None,
    })


def _action_form(transition) -> dict:
    return {"action": transition.action, "label": ACTION_LABELS.get(transition.action, transition.action),
            "needs_note": transition.needs_note, "primary": transition.action in PRIMARY_ACTIONS,
            "public": transition.action in PUBLIC_ACTIONS}


def _checked_photos(request, name: str, *, required: bool) -> list:
    files = request.FILES.getlist(name)
    try:
        files = case_forms.PhotosField(required=required).clean(files)
    except ValidationError as exc:
        raise ValidationError({name: exc.messages}) from None
    return files


def _action_params(request, case: Case, action: str) -> tuple[dict, dict | None]:
    """The extra parameters of an action from its form, checked against the user's scope."""
    post, user = request.POST, request.user
    params: dict = {}
    photos = None
    if action == "dispatch":
        kind, _sep, pk = post.get("target", "").partition(":")
        if kind == "dept":
            params["department"] = departments_for(user, case).filter(pk=_int(pk)).first()
            if params["department"] is None:
                raise ValidationError({"department": _("请从列表中选择部门")})
        elif kind == "region":
            params["region"] = dispatch_regions(user, case).filter(pk=_int(pk)).first()
            if params["region"] is None:
                raise ValidationError({"region": _("请从列表中选择派往单位")})
    elif action == "merge":
        number = post.get("original", "").strip()
        original = Case.objects.restrict(user).filter(number=number).first() if number else None
        if original is None:
            raise ValidationError({"original": _("找不到编号为“%(number)s”的事件") % {"number": number} if number else _("请填写原事件编号")})
        params["original"] = original
    elif action == "request_extension":
        params["amount"] = post.get("amount", "").strip()
    elif action == "handle":
        after = _checked_photos(request, "after", required=False)
        photos = {PhotoKind.AFTER: after} if after else None
    elif action == "solve_on_spot":
        photos = {PhotoKind.BEFORE: _checked_photos(request, "before", required=True),
                  PhotoKind.AFTER: _checked_photos(request, "after", required=True)}
    return params, photos


@login_required
@require_POST
def case_act(request, number: str, action: str):
    """Take one action of the transition table; errors come back as a message naming the field."""
    _require_staff(request.user)
    case = get_in_scope(request.user, Case, number=number)
    if action not in ACTIONS or action in {"summon", "auto_escalate", "mark_overdue"}:
        raise Http404
    label = ACTION_LABELS.get(action, action)
    note = request.POST.get("note", "")
    try:
        params, photos = _action_params(request, case, action)
        if action in ("rate", "rate_unsatisfied"):
            # Staff record the resident's answer on a callback; the service refuses anything else.
            services.do_rate_case(case, rating=request.POST.get("rating", ""), note=note, acting_user=request.user,
                                  callback=bool(request.POST.get("callback")))
        else:
            # Ticked "internal" hides a public step's note from the resident; otherwise the service's default applies.
            services.perform(case, action, acting_user=request.user, note=note, public=False if request.POST.get("internal") else None,
                             photos=photos, **params)
    except (ValidationError, PermissionDenied, IllegalTransition) as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": label, "reason": describe_error(exc)})
    else:
        messages.success(request, _("已%(action)s") % {"action": label})
    if not Case.objects.restrict(request.user).filter(pk=case.pk).exists():
        return redirect("case-inbox")  # e.g. a department returned the case and no longer sees it
    return redirect("case-detail", number=case.number)


# Summons (吹哨报到) ------------------------------------------------------------------------------

@login_required
@require_POST
def case_summon(request, number: str):
    _require_staff(request.user)
    user = request.user
    case = get_in_scope(user, Case, number=number)
    departments = departments_for(user, case)
    reason = request.POST.get("reason", "").strip()
    try:
        if not reason:
            raise ValidationError({"reason": _("请写明吹哨事由")})
        parts = []
        for i in range(SUMMON_ROWS):
            dept_pk, task = request.POST.get(f"part-{i}-department", ""), request.POST.get(f"part-{i}-task", "").strip()
            if not dept_pk and not task:
                continue
            department = departments.filter(pk=_int(dept_pk)).first() if dept_pk else None
            if dept_pk and department is None:
                raise ValidationError({f"parts[{i + 1}]": _("请从列表中选择部门")})
            hours = _float(request.POST.get(f"part-{i}-hours") or 2)
            if hours is None or hours <= 0:
                raise ValidationError({f"parts[{i + 1}]": _("报到时限应为正数（工作小时）")})
            parts.append({"department": department, "task": task, "checkin_hours": hours})
        services.do_summon(case, acting_user=user, reason=reason, parts=parts)
    except (ValidationError, PermissionDenied, IllegalTransition) as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": ACTION_LABELS["summon"], "reason": describe_error(exc)})
    else:
        messages.success(request, _("已吹哨，等待报到"))
    return redirect("case-detail", number=case.number)


@login_required
@require_POST
def summons_part_step(request, part_id: int, step: str):
    """A summoned party checks in or reports its task done; the summoner rates the party."""
    _require_staff(request.user)
    part = get_object_or_404(SummonsPart.objects.select_related("summons"), pk=part_id)
    case = get_in_scope(request.user, Case, pk=part.summons.case_id)
    stars = _int(request.POST.get("stars"))
    labels = {"check-in": _("报到"), "done": _("完成任务"), "rate": _("评价报到单位")}
    if step not in labels:
        raise Http404
    try:
        if step == "check-in":
            services.do_check_in(part, acting_user=request.user)
        elif step == "done":
            services.do_finish_part(part, acting_user=request.user, result=request.POST.get("result", ""), rating_of_summoner=stars)
        else:
            services.do_rate_participant(part, acting_user=request.user, stars=stars)
    except (ValidationError, PermissionDenied) as exc:
        messages.error(request, _("“%(action)s”未完成：%(reason)s") % {"action": labels[step], "reason": describe_error(exc)})
    else:
        messages.success(request, _("已%(action)s") % {"action": labels[step]})
    return redirect("case-detail", number=case.number)


# Public tracking ---------------------------------------------------------------------------------

def _trackable(number: str) -> Case:
    # Cases that staff opened in a household (campaign checks, patrols, home visits) have no
    # resident to follow them: they are not tracked at all.
    from yiwang.cases.moderation import HOUSEHOLD_SOURCES

    case = (Case.objects.select_related("matter", "region").filter(number=number)
            .filter(Q(matter__public=True) | Q(channel__in=RESIDENT_CHANNELS)).exclude(external_source__in=HOUSEHOLD_SOURCES).first())
    if case is None:
        raise Http404("no such case")
    return case


TRACKED_SESSION_KEY = "tracked_cases"  # read by yiwang.cases.views.case_photo


def _remember_tracked(request, case: Case) -> None:
    """This browser showed the case's access code (or just reported it): it may see the photos."""
    tracked = [n for n in request.session.get(TRACKED_SESSION_KEY, []) if n != case.number]
    request.session[TRACKED_SESSION_KEY] = [*tracked, case.number][-20:]


def _track_context(request, case: Case, **extra) -> dict:
    """The timeline's steps and times for anyone with the number (numbers run in sequence, so
    anyone can guess one); every note, the reporter's own words, the rating and the photos only for a
    browser that reported the case or showed its access code. Staff notes name people and flats."""
    owner = case.number in request.session.get(TRACKED_SESSION_KEY, [])
    events = [{"at": e.at, "label": ACTION_LABELS.get(e.action, e.action), "note": e.note if owner else "",
               "status": Status(e.to_status).label if e.to_status in Status.values else ""}
              for e in selectors.public_timeline(case)]
    publication = CasePublication.objects.filter(case=case).first() if owner else None
    return {"case": case, "events": events, "ratings": Rating.choices, "can_rate": case.status == Status.CLOSED,
            "owner": owner, "photos": case.photos.order_by("id") if owner else [], "publication": publication, **extra}


def track_lookup(request):
    number = request.GET.get("number", "").strip()
    if number:
        return redirect("track-case", number=number)
    return render(request, "cases/track_lookup.html")


@never_cache
def track_case(request, number: str):
    """Status, matter and the public timeline: action and note only, never names or phones."""
    return render(request, "cases/track.html", _track_context(request, _trackable(number)))


def _code_attempts_key(case: Case) -> str:
    return f"yiwang:track-code-failures:{case.pk}"


@require_POST
@never_cache
def track_act(request, number: str, what: str):
    """With the access code they were given, the resident rates (不满意 reopens), reopens, or
    unlocks the case's photos and description in this browser."""
    case = _trackable(number)
    if what not in ("rate", "reopen", "unlock"):
        raise Http404
    code = request.POST.get("access_code", "").strip()
    key = _code_attempts_key(case)
    failures = cache.get(key, 0)
    error, status = "", 200
    if failures >= TRACK_CODE_ATTEMPTS:
        error, status = _("查询码错误次数过多，请一小时后再试。"), 429
    else:
        try:
            if not code:
                raise ValidationError({"access_code": _("请输入上报时获得的查询码")})
            if what == "unlock":
                if not secrets.compare_digest(services.hash_access_code(code), case.access_code_hash):
                    raise PermissionDenied
            elif what == "rate":
                services.do_rate_case(case, rating=request.POST.get("rating", ""), note=request.POST.get("note", ""), access_code=code)
            else:
                services.do_reopen_case(case, reason=request.POST.get("note", ""), access_code=code)
        except PermissionDenied:
            cache.set(key, failures + 1, 3600)
            error, status = _("查询码不正确。"), 403
        except IllegalTransition:
            error, status = _("事件结案后才能评价或重启。"), 400
        except ValidationError as exc:
            error, status = describe_error(exc), 400
        else:
            _remember_tracked(request, case)
            done = {"rate": _("已提交评价，谢谢！"), "reopen": _("已重启，事件将重新办理。"), "unlock": _("查询码正确，已显示照片和描述。")}
            messages.success(request, done[what])
            return redirect("track-case", number=case.number)
    case.refresh_from_db()
    return render(request, "cases/track.html", _track_context(request, case, error=error, form_what=what), status=status)
