"""Multi-row INSERT ... RETURNING for the three big tables of the demo (houses, households, persons).

bulk_create spends most of its time building model instances and preparing every value through
the field API (about 200 µs a person on SQLite); plain tuples, adapted only where the backend
needs it (dates, timestamps, decimals), take a sixth of that. The new primary keys come back with each row's natural key, so nothing depends
on the order RETURNING reports rows in. Smaller tables keep using bulk_create.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from django.db import connection, models

# Well under SQLite's 32,766 bound parameters per statement.
MAX_PARAMETERS = 30_000


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


def insert_rows(model: type[models.Model], *, columns: Sequence[str], rows: Sequence[tuple], key: Sequence[str]) -> dict[tuple, int]:
    """Insert `rows` (values in `columns` order; foreign keys as ids) and return {natural key: pk},
    the natural key being the values of the `key` columns (a unique combination)."""
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
    # PostgreSQL takes one array per column (UNNEST, as Django's own bulk_create does there), so
    # a statement has a handful of parameters and the driver has no giant query to parse.
    unnest = connection.vendor == "postgresql"
    if unnest:
        source = "SELECT * FROM unnest(" + ", ".join(f"%s::{field.db_type(connection)}[]" for field in all_fields) + ")"
        batch_size = 20_000
    else:
        row_sql = "(" + ", ".join(["%s"] * len(all_fields)) + ")"
        batch_size = max(1, MAX_PARAMETERS // len(all_fields))

    keys: dict[tuple, int] = {}
    with connection.cursor() as cursor:
        for start in range(0, len(rows), batch_size):
            batch = rows[start:start + batch_size]
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
