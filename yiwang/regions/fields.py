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
        upper = self.rhs[:-1] + chr(ord(self.rhs[-1]) + 1)
        return f"({lhs_sql} >= %s AND {lhs_sql} < %s)", (*lhs_params, self.rhs, *lhs_params, upper)
