"""Who hears about a case event: the in-app inbox of the people who must act next, and the group
robots of the regions above the case (delivered by `yiwang.notify`).

Every case notice takes one path: `announce` (a transition's event) or `announce_reminder` queues a
task inside the caller's transaction. The task row commits with the case or not at all, so a notice
goes out only for what was committed, a crash right after COMMIT cannot lose it, and a slow robot
never holds up a resident's report.
"""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db.models import F, Q
from django.utils import timezone

from yiwang.ab_roles.units import HANDLER_ROLE
from yiwang.core.scope import Role, ancestor_paths
from yiwang.notify.models import Notification
from yiwang.notify.services import deliver
from yiwang.regions.models import Level as RegionLevel

from .models import Case, CaseEvent, Level, RoutingDecision
from .permissions import coordinator_roles

# Events after which the coordinators decide next; the others go to the unit handling the case.
FOR_COORDINATORS = {"report", "return", "handle", "escalate", "auto_escalate", "reopen", "rate_unsatisfied", "request_extension"}
FOR_HANDLERS = {"dispatch", "rework", "release", "urge", "supervise", "approve_extension", "refuse_extension", "handover"}
ACTION_TEXT = {
    "report": "新事件待受理", "dispatch": "新派遣事件待签收", "return": "事件被退回，请重新派遣", "handle": "事件已处置，待核查",
    "rework": "事件核查未通过，请返工", "escalate": "事件上报，请处理", "auto_escalate": "事件超时自动上报，请处理",
    "reopen": "居民重启事件", "rate_unsatisfied": "居民不满意，事件重启", "request_extension": "延期申请待审批",
    "approve_extension": "延期申请已批准", "refuse_extension": "延期申请被驳回", "release": "挂账事件恢复办理",
    "urge": "催办", "supervise": "督办", "mark_overdue": "事件已超时", "remind": "事件即将超时", "summon": "吹哨报到",
    "handover": "A角请假，事件转由您（B角）办理", "skip_level": "紧急事项越级上报",
}
# The stage a deadline notice is about, in the words of the stage limits (cases.stage_models.Stage).
STAGE_NAMES = {"accept": "受理立案", "dispatch": "派遣", "sign": "签收", "handle": "处置", "verify": "核查结案"}
# Who is told when a skip-level rule copies a unit: the role that works at that unit's level.
COPY_ROLE = {RegionLevel.GRID: Role.GRID_WORKER, RegionLevel.COMMUNITY: Role.COMMUNITY, RegionLevel.STREET: Role.STREET,
             RegionLevel.DISTRICT: Role.DISTRICT}
# While a case waits in these statuses the coordinators must act; otherwise the handling unit.
COORDINATOR_STATUSES = {"reported", "accepted", "handled", "verified"}
# Every case notice asks someone to act on the step the case is in, except a summons (its parts have
# their own steps): once the case leaves that step the notice has been answered.
NOT_ABOUT_THE_STEP = {"summon", "supervision_issue", "supervision_answer", "supervision_close", "supervision_return",
                      "supervision_mark_overdue",  # a supervision order (supervision.py) has steps of its own
                      "skip_level"}  # a copy (抄送) informs; no step answers it
# Moves that answer a request without leaving the step, and the notices of the request they answer.
ANSWERS = {"approve_extension": {"request_extension"}, "refuse_extension": {"request_extension"}}


def coordinators(case: Case):
    return get_user_model().objects.filter(is_active=True, role__in=coordinator_roles(case.level), scope_region__path__in=ancestor_paths(case.region.path))


def handlers(case: Case):
    users = get_user_model().objects.filter(is_active=True)
    if case.handler_id and case.level != Level.DEPARTMENT:
        return users.filter(pk=case.handler_id)
    if case.assignee_id:
        # The unit's desk names who acts (A, or B while A is on leave): tell that person, not everyone
        # (unless the account has since been deactivated: then the whole unit hears).
        assignee = users.filter(pk=case.assignee_id)
        if assignee.exists():
            return assignee
    if case.level == Level.DEPARTMENT:
        return users.filter(departments=case.handling_department_id) if case.handling_department_id else users.none()
    return users.filter(role=HANDLER_ROLE[case.level], scope_region__path__startswith=case.handling_region.path)


def summoned(case: Case):
    parts = Q(summons_parts__summons__case=case) | Q(departments__summons_parts__summons__case=case)
    return get_user_model().objects.filter(is_active=True).filter(parts).distinct()


def recipients(case: Case, action: str) -> set:
    users = set()
    if action in {"remind", "mark_overdue"}:
        users.update(coordinators(case) if case.status in COORDINATOR_STATUSES else handlers(case))
        return users
    if action in FOR_COORDINATORS:
        users.update(coordinators(case))
    if action in FOR_HANDLERS:
        users.update(handlers(case))
    if action == "summon":
        users.update(summoned(case))
    return users


def message(case: Case, action: str, note: str = "") -> str:
    text = f"【{ACTION_TEXT.get(action, action)}】{case.number} {case.matter.name} · {case.region.name}"
    if action in {"remind", "mark_overdue"} and case.step in STAGE_NAMES:
        text += f"（{STAGE_NAMES[case.step]}环节）"  # warned and marked by stage: say which one
    return f"{text}:{note[:80]}" if note else text


def tell(case: Case, action: str, *, note: str = "") -> int:
    """Deliver the notice of `action` on `case` now (the worker's side); returns inbox rows made."""
    return deliver(users=recipients(case, action), kind=action, text=message(case, action, note), region_path=case.region.path, case=case)


def announce(event: CaseEvent) -> None:
    """Queue the notice of a transition's event, inside the transition's transaction."""
    from .tasks import deliver_case_event

    deliver_case_event.enqueue(event.pk)


def announce_reminder(case: Case) -> None:
    """Queue the "due soon" notice of a case, inside the transaction that marks it reminded."""
    from .tasks import deliver_case_reminder

    deliver_case_reminder.enqueue(case.pk)


def settle(case: Case, *, action: str, left_step: bool, now) -> int:
    """Mark read everyone's unread notices of `case` whose work this move did: all that asked for the
    step when the case leaves it (another status or another unit), the request's when a move answers
    one. Called inside the transition's transaction, before its own notice is queued."""
    unread = Notification.objects.filter(case=case, read_at__isnull=True)
    if left_step:
        unread = unread.exclude(kind__in=NOT_ABOUT_THE_STEP)
    elif action in ANSWERS:
        unread = unread.filter(kind__in=ANSWERS[action])
    else:
        return 0
    return unread.update(read_at=now)


def settle_handed_over(case: Case, *, user_id: int, now) -> int:
    """Mark read the notices of `case` that asked the person on leave for the step: the case is no
    longer theirs, and their inbox should not keep calling them back to it."""
    return (Notification.objects.filter(case=case, user_id=user_id, read_at__isnull=True)
            .exclude(kind__in=NOT_ABOUT_THE_STEP).update(read_at=now))


def deliver_event(event_id: int) -> int:
    event = CaseEvent.objects.select_related("case__region", "case__matter", "case__handling_region").filter(pk=event_id).first()
    if event is None:
        return 0
    made = tell(event.case, event.action, note=event.note if event.public else "")
    moved_on = CaseEvent.objects.filter(case=event.case_id, pk__gt=event.pk).exclude(to_status=F("from_status")).exists()
    if made and moved_on and event.action not in NOT_ABOUT_THE_STEP:
        # Delivered after the case had already left the step it announced (a slow worker): nothing to do.
        Notification.objects.filter(case=event.case_id, kind=event.action, read_at__isnull=True).update(read_at=timezone.now())
    return made


def skip_level_recipients(routing: RoutingDecision) -> set:
    """Who hears of a skip-level routing: the staff of each copied unit (the role working at its level,
    scoped exactly there, so each already sees the case in its subtree) and the members of a department
    the rule sent the case to; not those the report notice already reaches."""
    users = get_user_model().objects.filter(is_active=True)
    found = set()
    for region in routing.copied_to.all():
        role = COPY_ROLE.get(region.level)
        if role is not None:
            found.update(users.filter(role=role, scope_region=region))
    if routing.level == Level.DEPARTMENT and routing.department_id:
        found.update(users.filter(departments=routing.department_id))
    return found - recipients(routing.case, "report")


def announce_skip_level(routing: RoutingDecision) -> None:
    """Queue the copies of a skip-level routing, inside the intake's transaction."""
    from .tasks import deliver_skip_level

    deliver_skip_level.enqueue(routing.pk)


def deliver_skip_level(routing_id: int) -> int:
    routing = (RoutingDecision.objects.select_related("case__region", "case__matter", "case__handling_region")
               .filter(pk=routing_id, skip_rule__isnull=False).first())
    if routing is None:
        return 0
    case = routing.case
    skip = next((reason for reason in routing.reasons if reason.startswith("紧急事项越级上报")), "")
    # Inbox only: the group robots already carried the report itself.
    return deliver(users=skip_level_recipients(routing), kind="skip_level", text=message(case, "skip_level", skip), region_path="", case=case)


def deliver_reminder(case_id: int) -> int:
    case = Case.objects.select_related("region", "matter", "handling_region").filter(pk=case_id).first()
    if case is None:
        return 0
    return tell(case, "remind")
