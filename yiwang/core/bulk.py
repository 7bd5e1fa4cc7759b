"""Writing many rows at once, the one way every bulk writer does it (imports, the demo).

Rows are plain tuples already in the database's form: a model instance per row (bulk_create)
costs several times what the database does. On PostgreSQL they go through COPY ... FROM STDIN
(psycopg 3's `cursor.copy`); on SQLite through batched executemany. Both run inside the caller's
transaction; a unique violation arrives as django.db.IntegrityError on either.

- `insert`: rows of some of a model's fields, every other column its default or a constant;
- `insert_returning`: the same when the new primary keys are needed, by each row's natural key;
- `copy_in` / `execute_many`: rows produced elsewhere (the demo history's DuckDB), by SQL;
- `reserve_ids`: primary keys taken before the rows are written, so rows can name each other;
- `values_in`: which of many values a column already holds.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Any

from django.conf import settings
from django.db import connection, models

BATCH_SIZE = 2000
# Well under SQLite's 32,766 bound parameters per statement.
MAX_PARAMETERS = 30_000


def chunks(items: Sequence, size: int = BATCH_SIZE) -> Iterator[Sequence]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def parameter_chunk_size() -> int:
    """Values per `IN (...)` list: SQLite reports its variable limit; PostgreSQL allows 65535."""
    return min(connection.features.max_query_params or 10000, 10000)


def quoted_table(model: type[models.Model], columns: Sequence[str]) -> str:
    """`"table" ("col", ...)` for database column names."""
    quote = connection.ops.quote_name
    return f"{quote(model._meta.db_table)} ({', '.join(map(quote, columns))})"


def columns_of(model: type[models.Model], attnames: Sequence[str]) -> list[str]:
    """The database columns of the given attribute names (region_id, name, ...), in that order."""
    by_attname = {f.attname: f.column for f in model._meta.concrete_fields}
    return [by_attname[name] for name in attnames]


def db_datetime() -> Callable[[Any], Any]:
    """aware datetime (or None) -> the database's form. For SQLite that is the UTC text Django
    writes, made here without the checks its adapter repeats per call (a third of the writing)."""
    if connection.vendor != "sqlite" or not settings.USE_TZ:
        adapt = connection.ops.adapt_datetimefield_value
        return lambda value: None if value is None else adapt(value)
    zone = connection.timezone
    return lambda value: None if value is None else str(value.astimezone(zone).replace(tzinfo=None))


@contextlib.contextmanager
def _sqlite_cache(mebibytes: int | None):
    """A bigger SQLite page cache for one write, the connection's own setting again after:
    inserts into random-order indexes (digests) mostly miss the default 2 MB cache."""
    if not mebibytes or connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        (previous,) = cursor.fetchone()
        cursor.execute(f"PRAGMA cache_size = {-1024 * int(mebibytes)}")
        try:
            yield
        finally:
            cursor.execute(f"PRAGMA cache_size = {int(previous)}")


def insert(
    model: type[models.Model],
    fields: Sequence[str],
    rows: Iterable[tuple],
    *,
    constants: Mapping[str, Any] | None = None,
    batch_size: int = BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
    copy_line: Callable[[tuple], str] | None = None,
    cache_mib: int | None = None,
) -> int:
    """INSERT `rows` (values of the attributes `fields`, e.g. "region_id", in the database's form).

    Every other column but the primary key gets `constants[attname]` or its field's default,
    prepared once. `progress(rows)` is told after each batch. `copy_line`, for PostgreSQL, turns
    a row into one line of COPY's text format (tab-separated, escaped, ending in a newline) where
    psycopg's per-value adaptation would cost more than the caller's own formatting; it gets the
    row as given, so constants must then be part of `fields`. `cache_mib` enlarges SQLite's page
    cache for the write. Returns how many rows were written.
    """
    if copy_line is not None:
        columns, head = columns_of(model, fields), ()  # the caller's lines hold exactly `fields`
    else:
        columns, head = _filled_columns(model, fields, constants)
    target = quoted_table(model, columns)
    written = 0
    if connection.vendor == "postgresql":
        # The raw psycopg cursor skips Django's error translation: wrap it so that a unique
        # violation still arrives as django.db.IntegrityError.
        with connection.wrap_database_errors, connection.cursor() as cursor, cursor.cursor.copy(f"COPY {target} FROM STDIN") as copy:
            for batch in itertools.batched(rows, batch_size):
                if copy_line is not None:
                    copy.write("".join(map(copy_line, batch)))
                else:
                    for row in batch:
                        copy.write_row(head + row if head else row)
                written += len(batch)
                if progress is not None:
                    progress(len(batch))
        return written
    sql = f"INSERT INTO {target} VALUES ({', '.join(['%s'] * len(columns))})"
    with _sqlite_cache(cache_mib), connection.cursor() as cursor:
        for batch in itertools.batched(rows, batch_size):
            cursor.executemany(sql, [head + row for row in batch] if head else batch)
            written += len(batch)
            if progress is not None:
                progress(len(batch))
    return written


def _filled_columns(model: type[models.Model], fields: Sequence[str], constants: Mapping[str, Any] | None) -> tuple[list[str], tuple]:
    """The columns a row of `fields` is written to, the others first, and the values of those
    others (each `constants[attname]` or its field's default, prepared once)."""
    constants = constants or {}
    by_attname = {f.attname: f for f in model._meta.concrete_fields}
    fixed = {f.column: f.get_db_prep_save(constants.get(name, f.get_default()), connection)
             for name, f in by_attname.items() if name not in fields and not f.primary_key}  # fmt: skip
    return [*fixed, *(by_attname[name].column for name in fields)], tuple(fixed.values())


class BackgroundWriter:
    """`insert` in a thread of its own on PostgreSQL, so the caller builds the next rows while the
    server stores the last ones (the thread only waits on the socket). On SQLite each batch is
    written at once, in the caller's thread: sqlite3 releases the GIL for each row's step and must
    take it back before the next, so a writer thread beside a busy builder gets about one row per
    switch interval (measured: executemany 4-7 times slower than alone) and the two never overlap.
    Batches are written in the order given, on the caller's connection and inside
    its transaction. Use as a context manager: leaving it waits for every batch, then raises what
    failed (a unique violation as django.db.IntegrityError); leaving it by an exception stops the
    writes first, so the caller's rollback comes after the last of them. While it is open the
    caller does not use the connection itself."""

    threaded: bool | None = None  # None: on PostgreSQL only (see above)

    def __init__(self, *, depth: int = 4):
        import queue

        self._queue: queue.Queue = queue.Queue(maxsize=depth)
        self._failed: BaseException | None = None
        self._thread = None
        self._postgres = connection.vendor == "postgresql"
        self._threaded = self._postgres if self.threaded is None else self.threaded
        connection.ensure_connection()
        # The driver's connection, taken here: `connection` is per thread, and Django's wrapper is
        # not for use from another thread anyway.
        self._raw = connection.connection

    def __enter__(self) -> BackgroundWriter:
        import threading

        if self._threaded:
            self._thread = threading.Thread(target=self._run, name="bulk-writer", daemon=True)
            self._thread.start()
        return self

    def add(self, model: type[models.Model], fields: Sequence[str], rows: Sequence[tuple], *,
            constants: Mapping[str, Any] | None = None) -> None:  # fmt: skip
        """Queue `rows` (as for `insert`) to be written; waits while `depth` batches are pending."""
        if self._failed is not None:
            return  # the write failed already: the rest is not written, leaving raises
        columns, head = _filled_columns(model, fields, constants)
        if self._postgres:
            statement = f"COPY {quoted_table(model, columns)} FROM STDIN"
        else:
            statement = f"INSERT INTO {quoted_table(model, columns)} VALUES ({', '.join(['?'] * len(columns))})"
        job = (statement, [head + row for row in rows] if head else rows)
        if self._threaded:
            self._queue.put(job)
        else:
            self._write(job)

    def _run(self) -> None:
        while (job := self._queue.get()) is not None:
            if self._failed is None:  # after a failure, drain until told to stop
                self._write(job)

    def _write(self, job: tuple[str, Sequence[tuple]]) -> None:
        statement, rows = job
        try:
            cursor = self._raw.cursor()
            try:
                if self._postgres:
                    with cursor.copy(statement) as copy:
                        for row in rows:
                            copy.write_row(row)
                else:
                    cursor.executemany(statement, rows)
            finally:
                cursor.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the caller's thread (or raised on leaving)
            self._failed = exc

    def __exit__(self, kind, error, trace) -> None:
        if kind is not None:
            self._failed = self._failed or error  # stop writing: the caller is rolling back
        if self._thread is not None:
            self._queue.put(None)
            self._thread.join()
        if kind is None and self._failed is not None:
            with connection.wrap_database_errors:
                raise self._failed


_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def copy_text(value: str) -> str:
    """A text value escaped for COPY's text format."""
    return value.translate(_COPY_ESCAPES) if ("\\" in value or "\t" in value or "\n" in value or "\r" in value) else value


def copy_in(target: str, data: Iterable[bytes | str], *, format: str = "csv") -> None:
    """PostgreSQL only: COPY `target` (`"table" ("col", ...)`) FROM STDIN, fed with `data` in
    pieces already in that format."""
    with connection.wrap_database_errors, connection.cursor() as cursor, \
            cursor.cursor.copy(f"COPY {target} FROM STDIN (FORMAT {format})") as copy:  # fmt: skip
        for piece in data:
            copy.write(piece)


def execute_many(sql: str, rows: Sequence[tuple], *, batch_size: int = BATCH_SIZE) -> None:
    """`sql` (an INSERT with placeholders) for every row, in batches."""
    with connection.cursor() as cursor:
        for batch in chunks(rows, batch_size):
            cursor.executemany(sql, batch)


def reserve_ids(model: type[models.Model], count: int) -> list[int] | range:
    """`count` primary keys nobody else will take. PostgreSQL hands them out from the sequence;
    SQLite has one writer, and the transaction we are in holds the write lock (the settings begin
    transactions IMMEDIATE). Were that lock not held, a concurrent insert would make ours fail on
    the primary key (IntegrityError), and the caller's transaction would write nothing."""
    table = model._meta.db_table
    column = model._meta.pk.column
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)", [table, column, count])
            return [pk for (pk,) in cursor.fetchall()]
        cursor.execute(f"SELECT max({quote(column)}) FROM {quote(table)}")
        top = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])  # AUTOINCREMENT never reuses ids
        seq = cursor.fetchone()
        start = max(top, seq[0] if seq else 0) + 1
        return range(start, start + count)


def values_in(model: type[models.Model], name: str, values: Sequence, *, also: str | None = None) -> list:
    """Which of `values` the field `name` already holds (with field `also` beside each, if named).
    Plain SQL: a Django `__in` prepares every value through the field, which for 10⁵ digests
    costs more than the query itself."""
    quote = connection.ops.quote_name
    table, column = quote(model._meta.db_table), quote(model._meta.get_field(name).column)
    selected = column if also is None else f"{column}, {quote(model._meta.get_field(also).column)}"
    found: list = []
    with connection.cursor() as cursor:
        for chunk in chunks(values, parameter_chunk_size()):
            if connection.vendor == "postgresql" and all(type(v) is str for v in chunk):
                # One text[] literal: psycopg adapting 10⁴ strings one by one cost more than the query.
                cursor.execute(f"SELECT {selected} FROM {table} WHERE {column} = ANY(%s::text[])", [_text_array(chunk)])
            elif connection.vendor == "postgresql":
                cursor.execute(f"SELECT {selected} FROM {table} WHERE {column} = ANY(%s)", [list(chunk)])
            else:
                cursor.execute(f"SELECT {selected} FROM {table} WHERE {column} IN ({', '.join(['%s'] * len(chunk))})", list(chunk))
            rows = cursor.fetchall()
            found.extend(rows if also else (value for (value,) in rows))
    return found


def _text_array(values: Iterable[str]) -> str:
    """A PostgreSQL text[] literal of `values`, each quoted (backslash and quote escaped)."""
    return "{" + ",".join('"' + (v.replace("\\", "\\\\").replace('"', '\\"') if ("\\" in v or '"' in v) else v) + '"' for v in values) + "}"


# --- with the new keys back ------------------------------------------------------------------------


def _adapter(field: models.Field) -> Callable[[Any], Any] | None:
    """What the backend needs done to a Python value of this field; None when nothing."""
    ops = connection.ops
    kind = field.get_internal_type()
    if kind == "DateField":
        return ops.adapt_datefield_value
    if kind == "DateTimeField":
        # Rows often share one timestamp (registered_at): adapt it once, not per row.
        last: list = [None, None]

        def adapt_datetime(value):
            if value is not last[0]:
                last[:] = [value, ops.adapt_datetimefield_value(value)]
            return last[1]

        return adapt_datetime
    if kind == "DecimalField":
        return lambda value: ops.adapt_decimalfield_value(value, field.max_digits, field.decimal_places)
    return None


def insert_returning(model: type[models.Model], *, columns: Sequence[str], rows: Sequence[tuple], key: Sequence[str]) -> dict[tuple, int]:
    """Insert `rows` (Python values in `columns` order, field names; foreign keys as ids) and
    return {natural key: pk}, the natural key being the values of the `key` columns (a unique
    combination), so nothing depends on the order the database reports rows in. Multi-row
    INSERT ... RETURNING (UNNEST of one array per column on PostgreSQL, as Django's own
    bulk_create does there); only dates, timestamps and decimals are adapted."""
    if not connection.features.can_return_rows_from_bulk_insert:
        raise NotImplementedError(f"{connection.vendor} cannot return the keys of a multi-row INSERT")
    meta = model._meta
    fields = [meta.get_field(name) for name in columns]
    given = {field.attname for field in fields}
    # Every other column gets its plain default or NULL; anything else would be a silent gap.
    filled: list[tuple[models.Field, Any]] = []
    for field in meta.concrete_fields:
        if field.primary_key or field.attname in given:
            continue
        if field.has_default() and not callable(field.default):
            filled.append((field, field.get_default()))
        elif field.null:
            filled.append((field, None))
        else:
            raise ValueError(f"{meta.label}.{field.name} has no plain default: give it in `columns`")
    all_fields = fields + [field for field, _ in filled]
    adapters = [_adapter(field) for field in all_fields]
    key_positions = [columns.index(name) for name in key]

    quote = connection.ops.quote_name
    column_sql = ", ".join(quote(field.column) for field in all_fields)
    returning = ", ".join(quote(meta.get_field(name).column) for name in (meta.pk.name, *key))
    defaults = tuple(value for _, value in filled)
    unnest = connection.vendor == "postgresql"
    if unnest:
        source = "SELECT * FROM unnest(" + ", ".join(f"%s::{field.db_type(connection)}[]" for field in all_fields) + ")"
        batch_size = 20_000
    else:
        row_sql = "(" + ", ".join(["%s"] * len(all_fields)) + ")"
        batch_size = max(1, MAX_PARAMETERS // len(all_fields))

    keys: dict[tuple, int] = {}
    with connection.cursor() as cursor:
        for batch in chunks(rows, batch_size):
            adapted = [
                [adapt(value) if adapt is not None and value is not None else value for value, adapt in zip(row + defaults, adapters, strict=True)]
                for row in batch
            ]
            if unnest:
                params = [list(column) for column in zip(*adapted, strict=True)]
                values_sql = source
            else:
                params = [value for row in adapted for value in row]
                values_sql = "VALUES " + ", ".join([row_sql] * len(batch))
            cursor.execute(f"INSERT INTO {quote(meta.db_table)} ({column_sql}) {values_sql} RETURNING {returning}", params)
            for pk, *natural in cursor.fetchall():
                keys[tuple(natural)] = pk
    if len(keys) != len(rows) or (rows and tuple(rows[0][p] for p in key_positions) not in keys):
        raise RuntimeError(f"{meta.label}: the keys returned do not match the {len(rows)} rows inserted")
    return keys
