"""One holder at a time, across every process and server, for the length of a transaction.

PostgreSQL: a transaction-level advisory lock (released at commit or rollback, so it also works
through PgBouncer in transaction mode). SQLite: the transaction itself, begun IMMEDIATE (settings),
holds the database's one write lock from its first statement.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager

from django.db import DEFAULT_DB_ALIAS, connections, transaction


def lock_number(name: str) -> int:
    """A stable signed 64-bit number for `name` (advisory locks are numbered)."""
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(name: str, *, using: str = DEFAULT_DB_ALIAS):
    """Run the block in a transaction that no other holder of `name` runs beside."""
    with transaction.atomic(using=using):
        connection = connections[using]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [lock_number(name)])
        yield
