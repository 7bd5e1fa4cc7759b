"""/api/command/: the command screen's figures and rows as JSON, and its one-click writes.

Every endpoint reads the same query as the page (`region`, `days`, `board`, `matter`,
`indicator`; see screen.Screen) and the same scope rule: district, street and community staff
(and superusers) only, a region inside the caller's scope (403 for other roles, 404 for a region
outside it). The figures come from the case rollups (figures.py); the case points, feed and
the matter filter read the case table.
"""

from __future__ import annotations

from datetime import timedelta

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.translation import gettext
from ninja import Router, Schema

from yiwang.api.common import acting_user
from yiwang.api.params import Count, Finite, Id
from yiwang.cases.indicators import light_of
from yiwang.cases.models import Case
from yiwang.cases.selectors import dispatch_departments
from yiwang.core.scope import get_in_scope

from . import feed as live_feed
from . import figures, layers, places, services
from .screen import Screen

router = Router(tags=["command"])


def _screen(request) -> Screen:
    return Screen.read(acting_user(request), request.GET)


def _case(request, number: str) -> Case:
    user = acting_user(request)
    places.screen_region(user)  # screen roles only
    return get_in_scope(user, Case, number=number)


@router.get("/kpi", response=dict)
def kpi(request):
    """The KPI tiles: today's reports, open and overdue now, the period's rates, per board, with the
    case-list link behind each number."""
    screen = _screen(request)
    data = figures.kpi(screen.place, period=screen.period, boards=screen.boards, matter=screen.matter_id)
    today = timezone.localdate()
    data["links"] = {"total": screen.tile_links(today=today), **{b: screen.tile_links(board=b, today=today) for b in data["by_board"]}}
    return data


@router.get("/ranking", response=list[dict])
def ranking(request, by: str = "region", order: str = "on_time_rate"):
    """Units (by=region: one level down; by=grid: the grids of a street or community) or departments."""
    screen = _screen(request)
    try:
        return figures.ranking(screen.place, period=screen.period, by=by, boards=screen.boards, order=order, matter=screen.matter_id)
    except ValueError as exc:
        raise ValidationError({"by" if "rank" in str(exc) or "grid" in str(exc) else "order": str(exc)}) from None


@router.get("/map-layer", response=dict)
def map_layer(request):
    """GeoJSON of the map's units coloured by `indicator`."""
    screen = _screen(request)
    return figures.map_layer(screen.place, period=screen.period, indicator=screen.indicator, boards=screen.boards, matter=screen.matter_id)


@router.get("/trend", response=list[dict])
def trend(request):
    screen = _screen(request)
    return figures.trend(screen.place, period=screen.period, boards=screen.boards, matter=screen.matter_id)


@router.get("/feed", response=dict)
def feed(request, after: Count | None = None):
    """New and newly overdue cases after the cursor (an event id), newest first; poll with the
    returned `cursor`."""
    screen = _screen(request)
    return live_feed.feed(screen.user, screen.place, after=after)


@router.get("/cases", response=dict)
def map_cases(request, limit: int = layers.MAP_CASE_LIMIT):
    """Open cases for the map, most urgent first, with their deadline light."""
    screen = _screen(request)
    if not 1 <= limit <= 2000:
        raise ValidationError({"limit": gettext("应在1至2000之间")})
    return layers.map_cases(screen.user, screen.place, boards=screen.boards, matter=screen.matter_id, limit=limit)


@router.get("/key-persons", response=dict)
def key_persons(request):
    screen = _screen(request)
    return layers.key_person_heat(screen.place, user=screen.user)


@router.get("/devices", response=dict)
def devices(request):
    screen = _screen(request)
    since = timezone.now() - timedelta(days=screen.days)
    return {"devices": layers.devices(screen.user, screen.place, since=since),
            "alerts": layers.recent_alerts(screen.user, screen.place), "since": since.isoformat()}


@router.get("/care", response=dict)
def care(request):
    screen = _screen(request)
    return layers.care_coverage(screen.place, screen.user)


@router.get("/cases/{number}/dispatch-options", response=dict)
def dispatch_options(request, number: str):
    """The routing suggestion (where a dispatch with no target goes, and the latest routing
    reasons), the steps one click takes, and the departments that may be chosen or summoned."""
    case = _case(request, number)
    return _options(acting_user(request), case)


def _options(user, case: Case) -> dict:
    hint = services.suggestion(case)
    light = light_of(case, timezone.now())
    return {
        "number": case.number, "status": case.status, "status_label": str(case.get_status_display()), "matter": case.matter.name,
        "grid": case.region.name, "address": case.address, "description": case.description[:200],
        "light": light["colour"] if light else "none", "light_text": str(light["text"]) if light else "",
        "suggestion": {"target": hint.target, "kind": hint.target_kind, "department": hint.department_id, "reasons": hint.reasons,
                       "decided_at": hint.decided_at},
        "dispatch_steps": list(hint.steps), "summon_steps": list(services.SUMMON_STEPS.get(case.status, ())) + ["summon"]
        if case.status in services.SUMMON_STEPS else [],
        "departments": [{"id": d.pk, "name": d.name} for d in dispatch_departments(case)],
        "url": f"/cases/{case.number}/",
    }


class DispatchIn(Schema):
    department: Id | None = None  # a department id from dispatch-options; none: the suggestion
    note: str = ""


class SummonIn(Schema):
    reason: str
    departments: list[Id]
    checkin_hours: Finite = 2
    task: str = ""


def _department(user, case: Case, pk: int, field: str):
    department = dispatch_departments(case).filter(pk=pk).first()
    if department is None:
        raise ValidationError({field: gettext("不能把这个事件派给编号为%(id)s的部门") % {"id": pk}})
    return department


@router.post("/cases/{number}/dispatch", response=dict)
def dispatch(request, number: str, payload: DispatchIn):
    """One click: accept (if still reported) and dispatch, to the suggestion or the department given."""
    user = acting_user(request)
    case = _case(request, number)
    department = _department(user, case, payload.department, "department") if payload.department else None
    done = services.dispatch_now(case, acting_user=user, department=department, note=payload.note)
    return {**_options(user, done), "to": done.handling_department.name if done.handling_department_id else done.handling_region.name}


@router.post("/cases/{number}/summon", response=dict)
def summon(request, number: str, payload: SummonIn):
    """吹哨: summon departments to the case with a reason (accepting a reported case first)."""
    user = acting_user(request)
    case = _case(request, number)
    departments = [_department(user, case, pk, f"departments[{i}]") for i, pk in enumerate(payload.departments, start=1)]
    summons = services.summon_now(case, acting_user=user, reason=payload.reason, departments=departments,
                                  checkin_hours=payload.checkin_hours, task=payload.task)
    case.refresh_from_db()
    return {**_options(user, case), "summons": summons.pk, "parties": [p.party_label for p in summons.parts.select_related("department")]}

