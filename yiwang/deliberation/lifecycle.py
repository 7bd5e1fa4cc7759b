"""The one table of a topic's legal moves. Anything not in it raises IllegalTopicMove.

raised → grid discussion → (consultation →) decided → in progress → done → evaluated, plus
rejected or merged (with a reason) from any state before a decision. The grid may answer a topic
itself (grid discussion → decided) and a decision that needs no work may be done at once.
"""

from __future__ import annotations

from yiwang.cases.lifecycle import IllegalTransition

from .models import TopicState as S

OPEN_BEFORE_DECISION = frozenset({S.RAISED, S.GRID_DISCUSSION, S.CONSULTATION})

# action → (states it may start from, state it leads to)
TRANSITIONS: dict[str, tuple[frozenset[str], str]] = {
    "accept": (frozenset({S.RAISED}), S.GRID_DISCUSSION),
    "refer": (frozenset({S.GRID_DISCUSSION}), S.CONSULTATION),
    "answer": (frozenset({S.GRID_DISCUSSION}), S.DECIDED),
    "decide": (frozenset({S.CONSULTATION}), S.DECIDED),
    "start_work": (frozenset({S.DECIDED}), S.IN_PROGRESS),
    "complete": (frozenset({S.DECIDED, S.IN_PROGRESS}), S.DONE),
    "close_evaluation": (frozenset({S.DONE}), S.EVALUATED),
    "reject": (OPEN_BEFORE_DECISION, S.REJECTED),
    "merge": (OPEN_BEFORE_DECISION, S.MERGED),
}
ACTIONS = tuple(TRANSITIONS)


class IllegalTopicMove(IllegalTransition):
    """The action does not apply to a topic in this state (the API answers 409, like cases)."""

    def __init__(self, state: str, action: str):
        Exception.__init__(self, f"议题当前为“{S(state).label if state in S.values else state}”,不能执行 {action}")
        self.status, self.action = state, action


def next_state(state: str, action: str) -> str:
    """The state `action` leads to from `state`, or IllegalTopicMove."""
    allowed = TRANSITIONS.get(action)
    if allowed is None or state not in allowed[0]:
        raise IllegalTopicMove(state, action)
    return allowed[1]


def actions_from(state: str) -> list[str]:
    return [action for action, (sources, _) in TRANSITIONS.items() if state in sources]
