"""The one shape for status rules: which action moves a row from which status to which.

A machine is a list of `Transition` rows (action, the status or statuses it starts from, the status
it leads to or None to stay, who takes it, the timestamp field it stamps, a label). Apps declare
their machine beside their models and their services ask it before any write; it holds no data
and never touches the database.

`IllegalTransition` is the refusal everywhere: an action that does not apply to the row's status
(or someone else moved it first). Pages show it as a message and the API answers 409; an app whose
refusal has always been a form error turns it into that error at its service boundary.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime


class IllegalTransition(Exception):
    def __init__(self, status: str, action: str):
        # The wording is the cases API's 409 detail, kept as clients know it; subclasses say their own.
        super().__init__(f"action {action!r} is not allowed on a case that is {status!r}")
        self.status, self.action = status, action


@dataclass(frozen=True)
class Transition:
    """One row: `action` moves a row in any of `sources` to `target` (None: the status stays)."""

    action: str
    sources: frozenset[str]  # give one status or several; kept as a frozenset
    target: str | None = None
    actor: str | None = None  # who may take it; each app gives the word its meaning
    stamp: str | None = None  # the timestamp field set by this move
    label: str = ""
    needs_note: bool = False

    def __post_init__(self):
        sources = (self.sources,) if isinstance(self.sources, str) else self.sources
        object.__setattr__(self, "sources", frozenset(sources))

    def after(self, status: str) -> str:
        """The status a row in `status` has after this move."""
        return status if self.target is None else self.target


class StateMachine:
    """Rows looked up by (status, action). `field` names the model's status attribute; `refusal`
    is the IllegalTransition (or subclass) raised for a move not in the table."""

    def __init__(self, rows: Iterable[Transition], *, field: str = "status", refusal: type[IllegalTransition] = IllegalTransition):
        self.rows = tuple(rows)
        self.field, self.refusal = field, refusal
        self.table: dict[tuple[str, str], Transition] = {}
        for row in self.rows:
            for source in row.sources:
                if (source, row.action) in self.table:
                    raise ValueError(f"two rows for {row.action!r} from {source!r}")
                self.table[(source, row.action)] = row
        self.actions = tuple(dict.fromkeys(row.action for row in self.rows))
        self.targets = frozenset(row.target for row in self.rows if row.target is not None)

    def _status(self, row_or_status) -> str:
        return row_or_status if isinstance(row_or_status, str) else getattr(row_or_status, self.field)

    def move(self, row_or_status, action: str, *, otherwise: Exception | None = None) -> Transition:
        """The row of the table for `action` from this status (a status, or a model instance's), or the
        refusal: `otherwise` when given (an app's own form error), else the machine's IllegalTransition."""
        status = self._status(row_or_status)
        try:
            return self.table[(status, action)]
        except KeyError:
            raise (otherwise if otherwise is not None else self.refusal(status, action)) from None

    def can(self, row_or_status, action: str) -> bool:
        return (self._status(row_or_status), action) in self.table

    def allowed(self, row_or_status) -> list[Transition]:
        """The rows that apply to this status, in the order they were declared."""
        status = self._status(row_or_status)
        return [row for row in self.rows if status in row.sources]

    def sources(self, action: str) -> frozenset[str]:
        """Every status `action` may start from."""
        return frozenset().union(*(row.sources for row in self.rows if row.action == action))

    def apply(self, instance, action: str | Transition, now: datetime | None = None, *,
              otherwise: Exception | None = None) -> Transition:
        """Check the move on a model instance (or take the row already looked up), set its new status
        and stamp `now` (when given and the row names a stamp). Saving is the caller's."""
        row = action if isinstance(action, Transition) else self.move(instance, action, otherwise=otherwise)
        setattr(instance, self.field, row.after(self._status(instance)))
        if row.stamp and now is not None:
            setattr(instance, row.stamp, now)
        return row

    def steps_to(self, status: str, action: str, *, via: Iterable[str] = ()) -> tuple[str, ...] | None:
        """The actions that take a row in `status` through `action`: `action` alone when it applies,
        else one of the `via` actions first, when it leads to a status where `action` applies; None
        when neither does."""
        if self.can(status, action):
            return (action,)
        for step in via:
            if self.can(status, step):
                rest = self.steps_to(self.table[(status, step)].after(status), action)
                if rest is not None:
                    return (step, *rest)
        return None
