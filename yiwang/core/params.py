"""Numbers and dates read from a page's query string or form, never trusted: anything missing, malformed or
outside a sane range reads as the default, so `?year=0`, `?page=abc` or `?venue=99999999999999999999999`
give the page's ordinary answer instead of a server error (a date before year 1, or an integer past the
database's 64 bits, would otherwise raise deep inside a query). A page that reports bad input instead
uses `checked_int_param`."""

from __future__ import annotations

from datetime import date

from django.core.exceptions import ValidationError

# A 32-bit integer holds every key and count these pages take.
MAX_INT = 2_147_483_647
MIN_YEAR, MAX_YEAR = 1900, 2200


def int_param(value, default=None, *, low: int = -MAX_INT, high: int = MAX_INT):
    """`value` as an int within [low, high], else `default`."""
    if value is None:
        return default
    text = str(value).strip()
    # int() of a very long digit string is itself slow; no bounded value needs more than 11 characters.
    if not text or len(text) > 11:
        return default
    try:
        number = int(text)
    except ValueError:
        return default
    return number if low <= number <= high else default


def checked_int_param(value, field: str, default: int, *, low: int, high: int) -> int:
    """For a page that says what is wrong instead of ignoring it: empty reads as `default`; anything else
    must be an integer within [low, high], else a ValidationError names `field`."""
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        raise ValidationError({field: "应为整数"}) from None
    if not low <= number <= high:
        raise ValidationError({field: f"应在 {low} 至 {high} 之间"})
    return number


def year_param(value, default: int) -> int:
    return int_param(value, default, low=MIN_YEAR, high=MAX_YEAR)


def date_param(value, default: date | None = None) -> date | None:
    """An ISO date (YYYY-MM-DD) within the years above, else `default`."""
    try:
        day = date.fromisoformat(str(value).strip()) if value else None
    except ValueError:
        return default
    return day if day is not None and MIN_YEAR <= day.year <= MAX_YEAR else default
