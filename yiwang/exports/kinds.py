"""What can be exported, as a framework: each kind checks a request (at request time, in the
request) and writes its file (in the worker, for the same user, checking again).

`prepare(user, params)` raises PermissionDenied, Http404 or ValidationError exactly as the old
synchronous export did, and returns the parameters to freeze with the job, its title and file name.
`write(run)` re-reads everything through the user's scope and writes to `run.out`; it returns the
number of rows written.

The kinds themselves belong to the apps whose data they write: each app declares its kinds with
`register` in its own `export_kinds` module, imported at start-up (`ExportsConfig.ready`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, BinaryIO

from django.core.exceptions import PermissionDenied

from yiwang.core.scope import is_resident

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@dataclass(frozen=True)
class Prepared:
    params: dict
    title: str
    filename: str


@dataclass
class Run:
    """One run of a job in the worker: who, what, where to write, and how to report progress."""

    job: Any
    user: Any
    params: dict
    out: BinaryIO
    progress: Callable[[int, int | None], None]  # (rows so far, total rows or None)
    every: int  # report progress every this many rows


@dataclass(frozen=True)
class Kind:
    key: str
    content_type: str
    prepare: Callable[[Any, dict], Prepared]
    write: Callable[[Run], int]


def refuse_residents(user) -> None:
    """403 for residents (unless superuser): these exports are for staff."""
    if is_resident(user):
        raise PermissionDenied


KINDS: dict[str, Kind] = {}


def register(kind: Kind) -> Kind:
    """Make `kind` exportable under its key."""
    KINDS[kind.key] = kind
    return kind
