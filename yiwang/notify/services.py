"""Who hears about a case event: the in-app inbox of the people who must act next, and the group
robots (WeCom / DingTalk webhooks) of the regions above the case.

`announce` only queues a task, inside the transition's transaction (the task row commits with it), so
a slow robot never holds up a resident's report and a crash cannot lose a committed case's notices.
"""

from __future__ import annotations

import json
import logging
import urllib.request

from django.db.models import Q
from django.utils import timezone

from yiwang.regions.models import ancestor_paths

from .models import Notification, WebhookDelivery, WebhookEndpoint

log = logging.getLogger(__name__)

# Events after which the coordinators decide next; the others go to the unit handling the case.
FOR_COORDINATORS = {"report", "return", "handle", "escalate", "auto_escalate", "reopen", "rate_unsatisfied", "request_extension"}
FOR_HANDLERS = {"dispatch", "rework", "release", "urge", "supervise", "approve_extension", "refuse_extension", "handover"}
ACTION_TEXT = {
    "report": "新事件待受理", "dispatch": "新派遣事件待签收", "return": "事件被退回,请重新派遣", "handle": "事件已处置,待核查",
    "rework": "事件核查未通过,请返工", "escalate": "事件上报,请处理", "auto_escalate": "事件超时自动上报,请处理",
    "reopen": "居民重启事件", "rate_unsatisfied": "居民不满意,事件重启", "request_extension": "延期申请待审批",
    "approve_extension": "延期申请已批准", "refuse_extension": "延期申请被驳回", "release": "挂账事件恢复办理",
    "urge": "催办", "supervise": "督办", "mark_overdue": "事件已超时", "remind": "事件即将超时", "summon": "吹哨报到",
    "handover": "A角请假,事件转由您(B角)办理",
}



def coordinators(case):
    from django.contrib.auth import get_user_model

    from yiwang.cases.permissions import coordinator_roles

    return get_user_model().objects.filter(is_active=True, role__in=coordinator_roles(case.level), scope_region__path__in=ancestor_paths(case.region.path))


def handlers(case):
    from django.contrib.auth import get_user_model

    from yiwang.cases.models import Level
    from yiwang.cases.permissions import HANDLER_ROLE

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


def summoned(case):
    from django.contrib.auth import get_user_model

    parts = Q(summons_parts__summons__case=case) | Q(departments__summons_parts__summons__case=case)
    return get_user_model().objects.filter(is_active=True).filter(parts).distinct()


# While a case waits in these statuses the coordinators must act; otherwise the handling unit.
COORDINATOR_STATUSES = {"reported", "accepted", "handled", "verified"}


def recipients(case, action: str):
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


def message(case, action: str, note: str = "") -> str:
    text = f"【{ACTION_TEXT.get(action, action)}】{case.number} {case.matter.name} · {case.region.name}"
    return f"{text}:{note[:80]}" if note else text


def announce(event_id: int) -> None:
    from .tasks import deliver_case_event

    deliver_case_event.enqueue(event_id)


def deliver(event_id: int) -> int:
    """Write the inbox rows and send the robots' messages for one case event; returns inbox rows made."""
    from yiwang.cases.models import CaseEvent

    event = CaseEvent.objects.select_related("case__region", "case__matter", "case__handling_region").filter(pk=event_id).first()
    if event is None:
        return 0
    return notify(event.case, event.action, note=event.note if event.public else "")


def notify(case, action: str, *, note: str = "") -> int:
    text = message(case, action, note)
    users = recipients(case, action)
    Notification.objects.bulk_create([Notification(user=u, case=case, kind=action, text=text[:300]) for u in users])
    endpoints = WebhookEndpoint.objects.filter(active=True, region__path__in=ancestor_paths(case.region.path))
    for endpoint in endpoints:
        delivery = WebhookDelivery.objects.create(endpoint=endpoint, payload=robot_payload(text))
        send(delivery)
    return len(users)


def robot_payload(text: str) -> dict:
    """The text-message shape both WeCom and DingTalk group robots accept."""
    return {"msgtype": "text", "text": {"content": text}}


def send(delivery: WebhookDelivery, *, timeout: float = 5.0) -> bool:
    delivery.attempts += 1
    request = urllib.request.Request(delivery.endpoint.url, data=json.dumps(delivery.payload, ensure_ascii=False).encode(),
                                     headers={"Content-Type": "application/json; charset=utf-8"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            response.read(4096)
        delivery.sent_at, delivery.last_error = timezone.now(), ""
    except Exception as exc:  # a robot that is down must not stop the inbox; the error is kept for a retry
        delivery.last_error = str(exc)[:300]
        log.warning("webhook %s failed: %s", delivery.endpoint.url, exc)
    delivery.save(update_fields=["attempts", "sent_at", "last_error"])
    return delivery.sent_at is not None
