"""The provisional-calendar notes on pages: beside a case's deadlines, and the banner asking admins for a notice."""

from django import template
from django.urls import reverse
from django.utils import timezone

from yiwang.core.scope import Role
from yiwang.worktime import selectors

register = template.Library()

# Who keeps the calendar (accounts.roles.CATALOGUE_ROLES), and so who is asked to enter the notice.
BANNER_ROLES = frozenset({Role.DISTRICT})


@register.simple_tag
def provisional_deadline_note(case) -> str:
    """"截止时间按暂定日历计算（…）" when the case's clock runs into a year whose notice is not entered."""
    years = selectors.deadline_years(start=case.step_started_at or case.reported_at, ends=[case.step_due_at, case.close_due_at])
    return selectors.provisional_note(years)


@register.inclusion_tag("worktime/_notice_banner.html")
def calendar_notice_banner(user) -> dict:
    if not (user.is_authenticated and (user.is_superuser or getattr(user, "role", None) in BANNER_ROLES)):
        return {"years": []}
    years = selectors.years_awaiting_notice(timezone.localdate())
    return {"years": years, "years_text": "、".join(map(str, years)),
            "add_url": reverse("admin:worktime_calendaryear_add") if years else ""}
