"""Hand-written reads (the command screen's rollup reads and units), where compiling an ORM query
would take longer than the database takes to answer."""

from __future__ import annotations

from django.db import connections

from .dbrouting import read_alias


def fetch(sql: str, params: list, *, prepare: bool = True) -> list[tuple]:
    """The rows of a hand-written read on the default database, or on the replica where the page reads
    from it (core/dbrouting.py). `prepare=False` for a statement whose best plan depends on a value
    bound (a LIKE prefix can use an index only when the planner sees it)."""
    connection = connections[read_alias()]
    if prepare and connection.vendor == "postgresql":
        connection.ensure_connection()
        raw = connection.connection
        if raw.prepare_threshold is not None:  # YIWANG_PG_PREPARE (yiwang/settings.py)
            # The screen asks the same statements again and again (their changing values are bound):
            # prepared once per connection, with one plan for all values (settings: plan_cache_mode),
            # they are not planned again (planning took up to half a read). Django's cursors bind
            # values on the client and cannot prepare: psycopg's own can. Binary rows convert faster.
            import psycopg

            with connection.wrap_database_errors, psycopg.Cursor(raw) as cursor:
                cursor.execute(sql, params or None, prepare=True, binary=True)
                return cursor.fetchall()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()
