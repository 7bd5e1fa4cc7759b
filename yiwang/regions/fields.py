"""A materialised-path column whose prefix queries use the index on both databases."""

from django.db import models
from django.db.models.lookups import StartsWith


class PathField(models.CharField):
    """Paths are ASCII codes joined by "/". PostgreSQL answers `startswith` from Django's
    varchar_pattern_ops index; SQLite's LIKE cannot use an index, so there we ask for the
    equivalent range [prefix, prefix-with-last-char+1), which it can."""


@PathField.register_lookup
class PathStartsWith(StartsWith):
    lookup_name = "startswith"

    def as_sqlite(self, compiler, connection):
        if not isinstance(self.rhs, str) or not self.rhs:
            return super().as_sql(compiler, connection)
        lhs_sql, lhs_params = self.process_lhs(compiler, connection)
        return f"({lhs_sql} >= %s AND {lhs_sql} < %s)", (*lhs_params, self.rhs, *lhs_params, _after_prefix(self.rhs))


def _after_prefix(prefix: str) -> str:
    return prefix[:-1] + chr(ord(prefix[-1]) + 1)


def starts_with_sql(column: str, prefix: str) -> tuple[str, list[str]]:
    """`column` starts with `prefix`, as raw SQL that uses the path index (what the lookup above
    writes), for statements written out by hand."""
    from django.db import connection

    if connection.vendor == "sqlite":
        return f"({column} >= %s AND {column} < %s)", [prefix, _after_prefix(prefix)]
    escaped = prefix.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"{column} LIKE %s", [escaped + "%"]
