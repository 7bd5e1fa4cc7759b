"""yiwang.core.statemachine: lookups, refusals, applying a move, and the paths one click takes."""

from __future__ import annotations

from datetime import datetime
from types import SimpleNamespace

import pytest
from django.core.exceptions import ValidationError

from yiwang.core.statemachine import IllegalTransition, StateMachine, Transition

MACHINE = StateMachine([
    Transition("accept", "new", "accepted", stamp="accepted_at"),
    Transition("dispatch", "accepted", "dispatched"),
    Transition("note", ("new", "accepted"), None),
])


def test_one_row_per_source_and_the_lookups():
    assert MACHINE.move("new", "note") is MACHINE.move("accepted", "note")
    assert MACHINE.move("new", "note").sources == frozenset({"new", "accepted"})
    assert [row.action for row in MACHINE.allowed("accepted")] == ["dispatch", "note"]
    assert MACHINE.actions == ("accept", "dispatch", "note")
    assert MACHINE.targets == frozenset({"accepted", "dispatched"})
    assert MACHINE.sources("note") == frozenset({"new", "accepted"})
    assert MACHINE.can("new", "accept") and not MACHINE.can("dispatched", "accept")


def test_a_move_outside_the_table_is_refused():
    with pytest.raises(IllegalTransition) as refused:
        MACHINE.move("dispatched", "accept")
    assert (refused.value.status, refused.value.action) == ("dispatched", "accept")
    with pytest.raises(ValidationError):
        MACHINE.move(SimpleNamespace(status="dispatched"), "accept", otherwise=ValidationError({"status": "no"}))


def test_apply_sets_the_status_and_the_stamp():
    row, now = SimpleNamespace(status="new", accepted_at=None), datetime(2026, 1, 5, 9)
    assert MACHINE.apply(row, "note", now).target is None and row.status == "new"
    MACHINE.apply(row, "accept", now)
    assert (row.status, row.accepted_at) == ("accepted", now)
    with pytest.raises(IllegalTransition):
        MACHINE.apply(row, "accept", now)
    assert row.status == "accepted"


def test_two_rows_for_one_move_are_a_mistake():
    with pytest.raises(ValueError):
        StateMachine([Transition("a", "x", "y"), Transition("a", ("x", "z"), "w")])


def test_steps_to_goes_through_one_via_action():
    assert MACHINE.steps_to("accepted", "dispatch", via=("accept",)) == ("dispatch",)
    assert MACHINE.steps_to("new", "dispatch", via=("accept",)) == ("accept", "dispatch")
    assert MACHINE.steps_to("new", "dispatch") is None
    assert MACHINE.steps_to("dispatched", "dispatch", via=("accept",)) is None
