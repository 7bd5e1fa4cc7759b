"""The one table of a topic's legal moves. Anything not in it raises IllegalTopicMove.

raised → grid discussion → (consultation →) decided → in progress → done → evaluated, plus
rejected or merged (with a reason) from any state before a decision. The grid may answer a topic
itself (grid discussion → decided) and a decision that needs no work may be done at once. Each
move stamps the time of the state it leads to.
"""

from __future__ import annotations

from yiwang.core.statemachine import IllegalTransition, StateMachine, Transition

from .models import STATE_TIME_FIELD
from .models import TopicState as S

OPEN_BEFORE_DECISION = frozenset({S.RAISED, S.GRID_DISCUSSION, S.CONSULTATION})


class IllegalTopicMove(IllegalTransition):
    """The action does not apply to a topic in this state (the API answers 409, like cases)."""

    def __init__(self, state: str, action: str):
        Exception.__init__(self, f"议题当前为“{S(state).label if state in S.values else state}”，不能执行 {action}")
        self.status, self.action = state, action


def _move(action: str, sources, target: str) -> Transition:
    return Transition(action, sources, target, stamp=STATE_TIME_FIELD[target])


MACHINE = StateMachine([
    _move("accept", S.RAISED, S.GRID_DISCUSSION),
    _move("refer", S.GRID_DISCUSSION, S.CONSULTATION),
    _move("answer", S.GRID_DISCUSSION, S.DECIDED),
    _move("decide", S.CONSULTATION, S.DECIDED),
    _move("start_work", S.DECIDED, S.IN_PROGRESS),
    _move("complete", (S.DECIDED, S.IN_PROGRESS), S.DONE),
    _move("close_evaluation", S.DONE, S.EVALUATED),
    _move("reject", OPEN_BEFORE_DECISION, S.REJECTED),
    _move("merge", OPEN_BEFORE_DECISION, S.MERGED),
], field="state", refusal=IllegalTopicMove)
ACTIONS = MACHINE.actions


def next_state(state: str, action: str) -> str:
    """The state `action` leads to from `state`, or IllegalTopicMove."""
    return MACHINE.move(state, action).target


def actions_from(state: str) -> list[str]:
    return [row.action for row in MACHINE.allowed(state)]
