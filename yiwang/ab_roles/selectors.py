"""Reads for A/B roles: the duties a person holds, desks and leaves in scope, who acts now."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Q
from django.utils import timezone

from yiwang.core.scope import Action

from .acting import duty_models, who_acts_many
from .models import Desk, Leave


def my_duties(user, *, at: datetime | None = None) -> list[dict]:
    """Every duty where `user` is A or B, of every kind, with who acts on it now."""
    rows = []
    for model in duty_models():
        manager = model._default_manager
        duties = manager.filter(Q(primary=user) | Q(backup=user)).select_related("primary", "backup")
        for duty, acting in who_acts_many(duties, at=at):
            rows.append({"kind": model._meta.verbose_name, "duty": duty, "mine": "A" if duty.primary_id == user.pk else "B",
                         "acting": acting})
    return rows


def desks_in_scope(user, *, at: datetime | None = None) -> list[tuple[Desk, object]]:
    desks = Desk.objects.restrict(user, Action.VIEW).select_related("region", "department", "primary", "backup")
    return who_acts_many(desks, at=at)


def leaves_in_scope(user, *, now: datetime | None = None):
    """Leaves going on or to come, in the user's scope, plus the user's own."""
    now = now or timezone.now()
    visible = Leave.objects.restrict(user, Action.VIEW) | Leave.objects.filter(user=user)
    return visible.filter(ends_at__gt=now, cancelled_at__isnull=True).select_related("user", "recorded_by").order_by("starts_at").distinct()
