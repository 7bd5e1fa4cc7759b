"""One-click dispatch and summons (一键调度、吹哨) from the command screen.

A command-center officer expects one click to send a case on its way, whatever step it waits at:
a case still waiting to be accepted (reported) is accepted first, then dispatched. Each step is
the closed loop's own service (yiwang.cases.services), so the transition table, the permission
checks and the case timeline (every step a CaseEvent with the officer's name) apply unchanged; both
steps run in one transaction, so a refused dispatch leaves the case as it was. The click itself is
also written to the audit log (`command.dispatch` / `command.summon`).
"""

from __future__ import annotations

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from yiwang.cases import lifecycle as case_lifecycle
from yiwang.cases import services as case_services
from yiwang.core.statemachine import IllegalTransition
from yiwang.cases.models import Case, RoutingDecision, Status
from yiwang.core import audit

# The statuses a one-click dispatch can start from, and the steps it takes from each (a reported
# case is accepted first), read off the case transition table; a summons lists the steps before it.
DISPATCH_STEPS = {status: steps for status in Status if (steps := case_lifecycle.steps_to(status, "dispatch"))}
SUMMON_STEPS = {status: steps[:-1] for status in Status if (steps := case_lifecycle.steps_to(status, "summon"))}


@dataclass
class Suggestion:
    """What a dispatch with no target would do, and why the case is where it is."""

    target: str  # the department's or unit's name
    target_kind: str  # "department" or "region"
    department_id: int | None
    reasons: list[str]
    decided_at: str | None
    steps: tuple[str, ...]  # the steps one click takes ("accept", "dispatch"); empty: cannot dispatch now


def suggestion(case: Case) -> Suggestion:
    department, region = case_services.default_dispatch_target(case)
    latest = RoutingDecision.objects.filter(case=case).order_by("-at", "-id").first()
    return Suggestion(
        target=(department or region).name, target_kind="department" if department is not None else "region",
        department_id=department.pk if department is not None else None, reasons=list(latest.reasons) if latest else [],
        decided_at=latest.at.isoformat() if latest else None, steps=DISPATCH_STEPS.get(case.status, ()),
    )


def dispatch_now(case: Case, *, acting_user, department=None, note: str = "") -> Case:
    """Accept (when still reported) and dispatch the case: to `department` when given, else where the
    routing suggests (services.default_dispatch_target). Raises IllegalTransition for a case past
    dispatching, PermissionDenied when the officer is not the case's coordinator."""
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        steps = DISPATCH_STEPS.get(locked.status)
        if steps is None:
            raise IllegalTransition(locked.status, "dispatch")
        if "accept" in steps:
            case_services.do_accept_case(locked, acting_user=acting_user, note=note or "指挥中心一键调度")
        done = case_services.do_dispatch_case(locked, acting_user=acting_user, department=department, note=note)
        audit.record(actor=acting_user, action="command.dispatch", target=done,
                     detail={"number": done.number, "steps": list(steps), "department": getattr(department, "pk", department),
                             "to": done.handling_department.name if done.handling_department_id else done.handling_region.name})
    return done


def summon_now(case: Case, *, acting_user, reason: str, departments: list, checkin_hours: float = 2, task: str = ""):
    """吹哨: summon departments to the case with a reason (each with the same task and check-in
    time), accepting a reported case first. Returns the Summons."""
    reason = (reason or "").strip()
    if not reason:
        raise ValidationError({"reason": "请写明吹哨事由"})
    if not departments:
        raise ValidationError({"departments": "请至少选择一个部门"})
    with transaction.atomic():
        locked = Case.objects.select_for_update().get(pk=case.pk)
        steps = SUMMON_STEPS.get(locked.status)
        if steps is None:
            raise IllegalTransition(locked.status, "summon")
        if "accept" in steps:
            case_services.do_accept_case(locked, acting_user=acting_user, note="指挥中心吹哨")
        parts = [{"department": d, "task": (task or reason)[:200], "checkin_hours": checkin_hours} for d in departments]
        summons = case_services.do_summon(locked, acting_user=acting_user, reason=reason, parts=parts)
        audit.record(actor=acting_user, action="command.summon", target=summons,
                     detail={"number": locked.number, "steps": [*steps, "summon"], "departments": [d.pk for d in departments]})
    return summons
