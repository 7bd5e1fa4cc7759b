"""Bounded parameter types every router shares: the page, ids, years, counts.

Each bound is stated in the OpenAPI, so a client and the fuzzer see it, and a value outside it is a 422
naming the field instead of reaching the database (SQLite and PostgreSQL integers stop at 2^63, and an
unbounded page would stream a whole table).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from ninja import Field, Query, Schema
from ninja.pagination import LimitOffsetPagination
from django.utils.translation import gettext as _
from pydantic import AfterValidator

# The most rows one list response carries; a client wanting more pages through with offset.
MAX_PAGE_SIZE = 500
DEFAULT_PAGE_SIZE = 100
# Within a 32-bit integer, so it fits every database's LIMIT/OFFSET and any key.
MAX_INT = 2_147_483_647
# Years a street's records can be about.
MIN_YEAR, MAX_YEAR = 1900, 2200
# Dates outside these are typing mistakes or attacks; both ends stay far inside what every date
# arithmetic in the project (periods, weeks, SLA calendars) can step past without overflow (year 1 to 9999).
MIN_DATE, MAX_DATE = date(1900, 1, 1), date(2999, 12, 31)

Id = Annotated[int, Field(ge=1, le=MAX_INT)]
Count = Annotated[int, Field(ge=0, le=MAX_INT)]
# A signed amount (points may be taken away).
Amount = Annotated[int, Field(ge=-MAX_INT, le=MAX_INT)]
# A measurement: no NaN or infinity (the database refuses them in JSON, the arithmetic spreads them).
Finite = Annotated[float, Field(allow_inf_nan=False, ge=-1e9, le=1e9)]
Year = Annotated[int, Field(ge=MIN_YEAR, le=MAX_YEAR)]
# For the few lists that page by hand (they decorate each page's rows in one query).
PageLimit = Annotated[int, Field(ge=1, le=MAX_PAGE_SIZE)]
PageOffset = Annotated[int, Field(ge=0, le=MAX_INT)]


def _in_range(value: date) -> date:
    if value is not None and not MIN_DATE <= value <= MAX_DATE:
        raise ValueError(_("应在 %(low)s 至 %(high)s 之间") % {"low": MIN_DATE.isoformat(), "high": MAX_DATE.isoformat()})
    return value


def _moment_in_range(value: datetime) -> datetime:
    if value is not None and not MIN_DATE.year <= value.year <= MAX_DATE.year:
        raise ValueError(_("应在 %(low)s 年至 %(high)s 年之间") % {"low": MIN_DATE.year, "high": MAX_DATE.year})
    return value


Day = Annotated[date, AfterValidator(_in_range)]
Moment = Annotated[datetime, AfterValidator(_moment_in_range)]


class Page(LimitOffsetPagination):
    """`?limit=&offset=` with both ends bounded (ninja's own leaves them open)."""

    class Input(Schema):
        limit: int = Field(DEFAULT_PAGE_SIZE, ge=1, le=MAX_PAGE_SIZE)
        offset: int = Field(0, ge=0, le=MAX_INT)

    def __init__(self, **kwargs):
        super().__init__(max_limit=MAX_PAGE_SIZE, **kwargs)


def IdQuery(default=None):  # noqa: N802 - reads as a type in a signature
    """An optional id in the query string. A plain default rather than an Annotated type, because
    @paginate wraps the view and ninja then cannot resolve names from the view's module."""
    return Query(default, ge=1, le=MAX_INT)
