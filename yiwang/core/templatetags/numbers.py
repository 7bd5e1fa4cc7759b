"""Numbers as staff read them: thousands separated ("12,345"), decimals kept as computed."""

from decimal import Decimal, InvalidOperation

from django import template

register = template.Library()


def thousands_text(value, places: int | None = None) -> str:
    """`value` with thousands separators; `places` decimals when given, else the decimals it has
    without trailing zeros (none for a whole number). Text that is not a number comes back unchanged."""
    if value is None or value == "" or isinstance(value, bool):
        return "" if value is None else str(value)
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return str(value)
    if not number.is_finite():
        return str(value)
    if places is None:
        places = 0 if number == number.to_integral_value() else -number.normalize().as_tuple().exponent
    # A change written with its sign ("+2" beside last week's figure) keeps it.
    sign = "+" if isinstance(value, str) and value.strip().startswith("+") else ""
    return f"{sign}{number:,.{places}f}"


@register.filter
def thousands(value, places=None) -> str:
    """{{ count|thousands }} → 12,345; {{ score|thousands }} → 197.5; {{ score|thousands:2 }} → 1,234.50."""
    return thousands_text(value, None if places in (None, "") else int(places))
