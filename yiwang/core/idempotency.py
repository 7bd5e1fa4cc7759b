"""Submitting a form once: the browser sends a key it made once per fill (`idempotency_key`, a
UUID); the first POST with that key records what it created in the same transaction, and any later
POST with the same key (a double click, a retry of the offline queue after a lost answer) creates
nothing and is answered with the first result. Keys are per user; old keys are pruned."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext

from .models import SubmissionKey

# A queued item older than this has long been sent or dropped; its key protects nothing any more.
KEEP_DAYS = 30

FIELD = "idempotency_key"

T = TypeVar("T")


@dataclass(frozen=True)
class Outcome(Generic[T]):
    """What a submission gave: `result` is what `create` returned, or None when an earlier POST
    with the same key had created `object_id` already (`repeated`)."""

    object_id: int
    result: T | None = None
    repeated: bool = False


def parse_key(raw: str | None) -> uuid.UUID | None:
    """The posted key, or None when the form sent none (it then works as before, without the guard)."""
    raw = (raw or "").strip()
    if not raw:
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ValidationError({FIELD: gettext("提交标识无效，请刷新页面后重新填写")}) from None


def earlier(*, user, key: uuid.UUID | None, kind: str) -> int | None:
    """The object an earlier POST with this key created, if any."""
    if key is None:
        return None
    row = SubmissionKey.objects.filter(user=user, key=key).only("kind", "object_id").first()
    if row is None:
        return None
    if row.kind != kind:
        raise ValidationError({FIELD: gettext("这个提交标识已用于另一张表单，请刷新页面后重新填写")})
    return row.object_id


def once(*, user, key: uuid.UUID | None, kind: str, create: Callable[[], T], object_id: Callable[[T], int]) -> Outcome[T]:
    """Run `create` (a service) unless this user's key was used; record the key in the same
    transaction, so the key exists exactly when what it created does. Two POSTs racing with one key:
    the second's insert breaks the unique constraint, its whole transaction rolls back, and it is
    answered with the first one's object."""
    if key is None:
        result = create()
        return Outcome(object_id=object_id(result), result=result)
    try:
        with transaction.atomic():
            done = earlier(user=user, key=key, kind=kind)
            if done is not None:
                return Outcome(object_id=done, repeated=True)
            result = create()
            made = object_id(result)
            SubmissionKey.objects.create(user=user, key=key, kind=kind, object_id=made)
    except IntegrityError:
        done = earlier(user=user, key=key, kind=kind)
        if done is None:
            raise
        return Outcome(object_id=done, repeated=True)
    return Outcome(object_id=made, result=result)


def prune(*, now: datetime) -> int:
    """Delete keys older than KEEP_DAYS; returns how many."""
    deleted, _ = SubmissionKey.objects.filter(created_at__lt=now - timedelta(days=KEEP_DAYS)).delete()
    return deleted
