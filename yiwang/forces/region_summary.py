"""Who answers for a unit on the map (its grid forces and the roster shifts running now), declared
to `regions.selectors` at start-up."""

from __future__ import annotations

from django.db.models import Q
from django.utils import timezone

from yiwang.regions.selectors import add_on_duty

from .models import Assignment, DutyShift


def on_duty(region) -> list[dict]:
    """Current assignments to the unit, then roster shifts running now."""
    today = timezone.localdate()
    now = timezone.now()
    people = [
        {"name": a.member.name, "role": a.get_role_display(), "kind": "assignment"}
        for a in Assignment.objects.filter(grid=region, starts_on__lte=today)
        .filter(Q(ends_on__isnull=True) | Q(ends_on__gte=today))
        .select_related("member").order_by("role", "member__name")
    ]
    people += [
        {"name": s.member.name, "role": s.member.get_role_display(), "kind": "shift",
         "until": timezone.localtime(s.ends_at).strftime("%H:%M")}
        for s in DutyShift.objects.filter(region=region, starts_at__lte=now, ends_at__gt=now).select_related("member")
    ]
    return people


add_on_duty(on_duty)
