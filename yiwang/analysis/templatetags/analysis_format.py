"""Number formats of the 分析研判 page: p-values in scientific notation when small, rates as percent, counts in words."""

from django import template

from yiwang.cases.indicators import format_rate

register = template.Library()


@register.filter
def pvalue(value) -> str:
    if value is None:
        return "—"
    return f"{value:.2e}" if value < 0.001 else f"{value:.3f}"


@register.filter
def rate(value) -> str:
    return format_rate(value)


@register.filter
def number(value, digits: int = 2) -> str:
    return "—" if value is None else f"{value:.{int(digits)}f}"


@register.filter
def about(value) -> str:
    """An expected count in words: 约9件, 不到1件."""
    from yiwang.analysis.findings import about_text

    return "—" if value is None else about_text(value)


@register.filter
def share(count, total) -> str:
    """count's share of total as a whole percent (不到1% when small)."""
    from yiwang.analysis.findings import percent_text

    return "—" if not total else percent_text(count / total)
