"""Formatting for the command screen: rates as the indicators module formats them."""

from django import template

from yiwang.cases.indicators import format_rate

register = template.Library()


@register.filter
def rate(value) -> str:
    return format_rate(value)
