"""The one shape for status rules: which action moves a row from which status to which.

`IllegalTransition` is the refusal everywhere: an action that does not apply to the row's status
(or someone else moved it first). Pages show it as a message and the API answers 409.
"""

from __future__ import annotations


class IllegalTransition(Exception):
    def __init__(self, status: str, action: str):
        super().__init__(f"action {action!r} is not allowed on a case that is {status!r}")
        self.status, self.action = status, action
