"""Small display helpers for the duty list pages."""

from django import template

register = template.Library()


@register.filter
def who(user) -> str:
    """A person's name as staff know them; "系统" for what the system did (initial loads)."""
    if user is None:
        return "系统"
    return user.get_full_name() or user.username
