"""Who may take which action on a case: the `Actor` of each transition made concrete; who may file
a case on which channel; and how often a resident without an account may report."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.utils.translation import gettext

# Who may do a unit's work is ab_roles' rule (desks' A and B are checked by it too).
from yiwang.ab_roles.units import can_handle_at
from yiwang.core import crypto, throttle
from yiwang.core.scope import DESK_ROLES, Role, is_staff, scope_path

from .lifecycle import Actor, Transition, actions_from
from .models import Case, Channel, Level

COORDINATOR_ROLES = {Role.COMMUNITY, Role.STREET, Role.DISTRICT}
SUPERVISOR_ROLES = {Role.STREET, Role.DISTRICT}
# The channels each staff role may file a case on (residents: /report/ and Open311, no account).
STAFF_CHANNELS = {
    Role.GRID_WORKER: {Channel.GRID_WORKER},
    Role.COMMUNITY: {Channel.DESK, Channel.HOTLINE, Channel.GRID_WORKER},
    Role.STREET: {Channel.DESK, Channel.HOTLINE},
    Role.DISTRICT: {Channel.DESK, Channel.HOTLINE},
}
# Steps that do the work: whoever took one on a case is its handler for separation of duties.
HANDLING_ACTIONS = ("sign", "handle", "solve_on_spot", "request_extension")
RATING_ACTIONS = ("rate", "rate_unsatisfied")


def coordinator_roles(level: str) -> set[str]:
    """Street-level and department cases are coordinated from the street up; the rest from the community up."""
    return SUPERVISOR_ROLES if level in (Level.STREET, Level.DEPARTMENT) else COORDINATOR_ROLES


def _active(user) -> bool:
    return user is not None and getattr(user, "is_authenticated", False) and user.is_active


def _covers(user, path: str) -> bool:
    prefix = scope_path(user)
    return prefix is not None and path.startswith(prefix)


def is_coordinator(user, case: Case) -> bool:
    """Community, street or district staff over the case; street-level cases need the street or above."""
    if not _active(user):
        return False
    if user.is_superuser:
        return True
    return user.role in coordinator_roles(case.level) and _covers(user, case.region.path)


def is_supervisor(user, case: Case) -> bool:
    if not _active(user):
        return False
    return user.is_superuser or (user.role in SUPERVISOR_ROLES and _covers(user, case.region.path))


def is_handler(user, case: Case) -> bool:
    """A member of the unit the case is with: the department, or staff of the handling region."""
    if case.level == Level.DEPARTMENT and case.handling_department_id is None:
        return bool(_active(user) and user.is_superuser)
    return can_handle_at(user, level=case.level, region=case.handling_region, department=case.handling_department_id)


def is_grid_worker_of(user, case: Case) -> bool:
    if not _active(user) or user.role != Role.GRID_WORKER:
        return False
    own = scope_path(user)
    return own is not None and (case.region.path.startswith(own) or own.startswith(case.region.path))


def channels_for(user) -> set[str]:
    """The channels `user` may file a case on."""
    if not _active(user):
        return set()
    if user.is_superuser:
        return set().union(*STAFF_CHANNELS.values())
    return set(STAFF_CHANNELS.get(user.role, set()))


def handlers_of(case: Case, *, this_round: bool) -> set[int]:
    """The accounts that signed, handled, asked more time for or solved the case: in the current
    round (since its last dispatch) or ever."""
    events = case.events.filter(action__in=HANDLING_ACTIONS, actor__isnull=False)
    if this_round:
        last_dispatch = case.events.filter(action="dispatch").order_by("-id").values_list("id", flat=True).first()
        if last_dispatch is not None:
            events = events.filter(id__gt=last_dispatch)
    ids = set(events.values_list("actor_id", flat=True))
    if case.handler_id:
        ids.add(case.handler_id)
    return ids


def duty_conflict(user, case: Case, transition: Transition, *, callback: bool = False) -> str:
    """Why separation of duties forbids `user` this step ("" when it does not): no one verifies,
    closes or holds what they handled, nor approves their own extension request; no one who
    handled a case rates it; staff never rate on their own account, only record the resident's
    answer on a callback."""
    if not _active(user):
        return ""
    if transition.action in ("verify", "close") and user.pk in handlers_of(case, this_round=True):
        return gettext("处置人不能核查或结案自己处置的事件，请由其他工作人员办理。")
    # Pausing or lengthening one's own clock is the same conflict: someone else decides.
    if transition.action == "hold" and user.pk in handlers_of(case, this_round=True):
        return gettext("处置人不能对自己承办的事件挂账。")
    if transition.action == "approve_extension" and case.extensions.filter(status="pending", requested_by=user.pk).exists():
        return gettext("不能批准自己提出的延期申请。")
    if transition.action in RATING_ACTIONS:
        if user.pk in handlers_of(case, this_round=False):
            return gettext("参与处置的人员不能评价该事件。")
        if is_staff(user) and not callback:
            return gettext("工作人员不能自行评价事件；回访时请勾选“回访记录”，并在说明中记录反映人的答复。")
    return ""


def may_act(user, case: Case, transition: Transition, *, system: bool = False, reporter_verified: bool = False,
            callback: bool = False) -> bool:
    """The table's actor check, then separation of duties (`duty_conflict`)."""
    if not may_act_as_actor(user, case, transition, system=system, reporter_verified=reporter_verified):
        return False
    return not duty_conflict(user, case, transition, callback=callback)


def may_act_as_actor(user, case: Case, transition: Transition, *, system: bool = False, reporter_verified: bool = False) -> bool:
    """Is `user` the actor the table names for this move (separation of duties aside)?"""
    actor = transition.actor
    if actor is Actor.SYSTEM:
        return system
    if actor is Actor.COORDINATOR:
        return is_coordinator(user, case)
    if actor is Actor.SUPERVISOR:
        return is_supervisor(user, case)
    if actor is Actor.HANDLER:
        return is_handler(user, case)
    if actor is Actor.HANDLER_OR_COORDINATOR:
        return is_handler(user, case) or is_coordinator(user, case)
    if actor is Actor.GRID_WORKER:
        return is_grid_worker_of(user, case)
    if actor is Actor.REPORTER:
        own_report = _active(user) and case.reported_by_id == user.pk and case.handler_id != user.pk
        if transition.action in RATING_ACTIONS and is_staff(user):
            # A rating is the resident's: staff only record it, as a coordinator on a callback
            # (without the callback mark, `duty_conflict` says so).
            return is_coordinator(user, case)
        return reporter_verified or is_coordinator(user, case) or own_report
    return False


def may_summon(user, case: Case) -> bool:
    """As services.do_summon checks: the table's "summon" move from this status, by its actor."""
    return any(t.action == "summon" and may_act(user, case, t) for t in actions_from(case.status))


def report_channels(user, *, desk: bool) -> list[str]:
    """The channels `user` may file on from a staff report page, in the page's order: the desk page
    (a resident's report taken at the desk or on the hotline) is for desk roles only; the grid
    worker's page offers the worker's own channel first."""
    if desk and not (user.is_superuser or user.role in DESK_ROLES):
        return []
    allowed = set(Channel.values) if user.is_superuser else channels_for(user)
    order = [Channel.DESK, Channel.HOTLINE] if desk else [Channel.GRID_WORKER, Channel.DESK, Channel.HOTLINE]
    return [str(c) for c in order if c in allowed]


# Residents' reports (随手拍) per hour ----------------------------------------------------------------

def _address_key(address: str) -> str:
    return throttle.key_for("resident-reports", address)


def resident_limit_reached(*, phone: str, address: str, now) -> str:
    """Why another resident report is refused now ("" when it is not).

    Per phone number: counted in the database, from the cases' phone digests. Per client address: a
    place of the address's hour is taken here, in the database (core/throttle.py), so every app server
    counts the same and two reports sent at once cannot both take the last place; a report that is then
    not accepted gives its place back (`release_resident_report`)."""
    limit = settings.YIWANG_RESIDENT_REPORTS_PER_HOUR
    recent = Case.objects.filter(channel=Channel.RESIDENT, phone_digest=crypto.digest(phone), reported_at__gte=now - timedelta(hours=1))
    if recent.count() >= limit:
        return gettext("这个手机号一小时内已上报 %(n)s 次，请稍后再试，或拨打热线反映。") % {"n": limit}
    if address and not throttle.take(_address_key(address), limit=limit, window=timedelta(hours=1), now=now):
        return gettext("您的网络一小时内已上报 %(n)s 次，请稍后再试，或拨打热线反映。") % {"n": limit}
    return ""


def release_resident_report(address: str, now) -> None:
    """Give back the place `resident_limit_reached` took for a report that was not accepted."""
    if address:
        throttle.give_back(_address_key(address), now=now)
