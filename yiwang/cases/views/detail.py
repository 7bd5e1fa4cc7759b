"""A case's page for staff: its record, timeline, routing, photos, summonses, and the actions of the
transition table the user may take now; and the POST that takes one."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from yiwang.core.formfields import PhotosField
from yiwang.core.pages import require_staff, staff_required
from yiwang.core.params import int_param
from yiwang.core.scope import get_in_scope

from .. import moderation, services
from ..indicators import light_of
from ..lifecycle import ACTIONS, PUBLIC_ACTIONS, Actor, IllegalTransition, actions_from
from ..models import Case, CasePublication, PhotoKind, Rating, RequestStatus, Status, SummonsPart
from ..permissions import RATING_ACTIONS, is_coordinator, may_act, may_summon
from ..selectors import CHECKIN_STATES, dispatch_departments, dispatch_regions, summon_candidates, with_checkin_state
from .common import ACTION_LABELS, describe_error
from .summons import SUMMON_ROWS
from .supervision import case_panel as case_supervision

# Actions with a form of their own on the detail page (summon) or folded into another (rate's select).
FOLDED_ACTIONS = {"summon", "rate_unsatisfied"}
# The forward moves, shown first; the rest (reject, return, notes…) under "more".
PRIMARY_ACTIONS = ["accept", "dispatch", "sign", "handle", "verify", "close", "rate", "solve_on_spot", "release", "approve_extension"]


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


@staff_required
def case_detail(request, number: str):
    user = request.user
    case = get_in_scope(user, Case, number=number)
    actions = available_actions(user, case)
    action_names = {t.action for t in actions}
    dept_ids = set(user.departments.values_list("pk", flat=True))
    parts = with_checkin_state(SummonsPart.objects.select_related("department", "member"), now=timezone.now()).order_by("id")
    summonses = list(case.summonses.select_related("summoned_by", "region").prefetch_related(Prefetch("parts", queryset=parts)))
    for summons in summonses:
        summoner = summons.summoned_by_id == user.pk or is_coordinator(user, case)
        for part in summons.parts.all():
            part.checkin_label = CHECKIN_STATES[part.checkin_state]
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
    summon_allowed = may_summon(user, case)
    return render(request, "cases/detail.html", {
        "case": case, "light": light_of(case, timezone.now()), "events": events,
        "primary_actions": [f for f in forms if f["primary"]], "other_actions": [f for f in forms if not f["primary"]],
        "routings": case.routings.select_related("region", "department", "matter_version").order_by("at", "id"),
        "photos": case.photos.order_by("id"), "extensions": case.extensions.select_related("requested_by", "decided_by"),
        "summonses": summonses,
        "attribute_rows": _attribute_rows(case),
        "reporter_phone": case.phone_masked if case.phone_sealed else "",
        "departments": dispatch_departments(case) if ("dispatch" in action_names or summon_allowed) else [],
        "summon_people": summon_candidates(user) if summon_allowed else [],
        "regions": dispatch_regions(user, case) if "dispatch" in action_names else [],
        "dispatch_suggestion": _dispatch_suggestion(case) if "dispatch" in action_names else "",
        "merge_candidates": merge_candidates, "may_summon": summon_allowed, "summon_rows": range(SUMMON_ROWS),
        "ratings": Rating.choices, "grid_geometry": case.region.geometry,
        "may_moderate": moderation.may_moderate(user, case), "publication": CasePublication.objects.filter(case=case).first(),
        "position": {"lon": case.lon, "lat": case.lat} if case.lon is not None else None,
        **case_supervision(user, case),
    })


def _action_form(transition) -> dict:
    return {"action": transition.action, "label": ACTION_LABELS.get(transition.action, transition.action),
            "needs_note": transition.needs_note, "primary": transition.action in PRIMARY_ACTIONS,
            "public": transition.action in PUBLIC_ACTIONS}


def _checked_photos(request, name: str, *, required: bool) -> list:
    files = request.FILES.getlist(name)
    try:
        files = PhotosField(required=required).clean(files)
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
            params["department"] = dispatch_departments(case).filter(pk=int_param(pk)).first()
            if params["department"] is None:
                raise ValidationError({"department": _("请从列表中选择部门")})
        elif kind == "region":
            params["region"] = dispatch_regions(user, case).filter(pk=int_param(pk)).first()
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
    require_staff(request.user)
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
