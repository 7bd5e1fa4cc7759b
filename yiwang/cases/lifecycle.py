"""The one table of legal case transitions, and who may take each.

`MACHINE` (a `yiwang.core.statemachine.StateMachine`) is the only source of truth: services look an
action up here and anything not in the table raises `IllegalTransition`; `TRANSITIONS[(status,
action)]` is its lookup table. A `None` target keeps the status (a note on the case: an extension
request, a supervision note). The step whose clock runs in each status is in `STEP_OF`.
"""

from __future__ import annotations

from enum import StrEnum

from yiwang.core.statemachine import IllegalTransition, StateMachine, Transition

from .models import Status

__all__ = ["ACTIONS", "MACHINE", "PUBLIC_ACTIONS", "STEP_OF", "TRANSITIONS", "Actor", "IllegalTransition", "Transition",
           "actions_from", "steps_to", "transition_for"]


class Actor(StrEnum):
    """Who may take an action; the checks are in `permissions.may_act`."""

    COORDINATOR = "coordinator"  # community/street/district staff over the case (受理、派遣、核查、结案)
    SUPERVISOR = "supervisor"  # street or district staff over the case (督办、挂账审批)
    HANDLER = "handler"  # members of the unit the case is dispatched to
    HANDLER_OR_COORDINATOR = "handler_or_coordinator"
    GRID_WORKER = "grid_worker"  # a grid worker of the case's grid (现场解决)
    REPORTER = "reporter"  # the resident (with the access code) or staff on a follow-up call
    SYSTEM = "system"  # the background worker


S = Status
_OPEN_WORK = (S.ACCEPTED, S.DISPATCHED, S.SIGNED)
_ALL_OPEN = (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.SIGNED, S.ON_HOLD, S.HANDLED, S.VERIFIED)

_ROWS: list[Transition] = [
    Transition("accept", S.REPORTED, S.ACCEPTED, Actor.COORDINATOR, "accepted_at"),
    Transition("reject", S.REPORTED, S.REJECTED, Actor.COORDINATOR, "rejected_at", needs_note=True),
    Transition("merge", S.REPORTED, S.MERGED, Actor.COORDINATOR, "merged_at"),
    Transition("solve_on_spot", S.REPORTED, S.CLOSED, Actor.GRID_WORKER, "closed_at"),
    Transition("dispatch", S.ACCEPTED, S.DISPATCHED, Actor.COORDINATOR, "dispatched_at"),
    Transition("sign", S.DISPATCHED, S.SIGNED, Actor.HANDLER, "signed_at"),
    Transition("return", S.DISPATCHED, S.ACCEPTED, Actor.HANDLER, None, needs_note=True),
    Transition("handle", S.SIGNED, S.HANDLED, Actor.HANDLER, "handled_at", needs_note=True),
    Transition("verify", S.HANDLED, S.VERIFIED, Actor.COORDINATOR, "verified_at"),
    Transition("rework", S.HANDLED, S.SIGNED, Actor.COORDINATOR, None, needs_note=True),
    Transition("close", S.VERIFIED, S.CLOSED, Actor.COORDINATOR, "closed_at"),
    Transition("rate", S.CLOSED, S.RATED, Actor.REPORTER, "rated_at"),
    # A "not satisfied" rating, or a resident's reopening, sends the case back to be dispatched again.
    Transition("rate_unsatisfied", S.CLOSED, S.ACCEPTED, Actor.REPORTER, "rated_at"),
    Transition("reopen", S.CLOSED, S.ACCEPTED, Actor.REPORTER, "reopened_at", needs_note=True),
    Transition("request_extension", S.SIGNED, None, Actor.HANDLER, None, needs_note=True),
    Transition("approve_extension", S.SIGNED, None, Actor.COORDINATOR),
    Transition("refuse_extension", S.SIGNED, None, Actor.COORDINATOR, needs_note=True),
    Transition("hold", S.SIGNED, S.ON_HOLD, Actor.SUPERVISOR, "held_at", needs_note=True),
    Transition("release", S.ON_HOLD, S.SIGNED, Actor.SUPERVISOR),
    Transition("summon", _OPEN_WORK, None, Actor.COORDINATOR, needs_note=True),
    Transition("escalate", _OPEN_WORK, S.ACCEPTED, Actor.HANDLER_OR_COORDINATOR, "escalated_at", needs_note=True),
    Transition("auto_escalate", (S.DISPATCHED, S.SIGNED), S.ACCEPTED, Actor.SYSTEM, "escalated_at"),
    Transition("mark_overdue", (S.REPORTED, S.ACCEPTED, S.DISPATCHED, S.SIGNED, S.HANDLED, S.VERIFIED), None, Actor.SYSTEM),
    Transition("supervise", _ALL_OPEN, None, Actor.SUPERVISOR, needs_note=True),
    Transition("urge", _ALL_OPEN, None, Actor.COORDINATOR, needs_note=True),
]

MACHINE = StateMachine(_ROWS)
TRANSITIONS: dict[tuple[str, str], Transition] = MACHINE.table

ACTIONS = sorted(MACHINE.actions)

# Steps the resident sees on the tracking page and through Open311; the rest (supervision notes,
# extensions, holds, returns, escalations, overdue marks) are internal unless the actor says otherwise.
PUBLIC_ACTIONS = frozenset({"report", "accept", "reject", "merge", "solve_on_spot", "dispatch", "sign", "handle", "verify", "close",
                            "rate", "rate_unsatisfied", "reopen", "import"})

# The step whose clock runs while a case is in a status; statuses not listed stop the clock.
STEP_OF: dict[str, str] = {
    S.REPORTED: "accept",
    S.ACCEPTED: "dispatch",
    S.DISPATCHED: "sign",
    S.SIGNED: "handle",
    S.HANDLED: "verify",
    S.VERIFIED: "verify",
}


def transition_for(status: str, action: str) -> Transition:
    return MACHINE.move(status, action)


def actions_from(status: str) -> list[Transition]:
    return MACHINE.allowed(status)


def steps_to(status: str, action: str) -> tuple[str, ...] | None:
    """The actions one click takes to do `action` on a case in `status`: a reported case is accepted
    first (the command screen's one-click dispatch and summons); None when it cannot get there."""
    return MACHINE.steps_to(status, action, via=("accept",))
