"""Rate limits shared by every app server: a count per key in the database (`core.Throttle`).

A window opens with a key's first take and lasts `window`; within it at most `limit` takes succeed.
Each take is one atomic upsert (INSERT … ON CONFLICT DO UPDATE … WHERE … RETURNING, on SQLite and
PostgreSQL alike), so two processes can never both take the last place: no read-then-write, no cache.

Two uses:
- a cap on successes (reports, registrations per address): `take` before the work, `give_back` if
  the work was refused for another reason;
- a cap on wrong guesses (an access code): `take` before checking the guess, `give_back` when it
  was right, so only wrong guesses stay counted and concurrent guesses cannot overrun the cap.
"""

from __future__ import annotations

import hashlib
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone

from .models import Throttle


def key_for(kind: str, *parts: object) -> str:
    """A fixed-length key: the kind in clear, the parts (addresses, phone digests, ids) digested."""
    digest = hashlib.sha256("\x1f".join(str(p) for p in parts).encode()).hexdigest()[:40]
    return f"{kind}:{digest}"[:120]


def take(key: str, *, limit: int, window: timedelta, now: datetime | None = None) -> bool:
    """Count one more against `key` unless `limit` are already counted in its open window.
    True when counted; False when the limit is reached (nothing changes then)."""
    if limit <= 0:
        return False
    now = now or timezone.now()
    ops = connection.ops
    at_now = ops.adapt_datetimefield_value(now)
    expires = ops.adapt_datetimefield_value(now + window)
    table = ops.quote_name(Throttle._meta.db_table)
    # SET reads the row as it was before the update on both databases: an expired window restarts at 1.
    sql = (
        f"INSERT INTO {table} (key, count, expires_at) VALUES (%s, 1, %s) "
        f"ON CONFLICT (key) DO UPDATE SET "
        f"count = CASE WHEN {table}.expires_at <= %s THEN 1 ELSE {table}.count + 1 END, "
        f"expires_at = CASE WHEN {table}.expires_at <= %s THEN excluded.expires_at ELSE {table}.expires_at END "
        f"WHERE {table}.expires_at <= %s OR {table}.count < %s "
        f"RETURNING count"
    )
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(sql, [key, expires, at_now, at_now, at_now, limit])
        return cursor.fetchone() is not None


def give_back(key: str, *, now: datetime | None = None) -> None:
    """Undo one take of `key` in its open window (the work it guarded did not count)."""
    now = now or timezone.now()
    Throttle.objects.filter(key=key, count__gt=0, expires_at__gt=now).update(count=F("count") - 1)


def used(key: str, *, now: datetime | None = None) -> int:
    """How many takes `key` has in its open window (0 when none is open)."""
    now = now or timezone.now()
    return Throttle.objects.filter(key=key, expires_at__gt=now).values_list("count", flat=True).first() or 0


def reached(key: str, *, limit: int, now: datetime | None = None) -> bool:
    """Whether `key` has no place left now, without taking one (for a page that only warns)."""
    return used(key, now=now) >= limit


def clear(key: str) -> None:
    Throttle.objects.filter(key=key).delete()


def prune(now: datetime) -> int:
    """Delete closed windows (the sweep); a closed window counts as none anyway."""
    deleted, _ = Throttle.objects.filter(expires_at__lte=now).delete()
    return deleted

